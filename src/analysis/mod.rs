//! Analysis: what a regex costs a backtracking engine.
//!
//! Pipeline position: after `source`, before `verify` and `rules`.
//! `parse` turns a pattern into the [`ir::Ir`]; later stages build an NFA
//! that models the backtracking engine, decide ambiguity and construct
//! attack strings.

pub mod ambiguity;
pub mod candidates;
pub mod ir;
pub mod lower;
pub mod nfa;
pub mod parse;
pub mod witness;

use serde::{Deserialize, Serialize};

/// An attack string in three parts: `prefix` reaches the ambiguous loops,
/// `pump` is repeated `n` times, `suffix` makes the overall match fail so
/// the engine must try every way of matching the pumped part.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Attack {
    /// Text before the pumped part.
    pub prefix: String,
    /// The ambiguous word, repeated.
    pub pump: String,
    /// Text after the pumped part that forces failure.
    pub suffix: String,
}

impl Attack {
    /// The attack input with the pump repeated `n` times.
    pub fn build(&self, n: usize) -> String {
        let mut s = String::with_capacity(self.prefix.len() + self.pump.len() * n + self.suffix.len());
        s.push_str(&self.prefix);
        for _ in 0..n {
            s.push_str(&self.pump);
        }
        s.push_str(&self.suffix);
        s
    }
}
