//! The front end: parse a pattern for a given flavor into the [`Ir`].
//!
//! One parser reads the union of the syntaxes cfglint supports (PCRE, RE2,
//! Rust, ECMAScript, Python, Java) and applies each flavor's reading where
//! they differ (what `$`, `.`, `\s`, `\Z`, `{` or `\1` mean). Constructs a
//! flavor lacks are still parsed and recorded as [`Feature`]s, so CL006 can
//! say "look-behind is not supported by re2" with a span rather than a
//! generic syntax error; only text no flavor could read is an error here.
//!
//! regex-syntax supplies the Unicode tables (`\p{…}` classes and simple case
//! folding) through small sub-parses; it is also the authority for the
//! `rust` flavor's validity (see `validate_rust`).
//!
//! Guarantees: the parser is iterative (an explicit stack of open groups),
//! so nesting depth costs heap, not stack; nesting beyond
//! [`ParseConfig::nest_limit`] and patterns beyond
//! [`ParseConfig::max_len`] are [`ParseErrorKind::Limit`] errors, which
//! callers report as "not analyzed", never as an invalid regex.

use crate::source::{Flags, Flavor, PatternSpan};

use super::ir::{Approximation, Assertion, CharSet, Feature, FeatureKind, Greed, Ir, Node, NodeId, NodeKind, Repeat};

/// Limits and options for [`parse`].
#[derive(Debug, Clone)]
pub struct ParseConfig {
    /// The flavor whose reading applies.
    pub flavor: Flavor,
    /// Flags given outside the pattern.
    pub flags: Flags,
    /// Deepest nesting of groups and repetitions (default 500).
    pub nest_limit: usize,
    /// Longest pattern in bytes (default 1 MiB).
    pub max_len: usize,
}

impl ParseConfig {
    /// Defaults for a flavor.
    pub fn new(flavor: Flavor) -> Self {
        ParseConfig { flavor, flags: Flags::default(), nest_limit: 500, max_len: 1 << 20 }
    }

    /// Set the external flags.
    #[must_use]
    pub fn flags(mut self, flags: Flags) -> Self {
        self.flags = flags;
        self
    }
}

/// Why a pattern could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Syntax error or limit.
    pub kind: ParseErrorKind,
    /// What is wrong, in one sentence.
    pub message: String,
    /// Where in the pattern.
    pub span: PatternSpan,
}

/// The class of a [`ParseError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// The pattern is not valid for the flavor.
    Syntax,
    /// The pattern exceeds a configured limit (not necessarily invalid).
    Limit,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Parse `pattern` as the configured flavor reads it.
pub fn parse(pattern: &str, config: &ParseConfig) -> Result<Ir, ParseError> {
    if pattern.len() > config.max_len {
        return Err(ParseError {
            kind: ParseErrorKind::Limit,
            message: format!("pattern is {} bytes, over the {}-byte analysis limit", pattern.len(), config.max_len),
            span: PatternSpan::new(0, pattern.len()),
        });
    }
    let mut p = Parser::new(pattern, config);
    let root = p.parse_all()?;
    p.resolve_backrefs()?;
    let word_chars = p.word_set();
    let line_terminators = p.line_terminators();
    Ok(Ir {
        nodes: p.nodes,
        root,
        captures: p.captures,
        names: p.names,
        approximations: p.approximations,
        features: p.features,
        pattern_len: pattern.len(),
        word_chars,
        line_terminators,
    })
}

/// Flags in effect at a point of the pattern.
#[derive(Debug, Clone, Copy)]
struct State {
    case_insensitive: bool,
    multi_line: bool,
    dot_all: bool,
    extended: bool,
    /// PCRE `(?U)`: quantifiers lazy by default.
    ungreedy: bool,
    /// Unicode-aware `\w`, `\d`, `\s`, `\b` (Python str patterns, Rust, or
    /// PCRE `(*UCP)`).
    unicode_classes: bool,
    /// Case folding crosses the ASCII line (`s` ~ U+017F `ſ`, `k` ~ U+212A
    /// KELVIN SIGN), as Unicode simple folding does: Python str patterns,
    /// Rust, RE2, Onigmo, JS with `u`/`v`, Java `(?u)`, PCRE in UTF or UCP
    /// mode. Without it ASCII letters fold only among themselves: PCRE
    /// without UTF (ModSecurity compiles `@rx` so), JS without `u`
    /// (Canonicalize keeps a non-ASCII character whose upper case is
    /// ASCII), Java without UNICODE_CASE.
    unicode_case: bool,
}

/// What an open group will become when it closes.
#[derive(Debug, Clone)]
enum GroupKind {
    /// The top level (not a group).
    Top,
    Capture(u32),
    NonCapture,
    Atomic,
    Look {
        behind: bool,
        negated: bool,
    },
    /// `(?i:…)`: a non-capturing group with scoped flags.
    Flags,
    /// `(?(cond)yes|no)`, approximated as `(?:yes|no)`.
    Conditional,
    /// `(?|…)` branch reset, approximated as non-capturing.
    BranchReset,
}

#[derive(Debug)]
struct Frame {
    kind: GroupKind,
    /// Offset of the `(`.
    start: usize,
    /// Completed alternatives.
    alts: Vec<NodeId>,
    /// Items of the current alternative.
    items: Vec<NodeId>,
    /// Start offset of the current alternative.
    alt_start: usize,
    /// Flags to restore when the group closes.
    saved: State,
}

struct Parser<'a> {
    pattern: &'a str,
    pos: usize,
    flavor: Flavor,
    state: State,
    nest_limit: usize,
    /// JS `u`/`v` flag: strict escapes.
    js_unicode: bool,
    /// Onigmo (Ruby syntax): read as PCRE, except for the escapes Ruby
    /// spells its own way (`\h` is a hex digit, `\v` a vertical tab,
    /// `\uHHHH` a code point).
    onigmo: bool,
    nodes: Vec<Node>,
    captures: u32,
    names: Vec<(String, u32)>,
    approximations: Vec<Approximation>,
    features: Vec<Feature>,
    /// Backreferences to check once every group is known:
    /// (node, group or name, span).
    pending_refs: Vec<(NodeId, RefTarget, PatternSpan)>,
    /// Open groups, innermost last; the first frame is the top level.
    stack: Vec<Frame>,
}

#[derive(Debug, Clone)]
enum RefTarget {
    Number(u32),
    Relative(i64),
    Name(String),
}

fn err(kind: ParseErrorKind, message: impl Into<String>, start: usize, end: usize) -> ParseError {
    ParseError { kind, message: message.into(), span: PatternSpan::new(start, end.max(start)) }
}

fn syntax(message: impl Into<String>, start: usize, end: usize) -> ParseError {
    err(ParseErrorKind::Syntax, message, start, end)
}

const ASCII_WORD: [(u32, u32); 4] = [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)];
const ASCII_DIGIT: [(u32, u32); 1] = [(0x30, 0x39)];

impl<'a> Parser<'a> {
    fn new(pattern: &'a str, config: &ParseConfig) -> Self {
        let f = config.flags;
        let unicode_classes = matches!(config.flavor, Flavor::Python | Flavor::Rust);
        let unicode_case = match config.flavor {
            Flavor::Pcre | Flavor::Java => false,
            Flavor::Js => f.unicode,
            _ => true,
        };
        Parser {
            pattern,
            pos: 0,
            flavor: config.flavor.model(),
            onigmo: config.flavor == Flavor::Onigmo,
            state: State {
                case_insensitive: f.case_insensitive,
                multi_line: f.multi_line,
                dot_all: f.dot_all,
                extended: f.extended,
                ungreedy: false,
                unicode_classes,
                unicode_case,
            },
            nest_limit: config.nest_limit,
            js_unicode: config.flavor == Flavor::Js && f.unicode,
            nodes: Vec::new(),
            captures: 0,
            names: Vec::new(),
            approximations: Vec::new(),
            features: Vec::new(),
            pending_refs: Vec::new(),
            stack: Vec::new(),
        }
    }

    // ----- small helpers -------------------------------------------------

    fn peek(&self) -> Option<char> {
        self.pattern[self.pos..].chars().next()
    }

    fn peek_at(&self, byte_offset: usize) -> Option<char> {
        self.pattern.get(self.pos + byte_offset..).and_then(|s| s.chars().next())
    }

    fn rest(&self) -> &'a str {
        &self.pattern[self.pos..]
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn eat(&mut self, s: &str) -> bool {
        if self.rest().starts_with(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    fn push(&mut self, kind: NodeKind, start: usize, end: usize) -> NodeId {
        let id = NodeId(u32::try_from(self.nodes.len()).expect("node count fits in u32 (pattern length is capped)"));
        self.nodes.push(Node { kind, span: PatternSpan::new(start, end) });
        id
    }

    fn feature(&mut self, kind: FeatureKind, start: usize, end: usize) {
        self.features.push(Feature { kind, span: PatternSpan::new(start, end) });
    }

    fn approximate(&mut self, what: impl Into<String>, start: usize, end: usize) {
        self.approximations.push(Approximation { what: what.into(), span: PatternSpan::new(start, end) });
    }

    fn is_js(&self) -> bool {
        self.flavor == Flavor::Js
    }

    fn word_set(&self) -> CharSet {
        if self.state.unicode_classes {
            unicode_class(r"\w").unwrap_or_else(|| CharSet::from_ranges(ASCII_WORD))
        } else {
            CharSet::from_ranges(ASCII_WORD)
        }
    }

    fn line_terminators(&self) -> CharSet {
        match self.flavor {
            Flavor::Js => CharSet::from_ranges([(0x0A, 0x0A), (0x0D, 0x0D), (0x2028, 0x2029)]),
            Flavor::Java => CharSet::from_ranges([(0x0A, 0x0A), (0x0D, 0x0D), (0x85, 0x85), (0x2028, 0x2029)]),
            _ => CharSet::single('\n'),
        }
    }

    /// The set `.` matches under the current flags.
    fn dot_set(&self) -> CharSet {
        if self.state.dot_all {
            return CharSet::any();
        }
        match self.flavor {
            Flavor::Js | Flavor::Java => self.line_terminators().complement(),
            _ => CharSet::single('\n').complement(),
        }
    }

    fn fold(&self, set: CharSet) -> CharSet {
        match (self.state.case_insensitive, self.state.unicode_case) {
            (false, _) => set,
            (true, true) => set.case_fold(),
            (true, false) => set.case_fold_ascii_apart(),
        }
    }

    // ----- structure -----------------------------------------------------

    fn parse_all(&mut self) -> Result<NodeId, ParseError> {
        self.stack.push(Frame {
            kind: GroupKind::Top,
            start: 0,
            alts: Vec::new(),
            items: Vec::new(),
            alt_start: 0,
            saved: self.state,
        });
        self.parse_leading_verbs();
        while self.pos < self.pattern.len() {
            let start = self.pos;
            let c = self.peek().expect("pos < len");
            if self.state.extended && self.skip_extended() {
                continue;
            }
            match c {
                '(' => self.open_group()?,
                ')' => {
                    if self.stack.len() == 1 {
                        return Err(syntax("unmatched closing parenthesis", start, start + 1));
                    }
                    self.pos += 1;
                    self.close_group();
                }
                '|' => {
                    self.pos += 1;
                    let frame = self.stack.last_mut().expect("stack is never empty while parsing");
                    let items = std::mem::take(&mut frame.items);
                    let alt_start = frame.alt_start;
                    let node = self.concat(items, alt_start, start);
                    let frame = self.stack.last_mut().expect("stack is never empty while parsing");
                    frame.alts.push(node);
                    frame.alt_start = self.pos;
                }
                '*' | '+' | '?' => self.quantifier()?,
                '{' => {
                    if let Some(q) = self.try_counted()? {
                        self.apply_quantifier(q)?;
                    } else {
                        self.literal_brace(start)?;
                    }
                }
                _ => {
                    let node = self.atom()?;
                    if let Some(node) = node {
                        self.stack.last_mut().expect("stack is never empty while parsing").items.push(node);
                    }
                }
            }
        }
        if self.stack.len() > 1 {
            let open = self.stack.last().expect("checked len").start;
            return Err(syntax("unclosed group: missing `)`", open, self.pattern.len()));
        }
        let frame = self.stack.pop().expect("top frame");
        Ok(self.finish_alternation(frame, self.pattern.len()))
    }

    /// PCRE start-of-pattern verbs such as `(*UCP)`, `(*UTF)`, `(*CRLF)`.
    fn parse_leading_verbs(&mut self) {
        if self.flavor != Flavor::Pcre {
            return;
        }
        loop {
            let rest = self.rest();
            if !rest.starts_with("(*") {
                return;
            }
            let Some(end) = rest.find(')') else { return };
            let verb = &rest[2..end];
            if !verb.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' || c == '=') {
                return;
            }
            if verb == "UCP" {
                self.state.unicode_classes = true;
                self.state.unicode_case = true;
            }
            if verb == "UTF" || verb == "UTF8" {
                self.state.unicode_case = true;
            }
            self.pos += end + 1;
        }
    }

    /// In extended mode, skip whitespace and `#` comments. Returns true if
    /// anything was skipped.
    fn skip_extended(&mut self) -> bool {
        let start = self.pos;
        loop {
            match self.peek() {
                Some(c) if c.is_whitespace() => {
                    self.pos += c.len_utf8();
                }
                Some('#') => {
                    while let Some(c) = self.bump() {
                        if c == '\n' {
                            break;
                        }
                    }
                }
                _ => break,
            }
        }
        self.pos > start
    }

    fn concat(&mut self, items: Vec<NodeId>, start: usize, end: usize) -> NodeId {
        match items.len() {
            0 => self.push(NodeKind::Empty, start, end),
            1 => items[0],
            _ => {
                let s = self.nodes[items[0].index()].span.start.min(start);
                self.push(NodeKind::Concat(items), s, end)
            }
        }
    }

    fn finish_alternation(&mut self, mut frame: Frame, end: usize) -> NodeId {
        let items = std::mem::take(&mut frame.items);
        let last = self.concat(items, frame.alt_start, end);
        if frame.alts.is_empty() {
            return last;
        }
        frame.alts.push(last);
        let start = self.nodes[frame.alts[0].index()].span.start;
        self.push(NodeKind::Alt(frame.alts), start, end)
    }

    fn check_depth(&self, start: usize) -> Result<(), ParseError> {
        if self.stack.len() > self.nest_limit {
            return Err(err(
                ParseErrorKind::Limit,
                format!("groups nested more than {} deep", self.nest_limit),
                start,
                start + 1,
            ));
        }
        Ok(())
    }

    fn open_group(&mut self) -> Result<(), ParseError> {
        let start = self.pos;
        self.check_depth(start)?;
        self.pos += 1; // (
        let saved = self.state;
        let kind = if self.peek() == Some('?') {
            self.pos += 1;
            match self.group_extension(start)? {
                Some(kind) => kind,
                // A whole construct (comment, flag setting, recursion)
                // already handled.
                None => return Ok(()),
            }
        } else if self.peek() == Some('*') && self.flavor == Flavor::Pcre {
            return self.verb(start);
        } else {
            self.captures += 1;
            GroupKind::Capture(self.captures)
        };
        self.stack.push(Frame { kind, start, alts: Vec::new(), items: Vec::new(), alt_start: self.pos, saved });
        Ok(())
    }

    /// After `(?`. Returns the group kind to open, or `None` when the
    /// construct is complete (no group to open).
    fn group_extension(&mut self, start: usize) -> Result<Option<GroupKind>, ParseError> {
        let c = self.peek().ok_or_else(|| syntax("unfinished group `(?`", start, self.pos))?;
        match c {
            ':' => {
                self.pos += 1;
                Ok(Some(GroupKind::NonCapture))
            }
            '=' | '!' => {
                self.pos += 1;
                self.feature(FeatureKind::LookAhead, start, self.pos);
                Ok(Some(GroupKind::Look { behind: false, negated: c == '!' }))
            }
            '>' => {
                self.pos += 1;
                self.feature(FeatureKind::AtomicGroup, start, self.pos);
                Ok(Some(GroupKind::Atomic))
            }
            '|' => {
                self.pos += 1;
                self.approximate("branch reset group `(?|…)` treated as non-capturing", start, self.pos);
                Ok(Some(GroupKind::BranchReset))
            }
            '#' => {
                // Comment up to the next `)`.
                match self.rest().find(')') {
                    Some(i) => {
                        self.pos += i + 1;
                        Ok(None)
                    }
                    None => Err(syntax("unclosed comment `(?#`", start, self.pattern.len())),
                }
            }
            '<' => {
                let next = self.peek_at(1);
                if next == Some('=') || next == Some('!') {
                    self.pos += 2;
                    self.feature(FeatureKind::LookBehind, start, self.pos);
                    return Ok(Some(GroupKind::Look { behind: true, negated: next == Some('!') }));
                }
                self.pos += 1;
                let name = self.group_name('>', start)?;
                self.feature(FeatureKind::AngleNamedGroup, start, self.pos);
                Ok(Some(self.named_capture(name)))
            }
            '\'' => {
                self.pos += 1;
                let name = self.group_name('\'', start)?;
                self.feature(FeatureKind::AngleNamedGroup, start, self.pos);
                Ok(Some(self.named_capture(name)))
            }
            'P' => {
                self.pos += 1;
                match self.peek() {
                    Some('<') => {
                        self.pos += 1;
                        let name = self.group_name('>', start)?;
                        self.feature(FeatureKind::PythonNamedGroup, start, self.pos);
                        Ok(Some(self.named_capture(name)))
                    }
                    Some('=') => {
                        self.pos += 1;
                        let name = self.group_name(')', start)?;
                        self.feature(FeatureKind::Backreference, start, self.pos);
                        let ci = self.state.case_insensitive;
                        let node = self.push(NodeKind::Backref { group: 0, case_insensitive: ci }, start, self.pos);
                        self.pending_refs.push((node, RefTarget::Name(name), PatternSpan::new(start, self.pos)));
                        self.stack.last_mut().expect("stack").items.push(node);
                        Ok(None)
                    }
                    Some('>') => {
                        self.pos += 1;
                        let _ = self.group_name(')', start)?;
                        self.recursion(start);
                        Ok(None)
                    }
                    _ => Err(syntax("unknown group syntax after `(?P`", start, self.pos)),
                }
            }
            'R' | '0'..='9' | '&' | '+' => {
                // Recursion / subroutine call: (?R) (?1) (?-1) (?+1) (?&name)
                let close = self.rest().find(')').ok_or_else(|| syntax("unclosed group", start, self.pattern.len()))?;
                self.pos += close + 1;
                self.recursion(start);
                Ok(None)
            }
            '-' if self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) => {
                let close = self.rest().find(')').ok_or_else(|| syntax("unclosed group", start, self.pattern.len()))?;
                self.pos += close + 1;
                self.recursion(start);
                Ok(None)
            }
            '(' => {
                // Conditional: skip the condition, approximate as alternation.
                let close =
                    self.rest().find(')').ok_or_else(|| syntax("unclosed condition", start, self.pattern.len()))?;
                self.pos += close + 1;
                self.feature(FeatureKind::Conditional, start, self.pos);
                self.approximate("conditional group approximated as an alternation of its branches", start, self.pos);
                Ok(Some(GroupKind::Conditional))
            }
            _ => self.inline_flags(start),
        }
    }

    fn recursion(&mut self, start: usize) {
        self.feature(FeatureKind::Recursion, start, self.pos);
        self.approximate("recursion / subroutine call treated as matching the empty string", start, self.pos);
        let node = self.push(NodeKind::Empty, start, self.pos);
        self.stack.last_mut().expect("stack").items.push(node);
    }

    fn named_capture(&mut self, name: String) -> GroupKind {
        self.captures += 1;
        self.names.push((name, self.captures));
        GroupKind::Capture(self.captures)
    }

    fn group_name(&mut self, close: char, start: usize) -> Result<String, ParseError> {
        let name_start = self.pos;
        while let Some(c) = self.peek() {
            if c == close {
                let name = self.pattern[name_start..self.pos].to_owned();
                self.pos += c.len_utf8();
                if name.is_empty() {
                    return Err(syntax("empty group name", start, self.pos));
                }
                return Ok(name);
            }
            if !(c.is_alphanumeric() || c == '_') {
                return Err(syntax(
                    format!("invalid character `{c}` in group name"),
                    self.pos,
                    self.pos + c.len_utf8(),
                ));
            }
            self.pos += c.len_utf8();
        }
        Err(syntax(format!("unclosed group name: missing `{close}`"), start, self.pattern.len()))
    }

    /// `(?flags)` or `(?flags:…)`.
    fn inline_flags(&mut self, start: usize) -> Result<Option<GroupKind>, ParseError> {
        let mut on = true;
        let mut st = self.state;
        loop {
            let Some(c) = self.bump() else {
                return Err(syntax("unclosed inline flag group", start, self.pos));
            };
            match c {
                'i' => st.case_insensitive = on,
                'm' => st.multi_line = on,
                's' => st.dot_all = on,
                'x' => st.extended = on,
                'U' if matches!(self.flavor, Flavor::Pcre | Flavor::Rust | Flavor::Re2) => st.ungreedy = on,
                // Java's `(?U)` is UNICODE_CHARACTER_CLASS, not ungreedy.
                // Java's `(?U)` is UNICODE_CHARACTER_CLASS, which implies
                // UNICODE_CASE.
                'U' if self.flavor == Flavor::Java => {
                    st.unicode_classes = on;
                    st.unicode_case = on;
                }
                'u' => {
                    if self.flavor == Flavor::Python || self.flavor == Flavor::Rust {
                        st.unicode_classes = on;
                    }
                    if self.flavor == Flavor::Java {
                        st.unicode_case = on;
                    }
                }
                'a' if self.flavor == Flavor::Python => {
                    st.unicode_classes = false;
                    st.unicode_case = false;
                }
                'L' if self.flavor == Flavor::Python => {}
                'J' | 'n' | 'd' | 'R' => {}
                '^' if self.flavor == Flavor::Pcre => {
                    st.case_insensitive = false;
                    st.multi_line = false;
                    st.dot_all = false;
                    st.extended = false;
                    st.ungreedy = false;
                }
                '-' if on => on = false,
                ')' => {
                    self.feature(FeatureKind::InlineFlags, start, self.pos);
                    self.state = st;
                    return Ok(None);
                }
                ':' => {
                    self.feature(FeatureKind::InlineFlags, start, self.pos);
                    self.state = st;
                    return Ok(Some(GroupKind::Flags));
                }
                other => {
                    return Err(syntax(format!("unknown group flag or syntax `(?{other}`"), start, self.pos));
                }
            }
        }
    }

    /// PCRE backtracking verbs `(*SKIP)`, `(*FAIL)`, ...
    fn verb(&mut self, start: usize) -> Result<(), ParseError> {
        let close = self.rest().find(')').ok_or_else(|| syntax("unclosed verb `(*`", start, self.pattern.len()))?;
        let verb = &self.rest()[1..close];
        self.pos += close + 1;
        self.feature(FeatureKind::BacktrackingVerb, start, self.pos);
        let node = if verb == "FAIL" || verb == "F" {
            self.push(NodeKind::Fail, start, self.pos)
        } else {
            self.approximate(format!("backtracking verb `(*{verb})` ignored"), start, self.pos);
            self.push(NodeKind::Empty, start, self.pos)
        };
        self.stack.last_mut().expect("stack").items.push(node);
        Ok(())
    }

    fn close_group(&mut self) {
        let end = self.pos;
        let frame = self.stack.pop().expect("caller checked depth");
        let start = frame.start;
        let saved = frame.saved;
        let kind = frame.kind.clone();
        let body = self.finish_alternation(frame, end - 1);
        let node_kind = match kind {
            GroupKind::Top => unreachable!("top frame is never closed by `)`"),
            GroupKind::Capture(i) => NodeKind::Group { child: body, capture: Some(i) },
            GroupKind::NonCapture | GroupKind::Flags | GroupKind::Conditional | GroupKind::BranchReset => {
                NodeKind::Group { child: body, capture: None }
            }
            GroupKind::Atomic => NodeKind::Atomic(body),
            GroupKind::Look { behind, negated } => NodeKind::Look { child: body, behind, negated },
        };
        self.state = saved;
        let id = self.push(node_kind, start, end);
        self.stack.last_mut().expect("parent frame").items.push(id);
    }

    // ----- quantifiers ---------------------------------------------------

    fn quantifier(&mut self) -> Result<(), ParseError> {
        let start = self.pos;
        let c = self.bump().expect("caller peeked");
        let (min, max) = match c {
            '*' => (0, None),
            '+' => (1, None),
            _ => (0, Some(1)),
        };
        self.apply_quantifier(Quant { min, max, start })
    }

    /// Try `{n}`, `{n,}`, `{n,m}` (and `{,m}` where the flavor reads it).
    /// Returns `None` (position unchanged) when the brace is a literal.
    fn try_counted(&mut self) -> Result<Option<Quant>, ParseError> {
        let start = self.pos;
        let rest = &self.rest()[1..];
        let Some(close) = rest.find('}') else { return Ok(None) };
        let body = &rest[..close];
        let (lo, hi) = match body.split_once(',') {
            Some((lo, hi)) => (lo.trim(), Some(hi.trim())),
            None => (body.trim(), None),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let valid_lo = digits(lo);
        let valid_hi = hi.is_none_or(|h| h.is_empty() || digits(h));
        if !valid_hi || body.contains(' ') && !matches!(self.flavor, Flavor::Python) {
            return Ok(None);
        }
        if !valid_lo {
            // `{,m}`: Python and PCRE2 10.43+ read {0,m}; others a literal.
            if lo.is_empty() && hi.is_some_and(digits) && matches!(self.flavor, Flavor::Python | Flavor::Pcre) {
                self.feature(FeatureKind::EmptyMinRepeat, start, start + close + 2);
            } else {
                return Ok(None);
            }
        }
        let parse_num = |s: &str, at: usize| -> Result<u32, ParseError> {
            s.parse::<u32>().map_err(|_| syntax("repetition count too large", at, at + s.len() + 2))
        };
        let min = if lo.is_empty() { 0 } else { parse_num(lo, start)? };
        let max = match hi {
            None => Some(min),
            Some("") => None,
            Some(h) => Some(parse_num(h, start)?),
        };
        if let Some(m) = max
            && m < min
        {
            return Err(syntax(
                format!("repetition range {{{min},{m}}} has its maximum below its minimum"),
                start,
                start + close + 2,
            ));
        }
        self.pos = start + close + 2;
        Ok(Some(Quant { min, max, start }))
    }

    fn literal_brace(&mut self, start: usize) -> Result<(), ParseError> {
        if matches!(self.flavor, Flavor::Java | Flavor::Rust) || (self.is_js() && self.js_unicode) {
            return Err(syntax("unescaped `{` that does not start a repetition", start, start + 1));
        }
        self.feature(FeatureKind::LiteralBrace, start, start + 1);
        self.pos += 1;
        let set = CharSet::single('{');
        let id = self.push(NodeKind::Set(set), start, start + 1);
        self.stack.last_mut().expect("stack").items.push(id);
        Ok(())
    }

    fn apply_quantifier(&mut self, q: Quant) -> Result<(), ParseError> {
        // Greedy / lazy / possessive suffix.
        let mut greed = Greed::Greedy;
        if self.peek() == Some('?') {
            self.pos += 1;
            greed = Greed::Lazy;
        } else if self.peek() == Some('+')
            && self.flavor != Flavor::Js
            // Onigmo's Ruby syntax reads `{n,m}+` as a loop of the loop.
            && !(self.onigmo && self.pattern[q.start..].starts_with('{'))
        {
            self.pos += 1;
            greed = Greed::Possessive;
            self.feature(FeatureKind::PossessiveQuantifier, q.start, self.pos);
        }
        if self.state.ungreedy {
            greed = match greed {
                Greed::Greedy => Greed::Lazy,
                Greed::Lazy => Greed::Greedy,
                Greed::Possessive => Greed::Possessive,
            };
        }
        if greed == Greed::Lazy {
            self.feature(FeatureKind::LazyQuantifier, q.start, self.pos);
        }
        let op_span = PatternSpan::new(q.start, self.pos);
        let frame = self.stack.last_mut().expect("stack");
        let Some(&target) = frame.items.last() else {
            return Err(syntax("quantifier has nothing to repeat", q.start, self.pos));
        };
        let target_node = &self.nodes[target.index()];
        match &target_node.kind {
            NodeKind::Repeat(r) if r.op_span.end == q.start => {
                // `a**`, `a+*`: PCRE and others reject a quantifier applied
                // directly to a quantifier (other than the lazy/possessive
                // suffixes handled above). PCRE accepts `a{2}{3}`.
                let counted_both =
                    self.pattern[r.op_span.range()].starts_with('{') && self.pattern[op_span.range()].starts_with('{');
                // Onigmo (Ruby syntax) takes a quantifier of a quantifier
                // and reduces the greedy `?`/`*`/`+` pairs to one loop
                // (`.?*` is `.*`, grok SHOREWALL); others nest.
                if self.onigmo {
                    let plain = |min: u32, max: Option<u32>| min <= 1 && matches!(max, None | Some(1));
                    if r.greed == Greed::Greedy && greed == Greed::Greedy && plain(r.min, r.max) && plain(q.min, q.max)
                    {
                        let (min, max) =
                            (r.min * q.min, if r.max.is_none() || q.max.is_none() { None } else { Some(1) });
                        let (child, inner) = (r.child, r.op_span);
                        let span = self.nodes[target.index()].span;
                        self.nodes[target.index()].kind = NodeKind::Repeat(Repeat {
                            child,
                            min,
                            max,
                            greed,
                            op_span: PatternSpan::new(inner.start, self.pos),
                        });
                        self.nodes[target.index()].span = PatternSpan::new(span.start, self.pos);
                        return Ok(());
                    }
                } else if !(counted_both && self.flavor == Flavor::Pcre) {
                    return Err(syntax("quantifier follows another quantifier (nothing to repeat)", q.start, self.pos));
                }
            }
            NodeKind::Assert(_) if matches!(self.flavor, Flavor::Js | Flavor::Python | Flavor::Re2 | Flavor::Rust) => {
                return Err(syntax("quantifier applied to an assertion (nothing to repeat)", q.start, self.pos));
            }
            _ => {}
        }
        if self.stack.len() >= self.nest_limit {
            return Err(err(ParseErrorKind::Limit, "repetitions nested too deep", q.start, self.pos));
        }
        let frame = self.stack.last_mut().expect("stack");
        frame.items.pop();
        let start = self.nodes[target.index()].span.start;
        let id = self.push(
            NodeKind::Repeat(Repeat { child: target, min: q.min, max: q.max, greed, op_span }),
            start,
            self.pos,
        );
        self.stack.last_mut().expect("stack").items.push(id);
        Ok(())
    }

    // ----- atoms ---------------------------------------------------------

    /// Parse one atom (literal, class, escape, `.`, `^`, `$`). Returns
    /// `None` for text that produces no node (`\Q\E`, `\E`).
    fn atom(&mut self) -> Result<Option<NodeId>, ParseError> {
        let start = self.pos;
        let c = self.bump().expect("caller peeked");
        let kind = match c {
            '.' => NodeKind::Set(self.dot_set()),
            '^' => NodeKind::Assert(if self.state.multi_line { Assertion::StartLine } else { Assertion::StartText }),
            '$' => NodeKind::Assert(if self.state.multi_line {
                Assertion::EndLine
            } else if matches!(self.flavor, Flavor::Pcre | Flavor::Python | Flavor::Java) {
                Assertion::EndTextOptionalNewline
            } else {
                Assertion::EndText
            }),
            '[' => NodeKind::Set(self.class(start)?),
            '\\' => return self.escape(start),
            ']' if self.is_js() || matches!(self.flavor, Flavor::Pcre | Flavor::Python | Flavor::Re2) => {
                NodeKind::Set(self.fold(CharSet::single(']')))
            }
            '}' => NodeKind::Set(CharSet::single('}')),
            _ => NodeKind::Set(self.fold(CharSet::single(c))),
        };
        Ok(Some(self.push(kind, start, self.pos)))
    }

    fn escape(&mut self, start: usize) -> Result<Option<NodeId>, ParseError> {
        let Some(c) = self.bump() else {
            return Err(syntax("pattern ends with a lone backslash", start, self.pos));
        };
        let kind = match c {
            'Q' if matches!(self.flavor, Flavor::Pcre | Flavor::Java | Flavor::Re2 | Flavor::Rust) => {
                return Ok(self.quoted(start));
            }
            'E' if matches!(self.flavor, Flavor::Pcre | Flavor::Java | Flavor::Re2) => return Ok(None),
            'b' => NodeKind::Assert(Assertion::WordBoundary),
            'B' => NodeKind::Assert(Assertion::NotWordBoundary),
            'A' if !self.is_js() => {
                self.feature(FeatureKind::AbsoluteStart, start, self.pos);
                NodeKind::Assert(Assertion::StartText)
            }
            'z' if !self.is_js() && self.flavor != Flavor::Python => {
                self.feature(FeatureKind::AbsoluteEnd, start, self.pos);
                NodeKind::Assert(Assertion::EndText)
            }
            'Z' if matches!(self.flavor, Flavor::Pcre | Flavor::Java | Flavor::Python) => {
                self.feature(FeatureKind::EndOrFinalNewline, start, self.pos);
                NodeKind::Assert(if self.flavor == Flavor::Python {
                    Assertion::EndText
                } else {
                    Assertion::EndTextOptionalNewline
                })
            }
            'G' if matches!(self.flavor, Flavor::Pcre | Flavor::Java) => {
                self.feature(FeatureKind::StartOfAttempt, start, self.pos);
                NodeKind::Assert(Assertion::StartOfAttempt)
            }
            'K' if self.flavor == Flavor::Pcre => {
                self.feature(FeatureKind::MatchReset, start, self.pos);
                self.approximate(
                    "`\\K` (match reset) does not change what can match; treated as empty",
                    start,
                    self.pos,
                );
                NodeKind::Empty
            }
            '1'..='9' => return self.numeric_escape(c, start).map(Some),
            'k' if self.peek().is_some_and(|c| matches!(c, '<' | '\'' | '{')) => {
                let open = self.bump().expect("peeked");
                let close = match open {
                    '<' => '>',
                    '\'' => '\'',
                    _ => '}',
                };
                let name = self.group_name(close, start)?;
                return Ok(Some(self.backref(RefTarget::Name(name), start)));
            }
            'g' if matches!(self.flavor, Flavor::Pcre) => return self.g_reference(start).map(Some),
            'X' if matches!(self.flavor, Flavor::Pcre | Flavor::Java) => {
                self.feature(FeatureKind::PcreEscape, start, self.pos);
                self.approximate("`\\X` (grapheme cluster) approximated as one character", start, self.pos);
                NodeKind::Set(CharSet::any())
            }
            'R' if matches!(self.flavor, Flavor::Pcre | Flavor::Java) => {
                self.feature(FeatureKind::PcreEscape, start, self.pos);
                self.approximate("`\\R` approximated as one line-break character", start, self.pos);
                NodeKind::Set(CharSet::from_ranges([(0x0A, 0x0D), (0x85, 0x85), (0x2028, 0x2029)]))
            }
            _ => {
                self.pos = start;
                let set = self.class_escape(start, false)?;
                NodeKind::Set(set)
            }
        };
        Ok(Some(self.push(kind, start, self.pos)))
    }

    /// `\Q…\E`: every character up to `\E` (or the end) is literal.
    fn quoted(&mut self, start: usize) -> Option<NodeId> {
        self.feature(FeatureKind::QuoteLiteral, start, self.pos);
        let body_start = self.pos;
        let end = self.rest().find("\\E").map_or(self.pattern.len(), |i| body_start + i);
        let body = &self.pattern[body_start..end];
        let mut items = Vec::new();
        let mut off = body_start;
        for ch in body.chars() {
            let set = self.fold(CharSet::single(ch));
            items.push(self.push(NodeKind::Set(set), off, off + ch.len_utf8()));
            off += ch.len_utf8();
        }
        self.pos = if end < self.pattern.len() { end + 2 } else { end };
        if items.is_empty() {
            return None;
        }
        let frame = self.stack.last_mut().expect("stack");
        let last = items.pop().expect("non-empty");
        frame.items.extend(items);
        Some(last)
    }

    fn backref(&mut self, target: RefTarget, start: usize) -> NodeId {
        self.feature(FeatureKind::Backreference, start, self.pos);
        let ci = self.state.case_insensitive;
        let node = self.push(NodeKind::Backref { group: 0, case_insensitive: ci }, start, self.pos);
        self.pending_refs.push((node, target, PatternSpan::new(start, self.pos)));
        node
    }

    /// `\1`..`\9` and multi-digit references / octal escapes.
    fn numeric_escape(&mut self, first: char, start: usize) -> Result<NodeId, ParseError> {
        let mut digits = String::from(first);
        while let Some(c) = self.peek().filter(char::is_ascii_digit) {
            digits.push(c);
            self.pos += 1;
        }
        let n: u32 = digits.parse().unwrap_or(u32::MAX);
        match self.flavor {
            Flavor::Re2 | Flavor::Rust => {
                Err(syntax("backreferences are not supported (no `\\1` in RE2/Rust)", start, self.pos))
            }
            _ => {
                // In PCRE, `\12` is a backreference when there are at least
                // 12 groups so far... or later; otherwise an octal escape.
                // We keep it a backreference and let resolution decide.
                if digits.len() > 1
                    && self.flavor == Flavor::Pcre
                    && n > self.captures
                    && digits.bytes().all(|b| b < b'8')
                {
                    // Octal escape, e.g. `\012`.
                    let v = u32::from_str_radix(&digits[..digits.len().min(3)], 8).unwrap_or(0);
                    self.pos = start + 1 + digits.len().min(3);
                    let set = self.fold(CharSet::from_ranges([(v, v)]));
                    return Ok(self.push(NodeKind::Set(set), start, self.pos));
                }
                Ok(self.backref(RefTarget::Number(n), start))
            }
        }
    }

    /// PCRE `\g1`, `\g{1}`, `\g{-1}`, `\g{name}`, `\g<name>` (subroutine).
    fn g_reference(&mut self, start: usize) -> Result<NodeId, ParseError> {
        match self.peek() {
            Some('{') => {
                self.pos += 1;
                let body_start = self.pos;
                let close =
                    self.rest().find('}').ok_or_else(|| syntax("unclosed `\\g{`", start, self.pattern.len()))?;
                let body = self.pattern[body_start..body_start + close].to_owned();
                self.pos = body_start + close + 1;
                Ok(self.backref(ref_target(&body), start))
            }
            Some('<' | '\'') => {
                let open = self.bump().expect("peeked");
                let close = if open == '<' { '>' } else { '\'' };
                let _ = self.group_name(close, start).or_else(|_| {
                    // Numeric subroutine calls like \g<1> or \g<-1>.
                    let i = self
                        .rest()
                        .find(close)
                        .ok_or_else(|| syntax("unclosed subroutine call", start, self.pattern.len()))?;
                    self.pos += i + 1;
                    Ok::<String, ParseError>(String::new())
                })?;
                self.feature(FeatureKind::Recursion, start, self.pos);
                self.approximate("subroutine call treated as matching the empty string", start, self.pos);
                Ok(self.push(NodeKind::Empty, start, self.pos))
            }
            _ => {
                let body_start = self.pos;
                if self.peek() == Some('-') {
                    self.pos += 1;
                }
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.pos += 1;
                }
                let body = self.pattern[body_start..self.pos].to_owned();
                if body.is_empty() || body == "-" {
                    return Err(syntax("`\\g` must be followed by a group number or name", start, self.pos));
                }
                Ok(self.backref(ref_target(&body), start))
            }
        }
    }

    fn resolve_backrefs(&mut self) -> Result<(), ParseError> {
        for (node, target, span) in std::mem::take(&mut self.pending_refs) {
            let group = match &target {
                RefTarget::Number(n) => Some(*n),
                RefTarget::Relative(r) => {
                    // Relative references count groups opened before the
                    // reference; approximate with the total when unknown.
                    let base = i64::from(self.captures) + 1;
                    u32::try_from(base + r).ok()
                }
                RefTarget::Name(name) => self.names.iter().find(|(n, _)| n == name).map(|&(_, i)| i),
            };
            match group {
                Some(g) if g >= 1 && g <= self.captures => {
                    if let NodeKind::Backref { group, .. } = &mut self.nodes[node.index()].kind {
                        *group = g;
                    }
                }
                _ if self.is_js() && matches!(target, RefTarget::Number(_)) => {
                    // Annex B: `\8` with no such group is an identity escape
                    // or octal escape; treat as a literal of the digits.
                    let text = &self.pattern[span.start + 1..span.end];
                    let v = text.chars().next().map_or(0, |c| c as u32);
                    self.nodes[node.index()].kind = NodeKind::Set(CharSet::from_ranges([(v, v)]));
                }
                _ => {
                    let what = match target {
                        RefTarget::Name(n) => format!("backreference to unknown group name `{n}`"),
                        _ => "backreference to a group that does not exist".to_owned(),
                    };
                    return Err(syntax(what, span.start, span.end));
                }
            }
        }
        Ok(())
    }

    // ----- character classes ---------------------------------------------

    /// After `[`: a bracketed class, up to and including `]`.
    fn class(&mut self, start: usize) -> Result<CharSet, ParseError> {
        self.class_body(start, 0)
    }

    fn class_body(&mut self, start: usize, depth: usize) -> Result<CharSet, ParseError> {
        if depth > 32 {
            return Err(err(ParseErrorKind::Limit, "character classes nested too deep", start, self.pos));
        }
        let negated = self.eat("^");
        let mut set = CharSet::empty();
        // Java-style intersections: accumulate `&&` operands.
        let mut intersect_with: Vec<CharSet> = Vec::new();
        let mut first = true;
        if self.is_js() && self.peek() == Some(']') {
            // JS: `[]` matches nothing, `[^]` matches anything.
            self.pos += 1;
            return Ok(if negated { CharSet::any() } else { CharSet::empty() });
        }
        loop {
            let item_start = self.pos;
            let Some(c) = self.peek() else {
                return Err(syntax("unclosed character class: missing `]`", start, self.pattern.len()));
            };
            if c == ']' && !first {
                self.pos += 1;
                break;
            }
            first = false;
            // POSIX classes [:alpha:]
            if c == '['
                && self.rest().starts_with("[:")
                && matches!(self.flavor, Flavor::Pcre | Flavor::Re2 | Flavor::Rust)
                && let Some(end) = self.rest()[2..].find(":]")
            {
                let name = &self.rest()[2..2 + end];
                if let Some(posix) = posix_class(name) {
                    self.pos += end + 4;
                    self.feature(FeatureKind::PosixClass, item_start, self.pos);
                    set = set.union(&posix);
                    continue;
                }
            }
            if c == '[' && matches!(self.flavor, Flavor::Java | Flavor::Rust) {
                self.pos += 1;
                let inner = self.class_body(item_start, depth + 1)?;
                set = set.union(&inner);
                continue;
            }
            if c == '&' && self.rest().starts_with("&&") && matches!(self.flavor, Flavor::Java | Flavor::Rust) {
                self.pos += 2;
                intersect_with.push(std::mem::take(&mut set));
                continue;
            }
            let lo = self.class_atom(start)?;
            // Range?
            if self.peek() == Some('-')
                && self.peek_at(1).is_some_and(|c| c != ']')
                && let ClassAtom::Char(a) = lo
            {
                let save = self.pos;
                self.pos += 1;
                let hi = self.class_atom(start)?;
                match hi {
                    ClassAtom::Char(b) => {
                        if b < a {
                            return Err(syntax("character class range is out of order", item_start, self.pos));
                        }
                        set = set.union(&CharSet::from_ranges([(a, b)]));
                        continue;
                    }
                    ClassAtom::Set(s) => {
                        if matches!(self.flavor, Flavor::Rust | Flavor::Re2 | Flavor::Python) {
                            return Err(syntax("invalid character class range", item_start, self.pos));
                        }
                        // PCRE/JS: `[a-\d]` is a, -, and \d.
                        let _ = save;
                        set = set.union(&CharSet::from_ranges([(a, a), (0x2D, 0x2D)])).union(&s);
                        continue;
                    }
                }
            }
            match lo {
                ClassAtom::Char(a) => set = set.union(&CharSet::from_ranges([(a, a)])),
                ClassAtom::Set(s) => set = set.union(&s),
            }
        }
        for other in intersect_with.into_iter().rev() {
            set = other.intersect(&set);
        }
        // Case-fold the members before negating: `(?i)[^a]` rejects both
        // `a` and `A`, as every engine does.
        let set = self.fold(set);
        Ok(if negated { set.complement() } else { set })
    }

    /// One item inside a class: a character or an escape that stands for a
    /// character or a set.
    fn class_atom(&mut self, class_start: usize) -> Result<ClassAtom, ParseError> {
        let start = self.pos;
        let Some(c) = self.bump() else {
            return Err(syntax("unclosed character class: missing `]`", class_start, self.pattern.len()));
        };
        if c != '\\' {
            return Ok(ClassAtom::Char(c as u32));
        }
        let Some(e) = self.peek() else {
            return Err(syntax("pattern ends with a lone backslash", start, self.pos));
        };
        // Inside a class, \b is backspace.
        if e == 'b' {
            self.pos += 1;
            return Ok(ClassAtom::Char(0x08));
        }
        self.pos = start;
        let set = self.class_escape(start, true)?;
        match set.ranges() {
            [(a, b)] if a == b => Ok(ClassAtom::Char(*a)),
            _ => Ok(ClassAtom::Set(set)),
        }
    }

    /// An escape at `self.pos` (the backslash) that denotes a character or
    /// a class. Used inside and outside brackets.
    fn class_escape(&mut self, start: usize, in_class: bool) -> Result<CharSet, ParseError> {
        self.pos += 1; // backslash
        let c = self.bump().ok_or_else(|| syntax("pattern ends with a lone backslash", start, self.pos))?;
        let flavor = self.flavor;
        let one = |v: u32| CharSet::from_ranges([(v, v)]);
        let set = match c {
            'd' => self.perl_class('d'),
            'D' => self.perl_class('d').complement(),
            'w' => self.perl_class('w'),
            'W' => self.perl_class('w').complement(),
            's' => self.perl_class('s'),
            'S' => self.perl_class('s').complement(),
            'h' if self.onigmo => hex_digits(),
            'H' if self.onigmo => hex_digits().complement(),
            'v' if self.onigmo => one(0x0B),
            'h' if matches!(flavor, Flavor::Pcre | Flavor::Java) => {
                self.feature(FeatureKind::PcreEscape, start, self.pos);
                horizontal_space()
            }
            'H' if matches!(flavor, Flavor::Pcre | Flavor::Java) => {
                self.feature(FeatureKind::PcreEscape, start, self.pos);
                horizontal_space().complement()
            }
            'v' if matches!(flavor, Flavor::Pcre | Flavor::Java) => vertical_space(),
            'V' if matches!(flavor, Flavor::Pcre | Flavor::Java) => vertical_space().complement(),
            'v' => one(0x0B),
            'n' => one(0x0A),
            'r' => one(0x0D),
            't' => one(0x09),
            'f' => one(0x0C),
            'a' if !self.is_js() => one(0x07),
            'e' if matches!(flavor, Flavor::Pcre | Flavor::Java) => one(0x1B),
            '0' => {
                // \0 then up to two more octal digits (PCRE/Python/Java);
                // JS: NUL.
                let mut v = 0u32;
                let mut n = 0;
                while n < 2 && !self.is_js() {
                    match self.peek() {
                        Some(d @ '0'..='7') => {
                            v = v * 8 + (d as u32 - '0' as u32);
                            self.pos += 1;
                            n += 1;
                        }
                        _ => break,
                    }
                }
                one(v)
            }
            '1'..='9' if in_class => {
                // Octal in a class (PCRE), or literal digit.
                let mut v = c as u32 - '0' as u32;
                if c < '8' && !self.is_js() {
                    for _ in 0..2 {
                        match self.peek() {
                            Some(d @ '0'..='7') => {
                                v = v * 8 + (d as u32 - '0' as u32);
                                self.pos += 1;
                            }
                            _ => break,
                        }
                    }
                    one(v)
                } else {
                    one(c as u32)
                }
            }
            'o' if self.peek() == Some('{') && flavor == Flavor::Pcre => {
                let body = self.braced(start)?;
                one(u32::from_str_radix(&body, 8).map_err(|_| syntax("invalid octal escape", start, self.pos))?)
            }
            'x' => one(self.hex_escape(start)?),
            'u' if self.onigmo || matches!(flavor, Flavor::Js | Flavor::Python | Flavor::Java) => {
                one(self.unicode_escape(start)?)
            }
            'U' if flavor == Flavor::Python => {
                let v = self.fixed_hex(start, 8)?;
                one(v)
            }
            'c' if matches!(flavor, Flavor::Pcre | Flavor::Js | Flavor::Java) => match self.peek() {
                Some(l) if l.is_ascii_alphabetic() => {
                    self.pos += 1;
                    one(l.to_ascii_uppercase() as u32 ^ 0x40)
                }
                _ if self.is_js() => one('\\' as u32).union(&one('c' as u32)),
                _ => return Err(syntax("`\\c` must be followed by a letter", start, self.pos)),
            },
            'p' | 'P' if !self.is_js() || self.js_unicode || self.peek() == Some('{') => {
                let negate = c == 'P';
                let name = if self.peek() == Some('{') {
                    self.braced(start)?
                } else {
                    let l = self.bump().ok_or_else(|| syntax("`\\p` must name a property", start, self.pos))?;
                    l.to_string()
                };
                self.feature(FeatureKind::UnicodeProperty, start, self.pos);
                let set = self.unicode_property(&name, start)?;
                if negate { set.complement() } else { set }
            }
            'N' if flavor == Flavor::Pcre => {
                // \N: any character but newline.
                CharSet::single('\n').complement()
            }
            c if c.is_ascii_alphanumeric() => {
                // Unknown letter escape: JS (non-Unicode mode) reads it as
                // the letter; the others reject it.
                if self.is_js() && !self.js_unicode {
                    one(c as u32)
                } else {
                    return Err(syntax(format!("unrecognized escape `\\{c}`"), start, self.pos));
                }
            }
            other => one(other as u32),
        };
        // Only literal characters fold; `\W`, `\S`, `\p{Lu}` keep their
        // meaning under `(?i)` (as in PCRE, JS and Python).
        let is_single = matches!(set.ranges(), [(a, b)] if a == b);
        Ok(if is_single { self.fold(set) } else { set })
    }

    fn perl_class(&self, which: char) -> CharSet {
        if self.state.unicode_classes {
            let pat = match which {
                'd' => r"\d",
                'w' => r"\w",
                _ => r"\s",
            };
            if let Some(set) = unicode_class(pat) {
                return set;
            }
        }
        match which {
            'd' => CharSet::from_ranges(ASCII_DIGIT),
            'w' => CharSet::from_ranges(ASCII_WORD),
            _ => match self.flavor {
                // JS \s is Unicode white space even without the u flag.
                Flavor::Js => CharSet::from_ranges([
                    (0x09, 0x0D),
                    (0x20, 0x20),
                    (0xA0, 0xA0),
                    (0x1680, 0x1680),
                    (0x2000, 0x200A),
                    (0x2028, 0x2029),
                    (0x202F, 0x202F),
                    (0x205F, 0x205F),
                    (0x3000, 0x3000),
                    (0xFEFF, 0xFEFF),
                ]),
                // RE2/Go: [\t\n\f\r ]
                Flavor::Re2 => CharSet::from_ranges([(0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20)]),
                // PCRE2, Python (bytes/ASCII), Java: [\t\n\v\f\r ]
                _ => CharSet::from_ranges([(0x09, 0x0D), (0x20, 0x20)]),
            },
        }
    }

    fn braced(&mut self, start: usize) -> Result<String, ParseError> {
        if !self.eat("{") {
            return Err(syntax("expected `{`", start, self.pos));
        }
        let close = self.rest().find('}').ok_or_else(|| syntax("unclosed `{` in escape", start, self.pattern.len()))?;
        let body = self.rest()[..close].to_owned();
        self.pos += close + 1;
        Ok(body)
    }

    fn hex_escape(&mut self, start: usize) -> Result<u32, ParseError> {
        if self.peek() == Some('{') && !matches!(self.flavor, Flavor::Js | Flavor::Python) {
            let body = self.braced(start)?;
            let v = u32::from_str_radix(body.trim(), 16).map_err(|_| syntax("invalid hex escape", start, self.pos))?;
            if v > super::ir::MAX_CHAR {
                return Err(syntax("hex escape beyond U+10FFFF", start, self.pos));
            }
            return Ok(v);
        }
        match self.flavor {
            Flavor::Pcre => {
                // Zero to two hex digits.
                let mut v = 0u32;
                for _ in 0..2 {
                    match self.peek().and_then(|c| c.to_digit(16)) {
                        Some(d) => {
                            v = v * 16 + d;
                            self.pos += 1;
                        }
                        None => break,
                    }
                }
                Ok(v)
            }
            Flavor::Js => {
                let save = self.pos;
                if let Ok(v) = self.fixed_hex(start, 2) {
                    Ok(v)
                } else {
                    self.pos = save;
                    Ok('x' as u32)
                }
            }
            _ => self.fixed_hex(start, 2),
        }
    }

    fn unicode_escape(&mut self, start: usize) -> Result<u32, ParseError> {
        if self.is_js() && self.peek() == Some('{') {
            let save = self.pos;
            if let Ok(body) = self.braced(start)
                && let Ok(v) = u32::from_str_radix(&body, 16)
                && v <= super::ir::MAX_CHAR
            {
                return Ok(v);
            }
            self.pos = save;
            return Ok('u' as u32);
        }
        let save = self.pos;
        match self.fixed_hex(start, 4) {
            Ok(hi) => {
                // Combine a UTF-16 surrogate pair written as two escapes.
                if (0xD800..=0xDBFF).contains(&hi) && self.rest().starts_with("\\u") {
                    let save2 = self.pos;
                    self.pos += 2;
                    if let Ok(lo) = self.fixed_hex(start, 4)
                        && (0xDC00..=0xDFFF).contains(&lo)
                    {
                        return Ok(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00));
                    }
                    self.pos = save2;
                }
                Ok(hi)
            }
            Err(e) => {
                if self.is_js() {
                    self.pos = save;
                    Ok('u' as u32)
                } else {
                    Err(e)
                }
            }
        }
    }

    fn fixed_hex(&mut self, start: usize, n: usize) -> Result<u32, ParseError> {
        let digits = self.rest().get(..n).filter(|d| d.chars().all(|c| c.is_ascii_hexdigit()));
        match digits {
            Some(d) => {
                let v = u32::from_str_radix(d, 16).expect("checked hex digits");
                self.pos += n;
                Ok(v)
            }
            None => Err(syntax(format!("escape needs {n} hex digits"), start, (self.pos + n).min(self.pattern.len()))),
        }
    }

    fn unicode_property(&self, name: &str, start: usize) -> Result<CharSet, ParseError> {
        let cleaned = name.trim_start_matches('^');
        // Java spells POSIX classes as \p{Alpha}, \p{IsAlphabetic}, ...
        if self.flavor == Flavor::Java
            && let Some(set) = java_property(cleaned)
        {
            return Ok(set);
        }
        let candidates =
            [cleaned.to_owned(), cleaned.trim_start_matches("Is").to_owned(), cleaned.replace("In", "Block=")];
        for cand in candidates {
            if let Some(set) = unicode_class(&format!("\\p{{{cand}}}")) {
                return Ok(if name.starts_with('^') { set.complement() } else { set });
            }
        }
        Err(syntax(format!("unknown Unicode property `{name}`"), start, self.pos))
    }
}

#[derive(Debug, Clone, Copy)]
struct Quant {
    min: u32,
    max: Option<u32>,
    start: usize,
}

enum ClassAtom {
    Char(u32),
    Set(CharSet),
}

fn ref_target(body: &str) -> RefTarget {
    if let Ok(n) = body.parse::<i64>() {
        if n < 0 { RefTarget::Relative(n) } else { RefTarget::Number(u32::try_from(n).unwrap_or(u32::MAX)) }
    } else {
        RefTarget::Name(body.to_owned())
    }
}

/// A class from regex-syntax's Unicode tables, for `\w`, `\p{L}`, ...
fn unicode_class(pattern: &str) -> Option<CharSet> {
    use regex_syntax::hir::{Class, HirKind};
    let hir = regex_syntax::ParserBuilder::new().unicode(true).build().parse(pattern).ok()?;
    match hir.kind() {
        HirKind::Class(Class::Unicode(c)) => {
            Some(CharSet::from_ranges(c.iter().map(|r| (r.start() as u32, r.end() as u32))))
        }
        HirKind::Class(Class::Bytes(c)) => {
            Some(CharSet::from_ranges(c.iter().map(|r| (u32::from(r.start()), u32::from(r.end())))))
        }
        HirKind::Literal(lit) => {
            let s = std::str::from_utf8(&lit.0).ok()?;
            let c = s.chars().next()?;
            Some(CharSet::single(c))
        }
        _ => None,
    }
}

fn posix_class(name: &str) -> Option<CharSet> {
    let (negated, name) = match name.strip_prefix('^') {
        Some(n) => (true, n),
        None => (false, name),
    };
    let ranges: &[(u32, u32)] = match name {
        "alnum" => &[(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)],
        "alpha" => &[(0x41, 0x5A), (0x61, 0x7A)],
        "ascii" => &[(0x00, 0x7F)],
        "blank" => &[(0x09, 0x09), (0x20, 0x20)],
        "cntrl" => &[(0x00, 0x1F), (0x7F, 0x7F)],
        "digit" => &[(0x30, 0x39)],
        "graph" => &[(0x21, 0x7E)],
        "lower" => &[(0x61, 0x7A)],
        "print" => &[(0x20, 0x7E)],
        "punct" => &[(0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)],
        "space" => &[(0x09, 0x0D), (0x20, 0x20)],
        "upper" => &[(0x41, 0x5A)],
        "word" => &ASCII_WORD,
        "xdigit" => &[(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)],
        _ => return None,
    };
    let set = CharSet::from_ranges(ranges.iter().copied());
    Some(if negated { set.complement() } else { set })
}

fn java_property(name: &str) -> Option<CharSet> {
    let posix = match name {
        "Lower" => "lower",
        "Upper" => "upper",
        "ASCII" => "ascii",
        "Alpha" => "alpha",
        "Digit" => "digit",
        "Alnum" => "alnum",
        "Punct" => "punct",
        "Graph" => "graph",
        "Print" => "print",
        "Blank" => "blank",
        "Cntrl" => "cntrl",
        "XDigit" => "xdigit",
        "Space" => "space",
        "javaLowerCase" => return unicode_class(r"\p{Lowercase}"),
        "javaUpperCase" => return unicode_class(r"\p{Uppercase}"),
        "javaWhitespace" => return unicode_class(r"\s"),
        "IsAlphabetic" => return unicode_class(r"\p{Alphabetic}"),
        _ => return None,
    };
    posix_class(posix)
}

/// Onigmo's `\h`: `[0-9A-Fa-f]`.
fn hex_digits() -> CharSet {
    CharSet::from_ranges([('0' as u32, '9' as u32), ('A' as u32, 'F' as u32), ('a' as u32, 'f' as u32)])
}

fn horizontal_space() -> CharSet {
    CharSet::from_ranges([
        (0x09, 0x09),
        (0x20, 0x20),
        (0xA0, 0xA0),
        (0x1680, 0x1680),
        (0x180E, 0x180E),
        (0x2000, 0x200A),
        (0x202F, 0x202F),
        (0x205F, 0x205F),
        (0x3000, 0x3000),
    ])
}

fn vertical_space() -> CharSet {
    CharSet::from_ranges([(0x0A, 0x0D), (0x85, 0x85), (0x2028, 0x2029)])
}

/// Check a pattern exactly as the Rust `regex` crate would (regex-syntax is
/// its parser). Returns the error message and span on failure.
pub fn validate_rust(pattern: &str, flags: Flags) -> Result<(), ParseError> {
    let mut builder = regex_syntax::ParserBuilder::new();
    builder
        .case_insensitive(flags.case_insensitive)
        .multi_line(flags.multi_line)
        .dot_matches_new_line(flags.dot_all)
        .ignore_whitespace(flags.extended);
    match builder.build().parse(pattern) {
        Ok(_) => Ok(()),
        Err(regex_syntax::Error::Parse(e)) => {
            let s = e.span();
            Err(syntax(e.kind().to_string(), s.start.offset, s.end.offset))
        }
        Err(regex_syntax::Error::Translate(e)) => {
            let s = e.span();
            Err(syntax(e.kind().to_string(), s.start.offset, s.end.offset))
        }
        Err(e) => Err(syntax(e.to_string(), 0, pattern.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pattern: &str, flavor: Flavor) -> Ir {
        parse(pattern, &ParseConfig::new(flavor)).unwrap_or_else(|e| panic!("{pattern}: {e:?}"))
    }

    fn perr(pattern: &str, flavor: Flavor) -> ParseError {
        parse(pattern, &ParseConfig::new(flavor)).expect_err(pattern)
    }

    fn root(ir: &Ir) -> &NodeKind {
        &ir.node(ir.root).kind
    }

    #[test]
    fn literal_and_concat() {
        let ir = p("ab", Flavor::Pcre);
        let NodeKind::Concat(items) = root(&ir) else { panic!() };
        assert_eq!(items.len(), 2);
        assert_eq!(ir.node(items[1]).span, PatternSpan::new(1, 2));
    }

    #[test]
    fn nested_quantifier_spans() {
        let ir = p("(a+)+$", Flavor::Pcre);
        let NodeKind::Concat(items) = root(&ir) else { panic!() };
        let NodeKind::Repeat(r) = &ir.node(items[0]).kind else { panic!() };
        assert_eq!(r.op_span, PatternSpan::new(4, 5));
        assert_eq!(r.min, 1);
        assert_eq!(r.max, None);
        assert_eq!(ir.node(items[0]).span, PatternSpan::new(0, 5));
        assert_eq!(ir.captures, 1);
        assert!(matches!(ir.node(items[1]).kind, NodeKind::Assert(Assertion::EndTextOptionalNewline)));
    }

    #[test]
    fn dollar_per_flavor() {
        let js = p("a$", Flavor::Js);
        let NodeKind::Concat(items) = root(&js) else { panic!() };
        assert!(matches!(js.node(items[1]).kind, NodeKind::Assert(Assertion::EndText)));
    }

    #[test]
    fn possessive_and_atomic() {
        let ir = p("a++(?>b*)", Flavor::Pcre);
        assert!(ir.has_feature(FeatureKind::PossessiveQuantifier));
        assert!(ir.has_feature(FeatureKind::AtomicGroup));
        // JS has no possessive: `a++` is a quantifier on a quantifier.
        let e = perr("a++", Flavor::Js);
        assert_eq!(e.kind, ParseErrorKind::Syntax);
    }

    #[test]
    fn lookaround_and_backrefs() {
        let ir = p(r"(?<=x)(a)(?!b)\1(?P<n>c)(?P=n)\k<n>", Flavor::Pcre);
        assert!(ir.has_feature(FeatureKind::LookBehind));
        assert!(ir.has_feature(FeatureKind::LookAhead));
        assert!(ir.has_feature(FeatureKind::Backreference));
        assert_eq!(ir.captures, 2);
        let refs: Vec<u32> = ir
            .nodes
            .iter()
            .filter_map(|n| match n.kind {
                NodeKind::Backref { group, .. } => Some(group),
                _ => None,
            })
            .collect();
        assert_eq!(refs, vec![1, 2, 2]);
        assert!(perr(r"(a)\2", Flavor::Pcre).message.contains("does not exist"));
    }

    #[test]
    fn classes() {
        let ir = p(r"[a-z\d_-]", Flavor::Pcre);
        let NodeKind::Set(s) = root(&ir) else { panic!() };
        assert!(s.contains('q') && s.contains('5') && s.contains('-') && s.contains('_') && !s.contains('A'));
        let ir = p(r"[^\s\x0b]", Flavor::Pcre);
        let NodeKind::Set(s) = root(&ir) else { panic!() };
        assert!(!s.contains(' ') && s.contains('a'));
        let ir = p(r"[[:alpha:]]", Flavor::Pcre);
        let NodeKind::Set(s) = root(&ir) else { panic!() };
        assert!(s.contains('Q') && !s.contains('1'));
        let ir = p(r"[a-z&&[^aeiou]]", Flavor::Java);
        let NodeKind::Set(s) = root(&ir) else { panic!() };
        assert!(s.contains('b') && !s.contains('a'));
        assert!(perr("[z-a]", Flavor::Pcre).message.contains("out of order"));
        assert!(perr("[abc", Flavor::Pcre).message.contains("unclosed"));
    }

    #[test]
    fn case_insensitive_scoped() {
        let ir = p("(?i:a)b", Flavor::Pcre);
        let sets: Vec<&CharSet> = ir
            .nodes
            .iter()
            .filter_map(|n| match &n.kind {
                NodeKind::Set(s) => Some(s),
                _ => None,
            })
            .collect();
        assert!(sets[0].contains('A'));
        assert!(!sets[1].contains('B'));
    }

    /// Whether `pattern`'s only character set holds U+017F `ſ`.
    fn folds_to_long_s(pattern: &str, flavor: Flavor, flags: &str) -> bool {
        let mut config = ParseConfig::new(flavor);
        config.flags = Flags::from_letters(flags);
        let ir = parse(pattern, &config).expect("parses");
        ir.nodes.iter().any(|n| matches!(&n.kind, NodeKind::Set(s) if s.contains('\u{17F}')))
    }

    #[test]
    fn case_folding_crosses_ascii_only_in_unicode_modes() {
        // PCRE without UTF (ModSecurity's `@rx`), JS without `u`, Java
        // without UNICODE_CASE: `s` does not match `ſ`.
        assert!(!folds_to_long_s("(?i)s", Flavor::Pcre, ""));
        assert!(!folds_to_long_s("s", Flavor::Pcre, "i"));
        assert!(!folds_to_long_s("(?i)s", Flavor::Js, ""));
        assert!(!folds_to_long_s("(?i)s", Flavor::Java, ""));
        // Unicode simple folding: PCRE in UTF/UCP mode, JS `u`, Java `(?u)`,
        // Python str patterns (but not `(?a)`), Onigmo.
        assert!(folds_to_long_s("(*UTF)(?i)s", Flavor::Pcre, ""));
        assert!(folds_to_long_s("(*UCP)(?i)s", Flavor::Pcre, ""));
        assert!(folds_to_long_s("(?i)s", Flavor::Js, "u"));
        assert!(folds_to_long_s("(?iu)s", Flavor::Java, ""));
        assert!(folds_to_long_s("(?i)s", Flavor::Python, ""));
        assert!(!folds_to_long_s("(?ia)s", Flavor::Python, ""));
        assert!(folds_to_long_s("(?i)s", Flavor::Onigmo, ""));
    }

    #[test]
    fn literal_brace_per_flavor() {
        p(r"^\$(?:\d+|{\d+})$", Flavor::Re2);
        p(r"a{,3}", Flavor::Python);
        assert!(perr(r"a{", Flavor::Java).message.contains('{'));
        let ir = p("x{2,5}?", Flavor::Pcre);
        let NodeKind::Repeat(r) = root(&ir) else { panic!() };
        assert_eq!((r.min, r.max, r.greed), (2, Some(5), Greed::Lazy));
    }

    #[test]
    fn errors_have_spans() {
        let e = perr("abc(def", Flavor::Re2);
        assert_eq!(e.span.start, 3);
        let e = perr("a)", Flavor::Pcre);
        assert_eq!(e.span, PatternSpan::new(1, 2));
        let e = perr("*a", Flavor::Pcre);
        assert_eq!(e.span, PatternSpan::new(0, 1));
        assert!(perr(r"\q", Flavor::Pcre).message.contains("unrecognized"));
        // JS reads unknown escapes as identity escapes.
        p(r"\q", Flavor::Js);
    }

    #[test]
    fn deep_nesting_is_a_limit_not_a_crash() {
        let pattern = format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000));
        let e = perr(&pattern, Flavor::Pcre);
        assert_eq!(e.kind, ParseErrorKind::Limit);
        let pattern = format!("{}a{}", "(?:".repeat(400), ")".repeat(400));
        p(&pattern, Flavor::Pcre);
    }

    #[test]
    fn crs_style() {
        p(
            r#"(?i)(?:\b(?:s(?:ys(?:(?:(?:process_|user_)?role|(?:transaction|query)_member)s|c[\s\x0b]*\(|tem_user)|elect[\s\x0b]*[\x5c"']?)))"#,
            Flavor::Pcre,
        );
        p(r"^[\s\x0b]*(?:\$\{[^}]*\}|%[0-9A-F]{2})+", Flavor::Pcre);
    }

    #[test]
    fn unicode_property() {
        let ir = p(r"\p{Lu}+", Flavor::Pcre);
        let NodeKind::Repeat(r) = root(&ir) else { panic!() };
        let NodeKind::Set(s) = &ir.node(r.child).kind else { panic!() };
        assert!(s.contains('A') && !s.contains('a'));
    }

    /// Fluent Bit and grok (Joni) compile with Onigmo's Ruby syntax, which
    /// reads `\uHHHH` (Fluent Bit's `mult_1` parser writes `#` as
    /// `\u0023`) and has `\h` for a hex digit (grok's `RUUID \h{32}`).
    #[test]
    fn onigmo_reads_its_own_escapes() {
        let ir = p(r"\h{32}", Flavor::Onigmo);
        let NodeKind::Repeat(r) = root(&ir) else { panic!() };
        let NodeKind::Set(s) = &ir.node(r.child).kind else { panic!() };
        assert!(s.contains('f') && s.contains('9') && !s.contains(' ') && !s.contains('g'));
        let ir = p(r"\h", Flavor::Pcre);
        assert!(matches!(root(&ir), NodeKind::Set(s) if s.contains(' ') && !s.contains('f')));
        // A quantifier of a quantifier: `.?*` is `.*` (grok SHOREWALL),
        // `{1,3}+` a loop of a loop, not possessive.
        let ir = p(".?*", Flavor::Onigmo);
        assert!(matches!(root(&ir), NodeKind::Repeat(r) if (r.min, r.max, r.greed) == (0, None, Greed::Greedy)));
        assert!(matches!(
            ir.node(match root(&ir) {
                NodeKind::Repeat(r) => r.child,
                _ => unreachable!(),
            })
            .kind,
            NodeKind::Set(_)
        ));
        let ir = p("a{1,3}+", Flavor::Onigmo);
        let NodeKind::Repeat(outer) = root(&ir) else { panic!() };
        assert_eq!((outer.min, outer.max, outer.greed), (1, None, Greed::Greedy));
        assert!(matches!(&ir.node(outer.child).kind, NodeKind::Repeat(r) if (r.min, r.max) == (1, Some(3))));
        assert!(parse(".?*", &ParseConfig::new(Flavor::Pcre)).is_err());
        assert!(matches!(root(&p("a{1,3}+", Flavor::Pcre)), NodeKind::Repeat(r) if r.greed == Greed::Possessive));
        let ir = p(r"[^\u0023]+\u0023", Flavor::Onigmo);
        let NodeKind::Concat(items) = root(&ir) else { panic!("{:?}", root(&ir)) };
        let NodeKind::Repeat(r) = &ir.node(items[0]).kind else { panic!() };
        let NodeKind::Set(s) = &ir.node(r.child).kind else { panic!() };
        assert!(!s.contains('#') && s.contains('a'));
        assert!(matches!(&ir.node(items[1]).kind, NodeKind::Set(s) if s.contains('#') && !s.contains('a')));
        assert!(parse(r"\u00", &ParseConfig::new(Flavor::Onigmo)).is_err());
    }

    #[test]
    fn python_unicode_word() {
        let ir = p(r"\w", Flavor::Python);
        let NodeKind::Set(s) = root(&ir) else { panic!() };
        assert!(s.contains('é'));
        let ir = p(r"\w", Flavor::Pcre);
        let NodeKind::Set(s) = root(&ir) else { panic!() };
        assert!(!s.contains('é'));
    }

    #[test]
    fn rust_validation() {
        assert!(validate_rust("a(b", Flags::default()).is_err());
        assert!(validate_rust(r"\d+", Flags::default()).is_ok());
        let e = validate_rust(r"(?=a)", Flags::default()).unwrap_err();
        assert_eq!(e.span.start, 0);
    }
}
