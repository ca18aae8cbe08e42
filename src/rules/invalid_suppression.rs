//! CL101 invalid-suppression: a `cfglint: allow` comment that cannot be
//! read (no rule, an unknown rule, no reason, a bad date, nothing after it
//! to cover). A file-level rule: `lint::suppress` scans the comments and
//! calls this builder for each one it could not read.

use crate::finding::Finding;
use crate::source::Span;

use super::RuleSettings;

/// The finding for an unreadable suppression comment at `span` of the file
/// `path` (whose `text` is given), or `None` when the rule is disabled.
pub fn finding(
    path: &str,
    text: &str,
    span: Span,
    why: &str,
    kind: Option<&str>,
    settings: &RuleSettings,
) -> Option<Finding> {
    super::file_finding("invalid-suppression", settings, path, text, span, kind, format!("invalid suppression: {why}"))
}
