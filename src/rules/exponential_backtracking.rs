//! CL001 exponential-backtracking: a confirmed exponential blow-up.

use crate::finding::{Complexity, Finding};

use super::{PatternContext, Rule, RuleMeta, backtracking};

/// CL001.
pub(crate) struct ExponentialBacktracking;

impl Rule for ExponentialBacktracking {
    fn meta(&self) -> &'static RuleMeta {
        super::meta("exponential-backtracking")
    }

    fn check(&self, cx: &PatternContext<'_>, out: &mut Vec<Finding>) {
        let Some(verdict) = cx.verdict() else { return };
        if verdict.confirmed
            && verdict.complexity == Complexity::Exponential
            && backtracking::reported_here(cx, verdict)
        {
            out.push(backtracking::finding(cx, self.meta(), verdict));
        }
    }
}
