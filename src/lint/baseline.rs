//! Baselines: record today's findings so that `cfglint check --baseline`
//! reports only new ones.
//!
//! Pipeline position: after linting, before rendering (`cli::commands::check`).
//!
//! The file is JSON, version 1, sorted and deduplicated so it diffs well in
//! review:
//!
//! ```json
//! {"version": 1, "fingerprints": [
//!   {"fingerprint": "9f3c…", "code": "CL002", "file": "waf/rules.yaml", "key": "rules[3].pattern"}
//! ]}
//! ```
//!
//! Matching is by `Finding::fingerprint` (code, file, key and pattern; no
//! line numbers), so a baseline survives edits elsewhere in the file and
//! stops covering a finding as soon as its pattern changes. `code`, `file`
//! and `key` are there for people reading the file. Writes are atomic
//! (temporary file, then rename).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::finding::Finding;

/// The format version written and understood.
pub const VERSION: u32 = 1;

/// Why a baseline could not be read or written.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be read or written.
    #[error("cannot {action} baseline {path}: {source}")]
    #[diagnostic(code(cfglint::baseline::io))]
    Io {
        /// `read` or `write`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a baseline.
    #[error("{path} is not a cfglint baseline: {message}")]
    #[diagnostic(code(cfglint::baseline::invalid), help("write one with `cfglint check --write-baseline FILE`"))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// One recorded finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Entry {
    /// `Finding::fingerprint`.
    pub fingerprint: String,
    /// Rule code, for people.
    pub code: String,
    /// File, for people.
    pub file: String,
    /// Key path of the pattern, for people.
    pub key: Option<String>,
}

/// A set of accepted findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    /// Format version.
    pub version: u32,
    /// The findings, sorted by file, code, key, fingerprint.
    pub fingerprints: Vec<Entry>,
}

impl Baseline {
    /// A baseline holding every finding given.
    pub fn from_findings(findings: &[Finding]) -> Baseline {
        let set: BTreeSet<(String, String, Option<String>, String)> =
            findings.iter().map(|f| (f.file.clone(), f.code.clone(), f.key.clone(), f.fingerprint.clone())).collect();
        let fingerprints =
            set.into_iter().map(|(file, code, key, fingerprint)| Entry { fingerprint, code, file, key }).collect();
        Baseline { version: VERSION, fingerprints }
    }

    /// The file's text: pretty JSON, one entry per line group, ending in a
    /// newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a baseline serializes");
        s.push('\n');
        s
    }

    /// Parse a baseline file's text.
    pub fn parse(path: &Path, text: &str) -> Result<Baseline, Error> {
        let invalid = |message: String| Error::Invalid { path: path.to_path_buf(), message };
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
        match value.get("version").and_then(serde_json::Value::as_u64) {
            Some(v) if v == u64::from(VERSION) => {}
            Some(v) => {
                return Err(invalid(format!("version {v} is not supported (this cfglint reads version {VERSION})")));
            }
            None => return Err(invalid("no `version` field".to_owned())),
        }
        serde_json::from_value(value).map_err(|e| invalid(e.to_string()))
    }

    /// Read a baseline file.
    pub fn load(path: &Path) -> Result<Baseline, Error> {
        let text = crate::fsutil::read_regular_text(path, crate::fsutil::INPUT_CAP).map_err(|e| Error::Io {
            action: "read",
            path: path.to_path_buf(),
            source: e.into_io(),
        })?;
        Baseline::parse(path, &text)
    }

    /// Write the baseline atomically.
    pub fn write(&self, path: &Path) -> Result<(), Error> {
        crate::fsutil::write_output(path, self.to_json().as_bytes()).map_err(|source| Error::Io {
            action: "write",
            path: path.to_path_buf(),
            source,
        })
    }

    /// True when the finding is recorded.
    pub fn contains(&self, finding: &Finding) -> bool {
        self.fingerprints.iter().any(|e| e.fingerprint == finding.fingerprint)
    }

    /// The findings not recorded in the baseline.
    pub fn filter(&self, findings: Vec<Finding>) -> Vec<Finding> {
        let known: BTreeSet<&str> = self.fingerprints.iter().map(|e| e.fingerprint.as_str()).collect();
        findings.into_iter().filter(|f| !known.contains(f.fingerprint.as_str())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Severity;
    use crate::source::Span;

    fn finding(text: &str, needle: &str, key: &str) -> Finding {
        let start = text.find(needle).expect("needle in text");
        let mut f = Finding::new(
            "CL002",
            "polynomial-backtracking",
            Severity::Error,
            "waf.yaml",
            text,
            Some(Span::new(start, start + needle.len())),
            "m",
        );
        f.key = Some(key.to_owned());
        f.pattern = Some(needle.to_owned());
        f.refresh_fingerprint();
        f
    }

    #[test]
    fn round_trips_sorted_and_deduplicated() {
        let text = "rules:\n  - pattern: 'b.*.*='\n  - pattern: 'a.*.*='\n";
        let fs = [
            finding(text, "b.*.*=", "rules[0].pattern"),
            finding(text, "a.*.*=", "rules[1].pattern"),
            finding(text, "a.*.*=", "rules[1].pattern"),
        ];
        let b = Baseline::from_findings(&fs);
        assert_eq!(b.fingerprints.len(), 2);
        assert_eq!(b.fingerprints[0].key.as_deref(), Some("rules[0].pattern"));
        let text_out = b.to_json();
        assert_eq!(Baseline::parse(Path::new("b.json"), &text_out).expect("parses"), b);
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("baseline.json");
        b.write(&path).expect("written");
        assert_eq!(Baseline::load(&path).expect("loads"), b);
    }

    #[test]
    fn survives_unrelated_edits_above_the_pattern() {
        let before = "rules:\n  - pattern: 'a.*.*='\n";
        let after = "# a new comment\n# and another\nrules:\n  - pattern: 'a.*.*='\n";
        let b = Baseline::from_findings(&[finding(before, "a.*.*=", "rules[0].pattern")]);
        let moved = finding(after, "a.*.*=", "rules[0].pattern");
        assert_eq!(moved.line, 4);
        assert!(b.filter(vec![moved]).is_empty());
        // Changing the pattern makes it a new finding.
        let changed = finding("rules:\n  - pattern: 'a.*.*=x'\n", "a.*.*=x", "rules[0].pattern");
        assert_eq!(b.filter(vec![changed]).len(), 1);
    }

    #[test]
    fn rejects_what_is_not_a_baseline() {
        for (text, why) in [
            ("not json", "expected"),
            ("{}", "no `version`"),
            ("{\"version\": 2, \"fingerprints\": []}", "version 2"),
            ("{\"version\": 1}", "missing field"),
        ] {
            let err = Baseline::parse(Path::new("b.json"), text).expect_err(text).to_string();
            assert!(err.contains(why), "{text}: {err}");
        }
        let err = Baseline::load(Path::new("/nonexistent/b.json")).expect_err("missing file").to_string();
        assert!(err.contains("cannot read baseline"), "{err}");
    }
}
