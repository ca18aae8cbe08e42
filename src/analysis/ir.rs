//! The regex IR: what a pattern means to a backtracking engine, with the
//! pattern span of every node.
//!
//! regex-syntax's `Hir` is built for linear engines: it has no look-around,
//! no backreferences, no atomic groups or possessive quantifiers, no lazy
//! versus greedy priority beyond a flag, and no spans. The backtracking
//! analysis needs all of those, so the front end (`parse.rs`) produces this
//! IR instead, and `lower` turns it into `Hir` where a linear engine is
//! wanted (size budgets, fix proofs, bench).
//!
//! Nodes live in an arena ([`Ir::nodes`]) and refer to each other by
//! [`NodeId`], so NFA states can point back at the node (and so the pattern
//! span) they came from.

use std::fmt;

use crate::source::PatternSpan;

/// Index of a node in [`Ir::nodes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

impl NodeId {
    /// The index as usize.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A parsed pattern.
#[derive(Debug, Clone)]
pub struct Ir {
    /// The node arena. Children always have smaller ids than their parents
    /// except that `root` is last.
    pub nodes: Vec<Node>,
    /// The root node.
    pub root: NodeId,
    /// Number of capture groups (group 0, the whole match, not counted).
    pub captures: u32,
    /// Named groups and their indices.
    pub names: Vec<(String, u32)>,
    /// Constructs approximated by the IR (recursion, conditionals, `\K`,
    /// backtracking verbs). Results on such patterns say so.
    pub approximations: Vec<Approximation>,
    /// Pattern-level facts for rules (CL006).
    pub features: Vec<Feature>,
    /// Length of the pattern text in bytes.
    pub pattern_len: usize,
    /// The word characters `\b`/`\B` test against (ASCII `[0-9A-Za-z_]`
    /// for most flavors, Unicode `\w` for Python and Rust).
    pub word_chars: CharSet,
    /// The characters that end a line for multi-line `^`/`$` and for `$`
    /// before a final newline (`\n` for PCRE, also `\r`, U+2028, U+2029
    /// for JS).
    pub line_terminators: CharSet,
}

/// A node and the span of pattern text it came from.
#[derive(Debug, Clone)]
pub struct Node {
    /// What the node matches.
    pub kind: NodeKind,
    /// The bytes of the pattern this node was parsed from.
    pub span: PatternSpan,
}

/// What a node matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    /// The empty string.
    Empty,
    /// One character from the set (a literal, a class, `.`, `\d`, ...).
    /// Case-insensitivity is already folded into the set.
    Set(CharSet),
    /// Children in sequence.
    Concat(Vec<NodeId>),
    /// Alternatives, tried in order (first has priority).
    Alt(Vec<NodeId>),
    /// A repetition.
    Repeat(Repeat),
    /// A group: capturing when `capture` is `Some(index)`.
    Group {
        /// The group's content.
        child: NodeId,
        /// Capture index (1-based), or `None` for `(?:…)`.
        capture: Option<u32>,
    },
    /// An atomic group `(?>…)`: once it matches, the engine never
    /// backtracks into it.
    Atomic(NodeId),
    /// Look-ahead or look-behind. Atomic in every flavor cfglint models.
    Look {
        /// The asserted sub-pattern.
        child: NodeId,
        /// `(?<=…)` / `(?<!…)` when true.
        behind: bool,
        /// `(?!…)` / `(?<!…)` when true.
        negated: bool,
    },
    /// A backreference to a capture group.
    Backref {
        /// The group index (1-based).
        group: u32,
        /// Compare case-insensitively.
        case_insensitive: bool,
    },
    /// A zero-width assertion.
    Assert(Assertion),
    /// Never matches (`(*FAIL)`, `(?!)`, an empty class `[^\s\S]`).
    Fail,
}

/// A repetition `child{min,max}` with its greediness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeat {
    /// What is repeated.
    pub child: NodeId,
    /// Fewest repetitions.
    pub min: u32,
    /// Most repetitions; `None` is unbounded.
    pub max: Option<u32>,
    /// Greedy, lazy or possessive.
    pub greed: Greed,
    /// Span of the quantifier itself (`+`, `*?`, `{2,5}`), which is what a
    /// finding underlines.
    pub op_span: PatternSpan,
}

/// How a repetition chooses between one more iteration and moving on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Greed {
    /// Prefer one more iteration (`*`, `+`, `?`, `{n,m}`).
    Greedy,
    /// Prefer moving on (`*?`, `+?`, `??`, `{n,m}?`).
    Lazy,
    /// Greedy and never give back (`*+`, `++`, `?+`): an atomic group
    /// around a greedy repetition.
    Possessive,
}

/// Zero-width assertions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Assertion {
    /// Start of input (`\A`, `^` without multi-line).
    StartText,
    /// End of input (`\z`, JS `$` without multi-line, Python `\Z`).
    EndText,
    /// End of input or before a final newline (PCRE/Python/Java `$` without
    /// multi-line, PCRE `\Z`).
    EndTextOptionalNewline,
    /// Start of a line (`^` with multi-line).
    StartLine,
    /// End of a line (`$` with multi-line).
    EndLine,
    /// Word boundary `\b` (ASCII word characters unless the flavor is
    /// Unicode-aware).
    WordBoundary,
    /// Not a word boundary `\B`.
    NotWordBoundary,
    /// Where the current match attempt started (`\G`).
    StartOfAttempt,
}

/// A construct the IR only approximates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approximation {
    /// What was approximated and how ("recursion `(?R)` treated as empty").
    pub what: String,
    /// Where.
    pub span: PatternSpan,
}

/// A pattern feature that some flavors lack (used by CL006).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Feature {
    /// Which feature.
    pub kind: FeatureKind,
    /// Where it occurs.
    pub span: PatternSpan,
}

/// Features that not every engine supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FeatureKind {
    /// `(?=…)` / `(?!…)`.
    LookAhead,
    /// `(?<=…)` / `(?<!…)`.
    LookBehind,
    /// `\1`, `\k<name>`, `(?P=name)`.
    Backreference,
    /// `(?>…)`.
    AtomicGroup,
    /// `a*+`, `a++`, `a?+`.
    PossessiveQuantifier,
    /// `(?R)`, `(?1)`, `(?&name)`.
    Recursion,
    /// `(?(1)…|…)`.
    Conditional,
    /// `\K`.
    MatchReset,
    /// `(*SKIP)`, `(*PRUNE)`, `(*FAIL)`, ...
    BacktrackingVerb,
    /// `\G`.
    StartOfAttempt,
    /// `\Z` (end or before final newline).
    EndOrFinalNewline,
    /// `\z` (absolute end).
    AbsoluteEnd,
    /// `\A`.
    AbsoluteStart,
    /// `(?i)` style inline flags.
    InlineFlags,
    /// `(?P<name>…)` (Python/PCRE/RE2 spelling of named groups).
    PythonNamedGroup,
    /// `(?<name>…)` (PCRE/JS/Java/.NET/Rust spelling).
    AngleNamedGroup,
    /// `\Q…\E` literal quoting.
    QuoteLiteral,
    /// POSIX class `[[:alpha:]]`.
    PosixClass,
    /// `\p{…}` Unicode property.
    UnicodeProperty,
    /// `\h`, `\H`, `\R`, `\X` and similar PCRE/Java-only escapes.
    PcreEscape,
    /// A lazy quantifier.
    LazyQuantifier,
    /// `{,n}` (PCRE2 10.43+, Python, RE2 reads it as literal).
    EmptyMinRepeat,
    /// A literal `{` that does not start a repetition.
    LiteralBrace,
}

impl FeatureKind {
    /// How users name the feature.
    pub fn describe(self) -> &'static str {
        match self {
            FeatureKind::LookAhead => "look-ahead",
            FeatureKind::LookBehind => "look-behind",
            FeatureKind::Backreference => "backreference",
            FeatureKind::AtomicGroup => "atomic group",
            FeatureKind::PossessiveQuantifier => "possessive quantifier",
            FeatureKind::Recursion => "recursion",
            FeatureKind::Conditional => "conditional group",
            FeatureKind::MatchReset => "match reset `\\K`",
            FeatureKind::BacktrackingVerb => "backtracking control verb",
            FeatureKind::StartOfAttempt => "`\\G`",
            FeatureKind::EndOrFinalNewline => "`\\Z`",
            FeatureKind::AbsoluteEnd => "`\\z`",
            FeatureKind::AbsoluteStart => "`\\A`",
            FeatureKind::InlineFlags => "inline flags",
            FeatureKind::PythonNamedGroup => "`(?P<name>…)` named group",
            FeatureKind::AngleNamedGroup => "`(?<name>…)` named group",
            FeatureKind::QuoteLiteral => "`\\Q…\\E` quoting",
            FeatureKind::PosixClass => "POSIX character class",
            FeatureKind::UnicodeProperty => "Unicode property class",
            FeatureKind::PcreEscape => "PCRE-only escape",
            FeatureKind::LazyQuantifier => "lazy quantifier",
            FeatureKind::EmptyMinRepeat => "`{,n}` repetition",
            FeatureKind::LiteralBrace => "unescaped literal `{`",
        }
    }
}

/// The largest Unicode scalar value.
pub const MAX_CHAR: u32 = 0x10_FFFF;

/// A set of characters as sorted, non-overlapping, non-adjacent inclusive
/// ranges of Unicode scalar values (surrogates are allowed as values so JS
/// `\uD800` style escapes have a meaning, but are never generated as
/// witnesses).
#[derive(Clone, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct CharSet {
    ranges: Vec<(u32, u32)>,
}

impl CharSet {
    /// The empty set.
    pub fn empty() -> Self {
        CharSet { ranges: Vec::new() }
    }

    /// Every character.
    pub fn any() -> Self {
        CharSet { ranges: vec![(0, MAX_CHAR)] }
    }

    /// One character.
    pub fn single(c: char) -> Self {
        CharSet { ranges: vec![(c as u32, c as u32)] }
    }

    /// Build from ranges in any order; they are sorted and merged.
    pub fn from_ranges(ranges: impl IntoIterator<Item = (u32, u32)>) -> Self {
        let mut v: Vec<(u32, u32)> = ranges
            .into_iter()
            .map(|(a, b)| (a.min(b), a.max(b).min(MAX_CHAR)))
            .filter(|&(a, _)| a <= MAX_CHAR)
            .collect();
        v.sort_unstable();
        let mut out: Vec<(u32, u32)> = Vec::with_capacity(v.len());
        for (a, b) in v {
            if let Some(last) = out.last_mut()
                && a <= last.1.saturating_add(1)
            {
                last.1 = last.1.max(b);
                continue;
            }
            out.push((a, b));
        }
        CharSet { ranges: out }
    }

    /// The ranges (sorted, merged, inclusive).
    pub fn ranges(&self) -> &[(u32, u32)] {
        &self.ranges
    }

    /// True when the set has no characters.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// True when the set holds every character.
    pub fn is_any(&self) -> bool {
        self.ranges == [(0, MAX_CHAR)]
    }

    /// Number of characters in the set.
    pub fn len(&self) -> u64 {
        self.ranges.iter().map(|&(a, b)| u64::from(b - a) + 1).sum()
    }

    /// True when `c` is in the set.
    pub fn contains(&self, c: char) -> bool {
        self.contains_u32(c as u32)
    }

    /// True when the scalar value `c` is in the set.
    pub fn contains_u32(&self, c: u32) -> bool {
        self.ranges
            .binary_search_by(|&(a, b)| {
                if b < c {
                    std::cmp::Ordering::Less
                } else if a > c {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .is_ok()
    }

    /// The union.
    #[must_use]
    pub fn union(&self, other: &CharSet) -> CharSet {
        CharSet::from_ranges(self.ranges.iter().chain(other.ranges.iter()).copied())
    }

    /// The intersection.
    #[must_use]
    pub fn intersect(&self, other: &CharSet) -> CharSet {
        let (mut i, mut j) = (0, 0);
        let mut out = Vec::new();
        while i < self.ranges.len() && j < other.ranges.len() {
            let (a1, b1) = self.ranges[i];
            let (a2, b2) = other.ranges[j];
            let lo = a1.max(a2);
            let hi = b1.min(b2);
            if lo <= hi {
                out.push((lo, hi));
            }
            if b1 < b2 {
                i += 1;
            } else {
                j += 1;
            }
        }
        CharSet { ranges: out }
    }

    /// True when the two sets share a character.
    pub fn intersects(&self, other: &CharSet) -> bool {
        let (mut i, mut j) = (0, 0);
        while i < self.ranges.len() && j < other.ranges.len() {
            let (a1, b1) = self.ranges[i];
            let (a2, b2) = other.ranges[j];
            if a1.max(a2) <= b1.min(b2) {
                return true;
            }
            if b1 < b2 {
                i += 1;
            } else {
                j += 1;
            }
        }
        false
    }

    /// The complement (over all scalar values).
    #[must_use]
    pub fn complement(&self) -> CharSet {
        let mut out = Vec::with_capacity(self.ranges.len() + 1);
        let mut next = 0u32;
        for &(a, b) in &self.ranges {
            if a > next {
                out.push((next, a - 1));
            }
            next = b.saturating_add(1);
        }
        if next <= MAX_CHAR {
            out.push((next, MAX_CHAR));
        }
        CharSet { ranges: out }
    }

    /// The difference `self - other`.
    #[must_use]
    pub fn difference(&self, other: &CharSet) -> CharSet {
        self.intersect(&other.complement())
    }

    /// True when every character of `self` is in `other`.
    pub fn is_subset(&self, other: &CharSet) -> bool {
        self.difference(other).is_empty()
    }

    /// Add simple case folding (every character also matches its other
    /// cases), using regex-syntax's Unicode tables.
    #[must_use]
    pub fn case_fold(&self) -> CharSet {
        // Fast path: ASCII-only sets (the common case: literals under
        // `(?i)` in WAF rules) fold without building a Unicode class. The
        // two ASCII letters with non-ASCII simple folds are added by hand:
        // `k` ~ U+212A KELVIN SIGN and `s` ~ U+017F LATIN SMALL LETTER LONG S.
        if self.ranges.last().is_none_or(|r| r.1 <= 0x7F) {
            let mut extra: Vec<(u32, u32)> = Vec::new();
            for &(a, b) in &self.ranges {
                let (lo, hi) = (a.max(0x41), b.min(0x5A));
                if lo <= hi {
                    extra.push((lo + 0x20, hi + 0x20));
                }
                let (lo, hi) = (a.max(0x61), b.min(0x7A));
                if lo <= hi {
                    extra.push((lo - 0x20, hi - 0x20));
                }
            }
            let folded = self.union(&CharSet::from_ranges(extra));
            let mut special = Vec::new();
            if folded.contains('k') {
                special.push((0x212A, 0x212A));
            }
            if folded.contains('s') {
                special.push((0x017F, 0x017F));
            }
            return folded.union(&CharSet::from_ranges(special));
        }
        self.case_fold_unicode()
    }

    /// Case folding in which ASCII and non-ASCII characters never fold
    /// into each other: `s` does not gain `ſ`, nor `k` the Kelvin sign
    /// (PCRE without UTF, JS without `u`, Java without UNICODE_CASE).
    #[must_use]
    pub fn case_fold_ascii_apart(&self) -> CharSet {
        let ascii = CharSet::from_ranges([(0, 0x7F)]);
        let low = self.intersect(&ascii).case_fold().intersect(&ascii);
        let high = self.difference(&ascii);
        if high.is_empty() {
            return low;
        }
        low.union(&high.case_fold().difference(&ascii))
    }

    fn case_fold_unicode(&self) -> CharSet {
        // The same sets come back pattern after pattern (`[^>]`, `\W`, `.`
        // under `(?i)`), and folding a set that spans most of Unicode walks
        // regex-syntax's whole folding table: remember the last results,
        // per thread.
        const CACHED: usize = 1024;
        thread_local! {
            static FOLDED: std::cell::RefCell<std::collections::HashMap<CharSet, CharSet>> =
                std::cell::RefCell::new(std::collections::HashMap::new());
        }
        if let Some(hit) = FOLDED.with(|m| m.borrow().get(self).cloned()) {
            return hit;
        }
        let folded = self.case_fold_unicode_uncached();
        FOLDED.with(|m| {
            let mut m = m.borrow_mut();
            if m.len() >= CACHED {
                m.clear();
            }
            m.insert(self.clone(), folded.clone());
        });
        folded
    }

    fn case_fold_unicode_uncached(&self) -> CharSet {
        use regex_syntax::hir::{ClassUnicode, ClassUnicodeRange};
        let mut ranges = Vec::with_capacity(self.ranges.len());
        for &(a, b) in &self.ranges {
            // Case folding only exists below the supplementary private use
            // area; skip surrogates which are not `char`s.
            let (a, b) = (a.min(MAX_CHAR), b.min(MAX_CHAR));
            let pieces: &[(u32, u32)] = if a <= 0xD7FF && b >= 0xE000 {
                &[(a, 0xD7FF), (0xE000, b)]
            } else if (0xD800..=0xDFFF).contains(&a) && (0xD800..=0xDFFF).contains(&b) {
                &[]
            } else if (0xD800..=0xDFFF).contains(&a) {
                &[(0xE000, b)]
            } else if (0xD800..=0xDFFF).contains(&b) {
                &[(a, 0xD7FF)]
            } else {
                &[(a, b)]
            };
            for &(x, y) in pieces {
                if let (Some(x), Some(y)) = (char::from_u32(x), char::from_u32(y)) {
                    ranges.push(ClassUnicodeRange::new(x, y));
                }
            }
        }
        let mut class = ClassUnicode::new(ranges);
        class.case_fold_simple();
        self.union(&CharSet::from_ranges(class.iter().map(|r| (r.start() as u32, r.end() as u32))))
    }

    /// A character of the set that reads well in a witness: printable ASCII
    /// first (letters, digits, then punctuation and space), then any other
    /// scalar value that is not a surrogate. `None` for the empty set.
    pub fn representative(&self) -> Option<char> {
        const PREFERRED: &str =
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-=.,;:/!@#$%&*+?'\"<>()[]{}|\\^`~\t\n\r";
        if let Some(c) = PREFERRED.chars().find(|&c| self.contains(c)) {
            return Some(c);
        }
        for &(a, b) in &self.ranges {
            for v in [a, b] {
                if let Some(c) = char::from_u32(v) {
                    return Some(c);
                }
            }
            if a < 0xE000 && b >= 0xE000 {
                return char::from_u32(0xE000);
            }
        }
        None
    }

    /// A character *not* in the set, chosen like [`CharSet::representative`].
    pub fn representative_outside(&self) -> Option<char> {
        self.complement().representative()
    }
}

impl fmt::Debug for CharSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for CharSet {
    /// A compact class notation such as `[a-z0-9_]`, for messages and
    /// `cfglint debug`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_any() {
            return f.write_str("[any]");
        }
        if self.ranges.len() == 1 && self.ranges[0].0 == self.ranges[0].1 {
            return write_char(f, self.ranges[0].0, false);
        }
        let (ranges, negated) =
            if self.ranges.first().is_some_and(|r| r.0 == 0) && self.ranges.last().is_some_and(|r| r.1 == MAX_CHAR) {
                (self.complement().ranges, true)
            } else {
                (self.ranges.clone(), false)
            };
        f.write_str(if negated { "[^" } else { "[" })?;
        for (a, b) in ranges {
            write_char(f, a, true)?;
            if b > a {
                if b > a + 1 {
                    f.write_str("-")?;
                }
                write_char(f, b, true)?;
            }
        }
        f.write_str("]")
    }
}

fn write_char(f: &mut fmt::Formatter<'_>, c: u32, in_class: bool) -> fmt::Result {
    match char::from_u32(c) {
        Some('\n') => f.write_str("\\n"),
        Some('\r') => f.write_str("\\r"),
        Some('\t') => f.write_str("\\t"),
        Some(ch @ ('\\' | ']' | '[' | '^' | '-')) if in_class => write!(f, "\\{ch}"),
        Some(ch @ ('\\' | '.' | '[' | ']' | '(' | ')' | '{' | '}' | '*' | '+' | '?' | '|' | '^' | '$'))
            if !in_class =>
        {
            write!(f, "\\{ch}")
        }
        Some(ch) if (' '..='~').contains(&ch) => write!(f, "{ch}"),
        _ if c <= 0xFF => write!(f, "\\x{c:02X}"),
        _ => write!(f, "\\x{{{c:X}}}"),
    }
}

impl Ir {
    /// The node with id `id`.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.index()]
    }

    /// The pattern with every counted repetition whose upper bound is at
    /// least `from` made unbounded (`.{0,200}` → `.{0,}`), and the
    /// quantifiers it relaxed (their spans and bounds, in pattern order);
    /// `None` when there is none. A bound caps the work per start position
    /// but not its shape: what blows up without the bound blows up within
    /// it, up to inputs about as long as the bound (see
    /// `verify::verdict::BoundedCost`).
    pub fn relax_bounds(&self, from: u32) -> Option<(Ir, Vec<(PatternSpan, u32)>)> {
        let mut relaxed = self.clone();
        let mut bounds = Vec::new();
        for node in &mut relaxed.nodes {
            if let NodeKind::Repeat(r) = &mut node.kind
                && let Some(max) = r.max.filter(|&m| m >= from)
            {
                bounds.push((r.op_span, max));
                r.max = None;
            }
        }
        bounds.sort_by_key(|(span, _)| span.start);
        (!bounds.is_empty()).then_some((relaxed, bounds))
    }

    /// True when the pattern uses a feature of this kind.
    pub fn has_feature(&self, kind: FeatureKind) -> bool {
        self.features.iter().any(|f| f.kind == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_algebra() {
        let a = CharSet::from_ranges([(u32::from(b'a'), u32::from(b'z'))]);
        let d = CharSet::from_ranges([(u32::from(b'0'), u32::from(b'9'))]);
        let w = a.union(&d).union(&CharSet::single('_'));
        assert!(w.contains('q') && w.contains('5') && w.contains('_') && !w.contains('-'));
        assert!(!a.intersects(&d));
        assert!(a.intersects(&w));
        assert_eq!(a.intersect(&w), a);
        assert!(a.is_subset(&w));
        assert_eq!(w.complement().complement(), w);
        assert!(CharSet::any().complement().is_empty());
        assert_eq!(a.representative(), Some('a'));
        assert_eq!(CharSet::any().difference(&a).representative(), Some('A'));
    }

    #[test]
    fn merge_adjacent() {
        let s = CharSet::from_ranges([(5, 7), (1, 3), (4, 4)]);
        assert_eq!(s.ranges(), &[(1, 7)]);
        assert_eq!(s.len(), 7);
    }

    #[test]
    fn folds_case_apart_from_ascii() {
        let s = CharSet::single('s').case_fold_ascii_apart();
        assert!(s.contains('S') && !s.contains('\u{17F}'));
        let k = CharSet::single('k').case_fold_ascii_apart();
        assert!(k.contains('K') && !k.contains('\u{212A}'));
        // Non-ASCII letters still fold among themselves.
        let e = CharSet::single('é').case_fold_ascii_apart();
        assert!(e.contains('É'));
        assert!(!CharSet::single('\u{17F}').case_fold_ascii_apart().contains('s'));
    }

    #[test]
    fn folds_case() {
        let s = CharSet::single('k').case_fold();
        assert!(s.contains('K') && s.contains('k') && s.contains('\u{212A}'));
        // The ASCII fast path agrees with the Unicode tables on every ASCII
        // range.
        for (a, b) in [(0x00, 0x7F), (0x41, 0x5A), (0x61, 0x7A), (0x30, 0x39), (0x5B, 0x60), (0x4A, 0x52)] {
            let set = CharSet::from_ranges([(a, b)]);
            assert_eq!(set.case_fold(), set.case_fold_unicode(), "{a:#x}-{b:#x}");
        }
        for c in 0u32..0x80 {
            let set = CharSet::from_ranges([(c, c)]);
            assert_eq!(set.case_fold(), set.case_fold_unicode(), "{c:#x}");
        }
    }

    #[test]
    fn display_is_readable() {
        assert_eq!(CharSet::single('.').to_string(), "\\.");
        assert_eq!(CharSet::from_ranges([(97, 122), (48, 57)]).to_string(), "[0-9a-z]");
        assert_eq!(CharSet::single('\n').complement().to_string(), "[^\\n]");
    }
}
