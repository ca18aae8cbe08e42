//! End-to-end verdicts (static analysis confirmed by simulation, the
//! evidence behind CL001/CL002) on real-world regexes.
//!
//! - `fixtures/analysis/realworld.toml`: CVE and outage regexes and safe
//!   look-alikes, each checked by timing node or Python when it was added.
//! - `../shared/corpus/redos/labeled-dev.jsonl` (skipped when absent): every
//!   vulnerable entry confirmed with its class, no safe entry confirmed.

mod common;

use std::path::{Path, PathBuf};

use cfglint::analysis::parse::{ParseConfig, parse};
use cfglint::finding::Complexity;
use cfglint::rules::BOUNDED_REPORT_FROM;
use cfglint::source::{Flags, Flavor, Semantics};
use cfglint::verify::verdict::{RedosSettings, Verdict, check};
use serde::Deserialize;

fn verdict(pattern: &str, flavor: Flavor, flags: Flags, semantics: Semantics) -> Verdict {
    let ir = parse(pattern, &ParseConfig::new(flavor).flags(flags)).expect("pattern parses");
    check(pattern, &ir, flavor, semantics, &RedosSettings::default())
}

#[derive(Deserialize)]
struct Table {
    case: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    pattern: String,
    flavor: String,
    #[serde(default)]
    flags: String,
    #[serde(default)]
    semantics: Option<String>,
    expect: String,
    degree: Option<u32>,
}

fn semantics(s: Option<&str>) -> Semantics {
    match s {
        None | Some("search") => Semantics::Search,
        Some("anchored-start") => Semantics::AnchoredStart,
        Some("full-match") => Semantics::FullMatch,
        Some(other) => panic!("unknown semantics {other}"),
    }
}

#[test]
fn real_world_table() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/analysis/realworld.toml");
    let table: Table = toml::from_str(&std::fs::read_to_string(path).expect("readable")).expect("valid table");
    let mut failures = Vec::new();
    for c in &table.case {
        let flavor: Flavor = c.flavor.parse().expect("flavor");
        let v = verdict(&c.pattern, flavor, Flags::from_letters(&c.flags), semantics(c.semantics.as_deref()));
        // `bounded`: linear only thanks to counted repetitions' bounds, and
        // costly enough within them for CL010.
        let bounded = v.bounded.as_ref().filter(|b| !v.is_vulnerable() && b.steps_per_char() >= BOUNDED_REPORT_FROM);
        let got = match bounded {
            _ if v.is_vulnerable() => v.complexity.as_str(),
            Some(_) => "bounded",
            None => "linear",
        };
        let degree = bounded.map_or(v.degree, |b| b.degree);
        let degree_ok = c.degree.is_none() || c.degree == degree;
        if got != c.expect || !degree_ok {
            failures.push(format!(
                "{}: expected {} {:?}, got {got} {:?} ({:?})",
                c.name, c.expect, c.degree, degree, v.notes
            ));
        }
        // Evidence: a vulnerable verdict carries an attack and points.
        if v.is_vulnerable() {
            assert!(v.candidate.is_some() && v.steps().len() >= 3, "{}: no evidence", c.name);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn corpus() -> Option<PathBuf> {
    common::shared_corpus()
}

/// Labels that disagree with every real engine we measured, and why. Only
/// excused while the corpus does not carry a confirmation for them.
const DISPUTED: &[(&str, &str)] = &[(
    "scslre-trade-14",
    "`^a+(?<!ba*)` with `m`: `^` only holds at a line start, so the look-behind never sees a `b` and the first \
     attempt matches; node shows no growth",
)];

#[test]
fn labeled_dev_corpus() {
    let Some(root) = corpus() else { return };
    let text = std::fs::read_to_string(root.join("redos/labeled-dev.jsonl")).expect("readable corpus");
    let mut failures = Vec::new();
    let mut confirmed = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let e: serde_json::Value = serde_json::from_str(line).expect("JSON line");
        let id = e["id"].as_str().expect("id");
        let pattern = e["pattern"].as_str().expect("pattern");
        let flavor: Flavor = e["flavor"].as_str().expect("flavor").parse().expect("known flavor");
        let flags = Flags::from_letters(e["flags"].as_str().unwrap_or(""));
        let vulnerable = e["label"] == "vulnerable";
        let v = verdict(pattern, flavor, flags, Semantics::Search);
        let has_trials = e["confirmation"]["trials"].as_array().is_some_and(|t| !t.is_empty());
        if vulnerable {
            let want = match e["complexity"].as_str() {
                Some("exponential") => Complexity::Exponential,
                _ => Complexity::Polynomial,
            };
            if v.is_vulnerable() && v.complexity == want {
                confirmed += 1;
            } else if !DISPUTED.iter().any(|d| d.0 == id) || has_trials {
                failures.push(format!("{id}: `{pattern}` expected {want:?}, got {:?} {:?}", v.complexity, v.notes));
            }
        } else if v.is_vulnerable() {
            failures.push(format!("{id}: `{pattern}` is labeled safe but was confirmed {:?}", v.complexity));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(confirmed >= 40, "only {confirmed} vulnerable entries confirmed");
}
