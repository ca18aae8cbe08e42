//! Possessive loops proven by first-set disjointness.
//!
//! The DFAs of `equiv.rs` cannot see possessive quantifiers (they change
//! what a backtracking engine matches, not what an automaton accepts), so
//! this rewrite is justified by a lemma instead, checked on cfglint's IR:
//!
//! **Lemma.** Let `L` be a greedy loop over one character class `S`
//! (`[S]*`, `[S]+`, `[S]{m,n}`) and `C` its continuation: everything the
//! pattern can still match after `L`, through the enclosing groups, loops
//! and alternatives, to the end of the pattern. Suppose `C` cannot succeed
//! at a position whose next character is in `S`: every character `C` can
//! start with is outside `S`, and `C` matches the empty string only where
//! an end assertion holds (`\z`; `$` when `\n` is not in `S`), or
//! unconditionally. Then `L` and its possessive form `L+` (`[S]*+`) give
//! every input the same matches with the same capture groups.
//!
//! *Proof.* A backtracking engine tries `L` with its longest run first and
//! then shorter ones. After a shorter run the next character is one `L`
//! could have taken, so it is in `S`, and `C` fails there; when `C` can
//! match the empty string unconditionally, it never fails after the
//! longest run and no shorter run is tried at all. The possessive form
//! skips exactly those shorter runs, so the engine reaches the same first
//! match, with the same groups, and fails where the original fails. Making
//! several loops possessive one after the other keeps this: each step
//! leaves every match in place, and a possessive loop matches a subset of
//! the strings its greedy form matches, so first sets computed on the
//! original still bound the continuation. ∎
//!
//! The continuation of a pattern's last item depends on the consumer: the
//! match may end there (search, anchored-start), the input must end there
//! (full match), or, for a fragment spliced into a larger regex, anything
//! may follow (nothing is assumed).

use crate::analysis::ir::{Assertion, CharSet, Greed, Ir, NodeId, NodeKind};
use crate::source::{Flavor, PatternSpan};

/// Where a sub-pattern can succeed without consuming a character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Empty {
    /// Never: it always consumes a character.
    Never,
    /// Only at the end of input (or, when `newline`, also before a `\n`).
    AtEnd { newline: bool },
    /// Possibly anywhere, under conditions not modelled (`\b`, look-around,
    /// an unknown continuation).
    Unknown,
    /// Anywhere: an assertion-free empty path.
    Always,
}

impl Empty {
    /// Both in sequence: the more restrictive.
    fn then(self, other: Empty) -> Empty {
        match (self, other) {
            (Empty::AtEnd { newline: a }, Empty::AtEnd { newline: b }) => Empty::AtEnd { newline: a && b },
            (a, b) => a.min(b),
        }
    }

    /// Either one: the less restrictive.
    fn or(self, other: Empty) -> Empty {
        match (self, other) {
            (Empty::AtEnd { newline: a }, Empty::AtEnd { newline: b }) => Empty::AtEnd { newline: a || b },
            (a, b) => a.max(b),
        }
    }
}

/// What a sub-pattern (or a continuation) can start with, and where it can
/// match the empty string.
#[derive(Debug, Clone)]
struct Summary {
    first: CharSet,
    empty: Empty,
}

impl Summary {
    /// `self` followed by `next`.
    fn then(&self, next: &Summary) -> Summary {
        if self.empty == Empty::Never {
            return self.clone();
        }
        Summary { first: self.first.union(&next.first), empty: self.empty.then(next.empty) }
    }

    fn or(&self, other: &Summary) -> Summary {
        Summary { first: self.first.union(&other.first), empty: self.empty.or(other.empty) }
    }
}

fn any() -> CharSet {
    CharSet::empty().complement()
}

/// A summary of every node, children before parents (the IR's order).
fn summaries(ir: &Ir) -> Vec<Summary> {
    let mut out: Vec<Summary> = Vec::with_capacity(ir.nodes.len());
    for node in &ir.nodes {
        let get = |id: NodeId| out[id.index()].clone();
        let s = match &node.kind {
            NodeKind::Empty => Summary { first: CharSet::empty(), empty: Empty::Always },
            NodeKind::Set(s) => Summary { first: s.clone(), empty: Empty::Never },
            NodeKind::Concat(items) => items
                .iter()
                .fold(Summary { first: CharSet::empty(), empty: Empty::Always }, |acc, &c| acc.then(&get(c))),
            NodeKind::Alt(items) => {
                items.iter().fold(Summary { first: CharSet::empty(), empty: Empty::Never }, |acc, &c| acc.or(&get(c)))
            }
            NodeKind::Repeat(r) => {
                let child = get(r.child);
                if r.max == Some(0) {
                    Summary { first: CharSet::empty(), empty: Empty::Always }
                } else if r.min == 0 {
                    Summary { first: child.first, empty: Empty::Always }
                } else {
                    child
                }
            }
            NodeKind::Group { child, .. } | NodeKind::Atomic(child) => get(*child),
            NodeKind::Assert(Assertion::EndText) => {
                Summary { first: CharSet::empty(), empty: Empty::AtEnd { newline: false } }
            }
            NodeKind::Assert(Assertion::EndTextOptionalNewline | Assertion::EndLine) => {
                Summary { first: CharSet::empty(), empty: Empty::AtEnd { newline: true } }
            }
            NodeKind::Assert(_) | NodeKind::Look { .. } => Summary { first: CharSet::empty(), empty: Empty::Unknown },
            NodeKind::Backref { .. } => Summary { first: any(), empty: Empty::Unknown },
            NodeKind::Fail => Summary { first: CharSet::empty(), empty: Empty::Never },
        };
        out.push(s);
    }
    out
}

/// What the pattern can match after its last item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The match may end there (search, anchored-start).
    Free,
    /// The input must end there (full match).
    Input,
    /// Anything may follow (a fragment spliced into a larger regex).
    Open,
}

/// The continuation of every node (`None` for nodes inside look-around,
/// whose continuation is not modelled).
fn continuations(ir: &Ir, end: End) -> Vec<Option<Summary>> {
    let sums = summaries(ir);
    let mut cont: Vec<Option<Summary>> = vec![None; ir.nodes.len()];
    cont[ir.root.index()] = Some(match end {
        End::Free => Summary { first: CharSet::empty(), empty: Empty::Always },
        End::Input => Summary { first: CharSet::empty(), empty: Empty::AtEnd { newline: false } },
        End::Open => Summary { first: any(), empty: Empty::Unknown },
    });
    // Parents come after their children in the IR: walk from the root down.
    let mut stack = vec![ir.root];
    while let Some(id) = stack.pop() {
        let Some(k) = cont[id.index()].clone() else { continue };
        match &ir.node(id).kind {
            NodeKind::Concat(items) => {
                let mut after = k;
                for &c in items.iter().rev() {
                    cont[c.index()] = Some(after.clone());
                    stack.push(c);
                    after = sums[c.index()].then(&after);
                }
            }
            NodeKind::Alt(items) => {
                for &c in items {
                    cont[c.index()] = Some(k.clone());
                    stack.push(c);
                }
            }
            NodeKind::Group { child, .. } | NodeKind::Atomic(child) => {
                cont[child.index()] = Some(k);
                stack.push(*child);
            }
            NodeKind::Repeat(r) => {
                let again = r.max.is_none_or(|m| m > 1);
                let c = if !again {
                    k
                } else if r.min <= 1 {
                    sums[r.child.index()].then(&k).or(&k)
                } else {
                    // Before `min` iterations the loop cannot be left: the
                    // exit is only possible, so it widens the first set but
                    // cannot make success certain.
                    let c = sums[r.child.index()].then(&k);
                    let either = c.or(&k);
                    let sure = c.empty == Empty::Always;
                    Summary {
                        empty: if either.empty == Empty::Always && !sure { Empty::Unknown } else { either.empty },
                        ..either
                    }
                };
                cont[r.child.index()] = Some(c);
                stack.push(r.child);
            }
            _ => {}
        }
    }
    cont
}

/// True when the flavor has possessive quantifiers (`*+`). Python has them
/// only from 3.11 on, and a consumer's Python version is unknown.
pub fn flavor_has_possessive(flavor: Flavor) -> bool {
    matches!(flavor, Flavor::Pcre | Flavor::Java | Flavor::Onigmo)
}

/// The quantifiers the lemma allows to make possessive in `pattern` (parsed
/// as `ir` for `flavor`): the end of each such loop's quantifier, where a
/// `+` goes. Onigmo's Ruby syntax reads `{n,m}+` as a loop of a loop, not
/// as possessive, so intervals are left alone there.
pub fn possessive_points(pattern: &str, ir: &Ir, flavor: Flavor, end: End) -> Vec<PatternSpan> {
    let cont = continuations(ir, end);
    let mut out = Vec::new();
    for (i, node) in ir.nodes.iter().enumerate() {
        let NodeKind::Repeat(r) = &node.kind else { continue };
        let NodeKind::Set(s) = &ir.node(r.child).kind else { continue };
        if r.greed != Greed::Greedy || r.max == Some(r.min) {
            continue;
        }
        let interval = pattern.get(r.op_span.start..r.op_span.end).is_none_or(|op| op.starts_with('{'));
        if interval && flavor == Flavor::Onigmo {
            continue;
        }
        let Some(c) = &cont[i] else { continue };
        let holds = match c.empty {
            Empty::Always => true,
            Empty::Never => !c.first.intersects(s),
            Empty::AtEnd { newline } => !(c.first.intersects(s) || newline && s.contains('\n')),
            Empty::Unknown => false,
        };
        if holds {
            out.push(r.op_span);
        }
    }
    out
}

/// `pattern` with a `+` after each quantifier in `points`.
pub fn make_possessive(pattern: &str, points: &[PatternSpan]) -> Option<String> {
    let mut ends: Vec<usize> = points.iter().map(|p| p.end).collect();
    ends.sort_unstable();
    ends.dedup();
    let mut out = String::with_capacity(pattern.len() + ends.len());
    let mut at = 0;
    for e in ends {
        out.push_str(pattern.get(at..e)?);
        out.push('+');
        at = e;
    }
    out.push_str(pattern.get(at..)?);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::parse::{ParseConfig, parse};

    fn possessive(p: &str, end: End) -> String {
        possessive_in(p, Flavor::Pcre, end)
    }

    fn possessive_in(p: &str, flavor: Flavor, end: End) -> String {
        let ir = parse(p, &ParseConfig::new(flavor)).expect("parses");
        make_possessive(p, &possessive_points(p, &ir, flavor, end)).expect("splices")
    }

    #[test]
    fn onigmo_intervals_stay_greedy() {
        // Ruby reads `\d{1,3}+` as `(?:\d{1,3})+`.
        assert_eq!(possessive_in("\\d{1,3}x", Flavor::Onigmo, End::Open), "\\d{1,3}x");
        assert_eq!(possessive_in("\\d+x", Flavor::Onigmo, End::Open), "\\d++x");
        assert_eq!(possessive_in("\\d{1,3}x", Flavor::Java, End::Open), "\\d{1,3}+x");
    }

    #[test]
    fn loops_whose_continuation_cannot_start_with_their_characters() {
        assert_eq!(possessive("[^#]+#\\w+", End::Open), "[^#]++#\\w+");
        assert_eq!(possessive("[^#]+#\\w+", End::Free), "[^#]++#\\w++");
        assert_eq!(possessive("\\d+\\s+\\d{1,3}$", End::Free), "\\d++\\s++\\d{1,3}+$");
        // `$` may match before a final newline, which `\s` could take...
        assert_eq!(possessive("a\\s*$", End::Free), "a\\s*$");
        // ...unless the whole input must match.
        assert_eq!(possessive("a\\s*$", End::Input), "a\\s*+$");
        assert_eq!(possessive("a[ ]*$", End::Input), "a[ ]*+$");
        // A loop whose continuation loops back to its own characters.
        assert_eq!(possessive("(?:[a-z]+,?)*;", End::Open), "(?:[a-z]+,?+)*;");
        // Only the second of two overlapping loops; never a lazy loop.
        assert_eq!(possessive("\\s*\\s*x", End::Open), "\\s*\\s*+x");
        assert_eq!(possessive("a*?b", End::Open), "a*?b");
        // A loop that cannot be left yet: its exit does not make success
        // certain (`{2}` needs a second `,`).
        assert_eq!(possessive("(?:\\d+,?){2}", End::Free), "(?:\\d+,?){2}");
        assert_eq!(possessive("(?:\\d+,?)?", End::Free), "(?:\\d++,?+)?");
        // A zero-width assertion consumes nothing: what follows it counts.
        assert_eq!(possessive("a*\\bb", End::Open), "a*+\\bb");
        assert_eq!(possessive("a*\\b", End::Free), "a*\\b");
        assert_eq!(possessive("a*", End::Open), "a*");
    }

    #[test]
    fn empty_kinds_combine() {
        assert_eq!(Empty::Always.then(Empty::AtEnd { newline: true }), Empty::AtEnd { newline: true });
        assert_eq!(Empty::Never.or(Empty::AtEnd { newline: false }), Empty::AtEnd { newline: false });
        assert_eq!(Empty::Unknown.then(Empty::Never), Empty::Never);
    }
}
