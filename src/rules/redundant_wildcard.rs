//! CL003 redundant-wildcard: a `.*`/`.+` that only adds work.
//!
//! Three shapes, over the IR:
//! 1. Adjacent loops: a wildcard loop (an unbounded repetition of `.`,
//!    `[\s\S]`, `[^\n]` or wider) directly next to another unbounded loop
//!    over a single-character set that shares characters with it: `.*.*`,
//!    `.+.*`, `.*\s*`, `.*(?:.*=.*)`. "Directly next to" looks through
//!    non-capturing groups and concatenations, not through alternations or
//!    capturing groups. When one loop is optional and its characters are a
//!    subset of the other's (`.*.*`, `.+.*`), it is strictly redundant and is
//!    the one underlined; otherwise (`.*\s+`, `\s*.*` where `\s` holds a
//!    newline `.` lacks) the two only overlap, and the wildcard is
//!    underlined: removing it changes the language, but the pair is still
//!    the shape behind polynomial backtracking.
//! 2. A leading `.*` under search semantics, not preceded by an anchor or
//!    any other assertion: the engine already tries every start position.
//! 3. A trailing `.*` under search semantics, with nothing after it: it
//!    does not change whether the pattern matches.
//!
//! Decisions that keep false positives low: capturing groups are a boundary
//! (their content may be used: Prometheus `(.*)`, gitleaks `secretGroup`),
//! so a wildcard inside one, or one that is a whole capture, never fires;
//! only optional wildcards (`.*`, `.*?`) count as leading or trailing
//! (`.+foo` needs one character before `foo`); a pattern that is nothing
//! but a wildcard is CL005's; and nothing fires for anchored-start or
//! full-match semantics except the adjacent-loop shape.

use std::collections::BTreeMap;

use crate::analysis::ir::{CharSet, Ir, NodeId, NodeKind, Repeat};
use crate::finding::{Finding, Label};
use crate::source::{PatternSpan, Semantics};

use super::{PatternContext, Rule, RuleMeta};

/// CL003.
pub(crate) struct RedundantWildcard;

/// One finding before it becomes a [`Finding`].
struct Hit {
    span: PatternSpan,
    message: String,
    label: String,
    other: Option<(PatternSpan, String)>,
    help: String,
}

impl Rule for RedundantWildcard {
    fn meta(&self) -> &'static RuleMeta {
        super::meta("redundant-wildcard")
    }

    fn check(&self, cx: &PatternContext<'_>, out: &mut Vec<Finding>) {
        // A fragment of a larger regex (a CRS `.ra` line) is not matched on
        // its own; whole-pattern checks would only produce noise.
        if cx.pattern.kind.is_fragment() {
            return;
        }
        let Ok(ir) = cx.ir() else { return };
        if !super::context::is_bottom_up(ir) {
            return;
        }
        let loops = Loops::new(ir);
        // Keyed by the underlined node, so one node is reported once.
        let mut hits: BTreeMap<NodeId, Hit> = BTreeMap::new();
        adjacent(cx, ir, &loops, &mut hits);
        if cx.pattern.semantics == Semantics::Search {
            edges(cx, ir, &loops, &mut hits);
        }
        for hit in hits.into_values() {
            let mut f = cx.finding(self.meta(), Some(hit.span), hit.message);
            f.primary_label = Some(hit.label);
            f.labels = hit.other.into_iter().map(|(s, m)| Label { span: cx.file_span(s), message: m }).collect();
            f.help = Some(hit.help);
            out.push(f);
        }
    }
}

/// Which nodes are unbounded loops over one character set, and which of
/// those are wildcards.
struct Loops {
    /// For each node: the character set its body matches, when the node is
    /// a repetition with no upper bound over a single-character body.
    set: Vec<Option<CharSet>>,
    /// The characters `.` matches without `s`: a wildcard covers these.
    dot: CharSet,
}

impl Loops {
    fn new(ir: &Ir) -> Self {
        // chars[i]: the single-character set node i matches, through
        // non-capturing groups and alternations of single characters.
        let mut chars: Vec<Option<CharSet>> = Vec::with_capacity(ir.nodes.len());
        let mut set = Vec::with_capacity(ir.nodes.len());
        for node in &ir.nodes {
            let c = match &node.kind {
                NodeKind::Set(s) => Some(s.clone()),
                NodeKind::Group { child, capture: None } => chars[child.index()].clone(),
                NodeKind::Alt(items) => {
                    items.iter().try_fold(CharSet::empty(), |acc, c| chars[c.index()].as_ref().map(|s| acc.union(s)))
                }
                _ => None,
            };
            let l = match &node.kind {
                NodeKind::Repeat(r) if r.max.is_none() => chars[r.child.index()].clone(),
                _ => None,
            };
            chars.push(c);
            set.push(l);
        }
        Loops { set, dot: ir.line_terminators.complement() }
    }

    fn loop_set(&self, id: NodeId) -> Option<&CharSet> {
        self.set.get(id.index()).and_then(Option::as_ref)
    }

    fn is_wildcard(&self, id: NodeId) -> bool {
        self.loop_set(id).is_some_and(|s| self.dot.is_subset(s))
    }
}

fn repeat(ir: &Ir, id: NodeId) -> Option<&Repeat> {
    match &ir.node(id).kind {
        NodeKind::Repeat(r) => Some(r),
        _ => None,
    }
}

/// The first (or last) item of a node, looking through concatenations and
/// non-capturing groups.
fn edge_item(ir: &Ir, mut id: NodeId, last: bool) -> NodeId {
    loop {
        match &ir.node(id).kind {
            NodeKind::Group { child, capture: None } => id = *child,
            NodeKind::Concat(items) if !items.is_empty() => {
                id = if last { items[items.len() - 1] } else { items[0] };
            }
            _ => return id,
        }
    }
}

/// Shape 1: two adjacent unbounded loops that share characters, one of
/// them a wildcard.
fn adjacent(cx: &PatternContext<'_>, ir: &Ir, loops: &Loops, hits: &mut BTreeMap<NodeId, Hit>) {
    for node in &ir.nodes {
        let NodeKind::Concat(items) = &node.kind else { continue };
        for pair in items.windows(2) {
            let a = edge_item(ir, pair[0], true);
            let b = edge_item(ir, pair[1], false);
            let (Some(sa), Some(sb)) = (loops.loop_set(a), loops.loop_set(b)) else { continue };
            let (wild_a, wild_b) = (loops.is_wildcard(a), loops.is_wildcard(b));
            if !(wild_a || wild_b) || !sa.intersects(sb) {
                continue;
            }
            let (Some(ra), Some(rb)) = (repeat(ir, a), repeat(ir, b)) else { continue };
            // Strictly redundant: optional, and the neighbor matches
            // everything it does.
            let (red, other, subset) = if rb.min == 0 && sb.is_subset(sa) {
                (b, a, true)
            } else if ra.min == 0 && sa.is_subset(sb) {
                (a, b, true)
            } else if wild_a {
                (a, b, false)
            } else {
                (b, a, false)
            };
            let red_text = cx.pattern_text(ir.node(red).span);
            let other_text = cx.pattern_text(ir.node(other).span);
            let hit = if subset {
                Hit {
                    span: ir.node(red).span,
                    message: format!(
                        "`{red_text}` only adds work: the adjacent `{other_text}` already matches everything it matches"
                    ),
                    label: "redundant".to_owned(),
                    other: Some((ir.node(other).span, "already matches it".to_owned())),
                    help: format!(
                        "remove this `{red_text}`: a backtracking engine tries every way to split the text between adjacent loops, which is how `.*(?:.*=.*)` took a network down in 2019"
                    ),
                }
            } else {
                Hit {
                    span: ir.node(red).span,
                    message: format!(
                        "`{red_text}` next to `{other_text}`: both loops can match the same characters, so a backtracking engine tries every way to split the text between them"
                    ),
                    label: if red == a { "overlaps with the next loop" } else { "overlaps with the loop before it" }
                        .to_owned(),
                    other: Some((ir.node(other).span, "this loop".to_owned())),
                    help: "merge the two loops into one, or make them disjoint (`[^=]*=` instead of `.*=`)".to_owned(),
                }
            };
            hits.entry(red).or_insert(hit);
        }
    }
}

/// Shapes 2 and 3: a leading or trailing optional wildcard under search
/// semantics, found by walking the edges of every top-level alternative.
fn edges(cx: &PatternContext<'_>, ir: &Ir, loops: &Loops, hits: &mut BTreeMap<NodeId, Hit>) {
    for last in [false, true] {
        // (node, whether something else sits on the other side of it)
        let mut work = vec![(ir.root, false)];
        while let Some((id, has_rest)) = work.pop() {
            match &ir.node(id).kind {
                NodeKind::Alt(items) => work.extend(items.iter().map(|&c| (c, has_rest))),
                NodeKind::Group { child, capture: None } => work.push((*child, has_rest)),
                NodeKind::Concat(items) if !items.is_empty() => {
                    let edge = if last { items[items.len() - 1] } else { items[0] };
                    work.push((edge, has_rest || items.len() > 1));
                }
                NodeKind::Repeat(r) if has_rest && r.min == 0 && loops.is_wildcard(id) => {
                    let text = cx.pattern_text(ir.node(id).span);
                    let hit = if last {
                        Hit {
                            span: ir.node(id).span,
                            message: format!(
                                "trailing `{text}` is redundant in a search: it does not change whether the pattern matches"
                            ),
                            label: "matches nothing the search needs".to_owned(),
                            other: None,
                            help: format!("remove the trailing `{text}`; the match simply ends earlier"),
                        }
                    } else {
                        Hit {
                            span: ir.node(id).span,
                            message: format!(
                                "leading `{text}` is redundant in a search: the engine already tries every start position"
                            ),
                            label: "the search already skips ahead".to_owned(),
                            other: None,
                            help: format!(
                                "remove the leading `{text}`; under search semantics it only makes the engine rescan the input from every position"
                            ),
                        }
                    };
                    hits.entry(id).or_insert(hit);
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::{LintOptions, lint_pattern};
    use crate::source::{Flags, Flavor, Semantics};

    fn run(pattern: &str, semantics: Semantics) -> Vec<(String, (usize, usize))> {
        let mut opts = LintOptions::default();
        opts.rules.select = vec!["CL003".into()];
        lint_pattern(pattern, Flavor::Pcre, Flags::default(), semantics, &opts)
            .findings
            .iter()
            .map(|f| (f.message.clone(), f.span.map(|s| (s.start, s.end)).unwrap_or_default()))
            .collect()
    }

    fn search(pattern: &str) -> Vec<(String, (usize, usize))> {
        run(pattern, Semantics::Search)
    }

    #[test]
    fn adjacent_wildcards() {
        let f = search("foo.*.*bar");
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].1, (5, 7), "the second `.*` is the redundant one");
        let f = search("a.+.*b");
        assert_eq!(f[0].1, (3, 5));
        let f = search(r"a.*\s*b");
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].0.contains("both loops"), "{f:?}");
        assert!(search("foo.*bar").is_empty());
        assert!(search(r"a.*\d+b").len() == 1);
        assert!(search(r"a[^=]*=.*b").is_empty(), "not adjacent");
        assert!(search(r"a\d*\w*b").is_empty(), "no wildcard");
    }

    #[test]
    fn the_2019_outage_rule() {
        // `.*(?:.*=.*)`: the inner `.*` sits next to the outer one.
        let f = search(r"x.*(?:.*=.*)");
        assert!(f.iter().any(|x| x.1 == (6, 8)), "{f:?}");
    }

    #[test]
    fn leading_and_trailing_in_search() {
        let f = search(".*password");
        assert_eq!(f.len(), 1);
        assert!(f[0].0.contains("leading `.*`"), "{f:?}");
        assert_eq!(f[0].1, (0, 2));
        let f = search("password.*");
        assert!(f[0].0.contains("trailing `.*`"), "{f:?}");
        assert!(search("^.*password").is_empty(), "anchored");
        assert!(search("password.*$").is_empty(), "anchored at the end");
        assert!(search(".+password").is_empty(), ".+ needs a character");
        assert!(search("(.*)password").is_empty(), "capture boundary");
        assert!(search(".*").is_empty(), "a lone wildcard is CL005's");
        assert_eq!(search("(?:.*foo|bar.*)").len(), 2);
        assert!(run(".*password", Semantics::FullMatch).is_empty());
        assert!(run(".*password", Semantics::AnchoredStart).is_empty());
    }

    #[test]
    fn good_example_of_docs() {
        assert!(search("password").is_empty());
    }
}
