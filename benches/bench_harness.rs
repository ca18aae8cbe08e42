//! Harness overhead of `cfglint bench`'s linear figures: the timed loop
//! (`bench::linear::scan` over a rule's gathered values) against a raw
//! regex-automata loop over the same values. Target: the harness adds at
//! most 5 %.
//!
//! Run with `cargo bench --bench bench_harness`. The inputs are the shared
//! corpus's User-Agent lists when present (`../shared/corpus/inputs/user-agents`),
//! otherwise a generated set of the same shape.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::PathBuf;
use std::sync::LazyLock;

use cfglint::bench::linear::{self, Values};
use cfglint::source::Flags;
use divan::Bencher;
use divan::counter::BytesCount;
use regex_automata::meta::Regex;

fn main() {
    divan::main();
}

/// A CRS-style scanner rule: case-insensitive keyword alternation.
const PATTERN: &str = r"(?i)(?:\b(?:select|union|insert|sleep|benchmark)\b|<script|javascript:|\.\./)";

static INPUTS: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    if let Some(dir) = common::shared_corpus().map(|c| c.join("inputs/user-agents"))
        && let Ok(entries) = std::fs::read_dir(&dir)
    {
        let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        let mut lines = Vec::new();
        for f in files {
            if let Ok(bytes) = std::fs::read(&f) {
                lines.extend(bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()).map(<[u8]>::to_vec));
            }
        }
        if !lines.is_empty() {
            return lines;
        }
    }
    // Generated stand-ins: browser-like strings of varied length.
    (0..5000u32)
        .map(|i| {
            format!(
                "Mozilla/5.0 (X11; Linux x86_64; rv:{}.0) Gecko/20100101 Firefox/{}.0 build-{}",
                60 + i % 60,
                60 + i % 60,
                "x".repeat((i % 97) as usize)
            )
            .into_bytes()
        })
        .collect()
});

fn regex() -> Regex {
    linear::compile(PATTERN, Flags::default()).expect("the benchmark pattern compiles")
}

fn total_bytes() -> usize {
    INPUTS.iter().map(Vec::len).sum()
}

/// The baseline: regex-automata's `is_match` over every input.
#[divan::bench]
fn raw_regex_automata(b: Bencher) {
    let re = regex();
    let inputs: Vec<&[u8]> = INPUTS.iter().map(Vec::as_slice).collect();
    b.counter(BytesCount::new(total_bytes())).bench_local(|| {
        let mut n = 0usize;
        for v in &inputs {
            if re.is_match(*v) {
                n += 1;
            }
        }
        n
    });
}

/// The harness's timed loop over the same inputs (one value each).
#[divan::bench]
fn harness_scan(b: Bencher) {
    let re = regex();
    let inputs: Vec<&[u8]> = INPUTS.iter().map(Vec::as_slice).collect();
    let values = Values::from_slices(&inputs);
    let mut matched = vec![false; values.len()];
    let mut cache = re.create_cache();
    b.counter(BytesCount::new(total_bytes())).bench_local(|| linear::scan(&re, &mut cache, &values, &mut matched));
}
