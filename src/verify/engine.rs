//! The real engine as a second witness: replay a confirmed attack on the
//! PCRE2 library linked into cfglint and say whether PCRE2 itself
//! backtracks super-linearly on it.
//!
//! Pipeline position: after [`super::redos::check`] confirmed a `pcre`
//! verdict with the simulator (which models a plain backtracking engine,
//! as JavaScript, Python and Java are). PCRE2 adds optimizations the plain
//! model lacks: auto-possessification (`\s+` before `\w` never gives back
//! a character), a required-character check (a subject without the
//! pattern's last literal fails before any backtracking), and start-of-match
//! bitmaps. An attack the simulator confirms can therefore stay linear in
//! PCRE2. The finding then says so, and is downgraded (see
//! `rules::backtracking`), because for a ModSecurity or PCRE2 deployment it
//! is not a denial of service, while it still is in the other engines.
//!
//! When the replay stays linear and PCRE2 reports a required last
//! character that the attack lacks, `verdict::cross_check` tries variants of
//! the attack with that character added, re-confirming each with the
//! simulator before it replays it here.
//!
//! Guarantees: each replay is bounded by [`BUDGET`] units of PCRE2 work and
//! [`MAX_BYTES`] bytes per subject; without the `pcre2` feature nothing
//! runs ([`Replayer::new`] gives `None`).

use serde::{Deserialize, Serialize};

use crate::analysis::Attack;
use crate::source::{Flags, Semantics};

/// PCRE2 work (auto-callout steps plus the subject bytes scanned between
/// them) spent on one replay, over all its runs.
pub const BUDGET: u64 = 400_000;

/// Longest subject replayed, in bytes.
pub const MAX_BYTES: usize = 8192;

/// True when this build replays attacks on PCRE2 (the `pcre2` feature).
pub const REPLAYS: bool = cfg!(feature = "pcre2");

/// The note a confirmed `pcre` verdict carries in a build without PCRE2,
/// where it would otherwise say what the real engine did.
pub const NOT_REPLAYED: &str = "not replayed: built without PCRE2 (the `pcre2` feature), so only the simulator \
                                confirmed this attack";

/// What the real engine did with an attack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineCheck {
    /// The engine and its version, e.g. `PCRE2 10.46 2025-08-27`.
    pub engine: String,
    /// True when the steps grew super-linearly with the subject length (or
    /// the budget ran out on a doubling after a clear rise).
    pub reproduced: bool,
    /// Measured `(subject bytes, work)` pairs, where work is PCRE2's
    /// backtracking steps plus the bytes scanned between them.
    pub steps: Vec<(u64, u64)>,
    /// The attack replayed, when it is not the finding's own (a variant
    /// that PCRE2's optimizations do not skip, but that a plain
    /// backtracker finds less costly than the finding's attack).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attack: Option<Attack>,
    /// The variant's growth on a plain backtracker (e.g. `O(n²)`), with
    /// [`EngineCheck::attack`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complexity: Option<String>,
}

impl EngineCheck {
    /// What the real engine did with the attack, in one sentence (a
    /// finding's note).
    pub fn note(&self) -> String {
        let last = |k: usize| self.steps.iter().rev().nth(k).copied();
        let figures = match (last(1), last(0)) {
            (Some((b0, w0)), Some((b1, w1))) => format!(" ({w0} steps at {b0} bytes, {w1} at {b1})"),
            _ => String::new(),
        };
        if let (true, Some(a), Some(c)) = (self.reproduced, &self.attack, &self.complexity) {
            format!(
                "replayed on {}: it rejects this attack at once (the attack lacks a character every match needs), \
                 but {:?} + {:?} × n + {:?} ({c} on a plain backtracker) blows it up too{figures}",
                self.engine, a.prefix, a.pump, a.suffix
            )
        } else if self.reproduced {
            format!("replayed on {}: the real engine blows up too{figures}", self.engine)
        } else {
            format!(
                "replayed on {}, which stays linear on this attack{figures}: its auto-possessive quantifiers and \
                 required-character and start-of-match checks cut the backtracking",
                self.engine
            )
        }
    }
}

/// A pattern compiled by PCRE2 for replays, as it runs under its semantics
/// (compiled once, replayed for as many attacks as needed).
pub struct Replayer(imp::Compiled);

impl Replayer {
    /// Compile `pattern`; `None` when PCRE2 is not built in or rejects the
    /// pattern (CL004 reports that).
    pub fn new(pattern: &str, flags: Flags, semantics: Semantics) -> Option<Replayer> {
        imp::Compiled::new(&anchored(pattern, semantics), flags).map(Replayer)
    }

    /// Replay `attack`: the subject `prefix + pump×n + suffix` for doubling
    /// `n`, within [`BUDGET`] and [`MAX_BYTES`]. `None` for an empty pump.
    pub fn replay(&mut self, attack: &Attack) -> Option<EngineCheck> {
        self.0.replay(attack)
    }

    /// The last literal byte PCRE2 requires in every match (its "required
    /// code unit"), when it has one.
    pub fn required_last(&self) -> Option<u8> {
        self.0.required_last()
    }

    /// The work (steps plus bytes scanned) of one run on `subject`, or
    /// `None` when it exceeds `budget`: a single measurement, for costs
    /// that a doubling ladder cannot show (a bounded repetition's cost is
    /// linear in the length but large per byte).
    pub fn work(&mut self, subject: &[u8], budget: u64) -> Option<u64> {
        self.0.work(subject, budget)
    }

    /// The engine and its version, e.g. `PCRE2 10.46 2025-08-27`.
    pub fn engine(&self) -> String {
        self.0.engine()
    }
}

/// [`Replayer::new`] and [`Replayer::replay`] in one call.
pub fn replay_pcre2(pattern: &str, flags: Flags, semantics: Semantics, attack: &Attack) -> Option<EngineCheck> {
    Replayer::new(pattern, flags, semantics)?.replay(attack)
}

/// The pattern as PCRE2 must run it for `semantics`.
fn anchored(pattern: &str, semantics: Semantics) -> String {
    match semantics {
        Semantics::Search => pattern.to_owned(),
        Semantics::AnchoredStart => format!("\\A(?:{pattern})"),
        Semantics::FullMatch => format!("\\A(?:{pattern})\\z"),
    }
}

/// Decide from doubling points whether the growth is super-linear: the
/// log-log slope of the last doubling whose steps are well above the
/// fixed cost exceeds 1.5, or the budget ran out on a run predicted to fit.
#[cfg_attr(not(feature = "pcre2"), allow(dead_code))]
fn superlinear(points: &[(u64, u64)], budget_hit: bool) -> bool {
    if budget_hit && points.len() >= 2 {
        return true;
    }
    // Both ends well above the fixed cost: a jump from 0 (a check that
    // skipped the match) to a linear cost is not a growth rate.
    points.windows(2).rev().find(|w| w[0].1 >= 500 && w[1].1 >= 2_000).is_some_and(|w| {
        let (l0, s0) = (w[0].0 as f64, w[0].1.max(1) as f64);
        let (l1, s1) = (w[1].0 as f64, w[1].1 as f64);
        (s1 / s0).ln() / (l1 / l0).ln() > 1.5
    })
}

#[cfg(feature = "pcre2")]
mod imp {
    use super::{Attack, BUDGET, EngineCheck, MAX_BYTES, superlinear};
    use crate::engine::pcre::{Limits, Outcome, Pcre, version};
    use crate::source::Flags;

    pub(super) struct Compiled(Pcre);

    impl Compiled {
        pub(super) fn new(pattern: &str, flags: Flags) -> Option<Compiled> {
            let limits = Limits { steps: BUDGET, match_limit: u32::MAX, ..Limits::default() };
            Pcre::new(pattern, flags, limits).ok().map(Compiled)
        }

        pub(super) fn required_last(&self) -> Option<u8> {
            self.0.required_last_code_unit()
        }

        pub(super) fn work(&mut self, subject: &[u8], budget: u64) -> Option<u64> {
            let c = self.0.count_with_budget(subject, budget);
            let work = c.steps.saturating_add(c.scanned);
            (!matches!(c.outcome, Outcome::Limit(_)) && work <= budget).then_some(work)
        }

        #[allow(clippy::unused_self, reason = "the other `imp` has no PCRE2 and no value of this type")]
        pub(super) fn engine(&self) -> String {
            format!("PCRE2 {}", version())
        }

        pub(super) fn replay(&mut self, attack: &Attack) -> Option<EngineCheck> {
            if attack.pump.is_empty() {
                return None;
            }
            let mut points: Vec<(u64, u64)> = Vec::new();
            let mut used = 0u64;
            let mut budget_hit = false;
            let mut n = 1usize;
            loop {
                let subject = attack.build(n);
                if subject.len() > MAX_BYTES {
                    break;
                }
                let remaining = BUDGET.saturating_sub(used);
                // Room for a quadratic's fourfold rise, or stop: running out
                // must mean growth, not a small budget.
                if let Some(&(_, last)) = points.last()
                    && remaining < last.saturating_mul(3)
                {
                    break;
                }
                let c = self.0.count_with_budget(subject.as_bytes(), remaining);
                // The work: steps plus the bytes scanned between them (a
                // possessive `\s++` scans its run in one step).
                let work = c.steps.saturating_add(c.scanned);
                used = used.saturating_add(work);
                if matches!(c.outcome, Outcome::Limit(_)) || used > BUDGET {
                    budget_hit = true;
                    break;
                }
                points.push((subject.len() as u64, work));
                n *= 2;
            }
            let reproduced = superlinear(&points, budget_hit);
            Some(EngineCheck {
                engine: format!("PCRE2 {}", version()),
                reproduced,
                steps: points,
                attack: None,
                complexity: None,
            })
        }
    }
}

#[cfg(not(feature = "pcre2"))]
mod imp {
    use super::{Attack, EngineCheck};
    use crate::source::Flags;

    /// Never built: without PCRE2 there is nothing to replay on.
    pub(super) enum Compiled {}

    impl Compiled {
        pub(super) fn new(_: &str, _: Flags) -> Option<Compiled> {
            None
        }

        pub(super) fn required_last(&self) -> Option<u8> {
            match *self {}
        }

        pub(super) fn work(&mut self, _: &[u8], _: u64) -> Option<u64> {
            match *self {}
        }

        pub(super) fn engine(&self) -> String {
            match *self {}
        }

        pub(super) fn replay(&mut self, _: &Attack) -> Option<EngineCheck> {
            match *self {}
        }
    }
}

#[cfg(all(test, feature = "pcre2"))]
mod tests {
    use super::*;

    fn attack(prefix: &str, pump: &str, suffix: &str) -> Attack {
        Attack { prefix: prefix.into(), pump: pump.into(), suffix: suffix.into() }
    }

    #[test]
    fn reproduces_real_blow_ups() {
        let e = replay_pcre2("^(a+)+$", Flags::default(), Semantics::Search, &attack("", "a", "!")).expect("runs");
        assert!(e.reproduced, "{e:?}");
        assert!(e.engine.starts_with("PCRE2 10."), "{}", e.engine);
        let q = replay_pcre2(r"\s+$", Flags::default(), Semantics::Search, &attack("", " ", "x")).expect("runs");
        assert!(q.reproduced, "{q:?}");
    }

    #[test]
    fn scanning_counts_as_work() {
        // PCRE2 makes `a+` before `$` possessive, so each start costs a few
        // steps, but each one scans the rest of the run: O(n²) bytes.
        let e = replay_pcre2("a+$", Flags::default(), Semantics::Search, &attack("", "a", "!")).expect("runs");
        assert!(e.reproduced, "{e:?}");
    }

    #[test]
    fn linear_stays_linear() {
        // Anchored: one start, one scan. (Past 5,000 bytes PCRE2 stops
        // looking for the required `a` first, so work appears: linearly.)
        let p = r"^\d+a";
        let e = replay_pcre2(p, Flags::default(), Semantics::Search, &attack("", "1", "")).expect("runs");
        assert!(!e.reproduced, "{e:?}");
        assert!(e.steps.len() >= 3 && e.steps.iter().all(|&(_, s)| s < BUDGET));
    }

    #[test]
    fn required_character() {
        let required =
            |p: &str| Replayer::new(p, Flags::default(), Semantics::Search).expect("compiles").required_last();
        assert_eq!(required(r"\s+[\s\w]+=\s*\w+having"), Some(b'g'));
        assert_eq!(required(r"\d+$"), None);
        // Without the `g`, PCRE2 does not even try.
        let e = replay_pcre2(r"\s+[\s\w]+=\s*\w+having", Flags::default(), Semantics::Search, &attack("", " ", ""))
            .expect("runs");
        assert!(!e.reproduced && e.steps.iter().all(|&(_, s)| s == 0), "{e:?}");
    }
}
