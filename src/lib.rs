//! cfglint: lint the regexes inside config files.
//!
//! The pipeline, each stage a plain function over plain data:
//!
//! 1. [`source`]: find every regex in a config file, with the exact span of
//!    its raw text and an offset map through the file's escapes.
//! 2. [`analysis`]: parse the pattern for its flavor into an IR with spans,
//!    and decide what it costs a backtracking engine.
//! 3. [`verify`]: confirm attack strings with a step-counting simulator and
//!    replay them on real PCRE2 ([`engine`]).
//! 4. [`fix`]: rewrites proven equivalent and linear.
//! 5. [`rules`]: turn analyses into [`finding::Finding`]s.
//! 6. [`report`]: render findings (human, JSON, SARIF, GitHub).
//!
//! [`lint`] runs the pipeline over files (with its result cache, inline
//! suppressions and baseline files); [`diff`] lints a change read through
//! [`git`]; [`rollout`] plans and drives its staged rollout; [`bench`]
//! measures WAF rules on a corpus; [`config`] reads `cfglint.toml`; [`cli`]
//! is the command line. The library never prints; the `cfglint` binary
//! parses arguments, calls the library and renders findings.
//!
//! Layers, each using only those below it (`tests/layers.rs` keeps it so):
//!
//! | layer | modules |
//! |-------|---------|
//! | 0 | [`fsutil`], [`git`] |
//! | 1 | [`source`] |
//! | 2 | [`analysis`], [`engine`] |
//! | 3 | [`verify`] |
//! | 4 | [`fix`] |
//! | 5 | [`finding`] |
//! | 6 | [`rules`] |
//! | 7 | [`config`], [`report`] |
//! | 8 | [`lint`], [`bench`] |
//! | 9 | [`diff`] |
//! | 10 | [`rollout`] |
//! | 11 | [`cli`] |

#![deny(clippy::print_stdout, clippy::print_stderr, clippy::dbg_macro)]

pub mod analysis;
pub mod bench;
pub mod cli;
pub mod config;
pub mod diff;
pub mod engine;
pub mod finding;
pub mod fix;
pub mod fsutil;
pub mod git;
pub mod lint;
pub mod report;
pub mod rollout;
pub mod rules;
pub mod source;
pub mod verify;
