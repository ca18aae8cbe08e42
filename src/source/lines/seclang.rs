//! ModSecurity / OWASP CRS SecLang: `SecRule VARIABLES "OPERATOR" "ACTIONS"`.
//!
//! Position: a line-format extractor under [`crate::source`]; [`extract`]
//! turns a `.conf` rule file into [`ExtractedPattern`]s with exact spans.
//!
//! How a file is read (ModSecurity v2 reads rules through Apache's config
//! reader; v3 and Coraza follow the same conventions for what CRS uses):
//!
//! 1. **Logical lines.** A physical line ending in a single `\` (not `\\`)
//!    continues on the next line: the backslash and the line break are
//!    removed, and the next line's indentation is kept (Apache
//!    `ap_cfg_getline`). Removed bytes are recorded with
//!    [`OffsetMapBuilder::skip`], so a pattern broken over lines still maps
//!    each decoded byte to its own byte in the file. A continuation on the
//!    last line of the file is a [`ParseProblem`].
//! 2. **Comments.** A logical line whose first non-blank character is `#` is
//!    a comment and is skipped whole, including commented-out rules and
//!    regex-looking notes (CRS 942521). `#` elsewhere is ordinary text.
//! 3. **Tokens.** Arguments are separated by blanks; an argument may be
//!    quoted with `"…"` or `'…'`. Inside quotes, `\` followed by the quote
//!    character is an escaped quote and decodes to the quote alone. `\\`
//!    pairs (so `"a\\"` ends at its last quote) but is *kept* as two
//!    backslashes: Apache would collapse it to one while libmodsecurity v3
//!    and Coraza keep both, and the two readings are different regexes (CRS
//!    writes a backslash as `\x5c` to avoid exactly this). We report what v3
//!    and Coraza compile. Unquoted arguments are taken verbatim. A quote
//!    left open at the end of the logical line is a [`ParseProblem`] and the
//!    directive is skipped.
//! 4. **Operators.** After optional blanks and an optional `!`, an operator
//!    starting with `@` is a name and a parameter; only `@rx` (any case) has
//!    a regex parameter (from the first non-blank after the name to the end,
//!    trailing blanks included). An operator without `@` is an implicit
//!    `@rx`. `@pm`, `@pmFromFile`, `@streq`, `@within`, `@detectSQLi`, … are
//!    not regexes.
//! 5. **Targets.** A variable selector written `COLLECTION:/regex/` (for
//!    example `TX:/^foo_/`) is a regex too, except for `XML:/…`, which is
//!    XPath. Key suffix `.target[k]`, `k` counting from 0 over the rule's
//!    `|`-separated variables.
//!
//! Identity: the rule id is the `id:` action (`id:942100` or `id:'942100'`).
//! A rule after a rule with the `chain` action belongs to that chain and has
//! no id of its own; it gets the head's id and its 1-based position:
//! `SecRule[id=942100]`, `SecRule[id=942100].chain[1]`, … A rule with no id
//! outside a chain is `SecRule[line=N]` (line of its first physical line).
//! No SecLang syntax sets regex flags (`t:lowercase` is a transformation of
//! the input, not a flag); `(?i)` stays inside the pattern. ModSecurity
//! itself compiles every `@rx` dot-all ([`RX_FLAGS`]), so operator regexes
//! carry flag `s`; target selectors (`TX:/^foo_/`) carry none.
//!
//! Guarantees: linear time in the file size, no recursion, no panics on any
//! input; every span lies inside the file.

use super::escapes_before;
use crate::source::span::LineIndex;
use crate::source::{
    ExtractedPattern, Extraction, Flags, Flavor, Kind, OffsetMap, OffsetMapBuilder, ParseProblem, Semantics,
    SourceFile, Span,
};

/// True when the text has a `SecRule` or `SecAction` directive.
pub fn looks_like_seclang(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim_start();
        starts_with_ignore_case(l, "SecRule") || starts_with_ignore_case(l, "SecAction")
    })
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// Extract the `@rx` patterns (and regex target selectors) of every
/// `SecRule`.
pub fn extract(file: &SourceFile) -> Extraction {
    let text = file.text.as_str();
    let lines = LineIndex::new(text);
    let mut out = Extraction { kind: Some(Kind::Seclang), ..Extraction::default() };
    let mut chain: Option<ChainHead> = None;
    let mut pos = if text.starts_with('\u{feff}') { 3 } else { 0 };
    while pos < text.len() {
        let line = LogicalLine::read(text, pos, &mut out.problems);
        pos = line.next;
        if line.is_blank_or_comment() {
            continue;
        }
        let tokens = match line.tokenize() {
            Ok(tokens) => tokens,
            Err(problem) => {
                if line.first_word_is("SecRule") {
                    // The rule is unreadable; a chain it belonged to ends here.
                    chain = None;
                }
                out.problems.push(problem);
                continue;
            }
        };
        let Some(first) = tokens.first() else { continue };
        if !line.bytes[first.raw.clone()].eq_ignore_ascii_case(b"SecRule") {
            continue;
        }
        let start = line.file_offset(0);
        if tokens.len() < 3 {
            out.problems.push(ParseProblem {
                message: "SecRule needs a variable list and an operator (`SecRule VARIABLES \"OPERATOR\" \"ACTIONS\"`)"
                    .to_owned(),
                span: Span::new(start, line.end),
            });
            chain = None;
            continue;
        }
        let actions = tokens.get(3).map(|t| line.decode(t).0).unwrap_or_default();
        let actions = parse_actions(&actions);
        let (key, rule_id) = if let Some(head) = &mut chain {
            head.position += 1;
            (format!("{}.chain[{}]", head.key, head.position), head.id.clone())
        } else {
            let key = match &actions.id {
                Some(id) => format!("SecRule[id={id}]"),
                None => format!("SecRule[line={}]", lines.line_col(text, start).0),
            };
            (key, actions.id.clone())
        };
        if actions.chain {
            if chain.is_none() {
                chain = Some(ChainHead { key: key.clone(), id: rule_id.clone(), position: 0 });
            }
        } else {
            chain = None;
        }
        let targets = &tokens[1];
        push_target_regexes(&line, targets, &key, rule_id.as_ref(), &mut out.patterns);
        if let Some((pattern, offsets)) = operator_regex(&line, &tokens[2]) {
            let mut p = seclang_pattern(pattern, offsets, key, rule_id);
            p.flags = RX_FLAGS;
            out.patterns.push(p);
        }
    }
    out
}

struct ChainHead {
    key: String,
    id: Option<String>,
    position: usize,
}

/// The flags ModSecurity compiles every `@rx` with: `PCRE_DOTALL` (v2:
/// with `PCRE_DOLLAR_ENDONLY`; v3 likewise dot-all), so `.` matches a
/// newline. The CRS regex-assembly fragments, which become `@rx`
/// arguments, carry them too.
pub(crate) const RX_FLAGS: Flags = Flags { dot_all: true, ..Flags::NONE };

fn seclang_pattern(pattern: String, offsets: OffsetMap, key: String, rule_id: Option<String>) -> ExtractedPattern {
    ExtractedPattern {
        pattern,
        span: offsets.raw_span(),
        offsets,
        key,
        kind: Kind::Seclang,
        flavor: Flavor::Pcre,
        semantics: Semantics::Search,
        flags: Flags::default(),
        rule_id,
    }
}

/// One logical line: physical lines joined at `\`-newline continuations.
struct LogicalLine {
    /// The logical line's bytes (continuations removed).
    bytes: Vec<u8>,
    /// `(logical start, file start)` of each physical piece, in order.
    pieces: Vec<(usize, usize)>,
    /// File offset just past the last content byte (before the newline).
    end: usize,
    /// File offset where the next logical line starts.
    next: usize,
}

impl LogicalLine {
    /// Read the logical line starting at file offset `start`.
    fn read(text: &str, start: usize, problems: &mut Vec<ParseProblem>) -> LogicalLine {
        let b = text.as_bytes();
        let mut line = LogicalLine { bytes: Vec::new(), pieces: Vec::new(), end: start, next: start };
        let mut p = start;
        loop {
            let nl = b[p..].iter().position(|&c| c == b'\n').map(|i| p + i);
            let line_end = nl.unwrap_or(b.len());
            let mut content_end = line_end;
            if content_end > p && b[content_end - 1] == b'\r' {
                content_end -= 1;
            }
            let continued =
                content_end > p && b[content_end - 1] == b'\\' && !(content_end - 1 > p && b[content_end - 2] == b'\\');
            if continued {
                line.push_piece(p, &b[p..content_end - 1]);
                line.end = content_end - 1;
                match nl {
                    Some(nl) if nl + 1 < b.len() => {
                        p = nl + 1;
                        continue;
                    }
                    _ => {
                        problems.push(ParseProblem {
                            message: "line continuation `\\` at the end of the file: the directive is cut short"
                                .to_owned(),
                            span: Span::new(content_end - 1, content_end),
                        });
                        line.next = b.len();
                        return line;
                    }
                }
            }
            line.push_piece(p, &b[p..content_end]);
            line.end = content_end;
            line.next = nl.map_or(b.len(), |nl| nl + 1);
            return line;
        }
    }

    fn push_piece(&mut self, file_start: usize, bytes: &[u8]) {
        self.pieces.push((self.bytes.len(), file_start));
        self.bytes.extend_from_slice(bytes);
    }

    /// File offset of logical offset `i` (`i` may equal the length).
    fn file_offset(&self, i: usize) -> usize {
        let idx = match self.pieces.binary_search_by(|&(l, _)| l.cmp(&i)) {
            Ok(idx) => {
                // Several pieces may start at `i` when some are empty; the
                // last one holds the byte.
                let mut idx = idx;
                while idx + 1 < self.pieces.len() && self.pieces[idx + 1].0 == i {
                    idx += 1;
                }
                idx
            }
            Err(0) => 0,
            Err(idx) => idx - 1,
        };
        let (l, f) = self.pieces[idx];
        if i == self.bytes.len() && i > 0 {
            // One past the end: right after the last byte of the line.
            return self.file_offset(i - 1) + 1;
        }
        f + (i - l)
    }

    fn is_blank_or_comment(&self) -> bool {
        match self.bytes.iter().find(|c| !is_blank(**c)) {
            None => true,
            Some(&c) => c == b'#',
        }
    }

    fn first_word_is(&self, word: &str) -> bool {
        let start = self.bytes.iter().position(|c| !is_blank(*c)).unwrap_or(self.bytes.len());
        let rest = &self.bytes[start..];
        let end = rest.iter().position(|c| is_blank(*c)).unwrap_or(rest.len());
        rest[..end].eq_ignore_ascii_case(word.as_bytes())
    }

    /// Split into arguments; a quote left open is a problem.
    fn tokenize(&self) -> Result<Vec<Token>, ParseProblem> {
        let b = &self.bytes;
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if is_blank(b[i]) {
                i += 1;
                continue;
            }
            let start = i;
            if b[i] == b'"' || b[i] == b'\'' {
                let quote = b[i];
                i += 1;
                loop {
                    if i >= b.len() {
                        return Err(ParseProblem {
                            message: format!(
                                "unterminated {} string: no closing `{}` before the end of the line",
                                if quote == b'"' { "double-quoted" } else { "single-quoted" },
                                quote as char
                            ),
                            span: Span::new(self.file_offset(start), self.end),
                        });
                    }
                    if b[i] == b'\\' && i + 1 < b.len() && (b[i + 1] == quote || b[i + 1] == b'\\') {
                        i += 2;
                    } else if b[i] == quote {
                        break;
                    } else {
                        i += 1;
                    }
                }
                tokens.push(Token { raw: start..i + 1, content: start + 1..i, quote: Some(quote) });
                i += 1;
            } else {
                while i < b.len() && !is_blank(b[i]) {
                    i += 1;
                }
                tokens.push(Token { raw: start..i, content: start..i, quote: None });
            }
        }
        Ok(tokens)
    }

    /// The decoded text of a token, and the logical offsets of its escapes.
    fn decode(&self, token: &Token) -> (String, Vec<usize>) {
        let raw = &self.bytes[token.content.clone()];
        let Some(quote) = token.quote else {
            return (String::from_utf8_lossy(raw).into_owned(), Vec::new());
        };
        let mut out = Vec::with_capacity(raw.len());
        let mut escapes = Vec::new();
        let mut i = 0;
        while i < raw.len() {
            if raw[i] == b'\\' && i + 1 < raw.len() && raw[i + 1] == quote {
                escapes.push(token.content.start + i);
                out.push(quote);
                i += 2;
            } else if raw[i] == b'\\' && i + 1 < raw.len() && raw[i + 1] == b'\\' {
                out.extend_from_slice(b"\\\\");
                i += 2;
            } else {
                out.push(raw[i]);
                i += 1;
            }
        }
        // Escapes and the split points of logical lines fall on ASCII bytes,
        // so the bytes stay valid UTF-8.
        (String::from_utf8_lossy(&out).into_owned(), escapes)
    }

    /// The offset map of the decoded range `[d_start, d_end)` of a token
    /// whose decoded text starts at logical offset `content_start` and whose
    /// 2-byte escapes (each decoding to one byte) sit at `escapes`.
    fn offset_map(&self, content_start: usize, escapes: &[usize], d_start: usize, d_end: usize) -> OffsetMap {
        // Decoded offset -> logical offset: every escape before it adds one.
        let l_start = content_start + d_start + escapes_before(escapes, content_start, d_start);
        let mut builder = OffsetMapBuilder::new(self.file_offset(l_start));
        let mut l = l_start;
        let mut d = d_start;
        let first_escape = escapes.partition_point(|&e| e < l_start);
        let mut esc = escapes[first_escape..].iter().peekable();
        while d < d_end {
            let next_escape = esc.peek().copied().copied();
            if next_escape == Some(l) {
                self.align(&mut builder, l);
                builder.escape(2, 1);
                esc.next();
                l += 2;
                d += 1;
                continue;
            }
            // A verbatim run up to the next escape, the next piece boundary
            // or the end of the range.
            let mut run_end = l + (d_end - d);
            if let Some(e) = next_escape {
                run_end = run_end.min(e);
            }
            let piece_end = self.piece_end(l);
            run_end = run_end.min(piece_end);
            self.align(&mut builder, l);
            builder.verbatim(run_end - l);
            d += run_end - l;
            l = run_end;
        }
        builder.finish()
    }

    /// Skip the file bytes between the builder's position and logical `l`
    /// (a removed continuation).
    fn align(&self, builder: &mut OffsetMapBuilder, l: usize) {
        let f = self.file_offset(l);
        if f > builder.raw_offset() {
            builder.skip(f - builder.raw_offset());
        }
    }

    /// Logical offset where the piece holding logical offset `l` ends.
    fn piece_end(&self, l: usize) -> usize {
        let idx = self.pieces.partition_point(|&(s, _)| s <= l);
        self.pieces.get(idx).map_or(self.bytes.len(), |&(s, _)| s)
    }
}

/// One argument of a directive, in logical offsets.
struct Token {
    /// The argument including its quotes.
    raw: std::ops::Range<usize>,
    /// Inside the quotes.
    content: std::ops::Range<usize>,
    /// The quote character, if quoted.
    quote: Option<u8>,
}

fn is_blank(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\x0b' | b'\x0c')
}

/// The regex of a rule's operator argument, if its operator is `@rx` or
/// implicit.
fn operator_regex(line: &LogicalLine, token: &Token) -> Option<(String, OffsetMap)> {
    let (op, escapes) = line.decode(token);
    let b = op.as_bytes();
    let mut i = 0;
    while i < b.len() && is_blank(b[i]) {
        i += 1;
    }
    if i < b.len() && b[i] == b'!' {
        i += 1;
        while i < b.len() && is_blank(b[i]) {
            i += 1;
        }
    }
    if i < b.len() && b[i] == b'@' {
        let name_start = i + 1;
        let mut j = name_start;
        while j < b.len() && !is_blank(b[j]) {
            j += 1;
        }
        if !b[name_start..j].eq_ignore_ascii_case(b"rx") {
            return None;
        }
        i = j;
        while i < b.len() && is_blank(b[i]) {
            i += 1;
        }
    }
    let offsets = line.offset_map(token.content.start, &escapes, i, b.len());
    Some((op[i..].to_owned(), offsets))
}

/// Regex selectors in the variable list: `TX:/^foo_/`, `!ARGS:/^id/`.
fn push_target_regexes(
    line: &LogicalLine,
    token: &Token,
    key: &str,
    rule_id: Option<&String>,
    out: &mut Vec<ExtractedPattern>,
) {
    let (targets, escapes) = line.decode(token);
    let b = targets.as_bytes();
    let mut start = 0;
    for (index, part) in targets.split('|').enumerate() {
        let part_start = start;
        start += part.len() + 1;
        let Some(colon) = part.find(':') else { continue };
        let collection = part[..colon].trim_start_matches(['!', '&']);
        if collection.eq_ignore_ascii_case("XML") {
            continue;
        }
        let sel = &part[colon + 1..];
        if sel.len() < 2 || !sel.starts_with('/') || !sel.ends_with('/') {
            continue;
        }
        let d_start = part_start + colon + 2;
        let d_end = part_start + part.len() - 1;
        debug_assert!(d_end <= b.len());
        let offsets = line.offset_map(token.content.start, &escapes, d_start, d_end);
        out.push(seclang_pattern(
            targets[d_start..d_end].to_owned(),
            offsets,
            format!("{key}.target[{index}]"),
            rule_id.cloned(),
        ));
    }
}

/// What cfglint needs from a rule's actions.
#[derive(Debug, Default, PartialEq, Eq)]
struct Actions {
    id: Option<String>,
    chain: bool,
}

/// Split `id:942100,phase:2,msg:'a, b',chain` at commas outside single
/// quotes and pick out `id` and `chain`.
fn parse_actions(actions: &str) -> Actions {
    let mut out = Actions::default();
    let mut items = Vec::new();
    let mut in_quote = false;
    let mut item_start = 0;
    let b = actions.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if in_quote && i + 1 < b.len() => i += 1,
            b'\'' => in_quote = !in_quote,
            b',' if !in_quote => {
                items.push(&actions[item_start..i]);
                item_start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    items.push(&actions[item_start..]);
    for item in items {
        let item = item.trim();
        let (name, value) = match item.split_once(':') {
            Some((n, v)) => (n.trim(), Some(v.trim())),
            None => (item, None),
        };
        if name.eq_ignore_ascii_case("id") {
            if let Some(v) = value {
                let v = v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')).unwrap_or(v);
                if !v.is_empty() {
                    out.id = Some(v.to_owned());
                }
            }
        } else if name.eq_ignore_ascii_case("chain") {
            out.chain = true;
        }
    }
    out
}

/// What a SecLang file defines and refers to: the links `cfglint rollout`
/// orders dependent changes by (an exclusion must follow the rule it
/// names; a file must exist before the config that includes it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Links {
    /// Rule ids defined by an `id:` action (`SecRule`, `SecAction`), with
    /// the span of the id in the file.
    pub rule_ids: Vec<(String, Span)>,
    /// Markers defined by `SecMarker NAME`.
    pub markers: Vec<(String, Span)>,
    /// Rule ids and id ranges referred to by `ctl:ruleRemoveById`,
    /// `ctl:ruleRemoveTargetById`, `SecRuleRemoveById`,
    /// `SecRuleUpdateTargetById` and `SecRuleUpdateActionById`.
    pub id_refs: Vec<IdRef>,
    /// Markers referred to by `skipAfter:NAME`.
    pub marker_refs: Vec<(String, Span)>,
    /// Files loaded by `Include` / `IncludeOptional` (as written: a path or
    /// a glob, relative or absolute).
    pub includes: Vec<(String, Span)>,
    /// The explicit disruptive action (`deny`, `drop`, `block`, `pass`,
    /// `allow`, `redirect`, `proxy`) of each rule that has an id.
    pub disruptive: Vec<(String, String)>,
}

/// A reference to one rule id or an inclusive range of ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdRef {
    /// The first id.
    pub first: u64,
    /// The last id (`first` for a single id).
    pub last: u64,
    /// What refers: `ctl:ruleRemoveById`, `SecRuleRemoveById`, …
    pub via: String,
    /// The id (or range) in the file.
    pub span: Span,
}

/// List what a SecLang file defines and refers to (see [`Links`]).
/// Comments, continuations and quoting are read as [`extract`] reads them;
/// directives that do not parse are skipped. Linear in the file size.
pub fn links(text: &str) -> Links {
    let mut out = Links::default();
    let mut problems = Vec::new();
    let mut pos = if text.starts_with('\u{feff}') { 3 } else { 0 };
    while pos < text.len() {
        let line = LogicalLine::read(text, pos, &mut problems);
        pos = line.next;
        if line.is_blank_or_comment() {
            continue;
        }
        let Ok(tokens) = line.tokenize() else { continue };
        let Some(first) = tokens.first() else { continue };
        let name = String::from_utf8_lossy(&line.bytes[first.raw.clone()]).to_ascii_lowercase();
        // The decoded text of token `i` and the file span of a range in it.
        let arg = |i: usize| -> Option<(String, Vec<usize>, &Token)> {
            tokens.get(i).map(|t| {
                let (s, e) = line.decode(t);
                (s, e, t)
            })
        };
        let span_of = |t: &Token, escapes: &[usize], r: std::ops::Range<usize>| {
            line.offset_map(t.content.start, escapes, r.start, r.end).raw_span()
        };
        match name.as_str() {
            "secrule" | "secaction" => {
                let Some((actions, escapes, t)) = arg(if name == "secrule" { 3 } else { 1 }) else { continue };
                link_actions(&actions, &mut out, |r| span_of(t, &escapes, r));
            }
            "secruleremovebyid" => {
                for i in 1..tokens.len() {
                    let Some((value, escapes, t)) = arg(i) else { continue };
                    if let Some((first, last)) = parse_id_range(&value) {
                        let span = span_of(t, &escapes, 0..value.len());
                        out.id_refs.push(IdRef { first, last, via: "SecRuleRemoveById".to_owned(), span });
                    }
                }
            }
            "secruleupdatetargetbyid" | "secruleupdateactionbyid" => {
                let Some((value, escapes, t)) = arg(1) else { continue };
                // `SecRuleUpdateActionById 942100:2 "…"` names a rule in a chain.
                let id = value.split(':').next().unwrap_or_default();
                if let Some((first, last)) = parse_id_range(id) {
                    let via = if name == "secruleupdatetargetbyid" {
                        "SecRuleUpdateTargetById"
                    } else {
                        "SecRuleUpdateActionById"
                    };
                    let span = span_of(t, &escapes, 0..id.len());
                    out.id_refs.push(IdRef { first, last, via: via.to_owned(), span });
                }
            }
            "secmarker" => {
                if let Some((value, escapes, t)) = arg(1)
                    && !value.is_empty()
                {
                    out.markers.push((value.clone(), span_of(t, &escapes, 0..value.len())));
                }
            }
            "include" | "includeoptional" => {
                if let Some((value, escapes, t)) = arg(1)
                    && !value.is_empty()
                {
                    out.includes.push((value.clone(), span_of(t, &escapes, 0..value.len())));
                }
            }
            _ => {}
        }
    }
    out
}

/// Record the links in one action list (`id:1,deny,ctl:ruleRemoveById=2`).
/// `span_of` maps a byte range of `actions` to the file.
fn link_actions(actions: &str, out: &mut Links, span_of: impl Fn(std::ops::Range<usize>) -> Span) {
    let mut id = None;
    let mut disruptive = None;
    for item in action_ranges(actions) {
        let text = &actions[item.clone()];
        let (name, value) = match text.split_once(':') {
            Some((n, v)) => {
                let lead = v.len() - v.trim_start().len();
                let v_start = item.start + n.len() + 1 + lead;
                let mut r = v_start..v_start + v.trim().len();
                let raw = &actions[r.clone()];
                if raw.len() >= 2 && raw.starts_with('\'') && raw.ends_with('\'') {
                    r = r.start + 1..r.end - 1;
                }
                (n.trim().to_ascii_lowercase(), Some(r))
            }
            None => (text.trim().to_ascii_lowercase(), None),
        };
        match (name.as_str(), value) {
            ("id", Some(r)) if !r.is_empty() => {
                id = Some(actions[r.clone()].to_owned());
                out.rule_ids.push((actions[r.clone()].to_owned(), span_of(r)));
            }
            ("ctl", Some(r)) => {
                let v = &actions[r.clone()];
                let Some((option, arg)) = v.split_once('=') else { continue };
                let via = if option.trim().eq_ignore_ascii_case("ruleRemoveById") {
                    "ctl:ruleRemoveById"
                } else if option.trim().eq_ignore_ascii_case("ruleRemoveTargetById") {
                    "ctl:ruleRemoveTargetById"
                } else {
                    continue;
                };
                // `ruleRemoveTargetById=942100;ARGS:password`
                let ids = arg.split(';').next().unwrap_or_default();
                let lead = ids.len() - ids.trim_start().len();
                let start = r.start + option.len() + 1 + lead;
                let ids = ids.trim();
                if let Some((first, last)) = parse_id_range(ids) {
                    out.id_refs.push(IdRef {
                        first,
                        last,
                        via: via.to_owned(),
                        span: span_of(start..start + ids.len()),
                    });
                }
            }
            ("skipafter", Some(r)) if !r.is_empty() => {
                out.marker_refs.push((actions[r.clone()].to_owned(), span_of(r)));
            }
            ("deny" | "drop" | "block" | "pass" | "allow" | "redirect" | "proxy", _) => {
                disruptive = Some(name.clone());
            }
            _ => {}
        }
    }
    if let (Some(id), Some(action)) = (id, disruptive) {
        out.disruptive.push((id, action));
    }
}

/// `942100` or `941000-942999` (ModSecurity rule ids are numbers).
fn parse_id_range(s: &str) -> Option<(u64, u64)> {
    let s = s.trim();
    let (a, b) = s.split_once('-').unwrap_or((s, s));
    let (a, b) = (a.trim().parse::<u64>().ok()?, b.trim().parse::<u64>().ok()?);
    (a <= b).then_some((a, b))
}

/// The byte range of each item of an action list, split at commas outside
/// single quotes (as [`parse_actions`] splits).
fn action_ranges(actions: &str) -> Vec<std::ops::Range<usize>> {
    let mut items = Vec::new();
    let mut in_quote = false;
    let mut item_start = 0;
    let b = actions.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if in_quote && i + 1 < b.len() => i += 1,
            b'\'' => in_quote = !in_quote,
            b',' if !in_quote => {
                items.push(item_start..i);
                item_start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    items.push(item_start..actions.len());
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::PatternSpan;

    fn run(text: &str) -> Extraction {
        extract(&SourceFile::new("rules.conf", text))
    }

    /// Every decoded byte maps to a raw byte that holds it (verbatim pieces)
    /// and the span lies inside the file.
    fn check_map(text: &str, p: &ExtractedPattern) {
        assert!(p.span.end <= text.len());
        assert_eq!(p.offsets.decoded_len(), p.pattern.len());
        for piece in p.offsets.pieces() {
            if piece.decoded_len == piece.raw_len {
                assert_eq!(
                    &p.pattern.as_bytes()[piece.decoded_start..piece.decoded_start + piece.decoded_len],
                    &text.as_bytes()[piece.raw_start..piece.raw_start + piece.raw_len]
                );
            }
        }
    }

    fn one_char(text: &str, p: &ExtractedPattern, d: usize) -> String {
        let s = p.offsets.to_file_span(PatternSpan::new(d, d + 1));
        text[s.range()].to_owned()
    }

    #[test]
    fn rx_with_escaped_quote_and_id() {
        let text = "SecRule ARGS \"@rx a\\\"b\" \"id:942100,phase:2,deny\"\n";
        let ex = run(text);
        assert!(ex.problems.is_empty(), "{:?}", ex.problems);
        assert_eq!(ex.patterns.len(), 1);
        let p = &ex.patterns[0];
        assert_eq!(p.pattern, "a\"b");
        assert_eq!(p.key, "SecRule[id=942100]");
        assert_eq!(p.rule_id.as_deref(), Some("942100"));
        // ModSecurity compiles every `@rx` with PCRE_DOTALL.
        assert_eq!(p.flags.to_letters(), "s");
        assert_eq!(&text[p.span.range()], "a\\\"b");
        assert_eq!(one_char(text, p, 0), "a");
        assert_eq!(one_char(text, p, 1), "\\\"");
        assert_eq!(one_char(text, p, 2), "b");
        check_map(text, p);
    }

    #[test]
    fn implicit_and_negated_rx_and_non_regex_operators() {
        let text = concat!(
            "SecRule ARGS \"^foo$\" \"id:1\"\n",
            "SecRule ARGS \"!@rx bar\" \"id:2\"\n",
            "SecRule ARGS \"!baz\" \"id:3\"\n",
            "SecRule ARGS \"@pm a b c\" \"id:4\"\n",
            "SecRule ARGS \"@detectSQLi\" \"id:5\"\n",
            "SecRule ARGS \"@RX  qux \" \"id:6\"\n",
            "SecRule ARGS unquoted \"id:7\"\n",
            "SecRule ARGS \"@rxfoo\" \"id:8\"\n",
        );
        let ex = run(text);
        let got: Vec<_> = ex.patterns.iter().map(|p| (p.key.as_str(), p.pattern.as_str())).collect();
        assert_eq!(
            got,
            [
                ("SecRule[id=1]", "^foo$"),
                ("SecRule[id=2]", "bar"),
                ("SecRule[id=3]", "baz"),
                ("SecRule[id=6]", "qux "),
                ("SecRule[id=7]", "unquoted"),
            ]
        );
        for p in &ex.patterns {
            assert_eq!(&text[p.span.range()], p.pattern);
        }
    }

    #[test]
    fn continuation_inside_pattern_maps_each_byte() {
        let text = "SecRule ARGS \"@rx ab\\\ncd\" \\\n    \"id:10,\\\n    phase:2\"\n";
        let ex = run(text);
        assert!(ex.problems.is_empty(), "{:?}", ex.problems);
        let p = &ex.patterns[0];
        assert_eq!(p.pattern, "abcd");
        assert_eq!(p.key, "SecRule[id=10]");
        assert_eq!(one_char(text, p, 1), "b");
        assert_eq!(one_char(text, p, 2), "c");
        // The whole pattern covers the continuation.
        assert_eq!(&text[p.span.range()], "ab\\\ncd");
        check_map(text, p);
    }

    #[test]
    fn crlf_continuation_and_indentation_kept() {
        let text = "SecRule ARGS \"@rx a\\\r\n  b\" \"id:11\"\r\n";
        let ex = run(text);
        let p = &ex.patterns[0];
        assert_eq!(p.pattern, "a  b");
        assert_eq!(one_char(text, p, 1), " ");
        assert_eq!(p.offsets.to_file(1), text.find("  b").unwrap());
        check_map(text, p);
    }

    #[test]
    fn backslash_x5c_and_double_backslash_kept() {
        let text = r#"SecRule ARGS "@rx [\x5c/]\\d\"" "id:12""#;
        let ex = run(text);
        let p = &ex.patterns[0];
        assert_eq!(p.pattern, r#"[\x5c/]\\d""#);
        assert_eq!(one_char(text, p, 1), "\\");
        assert_eq!(one_char(text, p, p.pattern.len() - 1), "\\\"");
        check_map(text, p);
    }

    #[test]
    fn chains_take_the_head_id() {
        let text = concat!(
            "SecRule A \"@rx one\" \"id:100,chain\"\n",
            "    SecRule B \"@rx two\" \"chain\"\n",
            "        SecRule C \"@rx three\" \"t:none\"\n",
            "SecRule D \"@rx four\" \"phase:1\"\n",
            "SecRule E \"@eq 1\" \"chain\"\n",
            "SecRule F \"five\"\n",
        );
        let ex = run(text);
        let got: Vec<_> =
            ex.patterns.iter().map(|p| (p.key.as_str(), p.rule_id.as_deref(), p.pattern.as_str())).collect();
        assert_eq!(
            got,
            [
                ("SecRule[id=100]", Some("100"), "one"),
                ("SecRule[id=100].chain[1]", Some("100"), "two"),
                ("SecRule[id=100].chain[2]", Some("100"), "three"),
                ("SecRule[line=4]", None, "four"),
                ("SecRule[line=5].chain[1]", None, "five"),
            ]
        );
    }

    #[test]
    fn comments_and_other_directives_are_skipped() {
        let text = concat!(
            "# SecRule ARGS \"@rx ^b*a*(b*a*b*a*)*\" \"id:942521\"\n",
            "  # indented comment \"@rx x\"\n",
            "SecAction \\\n  \"id:900000,\\\n  pass\"\n",
            "SecMarker END\n",
            "SecRule ARGS \"@rx real\" \"id:'942522'\"\n",
        );
        let ex = run(text);
        assert_eq!(ex.patterns.len(), 1);
        assert_eq!(ex.patterns[0].pattern, "real");
        assert_eq!(ex.patterns[0].key, "SecRule[id=942522]");
    }

    #[test]
    fn target_regexes() {
        let text = "SecRule TX:/^foo_/|!ARGS:/x|XML:/* \"@eq 0\" \"id:20\"\n";
        let ex = run(text);
        let got: Vec<_> = ex.patterns.iter().map(|p| (p.key.as_str(), p.pattern.as_str())).collect();
        assert_eq!(got, [("SecRule[id=20].target[0]", "^foo_")]);
        assert_eq!(&text[ex.patterns[0].span.range()], "^foo_");
    }

    #[test]
    fn problems_do_not_stop_the_file() {
        let text = concat!(
            "SecRule ARGS \"@rx (open\n",
            "SecRule ARGS\n",
            "SecRule ARGS \"@rx fine\" \"id:3\"\n",
            "SecRule ARGS \"@rx end\" \\",
        );
        let ex = run(text);
        assert_eq!(ex.problems.len(), 3, "{:?}", ex.problems);
        assert!(ex.problems[0].message.contains("unterminated"));
        assert_eq!(ex.problems[0].span.start, text.find("\"@rx (open").unwrap());
        assert!(ex.problems[1].message.contains("operator"));
        assert!(ex.problems[2].message.contains("continuation"));
        let got: Vec<_> = ex.patterns.iter().map(|p| p.pattern.as_str()).collect();
        assert_eq!(got, ["fine", "end"]);
    }

    #[test]
    fn continuation_then_eof_and_huge_line() {
        let ex = run("SecRule ARGS \"@rx a\" \\\n");
        assert_eq!(ex.problems.len(), 1);
        let big = format!("SecRule ARGS \"@rx {}\" \"id:1\"\n", "a".repeat(1 << 20));
        let ex = run(&big);
        assert_eq!(ex.patterns[0].pattern.len(), 1 << 20);
        let unterminated = format!("SecRule ARGS \"@rx {}", "\\\"".repeat(1 << 19));
        let ex = run(&unterminated);
        assert_eq!(ex.problems.len(), 1);
    }

    #[test]
    fn actions_parsing() {
        assert_eq!(parse_actions("id:1, msg:'a, chain', chain"), Actions { id: Some("1".to_owned()), chain: true });
        assert_eq!(parse_actions("msg:'chain',id : '7'"), Actions { id: Some("7".to_owned()), chain: false });
    }

    #[test]
    fn links_ids_references_markers_includes() {
        let text = concat!(
            "# SecRuleRemoveById 1\n",
            "SecRule ARGS \"@rx a\" \"id:100,phase:2,deny,ctl:ruleRemoveById=942100,\\\n",
            "    ctl:ruleRemoveTargetById=942200;ARGS:pwd,skipAfter:END-X\"\n",
            "SecAction \"id:'101',pass,ctl:ruleRemoveById=941000-942999\"\n",
            "SecRuleRemoveById 920100 \"920200-920299\" junk\n",
            "SecRuleUpdateTargetById 930100 \"!ARGS:x\"\n",
            "SecRuleUpdateActionById 930200:2 \"t:none\"\n",
            "SecMarker \"END-X\"\n",
            "Include rules/*.conf\n",
            "IncludeOptional '/etc/modsec/local.conf'\n",
        );
        let l = links(text);
        let ids: Vec<_> = l.rule_ids.iter().map(|(id, s)| (id.as_str(), &text[s.range()])).collect();
        assert_eq!(ids, [("100", "100"), ("101", "101")]);
        let refs: Vec<_> = l.id_refs.iter().map(|r| (r.first, r.last, r.via.as_str(), &text[r.span.range()])).collect();
        assert_eq!(
            refs,
            [
                (942_100, 942_100, "ctl:ruleRemoveById", "942100"),
                (942_200, 942_200, "ctl:ruleRemoveTargetById", "942200"),
                (941_000, 942_999, "ctl:ruleRemoveById", "941000-942999"),
                (920_100, 920_100, "SecRuleRemoveById", "920100"),
                (920_200, 920_299, "SecRuleRemoveById", "920200-920299"),
                (930_100, 930_100, "SecRuleUpdateTargetById", "930100"),
                (930_200, 930_200, "SecRuleUpdateActionById", "930200"),
            ]
        );
        assert_eq!(
            l.marker_refs.iter().map(|(m, s)| (m.as_str(), &text[s.range()])).collect::<Vec<_>>(),
            [("END-X", "END-X")]
        );
        assert_eq!(l.markers.iter().map(|(m, _)| m.as_str()).collect::<Vec<_>>(), ["END-X"]);
        let inc: Vec<_> = l.includes.iter().map(|(p, s)| (p.as_str(), &text[s.range()])).collect();
        assert_eq!(inc, [("rules/*.conf", "rules/*.conf"), ("/etc/modsec/local.conf", "/etc/modsec/local.conf")]);
        assert_eq!(l.disruptive, [("100".to_owned(), "deny".to_owned()), ("101".to_owned(), "pass".to_owned())]);
    }

    #[test]
    fn detection() {
        assert!(looks_like_seclang("# x\n  secrule ARGS \"x\"\n"));
        assert!(!looks_like_seclang("server {\n}\n"));
    }
}
