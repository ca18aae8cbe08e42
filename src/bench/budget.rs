//! `[bench]` in cfglint.toml: the limits a run works under and the budgets
//! that turn figures into findings.
//!
//! Where it sits: read once per run from the config's text (the config
//! loader keeps the section as a raw value for this module), with spans,
//! so a bad value is reported at its place in cfglint.toml.
//!
//! ```toml
//! [bench]
//! corpus = ["traffic/benign.txt"]   # default corpora, relative to cfglint.toml
//! step-limit = 10_000_000           # steps one match may take
//! rule-step-budget = 200_000_000    # steps one rule may spend on the corpus
//! worst-case-step-budget = 5_000_000
//! worst-case-max-bytes = 8192
//! regression-threshold = 0.2        # --baseline: flag changes over 20 %
//! min-time-ms = 10                  # CPU time of linear throughput samples per rule
//! max-steps-per-byte = 20           # budget: p99 PCRE2 steps per input byte
//! max-us-per-kb = 50                # budget: linear engine µs per KiB
//! max-benign-match-rate = 0.01      # budget: share of benign inputs matched
//! max-steps-at-4kb = 1e7            # budget: worst case at a 4 KB request
//! max-seconds-at-4kb = 0.1          # budget: the same, in estimated seconds
//! max-limit-hits = 0                # budget: inputs stopped by the step limit
//! min-fail-open-bytes = 4096        # budget: smallest attack that reaches ModSecurity's PCRE limits
//! pcre-match-limit = 1000           # SecPcreMatchLimit (else the rule files', else 1000)
//! pcre-match-limit-recursion = 1000 # SecPcreMatchLimitRecursion
//! max-corpus-bytes = 536_870_912    # largest corpus read from one --corpus path
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::worst;
use crate::config::{self, Config, Spanned};

/// Limits and budgets for one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Corpora named in cfglint.toml (used when `--corpus` is not given).
    pub corpus: Vec<PathBuf>,
    /// Steps one match may take.
    pub step_limit: u64,
    /// Steps one rule may spend over the whole corpus.
    pub rule_step_budget: u64,
    /// The worst-case probe's limits.
    pub worst: worst::Options,
    /// Take linear throughput samples until this much CPU time has passed
    /// (and at least `linear::MIN_SAMPLES`).
    pub min_time: Duration,
    /// Most linear throughput samples.
    pub max_samples: u32,
    /// Relative change that counts as a regression against `--baseline`.
    pub regression_threshold: f64,
    /// How many of the costliest rules the SVG plot shows.
    pub plot_rules: usize,
    /// Budgets.
    pub budgets: Budgets,
    /// The engine's own limits as ModSecurity runs PCRE in production
    /// (`SecPcreMatchLimit`, `SecPcreMatchLimitRecursion`).
    pub production: ProductionLimits,
    /// The system PCRE2 whose JIT gives the `fail_open_jit` figures
    /// (`pcre2-jit`: `auto`, `off` or a library path).
    pub pcre2_jit: crate::engine::JitChoice,
    /// How much of a corpus is read (`max-corpus-bytes`), and how much is
    /// held in memory at once.
    pub corpus_limits: super::corpus::Limits,
}

/// ModSecurity's PCRE limits. When a match reaches one, ModSecurity gives
/// up on it: the rule does not fire (it fails open) and an error is
/// logged ("Execution error - PCRE limits exceeded").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProductionLimits {
    /// `SecPcreMatchLimit` (PCRE2's match limit).
    pub match_limit: u32,
    /// `SecPcreMatchLimitRecursion` (PCRE2's depth limit).
    pub recursion_limit: u32,
    /// Set by cfglint.toml: rule files' own directives do not override it.
    pub from_config: bool,
}

/// ModSecurity's defaults for both limits (1000; the value
/// `modsecurity.conf-recommended` sets too).
pub const MODSECURITY_DEFAULT_PCRE_LIMIT: u32 = 1000;

impl Default for ProductionLimits {
    fn default() -> Self {
        ProductionLimits {
            match_limit: MODSECURITY_DEFAULT_PCRE_LIMIT,
            recursion_limit: MODSECURITY_DEFAULT_PCRE_LIMIT,
            from_config: false,
        }
    }
}

impl ProductionLimits {
    /// `SecPcreMatchLimit N` / `SecPcreMatchLimitRecursion N` in SecLang
    /// text (the last of each wins, as in ModSecurity).
    pub fn scan(text: &str) -> (Option<u32>, Option<u32>) {
        let (mut m, mut r) = (None, None);
        for line in text.lines() {
            let mut words = line.split_whitespace();
            let (Some(name), Some(value)) = (words.next(), words.next()) else { continue };
            let Ok(value) = value.trim_matches('"').parse::<u32>() else { continue };
            if name.eq_ignore_ascii_case("SecPcreMatchLimit") {
                m = Some(value);
            } else if name.eq_ignore_ascii_case("SecPcreMatchLimitRecursion") {
                r = Some(value);
            }
        }
        (m, r)
    }

    /// Apply limits found in rule files, unless cfglint.toml set them.
    pub fn apply(&mut self, (m, r): (Option<u32>, Option<u32>)) {
        if self.from_config {
            return;
        }
        if let Some(m) = m {
            self.match_limit = m;
        }
        if let Some(r) = r {
            self.recursion_limit = r;
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            corpus: Vec::new(),
            step_limit: 10_000_000,
            rule_step_budget: 200_000_000,
            worst: worst::Options { step_budget: 5_000_000, max_bytes: 8192, report_bytes: 4096 },
            min_time: Duration::from_millis(10),
            max_samples: 20,
            regression_threshold: 0.2,
            plot_rules: 8,
            budgets: Budgets::default(),
            production: ProductionLimits::default(),
            pcre2_jit: crate::engine::JitChoice::Auto,
            corpus_limits: super::corpus::Limits::default(),
        }
    }
}

/// Budgets: a figure above its budget is a finding (exit code 1). `None`:
/// no budget. [`Budgets::default`] holds the defaults a run applies when
/// cfglint.toml sets none (see docs/bench.md for how they were chosen).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budgets {
    /// p99 of backtracking steps per input byte.
    pub max_steps_per_byte: Option<f64>,
    /// Linear engine microseconds per KiB.
    pub max_us_per_kb: Option<f64>,
    /// Share of benign inputs matched (0..=1).
    pub max_benign_match_rate: Option<f64>,
    /// Worst-case steps at a 4 KB request.
    pub max_steps_at_4kb: Option<f64>,
    /// Worst-case estimated seconds at a 4 KB request.
    pub max_seconds_at_4kb: Option<f64>,
    /// Inputs stopped by the step limit.
    pub max_limit_hits: Option<f64>,
    /// Smallest attack, in bytes, that reaches ModSecurity's PCRE limits
    /// (the rule then fails open): below this, a finding.
    pub min_fail_open_bytes: Option<f64>,
}

/// Default `max-steps-at-4kb`: PCRE2 work (steps plus bytes scanned) of
/// the worst case at a 4 KB request. 1.2 × 4096²: reading the whole
/// request once from every start position, which is what the quadratic
/// CRS rules no one calls dangerous cost (≈1.7e7, measured; see
/// docs/bench.md, "Default budgets").
pub const DEFAULT_MAX_STEPS_AT_4KB: f64 = 2e7;

impl Default for Budgets {
    /// The defaults: the worst case at 4 KB and the step limit on the
    /// corpus are budgeted; throughput, match rate and estimated seconds
    /// depend on the machine or the traffic and are not.
    fn default() -> Self {
        Budgets {
            max_steps_per_byte: None,
            max_us_per_kb: None,
            max_benign_match_rate: None,
            max_steps_at_4kb: Some(DEFAULT_MAX_STEPS_AT_4KB),
            max_seconds_at_4kb: None,
            max_limit_hits: Some(0.0),
            min_fail_open_bytes: Some(4096.0),
        }
    }
}

/// The section as written.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct Section {
    corpus: Option<Vec<Spanned<String>>>,
    step_limit: Option<Spanned<f64>>,
    rule_step_budget: Option<Spanned<f64>>,
    worst_case_step_budget: Option<Spanned<f64>>,
    worst_case_max_bytes: Option<Spanned<f64>>,
    min_time_ms: Option<Spanned<f64>>,
    regression_threshold: Option<Spanned<f64>>,
    plot_rules: Option<Spanned<f64>>,
    max_steps_per_byte: Option<Spanned<f64>>,
    max_us_per_kb: Option<Spanned<f64>>,
    max_benign_match_rate: Option<Spanned<f64>>,
    max_steps_at_4kb: Option<Spanned<f64>>,
    max_seconds_at_4kb: Option<Spanned<f64>>,
    max_limit_hits: Option<Spanned<f64>>,
    min_fail_open_bytes: Option<Spanned<f64>>,
    pcre_match_limit: Option<Spanned<f64>>,
    pcre_match_limit_recursion: Option<Spanned<f64>>,
    pcre2_jit: Option<String>,
    max_corpus_bytes: Option<Spanned<f64>>,
}

/// Only `[bench]`; other sections are the config loader's business.
#[derive(Debug, Default, Deserialize)]
struct File {
    #[serde(default)]
    bench: Option<Section>,
}

impl Settings {
    /// Read `[bench]` from a loaded config (defaults when absent).
    pub fn from_config(config: &Config) -> Result<Settings, config::Error> {
        let Some(path) = config.path.as_deref() else { return Ok(Settings::default()) };
        if config.raw.bench.is_none() {
            return Ok(Settings::default());
        }
        Settings::parse(path, &config.text)
    }

    /// Read `[bench]` from cfglint.toml text.
    pub fn parse(path: &Path, text: &str) -> Result<Settings, config::Error> {
        let name = path.display().to_string();
        let invalid = |message: String, span: Option<std::ops::Range<usize>>| config::Error::Invalid {
            message,
            src: miette::NamedSource::new(name.clone(), text.to_owned()),
            span: span.map(|r| (r.start, r.end - r.start).into()),
        };
        let file: File = toml::from_str(text).map_err(|e| invalid(format!("[bench]: {}", e.message()), e.span()))?;
        let mut s = Settings::default();
        let Some(sec) = file.bench else { return Ok(s) };
        let root = path.parent().unwrap_or_else(|| Path::new("."));
        if let Some(list) = &sec.corpus {
            s.corpus = list.iter().map(|p| root.join(p.get_ref())).collect();
        }
        // A count or size: a whole number ≥ 1.
        let count = |v: &Option<Spanned<f64>>, key: &str| -> Result<Option<u64>, config::Error> {
            let Some(v) = v else { return Ok(None) };
            let x = *v.get_ref();
            if !(x >= 1.0 && x.fract() == 0.0 && x < 1e18) {
                return Err(invalid(format!("[bench] {key} must be a whole number ≥ 1, not {x}"), Some(v.span())));
            }
            Ok(Some(x as u64))
        };
        // A budget: a number ≥ 0 (rates at most 1); `inf` turns the
        // budget off; absent keeps the default.
        let budget = |v: &Option<Spanned<f64>>,
                      key: &str,
                      max: f64,
                      default: Option<f64>|
         -> Result<Option<f64>, config::Error> {
            let Some(v) = v else { return Ok(default) };
            let x = *v.get_ref();
            if x == f64::INFINITY && max.is_infinite() {
                return Ok(None);
            }
            if !(x.is_finite() && x >= 0.0 && x <= max) {
                let range = if max.is_finite() {
                    format!("between 0 and {max}")
                } else {
                    "≥ 0 (or `inf` for no budget)".to_owned()
                };
                return Err(invalid(format!("[bench] {key} must be a number {range}, not {x}"), Some(v.span())));
            }
            Ok(Some(x))
        };
        if let Some(x) = count(&sec.step_limit, "step-limit")? {
            s.step_limit = x;
        }
        if let Some(x) = count(&sec.rule_step_budget, "rule-step-budget")? {
            s.rule_step_budget = x;
        }
        if let Some(x) = count(&sec.worst_case_step_budget, "worst-case-step-budget")? {
            s.worst.step_budget = x;
        }
        if let Some(x) = count(&sec.worst_case_max_bytes, "worst-case-max-bytes")? {
            s.worst.max_bytes = usize::try_from(x).unwrap_or(usize::MAX);
        }
        if let Some(x) = budget(&sec.min_time_ms, "min-time-ms", f64::INFINITY, None)? {
            s.min_time = Duration::from_secs_f64(x / 1000.0);
        }
        if let Some(x) = budget(&sec.regression_threshold, "regression-threshold", f64::INFINITY, None)? {
            s.regression_threshold = x;
        }
        if let Some(text) = &sec.pcre2_jit {
            s.pcre2_jit = match crate::engine::JitChoice::parse(text) {
                crate::engine::JitChoice::Path(p) => crate::engine::JitChoice::Path(root.join(p)),
                other => other,
            };
        }
        if let Some(x) = count(&sec.max_corpus_bytes, "max-corpus-bytes")? {
            s.corpus_limits.max_bytes = x;
        }
        if let Some(x) = count(&sec.plot_rules, "plot-rules")? {
            s.plot_rules = usize::try_from(x).unwrap_or(usize::MAX);
        }
        let inf = f64::INFINITY;
        let d = Budgets::default();
        s.budgets = Budgets {
            max_steps_per_byte: budget(&sec.max_steps_per_byte, "max-steps-per-byte", inf, d.max_steps_per_byte)?,
            max_us_per_kb: budget(&sec.max_us_per_kb, "max-us-per-kb", inf, d.max_us_per_kb)?,
            max_benign_match_rate: budget(
                &sec.max_benign_match_rate,
                "max-benign-match-rate",
                1.0,
                d.max_benign_match_rate,
            )?,
            max_steps_at_4kb: budget(&sec.max_steps_at_4kb, "max-steps-at-4kb", inf, d.max_steps_at_4kb)?,
            max_seconds_at_4kb: budget(&sec.max_seconds_at_4kb, "max-seconds-at-4kb", inf, d.max_seconds_at_4kb)?,
            max_limit_hits: budget(&sec.max_limit_hits, "max-limit-hits", inf, d.max_limit_hits)?,
            min_fail_open_bytes: match &sec.min_fail_open_bytes {
                // 0 turns it off (no attack is shorter than 0 bytes).
                Some(_) => budget(&sec.min_fail_open_bytes, "min-fail-open-bytes", inf, None)?,
                None => d.min_fail_open_bytes,
            },
        };
        let limit = |v: &Option<Spanned<f64>>, key: &str| -> Result<Option<u32>, config::Error> {
            Ok(count(v, key)?.map(|x| u32::try_from(x).unwrap_or(u32::MAX)))
        };
        if let Some(x) = limit(&sec.pcre_match_limit, "pcre-match-limit")? {
            s.production.match_limit = x;
            s.production.from_config = true;
        }
        if let Some(x) = limit(&sec.pcre_match_limit_recursion, "pcre-match-limit-recursion")? {
            s.production.recursion_limit = x;
            s.production.from_config = true;
        }
        Ok(s)
    }
}

/// The budgets one rule's figures exceed, by name (`max_steps_per_byte`).
pub fn exceeded(report: &super::RuleReport, b: &Budgets) -> Vec<&'static str> {
    let mut out = Vec::new();
    let over = |budget: Option<f64>, value: Option<f64>| matches!((budget, value), (Some(b), Some(v)) if v > b);
    let bt = report.backtracking.as_ref();
    if over(b.max_steps_per_byte, bt.map(|f| f.steps_per_byte.p99)) {
        out.push("max_steps_per_byte");
    }
    if over(b.max_us_per_kb, report.linear.as_ref().map(|f| f.us_per_kb)) {
        out.push("max_us_per_kb");
    }
    if over(b.max_benign_match_rate, report.match_rate.benign) {
        out.push("max_benign_match_rate");
    }
    let wc = report.worst_case.as_ref();
    if over(b.max_steps_at_4kb, wc.map(|w| w.steps_at_4kb)) {
        out.push("max_steps_at_4kb");
    }
    if over(b.max_seconds_at_4kb, wc.and_then(|w| w.seconds_at_4kb)) {
        out.push("max_seconds_at_4kb");
    }
    // Either engine: ModSecurity runs the JIT where PCRE2 has one and the
    // interpreter where it does not; a bypass on either is a bypass.
    if let Some(min) = b.min_fail_open_bytes
        && [&report.fail_open, &report.fail_open_jit].into_iter().flatten().any(|f| (f.bytes as f64) < min)
    {
        out.push("min_fail_open_bytes");
    }
    let hits = bt.map(|f| f.limit_hits as f64 + if f.budget_exhausted_after.is_some() { 1.0 } else { 0.0 });
    if over(b.max_limit_hits, hits) {
        out.push("max_limit_hits");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_budgets_and_limits() {
        let text = "fail-on = \"error\"\n[bench]\ncorpus = [\"in/a.txt\"]\nstep-limit = 5000\nmax-steps-per-byte = 20\nmax-benign-match-rate = 0.01\nmax-steps-at-4kb = 1e7\n";
        let s = Settings::parse(Path::new("/p/cfglint.toml"), text).unwrap();
        assert_eq!(s.corpus, [PathBuf::from("/p/in/a.txt")]);
        assert_eq!(s.step_limit, 5000);
        assert_eq!(s.budgets.max_steps_per_byte, Some(20.0));
        assert_eq!(s.budgets.max_benign_match_rate, Some(0.01));
        assert_eq!(s.pcre2_jit, crate::engine::JitChoice::Auto);
        let jit = |v: &str| Settings::parse(Path::new("/p/cfglint.toml"), &format!("[bench]\npcre2-jit = \"{v}\"\n"));
        assert_eq!(jit("off").unwrap().pcre2_jit, crate::engine::JitChoice::Off);
        // A relative library path is read from the config file's folder.
        assert_eq!(
            jit("lib/libpcre2-8.so").unwrap().pcre2_jit,
            crate::engine::JitChoice::Path("/p/lib/libpcre2-8.so".into())
        );
        assert_eq!(s.budgets.max_steps_at_4kb, Some(1e7));
        assert_eq!(s.budgets.max_us_per_kb, None);
    }

    #[test]
    fn production_limits_from_rule_files_and_config() {
        let text = "SecRuleEngine On\nSecPcreMatchLimit 5000\n  SecPcreMatchLimitRecursion \"2500\"\n";
        assert_eq!(ProductionLimits::scan(text), (Some(5000), Some(2500)));
        let mut p = ProductionLimits::default();
        assert_eq!((p.match_limit, p.recursion_limit), (1000, 1000));
        p.apply((Some(5000), None));
        assert_eq!((p.match_limit, p.recursion_limit), (5000, 1000));
        let s = Settings::parse(Path::new("cfglint.toml"), "[bench]\npcre-match-limit = 100000\n").unwrap();
        let mut p = s.production;
        p.apply((Some(5000), Some(7)));
        assert_eq!((p.match_limit, p.recursion_limit), (100_000, 1000), "cfglint.toml wins");
    }

    #[test]
    fn defaults_apply_unless_relaxed() {
        // No [bench] at all, or one without budgets: the defaults hold.
        let s = Settings::parse(Path::new("cfglint.toml"), "fail-on = \"error\"\n").unwrap();
        assert_eq!(s.budgets.max_steps_at_4kb, Some(DEFAULT_MAX_STEPS_AT_4KB));
        assert_eq!(s.budgets.max_limit_hits, Some(0.0));
        let s = Settings::parse(Path::new("cfglint.toml"), "[bench]\nstep-limit = 5000\n").unwrap();
        assert_eq!(s.budgets, Budgets::default());
        // Raised, or turned off with `inf`.
        let s = Settings::parse(Path::new("cfglint.toml"), "[bench]\nmax-steps-at-4kb = 1e9\nmax-limit-hits = inf\n")
            .unwrap();
        assert_eq!(s.budgets.max_steps_at_4kb, Some(1e9));
        assert_eq!(s.budgets.max_limit_hits, None);
        let (m, _) = error_at("[bench]\nmax-benign-match-rate = inf\n");
        assert!(m.contains("between 0 and 1"), "{m}");
    }

    fn error_at(text: &str) -> (String, usize) {
        match Settings::parse(Path::new("cfglint.toml"), text) {
            Err(config::Error::Invalid { message, span, .. }) => (message, span.map_or(usize::MAX, |s| s.offset())),
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn errors_point_at_the_value() {
        let (m, at) = error_at("[bench]\nmax-benign-match-rate = 1.5\n");
        assert!(m.contains("between 0 and 1"), "{m}");
        assert_eq!(at, 32);
        let (m, at) = error_at("[bench]\nmax-step-per-byte = 3\n");
        assert!(m.contains("unknown field"), "{m}");
        assert_eq!(at, 8);
        let (m, _) = error_at("[bench]\nstep-limit = 0.5\n");
        assert!(m.contains("whole number"), "{m}");
        let (m, _) = error_at("[bench]\nmax-us-per-kb = \"fast\"\n");
        assert!(m.contains("invalid type"), "{m}");
    }
}
