//! SARIF 2.1.0 output, shaped for GitHub code scanning.
//!
//! One run; `tool.driver.rules` lists every rule (also those without
//! results, so code scanning knows them all), in code order, and each result
//! refers to its rule by `ruleId` (the code, e.g. `CL004`) and `ruleIndex`.
//! Locations use the displayed path as a relative URI (`/` separators,
//! percent-encoded) and 1-based lines and columns; columns count Unicode
//! code points, which the run declares with `columnKind:
//! unicodeCodePoints` (SARIF's default is UTF-16 code units; the two
//! differ only for characters outside the Basic Multilingual Plane), and
//! `endColumn` is exclusive as SARIF defines it. Results carry our own
//! stable fingerprint under `partialFingerprints["cfglint/v1"]` (GitHub
//! computes `primaryLocationLineHash` itself; ours survives edits above
//! the finding), secondary labels as `relatedLocations`, backtracking
//! evidence under `properties`, and a proven fix (docs/fix.md) as a
//! `fixes` object (SARIF 2.1.0 §3.55): one `artifactChange` for the
//! finding's file with one `replacement` whose `deletedRegion` is the fix's
//! byte span (`byteOffset`/`byteLength`, and lines and columns when the
//! file's text is at hand) and whose `insertedContent` is the raw
//! replacement text.

use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use super::{Finding, Severity, Sources, Summary};
use crate::rules::{self, RuleMeta};
use crate::source::{LineIndex, Span};

/// The SARIF level of a severity.
fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// The `reportingDescriptor` of a rule.
fn rule_descriptor(meta: &RuleMeta) -> Value {
    let mut tags = vec![Value::from(meta.category.clone()), Value::from("regex")];
    let mut properties = Map::new();
    if meta.category == "redos" {
        // CWE-1333: Inefficient Regular Expression Complexity.
        tags.push(Value::from("security"));
        tags.push(Value::from("external/cwe/cwe-1333"));
        properties.insert("security-severity".into(), Value::from(if meta.code == "CL001" { "7.5" } else { "5.3" }));
    }
    properties.insert("tags".into(), Value::Array(tags));
    properties.insert("precision".into(), Value::from("high"));
    let what = meta.what.trim();
    let why = meta.why.trim();
    let mut markdown = format!("{what}\n\n{why}\n");
    let examples: Vec<String> = meta
        .examples
        .iter()
        .filter_map(|e| {
            let (tag, p) = match (&e.bad, &e.good) {
                (Some(b), _) => ("bad", b),
                (None, Some(g)) => ("good", g),
                (None, None) => return None,
            };
            let note = e.note.as_deref().map(|n| format!(" ({n})")).unwrap_or_default();
            Some(format!("- {tag}: `{p}`{note}"))
        })
        .collect();
    if !examples.is_empty() {
        markdown.push_str("\nExamples:\n\n");
        markdown.push_str(&examples.join("\n"));
        markdown.push('\n');
    }
    json!({
        "id": meta.code,
        "name": meta.id,
        "shortDescription": {"text": meta.summary},
        "fullDescription": {"text": what},
        "helpUri": meta.url(),
        "help": {"text": format!("{what}\n\n{why}"), "markdown": markdown},
        "defaultConfiguration": {"level": level(meta.default_severity)},
        "properties": properties,
    })
}

/// The `artifactLocation.uri` of a displayed path: relative paths stay
/// relative (percent-encoded, `/` kept); an absolute path (the user named
/// one) becomes a `file:///` URI.
fn uri(path: &str) -> String {
    let bytes = path.as_bytes();
    let windows_drive = bytes.len() > 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' && bytes[2] == b'/';
    if path.starts_with('/') {
        return format!("file://{}", encode(path));
    }
    if windows_drive {
        return format!("file:///{}:{}", &path[..1], encode(&path[2..]));
    }
    encode(path)
}

/// Percent-encode everything but unreserved characters, sub-delimiters,
/// `@` and `/`. `:` is encoded too: in the first segment of a relative
/// reference it would read as a URI scheme.
fn encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A `physicalLocation` for a span in a file.
fn physical(f: &Finding, span: Option<Span>, at: Option<(usize, usize, usize, usize)>) -> Value {
    let region = match (span, at) {
        (Some(_), Some((l, c, el, ec))) => json!({"startLine": l, "startColumn": c, "endLine": el, "endColumn": ec}),
        _ => json!({"startLine": f.line.max(1)}),
    };
    json!({"artifactLocation": {"uri": uri(&f.file)}, "region": region})
}

/// The message text: the finding's message, then its help and evidence.
fn message_text(f: &Finding) -> String {
    let mut lines = vec![f.message.clone()];
    if let Some(h) = &f.help {
        lines.push(h.clone());
    }
    if let Some(e) = &f.evidence {
        lines.extend(super::human::evidence_lines(e));
    }
    if let Some(c) = &f.change {
        lines.push(super::human::change_line(c.change, c.before.as_ref()));
    }
    lines.join("\n")
}

fn result(f: &Finding, rule_index: Option<usize>, sources: &Sources) -> Value {
    let text = sources.get(&f.file).filter(|t| !t.is_empty());
    let index = text.filter(|_| !f.labels.is_empty()).map(|t| LineIndex::new(t));
    let primary_at = f.span.map(|_| (f.line, f.column, f.end_line, f.end_column));
    let mut location = Map::new();
    location.insert("physicalLocation".into(), physical(f, f.span, primary_at));
    if let Some(key) = &f.key {
        location.insert("logicalLocations".into(), json!([{"fullyQualifiedName": key, "kind": "member"}]));
    }
    let related: Vec<Value> = f
        .labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let at = text.zip(index.as_ref()).filter(|(t, _)| l.span.end <= t.len()).map(|(t, idx)| {
                let (line, column) = idx.line_col(t, l.span.start);
                let (end_line, end_column) = idx.line_col(t, l.span.end);
                (line, column, end_line, end_column)
            });
            json!({"id": i + 1, "physicalLocation": physical(f, Some(l.span), at), "message": {"text": l.message}})
        })
        .collect();
    let mut properties = Map::new();
    properties.insert("rule".into(), Value::from(f.rule.clone()));
    for (k, v) in [("pattern", &f.pattern), ("key", &f.key), ("kind", &f.kind), ("ruleId", &f.rule_id)] {
        if let Some(v) = v {
            properties.insert(k.into(), Value::from(v.clone()));
        }
    }
    if let Some(fl) = f.flavor {
        properties.insert("flavor".into(), Value::from(fl.as_str()));
    }
    if let Some(e) = &f.evidence {
        properties.insert("complexity".into(), json!(e.complexity));
        properties.insert("degree".into(), json!(e.degree));
        properties.insert("attack".into(), json!(e.attack));
        properties.insert("confirmed".into(), json!(e.confirmed));
        properties.insert("steps".into(), json!(e.steps));
    }
    if let Some(c) = &f.change {
        properties.insert("change".into(), json!(c.change));
        if let Some(b) = &c.before {
            properties.insert("before".into(), json!(b));
        }
    }
    if !f.notes.is_empty() {
        properties.insert("notes".into(), json!(f.notes));
    }
    let mut r = Map::new();
    r.insert("ruleId".into(), Value::from(f.code.clone()));
    if let Some(i) = rule_index {
        r.insert("ruleIndex".into(), Value::from(i));
    }
    r.insert("level".into(), Value::from(level(f.severity)));
    r.insert("message".into(), json!({"text": message_text(f)}));
    r.insert("locations".into(), json!([Value::Object(location)]));
    if !related.is_empty() {
        r.insert("relatedLocations".into(), Value::Array(related));
    }
    if let Some(fix) = &f.fix {
        r.insert("fixes".into(), json!([fix_object(f, fix, text)]));
    }
    r.insert("partialFingerprints".into(), json!({"cfglint/v1": f.fingerprint}));
    r.insert("properties".into(), Value::Object(properties));
    Value::Object(r)
}

/// A SARIF `fix` (§3.55) for a proven fix: replace the fix's byte span of
/// the finding's file with the raw replacement text.
fn fix_object(f: &Finding, fix: &crate::fix::Fix, text: Option<&std::sync::Arc<str>>) -> Value {
    let mut region = Map::new();
    region.insert("byteOffset".into(), Value::from(fix.span.start));
    region.insert("byteLength".into(), Value::from(fix.span.end.saturating_sub(fix.span.start)));
    if let Some(t) = text.filter(|t| fix.span.end <= t.len()) {
        let index = LineIndex::new(t);
        let (line, column) = index.line_col(t, fix.span.start);
        let (end_line, end_column) = index.line_col(t, fix.span.end);
        region.insert("startLine".into(), Value::from(line));
        region.insert("startColumn".into(), Value::from(column));
        region.insert("endLine".into(), Value::from(end_line));
        region.insert("endColumn".into(), Value::from(end_column));
    }
    json!({
        "description": {"text": match &fix.edits {
            None => format!("replace the pattern with `{}` (proven equivalent and linear)", fix.pattern),
            Some(key) => format!(
                "replace the rule's prefix `{key}` with `{}` (proven to keep every answer of the rule; makes this \
                 pattern linear)",
                fix.pattern
            ),
        }},
        "artifactChanges": [{
            "artifactLocation": {"uri": uri(&f.file)},
            "replacements": [{
                "deletedRegion": Value::Object(region),
                "insertedContent": {"text": fix.replacement},
            }],
        }],
    })
}

/// The whole SARIF log, pretty-printed, ending with a newline.
pub fn render(findings: &[Finding], summary: &Summary, sources: &Sources) -> String {
    let registry = rules::registry();
    let results: Vec<Value> =
        findings.iter().map(|f| result(f, registry.iter().position(|m| m.code == f.code), sources)).collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "cfglint",
                "informationUri": "https://github.com/cfglint/cfglint",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": registry.iter().map(rule_descriptor).collect::<Vec<_>>(),
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": {"files": summary.files, "regexes": summary.regexes},
        }],
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("SARIF values serialize");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_and_encoded() {
        assert_eq!(uri("waf/rules.yaml"), "waf/rules.yaml");
        assert_eq!(uri("a b/<command line>"), "a%20b/%3Ccommand%20line%3E");
        assert_eq!(uri("a:b/c"), "a%3Ab/c");
        assert_eq!(uri("é.yaml"), "%C3%A9.yaml");
        assert_eq!(uri("/srv/waf/a b.yaml"), "file:///srv/waf/a%20b.yaml");
        assert_eq!(uri("C:/waf/a.yaml"), "file:///C:/waf/a.yaml");
    }
}
