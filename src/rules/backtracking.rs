//! What CL001 (exponential) and CL002 (polynomial) share: turning a
//! confirmed [`Verdict`] into a finding that a WAF author can act on.
//!
//! The primary label underlines the quantifier that drives the blow-up
//! inside the pattern inside the file; the other loops involved get
//! secondary labels. The message names the growth and the engine, the
//! help gives the rewrite hint, and the evidence carries the attack string
//! and the steps the simulator measured.

use crate::analysis::candidates::Candidate;
use crate::finding::{Complexity, Evidence, Finding, Label, Severity};
use crate::source::{Flavor, Semantics};
use crate::verify::verdict::Verdict;

use super::{PatternContext, RuleMeta};

/// The engine's name in messages.
pub fn engine(flavor: Flavor) -> &'static str {
    flavor.engine_name()
}

fn how(semantics: Semantics) -> &'static str {
    match semantics {
        Semantics::Search => "searching",
        Semantics::AnchoredStart => "matching from the start",
        Semantics::FullMatch => "matching the whole input",
    }
}

/// The static analysis's account of the overlap, unless the simulator
/// measured a different class: an exponential claim confirmed only as
/// polynomial (a bounded repetition, or the text around the loop, caps the
/// number of ways) must not say "2^n ways".
fn overlap(candidate: &Candidate, verdict: &Verdict) -> String {
    if candidate.complexity == Complexity::Exponential && verdict.complexity == Complexity::Polynomial {
        let claim = [", so n ", ", again and again"]
            .iter()
            .filter_map(|cut| candidate.overlap.find(cut))
            .min()
            .map_or(candidate.overlap.as_str(), |at| &candidate.overlap[..at]);
        return format!(
            "{claim}; the simulator measured {} growth, not exponential (something around the loop caps the \
             number of ways)",
            verdict.complexity.big_o(verdict.degree)
        );
    }
    candidate.overlap.clone()
}

/// The one severity policy of CL001 and CL002, which the finding's notes
/// follow:
///
/// - a severity the user set for the rule in `cfglint.toml` wins;
/// - otherwise the rule's default (error), except that a polynomial of
///   degree 2 is a warning;
/// - a `pcre` finding that the real PCRE2 keeps linear on the attack is at
///   most a warning (ModSecurity and nginx are not at risk from it, the
///   plain backtracking engines still are).
pub(crate) fn severity(cx: &PatternContext<'_>, meta: &RuleMeta, verdict: &Verdict) -> Severity {
    if cx.settings.overrides.contains_key(&meta.code) {
        return cx.settings.severity(meta);
    }
    let by_class = match verdict.complexity {
        Complexity::Polynomial if verdict.degree.unwrap_or(2) < 3 => Severity::Warning,
        _ => meta.default_severity,
    };
    if verdict.engine.as_ref().is_some_and(|e| !e.reproduced) { by_class.min(Severity::Warning) } else { by_class }
}

/// False when the blow-up belongs to another pattern of the file, which
/// reports it: a CRS regex-assembly line is analysed as its branch of the
/// assembled rule, and when every loop of the attack lies in other lines
/// of its blocks, those lines (whose own branches hold this one's text)
/// carry the finding.
pub(crate) fn reported_here(cx: &PatternContext<'_>, verdict: &Verdict) -> bool {
    if cx.pattern.kind != crate::source::Kind::CrsRegexAssembly {
        return true;
    }
    let Some(candidate) = verdict.candidate.as_ref() else { return true };
    let branches = crate::source::lines::regex_assembly::branches(cx.file);
    let Some(branch) = branches.get(&cx.pattern.key) else { return true };
    let line_len = cx.pattern.pattern.len().saturating_sub(branch.before.len() + branch.after.len() + 4);
    let blamed = branch.blamed(line_len);
    candidate.loops.is_empty()
        || candidate.loops.iter().any(|l| blamed.iter().any(|r| l.start < r.end && r.start < l.end.max(l.start + 1)))
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
        overlap(candidate, verdict)
    );
    let mut f = cx.finding(meta, primary, message);
    f.primary_label = Some(match verdict.complexity {
        Complexity::Exponential => "this loop can match the same text in exponentially many ways".into(),
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
    f.severity = severity(cx, meta, verdict);
    if let Some(e) = &verdict.engine {
        let mut note = e.note();
        if !e.reproduced {
            note.push_str("; JavaScript, Python and Java still blow up");
            if f.severity == Severity::Warning && !cx.settings.overrides.contains_key(&meta.code) {
                note.push_str(", so this is a warning for PCRE2");
            }
        }
        f.notes.push(note);
    }
    // A proven fix, when one exists: shown under `help:` and carried as data.
    let opts = crate::source::ExtractOptions::default();
    if cx.settings.fixes {
        match crate::fix::for_pattern(cx.file, cx.pattern, &opts, Some(&candidate.attack), &cx.settings.redos) {
            Ok(fix) => {
                let what = match &fix.edits {
                    None => "replace the pattern".to_owned(),
                    Some(key) => {
                        let line = cx.file.text.get(..fix.span.start).map_or(0, |t| t.matches('\n').count()) + 1;
                        format!("the blow-up is in the rule's prefix: replace `{key}` (line {line})")
                    }
                };
                f.help = Some(format!("{}\nproven fix: {what} with `{}`", candidate.hint, fix.pattern));
                f.fix = Some(fix);
            }
            Err(why) => f.no_fix = Some(why.0),
        }
    }
    f.evidence = Some(Evidence {
        complexity: verdict.complexity,
        degree: verdict.degree,
        attack: Some(candidate.attack.clone()),
        confirmed: verdict.confirmed,
        steps: verdict.steps(),
        engine: verdict.engine.clone(),
        bound: None,
    });
    f
}

#[cfg(test)]
mod tests {
    use crate::lint::{LintOptions, lint_pattern};
    use crate::source::{Flags, Flavor, Semantics};

    /// A huge bounded repetition is modelled as a loop, so the analysis
    /// claims exponential; the simulator measures polynomial, and the
    /// message must follow the measurement.
    #[test]
    fn message_follows_the_measured_class() {
        let mut opts = LintOptions::default();
        opts.rules.select = vec!["CL001".into(), "CL002".into()];
        let r = lint_pattern(
            "(a{1000000}){1000000}(\\w|\\d)*\\w*$",
            Flavor::Js,
            Flags::default(),
            Semantics::Search,
            &opts,
        );
        let f = r.findings.first().expect("a finding");
        assert_eq!(f.code, "CL002", "{f:?}");
        assert!(!f.message.contains("2^n") && f.message.contains("the simulator measured O(n"), "{}", f.message);
    }
}
