//! The ε-closure: a depth-first walk of the ε-graph, in priority order,
//! from just after a state's character to the next consuming states and
//! accepts, with the empty-iteration, atomic-region and assertion rules
//! applied along the way.

use super::build::ENode;
use super::{BuildError, Edge, Entry, FxMap, Guard, NONE, State, StateId, bits};
use crate::analysis::ir::CharSet;

// ----- the ε-walk ------------------------------------------------------------

/// What came before the walk's position.
#[derive(Clone, Copy)]
pub(super) enum Prev<'s> {
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
pub(super) struct Instance {
    region: u32,
    parent: u32,
    blocked: CharSet,
    exited: bool,
}

pub(super) struct Walker<'b> {
    pub(super) enodes: &'b [ENode],
    pub(super) states: &'b [State],
    pub(super) region_parent: &'b [u32],
    pub(super) exit_total: &'b [bool],
    pub(super) word: &'b CharSet,
    pub(super) lt: &'b CharSet,
    pub(super) js: bool,
    pub(super) steps: u64,
    pub(super) max_steps: u64,
    // Per-walk scratch.
    pub(super) instances: Vec<Instance>,
    pub(super) visits: FxMap<(u32, u32, u32, u32), u8>,
}

impl Walker<'_> {
    /// The entries reached from ε-node `from`, in priority order.
    pub(super) fn walk(
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
