//! The risk of one change, and the reasons, from the findings `cfglint
//! diff` reports on it, bench figures, and what its rules do.
//!
//! Position: under [`super::plan`]; pure functions.
//!
//! | risk | when |
//! | --- | --- |
//! | blocked | an error finding the change introduced; a reference that would break the config or silence it: a recording rule's series or an Alertmanager receiver removed while a file still uses it, a file deleted while an unchanged file strictly includes it (overridable, recorded) |
//! | high | CL001/CL002 at any severity; a bench budget exceeded, a super-linear worst case of degree ≥ 3, failing rule tests; a rule that starts blocking (WAF `action: block`, SecLang `deny`/`drop`/`block`), new or changed; a strict include left dangling in a changed file; a removed rule or marker an unchanged file still names; an include glob or `rule_files` glob left matching nothing |
//! | medium | warnings; regexes added or modified; quadratic worst case or a figure worse than the bench baseline; a reference left dangling |
//! | low | anything else (no regex added or modified, files cfglint does not read) |

use crate::diff::FileChange;
use crate::finding::{Complexity, Finding, Severity};

use super::bench::BenchRule;
use super::manifest::{ChangeStatus, Risk};
use super::waves::Node;

/// At most this many reasons of one kind are listed; the rest are counted.
const MAX_PER_KIND: usize = 10;

/// What is known about one change.
#[derive(Debug)]
pub struct Facts<'a> {
    /// The change.
    pub node: &'a Node,
    /// The findings `diff` reported on it.
    pub findings: Vec<&'a Finding>,
    /// `diff`'s regex counts, when it read the file.
    pub linted: Option<&'a FileChange>,
    /// The file is excluded from linting by cfglint.toml.
    pub excluded: bool,
    /// Bench figures for its rules.
    pub bench: Vec<&'a BenchRule>,
    /// Problems found while ordering.
    pub problems: &'a [(Risk, String)],
    /// Rules this version had at base that no version at head defines
    /// (moved rules are not removed), with their action when known.
    pub removed_rules: Vec<(String, Option<String>)>,
}

/// A finding in one line: `CL002 polynomial-backtracking (degree 3,
/// error) at rules[12].pattern, line 40`.
pub fn describe_finding(f: &Finding) -> String {
    let mut details = Vec::new();
    if let Some(e) = &f.evidence {
        match (e.complexity, e.degree) {
            (Complexity::Exponential, _) => details.push("exponential".to_owned()),
            (Complexity::Polynomial, Some(d)) => details.push(format!("degree {d}")),
            _ => {}
        }
    }
    details.push(f.severity.as_str().to_owned());
    let place = match &f.key {
        Some(k) => format!("{k}, line {}", f.line),
        None => format!("line {}", f.line),
    };
    format!("{} {} ({}) at {place}", f.code, f.rule, details.join(", "))
}

/// Collect reasons of one kind, capped.
struct Kind {
    risk: Risk,
    reasons: Vec<String>,
}

impl Kind {
    fn new(risk: Risk) -> Self {
        Kind { risk, reasons: Vec::new() }
    }

    fn push(&mut self, s: String) {
        self.reasons.push(s);
    }

    fn flush(self, risk: &mut Risk, out: &mut Vec<String>) {
        if self.reasons.is_empty() {
            return;
        }
        *risk = (*risk).max(self.risk);
        let n = self.reasons.len();
        out.extend(self.reasons.into_iter().take(MAX_PER_KIND));
        if n > MAX_PER_KIND {
            out.push(format!("… and {} more like the above", n - MAX_PER_KIND));
        }
    }
}

/// The risk of a change and the reasons, most serious first. `Blocked`
/// means an error finding; overrides are applied by the caller.
pub fn assess(facts: &Facts<'_>) -> (Risk, Vec<String>) {
    let mut risk = Risk::Low;
    let mut reasons = Vec::new();
    let mut errors = Kind::new(Risk::Blocked);
    let mut high = Kind::new(Risk::High);
    let mut medium = Kind::new(Risk::Medium);

    for f in &facts.findings {
        let text = describe_finding(f);
        if f.severity == Severity::Error {
            errors.push(text);
        } else if matches!(f.code.as_str(), "CL001" | "CL002") {
            high.push(text);
        } else if f.severity == Severity::Warning {
            medium.push(text);
        }
    }
    for (id, before, after) in facts.node.starts_blocking() {
        high.push(match before {
            Some(b) => format!("rule {id}: action {b} → {after}"),
            None => format!("rule {id} is added with action {after}"),
        });
    }
    // A removed blocking rule stops blocking: what it stopped is let
    // through from the first request. Other removals are listed.
    let mut removed_quietly = Vec::new();
    for (id, action) in &facts.removed_rules {
        let text = match action {
            Some(a) => format!("rule {id} ({a}) removed"),
            None => format!("rule {id} removed"),
        };
        if action.as_deref().is_some_and(super::links::is_blocking) {
            high.push(text);
        } else {
            removed_quietly.push(text);
        }
    }
    for b in &facts.bench {
        let id = b.id_text();
        if !b.budget_exceeded.is_empty() {
            high.push(format!("bench: rule {id} exceeds budget {}", b.budget_exceeded.join(", ")));
        }
        if let Some(w) = &b.worst_case {
            match (w.complexity.as_deref(), w.degree) {
                (Some("exponential"), _) => high.push(format!("bench: rule {id} worst case is exponential")),
                (Some("polynomial"), Some(d)) if d >= 3 => {
                    high.push(format!("bench: rule {id} worst case is polynomial (degree {d})"));
                }
                (Some("polynomial"), d) => {
                    medium.push(format!("bench: rule {id} worst case is polynomial (degree {})", d.unwrap_or(2)));
                }
                _ => {}
            }
        }
        if let Some(t) = &b.tests
            && t.failed > 0
        {
            high.push(format!("bench: rule {id} fails {} of its {} tests", t.failed, t.failed + t.passed));
        }
        if let Some(e) = &b.error {
            high.push(format!("bench: rule {id} could not be measured: {e}"));
        }
        for r in b.regressions.iter().filter(|r| !r.timing) {
            let fmt = |v: Option<f64>| v.map_or_else(|| "?".to_owned(), |v| format!("{v}"));
            medium.push(format!("bench: rule {id} {} went from {} to {}", r.figure, fmt(r.before), fmt(r.after)));
        }
    }
    for (r, text) in facts.problems {
        match r {
            Risk::Blocked => errors.push(text.clone()),
            Risk::High => high.push(text.clone()),
            Risk::Medium => medium.push(text.clone()),
            Risk::Low => {}
        }
    }
    if let Some(fc) = facts.linted
        && fc.added + fc.modified > 0
    {
        let mut parts = Vec::new();
        if fc.added > 0 {
            parts.push(format!("{} regex{} added", fc.added, if fc.added == 1 { "" } else { "es" }));
        }
        if fc.modified > 0 {
            let noun = match (fc.added, fc.modified) {
                (0, 1) => "regex ",
                (0, _) => "regexes ",
                _ => "",
            };
            parts.push(format!("{} {noun}modified", fc.modified));
        }
        medium.push(parts.join(", "));
    }
    errors.flush(&mut risk, &mut reasons);
    high.flush(&mut risk, &mut reasons);
    medium.flush(&mut risk, &mut reasons);
    if reasons.is_empty() {
        reasons.push(low_reason(facts));
    }
    let more = removed_quietly.len().saturating_sub(MAX_PER_KIND);
    reasons.extend(removed_quietly.into_iter().take(MAX_PER_KIND));
    if more > 0 {
        reasons.push(format!("and {more} more rules removed"));
    }
    (risk, reasons)
}

fn low_reason(facts: &Facts<'_>) -> String {
    if facts.node.status == ChangeStatus::Deleted {
        return "file removed".to_owned();
    }
    if facts.excluded {
        return "not linted: excluded by cfglint.toml".to_owned();
    }
    match facts.linted {
        None => "not a config file cfglint reads".to_owned(),
        Some(fc) if fc.removed > 0 => {
            format!("no regex added or modified ({} removed)", fc.removed)
        }
        Some(_) => "no regex added or modified".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::Status;
    use crate::source::Span;

    fn node() -> Node {
        Node { path: "a.yaml".into(), status: ChangeStatus::Modified, head: None, base: None, prior: None }
    }

    fn finding(code: &str, severity: Severity) -> Finding {
        let mut f = Finding::new(code, "some-rule", severity, "a.yaml", "x: 1\n", Some(Span::new(3, 4)), "m");
        f.key = Some("x".into());
        f
    }

    fn counts(added: usize, modified: usize) -> FileChange {
        FileChange {
            status: Status::Modified,
            path: "a.yaml".into(),
            old_path: None,
            added,
            modified,
            unchanged: 0,
            removed: 1,
        }
    }

    fn run(findings: &[Finding], linted: Option<&FileChange>) -> (Risk, Vec<String>) {
        let n = node();
        assess(&Facts {
            node: &n,
            findings: findings.iter().collect(),
            linted,
            excluded: false,
            bench: vec![],
            problems: &[],
            removed_rules: vec![],
        })
    }

    #[test]
    fn levels() {
        let fc = counts(0, 0);
        let (r, why) = run(&[], Some(&fc));
        assert_eq!((r, why[0].as_str()), (Risk::Low, "no regex added or modified (1 removed)"));
        let (r, why) = run(&[], Some(&counts(2, 1)));
        assert_eq!((r, why[0].as_str()), (Risk::Medium, "2 regexes added, 1 modified"));
        let warn = finding("CL003", Severity::Warning);
        let poly = finding("CL002", Severity::Warning);
        let err = finding("CL004", Severity::Error);
        assert_eq!(run(std::slice::from_ref(&warn), Some(&fc)).0, Risk::Medium);
        assert_eq!(run(&[poly.clone(), warn], Some(&fc)).0, Risk::High);
        let (r, why) = run(&[err, poly], Some(&fc));
        assert_eq!(r, Risk::Blocked);
        assert_eq!(why[0], "CL004 some-rule (error) at x, line 1");
        assert_eq!(run(&[], None).1[0], "not a config file cfglint reads");
    }

    #[test]
    fn bench_and_caps() {
        let n = node();
        let rules: Vec<BenchRule> = (0..12)
            .map(|i| BenchRule {
                id: serde_json::json!(i),
                budget_exceeded: vec!["max_steps_per_byte".into()],
                ..BenchRule::default()
            })
            .collect();
        let facts = Facts {
            node: &n,
            findings: vec![],
            linted: None,
            excluded: false,
            bench: rules.iter().collect(),
            problems: &[],
            removed_rules: vec![],
        };
        let (r, why) = assess(&facts);
        assert_eq!(r, Risk::High);
        assert_eq!(why.len(), MAX_PER_KIND + 1);
        assert_eq!(why[0], "bench: rule 0 exceeds budget max_steps_per_byte");
        assert!(why[MAX_PER_KIND].contains("2 more"));
    }
}
