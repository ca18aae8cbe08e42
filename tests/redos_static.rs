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

mod common;

use std::path::PathBuf;

use cfglint::analysis::candidates::{Candidate, Complexity, RedosConfig, StaticVerdict, analyze_text};
use cfglint::analysis::parse::{ParseConfig, parse};
use cfglint::source::{Flags, Flavor, Semantics};
use cfglint::verify::growth::{GrowthClass, GrowthConfig, measure};
use cfglint::verify::{Program, SimOptions};

fn corpus() -> Option<PathBuf> {
    common::shared_corpus()
}

fn verdict(pattern: &str, flags: Flags, flavor: Flavor, sem: Semantics) -> StaticVerdict {
    let ir = parse(pattern, &ParseConfig::new(flavor).flags(flags)).expect("pattern parses");
    analyze_text(pattern, &ir, flavor, sem, &RedosConfig::default())
}

/// Whether the growth fitter (`verify::growth::measure`, the step that
/// decides findings) confirms the candidate with the class it claims.
fn grows(pattern: &str, flags: Flags, flavor: Flavor, sem: Semantics, c: &Candidate) -> bool {
    let ir = parse(pattern, &ParseConfig::new(flavor).flags(flags)).expect("pattern parses");
    let prog = Program::compile(&ir, &SimOptions::new(flavor, sem)).expect("compiles");
    let g = measure(&prog, &c.attack, &GrowthConfig::default());
    match c.complexity {
        Complexity::Exponential => g.class == GrowthClass::Exponential,
        // A bounded repetition modelled as a loop, or a longer chain than
        // the engine can use, may show a different degree; exponential
        // growth for a polynomial claim is fine.
        _ => g.class.is_superlinear(),
    }
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
            // A documented disagreement excuses only an unconfirmed label.
            let excused = DISAGREE.iter().any(|d| d.0 == e.id) && !e.confirmed;
            if got != e.complexity && !excused {
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
    assert!(entries.len() >= 80, "the labeled corpus lost entries: {}", entries.len());
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

// ----- robustness ---------------------------------------------------------

/// Tight budgets for random and hostile patterns.
fn tight() -> RedosConfig {
    RedosConfig::default().max_states(400).max_walk_steps(40_000).product_budget(40_000).max_attempts(4)
}

fn any_flavor() -> impl proptest::strategy::Strategy<Value = Flavor> {
    proptest::sample::select(Flavor::ALL.to_vec())
}

fn any_semantics() -> impl proptest::strategy::Strategy<Value = Semantics> {
    proptest::sample::select(vec![Semantics::Search, Semantics::AnchoredStart, Semantics::FullMatch])
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]

    /// Any pattern the parser accepts is analyzed without panicking, the
    /// verdict is deterministic, and a super-linear verdict always carries
    /// a candidate whose attack is not empty.
    #[test]
    fn never_panics(
        pattern in r"[ab()|*+?{}\[\]^$.\\wdsbB=,0-9:<>!-]{0,32}",
        flavor in any_flavor(),
        sem in any_semantics(),
        flags in proptest::sample::select(vec!["", "i", "m", "s"]),
    ) {
        let flags = Flags::from_letters(flags);
        if let Ok(ir) = parse(&pattern, &ParseConfig::new(flavor).flags(flags)) {
            let v = analyze_text(&pattern, &ir, flavor, sem, &tight());
            let again = analyze_text(&pattern, &ir, flavor, sem, &tight());
            proptest::prop_assert_eq!(&v, &again);
            if matches!(v.complexity, Complexity::Polynomial | Complexity::Exponential) {
                proptest::prop_assert!(!v.candidates.is_empty());
                proptest::prop_assert!(!v.candidates[0].attack.pump.is_empty());
            }
            if !flavor.is_backtracking() {
                proptest::prop_assert_eq!(v.complexity, Complexity::Linear);
            }
        }
    }

    /// Patterns built from the usual suspects (nested and adjacent
    /// quantifiers over overlapping classes): every candidate's attack
    /// grows in the simulator.
    #[test]
    fn candidates_grow(
        parts in proptest::collection::vec(
            proptest::sample::select(vec![
                "a+", "a*", "(a|a)*", "(a+)+", r"\w+", r"\d*", r"\s*", "[ab]*", "b", "(?:a|ab)+", ".*", "=", "x?",
            ]),
            1..5,
        ),
        anchored in proptest::bool::ANY,
        end in proptest::bool::ANY,
    ) {
        let mut pattern = String::new();
        if anchored {
            pattern.push('^');
        }
        for p in parts {
            pattern.push_str(p);
        }
        if end {
            pattern.push('$');
        }
        let v = verdict(&pattern, Flags::default(), Flavor::Js, Semantics::Search);
        if let Some(c) = v.candidates.first() {
            proptest::prop_assert!(grows(&pattern, Flags::default(), Flavor::Js, Semantics::Search, c), "{} {:?}", pattern, c.attack);
        }
    }
}

#[test]
fn hostile_patterns_are_bounded() {
    let cases: Vec<(String, Flavor)> = vec![
        // 100 KB alternation.
        ("a|".repeat(50_000) + "b", Flavor::Pcre),
        // 100 KB of nested-quantifier groups.
        ("(a+)+".repeat(20_000), Flavor::Pcre),
        // Huge and nested counted repetitions.
        ("a{1000000}".to_string(), Flavor::Pcre),
        ("(?:a{1000}){1000}b".to_string(), Flavor::Pcre),
        ("((a{30}){30}){30}$".to_string(), Flavor::Js),
        ("(?:(x|x|x|x|x|x|x|x|x|x){1,64}){1,64}$".to_string(), Flavor::Pcre),
        // Deep nesting within the parser's limit.
        (format!("{}a{}$", "(?:".repeat(400), ")*".repeat(400)), Flavor::Pcre),
        (format!("{}a{}$", "(".repeat(400), "?)".repeat(400)), Flavor::Js),
        // Large Unicode classes.
        (r"(\p{L}+)+$".to_string(), Flavor::Pcre),
        (r"^([^a]+[^b]*)+$".to_string(), Flavor::Python),
        (r"(?i)(\w+\s?)*$".to_string(), Flavor::Python),
        // Many loops over the same class.
        (r"\s*".repeat(3000) + "$", Flavor::Pcre),
        (r"(?:\s*a\s*|\s*b\s*)*".repeat(300) + "$", Flavor::Pcre),
    ];
    for (pattern, flavor) in &cases {
        let Ok(ir) = parse(pattern, &ParseConfig::new(*flavor)) else { continue };
        let v = analyze_text(pattern, &ir, *flavor, Semantics::Search, &RedosConfig::default());
        if v.complexity == Complexity::Unknown {
            assert!(!v.notes.is_empty(), "unknown without a note: {}", &pattern[..pattern.len().min(60)]);
        }
    }
    // 10,000-deep nesting is a parser limit, not a crash.
    let deep = format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000));
    assert!(parse(&deep, &ParseConfig::new(Flavor::Pcre)).is_err());
}

/// A small counted repetition is unrolled, so the loop that goes round in
/// `([a-z]{2,4})+` is the outer `+`: the finding must name and underline it,
/// not only the `{2,4}` inside.
#[test]
fn exponential_names_the_loop_that_goes_round() {
    let pattern = "^([a-z]{2,4})+$";
    let v = verdict(pattern, Flags::default(), Flavor::Pcre, Semantics::Search);
    let c = v.candidates.first().expect("a candidate");
    assert_eq!(c.complexity, Complexity::Exponential);
    assert!(c.overlap.contains("`([a-z]{2,4})+`"), "{}", c.overlap);
    // The `+` after the group is among the underlined quantifiers.
    assert!(c.loops.iter().any(|s| &pattern[s.start..s.end] == "+"), "{:?}", c.loops);
}
