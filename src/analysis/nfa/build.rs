//! Construction: the IR lowered to an ε-graph that keeps the engine's
//! priorities, then one NFA state per consuming node (see the parent
//! module's docs).

use std::collections::HashMap;

use super::closure::{Prev, Walker};
use super::{BuildError, Edge, Entry, FxMap, Guard, NONE, Nfa, NfaConfig, State, StateId, StateKind, bits};
use crate::analysis::ir::{Assertion, CharSet, Greed, Ir, NodeId, NodeKind};
use crate::source::{Flavor, PatternSpan, Semantics};

// ----- the ε-graph ---------------------------------------------------------

#[derive(Debug, Clone)]
pub(super) enum ENode {
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

pub(super) fn span_text(s: PatternSpan) -> String {
    format!("{}..{}", s.start, s.end)
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
}
