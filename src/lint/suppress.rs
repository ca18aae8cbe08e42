//! Inline suppressions: `# cfglint: allow CL002 reason="…" until=2027-06-30`.
//!
//! Pipeline position: applied by `lint::lint_source` to every file result,
//! after the (cacheable) analysis, because whether a suppression has expired
//! depends on today's date.
//!
//! Syntax, in a comment (`#` in YAML, TOML, SecLang, nginx and the other
//! line formats; `//` in JSONC/JSON5):
//!
//! ```text
//! # cfglint: allow CL002,redundant-wildcard reason="input is capped at 64 bytes" until=2027-06-30
//! ```
//!
//! Rules are named by code or name, separated by commas or spaces. `reason`
//! is required and must not be empty; `until` (a `YYYY-MM-DD` UTC date,
//! inclusive) is optional. A comment on a line of its own covers the next
//! line that is neither blank nor a comment; a comment after code covers its
//! own line. The covered line extends over `\` continuation lines (SecLang,
//! nginx) and over the body of a YAML block scalar (`pattern: |`). A finding
//! is covered when its span starts on the covered lines.
//!
//! Guarantees: a suppression without a reason, with an unknown rule or a
//! malformed date suppresses nothing and is itself a finding
//! (`invalid-suppression`, CL101); an expired one suppresses nothing and is a
//! finding (`expired-suppression`, CL102). Scanning is linear in the file
//! size and never fails.
//!
//! Approximation: comments are found per line without a full parse; a `#`
//! counts as a comment start when it is at the line start or after
//! whitespace, outside double quotes. A string value that itself contains
//! `# cfglint: allow` would be read as a suppression.

use std::fmt;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::finding;
use crate::lint::FileResult;
use crate::rules::{self, RuleSettings};
use crate::source::{self, Format, Span};

/// The marker that starts a suppression inside a comment.
pub const MARKER: &str = "cfglint:";

/// A calendar date (proleptic Gregorian, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year.
    pub year: i32,
    /// Month, 1 to 12.
    pub month: u32,
    /// Day, 1 to 31.
    pub day: u32,
}

impl Date {
    /// Parse `YYYY-MM-DD`, checking that the day exists.
    pub fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let digits = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = s.get(r)?;
            if part.bytes().all(|c| c.is_ascii_digit()) { part.parse().ok() } else { None }
        };
        let year = i32::try_from(digits(0..4)?).ok()?;
        let month = digits(5..7)?;
        let day = digits(8..10)?;
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// The date `days` days after 1970-01-01.
    pub fn from_days_since_epoch(days: i64) -> Date {
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// Today's date in UTC, from the system clock.
    pub fn today_utc() -> Date {
        let secs = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 2),
            Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(0),
        };
        Date::from_days_since_epoch(secs.div_euclid(86_400))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// One well-formed suppression comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// The comment, from its `#` (or `//`) to the end of the line, in file
    /// bytes.
    pub span: Span,
    /// Rule codes covered (`CL002`).
    pub codes: Vec<String>,
    /// Why the findings are acceptable.
    pub reason: String,
    /// Last day the suppression holds (inclusive).
    pub until: Option<Date>,
    /// The bytes of the covered lines: findings starting here are covered.
    pub covers: Span,
}

/// A suppression comment that cannot be honored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The comment, from its `#` (or `//`) to the end of the line.
    pub span: Span,
    /// What is wrong.
    pub message: String,
}

/// Every suppression comment in a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    /// Well-formed suppressions.
    pub suppressions: Vec<Suppression>,
    /// Malformed ones.
    pub invalid: Vec<Invalid>,
}

/// How comments start in a format.
fn comment_leader(format: Option<Format>) -> &'static str {
    match format {
        Some(Format::Json) => "//",
        _ => "#",
    }
}

/// One line of the text: byte range without the line break.
#[derive(Debug, Clone, Copy)]
struct Line {
    start: usize,
    end: usize,
}

fn lines(text: &str) -> Vec<Line> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        if b == b'\n' {
            let end = if i > start && text.as_bytes()[i - 1] == b'\r' { i - 1 } else { i };
            out.push(Line { start, end });
            start = i + 1;
        }
    }
    if start < text.len() {
        out.push(Line { start, end: text.len() });
    }
    out
}

/// Where the comment starts on a line, if the line has one: the first
/// leader at the line start or after whitespace, outside double quotes.
fn comment_start(line: &str, leader: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut in_double = false;
    let mut escaped = false;
    for (i, &b) in bytes.iter().enumerate() {
        if in_double {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_double = false,
                _ => {}
            }
            continue;
        }
        if b == b'"' {
            in_double = true;
        } else if line[i..].starts_with(leader) && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return Some(i);
        }
    }
    None
}

/// True for a line that is blank or only a comment.
fn is_blank_or_comment(line: &str, leader: &str) -> bool {
    let t = line.trim_start();
    t.is_empty() || t.starts_with(leader)
}

/// Scan a file for suppression comments.
pub fn scan(path: &Path, text: &str) -> Scan {
    let mut out = Scan::default();
    if !text.contains(MARKER) {
        return out;
    }
    let format = source::detect_format(path, text);
    let leader = comment_leader(format);
    let lines = lines(text);
    for (n, line) in lines.iter().enumerate() {
        let s = &text[line.start..line.end];
        let Some(c) = comment_start(s, leader) else { continue };
        let body = s[c + leader.len()..].trim_start();
        let Some(rest) = body.strip_prefix(MARKER) else { continue };
        let marker_at = line.start + c;
        let span = Span::new(marker_at, line.end);
        let own_line = s[..c].trim().is_empty();
        let target = if own_line {
            (n + 1..lines.len()).find(|&k| !is_blank_or_comment(&text[lines[k].start..lines[k].end], leader))
        } else {
            Some(n)
        };
        match parse_directive(rest) {
            Err(message) => out.invalid.push(Invalid { span, message }),
            Ok(_) if target.is_none() => {
                out.invalid.push(Invalid {
                    span,
                    message: "suppression comment is not followed by anything it could cover".to_owned(),
                });
            }
            Ok((codes, reason, until)) => {
                let t = target.expect("checked above");
                let last = extend(text, &lines, t, format);
                out.suppressions.push(Suppression {
                    span,
                    codes,
                    reason,
                    until,
                    covers: Span::new(lines[t].start, lines[last].end),
                });
            }
        }
    }
    out
}

/// The last line of the statement starting at line `t`: `\` continuations,
/// and the body of a YAML block scalar.
fn extend(text: &str, lines: &[Line], t: usize, format: Option<Format>) -> usize {
    let line_text = |k: usize| &text[lines[k].start..lines[k].end];
    let mut last = t;
    while line_text(last).trim_end().ends_with('\\') && last + 1 < lines.len() {
        last += 1;
    }
    if format == Some(Format::Yaml) && is_block_scalar_header(line_text(t)) {
        let indent = indentation(line_text(t));
        let mut k = t + 1;
        while k < lines.len() {
            let l = line_text(k);
            if l.trim().is_empty() || indentation(l) > indent {
                if !l.trim().is_empty() {
                    last = k;
                }
                k += 1;
            } else {
                break;
            }
        }
    }
    last
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start_matches([' ', '\t']).len()
}

/// `key: |`, `key: >-`, `- |2` and the like, optionally followed by a
/// comment.
fn is_block_scalar_header(line: &str) -> bool {
    let code = match comment_start(line, "#") {
        Some(c) => &line[..c],
        None => line,
    };
    let Some(last) = code.split_whitespace().last() else { return false };
    let mut chars = last.chars();
    matches!(chars.next(), Some('|' | '>')) && chars.all(|c| matches!(c, '+' | '-' | '1'..='9'))
}

type Directive = (Vec<String>, String, Option<Date>);

/// Parse what follows the marker: `allow RULES key=value...`.
fn parse_directive(rest: &str) -> Result<Directive, String> {
    let rest = rest.trim_start();
    let Some(mut rest) = rest.strip_prefix("allow") else {
        let word = rest.split_whitespace().next().unwrap_or("");
        return Err(format!("unknown cfglint directive `{word}` (expected `cfglint: allow RULE reason=\"...\"`)"));
    };
    if !rest.is_empty() && !rest.starts_with([' ', '\t', ',']) {
        return Err("expected `cfglint: allow RULE reason=\"...\"`".to_owned());
    }
    let mut codes = Vec::new();
    let mut reason: Option<String> = None;
    let mut until: Option<Date> = None;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            break;
        }
        let word_end = rest.find([' ', '\t', ',', '=']).unwrap_or(rest.len());
        let word = &rest[..word_end];
        if rest[word_end..].starts_with('=') {
            let (value, after) =
                parse_value(&rest[word_end + 1..]).ok_or_else(|| format!("unterminated quoted value for `{word}`"))?;
            match word {
                "reason" => reason = Some(value),
                "until" => {
                    until = Some(
                        Date::parse(&value)
                            .ok_or_else(|| format!("`until={value}` is not a valid date (expected YYYY-MM-DD)"))?,
                    );
                }
                other => return Err(format!("unknown suppression option `{other}` (expected reason or until)")),
            }
            rest = after;
        } else {
            if reason.is_some() || until.is_some() {
                return Err(format!("rule `{word}` after the options; list rules right after `allow`"));
            }
            let meta = rules::lookup(word).ok_or_else(|| format!("unknown rule `{word}` in suppression"))?;
            if !codes.contains(&meta.code) {
                codes.push(meta.code.clone());
            }
            rest = &rest[word_end..];
        }
    }
    if codes.is_empty() {
        return Err("suppression names no rule (expected `cfglint: allow CL002 reason=\"...\"`)".to_owned());
    }
    match reason {
        Some(r) if !r.trim().is_empty() => Ok((codes, r, until)),
        _ => Err("suppression needs a reason: add reason=\"why this is acceptable\"".to_owned()),
    }
}

/// A value: `"double quoted"` (with `\"` and `\\`), `'single quoted'`, or a
/// bare word. Returns the value and the rest; `None` for an unterminated
/// quote.
fn parse_value(s: &str) -> Option<(String, &str)> {
    let mut chars = s.char_indices();
    let Some((_, q @ ('"' | '\''))) = chars.next() else {
        let end = s.find([' ', '\t', ',']).unwrap_or(s.len());
        return Some((s[..end].to_owned(), &s[end..]));
    };
    let mut value = String::new();
    let mut escaped = false;
    for (i, c) in chars {
        if escaped {
            value.push(c);
            escaped = false;
        } else if c == '\\' && q == '"' {
            escaped = true;
        } else if c == q {
            return Some((value, &s[i + c.len_utf8()..]));
        } else {
            value.push(c);
        }
    }
    None
}

/// Apply the suppressions of a file to its findings: drop covered findings,
/// and add `invalid-suppression` and `expired-suppression` findings.
pub fn apply(result: &mut FileResult, settings: &RuleSettings, today: Date) {
    if !result.text.contains(MARKER) {
        return;
    }
    let text = std::sync::Arc::clone(&result.text);
    let scan = scan(Path::new(&result.path), &text);
    let kind = result.extraction.kind.as_ref().map(|k| k.as_str().to_owned());
    let mut extra = Vec::new();
    for i in &scan.invalid {
        extra.extend(rules::invalid_suppression::finding(
            &result.path,
            &text,
            i.span,
            &i.message,
            kind.as_deref(),
            settings,
        ));
    }
    let mut active = Vec::new();
    for s in &scan.suppressions {
        match s.until {
            Some(until) if until < today => {
                let until = until.to_string();
                let expired = rules::expired_suppression::Expired { codes: &s.codes, until: &until, reason: &s.reason };
                extra.extend(rules::expired_suppression::finding(
                    &result.path,
                    &text,
                    s.span,
                    expired,
                    kind.as_deref(),
                    settings,
                ));
            }
            _ => active.push(s),
        }
    }
    result.findings.retain(|f| {
        let Some(span) = f.span else { return true };
        !active.iter().any(|s| s.codes.contains(&f.code) && s.covers.start <= span.start && span.start <= s.covers.end)
    });
    result.findings.extend(extra);
    finding::sort(&mut result.findings);
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::finding::{Finding, Severity};
    use crate::source::Extraction;

    fn today() -> Date {
        Date { year: 2026, month: 1, day: 15 }
    }

    #[test]
    fn dates() {
        assert_eq!(Date::parse("2027-06-30"), Some(Date { year: 2027, month: 6, day: 30 }));
        assert_eq!(Date::parse("2024-02-29").map(|d| d.day), Some(29));
        assert_eq!(Date::parse("2023-02-29"), None);
        assert_eq!(Date::parse("2023-13-01"), None);
        assert_eq!(Date::parse("2023-1-01"), None);
        assert_eq!(Date::parse("+023-01-01"), None);
        assert_eq!(Date::from_days_since_epoch(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_days_since_epoch(19_723).to_string(), "2024-01-01");
        assert_eq!(Date::from_days_since_epoch(-1).to_string(), "1969-12-31");
        assert!(Date::today_utc() > Date { year: 2024, month: 1, day: 1 });
    }

    #[test]
    fn parses_codes_names_reason_and_until() {
        let text =
            "# cfglint: allow CL002, redundant-wildcard reason=\"capped at 64 bytes\" until=2027-06-30\npattern: 'x'\n";
        let scan = scan(Path::new("a.yaml"), text);
        assert!(scan.invalid.is_empty(), "{:?}", scan.invalid);
        let s = &scan.suppressions[0];
        assert_eq!(s.codes, ["CL002", "CL003"]);
        assert_eq!(s.reason, "capped at 64 bytes");
        assert_eq!(s.until, Date::parse("2027-06-30"));
        assert_eq!(&text[s.covers.range()], "pattern: 'x'");
        assert_eq!(&text[s.span.range()], &text[..text.find('\n').unwrap()]);
    }

    #[test]
    fn trailing_comments_cover_their_own_line() {
        let text = "a: 1\npattern = '(a+)+' # cfglint: allow CL001 reason='tested'\nb: 2\n";
        let s = &scan(Path::new("a.toml"), text).suppressions[0];
        assert_eq!(&text[s.covers.range()], "pattern = '(a+)+' # cfglint: allow CL001 reason='tested'");
    }

    #[test]
    fn skips_blank_and_comment_lines_and_follows_continuations() {
        let text = "# cfglint: allow CL002 reason=\"x\"\n\n# another comment\nSecRule ARGS \\\n    \"@rx a.*b.*c\" \\\n    \"id:1\"\nSecRule X\n";
        let s = &scan(Path::new("crs.conf"), text).suppressions[0];
        assert_eq!(&text[s.covers.range()], "SecRule ARGS \\\n    \"@rx a.*b.*c\" \\\n    \"id:1\"");
    }

    #[test]
    fn covers_yaml_block_scalars() {
        let text = "rules:\n  # cfglint: allow CL002 reason=\"x\"\n  - pattern: |-\n      a.*b.*c\n\n      d\n  - pattern: e\n";
        let s = &scan(Path::new("w.yaml"), text).suppressions[0];
        assert_eq!(&text[s.covers.range()], "  - pattern: |-\n      a.*b.*c\n\n      d");
    }

    #[test]
    fn json_uses_slashes_and_quoted_hashes_are_not_comments() {
        let text = "{\n  // cfglint: allow CL005 reason=\"catch-all on purpose\"\n  \"regex\": \".*\"\n}\n";
        assert_eq!(scan(Path::new("r.jsonc"), text).suppressions.len(), 1);
        let text = "pattern: \"a # cfglint: allow CL001 reason=x\"\n";
        assert_eq!(scan(Path::new("a.yaml"), text), Scan::default());
        // `#` glued to a word is not a comment in YAML.
        let text = "pattern: a#cfglint: allow CL001 reason=x\n";
        assert_eq!(scan(Path::new("a.yaml"), text), Scan::default());
    }

    #[test]
    fn malformed_suppressions_are_invalid() {
        for (comment, why) in [
            ("# cfglint: allow CL002", "needs a reason"),
            ("# cfglint: allow CL002 reason=\"  \"", "needs a reason"),
            ("# cfglint: allow CL999 reason=x", "unknown rule `CL999`"),
            ("# cfglint: allow reason=x", "names no rule"),
            ("# cfglint: allow CL002 reason=x until=2027-02-30", "not a valid date"),
            ("# cfglint: allow CL002 reason=\"open", "unterminated"),
            ("# cfglint: allow CL002 reason=x because=y", "unknown suppression option `because`"),
            ("# cfglint: deny CL002 reason=x", "unknown cfglint directive `deny`"),
            ("# cfglint: allowCL002 reason=x", "expected"),
        ] {
            let text = format!("{comment}\npattern: x\n");
            let scan = scan(Path::new("a.yaml"), &text);
            assert!(scan.suppressions.is_empty(), "{comment}");
            assert!(scan.invalid[0].message.contains(why), "{comment}: {}", scan.invalid[0].message);
        }
        let scan = scan(Path::new("a.yaml"), "pattern: x\n# cfglint: allow CL002 reason=x\n");
        assert!(scan.invalid[0].message.contains("not followed"));
    }

    fn result(path: &str, text: &str, findings: Vec<Finding>) -> FileResult {
        FileResult { path: path.to_owned(), text: Arc::from(text), extraction: Extraction::default(), findings }
    }

    fn finding_at(code: &str, text: &str, needle: &str) -> Finding {
        let start = text.find(needle).expect("needle in text");
        Finding::new(code, "r", Severity::Error, "a.yaml", text, Some(Span::new(start, start + needle.len())), "m")
    }

    #[test]
    fn apply_drops_covered_findings_only() {
        let text = "rules:\n  # cfglint: allow CL002 reason=\"bounded input\" until=2999-12-31\n  - pattern: '.*.*='\n  - pattern: '.*.*;'\n";
        let mut r = result(
            "a.yaml",
            text,
            vec![
                finding_at("CL002", text, ".*.*="),
                finding_at("CL001", text, ".*.*="),
                finding_at("CL002", text, ".*.*;"),
            ],
        );
        apply(&mut r, &RuleSettings::default(), today());
        let kept: Vec<(&str, usize)> = r.findings.iter().map(|f| (f.code.as_str(), f.line)).collect();
        assert_eq!(kept, [("CL001", 3), ("CL002", 4)]);
    }

    #[test]
    fn expired_suppressions_are_findings_and_suppress_nothing() {
        let text = "# cfglint: allow CL002 reason=\"until the fix ships\" until=2025-12-31\npattern: '.*.*='\n";
        let mut r = result("a.yaml", text, vec![finding_at("CL002", text, ".*.*=")]);
        apply(&mut r, &RuleSettings::default(), today());
        let codes: Vec<&str> = r.findings.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(codes, ["CL102", "CL002"]);
        assert_eq!(r.findings[0].severity, Severity::Warning);
        assert!(r.findings[0].message.contains("expired on 2025-12-31"), "{}", r.findings[0].message);
        // The last day still holds.
        let text = text.replace("2025-12-31", "2026-01-15");
        let mut r = result("a.yaml", &text, vec![finding_at("CL002", &text, ".*.*=")]);
        apply(&mut r, &RuleSettings::default(), today());
        assert!(r.findings.is_empty());
    }

    #[test]
    fn invalid_suppressions_are_findings_and_suppress_nothing() {
        let text = "# cfglint: allow CL002\npattern: '.*.*='\n";
        let mut r = result("a.yaml", text, vec![finding_at("CL002", text, ".*.*=")]);
        apply(&mut r, &RuleSettings::default(), today());
        let codes: Vec<&str> = r.findings.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(codes, ["CL101", "CL002"]);
        assert_eq!(r.findings[0].severity, Severity::Error);
        assert_eq!((r.findings[0].line, r.findings[0].column), (1, 1));
    }
}
