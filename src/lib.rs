//! cfglint: lint the regexes inside config files.
//!
//! The pipeline, each stage a plain function over plain data:
//!
//! 1. [`source`]: find every regex in a config file, with the exact span of
//!    its raw text and an offset map through the file's escapes.
//! 2. [`analysis`]: parse the pattern for its flavor into an IR with spans,
//!    and decide what it costs a backtracking engine.
//! 3. [`verify`]: confirm attack strings with a step-counting simulator.
//! 4. [`rules`]: turn analyses into [`report::Finding`]s.
//! 5. [`report`]: render findings (human, JSON, SARIF, GitHub).
//!
//! [`lint`] runs the pipeline over files; [`diff`] lints a change and
//! [`rollout`] plans its staged rollout; [`config`] reads `cfglint.toml`;
//! [`cli`] is the command line. The library never prints; the `cfglint`
//! binary parses arguments, calls the library and renders findings.

#![deny(clippy::print_stdout, clippy::print_stderr, clippy::dbg_macro)]

pub mod analysis;
pub mod bench;
pub mod cli;
pub mod config;
pub mod diff;
pub mod fix;
pub mod fsutil;
pub mod lint;
pub mod report;
pub mod rollout;
pub mod rules;
pub mod source;
pub mod verify;
