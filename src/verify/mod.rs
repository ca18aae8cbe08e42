//! Verification: run attack strings through a step-counting backtracking
//! simulator and fit the growth of steps against input size.
//!
//! Pipeline position: after `analysis` (which proposes attacks), before
//! `rules` (which report only what verification confirms).

pub mod simulator;

pub use simulator::{Cache, Outcome, Program, SimError, SimOptions, SimResult};
