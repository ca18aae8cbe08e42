//! `cfglint diff [--base REV] [--head REV | --staged]`: lint what changed.

use std::fmt::Write as _;
use std::io::Write;

use miette::Result;

use crate::cli::args::DiffArgs;
use crate::cli::settings::{self, Settings};
use crate::cli::{ExitStatus, write_out};
use crate::diff::{self, Cache, Request};
use crate::report::{self, Format};

/// The analysis cache for a run, keyed to its settings. `dir` is where it
/// goes (see [`Cache::default_dir`]); `None` disables it.
pub fn cache_for(settings: &Settings, dir: Option<std::path::PathBuf>) -> Option<Cache> {
    let dir = dir?;
    Some(Cache::new(dir, &diff::cache::salt(&settings.lint, &settings.config.text)))
}

/// Run `diff`.
pub fn run(args: &DiffArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let settings = settings::resolve(&args.common)?;
    let start = args.repo.clone().unwrap_or_else(|| settings.cwd.clone());
    let repo = diff::git::open(&start)?;
    let cache = if args.no_cache { None } else { cache_for(&settings, Some(Cache::dir_for_git_dir(repo.path()))) };
    let request = Request { base: args.base.clone(), head: args.head.clone(), staged: args.staged };
    let report = diff::run(&repo, &request, &settings.lint, cache.as_ref())?;
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
    Ok(if report.findings.iter().any(|f| f.severity >= settings.fail_on) {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}
