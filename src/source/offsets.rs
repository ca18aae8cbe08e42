//! Offset maps: from a byte offset in a decoded pattern back to the byte
//! offset in the file it came from.
//!
//! Extractors decode quoted text (YAML double-quoted escapes, JSON escapes,
//! TOML basic strings, SecLang `\"`) while parsing. As they decode, they push
//! one [`Piece`] per run of verbatim text and one per escape sequence. A
//! diagnostic that underlines one character inside the pattern then maps
//! through the pieces to the exact bytes in the file.
//!
//! Guarantee: for every decoded offset `d` in `0..=decoded_len`,
//! [`OffsetMap::to_file`] returns an offset inside the raw span, and offsets
//! are monotonic.

use serde::{Deserialize, Serialize};

use super::span::{PatternSpan, Span};

/// One run of the decoded pattern and the raw bytes it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Piece {
    /// Start of the run in the decoded pattern.
    pub decoded_start: usize,
    /// Length of the run in the decoded pattern.
    pub decoded_len: usize,
    /// Start of the raw text in the file.
    pub raw_start: usize,
    /// Length of the raw text in the file.
    pub raw_len: usize,
}

impl Piece {
    /// A verbatim run maps byte for byte.
    fn is_verbatim(&self) -> bool {
        self.decoded_len == self.raw_len
    }
}

/// Maps decoded-pattern offsets to file offsets. Build it with
/// [`OffsetMapBuilder`], or use [`OffsetMap::verbatim`] when the raw text is
/// the pattern.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffsetMap {
    pieces: Vec<Piece>,
    decoded_len: usize,
    raw: Span,
    /// Some escape replaced raw bytes by the same number of different
    /// decoded bytes (a YAML line fold `\n` -> ` `), so equal lengths do not
    /// mean equal text.
    #[serde(default)]
    substituted: bool,
}

impl OffsetMap {
    /// The identity map for a pattern whose raw text needs no unescaping and
    /// starts at file offset `raw_start`.
    pub fn verbatim(raw_start: usize, len: usize) -> Self {
        let mut b = OffsetMapBuilder::new(raw_start);
        b.verbatim(len);
        b.finish()
    }

    /// The raw span covered by the map.
    pub fn raw_span(&self) -> Span {
        self.raw
    }

    /// Length of the decoded pattern.
    pub fn decoded_len(&self) -> usize {
        self.decoded_len
    }

    /// True when the raw text equals the decoded pattern byte for byte: every
    /// piece is verbatim, nothing was substituted, and no raw bytes were
    /// skipped (a skipped YAML indentation or line continuation makes the raw
    /// span longer than the pattern).
    pub fn is_verbatim(&self) -> bool {
        !self.substituted && self.raw.len() == self.decoded_len && self.pieces.iter().all(Piece::is_verbatim)
    }

    /// The pieces, in order.
    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    /// File offset of decoded offset `d`. Inside an escape sequence, the
    /// start of the sequence. Past the end, the end of the raw span.
    pub fn to_file(&self, d: usize) -> usize {
        self.map(d, false)
    }

    /// File span of a decoded span. An escape sequence partly inside the span
    /// is included whole, so underlining `\\` in a JSON string marks both raw
    /// backslashes.
    pub fn to_file_span(&self, span: PatternSpan) -> Span {
        let start = self.map(span.start, false);
        let end = self.map(span.end, true).max(start);
        Span::new(start, end)
    }

    /// Compose two maps: `inner` maps a pattern to offsets in the text that
    /// `self` decodes (for example a regex inside an Alertmanager matcher
    /// string inside a YAML scalar); the result maps the pattern straight to
    /// the file.
    #[must_use]
    pub fn compose(&self, inner: &OffsetMap) -> OffsetMap {
        let raw_start = self.to_file(inner.raw.start);
        let mut b = OffsetMapBuilder::new(raw_start);
        let mut d = 0;
        while d < inner.decoded_len {
            let start = self.map(inner.map(d, false), false);
            let end = self.map(inner.map(d + 1, true), true).max(start);
            // Jump over any raw bytes that decode to nothing.
            if start > b.raw_offset() {
                b.skip(start - b.raw_offset());
            }
            let start = start.max(b.raw_offset());
            let end = end.max(start);
            if end - start == 1 {
                b.verbatim(1);
            } else {
                b.escape(end - start, 1);
            }
            d += 1;
        }
        let end = self.to_file(inner.raw.end).max(b.raw_offset());
        if end > b.raw_offset() {
            b.skip(end - b.raw_offset());
        }
        let mut map = b.finish();
        map.substituted |= self.substituted || inner.substituted;
        map
    }

    fn map(&self, d: usize, is_end: bool) -> usize {
        if d >= self.decoded_len {
            return self.raw.end;
        }
        // Last piece whose decoded_start <= d.
        let idx = match self.pieces.binary_search_by(|p| p.decoded_start.cmp(&d)) {
            Ok(i) => i,
            Err(0) => return self.raw.start,
            Err(i) => i - 1,
        };
        // For an end offset that falls exactly on a piece boundary, the raw
        // end of the previous piece is the tighter answer (it skips raw text
        // that decodes to nothing, such as a line continuation).
        if is_end && idx > 0 && self.pieces[idx].decoded_start == d {
            let prev = self.pieces[idx - 1];
            return prev.raw_start + prev.raw_len;
        }
        let p = self.pieces[idx];
        let within = d - p.decoded_start;
        if p.is_verbatim() {
            p.raw_start + within
        } else if within == 0 {
            p.raw_start
        } else if is_end {
            p.raw_start + p.raw_len
        } else {
            p.raw_start
        }
    }
}

/// Builds an [`OffsetMap`] while decoding.
#[derive(Debug, Clone)]
pub struct OffsetMapBuilder {
    pieces: Vec<Piece>,
    decoded: usize,
    raw: usize,
    raw_start: usize,
    substituted: bool,
}

impl OffsetMapBuilder {
    /// Start at file offset `raw_start` (the first byte of the raw pattern
    /// text, after any opening quote).
    pub fn new(raw_start: usize) -> Self {
        OffsetMapBuilder { pieces: Vec::new(), decoded: 0, raw: raw_start, raw_start, substituted: false }
    }

    /// `len` bytes copied verbatim from the file to the pattern.
    pub fn verbatim(&mut self, len: usize) {
        if len == 0 {
            return;
        }
        if let Some(last) = self.pieces.last_mut()
            && last.is_verbatim()
            && last.decoded_start + last.decoded_len == self.decoded
            && last.raw_start + last.raw_len == self.raw
        {
            last.decoded_len += len;
            last.raw_len += len;
        } else {
            self.pieces.push(Piece {
                decoded_start: self.decoded,
                decoded_len: len,
                raw_start: self.raw,
                raw_len: len,
            });
        }
        self.decoded += len;
        self.raw += len;
    }

    /// An escape: `raw_len` bytes in the file decoded to `decoded_len`
    /// bytes (possibly 0, for a line continuation or a folded line break).
    pub fn escape(&mut self, raw_len: usize, decoded_len: usize) {
        if raw_len == decoded_len {
            // Same length but not the same bytes (e.g. YAML folding a
            // newline into a space): keep it as its own piece so it still maps
            // byte for byte, and remember the map is no longer verbatim.
            self.substituted = true;
            self.pieces.push(Piece { decoded_start: self.decoded, decoded_len, raw_start: self.raw, raw_len });
        } else if decoded_len > 0 {
            self.pieces.push(Piece { decoded_start: self.decoded, decoded_len, raw_start: self.raw, raw_len });
        }
        self.decoded += decoded_len;
        self.raw += raw_len;
    }

    /// Skip `raw_len` bytes of the file that decode to nothing.
    pub fn skip(&mut self, raw_len: usize) {
        self.raw += raw_len;
    }

    /// Current raw (file) offset.
    pub fn raw_offset(&self) -> usize {
        self.raw
    }

    /// Current decoded length.
    pub fn decoded_len(&self) -> usize {
        self.decoded
    }

    /// Finish; the raw span ends at the current raw offset.
    pub fn finish(self) -> OffsetMap {
        OffsetMap {
            pieces: self.pieces,
            decoded_len: self.decoded,
            raw: Span::new(self.raw_start, self.raw),
            substituted: self.substituted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbatim_is_identity() {
        let m = OffsetMap::verbatim(10, 5);
        assert!(m.is_verbatim());
        for d in 0..5 {
            assert_eq!(m.to_file(d), 10 + d);
        }
        assert_eq!(m.to_file(5), 15);
        assert_eq!(m.to_file_span(PatternSpan::new(1, 3)), Span::new(11, 13));
    }

    #[test]
    fn json_double_backslash() {
        // File: "a\\d+"  raw starts at 1 (after the quote): a \ \ d +
        // decoded: a \ d +
        let mut b = OffsetMapBuilder::new(1);
        b.verbatim(1); // a
        b.escape(2, 1); // \\ -> \
        b.verbatim(2); // d+
        let m = b.finish();
        assert!(!m.is_verbatim());
        assert_eq!(m.raw_span(), Span::new(1, 6));
        assert_eq!(m.to_file(0), 1);
        assert_eq!(m.to_file(1), 2);
        assert_eq!(m.to_file(2), 4); // 'd'
        // underline "\d" -> raw "\\d"
        assert_eq!(m.to_file_span(PatternSpan::new(1, 3)), Span::new(2, 5));
        // underline just the backslash -> both raw backslashes
        assert_eq!(m.to_file_span(PatternSpan::new(1, 2)), Span::new(2, 4));
    }

    #[test]
    fn compose_inner_escape() {
        // YAML double-quoted scalar at file offset 10: `a=~"x\\\\.y"`
        // raw:      a = ~ " x \ \ \ \ . y "     (12 bytes, offsets 10..22)
        // outer decoded: a=~"x\\.y"            (10 bytes)
        let mut ob = OffsetMapBuilder::new(10);
        ob.verbatim(5); // a=~"x
        ob.escape(2, 1); // \\ -> \
        ob.escape(2, 1); // \\ -> \
        ob.verbatim(3); // .y"
        let outer = ob.finish();
        // Matcher string inside: regex starts after the quote at outer 4: x\\.y -> x\.y
        let mut ib = OffsetMapBuilder::new(4);
        ib.verbatim(1); // x
        ib.escape(2, 1); // \\ -> \
        ib.verbatim(2); // .y
        let inner = ib.finish();
        let m = outer.compose(&inner);
        assert_eq!(m.decoded_len(), 4);
        assert_eq!(m.to_file(0), 14); // x
        assert_eq!(m.to_file(1), 15); // the backslash: 4 raw bytes
        assert_eq!(m.to_file(2), 19); // '.'
        assert_eq!(m.to_file_span(PatternSpan::new(1, 2)), Span::new(15, 19));
        assert_eq!(m.raw_span(), Span::new(14, 21));
    }

    #[test]
    fn same_length_substitution_is_not_verbatim() {
        // YAML plain scalar `a\nb` folds to `a b`.
        let mut b = OffsetMapBuilder::new(0);
        b.verbatim(1);
        b.escape(1, 1);
        b.verbatim(1);
        let m = b.finish();
        assert!(!m.is_verbatim());
        assert_eq!(m.to_file_span(PatternSpan::new(1, 2)), Span::new(1, 2));
        assert!(!OffsetMap::verbatim(0, 3).compose(&m).is_verbatim());
    }

    #[test]
    fn skipped_continuation() {
        // SecLang: "ab\\\n   cd" : continuation decodes to nothing.
        let mut b = OffsetMapBuilder::new(0);
        b.verbatim(2);
        b.skip(5);
        b.verbatim(2);
        let m = b.finish();
        assert!(!m.is_verbatim(), "skipped raw bytes make the raw text differ");
        assert_eq!(m.to_file(2), 7);
        assert_eq!(m.to_file_span(PatternSpan::new(0, 2)), Span::new(0, 2));
        assert_eq!(m.to_file_span(PatternSpan::new(1, 3)), Span::new(1, 8));
    }
}
