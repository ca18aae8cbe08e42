//! Logstash grok pattern files: `NAME regex` per line.
//!
//! Lines are read as Logstash reads a patterns file: a line whose first
//! non-blank character is `#` is a comment; otherwise leading blanks are
//! dropped, the name runs to the first blank, and the pattern is everything
//! after the blanks that follow it (trailing blanks included, the line
//! break not). A line with no pattern is skipped. Later definitions of a
//! name replace earlier ones.
//!
//! References `%{NAME}`, `%{NAME:field}` and `%{NAME:field:type}` are
//! expanded before the pattern is reported, the way Logstash's grok
//! compiles them with `named_captures_only` (its default): `%{NAME}`
//! becomes `(?:…)` and `%{NAME:field}` becomes `(?<field>…)`. Logstash
//! names the group `NAME:field`, which few regex parsers accept, so the
//! group is named after the field alone with characters outside
//! `[A-Za-z0-9_]` replaced by `_` (`[source][ip]` becomes `source_ip`);
//! the name changes nothing about what matches. Expansion is recursive,
//! bounded at [`MAX_DEPTH`] nested references and [`MAX_EXPANDED`] bytes;
//! a reference cycle, or a bound exceeded, is a [`ParseProblem`] at the
//! reference and the pattern is not reported.
//!
//! Names are looked up in the file itself first, then in the other pattern
//! files of the same folder (Logstash loads a whole `patterns_dir`),
//! read with a size cap and in name order, first definition found winning.
//! A reference to a name defined in neither place is left as written, with
//! no problem reported: pattern folders routinely build on Logstash's
//! built-in patterns, which are not in the repository. (`%{NAME}` is a
//! literal in PCRE, so the pattern still parses.)
//!
//! The reported pattern is the expanded regex. Its offset map takes the
//! line's own text byte for byte and maps everything a top-level reference
//! expanded to onto that reference's `%{…}` text. Logstash compiles with
//! `Regexp::MULTILINE` (dot matches newline) and Ruby's `^`/`$` always
//! match at line breaks, so every pattern carries [`Flags::dot_all`] and
//! [`Flags::multi_line`]. The key is the pattern's name.

use std::collections::HashMap;
use std::path::Path;

use super::{expansion, lines_with_offsets, make_pattern};
use crate::source::{Extraction, Flags, Kind, OffsetMapBuilder, ParseProblem, SourceFile, Span};

/// Deepest chain of nested references expanded.
pub(super) const MAX_DEPTH: usize = 64;
/// Largest expanded pattern, in bytes.
pub(super) const MAX_EXPANDED: usize = 1 << 20;
/// Largest sibling pattern file read, and most sibling files read.
const MAX_SIBLING_SIZE: u64 = 1 << 20;
const MAX_SIBLINGS: usize = 64;

/// Names that make a file a Dockerfile rather than grok patterns.
const DOCKERFILE_WORDS: &[&str] = &[
    "FROM",
    "RUN",
    "CMD",
    "COPY",
    "ADD",
    "ENV",
    "ARG",
    "WORKDIR",
    "ENTRYPOINT",
    "EXPOSE",
    "LABEL",
    "USER",
    "VOLUME",
    "HEALTHCHECK",
    "SHELL",
    "ONBUILD",
    "STOPSIGNAL",
    "MAINTAINER",
];

/// True when the file reads like grok patterns: no extension (or `.grok`),
/// and at least 90% of its non-comment lines are `NAME pattern`. Outside a
/// folder named `patterns` or `grok`, names must also be upper case, there
/// must be two such lines, one pattern must contain a regex character, and
/// the file must not look like a Dockerfile or a Makefile.
pub(in crate::source) fn looks_like_grok(path: &Path, text: &str) -> bool {
    match path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()) {
        None => {}
        Some(e) if e == "grok" => {}
        Some(_) => return false,
    }
    let file_name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    if matches!(file_name.as_str(), "dockerfile" | "containerfile" | "makefile" | "gnumakefile") {
        return false;
    }
    let in_pattern_dir = path.parent().is_some_and(|p| {
        p.components().any(|c| {
            let c = c.as_os_str().to_string_lossy().to_ascii_lowercase();
            c == "patterns" || c == "grok"
        })
    });
    let (mut total, mut good, mut upper, mut docker, mut regexy) = (0usize, 0usize, 0usize, 0usize, false);
    let mut from = false;
    for line in text.lines() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        total += 1;
        let Some((name, rest)) = split_definition(line) else { continue };
        if rest.is_empty()
            || !name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
            || matches!(rest.split_whitespace().next(), Some("=" | ":=" | "?=" | "+=" | "::=" | ":"))
        {
            continue;
        }
        good += 1;
        if name.bytes().next().is_some_and(|c| c.is_ascii_uppercase())
            && name.bytes().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
        {
            upper += 1;
        }
        if DOCKERFILE_WORDS.contains(&name) {
            docker += 1;
            from |= name == "FROM";
        }
        regexy |= rest.contains("%{") || rest.contains(['[', '(', '\\', '*', '+', '?', '|']);
    }
    if total == 0 {
        return false;
    }
    if in_pattern_dir {
        return good * 10 >= total * 9;
    }
    let dockerfile = from && docker * 2 >= upper;
    upper >= 2 && upper * 10 >= total * 9 && regexy && !dockerfile
}

/// `NAME rest`: the name and the pattern after the blanks that follow it.
fn split_definition(line: &str) -> Option<(&str, &str)> {
    let name_end = line.find(|c: char| c.is_whitespace())?;
    let rest = &line[name_end..];
    let pattern = rest.trim_start();
    Some((&line[..name_end], pattern))
}

/// One definition line.
struct Definition<'a> {
    name: &'a str,
    pattern: &'a str,
    /// File offset of the pattern.
    start: usize,
}

fn definitions(text: &str) -> Vec<Definition<'_>> {
    let mut out = Vec::new();
    for (start, line) in lines_with_offsets(text) {
        let content = line.trim_start();
        if content.starts_with('#') {
            continue;
        }
        let Some((name, pattern)) = split_definition(content) else { continue };
        if pattern.is_empty() {
            continue;
        }
        let offset = start + (line.len() - pattern.len());
        out.push(Definition { name, pattern, start: offset });
    }
    out
}

/// A `%{…}` reference inside a pattern.
struct Reference<'a> {
    /// Byte range of `%{…}` in the pattern.
    range: std::ops::Range<usize>,
    name: &'a str,
    /// The capture field, if any (`%{NAME:field}`).
    field: Option<&'a str>,
    /// `%{NAME=inline}` definitions are not expanded.
    inline_definition: bool,
}

/// The references of a pattern, left to right.
fn references(pattern: &str) -> Vec<Reference<'_>> {
    let b = pattern.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(k) = pattern[i..].find("%{") {
        let start = i + k;
        let name_start = start + 2;
        let mut j = name_start;
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
            j += 1;
        }
        let Some(close) = pattern[j..].find('}').map(|c| j + c) else { break };
        if j == name_start || !matches!(b[j], b'}' | b':' | b'=') || pattern[j..close].contains(['{', '\n']) {
            i = start + 2;
            continue;
        }
        let name = &pattern[name_start..j];
        let (field, inline_definition) = match b[j] {
            b':' => {
                let sub = &pattern[j + 1..close];
                let (sub, def) = match sub.split_once('=') {
                    Some((s, _)) => (s, true),
                    None => (sub, false),
                };
                (sub.split(':').next().filter(|f| !f.is_empty()), def)
            }
            b'=' => (None, true),
            _ => (None, false),
        };
        out.push(Reference { range: start..close + 1, name, field, inline_definition });
        i = close + 1;
    }
    out
}

/// A group name for a grok field: `[source][ip]` -> `source_ip`; other
/// characters outside `[A-Za-z0-9_]` become `_`.
fn group_name(field: &str) -> String {
    let trimmed = field.strip_prefix('[').and_then(|f| f.strip_suffix(']')).map(|f| f.replace("][", "_"));
    let field = trimmed.as_deref().unwrap_or(field);
    let mut name: String = field.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if name.bytes().next().is_none_or(|c| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    name
}

/// Why a reference could not be expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ExpandError {
    /// The names on the cycle, first repeated last.
    Cycle(Vec<String>),
    TooDeep,
    TooLarge,
}

impl ExpandError {
    fn message(&self, reference: &str) -> String {
        match self {
            ExpandError::Cycle(names) => {
                format!("grok reference {reference} never ends: {}", names.join(" -> "))
            }
            ExpandError::TooDeep => {
                format!("grok reference {reference} nests more than {MAX_DEPTH} levels of patterns")
            }
            ExpandError::TooLarge => format!("grok reference {reference} expands to more than {MAX_EXPANDED} bytes"),
        }
    }
}

/// Looks names up and expands them, with a memo.
struct Expander<'a> {
    own: HashMap<&'a str, &'a str>,
    siblings: Vec<HashMap<String, String>>,
    memo: HashMap<String, Result<String, ExpandError>>,
    stack: Vec<String>,
}

impl Expander<'_> {
    fn lookup(&self, name: &str) -> Option<String> {
        if let Some(p) = self.own.get(name) {
            return Some((*p).to_owned());
        }
        self.siblings.iter().find_map(|s| s.get(name).cloned())
    }

    /// The wrapped expansion of a reference; `None` when the name is
    /// unknown (or an inline definition) and the text stays as written.
    fn reference(&mut self, r: &Reference<'_>) -> Option<Result<String, ExpandError>> {
        if r.inline_definition {
            return None;
        }
        let body = self.lookup(r.name)?;
        let expanded = match self.expand_name(r.name, &body) {
            Ok(e) => e,
            Err(e) => return Some(Err(e)),
        };
        let wrapped = match r.field {
            Some(f) => format!("(?<{}>{expanded})", group_name(f)),
            None => format!("(?:{expanded})"),
        };
        Some(Ok(wrapped))
    }

    fn expand_name(&mut self, name: &str, body: &str) -> Result<String, ExpandError> {
        if let Some(pos) = self.stack.iter().position(|n| n == name) {
            let mut cycle = self.stack[pos..].to_vec();
            cycle.push(name.to_owned());
            return Err(ExpandError::Cycle(cycle));
        }
        if let Some(done) = self.memo.get(name) {
            return done.clone();
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(ExpandError::TooDeep);
        }
        self.stack.push(name.to_owned());
        let result = self.expand_text(body);
        self.stack.pop();
        if !matches!(result, Err(ExpandError::TooDeep)) {
            self.memo.insert(name.to_owned(), result.clone());
        }
        result
    }

    fn expand_text(&mut self, text: &str) -> Result<String, ExpandError> {
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for r in references(text) {
            out.push_str(&text[last..r.range.start]);
            match self.reference(&r) {
                Some(Ok(e)) => out.push_str(&e),
                Some(Err(e)) => return Err(e),
                None => out.push_str(&text[r.range.clone()]),
            }
            last = r.range.end;
            if out.len() > MAX_EXPANDED {
                return Err(ExpandError::TooLarge);
            }
        }
        out.push_str(&text[last..]);
        if out.len() > MAX_EXPANDED {
            return Err(ExpandError::TooLarge);
        }
        Ok(out)
    }
}

/// Definitions of the other pattern files in the folder, in name order.
fn sibling_definitions(path: &Path) -> Vec<HashMap<String, String>> {
    let Some(dir) = path.parent() else { return Vec::new() };
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let own_name = path.file_name();
    let mut files: Vec<_> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .filter(|p| p.file_name() != own_name && p.extension().is_none_or(|e| e == "grok"))
        .collect();
    files.sort();
    files
        .into_iter()
        .take(MAX_SIBLINGS * 4)
        .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() <= MAX_SIBLING_SIZE))
        .filter_map(|p| {
            let text = std::fs::read_to_string(&p).ok()?;
            looks_like_grok(&p, &text)
                .then(|| definitions(&text).into_iter().map(|d| (d.name.to_owned(), d.pattern.to_owned())).collect())
        })
        .take(MAX_SIBLINGS)
        .collect()
}

/// Extract the expanded pattern of every definition in a grok file.
pub(in crate::source) fn extract(file: &SourceFile) -> Extraction {
    let mut out = Extraction { kind: Some(Kind::Grok), ..Extraction::default() };
    let defs = definitions(&file.text);
    let own: HashMap<&str, &str> = defs.iter().map(|d| (d.name, d.pattern)).collect();
    let mut expander =
        Expander { own, siblings: sibling_definitions(&file.path), memo: HashMap::new(), stack: Vec::new() };
    let flags = Flags { dot_all: true, multi_line: true, ..Flags::default() };
    'defs: for def in &defs {
        let mut builder = OffsetMapBuilder::new(def.start);
        let mut pattern = String::with_capacity(def.pattern.len());
        let mut last = 0;
        expander.stack.push(def.name.to_owned());
        for r in references(def.pattern) {
            pattern.push_str(&def.pattern[last..r.range.start]);
            builder.verbatim(r.range.start - last);
            match expander.reference(&r) {
                Some(Ok(e)) => {
                    expansion(&mut builder, r.range.len(), e.len());
                    pattern.push_str(&e);
                }
                Some(Err(e)) => {
                    out.problems.push(ParseProblem {
                        message: e.message(&def.pattern[r.range.clone()]),
                        span: Span::new(def.start + r.range.start, def.start + r.range.end),
                    });
                    expander.stack.pop();
                    continue 'defs;
                }
                None => {
                    builder.verbatim(r.range.len());
                    pattern.push_str(&def.pattern[r.range.clone()]);
                }
            }
            last = r.range.end;
            if pattern.len() > MAX_EXPANDED {
                out.problems.push(ParseProblem {
                    message: format!("grok pattern {} expands to more than {MAX_EXPANDED} bytes", def.name),
                    span: Span::new(def.start, def.start + def.pattern.len()),
                });
                expander.stack.pop();
                continue 'defs;
            }
        }
        expander.stack.pop();
        pattern.push_str(&def.pattern[last..]);
        builder.verbatim(def.pattern.len() - last);
        out.patterns.push(make_pattern(pattern, builder.finish(), def.name.to_owned(), Kind::Grok, flags, None));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;
    use crate::source::PatternSpan;

    fn run(text: &str) -> Extraction {
        extract(&SourceFile::new("no/such/dir/patterns/mine", text))
    }

    #[test]
    fn expands_references_with_groups() {
        let text = concat!(
            "# comment %{NOPE}\n",
            "INT (?:[+-]?(?:[0-9]+))\n",
            "WORD \\b\\w+\\b\n",
            "PAIR %{WORD:key}=%{INT:[v][n]:int} %{WORD} %{UNKNOWN}\n",
            "  INDENTED  x  \n",
            "NOPATTERN\n",
        );
        let ex = run(text);
        assert!(ex.problems.is_empty(), "{:?}", ex.problems);
        let got: Vec<_> = ex.patterns.iter().map(|p| (p.key.as_str(), p.pattern.as_str())).collect();
        assert_eq!(
            got,
            [
                ("INT", "(?:[+-]?(?:[0-9]+))"),
                ("WORD", r"\b\w+\b"),
                ("PAIR", r"(?<key>\b\w+\b)=(?<v_n>(?:[+-]?(?:[0-9]+))) (?:\b\w+\b) %{UNKNOWN}"),
                ("INDENTED", "x  "),
            ]
        );
        let pair = &ex.patterns[2];
        assert!(pair.flags.dot_all && pair.flags.multi_line);
        // The '=' between the references is the file's own byte.
        let eq = pair.pattern.find(")=").expect("=") + 1;
        let raw = |d: usize| &text[pair.offsets.to_file_span(PatternSpan::new(d, d + 1)).range()];
        assert_eq!(raw(eq), "=");
        // Bytes of an expansion map to the whole reference.
        assert_eq!(raw(3), "%{WORD:key}");
        assert_eq!(raw(pair.pattern.len() - 1), "}");
        assert_eq!(&text[pair.span.range()], "%{WORD:key}=%{INT:[v][n]:int} %{WORD} %{UNKNOWN}");
    }

    #[test]
    fn cycles_are_problems_not_hangs() {
        let text = "A x%{B}\nB %{C}\nC %{A}y\nSELF %{SELF}\nOK ok\n";
        let ex = run(text);
        let names: Vec<_> = ex.patterns.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(names, ["OK"]);
        assert_eq!(ex.problems.len(), 4);
        assert!(ex.problems[0].message.contains("A -> B -> C -> A"), "{}", ex.problems[0].message);
        assert_eq!(&text[ex.problems[0].span.range()], "%{B}");
        assert!(ex.problems[3].message.contains("SELF -> SELF"));
    }

    #[test]
    fn exponential_expansion_is_capped() {
        let mut text = String::from("P0 aaaaaaaaaaaaaaaa\n");
        for i in 1..40 {
            let _ = writeln!(text, "P{i} %{{P{}}}%{{P{}}}", i - 1, i - 1);
        }
        let ex = run(&text);
        assert!(ex.problems.iter().any(|p| p.message.contains("bytes")));
        assert!(ex.patterns.iter().all(|p| p.pattern.len() <= MAX_EXPANDED));
    }

    #[test]
    fn deep_chains_are_capped() {
        let mut text = String::new();
        for i in 0..200 {
            let _ = writeln!(text, "D{i} %{{D{}}}", i + 1);
        }
        text.push_str("D200 end\n");
        let ex = run(&text);
        assert!(ex.problems.iter().any(|p| p.message.contains("levels")));
        assert!(ex.patterns.iter().any(|p| p.key == "D200"));
    }

    #[test]
    fn reference_parsing() {
        let refs = references("%{A}%{ B}%{C:f:int}%{D=x}%%{E}%{F");
        let got: Vec<_> = refs.iter().map(|r| (r.name, r.field, r.inline_definition)).collect();
        assert_eq!(got, [("A", None, false), ("C", Some("f"), false), ("D", None, true), ("E", None, false)]);
        assert_eq!(group_name("[a][b-c]"), "a_b_c");
        assert_eq!(group_name("1x"), "_1x");
    }

    #[test]
    fn detection() {
        let grok = "USERNAME [a-zA-Z0-9._-]+\nUSER %{USERNAME}\n";
        assert!(looks_like_grok(Path::new("x/grok-patterns"), grok));
        assert!(looks_like_grok(Path::new("patterns/custom"), "foo \\d+\n"));
        assert!(!looks_like_grok(Path::new("x/notes.txt"), grok));
        assert!(!looks_like_grok(Path::new("Dockerfile"), "FROM x\nRUN a && b\n"));
        assert!(!looks_like_grok(Path::new("build/app"), "FROM alpine\nRUN apk add x\nCOPY [a] b\n"));
        assert!(!looks_like_grok(Path::new("x/Makefile2"), "CC = gcc\nCFLAGS += -O2\n"));
        assert!(!looks_like_grok(Path::new("LICENSE"), "MIT License\n\nCopyright (c) 2024 someone\n"));
        assert!(!looks_like_grok(Path::new("x/one"), "ONLY [a]\n"));
    }
}
