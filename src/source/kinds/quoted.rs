//! Go-style quoted strings inside config values: `PromQL` string literals,
//! Alertmanager matcher values, Traefik rule arguments.
//!
//! These strings live *inside* an already decoded scalar (a YAML `expr`,
//! a TOML `rule`), so the offset map built here is in the coordinates of that
//! scalar's value; selectors compose it with the scalar's own map to reach the
//! file.

use crate::source::decode::{Decoder, hex_value};
use crate::source::offsets::OffsetMap;

/// A quoted string found in a text.
#[derive(Debug, Clone)]
pub(crate) struct Quoted {
    /// The decoded string.
    pub(crate) value: String,
    /// Maps the decoded string to offsets in the text it was found in.
    pub(crate) map: OffsetMap,
    /// Offset just past the closing quote.
    pub(crate) end: usize,
}

/// Parse the Go-style string literal starting at `s[i]`: `"…"` and `'…'`
/// with Go escapes, or `` `…` `` raw. Returns `None` when `s[i]` is not a
/// quote or the literal is unterminated or malformed.
pub(crate) fn parse_go_string(s: &str, i: usize) -> Option<Quoted> {
    let bytes = s.as_bytes();
    let quote = *bytes.get(i)?;
    if !matches!(quote, b'"' | b'\'' | b'`') {
        return None;
    }
    let start = i + 1;
    if quote == b'`' {
        let len = s[start..].find('`')?;
        return Some(Quoted {
            value: s[start..start + len].to_owned(),
            map: OffsetMap::verbatim(start, len),
            end: start + len + 1,
        });
    }
    let mut dec = Decoder::new(start);
    let mut j = start;
    loop {
        let byte = *bytes.get(j)?;
        if byte == quote {
            let (value, map) = dec.finish();
            return Some(Quoted { value, map, end: j + 1 });
        }
        if byte == b'\n' {
            return None;
        }
        if byte != b'\\' {
            let mut k = j + 1;
            while k < bytes.len() && bytes[k] != quote && bytes[k] != b'\\' && bytes[k] != b'\n' {
                k += 1;
            }
            dec.verbatim(&s[j..k]);
            j = k;
            continue;
        }
        let esc = *bytes.get(j + 1)?;
        let simple = match esc {
            b'a' => Some('\x07'),
            b'b' => Some('\x08'),
            b'f' => Some('\x0c'),
            b'n' => Some('\n'),
            b'r' => Some('\r'),
            b't' => Some('\t'),
            b'v' => Some('\x0b'),
            b'\\' => Some('\\'),
            b'\'' => Some('\''),
            b'"' => Some('"'),
            _ => None,
        };
        if let Some(ch) = simple {
            dec.replace_char(&s[j..j + 2], ch);
            j += 2;
            continue;
        }
        let (width, radix_digits) = match esc {
            b'x' => (2, 16),
            b'u' => (4, 16),
            b'U' => (8, 16),
            b'0'..=b'7' => (3, 8),
            _ => return None,
        };
        let value = if radix_digits == 8 {
            let digits = s.get(j + 1..j + 4)?;
            if !digits.bytes().all(|byte| (b'0'..=b'7').contains(&byte)) {
                return None;
            }
            u32::from_str_radix(digits, 8).ok()?
        } else {
            hex_value(s.get(j + 2..)?, width)?
        };
        // Approximation: `\xHH` / octal escapes of bytes >= 0x80 are raw
        // bytes in Go; they are decoded here as the code point U+00HH.
        let raw_len = if radix_digits == 8 { 4 } else { 2 + width };
        dec.replace_char(&s[j..j + raw_len], char::from_u32(value)?);
        j += raw_len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::span::{PatternSpan, Span};

    #[test]
    fn double_quoted_with_escapes() {
        let s = r#"x="a\\.b\"c\x41\101\u00e9" rest"#;
        let q = parse_go_string(s, 2).expect("string");
        assert_eq!(q.value, "a\\.b\"cAAé");
        assert_eq!(&s[q.end..], " rest");
        assert_eq!(q.map.to_file_span(PatternSpan::new(1, 2)), Span::new(4, 6));
    }

    #[test]
    fn raw_and_single() {
        let s = "f(`a\\d+`, 'b\\'c')";
        let q = parse_go_string(s, 2).expect("raw");
        assert_eq!(q.value, "a\\d+");
        assert!(q.map.is_verbatim());
        let q2 = parse_go_string(s, q.end + 2).expect("single");
        assert_eq!(q2.value, "b'c");
    }

    #[test]
    fn malformed() {
        assert!(parse_go_string("\"abc", 0).is_none());
        assert!(parse_go_string("\"a\\qb\"", 0).is_none());
        assert!(parse_go_string("abc", 0).is_none());
    }
}
