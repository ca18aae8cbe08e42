//! Reporters: render [`Finding`]s as human diagnostics (miette), JSON
//! (version 1), SARIF 2.1.0 or GitHub workflow commands.
//!
//! Pipeline position: last. Every format renders from the same model;
//! output is deterministic (findings sorted by file, offset, code).

pub mod github;
pub mod human;
pub mod json;
pub mod sarif;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::finding::{Finding, Severity};

use serde::Serialize;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Diagnostics for people, with the pattern underlined in the file.
    #[default]
    Human,
    /// JSON, version 1 (see docs/output.md).
    Json,
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=…`).
    Github,
}

/// Run totals, reported with the findings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Files read.
    pub files: usize,
    /// Regexes found.
    pub regexes: usize,
    /// Findings reported.
    pub findings: usize,
    /// Wall-clock milliseconds for the run.
    pub elapsed_ms: u64,
    /// Paths that could not be read (reported as errors on stderr, not in
    /// JSON): the human summary then never says "no problems found".
    #[serde(skip)]
    pub unreadable: usize,
    /// Files and folders that ignore rules (`.gitignore`, `.ignore`, git's
    /// excludes) left out of the walk; a folder counts once (`check
    /// --no-ignore` reads them). In JSON only when not 0.
    #[serde(skip_serializing_if = "is_zero")]
    pub ignored: usize,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The text of every file findings may point into, by displayed path.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    texts: BTreeMap<String, Arc<str>>,
}

impl Sources {
    /// Record a file's text.
    pub fn insert(&mut self, path: &str, text: Arc<str>) {
        self.texts.insert(path.to_owned(), text);
    }

    /// A file's text.
    pub fn get(&self, path: &str) -> Option<&Arc<str>> {
        self.texts.get(path)
    }
}

/// Render findings in `format`. Deterministic for the same input (the
/// elapsed time in the summary aside).
pub fn render(format: Format, findings: &[Finding], summary: &Summary, sources: &Sources, color: bool) -> String {
    match format {
        Format::Human => human::render(findings, summary, sources, color),
        Format::Json => json::render(findings, summary, sources),
        Format::Sarif => sarif::render(findings, summary, sources),
        Format::Github => github::render(findings, summary),
    }
}
