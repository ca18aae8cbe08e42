//! JSON output, version 1 (DESIGN.md's contract).

use serde_json::{Value, json};

use super::{Finding, Summary};

/// One finding as a JSON object with the contract's keys.
pub fn finding_json(f: &Finding) -> Value {
    let mut v = json!({
        "rule": f.rule,
        "code": f.code,
        "severity": f.severity,
        "file": f.file,
        "line": f.line,
        "column": f.column,
        "span": f.span.map(|s| json!({"start": s.start, "end": s.end})),
        "key": f.key,
        "pattern": f.pattern,
        "flavor": f.flavor,
        "message": f.message,
        "fingerprint": f.fingerprint,
    });
    let obj = v.as_object_mut().expect("object literal");
    if let Some(e) = &f.evidence {
        obj.insert("complexity".into(), json!(e.complexity));
        obj.insert("degree".into(), json!(e.degree));
        obj.insert("attack".into(), json!(e.attack));
        obj.insert("confirmed".into(), json!(e.confirmed));
        obj.insert("steps".into(), json!(e.steps));
    } else {
        obj.insert("complexity".into(), Value::Null);
        obj.insert("degree".into(), Value::Null);
    }
    if let Some(c) = &f.change {
        obj.insert("change".into(), json!(c.change));
        if let Some(b) = &c.before {
            obj.insert("before".into(), json!({"complexity": b.complexity, "degree": b.degree}));
        }
    }
    v
}

/// The whole report.
pub fn render(findings: &[Finding], summary: &Summary) -> String {
    let doc = json!({
        "version": 1,
        "findings": findings.iter().map(finding_json).collect::<Vec<_>>(),
        "summary": summary,
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("JSON values serialize");
    s.push('\n');
    s
}
