//! `cfglint rollout run` against a REAL Prometheus server (/usr/bin/prometheus,
//! Debian package `prometheus`), started by each test on a free loopback
//! port with a temporary storage folder and a scrape config (1s) pointing
//! at a small exporter the test serves itself, whose counters react to the
//! stage the deploy command wrote. Error rates, sample counts and sample
//! ages therefore come from real scrapes and real PromQL; nothing mocks
//! Prometheus's API. The work tree is a real temporary git repository and
//! the deploy / rollback commands are real `git restore`s.
//!
//! Skips (with a message) when /usr/bin/prometheus or `git` is missing.
//! Every wait is bounded; Prometheus and the exporter stop on drop.

#![allow(clippy::many_single_char_names)] // f (fixture), o (output), d (decisions): short-lived test locals

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use git2::{Repository, RepositoryInitOptions, Signature, Time};
use tempfile::TempDir;

const PROMETHEUS: &str = "/usr/bin/prometheus";

/// One real Prometheus at a time: the machine is small and timing is real.
static SERIAL: Mutex<()> = Mutex::new(());

#[allow(clippy::print_stderr)] // a skipped test says why (shown with --nocapture)
fn available() -> bool {
    if !Path::new(PROMETHEUS).exists() {
        eprintln!("SKIPPED: {PROMETHEUS} is missing (apt-get install -y prometheus)");
        return false;
    }
    if !Command::new("git").arg("--version").output().is_ok_and(|o| o.status.success()) {
        eprintln!("SKIPPED: no git binary on the PATH");
        return false;
    }
    true
}

/// How the exporter's traffic behaves.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// 100 requests a scrape, no errors.
    Healthy,
    /// Half the requests fail while `stage.txt` names this stage.
    BreachAt(&'static str),
    /// No traffic at all (a dead canary).
    Dead,
    /// Healthy traffic, but the gate's series carries an old timestamp.
    Old,
    /// No errors ever, but the canary's CPU counter climbs ten times as
    /// fast as the baseline's while `stage.txt` names this stage.
    CpuAt(&'static str),
}

/// A /metrics endpoint on loopback whose counters advance on each scrape.
struct Exporter {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Exporter {
    fn start(mode: Mode, root: PathBuf) -> Exporter {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind exporter");
        let port = listener.local_addr().expect("addr").port();
        listener.set_nonblocking(true).expect("nonblocking");
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let old_ms = (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_millis()
            as u64)
            .saturating_sub(60_000);
        let thread = std::thread::spawn(move || {
            let (mut ok, mut err) = (0u64, 0u64);
            let (mut cpu_canary, mut cpu_base) = (0.0f64, 0.0f64);
            while !flag.load(Ordering::Relaxed) {
                let Ok((mut s, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                };
                let _ = s.set_nonblocking(false);
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf);
                let stage = std::fs::read_to_string(root.join("stage.txt")).unwrap_or_default();
                match mode {
                    Mode::Dead => {}
                    Mode::BreachAt(bad) if stage.trim() == bad => {
                        ok += 50;
                        err += 50;
                    }
                    _ => ok += 100,
                }
                let mut body = format!(
                    "# TYPE http_requests_total counter\nhttp_requests_total{{code=\"200\"}} {ok}\nhttp_requests_total{{code=\"500\"}} {err}\n"
                );
                if let Mode::CpuAt(hot) = mode {
                    cpu_base += 0.1;
                    cpu_canary += if stage.trim() == hot { 1.0 } else { 0.1 };
                    let _ = write!(
                        body,
                        "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total{{track=\"canary\"}} {cpu_canary}\nprocess_cpu_seconds_total{{track=\"baseline\"}} {cpu_base}\n"
                    );
                }
                if mode == Mode::Old {
                    let _ = write!(body, "# TYPE canary_error_ratio gauge\ncanary_error_ratio 0 {old_ms}\n");
                }
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(resp.as_bytes());
            }
        });
        Exporter { port, stop, thread: Some(thread) }
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A Prometheus process, killed on drop.
struct Prom {
    child: Child,
    port: u16,
    _dir: TempDir,
}

impl Drop for Prom {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// GET a path on loopback; the body, or `None`.
fn http_get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(3))).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    if !out.starts_with("HTTP/1.1 200") {
        return None;
    }
    out.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())
}

impl Prom {
    fn start(target: u16) -> Prom {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: canary\n    scrape_interval: 1s\n    scrape_timeout: 900ms\n    static_configs:\n      - targets: ['127.0.0.1:{target}']\n"
            ),
        )
        .expect("config");
        let child = Command::new(PROMETHEUS)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--log.level=error")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start prometheus");
        let p = Prom { child, port, _dir: dir };
        // Ready, and at least two scrapes in (a rate needs two samples).
        let until = Instant::now() + Duration::from_secs(60);
        loop {
            assert!(Instant::now() < until, "Prometheus did not scrape the exporter within 60s");
            if let Some(b) = http_get(port, "/api/v1/query?query=count_over_time(up%5B1m%5D)")
                && let Some(n) = b.split("\"value\":[").nth(1).and_then(|v| v.split('"').nth(1))
                && n.parse::<f64>().is_ok_and(|n| n >= 3.0)
            {
                return p;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

const BASE_RULES: &str = "rules:\n  - id: 1\n    pattern: 'a+'\n    targets: [args]\n    action: log\n";
const HEAD_RULES: &str = "rules:\n  - id: 1\n    pattern: 'a+b'\n    targets: [args]\n    action: block\n";

/// A repository at head with a manifest written by `cfglint rollout`.
struct Fixture {
    dir: TempDir,
}

fn policy(query: &str, canary_bake: u64, max_wait: u64) -> String {
    let stages = format!(
        r#"
[[rollout.stages.{{risk}}]]
name = "canary"
traffic-percent = 10
min-bake-seconds = {canary_bake}
min-samples = 10
max-wait-seconds = {max_wait}
[[rollout.stages.{{risk}}]]
name = "full"
traffic-percent = 100
min-bake-seconds = 3
min-samples = 10
max-wait-seconds = {max_wait}
"#
    );
    let mut out = format!(
        r#"
[rollout.prometheus]
url = "http://127.0.0.1:1"
samples-query = 'sum(increase(http_requests_total[5s]))'

[rollout.run]
interval-seconds = 0.5
failure-limit = 1

[[rollout.gates]]
metric = "error_rate"
query = '{query}'
op = "<="
threshold = 0.01
on-fail = "rollback"
share = true
"#
    );
    for risk in ["low", "medium", "high"] {
        out.push_str(&stages.replace("{risk}", risk));
    }
    out
}

/// A canary-against-baseline gate (real PromQL on both sides).
const BASELINE_GATE: &str = r#"
[[rollout.gates]]
metric = "ok_ratio"
query = 'sum(rate(http_requests_total{code="200"}[3s]))'
baseline-query = 'sum(rate(http_requests_total[3s]))'
max-ratio = 1.0
slack = 0.5
op = "<="
threshold = 0
on-fail = "rollback"
"#;

const ERROR_RATE: &str = r#"sum(rate(http_requests_total{code=~"5.."}[3s])) / sum(rate(http_requests_total[3s]))"#;

impl Fixture {
    fn new(policy_text: &str) -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let repo = Repository::init_opts(dir.path(), RepositoryInitOptions::new().initial_head("main")).expect("init");
        let commit = |content: &str, msg: &str| {
            let p = dir.path().join("waf/rules.yaml");
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(&p, content).expect("write");
            let mut index = repo.index().expect("index");
            index.add_all(["waf"], git2::IndexAddOption::DEFAULT, None).expect("add");
            index.write().expect("write index");
            let tree = repo.find_tree(index.write_tree().expect("tree")).expect("tree");
            let sig = Signature::new("T", "t@example.com", &Time::new(1_700_000_000, 0)).expect("sig");
            let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
            let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
            repo.commit(Some("HEAD"), &sig, &sig, msg, &tree, &parents).expect("commit");
        };
        commit(BASE_RULES, "base");
        commit(HEAD_RULES, "head");
        std::fs::write(dir.path().join("cfglint.toml"), policy_text).expect("policy");
        // The pipeline's own files live beside the config but are not part
        // of the change: ignored, as a real pipeline would (the controller
        // verifies the whole tree, untracked files included).
        std::fs::write(
            dir.path().join(".git/info/exclude"),
            "cfglint.toml\nstage.txt\ndeploys.txt\nnotified.jsonl\nm.json\n*.pid\n",
        )
        .expect("exclude");
        let f = Fixture { dir };
        let o = f.cfglint(&["rollout", "-o", "manifest.toml"]);
        assert_eq!(code(&o), 0, "{}", text(&o));
        f
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_cfglint"));
        c.args(args).current_dir(self.root()).env("NO_COLOR", "1").env_remove("CFGLINT_CACHE_DIR");
        c
    }

    fn cfglint(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run cfglint")
    }

    /// The deploy command: put the revision's files in place and record
    /// the stage (the exporter reads it, as traffic would follow a deploy).
    fn deploy() -> &'static str {
        r#"git restore --source="$CFGLINT_REVISION" --worktree -- waf && echo "$CFGLINT_STAGE" > stage.txt && echo "$CFGLINT_STAGE $CFGLINT_TRAFFIC_PERCENT $CFGLINT_REVISION" >> deploys.txt"#
    }

    fn run_args(prom: &Prom) -> Vec<String> {
        Fixture::run_args_at(&prom.url())
    }

    fn run_args_at(url: &str) -> Vec<String> {
        [
            "rollout",
            "run",
            "--manifest",
            "manifest.toml",
            "--deploy",
            Fixture::deploy(),
            "--prometheus",
            url,
            "--state",
            "state.json",
            "--log",
            "decisions.jsonl",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
    }

    fn run(&self, prom: &Prom) -> Output {
        self.run_at(&prom.url())
    }

    /// `run` against a URL (no server: every query fails, which is no
    /// data, so it holds until the deadline).
    fn run_at(&self, url: &str) -> Output {
        let args = Fixture::run_args_at(url);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut c = self.command(&refs);
        let child = c.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn run");
        wait_bounded(child, Duration::from_secs(90))
    }

    fn rules(&self) -> String {
        std::fs::read_to_string(self.root().join("waf/rules.yaml")).expect("rules")
    }

    fn log(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.root().join("decisions.jsonl"))
            .expect("decision log")
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("one JSON object a line ({e}): {l}")))
            .collect()
    }

    fn deploys(&self) -> Vec<String> {
        std::fs::read_to_string(self.root().join("deploys.txt"))
            .unwrap_or_default()
            .lines()
            .map(|l| l.split(' ').next().unwrap_or_default().to_owned())
            .collect()
    }

    fn state(&self) -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(self.root().join("state.json")).expect("state")).expect("json")
    }
}

/// Wait for a child at most `limit`, killing it past that (a hang fails
/// the test instead of the suite).
fn wait_bounded(mut child: Child, limit: Duration) -> Output {
    let until = Instant::now() + limit;
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if Instant::now() > until {
            let _ = child.kill();
            let o = child.wait_with_output().expect("output");
            panic!("rollout run did not finish within {limit:?}: {}", text(&o));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally")
}

fn text(o: &Output) -> String {
    format!("stdout:\n{}\nstderr:\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn decisions(log: &[serde_json::Value]) -> Vec<(String, String)> {
    log.iter()
        .filter_map(|e| Some((e["stage"].as_str()?.to_owned(), e.get("decision")?.as_str()?.to_owned())))
        .collect()
}

#[test]
fn healthy_two_stage_rollout_completes_and_the_manifest_is_pinned() {
    if !available() {
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut text_policy = policy(ERROR_RATE, 1, 20);
    text_policy = text_policy.replacen("[[rollout.stages.", &format!("{BASELINE_GATE}\n[[rollout.stages."), 1);
    let f = Fixture::new(&text_policy);
    let exporter = Exporter::start(Mode::Healthy, f.root().to_path_buf());
    let prom = Prom::start(exporter.port);
    let mut args = Fixture::run_args(&prom);
    args.extend(["--notify".to_owned(), "cat >> notified.jsonl".to_owned()]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let child = f.command(&refs).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    let o = wait_bounded(child, Duration::from_secs(90));
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("the rollout is complete"), "{}", text(&o));
    // notify got every decision, one JSON line each.
    let notified = std::fs::read_to_string(f.root().join("notified.jsonl")).expect("notified");
    let polls = f.log().iter().filter(|e| e.get("decision").is_some()).count();
    assert_eq!(notified.lines().count(), polls);
    // The baseline gate's threshold is baseline × max-ratio + slack.
    let promote = f.log().into_iter().find(|e| e["decision"] == "promote").expect("promote");
    let g = promote["verdict"]["gates"].as_array().expect("gates").iter().find(|g| g["metric"] == "ok_ratio").cloned();
    let g = g.expect("ok_ratio gate");
    let base = promote["observed"].as_array().expect("observed").iter().find(|s| s["metric"] == "ok_ratio:baseline");
    let base = base.and_then(|b| b["value"].as_f64()).expect("baseline value");
    assert!((g["threshold"].as_f64().expect("threshold") - (base + 0.5)).abs() < 1e-9, "{g}");
    assert_eq!(g["ok"], true);
    assert_eq!(f.rules(), HEAD_RULES);
    assert_eq!(f.deploys(), ["canary", "full"]);
    let log = f.log();
    let d = decisions(&log);
    assert_eq!(d.iter().filter(|(_, x)| x == "promote").count(), 2, "{d:?}");
    assert!(d.iter().all(|(_, x)| x != "rollback"), "{d:?}");
    // Each stage promotes within its bake plus a few intervals (0.5 s
    // each; ten allow for a loaded machine), far from its 20 s deadline.
    for e in log.iter().filter(|e| e["decision"] == "promote") {
        let (elapsed, bake) = (e["elapsed_seconds"].as_f64(), e["min_bake_seconds"].as_f64());
        let (elapsed, bake) = (elapsed.expect("elapsed"), bake.expect("bake"));
        assert!(elapsed >= bake && elapsed <= bake + 10.0 * 0.5, "promoted {elapsed}s into a {bake}s bake: {e}");
    }
    assert!(log.iter().any(|e| e["event"] == "rehearsal" && e["ok"] == true), "the rollback was rehearsed");
    // Each poll has the observed values with their sample times.
    let poll = log.iter().find(|e| e["decision"] == "promote").expect("a promote");
    let seen = poll["observed"].as_array().expect("observed");
    assert!(seen.iter().any(|s| s["metric"] == "error_rate" && s["value"].as_f64() == Some(0.0)), "{poll}");
    assert!(seen.iter().all(|s| s["sample_time"].as_f64().is_some()), "{poll}");
    assert!(poll["reasons"].as_array().expect("reasons").iter().any(|r| r.as_str().unwrap_or("").contains("samples")));
    assert_eq!(f.state()["status"], "complete");
    let s = f.cfglint(&["rollout", "status", "--state", "state.json"]);
    assert_eq!(code(&s), 0, "{}", text(&s));
    assert!(text(&s).contains("complete"), "{}", text(&s));

    // gate --state: the bake time is the state's clock, not the metrics'
    // elapsed_seconds (86400 here), and the stage must be the state's. The
    // baseline gate reads its baseline from the metrics file.
    std::fs::write(
        f.root().join("m.json"),
        r#"{"elapsed_seconds": 86400, "samples": 5000, "metrics": {"error_rate": 0, "ok_ratio": 0},
            "baseline": {"ok_ratio": 0}}"#,
    )
    .expect("write");
    let gate = |stage: &str| {
        f.cfglint(&[
            "gate",
            "--manifest",
            "manifest.toml",
            "--stage",
            stage,
            "--metrics",
            "m.json",
            "--state",
            "state.json",
            "--no-verify",
            "--format",
            "json",
        ])
    };
    let g = gate("full");
    assert_eq!(code(&g), 0, "{}", text(&g));
    let v: serde_json::Value = serde_json::from_slice(&g.stdout).expect("json");
    let elapsed = v["elapsed_seconds"].as_f64().expect("elapsed");
    assert!(elapsed > 0.0 && elapsed < 86400.0, "{v}");
    let g = gate("canary");
    assert_eq!(code(&g), 2, "{}", text(&g));
    assert!(text(&g).contains("is at stage `full`"), "{}", text(&g));

    // The manifest is pinned: a changed manifest is refused by run and
    // by gate --state (exit 2), and nothing is deployed.
    let mut m = std::fs::read_to_string(f.root().join("manifest.toml")).expect("manifest");
    m.push_str("# edited\n");
    std::fs::write(f.root().join("manifest.toml"), m).expect("write");
    let o = f.run(&prom);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(text(&o).contains("manifest changed"), "{}", text(&o));
    std::fs::write(f.root().join("m.json"), r#"{"samples": 5000, "metrics": {"error_rate": 0}}"#).expect("write");
    let g = f.cfglint(&[
        "gate",
        "--manifest",
        "manifest.toml",
        "--stage",
        "full",
        "--metrics",
        "m.json",
        "--state",
        "state.json",
        "--no-verify",
    ]);
    assert_eq!(code(&g), 2, "{}", text(&g));
    assert_eq!(f.deploys().len(), 2);
}

#[test]
fn breach_at_stage_two_rolls_back_to_base() {
    if !available() {
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let f = Fixture::new(&policy(ERROR_RATE, 1, 20));
    let exporter = Exporter::start(Mode::BreachAt("full"), f.root().to_path_buf());
    let prom = Prom::start(exporter.port);
    let o = f.run(&prom);
    assert_eq!(code(&o), 3, "{}", text(&o));
    assert_eq!(f.rules(), BASE_RULES, "the tree is at base");
    assert_eq!(f.deploys(), ["canary", "full", "rollback"]);
    let log = f.log();
    let d = decisions(&log);
    assert!(d.contains(&("canary".to_owned(), "promote".to_owned())), "{d:?}");
    assert_eq!(d.last().map(|(s, x)| (s.as_str(), x.as_str())), Some(("full", "rollback")), "{d:?}");
    let last = log.iter().rev().find(|e| e["decision"] == "rollback").expect("rollback decision");
    assert!(last["reasons"][0].as_str().unwrap_or("").contains("breaks error_rate <= 0.01"), "{last}");
    assert!(log.iter().any(|e| e["event"] == "rollback" && e["ok"] == true));
    assert_eq!(f.state()["status"], "rolled_back");
}

#[test]
fn no_data_past_the_deadline_rolls_back() {
    if !available() {
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let f = Fixture::new(&policy(ERROR_RATE, 1, 3));
    let exporter = Exporter::start(Mode::Dead, f.root().to_path_buf());
    let prom = Prom::start(exporter.port);
    let o = f.run(&prom);
    assert_eq!(code(&o), 3, "{}", text(&o));
    assert_eq!(f.rules(), BASE_RULES);
    let log = f.log();
    let d = decisions(&log);
    assert!(d.iter().all(|(s, x)| s == "canary" && x != "promote"), "{d:?}");
    let last = log.iter().rev().find(|e| e["decision"] == "rollback").expect("rollback decision");
    assert!(last["reasons"][0].as_str().unwrap_or("").contains("max-wait-seconds"), "{last}");
    assert!(last["reasons"].to_string().contains("has no data"), "{last}");
}

#[test]
fn old_samples_never_promote() {
    if !available() {
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    // The gate reads a series whose samples are a minute old (an exporter
    // or recording rule that stopped updating): each poll is no data.
    let f = Fixture::new(&policy("canary_error_ratio", 1, 4));
    let exporter = Exporter::start(Mode::Old, f.root().to_path_buf());
    let prom = Prom::start(exporter.port);
    let o = f.run(&prom);
    assert_eq!(code(&o), 3, "{}", text(&o));
    assert_eq!(f.rules(), BASE_RULES);
    let log = f.log();
    assert!(decisions(&log).iter().all(|(_, x)| x != "promote"), "{log:?}");
    let poll = log.iter().find(|e| e["decision"] == "hold").expect("a hold");
    assert!(poll["reasons"][0].as_str().unwrap_or("").contains("over two intervals"), "{poll}");
    let seen = &poll["observed"].as_array().expect("observed").iter().find(|s| s["metric"] == "error_rate").cloned();
    let seen = seen.as_ref().expect("error_rate observed");
    assert!(seen["value"].is_null(), "{seen}");
    assert!(seen["sample_time"].as_f64().is_some(), "{seen}");
}

#[test]
fn killed_run_resumes_at_its_stage() {
    if !available() {
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let f = Fixture::new(&policy(ERROR_RATE, 4, 30));
    let exporter = Exporter::start(Mode::Healthy, f.root().to_path_buf());
    let prom = Prom::start(exporter.port);
    let args = Fixture::run_args(&prom);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = f.command(&refs).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn");
    // Wait until it bakes the canary, then kill -9 it.
    let until = Instant::now() + Duration::from_secs(60);
    let started = loop {
        assert!(Instant::now() < until, "run never started baking the canary");
        if let Ok(t) = std::fs::read_to_string(f.root().join("state.json"))
            && let Ok(s) = serde_json::from_str::<serde_json::Value>(&t)
            && s["stage_name"] == "canary"
            && let Some(at) = s["stage_started_at"].as_f64()
        {
            break at;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    child.kill().expect("kill -9");
    let _ = child.wait();
    let before = f.state();
    assert_eq!((before["status"].as_str(), before["stage_name"].as_str()), (Some("running"), Some("canary")));

    let o = f.run(&prom);
    assert_eq!(code(&o), 0, "{}", text(&o));
    // Resumed: the canary was deployed and rehearsed once, and its bake
    // clock kept the recorded start.
    assert_eq!(f.deploys(), ["canary", "full"]);
    let log = f.log();
    assert_eq!(log.iter().filter(|e| e["event"] == "rehearsal").count(), 1);
    let promote = log.iter().find(|e| e["stage"] == "canary" && e["decision"] == "promote").expect("canary promote");
    let elapsed = promote["elapsed_seconds"].as_f64().expect("elapsed");
    let at = promote["time"].as_f64().expect("time");
    assert!((at - elapsed - started).abs() < 0.5, "the bake ran from the recorded start: {promote}");
}

#[test]
fn abort_rolls_back_now_and_stops_the_running_controller() {
    if !available() {
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let f = Fixture::new(&policy(ERROR_RATE, 60, 120));
    let exporter = Exporter::start(Mode::Healthy, f.root().to_path_buf());
    let prom = Prom::start(exporter.port);
    let args = Fixture::run_args(&prom);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let child = f.command(&refs).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    let until = Instant::now() + Duration::from_secs(60);
    while !f.root().join("state.json").exists() || f.state()["stage_started_at"].is_null() {
        assert!(Instant::now() < until, "run never started baking");
        std::thread::sleep(Duration::from_millis(50));
    }
    let s = f.cfglint(&["rollout", "status", "--state", "state.json"]);
    assert!(text(&s).contains("running") && text(&s).contains("canary"), "{}", text(&s));
    let a = f.cfglint(&["rollout", "abort", "--state", "state.json", "--reason", "paged: checkout errors"]);
    assert_eq!(code(&a), 3, "{}", text(&a));
    assert_eq!(f.rules(), BASE_RULES);
    let o = wait_bounded(child, Duration::from_secs(30));
    assert_eq!(code(&o), 3, "the running controller stops: {}", text(&o));
    assert_eq!(f.deploys(), ["canary", "rollback"]);
    assert_eq!(f.state()["status"], "aborted");
    assert!(f.state()["reason"].as_str().unwrap_or("").contains("paged: checkout errors"));
}

/// `run`'s arguments with another deploy command.
fn args_with_deploy(url: &str, deploy: &str) -> Vec<String> {
    let mut args = Fixture::run_args_at(url);
    let at = args.iter().position(|a| a == "--deploy").expect("--deploy") + 1;
    deploy.clone_into(&mut args[at]);
    args
}

fn spawn(f: &Fixture, args: &[String]) -> Child {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    f.command(&refs).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn")
}

/// Is the process gone (or a zombie waiting for its reaper)?
fn gone(pid: &str) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())).unwrap_or_default();
    stat.is_empty() || stat.contains(") Z ")
}

fn wait_gone(pid: &str) {
    let until = Instant::now() + Duration::from_secs(10);
    while !gone(pid) {
        assert!(Instant::now() < until, "process {pid} survived its command's timeout");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// No Prometheus needed: the commands time out before any poll.
const NOWHERE: &str = "http://127.0.0.1:1";

/// A deploy that hangs during a rollout is killed at the timeout (a real
/// `sleep`, and the whole process group with it), and that deploy failing
/// takes the rollback path: exit 3, the tree at base.
#[test]
fn a_hung_deploy_is_killed_and_rolled_back() {
    if !available() {
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let cfg = policy(ERROR_RATE, 1, 20).replace("failure-limit = 1", "failure-limit = 1\ncommand-timeout-seconds = 1");
    let f = Fixture::new(&cfg);
    let hang = format!(
        r#"if [ "$CFGLINT_STAGE" = canary ]; then sleep 60 & echo $! > sleep.pid; wait; fi; {}"#,
        Fixture::deploy()
    );
    let t = Instant::now();
    let o = wait_bounded(spawn(&f, &args_with_deploy(NOWHERE, &hang)), Duration::from_secs(60));
    let took = t.elapsed();
    assert_eq!(code(&o), 3, "{}", text(&o));
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert!(text(&o).contains("timed out after 1s"), "{}", text(&o));
    assert_eq!(f.rules(), BASE_RULES, "the tree is at base");
    assert_eq!(f.deploys(), ["rollback"]);
    wait_gone(&std::fs::read_to_string(f.root().join("sleep.pid")).expect("sleep.pid"));
    let log = f.log();
    let deploy = log.iter().find(|e| e["event"] == "deploy").expect("deploy event");
    assert_eq!(deploy["ok"], false);
    assert!(deploy["detail"].as_str().unwrap_or("").contains("process group was killed"), "{deploy}");
    assert_eq!(f.state()["status"], "rolled_back");
}

/// A rollback command that hangs is killed at the timeout too, and a
/// rollback that did not finish is an error (exit 2), recorded as
/// `rollback_failed`; `run` again refuses (exit 2) and points at `abort`.
#[test]
fn a_hung_rollback_is_an_error() {
    if !available() {
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let cfg =
        policy(ERROR_RATE, 1, 20).replace("failure-limit = 1", "failure-limit = 1\ncommand-timeout-seconds = 0.5");
    // A rollback command that hangs: first in the rehearsal, then in the
    // rollback the failed rehearsal starts.
    let cfg = format!("[rollout]\nrollback-command = \"sleep 60 & echo $! >> sleep.pid; wait; : {{revision}}\"\n{cfg}");
    let f = Fixture::new(&cfg);
    let t = Instant::now();
    let o = wait_bounded(spawn(&f, &Fixture::run_args_at(NOWHERE)), Duration::from_secs(60));
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(t.elapsed() < Duration::from_secs(20), "took {:?}", t.elapsed());
    assert!(text(&o).contains("rolling back failed") && text(&o).contains("timed out after 0.5s"), "{}", text(&o));
    let pids = std::fs::read_to_string(f.root().join("sleep.pid")).expect("sleep.pid");
    assert_eq!(pids.lines().count(), 2, "the rehearsal's rollback, then the rollback: {pids}");
    for pid in pids.lines() {
        wait_gone(pid);
    }
    assert_eq!(f.state()["status"], "rollback_failed");
    let again = wait_bounded(spawn(&f, &Fixture::run_args_at(NOWHERE)), Duration::from_secs(30));
    assert_eq!(code(&again), 2, "{}", text(&again));
    assert!(text(&again).contains("rollout abort"), "{}", text(&again));
}

/// Two controllers on one state file: the second exits 2 at once, naming
/// the state file and the holder; `abort` while the first holds the lock
/// asks it to roll back (an abort request beside the state file), and the
/// first does so at its next check, once: one rollback deploy, both exit 3.
#[test]
fn one_controller_per_state_file_and_abort_through_the_lock() {
    if !available() {
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let f = Fixture::new(&policy(ERROR_RATE, 60, 120));
    // The canary deploy takes a while: the lock is held meanwhile.
    let slow = format!(r#"if [ "$CFGLINT_STAGE" = canary ]; then sleep 3; fi; {}"#, Fixture::deploy());
    let first = spawn(&f, &args_with_deploy(NOWHERE, &slow));
    let until = Instant::now() + Duration::from_secs(30);
    while !f.root().join("state.json").exists() {
        assert!(Instant::now() < until, "the first run never wrote its state");
        std::thread::sleep(Duration::from_millis(20));
    }
    let t = Instant::now();
    let second = wait_bounded(spawn(&f, &args_with_deploy(NOWHERE, &slow)), Duration::from_secs(30));
    assert_eq!(code(&second), 2, "{}", text(&second));
    assert!(t.elapsed() < Duration::from_secs(2), "refused at once, not after the deploy: {:?}", t.elapsed());
    let msg = text(&second);
    assert!(
        msg.contains("state.json") && msg.contains("another `cfglint rollout run`") && msg.contains("pid "),
        "{msg}"
    );
    // The abort lands while the first is still deploying.
    let a = f.cfglint(&["rollout", "abort", "--state", "state.json", "--reason", "wrong change"]);
    assert_eq!(code(&a), 3, "{}", text(&a));
    assert_eq!(f.rules(), BASE_RULES);
    let o = wait_bounded(first, Duration::from_secs(30));
    assert_eq!(code(&o), 3, "{}", text(&o));
    assert!(text(&o).contains("aborted: wrong change"), "{}", text(&o));
    assert_eq!(f.deploys(), ["canary", "rollback"], "rolled back once, by the lock holder");
    assert_eq!(f.state()["status"], "aborted");
    assert!(!f.root().join("state.json.abort").exists(), "the handled request is removed");
    // With no controller left, `abort` of a finished rollout answers at once.
    let a = f.cfglint(&["rollout", "abort", "--state", "state.json", "--reason", "again"]);
    assert_eq!(code(&a), 3, "{}", text(&a));
    assert_eq!(f.deploys().len(), 2);
}

/// The default CPU gate (no gate written in cfglint.toml): the change
/// modifies a regex, so the canary stage compares the canary's CPU with
/// the baseline's. Canary CPU climbs while errors stay at zero: the
/// rollout rolls back on the CPU gate. The notify command hangs and is
/// cut off at its own, shorter timeout without stopping the rollout.
#[test]
fn canary_cpu_climbing_rolls_back_on_the_default_cpu_gate() {
    if !available() {
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    // The test policy without its [[rollout.gates]]: the default gates.
    let full = policy(ERROR_RATE, 4, 20);
    let gates_start = full.find("[[rollout.gates]]").expect("gates");
    let stages_start = full.find("[[rollout.stages.").expect("stages");
    let mut cfg = format!("{}{}", &full[..gates_start], &full[stages_start..]);
    cfg = cfg.replace("failure-limit = 1", "failure-limit = 2\nnotify-timeout-seconds = 0.3");
    cfg = cfg.replace(
        "samples-query =",
        &format!(
            "error-rate-query = '{ERROR_RATE}'\np99-latency-ms-query = '0 * sum(rate(http_requests_total[3s]))'\n\
             cpu-query = 'sum(rate(process_cpu_seconds_total{{track=\"canary\"}}[3s]))'\n\
             cpu-baseline-query = 'sum(rate(process_cpu_seconds_total{{track=\"baseline\"}}[3s]))'\nsamples-query ="
        ),
    );
    let f = Fixture::new(&cfg);
    let manifest = std::fs::read_to_string(f.root().join("manifest.toml")).expect("manifest");
    assert!(manifest.contains("metric = \"cpu\"") && manifest.contains("max_ratio = 1.5"), "{manifest}");
    let exporter = Exporter::start(Mode::CpuAt("canary"), f.root().to_path_buf());
    let prom = Prom::start(exporter.port);
    let mut args = Fixture::run_args(&prom);
    args.extend(["--notify".to_owned(), "sleep 30 & echo $! > notify.pid; wait".to_owned()]);
    let o = wait_bounded(spawn(&f, &args), Duration::from_secs(90));
    assert_eq!(code(&o), 3, "{}", text(&o));
    assert_eq!(f.rules(), BASE_RULES);
    assert_eq!(f.deploys(), ["canary", "rollback"]);
    let log = f.log();
    let last = log.iter().rev().find(|e| e["decision"] == "rollback").expect("rollback decision");
    assert_eq!(last["stage"], "canary");
    assert!(last["reasons"][0].as_str().unwrap_or("").contains("breaks cpu <="), "{last}");
    let seen = last["observed"].as_array().expect("observed");
    assert!(
        seen.iter().any(|s| s["metric"] == "error_rate" && s["value"].as_f64() == Some(0.0)),
        "errors flat: {last}"
    );
    let cpu = |m: &str| seen.iter().find(|s| s["metric"] == m).and_then(|s| s["value"].as_f64()).expect(m);
    assert!(cpu("cpu") > 1.5 * cpu("cpu:baseline"), "{last}");
    // failure-limit 2: one breached poll held first.
    assert!(log.iter().any(|e| e["decision"] == "hold" && e["gate_decision"] == "rollback"), "{log:?}");
    // notify: cut off at 0.3s each time, logged, and the rollout went on.
    let notify_fail = log.iter().find(|e| e["event"] == "notify").expect("notify event");
    assert!(notify_fail["detail"].as_str().unwrap_or("").contains("timed out after 0.3s"), "{notify_fail}");
    wait_gone(&std::fs::read_to_string(f.root().join("notify.pid")).expect("notify.pid"));
}

/// The plan says when a change touches regexes and the default CPU gate
/// cannot be added, naming the missing settings.
#[test]
fn the_plan_names_a_missing_cpu_query() {
    if !available() {
        return;
    }
    let f = Fixture::new(&policy(ERROR_RATE, 1, 20));
    // Written gates: the note says they replace the default CPU gate.
    let o = f.cfglint(&["rollout", "-o", "manifest.toml"]);
    assert!(text(&o).contains("note:") && text(&o).contains("replace every default gate"), "{}", text(&o));
    // The default gates: the note names both settings.
    std::fs::write(f.root().join("cfglint.toml"), "[rollout.prometheus]\nurl = \"http://127.0.0.1:1\"\n")
        .expect("write");
    let o = f.cfglint(&["rollout", "-o", "manifest.toml"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("note:") && text(&o).contains("cpu-query and cpu-baseline-query"), "{}", text(&o));
}

/// A value no metric can take (here a share of 2, from real PromQL) is bad
/// data: logged on every poll, never a promote, and the deadline rolls
/// back.
#[test]
fn bad_data_never_promotes() {
    if !available() {
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let f = Fixture::new(&policy("vector(2)", 1, 3));
    let exporter = Exporter::start(Mode::Healthy, f.root().to_path_buf());
    let prom = Prom::start(exporter.port);
    let o = f.run(&prom);
    assert_eq!(code(&o), 3, "{}", text(&o));
    assert_eq!(f.rules(), BASE_RULES);
    let log = f.log();
    let polls: Vec<&serde_json::Value> = log.iter().filter(|e| e.get("decision").is_some()).collect();
    assert!(!polls.is_empty() && polls.iter().all(|e| e["decision"] != "promote"), "{log:?}");
    let last = polls.last().expect("a poll");
    assert!(last["reasons"].to_string().contains("bad data: error_rate = 2 is above 1"), "{last}");
    assert_eq!(last["decision"], "rollback");
    assert!(last["reasons"][0].as_str().unwrap_or("").contains("max-wait-seconds"), "{last}");
}

/// The rehearsal stage rehearses the rollback before it bakes; when a step
/// fails (here the forward command), the rollout stops at base: exit 3,
/// `rollback_rehearsed` never met, the failure logged.
#[test]
fn a_failed_rehearsal_stops_the_rollout_at_base() {
    if !available() {
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let cfg = format!(
        "[rollout]\nforward-command = \"echo forward refused >&2; false; : {{revision}}\"\n{}",
        policy(ERROR_RATE, 1, 20)
    );
    let f = Fixture::new(&cfg);
    let o = wait_bounded(spawn(&f, &Fixture::run_args_at(NOWHERE)), Duration::from_secs(60));
    assert_eq!(code(&o), 3, "{}", text(&o));
    assert_eq!(f.rules(), BASE_RULES, "the tree is at base");
    assert_eq!(f.deploys(), ["canary", "rollback"]);
    let log = f.log();
    let rehearsal = log.iter().find(|e| e["event"] == "rehearsal").expect("rehearsal event");
    assert_eq!(rehearsal["ok"], false, "{rehearsal}");
    assert!(log.iter().all(|e| e.get("decision").is_none()), "no poll after a failed rehearsal: {log:?}");
    assert_eq!(f.state()["status"], "rolled_back");
    assert_eq!(f.state()["rehearsed"], false);
    assert!(f.state()["reason"].as_str().unwrap_or("").contains("rollback rehearsal failed"), "{}", f.state());
}

/// `run` refuses a work tree whose repository does not hold the rollback
/// revision (a shallow clone): exit 2 before anything is deployed.
#[test]
fn run_refuses_a_clone_without_the_rollback_revision() {
    if !available() {
        return;
    }
    let f = Fixture::new(&policy(ERROR_RATE, 1, 20));
    let clone = tempfile::tempdir().expect("temp dir");
    let url = format!("file://{}", f.root().display());
    let o = Command::new("git")
        .args(["clone", "-q", "--depth", "1", &url, "c"])
        .current_dir(clone.path())
        .output()
        .expect("git clone");
    assert!(o.status.success(), "{}", text(&o));
    let c = clone.path().join("c");
    let manifest = f.root().join("manifest.toml");
    let state = clone.path().join("state.json");
    let o = Command::new(env!("CARGO_BIN_EXE_cfglint"))
        .args(["rollout", "run", "--manifest"])
        .arg(&manifest)
        .args(["--deploy", "echo deployed >> ../deploys.txt", "--prometheus", NOWHERE, "--state"])
        .arg(&state)
        .current_dir(&c)
        .output()
        .expect("run cfglint");
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(text(&o).contains("is not a commit in the repository"), "{}", text(&o));
    assert!(!clone.path().join("deploys.txt").exists(), "nothing was deployed");
    assert!(!state.exists(), "no rollout was started");
}
