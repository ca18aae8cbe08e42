//! A step-counting backtracking matcher over the regex [`Ir`].
//!
//! Pipeline position: `verify` runs the attack strings that `analysis`
//! proposes through this matcher and fits the growth of its step counts
//! (`growth.rs`). A `ReDoS` finding is reported only when these steps grow
//! super-linearly; wall-clock time never decides a verdict.
//!
//! The matcher behaves like the backtracking engines cfglint models (PCRE2,
//! ECMAScript, Python `re`, Java) for every construct in the IR:
//! alternatives in priority order, greedy and lazy loops, possessive loops
//! and atomic groups (backtrack points inside are discarded on exit),
//! look-ahead and look-behind (atomic; look-behind tries every start whose
//! match ends at the current position), backreferences (case-sensitive or
//! not; an unset group fails, except in JavaScript where it matches empty),
//! captures restored on backtracking, every [`Assertion`], counted
//! repetition (small counts unrolled, large ones run with counters, so
//! `{1,100000}` costs no memory), and the empty-iteration rule of each
//! engine (an unbounded loop whose iteration consumed nothing stops
//! iterating in PCRE, Python and Java, and fails in JavaScript), so `(a*)*`
//! terminates.
//!
//! How it works: [`Program::compile`] lowers the IR once into a flat
//! instruction program (`Char`, `Set`, `Split`, `Jmp`, `Save`, counters,
//! atomic and look-around marks, `Backref`, ...), then [`Program::run`]
//! executes it with a backtracking VM that keeps its backtrack points, the
//! undo log of captures and counters, and the look-around/atomic marks on a
//! single explicit stack. Nothing recurses over the input or over the IR.
//!
//! Guarantees:
//! - One *step* is one executed instruction, re-executions after
//!   backtracking included; a backreference costs one step plus one per
//!   character it compares, like the real engines' work. There is no
//!   memoization of (instruction, position) pairs and no prefilter, so the
//!   count grows exactly as a naive backtracker's work does.
//! - A run stops as soon as `max_steps` is exceeded or the backtrack stack
//!   reaches [`SimOptions::max_stack`] entries, with [`Outcome::Budget`]: it
//!   never hangs and its memory is bounded.
//! - Search semantics try every start position `0..=len` in order, each a
//!   fresh anchored attempt; the steps of all attempts are summed.

use std::fmt;

use crate::analysis::ir::{Assertion, CharSet, Greed, Ir, NodeId, NodeKind};
use crate::source::{Flavor, Semantics};

/// "Unset" marker for capture slots and registers.
const NONE: u32 = u32::MAX;

/// Unrolling a counted repetition is preferred when the unrolled code stays
/// below this many instructions; larger ones run with a counter.
const EXPAND_LIMIT: u64 = 256;

/// Options for compiling and running a [`Program`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimOptions {
    /// How the engine applies the pattern (search, anchored, full match).
    pub semantics: Semantics,
    /// The engine whose behavior to reproduce where engines differ
    /// (unset backreferences, empty loop iterations, captures in loops,
    /// `$` before a final `\r\n`).
    pub flavor: Flavor,
    /// Default step budget of [`Program::run`] when the caller passes none.
    pub max_steps: u64,
    /// Largest compiled program, in instructions.
    pub max_program_size: usize,
    /// Largest backtrack stack, in entries (12 bytes each); reaching it
    /// ends the run with [`Outcome::Budget`].
    pub max_stack: usize,
}

impl SimOptions {
    /// Defaults for a flavor and semantics: 10 million steps, programs of up
    /// to 200,000 instructions, a backtrack stack of up to about a million entries (12 MiB).
    pub fn new(flavor: Flavor, semantics: Semantics) -> Self {
        SimOptions { semantics, flavor, max_steps: 10_000_000, max_program_size: 200_000, max_stack: 1 << 20 }
    }
}

/// Why a pattern could not be compiled for simulation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// The program would exceed [`SimOptions::max_program_size`].
    #[error("pattern compiles to more than {limit} simulator instructions")]
    TooLarge {
        /// The configured limit.
        limit: usize,
    },
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The pattern matched `input[start..end]` (in characters).
    Match {
        /// First character of the match.
        start: usize,
        /// One past the last character of the match.
        end: usize,
    },
    /// No match at any permitted start position.
    NoMatch,
    /// The step or stack budget ran out before an answer.
    Budget,
}

/// The result of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SimResult {
    /// Instructions executed (over every start position tried). When the
    /// outcome is [`Outcome::Budget`] this is the budget plus one, or the
    /// count when the stack limit was reached.
    pub steps: u64,
    /// How the run ended.
    pub outcome: Outcome,
}

/// A compiled instruction. Targets are instruction indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Inst {
    /// Match one given character.
    Char(char),
    /// Match any character.
    Any,
    /// Match one character of `sets[i]`.
    Set(u32),
    /// Continue at `x`; on backtrack resume at `y`.
    Split { x: u32, y: u32 },
    /// Continue at the target.
    Jmp(u32),
    /// `slots[i] = pos` (undoable). Group starts and loop iteration starts.
    Save(u32),
    /// `slots[i] = NONE` (undoable).
    Unset(u32),
    /// Close capture group `k`: its span becomes `(tmp start, pos)`.
    CloseGroup(u32),
    /// Unset the captures of groups `from..=to` (JS loop iterations).
    ClearCaptures { from: u32, to: u32 },
    /// A zero-width assertion.
    Assert(Assertion),
    /// Enter atomic group / look-around `i` of [`Program::groups`].
    MarkStart(u32),
    /// Leave atomic group / look-around `i`.
    MarkEnd(u32),
    /// `slots[c] = 0` (undoable).
    CounterInit(u32),
    /// `slots[c] += 1` (undoable).
    CounterIncr(u32),
    /// Loop head of a counted loop: iterate when below `min`, stop at
    /// `max`, otherwise choose by greediness.
    CounterLoop { c: u32, min: u32, max: u32, greedy: bool, body: u32, exit: u32 },
    /// End of a loop iteration that started at `slots[reg]` (`NONE` for a
    /// mandatory first iteration): when it consumed nothing, go to `exit`
    /// (PCRE, Python, Java) or fail (`exit == NONE`, JavaScript).
    /// With `counter`, only iterations beyond `min` are checked.
    CheckEmpty { reg: u32, exit: u32, counter: u32, min: u32 },
    /// Backreference to group `group`.
    Backref { group: u32, case_insensitive: bool },
    /// Never matches.
    Fail,
    /// The attempt matched.
    Match,
}

/// A character set compiled for fast membership.
#[derive(Debug, Clone)]
struct SetMatcher {
    ascii: u128,
    ranges: Vec<(u32, u32)>,
}

impl SetMatcher {
    fn new(set: &CharSet) -> Self {
        let mut ascii = 0u128;
        for &(a, b) in set.ranges() {
            if a < 128 {
                for c in a..=b.min(127) {
                    ascii |= 1u128 << c;
                }
            }
        }
        let ranges = set.ranges().iter().copied().filter(|&(_, b)| b >= 128).collect();
        SetMatcher { ascii, ranges }
    }

    #[inline]
    fn contains(&self, c: char) -> bool {
        let c = c as u32;
        if c < 128 {
            return self.ascii >> c & 1 == 1;
        }
        self.ranges
            .binary_search_by(|&(a, b)| {
                if b < c {
                    std::cmp::Ordering::Less
                } else if a > c {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .is_ok()
    }
}

/// An atomic group or look-around of the program.
#[derive(Debug, Clone, Copy)]
struct MarkGroup {
    /// The slot holding the stack index of the active mark.
    reg: u32,
    /// Look-around (else atomic group).
    look: bool,
    behind: bool,
    negated: bool,
    /// Look-behind: fewest and most characters the sub-pattern spans
    /// (`NONE`: unbounded).
    min_width: u32,
    max_width: u32,
    /// First instruction of the sub-pattern.
    body: u32,
    /// Instruction after the group's `MarkEnd`.
    cont: u32,
}

/// A compiled pattern, ready to run many times. Immutable and `Sync`; each
/// thread needs its own [`Cache`].
#[derive(Clone)]
pub struct Program {
    insts: Vec<Inst>,
    sets: Vec<SetMatcher>,
    groups: Vec<MarkGroup>,
    nslots: usize,
    /// Capture groups, group 0 included.
    ncaps: u32,
    semantics: Semantics,
    flavor: Flavor,
    max_steps: u64,
    max_stack: usize,
    word: SetMatcher,
    line: SetMatcher,
}

/// An entry of the backtrack stack.
#[derive(Debug, Clone, Copy)]
enum Frame {
    /// A backtrack point: resume at `pc` with `pos`.
    Choice { pc: u32, pos: u32 },
    /// Undo log: on backtrack, `slots[slot] = old`.
    Restore { slot: u32, old: u32 },
    /// An atomic group or look-around was entered at `pos`.
    Mark { group: u32, pos: u32 },
    /// Look-behind: the next start position to try is `next`.
    Behind { group: u32, next: u32 },
}

/// Reusable scratch space for [`Program::run_with`]: the backtrack stack
/// and the slots. Reusing one across runs avoids allocation.
#[derive(Debug, Clone, Default)]
pub struct Cache {
    stack: Vec<Frame>,
    slots: Vec<u32>,
}

impl Cache {
    /// An empty cache (grows on first use).
    pub fn new() -> Self {
        Cache::default()
    }
}

/// Node facts computed bottom-up before code generation.
#[derive(Debug, Clone, Copy)]
struct Facts {
    nullable: bool,
    min_width: u32,
    /// `NONE`: unbounded.
    max_width: u32,
    /// Estimated instruction count.
    size: u64,
    /// Capture indices inside the node, `(lo, hi)`, or `None`.
    caps: Option<(u32, u32)>,
    /// For repetitions: unroll (else use a counter).
    expand: bool,
}

fn add_w(a: u32, b: u32) -> u32 {
    if a == NONE || b == NONE { NONE } else { a.saturating_add(b).min(NONE - 1) }
}

fn mul_w(a: u32, n: u32) -> u32 {
    if a == NONE { NONE } else { a.saturating_mul(n).min(NONE - 1) }
}

fn merge_caps(a: Option<(u32, u32)>, b: Option<(u32, u32)>) -> Option<(u32, u32)> {
    match (a, b) {
        (Some((a0, a1)), Some((b0, b1))) => Some((a0.min(b0), a1.max(b1))),
        (x, None) | (None, x) => x,
    }
}

fn compute_facts(ir: &Ir, flavor: Flavor) -> Vec<Facts> {
    let js = flavor == Flavor::Js;
    let mut facts: Vec<Facts> = Vec::with_capacity(ir.nodes.len());
    let leaf = |nullable: bool, min: u32, max: u32, size: u64| Facts {
        nullable,
        min_width: min,
        max_width: max,
        size,
        caps: None,
        expand: false,
    };
    for node in &ir.nodes {
        // Children have smaller ids than their parents (the arena is
        // built bottom-up), so their facts are already known.
        let f = match &node.kind {
            NodeKind::Empty => leaf(true, 0, 0, 0),
            NodeKind::Set(_) => leaf(false, 1, 1, 1),
            NodeKind::Fail => leaf(false, NONE - 1, 0, 1),
            NodeKind::Assert(_) => leaf(true, 0, 0, 1),
            NodeKind::Backref { .. } => leaf(true, 0, NONE, 1),
            NodeKind::Concat(children) => {
                let mut f = leaf(true, 0, 0, 0);
                for c in children {
                    let cf = facts[c.index()];
                    f.nullable &= cf.nullable;
                    f.min_width = add_w(f.min_width, cf.min_width);
                    f.max_width = add_w(f.max_width, cf.max_width);
                    f.size = f.size.saturating_add(cf.size);
                    f.caps = merge_caps(f.caps, cf.caps);
                }
                f
            }
            NodeKind::Alt(children) => {
                if children.is_empty() {
                    leaf(false, NONE - 1, 0, 1)
                } else {
                    let mut f = leaf(false, NONE, 0, 0);
                    for c in children {
                        let cf = facts[c.index()];
                        f.nullable |= cf.nullable;
                        f.min_width = f.min_width.min(cf.min_width);
                        f.max_width = if f.max_width == NONE || cf.max_width == NONE {
                            NONE
                        } else {
                            f.max_width.max(cf.max_width)
                        };
                        f.size = f.size.saturating_add(cf.size).saturating_add(2);
                        f.caps = merge_caps(f.caps, cf.caps);
                    }
                    f
                }
            }
            NodeKind::Group { child, capture } => {
                let mut f = facts[child.index()];
                f.expand = false;
                if let Some(k) = capture {
                    f.size = f.size.saturating_add(2);
                    f.caps = merge_caps(f.caps, Some((*k, *k)));
                }
                f
            }
            NodeKind::Atomic(child) => {
                let mut f = facts[child.index()];
                f.expand = false;
                f.size = f.size.saturating_add(2);
                f
            }
            NodeKind::Look { child, .. } => {
                let cf = facts[child.index()];
                Facts {
                    nullable: true,
                    min_width: 0,
                    max_width: 0,
                    size: cf.size.saturating_add(2),
                    caps: cf.caps,
                    expand: false,
                }
            }
            NodeKind::Repeat(r) => {
                let cf = facts[r.child.index()];
                let max = r.max.unwrap_or(NONE);
                if max == 0 {
                    leaf(true, 0, 0, 0)
                } else {
                    // Per-iteration overhead: loop control, empty check,
                    // JS capture reset.
                    let per = cf.size + 3 + u64::from(js && cf.caps.is_some());
                    let unrolled_copies = if r.max.is_none() { u64::from(r.min.max(1)) } else { u64::from(max) };
                    let unrolled = per.saturating_mul(unrolled_copies).saturating_add(2);
                    let expand = unrolled <= EXPAND_LIMIT;
                    let size = if expand { unrolled } else { per.saturating_add(4) };
                    Facts {
                        nullable: r.min == 0 || cf.nullable,
                        min_width: mul_w(cf.min_width, r.min),
                        max_width: if r.max.is_none() {
                            if cf.max_width == 0 { 0 } else { NONE }
                        } else {
                            mul_w(cf.max_width, max)
                        },
                        size,
                        caps: cf.caps,
                        expand,
                    }
                }
            }
        };
        facts.push(f);
    }
    facts
}

/// A code generation task: the explicit stack that replaces recursion over
/// the IR. Jump targets are symbolic labels, bound to instruction indices
/// as code is emitted and resolved at the end.
#[derive(Debug, Clone, Copy)]
enum Task {
    /// Generate code for a node.
    Node(NodeId),
    /// Emit an instruction whose targets are labels.
    Emit(Inst),
    /// Bind a label to the next instruction's index.
    Bind(u32),
}

struct Compiler<'a> {
    ir: &'a Ir,
    facts: Vec<Facts>,
    insts: Vec<Inst>,
    labels: Vec<u32>,
    sets: Vec<SetMatcher>,
    set_ids: std::collections::HashMap<CharSet, u32>,
    groups: Vec<MarkGroup>,
    nslots: u32,
    js: bool,
    limit: usize,
}

impl Compiler<'_> {
    fn label(&mut self) -> u32 {
        self.labels.push(NONE);
        self.labels.len() as u32 - 1
    }

    fn slot(&mut self) -> u32 {
        self.nslots += 1;
        self.nslots - 1
    }

    fn tmp_slot(&self, k: u32) -> u32 {
        // Slot layout: [start, end] per group 0..=ncap, then the pending
        // start of each group 0..=ncap, then registers and counters.
        2 * (self.ir.captures + 1) + k
    }

    fn set_inst(&mut self, set: &CharSet) -> Inst {
        let ranges = set.ranges();
        if set.is_any() {
            return Inst::Any;
        }
        if ranges.is_empty() {
            return Inst::Fail;
        }
        if ranges.len() == 1
            && ranges[0].0 == ranges[0].1
            && let Some(c) = char::from_u32(ranges[0].0)
        {
            return Inst::Char(c);
        }
        let next = self.sets.len() as u32;
        let id = *self.set_ids.entry(set.clone()).or_insert(next);
        if id == next {
            self.sets.push(SetMatcher::new(set));
        }
        Inst::Set(id)
    }

    /// Generate the program for `root` followed by `tail`.
    fn generate(&mut self, root: NodeId, tail: &[Inst]) -> Result<(), SimError> {
        let mut tasks: Vec<Task> = tail.iter().rev().map(|&i| Task::Emit(i)).collect();
        tasks.push(Task::Node(root));
        // Each task emits at least one instruction or expands into tasks
        // for strictly smaller nodes, so the task stack stays within a
        // multiple of the program size; cap it anyway.
        let task_limit = self.limit.saturating_mul(4).max(1024);
        let mut out: Vec<Task> = Vec::new();
        while let Some(task) = tasks.pop() {
            match task {
                Task::Emit(inst) => {
                    if self.insts.len() >= self.limit {
                        return Err(SimError::TooLarge { limit: self.limit });
                    }
                    self.insts.push(inst);
                }
                Task::Bind(l) => self.labels[l as usize] = self.insts.len() as u32,
                Task::Node(id) => {
                    out.clear();
                    self.expand(id, &mut out);
                    tasks.extend(out.drain(..).rev());
                    if tasks.len() > task_limit {
                        return Err(SimError::TooLarge { limit: self.limit });
                    }
                }
            }
        }
        Ok(())
    }

    /// The tasks for one node, in program order.
    fn expand(&mut self, id: NodeId, out: &mut Vec<Task>) {
        let ir = self.ir;
        match &ir.node(id).kind {
            NodeKind::Empty => {}
            NodeKind::Set(set) => {
                let inst = self.set_inst(set);
                out.push(Task::Emit(inst));
            }
            NodeKind::Fail => out.push(Task::Emit(Inst::Fail)),
            NodeKind::Assert(a) => out.push(Task::Emit(Inst::Assert(*a))),
            NodeKind::Backref { group, case_insensitive } => {
                out.push(Task::Emit(Inst::Backref { group: *group, case_insensitive: *case_insensitive }));
            }
            NodeKind::Concat(children) => out.extend(children.iter().map(|&c| Task::Node(c))),
            NodeKind::Alt(children) => match children.as_slice() {
                [] => out.push(Task::Emit(Inst::Fail)),
                [only] => out.push(Task::Node(*only)),
                [init @ .., last] => {
                    let end = self.label();
                    for &c in init {
                        let (here, next) = (self.label(), self.label());
                        out.push(Task::Emit(Inst::Split { x: here, y: next }));
                        out.push(Task::Bind(here));
                        out.push(Task::Node(c));
                        out.push(Task::Emit(Inst::Jmp(end)));
                        out.push(Task::Bind(next));
                    }
                    out.push(Task::Node(*last));
                    out.push(Task::Bind(end));
                }
            },
            NodeKind::Group { child, capture } => match capture {
                Some(k) => {
                    out.push(Task::Emit(Inst::Save(self.tmp_slot(*k))));
                    out.push(Task::Node(*child));
                    out.push(Task::Emit(Inst::CloseGroup(*k)));
                }
                None => out.push(Task::Node(*child)),
            },
            NodeKind::Atomic(child) => {
                let g = self.group(false, false, false, 0, 0);
                out.push(Task::Emit(Inst::MarkStart(g)));
                out.push(Task::Node(*child));
                out.push(Task::Emit(Inst::MarkEnd(g)));
            }
            NodeKind::Look { child, behind, negated } => {
                let cf = self.facts[child.index()];
                let g = self.group(true, *behind, *negated, cf.min_width, cf.max_width);
                out.push(Task::Emit(Inst::MarkStart(g)));
                out.push(Task::Node(*child));
                out.push(Task::Emit(Inst::MarkEnd(g)));
            }
            NodeKind::Repeat(r) => {
                if r.max == Some(0) {
                    return;
                }
                let possessive = r.greed == Greed::Possessive;
                let g = if possessive { Some(self.group(false, false, false, 0, 0)) } else { None };
                if let Some(g) = g {
                    out.push(Task::Emit(Inst::MarkStart(g)));
                }
                if self.facts[id.index()].expand {
                    self.unrolled(r, out);
                } else {
                    self.counted(r, out);
                }
                if let Some(g) = g {
                    out.push(Task::Emit(Inst::MarkEnd(g)));
                }
            }
        }
    }

    fn group(&mut self, look: bool, behind: bool, negated: bool, min_width: u32, max_width: u32) -> u32 {
        let reg = self.slot();
        self.groups.push(MarkGroup { reg, look, behind, negated, min_width, max_width, body: NONE, cont: NONE });
        self.groups.len() as u32 - 1
    }

    fn clear_caps(&self, child: NodeId, out: &mut Vec<Task>) {
        if self.js
            && let Some((from, to)) = self.facts[child.index()].caps
        {
            out.push(Task::Emit(Inst::ClearCaptures { from, to }));
        }
    }

    fn split(greedy: bool, more: u32, done: u32) -> Inst {
        if greedy { Inst::Split { x: more, y: done } } else { Inst::Split { x: done, y: more } }
    }

    /// Unrolled repetition: plain copies for the mandatory iterations, then
    /// a `+` loop (unbounded, `min >= 1`: its first iteration is the last
    /// mandatory one, so nesting never duplicates code), a `*` loop
    /// (unbounded, `min == 0`) or optional copies (bounded).
    fn unrolled(&mut self, r: &crate::analysis::ir::Repeat, out: &mut Vec<Task>) {
        let child = r.child;
        let greedy = r.greed != Greed::Lazy;
        let nullable = self.facts[child.index()].nullable;
        let unbounded = r.max.is_none();
        let plain = if unbounded { r.min.saturating_sub(1) } else { r.min };
        for i in 0..plain {
            if i > 0 {
                self.clear_caps(child, out);
            }
            out.push(Task::Node(child));
        }
        let exit = self.label();
        // Where an empty optional iteration goes: out of the loop (PCRE,
        // Python, Java) or to failure (JavaScript).
        let empty_exit = if self.js { NONE } else { exit };
        match r.max {
            None if r.min >= 1 => {
                //    [Save/Unset reg]
                // B: body [CheckEmpty reg] Split(C, X)
                // C: [Save reg] [ClearCaptures] Jmp B
                // X:
                let reg = if nullable { self.slot() } else { NONE };
                if reg != NONE {
                    // JS exempts the mandatory first iteration from the
                    // empty check; PCRE checks every iteration.
                    out.push(Task::Emit(if self.js { Inst::Unset(reg) } else { Inst::Save(reg) }));
                }
                if plain > 0 {
                    self.clear_caps(child, out);
                }
                let (b, c) = (self.label(), self.label());
                out.push(Task::Bind(b));
                out.push(Task::Node(child));
                if reg != NONE {
                    out.push(Task::Emit(Inst::CheckEmpty { reg, exit: empty_exit, counter: NONE, min: 0 }));
                }
                out.push(Task::Emit(Self::split(greedy, c, exit)));
                out.push(Task::Bind(c));
                if reg != NONE {
                    out.push(Task::Emit(Inst::Save(reg)));
                }
                self.clear_caps(child, out);
                out.push(Task::Emit(Inst::Jmp(b)));
            }
            None => {
                // L: Split(C, X)
                // C: [Save reg] [ClearCaptures] body [CheckEmpty reg] Jmp L
                // X:
                let reg = if nullable { self.slot() } else { NONE };
                let (l, c) = (self.label(), self.label());
                out.push(Task::Bind(l));
                out.push(Task::Emit(Self::split(greedy, c, exit)));
                out.push(Task::Bind(c));
                if reg != NONE {
                    out.push(Task::Emit(Inst::Save(reg)));
                }
                self.clear_caps(child, out);
                out.push(Task::Node(child));
                if reg != NONE {
                    out.push(Task::Emit(Inst::CheckEmpty { reg, exit: empty_exit, counter: NONE, min: 0 }));
                }
                out.push(Task::Emit(Inst::Jmp(l)));
            }
            Some(max) => {
                // Optional copies: Split(C, X) C: body ..., every one exits
                // to the end. Only JS checks bounded iterations for
                // emptiness.
                for _ in r.min..max {
                    let c = self.label();
                    out.push(Task::Emit(Self::split(greedy, c, exit)));
                    out.push(Task::Bind(c));
                    let reg = if nullable && self.js { self.slot() } else { NONE };
                    if reg != NONE {
                        out.push(Task::Emit(Inst::Save(reg)));
                    }
                    self.clear_caps(child, out);
                    out.push(Task::Node(child));
                    if reg != NONE {
                        out.push(Task::Emit(Inst::CheckEmpty { reg, exit: NONE, counter: NONE, min: 0 }));
                    }
                }
            }
        }
        out.push(Task::Bind(exit));
    }

    /// Counted repetition:
    ///
    /// ```text
    ///    CounterInit c
    /// L: CounterLoop c, min, max -> C / X
    /// C: [Save reg] [ClearCaptures] body CounterIncr c [CheckEmpty reg] Jmp L
    /// X:
    /// ```
    fn counted(&mut self, r: &crate::analysis::ir::Repeat, out: &mut Vec<Task>) {
        let child = r.child;
        let greedy = r.greed != Greed::Lazy;
        let nullable = self.facts[child.index()].nullable;
        let c = self.slot();
        let reg = if nullable { self.slot() } else { NONE };
        let (l, body, exit) = (self.label(), self.label(), self.label());
        let max = r.max.unwrap_or(NONE);
        out.push(Task::Emit(Inst::CounterInit(c)));
        out.push(Task::Bind(l));
        out.push(Task::Emit(Inst::CounterLoop { c, min: r.min, max, greedy, body, exit }));
        out.push(Task::Bind(body));
        if reg != NONE {
            out.push(Task::Emit(Inst::Save(reg)));
        }
        self.clear_caps(child, out);
        out.push(Task::Node(child));
        out.push(Task::Emit(Inst::CounterIncr(c)));
        if reg != NONE && (r.max.is_none() || self.js) {
            let empty_exit = if self.js { NONE } else { exit };
            out.push(Task::Emit(Inst::CheckEmpty { reg, exit: empty_exit, counter: c, min: r.min }));
        }
        out.push(Task::Emit(Inst::Jmp(l)));
        out.push(Task::Bind(exit));
    }

    /// Replace labels by instruction indices and fill in the groups'
    /// entry and continuation addresses.
    fn resolve(&mut self) {
        let labels = &self.labels;
        let at = |l: u32| if l == NONE { NONE } else { labels[l as usize] };
        for (pc, inst) in self.insts.iter_mut().enumerate() {
            match inst {
                Inst::Split { x, y } => {
                    *x = at(*x);
                    *y = at(*y);
                }
                Inst::Jmp(t) => *t = at(*t),
                Inst::CounterLoop { body, exit, .. } => {
                    *body = at(*body);
                    *exit = at(*exit);
                }
                Inst::CheckEmpty { exit, .. } => *exit = at(*exit),
                Inst::MarkStart(g) => self.groups[*g as usize].body = pc as u32 + 1,
                Inst::MarkEnd(g) => self.groups[*g as usize].cont = pc as u32 + 1,
                _ => {}
            }
        }
    }
}

impl Program {
    /// Compile `ir` for the flavor and semantics in `opts`.
    pub fn compile(ir: &Ir, opts: &SimOptions) -> Result<Program, SimError> {
        let facts = compute_facts(ir, opts.flavor);
        let mut c = Compiler {
            ir,
            facts,
            insts: Vec::new(),
            labels: Vec::new(),
            sets: Vec::new(),
            set_ids: std::collections::HashMap::new(),
            groups: Vec::new(),
            nslots: 3 * (ir.captures + 1),
            js: opts.flavor == Flavor::Js,
            limit: opts.max_program_size,
        };
        let tail: &[Inst] = if opts.semantics == Semantics::FullMatch {
            &[Inst::Assert(Assertion::EndText), Inst::Match]
        } else {
            &[Inst::Match]
        };
        c.generate(ir.root, tail)?;
        c.resolve();
        Ok(Program {
            insts: c.insts,
            sets: c.sets,
            groups: c.groups,
            nslots: c.nslots as usize,
            ncaps: ir.captures + 1,
            semantics: opts.semantics,
            flavor: opts.flavor,
            max_steps: opts.max_steps,
            max_stack: opts.max_stack,
            word: SetMatcher::new(&ir.word_chars),
            line: SetMatcher::new(&ir.line_terminators),
        })
    }

    /// Number of instructions.
    pub fn len(&self) -> usize {
        self.insts.len()
    }

    /// True for the (impossible) empty program; present for API symmetry.
    pub fn is_empty(&self) -> bool {
        self.insts.is_empty()
    }

    /// The semantics the program was compiled for.
    pub fn semantics(&self) -> Semantics {
        self.semantics
    }

    /// The flavor the program was compiled for.
    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    /// The step budget from [`SimOptions::max_steps`].
    pub fn default_max_steps(&self) -> u64 {
        self.max_steps
    }

    /// A scratch space sized for this program.
    pub fn create_cache(&self) -> Cache {
        Cache { stack: Vec::new(), slots: vec![NONE; self.nslots] }
    }

    /// Run on `input` with a budget of `max_steps` instructions.
    pub fn run(&self, input: &[char], max_steps: u64) -> SimResult {
        self.run_with(&mut self.create_cache(), input, max_steps)
    }

    /// Run on `input` reusing `cache` (which may come from any program).
    pub fn run_with(&self, cache: &mut Cache, input: &[char], max_steps: u64) -> SimResult {
        if input.len() >= NONE as usize - 1 {
            return SimResult { steps: 0, outcome: Outcome::Budget };
        }
        cache.slots.resize(self.nslots, NONE);
        let last_start = if self.semantics == Semantics::Search { input.len() as u32 } else { 0 };
        let mut steps = 0u64;
        for start in 0..=last_start {
            match self.attempt(cache, input, start, &mut steps, max_steps) {
                Attempt::Match(end) => {
                    return SimResult { steps, outcome: Outcome::Match { start: start as usize, end: end as usize } };
                }
                Attempt::NoMatch => {}
                Attempt::Budget => return SimResult { steps, outcome: Outcome::Budget },
            }
        }
        SimResult { steps, outcome: Outcome::NoMatch }
    }

    /// The capture spans of the last successful run with `cache` (group 0
    /// is the match), in characters. For tests and diagnostics.
    pub fn captures(&self, cache: &Cache) -> Vec<Option<(usize, usize)>> {
        (0..self.ncaps as usize)
            .map(|k| {
                let (s, e) = (cache.slots[2 * k], cache.slots[2 * k + 1]);
                (s != NONE && e != NONE).then_some((s as usize, e as usize))
            })
            .collect()
    }

    fn assert(&self, a: Assertion, input: &[char], pos: u32) -> bool {
        let p = pos as usize;
        let len = input.len();
        let is_word = |i: usize| self.word.contains(input[i]);
        match a {
            Assertion::StartText => p == 0,
            Assertion::EndText => p == len,
            Assertion::EndTextOptionalNewline => {
                p == len
                    || (p + 1 == len && self.line.contains(input[p]))
                    || (self.flavor == Flavor::Java && p + 2 == len && input[p] == '\r' && input[p + 1] == '\n')
            }
            Assertion::StartLine => {
                p == 0
                    || (self.line.contains(input[p - 1])
                        && !(p == len && matches!(self.flavor, Flavor::Pcre | Flavor::Java)))
            }
            Assertion::EndLine => p == len || self.line.contains(input[p]),
            Assertion::WordBoundary => (p > 0 && is_word(p - 1)) != (p < len && is_word(p)),
            Assertion::NotWordBoundary => (p > 0 && is_word(p - 1)) == (p < len && is_word(p)),
            // `\G` is where the search began (PCRE's start offset, Java's
            // end of the previous match), not each bump-along position; a
            // run always searches from offset 0.
            Assertion::StartOfAttempt => pos == 0,
        }
    }

    /// One anchored attempt at `start`. `steps` accumulates across
    /// attempts.
    fn attempt(&self, cache: &mut Cache, input: &[char], start: u32, steps_total: &mut u64, max_steps: u64) -> Attempt {
        let insts = &self.insts[..];
        let Cache { stack, slots } = cache;
        stack.clear();
        slots.fill(NONE);
        let len = input.len() as u32;
        let mut pc = 0usize;
        let mut pos = start;
        let mut steps = *steps_total;
        let result = 'run: loop {
            steps += 1;
            if steps > max_steps || stack.len() > self.max_stack {
                break 'run Attempt::Budget;
            }
            let ok = match insts[pc] {
                Inst::Char(c) => {
                    if pos < len && input[pos as usize] == c {
                        pos += 1;
                        pc += 1;
                        true
                    } else {
                        false
                    }
                }
                Inst::Any => {
                    if pos < len {
                        pos += 1;
                        pc += 1;
                        true
                    } else {
                        false
                    }
                }
                Inst::Set(i) => {
                    if pos < len && self.sets[i as usize].contains(input[pos as usize]) {
                        pos += 1;
                        pc += 1;
                        true
                    } else {
                        false
                    }
                }
                Inst::Split { x, y } => {
                    stack.push(Frame::Choice { pc: y, pos });
                    pc = x as usize;
                    true
                }
                Inst::Jmp(t) => {
                    pc = t as usize;
                    true
                }
                Inst::Save(s) => {
                    let s = s as usize;
                    stack.push(Frame::Restore { slot: s as u32, old: slots[s] });
                    slots[s] = pos;
                    pc += 1;
                    true
                }
                Inst::Unset(s) => {
                    let s = s as usize;
                    stack.push(Frame::Restore { slot: s as u32, old: slots[s] });
                    slots[s] = NONE;
                    pc += 1;
                    true
                }
                Inst::CloseGroup(k) => {
                    let k = k as usize;
                    let begin = slots[2 * self.ncaps as usize + k];
                    stack.push(Frame::Restore { slot: 2 * k as u32, old: slots[2 * k] });
                    stack.push(Frame::Restore { slot: 2 * k as u32 + 1, old: slots[2 * k + 1] });
                    slots[2 * k] = begin;
                    slots[2 * k + 1] = pos;
                    pc += 1;
                    true
                }
                Inst::ClearCaptures { from, to } => {
                    for k in from as usize..=to as usize {
                        for s in [2 * k, 2 * k + 1] {
                            if slots[s] != NONE {
                                stack.push(Frame::Restore { slot: s as u32, old: slots[s] });
                                slots[s] = NONE;
                            }
                        }
                    }
                    pc += 1;
                    true
                }
                Inst::Assert(a) => {
                    if self.assert(a, input, pos) {
                        pc += 1;
                        true
                    } else {
                        false
                    }
                }
                Inst::MarkStart(g) => {
                    let grp = self.groups[g as usize];
                    if grp.behind {
                        // Candidate starts: pos - min_width down to
                        // pos - max_width, shortest first.
                        if grp.min_width > pos {
                            if grp.negated {
                                pc = grp.cont as usize;
                                continue 'run;
                            }
                            false
                        } else {
                            let hi = pos - grp.min_width;
                            let lo = if grp.max_width == NONE { 0 } else { pos.saturating_sub(grp.max_width) };
                            if lo > hi {
                                if grp.negated {
                                    pc = grp.cont as usize;
                                    continue 'run;
                                }
                                false
                            } else {
                                let next_start = if hi > lo { Some(hi - 1) } else { None };
                                Self::enter_group(stack, slots, g, grp, pos, next_start);
                                pos = hi;
                                pc = grp.body as usize;
                                true
                            }
                        }
                    } else {
                        Self::enter_group(stack, slots, g, grp, pos, None);
                        pc = grp.body as usize;
                        true
                    }
                }
                Inst::MarkEnd(g) => {
                    let grp = self.groups[g as usize];
                    let m = slots[grp.reg as usize] as usize;
                    let Frame::Mark { pos: entry, .. } = stack[m] else {
                        unreachable!("group register points at its mark")
                    };
                    if grp.behind && pos != entry {
                        false
                    } else if grp.look && grp.negated {
                        // The negated sub-pattern matched: the look-around
                        // fails. Undo everything it did, then backtrack.
                        while stack.len() > m {
                            if let Some(Frame::Restore { slot, old }) = stack.pop() {
                                slots[slot as usize] = old;
                            }
                        }
                        false
                    } else {
                        // Success: discard the backtrack points inside (keep
                        // the undo log so outer backtracking restores
                        // captures set inside).
                        let mut w = m;
                        for r in m + 1..stack.len() {
                            if let Frame::Restore { .. } = stack[r] {
                                stack[w] = stack[r];
                                w += 1;
                            }
                        }
                        stack.truncate(w);
                        if grp.look {
                            pos = entry;
                        }
                        pc += 1;
                        true
                    }
                }
                Inst::CounterInit(c) => {
                    let c = c as usize;
                    stack.push(Frame::Restore { slot: c as u32, old: slots[c] });
                    slots[c] = 0;
                    pc += 1;
                    true
                }
                Inst::CounterIncr(c) => {
                    let c = c as usize;
                    stack.push(Frame::Restore { slot: c as u32, old: slots[c] });
                    slots[c] += 1;
                    pc += 1;
                    true
                }
                Inst::CounterLoop { c, min, max, greedy, body, exit } => {
                    let n = slots[c as usize];
                    if n < min {
                        pc = body as usize;
                    } else if n >= max {
                        pc = exit as usize;
                    } else if greedy {
                        stack.push(Frame::Choice { pc: exit, pos });
                        pc = body as usize;
                    } else {
                        stack.push(Frame::Choice { pc: body, pos });
                        pc = exit as usize;
                    }
                    true
                }
                Inst::CheckEmpty { reg, exit, counter, min } => {
                    let began = slots[reg as usize];
                    let optional = counter == NONE || slots[counter as usize] > min;
                    if began == pos && optional {
                        if exit == NONE {
                            false
                        } else {
                            pc = exit as usize;
                            true
                        }
                    } else {
                        pc += 1;
                        true
                    }
                }
                Inst::Backref { group, case_insensitive } => {
                    let k = group as usize;
                    let (begin, end) =
                        if k < self.ncaps as usize { (slots[2 * k], slots[2 * k + 1]) } else { (NONE, NONE) };
                    if begin == NONE || end == NONE {
                        // An unset group matches empty in JS only.
                        if self.flavor == Flavor::Js {
                            pc += 1;
                            true
                        } else {
                            false
                        }
                    } else {
                        let n = (end - begin) as usize;
                        let at = pos as usize;
                        let avail = input.len() - at;
                        let mut same = 0;
                        let want = &input[begin as usize..end as usize];
                        let have = &input[at..at + n.min(avail)];
                        for (a, b) in want.iter().zip(have) {
                            if a == b || (case_insensitive && fold_eq(*a, *b)) {
                                same += 1;
                            } else {
                                break;
                            }
                        }
                        steps += same as u64;
                        if same == n {
                            pos += n as u32;
                            pc += 1;
                            true
                        } else {
                            false
                        }
                    }
                }
                Inst::Fail => false,
                Inst::Match => {
                    slots[0] = start;
                    slots[1] = pos;
                    break 'run Attempt::Match(pos);
                }
            };
            if ok {
                continue;
            }
            // Backtrack: unwind to the most recent choice.
            loop {
                match stack.pop() {
                    None => break 'run Attempt::NoMatch,
                    Some(Frame::Choice { pc: p, pos: q }) => {
                        pc = p as usize;
                        pos = q;
                        continue 'run;
                    }
                    Some(Frame::Restore { slot, old }) => slots[slot as usize] = old,
                    Some(Frame::Mark { group, pos: q }) => {
                        let grp = self.groups[group as usize];
                        if grp.look && grp.negated {
                            // The negated sub-pattern failed everywhere:
                            // the look-around succeeds.
                            pos = q;
                            pc = grp.cont as usize;
                            continue 'run;
                        }
                    }
                    Some(Frame::Behind { group, next }) => {
                        // Try the next start of a look-behind. Its mark is
                        // right below.
                        let grp = self.groups[group as usize];
                        let Some(&Frame::Mark { pos: entry, .. }) = stack.last() else {
                            unreachable!("a look-behind retry sits on its mark")
                        };
                        let lo = if grp.max_width == NONE { 0 } else { entry.saturating_sub(grp.max_width) };
                        if next > lo {
                            stack.push(Frame::Behind { group, next: next - 1 });
                        }
                        pos = next;
                        pc = grp.body as usize;
                        continue 'run;
                    }
                }
            }
        };
        *steps_total = steps.min(max_steps.saturating_add(1));
        result
    }

    fn enter_group(
        stack: &mut Vec<Frame>,
        slots: &mut [u32],
        g: u32,
        grp: MarkGroup,
        pos: u32,
        next_start: Option<u32>,
    ) {
        let reg = grp.reg as usize;
        stack.push(Frame::Restore { slot: grp.reg, old: slots[reg] });
        slots[reg] = stack.len() as u32;
        stack.push(Frame::Mark { group: g, pos });
        if let Some(next) = next_start {
            stack.push(Frame::Behind { group: g, next });
        }
    }
}

/// Result of one anchored attempt.
enum Attempt {
    Match(u32),
    NoMatch,
    Budget,
}

/// Case-insensitive character equality by simple case folding.
fn fold_eq(a: char, b: char) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(&b);
    }
    let lower = |c: char| {
        let mut l = c.to_lowercase();
        match (l.next(), l.next()) {
            (Some(x), None) => x,
            _ => c,
        }
    };
    let upper = |c: char| {
        let mut u = c.to_uppercase();
        match (u.next(), u.next()) {
            (Some(x), None) => x,
            _ => c,
        }
    };
    lower(a) == lower(b) || upper(a) == upper(b)
}

impl fmt::Debug for Program {
    /// One instruction per line, for `cfglint debug` and test failures.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Program ({:?}, {}, {} slots)", self.semantics, self.flavor, self.nslots)?;
        for (pc, inst) in self.insts.iter().enumerate() {
            writeln!(f, "{pc:4}: {inst:?}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::parse::{ParseConfig, parse};

    fn program(pattern: &str, flavor: Flavor, semantics: Semantics) -> Program {
        let ir = parse(pattern, &ParseConfig::new(flavor)).expect("test pattern parses");
        Program::compile(&ir, &SimOptions::new(flavor, semantics)).expect("test pattern compiles")
    }

    fn find(pattern: &str, flavor: Flavor, input: &str) -> Outcome {
        let chars: Vec<char> = input.chars().collect();
        program(pattern, flavor, Semantics::Search).run(&chars, 10_000_000).outcome
    }

    fn span(start: usize, end: usize) -> Outcome {
        Outcome::Match { start, end }
    }

    #[test]
    fn basics() {
        assert_eq!(find("a+b", Flavor::Pcre, "xaab"), span(1, 4));
        assert_eq!(find("(a+)\\1", Flavor::Pcre, "aaaa"), span(0, 4));
        assert_eq!(find("a++a", Flavor::Pcre, "aaaa"), Outcome::NoMatch);
        assert_eq!(find("(?>a+)a", Flavor::Pcre, "aaaa"), Outcome::NoMatch);
        assert_eq!(find("(?<=a)b", Flavor::Pcre, "ab"), span(1, 2));
        assert_eq!(find("(?<!a)b", Flavor::Pcre, "ab"), Outcome::NoMatch);
        assert_eq!(find("(?=(\\d+))\\1x", Flavor::Js, "123x"), span(0, 4));
        assert_eq!(find("(a*)*b", Flavor::Pcre, "aaab"), span(0, 4));
        assert_eq!(find("(a|)*b", Flavor::Js, "aaab"), span(0, 4));
        assert_eq!(find("a{2,3}?", Flavor::Pcre, "aaaa"), span(0, 2));
        assert_eq!(find("a{1000,}", Flavor::Pcre, &"a".repeat(999)), Outcome::NoMatch);
        assert_eq!(find("a{1000,}", Flavor::Pcre, &"a".repeat(1001)), span(0, 1001));
    }

    #[test]
    fn steps_are_exact_and_deterministic() {
        // `^a*b` on "aab": ^ (Split a Jmp) x2, Split, a fails, backtrack
        // to b, Match: 11 instructions.
        let p = program("^a*b", Flavor::Pcre, Semantics::AnchoredStart);
        let chars: Vec<char> = "aab".chars().collect();
        let r = p.run(&chars, 1000);
        assert_eq!(r.outcome, span(0, 3));
        assert_eq!(r.steps, 11, "{p:?}");
        let mut cache = p.create_cache();
        assert_eq!(p.run_with(&mut cache, &chars, 1000), r);
        assert_eq!(p.run_with(&mut cache, &chars, 1000), r);
        // Search semantics sum the attempts: `b` on "aab" fails at 0 and 1.
        let s = program("b", Flavor::Pcre, Semantics::Search);
        assert_eq!(s.run(&chars, 1000), SimResult { steps: 4, outcome: span(2, 3) });
    }

    #[test]
    fn budgets_stop_runs() {
        let p = program("^(a+)+$", Flavor::Pcre, Semantics::Search);
        let chars: Vec<char> = format!("{}!", "a".repeat(40)).chars().collect();
        let r = p.run(&chars, 100_000);
        assert_eq!(r.outcome, Outcome::Budget);
        assert_eq!(r.steps, 100_001);
        // The stack limit is a budget too.
        let ir = parse("(?:a|b)*c", &ParseConfig::new(Flavor::Pcre)).expect("parses");
        let opts = SimOptions { max_stack: 100, ..SimOptions::new(Flavor::Pcre, Semantics::AnchoredStart) };
        let small = Program::compile(&ir, &opts).expect("compiles");
        let long: Vec<char> = "a".repeat(1000).chars().collect();
        assert_eq!(small.run(&long, u64::MAX).outcome, Outcome::Budget);
        // Program size limit.
        let opts = SimOptions { max_program_size: 10, ..SimOptions::new(Flavor::Pcre, Semantics::Search) };
        let ir = parse("abcdefghijklmnop", &ParseConfig::new(Flavor::Pcre)).expect("parses");
        assert_eq!(Program::compile(&ir, &opts).err(), Some(SimError::TooLarge { limit: 10 }));
    }

    #[test]
    fn large_counts_use_counters() {
        // A million iterations would not fit unrolled; counters keep the
        // program small and the run exact.
        let p = program("^(?:(?:ab){1000}){1000}$", Flavor::Pcre, Semantics::AnchoredStart);
        assert!(p.len() < 100, "{p:?}");
        let ok: Vec<char> = "ab".repeat(1_000_000).chars().collect();
        assert_eq!(p.run(&ok, u64::MAX).outcome, span(0, 2_000_000));
        let short: Vec<char> = "ab".repeat(999_999).chars().collect();
        assert_eq!(p.run(&short, u64::MAX).outcome, Outcome::NoMatch);
        // Lazy counted loop with a large bound.
        assert_eq!(find("^(?:a|b){2,70000}?b", Flavor::Pcre, "aaab"), span(0, 4));
        assert_eq!(find("^a{3,70000}$", Flavor::Pcre, "aa"), Outcome::NoMatch);
    }

    #[test]
    fn deep_nesting_compiles_iteratively() {
        let depth = 450;
        let pattern = format!("{}a{}", "(?:".repeat(depth), ")*".repeat(depth));
        let p = program(&pattern, Flavor::Pcre, Semantics::AnchoredStart);
        let chars: Vec<char> = "aaa".chars().collect();
        assert_eq!(p.run(&chars, 10_000_000).outcome, span(0, 3));
        let alts = format!("{}b", "a|".repeat(5000));
        assert_eq!(find(&alts, Flavor::Pcre, "xb"), span(1, 2));
    }

    #[test]
    fn flavor_differences() {
        // `$` before a final `\r\n` in Java only.
        let java = program("a$", Flavor::Java, Semantics::Search);
        let chars: Vec<char> = "a\r\n".chars().collect();
        assert_eq!(java.run(&chars, 1000).outcome, span(0, 1));
        assert_eq!(find("a$", Flavor::Pcre, "a\r\n"), Outcome::NoMatch);
        // Case-insensitive backreference beyond ASCII.
        assert_eq!(find("(?i)^(é)\\1$", Flavor::Pcre, "éÉ"), span(0, 2));
        // Look-behind with a backreference and captures kept after it.
        assert_eq!(find("(a)(?<=(\\1))b", Flavor::Js, "ab"), span(0, 2));
        assert_eq!(find("(a)(?<=(\\1))b", Flavor::Js, "cb"), Outcome::NoMatch);
        assert_eq!(find("(?<=(a))b\\1", Flavor::Pcre, "aba"), span(1, 3));
    }

    #[test]
    fn captures_are_reported() {
        let p = program("(a+)(b)?c", Flavor::Pcre, Semantics::Search);
        let chars: Vec<char> = "xaac".chars().collect();
        let mut cache = p.create_cache();
        assert_eq!(p.run_with(&mut cache, &chars, 1000).outcome, span(1, 4));
        assert_eq!(p.captures(&cache), vec![Some((1, 4)), Some((1, 3)), None]);
    }
}
