//! Benchmarks of `cfglint diff` and the analysis cache. Run with
//! `cargo bench --bench diff`.
//!
//! The fixture is a repository generated in a temporary folder (never
//! committed): 2,000 WAF rule YAML files in 40 folders, one commit, then a
//! second commit that changes 3 of them. This is the size the pre-commit /
//! CI latency target is stated for (`cfglint diff` ≤ 200 ms including
//! process start; see `benches/latency.sh` for the end-to-end measurement).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use cfglint::diff::{self, Request};
use cfglint::git;
use cfglint::lint::cache::ResultCache;
use cfglint::lint::{self, LintOptions};
use cfglint::source::SourceFile;
use git2::{Oid, Repository, Signature, Time};

fn main() {
    divan::main();
}

/// Files in the generated repository.
const FILES: usize = 2_000;

/// A typical rule file: 20 rules, about 3 KB.
fn rule_file(n: usize, variant: usize) -> String {
    let mut s = String::from("rules:\n");
    for r in 0..20 {
        let id = 100_000 + n * 100 + r;
        let _ = write!(
            s,
            "  - id: {id}\n    description: rule {r} of file {n}\n    pattern: '(?i)\\b(select|union|insert)\\s+[a-z_]{{1,{}}}\\s+from\\b'\n    targets: [args, uri]\n    action: block\n",
            8 + (r + variant) % 40
        );
    }
    s
}

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    base: Oid,
    head: Oid,
}

fn commit(repo: &Repository, files: &[(String, String)], parent: Option<Oid>) -> Oid {
    let mut index = repo.index().expect("index");
    for (path, text) in files {
        let entry = git2::IndexEntry {
            ctime: git2::IndexTime::new(0, 0),
            mtime: git2::IndexTime::new(0, 0),
            dev: 0,
            ino: 0,
            mode: 0o100_644,
            uid: 0,
            gid: 0,
            file_size: u32::try_from(text.len()).expect("small file"),
            id: Oid::ZERO_SHA1,
            flags: 0,
            flags_extended: 0,
            path: path.as_bytes().to_vec(),
        };
        index.add_frombuffer(&entry, text.as_bytes()).expect("stage");
    }
    index.write().expect("write index");
    let tree = repo.find_tree(index.write_tree().expect("tree")).expect("tree");
    let sig = Signature::new("Bench", "bench@example.com", &Time::new(1_700_000_000, 0)).expect("signature");
    let parents: Vec<git2::Commit<'_>> = parent.map(|p| repo.find_commit(p).expect("parent")).into_iter().collect();
    let refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, "bench", &tree, &refs).expect("commit")
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().to_path_buf();
        let repo = Repository::init(&root).expect("init");
        let files: Vec<(String, String)> =
            (0..FILES).map(|n| (format!("waf/team{:02}/rules{n:04}.yaml", n % 40), rule_file(n, 0))).collect();
        let base = commit(&repo, &files, None);
        let changed: Vec<(String, String)> =
            [7, 901, 1999].iter().map(|&n| (files[n].0.clone(), rule_file(n, 1))).collect();
        let head = commit(&repo, &changed, Some(base));
        Fixture { _dir: dir, root, base, head }
    })
}

fn request(f: &Fixture) -> Request {
    Request { base: Some(f.base.to_string()), head: Some(f.head.to_string()), staged: false }
}

/// Open the repository and diff two commits 3 files apart, no cache: what
/// `cfglint diff --no-cache` does after argument parsing.
#[divan::bench]
fn diff_2000_files_3_changed(bencher: divan::Bencher<'_, '_>) {
    let f = fixture();
    let req = request(f);
    let opts = LintOptions::default();
    bencher.bench(|| {
        let repo = git::open(&f.root).expect("open");
        let report = diff::run(&repo, &req, &opts, None).expect("diff");
        assert_eq!(report.summary.files, 3);
        report
    });
}

/// The same with a warm cache.
#[divan::bench]
fn diff_2000_files_3_changed_cached(bencher: divan::Bencher<'_, '_>) {
    let f = fixture();
    let req = request(f);
    let opts = LintOptions::default();
    let cache_dir = tempfile::tempdir().expect("cache dir");
    let cache = ResultCache::new(cache_dir.path(), b"bench");
    bencher.bench(|| {
        let repo = git::open(&f.root).expect("open");
        diff::run(&repo, &req, &opts, Some(&cache)).expect("diff")
    });
}

/// Only the git part: changed files between the two trees.
#[divan::bench]
fn changed_files_only(bencher: divan::Bencher<'_, '_>) {
    let f = fixture();
    let repo = Repository::open(&f.root).expect("open");
    let base = git::resolve(&repo, &f.base.to_string()).expect("base");
    let head = git::Head::Tree(git::resolve(&repo, &f.head.to_string()).expect("head"));
    bencher.bench_local(|| git::changed_files(&repo, &base, &head).expect("changes"));
}

fn typical_file() -> SourceFile {
    SourceFile::new(Path::new("waf/rules.yaml"), rule_file(1, 0))
}

/// Lint one typical file, no cache.
#[divan::bench]
fn lint_one_file(bencher: divan::Bencher<'_, '_>) {
    let file = typical_file();
    let opts = LintOptions::default();
    bencher.bench(|| lint::lint_source(&file, &opts));
}

/// Lint one typical file from a warm cache (hash, read, parse JSON).
#[divan::bench]
fn lint_one_file_cache_hit(bencher: divan::Bencher<'_, '_>) {
    let file = typical_file();
    let opts = LintOptions::default();
    let cache_dir = tempfile::tempdir().expect("cache dir");
    let cache = ResultCache::new(cache_dir.path(), b"bench");
    let _ = lint::lint_source_cached(&file, &opts, Some(&cache));
    bencher.bench(|| lint::lint_source_cached(&file, &opts, Some(&cache)));
}
