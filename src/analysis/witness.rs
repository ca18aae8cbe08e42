//! Attack strings for the structures `ambiguity` found, checked against
//! the engine's priorities, and the words that explain them.
//!
//! Pipeline position: after `ambiguity`, inside `candidates::analyze`; the
//! attacks go on to `verify`, whose simulator confirms the growth.
//!
//! An attack is `prefix · pumpⁿ · suffix`:
//! - `prefix`: a shortest word from the start to the ambiguous loop;
//! - `pump`: the ambiguous word, with readable characters (characters that
//!   appear literally in the pattern first);
//! - `suffix`: makes every path through the pumped part fail.
//!
//! Checking models the engine as a priority-ordered thread list (a Pike VM
//! with leftmost-first priorities, which explores paths in the same order
//! as a backtracker): the loop states must still be alive after the pump
//! (no higher-priority match cut them off), and after the pump no thread at
//! or above the lowest loop thread may ever accept, so the engine has to
//! try every way of matching the pumped part. Threads below it (later
//! start positions under search, lower-priority alternatives) may match:
//! the blow-up has happened by then. The suffix is found by a bounded
//! breadth-first search over thread lists.
//!
//! Guarantees: every search here is bounded by [`WitnessLimits`]; no
//! recursion.

// Automata notation (states p, q, x, y; graph g; components c, d) as in
// the literature this follows.
#![allow(clippy::many_single_char_names)]

use std::cell::Cell;
use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt::Write as _;

use crate::analysis::ambiguity::sure_accept;
use crate::analysis::ir::{CharSet, Ir, NodeId, NodeKind};
use crate::analysis::nfa::{Entry, Guard, Nfa, START, StateId, StateKind, bits};
use crate::source::{Flavor, PatternSpan};

/// Bounds of the witness searches.
#[derive(Debug, Clone, Copy)]
pub struct WitnessLimits {
    /// Longest suffix tried (default 4).
    pub max_suffix_len: usize,
    /// Most thread lists visited by one suffix search (default 400).
    pub max_suffix_nodes: usize,
    /// Most character variants tried per structure (default 9).
    pub max_variants: usize,
    /// Thread-simulation work shared by all attacks of one pattern
    /// (default 3,000,000 thread entries).
    pub max_work: u64,
}

impl Default for WitnessLimits {
    fn default() -> Self {
        WitnessLimits { max_suffix_len: 4, max_suffix_nodes: 400, max_variants: 9, max_work: 3_000_000 }
    }
}

/// Chooses readable characters.
#[derive(Debug, Clone)]
pub struct Picker {
    literals: Vec<char>,
}

impl Picker {
    /// Collect the pattern's literal characters (one-character sets, in
    /// pattern order).
    pub fn new(ir: &Ir) -> Self {
        let mut literals = Vec::new();
        for n in &ir.nodes {
            if let NodeKind::Set(s) = &n.kind
                && s.len() <= 2
                && let Some(c) = s.representative()
                && !literals.contains(&c)
            {
                literals.push(c);
            }
        }
        Picker { literals }
    }

    /// Up to `n` distinct characters of `set`, most readable first.
    pub fn choices(&self, set: &CharSet, n: usize) -> Vec<char> {
        let mut out = Vec::new();
        if let Some(&c) = self.literals.iter().find(|&&c| set.contains(c)) {
            out.push(c);
        }
        if let Some(c) = set.representative()
            && !out.contains(&c)
        {
            out.push(c);
        }
        let mut rest = set.clone();
        for &c in &self.literals {
            if rest.contains(c) {
                rest = rest.difference(&CharSet::single(c));
            }
        }
        while out.len() < n {
            for &c in &out {
                rest = rest.difference(&CharSet::single(c));
            }
            match rest.representative() {
                Some(c) if !out.contains(&c) => out.push(c),
                _ => break,
            }
        }
        out.truncate(n.max(1));
        out
    }
}

/// A priority-ordered thread: a state and whether it is "at or above the
/// loops" (its accepting would mean the pumped paths are never all tried).
type Thread = (StateId, bool);

/// A thread list and the character before it.
type Marked = (Vec<Thread>, Option<char>);

struct Sim<'n> {
    nfa: &'n Nfa,
    stamp: Vec<u32>,
    slot: Vec<u32>,
    now: u32,
    /// Work left (thread entries visited), shared by all searches.
    work: &'n Cell<u64>,
}

/// What happened in one step.
struct Step {
    next: Vec<Thread>,
    /// A thread accepted before the character, and it was flagged or cut
    /// off a flagged thread: the pumped paths would not all be tried.
    bad: bool,
}

impl<'n> Sim<'n> {
    fn new(nfa: &'n Nfa, work: &'n Cell<u64>) -> Self {
        Sim { nfa, stamp: vec![0; nfa.len()], slot: vec![0; nfa.len()], now: 0, work }
    }

    /// Charge `n` units; false (and the budget stays empty) when it ran out.
    fn charge(&self, n: usize) -> bool {
        let left = self.work.get();
        let n = n as u64;
        if left < n {
            self.work.set(0);
            false
        } else {
            self.work.set(left - n);
            true
        }
    }

    /// Process position (`prev`, `c`): accepts are checked before `c`, then
    /// `c` is consumed. An accept cuts every lower-priority option. Flags
    /// are inherited; a state reached by several threads keeps the first
    /// position and the union of the flags.
    fn step(&mut self, list: &[Thread], prev: Option<char>, c: char, last: bool) -> Step {
        // Out of work: report the step as spoiled so every search stops.
        if !self.charge(list.len() + 1) {
            return Step { next: Vec::new(), bad: true };
        }
        self.now += 1;
        let mut next: Vec<Thread> = Vec::new();
        let mut bad = false;
        'threads: for (i, &(s, flag)) in list.iter().enumerate() {
            for e in &self.nfa.states[s as usize].entries {
                match e {
                    Entry::Edge(e) => {
                        if e.label.contains(c) && (e.guard.is_trivial() || e.guard.holds(self.nfa, prev, Some(c), last))
                        {
                            let t = e.to as usize;
                            if self.stamp[t] == self.now {
                                let k = self.slot[t] as usize;
                                next[k].1 |= flag;
                            } else {
                                self.stamp[t] = self.now;
                                self.slot[t] = next.len() as u32;
                                next.push((e.to, flag));
                            }
                        }
                    }
                    Entry::Accept(g) => {
                        if g.holds(self.nfa, prev, Some(c), last) {
                            bad = flag || list[i + 1..].iter().any(|t| t.1);
                            break 'threads;
                        }
                    }
                }
            }
        }
        Step { next, bad }
    }

    /// Whether a match at the end of input would be found by, or cut off,
    /// a flagged thread.
    fn end_bad(&self, list: &[Thread], prev: Option<char>) -> bool {
        if !self.charge(list.len() + 1) {
            return true;
        }
        for (i, &(s, flag)) in list.iter().enumerate() {
            for e in &self.nfa.states[s as usize].entries {
                if let Entry::Accept(g) = e
                    && g.holds(self.nfa, prev, None, false)
                {
                    return flag || list[i + 1..].iter().any(|t| t.1);
                }
            }
        }
        false
    }
}

/// Run `prefix · pumpⁿ` and flag the threads that went through a loop
/// state at a pump boundary, and the threads at or above the lowest loop
/// thread at the end. `None` when a loop state is missing at the end (a
/// match cut it off) or a flagged thread matched.
fn mark(
    sim: &mut Sim<'_>,
    prefix: &[char],
    pump: &[char],
    n: usize,
    loops: &[StateId],
) -> Option<(Vec<Thread>, Option<char>)> {
    let search = sim.nfa.search_loop;
    let is_loop = |s: StateId| loops.contains(&s) && Some(s) != search;
    let mut list: Vec<Thread> = vec![(START, false)];
    let mut prev = None;
    for &c in prefix {
        let st = sim.step(&list, prev, c, false);
        list = st.next;
        prev = Some(c);
        if list.is_empty() {
            return None;
        }
    }
    for k in 0..n {
        for &c in pump {
            // A suffix follows, so no pumped character is the last one.
            let st = sim.step(&list, prev, c, false);
            if st.bad {
                return None;
            }
            list = st.next;
            prev = Some(c);
            if list.is_empty() {
                return None;
            }
        }
        if k + 1 < n {
            for t in &mut list {
                t.1 |= is_loop(t.0);
            }
        }
    }
    let mut lowest = None;
    for &l in loops {
        // Every loop must still be alive; the search loop (later start
        // positions) is never flagged itself.
        let pos = list.iter().position(|&(s, _)| s == l)?;
        if Some(l) == search {
            continue;
        }
        lowest = Some(lowest.map_or(pos, |p: usize| p.max(pos)));
    }
    let lowest = lowest?;
    for t in list.iter_mut().take(lowest + 1) {
        t.1 = true;
    }
    Some((list, prev))
}

/// Whether `prefix · pumpⁿ · suffix` makes the engine try every way of
/// matching the pumped part.
fn check(
    nfa: &Nfa,
    work: &Cell<u64>,
    prefix: &[char],
    pump: &[char],
    suffix: &[char],
    loops: &[StateId],
    n: usize,
) -> bool {
    let mut sim = Sim::new(nfa, work);
    let Some((mut list, mut prev)) = mark(&mut sim, prefix, pump, n, loops) else { return false };
    for (i, &c) in suffix.iter().enumerate() {
        let st = sim.step(&list, prev, c, i + 1 == suffix.len());
        if st.bad {
            return false;
        }
        list = st.next;
        prev = Some(c);
    }
    !sim.end_bad(&list, prev)
}

/// Characters worth trying in suffixes: ones that end most loops, then
/// representatives of the pattern's sets.
fn suffix_alphabet(nfa: &Nfa) -> Vec<char> {
    let mut all = CharSet::empty();
    let mut out: Vec<char> = Vec::new();
    let push = |c: char, out: &mut Vec<char>| {
        if !out.contains(&c) {
            out.push(c);
        }
    };
    for st in &nfa.states {
        if st.kind != StateKind::SearchLoop {
            all = all.union(&st.set);
        }
    }
    if !all.contains('!') {
        push('!', &mut out);
    }
    if let Some(c) = all.representative_outside() {
        push(c, &mut out);
    }
    for c in ['!', '\n', ' ', '\0', 'a', '0', '_', '=', '"'] {
        push(c, &mut out);
    }
    for st in nfa.states.iter().take(64) {
        if let Some(c) = st.set.representative() {
            push(c, &mut out);
        }
        if let Some(c) = st.set.representative_outside() {
            push(c, &mut out);
        }
    }
    out.truncate(24);
    out
}

/// A shortest suffix that makes every flagged thread fail.
fn find_suffix(
    nfa: &Nfa,
    work: &Cell<u64>,
    start: (Vec<Thread>, Option<char>),
    alphabet: &[char],
    limits: &WitnessLimits,
) -> Option<Vec<char>> {
    let mut sim = Sim::new(nfa, work);
    if !sim.end_bad(&start.0, start.1) {
        return Some(Vec::new());
    }
    let mut seen: HashSet<(Vec<Thread>, Option<char>)> = HashSet::new();
    let mut queue: VecDeque<(Vec<Thread>, Option<char>, Vec<char>)> = VecDeque::new();
    seen.insert(start.clone());
    queue.push_back((start.0, start.1, Vec::new()));
    let mut nodes = 0;
    while let Some((list, prev, word)) = queue.pop_front() {
        if word.len() >= limits.max_suffix_len {
            continue;
        }
        for &c in alphabet {
            nodes += 1;
            if nodes > limits.max_suffix_nodes {
                return None;
            }
            // `$` before a final newline depends on whether `c` is last:
            // try the suffix ending here, then going on.
            let mut w = word.clone();
            w.push(c);
            let end = sim.step(&list, prev, c, true);
            if !end.bad && !sim.end_bad(&end.next, Some(c)) {
                return Some(w);
            }
            let st = sim.step(&list, prev, c, false);
            if st.bad {
                continue;
            }
            // Threads below the last flagged one cannot matter any more
            // (they are only reached after every flagged path failed).
            let mut flagged = st.next;
            let last = flagged.iter().rposition(|t| t.1).map_or(0, |i| i + 1);
            flagged.truncate(last);
            let key = (flagged, Some(c));
            if seen.insert(key.clone()) {
                queue.push_back((key.0, key.1, w));
            }
        }
    }
    None
}

/// A checked attack.
#[derive(Debug, Clone)]
pub struct Found {
    /// Text before the pump.
    pub prefix: String,
    /// The pumped word.
    pub pump: String,
    /// Text after the pump.
    pub suffix: String,
}

/// States from which every continuation matches (a greatest fixpoint:
/// the state accepts at the end of input, and every next character either
/// surely makes it accept or leads to such a state). A flagged thread in
/// one of them rules out any suffix. Edges with guards are not counted, so
/// the set is an under-approximation (safe: it only prunes hopeless cases).
fn universal_states(nfa: &Nfa) -> Vec<bool> {
    let n = nfa.len();
    let mut end_ok = vec![false; n];
    let mut sure = vec![CharSet::empty(); n];
    for (i, st) in nfa.states.iter().enumerate() {
        let is_start = st.kind == StateKind::Start;
        for e in &st.entries {
            if let Entry::Accept(g) = e {
                sure[i] = sure[i].union(&sure_accept(nfa, g, is_start, &st.set));
                end_ok[i] |= accepts_at_end(nfa, g, is_start, &st.set);
            }
        }
    }
    let mut u = end_ok.clone();
    loop {
        let mut changed = false;
        for i in 0..n {
            if !u[i] {
                continue;
            }
            let mut cover = sure[i].clone();
            for e in nfa.edges(i as StateId) {
                if u[e.to as usize] && e.guard.is_trivial() {
                    cover = cover.union(&e.label);
                }
            }
            if !cover.is_any() {
                u[i] = false;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    u
}

/// Whether accept guard `g` holds at the end of input after any character
/// of `set` (or at the start).
fn accepts_at_end(nfa: &Nfa, g: &Guard, is_start: bool, set: &CharSet) -> bool {
    if g.next.is_some() && !g.next_end_ok {
        return false;
    }
    if let Some(p) = &g.prev {
        let ok = if is_start { g.prev_start_ok } else { set.is_subset(p) };
        if !ok {
            return false;
        }
    }
    let a = g.asserts;
    if a & bits::START_TEXT != 0 && !is_start {
        return false;
    }
    if a & bits::START_LINE != 0 && !is_start && !set.is_subset(&nfa.line_terminators) {
        return false;
    }
    let word = !is_start && set.is_subset(&nfa.word_chars);
    let non_word = is_start || !set.intersects(&nfa.word_chars);
    if a & bits::WORD_B != 0 && !word {
        return false;
    }
    if a & bits::NOT_WORD_B != 0 && !non_word {
        return false;
    }
    true
}

/// Builds attacks for one NFA, sharing work between structures.
pub struct Witnesser<'n> {
    nfa: &'n Nfa,
    picker: &'n Picker,
    limits: WitnessLimits,
    /// Pump count of the last check: beyond every unrolled repetition, so
    /// a bounded repetition cannot hide a match.
    big_n: usize,
    /// A short word the pattern matches (for PCRE's required-character
    /// prefilter), if one was found.
    accept_word: Option<Vec<char>>,
    alphabet: Vec<char>,
    universal: Vec<bool>,
    suffixes: HashMap<Marked, Option<Vec<char>>>,
    work: Cell<u64>,
    /// How many edge labels of the NFA hold each elementary interval of
    /// characters: (first character, count), sorted.
    rarity: Vec<(u32, u32)>,
    /// Whether some edge or accept is guarded by `\b` or `\B`.
    word_guards: bool,
    /// Whether some edge or accept is guarded by a line start (`^` in
    /// multi-line mode, always in Onigmo).
    line_guards: bool,
}

impl<'n> Witnesser<'n> {
    /// Prepare for `nfa`, run by `flavor`.
    pub fn new(nfa: &'n Nfa, picker: &'n Picker, limits: WitnessLimits, flavor: Flavor) -> Self {
        let big_n = (nfa.max_unrolled as usize + 2).clamp(8, 300);
        Witnesser {
            nfa,
            picker,
            limits,
            big_n,
            accept_word: if flavor == Flavor::Pcre { accept_word(nfa, picker) } else { None },
            alphabet: suffix_alphabet(nfa),
            universal: universal_states(nfa),
            suffixes: HashMap::new(),
            work: Cell::new(limits.max_work),
            rarity: rarity(nfa),
            word_guards: guarded_by(nfa, bits::WORD_B | bits::NOT_WORD_B),
            line_guards: guarded_by(nfa, bits::START_LINE),
        }
    }

    /// The character of `set` that the fewest edges of the NFA accept
    /// (readable first among equals). The pattern's own literals read
    /// best but are the characters most likely to start another branch
    /// (`/` and `$` in `^[^.]*?(?:'[^\n/]+/|/[^/]+?'|\$[…])`), which
    /// then matches and cuts the pumped paths off.
    ///
    /// ASCII when the set has any: a rare non-ASCII character is usually
    /// there by case folding (`ſ` in `(?i)s`), which the engines apply
    /// only in their Unicode modes.
    fn quiet(&self, set: &CharSet) -> Option<char> {
        let ascii = set.intersect(&CharSet::from_ranges([(0, 0x7f)]));
        let set = if ascii.is_empty() { set } else { &ascii };
        let mut best = u32::MAX;
        let mut ranges: Vec<(u32, u32)> = Vec::new();
        for &(a, b) in set.ranges() {
            let mut i = self.rarity.partition_point(|r| r.0 <= a).saturating_sub(1);
            while i < self.rarity.len() && self.rarity[i].0 <= b {
                let lo = a.max(self.rarity[i].0);
                let hi = self.rarity.get(i + 1).map_or(b, |r| b.min(r.0 - 1));
                let count = self.rarity[i].1;
                if count < best {
                    best = count;
                    ranges.clear();
                }
                if count == best && lo <= hi {
                    ranges.push((lo, hi));
                }
                i += 1;
            }
        }
        CharSet::from_ranges(ranges).representative()
    }

    /// `word` with its last character replaced by one of `set` on the
    /// other side of the word/non-word line, if `set` has one. Where a
    /// `\b` guards the restart of the pattern, the character before each
    /// copy of the pump decides whether the engine may start there again
    /// (`\bjava[.a-z]+E` restarts after `java.`, never after `javaj`).
    ///
    /// Two choices when they differ: the most readable character, and the
    /// quietest one (the readable one is often a literal of the pattern
    /// that lets the continuation match at once: `/` in
    /// `\b(?:HTC/|)HTC(.*?)(?:[;/()]|$)`).
    fn flip_last(&self, word: &[char], set: Option<&CharSet>) -> Vec<Vec<char>> {
        let (Some(&last), Some(set)) = (word.last(), set) else { return Vec::new() };
        let words = &self.nfa.word_chars;
        let other = if words.contains(last) { set.difference(words) } else { set.intersect(words) };
        let mut out: Vec<Vec<char>> = Vec::new();
        for c in self.picker.choices(&other, 1).into_iter().chain(self.quiet(&other)) {
            let mut w = word.to_vec();
            if let Some(l) = w.last_mut() {
                *l = c;
            }
            if !out.contains(&w) {
                out.push(w);
            }
        }
        out
    }

    /// Whether the work budget ran out (later attacks are not searched).
    pub fn exhausted(&self) -> bool {
        self.work.get() == 0
    }

    /// Build and check an attack for loops `loops` reached by the per-step
    /// sets `prefix`, pumped by the per-step sets `pump`.
    pub fn attack(&mut self, prefix: &[CharSet], pump: &[CharSet], loops: &[StateId]) -> Option<Found> {
        let nfa = self.nfa;
        if self.exhausted() {
            return None;
        }
        // A loop state from which everything matches can never be made to
        // fail.
        if loops.iter().any(|&l| Some(l) != nfa.search_loop && self.universal[l as usize]) {
            return None;
        }
        let picker = self.picker;
        let pre_choices: Vec<Vec<char>> = prefix.iter().map(|s| picker.choices(s, 2)).collect();
        let pump_choices: Vec<Vec<char>> = pump.iter().map(|s| picker.choices(s, 4)).collect();
        if pre_choices.iter().chain(&pump_choices).any(Vec::is_empty) {
            return None;
        }
        // Variants: all first choices; then one pump position changed at a
        // time; then one prefix position changed at a time.
        let base_pre: Vec<char> = pre_choices.iter().map(|c| c[0]).collect();
        let base_pump: Vec<char> = pump_choices.iter().map(|c| c[0]).collect();
        let mut variants: Vec<(Vec<char>, Vec<char>)> = vec![(base_pre.clone(), base_pump.clone())];
        // Characters that start no other branch.
        let quiet_pre: Option<Vec<char>> = prefix.iter().map(|s| self.quiet(s)).collect();
        let quiet_pump: Option<Vec<char>> = pump.iter().map(|s| self.quiet(s)).collect();
        if let (Some(qpre), Some(qpump)) = (&quiet_pre, &quiet_pump) {
            variants.push((qpre.clone(), qpump.clone()));
            variants.push((base_pre.clone(), qpump.clone()));
        }
        // The restart boundary after each copy of the pump.
        if self.word_guards {
            for p in self.flip_last(&base_pump, pump.last()) {
                variants.push((base_pre.clone(), p));
            }
        }
        // Where a multi-line `^` guards the restart, the engine starts
        // again only after a line terminator: end each copy of the pump
        // (and the prefix) with one (`(?m)^<[^ ]* x` on `<\n` × n).
        if self.line_guards {
            // The pump's sets come from loops whose labels ignore guards,
            // so the last one may lack a line terminator the loops do
            // take (`(?m)^<[^ ]* x.*$` pumps `[^\n ]`): then try `\n`
            // anyway; the concrete checks below reject what does not pump.
            let lt = &self.nfa.line_terminators;
            let ends_line = |word: &[char], set: Option<&CharSet>| -> Option<Vec<char>> {
                let own = picker.choices(&set?.intersect(lt), 1).first().copied();
                let c = own.or_else(|| if lt.contains('\n') { Some('\n') } else { lt.representative() })?;
                let mut w = word.to_vec();
                *w.last_mut()? = c;
                Some(w)
            };
            let pump_nl = ends_line(&base_pump, pump.last());
            let pre_nl = ends_line(&base_pre, prefix.last());
            if let Some(p) = &pump_nl {
                variants.push((base_pre.clone(), p.clone()));
            }
            if let Some(pre) = &pre_nl {
                variants.push((pre.clone(), pump_nl.clone().unwrap_or_else(|| base_pump.clone())));
            }
        }
        for (i, cs) in pump_choices.iter().enumerate() {
            for &c in cs.iter().skip(1) {
                let mut p = base_pump.clone();
                p[i] = c;
                variants.push((base_pre.clone(), p));
            }
        }
        if pump_choices.len() > 1 {
            // Change every position at once too (a pump like `ab` may need
            // both characters changed).
            let all: Vec<char> = pump_choices.iter().map(|c| *c.get(1).unwrap_or(&c[0])).collect();
            variants.push((base_pre.clone(), all));
        }
        for (i, cs) in pre_choices.iter().enumerate() {
            for &c in cs.iter().skip(1) {
                let mut p = base_pre.clone();
                p[i] = c;
                variants.push((p, base_pump.clone()));
            }
        }
        let mut unique: Vec<(Vec<char>, Vec<char>)> = Vec::with_capacity(variants.len());
        for v in variants {
            if !unique.contains(&v) {
                unique.push(v);
            }
        }
        let mut sim = Sim::new(nfa, &self.work);
        for (pre, pu) in unique.into_iter().take(self.limits.max_variants) {
            let Some(start) = mark(&mut sim, &pre, &pu, 4, loops) else { continue };
            if start.0.iter().any(|&(s, f)| f && self.universal[s as usize]) {
                continue;
            }
            let suffix = if let Some(s) = self.suffixes.get(&start) {
                s.clone()
            } else {
                let s = find_suffix(nfa, &self.work, start.clone(), &self.alphabet, &self.limits);
                self.suffixes.insert(start, s.clone());
                s
            };
            let Some(suffix) = suffix else { continue };
            if !pumps_concretely(nfa, &self.work, &pu, loops) {
                continue;
            }
            if self.valid(&pre, &pu, &suffix, loops) {
                let (pre, pu, mut suffix) = rotate(nfa, &self.work, pre, pu, suffix, loops);
                if let Some(w) = &self.accept_word {
                    // PCRE rejects a subject at once when it lacks a
                    // character every match needs: end the attack with a
                    // match of its own, after the pumped part has failed.
                    for sep in [&[][..], &['\n'][..], &[' '][..]] {
                        let mut t = suffix.clone();
                        t.extend_from_slice(sep);
                        t.extend_from_slice(w);
                        if self.valid(&pre, &pu, &t, loops) {
                            suffix = t;
                            break;
                        }
                    }
                }
                return Some(Found {
                    prefix: pre.into_iter().collect(),
                    pump: pu.into_iter().collect(),
                    suffix: suffix.into_iter().collect(),
                });
            }
        }
        None
    }
}

impl Witnesser<'_> {
    fn valid(&self, pre: &[char], pu: &[char], suffix: &[char], loops: &[StateId]) -> bool {
        [3, 8, self.big_n].iter().all(|&n| check(self.nfa, &self.work, pre, pu, suffix, loops, n))
    }
}

/// Whether the pump really goes round each loop and from each loop to the
/// next on concrete characters (guards such as `\b` included): `p → p`,
/// `p → q`, `q → q` for consecutive loops.
fn pumps_concretely(nfa: &Nfa, work: &Cell<u64>, pump: &[char], loops: &[StateId]) -> bool {
    let Some(&last) = pump.last() else { return false };
    let run = |from: StateId| -> Vec<StateId> {
        let mut sim = Sim::new(nfa, work);
        let mut list: Vec<Thread> = vec![(from, false)];
        let mut prev = Some(last);
        for &c in pump {
            list = sim.step(&list, prev, c, false).next;
            prev = Some(c);
        }
        list.into_iter().map(|t| t.0).collect()
    };
    for w in loops.windows(2) {
        let from_p = run(w[0]);
        if !from_p.contains(&w[0]) || !from_p.contains(&w[1]) || !run(w[1]).contains(&w[1]) {
            return false;
        }
    }
    if let [only] = loops {
        return run(*only).contains(only);
    }
    true
}

/// For each elementary interval of the NFA's edge labels, its first
/// character and how many labels hold it.
fn rarity(nfa: &Nfa) -> Vec<(u32, u32)> {
    let mut delta: Vec<(u32, i64)> = Vec::new();
    for st in &nfa.states {
        for e in &st.entries {
            if let Entry::Edge(e) = e {
                for &(a, b) in e.label.ranges() {
                    delta.push((a, 1));
                    if b < crate::analysis::ir::MAX_CHAR {
                        delta.push((b + 1, -1));
                    }
                }
            }
        }
    }
    delta.push((0, 0));
    delta.sort_unstable();
    let mut out: Vec<(u32, u32)> = Vec::new();
    let mut count: i64 = 0;
    let mut i = 0;
    while i < delta.len() {
        let at = delta[i].0;
        while i < delta.len() && delta[i].0 == at {
            count += delta[i].1;
            i += 1;
        }
        out.push((at, u32::try_from(count).unwrap_or(0)));
    }
    out
}

/// Whether some edge or accept of the NFA is guarded by one of `bits`.
fn guarded_by(nfa: &Nfa, bits: u16) -> bool {
    nfa.states.iter().flat_map(|st| &st.entries).any(|e| match e {
        Entry::Edge(e) => e.guard.asserts & bits != 0,
        Entry::Accept(g) => g.asserts & bits != 0,
    })
}

/// A short word the pattern matches on its own, from the start state
/// without the search loop.
fn accept_word(nfa: &Nfa, picker: &Picker) -> Option<Vec<char>> {
    let n = nfa.len();
    let mut parent: Vec<(u32, char)> = vec![(u32::MAX, ' '); n];
    let mut seen = vec![false; n];
    seen[START as usize] = true;
    let mut queue = VecDeque::from([START]);
    let mut steps = 0;
    while let Some(s) = queue.pop_front() {
        steps += 1;
        if steps > 4_000 {
            return None;
        }
        let st = &nfa.states[s as usize];
        let prev = if s == START { None } else { picker.choices(&st.set, 1).first().copied() };
        let ends = st.entries.iter().any(|e| matches!(e, Entry::Accept(g) if g.holds(nfa, prev, None, false)));
        if ends && s != START {
            let mut word = Vec::new();
            let mut cur = s;
            while cur != START {
                let (p, c) = parent[cur as usize];
                word.push(c);
                cur = p;
            }
            word.reverse();
            return (word.len() <= 64).then_some(word);
        }
        for e in nfa.edges(s) {
            if Some(e.to) == nfa.search_loop || seen[e.to as usize] {
                continue;
            }
            let Some(&c) = picker.choices(&e.label, 1).first() else { continue };
            seen[e.to as usize] = true;
            parent[e.to as usize] = (s, c);
            queue.push_back(e.to);
        }
    }
    None
}

/// Move the end of the prefix into the pump when they agree
/// (`a · aⁿ` reads better as `aⁿ`), keeping the attack valid.
fn rotate(
    nfa: &Nfa,
    work: &Cell<u64>,
    mut pre: Vec<char>,
    mut pu: Vec<char>,
    mut suffix: Vec<char>,
    loops: &[StateId],
) -> (Vec<char>, Vec<char>, Vec<char>) {
    let orig = (pre.clone(), pu.clone(), suffix.clone());
    let orig_suffix = suffix.clone();
    let mut moved = 0;
    while moved < pu.len() && pre.last().is_some() && pre.last() == pu.last() {
        let c = pre.pop().expect("checked non-empty");
        pu.rotate_right(1);
        suffix.insert(0, c);
        moved += 1;
    }
    if moved == 0 {
        return orig;
    }
    // Prefer dropping the moved characters (n versus n + a partial pump),
    // then dropping a whole pump, then keeping them.
    let mut tries = vec![orig_suffix];
    let mut trimmed = suffix.clone();
    while trimmed.len() >= pu.len() && trimmed[..pu.len()] == pu[..] {
        trimmed.drain(..pu.len());
    }
    tries.push(trimmed);
    tries.push(suffix);
    for t in tries {
        if check(nfa, work, &pre, &pu, &t, loops, 3) && check(nfa, work, &pre, &pu, &t, loops, 8) {
            return (pre, pu, t);
        }
    }
    orig
}

/// The states reachable from `from` on `word` through `out` edges.
pub fn run_set(out: &[Vec<crate::analysis::ambiguity::AEdge>], from: StateId, word: &[char]) -> Vec<StateId> {
    let mut cur = vec![from];
    let mut seen = vec![false; out.len()];
    for &c in word {
        let mut next = Vec::new();
        for s in &cur {
            for e in &out[*s as usize] {
                if e.label.contains(c) && !seen[e.to as usize] {
                    seen[e.to as usize] = true;
                    next.push(e.to);
                }
            }
        }
        for s in &next {
            seen[*s as usize] = false;
        }
        cur = next;
        if cur.is_empty() {
            break;
        }
    }
    cur
}

// ----- explanations --------------------------------------------------------

/// The repetitions to underline for a set of states: repetitions that
/// repeat more than once enclosing them, up to the innermost one enclosing
/// all of them (and one more when `outer_too`), outermost first.
pub fn loops_for(nfa: &Nfa, ir: &Ir, states: &[StateId], outer_too: bool) -> Vec<NodeId> {
    let mut chains: Vec<Vec<NodeId>> = Vec::new();
    for &s in states {
        if nfa.states[s as usize].node.is_none() {
            continue;
        }
        let reps: Vec<NodeId> =
            nfa.enclosing_repeats(ir, s).into_iter().filter(|&r| repeats_more_than_once(ir, r)).collect();
        if !chains.contains(&reps) {
            chains.push(reps);
        }
    }
    if chains.is_empty() {
        return Vec::new();
    }
    // Innermost repetition enclosing every state.
    // A small counted repetition is unrolled into copies, so it cannot be
    // the loop that goes round: prefer one that stays a cycle in the NFA.
    let shared = |r: &NodeId| chains.iter().all(|c| c.contains(r));
    let common = chains[0]
        .iter()
        .copied()
        .find(|r| shared(r) && stays_a_cycle(ir, *r))
        .or_else(|| chains[0].iter().copied().find(shared));
    let mut out: Vec<NodeId> = Vec::new();
    for c in &chains {
        for &r in c {
            if Some(r) == common {
                break;
            }
            if !out.contains(&r) {
                out.push(r);
            }
        }
    }
    if let Some(r) = common {
        out.push(r);
        if outer_too
            && let Some(pos) = chains[0].iter().position(|&x| x == r)
            && let Some(&o) = chains[0].get(pos + 1)
        {
            out.push(o);
        }
    }
    // Outermost (widest span) first.
    out.sort_by_key(|&r| {
        let s = ir.node(r).span;
        (std::cmp::Reverse(s.end - s.start), s.start)
    });
    out
}

/// Whether the NFA keeps this repetition as a loop rather than unrolling it
/// into copies (see [`crate::analysis::nfa::NfaConfig::unroll_span`]).
fn stays_a_cycle(ir: &Ir, r: NodeId) -> bool {
    match &ir.node(r).kind {
        NodeKind::Repeat(rep) => {
            rep.max.is_none_or(|m| m.saturating_sub(rep.min) > crate::analysis::nfa::NfaConfig::default().unroll_span)
        }
        _ => false,
    }
}

fn repeats_more_than_once(ir: &Ir, r: NodeId) -> bool {
    match &ir.node(r).kind {
        NodeKind::Repeat(rep) => rep.max.is_none_or(|m| m > 1),
        _ => false,
    }
}

/// The quantifier span of a repetition node.
pub fn op_span(ir: &Ir, r: NodeId) -> PatternSpan {
    match &ir.node(r).kind {
        NodeKind::Repeat(rep) => rep.op_span,
        _ => ir.node(r).span,
    }
}

/// How to name a repetition in a message: its text when short, else its
/// quantifier and position.
pub fn name_loop(ir: &Ir, r: NodeId, pattern: Option<&str>) -> String {
    let span = ir.node(r).span;
    let op = op_span(ir, r);
    if let Some(p) = pattern
        && let Some(text) = p.get(span.start..span.end)
    {
        if text.chars().count() <= 24 {
            return format!("`{text}` (pattern offset {})", span.start);
        }
        if let Some(q) = p.get(op.start..op.end) {
            return format!("the `{q}` at pattern offset {} (repeating {}..{})", op.start, span.start, op.end);
        }
    }
    format!("the repetition at pattern offsets {}..{}", span.start, span.end)
}

/// A string literal for messages: printable, escaped, short.
pub fn show(s: &str) -> String {
    let mut out = String::from("\"");
    for (i, c) in s.chars().enumerate() {
        if i >= 40 {
            out.push('…');
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether the flavor has atomic groups and possessive quantifiers.
pub fn has_atomic(flavor: Flavor) -> bool {
    matches!(flavor, Flavor::Pcre | Flavor::Java | Flavor::Python)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::ambiguity::{Budget, Graph, Sccs, analyze};
    use crate::analysis::nfa::NfaConfig;
    use crate::analysis::parse::{ParseConfig, parse};
    use crate::source::Semantics;

    fn first_attack(p: &str, flavor: Flavor, sem: Semantics) -> Option<Found> {
        let ir = parse(p, &ParseConfig::new(flavor)).expect("parses");
        let nfa = Nfa::build(&ir, flavor, sem, &NfaConfig::default()).expect("builds");
        let g = Graph::new(&nfa);
        let s = Sccs::new(&g);
        let a = analyze(&nfa, &g, &s, &mut Budget::new(1_000_000), 2, 32);
        let picker = Picker::new(&ir);
        let mut w = Witnesser::new(&nfa, &picker, WitnessLimits::default(), flavor);
        for e in &a.eda {
            let prefix = g.path_from_start(e.state)?;
            if let Some(f) = w.attack(&prefix, &e.pump, &[e.state]) {
                return Some(f);
            }
        }
        for i in &a.ida {
            let prefix = if Some(i.p) == nfa.search_loop { Vec::new() } else { g.path_from_start(i.p)? };
            if let Some(f) = w.attack(&prefix, &i.pump, &[i.p, i.q]) {
                return Some(f);
            }
        }
        None
    }

    #[test]
    fn classic_attacks() {
        let f = first_attack("^(a+)+$", Flavor::Js, Semantics::Search).expect("attack");
        assert_eq!((f.prefix.as_str(), f.pump.as_str()), ("", "a"));
        assert!(!f.suffix.is_empty());
        let f = first_attack("(a+)+b", Flavor::Js, Semantics::Search).expect("attack");
        assert_eq!(f.pump, "a");
        let f = first_attack(r"\s*$", Flavor::Js, Semantics::Search).expect("attack");
        assert_eq!(f.pump, " ");
        assert_eq!(f.suffix, "!");
    }

    #[test]
    fn pcre_dollar_needs_more_than_a_final_newline() {
        let f = first_attack("#.*$", Flavor::Js, Semantics::Search).expect("attack");
        assert_eq!(f.suffix, "\n");
        let f = first_attack("#.*$", Flavor::Pcre, Semantics::Search).expect("attack");
        assert!(f.suffix.len() >= 2, "{f:?}");
    }

    #[test]
    fn always_matching_patterns_have_no_attack() {
        for p in ["(a*)*", "^(a*)*", "a+a+", "#.*"] {
            assert!(first_attack(p, Flavor::Js, Semantics::Search).is_none(), "{p}");
        }
    }

    #[test]
    fn avoids_characters_that_match() {
        let f = first_attack(r"\w+a", Flavor::Js, Semantics::Search).expect("attack");
        assert_ne!(f.pump, "a");
    }

    #[test]
    fn picker_prefers_literals() {
        let ir = parse(r"x\w+", &ParseConfig::new(Flavor::Pcre)).expect("parses");
        let p = Picker::new(&ir);
        let w = CharSet::from_ranges([(u32::from('0'), u32::from('9')), (u32::from('a'), u32::from('z'))]);
        assert_eq!(p.choices(&w, 3)[0], 'x');
        assert_eq!(p.choices(&w, 3).len(), 3);
    }
}
