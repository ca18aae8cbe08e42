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
//! silently. Entries unused for 30 days are pruned at most once a day.
//! A cached result has no offset maps and no parse problems (the problems
//! are already findings); everything else is as computed.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::lint::{FileResult, LintOptions};
use crate::report::Finding;
use crate::source::{ExtractedPattern, Extraction, Kind, SourceFile};

/// Entry format version; bump when the entry shape changes.
const ENTRY_VERSION: u32 = 2;

/// Entries unused for this long are pruned.
const MAX_AGE: Duration = Duration::from_secs(30 * 24 * 3600);

/// How often pruning runs, and how often a hit refreshes an entry's age.
const PRUNE_EVERY: Duration = Duration::from_secs(24 * 3600);

/// The cache folder's name inside a git directory.
pub const GIT_DIR_NAME: &str = "cfglint-cache";

/// A cache rooted at one directory, for one salt.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
    salt: [u8; 32],
}

#[derive(Serialize, Deserialize)]
struct Entry {
    version: u32,
    path: String,
    kind: Option<Kind>,
    patterns: Vec<ExtractedPattern>,
    findings: Vec<Finding>,
}

impl Cache {
    /// A cache in `dir` whose entries are valid only for `salt` (see
    /// [`salt`]). The directory is created on first write.
    pub fn new(dir: impl Into<PathBuf>, salt: &[u8]) -> Cache {
        Cache { dir: dir.into(), salt: Sha256::digest(salt).into() }
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
        let hex = to_hex(&h.finalize());
        self.dir.join(&hex[..2]).join(format!("{hex}.json"))
    }

    /// The cached analysis of `file`, if any.
    pub fn get(&self, file: &SourceFile) -> Option<FileResult> {
        let path = self.entry_path(file);
        let bytes = std::fs::read(&path).ok()?;
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
        let path = self.entry_path(file);
        if let Some(parent) = path.parent()
            && std::fs::create_dir_all(parent).is_ok()
        {
            let _ = write_atomic(&path, &bytes);
        }
    }

    /// Delete entries unused for 30 days and stale temporary files, at most
    /// once a day (a stamp file records the last run).
    pub fn prune_if_due(&self) {
        let stamp = self.dir.join(".last-prune");
        let now = SystemTime::now();
        let due = match std::fs::metadata(&stamp).and_then(|m| m.modified()) {
            Ok(t) => now.duration_since(t).is_ok_and(|age| age > PRUNE_EVERY),
            Err(_) => self.dir.is_dir(),
        };
        if !due {
            return;
        }
        let _ = std::fs::write(&stamp, b"");
        let Ok(shards) = std::fs::read_dir(&self.dir) else { return };
        for shard in shards.filter_map(Result::ok) {
            if !shard.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let Ok(entries) = std::fs::read_dir(shard.path()) else { continue };
            for e in entries.filter_map(Result::ok) {
                let name = e.file_name();
                let is_temp = name.to_string_lossy().starts_with(".tmp");
                let limit = if is_temp { Duration::from_secs(3600) } else { MAX_AGE };
                let old = e
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| now.duration_since(t).is_ok_and(|age| age > limit));
                if old {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }
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
            let text = std::fs::read_to_string(&dot_git).ok()?;
            let target = text.lines().find_map(|l| l.strip_prefix("gitdir:"))?.trim();
            let target = Path::new(target);
            return Some(if target.is_absolute() { target.to_path_buf() } else { dir.join(target) });
        }
    }
    None
}

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

/// Write a file atomically: a unique temporary file in the same folder,
/// then a rename over the target. Concurrent writers of the same path each
/// rename a whole file; readers never see a partial one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp =
        dir.join(format!(".tmp.{name}.{}.{nanos}.{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed)));
    let result = (|| {
        let mut f = std::fs::File::options().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.flush()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Severity;
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
        let cache = Cache::new(dir.path().join("c"), b"salt");
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
        assert!(Cache::new(dir.path().join("c"), b"other salt").get(&file).is_none());
    }

    #[test]
    fn corrupt_entries_are_misses() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = Cache::new(dir.path(), b"s");
        let file = SourceFile::new("a.yaml", "x: 1\n");
        cache.put(&file, &result_for(&file));
        let entry = cache.entry_path(&file);
        std::fs::write(&entry, b"{\"version\": 1, \"trunc").expect("overwrite");
        assert!(cache.get(&file).is_none());
        // An unwritable cache directory is not an error either.
        let blocked = Cache::new(dir.path().join("file-not-dir"), b"s");
        std::fs::write(dir.path().join("file-not-dir"), b"").expect("create file");
        blocked.put(&file, &result_for(&file));
        assert!(blocked.get(&file).is_none());
    }

    #[test]
    fn concurrent_writers_and_readers_see_whole_entries() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = Cache::new(dir.path(), b"s");
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
            .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "temporary files left behind");
    }

    #[test]
    fn prune_removes_old_entries_only() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = Cache::new(dir.path(), b"s");
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
        assert_eq!(find_git_dir(&wt), Some(wt.join("../repo/.git/worktrees/wt")));
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
