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

use super::Error;
use super::manifest::{self, EMPTY_TREE, Manifest, Mismatch};
use crate::git::worktree::{self, Dirt};
use crate::git::{self, Blob, ObjectId, Repository, read_blob};
use crate::source;

fn shallow_note(repo: &Repository) -> &'static str {
    if git::is_shallow(repo) { " (this is a shallow clone)" } else { "" }
}

/// The tree of `rev` (`None`: the empty tree), or an error naming the
/// revision and what it is for (`role`: "rollback revision", …).
pub fn tree_at(repo: &Repository, rev: &str, role: &'static str) -> Result<Option<ObjectId>, Error> {
    if rev == EMPTY_TREE {
        return Ok(None);
    }
    worktree::tree_of(repo, rev).map(Some).map_err(|e| Error::Unreachable {
        rev: rev.to_owned(),
        role,
        shallow: shallow_note(repo),
        message: e.reason(),
    })
}

/// Check that the rollback can run here: the manifest's rollback revision
/// is in the clone, with the blob of every changed path it restores.
pub fn require_rollback(repo: &Repository, m: &Manifest) -> Result<(), Error> {
    let rev = m.rollback.revision.as_str();
    let Some(tree) = tree_at(repo, rev, "rollback revision")? else {
        return Ok(());
    };
    // The rollback restores the `before` side when it is the base, the
    // `after` side when it is the head (an inverse manifest).
    let restores_base = rev == m.base;
    let wanted: Vec<&str> = m
        .changes
        .iter()
        .filter(|c| if restores_base { c.before.is_some() } else { c.after.is_some() })
        .map(|c| c.path.as_str())
        .collect();
    let missing = worktree::missing_blobs(repo, tree, &wanted).map_err(|e| Error::Unreachable {
        rev: rev.to_owned(),
        role: "rollback revision",
        shallow: "",
        message: e.reason(),
    })?;
    if let Some(path) = missing.first() {
        return Err(Error::Unreachable {
            rev: rev.to_owned(),
            role: "rollback revision",
            shallow: shallow_note(repo),
            message: format!("{} is not in this clone at that revision", manifest::escape(path)),
        });
    }
    Ok(())
}

/// A blob's state as [`manifest::describe`] writes it.
fn blob_state(repo: &Repository, id: ObjectId, mode: u32) -> Result<String, Error> {
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
    let changes = worktree::workdir_changes(repo, tree).map_err(|e| Error::Unreachable {
        rev: rev.to_owned(),
        role,
        shallow: shallow_note(repo),
        message: format!("cannot compare the work tree with it: {}", e.reason()),
    })?;
    let mut out = Vec::new();
    for change in changes {
        let rel = change.path.as_path();
        if !skip.is_empty() && skip.contains(&root_canon.join(rel)) {
            continue;
        }
        let expected = match change.old {
            Some((id, mode)) => Some(blob_state(repo, id, mode)?),
            None => None,
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
    let entries = worktree::uncommitted(repo).map_err(|e| Error::Io {
        path: repo.workdir().map_or_else(String::new, |p| p.display().to_string()),
        source: std::io::Error::other(format!("cannot read the work tree's status: {}", e.reason())),
    })?;
    let mut out = Vec::new();
    for (path, dirt) in entries {
        let path = source::display_path(Path::new(&path));
        let what = match dirt {
            Dirt::Untracked => {
                let folder = path.rsplit_once('/').map_or("", |(d, _)| d);
                if !changed.contains(&path) && !folders.contains(folder) {
                    continue;
                }
                "untracked, beside the change"
            }
            Dirt::Conflicted => "conflicted",
            _ if !changed.contains(&path) => continue,
            Dirt::Edited => "edited, not committed",
            Dirt::Staged => "staged, not committed",
        };
        out.push(format!("{}: {what}", manifest::escape(&path)));
    }
    out.sort();
    Ok(out)
}
