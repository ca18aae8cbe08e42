//! TOML: parse with the toml crate's spanned `DeTable` into a spanned
//! document, decoding every string (keys included) with its offset map.
//!
//! Position in the pipeline: called by `source::extract` for `.toml` files;
//! the kind selectors in `source::kinds` then walk the document.
//!
//! Strings are decoded here from their raw text: basic strings (`\b \t \n
//! \f \r \" \\ \e \xHH \uXXXX \UXXXXXXXX`), literal strings (verbatim),
//! multi-line basic strings (first newline trimmed, line-ending backslash
//! trims the following white space and newlines) and multi-line literal
//! strings (first newline trimmed). Each is checked against the toml crate's
//! value; on disagreement the value is kept with a coarse whole-span map.
//! Dotted keys and `[[array.of.tables]]` come out as nested maps and
//! sequences; entries are in file order (by key position).
//!
//! Guarantees: syntax errors become problems with the error's span, and the
//! parser's best-effort recovery keeps what it could read. The toml crate
//! bounds its own recursion; the conversion is bounded by
//! `ExtractOptions::max_depth`.

use std::borrow::Cow;

use toml::de::{DeTable, DeValue};

use super::decode::{Decoder, coarse_map, hex_value};
use super::offsets::OffsetMap;
use super::span::Span;
use super::tree::{Document, Entry, Node, Scalar};
use super::{ExtractOptions, ParseProblem, Parsed};

/// Parse TOML text into a document.
pub fn parse(text: &str, opts: &ExtractOptions) -> Parsed {
    let src: Cow<'_, str> = match text.strip_prefix('\u{feff}') {
        // Blank the BOM with three spaces so offsets stay true to the file.
        Some(rest) => Cow::Owned(format!("   {rest}")),
        None => Cow::Borrowed(text),
    };
    let (table, errors) = DeTable::parse_recoverable(&src);
    let mut problems: Vec<ParseProblem> = errors
        .iter()
        .map(|e| {
            let span = e.span().map_or(Span::empty(0), |r| {
                let start = r.start.min(text.len());
                Span::new(start, r.end.clamp(start, text.len()))
            });
            ParseProblem { message: format!("invalid TOML: {}", e.message().trim_end()), span }
        })
        .collect();
    let root_span = Span::new(0, text.len());
    let mut cx = Converter { text: &src, max_depth: opts.max_depth.max(1), problems: &mut problems };
    let root = cx.table(table.get_ref(), root_span, 0);
    Parsed { documents: vec![Document { root }], problems }
}

struct Converter<'a> {
    text: &'a str,
    max_depth: usize,
    problems: &'a mut Vec<ParseProblem>,
}

impl Converter<'_> {
    fn table(&mut self, t: &DeTable<'_>, sp: Span, depth: usize) -> Node {
        if depth >= self.max_depth {
            return self.too_deep(sp);
        }
        let mut entries: Vec<Entry> = t
            .iter()
            .map(|(k, v)| {
                let ks = k.span();
                let key = self.string(ks.start, ks.end, k.get_ref());
                let value = self.value(v.get_ref(), clamp(self.text, v.span()), depth + 1);
                Entry { key: key.value, key_span: key.span, key_offsets: key.offsets, value }
            })
            .collect();
        // The crate orders keys by name; the tree wants file order.
        entries.sort_by_key(|e| e.key_span.start);
        Node::Map(entries, sp)
    }

    fn value(&mut self, v: &DeValue<'_>, sp: Span, depth: usize) -> Node {
        match v {
            DeValue::String(s) => Node::Str(self.string(sp.start, sp.end, s)),
            DeValue::Table(t) => self.table(t, sp, depth),
            DeValue::Array(a) => {
                if depth >= self.max_depth {
                    return self.too_deep(sp);
                }
                let items = a.iter().map(|i| self.value(i.get_ref(), clamp(self.text, i.span()), depth + 1)).collect();
                Node::Seq(items, sp)
            }
            DeValue::Integer(i) => Node::Other(i.as_str().to_owned(), sp),
            DeValue::Float(f) => Node::Other(f.as_str().to_owned(), sp),
            DeValue::Boolean(b) => Node::Other(b.to_string(), sp),
            DeValue::Datetime(d) => Node::Other(d.to_string(), sp),
        }
    }

    fn too_deep(&mut self, sp: Span) -> Node {
        self.problems
            .push(ParseProblem { message: format!("TOML nesting is deeper than {} levels", self.max_depth), span: sp });
        Node::Other(String::new(), sp)
    }

    /// A string or key at `start..end` (delimiters included) that the toml
    /// crate decoded as `value`.
    fn string(&self, start: usize, end: usize, value: &str) -> Scalar {
        let raw = self.text.get(start..end).unwrap_or_default();
        let decoded = decode_toml_string(raw, start);
        match decoded {
            Some((v, offsets)) if v == value => Scalar { value: v, span: offsets.raw_span(), offsets },
            _ => {
                let (rs, re) = inner_bounds(raw, start, end);
                let offsets = coarse_map(rs, re - rs, value.len());
                Scalar { value: value.to_owned(), span: offsets.raw_span(), offsets }
            }
        }
    }
}

fn clamp(text: &str, r: std::ops::Range<usize>) -> Span {
    let start = r.start.min(text.len());
    Span::new(start, r.end.clamp(start, text.len()))
}

/// Raw content bounds (inside the delimiters) of a TOML string or key.
fn inner_bounds(raw: &str, start: usize, end: usize) -> (usize, usize) {
    for delim in ["\"\"\"", "'''", "\"", "'"] {
        if raw.len() >= 2 * delim.len() && raw.starts_with(delim) && raw.ends_with(delim) {
            return (start + delim.len(), end - delim.len());
        }
    }
    (start, end)
}

/// Decode a TOML string or key from its raw text (delimiters included) at
/// file offset `start`. Bare keys decode to themselves.
pub(crate) fn decode_toml_string(raw: &str, start: usize) -> Option<(String, OffsetMap)> {
    let (multi, basic, delim) = if raw.starts_with("\"\"\"") {
        (true, true, 3)
    } else if raw.starts_with("'''") {
        (true, false, 3)
    } else if raw.starts_with('"') {
        (false, true, 1)
    } else if raw.starts_with('\'') {
        (false, false, 1)
    } else {
        return Some((raw.to_owned(), OffsetMap::verbatim(start, raw.len())));
    };
    // The raw text must end with its own (ASCII) delimiter, or `len - delim`
    // can fall inside a character.
    if raw.len() < 2 * delim || !raw.ends_with(&raw[..delim]) {
        return None;
    }
    let mut inner = &raw[delim..raw.len() - delim];
    let mut base = start + delim;
    if multi {
        // A newline right after the opening delimiter is trimmed.
        let skip = if inner.starts_with("\r\n") { 2 } else { usize::from(inner.starts_with('\n')) };
        inner = &inner[skip..];
        base += skip;
    }
    if !basic {
        return Some((inner.to_owned(), OffsetMap::verbatim(base, inner.len())));
    }
    decode_basic(inner, base, multi)
}

fn decode_basic(raw: &str, base: usize, multi: bool) -> Option<(String, OffsetMap)> {
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
        let next = *b.get(i + 1)?;
        let simple = match next {
            b'b' => Some('\x08'),
            b't' => Some('\t'),
            b'n' => Some('\n'),
            b'f' => Some('\x0c'),
            b'r' => Some('\r'),
            b'e' => Some('\x1b'),
            b'"' => Some('"'),
            b'\\' => Some('\\'),
            _ => None,
        };
        if let Some(c) = simple {
            d.replace_char(&raw[i..i + 2], c);
            i += 2;
            continue;
        }
        let width = match next {
            b'x' => 2,
            b'u' => 4,
            b'U' => 8,
            b' ' | b'\t' | b'\n' | b'\r' if multi => {
                // Line-ending backslash: only white space may follow it on
                // its line; it trims all white space and newlines up to the
                // next non-white-space character.
                let mut j = i + 1;
                while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
                    j += 1;
                }
                if j < b.len() && !(b[j] == b'\n' || b[j] == b'\r') {
                    return None;
                }
                while j < b.len() && matches!(b[j], b' ' | b'\t' | b'\n' | b'\r') {
                    j += 1;
                }
                d.goto(base + j);
                i = j;
                continue;
            }
            _ => return None,
        };
        let v = hex_value(raw.get(i + 2..)?, width)?;
        d.replace_char(&raw[i..i + 2 + width], char::from_u32(v)?);
        i += 2 + width;
    }
    Some(d.finish())
}

#[cfg(test)]
mod tests {

    /// Found by `CFGLINT_FUZZ_SCALE=2000 cargo test --test fuzz`: a span
    /// that ends inside a multi-byte character instead of at the closing
    /// delimiter must not be sliced at `len - 3`.
    #[test]
    fn a_raw_value_without_its_closing_delimiter_is_not_decoded() {
        for raw in ["\"-----BEGIN KEY---\u{2026}", "\'\'\'abc\u{2026}", "\"\"\"x\u{2026}", "\'a\u{2026}"] {
            assert!(decode_toml_string(raw, 0).is_none(), "{raw:?}");
        }
    }

    use super::*;
    use crate::source::span::PatternSpan;

    fn assert_maps(text: &str, s: &Scalar, needle: &str, raw: &str) {
        let d = s.value.find(needle).unwrap_or_else(|| panic!("{needle:?} not in {:?}", s.value));
        let span = s.offsets.to_file_span(PatternSpan::new(d, d + needle.len()));
        assert_eq!(&text[span.range()], raw);
    }

    fn get<'a>(node: &'a Node, path: &[&str]) -> &'a Node {
        let mut n = node;
        for p in path {
            n = match p.parse::<usize>() {
                Ok(i) => &n.items()[i],
                Err(_) => n.get(p).unwrap_or_else(|| panic!("no key {p}")),
            };
        }
        n
    }

    #[test]
    fn string_styles() {
        let text = concat!(
            "basic = \"a\\\\d\\u00e9\\U0001F600\\t\\\"\\x41\\e z\"\n",
            "lit = 'C:\\d+'\n",
            "ml = \"\"\"\nab \\\n    cd\\\\s\"\"\"\n",
            "mll = '''\nraw\\w+\n'''\n",
            "q = \"\"\"x\"\"\"\"\"\n",
        );
        let p = parse(text, &ExtractOptions::default());
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let root = &p.documents[0].root;
        let s = get(root, &["basic"]).as_str().expect("string");
        assert_eq!(s.value, "a\\dé\u{1F600}\t\"A\u{1b} z");
        assert_maps(text, s, "\\", "\\\\");
        assert_maps(text, s, "é", "\\u00e9");
        assert_maps(text, s, "A", "\\x41");
        assert_maps(text, s, "z", "z");
        let s = get(root, &["lit"]).as_str().expect("string");
        assert!(s.offsets.is_verbatim());
        assert_eq!(&text[s.span.range()], "C:\\d+");
        let s = get(root, &["ml"]).as_str().expect("string");
        assert_eq!(s.value, "ab cd\\s");
        assert_maps(text, s, "c", "c");
        assert_maps(text, s, "\\", "\\\\");
        let s = get(root, &["mll"]).as_str().expect("string");
        assert_eq!(s.value, "raw\\w+\n");
        assert_maps(text, s, "\\", "\\");
        assert_eq!(get(root, &["q"]).as_str().expect("string").value, "x\"\"");
    }

    #[test]
    fn tables_and_dotted_keys() {
        let text = "z = 1\n[[rules]]\nid = \"a\"\nregex = '''x+'''\n[rules.allowlist]\nregexes = ['''y''']\n[[rules]]\nid = \"b\"\n[a.\"b.c\"]\nd.e = 'f'\n";
        let p = parse(text, &ExtractOptions::default());
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let root = &p.documents[0].root;
        let keys: Vec<&str> = root.entries().iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["z", "rules", "a"], "file order");
        assert_eq!(get(root, &["rules", "0", "regex"]).as_str().expect("s").value, "x+");
        assert_eq!(get(root, &["rules", "0", "allowlist", "regexes", "0"]).as_str().expect("s").value, "y");
        assert_eq!(get(root, &["rules", "1", "id"]).scalar_text(), Some("b"));
        assert_eq!(get(root, &["a", "b.c", "d", "e"]).scalar_text(), Some("f"));
    }

    mod agreement {
        use std::fmt::Write as _;

        use proptest::prelude::*;
        use toml::de::{DeTable, DeValue};

        use super::super::decode_toml_string;

        /// Write `s` as a TOML basic string body, escaping chars several
        /// valid ways.
        fn encode(s: &str, style: &[u8]) -> String {
            let mut out = String::new();
            for (i, c) in s.chars().enumerate() {
                let pick = style.get(i % style.len().max(1)).copied().unwrap_or(0) % 3;
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str(if pick == 0 { "\\\\" } else { "\\u005C" }),
                    '\t' if pick == 0 => out.push_str("\\t"),
                    c if (c as u32) < 0x20 || c == '\u{7f}' || pick == 2 => {
                        let _ = write!(out, "\\U{:08X}", c as u32);
                    }
                    c => out.push(c),
                }
            }
            out
        }

        proptest! {
            #[test]
            fn decoder_agrees_with_toml(s in "\\PC{0,20}|[\\\\\"\\n\\tax\u{e9}\u{1F600}]{0,20}", style in proptest::collection::vec(any::<u8>(), 1..8)) {
                for (open, close) in [("\"", "\""), ("\"\"\"", "\"\"\"")] {
                    let body = encode(&s, &style);
                    let text = format!("k = {open}{body}{close}\n");
                    let (table, errors) = DeTable::parse_recoverable(&text);
                    prop_assert!(errors.is_empty(), "{text:?}: {errors:?}");
                    let value = table.get_ref().get("k").map(|v| v.get_ref().clone());
                    let Some(DeValue::String(expected)) = value else { panic!("a string") };
                    let raw = &text[4..text.len() - 1];
                    let (decoded, map) = decode_toml_string(raw, 4).expect("decodes");
                    prop_assert_eq!(&decoded, &*expected);
                    prop_assert_eq!(map.decoded_len(), decoded.len());
                }
            }
        }
    }

    #[test]
    fn errors_have_spans() {
        for text in ["a = ", "a = \"x", "[a\nb = 1", "a = 1\na = 2", "a = [1, 2"] {
            let p = parse(text, &ExtractOptions::default());
            assert!(!p.problems.is_empty(), "{text}");
            for pr in &p.problems {
                assert!(pr.span.end <= text.len(), "{text}");
            }
        }
        let deep = format!("a = {}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(!parse(&deep, &ExtractOptions::default()).problems.is_empty());
        let deep = format!("a = {}1{}", "{a=".repeat(10_000), "}".repeat(10_000));
        assert!(!parse(&deep, &ExtractOptions::default()).problems.is_empty());
        let opts = ExtractOptions { max_depth: 2, ..ExtractOptions::default() };
        let p = parse("a = [[['x']]]", &opts);
        assert_eq!(p.problems.len(), 1);
    }

    #[test]
    fn bom_and_crlf() {
        let text = "\u{feff}k = \"\"\"\r\na\\\r\n  b\r\nc\"\"\"\r\n";
        let p = parse(text, &ExtractOptions::default());
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let s = get(&p.documents[0].root, &["k"]).as_str().expect("string");
        assert_eq!(s.value, "ab\r\nc");
        assert_maps(text, s, "b", "b");
    }
}
