//! What CL001 (exponential) and CL002 (polynomial) share: turning a
//! confirmed [`Verdict`] into a finding that a WAF author can act on.
//!
//! The primary label underlines the quantifier that drives the blow-up
//! inside the pattern inside the file; the other loops involved get
//! secondary labels. The message names the growth and the engine, the
//! help gives the rewrite hint, and the evidence carries the attack string
//! and the steps the simulator measured.

use crate::report::{Evidence, Finding, Label};
use crate::source::{Flavor, Semantics};
use crate::verify::redos::Verdict;

use super::{PatternContext, RuleMeta};

/// The engine's name in messages.
pub fn engine(flavor: Flavor) -> &'static str {
    match flavor {
        Flavor::Pcre => "PCRE",
        Flavor::Js => "JavaScript",
        Flavor::Python => "Python re",
        Flavor::Java => "Java",
        Flavor::Re2 => "RE2",
        Flavor::Rust => "Rust regex",
    }
}

fn how(semantics: Semantics) -> &'static str {
    match semantics {
        Semantics::Search => "searching",
        Semantics::AnchoredStart => "matching from the start",
        Semantics::FullMatch => "matching the whole input",
    }
}

/// Build the finding for a confirmed verdict.
pub(crate) fn finding(cx: &PatternContext<'_>, meta: &RuleMeta, verdict: &Verdict) -> Finding {
    let candidate = verdict.candidate.as_ref().expect("a confirmed verdict has a candidate");
    let primary = candidate.loops.first().copied();
    let growth = verdict.complexity.big_o(verdict.degree);
    let message = format!(
        "{growth} backtracking in {} when {}: {}",
        engine(cx.pattern.flavor),
        how(cx.pattern.semantics),
        candidate.overlap
    );
    let mut f = cx.finding(meta, primary, message);
    f.primary_label = Some(match verdict.complexity {
        crate::report::Complexity::Exponential => "this loop can match the same text in exponentially many ways".into(),
        _ => "this loop overlaps the text another loop (or the retry) consumes".into(),
    });
    for &span in candidate.loops.iter().skip(1) {
        f.labels.push(Label { span: cx.file_span(span), message: "overlaps with this loop".into() });
    }
    f.help = Some(candidate.hint.clone());
    f.notes.clone_from(&verdict.notes);
    if let Some(g) = &verdict.growth
        && let Some(steps) = g.estimate_steps_at_len(4096)
        && steps.is_finite()
        && steps > 1e6
    {
        f.notes.push(format!(
            "an attack input of 4 KB would take about {steps:.1e} backtracking steps (extrapolated from the measured \
             growth)"
        ));
    }
    f.evidence = Some(Evidence {
        complexity: verdict.complexity,
        degree: verdict.degree,
        attack: Some(candidate.attack.clone()),
        confirmed: verdict.confirmed,
        steps: verdict.steps(),
    });
    f
}
