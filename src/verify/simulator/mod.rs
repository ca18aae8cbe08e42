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
//!
//! Layout: `compile` lowers the IR to a [`Program`]; `vm` runs it (the
//! backtracking VM, its [`Cache`] and the step counting). This module
//! holds the types both share.

mod compile;
mod vm;

use std::fmt;

use crate::analysis::ir::{Assertion, CharSet};
use crate::source::{Flavor, Semantics};

pub use vm::Cache;

/// "Unset" marker for capture slots and registers.
const NONE: u32 = u32::MAX;

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
    /// Run greedy one-character loops fused (default on). The step counts
    /// are the same either way; off is for testing exactly that.
    pub fuse: bool,
}

impl SimOptions {
    /// Defaults for a flavor and semantics: 10 million steps, programs of up
    /// to 200,000 instructions, a backtrack stack of up to about a million entries (12 MiB).
    pub fn new(flavor: Flavor, semantics: Semantics) -> Self {
        SimOptions {
            semantics,
            flavor,
            max_steps: 10_000_000,
            max_program_size: 200_000,
            max_stack: 1 << 20,
            fuse: true,
        }
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
    /// A greedy `*` loop over one character, fused: stands for
    /// `Split(pc + 1, exit)` with the one-character instruction at `pc + 1`
    /// and `Jmp(pc)` at `pc + 2`, and runs them without dispatch, counting
    /// the same steps and pushing the same backtrack points.
    StarLoop { exit: u32 },
    /// The rest of a greedy `+` loop over one character, fused: stands for
    /// `Split(pc + 1, exit)` after the one-character instruction at
    /// `pc - 1`, with `Jmp(pc - 1)` at `pc + 1`.
    PlusLoop { exit: u32 },
    /// A greedy counted loop over one character, fused: stands for
    /// `CounterLoop { c, min, max, greedy, body: pc + 1, exit }` with the
    /// one-character instruction at `pc + 1`, `CounterIncr(c)` at `pc + 2`
    /// and `Jmp(pc)` at `pc + 3`.
    CountLoop { c: u32, min: u32, max: u32, exit: u32 },
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
    /// When the program begins with `k` `Save`s and then a one-character
    /// instruction: `(k, that instruction)`. A search attempt at a
    /// position that character does not match costs exactly `k + 1` steps
    /// and fails, so the VM counts them without running it.
    lead: Option<(u32, Inst)>,
}

impl Program {
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

    /// The fused one-character loops count exactly what the three
    /// instructions they stand for count: same steps, same outcome, same
    /// point where a step or stack budget stops the run.
    mod fused {
        use super::*;
        use proptest::prelude::*;

        fn pattern() -> impl Strategy<Value = String> {
            let atom = proptest::sample::select(
                &["a", "b", ".", "[ab]", "[^a]", "\\s", "(?:ab)", "(a)", "(?:a|b)", "x", "\\b", "$"][..],
            );
            // `{0,100}`, `{3,70}` and `{70,}` run with a counter.
            let quant = proptest::sample::select(
                &["", "*", "+", "*?", "+?", "?", "{2}", "*+", "{1,3}", "{0,100}", "{3,70}", "{70,}", "{0,100}?"][..],
            );
            proptest::collection::vec((atom, quant), 1..7)
                .prop_map(|v| v.into_iter().flat_map(|(a, q)| [a, q]).collect::<String>())
        }

        fn pair(pattern: &str, flavor: Flavor, semantics: Semantics, max_stack: usize) -> Option<(Program, Program)> {
            let ir = parse(pattern, &ParseConfig::new(flavor)).ok()?;
            let fused = SimOptions { max_stack, ..SimOptions::new(flavor, semantics) };
            let plain = SimOptions { fuse: false, ..fused };
            Some((Program::compile(&ir, &fused).ok()?, Program::compile(&ir, &plain).ok()?))
        }

        #[test]
        fn loops_are_fused() {
            let (fused, plain) =
                pair("a.*b[^x]+c.{0,200}d", Flavor::Pcre, Semantics::Search, 1 << 20).expect("compiles");
            let text = format!("{fused:?}");
            assert!(text.contains("StarLoop") && text.contains("PlusLoop") && text.contains("CountLoop"), "{text}");
            let plain = format!("{plain:?}");
            assert!(["StarLoop", "PlusLoop", "CountLoop"].iter().all(|f| !plain.contains(f)), "{plain}");
            // A search skips the start positions where the first character
            // (after the opening `Save`s) cannot match, counting their steps.
            let (fused, plain) = pair("(?<k>x)y", Flavor::Pcre, Semantics::Search, 1 << 20).expect("compiles");
            assert_eq!(fused.lead, Some((1, Inst::Char('x'))), "{fused:?}");
            assert_eq!(plain.lead, None);
        }

        proptest! {
            #[test]
            fn same_steps_as_unfused(
                pattern in pattern(),
                input in "[abx \n]{0,24}",
                budget in 1u64..400,
                max_stack in proptest::sample::select(&[4usize, 16, 1 << 20][..]),
                flavor in proptest::sample::select(&[Flavor::Pcre, Flavor::Js, Flavor::Python][..]),
                semantics in proptest::sample::select(&[Semantics::Search, Semantics::AnchoredStart, Semantics::FullMatch][..]),
            ) {
                let Some((fused, plain)) = pair(&pattern, flavor, semantics, max_stack) else { return Ok(()) };
                let chars: Vec<char> = input.chars().collect();
                for b in [budget, 1_000_000] {
                    prop_assert_eq!(fused.run(&chars, b), plain.run(&chars, b), "{} on {:?}, budget {}", pattern, input, b);
                }
                let (mut c1, mut c2) = (fused.create_cache(), plain.create_cache());
                prop_assert_eq!(fused.run_with(&mut c1, &chars, 1_000_000), plain.run_with(&mut c2, &chars, 1_000_000));
                prop_assert_eq!(fused.captures(&c1), plain.captures(&c2));
            }
        }
    }

    /// Counting a failed attempt from the one a period back
    /// ([`Program::run_periodic`]) gives exactly the steps and outcome of
    /// running every attempt, whatever reads the pattern makes: look-behind,
    /// backreferences, word boundaries, anchors, bounded and unbounded loops.
    mod periodic {
        use super::*;
        use proptest::prelude::*;

        fn pattern() -> impl Strategy<Value = String> {
            let atom = proptest::sample::select(
                &[
                    "a",
                    "b",
                    ".",
                    "[ab]",
                    "[^a]",
                    "(a)",
                    "(?:a|b)",
                    "x",
                    "\\b",
                    "$",
                    "^",
                    "\\A",
                    "(?<=a)",
                    "(?<!b)",
                    "(?<=ab|b)",
                    "\\1",
                    "(?=ba)",
                    "(?!a)",
                ][..],
            );
            let quant = proptest::sample::select(&["", "*", "+", "*?", "?", "{0,5}", "{2,30}", "{0,40}?", "++"][..]);
            proptest::collection::vec((atom, quant), 1..7)
                .prop_map(|v| v.into_iter().flat_map(|(a, q)| [a, q]).collect::<String>())
        }

        /// `pattern` searched over `input` both ways: the results agree,
        /// and the plain one is returned.
        fn agrees(pattern: &str, input: &str, period: usize, budget: u64) -> SimResult {
            let p = program(pattern, Flavor::Pcre, Semantics::Search);
            let chars: Vec<char> = input.chars().collect();
            let mut cache = p.create_cache();
            let plain = p.run_with(&mut cache, &chars, budget);
            assert_eq!(p.run_periodic(&mut cache, &chars, budget, period), plain, "{pattern} on {input:?}");
            plain
        }

        #[test]
        fn a_bounded_search_counts_most_attempts_from_the_last_period() {
            // `.{0,20}(Teams)/` on `Tab` × 400: the same steps as a plain run.
            let input = format!("x{}Teams", "Tab".repeat(400));
            let plain = agrees(".{0,20}(Teams)/", &input, 3, u64::MAX);
            assert!(plain.steps > 10_000, "{plain:?}");
            // A budget stops both at the same step.
            agrees(".{0,20}(Teams)/", &input, 3, plain.steps / 2);
        }

        #[test]
        fn a_backreference_depends_on_every_character_it_compares() {
            // At 16, `\\1` compares "ax" with "ab" and fails at 19, past
            // the highest position the attempt held; at 20 it matches.
            let input = format!("{}ababzzz", "abax".repeat(5));
            assert_eq!(agrees("(ab)\\1", &input, 4, u64::MAX).outcome, Outcome::Match { start: 20, end: 24 });
        }

        #[test]
        fn a_look_behind_depends_on_how_far_back_it_reaches() {
            // At 3 the look-behind reads "xba" and fails; at 5 it reads "aba"
            // and matches, though 3..6 and 5..8 agree.
            assert_eq!(agrees("(?<=a..)b", "xbababababab", 2, u64::MAX).outcome, Outcome::Match { start: 5, end: 6 });
        }

        proptest! {
            #[test]
            fn same_result_as_running_every_attempt(
                pattern in pattern(),
                prefix in "[ab\\n]{0,3}",
                pump in "[abx \\n]{1,4}",
                n in 0usize..40,
                suffix in "[abx]{0,3}",
                budget in proptest::sample::select(&[50u64, 700, 5_000, 1_000_000][..]),
                flavor in proptest::sample::select(&[Flavor::Pcre, Flavor::Js, Flavor::Python, Flavor::Java][..]),
            ) {
                let Ok(ir) = parse(&pattern, &ParseConfig::new(flavor)) else { return Ok(()) };
                let Ok(p) = Program::compile(&ir, &SimOptions::new(flavor, Semantics::Search)) else { return Ok(()) };
                let input = format!("{prefix}{}{suffix}", pump.repeat(n));
                let chars: Vec<char> = input.chars().collect();
                let mut cache = p.create_cache();
                let plain = p.run_with(&mut cache, &chars, budget);
                for period in [pump.chars().count(), 1, 2] {
                    prop_assert_eq!(
                        p.run_periodic(&mut cache, &chars, budget, period),
                        plain,
                        "{} on {:?}, period {}, budget {}", pattern, input, period, budget
                    );
                }
            }
        }
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
