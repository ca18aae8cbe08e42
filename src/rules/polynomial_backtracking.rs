//! CL002 polynomial-backtracking: a confirmed polynomial blow-up. Error for
//! degree 3 and above, warning for degree 2, unless configured otherwise.

use crate::finding::{Complexity, Finding};

use super::{PatternContext, Rule, RuleMeta, backtracking};

/// CL002.
pub(crate) struct PolynomialBacktracking;

impl Rule for PolynomialBacktracking {
    fn meta(&self) -> &'static RuleMeta {
        super::meta("polynomial-backtracking")
    }

    fn check(&self, cx: &PatternContext<'_>, out: &mut Vec<Finding>) {
        let Some(verdict) = cx.verdict() else { return };
        if !(verdict.confirmed
            && verdict.complexity == Complexity::Polynomial
            && backtracking::reported_here(cx, verdict))
        {
            return;
        }
        // The severity (by degree, and the PCRE2 replay) is decided in
        // `backtracking::severity`.
        out.push(backtracking::finding(cx, self.meta(), verdict));
    }
}
