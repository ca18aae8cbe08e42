//! Growth verdicts of the simulator on the labeled `ReDoS` corpus
//! (`corpus/redos/labeled-dev.jsonl`): every vulnerable entry's attack must
//! be confirmed with the labeled complexity, and safe patterns must stay
//! linear under simple attacks. Skipped when the corpus is absent.

mod common;

use std::path::PathBuf;

use cfglint::analysis::Attack;
use cfglint::analysis::ir::NodeKind;
use cfglint::analysis::parse::{ParseConfig, parse};
use cfglint::source::{Flags, Flavor, Semantics};
use cfglint::verify::{GrowthClass, GrowthConfig, Program, SimOptions, measure};
use serde::Deserialize;

fn corpus() -> Option<PathBuf> {
    common::shared_corpus()
}

#[derive(Debug, Deserialize)]
struct Entry {
    id: String,
    pattern: String,
    flags: String,
    flavor: Flavor,
    label: String,
    complexity: String,
    attack: Option<Attack>,
}

/// Attacks for vulnerable entries that carry none, derived by hand and
/// checked with node 20 (the label's own confirmations were made with
/// recheck's attacks, which the corpus does not record).
const EXTRA_ATTACKS: &[(&str, &str, &str, &str)] = &[
    ("scslre-self-0", "", "c", "!"),
    ("scslre-self-1", "", "c", "!"),
    ("scslre-self-2", "", "c", "!"),
    ("scslre-self-3", "", "c", "!"),
    ("scslre-self-4", "", "a", "!"),
    ("scslre-self-5", "", "a", "!"),
    ("scslre-trade-0", "", "a", "!"),
    ("scslre-trade-1", "", "1", "!"),
    ("scslre-trade-2", "", "1", "!"),
    ("scslre-trade-3", "ab", "a", "!"),
    ("scslre-trade-4", "b", "a", "!"),
    ("scslre-trade-5", "", "1", "!"),
    ("scslre-trade-6", "0x", "1", "!"),
    ("scslre-trade-7", "", "a", "!"),
    ("scslre-trade-8", "", "a", "!"),
    ("scslre-trade-9", "", "a", "!"),
    ("scslre-trade-10", "", "a", "!"),
    ("scslre-trade-11", "", "a", "!"),
    ("scslre-trade-12", "", "baa", "!"),
    ("scslre-trade-13", "", "aab", "!"),
    ("scslre-trade-17", "", "a", ""),
    ("scslre-trade-18", "", "a", ""),
    ("scslre-trade-19", "", "a", "1"),
    ("scslre-move-0", "", "#", "\n"),
    ("scslre-move-1", "", "b", ""),
    ("scslre-mixed-0", "", "a", "!"),
];

fn program(e: &Entry) -> Program {
    let ir = parse(&e.pattern, &ParseConfig::new(e.flavor).flags(Flags::from_letters(&e.flags)))
        .unwrap_or_else(|err| panic!("{}: does not parse: {err}", e.id));
    Program::compile(&ir, &SimOptions::new(e.flavor, Semantics::Search)).expect("corpus pattern compiles")
}

/// One-character pumps from the pattern's own character sets, with a few
/// suffixes: the "reasonable attacks" a safe pattern must survive.
fn simple_attacks(e: &Entry) -> Vec<Attack> {
    let ir = parse(&e.pattern, &ParseConfig::new(e.flavor).flags(Flags::from_letters(&e.flags))).expect("parses");
    let mut pumps: Vec<char> = ir
        .nodes
        .iter()
        .filter_map(|n| match &n.kind {
            NodeKind::Set(s) => s.representative(),
            _ => None,
        })
        .collect();
    pumps.sort_unstable();
    pumps.dedup();
    let mut attacks = Vec::new();
    for p in pumps {
        for suffix in ["", "!", "\n"] {
            attacks.push(Attack { prefix: String::new(), pump: p.to_string(), suffix: suffix.into() });
        }
    }
    attacks
}

fn class_name(c: GrowthClass) -> &'static str {
    match c {
        GrowthClass::Linear => "linear",
        GrowthClass::Polynomial { .. } => "polynomial",
        GrowthClass::Exponential => "exponential",
        GrowthClass::Inconclusive => "inconclusive",
    }
}

#[test]
fn labeled_dev_verdicts() {
    let Some(dir) = corpus() else { return };
    let text = std::fs::read_to_string(dir.join("redos/labeled-dev.jsonl")).expect("labeled-dev.jsonl is readable");
    let config = GrowthConfig::default();
    let mut checked = 0;
    let mut failures = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let e: Entry = serde_json::from_str(line).expect("labeled entry parses");
        if !e.flavor.is_backtracking() {
            // RE2/Rust are linear by construction; the simulator models
            // backtracking engines only.
            continue;
        }
        let p = program(&e);
        let attacks: Vec<Attack> = if e.label == "vulnerable" {
            let extra = EXTRA_ATTACKS.iter().find(|a| a.0 == e.id).map(|a| Attack {
                prefix: a.1.into(),
                pump: a.2.into(),
                suffix: a.3.into(),
            });
            e.attack.clone().or(extra).into_iter().collect()
        } else {
            simple_attacks(&e)
        };
        for attack in attacks {
            checked += 1;
            let g = measure(&p, &attack, &config);
            let got = class_name(g.class);
            if got != e.complexity {
                failures.push(format!(
                    "{} `{}` {:?}: got {:?}, labeled {}",
                    e.id, e.pattern, attack, g.class, e.complexity
                ));
            }
        }
    }
    assert!(checked >= 400, "only {checked} (entry, attack) pairs checked");
    assert!(
        failures.is_empty(),
        "{} of {checked} growth verdicts disagree with the labels:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
