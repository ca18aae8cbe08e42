//! gitleaks, in every config format it has had (all Go RE2, searched
//! unanchored):
//!
//! - v8: `[[rules]]` with `id`, `regex`, `path`; allowlists `[allowlist]`,
//!   `[[allowlists]]`, `[rules.allowlist]`, `[[rules.allowlists]]` with
//!   `regexes` and `paths` arrays;
//! - v3–v7: `[[rules]]` without `id` (`description`, `regex`, `tags`,
//!   `file` and `path` regexes, `entropies`), `[[rules.whitelist]]` tables
//!   with a `regex` / `file` / `path` each, `[rules.allowlist]`, and a
//!   top-level `[whitelist]` / `[allowlist]` with `regexes`, `files`, `paths`;
//! - v1–v2: `[[regexes]]` tables of `description` + `regex`, and
//!   `[whitelist]` with `regexes` and `files`.
//!
//! gitleaks reads its config through viper, so the same shapes count in
//! YAML and JSON. `keywords`, `stopwords`, `commits` and `tags` are
//! literals, not regexes. `rule_id` is the rule's `id`.

use super::{Collector, Pick, Seg, child_text};
use crate::source::Kind;
use crate::source::tree::Node;

/// Keys only a gitleaks rule has next to its `regex` (v3–v7 rules have no
/// `id`; a `description` and a `regex` alone are too common to tell).
const RULE_MARKERS: [&str; 8] =
    ["tags", "entropy", "entropies", "secretGroup", "keywords", "whitelist", "allowlist", "allowlists"];

/// The top-level and rule-level allowlist keys, old and new.
const ALLOWLIST_KEYS: [&str; 3] = ["allowlist", "allowlists", "whitelist"];

/// Is this document a gitleaks config?
pub(super) fn is_gitleaks(file_name: &str, root: &Node) -> bool {
    if matches!(file_name, "gitleaks.toml" | ".gitleaks.toml") {
        return true;
    }
    let rules = root.get("rules").is_some_and(|rules| {
        rules.items().iter().any(|r| {
            let has_regex = ["regex", "path", "file"].iter().any(|k| r.get(k).is_some());
            let v8 = r.get("id").is_some() && (r.get("regex").is_some() || r.get("path").is_some());
            let older = has_regex && r.get("description").is_some() && RULE_MARKERS.iter().any(|k| r.get(k).is_some());
            (v8 || older) && r.get("pattern").is_none() && r.get("languages").is_none()
        })
    });
    let allowlist =
        ALLOWLIST_KEYS.iter().any(|k| root.get(k).is_some_and(|a| has_lists(a) || a.items().iter().any(has_lists)));
    rules || (allowlist && root.get("rules").is_none_or(|r| matches!(r, Node::Seq(..)))) || is_v1_regexes(root)
}

/// v1/v2: `[[regexes]]`, tables of a `description` and a `regex` only.
fn is_v1_regexes(root: &Node) -> bool {
    let items = root.get("regexes").map_or(&[][..], Node::items);
    !items.is_empty()
        && items.iter().all(|r| {
            r.get("regex").is_some()
                && r.entries().iter().all(|e| matches!(e.key.as_str(), "description" | "regex" | "tags"))
        })
}

fn has_lists(n: &Node) -> bool {
    ["regexes", "paths", "files"].iter().any(|k| n.get(k).is_some())
}

pub(super) fn select<'t>(root: &'t Node, path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>) {
    let pick = Pick::new(Kind::Gitleaks);
    select_allowlists(root, path, col, &pick);
    if is_v1_regexes(root)
        && let Some(regexes) = root.get("regexes")
    {
        path.push(Seg::Key("regexes"));
        for (i, r) in regexes.items().iter().enumerate() {
            path.push(Seg::Index(i));
            select_keys(r, &["regex"], path, col, &pick);
            path.pop();
        }
        path.pop();
    }
    let Some(rules) = root.get("rules") else { return };
    path.push(Seg::Key("rules"));
    for (i, rule) in rules.items().iter().enumerate() {
        let pick = pick.clone().rule_id(child_text(rule, "id").map(str::to_owned));
        path.push(Seg::Index(i));
        select_keys(rule, &["regex", "path", "file"], path, col, &pick);
        select_allowlists(rule, path, col, &pick);
        path.pop();
    }
    path.pop();
}

/// The single-regex keys of `node`.
fn select_keys<'t>(node: &'t Node, keys: &[&'t str], path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>, pick: &Pick) {
    for &key in keys {
        if let Some(v) = node.get(key) {
            path.push(Seg::Key(key));
            col.add_node(path, v, pick);
            path.pop();
        }
    }
}

/// `allowlist` / `whitelist` (a table) and `allowlists` / `[[…whitelist]]`
/// (an array of tables) under `node`.
fn select_allowlists<'t>(node: &'t Node, path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>, pick: &Pick) {
    for key in ALLOWLIST_KEYS {
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

/// An allowlist's regex arrays (`regexes`, `paths`, `files`) and, in v3–v6
/// rule whitelists, its single `regex` / `file` / `path`.
fn select_lists<'t>(allowlist: &'t Node, path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>, pick: &Pick) {
    for key in ["regexes", "paths", "files"] {
        if let Some(v) = allowlist.get(key) {
            path.push(Seg::Key(key));
            col.add_string_or_list(path, v, pick);
            path.pop();
        }
    }
    select_keys(allowlist, &["regex", "file", "path"], path, col, pick);
}
