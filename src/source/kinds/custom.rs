//! Sources declared in cfglint.toml (`[[source]] glob = "...", keys =
//! ["a.b[].c"], flavor = "...", kind = "...", semantics = "..."`).
//!
//! Globs: `*` matches within one path component, `**` any number of
//! components, `?` one character, `[abc]` / `[a-z]` / `[!a]` a class. A glob
//! without `/` matches the file name anywhere (like `.gitignore`).
//!
//! Key patterns: `.`-separated keys, `[]` any index, `[N]` index N, `*` any
//! single key, `["key.with.dots"]` a quoted key. A pattern that ends at a
//! string picks it; at a list, picks its strings.

use super::{Collector, Pick, Seg};
use crate::source::tree::Node;
use crate::source::{CustomSource, Kind};

/// Does `path` (with `/` separators) match `glob`?
pub fn glob_matches(glob: &str, path: &str) -> bool {
    let path = path.strip_prefix("./").unwrap_or(path);
    let glob = glob.strip_prefix("./").unwrap_or(glob);
    if glob.contains('/') {
        let glob = glob.strip_prefix('/').unwrap_or(glob);
        match_components(&split(glob), &split(path))
    } else {
        let name = path.rsplit('/').next().unwrap_or(path);
        match_component(glob.as_bytes(), name.as_bytes())
    }
}

fn split(s: &str) -> Vec<&str> {
    s.split('/').filter(|c| !c.is_empty()).collect()
}

/// Components with `**`, by dynamic programming over (glob, path) prefixes.
fn match_components(glob: &[&str], path: &[&str]) -> bool {
    // ok[j] = glob[..i] matches path[..j]
    let mut ok = vec![false; path.len() + 1];
    ok[0] = true;
    for g in glob {
        let mut next = vec![false; path.len() + 1];
        if *g == "**" {
            let mut any = false;
            for j in 0..=path.len() {
                any |= ok[j];
                next[j] = any;
            }
        } else {
            for j in 1..=path.len() {
                next[j] = ok[j - 1] && match_component(g.as_bytes(), path[j - 1].as_bytes());
            }
        }
        ok = next;
    }
    ok[path.len()]
}

/// One component: `*`, `?`, classes; iterative with single backtrack point.
fn match_component(g: &[u8], s: &[u8]) -> bool {
    let (mut gi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if gi < g.len() {
            match g[gi] {
                b'*' => {
                    star = Some((gi, si));
                    gi += 1;
                    continue;
                }
                b'?' => {
                    gi += 1;
                    si += 1;
                    continue;
                }
                b'[' => {
                    if let Some((matched, len)) = class(&g[gi..], s[si])
                        && matched
                    {
                        gi += len;
                        si += 1;
                        continue;
                    }
                }
                c if c == s[si] => {
                    gi += 1;
                    si += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sg, ss)) => {
                gi = sg + 1;
                si = ss + 1;
                star = Some((sg, ss + 1));
            }
            None => return false,
        }
    }
    g[gi..].iter().all(|&c| c == b'*')
}

/// A `[...]` class at the start of `g`: (does `c` match, length of the
/// class).
fn class(g: &[u8], c: u8) -> Option<(bool, usize)> {
    let close = g.iter().skip(2).position(|&b| b == b']')? + 2;
    let body = &g[1..close];
    let (negate, body) = match body.first() {
        Some(b'!' | b'^') => (true, &body[1..]),
        _ => (false, body),
    };
    let mut hit = false;
    let mut i = 0;
    while i < body.len() {
        if i + 2 < body.len() && body[i + 1] == b'-' {
            hit |= (body[i]..=body[i + 2]).contains(&c);
            i += 3;
        } else {
            hit |= body[i] == c;
            i += 1;
        }
    }
    Some((hit != negate, close + 1))
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum KeyPat {
    Key(String),
    AnyKey,
    Index(usize),
    AnyIndex,
}

/// Parse `a.b[].c`, `*.x`, `["a.b"][2]`.
fn parse_key_pattern(p: &str) -> Option<Vec<KeyPat>> {
    let b = p.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'.' => i += 1,
            b'[' => {
                let close = p[i..].find(']')? + i;
                let inner = &p[i + 1..close];
                if inner.is_empty() {
                    out.push(KeyPat::AnyIndex);
                } else if let Some(q) = inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
                    out.push(KeyPat::Key(q.replace("\\\"", "\"").replace("\\\\", "\\")));
                } else {
                    out.push(KeyPat::Index(inner.parse().ok()?));
                }
                i = close + 1;
            }
            _ => {
                let end = p[i..].find(['.', '[']).map_or(p.len(), |e| e + i);
                let k = &p[i..end];
                out.push(if k == "*" { KeyPat::AnyKey } else { KeyPat::Key(k.to_owned()) });
                i = end;
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Pick the strings at a custom source's keys in one document.
pub(super) fn select<'t>(
    c: &CustomSource,
    root: &'t Node,
    path: &mut Vec<Seg<'t>>,
    col: &mut Collector<'_>,
    doc_kind: &Kind,
) {
    let kind = c.kind.as_deref().map_or_else(|| doc_kind.clone(), Kind::from_name);
    let mut pick = Pick::new(kind);
    if let Some(f) = c.flavor {
        pick = pick.flavor(f);
    }
    if let Some(s) = c.semantics {
        pick = pick.semantics(s);
    }
    for key in &c.keys {
        if let Some(pat) = parse_key_pattern(key) {
            walk(root, &pat, path, col, &pick);
        }
    }
}

fn walk<'t>(node: &'t Node, pat: &[KeyPat], path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>, pick: &Pick) {
    let Some((first, rest)) = pat.split_first() else {
        match node {
            Node::Seq(items, _) => {
                for (i, item) in items.iter().enumerate() {
                    path.push(Seg::Index(i));
                    if let Some(s) = col.text_scalar(item) {
                        col.add_override(path, &s, pick);
                    }
                    path.pop();
                }
            }
            _ => {
                if let Some(s) = col.text_scalar(node) {
                    col.add_override(path, &s, pick);
                }
            }
        }
        return;
    };
    match (first, node) {
        (KeyPat::Key(k), Node::Map(entries, _)) => {
            for e in entries.iter().filter(|e| &e.key == k) {
                path.push(Seg::Key(&e.key));
                walk(&e.value, rest, path, col, pick);
                path.pop();
            }
        }
        (KeyPat::AnyKey, Node::Map(entries, _)) => {
            for e in entries {
                path.push(Seg::Key(&e.key));
                walk(&e.value, rest, path, col, pick);
                path.pop();
            }
        }
        (KeyPat::Index(n), Node::Seq(items, _)) => {
            if let Some(item) = items.get(*n) {
                path.push(Seg::Index(*n));
                walk(item, rest, path, col, pick);
                path.pop();
            }
        }
        (KeyPat::AnyIndex, Node::Seq(items, _)) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Seg::Index(i));
                walk(item, rest, path, col, pick);
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
    fn globs() {
        assert!(glob_matches("*.yaml", "deep/dir/rules.yaml"));
        assert!(glob_matches("config/**/*.yml", "config/a/b/x.yml"));
        assert!(glob_matches("config/**/*.yml", "config/x.yml"));
        assert!(!glob_matches("config/*.yml", "config/a/x.yml"));
        assert!(glob_matches("waf/rule?.y[am]ml", "waf/rule1.yaml"));
        assert!(!glob_matches("waf/rule[!1].yaml", "waf/rule1.yaml"));
        assert!(glob_matches("**/x.json", "./a/x.json"));
        assert!(!glob_matches("*.yaml", "x.yml"));
        // No exponential blow-up on adversarial globs.
        assert!(!glob_matches(&"*a".repeat(30), &"a".repeat(40).replace('a', "b")));
    }

    #[test]
    fn key_patterns() {
        assert_eq!(
            parse_key_pattern("a.b[].c"),
            Some(vec![KeyPat::Key("a".into()), KeyPat::Key("b".into()), KeyPat::AnyIndex, KeyPat::Key("c".into())])
        );
        assert_eq!(
            parse_key_pattern("*[2][\"x.y\"]"),
            Some(vec![KeyPat::AnyKey, KeyPat::Index(2), KeyPat::Key("x.y".into())])
        );
        assert_eq!(parse_key_pattern("a[x]"), None);
    }
}
