//! Line-oriented formats: nginx, Fluent Bit classic `.conf`, Logstash grok
//! pattern files and OWASP CRS regex-assembly (`.ra`) sources.
//!
//! Position: [`crate::source::extract`] sends every file whose
//! [`Format`](super::Format) is `Seclang` or `Lines` here; [`line_kind`]
//! decides which format it is (the first line reader of the kinds' table,
//! in its order, that detects the file by name or content) and the
//! submodule for that format tokenizes it and records spans as it goes.
//! A `.conf` file that is none of them yields an empty [`Extraction`] with
//! no kind.
//!
//! Guarantees shared by the submodules: linear-time scanning (grok and `.ra`
//! expansion are bounded in depth and size), no recursion on nesting read
//! from the file, no panics; every span lies inside the file and every
//! offset map covers exactly its pattern.

use std::path::Path;

use super::{ExtractedPattern, Extraction, Flags, Kind, OffsetMap, OffsetMapBuilder, SourceFile};

pub(in crate::source) mod fluentbit;
pub(in crate::source) mod grok;
pub(in crate::source) mod nginx;
pub mod regex_assembly;
pub mod seclang;

/// True when a file with no telling extension looks like a grok pattern
/// file (`NAME regex` lines, in a `patterns` folder or upper-case names;
/// Dockerfiles and Makefiles excluded).
pub fn looks_like_grok(path: &Path, text: &str) -> bool {
    grok::looks_like_grok(path, text)
}

/// True when a file with no extension sits in an nginx site folder
/// (`sites-enabled`, `sites-available`) and reads like nginx config.
pub fn looks_like_nginx_site(path: &Path, text: &str) -> bool {
    let in_site_dir = path
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|d| matches!(d.to_string_lossy().as_ref(), "sites-enabled" | "sites-available"));
    in_site_dir && path.extension().is_none() && nginx::looks_like_nginx(text)
}

/// Which line format a file is, if any: the first line reader of the
/// kinds' table (in its order) that detects it.
pub fn line_kind(path: &Path, text: &str) -> Option<Kind> {
    super::kinds::line_reader(path, text).map(|(kind, _)| kind.clone())
}

/// Extract the patterns of a line-oriented file (SecLang included).
pub fn extract(file: &SourceFile) -> Extraction {
    super::kinds::line_reader(&file.path, &file.text).map_or_else(Extraction::default, |(_, r)| (r.extract)(file))
}

/// Build a pattern; its span is the offset map's raw span.
fn make_pattern(
    pattern: String,
    offsets: OffsetMap,
    key: String,
    kind: Kind,
    flags: Flags,
    rule_id: Option<String>,
) -> ExtractedPattern {
    ExtractedPattern {
        pattern,
        span: offsets.raw_span(),
        offsets,
        key,
        flavor: kind.default_flavor(),
        semantics: kind.default_semantics(),
        kind,
        flags,
        rule_id,
    }
}

/// Text decoded from a contiguous run of the file in which some 2-byte
/// escapes decode to 1 byte (nginx `\"`, Fluent Bit `\"`, CRS `\@`).
#[derive(Debug, Clone, Default)]
struct Decoded {
    /// The decoded text.
    text: String,
    /// File offset of the first raw byte.
    raw_start: usize,
    /// File offsets of the escapes, ascending.
    escapes: Vec<usize>,
}

impl Decoded {
    /// Raw text taken as is.
    fn verbatim(text: &str, raw_start: usize) -> Self {
        Decoded { text: text.to_owned(), raw_start, escapes: Vec::new() }
    }

    /// The offset map of the decoded range `[d_start, d_end)`.
    fn offsets(&self, d_start: usize, d_end: usize) -> OffsetMap {
        // Decoded offset -> file offset: every escape before it adds one.
        let mut r = self.raw_start + d_start + escapes_before(&self.escapes, self.raw_start, d_start);
        let mut b = OffsetMapBuilder::new(r);
        let first = self.escapes.partition_point(|&e| e < r);
        let mut escapes = self.escapes[first..].iter().copied().peekable();
        let mut d = d_start;
        while d < d_end {
            match escapes.peek().copied() {
                Some(e) if e == r => {
                    b.escape(2, 1);
                    escapes.next();
                    r += 2;
                    d += 1;
                }
                next => {
                    let run = (d_end - d).min(next.map_or(usize::MAX, |e| e - r));
                    b.verbatim(run);
                    r += run;
                    d += run;
                }
            }
        }
        b.finish()
    }
}

/// Record that `raw_len` bytes of the file expanded to `decoded_len`
/// pattern bytes (a grok `%{NAME}`, a CRS `{{name}}`), mapping every
/// expanded byte onto the reference. [`OffsetMapBuilder::escape`] maps an
/// equal-length replacement byte for byte (right for YAML folding, wrong
/// for an expansion), so an equal-length expansion is recorded as two
/// unequal pieces: all but its last two bytes onto all but the last raw
/// byte, and its last two bytes onto the last raw byte.
fn expansion(builder: &mut OffsetMapBuilder, raw_len: usize, decoded_len: usize) {
    if raw_len == decoded_len && raw_len >= 2 {
        builder.escape(raw_len - 1, decoded_len - 2);
        builder.escape(1, 2);
    } else {
        builder.escape(raw_len, decoded_len);
    }
}

/// How many of the 2-byte escapes at raw offsets `escapes` (ascending, in
/// text whose raw bytes start at `base`) decode before decoded offset `d`.
/// Escape `k` decodes at `escapes[k] - base - k`, which increases with `k`,
/// so this is a binary search.
pub(in crate::source) fn escapes_before(escapes: &[usize], base: usize, d: usize) -> usize {
    let (mut lo, mut hi) = (0, escapes.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if escapes[mid] - base - mid < d {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The lines of a text: `(file offset of the line, line without its `\n`
/// or `\r\n`)`.
fn lines_with_offsets(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos >= text.len() {
            return None;
        }
        let start = pos;
        let rest = &text[start..];
        let (line, advance) = match rest.find('\n') {
            Some(i) => (&rest[..i], i + 1),
            None => (rest, rest.len()),
        };
        pos += advance;
        Some((start, line.strip_suffix('\r').unwrap_or(line)))
    })
}

/// True when a regex fragment can stand alone rather than being glue for
/// the text around it: its groups and classes balance (see [`balanced`])
/// and it does not start with a quantifier (`*`, `+`, `?`, `{n,m}`) or `|`.
fn self_contained(fragment: &str) -> bool {
    let b = fragment.as_bytes();
    let counted_repeat = || {
        let inner = fragment[1..].split_once('}').map_or("", |(i, _)| i);
        let (min, max) = inner.split_once(',').unwrap_or((inner, "0"));
        !min.is_empty() && min.bytes().all(|c| c.is_ascii_digit()) && max.bytes().all(|c| c.is_ascii_digit())
    };
    match b.first() {
        Some(b'*' | b'+' | b'?' | b'|') => false,
        Some(b'{') if counted_repeat() => false,
        _ => balanced(fragment),
    }
}

/// True when a regex fragment's groups and classes balance: no `(` left
/// open, no stray `)`, no `[` left open. Escapes are skipped; inside a
/// class, a leading `]` (or `^]`) and POSIX `[:name:]` are literal parts.
fn balanced(fragment: &str) -> bool {
    let b = fragment.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'(' => {
                depth += 1;
                i += 1;
            }
            b')' => {
                if depth == 0 {
                    return false;
                }
                depth -= 1;
                i += 1;
            }
            b'[' => {
                i += 1;
                if i < b.len() && b[i] == b'^' {
                    i += 1;
                }
                if i < b.len() && b[i] == b']' {
                    i += 1;
                }
                loop {
                    if i >= b.len() {
                        return false;
                    }
                    match b[i] {
                        b'\\' => i += 2,
                        b'[' if b.get(i + 1) == Some(&b':') => match fragment[i + 2..].find(":]") {
                            Some(k) => i += k + 4,
                            None => i += 1,
                        },
                        b']' => {
                            i += 1;
                            break;
                        }
                        _ => i += 1,
                    }
                }
            }
            _ => i += 1,
        }
    }
    depth == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::PatternSpan;

    #[test]
    fn decoded_offsets_through_escapes() {
        // File: x"a\"b"  -> decoded a"b, raw start 2, escape at 3.
        let d = Decoded { text: "a\"b".to_owned(), raw_start: 2, escapes: vec![3] };
        let m = d.offsets(0, 3);
        assert_eq!(m.raw_span().range(), 2..6);
        assert_eq!(m.to_file_span(PatternSpan::new(1, 2)).range(), 3..5);
        assert_eq!(m.to_file(2), 5);
        let tail = d.offsets(2, 3);
        assert_eq!(tail.raw_span().range(), 5..6);
        let mid = d.offsets(1, 3);
        assert_eq!(mid.raw_span().range(), 3..6);
    }

    #[test]
    fn equal_length_expansions_stay_coarse() {
        let mut b = OffsetMapBuilder::new(10);
        b.verbatim(1);
        expansion(&mut b, 6, 6);
        b.verbatim(1);
        let m = b.finish();
        assert!(!m.is_verbatim());
        assert_eq!(m.raw_span().range(), 10..18);
        assert_eq!(m.to_file_span(PatternSpan::new(1, 7)).range(), 11..17);
        assert_eq!(m.to_file_span(PatternSpan::new(2, 3)).range(), 11..16);
        assert_eq!(m.to_file_span(PatternSpan::new(6, 7)).range(), 16..17);
        assert_eq!(m.to_file(7), 17);
    }

    #[test]
    fn escapes_before_counts_decoded_positions() {
        // raw: a \" b \" c  (base 0): escapes at 1 and 4; decoded a"b"c.
        let e = [1, 4];
        assert_eq!(escapes_before(&e, 0, 0), 0);
        assert_eq!(escapes_before(&e, 0, 1), 0);
        assert_eq!(escapes_before(&e, 0, 2), 1);
        assert_eq!(escapes_before(&e, 0, 3), 1);
        assert_eq!(escapes_before(&e, 0, 4), 2);
    }

    #[test]
    fn balance() {
        assert!(balanced(r"(?:a|b)\)"));
        assert!(balanced(r"[)(]x"));
        assert!(balanced(r"[]a][^]b][[:alpha:]]"));
        assert!(!balanced("(?:\"?"));
        assert!(!balanced(")*"));
        assert!(!balanced("[abc"));
        assert!(!balanced("{8})"));
        assert!(balanced(r"\s*?\(\s*?space\s*?\("));
        for glue in ["*", "*$", "+\\d+", "?[\"^]*", "{2,3}", "{2}", "|(?:a)", "(?:"] {
            assert!(!self_contained(glue), "{glue}");
        }
        for whole in ["{", "a{2}", "\\s*", "[{]"] {
            assert!(self_contained(whole), "{whole}");
        }
    }

    #[test]
    fn line_splitting() {
        let got: Vec<_> = lines_with_offsets("a\r\nbc\n\nd").collect();
        assert_eq!(got, [(0, "a"), (3, "bc"), (6, ""), (7, "d")]);
    }

    #[test]
    fn kinds() {
        assert_eq!(line_kind(Path::new("x/942100.ra"), ""), Some(Kind::CrsRegexAssembly));
        assert_eq!(line_kind(Path::new("parsers.conf"), "[PARSER]\n    Name x\n"), Some(Kind::FluentBit));
        assert_eq!(line_kind(Path::new("a.conf"), "location ~ \\.php$ {\n}\n"), Some(Kind::Nginx));
        assert_eq!(line_kind(Path::new("a.conf"), "[program:x]\ncommand=/bin/true\n"), None);
    }
}
