//! The WAF rule format (`rules: [{id, pattern, targets, action}]`; see
//! docs/waf-rules.md): `rules[].pattern`, with the rule's `id` as
//! `rule_id`.

use super::{Collector, Pick, Seg, child_text};
use crate::source::Kind;
use crate::source::tree::Node;

/// The WAF rule format: `rules: [{id, pattern, targets, action}]`.
pub(super) fn detect(_file_name: &str, root: &Node) -> bool {
    root.get("rules").is_some_and(|rules| {
        rules.items().iter().any(|r| {
            r.get("pattern").is_some()
                && (r.get("targets").is_some() || r.get("action").is_some())
                && r.get("languages").is_none()
        })
    })
}

pub(super) fn select<'t>(root: &'t Node, path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>) {
    let Some(rules) = root.get("rules") else { return };
    path.push(Seg::Key("rules"));
    for (i, rule) in rules.items().iter().enumerate() {
        if let Some(p) = rule.get("pattern") {
            let pick = Pick::new(Kind::WafYaml).rule_id(child_text(rule, "id").map(str::to_owned));
            path.push(Seg::Index(i));
            path.push(Seg::Key("pattern"));
            col.add_node(path, p, &pick);
            path.pop();
            path.pop();
        }
    }
    path.pop();
}
