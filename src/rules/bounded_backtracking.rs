//! CL010 bounded-backtracking: a blow-up that counted repetitions' bounds
//! keep linear, reported with its measured cost per character (see
//! [`BoundedCost`]).

use crate::finding::{Evidence, Finding, Label, Severity};
use crate::verify::verdict::{BoundedCost, Verdict};

use super::{PatternContext, Rule, RuleMeta, backtracking};

/// CL010.
pub(crate) struct BoundedBacktracking;

/// Reported from this many simulator steps per character of the 4 KB
/// attack.
pub use crate::verify::verdict::REPORT_FROM;

/// A warning (not a note) from this many steps per character.
pub const WARN_FROM: f64 = 1_000.0;

impl Rule for BoundedBacktracking {
    fn meta(&self) -> &'static RuleMeta {
        super::meta("bounded-backtracking")
    }

    fn check(&self, cx: &PatternContext<'_>, out: &mut Vec<Finding>) {
        let Some(verdict) = cx.verdict() else { return };
        let Some(cost) = verdict.bounded.as_ref() else { return };
        if verdict.is_vulnerable() || cost.steps_per_char() < REPORT_FROM {
            return;
        }
        out.push(finding(cx, self.meta(), verdict, cost));
    }
}

fn finding(cx: &PatternContext<'_>, meta: &RuleMeta, verdict: &Verdict, cost: &BoundedCost) -> Finding {
    let candidate = &cost.candidate;
    let growth = cost.complexity.big_o(cost.degree);
    let bounds = cost
        .bounds
        .iter()
        .map(|&(span, _)| format!("`{}`", cx.pattern.pattern.get(span.start..span.end).unwrap_or("{…}")))
        .collect::<Vec<_>>()
        .join(", ");
    let steps = cost.steps.last().map_or(0, |&(_, s)| s);
    let per_char = cost.steps_per_char();
    let message = format!(
        "bounded {growth} backtracking in {}: within the bounds of {bounds} the loops overlap; an attack of {} \
         characters takes {steps:.1e} steps ({per_char:.0} per character)",
        backtracking::engine(cx.pattern.flavor),
        cost.chars,
        steps = steps as f64,
    );
    let mut f = cx.finding(meta, candidate.loops.first().copied(), message);
    f.primary_label = Some("this loop overlaps the text another loop (or the retry) consumes".into());
    for &span in candidate.loops.iter().skip(1) {
        f.labels.push(Label { span: cx.file_span(span), message: "overlaps with this loop".into() });
    }
    f.help = Some(format!(
        "anchor the pattern, make the bounded loops disjoint from what follows them, or lower the bounds; {}",
        candidate.hint
    ));
    f.notes.push(format!(
        "without the bounds this is {growth} ({}); the bounds make the growth linear past inputs about as long as \
         they are, at a cost per character close to their product",
        candidate.overlap
    ));
    f.notes.extend(verdict.notes.iter().filter(|n| !n.starts_with("counted repetition")).cloned());
    if cx.pattern.flavor == crate::source::Flavor::Pcre && !crate::verify::engine::REPLAYS {
        f.notes.push(crate::verify::engine::NOT_REPLAYED.to_owned());
    }
    if let Some(e) = &cost.pcre2
        && let Some(&(bytes, work)) = e.steps.last()
    {
        f.notes.push(format!(
            "replayed on {}: {work} steps at {bytes} bytes ({:.0} per byte)",
            e.engine,
            work as f64 / bytes.max(1) as f64
        ));
    }
    f.severity = if cx.settings.overrides.contains_key(&meta.code) {
        cx.settings.severity(meta)
    } else if per_char >= WARN_FROM {
        Severity::Warning
    } else {
        meta.default_severity
    };
    f.evidence = Some(Evidence {
        complexity: cost.complexity,
        degree: cost.degree,
        attack: Some(candidate.attack.clone()),
        confirmed: true,
        steps: cost.steps.clone(),
        engine: cost.pcre2.clone(),
        bound: cost.bounds.iter().map(|&(_, max)| max).max(),
    });
    f
}
