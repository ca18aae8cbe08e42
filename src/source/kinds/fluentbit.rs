//! Fluent Bit YAML configs: `parsers[]` with `format: regex` (`regex`),
//! `multiline_parsers[].rules[].regex` (written `/…/`, the span is inside the
//! slashes), `grep` filters and processors whose `regex` / `exclude` values
//! are `KEY REGEX` (the regex is the rest after the key), `rewrite_tag`
//! `rule` values `KEY REGEX TAG KEEP`, and conditional-processing rules with
//! `op: regex` / `op: not_regex` (`value`). Onigmo (Ruby) syntax, read as
//! pcre; searched.

use super::{Collector, Pick, Seg, Step, child_text, each_str, sub_scalar, walk};
use crate::source::Kind;
use crate::source::tree::Node;

/// Is this document a Fluent Bit YAML config?
pub(super) fn is_fluent_bit(root: &Node) -> bool {
    let pipeline =
        root.get("pipeline").is_some_and(|p| ["inputs", "filters", "outputs"].iter().any(|k| p.get(k).is_some()));
    let parsers = root.get("parsers").is_some_and(|p| p.items().iter().any(|i| i.get("format").is_some()));
    let multiline = root.get("multiline_parsers").is_some_and(|p| p.items().iter().any(|i| i.get("rules").is_some()));
    pipeline || parsers || multiline
}

fn pick() -> Pick {
    Pick::new(Kind::FluentBit)
}

pub(super) fn select<'t>(node: &'t Node, path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>) {
    walk(node, path, col, &mut |map, e, path, col| {
        let is = |key: &str, value: &str| child_text(map, key).unwrap_or_default().eq_ignore_ascii_case(value);
        match e.key.as_str() {
            "regex" if is("format", "regex") => {
                col.add_node(path, &e.value, &pick());
            }
            "regex" | "exclude" if is("name", "grep") => key_then_regex(&e.value, path, col, 1),
            "rule" if is("name", "rewrite_tag") => key_then_regex(&e.value, path, col, 1),
            "regex" if map.get("state").is_some() => {
                // A multiline parser rule: `/regex/`.
                if let Some(s) = col.text_scalar(&e.value) {
                    let v = &s.value;
                    let range = if v.len() >= 2 && v.starts_with('/') && v.ends_with('/') {
                        1..v.len() - 1
                    } else {
                        0..v.len()
                    };
                    col.add(path, &sub_scalar(&s, range), &pick());
                }
            }
            "value" if matches!(child_text(map, "op"), Some("regex" | "not_regex")) => {
                col.add_node(path, &e.value, &pick());
            }
            _ => return Step::Descend,
        }
        Step::Done
    });
}

/// Values `FIELD REGEX [...]`: the regex is field `index` (0-based) of the
/// white-space separated value; for grep (`index` 1, last field) it is the
/// whole rest of the line.
fn key_then_regex<'t>(node: &'t Node, path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>, index: usize) {
    let rest = path.last().is_some_and(|seg| matches!(seg, Seg::Key("regex" | "exclude")));
    each_str(node, path, col, &mut |col, path, s| {
        if let Some(range) = field_range(&s.value, index, rest) {
            col.add(path, &sub_scalar(s, range), &pick());
        }
    });
}

/// Byte range of white-space separated field `index`, or of everything from
/// it to the end (trimmed) when `rest_of_line`.
fn field_range(v: &str, index: usize, rest_of_line: bool) -> Option<std::ops::Range<usize>> {
    let mut fields = Vec::new();
    let mut start = None;
    for (i, c) in v.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                fields.push(s..i);
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        fields.push(s..v.len());
    }
    let f = fields.get(index)?;
    Some(if rest_of_line { f.start..v.trim_end().len() } else { f.clone() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields() {
        assert_eq!(field_range("value something", 1, true), Some(6..15));
        assert_eq!(field_range("log  ^a b$  ", 1, true), Some(5..10));
        assert_eq!(field_range("$key ^(a)$ newtag false", 1, false), Some(5..10));
        assert_eq!(field_range("onlykey", 1, true), None);
    }
}
