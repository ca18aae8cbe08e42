//! A small writer shared by the quoted-string decoders (YAML, JSON, TOML,
//! `PromQL`, Go strings): it appends decoded text and records, piece by piece,
//! which raw bytes of the file each decoded byte came from.
//!
//! Position in the pipeline: used while parsing, so that every decoded string
//! carries an [`OffsetMap`] built as it was decoded (never reconstructed by
//! searching the text afterwards). Guarantee: the map covers exactly the raw
//! bytes handed to the writer, in order.

use super::offsets::{OffsetMap, OffsetMapBuilder};

/// Decoded text plus the offset map that leads back to the raw text.
#[derive(Debug, Clone)]
pub(crate) struct Decoder {
    out: String,
    map: OffsetMapBuilder,
}

impl Decoder {
    /// Start decoding raw text whose first byte is at file offset `raw_start`.
    pub(crate) fn new(raw_start: usize) -> Self {
        Decoder { out: String::new(), map: OffsetMapBuilder::new(raw_start) }
    }

    /// Skip raw bytes up to `pos` (they decode to nothing). No-op when `pos`
    /// is not ahead.
    pub(crate) fn goto(&mut self, pos: usize) {
        let cur = self.map.raw_offset();
        if pos > cur {
            self.map.skip(pos - cur);
        }
    }

    /// Raw text copied as is.
    pub(crate) fn verbatim(&mut self, raw: &str) {
        self.out.push_str(raw);
        self.map.verbatim(raw.len());
    }

    /// Raw text (an escape, a folded line break) that decodes to `decoded`.
    pub(crate) fn replace(&mut self, raw: &str, decoded: &str) {
        if raw == decoded {
            self.verbatim(raw);
        } else {
            self.out.push_str(decoded);
            self.map.escape(raw.len(), decoded.len());
        }
    }

    /// Raw text that decodes to one character.
    pub(crate) fn replace_char(&mut self, raw: &str, c: char) {
        let mut buf = [0u8; 4];
        self.replace(raw, c.encode_utf8(&mut buf));
    }

    /// The decoded text and its map.
    pub(crate) fn finish(self) -> (String, OffsetMap) {
        (self.out, self.map.finish())
    }
}

/// Parse exactly `n` hex digits at the start of `s`.
pub(crate) fn hex_value(s: &str, n: usize) -> Option<u32> {
    let digits = s.get(..n)?;
    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(digits, 16).ok()
}

/// A coarse map for text whose decoding could not be followed piece by
/// piece: every decoded offset maps onto (nearly) the whole raw span.
///
/// Approximation: a piece whose raw and decoded lengths are equal maps byte
/// for byte, which a coarse map must not claim; so for equal lengths above
/// one byte, the last raw byte is left out of the piece (and skipped).
pub(crate) fn coarse_map(raw_start: usize, raw_len: usize, decoded_len: usize) -> OffsetMap {
    let mut b = OffsetMapBuilder::new(raw_start);
    if raw_len == decoded_len && raw_len > 1 {
        b.escape(raw_len - 1, decoded_len);
        b.skip(1);
    } else if raw_len > 0 || decoded_len > 0 {
        b.escape(raw_len, decoded_len);
    }
    b.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::span::{PatternSpan, Span};

    #[test]
    fn writer_records_pieces() {
        // raw `a\\nb` at offset 10 decoding to `a\nb`
        let mut d = Decoder::new(10);
        d.verbatim("a");
        d.replace("\\n", "\n");
        d.verbatim("b");
        let (s, m) = d.finish();
        assert_eq!(s, "a\nb");
        assert_eq!(m.to_file_span(PatternSpan::new(1, 2)), Span::new(11, 13));
        assert_eq!(m.raw_span(), Span::new(10, 14));
    }

    #[test]
    fn goto_skips() {
        let mut d = Decoder::new(0);
        d.verbatim("ab");
        d.goto(5);
        d.goto(3);
        d.verbatim("c");
        let (s, m) = d.finish();
        assert_eq!(s, "abc");
        assert_eq!(m.to_file(2), 5);
        assert!(!m.is_verbatim());
    }

    #[test]
    fn hex() {
        assert_eq!(hex_value("4142", 2), Some(0x41));
        assert_eq!(hex_value("4", 2), None);
        assert_eq!(hex_value("zz", 2), None);
    }

    #[test]
    fn coarse_is_not_verbatim() {
        let m = coarse_map(3, 4, 4);
        assert!(!m.is_verbatim());
        assert_eq!(m.raw_span(), Span::new(3, 7));
        assert_eq!(m.to_file_span(PatternSpan::new(1, 2)), Span::new(3, 6), "not byte for byte");
        let m = coarse_map(3, 6, 2);
        assert_eq!(m.to_file_span(PatternSpan::new(1, 2)), Span::new(3, 9));
        assert_eq!(coarse_map(0, 0, 0).raw_span(), Span::new(0, 0));
    }
}
