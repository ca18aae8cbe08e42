//! The lint pipeline: files in, findings out.
//!
//! Walks paths (the `ignore` crate: `.gitignore` respected, hidden config
//! files such as `.gitleaks.toml` included, `.git` skipped), reads each file
//! under a size cap, extracts its regexes, runs every enabled rule on each
//! pattern in parallel (rayon), and returns findings sorted
//! deterministically. A file that cannot be parsed is a CL100 finding; the
//! run goes on with the other files. The library never prints; I/O errors
//! are returned as data for the CLI to show.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use crate::diff::{Cache, suppress};
use crate::report::{self, Finding, Sources, Summary};
use crate::rules::{self, PatternContext, RuleSettings};
use crate::source::{self, ExtractOptions, Extraction, SourceFile, Span};

/// Everything the pipeline needs to know.
#[derive(Debug, Clone)]
pub struct LintOptions {
    /// How to extract.
    pub extract: ExtractOptions,
    /// Which rules, at what severity.
    pub rules: RuleSettings,
    /// Largest file read (bytes).
    pub max_file_size: u64,
    /// Extra globs (relative to the walk roots) to skip.
    pub exclude: Vec<String>,
}

impl Default for LintOptions {
    fn default() -> Self {
        LintOptions {
            extract: ExtractOptions::default(),
            rules: RuleSettings::default(),
            max_file_size: source::DEFAULT_MAX_FILE_SIZE,
            exclude: Vec::new(),
        }
    }
}

/// The result for one file.
#[derive(Debug, Clone)]
pub struct FileResult {
    /// The file, as shown to the user.
    pub path: String,
    /// The file's text (empty when it could not be read as text).
    pub text: Arc<str>,
    /// What was extracted (empty when the file could not be read).
    pub extraction: Extraction,
    /// Findings on this file, sorted.
    pub findings: Vec<Finding>,
}

/// The result of a run.
#[derive(Debug, Clone, Default)]
pub struct LintReport {
    /// Per-file results, in path order.
    pub files: Vec<FileResult>,
    /// Errors that stopped a file from being read at all (I/O), as
    /// messages. These make the run exit with code 2.
    pub errors: Vec<String>,
    /// Totals.
    pub summary: Summary,
}

impl LintReport {
    /// Every finding, sorted.
    pub fn findings(&self) -> Vec<Finding> {
        let mut all: Vec<Finding> = self.files.iter().flat_map(|f| f.findings.iter().cloned()).collect();
        report::finding::sort(&mut all);
        all
    }

    /// The text of every file, for reporters that show snippets.
    pub fn sources(&self) -> Sources {
        let mut s = Sources::default();
        for f in &self.files {
            s.insert(&f.path, Arc::clone(&f.text));
        }
        s
    }

    /// The text of one file.
    pub fn text_of(&self, path: &str) -> Option<&str> {
        self.files.iter().find(|f| f.path == path).map(|f| &*f.text)
    }
}

/// Collect the files under `paths` that cfglint reads. Files named
/// explicitly are always included; files found by walking a folder are
/// included when their format is recognized or a custom source names them.
pub fn walk(paths: &[PathBuf], opts: &LintOptions) -> (Vec<PathBuf>, Vec<String>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for root in paths {
        if root.is_file() {
            files.push(root.clone());
            continue;
        }
        if !root.exists() {
            errors.push(format!("{}: no such file or directory", source::display_path(root)));
            continue;
        }
        let mut builder = ignore::WalkBuilder::new(root);
        builder.hidden(false).require_git(false).filter_entry(|e| e.file_name() != ".git");
        if !opts.exclude.is_empty() {
            let mut ov = ignore::overrides::OverrideBuilder::new(root);
            for g in &opts.exclude {
                if let Err(e) = ov.add(&format!("!{g}")) {
                    errors.push(format!("invalid exclude glob `{g}`: {e}"));
                }
            }
            match ov.build() {
                Ok(ov) => {
                    builder.overrides(ov);
                }
                Err(e) => errors.push(format!("invalid exclude globs: {e}")),
            }
        }
        for entry in builder.build() {
            match entry {
                Ok(e) => {
                    if e.file_type().is_some_and(|t| t.is_file()) && is_candidate(e.path(), opts) {
                        files.push(e.into_path());
                    }
                }
                Err(e) => errors.push(e.to_string()),
            }
        }
    }
    files.sort();
    files.dedup();
    (files, errors)
}

/// True when a file found by walking is worth reading.
fn is_candidate(path: &Path, opts: &LintOptions) -> bool {
    if source::detect_format(path, "").is_some() {
        return true;
    }
    // `.conf` files, grok pattern files and the like need their content to
    // tell; peek at small files only.
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    // Extensionless files may be grok pattern files or nginx site files;
    // `.conf` may be SecLang, nginx or Fluent Bit. Their content decides.
    let extension = Path::new(&name).extension();
    let interesting = extension.is_none_or(|e| e == "conf") || !opts.extract.custom.is_empty();
    if !interesting {
        return false;
    }
    match std::fs::metadata(path) {
        Ok(m) if m.len() <= opts.max_file_size => {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            source::detect_format(path, &text).is_some() || !opts.extract.custom.is_empty()
        }
        _ => false,
    }
}

/// Lint files on disk.
pub fn lint_paths(paths: &[PathBuf], opts: &LintOptions) -> LintReport {
    run_paths(paths, opts, lint_source)
}

/// Lint files on disk, reusing cached analyses of unchanged files.
pub fn lint_paths_cached(paths: &[PathBuf], opts: &LintOptions, cache: Option<&Cache>) -> LintReport {
    run_paths(paths, opts, |file, opts| lint_source_cached(file, opts, cache))
}

/// Extract the patterns of files on disk without running rules (for
/// `cfglint patterns`). Parse problems still become CL100 findings.
pub fn lint_paths_extract_only(paths: &[PathBuf], opts: &LintOptions) -> LintReport {
    run_paths(paths, opts, |file, opts| {
        let extraction = source::extract(file, &opts.extract);
        let findings = problems_to_findings(file, &extraction, &opts.rules);
        FileResult { path: file.display_path(), text: Arc::from(file.text.as_str()), extraction, findings }
    })
}

fn run_paths(
    paths: &[PathBuf],
    opts: &LintOptions,
    per_file: impl Fn(&SourceFile, &LintOptions) -> FileResult + Sync,
) -> LintReport {
    let start = Instant::now();
    let (files, mut errors) = walk(paths, opts);
    let results: Vec<Result<FileResult, String>> = files
        .par_iter()
        .map(|path| match source::load(path, opts.max_file_size) {
            Ok(file) => Ok(per_file(&file, opts)),
            Err(e @ source::LoadError::Io { .. }) => Err(e.to_string()),
            Err(e) => Ok(load_problem(path, &e, opts)),
        })
        .collect();
    let mut report = LintReport::default();
    for r in results {
        match r {
            Ok(f) => report.files.push(f),
            Err(e) => errors.push(e),
        }
    }
    report.errors = errors;
    report.summary = summarize(&report.files, start);
    report
}

fn summarize(files: &[FileResult], start: Instant) -> Summary {
    Summary {
        files: files.len(),
        regexes: files.iter().map(|f| f.extraction.patterns.len()).sum(),
        findings: files.iter().map(|f| f.findings.len()).sum(),
        elapsed_ms: u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
    }
}

/// A file that could not be read as text: a CL100 finding on the file.
pub fn load_problem(path: &Path, err: &source::LoadError, opts: &LintOptions) -> FileResult {
    let shown = source::display_path(path);
    let meta = rules::meta("config-parse-error");
    let mut findings = Vec::new();
    if opts.rules.is_enabled(&meta.code) {
        let span = err.offset().map(Span::empty);
        // Line/column cannot be computed from non-text content; report the
        // byte offset in the message instead.
        findings.push(Finding::new(&meta.code, &meta.id, opts.rules.severity(meta), &shown, "", span, err.to_string()));
    }
    FileResult { path: shown, text: Arc::from(""), extraction: Extraction::default(), findings }
}

/// Lint one file already in memory: analyze it, then apply its inline
/// suppressions (`# cfglint: allow ...`).
pub fn lint_source(file: &SourceFile, opts: &LintOptions) -> FileResult {
    lint_source_cached(file, opts, None)
}

/// [`lint_source`] through the analysis cache: the analysis of a file whose
/// path, bytes and settings are unchanged is read back instead of redone.
/// Suppressions are applied after the cache, since expiry depends on the day.
pub fn lint_source_cached(file: &SourceFile, opts: &LintOptions, cache: Option<&Cache>) -> FileResult {
    let mut result = if let Some(hit) = cache.and_then(|c| c.get(file)) {
        hit
    } else {
        let result = analyze_source(file, opts);
        if let Some(c) = cache {
            c.put(file, &result);
        }
        result
    };
    suppress::apply(&mut result, &opts.rules, suppress::Date::today_utc());
    result
}

/// Extract and run every enabled rule on one file, without suppressions.
pub fn analyze_source(file: &SourceFile, opts: &LintOptions) -> FileResult {
    let extraction = source::extract(file, &opts.extract);
    let mut findings = problems_to_findings(file, &extraction, &opts.rules);
    let per_pattern: Vec<Vec<Finding>> = extraction
        .patterns
        .par_iter()
        .map(|p| {
            let cx = PatternContext::new(file, p, &opts.rules);
            let mut out = Vec::new();
            for rule in rules::RULES {
                if opts.rules.is_enabled(&rule.meta().code) {
                    rule.check(&cx, &mut out);
                }
            }
            out
        })
        .collect();
    findings.extend(per_pattern.into_iter().flatten());
    report::finding::sort(&mut findings);
    FileResult { path: file.display_path(), text: Arc::from(file.text.as_str()), extraction, findings }
}

fn problems_to_findings(file: &SourceFile, extraction: &Extraction, settings: &RuleSettings) -> Vec<Finding> {
    let meta = rules::meta("config-parse-error");
    if !settings.is_enabled(&meta.code) {
        return Vec::new();
    }
    extraction
        .problems
        .iter()
        .map(|p| {
            let mut f = Finding::new(
                &meta.code,
                &meta.id,
                settings.severity(meta),
                &file.display_path(),
                &file.text,
                Some(p.span),
                p.message.clone(),
            );
            f.kind = extraction.kind.as_ref().map(|k| k.as_str().to_owned());
            f.refresh_fingerprint();
            f
        })
        .collect()
}

/// The display name of a pattern given on the command line.
pub const COMMAND_LINE: &str = "<command line>";

/// Lint one pattern given directly (for `cfglint regex`): the pattern is its
/// own "file", so spans point into it.
pub fn lint_pattern(
    pattern: &str,
    flavor: source::Flavor,
    flags: source::Flags,
    semantics: source::Semantics,
    opts: &LintOptions,
) -> FileResult {
    let file = SourceFile::new(COMMAND_LINE, pattern);
    let extracted = source::ExtractedPattern {
        pattern: pattern.to_owned(),
        span: Span::new(0, pattern.len()),
        offsets: source::OffsetMap::verbatim(0, pattern.len()),
        key: "pattern".to_owned(),
        kind: source::Kind::Custom("command-line".to_owned()),
        flavor,
        semantics,
        flags: flavor.engine_flags(flags),
        rule_id: None,
    };
    let cx = PatternContext::new(&file, &extracted, &opts.rules);
    let mut findings = Vec::new();
    for rule in rules::RULES {
        if opts.rules.is_enabled(&rule.meta().code) {
            rule.check(&cx, &mut findings);
        }
    }
    report::finding::sort(&mut findings);
    let extraction = Extraction { kind: Some(extracted.kind.clone()), patterns: vec![extracted], problems: Vec::new() };
    FileResult { path: COMMAND_LINE.to_owned(), text: Arc::from(pattern), extraction, findings }
}
