//! Worst case: a rule's attack string at growing length, counted on the
//! backtracking engine, with the fitted growth and what it means at a
//! 4 KB request ("at a 4 KB request this rule takes 1.9 s").
//!
//! Where it sits: the third measurement of a rule. The attack comes from
//! the ReDoS analysis ([`Attack`]: prefix, pump × n, suffix); a rule
//! without one has no worst-case figures.
//!
//! Method: n grows (1, 2, 3, … then by half each time) until the input
//! passes `max_bytes` or one probe hits `step_budget`. Steps are fitted
//! against input length in bytes on the largest points (up to six), with
//! two models: power `steps = c·Lᵏ` (a line in log-log) and exponential
//! `steps = c·bᴸ` (a line in log-linear); the one with the smaller residual
//! wins, the power exponent rounded is the degree (below 1.5: linear).
//! Steps at 4096 bytes are measured when a probe reached that length and
//! extrapolated from the model otherwise; the time is steps × the engine's
//! measured time per unit of work (uninstrumented, CPU time, best of three)
//! on the largest probe whose work is within an eighth of the budget.
//!
//! Guarantees: every probe runs under `step_budget`; the probes of one rule
//! cost at most a few times that budget (sizes grow geometrically).

use serde::Serialize;

use super::backtrack::{StepCounter, Verdict};
use super::stats::{fit_line, thread_cpu_time};
use crate::analysis::Attack;
use crate::finding::Complexity;

/// Limits of the worst-case probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Most steps one probe may take.
    pub step_budget: u64,
    /// Longest attack input tried, in bytes.
    pub max_bytes: usize,
    /// The request size the figures are reported at.
    pub report_bytes: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options { step_budget: 50_000_000, max_bytes: 8192, report_bytes: 4096 }
    }
}

/// The fitted growth.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Fit {
    /// `power` or `exponential`.
    pub model: &'static str,
    /// Power model: the exponent k of `c·Lᵏ`.
    pub exponent: f64,
    /// Exponential model: the base b of `c·bᴸ` (per byte).
    pub base: f64,
}

/// Worst-case figures for one rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorstCase {
    /// `linear`, `polynomial`, `exponential` or `unknown`.
    pub complexity: Complexity,
    /// Polynomial degree (2 for O(n²)).
    pub degree: Option<u32>,
    /// (input bytes, steps) per probe, in growing order.
    pub points: Vec<(usize, f64)>,
    /// Steps at `report_bytes` (measured or extrapolated; `null` in JSON
    /// when beyond floating point).
    pub steps_at_4kb: f64,
    /// log10 of `steps_at_4kb` (always finite).
    pub steps_at_4kb_log10: f64,
    /// Estimated seconds at `report_bytes`.
    pub seconds_at_4kb: Option<f64>,
    /// True when `steps_at_4kb` was measured rather than extrapolated.
    pub measured_at_4kb: bool,
    /// Input length at which a probe hit the step budget, if one did.
    pub budget_hit_at: Option<usize>,
    /// The model fitted.
    pub fit: Option<Fit>,
    /// The attack probed.
    pub attack: Attack,
    /// Nanoseconds per step, measured uninstrumented on the largest probe.
    pub ns_per_step: Option<f64>,
    /// The engine these figures are for (`pcre2` or `simulator`). Steps
    /// are its work: PCRE2's counted steps plus the subject bytes scanned
    /// between them.
    pub engine: &'static str,
}

/// Probe `attack` at growing length.
pub fn probe(counter: &mut dyn StepCounter, attack: &Attack, opts: &Options) -> WorstCase {
    let mut points: Vec<(usize, f64)> = Vec::new();
    let mut budget_hit_at = None;
    let mut n = 1usize;
    let mut largest: Option<(Vec<u8>, u64)> = None;
    loop {
        let input = attack.build(n);
        if input.len() > opts.max_bytes && !points.is_empty() {
            break;
        }
        let run = counter.count(input.as_bytes(), opts.step_budget);
        if let Verdict::Limit(_) = run.verdict {
            budget_hit_at = Some(input.len());
            break;
        }
        points.push((input.len(), run.work as f64));
        // Calibrate time per unit of work on a probe whose work (not only
        // its steps: a scan between two steps can read the whole input)
        // is well inside the budget, so the three timed runs cost little.
        if run.work <= opts.step_budget / 8 {
            largest = Some((input.into_bytes(), run.work));
        }
        if attack.pump.is_empty() {
            break;
        }
        n += (n / 2).max(1);
    }
    let window: Vec<(usize, f64)> = points.iter().rev().take(6).rev().copied().collect();
    let fit = fit_growth(&window);
    let (complexity, degree) = classify(fit, budget_hit_at);
    let report = opts.report_bytes;
    let at = |l: usize| points.iter().find(|p| p.0 == l).map(|p| p.1);
    let (steps_log10, measured) = if let Some(s) = at(report) {
        (s.max(1.0).log10(), true)
    } else if let (Some(lo), Some(hi)) =
        (points.iter().rev().find(|p| p.0 < report), points.iter().find(|p| p.0 > report))
    {
        // Interpolate in log-log between the probes around the size.
        let t = ((report as f64).ln() - (lo.0 as f64).ln()) / ((hi.0 as f64).ln() - (lo.0 as f64).ln());
        (lo.1.max(1.0).log10() + t * (hi.1.max(1.0).log10() - lo.1.max(1.0).log10()), true)
    } else {
        (extrapolate_log10(&points, fit, report), false)
    };
    let ns_per_step = largest.and_then(|(input, steps)| {
        let mut best: Option<f64> = None;
        for _ in 0..3 {
            // CPU time, as the linear throughput: waiting for a core is
            // not the engine's time.
            let start = thread_cpu_time();
            counter.time(&input)?;
            let d = thread_cpu_time().saturating_sub(start);
            let ns = d.as_secs_f64() * 1e9 / steps.max(1) as f64;
            best = Some(best.map_or(ns, |b: f64| b.min(ns)));
        }
        best
    });
    let steps_at_4kb = 10f64.powf(steps_log10);
    WorstCase {
        complexity,
        degree,
        points,
        steps_at_4kb,
        steps_at_4kb_log10: steps_log10,
        seconds_at_4kb: ns_per_step.map(|ns| steps_at_4kb * ns / 1e9),
        measured_at_4kb: measured,
        budget_hit_at,
        fit,
        attack: attack.clone(),
        ns_per_step,
        engine: counter.engine(),
    }
}

/// The smallest attack that reaches ModSecurity's PCRE limits, and what
/// happens then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailOpen {
    /// Attack length in bytes.
    pub bytes: usize,
    /// The limit reached: `SecPcreMatchLimit` or `SecPcreMatchLimitRecursion`.
    pub limit: &'static str,
    /// Its value.
    pub value: u32,
    /// The engine: `pcre2-interpreter` (cfglint's own PCRE2) or `pcre2-jit`
    /// (the system's, named in the summary).
    pub engine: &'static str,
    /// What ModSecurity does then.
    pub consequence: &'static str,
    /// The attack.
    pub attack: Attack,
}

/// What ModSecurity does when a match reaches a PCRE limit.
#[cfg_attr(not(feature = "pcre2"), allow(dead_code))]
pub const FAIL_OPEN: &str = "ModSecurity gives up on the match: the rule does not fire (it fails open, a bypass) \
     and logs \"Execution error - PCRE limits exceeded\"";

/// Run `attack` at growing length on PCRE2's interpreter (cfglint's own
/// copy) with ModSecurity's limits, up to `max_bytes`; the smallest
/// length at which the match stops at a limit. `None` when no length up
/// to `max_bytes` does.
#[cfg(feature = "pcre2")]
pub fn fail_open(
    pattern: &str,
    flags: crate::source::Flags,
    attack: &Attack,
    limits: super::budget::ProductionLimits,
    max_bytes: usize,
) -> Option<FailOpen> {
    use crate::engine::pcre::{Limits, Outcome, Pcre};
    let pcre_limits =
        Limits { match_limit: limits.match_limit, depth_limit: limits.recursion_limit, ..Limits::default() };
    let mut re = Pcre::new(pattern, flags, pcre_limits).ok()?;
    let (bytes, kind) = first_stop(attack, max_bytes, |s| match re.time(s).0 {
        Outcome::Limit(k) => Some(k),
        Outcome::Match | Outcome::NoMatch => None,
    })?;
    let (limit, value) = production_limit(kind, limits);
    Some(FailOpen { bytes, limit, value, engine: "pcre2-interpreter", consequence: FAIL_OPEN, attack: attack.clone() })
}

/// [`fail_open`] on the system PCRE2's JIT, the engine ModSecurity for
/// Apache 2.9 runs: its match limit counts differently from the
/// interpreter's, and where it runs out of stack the interpreter takes
/// over, as in mod_security2 (see [`crate::engine::jit`]). `Err` when the JIT
/// cannot compile the pattern (e.g. out of JIT memory), so the figure is
/// missing for a reason, not because nothing fails open.
#[cfg(feature = "pcre2")]
pub fn fail_open_jit(
    lib: &crate::engine::jit::SystemPcre2,
    pattern: &str,
    flags: crate::source::Flags,
    attack: &Attack,
    limits: super::budget::ProductionLimits,
    max_bytes: usize,
) -> Result<Option<FailOpen>, String> {
    use crate::engine::pcre::Outcome;
    let mut re = lib.compile(pattern, flags, limits.match_limit, limits.recursion_limit)?;
    let Some((bytes, kind)) = first_stop(attack, max_bytes, |s| match re.run(s) {
        Outcome::Limit(k) => Some(k),
        Outcome::Match | Outcome::NoMatch => None,
    }) else {
        return Ok(None);
    };
    let (limit, value) = production_limit(kind, limits);
    Ok(Some(FailOpen { bytes, limit, value, engine: "pcre2-jit", consequence: FAIL_OPEN, attack: attack.clone() }))
}

/// The ModSecurity directive behind a PCRE2 limit, and its value.
#[cfg(feature = "pcre2")]
fn production_limit(
    kind: crate::engine::pcre::LimitKind,
    limits: super::budget::ProductionLimits,
) -> (&'static str, u32) {
    match kind {
        crate::engine::pcre::LimitKind::Depth => ("SecPcreMatchLimitRecursion", limits.recursion_limit),
        _ => ("SecPcreMatchLimit", limits.match_limit),
    }
}

/// The shortest `attack.build(n)` (in bytes, at most `max_bytes`) on
/// which `stopped` reports a limit: grow n by half until one stops, then
/// bisect between the last length that finished and the first that did
/// not.
#[cfg(feature = "pcre2")]
fn first_stop<K>(attack: &Attack, max_bytes: usize, mut stopped: impl FnMut(&[u8]) -> Option<K>) -> Option<(usize, K)> {
    if attack.pump.is_empty() {
        return None;
    }
    let (mut ok, mut n) = (0usize, 1usize);
    let (hit, kind) = loop {
        let subject = attack.build(n);
        if subject.len() > max_bytes {
            return None;
        }
        if let Some(k) = stopped(subject.as_bytes()) {
            break (n, k);
        }
        ok = n;
        n += (n / 2).max(1);
    };
    let (mut lo, mut hi, mut kind) = (ok, hit, kind);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        match stopped(attack.build(mid).as_bytes()) {
            Some(k) => (hi, kind) = (mid, k),
            None => lo = mid,
        }
    }
    Some((attack.build(hi).len(), kind))
}

/// Fit the power and exponential models; keep the better one.
pub fn fit_growth(points: &[(usize, f64)]) -> Option<Fit> {
    if points.len() < 3 {
        return None;
    }
    let loglog: Vec<(f64, f64)> = points.iter().map(|&(l, s)| ((l as f64).ln(), s.max(1.0).ln())).collect();
    let loglin: Vec<(f64, f64)> = points.iter().map(|&(l, s)| (l as f64, s.max(1.0).ln())).collect();
    let power = fit_line(&loglog)?;
    let exp = fit_line(&loglin)?;
    // Normalize residuals by the spread of x so the two fits compare on
    // the same footing (both predict ln steps).
    if exp.rss < power.rss * 0.5 && exp.b > 0.0 && power.b >= 1.5 {
        Some(Fit { model: "exponential", exponent: power.b, base: exp.b.exp() })
    } else {
        Some(Fit { model: "power", exponent: power.b, base: exp.b.exp() })
    }
}

/// The complexity a fit (and an early budget hit) shows.
fn classify(fit: Option<Fit>, budget_hit_at: Option<usize>) -> (Complexity, Option<u32>) {
    match fit {
        None if budget_hit_at.is_some() => (Complexity::Exponential, None),
        None => (Complexity::Unknown, None),
        Some(f) if f.model == "exponential" => (Complexity::Exponential, None),
        Some(f) if f.exponent < 1.5 => (Complexity::Linear, None),
        Some(f) => (Complexity::Polynomial, Some(f.exponent.round().max(2.0) as u32)),
    }
}

/// log10 of the model's steps at `bytes`, from the largest probe.
fn extrapolate_log10(points: &[(usize, f64)], fit: Option<Fit>, bytes: usize) -> f64 {
    let Some(&(l, s)) = points.last() else { return 0.0 };
    let s10 = s.max(1.0).log10();
    match fit {
        Some(f) if f.model == "exponential" => s10 + (bytes as f64 - l as f64) * f.base.log10(),
        Some(f) => s10 + f.exponent.max(1.0) * ((bytes as f64).log10() - (l as f64).log10()),
        None => s10 + ((bytes as f64).log10() - (l as f64).log10()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_power_and_exponential_growth() {
        let quad: Vec<(usize, f64)> = [256usize, 512, 1024, 2048].iter().map(|&l| (l, (l * l) as f64 / 2.0)).collect();
        let f = fit_growth(&quad).unwrap();
        assert_eq!(f.model, "power");
        assert!((f.exponent - 2.0).abs() < 0.01);
        assert_eq!(classify(Some(f), None), (Complexity::Polynomial, Some(2)));
        let exp: Vec<(usize, f64)> = (14..20).map(|n| (n + 1, 3.0 * 2f64.powi(n as i32))).collect();
        let f = fit_growth(&exp).unwrap();
        assert_eq!(f.model, "exponential");
        assert!((f.base - 2.0).abs() < 0.01);
        let lin: Vec<(usize, f64)> = [100usize, 200, 400, 800].iter().map(|&l| (l, 3.0 * l as f64 + 20.0)).collect();
        assert_eq!(classify(fit_growth(&lin), None), (Complexity::Linear, None));
    }

    #[cfg(feature = "pcre2")]
    #[test]
    fn probes_a_polynomial_rule_on_pcre2() {
        // `(?:x|y)`, not `x`: PCRE2 fails at once on a subject lacking a
        // required literal, so the attack must not be that easy to reject.
        let mut c = super::super::backtrack::counter(r"\d+\d+(?:x|y)", crate::source::Flags::default(), 1_000).unwrap();
        let attack = Attack { prefix: String::new(), pump: "1".into(), suffix: "!".into() };
        let w = probe(c.as_mut(), &attack, &Options { step_budget: 2_000_000, max_bytes: 4096, report_bytes: 4096 });
        assert_eq!(w.complexity, Complexity::Polynomial, "{w:?}");
        // PCRE2 makes the second `\d+` possessive (auto-possessification):
        // quadratic in steps, but each possessive run still reads its
        // digits, so the work (steps + bytes scanned) is cubic.
        assert_eq!(w.degree, Some(3), "{w:?}");
        assert_eq!(w.engine, "pcre2");
        assert!(w.steps_at_4kb > 1e7, "{w:?}");
        assert!(w.seconds_at_4kb.is_some());
    }

    #[cfg(feature = "pcre2")]
    #[test]
    fn finds_the_smallest_attack_that_fails_open() {
        let limits = super::super::budget::ProductionLimits::default();
        let attack = Attack { prefix: String::new(), pump: "a".into(), suffix: "!".into() };
        let f =
            fail_open("^(a+)+$", crate::source::Flags::default(), &attack, limits, 8192).expect("reaches the limit");
        assert_eq!(f.limit, "SecPcreMatchLimit");
        assert_eq!(f.value, 1000);
        assert!(f.bytes > 3 && f.bytes < 20, "{f:?}");
        // One byte shorter finishes within the limit.
        let mut re = crate::engine::pcre::Pcre::new(
            "^(a+)+$",
            crate::source::Flags::default(),
            crate::engine::pcre::Limits { match_limit: 1000, depth_limit: 1000, ..Default::default() },
        )
        .unwrap();
        assert!(!matches!(re.time(attack.build(f.bytes - 3).as_bytes()).0, crate::engine::pcre::Outcome::Limit(_)));
        assert!(matches!(re.time(attack.build(f.bytes - 1).as_bytes()).0, crate::engine::pcre::Outcome::Limit(_)));
        // A linear rule never does.
        let lin = Attack { prefix: String::new(), pump: "1".into(), suffix: String::new() };
        assert_eq!(fail_open(r"^\d+a", crate::source::Flags::default(), &lin, limits, 8192), None);
    }

    /// On the system's JIT (skipped where there is none): the size found
    /// stops at the match limit and one pump shorter does not, for the
    /// lazy-scan shape whose JIT size differs from the interpreter's.
    #[cfg(feature = "pcre2")]
    #[test]
    #[allow(clippy::print_stderr)] // a skipped test says why
    fn finds_the_smallest_attack_that_fails_open_on_the_jit() {
        use crate::engine::pcre::Outcome;
        let lib = match crate::engine::jit::load(&crate::engine::JitChoice::Auto) {
            Ok(Some(lib)) => lib,
            other => {
                eprintln!("skipped: no system PCRE2 with JIT ({other:?})");
                return;
            }
        };
        let limits = super::super::budget::ProductionLimits::default();
        let flags = crate::source::Flags { case_insensitive: true, dot_all: true, ..Default::default() };
        let pattern = "union.*?select.*?from";
        // CRS 942270's attack, as `cfglint check` builds it.
        let attack = Attack { prefix: String::new(), pump: "unionuselectu".into(), suffix: "m".into() };
        let f =
            fail_open_jit(lib, pattern, flags, &attack, limits, 8192).unwrap().expect("reaches the limit on the JIT");
        assert_eq!((f.engine, f.limit, f.value), ("pcre2-jit", "SecPcreMatchLimit", 1000));
        let n = (f.bytes - 1) / 13;
        assert_eq!(attack.build(n).len(), f.bytes);
        let mut re = lib.compile(pattern, flags, 1000, 1000).unwrap();
        assert!(matches!(re.run(attack.build(n).as_bytes()), Outcome::Limit(_)));
        assert!(!matches!(re.run(attack.build(n - 1).as_bytes()), Outcome::Limit(_)));
        let interp = fail_open(pattern, flags, &attack, limits, 8192).expect("and on the interpreter");
        assert_eq!(interp.engine, "pcre2-interpreter");
        // A linear rule never does.
        let lin = Attack { prefix: String::new(), pump: "1".into(), suffix: String::new() };
        assert_eq!(fail_open_jit(lib, r"^\d+a", crate::source::Flags::default(), &lin, limits, 8192), Ok(None));
        // A match that runs out of JIT stack is run again on the
        // interpreter with the same limits, as mod_security2 does (a real
        // one logs "PCRE limits exceeded (-47)" there, not a JIT error):
        // a capture in a loop over 1 KB of `a` overflows the default JIT
        // stack, and the interpreter then reaches the match limit.
        let deep = Attack { prefix: String::new(), pump: "a".into(), suffix: "c".into() };
        let f = fail_open_jit(lib, "^(?:(a)|b)*c", crate::source::Flags::default(), &deep, limits, 8192)
            .unwrap()
            .expect("the interpreter's limit after the JIT's stack");
        assert_eq!((f.engine, f.limit, f.value), ("pcre2-jit", "SecPcreMatchLimit", 1000), "{f:?}");
        // A pattern the JIT cannot compile is an error (a reason for the
        // missing figure), not "does not fail open".
        assert!(fail_open_jit(lib, "(", crate::source::Flags::default(), &lin, limits, 8192).is_err());
    }

    #[cfg(feature = "pcre2")]
    #[test]
    fn probes_an_exponential_rule_on_pcre2() {
        let mut c = super::super::backtrack::counter("^(a+)+$", crate::source::Flags::default(), 1_000).unwrap();
        let attack = Attack { prefix: String::new(), pump: "a".into(), suffix: "!".into() };
        let w = probe(c.as_mut(), &attack, &Options { step_budget: 5_000_000, ..Options::default() });
        assert_eq!(w.complexity, Complexity::Exponential, "{w:?}");
        assert!(w.budget_hit_at.is_some());
        assert!(!w.measured_at_4kb);
        assert!(w.steps_at_4kb_log10 > 300.0, "{w:?}");
    }
}
