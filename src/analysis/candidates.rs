//! Static `ReDoS` analysis: the entry point.
//!
//! Pipeline position: after `parse`; the candidates go to `verify`, whose
//! simulator runs each attack for growing `n` and keeps only what it
//! confirms. [`analyze`] chains the stages:
//!
//! 1. `nfa`: an NFA that models the backtracking engine for the flavor and
//!    the semantics (search retries at every start position through an
//!    implicit lazy `[\s\S]*?` loop);
//! 2. `ambiguity`: exponential structures (a state with two paths back to
//!    itself on one word) and polynomial ones (loops that can consume the
//!    same word one after the other), with the chain length as degree;
//! 3. `witness`: an attack string for each structure, checked against the
//!    engine's priorities (the pumped paths must all fail), and the words
//!    that explain it (which quantifiers, which characters, what to do).
//!
//! Guarantees: bounded by [`RedosConfig`] (counters, never wall-clock);
//! running out gives [`Complexity::Unknown`] with a note. Linear-time
//! flavors (re2, rust) are always [`Complexity::Linear`]. A verdict above
//! linear always comes with at least one candidate attack.

// Automata notation (states p, q, x, y; graph g; components c, d) as in
// the literature this follows.
#![allow(clippy::many_single_char_names)]

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::analysis::Attack;
use crate::analysis::ambiguity::{self, Budget, Graph, Ida, Sccs};
use crate::analysis::ir::{CharSet, Ir, NodeId, NodeKind};
use crate::analysis::nfa::{Nfa, NfaConfig, StateId};
use crate::analysis::witness::{self, Picker, WitnessLimits, Witnesser};
use crate::source::{Flavor, PatternSpan, Semantics};

/// Budgets of the static analysis, with documented defaults.
#[derive(Debug, Clone)]
pub struct RedosConfig {
    /// NFA construction budgets (see [`NfaConfig`]).
    pub nfa: NfaConfig,
    /// Product-automaton steps shared by all ambiguity searches (default
    /// 600,000; the largest CRS rules need about 160,000).
    pub product_budget: u64,
    /// Most candidates returned (default 4).
    pub max_candidates: usize,
    /// Most start pairs per pair of loops in the polynomial search
    /// (default 32).
    pub max_ida_starts: usize,
    /// Most structures for which an attack is built (default 24).
    pub max_attempts: usize,
    /// Witness search bounds.
    pub witness: WitnessLimits,
    /// Most unchecked attacks proposed when no checked one exists (default
    /// 6; see [`StaticVerdict::speculative`]). Each costs one simulation,
    /// cheap when the growth is linear.
    pub max_speculative: usize,
}

impl Default for RedosConfig {
    fn default() -> Self {
        RedosConfig {
            nfa: NfaConfig::default(),
            product_budget: 600_000,
            max_candidates: 4,
            max_ida_starts: 32,
            max_attempts: 24,
            witness: WitnessLimits::default(),
            max_speculative: 6,
        }
    }
}

impl RedosConfig {
    /// Set the most NFA states.
    #[must_use]
    pub fn max_states(mut self, n: usize) -> Self {
        self.nfa.max_states = n;
        self
    }

    /// Set the ε-walk step budget of NFA construction.
    #[must_use]
    pub fn max_walk_steps(mut self, n: u64) -> Self {
        self.nfa.max_walk_steps = n;
        self
    }

    /// Set the product-automaton budget.
    #[must_use]
    pub fn product_budget(mut self, n: u64) -> Self {
        self.product_budget = n;
        self
    }

    /// Set the most candidates returned.
    #[must_use]
    pub fn max_candidates(mut self, n: usize) -> Self {
        self.max_candidates = n;
        self
    }

    /// Set the most structures for which an attack is built.
    #[must_use]
    pub fn max_attempts(mut self, n: usize) -> Self {
        self.max_attempts = n;
        self
    }
}

/// How the matching time grows with the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Complexity {
    /// Linear (no attack found).
    Linear,
    /// Polynomial of some degree ≥ 2.
    Polynomial,
    /// Exponential.
    Exponential,
    /// The analysis ran out of budget.
    Unknown,
}

impl Complexity {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Complexity::Linear => "linear",
            Complexity::Polynomial => "polynomial",
            Complexity::Exponential => "exponential",
            Complexity::Unknown => "unknown",
        }
    }

    /// `O(n²)`, `O(n³)`, `O(2ⁿ)`, `linear` or `unknown`.
    pub fn big_o(self, degree: Option<u32>) -> String {
        match (self, degree) {
            (Complexity::Linear, _) => "linear".to_owned(),
            (Complexity::Polynomial, Some(2)) => "O(n²)".to_owned(),
            (Complexity::Polynomial, Some(3)) => "O(n³)".to_owned(),
            (Complexity::Polynomial, Some(d)) => format!("O(n^{d})"),
            (Complexity::Polynomial, None) => "polynomial".to_owned(),
            (Complexity::Exponential, _) => "O(2ⁿ)".to_owned(),
            (Complexity::Unknown, _) => "unknown".to_owned(),
        }
    }

    /// A rank for "worse than" comparisons: linear < polynomial (by
    /// degree) < exponential. Unknown ranks with linear (it is not
    /// evidence).
    pub fn rank(self, degree: Option<u32>) -> u32 {
        match self {
            Complexity::Linear | Complexity::Unknown => 1,
            Complexity::Polynomial => degree.unwrap_or(2).max(2),
            Complexity::Exponential => u32::MAX,
        }
    }
}

impl std::fmt::Display for Complexity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One candidate attack with its explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// The attack string.
    pub attack: Attack,
    /// What the attack should show.
    pub complexity: Complexity,
    /// The polynomial degree, for polynomial candidates.
    pub degree: Option<u32>,
    /// Quantifier spans involved, primary first.
    pub loops: Vec<PatternSpan>,
    /// Which quantifiers overlap on which characters.
    pub overlap: String,
    /// How to rewrite the pattern.
    pub hint: String,
}

/// The result of the static analysis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaticVerdict {
    /// The worst complexity among the candidates (or unknown).
    pub complexity: Complexity,
    /// The polynomial degree when `complexity` is polynomial.
    pub degree: Option<u32>,
    /// Candidate attacks, most severe first; the confirmation step tries
    /// them in order.
    pub candidates: Vec<Candidate>,
    /// Approximations and budget notes.
    pub notes: Vec<String>,
    /// Unchecked attacks for overlapping loops whose attack search found no
    /// input that makes every path fail: a blow-up that ends in a match is
    /// still possible, and only simulation can tell. Never evidence on
    /// their own.
    pub speculative: Vec<Candidate>,
}

impl StaticVerdict {
    fn linear(notes: Vec<String>) -> Self {
        StaticVerdict {
            complexity: Complexity::Linear,
            degree: None,
            candidates: Vec::new(),
            notes,
            speculative: Vec::new(),
        }
    }
}

/// Analyze a parsed pattern. Messages name quantifiers by position; see
/// [`analyze_text`] to quote the pattern instead.
pub fn analyze(ir: &Ir, flavor: Flavor, semantics: Semantics, config: &RedosConfig) -> StaticVerdict {
    run(None, ir, flavor, semantics, config)
}

/// [`analyze`], quoting `pattern` (the text `ir` was parsed from) in
/// messages.
pub fn analyze_text(
    pattern: &str,
    ir: &Ir,
    flavor: Flavor,
    semantics: Semantics,
    config: &RedosConfig,
) -> StaticVerdict {
    run(Some(pattern), ir, flavor, semantics, config)
}

fn base_notes(ir: &Ir) -> Vec<String> {
    ir.approximations.iter().map(|a| format!("{} (pattern offsets {}..{})", a.what, a.span.start, a.span.end)).collect()
}

struct Ctx<'a> {
    ir: &'a Ir,
    pattern: Option<&'a str>,
    flavor: Flavor,
    nfa: &'a Nfa,
    graph: &'a Graph,
    witness: Witnesser<'a>,
    config: &'a RedosConfig,
    /// Characters no class of the pattern accepts (any character when
    /// the classes cover everything).
    outside: CharSet,
}

fn run(pattern: Option<&str>, ir: &Ir, flavor: Flavor, semantics: Semantics, config: &RedosConfig) -> StaticVerdict {
    let mut notes = base_notes(ir);
    if !flavor.is_backtracking() {
        return StaticVerdict::linear(notes);
    }
    let nfa = match Nfa::build(ir, flavor, semantics, &config.nfa) {
        Ok(n) => n,
        Err(e) => {
            notes.push(format!("not analyzed: {e}"));
            return StaticVerdict {
                complexity: Complexity::Unknown,
                degree: None,
                candidates: Vec::new(),
                notes,
                speculative: Vec::new(),
            };
        }
    };
    notes.extend(nfa.notes.iter().cloned());
    let graph = Graph::new(&nfa);
    let sccs = Sccs::new(&graph);
    let mut budget = Budget::new(config.product_budget);
    let amb = ambiguity::analyze(&nfa, &graph, &sccs, &mut budget, 1, config.max_ida_starts);
    let picker = Picker::new(ir);
    let mut cx = Ctx {
        ir,
        pattern,
        flavor,
        nfa: &nfa,
        graph: &graph,
        witness: Witnesser::new(&nfa, &picker, config.witness, flavor),
        config,
        outside: outside(&nfa),
    };

    let mut candidates = Vec::new();
    let mut attempts = 0;
    let structures = amb.eda.len() + amb.ida.len();
    for eda in &amb.eda {
        if candidates.len() >= config.max_candidates || attempts >= config.max_attempts {
            break;
        }
        attempts += 1;
        if let Some(c) = eda_candidate(&mut cx, eda) {
            candidates.push(c);
        }
    }
    if candidates.len() < config.max_candidates {
        let exp = candidates.len();
        for c in ida_candidates(&mut cx, &amb.ida, &mut attempts) {
            if candidates.len() >= config.max_candidates {
                break;
            }
            // One exponential candidate is enough evidence per pattern;
            // keep polynomial ones as fallbacks only.
            if exp > 0 && candidates.len() > exp {
                break;
            }
            candidates.push(c);
        }
    }

    if candidates.is_empty() {
        if cx.witness.exhausted() {
            notes.push(format!(
                "the attack search ran out of budget ({} simulation steps); the pattern may still be vulnerable",
                config.witness.max_work
            ));
            return StaticVerdict {
                complexity: Complexity::Unknown,
                degree: None,
                candidates,
                notes,
                speculative: Vec::new(),
            };
        }
        if amb.exhausted {
            notes.push(format!(
                "the ambiguity search ran out of budget ({} product steps); the pattern may still be vulnerable",
                config.product_budget
            ));
            return StaticVerdict {
                complexity: Complexity::Unknown,
                degree: None,
                candidates,
                notes,
                speculative: Vec::new(),
            };
        }
        let mut verdict = StaticVerdict::linear(notes);
        if structures > 0 {
            verdict.speculative = speculative_candidates(&cx, &picker, &amb, config.max_speculative);
        }
        return verdict;
    }
    let best = candidates
        .iter()
        .max_by_key(|c| (c.complexity == Complexity::Exponential, c.degree.unwrap_or(0)))
        .expect("candidates is not empty");
    let (complexity, degree) = (best.complexity, best.degree);
    if amb.exhausted {
        notes.push("the ambiguity search ran out of budget; other structures may exist".to_string());
    }
    candidates.sort_by_key(|c| std::cmp::Reverse((c.complexity == Complexity::Exponential, c.degree.unwrap_or(0))));
    StaticVerdict { complexity, degree, candidates, notes, speculative: Vec::new() }
}

fn outside(nfa: &Nfa) -> CharSet {
    let mut ranges = Vec::new();
    for st in &nfa.states {
        if st.kind != crate::analysis::nfa::StateKind::SearchLoop {
            ranges.extend_from_slice(st.set.ranges());
        }
    }
    let out = CharSet::from_ranges(ranges).complement();
    if out.representative().is_some() { out } else { CharSet::any() }
}

fn eda_candidate(cx: &mut Ctx<'_>, eda: &ambiguity::Eda) -> Option<Candidate> {
    let prefix = cx.graph.path_from_start(eda.state)?;
    let found = cx.witness.attack(&prefix, &eda.pump, &[eda.state])?;
    Some(eda_describe(cx, eda, found))
}

fn eda_describe(cx: &Ctx<'_>, eda: &ambiguity::Eda, found: witness::Found) -> Candidate {
    let parallel = eda.path_states[0] == eda.path_states[1];
    let mut states: Vec<StateId> = eda.path_states.iter().flatten().copied().collect();
    states.sort_unstable();
    states.dedup();
    let loops = witness::loops_for(cx.nfa, cx.ir, &states, parallel);
    let names: Vec<String> = loops.iter().map(|&r| witness::name_loop(cx.ir, r, cx.pattern)).collect();
    let pump = witness::show(&found.pump);
    let overlap = match names.as_slice() {
        [] => format!("the pattern can match {pump} in more than one way, again and again"),
        [one] => format!(
            "each repetition of {one} can match {pump} in more than one way ({}), so n repetitions give 2^n ways",
            diverging(cx, eda)
        ),
        [outer, inner @ ..] => format!(
            "{outer} and {} can both consume {pump}, so n copies of it can be split in 2^n ways",
            inner.join(" and ")
        ),
    };
    let primary = names.first().cloned().unwrap_or_else(|| "the repetition".to_string());
    let mut hint = format!(
        "make each repetition of {primary} match a given text in only one way: make the alternatives or nested \
         quantifiers inside it match different characters, or remove the nesting (e.g. `(a+)+` → `a+`)"
    );
    hint.push_str(&atomic_hint(cx.flavor));
    Candidate {
        attack: Attack { prefix: found.prefix, pump: found.pump, suffix: found.suffix },
        complexity: Complexity::Exponential,
        degree: None,
        loops: loops.iter().map(|&r| witness::op_span(cx.ir, r)).collect(),
        overlap,
        hint,
    }
}

/// Attacks for structures whose attack search found no input that makes
/// every pumped path fail, built from representative characters with a few
/// plain suffixes and left unchecked. They cover blow-ups that end in a
/// match: a lazy `[\s\S]*?` that finally absorbs the input only after
/// every shorter split was tried and failed (path-parse, CVE-2021-23343).
/// Only the simulator can tell, so these are proposed separately
/// ([`StaticVerdict::speculative`]) and never reported unconfirmed.
fn speculative_candidates(cx: &Ctx<'_>, picker: &Picker, amb: &ambiguity::Ambiguity, max: usize) -> Vec<Candidate> {
    let pick = |sets: &[CharSet]| -> Option<String> {
        sets.iter().map(|set| picker.choices(set, 1).first().copied()).collect::<Option<String>>()
    };
    // One (prefix, pump) per structure, exponential ones first.
    let mut bases: Vec<(String, String, Option<&ambiguity::Eda>, Option<&Ida>)> = Vec::new();
    for eda in &amb.eda {
        if let (Some(prefix), Some(pump)) =
            (cx.graph.path_from_start(eda.state).and_then(|p| pick(&p)), pick(&eda.pump))
        {
            bases.push((prefix, pump, Some(eda), None));
        }
    }
    for ida in &amb.ida {
        let prefix = if Some(ida.p) == cx.nfa.search_loop { Some(Vec::new()) } else { cx.graph.path_from_start(ida.p) };
        if let (Some(prefix), Some(pump)) = (prefix.and_then(|p| pick(&p)), pick(&ida.pump)) {
            bases.push((prefix, pump, None, Some(ida)));
        }
    }
    // Round-robin over the structures, one suffix at a time, so that the
    // first few attacks cover different structures.
    let outside = cx.outside.representative().map(String::from).unwrap_or_default();
    let mut out: Vec<Candidate> = Vec::new();
    for suffix in [outside.as_str(), "\n", ""] {
        for (prefix, pump, eda, ida) in &bases {
            if out.len() >= max {
                return out;
            }
            let found = witness::Found { prefix: prefix.clone(), pump: pump.clone(), suffix: suffix.to_owned() };
            let candidate = match (eda, ida) {
                (Some(eda), _) => eda_describe(cx, eda, found),
                (None, Some(ida)) => ida_candidate(cx, &ida.chain, found, ida.chain.len() as u32),
                (None, None) => continue,
            };
            if !out.iter().any(|o| o.attack == candidate.attack) {
                out.push(candidate);
            }
        }
    }
    out
}

/// Where the two paths of an exponential structure part ways.
fn diverging(cx: &Ctx<'_>, eda: &ambiguity::Eda) -> String {
    let a = eda.path_states[0].iter().rev().nth(1).copied();
    let b = eda.path_states[1].iter().rev().nth(1).copied();
    match (a, b) {
        (Some(a), Some(b)) if a != b => {
            let name = |s: StateId| {
                let node = cx.nfa.states[s as usize].node;
                node.map_or_else(|| "the search".to_string(), |n| set_name(cx, n))
            };
            format!("{} and {} both match it", name(a), name(b))
        }
        _ => "two nested loops can both go round".to_string(),
    }
}

fn set_name(cx: &Ctx<'_>, n: NodeId) -> String {
    let span = cx.ir.node(n).span;
    if let Some(p) = cx.pattern
        && let Some(t) = p.get(span.start..span.end)
    {
        return format!("`{t}` (pattern offset {})", span.start);
    }
    match &cx.ir.node(n).kind {
        NodeKind::Set(s) => format!("`{s}` (pattern offset {})", span.start),
        _ => format!("the class at pattern offset {}", span.start),
    }
}

fn atomic_hint(flavor: Flavor) -> String {
    match flavor {
        Flavor::Pcre | Flavor::Onigmo | Flavor::Java => {
            "; or stop backtracking into it with an atomic group `(?>…)` or a possessive quantifier (`++`, `*+`)"
                .to_string()
        }
        Flavor::Python => "; or (Python 3.11+) stop backtracking into it with an atomic group `(?>…)` or a \
                           possessive quantifier (`++`, `*+`)"
            .to_string(),
        Flavor::Js => "; JavaScript has no atomic groups, but `(?=(…))\\1` behaves like one".to_string(),
        Flavor::Re2 | Flavor::Rust => String::new(),
    }
}

fn ida_candidates(cx: &mut Ctx<'_>, idas: &[Ida], attempts: &mut usize) -> Vec<Candidate> {
    // Longest chains first; among equals, structures not involving the
    // search loop first (their attacks are easier to read).
    let mut order: Vec<usize> = (0..idas.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(idas[i].chain.len()), Some(idas[i].p) == cx.nfa.search_loop));
    let mut out: Vec<Candidate> = Vec::new();
    for i in order {
        if out.len() >= cx.config.max_candidates || *attempts >= cx.config.max_attempts {
            break;
        }
        *attempts += 1;
        let ida = &idas[i];
        // The search loop is entered at the start: no prefix is needed,
        // unless a match at the first position must be avoided (`^\s+|\s+$`
        // matches at once on leading spaces): then one character that no
        // class of the pattern accepts.
        let prefixes: Vec<Vec<CharSet>> = if Some(ida.p) == cx.nfa.search_loop {
            vec![Vec::new(), vec![cx.outside.clone()]]
        } else {
            match cx.graph.path_from_start(ida.p) {
                Some(p) => vec![p],
                None => continue,
            }
        };
        let mut chain = ida.chain.clone();
        let mut found = None;
        for prefix in &prefixes {
            chain.clone_from(&ida.chain);
            found = cx.witness.attack(prefix, &ida.pump, &chain);
            if found.is_none()
                && let Some(through) = &ida.through
            {
                found = cx.witness.attack(prefix, through, &chain);
            }
            if found.is_none() && chain.len() > 2 {
                chain.truncate(2);
                found = cx.witness.attack(prefix, &ida.pump, &chain);
            }
            if found.is_some() {
                break;
            }
        }
        let Some(found) = found else { continue };
        let degree = chain.len() as u32;
        if out
            .iter()
            .any(|c| c.attack == attack_of(&found) || (c.attack.pump == found.pump && c.degree >= Some(degree)))
        {
            continue;
        }
        out.push(ida_candidate(cx, &chain, found, degree));
    }
    out
}

fn attack_of(f: &witness::Found) -> Attack {
    Attack { prefix: f.prefix.clone(), pump: f.pump.clone(), suffix: f.suffix.clone() }
}

fn ida_candidate(cx: &Ctx<'_>, states: &[StateId], found: witness::Found, degree: u32) -> Candidate {
    let search = cx.nfa.search_loop;
    let mut loops: Vec<NodeId> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut via_search = false;
    for &s in states {
        if Some(s) == search {
            via_search = true;
            continue;
        }
        if let Some(&r) = witness::loops_for(cx.nfa, cx.ir, &[s], false).last()
            && !loops.contains(&r)
        {
            loops.push(r);
            names.push(witness::name_loop(cx.ir, r, cx.pattern));
        }
    }
    let pump = witness::show(&found.pump);
    let joined = names.join(" and ");
    let overlap = if via_search {
        format!(
            "the engine retries the match at every start position, and {} can consume {pump} again from each one{}",
            if joined.is_empty() { "the pattern".to_string() } else { joined.clone() },
            if names.len() > 1 { " (the loops can also split it between them)" } else { "" }
        )
    } else {
        let verb = if names.len() == 2 { "both" } else { "all" };
        let ways = if degree <= 2 { "all n+1 ways".to_string() } else { format!("about n^{} ways", degree - 1) };
        format!(
            "{joined} can {verb} consume {pump}, so the engine tries {ways} of splitting a run of n copies between them"
        )
    };
    let first = names.first().cloned().unwrap_or_else(|| "the repetition".to_string());
    // Whether the first loop can start the match (nothing before it).
    let leading = states
        .iter()
        .find(|&&s| Some(s) != search)
        .and_then(|&q| cx.graph.path_from_start(q))
        .is_some_and(|p| p.len() <= 1);
    let mut hint = if via_search && leading {
        format!(
            "anchor the pattern (`^`) if the match must start at the beginning of the input, or bound {first} \
             (e.g. `{{0,64}}`) so that each retry from the next position scans a limited run"
        )
    } else if via_search {
        // The character where a new attempt starts inside the run.
        let start = found.pump.chars().next().map(|c| witness::show(&c.to_string())).unwrap_or_default();
        format!(
            "anchor the pattern (`^`) if the match must start at the beginning of the input, or make {first} \
             unable to match {start} (where the next attempt starts), or bound it (e.g. `{{0,64}}`), so a failed \
             attempt is not retried from every position inside the run"
        )
    } else {
        "make the adjacent quantifiers match different characters, bound one of them (e.g. `{0,64}`), or merge \
         them into one quantifier"
            .to_string()
    };
    if !via_search || names.len() > 1 {
        hint.push_str(&atomic_hint(cx.flavor));
    }
    Candidate {
        attack: Attack { prefix: found.prefix, pump: found.pump, suffix: found.suffix },
        complexity: Complexity::Polynomial,
        degree: Some(degree),
        loops: loops.iter().map(|&r| witness::op_span(cx.ir, r)).collect(),
        overlap,
        hint,
    }
}

/// A dump of the NFA, its loops and the structures found, for
/// `cfglint debug nfa`.
pub fn debug_nfa(ir: &Ir, flavor: Flavor, semantics: Semantics, config: &RedosConfig) -> String {
    let nfa = match Nfa::build(ir, flavor, semantics, &config.nfa) {
        Ok(n) => n,
        Err(e) => return format!("not built: {e}\n"),
    };
    let mut s = nfa.dump(ir);
    let graph = Graph::new(&nfa);
    let sccs = Sccs::new(&graph);
    for (i, m) in sccs.members.iter().enumerate() {
        if sccs.cyclic[i] {
            let _ = writeln!(s, "loop component {i}: states {m:?}");
        }
    }
    let mut budget = Budget::new(config.product_budget);
    let amb = ambiguity::analyze(&nfa, &graph, &sccs, &mut budget, 1, config.max_ida_starts);
    for e in &amb.eda {
        let pump: Vec<String> = e.pump.iter().map(ToString::to_string).collect();
        let _ = writeln!(s, "exponential: state {} pumps {}", e.state, pump.join(""));
    }
    for i in &amb.ida {
        let pump: Vec<String> = i.pump.iter().map(ToString::to_string).collect();
        let _ = writeln!(s, "polynomial: {} -> {} pumps {}", i.p, i.q, pump.join(""));
    }
    if amb.exhausted {
        let _ = writeln!(s, "budget exhausted");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::parse::{ParseConfig, parse};

    fn verdict(p: &str, flavor: Flavor, sem: Semantics) -> StaticVerdict {
        let ir = parse(p, &ParseConfig::new(flavor)).expect("parses");
        analyze_text(p, &ir, flavor, sem, &RedosConfig::default())
    }

    #[test]
    fn classes() {
        let v = verdict("^(a+)+$", Flavor::Pcre, Semantics::Search);
        assert_eq!(v.complexity, Complexity::Exponential);
        assert_eq!(v.candidates[0].loops.len(), 2);
        let v = verdict(r"\s*$", Flavor::Js, Semantics::Search);
        assert_eq!((v.complexity, v.degree), (Complexity::Polynomial, Some(2)));
        let v = verdict(".*(?:.*=.*)", Flavor::Pcre, Semantics::Search);
        assert_eq!((v.complexity, v.degree), (Complexity::Polynomial, Some(3)));
        let v = verdict("^(?>a+)+$", Flavor::Pcre, Semantics::Search);
        assert_eq!(v.complexity, Complexity::Linear);
        let v = verdict("^(a+)+$", Flavor::Re2, Semantics::Search);
        assert_eq!(v.complexity, Complexity::Linear);
    }

    #[test]
    fn explanations_name_the_quantifiers() {
        let v = verdict(r"^(\w+\s?)*$", Flavor::Js, Semantics::Search);
        let c = &v.candidates[0];
        assert!(c.overlap.contains(r"`\w+`"), "{}", c.overlap);
        assert!(c.hint.contains("JavaScript"), "{}", c.hint);
        let v = verdict(r"\s*$", Flavor::Pcre, Semantics::Search);
        assert!(v.candidates[0].overlap.contains("every start position"), "{}", v.candidates[0].overlap);
    }

    #[test]
    fn without_pattern_text_positions_are_named() {
        let ir = parse("^(a+)+$", &ParseConfig::new(Flavor::Js)).expect("parses");
        let v = analyze(&ir, Flavor::Js, Semantics::Search, &RedosConfig::default());
        assert!(v.candidates[0].overlap.contains("repetition at"), "{}", v.candidates[0].overlap);
    }

    #[test]
    fn budgets_give_unknown_with_a_note() {
        let p = "(?:a|b)".repeat(50) + "$";
        let ir = parse(&p, &ParseConfig::new(Flavor::Pcre)).expect("parses");
        let v = analyze(&ir, Flavor::Pcre, Semantics::Search, &RedosConfig::default().max_states(10));
        assert_eq!(v.complexity, Complexity::Unknown);
        assert!(v.notes.iter().any(|n| n.contains("automaton states")), "{:?}", v.notes);
    }

    #[test]
    fn debug_dump_lists_structures() {
        let ir = parse(r"\s*$", &ParseConfig::new(Flavor::Js)).expect("parses");
        let d = debug_nfa(&ir, Flavor::Js, Semantics::Search, &RedosConfig::default());
        assert!(d.contains("search loop") && d.contains("polynomial:"), "{d}");
    }
}
