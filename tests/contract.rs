//! The user-facing contract in docs/ stays true to the binary:
//! - docs/output.md lists every key `check --format json` and `patterns
//!   --format json` print, its examples parse, and its exit-code table
//!   names every subcommand;
//! - docs/sources.md's kinds table is the code's: the same kinds, in the
//!   same order, with the same flavors;
//! - docs/waf-rules.md's example is read as the WAF rule format.

use std::collections::BTreeSet;
use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn doc(name: &str) -> String {
    std::fs::read_to_string(root().join("docs").join(name)).unwrap_or_else(|e| panic!("docs/{name}: {e}"))
}

fn cfglint() -> Command {
    let mut c = Command::cargo_bin("cfglint").expect("the binary builds");
    c.current_dir(root());
    c
}

/// The text of the markdown section that starts with `heading` (up to the
/// next heading of the same or a higher level).
fn section<'a>(text: &'a str, heading: &str) -> &'a str {
    let start = text.find(heading).unwrap_or_else(|| panic!("no section {heading:?}"));
    let level = heading.chars().take_while(|&c| c == '#').count();
    let rest = &text[start + heading.len()..];
    let end = rest
        .match_indices('\n')
        .map(|(i, _)| i + 1)
        .find(|&i| {
            let hashes = rest[i..].chars().take_while(|&c| c == '#').count();
            hashes > 0 && hashes <= level && rest[i..].chars().nth(hashes) == Some(' ')
        })
        .unwrap_or(rest.len());
    &rest[..end]
}

/// The backticked names in the first column of every table row of `text`
/// (a cell such as `` `line`, `column` `` names two keys).
fn table_keys(text: &str) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for line in text.lines().filter(|l| l.starts_with("| `")) {
        let cell = line.split('|').nth(1).unwrap_or_default();
        for (i, part) in cell.split('`').enumerate() {
            if i % 2 == 1 {
                keys.insert(part.to_owned());
            }
        }
    }
    keys
}

/// The fenced code blocks of `lang` in `text`.
fn code_blocks<'a>(text: &'a str, lang: &str) -> Vec<&'a str> {
    let fence = format!("```{lang}\n");
    text.split(fence.as_str()).skip(1).filter_map(|b| b.split("```").next()).collect()
}

fn keys_of(v: &Value) -> BTreeSet<String> {
    v.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default()
}

#[test]
fn every_json_finding_key_is_documented() {
    let out = cfglint().args(["check", "fixtures/demo", "--format", "json"]).output().expect("runs");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("check prints JSON");
    let text = doc_text();
    let findings_doc = section(&text, "## Findings");
    let documented = table_keys(findings_doc);
    let findings = doc["findings"].as_array().expect("findings");
    assert!(!findings.is_empty(), "the demo has findings");
    let mut engine_keys = BTreeSet::new();
    for f in findings {
        for k in keys_of(f) {
            assert!(documented.contains(&k), "docs/output.md does not document the finding key `{k}`");
        }
        engine_keys.extend(keys_of(&f["engine_check"]));
    }
    // A build without PCRE2 replays nothing (its findings say so in a note).
    assert_eq!(!engine_keys.is_empty(), cfg!(feature = "pcre2"), "the demo has a PCRE2 replay iff PCRE2 is built in");
    for k in &engine_keys {
        assert!(documented.contains(k), "docs/output.md does not document the engine_check key `{k}`");
    }
    for k in keys_of(&doc) {
        assert!(findings_doc.contains(&format!("\"{k}\"")), "docs/output.md's example lacks the top-level key `{k}`");
    }
    for k in keys_of(&doc["summary"]) {
        assert!(findings_doc.contains(&format!("`{k}`")), "docs/output.md does not document summary.{k}");
    }
    // The example is valid JSON, and every key it shows is documented.
    let example: Value = serde_json::from_str(code_blocks(findings_doc, "json")[0]).expect("the example parses");
    for f in example["findings"].as_array().expect("example findings") {
        for k in keys_of(f) {
            assert!(documented.contains(&k), "the example shows an undocumented key `{k}`");
        }
    }
}

fn doc_text() -> String {
    doc("output.md")
}

#[test]
fn patterns_json_lines_match_their_documentation() {
    let out = cfglint().args(["patterns", "fixtures/demo", "--format", "json"]).output().expect("runs");
    let text = doc_text();
    let patterns_doc = section(&text, "## `patterns --format json`");
    let documented = table_keys(patterns_doc);
    let lines: Vec<&str> = std::str::from_utf8(&out.stdout).expect("UTF-8").lines().collect();
    assert!(!lines.is_empty());
    for line in lines {
        let v: Value = serde_json::from_str(line).expect("one JSON object per line");
        assert_eq!(keys_of(&v), documented, "patterns keys differ from docs/output.md");
    }
    let example: Value = serde_json::from_str(code_blocks(patterns_doc, "json")[0].trim()).expect("example parses");
    assert_eq!(keys_of(&example), documented);
}

#[test]
fn exit_code_table_covers_every_subcommand() {
    let out = cfglint().arg("--help").output().expect("runs");
    let help = String::from_utf8(out.stdout).expect("UTF-8");
    let commands = help
        .split("Commands:")
        .nth(1)
        .expect("a command list")
        .split("\n\n")
        .next()
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| !matches!(*c, "help" | "debug"))
        .map(str::to_owned)
        .collect::<Vec<_>>();
    assert!(commands.len() >= 10, "{commands:?}");
    let text = doc_text();
    let table = section(&text, "## Exit codes");
    let documented = table_keys(table);
    for c in commands {
        assert!(documented.contains(&c), "docs/output.md's exit codes do not cover `{c}`");
    }
}

#[test]
fn sources_table_is_the_kinds_table() {
    // The docs table and the code's table of kinds (`source/kinds/table.rs`)
    // list the same kinds, in the same order, with the same flavors.
    let text = doc("sources.md");
    let start = text.find("| kind |").expect("docs/sources.md has a `| kind |` table");
    let documented: Vec<(String, String)> = text[start..]
        .lines()
        .take_while(|l| l.starts_with('|'))
        .filter(|l| l.starts_with("| `"))
        .map(|row| {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            let unquote = |c: &str| c.trim_matches('`').to_owned();
            (unquote(cells[1]), unquote(cells[cells.len() - 2]))
        })
        .collect();
    let code: Vec<(String, String)> = cfglint::source::Kind::BUILTIN
        .iter()
        .map(|k| (k.as_str().to_owned(), k.default_flavor().to_string()))
        .collect();
    assert_eq!(documented, code, "docs/sources.md's kinds table (left) differs from the code's (right)");
}

#[test]
fn waf_rule_format_example_is_read_as_documented() {
    let text = doc("waf-rules.md");
    let example = code_blocks(&text, "yaml")[0];
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dir.path().join("rules.yaml"), example).expect("write");
    let out = cfglint().args(["patterns", "--format", "json"]).arg(dir.path()).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("one pattern");
    assert_eq!(v["kind"], "waf-yaml");
    assert_eq!(v["key"], "rules[0].pattern");
    assert_eq!(v["pattern"], r"(?i)\bor\b\s+\d+\s*=\s*\d+");
    // bench reads the same rule, its tests and its declared attack.
    let out = cfglint().args(["bench", "--format", "json"]).arg(dir.path().join("rules.yaml")).output().expect("runs");
    let v: Value = serde_json::from_slice(&out.stdout).expect("bench JSON");
    let rule = &v["rules"][0];
    assert_eq!(rule["id"], "100001");
    assert_eq!(rule["action"], "block");
    assert_eq!(rule["tests"]["passed"], 2, "{rule}");
}

/// Files that ignore rules hide are counted in the summary (JSON and
/// human), and the key is documented: a real folder with a `.ignore` file.
#[test]
fn the_summary_counts_what_ignore_rules_left_out() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::write(root.join(".ignore"), "hidden.yaml\nvendor/\n").expect("write");
    std::fs::write(root.join("hidden.yaml"), "pattern: '(a+)+$'\n").expect("write");
    std::fs::write(root.join("seen.yaml"), "pattern: 'a+'\n").expect("write");
    std::fs::create_dir(root.join("vendor")).expect("mkdir");
    std::fs::write(root.join("vendor/dep.yaml"), "pattern: 'b'\n").expect("write");
    let out = cfglint().args(["check", "--no-config", "--format", "json"]).arg(root).output().expect("runs");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("check prints JSON");
    assert_eq!(doc["summary"]["files"], 1, "{doc}");
    assert_eq!(doc["summary"]["ignored"], 2, "hidden.yaml and the vendor folder: {doc}");
    assert!(section(&doc_text(), "## Findings").contains("`ignored`"), "docs/output.md documents summary.ignored");
    let out = cfglint().args(["check", "--no-config"]).arg(root).env("NO_COLOR", "1").output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("2 left out by ignore rules (--no-ignore reads them)"), "{text}");
    let out =
        cfglint().args(["check", "--no-config", "--no-ignore", "--format", "json"]).arg(root).output().expect("runs");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("check prints JSON");
    assert_eq!(doc["summary"]["files"], 3, "{doc}");
    assert!(doc["summary"].get("ignored").is_none(), "{doc}");
}
