//! CL007 size-budget: the pattern's compiled automaton is larger than the
//! budget.
//!
//! Linear-time engines never backtrack; their cost is memory. RE2, Go and
//! Rust all compile a pattern into a Thompson NFA (RE2's and Go's "prog"),
//! and a counted repetition copies its body: `[\w-]{50,1000}` is a thousand
//! copies of `[\w-]`, and with Unicode `\w` (Rust) each copy is a UTF-8
//! automaton of a few hundred states. We build that NFA with regex-automata
//! (the Rust `regex` crate's engine) and compare its heap size with the
//! budget (`[analysis] max-nfa-bytes`, default
//! [`DEFAULT_MAX_NFA_BYTES`](super::DEFAULT_MAX_NFA_BYTES)).
//!
//! - `rust` patterns are compiled from the pattern text exactly as the
//!   `regex` crate would (regex-syntax, Unicode on).
//! - `re2` patterns are lowered from our RE2-mode IR, so the classes are
//!   RE2's (ASCII `\w`, `\d`, `\s`, `\b`) and Go-only syntax such as a
//!   literal `{` is fine.
//! - Other flavors are not checked (their cost is time; CL001/CL002), but
//!   [`measure_nfa`] works for them too, for `bench`.
//!
//! Not measured: DFA state explosion (`(a|b)*a(a|b){20}` has a 2 KB NFA and
//! a 2^20-state DFA). The lazy DFAs of RE2 and Rust bound it with a cache
//! and fall back to the NFA, and Go builds no DFA at all; measuring it
//! means determinizing, which takes up to a second per gitleaks rule.
//! Compilation is capped (at four times the budget, at least 32 MiB), so
//! the check itself never uses unbounded memory.

use regex_automata::nfa::thompson::{self, NFA, WhichCaptures};
use regex_automata::util::syntax;

use crate::analysis::ir::{Ir, NodeKind};
use crate::analysis::lower::{self, LowerOptions};
use crate::analysis::parse::{self, ParseConfig};
use crate::finding::Finding;
use crate::source::{Flags, Flavor, PatternSpan};

use super::{DEFAULT_MAX_NFA_BYTES, PatternContext, Rule, RuleMeta};

/// CL007.
pub(crate) struct SizeBudget;

/// The `regex` crate's default `size_limit` (10 MiB): bigger patterns do
/// not compile.
const RUST_SIZE_LIMIT: usize = 10 << 20;
/// RE2's default `max_mem` (8 MiB), of which about two thirds go to the
/// compiled program.
const RE2_MAX_MEM: usize = 8 << 20;

/// The measured size of a pattern's compiled NFA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NfaSize {
    /// Heap bytes of regex-automata's Thompson NFA.
    Bytes(usize),
    /// Compilation stopped at this limit: the NFA is larger.
    OverLimit(usize),
}

impl NfaSize {
    /// The size, or the limit it exceeded.
    pub fn at_least(self) -> usize {
        match self {
            NfaSize::Bytes(b) | NfaSize::OverLimit(b) => b,
        }
    }
}

/// Compile `pattern` as `flavor` reads it into a Thompson NFA, stopping at
/// `limit` bytes. `None` when a linear engine cannot compile it at all
/// (look-around, backreferences, a syntax error).
pub fn measure_nfa(pattern: &str, flavor: Flavor, flags: Flags, limit: usize) -> Option<NfaSize> {
    let config = NFA::config().nfa_size_limit(Some(limit)).shrink(false);
    let result = if flavor == Flavor::Rust {
        let syntax = syntax::Config::new()
            .case_insensitive(flags.case_insensitive)
            .multi_line(flags.multi_line)
            .dot_matches_new_line(flags.dot_all)
            .ignore_whitespace(flags.extended);
        thompson::Compiler::new().syntax(syntax).configure(config).build(pattern)
    } else {
        let ir = parse::parse(pattern, &ParseConfig::new(flavor).flags(flags)).ok()?;
        let hir = lower::lower(&ir, pattern, flavor, LowerOptions { bytes: false, captures: true }).ok()?;
        thompson::Compiler::new().configure(config.which_captures(WhichCaptures::None)).build_from_hir(&hir)
    };
    match result {
        Ok(nfa) => Some(NfaSize::Bytes(nfa.memory_usage())),
        Err(e) if e.size_limit().is_some() => Some(NfaSize::OverLimit(limit)),
        Err(_) => None,
    }
}

impl Rule for SizeBudget {
    fn meta(&self) -> &'static RuleMeta {
        super::meta("size-budget")
    }

    fn check(&self, cx: &PatternContext<'_>, out: &mut Vec<Finding>) {
        let flavor = cx.pattern.flavor;
        if !matches!(flavor, Flavor::Re2 | Flavor::Rust) {
            return;
        }
        let budget = cx.settings.max_nfa_bytes.unwrap_or(DEFAULT_MAX_NFA_BYTES);
        let cap = budget.saturating_mul(4).max(32 << 20);
        let Some(size) = measure_nfa(&cx.pattern.pattern, flavor, cx.pattern.flags, cap) else { return };
        let bytes = size.at_least();
        if bytes <= budget {
            return;
        }
        let measured = match size {
            NfaSize::Bytes(b) => bytes_text(b),
            NfaSize::OverLimit(l) => format!("more than {}", bytes_text(l)),
        };
        let mut message = format!("the compiled NFA takes {measured}, over the {} budget", bytes_text(budget));
        match flavor {
            Flavor::Rust if bytes > RUST_SIZE_LIMIT => {
                message.push_str("; the regex crate refuses it at its default 10 MiB size limit");
            }
            Flavor::Re2 if bytes > RE2_MAX_MEM => {
                message.push_str("; RE2 (C++) likely refuses it (default max_mem 8 MiB)");
            }
            _ => {}
        }
        // Underline the repetition that multiplies the most, if one does.
        let culprit = cx.ir().as_ref().ok().and_then(largest_counted_repeat);
        let mut f = cx.finding(self.meta(), culprit.map(|(span, _)| span), message);
        f.primary_label = Some(match culprit {
            Some((_, n)) => format!("{n} copies of its body"),
            None => measured.clone(),
        });
        f.help = Some(
            "a counted repetition copies its body: prefer an unbounded repetition (`{50,}`) with a length check in \
             code, an ASCII class (`[A-Za-z0-9_]`, or `(?-u:\\w)` in Rust) instead of Unicode `\\w`, or split the \
             pattern"
                .to_owned(),
        );
        f.notes.push(format!(
            "measured with regex-automata's Thompson NFA, with the classes {} reads (`[analysis] max-nfa-bytes` \
             sets the budget)",
            super::unsupported_in_flavor::engine(flavor)
        ));
        out.push(f);
    }
}

/// The counted repetition with the largest upper count (at least 32), and
/// that count.
fn largest_counted_repeat(ir: &Ir) -> Option<(PatternSpan, u32)> {
    ir.nodes
        .iter()
        .filter_map(|n| match &n.kind {
            NodeKind::Repeat(r) => Some((n.span, r.max.unwrap_or(r.min))),
            _ => None,
        })
        .filter(|&(_, count)| count >= 32)
        .max_by_key(|&(span, count)| (count, std::cmp::Reverse(span.start)))
}

/// `17.6 MiB`, `88 KiB`, `512 B`.
fn bytes_text(b: usize) -> String {
    if b >= 1 << 20 {
        format!("{:.1} MiB", b as f64 / f64::from(1u32 << 20))
    } else if b >= 1 << 10 {
        format!("{:.0} KiB", b as f64 / 1024.0)
    } else {
        format!("{b} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::{LintOptions, lint_pattern};
    use crate::source::Semantics;

    fn run(pattern: &str, flavor: Flavor, budget: Option<usize>) -> Vec<Finding> {
        let mut opts = LintOptions::default();
        opts.rules.select = vec!["CL007".into()];
        opts.rules.max_nfa_bytes = budget;
        lint_pattern(pattern, flavor, Flags::default(), Semantics::Search, &opts).findings
    }

    #[test]
    fn unicode_word_in_a_big_count() {
        // The gitleaks PyPI rule: fine in RE2/Go (ASCII `\w`), too big for
        // the Rust regex crate (Unicode `\w`).
        let p = r"pypi-AgEIcHlwaS5vcmc[\w-]{50,1000}";
        let f = run(p, Flavor::Rust, None);
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("refuses it at its default 10 MiB"), "{}", f[0].message);
        assert_eq!(f[0].span.map(|s| (s.start, s.end)), Some((20, 34)));
        assert_eq!(f[0].primary_label.as_deref(), Some("1000 copies of its body"));
        assert!(run(p, Flavor::Re2, None).is_empty());
        assert!(run(p, Flavor::Pcre, None).is_empty(), "backtracking flavors are not checked");
    }

    #[test]
    fn budget_is_configurable() {
        let p = r"[a-z]{1000}";
        assert!(run(p, Flavor::Re2, None).is_empty());
        let f = run(p, Flavor::Re2, Some(4096));
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("over the 4 KiB budget"), "{}", f[0].message);
    }

    #[test]
    fn measures_re2_only_syntax() {
        // A literal `{` is fine in Go; regex-syntax would reject it.
        let m = measure_nfa(r"^\$(?:\d+|{\d+})$", Flavor::Re2, Flags::default(), 1 << 20);
        assert!(matches!(m, Some(NfaSize::Bytes(b)) if b > 0 && b < 10_000), "{m:?}");
        assert_eq!(measure_nfa(r"(?<=a)b", Flavor::Re2, Flags::default(), 1 << 20), None);
        assert_eq!(measure_nfa(r"\w{500}", Flavor::Rust, Flags::default(), 1 << 20), Some(NfaSize::OverLimit(1 << 20)));
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(bytes_text(512), "512 B");
        assert_eq!(bytes_text(90_000), "88 KiB");
        assert_eq!(bytes_text(17_598_220), "16.8 MiB");
    }
}
