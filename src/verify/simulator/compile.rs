//! The compiler: the regex IR lowered once, without recursion, into the
//! flat instruction [`Program`] the VM runs.

use super::{Inst, MarkGroup, NONE, Program, SetMatcher, SimError, SimOptions};
use crate::analysis::ir::{Assertion, CharSet, Greed, Ir, NodeId, NodeKind};
use crate::source::{Flavor, Semantics};

/// Unrolling a counted repetition is preferred when the unrolled code stays
/// below this many instructions; larger ones run with a counter.
const EXPAND_LIMIT: u64 = 256;

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
        if opts.fuse {
            fuse_loops(&mut c.insts);
        }
        let saves = c.insts.iter().take_while(|i| matches!(i, Inst::Save(_))).count();
        let lead = c
            .insts
            .get(saves)
            .copied()
            .filter(|&i| opts.fuse && is_one_char(i) && saves <= opts.max_stack)
            .map(|i| (saves as u32, i));
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
            lead,
        })
    }
}

/// True for the instructions that match exactly one character.
fn is_one_char(inst: Inst) -> bool {
    matches!(inst, Inst::Char(_) | Inst::Any | Inst::Set(_))
}

/// Fuse greedy loops over one character (`.*`, `[^>]*`, `\s+`,
/// `.{0,200}`), where an attack spends most of its steps, into
/// [`Inst::StarLoop`], [`Inst::PlusLoop`] and [`Inst::CountLoop`]. The loop's other instructions stay in place, so a
/// jump into them still runs the unfused code, and the VM counts the fused
/// loop's steps one by one: the step counts do not change.
fn fuse_loops(insts: &mut [Inst]) {
    for pc in 0..insts.len() {
        if let Inst::CounterLoop { c, min, max, greedy: true, body, exit } = insts[pc]
            && body as usize == pc + 1
            && pc + 3 < insts.len()
            && is_one_char(insts[pc + 1])
            && insts[pc + 2] == Inst::CounterIncr(c)
            && insts[pc + 3] == Inst::Jmp(pc as u32)
        {
            insts[pc] = Inst::CountLoop { c, min, max, exit };
            continue;
        }
        let Inst::Split { x, y: exit } = insts[pc] else { continue };
        if x as usize != pc + 1 || pc + 2 > insts.len() {
            continue;
        }
        let next = insts.get(pc + 2).copied();
        if is_one_char(insts[pc + 1]) && next == Some(Inst::Jmp(pc as u32)) {
            insts[pc] = Inst::StarLoop { exit };
        } else if pc >= 1 && is_one_char(insts[pc - 1]) && insts[pc + 1] == Inst::Jmp(pc as u32 - 1) {
            insts[pc] = Inst::PlusLoop { exit };
        }
    }
}
