//! The automaton rewrite: a searched pattern spelled from its own minimal
//! DFA, anchored at the start of the input.
//!
//! The other rewrites edit the pattern's text; where none helps (a scan
//! after a prefix that is an alternation of words or holds a loop, such as
//! the 2019 rule's `(?:"|'|…|nan|infinity|…)+[)]*;?((?:\s|-|~|!|{}|\|\||\+)*.*(?:.*=.*))`),
//! the search retry itself is the blow-up. This rewrite reads "some match
//! exists" off the pattern's sticky DFA instead (the automaton that
//! accepts once any match has been seen, [`equiv::Compiled::char_dfa`]),
//! minimizes it, and turns it back into a regular expression by state
//! elimination:
//!
//! ```text
//! R   (searched)   →   \A P
//! ```
//!
//! where `P` spells the paths from the start state to the first point of
//! acceptance (a character whose reading accepts, or `\z` at a state that
//! accepts at the end of the input). `\A P` matches a prefix of the input
//! exactly when reading it accepts, so it is searched-equivalent to `R`;
//! the DFA product checks that like any rewrite's.
//!
//! Why it is linear: state elimination on a deterministic automaton gives
//! an *unambiguous* expression (Book, Even, Greibach and Ott, 1971): every
//! string has at most one parse, and so every prefix of the input reaches
//! each position of the expression in at most one way. A backtracking
//! engine, anchored by `\A`, explores each (prefix, position) once, so it
//! does work linear in the input. cfglint's analysis and the replays of the
//! finding's attack check it on the result all the same.
//!
//! The expression spells character classes, not the pattern's words, so it
//! is longer and harder to read than the original; it is only tried when
//! no edit of the text is proven, and its size is bounded.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use crate::analysis::ir::{Assertion, CharSet, Ir, NodeKind};
use crate::analysis::parse::{ParseConfig, parse};
use crate::source::{Flags, Flavor, Semantics};

use super::equiv::{CharDfa, Compiled, Next};

/// Most states of the character-level DFA walked.
const MAX_DFA_STATES: usize = 2_000;

/// Most states of the minimal DFA turned into an expression.
const MAX_MINIMAL_STATES: usize = 64;

/// The classes of characters the pattern cannot tell apart: the common
/// refinement of every character set it uses, of the word characters when
/// it has `\b` or `\B`, and of `\n` (line anchors, `$`).
pub fn atoms(ir: &Ir) -> Vec<CharSet> {
    let mut atoms = vec![CharSet::any()];
    let split = |set: &CharSet, atoms: &mut Vec<CharSet>| {
        let mut out = Vec::with_capacity(atoms.len() + 1);
        for a in atoms.drain(..) {
            let (inside, outside) = (a.intersect(set), a.difference(set));
            out.extend([inside, outside].into_iter().filter(|s| !s.is_empty()));
        }
        *atoms = out;
    };
    split(&CharSet::single('\n'), &mut atoms);
    let word = CharSet::from_ranges([
        (u32::from('0'), u32::from('9')),
        (u32::from('A'), u32::from('Z')),
        (u32::from('_'), u32::from('_')),
        (u32::from('a'), u32::from('z')),
    ]);
    for node in &ir.nodes {
        match &node.kind {
            NodeKind::Set(set) => split(set, &mut atoms),
            NodeKind::Assert(Assertion::WordBoundary | Assertion::NotWordBoundary) => split(&word, &mut atoms),
            _ => {}
        }
    }
    atoms.sort();
    atoms
}

/// A regular expression over character classes, as state elimination
/// builds it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Re {
    /// The empty string.
    Eps,
    /// One character of the set.
    Set(CharSet),
    /// The end of the input.
    End,
    /// A sequence (two or more items, none `Eps`).
    Cat(Vec<Re>),
    /// Alternatives (two or more, at most one `Eps`).
    Alt(Vec<Re>),
    /// Zero or more.
    Star(Box<Re>),
}

fn cat(a: Re, b: Re) -> Re {
    let mut items = Vec::new();
    for r in [a, b] {
        match r {
            Re::Eps => {}
            Re::Cat(xs) => items.extend(xs),
            other => items.push(other),
        }
    }
    match items.len() {
        0 => Re::Eps,
        1 => items.pop().unwrap_or(Re::Eps),
        _ => Re::Cat(items),
    }
}

fn cat_all(items: Vec<Re>) -> Re {
    items.into_iter().fold(Re::Eps, cat)
}

/// The first item of a sequence, and the rest.
fn head(r: &Re) -> (Re, Re) {
    match r {
        Re::Cat(xs) => (xs[0].clone(), cat_all(xs[1..].to_vec())),
        other => (other.clone(), Re::Eps),
    }
}

fn alt(a: Re, b: Re) -> Re {
    let mut items: Vec<Re> = Vec::new();
    for r in [a, b] {
        match r {
            Re::Alt(xs) => items.extend(xs),
            other => items.push(other),
        }
    }
    // Single characters merge into one class.
    let mut set: Option<CharSet> = None;
    items.retain(|r| match r {
        Re::Set(s) => {
            set = Some(set.as_ref().map_or_else(|| s.clone(), |t| t.union(s)));
            false
        }
        _ => true,
    });
    items.extend(set.map(Re::Set));
    items.sort();
    items.dedup();
    // Alternatives that start alike share their first item.
    let mut groups: Vec<(Re, Vec<Re>)> = Vec::new();
    for r in items {
        let (h, t) = head(&r);
        if h == Re::Eps {
            groups.push((Re::Eps, vec![Re::Eps]));
            continue;
        }
        match groups.iter_mut().find(|(g, _)| *g == h) {
            Some((_, tails)) => tails.push(t),
            None => groups.push((h, vec![t])),
        }
    }
    let mut out: Vec<Re> = Vec::new();
    for (h, tails) in groups {
        if tails.len() == 1 {
            out.push(cat(h, tails.into_iter().next().unwrap_or(Re::Eps)));
        } else {
            let tail = tails.into_iter().reduce(alt).unwrap_or(Re::Eps);
            out.push(cat(h, tail));
        }
    }
    out.sort();
    out.dedup();
    match out.len() {
        0 => Re::Eps,
        1 => out.pop().unwrap_or(Re::Eps),
        _ => Re::Alt(out),
    }
}

fn star(r: Re) -> Re {
    match r {
        Re::Eps => Re::Eps,
        s @ Re::Star(_) => s,
        Re::Alt(xs) if xs.contains(&Re::Eps) => {
            star(xs.into_iter().filter(|x| *x != Re::Eps).reduce(alt).unwrap_or(Re::Eps))
        }
        other => Re::Star(Box::new(other)),
    }
}

/// A size for the elimination order: the items of the expression.
fn size(r: &Re) -> usize {
    match r {
        Re::Eps | Re::Set(_) | Re::End => 1,
        Re::Cat(xs) | Re::Alt(xs) => xs.iter().map(size).sum::<usize>() + 1,
        Re::Star(x) => size(x) + 1,
    }
}

/// A DFA minimized (Moore): `rows` over the same classes, with `None` for
/// "accepted", and the start row.
struct Minimal {
    rows: Vec<(Vec<Option<usize>>, bool)>,
    start: usize,
}

fn minimize(dfa: &CharDfa) -> Minimal {
    let n = dfa.rows.len();
    // Row `n` is the accepting sink.
    let target = |t: &Next| match t {
        Next::Accepted => n,
        Next::State(s) => *s,
    };
    let width = dfa.rows.first().map_or(0, |r| r.next.len());
    let mut class: Vec<usize> = (0..=n).map(|s| usize::from(s == n || dfa.rows[s].eoi)).collect();
    loop {
        let mut ids: HashMap<(usize, Vec<usize>), usize> = HashMap::new();
        let mut next_class = Vec::with_capacity(n + 1);
        for s in 0..=n {
            let sig: Vec<usize> = if s == n {
                vec![class[n]; width]
            } else {
                dfa.rows[s].next.iter().map(|t| class[target(t)]).collect()
            };
            let len = ids.len();
            next_class.push(*ids.entry((class[s], sig)).or_insert(len));
        }
        let (before, after) = (class.iter().max().copied(), next_class.iter().max().copied());
        class = next_class;
        if before == after {
            break;
        }
    }
    // Renumber so the sink's class is "accepted" and the rest are rows.
    let sink = class[n];
    let mut number: HashMap<usize, usize> = HashMap::new();
    let mut rows = Vec::new();
    for (s, &c) in class.iter().enumerate().take(n) {
        if c == sink || number.contains_key(&c) {
            continue;
        }
        number.insert(c, rows.len());
        rows.push(s);
    }
    let map = |t: &Next| {
        let c = class[target(t)];
        if c == sink { None } else { number.get(&c).copied() }
    };
    let rows = rows.iter().map(|&s| (dfa.rows[s].next.iter().map(map).collect(), dfa.rows[s].eoi)).collect();
    let start = number.get(&class[dfa.start]).copied().unwrap_or(usize::MAX);
    Minimal { rows, start }
}

/// The automaton rewrite of a searched (or anchored-start) pattern, or why
/// there is none. `compiled` is the pattern compiled for `semantics`.
pub fn rewrite(
    ir: &Ir,
    compiled: &Compiled,
    flavor: Flavor,
    flags: Flags,
    semantics: Semantics,
    max_len: usize,
) -> Result<String, String> {
    if flags.extended {
        return Err("extended mode".into());
    }
    let (start, end) = match flavor {
        Flavor::Pcre | Flavor::Java | Flavor::Onigmo => ("\\A", "\\z"),
        Flavor::Python => ("\\A", "\\Z"),
        Flavor::Js if !flags.multi_line => ("^", "$"),
        _ => return Err("no portable anchors for this flavor".into()),
    };
    let atoms = atoms(ir);
    // Surrogate code points are never in an engine's input.
    let atoms: Vec<(CharSet, char)> = atoms.into_iter().filter_map(|a| a.representative().map(|c| (a, c))).collect();
    let reps: Vec<char> = atoms.iter().map(|(_, c)| *c).collect();
    let dfa = compiled.char_dfa(&reps, MAX_DFA_STATES)?;
    let min = minimize(&dfa);
    if min.start == usize::MAX {
        return Err("the pattern matches every input".into());
    }
    if min.rows.len() > MAX_MINIMAL_STATES {
        return Err(format!("its minimal DFA has {} states", min.rows.len()));
    }
    // Every item prints at least one character: past `max_len` items the
    // expression is too long anyway (and elimination can grow it
    // exponentially).
    let body = eliminate(&min, &atoms, max_len).ok_or_else(|| format!("the expression grows past {max_len} bytes"))?;
    let mut out = String::new();
    if semantics == Semantics::Search {
        out.push_str(start);
    }
    let printer = Printer::new(flavor, flags, end);
    if matches!(body, Re::Alt(ref xs) if !xs.contains(&Re::Eps)) {
        printer.item(&body, &mut out)
    } else {
        printer.print(&body, &mut out, false)
    }
    .ok_or("a character class cannot be spelled portably")?;
    Ok(out)
}

/// State elimination: the expression for the paths from the start row to
/// acceptance.
fn eliminate(min: &Minimal, atoms: &[(CharSet, char)], max_size: usize) -> Option<Re> {
    let n = min.rows.len();
    let (first, last) = (n, n + 1);
    // Rows from which acceptance can be reached; the others are dropped.
    let mut alive: Vec<bool> = min.rows.iter().map(|(next, eoi)| *eoi || next.iter().any(Option::is_none)).collect();
    loop {
        let mut changed = false;
        for s in 0..n {
            if !alive[s] && min.rows[s].0.iter().any(|t| t.is_some_and(|t| alive[t])) {
                alive[s] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut edges: BTreeMap<(usize, usize), Re> = BTreeMap::new();
    let add = |edges: &mut BTreeMap<(usize, usize), Re>, from: usize, to: usize, r: Re| {
        let merged = match edges.remove(&(from, to)) {
            Some(old) => alt(old, r),
            None => r,
        };
        edges.insert((from, to), merged);
    };
    if alive.get(min.start).copied().unwrap_or(false) {
        add(&mut edges, first, min.start, Re::Eps);
    }
    for (s, (next, eoi)) in min.rows.iter().enumerate() {
        if !alive[s] {
            continue;
        }
        for (t, (set, _)) in next.iter().zip(atoms) {
            match t {
                None => add(&mut edges, s, last, Re::Set(set.clone())),
                Some(t) if alive[*t] => add(&mut edges, s, *t, Re::Set(set.clone())),
                Some(_) => {}
            }
        }
        if *eoi {
            add(&mut edges, s, last, Re::End);
        }
    }
    let mut left: Vec<usize> = (0..n).filter(|&s| alive[s]).collect();
    while !left.is_empty() {
        // The row whose removal adds the least (Delgado and Morais).
        let weight = |k: usize| {
            let ins: Vec<usize> = edges.iter().filter(|((a, b), _)| *b == k && *a != k).map(|(_, r)| size(r)).collect();
            let outs: Vec<usize> =
                edges.iter().filter(|((a, b), _)| *a == k && *b != k).map(|(_, r)| size(r)).collect();
            let looped = edges.get(&(k, k)).map_or(0, size);
            let (i, o) = (ins.len(), outs.len());
            ins.iter().sum::<usize>() * o.saturating_sub(1)
                + outs.iter().sum::<usize>() * i.saturating_sub(1)
                + looped * (i * o).saturating_sub(1)
        };
        let Some(at) = (0..left.len()).min_by_key(|&i| (weight(left[i]), left[i])) else { break };
        let k = left.swap_remove(at);
        let looped = edges.remove(&(k, k)).map_or(Re::Eps, star);
        let ins: Vec<(usize, Re)> =
            edges.iter().filter(|((_, b), _)| *b == k).map(|((a, _), r)| (*a, r.clone())).collect();
        let outs: Vec<(usize, Re)> =
            edges.iter().filter(|((a, _), _)| *a == k).map(|((_, b), r)| (*b, r.clone())).collect();
        edges.retain(|(a, b), _| *a != k && *b != k);
        for (p, rin) in &ins {
            for (q, rout) in &outs {
                if size(rin) + size(&looped) + size(rout) > max_size {
                    return None;
                }
                let path = cat(cat(rin.clone(), looped.clone()), rout.clone());
                add(&mut edges, *p, *q, path);
                if edges.get(&(*p, *q)).is_some_and(|r| size(r) > max_size) {
                    return None;
                }
            }
        }
    }
    Some(edges.remove(&(first, last)).unwrap_or(Re::Eps))
}

/// Spells the expression for one flavor: character classes with the
/// flavor's own shorthands (`\d`, `\s`, `\w` as the flavor reads them).
struct Printer {
    /// Each shorthand's set, its spelling and its negation's.
    shorthands: Vec<(CharSet, &'static str, &'static str)>,
    /// How the end of the input is written.
    end: &'static str,
    /// Whose escapes a character beyond ASCII is written with.
    flavor: Flavor,
}

impl Printer {
    fn new(flavor: Flavor, flags: Flags, end: &'static str) -> Printer {
        let config = ParseConfig::new(flavor).flags(flags);
        let mut shorthands = Vec::new();
        for (pos, neg) in [("\\w", "\\W"), ("\\s", "\\S"), ("\\d", "\\D")] {
            if let Ok(ir) = parse(pos, &config)
                && let NodeKind::Set(set) = &ir.node(ir.root).kind
            {
                shorthands.push((set.clone(), pos, neg));
            }
        }
        Printer { shorthands, end, flavor }
    }

    /// A character class, or `None` when it cannot be spelled portably
    /// (a character beyond ASCII that no shorthand covers, in PCRE, whose
    /// byte mode rejects code points above 0xFF).
    fn set(&self, set: &CharSet) -> Option<String> {
        if set.is_any() {
            return Some("[\\s\\S]".into());
        }
        let surrogates = CharSet::from_ranges([(0xD800, 0xDFFF)]);
        let same = |a: &CharSet, b: &CharSet| a.difference(&surrogates) == b.difference(&surrogates);
        for (sh, pos, neg) in &self.shorthands {
            if same(sh, set) {
                return Some((*pos).into());
            }
            if same(&sh.complement(), set) {
                return Some((*neg).into());
            }
        }
        if let [(a, b)] = set.ranges()
            && a == b
            && let Some(c) = char::from_u32(*a)
            && c.is_ascii()
        {
            return Some(literal(c));
        }
        let pieces: Vec<(CharSet, &str)> = self
            .shorthands
            .iter()
            .flat_map(|(sh, pos, neg)| {
                [(sh.difference(&surrogates), *pos), (sh.complement().difference(&surrogates), *neg)]
            })
            .collect();
        let mut best: Option<String> = None;
        for (content, negated) in [(set.difference(&surrogates), false), (set.union(&surrogates).complement(), true)] {
            let mut text = String::from(if negated { "[^" } else { "[" });
            let mut rest = content.clone();
            for (piece, name) in &pieces {
                if !piece.is_empty() && piece.is_subset(&content) && piece.intersects(&rest) {
                    text.push_str(name);
                    rest = rest.difference(piece);
                }
            }
            if text.len() == 1 + usize::from(negated) && rest.is_empty() {
                continue;
            }
            let mut ok = true;
            for &(a, b) in rest.ranges() {
                ok &= class_char(&mut text, a, self.flavor);
                if b > a {
                    if b > a + 1 {
                        text.push('-');
                    }
                    ok &= class_char(&mut text, b, self.flavor);
                }
            }
            text.push(']');
            if ok && best.as_ref().is_none_or(|t| text.len() < t.len()) {
                best = Some(text);
            }
        }
        best
    }

    fn print(&self, r: &Re, out: &mut String, top: bool) -> Option<()> {
        match r {
            Re::Eps => {}
            Re::Set(set) => out.push_str(&self.set(set)?),
            Re::End => out.push_str(self.end),
            Re::Cat(xs) => {
                let mut i = 0;
                while i < xs.len() {
                    // `x x*` reads as `x+`.
                    if let Some(Re::Star(s)) = xs.get(i + 1)
                        && **s == xs[i]
                    {
                        self.item(&xs[i], out)?;
                        out.push('+');
                        i += 2;
                        continue;
                    }
                    self.print(&xs[i], out, false)?;
                    i += 1;
                }
            }
            Re::Alt(xs) => {
                let rest: Vec<&Re> = xs.iter().filter(|x| **x != Re::Eps).collect();
                if rest.len() < xs.len() {
                    let inner = rest.iter().map(|x| (*x).clone()).reduce(alt).unwrap_or(Re::Eps);
                    self.item(&inner, out)?;
                    out.push('?');
                } else {
                    if !top {
                        out.push_str("(?:");
                    }
                    for (i, x) in xs.iter().enumerate() {
                        if i > 0 {
                            out.push('|');
                        }
                        self.print(x, out, true)?;
                    }
                    if !top {
                        out.push(')');
                    }
                }
            }
            Re::Star(x) => {
                self.item(x, out)?;
                out.push('*');
            }
        }
        Some(())
    }

    /// `r` as one item a quantifier can follow.
    fn item(&self, r: &Re, out: &mut String) -> Option<()> {
        if matches!(r, Re::Set(_)) {
            return self.print(r, out, false);
        }
        out.push_str("(?:");
        self.print(r, out, true)?;
        out.push(')');
        Some(())
    }
}

/// One ASCII character outside a class.
fn literal(c: char) -> String {
    match c {
        '\n' => "\\n".into(),
        '\r' => "\\r".into(),
        '\t' => "\\t".into(),
        c if c.is_ascii_alphanumeric() || "=\"',:;<>@%!_~&-/ #`".contains(c) => c.to_string(),
        c if "\\.^$|?*+()[]{}".contains(c) => format!("\\{c}"),
        c => format!("\\x{:02x}", u32::from(c)),
    }
}

/// One character inside a class; false when the flavor has no portable
/// spelling for it.
fn class_char(s: &mut String, c: u32, flavor: Flavor) -> bool {
    match char::from_u32(c) {
        Some(ch) if ch.is_ascii_alphanumeric() || "=\"',:;<>@%!_~&/ #`.*+?$|(){}".contains(ch) => s.push(ch),
        Some('\n') => s.push_str("\\n"),
        Some('\t') => s.push_str("\\t"),
        Some('\r') => s.push_str("\\r"),
        Some(ch) if "\\]^[-".contains(ch) => {
            s.push('\\');
            s.push(ch);
        }
        _ if c <= 0x7F => {
            let _ = write!(s, "\\x{c:02x}");
        }
        _ => match flavor {
            Flavor::Python | Flavor::Js if c <= 0xFFFF => {
                let _ = write!(s, "\\u{c:04x}");
            }
            Flavor::Python => {
                let _ = write!(s, "\\U{c:08x}");
            }
            Flavor::Java | Flavor::Onigmo => {
                let _ = write!(s, "\\x{{{c:x}}}");
            }
            _ => return false,
        },
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fix::equiv::{DEFAULT_STATE_BUDGET, Equivalence};

    fn spelled(pattern: &str, flavor: Flavor, flags: &str, semantics: Semantics) -> Result<String, String> {
        let flags = Flags::from_letters(flags);
        let ir = parse(pattern, &ParseConfig::new(flavor).flags(flags)).map_err(|e| e.to_string())?;
        let compiled = Compiled::new(&ir, flavor, semantics)?;
        rewrite(&ir, &compiled, flavor, flags, semantics, 4096)
    }

    fn equivalent(a: &str, b: &str, flavor: Flavor, flags: &str, semantics: Semantics) -> bool {
        let config = ParseConfig::new(flavor).flags(Flags::from_letters(flags));
        let (a, b) = (parse(a, &config).expect("parses"), parse(b, &config).expect("parses"));
        matches!(
            crate::fix::equiv::equivalent(&a, &b, flavor, semantics, DEFAULT_STATE_BUDGET),
            Equivalence::Equal { .. }
        )
    }

    #[test]
    fn a_searched_pattern_is_spelled_from_its_minimal_dfa() {
        // CRS 932281 (brace expansion): retried at every `{`.
        let p = "\\{[^\\s,:}]*,[^\\s]*\\}";
        let got = spelled(p, Flavor::Pcre, "", Semantics::Search).expect("spelled");
        assert_eq!(got, "\\A(?:[^{]|\\{[^\\s,:}]*(?:[\\s:}]|,[^\\s}]*\\s))*\\{[^\\s,:}]*,[^\\s}]*\\}");
        assert!(equivalent(p, &got, Flavor::Pcre, "", Semantics::Search));
        // Words, classes, `\b`, `$`, case-insensitivity and each flavor's
        // anchors: always equivalent, never with a group.
        for (p, flavor, flags) in [
            ("ab.*cd", Flavor::Pcre, ""),
            ("a\\b.*\\bb", Flavor::Pcre, "i"),
            ("x[^y]*y$", Flavor::Java, ""),
            ("(?:foo|bar)\\s*=\\s*\\d+", Flavor::Python, ""),
            ("<a\\s.*?href", Flavor::Js, "i"),
        ] {
            let got = spelled(p, flavor, flags, Semantics::Search).unwrap_or_else(|e| panic!("{p}: {e}"));
            let start = if flavor == Flavor::Js { "^" } else { "\\A" };
            assert!(got.starts_with(start) && !got.contains("(?<") && !got.contains("(?P"), "{p} → {got}");
            assert!(equivalent(p, &got, flavor, flags, Semantics::Search), "{p} → {got}");
        }
    }

    #[test]
    fn anchored_start_needs_no_anchor() {
        let p = "\\w*set\\w*id\\s*$";
        let got = spelled(p, Flavor::Python, "", Semantics::AnchoredStart).expect("spelled");
        assert!(!got.starts_with("\\A"), "{got}");
        assert!(got.ends_with("\\Z") || got.contains("\\Z"), "Python's end of input: {got}");
        assert!(equivalent(p, &got, Flavor::Python, "", Semantics::AnchoredStart), "{got}");
    }

    #[test]
    fn what_cannot_be_spelled_is_refused() {
        // Full match (a fragment's exact language) has no sticky automaton.
        assert!(spelled("a.*b", Flavor::Pcre, "", Semantics::FullMatch).is_err());
        // Extended mode would drop the spaces the classes spell.
        assert!(spelled("a .*b", Flavor::Pcre, "x", Semantics::Search).is_err());
        // JavaScript's `^` is a line anchor in multi-line mode.
        assert!(spelled("a.*b", Flavor::Js, "m", Semantics::Search).is_err());
        // Too many states, or too long an expression: words tracked at once.
        let words = "(?:alpha|bravo|charlie|delta|echo|foxtrot|golf|hotel|india|juliet|kilo|lima).*=";
        let err = spelled(words, Flavor::Pcre, "", Semantics::Search).expect_err("too big");
        assert!(err.contains("states") || err.contains("grows past"), "{err}");
    }

    #[test]
    fn minimization_merges_states_that_accept_alike() {
        // `a` and `aa…a` are one language searched: one state before the
        // match, none after.
        let got = spelled("a+", Flavor::Pcre, "", Semantics::Search).expect("spelled");
        assert_eq!(got, "\\A[^a]*a");
    }
}
