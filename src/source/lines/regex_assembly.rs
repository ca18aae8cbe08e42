//! OWASP CRS regex-assembly sources (`regex-assembly/*.ra`), the input of
//! `crs-toolchain regex generate`.
//!
//! **What one pattern is.** The toolchain treats every regular line as one
//! regex: it parses each line on its own (with Go's `regexp/syntax`) and
//! joins the lines of a block into an alternation. So each regular line is
//! reported as its own pattern, keyed `alt[k]` (`k` counts the file's
//! regular lines from 0, whether reported or not) — the granularity a
//! finding can point at and a rule author edits. The assembled regex itself
//! is reported from the generated `SecRule` in the rule file. One exception
//! follows the toolchain: inside an `assemble` block, a segment closed by
//! `##!=>` (or `##!=<`) that holds a single line is glued into the result
//! verbatim, unparsed, and may be a fragment such as `(?:"?`; such a line
//! is reported only when its groups and classes balance.
//!
//! **Lines** (indentation removed, as the toolchain does; trailing blanks
//! are kept): blank lines and `##!` comments are skipped; `##!+ is` sets
//! flags for the whole file (`i` → case-insensitive, `s` → dot-all; every
//! fragment is dot-all anyway, as ModSecurity compiles `@rx` with
//! `PCRE_DOTALL`);
//! `##!^ X` and `##!$ X` add a prefix / suffix fragment (reported as
//! `prefix[k]` / `suffix[k]` when they can stand alone); `##!> define NAME VALUE`
//! defines `{{NAME}}` for the whole file (the first definition wins, as the
//! toolchain's merge does; definitions may use other definitions);
//! `##!> assemble` and `##!> cmdline unix|windows` open a block closed by
//! `##!<`; `##!> include NAME` and `##!> include-except NAME EXCL…` paste
//! another file's lines — that file is reported on its own, so includes are
//! not expanded here (nor are the suffix replacements after `--`).
//! A line starting with a single `#` is a regular line, as it is for the
//! toolchain.
//!
//! **Definitions.** `{{NAME}}` is replaced by the definition's value; the
//! offset map maps the whole expansion onto the `{{NAME}}` text. An
//! undefined name is a [`ParseProblem`] (the toolchain warns), except in
//! files under `include/`, which may rely on the including file's
//! definitions.
//!
//! **Command words.** In a `cmdline` block each line is a command word: a
//! trailing unescaped `@` or `~` (on a line of two or more bytes) is a
//! marker telling the toolchain which suffix to append, so it is not part
//! of the regex and is dropped; a trailing `\@` / `\~` decodes to the
//! character; a leading `'` means "copy the rest verbatim" and is dropped.
//! The anti-evasion patterns the toolchain inserts between characters are
//! not added (they live in `toolchain.yaml`; the generated rule carries
//! them). Files under `include/` are mostly word lists included inside
//! `cmdline` blocks, so there a trailing marker is dropped too when the rest
//! of the line is a plain word (letters, digits, `_`, `-`, `/` or
//! backslash escapes); a line such as `exec\s*?\(\s*?@` keeps its `@`.
//!
//! Files under `exclude/` are lists of lines to remove from an include, not
//! regexes that ever run; they yield no patterns.
//!
//! **As the assembled rule runs it.** ModSecurity searches the assembled
//! regex `PREFIX(?:alt[0]|alt[1]|…)SUFFIX`, so a fragment is analyzed
//! under search semantics, with the file's `##!+` flags, and wrapped in the
//! prefixes and suffixes the file adds at its top level (outside any
//! block): `alt[k]` is reported as `PREFIX(?:fragment)SUFFIX`, the regex
//! that matches what the assembled rule matches through that branch. The
//! wrapper's bytes map onto the fragment's first and last byte in the file.
//! A fragment is reported bare (still searched) when the wrapped text would
//! not balance, inside `cmdline` blocks (the toolchain appends its own
//! per-word suffixes there), and in `include/` files (the including file's
//! prefix and suffix apply, which this file does not know).
//!
//! Flavor: `pcre`. The toolchain keeps CRS regexes inside the RE2 syntax
//! (so Coraza can run them), but the generated rules also run on
//! ModSecurity's backtracking PCRE, where a ReDoS hazard is real; RE2's
//! syntax reads the same in PCRE.
//!
//! The rule id comes from the file name (`942100.ra`, `932205-chain1.ra`).

use std::collections::HashMap;
use std::path::Path;

use super::{expansion, lines_with_offsets, make_pattern, self_contained};
use crate::source::{Extraction, Kind, OffsetMapBuilder, ParseProblem, SourceFile, Span};

/// Deepest nesting of definitions inside definitions.
const MAX_DEFINITION_DEPTH: usize = 16;
/// Largest expanded line, in bytes.
const MAX_EXPANDED: usize = 1 << 20;
/// Deepest block nesting.
const MAX_BLOCK_DEPTH: usize = 64;

/// What a line is.
enum Line<'a> {
    Blank,
    Comment,
    Flags(&'a str),
    Prefix(&'a str),
    Suffix(&'a str),
    Define,
    Open { cmdline: bool, arg: &'a str },
    Include,
    Close,
    SegmentEnd,
    OtherDirective,
    Regular,
}

fn classify(line: &str) -> Line<'_> {
    if line.trim().is_empty() {
        return Line::Blank;
    }
    let Some(rest) = line.strip_prefix("##!") else { return Line::Regular };
    match rest.as_bytes().first() {
        Some(b'+') => Line::Flags(rest[1..].trim()),
        Some(b'^') => Line::Prefix(rest[1..].trim()),
        Some(b'$') => Line::Suffix(rest[1..].trim()),
        Some(b'<') => Line::Close,
        Some(b'=') if rest.starts_with("=>") || rest.starts_with("=<") => Line::SegmentEnd,
        Some(b'>') => {
            let body = rest[1..].trim();
            let (word, arg) = body.split_once(char::is_whitespace).unwrap_or((body, ""));
            match word {
                "assemble" => Line::Open { cmdline: false, arg: arg.trim() },
                "cmdline" => Line::Open { cmdline: true, arg: arg.trim() },
                "define" => Line::Define,
                "include" | "include-except" => Line::Include,
                _ => Line::OtherDirective,
            }
        }
        _ => Line::Comment,
    }
}

/// `##!> define NAME VALUE`: name and value with the value's file offset.
fn definition(line: &str) -> Option<(&str, &str)> {
    let body = line.strip_prefix("##!>")?.trim_start().strip_prefix("define")?;
    let mut parts = body.split_whitespace();
    let (name, value) = (parts.next()?, parts.next()?);
    if parts.next().is_some() || !name.bytes().all(is_name_byte) {
        return None;
    }
    Some((name, value))
}

fn is_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'_'
}

/// `{{name}}` references: (byte range, name).
fn references(text: &str) -> Vec<(std::ops::Range<usize>, &str)> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(k) = text[i..].find("{{") {
        let start = i + k;
        let name_end = start + 2 + text[start + 2..].bytes().take_while(|&c| is_name_byte(c)).count();
        if name_end > start + 2 && text[name_end..].starts_with("}}") {
            out.push((start..name_end + 2, &text[start + 2..name_end]));
            i = name_end + 2;
        } else {
            i = start + 1;
        }
    }
    out
}

/// Definitions, expanded on demand.
struct Definitions<'a> {
    raw: HashMap<&'a str, &'a str>,
}

impl Definitions<'_> {
    /// The fully expanded value of `name`; `Ok(None)` when undefined.
    fn expand(&self, name: &str, stack: &mut Vec<String>) -> Result<Option<String>, String> {
        let Some(value) = self.raw.get(name) else { return Ok(None) };
        if stack.iter().any(|n| n == name) {
            return Err(format!("definition {{{{{name}}}}} refers to itself: {} -> {name}", stack.join(" -> ")));
        }
        if stack.len() >= MAX_DEFINITION_DEPTH {
            return Err(format!("definitions nest more than {MAX_DEFINITION_DEPTH} levels at {{{{{name}}}}}"));
        }
        stack.push(name.to_owned());
        let mut out = String::new();
        let mut last = 0;
        for (range, inner) in references(value) {
            out.push_str(&value[last..range.start]);
            match self.expand(inner, stack)? {
                Some(e) => out.push_str(&e),
                None => out.push_str(&value[range.clone()]),
            }
            last = range.end;
            if out.len() > MAX_EXPANDED {
                stack.pop();
                return Err(format!("definition {{{{{name}}}}} expands to more than {MAX_EXPANDED} bytes"));
            }
        }
        out.push_str(&value[last..]);
        stack.pop();
        Ok(Some(out))
    }
}

/// A regular line waiting for its segment to close.
struct Candidate {
    pattern: String,
    offsets: crate::source::OffsetMap,
    key: String,
    /// False once known to be unreportable glue.
    emit: bool,
    /// The file's top-level prefix and suffix apply to it.
    wrap: bool,
    /// The block it stands in and the index of its segment there.
    at: (usize, usize),
}

/// One open block.
struct Block {
    cmdline: bool,
    /// Candidates of the current segment, and how many items it holds.
    segment: Vec<usize>,
    items: usize,
    /// Where it was opened.
    opened: Span,
    /// Its index in [`Assembly::blocks`].
    id: usize,
}

/// What a segment of a block holds, in order.
#[derive(Debug, Clone)]
enum Item {
    /// A regular line (a candidate).
    Line(usize),
    /// A nested block.
    Block(usize),
    /// Something whose text is not known here (an include).
    Unknown,
}

/// The structure of a block, as the toolchain assembles it: its segments
/// (closed by `##!=>`) are concatenated, the items of a segment are
/// alternatives, and a segment of one item is glued in as it is.
#[derive(Debug, Clone, Default)]
struct Shape {
    segments: Vec<Vec<Item>>,
    /// The block and its segment this block is an item of (`None` for the
    /// file's top level).
    parent: Option<(usize, usize)>,
    /// Its text is not known here: a `cmdline` block (the toolchain adds
    /// per-word suffixes), a named `##!=<`/`##!=>` store, or a prefix or
    /// suffix inside it.
    opaque: bool,
}

/// The branch of the assembled rule a line stands for:
/// `{before}(?:line){after}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branch {
    /// The text before `(?:line)`.
    pub before: String,
    /// The text after it.
    pub after: String,
    /// How many bytes of `before` are the file's top-level prefix.
    pub prefix: usize,
    /// How many bytes of `after` are the file's top-level suffix.
    pub suffix: usize,
}

impl Branch {
    /// The parts of the branch's text whose blow-ups are this line's to
    /// report: the line itself and the file's top-level prefix and suffix
    /// (which no other line reports). A blow-up that comes only from other
    /// lines of its blocks is reported on those lines, whose own branches
    /// hold this one's text too.
    pub fn blamed(&self, line_len: usize) -> [std::ops::Range<usize>; 3] {
        let own = self.before.len() + 3;
        let end = own + line_len + 1 + self.after.len();
        [0..self.prefix, own..own + line_len, end - self.suffix..end]
    }
}

/// A file read as the toolchain assembles it.
struct Assembly {
    out: Extraction,
    /// For each reported line wrapped in the text around it in the
    /// assembled rule: its key, and that text before and after `(?:line)`.
    branches: HashMap<String, Branch>,
    /// The whole assembled regex, when every part of it is known here.
    rule: Option<String>,
}

/// Extract the regular lines of a `.ra` file.
pub(in crate::source) fn extract(file: &SourceFile) -> Extraction {
    assemble(file, &HashMap::new()).out
}

/// For each line of `file` reported as the branch of the assembled rule it
/// stands for: its key (`alt[k]`) and the text before and after
/// `(?:line)` in that branch. A rewrite of the line keeps the rule's
/// answers when the branch, searched, keeps them.
pub fn branches(file: &SourceFile) -> HashMap<String, Branch> {
    assemble(file, &HashMap::new()).branches
}

/// The regex the toolchain assembles from `file`, as far as cfglint models
/// it (definitions expanded, blocks and segments assembled, the top-level
/// prefix and suffix added), or `None` when some part is not known here
/// (includes, `cmdline` blocks, named stores, an `include/` file).
pub fn assembled(file: &SourceFile) -> Option<String> {
    assemble(file, &HashMap::new()).rule
}

/// The patterns `file` would report if the lines keyed in `texts` read as
/// the given (decoded, expanded) text instead, in the same structure: what
/// an edit of those lines is meant to produce.
pub fn extract_with<S: std::hash::BuildHasher>(file: &SourceFile, texts: &HashMap<String, String, S>) -> Extraction {
    assemble(file, texts).out
}

/// Read `file` as the toolchain assembles it; a line whose key is in
/// `texts` reads as that text.
fn assemble<S: std::hash::BuildHasher>(file: &SourceFile, texts: &HashMap<String, String, S>) -> Assembly {
    let mut out = Extraction { kind: Some(Kind::CrsRegexAssembly), ..Extraction::default() };
    let parent = folder(file);
    if parent.as_deref() == Some("exclude") {
        return Assembly { out, branches: HashMap::new(), rule: None };
    }
    let in_include = parent.as_deref() == Some("include");
    let rule_id = rule_id(&file.path);
    let text = file.text.as_str();

    let lines: Vec<(usize, &str)> = lines_with_offsets(text)
        .map(|(start, line)| {
            let content = line.trim_start_matches([' ', '\t']);
            (start + (line.len() - content.len()), content)
        })
        .collect();

    // File-wide settings: definitions (first wins) and flags.
    let mut defs = Definitions { raw: HashMap::new() };
    // The assembled regex becomes a SecRule `@rx` argument, which
    // ModSecurity compiles dot-all.
    let mut flags = super::seclang::RX_FLAGS;
    for &(start, line) in &lines {
        if let Some((name, value)) = definition(line) {
            defs.raw.entry(name).or_insert(value);
        }
        if let Line::Flags(letters) = classify(line) {
            for c in letters.chars() {
                match c {
                    'i' => flags.case_insensitive = true,
                    's' => flags.dot_all = true,
                    c if c.is_whitespace() => {}
                    c => out.problems.push(ParseProblem {
                        message: format!("unsupported regex-assembly flag `{c}` (crs-toolchain accepts `i` and `s`)"),
                        span: Span::new(start, start + line.len()),
                    }),
                }
            }
        }
    }

    let mut candidates: Vec<Candidate> = Vec::new();
    let mut blocks = vec![Block { cmdline: false, segment: Vec::new(), items: 0, opened: Span::empty(0), id: 0 }];
    let mut shapes = vec![Shape { segments: vec![Vec::new()], ..Shape::default() }];
    let (mut alt, mut prefixes, mut suffixes) = (0usize, 0usize, 0usize);
    // The top-level prefix and suffix the assembly adds around the
    // alternation, expanded.
    let (mut wrap_prefix, mut wrap_suffix) = (String::new(), String::new());
    for &(start, line) in &lines {
        let line_span = Span::new(start, start + line.len());
        match classify(line) {
            Line::Blank | Line::Comment | Line::Flags(_) | Line::Define | Line::OtherDirective => {}
            Line::Prefix(fragment) | Line::Suffix(fragment) => {
                let is_prefix = line.as_bytes().get(3) == Some(&b'^');
                let counter = if is_prefix { &mut prefixes } else { &mut suffixes };
                let key = format!("{}[{counter}]", if is_prefix { "prefix" } else { "suffix" });
                *counter += 1;
                let offset = start + offset_in(line, fragment);
                let expanded =
                    expand_line(fragment, offset, 0, fragment.len(), None, &defs, in_include, &mut out.problems)
                        .map(|(text, offsets)| (texts.get(&key).cloned().unwrap_or(text), offsets));
                if blocks.len() > 1 {
                    shapes[blocks.last().expect("a block").id].opaque = true;
                }
                if blocks.len() == 1
                    && let Some((text, _)) = &expanded
                {
                    if is_prefix { wrap_prefix.push_str(text) } else { wrap_suffix.push_str(text) }
                }
                match expanded {
                    Some((pattern, offsets)) if self_contained(&pattern) => {
                        out.patterns.push(make_pattern(
                            pattern,
                            offsets,
                            key,
                            Kind::CrsRegexAssembly,
                            flags,
                            rule_id.clone(),
                        ));
                    }
                    _ => {}
                }
            }
            Line::Open { cmdline, arg } => {
                if cmdline && arg != "unix" && arg != "windows" {
                    out.problems.push(ParseProblem {
                        message: format!("`cmdline` needs `unix` or `windows`, not `{arg}`"),
                        span: line_span,
                    });
                }
                if blocks.len() > MAX_BLOCK_DEPTH {
                    out.problems.push(ParseProblem {
                        message: format!("blocks nested deeper than {MAX_BLOCK_DEPTH} levels; the rest is not read"),
                        span: line_span,
                    });
                    break;
                }
                let parent = blocks.last().expect("root block").id;
                let id = shapes.len();
                let segment = shapes[parent].segments.len() - 1;
                shapes[parent].segments.last_mut().expect("a segment").push(Item::Block(id));
                shapes.push(Shape { segments: vec![Vec::new()], parent: Some((parent, segment)), opaque: cmdline });
                blocks.push(Block { cmdline, segment: Vec::new(), items: 0, opened: line_span, id });
            }
            Line::Close => {
                if blocks.len() == 1 {
                    out.problems.push(ParseProblem {
                        message: "`##!<` closes no open `##!> assemble` or `##!> cmdline` block".to_owned(),
                        span: line_span,
                    });
                } else {
                    blocks.pop();
                    blocks.last_mut().expect("root block").items += 1;
                }
            }
            Line::Include => {
                let block = blocks.last_mut().expect("root block");
                block.items += 1;
                shapes[block.id].segments.last_mut().expect("a segment").push(Item::Unknown);
            }
            Line::SegmentEnd => {
                let block = blocks.last_mut().expect("root block");
                // `##!=< NAME` stores the output and `##!=> NAME` pastes it
                // back: not modelled.
                let shape = &mut shapes[block.id];
                if line.starts_with("##!=<") || !line[5..].trim().is_empty() {
                    shape.opaque = true;
                }
                shape.segments.push(Vec::new());
                if block.items == 1
                    && let [only] = block.segment[..]
                {
                    // Glued in verbatim: report only a self-contained regex.
                    let c = &mut candidates[only];
                    c.emit = self_contained(&c.pattern);
                }
                block.segment.clear();
                block.items = 0;
            }
            Line::Regular => {
                let key = format!("alt[{alt}]");
                alt += 1;
                let cmdline = blocks.last().expect("root block").cmdline;
                let (s, e, escaped_end) = word_bounds(line, cmdline, in_include);
                if let Some((pattern, offsets)) =
                    expand_line(line, start, s, e, escaped_end, &defs, in_include, &mut out.problems)
                {
                    let pattern = texts.get(&key).cloned().unwrap_or(pattern);
                    let block = blocks.last_mut().expect("root block");
                    block.segment.push(candidates.len());
                    block.items += 1;
                    let shape = &mut shapes[block.id];
                    let at = (block.id, shape.segments.len() - 1);
                    shape.segments.last_mut().expect("a segment").push(Item::Line(candidates.len()));
                    candidates.push(Candidate { pattern, offsets, key, emit: true, wrap: !cmdline && !in_include, at });
                } else {
                    let block = blocks.last_mut().expect("root block");
                    shapes[block.id].segments.last_mut().expect("a segment").push(Item::Unknown);
                }
            }
        }
    }
    for block in blocks.iter().skip(1) {
        out.problems.push(ParseProblem { message: "block is never closed with `##!<`".to_owned(), span: block.opened });
    }
    let unclosed = blocks.len() > 1;
    let mut branches = HashMap::new();
    let texts: Vec<&str> = candidates.iter().map(|c| c.pattern.as_str()).collect();
    let rule = (!unclosed && !in_include)
        .then(|| block_text(&shapes, &texts, 0))
        .flatten()
        .map(|body| format!("{wrap_prefix}{body}{wrap_suffix}"));
    let mut contexts = Vec::with_capacity(candidates.len());
    for c in &candidates {
        let around =
            if c.wrap && !unclosed && self_contained(&c.pattern) { context(&shapes, &texts, c.at) } else { None };
        contexts.push(around);
    }
    for (c, around) in candidates.into_iter().zip(contexts) {
        if !c.emit {
            continue;
        }
        let (before, after) = match around {
            Some((before, after)) => (format!("{wrap_prefix}{before}"), format!("{after}{wrap_suffix}")),
            None => (wrap_prefix.clone(), wrap_suffix.clone()),
        };
        let (pattern, offsets) =
            if c.wrap { wrapped(c.pattern, c.offsets, &before, &after) } else { (c.pattern, c.offsets) };
        if c.wrap && pattern.len() > before.len() + after.len() + 4 && (!before.is_empty() || !after.is_empty()) {
            let (prefix, suffix) = (wrap_prefix.len(), wrap_suffix.len());
            branches.insert(c.key.clone(), Branch { before, after, prefix, suffix });
        }
        out.patterns.push(make_pattern(pattern, offsets, c.key, Kind::CrsRegexAssembly, flags, rule_id.clone()));
    }
    out.patterns.sort_by_key(|p| p.span.start);
    Assembly { out, branches, rule }
}

/// The text of the assembled rule around the line at `at` (its block and
/// segment), up to the file's top level: the segments before and after
/// its own, in every enclosing block; `None` when some of it is not known
/// here.
fn context(shapes: &[Shape], texts: &[&str], at: (usize, usize)) -> Option<(String, String)> {
    let (mut before, mut after) = (String::new(), String::new());
    let mut at = Some(at);
    while let Some((block, segment)) = at {
        let shape = &shapes[block];
        if shape.opaque {
            return None;
        }
        let last = shape.segments.len() - 1;
        let mut head = String::new();
        for s in &shape.segments[..segment] {
            head.push_str(&segment_text(shapes, texts, s, false)?);
        }
        let mut tail = String::new();
        for (i, s) in shape.segments.iter().enumerate().skip(segment + 1) {
            tail.push_str(&segment_text(shapes, texts, s, i == last)?);
        }
        before.insert_str(0, &head);
        after.push_str(&tail);
        at = shape.parent;
    }
    Some((before, after))
}

/// What a segment adds to the assembled rule: its one item glued in as it
/// is when a `##!=>` closes it, else its items as an alternation (each
/// parsed on its own by the toolchain, so each must balance).
fn segment_text(shapes: &[Shape], texts: &[&str], items: &[Item], last: bool) -> Option<String> {
    let text = |item: &Item| match item {
        Item::Line(c) => Some(texts[*c].to_owned()),
        Item::Block(b) => block_text(shapes, texts, *b),
        Item::Unknown => None,
    };
    match items {
        [] => Some(String::new()),
        [one] if !last => text(one),
        many => {
            let alts = many.iter().map(text).collect::<Option<Vec<_>>>()?;
            if !alts.iter().all(|a| self_contained(a)) {
                return None;
            }
            Some(if let [one] = &alts[..] { one.clone() } else { format!("(?:{})", alts.join("|")) })
        }
    }
}

/// A block's text in the assembled rule: its segments, concatenated.
fn block_text(shapes: &[Shape], texts: &[&str], block: usize) -> Option<String> {
    let shape = &shapes[block];
    if shape.opaque {
        return None;
    }
    let last = shape.segments.len() - 1;
    shape.segments.iter().enumerate().map(|(i, s)| segment_text(shapes, texts, s, i == last)).collect()
}

/// The keys (`alt[k]`) of the lines the assembled rule searches on their
/// own: ModSecurity's is-match of the assembled regex is the "or" of the
/// search is-match of each of them. That holds for a regular line at the
/// top level of a file outside `include/` (which may be pasted anywhere),
/// when the file adds no top-level prefix or suffix and glues no top-level
/// segment (`##!=>`): the assembly is then `(?:alt[0]|alt[1]|…)`, searched.
/// Lines inside blocks are concatenated with their neighbours or get
/// per-word suffixes, so they are not listed.
pub fn searched_alone(file: &SourceFile) -> Vec<String> {
    let mut out = Vec::new();
    let mut alt = 0usize;
    for (depth, line) in assembly_lines(file) {
        match line {
            Line::Prefix(_) | Line::Suffix(_) | Line::SegmentEnd if depth == 0 => return Vec::new(),
            Line::Regular => {
                if depth == 0 {
                    out.push(format!("alt[{alt}]"));
                }
                alt += 1;
            }
            _ => {}
        }
    }
    out
}

/// The keys (`prefix[k]`) of the `##!^` lines at the top level of a file
/// outside `include/` and `exclude/`, in order: together they start the
/// assembled regex, `PREFIX(?:…)SUFFIX`, which ModSecurity searches.
/// (Prefixes inside a block wrap only that block; an include file's
/// prefix depends on where it is pasted.)
pub fn top_level_prefixes(file: &SourceFile) -> Vec<String> {
    let mut out = Vec::new();
    let mut prefixes = 0usize;
    for (depth, line) in assembly_lines(file) {
        if let Line::Prefix(_) = line {
            if depth == 0 {
                out.push(format!("prefix[{prefixes}]"));
            }
            prefixes += 1;
        }
    }
    out
}

/// The lowercased name of the folder holding `file` (`include`,
/// `exclude`, …).
fn folder(file: &SourceFile) -> Option<String> {
    file.path.parent().and_then(Path::file_name).map(|n| n.to_string_lossy().to_ascii_lowercase())
}

/// Every line of a file the assembled rule is built from as it is, with
/// the number of blocks open before it; nothing for files under
/// `include/` (pasted
/// anywhere) and `exclude/` (never run).
fn assembly_lines(file: &SourceFile) -> Vec<(usize, Line<'_>)> {
    if matches!(folder(file).as_deref(), Some("include" | "exclude")) {
        return Vec::new();
    }
    let mut depth = 0usize;
    let mut out = Vec::new();
    for (_, line) in lines_with_offsets(&file.text) {
        let line = classify(line.trim_start_matches([' ', '\t']));
        let at = depth;
        match line {
            Line::Open { .. } => depth += 1,
            Line::Close => depth = depth.saturating_sub(1),
            _ => {}
        }
        out.push((at, line));
    }
    out
}

/// `prefix(?:fragment)suffix`, the branch of the assembled rule that
/// `fragment` stands for, with the wrapper's bytes mapped onto the
/// fragment's first and last byte; the fragment unchanged when there is
/// nothing to add or the result does not balance (a prefix that opens a
/// group its suffix does not close).
fn wrapped(
    fragment: String,
    offsets: crate::source::OffsetMap,
    prefix: &str,
    suffix: &str,
) -> (String, crate::source::OffsetMap) {
    if prefix.is_empty() && suffix.is_empty() {
        return (fragment, offsets);
    }
    let pattern = format!("{prefix}(?:{fragment}){suffix}");
    if !self_contained(&pattern) {
        return (fragment, offsets);
    }
    // Wrapped pattern -> fragment offsets, then through the fragment's map.
    let mut inner = OffsetMapBuilder::new(0);
    inner.escape(0, prefix.len() + 3);
    inner.verbatim(fragment.len());
    inner.escape(0, suffix.len() + 1);
    let map = offsets.compose(&inner.finish());
    (pattern, map)
}

/// The part of a regular line that is regex: `(start, end, escaped marker
/// at the end)`. In a `cmdline` block (and for plain words in `include/`
/// files) a trailing `@`/`~` marker is dropped and `\@`/`\~` keeps the
/// character; in a `cmdline` block a leading `'` is dropped.
fn word_bounds(line: &str, cmdline: bool, in_include: bool) -> (usize, usize, Option<u8>) {
    let b = line.as_bytes();
    if cmdline && b.first() == Some(&b'\'') {
        return (1, b.len(), None);
    }
    let len = b.len();
    if len < 2 || !matches!(b[len - 1], b'@' | b'~') {
        return (0, len, None);
    }
    let is_word = || {
        let body = &b[..len - 1];
        let mut i = 0;
        while i < body.len() {
            match body[i] {
                b'\\' if i + 1 < body.len() => i += 2,
                c if c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'/') => i += 1,
                _ => return false,
            }
        }
        true
    };
    if !(cmdline || (in_include && is_word())) {
        return (0, len, None);
    }
    let backslashes = b[..len - 1].iter().rev().take_while(|&&c| c == b'\\').count();
    if backslashes % 2 == 1 {
        // `\@` at the end: the toolchain drops the backslash.
        (0, len, Some(b[len - 1]))
    } else {
        (0, len - 1, None)
    }
}

/// Expand `line[s..e]` (file offset of `line` is `offset`): definitions
/// replaced, and when `escaped_end` is set the last two bytes (`\@`)
/// decode to the marker character.
#[allow(clippy::too_many_arguments)]
fn expand_line(
    line: &str,
    offset: usize,
    s: usize,
    e: usize,
    escaped_end: Option<u8>,
    defs: &Definitions<'_>,
    in_include: bool,
    problems: &mut Vec<ParseProblem>,
) -> Option<(String, crate::source::OffsetMap)> {
    let body_end = if escaped_end.is_some() { e - 2 } else { e };
    let body = &line[s..body_end];
    let mut builder = OffsetMapBuilder::new(offset + s);
    let mut pattern = String::with_capacity(body.len());
    let mut last = 0;
    for (range, name) in references(body) {
        pattern.push_str(&body[last..range.start]);
        builder.verbatim(range.start - last);
        let ref_span = Span::new(offset + s + range.start, offset + s + range.end);
        match defs.expand(name, &mut Vec::new()) {
            Ok(Some(value)) => {
                expansion(&mut builder, range.len(), value.len());
                pattern.push_str(&value);
            }
            Ok(None) => {
                if !in_include {
                    problems.push(ParseProblem {
                        message: format!("`{{{{{name}}}}}` is not defined (no `##!> define {name} …` in this file)"),
                        span: ref_span,
                    });
                }
                builder.verbatim(range.len());
                pattern.push_str(&body[range.clone()]);
            }
            Err(message) => {
                problems.push(ParseProblem { message, span: ref_span });
                return None;
            }
        }
        last = range.end;
        if pattern.len() > MAX_EXPANDED {
            problems.push(ParseProblem {
                message: format!("line expands to more than {MAX_EXPANDED} bytes"),
                span: Span::new(offset, offset + line.len()),
            });
            return None;
        }
    }
    pattern.push_str(&body[last..]);
    builder.verbatim(body.len() - last);
    if let Some(c) = escaped_end {
        builder.escape(2, 1);
        pattern.push(c as char);
    }
    Some((pattern, builder.finish()))
}

/// Byte offset of `inner`, a subslice of `outer`, inside `outer`.
fn offset_in(outer: &str, inner: &str) -> usize {
    let offset = (inner.as_ptr() as usize).wrapping_sub(outer.as_ptr() as usize);
    debug_assert!(offset + inner.len() <= outer.len(), "inner is a subslice of outer");
    offset.min(outer.len())
}

/// `942100.ra` and `942100-chain2.ra` belong to rule 942100.
fn rule_id(path: &Path) -> Option<String> {
    let stem = path.file_name()?.to_str()?.strip_suffix(".ra")?;
    let id = stem
        .split_once("-chain")
        .map_or(stem, |(id, n)| if n.bytes().all(|c| c.is_ascii_digit()) && !n.is_empty() { id } else { "" });
    (id.len() == 6 && id.bytes().all(|c| c.is_ascii_digit())).then(|| id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::PatternSpan;

    fn run_at(path: &str, text: &str) -> Extraction {
        extract(&SourceFile::new(path, text))
    }

    fn summary(ex: &Extraction) -> Vec<(&str, &str)> {
        ex.patterns.iter().map(|p| (p.key.as_str(), p.pattern.as_str())).collect()
    }

    #[test]
    fn lines_searched_alone_are_top_level_lines_of_an_unwrapped_file() {
        let f = |path: &str, text: &str| searched_alone(&SourceFile::new(path, text));
        let text = "##! c\na+b\n##!> assemble\n  x\n  ##!=>\n  y\n##!<\nc*d\n";
        assert_eq!(f("regex-assembly/942100.ra", text), ["alt[0]", "alt[3]"]);
        // A top-level prefix or suffix wraps every line; include files may
        // be pasted anywhere.
        assert!(f("regex-assembly/942100.ra", "##!^ \\b\na+b\n").is_empty());
        assert!(f("regex-assembly/942100.ra", "a+b\n##!$ x\n").is_empty());
        assert!(f("regex-assembly/include/words.ra", "a+b\n").is_empty());
    }

    #[test]
    fn top_level_prefixes_start_the_assembled_regex() {
        let f = |path: &str, text: &str| top_level_prefixes(&SourceFile::new(path, text));
        let text = "##!^ a\n##!> assemble\n  ##!^ b\n  x\n##!<\n##!^ c\ny\n";
        assert_eq!(f("regex-assembly/942100.ra", text), ["prefix[0]", "prefix[2]"]);
        assert!(f("regex-assembly/include/words.ra", text).is_empty());
    }

    #[test]
    fn lines_comments_flags_and_rule_id() {
        let text = concat!(
            "##! Please refer to the documentation\n",
            "\n",
            "##!+ i\n",
            "^connect (?:\\d{1,3}\\.){3}\\d{1,3}\n",
            "   ^options \\*\\s+[\\w\\./]+$  \n",
            "# not a comment for the toolchain\n",
        );
        let ex = run_at("regex-assembly/920100.ra", text);
        assert!(ex.problems.is_empty(), "{:?}", ex.problems);
        assert_eq!(
            summary(&ex),
            [
                ("alt[0]", r"^connect (?:\d{1,3}\.){3}\d{1,3}"),
                ("alt[1]", r"^options \*\s+[\w\./]+$  "),
                ("alt[2]", "# not a comment for the toolchain"),
            ]
        );
        for p in &ex.patterns {
            assert!(p.flags.case_insensitive);
            // ModSecurity compiles the assembled `@rx` dot-all.
            assert!(p.flags.dot_all);
            assert_eq!(p.rule_id.as_deref(), Some("920100"));
            assert_eq!(&text[p.span.range()], p.pattern);
        }
    }

    #[test]
    fn definitions_expand_and_map_to_the_reference() {
        let text = concat!(
            "##!> define ticks \\\"'`\n",
            "##!> define ticks-class [{{ticks}}]\n",
            "##!> define ticks OTHER\n",
            "a{{ticks-class}}b\n",
            "{{missing}}\n",
        );
        let ex = run_at("regex-assembly/942200.ra", text);
        assert_eq!(summary(&ex), [("alt[0]", "a[\\\"'`]b"), ("alt[1]", "{{missing}}")]);
        assert_eq!(ex.problems.len(), 1);
        assert!(ex.problems[0].message.contains("missing"));
        let p = &ex.patterns[0];
        let raw = |d: usize| &text[p.offsets.to_file_span(PatternSpan::new(d, d + 1)).range()];
        assert_eq!(raw(0), "a");
        assert_eq!(raw(2), "{{ticks-class}}");
        assert_eq!(raw(p.pattern.len() - 1), "b");
        // In include/ files an undefined name is not a problem.
        let ex = run_at("regex-assembly/include/x.ra", "{{missing}}\n");
        assert!(ex.problems.is_empty());
    }

    #[test]
    fn definition_cycles_are_problems() {
        let text = "##!> define a x{{b}}\n##!> define b {{a}}\n{{a}}\nok\n";
        let ex = run_at("regex-assembly/900000.ra", text);
        assert_eq!(summary(&ex), [("alt[1]", "ok")]);
        assert_eq!(ex.problems.len(), 1);
        assert!(ex.problems[0].message.contains("refers to itself"), "{}", ex.problems[0].message);
    }

    #[test]
    fn single_line_segments_are_glue() {
        let text = concat!(
            "##!> assemble\n",
            "  (?:\"?\n",
            "  ##!=>\n",
            "  a\n",
            "  b\n",
            "  ##!=>\n",
            "  \\s*?\\(\n",
            "  ##!=>\n",
            "  )*\n",
            "##!<\n",
        );
        let ex = run_at("regex-assembly/942000.ra", text);
        assert!(ex.problems.is_empty(), "{:?}", ex.problems);
        // `(?:"?` is an unbalanced glue segment; `)*` is the last segment,
        // which the toolchain parses, so it is reported (and is invalid).
        assert_eq!(summary(&ex), [("alt[1]", "a"), ("alt[2]", "b"), ("alt[3]", r"\s*?\("), ("alt[4]", ")*")]);
    }

    #[test]
    fn block_lines_read_as_their_branch() {
        let text = concat!(
            "##!^ \\b\n",
            "##!> assemble\n",
            "  [\"']\\s*\n",
            "  ##!=>\n",
            "  or\n",
            "  and\n",
            "  ##!=>\n",
            "  \\s+\\d\n",
            "##!<\n",
            "top\n",
        );
        let file = SourceFile::new("regex-assembly/942000.ra", text);
        let ex = extract(&file);
        assert_eq!(
            summary(&ex),
            [
                ("prefix[0]", r"\b"),
                ("alt[0]", r#"\b(?:["']\s*)(?:or|and)\s+\d"#),
                ("alt[1]", r#"\b["']\s*(?:or)\s+\d"#),
                ("alt[2]", r#"\b["']\s*(?:and)\s+\d"#),
                ("alt[3]", r#"\b["']\s*(?:or|and)(?:\s+\d)"#),
                ("alt[4]", r"\b(?:top)"),
            ]
        );
        // Every pattern still points at its own line.
        for p in &ex.patterns {
            assert!(!text[p.span.range()].contains('\n'), "{p:?}");
        }
        let branches = branches(&file);
        let b = &branches["alt[1]"];
        assert_eq!((b.before.as_str(), b.after.as_str(), b.prefix, b.suffix), (r#"\b["']\s*"#, r"\s+\d", 2, 0));
        // The line and the file's prefix are this line's to report; the
        // other segments are their own lines'.
        assert_eq!(b.blamed(2), [0..2, 12..14, 20..20]);
        assert_eq!(assembled(&file).as_deref(), Some(r#"\b(?:["']\s*(?:or|and)\s+\d|top)"#));
    }

    #[test]
    fn blocks_whose_text_is_not_known_leave_their_lines_bare() {
        for (what, block) in [
            ("an include", "  ##!> include words\n"),
            ("a named store", "  x\n  ##!=< name\n"),
            ("a prefix inside", "  ##!^ y\n"),
        ] {
            let text = format!("##!> assemble\n  a\n  ##!=>\n{block}  ##!=>\n  b+c\n##!<\n");
            let file = SourceFile::new("regex-assembly/942000.ra", text.as_str());
            let ex = extract(&file);
            let b = ex.patterns.iter().find(|p| p.pattern.ends_with("b+c")).unwrap_or_else(|| panic!("{what}"));
            assert_eq!(b.pattern, "b+c", "{what}");
            assert!(branches(&file).is_empty(), "{what}");
            assert!(assembled(&file).is_none(), "{what}");
        }
        // A `cmdline` block gets the toolchain's per-word suffixes.
        let file = SourceFile::new("regex-assembly/932000.ra", "##!> cmdline unix\n  ls\n##!<\n");
        assert!(assembled(&file).is_none());
    }

    #[test]
    fn cmdline_words_drop_markers() {
        let text = concat!(
            "##!> cmdline unix\n",
            "  cd@\n",
            "  python~\n",
            "  at\\@\n",
            "  've\\.rbatim@\n",
            "  @\n",
            "##!<\n",
            "x@\n",
        );
        let ex = run_at("regex-assembly/932100.ra", text);
        assert!(ex.problems.is_empty(), "{:?}", ex.problems);
        assert_eq!(
            summary(&ex),
            [
                ("alt[0]", "cd"),
                ("alt[1]", "python"),
                ("alt[2]", "at@"),
                ("alt[3]", r"ve\.rbatim@"),
                ("alt[4]", "@"),
                ("alt[5]", "x@"),
            ]
        );
        let at = &ex.patterns[2];
        assert_eq!(&text[at.offsets.to_file_span(PatternSpan::new(2, 3)).range()], "\\@");
        assert_eq!(&text[ex.patterns[0].span.range()], "cd");
    }

    #[test]
    fn include_word_lists() {
        let text = "ac@\nmysql~\nexec\\s*?\\(\\s*?@\nwin\\.exe@\n";
        let ex = run_at("regex-assembly/include/unix-shell.ra", text);
        assert_eq!(
            summary(&ex),
            [("alt[0]", "ac"), ("alt[1]", "mysql"), ("alt[2]", r"exec\s*?\(\s*?@"), ("alt[3]", r"win\.exe")]
        );
        assert_eq!(ex.patterns[0].rule_id, None);
        let ex = run_at("regex-assembly/exclude/fps.ra", "ac@\n");
        assert!(ex.patterns.is_empty());
        assert_eq!(ex.kind, Some(Kind::CrsRegexAssembly));
    }

    #[test]
    fn prefixes_suffixes_and_block_problems() {
        let text = "##!^ (?s)\\r\\n.*?\\b\n##!^ (\n##!$ {8})\n##!<\n##!> assemble\nx\n##!+ q\n";
        let ex = run_at("regex-assembly/932301.ra", text);
        // `x` is reported as the branch of the assembled rule it stands
        // for: both prefixes, the fragment, the suffix.
        assert_eq!(summary(&ex), [("prefix[0]", r"(?s)\r\n.*?\b"), ("alt[0]", r"(?s)\r\n.*?\b((?:x){8})")]);
        let messages: Vec<_> = ex.problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(messages[0].contains("flag `q`"));
        assert!(messages[1].contains("closes no open"));
        assert!(messages[2].contains("never closed"));
    }

    #[test]
    fn rule_ids() {
        assert_eq!(rule_id(Path::new("a/932205-chain1.ra")).as_deref(), Some("932205"));
        assert_eq!(rule_id(Path::new("942100.ra")).as_deref(), Some("942100"));
        assert_eq!(rule_id(Path::new("include/url-schemes.ra")), None);
        assert_eq!(rule_id(Path::new("942100-chainx.ra")), None);
    }

    /// The assembly model against the real thing: for every CRS rule whose
    /// `.ra` source cfglint can assemble on its own (no includes, no
    /// `cmdline` blocks, no named stores), the assembled regex matches
    /// exactly the inputs the generated `SecRule` in the rule files
    /// matches (search, DFA product). The branch text of each line comes
    /// from the same model.
    #[test]
    #[allow(clippy::print_stderr)] // a skipped test says why, and the counts
    fn assembled_rules_match_the_generated_secrules() {
        use crate::analysis::parse::{ParseConfig, parse};
        use crate::fix::equiv::{Equivalence, equivalent};
        use crate::source::{ExtractOptions, Flavor, Semantics};
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let Some(crs) =
            [root.join("../shared/corpus/configs/owasp-crs"), root.join("../../shared/corpus/configs/owasp-crs")]
                .into_iter()
                .find(|p| p.is_dir())
        else {
            eprintln!("skipped: ../shared/corpus is absent");
            return;
        };
        // Every `@rx` of a rule id (a chained rule has several).
        let mut generated: HashMap<String, Vec<(String, crate::source::Flags)>> = HashMap::new();
        for entry in std::fs::read_dir(crs.join("rules")).expect("rules").flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "conf") {
                continue;
            }
            let file = SourceFile::new(path.clone(), std::fs::read_to_string(&path).expect("reads"));
            for p in crate::source::extract(&file, &ExtractOptions::default()).patterns {
                if let Some(id) = p.rule_id {
                    generated.entry(id).or_default().push((p.pattern, p.flags));
                }
            }
        }
        // The generated 932321 ignores its source's `##!^ (?si)…` prefix
        // flags (it cannot match `CAPa`); cfglint reads the source as
        // written.
        let known = ["932321"];
        let (mut equal, mut unknown, mut differ) = (0, 0, Vec::new());
        let mut files: Vec<_> =
            std::fs::read_dir(crs.join("regex-assembly")).expect("ra").flatten().map(|e| e.path()).collect();
        files.sort();
        for path in files {
            if path.extension().is_none_or(|e| e != "ra") {
                continue;
            }
            let file = SourceFile::new(path.clone(), std::fs::read_to_string(&path).expect("reads"));
            let id = rule_id(&file.path).unwrap_or_default();
            let (Some(ours), Some(theirs)) = (assembled(&file), generated.get(&id)) else { continue };
            let flags = extract(&file).patterns.first().map_or(super::super::seclang::RX_FLAGS, |p| p.flags);
            let Ok(a) = parse(&ours, &ParseConfig::new(Flavor::Pcre).flags(flags)) else {
                unknown += 1;
                continue;
            };
            let answers: Vec<Equivalence> = theirs
                .iter()
                .filter_map(|(text, f)| parse(text, &ParseConfig::new(Flavor::Pcre).flags(*f)).ok())
                .map(|b| equivalent(&a, &b, Flavor::Pcre, Semantics::Search, 200_000))
                .collect();
            if answers.iter().any(|e| matches!(e, Equivalence::Equal { .. })) {
                equal += 1;
            } else if answers.iter().any(|e| matches!(e, Equivalence::Unknown(_))) || answers.is_empty() {
                unknown += 1;
            } else if !known.contains(&id.as_str()) {
                differ.push((id, ours));
            }
        }
        eprintln!("assembled rules: {equal} equal to the generated rule, {unknown} undecided, {} differ", differ.len());
        assert!(differ.is_empty(), "the assembly model differs from the generated rule: {differ:?}");
        assert!(equal >= 60, "only {equal} rules compared equal");
    }
}
