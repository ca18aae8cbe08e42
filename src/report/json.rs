//! JSON output, version 1 (the contract in docs/output.md).
//!
//! Keys come in a fixed order (structs, not maps), so the output is stable
//! byte for byte. Every finding has the contract's keys; the backtracking
//! ones (`complexity`, `degree`, `attack`, `confirmed`, `steps`) are `null`
//! on findings without evidence, so scripts can rely on their presence.
//! `change` and `before` appear only on findings from `cfglint diff`.
//! Extras beyond the contract: `end_line`, `end_column`, `kind`, `flags`,
//! `semantics` (how to reproduce a finding: docs/output.md), `rule_id`,
//! `primary_label`, `labels` (with line and column when the file's text is
//! known), `help`, `notes`, `fingerprint`.

use serde::Serialize;

use super::{Sources, Summary};
use crate::analysis::Attack;
use crate::finding::{Before, ChangeKind, Complexity, Finding};
use crate::source::{Flavor, LineIndex, Semantics, Span};
use crate::verify::engine::EngineCheck;

/// The whole document. `verdict`: `cfglint regex`'s verdict on its one
/// pattern, after the summary (absent elsewhere).
#[derive(Serialize)]
struct Document<'a, V: Serialize> {
    version: u32,
    findings: Vec<JsonFinding<'a>>,
    summary: &'a Summary,
    #[serde(skip_serializing_if = "Option::is_none")]
    verdict: Option<&'a V>,
}

/// A byte range.
#[derive(Serialize)]
struct JsonSpan {
    start: usize,
    end: usize,
}

impl From<Span> for JsonSpan {
    fn from(s: Span) -> Self {
        JsonSpan { start: s.start, end: s.end }
    }
}

/// A secondary label.
#[derive(Serialize)]
struct JsonLabel<'a> {
    span: JsonSpan,
    line: Option<usize>,
    column: Option<usize>,
    message: &'a str,
}

/// One finding, keys in contract order.
#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    code: &'a str,
    severity: super::Severity,
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    span: Option<JsonSpan>,
    key: Option<&'a str>,
    kind: Option<&'a str>,
    pattern: Option<&'a str>,
    flavor: Option<Flavor>,
    flags: Option<&'a str>,
    semantics: Option<Semantics>,
    rule_id: Option<&'a str>,
    message: &'a str,
    complexity: Option<Complexity>,
    degree: Option<u32>,
    attack: Option<&'a Attack>,
    confirmed: Option<bool>,
    steps: Option<&'a [(u64, u64)]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    engine_check: Option<&'a EngineCheck>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bound: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    change: Option<ChangeKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    before: Option<&'a Before>,
    primary_label: Option<&'a str>,
    labels: Vec<JsonLabel<'a>>,
    help: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<&'a crate::fix::Fix>,
    #[serde(skip_serializing_if = "Option::is_none")]
    no_fix: Option<&'a str>,
    notes: &'a [String],
    fingerprint: &'a str,
}

/// One finding as a JSON value with the contract's keys (for other
/// reporters and for tests).
pub fn finding_json(f: &Finding, sources: &Sources) -> serde_json::Value {
    serde_json::to_value(to_json(f, sources)).expect("findings serialize")
}

fn to_json<'a>(f: &'a Finding, sources: &Sources) -> JsonFinding<'a> {
    let text = sources.get(&f.file).filter(|t| !t.is_empty());
    let index = text.filter(|_| !f.labels.is_empty()).map(|t| LineIndex::new(t));
    let labels = f
        .labels
        .iter()
        .map(|l| {
            let at = text
                .zip(index.as_ref())
                .filter(|(t, _)| l.span.start <= t.len())
                .map(|(t, i)| i.line_col(t, l.span.start));
            JsonLabel { span: l.span.into(), line: at.map(|a| a.0), column: at.map(|a| a.1), message: &l.message }
        })
        .collect();
    let e = f.evidence.as_ref();
    JsonFinding {
        rule: &f.rule,
        code: &f.code,
        severity: f.severity,
        file: &f.file,
        line: f.line,
        column: f.column,
        end_line: f.end_line,
        end_column: f.end_column,
        span: f.span.map(JsonSpan::from),
        key: f.key.as_deref(),
        kind: f.kind.as_deref(),
        pattern: f.pattern.as_deref(),
        flavor: f.flavor,
        flags: f.flags.as_deref(),
        semantics: f.semantics,
        rule_id: f.rule_id.as_deref(),
        message: &f.message,
        complexity: e.map(|e| e.complexity),
        degree: e.and_then(|e| e.degree),
        attack: e.and_then(|e| e.attack.as_ref()),
        confirmed: e.map(|e| e.confirmed),
        steps: e.map(|e| e.steps.as_slice()),
        engine_check: e.and_then(|e| e.engine.as_ref()),
        bound: e.and_then(|e| e.bound),
        change: f.change.as_ref().map(|c| c.change),
        before: f.change.as_ref().and_then(|c| c.before.as_ref()),
        primary_label: f.primary_label.as_deref(),
        labels,
        help: f.help.as_deref(),
        fix: f.fix.as_ref(),
        no_fix: f.no_fix.as_deref(),
        notes: &f.notes,
        fingerprint: &f.fingerprint,
    }
}

/// The whole report, pretty-printed, ending with a newline.
pub fn render(findings: &[Finding], summary: &Summary, sources: &Sources) -> String {
    document::<()>(findings, summary, sources, None)
}

/// The report of `cfglint regex`: the same document with its `verdict`
/// last, serialized once (`version` stays first).
pub fn render_with_verdict<V: Serialize>(
    findings: &[Finding],
    summary: &Summary,
    sources: &Sources,
    verdict: &V,
) -> String {
    document(findings, summary, sources, Some(verdict))
}

fn document<V: Serialize>(findings: &[Finding], summary: &Summary, sources: &Sources, verdict: Option<&V>) -> String {
    let doc =
        Document { version: 1, findings: findings.iter().map(|f| to_json(f, sources)).collect(), summary, verdict };
    let mut s = serde_json::to_string_pretty(&doc).expect("findings serialize");
    s.push('\n');
    s
}
