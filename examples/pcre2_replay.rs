//! Replay attacks on the real PCRE2 linked into cfglint and say whether it
//! backtracks super-linearly: the cross-check of the simulator's
//! confirmations, in bulk (the same replay `cfglint check` runs for every
//! confirmed `pcre` finding, see `cfglint::verify::engine`).
//!
//! ```text
//! cfglint check ../shared/corpus/configs --format json | cargo run --release --example pcre2_replay
//! ```
//!
//! The input is either a cfglint JSON report (its `findings` with an
//! `attack` are replayed, with `file` and `key` as the id) or JSON lines
//! `{"id", "pattern", "flags"?, "semantics"?, "attack": {"prefix", "pump",
//! "suffix"}}`; entries without an attack are skipped. Each output line is
//! `{"id", "reproduced", "steps": [[bytes, work]...]}` (or `"error"` when
//! PCRE2 rejects the pattern or is not built in), then a summary on stderr.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{Read, Write};

use cfglint::analysis::Attack;
use cfglint::source::{Flags, Semantics};
use cfglint::verify::engine::replay_pcre2;
use serde_json::{Value, json};

fn main() {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).expect("readable stdin");
    let entries: Vec<Value> = match serde_json::from_str::<Value>(&text) {
        Ok(report) if report["findings"].is_array() => report["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| {
                let mut f = f.clone();
                f["id"] = json!(format!("{} {}", f["file"].as_str().unwrap_or("?"), f["key"].as_str().unwrap_or("?")));
                f
            })
            .collect(),
        _ => text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect(),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let (mut total, mut reproduced) = (0usize, 0usize);
    for e in entries {
        let Ok(attack) = serde_json::from_value::<Attack>(e["attack"].clone()) else { continue };
        let pattern = e["pattern"].as_str().unwrap_or_default();
        let flags = Flags::from_letters(e["flags"].as_str().unwrap_or(""));
        let semantics = match e["semantics"].as_str() {
            Some("anchored-start") => Semantics::AnchoredStart,
            Some("full-match") => Semantics::FullMatch,
            _ => Semantics::Search,
        };
        total += 1;
        let line = match replay_pcre2(pattern, flags, semantics, &attack) {
            Some(c) => {
                reproduced += usize::from(c.reproduced);
                json!({"id": e["id"], "reproduced": c.reproduced, "steps": c.steps})
            }
            None => json!({"id": e["id"], "error": "PCRE2 rejects the pattern, or is not built in"}),
        };
        writeln!(out, "{line}").ok();
    }
    eprintln!("{reproduced} of {total} attacks blow up PCRE2");
}
