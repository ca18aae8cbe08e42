//! The analysis cache: a file whose content, path, cfglint build and
//! settings are unchanged is not analyzed again.
//!
//! Pipeline position: around the analysis of one file
//! (`lint::lint_source_cached`); suppressions are applied after a hit,
//! since whether one has expired depends on the day.
//!
//! Layout: `<dir>/<first two hex digits>/<sha256 hex>.json`, where the hash
//! covers a salt (cfglint version and build, the settings that change
//! results), the file's displayed path and its bytes. The directory is
//! `$CFGLINT_CACHE_DIR` when set, else `<git dir>/cfglint-cache` inside a
//! repository, else `$XDG_CACHE_HOME/cfglint` (or `~/.cache/cfglint`).
//!
//! Guarantees: safe under concurrent runs (each entry is written to a
//! unique temporary file and renamed into place, so readers see a whole
//! entry or none); a missing, unreadable, corrupt or foreign entry is a
//! miss, never an error; a cache that cannot be written is skipped
//! silently.
//!
//! Ownership: cfglint only writes into a cache directory it created (or
//! found empty, or holding only its own entries from before the tag) and
//! marked with a `CACHEDIR.TAG` naming cfglint; a
//! directory that holds anything else and no such tag (say
//! `CFGLINT_CACHE_DIR=$HOME`) is not used at all. Pruning, at most once a
//! day, deletes only regular files named like cfglint's own entries
//! (`<2 hex>/<64 hex>.json`) or temporary files (`*.cfglint-tmp`) in the
//! marked directory, never follows a symbolic link (a symlinked cache
//! directory is not pruned), and removes entries unused for 30 days, then
//! the least recently used ones beyond [`MAX_ENTRIES`].
//! A cached result has no offset maps and no parse problems (the problems
//! are already findings); everything else is as computed.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::finding::Finding;
use crate::lint::{FileResult, LintOptions};
use crate::source::{ExtractedPattern, Extraction, Kind, SourceFile};

/// Entry format version; bump when the entry shape changes.
const ENTRY_VERSION: u32 = 2;

/// Entries unused for this long are pruned.
const MAX_AGE: Duration = Duration::from_secs(30 * 24 * 3600);

/// A bigger entry file is not read (a miss).
const MAX_ENTRY_BYTES: u64 = 64 << 20;

/// How often pruning runs, and how often a hit refreshes an entry's age.
const PRUNE_EVERY: Duration = Duration::from_secs(24 * 3600);

/// The cache folder's name inside a git directory.
pub const GIT_DIR_NAME: &str = "cfglint-cache";

/// At most this many entries are kept (about 4 KB each on average): pruning
/// removes the least recently used beyond it.
pub const MAX_ENTRIES: usize = 20_000;

/// The tag file that marks a directory as cfglint's cache (the
/// <https://bford.info/cachedir/> convention, so backup tools skip it).
pub const TAG_NAME: &str = "CACHEDIR.TAG";

/// The tag file's content; the first line is the convention's signature.
const TAG: &str = "Signature: 8a477f597d28d172789f06886806bc55\n\
# This file is a cache directory tag created by cfglint.\n\
# cfglint deletes only its own entries here. See https://bford.info/cachedir/\n";

/// A cache rooted at one directory, for one salt.
#[derive(Debug, Clone)]
pub struct ResultCache {
    dir: PathBuf,
    salt: [u8; 32],
    /// Whether the directory is ours (created or tagged); decided once.
    owned: Arc<OnceLock<bool>>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    version: u32,
    path: String,
    kind: Option<Kind>,
    patterns: Vec<ExtractedPattern>,
    findings: Vec<Finding>,
}

impl ResultCache {
    /// A cache in `dir` whose entries are valid only for `salt` (see
    /// [`salt`]). The directory is created on first write.
    pub fn new(dir: impl Into<PathBuf>, salt: &[u8]) -> ResultCache {
        ResultCache { dir: dir.into(), salt: Sha256::digest(salt).into(), owned: Arc::new(OnceLock::new()) }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the cache goes for a run started in `start`:
    /// `$CFGLINT_CACHE_DIR`, else the git directory found upward from
    /// `start`, else the user's cache directory. `None` when there is none.
    pub fn default_dir(start: &Path) -> Option<PathBuf> {
        if let Some(d) = env_dir() {
            return Some(d);
        }
        if let Some(git_dir) = find_git_dir(start) {
            return Some(git_dir.join(GIT_DIR_NAME));
        }
        if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
            return Some(PathBuf::from(d).join("cfglint"));
        }
        std::env::var_os("HOME").filter(|d| !d.is_empty()).map(|h| PathBuf::from(h).join(".cache").join("cfglint"))
    }

    /// Where the cache goes for a repository whose git directory is
    /// `git_dir`: `$CFGLINT_CACHE_DIR`, else `<git dir>/cfglint-cache`.
    pub fn dir_for_git_dir(git_dir: &Path) -> PathBuf {
        env_dir().unwrap_or_else(|| git_dir.join(GIT_DIR_NAME))
    }

    /// The entry file for a source file.
    fn entry_path(&self, file: &SourceFile) -> PathBuf {
        let mut h = Sha256::new();
        h.update(self.salt);
        h.update(file.display_path().as_bytes());
        h.update([0]);
        h.update(file.text.as_bytes());
        let hex = crate::fsutil::hex(&h.finalize());
        self.dir.join(&hex[..2]).join(format!("{hex}.json"))
    }

    /// The cached analysis of `file`, if any.
    pub fn get(&self, file: &SourceFile) -> Option<FileResult> {
        let path = self.entry_path(file);
        // Entries are small; a FIFO or a huge file planted here is a miss.
        let bytes = crate::fsutil::read_regular(&path, MAX_ENTRY_BYTES).ok()?;
        let entry: Entry = serde_json::from_slice(&bytes).ok()?;
        let shown = file.display_path();
        if entry.version != ENTRY_VERSION || entry.path != shown {
            return None;
        }
        refresh_age(&path);
        Some(FileResult {
            path: shown,
            text: Arc::from(file.text.as_str()),
            extraction: Extraction { kind: entry.kind, patterns: entry.patterns, problems: Vec::new() },
            findings: entry.findings,
        })
    }

    /// Store the analysis of `file`. Failures are ignored: the cache is an
    /// optimization.
    pub fn put(&self, file: &SourceFile, result: &FileResult) {
        let entry = Entry {
            version: ENTRY_VERSION,
            path: file.display_path(),
            kind: result.extraction.kind.clone(),
            patterns: result.extraction.patterns.clone(),
            findings: result.findings.clone(),
        };
        let Ok(bytes) = serde_json::to_vec(&entry) else { return };
        if !self.claim() {
            return;
        }
        let path = self.entry_path(file);
        if let Some(parent) = path.parent()
            && std::fs::create_dir_all(parent).is_ok()
        {
            let _ = crate::fsutil::write_private(&path, &bytes);
        }
    }

    /// True when the cache directory is cfglint's: tagged already, or
    /// created now, or found holding nothing but cfglint's own layout (empty,
    /// or a cache written before the tag existed), and tagged. A symbolic
    /// link or a directory holding anything else without the tag is not
    /// ours.
    fn claim(&self) -> bool {
        *self.owned.get_or_init(|| {
            if is_tagged(&self.dir) {
                return true;
            }
            let fresh = match std::fs::symlink_metadata(&self.dir) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::create_dir_all(&self.dir).is_ok(),
                Ok(m) if m.is_dir() => holds_only_cache_entries(&self.dir),
                _ => false,
            };
            fresh && std::fs::write(self.dir.join(TAG_NAME), TAG).is_ok()
        })
    }

    /// Delete cfglint's entries unused for 30 days, the least recently used
    /// beyond [`MAX_ENTRIES`], and stale temporary files, at most once a day
    /// (a stamp file records the last run). Only in a tagged, real (not
    /// symlinked) cache directory, and only files named like cfglint's.
    pub fn prune_if_due(&self) {
        let Ok(meta) = std::fs::symlink_metadata(&self.dir) else { return };
        if !meta.is_dir() || !is_tagged(&self.dir) {
            return;
        }
        let stamp = self.dir.join(".last-prune");
        let now = SystemTime::now();
        let due = match std::fs::symlink_metadata(&stamp) {
            Ok(m) if m.is_file() => {
                m.modified().is_ok_and(|t| now.duration_since(t).is_ok_and(|age| age > PRUNE_EVERY))
            }
            Ok(_) => false,
            Err(_) => true,
        };
        if !due {
            return;
        }
        let _ = crate::fsutil::write_private(&stamp, b"");
        let Ok(shards) = std::fs::read_dir(&self.dir) else { return };
        let mut kept: Vec<(SystemTime, PathBuf)> = Vec::new();
        for shard in shards.filter_map(Result::ok) {
            // `DirEntry::file_type` does not follow symbolic links.
            let shard_name = shard.file_name();
            if !shard.file_type().is_ok_and(|t| t.is_dir()) || !is_hex(&shard_name.to_string_lossy(), 2) {
                continue;
            }
            let Ok(entries) = std::fs::read_dir(shard.path()) else { continue };
            for e in entries.filter_map(Result::ok) {
                let name = e.file_name();
                let name = name.to_string_lossy();
                let is_temp = name.ends_with(crate::fsutil::TEMP_SUFFIX);
                let is_entry = name.strip_suffix(".json").is_some_and(|h| is_hex(h, 64));
                if !(is_temp || is_entry) || !e.file_type().is_ok_and(|t| t.is_file()) {
                    continue;
                }
                let limit = if is_temp { Duration::from_secs(3600) } else { MAX_AGE };
                let modified = e.metadata().and_then(|m| m.modified()).unwrap_or(now);
                if now.duration_since(modified).is_ok_and(|age| age > limit) {
                    let _ = std::fs::remove_file(e.path());
                } else if is_entry {
                    kept.push((modified, e.path()));
                }
            }
        }
        if kept.len() > MAX_ENTRIES {
            kept.sort();
            let excess = kept.len() - MAX_ENTRIES;
            for (_, path) in kept.into_iter().take(excess) {
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

/// True when `dir` holds nothing but cfglint's cache layout: two-hex-digit
/// shard folders of entries and temporary files, and the prune stamp (so
/// an empty folder, or a cache from before the tag). Symbolic links,
/// anything else, or more than twice [`MAX_ENTRIES`] files: false.
fn holds_only_cache_entries(dir: &Path) -> bool {
    let Ok(top) = std::fs::read_dir(dir) else { return false };
    let mut seen = 0usize;
    for e in top {
        let Ok(e) = e else { return false };
        let name = e.file_name();
        let name = name.to_string_lossy();
        let Ok(kind) = e.file_type() else { return false };
        if name == ".last-prune" && kind.is_file() {
            continue;
        }
        if !(kind.is_dir() && is_hex(&name, 2)) {
            return false;
        }
        let Ok(shard) = std::fs::read_dir(e.path()) else { return false };
        for f in shard {
            let Ok(f) = f else { return false };
            seen += 1;
            let name = f.file_name();
            let name = name.to_string_lossy();
            let ours =
                name.ends_with(crate::fsutil::TEMP_SUFFIX) || name.strip_suffix(".json").is_some_and(|h| is_hex(h, 64));
            if !ours || !f.file_type().is_ok_and(|t| t.is_file()) || seen > 2 * MAX_ENTRIES {
                return false;
            }
        }
    }
    true
}

/// True when `dir` is a real directory holding cfglint's cache tag.
fn is_tagged(dir: &Path) -> bool {
    std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir())
        && std::fs::symlink_metadata(dir.join(TAG_NAME)).is_ok_and(|m| m.is_file() && m.len() < 4096)
        && std::fs::read_to_string(dir.join(TAG_NAME)).is_ok_and(|t| t == TAG)
}

/// True when `s` is `len` lowercase hex digits.
fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `$CFGLINT_CACHE_DIR`, when set and not empty.
fn env_dir() -> Option<PathBuf> {
    std::env::var_os("CFGLINT_CACHE_DIR").filter(|d| !d.is_empty()).map(PathBuf::from)
}

/// Mark an entry as recently used (its modification time is its age for
/// pruning), at most once a day per entry.
fn refresh_age(path: &Path) {
    let now = SystemTime::now();
    let stale = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .is_ok_and(|t| now.duration_since(t).is_ok_and(|age| age > PRUNE_EVERY));
    if stale && let Ok(f) = std::fs::File::options().append(true).open(path) {
        let _ = f.set_modified(now);
    }
}

/// The salt for a run: what, besides a file's path and bytes, decides its
/// findings. Covers the cfglint version and this build of it (so a rebuilt
/// binary never reads a stale analysis), the pipeline options and any
/// further settings text (for example the config file, whose analysis
/// budgets change results).
pub fn salt(opts: &LintOptions, extra: &str) -> Vec<u8> {
    let mut s = String::new();
    s.push_str(env!("CARGO_PKG_VERSION"));
    s.push('\0');
    s.push_str(&build_id());
    s.push('\0');
    // `Debug` of the options is deterministic: vectors and BTreeMaps only.
    let _ = write!(s, "{opts:?}");
    s.push('\0');
    s.push_str(extra);
    s.into_bytes()
}

/// Identifies the running executable: its size and modification time.
fn build_id() -> String {
    std::env::current_exe()
        .and_then(std::fs::metadata)
        .map(|m| {
            let mtime = m.modified().ok().and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok());
            format!("{}:{}", m.len(), mtime.map_or(0, |d| d.as_nanos()))
        })
        .unwrap_or_default()
}

/// The git directory for `start`: the first `.git` folder upward, or the
/// folder a `.git` file (worktrees, submodules) points at.
pub fn find_git_dir(start: &Path) -> Option<PathBuf> {
    for dir in start.ancestors() {
        let dot_git = dir.join(".git");
        let Ok(meta) = std::fs::metadata(&dot_git) else { continue };
        if meta.is_dir() {
            return Some(dot_git);
        }
        if meta.is_file() {
            let text = crate::fsutil::read_regular_text(&dot_git, 64 * 1024).ok()?;
            let target = text.lines().find_map(|l| l.strip_prefix("gitdir:"))?.trim();
            let target = Path::new(target);
            let target = if target.is_absolute() { target.to_path_buf() } else { dir.join(target) };
            return is_git_dir(&target).then_some(target);
        }
    }
    None
}

/// True when `dir` looks like a git directory: a folder with a `HEAD` file
/// and either an `objects` folder or (a linked worktree's) `commondir` file.
fn is_git_dir(dir: &Path) -> bool {
    dir.is_dir() && dir.join("HEAD").is_file() && (dir.join("objects").is_dir() || dir.join("commondir").is_file())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Severity;
    use crate::source::{Flags, Flavor, OffsetMap, Semantics, Span};

    fn result_for(file: &SourceFile) -> FileResult {
        let pattern = ExtractedPattern {
            pattern: "(a+)+$".to_owned(),
            span: Span::new(11, 17),
            offsets: OffsetMap::verbatim(11, 17),
            key: "rules[0].pattern".to_owned(),
            kind: Kind::WafYaml,
            flavor: Flavor::Pcre,
            semantics: Semantics::Search,
            flags: Flags::default(),
            rule_id: Some("1".to_owned()),
        };
        let f = Finding::new(
            "CL001",
            "exponential-backtracking",
            Severity::Error,
            &file.display_path(),
            &file.text,
            Some(pattern.span),
            "m",
        );
        FileResult {
            path: file.display_path(),
            text: Arc::from(file.text.as_str()),
            extraction: Extraction { kind: Some(Kind::WafYaml), patterns: vec![pattern], problems: Vec::new() },
            findings: vec![f],
        }
    }

    #[test]
    fn hit_after_put_miss_after_any_change() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = ResultCache::new(dir.path().join("c"), b"salt");
        let file = SourceFile::new("waf.yaml", "- pattern: (a+)+$\n");
        assert!(cache.get(&file).is_none());
        let r = result_for(&file);
        cache.put(&file, &r);
        let hit = cache.get(&file).expect("hit");
        assert_eq!(hit.findings, r.findings);
        assert_eq!(hit.extraction.patterns[0].key, "rules[0].pattern");
        assert_eq!(hit.extraction.kind, Some(Kind::WafYaml));
        // Different bytes, path or salt: a miss.
        assert!(cache.get(&SourceFile::new("waf.yaml", "- pattern: (a+)+$ \n")).is_none());
        assert!(cache.get(&SourceFile::new("other.yaml", "- pattern: (a+)+$\n")).is_none());
        assert!(ResultCache::new(dir.path().join("c"), b"other salt").get(&file).is_none());
    }

    #[test]
    fn corrupt_entries_are_misses() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = ResultCache::new(dir.path(), b"s");
        let file = SourceFile::new("a.yaml", "x: 1\n");
        cache.put(&file, &result_for(&file));
        let entry = cache.entry_path(&file);
        std::fs::write(&entry, b"{\"version\": 1, \"trunc").expect("overwrite");
        assert!(cache.get(&file).is_none());
        // An unwritable cache directory is not an error either.
        let blocked = ResultCache::new(dir.path().join("file-not-dir"), b"s");
        std::fs::write(dir.path().join("file-not-dir"), b"").expect("create file");
        blocked.put(&file, &result_for(&file));
        assert!(blocked.get(&file).is_none());
    }

    #[test]
    fn concurrent_writers_and_readers_see_whole_entries() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = ResultCache::new(dir.path(), b"s");
        let file = SourceFile::new("a.yaml", "x: 1\n".repeat(2000));
        let r = result_for(&file);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..25 {
                        cache.put(&file, &r);
                        if let Some(hit) = cache.get(&file) {
                            assert_eq!(hit.findings, r.findings);
                        }
                    }
                });
            }
        });
        assert!(cache.get(&file).is_some());
        let shard = cache.entry_path(&file).parent().expect("shard").to_path_buf();
        let leftovers: Vec<_> = std::fs::read_dir(shard)
            .expect("shard exists")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(crate::fsutil::TEMP_SUFFIX))
            .collect();
        assert!(leftovers.is_empty(), "temporary files left behind");
    }

    #[test]
    fn prune_removes_old_entries_only() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = ResultCache::new(dir.path(), b"s");
        let old = SourceFile::new("old.yaml", "a: 1\n");
        let new = SourceFile::new("new.yaml", "b: 1\n");
        cache.put(&old, &result_for(&old));
        cache.put(&new, &result_for(&new));
        let long_ago = SystemTime::now() - Duration::from_secs(40 * 24 * 3600);
        std::fs::File::options()
            .append(true)
            .open(cache.entry_path(&old))
            .and_then(|f| f.set_modified(long_ago))
            .expect("age the entry");
        cache.prune_if_due();
        assert!(cache.get(&old).is_none());
        assert!(cache.get(&new).is_some());
    }

    #[test]
    fn finds_git_dirs_and_gitfiles() {
        let dir = tempfile::tempdir().expect("temp dir");
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(repo.join(".git")).expect("mkdir");
        std::fs::create_dir_all(repo.join("sub/deeper")).expect("mkdir");
        assert_eq!(find_git_dir(&repo.join("sub/deeper")), Some(repo.join(".git")));
        let wt = dir.path().join("wt");
        std::fs::create_dir_all(&wt).expect("mkdir");
        std::fs::write(wt.join(".git"), "gitdir: ../repo/.git/worktrees/wt\n").expect("gitfile");
        // Not a git directory (yet): not accepted.
        assert_eq!(find_git_dir(&wt), None);
        let linked = repo.join(".git/worktrees/wt");
        std::fs::create_dir_all(&linked).expect("mkdir");
        std::fs::write(linked.join("HEAD"), "ref: refs/heads/wt\n").expect("HEAD");
        std::fs::write(linked.join("commondir"), "../..\n").expect("commondir");
        assert_eq!(find_git_dir(&wt), Some(wt.join("../repo/.git/worktrees/wt")));
    }

    #[test]
    fn a_gitdir_pointing_at_a_plain_folder_is_not_a_git_dir() {
        let dir = tempfile::tempdir().expect("temp dir");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).expect("mkdir");
        std::fs::write(home.join("notes.txt"), "mine").expect("write");
        let wt = dir.path().join("wt");
        std::fs::create_dir_all(&wt).expect("mkdir");
        std::fs::write(wt.join(".git"), format!("gitdir: {}\n", home.display())).expect("gitfile");
        assert_eq!(find_git_dir(&wt), None);
    }

    /// A folder of the user's files, every one of them 40 days old, some
    /// named the way the old pruning matched (`.tmp*`) and in two-letter
    /// subfolders like cache shards.
    fn old_user_files(home: &Path) -> Vec<PathBuf> {
        let files = [
            "notes.txt",
            ".tmp-draft",
            "ab/thesis.tex",
            "ab/.tmpfile",
            "0f/0f00000000000000000000000000000000000000000000000000000000000000.json",
        ];
        let long_ago = SystemTime::now() - Duration::from_secs(40 * 24 * 3600);
        files
            .iter()
            .map(|f| {
                let p = home.join(f);
                std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
                std::fs::write(&p, "precious").expect("write");
                std::fs::File::options().append(true).open(&p).and_then(|f| f.set_modified(long_ago)).expect("age");
                p
            })
            .collect()
    }

    #[test]
    fn a_symlinked_cache_dir_never_prunes_its_target() {
        let dir = tempfile::tempdir().expect("temp dir");
        let home = dir.path().join("home");
        let files = old_user_files(&home);
        let git = dir.path().join("repo/.git");
        std::fs::create_dir_all(&git).expect("mkdir");
        let link = git.join(GIT_DIR_NAME);
        std::os::unix::fs::symlink(&home, &link).expect("symlink");
        let cache = ResultCache::new(&link, b"s");
        let file = SourceFile::new("a.yaml", "x: 1\n");
        cache.put(&file, &result_for(&file));
        cache.prune_if_due();
        for f in &files {
            assert!(f.exists(), "{} was deleted", f.display());
        }
        // Nothing was written into the user's folder either.
        assert!(!home.join(TAG_NAME).exists());
        assert!(cache.get(&file).is_none());
    }

    #[test]
    fn a_cache_from_before_the_tag_is_adopted() {
        // Caches written before CACHEDIR.TAG existed hold only cfglint's own
        // layout: they stay in use after an upgrade (the pre-commit hook's
        // latency depends on it), and are tagged then.
        let dir = tempfile::tempdir().expect("temp dir");
        let old = ResultCache::new(dir.path(), b"s");
        let file = SourceFile::new("a.yaml", "x: 1\n");
        old.put(&file, &result_for(&file));
        std::fs::remove_file(dir.path().join(TAG_NAME)).expect("untag: the old layout");
        std::fs::write(dir.path().join(".last-prune"), b"").expect("stamp");
        let cache = ResultCache::new(dir.path(), b"s");
        assert!(cache.get(&file).is_some(), "the old entry is a hit");
        let other = SourceFile::new("b.yaml", "y: 2\n");
        cache.put(&other, &result_for(&other));
        assert!(dir.path().join(TAG_NAME).is_file(), "adopted and tagged");
        // One foreign file anywhere and it is not ours.
        let foreign = tempfile::tempdir().expect("temp dir");
        let c = ResultCache::new(foreign.path(), b"s");
        c.put(&file, &result_for(&file));
        std::fs::remove_file(foreign.path().join(TAG_NAME)).expect("untag");
        let shard = std::fs::read_dir(foreign.path()).expect("read").filter_map(Result::ok).find(|e| e.path().is_dir());
        std::fs::write(shard.expect("a shard").path().join("notes.txt"), b"mine").expect("write");
        let c = ResultCache::new(foreign.path(), b"s");
        c.put(&other, &result_for(&other));
        assert!(!foreign.path().join(TAG_NAME).exists(), "a folder with a foreign file is not adopted");
    }

    #[test]
    fn a_cache_dir_full_of_user_files_is_neither_used_nor_pruned() {
        // `CFGLINT_CACHE_DIR=$HOME/.cache` lands here.
        let dir = tempfile::tempdir().expect("temp dir");
        let files = old_user_files(dir.path());
        let cache = ResultCache::new(dir.path(), b"s");
        let file = SourceFile::new("a.yaml", "x: 1\n");
        cache.put(&file, &result_for(&file));
        cache.prune_if_due();
        for f in &files {
            assert!(f.exists(), "{} was deleted", f.display());
        }
        assert!(!dir.path().join(TAG_NAME).exists());
    }

    #[test]
    fn pruning_a_tagged_cache_spares_foreign_files_and_symlinks() {
        let dir = tempfile::tempdir().expect("temp dir");
        let outside = dir.path().join("outside");
        let precious = old_user_files(&outside);
        let root = dir.path().join("cache");
        let cache = ResultCache::new(&root, b"s");
        let file = SourceFile::new("a.yaml", "x: 1\n");
        cache.put(&file, &result_for(&file));
        assert!(root.join(TAG_NAME).is_file());
        // A foreign old file and a symlinked shard inside the cache.
        let foreign = old_user_files(&root.join("mine"));
        std::os::unix::fs::symlink(outside.join("ab"), root.join("cd")).expect("symlink");
        cache.prune_if_due();
        for f in precious.iter().chain(&foreign) {
            assert!(f.exists(), "{} was deleted", f.display());
        }
        assert!(cache.get(&file).is_some());
    }

    #[test]
    fn pruning_keeps_at_most_max_entries() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = ResultCache::new(dir.path().join("c"), b"s");
        let first = SourceFile::new("first.yaml", "a: 1\n");
        cache.put(&first, &result_for(&first));
        let a_while_ago = SystemTime::now() - Duration::from_secs(3600);
        std::fs::File::options()
            .append(true)
            .open(cache.entry_path(&first))
            .and_then(|f| f.set_modified(a_while_ago))
            .expect("age the entry");
        // Fill the cache with empty entry files past the limit.
        for i in 0..MAX_ENTRIES {
            let hex = crate::fsutil::hex(&Sha256::digest(i.to_le_bytes()));
            let p = dir.path().join("c").join(&hex[..2]).join(format!("{hex}.json"));
            std::fs::create_dir_all(p.parent().expect("shard")).expect("mkdir");
            std::fs::write(p, b"").expect("write");
        }
        cache.prune_if_due();
        let count: usize = std::fs::read_dir(dir.path().join("c"))
            .expect("read")
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|d| std::fs::read_dir(d.path()).expect("shard").count())
            .sum();
        assert_eq!(count, MAX_ENTRIES);
        assert!(cache.get(&first).is_none(), "the least recently used entry goes first");
    }

    #[test]
    fn salt_depends_on_settings() {
        let a = LintOptions::default();
        let mut b = LintOptions::default();
        b.extract.flavor = Some(Flavor::Js);
        assert_ne!(salt(&a, ""), salt(&b, ""));
        assert_ne!(salt(&a, "config 1"), salt(&a, "config 2"));
        assert_eq!(salt(&a, "x"), salt(&a, "x"));
    }
}
