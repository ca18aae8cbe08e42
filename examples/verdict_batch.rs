//! The backtracking verdict for a batch of patterns, as JSON lines: the
//! input for comparing cfglint with other checkers and with real engines.
//!
//! ```text
//! cargo run --release --example verdict_batch < patterns.jsonl > verdicts.jsonl
//! ```
//!
//! Each input line is `{"id", "pattern", "flags"?, "flavor"?, "semantics"?}`
//! (flavor defaults to pcre, semantics to search). Each output line is
//! `{"id", "complexity", "degree", "confirmed", "attack", "steps", "notes",
//! "ms"}`, or `{"id", "error"}` when the pattern does not parse.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{BufRead, Write};
use std::time::Instant;

use cfglint::analysis::parse::{ParseConfig, parse};
use cfglint::source::{Flags, Flavor, Semantics};
use cfglint::verify::verdict::{RedosSettings, check};
use serde_json::{Value, json};

fn semantics(s: Option<&str>) -> Semantics {
    match s {
        Some("anchored-start") => Semantics::AnchoredStart,
        Some("full-match") => Semantics::FullMatch,
        _ => Semantics::Search,
    }
}

fn main() {
    let settings = RedosSettings::default();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for line in std::io::stdin().lock().lines() {
        let line = line.expect("readable stdin");
        if line.trim().is_empty() {
            continue;
        }
        let e: Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(err) => {
                eprintln!("skipping a line that is not JSON: {err}");
                continue;
            }
        };
        let id = e["id"].clone();
        let pattern = e["pattern"].as_str().unwrap_or_default();
        let flavor: Flavor = e["flavor"].as_str().unwrap_or("pcre").parse().unwrap_or(Flavor::Pcre);
        let flags = Flags::from_letters(e["flags"].as_str().unwrap_or(""));
        let start = Instant::now();
        let row = match parse(pattern, &ParseConfig::new(flavor).flags(flags)) {
            Err(err) => json!({"id": id, "error": err.to_string()}),
            Ok(ir) => {
                let v = check(pattern, &ir, flavor, semantics(e["semantics"].as_str()), &settings);
                let attack = v.candidate.as_ref().map(|c| &c.attack);
                json!({
                    "id": id,
                    "complexity": v.complexity.as_str(),
                    "degree": v.degree,
                    "confirmed": v.confirmed,
                    "attack": attack.map(|a| json!({"prefix": a.prefix, "pump": a.pump, "suffix": a.suffix})),
                    "steps": v.steps(),
                    "notes": v.notes,
                    "ms": start.elapsed().as_secs_f64() * 1e3,
                })
            }
        };
        writeln!(out, "{row}").expect("writable stdout");
    }
}
