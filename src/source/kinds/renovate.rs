//! Renovate config (`renovate.json`, `.json5`, `.renovaterc`, or any file
//! whose `$schema` names renovate).
//!
//! Always regexes: `matchStrings` of `customManagers` / `regexManagers`,
//! `fileMatch` (legacy), `matchPackagePatterns` / `excludePackagePatterns` /
//! `matchDepPatterns` / `excludeDepPatterns` (legacy), `extractVersion`,
//! `versionCompatibility`. Regexes only when written `"/…/flags"` or
//! `"!/…/flags"`: entries of `match*` / `exclude*` options,
//! `managerFilePatterns`, `allowedVersions`, `baseBranches`,
//! `baseBranchPatterns`, `ignoreDeps` (otherwise they are exact names or
//! globs). The span then covers only the text between the slashes, and the
//! flags become [`Flags`]. `versioning: "regex:…"` holds a regex after the
//! prefix. JavaScript flavor, searched unanchored; `packageRules` and
//! per-manager blocks are walked at any depth.

use super::{Collector, Pick, Seg, Step, each_str, sub_scalar, walk};
use crate::source::tree::Node;
use crate::source::{Flags, Kind};

const ALWAYS: [&str; 7] = [
    "fileMatch",
    "matchPackagePatterns",
    "excludePackagePatterns",
    "matchDepPatterns",
    "excludeDepPatterns",
    "extractVersion",
    "versionCompatibility",
];

const SLASHED: [&str; 5] =
    ["managerFilePatterns", "allowedVersions", "baseBranches", "baseBranchPatterns", "ignoreDeps"];

/// Is this document a Renovate config?
pub(super) fn is_renovate(file_name: &str, root: &Node) -> bool {
    let by_name = matches!(
        file_name,
        "renovate.json" | "renovate.json5" | ".renovaterc" | ".renovaterc.json" | ".renovaterc.json5"
    );
    let by_schema = root.get("$schema").and_then(Node::scalar_text).is_some_and(|s| s.contains("renovate"));
    let by_keys = ["packageRules", "customManagers", "regexManagers"].iter().any(|k| root.get(k).is_some())
        && root.get("extends").is_some();
    matches!(root, Node::Map(..)) && (by_name || by_schema || by_keys)
}

pub(super) fn select<'t>(node: &'t Node, path: &mut Vec<Seg<'t>>, col: &mut Collector<'_>) {
    walk(node, path, col, &mut |_, e, path, col| {
        let k = e.key.as_str();
        if k == "matchStrings" || ALWAYS.contains(&k) {
            each_str(&e.value, path, col, &mut |col, path, s| col.add(path, s, &Pick::new(Kind::Renovate)));
        } else if k == "versioning" {
            if let Some(s) = e.value.as_str()
                && let Some(rest) = s.value.strip_prefix("regex:")
            {
                let start = s.value.len() - rest.len();
                col.add(path, &sub_scalar(s, start..s.value.len()), &Pick::new(Kind::Renovate));
            }
        } else if SLASHED.contains(&k) || k.starts_with("match") || k.starts_with("exclude") {
            each_str(&e.value, path, col, &mut |col, path, s| {
                if let Some((range, flags)) = slashed(&s.value) {
                    col.add(path, &sub_scalar(s, range), &Pick::new(Kind::Renovate).flags(flags));
                }
            });
        } else {
            return Step::Descend;
        }
        Step::Done
    });
}

/// `/re/flags` or `!/re/flags`: the range of `re` and the flags.
fn slashed(v: &str) -> Option<(std::ops::Range<usize>, Flags)> {
    let start = if v.starts_with("!/") {
        2
    } else if v.starts_with('/') {
        1
    } else {
        return None;
    };
    let close = v.rfind('/')?;
    if close < start {
        return None;
    }
    let flags = &v[close + 1..];
    if !flags.chars().all(|c| "dgimsuvy".contains(c)) {
        return None;
    }
    Some((start..close, Flags::from_letters(flags)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slash_forms() {
        assert_eq!(slashed("/^foo/").map(|r| r.0), Some(1..5));
        let (r, f) = slashed("!/a\\/b/i").expect("regex");
        assert_eq!(r, 2..6);
        assert!(f.case_insensitive);
        assert!(slashed("/").is_none());
        assert!(slashed("foo").is_none());
        assert!(slashed("/a/bc").is_none(), "`bc` are not flags");
        assert_eq!(slashed("//").map(|r| r.0), Some(1..1));
    }
}
