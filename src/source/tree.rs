//! A small spanned document tree shared by the YAML, JSON and TOML parsers.
//!
//! Each format parser turns a file into [`Document`]s of [`Node`]s whose
//! string scalars carry their decoded value, the raw span in the file and the
//! [`OffsetMap`] built while decoding. Kind-specific selectors
//! (`source::kinds`) then walk the tree, whatever the format, and pick the
//! strings that hold regexes. This keeps "where are the regexes" independent
//! of "how is this format quoted".

use super::offsets::OffsetMap;
use super::span::Span;

/// One parsed document (a YAML stream may hold several).
#[derive(Debug, Clone)]
pub struct Document {
    /// The root node.
    pub root: Node,
}

/// A node in a parsed document.
#[derive(Debug, Clone)]
pub enum Node {
    /// A mapping / object / table, in file order.
    Map(Vec<Entry>, Span),
    /// A sequence / array.
    Seq(Vec<Node>, Span),
    /// A string scalar.
    Str(Scalar),
    /// Any other scalar (number, bool, null, date), as its raw text.
    Other(String, Span),
}

/// A key and its value.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The key as decoded text.
    pub key: String,
    /// Span of the key in the file.
    pub key_span: Span,
    /// Maps the decoded key to the file (keys can hold regexes too, as
    /// JSON Schema `patternProperties` keys do).
    pub key_offsets: OffsetMap,
    /// The value.
    pub value: Node,
}

/// A string scalar with everything needed to point inside it.
#[derive(Debug, Clone)]
pub struct Scalar {
    /// The decoded value.
    pub value: String,
    /// Raw span of the value's content in the file (inside the quotes).
    pub span: Span,
    /// Maps decoded offsets to file offsets.
    pub offsets: OffsetMap,
}

impl Node {
    /// The node's span in the file.
    pub fn span(&self) -> Span {
        match self {
            Node::Map(_, s) | Node::Seq(_, s) | Node::Other(_, s) => *s,
            Node::Str(s) => s.span,
        }
    }

    /// The value under `key`, for a map.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(entries, _) => entries.iter().find(|e| e.key == key).map(|e| &e.value),
            _ => None,
        }
    }

    /// The entries, for a map.
    pub fn entries(&self) -> &[Entry] {
        match self {
            Node::Map(entries, _) => entries,
            _ => &[],
        }
    }

    /// The items, for a sequence.
    pub fn items(&self) -> &[Node] {
        match self {
            Node::Seq(items, _) => items,
            _ => &[],
        }
    }

    /// The string scalar, if this is one.
    pub fn as_str(&self) -> Option<&Scalar> {
        match self {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The text of a scalar of any type (`Str` or `Other`).
    pub fn scalar_text(&self) -> Option<&str> {
        match self {
            Node::Str(s) => Some(&s.value),
            Node::Other(t, _) => Some(t),
            _ => None,
        }
    }
}
