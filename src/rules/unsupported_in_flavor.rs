//! CL006 unsupported-in-flavor: the pattern uses a construct its engine
//! lacks (the pattern will not compile) or reads differently (it compiles,
//! and means something else).
//!
//! How: the parser records every non-universal construct as a
//! [`Feature`](crate::analysis::ir::Feature) with its span. We read the
//! pattern twice, as its own flavor and as PCRE (the superset syntax, which
//! is how a pattern copied between engines was usually written), take the
//! union of the features, and judge each one against the support table in
//! [`verdict`]. Reading as PCRE matters in two cases: the flavor's own parse
//! fails at the construct (`\1` in RE2), so it never recorded it; or the
//! flavor reads the construct as something harmless (`\A` is the letter A
//! in JavaScript, `[[:alpha:]]` a set of punctuation and letters in Python),
//! so it never saw it at all. One finding per occurrence, at its span.
//!
//! Sources for the table: PCRE2 10.4x `pcre2syntax`, RE2's `Syntax` wiki and
//! Go's `regexp/syntax` docs (Go 1.22+), regex-syntax 0.8 (Rust `regex`
//! 1.9+), ECMAScript 2024 (look-behind and named groups since ES2018,
//! pattern modifiers only in ES2025), Python 3.11+ `re` (atomic groups and
//! possessive quantifiers since 3.11, `\z` only since 3.14), Java 17
//! `java.util.regex.Pattern`.

use std::collections::BTreeSet;

use crate::analysis::ir::{Feature, FeatureKind, Ir, NodeKind};
use crate::finding::Finding;
use crate::source::{Flags, Flavor, PatternSpan};

use super::{PatternContext, Rule, RuleMeta};

/// CL006.
pub(crate) struct UnsupportedInFlavor;

impl Rule for UnsupportedInFlavor {
    fn meta(&self) -> &'static RuleMeta {
        super::meta("unsupported-in-flavor")
    }

    fn check(&self, cx: &PatternContext<'_>, out: &mut Vec<Finding>) {
        let meta = self.meta();
        for u in cx.unsupported() {
            let mut f = cx.finding(meta, Some(u.span), u.message.clone());
            f.primary_label = Some(u.label.clone());
            f.help.clone_from(&u.help);
            out.push(f);
        }
    }
}

/// A construct the target engine lacks or reads differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    /// The construct.
    pub kind: FeatureKind,
    /// Where it is in the pattern.
    pub span: PatternSpan,
    /// True when the engine rejects the pattern (it does not compile);
    /// false when it compiles with another meaning.
    pub rejected: bool,
    /// One sentence for the finding.
    pub message: String,
    /// Label under the construct.
    pub label: String,
    /// How to write it for this engine.
    pub help: Option<String>,
}

/// How an engine treats a construct.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    /// Supported, same meaning.
    Yes,
    /// The pattern does not compile.
    Rejected,
    /// Rejected for a reason more specific than "not supported".
    RejectedBecause(String),
    /// Compiles, but means this instead.
    Different(String),
    /// Only newer releases have it (the string names them).
    Since(&'static str),
}

/// The engine behind a flavor, as users know it.
pub(crate) fn engine(flavor: Flavor) -> &'static str {
    flavor.engine_name()
}

/// Every unsupported construct of the pattern in `cx`, sorted by position.
pub(crate) fn find(cx: &PatternContext<'_>) -> Vec<Unsupported> {
    let flavor = cx.pattern.flavor.model();
    let flags = cx.pattern.flags;
    let own = cx.ir().as_ref().ok();
    let mut features: Vec<Feature> = own.map(|ir| ir.features.clone()).unwrap_or_default();
    if flavor != Flavor::Pcre
        && let Some(pcre) = cx.pcre_ir()
    {
        features.extend(pcre.features.iter().copied());
    }
    let features: BTreeSet<(usize, usize, FeatureKind)> =
        features.iter().map(|f| (f.span.start, f.span.end, f.kind)).collect();

    let mut out = Vec::new();
    // Python 3.11+: global flags `(?i)` only at the very start (several
    // groups in a row are fine).
    let mut leading_flags_end = 0usize;
    for (start, end, kind) in features {
        let span = PatternSpan::new(start, end);
        let text = cx.pattern_text(span);
        let v = if kind == FeatureKind::InlineFlags && flavor == Flavor::Python {
            python_inline_flags(text, span, &mut leading_flags_end)
        } else {
            verdict(kind, text, flavor, flags)
        };
        if let Some(u) = describe(kind, span, text, flavor, v) {
            out.push(u);
        }
    }
    if let Some(ir) = own {
        out.extend(lookbehind_widths(ir, flavor));
    }
    out.sort_by_key(|u| (u.span.start, u.span.end));
    out.dedup_by_key(|u| (u.span, u.kind));
    out
}

/// The support table: how `flavor` treats construct `kind` written as
/// `text`. Linear engines (RE2/Go, Rust) lack everything that needs
/// backtracking; JavaScript lacks most PCRE extensions and, outside
/// Unicode mode, silently reads unknown escapes as the letter; Python
/// lacks PCRE's spellings; Java sits close to PCRE.
fn verdict(kind: FeatureKind, text: &str, flavor: Flavor, flags: Flags) -> Verdict {
    use Flavor::{Java, Js, Onigmo, Pcre, Python, Re2, Rust};
    let linear = matches!(flavor, Re2 | Rust);
    // JavaScript without the `u`/`v` flag reads an unknown escape `\A` as
    // the letter (Annex B); with it, the pattern is a SyntaxError.
    let js_letter = |letter: &str| {
        if flags.unicode { Verdict::Rejected } else { Verdict::Different(format!("the letter `{letter}`")) }
    };
    match kind {
        FeatureKind::LookAhead | FeatureKind::LookBehind => {
            if linear {
                Verdict::Rejected
            } else {
                Verdict::Yes
            }
        }
        FeatureKind::Backreference => {
            if linear {
                Verdict::Rejected
            } else if text.starts_with("(?P=") {
                // Python and PCRE spelling.
                if matches!(flavor, Js | Java) { Verdict::Rejected } else { Verdict::Yes }
            } else if text.starts_with("\\k<") {
                if flavor == Python { Verdict::Rejected } else { Verdict::Yes }
            } else if text.starts_with("\\k") {
                // `\k'name'`, `\k{name}`: PCRE only.
                match flavor {
                    Pcre => Verdict::Yes,
                    Js => js_letter("k"),
                    _ => Verdict::Rejected,
                }
            } else if text.starts_with("\\g") {
                match flavor {
                    Pcre => Verdict::Yes,
                    Js => js_letter("g"),
                    _ => Verdict::Rejected,
                }
            } else {
                Verdict::Yes
            }
        }
        FeatureKind::AtomicGroup => match flavor {
            Pcre | Onigmo | Java | Python => Verdict::Yes, // Python since 3.11
            Js | Re2 | Rust => Verdict::Rejected,
        },
        FeatureKind::PossessiveQuantifier => match flavor {
            Pcre | Onigmo | Java | Python => Verdict::Yes, // Python since 3.11
            Js | Re2 => Verdict::Rejected,
            // regex-syntax accepts `a++` as a repetition of a repetition.
            Rust => Verdict::Different(format!(
                "`(?:X{})+`, an ordinary greedy repetition that gives back what a possessive one keeps",
                text.strip_suffix('+').unwrap_or(text)
            )),
        },
        FeatureKind::Recursion | FeatureKind::BacktrackingVerb => {
            if flavor == Pcre {
                Verdict::Yes
            } else {
                Verdict::Rejected
            }
        }
        FeatureKind::Conditional => match flavor {
            Pcre => Verdict::Yes,
            // Python only tests a group: `(?(1)…|…)`, `(?(name)…|…)`.
            Python => {
                let cond = text.trim_start_matches("(?(").trim_end_matches(')');
                if !cond.is_empty() && cond.chars().all(|c| c.is_alphanumeric() || c == '_') {
                    Verdict::Yes
                } else {
                    Verdict::Rejected
                }
            }
            _ => Verdict::Rejected,
        },
        FeatureKind::MatchReset => match flavor {
            Pcre => Verdict::Yes,
            Js => js_letter("K"),
            _ => Verdict::Rejected,
        },
        FeatureKind::StartOfAttempt => match flavor {
            Pcre | Java => Verdict::Yes,
            Js => js_letter("G"),
            _ => Verdict::Rejected,
        },
        FeatureKind::EndOrFinalNewline => match flavor {
            // Python's `\Z` is the very end (PCRE's `\z`); still supported.
            Pcre | Onigmo | Java | Python => Verdict::Yes,
            Js => js_letter("Z"),
            Re2 | Rust => Verdict::Rejected,
        },
        FeatureKind::AbsoluteEnd => match flavor {
            Python => Verdict::Since("Python 3.14"),
            Js => js_letter("z"),
            _ => Verdict::Yes,
        },
        FeatureKind::AbsoluteStart => match flavor {
            Js => js_letter("A"),
            _ => Verdict::Yes,
        },
        FeatureKind::InlineFlags => inline_flags(text, flavor),
        FeatureKind::PythonNamedGroup => match flavor {
            Js | Java => Verdict::Rejected,
            _ => Verdict::Yes,
        },
        FeatureKind::AngleNamedGroup => {
            if text.starts_with("(?'") {
                if flavor == Pcre { Verdict::Yes } else { Verdict::Rejected }
            } else {
                match flavor {
                    Python => Verdict::Rejected,
                    Java => {
                        let name = text.trim_start_matches("(?<").trim_end_matches('>');
                        let mut chars = name.chars();
                        let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                            && chars.all(|c| c.is_ascii_alphanumeric());
                        if ok {
                            Verdict::Yes
                        } else {
                            Verdict::RejectedBecause(format!(
                                "Java group names allow only ASCII letters and digits, starting with a letter (`{name}`)"
                            ))
                        }
                    }
                    // RE2 since 2023-07, Go since 1.22, Rust regex since 1.9.
                    _ => Verdict::Yes,
                }
            }
        }
        FeatureKind::QuoteLiteral => match flavor {
            Pcre | Onigmo | Java | Re2 => Verdict::Yes,
            Js => js_letter("Q"),
            Rust | Python => Verdict::Rejected,
        },
        FeatureKind::PosixClass => {
            // What the engine sees: the bracket's characters as a set.
            let mut seen = String::new();
            let inner = if flavor == Java {
                text.trim_start_matches('[').trim_end_matches(']')
            } else {
                text.trim_end_matches(']')
            };
            for c in inner.chars() {
                if !seen.contains(c) {
                    seen.push(c);
                }
            }
            match flavor {
                Pcre | Onigmo | Re2 | Rust => Verdict::Yes,
                Js | Python => {
                    Verdict::Different(format!("a set of the characters `{seen}` followed by a literal `]`"))
                }
                Java => Verdict::Different(format!("a nested set of the characters `{seen}`")),
            }
        }
        FeatureKind::UnicodeProperty => match flavor {
            Pcre | Onigmo | Re2 | Rust | Java => Verdict::Yes,
            Js if flags.unicode => Verdict::Yes,
            Js => {
                Verdict::Different("the letter `p` followed by literal text (`\\p{…}` needs the `u` flag)".to_owned())
            }
            Python => Verdict::Rejected,
        },
        FeatureKind::PcreEscape => match flavor {
            Pcre | Java => Verdict::Yes,
            Js => js_letter(text.get(1..2).unwrap_or("?")),
            _ => Verdict::Rejected,
        },
        FeatureKind::LazyQuantifier => Verdict::Yes,
        FeatureKind::EmptyMinRepeat => match flavor {
            // PCRE2 10.43+ and Python read `{,n}` as `{0,n}`.
            Pcre | Onigmo | Python => Verdict::Yes,
            Re2 => Verdict::Different(format!("the literal text `{text}`")),
            Js if !flags.unicode => Verdict::Different(format!("the literal text `{text}`")),
            Js | Rust | Java => Verdict::Rejected,
        },
        FeatureKind::LiteralBrace => match flavor {
            Rust | Java => Verdict::Rejected,
            Js if flags.unicode => Verdict::Rejected,
            _ => Verdict::Yes,
        },
    }
}

/// Inline flag groups `(?i)`, `(?i:…)`, `(?-i)`: which letters each engine
/// knows, and JavaScript's lack of them.
fn inline_flags(text: &str, flavor: Flavor) -> Verdict {
    let body = text.trim_start_matches("(?");
    let scoped = body.ends_with(':');
    let letters: &str = body.trim_end_matches([':', ')']);
    let known: &str = match flavor {
        Flavor::Pcre | Flavor::Onigmo => return Verdict::Yes,
        Flavor::Re2 => "imsU-",
        Flavor::Rust => "imsUxuR-",
        Flavor::Python => "aiLmsux-",
        Flavor::Java => "idmsuxUc-",
        Flavor::Js => {
            if !scoped {
                return Verdict::RejectedBecause(
                    "JavaScript has no inline flags: flags go after the pattern (`/…/i`) or to `new RegExp(p, \"i\")`"
                        .to_owned(),
                );
            }
            if letters.chars().all(|c| "ims-".contains(c)) {
                return Verdict::Since("ES2025 pattern modifiers (Node 23+, Chrome 125+)");
            }
            "ims-"
        }
    };
    match letters.chars().find(|&c| !known.contains(c)) {
        Some(c) => Verdict::RejectedBecause(format!(
            "{} does not know the inline flag `{c}` (it knows `{}`)",
            engine(flavor),
            known.trim_end_matches('-')
        )),
        None => Verdict::Yes,
    }
}

/// Python 3.11+: global flags must open the pattern and cannot turn flags
/// off; scoped groups `(?i:…)` may go anywhere.
fn python_inline_flags(text: &str, span: PatternSpan, leading_end: &mut usize) -> Verdict {
    let base = inline_flags(text, Flavor::Python);
    if base != Verdict::Yes || text.ends_with(':') {
        return base;
    }
    if text.contains('-') {
        return Verdict::RejectedBecause(format!(
            "Python cannot turn a flag off for the whole pattern (`{text}`); scope it: `{}…)`",
            text.trim_end_matches(')').to_owned() + ":"
        ));
    }
    if span.start == *leading_end {
        *leading_end = span.end;
        Verdict::Yes
    } else {
        Verdict::RejectedBecause(format!(
            "Python 3.11+ rejects global flags `{text}` that are not at the start of the pattern"
        ))
    }
}

/// Turn a verdict into a finding's text, or `None` when supported.
fn describe(kind: FeatureKind, span: PatternSpan, text: &str, flavor: Flavor, v: Verdict) -> Option<Unsupported> {
    // `describe` already quotes the escapes (`\\Z`); add the text for the
    // others when it is short enough to read.
    let shown = if kind.describe().contains('`') || text.chars().count() > 16 {
        kind.describe().to_owned()
    } else {
        format!("{} `{text}`", kind.describe())
    };
    let engine = engine(flavor);
    let (rejected, message, label) = match v {
        Verdict::Yes => return None,
        Verdict::Rejected => (true, format!("{engine} does not support {shown}"), format!("not supported by {flavor}")),
        Verdict::RejectedBecause(why) => (true, why, format!("not accepted by {flavor}")),
        Verdict::Different(meaning) => {
            (false, format!("{engine} reads {shown} as {meaning}"), format!("means something else in {flavor}"))
        }
        Verdict::Since(version) => (true, format!("{shown} needs {version}"), format!("needs {version}")),
    };
    Some(Unsupported { kind, span, rejected, message, label, help: help(kind, text, flavor) })
}

/// How to write the construct for this engine.
fn help(kind: FeatureKind, text: &str, flavor: Flavor) -> Option<String> {
    let linear = matches!(flavor, Flavor::Re2 | Flavor::Rust);
    let s = match kind {
        FeatureKind::LookAhead | FeatureKind::LookBehind if linear => {
            "RE2, Go and Rust have no look-around: match the surrounding text and capture the part you need \
             (`user=(\\w+)` instead of `(?<=user=)\\w+`), or test the condition in code"
                .to_owned()
        }
        FeatureKind::Backreference if linear => {
            "linear-time engines cannot match repeated text: capture both parts and compare them in code".to_owned()
        }
        FeatureKind::Backreference if text.starts_with("(?P=") => "write the backreference as `\\k<name>`".to_owned(),
        FeatureKind::Backreference if text.starts_with("\\k") && flavor == Flavor::Python => {
            "write the backreference as `(?P=name)`".to_owned()
        }
        FeatureKind::AtomicGroup | FeatureKind::PossessiveQuantifier if linear => {
            "linear-time engines never backtrack, so nothing is lost by dropping it: use `(?:…)` or a plain quantifier"
                .to_owned()
        }
        FeatureKind::AtomicGroup | FeatureKind::PossessiveQuantifier => {
            "JavaScript has neither atomic groups nor possessive quantifiers; emulate `(?>X)` with `(?=(X))\\1` \
             (a look-ahead capture and a backreference to it)"
                .to_owned()
        }
        FeatureKind::EndOrFinalNewline if flavor == Flavor::Js => "use `$` without the `m` flag".to_owned(),
        FeatureKind::EndOrFinalNewline => "use `\\z` for the very end, or `$` without the `m` flag".to_owned(),
        FeatureKind::AbsoluteEnd if flavor == Flavor::Python => {
            "use `\\Z`, which in Python means the very end of the string".to_owned()
        }
        FeatureKind::AbsoluteEnd => "use `$` without the `m` flag".to_owned(),
        FeatureKind::AbsoluteStart => "use `^` without the `m` flag".to_owned(),
        FeatureKind::InlineFlags if flavor == Flavor::Python => {
            "move the flags to the very start of the pattern, or scope them: `(?i:…)`".to_owned()
        }
        FeatureKind::InlineFlags if flavor == Flavor::Js => {
            "pass the flags with the pattern instead (`/…/i`, `new RegExp(p, \"i\")`)".to_owned()
        }
        FeatureKind::PythonNamedGroup => "write the group as `(?<name>…)`".to_owned(),
        FeatureKind::AngleNamedGroup if flavor == Flavor::Python => "write the group as `(?P<name>…)`".to_owned(),
        FeatureKind::AngleNamedGroup if flavor == Flavor::Java => {
            "rename the group with ASCII letters and digits only (`userId`, not `user_id`)".to_owned()
        }
        FeatureKind::QuoteLiteral => "escape each special character with `\\` instead of quoting".to_owned(),
        FeatureKind::PosixClass => match posix_equivalent(text) {
            Some(eq) => format!("write `[{eq}]` instead of `[{text}]`"),
            None => "spell the class out as a bracket expression such as `[a-zA-Z]`".to_owned(),
        },
        FeatureKind::UnicodeProperty if flavor == Flavor::Js => "add the `u` (or `v`) flag".to_owned(),
        FeatureKind::UnicodeProperty => {
            "Python's re has no `\\p{…}`: spell the class out, or use the third-party `regex` module".to_owned()
        }
        FeatureKind::PcreEscape => match text.get(1..2) {
            Some("h") => "write `[ \\t]` (add `\\xA0` and other spaces if you need Unicode blanks)".to_owned(),
            Some("H") => "write `[^ \\t]`".to_owned(),
            Some("R") => "write `(?:\\r\\n|[\\n\\r])`".to_owned(),
            _ => "only PCRE and Java have this escape; spell it out".to_owned(),
        },
        FeatureKind::EmptyMinRepeat => format!("write `{{0,{}`", text.trim_start_matches("{,")),
        FeatureKind::LiteralBrace => "escape it: `\\{`".to_owned(),
        FeatureKind::Recursion
        | FeatureKind::Conditional
        | FeatureKind::MatchReset
        | FeatureKind::BacktrackingVerb
        | FeatureKind::StartOfAttempt => {
            "only PCRE (and for some, Java or Python) has this; rewrite without it".to_owned()
        }
        _ => return None,
    };
    Some(s)
}

/// A bracket-expression body equivalent to a POSIX class like `[:alpha:]`.
fn posix_equivalent(text: &str) -> Option<&'static str> {
    let name = text.trim_start_matches("[:").trim_end_matches(":]");
    Some(match name {
        "alpha" => "a-zA-Z",
        "digit" => "0-9",
        "alnum" => "a-zA-Z0-9",
        "upper" => "A-Z",
        "lower" => "a-z",
        "space" => "\\t\\n\\v\\f\\r ",
        "blank" => " \\t",
        "xdigit" => "0-9A-Fa-f",
        "word" => "\\w",
        "punct" => "!-\\/:-@\\[-`{-~",
        "cntrl" => "\\x00-\\x1f\\x7f",
        "print" => " -~",
        "graph" => "!-~",
        "ascii" => "\\x00-\\x7f",
        _ => return None,
    })
}

/// Look-behind bodies each engine cannot handle: Python needs a fixed
/// width, Java a bounded one, PCRE a bounded one (PCRE2 before 10.43 needs
/// each alternative fixed; we only report what every version rejects).
fn lookbehind_widths(ir: &Ir, flavor: Flavor) -> Vec<Unsupported> {
    if !matches!(flavor, Flavor::Python | Flavor::Java | Flavor::Pcre) {
        return Vec::new();
    }
    let widths = widths(ir);
    let mut out = Vec::new();
    for node in &ir.nodes {
        let NodeKind::Look { child, behind: true, .. } = node.kind else { continue };
        let (min, max) = widths[child.index()];
        let why = match flavor {
            Flavor::Python if Some(min) != max => "Python's re requires a fixed-width look-behind",
            Flavor::Java | Flavor::Pcre if max.is_none() => {
                if flavor == Flavor::Java {
                    "Java requires a look-behind with a bounded length (no `*`, `+` or `{n,}` inside)"
                } else {
                    "PCRE requires a look-behind with a bounded length (no `*`, `+` or `{n,}` inside)"
                }
            }
            _ => continue,
        };
        out.push(Unsupported {
            kind: FeatureKind::LookBehind,
            span: node.span,
            rejected: true,
            message: why.to_owned(),
            label: "variable-length look-behind".to_owned(),
            help: Some("give every alternative of the look-behind the same fixed length, or match the text and capture the rest".to_owned()),
        });
    }
    out
}

/// Bounds on the number of characters each node matches: (min, max), with
/// `None` for unbounded. Bottom-up over the arena (children have smaller
/// ids than their parents), so no recursion.
fn widths(ir: &Ir) -> Vec<(u64, Option<u64>)> {
    let mut w: Vec<(u64, Option<u64>)> = Vec::with_capacity(ir.nodes.len());
    for node in &ir.nodes {
        let get = |id: crate::analysis::ir::NodeId, w: &Vec<(u64, Option<u64>)>| {
            w.get(id.index()).copied().unwrap_or((0, None))
        };
        let v = match &node.kind {
            NodeKind::Empty | NodeKind::Assert(_) | NodeKind::Look { .. } | NodeKind::Fail => (0, Some(0)),
            NodeKind::Set(_) => (1, Some(1)),
            NodeKind::Concat(items) => items.iter().fold((0u64, Some(0u64)), |(amin, amax), &c| {
                let (cmin, cmax) = get(c, &w);
                (amin.saturating_add(cmin), amax.zip(cmax).map(|(a, b)| a.saturating_add(b)))
            }),
            NodeKind::Alt(items) => {
                let mut it = items.iter().map(|&c| get(c, &w));
                let first = it.next().unwrap_or((0, Some(0)));
                it.fold(first, |(amin, amax), (cmin, cmax)| (amin.min(cmin), amax.zip(cmax).map(|(a, b)| a.max(b))))
            }
            NodeKind::Repeat(r) => {
                let (cmin, cmax) = get(r.child, &w);
                let max = match (r.max, cmax) {
                    (_, Some(0)) => Some(0),
                    (Some(m), Some(c)) => Some(c.saturating_mul(u64::from(m))),
                    _ => None,
                };
                (cmin.saturating_mul(u64::from(r.min)), max)
            }
            NodeKind::Group { child, .. } | NodeKind::Atomic(child) => get(*child, &w),
            NodeKind::Backref { .. } => (0, None),
        };
        w.push(v);
    }
    w
}

#[cfg(test)]
mod tests {
    use crate::lint::{LintOptions, lint_pattern};
    use crate::source::{Flags, Flavor, Semantics};

    fn cl006(pattern: &str, flavor: Flavor, flags: Flags) -> Vec<(String, (usize, usize))> {
        let mut opts = LintOptions::default();
        opts.rules.select = vec!["CL006".into()];
        let r = lint_pattern(pattern, flavor, flags, Semantics::Search, &opts);
        r.findings.iter().map(|f| (f.message.clone(), f.span.map(|s| (s.start, s.end)).unwrap_or_default())).collect()
    }

    fn fires(pattern: &str, flavor: Flavor) -> Vec<(String, (usize, usize))> {
        cl006(pattern, flavor, Flags::default())
    }

    #[test]
    fn lookaround_in_linear_engines() {
        let f = fires(r"(?<=user=)\w+", Flavor::Re2);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].0.contains("RE2/Go does not support look-behind `(?<=`"), "{f:?}");
        assert_eq!(f[0].1, (0, 4));
        assert_eq!(fires(r"foo(?!bar)", Flavor::Rust).len(), 1);
        assert!(fires(r"(?<=user=)\w+", Flavor::Pcre).is_empty());
        assert!(fires(r"(?<=user=)\w+", Flavor::Js).is_empty());
    }

    #[test]
    fn backreference_found_through_pcre_reading() {
        // The RE2 parse fails at `\1`; the PCRE reading finds it.
        let f = fires(r"(a)\1", Flavor::Re2);
        assert_eq!(f, vec![("RE2/Go does not support backreference `\\1`".to_owned(), (3, 5))]);
        let f = fires(r"(?P<n>a)(?P=n)", Flavor::Js);
        assert!(f.iter().any(|(m, _)| m.contains("`(?P<name>…)` named group")), "{f:?}");
        assert!(f.iter().any(|(m, _)| m.contains("backreference")), "{f:?}");
        assert!(fires(r"(?<n>a)\k<n>", Flavor::Js).is_empty());
    }

    #[test]
    fn javascript_letters() {
        let f = fires(r"\Aadmin\Z", Flavor::Js);
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(f[0].0.contains("the letter `A`"), "{f:?}");
        assert!(f[1].0.contains("the letter `Z`"), "{f:?}");
        let f = cl006(r"\Aadmin", Flavor::Js, Flags::from_letters("u"));
        assert!(f[0].0.contains("does not support"), "{f:?}");
        assert_eq!(fires(r"a++b", Flavor::Js).len(), 1);
        assert_eq!(fires(r"(?>ab)", Flavor::Js).len(), 1);
        assert!(fires(r"(?i)abc", Flavor::Js)[0].0.contains("no inline flags"));
        assert!(fires(r"(?i:abc)", Flavor::Js)[0].0.contains("ES2025"));
        assert!(fires(r"\p{L}+", Flavor::Js)[0].0.contains("`u` flag"));
        assert!(cl006(r"\p{L}+", Flavor::Js, Flags::from_letters("u")).is_empty());
    }

    #[test]
    fn python_specifics() {
        assert!(fires(r"^a\z", Flavor::Python)[0].0.contains("Python 3.14"));
        assert!(fires(r"^a\Z", Flavor::Python).is_empty());
        assert!(fires(r"(?<name>a)", Flavor::Python)[0].0.contains("named group"));
        assert!(fires(r"(?i)abc", Flavor::Python).is_empty());
        assert!(fires(r"(?i)(?s)abc", Flavor::Python).is_empty());
        assert!(fires(r"abc(?i)def", Flavor::Python)[0].0.contains("not at the start"));
        assert!(fires(r"abc(?i:def)", Flavor::Python).is_empty());
        let f = fires(r"[[:alpha:]]+", Flavor::Python);
        assert!(f[0].0.contains("POSIX"), "{f:?}");
        assert!(fires(r"(?<=ab|c)x", Flavor::Python)[0].0.contains("fixed-width"));
        assert!(fires(r"(?<=ab|cd)x", Flavor::Python).is_empty());
        assert!(fires(r"a++(?>b)", Flavor::Python).is_empty());
    }

    #[test]
    fn java_specifics() {
        assert!(fires(r"(?<user_id>\d+)", Flavor::Java)[0].0.contains("ASCII letters and digits"));
        assert!(fires(r"(?<userId>\d+)", Flavor::Java).is_empty());
        assert!(fires(r"(?<=a+)b", Flavor::Java)[0].0.contains("bounded"));
        assert!(fires(r"(?<=a{1,3})b", Flavor::Java).is_empty());
        assert!(fires(r"\h+\R", Flavor::Java).is_empty());
        assert_eq!(fires(r"(?P<n>a)", Flavor::Java).len(), 1);
    }

    #[test]
    fn re2_and_rust_syntax() {
        assert!(fires(r"(?i)abc(?U)d+", Flavor::Re2).is_empty());
        assert!(fires(r"(?x)a b", Flavor::Re2)[0].0.contains("inline flag `x`"));
        assert!(fires(r"(?x)a b", Flavor::Rust).is_empty());
        assert!(fires(r"a\Z", Flavor::Re2)[0].0.contains("`\\Z`"));
        assert!(fires(r"a\z", Flavor::Re2).is_empty());
        // Go accepts a literal `{`; Rust does not.
        assert!(fires(r"^\$(?:\d+|{\d+})$", Flavor::Re2).is_empty());
        assert_eq!(fires(r"^\$(?:\d+|{\d+})$", Flavor::Rust).len(), 1);
        assert!(fires(r"a++", Flavor::Rust)[0].0.contains("as `(?:X+)+`"));
        assert!(fires(r"\Qa.b\E", Flavor::Re2).is_empty());
        assert_eq!(fires(r"\Qa.b\E", Flavor::Rust).len(), 1);
        assert!(fires(r"a{,3}", Flavor::Re2)[0].0.contains("literal text `{,3}`"));
        assert!(fires(r"[[:alpha:]]", Flavor::Re2).is_empty());
    }

    #[test]
    fn one_finding_per_occurrence() {
        let f = fires(r"(?=a)(?=b)(?<!c)", Flavor::Re2);
        assert_eq!(f.len(), 3, "{f:?}");
        assert_eq!(f.iter().map(|x| x.1.0).collect::<Vec<_>>(), vec![0, 5, 10]);
    }
}
