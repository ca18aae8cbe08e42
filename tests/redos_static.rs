//! The static ReDoS analysis over the labeled corpus and the fixture table.
//!
//! - `../shared/corpus/redos/labeled-dev.jsonl` (skipped when absent): every
//!   vulnerable entry must get the right class (exponential / polynomial)
//!   with a candidate attack, and no safe entry may get a candidate.
//! - `fixtures/analysis/redos.toml`: cases with an expected class and, for
//!   polynomial ones, a degree.
//!
//! Every candidate attack is also run through the step-counting simulator
//! (`verify::simulator`): its steps must grow faster than linearly between
//! two pump counts, so the attacks are real, not just plausible.

use std::path::PathBuf;

use cfglint::analysis::parse::{ParseConfig, parse};
use cfglint::analysis::redos::{Candidate, Complexity, RedosConfig, StaticVerdict, analyze_text};
use cfglint::source::{Flags, Flavor, Semantics};
use cfglint::verify::{Program, SimOptions};

fn corpus() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    [root.join("../shared/corpus"), root.join("../../shared/corpus")].into_iter().find(|p| p.is_dir())
}

fn verdict(pattern: &str, flags: Flags, flavor: Flavor, sem: Semantics) -> StaticVerdict {
    let ir = parse(pattern, &ParseConfig::new(flavor).flags(flags)).expect("pattern parses");
    analyze_text(pattern, &ir, flavor, sem, &RedosConfig::default())
}

const BUDGET: u64 = 20_000_000;

/// Steps of the simulator on the attack pumped `n` times.
fn steps(prog: &Program, c: &Candidate, n: usize) -> u64 {
    let input: Vec<char> = c.attack.build(n).chars().collect();
    prog.run(&input, BUDGET).steps
}

/// Whether the simulator shows super-linear growth for the candidate:
/// the pump count is doubled from 2 until the run costs some thousand
/// steps, then doubled once more; linear growth would double the steps.
fn grows(pattern: &str, flags: Flags, flavor: Flavor, sem: Semantics, c: &Candidate) -> bool {
    let ir = parse(pattern, &ParseConfig::new(flavor).flags(flags)).expect("pattern parses");
    let prog = Program::compile(&ir, &SimOptions::new(flavor, sem)).expect("compiles");
    let mut n = 2;
    while n < 4096 && steps(&prog, c, n) < 20_000 {
        n *= 2;
    }
    let s1 = steps(&prog, c, n) as f64;
    let s2 = steps(&prog, c, 2 * n) as f64;
    s1 < BUDGET as f64 && s2 / s1.max(1.0) > 2.8
}

#[derive(Debug)]
struct Entry {
    id: String,
    pattern: String,
    flags: Flags,
    flavor: Flavor,
    vulnerable: bool,
    complexity: String,
    confirmed: bool,
}

fn labeled() -> Option<Vec<Entry>> {
    let path = corpus()?.join("redos/labeled-dev.jsonl");
    let text = std::fs::read_to_string(path).ok()?;
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).expect("valid JSON line");
        let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
        out.push(Entry {
            id: s("id"),
            pattern: s("pattern"),
            flags: Flags::from_letters(&s("flags")),
            flavor: s("flavor").parse().expect("known flavor"),
            vulnerable: s("label") == "vulnerable",
            complexity: s("complexity"),
            confirmed: v["confirmation"]["confirmed"].as_bool().unwrap_or(false),
        });
    }
    Some(out)
}

/// Entries whose label we disagree with, and why. Each must still be
/// unconfirmed in the corpus (no engine showed growth) for the exception to
/// apply, so a confirmed entry can never hide here.
const DISAGREE: &[(&str, &str)] = &[(
    "scslre-trade-14",
    "`^a+(?<!ba*)` (multi-line): `^` only matches at line starts, so the look-behind can never see a `b` \
     before the run of `a`; the negative look-behind always holds and the first attempt matches",
)];

#[test]
fn labeled_dev_corpus() {
    let Some(entries) = labeled() else { return };
    let mut failures = Vec::new();
    for e in &entries {
        let v = verdict(&e.pattern, e.flags, e.flavor, Semantics::Search);
        let got = v.complexity.as_str();
        if e.vulnerable {
            if got != e.complexity && !(DISAGREE.iter().any(|d| d.0 == e.id) && !e.confirmed) {
                failures
                    .push(format!("{}: `{}` expected {}, got {got} ({:?})", e.id, e.pattern, e.complexity, v.notes));
                continue;
            }
            let Some(c) = v.candidates.first() else { continue };
            if !grows(&e.pattern, e.flags, e.flavor, Semantics::Search, c) {
                failures
                    .push(format!("{}: `{}` attack {:?} does not grow in the simulator", e.id, e.pattern, c.attack));
            }
        } else if !v.candidates.is_empty() {
            failures.push(format!("{}: safe `{}` got {got} with {:?}", e.id, e.pattern, v.candidates[0].attack));
        }
    }
    assert!(failures.is_empty(), "{} of {} entries wrong:\n{}", failures.len(), entries.len(), failures.join("\n"));
}

#[derive(Debug, serde::Deserialize)]
struct Fixture {
    case: Vec<Case>,
}

#[derive(Debug, serde::Deserialize)]
struct Case {
    name: String,
    pattern: String,
    flavor: Flavor,
    #[serde(default)]
    semantics: Semantics,
    #[serde(default)]
    flags: String,
    expect: Complexity,
    degree: Option<u32>,
    #[allow(dead_code)]
    see: Option<String>,
}

#[test]
fn fixture_table() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/analysis/redos.toml");
    let text = std::fs::read_to_string(&path).expect("fixture table exists");
    let table: Fixture = toml::from_str(&text).expect("fixture table parses");
    let mut failures = Vec::new();
    for c in &table.case {
        let flags = Flags::from_letters(&c.flags);
        let v = verdict(&c.pattern, flags, c.flavor, c.semantics);
        if v.complexity != c.expect {
            failures.push(format!("{}: expected {:?}, got {:?} {:?}", c.name, c.expect, v.complexity, v.notes));
            continue;
        }
        if c.degree.is_some() && v.degree != c.degree {
            failures.push(format!("{}: expected degree {:?}, got {:?}", c.name, c.degree, v.degree));
        }
        match c.expect {
            Complexity::Linear => {
                if !v.candidates.is_empty() {
                    failures.push(format!("{}: linear but has candidates {:?}", c.name, v.candidates[0].attack));
                }
            }
            Complexity::Unknown => {}
            _ => {
                let Some(cand) = v.candidates.first() else {
                    failures.push(format!("{}: no candidate", c.name));
                    continue;
                };
                if cand.loops.is_empty() || cand.overlap.is_empty() || cand.hint.is_empty() {
                    failures.push(format!("{}: candidate without explanation: {cand:?}", c.name));
                }
                if !grows(&c.pattern, flags, c.flavor, c.semantics, cand) {
                    failures.push(format!("{}: attack {:?} does not grow in the simulator", c.name, cand.attack));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {} cases wrong:\n{}", failures.len(), table.case.len(), failures.join("\n"));
}
