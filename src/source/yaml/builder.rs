//! The event → tree builder: documents from saphyr-parser's events, with
//! byte spans, anchors and aliases (bounded expansion), `<<` merge keys and
//! the nesting limit.

use std::collections::{HashMap, HashSet};

use saphyr_parser::{Event, Parser, ScalarStyle, Tag};

use super::scalar::{Flow, decode_block, decode_flow, find_block_header, resolves_to_string};
use crate::source::decode::coarse_map;
use crate::source::offsets::OffsetMap;
use crate::source::span::Span;
use crate::source::tree::{Document, Entry, Node, Scalar};
use crate::source::{ExtractOptions, ParseProblem};

/// Char index -> byte offset.
struct CharIndex {
    /// Byte offset of every char, for non-ASCII text; `None` when every char
    /// is one byte.
    starts: Option<Vec<usize>>,
    len: usize,
}

impl CharIndex {
    pub(super) fn new(text: &str) -> Self {
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

pub(super) struct Builder<'t> {
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
    pub(super) docs: Vec<Document>,
    pub(super) problems: Vec<ParseProblem>,
    /// End (byte) of the furthest event seen so far: a block scalar's header
    /// lies between it and the scalar's content.
    pub(super) last_end: usize,
    stopped: bool,
    /// Scalars whose own decoding disagreed with saphyr's (kept coarse), by
    /// raw start offset; a test checks there are none on the corpus.
    pub(super) fallbacks: Vec<usize>,
}

impl<'t> Builder<'t> {
    pub(super) fn new(text: &'t str, opts: &ExtractOptions) -> Self {
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

    pub(super) fn run(&mut self) {
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

    pub(super) fn scalar(&mut self, value: &str, style: ScalarStyle, tag: Option<&Tag>, s: usize, e: usize) -> Node {
        let text = self.text;
        let quoted = matches!(style, ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted);
        let decoded = match style {
            ScalarStyle::Plain => decode_flow(&text[s..e], s, Flow::Plain),
            ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
                let (q, flow) =
                    if style == ScalarStyle::SingleQuoted { (b'\'', Flow::Single) } else { (b'"', Flow::Double) };
                // saphyr's end marker can run past the closing quote, over
                // white space and a comment after it (`"a+b" # note`): the
                // scalar ends at its own closing quote.
                match quoted_end(text, s, e, q) {
                    Some(end) => decode_flow(&text[s + 1..end - 1], s + 1, flow),
                    None => None,
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
                let e = if quoted {
                    quoted_end(text, s, e, if style == ScalarStyle::SingleQuoted { b'\'' } else { b'"' }).unwrap_or(e)
                } else {
                    e
                };
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

/// The end (one past the closing quote) of the quoted scalar that opens
/// with `quote` at `start`, searched no further than `limit`: the first
/// `quote` that is not escaped (`\"` in double quotes, `''` in single
/// quotes). `None` when `start` is no quote or no closing quote is found.
fn quoted_end(text: &str, start: usize, limit: usize, quote: u8) -> Option<usize> {
    let b = text.as_bytes().get(..limit.min(text.len()))?;
    if b.get(start) != Some(&quote) {
        return None;
    }
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' if quote == b'"' => i += 2,
            c if c == quote => {
                if quote == b'\'' && b.get(i + 1) == Some(&b'\'') {
                    i += 2;
                } else {
                    return Some(i + 1);
                }
            }
            _ => i += 1,
        }
    }
    None
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
pub(super) fn measure(node: &Node) -> (usize, usize, usize) {
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
