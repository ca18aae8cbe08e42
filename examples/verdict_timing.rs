//! Time the full backtracking verdict (parse, static analysis, confirmation
//! by simulation, and for `pcre` the replay on real PCRE2) per regex over a
//! corpus, and print the distribution.
//!
//! ```text
//! cargo run --release --example verdict_timing -- ../shared/corpus/redos/labeled-dev.jsonl
//! cargo run --release --example verdict_timing -- ../shared/corpus/configs/owasp-crs/rules
//! ```
//!
//! A `.jsonl` argument is read as the labeled ReDoS corpus (`pattern`,
//! `flags`, `flavor` per line); anything else is walked as config and every
//! extracted pattern is timed with its own flavor and semantics.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::time::Instant;

use cfglint::analysis::candidates::analyze_text;
use cfglint::analysis::parse::{ParseConfig, parse};
use cfglint::lint::{self, LintOptions};
use cfglint::source::{Flags, Flavor, Semantics};
use cfglint::verify::verdict::{RedosSettings, check_with_engine};

struct Item {
    label: String,
    pattern: String,
    flavor: Flavor,
    flags: Flags,
    semantics: Semantics,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        eprintln!("usage: verdict_timing PATH...");
        std::process::exit(2);
    }
    let mut items = Vec::new();
    for a in &args {
        if std::path::Path::new(a).extension().is_some_and(|e| e.eq_ignore_ascii_case("jsonl")) {
            let text = std::fs::read_to_string(a).expect("readable corpus");
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let v: serde_json::Value = serde_json::from_str(line).expect("JSON line");
                items.push(Item {
                    label: v["id"].as_str().unwrap_or("?").to_owned(),
                    pattern: v["pattern"].as_str().unwrap_or_default().to_owned(),
                    flavor: v["flavor"].as_str().unwrap_or("pcre").parse().unwrap_or(Flavor::Pcre),
                    flags: Flags::from_letters(v["flags"].as_str().unwrap_or("")),
                    semantics: Semantics::Search,
                });
            }
        } else {
            let report = lint::lint_paths_extract_only(&[PathBuf::from(a)], &LintOptions::default());
            for f in &report.files {
                for p in &f.extraction.patterns {
                    items.push(Item {
                        label: format!("{} {}", f.path, p.key),
                        pattern: p.pattern.clone(),
                        flavor: p.flavor,
                        flags: p.flags,
                        semantics: p.semantics,
                    });
                }
            }
        }
    }
    let settings = RedosSettings::default();
    // The static analysis alone (no simulation), to see which stage a
    // median is spent in.
    let mut static_ms: Vec<f64> = items
        .iter()
        .filter_map(|it| {
            let ir = parse(&it.pattern, &ParseConfig::new(it.flavor).flags(it.flags)).ok()?;
            let start = Instant::now();
            let _ = analyze_text(&it.pattern, &ir, it.flavor, it.semantics, &settings.analysis);
            Some(start.elapsed().as_secs_f64() * 1e3)
        })
        .collect();
    static_ms.sort_by(f64::total_cmp);
    let mut times: Vec<(f64, String, String)> = Vec::new();
    let mut vulnerable = 0;
    for it in &items {
        let start = Instant::now();
        let verdict = parse(&it.pattern, &ParseConfig::new(it.flavor).flags(it.flags))
            .ok()
            .map(|ir| check_with_engine(&it.pattern, &ir, it.flavor, it.flags, it.semantics, &settings));
        let ms = start.elapsed().as_secs_f64() * 1e3;
        let what = verdict.map_or("unparsed".to_owned(), |v| {
            if v.is_vulnerable() {
                vulnerable += 1;
            }
            v.complexity.big_o(v.degree)
        });
        times.push((ms, it.label.clone(), what));
    }
    times.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = times.len();
    if n == 0 {
        println!("no patterns");
        return;
    }
    let pct = |p: f64| times[((n as f64 - 1.0) * p).round() as usize].0;
    println!(
        "{n} regexes, {vulnerable} confirmed super-linear; per regex: median {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        pct(0.5),
        pct(0.9),
        pct(0.99),
        times[n - 1].0
    );
    if let (Some(med), Some(max)) = (static_ms.get(static_ms.len() / 2), static_ms.last()) {
        println!("static analysis alone: median {med:.3} ms, max {max:.3} ms");
    }
    if std::env::var_os("VERDICT_TIMING_ALL").is_some() {
        for (ms, label, what) in &times {
            println!("  {ms:>8.3} ms  {what:<12} {label}");
        }
    }
    println!("slowest:");
    for (ms, label, what) in times.iter().rev().take(5) {
        println!("  {ms:>8.3} ms  {what:<12} {label}");
    }
}
