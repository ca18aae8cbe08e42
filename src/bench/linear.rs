//! The linear engine's figures: regex-automata's meta regex over the
//! corpus (throughput, matches, time per input).
//!
//! Where it sits: one of the three measurements of a rule (with
//! [`super::backtrack`] and [`super::worst`]). The values a rule reads are
//! gathered into a [`Values`] table before anything is timed, so the timed
//! loop is the raw regex loop plus a counter (the harness overhead is
//! measured in `benches/bench_harness.rs`).
//!
//! Patterns are read by cfglint's PCRE parser and translated to a byte-mode
//! HIR (see [`compile`]), the way ModSecurity's PCRE sees them, so invalid
//! UTF-8 inputs are matched byte by byte. regex-automata runs in time
//! linear in the input, so these matches need no step limit.

use std::time::{Duration, Instant};

use regex_automata::Input as Haystack;
pub use regex_automata::meta::{Cache, Regex};
use serde::Serialize;

use super::corpus::{Input, Selector};
use super::stats::{Dist, thread_cpu_time};
use crate::analysis::lower::{LowerOptions, lower};
use crate::analysis::parse::{ParseConfig, parse};
use crate::source::{Flags, Flavor};

/// The values one rule reads from a corpus, flattened.
#[derive(Debug, Clone, Default)]
pub struct Values<'a> {
    /// Every value, input after input.
    pub values: Vec<&'a [u8]>,
    /// Input `i` reads `values[bounds[i]..bounds[i + 1]]`.
    pub bounds: Vec<usize>,
    /// The corpus index of each input (inputs with no value are left out).
    pub inputs: Vec<usize>,
}

impl<'a> Values<'a> {
    /// Gather what `selectors` pick from every input.
    pub fn gather(corpus: &'a [Input], selectors: &[Selector]) -> Values<'a> {
        let mut v = Values { values: Vec::new(), bounds: vec![0], inputs: Vec::new() };
        for (i, input) in corpus.iter().enumerate() {
            let before = v.values.len();
            input.values(selectors, &mut v.values);
            if v.values.len() > before {
                v.bounds.push(v.values.len());
                v.inputs.push(i);
            }
        }
        v
    }

    /// Values from plain strings, one input each (tests, benchmarks).
    pub fn from_slices(items: &[&'a [u8]]) -> Values<'a> {
        Values { values: items.to_vec(), bounds: (0..=items.len()).collect(), inputs: (0..items.len()).collect() }
    }

    /// Number of inputs.
    pub fn len(&self) -> usize {
        self.inputs.len()
    }

    /// True when no input has a value for the rule.
    pub fn is_empty(&self) -> bool {
        self.inputs.is_empty()
    }

    /// The values of input `i`.
    pub fn of(&self, i: usize) -> &[&'a [u8]] {
        &self.values[self.bounds[i]..self.bounds[i + 1]]
    }

    /// Total bytes over every value.
    pub fn bytes(&self) -> u64 {
        self.values.iter().map(|v| v.len() as u64).sum()
    }
}

/// Compile for the linear engine; the error says why it could not be.
///
/// The pattern is read by cfglint's own PCRE parser (the one `check`
/// uses) and its IR translated into regex-syntax's [`Hir`], so PCRE syntax
/// that regex-syntax's parser rejects or reads differently (literal `{}`
/// and `{,`, `\Q…\E`, POSIX classes, `\h`, `\e`, octal escapes, PCRE's
/// case folding) runs as PCRE means it. The HIR is in byte mode, as
/// ModSecurity's PCRE runs without UTF: a class matches the bytes whose
/// Latin-1 character it holds, and a non-ASCII character written in the
/// pattern matches its UTF-8 bytes. Only constructs a finite automaton
/// cannot run (backreferences, look-around, `\G`, recursion, conditionals,
/// `\K`, verbs) leave a rule without linear figures; the error names them.
pub fn compile(pattern: &str, flags: Flags) -> Result<Regex, String> {
    let config = ParseConfig::new(Flavor::Pcre).flags(flags);
    let ir = parse(pattern, &config).map_err(|e| format!("{} (pattern offset {})", e.message, e.span.start))?;
    if let Some(a) = ir.approximations.first() {
        return Err(format!("{} (pattern offset {}) needs a backtracking engine", a.what, a.span.start));
    }
    let hir =
        lower(&ir, pattern, Flavor::Pcre, LowerOptions { bytes: true, captures: false }).map_err(|e| e.to_string())?;
    Regex::builder().configure(Regex::config().utf8_empty(false)).build_from_hir(&hir).map_err(|e| e.to_string())
}

/// Linear-engine figures for one rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    /// Megabytes (10⁶ bytes) scanned per second of CPU time: the median
    /// over the timed samples (at least [`MIN_SAMPLES`]).
    pub mb_per_s: f64,
    /// Spread of the samples' throughput: (fastest − slowest) / median.
    /// Identical runs agree within about this share.
    pub mb_per_s_spread: f64,
    /// Timed passes over the corpus (`samples` × passes per sample).
    pub passes: u32,
    /// Timed samples, each as many passes as last [`SAMPLE_TIME`].
    pub samples: u32,
    /// Inputs the rule matched.
    pub matches: usize,
    /// Inputs with at least one value for the rule's targets.
    pub inputs: usize,
    /// Bytes scanned by one pass (a rule stops reading an input at its
    /// first match).
    pub bytes: u64,
    /// Microseconds per KiB scanned, at the median throughput (the
    /// `max-us-per-kb` budget).
    pub us_per_kb: f64,
    /// Microseconds per input (wall clock, one pass).
    pub time_per_input_us: Dist,
}

/// The harness's timed loop: match every input (stopping at its first
/// matching value, as a WAF does), recording matches; returns bytes read.
/// `cache` is `re`'s (from [`Regex::create_cache`]): with its own cache the
/// loop costs the same on any thread, where `is_match` on a thread other
/// than the regex's first user takes a shared cache from a locked pool.
#[inline]
pub fn scan(re: &Regex, cache: &mut Cache, values: &Values<'_>, matched: &mut [bool]) -> u64 {
    let mut bytes = 0u64;
    for (i, slot) in matched.iter_mut().enumerate() {
        let mut m = false;
        for v in &values.values[values.bounds[i]..values.bounds[i + 1]] {
            bytes += v.len() as u64;
            if re.search_half_with(cache, &Haystack::new(*v).earliest(true)).is_some() {
                m = true;
                break;
            }
        }
        *slot = m;
    }
    bytes
}

/// Fewest timed samples: the median of several, taken at different
/// moments of the run, is what makes identical runs agree, where one is at
/// the mercy of the machine.
pub const MIN_SAMPLES: u32 = 7;

/// The CPU time one sample lasts at least: a sample repeats the pass over
/// the corpus until then, so a rule that scans its values in 50 µs is not
/// timed on a clock read or a cache miss.
pub const SAMPLE_TIME: Duration = Duration::from_millis(2);

/// Most passes in one sample (a corpus of a few bytes).
const MAX_PASSES_PER_SAMPLE: u32 = 100_000;

/// Throughput figures (see [`Timer`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Throughput {
    /// Median MB/s over the samples.
    pub mb_per_s: f64,
    /// (fastest − slowest) / median.
    pub mb_per_s_spread: f64,
    /// Timed passes in all.
    pub passes: u32,
    /// Timed samples.
    pub samples: u32,
}

impl Figures {
    /// Set the throughput figures [`Timer`] measured.
    pub fn set_throughput(&mut self, t: Throughput) {
        self.mb_per_s = t.mb_per_s;
        self.mb_per_s_spread = t.mb_per_s_spread;
        self.passes = t.passes;
        self.samples = t.samples;
        // 1 KiB at `mb_per_s` × 10⁶ bytes per second, in µs.
        self.us_per_kb = if t.mb_per_s > 0.0 { 1024.0 / t.mb_per_s } else { 0.0 };
    }
}

/// Measure one rule on values held at once: [`Meter`]'s counts and
/// [`Timer`]'s throughput (at least `min_time` of CPU time, at least
/// [`MIN_SAMPLES`] and at most `max_samples` samples). Returns the figures
/// and which inputs matched.
pub fn measure(re: &Regex, values: &Values<'_>, min_time: Duration, max_samples: u32) -> (Figures, Vec<bool>) {
    let mut meter = Meter::new(re);
    let matched = meter.feed(values);
    let mut timer = Timer::new(min_time, max_samples);
    timer.add(re);
    timer.feed(&[values], 1.0);
    let mut figures = meter.finish();
    if let Some(t) = timer.finish().pop() {
        figures.set_throughput(t);
    }
    (figures, matched)
}

/// The counts of one rule over a corpus read a chunk at a time: matches,
/// bytes, time per input. Throughput is timed apart, by [`Timer`], once
/// every rule has been measured, so that nothing else runs beside it.
#[derive(Debug)]
pub struct Meter<'r> {
    re: &'r Regex,
    cache: Cache,
    /// Bytes of one pass over the chunks so far.
    bytes: u64,
    per_input: Vec<f64>,
    matches: usize,
}

impl<'r> Meter<'r> {
    /// A meter for `re`.
    pub fn new(re: &'r Regex) -> Meter<'r> {
        Meter { re, cache: re.create_cache(), bytes: 0, per_input: Vec::new(), matches: 0 }
    }

    /// Inputs measured so far.
    pub fn inputs(&self) -> usize {
        self.per_input.len()
    }

    /// Measure one chunk's values. Returns which of its inputs matched.
    pub fn feed(&mut self, values: &Values<'_>) -> Vec<bool> {
        let mut matched = vec![false; values.len()];
        if values.is_empty() {
            return matched;
        }
        // Two passes on purpose: the first records the matches and lets the
        // lazy DFA build its states, so the second times each input on a
        // warm cache (a first-seen input would otherwise carry the cost of
        // state construction, and the distribution would describe the
        // cache, not the rule).
        self.bytes += scan(self.re, &mut self.cache, values, &mut matched);
        for i in 0..values.len() {
            let vals = values.of(i);
            let start = Instant::now();
            std::hint::black_box(
                vals.iter()
                    .any(|v| self.re.search_half_with(&mut self.cache, &Haystack::new(*v).earliest(true)).is_some()),
            );
            self.per_input.push(start.elapsed().as_secs_f64() * 1e6);
        }
        self.matches += matched.iter().filter(|&&m| m).count();
        matched
    }

    /// The figures over everything fed; throughput figures are zero until
    /// [`Figures::set_throughput`].
    pub fn finish(mut self) -> Figures {
        Figures {
            mb_per_s: 0.0,
            mb_per_s_spread: 0.0,
            passes: 0,
            samples: 0,
            matches: self.matches,
            inputs: self.per_input.len(),
            bytes: self.bytes,
            us_per_kb: 0.0,
            time_per_input_us: Dist::of(&mut self.per_input),
        }
    }
}

/// Throughput of several rules over one corpus, timed so that identical
/// runs agree:
/// - the clock is the thread's CPU time ([`thread_cpu_time`]): time spent
///   waiting for a core is not charged;
/// - it runs on one thread after every other measurement, so no other
///   rule's work shares the machine's caches with it;
/// - each chunk is scanned once untimed first (regex-automata's lazy DFA
///   builds its states in it);
/// - a sample is as many passes as last [`SAMPLE_TIME`] (counted on a rule's
///   first chunk); samples are taken **round-robin** over the rules, one
///   sample of each rule per round, until every rule has [`MIN_SAMPLES`]
///   and `min_time`, at most `max_samples`. A rule's samples are thus
///   spread over the whole phase, and a moment when the machine is busy
///   slows one of them, not all;
/// - the figure is the samples' median, and their spread is reported.
///
/// With more than one chunk, a rule's first chunk with values decides its
/// passes per sample and its number of samples (with `min_time` and
/// [`SAMPLE_TIME`] scaled to the chunk's share of the corpus); every later
/// chunk gets as many, and sample *k*'s time is the sum of its chunks'
/// sample *k*, so a sample still covers the whole corpus.
#[derive(Debug)]
pub struct Timer<'r> {
    min_time: Duration,
    max_samples: u32,
    jobs: Vec<Job<'r>>,
}

#[derive(Debug)]
struct Job<'r> {
    re: &'r Regex,
    cache: Cache,
    /// Passes per sample (0: not decided, no chunk with values yet).
    repeats: u32,
    /// Per sample: CPU time and bytes over the chunks so far.
    samples: Vec<(Duration, u64)>,
}

/// One rule being timed on the current chunk ([`Timer::feed`]).
struct Active<'v, 'h> {
    /// Its index in `Timer::jobs`.
    job: usize,
    /// What it reads from the chunk.
    values: &'v Values<'h>,
    /// Scratch for the matches.
    matched: Vec<bool>,
    /// Bytes of one pass.
    bytes: u64,
    /// The samples it must take on this chunk (`None`: as many as it needs,
    /// on the first chunk with values).
    quota: Option<usize>,
    /// CPU time taken on this chunk.
    total: Duration,
}

impl<'r> Timer<'r> {
    /// A timer with no rules.
    pub fn new(min_time: Duration, max_samples: u32) -> Timer<'r> {
        Timer { min_time, max_samples: max_samples.max(1), jobs: Vec::new() }
    }

    /// Time `re` too; its figures come back at the returned index.
    pub fn add(&mut self, re: &'r Regex) -> usize {
        self.jobs.push(Job { re, cache: re.create_cache(), repeats: 0, samples: Vec::new() });
        self.jobs.len() - 1
    }

    /// Time one chunk: `values[i]` is what rule `i` reads from it (empty,
    /// or missing at the end: nothing). `share` is the chunk's share of the
    /// corpus.
    pub fn feed(&mut self, values: &[&Values<'_>], share: f64) {
        let share = share.clamp(0.0, 1.0);
        let min_time = self.min_time.mul_f64(share);
        let wanted = SAMPLE_TIME.mul_f64(share).as_secs_f64();
        let most = self.max_samples;
        let mut active = Vec::new();
        for (i, job) in self.jobs.iter_mut().enumerate() {
            let Some(v) = values.get(i).copied().filter(|v| !v.is_empty()) else { continue };
            let mut matched = vec![false; v.len()];
            // Untimed: the lazy DFA builds its states.
            let bytes = scan(job.re, &mut job.cache, v, &mut matched);
            let quota = if job.repeats == 0 {
                let start = thread_cpu_time();
                std::hint::black_box(scan(job.re, &mut job.cache, v, &mut matched));
                let one = thread_cpu_time().saturating_sub(start).as_secs_f64();
                job.repeats = if one > 0.0 {
                    (wanted / one).ceil().clamp(1.0, f64::from(MAX_PASSES_PER_SAMPLE)) as u32
                } else {
                    MAX_PASSES_PER_SAMPLE
                };
                None
            } else {
                Some(job.samples.len())
            };
            active.push(Active { job: i, values: v, matched, bytes, quota, total: Duration::ZERO });
        }
        let mut round = 0usize;
        loop {
            let mut took_any = false;
            for a in &mut active {
                let job = &mut self.jobs[a.job];
                let go = match a.quota {
                    Some(n) => round < n,
                    None => (round as u32) < most && ((round as u32) < MIN_SAMPLES.min(most) || a.total < min_time),
                };
                if !go {
                    continue;
                }
                took_any = true;
                let start = thread_cpu_time();
                for _ in 0..job.repeats {
                    std::hint::black_box(scan(job.re, &mut job.cache, a.values, &mut a.matched));
                }
                let took = thread_cpu_time().saturating_sub(start);
                a.total += took;
                let b = a.bytes * u64::from(job.repeats);
                match a.quota {
                    Some(_) => {
                        job.samples[round].0 += took;
                        job.samples[round].1 += b;
                    }
                    None => job.samples.push((took, b)),
                }
            }
            if !took_any {
                break;
            }
            round += 1;
        }
    }

    /// Every rule's figures, in the order they were added (zero for a rule
    /// that read no value).
    pub fn finish(self) -> Vec<Throughput> {
        self.jobs
            .into_iter()
            .map(|job| {
                let mut rates: Vec<f64> = job
                    .samples
                    .iter()
                    .filter(|(took, _)| *took > Duration::ZERO)
                    .map(|&(took, b)| b as f64 / took.as_secs_f64() / 1e6)
                    .collect();
                rates.sort_by(f64::total_cmp);
                let median = rates.get(rates.len() / 2).copied().unwrap_or(0.0);
                let spread = match (rates.first(), rates.last()) {
                    (Some(lo), Some(hi)) if median > 0.0 => (hi - lo) / median,
                    _ => 0.0,
                };
                let samples = u32::try_from(job.samples.len()).unwrap_or(u32::MAX);
                Throughput {
                    mb_per_s: median,
                    mb_per_s_spread: spread,
                    passes: samples.saturating_mul(job.repeats),
                    samples,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiles_bytes_and_unicode() {
        let re = compile(r"\xff+", Flags::default()).unwrap();
        assert!(re.is_match(b"a\xff\xffb"));
        // A character written as itself is its UTF-8 bytes, as PCRE
        // without UTF reads it.
        let re = compile("é+$", Flags::default()).unwrap();
        assert!(re.is_match("caféé".as_bytes()));
        assert!(!re.is_match(b"caf\xe9"));
        let err = compile("a(b", Flags::default()).unwrap_err();
        assert!(err.contains("unclosed group"), "{err}");
        let err = compile("(?<=a)b", Flags::default()).unwrap_err();
        assert!(err.contains("look-behind") && err.contains("pattern offset 0"), "{err}");
        let err = compile(r"(a)\1", Flags::default()).unwrap_err();
        assert!(err.contains("backreference"), "{err}");
    }

    #[test]
    fn runs_pcre_syntax_regex_syntax_rejects() {
        // The 2019 outage rule: a literal `{}` made regex-syntax fail with
        // "repetition operator missing expression".
        let outage = r#"(?:(?:\"|'|\]|\}|\\|\d|(?:nan|infinity|true|false|null|undefined|symbol|math)|\`|\-|\+)+[)]*;?((?:\s|-|~|!|{}|\|\||\+)*.*(?:.*=.*)))"#;
        let re = compile(outage, Flags::default()).unwrap();
        assert!(re.is_match(b"x\"=1"));
        assert!(!re.is_match(b"plain words"));
        let cases: &[(&str, &[u8], &[u8])] = &[
            (r"x{}y", b"x{}y", b"xy"),
            // PCRE2 10.43+ reads `{,n}` as `{0,n}`.
            (r"^a{,2}b", b"aab", b"aaab"),
            (r"^a{,b", b"a{,b", b"ab"),
            (r"\Q.*\E+", b"x.**", b"xyz"),
            (r"[[:digit:]]+x", b"12x", b"x"),
            (r"\h\e", b" \x1b", b"  "),
            (r"\101\0", b"A\0", b"A0"),
            (r"(?i)script", b"ScRiPt", b"scrip"),
            (r"a$", b"ba\n", b"ab"),
            (r"\bor\b", b"1 or 2", b"orange"),
        ];
        for &(p, yes, no) in cases {
            let re = compile(p, Flags::default()).unwrap_or_else(|e| panic!("{p}: {e}"));
            assert!(re.is_match(yes), "{p} on {yes:?}");
            assert!(!re.is_match(no), "{p} on {no:?}");
        }
    }

    #[test]
    fn measures_matches_per_input() {
        let re = compile("(?i)union\\s+select", Flags::default()).unwrap();
        let items: Vec<&[u8]> = vec![b"id=1", b"1 UNION  select 2", b"\xff\xfe"];
        let values = Values::from_slices(&items);
        let (f, matched) = measure(&re, &values, Duration::ZERO, 1);
        assert_eq!(matched, [false, true, false]);
        assert_eq!(f.matches, 1);
        assert_eq!(f.inputs, 3);
        assert_eq!(f.bytes, 4 + 17 + 2);
        assert!(f.time_per_input_us.max >= f.time_per_input_us.median);
        assert_eq!(f.samples, 1, "max_samples bounds the samples");
        assert_eq!(f.passes % f.samples, 0);
        let (f, _) = measure(&re, &values, Duration::ZERO, 20);
        assert_eq!(f.samples, MIN_SAMPLES);
        assert!(f.passes > f.samples, "23 bytes take far less than a sample's time: {f:?}");
        assert!(f.mb_per_s_spread >= 0.0 && f.mb_per_s > 0.0, "{f:?}");
    }

    #[test]
    fn a_corpus_fed_in_chunks_gives_the_whole_corpus_counts() {
        let re = compile("(?i)union\\s+select", Flags::default()).unwrap();
        let items: Vec<&[u8]> = vec![b"id=1", b"1 UNION  select 2", b"\xff\xfe", b"union select", b"x"];
        let (whole, matched) = measure(&re, &Values::from_slices(&items), Duration::ZERO, 20);
        let mut meter = Meter::new(&re);
        let mut timer = Timer::new(Duration::ZERO, 20);
        timer.add(&re);
        let mut chunked = Vec::new();
        for part in items.chunks(2) {
            let values = Values::from_slices(part);
            chunked.extend(meter.feed(&values));
            timer.feed(&[&values], 0.4);
        }
        assert_eq!(chunked, matched);
        let mut f = meter.finish();
        f.set_throughput(timer.finish()[0]);
        assert_eq!(
            (f.matches, f.inputs, f.bytes, f.samples),
            (whole.matches, whole.inputs, whole.bytes, whole.samples)
        );
        assert_eq!(f.samples, MIN_SAMPLES);
    }

    #[test]
    fn the_timer_samples_every_rule_on_any_thread() {
        // Regexes first used on another thread (as bench's parallel phase
        // does) are timed with their own caches here.
        let (a, b, c) = std::thread::scope(|s| {
            s.spawn(|| {
                let [a, b, c] = ["select", "x+y", "never"].map(|p| compile(p, Flags::default()).unwrap());
                assert!(a.is_match(b"select"));
                (a, b, c)
            })
            .join()
            .unwrap()
        });
        let items: Vec<&[u8]> = vec![b"select 1", b"xxxy", b"zzz"];
        let values = Values::from_slices(&items);
        let none = Values::default();
        let mut timer = Timer::new(Duration::from_millis(1), 20);
        for re in [&a, &b, &c] {
            timer.add(re);
        }
        timer.add(&a);
        timer.feed(&[&values, &values, &values, &none], 1.0);
        let t = timer.finish();
        assert_eq!(t.len(), 4);
        for x in &t[..3] {
            assert!(x.samples >= MIN_SAMPLES && x.samples <= 20 && x.mb_per_s > 0.0, "{x:?}");
            assert_eq!(x.passes % x.samples, 0);
        }
        assert_eq!(t[3], Throughput::default(), "a rule that read nothing is not timed");
    }

    #[test]
    fn scan_stops_at_first_matching_value() {
        let re = compile("x", Flags::default()).unwrap();
        let v = Values { values: vec![b"ax", b"bbbb", b"c"], bounds: vec![0, 2, 3], inputs: vec![0, 1] };
        let mut m = vec![false; 2];
        assert_eq!(scan(&re, &mut re.create_cache(), &v, &mut m), 2 + 1);
        assert_eq!(m, [true, false]);
    }
}
