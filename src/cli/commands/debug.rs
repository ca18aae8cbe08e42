//! `cfglint debug {ir,hir,nfa,witness} PATTERN`: dump internals.

use std::fmt::Write as _;
use std::io::Write;

use miette::Result;

use crate::analysis::candidates;
use crate::analysis::ir::Ir;
use crate::analysis::parse::{ParseConfig, parse};
use crate::cli::args::{DebugArgs, DebugWhat};
use crate::cli::settings;
use crate::cli::settings::Settings;
use crate::cli::{ExitStatus, write_out};
use crate::source::Semantics;
use crate::source::{Flags, Flavor};
use crate::verify::growth;
use crate::verify::simulator::{Program, SimOptions};

/// Run `debug`.
pub fn run(args: &DebugArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let settings = settings::resolve(&args.common())?;
    let engine = settings.flavor.unwrap_or(Flavor::Pcre);
    // Onigmo is parsed with its own escapes, then analysed as PCRE with line
    // anchors (`Flavor::model`).
    let (flavor, flags) = (engine.model(), engine.engine_flags(Flags::from_letters(&args.flags)));
    let mut s = String::new();
    match args.what {
        DebugWhat::Ir => match parse(&args.pattern, &ParseConfig::new(engine).flags(flags)) {
            Ok(ir) => {
                for (i, node) in ir.nodes.iter().enumerate() {
                    let text = args.pattern.get(node.span.range()).unwrap_or("");
                    let _ =
                        writeln!(s, "{i:>4} {:>4}..{:<4} {:<24} {:?}", node.span.start, node.span.end, text, node.kind);
                }
                let _ = writeln!(s, "root: {}  captures: {}", ir.root.0, ir.captures);
                for a in &ir.approximations {
                    let _ = writeln!(s, "approximation at {}..{}: {}", a.span.start, a.span.end, a.what);
                }
            }
            Err(e) => {
                let _ = writeln!(s, "parse error at {}..{}: {}", e.span.start, e.span.end, e.message);
            }
        },
        DebugWhat::Hir => match regex_syntax::ParserBuilder::new().build().parse(&args.pattern) {
            Ok(hir) => {
                let _ = writeln!(s, "{hir:#?}");
            }
            Err(e) => {
                let _ = writeln!(s, "{e}");
            }
        },
        DebugWhat::Nfa | DebugWhat::Witness => {
            let semantics = super::regex::parse_semantics(&args.semantics)?;
            let ir = match parse(&args.pattern, &ParseConfig::new(engine).flags(flags)) {
                Ok(ir) => ir,
                Err(e) => {
                    let _ = writeln!(s, "parse error at {}..{}: {}", e.span.start, e.span.end, e.message);
                    write_out(out, &s)?;
                    return Ok(ExitStatus::Success);
                }
            };
            if matches!(args.what, DebugWhat::Nfa) {
                s.push_str(&candidates::debug_nfa(&ir, flavor, semantics, &settings.lint.rules.redos.analysis));
            } else {
                witness_dump(&mut s, &args.pattern, &ir, flavor, semantics, &settings);
            }
        }
    }
    write_out(out, &s)?;
    Ok(ExitStatus::Success)
}

/// Every candidate attack of the static analysis and what the simulator
/// measured on it.
fn witness_dump(s: &mut String, pattern: &str, ir: &Ir, flavor: Flavor, semantics: Semantics, settings: &Settings) {
    let cfg = &settings.lint.rules.redos;
    let verdict = candidates::analyze_text(pattern, ir, flavor, semantics, &cfg.analysis);
    let _ = writeln!(
        s,
        "static verdict: {} ({} candidates)",
        verdict.complexity.big_o(verdict.degree),
        verdict.candidates.len()
    );
    for note in &verdict.notes {
        let _ = writeln!(s, "  note: {note}");
    }
    let program = Program::compile(ir, &SimOptions::new(flavor, semantics));
    let n = verdict.candidates.len();
    for (i, c) in verdict.candidates.iter().chain(&verdict.speculative).enumerate() {
        if i == n {
            let _ = writeln!(s, "\nunchecked attacks (no input was found that makes every path fail):");
        }
        let _ = writeln!(
            s,
            "\ncandidate {}: claims {}\n  prefix {:?}\n  pump   {:?}\n  suffix {:?}\n  loops  {:?}\n  {}\n  hint: {}",
            i + 1,
            c.complexity.big_o(c.degree),
            c.attack.prefix,
            c.attack.pump,
            c.attack.suffix,
            c.loops.iter().map(|l| format!("{}..{}", l.start, l.end)).collect::<Vec<_>>(),
            c.overlap,
            c.hint
        );
        match &program {
            Ok(p) => {
                let g = growth::measure(p, &c.attack, &cfg.growth);
                let _ = writeln!(s, "  simulated: {:?}, points {:?}", g.class, g.points);
            }
            Err(e) => {
                let _ = writeln!(s, "  not simulated: {e}");
            }
        }
    }
}
