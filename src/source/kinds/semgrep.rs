//! Semgrep rules: `pattern-regex`, `pattern-not-regex` and
//! `metavariable-regex: {metavariable, regex}` at any depth of a rule (under
//! `patterns`, `pattern-either`, taint `pattern-sources`, ...), and the
//! experimental syntax's `regex:` keys.
//!
//! Engines, per semgrep's documentation: `pattern-regex` is a
//! PCRE2-compatible pattern searched in multiline mode (flavor pcre, flag
//! `m`); `metavariable-regex` uses Python `re` and is left-anchored (flavor
//! python, anchored at the start). A `regex:` next to a `metavariable:` key
//! reads like `metavariable-regex`, elsewhere like `pattern-regex`.
//! `rule_id` is the rule's `id`.

use super::{Collector, Pick, Seg, Step, child_text, walk};
use crate::source::tree::Node;
use crate::source::{Flags, Flavor, Kind, Semantics};

/// Keys whose values are rule operators.
const OPERATOR_KEYS: [&str; 10] = [
    "pattern",
    "patterns",
    "pattern-either",
    "pattern-regex",
    "pattern-not-regex",
    "pattern-inside",
    "pattern-sources",
    "pattern-sinks",
    "metavariable-regex",
    "match",
];

/// Is this document a semgrep rule file?
pub(super) fn is_semgrep(root: &Node) -> bool {
    root.get("rules").is_some_and(|rules| {
        rules.items().iter().any(|r| {
            r.get("id").is_some()
                && (r.get("languages").is_some()
                    || (r.get("message").is_some() && OPERATOR_KEYS.iter().any(|k| r.get(k).is_some())))
        })
    })
}

pub(super) fn select<'t>(root: &'t Node, path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>) {
    let Some(rules) = root.get("rules") else { return };
    path.push(Seg::Key("rules"));
    for (i, rule) in rules.items().iter().enumerate() {
        let id = child_text(rule, "id");
        path.push(Seg::Index(i));
        walk_rule(rule, path, col, id);
        path.pop();
    }
    path.pop();
}

fn pattern_regex(id: Option<&str>) -> Pick {
    Pick::new(Kind::Semgrep)
        .flavor(Flavor::Pcre)
        .flags(Flags { multi_line: true, ..Flags::default() })
        .rule_id(id.map(str::to_owned))
}

fn metavariable_regex(id: Option<&str>) -> Pick {
    Pick::new(Kind::Semgrep).flavor(Flavor::Python).semantics(Semantics::AnchoredStart).rule_id(id.map(str::to_owned))
}

fn walk_rule<'t>(rule: &'t Node, path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>, id: Option<&str>) {
    walk(rule, path, col, &mut |map, e, path, col| {
        match e.key.as_str() {
            "metadata" | "message" | "fix" | "fix-regex" | "paths" | "options" | "languages" => {}
            "pattern-regex" | "pattern-not-regex" => {
                col.add_node(path, &e.value, &pattern_regex(id));
            }
            "regex" if matches!(e.value, Node::Str(_) | Node::Other(..)) => {
                let pick = if map.get("metavariable").is_some() { metavariable_regex(id) } else { pattern_regex(id) };
                col.add_node(path, &e.value, &pick);
            }
            _ => return Step::Descend,
        }
        Step::Done
    });
}
