//! The lint pipeline: files in, findings out.
//!
//! Walks paths (the `ignore` crate: `.gitignore` respected, hidden config
//! files such as `.gitleaks.toml` included, `.git` skipped), reads each file
//! under a size cap, extracts its regexes, runs every enabled rule on each
//! pattern in parallel (rayon), and returns findings sorted
//! deterministically. A file that cannot be parsed is a CL100 finding; the
//! run goes on with the other files. A panic while analysing a file or a
//! pattern is a CL009 finding on it ([`guard`]); the run goes on too. The
//! library never prints; I/O errors are returned as data for the CLI to
//! show.

pub mod baseline;
pub mod cache;
pub mod exclude;
pub mod guard;
pub mod suppress;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use crate::finding;
use crate::finding::Finding;
use crate::report::{Sources, Summary};
use crate::rules::{self, PatternContext, Rule, RuleSettings};
use crate::source::{self, ExtractOptions, Extraction, SourceFile, Span};
use cache::ResultCache;

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
    /// Walk files that ignore rules (`.gitignore`, `.ignore`, git excludes)
    /// hide (`check --no-ignore`).
    pub no_ignore: bool,
}

impl Default for LintOptions {
    fn default() -> Self {
        LintOptions {
            extract: ExtractOptions::default(),
            rules: RuleSettings::default(),
            max_file_size: source::DEFAULT_MAX_FILE_SIZE,
            exclude: Vec::new(),
            no_ignore: false,
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
    /// Files the walk left out on purpose, with why (symbolic links that
    /// leave the walked folder, or dangle), as messages.
    pub skipped: Vec<String>,
    /// Totals.
    pub summary: Summary,
}

impl LintReport {
    /// Every finding, sorted.
    pub fn findings(&self) -> Vec<Finding> {
        let mut all: Vec<Finding> = self.files.iter().flat_map(|f| f.findings.iter().cloned()).collect();
        finding::sort(&mut all);
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
    let (files, errors, _, _) = walk_noting_skips(paths, opts);
    (files, errors)
}

/// [`walk`], also returning what was skipped on purpose and why. Symbolic
/// links to files are followed when their target stays inside the walked
/// folder (a Kubernetes ConfigMap mount is a tree of links into a hidden
/// `..data` folder); a file reached both through a link and directly is
/// read once, under its shortest path. The last figure counts what ignore
/// rules left out ([`count_ignored`]).
pub fn walk_noting_skips(paths: &[PathBuf], opts: &LintOptions) -> (Vec<PathBuf>, Vec<String>, Vec<String>, usize) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let mut skipped = Vec::new();
    let mut ignored = 0;
    for root in paths {
        // Named explicitly and not a folder: read it, whatever it is (a
        // regular file, a FIFO, `/dev/stdin`, a process substitution).
        if root.exists() && !root.is_dir() {
            files.push(root.clone());
            continue;
        }
        if !root.exists() {
            errors.push(format!("{}: no such file or directory", source::display_path(root)));
            continue;
        }
        let (excludes, invalid) = exclude::Excludes::compile(&opts.exclude);
        errors.extend(invalid.iter().map(ToString::to_string));
        let excludes = Arc::new(excludes);
        let builder = walker(root, &excludes, opts.no_ignore, None);
        let canonical_root = std::fs::canonicalize(root).ok();
        let mut seen = std::collections::HashSet::new();
        for entry in builder.build() {
            if let Ok(e) = &entry
                && !opts.no_ignore
            {
                seen.insert(e.path().to_path_buf());
            }
            match entry {
                Ok(e) => {
                    let Some(t) = e.file_type() else { continue };
                    if t.is_file() && is_candidate(e.path(), opts) {
                        files.push(e.into_path());
                    } else if t.is_symlink() {
                        let target = std::fs::canonicalize(e.path());
                        let inside = match (&target, &canonical_root) {
                            (Ok(t), Some(r)) => t.starts_with(r),
                            _ => false,
                        };
                        let shown = source::display_path(e.path());
                        match target {
                            Ok(t) if inside && t.is_file() && is_candidate(e.path(), opts) => files.push(e.into_path()),
                            // A link to a folder inside the tree: that folder
                            // is walked itself.
                            Ok(_) if inside => {}
                            Ok(t) => skipped.push(format!(
                                "{shown}: symbolic link skipped: it points outside {} (to {})",
                                source::display_path(root),
                                t.display()
                            )),
                            Err(err) => skipped.push(format!("{shown}: symbolic link skipped: {err}")),
                        }
                    }
                }
                Err(e) => errors.push(e.to_string()),
            }
        }
        if !opts.no_ignore {
            ignored += count_ignored(root, &excludes, seen, opts);
        }
    }
    files.sort();
    files.dedup();
    // One file reached through links and directly: keep its shortest path
    // (the link a ConfigMap user knows, not `..2024_01_01/x.yaml`).
    let mut by_target: std::collections::HashMap<PathBuf, usize> = std::collections::HashMap::new();
    let mut keep = vec![true; files.len()];
    for (i, f) in files.iter().enumerate() {
        let Ok(t) = std::fs::canonicalize(f) else { continue };
        match by_target.entry(t) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(i);
            }
            std::collections::hash_map::Entry::Occupied(mut o) => {
                let j = *o.get();
                let len = |p: &PathBuf| (p.components().count(), p.as_os_str().len());
                if len(f) < len(&files[j]) {
                    keep[j] = false;
                    o.insert(i);
                } else {
                    keep[i] = false;
                }
            }
        }
    }
    let files = files.into_iter().zip(keep).filter_map(|(f, k)| k.then_some(f)).collect();
    (files, errors, skipped, ignored)
}

/// One more test a walked entry must pass.
type EntryFilter = Arc<dyn Fn(&ignore::DirEntry) -> bool + Send + Sync>;

/// The walk of `root`: hidden files in, `.git` and `excludes` out, ignore
/// rules (`.gitignore`, `.ignore`, git's excludes) applied unless
/// `no_ignore`. `also` is one more test an entry must pass.
fn walker(
    root: &Path,
    excludes: &Arc<exclude::Excludes>,
    no_ignore: bool,
    also: Option<EntryFilter>,
) -> ignore::WalkBuilder {
    let mut builder = ignore::WalkBuilder::new(root);
    let excludes = Arc::clone(excludes);
    let walk_root = root.to_path_buf();
    builder.hidden(false).require_git(false).filter_entry(move |e| {
        e.file_name() != ".git"
            && !excludes.matches(
                e.path().strip_prefix(&walk_root).unwrap_or(e.path()),
                e.file_type().is_some_and(|t| t.is_dir()),
            )
            && also.as_ref().is_none_or(|f| f(e))
    });
    if no_ignore {
        builder.ignore(false).git_ignore(false).git_global(false).git_exclude(false).parents(false);
    }
    builder
}

/// How many entries of `root` ignore rules left out of the walk that
/// yielded `seen`: the files cfglint would have read and the folders
/// (each counted once, not walked into). The same walk without ignore
/// rules meets them where the rules cut it; nothing under an ignored
/// folder is visited.
fn count_ignored(
    root: &Path,
    excludes: &Arc<exclude::Excludes>,
    seen: std::collections::HashSet<PathBuf>,
    opts: &LintOptions,
) -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let count = Arc::new(AtomicUsize::new(0));
    let (tally, extract) = (Arc::clone(&count), opts.clone());
    let also: EntryFilter = Arc::new(move |e: &ignore::DirEntry| {
        if seen.contains(e.path()) {
            return true;
        }
        let t = e.file_type();
        if t.is_some_and(|t| t.is_dir()) || t.is_some_and(|t| t.is_file()) && is_candidate(e.path(), &extract) {
            tally.fetch_add(1, Ordering::Relaxed);
        }
        false
    });
    for _ in walker(root, excludes, true, Some(also)).build() {}
    count.load(Ordering::Relaxed)
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
pub fn lint_paths_cached(paths: &[PathBuf], opts: &LintOptions, cache: Option<&ResultCache>) -> LintReport {
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
    let (files, mut errors, skipped, ignored) = walk_noting_skips(paths, opts);
    let results: Vec<Result<FileResult, String>> = files
        .par_iter()
        .map(|path| {
            // A pipe or device: only ever named explicitly. What cannot be
            // read from it, or not told apart, is an error, never a pass.
            let stream = std::fs::metadata(path).is_ok_and(|m| !m.is_file());
            match source::load(path, opts.max_file_size) {
                Ok(file)
                    if stream
                        && source::detect_format(path, &file.text).is_none()
                        && opts.extract.custom.is_empty() =>
                {
                    Err(format!(
                        "{}: cannot tell the config format of a pipe or device from its name or content; save it \
                         to a file with a known extension (.yaml, .json, .toml, .conf)",
                        source::display_path(path)
                    ))
                }
                Ok(file) => Ok(guard::catch(|| {
                    guard::debug_trigger(guard::Site::File, &file.display_path());
                    per_file(&file, opts)
                })
                .unwrap_or_else(|message| guard::file_result(&file, &message, opts))),
                Err(e @ source::LoadError::Io { .. }) => Err(e.to_string()),
                Err(e) if stream => Err(e.to_string()),
                Err(e) => Ok(load_problem(path, &e, opts)),
            }
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
    report.skipped = skipped;
    report.summary = summarize(&report.files, start);
    report.summary.ignored = ignored;
    report
}

fn summarize(files: &[FileResult], start: Instant) -> Summary {
    Summary {
        files: files.len(),
        regexes: files.iter().map(|f| f.extraction.patterns.len()).sum(),
        findings: files.iter().map(|f| f.findings.len()).sum(),
        elapsed_ms: u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
        unreadable: 0,
        ignored: 0,
    }
}

/// A file that could not be read as text: a CL100 finding on the file.
pub fn load_problem(path: &Path, err: &source::LoadError, opts: &LintOptions) -> FileResult {
    let shown = source::display_path(path);
    let findings = rules::config_parse_error::on_load_error(&shown, err, &opts.rules).into_iter().collect();
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
pub fn lint_source_cached(file: &SourceFile, opts: &LintOptions, cache: Option<&ResultCache>) -> FileResult {
    let mut result = if let Some(hit) = cache.and_then(|c| c.get(file)) {
        hit
    } else {
        let result = analyze_source(file, opts);
        // A file analyzed after the run budget ran out holds "not
        // analysed" findings, and one that hit an internal error holds a
        // bug's trace: neither is a result to keep.
        if let Some(c) = cache
            && !opts.rules.run.is_exhausted()
            && !result.findings.iter().any(guard::is_internal_error)
        {
            c.put(file, &result);
        }
        result
    };
    suppress::apply(&mut result, &opts.rules, suppress::Date::today_utc());
    result
}

/// Extract and run every enabled rule on one file, without suppressions.
/// A panic in the extractor becomes a CL009 finding on the file; a panic in
/// a pattern's rules, a CL009 finding on that pattern (see [`guard`]).
pub fn analyze_source(file: &SourceFile, opts: &LintOptions) -> FileResult {
    guard::catch(|| {
        guard::debug_trigger(guard::Site::File, &file.display_path());
        analyze_source_unguarded(file, opts)
    })
    .unwrap_or_else(|message| guard::file_result(file, &message, opts))
}

fn analyze_source_unguarded(file: &SourceFile, opts: &LintOptions) -> FileResult {
    let extraction = source::extract(file, &opts.extract);
    let mut findings = problems_to_findings(file, &extraction, &opts.rules);
    let per_pattern: Vec<Vec<Finding>> = extraction
        .patterns
        .par_iter()
        .map(|p| run_rules(&PatternContext::new(file, p, &opts.rules), rules::RULES))
        .collect();
    findings.extend(per_pattern.into_iter().flatten());
    finding::sort(&mut findings);
    FileResult { path: file.display_path(), text: Arc::from(file.text.as_str()), extraction, findings }
}

/// Run the enabled `rules` on one pattern. A rule that panics leaves a
/// CL009 finding instead of its own (the pattern's analyses may be half
/// computed, so its remaining rules are skipped); earlier rules' findings
/// stay.
fn run_rules(cx: &PatternContext<'_>, rules: &[&dyn Rule]) -> Vec<Finding> {
    let mut out = Vec::new();
    for rule in rules {
        if !cx.settings.is_enabled(&rule.meta().code) {
            continue;
        }
        let before = out.len();
        let caught = guard::catch(|| {
            guard::debug_trigger(guard::Site::Pattern, &cx.pattern.pattern);
            rule.check(cx, &mut out);
        });
        if let Err(message) = caught {
            out.truncate(before);
            out.push(guard::pattern_finding(cx, rule.meta(), &message));
            break;
        }
    }
    out
}

fn problems_to_findings(file: &SourceFile, extraction: &Extraction, settings: &RuleSettings) -> Vec<Finding> {
    rules::config_parse_error::on_problems(file, extraction, settings)
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
    let mut findings = run_rules(&cx, rules::RULES);
    finding::sort(&mut findings);
    let extraction = Extraction { kind: Some(extracted.kind.clone()), patterns: vec![extracted], problems: Vec::new() };
    FileResult { path: COMMAND_LINE.to_owned(), text: Arc::from(pattern), extraction, findings }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    fn copies(n: usize) -> SourceFile {
        let mut text = String::from("rules:\n");
        for i in 0..n {
            let _ = write!(text, "  - id: {i}\n    action: block\n    pattern: '(a+)+$'\n");
        }
        SourceFile::new("waf.yaml", text)
    }

    #[test]
    fn copies_of_a_pattern_are_analyzed_once_per_run() {
        let opts = LintOptions::default();
        let file = copies(1000);
        let r = lint_source(&file, &opts);
        let cl001 = r.findings.iter().filter(|f| f.code == "CL001").count();
        assert_eq!(cl001, 1000, "every copy still gets its finding");
        assert_eq!(opts.rules.run.computed(), 1);
        assert_eq!(opts.rules.run.reused(), 999);
        // A second file in the same run reuses it too.
        let again = lint_source(&SourceFile::new("other.yaml", file.text.clone()), &opts);
        assert_eq!(again.findings.iter().filter(|f| f.code == "CL001").count(), 1000);
        assert_eq!(opts.rules.run.computed(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn pipes_and_devices_named_explicitly_are_read_or_refused_never_passed() {
        let opts = LintOptions::default();
        // `/dev/zero` stops at the size cap instead of hanging.
        let r = lint_paths(&[PathBuf::from("/dev/zero")], &opts);
        assert!(r.errors.iter().any(|e| e.contains("limit")), "{:?}", r.errors);
        // A FIFO whose name says nothing about its format: an error.
        let dir = tempfile::tempdir().expect("temp dir");
        let fifo = dir.path().join("pipe");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo").success());
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::write(fifo, "SecRule ARGS \"@rx (a+)+$\" \"id:1\"\n").expect("write"))
        };
        let r = lint_paths(&[fifo], &opts);
        writer.join().expect("writer");
        assert!(r.errors.iter().any(|e| e.contains("cannot tell the config format")), "{:?}", r.errors);
        // A FIFO named like a config is read and linted.
        let fifo = dir.path().join("rules.conf");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo").success());
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::write(fifo, "SecRule ARGS \"@rx (a+)+$\" \"id:1\"\n").expect("write"))
        };
        let r = lint_paths(&[fifo], &opts);
        writer.join().expect("writer");
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert!(r.findings().iter().any(|f| f.code == "CL001"), "{:?}", r.findings());
    }

    #[cfg(unix)]
    #[test]
    fn configmap_symlinks_are_followed_inside_the_tree_and_outside_ones_reported() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().expect("temp dir");
        let mount = dir.path().join("mount");
        let data = mount.join("..2024_01_01_00_00_00.000000001");
        std::fs::create_dir_all(&data).expect("mkdir");
        std::fs::write(data.join("waf.conf"), "SecRule ARGS \"@rx (a+)+$\" \"id:1\"\n").expect("write");
        symlink("..2024_01_01_00_00_00.000000001", mount.join("..data")).expect("symlink");
        symlink("..data/waf.conf", mount.join("waf.conf")).expect("symlink");
        let outside = dir.path().join("outside.conf");
        std::fs::write(&outside, "SecRule ARGS \"@rx x\" \"id:2\"\n").expect("write");
        symlink(&outside, mount.join("other.conf")).expect("symlink");
        symlink(dir.path().join("gone.conf"), mount.join("dangling.conf")).expect("symlink");
        let r = lint_paths(&[mount], &LintOptions::default());
        let linted: Vec<&str> = r.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(linted.len(), 1, "{linted:?}");
        assert!(linted[0].ends_with("mount/waf.conf"), "{linted:?}");
        assert_eq!(r.findings().iter().filter(|f| f.code == "CL001").count(), 1);
        assert!(r.skipped.iter().any(|s| s.contains("other.conf") && s.contains("outside")), "{:?}", r.skipped);
        assert!(r.skipped.iter().any(|s| s.contains("dangling.conf")), "{:?}", r.skipped);
    }

    #[test]
    fn no_ignore_walks_files_ignore_rules_hide() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join(".ignore"), "hidden.yaml\n").expect("write");
        std::fs::write(dir.path().join("hidden.yaml"), "pattern: 'a('\n").expect("write");
        let walked = |no_ignore| {
            let opts = LintOptions { no_ignore, ..LintOptions::default() };
            walk(&[dir.path().to_path_buf()], &opts).0.len()
        };
        assert_eq!(walked(false), 0);
        assert_eq!(walked(true), 1);
    }

    #[test]
    fn the_summary_counts_what_ignore_rules_left_out() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        std::fs::write(
            root.join(".ignore"),
            "hidden.yaml
vendor/
notes.txt
",
        )
        .expect("write");
        std::fs::write(root.join("hidden.yaml"), "pattern: 'a('\n").expect("write");
        std::fs::write(root.join("notes.txt"), "not a config\n").expect("write");
        std::fs::write(root.join("seen.yaml"), "pattern: 'a+'\n").expect("write");
        std::fs::create_dir_all(root.join("vendor/deep")).expect("mkdir");
        for i in 0..3 {
            std::fs::write(root.join(format!("vendor/deep/{i}.yaml")), "pattern: 'b'\n").expect("write");
        }
        let run = |no_ignore| {
            let opts = LintOptions { no_ignore, ..LintOptions::default() };
            lint_paths(&[root.to_path_buf()], &opts).summary
        };
        let s = run(false);
        // hidden.yaml and the vendor folder (once); notes.txt is not a
        // file cfglint reads anyway.
        assert_eq!((s.files, s.ignored), (1, 2), "{s:?}");
        let s = run(true);
        assert_eq!((s.files, s.ignored), (5, 0), "{s:?}");
    }

    #[test]
    fn a_bad_byte_is_located_at_its_line_and_column() {
        let dir = tempfile::tempdir().expect("temp dir");
        let p = dir.path().join("bad.yaml");
        std::fs::write(&p, b"a: 1\nb: 2\nc: x\xff\n").expect("write");
        let r = lint_paths(&[p], &LintOptions::default());
        let f = r.findings().into_iter().find(|f| f.code == "CL100").expect("CL100");
        assert_eq!((f.line, f.column), (3, 5), "{}", f.message);
        assert!(f.message.contains("line 3, column 5"), "{}", f.message);
    }

    /// A rule that panics on patterns containing `boom`.
    struct Exploding;

    impl Rule for Exploding {
        fn meta(&self) -> &'static rules::RuleMeta {
            rules::meta("matches-everything")
        }

        fn check(&self, cx: &PatternContext<'_>, out: &mut Vec<Finding>) {
            out.push(cx.finding(self.meta(), None, "pushed before the panic"));
            assert!(!cx.pattern.pattern.contains("boom"), "exploded on {}", cx.pattern.pattern);
        }
    }

    #[test]
    fn a_panicking_rule_is_an_internal_error_finding_and_the_run_goes_on() {
        let opts = LintOptions::default();
        let file = SourceFile::new("waf.yaml", "rules:\n  - pattern: 'boom+'\n  - pattern: '(a+)+$'\n");
        let extraction = source::extract(&file, &opts.extract);
        assert_eq!(extraction.patterns.len(), 2);
        let before: &dyn Rule = rules::RULES[0];
        let all: Vec<Vec<Finding>> = extraction
            .patterns
            .iter()
            .map(|p| run_rules(&PatternContext::new(&file, p, &opts.rules), &[before, &Exploding, rules::RULES[1]]))
            .collect();
        // `boom+`: CL001 ran (nothing to say), the exploding rule's partial
        // output is dropped, one CL009 with the pattern and its span, and
        // the rules after it are skipped.
        let codes: Vec<&str> = all[0].iter().map(|f| f.code.as_str()).collect();
        assert_eq!(codes, ["CL009"], "{:?}", all[0]);
        let f = &all[0][0];
        assert!(f.message.starts_with("internal error while analysing this pattern, please report: exploded on boom+"));
        assert_eq!(f.pattern.as_deref(), Some("boom+"));
        assert_eq!(f.span, Some(extraction.patterns[0].span));
        assert_eq!(f.severity, crate::finding::Severity::Error);
        assert!(f.notes[0].contains("CL005 (matches-everything)"), "{:?}", f.notes);
        // `(a+)+$`: every rule ran, the panic elsewhere changed nothing.
        let codes: Vec<&str> = all[1].iter().map(|f| f.code.as_str()).collect();
        assert_eq!(codes, ["CL001", "CL005"], "{:?}", all[1]);
    }

    #[test]
    fn a_panic_while_reading_a_file_is_a_finding_on_that_file_and_the_run_goes_on() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("a.yaml"), "pattern: '(a+)+$'\n").expect("write");
        std::fs::write(dir.path().join("b.yaml"), "pattern: '(a+)+$'\n").expect("write");
        let opts = LintOptions::default();
        let r = run_paths(&[dir.path().to_path_buf()], &opts, |file, opts| {
            assert!(!file.display_path().ends_with("a.yaml"), "cannot read {}", file.display_path());
            lint_source(file, opts)
        });
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        let findings = r.findings();
        let codes: Vec<(&str, &str)> =
            findings.iter().map(|f| (f.file.rsplit('/').next().unwrap_or(""), f.code.as_str())).collect();
        assert_eq!(codes, [("a.yaml", "CL009"), ("b.yaml", "CL001")], "{findings:?}");
        assert!(findings[0].message.contains("please report: cannot read"), "{}", findings[0].message);
    }

    #[test]
    fn an_exhausted_run_budget_is_a_finding_not_silence() {
        let mut opts = LintOptions::default();
        opts.rules.run_budget = Some(std::time::Duration::ZERO);
        let r = lint_source(&copies(3), &opts);
        let skipped: Vec<_> = r.findings.iter().filter(|f| f.code == "CL008").collect();
        assert_eq!(skipped.len(), 3, "{:?}", r.findings);
        assert!(skipped.iter().all(|f| f.message.contains("run budget exhausted")));
        assert!(opts.rules.run.is_exhausted());
        assert_eq!(opts.rules.run.computed(), 0);
    }
}
