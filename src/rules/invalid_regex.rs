//! CL004 invalid-regex: the pattern does not compile for its flavor.
//!
//! Who decides validity, per flavor:
//! - `rust`: regex-syntax, the `regex` crate's own parser
//!   ([`validate_rust`]), with its error span.
//! - `re2`: our parser in RE2 mode, plus RE2/Go's limit on repetition
//!   counts (at most 1000 copies, nested counts multiplied), plus
//!   regex-syntax for the error kinds where it and RE2 agree (a regex-syntax
//!   error is not enough on its own: Go accepts a literal `{` that Rust
//!   rejects).
//! - `pcre`: our parser's syntax errors, then (in builds with PCRE2, the
//!   default) the linked PCRE2 compiler itself, which catches what our
//!   parser accepts: duplicate group names, unknown verbs `(*FOO)`, nested
//!   counts past its limits, `[\w--\d]`, nesting past its depth limit.
//! - `js`, `python`, `java`: our parser's syntax errors.
//!
//! Two kinds of failure are not reported here: a pattern beyond the
//! parser's limits (`ParseErrorKind::Limit`: too long or nested too deep to
//! analyze, which is not the same as invalid), and a syntax error that a
//! construct the flavor lacks explains (a backreference in RE2, `a++` in
//! JavaScript): CL006 reports those with a better message.

use regex_syntax::ast;
use regex_syntax::hir;

use crate::analysis::ir::{Ir, NodeKind};
use crate::analysis::parse::{ParseError, ParseErrorKind, validate_rust};
use crate::finding::Finding;
use crate::source::{Flags, Flavor, PatternSpan};

use super::unsupported_in_flavor::engine;
use super::{PatternContext, Rule, RuleMeta};

/// CL004.
pub(crate) struct InvalidRegex;

impl Rule for InvalidRegex {
    fn meta(&self) -> &'static RuleMeta {
        super::meta("invalid-regex")
    }

    fn check(&self, cx: &PatternContext<'_>, out: &mut Vec<Finding>) {
        let meta = self.meta();
        let flavor = cx.pattern.flavor;
        let Some(error) = syntax_error(cx) else { return };
        // A construct the flavor lacks is CL006's to report.
        if cx.unsupported().iter().any(|u| u.span.start <= error.span.start && error.span.start <= u.span.end) {
            return;
        }
        let message = format!("the pattern does not compile in {}: {}", engine(flavor), error.message);
        let mut f = cx.finding(meta, Some(error.span), message);
        f.help = help(&error.message);
        out.push(f);
    }
}

/// The first syntax error of the pattern for its flavor, if any.
fn syntax_error(cx: &PatternContext<'_>) -> Option<ParseError> {
    let pattern = &cx.pattern.pattern;
    match cx.pattern.flavor {
        Flavor::Rust => validate_rust(pattern, cx.pattern.flags).err(),
        Flavor::Re2 => match cx.ir() {
            Err(e) => (e.kind == ParseErrorKind::Syntax).then(|| e.clone()),
            Ok(ir) => re2_repeat_limit(ir, pattern).or_else(|| regex_syntax_agrees(pattern, cx.pattern.flags)),
        },
        Flavor::Pcre => match cx.ir() {
            Err(e) if e.kind == ParseErrorKind::Syntax => Some(e.clone()),
            // Beyond our parser's limits: only PCRE2 can say it is invalid.
            Err(_) => pcre2_rejects(pattern, cx.pattern.flags),
            Ok(ir) => pcre_count_limit(ir, pattern).or_else(|| pcre2_rejects(pattern, cx.pattern.flags)),
        },
        // PCRE2 is no judge of Ruby syntax (`\uHHHH`, `\h`): our parser,
        // which reads Onigmo's escapes, is the only one.
        Flavor::Js | Flavor::Python | Flavor::Java | Flavor::Onigmo => match cx.ir() {
            Err(e) if e.kind == ParseErrorKind::Syntax => Some(e.clone()),
            _ => None,
        },
    }
}

/// PCRE2's own verdict: compiled (byte mode, as ModSecurity and the bench
/// run it) by the PCRE2 linked into cfglint; its message and offset when it
/// refuses.
#[cfg(feature = "pcre2")]
fn pcre2_rejects(pattern: &str, flags: Flags) -> Option<ParseError> {
    let e = crate::engine::pcre::Pcre::new(pattern, flags, crate::engine::pcre::Limits::default()).err()?;
    let mut at = e.offset.min(pattern.len());
    while !pattern.is_char_boundary(at) {
        at -= 1;
    }
    Some(ParseError {
        kind: ParseErrorKind::Syntax,
        message: format!("{} (PCRE2 stops at pattern offset {})", e.message, e.offset),
        span: PatternSpan::new(at, at),
    })
}

/// Without PCRE2 linked, our parser is the only judge.
#[cfg(not(feature = "pcre2"))]
fn pcre2_rejects(_pattern: &str, _flags: Flags) -> Option<ParseError> {
    None
}

/// RE2 and Go refuse a counted repetition `{n,m}` with a count above 1000,
/// and nested counted repetitions whose counts multiply past 1000 (Go's
/// `repeatIsValid`; RE2's `RepetitionWalker`). `*`, `+` and `?` do not
/// count. Reports the first offending repetition in the pattern.
fn re2_repeat_limit(ir: &Ir, pattern: &str) -> Option<ParseError> {
    const LIMIT: u64 = 1000;
    // copies[i]: the largest product of counts along a path from node i
    // down (bottom-up: children have smaller ids).
    let mut copies: Vec<u64> = Vec::with_capacity(ir.nodes.len());
    let mut worst: Option<(usize, ParseError)> = None;
    for node in &ir.nodes {
        let get = |id: crate::analysis::ir::NodeId, c: &Vec<u64>| c.get(id.index()).copied().unwrap_or(1);
        let v = match &node.kind {
            NodeKind::Concat(items) | NodeKind::Alt(items) => items.iter().map(|&c| get(c, &copies)).max().unwrap_or(1),
            NodeKind::Group { child, .. } | NodeKind::Atomic(child) | NodeKind::Look { child, .. } => {
                get(*child, &copies)
            }
            NodeKind::Repeat(r) => {
                let counted = pattern.get(r.op_span.range()).is_some_and(|op| op.starts_with('{'));
                if !counted {
                    get(r.child, &copies)
                } else if r.max == Some(0) {
                    1
                } else {
                    let m = u64::from(r.max.unwrap_or(r.min));
                    let total = m.max(1).saturating_mul(get(r.child, &copies));
                    if total > LIMIT && worst.as_ref().is_none_or(|(at, _)| r.op_span.start < *at) {
                        let message = if u64::from(r.min) > LIMIT || r.max.is_some_and(|x| u64::from(x) > LIMIT) {
                            format!("repetition count above RE2/Go's limit of {LIMIT}")
                        } else {
                            format!("nested counted repetitions make {total} copies, over RE2/Go's limit of {LIMIT}")
                        };
                        worst = Some((
                            r.op_span.start,
                            ParseError { kind: ParseErrorKind::Syntax, message, span: r.op_span },
                        ));
                    }
                    total
                }
            }
            _ => 1,
        };
        copies.push(v);
    }
    worst.map(|(_, e)| e)
}

/// PCRE2 refuses a repetition count above 65,535 ("number too big in {}
/// quantifier", compile error 105); other flavors accept far larger counts.
fn pcre_count_limit(ir: &Ir, pattern: &str) -> Option<ParseError> {
    const LIMIT: u32 = 65_535;
    ir.nodes
        .iter()
        .filter_map(|node| match &node.kind {
            NodeKind::Repeat(r)
                if pattern.get(r.op_span.range()).is_some_and(|op| op.starts_with('{'))
                    && (r.min > LIMIT || r.max.is_some_and(|m| m > LIMIT)) =>
            {
                Some(r.op_span)
            }
            _ => None,
        })
        .min_by_key(|span| span.start)
        .map(|span| ParseError {
            kind: ParseErrorKind::Syntax,
            message: format!("number too big in {{}} quantifier: PCRE allows counts up to {LIMIT}"),
            span,
        })
}

/// regex-syntax's verdict, for the error kinds where RE2 agrees with it.
/// Kinds where the two differ (a literal `{`, escapes, nesting limits,
/// look-around) are left to our RE2-mode parser and CL006.
fn regex_syntax_agrees(pattern: &str, flags: Flags) -> Option<ParseError> {
    let mut builder = regex_syntax::ParserBuilder::new();
    builder
        .case_insensitive(flags.case_insensitive)
        .multi_line(flags.multi_line)
        .dot_matches_new_line(flags.dot_all)
        .ignore_whitespace(flags.extended)
        .nest_limit(1000);
    let (message, span) = match builder.build().parse(pattern) {
        Err(regex_syntax::Error::Parse(e)) => {
            let agrees = matches!(
                e.kind(),
                ast::ErrorKind::ClassRangeInvalid
                    | ast::ErrorKind::ClassUnclosed
                    | ast::ErrorKind::GroupUnclosed
                    | ast::ErrorKind::GroupUnopened
                    | ast::ErrorKind::GroupNameDuplicate { .. }
                    | ast::ErrorKind::GroupNameEmpty
                    | ast::ErrorKind::GroupNameInvalid
                    | ast::ErrorKind::RepetitionCountInvalid
                    | ast::ErrorKind::FlagUnrecognized
            );
            if !agrees {
                return None;
            }
            (e.kind().to_string(), *e.span())
        }
        Err(regex_syntax::Error::Translate(e)) => {
            let agrees = matches!(
                e.kind(),
                hir::ErrorKind::UnicodePropertyNotFound | hir::ErrorKind::UnicodePropertyValueNotFound
            );
            if !agrees {
                return None;
            }
            (e.kind().to_string(), *e.span())
        }
        Ok(_) | Err(_) => return None,
    };
    Some(ParseError {
        kind: ParseErrorKind::Syntax,
        message,
        span: PatternSpan::new(span.start.offset, span.end.offset.max(span.start.offset)),
    })
}

/// A fix for the common errors, keyed on the parser's message.
fn help(message: &str) -> Option<String> {
    let m = message.to_ascii_lowercase();
    let s = if m.contains("unclosed group") || m.contains("missing `)`") {
        "close the group with `)`, or escape the `(` as `\\(` to match a parenthesis"
    } else if m.contains("unmatched closing parenthesis") || m.contains("unopened group") {
        "remove the `)`, or escape it as `\\)` to match a parenthesis"
    } else if m.contains("out of order") || m.contains("invalid range") {
        "write the smaller character first (`[a-z]`), or escape the `-` as `\\-` to match a hyphen"
    } else if m.contains("nothing to repeat") || m.contains("missing expression") {
        "escape the quantifier (`\\*`, `\\+`, `\\?`, `\\{`) to match it literally"
    } else if m.contains("unclosed character class") || m.contains("unclosed class") {
        "close the class with `]`, or escape the `[` as `\\[`"
    } else if m.contains("unrecognized escape") {
        "remove the backslash, or write `\\\\` for a literal backslash"
    } else if m.contains("does not exist") || m.contains("unknown group name") {
        "refer to a group that exists, or escape the backslash"
    } else if m.contains("1000") {
        "use an unbounded repetition (`{n,}`) and check the length in code, or split the pattern"
    } else {
        return None;
    };
    Some(s.to_owned())
}

#[cfg(test)]
mod tests {
    use crate::finding::Finding;
    use crate::lint::{LintOptions, lint_pattern};
    use crate::source::{Flags, Flavor, Semantics};

    fn cl004(pattern: &str, flavor: Flavor) -> Vec<Finding> {
        let mut opts = LintOptions::default();
        opts.rules.select = vec!["CL004".into()];
        lint_pattern(pattern, flavor, Flags::default(), Semantics::Search, &opts).findings
    }

    fn span(f: &Finding) -> (usize, usize) {
        f.span.map(|s| (s.start, s.end)).unwrap_or_default()
    }

    #[test]
    fn points_inside_the_pattern() {
        let f = cl004("abc(def", Flavor::Pcre);
        assert_eq!(f.len(), 1);
        assert_eq!(span(&f[0]).0, 3);
        assert!(f[0].message.contains("does not compile in PCRE"), "{}", f[0].message);
        let f = cl004("[z-a]", Flavor::Python);
        assert_eq!(f.len(), 1);
        assert!(cl004("abc(def)", Flavor::Pcre).is_empty());
        assert!(cl004("a)", Flavor::Js)[0].help.as_deref().is_some_and(|h| h.contains("\\)")));
    }

    /// What our parser accepted but PCRE2 refuses: CL004 with PCRE2's
    /// message and where it stopped.
    #[cfg(feature = "pcre2")]
    #[test]
    fn pcre2_rejections_are_cl004() {
        for (pattern, needle) in [
            ("(?<a>x)(?<a>y)", "name"),
            ("(*FOO)x", "VERB"),
            ("a{65535}{65535}", ""),
            ("[\\w--\\d]", ""),
            (&format!("{}a{}", "(".repeat(300), ")".repeat(300)), ""),
        ] {
            let f = cl004(pattern, Flavor::Pcre);
            assert_eq!(f.len(), 1, "{pattern}: {f:?}");
            assert!(f[0].message.contains("PCRE2 stops at pattern offset"), "{pattern}: {}", f[0].message);
            assert!(f[0].message.contains(needle), "{pattern}: {}", f[0].message);
        }
        // Valid PCRE stays clean.
        for pattern in ["(?<a>x)(?<b>y)", "(*UTF)x", "a{2}(?:b){3}", "[\\w-]", "(?i)abc"] {
            assert!(cl004(pattern, Flavor::Pcre).is_empty(), "{pattern}");
        }
    }

    /// Checked against the PCRE2 cfglint links (the bench engine).
    #[cfg(feature = "pcre2")]
    #[test]
    fn pcre_counts_stop_at_65535() {
        use crate::engine::pcre::{Limits, Pcre};
        for (pattern, ok) in [("a{65535}", true), ("a{1,65535}", true), ("a{65536}", false), ("x(a{2,70000})", false)] {
            let real = Pcre::new(pattern, Flags::default(), Limits::default()).is_ok();
            assert_eq!(real, ok, "PCRE2 itself on {pattern}");
            let f = cl004(pattern, Flavor::Pcre);
            assert_eq!(f.is_empty(), ok, "{pattern}: {f:?}");
        }
        assert_eq!(span(&cl004("x(a{2,70000})", Flavor::Pcre)[0]), (3, 12));
        assert!(cl004("a{70000}", Flavor::Js).is_empty());
    }

    #[test]
    fn rust_uses_regex_syntax() {
        let f = cl004("a(b", Flavor::Rust);
        assert_eq!(f.len(), 1);
        assert!(cl004(r"\d+", Flavor::Rust).is_empty());
        // Look-around and backreferences are CL006's.
        assert!(cl004("(?=a)b", Flavor::Rust).is_empty());
        assert!(cl004(r"(a)\1", Flavor::Rust).is_empty());
        assert!(cl004(r"x{\d+}", Flavor::Rust).is_empty(), "literal `{{` is CL006 for rust");
        // regex-syntax's nest limit is the regex crate's.
        let deep = format!("{}a{}", "(".repeat(300), ")".repeat(300));
        assert_eq!(cl004(&deep, Flavor::Rust).len(), 1);
    }

    #[test]
    fn re2_specifics() {
        // Go accepts a literal `{`.
        assert!(cl004(r"^\$(?:\d+|{\d+})$", Flavor::Re2).is_empty());
        assert!(cl004(r"(a)\1", Flavor::Re2).is_empty(), "CL006 reports backreferences");
        assert!(cl004(r"a\Z", Flavor::Re2).is_empty(), "CL006 reports \\Z");
        let f = cl004(r"a{1001}", Flavor::Re2);
        assert_eq!(f.len(), 1);
        assert_eq!(span(&f[0]), (1, 7));
        let f = cl004(r"(?:(?:a{10}){10}){11}", Flavor::Re2);
        assert_eq!(f.len(), 1, "1100 copies");
        assert!(f[0].message.contains("1100"), "{}", f[0].message);
        assert!(cl004(r"(?:(?:a{10}){10}){10}", Flavor::Re2).is_empty());
        assert!(cl004(r"(?:a*){2000,}", Flavor::Re2).len() == 1);
        assert!(cl004(r"(?:a+)+", Flavor::Re2).is_empty());
        assert_eq!(cl004(r"\p{Foo}", Flavor::Re2).len(), 1);
        assert_eq!(cl004(r"(?P<n>a)(?P<n>b)", Flavor::Re2).len(), 1);
    }

    #[test]
    fn limits_are_not_invalid() {
        // Beyond our parser's limits is not invalid in itself...
        let deep = format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(cl004(&deep, Flavor::Js).is_empty());
    }

    /// ...but PCRE2 refuses nesting past its own limit (250 by default),
    /// and for `pcre` patterns PCRE2 is the judge.
    #[cfg(feature = "pcre2")]
    #[test]
    fn nesting_past_pcre2s_limit_is_invalid_pcre() {
        let deep = format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000));
        let f = cl004(&deep, Flavor::Pcre);
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("nested"), "{}", f[0].message);
    }

    #[test]
    fn feature_errors_are_cl006() {
        assert!(cl004("a++", Flavor::Js).is_empty());
        assert!(cl004(r"a\z", Flavor::Python).is_empty());
        assert_eq!(cl004(r"a\e", Flavor::Python).len(), 1, "Python has no \\e at all");
    }
}
