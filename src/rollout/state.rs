//! The state file of `cfglint rollout run`: where a rollout stands, so a
//! controller that dies resumes at the stage it was in, with the bake time
//! already spent, and `rollout status` / `rollout abort` can act on it.
//!
//! Position: below [`super::run`]; plain data, JSON.
//!
//! Guarantees: written atomically (a temporary file in the same folder,
//! synced, renamed over the old state, the folder synced), so a kill at
//! any moment leaves the old state or the new one. The manifest is pinned
//! by its hash: a state file refuses a manifest whose bytes changed.

use std::io::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::Error;

/// The largest state file read.
const MAX_STATE_BYTES: u64 = 1 << 20;

/// Where a rollout stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Stages are being applied and baked.
    Running,
    /// Every stage promoted.
    Complete,
    /// A gate, the deadline or a failed step rolled it back.
    RolledBack,
    /// `rollout abort` rolled it back.
    Aborted,
}

impl Status {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Running => "running",
            Status::Complete => "complete",
            Status::RolledBack => "rolled_back",
            Status::Aborted => "aborted",
        }
    }
}

/// The state file, version 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// Format version (1).
    pub version: u32,
    /// The manifest file, as given to `run`.
    pub manifest: String,
    /// `sha256:` of the manifest's bytes when the rollout started.
    pub manifest_sha256: String,
    /// The deploy command.
    pub deploy: String,
    /// The work tree the rollout acts on.
    pub work_tree: String,
    /// The Prometheus URL.
    pub prometheus: String,
    /// The decision log, if any.
    #[serde(default)]
    pub log: Option<String>,
    /// Where it stands.
    pub status: Status,
    /// Index of the current stage (0-based).
    pub stage: usize,
    /// Name of the current stage.
    pub stage_name: String,
    /// The deploy command succeeded for the current stage.
    pub deployed: bool,
    /// The rollback was rehearsed (all four steps succeeded).
    pub rehearsed: bool,
    /// Unix seconds when the current stage started baking.
    pub stage_started_at: Option<f64>,
    /// Consecutive polls with a breached rollback gate.
    pub consecutive_breaches: u32,
    /// The last decision and its first reason.
    pub last_decision: Option<String>,
    /// Why it was rolled back or aborted.
    pub reason: Option<String>,
    /// Unix seconds of the last write.
    pub updated_at: f64,
}

/// Unix seconds now.
pub fn now() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

impl State {
    /// Read a state file; `None` when it does not exist.
    pub fn load(path: &Path) -> Result<Option<State>, Error> {
        let io = |source| Error::Io { path: path.display().to_string(), source };
        let meta = match std::fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(e)),
            Ok(m) => m,
        };
        if !meta.is_file() || meta.len() > MAX_STATE_BYTES {
            return Err(Error::Run {
                message: format!("state file {}: not a regular file under 1 MiB", path.display()),
            });
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| Error::Run { message: format!("state file {}: {e}", path.display()) })
    }

    /// Write the state atomically.
    pub fn save(&mut self, path: &Path) -> Result<(), Error> {
        self.updated_at = now();
        let io = |source| Error::Io { path: path.display().to_string(), source };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let mut text = serde_json::to_string_pretty(self).expect("a state serializes: plain data");
        text.push('\n');
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
        tmp.write_all(text.as_bytes()).map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        tmp.persist(path).map_err(|e| io(e.error))?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Refuse a manifest whose bytes differ from the pinned ones.
    pub fn check_pin(&self, manifest_sha256: &str) -> Result<(), Error> {
        if self.manifest_sha256 == manifest_sha256 {
            Ok(())
        } else {
            Err(Error::Run {
                message: format!(
                    "the manifest changed since the rollout started ({} now, {} pinned in the state file): \
                     finish or abort this rollout, then start a new one with a new state file",
                    manifest_sha256, self.manifest_sha256
                ),
            })
        }
    }
}
