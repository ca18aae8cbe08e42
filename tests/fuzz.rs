//! Property tests that feed hostile input to every stage a config file or a
//! pattern reaches, asserting what must hold for any input: no panic, spans
//! inside the file (on character boundaries), and bounded work (every step
//! budget respected).
//!
//! - the extractors (YAML, JSON, TOML, SecLang, nginx, grok, Fluent Bit,
//!   regex-assembly): arbitrary bytes under each format's file name, and
//!   structure-aware mutations (cut, duplicate, splice in syntax tokens) of
//!   the real snippets in `fixtures/sources`;
//! - the NFA construction and the ambiguity analysis, under tight budgets;
//! - the backtracking simulator on random inputs;
//! - the whole per-pattern pipeline (`lint::lint_pattern`, every rule).
//!
//! Case counts keep the file under ~30 s in the debug test profile on a
//! 2-core machine; `CFGLINT_FUZZ_SCALE=N` multiplies them for a longer
//! session (`CFGLINT_FUZZ_SCALE=50 cargo test --test fuzz`). A failure prints the minimal input; add it as a named
//! regression test below before fixing the bug.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cfglint::analysis::ambiguity::{self, Budget, Graph, Sccs};
use cfglint::analysis::candidates::{self, RedosConfig};
use cfglint::analysis::nfa::{Nfa, NfaConfig};
use cfglint::analysis::parse::{ParseConfig, parse};
use cfglint::lint::{self, LintOptions};
use cfglint::source::{self, ExtractOptions, Flags, Flavor, PatternSpan, Semantics};
use cfglint::verify::{Outcome, Program, SimOptions};
use proptest::prelude::*;

/// Far above what any case needs; only a hang or a blown budget reaches it
/// (the machine is shared, so it is not a benchmark).
const SLOW: Duration = Duration::from_secs(20);

const MAX_FILE: u64 = 1 << 20;

/// `n` cases, times `CFGLINT_FUZZ_SCALE` (default 1): the suite runs the
/// quick counts, a fuzzing session sets e.g. `CFGLINT_FUZZ_SCALE=50`.
fn cases(n: u32) -> u32 {
    let scale = std::env::var("CFGLINT_FUZZ_SCALE").ok().and_then(|s| s.parse::<u32>().ok()).unwrap_or(1);
    n.saturating_mul(scale.max(1))
}

// ---------------------------------------------------------------- extractors

/// Every snippet under `fixtures/sources`, with its path relative to the
/// crate (kind and format detection read the name).
fn seeds() -> &'static [(PathBuf, Vec<u8>)] {
    static SEEDS: std::sync::OnceLock<Vec<(PathBuf, Vec<u8>)>> = std::sync::OnceLock::new();
    SEEDS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut out = Vec::new();
        let mut stack = vec![root.join("fixtures/sources")];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).expect("fixtures/sources is readable") {
                let p = e.expect("entry").path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let rel = p.strip_prefix(root).expect("inside the crate").to_path_buf();
                    out.push((rel, std::fs::read(&p).expect("readable")));
                }
            }
        }
        out.sort();
        assert!(out.len() >= 20, "the source fixtures are there");
        out
    })
}

/// A file name per format, for arbitrary bytes.
const NAMES: &[&str] = &[
    "config.yaml",
    "prometheus.yml",
    "renovate.json",
    "renovate.json5",
    "settings.json",
    "gitleaks.toml",
    "traefik.toml",
    "modsecurity.conf",
    "nginx.conf",
    "sites-enabled/default",
    "parsers.conf",
    "patterns/grok-patterns",
    "942100.ra",
];

/// Syntax of every format, spliced into snippets.
const TOKENS: &[&str] = &[
    "\n",
    " ",
    "\t",
    "\r\n",
    "'",
    "\"",
    "\\",
    "\\\"",
    "\\u00",
    "\\x",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    ":",
    ": ",
    "- ",
    ",",
    "#",
    "&a ",
    "*a",
    "!!str ",
    "|",
    ">-",
    "---\n",
    "...",
    "\"\"\"",
    "'''",
    "=",
    "[[rules]]\n",
    ";",
    "SecRule ARGS \"@rx ",
    "\" \"id:1\"",
    "\\\n",
    "location ~ ",
    "location ~* ",
    "if ($uri ~ ",
    "Regex ",
    "[PARSER]\n",
    "%{WORD:x}",
    "%{",
    "##!+ i\n",
    "##!> cmd",
    "##!=>",
    "##!^ ",
    "##!$ ",
    "(?i)",
    "\u{feff}",
    "é",
    "\u{0}",
    "\u{7f}",
    "𝄞",
];

#[derive(Debug, Clone)]
enum Mutation {
    Cut { at: usize, len: usize },
    Duplicate { at: usize, len: usize, to: usize },
    Insert { at: usize, token: usize },
    Byte { at: usize, byte: u8 },
    Truncate { at: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Cut { at, len }),
        (any::<usize>(), 1usize..60, any::<usize>()).prop_map(|(at, len, to)| Mutation::Duplicate { at, len, to }),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(at, token)| Mutation::Insert { at, token }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Byte { at, byte }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let n = bytes.len();
        let pos = |at: usize| if n == 0 { 0 } else { at % (n + 1) };
        match *m {
            Mutation::Cut { at, len } => {
                let s = pos(at);
                let e = (s + len).min(n);
                bytes.drain(s..e);
            }
            Mutation::Duplicate { at, len, to } => {
                let s = pos(at);
                let e = (s + len).min(n);
                let piece = bytes[s..e].to_vec();
                let t = pos(to);
                bytes.splice(t..t, piece);
            }
            Mutation::Insert { at, token } => {
                let s = pos(at);
                bytes.splice(s..s, TOKENS[token].bytes());
            }
            Mutation::Byte { at, byte } => {
                if n > 0 {
                    bytes[at % n] = byte;
                }
            }
            Mutation::Truncate { at } => bytes.truncate(pos(at)),
        }
    }
    bytes
}

/// Extract from `bytes` read as `path`; every span must lie inside the
/// file, on character boundaries, and extraction must be deterministic.
fn check_extraction(path: &Path, bytes: Vec<u8>) -> Result<(), TestCaseError> {
    let Ok(file) = source::from_bytes(path, bytes, MAX_FILE) else { return Ok(()) };
    let opts = ExtractOptions::default();
    let start = Instant::now();
    let ex = source::extract(&file, &opts);
    prop_assert!(start.elapsed() < SLOW, "extraction took {:?}", start.elapsed());
    let text = file.text.as_str();
    let inside = |s: source::Span| {
        s.start <= s.end && s.end <= text.len() && text.is_char_boundary(s.start) && text.is_char_boundary(s.end)
    };
    for p in &ex.patterns {
        prop_assert!(inside(p.span), "pattern {:?} at {:?} outside the {}-byte file", p.pattern, p.span, text.len());
        prop_assert!(inside(p.offsets.raw_span()), "raw span {:?} of {:?}", p.offsets.raw_span(), p.pattern);
        let whole = p.offsets.to_file_span(PatternSpan::new(0, p.pattern.len()));
        prop_assert!(inside(whole), "mapped span {whole:?} of {:?}", p.pattern);
        // Every character of the pattern maps inside the file too.
        for (i, c) in p.pattern.char_indices() {
            let s = p.offsets.to_file_span(PatternSpan::new(i, i + c.len_utf8()));
            prop_assert!(s.end <= text.len() && s.start <= s.end, "char {i} of {:?} maps to {s:?}", p.pattern);
        }
    }
    for pr in &ex.problems {
        prop_assert!(
            pr.span.start <= pr.span.end && pr.span.end <= text.len(),
            "problem {:?} at {:?}",
            pr.message,
            pr.span
        );
    }
    let again = source::extract(&file, &opts);
    prop_assert_eq!(
        ex.patterns.iter().map(|p| (&p.pattern, p.span)).collect::<Vec<_>>(),
        again.patterns.iter().map(|p| (&p.pattern, p.span)).collect::<Vec<_>>()
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(300), failure_persistence: None, ..ProptestConfig::default() })]

    /// Real snippets of every format, cut, duplicated and spliced with
    /// syntax tokens.
    #[test]
    fn extractors_survive_mutated_snippets(
        seed in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let (path, bytes) = seed.get(seeds());
        check_extraction(path, mutate(bytes.clone(), &mutations))?;
    }

    /// Arbitrary bytes under every format's file name.
    #[test]
    fn extractors_survive_arbitrary_bytes(
        name in prop::sample::select(NAMES),
        bytes in prop::collection::vec(any::<u8>(), 0..400),
    ) {
        check_extraction(Path::new(name), bytes)?;
    }

    /// Arbitrary token soup (more likely to reach deep parser states than
    /// random bytes).
    #[test]
    fn extractors_survive_token_soup(
        name in prop::sample::select(NAMES),
        tokens in prop::collection::vec((0..TOKENS.len(), "[a-z0-9.*+?|^$]{0,4}"), 0..60),
    ) {
        let mut s = String::new();
        for (t, word) in tokens {
            s.push_str(TOKENS[t]);
            s.push_str(&word);
        }
        check_extraction(Path::new(name), s.into_bytes())?;
    }
}

// ------------------------------------------------------------------ patterns

/// Pieces of regex syntax across flavors, valid and not.
const ATOMS: &[&str] = &[
    "a",
    "b",
    "ab",
    ".",
    "\\d",
    "\\w",
    "\\s",
    "\\S",
    "\\b",
    "\\B",
    "^",
    "$",
    "\\A",
    "\\z",
    "\\Z",
    "[a-c]",
    "[^a]",
    "[\\w-]",
    "[[:alpha:]]",
    "\\p{L}",
    "\\x41",
    "\\u0041",
    "\\1",
    "\\k<n>",
    "(?=a)",
    "(?!a)",
    "(?<=a)",
    "(?<!b)",
    "(?i)",
    "(?s)",
    "(?m)",
    "(?x)",
    "é",
    "𝄞",
    "\\",
    "[",
    "]",
    "(",
    ")",
    "{",
    "}",
    "|",
    "*",
    "+",
    "?",
    "\\Q.\\E",
    "(?#c)",
    "\\R",
    "\\X",
    "\\K",
    "(*FAIL)",
    "(?|a|b)",
    "\\G",
    "\n",
    " ",
];

const QUANTIFIERS: &[&str] =
    &["*", "+", "?", "*?", "+?", "*+", "++", "{2}", "{1,3}", "{0,}", "{2,1}", "{70}", "{1,5000}"];

fn pattern() -> impl Strategy<Value = String> {
    let leaf = prop::sample::select(ATOMS).prop_map(str::to_owned);
    let tree = leaf.prop_recursive(4, 40, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..4).prop_map(|v| v.concat()),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|v| v.join("|")),
            (inner.clone(), prop::sample::select(&["(", "(?:", "(?>", "(?<n>", "(?P<n>", "(?=", "(?!", "(?<="][..]))
                .prop_map(|(s, open)| format!("{open}{s})")),
            (inner, prop::sample::select(QUANTIFIERS)).prop_map(|(s, q)| format!("({s}){q}")),
        ]
    });
    prop_oneof![4 => tree, 1 => "\\PC{0,24}"]
}

fn flavor() -> impl Strategy<Value = Flavor> {
    prop::sample::select(Flavor::ALL.to_vec())
}

fn semantics() -> impl Strategy<Value = Semantics> {
    prop::sample::select(vec![Semantics::Search, Semantics::AnchoredStart, Semantics::FullMatch])
}

fn flags() -> impl Strategy<Value = Flags> {
    prop::sample::select(vec!["", "i", "m", "s", "x", "ims"]).prop_map(Flags::from_letters)
}

fn tight() -> RedosConfig {
    RedosConfig::default().max_states(2_000).max_walk_steps(50_000).product_budget(50_000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(250), failure_persistence: None, ..ProptestConfig::default() })]

    /// NFA construction and the ambiguity analysis stay within their
    /// budgets on any pattern the parser accepts.
    #[test]
    fn nfa_and_ambiguity_respect_their_budgets(p in pattern(), f in flavor(), sem in semantics(), fl in flags()) {
        let Ok(ir) = parse(&p, &ParseConfig::new(f).flags(fl)) else { return Ok(()) };
        let config = NfaConfig { max_states: 2_000, max_walk_steps: 50_000, max_edges: 40_000, ..NfaConfig::default() };
        let start = Instant::now();
        if let Ok(nfa) = Nfa::build(&ir, f, sem, &config) {
            prop_assert!(nfa.len() <= config.max_states, "{} states", nfa.len());
            let edges: usize = (0..nfa.len() as u32).map(|s| nfa.edges(s).count()).sum();
            prop_assert!(edges <= config.max_edges, "{edges} edges");
            let g = Graph::new(&nfa);
            let s = Sccs::new(&g);
            let mut budget = Budget::new(20_000);
            let a = ambiguity::analyze(&nfa, &g, &s, &mut budget, 2, 8);
            prop_assert!(budget.left <= 20_000);
            prop_assert_eq!(a.exhausted, budget.exhausted);
        }
        let v = candidates::analyze_text(&p, &ir, f, sem, &tight());
        for c in &v.candidates {
            prop_assert!(c.loops.iter().all(|l| l.end <= p.len() && l.start <= l.end), "loops {:?} in {p:?}", c.loops);
        }
        prop_assert!(start.elapsed() < SLOW, "took {:?}", start.elapsed());
    }

    /// The simulator never takes more than its step budget (plus the one
    /// step that discovers it ran out), and a match lies inside the input.
    #[test]
    fn simulator_respects_its_step_budget(
        p in pattern(),
        f in flavor(),
        sem in semantics(),
        input in "[ab\\n é!0-9_-]{0,40}",
        budget in 1u64..20_000,
    ) {
        let Ok(ir) = parse(&p, &ParseConfig::new(f)) else { return Ok(()) };
        let Ok(program) = Program::compile(&ir, &SimOptions::new(f, sem)) else { return Ok(()) };
        let chars: Vec<char> = input.chars().collect();
        let r = program.run(&chars, budget);
        prop_assert!(r.steps <= budget + 1, "{} steps on a budget of {budget}", r.steps);
        match r.outcome {
            Outcome::Match { start, end } => prop_assert!(start <= end && end <= chars.len(), "{start}..{end}"),
            Outcome::NoMatch => prop_assert!(r.steps <= budget),
            Outcome::Budget => {}
        }
        prop_assert_eq!(r, program.run(&chars, budget), "deterministic");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(80), failure_persistence: None, ..ProptestConfig::default() })]

    /// Every rule on one pattern (what `cfglint regex` runs): no panic
    /// (that would be a CL009 finding), findings inside the pattern.
    #[test]
    fn every_rule_survives_any_pattern(p in pattern(), f in flavor(), sem in semantics()) {
        let mut opts = LintOptions::default();
        opts.rules.redos = opts.rules.redos.clone().max_steps(20_000);
        opts.rules.redos.analysis = tight();
        let r = lint::lint_pattern(&p, f, Flags::default(), sem, &opts);
        for finding in &r.findings {
            prop_assert!(finding.code != "CL009", "internal error on {p:?} ({f}): {}", finding.message);
            if let Some(s) = finding.span {
                prop_assert!(s.start <= s.end && s.end <= p.len(), "{} at {s:?} in {p:?}", finding.code);
            }
        }
    }
}

/// The file-level pipeline on mutated snippets: analysis of whatever they
/// extract never ends in an internal error.
#[test]
fn lint_source_on_mutated_snippets_has_no_internal_error() {
    let mut opts = LintOptions::default();
    opts.rules.redos = opts.rules.redos.clone().max_steps(20_000);
    opts.rules.redos.analysis = tight();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: cases(60),
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    runner
        .run(&(any::<prop::sample::Index>(), prop::collection::vec(mutation(), 1..4)), |(seed, mutations)| {
            let (path, bytes) = seed.get(seeds());
            let Ok(file) = source::from_bytes(path, mutate(bytes.clone(), &mutations), MAX_FILE) else { return Ok(()) };
            let r = lint::lint_source(&file, &opts);
            for f in &r.findings {
                prop_assert!(f.code != "CL009", "{}: {}", path.display(), f.message);
                if let Some(s) = f.span {
                    prop_assert!(s.end <= file.text.len(), "{} at {s:?}", f.code);
                }
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
}
