//! Rules: each rule looks at one extracted pattern (or one file, for
//! CL100) and emits findings.
//!
//! Pipeline position: after `analysis` and `verify`, before `report`.
//! The prose of every rule lives in `rules/<name>.toml` at the crate root,
//! embedded at compile time ([`registry`]); the logic lives in one file per
//! rule here, listed once in [`RULES`].

mod analysis_inconclusive;
mod backtracking;
mod bounded_backtracking;
pub mod config_parse_error;
mod context;
pub mod expired_suppression;
mod exponential_backtracking;
pub mod internal_error;
mod invalid_regex;
pub mod invalid_suppression;
mod matches_everything;
mod polynomial_backtracking;
mod redundant_wildcard;
pub(crate) mod size_budget;
mod unsupported_in_flavor;

pub use backtracking::engine as backtracking_engine;
pub use bounded_backtracking::{REPORT_FROM as BOUNDED_REPORT_FROM, WARN_FROM as BOUNDED_WARN_FROM};
pub use context::{DEFAULT_MAX_NFA_BYTES, DEFAULT_RUN_BUDGET, PatternContext, RuleSettings, RunState, verdict};
pub use size_budget::{NfaSize, measure_nfa};
pub use unsupported_in_flavor::Unsupported;

use std::sync::OnceLock;

use serde::Deserialize;

use crate::finding::{Finding, Severity};

/// The finding of a file-level rule (`id`) at `span` of the file `path`
/// (whose text is `text`), labelled with the file's `kind`; `None` when the
/// rule is disabled. CL100, CL101 and CL102 build theirs with it.
fn file_finding(
    id: &str,
    settings: &RuleSettings,
    path: &str,
    text: &str,
    span: crate::source::Span,
    kind: Option<&str>,
    message: String,
) -> Option<Finding> {
    let meta = meta(id);
    if !settings.is_enabled(&meta.code) {
        return None;
    }
    let mut f = Finding::new(&meta.code, &meta.id, settings.severity(meta), path, text, Some(span), message);
    f.kind = kind.map(str::to_owned);
    f.refresh_fingerprint();
    Some(f)
}

/// Metadata and documentation of a rule, from `rules/<name>.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RuleMeta {
    /// Kebab-case name, e.g. `exponential-backtracking`.
    pub id: String,
    /// Stable code, e.g. `CL001`. Never reused.
    pub code: String,
    /// `redos`, `correctness`, `suspicious`, `portability`, `style`, `nursery`.
    pub category: String,
    /// Severity unless configured otherwise.
    pub default_severity: Severity,
    /// `preview`, `stable`, `deprecated` or `removed`.
    pub status: String,
    /// Version that introduced the rule.
    pub since: String,
    /// One line.
    pub summary: String,
    /// What the rule detects.
    pub what: String,
    /// Why it matters and how to fix it.
    pub why: String,
    /// Patterns that do and do not trigger the rule.
    #[serde(default)]
    pub examples: Vec<Example>,
}

/// A documented example.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    /// A pattern that triggers the rule.
    pub bad: Option<String>,
    /// A pattern that does not.
    pub good: Option<String>,
    /// Why.
    pub note: Option<String>,
    /// The flavor the example assumes (default `pcre`).
    pub flavor: Option<crate::source::Flavor>,
    /// The semantics the example assumes (default `search`).
    pub semantics: Option<crate::source::Semantics>,
}

impl RuleMeta {
    /// A URL for the rule's documentation.
    pub fn url(&self) -> String {
        format!("https://github.com/cfglint/cfglint/blob/main/docs/rules.md#{}", self.id)
    }
}

/// The embedded rule documents, one per file in `rules/`.
const RULE_DOCS: &[(&str, &str)] = &[
    ("exponential-backtracking", include_str!("../../rules/exponential-backtracking.toml")),
    ("polynomial-backtracking", include_str!("../../rules/polynomial-backtracking.toml")),
    ("redundant-wildcard", include_str!("../../rules/redundant-wildcard.toml")),
    ("invalid-regex", include_str!("../../rules/invalid-regex.toml")),
    ("matches-everything", include_str!("../../rules/matches-everything.toml")),
    ("unsupported-in-flavor", include_str!("../../rules/unsupported-in-flavor.toml")),
    ("size-budget", include_str!("../../rules/size-budget.toml")),
    ("analysis-inconclusive", include_str!("../../rules/analysis-inconclusive.toml")),
    ("internal-error", include_str!("../../rules/internal-error.toml")),
    ("config-parse-error", include_str!("../../rules/config-parse-error.toml")),
    ("invalid-suppression", include_str!("../../rules/invalid-suppression.toml")),
    ("expired-suppression", include_str!("../../rules/expired-suppression.toml")),
    ("bounded-backtracking", include_str!("../../rules/bounded-backtracking.toml")),
];

/// Every rule's metadata, sorted by code.
pub fn registry() -> &'static [RuleMeta] {
    static REGISTRY: OnceLock<Vec<RuleMeta>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut v: Vec<RuleMeta> = RULE_DOCS
            .iter()
            .map(|(name, text)| {
                let meta: RuleMeta =
                    toml::from_str(text).unwrap_or_else(|e| panic!("rules/{name}.toml is invalid (a build bug): {e}"));
                assert_eq!(&meta.id, name, "rules/{name}.toml has a different id");
                meta
            })
            .collect();
        v.sort_by(|a, b| a.code.cmp(&b.code));
        v
    })
}

/// Look a rule up by code (`CL004`, case-insensitive) or name.
pub fn lookup(code_or_name: &str) -> Option<&'static RuleMeta> {
    registry().iter().find(|m| m.code.eq_ignore_ascii_case(code_or_name) || m.id == code_or_name)
}

/// The metadata for a rule id known at compile time.
pub fn meta(id: &str) -> &'static RuleMeta {
    registry().iter().find(|m| m.id == id).unwrap_or_else(|| panic!("no rules/{id}.toml (a build bug)"))
}

/// The rules reference as Markdown (`docs/rules.md` is generated from this;
/// a test fails when the file is stale).
pub fn docs_markdown() -> String {
    use std::fmt::Write as _;
    let mut s = String::from(
        "# cfglint rules\n\n<!-- Generated from rules/*.toml by `UPDATE_DOCS=1 cargo test --test docs`; do not edit. -->\n\n",
    );
    let _ = writeln!(s, "| code | name | category | default severity | summary |");
    let _ = writeln!(s, "| --- | --- | --- | --- | --- |");
    for m in registry() {
        let _ = writeln!(
            s,
            "| {} | [{}](#{}) | {} | {} | {} |",
            m.code, m.id, m.id, m.category, m.default_severity, m.summary
        );
    }
    for m in registry() {
        let _ = write!(
            s,
            "\n## {}\n\n`{}` · {} · default severity **{}** · {} since {}\n\n",
            m.id, m.code, m.category, m.default_severity, m.status, m.since
        );
        let _ = write!(
            s,
            "{}\n\n### What it finds\n\n{}\n\n### Why it matters\n\n{}\n",
            m.summary,
            m.what.trim(),
            m.why.trim()
        );
        if !m.examples.is_empty() {
            let _ = write!(s, "\n### Examples\n\n");
            for e in &m.examples {
                let note = e.note.as_deref().map(|n| format!(" — {n}")).unwrap_or_default();
                if let Some(b) = &e.bad {
                    let _ = writeln!(s, "- bad: `{b}`{note}");
                }
                if let Some(g) = &e.good {
                    let _ = writeln!(s, "- good: `{g}`{note}");
                }
            }
        }
    }
    s
}

/// A rule over one extracted pattern.
pub trait Rule: Sync {
    /// The rule's metadata.
    fn meta(&self) -> &'static RuleMeta;
    /// Emit findings for the pattern in `cx`.
    fn check(&self, cx: &PatternContext<'_>, out: &mut Vec<Finding>);
}

/// Every pattern rule, in code order. (CL009 and CL100 are emitted by the
/// pipeline, not by a rule; CL001/CL002 come with the backtracking
/// analysis.)
pub static RULES: &[&dyn Rule] = &[
    &exponential_backtracking::ExponentialBacktracking,
    &polynomial_backtracking::PolynomialBacktracking,
    &redundant_wildcard::RedundantWildcard,
    &invalid_regex::InvalidRegex,
    &matches_everything::MatchesEverything,
    &unsupported_in_flavor::UnsupportedInFlavor,
    &size_budget::SizeBudget,
    &analysis_inconclusive::AnalysisInconclusive,
    &bounded_backtracking::BoundedBacktracking,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_consistent() {
        let reg = registry();
        assert_eq!(reg.len(), RULE_DOCS.len());
        let mut codes: Vec<&str> = reg.iter().map(|m| m.code.as_str()).collect();
        codes.dedup();
        assert_eq!(codes.len(), reg.len(), "duplicate rule codes");
        for m in reg {
            assert!(m.code.starts_with("CL") && m.code.len() == 5, "{}", m.code);
            assert!(!m.summary.is_empty() && !m.what.is_empty() && !m.why.is_empty());
            assert!(!m.id.starts_with("no-") && !m.id.starts_with("avoid-"));
        }
        assert_eq!(lookup("cl004").map(|m| m.id.as_str()), Some("invalid-regex"));
        assert_eq!(lookup("invalid-regex").map(|m| m.code.as_str()), Some("CL004"));
    }

    #[test]
    fn rule_docs_match_files_on_disk() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .expect("rules/ exists")
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".toml")).map(str::to_owned))
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = RULE_DOCS.iter().map(|(n, _)| (*n).to_owned()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded, "rules/*.toml and RULE_DOCS must match one to one");
    }
}
