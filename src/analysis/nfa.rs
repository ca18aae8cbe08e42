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
#![allow(clippy::many_single_char_names)]

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::analysis::ir::{Assertion, CharSet, Greed, Ir, NodeId, NodeKind};
use crate::source::{Flavor, PatternSpan, Semantics};

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

    /// Whether the guard holds between `prev` and `next` (`None` for the
    /// start / end of input); `next_is_last` tells whether `next` is the
    /// last character of the input (for `$` before a final newline).
    pub fn holds(&self, nfa: &Nfa, prev: Option<char>, next: Option<char>, next_is_last: bool) -> bool {
        if let Some(p) = &self.prev {
            let ok = match prev {
                None => self.prev_start_ok,
                Some(c) => p.contains(c),
            };
            if !ok {
                return false;
            }
        }
        if let Some(n) = &self.next {
            let ok = match next {
                None => self.next_end_ok,
                Some(c) => n.contains(c),
            };
            if !ok {
                return false;
            }
        }
        let a = self.asserts;
        if a == 0 {
            return true;
        }
        if a & bits::START_TEXT != 0 && prev.is_some() {
            return false;
        }
        if a & bits::END_TEXT != 0 && next.is_some() {
            return false;
        }
        if a & bits::END_TEXT_NL != 0 && !(next.is_none() || (next == Some('\n') && next_is_last)) {
            return false;
        }
        if a & bits::START_LINE != 0 && !prev.is_none_or(|c| nfa.line_terminators.contains(c)) {
            return false;
        }
        if a & bits::END_LINE != 0 && !next.is_none_or(|c| nfa.line_terminators.contains(c)) {
            return false;
        }
        let word = |c: Option<char>| c.is_some_and(|c| nfa.word_chars.contains(c));
        if a & bits::WORD_B != 0 && word(prev) == word(next) {
            return false;
        }
        if a & bits::NOT_WORD_B != 0 && word(prev) != word(next) {
            return false;
        }
        true
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

// ----- the ε-graph ---------------------------------------------------------

#[derive(Debug, Clone)]
enum ENode {
    Consume {
        state: StateId,
        next: u32,
    },
    Split {
        targets: Vec<u32>,
    },
    Assert {
        bit: u16,
        next: u32,
    },
    Guard {
        next_set: Option<(CharSet, bool)>,
        prev_set: Option<(CharSet, bool)>,
        next: u32,
    },
    LoopEnter {
        depth: u32,
        next: u32,
    },
    LoopBack {
        depth: u32,
        next: u32,
    },
    LoopExit {
        depth: u32,
        plus: bool,
        next: u32,
    },
    AtomicEnter {
        region: u32,
        next: u32,
    },
    AtomicExit {
        region: u32,
        next: u32,
    },
    /// Entering a look-ahead body: atomic regions outside do not apply.
    Isolate {
        next: u32,
    },
    Match,
    Dead,
}

#[derive(Debug, Clone, Copy)]
struct Hole {
    node: u32,
    slot: u32,
}

#[derive(Debug, Clone)]
struct Frag {
    start: u32,
    outs: Vec<Hole>,
}

#[derive(Debug, Clone, Copy)]
struct Ctx {
    depth: u32,
    region: u32,
    in_backref: bool,
    in_look: bool,
    /// Inside some loop of the NFA.
    in_loop: bool,
    /// Inside a loop that is unbounded (or bounded beyond
    /// [`NfaConfig::unbounded_from`]).
    in_unbounded_loop: bool,
}

/// How a repetition is laid out.
#[derive(Debug, Clone, Copy)]
struct Layout {
    /// Plain copies.
    copies: u32,
    /// Nested optional copies after them.
    optional: u32,
    /// Then an unbounded loop (`plus`: at least one iteration).
    looped: Option<bool>,
    /// The repetition was approximated.
    approximated: bool,
}

enum Task {
    Visit(NodeId, Ctx),
    Combine(NodeId, Ctx, Combine),
}

#[derive(Clone, Copy)]
enum Combine {
    Concat(usize),
    Alt(usize),
    Pass,
    Atomic(u32),
    Look,
    Repeat { layout: Layout, greed: Greed, region: u32, depth: u32 },
    Backref,
}

struct Builder<'a> {
    ir: &'a Ir,
    config: &'a NfaConfig,
    enodes: Vec<ENode>,
    states: Vec<State>,
    state_enode: Vec<u32>,
    region_parent: Vec<u32>,
    sizes: Vec<u64>,
    groups: HashMap<u32, NodeId>,
    notes: Vec<String>,
    approximate: bool,
    max_unrolled: u32,
}

fn set_hole(enodes: &mut [ENode], hole: Hole, target: u32) {
    match &mut enodes[hole.node as usize] {
        ENode::Split { targets } => targets[hole.slot as usize] = target,
        ENode::Consume { next, .. }
        | ENode::Assert { next, .. }
        | ENode::Guard { next, .. }
        | ENode::LoopEnter { next, .. }
        | ENode::LoopBack { next, .. }
        | ENode::LoopExit { next, .. }
        | ENode::AtomicEnter { next, .. }
        | ENode::AtomicExit { next, .. }
        | ENode::Isolate { next } => *next = target,
        ENode::Match | ENode::Dead => {}
    }
}

/// The character set of a body that matches exactly one character from a
/// class (`x`, `[a-z]`, `(?:a|b)`), for exact one-character look-arounds.
fn single_class(ir: &Ir, id: NodeId) -> Option<CharSet> {
    let mut stack = vec![id];
    let mut out = CharSet::empty();
    let mut steps = 0;
    while let Some(n) = stack.pop() {
        steps += 1;
        if steps > 64 {
            return None;
        }
        match &ir.node(n).kind {
            NodeKind::Set(s) => out = out.union(s),
            NodeKind::Group { child, .. } => stack.push(*child),
            NodeKind::Alt(items) => stack.extend(items.iter().copied()),
            NodeKind::Concat(items) if items.len() == 1 => stack.push(items[0]),
            _ => return None,
        }
    }
    Some(out)
}

impl<'a> Builder<'a> {
    fn new(ir: &'a Ir, config: &'a NfaConfig) -> Self {
        let mut groups = HashMap::new();
        for (i, n) in ir.nodes.iter().enumerate() {
            if let NodeKind::Group { capture: Some(k), .. } = n.kind {
                groups.insert(k, NodeId(i as u32));
            }
        }
        let mut b = Builder {
            ir,
            config,
            enodes: Vec::new(),
            states: Vec::new(),
            state_enode: Vec::new(),
            region_parent: Vec::new(),
            sizes: Vec::new(),
            groups,
            notes: Vec::new(),
            approximate: false,
            max_unrolled: 0,
        };
        b.compute_sizes();
        b
    }

    fn note(&mut self, s: String) {
        if !self.notes.contains(&s) && self.notes.len() < 16 {
            self.notes.push(s);
        }
    }

    /// States one build of each node creates (saturating), children first
    /// (the arena stores children before parents).
    fn compute_sizes(&mut self) {
        let n = self.ir.nodes.len();
        self.sizes = vec![0; n];
        for i in 0..n {
            let size = match &self.ir.nodes[i].kind {
                NodeKind::Set(_) => 1,
                NodeKind::Concat(items) | NodeKind::Alt(items) => items
                    .iter()
                    .map(|c| self.sizes.get(c.index()).copied().unwrap_or(0))
                    .fold(0u64, u64::saturating_add),
                NodeKind::Group { child, .. } | NodeKind::Atomic(child) | NodeKind::Look { child, .. } => {
                    self.sizes.get(child.index()).copied().unwrap_or(0)
                }
                NodeKind::Repeat(r) => {
                    let s = self.sizes.get(r.child.index()).copied().unwrap_or(0);
                    let l = self.layout(s, r.min, r.max);
                    let copies = u64::from(l.copies) + u64::from(l.optional) + u64::from(l.looped.is_some());
                    s.saturating_mul(copies)
                }
                NodeKind::Backref { group, .. } => match self.groups.get(group) {
                    Some(g) if g.index() < i => self.sizes[g.index()],
                    _ => 0,
                },
                NodeKind::Empty | NodeKind::Assert(_) | NodeKind::Fail => 0,
            };
            self.sizes[i] = size;
        }
    }

    fn layout(&self, size: u64, min: u32, max: Option<u32>) -> Layout {
        let size = size.max(1);
        let budget = self.config.max_unrolled_states;
        match max {
            Some(m) => {
                let span = m - min;
                if span <= self.config.unroll_span && size.saturating_mul(u64::from(m)) <= budget {
                    Layout { copies: min, optional: span, looped: None, approximated: false }
                } else {
                    let k = min.min(2);
                    let (copies, looped) = if k == 0 { (0, Some(false)) } else { (k - 1, Some(true)) };
                    Layout { copies, optional: 0, looped, approximated: true }
                }
            }
            None => {
                if min == 0 {
                    Layout { copies: 0, optional: 0, looped: Some(false), approximated: false }
                } else if size.saturating_mul(u64::from(min)) <= budget {
                    Layout { copies: min - 1, optional: 0, looped: Some(true), approximated: false }
                } else {
                    Layout { copies: 1, optional: 0, looped: Some(true), approximated: true }
                }
            }
        }
    }

    fn push(&mut self, e: ENode) -> u32 {
        self.enodes.push(e);
        (self.enodes.len() - 1) as u32
    }

    fn empty_frag(&mut self) -> Frag {
        let n = self.push(ENode::Split { targets: vec![NONE] });
        Frag { start: n, outs: vec![Hole { node: n, slot: 0 }] }
    }

    fn patch(&mut self, outs: &[Hole], target: u32) {
        for &h in outs {
            set_hole(&mut self.enodes, h, target);
        }
    }

    fn concat(&mut self, frags: Vec<Frag>) -> Frag {
        let mut it = frags.into_iter();
        let Some(mut acc) = it.next() else { return self.empty_frag() };
        for f in it {
            self.patch(&acc.outs, f.start);
            acc.outs = f.outs;
        }
        acc
    }

    fn budget_states(&self) -> Result<(), BuildError> {
        if self.states.len() > self.config.max_states {
            return Err(BuildError::Budget(format!(
                "the pattern needs more than {} automaton states",
                self.config.max_states
            )));
        }
        Ok(())
    }

    /// Build the fragment of `root`, iteratively.
    fn build(&mut self, root: NodeId, ctx: Ctx) -> Result<Frag, BuildError> {
        let mut tasks = vec![Task::Visit(root, ctx)];
        let mut frags: Vec<Frag> = Vec::new();
        while let Some(task) = tasks.pop() {
            match task {
                Task::Visit(id, ctx) => self.visit(id, ctx, &mut tasks, &mut frags)?,
                Task::Combine(id, ctx, c) => {
                    let f = self.combine(id, ctx, c, &mut frags);
                    frags.push(f);
                }
            }
        }
        Ok(frags.pop().expect("the root task leaves one fragment"))
    }

    fn visit(&mut self, id: NodeId, ctx: Ctx, tasks: &mut Vec<Task>, frags: &mut Vec<Frag>) -> Result<(), BuildError> {
        let node = self.ir.node(id);
        match &node.kind {
            NodeKind::Empty => {
                let f = self.empty_frag();
                frags.push(f);
            }
            NodeKind::Fail => {
                let n = self.push(ENode::Dead);
                frags.push(Frag { start: n, outs: Vec::new() });
            }
            NodeKind::Set(set) => {
                self.budget_states()?;
                let state = self.states.len() as StateId;
                let n = self.push(ENode::Consume { state, next: NONE });
                self.states.push(State {
                    kind: if ctx.in_look { StateKind::LookBody } else { StateKind::Char },
                    set: set.clone(),
                    node: Some(id),
                    region: ctx.region,
                    bounded_loops_only: ctx.in_loop && !ctx.in_unbounded_loop,
                    entries: Vec::new(),
                });
                self.state_enode.push(n);
                frags.push(Frag { start: n, outs: vec![Hole { node: n, slot: 0 }] });
            }
            NodeKind::Assert(a) => {
                let bit = match a {
                    Assertion::StartText | Assertion::StartOfAttempt => bits::START_TEXT,
                    Assertion::EndText => bits::END_TEXT,
                    Assertion::EndTextOptionalNewline => bits::END_TEXT_NL,
                    Assertion::StartLine => bits::START_LINE,
                    Assertion::EndLine => bits::END_LINE,
                    Assertion::WordBoundary => bits::WORD_B,
                    Assertion::NotWordBoundary => bits::NOT_WORD_B,
                };
                let n = self.push(ENode::Assert { bit, next: NONE });
                frags.push(Frag { start: n, outs: vec![Hole { node: n, slot: 0 }] });
            }
            NodeKind::Concat(items) => {
                tasks.push(Task::Combine(id, ctx, Combine::Concat(items.len())));
                for &c in items.iter().rev() {
                    tasks.push(Task::Visit(c, ctx));
                }
            }
            NodeKind::Alt(items) => {
                tasks.push(Task::Combine(id, ctx, Combine::Alt(items.len())));
                for &c in items.iter().rev() {
                    tasks.push(Task::Visit(c, ctx));
                }
            }
            NodeKind::Group { child, .. } => {
                tasks.push(Task::Combine(id, ctx, Combine::Pass));
                tasks.push(Task::Visit(*child, ctx));
            }
            NodeKind::Atomic(child) => {
                let region = self.new_region(ctx.region);
                tasks.push(Task::Combine(id, ctx, Combine::Atomic(region)));
                tasks.push(Task::Visit(*child, Ctx { region, ..ctx }));
            }
            NodeKind::Look { child, behind, negated } => {
                let simple = single_class(self.ir, *child);
                if simple.is_some() || *behind {
                    if simple.is_none() {
                        self.approximate = true;
                        self.note(format!(
                            "look-behind at {} is not modelled (its condition is ignored)",
                            span_text(node.span)
                        ));
                    }
                    let f = self.look_guard(simple, *behind, *negated);
                    frags.push(f);
                } else {
                    self.approximate = true;
                    self.note(format!(
                        "look-ahead at {} is approximated: its condition is ignored, its body is checked for \
                         ambiguity on its own",
                        span_text(node.span)
                    ));
                    tasks.push(Task::Combine(id, ctx, Combine::Look));
                    tasks.push(Task::Visit(*child, Ctx { region: NONE, in_look: true, ..ctx }));
                }
            }
            NodeKind::Backref { group, .. } => {
                let target = self.groups.get(group).copied().filter(|g| g.index() < id.index());
                match target {
                    Some(g) if !ctx.in_backref => {
                        self.approximate = true;
                        self.note(format!(
                            "backreference at {} is approximated by a copy of group {group}'s pattern",
                            span_text(node.span)
                        ));
                        tasks.push(Task::Combine(id, ctx, Combine::Backref));
                        tasks.push(Task::Visit(g, Ctx { in_backref: true, ..ctx }));
                    }
                    _ => {
                        self.approximate = true;
                        self.note(format!("backreference at {} is approximated as empty", span_text(node.span)));
                        let f = self.empty_frag();
                        frags.push(f);
                    }
                }
            }
            NodeKind::Repeat(r) => {
                let size = self.sizes.get(r.child.index()).copied().unwrap_or(0);
                let layout = self.layout(size, r.min, r.max);
                self.max_unrolled = self.max_unrolled.max(layout.copies + layout.optional);
                // A wide bound is as good as none for the inputs that matter.
                let unbounded = r.max.is_none_or(|m| m >= self.config.unbounded_from);
                if layout.approximated {
                    self.approximate = true;
                    let max = r.max.map_or(String::new(), |m| m.to_string());
                    let how = if unbounded {
                        "as an unbounded loop"
                    } else {
                        "as a loop (its bound still limits polynomial growth)"
                    };
                    self.note(format!(
                        "counted repetition {{{},{}}} at {} is modelled {how}",
                        r.min,
                        max,
                        span_text(r.op_span)
                    ));
                }
                let region = if r.greed == Greed::Possessive { self.new_region(ctx.region) } else { ctx.region };
                let inner = Ctx { region, ..ctx };
                let depth = ctx.depth + 1;
                tasks.push(Task::Combine(id, ctx, Combine::Repeat { layout, greed: r.greed, region, depth }));
                if layout.looped.is_some() {
                    let looped =
                        Ctx { depth, in_loop: true, in_unbounded_loop: ctx.in_unbounded_loop || unbounded, ..inner };
                    tasks.push(Task::Visit(r.child, looped));
                }
                for _ in 0..layout.optional {
                    tasks.push(Task::Visit(r.child, inner));
                }
                for _ in 0..layout.copies {
                    tasks.push(Task::Visit(r.child, inner));
                }
            }
        }
        Ok(())
    }

    fn new_region(&mut self, parent: u32) -> u32 {
        self.region_parent.push(parent);
        (self.region_parent.len() - 1) as u32
    }

    fn look_guard(&mut self, set: Option<CharSet>, behind: bool, negated: bool) -> Frag {
        let Some(set) = set else { return self.empty_frag() };
        let (set, edge_ok) = if negated { (set.complement(), true) } else { (set, false) };
        let node = if behind {
            ENode::Guard { next_set: None, prev_set: Some((set, edge_ok)), next: NONE }
        } else {
            ENode::Guard { next_set: Some((set, edge_ok)), prev_set: None, next: NONE }
        };
        let n = self.push(node);
        Frag { start: n, outs: vec![Hole { node: n, slot: 0 }] }
    }

    fn combine(&mut self, _id: NodeId, _ctx: Ctx, c: Combine, frags: &mut Vec<Frag>) -> Frag {
        match c {
            Combine::Concat(k) => {
                let parts = frags.split_off(frags.len() - k);
                self.concat(parts)
            }
            Combine::Alt(k) => {
                let parts = frags.split_off(frags.len() - k);
                if parts.is_empty() {
                    return self.empty_frag();
                }
                let targets = parts.iter().map(|f| f.start).collect();
                let n = self.push(ENode::Split { targets });
                let outs = parts.into_iter().flat_map(|f| f.outs).collect();
                Frag { start: n, outs }
            }
            Combine::Pass | Combine::Backref => frags.pop().expect("child fragment"),
            Combine::Atomic(region) => {
                let body = frags.pop().expect("child fragment");
                self.wrap_atomic(&body, region)
            }
            Combine::Look => {
                let body = frags.pop().expect("child fragment");
                let dead = self.push(ENode::Dead);
                self.patch(&body.outs, dead);
                let iso = self.push(ENode::Isolate { next: body.start });
                let n = self.push(ENode::Split { targets: vec![iso, NONE] });
                Frag { start: n, outs: vec![Hole { node: n, slot: 1 }] }
            }
            Combine::Repeat { layout, greed, region, depth } => {
                let nparts = layout.copies as usize + layout.optional as usize + usize::from(layout.looped.is_some());
                let mut parts = frags.split_off(frags.len() - nparts).into_iter();
                let lazy = greed == Greed::Lazy;
                let mut seq: Vec<Frag> = Vec::new();
                for _ in 0..layout.copies {
                    seq.push(parts.next().expect("copy"));
                }
                // Nested optionals X(X(X)?)?, built from the inside out.
                let optionals: Vec<Frag> = (0..layout.optional).map(|_| parts.next().expect("copy")).collect();
                let mut tail: Option<Frag> = None;
                for f in optionals.into_iter().rev() {
                    let body = match tail.take() {
                        Some(t) => self.concat(vec![f, t]),
                        None => f,
                    };
                    let targets = if lazy { vec![NONE, body.start] } else { vec![body.start, NONE] };
                    let n = self.push(ENode::Split { targets });
                    let mut outs = body.outs;
                    outs.push(Hole { node: n, slot: u32::from(!lazy) });
                    tail = Some(Frag { start: n, outs });
                }
                if let Some(t) = tail {
                    seq.push(t);
                }
                if let Some(plus) = layout.looped {
                    let body = parts.next().expect("loop copy");
                    let enter = self.push(ENode::LoopEnter { depth, next: body.start });
                    let back = self.push(ENode::LoopBack { depth, next: enter });
                    let exit = self.push(ENode::LoopExit { depth, plus, next: NONE });
                    let targets = if lazy { vec![exit, back] } else { vec![back, exit] };
                    let s = self.push(ENode::Split { targets });
                    self.patch(&body.outs, s);
                    let looped = if plus {
                        Frag { start: enter, outs: vec![Hole { node: exit, slot: 0 }] }
                    } else {
                        let targets = if lazy { vec![NONE, enter] } else { vec![enter, NONE] };
                        let skip = self.push(ENode::Split { targets });
                        Frag {
                            start: skip,
                            outs: vec![Hole { node: exit, slot: 0 }, Hole { node: skip, slot: u32::from(!lazy) }],
                        }
                    };
                    seq.push(looped);
                }
                let frag = self.concat(seq);
                if greed == Greed::Possessive { self.wrap_atomic(&frag, region) } else { frag }
            }
        }
    }

    fn wrap_atomic(&mut self, body: &Frag, region: u32) -> Frag {
        let enter = self.push(ENode::AtomicEnter { region, next: body.start });
        let exit = self.push(ENode::AtomicExit { region, next: NONE });
        self.patch(&body.outs, exit);
        Frag { start: enter, outs: vec![Hole { node: exit, slot: 0 }] }
    }

    /// Regions whose every state can leave the region without conditions
    /// (see the module docs): for them the priority rules are exact.
    fn exit_total_regions(&self) -> Vec<bool> {
        let nr = self.region_parent.len();
        if nr == 0 {
            return Vec::new();
        }
        // Reverse ε-edges over nodes that impose no condition.
        let mut preds: Vec<Vec<u32>> = vec![Vec::new(); self.enodes.len()];
        for (i, e) in self.enodes.iter().enumerate() {
            let succ: &[u32] = match e {
                ENode::Split { targets } => targets,
                ENode::LoopEnter { next, .. }
                | ENode::LoopBack { next, .. }
                | ENode::LoopExit { next, .. }
                | ENode::AtomicEnter { next, .. }
                // Leaving an inner region is unconditional too.
                | ENode::AtomicExit { next, .. } => std::slice::from_ref(next),
                _ => &[],
            };
            for &s in succ {
                if s != NONE {
                    preds[s as usize].push(i as u32);
                }
            }
        }
        let mut total = vec![true; nr];
        for (r, ok) in total.iter_mut().enumerate() {
            let Some(exit) =
                self.enodes.iter().position(|e| matches!(e, ENode::AtomicExit { region, .. } if *region as usize == r))
            else {
                *ok = false;
                continue;
            };
            let mut reach = vec![false; self.enodes.len()];
            let mut stack = vec![exit as u32];
            reach[exit] = true;
            while let Some(n) = stack.pop() {
                for &p in &preds[n as usize] {
                    if !reach[p as usize] {
                        reach[p as usize] = true;
                        stack.push(p);
                    }
                }
            }
            for (s, st) in self.states.iter().enumerate() {
                if !self.in_region(st.region, r as u32) {
                    continue;
                }
                let ENode::Consume { next, .. } = self.enodes[self.state_enode[s] as usize] else { continue };
                if next == NONE || !reach[next as usize] {
                    *ok = false;
                    break;
                }
            }
        }
        total
    }

    fn in_region(&self, mut inner: u32, r: u32) -> bool {
        while inner != NONE {
            if inner == r {
                return true;
            }
            inner = self.region_parent[inner as usize];
        }
        false
    }
}

fn span_text(s: PatternSpan) -> String {
    format!("{}..{}", s.start, s.end)
}

// ----- the ε-walk ------------------------------------------------------------

/// What came before the walk's position.
#[derive(Clone, Copy)]
enum Prev<'s> {
    Start,
    Set(&'s CharSet),
}

#[derive(Clone)]
struct Frame {
    node: u32,
    guard: Guard,
    entered: u32,
    reentered: u32,
    inst: u32,
}

#[derive(Debug, Clone)]
struct Instance {
    region: u32,
    parent: u32,
    blocked: CharSet,
    exited: bool,
}

struct Walker<'b> {
    enodes: &'b [ENode],
    states: &'b [State],
    region_parent: &'b [u32],
    exit_total: &'b [bool],
    word: &'b CharSet,
    lt: &'b CharSet,
    js: bool,
    steps: u64,
    max_steps: u64,
    // Per-walk scratch.
    instances: Vec<Instance>,
    visits: FxMap<(u32, u32, u32, u32), u8>,
}

impl Walker<'_> {
    /// The entries reached from ε-node `from`, in priority order.
    fn walk(
        &mut self,
        from: u32,
        prev: Prev<'_>,
        region: u32,
        out: &mut Vec<Entry>,
        edges_seen: &mut FxMap<(StateId, CharSet, Guard), usize>,
    ) -> Result<(), BuildError> {
        self.instances.clear();
        self.visits.clear();
        // Instances for the regions the walk starts in, outermost first.
        let mut chain = Vec::new();
        let mut r = region;
        while r != NONE {
            chain.push(r);
            r = self.region_parent[r as usize];
        }
        let mut inst = NONE;
        for &r in chain.iter().rev() {
            self.instances.push(Instance { region: r, parent: inst, blocked: CharSet::empty(), exited: false });
            inst = (self.instances.len() - 1) as u32;
        }
        let mut accepts_seen: Vec<Guard> = Vec::new();
        let mut stack = vec![Frame { node: from, guard: Guard::default(), entered: NONE, reentered: NONE, inst }];
        while let Some(mut f) = stack.pop() {
            if f.node == NONE {
                continue;
            }
            self.steps += 1;
            if self.steps > self.max_steps {
                return Err(BuildError::Budget(format!(
                    "building the automaton took more than {} steps",
                    self.max_steps
                )));
            }
            let key = (f.node, f.entered, f.reentered, f.inst);
            let v = self.visits.entry(key).or_insert(0);
            if *v >= 2 {
                continue;
            }
            *v += 1;
            let enodes = self.enodes;
            match &enodes[f.node as usize] {
                ENode::Split { targets } => {
                    for &t in targets.iter().rev() {
                        stack.push(Frame { node: t, ..f.clone() });
                    }
                }
                ENode::Assert { bit, next } => {
                    f.guard.asserts |= bit;
                    if self.statically_dead(&f.guard, prev) {
                        continue;
                    }
                    f.node = *next;
                    stack.push(f);
                }
                ENode::Guard { next_set, prev_set, next } => {
                    if let Some((s, ok)) = next_set {
                        f.guard.and_next(s, *ok);
                    }
                    if let Some((s, ok)) = prev_set {
                        f.guard.and_prev(s, *ok);
                    }
                    if self.statically_dead(&f.guard, prev) {
                        continue;
                    }
                    f.node = *next;
                    stack.push(f);
                }
                ENode::LoopEnter { depth, next } => {
                    f.entered = f.entered.min(*depth);
                    f.node = *next;
                    stack.push(f);
                }
                ENode::LoopBack { depth, next } => {
                    if f.entered <= *depth {
                        continue; // an empty iteration does not loop
                    }
                    f.reentered = *depth;
                    f.node = *next;
                    stack.push(f);
                }
                ENode::LoopExit { depth, plus, next } => {
                    let empty_iteration = f.entered <= *depth;
                    if self.js && empty_iteration && (f.reentered == *depth || !*plus) {
                        // JavaScript: an empty iteration past the minimum fails.
                        continue;
                    }
                    if f.entered >= *depth {
                        f.entered = NONE;
                    }
                    if f.reentered != NONE && f.reentered >= *depth {
                        f.reentered = NONE;
                    }
                    f.node = *next;
                    stack.push(f);
                }
                ENode::AtomicEnter { region, next } => {
                    self.instances.push(Instance {
                        region: *region,
                        parent: f.inst,
                        blocked: CharSet::empty(),
                        exited: false,
                    });
                    f.inst = (self.instances.len() - 1) as u32;
                    f.node = *next;
                    stack.push(f);
                }
                ENode::AtomicExit { region, next } => {
                    let mut i = f.inst;
                    while i != NONE && self.instances[i as usize].region != *region {
                        i = self.instances[i as usize].parent;
                    }
                    if i != NONE {
                        let ins = &mut self.instances[i as usize];
                        if ins.exited {
                            continue; // the region already matched: later ways are never tried
                        }
                        ins.exited = true;
                        if self.exit_total.get(*region as usize).copied().unwrap_or(false) && !ins.blocked.is_empty() {
                            let allowed = ins.blocked.complement();
                            f.guard.and_next(&allowed, true);
                        }
                        f.inst = ins.parent;
                    }
                    f.node = *next;
                    stack.push(f);
                }
                ENode::Isolate { next } => {
                    f.inst = NONE;
                    f.node = *next;
                    stack.push(f);
                }
                ENode::Dead => {}
                ENode::Match => {
                    if self.statically_dead(&f.guard, prev) {
                        continue;
                    }
                    // Leaving the pattern leaves every region: apply the
                    // exit rule of the regions still open (none normally).
                    if !accepts_seen.contains(&f.guard) {
                        accepts_seen.push(f.guard.clone());
                        out.push(Entry::Accept(f.guard));
                    }
                }
                ENode::Consume { state, .. } => {
                    let state = *state;
                    let Some(label) = self.label(state, &f.guard, prev) else { continue };
                    let mut label = label;
                    // Atomic regions: later ways of a committed region are
                    // never tried; in exact regions a branch only gets the
                    // characters no earlier branch took.
                    let mut i = f.inst;
                    let mut dead = false;
                    while i != NONE {
                        let ins = &self.instances[i as usize];
                        if ins.exited {
                            dead = true;
                            break;
                        }
                        if self.exit_total.get(ins.region as usize).copied().unwrap_or(false) {
                            label = label.difference(&ins.blocked);
                        }
                        i = ins.parent;
                    }
                    if dead || label.is_empty() {
                        continue;
                    }
                    let mut i = f.inst;
                    while i != NONE {
                        let ins = &mut self.instances[i as usize];
                        ins.blocked = ins.blocked.union(&label);
                        i = ins.parent;
                    }
                    let mut guard = f.guard;
                    guard.next = None;
                    guard.next_end_ok = true;
                    // Assertions fully expressed by the label are dropped.
                    guard.asserts &= !(bits::END_LINE);
                    let key = (state, label, guard);
                    if let Some(&idx) = edges_seen.get(&key) {
                        if let Entry::Edge(e) = &mut out[idx] {
                            e.mult = 2;
                        }
                    } else {
                        let (to, label, guard) = key.clone();
                        out.push(Entry::Edge(Edge { to, label, guard, mult: 1 }));
                        edges_seen.insert(key, out.len() - 1);
                    }
                }
            }
        }
        Ok(())
    }

    /// The guard can never hold after `prev`.
    fn statically_dead(&self, g: &Guard, prev: Prev<'_>) -> bool {
        match prev {
            Prev::Start => g.prev.is_some() && !g.prev_start_ok,
            Prev::Set(ps) => {
                if g.asserts & bits::START_TEXT != 0 {
                    return true;
                }
                if g.asserts & bits::START_LINE != 0 && !ps.intersects(self.lt) {
                    return true;
                }
                if let Some(p) = &g.prev
                    && !ps.intersects(p)
                {
                    return true;
                }
                false
            }
        }
    }

    /// The label of an edge into `state`, or `None` when no character fits.
    fn label(&self, state: StateId, g: &Guard, prev: Prev<'_>) -> Option<CharSet> {
        let mut label = self.states[state as usize].set.clone();
        if let Some(n) = &g.next {
            label = label.intersect(n);
        }
        let a = g.asserts;
        if a & bits::END_TEXT != 0 {
            return None;
        }
        if a & bits::END_TEXT_NL != 0 {
            label = label.intersect(&CharSet::single('\n'));
        }
        if a & bits::END_LINE != 0 {
            label = label.intersect(self.lt);
        }
        if a & (bits::WORD_B | bits::NOT_WORD_B) != 0 {
            // Whether the previous character is a word character, when
            // that is known.
            let prev_word = match prev {
                Prev::Start => Some(false),
                Prev::Set(ps) => {
                    if ps.is_subset(self.word) {
                        Some(true)
                    } else if !ps.intersects(self.word) {
                        Some(false)
                    } else {
                        None
                    }
                }
            };
            if let Some(pw) = prev_word {
                if a & bits::WORD_B != 0 {
                    label = if pw { label.difference(self.word) } else { label.intersect(self.word) };
                }
                if a & bits::NOT_WORD_B != 0 {
                    label = if pw { label.intersect(self.word) } else { label.difference(self.word) };
                }
            }
        }
        if label.is_empty() { None } else { Some(label) }
    }
}

impl Nfa {
    /// Build the NFA of `ir` as `flavor` runs it under `semantics`.
    pub fn build(ir: &Ir, flavor: Flavor, semantics: Semantics, config: &NfaConfig) -> Result<Nfa, BuildError> {
        let mut b = Builder::new(ir, config);
        // State 0: start; state 1: the search loop.
        b.states.push(State {
            kind: StateKind::Start,
            set: CharSet::empty(),
            node: None,
            region: NONE,
            bounded_loops_only: false,
            entries: Vec::new(),
        });
        b.state_enode.push(NONE);
        let search = semantics == Semantics::Search;
        if search {
            b.states.push(State {
                kind: StateKind::SearchLoop,
                set: CharSet::any(),
                node: None,
                region: NONE,
                bounded_loops_only: false,
                entries: Vec::new(),
            });
            b.state_enode.push(NONE);
        }
        let ctx =
            Ctx { depth: 0, region: NONE, in_backref: false, in_look: false, in_loop: false, in_unbounded_loop: false };
        let root = b.build(ir.root, ctx)?;
        let accept = b.push(ENode::Match);
        if semantics == Semantics::FullMatch {
            let end = b.push(ENode::Assert { bit: bits::END_TEXT, next: accept });
            b.patch(&root.outs, end);
        } else {
            b.patch(&root.outs, accept);
        }
        b.budget_states()?;
        let exit_total = b.exit_total_regions();

        let mut states = std::mem::take(&mut b.states);
        let mut walker = Walker {
            enodes: &b.enodes,
            states: &states,
            region_parent: &b.region_parent,
            exit_total: &exit_total,
            word: &ir.word_chars,
            lt: &ir.line_terminators,
            js: flavor == Flavor::Js,
            steps: 0,
            max_steps: config.max_walk_steps,
            instances: Vec::new(),
            visits: FxMap::default(),
        };
        let mut all_entries: Vec<Vec<Entry>> = Vec::with_capacity(states.len());
        let mut total_edges = 0usize;
        let mut seen = FxMap::default();
        for (s, st) in states.iter().enumerate() {
            let mut entries = Vec::new();
            seen.clear();
            match st.kind {
                StateKind::Start => {
                    walker.walk(root.start, Prev::Start, NONE, &mut entries, &mut seen)?;
                    if search {
                        entries.push(Entry::Edge(Edge {
                            to: 1,
                            label: CharSet::any(),
                            guard: Guard::default(),
                            mult: 1,
                        }));
                    }
                }
                StateKind::SearchLoop => {
                    let any = CharSet::any();
                    walker.walk(root.start, Prev::Set(&any), NONE, &mut entries, &mut seen)?;
                    entries.push(Entry::Edge(Edge { to: 1, label: any, guard: Guard::default(), mult: 1 }));
                }
                StateKind::Char | StateKind::LookBody => {
                    let ENode::Consume { next, .. } = b.enodes[b.state_enode[s] as usize] else {
                        unreachable!("char states come from consume nodes")
                    };
                    walker.walk(next, Prev::Set(&st.set), st.region, &mut entries, &mut seen)?;
                }
            }
            total_edges += entries.len();
            if total_edges > config.max_edges {
                return Err(BuildError::Budget(format!(
                    "the automaton needs more than {} transitions",
                    config.max_edges
                )));
            }
            all_entries.push(entries);
        }
        drop(walker);
        for (s, e) in states.iter_mut().zip(all_entries) {
            s.entries = e;
        }
        let mut parents = vec![None; ir.nodes.len()];
        for (i, n) in ir.nodes.iter().enumerate() {
            let me = Some(NodeId(i as u32));
            match &n.kind {
                NodeKind::Concat(items) | NodeKind::Alt(items) => {
                    for c in items {
                        parents[c.index()] = me;
                    }
                }
                NodeKind::Group { child, .. } | NodeKind::Atomic(child) | NodeKind::Look { child, .. } => {
                    parents[child.index()] = me;
                }
                NodeKind::Repeat(r) => parents[r.child.index()] = me,
                _ => {}
            }
        }
        Ok(Nfa {
            states,
            search_loop: if search { Some(1) } else { None },
            word_chars: ir.word_chars.clone(),
            line_terminators: ir.line_terminators.clone(),
            notes: b.notes,
            approximate: b.approximate,
            parents,
            semantics,
            max_unrolled: b.max_unrolled,
        })
    }

    /// Number of states.
    pub fn len(&self) -> usize {
        self.states.len()
    }

    /// True when the NFA has only its start state.
    pub fn is_empty(&self) -> bool {
        self.states.len() <= 1
    }

    /// The edges of a state, in priority order.
    pub fn edges(&self, s: StateId) -> impl Iterator<Item = &Edge> {
        self.states[s as usize].entries.iter().filter_map(|e| match e {
            Entry::Edge(e) => Some(e),
            Entry::Accept(_) => None,
        })
    }

    /// The repetitions (IR `Repeat` nodes) enclosing a state's character
    /// class, innermost first.
    pub fn enclosing_repeats(&self, ir: &Ir, s: StateId) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut cur = self.states[s as usize].node;
        let mut guard = 0;
        while let Some(n) = cur {
            guard += 1;
            if guard > 10_000 {
                break;
            }
            if matches!(ir.node(n).kind, NodeKind::Repeat(_)) {
                out.push(n);
            }
            cur = self.parents.get(n.index()).copied().flatten();
        }
        out
    }

    /// A human-readable dump: states with their sets and pattern spans, and
    /// every entry in priority order (for `cfglint debug nfa`).
    pub fn dump(&self, ir: &Ir) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "NFA: {} states, {} semantics{}",
            self.states.len(),
            self.semantics,
            if self.approximate { " (approximate)" } else { "" }
        );
        for (i, st) in self.states.iter().enumerate() {
            let what = match st.kind {
                StateKind::Start => "start".to_string(),
                StateKind::SearchLoop => "search loop [any]*?".to_string(),
                StateKind::Char | StateKind::LookBody => {
                    let span = st.node.map(|n| ir.node(n).span).unwrap_or_default();
                    let look = if st.kind == StateKind::LookBody { " (look-ahead body)" } else { "" };
                    format!("{} at {}{}", st.set, span_text(span), look)
                }
            };
            let _ = writeln!(s, "  {i}: {what}");
            for e in &st.entries {
                match e {
                    Entry::Edge(e) => {
                        let _ = write!(s, "      -> {} on {}", e.to, e.label);
                        if e.mult > 1 {
                            let _ = write!(s, " x2");
                        }
                        if !e.guard.is_trivial() {
                            let _ = write!(s, " if {}", describe_guard(&e.guard));
                        }
                        s.push('\n');
                    }
                    Entry::Accept(g) => {
                        if g.is_trivial() {
                            let _ = writeln!(s, "      accept");
                        } else {
                            let _ = writeln!(s, "      accept if {}", describe_guard(g));
                        }
                    }
                }
            }
        }
        for n in &self.notes {
            let _ = writeln!(s, "note: {n}");
        }
        s
    }
}

/// A short description of a guard for dumps.
pub fn describe_guard(g: &Guard) -> String {
    let mut parts = Vec::new();
    for (bit, name) in [
        (bits::START_TEXT, "\\A"),
        (bits::END_TEXT, "\\z"),
        (bits::END_TEXT_NL, "$"),
        (bits::START_LINE, "^(m)"),
        (bits::END_LINE, "$(m)"),
        (bits::WORD_B, "\\b"),
        (bits::NOT_WORD_B, "\\B"),
    ] {
        if g.asserts & bit != 0 {
            parts.push(name.to_string());
        }
    }
    if let Some(n) = &g.next {
        parts.push(format!("next in {n}{}", if g.next_end_ok { " or end" } else { "" }));
    }
    if let Some(p) = &g.prev {
        parts.push(format!("prev in {p}{}", if g.prev_start_ok { " or start" } else { "" }));
    }
    parts.join(", ")
}

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
