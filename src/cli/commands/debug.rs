//! `cfglint debug {ir,hir,nfa,witness} PATTERN`: dump internals.

use std::fmt::Write as _;
use std::io::Write;

use miette::Result;

use crate::analysis::parse::{ParseConfig, parse};
use crate::cli::args::{DebugArgs, DebugWhat};
use crate::cli::settings;
use crate::cli::{ExitStatus, write_out};
use crate::source::{Flags, Flavor};

/// Run `debug`.
pub fn run(args: &DebugArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let settings = settings::resolve(&args.common)?;
    let flavor = settings.flavor.unwrap_or(Flavor::Pcre);
    let flags = Flags::from_letters(&args.flags);
    let mut s = String::new();
    match args.what {
        DebugWhat::Ir => match parse(&args.pattern, &ParseConfig::new(flavor).flags(flags)) {
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
            return Err(miette::miette!("`cfglint debug nfa|witness` needs the backtracking analysis, not built yet"));
        }
    }
    write_out(out, &s)?;
    Ok(ExitStatus::Success)
}
