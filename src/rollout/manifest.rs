//! The staged-rollout manifest, schema `cfglint/rollout/v1`: the data
//! model, TOML in and out, content hashes, work-tree verification, the
//! inverse manifest (`cfglint rollback`) and atomic writes.
//!
//! Position: the bottom of `rollout`; plain data that [`super::plan`]
//! fills and [`super::gate`] reads.
//!
//! Guarantees: [`Manifest::to_toml`] is a pure function of the manifest
//! (fields in declaration order, changes and stages in the order given, no
//! timestamps), so the same inputs give byte-identical files.
//! [`Manifest::from_toml`] checks the schema first (an unknown schema is an
//! error, never a best-effort read), then every key users script against,
//! and points at the offending place. [`write_atomic`] never leaves a
//! half-written manifest: it writes a temporary file in the same folder,
//! syncs it and renames it over the target.

use std::fmt;
use std::path::{Component, Path};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Error;

/// The schema this version writes and reads.
pub const SCHEMA: &str = "cfglint/rollout/v1";

/// git's empty tree: the base of a change that starts from nothing (a
/// root commit). `git restore --source=<it>` removes the paths.
pub const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

/// How risky a change is; the manifest's risk is the highest of its
/// changes'.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    /// No regex added or modified, nothing found.
    Low,
    /// Warnings, or regexes added or modified.
    Medium,
    /// Backtracking findings (CL001/CL002), a bench budget exceeded, a rule
    /// that starts blocking, or an overridden error.
    High,
    /// An error finding and no override: the change gets no stages.
    Blocked,
}

impl Risk {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
            Risk::Blocked => "blocked",
        }
    }
}

impl fmt::Display for Risk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a file changes. A rename is written as an addition of the new path
/// and a removal of the old one (expand, then contract), linked by
/// `renamed_from` / `renamed_to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeStatus {
    /// The file is new.
    Added,
    /// The file's content changes in place.
    Modified,
    /// The file goes away.
    Deleted,
}

impl ChangeStatus {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeStatus::Added => "added",
            ChangeStatus::Modified => "modified",
            ChangeStatus::Deleted => "deleted",
        }
    }

    /// The status of the inverse change.
    #[must_use]
    pub fn inverse(self) -> ChangeStatus {
        match self {
            ChangeStatus::Added => ChangeStatus::Deleted,
            ChangeStatus::Modified => ChangeStatus::Modified,
            ChangeStatus::Deleted => ChangeStatus::Added,
        }
    }
}

/// Who decided something and why (an override, an emergency rollout).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribution {
    /// Why, as given with `--reason`.
    pub reason: String,
    /// Who: `--actor`, else `$GITHUB_ACTOR`, `$USER` or git's `user.name`.
    pub by: String,
}

/// Why one change must wait for another.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Dependency {
    /// The change that goes first.
    pub path: String,
    /// Why, in words.
    pub why: String,
}

/// One changed file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Path relative to the repository root, `/`-separated.
    pub path: String,
    /// `added`, `modified` or `deleted`.
    pub status: ChangeStatus,
    /// For the added half of a rename: the old path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    /// For the deleted half of a rename: the new path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_to: Option<String>,
    /// `sha256:<hex>` of the file's bytes at base (absent when added).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    /// `sha256:<hex>` of the file's bytes at head (absent when deleted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// git's mode of the file at base when it is not an ordinary file:
    /// `100755` (executable) or `120000` (a symbolic link, whose `before`
    /// is the hash of the link's target as written). Absent: `100644`, or
    /// no file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_mode: Option<String>,
    /// git's mode of the file at head, as `before_mode`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_mode: Option<String>,
    /// `low`, `medium`, `high` or `blocked`.
    pub risk: Risk,
    /// What decided the risk, in words.
    #[serde(default)]
    pub reasons: Vec<String>,
    /// Waves apply in order, 1 first.
    pub wave: u32,
    /// Changes that must be applied before this one, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<Dependency>,
    /// An accepted error finding: who accepted it and why.
    #[serde(default, rename = "override", skip_serializing_if = "Option::is_none")]
    pub override_: Option<Attribution>,
}

/// A traffic share in percent, written as an integer when it is one.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Deserialize)]
#[serde(transparent)]
pub struct Percent(pub f64);

impl Serialize for Percent {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.fract() == 0.0 && (0.0..=100.0).contains(&self.0) {
            s.serialize_i64(self.0 as i64)
        } else {
            s.serialize_f64(self.0)
        }
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", self.0)
    }
}

/// A comparison in a gate: the observed value must satisfy
/// `observed OP threshold` for the gate to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Op {
    /// `<=`
    #[serde(rename = "<=")]
    Le,
    /// `<`
    #[serde(rename = "<")]
    Lt,
    /// `>=`
    #[serde(rename = ">=")]
    Ge,
    /// `>`
    #[serde(rename = ">")]
    Gt,
}

impl Op {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Le => "<=",
            Op::Lt => "<",
            Op::Ge => ">=",
            Op::Gt => ">",
        }
    }

    /// Parse `<=`, `<`, `>=` or `>`.
    pub fn parse(s: &str) -> Option<Op> {
        match s {
            "<=" => Some(Op::Le),
            "<" => Some(Op::Lt),
            ">=" => Some(Op::Ge),
            ">" => Some(Op::Gt),
            _ => None,
        }
    }

    /// Does `observed OP threshold` hold? NaN never does.
    pub fn holds(self, observed: f64, threshold: f64) -> bool {
        match self {
            Op::Le => observed <= threshold,
            Op::Lt => observed < threshold,
            Op::Ge => observed >= threshold,
            Op::Gt => observed > threshold,
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a breached gate asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnFail {
    /// Undo the change now.
    Rollback,
    /// Stay at this stage until a person decides.
    Hold,
}

impl OnFail {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            OnFail::Rollback => "rollback",
            OnFail::Hold => "hold",
        }
    }
}

/// A condition on one metric, checked by `cfglint gate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gate {
    /// Metric name, as in the metrics input.
    pub metric: String,
    /// Comparison.
    pub op: Op,
    /// Threshold.
    pub threshold: f64,
    /// What a breach asks for.
    pub on_fail: OnFail,
    /// The PromQL query `cfglint rollout run` evaluates for the metric
    /// (absent: the metric comes from elsewhere, as with `gate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// The metric is a share (0 to 1): a value above 1 is bad data.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub share: bool,
    /// Canary against baseline: the same measure on the baseline. The gate
    /// then holds when `canary <= baseline × max_ratio + slack`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_query: Option<String>,
    /// With `baseline_query`: the largest canary / baseline ratio allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ratio: Option<f64>,
    /// With `baseline_query`: an absolute allowance on top of the ratio, so
    /// a near-zero baseline does not fail on noise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack: Option<f64>,
}

impl Gate {
    /// A gate on a metric supplied by the caller (no query, not a share).
    pub fn new(metric: &str, op: Op, threshold: f64, on_fail: OnFail) -> Gate {
        Gate {
            metric: metric.to_owned(),
            op,
            threshold,
            on_fail,
            query: None,
            share: false,
            baseline_query: None,
            max_ratio: None,
            slack: None,
        }
    }
}

impl fmt::Display for Gate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.metric, self.op, self.threshold)
    }
}

/// One stage of the rollout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stage {
    /// Stage name (`canary`, `full`, …), unique in the manifest.
    pub name: String,
    /// Share of traffic that gets the change.
    pub traffic_percent: Percent,
    /// Least time at this stage before promotion.
    pub min_bake_seconds: u64,
    /// Least number of requests observed before promotion.
    #[serde(default)]
    pub min_samples: u64,
    /// Roll back and forward once in this stage, so the emergency path is
    /// exercised (the first stage). Its gate `rollback_rehearsed >= 1`
    /// holds the stage until the pipeline reports the rehearsal done.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rehearse_rollback: bool,
    /// The progress deadline of `cfglint rollout run`: without a promote
    /// by then (for example no fresh data), it rolls back. Absent: three
    /// times the bake.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_wait_seconds: Option<f64>,
    /// Conditions to promote.
    #[serde(default, rename = "gate")]
    pub gates: Vec<Gate>,
}

impl Stage {
    /// The progress deadline in seconds: `max_wait_seconds`, else three
    /// times the bake.
    pub fn deadline_seconds(&self) -> f64 {
        self.max_wait_seconds.unwrap_or(3.0 * self.min_bake_seconds as f64)
    }
}

/// Where `cfglint rollout run` reads metrics (`[rollout.prometheus]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prometheus {
    /// Base URL of the Prometheus HTTP API (`--prometheus` overrides).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// PromQL for the number of requests the stage has seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub samples_query: Option<String>,
}

/// How `cfglint rollout run` polls (`[rollout.run]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSettings {
    /// Seconds between polls (fractions allowed).
    pub interval_seconds: f64,
    /// Consecutive breached polls of a rollback gate before rolling back.
    pub failure_limit: u32,
    /// A command run on every decision, with its JSON on stdin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<String>,
    /// Seconds a deploy or rollback command may run before its process
    /// group is killed (`None`: [`DEFAULT_COMMAND_TIMEOUT_SECONDS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_timeout_seconds: Option<f64>,
    /// Seconds the notify command may run (`None`:
    /// [`DEFAULT_NOTIFY_TIMEOUT_SECONDS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_timeout_seconds: Option<f64>,
}

/// How long a deploy or rollback command may run by default: 10 minutes.
pub const DEFAULT_COMMAND_TIMEOUT_SECONDS: f64 = 600.0;

/// How long the notify command may run by default: 30 seconds.
pub const DEFAULT_NOTIFY_TIMEOUT_SECONDS: f64 = 30.0;

/// The longest timeout accepted: a week.
pub const MAX_TIMEOUT_SECONDS: f64 = 604_800.0;

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            interval_seconds: 15.0,
            failure_limit: 1,
            notify: None,
            command_timeout_seconds: None,
            notify_timeout_seconds: None,
        }
    }
}

impl RunSettings {
    /// The deploy and rollback commands' timeout.
    pub fn command_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs_f64(self.command_timeout_seconds.unwrap_or(DEFAULT_COMMAND_TIMEOUT_SECONDS))
    }

    /// The notify command's timeout.
    pub fn notify_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs_f64(self.notify_timeout_seconds.unwrap_or(DEFAULT_NOTIFY_TIMEOUT_SECONDS))
    }
}

/// How to undo the rollout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rollback {
    /// The exact revision to restore (the base commit).
    pub revision: String,
    /// The one command that restores it.
    pub command: String,
    /// The revision the rollout moves to (the head commit).
    pub forward_revision: String,
    /// The command that re-applies the change after a rehearsal.
    pub forward_command: String,
    /// The stage in which the rollback is rehearsed (absent without
    /// stages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rehearse_in_stage: Option<String>,
}

/// What an inverse manifest undoes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inverts {
    /// `sha256:` of the original manifest's bytes.
    pub manifest: String,
    /// The original manifest's head (the revision being rolled back).
    pub head: String,
}

/// A staged-rollout manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// The base commit (what is running now).
    pub base: String,
    /// The head commit (what the rollout moves to).
    pub head: String,
    /// The highest risk of the changes.
    pub risk: Risk,
    /// Number of waves.
    pub waves: u32,
    /// Set for `--emergency` rollouts and for rollbacks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emergency: Option<Attribution>,
    /// Set on an inverse manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inverts: Option<Inverts>,
    /// Changed files, by wave then path.
    #[serde(default, rename = "change")]
    pub changes: Vec<Change>,
    /// Stages, in order (none when blocked).
    #[serde(default, rename = "stage")]
    pub stages: Vec<Stage>,
    /// How to undo it.
    pub rollback: Rollback,
    /// Where `cfglint rollout run` reads metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prometheus: Option<Prometheus>,
    /// How `cfglint rollout run` polls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<RunSettings>,
}

/// `sha256:<hex>` of some bytes.
pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", crate::fsutil::hex(&Sha256::digest(bytes)))
}

fn is_hash(s: &str) -> bool {
    s.strip_prefix("sha256:")
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

/// A full git commit id: SHA-1 (40) or SHA-256 (64) lowercase hex digits.
fn is_commit_id(s: &str) -> bool {
    matches!(s.len(), 40 | 64) && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A repository-relative path that stays inside the repository.
fn is_safe_path(p: &str) -> bool {
    !p.is_empty()
        && !p.contains('\\')
        && Path::new(p).components().all(|c| matches!(c, Component::Normal(_)))
        && !p.contains('\0')
}

impl Manifest {
    /// The manifest as TOML, with a header comment. Deterministic.
    pub fn to_toml(&self) -> String {
        let body = toml::to_string(self).expect("a manifest serializes: plain data, string keys, finite numbers");
        let mut out = String::with_capacity(body.len() + 200);
        out.push_str("# cfglint staged-rollout manifest (schema cfglint/rollout/v1). Review it like code;\n");
        out.push_str("# `cfglint gate --manifest FILE --stage NAME --metrics FILE` decides each stage.\n");
        out.push_str(&body);
        out
    }

    /// The stage named `name`.
    pub fn stage(&self, name: &str) -> Option<&Stage> {
        self.stages.iter().find(|s| s.name == name)
    }

    /// Read and validate a manifest. `name` labels errors.
    pub fn from_toml(name: &str, text: &str) -> Result<Manifest, Error> {
        let err = |message: String, span: Option<std::ops::Range<usize>>| Error::Manifest {
            message,
            src: miette::NamedSource::new(name, text.to_owned()),
            span: span.map(|r| (r.start, r.end.saturating_sub(r.start)).into()),
        };
        // The schema first: a manifest from another version must not be
        // read as this one.
        let head: SchemaOnly = toml::from_str(text).map_err(|e| err(e.message().to_owned(), e.span()))?;
        match head.schema {
            None => {
                return Err(err(
                    format!("no `schema` key: not a cfglint rollout manifest (expected schema = \"{SCHEMA}\")"),
                    None,
                ));
            }
            Some(s) if s.get_ref().as_str() == Some(SCHEMA) => {}
            Some(s) => {
                let found = s.get_ref().as_str().map_or_else(|| s.get_ref().to_string(), str::to_owned);
                return Err(Error::UnknownSchema {
                    found,
                    src: miette::NamedSource::new(name, text.to_owned()),
                    span: Some((s.span().start, s.span().end - s.span().start).into()),
                });
            }
        }
        let m: Manifest = toml::from_str(text).map_err(|e| err(e.message().to_owned(), e.span()))?;
        m.validate().map_err(|message| err(message, None))?;
        Ok(m)
    }

    /// Check what serde cannot: hashes, paths, statuses, stage names,
    /// finite numbers.
    fn validate(&self) -> Result<(), String> {
        let inverts_head = self.inverts.as_ref().map(|i| ("inverts.head", &i.head));
        for (key, id) in [("base", &self.base), ("head", &self.head)].into_iter().chain(inverts_head) {
            if !is_commit_id(id) {
                return Err(format!("{key} = {id:?} is not a commit id (40 or 64 lowercase hex digits)"));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for c in &self.changes {
            if !is_safe_path(&c.path) {
                return Err(format!("change path `{}` is not a relative path inside the repository", c.path));
            }
            if !seen.insert((&c.path, c.status)) {
                return Err(format!("change `{}` ({}) is listed twice", c.path, c.status.as_str()));
            }
            for (key, h) in [("before", &c.before), ("after", &c.after)] {
                if let Some(h) = h
                    && !is_hash(h)
                {
                    return Err(format!(
                        "change `{}`: {key} = \"{h}\" is not `sha256:` and 64 lowercase hex digits",
                        c.path
                    ));
                }
            }
            for (key, mode, side) in
                [("before_mode", &c.before_mode, &c.before), ("after_mode", &c.after_mode, &c.after)]
            {
                if let Some(m) = mode {
                    if !matches!(m.as_str(), MODE_EXECUTABLE | MODE_SYMLINK) {
                        return Err(format!(
                            "change `{}`: {key} = \"{m}\" is not \"{MODE_EXECUTABLE}\" or \"{MODE_SYMLINK}\" (leave it out for an ordinary file)",
                            c.path
                        ));
                    }
                    if side.is_none() {
                        return Err(format!("change `{}`: {key} without a file on that side", c.path));
                    }
                }
            }
            let ok = match c.status {
                ChangeStatus::Added => c.before.is_none() && c.after.is_some(),
                ChangeStatus::Modified => c.before.is_some() && c.after.is_some(),
                ChangeStatus::Deleted => c.before.is_some() && c.after.is_none(),
            };
            if !ok {
                return Err(format!(
                    "change `{}`: a {} file needs {}",
                    c.path,
                    c.status.as_str(),
                    match c.status {
                        ChangeStatus::Added => "`after` and no `before`",
                        ChangeStatus::Modified => "both `before` and `after`",
                        ChangeStatus::Deleted => "`before` and no `after`",
                    }
                ));
            }
            if c.wave == 0 {
                return Err(format!("change `{}`: waves count from 1", c.path));
            }
        }
        let mut names = std::collections::BTreeSet::new();
        for s in &self.stages {
            if s.name.is_empty() || !names.insert(s.name.as_str()) {
                return Err(format!("stage name `{}` is empty or used twice", s.name));
            }
            if !(s.traffic_percent.0 > 0.0 && s.traffic_percent.0 <= 100.0) {
                return Err(format!("stage `{}`: traffic_percent must be in (0, 100]", s.name));
            }
            if let Some(w) = s.max_wait_seconds
                && !(w.is_finite() && w > 0.0)
            {
                return Err(format!("stage `{}`: max_wait_seconds must be a number > 0", s.name));
            }
            for g in &s.gates {
                if self.inverts.is_some() && g.on_fail == OnFail::Rollback {
                    return Err(format!(
                        "stage `{}`: gate on `{}` has on_fail = \"rollback\", but this manifest is a rollback (it has `inverts`): rolling it back would re-apply the change it removes; use on_fail = \"hold\"",
                        s.name, g.metric
                    ));
                }
                for (what, v) in [("max_ratio", g.max_ratio), ("slack", g.slack)] {
                    if v.is_some_and(|v| !(v.is_finite() && v >= 0.0)) {
                        return Err(format!("stage `{}`: gate on `{}`: {what} must be a number ≥ 0", s.name, g.metric));
                    }
                }
                if g.baseline_query.is_some() != g.max_ratio.is_some() {
                    return Err(format!(
                        "stage `{}`: gate on `{}`: baseline_query and max_ratio go together",
                        s.name, g.metric
                    ));
                }
                if !g.threshold.is_finite() {
                    return Err(format!(
                        "stage `{}`: gate on `{}` has a threshold that is not a finite number",
                        s.name, g.metric
                    ));
                }
            }
        }
        if let Some(r) = &self.run {
            if !(r.interval_seconds.is_finite() && r.interval_seconds > 0.0) {
                return Err("run.interval_seconds must be a number > 0".to_owned());
            }
            for (what, v) in [
                ("command_timeout_seconds", r.command_timeout_seconds),
                ("notify_timeout_seconds", r.notify_timeout_seconds),
            ] {
                // Duration::from_secs_f64 panics past ~5.8e11 years.
                if v.is_some_and(|v| !(v.is_finite() && v > 0.0 && v <= MAX_TIMEOUT_SECONDS)) {
                    return Err(format!("run.{what} must be a number > 0 and at most {MAX_TIMEOUT_SECONDS}"));
                }
            }
        }
        Ok(())
    }

    /// Compare the work tree under `root` with one side of the manifest:
    /// every file must have the recorded hash and mode (a symbolic link:
    /// the hash of its target, as written), and files absent on that side
    /// must be absent. Returns the differences (empty: it matches). Only
    /// the changed paths: [`super::tree::verify`] checks the rest of the
    /// tree against the revision.
    pub fn verify(&self, root: &Path, side: Side) -> Result<Vec<Mismatch>, Error> {
        let mut out = Vec::new();
        for c in &self.changes {
            let expected = match side {
                Side::Base => c.before.as_ref().map(|h| describe(h, c.before_mode.as_deref().unwrap_or(MODE_FILE))),
                Side::Head => c.after.as_ref().map(|h| describe(h, c.after_mode.as_deref().unwrap_or(MODE_FILE))),
            };
            let found = state_on_disk(&root.join(&c.path))?;
            if found != expected {
                out.push(Mismatch { path: c.path.clone(), expected, found });
            }
        }
        Ok(out)
    }

    /// The inverse manifest: base and head swapped, added ↔ deleted,
    /// before ↔ after, waves reversed (so the inverse also expands before
    /// it contracts), dependencies reversed, the given (emergency) stages,
    /// and `inverts` naming the original. `original` is the original
    /// manifest's bytes (hashed into `inverts.manifest`).
    #[must_use]
    pub fn invert(&self, original: &[u8], stages: Vec<Stage>, who: Attribution) -> Manifest {
        let max_wave = self.changes.iter().map(|c| c.wave).max().unwrap_or(0);
        let mut changes: Vec<Change> = self
            .changes
            .iter()
            .map(|c| Change {
                path: c.path.clone(),
                status: c.status.inverse(),
                renamed_from: c.renamed_to.clone(),
                renamed_to: c.renamed_from.clone(),
                before: c.after.clone(),
                after: c.before.clone(),
                before_mode: c.after_mode.clone(),
                after_mode: c.before_mode.clone(),
                risk: Risk::Low,
                reasons: vec![format!(
                    "rollback: restores the version at {} ({})",
                    short(&self.base),
                    match c.status {
                        ChangeStatus::Added => "removes the file the rollout added",
                        ChangeStatus::Modified => "restores the previous content",
                        ChangeStatus::Deleted => "restores the file the rollout removed",
                    }
                )],
                // `c.wave` is in 1..=max_wave: no overflow, even at u32::MAX.
                wave: max_wave - c.wave + 1,
                depends_on: Vec::new(),
                override_: None,
            })
            .collect();
        // Reverse every edge: if B depended on A, the inverse of A now
        // waits for the inverse of B.
        for c in &self.changes {
            for d in &c.depends_on {
                if let Some(target) = changes.iter_mut().find(|x| x.path == d.path) {
                    let dep = Dependency { path: c.path.clone(), why: format!("rollback reverses: {}", d.why) };
                    if !target.depends_on.contains(&dep) {
                        target.depends_on.push(dep);
                    }
                }
            }
        }
        for c in &mut changes {
            c.depends_on.sort();
        }
        changes.sort_by(|a, b| (a.wave, &a.path, a.status).cmp(&(b.wave, &b.path, b.status)));
        // A rollback is not rehearsed: it has no rollback of its own.
        let rehearse = None;
        Manifest {
            schema: SCHEMA.to_owned(),
            base: self.head.clone(),
            head: self.base.clone(),
            risk: Risk::Low,
            waves: max_wave,
            emergency: Some(who),
            inverts: Some(Inverts { manifest: sha256(original), head: self.head.clone() }),
            changes,
            stages,
            prometheus: self.prometheus.clone(),
            run: self.run.clone(),
            rollback: Rollback {
                revision: self.rollback.forward_revision.clone(),
                command: self.rollback.forward_command.clone(),
                forward_revision: self.rollback.revision.clone(),
                forward_command: self.rollback.command.clone(),
                rehearse_in_stage: rehearse,
            },
        }
    }
}

/// Just the schema key, read before anything else.
#[derive(Deserialize)]
struct SchemaOnly {
    schema: Option<toml::Spanned<toml::Value>>,
}

/// Largest file hashed while verifying a work tree.
pub const MAX_HASHED_BYTES: u64 = 1 << 30;

/// Which side of a manifest a work tree should match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The base (after a rollback).
    Base,
    /// The head (during the rollout).
    Head,
}

/// A file that does not match the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The path.
    pub path: String,
    /// The recorded hash (`None`: the file should be absent).
    pub expected: Option<String>,
    /// What is there (`None`: absent).
    pub found: Option<String>,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `sha256:` and 12 hex digits are plenty to tell two files apart.
        let brief = |h: &str| match h.get(..71) {
            Some(hash) if is_hash(hash) => format!("{}…{}", &h[..19], &h[71..]),
            _ => h.to_owned(),
        };
        let path = escape(&self.path);
        match (&self.expected, &self.found) {
            (Some(_), None) => write!(f, "{path}: missing"),
            (None, Some(_)) => write!(f, "{path}: present, but absent on this side of the manifest"),
            (Some(e), Some(x)) => write!(f, "{path}: {} instead of {}", brief(x), brief(e)),
            (None, None) => write!(f, "{path}: matches"),
        }
    }
}

/// A path for a message: control characters (a newline, an escape
/// sequence) written as escapes, so one path is one line and cannot
/// repaint the terminal.
pub fn escape(path: &str) -> String {
    if !path.chars().any(char::is_control) {
        return path.to_owned();
    }
    path.chars().map(|c| if c.is_control() { c.escape_default().collect::<String>() } else { c.to_string() }).collect()
}

/// git's mode of an ordinary file.
pub const MODE_FILE: &str = "100644";
/// git's mode of an executable file.
pub const MODE_EXECUTABLE: &str = "100755";
/// git's mode of a symbolic link.
pub const MODE_SYMLINK: &str = "120000";

/// The manifest's `*_mode` for git's numeric mode: `None` for an ordinary
/// file.
pub fn mode_key(mode: u32) -> Option<String> {
    match mode {
        0o100_755 => Some(MODE_EXECUTABLE.to_owned()),
        0o120_000 => Some(MODE_SYMLINK.to_owned()),
        _ => None,
    }
}

/// A file's state in a mismatch: its hash, then `(executable)` or
/// `(symlink)` when it is not an ordinary file.
pub fn describe(hash: &str, mode: &str) -> String {
    match mode {
        MODE_EXECUTABLE if cfg!(unix) => format!("{hash} (executable)"),
        MODE_SYMLINK => format!("{hash} (symlink)"),
        _ => hash.to_owned(),
    }
}

/// What is at `path` on disk, as [`describe`] writes it (`None`: nothing).
/// A symbolic link is hashed by its target as written, never followed.
pub fn state_on_disk(path: &Path) -> Result<Option<String>, Error> {
    let io = |source: std::io::Error| Error::Io { path: path.display().to_string(), source };
    let meta = match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
        Ok(m) => m,
    };
    if meta.file_type().is_symlink() {
        let target = std::fs::read_link(path).map_err(io)?;
        #[cfg(unix)]
        let bytes = std::os::unix::ffi::OsStrExt::as_bytes(target.as_os_str()).to_vec();
        #[cfg(not(unix))]
        let bytes = target.to_string_lossy().replace('\\', "/").into_bytes();
        return Ok(Some(describe(&sha256(&bytes), MODE_SYMLINK)));
    }
    if !meta.is_file() {
        return Ok(Some(if meta.is_dir() { "a directory".to_owned() } else { "not a regular file".to_owned() }));
    }
    if meta.len() > MAX_HASHED_BYTES {
        return Ok(Some(format!("{} bytes, over the hashing cap", meta.len())));
    }
    #[cfg(unix)]
    let mode = if std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o100 != 0 {
        MODE_EXECUTABLE
    } else {
        MODE_FILE
    };
    #[cfg(not(unix))]
    let mode = MODE_FILE;
    Ok(Some(describe(&sha256(&std::fs::read(path).map_err(io)?), mode)))
}

/// The first 12 characters of a commit id (whole characters, whatever the
/// text: a manifest can hold anything until validated).
pub fn short(id: &str) -> &str {
    id.char_indices().nth(12).map_or(id, |(i, _)| &id[..i])
}

/// Write `bytes` to `path` atomically (see [`crate::fsutil::write_output`]:
/// symbolic links are written through, `/dev/stdout` and FIFOs are written
/// directly, the file's mode is kept, no temporary file is left on error).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    crate::fsutil::write_output(path, bytes).map_err(|source| Error::Io { path: path.display().to_string(), source })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        Manifest {
            schema: SCHEMA.to_owned(),
            base: "a".repeat(40),
            head: "b".repeat(40),
            risk: Risk::Medium,
            waves: 2,
            emergency: None,
            inverts: None,
            changes: vec![
                Change {
                    path: "rules/new.conf".into(),
                    status: ChangeStatus::Added,
                    renamed_from: None,
                    renamed_to: None,
                    before: None,
                    after: Some(sha256(b"new")),
                    before_mode: None,
                    after_mode: None,
                    risk: Risk::Medium,
                    reasons: vec!["1 regex added".into()],
                    wave: 1,
                    depends_on: vec![],
                    override_: None,
                },
                Change {
                    path: "rules/old.conf".into(),
                    status: ChangeStatus::Deleted,
                    renamed_from: None,
                    renamed_to: None,
                    before: Some(sha256(b"old")),
                    after: None,
                    before_mode: None,
                    after_mode: None,
                    risk: Risk::Low,
                    reasons: vec!["removed".into()],
                    wave: 2,
                    depends_on: vec![Dependency { path: "rules/new.conf".into(), why: "removals go last".into() }],
                    override_: None,
                },
            ],
            stages: vec![Stage {
                name: "canary".into(),
                traffic_percent: Percent(5.0),
                min_bake_seconds: 900,
                min_samples: 100,
                rehearse_rollback: true,
                max_wait_seconds: None,
                gates: vec![Gate::new("error_rate", Op::Le, 0.001, OnFail::Rollback)],
            }],
            rollback: Rollback {
                revision: "a".repeat(40),
                command: "git restore".into(),
                forward_revision: "b".repeat(40),
                forward_command: "git restore fwd".into(),
                rehearse_in_stage: Some("canary".into()),
            },
            prometheus: None,
            run: None,
        }
    }

    #[test]
    fn hash_is_sha256_of_the_bytes() {
        assert_eq!(sha256(b"abc"), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(is_hash(&sha256(b"")));
        assert!(!is_hash("sha256:ABC"));
    }

    #[test]
    fn round_trip_and_contract_keys() {
        let m = sample();
        let text = m.to_toml();
        assert!(text.contains("schema = \"cfglint/rollout/v1\""), "{text}");
        assert!(text.contains("traffic_percent = 5\n"), "{text}");
        assert!(text.contains("op = \"<=\""), "{text}");
        assert!(text.contains("[[stage.gate]]"), "{text}");
        assert!(text.contains("rehearse_in_stage = \"canary\""), "{text}");
        let back = Manifest::from_toml("m.toml", &text).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.to_toml(), text);
    }

    #[test]
    fn schema_and_validation_errors() {
        let text = sample().to_toml().replace("cfglint/rollout/v1", "cfglint/rollout/v2");
        assert!(
            matches!(Manifest::from_toml("m", &text), Err(Error::UnknownSchema { found, .. }) if found == "cfglint/rollout/v2")
        );
        assert!(matches!(Manifest::from_toml("m", "base = 'x'\n"), Err(Error::Manifest { .. })));
        let bad_hash = sample().to_toml().replacen("sha256:", "md5:", 1);
        let Err(Error::Manifest { message, .. }) = Manifest::from_toml("m", &bad_hash) else { panic!() };
        assert!(message.contains("sha256"), "{message}");
        let escape = sample().to_toml().replace("rules/new.conf", "../etc/passwd");
        assert!(matches!(Manifest::from_toml("m", &escape), Err(Error::Manifest { .. })));
        let bad_op = sample().to_toml().replace("op = \"<=\"", "op = \"=<\"");
        let Err(Error::Manifest { span, .. }) = Manifest::from_toml("m", &bad_op) else { panic!() };
        assert!(span.is_some());
    }

    #[test]
    fn base_and_head_must_be_commit_ids() {
        // A non-ASCII head used to panic in `short` ("byte index 12 is not
        // a char boundary").
        let text = sample().to_toml().replace(&"b".repeat(40), "bbbbbbbbbbbéééééééééééééééééééé");
        let Err(Error::Manifest { message, .. }) = Manifest::from_toml("m", &text) else { panic!("accepted") };
        assert!(message.contains("head") && message.contains("commit id"), "{message}");
        let text = sample().to_toml().replace(&"a".repeat(40), "main");
        let Err(Error::Manifest { message, .. }) = Manifest::from_toml("m", &text) else { panic!("accepted") };
        assert!(message.contains("base"), "{message}");
        assert_eq!(short("bbbbbbbbbbbéééé"), "bbbbbbbbbbbé");
        assert_eq!(short("abc"), "abc");
    }

    #[test]
    fn inverting_the_highest_wave_does_not_overflow() {
        let mut m = sample();
        for c in &mut m.changes {
            c.wave = u32::MAX;
        }
        let text = m.to_toml();
        let m = Manifest::from_toml("m", &text).expect("valid");
        let inv = m.invert(text.as_bytes(), vec![], Attribution { reason: "r".into(), by: "me".into() });
        assert!(inv.changes.iter().all(|c| c.wave == 1), "{:?}", inv.changes);
    }

    #[test]
    fn inverse_swaps_everything_and_twice_is_identity_on_changes() {
        let m = sample();
        let inv = m.invert(m.to_toml().as_bytes(), vec![], Attribution { reason: "r".into(), by: "me".into() });
        assert_eq!(inv.base, m.head);
        let new = inv.changes.iter().find(|c| c.path == "rules/new.conf").unwrap();
        assert_eq!(new.status, ChangeStatus::Deleted);
        assert_eq!(new.before, m.changes[0].after);
        assert_eq!(new.wave, 2);
        assert_eq!(new.depends_on[0].path, "rules/old.conf");
        let old = &inv.changes[0];
        assert_eq!((old.path.as_str(), old.status, old.wave), ("rules/old.conf", ChangeStatus::Added, 1));
        assert_eq!(inv.rollback.revision, m.head);
        assert_eq!(inv.rollback.command, m.rollback.forward_command);
        let back = inv.invert(b"", vec![], Attribution { reason: "r".into(), by: "me".into() });
        let key = |c: &Change| (c.path.clone(), c.status, c.before.clone(), c.after.clone(), c.wave);
        assert_eq!(back.changes.iter().map(key).collect::<Vec<_>>(), m.changes.iter().map(key).collect::<Vec<_>>());
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.toml");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert!(write_atomic(&dir.path().join("missing/m.toml"), b"x").is_err());
    }
}
