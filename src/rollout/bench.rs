//! Reading `cfglint bench --format json` (version 1) for risk: the keys
//! docs/bench.md documents, read loosely (every key optional, unknown keys
//! ignored), so bench can add figures without breaking rollout.
//!
//! Position: input to [`super::risk`].

use serde::Deserialize;

/// The parts of a bench report that feed risk.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BenchReport {
    /// Format version (1).
    pub version: Option<u64>,
    /// One entry per rule.
    pub rules: Vec<BenchRule>,
}

/// One rule's figures.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BenchRule {
    /// Rule id (a string or a number).
    pub id: serde_json::Value,
    /// The rule file, as bench was given it.
    pub file: Option<String>,
    /// `block`, `log` or `allow`.
    pub action: Option<String>,
    /// Budgets from cfglint.toml the figures exceed.
    pub budget_exceeded: Vec<String>,
    /// Worst case over attack strings.
    pub worst_case: Option<WorstCase>,
    /// The rule's own tests.
    pub tests: Option<Tests>,
    /// Why the rule could not be measured.
    pub error: Option<String>,
    /// Figures worse than at the baseline.
    pub regressions: Vec<Regression>,
}

/// Worst-case growth.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WorstCase {
    /// `linear`, `polynomial`, `exponential` or `unknown`.
    pub complexity: Option<String>,
    /// Polynomial degree.
    pub degree: Option<u32>,
}

/// Test counts.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Tests {
    /// Passed.
    pub passed: u64,
    /// Failed.
    pub failed: u64,
}

/// A figure that got worse than at the baseline.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Regression {
    /// JSON path of the figure.
    pub figure: String,
    /// Value at the baseline.
    pub before: Option<f64>,
    /// Value now.
    pub after: Option<f64>,
    /// A wall-clock figure (noisy: not counted).
    pub timing: bool,
}

impl BenchReport {
    /// Parse bench JSON.
    pub fn from_json(text: &str) -> Result<BenchReport, String> {
        let report: BenchReport = serde_json::from_str(text).map_err(|e| e.to_string())?;
        match report.version {
            Some(1) | None => Ok(report),
            Some(v) => Err(format!("unsupported bench JSON version {v} (this cfglint reads version 1)")),
        }
    }

    /// The rules measured in the file at repository path `path`. Bench
    /// records files as it was given them (relative to where it ran, or
    /// absolute), so a rule belongs to `path` when either path ends with
    /// the other at a `/` boundary.
    pub fn rules_for<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a BenchRule> + 'a {
        self.rules.iter().filter(move |r| r.file.as_deref().is_some_and(|f| same_file(f, path)))
    }
}

impl BenchRule {
    /// The id as text.
    pub fn id_text(&self) -> String {
        match &self.id {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => "?".to_owned(),
            other => other.to_string(),
        }
    }
}

fn same_file(bench: &str, repo: &str) -> bool {
    let clean = |s: &str| -> String {
        let s = s.replace('\\', "/");
        let mut s = s.as_str();
        while let Some(rest) = s.strip_prefix("./") {
            s = rest;
        }
        s.to_owned()
    };
    let (a, b) = (clean(bench), clean(repo));
    let ends = |long: &str, short: &str| long == short || long.ends_with(&format!("/{short}"));
    ends(&a, &b) || ends(&b, &a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_parse_and_matching() {
        let r = BenchReport::from_json(
            r#"{"version": 1, "rules": [
                {"id": 100001, "file": "./waf/rules.yaml", "budget_exceeded": ["max_steps_per_byte"], "new_key": 1,
                 "worst_case": {"complexity": "polynomial", "degree": 3, "points": []}},
                {"id": "x", "file": "/abs/checkout/waf/rules.yaml"},
                {"id": "y", "file": "other/rules.yaml"}
            ], "summary": {}}"#,
        )
        .unwrap();
        let ids: Vec<String> = r.rules_for("waf/rules.yaml").map(BenchRule::id_text).collect();
        assert_eq!(ids, ["100001", "x"]);
        assert_eq!(r.rules[0].worst_case.as_ref().and_then(|w| w.degree), Some(3));
        assert!(BenchReport::from_json(r#"{"version": 2}"#).unwrap_err().contains("version 2"));
        assert!(BenchReport::from_json("{").is_err());
        assert!(BenchReport::from_json("{}").unwrap().rules.is_empty());
        assert!(!same_file("rules.yaml", "myrules.yaml"));
    }
}
