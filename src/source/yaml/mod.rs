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
//!
//! Layout: `builder` turns saphyr's events into the tree (anchors, aliases
//! and merge keys under their budgets, the depth limit, salvage after an
//! error); `scalar` decodes each scalar style from its raw text into a value
//! and an offset map, and resolves plain scalars by the core schema.

mod builder;
mod scalar;

use builder::Builder;

use super::{ExtractOptions, Parsed};

/// Parse YAML text into documents.
pub fn parse(text: &str, opts: &ExtractOptions) -> Parsed {
    let mut b = Builder::new(text, opts);
    b.run();
    Parsed { documents: b.docs, problems: b.problems }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use saphyr_parser::ScalarStyle;

    use super::builder::measure;
    use super::scalar::find_block_header;
    use super::*;
    use crate::source::span::{PatternSpan, Span};
    use crate::source::tree::{Node, Scalar};

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
