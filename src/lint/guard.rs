//! One panic never ends the run: a panic while analysing a file or a
//! pattern becomes a CL009 `internal-error` finding on that file or
//! pattern, and the run goes on with the others.
//!
//! Pipeline position: [`crate::lint`] wraps each file (extraction, rules,
//! suppressions) and each pattern's rules in [`catch`]. The CLI exits with
//! code 2 when any finding is an internal error (see [`is_internal_error`]),
//! whatever `--fail-on` or the baseline say: an internal error is never a
//! silent pass.
//!
//! The default panic hook still prints the panic's location on stderr (and
//! a backtrace with `RUST_BACKTRACE=1`), so a report stays debuggable.
//!
//! Testing: in debug builds only (`cfg(debug_assertions)`, so never from a
//! release build's input), the environment variable `CFGLINT_DEBUG_PANIC`
//! makes the pipeline panic on purpose: `pattern:TEXT` panics in the rules
//! of every pattern that contains `TEXT`, `file:TEXT` while analysing every
//! file whose shown path contains `TEXT`.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use crate::finding::Finding;
use crate::lint::{FileResult, LintOptions};
use crate::rules::{self, PatternContext, RuleMeta};
use crate::source::{Extraction, SourceFile};

pub use crate::rules::internal_error::{ID as INTERNAL_ERROR, is_internal_error};

/// Run `f`; a panic inside it becomes `Err` with the panic's message.
///
/// `AssertUnwindSafe` is sound for the callers here: what a panicking
/// closure may leave half-done (a pattern's lazily computed analyses, a
/// file's partial findings) is dropped, never read again. The run-wide
/// verdict memo is a `OnceLock` that stays empty when its computation
/// panics, and its mutex is not held while computing.
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| panic_message(payload.as_ref()))
}

/// The text of a panic payload (`panic!` with a literal or a format).
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

/// The CL009 finding for a panic raised by `rule` on the pattern in `cx`.
pub(crate) fn pattern_finding(cx: &PatternContext<'_>, rule: &RuleMeta, message: &str) -> Finding {
    rules::internal_error::on_pattern(cx, rule, message)
}

/// The result for a file whose analysis panicked: one CL009 finding on the
/// file, nothing extracted.
pub(crate) fn file_result(file: &SourceFile, message: &str, opts: &LintOptions) -> FileResult {
    let shown = file.display_path();
    let f = rules::internal_error::on_file(&shown, &file.text, message, &opts.rules);
    FileResult {
        path: shown,
        text: Arc::from(file.text.as_str()),
        extraction: Extraction::default(),
        findings: vec![f],
    }
}

/// Where [`debug_trigger`] is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Site {
    /// In a pattern's rules; the text is the pattern.
    Pattern,
    /// In a file's analysis; the text is its shown path.
    File,
}

/// Panic on purpose when `CFGLINT_DEBUG_PANIC` names this site and `text`
/// (debug builds only; a no-op in release builds).
#[cfg(debug_assertions)]
pub(crate) fn debug_trigger(site: Site, text: &str) {
    use std::sync::OnceLock;
    static TRIGGER: OnceLock<Option<(Site, String)>> = OnceLock::new();
    let trigger = TRIGGER.get_or_init(|| {
        let v = std::env::var("CFGLINT_DEBUG_PANIC").ok()?;
        if let Some(t) = v.strip_prefix("pattern:") {
            Some((Site::Pattern, t.to_owned()))
        } else {
            v.strip_prefix("file:").map(|t| (Site::File, t.to_owned()))
        }
    });
    if let Some((s, t)) = trigger
        && *s == site
        && text.contains(t.as_str())
    {
        panic!(
            "CFGLINT_DEBUG_PANIC={}:{t} (a deliberate panic for testing)",
            if site == Site::File { "file" } else { "pattern" }
        );
    }
}

/// Release builds: never panics.
#[cfg(not(debug_assertions))]
pub(crate) fn debug_trigger(_site: Site, _text: &str) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_messages() {
        assert_eq!(catch(|| 7), Ok(7));
        assert_eq!(catch(|| -> u8 { panic!("boom") }), Err("boom".to_owned()));
        let n = 3;
        assert_eq!(catch(|| -> u8 { panic!("boom {n}") }), Err("boom 3".to_owned()));
        assert_eq!(catch(|| -> u8 { std::panic::panic_any(5_u32) }), Err("a panic without a message".to_owned()));
    }
}
