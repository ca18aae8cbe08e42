//! References from files the change does not touch: an unchanged file that
//! still uses what the change removes.
//!
//! Position: under [`super::plan`], beside [`super::waves`] (which links
//! the changed files to each other). The caller reads the head tree from
//! git; this module decides which files are worth parsing ([`Needles`]),
//! parses them in parallel, and turns what they still use into problems on
//! the change that removes it.
//!
//! What counts, and how much:
//!
//! | an unchanged file still … | risk of the removing change |
//! | --- | --- |
//! | uses a recording rule's series the change removes (`expr`) | blocked |
//! | routes to an Alertmanager receiver the change removes | blocked (Alertmanager refuses the config) |
//! | strictly loads a file the change deletes (`Include x.conf`, no glob), and nothing else is there | blocked (the config will not load) |
//!
//! Loads are also read from the changed files at head: a strict `Include`
//! of a deleted file blocks wherever it sits, and a glob that still
//! matches a file at head (changed or not) is no problem. Either way the
//! problem is the deleted file's, naming the file and line that load it.
//! | loads with a glob (`Include rules/*.conf`, `rule_files`) or optionally, and nothing matches any more | high (what it loaded is dropped, silently) |
//! | names a rule id the change removes (`ctl:ruleRemoveById=N`, `SecRuleRemoveById N`, …) or a marker (`skipAfter`) | high (the exclusion silently does nothing) |
//!
//! A series, receiver or marker still defined at head by any file, changed
//! or not, is not removed (a rule id only by a changed file). Id ranges (`SecRuleRemoveById 942100-942199`) never count: a
//! range is written to cover rules that come and go.
//!
//! Cost: a file is parsed only when its bytes contain a needle (the name
//! of a removed series, receiver or marker, `ById` when rules are removed,
//! or an include directive when files are deleted), so a change that
//! removes nothing reads nothing; parsing runs on rayon's pool.

use std::collections::{BTreeMap, BTreeSet};

use memchr::memmem;
use rayon::prelude::*;

use super::links::{self, Links, PathIndex, Symbol};
use super::manifest::Risk;
use super::waves::Node;
use crate::source::ExtractOptions;

/// What the change removes, by the change that removes it.
#[derive(Debug, Default)]
pub struct Removed {
    /// Symbols defined at base by a changed file and by no changed file at
    /// head, with the index of the node that removes each.
    symbols: BTreeMap<Symbol, usize>,
    /// Deleted paths (base side), by node.
    deleted: PathIndex,
    /// Are there deleted paths?
    any_deleted: bool,
}

impl Removed {
    /// What the changed files remove.
    pub fn of(nodes: &[Node]) -> Removed {
        let at_head: BTreeSet<&Symbol> =
            nodes.iter().filter_map(|n| n.head.as_ref()).flat_map(|h| &h.defines).collect();
        let mut symbols = BTreeMap::new();
        for (i, n) in nodes.iter().enumerate() {
            let Some(base) = &n.base else { continue };
            for s in base.defines.iter().filter(|s| !at_head.contains(s)) {
                symbols.entry(s.clone()).or_insert(i);
            }
        }
        let deleted: Vec<(&str, usize)> = nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.head.is_none() && n.base.is_some())
            .map(|(i, n)| (n.path.as_str(), i))
            .collect();
        Removed { symbols, any_deleted: !deleted.is_empty(), deleted: PathIndex::new(deleted) }
    }

    /// Nothing removed: no file needs reading.
    pub fn is_empty(&self) -> bool {
        self.symbols.is_empty() && !self.any_deleted
    }

    /// The byte strings that make a file worth parsing.
    pub fn needles(&self) -> Needles {
        let mut words: BTreeSet<Vec<u8>> = BTreeSet::new();
        for s in self.symbols.keys() {
            match s {
                // Every SecLang directive that names an id ends so.
                Symbol::Rule(_) => {
                    words.insert(b"ById".to_vec());
                }
                Symbol::Marker(n) | Symbol::Series(n) | Symbol::Receiver(n) => {
                    words.insert(n.as_bytes().to_vec());
                }
            }
        }
        if self.any_deleted {
            for w in ["nclude", "NCLUDE", "rules_file", "rule_files"] {
                words.insert(w.as_bytes().to_vec());
            }
        }
        Needles(words.into_iter().filter(|w| !w.is_empty()).map(|w| memmem::Finder::new(&w).into_owned()).collect())
    }
}

/// Byte strings, any of which makes a file worth parsing; each searcher
/// is built once, not once per file (`memmem::find` builds one per call,
/// which was the largest cost of a 2,000-file scan that removes 100
/// series).
#[derive(Debug, Clone)]
pub struct Needles(Vec<memmem::Finder<'static>>);

impl Needles {
    /// Does the text hold one of them?
    pub fn found_in(&self, bytes: &[u8]) -> bool {
        self.0.iter().any(|n| n.find(bytes).is_some())
    }
}

/// An unchanged file at head, with its bytes.
#[derive(Debug, Clone)]
pub struct Unchanged {
    /// Repository-relative path.
    pub path: String,
    /// Its content.
    pub bytes: Vec<u8>,
}

/// Problems per node (index-aligned with `nodes`) from the unchanged files
/// at head. `head_paths` lists every file at head, changed or not.
pub fn problems(
    nodes: &[Node],
    removed: &Removed,
    unchanged: &[Unchanged],
    head_paths: &[String],
    opts: &ExtractOptions,
) -> Vec<Vec<(Risk, String)>> {
    let mut out: Vec<Vec<(Risk, String)>> = vec![Vec::new(); nodes.len()];
    if removed.is_empty() {
        return out;
    }
    let parsed: Vec<(&str, Links)> =
        unchanged.par_iter().map(|u| (u.path.as_str(), links::of(&u.path, &u.bytes, opts))).collect();
    // A name still defined somewhere at head (a copy in an unchanged file)
    // is not removed. Rule ids are not: the same id in another file is
    // another config's rule (ModSecurity refuses duplicate ids), and files
    // are not read for ids.
    let still: BTreeSet<&Symbol> =
        parsed.iter().flat_map(|(_, l)| &l.defines).filter(|s| !matches!(s, Symbol::Rule(_))).collect();
    let head_index = std::sync::OnceLock::new();

    let mut found: BTreeSet<(usize, Risk, String)> = BTreeSet::new();
    for (path, l) in &parsed {
        for r in &l.refs {
            let Some(s) = r.target.symbol() else { continue };
            let Some(&u) = removed.symbols.get(&s) else { continue };
            if still.contains(&s) {
                continue;
            }
            let (risk, why) = match &s {
                Symbol::Series(name) => (
                    Risk::Blocked,
                    format!("series {name} is removed, but {path} (not in this change) still uses it (`{}`)", r.via),
                ),
                Symbol::Receiver(name) => (
                    Risk::Blocked,
                    format!(
                        "receiver {name} is removed, but {path} (not in this change) still routes to it (`{}`): Alertmanager will not load that config",
                        r.via
                    ),
                ),
                Symbol::Rule(_) | Symbol::Marker(_) => (
                    Risk::High,
                    format!(
                        "{} is removed, but {path} (not in this change) still names it (`{}`): it now applies to nothing, and a rule that moved to a new id is no longer covered",
                        s.describe(),
                        r.via
                    ),
                ),
            };
            found.insert((u, risk, why));
        }
    }
    if removed.any_deleted {
        // Loads from the files at head: the changed ones, then the rest.
        let changed = nodes.iter().filter_map(|n| n.head.as_ref().map(|h| (n.path.as_str(), h, "in this change")));
        let untouched = parsed.iter().map(|(p, l)| (*p, l, "not in this change"));
        for (path, l, whose) in changed.chain(untouched) {
            for load in l.loads.iter().filter(|l| l.directive) {
                let gone = removed.deleted.resolve(path, load);
                let Some(&u) = gone.first() else { continue };
                let index = head_index.get_or_init(|| PathIndex::new(head_paths.iter().map(|p| (p.as_str(), 0))));
                if !index.resolve(path, load).is_empty() {
                    continue;
                }
                let glob = load.target.contains(['*', '?', '[']);
                let deleted = &nodes[u].path;
                let at = load.line.map_or_else(|| path.to_owned(), |n| format!("{path}:{n}"));
                found.insert(if load.strict && !glob {
                    (
                        u,
                        Risk::Blocked,
                        format!("{at} ({whose}) still loads this file (`{}`): the config will not load", load.via),
                    )
                } else {
                    (
                        u,
                        Risk::High,
                        format!(
                            "`{}` in {at} ({whose}) no longer matches any file: what {deleted} held is no longer loaded",
                            load.via
                        ),
                    )
                });
            }
        }
    }
    for (u, risk, why) in found {
        out[u].push((risk, why));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollout::manifest::ChangeStatus;

    fn links(path: &str, text: &str) -> Links {
        links::of(path, text.as_bytes(), &ExtractOptions::default())
    }

    fn node(path: &str, status: ChangeStatus, base: Option<&str>, head: Option<&str>) -> Node {
        Node {
            path: path.into(),
            status,
            base: base.map(|t| links(path, t)),
            head: head.map(|t| links(path, t)),
            prior: None,
        }
    }

    fn unchanged(path: &str, text: &str) -> Unchanged {
        Unchanged { path: path.into(), bytes: text.as_bytes().to_vec() }
    }

    const REC: &str = "groups:\n  - name: a\n    rules:\n      - record: job:x:rate5m\n        expr: rate(x[5m])\n";
    const ALERT: &str = "groups:\n  - name: b\n    rules:\n      - alert: X\n        expr: job:x:rate5m > 1\n";

    #[test]
    fn what_is_removed_and_what_is_worth_reading() {
        let nodes = [
            node("rec.yaml", ChangeStatus::Modified, Some(REC), Some("groups: []\n")),
            node("moved.conf", ChangeStatus::Deleted, Some("SecRule A \"b\" \"id:7,deny\"\n"), None),
            node("new.conf", ChangeStatus::Added, None, Some("SecRule A \"b\" \"id:7,deny\"\n")),
        ];
        let removed = Removed::of(&nodes);
        assert_eq!(removed.symbols.keys().collect::<Vec<_>>(), [&Symbol::Series("job:x:rate5m".into())]);
        let needles = removed.needles();
        assert!(needles.found_in(ALERT.as_bytes()));
        assert!(needles.found_in(b"Include other.conf"), "a file is deleted");
        assert!(!needles.found_in(b"rules:\n  - id: 1\n"));
        assert!(Removed::of(&[node("a.yaml", ChangeStatus::Modified, Some("a: 1\n"), Some("a: 2\n"))]).is_empty());
    }

    /// A strict include of a deleted file blocks from a changed file as
    /// from an unchanged one, with the line; a glob still matching a file
    /// at head is fine.
    #[test]
    fn loads_of_deleted_files_from_changed_and_unchanged_files() {
        let nodes = [
            node("main.conf", ChangeStatus::Modified, Some("Include a.conf\n# v1\n"), Some("# v2\nInclude a.conf\n")),
            node("a.conf", ChangeStatus::Deleted, Some("SecRule A \"b\" \"id:1\"\n"), None),
            node("x/1.conf", ChangeStatus::Deleted, Some("# one\n"), None),
            node("glob.conf", ChangeStatus::Modified, Some("Include x/*.conf\n"), Some("Include x/*.conf\n# v2\n")),
        ];
        let removed = Removed::of(&nodes);
        let opts = ExtractOptions::default();
        let head = ["main.conf", "glob.conf", "other.conf", "x/2.conf"].map(str::to_owned);
        let p = problems(&nodes, &removed, &[unchanged("other.conf", "Include a.conf\n")], &head, &opts);
        assert_eq!(
            p[1],
            [
                (
                    Risk::Blocked,
                    "main.conf:2 (in this change) still loads this file (`Include a.conf`): the config will not load"
                        .to_owned()
                ),
                (
                    Risk::Blocked,
                    "other.conf:1 (not in this change) still loads this file (`Include a.conf`): the config will not load"
                        .to_owned()
                ),
            ]
        );
        assert!(p[0].is_empty() && p[2].is_empty() && p[3].is_empty(), "{p:?}");
        // Without x/2.conf the glob matches nothing: high, not blocked.
        let head = ["main.conf", "glob.conf", "other.conf"].map(str::to_owned);
        let p = problems(&nodes, &removed, &[], &head, &opts);
        assert_eq!(p[2].len(), 1, "{p:?}");
        assert_eq!(p[2][0].0, Risk::High);
        assert!(p[2][0].1.starts_with("`Include x/*.conf` in glob.conf:1 (in this change) no longer matches"), "{p:?}");
    }

    #[test]
    fn unchanged_users_are_problems_of_the_removing_change() {
        let nodes = [node("rec.yaml", ChangeStatus::Modified, Some(REC), Some("groups: []\n"))];
        let removed = Removed::of(&nodes);
        let paths = ["rec.yaml".to_owned(), "alerts.yaml".to_owned()];
        let opts = ExtractOptions::default();
        let p = problems(&nodes, &removed, &[unchanged("alerts.yaml", ALERT)], &paths, &opts);
        assert_eq!(
            p[0],
            [(
                Risk::Blocked,
                "series job:x:rate5m is removed, but alerts.yaml (not in this change) still uses it (`expr of alert X`)"
                    .to_owned()
            )]
        );
        // Still recorded by an unchanged file: not removed.
        let p =
            problems(&nodes, &removed, &[unchanged("alerts.yaml", ALERT), unchanged("copy.yaml", REC)], &paths, &opts);
        assert!(p[0].is_empty(), "{p:?}");
    }
}
