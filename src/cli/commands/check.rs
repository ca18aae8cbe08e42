//! `cfglint check [PATH]...`: lint files and folders.

use std::io::Write;

use miette::Result;

use crate::cli::args::CheckArgs;
use crate::cli::settings;
use crate::cli::{ExitStatus, print_errors, write_out};
use crate::lint;
use crate::lint::baseline::Baseline;
use crate::lint::cache::ResultCache;
use crate::report;

/// Run `check`.
pub fn run(args: &CheckArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let mut settings = settings::resolve(&args.common())?;
    settings.lint.no_ignore = args.no_ignore;
    settings.lint.rules.fixes = args.suggest_fixes;
    // Read the baseline first: a bad one should fail before any work.
    let baseline = args.baseline.as_deref().map(Baseline::load).transpose()?;
    let cache =
        if args.no_cache { None } else { super::diff::cache_for(&settings, ResultCache::default_dir(&settings.cwd)) };
    let report = lint::lint_paths_cached(&args.paths, &settings.lint, cache.as_ref());
    if let Some(c) = &cache {
        c.prune_if_due();
    }
    let mut findings = report.findings();
    // An internal error (a caught panic, CL009) fails the run whatever
    // `--fail-on` or the baseline say: never a silent pass.
    let mut status =
        if findings.iter().any(lint::guard::is_internal_error) { ExitStatus::Error } else { ExitStatus::Success };
    // Files the walk left out on purpose: said, not silent.
    if !report.skipped.is_empty() {
        let mut err = std::io::stderr().lock();
        for s in &report.skipped {
            let _ = writeln!(err, "note: {}", report::human::escape_controls(s));
        }
    }
    // Paths that could not be read come first, so the summary that follows
    // is not read as "everything is fine".
    if !report.errors.is_empty() {
        print_errors(&report.errors);
        status = ExitStatus::Error;
    }
    if let Some(path) = &args.write_baseline {
        let b = Baseline::from_findings(&findings);
        b.write(path)?;
        let _ = writeln!(
            std::io::stderr().lock(),
            "wrote {} fingerprint{} to {}",
            b.fingerprints.len(),
            if b.fingerprints.len() == 1 { "" } else { "s" },
            path.display()
        );
    } else {
        if let Some(b) = &baseline {
            findings = b.filter(findings);
        }
        let mut summary = report.summary.clone();
        summary.findings = findings.len();
        summary.unreadable = report.errors.len();
        let text = report::render(settings.format, &findings, &summary, &report.sources(), settings.color);
        write_out(out, &text)?;
        if findings.iter().any(|f| f.severity >= settings.fail_on) {
            status = status.max(ExitStatus::Failure);
        }
    }
    Ok(status)
}
