//! Rule fixtures and snapshots.
//!
//! Every folder under `fixtures/rules/` belongs to one rule (named by its
//! id) and holds:
//! - `cases.txt`: one pattern per line, `bad|good FLAVOR[/SEMANTICS][+FLAGS]
//!   PATTERN`. Each case runs through `lint::lint_pattern` with only that
//!   rule selected; `bad` must fire it and `good` must not. The rendered
//!   output of all cases is snapshotted as `<rule-id>__cases.txt`.
//! - config files (`*.yaml`, `*.toml`, ...), each opening with a comment
//!   that says what fires where, optionally `# options: flavor=F` and
//!   `# expect: LINE LINE` (or `# expect: none`). Each runs through
//!   `lint::lint_source` with only that rule selected; the lines of the
//!   findings must equal the expectation, and the rendered output is
//!   snapshotted as `<rule-id>__<file>`. A file from which no pattern is
//!   extracted (its extractor is not built yet) is skipped with a message.
//!
//! Plus a consistency test: `rules/*.toml`, the `RULES` registry and the
//! fixture folders match one to one, and each rule's documented examples
//! behave as documented.
//!
//! Regenerate snapshots with `INSTA_UPDATE=always cargo test --test rules`
//! and review them with `cargo insta review` or `git diff`.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cfglint::lint::{self, LintOptions};
use cfglint::report::human::{HumanOptions, render_with};
use cfglint::report::{Sources, Summary};
use cfglint::rules;
use cfglint::source::{Flags, Flavor, Semantics, SourceFile};

/// Rules implemented elsewhere, whose fixtures wait for them: the
/// backtracking analysis brings CL001 and CL002. Remove a code from here
/// when its rule joins `rules::RULES`.
const PENDING: &[&str] = &[];

/// Rules emitted by the pipeline rather than listed in `RULES`.
const PIPELINE: &[&str] = &["CL009", "CL100", "CL101", "CL102"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules")
}

/// The fixture folders, sorted.
fn folders() -> Vec<(String, PathBuf)> {
    let mut v: Vec<(String, PathBuf)> = std::fs::read_dir(root())
        .expect("fixtures/rules exists")
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    v.sort();
    v
}

fn options(code: &str) -> LintOptions {
    let mut opts = LintOptions::default();
    opts.rules.select = vec![code.to_owned()];
    opts
}

fn human() -> HumanOptions {
    HumanOptions { color: false, unicode: true, width: 100 }
}

/// Snapshot `text` with the PCRE2 version masked. A build without the
/// `pcre2` feature snapshots output that says so ("built without PCRE2")
/// as `<name>@no-pcre2`; output it shares with the default build is
/// compared with the same snapshot.
fn snapshot(name: &str, text: &str) {
    let text = match cfglint::engine::pcre2_version() {
        Some(v) => text.replace(&v, "[pcre2-version]"),
        None => text.to_owned(),
    };
    let suffix = if !cfg!(feature = "pcre2") && text.contains("built without PCRE2") { "no-pcre2" } else { "" };
    insta::with_settings!({
        snapshot_path => Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/rules"),
        prepend_module_to_snapshot => false,
        omit_expression => true,
        snapshot_suffix => suffix,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

/// One line of `cases.txt`.
struct Case {
    line: usize,
    bad: bool,
    flavor: Flavor,
    semantics: Semantics,
    flags: Flags,
    pattern: String,
}

fn parse_cases(path: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(path).expect("cases.txt is readable");
    let mut cases = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (verdict, rest) =
            line.split_once(char::is_whitespace).unwrap_or_else(|| panic!("{}:{}: no flavor", path.display(), i + 1));
        let rest = rest.trim_start();
        let (spec, pattern) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let (spec, flags) = spec.split_once('+').unwrap_or((spec, ""));
        let (flavor, semantics) = spec.split_once('/').unwrap_or((spec, "search"));
        let semantics = match semantics {
            "search" => Semantics::Search,
            "anchored-start" => Semantics::AnchoredStart,
            "full-match" => Semantics::FullMatch,
            other => panic!("{}:{}: unknown semantics `{other}`", path.display(), i + 1),
        };
        let bad = match verdict {
            "bad" => true,
            "good" => false,
            other => panic!("{}:{}: expected bad or good, not `{other}`", path.display(), i + 1),
        };
        cases.push(Case {
            line: i + 1,
            bad,
            flavor: flavor.parse().unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), i + 1)),
            semantics,
            flags: Flags::from_letters(flags),
            pattern: pattern.trim_start().to_owned(),
        });
    }
    cases
}

fn render_findings(
    path: &str,
    text: &str,
    findings: &[cfglint::finding::Finding],
    files: usize,
    regexes: usize,
) -> String {
    let mut sources = Sources::default();
    sources.insert(path, Arc::from(text));
    let summary = Summary { files, regexes, findings: findings.len(), elapsed_ms: 0, unreadable: 0, ignored: 0 };
    render_with(findings, &summary, &sources, human())
}

#[test]
fn pattern_cases() {
    let mut failures = Vec::new();
    for (id, dir) in folders() {
        let cases_path = dir.join("cases.txt");
        if !cases_path.exists() {
            continue;
        }
        let meta = rules::lookup(&id).unwrap_or_else(|| panic!("fixtures/rules/{id}: no such rule"));
        if PENDING.contains(&meta.code.as_str()) {
            continue;
        }
        let opts = options(&meta.code);
        let mut out = String::new();
        for case in parse_cases(&cases_path) {
            let r = lint::lint_pattern(&case.pattern, case.flavor, case.flags, case.semantics, &opts);
            let fired = r.findings.iter().any(|f| f.code == meta.code);
            if fired != case.bad {
                failures.push(format!(
                    "fixtures/rules/{id}/cases.txt:{}: `{}` ({}) should {}fire {}",
                    case.line,
                    case.pattern,
                    case.flavor,
                    if case.bad { "" } else { "not " },
                    meta.code
                ));
            }
            let semantics = match case.semantics {
                Semantics::Search => "search",
                Semantics::AnchoredStart => "anchored-start",
                Semantics::FullMatch => "full-match",
            };
            let flags = if case.flags.is_empty() { String::new() } else { format!("+{}", case.flags.to_letters()) };
            let _ = writeln!(
                out,
                "──── line {}: {} {}/{semantics}{flags}: {}",
                case.line,
                if case.bad { "bad" } else { "good" },
                case.flavor,
                case.pattern
            );
            if !r.findings.is_empty() {
                out.push_str(&render_findings(lint::COMMAND_LINE, &case.pattern, &r.findings, 0, 1));
            }
        }
        snapshot(&format!("{id}__cases.txt"), &out);
    }
    assert!(failures.is_empty(), "cases that misbehave:\n{}", failures.join("\n"));
}

/// Header directives of a config fixture.
struct Header {
    flavor: Option<Flavor>,
    expect: Option<BTreeSet<usize>>,
}

fn header(text: &str) -> Header {
    let mut h = Header { flavor: None, expect: None };
    for line in text.lines().take_while(|l| l.starts_with('#')) {
        let line = line.trim_start_matches('#').trim();
        if let Some(opts) = line.strip_prefix("options:") {
            for opt in opts.split_whitespace() {
                if let Some(f) = opt.strip_prefix("flavor=") {
                    h.flavor = Some(f.parse().expect("a known flavor"));
                }
            }
        } else if let Some(lines) = line.strip_prefix("expect:") {
            let lines = lines.trim();
            h.expect = Some(if lines == "none" {
                BTreeSet::new()
            } else {
                lines.split_whitespace().map(|n| n.parse().expect("line numbers")).collect()
            });
        }
    }
    h
}

#[test]
fn config_fixtures() {
    let mut failures = Vec::new();
    let mut skipped = Vec::new();
    for (id, dir) in folders() {
        let meta = rules::lookup(&id).unwrap_or_else(|| panic!("fixtures/rules/{id}: no such rule"));
        if PENDING.contains(&meta.code.as_str()) {
            continue;
        }
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("readable")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "cases.txt"))
            .collect();
        files.sort();
        for path in files {
            let name = path.file_name().expect("a file").to_string_lossy().into_owned();
            let shown = format!("fixtures/rules/{id}/{name}");
            let text = std::fs::read_to_string(&path).expect("readable fixture");
            assert!(text.starts_with('#'), "{shown}: must open with a comment saying what fires where");
            let h = header(&text);
            let mut opts = options(&meta.code);
            opts.extract.flavor = h.flavor;
            let file = SourceFile::new(&shown, text.as_str());
            let r = lint::lint_source(&file, &opts);
            if r.extraction.patterns.is_empty() && r.extraction.problems.is_empty() {
                skipped.push(shown);
                continue;
            }
            if let Some(expect) = &h.expect {
                let got: BTreeSet<usize> = r.findings.iter().map(|f| f.line).collect();
                if &got != expect {
                    failures.push(format!("{shown}: findings on lines {got:?}, expected {expect:?}"));
                }
            }
            let out = render_findings(&shown, &text, &r.findings, 1, r.extraction.patterns.len());
            snapshot(&format!("{id}__{name}"), &out);
        }
    }
    if !skipped.is_empty() {
        // Extractors for these formats are not built yet; the snapshots
        // appear (and must be reviewed) once they are.
        #[allow(clippy::print_stderr)] // shown with --nocapture: what waits for an extractor
        {
            eprintln!("no patterns extracted, skipped: {}", skipped.join(", "));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn rules_docs_registry_and_fixtures_match() {
    let registry = rules::registry();
    let codes: BTreeSet<&str> = registry.iter().map(|m| m.code.as_str()).collect();
    let ids: BTreeSet<&str> = registry.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(codes.len(), registry.len(), "rule codes are unique");
    assert_eq!(ids.len(), registry.len(), "rule ids are unique");

    // RULES, in code order, plus the pipeline's and the pending rules,
    // cover the registry exactly once.
    let in_rules: Vec<&str> = rules::RULES.iter().map(|r| r.meta().code.as_str()).collect();
    let mut sorted = in_rules.clone();
    sorted.sort_unstable();
    assert_eq!(in_rules, sorted, "RULES is in code order");
    let mut all: Vec<&str> =
        in_rules.iter().chain(PIPELINE).chain(PENDING.iter().filter(|c| !in_rules.contains(c))).copied().collect();
    all.sort_unstable();
    let before = all.len();
    all.dedup();
    assert_eq!(before, all.len(), "a rule is listed twice (RULES, PIPELINE, PENDING)");
    assert_eq!(all.into_iter().collect::<BTreeSet<_>>(), codes, "RULES + pipeline + pending == rules/*.toml");

    // One fixture folder per rule, named by id.
    let dirs: BTreeSet<String> = folders().into_iter().map(|(n, _)| n).collect();
    let expected: BTreeSet<String> = ids.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(dirs, expected, "fixtures/rules/* and rules/*.toml match one to one");
    for id in &dirs {
        let dir = root().join(id);
        let n = std::fs::read_dir(&dir).expect("readable").count();
        assert!(n > 0, "fixtures/rules/{id} is empty");
    }
}

#[test]
fn documented_examples_behave_as_documented() {
    let mut failures = Vec::new();
    for rule in rules::RULES {
        let meta = rule.meta();
        let opts = options(&meta.code);
        for ex in &meta.examples {
            let flavor = ex.flavor.unwrap_or(Flavor::Pcre);
            let semantics = ex.semantics.unwrap_or_default();
            for (pattern, bad) in [(&ex.bad, true), (&ex.good, false)] {
                let Some(pattern) = pattern else { continue };
                let r = lint::lint_pattern(pattern, flavor, Flags::default(), semantics, &opts);
                let fired = r.findings.iter().any(|f| f.code == meta.code);
                if fired != bad {
                    failures.push(format!(
                        "rules/{}.toml: example `{pattern}` ({flavor}) is documented as {} but {}",
                        meta.id,
                        if bad { "bad" } else { "good" },
                        if fired { "fires" } else { "does not fire" }
                    ));
                }
            }
        }
        assert!(
            meta.examples.iter().any(|e| e.bad.is_some()) && meta.examples.iter().any(|e| e.good.is_some()),
            "rules/{}.toml needs a bad and a good example",
            meta.id
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
