//! `cfglint check [PATH]...`: lint files and folders.

use std::io::Write;

use miette::Result;

use crate::cli::args::CheckArgs;
use crate::cli::settings;
use crate::cli::{ExitStatus, write_out};
use crate::lint;
use crate::report;

/// Run `check`.
pub fn run(args: &CheckArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let settings = settings::resolve(&args.common)?;
    let report = lint::lint_paths(&args.paths, &settings.lint);
    let findings = report.findings();
    let text = report::render(settings.format, &findings, &report.summary, &report.sources(), settings.color);
    write_out(out, &text)?;
    let mut status =
        if findings.iter().any(|f| f.severity >= settings.fail_on) { ExitStatus::Failure } else { ExitStatus::Success };
    if !report.errors.is_empty() {
        let mut err = std::io::stderr().lock();
        for e in &report.errors {
            let _ = writeln!(err, "error: {e}");
        }
        status = status.max(ExitStatus::Error);
    }
    Ok(status)
}
