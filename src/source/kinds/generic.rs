//! The generic selector, for YAML/TOML/JSON documents of no known kind:
//! string values (or lists of strings) under keys named `regex`, `regexp`,
//! `regexes`, `regexps`, `pattern`, `patterns`, or ending in `_regex`,
//! `-regex`, `Regex`, `_regexp`, `Regexp`, `_regexes`, `Regexes`. PCRE,
//! searched.
//!
//! `pattern` keys often hold globs rather than regexes: values under
//! `pattern`/`patterns` that cannot be regexes (starting with `*` or `?`,
//! or containing `**`) are skipped, as are empty strings.

use super::{Collector, Pick, Seg, Step, each_str, walk};
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
    walk(node, path, col, &mut |_, e, path, col| {
        let k = e.key.as_str();
        if !is_regex_key(k) {
            return Step::Descend;
        }
        match &e.value {
            Node::Str(s) => {
                if !s.value.is_empty() && !looks_like_glob(k, &s.value) && !col.is_taken(s) {
                    col.add(path, s, &pick);
                }
            }
            Node::Seq(items, _) if items.iter().all(|i| matches!(i, Node::Str(_))) => {
                each_str(&e.value, path, col, &mut |col, path, s| {
                    if !s.value.is_empty() && !looks_like_glob(k, &s.value) {
                        col.add(path, s, &pick);
                    }
                });
            }
            _ => return Step::Descend,
        }
        Step::Done
    });
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
