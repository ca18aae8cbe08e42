//! `cfglint bench` corpora read as streams: the per-rule statistics are the
//! ones the whole-corpus loader gave (snapshots recorded before streaming),
//! a FIFO, `/dev/stdin` or a process substitution is read once like a file,
//! and an endless stream hits a size cap with exit 2 instead of a hang.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Output, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;

fn fixture(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/bench").join(rel).display().to_string()
}

fn cfglint() -> StdCommand {
    let mut cmd = StdCommand::cargo_bin("cfglint").expect("the cfglint binary is built for integration tests");
    cmd.env("NO_COLOR", "1").current_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/bench"));
    cmd
}

/// Run with a deadline: a run that has not finished by then is killed and
/// the test fails (a hang is the bug these tests look for).
fn run_with_deadline(mut cmd: StdCommand, deadline: Duration) -> Output {
    let child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn cfglint");
    wait_with_deadline(child, deadline)
}

fn wait_with_deadline(mut child: Child, deadline: Duration) -> Output {
    let start = Instant::now();
    loop {
        if child.try_wait().expect("poll cfglint").is_some() {
            return child.wait_with_output().expect("collect cfglint's output");
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("collect cfglint's output");
            panic!(
                "cfglint still running after {deadline:?} (killed)\nstderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Figures that are timings (they differ on every run) become `"timing"`;
/// everything else is deterministic and must stay as it was.
fn without_timings(v: &mut Value) {
    const TIMINGS: [&str; 9] = [
        "mb_per_s",
        "mb_per_s_spread",
        "passes",
        "samples",
        "us_per_kb",
        "time_per_input_us",
        "elapsed_ms",
        "seconds_at_4kb",
        "ns_per_step",
    ];
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                if TIMINGS.contains(&k.as_str()) {
                    *child = Value::String("timing".to_owned());
                } else {
                    without_timings(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(without_timings),
        _ => {}
    }
}

/// The fixture corpora in every shape: JSONL requests, a labelled lines
/// file, a folder of go-ftw tests, non-UTF-8 lines.
#[cfg(feature = "pcre2")]
const FIXTURE_CORPORA: [&str; 4] =
    ["corpus/requests.jsonl", "benign:corpus/benign.txt", "corpus/ftw", "attack:corpus/attacks-not-utf8.txt"];

fn bench_fixture(corpora: &[String]) -> Output {
    let mut cmd = cfglint();
    // `--pcre2-jit off`: the JIT figures come from the system's PCRE2,
    // whatever version the machine has (tests/modsecurity.rs checks them
    // against a real ModSecurity); the snapshot holds cfglint's own.
    cmd.args(["bench", "rules.yaml", "crs-sample.conf", "--config", "cfglint.toml", "--format", "json"]);
    cmd.args(["--pcre2-jit", "off"]);
    for c in corpora {
        cmd.arg("--corpus").arg(c);
    }
    run_with_deadline(cmd, Duration::from_secs(300))
}

/// The snapshot was recorded with the loader that read every corpus whole;
/// the streaming loader must give the same figures, rule by rule.
#[test]
#[cfg(feature = "pcre2")]
fn streamed_corpora_give_the_whole_corpus_statistics() {
    let corpora: Vec<String> = FIXTURE_CORPORA.iter().map(|&c| c.to_owned()).collect();
    let out = bench_fixture(&corpora);
    let mut doc = json_of(&out);
    assert_eq!(out.status.code(), Some(1), "rule 100003 is over its budget: {doc}");
    without_timings(&mut doc);
    insta::assert_json_snapshot!("fixture-statistics", doc);
}

/// The same on the CRS LFI rules and the CRS regression requests (4,076
/// requests and a folder of go-ftw tests), when the shared corpus is there.
#[test]
#[cfg(feature = "pcre2")]
fn streamed_crs_requests_give_the_whole_corpus_statistics() {
    let Some(shared) = common::shared_corpus() else { return };
    let mut cmd = cfglint();
    cmd.args(["bench", "--format", "json", "--no-config", "--pcre2-jit", "off"])
        .arg(shared.join("configs/owasp-crs/rules/REQUEST-930-APPLICATION-ATTACK-LFI.conf"))
        .arg("--corpus")
        .arg(shared.join("inputs/crs-regression-requests.jsonl"))
        .arg("--corpus")
        .arg(shared.join("inputs/crs-regression-tests/REQUEST-930-APPLICATION-ATTACK-LFI"));
    let out = run_with_deadline(cmd, Duration::from_secs(600));
    let mut doc = json_of(&out);
    without_timings(&mut doc);
    // Paths differ between checkouts: keep the shared corpus's own part.
    let text = doc.to_string().replace(&format!("{}/", shared.display()), "");
    let doc: Value = serde_json::from_str(&text).expect("still JSON");
    insta::assert_json_snapshot!("crs-lfi-statistics", doc);
}

fn mkfifo(path: &Path) {
    let ok = StdCommand::new("mkfifo").arg(path).status().expect("run mkfifo").success();
    assert!(ok, "mkfifo failed");
}

/// Write `bytes` into the FIFO at `path` from a thread (the open blocks
/// until cfglint opens the other end).
fn feed_fifo(path: &Path, bytes: Vec<u8>) -> std::thread::JoinHandle<()> {
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        let mut f = std::fs::OpenOptions::new().write(true).open(&path).expect("open the FIFO for writing");
        // cfglint may stop reading early (a cap): a broken pipe is fine.
        let _ = f.write_all(&bytes);
    })
}

/// A FIFO holding JSONL requests (no `.jsonl` name to go by: its first line
/// is a JSON object) and a lines file: read once, with the figures a
/// regular file gives.
#[test]
#[cfg(unix)]
fn a_fifo_corpus_is_read_like_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let requests = dir.path().join("requests");
    let benign = dir.path().join("benign");
    mkfifo(&requests);
    mkfifo(&benign);
    let w1 = feed_fifo(&requests, std::fs::read(fixture("corpus/requests.jsonl")).unwrap());
    let w2 = feed_fifo(&benign, std::fs::read(fixture("corpus/benign.txt")).unwrap());
    let from_fifos = bench_fixture(&[requests.display().to_string(), format!("benign:{}", benign.display())]);
    w1.join().unwrap();
    w2.join().unwrap();
    let from_files = bench_fixture(&["corpus/requests.jsonl".to_owned(), "benign:corpus/benign.txt".to_owned()]);
    let (mut a, mut b) = (json_of(&from_fifos), json_of(&from_files));
    assert_eq!(from_fifos.status.code(), from_files.status.code(), "{a}");
    assert_eq!(a["corpora"][0]["shape"], "jsonl", "a FIFO of JSON objects is JSONL: {}", a["corpora"]);
    assert_eq!(a["summary"]["inputs"], 9, "{}", a["summary"]);
    without_timings(&mut a);
    without_timings(&mut b);
    // Same rules, same figures; only the corpus names differ.
    assert_eq!(a["rules"], b["rules"]);
    assert_eq!(a["summary"], b["summary"]);
}

/// `/dev/stdin` (a pipe here) is read once.
#[test]
#[cfg(unix)]
fn dev_stdin_is_a_corpus() {
    let mut cmd = cfglint();
    cmd.args(["bench", "rules.yaml", "--no-config", "--format", "json", "--corpus", "benign:/dev/stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"name=alice\nq=1 or 1=1\n").unwrap();
    let out = wait_with_deadline(child, Duration::from_secs(120));
    let doc = json_of(&out);
    assert_eq!(doc["summary"]["inputs"], 2, "{doc}");
    assert_eq!(doc["summary"]["benign_inputs"], 2, "{doc}");
    assert_eq!(doc["corpora"][0]["shape"], "lines", "{doc}");
}

/// `/dev/zero` has no line end: the input-size cap stops it (exit 2, the
/// place named), before memory grows past it.
#[test]
#[cfg(unix)]
fn dev_zero_hits_the_input_cap() {
    let mut cmd = cfglint();
    cmd.args(["bench", "rules.yaml", "--no-config", "--format", "json", "--corpus", "/dev/zero"]);
    let out = run_with_deadline(cmd, Duration::from_secs(120));
    let doc = json_of(&out);
    assert_eq!(out.status.code(), Some(2), "{doc}");
    let problem = doc["problems"].to_string();
    assert!(problem.contains("/dev/zero") && problem.contains("limit"), "{problem}");
}

/// An endless FIFO of lines hits the corpus size cap (set low here in
/// cfglint.toml): exit 2, never a hang.
#[test]
#[cfg(unix)]
fn an_endless_fifo_hits_the_corpus_cap() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("endless");
    mkfifo(&fifo);
    let config = dir.path().join("cfglint.toml");
    std::fs::write(&config, "[bench]\nmax-corpus-bytes = 1_000_000\n").unwrap();
    let writer_path = fifo.clone();
    let writer = std::thread::spawn(move || {
        let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(&writer_path) else { return };
        let line = b"q=just another benign line\n".repeat(1000);
        // Endless, until cfglint closes its end (EPIPE) or 10 minutes pass.
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(600) {
            if f.write_all(&line).is_err() {
                return;
            }
        }
    });
    let mut cmd = cfglint();
    cmd.args(["bench", "rules.yaml", "--format", "json", "--config"]).arg(&config).arg("--corpus").arg(&fifo);
    let out = run_with_deadline(cmd, Duration::from_secs(120));
    let doc = json_of(&out);
    assert_eq!(out.status.code(), Some(2), "{doc}");
    let problem = doc["problems"].to_string();
    assert!(problem.contains("endless") && problem.contains("1000000-byte limit"), "{problem}");
    writer.join().unwrap();
}
