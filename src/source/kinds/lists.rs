//! Kinds whose regexes sit in one well-known field of a list: the WAF rule
//! format (`rules[].pattern`), uap-core (`*_parsers[].regex` with
//! `regex_flag`), crawler-user-agents (`[].pattern`), and the CRS toolchain
//! config (`patterns.*` regex fragments).

use super::{Collector, Pick, Seg, child_text, sub_scalar};
use crate::source::tree::Node;
use crate::source::{Flags, Kind};

/// The WAF rule format: `rules: [{id, pattern, targets, action}]`.
pub(super) fn is_waf(root: &Node) -> bool {
    root.get("rules").is_some_and(|rules| {
        rules.items().iter().any(|r| {
            r.get("pattern").is_some()
                && (r.get("targets").is_some() || r.get("action").is_some())
                && r.get("languages").is_none()
        })
    })
}

pub(super) fn select_waf<'t>(root: &'t Node, path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>) {
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

const UAP_LISTS: [&str; 3] = ["user_agent_parsers", "os_parsers", "device_parsers"];

/// uap-core `regexes.yaml`.
pub(super) fn is_uap(root: &Node) -> bool {
    UAP_LISTS.iter().any(|k| matches!(root.get(k), Some(Node::Seq(..))))
}

pub(super) fn select_uap<'t>(root: &'t Node, path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>) {
    for list in UAP_LISTS {
        let Some(items) = root.get(list) else { continue };
        path.push(Seg::Key(list));
        for (i, item) in items.items().iter().enumerate() {
            let Some(regex) = item.get("regex") else { continue };
            let flags = child_text(item, "regex_flag").map(Flags::from_letters).unwrap_or_default();
            path.push(Seg::Index(i));
            path.push(Seg::Key("regex"));
            col.add_node(path, regex, &Pick::new(Kind::UapCore).flags(flags));
            path.pop();
            path.pop();
        }
        path.pop();
    }
}

/// crawler-user-agents: a top-level array of `{pattern, instances}`.
pub(super) fn is_crawler(root: &Node) -> bool {
    let Node::Seq(items, _) = root else { return false };
    let maps: Vec<&Node> = items.iter().filter(|n| matches!(n, Node::Map(..))).collect();
    !maps.is_empty()
        && maps.iter().all(|m| m.get("pattern").is_some())
        && maps.iter().any(|m| m.get("instances").is_some())
}

pub(super) fn select_crawler<'t>(root: &'t Node, path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>) {
    for (i, item) in root.items().iter().enumerate() {
        if let Some(p) = item.get("pattern") {
            path.push(Seg::Index(i));
            path.push(Seg::Key("pattern"));
            col.add_node(path, p, &Pick::new(Kind::CrawlerUserAgents));
            path.pop();
            path.pop();
        }
    }
}

/// The crs-toolchain config (`regex-assembly/toolchain.yaml`): regex
/// fragments under `patterns`.
pub(super) fn is_crs_toolchain(file_name: &str, root: &Node) -> bool {
    let Some(patterns @ Node::Map(..)) = root.get("patterns") else { return false };
    let fragments = patterns.entries().iter().all(|e| matches!(e.value, Node::Map(..) | Node::Str(_)));
    fragments
        && (file_name.starts_with("toolchain.") || patterns.entries().iter().any(|e| e.key.starts_with("anti_evasion")))
}

pub(super) fn select_crs_toolchain<'t>(root: &'t Node, path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>) {
    let Some(patterns) = root.get("patterns") else { return };
    path.push(Seg::Key("patterns"));
    fragments(patterns, path, col, 0);
    path.pop();
}

fn fragments<'t>(node: &'t Node, path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>, depth: usize) {
    match node {
        Node::Map(entries, _) if depth < 4 => {
            for e in entries {
                path.push(Seg::Key(&e.key));
                fragments(&e.value, path, col, depth + 1);
                path.pop();
            }
        }
        Node::Str(s) => {
            // The fragments are block scalars; crs-toolchain splices them in
            // without the block's final line break.
            let end = s.value.trim_end_matches(['\n', '\r']).len();
            col.add(path, &sub_scalar(s, 0..end), &Pick::new(Kind::CrsRegexAssembly));
        }
        _ => {}
    }
}
