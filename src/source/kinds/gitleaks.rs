//! gitleaks: `[[rules]]` `regex` and `path`, and allowlists (`[allowlist]`,
//! `[[allowlists]]`, `[rules.allowlist]`, `[[rules.allowlists]]`) with their
//! `regexes` and `paths` arrays. `keywords` and `stopwords` are literals, not
//! regexes. Go RE2, searched unanchored. `rule_id` is the rule's `id`.

use super::{Collector, Pick, Seg, child_text};
use crate::source::Kind;
use crate::source::tree::Node;

/// Is this document a gitleaks config?
pub(super) fn is_gitleaks(file_name: &str, root: &Node) -> bool {
    if matches!(file_name, "gitleaks.toml" | ".gitleaks.toml") {
        return true;
    }
    let rules = root.get("rules").is_some_and(|rules| {
        rules.items().iter().any(|r| {
            r.get("id").is_some()
                && (r.get("regex").is_some() || r.get("path").is_some())
                && r.get("pattern").is_none()
                && r.get("languages").is_none()
        })
    });
    let allowlist = ["allowlist", "allowlists"]
        .iter()
        .any(|k| root.get(k).is_some_and(|a| has_lists(a) || a.items().iter().any(has_lists)));
    rules || (allowlist && root.get("rules").is_none_or(|r| matches!(r, Node::Seq(..))))
}

fn has_lists(n: &Node) -> bool {
    n.get("regexes").is_some() || n.get("paths").is_some()
}

pub(super) fn select<'t>(root: &'t Node, path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>) {
    let pick = Pick::new(Kind::Gitleaks);
    select_allowlists(root, path, col, &pick);
    let Some(rules) = root.get("rules") else { return };
    path.push(Seg::Key("rules"));
    for (i, rule) in rules.items().iter().enumerate() {
        let pick = pick.clone().rule_id(child_text(rule, "id").map(str::to_owned));
        path.push(Seg::Index(i));
        for key in ["regex", "path"] {
            if let Some(v) = rule.get(key) {
                path.push(Seg::Key(key));
                col.add_node(path, v, &pick);
                path.pop();
            }
        }
        select_allowlists(rule, path, col, &pick);
        path.pop();
    }
    path.pop();
}

/// `allowlist` (a table) and `allowlists` (an array of tables) under `node`.
fn select_allowlists<'t>(node: &'t Node, path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>, pick: &Pick) {
    for key in ["allowlist", "allowlists"] {
        let Some(a) = node.get(key) else { continue };
        path.push(Seg::Key(key));
        match a {
            Node::Seq(items, _) => {
                for (i, item) in items.iter().enumerate() {
                    path.push(Seg::Index(i));
                    select_lists(item, path, col, pick);
                    path.pop();
                }
            }
            _ => select_lists(a, path, col, pick),
        }
        path.pop();
    }
}

fn select_lists<'t>(allowlist: &'t Node, path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>, pick: &Pick) {
    for key in ["regexes", "paths"] {
        if let Some(v) = allowlist.get(key) {
            path.push(Seg::Key(key));
            col.add_string_or_list(path, v, pick);
            path.pop();
        }
    }
}
