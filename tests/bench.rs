//! `cfglint bench` end to end: the JSON contract, a polynomial rule that
//! must grow super-linearly and exceed its budget, bad input reported per
//! item, a baseline comparison in a temporary git repository, and the CRS
//! rules against the CRS regression requests when the shared corpus is
//! present.

mod common;

use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(rel: &str) -> String {
    root().join("fixtures/bench").join(rel).display().to_string()
}

fn cfglint() -> Command {
    let mut cmd = Command::cargo_bin("cfglint").expect("the cfglint binary is built for integration tests");
    cmd.env("NO_COLOR", "1");
    cmd
}

fn json_of(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn rule<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["rules"].as_array().unwrap().iter().find(|r| r["id"] == id).unwrap_or_else(|| panic!("no rule {id} in {doc}"))
}

#[test]
fn json_contract_and_a_polynomial_rule_over_budget() {
    let out = cfglint()
        .args(["bench", &fixture("rules.yaml"), "--config", &fixture("cfglint.toml"), "--format", "json"])
        .args(["--corpus", &fixture("corpus/requests.jsonl")])
        .arg("--corpus")
        .arg(format!("benign:{}", fixture("corpus/benign.txt")))
        .output()
        .unwrap();
    let doc = json_of(&out);
    assert_eq!(out.status.code(), Some(1), "a budget is exceeded: {doc}");
    assert_eq!(doc["version"], 1);
    let ids: Vec<&str> = doc["rules"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["100001", "100002", "100003"], "rule order is file order");
    assert_eq!(doc["summary"]["rules"], 3);
    assert_eq!(doc["summary"]["inputs"], 5 + 4);
    assert!(doc["summary"]["elapsed_ms"].is_u64());

    for r in doc["rules"].as_array().unwrap() {
        for key in ["id", "file", "pattern", "action", "match_rate", "tests", "budget_exceeded"] {
            assert!(r.get(key).is_some(), "missing {key} in {r}");
        }
        assert!(r["linear"]["mb_per_s"].as_f64().unwrap() > 0.0, "{r}");
        assert!(r["linear"]["inputs"].as_u64().unwrap() > 0);
        assert!(r["linear"]["matches"].is_u64());
        let engine = if cfg!(feature = "pcre2") { "pcre2" } else { "simulator" };
        assert_eq!(r["backtracking"]["engine"], engine);
        for k in ["median", "p99", "max"] {
            assert!(r["backtracking"]["steps_per_byte"][k].is_f64(), "{r}");
        }
        assert!(r["backtracking"]["limit_hits"].is_u64());
        assert!(r["match_rate"].get("benign").is_some() && r["match_rate"].get("attack").is_some());
    }

    let sqli = rule(&doc, "100001");
    assert_eq!(sqli["action"], "block");
    assert_eq!(sqli["tests"]["passed"], 2);
    assert_eq!(sqli["tests"]["failed"], 0);
    // The attack request `id=1%20or%201=1` is decoded into ARGS and matched;
    // no benign request is.
    assert!(sqli["match_rate"]["attack"].as_f64().unwrap() > 0.0, "{sqli}");
    assert_eq!(sqli["match_rate"]["benign"].as_f64(), Some(0.0));
    assert_eq!(sqli["worst_case"], Value::Null);
    assert_eq!(sqli["budget_exceeded"], serde_json::json!([]));

    let poly = rule(&doc, "100003");
    assert_eq!(poly["action"], "log", "log rules are measured like block rules");
    let wc = &poly["worst_case"];
    assert_eq!(wc["complexity"], "polynomial", "{wc}");
    assert_eq!(wc["degree"], 2, "{wc}");
    let points = wc["points"].as_array().unwrap();
    assert!(points.len() >= 5);
    let first = &points[points.len() - 3];
    let last = &points[points.len() - 1];
    let (l0, s0) = (first[0].as_f64().unwrap(), first[1].as_f64().unwrap());
    let (l1, s1) = (last[0].as_f64().unwrap(), last[1].as_f64().unwrap());
    assert!(s1 / s0 > 1.5 * (l1 / l0), "steps grow faster than the input: {points:?}");
    assert!(wc["steps_at_4kb"].as_f64().unwrap() > 1e6);
    // A run of spaces makes ModSecurity's PCRE (SecPcreMatchLimit 1000 by
    // default) give up well below 4 KB: the rule then does not fire.
    let fo = &poly["fail_open"];
    if cfg!(feature = "pcre2") {
        assert_eq!(poly["budget_exceeded"], serde_json::json!(["max_steps_at_4kb", "min_fail_open_bytes"]));
        assert_eq!(fo["limit"], "SecPcreMatchLimit", "{fo}");
        assert_eq!(fo["value"], 1000, "{fo}");
        assert!(fo["bytes"].as_u64().unwrap() < 4096, "{fo}");
        assert!(fo["consequence"].as_str().unwrap().contains("fails open"), "{fo}");
    } else {
        // ModSecurity's limits are PCRE2's: not measured without it.
        assert_eq!(poly["budget_exceeded"], serde_json::json!(["max_steps_at_4kb"]));
        assert_eq!(*fo, Value::Null, "{fo}");
    }
    assert_eq!(poly["tests"]["passed"], 2);
}

#[test]
fn human_table_progress_free_and_svg_plot() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("growth.svg");
    let out = cfglint()
        .args(["bench", &fixture("rules.yaml"), "--config", &fixture("cfglint.toml")])
        .args(["--corpus", &fixture("corpus/requests.jsonl"), "--plot"])
        .arg(&svg)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(out.stderr.is_empty(), "no progress bar off a terminal: {}", String::from_utf8_lossy(&out.stderr));
    let header = text.lines().find(|l| l.starts_with("RULE")).unwrap_or_else(|| panic!("no table:\n{text}"));
    assert!(header.contains("STEPS/B p50/p99/max") && header.contains("AT 4 KB"), "{header}");
    // Costliest first: the polynomial rule leads the table.
    let rows: Vec<&str> = text.lines().skip_while(|l| !l.starts_with("RULE")).skip(1).take(3).collect();
    assert!(rows[0].starts_with("100003"), "{text}");
    assert!(rows[0].contains("✗ max_steps_at_4kb"), "{text}");
    assert!(text.contains("at a 4 KB request this rule takes"), "{text}");
    let plot = std::fs::read_to_string(&svg).unwrap();
    assert!(plot.starts_with("<svg"), "{}", &plot[..plot.len().min(200)]);
    assert!(plot.contains("100003"));
}

#[test]
fn bad_input_is_reported_per_item_and_other_rules_are_measured() {
    let out = cfglint()
        .args(["bench", &fixture("bad-rules.yaml"), &fixture("no-such-rules.yaml"), "--format", "json", "--no-config"])
        .args(["--corpus", &fixture("corpus/attacks-not-utf8.txt")])
        .args(["--corpus", &fixture("corpus/empty.txt")])
        .args(["--corpus", &fixture("corpus/missing.txt")])
        .output()
        .unwrap();
    let doc = json_of(&out);
    assert_eq!(out.status.code(), Some(2), "unreadable files exit 2: {doc}");
    let bad = rule(&doc, "200001");
    assert!(bad["error"].as_str().unwrap().contains("does not compile"), "{bad}");
    if cfg!(feature = "pcre2") {
        assert!(bad["error"].as_str().unwrap().contains("parenthesis"), "PCRE2's reason: {bad}");
    }
    let good = rule(&doc, "200003");
    assert_eq!(good["linear"]["inputs"], 2, "bytes that are not UTF-8 are inputs too");
    assert_eq!(good["tests"]["passed"], 1);
    let problems: Vec<String> =
        doc["problems"].as_array().unwrap().iter().map(|p| format!("{} {}", p["place"], p["message"])).collect();
    let has = |needle: &str| problems.iter().any(|p| p.contains(needle));
    assert!(has("no string `pattern`"), "{problems:?}");
    assert!(has("no-such-rules.yaml"), "{problems:?}");
    assert!(has("corpus has no inputs"), "{problems:?}");
    assert!(has("missing.txt") && has("cannot read corpus"), "{problems:?}");

    // The same in human form: one clear line per item.
    let out = cfglint()
        .args(["bench", &fixture("bad-rules.yaml"), "--no-config", "--corpus", &fixture("corpus/empty.txt")])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("200001") && text.contains("error: the pattern does not compile"), "{text}");
    assert!(text.contains("empty.txt: corpus has no inputs"), "{text}");
}

fn commit_all(repo: &git2::Repository, message: &str) {
    let mut index = repo.index().unwrap();
    index.add_all(["*"], git2::IndexAddOption::DEFAULT, None).unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("cfglint test", "test@example.invalid").unwrap();
    let parents: Vec<git2::Commit> = repo.head().ok().and_then(|h| h.peel_to_commit().ok()).into_iter().collect();
    let parent_refs: Vec<&git2::Commit> = parents.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parent_refs).unwrap();
}

const BEFORE: &str = r#"rules:
  - id: 1
    pattern: '^\s+$'
    targets: [args]
    action: block
    tests:
      attack: {pump: " ", suffix: "x"}
  - id: 2
    pattern: '(?i)<script'
    targets: [args]
    action: block
  - id: 3
    pattern: 'gone'
    targets: [args]
"#;

const AFTER: &str = r#"rules:
  - id: 1
    pattern: '\s+$'
    targets: [args]
    action: block
    tests:
      attack: {pump: " ", suffix: "x"}
  - id: 2
    pattern: '(?i)<script'
    targets: [args]
    action: block
  - id: 4
    pattern: 'new'
    targets: [args]
    action: log
"#;

#[test]
fn baseline_comparison_in_a_temporary_git_repo() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git2::Repository::init(dir.path()).unwrap();
    let rules = dir.path().join("waf/rules.yaml");
    std::fs::create_dir_all(rules.parent().unwrap()).unwrap();
    std::fs::write(&rules, BEFORE).unwrap();
    std::fs::write(dir.path().join("benign.txt"), "a=1\nname=bob\n").unwrap();
    commit_all(&repo, "rules v1");
    std::fs::write(&rules, AFTER).unwrap();

    let out = cfglint()
        .current_dir(dir.path())
        .args(["bench", "waf/rules.yaml", "--baseline", "HEAD", "--format", "json", "--no-config"])
        .args(["--corpus", "benign:benign.txt"])
        .output()
        .unwrap();
    let doc = json_of(&out);
    assert_eq!(out.status.code(), Some(1), "a regression fails the run: {doc}");
    let r1 = rule(&doc, "1");
    assert_eq!(r1["change"], "modified");
    assert_eq!(r1["baseline"]["pattern"], r"^\s+$");
    assert_eq!(r1["baseline"]["worst_case"]["complexity"], "linear", "{r1}");
    assert_eq!(r1["worst_case"]["complexity"], "polynomial", "{r1}");
    let figures: Vec<&str> =
        r1["regressions"].as_array().unwrap().iter().map(|g| g["figure"].as_str().unwrap()).collect();
    assert!(figures.contains(&"worst_case.complexity"), "{figures:?}");
    assert!(figures.contains(&"worst_case.steps_at_4kb"), "{figures:?}");
    assert_eq!(rule(&doc, "2")["change"], "unchanged");
    assert!(rule(&doc, "2").get("regressions").is_none());
    assert_eq!(rule(&doc, "4")["change"], "added");
    assert_eq!(doc["removed"][0]["id"], "3");

    let out = cfglint()
        .current_dir(dir.path())
        .args(["bench", "waf/rules.yaml", "--baseline", "HEAD", "--no-config", "--corpus", "benign.txt"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("against HEAD:"), "{text}");
    assert!(text.contains("1 modified — REGRESSED"), "{text}");
    assert!(text.contains("worst_case.complexity: linear (k=1.00) → O(n²)"), "{text}");
    assert!(text.contains("3 removed") && text.contains("4 added"), "{text}");

    let out = cfglint()
        .current_dir(dir.path())
        .args(["bench", "waf/rules.yaml", "--baseline", "no-such-rev", "--no-config"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown revision"));
}

#[test]
fn seclang_rules_carry_ids_actions_and_targets() {
    let out = cfglint()
        .args(["bench", &fixture("crs-sample.conf"), "--format", "json", "--no-config"])
        .args(["--corpus", &fixture("corpus/requests.jsonl")])
        .output()
        .unwrap();
    let doc = json_of(&out);
    let ids: Vec<&str> = doc["rules"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["900001", "900002", "900002-chain1", "900003"], "{doc}");
    assert_eq!(rule(&doc, "900001")["action"], "block");
    assert_eq!(rule(&doc, "900002-chain1")["action"], "block", "a chain takes its first rule's action");
    assert_eq!(rule(&doc, "900003")["action"], "log");
    assert_eq!(rule(&doc, "900003")["negated"], true);
    assert!(rule(&doc, "900002-chain1")["notes"][0].as_str().unwrap().contains("MATCHED_VAR"));
    // 900001 reads ARGS: the tautology request is an attack it fires on.
    assert!(rule(&doc, "900001")["match_rate"]["attack"].as_f64().unwrap() > 0.0);
}

/// The shared corpus, seen from the main checkout or from a worktree.
fn shared_corpus() -> Option<PathBuf> {
    common::shared_corpus()
}

#[test]
fn crs_rules_against_crs_regression_requests() {
    let Some(corpus) = shared_corpus() else { return };
    let rules = corpus.join("configs/owasp-crs/rules/REQUEST-930-APPLICATION-ATTACK-LFI.conf");
    let requests = corpus.join("inputs/crs-regression-requests.jsonl");
    let ftw = corpus.join("inputs/crs-regression-tests/REQUEST-930-APPLICATION-ATTACK-LFI");
    let out = cfglint()
        .args(["bench", "--format", "json", "--no-config"])
        .arg(&rules)
        .arg("--corpus")
        .arg(&requests)
        .arg("--corpus")
        .arg(&ftw)
        .output()
        .unwrap();
    let doc = json_of(&out);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let rules = doc["rules"].as_array().unwrap();
    assert!(!rules.is_empty());
    assert!(rules.iter().all(|r| r.get("error").is_none()), "{doc}");
    assert!(doc["summary"]["inputs"].as_u64().unwrap() > 4076);
    assert!(doc["corpora"][1]["shape"] == "folder");
    // The LFI rules fire on some of the CRS attack requests.
    assert!(rules.iter().any(|r| r["match_rate"]["attack"].as_f64().unwrap_or(0.0) > 0.0), "{doc}");
    // ...and on the regression tests that name them (`expect_ids`).
    assert!(rules.iter().any(|r| r["match_rate"]["expected_counts"][0].as_u64().unwrap_or(0) > 0), "{doc}");
}

/// Issue #15: with no cfglint.toml, the 2019 outage rule (a `log` rule) and
/// an exponential rule fail the run on the default budgets, and bench's
/// worst case is the attack the check's PCRE2 replay proved.
#[cfg(feature = "pcre2")]
fn outage_rules_fail_on_defaults(corpus: &[String]) {
    let out = cfglint()
        .args(["bench", &fixture("outage-2019.yaml"), "--no-config", "--format", "json"])
        .args(corpus.iter().flat_map(|c| ["--corpus".to_owned(), c.clone()]))
        .output()
        .unwrap();
    let doc = json_of(&out);
    assert_eq!(out.status.code(), Some(1), "the default budgets fail these rules: {doc}");
    let outage = rule(&doc, "2019");
    assert_eq!(outage["action"], "log");
    let wc = &outage["worst_case"];
    assert_eq!(wc["complexity"], "polynomial", "{wc}");
    assert!(wc["steps_at_4kb_log10"].as_f64().unwrap() > 7.0, "{wc}");
    assert!(wc["attack"]["prefix"].as_str().unwrap().contains('='), "the attack PCRE2 does not reject at once: {wc}");
    assert_eq!(wc["engine"], "pcre2", "{wc}");
    let over: Vec<&str> = outage["budget_exceeded"].as_array().unwrap().iter().map(|b| b.as_str().unwrap()).collect();
    assert!(over.contains(&"max_steps_at_4kb"), "{over:?}");
    // The check's verdict on the same pattern, beside bench's own.
    assert_eq!(outage["check"]["complexity"], "polynomial", "{outage}");
    assert_eq!(outage["check"]["degree"], 4, "{outage}");
    // The linear engine runs it (literal `{}` and all).
    if corpus.is_empty() {
        assert!(outage["linear"].is_null());
    } else {
        assert!(outage["linear"]["inputs"].as_u64().unwrap() > 0, "{outage}");
    }
    let exp = rule(&doc, "2020");
    assert_eq!(exp["worst_case"]["complexity"], "exponential", "{exp}");
    assert!(exp["budget_exceeded"].as_array().unwrap().iter().any(|b| b == "max_steps_at_4kb"), "{exp}");
    let cheap = rule(&doc, "2021");
    assert_eq!(cheap["budget_exceeded"].as_array().unwrap().len(), 0, "{cheap}");
    assert_eq!(doc["summary"]["failing"], 2, "{doc}");

    // The human table says which budget, with ✗.
    let out = cfglint()
        .args(["bench", &fixture("outage-2019.yaml"), "--no-config"])
        .args(corpus.iter().flat_map(|c| ["--corpus".to_owned(), c.clone()]))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let row = |id: &str| text.lines().find(|l| l.starts_with(&format!("{id} "))).unwrap_or_else(|| panic!("{text}"));
    assert!(row("2019").contains("✗ max_steps_at_4kb"), "{text}");
    assert!(row("2020").contains("✗ max_steps_at_4kb"), "{text}");
    assert!(!text.contains("1 steps"), "{text}");
}

#[test]
#[cfg(feature = "pcre2")]
fn the_2019_rule_fails_bench_with_no_configuration() {
    outage_rules_fail_on_defaults(&[fixture("corpus/requests.jsonl")]);
}

#[test]
#[cfg(feature = "pcre2")]
fn the_2019_rule_fails_bench_on_the_crs_regression_requests() {
    let Some(corpus) = shared_corpus() else { return };
    outage_rules_fail_on_defaults(&[corpus.join("inputs/crs-regression-requests.jsonl").display().to_string()]);
}

#[test]
fn a_rule_file_that_does_not_parse_is_an_error() {
    let out = cfglint()
        .args(["bench", &fixture("broken/rules.yaml"), "--no-config", "--corpus", &fixture("corpus/benign.txt")])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("broken/rules.yaml:"), "the place: {text}");
}

#[test]
fn a_corpus_with_many_invalid_lines_is_an_error() {
    let out = cfglint()
        .args(["bench", &fixture("rules.yaml"), "--no-config", "--format", "json"])
        .args(["--corpus", &fixture("broken/half-invalid.jsonl")])
        .output()
        .unwrap();
    let doc = json_of(&out);
    assert_eq!(out.status.code(), Some(2), "{doc}");
    let problems: Vec<String> =
        doc["problems"].as_array().unwrap().iter().map(|p| format!("{} {}", p["place"], p["message"])).collect();
    assert!(problems.iter().any(|p| p.contains("23 of 48 lines are invalid")), "{problems:?}");
    assert!(problems.iter().any(|p| p.contains("half-invalid.jsonl:26") && p.contains("invalid JSON")), "{problems:?}");
}

/// Issue #15 target: every CRS `@rx` pattern without backreferences or
/// look-around runs on the linear engine (cfglint's PCRE parse translated
/// to regex-syntax's HIR), and the ones with them are refused by name.
#[test]
fn every_crs_pattern_without_backrefs_or_lookaround_runs_on_the_linear_engine() {
    use cfglint::analysis::ir::FeatureKind;
    use cfglint::analysis::parse::{ParseConfig, parse};
    use cfglint::source::Flavor;
    let Some(corpus) = shared_corpus() else { return };
    let dir = corpus.join("configs/owasp-crs/rules");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    files.sort();
    let loaded = cfglint::bench::rules::load_files(&files);
    assert!(loaded.rules.len() >= 150, "{}", loaded.rules.len());
    let (mut ran, mut refused) = (0, 0);
    let mut failures = Vec::new();
    for rule in &loaded.rules {
        let ir = parse(&rule.pattern, &ParseConfig::new(Flavor::Pcre).flags(rule.flags)).expect("CRS patterns parse");
        let needs_backtracking = [FeatureKind::Backreference, FeatureKind::LookAhead, FeatureKind::LookBehind]
            .iter()
            .any(|&k| ir.has_feature(k));
        match cfglint::bench::linear::compile(&rule.pattern, rule.flags) {
            Ok(_) => ran += 1,
            Err(e) if needs_backtracking => {
                assert!(e.contains("look-") || e.contains("backreference"), "{}: {e}", rule.id);
                refused += 1;
            }
            Err(e) => failures.push(format!("{}: {e}", rule.id)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} patterns without backrefs/look-around failed: {failures:#?}",
        failures.len(),
        ran + failures.len()
    );
    assert!(ran > 0, "ran {ran}, refused {refused}");
}

/// docs/bench.md's JSON example shows every key of the linear figures
/// (the throughput's sampling included) that a run prints.
#[test]
fn the_documented_json_example_shows_every_linear_key() {
    let text = std::fs::read_to_string(root().join("docs/bench.md")).expect("docs/bench.md");
    let start = text.find("## JSON output").expect("a JSON output section");
    let block = &text[start..];
    let open = block.find("```json\n").expect("a JSON example") + "```json\n".len();
    let close = open + block[open..].find("```").expect("the example ends");
    let example: Value = serde_json::from_str(&block[open..close]).expect("the example is JSON");
    let keys = |v: &Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
        k.sort();
        k
    };
    let out = cfglint()
        .args(["bench", &fixture("rules.yaml"), "--no-config", "--format", "json"])
        .args(["--corpus", &fixture("corpus/requests.jsonl")])
        .output()
        .unwrap();
    let doc = json_of(&out);
    assert_eq!(keys(&example["rules"][0]["linear"]), keys(&doc["rules"][0]["linear"]));
    let table = &block[close..];
    for key in ["mb_per_s_spread", "samples", "passes"] {
        assert!(table.contains(&format!("`{key}`")), "the key table explains `{key}`");
    }
    // The fail-open objects and the summary, as a run prints them.
    let poly = doc["rules"].as_array().unwrap().iter().find(|r| r["id"] == "100003").expect("rule 100003");
    // (A build without PCRE2 measures neither.)
    for key in ["fail_open", "fail_open_jit"] {
        if !poly[key].is_null() {
            assert_eq!(keys(&example["rules"][0][key]), keys(&poly[key]), "{key}");
        }
    }
    assert_eq!(poly["fail_open"].is_null(), !cfg!(feature = "pcre2"));
    let mut summary = keys(&doc["summary"]);
    summary.retain(|k| k != "jit_note");
    assert_eq!(keys(&example["summary"]), summary);
    for key in ["fail_open_jit", "jit_engine", "jit_note"] {
        assert!(table.contains(&format!("`{key}`")), "the key table explains `{key}`");
    }
}

/// docs/bench.md's "Every key" block is a cfglint.toml that loads.
#[test]
fn the_documented_bench_keys_load() {
    let text = std::fs::read_to_string(root().join("docs/bench.md")).expect("docs/bench.md");
    let section = &text[text.find("### Every key").expect("an Every key section")..];
    let block = section.split("```toml\n").nth(1).and_then(|b| b.split("```").next()).expect("a toml block");
    let s = cfglint::bench::Settings::parse(std::path::Path::new("/p/cfglint.toml"), block)
        .unwrap_or_else(|e| panic!("docs/bench.md's [bench] example does not load: {e:?}"));
    assert_eq!(s.pcre2_jit, cfglint::engine::JitChoice::Auto);
    assert_eq!(s.budgets.min_fail_open_bytes, Some(4096.0));
}
