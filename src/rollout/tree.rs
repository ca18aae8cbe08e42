//! The whole work tree against a revision, the revisions a rollout and its
//! rollback need, and uncommitted edits in a change's scope.
//!
//! Position: beside [`super::manifest`]; `gate` and `rollback --verify`
//! call [`verify`], [`super::plan`] calls [`dirty_in_scope`].
//!
//! Guarantees: paths are compared literally (libgit2's pathspec matching is
//! off, no path is ever a glob); tracked files, symbolic links, executable
//! bits and untracked files that are not ignored all count; a revision
//! that is not in the clone (a shallow or partial clone) is an
//! [`Error::Unreachable`] naming it, never a `fatal:` from git later.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use git2::{Delta, DiffOptions, Oid, Repository, Status, StatusOptions};

use super::Error;
use super::manifest::{self, EMPTY_TREE, Manifest, Mismatch};
use crate::git::{Blob, read_blob};
use crate::source;

/// The tree of `rev` (`None`: the empty tree), or an error naming the
/// revision and what it is for (`role`: "rollback revision", …).
pub fn tree_at<'r>(repo: &'r Repository, rev: &str, role: &'static str) -> Result<Option<git2::Tree<'r>>, Error> {
    if rev == EMPTY_TREE {
        return Ok(None);
    }
    let unreachable = |message: String| Error::Unreachable {
        rev: rev.to_owned(),
        role,
        shallow: if repo.is_shallow() { " (this is a shallow clone)" } else { "" },
        message,
    };
    let id = Oid::from_str(rev).map_err(|e| unreachable(e.message().to_owned()))?;
    let object = repo.find_object(id, None).map_err(|e| unreachable(e.message().to_owned()))?;
    object.peel_to_tree().map(Some).map_err(|e| unreachable(e.message().to_owned()))
}

/// Check that the rollback can run here: the manifest's rollback revision
/// is in the clone, with the blob of every changed path it restores.
pub fn require_rollback(repo: &Repository, m: &Manifest) -> Result<(), Error> {
    let rev = m.rollback.revision.as_str();
    let Some(tree) = tree_at(repo, rev, "rollback revision")? else {
        return Ok(());
    };
    let odb = repo.odb().map_err(|e| Error::Unreachable {
        rev: rev.to_owned(),
        role: "rollback revision",
        shallow: "",
        message: e.message().to_owned(),
    })?;
    // The rollback restores the `before` side when it is the base, the
    // `after` side when it is the head (an inverse manifest).
    let restores_base = rev == m.base;
    for c in &m.changes {
        let wanted = if restores_base { c.before.is_some() } else { c.after.is_some() };
        if !wanted {
            continue;
        }
        let missing = match tree.get_path(Path::new(&c.path)) {
            Ok(entry) => !odb.exists(entry.id()),
            Err(_) => true,
        };
        if missing {
            return Err(Error::Unreachable {
                rev: rev.to_owned(),
                role: "rollback revision",
                shallow: if repo.is_shallow() { " (this is a shallow clone)" } else { "" },
                message: format!("{} is not in this clone at that revision", manifest::escape(&c.path)),
            });
        }
    }
    Ok(())
}

/// A blob's state as [`manifest::describe`] writes it.
fn blob_state(repo: &Repository, id: Oid, mode: u32) -> Result<String, Error> {
    let mode = manifest::mode_key(mode).unwrap_or_else(|| manifest::MODE_FILE.to_owned());
    match read_blob(repo, id, manifest::MAX_HASHED_BYTES)? {
        Blob::Bytes(b) => Ok(manifest::describe(&manifest::sha256(&b), &mode)),
        Blob::TooLarge(n) => Ok(format!("{n} bytes, over the hashing cap")),
    }
}

/// Compare the whole work tree of `repo` with the tree of `rev`: every
/// tracked file, symbolic link and mode, and every untracked file that is
/// not ignored. `skip` are files that are cfglint's own inputs (the
/// manifest, metrics, the configuration), absolute or relative to the
/// current folder; they are not part of what is deployed.
pub fn verify(repo: &Repository, rev: &str, role: &'static str, skip: &[PathBuf]) -> Result<Vec<Mismatch>, Error> {
    let tree = tree_at(repo, rev, role)?;
    let Some(root) = repo.workdir() else {
        return Ok(Vec::new());
    };
    let canon = |p: &Path| std::fs::canonicalize(p).ok();
    let skip: BTreeSet<PathBuf> = skip.iter().filter_map(|p| canon(p)).collect();
    let root_canon = canon(root).unwrap_or_else(|| root.to_path_buf());
    let mut opts = DiffOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_typechange(true)
        .ignore_submodules(true)
        .disable_pathspec_match(true);
    let git = |e: git2::Error| Error::Unreachable {
        rev: rev.to_owned(),
        role,
        shallow: if repo.is_shallow() { " (this is a shallow clone)" } else { "" },
        message: format!("cannot compare the work tree with it: {}", e.message()),
    };
    let diff = repo.diff_tree_to_workdir(tree.as_ref(), Some(&mut opts)).map_err(git)?;
    let mut out = Vec::new();
    for delta in diff.deltas() {
        if matches!(delta.status(), Delta::Unmodified | Delta::Ignored) {
            continue;
        }
        let Some(rel) = delta.new_file().path().or_else(|| delta.old_file().path()) else {
            continue;
        };
        if !skip.is_empty() && skip.contains(&root_canon.join(rel)) {
            continue;
        }
        let old = delta.old_file();
        let expected = if old.exists() && !old.id().is_zero() {
            Some(blob_state(repo, old.id(), u32::from(old.mode()))?)
        } else {
            None
        };
        let found = manifest::state_on_disk(&root.join(rel))?;
        // libgit2 reports a file whose timestamps changed; the bytes and
        // mode decide.
        if expected == found {
            continue;
        }
        out.push(Mismatch { path: source::display_path(rel), expected, found });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Uncommitted work in the scope of a change whose paths are `changed`:
/// staged or unstaged edits to a changed path, and untracked files (not
/// ignored) in the folder of a changed path. One `path: what` per entry,
/// sorted.
pub fn dirty_in_scope(repo: &Repository, changed: &BTreeSet<String>) -> Result<Vec<String>, Error> {
    if repo.workdir().is_none() || changed.is_empty() {
        return Ok(Vec::new());
    }
    let folders: BTreeSet<&str> = changed.iter().map(|p| p.rsplit_once('/').map_or("", |(d, _)| d)).collect();
    let mut opts = StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false)
        .exclude_submodules(true)
        .disable_pathspec_match(true);
    let statuses = repo.statuses(Some(&mut opts)).map_err(|e| Error::Io {
        path: repo.workdir().map_or_else(String::new, |p| p.display().to_string()),
        source: std::io::Error::other(format!("cannot read the work tree's status: {}", e.message())),
    })?;
    let mut out = Vec::new();
    for entry in statuses.iter() {
        let status = entry.status();
        let path = source::display_path(Path::new(&*String::from_utf8_lossy(entry.path_bytes())));
        let what = if status.contains(Status::WT_NEW) {
            let folder = path.rsplit_once('/').map_or("", |(d, _)| d);
            if !changed.contains(&path) && !folders.contains(folder) {
                continue;
            }
            "untracked, beside the change"
        } else if status.intersects(Status::CONFLICTED) {
            "conflicted"
        } else if status.is_empty() || status.contains(Status::IGNORED) || !changed.contains(&path) {
            continue;
        } else if status.intersects(Status::WT_MODIFIED | Status::WT_DELETED | Status::WT_TYPECHANGE) {
            "edited, not committed"
        } else {
            "staged, not committed"
        };
        out.push(format!("{}: {what}", manifest::escape(&path)));
    }
    out.sort();
    Ok(out)
}
