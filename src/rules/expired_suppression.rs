//! CL102 expired-suppression: a `cfglint: allow … until=DATE` comment past
//! its date. The findings it covered are reported again, and this finding
//! says why. A file-level rule: `lint::suppress` calls this builder.

use crate::finding::Finding;
use crate::source::Span;

use super::RuleSettings;

/// What an expired suppression said.
#[derive(Debug, Clone, Copy)]
pub struct Expired<'a> {
    /// The rule codes it covered.
    pub codes: &'a [String],
    /// Its `until` date, as written.
    pub until: &'a str,
    /// Its reason.
    pub reason: &'a str,
}

/// The finding for the expired suppression at `span` of the file `path`
/// (whose `text` is given), or `None` when the rule is disabled.
pub fn finding(
    path: &str,
    text: &str,
    span: Span,
    expired: Expired<'_>,
    kind: Option<&str>,
    settings: &RuleSettings,
) -> Option<Finding> {
    let message = format!(
        "suppression of {} expired on {} (reason given: \"{}\"); the findings it covered are reported again",
        expired.codes.join(", "),
        expired.until,
        expired.reason
    );
    let mut f = super::file_finding("expired-suppression", settings, path, text, span, kind, message)?;
    f.help = Some("fix the pattern, or extend `until` with a reason that still holds".to_owned());
    Some(f)
}
