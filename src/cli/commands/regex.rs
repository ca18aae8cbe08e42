//! `cfglint regex PATTERN`: analyze one pattern given on the command line.

use std::fmt::Write as _;

use std::io::Write;
use std::sync::Arc;

use miette::Result;

use serde::Serialize;

use crate::analysis::Attack;
use crate::analysis::parse::{ParseConfig, parse};
use crate::cli::args::RegexArgs;
use crate::cli::settings;
use crate::cli::{ExitStatus, write_out};
use crate::finding::Complexity;
use crate::lint;
use crate::report::{self, Format, Sources, Summary};
use crate::rules::{self, backtracking_engine};
use crate::source::{Flags, Flavor, Semantics};
use crate::verify::engine::EngineCheck;
use crate::verify::verdict::Verdict;

/// Parse a `--semantics` value (also `match` and `fullmatch`, Python's
/// method names).
pub fn parse_semantics(s: &str) -> Result<Semantics> {
    let canonical = match s {
        "match" => "anchored-start",
        "fullmatch" => "full-match",
        other => other,
    };
    canonical.parse().map_err(|e| miette::miette!("--semantics: {e}"))
}

/// Run `regex`.
pub fn run(args: &RegexArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let mut settings = settings::resolve(&args.common())?;
    // One pattern asked about: its proven fix, if any, is worth the search.
    settings.lint.rules.fixes = true;
    let flavor = settings.flavor.unwrap_or(Flavor::Pcre);
    let semantics = parse_semantics(&args.semantics)?;
    let flags = Flags::from_letters(&args.flags);
    let result = lint::lint_pattern(&args.pattern, flavor, flags, semantics, &settings.lint);
    let summary =
        Summary { files: 0, regexes: 1, findings: result.findings.len(), elapsed_ms: 0, unreadable: 0, ignored: 0 };
    let mut sources = Sources::default();
    sources.insert(lint::COMMAND_LINE, Arc::clone(&result.text));
    // The verdict is printed even when there is no finding: "linear" is an
    // answer too. (The rules computed it already; recomputing one pattern
    // costs well under a millisecond for linear patterns.)
    // Guarded like the rules: a panic here is already a CL009 finding.
    let verdict =
        parse(&args.pattern, &ParseConfig::new(flavor).flags(flavor.engine_flags(flags))).ok().and_then(|ir| {
            lint::guard::catch(|| {
                rules::verdict(&args.pattern, &ir, flavor, flags, semantics, &settings.lint.rules.redos)
            })
            .ok()
        });
    let text = match settings.format {
        Format::Json => report::json::render_with_verdict(
            &result.findings,
            &summary,
            &sources,
            &VerdictJson::new(verdict.as_ref(), flavor, flags, semantics),
        ),
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
            "verdict: {} in {engine} ({semantics} semantics), confirmed by simulation\n",
            v.complexity.big_o(v.degree)
        )
    } else {
        match v.complexity {
            crate::finding::Complexity::Linear => {
                format!(
                    "verdict: linear in {engine} ({semantics} semantics): no input makes it backtrack super-linearly\n"
                )
            }
            _ => format!("verdict: unknown in {engine} ({semantics} semantics)\n"),
        }
    };
    if let Some(b) = v.bounded.as_ref().filter(|_| !v.is_vulnerable()) {
        let _ = writeln!(
            s,
            "  bounded: {} within the bounds of its counted repetitions; {:.0} steps per character on a {}-character \
             attack (CL010)",
            b.complexity.big_o(b.degree),
            b.steps_per_char(),
            b.chars
        );
    }
    for note in v.notes.iter().chain(v.engine.as_ref().map(crate::verify::engine::EngineCheck::note).as_ref()) {
        s.push_str("  note: ");
        s.push_str(note);
        s.push('\n');
    }
    s
}

/// The verdict object of `regex --format json`, keys in this order
/// (docs/output.md). When the pattern was not analyzed (it does not parse
/// for the engine) `complexity` is `null` and the evidence keys are absent.
#[derive(Serialize)]
#[serde(untagged)]
enum VerdictJson<'a> {
    Analyzed {
        complexity: Complexity,
        degree: Option<u32>,
        confirmed: bool,
        attack: Option<&'a Attack>,
        steps: Vec<(u64, u64)>,
        flavor: Flavor,
        flags: String,
        semantics: Semantics,
        notes: &'a [String],
        engine_check: Option<&'a EngineCheck>,
        analyzed: bool,
    },
    NotAnalyzed {
        complexity: Option<Complexity>,
        flavor: Flavor,
        flags: String,
        semantics: Semantics,
        analyzed: bool,
    },
}

impl<'a> VerdictJson<'a> {
    fn new(verdict: Option<&'a Verdict>, flavor: Flavor, flags: Flags, semantics: Semantics) -> Self {
        let flags = flavor.engine_flags(flags).to_letters();
        match verdict {
            None => VerdictJson::NotAnalyzed { complexity: None, flavor, flags, semantics, analyzed: false },
            Some(v) => VerdictJson::Analyzed {
                complexity: v.complexity,
                degree: v.degree,
                confirmed: v.confirmed,
                attack: v.candidate.as_ref().filter(|_| v.confirmed).map(|c| &c.attack),
                steps: v.steps(),
                flavor,
                flags,
                semantics,
                notes: &v.notes,
                engine_check: v.engine.as_ref(),
                analyzed: true,
            },
        }
    }
}
