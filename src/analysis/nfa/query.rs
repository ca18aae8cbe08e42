//! Queries on a built NFA, as the ambiguity and witness stages ask them.

use std::fmt::Write as _;

use super::build::span_text;
use super::{Edge, Entry, Guard, Nfa, StateId, StateKind, bits};
use crate::analysis::ir::{Ir, NodeId, NodeKind};

impl Guard {
    /// Whether the guard holds between `prev` and `next` (`None` for the
    /// start / end of input); `next_is_last` tells whether `next` is the
    /// last character of the input (for `$` before a final newline).
    pub fn holds(&self, nfa: &Nfa, prev: Option<char>, next: Option<char>, next_is_last: bool) -> bool {
        if let Some(p) = &self.prev {
            let ok = match prev {
                None => self.prev_start_ok,
                Some(c) => p.contains(c),
            };
            if !ok {
                return false;
            }
        }
        if let Some(n) = &self.next {
            let ok = match next {
                None => self.next_end_ok,
                Some(c) => n.contains(c),
            };
            if !ok {
                return false;
            }
        }
        let a = self.asserts;
        if a == 0 {
            return true;
        }
        if a & bits::START_TEXT != 0 && prev.is_some() {
            return false;
        }
        if a & bits::END_TEXT != 0 && next.is_some() {
            return false;
        }
        if a & bits::END_TEXT_NL != 0 && !(next.is_none() || (next == Some('\n') && next_is_last)) {
            return false;
        }
        if a & bits::START_LINE != 0 && !prev.is_none_or(|c| nfa.line_terminators.contains(c)) {
            return false;
        }
        if a & bits::END_LINE != 0 && !next.is_none_or(|c| nfa.line_terminators.contains(c)) {
            return false;
        }
        let word = |c: Option<char>| c.is_some_and(|c| nfa.word_chars.contains(c));
        if a & bits::WORD_B != 0 && word(prev) == word(next) {
            return false;
        }
        if a & bits::NOT_WORD_B != 0 && word(prev) != word(next) {
            return false;
        }
        true
    }
}

impl Nfa {
    /// Number of states.
    pub fn len(&self) -> usize {
        self.states.len()
    }

    /// True when the NFA has only its start state.
    pub fn is_empty(&self) -> bool {
        self.states.len() <= 1
    }

    /// The edges of a state, in priority order.
    pub fn edges(&self, s: StateId) -> impl Iterator<Item = &Edge> {
        self.states[s as usize].entries.iter().filter_map(|e| match e {
            Entry::Edge(e) => Some(e),
            Entry::Accept(_) => None,
        })
    }

    /// The repetitions (IR `Repeat` nodes) enclosing a state's character
    /// class, innermost first.
    pub fn enclosing_repeats(&self, ir: &Ir, s: StateId) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut cur = self.states[s as usize].node;
        let mut guard = 0;
        while let Some(n) = cur {
            guard += 1;
            if guard > 10_000 {
                break;
            }
            if matches!(ir.node(n).kind, NodeKind::Repeat(_)) {
                out.push(n);
            }
            cur = self.parents.get(n.index()).copied().flatten();
        }
        out
    }

    /// A human-readable dump: states with their sets and pattern spans, and
    /// every entry in priority order (for `cfglint debug nfa`).
    pub fn dump(&self, ir: &Ir) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "NFA: {} states, {} semantics{}",
            self.states.len(),
            self.semantics,
            if self.approximate { " (approximate)" } else { "" }
        );
        for (i, st) in self.states.iter().enumerate() {
            let what = match st.kind {
                StateKind::Start => "start".to_string(),
                StateKind::SearchLoop => "search loop [any]*?".to_string(),
                StateKind::Char | StateKind::LookBody => {
                    let span = st.node.map(|n| ir.node(n).span).unwrap_or_default();
                    let look = if st.kind == StateKind::LookBody { " (look-ahead body)" } else { "" };
                    format!("{} at {}{}", st.set, span_text(span), look)
                }
            };
            let _ = writeln!(s, "  {i}: {what}");
            for e in &st.entries {
                match e {
                    Entry::Edge(e) => {
                        let _ = write!(s, "      -> {} on {}", e.to, e.label);
                        if e.mult > 1 {
                            let _ = write!(s, " x2");
                        }
                        if !e.guard.is_trivial() {
                            let _ = write!(s, " if {}", describe_guard(&e.guard));
                        }
                        s.push('\n');
                    }
                    Entry::Accept(g) => {
                        if g.is_trivial() {
                            let _ = writeln!(s, "      accept");
                        } else {
                            let _ = writeln!(s, "      accept if {}", describe_guard(g));
                        }
                    }
                }
            }
        }
        for n in &self.notes {
            let _ = writeln!(s, "note: {n}");
        }
        s
    }
}

/// A short description of a guard for dumps.
pub fn describe_guard(g: &Guard) -> String {
    let mut parts = Vec::new();
    for (bit, name) in [
        (bits::START_TEXT, "\\A"),
        (bits::END_TEXT, "\\z"),
        (bits::END_TEXT_NL, "$"),
        (bits::START_LINE, "^(m)"),
        (bits::END_LINE, "$(m)"),
        (bits::WORD_B, "\\b"),
        (bits::NOT_WORD_B, "\\B"),
    ] {
        if g.asserts & bit != 0 {
            parts.push(name.to_string());
        }
    }
    if let Some(n) = &g.next {
        parts.push(format!("next in {n}{}", if g.next_end_ok { " or end" } else { "" }));
    }
    if let Some(p) = &g.prev {
        parts.push(format!("prev in {p}{}", if g.prev_start_ok { " or start" } else { "" }));
    }
    parts.join(", ")
}
