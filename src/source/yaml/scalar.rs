//! Scalar decoding: plain, single- and double-quoted (every escape) and
//! block scalars (chomping and indentation indicators), each decoded from
//! its raw text with an offset map; and the core-schema resolution of
//! plain scalars.

use crate::source::decode::{Decoder, hex_value};
use crate::source::offsets::OffsetMap;

/// YAML 1.2 core schema: does an untagged plain scalar resolve to a string
/// (rather than null, bool, int or float)?
pub(super) fn resolves_to_string(v: &str) -> bool {
    if matches!(v, "" | "~" | "null" | "Null" | "NULL" | "true" | "True" | "TRUE" | "false" | "False" | "FALSE") {
        return false;
    }
    if matches!(v, ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF")
        || matches!(v, ".nan" | ".NaN" | ".NAN")
    {
        return false;
    }
    let digits = |s: &str, radix: u32| !s.is_empty() && s.chars().all(|c| c.is_digit(radix));
    if let Some(h) = v.strip_prefix("0x") {
        return !digits(h, 16);
    }
    if let Some(o) = v.strip_prefix("0o") {
        return !digits(o, 8);
    }
    !is_number(v)
}

/// `[-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?`
fn is_number(v: &str) -> bool {
    let b = v.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut mantissa = i > int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        mantissa |= i > frac_start;
    }
    if !mantissa {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == b.len()
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Flow {
    Plain,
    Single,
    Double,
}

fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn is_break(b: u8) -> bool {
    b == b'\n' || b == b'\r'
}

/// Index after the line break starting at `i` (`\r\n`, `\n` or `\r`).
fn after_break(b: &[u8], i: usize) -> usize {
    if b[i] == b'\r' && b.get(i + 1) == Some(&b'\n') { i + 2 } else { i + 1 }
}

/// From just after a line break at `i`: the empty lines that follow, as
/// `(break_start, break_end)`, and the index of the next line's first
/// non-blank byte.
fn scan_empty_lines(b: &[u8], mut i: usize) -> (Vec<(usize, usize)>, usize) {
    let mut empties = Vec::new();
    loop {
        while i < b.len() && is_ws(b[i]) {
            i += 1;
        }
        if i < b.len() && is_break(b[i]) {
            let end = after_break(b, i);
            empties.push((i, end));
            i = end;
        } else {
            return (empties, i);
        }
    }
}

/// Decode a flow scalar's raw content (plain, or inside the quotes), folding
/// line breaks. `base` is the file offset of `raw[0]`. Returns `None` on text
/// the decoder does not understand (the caller then falls back).
pub(super) fn decode_flow(raw: &str, base: usize, flow: Flow) -> Option<(String, OffsetMap)> {
    let bytes = raw.as_bytes();
    let mut d = Decoder::new(base);
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if is_ws(c) || is_break(c) {
            let mut j = i;
            while j < bytes.len() && is_ws(bytes[j]) {
                j += 1;
            }
            if j < bytes.len() && is_break(bytes[j]) {
                // Fold: trailing white space, the break, any empty lines, and
                // the next line's leading white space.
                let first_end = after_break(bytes, j);
                let (empties, next) = scan_empty_lines(bytes, first_end);
                if empties.is_empty() {
                    d.goto(base + i);
                    d.replace(&raw[i..next], " ");
                } else {
                    for (bs, be) in empties {
                        d.goto(base + bs);
                        d.replace(&raw[bs..be], "\n");
                    }
                }
                d.goto(base + next);
                i = next;
            } else {
                d.goto(base + i);
                d.verbatim(&raw[i..j]);
                i = j;
            }
            continue;
        }
        if flow == Flow::Single && c == b'\'' {
            if bytes.get(i + 1) != Some(&b'\'') {
                return None;
            }
            d.goto(base + i);
            d.replace(&raw[i..i + 2], "'");
            i += 2;
            continue;
        }
        if flow == Flow::Double && c == b'\\' {
            i = double_escape(&mut d, raw, base, i)?;
            continue;
        }
        let mut j = i + 1;
        while j < bytes.len() && !is_special(bytes[j], flow) {
            j += 1;
        }
        d.goto(base + i);
        d.verbatim(&raw[i..j]);
        i = j;
    }
    Some(d.finish())
}

fn is_special(c: u8, flow: Flow) -> bool {
    is_ws(c) || is_break(c) || (flow == Flow::Single && c == b'\'') || (flow == Flow::Double && c == b'\\')
}

/// Decode the double-quoted escape at `raw[i]` (a backslash); returns the
/// index after it.
fn double_escape(d: &mut Decoder, raw: &str, base: usize, i: usize) -> Option<usize> {
    let bytes = raw.as_bytes();
    let c = *bytes.get(i + 1)?;
    d.goto(base + i);
    let simple = match c {
        b'0' => Some('\0'),
        b'a' => Some('\x07'),
        b'b' => Some('\x08'),
        b't' | b'\t' => Some('\t'),
        b'n' => Some('\n'),
        b'v' => Some('\x0b'),
        b'f' => Some('\x0c'),
        b'r' => Some('\r'),
        b'e' => Some('\x1b'),
        b' ' => Some(' '),
        b'"' => Some('"'),
        b'/' => Some('/'),
        b'\\' => Some('\\'),
        b'N' => Some('\u{85}'),
        b'_' => Some('\u{a0}'),
        b'L' => Some('\u{2028}'),
        b'P' => Some('\u{2029}'),
        _ => None,
    };
    if let Some(ch) = simple {
        d.replace_char(&raw[i..i + 2], ch);
        return Some(i + 2);
    }
    let width = match c {
        b'x' => 2,
        b'u' => 4,
        b'U' => 8,
        b'\n' | b'\r' => {
            // Escaped line break: the break and the next line's leading white
            // space vanish; empty lines in between still give line feeds.
            let (empties, next) = scan_empty_lines(bytes, after_break(bytes, i + 1));
            for (bs, be) in empties {
                d.goto(base + bs);
                d.replace(&raw[bs..be], "\n");
            }
            d.goto(base + next);
            return Some(next);
        }
        _ => return None,
    };
    let value = hex_value(raw.get(i + 2..)?, width)?;
    let ch = char::from_u32(value)?;
    d.replace_char(&raw[i..i + 2 + width], ch);
    Some(i + 2 + width)
}

/// Find the `|` / `>` indicator of a block scalar: between the end of the
/// previous event and the content, only white space, comments, `-`, `?`,
/// `:` indicators, `---`, tags and anchors can appear.
pub(super) fn find_block_header(text: &str, from: usize, to: usize) -> Option<usize> {
    let b = text.as_bytes();
    // Inclusive: for a block scalar without content, saphyr's marker is the
    // indicator itself.
    let to = (to + 1).min(b.len());
    let mut i = from;
    let mut after_space = true;
    while i < to {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                after_space = true;
                continue;
            }
            b'#' if after_space => {
                while i < to && !is_break(b[i]) {
                    i += 1;
                }
            }
            b'|' | b'>' => return Some(i),
            b'!' | b'&' => {
                while i < to && !is_ws(b[i]) && !is_break(b[i]) {
                    i += 1;
                }
            }
            b'-' if text[i..].starts_with("---") => i += 3,
            b'-' | b'?' | b':' => {
                let next = b.get(i + 1).copied().unwrap_or(b'\n');
                if !(is_ws(next) || is_break(next)) {
                    return None;
                }
                i += 1;
            }
            _ => return None,
        }
        after_space = false;
    }
    None
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Chomp {
    Strip,
    Clip,
    Keep,
}

#[derive(Debug)]
struct BlockLine {
    /// Content (after the indentation) start and end; `None` for an empty
    /// line.
    content: Option<(usize, usize)>,
    /// The line break, `(start, end)`; `start == end` at the end of the text.
    brk: (usize, usize),
}

/// Decode a block scalar. `header` is the offset of `|` or `>`; `content`
/// is where saphyr says the content starts: with `has_content`, the first
/// non-indentation byte of the first content line (its column is the
/// content indentation); without, the scalar holds only empty lines.
pub(super) fn decode_block(
    text: &str,
    header: usize,
    content: usize,
    literal: bool,
    has_content: bool,
) -> Option<(String, OffsetMap)> {
    let b = text.as_bytes();
    let mut i = header + 1;
    let mut chomp = Chomp::Clip;
    for _ in 0..2 {
        match b.get(i) {
            Some(b'+') => chomp = Chomp::Keep,
            Some(b'-') => chomp = Chomp::Strip,
            Some(b'1'..=b'9') => {}
            _ => break,
        }
        i += 1;
    }
    while i < b.len() && is_ws(b[i]) {
        i += 1;
    }
    if i < b.len() && b[i] == b'#' {
        while i < b.len() && !is_break(b[i]) {
            i += 1;
        }
    }
    if i < b.len() && !is_break(b[i]) {
        return None;
    }
    let body = if i < b.len() { after_break(b, i) } else { i };

    // The content indentation: the column where saphyr found the content.
    let indent = if has_content && content >= body {
        let line_start = text[..content].rfind('\n').map_or(0, |p| p + 1);
        if !b[line_start..content].iter().all(|&c| c == b' ') {
            return None;
        }
        Some(content - line_start)
    } else {
        None
    };

    let lines = block_lines(text, body, indent);
    let mut d = Decoder::new(lines.first().map_or(body, |l| l.content.map_or(l.brk.0, |c| c.0)));
    let last_content = lines.iter().rposition(|l| l.content.is_some());
    let emit_break = |d: &mut Decoder, line: &BlockLine, as_text: &str| {
        d.goto(line.brk.0);
        if line.brk.0 == line.brk.1 {
            // End of text without a final line break: saphyr still ends a
            // clipped or kept scalar with one.
            d.replace("", as_text);
        } else {
            d.replace(&text[line.brk.0..line.brk.1], as_text);
        }
    };
    let Some(last) = last_content else {
        if chomp == Chomp::Keep {
            for line in &lines {
                emit_break(&mut d, line, "\n");
            }
        }
        return Some(d.finish());
    };
    let starts_blank = |line: &BlockLine| line.content.is_some_and(|(s, _)| is_ws(b[s]));
    let mut prev_content: Option<usize> = None;
    for (idx, line) in lines.iter().enumerate().take(last + 1) {
        match line.content {
            None => {
                // Empty lines between content lines are emitted with the
                // preceding content line's break, below.
                if prev_content.is_none() {
                    emit_break(&mut d, line, "\n");
                }
            }
            Some((cs, ce)) => {
                d.goto(cs);
                d.verbatim(&text[cs..ce]);
                prev_content = Some(idx);
                if idx == last {
                    break;
                }
                let next = lines[idx + 1..].iter().position(|l| l.content.is_some()).map(|p| idx + 1 + p)?;
                let empties = &lines[idx + 1..next];
                let fold = !literal && !starts_blank(line) && !starts_blank(&lines[next]);
                if fold && empties.is_empty() {
                    emit_break(&mut d, line, " ");
                } else if !fold {
                    emit_break(&mut d, line, "\n");
                }
                for e in empties {
                    emit_break(&mut d, e, "\n");
                }
            }
        }
    }
    match chomp {
        Chomp::Strip => {}
        Chomp::Clip => emit_break(&mut d, &lines[last], "\n"),
        Chomp::Keep => {
            for line in &lines[last..] {
                emit_break(&mut d, line, "\n");
            }
        }
    }
    Some(d.finish())
}

/// Split a block scalar body into lines, stopping at the first line that is
/// indented less than `indent` (or at a document marker for indent 0).
fn block_lines(text: &str, body: usize, indent: Option<usize>) -> Vec<BlockLine> {
    let b = text.as_bytes();
    let mut lines = Vec::new();
    let mut i = body;
    while i < b.len() {
        let start = i;
        let mut j = i;
        while j < b.len() && b[j] == b' ' {
            j += 1;
        }
        let spaces = j - start;
        let mut end = j;
        while end < b.len() && !is_break(b[end]) {
            end += 1;
        }
        let brk = if end < b.len() { (end, after_break(b, end)) } else { (end, end) };
        let n = indent.unwrap_or(usize::MAX);
        if n == 0
            && (text[start..].starts_with("---") || text[start..].starts_with("..."))
            && b.get(start + 3).is_none_or(|&c| is_ws(c) || is_break(c))
        {
            break;
        }
        if j == end {
            if spaces <= n {
                lines.push(BlockLine { content: None, brk });
            } else {
                lines.push(BlockLine { content: Some((start + n, end)), brk });
            }
        } else if spaces < n {
            break;
        } else {
            lines.push(BlockLine { content: Some((start + n, end)), brk });
        }
        i = brk.1;
        if brk.0 == brk.1 {
            break;
        }
    }
    // A last line made only of spaces, without a line break, is not a line
    // of the scalar.
    if lines.last().is_some_and(|l| l.content.is_none() && l.brk.0 == l.brk.1) {
        lines.pop();
    }
    lines
}
