//! Merge command-line options with `cfglint.toml` into validated settings.
//! Command implementations read these, never the raw arguments.

use std::path::PathBuf;

use miette::{IntoDiagnostic, Result, WrapErr};

use crate::config::Config;
use crate::finding::Severity;
use crate::lint::LintOptions;
use crate::report::Format;
use crate::source::Flavor;

use super::args::Common;

/// Validated settings for one run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Output format.
    pub format: Format,
    /// Exit 1 at or above this severity.
    pub fail_on: Severity,
    /// Forced flavor.
    pub flavor: Option<Flavor>,
    /// The pipeline options.
    pub lint: LintOptions,
    /// The configuration (empty when none was found).
    pub config: Config,
    /// Use colors in human output.
    pub color: bool,
    /// The working directory.
    pub cwd: PathBuf,
}

/// Build settings from the shared options.
pub fn resolve(common: &Common) -> Result<Settings> {
    let cwd = std::env::current_dir().into_diagnostic().wrap_err("cannot read the working directory")?;
    let config = if common.no_config {
        Config::default()
    } else {
        match common.config.clone().or_else(|| Config::discover(&cwd)) {
            Some(path) => Config::load(&path)?,
            None => Config::default(),
        }
    };
    let flavor = match &common.flavor {
        Some(f) => Some(f.parse::<Flavor>().map_err(|e| miette::miette!("--flavor: {e}"))?),
        None => config.flavor,
    };
    let fail_on = match &common.fail_on {
        Some(s) => s.parse::<Severity>().map_err(|e| miette::miette!("--fail-on: {e}"))?,
        None => config.fail_on.unwrap_or(Severity::Error),
    };
    let mut lint = LintOptions::default();
    lint.extract.flavor = flavor;
    lint.extract.custom.clone_from(&config.sources);
    lint.rules.overrides.clone_from(&config.rules);
    lint.rules.max_nfa_bytes = config.raw.analysis.max_nfa_bytes;
    let analysis = &config.raw.analysis;
    if let Some(n) = analysis.max_states {
        lint.rules.redos.analysis = lint.rules.redos.analysis.clone().max_states(n);
    }
    if let Some(n) = analysis.max_pairs {
        lint.rules.redos.analysis = lint.rules.redos.analysis.clone().product_budget(n as u64);
    }
    if let Some(n) = analysis.max_steps {
        lint.rules.redos = lint.rules.redos.clone().max_steps(n);
    }
    lint.rules.max_pattern_len = analysis.max_pattern_len;
    lint.rules.run_budget = analysis.max_run_seconds.map(std::time::Duration::from_secs);
    for sel in &common.select {
        let meta = crate::rules::lookup(sel).ok_or_else(|| miette::miette!("--select: unknown rule `{sel}`"))?;
        lint.rules.select.push(meta.code.clone());
    }
    if let Some(max) = config.raw.max_file_size {
        lint.max_file_size = max;
    }
    lint.exclude.clone_from(&config.raw.exclude);
    let color = match common.color.as_str() {
        "always" => true,
        "never" => false,
        "auto" => std::io::IsTerminal::is_terminal(&std::io::stdout()) && std::env::var_os("NO_COLOR").is_none(),
        other => return Err(miette::miette!("--color: expected auto, always or never, not `{other}`")),
    };
    Ok(Settings { format: common.format, fail_on, flavor, lint, config, color, cwd })
}
