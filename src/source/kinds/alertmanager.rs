//! Alertmanager: `match_re` maps and `=~` / `!~` label matchers.
//!
//! Legacy `match_re:` / `source_match_re:` / `target_match_re:` maps hold
//! label -> regex. New-style `matchers:` / `source_matchers:` /
//! `target_matchers:` lists hold strings such as `severity=~"warning|info"`,
//! `severity =~ warning|info` or `{a="b", c!~"d"}`; the regex span is found
//! inside the string while parsing it and composed with the scalar's map. The
//! Prometheus Operator's `AlertmanagerConfig` writes matchers as objects
//! (`{name, value, matchType: "=~"}`, or `regex: true` in v1alpha1).
//!
//! Alertmanager anchors every regex at both ends (RE2, full match).

use std::collections::HashMap;

use super::quoted::parse_go_string;
use super::{Collector, Pick, Seg, child_text, nested_scalar, occurrence_suffix};
use crate::source::offsets::OffsetMap;
use crate::source::tree::Node;
use crate::source::{Kind, Semantics};

/// Is this document an Alertmanager config?
pub(super) fn is_alertmanager(root: &Node) -> bool {
    let route = root.get("route").is_some_and(|r| r.get("receiver").is_some() || r.get("routes").is_some());
    route
        || matches!(root.get("receivers"), Some(Node::Seq(..)))
        || matches!(root.get("inhibit_rules"), Some(Node::Seq(..)))
}

fn pick() -> Pick {
    Pick::new(Kind::Alertmanager).semantics(Semantics::FullMatch)
}

/// Map keys holding label -> regex maps.
pub(super) const MATCH_RE_KEYS: [&str; 3] = ["match_re", "source_match_re", "target_match_re"];
/// Map keys holding lists of matcher strings (or matcher objects).
pub(super) const MATCHER_KEYS: [&str; 6] =
    ["matchers", "source_matchers", "target_matchers", "sourceMatch", "targetMatch", "matcher"];

/// `match_re: {label: regex}`.
pub(super) fn select_match_re<'t>(node: &'t Node, path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>) {
    for e in node.entries() {
        path.push(Seg::Key(&e.key));
        col.add_node(path, &e.value, &pick());
        path.pop();
    }
}

/// `matchers: [...]`: strings, or `AlertmanagerConfig` matcher objects.
/// Returns whether the list looked like matchers at all.
pub(super) fn select_matchers<'t>(node: &'t Node, path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>) -> bool {
    let items: &[Node] = match node {
        Node::Seq(items, _) => items,
        Node::Str(_) => std::slice::from_ref(node),
        _ => return false,
    };
    let mut any = false;
    for (i, item) in items.iter().enumerate() {
        let indexed = matches!(node, Node::Seq(..));
        if indexed {
            path.push(Seg::Index(i));
        }
        match item {
            Node::Str(s) => {
                let ms = parse_matchers(&s.value);
                any |= !ms.is_empty();
                let mut seen = HashMap::new();
                for m in ms.into_iter().filter(|m| m.op.ends_with('~')) {
                    let label = occurrence_suffix(&mut seen, format!("{{{}{}}}", m.label, m.op));
                    path.push(Seg::Raw(label));
                    col.add(path, &nested_scalar(s, m.value, &m.map), &pick());
                    path.pop();
                }
            }
            Node::Map(..) => {
                let regex_type = matches!(child_text(item, "matchType"), Some("=~" | "!~"))
                    || child_text(item, "regex") == Some("true");
                if item.get("name").is_some() && item.get("value").is_some() {
                    any = true;
                    if regex_type && let Some(v) = item.get("value") {
                        path.push(Seg::Key("value"));
                        col.add_node(path, v, &pick());
                        path.pop();
                    }
                }
            }
            _ => {}
        }
        if indexed {
            path.pop();
        }
    }
    any
}

/// One label matcher found in a string.
#[derive(Debug, Clone)]
pub(crate) struct Matcher {
    /// The label name.
    pub(crate) label: String,
    /// `=`, `!=`, `=~` or `!~`.
    pub(crate) op: &'static str,
    /// The decoded value.
    pub(crate) value: String,
    /// Maps the value to offsets in the matcher string.
    pub(crate) map: OffsetMap,
}

/// Parse `label op value` matchers: one per string, or several inside
/// `{…}` separated by commas. Values may be double-quoted (Go escapes) or
/// bare (to the end, or to a comma that starts another matcher).
pub(crate) fn parse_matchers(s: &str) -> Vec<Matcher> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = skip_ws(b, 0);
    let braced = b.get(i) == Some(&b'{');
    if braced {
        i += 1;
    }
    let end = if braced {
        match s.trim_end().strip_suffix('}') {
            Some(t) => t.len(),
            None => return out,
        }
    } else {
        s.len()
    };
    loop {
        while i < end && (b[i].is_ascii_whitespace() || b[i] == b',') {
            i += 1;
        }
        if i >= end {
            break;
        }
        let Some((m, next)) = parse_one(s, i, end) else { break };
        out.push(m);
        i = next;
    }
    out
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

fn parse_op(s: &str, i: usize) -> Option<&'static str> {
    let rest = s.get(i..)?;
    ["=~", "!~", "!=", "="].into_iter().find(|op| rest.starts_with(op))
}

/// Is there a `label op` at `i`?
fn starts_matcher(s: &str, i: usize, end: usize) -> bool {
    let b = s.as_bytes();
    let i = skip_ws(b, i);
    let mut j = i;
    while j < end && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b':' || b[j] == b'.') {
        j += 1;
    }
    j > i && parse_op(s, skip_ws(b, j)).is_some()
}

fn parse_one(s: &str, i: usize, end: usize) -> Option<(Matcher, usize)> {
    let bytes = s.as_bytes();
    let (label, mut j) = if bytes[i] == b'"' {
        let q = parse_go_string(s, i)?;
        (q.value, q.end)
    } else {
        let mut j = i;
        while j < end && !matches!(bytes[j], b'=' | b'!' | b'~' | b',' | b'{' | b'}') && !bytes[j].is_ascii_whitespace()
        {
            j += 1;
        }
        (s[i..j].to_owned(), j)
    };
    if label.is_empty() {
        return None;
    }
    j = skip_ws(bytes, j);
    let op = parse_op(s, j)?;
    j = skip_ws(bytes, j + op.len()).min(end);
    if bytes.get(j) == Some(&b'"') {
        let q = parse_go_string(s, j)?;
        return Some((Matcher { label, op, value: q.value, map: q.map }, q.end));
    }
    // A bare value runs to a comma that starts another matcher, else to the
    // end; surrounding white space is not part of it.
    let mut k = j;
    let mut stop = end;
    while k < end {
        if bytes[k] == b',' && starts_matcher(s, k + 1, end) {
            stop = k;
            break;
        }
        k += 1;
    }
    let value = s[j..stop].trim_end();
    Some((Matcher { label, op, value: value.to_owned(), map: OffsetMap::verbatim(j, value.len()) }, stop))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::span::{PatternSpan, Span};

    #[test]
    fn quoted_and_bare() {
        let m = parse_matchers(r#"service=~"foo1|foo2|baz""#);
        assert_eq!(m.len(), 1);
        assert_eq!((m[0].label.as_str(), m[0].op, m[0].value.as_str()), ("service", "=~", "foo1|foo2|baz"));
        assert_eq!(m[0].map.raw_span(), Span::new(10, 23));
        let s = "severity =~ warning|info ";
        let m = parse_matchers(s);
        assert_eq!(m[0].value, "warning|info");
        assert_eq!(&s[m[0].map.raw_span().range()], "warning|info");
    }

    #[test]
    fn braced_list_and_commas_in_values() {
        let s = r#"{a="x", b!~"y\\.z", c=~a{1,3}, d = e}"#;
        let m = parse_matchers(s);
        let got: Vec<_> = m.iter().map(|m| (m.label.as_str(), m.op, m.value.as_str())).collect();
        assert_eq!(got, [("a", "=", "x"), ("b", "!~", "y\\.z"), ("c", "=~", "a{1,3}"), ("d", "=", "e")]);
        let b = &m[1];
        assert_eq!(&s[b.map.to_file_span(PatternSpan::new(1, 2)).range()], "\\\\");
    }

    #[test]
    fn not_matchers() {
        assert!(parse_matchers("just text").is_empty());
        assert!(parse_matchers("").is_empty());
        assert!(parse_matchers("{unclosed=~\"x\"").is_empty());
    }
}
