//! Waves: dependent changes in order (expand, then contract).
//!
//! Position: under [`super::plan`]; a pure function from changed files and
//! their [`Links`] to wave numbers, explanations and problems.
//!
//! Edges (`u` before `v`), each with the reason recorded in `v`'s
//! `depends_on`:
//!
//! 1. `v` refers to a rule id, marker, series or receiver that `u` adds
//!    (an exclusion after the rule it names, an alert after the recording
//!    rule whose series it uses).
//! 2. `v` loads `u` (a rule file before the config that includes it).
//! 3. `u` stops referring to (or loading) something `v` removes: removal
//!    after everything that stops using it. Between two additions or
//!    modifications this edge gives way when it would close a cycle with
//!    the others: `v` may remove an old name in the same deploy that adds
//!    the new name `u` now uses (a recording rule renamed together with
//!    its alert), and then `v` goes first, with a note on that edge.
//! 4. `[[order]]` constraints from cfglint.toml.
//!
//! Additions and modifications form the expand phase; deleted files form
//! the contract phase, after every wave of the expand phase. Within the
//! contract phase the order reverses: a file that loads or refers to
//! another is removed first, and `[[order]]` applies backwards. Waves are
//! longest-path layers (a change goes in the first wave after everything
//! it depends on), numbered from 1. A cycle is an error naming it.
//!
//! Guarantees: deterministic (nodes and edges in index order), no
//! recursion, quadratic at worst in the number of changed files (times
//! the edges for each edge of kind 3 between modifications).

use std::collections::{BTreeMap, BTreeSet};

use super::links::{Links, PathIndex, Symbol, is_blocking};
use super::manifest::{ChangeStatus, Dependency, Risk};
use super::policy::{OrderRule, glob_matches};

/// One changed file (a rename is two: the added new path, the deleted old
/// one).
#[derive(Debug, Clone)]
pub struct Node {
    /// Repository-relative path.
    pub path: String,
    /// Added, modified or deleted.
    pub status: ChangeStatus,
    /// Links of the head version (added, modified).
    pub head: Option<Links>,
    /// Links of the base version (modified, deleted).
    pub base: Option<Links>,
    /// For the added half of a rename or copy: the links of the file it
    /// came from (what it defines is not new).
    pub prior: Option<Links>,
}

impl Node {
    fn is_contract(&self) -> bool {
        self.status == ChangeStatus::Deleted
    }

    /// Is `s` defined at head here and nowhere in this file before?
    fn adds(&self, s: &Symbol) -> bool {
        self.head.as_ref().is_some_and(|h| h.defines.contains(s))
            && !self.base.as_ref().is_some_and(|b| b.defines.contains(s))
            && !self.prior.as_ref().is_some_and(|p| p.defines.contains(s))
    }

    /// Is `s` defined at base here and gone at head?
    fn removes(&self, s: &Symbol) -> bool {
        self.base.as_ref().is_some_and(|b| b.defines.contains(s))
            && !self.head.as_ref().is_some_and(|h| h.defines.contains(s))
    }

    /// The rules whose action becomes blocking: `(id, before, after)`;
    /// `before` is `None` for a new rule.
    pub fn starts_blocking(&self) -> Vec<(String, Option<String>, String)> {
        let Some(head) = &self.head else { return Vec::new() };
        let before = self.base.as_ref().or(self.prior.as_ref());
        head.actions
            .iter()
            .filter(|(_, a)| is_blocking(a))
            .filter_map(|(id, a)| {
                let old = before.and_then(|b| b.actions.get(id));
                match old {
                    Some(o) if is_blocking(o) => None,
                    // A rule that existed without an explicit action does
                    // not start blocking by gaining one we cannot compare.
                    None if before.is_some_and(|b| b.defines.contains(&Symbol::Rule(id.clone()))) => None,
                    _ => Some((id.clone(), old.cloned(), a.clone())),
                }
            })
            .collect()
    }
}

/// The ordering of a set of changes.
#[derive(Debug, Clone, Default)]
pub struct Ordering {
    /// Wave of each node, from 1.
    pub waves: Vec<u32>,
    /// Why each node waits for others.
    pub depends_on: Vec<Vec<Dependency>>,
    /// Problems found while linking (a reference or load left dangling),
    /// with the risk they imply, per node.
    pub problems: Vec<Vec<(Risk, String)>>,
}

/// A dependency cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    /// The paths in order; the first comes again at the end.
    pub paths: Vec<String>,
    /// Why each step of the cycle exists.
    pub edges: Vec<String>,
}

/// Edges `(u, v)`: u goes before v, with reasons.
type Edges = BTreeMap<(usize, usize), BTreeSet<String>>;

fn add(edges: &mut Edges, u: usize, v: usize, why: String) {
    if u != v {
        edges.entry((u, v)).or_default().insert(why);
    }
}

/// Edge 3 between two additions or modifications: `user` stops using
/// `symbol` (through `via`), which `remover` removes, so `user` should go
/// first.
struct Stopped {
    user: usize,
    remover: usize,
    symbol: Symbol,
    via: String,
}

impl Stopped {
    /// The reason on the edge `user` → `remover`.
    fn why(&self) -> String {
        format!("that change stops using {} (`{}`), which this change removes", self.symbol.describe(), self.via)
    }

    /// The note on the edge `remover` → `user` when `user` cannot go first.
    fn unordered(&self) -> String {
        format!(
            "that change also removes {}, which the old version of this file uses (`{}`), and cannot wait for this \
             file, which must come after it: until this wave, the old version uses what is gone",
            self.symbol.describe(),
            self.via
        )
    }
}

/// Is there a path of edges from `from` to `to`?
fn reaches(edges: &Edges, from: usize, to: usize) -> bool {
    let mut successors: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for &(u, v) in edges.keys() {
        successors.entry(u).or_default().push(v);
    }
    let mut seen = BTreeSet::from([from]);
    let mut stack = vec![from];
    while let Some(u) = stack.pop() {
        if u == to {
            return true;
        }
        for &v in successors.get(&u).map_or(&[][..], Vec::as_slice) {
            if seen.insert(v) {
                stack.push(v);
            }
        }
    }
    false
}

/// Put the nodes in waves.
pub fn order(nodes: &[Node], rules: &[OrderRule]) -> Result<Ordering, Cycle> {
    let n = nodes.len();
    let mut edges = Edges::new();
    let mut problems: Vec<Vec<(Risk, String)>> = vec![Vec::new(); n];
    let mut stopped: Vec<Stopped> = Vec::new();
    let head_index =
        PathIndex::new(nodes.iter().enumerate().filter(|(_, x)| x.head.is_some()).map(|(i, x)| (x.path.as_str(), i)));
    let base_index =
        PathIndex::new(nodes.iter().enumerate().filter(|(_, x)| x.base.is_some()).map(|(i, x)| (x.path.as_str(), i)));

    for (v, node) in nodes.iter().enumerate() {
        // 1. References to symbols another change adds.
        if let Some(head) = &node.head {
            for r in &head.refs {
                let mut defined_at_head = false;
                let mut removed_by = Vec::new();
                for (u, other) in nodes.iter().enumerate() {
                    if u == v {
                        continue;
                    }
                    let Some(other_head) = &other.head else {
                        if let Some(b) = &other.base {
                            removed_by.extend(b.matching(&r.target).into_iter().map(|s| (u, s)));
                        }
                        continue;
                    };
                    let matched = other_head.matching(&r.target);
                    defined_at_head |= !matched.is_empty();
                    if let Some(s) = matched.iter().find(|s| other.adds(s)) {
                        add(
                            &mut edges,
                            u,
                            v,
                            format!("`{}` refers to {}, which that change adds", r.via, s.describe()),
                        );
                    }
                    if let Some(b) = &other.base {
                        removed_by
                            .extend(b.matching(&r.target).into_iter().filter(|s| other.removes(s)).map(|s| (u, s)));
                    }
                }
                // A series or receiver this file itself removes is left
                // dangling too.
                let named = r.target.symbol();
                let fatal = matches!(named, Some(Symbol::Series(_) | Symbol::Receiver(_)));
                if fatal && let Some(s) = named.as_ref().filter(|s| node.removes(s)) {
                    removed_by.push((v, s.clone()));
                }
                if named.is_some()
                    && !defined_at_head
                    && !head.defines.iter().any(|s| head.matching(&r.target).contains(s))
                    && let Some((u, s)) = removed_by.first()
                {
                    let by = if *u == v { "this change".to_owned() } else { nodes[*u].path.clone() };
                    problems[v].push(if fatal {
                        (Risk::Blocked, format!("`{}` still uses {}, which {by} removes", r.via, s.describe()))
                    } else {
                        (Risk::Medium, format!("`{}` still refers to {}, which {by} removes", r.via, s.describe()))
                    });
                }
            }
            // 2. Loads of other changed files.
            for load in &head.loads {
                let targets = head_index.resolve(&node.path, load);
                for &u in &targets {
                    add(&mut edges, u, v, format!("this file loads it ({})", load.via));
                }
                // A load left without its file is judged against the whole
                // head tree, with the unchanged files' loads ([`super::xref`]).
            }
        }
        // 3. Stopping to use something before it is removed.
        if let Some(base) = &node.base {
            let head = node.head.as_ref();
            for r in &base.refs {
                if head.is_some_and(|h| h.refs.contains(r)) {
                    continue;
                }
                for (w, other) in nodes.iter().enumerate() {
                    if w == v || (node.is_contract() && !other.is_contract()) {
                        continue;
                    }
                    let Some(other_base) = &other.base else { continue };
                    if let Some(s) = other_base.matching(&r.target).into_iter().find(|s| other.removes(s)) {
                        let edge = Stopped { user: v, remover: w, symbol: s, via: r.via.clone() };
                        if node.is_contract() || other.is_contract() {
                            add(&mut edges, v, w, edge.why());
                        } else {
                            stopped.push(edge);
                        }
                    }
                }
            }
            for load in &base.loads {
                let still = head.is_some_and(|h| h.loads.iter().any(|l| l.target == load.target));
                for w in base_index.resolve(&node.path, load) {
                    if nodes[w].is_contract() && (!still || node.is_contract()) {
                        add(
                            &mut edges,
                            v,
                            w,
                            format!("that change stops loading this file ({}) before it is removed", load.via),
                        );
                    }
                }
            }
        }
    }

    // 4. Declared constraints: forwards in the expand phase, backwards in
    // the contract phase, and none across phases (removals go last).
    for rule in rules {
        let matches = |g: &str| -> Vec<usize> { (0..n).filter(|&i| glob_matches(g, &nodes[i].path)).collect() };
        let (befores, afters) = (matches(&rule.before), matches(&rule.after));
        for &u in &befores {
            for &v in &afters {
                match (nodes[u].is_contract(), nodes[v].is_contract()) {
                    (false, false) => add(&mut edges, u, v, rule.describe()),
                    (true, true) => add(&mut edges, v, u, format!("{}, reversed for removals", rule.describe())),
                    _ => {}
                }
            }
        }
    }

    // 3b. A file that removes a name while it adds what the other file
    // now uses (a recording rule renamed together with the alert that uses
    // it; a rule id renumbered with its exclusion) cannot also wait for
    // that file to stop using the old name: one deploy of it does both.
    // Adding before use (and a declared order) wins; the other order is kept
    // wherever it does not close a cycle, and otherwise said on the edge
    // that wins.
    for e in stopped {
        if reaches(&edges, e.remover, e.user) {
            add(&mut edges, e.remover, e.user, e.unordered());
        } else {
            add(&mut edges, e.user, e.remover, e.why());
        }
    }

    // Layers per phase.
    let mut waves = vec![0u32; n];
    let expand: Vec<usize> = (0..n).filter(|&i| !nodes[i].is_contract()).collect();
    let contract: Vec<usize> = (0..n).filter(|&i| nodes[i].is_contract()).collect();
    layer(&expand, &edges, &mut waves, 0, nodes)?;
    let last_expand = expand.iter().map(|&i| waves[i]).max().unwrap_or(0);
    layer(&contract, &edges, &mut waves, last_expand, nodes)?;

    let mut depends_on: Vec<Vec<Dependency>> = vec![Vec::new(); n];
    for ((u, v), whys) in &edges {
        for why in whys {
            depends_on[*v].push(Dependency { path: nodes[*u].path.clone(), why: why.clone() });
        }
    }
    // The first removal wave waits for the last expand wave.
    if last_expand > 0 {
        for &c in contract.iter().filter(|&&c| waves[c] == last_expand + 1) {
            for &e in expand.iter().filter(|&&e| waves[e] == last_expand) {
                depends_on[c].push(Dependency {
                    path: nodes[e].path.clone(),
                    why: "removals go after every addition and modification (expand, then contract)".to_owned(),
                });
            }
        }
    }
    for d in &mut depends_on {
        d.sort();
        d.dedup();
    }
    Ok(Ordering { waves, depends_on, problems })
}

/// Longest-path layering of `set` (edges outside it are ignored), waves
/// starting at `offset + 1`.
fn layer(set: &[usize], edges: &Edges, waves: &mut [u32], offset: u32, nodes: &[Node]) -> Result<(), Cycle> {
    let members: BTreeSet<usize> = set.iter().copied().collect();
    let inside = |u: &usize, v: &usize| members.contains(u) && members.contains(v);
    let mut indegree: BTreeMap<usize, usize> = set.iter().map(|&i| (i, 0)).collect();
    let mut successors: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (u, v) in edges.keys().filter(|(u, v)| inside(u, v)) {
        *indegree.get_mut(v).expect("v is a member") += 1;
        successors.entry(*u).or_default().push(*v);
    }
    let mut ready: BTreeSet<usize> = indegree.iter().filter(|&(_, &d)| d == 0).map(|(&i, _)| i).collect();
    for &i in &ready {
        waves[i] = offset + 1;
    }
    let mut done = 0;
    while let Some(u) = ready.pop_first() {
        done += 1;
        for &v in successors.get(&u).map_or(&[][..], Vec::as_slice) {
            waves[v] = waves[v].max(waves[u] + 1);
            let d = indegree.get_mut(&v).expect("v is a member");
            *d -= 1;
            if *d == 0 {
                ready.insert(v);
            }
        }
    }
    if done == set.len() {
        return Ok(());
    }
    // Every node left has a predecessor left: walk predecessors until one
    // repeats.
    let left: BTreeSet<usize> = indegree.iter().filter(|&(_, &d)| d > 0).map(|(&i, _)| i).collect();
    let pred = |v: usize| {
        edges
            .keys()
            .filter(|(u, w)| *w == v && left.contains(u))
            .map(|(u, _)| *u)
            .min()
            .expect("a node left in a cycle has a predecessor left")
    };
    let mut walk = vec![*left.first().expect("some node is left")];
    loop {
        let p = pred(*walk.last().expect("walk is not empty"));
        if let Some(pos) = walk.iter().position(|&x| x == p) {
            let mut cycle: Vec<usize> = walk[pos..].to_vec();
            cycle.reverse(); // predecessor walk -> forward order
            // Start at the smallest path for a stable message.
            let start = (0..cycle.len()).min_by_key(|&i| &nodes[cycle[i]].path).unwrap_or(0);
            cycle.rotate_left(start);
            let mut paths: Vec<String> = cycle.iter().map(|&i| nodes[i].path.clone()).collect();
            paths.push(paths[0].clone());
            let edges_text = (0..cycle.len())
                .map(|k| {
                    let (u, v) = (cycle[k], cycle[(k + 1) % cycle.len()]);
                    let why = edges.get(&(u, v)).and_then(|w| w.first()).cloned().unwrap_or_default();
                    format!("{} before {}: {why}", nodes[u].path, nodes[v].path)
                })
                .collect();
            return Err(Cycle { paths, edges: edges_text });
        }
        walk.push(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::ExtractOptions;

    fn links(path: &str, text: &str) -> Links {
        super::super::links::of(path, text.as_bytes(), &ExtractOptions::default())
    }

    fn node(path: &str, status: ChangeStatus, base: Option<&str>, head: Option<&str>) -> Node {
        Node {
            path: path.into(),
            status,
            head: head.map(|t| links(path, t)),
            base: base.map(|t| links(path, t)),
            prior: None,
        }
    }

    fn waves(nodes: &[Node], rules: &[OrderRule]) -> Vec<(String, u32)> {
        let o = order(nodes, rules).unwrap();
        nodes.iter().zip(&o.waves).map(|(n, w)| (n.path.clone(), *w)).collect()
    }

    #[test]
    fn exclusion_after_the_rule_it_names_and_removal_last() {
        let rule = "SecRule ARGS \"@rx a\" \"id:942100,deny\"\n";
        let nodes = [
            node("exclusions.conf", ChangeStatus::Modified, Some("# none\n"), Some("SecRuleRemoveById 942100\n")),
            node("new.conf", ChangeStatus::Added, None, Some(rule)),
            node("old.conf", ChangeStatus::Deleted, Some("SecRule ARGS \"@rx b\" \"id:1,deny\"\n"), None),
            node("unrelated.yaml", ChangeStatus::Modified, Some("a: 1\n"), Some("a: 2\n")),
        ];
        assert_eq!(
            waves(&nodes, &[]),
            [
                ("exclusions.conf".into(), 2),
                ("new.conf".into(), 1),
                ("old.conf".into(), 3),
                ("unrelated.yaml".into(), 1)
            ]
        );
        let o = order(&nodes, &[]).unwrap();
        assert_eq!(o.depends_on[0][0].path, "new.conf");
        assert!(o.depends_on[0][0].why.contains("SecRuleRemoveById 942100"), "{:?}", o.depends_on[0]);
        assert_eq!(o.depends_on[2].iter().map(|d| d.path.as_str()).collect::<Vec<_>>(), ["exclusions.conf"]);
    }

    #[test]
    fn include_order_and_contract_reversal() {
        let nodes = [
            node("main.conf", ChangeStatus::Modified, Some("Include old/*.conf\n"), Some("Include rules/*.conf\n")),
            node("rules/a.conf", ChangeStatus::Added, None, Some("SecRule A \"b\" \"id:1\"\n")),
            node("old/a.conf", ChangeStatus::Deleted, Some("Include ../old/b.conf\n"), None),
            node("old/b.conf", ChangeStatus::Deleted, Some("SecRule A \"b\" \"id:2\"\n"), None),
        ];
        assert_eq!(
            waves(&nodes, &[]),
            [("main.conf".into(), 2), ("rules/a.conf".into(), 1), ("old/a.conf".into(), 3), ("old/b.conf".into(), 4)]
        );
    }

    #[test]
    fn declared_order_and_cycles() {
        let rule = |before: &str, after: &str, index| OrderRule {
            before: before.into(),
            after: after.into(),
            why: None,
            index,
        };
        let nodes = [
            node("a/x.yaml", ChangeStatus::Modified, Some("a: 1\n"), Some("a: 2\n")),
            node("b/y.yaml", ChangeStatus::Modified, Some("a: 1\n"), Some("a: 2\n")),
            node("c/z.yaml", ChangeStatus::Added, None, Some("a: 2\n")),
        ];
        assert_eq!(
            waves(&nodes, &[rule("b/**", "a/**", 1), rule("c/*", "b/*", 2)]),
            [("a/x.yaml".into(), 3), ("b/y.yaml".into(), 2), ("c/z.yaml".into(), 1)]
        );
        let err =
            order(&nodes, &[rule("a/**", "b/**", 1), rule("b/**", "c/**", 2), rule("c/**", "a/**", 3)]).unwrap_err();
        assert_eq!(err.paths, ["a/x.yaml", "b/y.yaml", "c/z.yaml", "a/x.yaml"]);
        assert_eq!(err.edges.len(), 3);
        assert!(err.edges[0].contains("[[order]] #1"), "{:?}", err.edges);
    }

    #[test]
    fn declared_order_reverses_for_removals_and_never_crosses_phases() {
        let rule = OrderRule { before: "schemas/**".into(), after: "waf/**".into(), why: None, index: 1 };
        let nodes = [
            node("schemas/a.json", ChangeStatus::Deleted, Some("{}"), None),
            node("waf/b.yaml", ChangeStatus::Deleted, Some("a: 1\n"), None),
            node("schemas/c.json", ChangeStatus::Deleted, Some("{}"), None),
            node("waf/d.yaml", ChangeStatus::Added, None, Some("a: 1\n")),
        ];
        // Removals: the WAF file goes before the schemas it was validated
        // against; the addition is not held behind the removed schemas.
        assert_eq!(
            waves(&nodes, std::slice::from_ref(&rule)),
            [
                ("schemas/a.json".into(), 3),
                ("waf/b.yaml".into(), 2),
                ("schemas/c.json".into(), 3),
                ("waf/d.yaml".into(), 1)
            ]
        );
        let o = order(&nodes, &[rule]).unwrap();
        assert!(o.depends_on[0][0].why.ends_with("reversed for removals"), "{:?}", o.depends_on[0]);
    }

    #[test]
    fn dangling_rule_reference_is_a_problem() {
        let nodes = [
            node(
                "exclusions.conf",
                ChangeStatus::Modified,
                Some("SecRuleRemoveById 5\n"),
                Some("SecRuleRemoveById 5\n# v2\n"),
            ),
            node(
                "rules.conf",
                ChangeStatus::Modified,
                Some("SecRule A \"x\" \"id:5\"\n"),
                Some("SecRule A \"x\" \"id:6\"\n"),
            ),
        ];
        let o = order(&nodes, &[]).unwrap();
        assert_eq!(
            o.problems[0],
            [(Risk::Medium, "`SecRuleRemoveById 5` still refers to rule 5, which rules.conf removes".to_owned())]
        );
        assert!(o.problems[1].is_empty());
    }

    /// A rule renumbered together with the exclusion that names it: the
    /// rule file goes first (it adds what the exclusion now names), not a
    /// cycle with "stop naming 5 before 5 is removed".
    #[test]
    fn renumbered_rule_with_its_exclusion_is_ordered() {
        let nodes = [
            node(
                "exclusions.conf",
                ChangeStatus::Modified,
                Some("SecRuleRemoveById 5\n"),
                Some("SecRuleRemoveById 6\n"),
            ),
            node(
                "rules.conf",
                ChangeStatus::Modified,
                Some("SecRule A \"x\" \"id:5\"\n"),
                Some("SecRule A \"x\" \"id:6\"\n"),
            ),
        ];
        assert_eq!(waves(&nodes, &[]), [("exclusions.conf".into(), 2), ("rules.conf".into(), 1)]);
        let o = order(&nodes, &[]).unwrap();
        let whys: Vec<&str> = o.depends_on[0].iter().map(|d| d.why.as_str()).collect();
        assert_eq!(whys.len(), 2, "{whys:?}");
        assert!(whys.iter().any(|w| w.starts_with("that change also removes rule 5")), "{whys:?}");
        assert!(o.depends_on[1].is_empty(), "{:?}", o.depends_on[1]);
        // Where nothing pulls the other way, the removal still waits.
        let nodes = [
            node("exclusions.conf", ChangeStatus::Modified, Some("SecRuleRemoveById 5\n"), Some("# none\n")),
            nodes[1].clone(),
        ];
        assert_eq!(waves(&nodes, &[]), [("exclusions.conf".into(), 1), ("rules.conf".into(), 2)]);
        // A declared order wins over the soft edge too.
        let rule = OrderRule { before: "rules.conf".into(), after: "exclusions.conf".into(), why: None, index: 1 };
        assert_eq!(waves(&nodes, &[rule]), [("exclusions.conf".into(), 2), ("rules.conf".into(), 1)]);
    }

    #[test]
    fn mutual_rule_references_are_a_cycle() {
        let nodes = [
            node("a.conf", ChangeStatus::Added, None, Some("SecRule A \"x\" \"id:1,ctl:ruleRemoveById=2\"\n")),
            node("b.conf", ChangeStatus::Added, None, Some("SecRule A \"x\" \"id:2,ctl:ruleRemoveById=1\"\n")),
        ];
        let err = order(&nodes, &[]).unwrap_err();
        assert_eq!(err.paths, ["a.conf", "b.conf", "a.conf"]);
    }

    #[test]
    fn starts_blocking() {
        let n = node(
            "waf.yaml",
            ChangeStatus::Modified,
            Some("rules:\n  - id: 1\n    pattern: a\n    action: log\n  - id: 2\n    pattern: b\n    action: block\n"),
            Some(
                "rules:\n  - id: 1\n    pattern: a\n    action: block\n  - id: 2\n    pattern: b\n    action: block\n  - id: 3\n    pattern: c\n    action: block\n",
            ),
        );
        assert_eq!(
            n.starts_blocking(),
            [("1".into(), Some("log".into()), "block".into()), ("3".into(), None, "block".into())]
        );
    }
}
