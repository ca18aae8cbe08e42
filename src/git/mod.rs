//! Read-only git access with git2: open the repository, resolve revisions,
//! list the files changed between two trees (or a tree and the index), and
//! read blobs under a size cap.
//!
//! Position: the crate's only door to git. `diff`, `rollout`, `bench
//! --baseline` and the CLI reach repositories through this module and
//! nothing else calls git2; it knows nothing of regexes.
//!
//! Guarantees: nothing here writes to the repository or runs hooks (git2
//! never runs hooks; we only read objects, refs and the index). Every git
//! failure is an [`Error`] naming the revision or file, never a panic.
//! A shallow clone that lacks the history a request needs is reported as
//! such, with the fix, instead of silently diffing against an empty tree.
//! Every object read is registered while it runs, so that a watchdog
//! ([`stalled_read`]) can turn a read that never ends (libgit2 loops
//! forever inflating a truncated loose object) into an error.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use git2::{Delta, DiffFindOptions, DiffOptions, ErrorCode, FileMode, Oid};

pub use git2::{Oid as ObjectId, Repository};

pub mod worktree;

/// A git problem: no repository, a revision that does not resolve, a
/// shallow clone missing history, an unreadable object. Each is exit code 2.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum Error {
    /// No repository at or above the path.
    #[error("not a git repository (or any parent folder): {}", path.display())]
    #[diagnostic(
        code(cfglint::diff::not_a_repository),
        help("run cfglint diff inside a git work tree, or pass --repo PATH")
    )]
    NotARepository {
        /// Where the search started.
        path: PathBuf,
    },
    /// A revision that does not resolve.
    #[error("unknown revision `{rev}`: {message}")]
    #[diagnostic(
        code(cfglint::diff::unknown_revision),
        help("{}", if *shallow {
            "this is a shallow clone, so the revision may be outside its history: fetch it \
             (`git fetch --depth=1 origin <rev>`) or clone with full history (actions/checkout: `fetch-depth: 0`)"
        } else {
            "check the spelling; any commit, branch, tag or `HEAD~N` works"
        })
    )]
    UnknownRevision {
        /// The revision as given.
        rev: String,
        /// git's message.
        message: String,
        /// The repository is a shallow clone.
        shallow: bool,
    },
    /// `HEAD` has no commit yet and a commit was needed.
    #[error("HEAD does not point at a commit yet (unborn branch): there is no revision to diff")]
    #[diagnostic(
        code(cfglint::diff::unborn),
        help("use `cfglint diff --staged` to lint the staged files before the first commit")
    )]
    UnbornHead,
    /// A shallow clone lacks history the request needs.
    #[error("this is a shallow clone and {what} is not in it")]
    #[diagnostic(
        code(cfglint::diff::shallow),
        help(
            "pass --base with a commit that was fetched, fetch more history (`git fetch --deepen=50`), \
              or clone with full history (actions/checkout: `fetch-depth: 0`)"
        )
    )]
    Shallow {
        /// What is missing.
        what: String,
    },
    /// Any other git failure.
    #[error("{context}")]
    #[diagnostic(code(cfglint::git), help("if an object is corrupt or missing, `git fsck` finds and names it"))]
    Git {
        /// What was being done.
        context: String,
        /// git's error.
        #[source]
        source: git2::Error,
    },
}

impl Error {
    /// git's own reason, without what cfglint was doing: for messages that
    /// say that themselves.
    pub fn reason(&self) -> String {
        match self {
            Error::Git { source, .. } => source.message().to_owned(),
            Error::UnknownRevision { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }
}

/// Open the repository containing `path` (searching upward).
pub fn open(path: &Path) -> Result<Repository, Error> {
    Repository::discover(path).map_err(|e| match e.code() {
        ErrorCode::NotFound => Error::NotARepository { path: path.to_path_buf() },
        _ => Error::Git { context: format!("cannot open the repository at {}", path.display()), source: e },
    })
}

/// One side of a diff, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// How to show it: the revision as given, or how it was chosen
    /// (`merge base with origin/main`).
    pub label: String,
    /// The commit, when the side is one.
    pub commit: Option<Oid>,
    /// The tree; `None` is the empty tree (before the first commit).
    pub tree: Option<Oid>,
}

impl Resolved {
    /// The empty tree, labelled.
    pub fn empty(label: impl Into<String>) -> Resolved {
        Resolved { label: label.into(), commit: None, tree: None }
    }
}

/// The new side of a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Head {
    /// A tree (from a revision).
    Tree(Resolved),
    /// The index (staged changes).
    Index,
}

/// Git reads in progress: token, what is read, since when.
static IN_FLIGHT: Mutex<Vec<(u64, String, Instant)>> = Mutex::new(Vec::new());

/// A git read in progress; dropping it ends it.
struct Reading(u64);

impl Reading {
    fn start(what: String) -> Reading {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let token = NEXT.fetch_add(1, Ordering::Relaxed);
        IN_FLIGHT.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((token, what, Instant::now()));
        Reading(token)
    }
}

impl Drop for Reading {
    fn drop(&mut self) {
        IN_FLIGHT.lock().unwrap_or_else(std::sync::PoisonError::into_inner).retain(|(t, _, _)| *t != self.0);
    }
}

/// The oldest git read that has been running for longer than `limit`:
/// what it reads (for example `blob 1a2b3c4d5e6f`) and for how long. A
/// healthy read of a capped blob takes milliseconds; libgit2 never returns
/// from a truncated loose object.
pub fn stalled_read(limit: Duration) -> Option<(String, Duration)> {
    let now = Instant::now();
    IN_FLIGHT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
        .map(|(_, what, since)| (what.clone(), now.duration_since(*since)))
        .filter(|(_, age)| *age > limit)
        .max_by_key(|(_, age)| *age)
}

fn git_err(context: impl Into<String>) -> impl FnOnce(git2::Error) -> Error {
    let context = context.into();
    move |source| Error::Git { context, source }
}

/// Resolve a revision (commit-ish or tree-ish) as given by the user.
pub fn resolve(repo: &Repository, rev: &str) -> Result<Resolved, Error> {
    let object = repo.revparse_single(rev).map_err(|e| unknown_revision(repo, rev, &e))?;
    let commit = object.peel_to_commit().ok().map(|c| c.id());
    let tree = object.peel_to_tree().map_err(|e| unknown_revision(repo, rev, &e))?;
    Ok(Resolved { label: rev.to_owned(), commit, tree: Some(tree.id()) })
}

fn unknown_revision(repo: &Repository, rev: &str, e: &git2::Error) -> Error {
    if e.code() == ErrorCode::UnbornBranch
        || (rev == "HEAD" && repo.head().is_err_and(|h| h.code() == ErrorCode::UnbornBranch))
    {
        return Error::UnbornHead;
    }
    Error::UnknownRevision { rev: rev.to_owned(), message: e.message().to_owned(), shallow: repo.is_shallow() }
}

/// The tree of `HEAD`, or the empty tree on an unborn branch (for
/// `--staged` before the first commit).
pub fn head_or_empty(repo: &Repository) -> Result<Resolved, Error> {
    match resolve(repo, "HEAD") {
        Err(Error::UnbornHead) => Ok(Resolved::empty("the empty tree (no commits yet)")),
        other => other,
    }
}

/// The default branch to compare against: `origin/HEAD`, then
/// `origin/main`, `origin/master`, `main`, `master`. Returns its name and
/// commit.
pub fn default_branch(repo: &Repository) -> Option<(String, Oid)> {
    let origin_head = repo
        .find_reference("refs/remotes/origin/HEAD")
        .ok()
        .and_then(|r| r.symbolic_target().ok().flatten().map(str::to_owned))
        .into_iter();
    let fixed = ["refs/remotes/origin/main", "refs/remotes/origin/master", "refs/heads/main", "refs/heads/master"]
        .into_iter()
        .map(str::to_owned);
    for name in origin_head.chain(fixed) {
        if let Ok(r) = repo.find_reference(&name)
            && let Ok(c) = r.peel_to_commit()
        {
            let short =
                name.strip_prefix("refs/remotes/").or_else(|| name.strip_prefix("refs/heads/")).unwrap_or(&name);
            return Some((short.to_owned(), c.id()));
        }
    }
    None
}

/// The default base for a head commit: the merge base with the default
/// branch when there is one and it is not the head itself; otherwise the
/// head's first parent; for a root commit, the empty tree.
pub fn default_base(repo: &Repository, head: Oid) -> Result<Resolved, Error> {
    if let Some((branch, tip)) = default_branch(repo)
        && tip != head
    {
        match repo.merge_base(head, tip) {
            Ok(base) if base != head => {
                let tree =
                    repo.find_commit(base).and_then(|c| c.tree()).map_err(git_err("cannot read the merge base"))?;
                return Ok(Resolved {
                    label: format!("merge base with {branch} ({})", short(base)),
                    commit: Some(base),
                    tree: Some(tree.id()),
                });
            }
            Ok(_) => {}
            Err(e) if e.code() == ErrorCode::NotFound && repo.is_shallow() => {
                return Err(Error::Shallow { what: format!("the merge base of {} and {branch}", short(head)) });
            }
            // Unrelated histories: fall back to the parent.
            Err(e) if e.code() == ErrorCode::NotFound => {}
            Err(e) => return Err(git_err("cannot compute the merge base")(e)),
        }
    }
    first_parent(repo, head)
}

/// The first parent of a commit, or the empty tree for a root commit.
pub fn first_parent(repo: &Repository, id: Oid) -> Result<Resolved, Error> {
    let commit = repo.find_commit(id).map_err(git_err(format!("cannot read commit {}", short(id))))?;
    // In a shallow clone the boundary commit appears to have no parents;
    // its raw header still names them.
    let recorded = commit.raw_header_bytes().split(|&b| b == b'\n').filter(|l| l.starts_with(b"parent ")).count();
    if commit.parent_count() == 0 {
        if recorded > 0 {
            return Err(Error::Shallow { what: format!("the parent of {}", short(id)) });
        }
        return Ok(Resolved::empty(format!("the empty tree ({} is a root commit)", short(id))));
    }
    match commit.parent(0) {
        Ok(p) => {
            let tree = p.tree().map_err(git_err(format!("cannot read the tree of {}", short(p.id()))))?;
            Ok(Resolved {
                label: format!("{}^ ({})", short(id), short(p.id())),
                commit: Some(p.id()),
                tree: Some(tree.id()),
            })
        }
        Err(e) if e.code() == ErrorCode::NotFound && repo.is_shallow() => {
            Err(Error::Shallow { what: format!("the parent of {}", short(id)) })
        }
        Err(e) => Err(git_err(format!("cannot read the parent of {}", short(id)))(e)),
    }
}

/// Is the repository a shallow clone?
pub fn is_shallow(repo: &Repository) -> bool {
    repo.is_shallow()
}

/// The commit `HEAD` points at; `None` on an unborn branch or a detached
/// `HEAD` that does not name a commit.
pub fn head_commit(repo: &Repository) -> Option<Oid> {
    repo.head().ok().and_then(|h| h.peel_to_commit().ok()).map(|c| c.id())
}

/// git's `user.name` from the repository's configuration (and the global
/// and system ones), when set.
pub fn user_name(repo: &Repository) -> Option<String> {
    repo.config().ok().and_then(|c| c.get_string("user.name").ok())
}

/// The blob at `path` (literal, relative to the root) in `tree`: `None`
/// when the tree has nothing there; an error when it holds something else
/// (a folder, a submodule) or cannot be read.
pub fn blob_at(repo: &Repository, tree: Oid, path: &Path) -> Result<Option<Oid>, Error> {
    let _reading = Reading::start(format!("tree {tree}"));
    let tree = repo.find_tree(tree).map_err(git_err(format!("cannot read tree {}", short(tree))))?;
    let entry = match tree.get_path(path) {
        Ok(e) => e,
        Err(e) if e.code() == ErrorCode::NotFound => return Ok(None),
        Err(e) => return Err(git_err(format!("cannot read {}", path.display()))(e)),
    };
    let blob = entry
        .to_object(repo)
        .and_then(|o| o.peel_to_blob())
        .map_err(git_err(format!("{} is not a file", path.display())))?;
    Ok(Some(blob.id()))
}

/// A commit id shortened for messages.
pub fn short(id: Oid) -> String {
    let s = id.to_string();
    s[..s.len().min(12)].to_owned()
}

/// How a file changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// New file.
    Added,
    /// Content changed in place.
    Modified,
    /// Moved (and possibly changed).
    Renamed,
    /// Copied from another file (and possibly changed).
    Copied,
    /// Removed.
    Deleted,
}

/// One changed file. Paths are relative to the repository root with `/`
/// separators; ids are blob ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedFile {
    /// How it changed.
    pub status: Status,
    /// The path before (absent for added files).
    pub old_path: Option<PathBuf>,
    /// The path after (absent for deleted files).
    pub new_path: Option<PathBuf>,
    /// The blob before, when it was a regular file.
    pub old_blob: Option<Oid>,
    /// The blob after, when it is a regular file.
    pub new_blob: Option<Oid>,
    /// git's mode before (`0o100644`, `0o100755`, `0o120000` for a
    /// symbolic link), 0 when there is no file.
    pub old_mode: u32,
    /// git's mode after, as `old_mode`.
    pub new_mode: u32,
}

fn is_regular(mode: FileMode) -> bool {
    matches!(mode, FileMode::Blob | FileMode::BlobExecutable | FileMode::BlobGroupWritable)
}

/// The files changed from `base` to `head`, renames followed, in path
/// order. Submodules and symbolic links are skipped (they hold no config
/// text); a regular file that replaces one counts as added.
pub fn changed_files(repo: &Repository, base: &Resolved, head: &Head) -> Result<Vec<ChangedFile>, Error> {
    changed(repo, base, head, false)
}

/// As [`changed_files`], and symbolic links too (their blob holds the
/// link's target): what a rollout deploys and a rollback restores. A change
/// of mode only (the executable bit) is `Modified` with the same blob.
pub fn changed_entries(repo: &Repository, base: &Resolved, head: &Head) -> Result<Vec<ChangedFile>, Error> {
    changed(repo, base, head, true)
}

fn changed(repo: &Repository, base: &Resolved, head: &Head, links: bool) -> Result<Vec<ChangedFile>, Error> {
    let _reading = Reading::start(format!(
        "the trees of {} and {}",
        base.label,
        match head {
            Head::Tree(r) => r.label.as_str(),
            Head::Index => "the index",
        }
    ));
    let is_regular = |mode: FileMode| is_regular(mode) || (links && mode == FileMode::Link);
    let find_tree = |r: &Resolved| -> Result<Option<git2::Tree<'_>>, Error> {
        r.tree.map(|id| repo.find_tree(id).map_err(git_err(format!("cannot read the tree of {}", r.label)))).transpose()
    };
    let base_tree = find_tree(base)?;
    let mut opts = DiffOptions::new();
    opts.include_typechange(true).ignore_submodules(true).skip_binary_check(true);
    let mut diff = match head {
        Head::Tree(r) => {
            let head_tree = find_tree(r)?;
            repo.diff_tree_to_tree(base_tree.as_ref(), head_tree.as_ref(), Some(&mut opts))
        }
        Head::Index => {
            let index = repo.index().map_err(git_err("cannot read the index"))?;
            repo.diff_tree_to_index(base_tree.as_ref(), Some(&index), Some(&mut opts))
        }
    }
    .map_err(git_err("cannot compute the diff"))?;
    diff.find_similar(Some(DiffFindOptions::new().renames(true).for_untracked(false)))
        .map_err(git_err("cannot detect renames"))?;

    let mut out = Vec::new();
    for delta in diff.deltas() {
        let old = delta.old_file();
        let new = delta.new_file();
        let old_blob = (old.exists() && is_regular(old.mode())).then(|| old.id());
        let new_blob = (new.exists() && is_regular(new.mode())).then(|| new.id());
        let status = match delta.status() {
            Delta::Added => Status::Added,
            Delta::Deleted => Status::Deleted,
            Delta::Modified | Delta::Typechange => Status::Modified,
            Delta::Renamed => Status::Renamed,
            Delta::Copied => Status::Copied,
            // Unmodified, ignored, untracked, unreadable, conflicted: not a
            // change between two trees.
            _ => continue,
        };
        let status = match (old_blob, new_blob, status) {
            (None, None, _) => continue,
            (None, Some(_), Status::Modified) => Status::Added,
            (Some(_), None, Status::Modified) => Status::Deleted,
            (_, _, s) => s,
        };
        out.push(ChangedFile {
            status,
            old_path: old_blob.and(old.path()).map(Path::to_path_buf),
            new_path: new_blob.and(new.path()).map(Path::to_path_buf),
            old_blob,
            new_blob,
            old_mode: if old_blob.is_some() { u32::from(old.mode()) } else { 0 },
            new_mode: if new_blob.is_some() { u32::from(new.mode()) } else { 0 },
        });
    }
    out.sort_by(|a, b| a.new_path.as_ref().or(a.old_path.as_ref()).cmp(&b.new_path.as_ref().or(b.old_path.as_ref())));
    Ok(out)
}

/// A blob's bytes, or its size when it is over the cap (the bytes are not
/// loaded then).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blob {
    /// The content.
    Bytes(Vec<u8>),
    /// Over the cap.
    TooLarge(u64),
}

/// Read a blob under a size cap, checking the size from the object header
/// before inflating it.
pub fn read_blob(repo: &Repository, id: Oid, max_size: u64) -> Result<Blob, Error> {
    let context = || format!("cannot read blob {}", short(id));
    let _reading = Reading::start(format!("blob {id}"));
    let odb = repo.odb().map_err(git_err(context()))?;
    let (size, _) = odb.read_header(id).map_err(git_err(context()))?;
    if size as u64 > max_size {
        return Ok(Blob::TooLarge(size as u64));
    }
    let blob = repo.find_blob(id).map_err(git_err(context()))?;
    Ok(Blob::Bytes(blob.content().to_vec()))
}

/// One regular file in a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeFile {
    /// Repository-relative path with `/` separators (lossy for names that
    /// are not UTF-8).
    pub path: String,
    /// The blob.
    pub blob: Oid,
}

/// Every regular file (executable or not) in a tree, in path order;
/// symbolic links and submodules are skipped. Walks with an explicit stack
/// (no recursion), and names that are not UTF-8 are kept, lossily, rather
/// than ending the walk.
pub fn tree_files(repo: &Repository, tree: Oid) -> Result<Vec<TreeFile>, Error> {
    let _reading = Reading::start(format!("tree {tree}"));
    let root = repo.find_tree(tree).map_err(git_err(format!("cannot read tree {}", short(tree))))?;
    let mut out = Vec::new();
    let mut stack = vec![(String::new(), root)];
    while let Some((prefix, tree)) = stack.pop() {
        for entry in &tree {
            let path = format!("{prefix}{}", String::from_utf8_lossy(entry.name_bytes()));
            match entry.kind() {
                Some(git2::ObjectType::Tree) => {
                    let sub = repo.find_tree(entry.id()).map_err(git_err(format!("cannot read the tree of {path}")))?;
                    stack.push((format!("{path}/"), sub));
                }
                Some(git2::ObjectType::Blob) if entry.filemode_raw() != 0o120_000 => {
                    out.push(TreeFile { path, blob: entry.id() });
                }
                _ => {}
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}
