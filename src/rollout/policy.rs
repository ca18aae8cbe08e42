//! The rollout policy: stages by risk, gates, the rollback command and
//! declared ordering constraints, read from cfglint.toml's `[rollout]` and
//! `[[order]]` sections with spans, so an error points at the key.
//!
//! Position: below [`super::plan`]; plain data plus validation.
//!
//! ```toml
//! [rollout]
//! rollback-command = "deploy.sh --rev {revision}"   # {revision} {paths} {from}
//! forward-command = "deploy.sh --rev {revision}"    # default: rollback-command
//!
//! [[rollout.gates]]              # gates of every stage that declares none
//! metric = "error_rate"
//! op = "<="
//! threshold = 0.001
//! on-fail = "rollback"           # rollback (default) | hold
//!
//! [[rollout.stages.high]]        # low | medium | high | emergency
//! name = "canary"
//! traffic-percent = 1
//! min-bake-seconds = 1800
//! min-samples = 5000
//! [[rollout.stages.high.gate]]   # replaces the default gates for this stage
//! metric = "p99_latency_ms"
//! op = "<="
//! threshold = 250
//! on-fail = "hold"
//!
//! [[order]]
//! before = "schemas/**"
//! after = "waf/**"
//! why = "rules validate against the schema"
//! ```
//!
//! Guarantees: every value is checked (percentages in (0, 100] and
//! strictly increasing, the last stage at 100%, unique names, known
//! operators and placeholders, globs that parse); unknown keys are errors.

use std::collections::BTreeSet;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::manifest::{Gate, MAX_TIMEOUT_SECONDS, OnFail, Op, Percent, Prometheus, Risk, RunSettings, Stage, short};
use crate::config::{self, Config};

/// A declared ordering constraint: changes matching `before` go in an
/// earlier wave than changes matching `after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRule {
    /// Glob over repository-relative paths.
    pub before: String,
    /// Glob over repository-relative paths.
    pub after: String,
    /// Why, as declared (optional).
    pub why: Option<String>,
    /// 1-based position among the `[[order]]` entries.
    pub index: usize,
}

/// The validated policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Stages for low-risk rollouts.
    pub low: Vec<Stage>,
    /// Stages for medium-risk rollouts.
    pub medium: Vec<Stage>,
    /// Stages for high-risk rollouts.
    pub high: Vec<Stage>,
    /// Stages for `--emergency` rollouts and for rollbacks.
    pub emergency: Vec<Stage>,
    /// The rollback command template (`None`: git, see [`git_command`]).
    pub rollback_command: Option<String>,
    /// The roll-forward command template (`None`: the rollback template).
    pub forward_command: Option<String>,
    /// `[[order]]` constraints.
    pub order: Vec<OrderRule>,
    /// `[rollout.prometheus]`, carried into the manifest.
    pub prometheus: Option<Prometheus>,
    /// `[rollout.run]`, carried into the manifest.
    pub run: Option<RunSettings>,
    /// `[rollout.prometheus] cpu-query`: the canary's CPU, for the default
    /// CPU gate (see [`Policy::plan_stages`]).
    pub cpu_query: Option<String>,
    /// `[rollout.prometheus] cpu-baseline-query`: the baseline's CPU.
    pub cpu_baseline_query: Option<String>,
    /// `[[rollout.gates]]` is written: no stage has the default gates.
    pub gates_written: bool,
    /// Stages with a `gate` list of their own: `(list, stage name)`, the
    /// list being `low`, `medium`, `high` or `emergency`.
    pub stage_gates_written: BTreeSet<(String, String)>,
}

/// The canary / baseline CPU ratio the default CPU gate allows.
pub const CPU_MAX_RATIO: f64 = 1.5;

/// The default CPU gate's metric name.
pub const CPU_METRIC: &str = "cpu";

/// The default command: put exactly the changed paths (index and work
/// tree) as they are at `revision`. Paths that exist there are restored
/// from it; paths that do not are removed. Idempotent: running it again,
/// or on a tree that is already there, succeeds and changes nothing (a
/// plain `git restore` of a path unknown to both the revision and the
/// index fails).
///
/// Safe: every path is literal (`git --literal-pathspecs`), so a file
/// named `waf/*.yaml` is that file and never a glob over its neighbours;
/// and before anything changes, each path must match `revision` or `from`
/// (the other side of the change): a path with uncommitted edits (content
/// that is in neither commit) makes the command refuse, naming the path,
/// instead of discarding the edit.
pub fn git_command(revision: &str, from: &str, present: &[String], absent: &[String]) -> String {
    let quote = |paths: &[String]| paths.iter().map(|p| shell_quote(p)).collect::<Vec<_>>().join(" ");
    let mut parts = Vec::new();
    if !present.is_empty() {
        parts.push(format!(
            "git --literal-pathspecs restore --source={revision} --staged --worktree -- {}",
            quote(present)
        ));
    }
    if !absent.is_empty() {
        parts.push(format!("git --literal-pathspecs rm -q -f --ignore-unmatch -- {}", quote(absent)));
    }
    if parts.is_empty() {
        return "true".to_owned();
    }
    let mut all: Vec<String> = present.iter().chain(absent).cloned().collect();
    all.sort();
    all.dedup();
    // `git diff --quiet REV -- p`: the work tree's `p` is as at REV (both
    // absent counts). POSIX sh, no `exit` (the command may be pasted into
    // an interactive shell).
    let guard = format!(
        "ok=1; for p in {}; do git --literal-pathspecs diff --quiet {revision} -- \"$p\" || git --literal-pathspecs diff --quiet {from} -- \"$p\" || {{ printf 'refusing: %s has uncommitted edits (it matches neither {} nor {}); commit or stash them, then run this again\\n' \"$p\" >&2; ok=0; }}; done; [ \"$ok\" = 1 ]",
        quote(&all),
        short(revision),
        short(from),
    );
    format!("{guard} && {}", parts.join(" && "))
}

/// The gate every rehearsal stage gets: the pipeline reports
/// `rollback_rehearsed = 1` once it has rolled back and forward.
pub const REHEARSAL_METRIC: &str = "rollback_rehearsed";

/// The default gates: the error rate rolls back (a universal signal);
/// p99 latency holds (its budget is specific to each service, so a
/// breach asks for a person until it is configured).
pub fn default_gates() -> Vec<Gate> {
    vec![
        Gate::new("error_rate", Op::Le, 0.001, OnFail::Rollback),
        Gate::new("p99_latency_ms", Op::Le, 500.0, OnFail::Hold),
    ]
}

fn stage(name: &str, percent: f64, bake: u64, samples: u64) -> Stage {
    Stage {
        name: name.to_owned(),
        traffic_percent: Percent(percent),
        min_bake_seconds: bake,
        min_samples: samples,
        rehearse_rollback: false,
        max_wait_seconds: None,
        gates: default_gates(),
    }
}

impl Default for Policy {
    /// low: 10% for 10 min, then 100%; medium: 5% → 25% → 100%, 15 min
    /// each; high: 1% → 10% → 50% → 100%, 30 min each and an hour at
    /// 100%; emergency: 10% for 5 min, then 100%.
    fn default() -> Self {
        Policy {
            low: vec![stage("canary", 10.0, 600, 1_000), stage("full", 100.0, 600, 1_000)],
            medium: vec![
                stage("canary", 5.0, 900, 2_000),
                stage("partial", 25.0, 900, 2_000),
                stage("full", 100.0, 900, 2_000),
            ],
            high: vec![
                stage("canary", 1.0, 1_800, 5_000),
                stage("early", 10.0, 1_800, 5_000),
                stage("half", 50.0, 1_800, 5_000),
                stage("full", 100.0, 3_600, 5_000),
            ],
            emergency: vec![stage("canary", 10.0, 300, 500), stage("full", 100.0, 300, 500)],
            rollback_command: None,
            forward_command: None,
            order: Vec::new(),
            prometheus: None,
            run: None,
            cpu_query: None,
            cpu_baseline_query: None,
            gates_written: false,
            stage_gates_written: BTreeSet::new(),
        }
    }
}

impl Policy {
    /// The stages for a rollout of this risk (none when blocked). The first
    /// stage rehearses the rollback when `rehearse` is set, and gets the
    /// `rollback_rehearsed >= 1` gate.
    pub fn stages(&self, risk: Risk, emergency: bool, rehearse: bool) -> Vec<Stage> {
        let mut stages = match (risk, emergency) {
            (Risk::Blocked, _) => return Vec::new(),
            (_, true) => self.emergency.clone(),
            (Risk::Low, false) => self.low.clone(),
            (Risk::Medium, false) => self.medium.clone(),
            (Risk::High, false) => self.high.clone(),
        };
        if rehearse && let Some(first) = stages.first_mut() {
            first.rehearse_rollback = true;
            if !first.gates.iter().any(|g| g.metric == REHEARSAL_METRIC) {
                first.gates.push(Gate::new(REHEARSAL_METRIC, Op::Ge, 1.0, OnFail::Hold));
            }
        }
        stages
    }

    /// The stages for a change, with the notes the plan shows: as
    /// [`Policy::stages`], and when the change adds or modifies regexes,
    /// the default CPU gate on every stage below 100% of traffic that has
    /// the default gates (at 100% no baseline is left to compare with):
    /// `cpu <= baseline × CPU_MAX_RATIO`, rolling back, read from
    /// `cpu-query` and `cpu-baseline-query`. A regex's cost shows as CPU
    /// long before it shows as errors. When the change touches regexes
    /// and no stage compares canary to baseline, a note says why (a
    /// missing setting, or gates written in cfglint.toml replacing the
    /// default ones): never silently.
    pub fn plan_stages(
        &self,
        risk: Risk,
        emergency: bool,
        rehearse: bool,
        touches_regexes: bool,
    ) -> (Vec<Stage>, Vec<String>) {
        let mut stages = self.stages(risk, emergency, rehearse);
        let mut notes = Vec::new();
        if !touches_regexes || stages.is_empty() {
            return (stages, notes);
        }
        let list = match (risk, emergency) {
            (_, true) => "emergency",
            (Risk::Low, false) => "low",
            (Risk::Medium, false) => "medium",
            _ => "high",
        };
        let default_gates =
            |s: &Stage| !self.gates_written && !self.stage_gates_written.contains(&(list.to_owned(), s.name.clone()));
        let defaulted = |s: &Stage| default_gates(s) && s.traffic_percent.0 < 100.0;
        if let (Some(q), Some(bq)) = (&self.cpu_query, &self.cpu_baseline_query) {
            let mut gate = Gate::new(CPU_METRIC, Op::Le, 0.0, OnFail::Rollback);
            gate.query = Some(q.clone());
            gate.baseline_query = Some(bq.clone());
            gate.max_ratio = Some(CPU_MAX_RATIO);
            for s in stages.iter_mut().filter(|s| defaulted(s)) {
                let at = s.gates.iter().position(|g| g.metric == REHEARSAL_METRIC).unwrap_or(s.gates.len());
                s.gates.insert(at, gate.clone());
            }
        }
        if stages.iter().any(|s| s.gates.iter().any(|g| g.baseline_query.is_some())) {
            return (stages, notes);
        }
        let missing: Vec<&str> = [("cpu-query", &self.cpu_query), ("cpu-baseline-query", &self.cpu_baseline_query)]
            .into_iter()
            .filter(|(_, v)| v.is_none())
            .map(|(k, _)| k)
            .collect();
        if !missing.is_empty() && stages.iter().any(default_gates) {
            notes.push(format!(
                "regexes are added or modified, but no stage compares the canary's CPU with the baseline's: \
                 set {} under [rollout.prometheus] (PromQL for each side's CPU) and the default policy adds a \
                 `cpu` gate (canary <= baseline × {CPU_MAX_RATIO}) to every stage below 100%",
                missing.join(" and ")
            ));
        } else if !stages.iter().any(|s| s.traffic_percent.0 < 100.0) {
            notes.push(
                "regexes are added or modified, but every stage is at 100% of traffic: there is no baseline to \
                 compare the canary's CPU with"
                    .to_owned(),
            );
        } else {
            notes.push(
                "regexes are added or modified, but no stage compares canary to baseline: the gates written in \
                 cfglint.toml replace every default gate, the CPU gate included; add a gate with `baseline-query` \
                 and `max-ratio` (CPU is where a regex's cost shows first)"
                    .to_owned(),
            );
        }
        (stages, notes)
    }

    /// The one stage of an inverse manifest (`cfglint rollback`): straight
    /// to 100%, since re-staging a rollback keeps the bad change live on
    /// most of the traffic. Its bake time, sample count and gates are the
    /// emergency list's last stage's: post-rollback checks. Every gate
    /// holds on a breach (a person decides), never rolls back: rolling back
    /// a rollback would re-apply the change being removed.
    pub fn rollback_stages(&self) -> Vec<Stage> {
        let last = self.emergency.last().cloned().unwrap_or_else(|| stage("full", 100.0, 300, 500));
        vec![Stage {
            name: "rollback".to_owned(),
            traffic_percent: Percent(100.0),
            min_bake_seconds: last.min_bake_seconds,
            min_samples: last.min_samples,
            max_wait_seconds: last.max_wait_seconds,
            rehearse_rollback: false,
            gates: last
                .gates
                .into_iter()
                .filter(|g| g.metric != REHEARSAL_METRIC)
                .map(|g| Gate { on_fail: OnFail::Hold, ..g })
                .collect(),
        }]
    }

    /// Read the policy from a loaded configuration (the defaults when it
    /// has no `[rollout]` / `[[order]]`).
    pub fn from_config(config: &Config) -> Result<Policy, config::Error> {
        let name = config.path.as_deref().map_or_else(|| "cfglint.toml".to_owned(), |p| p.display().to_string());
        Policy::parse(&name, &config.text)
    }

    /// Read the policy from cfglint.toml text.
    pub fn parse(name: &str, text: &str) -> Result<Policy, config::Error> {
        let invalid = |message: String, span: Option<Range<usize>>| config::Error::Invalid {
            message,
            src: miette::NamedSource::new(name, text.to_owned()),
            span: span.map(|r| (r.start, r.end.saturating_sub(r.start)).into()),
        };
        if text.trim().is_empty() {
            return Ok(Policy::default());
        }
        let file: RawFile = toml::from_str(text).map_err(|e| invalid(e.message().to_owned(), e.span()))?;
        let mut policy = Policy::default();
        if let Some(rollout) = file.rollout {
            let mut builtin = default_gates();
            if let Some(p) = &rollout.prometheus {
                for g in &mut builtin {
                    let q = if g.metric == "error_rate" { &p.error_rate_query } else { &p.p99_latency_ms_query };
                    if let Some(q) = q {
                        g.query = Some(q.get_ref().clone());
                        g.share = g.metric == "error_rate";
                    }
                }
            }
            policy.gates_written = rollout.gates.is_some();
            let default_gates = match &rollout.gates {
                Some(gates) => gates.iter().map(|g| gate(g, &invalid)).collect::<Result<Vec<_>, _>>()?,
                None => builtin,
            };
            if let Some(cmd) = &rollout.rollback_command {
                check_template(cmd, &invalid)?;
                policy.rollback_command = Some(cmd.get_ref().clone());
            }
            if let Some(cmd) = &rollout.forward_command {
                check_template(cmd, &invalid)?;
                policy.forward_command = Some(cmd.get_ref().clone());
            }
            if let Some(p) = &rollout.prometheus {
                for q in [
                    &p.url,
                    &p.samples_query,
                    &p.error_rate_query,
                    &p.p99_latency_ms_query,
                    &p.cpu_query,
                    &p.cpu_baseline_query,
                ]
                .into_iter()
                .flatten()
                {
                    if q.get_ref().trim().is_empty() {
                        return Err(invalid("must not be empty".to_owned(), Some(q.span())));
                    }
                }
                policy.prometheus = Some(Prometheus {
                    url: p.url.as_ref().map(|u| u.get_ref().clone()),
                    samples_query: p.samples_query.as_ref().map(|q| q.get_ref().clone()),
                });
                policy.cpu_query = p.cpu_query.as_ref().map(|q| q.get_ref().clone());
                policy.cpu_baseline_query = p.cpu_baseline_query.as_ref().map(|q| q.get_ref().clone());
            }
            if let Some(r) = &rollout.run {
                let mut run = RunSettings::default();
                if let Some(i) = &r.interval_seconds {
                    if !(i.get_ref().is_finite() && *i.get_ref() > 0.0) {
                        return Err(invalid("interval-seconds must be a number > 0".to_owned(), Some(i.span())));
                    }
                    run.interval_seconds = *i.get_ref();
                }
                if let Some(l) = &r.failure_limit {
                    run.failure_limit = u32::try_from(*l.get_ref()).ok().filter(|n| *n >= 1).ok_or_else(|| {
                        invalid("failure-limit must be a whole number ≥ 1".to_owned(), Some(l.span()))
                    })?;
                }
                if let Some(n) = &r.notify {
                    if n.get_ref().trim().is_empty() {
                        return Err(invalid("the notify command is empty".to_owned(), Some(n.span())));
                    }
                    run.notify = Some(n.get_ref().clone());
                }
                for (v, slot, what) in [
                    (&r.command_timeout_seconds, &mut run.command_timeout_seconds, "command-timeout-seconds"),
                    (&r.notify_timeout_seconds, &mut run.notify_timeout_seconds, "notify-timeout-seconds"),
                ] {
                    if let Some(v) = v {
                        let x = *v.get_ref();
                        if !(x.is_finite() && x > 0.0 && x <= MAX_TIMEOUT_SECONDS) {
                            return Err(invalid(
                                format!("{what} must be a number > 0 and at most {MAX_TIMEOUT_SECONDS} (a week)"),
                                Some(v.span()),
                            ));
                        }
                        *slot = Some(x);
                    }
                }
                policy.run = Some(run);
            }
            let stages = rollout.stages.unwrap_or_default();
            for (list, slot, raw) in [
                ("low", &mut policy.low, stages.low),
                ("medium", &mut policy.medium, stages.medium),
                ("high", &mut policy.high, stages.high),
                ("emergency", &mut policy.emergency, stages.emergency),
            ] {
                match raw {
                    Some(raw) => {
                        *slot = stage_list(&raw, &default_gates, &invalid)?;
                        for s in raw.get_ref().iter().filter(|s| s.get_ref().gate.is_some()) {
                            policy.stage_gates_written.insert((list.to_owned(), s.get_ref().name.get_ref().clone()));
                        }
                    }
                    None => {
                        for s in slot.iter_mut() {
                            s.gates.clone_from(&default_gates);
                        }
                    }
                }
            }
        }
        for (i, raw) in file.order.unwrap_or_default().iter().enumerate() {
            for g in [&raw.get_ref().before, &raw.get_ref().after] {
                check_glob(g, &invalid)?;
            }
            policy.order.push(OrderRule {
                before: raw.get_ref().before.get_ref().clone(),
                after: raw.get_ref().after.get_ref().clone(),
                why: raw.get_ref().why.clone(),
                index: i + 1,
            });
        }
        Ok(policy)
    }
}

type Invalid<'a> = dyn Fn(String, Option<Range<usize>>) -> config::Error + 'a;

/// The part of cfglint.toml this module reads (other keys belong to
/// `config` and were validated there).
#[derive(Debug, Deserialize)]
struct RawFile {
    rollout: Option<RawRollout>,
    order: Option<Vec<Spanned<RawOrder>>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawRollout {
    rollback_command: Option<Spanned<String>>,
    forward_command: Option<Spanned<String>>,
    gates: Option<Vec<Spanned<RawGate>>>,
    stages: Option<RawStages>,
    prometheus: Option<RawPrometheus>,
    run: Option<RawRun>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawPrometheus {
    url: Option<Spanned<String>>,
    samples_query: Option<Spanned<String>>,
    error_rate_query: Option<Spanned<String>>,
    p99_latency_ms_query: Option<Spanned<String>>,
    cpu_query: Option<Spanned<String>>,
    cpu_baseline_query: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawRun {
    interval_seconds: Option<Spanned<f64>>,
    failure_limit: Option<Spanned<i64>>,
    notify: Option<Spanned<String>>,
    command_timeout_seconds: Option<Spanned<f64>>,
    notify_timeout_seconds: Option<Spanned<f64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStages {
    low: Option<Spanned<Vec<Spanned<RawStage>>>>,
    medium: Option<Spanned<Vec<Spanned<RawStage>>>>,
    high: Option<Spanned<Vec<Spanned<RawStage>>>>,
    emergency: Option<Spanned<Vec<Spanned<RawStage>>>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawStage {
    name: Spanned<String>,
    traffic_percent: Spanned<f64>,
    min_bake_seconds: Option<Spanned<i64>>,
    min_samples: Option<Spanned<i64>>,
    max_wait_seconds: Option<Spanned<f64>>,
    gate: Option<Vec<Spanned<RawGate>>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawGate {
    metric: Spanned<String>,
    op: Spanned<String>,
    threshold: Spanned<f64>,
    on_fail: Option<Spanned<String>>,
    query: Option<Spanned<String>>,
    share: Option<bool>,
    baseline_query: Option<Spanned<String>>,
    max_ratio: Option<Spanned<f64>>,
    slack: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOrder {
    before: Spanned<String>,
    after: Spanned<String>,
    why: Option<String>,
}

fn is_metric_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':' || c == '.' || c == '-')
}

fn gate(raw: &Spanned<RawGate>, invalid: &Invalid<'_>) -> Result<Gate, config::Error> {
    let g = raw.get_ref();
    if !is_metric_name(g.metric.get_ref()) {
        return Err(invalid(
            format!("metric name `{}`: use letters, digits, `_`, `:`, `.` or `-`", g.metric.get_ref()),
            Some(g.metric.span()),
        ));
    }
    let op = Op::parse(g.op.get_ref()).ok_or_else(|| {
        invalid(format!("unknown operator `{}` (expected <=, <, >= or >)", g.op.get_ref()), Some(g.op.span()))
    })?;
    if !g.threshold.get_ref().is_finite() {
        return Err(invalid("the threshold must be a finite number".to_owned(), Some(g.threshold.span())));
    }
    let on_fail = match g.on_fail.as_ref().map(|s| (s.get_ref().as_str(), s.span())) {
        None | Some(("rollback", _)) => OnFail::Rollback,
        Some(("hold", _)) => OnFail::Hold,
        Some((other, span)) => {
            return Err(invalid(format!("unknown on-fail `{other}` (expected rollback or hold)"), Some(span)));
        }
    };
    for q in [&g.query, &g.baseline_query].into_iter().flatten() {
        if q.get_ref().trim().is_empty() {
            return Err(invalid("the query is empty".to_owned(), Some(q.span())));
        }
    }
    for v in [&g.max_ratio, &g.slack].into_iter().flatten() {
        if !(v.get_ref().is_finite() && *v.get_ref() >= 0.0) {
            return Err(invalid("must be a number ≥ 0".to_owned(), Some(v.span())));
        }
    }
    if g.baseline_query.is_some() != g.max_ratio.is_some() {
        return Err(invalid(
            "baseline-query and max-ratio go together (the gate holds when canary ≤ baseline × max-ratio + slack)"
                .to_owned(),
            Some(raw.span()),
        ));
    }
    let mut out = Gate::new(g.metric.get_ref(), op, *g.threshold.get_ref(), on_fail);
    out.query = g.query.as_ref().map(|q| q.get_ref().clone());
    out.share = g.share.unwrap_or(false);
    out.baseline_query = g.baseline_query.as_ref().map(|q| q.get_ref().clone());
    out.max_ratio = g.max_ratio.as_ref().map(|v| *v.get_ref());
    out.slack = g.slack.as_ref().map(|v| *v.get_ref());
    Ok(out)
}

fn stage_list(
    raw: &Spanned<Vec<Spanned<RawStage>>>,
    default_gates: &[Gate],
    invalid: &Invalid<'_>,
) -> Result<Vec<Stage>, config::Error> {
    if raw.get_ref().is_empty() {
        return Err(invalid("a stage list needs at least one stage".to_owned(), Some(raw.span())));
    }
    let mut out = Vec::new();
    let mut names = BTreeSet::new();
    let mut last_percent = 0.0;
    for s in raw.get_ref() {
        let r = s.get_ref();
        let name = r.name.get_ref();
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(invalid(format!("stage name `{name}`: use letters, digits, `-` or `_`"), Some(r.name.span())));
        }
        if !names.insert(name.clone()) {
            return Err(invalid(format!("stage name `{name}` is used twice"), Some(r.name.span())));
        }
        let percent = *r.traffic_percent.get_ref();
        if !(percent > 0.0 && percent <= 100.0) {
            return Err(invalid(
                format!("traffic-percent {percent} is not in (0, 100]"),
                Some(r.traffic_percent.span()),
            ));
        }
        if percent <= last_percent {
            return Err(invalid(
                format!("traffic-percent {percent} does not grow (the stage before has {last_percent})"),
                Some(r.traffic_percent.span()),
            ));
        }
        last_percent = percent;
        let non_negative = |v: &Option<Spanned<i64>>, what: &str| -> Result<u64, config::Error> {
            match v {
                None => Ok(0),
                Some(v) => u64::try_from(*v.get_ref())
                    .map_err(|_| invalid(format!("{what} must not be negative"), Some(v.span()))),
            }
        };
        let gates = match &r.gate {
            Some(gates) => gates.iter().map(|g| gate(g, invalid)).collect::<Result<Vec<_>, _>>()?,
            None => default_gates.to_vec(),
        };
        out.push(Stage {
            name: name.clone(),
            traffic_percent: Percent(percent),
            min_bake_seconds: non_negative(&r.min_bake_seconds, "min-bake-seconds")?,
            min_samples: non_negative(&r.min_samples, "min-samples")?,
            rehearse_rollback: false,
            max_wait_seconds: match &r.max_wait_seconds {
                None => None,
                Some(w) if w.get_ref().is_finite() && *w.get_ref() > 0.0 => Some(*w.get_ref()),
                Some(w) => return Err(invalid("max-wait-seconds must be a number > 0".to_owned(), Some(w.span()))),
            },
            gates,
        });
    }
    if last_percent < 100.0 {
        let span = raw.get_ref().last().map(|s| s.get_ref().traffic_percent.span());
        return Err(invalid("the last stage must reach 100% of traffic".to_owned(), span));
    }
    Ok(out)
}

/// Placeholders a command template may use.
const PLACEHOLDERS: [&str; 3] = ["revision", "paths", "from"];

fn check_template(cmd: &Spanned<String>, invalid: &Invalid<'_>) -> Result<(), config::Error> {
    let s = cmd.get_ref();
    if s.trim().is_empty() {
        return Err(invalid("the command is empty".to_owned(), Some(cmd.span())));
    }
    let mut rest = s.as_str();
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        let name = &after[..close];
        if name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') && !PLACEHOLDERS.contains(&name) {
            return Err(invalid(
                format!("unknown placeholder `{{{name}}}` (expected {{revision}}, {{paths}} or {{from}})"),
                Some(cmd.span()),
            ));
        }
        rest = &after[close + 1..];
    }
    if !s.contains("{revision}") {
        return Err(invalid(
            "the command must name the revision it restores: use `{revision}`".to_owned(),
            Some(cmd.span()),
        ));
    }
    Ok(())
}

fn check_glob(g: &Spanned<String>, invalid: &Invalid<'_>) -> Result<(), config::Error> {
    let s = g.get_ref();
    if s.trim().is_empty() {
        return Err(invalid("the glob is empty".to_owned(), Some(g.span())));
    }
    // A class must close: `[abc]`.
    let mut depth_open = false;
    for c in s.chars() {
        match c {
            '[' if !depth_open => depth_open = true,
            ']' => depth_open = false,
            _ => {}
        }
    }
    if depth_open {
        return Err(invalid(format!("glob `{s}` has a `[` class that does not close"), Some(g.span())));
    }
    Ok(())
}

/// Quote a path for a POSIX shell when it needs it.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"/._-+=:,@%".contains(&b)) {
        return s.to_owned();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

impl Policy {
    /// The rollback and roll-forward commands for a change from `base` to
    /// `head`. `paths` are `(path, exists at base, exists at head)`.
    pub fn commands(&self, base: &str, head: &str, paths: &[(String, bool, bool)]) -> (String, String) {
        let all: Vec<String> = paths.iter().map(|(p, _, _)| p.clone()).collect();
        let side = |want: bool, at: fn(&(String, bool, bool)) -> bool| -> Vec<String> {
            paths.iter().filter(|x| at(x) == want).map(|(p, _, _)| p.clone()).collect()
        };
        let back = match &self.rollback_command {
            Some(t) => render_command(t, base, head, &all),
            None => git_command(base, head, &side(true, |x| x.1), &side(false, |x| x.1)),
        };
        let forward = match self.forward_command.as_ref().or(self.rollback_command.as_ref()) {
            Some(t) => render_command(t, head, base, &all),
            None => git_command(head, base, &side(true, |x| x.2), &side(false, |x| x.2)),
        };
        (back, forward)
    }
}

/// Fill a command template.
pub fn render_command(template: &str, revision: &str, from: &str, paths: &[String]) -> String {
    let quoted: Vec<String> = paths.iter().map(|p| shell_quote(p)).collect();
    template.replace("{revision}", revision).replace("{from}", from).replace("{paths}", &quoted.join(" "))
}

/// Does a repository-relative path match an `[[order]]` glob?
pub fn glob_matches(glob: &str, path: &str) -> bool {
    crate::source::kinds::glob_matches(glob, path)
}

impl OrderRule {
    /// The rule in words, for `depends_on` explanations.
    pub fn describe(&self) -> String {
        let mut s = format!("[[order]] #{} in cfglint.toml: `{}` before `{}`", self.index, self.before, self.after);
        if let Some(why) = &self.why {
            s.push_str(" (");
            s.push_str(why);
            s.push(')');
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> (String, usize) {
        match Policy::parse("cfglint.toml", text) {
            Err(config::Error::Invalid { message, span, .. }) => (message, span.map_or(usize::MAX, |s| s.offset())),
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn defaults_and_rehearsal() {
        let p = Policy::default();
        let high = p.stages(Risk::High, false, true);
        let pct: Vec<f64> = high.iter().map(|s| s.traffic_percent.0).collect();
        assert_eq!(pct, [1.0, 10.0, 50.0, 100.0]);
        assert!(high[0].rehearse_rollback && !high[1].rehearse_rollback);
        assert!(high[0].gates.iter().any(|g| g.metric == REHEARSAL_METRIC && g.on_fail == OnFail::Hold));
        assert!(p.stages(Risk::Blocked, false, true).is_empty());
        assert_eq!(p.stages(Risk::High, true, false).len(), 2, "emergency compresses");
        assert!((p.stages(Risk::Low, false, false)[0].traffic_percent.0 - 10.0).abs() < f64::EPSILON);
    }

    #[test]
    fn parses_a_full_policy() {
        let text = r#"
fail-on = "warning"
[rollout]
rollback-command = "deploy.sh --rev {revision} {paths}"
[[rollout.gates]]
metric = "error_rate"
op = "<"
threshold = 0.01
[[rollout.stages.high]]
name = "one"
traffic-percent = 0.5
min-bake-seconds = 60
[[rollout.stages.high.gate]]
metric = "p99_latency_ms"
op = "<="
threshold = 250
on-fail = "hold"
[[rollout.stages.high]]
name = "all"
traffic-percent = 100
[[order]]
before = "schemas/**"
after = "waf/*.yaml"
why = "rules validate against the schema"
"#;
        let p = Policy::parse("cfglint.toml", text).unwrap();
        assert_eq!(p.high.len(), 2);
        assert!((p.high[0].traffic_percent.0 - 0.5).abs() < f64::EPSILON);
        assert_eq!(p.high[0].gates[0].on_fail, OnFail::Hold);
        assert_eq!(p.high[1].gates[0].op, Op::Lt, "default gates from [[rollout.gates]]");
        assert_eq!(p.low[0].gates.len(), 1, "[[rollout.gates]] replaces the built-in gates everywhere");
        assert_eq!(p.forward_command, None);
        assert_eq!(p.order[0].index, 1);
        let paths = [("a b".to_owned(), true, true), ("c".to_owned(), false, true)];
        let (back, fwd) = p.commands("abc", "def", &paths);
        assert_eq!(back, "deploy.sh --rev abc 'a b' c");
        assert_eq!(fwd, "deploy.sh --rev def 'a b' c");
        let (back, fwd) = Policy::default().commands("abc", "def", &paths);
        assert!(
            back.ends_with(
                " && git --literal-pathspecs restore --source=abc --staged --worktree -- 'a b' && git --literal-pathspecs rm -q -f --ignore-unmatch -- c"
            ),
            "{back}"
        );
        assert!(back.starts_with("ok=1; for p in 'a b' c; do git --literal-pathspecs diff --quiet abc -- \"$p\" || git --literal-pathspecs diff --quiet def -- "), "{back}");
        assert!(
            fwd.ends_with(" && git --literal-pathspecs restore --source=def --staged --worktree -- 'a b' c"),
            "{fwd}"
        );
        assert_eq!(Policy::default().commands("a", "b", &[]).0, "true");
    }

    #[test]
    fn errors_point_at_the_key() {
        let text = "[rollout]\n[[rollout.stages.low]]\nname = \"a\"\ntraffic-percent = 150\n";
        let (m, at) = err(text);
        assert!(m.contains("150"), "{m}");
        assert_eq!(at, text.find("150").unwrap());
        let text = "[rollout]\n[[rollout.stages.low]]\nname = \"a\"\ntraffic_percent = 10\n";
        let (m, _) = err(text);
        assert!(m.contains("traffic_percent"), "{m}");
        let text = "[rollout]\n[[rollout.stages.low]]\nname = \"a\"\ntraffic-percent = 10\n";
        assert!(err(text).0.contains("100%"));
        let text = "[rollout]\n[[rollout.gates]]\nmetric = \"x\"\nop = \"==\"\nthreshold = 1\n";
        let (m, at) = err(text);
        assert!(m.contains("=="));
        assert_eq!(at, text.find("\"==\"").unwrap());
        let text = "[rollout]\nrollback-command = \"deploy {rev}\"\n";
        assert!(err(text).0.contains("{rev}"));
        let text = "[[order]]\nbefore = \"a/[x\"\nafter = \"b\"\n";
        assert!(err(text).0.contains("class"));
        let text = "[[order]]\nbefore = \"a\"\n";
        assert!(err(text).0.contains("after"));
        let text = "[rollout]\n[[rollout.stages.low]]\nname = \"a\"\ntraffic-percent = 50\n[[rollout.stages.low]]\nname = \"a\"\ntraffic-percent = 100\n";
        assert!(err(text).0.contains("twice"));
        let text = "[rollout]\n[[rollout.stages.low]]\nname = \"a\"\ntraffic-percent = 50\n[[rollout.stages.low]]\nname = \"b\"\ntraffic-percent = 40\n";
        assert!(err(text).0.contains("grow"));
    }

    /// The controller's contract (issue 16) and the docs' example of it.
    #[test]
    fn controller_contract_from_the_docs() {
        let doc = include_str!("../../docs/rollout.md");
        let section = doc.split("### Configuration (cfglint.toml, carried into the manifest)").nth(1).unwrap();
        let block = section.split("```toml\n").nth(1).and_then(|b| b.split("```").next()).unwrap();
        let p = Policy::parse("cfglint.toml", block).unwrap();
        assert_eq!(p.prometheus.as_ref().and_then(|x| x.url.as_deref()), Some("http://127.0.0.1:9090"));
        assert!(p.prometheus.as_ref().and_then(|x| x.samples_query.as_deref()).is_some_and(|q| q.contains("increase")));
        let run = p.run.clone().unwrap();
        assert!((run.interval_seconds - 15.0).abs() < f64::EPSILON);
        assert_eq!(run.failure_limit, 1);
        assert_eq!((run.command_timeout().as_secs(), run.notify_timeout().as_secs()), (600, 30));
        let canary = &p.low[0];
        assert_eq!(canary.max_wait_seconds, Some(1800.0));
        assert!((canary.deadline_seconds() - 1800.0).abs() < f64::EPSILON);
        assert_eq!(canary.gates.len(), 2, "gates in cfglint.toml replace every default gate");
        assert!(canary.gates[0].query.as_deref().is_some_and(|q| q.contains("5..")) && canary.gates[0].share);
        assert_eq!(canary.gates[1].max_ratio, Some(1.2));
        assert!((p.medium[0].deadline_seconds() - 2700.0).abs() < f64::EPSILON, "default: 3× the bake");
        for (bad, says) in [
            ("[rollout.run]\ninterval-seconds = 0\n", "interval-seconds"),
            ("[rollout.run]\nfailure-limit = 0\n", "failure-limit"),
            ("[rollout.prometheus]\nurl = \"\"\n", "empty"),
            ("[rollout.prometheus]\nquery = \"x\"\n", "query"),
            ("[[rollout.gates]]\nmetric = \"c\"\nop = \"<=\"\nthreshold = 0\nbaseline-query = \"b\"\n", "max-ratio"),
            (
                "[rollout]\n[[rollout.stages.low]]\nname = \"a\"\ntraffic-percent = 100\nmax-wait-seconds = -1\n",
                "max-wait-seconds",
            ),
        ] {
            assert!(err(bad).0.contains(says), "{bad}: {:?}", err(bad));
        }
    }

    /// The default CPU gate (issue 16): added for changes that touch
    /// regexes, on stages below 100% that keep the default gates, when
    /// both queries are set; otherwise a note names what is missing.
    #[test]
    fn default_cpu_gate_and_its_notes() {
        let both = "[rollout.prometheus]\ncpu-query = 'c'\ncpu-baseline-query = 'b'\nerror-rate-query = 'e'\n";
        let p = Policy::parse("cfglint.toml", both).unwrap();
        let (stages, notes) = p.plan_stages(Risk::High, false, true, true);
        assert!(notes.is_empty(), "{notes:?}");
        for s in &stages {
            let cpu = s.gates.iter().find(|g| g.metric == CPU_METRIC);
            if s.traffic_percent.0 < 100.0 {
                let cpu = cpu.unwrap_or_else(|| panic!("stage {} has no cpu gate", s.name));
                assert_eq!((cpu.query.as_deref(), cpu.baseline_query.as_deref()), (Some("c"), Some("b")));
                assert_eq!((cpu.max_ratio, cpu.on_fail, cpu.op), (Some(CPU_MAX_RATIO), OnFail::Rollback, Op::Le));
            } else {
                assert!(cpu.is_none(), "no baseline at 100%");
            }
            // The default gates read their queries from [rollout.prometheus].
            let e = s.gates.iter().find(|g| g.metric == "error_rate").unwrap();
            assert!(e.query.as_deref() == Some("e") && e.share);
        }
        assert_eq!(stages[0].gates.last().unwrap().metric, REHEARSAL_METRIC);
        // No regex touched: no CPU gate, no note.
        let (stages, notes) = p.plan_stages(Risk::High, false, true, false);
        assert!(notes.is_empty() && stages.iter().all(|s| s.gates.iter().all(|g| g.metric != CPU_METRIC)));
        // A missing query: no gate, and a note that names it.
        let one = Policy::parse("cfglint.toml", "[rollout.prometheus]\ncpu-query = 'c'\n").unwrap();
        let (stages, notes) = one.plan_stages(Risk::Medium, false, true, true);
        assert!(stages.iter().all(|s| s.gates.iter().all(|g| g.metric != CPU_METRIC)));
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("cpu-baseline-query") && !notes[0].contains("cpu-query and"), "{notes:?}");
        let (_, notes) = Policy::default().plan_stages(Risk::Low, false, true, true);
        assert!(notes[0].contains("cpu-query and cpu-baseline-query"), "{notes:?}");
        // Written gates replace every default gate, this one included.
        let written = format!("{both}[[rollout.gates]]\nmetric = \"x\"\nop = \"<=\"\nthreshold = 1\n");
        let (stages, notes) = Policy::parse("t", &written).unwrap().plan_stages(Risk::Low, false, true, true);
        assert!(stages.iter().all(|s| s.gates.iter().all(|g| g.metric != CPU_METRIC)));
        assert!(notes[0].contains("replace every default gate"), "{notes:?}");
        // A stage's own gate list replaces them for that stage only.
        let own = format!(
            "{both}[[rollout.stages.low]]\nname = \"a\"\ntraffic-percent = 5\n[[rollout.stages.low.gate]]\nmetric = \"x\"\nop = \"<=\"\nthreshold = 1\n\
             [[rollout.stages.low]]\nname = \"b\"\ntraffic-percent = 50\n[[rollout.stages.low]]\nname = \"c\"\ntraffic-percent = 100\n"
        );
        let (stages, notes) = Policy::parse("t", &own).unwrap().plan_stages(Risk::Low, false, false, true);
        let has = |i: usize| stages[i].gates.iter().any(|g| g.metric == CPU_METRIC);
        assert_eq!((has(0), has(1), has(2)), (false, true, false));
        assert!(notes.is_empty(), "{notes:?}");
    }

    /// The docs' default-CPU-gate example configures it, and the note they
    /// quote is the one the plan shows.
    #[test]
    fn default_cpu_gate_from_the_docs() {
        let doc = include_str!("../../docs/rollout.md");
        let section = doc.split("**The default CPU gate.**").nth(1).unwrap();
        let block = section.split("```toml\n").nth(1).and_then(|b| b.split("```").next()).unwrap();
        let p = Policy::parse("cfglint.toml", block).unwrap();
        let (stages, notes) = p.plan_stages(Risk::Medium, false, true, true);
        assert!(notes.is_empty(), "{notes:?}");
        assert!(stages[0].gates.iter().any(|g| g.metric == CPU_METRIC && g.baseline_query.is_some()));
        assert!(
            stages.iter().flat_map(|s| &s.gates).filter(|g| g.metric != REHEARSAL_METRIC).all(|g| g.query.is_some())
        );
        let note = section.split("```\nnote: ").nth(1).and_then(|b| b.split('\n').next()).unwrap();
        let (_, notes) = Policy::default().plan_stages(Risk::Low, false, true, true);
        assert_eq!(notes, [note]);
    }

    #[test]
    fn command_timeouts() {
        let p = Policy::parse("t", "[rollout.run]\ncommand-timeout-seconds = 1.5\nnotify-timeout-seconds = 0.25\n")
            .unwrap();
        let run = p.run.unwrap();
        assert_eq!(run.command_timeout(), std::time::Duration::from_millis(1500));
        assert_eq!(run.notify_timeout(), std::time::Duration::from_millis(250));
        let d = RunSettings::default();
        assert_eq!(d.command_timeout().as_secs(), 600);
        assert_eq!(d.notify_timeout().as_secs(), 30);
        for bad in ["0", "-1", "nan", "1e300"] {
            let text = format!("[rollout.run]\ncommand-timeout-seconds = {bad}\n");
            let (m, at) = err(&text);
            assert!(m.contains("command-timeout-seconds"), "{bad}: {m}");
            assert_eq!(at, text.find(bad).unwrap());
        }
        assert!(err("[rollout.run]\nnotify-timeout-seconds = 0\n").0.contains("notify-timeout-seconds"));
    }

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("waf/rules.yaml"), "waf/rules.yaml");
        assert_eq!(shell_quote("it's here"), r"'it'\''s here'");
        assert_eq!(shell_quote("$(rm -rf)"), "'$(rm -rf)'");
    }
}
