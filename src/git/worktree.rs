//! The work tree against a tree, its uncommitted work, and whether the
//! objects a rollback needs are in the clone: what `rollout`, `gate` and
//! `rollback --verify` ask of git, as plain data.
//!
//! Guarantees: paths are literal (libgit2's pathspec matching is off and
//! no pathspec is given, so no path is ever a glob); tracked files,
//! symbolic links, executable bits and untracked files that are not
//! ignored all count; an object that is not in the clone (a shallow or
//! partial clone) is an [`Error`] with git's reason, never a panic.

use std::path::{Path, PathBuf};

use git2::{Delta, DiffOptions, Oid, Status, StatusOptions};

use super::{Error, Reading, Repository, git_err};

/// The tree of the commit or tree whose full hexadecimal id is `id` (not
/// a revision expression: a manifest records ids).
pub fn tree_of(repo: &Repository, id: &str) -> Result<Oid, Error> {
    let context = || format!("cannot read {id}");
    let oid = Oid::from_str(id).map_err(git_err(context()))?;
    let object = repo.find_object(oid, None).map_err(git_err(context()))?;
    object.peel_to_tree().map(|t| t.id()).map_err(git_err(context()))
}

/// Is `id` (a full hexadecimal id) a commit in the repository?
pub fn is_commit(repo: &Repository, id: &str) -> bool {
    Oid::from_str(id).ok().and_then(|id| repo.find_commit(id).ok()).is_some()
}

/// Of `paths` (literal, relative to the root, `/`-separated), those that
/// the tree `tree` lacks, or whose blob is not in the clone; in the order
/// given.
pub fn missing_blobs<'p>(repo: &Repository, tree: Oid, paths: &[&'p str]) -> Result<Vec<&'p str>, Error> {
    let _reading = Reading::start(format!("tree {tree}"));
    let odb = repo.odb().map_err(git_err("cannot open the object database"))?;
    let tree = repo.find_tree(tree).map_err(git_err(format!("cannot read tree {}", super::short(tree))))?;
    Ok(paths
        .iter()
        .copied()
        .filter(|p| match tree.get_path(Path::new(p)) {
            Ok(entry) => !odb.exists(entry.id()),
            Err(_) => true,
        })
        .collect())
}

/// One path where the work tree differs from a tree (or git cannot tell
/// without reading the bytes: a file whose timestamps changed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkdirChange {
    /// Relative to the work tree's root.
    pub path: PathBuf,
    /// The blob and git mode in the tree (`0o100644`, `0o100755`,
    /// `0o120000` for a symbolic link); `None` when the tree lacks it.
    pub old: Option<(Oid, u32)>,
}

/// Every path where the work tree differs from `tree` (`None`: the empty
/// tree): tracked files, symbolic links and modes, and untracked files
/// that are not ignored (recursing into untracked folders). Submodules
/// are skipped.
pub fn workdir_changes(repo: &Repository, tree: Option<Oid>) -> Result<Vec<WorkdirChange>, Error> {
    let _reading = Reading::start("the work tree".to_owned());
    let tree = tree
        .map(|id| repo.find_tree(id).map_err(git_err(format!("cannot read tree {}", super::short(id)))))
        .transpose()?;
    let mut opts = DiffOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_typechange(true)
        .ignore_submodules(true)
        .disable_pathspec_match(true);
    let diff = repo
        .diff_tree_to_workdir(tree.as_ref(), Some(&mut opts))
        .map_err(git_err("cannot compare the work tree with it"))?;
    let mut out = Vec::new();
    for delta in diff.deltas() {
        if matches!(delta.status(), Delta::Unmodified | Delta::Ignored) {
            continue;
        }
        let Some(path) = delta.new_file().path().or_else(|| delta.old_file().path()) else {
            continue;
        };
        let old = delta.old_file();
        let old = (old.exists() && !old.id().is_zero()).then(|| (old.id(), u32::from(old.mode())));
        out.push(WorkdirChange { path: path.to_path_buf(), old });
    }
    Ok(out)
}

/// What kind of uncommitted work a path holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dirt {
    /// Untracked and not ignored.
    Untracked,
    /// A merge conflict.
    Conflicted,
    /// Changed in the work tree (content, deletion or type), not staged.
    Edited,
    /// Staged in the index, not committed.
    Staged,
}

/// Every path with uncommitted work (not ignored; submodules skipped;
/// untracked folders listed file by file), as it is in the work tree:
/// `/`-separated, relative to the root, in git's order.
pub fn uncommitted(repo: &Repository) -> Result<Vec<(String, Dirt)>, Error> {
    let _reading = Reading::start("the work tree's status".to_owned());
    let mut opts = StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false)
        .exclude_submodules(true)
        .disable_pathspec_match(true);
    let statuses = repo.statuses(Some(&mut opts)).map_err(git_err("cannot read the work tree's status"))?;
    let mut out = Vec::new();
    for entry in statuses.iter() {
        let status = entry.status();
        let path = String::from_utf8_lossy(entry.path_bytes()).into_owned();
        let dirt = if status.contains(Status::WT_NEW) {
            Dirt::Untracked
        } else if status.intersects(Status::CONFLICTED) {
            Dirt::Conflicted
        } else if status.is_empty() || status.contains(Status::IGNORED) {
            continue;
        } else if status.intersects(Status::WT_MODIFIED | Status::WT_DELETED | Status::WT_TYPECHANGE) {
            Dirt::Edited
        } else {
            Dirt::Staged
        };
        out.push((path, dirt));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> (tempfile::TempDir, Repository) {
        let dir = tempfile::tempdir().expect("temp dir");
        let repo = Repository::init(dir.path()).expect("init");
        (dir, repo)
    }

    fn commit(repo: &Repository) -> Oid {
        let mut index = repo.index().expect("index");
        index.add_all(["*"], git2::IndexAddOption::DEFAULT, None).expect("add");
        index.write().expect("write index");
        let tree = index.write_tree().expect("tree");
        let tree = repo.find_tree(tree).expect("tree");
        let sig = git2::Signature::now("t", "t@example.invalid").expect("sig");
        repo.commit(Some("HEAD"), &sig, &sig, "c", &tree, &[]).expect("commit")
    }

    #[test]
    fn workdir_changes_and_uncommitted_are_literal() {
        let (dir, repo) = repo();
        std::fs::write(dir.path().join("a.yaml"), "a\n").expect("write");
        std::fs::write(dir.path().join("[ab].yaml"), "x\n").expect("write");
        let head = commit(&repo);
        let tree = tree_of(&repo, &head.to_string()).expect("tree");
        assert!(workdir_changes(&repo, Some(tree)).expect("diff").is_empty());
        assert!(uncommitted(&repo).expect("status").is_empty());
        // A file named like a glob is that file, nothing else.
        std::fs::write(dir.path().join("[ab].yaml"), "y\n").expect("write");
        std::fs::write(dir.path().join("new.yaml"), "n\n").expect("write");
        let changes = workdir_changes(&repo, Some(tree)).expect("diff");
        let paths: Vec<_> = changes.iter().map(|c| (c.path.to_string_lossy().into_owned(), c.old.is_some())).collect();
        assert_eq!(paths, [("[ab].yaml".to_owned(), true), ("new.yaml".to_owned(), false)]);
        assert_eq!(
            uncommitted(&repo).expect("status"),
            [("[ab].yaml".to_owned(), Dirt::Edited), ("new.yaml".to_owned(), Dirt::Untracked)]
        );
        // Against the empty tree, every file is new.
        assert_eq!(workdir_changes(&repo, None).expect("diff").len(), 3);
        assert_eq!(missing_blobs(&repo, tree, &["a.yaml", "b.yaml", "[ab].yaml"]).expect("blobs"), ["b.yaml"]);
        assert!(is_commit(&repo, &head.to_string()));
        assert!(!is_commit(&repo, &tree.to_string()));
        assert!(!is_commit(&repo, "not hex"));
        let err = tree_of(&repo, "0123456789012345678901234567890123456789").expect_err("absent");
        assert!(!err.reason().is_empty());
    }
}
