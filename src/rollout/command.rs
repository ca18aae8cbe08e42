//! The commands `cfglint rollout run` runs (deploy, rollback, forward,
//! notify): through `sh -c`, in the work tree, each in a process group of
//! its own, with a timeout.
//!
//! Position: below [`super::run`]; no rollout logic.
//!
//! Guarantees: a command never outlives its timeout. On expiry its whole
//! process group (the shell and everything it started that did not leave
//! the group) gets `SIGTERM`, then, [`GRACE`] later, `SIGKILL`, and the
//! answer is [`Failure::TimedOut`]. Its output goes to the inherited
//! stderr; its stdin is empty, or the given bytes (written from a thread,
//! so a command that never reads cannot block the controller).

use std::ffi::OsString;
use std::io::Write as _;
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process_group};

/// How long a timed-out command's group has between `SIGTERM` and
/// `SIGKILL`.
pub const GRACE: Duration = Duration::from_secs(2);

/// What to run.
#[derive(Debug, Clone)]
pub struct Spec<'a> {
    /// The shell command.
    pub command: &'a str,
    /// Its working directory.
    pub dir: &'a Path,
    /// Environment variables set on top of the inherited ones.
    pub env: Vec<(&'static str, OsString)>,
    /// Bytes for its stdin (`None`: no stdin).
    pub stdin: Option<&'a [u8]>,
    /// How long it may run.
    pub timeout: Duration,
}

/// Why a command did not succeed.
#[derive(Debug)]
pub enum Failure {
    /// It could not be started.
    Spawn(std::io::Error),
    /// It exited unsuccessfully.
    Exit(ExitStatus),
    /// It ran past its timeout; its process group was killed.
    TimedOut(Duration),
}

impl Failure {
    /// The failure in words, naming the command.
    pub fn describe(&self, command: &str) -> String {
        match self {
            Failure::Spawn(e) => format!("cannot run `sh -c {command}`: {e}"),
            Failure::Exit(status) => format!("`{command}` failed ({status})"),
            Failure::TimedOut(t) => {
                format!("`{command}` timed out after {}s; its process group was killed", t.as_secs_f64())
            }
        }
    }
}

/// Run a command to completion or to its timeout.
pub fn run(spec: &Spec<'_>) -> Result<(), Failure> {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(spec.command)
        .current_dir(spec.dir)
        .process_group(0)
        .stdin(if spec.stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::from(std::io::stderr()));
    for (k, v) in &spec.env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().map_err(Failure::Spawn)?;
    if let (Some(bytes), Some(mut stdin)) = (spec.stdin, child.stdin.take()) {
        let bytes = bytes.to_vec();
        // Ends when the bytes are written or the command is gone (EPIPE).
        std::thread::spawn(move || {
            let _ = stdin.write_all(&bytes);
        });
    }
    let deadline = Instant::now() + spec.timeout;
    match wait_until(&mut child, deadline) {
        Some(status) if status.success() => Ok(()),
        Some(status) => Err(Failure::Exit(status)),
        None => {
            kill_group(&child, Signal::TERM);
            let _ = wait_until(&mut child, Instant::now() + GRACE);
            // Also whatever ignored SIGTERM, the shell gone or not.
            kill_group(&child, Signal::KILL);
            let _ = child.wait();
            Err(Failure::TimedOut(spec.timeout))
        }
    }
}

/// The exit status, or `None` at the deadline.
fn wait_until(child: &mut Child, deadline: Instant) -> Option<ExitStatus> {
    let mut pause = Duration::from_millis(5);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) => {}
            // Not our child any more (cannot happen: we own it); treat as
            // still running so the group is killed.
            Err(_) => return None,
        }
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

fn kill_group(child: &Child, signal: Signal) {
    // The group id is the child's pid (`process_group(0)`). ESRCH: the
    // group is already gone.
    let _ = kill_process_group(Pid::from_child(child), signal);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec<'a>(command: &'a str, dir: &'a Path, timeout: f64) -> Spec<'a> {
        Spec { command, dir, env: vec![], stdin: None, timeout: Duration::from_secs_f64(timeout) }
    }

    #[test]
    fn success_failure_and_stdin() {
        let dir = tempfile::tempdir().unwrap();
        assert!(run(&spec("true", dir.path(), 5.0)).is_ok());
        assert!(matches!(run(&spec("exit 4", dir.path(), 5.0)), Err(Failure::Exit(s)) if s.code() == Some(4)));
        let mut s = spec("cat > got; [ \"$X\" = y ]", dir.path(), 5.0);
        s.stdin = Some(b"hello\n");
        s.env.push(("X", "y".into()));
        assert!(run(&s).is_ok());
        assert_eq!(std::fs::read_to_string(dir.path().join("got")).unwrap(), "hello\n");
    }

    /// A real `sleep` past the timeout: the call returns at the timeout,
    /// and the whole group is gone, a background child included.
    #[test]
    fn a_timeout_kills_the_whole_group() {
        let dir = tempfile::tempdir().unwrap();
        let t = Instant::now();
        let s = spec("sleep 60 & echo $! > bg.pid; sleep 60", dir.path(), 0.5);
        let r = run(&s);
        let took = t.elapsed();
        assert!(matches!(r, Err(Failure::TimedOut(_))), "{r:?}");
        assert!(took < Duration::from_secs(5), "returned after {took:?}");
        assert!(r.unwrap_err().describe("x").contains("timed out after 0.5s"));
        let pid: i32 = std::fs::read_to_string(dir.path().join("bg.pid")).unwrap().trim().parse().unwrap();
        // Reaped by init once killed; allow it a moment.
        let until = Instant::now() + Duration::from_secs(5);
        while Path::new(&format!("/proc/{pid}")).exists()
            && !std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default().contains(") Z")
        {
            assert!(Instant::now() < until, "the background sleep {pid} survived");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A command that ignores SIGTERM is killed after the grace period.
    #[test]
    fn sigterm_ignored_then_killed() {
        let dir = tempfile::tempdir().unwrap();
        let t = Instant::now();
        let r = run(&spec("trap '' TERM; sleep 60", dir.path(), 0.3));
        assert!(matches!(r, Err(Failure::TimedOut(_))), "{r:?}");
        assert!(t.elapsed() < GRACE + Duration::from_secs(3), "{:?}", t.elapsed());
    }
}
