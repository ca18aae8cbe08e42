//! `cfglint rollout run`: the canary controller. It owns the clock, queries
//! Prometheus itself, decides each poll with [`super::decide`] (the code
//! behind `cfglint gate`), and rolls back on its own.
//!
//! Position: on top of [`super::gate`], [`super::prometheus`] and
//! [`super::state`].
//!
//! Per stage: run the deploy command (`sh -c`, with `CFGLINT_STAGE`,
//! `CFGLINT_TRAFFIC_PERCENT`, `CFGLINT_REVISION`, `CFGLINT_MANIFEST`, no
//! stdin) and verify the work tree is at head; in the rehearsal stage,
//! rehearse the rollback (rollback command, verify base, forward command,
//! verify head); then poll every `interval_seconds` until a decision:
//!
//! - promote: the next stage; after the last, the rollout is complete.
//! - a breached `rollback` gate for `failure_limit` consecutive polls, or no
//!   promote by the stage's progress deadline (`max_wait_seconds`, default
//!   three times the bake; no fresh data ends here), or a failed deploy,
//!   verification or rehearsal: roll back (the manifest's rollback
//!   command, the deploy command with `CFGLINT_STAGE=rollback` and the base
//!   revision, then verify the tree is at base).
//!
//! Data it trusts: a value whose sample is older than two intervals is no
//! data; a value out of range (see [`super::gate::out_of_range`]) is bad
//! data, logged, and no data for the decision; a failed query is no data.
//! None of these can promote. Every poll appends one JSON line to the
//! decision log; every step is recorded in the state file first, so a
//! killed controller resumes where it was.
//!
//! The library never prints: the deploy, rollback and notify commands
//! write to the inherited stderr, and results are data.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::Error;
use super::command::{self, Spec};
use super::gate::{Decision, out_of_range};
use super::manifest::{EMPTY_TREE, Manifest, RunSettings, Side, Stage, sha256};
use super::metrics::{BASELINE_SUFFIX, Observed};
use super::policy::REHEARSAL_METRIC;
use super::prometheus::Client;
use super::state::{AbortRequest, Lock, State, Status, abort_path, lock_path, now};

/// What `run` needs.
#[derive(Debug, Clone)]
pub struct Options {
    /// The manifest file (passed to commands as `CFGLINT_MANIFEST`).
    pub manifest_path: PathBuf,
    /// Its bytes (hashed into the pin).
    pub manifest_bytes: Vec<u8>,
    /// The deploy command.
    pub deploy: String,
    /// Prometheus URL (`None`: the manifest's).
    pub prometheus: Option<String>,
    /// The state file.
    pub state: PathBuf,
    /// The decision log (JSON lines), if any.
    pub log: Option<PathBuf>,
    /// The work tree the commands act on.
    pub work_tree: PathBuf,
    /// A command run on every decision with its JSON on stdin (`None`:
    /// the manifest's).
    pub notify: Option<String>,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every stage promoted (exit 0).
    Complete,
    /// Rolled back, and the tree is at base (exit 3).
    RolledBack {
        /// Why.
        reason: String,
    },
}

/// The controller.
struct Run<'a> {
    manifest: &'a Manifest,
    opts: &'a Options,
    state: State,
    settings: RunSettings,
    notify: Option<String>,
    /// Held for as long as this process drives the rollout.
    _lock: Lock,
}

fn run_err(message: impl Into<String>) -> Error {
    Error::Run { message: message.into() }
}

/// The rollback revision must name a commit in the work tree's
/// repository (or git's empty tree), or a rollback could not happen.
pub fn check_rollback_revision(manifest: &Manifest, work_tree: &Path) -> Result<(), Error> {
    let rev = &manifest.rollback.revision;
    if rev == EMPTY_TREE {
        return Ok(());
    }
    let repo = crate::git::open(work_tree)?;
    let ok = crate::git::worktree::is_commit(&repo, rev);
    if ok {
        Ok(())
    } else {
        Err(run_err(format!(
            "the rollback revision {rev} is not a commit in the repository at {}: a rollback could not restore it \
             (fetch it, or deepen a shallow clone)",
            work_tree.display()
        )))
    }
}

/// Start or resume the rollout recorded in `opts.state`.
pub fn run(manifest: &Manifest, opts: &Options) -> Result<Outcome, Error> {
    let pin = sha256(&opts.manifest_bytes);
    let settings = manifest.run.clone().unwrap_or_default();
    if manifest.stages.is_empty() {
        return Err(run_err("the manifest has no stages (blocked?): nothing to roll out"));
    }
    let url = opts
        .prometheus
        .clone()
        .or_else(|| manifest.prometheus.as_ref().and_then(|p| p.url.clone()))
        .ok_or_else(|| run_err("no Prometheus URL: pass --prometheus URL or set [rollout.prometheus] url"))?;
    let samples_query = manifest.prometheus.as_ref().and_then(|p| p.samples_query.as_ref());
    for s in &manifest.stages {
        if s.min_samples > 0 && samples_query.is_none() {
            return Err(run_err(format!(
                "stage `{}` needs {} samples, but the manifest has no samples-query to count them \
                 (set [rollout.prometheus] samples-query and write the manifest again)",
                s.name, s.min_samples
            )));
        }
        for g in &s.gates {
            if g.query.is_none() && g.metric != REHEARSAL_METRIC {
                return Err(run_err(format!(
                    "stage `{}`: gate `{g}` has no query; rollout run reads every gate from Prometheus \
                     (set `query` in [[rollout.gates]] and write the manifest again)",
                    s.name
                )));
            }
        }
    }
    // One controller per state file, from before its first read.
    let lock = Lock::acquire(&opts.state)?;
    let state = match State::load(&opts.state)? {
        Some(st) => {
            st.check_pin(&pin)?;
            match st.status {
                Status::Complete => return Ok(Outcome::Complete),
                Status::RolledBack | Status::Aborted => {
                    return Ok(Outcome::RolledBack { reason: st.reason.clone().unwrap_or_default() });
                }
                Status::RollbackFailed => return Err(rollback_failed(&st, &opts.state)),
                Status::Running => st,
            }
        }
        None => State {
            version: 1,
            manifest: opts.manifest_path.display().to_string(),
            manifest_sha256: pin,
            deploy: opts.deploy.clone(),
            work_tree: opts.work_tree.display().to_string(),
            prometheus: url.clone(),
            log: opts.log.as_ref().map(|p| p.display().to_string()),
            status: Status::Running,
            stage: 0,
            stage_name: manifest.stages[0].name.clone(),
            deployed: false,
            rehearsed: false,
            stage_started_at: None,
            consecutive_breaches: 0,
            last_decision: None,
            reason: None,
            updated_at: 0.0,
        },
    };
    check_rollback_revision(manifest, &opts.work_tree)?;
    let client =
        Client::new(&url, Duration::from_secs_f64(settings.interval_seconds.clamp(1.0, 30.0))).map_err(run_err)?;
    let notify = opts.notify.clone().or_else(|| settings.notify.clone());
    let mut r = Run { manifest, opts, state, settings, notify, _lock: lock };
    r.save()?;
    r.drive(&client)
}

fn rollback_failed(st: &State, path: &Path) -> Error {
    run_err(format!(
        "{}; the tree may not be at base: look, then `cfglint rollout abort --state {} --reason …` rolls back again",
        st.reason.as_deref().unwrap_or("the rollback failed"),
        path.display()
    ))
}

/// How long `abort` waits for the controller holding the lock to act on
/// its request: the longest the controller can take to reach its next
/// check and roll back (a deploy and a rehearsal in flight, then the two
/// rollback commands), plus two intervals and a minute.
fn abort_wait(settings: &RunSettings) -> Duration {
    settings.command_timeout() * 5 + Duration::from_secs_f64(2.0 * settings.interval_seconds + 60.0)
}

/// Roll back the rollout recorded in a state file now (`rollout abort`).
///
/// When no controller holds the state file's lock, `abort` takes it and
/// rolls back itself. When one does, `abort` writes an abort request
/// beside the state file (`STATE.abort`); the controller reads it at its
/// next check (each poll, and before each deploy and rehearsal), rolls
/// back, and records `aborted`; `abort` waits for that (or for the
/// controller to die, then rolls back itself) and answers as it.
pub fn abort(manifest: &Manifest, opts: &Options, reason: &str) -> Result<Outcome, Error> {
    let pin = sha256(&opts.manifest_bytes);
    let settings = manifest.run.clone().unwrap_or_default();
    let load = || -> Result<State, Error> {
        let st =
            State::load(&opts.state)?.ok_or_else(|| run_err(format!("no state file at {}", opts.state.display())))?;
        st.check_pin(&pin)?;
        Ok(st)
    };
    let settled = |st: &State| -> Option<Result<Outcome, Error>> {
        match st.status {
            Status::Running | Status::RollbackFailed => None,
            Status::Complete => Some(Err(run_err(
                "the rollout is complete; roll it back with `cfglint rollback` and a new rollout".to_owned(),
            ))),
            Status::RolledBack | Status::Aborted => {
                Some(Ok(Outcome::RolledBack { reason: st.reason.clone().unwrap_or_default() }))
            }
        }
    };
    if let Some(done) = settled(&load()?) {
        return done;
    }
    let why = format!("aborted: {reason}");
    let mut requested = false;
    let until = Instant::now() + abort_wait(&settings);
    loop {
        if let Some(lock) = Lock::try_acquire(&opts.state)? {
            // No controller (any more): roll back here, under the lock.
            let state = load()?;
            if let Some(done) = settled(&state) {
                AbortRequest::clear(&opts.state);
                return done;
            }
            let mut r = Run { manifest, opts, state, settings, notify: opts.notify.clone(), _lock: lock };
            r.state.reason = Some(why.clone());
            r.save()?;
            let out = r.roll_back(&why, Status::Aborted);
            AbortRequest::clear(&opts.state);
            return out;
        }
        if !requested {
            AbortRequest { reason: reason.to_owned(), manifest_sha256: pin.clone(), requested_at: now() }
                .write(&opts.state)?;
            requested = true;
        }
        let state = load()?;
        if state.status == Status::RollbackFailed && state.reason.as_deref().is_some_and(|r| r.starts_with(&why)) {
            AbortRequest::clear(&opts.state);
            return Err(rollback_failed(&state, &opts.state));
        }
        if let Some(done) = settled(&state) {
            AbortRequest::clear(&opts.state);
            return done;
        }
        if Instant::now() > until {
            return Err(run_err(format!(
                "the controller driving {} ({}) did not act on the abort request within {:.0}s; \
                 the request stays at {} and it acts on it at its next check",
                opts.state.display(),
                Lock::holder(&opts.state),
                abort_wait(&settings).as_secs_f64(),
                abort_path(&opts.state).display()
            )));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl Run<'_> {
    fn save(&mut self) -> Result<(), Error> {
        self.state.save(&self.opts.state)
    }

    fn stage(&self) -> &Stage {
        &self.manifest.stages[self.state.stage]
    }

    /// Append one JSON line to the decision log, and hand it to `notify`.
    fn log(&self, mut entry: Value) -> Result<(), Error> {
        if let Value::Object(m) = &mut entry {
            m.insert("time".into(), json!(now()));
            m.entry("stage").or_insert_with(|| json!(self.state.stage_name));
        }
        let line = entry.to_string();
        self.append(&line)?;
        if let Some(cmd) = &self.notify
            && entry.get("decision").is_some()
        {
            let mut bytes = line.into_bytes();
            bytes.push(b'\n');
            let spec = Spec {
                command: cmd,
                dir: &self.opts.work_tree,
                env: Vec::new(),
                stdin: Some(&bytes),
                timeout: self.settings.notify_timeout(),
            };
            // A notifier that fails does not stop the rollout; the log
            // says so.
            if let Err(why) = command::run(&spec) {
                let note = json!({"time": now(), "stage": self.state.stage_name, "event": "notify", "ok": false,
                                  "detail": why.describe(cmd)});
                self.append(&note.to_string())?;
            }
        }
        Ok(())
    }

    /// Append one line to the decision log, if any.
    fn append(&self, line: &str) -> Result<(), Error> {
        if let Some(path) = &self.opts.log {
            let io = |source| Error::Io { path: path.display().to_string(), source };
            let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).map_err(io)?;
            let mut text = String::with_capacity(line.len() + 1);
            text.push_str(line);
            text.push('\n');
            f.write_all(text.as_bytes()).map_err(io)?;
            f.sync_data().map_err(io)?;
        }
        Ok(())
    }

    /// Run `cmd` through the shell in the work tree, within the command
    /// timeout.
    fn shell(&self, cmd: &str, stage: &str, percent: f64, revision: &str) -> Result<(), String> {
        let spec = Spec {
            command: cmd,
            dir: &self.opts.work_tree,
            env: vec![
                ("CFGLINT_STAGE", stage.into()),
                ("CFGLINT_TRAFFIC_PERCENT", format!("{percent}").into()),
                ("CFGLINT_REVISION", revision.into()),
                ("CFGLINT_MANIFEST", self.opts.manifest_path.clone().into_os_string()),
            ],
            stdin: None,
            timeout: self.settings.command_timeout(),
        };
        command::run(&spec).map_err(|f| f.describe(cmd))
    }

    /// A pending `rollout abort` for this rollout: roll back now.
    fn aborted(&mut self) -> Option<Result<Outcome, Error>> {
        let req = AbortRequest::read(&self.opts.state, &self.state.manifest_sha256)?;
        let why = format!("aborted: {}", req.reason);
        let out = self.roll_back(&why, Status::Aborted);
        AbortRequest::clear(&self.opts.state);
        Some(out)
    }

    /// The tree is at `side`: the changed files' hashes and modes, then the
    /// whole tree (tracked and untracked files that are not ignored) against
    /// that side's revision, the controller's own files (manifest, state,
    /// log) aside.
    fn verify(&self, side: Side) -> Result<(), String> {
        let mut mismatches = self.manifest.verify(&self.opts.work_tree, side).map_err(|e| e.to_string())?;
        let (rev, role) = match side {
            Side::Base => (self.manifest.base.as_str(), "manifest's base"),
            Side::Head => (self.manifest.head.as_str(), "manifest's head"),
        };
        let repo = crate::git::open(&self.opts.work_tree).map_err(|e| e.to_string())?;
        let mut skip = vec![
            self.opts.manifest_path.clone(),
            self.opts.state.clone(),
            lock_path(&self.opts.state),
            abort_path(&self.opts.state),
        ];
        skip.extend(self.opts.log.clone());
        let changed: std::collections::BTreeSet<String> = mismatches.iter().map(|m| m.path.clone()).collect();
        mismatches.extend(
            super::tree::verify(&repo, rev, role, &skip)
                .map_err(|e| e.to_string())?
                .into_iter()
                .filter(|m| !changed.contains(&m.path)),
        );
        if mismatches.is_empty() {
            return Ok(());
        }
        Err(format!(
            "the work tree is not at {}: {}",
            if side == Side::Base { "base" } else { "head" },
            mismatches.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
        ))
    }

    fn drive(&mut self, client: &Client) -> Result<Outcome, Error> {
        loop {
            let stage = self.stage().clone();
            if let Some(out) = self.aborted() {
                return out;
            }
            if !self.state.deployed {
                let done = self
                    .shell(&self.opts.deploy, &stage.name, stage.traffic_percent.0, &self.manifest.head)
                    .and_then(|()| self.verify(Side::Head));
                self.log(json!({"event": "deploy", "ok": done.is_ok(), "detail": done.as_ref().err()}))?;
                if let Err(why) = done {
                    return self.roll_back(&format!("deploy of stage `{}`: {why}", stage.name), Status::RolledBack);
                }
                self.state.deployed = true;
                self.save()?;
            }
            if let Some(out) = self.aborted() {
                return out;
            }
            if stage.rehearse_rollback && !self.state.rehearsed {
                let rb = &self.manifest.rollback;
                let done = self
                    .shell(&rb.command, "rehearsal", stage.traffic_percent.0, &rb.revision)
                    .and_then(|()| self.verify(Side::Base))
                    .and_then(|()| {
                        self.shell(&rb.forward_command, "rehearsal", stage.traffic_percent.0, &rb.forward_revision)
                    })
                    .and_then(|()| self.verify(Side::Head));
                self.log(json!({"event": "rehearsal", "ok": done.is_ok(), "detail": done.as_ref().err()}))?;
                if let Err(why) = done {
                    return self.roll_back(&format!("rollback rehearsal failed: {why}"), Status::RolledBack);
                }
                self.state.rehearsed = true;
                self.save()?;
            }
            let started = if let Some(t) = self.state.stage_started_at {
                t
            } else {
                let t = now();
                self.state.stage_started_at = Some(t);
                self.save()?;
                t
            };
            if let Some(outcome) = self.bake(client, &stage, started)? {
                return Ok(outcome);
            }
            if self.state.stage + 1 == self.manifest.stages.len() {
                self.state.status = Status::Complete;
                self.save()?;
                self.log(json!({"event": "complete"}))?;
                return Ok(Outcome::Complete);
            }
            self.state.stage += 1;
            self.state.stage_name = self.stage().name.clone();
            self.state.deployed = false;
            self.state.stage_started_at = None;
            self.state.consecutive_breaches = 0;
            self.save()?;
        }
    }

    /// Poll until the stage promotes (`None`) or the rollout ends.
    fn bake(&mut self, client: &Client, stage: &Stage, started: f64) -> Result<Option<Outcome>, Error> {
        let interval = self.settings.interval_seconds;
        let deadline = stage.deadline_seconds();
        loop {
            // Sleep the interval, looking for an abort request meanwhile.
            let wake = Instant::now() + Duration::from_secs_f64(interval);
            loop {
                if let Some(out) = self.aborted() {
                    return out.map(Some);
                }
                let left = wake.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                std::thread::sleep(left.min(Duration::from_millis(250)));
            }
            let at = now();
            let (observed, seen, problems) = self.observe(client, stage, at);
            let verdict = super::decide(self.manifest, &stage.name, &observed)?;
            let mut reasons = problems;
            reasons.extend(verdict.reasons.iter().cloned());
            let elapsed = at - started;
            let mut action = verdict.decision;
            if verdict.decision == Decision::Rollback {
                self.state.consecutive_breaches += 1;
                if self.state.consecutive_breaches < self.settings.failure_limit {
                    action = Decision::Hold;
                    reasons.push(format!(
                        "breach {} of failure-limit {}",
                        self.state.consecutive_breaches, self.settings.failure_limit
                    ));
                }
            } else {
                self.state.consecutive_breaches = 0;
            }
            if action == Decision::Hold && elapsed >= deadline {
                action = Decision::Rollback;
                reasons.insert(0, format!("no promote within max-wait-seconds ({deadline}s)"));
            }
            self.state.last_decision =
                Some(format!("{}{}", action.as_str(), reasons.first().map(|r| format!(": {r}")).unwrap_or_default()));
            // An abort that landed during this poll wins over its decision.
            if let Some(out) = self.aborted() {
                return out.map(Some);
            }
            self.log(json!({
                "decision": action.as_str(),
                "gate_decision": verdict.decision.as_str(),
                "reasons": reasons,
                "elapsed_seconds": elapsed,
                "min_bake_seconds": stage.min_bake_seconds,
                "deadline_seconds": deadline,
                "observed": seen,
                "verdict": verdict,
            }))?;
            self.save()?;
            match action {
                Decision::Promote => return Ok(None),
                Decision::Hold => {}
                Decision::Rollback => {
                    let why = reasons.first().cloned().unwrap_or_else(|| "rollback".to_owned());
                    return self.roll_back(&why, Status::RolledBack).map(Some);
                }
            }
        }
    }

    /// Query every gate (and each baseline gate's baseline) and the
    /// samples; returns what `decide` reads, what was seen (for the log),
    /// and the problems with the data.
    fn observe(&self, client: &Client, stage: &Stage, at: f64) -> (Observed, Vec<Value>, Vec<String>) {
        let max_age = 2.0 * self.settings.interval_seconds;
        let mut problems = Vec::new();
        let mut seen = Vec::new();
        let mut fetch = |name: &str, query: &str, share: bool, problems: &mut Vec<String>| -> Option<f64> {
            let (value, time, note) = match client.sample(query, at) {
                Err(e) => (None, None, Some(format!("{name}: query failed: {e}"))),
                Ok(s) => match (s.value, s.time) {
                    (Some(_), Some(t)) if at - t > max_age => (
                        None,
                        Some(t),
                        Some(format!(
                            "{name}: the newest sample is {:.1}s old, over two intervals ({max_age}s): no data",
                            at - t
                        )),
                    ),
                    (Some(v), t) => match out_of_range(name, v, share) {
                        Some(why) => (None, t, Some(format!("bad data: {why}"))),
                        None => (Some(v), t, None),
                    },
                    (None, t) => (None, t, None),
                },
            };
            seen.push(json!({"metric": name, "query": query, "value": value, "sample_time": time, "problem": note}));
            if let Some(n) = note {
                problems.push(n);
            }
            value
        };
        let mut observed =
            Observed { elapsed_seconds: Some(at - self.state.stage_started_at.unwrap_or(at)), ..Observed::default() };
        observed.samples = Some(match self.manifest.prometheus.as_ref().and_then(|p| p.samples_query.as_deref()) {
            Some(q) => fetch("samples", q, false, &mut problems).unwrap_or(0.0),
            None => 0.0,
        });
        for g in &stage.gates {
            if g.metric == REHEARSAL_METRIC {
                observed.metrics.insert(g.metric.clone(), Some(if self.state.rehearsed { 1.0 } else { 0.0 }));
                continue;
            }
            let Some(q) = &g.query else { continue };
            let value = fetch(&g.metric, q, g.share, &mut problems);
            observed.metrics.entry(g.metric.clone()).or_insert(value);
            // The bound (baseline × max_ratio + slack) is `decide`'s, as
            // for `gate`; a baseline without data is no data.
            if let Some(bq) = &g.baseline_query {
                let base = fetch(&format!("{}{BASELINE_SUFFIX}", g.metric), bq, g.share, &mut problems);
                observed.baselines.entry(g.metric.clone()).or_insert(base);
            }
        }
        (observed, seen, problems)
    }

    /// Restore the base: the rollback command, the deploy command with
    /// `CFGLINT_STAGE=rollback`, then verify the tree is at base.
    fn roll_back(&mut self, reason: &str, status: Status) -> Result<Outcome, Error> {
        let rb = &self.manifest.rollback;
        let done = self
            .shell(&rb.command, "rollback", 100.0, &rb.revision)
            .and_then(|()| self.shell(&self.opts.deploy, "rollback", 100.0, &rb.revision))
            .and_then(|()| self.verify(Side::Base));
        self.log(json!({"event": "rollback", "ok": done.is_ok(), "reason": reason, "detail": done.as_ref().err()}))?;
        self.state.status = status;
        self.state.reason = Some(reason.to_owned());
        if let Err(why) = done {
            self.state.status = Status::RollbackFailed;
            self.state.reason = Some(format!("{reason}; the rollback FAILED: {why}"));
            self.save()?;
            return Err(run_err(format!("{reason}; rolling back failed: {why}")));
        }
        self.save()?;
        Ok(Outcome::RolledBack { reason: reason.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollout::manifest::{Gate, Op, Percent, Prometheus, Risk, Rollback, SCHEMA};

    fn manifest(samples_query: Option<&str>, query: Option<&str>) -> Manifest {
        let mut gate = Gate::new("error_rate", Op::Le, 0.01, crate::rollout::manifest::OnFail::Rollback);
        gate.query = query.map(str::to_owned);
        Manifest {
            schema: SCHEMA.into(),
            base: "a".repeat(40),
            head: "b".repeat(40),
            risk: Risk::Low,
            waves: 1,
            emergency: None,
            inverts: None,
            changes: vec![],
            stages: vec![Stage {
                name: "full".into(),
                traffic_percent: Percent(100.0),
                min_bake_seconds: 1,
                min_samples: 10,
                rehearse_rollback: false,
                max_wait_seconds: None,
                gates: vec![gate],
            }],
            rollback: Rollback {
                revision: "a".repeat(40),
                command: "true".into(),
                forward_revision: "b".repeat(40),
                forward_command: "true".into(),
                rehearse_in_stage: None,
            },
            prometheus: Some(Prometheus {
                url: Some("http://127.0.0.1:1".into()),
                samples_query: samples_query.map(str::to_owned),
            }),
            run: None,
        }
    }

    /// What `run` cannot measure is refused before anything is deployed
    /// or any state is written.
    #[test]
    fn refuses_what_it_cannot_measure() {
        let dir = tempfile::tempdir().unwrap();
        let opts = Options {
            manifest_path: dir.path().join("m.toml"),
            manifest_bytes: b"m".to_vec(),
            deploy: "touch deployed".into(),
            prometheus: None,
            state: dir.path().join("state.json"),
            log: None,
            work_tree: dir.path().to_path_buf(),
            notify: None,
        };
        let e = run(&manifest(None, Some("q")), &opts).unwrap_err().to_string();
        assert!(e.contains("samples-query"), "{e}");
        let e = run(&manifest(Some("s"), None), &opts).unwrap_err().to_string();
        assert!(e.contains("has no query"), "{e}");
        assert!(!dir.path().join("state.json").exists() && !dir.path().join("deployed").exists());
    }
}
