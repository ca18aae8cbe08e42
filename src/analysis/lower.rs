//! Lower the IR to regex-syntax's [`Hir`], for regex-automata's linear
//! engines: the NFA size budget (CL007), the DFA equivalence proof of
//! `cfglint fix`, and bench's linear-engine figures.
//!
//! Where it sits: after `parse`, beside the backtracking analysis; it reads
//! the IR only. One lowering for every consumer, with two choices
//! ([`LowerOptions`]): Unicode or byte classes, captures kept or dropped.
//!
//! Semantics kept exactly: PCRE's `$` (the end, or before a final newline)
//! becomes `\n?` then the end, which matches the same inputs; `\b` is ASCII
//! unless the flavor's word characters are Unicode (Rust, Python); atomic
//! groups and possessive quantifiers lose their commitment (a finite
//! automaton explores every path; callers that need the commitment say so).
//! Constructs a finite automaton cannot run (look-around, backreferences,
//! `\G`) are an [`Unlowerable`] naming them.
//!
//! Guarantees: bottom-up over the arena (children have smaller ids than
//! their parents; every node has one parent), so no recursion and no
//! copying of subtrees: deep nesting cannot overflow the stack.

use regex_syntax::hir::{self, Hir};

use super::ir::{Assertion, Greed, Ir, NodeId, NodeKind};
use crate::source::Flavor;

/// How to lower.
#[derive(Debug, Clone, Copy, Default)]
pub struct LowerOptions {
    /// Byte mode, as PCRE without `PCRE2_UTF` (ModSecurity) reads a
    /// subject: a class matches the bytes whose Latin-1 character it
    /// holds, and a non-ASCII character written as itself in the pattern
    /// matches its UTF-8 bytes. Otherwise classes are Unicode.
    pub bytes: bool,
    /// Keep capture groups (the equivalence proof compares them); dropped
    /// otherwise, which matches the same inputs at less cost.
    pub captures: bool,
}

/// A construct a finite automaton cannot run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unlowerable {
    /// What it is: `look-ahead`, `a backreference`, `` `\G` ``.
    pub what: &'static str,
    /// Its byte offset in the pattern.
    pub at: usize,
}

impl std::fmt::Display for Unlowerable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (pattern offset {}) needs a backtracking engine", self.what, self.at)
    }
}

/// Lower `ir` (parsed from `pattern` as `flavor` reads it). `pattern` is
/// read only in byte mode, for characters written as themselves.
pub fn lower(ir: &Ir, pattern: &str, flavor: Flavor, opts: LowerOptions) -> Result<Hir, Unlowerable> {
    let unicode_word = matches!(flavor, Flavor::Rust | Flavor::Python);
    let mut built: Vec<Option<Hir>> = Vec::with_capacity(ir.nodes.len());
    for node in &ir.nodes {
        let at = node.span.start;
        let cannot = |what: &'static str| Unlowerable { what, at };
        // A child missing here is a malformed arena; name it rather than
        // panic.
        let mut take = |id: NodeId| built.get_mut(id.index()).and_then(Option::take).ok_or(cannot("a malformed tree"));
        let h = match &node.kind {
            NodeKind::Empty => Hir::empty(),
            NodeKind::Fail => Hir::fail(),
            NodeKind::Set(set) if opts.bytes => {
                let text = pattern.get(node.span.start..node.span.end).unwrap_or("");
                let mut chars = text.chars();
                if let (Some(c), None) = (chars.next(), chars.next())
                    && !c.is_ascii()
                    && set.contains(c)
                {
                    let mut buf = [0u8; 4];
                    Hir::literal(c.encode_utf8(&mut buf).as_bytes())
                } else {
                    let ranges = set
                        .ranges()
                        .iter()
                        .filter(|&&(a, _)| a <= 0xFF)
                        .map(|&(a, b)| hir::ClassBytesRange::new(a as u8, b.min(0xFF) as u8));
                    Hir::class(hir::Class::Bytes(hir::ClassBytes::new(ranges)))
                }
            }
            NodeKind::Set(set) => {
                let ranges = set.ranges().iter().flat_map(|&(a, b)| {
                    // Surrogates are not `char`s: split around them.
                    let pieces = [(a, b.min(0xD7FF)), (a.max(0xE000), b)];
                    pieces
                        .into_iter()
                        .filter(|(x, y)| x <= y)
                        .filter_map(|(x, y)| Some(hir::ClassUnicodeRange::new(char::from_u32(x)?, char::from_u32(y)?)))
                });
                let class = hir::ClassUnicode::new(ranges);
                if class.ranges().is_empty() { Hir::fail() } else { Hir::class(hir::Class::Unicode(class)) }
            }
            NodeKind::Concat(items) => Hir::concat(items.iter().map(|&c| take(c)).collect::<Result<Vec<_>, _>>()?),
            NodeKind::Alt(items) => Hir::alternation(items.iter().map(|&c| take(c)).collect::<Result<Vec<_>, _>>()?),
            NodeKind::Repeat(r) => Hir::repetition(hir::Repetition {
                min: r.min,
                max: r.max,
                greedy: r.greed != Greed::Lazy,
                sub: Box::new(take(r.child)?),
            }),
            NodeKind::Group { child, capture: Some(index) } if opts.captures => {
                Hir::capture(hir::Capture { index: *index, name: None, sub: Box::new(take(*child)?) })
            }
            NodeKind::Group { child, .. } | NodeKind::Atomic(child) => take(*child)?,
            NodeKind::Look { behind, .. } => return Err(cannot(if *behind { "look-behind" } else { "look-ahead" })),
            NodeKind::Backref { .. } => return Err(cannot("a backreference")),
            NodeKind::Assert(a) => match a {
                Assertion::StartText => Hir::look(hir::Look::Start),
                Assertion::EndText => Hir::look(hir::Look::End),
                // The end, or before a final newline: consuming that
                // newline matches the same inputs.
                Assertion::EndTextOptionalNewline => Hir::concat(vec![
                    Hir::repetition(hir::Repetition {
                        min: 0,
                        max: Some(1),
                        greedy: true,
                        sub: Box::new(Hir::literal(*b"\n")),
                    }),
                    Hir::look(hir::Look::End),
                ]),
                Assertion::StartLine => Hir::look(hir::Look::StartLF),
                Assertion::EndLine => Hir::look(hir::Look::EndLF),
                Assertion::WordBoundary if unicode_word && !opts.bytes => Hir::look(hir::Look::WordUnicode),
                Assertion::WordBoundary => Hir::look(hir::Look::WordAscii),
                Assertion::NotWordBoundary if unicode_word && !opts.bytes => Hir::look(hir::Look::WordUnicodeNegate),
                Assertion::NotWordBoundary => Hir::look(hir::Look::WordAsciiNegate),
                Assertion::StartOfAttempt => return Err(cannot("`\\G`")),
            },
        };
        built.push(Some(h));
    }
    built.get_mut(ir.root.index()).and_then(Option::take).ok_or(Unlowerable { what: "a malformed tree", at: 0 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::parse::{ParseConfig, parse};

    fn lowered(p: &str, opts: LowerOptions) -> Result<Hir, Unlowerable> {
        let mut config = ParseConfig::new(Flavor::Pcre);
        config.nest_limit = 100_000;
        let ir = parse(p, &config).expect("parses");
        lower(&ir, p, Flavor::Pcre, opts)
    }

    #[test]
    fn names_what_a_finite_automaton_cannot_run() {
        assert_eq!(lowered("a(?=b)", LowerOptions::default()).unwrap_err(), Unlowerable { what: "look-ahead", at: 1 });
        assert_eq!(lowered(r"(a)\1", LowerOptions::default()).unwrap_err().what, "a backreference");
        assert_eq!(lowered(r"\Ga", LowerOptions::default()).unwrap_err().what, "`\\G`");
    }

    #[test]
    fn keeps_pcre_dollar_exactly() {
        let hir = lowered("a$", LowerOptions { bytes: true, captures: false }).expect("lowers");
        let re = regex_automata::meta::Regex::builder()
            .configure(regex_automata::meta::Regex::config().utf8_empty(false))
            .build_from_hir(&hir)
            .expect("builds");
        assert!(re.is_match(&b"xa\n"[..]));
        assert!(!re.is_match(&b"xa\n\n"[..]));
    }

    #[test]
    fn captures_are_kept_only_when_asked() {
        let with = lowered("(a)", LowerOptions { bytes: false, captures: true }).expect("lowers");
        let without = lowered("(a)", LowerOptions::default()).expect("lowers");
        assert_eq!(with.properties().explicit_captures_len(), 1);
        assert_eq!(without.properties().explicit_captures_len(), 0);
    }

    #[test]
    fn deep_nesting_does_not_recurse() {
        // Deeper than any stack would take recursively (the parser allows it
        // when its nest limit is raised).
        let p = format!("{}a{}", "(?:".repeat(50_000), ")".repeat(50_000));
        assert!(lowered(&p, LowerOptions { bytes: true, captures: false }).is_ok());
    }
}
