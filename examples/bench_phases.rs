//! Where `cfglint bench`'s time goes: every phase of [`cfglint::bench::measure`]
//! timed on its own, rule by rule, on one thread.
//!
//! ```text
//! cargo run --release --example bench_phases -- \
//!     ../shared/corpus/configs/owasp-crs/rules/*.conf \
//!     --corpus ../shared/corpus/inputs/crs-regression-requests.jsonl
//! ```
//!
//! Prints the total per phase (linear passes, PCRE2 corpus pass, `check`'s
//! verdict, worst-case probes, fail-open search), the costliest rules of
//! each, and how many of the values a rule reads repeat an earlier one.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use cfglint::bench::linear::{self, Values};
use cfglint::bench::{Corpus, Settings, backtrack, check_verdict, rules, worst};

const PHASES: [&str; 5] = ["linear", "pcre2 corpus", "check", "worst probe", "fail open"];

fn main() {
    let mut files = Vec::new();
    let mut corpora = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--corpus" {
            corpora.push(PathBuf::from(args.next().expect("--corpus PATH")));
        } else {
            files.push(PathBuf::from(a));
        }
    }
    let loaded = rules::load_files(&files);
    let mut settings = Settings::default();
    settings.production.apply(loaded.pcre_limits);
    let corpus = Corpus::load_with(&corpora, &settings.corpus_limits);
    eprintln!("{} rules, {} inputs", loaded.rules.len(), corpus.len());

    let mut rows: Vec<(String, [Duration; 5], usize, usize, u64, u64)> = Vec::new();
    for rule in &loaded.rules {
        let mut t = [Duration::ZERO; 5];
        let (mut values_n, mut distinct_n, mut bytes, mut dup_bytes) = (0, 0, 0u64, 0u64);
        let start = Instant::now();
        let re = linear::compile(&rule.pattern, rule.flags).ok();
        if let Some(re) = &re {
            let mut meter = linear::Meter::new(re);
            let mut timer = linear::Timer::new(settings.min_time, settings.max_samples);
            timer.add(re);
            corpus
                .for_each_chunk(|chunk| {
                    let values = Values::gather(chunk, &rule.selectors);
                    let share = chunk.len() as f64 / corpus.len().max(1) as f64;
                    meter.feed(&values);
                    timer.feed(&[&values], share);
                })
                .expect("corpus");
        }
        t[0] = start.elapsed();
        let start = Instant::now();
        let mut counter = backtrack::counter(&rule.pattern, rule.flags, settings.step_limit).ok();
        if let Some(c) = counter.as_mut() {
            let mut meter = backtrack::Meter::new(settings.step_limit, settings.rule_step_budget);
            let mut seen: HashSet<Vec<u8>> = HashSet::new();
            corpus
                .for_each_chunk(|chunk| {
                    let values = Values::gather(chunk, &rule.selectors);
                    for v in &values.values {
                        values_n += 1;
                        bytes += v.len() as u64;
                        if seen.insert(v.to_vec()) {
                            distinct_n += 1;
                        } else {
                            dup_bytes += v.len() as u64;
                        }
                    }
                    meter.feed(c.as_mut(), &values, &|i| i.to_string());
                })
                .expect("corpus");
        }
        t[1] = start.elapsed();
        let start = Instant::now();
        let (_, proved) = check_verdict(rule);
        t[2] = start.elapsed();
        let mut attacks = rule.attacks.clone();
        for a in proved {
            if !attacks.contains(&a) {
                attacks.push(a);
            }
        }
        let start = Instant::now();
        if let Some(c) = counter.as_mut() {
            for a in &attacks {
                worst::probe(c.as_mut(), a, &settings.worst);
            }
        }
        t[3] = start.elapsed();
        let start = Instant::now();
        #[cfg(feature = "pcre2")]
        for a in &attacks {
            worst::fail_open(&rule.pattern, rule.flags, a, settings.production, settings.worst.max_bytes);
        }
        t[4] = start.elapsed();
        rows.push((rule.id.clone(), t, values_n, distinct_n, bytes, dup_bytes));
    }
    let total: Vec<f64> = (0..5).map(|k| rows.iter().map(|r| r.1[k].as_secs_f64()).sum()).collect();
    println!("total {:.2} s", total.iter().sum::<f64>());
    for (k, name) in PHASES.iter().enumerate() {
        println!("{name:>14}: {:7.2} s", total[k]);
        let mut by: Vec<_> = rows.iter().map(|r| (r.1[k].as_secs_f64(), &r.0)).collect();
        by.sort_by(|a, b| b.0.total_cmp(&a.0));
        let top: Vec<String> = by.iter().take(8).map(|(s, id)| format!("{id} {s:.2}")).collect();
        println!("                 top: {}", top.join(", "));
    }
    let (v, d, b, db) =
        rows.iter().fold((0, 0, 0u64, 0u64), |acc, r| (acc.0 + r.2, acc.1 + r.3, acc.2 + r.4, acc.3 + r.5));
    println!("values read by rules: {v}, distinct per rule: {d}; bytes {b}, repeated {db}");
}
