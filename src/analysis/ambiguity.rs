//! Ambiguity of the NFA: the structures that make a backtracking engine
//! take exponential or polynomial time.
//!
//! Pipeline position: after `nfa` (the automaton that models the engine),
//! before `witness` (which turns the structures found here into attack
//! strings and checks them).
//!
//! Method (after Weideman et al., "Analyzing matching time behavior of
//! backtracking regular expression matchers by using ambiguity of NFA",
//! 2016): a failing match explores every path of the NFA on the input, so
//! the number of paths is the cost.
//! - *EDA* (exponential degree of ambiguity): some state has two distinct
//!   paths back to itself on the same word. Searched per strongly connected
//!   component in the product of the component with itself: from a state
//!   where two different edges (or one edge of multiplicity 2) accept a
//!   common character, the pair of paths must be able to meet again.
//! - *IDA* (polynomial degree): loops `p → p`, `p → q`, `q → q` on one word
//!   `w` in different components give `n²` paths on `wⁿ`; chains of `k`
//!   such loops give `nᵏ`. Searched in the product of three copies,
//!   restricted to the two components and the states between them. Under
//!   search semantics the NFA's search loop (the engine retrying at every
//!   start position) is such a loop too, which is why `\s*$` is quadratic.
//!
//! Paths that the engine never explores in a failing match are removed
//! first: once a state's option to accept holds, no lower-priority option
//! of that state is ever tried.
//!
//! Guarantees: iterative (explicit stacks and queues); all product
//! searches share one counter ([`Budget`]); running out is reported in
//! [`Ambiguity::exhausted`], never a hang.

// Automata notation (states p, q, x, y; graph g; components c, d) as in
// the literature this follows.
#![allow(clippy::many_single_char_names)]

use std::collections::{HashMap, VecDeque};

use crate::analysis::ir::CharSet;
use crate::analysis::nfa::{Entry, FxMap, FxSet, Guard, Nfa, START, StateId, StateKind, bits};

/// A transition of the analysis graph.
#[derive(Debug, Clone)]
pub struct AEdge {
    /// Target state.
    pub to: StateId,
    /// Characters that take it.
    pub label: CharSet,
    /// Parallel ε-paths (1 or 2).
    pub mult: u8,
}

/// The NFA restricted to what the engine explores.
///
/// Two views: `walk` keeps the edges a backtracker can try at all (an
/// accept option cuts the options after it), used for reachability and
/// prefixes; `out` keeps only what a *failing* exploration can use (a
/// state visited before a character on which it surely accepts ends the
/// search with a match, so those characters are removed from all its
/// edges), used for the loops.
#[derive(Debug, Clone)]
pub struct Graph {
    /// Edges usable by failing explorations, per state.
    pub out: Vec<Vec<AEdge>>,
    /// Edges the engine can try at all, per state.
    pub walk: Vec<Vec<AEdge>>,
    /// States reachable from the start through `walk`.
    pub reachable: Vec<bool>,
}

/// The characters after which `g` surely accepts at a state with
/// characters `set` (or the start state), whatever the previous character.
pub(crate) fn sure_accept(nfa: &Nfa, g: &Guard, is_start: bool, set: &CharSet) -> CharSet {
    if let Some(p) = &g.prev {
        let ok = if is_start { g.prev_start_ok } else { set.is_subset(p) };
        if !ok {
            return CharSet::empty();
        }
    }
    let mut n = g.next.clone().unwrap_or_else(CharSet::any);
    let a = g.asserts;
    if a & (bits::END_TEXT | bits::END_TEXT_NL) != 0 {
        return CharSet::empty();
    }
    if a & bits::START_TEXT != 0 && !is_start {
        return CharSet::empty();
    }
    if a & bits::START_LINE != 0 && !is_start && !set.is_subset(&nfa.line_terminators) {
        return CharSet::empty();
    }
    if a & bits::END_LINE != 0 {
        n = n.intersect(&nfa.line_terminators);
    }
    for (bit, boundary) in [(bits::WORD_B, true), (bits::NOT_WORD_B, false)] {
        if a & bit == 0 {
            continue;
        }
        let prev_word = if is_start {
            Some(false)
        } else if set.is_subset(&nfa.word_chars) {
            Some(true)
        } else if !set.intersects(&nfa.word_chars) {
            Some(false)
        } else {
            None
        };
        match prev_word {
            None => return CharSet::empty(),
            Some(pw) => {
                // A boundary needs the next character's wordness to differ.
                let want_word = if boundary { !pw } else { pw };
                n = if want_word { n.intersect(&nfa.word_chars) } else { n.difference(&nfa.word_chars) };
            }
        }
    }
    n
}

impl Graph {
    /// The analysis graph of `nfa`.
    pub fn new(nfa: &Nfa) -> Graph {
        let n = nfa.len();
        let mut out = Vec::with_capacity(n);
        let mut walk = Vec::with_capacity(n);
        for st in &nfa.states {
            let is_start = st.kind == StateKind::Start;
            let mut cut = CharSet::empty();
            let mut edges = Vec::new();
            for e in &st.entries {
                match e {
                    Entry::Edge(e) => {
                        let label = if cut.is_empty() { e.label.clone() } else { e.label.difference(&cut) };
                        if !label.is_empty() {
                            edges.push(AEdge { to: e.to, label, mult: e.mult });
                        }
                    }
                    Entry::Accept(g) => {
                        let sure = sure_accept(nfa, g, is_start, &st.set);
                        if !sure.is_empty() {
                            cut = cut.union(&sure);
                        }
                    }
                }
            }
            // `cut` is now every character on which the state surely
            // accepts: failing explorations never see them after it.
            let strong: Vec<AEdge> = if cut.is_empty() {
                edges.clone()
            } else {
                edges
                    .iter()
                    .filter_map(|e| {
                        let label = e.label.difference(&cut);
                        (!label.is_empty()).then_some(AEdge { to: e.to, label, mult: e.mult })
                    })
                    .collect()
            };
            out.push(strong);
            walk.push(edges);
        }
        let mut reachable = vec![false; n];
        if n > 0 {
            let mut stack = vec![START];
            reachable[START as usize] = true;
            while let Some(s) = stack.pop() {
                for e in &walk[s as usize] {
                    if !reachable[e.to as usize] {
                        reachable[e.to as usize] = true;
                        stack.push(e.to);
                    }
                }
            }
        }
        Graph { out, walk, reachable }
    }

    /// Shortest word (as per-step character sets) from the start to `to`,
    /// and the states on the way.
    pub fn path_from_start(&self, to: StateId) -> Option<Vec<CharSet>> {
        shortest(&self.walk, START, to, |_| true)
    }

    /// Shortest word from `from` to `to` through states allowed by `ok`.
    pub fn path(&self, from: StateId, to: StateId, ok: impl Fn(StateId) -> bool) -> Option<Vec<CharSet>> {
        shortest(&self.out, from, to, ok)
    }
}

fn shortest(out: &[Vec<AEdge>], from: StateId, to: StateId, ok: impl Fn(StateId) -> bool) -> Option<Vec<CharSet>> {
    {
        if from == to {
            return Some(Vec::new());
        }
        let n = out.len();
        let mut parent: Vec<(u32, u32)> = vec![(u32::MAX, 0); n];
        let mut seen = vec![false; n];
        seen[from as usize] = true;
        let mut q = VecDeque::from([from]);
        while let Some(s) = q.pop_front() {
            for (i, e) in out[s as usize].iter().enumerate() {
                let t = e.to as usize;
                if seen[t] || !ok(e.to) {
                    continue;
                }
                seen[t] = true;
                parent[t] = (s, i as u32);
                if e.to == to {
                    let mut word = Vec::new();
                    let mut cur = to;
                    while cur != from {
                        let (p, i) = parent[cur as usize];
                        word.push(out[p as usize][i as usize].label.clone());
                        cur = p;
                    }
                    word.reverse();
                    return Some(word);
                }
                q.push_back(e.to);
            }
        }
        None
    }
}

/// Strongly connected components.
#[derive(Debug, Clone)]
pub struct Sccs {
    /// Component of each state (`u32::MAX` for unreachable states).
    pub comp: Vec<u32>,
    /// States of each component.
    pub members: Vec<Vec<StateId>>,
    /// Whether a component contains a cycle.
    pub cyclic: Vec<bool>,
}

impl Sccs {
    /// The edges leaving component `c` for another reachable component,
    /// with that component's id.
    fn exits<'g>(&'g self, g: &'g Graph, c: usize) -> impl Iterator<Item = (&'g AEdge, u32)> + 'g {
        self.members[c].iter().flat_map(move |&st| {
            g.out[st as usize].iter().filter_map(move |e| {
                let d = self.comp[e.to as usize];
                (d as usize != c && d != u32::MAX).then_some((e, d))
            })
        })
    }

    /// Tarjan's algorithm, iterative, over reachable states. Components
    /// come out in reverse topological order (a component only reaches
    /// components with smaller ids).
    pub fn new(g: &Graph) -> Sccs {
        let n = g.out.len();
        let mut index = vec![u32::MAX; n];
        let mut low = vec![0u32; n];
        let mut on_stack = vec![false; n];
        let mut stack: Vec<u32> = Vec::new();
        let mut comp = vec![u32::MAX; n];
        let mut members: Vec<Vec<StateId>> = Vec::new();
        let mut counter = 0u32;
        let mut call: Vec<(u32, usize)> = Vec::new();
        for root in 0..n {
            if !g.reachable[root] || index[root] != u32::MAX {
                continue;
            }
            call.push((root as u32, 0));
            index[root] = counter;
            low[root] = counter;
            counter += 1;
            stack.push(root as u32);
            on_stack[root] = true;
            while let Some(&mut (v, ref mut i)) = call.last_mut() {
                let vs = v as usize;
                if let Some(e) = g.out[vs].get(*i) {
                    *i += 1;
                    let w = e.to as usize;
                    if index[w] == u32::MAX {
                        index[w] = counter;
                        low[w] = counter;
                        counter += 1;
                        stack.push(w as u32);
                        on_stack[w] = true;
                        call.push((w as u32, 0));
                    } else if on_stack[w] {
                        low[vs] = low[vs].min(index[w]);
                    }
                } else {
                    call.pop();
                    if let Some(&(parent, _)) = call.last() {
                        low[parent as usize] = low[parent as usize].min(low[vs]);
                    }
                    if low[vs] == index[vs] {
                        let id = members.len() as u32;
                        let mut m = Vec::new();
                        while let Some(w) = stack.pop() {
                            on_stack[w as usize] = false;
                            comp[w as usize] = id;
                            m.push(w);
                            if w == v {
                                break;
                            }
                        }
                        members.push(m);
                    }
                }
            }
        }
        let cyclic = members.iter().map(|m| m.len() > 1 || g.out[m[0] as usize].iter().any(|e| e.to == m[0])).collect();
        Sccs { comp, members, cyclic }
    }
}

/// A shared counter for product searches.
#[derive(Debug, Clone)]
pub struct Budget {
    /// Units left.
    pub left: u64,
    /// Whether it ran out.
    pub exhausted: bool,
}

impl Budget {
    /// A budget of `n` units.
    pub fn new(n: u64) -> Self {
        Budget { left: n, exhausted: false }
    }

    fn spend(&mut self, n: u64) -> bool {
        if self.left < n {
            self.left = 0;
            self.exhausted = true;
            false
        } else {
            self.left -= n;
            true
        }
    }
}

/// An exponential structure: `state` has two distinct paths back to
/// itself on `pump`.
#[derive(Debug, Clone)]
pub struct Eda {
    /// The component.
    pub scc: u32,
    /// The state where the two paths start and end.
    pub state: StateId,
    /// The pump, one character set per step.
    pub pump: Vec<CharSet>,
    /// States visited by the two paths (for explanations).
    pub path_states: [Vec<StateId>; 2],
}

/// A polynomial structure between two components: `p → p`, `p → q`,
/// `q → q` on `pump`.
#[derive(Debug, Clone)]
pub struct Ida {
    /// Component of `p`.
    pub from_scc: u32,
    /// Component of `q`.
    pub to_scc: u32,
    /// The state in the first loop.
    pub p: StateId,
    /// The state in the second loop.
    pub q: StateId,
    /// The pump, one character set per step.
    pub pump: Vec<CharSet>,
    /// The loop states of the longest chain this structure heads (`p`,
    /// `q`, then further loops that consume the same characters); its
    /// length is the polynomial degree the structure suggests.
    pub chain: Vec<StateId>,
    /// A longer pump that carries the engine through every link of the
    /// chain, when `pump` (the first link's word) does not: tried before
    /// the chain is cut to its first link.
    pub through: Option<Vec<CharSet>>,
}

/// What the analysis found.
#[derive(Debug, Clone)]
pub struct Ambiguity {
    /// Exponential structures, at most one per component.
    pub eda: Vec<Eda>,
    /// Polynomial structures, at most one per ordered pair of components.
    pub ida: Vec<Ida>,
    /// The budget ran out: absent structures are not proof of absence.
    pub exhausted: bool,
}

/// Union of the labels of edges inside component `c`.
fn alphabet(g: &Graph, s: &Sccs, c: u32) -> CharSet {
    let mut ranges = Vec::new();
    for &st in &s.members[c as usize] {
        for e in &g.out[st as usize] {
            if s.comp[e.to as usize] == c {
                ranges.extend_from_slice(e.label.ranges());
            }
        }
    }
    CharSet::from_ranges(ranges)
}

/// Find the exponential structures: per component, the one with the
/// shortest pump (up to `per_scc_limit` of them, shortest first).
pub fn find_eda(g: &Graph, s: &Sccs, budget: &mut Budget, per_scc_limit: usize) -> Vec<Eda> {
    let mut found = Vec::new();
    for (c, members) in s.members.iter().enumerate() {
        if !s.cyclic[c] || budget.exhausted {
            continue;
        }
        let c = c as u32;
        let inside = |e: &AEdge| s.comp[e.to as usize] == c;
        let mut here: Vec<Eda> = Vec::new();
        'states: for &x in members {
            let edges: Vec<&AEdge> = g.out[x as usize].iter().filter(|e| inside(e)).collect();
            // Divergence points: two edges that share a character, or one
            // edge reached by two ε-paths.
            let mut starts: Vec<(u32, u32, CharSet)> = Vec::new();
            for (i, e1) in edges.iter().enumerate() {
                if !budget.spend(1) {
                    break 'states;
                }
                if e1.mult > 1 {
                    starts.push((e1.to, e1.to, e1.label.clone()));
                }
                for e2 in &edges[i + 1..] {
                    if !budget.spend(1) {
                        break 'states;
                    }
                    if e1.label.intersects(&e2.label) {
                        starts.push((e1.to, e2.to, e1.label.intersect(&e2.label)));
                    }
                }
            }
            let mut visited: FxSet<(u32, u32)> = FxSet::default();
            for (a, b, first) in starts {
                if let Some(eda) = pair_search(g, s, c, x, a, b, first, &mut visited, budget) {
                    here.push(eda);
                    continue 'states;
                }
                if budget.exhausted {
                    break 'states;
                }
            }
            if here.iter().any(|e| e.pump.len() <= 1) || here.len() >= 8 {
                break;
            }
        }
        here.sort_by_key(|e| e.pump.len());
        here.truncate(per_scc_limit);
        found.extend(here);
    }
    found
}

/// A pair of states of the product.
type Pair = (u32, u32);

/// From the diverged pair `(a, b)` (reached from `x` on `first`), find a
/// way back to a common state and then to `x`.
#[allow(clippy::too_many_arguments)]
fn pair_search(
    g: &Graph,
    s: &Sccs,
    c: u32,
    x: StateId,
    a: StateId,
    b: StateId,
    first: CharSet,
    visited: &mut FxSet<(u32, u32)>,
    budget: &mut Budget,
) -> Option<Eda> {
    let inside = |t: StateId| s.comp[t as usize] == c;
    // BFS over pairs; parents (and the two edge indices) for reconstruction.
    let mut parent: FxMap<Pair, (Pair, [u32; 2])> = FxMap::default();
    let mut q = VecDeque::new();
    let start = (a.min(b), a.max(b));
    let mut meet = None;
    if a == b {
        meet = Some(start);
    } else if visited.insert(start) {
        q.push_back(start);
    }
    while meet.is_none() {
        let Some((u, v)) = q.pop_front() else { break };
        for (iu, eu) in g.out[u as usize].iter().enumerate() {
            if !inside(eu.to) {
                continue;
            }
            for (iv, ev) in g.out[v as usize].iter().enumerate() {
                if !budget.spend(1) {
                    return None;
                }
                if !inside(ev.to) || !eu.label.intersects(&ev.label) {
                    continue;
                }
                let next = (eu.to.min(ev.to), eu.to.max(ev.to));
                if visited.contains(&next) && next.0 != next.1 {
                    continue;
                }
                parent.insert(next, ((u, v), [iu as u32, iv as u32]));
                if next.0 == next.1 {
                    meet = Some(next);
                    break;
                }
                visited.insert(next);
                q.push_back(next);
            }
            if meet.is_some() {
                break;
            }
        }
    }
    let meet = meet?;
    let mut word = Vec::new();
    let mut cur = meet;
    let mut states = [vec![meet.0], vec![meet.1]];
    while cur != start {
        let &(p, [i, j]) = parent.get(&cur)?;
        word.push(g.out[p.0 as usize][i as usize].label.intersect(&g.out[p.1 as usize][j as usize].label));
        cur = p;
        states[0].push(p.0);
        states[1].push(p.1);
    }
    word.push(first);
    word.reverse();
    states[0].push(x);
    states[1].push(x);
    let z = meet.0;
    let back = g.path(z, x, inside)?;
    let mut pump = word;
    pump.extend(back);
    Some(Eda { scc: c, state: x, pump, path_states: states })
}

/// Reachability between components, computed on demand (only the
/// components that take part in a three-copy search need it).
struct Reach {
    succ: Vec<Vec<u32>>,
    pred: Vec<Vec<u32>>,
    fwd: HashMap<u32, Vec<u64>>,
    bwd: HashMap<u32, Vec<u64>>,
}

impl Reach {
    fn new(g: &Graph, s: &Sccs) -> Reach {
        let nc = s.members.len();
        let mut succ: Vec<Vec<u32>> = vec![Vec::new(); nc];
        let mut pred: Vec<Vec<u32>> = vec![Vec::new(); nc];
        for (c, members) in s.members.iter().enumerate() {
            for &st in members {
                for e in &g.out[st as usize] {
                    let d = s.comp[e.to as usize];
                    if d as usize != c && d != u32::MAX {
                        succ[c].push(d);
                        pred[d as usize].push(c as u32);
                    }
                }
            }
        }
        for v in succ.iter_mut().chain(pred.iter_mut()) {
            v.sort_unstable();
            v.dedup();
        }
        Reach { succ, pred, fwd: HashMap::new(), bwd: HashMap::new() }
    }

    fn closure(adj: &[Vec<u32>], from: u32) -> Vec<u64> {
        let mut bits = vec![0u64; adj.len().div_ceil(64)];
        let mut stack = vec![from];
        bits[from as usize / 64] |= 1 << (from % 64);
        while let Some(c) = stack.pop() {
            for &d in &adj[c as usize] {
                if !has(&bits, d as usize) {
                    bits[d as usize / 64] |= 1 << (d % 64);
                    stack.push(d);
                }
            }
        }
        bits
    }

    /// Components reachable from `c` (itself included).
    fn forward(&mut self, c: u32, budget: &mut Budget) -> Option<&Vec<u64>> {
        if !self.fwd.contains_key(&c) {
            if !budget.spend(self.succ.len() as u64) {
                return None;
            }
            let bits = Self::closure(&self.succ, c);
            self.fwd.insert(c, bits);
        }
        self.fwd.get(&c)
    }

    /// Components that reach `c` (itself included).
    fn backward(&mut self, c: u32, budget: &mut Budget) -> Option<&Vec<u64>> {
        if !self.bwd.contains_key(&c) {
            if !budget.spend(self.pred.len() as u64) {
                return None;
            }
            let bits = Self::closure(&self.pred, c);
            self.bwd.insert(c, bits);
        }
        self.bwd.get(&c)
    }
}

fn has(bits: &[u64], i: usize) -> bool {
    bits[i / 64] & (1 << (i % 64)) != 0
}

/// The characters of a set of labels, partitioned into classes that no
/// label splits, with a fast lookup from character ranges to classes.
struct Classes {
    /// Start of each elementary interval (sorted; the first is 0).
    bounds: Vec<u32>,
    /// Class of each elementary interval (`u32::MAX`: in no label).
    class_of: Vec<u32>,
    /// The classes.
    sets: Vec<CharSet>,
}

impl Classes {
    fn new(labels: &[CharSet], cap: usize) -> Option<Classes> {
        let mut bounds: Vec<u32> = vec![0];
        for l in labels {
            for &(a, b) in l.ranges() {
                bounds.push(a);
                if b < crate::analysis::ir::MAX_CHAR {
                    bounds.push(b + 1);
                }
            }
        }
        bounds.sort_unstable();
        bounds.dedup();
        let words = labels.len().div_ceil(64);
        let mut sig = vec![0u64; bounds.len() * words];
        for (j, l) in labels.iter().enumerate() {
            for &(a, b) in l.ranges() {
                let mut i = bounds.partition_point(|&x| x <= a) - 1;
                while i < bounds.len() && bounds[i] <= b {
                    sig[i * words + j / 64] |= 1 << (j % 64);
                    i += 1;
                }
            }
        }
        let mut ids: HashMap<&[u64], u32> = HashMap::new();
        let mut class_of = Vec::with_capacity(bounds.len());
        let mut ranges: Vec<Vec<(u32, u32)>> = Vec::new();
        for i in 0..bounds.len() {
            let key = &sig[i * words..(i + 1) * words];
            if key.iter().all(|&w| w == 0) {
                class_of.push(u32::MAX);
                continue;
            }
            let next = ids.len() as u32;
            let id = *ids.entry(key).or_insert(next);
            if id as usize == ranges.len() {
                if ranges.len() >= cap {
                    return None;
                }
                ranges.push(Vec::new());
            }
            let end = bounds.get(i + 1).map_or(crate::analysis::ir::MAX_CHAR, |&x| x - 1);
            ranges[id as usize].push((bounds[i], end));
            class_of.push(id);
        }
        let sets = ranges.into_iter().map(CharSet::from_ranges).collect();
        Some(Classes { bounds, class_of, sets })
    }

    /// The classes a set meets, ascending, deduplicated.
    fn of(&self, set: &CharSet, out: &mut Vec<u32>) {
        out.clear();
        for &(a, b) in set.ranges() {
            let mut i = self.bounds.partition_point(|&x| x <= a) - 1;
            while i < self.bounds.len() && self.bounds[i] <= b {
                let c = self.class_of[i];
                if c != u32::MAX {
                    out.push(c);
                }
                i += 1;
            }
        }
        out.sort_unstable();
        out.dedup();
    }
}

/// Find the polynomial structures.
///
/// Single-state loops (`\s*`, `.*`, the search loop: nearly all loops in
/// practice) are handled per class of characters their self-loops
/// distinguish: for a class `m`, loops `p`, `q` that both repeat `m` and a
/// path `p → q` whose every step accepts a character of `m` give
/// `p → p`, `p → q`, `q → q` on the same word. The longest chain of such
/// loops (a longest path over the component DAG, counting loops) is the
/// degree. Loops of several states use the three-copy product, pairwise.
pub fn find_ida(g: &Graph, s: &Sccs, bounded: &[bool], budget: &mut Budget, max_starts: usize) -> Vec<Ida> {
    let nc = s.members.len();
    let cyc: Vec<usize> = (0..nc).filter(|&c| s.cyclic[c]).collect();
    if cyc.len() < 2 {
        return Vec::new();
    }
    let mut found = Vec::new();
    // Self-loop label of each single-state loop.
    let mut self_label: Vec<Option<CharSet>> = vec![None; nc];
    for &c in &cyc {
        // Loops bounded by a small count add no polynomial degree.
        if s.members[c].iter().all(|&st| bounded[st as usize]) {
            continue;
        }
        if s.members[c].len() == 1 {
            let st = s.members[c][0];
            let l = CharSet::from_ranges(
                g.out[st as usize].iter().filter(|e| e.to == st).flat_map(|e| e.label.ranges().iter().copied()),
            );
            self_label[c] = Some(l);
        }
    }
    let singles: Vec<usize> = cyc.iter().copied().filter(|&c| self_label[c].is_some()).collect();
    let cyc: Vec<usize> = cyc.into_iter().filter(|&c| !s.members[c].iter().all(|&st| bounded[st as usize])).collect();
    if singles.len() >= 2 {
        let mut labels: Vec<CharSet> = singles.iter().filter_map(|&c| self_label[c].clone()).collect();
        labels.sort();
        labels.dedup();
        match Classes::new(&labels, 1024) {
            Some(classes) => {
                single_loop_chains(g, s, &self_label, &classes, budget, &mut found);
                mixed_loop_chains(g, s, &self_label, &labels, &classes, budget, &mut found);
            }
            None => budget.exhausted = true,
        }
    }
    // Pairs involving a loop of several states: the three-copy product.
    let multi: Vec<usize> = cyc.iter().copied().filter(|&c| self_label[c].is_none()).collect();
    if !multi.is_empty() && !budget.exhausted {
        let mut reach = Reach::new(g, s);
        let alpha: HashMap<usize, CharSet> = cyc.iter().map(|&c| (c, alphabet(g, s, c as u32))).collect();
        // States entered from another component.
        let mut entered = vec![false; g.out.len()];
        for (from, es) in g.out.iter().enumerate() {
            for e in es {
                if s.comp[from] != s.comp[e.to as usize] {
                    entered[e.to as usize] = true;
                }
            }
        }
        for &c1 in &cyc {
            for &c2 in &cyc {
                if c1 == c2 || (self_label[c1].is_some() && self_label[c2].is_some()) || budget.exhausted {
                    continue;
                }
                if !alpha[&c1].intersects(&alpha[&c2]) {
                    continue;
                }
                let Some(fwd) = reach.forward(c1 as u32, budget).cloned() else { break };
                if !has(&fwd, c2) {
                    continue;
                }
                let Some(bwd) = reach.backward(c2 as u32, budget).cloned() else { break };
                let common = alpha[&c1].intersect(&alpha[&c2]);
                let between = |t: StateId| {
                    let d = s.comp[t as usize] as usize;
                    d != u32::MAX as usize && has(&fwd, d) && has(&bwd, d)
                };
                if let Some(ida) =
                    triple_search(g, s, &between, &entered, c1 as u32, c2 as u32, &common, budget, max_starts)
                {
                    found.push(ida);
                }
            }
        }
    }
    found
}

/// For every class `m`, the longest chain of single-state loops that all
/// repeat `m`, linked by paths whose steps accept characters of `m`; pushes
/// the chain's first link (with the chain) and its second link. One pass
/// over the component DAG computes every class at once.
fn single_loop_chains(
    g: &Graph,
    s: &Sccs,
    self_label: &[Option<CharSet>],
    classes: &Classes,
    budget: &mut Budget,
    found: &mut Vec<Ida>,
) {
    // Classes in chunks, so the tables stay `components × 128` at most.
    let all = classes.sets.len();
    let mut first = 0;
    while first < all {
        let last = (first + 128).min(all);
        if !chains_for_classes(g, s, self_label, classes, first..last, budget, found) {
            return;
        }
        first = last;
    }
}

/// [`single_loop_chains`] for the classes in `range`; false when the
/// budget ran out.
fn chains_for_classes(
    g: &Graph,
    s: &Sccs,
    self_label: &[Option<CharSet>],
    classes: &Classes,
    range: std::ops::Range<usize>,
    budget: &mut Budget,
    found: &mut Vec<Ida>,
) -> bool {
    let nc = s.members.len();
    let base = range.start as u32;
    let k = range.len();
    if k == 0 || !budget.spend((nc * k) as u64) {
        return false;
    }
    let in_range = |m: u32| m >= base && ((m - base) as usize) < k;
    let mut scratch = Vec::new();
    // Classes (of this chunk, rebased) each single-state loop repeats.
    let mut loops_on: Vec<Vec<u32>> = vec![Vec::new(); nc];
    for c in 0..nc {
        if let Some(l) = &self_label[c] {
            classes.of(l, &mut scratch);
            loops_on[c] = scratch.iter().filter(|&&m| in_range(m)).map(|&m| m - base).collect();
        }
    }
    if loops_on.iter().map(Vec::len).sum::<usize>() < 2 {
        return true;
    }
    // Components reach only smaller ids: ascending order sees successors
    // first. dp[c*k + m]: most loops on `m` along a path from c whose steps
    // accept `m`; next[c*k + m]: the successor on that path.
    let mut dp = vec![0u32; nc * k];
    let mut next = vec![u32::MAX; nc * k];
    let mut best = vec![0u32; k];
    let mut arg = vec![u32::MAX; k];
    let mut touched: Vec<u32> = Vec::new();
    for c in 0..nc {
        for (e, d) in s.exits(g, c) {
            if !budget.spend(1) {
                return false;
            }
            classes.of(&e.label, &mut scratch);
            for &m in scratch.iter().filter(|&&m| in_range(m)) {
                let m = m - base;
                let v = dp[d as usize * k + m as usize];
                if v > best[m as usize] {
                    if best[m as usize] == 0 {
                        touched.push(m);
                    }
                    best[m as usize] = v;
                    arg[m as usize] = d;
                }
            }
        }
        for &m in &loops_on[c] {
            dp[c * k + m as usize] = 1;
        }
        for &m in &touched {
            let m = m as usize;
            dp[c * k + m] += best[m];
            next[c * k + m] = arg[m];
            best[m] = 0;
            arg[m] = u32::MAX;
        }
        touched.clear();
    }
    for m in 0..k {
        // The best head is a loop on `m` with the longest chain.
        let Some(head) =
            (0..nc).filter(|&c| loops_on[c].binary_search(&(m as u32)).is_ok()).max_by_key(|&c| (dp[c * k + m], c))
        else {
            continue;
        };
        if dp[head * k + m] < 2 {
            continue;
        }
        let mut chain: Vec<StateId> = Vec::new();
        let mut comps: Vec<u32> = Vec::new();
        let mut c = head as u32;
        while c != u32::MAX {
            if loops_on[c as usize].binary_search(&(m as u32)).is_ok() {
                chain.push(s.members[c as usize][0]);
                comps.push(c);
            }
            c = next[c as usize * k + m];
        }
        let set = &classes.sets[base as usize + m];
        // One word per link, and a link's pump runs through the rest of the
        // chain (as in [`mixed_loop_chains`]): every loop repeats all of
        // `m`, so `u₁ ⋯ uₖ₋₁` keeps each one alive while it carries the
        // engine to every later loop. The first link alone only reaches
        // `q`: `key=(.*) val=(.*) id=(.*);` pumped by `key=` is quadratic,
        // by `key= val= id=` quartic, as node and Python measure.
        // The first link's word is the pump; where it does not carry the
        // engine to the later loops, the attack builder tries it followed by
        // the later links' words before it cuts the chain.
        let links: Vec<Option<Vec<CharSet>>> = chain.windows(2).map(|w| class_path(g, w[0], w[1], set)).collect();
        for i in 0..chain.len().saturating_sub(1).min(2) {
            let (p, q) = (chain[i], chain[i + 1]);
            let Some(pump) = links[i].clone() else { continue };
            // Only where a later link reads differently: copies of the
            // same word already carry the engine on (`^(.*?,){11}P`).
            let through = links
                .get(i + 1..)
                .filter(|rest| rest.iter().any(|l| l.as_ref() != Some(&pump)))
                .and_then(|rest| rest.iter().cloned().collect::<Option<Vec<_>>>())
                .map(|rest| [pump.clone(), rest.concat()].concat());
            found.push(Ida {
                from_scc: comps[i],
                to_scc: comps[i + 1],
                p,
                q,
                pump,
                chain: chain[i..].to_vec(),
                through,
            });
        }
    }
    true
}

/// Most character sets [`mixed_loop_chains`] tries per pattern.
const MAX_MIXED_SETS: usize = 96;

/// Chains of single-state loops linked by paths whose steps accept
/// *different* characters, each one a character every loop of the chain
/// repeats. [`single_loop_chains`] needs one class of characters for the
/// whole path, so a step on a character that some other loop of the
/// pattern tells apart (the `\d` of `a\d+b.*cd`, the `\s` of
/// `<LINK\s.*?href\s*=`) hides the structure there, although the retry
/// from every position still makes `.*` scan the run again: with loops
/// `p`, `q` that both repeat every character of a set `I`, any path
/// `p → q` whose steps each accept some character of `I` gives a word `u`
/// with `p → p`, `p → q`, `q → q` on it. Along a chain `p₁ → … → pₖ` the
/// word `u₁ ⋯ uₖ₋₁` takes every `pᵢ` to every later `pⱼ`, so the chain
/// length is the degree here too. The sets tried are the pairwise
/// intersections of the loops' labels that are not a single class (those
/// are [`single_loop_chains`]' work), at most [`MAX_MIXED_SETS`].
fn mixed_loop_chains(
    g: &Graph,
    s: &Sccs,
    self_label: &[Option<CharSet>],
    labels: &[CharSet],
    classes: &Classes,
    budget: &mut Budget,
    found: &mut Vec<Ida>,
) {
    let nc = s.members.len();
    let loops: Vec<usize> = (0..nc).filter(|&c| self_label[c].is_some()).collect();
    let mut sets: Vec<CharSet> = Vec::new();
    let mut scratch = Vec::new();
    'pairs: for (i, a) in labels.iter().enumerate() {
        for b in &labels[i..] {
            if !budget.spend(1) {
                return;
            }
            let set = a.intersect(b);
            if set.is_empty() || sets.contains(&set) {
                continue;
            }
            classes.of(&set, &mut scratch);
            if scratch.len() < 2 {
                continue;
            }
            // Two loops at least must repeat all of it.
            let holders = loops.iter().filter(|&&c| self_label[c].as_ref().is_some_and(|l| set.is_subset(l))).count();
            if holders < 2 {
                continue;
            }
            sets.push(set);
            if sets.len() >= MAX_MIXED_SETS {
                break 'pairs;
            }
        }
    }
    let mut dp = vec![0u32; nc];
    let mut next = vec![u32::MAX; nc];
    for set in &sets {
        if !budget.spend(nc as u64) {
            return;
        }
        let on: Vec<bool> = (0..nc).map(|c| self_label[c].as_ref().is_some_and(|l| set.is_subset(l))).collect();
        // Components reach only smaller ids: ascending order sees
        // successors first.
        for c in 0..nc {
            let (mut best, mut arg) = (0, u32::MAX);
            for (e, d) in s.exits(g, c) {
                if !budget.spend(1) {
                    return;
                }
                if dp[d as usize] > best && e.label.intersects(set) {
                    best = dp[d as usize];
                    arg = d;
                }
            }
            dp[c] = u32::from(on[c]) + best;
            next[c] = arg;
        }
        let Some(head) = (0..nc).filter(|&c| on[c]).max_by_key(|&c| (dp[c], c)) else { continue };
        if dp[head] < 2 {
            continue;
        }
        let mut chain: Vec<StateId> = Vec::new();
        let mut comps: Vec<u32> = Vec::new();
        let mut c = head as u32;
        while c != u32::MAX {
            if on[c as usize] {
                chain.push(s.members[c as usize][0]);
                comps.push(c);
            }
            c = next[c as usize];
        }
        // One word per link; a link's pump runs through the rest of the
        // chain.
        let links: Option<Vec<Vec<CharSet>>> = chain.windows(2).map(|w| class_path(g, w[0], w[1], set)).collect();
        let Some(links) = links else { continue };
        for i in 0..links.len().min(2) {
            let (p, q) = (chain[i], chain[i + 1]);
            // Already found through a single class with at least this degree.
            if found.iter().any(|f| f.p == p && f.q == q && f.chain.len() >= chain.len() - i) {
                continue;
            }
            let pump: Vec<CharSet> = links[i..].iter().flatten().cloned().collect();
            found.push(Ida {
                from_scc: comps[i],
                to_scc: comps[i + 1],
                p,
                q,
                pump,
                chain: chain[i..].to_vec(),
                through: None,
            });
        }
    }
}

/// Shortest path `p → q` (at least one step) whose steps accept characters
/// of `m`, as per-step sets (label ∩ m).
fn class_path(g: &Graph, p: StateId, q: StateId, m: &CharSet) -> Option<Vec<CharSet>> {
    let n = g.out.len();
    let mut parent: Vec<(u32, u32)> = vec![(u32::MAX, 0); n];
    let mut seen = vec![false; n];
    let mut queue = VecDeque::from([p]);
    while let Some(x) = queue.pop_front() {
        for (i, e) in g.out[x as usize].iter().enumerate() {
            let t = e.to as usize;
            if seen[t] || e.to == p || !e.label.intersects(m) {
                continue;
            }
            seen[t] = true;
            parent[t] = (x, i as u32);
            if e.to == q {
                let mut word = Vec::new();
                let mut cur = q;
                loop {
                    let (pp, i) = parent[cur as usize];
                    word.push(g.out[pp as usize][i as usize].label.intersect(m));
                    cur = pp;
                    if cur == p {
                        break;
                    }
                }
                word.reverse();
                return Some(word);
            }
            queue.push_back(e.to);
        }
    }
    None
}

#[allow(clippy::too_many_arguments)]
fn triple_search(
    g: &Graph,
    s: &Sccs,
    between: &impl Fn(StateId) -> bool,
    entered: &[bool],
    c1: u32,
    c2: u32,
    common: &CharSet,
    budget: &mut Budget,
    max_starts: usize,
) -> Option<Ida> {
    // Starts: states of C1 with an edge leaving C1 first, states of C2
    // entered from outside first.
    let mut ps: Vec<StateId> = s.members[c1 as usize].clone();
    ps.sort_by_key(|&p| !g.out[p as usize].iter().any(|e| s.comp[e.to as usize] != c1));
    let mut qs: Vec<StateId> = s.members[c2 as usize].clone();
    qs.sort_by_key(|&q| !entered[q as usize]);
    let mut tried = 0;
    for &p in &ps {
        for &q in &qs {
            tried += 1;
            if tried > max_starts {
                return None;
            }
            if let Some(pump) = triple_bfs(g, s, c1, c2, p, q, common, between, budget) {
                return Some(Ida { from_scc: c1, to_scc: c2, p, q, pump, chain: vec![p, q], through: None });
            }
            if budget.exhausted {
                return None;
            }
        }
    }
    None
}

#[allow(clippy::too_many_arguments)]
fn triple_bfs(
    g: &Graph,
    s: &Sccs,
    c1: u32,
    c2: u32,
    p: StateId,
    q: StateId,
    common: &CharSet,
    between: &impl Fn(StateId) -> bool,
    budget: &mut Budget,
) -> Option<Vec<CharSet>> {
    type T = (u32, u32, u32);
    let start: T = (p, p, q);
    let target: T = (p, q, q);
    // Edges inside C1, narrowed to the common characters, per state.
    let mut first: FxMap<u32, Vec<(u32, u32, CharSet)>> = FxMap::default();
    for &x in &s.members[c1 as usize] {
        let v = g.out[x as usize]
            .iter()
            .enumerate()
            .filter(|(_, e)| s.comp[e.to as usize] == c1 && e.label.intersects(common))
            .map(|(i, e)| (i as u32, e.to, e.label.intersect(common)))
            .collect();
        first.insert(x, v);
    }
    // Parent triple and the three edge indices taken from it.
    let mut parent: FxMap<T, (T, [u32; 3])> = FxMap::default();
    parent.insert(start, (start, [0; 3]));
    let mut queue = VecDeque::from([start]);
    while let Some(t @ (x, y, z)) = queue.pop_front() {
        if !budget.spend(1) {
            return None;
        }
        for (i1, to1, l1) in first.get(&x).map_or(&[][..], Vec::as_slice) {
            for (i3, e3) in g.out[z as usize].iter().enumerate() {
                if s.comp[e3.to as usize] != c2 || !l1.intersects(&e3.label) {
                    continue;
                }
                for (i2, e2) in g.out[y as usize].iter().enumerate() {
                    if !budget.spend(1) {
                        return None;
                    }
                    if !between(e2.to) || !meets3(l1, &e3.label, &e2.label) {
                        continue;
                    }
                    let n: T = (*to1, e2.to, e3.to);
                    let edges = [*i1, i2 as u32, i3 as u32];
                    if n != target {
                        if let std::collections::hash_map::Entry::Vacant(slot) = parent.entry(n) {
                            slot.insert((t, edges));
                            queue.push_back(n);
                        }
                        continue;
                    }
                    let label = |from: T, e: [u32; 3]| {
                        let a = &g.out[from.0 as usize][e[0] as usize].label;
                        let b = &g.out[from.1 as usize][e[1] as usize].label;
                        let c = &g.out[from.2 as usize][e[2] as usize].label;
                        a.intersect(b).intersect(c).intersect(common)
                    };
                    let mut word = vec![label(t, edges)];
                    let mut cur = t;
                    while cur != start {
                        let &(pp, e) = parent.get(&cur)?;
                        word.push(label(pp, e));
                        cur = pp;
                    }
                    word.reverse();
                    return Some(word);
                }
            }
        }
    }
    None
}

/// Whether three sets share a character (without allocating).
fn meets3(a: &CharSet, b: &CharSet, c: &CharSet) -> bool {
    let (ra, rb, rc) = (a.ranges(), b.ranges(), c.ranges());
    let (mut i, mut j) = (0, 0);
    while i < ra.len() && j < rb.len() {
        let lo = ra[i].0.max(rb[j].0);
        let hi = ra[i].1.min(rb[j].1);
        if lo <= hi {
            let k = rc.partition_point(|r| r.1 < lo);
            if k < rc.len() && rc[k].0 <= hi {
                return true;
            }
        }
        if ra[i].1 < rb[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    false
}

/// Run both analyses under one budget.
pub fn analyze(
    nfa: &Nfa,
    g: &Graph,
    s: &Sccs,
    budget: &mut Budget,
    per_scc_limit: usize,
    max_starts: usize,
) -> Ambiguity {
    let eda = find_eda(g, s, budget, per_scc_limit);
    let bounded: Vec<bool> = nfa.states.iter().map(|st| st.bounded_loops_only).collect();
    let ida = find_ida(g, s, &bounded, budget, max_starts);
    Ambiguity { eda, ida, exhausted: budget.exhausted }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::nfa::NfaConfig;
    use crate::analysis::parse::{ParseConfig, parse};
    use crate::source::{Flavor, Semantics};

    fn amb(p: &str, flavor: Flavor, sem: Semantics) -> (Nfa, Ambiguity) {
        let ir = parse(p, &ParseConfig::new(flavor)).expect("parses");
        let nfa = Nfa::build(&ir, flavor, sem, &NfaConfig::default()).expect("builds");
        let g = Graph::new(&nfa);
        let s = Sccs::new(&g);
        let a = analyze(&nfa, &g, &s, &mut Budget::new(1_000_000), 2, 32);
        (nfa, a)
    }

    #[test]
    fn nested_plus_is_exponential() {
        let (_, a) = amb("^(a+)+$", Flavor::Pcre, Semantics::Search);
        assert_eq!(a.eda.len(), 1);
        assert_eq!(a.eda[0].pump.len(), 1);
    }

    #[test]
    fn overlapping_alternatives_are_exponential() {
        for p in ["^(a|a)*$", "^(a|a?)+$", r"^(\w+\s?)*$", "^(aa|b|aab)*$", "^(?:a|b|c+)+$"] {
            let (_, a) = amb(p, Flavor::Js, Semantics::Search);
            assert!(!a.eda.is_empty(), "{p}");
        }
    }

    #[test]
    fn disjoint_loops_are_not_ambiguous() {
        for p in ["^(a|b|c)+$", "^(a|bc*)+$", "^a*ba*$", "^(/[^/]+)+/?$", "^(?>a+)+$", "^(a++)+$"] {
            let (_, a) = amb(p, Flavor::Pcre, Semantics::Search);
            assert!(a.eda.is_empty() && a.ida.is_empty(), "{p}: {a:?}");
        }
    }

    #[test]
    fn adjacent_loops_are_polynomial() {
        let (_, a) = amb("^a*b*a*$", Flavor::Js, Semantics::Search);
        assert!(a.eda.is_empty());
        assert_eq!(a.ida.len(), 1);
        let (nfa, a) = amb(r"\s*$", Flavor::Js, Semantics::Search);
        assert_eq!(a.ida.len(), 1);
        assert_eq!(Some(a.ida[0].p), nfa.search_loop);
    }

    #[test]
    fn loops_link_through_steps_on_different_characters() {
        // The `\d` (and the `\s`) between the retry and `.*` is a class of
        // its own once another loop repeats it; the path still links them.
        for p in [r"a\d+b.*cd", r"<LINK\s.*?href\s*=", r"MSIE (\d+);.* X"] {
            let (nfa, a) = amb(p, Flavor::Pcre, Semantics::Search);
            assert!(a.ida.iter().any(|i| Some(i.p) == nfa.search_loop), "{p}: {a:?}");
        }
        // Retry, `.+?`, `.*`: three loops on one chain.
        let (_, a) = amb(r#"x:\d+:".+?":\d+:\{.*}"#, Flavor::Pcre, Semantics::Search);
        assert!(a.ida.iter().any(|i| i.chain.len() == 3), "{a:?}");
        // Different characters per step, but no character both loops repeat.
        let (_, a) = amb(r"^a\d+b[a-z]*c$", Flavor::Pcre, Semantics::Search);
        assert!(a.ida.is_empty(), "{a:?}");
    }

    #[test]
    fn always_matching_patterns_have_no_structures() {
        // `#.*` matches as soon as it sees `#`: nothing after it is tried.
        let (_, a) = amb("#.*", Flavor::Js, Semantics::Search);
        assert!(a.ida.is_empty(), "{a:?}");
        let (_, a) = amb("(a|a)*", Flavor::Js, Semantics::Search);
        assert!(a.ida.is_empty() && a.eda.is_empty(), "{a:?}");
    }
}
