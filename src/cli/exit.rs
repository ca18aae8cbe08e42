//! Exit codes, in one place (documented per command in docs/output.md).

use std::process::ExitCode;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: no findings at or above `--fail-on`; gate: promote.
    Success,
    /// 1: findings at or above `--fail-on`; gate: hold.
    Failure,
    /// 2: usage, config, I/O, git or internal error.
    Error,
    /// 3: gate: roll back.
    Rollback,
}

impl ExitStatus {
    /// The worse of two statuses (error beats rollback beats failure).
    #[must_use]
    pub fn max(self, other: ExitStatus) -> ExitStatus {
        fn rank(s: ExitStatus) -> u8 {
            match s {
                ExitStatus::Success => 0,
                ExitStatus::Failure => 1,
                ExitStatus::Rollback => 2,
                ExitStatus::Error => 3,
            }
        }
        if rank(other) > rank(self) { other } else { self }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(s: ExitStatus) -> ExitCode {
        ExitCode::from(match s {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Error => 2,
            ExitStatus::Rollback => 3,
        })
    }
}
