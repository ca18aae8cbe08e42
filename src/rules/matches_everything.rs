//! CL005 matches-everything: the pattern matches every input.
//!
//! Search semantics (WAF rules, gitleaks, `re.search`): the engine tries
//! every start position, so a pattern that can match the empty string at
//! position 0 of *every* input, or at the end of every input, matches every
//! input. We compute that nullability over the IR for both positions, with
//! assertions judged as they hold for an arbitrary input: `^`/`\A` hold at
//! position 0 of every input, `$`/`\z` at its end, `\b` never in the empty
//! input. A pattern whose language is every string (`(?s).*`, `[\s\S]*`,
//! `^(?s).*$`) fires too.
//!
//! Full-match semantics (Prometheus relabeling, Alertmanager matchers): the
//! pattern must match the whole value, so only a pattern that matches every
//! string matches everything. `.*` (and `(.*)`) there is the documented
//! idiom for "any value" and Prometheus' own default, so a pattern that *is*
//! a wildcard does not fire; what fires is an alternation where one
//! alternative matches every value and so makes the others meaningless
//! (`api|.*`, `(foo|.*)`), the typical slip. Label values practically never
//! hold newlines, so there `.` counts as any character.
//!
//! ModSecurity compiles `@rx` dot-all, so `@rx ^.*$` matches every value;
//! with `capture` it is the idiom for "take the whole value" (CRS 920450),
//! judged as a full-match wildcard is.
//!
//! Anchored-start semantics (`re.match`): position 0 only.
//!
//! Approximation: we look only at the two positions every input has (its
//! start and its end), which is sound (no false "matches everything") and
//! misses exotic cases. Look-arounds, backreferences, atomic groups and
//! possessive quantifiers are judged conservatively: when unsure, the rule
//! stays quiet.
//!
//! Everything is computed bottom-up over the IR arena (children have smaller
//! ids than their parents), and explanations walk down iteratively, so no
//! input can exhaust the stack.

use crate::analysis::ir::{Assertion, CharSet, Greed, Ir, NodeId, NodeKind};
use crate::finding::{Finding, Label};
use crate::source::{Kind, PatternSpan, Semantics};

use super::{PatternContext, Rule, RuleMeta};

/// CL005.
pub(crate) struct MatchesEverything;

impl Rule for MatchesEverything {
    fn meta(&self) -> &'static RuleMeta {
        super::meta("matches-everything")
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
        let facts = Facts::new(ir);
        let root = ir.root;
        let culprit = match cx.pattern.semantics {
            Semantics::Search => {
                if facts.null_start[root.index()] {
                    Some(facts.explain_nullable(cx, root, At::Start))
                } else if facts.null_end[root.index()] {
                    Some(facts.explain_nullable(cx, root, At::End))
                } else if facts.universal_strict[root.index()] {
                    if cx.pattern.kind == Kind::Seclang {
                        // `@rx ^.*$` with `capture` is ModSecurity's idiom
                        // for "take the whole value" (CRS 920450), as `.*`
                        // is for Prometheus: only an alternative that
                        // swallows the others fires.
                        facts.explain_full_match(cx, root)
                    } else {
                        Some(facts.explain_universal(cx, root, false))
                    }
                } else {
                    None
                }
            }
            Semantics::AnchoredStart => {
                if facts.null_start[root.index()] {
                    Some(facts.explain_nullable(cx, root, At::Start))
                } else if facts.universal_strict[root.index()] {
                    Some(facts.explain_universal(cx, root, false))
                } else {
                    None
                }
            }
            Semantics::FullMatch => {
                if facts.universal_lenient[root.index()] {
                    facts.explain_full_match(cx, root)
                } else {
                    None
                }
            }
        };
        let Some(c) = culprit else { return };
        let mut f = cx.finding(self.meta(), Some(c.span), format!("the pattern matches every input: {}", c.reason));
        f.primary_label = Some(c.label);
        f.labels = c.others.into_iter().map(|(s, m)| Label { span: cx.file_span(s), message: m }).collect();
        f.help = Some(c.help);
        f.notes.push(match cx.pattern.semantics {
            Semantics::Search => "a search finds a match at some position of every input, so a block rule blocks all \
                                  traffic and an allow rule allows all of it"
                .to_owned(),
            Semantics::AnchoredStart => {
                "the match is anchored at the start, and it succeeds there for every input".to_owned()
            }
            Semantics::FullMatch => {
                "the pattern must match the whole value, and it does for every value (`.` counted as any character: \
                 values practically never hold newlines)"
                    .to_owned()
            }
        });
        out.push(f);
    }
}

/// Which position of an arbitrary input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    /// Position 0.
    Start,
    /// The end.
    End,
}

/// Why the pattern matches everything, for the finding.
struct Culprit {
    span: PatternSpan,
    reason: String,
    label: String,
    help: String,
    others: Vec<(PatternSpan, String)>,
}

/// Per-node facts, indexed by node id.
struct Facts<'a> {
    ir: &'a Ir,
    /// Surely matches the empty string at position 0 of every input.
    null_start: Vec<bool>,
    /// Surely matches the empty string at the end of every input.
    null_end: Vec<bool>,
    /// The language is every string.
    universal_strict: Vec<bool>,
    /// The language is every string without line terminators.
    universal_lenient: Vec<bool>,
    /// Never matches anything.
    never: Vec<bool>,
    /// Never matches the empty string (its minimum width is positive).
    non_empty: Vec<bool>,
    /// May consume characters.
    consumes: Vec<bool>,
    /// The node (through groups and alternations of single characters)
    /// matches exactly one character from this set.
    chars: Vec<Option<CharSet>>,
}

impl<'a> Facts<'a> {
    fn new(ir: &'a Ir) -> Self {
        let n = ir.nodes.len();
        let mut f = Facts {
            ir,
            null_start: Vec::with_capacity(n),
            null_end: Vec::with_capacity(n),
            universal_strict: Vec::with_capacity(n),
            universal_lenient: Vec::with_capacity(n),
            never: Vec::with_capacity(n),
            non_empty: Vec::with_capacity(n),
            consumes: Vec::with_capacity(n),
            chars: Vec::with_capacity(n),
        };
        let lenient_any = ir.line_terminators.complement();
        for node in &ir.nodes {
            let never = f.never_of(&node.kind);
            let non_empty = f.non_empty_of(&node.kind);
            let consumes = f.consumes_of(&node.kind);
            let chars = f.chars_of(&node.kind);
            f.never.push(never);
            f.non_empty.push(non_empty);
            f.consumes.push(consumes);
            f.chars.push(chars);
            let ns = f.nullable_of(&node.kind, At::Start);
            let ne = f.nullable_of(&node.kind, At::End);
            f.null_start.push(ns);
            f.null_end.push(ne);
            let us = f.universal_of(&node.kind, &CharSet::any(), false);
            let ul = f.universal_of(&node.kind, &lenient_any, true);
            f.universal_strict.push(us);
            f.universal_lenient.push(ul);
        }
        f
    }

    fn never_of(&self, kind: &NodeKind) -> bool {
        match kind {
            NodeKind::Fail => true,
            NodeKind::Set(s) => s.is_empty(),
            NodeKind::Concat(items) => items.iter().any(|c| self.never[c.index()]),
            NodeKind::Alt(items) => items.iter().all(|c| self.never[c.index()]),
            NodeKind::Repeat(r) => r.min > 0 && self.never[r.child.index()],
            NodeKind::Group { child, .. } | NodeKind::Atomic(child) | NodeKind::Look { child, negated: false, .. } => {
                self.never[child.index()]
            }
            _ => false,
        }
    }

    fn non_empty_of(&self, kind: &NodeKind) -> bool {
        match kind {
            NodeKind::Set(_) | NodeKind::Fail => true,
            NodeKind::Concat(items) => items.iter().any(|c| self.non_empty[c.index()]),
            NodeKind::Alt(items) => items.iter().all(|c| self.non_empty[c.index()]),
            NodeKind::Repeat(r) => r.min > 0 && self.non_empty[r.child.index()],
            NodeKind::Group { child, .. } | NodeKind::Atomic(child) => self.non_empty[child.index()],
            _ => false,
        }
    }

    fn consumes_of(&self, kind: &NodeKind) -> bool {
        match kind {
            NodeKind::Set(_) | NodeKind::Backref { .. } => true,
            NodeKind::Concat(items) | NodeKind::Alt(items) => items.iter().any(|c| self.consumes[c.index()]),
            NodeKind::Repeat(r) => r.max != Some(0) && self.consumes[r.child.index()],
            NodeKind::Group { child, .. } | NodeKind::Atomic(child) => self.consumes[child.index()],
            _ => false,
        }
    }

    fn chars_of(&self, kind: &NodeKind) -> Option<CharSet> {
        match kind {
            NodeKind::Set(s) => Some(s.clone()),
            NodeKind::Group { child, .. } => self.chars[child.index()].clone(),
            NodeKind::Alt(items) => {
                let mut acc = CharSet::empty();
                for c in items {
                    acc = acc.union(self.chars[c.index()].as_ref()?);
                }
                Some(acc)
            }
            _ => None,
        }
    }

    fn nullable(&self, id: NodeId, at: At) -> bool {
        match at {
            At::Start => self.null_start[id.index()],
            At::End => self.null_end[id.index()],
        }
    }

    fn nullable_of(&self, kind: &NodeKind, at: At) -> bool {
        match kind {
            NodeKind::Empty => true,
            NodeKind::Set(_) | NodeKind::Fail | NodeKind::Backref { .. } => false,
            NodeKind::Concat(items) => items.iter().all(|&c| self.nullable(c, at)),
            NodeKind::Alt(items) => items.iter().any(|&c| self.nullable(c, at)),
            NodeKind::Repeat(r) => {
                // At position 0 a possessive loop keeps what it consumed,
                // so the empty path may never be tried: only trust it when
                // the body cannot consume at all. At the end nothing can be
                // consumed, so greed does not matter there.
                if at == At::Start && r.greed == Greed::Possessive && self.consumes[r.child.index()] {
                    return false;
                }
                r.min == 0 || self.nullable(r.child, at)
            }
            NodeKind::Group { child, .. } => self.nullable(*child, at),
            NodeKind::Atomic(child) => (at == At::End || !self.consumes[child.index()]) && self.nullable(*child, at),
            NodeKind::Look { child, behind, negated } => {
                if !negated {
                    self.nullable(*child, at)
                } else if self.never[child.index()] {
                    true
                } else {
                    // Nothing lies before position 0 (for a look-behind) or
                    // after the end (for a look-ahead): the body could only
                    // match empty there, which it cannot when its minimum
                    // width is positive.
                    let nothing_there = (at == At::Start && *behind) || (at == At::End && !*behind);
                    nothing_there && self.non_empty[child.index()]
                }
            }
            NodeKind::Assert(a) => matches!(
                (a, at),
                (Assertion::StartText | Assertion::StartLine | Assertion::StartOfAttempt, At::Start)
                    | (Assertion::EndText | Assertion::EndTextOptionalNewline | Assertion::EndLine, At::End)
            ),
        }
    }

    fn universal_of(&self, kind: &NodeKind, any: &CharSet, lenient: bool) -> bool {
        let univ = |id: NodeId| {
            if lenient { self.universal_lenient[id.index()] } else { self.universal_strict[id.index()] }
        };
        match kind {
            NodeKind::Repeat(r) => {
                let child_covers = self.chars[r.child.index()].as_ref().is_some_and(|s| any.is_subset(s));
                (r.max.is_none() && r.min == 0 && child_covers) || (r.max != Some(0) && univ(r.child))
            }
            NodeKind::Group { child, .. } | NodeKind::Atomic(child) => univ(*child),
            NodeKind::Alt(items) => items.iter().any(|&c| univ(c)),
            NodeKind::Concat(items) => {
                // Some item is universal, everything before it nullable at
                // the start and everything after it nullable at the end.
                // Linear: the first non-nullable-at-start item bounds where
                // the universal item may sit, the last non-nullable-at-end
                // item too.
                let first_blocking = items.iter().position(|c| !self.null_start[c.index()]).unwrap_or(items.len());
                let last_blocking = items.iter().rposition(|c| !self.null_end[c.index()]);
                items
                    .iter()
                    .enumerate()
                    .any(|(i, &c)| i <= first_blocking && last_blocking.is_none_or(|l| l <= i) && univ(c))
            }
            _ => false,
        }
    }

    fn text<'c>(&self, cx: &'c PatternContext<'_>, id: NodeId) -> &'c str {
        cx.pattern_text(self.ir.node(id).span)
    }

    /// Walk down from `root` to the construct that makes the pattern
    /// nullable at `at`.
    fn explain_nullable(&self, cx: &PatternContext<'_>, root: NodeId, at: At) -> Culprit {
        let pattern = cx.pattern.pattern.as_str();
        let mut id = root;
        // True while the walk has only passed through groups: the culprit
        // is then the whole pattern.
        let mut whole = true;
        loop {
            let node = self.ir.node(id);
            match &node.kind {
                NodeKind::Empty if whole => {
                    return Culprit {
                        span: node.span,
                        reason: "the pattern is empty".to_owned(),
                        label: "empty pattern".to_owned(),
                        help: "an empty pattern matches everywhere; remove the entry or give it a pattern".to_owned(),
                        others: Vec::new(),
                    };
                }
                NodeKind::Group { child, .. } | NodeKind::Atomic(child) => id = *child,
                NodeKind::Alt(items) => {
                    let Some(&alt) = items.iter().find(|&&c| self.nullable(c, at)) else { break };
                    let alt_node = self.ir.node(alt);
                    if matches!(alt_node.kind, NodeKind::Empty) {
                        let p = alt_node.span.start;
                        let (span, side) = if p > 0 && pattern.as_bytes().get(p - 1) == Some(&b'|') {
                            (PatternSpan::new(p - 1, p), "after")
                        } else if pattern.as_bytes().get(p) == Some(&b'|') {
                            (PatternSpan::new(p, p + 1), "before")
                        } else {
                            (alt_node.span, "next to")
                        };
                        return Culprit {
                            span,
                            reason: format!("the alternative {side} `|` is empty"),
                            label: format!("nothing {side} this `|`"),
                            help: "remove the stray `|`; if an empty match is really meant, say so with `(?:…)?`"
                                .to_owned(),
                            others: Vec::new(),
                        };
                    }
                    whole = false;
                    id = alt;
                }
                NodeKind::Repeat(r) if r.min == 0 => {
                    let op = cx.pattern_text(r.op_span).to_owned();
                    let reason = if whole {
                        format!("the whole pattern is optional (`{op}`)")
                    } else {
                        format!("`{}` can repeat zero times (`{op}`)", self.text(cx, id))
                    };
                    let help = if op.starts_with('*') {
                        "use `+` instead of `*` if at least one repetition is required".to_owned()
                    } else if op.starts_with('?') {
                        "remove the `?` if the text is required".to_owned()
                    } else {
                        "make the minimum count at least 1".to_owned()
                    };
                    return Culprit {
                        span: r.op_span,
                        reason,
                        label: "allows zero repetitions".to_owned(),
                        help,
                        others: Vec::new(),
                    };
                }
                NodeKind::Repeat(r) => id = r.child,
                NodeKind::Concat(items) => {
                    let consuming: Vec<NodeId> = items.iter().copied().filter(|c| self.consumes[c.index()]).collect();
                    match consuming.as_slice() {
                        [one] => id = *one,
                        [] => {
                            return Culprit {
                                span: node.span,
                                reason: format!("`{}` only tests a position, which every input has", self.text(cx, id)),
                                label: "zero-width".to_owned(),
                                help: "add the text the rule is meant to match".to_owned(),
                                others: Vec::new(),
                            };
                        }
                        many => {
                            let others = many[1..]
                                .iter()
                                .take(6)
                                .map(|&c| (self.ir.node(c).span, "optional too".to_owned()))
                                .collect();
                            return Culprit {
                                span: self.ir.node(many[0]).span,
                                reason: if whole {
                                    "every part of the pattern is optional".to_owned()
                                } else {
                                    format!("every part of `{}` is optional", self.text(cx, id))
                                },
                                label: "optional".to_owned(),
                                help: "make at least one part required (`+` instead of `*`, no `?`)".to_owned(),
                                others,
                            };
                        }
                    }
                }
                NodeKind::Assert(_) | NodeKind::Look { .. } => {
                    let where_ = match at {
                        At::Start => "start",
                        At::End => "end",
                    };
                    return Culprit {
                        span: node.span,
                        reason: format!("`{}` holds at the {where_} of every input", self.text(cx, id)),
                        label: format!("holds at the {where_} of every input"),
                        help: if whole {
                            "add the text the rule is meant to match".to_owned()
                        } else {
                            "remove the alternative that only tests a position, or add the text it should match"
                                .to_owned()
                        },
                        others: Vec::new(),
                    };
                }
                _ => break,
            }
        }
        // Fallback: point at the whole pattern.
        Culprit {
            span: self.ir.node(root).span,
            reason: "it can match the empty string".to_owned(),
            label: "can match the empty string".to_owned(),
            help: "make at least one part of the pattern required".to_owned(),
            others: Vec::new(),
        }
    }

    /// Explain a pattern whose language is every string.
    fn explain_universal(&self, cx: &PatternContext<'_>, root: NodeId, lenient: bool) -> Culprit {
        let id = self.universal_core(root, lenient).unwrap_or(root);
        Culprit {
            span: self.ir.node(id).span,
            reason: format!("`{}` matches any text, including none", self.text(cx, id)),
            label: "matches any text".to_owned(),
            help: "say what the rule should match instead of a wildcard".to_owned(),
            others: Vec::new(),
        }
    }

    /// Full-match semantics: fire only when an alternation holds a
    /// universal alternative next to others (`api|.*`). A pattern that is
    /// itself a wildcard (`.*`, `(.*)`) is the idiom for "any value".
    fn explain_full_match(&self, cx: &PatternContext<'_>, root: NodeId) -> Option<Culprit> {
        let mut id = root;
        loop {
            match &self.ir.node(id).kind {
                NodeKind::Group { child, .. } | NodeKind::Atomic(child) => id = *child,
                NodeKind::Concat(items) => {
                    id = items.iter().copied().find(|c| self.universal_lenient[c.index()])?;
                }
                NodeKind::Alt(items) => {
                    let &alt = items.iter().find(|c| self.universal_lenient[c.index()])?;
                    let others: Vec<(PatternSpan, String)> = items
                        .iter()
                        .filter(|&&c| c != alt)
                        .take(6)
                        .map(|&c| (self.ir.node(c).span, "never matters".to_owned()))
                        .collect();
                    let core = self.universal_core(alt, true).unwrap_or(alt);
                    return Some(Culprit {
                        span: self.ir.node(alt).span,
                        reason: format!(
                            "the alternative `{}` matches every value, so the other alternatives never matter",
                            self.text(cx, alt)
                        ),
                        label: format!("`{}` matches any value", self.text(cx, core)),
                        help: "remove the wildcard alternative, or, if any value is intended, write just `.*`"
                            .to_owned(),
                        others,
                    });
                }
                _ => return None,
            }
        }
    }

    /// The innermost node that makes `id` universal (a wildcard loop).
    fn universal_core(&self, mut id: NodeId, lenient: bool) -> Option<NodeId> {
        let univ =
            |n: NodeId| if lenient { self.universal_lenient[n.index()] } else { self.universal_strict[n.index()] };
        loop {
            if !univ(id) {
                return None;
            }
            match &self.ir.node(id).kind {
                NodeKind::Group { child, .. } | NodeKind::Atomic(child) => id = *child,
                NodeKind::Concat(items) | NodeKind::Alt(items) => id = items.iter().copied().find(|&c| univ(c))?,
                NodeKind::Repeat(r) if univ(r.child) => id = r.child,
                _ => return Some(id),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::finding::Finding;
    use crate::lint::{LintOptions, lint_pattern};
    use crate::source::{Flags, Flavor, Semantics};

    fn run(pattern: &str, flavor: Flavor, semantics: Semantics) -> Vec<Finding> {
        let mut opts = LintOptions::default();
        opts.rules.select = vec!["CL005".into()];
        lint_pattern(pattern, flavor, Flags::default(), semantics, &opts).findings
    }

    fn search(pattern: &str) -> Option<(String, (usize, usize))> {
        let f = run(pattern, Flavor::Pcre, Semantics::Search);
        assert!(f.len() <= 1);
        f.first().map(|f| (f.message.clone(), f.span.map(|s| (s.start, s.end)).unwrap_or_default()))
    }

    #[test]
    fn empty_alternatives() {
        let (m, s) = search("admin|").expect("fires");
        assert!(m.contains("the alternative after `|` is empty"), "{m}");
        assert_eq!(s, (5, 6));
        let (m, s) = search("|admin").expect("fires");
        assert!(m.contains("before `|`"), "{m}");
        assert_eq!(s, (0, 1));
        assert!(search("(?:foo||bar)").is_some());
        assert!(search("admin").is_none());
        assert!(search("(?:a|b)").is_none());
    }

    #[test]
    fn optional_everything() {
        let (m, s) = search("(select)*").expect("fires");
        assert!(m.contains("the whole pattern is optional (`*`)"), "{m}");
        assert_eq!(s, (8, 9));
        assert!(search("(select)+").is_none());
        let (m, _) = search("a*b?").expect("fires");
        assert!(m.contains("every part"), "{m}");
        let (m, _) = search("foo|x*").expect("fires");
        assert!(m.contains("`x*` can repeat zero times"), "{m}");
        assert!(search(".*").is_some());
        assert!(search("").is_some());
    }

    #[test]
    fn assertions() {
        assert!(search("^").is_some());
        assert!(search("$").is_some());
        assert!(search("^$").is_none(), "only the empty input");
        assert!(search(r"\b").is_none(), "the empty input has no word boundary");
        assert!(search(r"^\s*").is_some());
        assert!(search(r"\s*$").is_some());
        assert!(search(r"^\s*$").is_none());
        assert!(search(r"foo|$").expect("fires").0.contains("`$` holds at the end"));
        assert!(search(r"(?s)^.*$").is_some(), "every string");
        assert!(search(r"^.*$").is_none(), "`.` stops at newlines");
    }

    #[test]
    fn conservative_on_lookaround_and_possessive() {
        assert!(search("(?=a)").is_none());
        assert!(search("(?!a)").expect("holds at the end").0.contains("`(?!a)` holds at the end"));
        assert!(search("(?=a)|(?!b)x").is_none());
        assert!(search("(?!)|x").is_none());
        assert!(search("(?<!a)").is_some(), "nothing precedes position 0");
        assert!(search("a*+^").is_none());
        assert!(search("a*+$").is_some(), "at the end nothing is consumed");
        assert!(search(r"(a)?\1").is_none());
    }

    #[test]
    fn anchored_start() {
        assert!(run("a*", Flavor::Python, Semantics::AnchoredStart).len() == 1);
        assert!(run(r"\s*$", Flavor::Python, Semantics::AnchoredStart).is_empty());
    }

    #[test]
    fn full_match_keeps_the_idiom() {
        assert!(run(".*", Flavor::Re2, Semantics::FullMatch).is_empty());
        assert!(run("(.*)", Flavor::Re2, Semantics::FullMatch).is_empty());
        assert!(run("foo|", Flavor::Re2, Semantics::FullMatch).is_empty(), "matches foo or the empty value");
        assert!(run("a*", Flavor::Re2, Semantics::FullMatch).is_empty());
        let f = run("api|.*", Flavor::Re2, Semantics::FullMatch);
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("the alternative `.*` matches every value"), "{}", f[0].message);
        assert_eq!(f[0].span.map(|s| (s.start, s.end)), Some((4, 6)));
        assert_eq!(f[0].labels.len(), 1);
        assert_eq!(run("(foo|(?:.*))", Flavor::Re2, Semantics::FullMatch).len(), 1);
    }
}
