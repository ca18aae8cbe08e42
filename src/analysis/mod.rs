//! Analysis: what a regex costs a backtracking engine.
//!
//! Pipeline position: after `source`, before `verify` and `rules`.
//! `parse` turns a pattern into the [`ir::Ir`]; later stages build an NFA
//! that models the backtracking engine, decide ambiguity and construct
//! attack strings.

pub mod ir;
pub mod parse;
