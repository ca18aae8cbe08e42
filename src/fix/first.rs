//! The first-occurrence rewrite: make a search-mode scan happen once.
//!
//! Most search-mode quadratics have the shape `X[\s\S]*Y` (dot-all `.*`,
//! `.*?`, `.+`): a prefix `X`, a scan over every character, then a suffix
//! `Y` that fails. The engine retries from every start position, and from
//! every occurrence of `X` the scan runs to the end of the input again. No
//! rewrite of the loops helps: the retry is the quadratic. This rewrite
//! anchors the pattern and commits to the earliest occurrence of `X`:
//!
//! ```text
//! X[\s\S]*Y   (searched)   →   \A(?>[\s\S]*?X)[\s\S]*?Y
//! ```
//!
//! **Lemma (first occurrence).** Let `R = X S Y` where `S` is a loop over
//! every character (`[\s\S]*`, or dot-all `.*`, greedy or lazy, `min` 0) and
//! the pattern has no backreference and no `\G`. Let `X` be fixed-length:
//! every match of `X` has the same length `L` in characters. Then, for every
//! input, "some match of `R` exists" (search) holds exactly when the
//! anchored `\A(?>[\s\S]*?X)[\s\S]*?Y` matches.
//!
//! *Proof.* Whether `X` (or `Y`) matches at position `i` is a property of
//! the input and `i` alone (assertions and look-around look at the input;
//! there are no backreferences to carry text from one to the other). `R`
//! matches iff some occurrence of `X` ends at `j` and `Y` matches at some
//! `k ≥ j`; this gets easier as `j` gets smaller, so it holds iff `Y`
//! matches at some `k ≥ j_min`, the smallest end of an occurrence of `X`.
//! The rewrite's lazy `[\s\S]*?` tries `X` at positions `0, 1, 2, …`; the
//! first position `i₀` where `X` matches is the smallest start of an
//! occurrence, and the atomic group commits to that match, which ends at
//! `i₀ + L` — the smallest end, as every occurrence has length `L`. After
//! it, `[\s\S]*?Y` matches iff `Y` matches at some `k ≥ i₀ + L = j_min`.
//! When `X` has no occurrence, neither side matches. ∎
//!
//! A loop `S` with `min = m > 0` is read as `m` single characters appended
//! to `X` (still fixed-length) and a loop with `min` 0.
//!
//! The DFA product proves the original equivalent (search) to the
//! *skeleton* `(?:X)[\s\S]*?Y`: the same text with `X` grouped as in the
//! fix and the scan spelled `[\s\S]*?`, so every detail of how the text
//! was split (flags, scoping, the split point) is checked, not assumed. The
//! lemma covers the step from the skeleton to the atomic form; its shape is
//! read on the parsed fix (`first_occurrence_shape`), not on the text. (The
//! DFA cannot take that step itself: it compares all byte strings, and an
//! unanchored search may skip bytes that are not UTF-8, which `[\s\S]`
//! does not match; the engine sees only characters.)
//!
//! The atomic form is linear: `X` is tried once per position (its
//! cost is bounded: it is fixed-length) and, once committed, the engine
//! never goes back into the first scan, so `Y` is tried once per position
//! after it; cfglint's analysis and the replays check it.

use crate::analysis::ir::{Assertion, CharSet, Ir, NodeId, NodeKind};
use crate::source::Flavor;

/// A first-occurrence rewrite of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstOccurrence {
    /// `(?:X)[\s\S]*?Y`: the original with its split made explicit (`X`
    /// grouped as in the fix, the scan spelled `[\s\S]*?`), which the DFA
    /// compares with the original.
    pub skeleton: String,
    /// `\A(?>[\s\S]*?X)[\s\S]*?Y`: the fix.
    pub atomic: String,
    /// The step, for the notes.
    pub what: String,
}

/// True when `flavor` has atomic groups `(?>…)` and `\A` (Python only from
/// 3.11 on, and a consumer's version is unknown).
pub fn flavor_has_atomic(flavor: Flavor) -> bool {
    matches!(flavor, Flavor::Pcre | Flavor::Java)
}

/// The length every match of `id` has, in characters, or `None` when
/// matches of different lengths exist or it cannot be told (backreferences,
/// unbounded loops).
pub fn fixed_length(ir: &Ir, id: NodeId) -> Option<usize> {
    match &ir.node(id).kind {
        NodeKind::Empty | NodeKind::Assert(_) | NodeKind::Look { .. } => Some(0),
        NodeKind::Set(_) => Some(1),
        NodeKind::Concat(items) => items.iter().try_fold(0usize, |acc, &c| acc.checked_add(fixed_length(ir, c)?)),
        NodeKind::Alt(items) => {
            let mut lens = items.iter().map(|&c| fixed_length(ir, c));
            let first = lens.next()??;
            lens.all(|l| l == Some(first)).then_some(first)
        }
        NodeKind::Group { child, .. } | NodeKind::Atomic(child) => fixed_length(ir, *child),
        NodeKind::Repeat(r) => {
            let child = fixed_length(ir, r.child)?;
            if child == 0 {
                Some(0)
            } else if r.max == Some(r.min) {
                child.checked_mul(r.min as usize)
            } else {
                None
            }
        }
        NodeKind::Backref { .. } | NodeKind::Fail => None,
    }
}

/// The first-occurrence rewrite of `pattern` (parsed as `ir`), when the
/// lemma's shape is there: the root is a sequence `X S Y` with `X`
/// fixed-length and non-empty, `S` a loop over every character, and no
/// backreference or `\G` anywhere.
pub fn first_occurrence(pattern: &str, ir: &Ir) -> Option<FirstOccurrence> {
    if ir.nodes.iter().any(|n| matches!(n.kind, NodeKind::Backref { .. } | NodeKind::Assert(Assertion::StartOfAttempt)))
        || !ir.approximations.is_empty()
    {
        return None;
    }
    let NodeKind::Concat(items) = &ir.node(ir.root).kind else { return None };
    let any = CharSet::empty().complement();
    // X starts at the first item that is not an empty node (an inline flag
    // group such as `(?i)` parses to one).
    let first = items.iter().position(|&c| !matches!(ir.node(c).kind, NodeKind::Empty))?;
    for k in first + 1..items.len() {
        let NodeKind::Repeat(r) = &ir.node(items[k]).kind else { continue };
        if r.max.is_some() || !matches!(&ir.node(r.child).kind, NodeKind::Set(s) if *s == any) {
            continue;
        }
        let x_len = items[first..k].iter().try_fold(0usize, |acc, &c| Some(acc + fixed_length(ir, c)?));
        if x_len.is_none_or(|l| l == 0) {
            // The scan is the first unbounded any-loop after X: if X is not
            // fixed-length here, a later split only makes X longer and adds
            // this loop to it, which is never fixed-length.
            return None;
        }
        let x_start = ir.node(items[first]).span.start;
        let scan = ir.node(items[k]).span;
        let (before, x, after) = (pattern.get(..x_start)?, pattern.get(x_start..scan.start)?, pattern.get(scan.end..)?);
        let extra = match r.min {
            0 => String::new(),
            1 => "[\\s\\S]".to_owned(),
            m => format!("[\\s\\S]{{{m}}}"),
        };
        return Some(FirstOccurrence {
            skeleton: format!("{before}(?:{x}{extra})[\\s\\S]*?{after}"),
            atomic: format!("{before}\\A(?>[\\s\\S]*?{x}{extra})[\\s\\S]*?{after}"),
            what: format!(
                "committed to the first occurrence of `{x}{extra}` (fixed length): the scan `{}` runs once",
                pattern.get(scan.start..scan.end).unwrap_or_default()
            ),
        });
    }
    None
}

/// The lemma's shape read on a parsed rewrite: the root is `\A`, then an
/// atomic group holding a lazy loop over every character followed by a
/// non-empty fixed-length `X`, then a loop over every character, with no
/// backreference or `\G` anywhere (inline flag groups may come first).
/// Returns the length of `X`.
pub fn first_occurrence_shape(ir: &Ir) -> Option<usize> {
    if ir.nodes.iter().any(|n| matches!(n.kind, NodeKind::Backref { .. } | NodeKind::Assert(Assertion::StartOfAttempt)))
        || !ir.approximations.is_empty()
    {
        return None;
    }
    let any = CharSet::empty().complement();
    let is_scan = |id: NodeId| {
        matches!(&ir.node(id).kind, NodeKind::Repeat(r)
            if r.min == 0 && r.max.is_none() && matches!(&ir.node(r.child).kind, NodeKind::Set(s) if *s == any))
    };
    let NodeKind::Concat(items) = &ir.node(ir.root).kind else { return None };
    let mut rest = items.iter().copied().skip_while(|&c| matches!(ir.node(c).kind, NodeKind::Empty));
    let (Some(start), Some(group), Some(scan)) = (rest.next(), rest.next(), rest.next()) else { return None };
    if ir.node(start).kind != NodeKind::Assert(Assertion::StartText) || !is_scan(scan) {
        return None;
    }
    let NodeKind::Atomic(body) = &ir.node(group).kind else { return None };
    let NodeKind::Concat(inner) = &ir.node(*body).kind else { return None };
    let (&lead, x) = inner.split_first()?;
    if !is_scan(lead) {
        return None;
    }
    let len = x.iter().try_fold(0usize, |acc, &c| acc.checked_add(fixed_length(ir, c)?))?;
    (len > 0).then_some(len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::parse::{ParseConfig, parse};
    use crate::source::Flags;

    fn rewrite(p: &str, flags: &str) -> Option<String> {
        let ir = parse(p, &ParseConfig::new(Flavor::Pcre).flags(Flags::from_letters(flags))).expect("parses");
        let got = first_occurrence(p, &ir).map(|f| f.atomic)?;
        // The rewrite has the lemma's shape when parsed again.
        let back = parse(&got, &ParseConfig::new(Flavor::Pcre).flags(Flags::from_letters(flags))).expect("parses");
        assert!(first_occurrence_shape(&back).is_some(), "{got}");
        Some(got)
    }

    #[test]
    fn commits_to_a_fixed_length_prefix() {
        assert_eq!(rewrite("\\r\\n.*?\\bEHLO", "s").as_deref(), Some("\\A(?>[\\s\\S]*?\\r\\n)[\\s\\S]*?\\bEHLO"));
        assert_eq!(
            rewrite("java\\b.+(?:runtime|x)", "s").as_deref(),
            Some("\\A(?>[\\s\\S]*?java\\b[\\s\\S])[\\s\\S]*?(?:runtime|x)")
        );
        assert_eq!(rewrite("(?i)ab[\\s\\S]*c", "").as_deref(), Some("(?i)\\A(?>[\\s\\S]*?ab)[\\s\\S]*?c"));
        // `.` without dot-all is not a scan over every character.
        assert_eq!(rewrite("ab.*c", ""), None);
        // X must be fixed-length: `a+` may end later than a later `a`.
        assert_eq!(rewrite("a+b.*c", "s"), None);
        assert_eq!(rewrite("(?:ab|c).*d", "s"), None);
        assert_eq!(rewrite("(?:ab|cd).*e", "s").as_deref(), Some("\\A(?>[\\s\\S]*?(?:ab|cd))[\\s\\S]*?e"));
        // No backreferences.
        assert_eq!(rewrite("(a).*\\1", "s"), None);
    }

    #[test]
    fn fixed_lengths() {
        let len = |p: &str| {
            let ir = parse(p, &ParseConfig::new(Flavor::Pcre)).expect("parses");
            fixed_length(&ir, ir.root)
        };
        assert_eq!(len("a\\b[bc]{3}(?:x|y)(?=z)"), Some(5));
        assert_eq!(len("ab?"), None);
        assert_eq!(len("(?:a|bc)"), None);
    }
}
