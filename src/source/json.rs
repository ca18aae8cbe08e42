//! JSON: parse with jsonc-parser into spanned documents, decoding every
//! string (keys included) with its offset map.
//!
//! Position in the pipeline: called by `source::extract` for `.json`,
//! `.json5`, `.jsonc` and `.renovaterc` files; the kind selectors in
//! `source::kinds` then walk the document.
//!
//! Dialects: `.json` files are read as strict JSON (no comments, trailing
//! commas, single quotes or unquoted keys), except well-known JSONC files
//! such as `tsconfig.json` and files under `.vscode/`. `.json5`, `.jsonc` and
//! `.renovaterc` are read leniently (JSON5-style comments, trailing commas,
//! single-quoted strings, extended escapes, line continuations). When a
//! strict file fails, the error is reported and the file is read again
//! leniently so its regexes are still checked.
//!
//! Guarantees: strings are decoded here from their raw text (`\"`, `\\`,
//! `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, `\uXXXX` with surrogate pairs, and the
//! JSON5 escapes) while the offset map is built, then checked against the
//! parser's value (a coarse whole-span map on disagreement). A UTF-8 BOM is
//! blanked (same length) so offsets stay true to the file. Nesting is bounded
//! by the parser (512) and by `ExtractOptions::max_depth`.

use std::borrow::Cow;
use std::path::Path;

use jsonc_parser::ast::{ObjectPropName, Value};
use jsonc_parser::{CollectOptions, ParseOptions, parse_to_ast};

use super::decode::{Decoder, coarse_map, hex_value};
use super::offsets::OffsetMap;
use super::span::Span;
use super::tree::{Document, Entry, Node, Scalar};
use super::{ExtractOptions, ParseProblem, Parsed};

/// Parse JSON text into a document.
pub fn parse(path: &Path, text: &str, opts: &ExtractOptions) -> Parsed {
    let src: Cow<'_, str> = match text.strip_prefix('\u{feff}') {
        // Three spaces for the three BOM bytes keep every offset in place.
        Some(rest) => Cow::Owned(format!("   {rest}")),
        None => Cow::Borrowed(text),
    };
    let lenient = is_lenient(path);
    let mut problems = Vec::new();
    let first = parse_to_ast(&src, &CollectOptions::default(), &parse_options(lenient));
    let result = match first {
        Ok(r) => Some(r),
        Err(e) => {
            let dialect = if lenient { "JSON5" } else { "JSON" };
            let r = e.range();
            let span = Span::new(r.start.min(text.len()), r.end.min(text.len()).max(r.start.min(text.len())));
            problems.push(ParseProblem { message: format!("invalid {dialect}: {}", e.kind()), span });
            if lenient { None } else { parse_to_ast(&src, &CollectOptions::default(), &parse_options(true)).ok() }
        }
    };
    let mut documents = Vec::new();
    if let Some(value) = result.and_then(|r| r.value) {
        let mut cx = Converter { text: &src, lenient, max_depth: opts.max_depth.max(1), problems: &mut problems };
        let root = cx.value(&value, 0);
        documents.push(Document { root });
    }
    Parsed { documents, problems }
}

/// Files read as JSON5/JSONC rather than strict JSON.
fn is_lenient(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    if matches!(ext, "json5" | "jsonc") || name == ".renovaterc" {
        return true;
    }
    // Well-known JSON-with-comments files.
    let in_vscode = path.components().any(|c| c.as_os_str() == ".vscode" || c.as_os_str() == ".devcontainer");
    in_vscode
        || (name.starts_with("tsconfig") && ext == "json")
        || matches!(name.as_str(), "jsconfig.json" | ".eslintrc.json" | "devcontainer.json" | ".devcontainer.json")
}

fn parse_options(lenient: bool) -> ParseOptions {
    if lenient {
        return ParseOptions::default();
    }
    ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

struct Converter<'a> {
    text: &'a str,
    lenient: bool,
    max_depth: usize,
    problems: &'a mut Vec<ParseProblem>,
}

impl Converter<'_> {
    fn value(&mut self, v: &Value<'_>, depth: usize) -> Node {
        match v {
            Value::StringLit(s) => Node::Str(self.string(s.range.start, s.range.end, &s.value)),
            Value::NumberLit(n) => Node::Other(n.value.to_owned(), span(n.range.start, n.range.end)),
            Value::BooleanLit(b) => Node::Other(b.value.to_string(), span(b.range.start, b.range.end)),
            Value::NullKeyword(n) => Node::Other("null".to_owned(), span(n.range.start, n.range.end)),
            Value::Array(a) => {
                let sp = span(a.range.start, a.range.end);
                if depth >= self.max_depth {
                    return self.too_deep(sp);
                }
                Node::Seq(a.elements.iter().map(|e| self.value(e, depth + 1)).collect(), sp)
            }
            Value::Object(obj) => {
                let sp = span(obj.range.start, obj.range.end);
                if depth >= self.max_depth {
                    return self.too_deep(sp);
                }
                let entries = obj
                    .properties
                    .iter()
                    .map(|p| {
                        let key = match &p.name {
                            ObjectPropName::String(s) => self.string(s.range.start, s.range.end, &s.value),
                            ObjectPropName::Word(word) => {
                                let (s, e) = (word.range.start, word.range.end);
                                Scalar {
                                    value: word.value.to_owned(),
                                    span: span(s, e),
                                    offsets: OffsetMap::verbatim(s, e - s),
                                }
                            }
                        };
                        Entry {
                            key: key.value,
                            key_span: key.span,
                            key_offsets: key.offsets,
                            value: self.value(&p.value, depth + 1),
                        }
                    })
                    .collect();
                Node::Map(entries, sp)
            }
        }
    }

    fn too_deep(&mut self, sp: Span) -> Node {
        self.problems
            .push(ParseProblem { message: format!("JSON nesting is deeper than {} levels", self.max_depth), span: sp });
        Node::Other(String::new(), sp)
    }

    /// A string literal at `start..end` (quotes included) whose value the
    /// parser decoded as `value`.
    fn string(&self, start: usize, end: usize, value: &str) -> Scalar {
        let raw = self.text.get(start..end).unwrap_or_default();
        let (rs, re) = if raw.len() >= 2 { (start + 1, end - 1) } else { (start, end) };
        let decoded = raw.chars().next().and_then(|q| decode_string(&self.text[rs..re], rs, q, self.lenient));
        match decoded {
            Some((v, offsets)) if v == value => Scalar { value: v, span: offsets.raw_span(), offsets },
            _ => {
                let offsets = coarse_map(rs, re - rs, value.len());
                Scalar { value: value.to_owned(), span: offsets.raw_span(), offsets }
            }
        }
    }
}

fn span(start: usize, end: usize) -> Span {
    Span::new(start, end.max(start))
}

/// Decode the raw content of a JSON string (inside the quotes). `base` is the
/// file offset of `raw[0]`; `quote` the quote character.
pub(crate) fn decode_string(raw: &str, base: usize, quote: char, lenient: bool) -> Option<(String, OffsetMap)> {
    let b = raw.as_bytes();
    let mut d = Decoder::new(base);
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'\\' {
                j += 1;
            }
            d.verbatim(&raw[i..j]);
            i = j;
            continue;
        }
        let next = raw[i + 1..].chars().next()?;
        let simple = match next {
            '"' if quote == '"' || lenient => Some('"'),
            '\'' if quote == '\'' || lenient => Some('\''),
            '\\' => Some('\\'),
            '/' => Some('/'),
            'b' => Some('\x08'),
            'f' => Some('\x0c'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' if lenient => Some('\x0b'),
            '0' if lenient && !b.get(i + 2).is_some_and(u8::is_ascii_digit) => Some('\0'),
            _ => None,
        };
        if let Some(c) = simple {
            d.replace_char(&raw[i..i + 2], c);
            i += 2;
            continue;
        }
        match next {
            'u' => {
                let hi = hex_value(raw.get(i + 2..)?, 4)?;
                if (0xD800..0xDC00).contains(&hi) {
                    if raw.get(i + 6..i + 8) != Some("\\u") {
                        return None;
                    }
                    let lo = hex_value(raw.get(i + 8..)?, 4)?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return None;
                    }
                    let c = char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?;
                    d.replace_char(&raw[i..i + 12], c);
                    i += 12;
                } else {
                    d.replace_char(&raw[i..i + 6], char::from_u32(hi)?);
                    i += 6;
                }
            }
            'x' if lenient => {
                let v = hex_value(raw.get(i + 2..)?, 2)?;
                d.replace_char(&raw[i..i + 4], char::from_u32(v)?);
                i += 4;
            }
            '\n' | '\u{2028}' | '\u{2029}' if lenient => {
                // Line continuation: decodes to nothing.
                i += 1 + next.len_utf8();
                d.goto(base + i);
            }
            '\r' if lenient => {
                i += if b.get(i + 2) == Some(&b'\n') { 3 } else { 2 };
                d.goto(base + i);
            }
            '1'..='9' => return None,
            c if lenient => {
                // JSON5: any other escaped character is itself.
                let len = 1 + c.len_utf8();
                d.replace_char(&raw[i..i + len], c);
                i += len;
            }
            _ => return None,
        }
    }
    Some(d.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::span::PatternSpan;

    fn parse_str(name: &str, text: &str) -> Parsed {
        parse(Path::new(name), text, &ExtractOptions::default())
    }

    fn assert_maps(text: &str, s: &Scalar, needle: &str, raw: &str) {
        let d = s.value.find(needle).unwrap_or_else(|| panic!("{needle:?} not in {:?}", s.value));
        let span = s.offsets.to_file_span(PatternSpan::new(d, d + needle.len()));
        assert_eq!(&text[span.range()], raw);
    }

    #[test]
    fn escapes_map_back() {
        let text = r#"{"re": "a\\d+\u00e9\"\/\ud83d\ude00\t\n z", "n": 1, "b": [true, null]}"#;
        let p = parse_str("x.json", text);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let root = &p.documents[0].root;
        let s = root.get("re").and_then(Node::as_str).expect("string");
        assert_eq!(s.value, "a\\d+é\"/\u{1F600}\t\n z");
        assert_maps(text, s, "\\", "\\\\");
        assert_maps(text, s, "+", "+");
        assert_maps(text, s, "é", "\\u00e9");
        assert_maps(text, s, "\u{1F600}", "\\ud83d\\ude00");
        assert_maps(text, s, "z", "z");
        assert!(!s.offsets.is_verbatim());
        assert!(matches!(root.get("n"), Some(Node::Other(t, _)) if t == "1"));
        assert_eq!(root.entries()[0].key_span, Span::new(2, 4), "inside the quotes");
    }

    #[test]
    fn verbatim_strings_are_verbatim() {
        let text = "{\"k\": \"^[a-z]+$\"}";
        let p = parse_str("x.json", text);
        let s = p.documents[0].root.get("k").and_then(Node::as_str).expect("string");
        assert!(s.offsets.is_verbatim());
        assert_eq!(&text[s.span.range()], "^[a-z]+$");
    }

    #[test]
    fn strict_rejects_json5_but_still_reads() {
        let text = "{\n  // comment\n  'k': 'a\\'b',\n}\n";
        let p = parse_str("x.json", text);
        assert_eq!(p.problems.len(), 1);
        assert!(p.problems[0].message.contains("Comments are not allowed"), "{}", p.problems[0].message);
        assert_eq!(&text[p.problems[0].span.range()], "// comment");
        let s = p.documents[0].root.get("k").and_then(Node::as_str).expect("read leniently");
        assert_eq!(s.value, "a'b");
        let p = parse_str("renovate.json5", text);
        assert!(p.problems.is_empty());
        assert_eq!(p.documents.len(), 1);
    }

    #[test]
    fn json5_escapes() {
        let text = "{k: 'a\\x41\\v\\\n  b\\q'}";
        let p = parse_str("x.json5", text);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let s = p.documents[0].root.get("k").and_then(Node::as_str).expect("string");
        assert_eq!(s.value, "aA\x0b  bq");
        assert_maps(text, s, "A", "\\x41");
        assert_maps(text, s, "q", "\\q");
        assert_maps(text, s, "b", "b");
    }

    #[test]
    fn bom_keeps_offsets() {
        let text = "\u{feff}{\"k\": \"x+\"}";
        let p = parse_str("x.json", text);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let s = p.documents[0].root.get("k").and_then(Node::as_str).expect("string");
        assert_eq!(&text[s.span.range()], "x+");
    }

    mod agreement {
        use std::fmt::Write as _;

        use jsonc_parser::CollectOptions;
        use proptest::prelude::*;

        use super::super::decode_string;

        /// Write `s` as a JSON string body, escaping each char one of
        /// several valid ways.
        fn encode(s: &str, style: &[u8]) -> String {
            let mut out = String::new();
            for (i, c) in s.chars().enumerate() {
                let pick = style.get(i % style.len().max(1)).copied().unwrap_or(0) % 3;
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str(if pick == 0 { "\\\\" } else { "\\u005C" }),
                    '/' if pick == 1 => out.push_str("\\/"),
                    c if (c as u32) < 0x20 || pick == 2 => {
                        let mut buf = [0u16; 2];
                        for unit in c.encode_utf16(&mut buf) {
                            let _ = write!(out, "\\u{unit:04X}");
                        }
                    }
                    c => out.push(c),
                }
            }
            out
        }

        proptest! {
            #[test]
            fn decoder_inverts_encoder(s in "\\PC{0,20}|[\\\\\"/\\n\\tax\u{e9}\u{1F600}]{0,20}", style in proptest::collection::vec(any::<u8>(), 1..8)) {
                let body = encode(&s, &style);
                let text = format!("{{\"k\": \"{body}\"}}");
                let parsed = jsonc_parser::parse_to_ast(&text, &CollectOptions::default(), &super::super::parse_options(false));
                prop_assert!(parsed.is_ok(), "{text:?}");
                let (decoded, map) = decode_string(&body, 7, '"', false).expect("decodes");
                prop_assert_eq!(&decoded, &s);
                prop_assert_eq!(map.decoded_len(), s.len());
                prop_assert_eq!(map.raw_span().len(), body.len());
            }
        }
    }

    #[test]
    fn bad_input_gives_spanned_problems() {
        for text in ["{\"a\": }", "[1, 2", "{\"a\" 1}", "\"unterminated", "{} {}"] {
            let p = parse_str("x.json", text);
            assert_eq!(p.problems.len(), 1, "{text}");
            assert!(p.problems[0].span.end <= text.len(), "{text}");
        }
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let p = parse_str("x.json", &deep);
        assert!(!p.problems.is_empty());
        let deep = format!("{}1{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
        let p = parse_str("x.json", &deep);
        assert!(!p.problems.is_empty());
        let opts = ExtractOptions { max_depth: 2, ..ExtractOptions::default() };
        let p = parse(Path::new("x.json"), "[[[\"a\"]]]", &opts);
        assert_eq!(p.problems.len(), 1);
        assert!(p.problems[0].message.contains("deeper than 2"));
    }
}
