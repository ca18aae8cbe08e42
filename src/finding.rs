//! The finding: one problem at one place, as data. Every reporter (human,
//! JSON, SARIF, GitHub) renders from this model and nothing else.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::analysis::Attack;
use crate::source::{Flavor, LineIndex, Semantics, Span};
use crate::verify::engine::EngineCheck;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; never fails a run unless `--fail-on note`.
    Note,
    /// Likely a problem.
    Warning,
    /// A problem that must be fixed before the change ships.
    Error,
}

impl Severity {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "note" | "info" => Ok(Severity::Note),
            "warning" | "warn" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            other => Err(format!("unknown severity `{other}` (expected error, warning or note)")),
        }
    }
}

pub use crate::analysis::candidates::Complexity;

/// A secondary place a finding points at (in file bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What this place is ("this loop", "overlaps with this `.*`").
    pub message: String,
}

/// Backtracking evidence: the verdict, the attack and the measured steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The verdict.
    pub complexity: Complexity,
    /// Polynomial degree (2 for O(n²)).
    pub degree: Option<u32>,
    /// The attack string, when one was built.
    pub attack: Option<Attack>,
    /// True when the step-counting simulator confirmed the growth.
    pub confirmed: bool,
    /// Measured (pump count n, steps) pairs.
    pub steps: Vec<(u64, u64)>,
    /// The replay on the real engine (PCRE2 for `pcre`), when one ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<EngineCheck>,
    /// CL010 only: the largest upper bound of the counted repetitions that
    /// keep the blow-up linear. `complexity` and `degree` are then the
    /// growth within the bounds, and `steps` the real pattern's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bound: Option<u32>,
}

/// What a change did to a pattern (set by `cfglint diff`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// `added`, `modified` or `improved`.
    pub change: ChangeKind,
    /// The verdict before the change, for modified patterns.
    pub before: Option<Before>,
}

/// Whether a pattern is new or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// The pattern did not exist at the base revision.
    Added,
    /// The pattern existed and its text or context changed.
    Modified,
    /// The pattern changed for the better (a backtracking finding gone or
    /// less severe): reported as a note that never fails a run.
    Improved,
}

/// The verdict on a pattern at the base revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Before {
    /// Complexity before.
    pub complexity: Complexity,
    /// Degree before.
    pub degree: Option<u32>,
}

/// One problem at one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable rule code, e.g. `CL001`.
    pub code: String,
    /// Rule name, e.g. `exponential-backtracking`.
    pub rule: String,
    /// Severity after configuration.
    pub severity: Severity,
    /// The file, as the user should see it (`/` separators).
    pub file: String,
    /// The primary span in file bytes (`None` for a whole-file finding).
    pub span: Option<Span>,
    /// 1-based line of the span start.
    pub line: usize,
    /// 1-based column (characters) of the span start.
    pub column: usize,
    /// 1-based line of the span end.
    pub end_line: usize,
    /// 1-based column of the span end.
    pub end_column: usize,
    /// Key path of the pattern in the config.
    pub key: Option<String>,
    /// The kind of file.
    pub kind: Option<String>,
    /// The decoded pattern.
    pub pattern: Option<String>,
    /// The flavor assumed.
    pub flavor: Option<Flavor>,
    /// The flags the source applies outside the pattern text, as letters in
    /// `imsxu` order (uap-core `regex_flag`, `.ra` `##!+`, nginx `~*`,
    /// JavaScript `/…/i`); `""` when none. Inline groups such as `(?i)`
    /// stay in the pattern. `None` on findings about no pattern.
    #[serde(default)]
    pub flags: Option<String>,
    /// How the engine applies the pattern (search, anchored-start,
    /// full-match). `None` on findings about no pattern.
    #[serde(default)]
    pub semantics: Option<Semantics>,
    /// The rule id of the config rule that owns the pattern (SecLang id...).
    pub rule_id: Option<String>,
    /// One-sentence message.
    pub message: String,
    /// Label for the primary span.
    pub primary_label: Option<String>,
    /// Secondary places.
    pub labels: Vec<Label>,
    /// How to fix it.
    pub help: Option<String>,
    /// Extra facts (approximations, budgets).
    pub notes: Vec<String>,
    /// Backtracking evidence.
    pub evidence: Option<Evidence>,
    /// What a diff did to the pattern.
    pub change: Option<Change>,
    /// A proven fix (CL001/CL002): a rewrite proven equivalent and linear.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<crate::fix::Fix>,
    /// Why a CL001/CL002 finding has no proven fix, when fixes were
    /// searched for (`check --suggest-fixes`, `cfglint fix`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_fix: Option<String>,
    /// Stable across runs and unrelated edits (no line numbers in it).
    pub fingerprint: String,
}

impl Finding {
    /// True for `cfglint diff`'s note that a change made a regex better
    /// (see [`ChangeKind::Improved`]); such a note never fails a run.
    pub fn is_improvement(&self) -> bool {
        self.change.as_ref().is_some_and(|c| c.change == ChangeKind::Improved)
    }

    /// Start a finding for `code`/`rule` in `file` at `span`, computing line
    /// and column from `text` and a fingerprint from the parts that identify
    /// it. Fill in the rest with the builder-style setters.
    pub fn new(
        code: &str,
        rule: &str,
        severity: Severity,
        file: &str,
        text: &str,
        span: Option<Span>,
        message: impl Into<String>,
    ) -> Self {
        let index = LineIndex::new(text);
        let (line, column, end_line, end_column) = match span {
            Some(s) => {
                let (l, c) = index.line_col(text, s.start);
                let (el, ec) = index.line_col(text, s.end);
                (l, c, el, ec)
            }
            None => (1, 1, 1, 1),
        };
        let mut f = Finding {
            code: code.to_owned(),
            rule: rule.to_owned(),
            severity,
            file: file.to_owned(),
            span,
            line,
            column,
            end_line,
            end_column,
            key: None,
            kind: None,
            pattern: None,
            flavor: None,
            flags: None,
            semantics: None,
            rule_id: None,
            message: message.into(),
            primary_label: None,
            labels: Vec::new(),
            help: None,
            notes: Vec::new(),
            evidence: None,
            change: None,
            fix: None,
            no_fix: None,
            fingerprint: String::new(),
        };
        f.refresh_fingerprint();
        f
    }

    /// Recompute the fingerprint from code, file, key, rule id and pattern
    /// (or, without a key, the message). Line numbers are left out so the
    /// fingerprint survives unrelated edits above the finding.
    pub fn refresh_fingerprint(&mut self) {
        let mut h = Fnv64::new();
        h.write(self.code.as_bytes());
        h.write(b"\0");
        h.write(self.file.as_bytes());
        h.write(b"\0");
        if let Some(k) = &self.key {
            h.write(k.as_bytes());
        } else {
            h.write(self.message.as_bytes());
        }
        h.write(b"\0");
        if let Some(p) = &self.pattern {
            h.write(p.as_bytes());
        }
        self.fingerprint = format!("{:016x}", h.finish());
    }

    /// The sort key that makes output deterministic: file, offset, code.
    pub fn sort_key(&self) -> (String, usize, String, usize) {
        (self.file.clone(), self.span.map_or(0, |s| s.start), self.code.clone(), self.span.map_or(0, |s| s.end))
    }
}

/// Sort findings deterministically (file, offset, rule code).
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()).then_with(|| a.message.cmp(&b.message)));
}

/// FNV-1a, 64-bit: a stable hash (std's hasher may change between releases,
/// which would change fingerprints stored in baselines).
#[derive(Debug, Clone, Copy)]
pub struct Fnv64(u64);

impl Fnv64 {
    /// A fresh hasher.
    pub fn new() -> Self {
        Fnv64(0xcbf2_9ce4_8422_2325)
    }

    /// Feed bytes.
    pub fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    /// The hash.
    pub fn finish(self) -> u64 {
        self.0
    }
}

impl Default for Fnv64 {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_ignores_line_moves() {
        let text_a = "rules:\n  - pattern: '(a+)+$'\n";
        let text_b = "# added comment\nrules:\n  - pattern: '(a+)+$'\n";
        let mut a = Finding::new("CL001", "x", Severity::Error, "f.yaml", text_a, Some(Span::new(19, 25)), "m");
        let mut b = Finding::new("CL001", "x", Severity::Error, "f.yaml", text_b, Some(Span::new(35, 41)), "m");
        a.key = Some("rules[0].pattern".into());
        b.key = Some("rules[0].pattern".into());
        a.refresh_fingerprint();
        b.refresh_fingerprint();
        assert_eq!(a.fingerprint, b.fingerprint);
        assert_eq!((a.line, b.line), (2, 3));
    }

    #[test]
    fn complexity_rank() {
        assert!(Complexity::Exponential.rank(None) > Complexity::Polynomial.rank(Some(9)));
        assert!(Complexity::Polynomial.rank(Some(3)) > Complexity::Polynomial.rank(Some(2)));
        assert_eq!(Complexity::Polynomial.big_o(Some(3)), "O(n³)");
    }
}
