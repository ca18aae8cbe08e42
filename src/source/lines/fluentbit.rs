//! Fluent Bit classic configuration (`parsers.conf`, `fluent-bit.conf`).
//!
//! The format is INI-like: `[SECTION]` headers, then `Key value` lines (the
//! key runs to the first blank; the value is the rest of the line with
//! surrounding blanks removed, unquoted and taken verbatim); `#` starts a
//! comment line; `@INCLUDE` / `@SET` lines are not properties. Keys are
//! case-insensitive and may repeat.
//!
//! Regexes (Onigmo with Ruby syntax, reported as flavor `pcre`, searched
//! unanchored; Ruby's `^` and `$` always match at line breaks, so
//! [`Flags::multi_line`] is set):
//! - `[PARSER]` with `Format regex`: every `Regex` value.
//!   Key `PARSER[name=apache].Regex` (`PARSER[k]` when unnamed).
//! - `[MULTILINE_PARSER]`: `rule "<state>" "/<regex>/" "<next>"`. The value
//!   is split the way Fluent Bit splits it (`flb_slist_split_tokens`):
//!   tokens are separated by spaces; a token starting with `"` runs to the
//!   next `"` not preceded by `\`, and inside it `\"` decodes to `"` (no
//!   other escapes). The regex is the second token. Key
//!   `MULTILINE_PARSER[name=x].rule[k]`.
//! - `[FILTER]` grep: `Regex KEY REGEX` / `Exclude KEY REGEX` (the regex is
//!   the rest after the key and its blanks); rewrite_tag: `Rule $KEY REGEX
//!   TAG KEEP` (second token); modify: the regex arguments of `Condition
//!   Key_matches …`, `Key_value_matches …`, `Matching_keys_have_matching_values
//!   …` and their negations. Key `FILTER[k].Regex[j]`, `FILTER[k].Rule[j]`,
//!   `FILTER[k].Condition[j].arg[i]`.
//! - `Match_Regex` in `[FILTER]` and `[OUTPUT]` sections (tag matching).
//!
//! Every regex then goes through Fluent Bit's own delimiter handling
//! (`str_to_regex` in `flb_regex.c`): `/pat/` loses its slashes, and
//! `/pat/opts` with options from `i`, `m`, `x`, `o` loses slashes and
//! options, which become flags (`m` is Ruby's dot-matches-newline, reported
//! as [`Flags::dot_all`]); with any other letter after the last `/` the
//! value is used whole. Section and ordinal indexes count from 0.
//! `${VAR}` environment references in values are not expanded.

use super::{Decoded, lines_with_offsets, make_pattern};
use crate::source::{Extraction, Flags, Kind, ParseProblem, SourceFile, Span};

/// Section names of Fluent Bit's classic format.
const SECTIONS: &[&str] = &[
    "SERVICE",
    "INPUT",
    "FILTER",
    "OUTPUT",
    "PARSER",
    "MULTILINE_PARSER",
    "PLUGINS",
    "UPSTREAM",
    "NODE",
    "STREAM_TASK",
    "CUSTOM",
];

/// True when the text has a Fluent Bit section header.
pub(in crate::source) fn looks_like_fluent_bit(text: &str) -> bool {
    text.lines().any(|l| section_name(l.trim()).is_some_and(|n| SECTIONS.iter().any(|s| s.eq_ignore_ascii_case(n))))
}

fn section_name(line: &str) -> Option<&str> {
    line.strip_prefix('[')?.strip_suffix(']').map(str::trim)
}

/// One `Key value` line.
struct Prop<'a> {
    key: &'a str,
    value: &'a str,
    /// File offset of the value.
    value_start: usize,
}

struct Section<'a> {
    name: String,
    props: Vec<Prop<'a>>,
}

impl Section<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.props.iter().rev().find(|p| p.key.eq_ignore_ascii_case(key)).map(|p| p.value)
    }
}

/// Extract the regexes of a Fluent Bit classic config file.
pub(in crate::source) fn extract(file: &SourceFile) -> Extraction {
    let mut out = Extraction { kind: Some(Kind::FluentBit), ..Extraction::default() };
    let mut sections: Vec<Section<'_>> = Vec::new();
    for (start, line) in lines_with_offsets(&file.text) {
        let content = line.trim_start();
        let indent = line.len() - content.len();
        let content = content.trim_end();
        if content.is_empty() || content.starts_with('#') || content.starts_with('@') {
            continue;
        }
        if let Some(name) = section_name(content) {
            sections.push(Section { name: name.to_ascii_uppercase(), props: Vec::new() });
            continue;
        }
        let key_len = content.find([' ', '\t']).unwrap_or(content.len());
        let rest = &content[key_len..];
        let value = rest.trim_start();
        let value_start = start + indent + key_len + (rest.len() - value.len());
        let Some(section) = sections.last_mut() else {
            out.problems.push(ParseProblem {
                message: "property outside any [SECTION]".to_owned(),
                span: Span::new(start + indent, start + indent + content.len()),
            });
            continue;
        };
        section.props.push(Prop { key: &content[..key_len], value, value_start });
    }

    let mut ordinal = std::collections::HashMap::<String, usize>::new();
    for section in &sections {
        let n = ordinal.entry(section.name.clone()).or_insert(0);
        let index = *n;
        *n += 1;
        let label = match section.get("name") {
            Some(name) if matches!(section.name.as_str(), "PARSER" | "MULTILINE_PARSER") => {
                format!("{}[name={name}]", section.name)
            }
            _ => format!("{}[{index}]", section.name),
        };
        extract_section(section, &label, &mut out);
    }
    out
}

fn extract_section(section: &Section<'_>, label: &str, out: &mut Extraction) {
    let mut counts = std::collections::HashMap::<String, usize>::new();
    let mut next_index = |key: &str| {
        let n = counts.entry(key.to_ascii_lowercase()).or_insert(0);
        let i = *n;
        *n += 1;
        i
    };
    let filter_name = section.get("name").map(str::to_ascii_lowercase).unwrap_or_default();
    let is_regex_parser = section.get("format").is_some_and(|f| f.eq_ignore_ascii_case("regex"));
    for prop in &section.props {
        let key = prop.key.to_ascii_lowercase();
        let text = Decoded::verbatim(prop.value, prop.value_start);
        match (section.name.as_str(), key.as_str()) {
            ("PARSER", "regex") if is_regex_parser => {
                push(out, &text, 0, text.text.len(), format!("{label}.Regex"));
            }
            ("MULTILINE_PARSER", "rule") => {
                let i = next_index("rule");
                let tokens = split_tokens(prop.value, prop.value_start);
                if let Some(regex) = tokens.get(1) {
                    push(out, regex, 0, regex.text.len(), format!("{label}.rule[{i}]"));
                } else {
                    out.problems.push(ParseProblem {
                        message: "multiline rule needs a state, a regex and a next state".to_owned(),
                        span: Span::new(prop.value_start, prop.value_start + prop.value.len()),
                    });
                }
            }
            ("FILTER" | "OUTPUT", "match_regex") => {
                push(out, &text, 0, text.text.len(), format!("{label}.Match_Regex"));
            }
            ("FILTER", "regex" | "exclude") if filter_name == "grep" => {
                let i = next_index(&key);
                let name = if key == "regex" { "Regex" } else { "Exclude" };
                let v = prop.value;
                let field_end = v.find(' ').unwrap_or(v.len());
                let regex_start = v[field_end..].find(|c| c != ' ').map(|k| field_end + k);
                match regex_start {
                    Some(s) => push(out, &text, s, v.len(), format!("{label}.{name}[{i}]")),
                    None => out.problems.push(ParseProblem {
                        message: format!("grep `{name}` needs a record key and a regex"),
                        span: Span::new(prop.value_start, prop.value_start + v.len()),
                    }),
                }
            }
            ("FILTER", "rule") if filter_name == "rewrite_tag" => {
                let i = next_index("rule");
                let tokens = split_tokens(prop.value, prop.value_start);
                if let Some(regex) = tokens.get(1) {
                    push(out, regex, 0, regex.text.len(), format!("{label}.Rule[{i}]"));
                }
            }
            ("FILTER", "condition") if filter_name == "modify" => {
                let i = next_index("condition");
                let tokens = split_tokens(prop.value, prop.value_start);
                let regex_args: &[usize] = match tokens.first().map(|t| t.text.to_ascii_lowercase()).as_deref() {
                    Some("key_matches" | "key_does_not_match") => &[1],
                    Some("key_value_matches" | "key_value_does_not_match") => &[2],
                    Some("matching_keys_have_matching_values" | "matching_keys_do_not_have_matching_values") => &[1, 2],
                    _ => &[],
                };
                for &a in regex_args {
                    if let Some(t) = tokens.get(a) {
                        push(out, t, 0, t.text.len(), format!("{label}.Condition[{i}].arg[{a}]"));
                    }
                }
            }
            _ => {}
        }
    }
}

/// Push the regex in `text[d_start..d_end]` after Fluent Bit's `/…/opts`
/// handling.
fn push(out: &mut Extraction, text: &Decoded, d_start: usize, d_end: usize, key: String) {
    let (s, e, mut flags) = delimiters(&text.text[d_start..d_end]);
    flags.multi_line = true;
    let (s, e) = (d_start + s, d_start + e);
    out.patterns.push(make_pattern(text.text[s..e].to_owned(), text.offsets(s, e), key, Kind::FluentBit, flags, None));
}

/// Fluent Bit's `str_to_regex`: the pattern's range inside `value` and the
/// flags its `/…/opts` form sets.
fn delimiters(value: &str) -> (usize, usize, Flags) {
    let len = value.len();
    let mut flags = Flags::default();
    // check_option: options after the last '/' of a value starting with '/'.
    let mut new_end = None;
    if value.starts_with('/')
        && let Some(last) = value.rfind('/')
        && last > 0
    {
        let mut any = false;
        let mut ok = true;
        for c in value[last + 1..].chars() {
            match c {
                'm' => {
                    flags.dot_all = true;
                    any = true;
                }
                'i' => {
                    flags.case_insensitive = true;
                    any = true;
                }
                'x' => {
                    flags.extended = true;
                    any = true;
                }
                'o' => {}
                _ => {
                    ok = false;
                    break;
                }
            }
        }
        if ok && any {
            new_end = Some(last);
        } else {
            flags = Flags::default();
        }
    }
    if let Some(end) = new_end {
        return (1, end, flags);
    }
    if len >= 2 && value.starts_with('/') && value.ends_with('/') {
        return (1, len - 1, flags);
    }
    (0, len, flags)
}

/// `flb_slist_split_tokens`: space-separated tokens; a token starting with
/// `"` ends at the next `"` not preceded by `\`, and `\"` inside decodes to
/// `"`.
fn split_tokens(value: &str, value_start: usize) -> Vec<Decoded> {
    let b = value.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    loop {
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        if b[i] == b'"' {
            let start = i + 1;
            let mut j = start;
            while j < b.len() && !(b[j] == b'"' && b[j - 1] != b'\\') {
                j += 1;
            }
            let raw = &value[start..j];
            let mut text = String::with_capacity(raw.len());
            let mut escapes = Vec::new();
            let rb = raw.as_bytes();
            let mut k = 0;
            while k < rb.len() {
                if rb[k] == b'\\' && rb.get(k + 1) == Some(&b'"') {
                    escapes.push(value_start + start + k);
                    text.push('"');
                    k += 2;
                } else {
                    let ch = raw[k..].chars().next().expect("k is on a char boundary");
                    text.push(ch);
                    k += ch.len_utf8();
                }
            }
            tokens.push(Decoded { text, raw_start: value_start + start, escapes });
            i = j + 1;
        } else {
            let start = i;
            while i < b.len() && b[i] != b' ' {
                i += 1;
            }
            tokens.push(Decoded::verbatim(&value[start..i], value_start + start));
        }
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::PatternSpan;

    fn run(text: &str) -> Extraction {
        extract(&SourceFile::new("parsers.conf", text))
    }

    #[test]
    fn parsers_and_slashes() {
        let text = concat!(
            "[PARSER]\n",
            "    Name   apache\n",
            "    Format regex\n",
            "    Regex  ^(?<host>[^ ]*) \\[(?<time>[^\\]]*)\\]$   \n",
            "\n",
            "[PARSER]\n",
            "    Name json\n",
            "    Format json\n",
            "    Regex ignored\n",
            "[PARSER]\n",
            "    Format regex\n",
            "    Regex /^Processing (?<x>\\S+)$/i\n",
            "[PARSER]\n",
            "    Name slashes\n",
            "    Regex /^a$/\n",
            "    Format Regex\n",
        );
        let ex = run(text);
        assert!(ex.problems.is_empty(), "{:?}", ex.problems);
        let got: Vec<_> =
            ex.patterns.iter().map(|p| (p.key.as_str(), p.pattern.as_str(), p.flags.to_letters())).collect();
        assert_eq!(
            got,
            [
                ("PARSER[name=apache].Regex", r"^(?<host>[^ ]*) \[(?<time>[^\]]*)\]$", "m".to_owned()),
                ("PARSER[2].Regex", r"^Processing (?<x>\S+)$", "im".to_owned()),
                ("PARSER[name=slashes].Regex", "^a$", "m".to_owned()),
            ]
        );
        for p in &ex.patterns {
            assert_eq!(&text[p.span.range()], p.pattern);
        }
    }

    #[test]
    fn multiline_rules_with_escaped_quotes() {
        let text = concat!(
            "[MULTILINE_PARSER]\n",
            "    name          exception_test\n",
            "    type          regex\n",
            "    rule          \"start_state\"  \"/(Dec \\d+)(.*)/\" \"cont\"\n",
            "    rule          \"cont\" \"/^\\s+at \\\"x\\\".*/\" \"cont\"\n",
            "    rule          \"broken\"\n",
        );
        let ex = run(text);
        let got: Vec<_> = ex.patterns.iter().map(|p| (p.key.as_str(), p.pattern.as_str())).collect();
        assert_eq!(
            got,
            [
                ("MULTILINE_PARSER[name=exception_test].rule[0]", r"(Dec \d+)(.*)"),
                ("MULTILINE_PARSER[name=exception_test].rule[1]", r#"^\s+at "x".*"#),
            ]
        );
        assert_eq!(ex.problems.len(), 1);
        let p = &ex.patterns[1];
        let q = p.pattern.find('"').expect("quote");
        assert_eq!(&text[p.offsets.to_file_span(PatternSpan::new(q, q + 1)).range()], "\\\"");
        assert_eq!(&text[p.offsets.to_file_span(PatternSpan::new(0, 1)).range()], "^");
    }

    #[test]
    fn filters() {
        let text = concat!(
            "[INPUT]\n    Name tail\n",
            "[FILTER]\n",
            "    Name    grep\n",
            "    Match   *\n",
            "    Regex   log  aa.*bb\n",
            "    Exclude log /^DEBUG/i\n",
            "    Regex   onlykey\n",
            "[FILTER]\n",
            "    Name    rewrite_tag\n",
            "    Rule    $log ^(ERROR)$ errors false\n",
            "[FILTER]\n",
            "    Name modify\n",
            "    Condition Key_value_matches level ^warn\n",
            "    Condition Matching_keys_have_matching_values ^k[0-9] ^v\n",
            "[OUTPUT]\n",
            "    Name stdout\n",
            "    Match_Regex ^app\\.(a|b)$\n",
        );
        let ex = run(text);
        let got: Vec<_> = ex.patterns.iter().map(|p| (p.key.as_str(), p.pattern.as_str())).collect();
        assert_eq!(
            got,
            [
                ("FILTER[0].Regex[0]", "aa.*bb"),
                ("FILTER[0].Exclude[0]", "^DEBUG"),
                ("FILTER[1].Rule[0]", "^(ERROR)$"),
                ("FILTER[2].Condition[0].arg[2]", "^warn"),
                ("FILTER[2].Condition[1].arg[1]", "^k[0-9]"),
                ("FILTER[2].Condition[1].arg[2]", "^v"),
                ("OUTPUT[0].Match_Regex", r"^app\.(a|b)$"),
            ]
        );
        assert!(ex.patterns[1].flags.case_insensitive);
        assert_eq!(ex.problems.len(), 1, "grep Regex without a regex");
        for p in &ex.patterns {
            assert_eq!(&text[p.span.range()], p.pattern);
        }
    }

    #[test]
    fn delimiter_rules() {
        assert_eq!(delimiters("/a/"), (1, 2, Flags::default()));
        assert_eq!(delimiters("/a/ix").0..delimiters("/a/ix").1, 1..2);
        assert!(delimiters("/a/ix").2.extended);
        // An unknown option letter: the value is used whole.
        assert_eq!(delimiters("/usr/lib"), (0, 8, Flags::default()));
        assert_eq!(delimiters("/a/o"), (0, 4, Flags::default()));
        assert_eq!(delimiters("/"), (0, 1, Flags::default()));
        assert_eq!(delimiters("a/b/"), (0, 4, Flags::default()));
    }

    #[test]
    fn detection_and_stray_properties() {
        assert!(looks_like_fluent_bit("[SERVICE]\n    Flush 1\n"));
        assert!(looks_like_fluent_bit("[multiline_parser]\n"));
        assert!(!looks_like_fluent_bit("[program:x]\ncommand=x\n"));
        let ex = run("Regex x\n[PARSER]\n");
        assert_eq!(ex.problems.len(), 1);
    }
}
