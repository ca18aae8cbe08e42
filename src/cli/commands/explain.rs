//! `cfglint explain RULE`: a rule's documentation.

use std::fmt::Write as _;
use std::io::Write;

use miette::Result;

use crate::cli::args::DataFormat;
use crate::cli::args::ExplainArgs;
use crate::cli::{ExitStatus, write_out};
use crate::rules;

/// Run `explain`.
pub fn run(args: &ExplainArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let Some(meta) = rules::lookup(&args.rule) else {
        let known: Vec<String> = rules::registry().iter().map(|m| format!("{} ({})", m.code, m.id)).collect();
        return Err(miette::miette!(
            help = format!("known rules: {}", known.join(", ")),
            "unknown rule `{}`",
            args.rule
        ));
    };
    let mut s = String::new();
    if args.format.format == DataFormat::Json {
        let examples: Vec<serde_json::Value> =
            meta.examples.iter().map(|e| serde_json::json!({"bad": e.bad, "good": e.good, "note": e.note, "flavor": e.flavor, "semantics": e.semantics})).collect();
        let v = serde_json::json!({
            "code": meta.code, "name": meta.id, "category": meta.category,
            "default_severity": meta.default_severity, "status": meta.status, "since": meta.since,
            "summary": meta.summary, "what": meta.what, "why": meta.why, "examples": examples,
        });
        let _ = writeln!(s, "{}", serde_json::to_string_pretty(&v).expect("JSON values serialize"));
    } else {
        let _ = writeln!(s, "{} {}: {}", meta.code, meta.id, meta.summary);
        let _ = writeln!(
            s,
            "category: {}   default severity: {}   status: {}   since: {}\n",
            meta.category, meta.default_severity, meta.status, meta.since
        );
        let _ = writeln!(s, "What it finds\n\n{}", indent(meta.what.trim()));
        let _ = writeln!(s, "Why it matters\n\n{}", indent(meta.why.trim()));
        if !meta.examples.is_empty() {
            let _ = writeln!(s, "Examples\n");
            for e in &meta.examples {
                let (tag, pat) = match (&e.bad, &e.good) {
                    (Some(b), _) => ("bad ", b),
                    (None, Some(g)) => ("good", g),
                    (None, None) => continue,
                };
                let mut note = e.note.as_deref().map(|n| format!("   # {n}")).unwrap_or_default();
                if let Some(f) = e.flavor {
                    note = format!("   (--flavor {f}){note}");
                }
                let _ = writeln!(s, "    {tag}  {pat}{note}");
            }
        }
    }
    write_out(out, &s)?;
    Ok(ExitStatus::Success)
}

fn indent(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let _ = writeln!(out, "    {line}");
    }
    out
}
