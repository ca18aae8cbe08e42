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

use std::fmt::Write as _;

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

/// The first-occurrence rewrite without atomic groups, for every flavor
/// and for CRS regex-assembly lines (Go's syntax): `X S Y` (searched), where
/// `X` is a sequence of single characters whose first one cannot occur
/// again inside `X`, and `S` a loop over a set `D` that holds `X`,
/// becomes
///
/// ```text
/// X S Y   (searched)   →   L A X S Y      A = the strings over D without X
/// ```
///
/// with `L` = `\A` when `D` is every character, else `(?:\A|[^D])` (`^` for
/// JavaScript, which has no `\A`). `A` stops at the first occurrence of `X`
/// in the stretch of `D` that `L` starts, so `X` can match after `A` only
/// there, and the scan `S` runs once per stretch.
///
/// No lemma is needed: the result is an ordinary regular expression, and
/// the DFA product proves it equivalent to the original (search) before it
/// is taken. `A` is spelled as a deterministic walk of the "X so far"
/// automaton, so it cannot match a string in two ways:
///
/// ```text
/// [D-s1]*(?:s1(?:[D-s1-s2][D-s1]*|s2(?:[D-s1-s3][D-s1]*|s3(?: … )?)?)?)*
/// ```
///
/// Returns the candidate forms, most thorough first: with every scan but
/// the last also stopping at the first occurrence of the characters after
/// it (when there is such a scan), then with only `L A` added.
pub fn first_occurrence_regular(pattern: &str, ir: &Ir, flavor: Flavor, multiline: bool) -> Option<Vec<Regular>> {
    if ir.nodes.iter().any(|n| matches!(n.kind, NodeKind::Backref { .. } | NodeKind::Assert(Assertion::StartOfAttempt)))
        || !ir.approximations.is_empty()
    {
        return None;
    }
    let NodeKind::Concat(items) = &ir.node(ir.root).kind else { return None };
    let first = items.iter().position(|&c| !matches!(ir.node(c).kind, NodeKind::Empty))?;
    let scan_set = |id: NodeId| match &ir.node(id).kind {
        NodeKind::Repeat(r) if r.max.is_none() => match &ir.node(r.child).kind {
            NodeKind::Set(d) => Some((d.clone(), r.min)),
            _ => None,
        },
        _ => None,
    };
    let k = (first + 1..items.len()).find(|&k| scan_set(items[k]).is_some())?;
    let (d, _) = scan_set(items[k])?;
    let mut xs = Vec::new();
    for &c in &items[first..k] {
        set_sequence(ir, c, &mut xs)?;
    }
    if xs.iter().any(|s| !s.is_subset(&d)) {
        return None;
    }
    let avoid_x = avoid(&xs, &d)?;
    let any = CharSet::empty().complement();
    let start = match flavor {
        Flavor::Js if multiline => return None,
        Flavor::Js => "^",
        _ => "\\A",
    };
    let lead = if d == any { start.to_owned() } else { format!("(?:{start}|{})", class(&d.complement())?) };
    let x_start = ir.node(items[first]).span.start;
    let span = |id: NodeId| ir.node(id).span;
    let text = |a: usize, b: usize| pattern.get(a..b);
    let head = format!("{}{lead}{avoid_x}", text(0, x_start)?);
    let what = format!(
        "anchored the scan `{}` to the first occurrence of `{}`",
        text(span(items[k]).start, span(items[k]).end)?,
        text(x_start, span(items[k]).start)?
    );
    let mut out = vec![Regular { pattern: format!("{head}{}", text(x_start, pattern.len())?), what: what.clone() }];
    // A second form, tried first: every scan but the last, when single
    // characters follow it, stops at their first occurrence too
    // (`union.*?select.*?from`). It holds when what follows those
    // characters cannot do better from a later occurrence; the DFA decides.
    let (mut second, mut second_what, mut at) = (head, what, x_start);
    let scans: Vec<usize> = (k..items.len()).filter(|&j| scan_set(items[j]).is_some()).collect();
    for &j in scans.iter().rev().skip(1).rev() {
        let Some((dj, 0)) = scan_set(items[j]) else { continue };
        let mut ys = Vec::new();
        for &c in &items[j + 1..] {
            let mut more = ys.clone();
            if set_sequence(ir, c, &mut more).is_none() || more.iter().any(|s| !s.is_subset(&dj)) {
                break;
            }
            ys = more;
        }
        let Some(avoid_y) = avoid(&ys, &dj) else { continue };
        let sj = span(items[j]);
        let _ = write!(second, "{}{avoid_y}", text(at, sj.start)?);
        let _ = write!(second_what, ", and `{}` to the first occurrence of what follows it", text(sj.start, sj.end)?);
        at = sj.end;
    }
    if at != x_start {
        second.push_str(text(at, pattern.len())?);
        out.insert(0, Regular { pattern: second, what: second_what });
    }
    for r in &mut out {
        r.what.push_str(": it runs once");
    }
    Some(out)
}

/// A letter, a digit, `\n` or `\r` alone is written bare, anything else as
/// a class (`None` when it cannot be spelled portably).
fn class(set: &CharSet) -> Option<String> {
    match set.ranges() {
        [(a, b)] if a == b && char::from_u32(*a).is_some_and(|c| c.is_ascii_alphanumeric()) => {
            char::from_u32(*a).map(String::from)
        }
        [(0x0A, 0x0A)] => Some("\\n".to_owned()),
        [(0x0D, 0x0D)] => Some("\\r".to_owned()),
        _ => super::rewrite::print_class(set),
    }
}

/// The strings over `d` in which the sequence `xs` does not occur, spelled
/// as a deterministic walk (see [`first_occurrence_regular`]); `None` when
/// the first set of `xs` meets a later one (the walk would have to keep
/// two partial occurrences) or a class cannot be spelled.
fn avoid(xs: &[CharSet], d: &CharSet) -> Option<String> {
    let (s1, rest) = xs.split_first()?;
    if rest.iter().any(|s| s.intersects(s1)) || xs.iter().any(CharSet::is_empty) {
        return None;
    }
    let n0 = class(&d.difference(s1))?;
    if rest.is_empty() {
        return Some(format!("{n0}*"));
    }
    // Innermost first: after s1..s(i), either a character that is not s1
    // and not s(i+1) (then back to the start), or s(i+1) and deeper.
    let mut inner = String::new();
    for (i, si) in rest.iter().enumerate().rev() {
        let miss = d.difference(s1).difference(si);
        let miss = if miss.is_empty() { String::new() } else { format!("{}{n0}*", class(&miss)?) };
        let deeper = if i + 1 == rest.len() { String::new() } else { format!("{}{inner}", class(si)?) };
        inner = match (miss.is_empty(), deeper.is_empty()) {
            (true, true) => String::new(),
            (false, true) => format!("(?:{miss})?"),
            (true, false) => format!("(?:{deeper})?"),
            (false, false) => format!("(?:{miss}|{deeper})?"),
        };
    }
    Some(format!("{n0}*(?:{}{inner})*", class(s1)?))
}

/// A first-occurrence rewrite without atomic groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Regular {
    /// The rewritten pattern.
    pub pattern: String,
    /// The step, for the notes.
    pub what: String,
}

/// Append the sets of `id` when every match of it is one fixed sequence of
/// single characters (sets, groups of them, counted repetitions `{n}`).
fn set_sequence(ir: &Ir, id: NodeId, out: &mut Vec<CharSet>) -> Option<()> {
    match &ir.node(id).kind {
        NodeKind::Set(s) => out.push(s.clone()),
        NodeKind::Empty => {}
        NodeKind::Group { child, .. } => set_sequence(ir, *child, out)?,
        NodeKind::Concat(items) => {
            for &c in items {
                set_sequence(ir, c, out)?;
            }
        }
        NodeKind::Repeat(r) if r.max == Some(r.min) && r.min <= 16 => {
            for _ in 0..r.min {
                set_sequence(ir, r.child, out)?;
            }
        }
        _ => return None,
    }
    (out.len() <= 64).then_some(())
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
    fn regular_form_needs_a_first_character_that_does_not_come_back() {
        let regular = |p: &str, flags: &str, flavor: Flavor| {
            let ir = parse(p, &ParseConfig::new(flavor).flags(Flags::from_letters(flags))).expect("parses");
            first_occurrence_regular(p, &ir, flavor, flags.contains('m'))
                .and_then(|r| r.last().map(|r| r.pattern.clone()))
        };
        assert_eq!(
            regular("ab[\\s\\S]*c", "", Flavor::Pcre).as_deref(),
            Some("\\A[^a]*(?:a(?:[^ab][^a]*)?)*ab[\\s\\S]*c")
        );
        assert_eq!(regular("x.*c", "s", Flavor::Pcre).as_deref(), Some("\\A[^x]*x.*c"));
        assert_eq!(
            regular("(?i)ab.*c", "s", Flavor::Pcre).as_deref(),
            Some("(?i)\\A[^Aa]*(?:[Aa](?:[^ABab][^Aa]*)?)*ab.*c")
        );
        // `aab`: after "aa" a third `a` keeps two of them; the walk below
        // does not model that.
        assert_eq!(regular("aab[\\s\\S]*c", "", Flavor::Pcre), None);
        // X must be single characters, and inside the scan's set.
        assert_eq!(regular("a+b[\\s\\S]*c", "", Flavor::Pcre), None);
        assert_eq!(regular("a\\nb.*c", "", Flavor::Pcre), None);
        // JavaScript's `^` is a line start under `m`.
        assert_eq!(regular("ab[\\s\\S]*c", "m", Flavor::Js), None);
        assert!(regular("ab[\\s\\S]*c", "", Flavor::Js).is_some_and(|p| p.starts_with('^')));
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
