//! `cfglint diff`, baselines, suppressions and the cache, on real temporary
//! git repositories built with git2 (no mocks): added, modified, renamed and
//! deleted files, binary and non-UTF-8 content, a file that becomes invalid,
//! the initial commit, a detached HEAD, an unborn branch, the index, the
//! default base, a shallow clone, and the command line's exit codes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cfglint::diff::{self, Request};
use cfglint::git::{self, Status};
use cfglint::lint::LintOptions;
use cfglint::lint::{self, cache::ResultCache};
use cfglint::source::{self, SourceFile};
use git2::{Oid, Repository, RepositoryInitOptions, Signature, Time};
use tempfile::TempDir;

/// A repository in a temporary folder.
struct Repo {
    dir: TempDir,
    repo: Repository,
}

impl Repo {
    /// A fresh repository whose first branch is `main`.
    fn init() -> Repo {
        let dir = tempfile::tempdir().expect("temp dir");
        let repo = Repository::init_opts(dir.path(), RepositoryInitOptions::new().initial_head("main"))
            .expect("init repository");
        Repo { dir, repo }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, path: &str, content: impl AsRef<[u8]>) {
        let p = self.root().join(path);
        std::fs::create_dir_all(p.parent().expect("a file has a parent")).expect("mkdir");
        std::fs::write(p, content).expect("write file");
    }

    fn remove(&self, path: &str) {
        std::fs::remove_file(self.root().join(path)).expect("remove file");
    }

    /// Stage every change in the work tree, deletions included.
    fn stage_all(&self) {
        let mut index = self.repo.index().expect("index");
        index.add_all(["*"], git2::IndexAddOption::DEFAULT, None).expect("add all");
        index.update_all(["*"], None).expect("update all");
        index.write().expect("write index");
    }

    /// Stage everything and commit on the current branch.
    fn commit(&self, message: &str) -> Oid {
        self.stage_all();
        let mut index = self.repo.index().expect("index");
        let tree = self.repo.find_tree(index.write_tree().expect("write tree")).expect("tree");
        let sig = Signature::new("Test", "test@example.com", &Time::new(1_700_000_000, 0)).expect("signature");
        let parent = self.repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        self.repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents).expect("commit")
    }

    fn diff(&self, req: &Request) -> Result<diff::DiffReport, diff::Error> {
        diff::run(&self.repo, req, &LintOptions::default(), None)
    }

    /// Run the cfglint binary in the repository.
    fn cfglint(&self, args: &[&str]) -> Output {
        cfglint_in(self.root(), args)
    }
}

fn cfglint_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cfglint"))
        .args(args)
        .arg("--no-config")
        .arg("--color=never")
        .current_dir(dir)
        .env_remove("CFGLINT_CACHE_DIR")
        .output()
        .expect("run cfglint")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("stdout is JSON ({e}): {}", String::from_utf8_lossy(&o.stdout)))
}

fn statuses(report: &diff::DiffReport) -> Vec<(String, Status, Option<String>)> {
    report.files.iter().map(|f| (f.path.clone(), f.status, f.old_path.clone())).collect()
}

fn codes(report: &diff::DiffReport) -> Vec<(String, String)> {
    report.findings.iter().map(|f| (f.file.clone(), f.code.clone())).collect()
}

/// A WAF rule file with enough text for rename detection.
fn waf(id: u32, pattern: &str) -> String {
    format!(
        "rules:\n  - id: {id}\n    description: a rule long enough for git to see a rename by content\n    pattern: '{pattern}'\n    targets: [args, uri]\n    action: block\n"
    )
}

#[test]
fn added_modified_renamed_deleted_and_non_config_files() {
    let r = Repo::init();
    r.write("a.yaml", waf(1, "a+b"));
    r.write("b.yaml", waf(2, "c+d"));
    r.write("c.toml", "[[rules]]\nid = 'x'\nregex = '''a.*b'''\n");
    r.write("logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    r.write("notes.txt", "not config\n");
    r.commit("one");
    r.write("a.yaml", waf(1, "a+b+c"));
    std::fs::create_dir_all(r.root().join("sub")).expect("mkdir");
    std::fs::rename(r.root().join("b.yaml"), r.root().join("sub/b2.yaml")).expect("rename");
    r.remove("c.toml");
    r.write("e.yaml", waf(5, "e"));
    r.write("logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0");
    r.write("notes.txt", "still not config\n");
    r.commit("two");

    let report = r.diff(&Request::default()).expect("diff");
    assert_eq!(
        statuses(&report),
        [
            ("a.yaml".to_owned(), Status::Modified, None),
            ("c.toml".to_owned(), Status::Deleted, None),
            ("e.yaml".to_owned(), Status::Added, None),
            ("sub/b2.yaml".to_owned(), Status::Renamed, Some("b.yaml".to_owned())),
        ]
    );
    assert_eq!(report.summary.files, 3, "deleted files are listed, not linted");
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    assert!(report.base.label.contains('^'), "default base on main is HEAD's parent: {}", report.base.label);
    assert_eq!(report.sources.get("a.yaml").map(|t| t.contains("a+b+c")), Some(true));

    // The same through the git layer.
    let (base, head) = diff::resolve(&r.repo, &Request::default()).expect("resolve");
    let changes = git::changed_files(&r.repo, &base, &head).expect("changes");
    let renamed = changes.iter().find(|c| c.status == Status::Renamed).expect("a rename");
    assert_eq!(renamed.old_path.as_deref(), Some(Path::new("b.yaml")));
    assert_eq!(renamed.old_blob, renamed.new_blob, "pure rename keeps the blob");
    assert!(changes.iter().any(|c| c.new_path.as_deref() == Some(Path::new("logo.png"))), "git lists the binary");
}

#[test]
fn unreadable_config_is_a_finding_per_file_and_the_run_goes_on() {
    let r = Repo::init();
    r.write("bin.yaml", waf(1, "a"));
    r.write("latin1.toml", "regex = 'a'\n");
    r.write("big.yaml", "a: 1\n");
    r.write("ok.yaml", waf(2, "b"));
    r.commit("one");
    r.write("bin.yaml", b"rules:\n\0\0\x01binary");
    r.write("latin1.toml", b"regex = 'caf\xe9'\n");
    r.write("big.yaml", format!("a: '{}'\n", "x".repeat(4096)));
    r.write("ok.yaml", waf(2, "bc"));
    r.commit("two");

    let opts = LintOptions { max_file_size: 1024, ..LintOptions::default() };
    let report = diff::run(&r.repo, &Request::default(), &opts, None).expect("diff");
    let found: BTreeMap<String, String> = report.findings.iter().map(|f| (f.file.clone(), f.message.clone())).collect();
    assert!(found["bin.yaml"].contains("looks binary"), "{found:?}");
    assert!(found["latin1.toml"].contains("not valid UTF-8"), "{found:?}");
    assert!(found["big.yaml"].contains("over the 1024-byte limit"), "{found:?}");
    assert!(!found.contains_key("ok.yaml"));
    assert!(report.findings.iter().all(|f| f.code == "CL100"));

    // On the command line: findings (exit 1), not an error (2).
    let out = r.cfglint(&["diff", "--format", "json", "--no-cache"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["version"], 1);
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(2), "big.yaml is under the default cap");
}

#[test]
fn a_file_that_becomes_invalid() {
    let r = Repo::init();
    r.write("rules.yaml", waf(1, "a"));
    r.commit("one");
    let broken = "rules:\n  - id: 1\n    pattern: 'unterminated\n  - [\n";
    r.write("rules.yaml", broken);
    r.commit("two");
    let report = r.diff(&Request::default()).expect("diff");
    // Extractors land separately: assert the CL100 only when this build's
    // YAML parser reports the problem.
    let parsed = source::extract(&SourceFile::new("rules.yaml", broken), &source::ExtractOptions::default());
    if parsed.problems.is_empty() {
        assert!(report.findings.is_empty());
        return;
    }
    assert_eq!(codes(&report), [("rules.yaml".to_owned(), "CL100".to_owned())]);
    // Unchanged since: a later diff that does not touch it says nothing.
    r.write("other.yaml", "x: 1\n");
    r.commit("three");
    assert!(r.diff(&Request::default()).expect("diff").findings.is_empty());
}

#[test]
fn exclude_globs_apply_to_changed_files() {
    let r = Repo::init();
    r.write("vendor/x/bad.yaml", "a: 1\n");
    r.write("gen/out.yaml", "a: 1\n");
    r.write("own.yaml", "a: 1\n");
    r.commit("one");
    r.write("vendor/x/bad.yaml", b"\0");
    r.write("gen/out.yaml", b"\0");
    r.write("own.yaml", b"\0");
    r.commit("two");
    let opts = LintOptions { exclude: vec!["vendor".into(), "gen/*.yaml".into()], ..LintOptions::default() };
    let report = diff::run(&r.repo, &Request::default(), &opts, None).expect("diff");
    assert_eq!(codes(&report), [("own.yaml".to_owned(), "CL100".to_owned())]);
    let bad = LintOptions { exclude: vec!["{unclosed".into()], ..LintOptions::default() };
    let err = diff::run(&r.repo, &Request::default(), &bad, None).expect_err("bad glob");
    assert!(err.to_string().contains("invalid exclude glob"), "{err}");
}

#[test]
fn initial_commit_diffs_against_the_empty_tree() {
    let r = Repo::init();
    r.write("a.yaml", waf(1, "a"));
    r.write("dir/b.json", "{\"regex\": \"b\"}\n");
    r.commit("root");
    let report = r.diff(&Request::default()).expect("diff");
    assert!(report.base.tree.is_none() && report.base.label.contains("root commit"), "{:?}", report.base);
    assert_eq!(
        statuses(&report),
        [("a.yaml".to_owned(), Status::Added, None), ("dir/b.json".to_owned(), Status::Added, None)]
    );
}

#[test]
fn detached_head() {
    let r = Repo::init();
    r.write("a.yaml", waf(1, "a"));
    let first = r.commit("one");
    r.write("a.yaml", waf(1, "ab"));
    let second = r.commit("two");
    r.write("b.yaml", waf(2, "b"));
    r.commit("three");
    r.repo.set_head_detached(second).expect("detach");
    assert!(r.repo.head_detached().expect("head state"));
    let report = r.diff(&Request::default()).expect("diff");
    assert_eq!(report.base.commit, Some(first));
    assert_eq!(statuses(&report), [("a.yaml".to_owned(), Status::Modified, None)]);
    let out = r.cfglint(&["diff", "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn unborn_branch() {
    let r = Repo::init();
    r.write("a.yaml", waf(1, "a"));
    r.stage_all();
    // No commit: a revision diff is a clear error...
    assert!(matches!(r.diff(&Request::default()), Err(diff::Error::Git(git::Error::UnbornHead))));
    let out = r.cfglint(&["diff"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("unborn"), "{}", stderr(&out));
    // ...and the index diffs against the empty tree.
    let report = r.diff(&Request { staged: true, ..Request::default() }).expect("staged diff");
    assert_eq!(statuses(&report), [("a.yaml".to_owned(), Status::Added, None)]);
    assert!(report.head.is_none());
    let out = r.cfglint(&["diff", "--staged"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn staged_reads_the_index_not_the_work_tree() {
    let r = Repo::init();
    r.write("a.yaml", waf(1, "a"));
    r.write("b.yaml", waf(2, "b"));
    r.commit("one");
    r.write("a.yaml", waf(1, "staged"));
    r.stage_all();
    r.write("a.yaml", waf(1, "unstaged"));
    r.write("b.yaml", waf(2, "unstaged too"));
    let report = r.diff(&Request { staged: true, ..Request::default() }).expect("diff");
    assert_eq!(statuses(&report), [("a.yaml".to_owned(), Status::Modified, None)]);
    let text = report.sources.get("a.yaml").expect("a.yaml linted");
    assert!(text.contains("'staged'") && !text.contains("unstaged"), "{text}");
    assert!(report.base.label.contains("HEAD"), "{}", report.base.label);
}

#[test]
fn default_base_is_the_merge_base_with_the_default_branch() {
    let r = Repo::init();
    r.write("shared.yaml", waf(1, "a"));
    let c1 = r.commit("base");
    r.write("main-only.yaml", "unrelated: [1, 2, 3]\n");
    let on_main = r.commit("main moves on");
    // A feature branch from c1.
    let c1_commit = r.repo.find_commit(c1).expect("c1");
    r.repo.branch("feature", &c1_commit, false).expect("branch");
    r.repo.set_head("refs/heads/feature").expect("switch");
    r.repo.checkout_head(Some(git2::build::CheckoutBuilder::new().force())).expect("checkout");
    r.write("feature.yaml", waf(3, "f"));
    r.commit("feature work");
    r.write("feature.yaml", waf(3, "ff"));
    r.commit("more feature work");

    let report = r.diff(&Request::default()).expect("diff");
    assert_eq!(report.base.commit, Some(c1));
    assert!(report.base.label.starts_with("merge base with main"), "{}", report.base.label);
    assert_eq!(statuses(&report), [("feature.yaml".to_owned(), Status::Added, None)]);

    // origin/HEAD wins over a local main.
    r.repo.reference("refs/remotes/origin/main", on_main, true, "test").expect("remote ref");
    r.repo
        .reference_symbolic("refs/remotes/origin/HEAD", "refs/remotes/origin/main", true, "test")
        .expect("origin/HEAD");
    assert_eq!(git::default_branch(&r.repo).map(|(n, _)| n), Some("origin/main".to_owned()));
    let report = r.diff(&Request::default()).expect("diff");
    assert!(report.base.label.starts_with("merge base with origin/main"), "{}", report.base.label);

    // Explicit revisions win over the default.
    let report =
        r.diff(&Request { base: Some("main".into()), head: Some("feature".into()), staged: false }).expect("diff");
    let mut paths: Vec<(String, Status)> = report.files.iter().map(|f| (f.path.clone(), f.status)).collect();
    paths.sort();
    assert_eq!(paths, [("feature.yaml".to_owned(), Status::Added), ("main-only.yaml".to_owned(), Status::Deleted)]);
}

#[test]
fn not_a_repository_and_unknown_revisions_exit_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = cfglint_in(dir.path(), &["diff"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("not a git repository"), "{}", stderr(&out));
    assert!(matches!(git::open(dir.path()), Err(git::Error::NotARepository { .. })));

    let r = Repo::init();
    r.write("a.yaml", "a: 1\n");
    r.commit("one");
    for args in
        [&["diff", "--base", "no-such-branch"][..], &["diff", "--head", "v9.9.9"], &["diff", "--base", "HEAD~5"]]
    {
        let out = r.cfglint(args);
        assert_eq!(code(&out), 2, "{args:?}");
        assert!(stderr(&out).contains("unknown revision"), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"));
    }
    let out = r.cfglint(&["diff", "--repo", dir.path().to_str().expect("utf-8 temp path")]);
    assert_eq!(code(&out), 2);
}

/// Make `r` a shallow clone whose history starts at `boundary`: record it
/// in `.git/shallow` and delete the older commit objects, as `git clone
/// --depth` leaves a repository. (libgit2's local transport cannot clone
/// shallow, so the state is built directly.)
fn make_shallow(r: &Repo, boundary: Oid, drop: &[Oid]) {
    std::fs::write(r.repo.path().join("shallow"), format!("{boundary}\n")).expect("write shallow");
    for id in drop {
        let hex = id.to_string();
        let path = r.repo.path().join("objects").join(&hex[..2]).join(&hex[2..]);
        std::fs::remove_file(&path).unwrap_or_else(|e| panic!("remove {}: {e}", path.display()));
    }
}

#[test]
fn shallow_clone_missing_the_base() {
    let r = Repo::init();
    r.write("a.yaml", waf(1, "a"));
    let c1 = r.commit("one");
    r.write("a.yaml", waf(1, "ab"));
    let c2 = r.commit("two");
    r.write("a.yaml", waf(1, "abc"));
    let c3 = r.commit("three");
    make_shallow(&r, c3, &[c1, c2]);
    let repo = Repository::open(r.root()).expect("reopen");
    assert!(repo.is_shallow());

    // The default base (HEAD's parent) is outside the clone.
    let err = diff::run(&repo, &Request::default(), &LintOptions::default(), None).expect_err("no parent");
    assert!(matches!(err, diff::Error::Git(git::Error::Shallow { .. })), "{err:?}");
    let out = r.cfglint(&["diff"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("shallow clone"), "{}", stderr(&out));
    assert!(stderr(&out).contains("fetch-depth: 0"), "{}", stderr(&out));

    // An explicit base outside the clone.
    let out = r.cfglint(&["diff", "--base", &c1.to_string()]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("unknown revision") && stderr(&out).contains("shallow"), "{}", stderr(&out));

    // Both ends present (what the GitHub action fetches): works.
    let out = r.cfglint(&["diff", "--base", &c3.to_string(), "--head", "HEAD"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

/// Every file under the git directory except the cache, with its bytes.
fn snapshot(git_dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![git_dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("read dir").filter_map(Result::ok) {
            let p = e.path();
            if p.file_name().is_some_and(|n| n == lint::cache::GIT_DIR_NAME) {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.clone(), std::fs::read(&p).expect("read file"));
            }
        }
    }
    out
}

#[test]
fn diff_is_read_only_except_for_its_cache() {
    let r = Repo::init();
    r.write("a.yaml", waf(1, "a"));
    r.commit("one");
    r.write("a.yaml", waf(1, "ab"));
    r.commit("two");
    r.write("a.yaml", waf(1, "abc"));
    r.stage_all();
    // A hook that would leave a trace if anything ran it.
    let hook = r.repo.path().join("hooks/pre-commit");
    std::fs::create_dir_all(hook.parent().expect("hooks dir")).expect("mkdir");
    std::fs::write(&hook, "#!/bin/sh\ntouch \"$GIT_DIR/hook-ran\"\n").expect("hook");
    let before = snapshot(r.repo.path());
    for args in [&["diff"][..], &["diff", "--staged"], &["diff", "--staged", "--format", "json"]] {
        let out = r.cfglint(args);
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
    }
    assert_eq!(snapshot(r.repo.path()).keys().collect::<Vec<_>>(), before.keys().collect::<Vec<_>>());
    assert!(snapshot(r.repo.path()) == before, "the git directory changed");
    assert!(r.repo.path().join(lint::cache::GIT_DIR_NAME).is_dir(), "cache lives in the git dir");
}

#[test]
fn cache_entries_are_reused() {
    let r = Repo::init();
    r.write("a.yaml", waf(1, "a"));
    r.commit("one");
    r.write("a.yaml", waf(1, "ab"));
    r.write("bad.yaml", b"\0");
    r.commit("two");
    let cache_dir = tempfile::tempdir().expect("temp dir");
    let cache = ResultCache::new(cache_dir.path(), b"test");
    let first = diff::run(&r.repo, &Request::default(), &LintOptions::default(), Some(&cache)).expect("diff");
    let entries = count_files(cache_dir.path());
    assert_eq!(entries, 2, "old and new a.yaml; unreadable files are not cached");
    let second = diff::run(&r.repo, &Request::default(), &LintOptions::default(), Some(&cache)).expect("diff");
    assert_eq!(count_files(cache_dir.path()), entries);
    assert_eq!(first.findings, second.findings);
    assert_eq!(codes(&second), [("bad.yaml".to_owned(), "CL100".to_owned())]);
}

fn count_files(dir: &Path) -> usize {
    let mut n = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").filter_map(Result::ok) {
            if e.path().is_dir() {
                stack.push(e.path());
            } else if e.path().extension().is_some_and(|x| x == "json") {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn clean_diff_prints_a_clean_report() {
    let r = Repo::init();
    r.write("a.yaml", waf(1, "a"));
    r.commit("one");
    // Anchored: unanchored, `[a-z]+@` is retried from every position of a
    // long run of letters (a real O(n²), reported as CL002).
    r.write("a.yaml", waf(1, "^[a-z]+@example\\.com$"));
    r.commit("two");
    let out = r.cfglint(&["diff", "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["version"], 1);
    assert_eq!(v["findings"], serde_json::json!([]));
    assert_eq!(v["summary"]["files"], 1);
    let out = r.cfglint(&["diff"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("cfglint diff: "), "{text}");
    assert!(text.contains("1 changed config file"), "{text}");
}

#[test]
fn real_findings_on_a_waf_rule_change() {
    let r = Repo::init();
    r.write("waf.yaml", waf(942_100, "^[a-z]+$"));
    r.commit("one");
    let evil = waf(942_100, "^(a+)+$");
    r.write("waf.yaml", &evil);
    r.write("new.yaml", waf(942_200, "^(b+)+$"));
    r.commit("two");
    let file = SourceFile::new("waf.yaml", evil.as_str());
    let linted = cfglint::lint::lint_source(&file, &LintOptions::default());
    assert!(linted.findings.iter().any(|f| f.code == "CL001" && f.evidence.is_some()), "{:?}", linted.findings);
    let out = r.cfglint(&["diff", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let v = json(&out);
    let findings = v["findings"].as_array().expect("findings");
    let modified = findings.iter().find(|f| f["file"] == "waf.yaml").expect("finding on the modified rule");
    assert_eq!(modified["change"], "modified");
    assert_eq!(modified["before"]["complexity"], "linear");
    assert_eq!(modified["code"], "CL001");
    assert_eq!(modified["complexity"], "exponential");
    assert!(
        modified["message"].as_str().is_some_and(|m| m.starts_with("this change makes rule 942100 go from linear to"))
    );
    let added = findings.iter().find(|f| f["file"] == "new.yaml").expect("finding on the added rule");
    assert_eq!(added["change"], "added");
    assert!(added.get("before").is_none());
}

#[test]
fn suppressions_in_a_pre_commit_diff() {
    let r = Repo::init();
    r.write("a.yaml", waf(1, "a"));
    r.commit("one");
    r.write("a.yaml", format!("# cfglint: allow CL002\n{}", waf(1, "a")));
    r.stage_all();
    let out = r.cfglint(&["diff", "--staged", "--format", "json"]);
    assert_eq!(code(&out), 1, "a suppression without a reason is an error");
    let v = json(&out);
    assert_eq!(v["findings"][0]["code"], "CL101");
    assert_eq!(v["findings"][0]["line"], 1);
    r.write(
        "a.yaml",
        format!("# cfglint: allow CL002 reason=\"inputs are capped at 64 bytes\" until=2999-12-31\n{}", waf(1, "a")),
    );
    r.stage_all();
    let out = r.cfglint(&["diff", "--staged", "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn check_with_suppressions_baselines_and_cache() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cache = tempfile::tempdir().expect("cache dir");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_cfglint"))
            .args(args)
            .args(["--no-config", "--format", "json"])
            .current_dir(dir.path())
            .env("CFGLINT_CACHE_DIR", cache.path())
            .output()
            .expect("run cfglint")
    };
    let write = |p: &str, c: &[u8]| std::fs::write(dir.path().join(p), c).expect("write");
    write("expired.yaml", b"# cfglint: allow CL001 reason=\"old waiver\" until=2001-01-01\npattern: 'x'\n");
    write("binary.yaml", b"a: \0\n");

    let out = run(&["check", "."]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let v = json(&out);
    let found: Vec<&str> =
        v["findings"].as_array().expect("findings").iter().filter_map(|f| f["code"].as_str()).collect();
    assert_eq!(found, ["CL100", "CL102"]);
    assert!(count_files(cache.path()) >= 1, "the readable file was cached");

    // A baseline accepts today's findings.
    let out = run(&["check", ".", "--write-baseline", "baseline.json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let baseline: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("baseline.json")).expect("baseline written"))
            .expect("JSON");
    assert_eq!(baseline["version"], 1);
    assert_eq!(baseline["fingerprints"].as_array().map(Vec::len), Some(2));
    let out = run(&["check", ".", "--baseline", "baseline.json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["findings"], serde_json::json!([]));

    // Unrelated edits above the waiver keep it baselined; a new problem is reported.
    write(
        "expired.yaml",
        b"# a new first line\n\n# cfglint: allow CL001 reason=\"old waiver\" until=2001-01-01\npattern: 'x'\n",
    );
    write("new.yaml", b"# cfglint: allow CL001\npattern: 'y'\n");
    let out = run(&["check", ".", "--baseline", "baseline.json"]);
    assert_eq!(code(&out), 1);
    let v = json(&out);
    let found: Vec<(&str, &str)> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| Some((f["file"].as_str()?, f["code"].as_str()?)))
        .collect();
    assert_eq!(found, [("new.yaml", "CL101")]);
    assert_eq!(v["summary"]["findings"], 1);

    // Bad baselines are errors, not empty baselines.
    write("broken.json", b"{\"version\": 7}");
    let out = run(&["check", ".", "--baseline", "broken.json"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("version 7"), "{}", stderr(&out));
    let out = run(&["check", ".", "--baseline", "missing.json"]);
    assert_eq!(code(&out), 2);

    // --no-cache neither reads nor writes.
    let before = count_files(cache.path());
    write("fresh.yaml", b"pattern: 'z'\n");
    let out = run(&["check", ".", "--no-cache"]);
    assert_eq!(code(&out), 1);
    assert_eq!(count_files(cache.path()), before);
}

/// libgit2 loops forever inflating a truncated loose object: the watchdog
/// turns that into exit code 2 naming the object and `git fsck`. The run
/// itself is bounded here, so a regression fails instead of hanging.
#[test]
fn a_truncated_git_object_is_exit_2_never_a_hang() {
    let r = Repo::init();
    r.write("waf.yaml", waf(1, "a+"));
    r.commit("one");
    r.write("waf.yaml", waf(2, "(a+)+$").repeat(200));
    r.commit("two");
    let head = r.repo.head().expect("head").peel_to_tree().expect("tree");
    let hex = head.get_path(Path::new("waf.yaml")).expect("entry").id().to_string();
    let object = r.root().join(".git/objects").join(&hex[..2]).join(&hex[2..]);
    let bytes = std::fs::read(&object).expect("a loose object");
    std::fs::remove_file(&object).expect("remove");
    std::fs::write(&object, &bytes[..bytes.len() / 2]).expect("truncate");
    let out = assert_cmd::Command::new(env!("CARGO_BIN_EXE_cfglint"))
        .args(["diff", "--base", "HEAD~1", "--no-cache", "--no-config", "--color=never"])
        .current_dir(r.root())
        .env("CFGLINT_GIT_READ_TIMEOUT", "2")
        .env_remove("CFGLINT_CACHE_DIR")
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .expect("run cfglint");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(err.contains(&hex[..12]), "names the object: {err}");
    assert!(err.contains("git fsck"), "{err}");
}

#[test]
fn an_improvement_does_not_fail_fail_on_note() {
    let r = Repo::init();
    r.write("waf.yaml", waf(942_100, "^(a+)+$"));
    r.commit("one");
    r.write("waf.yaml", waf(942_100, "^a+$"));
    r.commit("two: fixed");
    let out = r.cfglint(&["diff", "--format", "json", "--fail-on", "note"]);
    let v = json(&out);
    let findings = v["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{v}");
    assert_eq!(findings[0]["severity"], "note");
    assert_eq!(findings[0]["change"], "improved");
    assert_eq!(findings[0]["before"]["complexity"], "exponential");
    assert_eq!(code(&out), 0, "a change that only improves a rule passes --fail-on note: {}", stderr(&out));
    // A real new problem still fails at `--fail-on note`.
    r.write("waf.yaml", waf(942_100, "^(a|aa)+$"));
    r.commit("three: broken again");
    let out = r.cfglint(&["diff", "--fail-on", "note"]);
    assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stdout));
}
