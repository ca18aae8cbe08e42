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
    /// Rolling back failed (a command failed or timed out, or the tree is
    /// not at base): a person must look; `rollout abort` tries again.
    RollbackFailed,
}

impl Status {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Running => "running",
            Status::Complete => "complete",
            Status::RolledBack => "rolled_back",
            Status::Aborted => "aborted",
            Status::RollbackFailed => "rollback_failed",
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

/// The file beside a state file that `run` locks: `STATE.lock`.
pub fn lock_path(state: &Path) -> std::path::PathBuf {
    sidecar(state, "lock")
}

/// The file beside a state file where `rollout abort` asks the running
/// controller to roll back: `STATE.abort`.
pub fn abort_path(state: &Path) -> std::path::PathBuf {
    sidecar(state, "abort")
}

fn sidecar(state: &Path, ext: &str) -> std::path::PathBuf {
    let mut name = state.file_name().map(std::ffi::OsStr::to_os_string).unwrap_or_default();
    name.push(".");
    name.push(ext);
    state.with_file_name(name)
}

/// The exclusive lock one controller holds on a state file for as long as
/// it drives the rollout (an OS file lock on `STATE.lock`, released when
/// the process ends, however it ends). The file holds the holder's pid
/// and start time, for the message another process gets.
#[derive(Debug)]
pub struct Lock {
    _file: std::fs::File,
}

/// Who holds a lock, as its file says.
fn holder(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let text = text.trim();
    if text.is_empty() { "another process".to_owned() } else { text.chars().take(200).collect() }
}

impl Lock {
    /// Take the lock on `state`'s lock file, or `None` when another
    /// process holds it. The lock file is created when missing and kept
    /// afterwards (removing it would let two processes lock two files).
    pub fn try_acquire(state: &Path) -> Result<Option<Lock>, Error> {
        let path = lock_path(state);
        let io = |source| Error::Io { path: path.display().to_string(), source };
        let mut file =
            std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        file.set_len(0).map_err(io)?;
        let line = format!("pid {} since {:.0}\n", std::process::id(), now());
        file.write_all(line.as_bytes()).map_err(io)?;
        file.sync_data().map_err(io)?;
        Ok(Some(Lock { _file: file }))
    }

    /// Take the lock, or fail naming the state file and the holder.
    pub fn acquire(state: &Path) -> Result<Lock, Error> {
        Lock::try_acquire(state)?.ok_or_else(|| Error::Run {
            message: format!(
                "the rollout in state file {} is being driven by another `cfglint rollout run` ({}, lock {}): \
                 one controller per rollout; wait for it, or stop it with `cfglint rollout abort --state {}`",
                state.display(),
                holder(&lock_path(state)),
                lock_path(state).display(),
                state.display()
            ),
        })
    }

    /// Who holds the lock on `state` (for messages).
    pub fn holder(state: &Path) -> String {
        holder(&lock_path(state))
    }
}

/// A request from `rollout abort` to the controller that holds the lock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AbortRequest {
    /// Why (as given to `abort`).
    pub reason: String,
    /// The pinned manifest hash of the rollout to abort (a request for
    /// another rollout is ignored).
    pub manifest_sha256: String,
    /// Unix seconds of the request.
    pub requested_at: f64,
}

impl AbortRequest {
    /// Write the request beside the state file, atomically.
    pub fn write(&self, state: &Path) -> Result<(), Error> {
        let path = abort_path(state);
        let io = |source| Error::Io { path: path.display().to_string(), source };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
        let text = serde_json::to_string(self).expect("a request serializes: plain data");
        tmp.write_all(text.as_bytes()).map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        tmp.persist(&path).map_err(|e| io(e.error))?;
        Ok(())
    }

    /// The pending request for the rollout pinned to `manifest_sha256`, if
    /// any. An unreadable request is a request (reason unknown): an abort
    /// must not be lost to a torn file.
    pub fn read(state: &Path, manifest_sha256: &str) -> Option<AbortRequest> {
        let path = abort_path(state);
        let text = std::fs::read_to_string(&path).ok()?;
        match serde_json::from_str::<AbortRequest>(&text) {
            Ok(r) if r.manifest_sha256 == manifest_sha256 => Some(r),
            Ok(_) => None,
            Err(_) => Some(AbortRequest {
                reason: format!("an abort request at {} that cannot be read", path.display()),
                manifest_sha256: manifest_sha256.to_owned(),
                requested_at: now(),
            }),
        }
    }

    /// Remove a handled request (cfglint wrote it).
    pub fn clear(state: &Path) {
        let _ = std::fs::remove_file(abort_path(state));
    }
}
