//! Harness overhead of `cfglint bench`'s linear figures, without divan:
//! the timed loop ([`linear::scan`] over a rule's gathered values) against
//! a raw regex-automata loop over the same values, as benches/bench_harness.rs
//! measures it.
//!
//! ```text
//! cargo run --release --example harness_overhead            # both, timed, median of 31 rounds
//! valgrind --tool=callgrind target/release/examples/harness_overhead raw      # instructions, one pass
//! valgrind --tool=callgrind target/release/examples/harness_overhead harness
//! ```
//!
//! Timing alternates the two loops in each round (thread CPU time) so a
//! busy machine slows both alike; callgrind's instruction counts do not
//! depend on the machine's load at all.

#![allow(clippy::print_stdout, clippy::print_stderr)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::PathBuf;

use cfglint::bench::linear::{self, Values};
use cfglint::bench::stats::thread_cpu_time;
use cfglint::source::Flags;

/// The pattern benches/bench_harness.rs uses.
const PATTERN: &str = r"(?i)(?:\b(?:select|union|insert|sleep|benchmark)\b|<script|javascript:|\.\./)";

fn inputs() -> Vec<Vec<u8>> {
    let dir = common::shared_corpus().map(|c| c.join("inputs/user-agents")).expect("the shared corpus");
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(&dir).expect("user-agents").filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    let mut lines = Vec::new();
    for f in files {
        let bytes = std::fs::read(&f).expect("readable");
        lines.extend(bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()).map(<[u8]>::to_vec));
    }
    lines
}

fn raw(re: &regex_automata::meta::Regex, inputs: &[&[u8]]) -> usize {
    let mut n = 0usize;
    for v in inputs {
        if re.is_match(v) {
            n += 1;
        }
    }
    n
}

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let re = linear::compile(PATTERN, Flags::default()).expect("the pattern compiles");
    let owned = inputs();
    let items: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
    let values = Values::from_slices(&items);
    let mut matched = vec![false; values.len()];
    let mut cache = re.create_cache();
    match mode.as_str() {
        "raw" => println!("{}", std::hint::black_box(raw(&re, &items))),
        "harness" => println!("{}", std::hint::black_box(linear::scan(&re, &mut cache, &values, &mut matched))),
        _ => {
            // Warm both, then alternate.
            raw(&re, &items);
            linear::scan(&re, &mut cache, &values, &mut matched);
            let (mut a, mut b) = (Vec::new(), Vec::new());
            for _ in 0..31 {
                let t = thread_cpu_time();
                for _ in 0..20 {
                    std::hint::black_box(raw(&re, &items));
                }
                a.push(thread_cpu_time().saturating_sub(t).as_secs_f64() / 20.0);
                let t = thread_cpu_time();
                for _ in 0..20 {
                    std::hint::black_box(linear::scan(&re, &mut cache, &values, &mut matched));
                }
                b.push(thread_cpu_time().saturating_sub(t).as_secs_f64() / 20.0);
            }
            a.sort_by(f64::total_cmp);
            b.sort_by(f64::total_cmp);
            let (ra, rb) = (a[a.len() / 2], b[b.len() / 2]);
            println!(
                "{} inputs, {} bytes: raw {:.1} µs, harness {:.1} µs (median of 31 rounds): harness / raw = {:.3}",
                items.len(),
                values.bytes(),
                ra * 1e6,
                rb * 1e6,
                rb / ra
            );
        }
    }
}
