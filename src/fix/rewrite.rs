//! Candidate rewrites: small edits of the pattern text, located by the IR's
//! spans, for the shapes the ReDoS analysis explains.
//!
//! A candidate is only a proposal. Nothing here claims a rewrite keeps the
//! language: every candidate is re-parsed and proven equivalent (see
//! `equiv.rs`) before it is taken, so a candidate that is wrong for some
//! pattern costs time, never correctness. Edits are made on the pattern
//! text (not by printing the IR back) so that everything the rewrite does
//! not touch keeps its spelling: flags, escapes, group names, comments.
//!
//! The shapes:
//!
//! - **drop**: remove a loop that can match nothing (`x*`, `x{0,}`) when
//!   its neighbours already cover it: `\s*\s*` → `\s*`, `.*(?:.*=.*)` →
//!   `.*=.*`, and under search semantics a leading or trailing `.*`.
//! - **unnest**: remove the outer quantifier of a loop whose body is itself
//!   an unbounded loop: `(a+)+` → `(a+)` (the group stays, so capture
//!   numbering does not move).
//! - **collapse**: a loop whose body matches only strings over a set `S`
//!   and every single character of `S` becomes `[S]*` (or `[S]+`):
//!   `(?:a|a?)+` → `a*`, `(?:\s|\s)*` → `\s*`.
//! - **shorten**: under search semantics, a loop at the start or the end
//!   of the pattern (or of one of its top-level alternatives) only has to
//!   match its fewest repetitions: `(\d+)-(\d+)` → `(\d)-(\d)`, `@+\{` →
//!   `@\{`. A longer run only moves where the match starts or ends, which
//!   "some match exists" does not see; the engine no longer rescans the
//!   run from every start.
//! - **narrow**: a single-character loop followed by something that starts
//!   with characters the loop also matches stops matching those characters
//!   (`.*=` → `[^\n=]*=`); under search semantics it may also stop matching
//!   what precedes it (`".*=` → `"[^\n"=]*=`), which turns a quadratic
//!   retry into a linear scan.

use std::fmt::Write as _;

use crate::analysis::ir::{CharSet, Greed, Ir, NodeId, NodeKind};
use crate::source::{PatternSpan, Semantics};

/// One candidate: the rewritten pattern and what was done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The new pattern text.
    pub pattern: String,
    /// What the edit did, for notes ("dropped the `.*` at 3..5").
    pub what: String,
}

fn splice(pattern: &str, span: PatternSpan, with: &str) -> Option<String> {
    if span.start > span.end || span.end > pattern.len() || !pattern.is_char_boundary(span.start) {
        return None;
    }
    if !pattern.is_char_boundary(span.end) {
        return None;
    }
    let mut s = String::with_capacity(pattern.len() + with.len());
    s.push_str(&pattern[..span.start]);
    s.push_str(with);
    s.push_str(&pattern[span.end..]);
    Some(s)
}

/// Facts about a node: can it match empty, which single characters does it
/// match alone, which characters can appear in its matches at all, and
/// which can start one. `None` when the node has something else than sets,
/// assertions, groups, alternations, concatenations and repetitions.
#[derive(Debug, Clone)]
struct Facts {
    nullable: bool,
    singles: CharSet,
    chars: CharSet,
    first: CharSet,
    last: CharSet,
}

fn facts(ir: &Ir) -> Vec<Option<Facts>> {
    let mut out: Vec<Option<Facts>> = Vec::with_capacity(ir.nodes.len());
    for node in &ir.nodes {
        let get = |id: NodeId| out.get(id.index()).cloned().flatten();
        let f = match &node.kind {
            // A zero-width assertion (`\b`, `^`) consumes nothing: to the
            // sets it is the empty string. (It may fail where the empty
            // string would not; a candidate is only a proposal.)
            NodeKind::Empty | NodeKind::Assert(_) => Some(Facts {
                nullable: true,
                singles: CharSet::empty(),
                chars: CharSet::empty(),
                first: CharSet::empty(),
                last: CharSet::empty(),
            }),
            NodeKind::Set(s) => {
                Some(Facts { nullable: false, singles: s.clone(), chars: s.clone(), first: s.clone(), last: s.clone() })
            }
            NodeKind::Group { child, .. } => get(*child),
            NodeKind::Alt(items) => {
                let fs: Option<Vec<Facts>> = items.iter().map(|&c| get(c)).collect();
                fs.map(|fs| {
                    let mut acc = Facts {
                        nullable: false,
                        singles: CharSet::empty(),
                        chars: CharSet::empty(),
                        first: CharSet::empty(),
                        last: CharSet::empty(),
                    };
                    for f in fs {
                        acc.nullable |= f.nullable;
                        acc.singles = acc.singles.union(&f.singles);
                        acc.chars = acc.chars.union(&f.chars);
                        acc.first = acc.first.union(&f.first);
                        acc.last = acc.last.union(&f.last);
                    }
                    acc
                })
            }
            NodeKind::Concat(items) => {
                let fs: Option<Vec<Facts>> = items.iter().map(|&c| get(c)).collect();
                fs.map(|fs| concat_facts(&fs))
            }
            NodeKind::Repeat(r) => get(r.child).map(|f| {
                let nullable = r.min == 0 || f.nullable;
                let one_alone = r.max.is_none_or(|m| m >= 1) && (r.min <= 1 || f.nullable);
                Facts {
                    nullable,
                    singles: if one_alone { f.singles } else { CharSet::empty() },
                    chars: f.chars,
                    first: f.first,
                    last: f.last,
                }
            }),
            _ => None,
        };
        out.push(f);
    }
    out
}

fn concat_facts(fs: &[Facts]) -> Facts {
    let nullable = fs.iter().all(|f| f.nullable);
    let mut singles = CharSet::empty();
    for (i, f) in fs.iter().enumerate() {
        if fs.iter().enumerate().all(|(j, g)| j == i || g.nullable) {
            singles = singles.union(&f.singles);
        }
    }
    let chars = fs.iter().fold(CharSet::empty(), |a, f| a.union(&f.chars));
    let mut first = CharSet::empty();
    for f in fs {
        first = first.union(&f.first);
        if !f.nullable {
            break;
        }
    }
    let mut last = CharSet::empty();
    for f in fs.iter().rev() {
        last = last.union(&f.last);
        if !f.nullable {
            break;
        }
    }
    Facts { nullable, singles, chars, first, last }
}

/// A character class in syntax every supported flavor reads the same way,
/// or `None` when the set (and its complement) reaches beyond ASCII: a
/// code point above 0xFF would be an error in PCRE's byte mode.
pub fn print_class(set: &CharSet) -> Option<String> {
    let ascii = CharSet::from_ranges([(0, 0x7F)]);
    let (ranges, negated) = if set.is_subset(&ascii) {
        (set.ranges().to_vec(), false)
    } else if set.complement().is_subset(&ascii) {
        (set.complement().ranges().to_vec(), true)
    } else {
        return None;
    };
    if ranges.is_empty() {
        return None;
    }
    let mut s = String::from(if negated { "[^" } else { "[" });
    for (a, b) in ranges {
        class_char(&mut s, a);
        if b > a {
            if b > a + 1 {
                s.push('-');
            }
            class_char(&mut s, b);
        }
    }
    s.push(']');
    Some(s)
}

fn class_char(s: &mut String, c: u32) {
    match char::from_u32(c) {
        // Characters no supported flavor treats specially inside a class.
        Some(ch) if ch.is_ascii_alphanumeric() || "=\"',:;<>@%!_~&".contains(ch) => s.push(ch),
        Some('\n') => s.push_str("\\n"),
        Some('\t') => s.push_str("\\t"),
        Some('\r') => s.push_str("\\r"),
        _ => {
            let _ = write!(s, "\\x{c:02x}");
        }
    }
}

fn greed_suffix(g: Greed) -> &'static str {
    match g {
        Greed::Greedy => "",
        Greed::Lazy => "?",
        Greed::Possessive => "+",
    }
}

/// Strip non-capturing groups.
fn unwrap_groups(ir: &Ir, mut id: NodeId) -> NodeId {
    while let NodeKind::Group { child, capture: None } = &ir.node(id).kind {
        id = *child;
    }
    id
}

/// Every candidate rewrite of `pattern` (parsed as `ir`), most promising
/// first.
pub fn candidates(pattern: &str, ir: &Ir, semantics: Semantics) -> Vec<Candidate> {
    let facts = facts(ir);
    let mut out = Vec::new();
    let mut push = |span: PatternSpan, with: String, what: String| {
        if let Some(p) = splice(pattern, span, &with)
            && p != pattern
            && !out.iter().any(|c: &Candidate| c.pattern == p)
        {
            out.push(Candidate { pattern: p, what });
        }
    };
    let text = |span: PatternSpan| pattern.get(span.start..span.end).unwrap_or("");
    // unnest and collapse first: they remove ambiguity inside one loop.
    for node in &ir.nodes {
        let NodeKind::Repeat(r) = &node.kind else { continue };
        if r.max.is_some() {
            continue;
        }
        let inner = unwrap_groups(ir, r.child);
        let inner = match &ir.node(inner).kind {
            NodeKind::Group { child, capture: Some(_) } => unwrap_groups(ir, *child),
            _ => inner,
        };
        if let NodeKind::Repeat(ir2) = &ir.node(inner).kind
            && ir2.max.is_none()
            && r.min <= 1
        {
            push(
                r.op_span,
                String::new(),
                format!("removed the outer quantifier `{}` of a nested loop", text(r.op_span)),
            );
        }
        if let Some(Some(f)) = facts.get(r.child.index())
            && !matches!(ir.node(r.child).kind, NodeKind::Set(_))
            && !f.chars.is_empty()
            && f.singles == f.chars
            && r.min <= 1
            && let Some(class) = print_class(&f.chars)
        {
            let op = if r.min == 0 || f.nullable { "*" } else { "+" };
            let with = format!("{class}{op}{}", greed_suffix(r.greed));
            push(node.span, with, format!("collapsed `{}` to one loop over its characters", text(node.span)));
        }
    }
    // drop: optional loops next to something that already covers them.
    for node in &ir.nodes {
        if let NodeKind::Repeat(r) = &node.kind
            && r.min == 0
        {
            push(node.span, String::new(), format!("dropped the redundant `{}`", text(node.span)));
        }
    }
    // shorten: loops at the edges of a search pattern.
    if semantics == Semantics::Search {
        let mut edges = Vec::new();
        edge_nodes(ir, ir.root, true, &mut edges);
        edge_nodes(ir, ir.root, false, &mut edges);
        for id in edges {
            let NodeKind::Repeat(r) = &ir.node(id).kind else { continue };
            if r.min == 0 || r.max == Some(r.min) {
                continue;
            }
            let with = if r.min == 1 { String::new() } else { format!("{{{}}}", r.min) };
            push(
                r.op_span,
                with,
                format!("shortened `{}` at the edge of the pattern to its fewest repetitions", text(ir.node(id).span)),
            );
        }
    }
    // narrow: single-character loops followed by a known first set.
    for node in &ir.nodes {
        let NodeKind::Concat(items) = &node.kind else { continue };
        for (k, &item) in items.iter().enumerate() {
            let NodeKind::Repeat(r) = &ir.node(item).kind else { continue };
            let NodeKind::Set(x) = &ir.node(r.child).kind else { continue };
            if r.max.is_some() {
                continue;
            }
            let follow = concat_facts(
                &items[k + 1..].iter().filter_map(|&c| facts.get(c.index()).cloned().flatten()).collect::<Vec<_>>(),
            );
            if items[k + 1..].iter().any(|&c| facts.get(c.index()).cloned().flatten().is_none()) || follow.nullable {
                continue;
            }
            let child_span = ir.node(r.child).span;
            let mut removals = vec![follow.first.clone()];
            if semantics == Semantics::Search
                && k > 0
                && let Some(Some(prev)) = facts.get(items[k - 1].index())
            {
                removals.push(follow.first.union(&prev.last));
            }
            for remove in removals {
                let narrowed = x.difference(&remove);
                if narrowed != *x
                    && !narrowed.is_empty()
                    && let Some(class) = print_class(&narrowed)
                {
                    push(
                        child_span,
                        class,
                        format!("narrowed `{}` so it stops where what follows starts", text(node.span)),
                    );
                }
            }
        }
    }
    // split: adjacent loops over overlapping sets, `A{a,}B{b,}` (a, b at
    // most 1), become two disjoint branches cut at the last character only
    // `A` takes (`A∖B`): strings without one are `B{b,}` (`[A∩B]B{b,}`
    // when `a` is 1); strings with one are `A*[A∖B]B{b,}`, where `B{b,}`
    // cannot reach back past that character. `^["'\\]*?[\d"']+` →
    // `^(?:[\d"']+|["'\\]*?[\\][\d"']+)`.
    for node in &ir.nodes {
        let NodeKind::Concat(items) = &node.kind else { continue };
        for pair in items.windows(2) {
            let loop_over = |id: NodeId| match &ir.node(id).kind {
                NodeKind::Repeat(r) if r.max.is_none() && r.min <= 1 => match &ir.node(r.child).kind {
                    NodeKind::Set(x) => Some((r, x)),
                    _ => None,
                },
                _ => None,
            };
            let (Some((ra, a)), Some((rb, b))) = (loop_over(pair[0]), loop_over(pair[1])) else { continue };
            let (only_a, both) = (a.difference(b), a.intersect(b));
            if only_a.is_empty() || both.is_empty() {
                continue;
            }
            let (Some(only_a), Some(both), Some(a_class), Some(b_class)) =
                (print_class(&only_a), print_class(&both), print_class(a), print_class(b))
            else {
                continue;
            };
            let b_loop = format!("{b_class}{}{}", if rb.min == 0 { "*" } else { "+" }, greed_suffix(rb.greed));
            let without = if ra.min == 0 { b_loop.clone() } else { format!("{both}{b_loop}") };
            let with = format!("(?:{without}|{a_class}*{}{only_a}{b_loop})", greed_suffix(ra.greed));
            let span = PatternSpan::new(ir.node(pair[0]).span.start, ir.node(pair[1]).span.end);
            push(span, with, format!("split `{}` at the last character only the first loop takes", text(span)));
        }
    }
    out
}

/// The nodes at the leading (or trailing) edge of `id`: `id` itself, the
/// first (last) item of a concatenation, past empty items, every branch of
/// an alternation, and the content of a group.
fn edge_nodes(ir: &Ir, id: NodeId, leading: bool, out: &mut Vec<NodeId>) {
    out.push(id);
    match &ir.node(id).kind {
        NodeKind::Concat(items) => {
            let mut iter: Box<dyn Iterator<Item = &NodeId>> =
                if leading { Box::new(items.iter()) } else { Box::new(items.iter().rev()) };
            if let Some(&first) = iter.find(|&&c| !matches!(ir.node(c).kind, NodeKind::Empty)) {
                edge_nodes(ir, first, leading, out);
            }
        }
        NodeKind::Alt(items) => {
            for &c in items {
                edge_nodes(ir, c, leading, out);
            }
        }
        NodeKind::Group { child, .. } => edge_nodes(ir, *child, leading, out),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::parse::{ParseConfig, parse};
    use crate::source::Flavor;

    fn cands(p: &str) -> Vec<String> {
        let ir = parse(p, &ParseConfig::new(Flavor::Pcre)).expect("parses");
        candidates(p, &ir, Semantics::Search).into_iter().map(|c| c.pattern).collect()
    }

    #[test]
    fn proposes_the_textbook_shapes() {
        assert!(cands("(a+)+").contains(&"(a+)".to_owned()));
        assert!(cands("(?:a|a?)+").contains(&"[a]*".to_owned()));
        assert!(cands("x\\s*\\s*y").contains(&"x\\s*y".to_owned()));
        assert!(cands(".*(?:.*=.*)").contains(&"(?:.*=.*)".to_owned()));
        assert!(cands("\".*=").contains(&"\"[^\\n=]*=".to_owned()));
        assert!(cands("\".*=").contains(&"\"[^\\n\"=]*=".to_owned()));
    }

    #[test]
    fn shortens_loops_at_the_edges_of_a_search_pattern() {
        let c = cands("(\\d+)-(\\d+)");
        assert!(c.contains(&"(\\d)-(\\d+)".to_owned()) && c.contains(&"(\\d+)-(\\d)".to_owned()), "{c:?}");
        let c = cands("(?i)(?:[*?]+[a-z]|[a-z]{2,}[*?])");
        assert!(c.contains(&"(?i)(?:[*?][a-z]|[a-z]{2,}[*?])".to_owned()), "{c:?}");
        assert!(c.contains(&"(?i)(?:[*?]+[a-z]|[a-z]{2}[*?])".to_owned()), "{c:?}");
        // Not in the middle, and not for whole-input semantics.
        assert!(!cands("x\\d+-y").iter().any(|c| c == "x\\d-y"));
        let ir = parse("\\d+-", &ParseConfig::new(Flavor::Pcre)).expect("parses");
        assert!(candidates("\\d+-", &ir, Semantics::FullMatch).is_empty());
    }

    #[test]
    fn classes_print_in_portable_syntax() {
        assert_eq!(print_class(&CharSet::single('a')).as_deref(), Some("[a]"));
        assert_eq!(print_class(&CharSet::from_ranges([(0x30, 0x39), (0x5D, 0x5D)])).as_deref(), Some("[0-9\\x5d]"));
        assert_eq!(print_class(&CharSet::single('\n').complement()).as_deref(), Some("[^\\n]"));
        assert_eq!(print_class(&CharSet::single('é')), None);
    }
}
