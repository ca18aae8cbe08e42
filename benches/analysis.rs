//! Benchmarks of the ReDoS verdict, stage by stage: parsing to the IR, the
//! static ambiguity analysis, and the full verdict (analysis plus
//! confirmation by simulation), on patterns of the shapes that matter: a
//! safe anchored rule (the common case, which must stay cheap), a CRS
//! 941-style rule, an exponential, a cubic and a quadratic one (which pay
//! for the simulation), and a large generated alternation. Targets (issue 3): median ≤ 0.2 ms and max
//! ≤ 50 ms per regex over the dev corpus and every CRS `@rx`.
//!
//! Run with `cargo bench --bench analysis`. The `corpus` benchmark runs
//! over every `@rx` of `../shared/corpus/configs/owasp-crs` and every
//! labeled regex of `../shared/corpus/redos/labeled-dev.jsonl` when the
//! shared folder is present, and are skipped otherwise; per-regex medians
//! over the corpus come from `cargo run --release --example verdict_timing`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::PathBuf;
use std::sync::LazyLock;

use cfglint::analysis::candidates::{RedosConfig, analyze_text};
use cfglint::analysis::parse::{ParseConfig, parse};
use cfglint::lint::{self, LintOptions};
use cfglint::source::{Flags, Flavor, Semantics};
use cfglint::verify::verdict::{RedosSettings, check};
use divan::Bencher;

fn main() {
    divan::main();
}

/// Named patterns, each analyzed as PCRE under search semantics.
const PATTERNS: &[(&str, &str)] = &[
    // CRS 941-style scanner rule: `[^\w<>]*` then `[^<>\x22'\s]*:` overlap
    // on ':' (cubic under search).
    (
        "crs-keywords",
        r"(?i)<[^\w<>]*(?:[^<>\x22'\s]*:)?[^\w<>]*(?:\W*?s\W*?c\W*?r\W*?i\W*?p\W*?t|\W*?f\W*?o\W*?r\W*?m)",
    ),
    // A path rule with disjoint loops: linear.
    ("anchored-path", r"^/api/v[0-9]+/(?:users|groups)/[a-z0-9-]{1,64}(?:/[a-z]+)?$"),
    // Exponential: nested quantifiers.
    ("nested-plus", r"^(a+)+$"),
    // The 2019 outage rule's core: cubic under search.
    ("outage-cubic", r".*(?:.*=.*)"),
    // Quadratic trim.
    ("trim", r"^\s+|\s+$"),
];

/// A 1,000-word alternation, the shape of an assembled CRS keyword list.
static BIG_ALTERNATION: LazyLock<String> = LazyLock::new(|| {
    let words: Vec<String> = (0..1000u32).map(|i| format!("kw{i:04}x{}", (b'a' + (i % 26) as u8) as char)).collect();
    format!("(?i)\\b(?:{})\\b", words.join("|"))
});

fn pattern(name: &str) -> String {
    if name == "big-alternation" {
        return BIG_ALTERNATION.clone();
    }
    PATTERNS.iter().find(|p| p.0 == name).map(|p| p.1.to_owned()).expect("a known benchmark pattern")
}

const NAMES: &[&str] = &["crs-keywords", "anchored-path", "nested-plus", "outage-cubic", "trim", "big-alternation"];

#[divan::bench(args = NAMES)]
fn parse_ir(bencher: Bencher, name: &str) {
    let p = pattern(name);
    let config = ParseConfig::new(Flavor::Pcre);
    bencher.bench(|| parse(divan::black_box(&p), &config).expect("benchmark pattern parses"));
}

#[divan::bench(args = NAMES)]
fn static_analysis(bencher: Bencher, name: &str) {
    let p = pattern(name);
    let ir = parse(&p, &ParseConfig::new(Flavor::Pcre)).expect("benchmark pattern parses");
    let config = RedosConfig::default();
    bencher.bench(|| analyze_text(&p, divan::black_box(&ir), Flavor::Pcre, Semantics::Search, &config));
}

#[divan::bench(args = NAMES)]
fn full_verdict(bencher: Bencher, name: &str) {
    let p = pattern(name);
    let settings = RedosSettings::default();
    bencher.bench(|| {
        let ir = parse(divan::black_box(&p), &ParseConfig::new(Flavor::Pcre)).expect("benchmark pattern parses");
        check(&p, &ir, Flavor::Pcre, Semantics::Search, &settings)
    });
}

/// A pattern to verdict, with its flavor and semantics.
struct Item {
    pattern: String,
    flavor: Flavor,
    flags: Flags,
    semantics: Semantics,
}

fn shared() -> Option<PathBuf> {
    common::shared_corpus()
}

static CRS: LazyLock<Vec<Item>> = LazyLock::new(|| {
    let Some(corpus) = shared() else { return Vec::new() };
    let report = lint::lint_paths_extract_only(&[corpus.join("configs/owasp-crs")], &LintOptions::default());
    report
        .files
        .iter()
        .filter(|f| std::path::Path::new(&f.path).extension().is_some_and(|e| e.eq_ignore_ascii_case("conf")))
        .flat_map(|f| f.extraction.patterns.iter())
        .map(|p| Item { pattern: p.pattern.clone(), flavor: p.flavor, flags: p.flags, semantics: p.semantics })
        .collect()
});

static DEV: LazyLock<Vec<Item>> = LazyLock::new(|| {
    let Some(corpus) = shared() else { return Vec::new() };
    let Ok(text) = std::fs::read_to_string(corpus.join("redos/labeled-dev.jsonl")) else { return Vec::new() };
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| Item {
            pattern: v["pattern"].as_str().unwrap_or_default().to_owned(),
            flavor: v["flavor"].as_str().unwrap_or("pcre").parse().unwrap_or(Flavor::Pcre),
            flags: Flags::from_letters(v["flags"].as_str().unwrap_or("")),
            semantics: Semantics::Search,
        })
        .collect()
});

fn verdict_all(items: &[Item], settings: &RedosSettings) -> usize {
    items
        .iter()
        .filter(|it| {
            parse(&it.pattern, &ParseConfig::new(it.flavor).flags(it.flags))
                .ok()
                .is_some_and(|ir| check(&it.pattern, &ir, it.flavor, it.semantics, settings).is_vulnerable())
        })
        .count()
}

/// Every CRS `@rx` (`crs`) or every labeled dev regex (`dev`), one verdict
/// each (skipped without the shared corpus).
#[divan::bench(args = ["crs", "dev"], sample_count = 10)]
fn corpus(bencher: Bencher, name: &str) {
    let items: &[Item] = if name == "crs" { &CRS } else { &DEV };
    if items.is_empty() {
        return;
    }
    let settings = RedosSettings::default();
    bencher.counter(divan::counter::ItemsCount::new(items.len())).bench(|| verdict_all(items, &settings));
}
