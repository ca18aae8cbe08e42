//! YAML: parse a stream into spanned [`Document`]s with saphyr-parser,
//! decoding every scalar style while recording its offset map.
//!
//! Position in the pipeline: called by `source::extract` for `.yaml`/`.yml`
//! files (and for YAML embedded in other YAML, such as an Alertmanager config
//! in a Kubernetes Secret); the kind selectors in `source::kinds` then walk the
//! documents.
//!
//! How spans are found: saphyr-parser reports each event with start and end
//! markers counted in *characters*; they are turned into byte offsets through
//! a char-to-byte table (the UTF-8 BOM counts as one character, so offsets
//! stay true to the file). Every scalar is then decoded here from its raw text
//! (plain folding, `''`, every double-quoted escape, literal and folded block
//! scalars with chomping and indentation indicators) while an [`OffsetMap`]
//! is built. The result is checked against the value saphyr itself produced;
//! when they differ, saphyr's value is kept with a coarse whole-span map, so a
//! map is never finer than it is right.
//!
//! Guarantees: no input panics or hangs. Nesting deeper than
//! `ExtractOptions::max_depth` stops the parse with a problem; alias expansion
//! (including `<<` merge keys) is bounded by
//! `ExtractOptions::max_alias_expansion` nodes per document and by a byte cap,
//! so a "billion laughs" document gives a problem pointing at the alias.
//! Documents completed before a syntax error are kept, and the document being
//! parsed when it happened is kept up to that point.

use std::collections::{HashMap, HashSet};

use saphyr_parser::{Event, Parser, ScalarStyle, Tag};

use super::decode::{Decoder, coarse_map, hex_value};
use super::offsets::OffsetMap;
use super::span::Span;
use super::tree::{Document, Entry, Node, Scalar};
use super::{ExtractOptions, ParseProblem, Parsed};

/// Parse YAML text into documents.
pub fn parse(text: &str, opts: &ExtractOptions) -> Parsed {
    let mut b = Builder::new(text, opts);
    b.run();
    Parsed { documents: b.docs, problems: b.problems }
}

/// Char index -> byte offset.
struct CharIndex {
    /// Byte offset of every char, for non-ASCII text; `None` when every char
    /// is one byte.
    starts: Option<Vec<usize>>,
    len: usize,
}

impl CharIndex {
    fn new(text: &str) -> Self {
        let starts = if text.is_ascii() { None } else { Some(text.char_indices().map(|(i, _)| i).collect()) };
        CharIndex { starts, len: text.len() }
    }

    fn byte(&self, char_index: usize) -> usize {
        match &self.starts {
            None => char_index.min(self.len),
            Some(v) => v.get(char_index).copied().unwrap_or(self.len),
        }
    }
}

/// A node stored under an anchor, with its expansion cost.
struct Anchored {
    node: Node,
    nodes: usize,
    bytes: usize,
    height: usize,
}

enum Frame {
    Map { start: usize, anchor: usize, entries: Vec<Entry>, key: Option<Node>, merges: Vec<Node> },
    Seq { start: usize, anchor: usize, items: Vec<Node> },
}

struct Builder<'t> {
    text: &'t str,
    chars: CharIndex,
    max_depth: usize,
    max_alias_nodes: usize,
    max_alias_bytes: usize,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Anchored>,
    expanded_nodes: usize,
    expanded_bytes: usize,
    alias_limit_hit: bool,
    root: Option<Node>,
    docs: Vec<Document>,
    problems: Vec<ParseProblem>,
    /// End (byte) of the furthest event seen so far: a block scalar's header
    /// lies between it and the scalar's content.
    last_end: usize,
    stopped: bool,
    /// Scalars whose own decoding disagreed with saphyr's (kept coarse), by
    /// raw start offset; a test checks there are none on the corpus.
    fallbacks: Vec<usize>,
}

impl<'t> Builder<'t> {
    fn new(text: &'t str, opts: &ExtractOptions) -> Self {
        Builder {
            text,
            chars: CharIndex::new(text),
            max_depth: opts.max_depth.max(1),
            max_alias_nodes: opts.max_alias_expansion,
            // Approximation: besides the node budget, cap the bytes of string
            // data copied by aliases (an alias of one huge string is one node).
            max_alias_bytes: text.len().saturating_mul(16).max(1 << 20),
            stack: Vec::new(),
            anchors: HashMap::new(),
            expanded_nodes: 0,
            expanded_bytes: 0,
            alias_limit_hit: false,
            root: None,
            docs: Vec::new(),
            problems: Vec::new(),
            last_end: 0,
            stopped: false,
            fallbacks: Vec::new(),
        }
    }

    fn run(&mut self) {
        let mut parser = Parser::new_from_str(self.text);
        while !self.stopped {
            let Some(res) = parser.next_event() else { break };
            match res {
                Err(e) => {
                    let at = self.chars.byte(e.marker().index());
                    self.problem(format!("invalid YAML: {}", e.info()), self.char_span(at));
                    break;
                }
                Ok((ev, span)) => {
                    let s = self.chars.byte(span.start.index());
                    let e = self.chars.byte(span.end.index()).max(s);
                    self.event(ev, s, e);
                    self.last_end = self.last_end.max(e);
                }
            }
        }
        self.salvage();
    }

    fn event(&mut self, ev: Event<'_>, s: usize, e: usize) {
        match ev {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
            Event::DocumentStart(_) => {
                self.anchors.clear();
                self.expanded_nodes = 0;
                self.expanded_bytes = 0;
                self.alias_limit_hit = false;
                self.root = None;
            }
            Event::DocumentEnd => {
                if let Some(root) = self.root.take() {
                    self.docs.push(Document { root });
                }
            }
            Event::MappingStart(anchor, _) => {
                if self.check_depth(s, e) {
                    self.stack.push(Frame::Map {
                        start: s,
                        anchor,
                        entries: Vec::new(),
                        key: None,
                        merges: Vec::new(),
                    });
                }
            }
            Event::SequenceStart(anchor, _) => {
                if self.check_depth(s, e) {
                    self.stack.push(Frame::Seq { start: s, anchor, items: Vec::new() });
                }
            }
            Event::MappingEnd | Event::SequenceEnd => {
                if let Some(frame) = self.stack.pop() {
                    let (node, anchor) = close_frame(frame, e);
                    self.finish_node(node, anchor);
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                let node = self.scalar(&value, style, tag.as_deref(), s, e);
                self.finish_node(node, anchor);
            }
            Event::Alias(id) => {
                let node = self.alias(id, s, e);
                self.attach(node);
            }
        }
    }

    fn check_depth(&mut self, s: usize, e: usize) -> bool {
        if self.stack.len() >= self.max_depth {
            self.problem(format!("YAML nesting is deeper than {} levels", self.max_depth), Span::new(s, e));
            self.stopped = true;
            return false;
        }
        true
    }

    fn problem(&mut self, message: String, span: Span) {
        self.problems.push(ParseProblem { message, span });
    }

    /// The span of the character at `at` (empty at the end of the text).
    fn char_span(&self, at: usize) -> Span {
        let at = at.min(self.text.len());
        let len = self.text[at..].chars().next().map_or(0, char::len_utf8);
        Span::new(at, at + len)
    }

    fn finish_node(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            let (nodes, bytes, height) = measure(&node);
            self.anchors.insert(anchor, Anchored { node: node.clone(), nodes, bytes, height });
        }
        self.attach(node);
    }

    fn attach(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, merges, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) => {
                    let is_merge = matches!(&k, Node::Other(t, _) if t == "<<");
                    match node {
                        Node::Map(..) if is_merge => merges.push(node),
                        Node::Seq(items, _) if is_merge && items.iter().all(|n| matches!(n, Node::Map(..))) => {
                            merges.extend(items);
                        }
                        value => entries.push(make_entry(self.text, k, value)),
                    }
                }
            },
        }
    }

    fn alias(&mut self, id: usize, s: usize, e: usize) -> Node {
        // An alias that is not expanded stands for nothing: an empty list,
        // never a scalar, so `regex: *big` is not read as the regex `*big`.
        let placeholder = Node::Seq(Vec::new(), Span::new(s, e));
        if self.alias_limit_hit {
            return placeholder;
        }
        let Some(a) = self.anchors.get(&id) else {
            self.problem("YAML alias refers to an unknown anchor".to_owned(), Span::new(s, e));
            return placeholder;
        };
        let (nodes, bytes, height) = (a.nodes, a.bytes, a.height);
        if self.expanded_nodes + nodes > self.max_alias_nodes || self.expanded_bytes + bytes > self.max_alias_bytes {
            self.alias_limit_hit = true;
            let msg = format!(
                "YAML alias expansion exceeds the limit of {} nodes in this document (an alias bomb?); \
                 later aliases are not expanded",
                self.max_alias_nodes
            );
            self.problem(msg, Span::new(s, e));
            return placeholder;
        }
        if self.stack.len() + height > self.max_depth {
            self.problem(
                format!("YAML alias expands to nesting deeper than {} levels", self.max_depth),
                Span::new(s, e),
            );
            return placeholder;
        }
        self.expanded_nodes += nodes;
        self.expanded_bytes += bytes;
        a.node.clone()
    }

    fn scalar(&mut self, value: &str, style: ScalarStyle, tag: Option<&Tag>, s: usize, e: usize) -> Node {
        let text = self.text;
        let quoted = matches!(style, ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted);
        let decoded = match style {
            ScalarStyle::Plain => decode_flow(&text[s..e], s, Flow::Plain),
            ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
                let (q, flow) =
                    if style == ScalarStyle::SingleQuoted { (b'\'', Flow::Single) } else { (b'"', Flow::Double) };
                let b = text.as_bytes();
                if e >= s + 2 && b[s] == q && b[e - 1] == q {
                    decode_flow(&text[s + 1..e - 1], s + 1, flow)
                } else {
                    None
                }
            }
            ScalarStyle::Literal | ScalarStyle::Folded => {
                // saphyr's marker is at the first content line's content, or
                // past the scalar when it has none (the parent's indentation,
                // which decides that, is not reported): try both readings
                // and keep the one that agrees with saphyr's value.
                let literal = style == ScalarStyle::Literal;
                find_block_header(text, self.last_end, s).and_then(|h| {
                    [true, false]
                        .into_iter()
                        .filter_map(|has_content| decode_block(text, h, s, literal, has_content))
                        .find(|(v, _)| v == value)
                })
            }
        };
        let scalar = match decoded {
            Some((v, offsets)) if v == value => Scalar { value: v, span: offsets.raw_span(), offsets },
            _ => {
                // Fall back to saphyr's value with a whole-span map.
                self.fallbacks.push(s);
                let (rs, re) = if quoted && e >= s + 2 { (s + 1, e - 1) } else { (s, e) };
                let offsets = coarse_map(rs, re - rs, value.len());
                Scalar { value: value.to_owned(), span: offsets.raw_span(), offsets }
            }
        };
        let is_string = match tag {
            Some(t) if t.is_yaml_core_schema() => !matches!(t.suffix.as_str(), "null" | "bool" | "int" | "float"),
            _ => style != ScalarStyle::Plain || (resolves_to_string(value) && value != "<<"),
        };
        if is_string { Node::Str(scalar) } else { Node::Other(scalar.value, Span::new(s, e)) }
    }

    /// Close every open collection and keep the document parsed so far.
    fn salvage(&mut self) {
        let end = self.last_end;
        while let Some(frame) = self.stack.pop() {
            let (node, _) = close_frame(frame, end);
            self.attach(node);
        }
        if let Some(root) = self.root.take() {
            self.docs.push(Document { root });
        }
    }
}

fn close_frame(frame: Frame, end: usize) -> (Node, usize) {
    match frame {
        Frame::Seq { start, anchor, items } => (Node::Seq(items, Span::new(start, end.max(start))), anchor),
        Frame::Map { start, anchor, mut entries, merges, .. } => {
            if !merges.is_empty() {
                let mut seen: HashSet<String> = entries.iter().map(|e| e.key.clone()).collect();
                for m in merges {
                    if let Node::Map(merged, _) = m {
                        for entry in merged {
                            if seen.insert(entry.key.clone()) {
                                entries.push(entry);
                            }
                        }
                    }
                }
            }
            (Node::Map(entries, Span::new(start, end.max(start))), anchor)
        }
    }
}

fn make_entry(text: &str, key: Node, value: Node) -> Entry {
    let (key_text, key_span, key_offsets) = match key {
        Node::Str(s) => (s.value, s.span, s.offsets),
        Node::Other(t, span) => {
            let offsets = if text.get(span.range()) == Some(t.as_str()) {
                OffsetMap::verbatim(span.start, span.len())
            } else {
                coarse_map(span.start, span.len(), t.len())
            };
            (t, span, offsets)
        }
        other => {
            // A complex key (a map or a sequence): name it by its raw text.
            let span = other.span();
            let raw = text.get(span.range()).unwrap_or_default().trim().to_owned();
            let offsets = coarse_map(span.start, span.len(), raw.len());
            (raw, span, offsets)
        }
    };
    Entry { key: key_text, key_span, key_offsets, value }
}

/// Node count, string bytes and height of a tree, walked with an explicit
/// stack.
fn measure(node: &Node) -> (usize, usize, usize) {
    let (mut nodes, mut bytes, mut height) = (0usize, 0usize, 0usize);
    let mut stack = vec![(node, 1usize)];
    while let Some((n, depth)) = stack.pop() {
        nodes += 1;
        height = height.max(depth);
        match n {
            Node::Map(entries, _) => {
                for e in entries {
                    bytes += e.key.len();
                    stack.push((&e.value, depth + 1));
                }
            }
            Node::Seq(items, _) => stack.extend(items.iter().map(|i| (i, depth + 1))),
            Node::Str(s) => bytes += s.value.len(),
            Node::Other(t, _) => bytes += t.len(),
        }
    }
    (nodes, bytes, height)
}

/// YAML 1.2 core schema: does an untagged plain scalar resolve to a string
/// (rather than null, bool, int or float)?
fn resolves_to_string(v: &str) -> bool {
    if matches!(v, "" | "~" | "null" | "Null" | "NULL" | "true" | "True" | "TRUE" | "false" | "False" | "FALSE") {
        return false;
    }
    if matches!(v, ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF")
        || matches!(v, ".nan" | ".NaN" | ".NAN")
    {
        return false;
    }
    let digits = |s: &str, radix: u32| !s.is_empty() && s.chars().all(|c| c.is_digit(radix));
    if let Some(h) = v.strip_prefix("0x") {
        return !digits(h, 16);
    }
    if let Some(o) = v.strip_prefix("0o") {
        return !digits(o, 8);
    }
    !is_number(v)
}

/// `[-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?`
fn is_number(v: &str) -> bool {
    let b = v.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut mantissa = i > int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        mantissa |= i > frac_start;
    }
    if !mantissa {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == b.len()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Flow {
    Plain,
    Single,
    Double,
}

fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn is_break(b: u8) -> bool {
    b == b'\n' || b == b'\r'
}

/// Index after the line break starting at `i` (`\r\n`, `\n` or `\r`).
fn after_break(b: &[u8], i: usize) -> usize {
    if b[i] == b'\r' && b.get(i + 1) == Some(&b'\n') { i + 2 } else { i + 1 }
}

/// From just after a line break at `i`: the empty lines that follow, as
/// `(break_start, break_end)`, and the index of the next line's first
/// non-blank byte.
fn scan_empty_lines(b: &[u8], mut i: usize) -> (Vec<(usize, usize)>, usize) {
    let mut empties = Vec::new();
    loop {
        while i < b.len() && is_ws(b[i]) {
            i += 1;
        }
        if i < b.len() && is_break(b[i]) {
            let end = after_break(b, i);
            empties.push((i, end));
            i = end;
        } else {
            return (empties, i);
        }
    }
}

/// Decode a flow scalar's raw content (plain, or inside the quotes), folding
/// line breaks. `base` is the file offset of `raw[0]`. Returns `None` on text
/// the decoder does not understand (the caller then falls back).
fn decode_flow(raw: &str, base: usize, flow: Flow) -> Option<(String, OffsetMap)> {
    let bytes = raw.as_bytes();
    let mut d = Decoder::new(base);
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if is_ws(c) || is_break(c) {
            let mut j = i;
            while j < bytes.len() && is_ws(bytes[j]) {
                j += 1;
            }
            if j < bytes.len() && is_break(bytes[j]) {
                // Fold: trailing white space, the break, any empty lines, and
                // the next line's leading white space.
                let first_end = after_break(bytes, j);
                let (empties, next) = scan_empty_lines(bytes, first_end);
                if empties.is_empty() {
                    d.goto(base + i);
                    d.replace(&raw[i..next], " ");
                } else {
                    for (bs, be) in empties {
                        d.goto(base + bs);
                        d.replace(&raw[bs..be], "\n");
                    }
                }
                d.goto(base + next);
                i = next;
            } else {
                d.goto(base + i);
                d.verbatim(&raw[i..j]);
                i = j;
            }
            continue;
        }
        if flow == Flow::Single && c == b'\'' {
            if bytes.get(i + 1) != Some(&b'\'') {
                return None;
            }
            d.goto(base + i);
            d.replace(&raw[i..i + 2], "'");
            i += 2;
            continue;
        }
        if flow == Flow::Double && c == b'\\' {
            i = double_escape(&mut d, raw, base, i)?;
            continue;
        }
        let mut j = i + 1;
        while j < bytes.len() && !is_special(bytes[j], flow) {
            j += 1;
        }
        d.goto(base + i);
        d.verbatim(&raw[i..j]);
        i = j;
    }
    Some(d.finish())
}

fn is_special(c: u8, flow: Flow) -> bool {
    is_ws(c) || is_break(c) || (flow == Flow::Single && c == b'\'') || (flow == Flow::Double && c == b'\\')
}

/// Decode the double-quoted escape at `raw[i]` (a backslash); returns the
/// index after it.
fn double_escape(d: &mut Decoder, raw: &str, base: usize, i: usize) -> Option<usize> {
    let bytes = raw.as_bytes();
    let c = *bytes.get(i + 1)?;
    d.goto(base + i);
    let simple = match c {
        b'0' => Some('\0'),
        b'a' => Some('\x07'),
        b'b' => Some('\x08'),
        b't' | b'\t' => Some('\t'),
        b'n' => Some('\n'),
        b'v' => Some('\x0b'),
        b'f' => Some('\x0c'),
        b'r' => Some('\r'),
        b'e' => Some('\x1b'),
        b' ' => Some(' '),
        b'"' => Some('"'),
        b'/' => Some('/'),
        b'\\' => Some('\\'),
        b'N' => Some('\u{85}'),
        b'_' => Some('\u{a0}'),
        b'L' => Some('\u{2028}'),
        b'P' => Some('\u{2029}'),
        _ => None,
    };
    if let Some(ch) = simple {
        d.replace_char(&raw[i..i + 2], ch);
        return Some(i + 2);
    }
    let width = match c {
        b'x' => 2,
        b'u' => 4,
        b'U' => 8,
        b'\n' | b'\r' => {
            // Escaped line break: the break and the next line's leading white
            // space vanish; empty lines in between still give line feeds.
            let (empties, next) = scan_empty_lines(bytes, after_break(bytes, i + 1));
            for (bs, be) in empties {
                d.goto(base + bs);
                d.replace(&raw[bs..be], "\n");
            }
            d.goto(base + next);
            return Some(next);
        }
        _ => return None,
    };
    let value = hex_value(raw.get(i + 2..)?, width)?;
    let ch = char::from_u32(value)?;
    d.replace_char(&raw[i..i + 2 + width], ch);
    Some(i + 2 + width)
}

/// Find the `|` / `>` indicator of a block scalar: between the end of the
/// previous event and the content, only white space, comments, `-`, `?`,
/// `:` indicators, `---`, tags and anchors can appear.
fn find_block_header(text: &str, from: usize, to: usize) -> Option<usize> {
    let b = text.as_bytes();
    // Inclusive: for a block scalar without content, saphyr's marker is the
    // indicator itself.
    let to = (to + 1).min(b.len());
    let mut i = from;
    let mut after_space = true;
    while i < to {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                after_space = true;
                continue;
            }
            b'#' if after_space => {
                while i < to && !is_break(b[i]) {
                    i += 1;
                }
            }
            b'|' | b'>' => return Some(i),
            b'!' | b'&' => {
                while i < to && !is_ws(b[i]) && !is_break(b[i]) {
                    i += 1;
                }
            }
            b'-' if text[i..].starts_with("---") => i += 3,
            b'-' | b'?' | b':' => {
                let next = b.get(i + 1).copied().unwrap_or(b'\n');
                if !(is_ws(next) || is_break(next)) {
                    return None;
                }
                i += 1;
            }
            _ => return None,
        }
        after_space = false;
    }
    None
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Chomp {
    Strip,
    Clip,
    Keep,
}

#[derive(Debug)]
struct BlockLine {
    /// Content (after the indentation) start and end; `None` for an empty
    /// line.
    content: Option<(usize, usize)>,
    /// The line break, `(start, end)`; `start == end` at the end of the text.
    brk: (usize, usize),
}

/// Decode a block scalar. `header` is the offset of `|` or `>`; `content`
/// is where saphyr says the content starts: with `has_content`, the first
/// non-indentation byte of the first content line (its column is the
/// content indentation); without, the scalar holds only empty lines.
fn decode_block(
    text: &str,
    header: usize,
    content: usize,
    literal: bool,
    has_content: bool,
) -> Option<(String, OffsetMap)> {
    let b = text.as_bytes();
    let mut i = header + 1;
    let mut chomp = Chomp::Clip;
    for _ in 0..2 {
        match b.get(i) {
            Some(b'+') => chomp = Chomp::Keep,
            Some(b'-') => chomp = Chomp::Strip,
            Some(b'1'..=b'9') => {}
            _ => break,
        }
        i += 1;
    }
    while i < b.len() && is_ws(b[i]) {
        i += 1;
    }
    if i < b.len() && b[i] == b'#' {
        while i < b.len() && !is_break(b[i]) {
            i += 1;
        }
    }
    if i < b.len() && !is_break(b[i]) {
        return None;
    }
    let body = if i < b.len() { after_break(b, i) } else { i };

    // The content indentation: the column where saphyr found the content.
    let indent = if has_content && content >= body {
        let line_start = text[..content].rfind('\n').map_or(0, |p| p + 1);
        if !b[line_start..content].iter().all(|&c| c == b' ') {
            return None;
        }
        Some(content - line_start)
    } else {
        None
    };

    let lines = block_lines(text, body, indent);
    let mut d = Decoder::new(lines.first().map_or(body, |l| l.content.map_or(l.brk.0, |c| c.0)));
    let last_content = lines.iter().rposition(|l| l.content.is_some());
    let emit_break = |d: &mut Decoder, line: &BlockLine, as_text: &str| {
        d.goto(line.brk.0);
        if line.brk.0 == line.brk.1 {
            // End of text without a final line break: saphyr still ends a
            // clipped or kept scalar with one.
            d.replace("", as_text);
        } else {
            d.replace(&text[line.brk.0..line.brk.1], as_text);
        }
    };
    let Some(last) = last_content else {
        if chomp == Chomp::Keep {
            for line in &lines {
                emit_break(&mut d, line, "\n");
            }
        }
        return Some(d.finish());
    };
    let starts_blank = |line: &BlockLine| line.content.is_some_and(|(s, _)| is_ws(b[s]));
    let mut prev_content: Option<usize> = None;
    for (idx, line) in lines.iter().enumerate().take(last + 1) {
        match line.content {
            None => {
                // Empty lines between content lines are emitted with the
                // preceding content line's break, below.
                if prev_content.is_none() {
                    emit_break(&mut d, line, "\n");
                }
            }
            Some((cs, ce)) => {
                d.goto(cs);
                d.verbatim(&text[cs..ce]);
                prev_content = Some(idx);
                if idx == last {
                    break;
                }
                let next = lines[idx + 1..].iter().position(|l| l.content.is_some()).map(|p| idx + 1 + p)?;
                let empties = &lines[idx + 1..next];
                let fold = !literal && !starts_blank(line) && !starts_blank(&lines[next]);
                if fold && empties.is_empty() {
                    emit_break(&mut d, line, " ");
                } else if !fold {
                    emit_break(&mut d, line, "\n");
                }
                for e in empties {
                    emit_break(&mut d, e, "\n");
                }
            }
        }
    }
    match chomp {
        Chomp::Strip => {}
        Chomp::Clip => emit_break(&mut d, &lines[last], "\n"),
        Chomp::Keep => {
            for line in &lines[last..] {
                emit_break(&mut d, line, "\n");
            }
        }
    }
    Some(d.finish())
}

/// Split a block scalar body into lines, stopping at the first line that is
/// indented less than `indent` (or at a document marker for indent 0).
fn block_lines(text: &str, body: usize, indent: Option<usize>) -> Vec<BlockLine> {
    let b = text.as_bytes();
    let mut lines = Vec::new();
    let mut i = body;
    while i < b.len() {
        let start = i;
        let mut j = i;
        while j < b.len() && b[j] == b' ' {
            j += 1;
        }
        let spaces = j - start;
        let mut end = j;
        while end < b.len() && !is_break(b[end]) {
            end += 1;
        }
        let brk = if end < b.len() { (end, after_break(b, end)) } else { (end, end) };
        let n = indent.unwrap_or(usize::MAX);
        if n == 0
            && (text[start..].starts_with("---") || text[start..].starts_with("..."))
            && b.get(start + 3).is_none_or(|&c| is_ws(c) || is_break(c))
        {
            break;
        }
        if j == end {
            if spaces <= n {
                lines.push(BlockLine { content: None, brk });
            } else {
                lines.push(BlockLine { content: Some((start + n, end)), brk });
            }
        } else if spaces < n {
            break;
        } else {
            lines.push(BlockLine { content: Some((start + n, end)), brk });
        }
        i = brk.1;
        if brk.0 == brk.1 {
            break;
        }
    }
    // A last line made only of spaces, without a line break, is not a line
    // of the scalar.
    if lines.last().is_some_and(|l| l.content.is_none() && l.brk.0 == l.brk.1) {
        lines.pop();
    }
    lines
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;
    use crate::source::span::PatternSpan;

    /// Parse and also return the offsets of scalars that fell back.
    fn parse_counting(text: &str) -> (Parsed, Vec<usize>) {
        let mut b = Builder::new(text, &ExtractOptions::default());
        b.run();
        (Parsed { documents: b.docs, problems: b.problems }, b.fallbacks)
    }

    fn corpus_dir() -> Option<std::path::PathBuf> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        [root.join("../shared/corpus"), root.join("../../shared/corpus")].into_iter().find(|p| p.is_dir())
    }

    fn yaml_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else { return };
        for entry in rd.flatten() {
            let p = entry.path();
            if p.is_dir() {
                yaml_files(&p, out);
            } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(p);
            }
        }
    }

    #[test]
    fn decoder_agrees_with_saphyr_on_corpus() {
        let Some(dir) = corpus_dir() else { return };
        let mut files = Vec::new();
        yaml_files(&dir, &mut files);
        let mut bad = Vec::new();
        for f in &files {
            let text = std::fs::read_to_string(f).expect("corpus is UTF-8");
            let (_, fallbacks) = parse_counting(&text);
            for at in fallbacks {
                let line = text[..at].matches('\n').count() + 1;
                bad.push(format!("{}:{line}", f.display()));
            }
        }
        assert!(files.len() > 50, "found {} YAML files", files.len());
        assert!(bad.is_empty(), "decoder disagreed with saphyr at {bad:#?}");
    }

    #[test]
    fn decoder_agrees_on_tricky_scalars() {
        let cases = [
            "k: |\n  no final break",
            "k: |+\n  kept\n\n\n",
            "k: >\n\n  leading empty\n  folded\n",
            "k: >\n  a\n\n\n  b\n",
            "k: >\n  a\n    indented\n  b\n",
            "k: |\r\n  crlf\r\n  lines\r\n",
            "k: 'a\r\n  b'\n",
            "k: \"tab\\\tx\"\n",
            "- |1\n  two spaces kept\n",
            "k: |\n\n  after blank\n  \n   spaces\n",
            "--- |\ntop level\n...\n",
            "k: >-\n\n",
            // Found by the proptest below: an empty block scalar followed by
            // a less-indented line (saphyr's marker is then past the scalar).
            "k: |\nnext: 1\n",
            "k: \"a \\\n  b\"\n",
            "k: plain # comment\n",
            "[a, 'b''c', \"d\\x41\"]",
            "k: \"x\n\n  \n y\"\n",
        ];
        for case in cases {
            let (p, fallbacks) = parse_counting(case);
            assert!(p.problems.is_empty(), "{case:?}: {:?}", p.problems);
            assert!(fallbacks.is_empty(), "{case:?} fell back at {fallbacks:?}");
        }
    }

    fn parse_default(text: &str) -> Parsed {
        parse(text, &ExtractOptions::default())
    }

    /// The string scalar at a `/`-separated path of map keys and indices.
    fn at<'a>(node: &'a Node, path: &[&str]) -> &'a Node {
        let mut n = node;
        for p in path {
            n = match p.parse::<usize>() {
                Ok(i) => &n.items()[i],
                Err(_) => n.get(p).unwrap_or_else(|| panic!("no key {p}")),
            };
        }
        n
    }

    fn str_at<'a>(p: &'a Parsed, path: &[&str]) -> &'a Scalar {
        at(&p.documents[0].root, path).as_str().expect("a string")
    }

    /// Decoded offset of the first `needle` in the value maps to the file
    /// bytes `raw`.
    fn assert_maps(text: &str, s: &Scalar, needle: &str, raw: &str) {
        let d = s.value.find(needle).unwrap_or_else(|| panic!("{needle:?} not in {:?}", s.value));
        let span = s.offsets.to_file_span(PatternSpan::new(d, d + needle.len()));
        assert_eq!(&text[span.range()], raw, "value {:?}", s.value);
    }

    #[test]
    fn plain_and_folding() {
        let text = "a: x+y\nb: one\n  two\n\n   three\n";
        let p = parse_default(text);
        assert!(p.problems.is_empty());
        let a = str_at(&p, &["a"]);
        assert_eq!(a.value, "x+y");
        assert!(a.offsets.is_verbatim());
        assert_eq!(&text[a.span.range()], "x+y");
        let b = str_at(&p, &["b"]);
        assert_eq!(b.value, "one two\nthree");
        assert!(!b.offsets.is_verbatim());
        assert_maps(text, b, "t", "t");
        assert_maps(text, b, "three", "three");
    }

    #[test]
    fn single_quoted() {
        let text = "k: 'it''s \\d+'\n";
        let p = parse_default(text);
        let s = str_at(&p, &["k"]);
        assert_eq!(s.value, "it's \\d+");
        assert_maps(text, s, "'", "''");
        assert_maps(text, s, "\\", "\\");
        assert_eq!(&text[s.span.range()], "it''s \\d+");
    }

    #[test]
    fn double_quoted_escapes() {
        let text = r#"k: "a\\d\x41\u00e9\U0001F600\t\"\/\e\N\_\L\P\0\a\b\v\f\r\n\ z""#;
        let p = parse_default(text);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let s = str_at(&p, &["k"]);
        assert_eq!(s.value, "a\\dAé\u{1F600}\t\"/\u{1b}\u{85}\u{a0}\u{2028}\u{2029}\0\u{7}\u{8}\u{b}\u{c}\r\n z");
        assert_maps(text, s, "\\", "\\\\");
        assert_maps(text, s, "d", "d");
        assert_maps(text, s, "A", "\\x41");
        assert_maps(text, s, "é", "\\u00e9");
        assert_maps(text, s, "\u{1F600}", "\\U0001F600");
        assert_maps(text, s, "z", "z");
    }

    #[test]
    fn double_quoted_line_breaks() {
        let text = "k: \"ab  \n   cd\\\n   ef\\\n\n  gh\"\n";
        let p = parse_default(text);
        let s = str_at(&p, &["k"]);
        assert_eq!(s.value, "ab cdef\ngh");
        assert_maps(text, s, "e", "e");
        assert_maps(text, s, "g", "g");
        assert_maps(text, s, " ", "  \n   ");
    }

    #[test]
    fn literal_block() {
        let text = "k: |\n  a+\n   b\\d\n\n  c\n\nnext: 1\n";
        let p = parse_default(text);
        let s = str_at(&p, &["k"]);
        assert_eq!(s.value, "a+\n b\\d\n\nc\n");
        assert_maps(text, s, "+", "+");
        assert_maps(text, s, "\\", "\\");
        assert_maps(text, s, "c", "c");
        assert!(!s.offsets.is_verbatim(), "indentation is skipped");
        assert_eq!(s.span.start, text.find("a+").expect("present"));
    }

    #[test]
    fn block_chomping_and_indent_indicators() {
        let text =
            "a: |-\n  x\n\nb: |+\n  y\n\nc: >\n  f1\n  f2\n\n  f3\n   more\n  f4\nd: |2\n    z\ne: >-  # c\n  w\n";
        let p = parse_default(text);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(str_at(&p, &["a"]).value, "x");
        assert_eq!(str_at(&p, &["b"]).value, "y\n\n");
        let c = str_at(&p, &["c"]);
        assert_eq!(c.value, "f1 f2\nf3\n more\nf4\n");
        assert_maps(text, c, "f3", "f3");
        assert_maps(text, c, "more", "more");
        let d = str_at(&p, &["d"]);
        assert_eq!(d.value, "  z\n");
        assert_maps(text, d, "z", "z");
        assert_eq!(str_at(&p, &["e"]).value, "w");
    }

    #[test]
    fn block_in_sequence_with_tag_and_anchor() {
        let text = "- !!str &x |\n    lit\n- >-\n   one\n   two\n- *x\n";
        let p = parse_default(text);
        let root = &p.documents[0].root;
        let one = root.items()[1].as_str().expect("string");
        assert_eq!(one.value, "one two");
        assert_maps(text, one, "two", "two");
        assert_eq!(root.items()[2].as_str().expect("alias expanded").value, "lit\n");
    }

    #[test]
    fn bom_and_non_ascii() {
        let text = "\u{feff}name: \"é€\\\\d\"\nnext: 'ü+'\n";
        let p = parse_default(text);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let s = str_at(&p, &["name"]);
        assert_eq!(s.value, "é€\\d");
        assert_maps(text, s, "\\", "\\\\");
        assert_maps(text, s, "€", "€");
        let n = str_at(&p, &["next"]);
        assert_maps(text, n, "+", "+");
    }

    #[test]
    fn multi_document_and_error_keeps_earlier() {
        let text = "a: 1\n---\nb: x\n---\nc: [unclosed\n";
        let p = parse_default(text);
        assert_eq!(p.documents.len(), 3, "two complete documents and the salvaged one");
        assert_eq!(p.problems.len(), 1);
        let span = p.problems[0].span;
        assert!(span.start >= text.find("c:").expect("present"), "{span:?}");
    }

    #[test]
    fn syntax_error_has_span() {
        let text = "a: b: c\n";
        let p = parse_default(text);
        assert_eq!(p.problems.len(), 1);
        assert!(p.problems[0].span.end <= text.len());
        assert!(p.problems[0].message.starts_with("invalid YAML"));
    }

    #[test]
    fn merge_keys() {
        let text = "base: &b {regex: 'a+', x: 1}\nuse:\n  <<: *b\n  x: 2\n";
        let p = parse_default(text);
        let u = at(&p.documents[0].root, &["use"]);
        assert_eq!(u.entries().iter().map(|e| e.key.as_str()).collect::<Vec<_>>(), ["x", "regex"]);
        assert_eq!(u.get("x").and_then(Node::scalar_text), Some("2"));
        let r = u.get("regex").and_then(Node::as_str).expect("merged");
        assert_eq!(&text[r.span.range()], "a+");
    }

    #[test]
    fn alias_bomb_is_bounded() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for name in ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'] {
            let refs = vec![format!("*{prev}"); 10].join(", ");
            let _ = writeln!(text, "{name}: &{name} [{refs}]");
            prev = name;
        }
        let p = parse_default(&text);
        assert_eq!(p.problems.len(), 1, "{:?}", p.problems);
        let span = p.problems[0].span;
        assert!(text[span.range()].starts_with('*'), "points at an alias: {:?}", &text[span.range()]);
        let (nodes, _, _) = measure(&p.documents[0].root);
        assert!(nodes < 30_000, "expansion bounded, got {nodes}");
        // An alias left unexpanded is not read as the text `*i`.
        let _ = writeln!(text, "regex: *i");
        let p = parse_default(&text);
        assert!(p.documents[0].root.get("regex").is_some_and(|n| n.scalar_text().is_none()));
    }

    #[test]
    fn deep_nesting_is_a_problem() {
        let text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let p = parse_default(&text);
        assert!(!p.problems.is_empty());
        assert!(p.problems[0].span.end <= text.len());
        let text = format!("{}1{}", "a: {".repeat(10_000), "}".repeat(10_000));
        let p = parse_default(&text);
        assert!(!p.problems.is_empty());
        let opts = ExtractOptions { max_depth: 3, ..ExtractOptions::default() };
        let p = parse("a: {b: {c: {d: 1}}}", &opts);
        assert_eq!(p.problems.len(), 1);
        assert!(p.problems[0].message.contains("deeper than 3"));
    }

    #[test]
    fn scalar_types() {
        let p = parse_default("a: 1\nb: true\nc: ~\nd: '1'\ne: 1.5e3\nf: 0x1F\ng: 1.2.3\nh: !!str 5\n");
        let root = &p.documents[0].root;
        for k in ["a", "b", "c", "e", "f"] {
            assert!(matches!(root.get(k), Some(Node::Other(..))), "{k}");
        }
        for k in ["d", "g", "h"] {
            assert!(matches!(root.get(k), Some(Node::Str(..))), "{k}");
        }
    }

    /// Random scalar bodies in every style: whatever saphyr accepts, the
    /// decoder must agree with (so no map is ever coarse for valid YAML).
    mod agreement {
        use proptest::prelude::*;

        use super::parse_counting;

        fn body(tokens: &'static [&'static str]) -> impl Strategy<Value = String> {
            proptest::collection::vec(proptest::sample::select(tokens), 0..12).prop_map(|v| v.concat())
        }

        const DOUBLE: &[&str] = &[
            "a",
            "\\\\",
            "\\\"",
            "\\n",
            "\\t",
            "\\x41",
            "\\u00e9",
            "\\U0001F600",
            " ",
            "\t",
            "\n  ",
            "\n\n  ",
            "\\\n  ",
            "é",
            "#",
            ": ",
            "'",
            "\\ ",
            "\r\n  ",
        ];
        const SINGLE: &[&str] = &["a", "''", " ", "\t", "\n  ", "\n\n  ", "\"", "\\", "#", "é", " \n   "];
        const PLAIN: &[&str] = &["a", "b", " ", "\n  ", "\n\n  ", "\\", "é", "-", "'", "\"", "x:y", "\t"];
        const LINES: &[&str] = &["a", "  b", "", "   ", "\ta", "é\\d", "c d", " #x"];

        proptest! {
            #[test]
            fn flow_styles_agree(d in body(DOUBLE), q in body(SINGLE), p in body(PLAIN)) {
                let text = format!("d: \"{d}\"\nq: '{q}'\np: x{p}y\n");
                let (parsed, fallbacks) = parse_counting(&text);
                if parsed.problems.is_empty() {
                    prop_assert!(fallbacks.is_empty(), "{text:?} fell back at {fallbacks:?}");
                }
            }

            #[test]
            fn block_styles_agree(
                style in proptest::sample::select(&["|", ">"][..]),
                chomp in proptest::sample::select(&["", "-", "+"][..]),
                indicator in proptest::sample::select(&["", "2"][..]),
                lines in proptest::collection::vec(proptest::sample::select(LINES), 0..8),
                trailer in proptest::sample::select(&["", "\n", "\n\n", "next: 1\n", "\n  \n"][..]),
            ) {
                let content: String = lines.iter().flat_map(|l| ["  ", l, "\n"]).collect();
                let text = format!("k: {style}{chomp}{indicator}\n{content}{trailer}");
                let (parsed, fallbacks) = parse_counting(&text);
                if parsed.problems.is_empty() {
                    prop_assert!(fallbacks.is_empty(), "{text:?} fell back at {fallbacks:?}");
                }
            }
        }
    }

    #[test]
    fn fallback_is_coarse_not_wrong() {
        // When the decoder cannot follow a scalar (here: a block scalar whose
        // header lies before the previous event's end, as a stale position
        // would make it), saphyr's value is kept with a whole-span map:
        // coarse, never wrong.
        let text = "k: |\n  a\\d\n";
        let mut b = Builder::new(text, &ExtractOptions::default());
        b.last_end = 5;
        let node = b.scalar("a\\d\n", ScalarStyle::Literal, None, 7, text.len());
        let s = node.as_str().expect("a string");
        assert_eq!(s.value, "a\\d\n");
        assert_eq!(b.fallbacks, [7]);
        assert_eq!(s.offsets.pieces().len(), 1, "one coarse piece");
        assert!(!s.offsets.is_verbatim());
        let one = s.offsets.to_file_span(PatternSpan::new(1, 2));
        assert!(one.start == 7 && one.len() > 1, "a coarse map underlines the scalar, not one byte: {one:?}");
        // A quoted scalar falls back to the span inside its quotes.
        let text = "k: \"x\"";
        let mut b = Builder::new(text, &ExtractOptions::default());
        let node = b.scalar("different", ScalarStyle::DoubleQuoted, None, 3, 6);
        assert_eq!(node.as_str().expect("string").span, Span::new(4, 5));
        assert_eq!(find_block_header("key: |\n  x\n", 0, 9), None, "`key` is not an indicator");
        assert_eq!(find_block_header("key: |\n  x\n", 3, 9), Some(5));
    }

    #[test]
    fn keys_have_offsets() {
        let text = "\"a\\x2eb\": 1\n'^x+$': 2\n";
        let p = parse_default(text);
        let e = &p.documents[0].root.entries()[0];
        assert_eq!(e.key, "a.b");
        let d = e.key_offsets.to_file_span(PatternSpan::new(1, 2));
        assert_eq!(&text[d.range()], "\\x2e");
        let e = &p.documents[0].root.entries()[1];
        assert_eq!(&text[e.key_offsets.raw_span().range()], "^x+$");
    }
}
