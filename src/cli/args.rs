//! Command-line arguments, exactly as the user typed them (clap derive).
//! Nothing but `settings.rs` reads these.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::report::Format;

/// cfglint treats config as code: it finds the regexes inside config files
/// and diffs, proves which ones blow up a backtracking engine, benchmarks
/// WAF rules on real traffic, and plans staged rollouts.
#[derive(Debug, Parser)]
#[command(name = "cfglint", version, about, max_term_width = 100)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The options a command was given, gathered for [`super::settings::resolve`].
/// Each subcommand takes only the option groups below that it supports
/// (clap rejects the others, exit 2); what it lacks stays at the default.
#[derive(Debug, Clone)]
pub struct Common {
    /// Output format.
    pub format: Format,
    /// The engine that runs the patterns.
    pub flavor: Option<String>,
    /// Configuration file.
    pub config: Option<PathBuf>,
    /// Ignore any cfglint.toml.
    pub no_config: bool,
    /// Exit 1 at or above this severity.
    pub fail_on: Option<String>,
    /// Only run these rules.
    pub select: Vec<String>,
    /// Colors in human output.
    pub color: String,
}

impl Default for Common {
    fn default() -> Self {
        Common {
            format: Format::Human,
            flavor: None,
            config: None,
            no_config: false,
            fail_on: None,
            select: Vec::new(),
            color: "auto".to_owned(),
        }
    }
}

impl Common {
    /// Take `--config` / `--no-config`.
    #[must_use]
    pub fn with_config(mut self, c: &ConfigOpts) -> Self {
        self.config.clone_from(&c.config);
        self.no_config = c.no_config;
        self
    }

    /// Take `--flavor`.
    #[must_use]
    pub fn with_flavor(mut self, f: &FlavorOpt) -> Self {
        self.flavor.clone_from(&f.flavor);
        self
    }

    /// Take `--select`.
    #[must_use]
    pub fn with_select(mut self, s: &SelectOpt) -> Self {
        self.select.clone_from(&s.select);
        self
    }

    /// Take `--fail-on` and `--color`.
    #[must_use]
    pub fn with_outcome(mut self, o: &OutcomeOpts) -> Self {
        self.fail_on.clone_from(&o.fail_on);
        self.color.clone_from(&o.color);
        self
    }

    /// Take `--format`.
    #[must_use]
    pub fn with_format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }
}

/// `--format` of the commands that render findings.
#[derive(Debug, Clone, Args)]
pub struct ReportFormatOpt {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// The formats of the commands that do not render findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DataFormat {
    /// Text for people.
    Human,
    /// JSON (see docs/output.md).
    Json,
}

impl From<DataFormat> for Format {
    fn from(f: DataFormat) -> Format {
        match f {
            DataFormat::Human => Format::Human,
            DataFormat::Json => Format::Json,
        }
    }
}

/// `--format human|json`.
#[derive(Debug, Clone, Args)]
pub struct DataFormatOpt {
    /// Output format.
    #[arg(long, value_enum, default_value_t = DataFormat::Human)]
    pub format: DataFormat,
}

/// `--config` / `--no-config`.
#[derive(Debug, Clone, Args)]
pub struct ConfigOpts {
    /// Configuration file (default: cfglint.toml found upward from the
    /// working directory).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore any cfglint.toml.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
}

/// `--flavor`.
#[derive(Debug, Clone, Args)]
pub struct FlavorOpt {
    /// The engine that runs the patterns (pcre, re2, rust, js, python,
    /// java, onigmo). Default: by file kind.
    #[arg(long)]
    pub flavor: Option<String>,
}

/// `--select`.
#[derive(Debug, Clone, Args)]
pub struct SelectOpt {
    /// Only run these rules (codes or names, comma separated).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Vec<String>,
}

/// `--fail-on` and `--color`, for the commands that report findings.
#[derive(Debug, Clone, Args)]
pub struct OutcomeOpts {
    /// Exit with code 1 when a finding at or above this severity is
    /// reported (error, warning, note).
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<String>,
    /// Colors in human output: auto, always, never.
    #[arg(long, default_value = "auto", value_name = "WHEN")]
    pub color: String,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint files and folders (default ".").
    Check(CheckArgs),
    /// Lint what changed between two revisions (or the index).
    Diff(DiffArgs),
    /// Analyze one pattern given on the command line.
    Regex(RegexArgs),
    /// Benchmark every rule's regex against corpora.
    Bench(BenchArgs),
    /// Emit the staged-rollout manifest for a change.
    Rollout(RolloutArgs),
    /// Decide promote / hold / rollback for one stage of a rollout.
    Gate(GateArgs),
    /// Print or write the inverse of a rollout manifest.
    Rollback(RollbackArgs),
    /// List every regex found, with file, span, key, kind and flavor.
    Patterns(PatternsArgs),
    /// Show a rule's documentation.
    Explain(ExplainArgs),
    /// List rules with code, name and default severity.
    Rules(RulesArgs),
    /// Dump internals (parsed IR, NFA, witness) for one pattern.
    Debug(DebugArgs),
    /// Apply every proven fix (equivalent and linear rewrites) in place.
    Fix(FixArgs),
}

/// `cfglint fix`.
#[derive(Debug, Args)]
pub struct FixArgs {
    /// Files or folders to fix.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Print the diff only; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Configuration.
    #[command(flatten)]
    pub config: ConfigOpts,
    /// Flavor.
    #[command(flatten)]
    pub flavor: FlavorOpt,
    /// Rule selection.
    #[command(flatten)]
    pub select: SelectOpt,
}

/// `cfglint check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or folders to lint.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Report only findings not in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write the current findings to this baseline file and exit 0.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Do not read or write the analysis cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Also lint files that `.gitignore`, `.ignore` and git's exclude files
    /// hide from the walk.
    #[arg(long)]
    pub no_ignore: bool,
    /// Search a proven fix for every CL001/CL002 finding and show it
    /// (`help:`, JSON `fix`, SARIF); `cfglint fix` applies them.
    #[arg(long)]
    pub suggest_fixes: bool,
    /// Output format.
    #[command(flatten)]
    pub format: ReportFormatOpt,
    /// Configuration.
    #[command(flatten)]
    pub config: ConfigOpts,
    /// Flavor.
    #[command(flatten)]
    pub flavor: FlavorOpt,
    /// Rule selection.
    #[command(flatten)]
    pub select: SelectOpt,
    /// Exit code and colors.
    #[command(flatten)]
    pub outcome: OutcomeOpts,
}

/// `cfglint diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Base revision (default: the merge base with the default branch, or
    /// HEAD's parent).
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// Head revision (default: HEAD).
    #[arg(long, value_name = "REV", conflicts_with = "staged")]
    pub head: Option<String>,
    /// Compare HEAD with the index (staged changes), for pre-commit hooks.
    #[arg(long)]
    pub staged: bool,
    /// Repository path (default: discovered from the working directory).
    #[arg(long, value_name = "PATH")]
    pub repo: Option<PathBuf>,
    /// Do not read or write the analysis cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Output format.
    #[command(flatten)]
    pub format: ReportFormatOpt,
    /// Configuration.
    #[command(flatten)]
    pub config: ConfigOpts,
    /// Flavor.
    #[command(flatten)]
    pub flavor: FlavorOpt,
    /// Rule selection.
    #[command(flatten)]
    pub select: SelectOpt,
    /// Exit code and colors.
    #[command(flatten)]
    pub outcome: OutcomeOpts,
}

/// `cfglint regex`.
#[derive(Debug, Args)]
pub struct RegexArgs {
    /// The pattern.
    pub pattern: String,
    /// Flags given outside the pattern, as letters (i, m, s, x, u).
    #[arg(long, default_value = "")]
    pub flags: String,
    /// How the engine applies the pattern: search, anchored-start,
    /// full-match.
    #[arg(long, default_value = "search")]
    pub semantics: String,
    /// Output format.
    #[command(flatten)]
    pub format: ReportFormatOpt,
    /// Configuration.
    #[command(flatten)]
    pub config: ConfigOpts,
    /// Flavor.
    #[command(flatten)]
    pub flavor: FlavorOpt,
    /// Rule selection.
    #[command(flatten)]
    pub select: SelectOpt,
    /// Exit code and colors.
    #[command(flatten)]
    pub outcome: OutcomeOpts,
}

/// `cfglint bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// A WAF rule YAML file or SecLang `.conf` files.
    #[arg(required = true)]
    pub rules: Vec<PathBuf>,
    /// Corpus: a file of one input per line, a folder, a JSONL file of
    /// requests, or CRS regression test YAML. Repeatable.
    #[arg(long, value_name = "PATH")]
    pub corpus: Vec<PathBuf>,
    /// Compare with the same rule files at this git revision.
    #[arg(long, value_name = "REV")]
    pub baseline: Option<String>,
    /// Write an SVG plot of the worst-case growth curves.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// The system PCRE2 whose JIT gives the fail-open figures ModSecurity
    /// for Apache has: `auto` (the one the loader finds, if any), `off`,
    /// or a path to libpcre2-8. Overrides `[bench] pcre2-jit`.
    #[arg(long, value_name = "auto|off|PATH")]
    pub pcre2_jit: Option<String>,
    /// Output format.
    #[command(flatten)]
    pub format: DataFormatOpt,
    /// Configuration.
    #[command(flatten)]
    pub config: ConfigOpts,
}

/// `cfglint rollout`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct RolloutArgs {
    /// Drive a manifest's stages (`run`), or see or stop a running rollout.
    #[command(subcommand)]
    pub action: Option<RolloutAction>,
    /// Base revision (default: the merge base with the default branch, or
    /// HEAD's parent).
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// Head revision (default: HEAD).
    #[arg(long, value_name = "REV")]
    pub head: Option<String>,
    /// Bench results (`cfglint bench --format json`) to fold into risk.
    #[arg(long, value_name = "FILE.json")]
    pub bench: Option<PathBuf>,
    /// Write the manifest here, atomically (default: stdout).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write the stages as Argo Rollouts canary steps (YAML).
    #[arg(long, value_name = "FILE.yaml")]
    pub argo: Option<PathBuf>,
    /// Emergency rollout: compressed stages, lint still enforced.
    #[arg(long, requires = "reason")]
    pub emergency: bool,
    /// Why (required with --emergency and --override); recorded in the
    /// manifest.
    #[arg(long)]
    pub reason: Option<String>,
    /// Who (default: $GITHUB_ACTOR, $USER, or git's user.name); recorded
    /// with --emergency and --override.
    #[arg(long, value_name = "NAME")]
    pub actor: Option<String>,
    /// Accept a blocked change anyway (requires --reason); recorded in the
    /// manifest. Repeatable.
    #[arg(long = "override", value_name = "PATH", requires = "reason")]
    pub override_paths: Vec<String>,
    /// Repository path (default: discovered from the working directory).
    #[arg(long, value_name = "PATH")]
    pub repo: Option<PathBuf>,
    /// Do not read or write the analysis cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Plan the committed change even when the checked-out head has
    /// uncommitted edits to a changed file, or untracked files beside one.
    #[arg(long)]
    pub allow_dirty: bool,
    /// Output format.
    #[command(flatten)]
    pub format: DataFormatOpt,
    /// Configuration.
    #[command(flatten)]
    pub config: ConfigOpts,
    /// Flavor.
    #[command(flatten)]
    pub flavor: FlavorOpt,
    /// Rule selection.
    #[command(flatten)]
    pub select: SelectOpt,
}

/// `cfglint rollout run|status|abort`.
#[derive(Debug, Subcommand)]
pub enum RolloutAction {
    /// Drive the manifest's stages: deploy, poll Prometheus, promote or
    /// roll back on its own (exit 0 complete, 3 rolled back, 2 error).
    Run(Box<RolloutRunArgs>),
    /// Print where a rollout stands, from its state file.
    Status(RolloutStatusArgs),
    /// Roll back the rollout recorded in a state file now.
    Abort(RolloutAbortArgs),
}

/// `cfglint rollout run`.
#[derive(Debug, Args)]
pub struct RolloutRunArgs {
    /// The rollout manifest.
    #[arg(long, value_name = "FILE")]
    pub manifest: PathBuf,
    /// The deploy command, run through `sh -c` for each stage and for the
    /// rollback, with CFGLINT_STAGE, CFGLINT_TRAFFIC_PERCENT,
    /// CFGLINT_REVISION and CFGLINT_MANIFEST set.
    #[arg(long, value_name = "CMD")]
    pub deploy: String,
    /// Prometheus base URL (default: the manifest's, from
    /// [rollout.prometheus] url).
    #[arg(long, value_name = "URL")]
    pub prometheus: Option<String>,
    /// The state file (default: .cfglint-rollout.json beside the
    /// manifest). An existing one resumes the rollout.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Append one JSON line per decision here.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// A command run on every decision, with its JSON on stdin.
    #[arg(long, value_name = "CMD")]
    pub notify: Option<String>,
    /// Work tree the commands act on and that is verified (default: the
    /// repository around the working directory).
    #[arg(long, value_name = "PATH")]
    pub repo: Option<PathBuf>,
}

/// `cfglint rollout status`.
#[derive(Debug, Args)]
pub struct RolloutStatusArgs {
    /// The state file of `rollout run`.
    #[arg(long, value_name = "FILE")]
    pub state: PathBuf,
    /// Output format.
    #[command(flatten)]
    pub format: DataFormatOpt,
}

/// `cfglint rollout abort`.
#[derive(Debug, Args)]
pub struct RolloutAbortArgs {
    /// The state file of `rollout run`.
    #[arg(long, value_name = "FILE")]
    pub state: PathBuf,
    /// Why (recorded in the state file and the decision log).
    #[arg(long)]
    pub reason: String,
}

/// `cfglint gate`.
#[derive(Debug, Args)]
pub struct GateArgs {
    /// The rollout manifest.
    #[arg(long, value_name = "FILE")]
    pub manifest: PathBuf,
    /// The stage to decide.
    #[arg(long, value_name = "NAME")]
    pub stage: String,
    /// Observed metrics: a JSON file, or a Prometheus instant-query result
    /// (`NAME=FILE` names a single unnamed series). Repeatable.
    #[arg(long, value_name = "FILE", required = true)]
    pub metrics: Vec<String>,
    /// Seconds since the stage started (instead of `elapsed_seconds` in
    /// the metrics).
    #[arg(long, value_name = "SECONDS")]
    pub elapsed_seconds: Option<f64>,
    /// Requests observed in the stage (instead of `samples` in the
    /// metrics).
    #[arg(long, value_name = "N")]
    pub samples: Option<f64>,
    /// Work tree to verify the manifest's hashes against (default: the
    /// repository around the working directory).
    #[arg(long, value_name = "PATH")]
    pub repo: Option<PathBuf>,
    /// Do not compare the work tree with the manifest's hashes.
    #[arg(long)]
    pub no_verify: bool,
    /// The state file of `rollout run`: the manifest must be the one it
    /// pinned, and the bake time is its clock (from the stage's start),
    /// not the metrics' `elapsed_seconds`.
    #[arg(long, value_name = "FILE", conflicts_with = "elapsed_seconds")]
    pub state: Option<PathBuf>,
    /// Output format.
    #[command(flatten)]
    pub format: DataFormatOpt,
    /// Configuration.
    #[command(flatten)]
    pub config: ConfigOpts,
}

/// `cfglint rollback`.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The rollout manifest to invert.
    #[arg(long, value_name = "FILE")]
    pub manifest: PathBuf,
    /// Write the inverse manifest here, atomically (default: stdout).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Why (default: "rollback of <head>"); recorded in the inverse.
    #[arg(long)]
    pub reason: Option<String>,
    /// Who (default: $GITHUB_ACTOR, $USER, or git's user.name).
    #[arg(long, value_name = "NAME")]
    pub actor: Option<String>,
    /// Instead of writing the inverse, check that the work tree is back at
    /// the manifest's base (after running the rollback command).
    #[arg(long, conflicts_with = "output")]
    pub verify: bool,
    /// Work tree for --verify (default: the repository around the working
    /// directory).
    #[arg(long, value_name = "PATH")]
    pub repo: Option<PathBuf>,
    /// Output format.
    #[command(flatten)]
    pub format: DataFormatOpt,
    /// Configuration.
    #[command(flatten)]
    pub config: ConfigOpts,
}

/// `cfglint patterns`.
#[derive(Debug, Args)]
pub struct PatternsArgs {
    /// Files or folders.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[command(flatten)]
    pub format: DataFormatOpt,
    /// Configuration.
    #[command(flatten)]
    pub config: ConfigOpts,
    /// Flavor.
    #[command(flatten)]
    pub flavor: FlavorOpt,
}

/// `cfglint explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Rule code (CL004) or name (invalid-regex).
    pub rule: String,
    /// Output format.
    #[command(flatten)]
    pub format: DataFormatOpt,
}

/// `cfglint rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output format.
    #[command(flatten)]
    pub format: DataFormatOpt,
}

/// `cfglint debug`.
#[derive(Debug, Args)]
pub struct DebugArgs {
    /// What to dump.
    #[arg(value_enum)]
    pub what: DebugWhat,
    /// The pattern.
    pub pattern: String,
    /// Flags as letters.
    #[arg(long, default_value = "")]
    pub flags: String,
    /// Semantics: search, anchored-start, full-match.
    #[arg(long, default_value = "search")]
    pub semantics: String,
    /// Configuration.
    #[command(flatten)]
    pub config: ConfigOpts,
    /// Flavor.
    #[command(flatten)]
    pub flavor: FlavorOpt,
}

/// Internals `cfglint debug` can dump.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum DebugWhat {
    /// The parsed IR with spans.
    Ir,
    /// regex-syntax's HIR (linear-engine view).
    Hir,
    /// The backtracking NFA.
    Nfa,
    /// Candidate attacks and their confirmation.
    Witness,
}

impl FixArgs {
    /// The options for [`super::settings::resolve`].
    #[must_use]
    pub fn common(&self) -> Common {
        Common::default().with_config(&self.config).with_flavor(&self.flavor).with_select(&self.select)
    }
}

impl CheckArgs {
    /// The options for [`super::settings::resolve`].
    #[must_use]
    pub fn common(&self) -> Common {
        Common::default()
            .with_format(self.format.format)
            .with_config(&self.config)
            .with_flavor(&self.flavor)
            .with_select(&self.select)
            .with_outcome(&self.outcome)
    }
}

impl DiffArgs {
    /// The options for [`super::settings::resolve`].
    #[must_use]
    pub fn common(&self) -> Common {
        Common::default()
            .with_format(self.format.format)
            .with_config(&self.config)
            .with_flavor(&self.flavor)
            .with_select(&self.select)
            .with_outcome(&self.outcome)
    }
}

impl RegexArgs {
    /// The options for [`super::settings::resolve`].
    #[must_use]
    pub fn common(&self) -> Common {
        Common::default()
            .with_format(self.format.format)
            .with_config(&self.config)
            .with_flavor(&self.flavor)
            .with_select(&self.select)
            .with_outcome(&self.outcome)
    }
}

impl BenchArgs {
    /// The options for [`super::settings::resolve`].
    #[must_use]
    pub fn common(&self) -> Common {
        Common::default().with_format(self.format.format.into()).with_config(&self.config)
    }
}

impl RolloutArgs {
    /// The options for [`super::settings::resolve`].
    #[must_use]
    pub fn common(&self) -> Common {
        Common::default()
            .with_format(self.format.format.into())
            .with_config(&self.config)
            .with_flavor(&self.flavor)
            .with_select(&self.select)
    }
}

impl GateArgs {
    /// The options for [`super::settings::resolve`].
    #[must_use]
    pub fn common(&self) -> Common {
        Common::default().with_format(self.format.format.into()).with_config(&self.config)
    }
}

impl RollbackArgs {
    /// The options for [`super::settings::resolve`].
    #[must_use]
    pub fn common(&self) -> Common {
        Common::default().with_format(self.format.format.into()).with_config(&self.config)
    }
}

impl PatternsArgs {
    /// The options for [`super::settings::resolve`].
    #[must_use]
    pub fn common(&self) -> Common {
        Common::default().with_format(self.format.format.into()).with_config(&self.config).with_flavor(&self.flavor)
    }
}

impl ExplainArgs {
    /// The options for [`super::settings::resolve`].
    #[must_use]
    pub fn common(&self) -> Common {
        Common::default().with_format(self.format.format.into())
    }
}

impl RulesArgs {
    /// The options for [`super::settings::resolve`].
    #[must_use]
    pub fn common(&self) -> Common {
        Common::default().with_format(self.format.format.into())
    }
}

impl DebugArgs {
    /// The options for [`super::settings::resolve`].
    #[must_use]
    pub fn common(&self) -> Common {
        Common::default().with_config(&self.config).with_flavor(&self.flavor)
    }
}
