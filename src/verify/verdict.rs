//! Confirmed ReDoS verdicts: static candidates, checked by simulation.
//!
//! Pipeline position: the meeting point of `analysis::candidates` (which
//! proposes attacks from the structure of the pattern) and this module's
//! simulator and growth fitter (which run them). The rules CL001/CL002 and
//! `cfglint regex`, `bench` and `diff` all get their verdicts here.
//!
//! The rule is "no finding without evidence": a pattern is exponential or
//! polynomial only when a candidate attack, run for growing `n` by the
//! step-counting simulator, shows that growth. The measured class wins over
//! the static claim (a static "degree 5" measured as `n⁴` is reported as
//! degree 4). A claim the simulation does not confirm is reported as
//! `Unknown` with a note, never as a finding.
//!
//! Guarantees: bounded by [`RedosSettings`] (static budgets, simulator
//! steps per candidate, number of candidates tried); never a hang.

use crate::analysis::Attack;
use crate::analysis::candidates::{self, Candidate, Complexity, RedosConfig};
use crate::analysis::ir::Ir;
use crate::source::{Flags, Flavor, Semantics};

use super::engine::{EngineCheck, Replayer};
use super::growth::{self, Growth, GrowthClass, GrowthConfig};
use super::simulator::{Program, SimOptions};

/// Budgets for [`check`].
#[derive(Debug, Clone)]
pub struct RedosSettings {
    /// Static analysis budgets.
    pub analysis: RedosConfig,
    /// Simulation budgets per candidate.
    pub growth: GrowthConfig,
    /// Most candidates simulated before giving up (default 3).
    pub max_confirmations: usize,
    /// Measure what counted repetitions cost within their bounds for a
    /// verdict that is not super-linear ([`Verdict::bounded`], CL010).
    /// Default on; callers that never show CL010 (bench, fix's linearity
    /// proof) turn it off and save the relaxed analysis.
    pub bounded_cost: bool,
}

impl Default for RedosSettings {
    fn default() -> Self {
        RedosSettings {
            analysis: RedosConfig::default(),
            growth: GrowthConfig::default(),
            max_confirmations: 3,
            bounded_cost: true,
        }
    }
}

impl RedosSettings {
    /// Set the simulator step budget spent on one candidate.
    #[must_use]
    pub fn max_steps(mut self, steps: u64) -> Self {
        self.growth.total_steps = steps;
        self.growth.per_run_steps = steps;
        self
    }

    /// The same settings without the bounded-cost measurement.
    #[must_use]
    pub fn without_bounded_cost(mut self) -> Self {
        self.bounded_cost = false;
        self
    }
}

/// The verdict on one pattern.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// The confirmed complexity (linear when nothing was found; unknown when
    /// the analysis ran out of budget or a candidate was not confirmed).
    pub complexity: Complexity,
    /// The measured polynomial degree.
    pub degree: Option<u32>,
    /// True when the simulator confirmed the growth.
    pub confirmed: bool,
    /// The candidate behind the verdict (the confirmed one, or the first
    /// one tried when none was confirmed).
    pub candidate: Option<Candidate>,
    /// The measurement of that candidate.
    pub growth: Option<Growth>,
    /// What the static analysis claimed.
    pub claimed: (Complexity, Option<u32>),
    /// Approximations, budgets and disagreements, for the user.
    pub notes: Vec<String>,
    /// The replay of the attack on the real engine (PCRE2, for `pcre`
    /// verdicts; see [`cross_check`]).
    pub engine: Option<EngineCheck>,
    /// The other attacks the simulator confirmed, worst first, with their
    /// measured class: the real engine may resist the worst one (PCRE2's
    /// required-character check) and still fall to another.
    pub alternatives: Vec<(Attack, Complexity, Option<u32>)>,
    /// For a pattern that is linear only because of its counted
    /// repetitions' bounds: what the blow-up costs within them.
    pub bounded: Option<BoundedCost>,
}

/// Counted repetitions with large bounds (`.{0,200}`, `[^;]{1,100}`) cap
/// the work per start position, so the growth is linear in the input
/// length, but within the bounds the loops overlap as unbounded ones
/// would: O(n²) or worse up to inputs about as long as the bounds, then a
/// large constant cost per character. uap-core's `.{0,200}(Teams)/` costs
/// about 1,400 simulator steps per character of a `T…T` input (Python's
/// `re` takes 16 ms on 4 KB, 2,000 times its cost without the `.{0,200}`).
///
/// Found by relaxing the bounds ([`Ir::relax_bounds`]) and confirming the
/// relaxed pattern's blow-up by simulation, then measured on the real
/// pattern: the relaxed attack's steps at growing input lengths.
#[derive(Debug, Clone)]
pub struct BoundedCost {
    /// The counted repetitions that were relaxed: quantifier span and
    /// upper bound.
    pub bounds: Vec<(crate::source::PatternSpan, u32)>,
    /// The class measured with the bounds lifted.
    pub complexity: Complexity,
    /// Its degree, for a polynomial.
    pub degree: Option<u32>,
    /// The relaxed pattern's candidate (attack, loops, hint).
    pub candidate: Candidate,
    /// Steps of the real pattern on that attack: `(pumps, steps)` for
    /// inputs of about 256, 1024 and 4096 characters.
    pub steps: Vec<(u64, u64)>,
    /// Characters in the longest input measured (about 4096).
    pub chars: u64,
    /// PCRE2's work on the attack at about 1 KB, for `pcre` verdicts at or
    /// above [`REPORT_FROM`] (one `(bytes, work)` point; `reproduced` is
    /// false, the growth being linear), or `None` where it was not measured
    /// or exceeded 2,000 per byte.
    pub pcre2: Option<EngineCheck>,
}

impl BoundedCost {
    /// Steps per input character on the longest input.
    pub fn steps_per_char(&self) -> f64 {
        let steps = self.steps.last().map_or(0, |&(_, s)| s);
        steps as f64 / self.chars.max(1) as f64
    }
}

/// A counted repetition is relaxed when its upper bound is at least this:
/// smaller bounds cost too little per start position to matter.
pub const RELAX_FROM: u32 = 16;

/// Longest input the bounded cost is measured on, in characters.
pub const BOUNDED_INPUT: usize = 4096;

/// Simulator steps for confirming the relaxed pattern's blow-up: it only
/// has to show its shape, on inputs of at most 400 characters.
const RELAXED_STEPS: u64 = 400_000;

/// CL010 reports a bounded cost from this many simulator steps per
/// character of the 4 KB attack.
pub const REPORT_FROM: f64 = 100.0;

/// Below this many steps per character on 1 KB, the 4 KB input is not run.
const CHEAP_PER_CHAR: u64 = 50;

/// Most simulator steps spent on one bounded-cost run (2,000 per character
/// of the longest input).
const BOUNDED_RUN_STEPS: u64 = 2_000 * BOUNDED_INPUT as u64;

impl Verdict {
    fn linear(notes: Vec<String>) -> Self {
        Verdict {
            complexity: Complexity::Linear,
            degree: None,
            confirmed: false,
            candidate: None,
            growth: None,
            claimed: (Complexity::Linear, None),
            notes,
            engine: None,
            alternatives: Vec::new(),
            bounded: None,
        }
    }

    /// True when the pattern is confirmed super-linear.
    pub fn is_vulnerable(&self) -> bool {
        self.confirmed && matches!(self.complexity, Complexity::Exponential | Complexity::Polynomial)
    }

    /// The measured `(n, steps)` points, for JSON evidence.
    pub fn steps(&self) -> Vec<(u64, u64)> {
        self.growth.as_ref().map(|g| g.points.iter().map(|&(n, s)| (n as u64, s)).collect()).unwrap_or_default()
    }
}

/// Analyze `ir` (parsed from `pattern`) for `flavor` under `semantics`, and
/// confirm what the analysis claims by simulation.
pub fn check(pattern: &str, ir: &Ir, flavor: Flavor, semantics: Semantics, settings: &RedosSettings) -> Verdict {
    let mut verdict = check_exact(pattern, ir, flavor, semantics, settings);
    if settings.bounded_cost && !verdict.is_vulnerable() && flavor.is_backtracking() {
        verdict.bounded = bounded_cost(pattern, ir, flavor, semantics, settings);
    }
    verdict
}

/// What the blow-up of a pattern whose counted repetitions keep it linear
/// costs within their bounds (see [`BoundedCost`]); `None` when relaxing
/// the bounds does not make it super-linear either.
fn bounded_cost(
    pattern: &str,
    ir: &Ir,
    flavor: Flavor,
    semantics: Semantics,
    settings: &RedosSettings,
) -> Option<BoundedCost> {
    let (relaxed, bounds) = ir.relax_bounds(RELAX_FROM)?;
    // The relaxed pattern only has to show its shape: short inputs, one
    // candidate, a fifth of the budget.
    let quick_settings = RedosSettings {
        growth: GrowthConfig {
            max_input_len: settings.growth.max_input_len.min(400),
            ..settings.growth.with_steps(RELAXED_STEPS)
        },
        max_confirmations: 1,
        ..settings.clone()
    };
    let v = check_exact(pattern, &relaxed, flavor, semantics, &quick_settings);
    if !v.is_vulnerable() {
        return None;
    }
    let candidate = v.candidate?;
    let program = Program::compile(ir, &SimOptions::new(flavor, semantics)).ok()?;
    let attack = &candidate.attack;
    let fixed = attack.prefix.chars().count() + attack.suffix.chars().count();
    let pump = attack.pump.chars().count().max(1);
    let mut cache = program.create_cache();
    let mut steps = Vec::new();
    let mut chars = 0;
    for len in [BOUNDED_INPUT / 16, BOUNDED_INPUT / 4, BOUNDED_INPUT] {
        let n = len.saturating_sub(fixed) / pump;
        let input: Vec<char> = attack.build(n).chars().collect();
        let r = program.run_periodic(&mut cache, &input, BOUNDED_RUN_STEPS, pump);
        steps.push((n as u64, r.steps));
        chars = input.len() as u64;
        // Past a bound or two the cost per character stays put: when it is
        // far below what CL010 reports at 1 KB, 4 KB will not change that.
        let cheap = len == BOUNDED_INPUT / 4 && r.steps < CHEAP_PER_CHAR * chars;
        if r.outcome == super::simulator::Outcome::Budget || cheap {
            break;
        }
    }
    Some(BoundedCost { bounds, complexity: v.complexity, degree: v.degree, candidate, steps, chars, pcre2: None })
}

/// [`check`] without the bounded-cost measurement.
fn check_exact(pattern: &str, ir: &Ir, flavor: Flavor, semantics: Semantics, settings: &RedosSettings) -> Verdict {
    if !flavor.is_backtracking() {
        return Verdict::linear(Vec::new());
    }
    let found = candidates::analyze_text(pattern, ir, flavor, semantics, &settings.analysis);
    let mut notes = found.notes.clone();
    let claimed = (found.complexity, found.degree);
    match found.complexity {
        Complexity::Linear => {
            // Overlapping loops whose every attack seemed to end in a match
            // can still blow up before the match is found; the unchecked
            // attacks settle it by simulation, silently when they don't.
            if let Some(v) = confirm_speculative(ir, flavor, semantics, &found.speculative, settings, &notes) {
                return v;
            }
            let mut v = Verdict::linear(notes);
            v.claimed = claimed;
            return v;
        }
        Complexity::Unknown if found.candidates.is_empty() => {
            return Verdict {
                complexity: Complexity::Unknown,
                degree: None,
                confirmed: false,
                candidate: None,
                growth: None,
                claimed,
                notes,
                engine: None,
                alternatives: Vec::new(),
                bounded: None,
            };
        }
        _ => {}
    }
    let program = match Program::compile(ir, &SimOptions::new(flavor, semantics)) {
        Ok(p) => p,
        Err(e) => {
            notes.push(format!("not simulated: {e}"));
            return Verdict {
                complexity: Complexity::Unknown,
                degree: None,
                confirmed: false,
                candidate: found.candidates.first().cloned(),
                growth: None,
                claimed,
                notes,
                engine: None,
                alternatives: Vec::new(),
                bounded: None,
            };
        }
    };
    let mut first_try: Option<(Candidate, Growth)> = None;
    // Every candidate gets measured (up to `max_confirmations`) and the
    // worst confirmed growth is the verdict: a candidate's static claim is
    // not an upper bound (a quadratic claim can measure cubic), so the
    // first confirmed one is not necessarily the worst.
    let mut confirmed: Vec<(Candidate, Growth, Complexity, Option<u32>)> = Vec::new();
    for candidate in found.candidates.iter().take(settings.max_confirmations.max(1)) {
        // Most attacks show their growth within a fifth of the budget; only
        // an attack that looks linear or undecided there gets the rest (a
        // quadratic under a large linear term needs longer inputs).
        let mut measured = growth::measure(&program, &candidate.attack, &quick(&settings.growth));
        measured = if measured.class.is_superlinear() {
            settle(&program, &candidate.attack, settings, measured)
        } else {
            growth::measure(&program, &candidate.attack, &settings.growth)
        };
        if let (GrowthClass::Polynomial { degree }, Some(claim)) = (measured.class, candidate.degree)
            && candidate.complexity == Complexity::Polynomial
            && claim > degree
            && measured.total_steps < settings.growth.total_steps / 2
        {
            // A degree short of the claim on short inputs: the lower-order
            // terms still dominate there (`key=(.*) val=(.*) id=(.*);`
            // measures cubic up to 8 pumps, quartic from 16, as node and
            // Python do). Longer inputs decide; the higher degree stands.
            let longer = growth::measure(&program, &candidate.attack, &settings.growth);
            if matches!(longer.class, GrowthClass::Polynomial { degree: d } if d > degree) {
                measured = longer;
            }
        }
        let (complexity, degree) = match measured.class {
            GrowthClass::Exponential => (Complexity::Exponential, None),
            GrowthClass::Polynomial { degree } => (Complexity::Polynomial, Some(degree)),
            GrowthClass::Linear | GrowthClass::Inconclusive => {
                if first_try.is_none() {
                    first_try = Some((candidate.clone(), measured));
                }
                continue;
            }
        };
        confirmed.push((candidate.clone(), measured, complexity, degree));
        if complexity == Complexity::Exponential {
            break;
        }
    }
    // Worst first; among equals, the order the analysis proposed them in.
    confirmed.sort_by_key(|c| std::cmp::Reverse(c.2.rank(c.3)));
    let mut confirmed = confirmed.into_iter();
    if let Some((candidate, measured, complexity, degree)) = confirmed.next() {
        if (complexity, degree) != (candidate.complexity, candidate.degree) {
            notes.push(format!(
                "the static analysis claimed {}; the simulator measured {} (the measurement is reported)",
                candidate.complexity.big_o(candidate.degree),
                complexity.big_o(degree)
            ));
        }
        return Verdict {
            complexity,
            degree,
            confirmed: true,
            candidate: Some(candidate),
            growth: Some(measured),
            claimed,
            notes,
            engine: None,
            alternatives: confirmed.map(|(c, _, class, degree)| (c.attack, class, degree)).collect(),
            bounded: None,
        };
    }
    let (candidate, measured) = first_try.map_or((None, None), |(c, g)| (Some(c), Some(g)));
    let inconclusive = measured.as_ref().is_some_and(|g| matches!(g.class, GrowthClass::Inconclusive));
    notes.push(if inconclusive {
        format!(
            "the static analysis suggests {}, but the simulation ran out of budget before it could confirm it",
            claimed.0.big_o(claimed.1)
        )
    } else {
        format!(
            "the static analysis suggests {}, but the simulator measured linear growth on its attack strings; \
             not reported",
            claimed.0.big_o(claimed.1)
        )
    });
    Verdict {
        complexity: Complexity::Unknown,
        degree: None,
        confirmed: false,
        candidate,
        growth: measured,
        claimed,
        notes,
        engine: None,
        alternatives: Vec::new(),
        bounded: None,
    }
}

/// True when a quick measurement's class is not to be trusted as is. A
/// few doublings of a long pump can look exponential when the growth is a
/// high-degree polynomial (grok CISCOFW419002's quartic), and a degree
/// still rising at the end of the quick budget may be short of the true
/// one ([`Growth::still_rising`]).
fn unsettled(measured: &Growth) -> bool {
    measured.class == GrowthClass::Exponential || measured.still_rising()
}

/// A quick measurement, or when it is [`unsettled`] one on a larger
/// budget, which sees more points and decides: the full budget for an
/// exponential class, a fifth of it for a degree still rising (enough for
/// the 2019 rule's quartic, at a fifth of the cost). The quick measurement
/// stands when the longer one is not super-linear.
fn settle(program: &Program, attack: &Attack, settings: &RedosSettings, quick: Growth) -> Growth {
    if !unsettled(&quick) {
        return quick;
    }
    let config = if quick.class == GrowthClass::Exponential {
        settings.growth
    } else {
        settings.growth.with_steps((settings.growth.total_steps / 5).max(quick_steps(&settings.growth)))
    };
    let longer = growth::measure(program, attack, &config);
    if longer.class.is_superlinear() { longer } else { quick }
}

/// The share of the simulation budget a first measurement gets: 1/25, the
/// default 200,000 steps. Across the shared configs a fifth gave the same
/// classes and degrees at almost four times the steps, except that short
/// measurements of long pumps can look exponential, which the full budget
/// then settles.
const QUICK_SHARE: u64 = 25;

fn quick_steps(config: &GrowthConfig) -> u64 {
    (config.total_steps / QUICK_SHARE).max(200_000).min(config.total_steps)
}

/// A [`QUICK_SHARE`] of the configured simulation budget (at least 200,000
/// steps).
fn quick(config: &GrowthConfig) -> GrowthConfig {
    config.with_steps(quick_steps(config))
}

/// Simulate unchecked attacks; a confirmed one becomes the verdict.
fn confirm_speculative(
    ir: &Ir,
    flavor: Flavor,
    semantics: Semantics,
    speculative: &[Candidate],
    settings: &RedosSettings,
    notes: &[String],
) -> Option<Verdict> {
    if speculative.is_empty() {
        return None;
    }
    let program = Program::compile(ir, &SimOptions::new(flavor, semantics)).ok()?;
    // Unchecked attacks are usually linear: measure them on shorter inputs
    // (still long enough to show a quadratic) so a safe pattern stays cheap.
    let config = GrowthConfig { max_input_len: settings.growth.max_input_len.min(640), ..quick(&settings.growth) };
    for candidate in speculative {
        let measured = growth::measure(&program, &candidate.attack, &config);
        let (complexity, degree) = match measured.class {
            GrowthClass::Exponential => (Complexity::Exponential, None),
            GrowthClass::Polynomial { degree } => (Complexity::Polynomial, Some(degree)),
            GrowthClass::Linear | GrowthClass::Inconclusive => continue,
        };
        let mut notes = notes.to_vec();
        notes.push(
            "the blow-up happens before the pattern finally matches: the engine tries every shorter split first"
                .to_owned(),
        );
        let mut candidate = candidate.clone();
        candidate.complexity = complexity;
        candidate.degree = degree;
        return Some(Verdict {
            complexity,
            degree,
            confirmed: true,
            candidate: Some(candidate),
            growth: Some(measured),
            claimed: (Complexity::Linear, None),
            notes,
            engine: None,
            alternatives: Vec::new(),
            bounded: None,
        });
    }
    None
}

/// [`check`], then for `pcre` the replay on the real PCRE2
/// ([`cross_check`]): the verdict findings and `cfglint regex` report.
pub fn check_with_engine(
    pattern: &str,
    ir: &Ir,
    flavor: Flavor,
    flags: Flags,
    semantics: Semantics,
    settings: &RedosSettings,
) -> Verdict {
    let mut verdict = check(pattern, ir, flavor, semantics, settings);
    if flavor == Flavor::Pcre {
        cross_check(&mut verdict, pattern, ir, flags, semantics, settings);
        if let Some(b) = verdict.bounded.as_mut().filter(|b| b.steps_per_char() >= REPORT_FROM)
            && let Some(mut pcre2) = Replayer::new(pattern, flags, semantics)
        {
            // 1 KB: past the bounds the cost per byte stays put, and PCRE2
            // with step callouts is slower than the simulator.
            let attack = &b.candidate.attack;
            let fixed = attack.prefix.len() + attack.suffix.len();
            let subject = attack.build((BOUNDED_INPUT / 4).saturating_sub(fixed) / attack.pump.len().max(1));
            b.pcre2 = pcre2.work(subject.as_bytes(), BOUNDED_RUN_STEPS).map(|w| EngineCheck {
                engine: pcre2.engine(),
                reproduced: false,
                steps: vec![(subject.len() as u64, w)],
                attack: None,
                complexity: None,
            });
        }
    }
    verdict
}

/// The second witness for `pcre` verdicts: replay the confirmed attack on
/// the real PCRE2 (see [`engine`]) and record what it did in
/// [`Verdict::engine`]. When PCRE2 stays linear because the attack lacks
/// the last literal character every match needs (PCRE2 then fails without
/// backtracking), the attack is retried once with that character at its
/// end; if both the simulator and PCRE2 confirm the new attack, it
/// replaces the old one. When PCRE2 resists the worst attack and its
/// variants, the other confirmed attacks ([`Verdict::alternatives`], worst
/// first) are replayed in turn: the first that PCRE2 reproduces is recorded
/// as PCRE2's attack, with its own class, beside the finding's. Other
/// flavors, unconfirmed verdicts and builds without PCRE2 are left as they
/// are.
pub fn cross_check(
    verdict: &mut Verdict,
    pattern: &str,
    ir: &Ir,
    flags: Flags,
    semantics: Semantics,
    settings: &RedosSettings,
) {
    if !verdict.is_vulnerable() {
        return;
    }
    let Some(candidate) = verdict.candidate.as_ref() else { return };
    if !super::engine::REPLAYS {
        verdict.notes.push(super::engine::NOT_REPLAYED.to_owned());
        return;
    }
    let Some(mut pcre2) = Replayer::new(pattern, flags, semantics) else { return };
    let program = Program::compile(ir, &SimOptions::new(Flavor::Pcre, semantics)).ok();
    let primary = (candidate.attack.clone(), verdict.complexity, verdict.degree);
    let attacks: Vec<(Attack, Complexity, Option<u32>)> =
        std::iter::once(primary).chain(verdict.alternatives.iter().cloned()).collect();
    let mut first_check: Option<EngineCheck> = None;
    for (i, (original, complexity, degree)) in attacks.into_iter().enumerate() {
        let Some(mut check) = pcre2.replay(&original) else { continue };
        if check.reproduced {
            if i > 0 {
                // Weaker than the finding's attack on plain backtrackers:
                // keep that one, and this one as PCRE2's.
                check.attack = Some(original);
                check.complexity = Some(complexity.big_o(degree));
            }
            verdict.engine = Some(check);
            return;
        }
        if first_check.is_none() {
            first_check = Some(check);
        }
        let Some(program) = program.as_ref() else { continue };
        let Some(c) = pcre2.required_last().map(char::from).filter(|&c| !original.build(1).contains(c)) else {
            continue;
        };
        // Two places for the missing character: after the suffix (the
        // failure point stays where it was), or before the pump (the match
        // then succeeds, but only after the engine has tried every split,
        // as the 2019 outage rule did on inputs that contained its `=`).
        let mut at_end = original.clone();
        at_end.suffix.push(c);
        let mut before_pump = original.clone();
        before_pump.prefix.push(c);
        for (attack, place) in [(at_end, "ends with"), (before_pump, "has before the pumped part")] {
            let first = growth::measure(program, &attack, &quick(&settings.growth));
            let measured = settle(program, &attack, settings, first);
            let class = match measured.class {
                GrowthClass::Exponential => (Complexity::Exponential, None),
                GrowthClass::Polynomial { degree } => (Complexity::Polynomial, Some(degree)),
                GrowthClass::Linear | GrowthClass::Inconclusive => continue,
            };
            let Some(mut second) = pcre2.replay(&attack) else { continue };
            if !second.reproduced {
                continue;
            }
            if i == 0 && class == (verdict.complexity, verdict.degree) {
                // As strong as the original, and it works on PCRE2 too: use it.
                verdict.notes.push(format!(
                    "the attack {place} {c:?}: every match needs one, and PCRE2 gives up at once on a subject \
                     without it"
                ));
                if let Some(cand) = verdict.candidate.as_mut() {
                    cand.attack = attack;
                }
                verdict.growth = Some(measured);
            } else {
                // Weaker than the finding's attack on plain backtrackers:
                // keep that one as the finding's attack, and the variant
                // as PCRE2's.
                second.attack = Some(attack);
                second.complexity = Some(class.0.big_o(class.1));
            }
            verdict.engine = Some(second);
            return;
        }
    }
    verdict.engine = first_check;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::parse::{ParseConfig, parse};

    fn verdict(pattern: &str, flavor: Flavor, semantics: Semantics) -> Verdict {
        let ir = parse(pattern, &ParseConfig::new(flavor)).expect("test pattern parses");
        check(pattern, &ir, flavor, semantics, &RedosSettings::default())
    }

    #[test]
    fn confirms_exponential() {
        let v = verdict("^(a+)+$", Flavor::Pcre, Semantics::Search);
        assert!(v.is_vulnerable());
        assert_eq!(v.complexity, Complexity::Exponential);
        assert!(v.steps().len() >= 3);
        let attack = &v.candidate.as_ref().unwrap().attack;
        assert!(!attack.pump.is_empty());
    }

    #[test]
    fn confirms_cubic_outage_rule() {
        let v = verdict(".*(?:.*=.*)", Flavor::Pcre, Semantics::Search);
        assert!(v.is_vulnerable());
        assert_eq!((v.complexity, v.degree), (Complexity::Polynomial, Some(3)));
    }

    #[test]
    fn the_worst_confirmed_candidate_wins() {
        // Two loops after a search: retry × `.*` × `.*` is cubic on
        // `a`·`ab`ⁿ. A quadratic candidate (retry × one loop) is confirmed
        // too; the verdict must be the worst measured growth, not the first
        // confirmed one.
        let v = verdict("a.*b.*c", Flavor::Js, Semantics::Search);
        assert_eq!((v.complexity, v.degree), (Complexity::Polynomial, Some(3)), "{v:?}");
        // Anchored, one start: quadratic.
        let v = verdict("^a.*b.*c", Flavor::Js, Semantics::Search);
        assert_eq!((v.complexity, v.degree), (Complexity::Polynomial, Some(2)), "{v:?}");
    }

    #[test]
    fn linear_and_linear_flavors() {
        assert_eq!(verdict("^[a-z]+$", Flavor::Js, Semantics::Search).complexity, Complexity::Linear);
        let v = verdict("^(a+)+$", Flavor::Re2, Semantics::Search);
        assert_eq!(v.complexity, Complexity::Linear);
        assert!(!v.is_vulnerable());
    }

    #[test]
    fn blow_up_before_a_final_match() {
        // path-parse (CVE-2021-23343): the lazy `[\s\S]*?` always matches
        // in the end, but only after retrying `[\/]*` from every position.
        let v =
            verdict(r"^(\/?|)([\s\S]*?)((?:\.{1,2}|[^\/]+?|)(\.[^.\/]*|))(?:[\/]*)$", Flavor::Js, Semantics::Search);
        assert!(v.is_vulnerable(), "{v:?}");
        assert_eq!(v.complexity, Complexity::Polynomial);
        // Always matching, with no costly split: stays linear.
        assert!(!verdict("a+a+", Flavor::Js, Semantics::Search).is_vulnerable());
        assert!(!verdict("(a*)*", Flavor::Js, Semantics::Search).is_vulnerable());
    }

    #[cfg(feature = "pcre2")]
    fn crossed(pattern: &str) -> Verdict {
        let ir = parse(pattern, &ParseConfig::new(Flavor::Pcre)).expect("test pattern parses");
        check_with_engine(pattern, &ir, Flavor::Pcre, Flags::default(), Semantics::Search, &RedosSettings::default())
    }

    #[cfg(feature = "pcre2")]
    #[test]
    fn real_pcre2_second_witness() {
        // Plain blow-up, reproduced as is.
        let v = crossed("^(a+)+$");
        assert!(v.engine.as_ref().is_some_and(|e| e.reproduced && e.attack.is_none()), "{v:?}");
        // The outage rule: `""` × n is O(n⁴) on a plain backtracker (node
        // measured 0.7 / 10.7 / 141 s at n = 100 / 200 / 400). PCRE2 skips
        // subjects without `=`; with `=` before the pump it matches, after
        // polynomial work. The finding keeps its worst attack; PCRE2's
        // is recorded beside it.
        let v = crossed(
            r#"(?:(?:\"|'|\]|\}|\\|\d|(?:nan|infinity|true|false|null|undefined|symbol|math)|\`|\-|\+)+[)]*;?((?:\s|-|~|!|{}|\|\||\+)*.*(?:.*=.*)))"#,
        );
        assert_eq!((v.complexity, v.degree), (Complexity::Polynomial, Some(4)));
        let e = v.engine.as_ref().expect("replayed");
        assert!(e.reproduced && e.attack.as_ref().is_some_and(|a| a.prefix.contains('=')), "{e:?}");
        // A required `g` appended keeps the class: the attack is replaced.
        let v = crossed(r"\s+[\s\w]+=\s*?\w+\s*?having\s+");
        assert!(v.is_vulnerable() && v.engine.as_ref().is_some_and(|e| e.reproduced && e.attack.is_none()));
        assert!(v.candidate.as_ref().is_some_and(|c| c.attack.build(2).contains('g')), "{v:?}");
        // PCRE2 anchors a leading `.*` at line starts: linear there, while
        // a plain backtracker retries from every position.
        let v = crossed(r".*\.(?:jsp|jspx)\.*$");
        assert!(v.is_vulnerable());
        assert!(v.engine.as_ref().is_some_and(|e| !e.reproduced), "{v:?}");
    }

    #[test]
    fn anchoring_changes_the_verdict() {
        // `a+$` retried at every start is quadratic; anchored at the start
        // it is linear.
        let search = verdict("a+$", Flavor::Js, Semantics::Search);
        assert_eq!((search.complexity, search.degree), (Complexity::Polynomial, Some(2)));
        assert!(!verdict("a+$", Flavor::Js, Semantics::AnchoredStart).is_vulnerable());
    }
}
