//! CL009 internal-error: cfglint itself panicked on a pattern or a file.
//! The panic is caught (`lint::guard`), turned into this finding and the
//! run goes on; the CLI exits 2 whenever one is reported, so an internal
//! error is never a silent pass.

use crate::finding::Finding;

use super::{PatternContext, RuleMeta, RuleSettings};

/// The rule id of internal errors.
pub const ID: &str = "internal-error";

/// True when `f` reports an internal error (a caught panic).
pub fn is_internal_error(f: &Finding) -> bool {
    f.rule == ID
}

/// The finding for a panic raised by `rule` on the pattern in `cx`.
pub fn on_pattern(cx: &PatternContext<'_>, rule: &RuleMeta, message: &str) -> Finding {
    let meta = super::meta(ID);
    let mut f =
        cx.finding(meta, None, format!("internal error while analysing this pattern, please report: {message}"));
    f.notes.push(format!("raised while running {} ({}); the pattern's other rules were skipped", rule.code, rule.id));
    f.help = Some(help());
    f
}

/// The finding for a panic while analysing the file `shown` (whose text is
/// `text`).
pub fn on_file(shown: &str, text: &str, message: &str, settings: &RuleSettings) -> Finding {
    let meta = super::meta(ID);
    let mut f = Finding::new(
        &meta.code,
        &meta.id,
        settings.severity(meta),
        shown,
        text,
        None,
        format!("internal error while analysing this file, please report: {message}"),
    );
    f.help = Some(help());
    f
}

fn help() -> String {
    "this is a bug in cfglint, not in the config: please report it with the pattern (or file) and \
     `cfglint --version`; run with RUST_BACKTRACE=1 for a backtrace"
        .to_owned()
}
