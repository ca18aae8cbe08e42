//! `cfglint regex PATTERN`: analyze one pattern given on the command line.

use std::io::Write;
use std::sync::Arc;

use miette::Result;

use crate::cli::args::RegexArgs;
use crate::cli::settings;
use crate::cli::{ExitStatus, write_out};
use crate::lint;
use crate::report::{self, Sources, Summary};
use crate::source::{Flags, Flavor, Semantics};

/// Parse a `--semantics` value.
pub fn parse_semantics(s: &str) -> Result<Semantics> {
    match s {
        "search" => Ok(Semantics::Search),
        "anchored-start" | "match" => Ok(Semantics::AnchoredStart),
        "full-match" | "fullmatch" => Ok(Semantics::FullMatch),
        other => Err(miette::miette!("--semantics: expected search, anchored-start or full-match, not `{other}`")),
    }
}

/// Run `regex`.
pub fn run(args: &RegexArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let settings = settings::resolve(&args.common)?;
    let flavor = settings.flavor.unwrap_or(Flavor::Pcre);
    let semantics = parse_semantics(&args.semantics)?;
    let result = lint::lint_pattern(&args.pattern, flavor, Flags::from_letters(&args.flags), semantics, &settings.lint);
    let summary = Summary { files: 0, regexes: 1, findings: result.findings.len(), elapsed_ms: 0 };
    let mut sources = Sources::default();
    sources.insert(lint::COMMAND_LINE, Arc::clone(&result.text));
    let text = report::render(settings.format, &result.findings, &summary, &sources, settings.color);
    write_out(out, &text)?;
    Ok(if result.findings.iter().any(|f| f.severity >= settings.fail_on) {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}
