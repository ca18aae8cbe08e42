//! `cfglint rollout` and `cfglint rollback` on real temporary git
//! repositories built with git2 (no mocks): statuses, hashes checked
//! against the bytes, renames, waves from includes, rule-id references and
//! `[[order]]`, cycles, blocked changes with and without an override,
//! emergencies, bench figures, byte-identical manifests, and the rollback
//! command run for real (when a `git` binary is on the PATH).

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use cfglint::lint::LintOptions;
use cfglint::rollout::{
    self, Attribution, BenchReport, ChangeStatus, Manifest, Policy, Request, Risk, Side, manifest::sha256,
};
use git2::{Oid, Repository, RepositoryInitOptions, Signature, Time};
use tempfile::TempDir;

/// A repository in a temporary folder.
struct Repo {
    dir: TempDir,
    repo: Repository,
}

impl Repo {
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

    fn rename(&self, from: &str, to: &str) {
        let to = self.root().join(to);
        std::fs::create_dir_all(to.parent().expect("a file has a parent")).expect("mkdir");
        std::fs::rename(self.root().join(from), to).expect("rename");
    }

    fn commit(&self, message: &str) -> Oid {
        let mut index = self.repo.index().expect("index");
        index.add_all(["*"], git2::IndexAddOption::DEFAULT, None).expect("add all");
        index.update_all(["*"], None).expect("update all");
        index.write().expect("write index");
        let tree = self.repo.find_tree(index.write_tree().expect("write tree")).expect("tree");
        let sig = Signature::new("Test", "test@example.com", &Time::new(1_700_000_000, 0)).expect("signature");
        let parent = self.repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        self.repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents).expect("commit")
    }

    #[allow(clippy::result_large_err)] // the library's own error type, returned as is
    fn plan(&self, req: &Request, policy: &Policy) -> Result<rollout::Plan, rollout::Error> {
        rollout::plan(&self.repo, req, policy, &LintOptions::default(), None)
    }

    fn manifest(&self) -> Manifest {
        self.plan(&Request::default(), &Policy::default()).expect("plan").manifest
    }

    fn cfglint(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_cfglint"))
            .args(args)
            .current_dir(self.root())
            .env_remove("CFGLINT_CACHE_DIR")
            .env("GITHUB_ACTOR", "ci-bot")
            .output()
            .expect("run cfglint")
    }
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally")
}

/// Does the output hold `needle`, ignoring how miette wrapped the lines?
fn has(o: &Output, needle: &str) -> bool {
    let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace() && *c != '│').collect::<String>();
    squash(&text(o)).contains(&squash(needle))
}

fn text(o: &Output) -> String {
    format!("stdout:\n{}\nstderr:\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// A WAF rule file long enough for git to detect renames by content.
fn waf(id: u32, pattern: &str, action: &str) -> String {
    format!(
        "rules:\n  - id: {id}\n    description: a rule long enough for git to see a rename by content\n    pattern: '{pattern}'\n    targets: [args, uri]\n    action: {action}\n"
    )
}

fn seclang(id: u32, pattern: &str) -> String {
    format!("SecRule ARGS \"@rx {pattern}\" \"id:{id},phase:2,deny,msg:'a rule long enough to be a file'\"\n")
}

/// (path, status, wave) of every change.
fn waves(m: &Manifest) -> Vec<(String, ChangeStatus, u32)> {
    m.changes.iter().map(|c| (c.path.clone(), c.status, c.wave)).collect()
}

fn change<'m>(m: &'m Manifest, path: &str, status: ChangeStatus) -> &'m rollout::Change {
    m.changes
        .iter()
        .find(|c| c.path == path && c.status == status)
        .unwrap_or_else(|| panic!("{path} {status:?} in {m:#?}"))
}

fn git_available() -> bool {
    Command::new("git").arg("--version").output().is_ok_and(|o| o.status.success())
}

#[test]
fn statuses_and_hashes_match_the_bytes() {
    let r = Repo::init();
    let modified_before = waf(1, "a+b", "log");
    let deleted = seclang(900_100, "^old$");
    let renamed = waf(2, "c+d", "log");
    r.write("waf/a.yaml", &modified_before);
    r.write("crs/old.conf", &deleted);
    r.write("waf/b.yaml", &renamed);
    r.write("logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    let base = r.commit("one");
    let modified_after = waf(1, "a+b+c", "log");
    let added = waf(5, "e", "log");
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0".to_vec();
    r.write("waf/a.yaml", &modified_after);
    r.remove("crs/old.conf");
    r.rename("waf/b.yaml", "waf/moved/b.yaml");
    r.write("waf/e.yaml", &added);
    r.write("logo.png", &png);
    let head = r.commit("two");

    let m = r.manifest();
    assert_eq!(m.schema, "cfglint/rollout/v1");
    assert_eq!((m.base.as_str(), m.head.as_str()), (base.to_string().as_str(), head.to_string().as_str()));
    let got: Vec<(String, ChangeStatus)> = m.changes.iter().map(|c| (c.path.clone(), c.status)).collect();
    let mut want = vec![
        ("crs/old.conf".to_owned(), ChangeStatus::Deleted),
        ("logo.png".to_owned(), ChangeStatus::Modified),
        ("waf/a.yaml".to_owned(), ChangeStatus::Modified),
        ("waf/b.yaml".to_owned(), ChangeStatus::Deleted),
        ("waf/e.yaml".to_owned(), ChangeStatus::Added),
        ("waf/moved/b.yaml".to_owned(), ChangeStatus::Added),
    ];
    let mut sorted = got.clone();
    sorted.sort();
    want.sort();
    assert_eq!(sorted, want);

    // Hashes are sha256 of the exact bytes on each side.
    let a = change(&m, "waf/a.yaml", ChangeStatus::Modified);
    assert_eq!(a.before.as_deref(), Some(sha256(modified_before.as_bytes()).as_str()));
    assert_eq!(a.after.as_deref(), Some(sha256(modified_after.as_bytes()).as_str()));
    let old = change(&m, "crs/old.conf", ChangeStatus::Deleted);
    assert_eq!((old.before.clone(), old.after.clone()), (Some(sha256(deleted.as_bytes())), None));
    let e = change(&m, "waf/e.yaml", ChangeStatus::Added);
    assert_eq!((e.before.clone(), e.after.clone()), (None, Some(sha256(added.as_bytes()))));
    assert_eq!(change(&m, "logo.png", ChangeStatus::Modified).after, Some(sha256(&png)));
    // The work tree is at head: it verifies, and the base side does not.
    assert!(m.verify(r.root(), Side::Head).expect("verify").is_empty());
    assert_eq!(m.verify(r.root(), Side::Base).expect("verify").len(), 6);

    // A rename is expand then contract: the new path first, the old one last.
    let new = change(&m, "waf/moved/b.yaml", ChangeStatus::Added);
    let gone = change(&m, "waf/b.yaml", ChangeStatus::Deleted);
    assert_eq!(new.renamed_from.as_deref(), Some("waf/b.yaml"));
    assert_eq!(gone.renamed_to.as_deref(), Some("waf/moved/b.yaml"));
    assert_eq!((new.before.clone(), gone.before.clone()), (None, Some(sha256(renamed.as_bytes()))));
    assert!(new.wave < gone.wave);
    assert_eq!(gone.wave, m.waves, "removals go last");
    // Changes are sorted by wave, then path.
    let keys: Vec<(u32, &str)> = m.changes.iter().map(|c| (c.wave, c.path.as_str())).collect();
    let mut sorted_keys = keys.clone();
    sorted_keys.sort_unstable();
    assert_eq!(keys, sorted_keys);
    // Risk: a regex modified is medium, a non-config file low.
    assert_eq!(a.risk, Risk::Medium, "{:?}", a.reasons);
    assert_eq!(change(&m, "logo.png", ChangeStatus::Modified).risk, Risk::Low);
}

#[test]
fn addition_before_the_config_that_loads_it_and_removal_last() {
    let r = Repo::init();
    r.write("modsec/main.conf", "SecRuleEngine On\nInclude rules/old.conf\n");
    r.write("modsec/rules/old.conf", seclang(900_100, "^old$"));
    r.write(
        "nginx/site.conf",
        "server {\n  modsecurity on;\n  modsecurity_rules_file /etc/nginx/modsec/main.conf;\n}\n",
    );
    r.commit("one");
    r.write("modsec/main.conf", "SecRuleEngine On\nInclude rules/*.conf\n");
    r.write("modsec/rules/new.conf", seclang(900_200, "^new$"));
    r.remove("modsec/rules/old.conf");
    r.write(
        "nginx/site.conf",
        "server {\n  modsecurity on;\n  modsecurity_rules_file /etc/nginx/modsec/main.conf;\n  # v2\n}\n",
    );
    r.commit("two");

    let m = r.manifest();
    assert_eq!(
        waves(&m),
        [
            ("modsec/rules/new.conf".to_owned(), ChangeStatus::Added, 1),
            ("modsec/main.conf".to_owned(), ChangeStatus::Modified, 2),
            ("nginx/site.conf".to_owned(), ChangeStatus::Modified, 3),
            ("modsec/rules/old.conf".to_owned(), ChangeStatus::Deleted, 4),
        ]
    );
    let main = change(&m, "modsec/main.conf", ChangeStatus::Modified);
    assert_eq!(main.depends_on.len(), 1);
    assert_eq!(main.depends_on[0].path, "modsec/rules/new.conf");
    assert!(main.depends_on[0].why.contains("Include rules/*.conf"), "{:?}", main.depends_on);
    let site = change(&m, "nginx/site.conf", ChangeStatus::Modified);
    assert!(site.depends_on[0].why.contains("modsecurity_rules_file"), "{:?}", site.depends_on);
    let old = change(&m, "modsec/rules/old.conf", ChangeStatus::Deleted);
    let whys: Vec<&str> = old.depends_on.iter().map(|d| d.why.as_str()).collect();
    assert!(whys.iter().any(|w| w.contains("stops loading this file (Include rules/old.conf)")), "{whys:?}");
}

#[test]
fn rule_id_references_across_seclang_files() {
    let r = Repo::init();
    r.write("crs/REQUEST-942-SQLI.conf", seclang(942_100, "(?i)union\\s+select"));
    r.write("crs/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf", "# exclusions\n");
    r.write("crs/RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf", "# exclusions\n");
    r.commit("one");
    // A new rule, an exclusion that names it by ctl:, another by
    // SecRuleRemoveById with a range, and an exclusion that names only an
    // existing rule (no ordering needed).
    r.write(
        "crs/REQUEST-942-SQLI.conf",
        format!("{}{}", seclang(942_100, "(?i)union\\s+select"), seclang(942_190, "(?i)sleep\\(")),
    );
    r.write(
        "crs/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf",
        "SecRule REQUEST_FILENAME \"@endsWith /wp-admin/admin-ajax.php\" \\\n    \"id:1001,phase:1,pass,nolog,\\\n    ctl:ruleRemoveById=942190\"\n",
    );
    r.write("crs/RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf", "SecRuleRemoveById 942180-942199\n");
    r.write("crs/other.conf", "SecRuleUpdateTargetById 942100 \"!ARGS:password\"\n");
    r.commit("two");

    let m = r.manifest();
    assert_eq!(
        waves(&m),
        [
            ("crs/REQUEST-942-SQLI.conf".to_owned(), ChangeStatus::Modified, 1),
            ("crs/other.conf".to_owned(), ChangeStatus::Added, 1),
            ("crs/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf".to_owned(), ChangeStatus::Modified, 2),
            ("crs/RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf".to_owned(), ChangeStatus::Modified, 2),
        ]
    );
    let ctl = change(&m, "crs/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf", ChangeStatus::Modified);
    assert_eq!(ctl.depends_on[0].path, "crs/REQUEST-942-SQLI.conf");
    assert_eq!(ctl.depends_on[0].why, "`ctl:ruleRemoveById=942190` refers to rule 942190, which that change adds");
    let range = change(&m, "crs/RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf", ChangeStatus::Modified);
    assert!(range.depends_on[0].why.contains("SecRuleRemoveById 942180-942199"), "{:?}", range.depends_on);
    // The new deny rule makes the rule file high risk.
    let rules = change(&m, "crs/REQUEST-942-SQLI.conf", ChangeStatus::Modified);
    assert_eq!(rules.risk, Risk::High);
    assert!(rules.reasons.iter().any(|r| r == "rule 942190 is added with action deny"), "{:?}", rules.reasons);
}

#[test]
fn declared_order_and_cycles() {
    let r = Repo::init();
    r.write("schemas/waf.json", "{\"type\": \"object\"}\n");
    r.write("waf/rules.yaml", waf(1, "a", "log"));
    r.write("docs/notes.md", "v1\n");
    r.commit("one");
    r.write("schemas/waf.json", "{\"type\": \"object\", \"required\": [\"rules\"]}\n");
    r.write("waf/rules.yaml", waf(1, "ab", "log"));
    r.write("docs/notes.md", "v2\n");
    r.commit("two");

    let policy = Policy::parse(
        "cfglint.toml",
        "[[order]]\nbefore = \"schemas/**\"\nafter = \"waf/*.yaml\"\nwhy = \"rules validate against the schema\"\n[[order]]\nbefore = \"waf/**\"\nafter = \"docs/**\"\n",
    )
    .expect("policy");
    let m = r.plan(&Request::default(), &policy).expect("plan").manifest;
    assert_eq!(
        waves(&m),
        [
            ("schemas/waf.json".to_owned(), ChangeStatus::Modified, 1),
            ("waf/rules.yaml".to_owned(), ChangeStatus::Modified, 2),
            ("docs/notes.md".to_owned(), ChangeStatus::Modified, 3),
        ]
    );
    assert_eq!(
        change(&m, "waf/rules.yaml", ChangeStatus::Modified).depends_on[0].why,
        "[[order]] #1 in cfglint.toml: `schemas/**` before `waf/*.yaml` (rules validate against the schema)"
    );

    let cyclic = Policy::parse(
        "cfglint.toml",
        "[[order]]\nbefore = \"schemas/**\"\nafter = \"waf/**\"\n[[order]]\nbefore = \"waf/**\"\nafter = \"docs/**\"\n[[order]]\nbefore = \"docs/**\"\nafter = \"schemas/**\"\n",
    )
    .expect("policy");
    let Err(rollout::Error::Cycle { cycle, edges }) = r.plan(&Request::default(), &cyclic) else {
        panic!("expected a cycle")
    };
    assert_eq!(cycle, "docs/notes.md → schemas/waf.json → waf/rules.yaml → docs/notes.md");
    assert!(edges.contains("[[order]] #3"), "{edges}");

    // The same through the CLI: a clear error, exit 2.
    r.write("cfglint.toml", "[[order]]\nbefore = \"schemas/**\"\nafter = \"waf/**\"\n[[order]]\nbefore = \"waf/**\"\nafter = \"schemas/**\"\n");
    let o = r.cfglint(&["rollout", "--base", "HEAD~1", "--head", "HEAD"]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(has(&o, "schemas/waf.json → waf/rules.yaml → schemas/waf.json"), "{}", text(&o));
    // A bad [[order]] points at the key.
    r.write("cfglint.toml", "[[order]]\nbefore = \"schemas/**\"\nafterward = \"waf/**\"\n");
    let o = r.cfglint(&["rollout"]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(has(&o, "afterward"), "{}", text(&o));
}

#[test]
fn blocked_change_and_override() {
    let r = Repo::init();
    r.write("waf/rules.yaml", waf(1, "a+", "block"));
    r.write("waf/other.yaml", waf(2, "b+", "block"));
    r.commit("one");
    // CL004 invalid-regex: an error finding.
    r.write("waf/rules.yaml", waf(1, "a(b", "block"));
    r.write("waf/other.yaml", waf(2, "b+c", "block"));
    r.commit("two");

    let plan = r.plan(&Request::default(), &Policy::default()).expect("plan");
    assert_eq!(plan.blocked, ["waf/rules.yaml"]);
    assert_eq!(plan.manifest.risk, Risk::Blocked);
    assert!(plan.manifest.stages.is_empty());
    assert_eq!(plan.manifest.rollback.rehearse_in_stage, None);
    let blocked = change(&plan.manifest, "waf/rules.yaml", ChangeStatus::Modified);
    assert_eq!(blocked.risk, Risk::Blocked);
    assert!(blocked.reasons[0].starts_with("CL004 invalid-regex (error) at rules[0].pattern"), "{:?}", blocked.reasons);

    let who = Attribution { reason: "known false positive, tracked in #12".into(), by: "alice".into() };
    let req =
        Request { overrides: BTreeMap::from([("./waf/rules.yaml".to_owned(), who.clone())]), ..Request::default() };
    let plan = r.plan(&req, &Policy::default()).expect("plan");
    assert!(plan.blocked.is_empty());
    let m = &plan.manifest;
    let c = change(m, "waf/rules.yaml", ChangeStatus::Modified);
    assert_eq!((c.risk, c.override_.as_ref()), (Risk::High, Some(&who)));
    assert!(c.reasons.iter().any(|r| r == "override: known false positive, tracked in #12 (by alice)"));
    assert_eq!(m.risk, Risk::High);
    assert_eq!(m.stages.len(), 4);
    assert!(
        m.to_toml().contains("[change.override]\nreason = \"known false positive, tracked in #12\"\nby = \"alice\"\n")
    );

    let unknown = Request { overrides: BTreeMap::from([("nope.yaml".to_owned(), who.clone())]), ..Request::default() };
    assert!(matches!(r.plan(&unknown, &Policy::default()), Err(rollout::Error::OverrideUnknownPath { .. })));
    let not_blocked =
        Request { overrides: BTreeMap::from([("waf/other.yaml".to_owned(), who.clone())]), ..Request::default() };
    assert!(matches!(r.plan(&not_blocked, &Policy::default()), Err(rollout::Error::OverrideNotBlocked { .. })));

    // CLI: exit 1 and a manifest without stages; with the override, exit 0.
    let o = r.cfglint(&["rollout", "--no-config", "-o", "m.toml"]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(has(&o, "blocked: waf/rules.yaml"), "{}", text(&o));
    let written = std::fs::read_to_string(r.root().join("m.toml")).expect("manifest written");
    assert!(written.contains("risk = \"blocked\"") && !written.contains("[[stage]]"), "{written}");
    let o = r.cfglint(&["rollout", "--no-config", "--override", "waf/rules.yaml"]);
    assert_eq!(code(&o), 2, "--override needs --reason: {}", text(&o));
    let o = r.cfglint(&["rollout", "--no-config", "--override", "waf/rules.yaml", "--reason", "accepted"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let m = Manifest::from_toml("stdout", &String::from_utf8_lossy(&o.stdout)).expect("stdout is a manifest");
    let c = change(&m, "waf/rules.yaml", ChangeStatus::Modified);
    assert_eq!(c.override_.as_ref().map(|o| o.by.as_str()), Some("ci-bot"), "who comes from $GITHUB_ACTOR");
}

#[test]
fn emergency_compresses_stages_but_never_skips_lint() {
    let r = Repo::init();
    r.write("waf/rules.yaml", waf(1, "a+", "block"));
    r.commit("one");
    r.write("waf/rules.yaml", waf(1, "a+b", "block"));
    r.commit("two");
    let who = Attribution { reason: "INC-42: attack in progress".into(), by: "oncall".into() };
    let req = Request { emergency: Some(who.clone()), ..Request::default() };
    let m = r.plan(&req, &Policy::default()).expect("plan").manifest;
    assert_eq!(m.emergency.as_ref(), Some(&who));
    let stages: Vec<(&str, u64)> = m.stages.iter().map(|s| (s.name.as_str(), s.min_bake_seconds)).collect();
    assert_eq!(stages, [("canary", 300), ("full", 300)]);
    assert!(m.stages.iter().all(|s| !s.rehearse_rollback), "an emergency does not rehearse going back");
    assert!(m.to_toml().contains("[emergency]\nreason = \"INC-42: attack in progress\"\nby = \"oncall\"\n"));

    // Lint still runs: an invalid regex blocks an emergency too.
    r.write("waf/rules.yaml", waf(1, "a(", "block"));
    r.commit("three");
    let plan = r.plan(&req, &Policy::default()).expect("plan");
    assert_eq!(plan.manifest.risk, Risk::Blocked);
    assert!(plan.manifest.stages.is_empty());
    let o = r.cfglint(&["rollout", "--no-config", "--emergency"]);
    assert_eq!(code(&o), 2, "--emergency needs --reason: {}", text(&o));
    let o = r.cfglint(&["rollout", "--no-config", "--emergency", "--reason", "INC-42", "--actor", "bob"]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("by = \"bob\""));
}

#[test]
fn same_inputs_give_byte_identical_manifests() {
    let r = Repo::init();
    r.write("crs/a.conf", seclang(1, "^a$"));
    r.write("waf/rules.yaml", waf(1, "a+", "log"));
    r.commit("one");
    r.write("crs/a.conf", format!("{}{}", seclang(1, "^a$"), seclang(2, "^b+$")));
    r.write("crs/b.conf", "SecRuleRemoveById 2\n");
    r.write("waf/rules.yaml", waf(1, "a+b", "block"));
    r.commit("two");
    let one = r.manifest().to_toml();
    let two = r.manifest().to_toml();
    assert_eq!(one, two);
    let first = r.cfglint(&["rollout", "--no-config", "-o", "one.toml"]);
    let second = r.cfglint(&["rollout", "--no-config", "--base", "HEAD~1", "--head", "main", "-o", "two.toml"]);
    assert_eq!((code(&first), code(&second)), (0, 0), "{}", text(&first));
    let (file_one, file_two) = (
        std::fs::read(r.root().join("one.toml")).expect("one"),
        std::fs::read(r.root().join("two.toml")).expect("two"),
    );
    assert_eq!(file_one, file_two, "same commits, same bytes");
    assert_eq!(String::from_utf8_lossy(&file_one), one, "the CLI writes what the library plans");
    // No temporary files are left next to the manifest.
    let names: Vec<String> = std::fs::read_dir(r.root())
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
}

#[test]
fn bench_figures_raise_risk() {
    let r = Repo::init();
    r.write("waf/rules.yaml", waf(100_001, "a+", "log"));
    r.commit("one");
    r.write("waf/rules.yaml", waf(100_001, "a+", "log") + "# touched\n");
    r.commit("two");
    assert_eq!(r.manifest().risk, Risk::Low);
    let bench = BenchReport::from_json(
        r#"{"version": 1, "rules": [{"id": "100001", "file": "./waf/rules.yaml", "budget_exceeded": ["max_steps_per_byte"],
            "worst_case": {"complexity": "polynomial", "degree": 3}, "future_key": [1, 2]}],
            "summary": {"rules": 1}}"#,
    )
    .expect("bench json");
    let m = r.plan(&Request { bench: Some(bench), ..Request::default() }, &Policy::default()).expect("plan").manifest;
    let c = change(&m, "waf/rules.yaml", ChangeStatus::Modified);
    assert_eq!(c.risk, Risk::High);
    assert_eq!(
        c.reasons,
        [
            "bench: rule 100001 exceeds budget max_steps_per_byte",
            "bench: rule 100001 worst case is polynomial (degree 3)"
        ]
    );
    assert_eq!(m.stages[0].traffic_percent.0.to_string(), "1");

    // Through the CLI, and a bench file that is not JSON is an error.
    r.write("bench.json", r#"{"version": 1, "rules": [{"id": 100001, "file": "waf/rules.yaml", "budget_exceeded": ["max_steps_at_4kb"]}]}"#);
    let o = r.cfglint(&["rollout", "--no-config", "--bench", "bench.json"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("exceeds budget max_steps_at_4kb"));
    r.write("bench.json", "not json");
    let o = r.cfglint(&["rollout", "--no-config", "--bench", "bench.json"]);
    assert_eq!(code(&o), 2, "{}", text(&o));
}

#[test]
fn policy_from_cfglint_toml_and_rollback_command_template() {
    let r = Repo::init();
    r.write("waf/rules.yaml", waf(1, "a+", "log"));
    r.commit("one");
    r.write("waf/rules.yaml", waf(1, "a+", "log") + "# touched\n");
    r.write("docs/it's here.md", "x\n");
    r.commit("two");
    r.write(
        "cfglint.toml",
        "[rollout]\nrollback-command = \"deploy.sh --rev {revision} -- {paths}\"\n[[rollout.stages.low]]\nname = \"one\"\ntraffic-percent = 50\nmin-bake-seconds = 60\n[[rollout.stages.low]]\nname = \"all\"\ntraffic-percent = 100\n",
    );
    let o = r.cfglint(&["rollout"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let m = Manifest::from_toml("stdout", &String::from_utf8_lossy(&o.stdout)).expect("manifest");
    assert_eq!(m.stages.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["one", "all"]);
    assert_eq!(m.rollback.command, format!("deploy.sh --rev {} -- 'docs/it'\\''s here.md' waf/rules.yaml", m.base));
    assert_eq!(
        m.rollback.forward_command,
        format!("deploy.sh --rev {} -- 'docs/it'\\''s here.md' waf/rules.yaml", m.head)
    );
    assert_eq!(m.rollback.rehearse_in_stage.as_deref(), Some("one"));
    assert!(m.stages[0].gates.iter().any(|g| g.metric == "rollback_rehearsed"));
    // An invalid policy value points at it.
    r.write("cfglint.toml", "[[rollout.stages.low]]\nname = \"one\"\ntraffic-percent = 0\n");
    let o = r.cfglint(&["rollout"]);
    assert_eq!(code(&o), 2);
    assert!(has(&o, "traffic-percent 0 is not in (0, 100]"), "{}", text(&o));
}

#[test]
fn rollback_command_restores_the_base_and_rehearsal_round_trips() {
    if !git_available() {
        return;
    }
    let r = Repo::init();
    r.write("waf/rules.yaml", waf(1, "a+", "log"));
    r.write("crs/old.conf", seclang(1, "^old$"));
    r.write("waf/b.yaml", waf(2, "b+", "log"));
    r.commit("one");
    r.write("waf/rules.yaml", waf(1, "a+b", "log"));
    r.remove("crs/old.conf");
    r.write("crs/new conf.conf", seclang(2, "^new$"));
    r.rename("waf/b.yaml", "waf/renamed.yaml");
    r.commit("two");

    // The Argo steps are a pipeline file, not part of the deployed tree
    // that `rollback --verify` compares with the base.
    r.write(".git/info/exclude", "steps.yaml\n");
    let o = r.cfglint(&["rollout", "--no-config", "-o", "manifest.toml", "--argo", "steps.yaml"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let m =
        Manifest::from_toml("manifest.toml", &std::fs::read_to_string(r.root().join("manifest.toml")).expect("read"))
            .expect("manifest");
    let steps = std::fs::read_to_string(r.root().join("steps.yaml")).expect("argo steps");
    assert_eq!(steps.matches("setWeight").count(), m.stages.len());

    let sh = |cmd: &str| {
        let o = Command::new("sh").arg("-c").arg(cmd).current_dir(r.root()).output().expect("run sh");
        assert!(o.status.success(), "{cmd}: {}", text(&o));
    };
    // Roll back: the work tree matches every `before` hash, and only those.
    // Twice: the command is idempotent (an emergency may run it again).
    assert!(
        m.rollback
            .command
            .contains("git --literal-pathspecs rm -q -f --ignore-unmatch -- 'crs/new conf.conf' waf/renamed.yaml"),
        "{}",
        m.rollback.command
    );
    sh(&m.rollback.command);
    sh(&m.rollback.command);
    assert!(m.verify(r.root(), Side::Base).expect("verify").is_empty());
    let o = r.cfglint(&["rollback", "--no-config", "--manifest", "manifest.toml", "--verify"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let o = r.cfglint(&[
        "gate",
        "--no-config",
        "--manifest",
        "manifest.toml",
        "--stage",
        "canary",
        "--metrics",
        "/dev/null",
    ]);
    assert_eq!(code(&o), 2, "the tree is not at head: {}", text(&o));
    assert!(has(&o, "does not match the manifest's head side"), "{}", text(&o));
    // And forward again (twice as well).
    sh(&m.rollback.forward_command);
    sh(&m.rollback.forward_command);
    assert!(m.verify(r.root(), Side::Head).expect("verify").is_empty());
    let o = r.cfglint(&["rollback", "--no-config", "--manifest", "manifest.toml", "--verify"]);
    assert_eq!(code(&o), 2, "{}", text(&o));

    // The inverse manifest: parses, swaps sides, and its own rollback
    // command is the forward command.
    let o = r.cfglint(&["rollback", "--no-config", "--manifest", "manifest.toml", "--reason", "INC-7"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let inv = Manifest::from_toml("inverse", &String::from_utf8_lossy(&o.stdout)).expect("inverse manifest");
    assert_eq!((inv.base.as_str(), inv.head.as_str()), (m.head.as_str(), m.base.as_str()));
    assert_eq!(inv.rollback.command, m.rollback.forward_command);
    assert_eq!(inv.emergency.as_ref().map(|e| (e.reason.as_str(), e.by.as_str())), Some(("INC-7", "ci-bot")));
    assert_eq!(
        inv.inverts.as_ref().map(|i| i.manifest.clone()),
        Some(sha256(&std::fs::read(r.root().join("manifest.toml")).expect("read")))
    );
    let restored = change(&inv, "crs/old.conf", ChangeStatus::Added);
    assert_eq!(restored.wave, 1, "the inverse expands first: restore what the rollout removed");
    assert_eq!(change(&inv, "waf/renamed.yaml", ChangeStatus::Deleted).wave, inv.waves);
    // Applying the inverse (its forward command) is the rollback.
    sh(&inv.rollback.forward_command);
    assert!(inv.verify(r.root(), Side::Head).expect("verify").is_empty());
}

#[test]
fn root_commit_rolls_back_to_the_empty_tree() {
    let r = Repo::init();
    r.write("waf/rules.yaml", waf(1, "a+", "log"));
    r.commit("first");
    let m = r.manifest();
    assert_eq!(m.base, rollout::manifest::EMPTY_TREE);
    assert_eq!(waves(&m), [("waf/rules.yaml".to_owned(), ChangeStatus::Added, 1)]);
    if git_available() {
        let o = Command::new("sh").arg("-c").arg(&m.rollback.command).current_dir(r.root()).output().expect("sh");
        assert!(o.status.success(), "{}", text(&o));
        assert!(!r.root().join("waf/rules.yaml").exists());
    }
}

/// A file from the shared corpus, when it is there (it is not in every
/// checkout).
fn corpus(rel: &str) -> Option<String> {
    std::fs::read_to_string(common::shared_corpus()?.join(rel)).ok()
}

#[test]
fn real_crs_rule_removed_after_the_exclusion_that_stops_naming_it() {
    let (Some(sqli), Some(protocol)) = (
        corpus("configs/owasp-crs/rules/REQUEST-942-APPLICATION-ATTACK-SQLI.conf"),
        corpus("configs/owasp-crs/rules/REQUEST-920-PROTOCOL-ENFORCEMENT.conf"),
    ) else {
        return;
    };
    // What cfglint reads from a real CRS file: ids, the in-file
    // `ctl:ruleRemoveById=920540`, markers and `skipAfter`.
    let links =
        rollout::links::of("REQUEST-920.conf", protocol.as_bytes(), &cfglint::source::ExtractOptions::default());
    for id in ["920100", "920539", "920540"] {
        assert!(links.defines.contains(&rollout::links::Symbol::Rule(id.into())), "{id}");
    }
    assert!(links.refs.iter().any(|r| r.via == "ctl:ruleRemoveById=920540"), "{:?}", links.refs);
    assert!(links.refs.iter().any(|r| r.via.starts_with("skipAfter:END-REQUEST-920")), "{:?}", links.refs);
    assert!(
        links
            .defines
            .iter()
            .any(|s| matches!(s, rollout::links::Symbol::Marker(m) if m.starts_with("END-REQUEST-920")))
    );

    let r = Repo::init();
    r.write("crs/REQUEST-920-PROTOCOL-ENFORCEMENT.conf", &protocol);
    r.write("crs/REQUEST-942-APPLICATION-ATTACK-SQLI.conf", &sqli);
    r.write("crs/RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf", "SecRuleUpdateTargetById 942100 \"!ARGS:password\"\n");
    r.commit("one");
    // Remove rule 942100 (its whole directive) and the exclusion naming it.
    let at = sqli.find("id:942100").expect("942100 in the corpus file");
    let start = sqli[..at].rfind("\nSecRule").expect("its SecRule") + 1;
    let end = at + sqli[at..].find("\n\n").expect("a blank line after it") + 1;
    let without = format!("{}{}", &sqli[..start], &sqli[end..]);
    r.write("crs/REQUEST-942-APPLICATION-ATTACK-SQLI.conf", &without);
    r.write("crs/RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf", "# nothing to exclude\n");
    r.commit("two");

    let m = r.manifest();
    assert_eq!(
        waves(&m),
        [
            ("crs/RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf".to_owned(), ChangeStatus::Modified, 1),
            ("crs/REQUEST-942-APPLICATION-ATTACK-SQLI.conf".to_owned(), ChangeStatus::Modified, 2),
        ]
    );
    let c = change(&m, "crs/REQUEST-942-APPLICATION-ATTACK-SQLI.conf", ChangeStatus::Modified);
    assert_eq!(
        c.depends_on[0].why,
        "that change stops using rule 942100 (`SecRuleUpdateTargetById 942100`), which this change removes"
    );
    assert_eq!(c.before.as_deref(), Some(sha256(sqli.as_bytes()).as_str()));
    assert_eq!(c.after.as_deref(), Some(sha256(without.as_bytes()).as_str()));
}

#[test]
fn documented_examples_parse() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rollout");
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).expect("fixture");
    let policy = Policy::parse("cfglint.toml", &read("cfglint.toml")).expect("the example policy parses");
    assert_eq!(policy.high.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["canary", "region", "full"]);
    assert!(
        policy.low[0].gates.iter().any(|g| g.metric == "waf_block_rate"),
        "[[rollout.gates]] applies to every list"
    );
    assert_eq!(policy.order.len(), 1);
    // The example config is also a valid cfglint.toml for the other commands.
    cfglint::config::Config::parse(Path::new("cfglint.toml"), read("cfglint.toml")).expect("valid cfglint.toml");
    let m = rollout::metrics::parse(&read("metrics.json"), None).expect("the example metrics parse");
    assert_eq!((m.elapsed_seconds, m.samples, m.metrics.len()), (Some(1200.0), Some(5000.0), 4));
    let p = rollout::metrics::parse(&read("prometheus-vector.json"), None).expect("the example query result parses");
    assert_eq!((p.elapsed_seconds, p.samples, p.metrics.len()), (None, Some(5000.0), 3));
}

#[test]
fn removed_rules_are_listed_and_a_removed_block_rule_is_high_risk() {
    let r = Repo::init();
    let rule = |id: u32, action: &str| {
        format!("  - id: {id}\n    pattern: 'r{id}+'\n    targets: [args]\n    action: {action}\n")
    };
    r.write(
        "waf/a.yaml",
        format!("rules:\n{}{}{}", rule(100_004, "block"), rule(100_005, "log"), rule(100_006, "log")),
    );
    r.write("waf/b.yaml", format!("rules:\n{}", rule(100_007, "log")));
    r.commit("one");
    r.write("waf/a.yaml", format!("rules:\n{}", rule(100_003, "log")));
    // 100006 moves to b.yaml: moved, not removed.
    r.write("waf/b.yaml", format!("rules:\n{}{}", rule(100_007, "log"), rule(100_006, "log")));
    r.commit("two");
    let m = r.manifest();
    let a = change(&m, "waf/a.yaml", ChangeStatus::Modified);
    assert_eq!(a.risk, Risk::High, "{:?}", a.reasons);
    assert!(a.reasons.iter().any(|x| x == "rule 100004 (block) removed"), "{:?}", a.reasons);
    assert!(a.reasons.iter().any(|x| x == "rule 100005 (log) removed"), "{:?}", a.reasons);
    assert!(!a.reasons.iter().any(|x| x.contains("100006")), "moved, not removed: {:?}", a.reasons);
}

/// `exclude = [...]` in cfglint.toml selects the same files in `check`,
/// `diff` and `rollout`: an excluded folder's changed regex file is not
/// linted by any of them, and the rollout says it is excluded (it is still
/// deployed and rolled back with the rest of the change).
#[test]
fn exclude_selects_the_same_files_in_check_diff_and_rollout() {
    let r = Repo::init();
    r.write("cfglint.toml", "exclude = [\"vendor\", \"gen/*.yaml\"]\n");
    for p in ["vendor/rules.yaml", "vendor/deep/rules.yaml", "gen/rules.yaml", "waf/rules.yaml"] {
        r.write(p, waf(1, "a+", "log"));
    }
    r.commit("one");
    for p in ["vendor/rules.yaml", "vendor/deep/rules.yaml", "gen/rules.yaml"] {
        r.write(p, waf(1, "(a+)+$", "log"));
    }
    r.write("waf/rules.yaml", waf(1, "b+", "log"));
    r.commit("two");

    let o = r.cfglint(&["check", "."]);
    assert_eq!(code(&o), 0, "check lints no excluded file: {}", text(&o));
    let o = r.cfglint(&["diff"]);
    assert_eq!(code(&o), 0, "diff lints no excluded file: {}", text(&o));
    let o = r.cfglint(&["rollout"]);
    assert_eq!(code(&o), 0, "rollout lints no excluded file: {}", text(&o));
    let m = Manifest::from_toml("stdout", &String::from_utf8_lossy(&o.stdout)).expect("manifest");
    for p in ["gen/rules.yaml", "vendor/deep/rules.yaml", "vendor/rules.yaml"] {
        let c = change(&m, p, ChangeStatus::Modified);
        assert_eq!(
            (c.risk, c.reasons.as_slice()),
            (Risk::Low, ["not linted: excluded by cfglint.toml".to_owned()].as_slice()),
            "{p}"
        );
    }
    let c = change(&m, "waf/rules.yaml", ChangeStatus::Modified);
    assert_eq!(c.reasons, ["1 regex modified"]);
}

/// A Prometheus rule file: `(record or alert name, expr)` pairs; names
/// with a `:` are recording rules.
fn prom_rules(rules: &[(&str, &str)]) -> String {
    use std::fmt::Write as _;
    let mut s = String::from("groups:\n  - name: app\n    rules:\n");
    for (name, expr) in rules {
        let key = if name.contains(':') { "record" } else { "alert" };
        let _ = write!(s, "      - {key}: {name}\n        expr: {expr}\n");
        if key == "alert" {
            s.push_str("        for: 5m\n        labels:\n          severity: page\n");
        }
    }
    s
}

#[test]
fn alert_after_the_recording_rule_it_uses_and_removing_a_used_series_blocks() {
    let r = Repo::init();
    r.write(
        "prometheus/rules/recording.yaml",
        prom_rules(&[("job:http_errors:rate5m", "sum by (job) (rate(http_requests_total{code=~\"5..\"}[5m]))")]),
    );
    r.write("prometheus/rules/alerts.yaml", prom_rules(&[("HighErrorRate", "job:http_errors:rate5m > 0.05")]));
    r.write("prometheus/prometheus.yml", "rule_files:\n  - rules/*.yaml\n");
    r.commit("one");

    // A new recording rule and, in another file, an alert that uses it
    // inside a function, an aggregation and a subquery.
    r.write(
        "prometheus/rules/recording.yaml",
        prom_rules(&[
            ("job:http_errors:rate5m", "sum by (job) (rate(http_requests_total{code=~\"5..\"}[5m]))"),
            (
                "job:http_latency:p99",
                "histogram_quantile(0.99, sum by (job, le) (rate(http_request_duration_seconds_bucket[5m])))",
            ),
        ]),
    );
    r.write(
        "prometheus/rules/latency.yaml",
        prom_rules(&[("SlowRequests", "max_over_time(max by (job) (job:http_latency:p99)[30m:1m]) > 2")]),
    );
    r.commit("two");
    let m = r.manifest();
    assert_eq!(
        waves(&m),
        [
            ("prometheus/rules/recording.yaml".to_owned(), ChangeStatus::Modified, 1),
            ("prometheus/rules/latency.yaml".to_owned(), ChangeStatus::Added, 2),
        ]
    );
    let alert = change(&m, "prometheus/rules/latency.yaml", ChangeStatus::Added);
    assert_eq!(
        alert.depends_on[0].why,
        "`expr of alert SlowRequests` refers to series job:http_latency:p99, which that change adds"
    );

    // Renaming a recording rule that an unchanged file still uses: blocked,
    // naming the series and the file.
    r.write(
        "prometheus/rules/recording.yaml",
        prom_rules(&[
            ("job:http_errors:ratio5m", "sum by (job) (rate(http_requests_total{code=~\"5..\"}[5m]))"),
            (
                "job:http_latency:p99",
                "histogram_quantile(0.99, sum by (job, le) (rate(http_request_duration_seconds_bucket[5m])))",
            ),
        ]),
    );
    r.commit("three");
    let plan = r.plan(&Request::default(), &Policy::default()).expect("plan");
    assert_eq!(plan.blocked, ["prometheus/rules/recording.yaml"]);
    assert!(plan.manifest.stages.is_empty());
    let c = change(&plan.manifest, "prometheus/rules/recording.yaml", ChangeStatus::Modified);
    assert_eq!(c.risk, Risk::Blocked);
    assert_eq!(
        c.reasons[0],
        "series job:http_errors:rate5m is removed, but prometheus/rules/alerts.yaml (not in this change) still uses it (`expr of alert HighErrorRate`)"
    );
    assert!(rollout_doc().contains(&c.reasons[0]), "docs/rollout.md shows this reason as it is: {}", c.reasons[0]);
    let o = r.cfglint(&["rollout", "--no-config", "-o", "m.toml"]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(has(&o, "series job:http_errors:rate5m is removed, but prometheus/rules/alerts.yaml"), "{}", text(&o));
    assert!(has(&o, "blocked: prometheus/rules/recording.yaml"), "{}", text(&o));

    // Updating the alert in the same change unblocks it; an alert left on
    // the old name in a changed file is blocked too.
    r.write(
        "prometheus/rules/alerts.yaml",
        prom_rules(&[("HighErrorRate", "sum(rate(http_requests_total{code=~\"5..\"}[5m])) > 0.05")]),
    );
    r.commit("four");
    let req = Request { base: Some("HEAD~2".into()), ..Request::default() };
    let plan = r.plan(&req, &Policy::default()).expect("plan");
    assert!(plan.blocked.is_empty(), "{:#?}", plan.manifest.changes);
    r.write(
        "prometheus/rules/alerts.yaml",
        prom_rules(&[("HighErrorRate", "job:http_errors:rate5m > 0.05"), ("Down", "up == 0")]),
    );
    r.commit("five");
    let req = Request { base: Some("HEAD~3".into()), ..Request::default() };
    let plan = r.plan(&req, &Policy::default()).expect("plan");
    assert_eq!(plan.blocked, ["prometheus/rules/alerts.yaml"]);
    let alerts = change(&plan.manifest, "prometheus/rules/alerts.yaml", ChangeStatus::Modified);
    assert_eq!(
        alerts.reasons[0],
        "`expr of alert HighErrorRate` still uses series job:http_errors:rate5m, which prometheus/rules/recording.yaml removes"
    );
    assert!(rollout_doc().contains(&alerts.reasons[0]), "docs/rollout.md shows this reason as it is");
}

fn rollout_doc() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rollout.md")).expect("docs/rollout.md")
}

#[test]
fn unchanged_files_that_still_use_what_the_change_removes() {
    let r = Repo::init();
    r.write("modsec/main.conf", "SecRuleEngine On\nInclude rules/base.conf\nIncludeOptional rules/local/*.conf\n");
    r.write("modsec/rules/base.conf", seclang(900_100, "^base$"));
    r.write("modsec/rules/local/site.conf", seclang(900_200, "^site$"));
    r.write("crs/REQUEST-942-SQLI.conf", format!("{}{}", seclang(942_100, "union"), seclang(942_110, "select")));
    r.write(
        "crs/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf",
        "SecRule REQUEST_URI \"@beginsWith /search\" \"id:1001,phase:1,pass,nolog,ctl:ruleRemoveById=942100\"\nSecRuleRemoveById 942000-942999\n",
    );
    r.write(
        "alertmanager/alertmanager.yml",
        "route:\n  receiver: default\n  routes:\n    - matchers: ['team=\"payments\"']\n      receiver: payments-pager\n",
    );
    r.write("alertmanager/receivers.yml", "receivers:\n  - name: default\n  - name: payments-pager\n");
    r.write("prometheus/prometheus.yml", "rule_files:\n  - rules/legacy/*.yml\n  - rules/app.yml\n");
    r.write("prometheus/rules/legacy/old.yml", prom_rules(&[("Down", "up == 0")]));
    r.write("prometheus/rules/app.yml", prom_rules(&[("Up", "up == 1")]));
    r.commit("one");
    let untouched = |r: &Repo| {
        for p in [
            "modsec/main.conf",
            "crs/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf",
            "alertmanager/alertmanager.yml",
            "prometheus/prometheus.yml",
        ] {
            assert!(r.root().join(p).is_file(), "{p}");
        }
    };

    // Each removal on its own commit, planned against the first.
    r.remove("modsec/rules/base.conf");
    r.remove("modsec/rules/local/site.conf");
    r.write("crs/REQUEST-942-SQLI.conf", seclang(942_110, "select"));
    r.write("alertmanager/receivers.yml", "receivers:\n  - name: default\n");
    r.remove("prometheus/rules/legacy/old.yml");
    r.commit("two");
    untouched(&r);

    let plan = r.plan(&Request::default(), &Policy::default()).expect("plan");
    let m = &plan.manifest;
    let reasons = |path: &str, status| change(m, path, status).reasons.clone();
    // A strict Include of a deleted file: the config will not load.
    let base = change(m, "modsec/rules/base.conf", ChangeStatus::Deleted);
    assert_eq!(base.risk, Risk::Blocked, "{:?}", base.reasons);
    assert_eq!(
        base.reasons[0],
        "modsec/main.conf:2 (not in this change) still loads this file (`Include rules/base.conf`): the config will not load"
    );
    assert!(rollout_doc().contains(&base.reasons[0]), "docs/rollout.md shows this reason as it is");
    // An optional include glob left matching nothing: high, not blocked.
    let site = change(m, "modsec/rules/local/site.conf", ChangeStatus::Deleted);
    assert_eq!(site.risk, Risk::High, "{:?}", site.reasons);
    assert!(
        site.reasons.contains(&"`IncludeOptional rules/local/*.conf` in modsec/main.conf:3 (not in this change) no longer matches any file: what modsec/rules/local/site.conf held is no longer loaded".to_owned()),
        "{:?}",
        site.reasons
    );
    // A removed rule still excluded: high, with the reason; the range does
    // not count.
    let sqli = reasons("crs/REQUEST-942-SQLI.conf", ChangeStatus::Modified);
    assert!(
        sqli.contains(
            &"rule 942100 is removed, but crs/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf (not in this change) still names it (`ctl:ruleRemoveById=942100`): it now applies to nothing, and a rule that moved to a new id is no longer covered"
                .to_owned()
        ),
        "{sqli:?}"
    );
    assert!(!sqli.iter().any(|s| s.contains("942000-942999")), "{sqli:?}");
    assert_eq!(change(m, "crs/REQUEST-942-SQLI.conf", ChangeStatus::Modified).risk, Risk::High);
    // A route naming a removed receiver: Alertmanager refuses the config.
    let receivers = change(m, "alertmanager/receivers.yml", ChangeStatus::Modified);
    assert_eq!(receivers.risk, Risk::Blocked, "{:?}", receivers.reasons);
    assert!(receivers.reasons[0].starts_with("receiver payments-pager is removed, but alertmanager/alertmanager.yml (not in this change) still routes to it (`route.routes[0].receiver: payments-pager`)"), "{:?}", receivers.reasons);
    // A rule_files glob that no longer matches: high.
    let legacy = change(m, "prometheus/rules/legacy/old.yml", ChangeStatus::Deleted);
    assert_eq!(legacy.risk, Risk::High, "{:?}", legacy.reasons);
    assert!(legacy.reasons.iter().any(|x| x.starts_with("`rule_files: rules/legacy/*.yml` in prometheus/prometheus.yml (not in this change) no longer matches any file")), "{:?}", legacy.reasons);
    assert_eq!(plan.blocked, ["alertmanager/receivers.yml", "modsec/rules/base.conf"]);

    let o = r.cfglint(&["rollout", "--no-config"]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(has(&o, "modsec/main.conf:2 (not in this change) still loads this file"), "{}", text(&o));

    // What still matches or is still defined is no problem: another file
    // under the glob, and the receiver defined again elsewhere.
    r.write("modsec/rules/base.conf", seclang(900_100, "^base$"));
    r.write("modsec/rules/local/other.conf", seclang(900_300, "^other$"));
    r.write("prometheus/rules/legacy/new.yml", prom_rules(&[("Down", "up == 0")]));
    r.write("alertmanager/pagers.yml", "receivers:\n  - name: payments-pager\n");
    r.write("crs/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf", "SecRuleRemoveById 942000-942999\n");
    r.commit("three");
    let plan =
        r.plan(&Request { base: Some("HEAD~2".into()), ..Request::default() }, &Policy::default()).expect("plan");
    assert!(plan.blocked.is_empty(), "{:#?}", plan.manifest.changes);
    for c in &plan.manifest.changes {
        assert!(!c.reasons.iter().any(|x| x.contains("not in this change")), "{c:#?}");
    }
}

/// Issue #14: renaming a recording rule and the alert that uses it in one
/// change is a plan, not a dependency cycle: the recording rule (which
/// adds the new name) goes first, the alert that uses the new name after
/// it. The old name's removal blocks only when an unchanged file still
/// uses it.
#[test]
fn renaming_a_recording_rule_with_its_alert_is_a_plan() {
    let r = Repo::init();
    let errors = "sum by (job) (rate(http_requests_total{code=~\"5..\"}[5m]))";
    r.write("prometheus/rules/recording.yaml", prom_rules(&[("job:http_errors:rate5m", errors)]));
    r.write("prometheus/rules/alerts.yaml", prom_rules(&[("HighErrorRate", "job:http_errors:rate5m > 0.05")]));
    r.write("prometheus/prometheus.yml", "rule_files:\n  - rules/*.yaml\n");
    r.commit("one");
    r.write("prometheus/rules/recording.yaml", prom_rules(&[("job:http_errors:ratio5m", errors)]));
    r.write("prometheus/rules/alerts.yaml", prom_rules(&[("HighErrorRate", "job:http_errors:ratio5m > 0.05")]));
    r.commit("rename");

    let plan = r.plan(&Request::default(), &Policy::default()).expect("a plan, not a cycle");
    assert!(plan.blocked.is_empty(), "{:#?}", plan.manifest.changes);
    assert_eq!(
        waves(&plan.manifest),
        [
            ("prometheus/rules/recording.yaml".to_owned(), ChangeStatus::Modified, 1),
            ("prometheus/rules/alerts.yaml".to_owned(), ChangeStatus::Modified, 2),
        ]
    );
    let alerts = change(&plan.manifest, "prometheus/rules/alerts.yaml", ChangeStatus::Modified);
    let whys: Vec<&str> = alerts.depends_on.iter().map(|d| d.why.as_str()).collect();
    assert!(
        whys.contains(
            &"`expr of alert HighErrorRate` refers to series job:http_errors:ratio5m, which that change adds"
        ),
        "{whys:?}"
    );
    // The window in which the old alert still uses the removed name is
    // said, not hidden.
    assert!(whys.iter().any(|w| w.contains("also removes series job:http_errors:rate5m")), "{whys:?}");
    assert!(alerts.depends_on.iter().all(|d| d.path == "prometheus/rules/recording.yaml"), "{:?}", alerts.depends_on);
    let recording = change(&plan.manifest, "prometheus/rules/recording.yaml", ChangeStatus::Modified);
    assert!(recording.depends_on.is_empty(), "{:?}", recording.depends_on);
    let o = r.cfglint(&["rollout", "--no-config", "-o", "m.toml"]);
    assert_eq!(code(&o), 0, "{}", text(&o));

    // The same rename while an unchanged file still uses the old name:
    // blocked on that file (exit 1), still not a cycle.
    let r = Repo::init();
    r.write("prometheus/rules/recording.yaml", prom_rules(&[("job:http_errors:rate5m", errors)]));
    r.write("prometheus/rules/alerts.yaml", prom_rules(&[("HighErrorRate", "job:http_errors:rate5m > 0.05")]));
    r.write("prometheus/rules/slo.yaml", prom_rules(&[("ErrorBudgetBurn", "job:http_errors:rate5m > 0.1")]));
    r.commit("one");
    r.write("prometheus/rules/recording.yaml", prom_rules(&[("job:http_errors:ratio5m", errors)]));
    r.write("prometheus/rules/alerts.yaml", prom_rules(&[("HighErrorRate", "job:http_errors:ratio5m > 0.05")]));
    r.commit("rename, slo.yaml forgotten");
    let plan = r.plan(&Request::default(), &Policy::default()).expect("a plan, not a cycle");
    assert_eq!(plan.blocked, ["prometheus/rules/recording.yaml"]);
    let c = change(&plan.manifest, "prometheus/rules/recording.yaml", ChangeStatus::Modified);
    assert_eq!(
        c.reasons[0],
        "series job:http_errors:rate5m is removed, but prometheus/rules/slo.yaml (not in this change) still uses it (`expr of alert ErrorBudgetBurn`)"
    );
    let o = r.cfglint(&["rollout", "--no-config", "-o", "m.toml"]);
    assert_eq!(code(&o), 1, "{}", text(&o));

    // A recording rule and its alert renamed together inside one file.
    r.write(
        "prometheus/rules/both.yaml",
        prom_rules(&[("job:a:rate5m", "rate(a_total[5m])"), ("AHigh", "job:a:rate5m > 1")]),
    );
    r.commit("both");
    r.write(
        "prometheus/rules/both.yaml",
        prom_rules(&[("job:a:ratio5m", "rate(a_total[5m])"), ("AHigh", "job:a:ratio5m > 1")]),
    );
    r.commit("rename inside one file");
    let req = Request { base: Some("HEAD~1".into()), ..Request::default() };
    let plan = r.plan(&req, &Policy::default()).expect("plan");
    assert!(plan.blocked.is_empty(), "{:#?}", plan.manifest.changes);
}

/// Issue #14: a strict `Include` (no `IncludeOptional`, no glob) of a file
/// the head tree no longer has makes the config fail to load wherever the
/// `Include` sits: blocked whether the including file is in the change or
/// not, naming the file and line. A glob that still matches a file at
/// head (changed or not) is no problem.
#[test]
fn a_strict_include_of_a_deleted_file_blocks_from_changed_and_unchanged_files() {
    let r = Repo::init();
    r.write("modsec/main.conf", "SecRuleEngine On\nInclude rules/base.conf\nInclude rules/extra/*.conf\n");
    r.write("modsec/other.conf", "# vhost b\n\nInclude rules/base.conf\n");
    r.write("modsec/rules/base.conf", seclang(900_100, "^base$"));
    r.write("modsec/rules/extra/a.conf", seclang(900_200, "^a$"));
    r.write("modsec/rules/extra/b.conf", seclang(900_300, "^b$"));
    r.commit("one");
    r.write("modsec/main.conf", "SecRuleEngine DetectionOnly\nInclude rules/base.conf\nInclude rules/extra/*.conf\n");
    r.remove("modsec/rules/base.conf");
    r.remove("modsec/rules/extra/a.conf");
    r.commit("two");

    let plan = r.plan(&Request::default(), &Policy::default()).expect("plan");
    let m = &plan.manifest;
    let base = change(m, "modsec/rules/base.conf", ChangeStatus::Deleted);
    assert_eq!(base.risk, Risk::Blocked, "{:?}", base.reasons);
    for why in [
        "modsec/main.conf:2 (in this change) still loads this file (`Include rules/base.conf`): the config will not load",
        "modsec/other.conf:3 (not in this change) still loads this file (`Include rules/base.conf`): the config will not load",
    ] {
        assert!(base.reasons.iter().any(|r| r == why), "missing `{why}` in {:?}", base.reasons);
    }
    // The including file is not where the problem is reported twice, nor
    // at a lower risk.
    let main = change(m, "modsec/main.conf", ChangeStatus::Modified);
    assert!(!main.reasons.iter().any(|r| r.contains("rules/base.conf") || r.contains("extra")), "{:?}", main.reasons);
    assert_ne!(main.risk, Risk::High, "{:?}", main.reasons);
    // `rules/extra/*.conf` still matches b.conf, which the change keeps.
    let a = change(m, "modsec/rules/extra/a.conf", ChangeStatus::Deleted);
    assert!(!a.reasons.iter().any(|r| r.contains("load")), "{:?}", a.reasons);
    assert_eq!(plan.blocked, ["modsec/rules/base.conf"]);

    let o = r.cfglint(&["rollout", "--no-config", "-o", "m.toml"]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(has(&o, "modsec/main.conf:2 (in this change) still loads this file"), "{}", text(&o));
}
