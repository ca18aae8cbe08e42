//! `cfglint gate` end to end: a manifest written by `cfglint rollout` in a
//! real temporary git repository, then every decision branch (promote,
//! each hold reason, rollback) and every bad input (malformed or partial
//! metrics, an unknown stage, an unknown schema, a work tree that does not
//! match the hashes), in human and JSON forms, from the documented metrics
//! shape and from Prometheus query results.

use std::path::Path;
use std::process::{Command, Output};

use git2::{Repository, RepositoryInitOptions, Signature, Time};
use tempfile::TempDir;

/// A repository with one committed change and its manifest (high risk:
/// a rule that starts blocking), written with a custom policy so the
/// thresholds are known.
struct Fixture {
    dir: TempDir,
}

const POLICY: &str = r#"
[[rollout.stages.high]]
name = "canary"
traffic-percent = 1
min-bake-seconds = 900
min-samples = 1000
[[rollout.stages.high.gate]]
metric = "error_rate"
op = "<="
threshold = 0.001
on-fail = "rollback"
[[rollout.stages.high.gate]]
metric = "p99_latency_ms"
op = "<="
threshold = 500
on-fail = "hold"
[[rollout.stages.high]]
name = "full"
traffic-percent = 100
min-bake-seconds = 600
min-samples = 1000
"#;

impl Fixture {
    fn new() -> Fixture {
        Fixture::with_policy(POLICY)
    }

    fn with_policy(policy: &str) -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let repo = Repository::init_opts(dir.path(), RepositoryInitOptions::new().initial_head("main")).expect("init");
        let write = |p: &str, s: &str| {
            let p = dir.path().join(p);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, s).expect("write");
        };
        let commit = |msg: &str| {
            let mut index = repo.index().expect("index");
            index.add_all(["waf"], git2::IndexAddOption::DEFAULT, None).expect("add");
            index.write().expect("write index");
            let tree = repo.find_tree(index.write_tree().expect("tree")).expect("tree");
            let sig = Signature::new("T", "t@example.com", &Time::new(1_700_000_000, 0)).expect("sig");
            let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
            let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
            repo.commit(Some("HEAD"), &sig, &sig, msg, &tree, &parents).expect("commit");
        };
        write("waf/rules.yaml", "rules:\n  - id: 1\n    pattern: 'a+'\n    targets: [args]\n    action: log\n");
        commit("one");
        write("waf/rules.yaml", "rules:\n  - id: 1\n    pattern: 'a+b'\n    targets: [args]\n    action: block\n");
        commit("two");
        write("cfglint.toml", policy);
        // The manifest, metrics and policy are pipeline files beside the
        // deployed tree (`waf/`): ignored, so gate's whole-tree check
        // does not count them.
        write(".git/info/exclude", "/*\n!/waf/\n");
        let f = Fixture { dir };
        let o = f.run(&["rollout", "-o", "manifest.toml"]);
        assert_eq!(code(&o), 0, "{}", text(&o));
        f
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, name: &str, content: &str) {
        std::fs::write(self.root().join(name), content).expect("write");
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_cfglint"))
            .args(args)
            .current_dir(self.root())
            .env("NO_COLOR", "1")
            .output()
            .expect("run cfglint")
    }

    /// `gate` on stage `stage` with `metrics` (written to a file).
    fn gate(&self, stage: &str, metrics: &str, extra: &[&str]) -> Output {
        self.write("metrics.json", metrics);
        let mut args = vec!["gate", "--manifest", "manifest.toml", "--stage", stage, "--metrics", "metrics.json"];
        args.extend_from_slice(extra);
        self.run(&args)
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

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("stdout is JSON ({e}): {}", text(o)))
}

fn metrics(elapsed: u64, samples: u64, error_rate: &str, p99: &str, rehearsed: &str) -> String {
    format!(
        r#"{{"elapsed_seconds": {elapsed}, "samples": {samples}, "metrics": {{"error_rate": {error_rate}, "p99_latency_ms": {p99}, "rollback_rehearsed": {rehearsed}}}}}"#
    )
}

#[test]
fn promote_hold_and_rollback() {
    let f = Fixture::new();
    let manifest = std::fs::read_to_string(f.root().join("manifest.toml")).expect("manifest");
    assert!(manifest.contains("rehearse_in_stage = \"canary\""), "{manifest}");

    // Promote: every gate holds, baked, enough samples, rehearsal reported.
    let o = f.gate("canary", &metrics(1200, 5000, "0.0004", "80", "1"), &[]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(has(&o, "PROMOTE to stage `full`"), "{}", text(&o));
    let o = f.gate("full", &metrics(1200, 5000, "0.0004", "80", "1"), &["--format", "json"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let j = json(&o);
    assert_eq!(
        (j["version"].as_u64(), j["decision"].as_str(), j["stage"].as_str()),
        (Some(1), Some("promote"), Some("full"))
    );
    assert!(j["next_stage"].is_null());
    assert!(j["gates"].as_array().expect("gates").iter().all(|g| g["ok"] == true));

    // Each hold reason on its own.
    let cases = [
        (metrics(600, 5000, "0.0004", "80", "1"), "baked 600s of the 900s minimum (300s to go)"),
        (metrics(1200, 999, "0.0004", "80", "1"), "999 samples of the 1000 minimum"),
        (metrics(1200, 5000, "0.0004", "null", "1"), "metric `p99_latency_ms` has no data"),
        (
            metrics(1200, 5000, "0.0004", "900", "1"),
            "p99_latency_ms = 900 breaks p99_latency_ms <= 500 (on_fail = hold)",
        ),
        (
            metrics(1200, 5000, "0.0004", "80", "0"),
            "rollback_rehearsed = 0 breaks rollback_rehearsed >= 1 (on_fail = hold)",
        ),
        (
            r#"{"elapsed_seconds": 1200, "samples": 5000, "metrics": {"error_rate": 0.0004, "rollback_rehearsed": 1}}"#
                .to_owned(),
            "metric `p99_latency_ms` is missing",
        ),
    ];
    for (m, reason) in &cases {
        let o = f.gate("canary", m, &["--format", "json"]);
        assert_eq!(code(&o), 1, "{m}: {}", text(&o));
        let j = json(&o);
        assert_eq!(j["decision"], "hold");
        let reasons: Vec<&str> = j["reasons"].as_array().expect("reasons").iter().filter_map(|r| r.as_str()).collect();
        assert_eq!(reasons.len(), 1, "{reasons:?}");
        assert!(reasons[0].starts_with(reason), "{reasons:?} vs {reason}");
    }

    // Rollback beats hold, and every reason is listed.
    let o = f.gate("canary", &metrics(30, 12, "0.25", "900", "null"), &[]);
    assert_eq!(code(&o), 3, "{}", text(&o));
    let t = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(t.contains("ROLL BACK now"), "{t}");
    for r in [
        "error_rate = 0.25 breaks error_rate <= 0.001 (on_fail = rollback)",
        "baked 30s of the 900s minimum",
        "12 samples of the 1000 minimum",
        "p99_latency_ms = 900 breaks",
        "metric `rollback_rehearsed` has no data",
    ] {
        assert!(t.contains(r), "missing `{r}` in {t}");
    }
    let o = f.gate("canary", &metrics(30, 12, "0.25", "900", "null"), &["--format", "json"]);
    assert_eq!(code(&o), 3);
    let j = json(&o);
    assert_eq!(j["decision"], "rollback");
    assert_eq!(j["reasons"].as_array().map(Vec::len), Some(5));
    assert_eq!(j["gates"][0]["metric"], "error_rate");
    assert_eq!(j["gates"][0]["ok"], false);
    assert_eq!(j["gates"][2]["observed"], serde_json::Value::Null);
}

#[test]
fn prometheus_results_and_flags() {
    let f = Fixture::new();
    let vector = r#"{"status":"success","data":{"resultType":"vector","result":[
        {"metric":{"__name__":"error_rate"},"value":[1700000000.5,"0.0002"]},
        {"metric":{"name":"p99_latency_ms","job":"edge"},"value":[1700000000.5,"120"]},
        {"metric":{"__name__":"samples"},"value":[1700000000.5,"4200"]},
        {"metric":{"__name__":"rollback_rehearsed"},"value":[1700000000.5,"1"]}]}}"#;
    let o = f.gate("canary", vector, &["--elapsed-seconds", "1000"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    // Without the bake time anywhere: partial metrics, exit 2, not a promote.
    let o = f.gate("canary", vector, &[]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(has(&o, "partial metrics: elapsed_seconds missing"), "{}", text(&o));
    // One unnamed series per file, named on the command line; NaN is no data.
    f.write(
        "err.json",
        r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"NaN"]}]}}"#,
    );
    f.write(
        "base.json",
        r#"{"elapsed_seconds": 2000, "samples": 9000, "metrics": {"p99_latency_ms": 10, "rollback_rehearsed": 1}}"#,
    );
    let o = f.run(&[
        "gate",
        "--manifest",
        "manifest.toml",
        "--stage",
        "canary",
        "--metrics",
        "base.json",
        "--metrics",
        "error_rate=err.json",
    ]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(has(&o, "metric `error_rate` has no data"), "{}", text(&o));
    // The same metric from two sources is ambiguous.
    let o = f.run(&[
        "gate",
        "--manifest",
        "manifest.toml",
        "--stage",
        "canary",
        "--metrics",
        "base.json",
        "--metrics",
        "base.json",
    ]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    // A failed query is an error.
    let o = f.gate(
        "canary",
        r#"{"status":"error","errorType":"timeout","error":"query timed out"}"#,
        &["--elapsed-seconds", "1"],
    );
    assert_eq!(code(&o), 2);
    assert!(has(&o, "query timed out"), "{}", text(&o));
}

#[test]
fn bad_input_is_exit_2_never_a_promote() {
    let f = Fixture::new();
    let good = metrics(1200, 5000, "0.0004", "80", "1");
    for (m, says) in [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        (r#"{"elapsed_seconds": "1200", "samples": 5000, "metrics": {}}"#, "must be a number"),
        (r#"{"elapsed_seconds": 1200, "samples": 5000, "metrics": {"error_rate": "low"}}"#, "number or null"),
        (r#"{"elapsed_seconds": 1200, "samples": 5000, "metric": {}}"#, "unknown key `metric`"),
        (r#"{"samples": 5000, "metrics": {"error_rate": 0}}"#, "elapsed_seconds missing"),
        (r#"{"elapsed_seconds": 1200, "metrics": {"error_rate": 0}}"#, "samples missing"),
    ] {
        let o = f.gate("canary", m, &[]);
        assert_eq!(code(&o), 2, "{m}: {}", text(&o));
        assert!(has(&o, says), "{m}: expected `{says}` in {}", text(&o));
        assert!(o.stdout.is_empty(), "no decision printed: {}", text(&o));
    }
    let o = f.gate("production", &good, &[]);
    assert_eq!(code(&o), 2);
    assert!(has(&o, "unknown stage `production`") && has(&o, "canary, full"), "{}", text(&o));
    let o = f.run(&["gate", "--manifest", "manifest.toml", "--stage", "canary", "--metrics", "missing.json"]);
    assert_eq!(code(&o), 2, "{}", text(&o));

    // An unknown schema.
    let manifest = std::fs::read_to_string(f.root().join("manifest.toml")).expect("manifest");
    f.write("v9.toml", &manifest.replace("cfglint/rollout/v1", "cfglint/rollout/v9"));
    f.write("metrics.json", &good);
    let o = f.run(&["gate", "--manifest", "v9.toml", "--stage", "canary", "--metrics", "metrics.json"]);
    assert_eq!(code(&o), 2);
    assert!(has(&o, "unknown manifest schema `cfglint/rollout/v9`"), "{}", text(&o));
    // A manifest with a broken key.
    f.write("broken.toml", &manifest.replace("on_fail = \"rollback\"", "on_fail = \"retry\""));
    let o = f.run(&["gate", "--manifest", "broken.toml", "--stage", "canary", "--metrics", "metrics.json"]);
    assert_eq!(code(&o), 2);
    assert!(has(&o, "invalid manifest"), "{}", text(&o));

    // The work tree does not match the manifest: exit 2 naming the file,
    // unless verification is turned off explicitly.
    std::fs::write(f.root().join("waf/rules.yaml"), "rules: []\n").expect("edit");
    let o = f.gate("canary", &good, &[]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(has(&o, "waf/rules.yaml: sha256:"), "{}", text(&o));
    let o = f.gate("canary", &good, &["--no-verify"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    std::fs::remove_file(f.root().join("waf/rules.yaml")).expect("remove");
    let o = f.gate("canary", &good, &[]);
    assert_eq!(code(&o), 2);
    assert!(has(&o, "waf/rules.yaml: missing"), "{}", text(&o));
    // Outside a repository, verification cannot happen silently.
    let elsewhere = tempfile::tempdir().expect("temp dir");
    std::fs::copy(f.root().join("manifest.toml"), elsewhere.path().join("m.toml")).expect("copy");
    std::fs::write(elsewhere.path().join("x.json"), &good).expect("write");
    let o = Command::new(env!("CARGO_BIN_EXE_cfglint"))
        .args(["gate", "--manifest", "m.toml", "--stage", "canary", "--metrics", "x.json", "--no-config"])
        .current_dir(elsewhere.path())
        .output()
        .expect("run");
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(has(&o, "--no-verify"), "{}", text(&o));
}

#[test]
fn blocked_manifest_has_nothing_to_gate() {
    let f = Fixture::new();
    let manifest = std::fs::read_to_string(f.root().join("manifest.toml")).expect("manifest");
    let cut = manifest.find("[[stage]]").expect("stages");
    let rollback = manifest.find("[rollback]").expect("rollback");
    let blocked =
        format!("{}{}", &manifest[..cut], &manifest[rollback..]).replace("risk = \"high\"", "risk = \"blocked\"");
    f.write("blocked.toml", &blocked);
    f.write("metrics.json", &metrics(1200, 5000, "0", "1", "1"));
    let o = f.run(&["gate", "--manifest", "blocked.toml", "--stage", "canary", "--metrics", "metrics.json"]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(has(&o, "blocked"), "{}", text(&o));
}

/// Issue #13 item 9: values a metric cannot take are bad data, and
/// duplicate keys are malformed input. Both are exit 2, never a promote,
/// and the error names what is wrong.
#[test]
fn bad_data_and_duplicate_keys_never_promote() {
    let f = Fixture::new();
    let good = metrics(1200, 5000, "0.0004", "80", "1");
    assert_eq!(code(&f.gate("canary", &good, &[])), 0, "the baseline promotes");

    // Negative error rate or latency: no metric of a gate can be below 0.
    for (m, says) in [
        (metrics(1200, 5000, "-0.5", "80", "1"), "error_rate = -0.5"),
        (metrics(1200, 5000, "0.0004", "-3", "1"), "p99_latency_ms = -3"),
    ] {
        let o = f.gate("canary", &m, &["--format", "json"]);
        assert_eq!(code(&o), 2, "{m}: {}", text(&o));
        assert!(has(&o, "bad data") && has(&o, says), "{}", text(&o));
        assert!(o.stdout.is_empty(), "no verdict is printed: {}", text(&o));
    }

    // Prometheus -Inf / +Inf (e.g. a log of 0, a division by zero).
    for inf in ["-Inf", "+Inf"] {
        let prom = format!(
            r#"{{"status":"success","data":{{"resultType":"vector","result":[
            {{"metric":{{"__name__":"error_rate"}},"value":[1700000000,"{inf}"]}},
            {{"metric":{{"__name__":"p99_latency_ms"}},"value":[1700000000,"80"]}},
            {{"metric":{{"__name__":"rollback_rehearsed"}},"value":[1700000000,"1"]}}]}}}}"#
        );
        f.write("prom.json", &prom);
        let o = f.run(&[
            "gate",
            "--manifest",
            "manifest.toml",
            "--stage",
            "canary",
            "--metrics",
            "prom.json",
            "--elapsed-seconds",
            "1200",
            "--samples",
            "5000",
        ]);
        assert_eq!(code(&o), 2, "{inf}: {}", text(&o));
        assert!(has(&o, "bad data") && has(&o, "not a finite number"), "{}", text(&o));
    }

    // A duplicate key: the last `error_rate` must not hide the first.
    let dup = r#"{"elapsed_seconds": 1200, "samples": 5000,
        "metrics": {"error_rate": 0.5, "p99_latency_ms": 80, "rollback_rehearsed": 1, "error_rate": 0}}"#;
    let o = f.gate("canary", dup, &[]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(has(&o, "duplicate key `error_rate`"), "{}", text(&o));
    let dup_top = r#"{"elapsed_seconds": 10, "samples": 5000, "elapsed_seconds": 1200,
        "metrics": {"error_rate": 0, "p99_latency_ms": 80, "rollback_rehearsed": 1}}"#;
    let o = f.gate("canary", dup_top, &[]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(has(&o, "duplicate key `elapsed_seconds`"), "{}", text(&o));
    // Also inside a Prometheus result.
    let dup_prom = r#"{"status":"success","status":"success","data":{"resultType":"vector","result":[]}}"#;
    f.write("prom.json", dup_prom);
    let o = f.run(&["gate", "--manifest", "manifest.toml", "--stage", "canary", "--metrics", "error_rate=prom.json"]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(has(&o, "duplicate key `status`"), "{}", text(&o));
}

/// A canary-against-baseline gate, as `rollout run` evaluates it: `cpu`
/// passes when canary <= baseline × max-ratio + slack. Plain `gate` reads
/// the baseline from the metrics file (`"baseline": {"cpu": …}`, or a
/// Prometheus series named `cpu:baseline`); a missing baseline is no data,
/// never a promote.
const BASELINE_POLICY: &str = r#"
[[rollout.stages.high]]
name = "canary"
traffic-percent = 1
min-bake-seconds = 900
min-samples = 1000
[[rollout.stages.high.gate]]
metric = "error_rate"
op = "<="
threshold = 0.001
on-fail = "rollback"
share = true
[[rollout.stages.high.gate]]
metric = "cpu"
baseline-query = 'sum(rate(process_cpu_seconds_total{track="baseline"}[1m]))'
max-ratio = 1.5
slack = 0.1
op = "<="
threshold = 0
on-fail = "rollback"
[[rollout.stages.high]]
name = "full"
traffic-percent = 100
min-bake-seconds = 600
min-samples = 1000
"#;

fn cpu_metrics(cpu: &str, baseline: Option<&str>) -> String {
    let baseline = baseline.map_or_else(String::new, |b| format!(r#", "baseline": {{"cpu": {b}}}"#));
    format!(
        r#"{{"elapsed_seconds": 1200, "samples": 5000, "metrics": {{"error_rate": 0.0004, "rollback_rehearsed": 1, "cpu": {cpu}}}{baseline}}}"#
    )
}

#[test]
fn baseline_gates_compare_canary_with_the_baseline() {
    let f = Fixture::with_policy(BASELINE_POLICY);
    let manifest = std::fs::read_to_string(f.root().join("manifest.toml")).expect("manifest");
    assert!(manifest.contains("max_ratio = 1.5"), "{manifest}");

    // 0.8 <= 0.5 × 1.5 + 0.1 = 0.85: promote (not 0.8 against the stored 0).
    let o = f.gate("canary", &cpu_metrics("0.8", Some("0.5")), &["--format", "json"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let j = json(&o);
    let cpu = j["gates"].as_array().expect("gates").iter().find(|g| g["metric"] == "cpu").cloned().expect("cpu gate");
    assert!((cpu["threshold"].as_f64().expect("threshold") - 0.85).abs() < 1e-9, "{cpu}");
    assert_eq!(cpu["ok"], true, "{cpu}");
    assert_eq!(cpu["baseline"]["observed"].as_f64(), Some(0.5), "{cpu}");
    assert_eq!(cpu["baseline"]["max_ratio"].as_f64(), Some(1.5), "{cpu}");
    assert_eq!(cpu["baseline"]["slack"].as_f64(), Some(0.1), "{cpu}");

    // 0.9 > 0.85: roll back, naming the bound and where it comes from.
    let o = f.gate("canary", &cpu_metrics("0.9", Some("0.5")), &[]);
    assert_eq!(code(&o), 3, "{}", text(&o));
    assert!(has(&o, "cpu = 0.9 breaks cpu <= 0.85 (baseline 0.5 × 1.5 + 0.1; on_fail = rollback)"), "{}", text(&o));
    assert!(has(&o, "FAIL cpu <= 0.85 (baseline 0.5 × 1.5 + 0.1)  (observed 0.9; on fail: rollback)"), "{}", text(&o));

    // No baseline: no data, a hold (exit 1), even for a canary at 0 CPU,
    // which the stored threshold (0) would have promoted.
    for m in [cpu_metrics("0", None), cpu_metrics("0", Some("null"))] {
        let o = f.gate("canary", &m, &["--format", "json"]);
        assert_eq!(code(&o), 1, "{m}: {}", text(&o));
        let j = json(&o);
        let reasons = j["reasons"].to_string();
        assert!(reasons.contains("baseline of `cpu`"), "{m}: {reasons}");
        let cpu = j["gates"].as_array().expect("gates").iter().find(|g| g["metric"] == "cpu").cloned().expect("cpu");
        assert_eq!(cpu["ok"], serde_json::Value::Null, "{cpu}");
    }
    // The canary without data stays no data whatever the baseline.
    let o = f.gate("canary", &cpu_metrics("null", Some("0.5")), &[]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(has(&o, "metric `cpu` has no data"), "{}", text(&o));

    // A baseline no metric can take is bad data, exit 2, no verdict.
    let o = f.gate("canary", &cpu_metrics("0.1", Some("-1")), &[]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(has(&o, "bad data") && has(&o, "cpu:baseline = -1"), "{}", text(&o));
    assert!(o.stdout.is_empty(), "{}", text(&o));
    // A malformed baseline table is malformed metrics.
    let o = f.gate("canary", r#"{"elapsed_seconds": 1200, "samples": 5000, "metrics": {}, "baseline": 3}"#, &[]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(has(&o, "`baseline` must be an object"), "{}", text(&o));

    // From Prometheus: a series named `cpu:baseline` (by label, or with
    // `--metrics cpu:baseline=FILE`) is the baseline of `cpu`.
    let vector = r#"{"status":"success","data":{"resultType":"vector","result":[
        {"metric":{"__name__":"error_rate"},"value":[1700000000.5,"0.0002"]},
        {"metric":{"name":"cpu"},"value":[1700000000.5,"0.8"]},
        {"metric":{"name":"cpu:baseline"},"value":[1700000000.5,"0.5"]},
        {"metric":{"__name__":"rollback_rehearsed"},"value":[1700000000.5,"1"]},
        {"metric":{"__name__":"samples"},"value":[1700000000.5,"4200"]}]}}"#;
    let o = f.gate("canary", vector, &["--elapsed-seconds", "1000"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    f.write(
        "canary.json",
        r#"{"elapsed_seconds": 1200, "samples": 5000, "metrics": {"error_rate": 0.0004, "rollback_rehearsed": 1, "cpu": 0.9}}"#,
    );
    f.write(
        "base.json",
        r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"0.5"]}]}}"#,
    );
    let args = ["gate", "--manifest", "manifest.toml", "--stage", "canary", "--metrics", "canary.json"];
    let o = f.run(&[&args[..], &["--metrics", "cpu:baseline=base.json"]].concat());
    assert_eq!(code(&o), 3, "{}", text(&o));
    // The same baseline from two sources is ambiguous.
    f.write("both.json", &cpu_metrics("0.1", Some("0.5")));
    let args = ["gate", "--manifest", "manifest.toml", "--stage", "canary", "--metrics", "both.json"];
    let o = f.run(&[&args[..], &["--metrics", "cpu:baseline=base.json"]].concat());
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(has(&o, "baseline of `cpu` is given by more than one metrics source"), "{}", text(&o));
}

/// The default CPU gate (cpu-query and cpu-baseline-query set, no gate
/// written): a change that modifies a regex gets `cpu <= baseline × 1.5`
/// on every stage below 100%, and plain `gate` decides it from the
/// metrics file as `rollout run` does from Prometheus.
#[test]
fn the_default_cpu_gate_is_decided_against_the_baseline() {
    let f = Fixture::with_policy(
        "[rollout.prometheus]\ncpu-query = 'sum(rate(process_cpu_seconds_total{track=\"canary\"}[1m]))'\n\
         cpu-baseline-query = 'sum(rate(process_cpu_seconds_total{track=\"baseline\"}[1m]))'\n",
    );
    let manifest = std::fs::read_to_string(f.root().join("manifest.toml")).expect("manifest");
    assert!(manifest.contains("metric = \"cpu\"") && manifest.contains("max_ratio = 1.5"), "{manifest}");
    let m = |cpu: &str, baseline: &str| {
        format!(
            r#"{{"elapsed_seconds": 99999, "samples": 99999,
                "metrics": {{"error_rate": 0, "p99_latency_ms": 80, "rollback_rehearsed": 1, "cpu": {cpu}}}{baseline}}}"#
        )
    };
    let o = f.gate("canary", &m("0.3", r#", "baseline": {"cpu": 0.25}"#), &[]);
    assert_eq!(code(&o), 0, "0.3 <= 0.25 × 1.5: {}", text(&o));
    let o = f.gate("canary", &m("0.4", r#", "baseline": {"cpu": 0.25}"#), &[]);
    assert_eq!(code(&o), 3, "0.4 > 0.25 × 1.5: {}", text(&o));
    assert!(has(&o, "cpu = 0.4 breaks cpu <= 0.375 (baseline 0.25 × 1.5 + 0"), "{}", text(&o));
    let o = f.gate("canary", &m("0", ""), &[]);
    assert_eq!(code(&o), 1, "no baseline, no promote: {}", text(&o));
    assert!(has(&o, "the baseline of `cpu` is missing"), "{}", text(&o));
}
