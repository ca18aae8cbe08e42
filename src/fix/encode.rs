//! Writing a fixed pattern back in the file's own quoting.
//!
//! The extractors record, for every pattern, how each run of the decoded
//! pattern was spelled in the file (verbatim, or an escape such as YAML
//! `\\`, JSON `\"`, SecLang `\"`). A fixed pattern is built from the
//! characters of the original (plus ASCII letters, digits and class syntax),
//! so each of its characters is spelled the way the file already spells
//! it: verbatim where the file has it verbatim, with the file's own escape
//! where it has only that. A character the file never spells is refused
//! unless it is printable ASCII that no supported format quotes or escapes
//! (see `plain`), or a backslash: when the original has none, both of the
//! spellings formats use (`\` and `\\`) are tried ([`spellings`]) and the
//! re-extraction keeps the one that reads back. This reuses the format knowledge
//! of the extractors instead of a second set of escapers; the caller still
//! re-extracts the edited file and compares (`check_reextract`), so a
//! spelling that reads differently in context is caught, not written.

use std::collections::{HashMap, HashSet};

use crate::source::{ExtractedPattern, Kind};

/// The raw text for `fixed`, spelled like `pattern` is spelled in `text`,
/// or `None` when some character has no known spelling.
pub fn encode(text: &str, pattern: &ExtractedPattern, fixed: &str) -> Option<String> {
    encode_guessing(text, pattern, fixed, None)
}

/// The spellings of `fixed` worth trying, best first: [`encode`], then,
/// when the fix adds a backslash the original never had, the backslash
/// written as itself and doubled (the two spellings every supported format
/// uses). The caller keeps the first one that reads back as `fixed`.
pub fn spellings(text: &str, pattern: &ExtractedPattern, fixed: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for backslash in [None, Some("\\"), Some("\\\\")] {
        if let Some(s) = encode_guessing(text, pattern, fixed, backslash)
            && !out.contains(&s)
        {
            out.push(s);
        }
    }
    out
}

/// [`encode`], with `backslash` as the spelling of `\` when the file has
/// none.
fn encode_guessing(text: &str, pattern: &ExtractedPattern, fixed: &str, backslash: Option<&str>) -> Option<String> {
    let mut verbatim: HashSet<char> = HashSet::new();
    let mut escaped: HashMap<char, &str> = HashMap::new();
    for piece in pattern.offsets.pieces() {
        let raw = text.get(piece.raw_start..piece.raw_start + piece.raw_len)?;
        let decoded = pattern.pattern.get(piece.decoded_start..piece.decoded_start + piece.decoded_len)?;
        if raw == decoded {
            verbatim.extend(raw.chars());
        } else {
            let mut chars = decoded.chars();
            if let (Some(c), None) = (chars.next(), chars.next()) {
                escaped.entry(c).or_insert(raw);
            }
        }
    }
    // A regex-assembly line is regex text with no quoting: any character
    // but a line break stands for itself (a `{{NAME}}` reference the fix
    // replaces is written out as its expansion).
    let unquoted = pattern.kind == Kind::CrsRegexAssembly;
    let mut out = String::with_capacity(fixed.len());
    for c in fixed.chars() {
        if verbatim.contains(&c) || (plain(c) && !escaped.contains_key(&c)) || (unquoted && c != '\n' && c != '\r') {
            out.push(c);
        } else if let Some(e) = escaped.get(&c) {
            out.push_str(e);
        } else if c == '\\' {
            out.push_str(backslash?);
        } else {
            return None;
        }
    }
    Some(out)
}

/// Characters written verbatim even when the original pattern never spells
/// them (and has no escape for them): printable ASCII except the quote,
/// escape and comment characters of the supported formats (`"`, `'`, `` ` ``,
/// `\`, `#`) and SecLang's macro sign `%`. Where one of the rest means
/// something in context (a YAML plain scalar starting with `[`, `;` ending
/// an unquoted nginx argument), the re-extraction check reads it back
/// differently and the fix is refused.
fn plain(c: char) -> bool {
    c.is_ascii_graphic() && !"\"'`\\#%".contains(c)
}
