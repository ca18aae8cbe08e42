//! `cfglint regex PATTERN`: analyze one pattern given on the command line.

use std::io::Write;
use std::sync::Arc;

use miette::Result;

use crate::analysis::parse::{ParseConfig, parse};
use crate::cli::args::RegexArgs;
use crate::cli::settings;
use crate::cli::{ExitStatus, write_out};
use crate::lint;
use crate::report::{self, Format, Sources, Summary};
use crate::rules::{self, backtracking_engine};
use crate::source::{Flags, Flavor, Semantics};
use crate::verify::verdict::Verdict;

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
    let mut settings = settings::resolve(&args.common)?;
    // One pattern asked about: its proven fix, if any, is worth the search.
    settings.lint.rules.fixes = true;
    let flavor = settings.flavor.unwrap_or(Flavor::Pcre);
    let semantics = parse_semantics(&args.semantics)?;
    let flags = Flags::from_letters(&args.flags);
    let result = lint::lint_pattern(&args.pattern, flavor, flags, semantics, &settings.lint);
    let summary = Summary { files: 0, regexes: 1, findings: result.findings.len(), elapsed_ms: 0 };
    let mut sources = Sources::default();
    sources.insert(lint::COMMAND_LINE, Arc::clone(&result.text));
    // The verdict is printed even when there is no finding: "linear" is an
    // answer too. (The rules computed it already; recomputing one pattern
    // costs well under a millisecond for linear patterns.)
    // Guarded like the rules: a panic here is already a CL009 finding.
    let verdict =
        parse(&args.pattern, &ParseConfig::new(flavor.model()).flags(flavor.engine_flags(flags))).ok().and_then(|ir| {
            lint::guard::catch(|| {
                rules::verdict(&args.pattern, &ir, flavor, flags, semantics, &settings.lint.rules.redos)
            })
            .ok()
        });
    let text = match settings.format {
        Format::Json => {
            let mut doc: serde_json::Value =
                serde_json::from_str(&report::render(Format::Json, &result.findings, &summary, &sources, false))
                    .expect("the JSON reporter emits JSON");
            doc["verdict"] = verdict_json(verdict.as_ref(), flavor, flags, semantics);
            let mut s = serde_json::to_string_pretty(&doc).expect("JSON values serialize");
            s.push('\n');
            s
        }
        Format::Human => {
            let mut s = report::render(Format::Human, &result.findings, &summary, &sources, settings.color);
            s.push_str(&verdict_line(verdict.as_ref(), flavor, semantics));
            s
        }
        other => report::render(other, &result.findings, &summary, &sources, settings.color),
    };
    write_out(out, &text)?;
    // An internal error (a caught panic, CL009) is never a silent pass.
    Ok(if result.findings.iter().any(lint::guard::is_internal_error) {
        ExitStatus::Error
    } else if result.findings.iter().any(|f| f.severity >= settings.fail_on) {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

fn how(semantics: Semantics) -> &'static str {
    match semantics {
        Semantics::Search => "search",
        Semantics::AnchoredStart => "anchored-start",
        Semantics::FullMatch => "full-match",
    }
}

/// One line for people: the verdict, its engine and semantics.
fn verdict_line(verdict: Option<&Verdict>, flavor: Flavor, semantics: Semantics) -> String {
    let engine = backtracking_engine(flavor);
    let Some(v) = verdict else {
        return format!("verdict: not analyzed (the pattern does not parse for {engine})\n");
    };
    if !flavor.is_backtracking() {
        return format!("verdict: linear ({engine} never backtracks)\n");
    }
    let mut s = if v.is_vulnerable() {
        format!(
            "verdict: {} in {engine} ({} semantics), confirmed by simulation\n",
            v.complexity.big_o(v.degree),
            how(semantics)
        )
    } else {
        match v.complexity {
            crate::finding::Complexity::Linear => {
                format!(
                    "verdict: linear in {engine} ({} semantics): no input makes it backtrack super-linearly\n",
                    how(semantics)
                )
            }
            _ => format!("verdict: unknown in {engine} ({} semantics)\n", how(semantics)),
        }
    };
    for note in v.notes.iter().chain(v.engine.as_ref().map(crate::verify::engine::EngineCheck::note).as_ref()) {
        s.push_str("  note: ");
        s.push_str(note);
        s.push('\n');
    }
    s
}

/// The verdict object of `regex --format json`.
fn verdict_json(verdict: Option<&Verdict>, flavor: Flavor, flags: Flags, semantics: Semantics) -> serde_json::Value {
    let flags = flavor.engine_flags(flags).to_letters();
    let Some(v) = verdict else {
        return serde_json::json!({
            "complexity": null, "flavor": flavor, "flags": flags, "semantics": how(semantics), "analyzed": false
        });
    };
    serde_json::json!({
        "complexity": v.complexity,
        "degree": v.degree,
        "confirmed": v.confirmed,
        "attack": v.candidate.as_ref().filter(|_| v.confirmed).map(|c| &c.attack),
        "steps": v.steps(),
        "flavor": flavor,
        "flags": flags,
        "semantics": how(semantics),
        "notes": v.notes,
        "engine_check": v.engine,
        "analyzed": true,
    })
}
