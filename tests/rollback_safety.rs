//! Issue 14: a rollback that cannot hurt. Every test builds a real git
//! repository in a temporary folder with the `git` binary (symlinks,
//! executable bits, shallow clones), runs the real `cfglint` binary and the
//! rollback command it generates with `sh`. Without a `git` binary on the
//! PATH the tests print that they skipped.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cfglint::rollout::Manifest;
use cfglint::rollout::manifest::OnFail;
use tempfile::TempDir;

#[allow(clippy::print_stderr)] // the skip is reported, as the corpus tests do
fn git_available() -> bool {
    let ok = Command::new("git").arg("--version").output().is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipped: no git binary on the PATH");
    }
    ok
}

/// A repository driven by the `git` binary, and a folder outside it for
/// the manifest and other pipeline files (so they are not part of the
/// work tree that is verified).
struct Repo {
    dir: TempDir,
    out: TempDir,
}

fn run_in(dir: &Path, program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "T")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "T")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("GIT_AUTHOR_DATE", "1700000000 +0000")
        .env("GIT_COMMITTER_DATE", "1700000000 +0000")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .env_remove("CFGLINT_CACHE_DIR")
        .env("GITHUB_ACTOR", "ci-bot")
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("run {program}: {e}"))
}

impl Repo {
    fn init() -> Repo {
        let r = Repo { dir: tempfile::tempdir().expect("temp dir"), out: tempfile::tempdir().expect("temp dir") };
        r.git(&["init", "-q", "-b", "main"]);
        r
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    /// A path in the folder outside the repository.
    fn out(&self, name: &str) -> PathBuf {
        self.out.path().join(name)
    }

    fn git(&self, args: &[&str]) -> Output {
        let o = run_in(self.root(), "git", args);
        assert!(o.status.success(), "git {args:?}: {}", text(&o));
        o
    }

    fn write(&self, path: &str, content: impl AsRef<[u8]>) {
        let p = self.root().join(path);
        std::fs::create_dir_all(p.parent().expect("a file has a parent")).expect("mkdir");
        std::fs::write(p, content).expect("write file");
    }

    fn read(&self, path: &str) -> Vec<u8> {
        std::fs::read(self.root().join(path)).unwrap_or_else(|e| panic!("read {path}: {e}"))
    }

    fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
        String::from_utf8_lossy(&self.git(&["rev-parse", "HEAD"]).stdout).trim().to_owned()
    }

    fn cfglint(&self, args: &[&str]) -> Output {
        let mut all = args.to_vec();
        all.push("--no-config");
        run_in(self.root(), env!("CARGO_BIN_EXE_cfglint"), &all)
    }

    fn sh(&self, cmd: &str) -> Output {
        run_in(self.root(), "sh", &["-c", cmd])
    }

    /// `cfglint rollout -o <outside>/manifest.toml`, which must succeed.
    fn rollout(&self) -> Manifest {
        let path = self.out("manifest.toml");
        let o = self.cfglint(&["rollout", "-o", path.to_str().expect("UTF-8 temp path")]);
        assert_eq!(code(&o), 0, "{}", text(&o));
        Manifest::from_toml("manifest.toml", &std::fs::read_to_string(&path).expect("read manifest")).expect("manifest")
    }

    fn manifest_arg(&self) -> String {
        self.out("manifest.toml").to_str().expect("UTF-8 temp path").to_owned()
    }

    fn verify_rollback(&self) -> Output {
        self.cfglint(&["rollback", "--manifest", &self.manifest_arg(), "--verify"])
    }

    fn gate(&self, metrics: &str) -> Output {
        let path = self.out("metrics.json");
        std::fs::write(&path, metrics).expect("write metrics");
        self.cfglint(&[
            "gate",
            "--manifest",
            &self.manifest_arg(),
            "--stage",
            "canary",
            "--metrics",
            path.to_str().expect("UTF-8 temp path"),
        ])
    }
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally")
}

fn text(o: &Output) -> String {
    format!("stdout:\n{}\nstderr:\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Does the output hold `needle`, ignoring how miette wrapped the lines?
fn has(o: &Output, needle: &str) -> bool {
    let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace() && *c != '│').collect::<String>();
    squash(&text(o)).contains(&squash(needle))
}

fn waf(id: u32, pattern: &str, action: &str) -> String {
    format!("rules:\n  - id: {id}\n    pattern: '{pattern}'\n    targets: [args]\n    action: {action}\n")
}

const GOOD_METRICS: &str = r#"{"elapsed_seconds": 99999, "samples": 99999, "metrics": {"error_rate": 0, "p99_latency_ms": 1, "rollback_rehearsed": 1}}"#;

#[test]
fn a_file_named_like_a_glob_is_a_literal_path_and_verify_checks_the_whole_tree() {
    if !git_available() {
        return;
    }
    let r = Repo::init();
    let rules = waf(1, "a+", "log");
    r.write("waf/rules.yaml", &rules);
    r.write("waf/other.yaml", waf(2, "b+", "log"));
    r.commit("base");
    r.write("waf/*.yaml", waf(3, "c+", "log"));
    r.write("waf/other.yaml", waf(2, "b+c", "log"));
    r.commit("head");
    let m = r.rollout();
    assert!(m.rollback.command.contains("--literal-pathspecs"), "{}", m.rollback.command);

    // Twice: the command is idempotent, and it touches only what changed.
    for _ in 0..2 {
        let o = r.sh(&m.rollback.command);
        assert!(o.status.success(), "{}: {}", m.rollback.command, text(&o));
        assert_eq!(r.read("waf/rules.yaml"), rules.as_bytes(), "a file the change never touched survives");
        assert!(!r.root().join("waf/*.yaml").exists());
    }
    let o = r.verify_rollback();
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(!has(&o, "--no-verify"), "rollback has no --no-verify: {}", text(&o));

    // A discrepancy outside the changed paths is still a discrepancy.
    std::fs::remove_file(r.root().join("waf/rules.yaml")).expect("rm");
    let o = r.verify_rollback();
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(has(&o, "waf/rules.yaml: missing"), "{}", text(&o));
    assert!(!has(&o, "--no-verify"), "rollback has no --no-verify: {}", text(&o));
    r.git(&["checkout", "--", "waf/rules.yaml"]);
    // So is an untracked file that is not ignored, with its name escaped.
    r.write("waf/stray\nname.yaml", "x: 1\n");
    let o = r.verify_rollback();
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(has(&o, r"waf/stray\nname.yaml: present"), "{}", text(&o));
    // An ignored one is not.
    r.write(".git/info/exclude", "stray*\n");
    let o = r.verify_rollback();
    assert_eq!(code(&o), 0, "{}", text(&o));
}

#[test]
fn gate_checks_the_whole_tree_at_head_including_untracked_files() {
    if !git_available() {
        return;
    }
    let r = Repo::init();
    r.write("waf/rules.yaml", waf(1, "a+", "log"));
    r.write("waf/other.yaml", waf(2, "b+", "log"));
    r.commit("base");
    r.write("waf/rules.yaml", waf(1, "a+b", "log"));
    r.commit("head");
    r.rollout();
    let o = r.gate(GOOD_METRICS);
    assert_eq!(code(&o), 0, "{}", text(&o));

    r.write("waf/unreviewed.yaml", waf(9, "(a+)+$", "block"));
    let o = r.gate(GOOD_METRICS);
    assert_eq!(code(&o), 2, "never a promote: {}", text(&o));
    assert!(has(&o, "waf/unreviewed.yaml: present"), "{}", text(&o));
    std::fs::remove_file(r.root().join("waf/unreviewed.yaml")).expect("rm");

    r.write("waf/other.yaml", waf(2, "b+edited", "log"));
    let o = r.gate(GOOD_METRICS);
    assert_eq!(code(&o), 2, "an edit to a file outside the change: {}", text(&o));
    assert!(has(&o, "waf/other.yaml"), "{}", text(&o));
}

#[cfg(unix)]
#[test]
fn symlink_flips_and_executable_bits_are_changes_that_roll_back() {
    use std::os::unix::fs::PermissionsExt;
    if !git_available() {
        return;
    }
    let r = Repo::init();
    r.write("conf/v1.yaml", waf(1, "a+", "log"));
    r.write("conf/v2.yaml", waf(1, "a+b", "log"));
    std::os::unix::fs::symlink("v1.yaml", r.root().join("conf/active.yaml")).expect("symlink");
    r.write("bin/reload.sh", "#!/bin/sh\necho reload\n");
    r.commit("base");
    std::fs::remove_file(r.root().join("conf/active.yaml")).expect("rm link");
    std::os::unix::fs::symlink("v2.yaml", r.root().join("conf/active.yaml")).expect("symlink");
    std::fs::set_permissions(r.root().join("bin/reload.sh"), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    r.commit("head");

    let m = r.rollout();
    let link = m.changes.iter().find(|c| c.path == "conf/active.yaml").expect("the link flip is a change");
    assert_eq!(link.after_mode.as_deref(), Some("120000"), "{link:?}");
    assert_eq!(link.after.as_deref(), Some(cfglint::rollout::manifest::sha256(b"v2.yaml").as_str()));
    let exec = m.changes.iter().find(|c| c.path == "bin/reload.sh").expect("the mode change is a change");
    assert_eq!((exec.before_mode.as_deref(), exec.after_mode.as_deref()), (None, Some("100755")), "{exec:?}");
    assert_eq!(exec.before, exec.after, "same bytes, other mode");
    assert!(m.verify(r.root(), cfglint::rollout::Side::Head).expect("verify").is_empty());

    let o = r.sh(&m.rollback.command);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(std::fs::read_link(r.root().join("conf/active.yaml")).expect("a link"), Path::new("v1.yaml"));
    let mode = std::fs::metadata(r.root().join("bin/reload.sh")).expect("stat").permissions().mode();
    assert_eq!(mode & 0o111, 0, "the executable bit is rolled back");
    let o = r.verify_rollback();
    assert_eq!(code(&o), 0, "{}", text(&o));

    // Verify sees a link pointing elsewhere and a mode that differs.
    std::fs::remove_file(r.root().join("conf/active.yaml")).expect("rm link");
    std::os::unix::fs::symlink("v2.yaml", r.root().join("conf/active.yaml")).expect("symlink");
    let o = r.verify_rollback();
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(has(&o, "conf/active.yaml"), "{}", text(&o));
    r.git(&["checkout", "--", "conf/active.yaml"]);
    std::fs::set_permissions(r.root().join("bin/reload.sh"), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let o = r.verify_rollback();
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(has(&o, "bin/reload.sh"), "{}", text(&o));
}

#[test]
fn rollout_refuses_uncommitted_edits_in_the_change_unless_allowed() {
    if !git_available() {
        return;
    }
    let r = Repo::init();
    r.write("waf/rules.yaml", waf(1, "a+", "log"));
    r.write("other/x.yaml", "a: 1\n");
    r.commit("base");
    r.write("waf/rules.yaml", waf(1, "a+b", "log"));
    r.commit("head");
    let out = r.out("m.toml");
    let out = out.to_str().expect("UTF-8");

    r.write("waf/rules.yaml", waf(1, "a+b+c", "block"));
    let o = r.cfglint(&["rollout", "-o", out]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(has(&o, "waf/rules.yaml"), "{}", text(&o));
    assert!(!Path::new(out).exists(), "no manifest for a tree it does not describe");
    let o = r.cfglint(&["rollout", "--allow-dirty", "-o", out]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    r.git(&["checkout", "--", "waf/rules.yaml"]);

    // An unreviewed file beside the change.
    r.write("waf/new-unreviewed.yaml", waf(7, "x+", "block"));
    let o = r.cfglint(&["rollout", "-o", out]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(has(&o, "waf/new-unreviewed.yaml"), "{}", text(&o));
    std::fs::remove_file(r.root().join("waf/new-unreviewed.yaml")).expect("rm");

    // Edits outside the change's scope do not matter.
    r.write("other/x.yaml", "a: 2\n");
    let o = r.cfglint(&["rollout", "-o", out]);
    assert_eq!(code(&o), 0, "{}", text(&o));
}

#[test]
fn the_rollback_command_does_not_discard_uncommitted_edits() {
    if !git_available() {
        return;
    }
    let r = Repo::init();
    r.write("waf/rules.yaml", waf(1, "a+", "log"));
    r.commit("base");
    r.write("waf/rules.yaml", waf(1, "a+b", "log"));
    r.write("waf/added.yaml", waf(2, "x+", "log"));
    r.commit("head");
    let m = r.rollout();

    let edit = waf(1, "hotfix+", "log");
    r.write("waf/rules.yaml", &edit);
    let o = r.sh(&m.rollback.command);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(has(&o, "waf/rules.yaml"), "names the file: {}", text(&o));
    assert_eq!(r.read("waf/rules.yaml"), edit.as_bytes(), "the edit is kept");
    assert!(r.root().join("waf/added.yaml").exists(), "nothing else ran");

    let added = waf(2, "edited+", "log");
    r.git(&["checkout", "--", "waf/rules.yaml"]);
    r.write("waf/added.yaml", &added);
    let o = r.sh(&m.rollback.command);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(has(&o, "waf/added.yaml"), "names the file: {}", text(&o));
    assert_eq!(r.read("waf/added.yaml"), added.as_bytes(), "the edit is kept");

    // Clean: it runs, and again (idempotent).
    r.git(&["checkout", "--", "waf/added.yaml"]);
    for _ in 0..2 {
        let o = r.sh(&m.rollback.command);
        assert!(o.status.success(), "{}", text(&o));
    }
    assert_eq!(code(&r.verify_rollback()), 0);
    // And forward, twice.
    for _ in 0..2 {
        let o = r.sh(&m.rollback.forward_command);
        assert!(o.status.success(), "{}", text(&o));
    }
    assert_eq!(code(&r.gate(GOOD_METRICS)), 0);
}

#[test]
fn gate_and_rollback_refuse_a_shallow_clone_without_the_rollback_revision() {
    if !git_available() {
        return;
    }
    let r = Repo::init();
    r.write("waf/rules.yaml", waf(1, "a+", "log"));
    let base = r.commit("base");
    r.write("waf/rules.yaml", waf(1, "a+b", "log"));
    r.commit("head");
    r.rollout();

    let clone = tempfile::tempdir().expect("temp dir");
    let url = format!("file://{}", r.root().display());
    let o = run_in(clone.path(), "git", &["clone", "-q", "--depth", "1", &url, "c"]);
    assert!(o.status.success(), "{}", text(&o));
    let c = clone.path().join("c");
    let metrics = r.out("metrics.json");
    std::fs::write(&metrics, GOOD_METRICS).expect("write");
    let cfg = |args: &[&str]| {
        let mut all = args.to_vec();
        all.push("--no-config");
        run_in(&c, env!("CARGO_BIN_EXE_cfglint"), &all)
    };
    let manifest = r.manifest_arg();
    let o = cfg(&["gate", "--manifest", &manifest, "--stage", "canary", "--metrics", metrics.to_str().expect("UTF-8")]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(has(&o, &base), "names the revision: {}", text(&o));
    let o = cfg(&["rollback", "--manifest", &manifest, "--verify"]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(has(&o, &base), "names the revision: {}", text(&o));
    let o = cfg(&["rollback", "--manifest", &manifest]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(has(&o, &base), "names the revision: {}", text(&o));

    // Deepened, it works.
    let o = run_in(&c, "git", &["fetch", "-q", "--deepen=1"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = cfg(&["gate", "--manifest", &manifest, "--stage", "canary", "--metrics", metrics.to_str().expect("UTF-8")]);
    assert_eq!(code(&o), 0, "{}", text(&o));
}

#[test]
fn the_inverse_is_one_step_to_full_traffic_and_never_rolls_back_itself() {
    if !git_available() {
        return;
    }
    let r = Repo::init();
    r.write("waf/rules.yaml", waf(1, "a+", "log"));
    r.commit("base");
    r.write("waf/rules.yaml", waf(1, "a+b", "block"));
    r.commit("head");
    r.rollout();
    let inverse = r.out("inverse.toml");
    let inverse = inverse.to_str().expect("UTF-8");
    let o = r.cfglint(&["rollback", "--manifest", &r.manifest_arg(), "-o", inverse, "--reason", "INC-1"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let inv = Manifest::from_toml("inverse", &std::fs::read_to_string(inverse).expect("read")).expect("inverse");
    assert_eq!(inv.stages.len(), 1, "{:?}", inv.stages);
    let stage = &inv.stages[0];
    assert!((stage.traffic_percent.0 - 100.0).abs() < f64::EPSILON);
    assert!(!stage.rehearse_rollback && inv.rollback.rehearse_in_stage.is_none());
    assert!(!stage.gates.is_empty(), "post-rollback checks");
    assert!(stage.gates.iter().all(|g| g.on_fail == OnFail::Hold), "{:?}", stage.gates);

    // Apply the rollback, then gate it with a breached error rate: hold
    // for a person, never "roll back the rollback".
    let o = r.sh(&inv.rollback.forward_command);
    assert!(o.status.success(), "{}", text(&o));
    let metrics = r.out("metrics.json");
    std::fs::write(
        &metrics,
        r#"{"elapsed_seconds": 99999, "samples": 99999, "metrics": {"error_rate": 0.5, "p99_latency_ms": 1}}"#,
    )
    .expect("write");
    let gate = |m: &str| {
        r.cfglint(&["gate", "--manifest", m, "--stage", &stage.name, "--metrics", metrics.to_str().expect("UTF-8")])
    };
    let o = gate(inverse);
    assert_eq!(code(&o), 1, "{}", text(&o));

    // A hand-edited inverse that asks to roll back is refused.
    let edited =
        std::fs::read_to_string(inverse).expect("read").replace("on_fail = \"hold\"", "on_fail = \"rollback\"");
    std::fs::write(inverse, edited).expect("write");
    let o = gate(inverse);
    assert_eq!(code(&o), 2, "{}", text(&o));
}

#[test]
fn an_empty_change_gets_no_plan() {
    if !git_available() {
        return;
    }
    let r = Repo::init();
    r.write("waf/rules.yaml", waf(1, "a+", "log"));
    r.commit("base");
    r.git(&["commit", "-q", "--allow-empty", "-m", "nothing"]);
    let out = r.out("m.toml");
    let o = r.cfglint(&["rollout", "-o", out.to_str().expect("UTF-8")]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(has(&o, "nothing to roll out"), "{}", text(&o));
    assert!(!out.exists());
}

/// The shell loop in docs/rollout.md, run as printed: stubs stand for the
/// deploy tool, the metrics fetcher and `sleep` (so a minute is an
/// instant); everything else is real.
#[cfg(unix)]
#[test]
fn the_documented_shell_loop_runs_as_printed() {
    use std::os::unix::fs::PermissionsExt;
    if !git_available() {
        return;
    }
    let docs = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rollout.md")).expect("docs");
    let start = docs.find("```sh\n#!/bin/sh\n# rollout.sh MANIFEST").expect("the loop in docs/rollout.md") + 6;
    let script = &docs[start..start + docs[start..].find("```").expect("the block ends")];

    let r = Repo::init();
    r.write("waf/rules.yaml", waf(1, "a+", "log"));
    r.commit("base");
    r.write("waf/rules.yaml", waf(1, "a+b", "log"));
    r.commit("head");
    r.rollout();
    r.write(".git/info/exclude", "/deploy.sh\n");
    let exe = |path: &Path, body: &str| {
        std::fs::write(path, body).expect("write stub");
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    };
    let log = r.out("deploys.log");
    exe(&r.root().join("deploy.sh"), &format!("#!/bin/sh\necho \"$2\" >> '{}'\n", log.display()));
    let bin = r.out("bin");
    std::fs::create_dir(&bin).expect("mkdir");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_cfglint"), bin.join("cfglint")).expect("link cfglint");
    exe(&bin.join("sleep"), "#!/bin/sh\n:\n");
    let error_rate = r.out("error_rate");
    exe(
        &bin.join("fetch-metrics"),
        &format!(
            "#!/bin/sh\nprintf '{{\"elapsed_seconds\": 99999, \"samples\": 99999, \"metrics\": {{\"error_rate\": %s, \"p99_latency_ms\": 1, \"rollback_rehearsed\": 1}}}}' \"$(cat '{}')\"\n",
            error_rate.display()
        ),
    );
    std::fs::write(r.out("rollout.sh"), script).expect("write script");
    let run = |extra: &[(&str, &str)]| {
        let mut c = Command::new("sh");
        c.arg(r.out("rollout.sh"))
            .arg(r.manifest_arg())
            .current_dir(r.root())
            .env("PATH", format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default()));
        c.env("CFGLINT_CACHE_DIR", r.out("cache")).stdin(std::process::Stdio::null());
        for (k, v) in extra {
            c.env(k, v);
        }
        c.output().expect("run the loop")
    };

    std::fs::write(&error_rate, "0").expect("write");
    let o = run(&[]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let deploys = std::fs::read_to_string(&log).expect("deploy log");
    assert_eq!(deploys.lines().last(), Some("100"), "the last stage is reached: {deploys}");

    // A breach rolls back, and the tree is back at base.
    std::fs::write(&error_rate, "0.5").expect("write");
    let o = run(&[]);
    assert_eq!(code(&o), 3, "{}", text(&o));
    assert_eq!(code(&r.verify_rollback()), 0);

    // Holding forever ends at the deadline, not never.
    r.git(&["checkout", "HEAD", "--", "."]);
    std::fs::write(&error_rate, "null").expect("write");
    let o = run(&[("ROLLOUT_DEADLINE_SECONDS", "0")]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(has(&o, "deadline passed"), "{}", text(&o));
}
