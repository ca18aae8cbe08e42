//! CL008 analysis-inconclusive: the backtracking analysis reached no
//! verdict within its budget (or the pattern is beyond the analysis
//! limits), so cfglint cannot vouch for it either way. A note, never an
//! error: no finding without evidence.

use crate::analysis::parse::ParseErrorKind;
use crate::finding::{Complexity, Finding};

use super::{PatternContext, Rule, RuleMeta};

/// CL008.
pub(crate) struct AnalysisInconclusive;

impl Rule for AnalysisInconclusive {
    fn meta(&self) -> &'static RuleMeta {
        super::meta("analysis-inconclusive")
    }

    fn check(&self, cx: &PatternContext<'_>, out: &mut Vec<Finding>) {
        if !cx.pattern.flavor.is_backtracking() {
            return;
        }
        let meta = self.meta();
        match cx.ir() {
            Err(e) if e.kind == ParseErrorKind::Limit => {
                let mut f = cx.finding(meta, Some(e.span), format!("not analyzed for backtracking: {}", e.message));
                f.help = Some("raise the limit in `[analysis]` of cfglint.toml, or split the pattern".into());
                out.push(f);
            }
            Err(_) => {}
            Ok(_) if cx.over_run_budget() => {
                let mut f = cx.finding(meta, None, "not analysed: run budget exhausted");
                f.help = Some(
                    "the whole run's backtracking analysis ran out of time before this pattern; raise \
                     `max-run-seconds` in `[analysis]` of cfglint.toml, or lint fewer files at once"
                        .into(),
                );
                out.push(f);
            }
            Ok(_) => {
                let Some(verdict) = cx.verdict() else { return };
                // Only a budget that ran out is worth a note; a static
                // claim the simulator refuted is not evidence of anything.
                let budget = verdict.complexity == Complexity::Unknown
                    && (verdict.candidate.is_none()
                        || verdict.growth.as_ref().is_some_and(|g| g.budget_exhausted && !g.class.is_superlinear()));
                if !budget {
                    return;
                }
                let mut f = cx.finding(meta, None, "the backtracking analysis reached no verdict within its budget");
                f.notes.clone_from(&verdict.notes);
                f.help = Some(
                    "raise `max-states`, `max-pairs` or `max-steps` in `[analysis]` of cfglint.toml, or simplify the \
                     pattern"
                        .into(),
                );
                out.push(f);
            }
        }
    }
}
