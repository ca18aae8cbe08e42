//! Prometheus family: relabel configs, `PromQL` rule expressions, and (through
//! `alertmanager.rs`) Alertmanager matchers.
//!
//! - Relabel configs: `regex` in the items of `relabel_configs`,
//!   `metric_relabel_configs`, `alert_relabel_configs`,
//!   `write_relabel_configs`, and the Prometheus Operator's camelCase
//!   `relabelings`, `metricRelabelings`, `writeRelabelConfigs` and (in a
//!   `Probe`) `relabelingConfigs`, wherever they appear. Prometheus anchors them at both ends (RE2, full match).
//! - Rule files and `PrometheusRule`: `groups[].rules[].expr` (rules with
//!   `alert` or `record`); each `label=~"re"` / `label!~"re"` matcher in the
//!   `PromQL` text is a regex. `PromQL` strings may be `"…"`, `'…'` or `` `…` ``;
//!   their escapes are decoded with a map that is composed with the scalar's
//!   map, so the span points at the regex inside the expression inside the
//!   file. Key: `…expr{job=~}` (then `{job=~}#2` for a second `job=~`).
//!   The regex argument of `label_replace(v, dst, replacement, src, regex)`
//!   (also fully anchored) has the key `…expr{label_replace}`.
//!
//! This walker runs on Prometheus, rule and Alertmanager documents, and also
//! inside documents of no specific kind (Helm values files embed all three).

use std::collections::HashMap;

use super::alertmanager::{MATCH_RE_KEYS, MATCHER_KEYS, select_match_re, select_matchers};
use super::quoted::{Quoted, parse_go_string};
use super::{Collector, Pick, Seg, Step, nested_scalar, occurrence_suffix, walk};
use crate::source::tree::Node;
use crate::source::{Kind, Semantics};

const RELABEL_KEYS: [&str; 8] = [
    "relabel_configs",
    "metric_relabel_configs",
    "alert_relabel_configs",
    "write_relabel_configs",
    "relabelings",
    "metricRelabelings",
    "writeRelabelConfigs",
    "relabelingConfigs",
];

/// Is this document a Prometheus server config (or a scrape config file)?
pub(super) fn is_prometheus(root: &Node) -> bool {
    const TOP: [&str; 6] =
        ["scrape_configs", "remote_write", "remote_read", "rule_files", "scrape_config_files", "alerting"];
    if TOP.iter().any(|k| root.get(k).is_some()) {
        return true;
    }
    root.get("global").is_some_and(|g| {
        ["scrape_interval", "evaluation_interval", "external_labels"].iter().any(|k| g.get(k).is_some())
    })
}

/// Is this document a Prometheus (or Loki/Thanos) rule file?
pub(super) fn is_rule_file(root: &Node) -> bool {
    rule_groups(root)
}

/// `groups: [{rules: [{expr, alert|record}]}]`.
fn rule_groups(node: &Node) -> bool {
    node.get("groups").is_some_and(|g| {
        g.items().iter().any(|group| {
            group.get("rules").is_some_and(|r| {
                r.items().iter().any(|rule| {
                    rule.get("expr").is_some() && (rule.get("alert").is_some() || rule.get("record").is_some())
                })
            })
        })
    })
}

/// Walk a document for relabel configs, rule groups and Alertmanager
/// matchers.
pub(super) fn select_family<'t>(node: &'t Node, path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>) {
    walk(node, path, col, &mut |map, e, path, col| {
        let k = e.key.as_str();
        if RELABEL_KEYS.contains(&k) && matches!(e.value, Node::Seq(..)) {
            select_relabel(&e.value, path, col);
        } else if MATCH_RE_KEYS.contains(&k) && matches!(e.value, Node::Map(..)) {
            select_match_re(&e.value, path, col);
        } else if MATCHER_KEYS.contains(&k) && select_matchers(&e.value, path, col) {
            // Done: a matcher list.
        } else if k == "groups" && rule_groups(map) {
            select_groups(&e.value, path, col);
        } else {
            return Step::Descend;
        }
        Step::Done
    });
}

fn select_relabel<'t>(list: &'t Node, path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>) {
    let pick = Pick::new(Kind::Prometheus).semantics(Semantics::FullMatch);
    for (i, item) in list.items().iter().enumerate() {
        if let Some(regex) = item.get("regex") {
            path.push(Seg::Index(i));
            path.push(Seg::Key("regex"));
            col.add_node(path, regex, &pick);
            path.pop();
            path.pop();
        }
    }
}

fn select_groups<'t>(groups: &'t Node, path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>) {
    let pick = Pick::new(Kind::PrometheusRules).semantics(Semantics::FullMatch);
    for (gi, group) in groups.items().iter().enumerate() {
        let Some(rules) = group.get("rules") else { continue };
        path.push(Seg::Index(gi));
        path.push(Seg::Key("rules"));
        for (ri, rule) in rules.items().iter().enumerate() {
            let Some(expr) = rule.get("expr").and_then(Node::as_str) else { continue };
            path.push(Seg::Index(ri));
            path.push(Seg::Key("expr"));
            let mut seen = HashMap::new();
            for m in promql_regex_matchers(&expr.value) {
                let suffix = occurrence_suffix(&mut seen, format!("{{{}{}}}", m.label, m.op));
                path.push(Seg::Raw(suffix));
                col.add(path, &nested_scalar(expr, m.string.value, &m.string.map), &pick);
                path.pop();
            }
            path.pop();
            path.pop();
        }
        path.pop();
        path.pop();
    }
}

/// A regex label matcher in a `PromQL` expression.
#[derive(Debug, Clone)]
pub(crate) struct PromMatcher {
    /// The label name (empty when none precedes the operator).
    pub(crate) label: String,
    /// `=~` or `!~`.
    pub(crate) op: &'static str,
    /// The regex string literal.
    pub(crate) string: Quoted,
}

/// Every `label =~ "re"` / `label !~ "re"` in a `PromQL` expression, skipping
/// string literals and `#` comments elsewhere.
pub(crate) fn promql_regex_matchers(expr: &str) -> Vec<PromMatcher> {
    let bytes = expr.as_bytes();
    let mut out = Vec::new();
    let mut last_name = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'#' {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
        } else if matches!(c, b'"' | b'\'' | b'`') {
            match parse_go_string(expr, i) {
                Some(q) => {
                    last_name = q.value;
                    i = q.end;
                }
                None => i += 1,
            }
        } else if c.is_ascii_alphabetic() || c == b'_' || c == b':' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b':') {
                i += 1;
            }
            last_name.clear();
            last_name.push_str(&expr[start..i]);
            if last_name == "label_replace"
                && let Some(q) = label_replace_regex(expr, i)
            {
                out.push(PromMatcher { label: "label_replace".to_owned(), op: "", string: q });
            }
        } else if (c == b'=' || c == b'!') && bytes.get(i + 1) == Some(&b'~') {
            let op = if c == b'=' { "=~" } else { "!~" };
            let mut j = i + 2;
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            match parse_go_string(expr, j) {
                Some(q) => {
                    i = q.end;
                    out.push(PromMatcher { label: std::mem::take(&mut last_name), op, string: q });
                }
                None => i += 2,
            }
        } else {
            i += expr[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    out.sort_by_key(|m| m.string.end);
    out
}

/// The fifth argument of a `label_replace(` call whose name ends at `i`,
/// when it is a string literal. Nested calls, brackets and strings in the
/// earlier arguments are skipped; a malformed call gives `None`.
fn label_replace_regex(expr: &str, i: usize) -> Option<Quoted> {
    let bytes = expr.as_bytes();
    let mut j = i;
    while j < bytes.len() && bytes[j].is_ascii_whitespace() {
        j += 1;
    }
    if bytes.get(j) != Some(&b'(') {
        return None;
    }
    j += 1;
    let (mut depth, mut arg) = (0usize, 0usize);
    while j < bytes.len() {
        match bytes[j] {
            b'"' | b'\'' | b'`' => {
                let q = parse_go_string(expr, j)?;
                if arg == 4 && depth == 0 {
                    return Some(q);
                }
                j = q.end;
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                if depth == 0 {
                    return None;
                }
                depth -= 1;
            }
            b',' if depth == 0 => arg += 1,
            b'#' => return None,
            _ => {}
        }
        j += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matchers_in_expr() {
        let e = r#"rate(x{job="a", device=~"(/dev/)?sd.+"}[5m]) and y{mode!~'idle|iowait', "q"=~`a\d`} # z=~"no""#;
        let m = promql_regex_matchers(e);
        let got: Vec<_> = m.iter().map(|m| (m.label.as_str(), m.op, m.string.value.as_str())).collect();
        assert_eq!(got, [("device", "=~", "(/dev/)?sd.+"), ("mode", "!~", "idle|iowait"), ("q", "=~", "a\\d")]);
        assert_eq!(&e[m[0].string.map.raw_span().range()], "(/dev/)?sd.+");
    }

    #[test]
    fn label_replace_regex_argument() {
        let e = r#"label_replace(rate(x{a=~"b.*", c=","}[5m]), "host", "$1", "instance", "(.*):\\d+") + label_replace (y, "d", "", "e", 'f|g')"#;
        let m = promql_regex_matchers(e);
        let got: Vec<_> = m.iter().map(|m| (m.label.as_str(), m.op, m.string.value.as_str())).collect();
        assert_eq!(got, [("a", "=~", "b.*"), ("label_replace", "", "(.*):\\d+"), ("label_replace", "", "f|g")]);
        assert_eq!(&e[m[1].string.map.raw_span().range()], "(.*):\\\\d+");
        // Too few arguments, or not a call: nothing.
        assert!(promql_regex_matchers(r#"label_replace(x, "a", "b") or label_replace"#).is_empty());
    }

    #[test]
    fn escaped_strings() {
        let e = r#"x{a=~"b\\.c\"d"}"#;
        let m = promql_regex_matchers(e);
        assert_eq!(m[0].string.value, "b\\.c\"d");
    }
}
