//! Verification: run attack strings through a step-counting backtracking
//! simulator and fit the growth of steps against input size.
//!
//! Pipeline position: after `analysis` (which proposes attacks), before
//! `rules` (which report only what verification confirms).
//!
//! - [`simulator`]: compile an [`Ir`](crate::analysis::ir::Ir) into a
//!   [`Program`] and run it on an input, counting steps.
//! - [`growth`]: run an [`Attack`](crate::analysis::Attack) for growing `n`
//!   and classify the growth ([`measure`]).
//! - [`engine`]: replay a confirmed attack on the real PCRE2
//!   ([`engine::Replayer`]), the second witness for `pcre` verdicts.
//! - [`verdict`]: the verdict on a pattern: static candidates from
//!   `analysis::candidates`, confirmed here ([`verdict::check`]).

pub mod engine;
pub mod growth;
pub mod simulator;
pub mod verdict;

pub use growth::{Growth, GrowthClass, GrowthConfig, Model, measure};
pub use simulator::{Cache, Outcome, Program, SimError, SimOptions, SimResult};
