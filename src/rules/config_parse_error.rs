//! CL100 config-parse-error: a config file that cannot be read as text or
//! parsed. One finding per problem, on the file; the run goes on with the
//! other files. A file-level rule: the lint pipeline calls these builders
//! with what the loader and the extractors reported.

use crate::finding::Finding;
use crate::source::{Extraction, LoadError, SourceFile, Span};

use super::{RuleMeta, RuleSettings};

fn meta() -> &'static RuleMeta {
    super::meta("config-parse-error")
}

/// The finding for a file that could not be read as text (`shown` is its
/// display path), or `None` when the rule is disabled.
pub fn on_load_error(shown: &str, err: &LoadError, settings: &RuleSettings) -> Option<Finding> {
    let meta = meta();
    if !settings.is_enabled(&meta.code) {
        return None;
    }
    let span = err.offset().map(Span::empty);
    let mut f = Finding::new(&meta.code, &meta.id, settings.severity(meta), shown, "", span, err.to_string());
    // The text is not kept, but the loader counted lines up to the bad
    // byte: point there, not at 1:1.
    if let Some((line, column)) = err.line_col() {
        (f.line, f.column, f.end_line, f.end_column) = (line, column, line, column);
    }
    Some(f)
}

/// One finding per parse problem the extraction of `file` reported.
pub fn on_problems(file: &SourceFile, extraction: &Extraction, settings: &RuleSettings) -> Vec<Finding> {
    let kind = extraction.kind.as_ref().map(crate::source::Kind::as_str);
    let path = file.display_path();
    extraction
        .problems
        .iter()
        .filter_map(|p| {
            super::file_finding("config-parse-error", settings, &path, &file.text, p.span, kind, p.message.clone())
        })
        .collect()
}
