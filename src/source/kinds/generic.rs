//! The generic selector, for YAML/TOML/JSON documents of no known kind:
//! string values (or lists of strings) under keys named `regex`, `regexp`,
//! `regexes`, `regexps`, `pattern`, `patterns`, or ending in `_regex`,
//! `-regex`, `Regex`, `_regexp`, `Regexp`, `_regexes`, `Regexes`. PCRE,
//! searched.
//!
//! `pattern` keys often hold globs rather than regexes: values under
//! `pattern`/`patterns` that cannot be regexes (starting with `*` or `?`,
//! or containing `**`) are skipped, as are empty strings.

use super::{Collector, Pick, Seg};
use crate::source::Kind;
use crate::source::tree::Node;

fn is_regex_key(k: &str) -> bool {
    matches!(k, "regex" | "regexp" | "regexes" | "regexps" | "pattern" | "patterns")
        || ["_regex", "-regex", "Regex", "_regexp", "-regexp", "Regexp", "_regexes", "Regexes"]
            .iter()
            .any(|suffix| k.len() > suffix.len() && k.ends_with(suffix))
}

fn looks_like_glob(k: &str, v: &str) -> bool {
    matches!(k, "pattern" | "patterns") && (v.starts_with('*') || v.starts_with('?') || v.contains("**"))
}

pub(super) fn select<'t>(node: &'t Node, path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>) {
    let pick = Pick::new(Kind::Generic);
    match node {
        Node::Map(entries, _) => {
            for e in entries {
                let k = e.key.as_str();
                path.push(Seg::Key(k));
                if is_regex_key(k) {
                    match &e.value {
                        Node::Str(s) => {
                            if !s.value.is_empty() && !looks_like_glob(k, &s.value) && !col.is_taken(s) {
                                col.add(path, s, &pick);
                            }
                        }
                        Node::Seq(items, _) if items.iter().all(|i| matches!(i, Node::Str(_))) => {
                            for (i, item) in items.iter().enumerate() {
                                if let Node::Str(s) = item
                                    && !s.value.is_empty()
                                    && !looks_like_glob(k, &s.value)
                                {
                                    path.push(Seg::Index(i));
                                    col.add(path, s, &pick);
                                    path.pop();
                                }
                            }
                        }
                        other => select(other, path, col),
                    }
                } else {
                    select(&e.value, path, col);
                }
                path.pop();
            }
        }
        Node::Seq(items, _) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Seg::Index(i));
                select(item, path, col);
                path.pop();
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_keys() {
        for k in ["regex", "pattern", "patterns", "path_regex", "hostRegex", "name-regexp", "include_regexes"] {
            assert!(is_regex_key(k), "{k}");
        }
        for k in ["Regex_flag", "regex_flag", "patternx", "Regex", "description"] {
            assert!(!is_regex_key(k), "{k}");
        }
        assert!(looks_like_glob("pattern", "*.log"));
        assert!(looks_like_glob("patterns", "src/**/x"));
        assert!(!looks_like_glob("regex", "*.log"));
        assert!(!looks_like_glob("pattern", "^a.*$"));
    }
}
