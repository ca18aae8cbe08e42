//! Reporter snapshots and checks: one fixed set of hand-built findings
//! (backtracking evidence, a diff change, secondary labels, a file-level
//! finding, characters that need escaping) through every format.
//!
//! Regenerate with `INSTA_UPDATE=always cargo test --test reporters`.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use cfglint::analysis::Attack;
use cfglint::finding::{self, Before, Change, ChangeKind, Complexity, Evidence, Finding, Label, Severity};
use cfglint::report::human::{HumanOptions, render_with};
use cfglint::report::{self, Format, Sources, Summary};
use cfglint::source::{Flavor, Span};
use proptest::prelude::*;
use serde_json::Value;

const WAF: &str = "waf/rules.yaml";
const WAF_TEXT: &str = "\
rules:
  - id: 100001
    description: nested quantifier
    pattern: '^(a+)+$'
  - id: 100002
    description: the 2019 outage shape
    pattern: '.*(?:.*=.*)'
  - id: 100003
    pattern: 'abc(def'
";
const AM: &str = "alerts/alertmanager.yml";
const AM_TEXT: &str = "\
route:
  routes:
    - matchers: ['service=~\"api|\"']
";
const BROKEN: &str = "broken, file:1.yaml";

/// The byte span of the `nth` occurrence of `needle` in `text`.
fn find(text: &str, needle: &str, nth: usize) -> Span {
    let start = text.match_indices(needle).nth(nth).unwrap_or_else(|| panic!("`{needle}` in fixture")).0;
    Span::new(start, start + needle.len())
}

fn base(code: &str, rule: &str, severity: Severity, file: &str, text: &str, span: Option<Span>, msg: &str) -> Finding {
    Finding::new(code, rule, severity, file, text, span, msg)
}

fn with_pattern(mut f: Finding, key: &str, kind: &str, pattern: &str, flavor: Flavor, id: Option<&str>) -> Finding {
    f.key = Some(key.to_owned());
    f.kind = Some(kind.to_owned());
    f.pattern = Some(pattern.to_owned());
    f.flavor = Some(flavor);
    f.rule_id = id.map(str::to_owned);
    f.refresh_fingerprint();
    f
}

/// The shared fixture set, sorted as the pipeline sorts.
fn findings() -> Vec<Finding> {
    let mut v = Vec::new();

    // CL001 with confirmed evidence and a secondary label on the inner loop.
    let outer = find(WAF_TEXT, "+", 1);
    let mut f = base(
        "CL001",
        "exponential-backtracking",
        Severity::Error,
        WAF,
        WAF_TEXT,
        Some(outer),
        "exponential backtracking: `(a+)+` can match a run of `a` in exponentially many ways",
    );
    f.primary_label = Some("this loop repeats a loop over the same characters".into());
    f.labels.push(Label { span: find(WAF_TEXT, "a+", 0), message: "inner loop".into() });
    f.help = Some("make the inner loop possessive (`a++`) or drop the outer `+`".into());
    f.notes.push("assumed search semantics, flavor pcre".into());
    f.evidence = Some(Evidence {
        complexity: Complexity::Exponential,
        degree: None,
        attack: Some(Attack { prefix: String::new(), pump: "a".into(), suffix: "!".into() }),
        confirmed: true,
        steps: vec![(16, 131_071), (32, 8_589_934_591)],
        engine: None,
        bound: None,
    });
    v.push(with_pattern(f, "rules[0].pattern", "waf-yaml", "^(a+)+$", Flavor::Pcre, Some("100001")));

    // CL002 made worse by a change, with an attack full of invisible
    // characters.
    let mut f = base(
        "CL002",
        "polynomial-backtracking",
        Severity::Error,
        WAF,
        WAF_TEXT,
        Some(find(WAF_TEXT, ".*", 1)),
        "polynomial backtracking, O(n³): three `.*` loops can split the same text",
    );
    f.labels.push(Label { span: find(WAF_TEXT, ".*", 0), message: "first loop".into() });
    f.labels.push(Label { span: find(WAF_TEXT, ".*", 2), message: "third loop".into() });
    f.evidence = Some(Evidence {
        complexity: Complexity::Polynomial,
        degree: Some(3),
        attack: Some(Attack { prefix: "x\u{200b}".into(), pump: "=\t".into(), suffix: "\n\"".into() }),
        confirmed: false,
        steps: vec![(64, 45_760), (128, 357_760), (256, 2_829_056)],
        engine: None,
        bound: None,
    });
    f.change = Some(Change {
        change: ChangeKind::Modified,
        before: Some(Before { complexity: Complexity::Polynomial, degree: Some(2) }),
    });
    v.push(with_pattern(f, "rules[1].pattern", "waf-yaml", ".*(?:.*=.*)", Flavor::Pcre, Some("100002")));

    // CL003 warning.
    let mut f = base(
        "CL003",
        "redundant-wildcard",
        Severity::Warning,
        WAF,
        WAF_TEXT,
        Some(find(WAF_TEXT, ".*", 1)),
        "`.*` only adds work: the adjacent `.*` already matches everything it matches",
    );
    f.primary_label = Some("redundant".into());
    f.labels.push(Label { span: find(WAF_TEXT, ".*", 0), message: "already matches it".into() });
    v.push(with_pattern(f, "rules[1].pattern", "waf-yaml", ".*(?:.*=.*)", Flavor::Pcre, Some("100002")));

    // CL004 on a newly added pattern.
    let mut f = base(
        "CL004",
        "invalid-regex",
        Severity::Error,
        WAF,
        WAF_TEXT,
        Some(Span::new(find(WAF_TEXT, "(def", 0).start, find(WAF_TEXT, "(def", 0).end)),
        "the pattern does not compile in PCRE: unclosed group: missing `)`",
    );
    f.help = Some("close the group with `)`, or escape the `(` as `\\(`".into());
    f.change = Some(Change { change: ChangeKind::Added, before: None });
    v.push(with_pattern(f, "rules[2].pattern", "waf-yaml", "abc(def", Flavor::Pcre, Some("100003")));

    // CL005 configured down to a note, in another file.
    let mut f = base(
        "CL005",
        "matches-everything",
        Severity::Note,
        AM,
        AM_TEXT,
        Some(find(AM_TEXT, "|", 0)),
        "the pattern matches every input: the alternative after `|` is empty",
    );
    f.primary_label = Some("nothing after this `|`".into());
    v.push(with_pattern(f, "route.routes[0].matchers[0]", "alertmanager", "api|", Flavor::Re2, None));

    // CL100 on a file with no span, and characters every format must
    // escape: `%`, a newline, `:` and `,` in the path.
    let f = base(
        "CL100",
        "config-parse-error",
        Severity::Error,
        BROKEN,
        "",
        None,
        "did not find expected ',' or ']'\nwhile parsing a flow sequence (100% sure)",
    );
    v.push(f);

    finding::sort(&mut v);
    v
}

fn sources() -> Sources {
    let mut s = Sources::default();
    s.insert(WAF, Arc::from(WAF_TEXT));
    s.insert(AM, Arc::from(AM_TEXT));
    s
}

fn summary() -> Summary {
    Summary { files: 3, regexes: 41, findings: 6, elapsed_ms: 12, unreadable: 0, ignored: 0 }
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({
        snapshot_path => Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/reporters"),
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

fn render(format: Format) -> String {
    report::render(format, &findings(), &summary(), &sources(), false)
}

#[test]
fn human_snapshot() {
    let out = render_with(&findings(), &summary(), &sources(), HumanOptions::new(false));
    assert!(!out.contains('\u{1b}'), "no escape codes without color");
    assert!(out.ends_with("3 files, 41 regexes: 4 errors, 1 warning, 1 note\n"), "{out}");
    assert!(out.contains(r#"attack: "a" × n + "!""#), "{out}");
    assert!(out.contains("steps: n=16: 131,071 steps → n=32: 8.6e9 steps"), "{out}");
    assert!(out.contains(r#"attack: "x\u{200b}" + "=\t" × n + "\n\"""#), "{out}");
    assert!(out.contains("change: modified (before: O(n²))"), "{out}");
    assert!(out.contains("broken, file:1.yaml: did not find"), "{out}");
    snapshot("human", &out);
}

#[test]
fn human_colors_and_ascii() {
    let colored = report::render(Format::Human, &findings(), &summary(), &sources(), true);
    assert!(colored.contains("\u{1b}["), "colors on");
    let ascii =
        render_with(&findings(), &summary(), &sources(), HumanOptions { color: false, unicode: false, width: 80 });
    assert!(
        ascii.is_ascii() || ascii.chars().filter(|c| !c.is_ascii()).all(|c| "×→²³ⁿ\u{200b}".contains(c)),
        "{ascii}"
    );
    assert!(ascii.contains(",-[waf/rules.yaml:4:20]"), "{ascii}");
}

#[test]
fn json_snapshot_and_contract() {
    let out = render(Format::Json);
    snapshot("json", &out);
    let v: Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(v["version"], 1);
    assert_eq!(v["summary"], serde_json::json!({"files": 3, "regexes": 41, "findings": 6, "elapsed_ms": 12}));
    let findings = v["findings"].as_array().expect("array");
    assert_eq!(findings.len(), 6);
    let contract = [
        "rule",
        "code",
        "severity",
        "file",
        "line",
        "column",
        "span",
        "key",
        "pattern",
        "flavor",
        "message",
        "complexity",
        "degree",
        "attack",
        "confirmed",
        "steps",
    ];
    for f in findings {
        let obj = f.as_object().expect("object");
        for k in contract {
            assert!(obj.contains_key(k), "missing `{k}` in {f}");
        }
    }
    let cl001 = findings.iter().find(|f| f["code"] == "CL001").expect("CL001");
    assert_eq!(cl001["rule"], "exponential-backtracking");
    assert_eq!(cl001["complexity"], "exponential");
    assert_eq!(cl001["attack"], serde_json::json!({"prefix": "", "pump": "a", "suffix": "!"}));
    assert_eq!(cl001["confirmed"], true);
    assert_eq!(cl001["steps"], serde_json::json!([[16, 131_071], [32, 8_589_934_591_u64]]));
    assert_eq!(cl001["line"], 4);
    assert!(cl001.get("change").is_none(), "change only from diff");
    let cl002 = findings.iter().find(|f| f["code"] == "CL002").expect("CL002");
    assert_eq!(cl002["degree"], 3);
    assert_eq!(cl002["change"], "modified");
    assert_eq!(cl002["before"], serde_json::json!({"complexity": "polynomial", "degree": 2}));
    assert_eq!(cl002["labels"][0]["line"], 7);
    let cl004 = findings.iter().find(|f| f["code"] == "CL004").expect("CL004");
    assert_eq!(cl004["change"], "added");
    assert!(cl004.get("before").is_none());
    assert!(cl004["complexity"].is_null() && cl004["attack"].is_null());
    let cl100 = findings.iter().find(|f| f["code"] == "CL100").expect("CL100");
    assert!(cl100["span"].is_null());
    // Keys come in the contract's order.
    let first = &out[out.find("\"rule\"").expect("rule key")..];
    let positions: Vec<usize> = contract.iter().map(|k| first.find(&format!("\"{k}\"")).expect("key")).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "key order: {positions:?}");
}

/// The parts of SARIF 2.1.0 GitHub code scanning reads, checked by hand.
fn validate_sarif(v: &Value) {
    assert_eq!(v["version"], "2.1.0");
    assert!(v["$schema"].as_str().is_some_and(|s| s.contains("sarif-2.1.0")));
    let runs = v["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "cfglint");
    assert!(driver["version"].is_string() && driver["informationUri"].is_string());
    let rules = driver["rules"].as_array().expect("rules");
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().expect("rule id")).collect();
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), ids.len(), "unique rule ids");
    for code in cfglint::rules::registry().iter().map(|m| m.code.as_str()) {
        assert!(ids.contains(&code), "driver.rules lists {code}");
    }
    for r in rules {
        for path in [
            &r["name"],
            &r["shortDescription"]["text"],
            &r["fullDescription"]["text"],
            &r["help"]["text"],
            &r["help"]["markdown"],
        ] {
            assert!(path.as_str().is_some_and(|s| !s.is_empty()), "rule field in {r}");
        }
        assert!(
            ["error", "warning", "note", "none"].contains(&r["defaultConfiguration"]["level"].as_str().expect("level"))
        );
        assert!(r["properties"]["tags"].is_array());
    }
    for res in run["results"].as_array().expect("results") {
        let id = res["ruleId"].as_str().expect("ruleId");
        let index = usize::try_from(res["ruleIndex"].as_u64().expect("ruleIndex")).expect("index");
        assert_eq!(ids[index], id, "ruleIndex points at ruleId");
        assert!(["error", "warning", "note"].contains(&res["level"].as_str().expect("level")));
        assert!(res["message"]["text"].as_str().is_some_and(|s| !s.is_empty()));
        let locations = res["locations"].as_array().expect("locations");
        assert_eq!(locations.len(), 1);
        let mut physical = vec![&locations[0]["physicalLocation"]];
        for rel in res["relatedLocations"].as_array().map(Vec::as_slice).unwrap_or_default() {
            assert!(rel["message"]["text"].is_string());
            physical.push(&rel["physicalLocation"]);
        }
        for p in physical {
            let uri = p["artifactLocation"]["uri"].as_str().expect("uri");
            // Relative with `/` separators, or an absolute `file:///` URI.
            let relative = !uri.starts_with('/') && !uri.contains("://");
            assert!(relative || uri.starts_with("file:///"), "{uri}");
            assert!(!uri.contains('\\') && !uri.contains(' '), "{uri}");
            let region = &p["region"];
            let start = region["startLine"].as_u64().expect("startLine");
            assert!(start >= 1);
            if let Some(c) = region["startColumn"].as_u64() {
                assert!(c >= 1);
                let end_line = region["endLine"].as_u64().expect("endLine with columns");
                let end_col = region["endColumn"].as_u64().expect("endColumn with columns");
                assert!(end_line > start || (end_line == start && end_col >= c), "{region}");
            }
        }
        let fp = res["partialFingerprints"].as_object().expect("fingerprints");
        assert!(fp.values().all(Value::is_string) && !fp.is_empty());
    }
}

#[test]
fn sarif_snapshot_and_structure() {
    let out = render(Format::Sarif);
    snapshot("sarif", &out.replace(env!("CARGO_PKG_VERSION"), "[version]"));
    let v: Value = serde_json::from_str(&out).expect("valid JSON");
    validate_sarif(&v);
    let results = v["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 6);
    let cl001 = results.iter().find(|r| r["ruleId"] == "CL001").expect("CL001");
    assert_eq!(cl001["properties"]["steps"], serde_json::json!([[16, 131_071], [32, 8_589_934_591_u64]]));
    assert_eq!(cl001["locations"][0]["physicalLocation"]["region"]["startLine"], 4);
    assert_eq!(cl001["relatedLocations"][0]["message"]["text"], "inner loop");
    let cl100 = results.iter().find(|r| r["ruleId"] == "CL100").expect("CL100");
    assert_eq!(cl100["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "broken,%20file%3A1.yaml");
}

#[test]
fn github_snapshot_and_escaping() {
    let out = render(Format::Github);
    snapshot("github", &out);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 7, "one command per finding and a summary: {out}");
    for l in &lines {
        assert!(l.starts_with("::error ") || l.starts_with("::warning ") || l.starts_with("::notice "), "{l}");
    }
    let broken = lines.iter().find(|l| l.contains("CL100")).expect("CL100");
    assert!(broken.starts_with("::error file=broken%2C file%3A1.yaml,title=CL100 config-parse-error::"), "{broken}");
    assert!(
        broken.ends_with("did not find expected ',' or ']'%0Awhile parsing a flow sequence (100%25 sure)"),
        "{broken}"
    );
    let note = lines.iter().find(|l| l.contains("CL005")).expect("CL005");
    assert!(note.starts_with("::notice file=alerts/alertmanager.yml,line=3,col=32,endColumn=32,"), "{note}");
    let cl001 = lines.iter().find(|l| l.contains("CL001")).expect("CL001");
    assert!(cl001.contains("%0Aattack: \"a\" × n + \"!\"%0A"), "{cl001}");
}

#[test]
fn output_is_deterministic() {
    for format in [Format::Human, Format::Json, Format::Sarif, Format::Github] {
        assert_eq!(render(format), render(format));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// Whatever the message, pattern and path hold, JSON and SARIF stay
    /// valid and GitHub commands stay one per line.
    #[test]
    fn machine_formats_stay_valid(message in "\\PC*", pattern in "\\PC*", file in "[a-z/ ,:%é]{1,12}", nl in any::<bool>()) {
        let text = format!("pattern: '{pattern}'\n");
        let message = if nl { format!("{message}\r\n{message}") } else { message };
        let mut f = Finding::new("CL004", "invalid-regex", Severity::Error, &file, &text, Some(Span::new(10, 10 + pattern.len())), message);
        f.pattern = Some(pattern.clone());
        f.help = Some("a\nb %".into());
        let fs = vec![f];
        let mut sources = Sources::default();
        sources.insert(&file, Arc::from(text.as_str()));
        let s = Summary { files: 1, regexes: 1, findings: 1, elapsed_ms: 0, unreadable: 0, ignored: 0 };
        let json: Value = serde_json::from_str(&report::render(Format::Json, &fs, &s, &sources, false)).expect("JSON");
        prop_assert_eq!(json["findings"][0]["pattern"].as_str(), Some(pattern.as_str()));
        let sarif: Value = serde_json::from_str(&report::render(Format::Sarif, &fs, &s, &sources, false)).expect("SARIF");
        validate_sarif(&sarif);
        let gh = report::render(Format::Github, &fs, &s, &sources, false);
        prop_assert_eq!(gh.lines().count(), 2);
        let human = report::render(Format::Human, &fs, &s, &sources, false);
        prop_assert!(human.ends_with("1 file, 1 regex: 1 error\n"));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Wrapping never breaks a line inside a backtick code span (spaces and
    /// all) or a hyphenated word, in the message, the help or a note.
    #[test]
    fn wrapping_never_splits_code_spans_or_hyphenated_words(
        words in proptest::collection::vec(
            prop_oneof![
                "[a-z]{1,9}",
                "[a-z]{2,8}-[a-z]{2,12}",
                "`[a-z{},0-9]{1,6} [a-z()|*+]{1,5}`",
                "\\(e\\.g\\. `\\{0,[0-9]{1,3}\\}`\\)",
            ],
            1..40,
        ),
        width in 30usize..90,
    ) {
        let text = words.join(" ");
        let mut f = Finding::new("CL002", "polynomial-backtracking", Severity::Warning, "f.yaml", "", None, text.clone());
        f.help = Some(text.clone());
        f.notes = vec![text.clone()];
        let out = render_with(&[f], &Summary::default(), &Sources::default(), HumanOptions { color: false, unicode: false, width });
        // Every line holds whole code spans: an even number of backticks.
        for line in out.lines() {
            prop_assert_eq!(line.matches('`').count() % 2, 0, "a code span split across lines:\n{}", out);
        }
        // Every hyphenated word and code span appears whole on one line
        // (a break may fall between `(e.g.` and its code span).
        for w in &words {
            let unit = match (w.find('`'), w.rfind('`')) {
                (Some(a), Some(b)) => &w[a..=b],
                _ if w.contains('-') => w.as_str(),
                _ => continue,
            };
            let whole = out.lines().filter(|l| l.contains(unit)).count();
            prop_assert!(whole >= 3, "`{}` split (message, help, note):\n{}", unit, out);
        }
    }
}

#[test]
fn wrapping_keeps_the_examples_of_the_issue_whole() {
    let msg = "O(n²) polynomial-backtracking when searching: bound the repetition (e.g. `{0,64}`) \
               so that a long input cannot make polynomial-backtracking blow up (e.g. `{0,64}`)";
    for width in 40..100 {
        let mut f = Finding::new("CL002", "polynomial-backtracking", Severity::Warning, "f.yaml", "", None, msg);
        f.help = Some(msg.to_owned());
        let out = render_with(
            &[f],
            &Summary::default(),
            &Sources::default(),
            HumanOptions { color: false, unicode: true, width },
        );
        for line in out.lines() {
            assert!(!line.trim_end().ends_with("polynomial-"), "width {width}: hyphenated word split:\n{out}");
            assert!(!line.trim_end().ends_with("`{0,64}"), "width {width}: code span split:\n{out}");
            assert_eq!(line.matches('`').count() % 2, 0, "width {width}: code span split:\n{out}");
        }
    }
}
