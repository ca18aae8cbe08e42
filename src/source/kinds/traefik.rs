//! Traefik dynamic config (TOML or YAML, and the `IngressRoute` /
//! `Middleware` CRDs): middleware options `redirectRegex.regex`,
//! `replacePathRegex.regex`, `stripPrefixRegex.regex` (a list),
//! `headers.accessControlAllowOriginListRegex` (a list),
//! `forwardAuth.authResponseHeadersRegex`; and router `rule` strings (`match`
//! in an `IngressRoute`), whose `HostRegexp(`…`)`, `PathRegexp(`…`)`,
//! `HostSNIRegexp(`…`)`, `HeaderRegexp(`name`, `re`)`,
//! `HeadersRegexp(…)` and `QueryRegexp(`name`, `re`)` arguments are regexes;
//! their spans are found inside the rule string. Go RE2, searched.

use std::collections::HashMap;

use super::quoted::parse_go_string;
use super::{Collector, Pick, Seg, Step, nested_scalar, occurrence_suffix, walk};
use crate::source::Kind;
use crate::source::tree::{Node, Scalar};

/// Is this document a Traefik dynamic config?
pub(super) fn is_traefik(root: &Node) -> bool {
    ["http", "tcp", "udp"].iter().any(|proto| {
        root.get(proto).is_some_and(|p| {
            ["routers", "middlewares", "services", "serversTransports"].iter().any(|k| p.get(k).is_some())
        })
    })
}

pub(super) fn select<'t>(node: &'t Node, path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>) {
    let pick = Pick::new(Kind::Traefik);
    walk(node, path, col, &mut |_, e, path, col| {
        match (e.key.as_str(), &e.value) {
            ("redirectRegex" | "replacePathRegex" | "stripPrefixRegex", value) => {
                if let Some(r) = value.get("regex") {
                    path.push(Seg::Key("regex"));
                    col.add_string_or_list(path, r, &pick);
                    path.pop();
                }
            }
            ("accessControlAllowOriginListRegex" | "authResponseHeadersRegex", value) => {
                col.add_string_or_list(path, value, &pick);
            }
            ("rule" | "match", Node::Str(s)) => select_rule(s, path, col, &pick),
            _ => return Step::Descend,
        }
        Step::Done
    });
}

fn select_rule(rule: &Scalar, path: &mut Vec<Seg<'_>>, col: &mut Collector<'_>, pick: &Pick) {
    let mut seen = HashMap::new();
    for (func, q) in rule_regexes(&rule.value) {
        let suffix = occurrence_suffix(&mut seen, format!("{{{func}}}"));
        path.push(Seg::Raw(suffix));
        col.add(path, &nested_scalar(rule, q.value, &q.map), pick);
        path.pop();
    }
}

/// The regex arguments of the matcher functions in a router rule.
fn rule_regexes(rule: &str) -> Vec<(String, super::quoted::Quoted)> {
    let bytes = rule.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if matches!(c, b'"' | b'\'' | b'`') {
            i = parse_go_string(rule, i).map_or(i + 1, |q| q.end);
            continue;
        }
        if !c.is_ascii_alphabetic() {
            i += rule[i..].chars().next().map_or(1, char::len_utf8);
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
            i += 1;
        }
        let name = &rule[start..i];
        let regex_arg = match name {
            "HostRegexp" | "PathRegexp" | "HostSNIRegexp" => 0,
            "HeaderRegexp" | "HeadersRegexp" | "QueryRegexp" => 1,
            _ => continue,
        };
        let mut j = i;
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        if bytes.get(j) != Some(&b'(') {
            continue;
        }
        j += 1;
        let mut arg = 0;
        loop {
            while j < bytes.len() && (bytes[j].is_ascii_whitespace() || bytes[j] == b',') {
                j += 1;
            }
            let Some(q) = parse_go_string(rule, j) else { break };
            j = q.end;
            if arg == regex_arg || (regex_arg == 0 && name == "HostRegexp") {
                // Traefik v2 allowed several hosts in one HostRegexp.
                out.push((name.to_owned(), q));
            }
            arg += 1;
        }
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_arguments() {
        let r = "HostRegexp(`[a-z]+\\.example\\.com`) && (PathRegexp(\"^/api/\\\\d+\") || HeaderRegexp(`X-Id`, `^[0-9]+$`)) && Host(`x.com`)";
        let got: Vec<_> = rule_regexes(r).into_iter().map(|(f, q)| (f, q.value)).collect();
        assert_eq!(
            got,
            [
                ("HostRegexp".to_owned(), "[a-z]+\\.example\\.com".to_owned()),
                ("PathRegexp".to_owned(), "^/api/\\d+".to_owned()),
                ("HeaderRegexp".to_owned(), "^[0-9]+$".to_owned()),
            ]
        );
        assert!(rule_regexes("Host(`HostRegexp`)").is_empty(), "strings are not function names");
    }
}
