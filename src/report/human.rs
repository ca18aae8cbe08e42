//! Human output: one miette diagnostic per finding, then a summary line.
//!
//! Each finding becomes a [`miette::Diagnostic`] (code `CL005
//! matches-everything`, severity, the rule's docs URL, labels, help) and is
//! drawn by miette's graphical handler, with the primary label under the
//! exact construct inside the pattern inside the file. The handler is given
//! an *excerpt* of the file rather than the file: only the lines around the
//! labels, and on a very long line (OWASP CRS rules hold 12 KB patterns on
//! one line) only a window around the labels, marked with `…`. Line and
//! column numbers stay those of the real file. Findings without a span, or
//! whose file text is not at hand, show the file name in the message.
//!
//! Output is deterministic for a given width and color choice; tests use
//! [`HumanOptions`] with colors off.

use std::fmt::{self, Write as _};

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents, SourceCode,
    SourceSpan, SpanContents,
};

use super::{Finding, Severity, Sources, Summary};
use crate::analysis::Attack;
use crate::finding::{ChangeKind, Evidence};
use crate::source::{LineIndex, Span};

/// How to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanOptions {
    /// ANSI colors.
    pub color: bool,
    /// Unicode box drawing (`╭─`, `│`) rather than ASCII.
    pub unicode: bool,
    /// Width for wrapping messages and for cutting long lines.
    pub width: usize,
}

impl HumanOptions {
    /// Defaults: Unicode drawing, 100 columns.
    pub fn new(color: bool) -> Self {
        HumanOptions { color, unicode: true, width: 100 }
    }
}

/// Render findings for people, with the default options.
pub fn render(findings: &[Finding], summary: &Summary, sources: &Sources, color: bool) -> String {
    render_with(findings, summary, sources, HumanOptions::new(color))
}

/// Render findings for people.
pub fn render_with(findings: &[Finding], summary: &Summary, sources: &Sources, opts: HumanOptions) -> String {
    let theme = match (opts.unicode, opts.color) {
        (true, true) => GraphicalTheme::unicode(),
        (true, false) => GraphicalTheme::unicode_nocolor(),
        (false, true) => GraphicalTheme::ascii(),
        (false, false) => GraphicalTheme::none(),
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(opts.width)
        .with_links(opts.color)
        .with_urls(opts.color)
        .with_context_lines(1)
        .without_syntax_highlighting()
        .with_word_separator(textwrap::WordSeparator::Custom(words))
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
        .with_break_words(false);
    let mut out = String::new();
    let mut indexes: Vec<(&str, LineIndex)> = Vec::new();
    for f in findings {
        let text = sources.get(&f.file).map(|t| &**t).filter(|t| !t.is_empty());
        let index = text.map(|t| {
            if let Some(pos) = indexes.iter().position(|(p, _)| *p == f.file.as_str()) {
                pos
            } else {
                indexes.push((f.file.as_str(), LineIndex::new(t)));
                indexes.len() - 1
            }
        });
        let diag = FindingDiagnostic::new(f, text.zip(index.map(|i| &indexes[i].1)), opts);
        let mut one = String::new();
        if handler.render_report(&mut one, &diag).is_err() {
            // The excerpt could not be drawn: fall back to one line.
            one = format!(
                "{}:{}:{}: {}[{}]: {}\n",
                escape_controls(&f.file),
                f.line,
                f.column,
                f.severity,
                f.code,
                escape_controls(&f.message)
            );
        }
        out.push_str(&one);
        for note in &f.notes {
            out.push_str(&wrap(&format!("note: {}", escape_controls(note)), opts.width, "  ", "        "));
        }
        if let Some(why) = &f.no_fix {
            out.push_str(&wrap(
                &format!("note: no proven fix: {}", escape_controls(why)),
                opts.width,
                "  ",
                "        ",
            ));
        }
        out.push('\n');
    }
    out.push_str(&summary_line(findings, summary, opts.color));
    out.push('\n');
    out
}

/// `3 files, 41 regexes: 1 error, 2 warnings`.
pub fn summary_line(findings: &[Finding], summary: &Summary, color: bool) -> String {
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut head = Vec::new();
    if summary.files > 0 {
        head.push(plural(summary.files, "file", "files"));
    }
    head.push(plural(summary.regexes, "regex", "regexes"));
    if summary.ignored > 0 {
        head.push(format!("{} left out by ignore rules (--no-ignore reads them)", summary.ignored));
    }
    let paint = |s: String, code: &str| if color { format!("\u{1b}[{code}m{s}\u{1b}[0m") } else { s };
    let mut tail = Vec::new();
    for (sev, one, many, code) in [
        (Severity::Error, "error", "errors", "1;31"),
        (Severity::Warning, "warning", "warnings", "1;33"),
        (Severity::Note, "note", "notes", "1;36"),
    ] {
        let n = count(sev);
        if n > 0 {
            tail.push(paint(plural(n, one, many), code));
        }
    }
    if summary.unreadable > 0 {
        let n = summary.unreadable;
        tail.push(paint(format!("{} could not be read", plural(n, "path", "paths")), "1;31"));
    }
    let tail = if tail.is_empty() { paint("no problems found".to_owned(), "1;32") } else { tail.join(", ") };
    format!("{}: {tail}", head.join(", "))
}

/// A finding as a miette diagnostic.
struct FindingDiagnostic<'a> {
    finding: &'a Finding,
    message: String,
    code: String,
    url: Option<String>,
    help: Option<String>,
    excerpt: Option<Excerpt>,
    labels: Vec<LabeledSpan>,
}

impl<'a> FindingDiagnostic<'a> {
    fn new(f: &'a Finding, text: Option<(&str, &LineIndex)>, opts: HumanOptions) -> Self {
        let url = crate::rules::lookup(&f.code).map(crate::rules::RuleMeta::url);
        let mut diag = FindingDiagnostic {
            finding: f,
            message: escape_controls(&f.message),
            code: format!("{} {}", f.code, f.rule),
            url,
            help: help_text(f).map(|h| escape_controls(&h)),
            excerpt: None,
            labels: Vec::new(),
        };
        match (f.span, text) {
            (Some(span), Some((text, index))) if span.end <= text.len() => {
                let mut spans = vec![(span, f.primary_label.as_deref().map(escape_controls), true)];
                spans.extend(f.labels.iter().map(|l| (l.span, Some(escape_controls(&l.message)), false)));
                if let Some((excerpt, mapped)) = Excerpt::build(&f.file, text, index, &spans, opts) {
                    diag.labels = mapped
                        .into_iter()
                        .map(|(s, label, primary)| {
                            if primary {
                                LabeledSpan::new_primary_with_span(label, s)
                            } else {
                                LabeledSpan::new_with_span(label, s)
                            }
                        })
                        .collect();
                    diag.excerpt = Some(excerpt);
                } else {
                    diag.message = format!("{}:{}:{}: {}", escape_controls(&f.file), f.line, f.column, diag.message);
                }
            }
            (Some(_), _) => {
                diag.message = format!("{}:{}:{}: {}", escape_controls(&f.file), f.line, f.column, diag.message);
            }
            (None, _) => diag.message = format!("{}: {}", escape_controls(&f.file), diag.message),
        }
        diag
    }
}

impl fmt::Debug for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FindingDiagnostic").field("code", &self.code).field("message", &self.message).finish()
    }
}

impl fmt::Display for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FindingDiagnostic<'_> {}

impl Diagnostic for FindingDiagnostic<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(&self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Note => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn url<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.url.as_ref().map(|u| Box::new(u) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.excerpt.as_ref().map(|e| e as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() { None } else { Some(Box::new(self.labels.iter().cloned())) }
    }
}

/// The help block: the rule's advice, then the backtracking evidence and
/// what a diff did to the pattern.
fn help_text(f: &Finding) -> Option<String> {
    let mut lines: Vec<String> = Vec::new();
    if let Some(h) = &f.help {
        lines.push(h.clone());
    }
    if let Some(e) = &f.evidence {
        lines.extend(evidence_lines(e));
    }
    if let Some(c) = &f.change {
        lines.push(change_line(c.change, c.before.as_ref()));
    }
    if lines.is_empty() { None } else { Some(lines.join("\n")) }
}

/// Evidence as lines of text: the verdict, the attack, the measured steps.
/// Shared by every text format.
pub(crate) fn evidence_lines(e: &Evidence) -> Vec<String> {
    let mut lines = Vec::new();
    let confirmed =
        if e.confirmed { "confirmed by the step-counting simulator" } else { "not confirmed by the simulator" };
    if let Some(bound) = e.bound {
        lines.push(format!(
            "complexity: {} ({}) within the bounds (up to {bound}), linear beyond them; {confirmed} with the bounds \
             lifted",
            e.complexity.big_o(e.degree),
            e.complexity
        ));
    } else {
        lines.push(format!("complexity: {} ({}), {confirmed}", e.complexity.big_o(e.degree), e.complexity));
    }
    if let Some(a) = &e.attack {
        lines.push(format!("attack: {}", attack_text(a)));
    }
    if !e.steps.is_empty() {
        let points: Vec<String> = e.steps.iter().map(|&(n, s)| format!("n={n}: {} steps", steps_text(s))).collect();
        lines.push(format!("steps: {}", points.join(" → ")));
    }
    lines
}

/// `change: modified (before: O(n²))`.
pub(crate) fn change_line(change: ChangeKind, before: Option<&crate::finding::Before>) -> String {
    match (change, before) {
        (ChangeKind::Added, _) => "change: added in this change".to_owned(),
        (ChangeKind::Modified, Some(b)) => {
            format!("change: modified (before: {})", b.complexity.big_o(b.degree))
        }
        (ChangeKind::Modified, None) => "change: modified".to_owned(),
        (ChangeKind::Improved, Some(b)) => {
            format!("change: improved (before: {})", b.complexity.big_o(b.degree))
        }
        (ChangeKind::Improved, None) => "change: improved".to_owned(),
    }
}

/// `"GET /" + "a" × n + "!"`, every part escaped so that invisible
/// characters show.
pub(crate) fn attack_text(a: &Attack) -> String {
    let mut parts = Vec::new();
    if !a.prefix.is_empty() {
        parts.push(visible(&a.prefix));
    }
    parts.push(format!("{} × n", visible(&a.pump)));
    if !a.suffix.is_empty() {
        parts.push(visible(&a.suffix));
    }
    parts.join(" + ")
}

/// A step count: exact below ten million (`131,071`), then `8.6e9`.
pub(crate) fn steps_text(steps: u64) -> String {
    if steps < 10_000_000 {
        let digits = steps.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    } else {
        format!("{:.1e}", steps as f64)
    }
}

/// A string in double quotes with control, invisible and quoting
/// characters escaped, cut after 60 characters.
pub(crate) fn visible(s: &str) -> String {
    const MAX: usize = 60;
    let mut out = String::from("\"");
    let total = s.chars().count();
    for (i, c) in s.chars().enumerate() {
        if i == MAX {
            let _ = write!(out, "…(+{} chars)", total - MAX);
            break;
        }
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7F => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control()
                || (c.is_whitespace() && c != ' ')
                || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}') =>
            {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `s` with control characters (ESC, BEL, C1 controls, ...) escaped as
/// `\x1b` / `\u{9b}`, so that text from a config file cannot drive the
/// terminal. Line breaks and tabs stay.
pub fn escape_controls(s: &str) -> String {
    if !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            c if (c as u32) < 0x80 && c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Append source text with every control character but the tab replaced
/// by `?` (C0 and DEL) or `¿` (C1): the same number of bytes, so that
/// label offsets into the excerpt stay right, and nothing reaches the
/// terminal that could drive it.
fn push_inert(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\t' => out.push(c),
            c if c.is_control() && c.len_utf8() == 1 => out.push('?'),
            c if c.is_control() => out.push('¿'),
            c => out.push(c),
        }
    }
}

/// Greedy word wrap with an indent for the first and following lines,
/// breaking only where [`words`] does (the same rule as miette's messages
/// and help, configured in [`render_with`]).
fn wrap(text: &str, width: usize, first: &str, rest: &str) -> String {
    let opts = textwrap::Options::new(width)
        .initial_indent(first)
        .subsequent_indent(rest)
        .wrap_algorithm(textwrap::WrapAlgorithm::FirstFit)
        .word_separator(textwrap::WordSeparator::Custom(words))
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .break_words(false);
    let mut out = textwrap::fill(text, opts);
    out.push('\n');
    out
}

/// The words of a line for wrapping: split only at ASCII spaces outside
/// backtick code spans, so that a line break never falls inside
/// `` `{0,64}` `` or a hyphenated word (`polynomial-backtracking`). A
/// backtick without a partner opens no span.
fn words(line: &str) -> Box<dyn Iterator<Item = textwrap::core::Word<'_>> + '_> {
    let ticks: Vec<usize> = line.match_indices('`').map(|(i, _)| i).collect();
    // Paired backticks: [open, close] ranges.
    let spans: Vec<(usize, usize)> = ticks.chunks_exact(2).map(|p| (p[0], p[1])).collect();
    let in_code = move |i: usize| spans.iter().any(|&(a, b)| a < i && i < b);
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b' ' && !in_code(i) {
            let mut end = i;
            while end < bytes.len() && bytes[end] == b' ' {
                end += 1;
            }
            out.push(textwrap::core::Word::from(&line[start..end]));
            start = end;
            i = end;
        } else {
            i += 1;
        }
    }
    if start < line.len() {
        out.push(textwrap::core::Word::from(&line[start..]));
    }
    Box::new(out.into_iter())
}

/// A regex as it is written, for one line of text output: every character
/// as in the file, except control characters (line breaks, tabs, ESC),
/// which are written as the regex escapes that match them (`\n`, `\t`,
/// `\x1b`), so the line stays one line and the terminal is not driven.
pub fn regex_text(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    for c in pattern.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 && c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\x{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// A label placed in an excerpt: span, text, primary or not.
type MappedLabel = (SourceSpan, Option<String>, bool);

/// A few lines of a file, each cut to a window around the labels when it is
/// long, presented to miette with the real file's line and column numbers.
struct Excerpt {
    name: String,
    text: String,
    /// 0-based line number (in the file) of the excerpt's first line.
    first_line: usize,
    /// Per excerpt line: its byte offset in `text`, the number of
    /// characters cut from the start of the real line, and whether a `…`
    /// marks the cut.
    lines: Vec<(usize, usize, bool)>,
}

/// One line of the excerpt while it is being built.
struct ExcerptLine {
    /// Byte range of the real line (without its line break).
    real: Span,
    /// Byte range of the window shown.
    window: Span,
    /// Characters before the window.
    cut_chars: usize,
}

impl Excerpt {
    /// Build the excerpt for `spans` (the primary first) in `text`. Returns
    /// the excerpt and each kept label's span in it. `None` when the
    /// primary span does not fit the text.
    fn build(
        name: &str,
        text: &str,
        index: &LineIndex,
        spans: &[(Span, Option<String>, bool)],
        opts: HumanOptions,
    ) -> Option<(Excerpt, Vec<MappedLabel>)> {
        let max_cols = opts.width.saturating_sub(20).max(40);
        let ellipsis = if opts.unicode { "…" } else { "..." };
        let line_of = |offset: usize| index.line_col(text, offset).0 - 1;
        let (primary, _, _) = spans.first()?;
        if primary.end > text.len() || primary.start > primary.end {
            return None;
        }
        let (p0, p1) = (line_of(primary.start), line_of(primary.end));
        // Keep labels near the primary one; far-away ones would make a
        // tall excerpt.
        let kept: Vec<&(Span, Option<String>, bool)> = spans
            .iter()
            .filter(|(s, _, primary)| {
                *primary || (s.end <= text.len() && line_of(s.start) + 6 >= p0 && line_of(s.end) <= p1 + 6)
            })
            .collect();
        let l0 = kept.iter().map(|(s, _, _)| line_of(s.start)).min().unwrap_or(p0);
        let l1 = kept.iter().map(|(s, _, _)| line_of(s.end)).max().unwrap_or(p1);
        let first = l0.saturating_sub(1);
        let last = (l1 + 1).min(index.line_count().saturating_sub(1));

        let mut built: Vec<ExcerptLine> = Vec::new();
        for line in first..=last {
            let start = index.line_start(line + 1)?;
            let mut end = index.line_start(line + 2).map_or(text.len(), |n| n - 1);
            if text[start..end].ends_with('\r') {
                end -= 1;
            }
            let real = Span::new(start, end);
            let chars = text[start..end].chars().count();
            if chars <= max_cols {
                built.push(ExcerptLine { real, window: real, cut_chars: 0 });
                continue;
            }
            // Focus on the first label (primary first) that touches the
            // line.
            let focus = kept
                .iter()
                .map(|(s, _, _)| s)
                .find(|s| s.start <= end && s.end >= start)
                .map_or(start, |s| s.start.max(start));
            let focus_col = text[start..focus.min(end)].chars().count();
            let win_start = focus_col.saturating_sub(24).min(chars.saturating_sub(max_cols));
            let win_end = (win_start + max_cols).min(chars);
            let byte_at = |col: usize| text[start..end].char_indices().nth(col).map_or(end, |(i, _)| start + i);
            built.push(ExcerptLine {
                real,
                window: Span::new(byte_at(win_start), byte_at(win_end)),
                cut_chars: win_start,
            });
        }

        let mut out = String::new();
        let mut lines = Vec::new();
        // Synthetic offsets of each line's window start, for mapping.
        let mut window_offsets = Vec::new();
        for (i, l) in built.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            let prefixed = l.window.start > l.real.start;
            lines.push((out.len(), l.cut_chars, prefixed));
            if prefixed {
                out.push_str(ellipsis);
            }
            window_offsets.push(out.len());
            push_inert(&mut out, &text[l.window.range()]);
            if l.window.end < l.real.end {
                out.push_str(ellipsis);
            }
        }
        let map = |offset: usize| -> usize {
            let line = line_of(offset);
            if line < first {
                return 0;
            }
            let Some(l) = built.get(line - first) else { return out.len() };
            let clamped = offset.clamp(l.window.start, l.window.end);
            window_offsets[line - first] + (clamped - l.window.start)
        };
        let mut mapped = Vec::new();
        for (s, label, primary) in kept {
            let (a, b) = (map(s.start), map(s.end));
            if !primary && a == b && s.start != s.end {
                // Entirely outside the window of a long line.
                continue;
            }
            mapped.push((SourceSpan::new(a.into(), b.saturating_sub(a)), label.clone(), *primary));
        }
        let excerpt = Excerpt { name: escape_controls(name), text: out, first_line: first, lines };
        Some((excerpt, mapped))
    }

    /// The 0-based column (characters, in the real file) of an offset in
    /// the excerpt.
    fn real_column(&self, offset: usize) -> usize {
        let i = match self.lines.binary_search_by_key(&offset, |&(start, _, _)| start) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let Some(&(start, cut, prefixed)) = self.lines.get(i) else { return 0 };
        let mut end = offset.min(self.text.len());
        while end > start && !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let cols = self.text.get(start..end).map_or(0, |s| s.chars().count());
        if !prefixed {
            return cols;
        }
        let marker = if self.text[start..].starts_with('…') { 1 } else { 3 };
        cut + cols.saturating_sub(marker)
    }
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self.text.as_str().read_span(span, context_lines_before, context_lines_after)?;
        let column = if context_lines_before == 0 { self.real_column(span.offset()) } else { inner.column() };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + self.first_line,
            column,
            inner.line_count(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Label;
    use std::sync::Arc;

    fn finding(text: &str, span: Span) -> Finding {
        let mut f = Finding::new(
            "CL005",
            "matches-everything",
            Severity::Error,
            "rules.yaml",
            text,
            Some(span),
            "the pattern matches every input",
        );
        f.primary_label = Some("here".into());
        f
    }

    fn render_one(f: &Finding, text: &str) -> String {
        let mut sources = Sources::default();
        sources.insert("rules.yaml", Arc::from(text));
        let summary = Summary { files: 1, regexes: 1, findings: 1, elapsed_ms: 0, unreadable: 0, ignored: 0 };
        render_with(std::slice::from_ref(f), &summary, &sources, HumanOptions::new(false))
    }

    #[test]
    fn points_into_the_file() {
        let text = "rules:\n  - id: 1\n    pattern: 'admin|'\n";
        let f = finding(text, Span::new(36, 37));
        let out = render_one(&f, text);
        assert!(out.contains("[rules.yaml:3:20]"), "{out}");
        assert!(out.contains(" 3 │     pattern: 'admin|'"), "{out}");
        assert!(out.contains("CL005 matches-everything"), "{out}");
        assert!(out.ends_with("1 file, 1 regex: 1 error\n"), "{out}");
    }

    #[test]
    fn long_lines_are_windowed_with_true_columns() {
        let mut text = String::from("SecRule ARGS \"@rx ");
        text.push_str(&"x".repeat(5000));
        let at = text.len();
        text.push_str("(a|)");
        text.push_str(&"y".repeat(5000));
        text.push_str("\" \"id:1\"\n");
        let mut f = finding(&text, Span::new(at + 2, at + 3));
        f.labels.push(Label { span: Span::new(at, at + 4), message: "this group".into() });
        let out = render_one(&f, &text);
        assert!(out.contains(&format!("[rules.yaml:1:{}]", at + 3)), "{out}");
        assert!(out.lines().all(|l| l.chars().count() < 120), "{out}");
        assert!(out.contains("…xxxxxxxx"), "{out}");
        assert!(out.contains("this group"), "{out}");
    }

    #[test]
    fn without_text_shows_the_file() {
        let f = Finding::new("CL100", "config-parse-error", Severity::Error, "a.yaml", "", None, "bad");
        let out = render_one(&f, "");
        assert!(out.contains("a.yaml: bad"), "{out}");
    }

    #[test]
    fn control_characters_from_a_config_never_reach_the_terminal() {
        // `SecRule ARGS "@rx (\033]0;PWNED\007X+)+$"` retitled the terminal.
        let text = "SecRule ARGS \"@rx (\u{1b}]0;PWNED\u{7}X+)+$\" \"id:1\"\n";
        let start = text.find('(').expect("pattern");
        let mut f = Finding::new(
            "CL001",
            "exponential-backtracking",
            Severity::Error,
            "rules\u{1b}[31m.conf",
            text,
            Some(Span::new(start, start + 18)),
            "pattern `(\u{1b}]0;PWNED\u{7}X+)+$` backtracks \u{9b}",
        );
        f.notes.push("note \u{7}".to_owned());
        f.help = Some("help \u{1b}[2J".to_owned());
        let mut sources = Sources::default();
        sources.insert("rules\u{1b}[31m.conf", std::sync::Arc::from(text));
        let out =
            render_with(&[f], &Summary::default(), &sources, HumanOptions { color: false, unicode: true, width: 100 });
        assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
        assert!(out.contains("\\x1b]0;PWNED\\x07"), "{out}");
        assert!(out.contains("\\u{9b}"), "{out}");
    }

    #[test]
    fn escapes_and_numbers() {
        assert_eq!(visible("a\n\u{200b}\"\\"), "\"a\\n\\u{200b}\\\"\\\\\"");
        assert_eq!(steps_text(131_071), "131,071");
        assert_eq!(steps_text(8_589_934_591), "8.6e9");
        let a = Attack { prefix: String::new(), pump: "a".into(), suffix: "!".into() };
        assert_eq!(attack_text(&a), "\"a\" × n + \"!\"");
        assert_eq!(wrap("aaa bbb ccc", 9, "  ", "    "), "  aaa bbb\n    ccc\n");
    }
}
