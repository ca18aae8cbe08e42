//! The NFA that models a backtracking engine, built from the [`Ir`].
//!
//! Pipeline position: after `parse` (which gives the IR), before
//! `ambiguity` (which looks for loops that can match the same text in more
//! than one way) and `witness` (which builds attack strings).
//!
//! # Construction
//!
//! The IR is first lowered to a Thompson-style ε-graph whose ε-edges keep
//! the engine's priorities (alternatives in order, greedy loops try one
//! more iteration first, lazy loops try to leave first) and whose marker
//! nodes record what a backtracker must know along an ε-path: which loops
//! were entered (for the empty-iteration rule), which atomic groups were
//! entered or left, and which assertions were passed. Then every
//! character-consuming node becomes a state of an ε-free NFA (a position
//! automaton); a state's outgoing *entries* are found by walking the
//! ε-graph depth first, in priority order, from just after the state's
//! character. Each entry is an [`Edge`] (to the next consuming state) or an
//! [`Entry::Accept`] (the end of the pattern), in the order a backtracking
//! engine tries them.
//!
//! Edges carry:
//! - the character class of the next character (`label`), already narrowed
//!   by assertions and look-arounds that only look at that character;
//! - a [`Guard`] for what the label cannot express (the previous character
//!   for `\b` and multi-line `^`, `$` before a final newline), checked on
//!   concrete strings;
//! - a multiplicity: the number of distinct ε-paths with the same target,
//!   label and guard, capped at 2. `(a*)*`, `(\w+\s?)*` and `(a|a?)+` are
//!   ambiguous through such parallel paths.
//!
//! Every state keeps the IR node of its character set (so its pattern span)
//! and the IR repetitions it sits in, so findings can underline quantifiers.
//!
//! # What is modelled, and the approximations
//!
//! - Empty iterations: an iteration of an unbounded loop that consumed
//!   nothing does not loop again (every engine); in JavaScript such an
//!   iteration fails once the minimum is reached, elsewhere it leaves the
//!   loop. Both are modelled (they change multiplicities, not languages).
//! - Counted repetition `X{n,m}` is unrolled into copies while small
//!   (`max - min` ≤ [`NfaConfig::unroll_span`] and the copies fit in
//!   [`NfaConfig::max_unrolled_states`]). Larger counts are modelled as
//!   `X{k,}` with `k = min(n, 2)`. Approximation: this over-approximates
//!   the paths, so a large bounded repetition can be reported as a loop;
//!   the simulator decides whether growth is real within the bound. A note
//!   says so.
//! - Atomic groups and possessive quantifiers: inside an atomic region the
//!   engine keeps only the first way the region matched. When every state
//!   of the region can leave it without further conditions (`a++`,
//!   `(?>\w+\s?)`, `[^"]*+`), the region's choices are exact: a branch is
//!   only taken on characters that no higher-priority branch of the region
//!   accepts, and leaving the region is only possible before a character
//!   that no branch accepts. For other regions only the "first exit wins"
//!   rule is applied (approximation: over-approximates paths).
//! - Look-ahead and look-behind whose body is one character class become
//!   exact constraints on the next / previous character (`(?!\s)`,
//!   `(?<=[a-z])`). Other look-aheads are approximated: the constraint is
//!   dropped (the NFA accepts more), and the body is added as a branch that
//!   consumes the same input and leads nowhere, so ambiguity inside the
//!   body is still found. Other look-behinds are dropped. A note says so.
//! - Backreferences are approximated by a copy of the referenced group's
//!   language (one level deep); a note says so.
//! - `\G` is treated as `\A`.
//!
//! # Guarantees
//!
//! Construction is iterative (explicit stacks) and bounded by
//! [`NfaConfig`]: states, ε-walk steps and edges. Running out gives
//! [`BuildError::Budget`], never a hang.

// Automata notation (states p, q, x, y; graph g; components c, d) as in
// the literature this follows.
//!
//! # Layout
//!
//! - `build`: lowering the IR to the ε-graph and [`Nfa::build`];
//! - `closure`: the ε-walk that turns a state's ε-closure into its
//!   prioritised entries;
//! - `query`: what the ambiguity and witness stages ask of a built NFA
//!   ([`Guard::holds`], [`Nfa::edges`], [`Nfa::enclosing_repeats`],
//!   [`Nfa::dump`]).

// Automata notation (states p, q, x, y; graph g; components c, d) as in
// the literature this follows.
#![allow(clippy::many_single_char_names)]

mod build;
mod closure;
mod query;

use std::collections::HashMap;

use crate::analysis::ir::{CharSet, NodeId};
use crate::source::Semantics;

pub use query::describe_guard;

/// Index of a state in [`Nfa::states`].
pub type StateId = u32;

const NONE: u32 = u32::MAX;

/// Assertion bits in [`Guard::asserts`].
pub mod bits {
    /// `\A`, `^` (single-line), `\G`.
    pub const START_TEXT: u16 = 1;
    /// `\z`, JS `$`.
    pub const END_TEXT: u16 = 1 << 1;
    /// PCRE/Python/Java `$`, `\Z`: end or before a final newline.
    pub const END_TEXT_NL: u16 = 1 << 2;
    /// Multi-line `^`.
    pub const START_LINE: u16 = 1 << 3;
    /// Multi-line `$`.
    pub const END_LINE: u16 = 1 << 4;
    /// `\b`.
    pub const WORD_B: u16 = 1 << 5;
    /// `\B`.
    pub const NOT_WORD_B: u16 = 1 << 6;
}

/// Budgets and modelling choices for [`Nfa::build`].
#[derive(Debug, Clone)]
pub struct NfaConfig {
    /// Most NFA states (default 20,000).
    pub max_states: usize,
    /// Most ε-graph steps over all walks (default 500,000; the largest CRS
    /// rules need under 200,000).
    pub max_walk_steps: u64,
    /// Most edges in the NFA (default 400,000).
    pub max_edges: usize,
    /// Counted repetitions with `max - min` at most this are unrolled
    /// (default 64); wider ones are modelled as unbounded loops.
    pub unroll_span: u32,
    /// Most states one counted repetition may unroll into (default 1,000).
    pub max_unrolled_states: u64,
    /// A counted repetition modelled as a loop counts as unbounded for
    /// polynomial degrees when its bound is at least this (default 4,096:
    /// smaller bounds cap the cost per start position, so the growth stays
    /// linear on the input lengths confirmation uses).
    pub unbounded_from: u32,
}

impl Default for NfaConfig {
    fn default() -> Self {
        NfaConfig {
            max_states: 20_000,
            max_walk_steps: 500_000,
            max_edges: 400_000,
            unroll_span: 64,
            max_unrolled_states: 1_000,
            unbounded_from: 4_096,
        }
    }
}

/// Why the NFA could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildError {
    /// A budget of [`NfaConfig`] ran out; the message names it.
    Budget(String),
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildError::Budget(m) => f.write_str(m),
        }
    }
}

/// Conditions on the characters around a position, beyond an edge's label.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Guard {
    /// Assertions passed ([`bits`]).
    pub asserts: u16,
    /// The next character must be in this set (look-ahead of one class, or
    /// an atomic region's exit). `None`: unconstrained.
    pub next: Option<CharSet>,
    /// Whether the end of input satisfies `next` when it is set.
    pub next_end_ok: bool,
    /// The previous character must be in this set (look-behind of one
    /// class). `None`: unconstrained.
    pub prev: Option<CharSet>,
    /// Whether the start of input satisfies `prev` when it is set.
    pub prev_start_ok: bool,
}

impl Default for Guard {
    fn default() -> Self {
        Guard { asserts: 0, next: None, next_end_ok: true, prev: None, prev_start_ok: true }
    }
}
impl Guard {
    /// True when the guard has no condition at all.
    pub fn is_trivial(&self) -> bool {
        self.asserts == 0 && self.next.is_none() && self.prev.is_none()
    }

    fn and_next(&mut self, set: &CharSet, end_ok: bool) {
        self.next = Some(match self.next.take() {
            Some(s) => s.intersect(set),
            None => set.clone(),
        });
        self.next_end_ok &= end_ok;
    }

    fn and_prev(&mut self, set: &CharSet, start_ok: bool) {
        self.prev = Some(match self.prev.take() {
            Some(s) => s.intersect(set),
            None => set.clone(),
        });
        self.prev_start_ok &= start_ok;
    }
}

/// A transition to the next consuming state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// The target state (it consumes the next character).
    pub to: StateId,
    /// Which next characters can take this edge (the target's set, narrowed
    /// by assertions and one-character look-arounds).
    pub label: CharSet,
    /// Conditions the label cannot express (checked on concrete strings).
    pub guard: Guard,
    /// Number of distinct ε-paths that give this edge, capped at 2.
    pub mult: u8,
}

/// One option of a state, in the engine's priority order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// Consume the next character and go on.
    Edge(Edge),
    /// The pattern can end here when the guard holds (`next` is the
    /// character after the match, or the end of input).
    Accept(Guard),
}

/// What a state stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateKind {
    /// Before the first character; consumes nothing.
    Start,
    /// The implicit lazy `[\s\S]*?` of search semantics: the engine retries
    /// at every start position.
    SearchLoop,
    /// A character class of the pattern.
    Char,
    /// A character class inside a look-ahead body.
    LookBody,
}

/// A state of the NFA.
#[derive(Debug, Clone)]
pub struct State {
    /// What the state stands for.
    pub kind: StateKind,
    /// The characters this state consumes (empty for the start state).
    pub set: CharSet,
    /// The IR `Set` node it came from.
    pub node: Option<NodeId>,
    /// The innermost atomic region containing it ([`NONE`]-like `u32::MAX`
    /// when none).
    pub region: u32,
    /// Every loop around the state is a counted repetition with a bound
    /// below [`NfaConfig::unbounded_from`], modelled as a loop: it can make
    /// paths explode exponentially within the bound, but cannot by itself
    /// add a polynomial degree.
    pub bounded_loops_only: bool,
    /// Options after consuming, in priority order.
    pub entries: Vec<Entry>,
}

/// The ε-free NFA.
#[derive(Debug, Clone)]
pub struct Nfa {
    /// States; `0` is the start state.
    pub states: Vec<State>,
    /// The search loop state, under search semantics.
    pub search_loop: Option<StateId>,
    /// Word characters for `\b`.
    pub word_chars: CharSet,
    /// Line terminators for multi-line `^`/`$`.
    pub line_terminators: CharSet,
    /// Approximations made while building (one sentence each).
    pub notes: Vec<String>,
    /// True when a construct was approximated in a way that changes the
    /// language (look-around, backreference, wide counted repetition).
    pub approximate: bool,
    /// For each IR node, its parent (to find enclosing repetitions).
    pub parents: Vec<Option<NodeId>>,
    /// The semantics the NFA was built for.
    pub semantics: Semantics,
    /// Most copies any counted repetition was unrolled into.
    pub max_unrolled: u32,
}

/// The start state.
pub const START: StateId = 0;

/// A fast hasher for integer keys (Fx-style multiply-rotate); keys here
/// are state numbers, not attacker-chosen strings.
#[derive(Default, Clone, Copy)]
pub(crate) struct Fx(u64);

impl std::hash::Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.add(u64::from(b));
        }
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
}

impl Fx {
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

pub(crate) type FxMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<Fx>>;
pub(crate) type FxSet<K> = std::collections::HashSet<K, std::hash::BuildHasherDefault<Fx>>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::parse::{ParseConfig, parse};
    use crate::source::Flavor;

    fn nfa(p: &str, flavor: Flavor, sem: Semantics) -> Nfa {
        let ir = parse(p, &ParseConfig::new(flavor)).expect("parses");
        Nfa::build(&ir, flavor, sem, &NfaConfig::default()).expect("builds")
    }

    fn edges(n: &Nfa, s: StateId) -> Vec<(StateId, String, u8)> {
        n.edges(s).map(|e| (e.to, e.label.to_string(), e.mult)).collect()
    }

    #[test]
    fn nested_star_has_parallel_paths() {
        let n = nfa("(a*)*", Flavor::Pcre, Semantics::AnchoredStart);
        assert_eq!(n.len(), 2);
        assert_eq!(edges(&n, 1), vec![(1, "a".to_string(), 2)]);
        // The start state reaches `a` once (skipping both loops is one path
        // to accept, entering is one path to `a`).
        assert_eq!(edges(&n, START), vec![(1, "a".to_string(), 1)]);
    }

    #[test]
    fn plus_loop_without_copies() {
        let n = nfa("(a+)+b", Flavor::Pcre, Semantics::AnchoredStart);
        assert_eq!(n.len(), 3);
        assert_eq!(edges(&n, 1), vec![(1, "a".to_string(), 2), (2, "b".to_string(), 1)]);
    }

    #[test]
    fn priorities_follow_greed() {
        let n = nfa("a*?b", Flavor::Pcre, Semantics::AnchoredStart);
        assert_eq!(edges(&n, 1), vec![(2, "b".to_string(), 1), (1, "a".to_string(), 1)]);
        let n = nfa("a*b", Flavor::Pcre, Semantics::AnchoredStart);
        assert_eq!(edges(&n, 1), vec![(1, "a".to_string(), 1), (2, "b".to_string(), 1)]);
    }

    #[test]
    fn counted_repetition_unrolls() {
        let n = nfa("^(?:a+){0,2}$", Flavor::Js, Semantics::AnchoredStart);
        assert_eq!(n.len(), 3);
        let n = nfa("a{3}", Flavor::Js, Semantics::AnchoredStart);
        assert_eq!(n.len(), 4);
        let n = nfa("a{1,64}", Flavor::Js, Semantics::AnchoredStart);
        assert_eq!(n.len(), 65);
        assert!(!n.approximate);
        let n = nfa("a{1,1000}", Flavor::Js, Semantics::AnchoredStart);
        assert_eq!(n.len(), 2);
        assert!(n.approximate);
    }

    #[test]
    fn possessive_leaves_only_before_other_characters() {
        let n = nfa("a++b", Flavor::Pcre, Semantics::AnchoredStart);
        assert_eq!(edges(&n, 1), vec![(1, "a".to_string(), 1), (2, "b".to_string(), 1)]);
        let n = nfa("a++a", Flavor::Pcre, Semantics::AnchoredStart);
        assert_eq!(edges(&n, 1), vec![(1, "a".to_string(), 1)]);
        // `(?>a+)+`: leaving the atomic group needs a non-`a`, so the outer
        // loop can never start another iteration on `a`.
        let n = nfa("(?>a+)+b", Flavor::Pcre, Semantics::AnchoredStart);
        assert_eq!(edges(&n, 1), vec![(1, "a".to_string(), 1), (2, "b".to_string(), 1)]);
    }

    #[test]
    fn anchors_cut_search_retries() {
        let n = nfa("^a", Flavor::Pcre, Semantics::Search);
        let s = n.search_loop.expect("search loop");
        assert_eq!(edges(&n, s), vec![(s, "[any]".to_string(), 1)]);
        let n = nfa("a$", Flavor::Js, Semantics::Search);
        assert_eq!(n.states[2].entries.len(), 1);
    }

    #[test]
    fn single_class_lookaround_is_exact() {
        let n = nfa(r"\s+(?!\s)x", Flavor::Pcre, Semantics::AnchoredStart);
        assert_eq!(edges(&n, 1).len(), 2);
        assert!(!n.approximate);
        let n = nfa(r"a(?=bc)b", Flavor::Pcre, Semantics::AnchoredStart);
        assert!(n.approximate);
        assert!(n.states.iter().any(|s| s.kind == StateKind::LookBody));
    }

    #[test]
    fn js_empty_iteration_fails() {
        // `(a?)*b`: in PCRE the empty iteration may leave the loop (a second
        // path from `a` to `b`); in JS it fails.
        let p = nfa("(a?)+b", Flavor::Pcre, Semantics::AnchoredStart);
        let j = nfa("(a?)+b", Flavor::Js, Semantics::AnchoredStart);
        let pm: Vec<u8> = p.edges(1).map(|e| e.mult).collect();
        let jm: Vec<u8> = j.edges(1).map(|e| e.mult).collect();
        assert_eq!(pm, vec![1, 2]);
        assert_eq!(jm, vec![1, 1]);
    }

    #[test]
    fn dump_mentions_spans() {
        let ir = parse("(a+)+$", &ParseConfig::new(Flavor::Pcre)).expect("parses");
        let n = Nfa::build(&ir, Flavor::Pcre, Semantics::Search, &NfaConfig::default()).expect("builds");
        let d = n.dump(&ir);
        assert!(d.contains("a at 1..2"), "{d}");
        assert!(d.contains("accept if $"), "{d}");
    }

    #[test]
    fn budgets_are_errors() {
        let ir = parse("(?:a|b|c){1,15}(?:x{1,15}){1,15}", &ParseConfig::new(Flavor::Pcre)).expect("parses");
        let cfg = NfaConfig { max_states: 20, ..NfaConfig::default() };
        assert!(Nfa::build(&ir, Flavor::Pcre, Semantics::Search, &cfg).is_err());
    }
}
