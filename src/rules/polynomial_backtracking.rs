//! CL002 polynomial-backtracking: a confirmed polynomial blow-up. Error for
//! degree 3 and above, warning for degree 2, unless configured otherwise.

use crate::report::{Complexity, Finding, Severity};

use super::{PatternContext, Rule, RuleMeta, backtracking};

/// CL002.
pub(crate) struct PolynomialBacktracking;

impl Rule for PolynomialBacktracking {
    fn meta(&self) -> &'static RuleMeta {
        super::meta("polynomial-backtracking")
    }

    fn check(&self, cx: &PatternContext<'_>, out: &mut Vec<Finding>) {
        let Some(verdict) = cx.verdict() else { return };
        if !(verdict.confirmed && verdict.complexity == Complexity::Polynomial) {
            return;
        }
        let meta = self.meta();
        let mut f = backtracking::finding(cx, meta, verdict);
        // The severity depends on the degree unless the user set one.
        if !cx.settings.overrides.contains_key(&meta.code) {
            f.severity = if verdict.degree.unwrap_or(2) >= 3 { Severity::Error } else { Severity::Warning };
        }
        out.push(f);
    }
}
