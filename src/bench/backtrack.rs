//! The backtracking engine's figures: steps per input byte on the corpus
//! and the inputs that hit the step limit.
//!
//! Where it sits: one of the three measurements of a rule. The engine is
//! real PCRE2 (`crate::engine::pcre`) when the `pcre2` feature is built (the
//! default); without it, cfglint's own step-counting simulator
//! ([`Simulator`], from `verify`), and the report names the engine.
//!
//! Guarantees: every match runs under `step_limit` steps, and a rule stops
//! being measured once it has spent `rule_budget` steps over the corpus
//! (the figures then cover the inputs measured so far and say so), so a
//! catastrophic rule costs at most its budget.

use std::time::Duration;

use serde::Serialize;

use super::linear::Values;
use super::stats::Dist;
use crate::analysis::parse;
use crate::source::{Flags, Flavor, Semantics};
use crate::verify::{Cache, Outcome as SimOutcome, Program, SimOptions};

/// How one counted match ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Matched.
    Match,
    /// Did not match.
    NoMatch,
    /// A limit stopped it (the engine's name for the limit).
    Limit(&'static str),
}

/// One counted match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    /// How it ended.
    pub verdict: Verdict,
    /// Steps taken.
    pub steps: u64,
    /// The engine's work: steps plus the subject bytes scanned between
    /// them (PCRE2; the simulator's steps already include its scans). The
    /// same measure `cfglint check`'s PCRE2 replay uses
    /// (`verify::engine`), so a possessive or auto-possessified scan is
    /// costed by the bytes it reads.
    pub work: u64,
}

/// A backtracking engine that counts its steps.
pub trait StepCounter {
    /// `pcre2` or `simulator`.
    fn engine(&self) -> &'static str;
    /// The engine's version, when it has one.
    fn version(&self) -> Option<String>;
    /// Search `subject`, stopping after `budget` steps.
    fn count(&mut self, subject: &[u8], budget: u64) -> Run;
    /// Time one uncounted search of `subject` (`None` when the engine
    /// cannot run uninstrumented).
    fn time(&mut self, subject: &[u8]) -> Option<Duration>;
}

#[cfg(feature = "pcre2")]
impl StepCounter for crate::engine::pcre::Pcre {
    fn engine(&self) -> &'static str {
        "pcre2"
    }

    fn version(&self) -> Option<String> {
        Some(crate::engine::pcre::version())
    }

    fn count(&mut self, subject: &[u8], budget: u64) -> Run {
        use crate::engine::pcre::{LimitKind, Outcome};
        let c = self.count_with_budget(subject, budget);
        let verdict = match c.outcome {
            Outcome::Match => Verdict::Match,
            Outcome::NoMatch => Verdict::NoMatch,
            Outcome::Limit(LimitKind::Steps) => Verdict::Limit("step limit"),
            Outcome::Limit(LimitKind::Match) => Verdict::Limit("PCRE2 match limit"),
            Outcome::Limit(LimitKind::Depth) => Verdict::Limit("PCRE2 depth limit"),
            Outcome::Limit(LimitKind::Heap) => Verdict::Limit("PCRE2 heap limit"),
            Outcome::Limit(LimitKind::Other(_)) => Verdict::Limit("PCRE2 error"),
        };
        Run { verdict, steps: c.steps, work: c.steps.saturating_add(c.scanned) }
    }

    fn time(&mut self, subject: &[u8]) -> Option<Duration> {
        Some(crate::engine::pcre::Pcre::time(self, subject).1)
    }
}

/// The step-counting engine for a pattern, or why there is none.
#[cfg(feature = "pcre2")]
pub fn counter(pattern: &str, flags: Flags, step_limit: u64) -> Result<Box<dyn StepCounter>, Unavailable> {
    // PCRE2's own match limit counts per start position and would cap the
    // worst-case probe below its budget; the step callout is the limit that
    // governs counted matches, and uncounted (timed) matches are only run on
    // inputs whose counted match finished within budget.
    let limits = crate::engine::pcre::Limits {
        steps: step_limit,
        match_limit: u32::MAX,
        ..crate::engine::pcre::Limits::default()
    };
    crate::engine::pcre::Pcre::new(pattern, flags, limits)
        .map(|p| Box::new(p) as Box<dyn StepCounter>)
        .map_err(|e| Unavailable::Invalid(e.to_string()))
}

/// The step-counting engine for a pattern, or why there is none: the
/// project's simulator when this build has no PCRE2.
#[cfg(not(feature = "pcre2"))]
pub fn counter(pattern: &str, flags: Flags, step_limit: u64) -> Result<Box<dyn StepCounter>, Unavailable> {
    let _ = step_limit;
    Simulator::new(pattern, flags, Flavor::Pcre).map(|s| Box::new(s) as Box<dyn StepCounter>)
}

/// cfglint's own step-counting backtracking simulator (`verify`), modelling
/// PCRE. Used when PCRE2 is not built. Subjects that are valid UTF-8 run
/// as characters; other bytes run one character per byte (Latin-1), as
/// PCRE's byte mode reads them. The simulator's time is not an engine's
/// time, so it gives steps only.
#[derive(Debug)]
pub struct Simulator {
    program: Program,
    cache: Cache,
    buf: Vec<char>,
}

impl Simulator {
    /// Parse and compile `pattern` for the simulator.
    pub fn new(pattern: &str, flags: Flags, flavor: Flavor) -> Result<Simulator, Unavailable> {
        let ir = parse::parse(pattern, &parse::ParseConfig::new(flavor).flags(flags)).map_err(|e| match e.kind {
            parse::ParseErrorKind::Syntax => {
                Unavailable::Invalid(format!("{} (pattern offset {})", e.message, e.span.start))
            }
            parse::ParseErrorKind::Limit => Unavailable::TooLarge(e.message),
        })?;
        let program = Program::compile(&ir, &SimOptions::new(flavor, Semantics::Search))
            .map_err(|e| Unavailable::TooLarge(e.to_string()))?;
        let cache = program.create_cache();
        Ok(Simulator { program, cache, buf: Vec::new() })
    }
}

impl StepCounter for Simulator {
    fn engine(&self) -> &'static str {
        "simulator"
    }

    fn version(&self) -> Option<String> {
        None
    }

    fn count(&mut self, subject: &[u8], budget: u64) -> Run {
        self.buf.clear();
        match std::str::from_utf8(subject) {
            Ok(text) => self.buf.extend(text.chars()),
            Err(_) => self.buf.extend(subject.iter().map(|&b| char::from(b))),
        }
        let r = self.program.run_with(&mut self.cache, &self.buf, budget);
        let verdict = match r.outcome {
            SimOutcome::Match { .. } => Verdict::Match,
            SimOutcome::NoMatch => Verdict::NoMatch,
            SimOutcome::Budget => Verdict::Limit("step limit"),
        };
        Run { verdict, steps: r.steps, work: r.steps }
    }

    fn time(&mut self, _subject: &[u8]) -> Option<Duration> {
        None
    }
}

/// Why a rule has no backtracking figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unavailable {
    /// The backtracking engine rejects the pattern.
    Invalid(String),
    /// The pattern is beyond the simulator's size limits.
    TooLarge(String),
    /// This build has no step-counting engine.
    NoEngine,
}

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unavailable::Invalid(m) => write!(f, "{m}"),
            Unavailable::TooLarge(m) => write!(f, "the simulator cannot run this pattern: {m}"),
            Unavailable::NoEngine => {
                f.write_str("no backtracking engine in this build (built without the `pcre2` feature)")
            }
        }
    }
}

/// Backtracking figures for one rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    /// `pcre2` or `simulator`.
    pub engine: &'static str,
    /// The engine's version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Work per input byte over the inputs measured: PCRE2 steps plus the
    /// subject bytes scanned between them (see [`Run::work`]).
    pub steps_per_byte: Dist,
    /// Inputs whose match was stopped by a limit.
    pub limit_hits: usize,
    /// Where the first few limit hits came from (corpus origins).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub limit_hit_inputs: Vec<String>,
    /// Inputs measured.
    pub inputs: usize,
    /// Inputs matched.
    pub matches: usize,
    /// Steps over every input measured.
    pub steps_total: u64,
    /// The per-match step limit.
    pub step_limit: u64,
    /// Set when the rule's step budget ran out: inputs measured before it
    /// did (the figures cover only those).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_exhausted_after: Option<usize>,
}

/// How many limit-hit inputs are listed by origin.
const LISTED_LIMIT_HITS: usize = 5;

/// Count steps on every input. Returns the figures and, per input, whether
/// it matched (`None`: a limit stopped it or the budget ran out first).
/// `origin` names a corpus input (by index) for the limit-hit list. A
/// streamed corpus goes through a [`Meter`].
pub fn measure(
    counter: &mut dyn StepCounter,
    values: &Values<'_>,
    step_limit: u64,
    rule_budget: u64,
    origin: &dyn Fn(usize) -> String,
) -> (Figures, Vec<Option<bool>>) {
    let mut meter = Meter::new(step_limit, rule_budget);
    let matched = meter.feed(counter, values, origin);
    (meter.finish(counter), matched)
}

/// The most value bytes one [`Meter`] remembers runs for (memory stays
/// bounded whatever the corpus size; values past it are simply run).
const MEMO_BYTES: usize = 8 << 20;

/// The backtracking figures of one rule over a corpus read a chunk at a
/// time: the step budget, the limit-hit list and the per-byte sample carry
/// over from chunk to chunk, so the figures are the ones [`measure`] gives
/// on the whole corpus at once.
///
/// Corpus values repeat (the same headers and cookies in request after
/// request: 70 % of the values CRS rules read in the CRS regression
/// requests). A step count is a function of the engine, the pattern and
/// the subject, so a value whose run finished is remembered with its
/// count, and the same bytes later reuse it while the budget left covers
/// its steps (a run under a smaller budget could have stopped at the
/// limit, so it runs again). The figures are those of running every value.
#[derive(Debug)]
pub struct Meter {
    step_limit: u64,
    rule_budget: u64,
    per_byte: Vec<f64>,
    limit_hits: usize,
    limit_hit_inputs: Vec<String>,
    total: u64,
    exhausted: Option<usize>,
    matches: usize,
    /// Finished runs by value, and the bytes of those values.
    memo: std::collections::HashMap<Box<[u8]>, Run>,
    memo_bytes: usize,
}

impl Meter {
    /// A meter under these limits.
    pub fn new(step_limit: u64, rule_budget: u64) -> Meter {
        Meter {
            step_limit,
            rule_budget,
            per_byte: Vec::new(),
            limit_hits: 0,
            limit_hit_inputs: Vec::new(),
            total: 0,
            exhausted: None,
            matches: 0,
            memo: std::collections::HashMap::new(),
            memo_bytes: 0,
        }
    }

    /// Count `subject` under `budget`, or reuse the count of the same
    /// bytes when that run finished within `budget`.
    fn count(&mut self, counter: &mut dyn StepCounter, subject: &[u8], budget: u64) -> Run {
        if let Some(run) = self.memo.get(subject).filter(|r| r.steps <= budget) {
            return *run;
        }
        let run = counter.count(subject, budget);
        if !matches!(run.verdict, Verdict::Limit(_)) && self.memo_bytes + subject.len() <= MEMO_BYTES {
            self.memo_bytes += subject.len();
            self.memo.insert(subject.into(), run);
        }
        run
    }

    /// Inputs measured so far.
    pub fn inputs(&self) -> usize {
        self.per_byte.len()
    }

    /// Set when the rule's step budget ran out: inputs measured before.
    pub fn exhausted_after(&self) -> Option<usize> {
        self.exhausted
    }

    /// Count steps on one chunk's values. Returns, per input, whether it
    /// matched (`None`: a limit stopped it or the budget ran out first).
    pub fn feed(
        &mut self,
        counter: &mut dyn StepCounter,
        values: &Values<'_>,
        origin: &dyn Fn(usize) -> String,
    ) -> Vec<Option<bool>> {
        let (step_limit, rule_budget) = (self.step_limit, self.rule_budget);
        let mut matched = vec![None; values.len()];
        if self.exhausted.is_some() {
            return matched;
        }
        for (i, slot) in matched.iter_mut().enumerate() {
            if self.total >= rule_budget {
                self.exhausted = Some(self.per_byte.len());
                break;
            }
            let mut steps = 0u64;
            let mut work = 0u64;
            let mut bytes = 0u64;
            let mut result = Some(false);
            for v in values.of(i) {
                let run = self.count(counter, v, step_limit.min(rule_budget - self.total.min(rule_budget)).max(1));
                steps += run.steps;
                work += run.work;
                bytes += v.len() as u64;
                match run.verdict {
                    Verdict::Match => {
                        result = Some(true);
                        break;
                    }
                    Verdict::NoMatch => {}
                    Verdict::Limit(_) => {
                        result = None;
                        break;
                    }
                }
            }
            self.total += steps;
            if result.is_none() {
                self.limit_hits += 1;
                if self.limit_hit_inputs.len() < LISTED_LIMIT_HITS {
                    self.limit_hit_inputs.push(origin(values.inputs[i]));
                }
            }
            if result == Some(true) {
                self.matches += 1;
            }
            *slot = result;
            self.per_byte.push(work as f64 / bytes.max(1) as f64);
        }
        matched
    }

    /// The figures over everything fed.
    pub fn finish(mut self, counter: &dyn StepCounter) -> Figures {
        Figures {
            engine: counter.engine(),
            version: counter.version(),
            inputs: self.per_byte.len(),
            steps_per_byte: Dist::of(&mut self.per_byte),
            limit_hits: self.limit_hits,
            limit_hit_inputs: self.limit_hit_inputs,
            matches: self.matches,
            steps_total: self.total,
            step_limit: self.step_limit,
            budget_exhausted_after: self.exhausted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_simulator_counts_steps_on_bytes() {
        let mut sim = Simulator::new("^(a+)+$", Flags::default(), Flavor::Pcre).unwrap();
        let short = sim.count(b"aaaa!", 1_000_000);
        let long = sim.count(b"aaaaaaaa!", 1_000_000);
        assert_eq!(short.verdict, Verdict::NoMatch);
        assert!(long.steps > 8 * short.steps, "{short:?} {long:?}");
        assert_eq!(sim.count(b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", 10_000).verdict, Verdict::Limit("step limit"));
        let mut sim = Simulator::new(r"\xff+x", Flags::default(), Flavor::Pcre).unwrap();
        assert_eq!(sim.count(b"\xfe\xff\xffx", 1000).verdict, Verdict::Match);
        assert!(matches!(Simulator::new("a(", Flags::default(), Flavor::Pcre), Err(Unavailable::Invalid(_))));
        assert_eq!(sim.time(b"x"), None);
    }

    #[cfg(feature = "pcre2")]
    #[test]
    fn counts_steps_and_limit_hits() {
        let mut c = counter("^(a+)+$", Flags::default(), 100_000).unwrap();
        let long = format!("{}!", "a".repeat(30));
        let items: Vec<&[u8]> = vec![b"aaa", long.as_bytes(), b"b"];
        let values = Values::from_slices(&items);
        let (f, matched) = measure(c.as_mut(), &values, 100_000, u64::MAX, &|i| i.to_string());
        assert_eq!(matched, [Some(true), None, Some(false)]);
        assert_eq!(f.limit_hits, 1);
        assert_eq!(f.limit_hit_inputs, ["1"]);
        assert_eq!(f.matches, 1);
        assert_eq!(f.inputs, 3);
        assert!(f.steps_per_byte.max > 3000.0, "{f:?}");
    }

    #[cfg(feature = "pcre2")]
    #[test]
    fn rule_budget_stops_the_corpus_pass() {
        let mut c = counter("^(a+)+$", Flags::default(), 1_000_000).unwrap();
        let long = format!("{}!", "a".repeat(30));
        let items: Vec<&[u8]> = vec![long.as_bytes(); 10];
        let values = Values::from_slices(&items);
        let (f, matched) = measure(c.as_mut(), &values, 1_000_000, 2_500_000, &|i| i.to_string());
        assert_eq!(f.budget_exhausted_after, Some(3));
        assert_eq!(f.inputs, 3);
        assert!(matched[3..].iter().all(Option::is_none));
        assert!(f.steps_total <= 2_500_000 + 3);
    }

    /// A fake engine that counts its calls: 10 steps per subject byte,
    /// twice that in work; subjects starting with `m` match.
    #[derive(Default)]
    struct Calls {
        calls: usize,
    }

    impl StepCounter for Calls {
        fn engine(&self) -> &'static str {
            "fake"
        }

        fn version(&self) -> Option<String> {
            None
        }

        fn count(&mut self, subject: &[u8], budget: u64) -> Run {
            self.calls += 1;
            let steps = subject.len() as u64 * 10;
            if steps > budget {
                return Run { verdict: Verdict::Limit("step limit"), steps: budget + 1, work: budget + 1 };
            }
            let verdict = if subject.starts_with(b"m") { Verdict::Match } else { Verdict::NoMatch };
            Run { verdict, steps, work: 2 * steps }
        }

        fn time(&mut self, _subject: &[u8]) -> Option<Duration> {
            None
        }
    }

    #[test]
    fn a_value_seen_before_is_not_run_again() {
        // Corpus values repeat (headers, cookies): an engine gives the same
        // count for the same bytes, so each distinct value runs once.
        let items: Vec<&[u8]> = vec![b"abc", b"abc", b"mx", b"abc", b"mx", b"zz"];
        let values = Values::from_slices(&items);
        let mut c = Calls::default();
        let (f, m) = measure(&mut c, &values, 1000, u64::MAX, &|i| i.to_string());
        assert_eq!(c.calls, 3, "abc, mx and zz once each");
        assert_eq!(m, [Some(false), Some(false), Some(true), Some(false), Some(true), Some(false)]);
        assert_eq!(f.steps_total, (3 + 3 + 2 + 3 + 2 + 2) * 10);
        assert_eq!((f.matches, f.inputs, f.limit_hits), (2, 6, 0));
        assert!((f.steps_per_byte.max - 20.0).abs() < 1e-9, "{f:?}");
    }

    #[test]
    fn a_remembered_run_longer_than_the_budget_left_runs_again() {
        // 60 steps each; the rule's budget leaves 15 for the second copy,
        // which stops at the limit as a fresh run would.
        let items: Vec<&[u8]> = vec![b"abcdef", b"abcdef", b"abcdef"];
        let values = Values::from_slices(&items);
        let mut c = Calls::default();
        let (f, m) = measure(&mut c, &values, 1000, 75, &|i| i.to_string());
        assert_eq!(m, [Some(false), None, None]);
        assert_eq!(c.calls, 2);
        assert_eq!(f.limit_hits, 1);
        assert_eq!(f.budget_exhausted_after, Some(2));
    }

    #[test]
    fn a_corpus_fed_in_chunks_gives_the_whole_corpus_figures() {
        let long = format!("{}!", "a".repeat(14));
        let items: Vec<&[u8]> = vec![b"aaa", long.as_bytes(), b"b", long.as_bytes(), b"a", long.as_bytes()];
        let mut c = Simulator::new("^(a+)+$", Flags::default(), Flavor::Pcre).unwrap();
        for budget in [u64::MAX, 40_000] {
            let whole = Values::from_slices(&items);
            let (f, m) = measure(&mut c, &whole, 20_000, budget, &|i| i.to_string());
            let mut meter = Meter::new(20_000, budget);
            let mut chunked = Vec::new();
            for (k, part) in items.chunks(2).enumerate() {
                let values = Values::from_slices(part);
                chunked.extend(meter.feed(&mut c, &values, &|i| (2 * k + i).to_string()));
            }
            assert_eq!(meter.finish(&c), f, "budget {budget}");
            assert_eq!(chunked, m, "budget {budget}");
        }
    }

    #[cfg(feature = "pcre2")]
    #[test]
    fn invalid_patterns_are_reported() {
        let Err(Unavailable::Invalid(m)) = counter("a(", Flags::default(), 10) else { panic!("expected an error") };
        assert!(m.contains("parenthesis"), "{m}");
    }
}
