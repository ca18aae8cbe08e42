//! The backtracking VM: runs a [`Program`] on an input with one explicit
//! stack of backtrack points, undo entries and marks, counting steps.

use super::{Inst, MarkGroup, NONE, Outcome, Program, SimResult};
use crate::analysis::ir::Assertion;
use crate::source::{Flavor, Semantics};

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
    /// For [`Program::run_periodic`]: `agree[k]` is the first index `j >= k`
    /// with `input[j] != input[j - period]` (or the input's length).
    agree: Vec<u32>,
    /// For [`Program::run_periodic`]: the failed attempt one period back,
    /// indexed by start position modulo the period.
    seen: Vec<Option<Seen>>,
}

/// A failed attempt and the part of the input it depended on.
#[derive(Debug, Clone, Copy)]
struct Seen {
    /// Its start position.
    start: u32,
    /// The lowest position it held (`start`, or less inside a look-behind).
    lo: u32,
    /// The highest position it held (or compared a backreference up to).
    hi: u32,
    /// Its steps.
    steps: u64,
}

impl Cache {
    /// An empty cache (grows on first use).
    pub fn new() -> Self {
        Cache::default()
    }
}

impl Program {
    /// A scratch space sized for this program.
    pub fn create_cache(&self) -> Cache {
        Cache { slots: vec![NONE; self.nslots], ..Cache::default() }
    }

    /// Run on `input` with a budget of `max_steps` instructions.
    pub fn run(&self, input: &[char], max_steps: u64) -> SimResult {
        self.run_with(&mut self.create_cache(), input, max_steps)
    }

    /// Run on `input` reusing `cache` (which may come from any program).
    pub fn run_with(&self, cache: &mut Cache, input: &[char], max_steps: u64) -> SimResult {
        self.run_periodic(cache, input, max_steps, 0)
    }

    /// [`Program::run_with`] on an input that repeats with `period`
    /// characters over long stretches (an attack `prefix + pump×n +
    /// suffix`, with the pump's length): the same result, steps included,
    /// in less time. `0` is no period.
    ///
    /// A search tries an attempt at every start position. An attempt that
    /// fails is a function of the characters it read, and it reads only
    /// between the lowest and the highest position it held (one character
    /// before, for `\b` and `^`); its comparisons of positions with each
    /// other do not change when every position moves by `period`. So when
    /// the attempt one period back failed without coming within three
    /// characters of the end or reaching the start, and the input agrees
    /// with itself shifted by `period` over that window moved forward, the
    /// attempt here fails too, in the same number of steps: they are
    /// counted without running it. Only when they fit in the budget, so a
    /// run stops at the same step as it would have. Attempts that scan to
    /// the end of the input (unbounded loops) are always run.
    pub fn run_periodic(&self, cache: &mut Cache, input: &[char], max_steps: u64, period: usize) -> SimResult {
        if input.len() >= NONE as usize - 1 {
            return SimResult { steps: 0, outcome: Outcome::Budget };
        }
        cache.slots.resize(self.nslots, NONE);
        let last_start = if self.semantics == Semantics::Search { input.len() as u32 } else { 0 };
        let len = input.len() as u32;
        // Periodicity pays only for searches over inputs of several periods.
        let period = if last_start > 0 && period > 0 && 4 * period < input.len() { period as u32 } else { 0 };
        if period > 0 {
            let agree = &mut cache.agree;
            agree.clear();
            agree.resize(input.len() + 1, len);
            for k in (period as usize..input.len()).rev() {
                agree[k] = if input[k] == input[k - period as usize] { agree[k + 1] } else { k as u32 };
            }
            cache.seen.clear();
            cache.seen.resize(period as usize, None);
        }
        let mut steps = 0u64;
        for start in 0..=last_start {
            if period > 0
                && let Some(back) = cache.seen[(start % period) as usize]
                && back.start + period == start
                && back.hi + period + 3 <= len
                && back.lo >= 1
                && cache.agree[(back.lo - 1 + period) as usize] > back.hi + period
                && steps + back.steps <= max_steps
            {
                steps += back.steps;
                cache.seen[(start % period) as usize] =
                    Some(Seen { start, lo: back.lo + period, hi: back.hi + period, steps: back.steps });
                continue;
            }
            if let Some((saves, first)) = self.lead
                && !input.get(start as usize).is_some_and(|&c| self.one_char(first, c))
            {
                // The attempt would run the `Save`s, fail on the first
                // character and backtrack to nothing: count its steps.
                steps += u64::from(saves) + 1;
                if steps > max_steps {
                    return SimResult { steps: steps.min(max_steps.saturating_add(1)), outcome: Outcome::Budget };
                }
                continue;
            }
            let before = steps;
            match self.attempt(cache, input, start, &mut steps, max_steps) {
                Attempt::Match(end) => {
                    return SimResult { steps, outcome: Outcome::Match { start: start as usize, end: end as usize } };
                }
                Attempt::NoMatch { lo, hi } => {
                    if period > 0 {
                        cache.seen[(start % period) as usize] = Some(Seen { start, lo, hi, steps: steps - before });
                    }
                }
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

    /// Does the one-character instruction `inst` match `c`?
    #[inline]
    fn one_char(&self, inst: Inst, c: char) -> bool {
        match inst {
            Inst::Char(want) => c == want,
            Inst::Any => true,
            Inst::Set(i) => self.sets[i as usize].contains(c),
            _ => false,
        }
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
        let Cache { stack, slots, .. } = cache;
        stack.clear();
        slots.fill(NONE);
        let len = input.len() as u32;
        let mut pc = 0usize;
        let mut pos = start;
        // The lowest and highest positions held (see `run_periodic`): the
        // highest is taken wherever `pos` moves back (a failure, the end of
        // a look-around); a look-behind lowers the lowest, or sets it to 0
        // when its reach is unbounded or crosses the start of the input.
        let mut held_lo = start;
        let mut held_hi = start;
        let mut steps = *steps_total;
        // Every instruction, fused ones for each they stand for, first
        // checks the budget and the backtrack stack (which only grows by
        // pushes, so a check after a step that pushed nothing is the same
        // as a check of the steps alone).
        let over = |steps: u64, depth: usize| steps > max_steps || depth > self.max_stack;
        let result = 'run: loop {
            steps += 1;
            if over(steps, stack.len()) {
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
                        // Where it reaches back to, which decides every
                        // comparison below unless it is 0 or unbounded.
                        held_hi = held_hi.max(pos);
                        held_lo = if grp.max_width == NONE || pos <= grp.max_width {
                            0
                        } else {
                            held_lo.min(pos - grp.max_width)
                        };
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
                            held_hi = held_hi.max(pos);
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
                        held_hi = held_hi.max(pos.saturating_add(n as u32));
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
                Inst::StarLoop { exit } => {
                    // `Split(pc + 1, exit)`, the character at `pc + 1`,
                    // `Jmp(pc)`: each iteration pushes the Split's
                    // backtrack point and counts three steps; the failing
                    // character pops it again (as backtracking would) and
                    // the loop is left at `exit`.
                    let one = insts[pc + 1];
                    loop {
                        stack.push(Frame::Choice { pc: exit, pos });
                        steps += 1;
                        if over(steps, stack.len()) {
                            break 'run Attempt::Budget;
                        }
                        if pos < len && self.one_char(one, input[pos as usize]) {
                            pos += 1;
                            // The Jmp and the next Split, each checked (a
                            // full stack stops the run at the first).
                            steps += 1;
                            if over(steps, stack.len()) {
                                break 'run Attempt::Budget;
                            }
                            steps += 1;
                            if over(steps, stack.len()) {
                                break 'run Attempt::Budget;
                            }
                        } else {
                            stack.pop();
                            break;
                        }
                    }
                    pc = exit as usize;
                    true
                }
                Inst::PlusLoop { exit } => {
                    // `Split(pc + 1, exit)` after the character at `pc - 1`,
                    // `Jmp(pc - 1)` at `pc + 1`: push the backtrack point,
                    // count the Jmp and the character; a failing character
                    // backtracks as usual (to the point just pushed).
                    let one = insts[pc - 1];
                    loop {
                        stack.push(Frame::Choice { pc: exit, pos });
                        // The Jmp, then the character.
                        steps += 1;
                        if over(steps, stack.len()) {
                            break 'run Attempt::Budget;
                        }
                        steps += 1;
                        if over(steps, stack.len()) {
                            break 'run Attempt::Budget;
                        }
                        if pos < len && self.one_char(one, input[pos as usize]) {
                            pos += 1;
                            steps += 1;
                            if over(steps, stack.len()) {
                                break 'run Attempt::Budget;
                            }
                        } else {
                            break;
                        }
                    }
                    false
                }
                Inst::CountLoop { c, min, max, exit } => {
                    // `CounterLoop` (greedy), the character at `pc + 1`,
                    // `CounterIncr(c)`, `Jmp(pc)`: four steps an iteration,
                    // the same backtrack point and undo entry pushed, the
                    // same checks before each step.
                    let one = insts[pc + 1];
                    let c = c as usize;
                    loop {
                        let n = slots[c];
                        if n >= max && n >= min {
                            pc = exit as usize;
                            break true;
                        }
                        let optional = n >= min;
                        if optional {
                            stack.push(Frame::Choice { pc: exit, pos });
                        }
                        steps += 1;
                        if over(steps, stack.len()) {
                            break 'run Attempt::Budget;
                        }
                        if !(pos < len && self.one_char(one, input[pos as usize])) {
                            if optional {
                                stack.pop();
                                pc = exit as usize;
                                break true;
                            }
                            break false;
                        }
                        pos += 1;
                        steps += 1;
                        if over(steps, stack.len()) {
                            break 'run Attempt::Budget;
                        }
                        stack.push(Frame::Restore { slot: c as u32, old: n });
                        slots[c] = n + 1;
                        steps += 1;
                        if over(steps, stack.len()) {
                            break 'run Attempt::Budget;
                        }
                        steps += 1;
                        if over(steps, stack.len()) {
                            break 'run Attempt::Budget;
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
            held_hi = held_hi.max(pos);
            // Backtrack: unwind to the most recent choice.
            loop {
                match stack.pop() {
                    None => break 'run Attempt::NoMatch { lo: held_lo, hi: held_hi },
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
    /// Failed; the lowest and highest positions it held.
    NoMatch {
        lo: u32,
        hi: u32,
    },
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
