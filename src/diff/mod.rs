//! Change-aware linting: `cfglint diff`, plus the pieces that make cfglint
//! fit a commit workflow (baselines, inline suppressions, the analysis
//! cache).
//!
//! Pipeline position: on top of [`crate::lint`]. For every config file
//! changed between two trees (or between `HEAD` and the index), [`run`]
//! reads both versions from git, lints each with the normal pipeline (cached
//! by content), pairs old and new regexes by identity ([`pair`]) and keeps
//! only the findings the change introduced or made worse.
//!
//! - [`git`]: read-only repository access (git2; never runs hooks, never
//!   writes to the repository).
//! - [`pair`]: pure pairing and comparison of two versions of a file.
//! - [`suppress`]: `# cfglint: allow CL002 reason="…" until=…` comments.
//! - [`baseline`]: `check --baseline` / `--write-baseline` files.
//! - [`cache`]: the content-hash analysis cache.
//!
//! Guarantees: a file that cannot be read as text (binary, not UTF-8, over
//! the size cap) is a CL100 finding on that file and the run goes on; a git
//! problem (not a repository, unknown revision, a shallow clone missing the
//! base) is an [`Error`] that names it; nothing panics on repository
//! content. Output is deterministic (files in path order, findings sorted).

pub mod pair;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use crate::finding::Finding;
use crate::lint::{self, FileResult, LintOptions};
use crate::report::{Sources, Summary};
use crate::source::{self, LoadError, SourceFile};

use crate::git::{self, Repository};
use crate::lint::cache::ResultCache;
use crate::lint::exclude::Excludes;

use crate::git::{ChangedFile, Head, Resolved, Status};

/// Why a diff could not be computed. Each is exit code 2.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum Error {
    /// `--staged` in a bare repository: there is no index of staged files.
    #[error("--staged needs a repository with a work tree; this one is bare, so nothing can be staged")]
    #[diagnostic(
        code(cfglint::diff::bare),
        help("run cfglint diff in a clone with a work tree, or compare two commits with --base and --head")
    )]
    BareStaged,
    /// An `exclude` glob from cfglint.toml that does not parse.
    #[error("invalid exclude glob `{glob}`: {message}")]
    #[diagnostic(code(cfglint::diff::exclude))]
    InvalidExclude {
        /// The glob.
        glob: String,
        /// Why.
        message: String,
    },
    /// A git problem (repository, revision, object).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Git(#[from] crate::git::Error),
}

/// What to compare.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The base revision; `None` for the default (the merge base with the
    /// default branch, else `HEAD`'s first parent; with `--staged`, `HEAD`).
    pub base: Option<String>,
    /// The head revision; `None` for `HEAD`. Ignored when `staged`.
    pub head: Option<String>,
    /// Compare with the index instead of a revision.
    pub staged: bool,
}

/// The result for one changed file.
#[derive(Debug, Clone)]
pub struct FileChange {
    /// How the file changed.
    pub status: Status,
    /// The path after the change (before, for deleted files).
    pub path: String,
    /// The path before, when renamed or copied.
    pub old_path: Option<String>,
    /// Regexes added.
    pub added: usize,
    /// Regexes modified.
    pub modified: usize,
    /// Regexes unchanged (possibly moved).
    pub unchanged: usize,
    /// Regexes removed.
    pub removed: usize,
}

/// The result of a diff.
#[derive(Debug, Clone)]
pub struct DiffReport {
    /// The base side.
    pub base: Resolved,
    /// The head side (`None`: the index).
    pub head: Option<Resolved>,
    /// Changed files, in path order (deleted and unread files included).
    pub files: Vec<FileChange>,
    /// Findings to report, sorted.
    pub findings: Vec<Finding>,
    /// The new version's text of every linted file, for snippets.
    pub sources: Sources,
    /// Totals: files linted, regexes added or modified, findings reported.
    pub summary: Summary,
}

/// Resolve the two sides of a request.
pub fn resolve(repo: &Repository, req: &Request) -> Result<(Resolved, Head), Error> {
    if req.staged {
        if repo.is_bare() {
            return Err(Error::BareStaged);
        }
        let base = match &req.base {
            Some(rev) => git::resolve(repo, rev)?,
            None => git::head_or_empty(repo)?,
        };
        return Ok((base, Head::Index));
    }
    let head = git::resolve(repo, req.head.as_deref().unwrap_or("HEAD"))?;
    let base = match (&req.base, head.commit) {
        (Some(rev), _) => git::resolve(repo, rev)?,
        (None, Some(commit)) => git::default_base(repo, commit)?,
        (None, None) => {
            return Err(git::Error::UnknownRevision {
                rev: head.label.clone(),
                message: "names a tree, not a commit, so there is no default base; pass --base".to_owned(),
                shallow: false,
            }
            .into());
        }
    };
    Ok((base, Head::Tree(head)))
}

/// One changed file read from git: both versions, or why one cannot be read.
struct Sides {
    change: ChangedFile,
    old: Option<Result<SourceFile, LoadError>>,
    new: Option<Result<SourceFile, LoadError>>,
}

/// True when cfglint would read a file at this path whatever its content
/// (an unreadable one is then worth a CL100 finding).
fn is_config_path(path: &Path) -> bool {
    if source::detect_format(path, "").is_some() {
        return true;
    }
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    Path::new(&name).extension().is_some_and(|e| e == "conf")
        || path.parent().and_then(Path::file_name).is_some_and(|p| p == "patterns")
}

/// Read one side of a changed file. `Ok(None)`: not a file cfglint reads.
fn read_side(
    repo: &Repository,
    path: &Path,
    blob: git::ObjectId,
    opts: &LintOptions,
) -> Result<Option<Result<SourceFile, LoadError>>, Error> {
    let by_path = is_config_path(path);
    if !by_path && opts.extract.custom.is_empty() {
        return Ok(None);
    }
    let shown = source::display_path(path);
    let loaded = match git::read_blob(repo, blob, opts.max_file_size)? {
        git::Blob::TooLarge(size) => Err(LoadError::TooLarge { path: shown, size, limit: opts.max_file_size }),
        git::Blob::Bytes(bytes) => source::from_bytes(path, bytes, opts.max_file_size),
    };
    Ok(match loaded {
        Ok(file) if by_path || source::detect_format(path, &file.text).is_some() || !opts.extract.custom.is_empty() => {
            Some(Ok(file))
        }
        // Unreadable content only matters where a config file is expected.
        Err(e) if by_path => Some(Err(e)),
        Ok(_) | Err(_) => None,
    })
}

/// Lint one side (through the cache when given).
fn lint_side(side: &Result<SourceFile, LoadError>, opts: &LintOptions, cache: Option<&ResultCache>) -> FileResult {
    match side {
        Ok(file) => lint::lint_source_cached(file, opts, cache),
        Err(e) => {
            let path = match e {
                LoadError::TooLarge { path, .. } | LoadError::Binary { path, .. } | LoadError::NotUtf8 { path, .. } => {
                    PathBuf::from(path)
                }
                LoadError::Io { path, .. } => PathBuf::from(path),
            };
            lint::load_problem(&path, e, opts)
        }
    }
}

/// The `exclude` globs of the options, relative to the repository root
/// (as `check` applies them relative to the folders it walks); `rollout`
/// uses the same to say which changed files were not linted.
pub fn excludes(opts: &LintOptions) -> Result<Excludes, Error> {
    Excludes::new(&opts.exclude).map_err(|invalid| {
        let first = invalid.into_iter().next().expect("an error names at least one glob");
        Error::InvalidExclude { glob: first.glob, message: first.message }
    })
}

/// Lint what changed between the two sides of `req`, keeping only findings
/// on regexes that are new or changed and that are new or worse.
pub fn run(
    repo: &Repository,
    req: &Request,
    opts: &LintOptions,
    cache: Option<&ResultCache>,
) -> Result<DiffReport, Error> {
    let start = Instant::now();
    let (base, head) = resolve(repo, req)?;
    let excluded = excludes(opts)?;
    let mut changes = git::changed_files(repo, &base, &head)?;
    changes.retain(|c| !c.new_path.as_ref().or(c.old_path.as_ref()).is_some_and(|p| excluded.excludes(p)));

    // Read blobs on this thread (a Repository is not Sync), lint in parallel.
    let mut sides = Vec::with_capacity(changes.len());
    let mut deleted = Vec::new();
    for change in changes {
        let new = match (&change.new_path, change.new_blob) {
            (Some(p), Some(b)) => read_side(repo, p, b, opts)?,
            _ => None,
        };
        let Some(new) = new else {
            if change.status == Status::Deleted && change.old_path.as_deref().is_some_and(is_config_path) {
                deleted.push(change);
            }
            continue;
        };
        let old = match (&change.old_path, change.old_blob) {
            (Some(p), Some(b)) => read_side(repo, p, b, opts)?,
            _ => None,
        };
        sides.push(Sides { change, old, new: Some(new) });
    }

    let results: Vec<(FileChange, pair::Comparison, FileResult)> = sides
        .par_iter()
        .map(|s| {
            let new = lint_side(s.new.as_ref().expect("only sides with a new version are kept"), opts, cache);
            let old = s.old.as_ref().map(|o| lint_side(o, opts, cache));
            let old_path = old.as_ref().map_or(new.path.as_str(), |o| o.path.as_str());
            let old_version = pair::Version {
                path: old_path,
                text: old.as_ref().map_or("", |o| &o.text),
                patterns: old.as_ref().map_or(&[], |o| &o.extraction.patterns),
                findings: old.as_ref().map_or(&[], |o| &o.findings),
            };
            let new_version = pair::Version {
                path: &new.path,
                text: &new.text,
                patterns: &new.extraction.patterns,
                findings: &new.findings,
            };
            let cmp = pair::compare(&old_version, &new_version);
            let renamed = matches!(s.change.status, Status::Renamed | Status::Copied);
            let file = FileChange {
                status: s.change.status,
                path: new.path.clone(),
                old_path: renamed.then(|| s.change.old_path.as_deref().map(source::display_path)).flatten(),
                added: cmp.added,
                modified: cmp.modified,
                unchanged: cmp.unchanged,
                removed: cmp.removed,
            };
            (file, cmp, new)
        })
        .collect();

    let mut files = Vec::new();
    let mut findings = Vec::new();
    let mut sources = Sources::default();
    let mut regexes = 0;
    let linted = results.len();
    for (file, cmp, new) in results {
        regexes += cmp.added + cmp.modified;
        findings.extend(cmp.findings);
        sources.insert(&new.path, Arc::clone(&new.text));
        files.push(file);
    }
    for d in deleted {
        let path = d.old_path.as_deref().map(source::display_path).unwrap_or_default();
        files.push(FileChange {
            status: Status::Deleted,
            path,
            old_path: None,
            added: 0,
            modified: 0,
            unchanged: 0,
            removed: 0,
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    crate::finding::sort(&mut findings);
    let summary = Summary {
        files: linted,
        regexes,
        findings: findings.len(),
        elapsed_ms: u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
        unreadable: 0,
        ignored: 0,
    };
    let head = match head {
        Head::Tree(r) => Some(r),
        Head::Index => None,
    };
    Ok(DiffReport { base, head, files, findings, sources, summary })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_in_a_bare_repository_is_an_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let repo = Repository::init_bare(dir.path()).expect("init bare");
        let req = Request { staged: true, ..Request::default() };
        assert!(matches!(resolve(&repo, &req), Err(Error::BareStaged)));
    }
}
