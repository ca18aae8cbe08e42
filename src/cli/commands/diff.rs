//! `cfglint diff [--base REV] [--head REV | --staged]`: lint what changed.

use std::fmt::Write as _;
use std::io::Write;

use miette::Result;

use crate::cli::args::DiffArgs;
use crate::cli::settings::{self, Settings};
use crate::cli::{ExitStatus, write_out};
use crate::diff::{self, Request};
use crate::git;
use crate::lint::{self, cache::ResultCache};
use crate::report::{self, Format};

/// The analysis cache for a run, keyed to its settings. `dir` is where it
/// goes (see [`ResultCache::default_dir`]); `None` disables it.
pub fn cache_for(settings: &Settings, dir: Option<std::path::PathBuf>) -> Option<ResultCache> {
    let dir = dir?;
    Some(ResultCache::new(dir, &lint::cache::salt(&settings.lint, &settings.config.text)))
}

/// Run `diff`.
pub fn run(args: &DiffArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let settings = settings::resolve(&args.common())?;
    let start = args.repo.clone().unwrap_or_else(|| settings.cwd.clone());
    let repo = git::open(&start)?;
    let cache =
        if args.no_cache { None } else { cache_for(&settings, Some(ResultCache::dir_for_git_dir(repo.path()))) };
    let request = Request { base: args.base.clone(), head: args.head.clone(), staged: args.staged };
    let watchdog = watch_git_reads();
    let report = diff::run(&repo, &request, &settings.lint, cache.as_ref())?;
    drop(watchdog);
    if let Some(c) = &cache {
        c.prune_if_due();
    }
    let mut text = String::new();
    if settings.format == Format::Human {
        let head = report.head.as_ref().map_or("the index", |h| h.label.as_str());
        let _ = writeln!(
            text,
            "cfglint diff: {} -> {head}: {} changed config file{}",
            report.base.label,
            report.summary.files,
            if report.summary.files == 1 { "" } else { "s" }
        );
    }
    text.push_str(&report::render(settings.format, &report.findings, &report.summary, &report.sources, settings.color));
    write_out(out, &text)?;
    // An internal error (a caught panic, CL009) is never a silent pass; a
    // note that the change made a regex better is news, not a failure.
    Ok(if report.findings.iter().any(crate::lint::guard::is_internal_error) {
        ExitStatus::Error
    } else if report.findings.iter().any(|f| f.severity >= settings.fail_on && !f.is_improvement()) {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// How long one git object read may run before it counts as stalled:
/// `$CFGLINT_GIT_READ_TIMEOUT` seconds, default 30.
fn git_read_limit() -> std::time::Duration {
    let secs = std::env::var("CFGLINT_GIT_READ_TIMEOUT").ok().and_then(|s| s.trim().parse::<u64>().ok());
    std::time::Duration::from_secs(secs.unwrap_or(30).max(1))
}

/// Stops the watchdog when dropped.
pub(crate) struct Watchdog(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Watch git reads while the returned guard lives: a read that makes no
/// progress for [`git_read_limit`] (libgit2 loops forever on a truncated
/// loose object) ends the process with exit code 2, naming the object. A
/// pre-commit hook must never hang.
pub(crate) fn watch_git_reads() -> Watchdog {
    let limit = git_read_limit();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let done = std::sync::Arc::clone(&stop);
    std::thread::spawn(move || {
        while !done.load(std::sync::atomic::Ordering::Relaxed) {
            std::thread::sleep(std::time::Duration::from_millis(100));
            if let Some((what, age)) = git::stalled_read(limit) {
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "error: reading {what} from git made no progress for {} s: the object is probably corrupt \
                     (truncated)\n  help: run `git fsck` to find it, then restore it from another clone \
                     (CFGLINT_GIT_READ_TIMEOUT sets the limit in seconds)",
                    age.as_secs()
                );
                std::process::exit(2);
            }
        }
    });
    Watchdog(stop)
}
