//! The linear engine's figures: regex-automata's meta regex over the
//! corpus (throughput, matches, time per input).
//!
//! Where it sits: one of the three measurements of a rule (with
//! [`super::backtrack`] and [`super::worst`]). The values a rule reads are
//! gathered into a [`Values`] table before anything is timed, so the timed
//! loop is the raw regex loop plus a counter (the harness overhead is
//! measured in `benches/bench_harness.rs`).
//!
//! Patterns are compiled in byte mode first (Unicode off, `utf8` off), the
//! way ModSecurity's PCRE sees them, so invalid UTF-8 inputs are matched
//! byte by byte; a pattern that needs Unicode (`\p{L}`) is retried with
//! Unicode on. regex-automata runs in time linear in the input, so these
//! matches need no step limit.

use std::time::{Duration, Instant};

use regex_automata::meta::Regex;
use regex_automata::util::syntax;
use serde::Serialize;

use super::corpus::{Input, Selector};
use super::stats::Dist;
use crate::source::Flags;

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
pub fn compile(pattern: &str, flags: Flags) -> Result<Regex, String> {
    let base = syntax::Config::new()
        .case_insensitive(flags.case_insensitive)
        .multi_line(flags.multi_line)
        .dot_matches_new_line(flags.dot_all)
        .ignore_whitespace(flags.extended)
        .utf8(false);
    let build = |unicode: bool| Regex::builder().syntax(base.unicode(unicode)).build(pattern).map_err(Box::new);
    match build(false) {
        Ok(re) => Ok(re),
        Err(_) => build(true).map_err(|e| match e.syntax_error() {
            Some(regex_syntax::Error::Parse(p)) => format!("{} (at byte {})", p.kind(), p.span().start.offset),
            Some(regex_syntax::Error::Translate(t)) => format!("{} (at byte {})", t.kind(), t.span().start.offset),
            Some(other) => other.to_string(),
            None => e.to_string(),
        }),
    }
}

/// Linear-engine figures for one rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    /// Megabytes (10⁶ bytes) scanned per second.
    pub mb_per_s: f64,
    /// Inputs the rule matched.
    pub matches: usize,
    /// Inputs with at least one value for the rule's targets.
    pub inputs: usize,
    /// Bytes scanned (a rule stops reading an input at its first match).
    pub bytes: u64,
    /// Microseconds per KiB scanned (the `max-us-per-kb` budget).
    pub us_per_kb: f64,
    /// Microseconds per input.
    pub time_per_input_us: Dist,
}

/// The harness's timed loop: match every input (stopping at its first
/// matching value, as a WAF does), recording matches; returns bytes read.
#[inline]
pub fn scan(re: &Regex, values: &Values<'_>, matched: &mut [bool]) -> u64 {
    let mut bytes = 0u64;
    for (i, slot) in matched.iter_mut().enumerate() {
        let mut m = false;
        for v in &values.values[values.bounds[i]..values.bounds[i + 1]] {
            bytes += v.len() as u64;
            if re.is_match(*v) {
                m = true;
                break;
            }
        }
        *slot = m;
    }
    bytes
}

/// Measure one rule: throughput passes until `min_time` has elapsed (at
/// most `max_passes`), then one pass timing each input. Returns the figures
/// and which inputs matched.
pub fn measure(re: &Regex, values: &Values<'_>, min_time: Duration, max_passes: u32) -> (Figures, Vec<bool>) {
    let mut matched = vec![false; values.len()];
    let mut total = Duration::ZERO;
    let mut bytes = 0u64;
    let mut passes = 0;
    while passes < max_passes.max(1) && (passes == 0 || total < min_time) {
        let start = Instant::now();
        bytes += scan(re, values, &mut matched);
        total += start.elapsed();
        passes += 1;
    }
    let mut per_input = Vec::with_capacity(values.len());
    for i in 0..values.len() {
        let vals = values.of(i);
        let start = Instant::now();
        std::hint::black_box(vals.iter().any(|v| re.is_match(*v)));
        per_input.push(start.elapsed().as_secs_f64() * 1e6);
    }
    let secs = total.as_secs_f64();
    let figures = Figures {
        mb_per_s: if secs > 0.0 { bytes as f64 / secs / 1e6 } else { 0.0 },
        matches: matched.iter().filter(|&&m| m).count(),
        inputs: values.len(),
        bytes: bytes / u64::from(passes.max(1)),
        us_per_kb: if bytes > 0 { secs * 1e6 / (bytes as f64 / 1024.0) } else { 0.0 },
        time_per_input_us: Dist::of(&mut per_input),
    };
    (figures, matched)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiles_bytes_and_unicode() {
        let re = compile(r"\xff+", Flags::default()).unwrap();
        assert!(re.is_match(b"a\xff\xffb"));
        let re = compile(r"\p{Greek}", Flags::default()).unwrap();
        assert!(re.is_match("α".as_bytes()));
        let err = compile("a(b", Flags::default()).unwrap_err();
        assert!(err.contains("unclosed"), "{err}");
        assert!(compile("(?<=a)b", Flags::default()).is_err());
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
    }

    #[test]
    fn scan_stops_at_first_matching_value() {
        let re = compile("x", Flags::default()).unwrap();
        let v = Values { values: vec![b"ax", b"bbbb", b"c"], bounds: vec![0, 2, 3], inputs: vec![0, 1] };
        let mut m = vec![false; 2];
        assert_eq!(scan(&re, &v, &mut m), 2 + 1);
        assert_eq!(m, [true, false]);
    }
}
