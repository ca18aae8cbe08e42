//! Proof of equivalence: two patterns accept the same inputs under the
//! consumer's semantics, decided on deterministic automata.
//!
//! Both patterns are parsed by cfglint's own front end for the same flavor
//! and flags, lowered to regex-syntax's `Hir` (the lowering the size budget
//! rule uses), compiled to regex-automata dense DFAs (byte-level, UTF-8) and
//! walked together (product construction) from their start states. At
//! every pair of states the two sides must agree on acceptance:
//!
//! - search ("some match exists"): unanchored start, and a side accepts once
//!   any match has been seen (acceptance is sticky);
//! - anchored-start (Python `re.match`): anchored start, sticky acceptance;
//! - full match: anchored start, accepting only at the end of input.
//!
//! Patterns the DFAs cannot model exactly are refused, never approximated:
//! look-around, backreferences, atomic groups and possessive quantifiers
//! (they change the language), `\G`, and `$` as "end or before a final
//! newline". The walk reads only valid UTF-8, the byte strings that spell
//! strings of characters: equivalence over them is equivalence over every
//! string the engine can see, including PCRE's byte mode (strings of code
//! points up to 0xFF), since both sides are read by the same parser. (An
//! unanchored DFA skips bytes that are not UTF-8 where `[\s\S]` would not
//! match them; no engine is ever given such a "character".)

use std::collections::HashMap;
use std::collections::VecDeque;

use regex_automata::dfa::{Automaton, StartKind, dense};
use regex_automata::nfa::thompson::{self, WhichCaptures};
use regex_automata::util::primitives::StateID;
use regex_automata::util::start;
use regex_automata::{Anchored, MatchKind};

use crate::analysis::ir::{Assertion, Greed, Ir, NodeKind};
use crate::source::{Flavor, Semantics};

/// Most product states explored before giving up (no proof claimed).
pub const DEFAULT_STATE_BUDGET: usize = 200_000;

/// Largest dense DFA (bytes) built for one side.
const DFA_SIZE_LIMIT: usize = 16 << 20;

/// The answer of [`equivalent`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Equivalence {
    /// Proven equivalent; `states` product states were explored.
    Equal {
        /// Product states explored.
        states: usize,
    },
    /// A string accepted by one side and not the other (as bytes).
    Differ {
        /// The distinguishing input.
        witness: Vec<u8>,
    },
    /// No proof either way: unsupported construct or budget.
    Unknown(String),
}

/// Why a pattern cannot be modeled exactly by a DFA, or `None` when it can.
pub fn unsupported(ir: &Ir) -> Option<&'static str> {
    for n in &ir.nodes {
        let why = match &n.kind {
            NodeKind::Look { .. } => "look-around",
            NodeKind::Backref { .. } => "a backreference",
            NodeKind::Atomic(_) => "an atomic group",
            NodeKind::Repeat(r) if r.greed == Greed::Possessive => "a possessive quantifier",
            NodeKind::Assert(Assertion::StartOfAttempt) => "`\\G`",
            NodeKind::Assert(Assertion::EndTextOptionalNewline) if !in_tail_position(ir, n) => {
                "`$` (end or before a final newline) with something after it"
            }
            _ => continue,
        };
        return Some(why);
    }
    if !ir.approximations.is_empty() {
        return Some("a construct the analysis approximates");
    }
    None
}

/// True when nothing can follow `node` in a match: the pattern ends there.
fn in_tail_position(ir: &Ir, node: &crate::analysis::ir::Node) -> bool {
    let target = ir.nodes.iter().position(|n| std::ptr::eq(n, node));
    let Some(target) = target else { return false };
    let mut stack = vec![ir.root];
    while let Some(id) = stack.pop() {
        if id.index() == target {
            return true;
        }
        match &ir.node(id).kind {
            NodeKind::Concat(items) => stack.extend(items.last().copied()),
            NodeKind::Alt(items) => stack.extend(items.iter().copied()),
            NodeKind::Group { child, .. } => stack.push(*child),
            NodeKind::Repeat(r) if r.max.is_some_and(|m| m <= 1) => stack.push(r.child),
            _ => {}
        }
    }
    false
}

/// `ir` with every `$` (end or before a final newline) spelled `\n?\z`.
/// Exact for "some match exists" when the `$` ends the pattern (see
/// [`in_tail_position`]): a match that ends before a final newline
/// becomes one that takes the newline too. Not exact for full match.
fn spell_out_dollar(ir: &Ir) -> Ir {
    use crate::analysis::ir::{CharSet, Node, NodeId, Repeat};
    let mut nodes: Vec<Node> = Vec::with_capacity(ir.nodes.len() + 8);
    let mut map: Vec<NodeId> = Vec::with_capacity(ir.nodes.len());
    let id = |n: usize| NodeId(u32::try_from(n).unwrap_or(u32::MAX));
    for node in &ir.nodes {
        let m = |c: &NodeId| map[c.index()];
        let kind = match &node.kind {
            NodeKind::Assert(Assertion::EndTextOptionalNewline) => {
                nodes.push(Node { kind: NodeKind::Set(CharSet::single('\n')), span: node.span });
                let nl = id(nodes.len() - 1);
                nodes.push(Node {
                    kind: NodeKind::Repeat(Repeat {
                        child: nl,
                        min: 0,
                        max: Some(1),
                        greed: Greed::Greedy,
                        op_span: node.span,
                    }),
                    span: node.span,
                });
                let opt = id(nodes.len() - 1);
                nodes.push(Node { kind: NodeKind::Assert(Assertion::EndText), span: node.span });
                let end = id(nodes.len() - 1);
                NodeKind::Concat(vec![opt, end])
            }
            NodeKind::Concat(items) => NodeKind::Concat(items.iter().map(m).collect()),
            NodeKind::Alt(items) => NodeKind::Alt(items.iter().map(m).collect()),
            NodeKind::Repeat(r) => NodeKind::Repeat(Repeat { child: m(&r.child), ..r.clone() }),
            NodeKind::Group { child, capture } => NodeKind::Group { child: m(child), capture: *capture },
            NodeKind::Atomic(c) => NodeKind::Atomic(m(c)),
            NodeKind::Look { child, behind, negated } => {
                NodeKind::Look { child: m(child), behind: *behind, negated: *negated }
            }
            other => other.clone(),
        };
        nodes.push(Node { kind, span: node.span });
        map.push(id(nodes.len() - 1));
    }
    Ir { root: map[ir.root.index()], nodes, ..ir.clone() }
}

fn build(ir: &Ir, flavor: Flavor, semantics: Semantics) -> Result<dense::DFA<Vec<u32>>, String> {
    if let Some(why) = unsupported(ir) {
        return Err(format!("the pattern uses {why}"));
    }
    let has_dollar = ir.nodes.iter().any(|n| n.kind == NodeKind::Assert(Assertion::EndTextOptionalNewline));
    if has_dollar && semantics == Semantics::FullMatch {
        return Err("`$` (end or before a final newline) under full-match semantics".into());
    }
    let spelled;
    let ir = if has_dollar {
        spelled = spell_out_dollar(ir);
        &spelled
    } else {
        ir
    };
    let hir = crate::analysis::lower::lower(
        ir,
        "",
        flavor,
        crate::analysis::lower::LowerOptions { bytes: false, captures: true },
    )
    .map_err(|_| "the pattern cannot be lowered to a DFA")?;
    let nfa = thompson::Compiler::new()
        .configure(thompson::Config::new().which_captures(WhichCaptures::None).nfa_size_limit(Some(DFA_SIZE_LIMIT)))
        .build_from_hir(&hir)
        .map_err(|e| format!("NFA: {e}"))?;
    let kind = if semantics == Semantics::Search { StartKind::Unanchored } else { StartKind::Anchored };
    dense::Builder::new()
        .configure(
            dense::Config::new()
                .match_kind(MatchKind::All)
                .start_kind(kind)
                .dfa_size_limit(Some(DFA_SIZE_LIMIT))
                .determinize_size_limit(Some(DFA_SIZE_LIMIT)),
        )
        .build_from_nfa(&nfa)
        .map_err(|e| format!("DFA: {e}"))
}

/// One side of the product: a DFA state, or "accepted already" for sticky
/// semantics (every continuation is accepted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Side {
    At(StateID),
    Accepted,
}

/// A pattern compiled for [`Compiled::equivalent`]: build the original once
/// and compare many candidates against it.
#[derive(Debug, Clone)]
pub struct Compiled {
    dfa: dense::DFA<Vec<u32>>,
    semantics: Semantics,
}

impl Compiled {
    /// Compile `ir` (parsed for `flavor`) for `semantics`.
    pub fn new(ir: &Ir, flavor: Flavor, semantics: Semantics) -> Result<Compiled, String> {
        Ok(Compiled { dfa: build(ir, flavor, semantics)?, semantics })
    }

    /// Decide whether `self` and `other` accept the same inputs, exploring
    /// at most `budget` product states.
    pub fn equivalent(&self, other: &Compiled, budget: usize) -> Equivalence {
        if self.semantics != other.semantics {
            return Equivalence::Unknown("compiled for different semantics".into());
        }
        product(&self.dfa, &other.dfa, self.semantics, budget)
    }
}

/// A product state: both sides and the UTF-8 decoder's state.
type Pair = (Side, Side, Utf8);

/// Each product state explored, with the state and byte it was reached
/// from (`None` for the start).
type Parents = HashMap<Pair, Option<(Pair, u8)>>;

/// Where a UTF-8 decoder stands: between characters, or inside one,
/// waiting for continuation bytes (`Cont(n)`: `n` more of `80..=BF`), or for
/// the restricted second byte after `E0`, `ED`, `F0` or `F4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Utf8 {
    Boundary,
    Cont(u8),
    AfterE0,
    AfterED,
    AfterF0,
    AfterF4,
}

impl Utf8 {
    /// The decoder after `byte`, or `None` when the bytes are not UTF-8.
    fn next(self, byte: u8) -> Option<Utf8> {
        use Utf8::{AfterE0, AfterED, AfterF0, AfterF4, Boundary, Cont};
        let cont = (0x80..=0xBF).contains(&byte);
        match self {
            Boundary => match byte {
                0x00..=0x7F => Some(Boundary),
                0xC2..=0xDF => Some(Cont(1)),
                0xE0 => Some(AfterE0),
                0xED => Some(AfterED),
                0xE1..=0xEF => Some(Cont(2)),
                0xF0 => Some(AfterF0),
                0xF1..=0xF3 => Some(Cont(3)),
                0xF4 => Some(AfterF4),
                _ => None,
            },
            Cont(1) if cont => Some(Boundary),
            Cont(n) if cont => Some(Cont(n - 1)),
            AfterE0 if (0xA0..=0xBF).contains(&byte) => Some(Cont(1)),
            AfterED if (0x80..=0x9F).contains(&byte) => Some(Cont(1)),
            AfterF0 if (0x90..=0xBF).contains(&byte) => Some(Cont(2)),
            AfterF4 if (0x80..=0x8F).contains(&byte) => Some(Cont(2)),
            _ => None,
        }
    }

    /// The bytes the decoder tells apart (each class behaves the same in
    /// every decoder state).
    fn class(byte: u8) -> u8 {
        match byte {
            0x00..=0x7F => 0,
            0x80..=0x8F => 1,
            0x90..=0x9F => 2,
            0xA0..=0xBF => 3,
            0xC0..=0xC1 => 4,
            0xC2..=0xDF => 5,
            0xE0 => 6,
            0xE1..=0xEC | 0xEE..=0xEF => 7,
            0xED => 8,
            0xF0 => 9,
            0xF1..=0xF3 => 10,
            0xF4 => 11,
            0xF5..=0xFF => 12,
        }
    }
}

/// Decide whether `a` and `b` (parsed for `flavor`) accept the same inputs
/// under `semantics`, exploring at most `budget` product states.
pub fn equivalent(a: &Ir, b: &Ir, flavor: Flavor, semantics: Semantics, budget: usize) -> Equivalence {
    match (Compiled::new(a, flavor, semantics), Compiled::new(b, flavor, semantics)) {
        (Ok(ca), Ok(cb)) => ca.equivalent(&cb, budget),
        (Err(e), _) | (_, Err(e)) => Equivalence::Unknown(e),
    }
}

fn product(da: &dense::DFA<Vec<u32>>, db: &dense::DFA<Vec<u32>>, semantics: Semantics, budget: usize) -> Equivalence {
    let anchored = if semantics == Semantics::Search { Anchored::No } else { Anchored::Yes };
    let config = start::Config::new().anchored(anchored);
    let (Ok(sa), Ok(sb)) = (da.start_state(&config), db.start_state(&config)) else {
        return Equivalence::Unknown("no start state (the pattern needs look-behind context)".into());
    };
    let sticky = semantics != Semantics::FullMatch;
    // One representative byte per triple of byte classes (both DFAs' and
    // the UTF-8 decoder's).
    let mut reps: Vec<u8> = Vec::new();
    let mut seen_classes = std::collections::HashSet::new();
    for byte in 0..=255u8 {
        if seen_classes.insert((da.byte_classes().get(byte), db.byte_classes().get(byte), Utf8::class(byte))) {
            reps.push(byte);
        }
    }
    // Parent pointers rebuild a witness.
    let mut parent: Parents = HashMap::new();
    let mut queue = VecDeque::new();
    let start = (Side::At(sa), Side::At(sb), Utf8::Boundary);
    parent.insert(start, None);
    queue.push_back(start);
    while let Some(pair) = queue.pop_front() {
        // Inputs end only between characters.
        if pair.2 == Utf8::Boundary && accepts(da, pair.0) != accepts(db, pair.1) {
            return Equivalence::Differ { witness: witness(&parent, pair) };
        }
        if pair.0 == Side::Accepted && pair.1 == Side::Accepted {
            continue;
        }
        for &byte in &reps {
            let Some(utf8) = pair.2.next(byte) else { continue };
            let next = (step(da, pair.0, byte, sticky), step(db, pair.1, byte, sticky), utf8);
            if parent.contains_key(&next) {
                continue;
            }
            if parent.len() >= budget {
                return Equivalence::Unknown(format!("more than {budget} product states"));
            }
            parent.insert(next, Some((pair, byte)));
            queue.push_back(next);
        }
    }
    Equivalence::Equal { states: parent.len() }
}

/// Where a character leads in a [`CharDfa`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Next {
    /// Some match has been seen: every continuation is accepted.
    Accepted,
    /// Row `n` of the automaton.
    State(usize),
}

/// A pattern's sticky ("some match has been seen") automaton read one
/// character at a time: each row has one transition per character class of
/// a partition the pattern cannot tell apart inside (see
/// `automaton::atoms`), and whether the input is accepted when it ends
/// there.
#[derive(Debug, Clone)]
pub struct CharDfa {
    /// The row reading starts in.
    pub start: usize,
    /// One row per state.
    pub rows: Vec<CharRow>,
}

/// A row of a [`CharDfa`].
#[derive(Debug, Clone)]
pub struct CharRow {
    /// Where each class's representative character leads.
    pub next: Vec<Next>,
    /// The input is accepted when it ends here.
    pub eoi: bool,
}

impl Compiled {
    /// The character-level automaton of a pattern compiled for search or
    /// anchored-start semantics: the byte DFA walked with one
    /// representative character per class (`reps`), accepting once a match
    /// has been seen. `Err` past `max_states` rows, for full-match
    /// semantics, or where the DFA gives up (a Unicode word boundary before
    /// a non-ASCII character).
    pub fn char_dfa(&self, reps: &[char], max_states: usize) -> Result<CharDfa, String> {
        if self.semantics == Semantics::FullMatch {
            return Err("full-match semantics".into());
        }
        let dfa = &self.dfa;
        let anchored = if self.semantics == Semantics::Search { Anchored::No } else { Anchored::Yes };
        let start = dfa
            .start_state(&start::Config::new().anchored(anchored))
            .map_err(|_| "no start state (the pattern needs look-behind context)")?;
        let mut index: HashMap<StateID, usize> = HashMap::from([(start, 0)]);
        let mut order = vec![start];
        let mut rows = Vec::new();
        let mut buf = [0u8; 4];
        while let Some(&s) = order.get(rows.len()) {
            let mut next = Vec::with_capacity(reps.len());
            for &c in reps {
                let mut side = Side::At(s);
                for &byte in c.encode_utf8(&mut buf).as_bytes() {
                    side = step(dfa, side, byte, true);
                    if let Side::At(t) = side
                        && dfa.is_quit_state(t)
                    {
                        return Err("the DFA gives up on this input (a Unicode word boundary)".into());
                    }
                }
                next.push(match side {
                    Side::Accepted => Next::Accepted,
                    Side::At(t) => {
                        let n = index.len();
                        let id = *index.entry(t).or_insert(n);
                        if id == n {
                            if n >= max_states {
                                return Err(format!("more than {max_states} states"));
                            }
                            order.push(t);
                        }
                        Next::State(id)
                    }
                });
            }
            rows.push(CharRow { next, eoi: accepts(dfa, Side::At(s)) });
        }
        Ok(CharDfa { start: 0, rows })
    }
}

fn accepts(dfa: &dense::DFA<Vec<u32>>, side: Side) -> bool {
    match side {
        Side::Accepted => true,
        Side::At(s) => dfa.is_match_state(dfa.next_eoi_state(s)),
    }
}

fn step(dfa: &dense::DFA<Vec<u32>>, side: Side, byte: u8, sticky: bool) -> Side {
    match side {
        Side::Accepted => Side::Accepted,
        Side::At(s) => {
            let next = dfa.next_state(s, byte);
            // Matches are reported one byte late: a match state after `byte`
            // means a match ended before it.
            if sticky && dfa.is_match_state(next) { Side::Accepted } else { Side::At(next) }
        }
    }
}

fn witness(parent: &Parents, mut at: Pair) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(Some((prev, byte))) = parent.get(&at) {
        out.push(*byte);
        at = *prev;
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::parse::{ParseConfig, parse};

    fn eq(a: &str, b: &str, semantics: Semantics) -> Equivalence {
        let cfg = ParseConfig::new(Flavor::Pcre);
        let (a, b) = (parse(a, &cfg).expect("parses"), parse(b, &cfg).expect("parses"));
        equivalent(&a, &b, Flavor::Pcre, semantics, DEFAULT_STATE_BUDGET)
    }

    #[test]
    fn textbook_rewrites_are_equal() {
        for (a, b) in [
            ("(a+)+", "(a+)"),
            ("(?:a|a?)+", "a*"),
            ("x\\s*\\s*y", "x\\s*y"),
            ("<[^>]*[^>]*>", "<[^>]*>"),
            ("^.*(?:.*=.*)\\z", "^.*=.*\\z"),
        ] {
            for s in [Semantics::Search, Semantics::AnchoredStart, Semantics::FullMatch] {
                assert!(matches!(eq(a, b, s), Equivalence::Equal { .. }), "{a} vs {b} under {s:?}");
            }
        }
    }

    #[test]
    fn search_semantics_drops_outer_wildcards() {
        assert!(matches!(eq(".*=.*", "=", Semantics::Search), Equivalence::Equal { .. }));
        // ...but not when the whole input must match.
        let Equivalence::Differ { witness } = eq(".*=.*", "=", Semantics::FullMatch) else { panic!("must differ") };
        assert!(witness.len() > 1 && witness.contains(&b'='), "{witness:?}");
    }

    #[test]
    fn different_languages_give_a_witness() {
        let Equivalence::Differ { witness } = eq("a\\s*b", "ab", Semantics::Search) else { panic!("must differ") };
        // The witness is accepted by exactly one side.
        let s = String::from_utf8(witness).expect("utf8");
        let (ra, rb) = (regex_automata::meta::Regex::new("a\\s*b"), regex_automata::meta::Regex::new("ab"));
        assert_ne!(ra.expect("ok").is_match(&s), rb.expect("ok").is_match(&s), "{s:?}");
    }

    /// Engines see characters: a byte that is not UTF-8 is never in the
    /// input. An unanchored search could skip one where `[^a]` cannot.
    #[test]
    fn only_strings_of_characters_are_compared() {
        assert!(matches!(eq("a", "\\A[^a]*a", Semantics::Search), Equivalence::Equal { .. }));
        assert!(matches!(eq("é", "\\A[^é]*é", Semantics::Search), Equivalence::Equal { .. }));
        // A witness is a string of characters.
        let Equivalence::Differ { witness } = eq("é", "\\A[^é]*éx", Semantics::Search) else {
            panic!("must differ")
        };
        assert!(String::from_utf8(witness).is_ok());
    }

    #[test]
    fn case_insensitivity_counts() {
        let cfg = ParseConfig::new(Flavor::Pcre).flags(crate::source::Flags::from_letters("i"));
        let a = parse("ab+", &cfg).expect("parses");
        let b = parse("ab+", &ParseConfig::new(Flavor::Pcre)).expect("parses");
        assert!(matches!(equivalent(&a, &b, Flavor::Pcre, Semantics::Search, 1000), Equivalence::Differ { .. }));
    }

    #[test]
    fn refuses_what_a_dfa_cannot_model() {
        for p in ["a(?=b)", "(a)\\1", "(?>a*)a", "a*+a", "a$b", "a$\\n"] {
            assert!(matches!(eq(p, p, Semantics::Search), Equivalence::Unknown(_)), "{p}");
        }
    }

    #[test]
    fn dollar_at_the_end_means_end_or_before_a_final_newline() {
        assert!(matches!(eq("^(a+)+$", "^(a+)$", Semantics::Search), Equivalence::Equal { .. }));
        // `a$` accepts "a\n"; `a\z` does not.
        let Equivalence::Differ { witness } = eq("a$", "a\\z", Semantics::Search) else { panic!("must differ") };
        assert_eq!(witness, b"a\n");
        assert!(matches!(eq("a$", "a\\n?\\z", Semantics::Search), Equivalence::Equal { .. }));
        assert!(matches!(eq("a$", "a$", Semantics::FullMatch), Equivalence::Unknown(_)));
    }

    #[test]
    fn budget_is_respected() {
        let a = "(a|b)*a(a|b)(a|b)(a|b)(a|b)(a|b)(a|b)(a|b)(a|b)(a|b)(a|b)";
        let cfg = ParseConfig::new(Flavor::Pcre);
        let ir = parse(a, &cfg).expect("parses");
        assert!(matches!(equivalent(&ir, &ir, Flavor::Pcre, Semantics::FullMatch, 10), Equivalence::Unknown(_)));
    }
}
