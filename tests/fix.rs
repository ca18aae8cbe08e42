//! `cfglint fix` and the `fix` object of CL001/CL002 findings: proven
//! rewrites written back byte-exact in each file format, and a differential
//! check of every fix on the shared corpus against PCRE2 and Python `re`.

#![allow(clippy::print_stdout)] // the corpus tests say what they skipped and measured

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use cfglint::fix;
use cfglint::lint::{self, LintOptions};
use cfglint::source::{Flavor, SourceFile};

fn redos_only() -> LintOptions {
    let mut opts = LintOptions::default();
    opts.rules.select = vec!["CL001".into(), "CL002".into()];
    opts.rules.fixes = true;
    // The fix search is slow in test builds: no finding may turn into a
    // "run budget exhausted" CL008 and drop out of the counts.
    opts.rules.run_budget = Some(std::time::Duration::from_secs(24 * 3600));
    opts
}

/// Lint `text` as `name`, apply every fix, and return the new text.
fn fixed(name: &str, text: &str) -> (String, Vec<fix::Fix>) {
    let file = SourceFile::new(name, text);
    let opts = redos_only();
    let result = lint::lint_source(&file, &opts);
    let fixes: Vec<fix::Fix> = result.findings.iter().filter_map(|f| f.fix.clone()).collect();
    assert!(!fixes.is_empty(), "{name}: no fix in {:#?}", result.findings);
    let refs: Vec<&fix::Fix> = fixes.iter().collect();
    let new = fix::apply(&file, &refs, &opts.extract).expect("applies").expect("changes something");
    // The edited file lints clean of CL001/CL002 and keeps every pattern.
    let again = lint::lint_source(&SourceFile::new(name, new.as_str()), &opts);
    assert!(again.findings.is_empty(), "{name}: still {:#?}", again.findings);
    assert_eq!(again.extraction.patterns.len(), result.extraction.patterns.len());
    (new, fixes)
}

#[test]
fn fixes_are_written_in_each_format_s_own_quoting() {
    // JSON doubles backslashes; YAML double quotes too; YAML single quotes,
    // TOML literal strings and SecLang keep them.
    let cases = [
        ("rules.json", "{\"rules\": [{\"id\": \"a\", \"pattern\": \"x\\\\s*\\\\s*y\"}]}\n", "\"x\\\\s*y\""),
        ("waf.yaml", "rules:\n  - id: a\n    pattern: \"x\\\\s*\\\\s*y\"\n", "\"x\\\\s*y\""),
        ("waf2.yaml", "rules:\n  - id: a\n    pattern: 'x\\s*\\s*y'\n", "'x\\s*y'"),
        ("c.toml", "[matcher]\npattern = '''x\\s*\\s*y'''\n", "'''x\\s*y'''"),
        ("r.conf", "SecRule ARGS \"@rx x\\s*\\s*y\" \"id:1,phase:2,deny\"\n", "\"@rx x\\s*y\""),
    ];
    for (name, text, want) in cases {
        let (new, fixes) = fixed(name, text);
        assert!(new.contains(want), "{name}: {new}");
        assert_eq!(fixes[0].pattern, "x\\s*y", "{name}");
        assert_eq!(fixes[0].proof.equivalent, "dfa");
        assert!(fixes[0].proof.linear && fixes[0].proof.states > 0);
        // Only the pattern's bytes changed.
        let span = fixes[0].span;
        assert_eq!(&new[..span.start], &text[..span.start], "{name}");
        assert!(new.ends_with(&text[span.end..]), "{name}");
    }
}

/// A fix may add a backslash the pattern never had (`\\A`, `\\n`): each
/// format gets the spelling that reads back as the fixed pattern.
#[test]
fn a_backslash_the_original_never_had_is_spelled_for_the_format() {
    let want = "(?:\\A|\\n)[^\\nu]*(?:u(?:[^\\nnu][^\\nu]*|n(?:[^\\niu][^\\nu]*|i(?:[^\\nou][^\\nu]*|o(?:[^\\nnu][^\\nu]*)?)?)?)?)*union";
    let cases = [
        ("waf.yaml", "rules:\n  - id: a\n    pattern: \"union.*?select.*?from\"\n", true),
        ("rules.json", "{\"rules\": [{\"id\": \"a\", \"pattern\": \"union.*?select.*?from\"}]}\n", true),
        ("waf2.yaml", "rules:\n  - id: a\n    pattern: 'union.*?select.*?from'\n", false),
        ("r.conf", "SecRule ARGS \"@rx union.*?select.*?from\" \"id:1,phase:2,deny\"\n", false),
    ];
    for (name, text, doubled) in cases {
        let (new, fixes) = fixed(name, text);
        // ModSecurity runs PCRE with dot-all: the scan is over every
        // character there, and the fix starts with `\A` alone.
        let want = if name == "r.conf" { "\\A[^u]*(?:u(?:" } else { want };
        assert!(fixes[0].pattern.starts_with(want), "{name}: {}", fixes[0].pattern);
        let spelled = if doubled { fixes[0].pattern.replace('\\', "\\\\") } else { fixes[0].pattern.clone() };
        assert!(new.contains(&spelled), "{name}: {new}");
    }
}

#[test]
fn the_2019_shape_loses_its_redundant_wildcards() {
    let (new, fixes) = fixed("w.yaml", "rules:\n  - id: a\n    pattern: '.*(?:.*=.*)'\n");
    assert_eq!(fixes[0].pattern, "(?:=.*)");
    assert!(new.contains("pattern: '(?:=.*)'"), "{new}");
}

#[test]
fn yaml_double_quoted_value_with_a_trailing_comment_keeps_the_comment() {
    // The fix replaces the pattern's bytes, never the closing quote or the
    // comment after it.
    let text = "rules:\n  - id: a\n    pattern: \"x\\\\s*\\\\s*y\" # note\n";
    let (new, fixes) = fixed("c.yaml", text);
    assert_eq!(new, "rules:\n  - id: a\n    pattern: \"x\\\\s*y\" # note\n");
    assert_eq!(&text[fixes[0].span.start..fixes[0].span.end], "x\\\\s*\\\\s*y");
    // The same with a `#` inside the quoted pattern.
    let text = "rules:\n  - id: a\n    pattern: \"#x\\\\s*\\\\s*y\" # note \"q\"\n";
    let (new, _) = fixed("d.yaml", text);
    assert_eq!(new, "rules:\n  - id: a\n    pattern: \"#x\\\\s*y\" # note \"q\"\n");
}

#[test]
fn capture_using_kinds_get_no_fix() {
    // uap-core reads the groups ($1...), so language equivalence is not
    // enough: no fix is offered.
    let text = "user_agent_parsers:\n  - regex: 'x\\s*\\s*(y)'\n";
    let result = lint::lint_source(&SourceFile::new("regexes.yaml", text), &redos_only());
    assert!(!result.findings.is_empty(), "the pattern is vulnerable");
    assert!(result.findings.iter().all(|f| f.fix.is_none()));
}

fn bin() -> Command {
    let mut c = Command::cargo_bin("cfglint").expect("binary");
    c.env("NO_COLOR", "1");
    c
}

#[test]
fn cli_dry_run_prints_the_diff_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("waf.yaml");
    let text = "rules:\n  - id: a\n    pattern: 'x\\s*\\s*y'\n";
    std::fs::write(&path, text).expect("write");
    let out = bin().args(["fix", "--dry-run"]).arg(dir.path()).output().expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("-    pattern: 'x\\s*\\s*y'") && stdout.contains("+    pattern: 'x\\s*y'"), "{stdout}");
    assert!(stdout.contains("would fix 1 pattern(s) in 1 file(s), for 1 CL001/CL002 finding(s)"), "{stdout}");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), text);
}

#[test]
fn cli_fix_rewrites_in_place_keeping_mode_and_symlinks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let real = dir.path().join("real.yaml");
    let text = "# keep me\nrules:\n  - id: a\n    pattern: \"x\\\\s*\\\\s*y\"\n    # and me\n";
    std::fs::write(&real, text).expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        std::os::unix::fs::symlink(&real, dir.path().join("link.yaml")).expect("symlink");
    }
    let out = bin().arg("fix").arg(dir.path().join(if cfg!(unix) { "link.yaml" } else { "real.yaml" })).output();
    let out = out.expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let new = std::fs::read_to_string(&real).expect("read");
    assert_eq!(new, "# keep me\nrules:\n  - id: a\n    pattern: \"x\\\\s*y\"\n    # and me\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(&real).expect("meta");
        assert_eq!(meta.permissions().mode() & 0o777, 0o640);
        assert!(std::fs::symlink_metadata(dir.path().join("link.yaml")).expect("meta").file_type().is_symlink());
    }
    // Nothing left to fix, and no temporary file left behind.
    let out = bin().arg("fix").arg(dir.path()).output().expect("runs");
    assert!(String::from_utf8_lossy(&out.stdout).contains("fixed 0 pattern(s)"));
    let names: Vec<_> = std::fs::read_dir(dir.path()).expect("ls").map(|e| e.expect("entry").file_name()).collect();
    assert_eq!(names.len(), if cfg!(unix) { 2 } else { 1 }, "{names:?}");
}

#[test]
fn json_findings_carry_the_fix() {
    let out = bin().args(["regex", "x\\s*\\s*y", "--format", "json"]).output().expect("runs");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let fix = &doc["findings"][0]["fix"];
    assert_eq!(fix["pattern"], "x\\s*y", "{doc:#}");
    assert_eq!(fix["replacement"], "x\\s*y");
    assert_eq!(fix["proof"]["equivalent"], "dfa");
    assert_eq!(fix["proof"]["linear"], true);
}

/// A fix may use characters the pattern never spelled (`_`, `,`): on the
/// command line nothing needs escaping; in a file the re-extraction check
/// refuses a spelling that reads back differently.
#[test]
fn command_line_fixes_may_add_any_character() {
    let out = bin().args(["regex", ";\\W*?shutdown", "--format", "json"]).output().expect("runs");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let f = &doc["findings"][0];
    assert_eq!(f["fix"]["pattern"], ";[^0-9;A-Z_a-z]*?shutdown", "{doc:#}");
    assert_eq!(f["fix"]["replacement"], ";[^0-9;A-Z_a-z]*?shutdown");
    assert!(f.get("no_fix").is_none(), "{f:#}");
}

/// A finding with no proven fix says why, as data and under `note:`.
#[test]
fn findings_without_a_fix_say_why() {
    let out = bin().args(["regex", "(a|a)*\\1b", "--format", "json"]).output().expect("runs");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let f = &doc["findings"][0];
    assert!(f.get("fix").is_none(), "{f:#}");
    let why = f["no_fix"].as_str().unwrap_or_else(|| panic!("no `no_fix` in {f:#}"));
    assert!(why.contains("backreference"), "{why}");
    let out = bin().args(["regex", "(a|a)*\\1b"]).output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("note: no proven fix: "), "{text}");
    // Without the search for fixes, nothing is said about them.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("waf.yaml"), "rules:\n  - id: a\n    pattern: '(a|a)*\\1b'\n").expect("write");
    let out = bin()
        .current_dir(dir.path())
        .args(["check", "--no-config", "--format", "json", "waf.yaml"])
        .output()
        .expect("runs");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(doc["findings"][0].get("no_fix").is_none(), "{doc:#}");
}

/// A regex-assembly line the assembled rule does not search on its own
/// keeps its exact language, and its `no_fix` says so.
#[test]
fn spliced_fragments_say_they_need_their_exact_language() {
    // An include file is pasted into rules this file does not know.
    let file = SourceFile::new("regex-assembly/include/999001.ra", "\\W*?\\bdrop\\b\n");
    let result = lint::lint_source(&file, &redos_only());
    let f = result.findings.iter().find(|f| f.code == "CL002").unwrap_or_else(|| panic!("{:#?}", result.findings));
    assert!(f.fix.is_none(), "{f:#?}");
    let why = f.no_fix.as_deref().unwrap_or_default();
    assert!(why.starts_with("exact language required: this crs-regex-assembly fragment"), "{why}");
    // The same line searched on its own gets a fix.
    let file = SourceFile::new("regex-assembly/999002.ra", ";\\W*?\\bdrop\\b\n");
    let result = lint::lint_source(&file, &redos_only());
    assert!(result.findings.iter().any(|f| f.fix.is_some()), "{:#?}", result.findings);
}

/// A line inside an `##!> assemble` block stands in a branch of the rule
/// with the block's other segments around it (CRS 942360's shape): it is
/// analysed as that branch, and fixed in it. The blow-up of the keyword
/// lines comes from the segment before them: it is reported once, on that
/// segment's line, and one edit there fixes every branch.
#[test]
fn a_line_inside_a_block_is_analysed_and_fixed_as_its_branch() {
    let name = "regex-assembly/999006.ra";
    let text = "##!+ i\n##!> assemble\n  ^(?:json\\.)?[\\W\\d]+\\s*?\n  ##!=>\n  create\\s+\\w+\n  delete\\s+\\w+\n  drop\\s+\\w+\n##!<\n";
    let file = SourceFile::new(name, text);
    let result = lint::lint_source(&file, &redos_only());
    let lines: Vec<usize> = result.findings.iter().map(|f| f.line).collect();
    assert_eq!(lines, [3], "{:#?}", result.findings);
    let f = &result.findings[0];
    assert_eq!(
        f.pattern.as_deref(),
        Some("(?:^(?:json\\.)?[\\W\\d]+\\s*?)(?:create\\s+\\w+|delete\\s+\\w+|drop\\s+\\w+)")
    );
    let fix = f.fix.as_ref().unwrap_or_else(|| panic!("no fix: {:?}", f.no_fix));
    assert_eq!(fix.pattern, "^(?:json\\.)?[\\W\\d]+");
    assert!(fix.steps.iter().any(|s| s.starts_with("proven on the branch")), "{:?}", fix.steps);
    let (new, _) = fixed(name, text);
    assert!(new.contains("\n  ^(?:json\\.)?[\\W\\d]+\n  ##!=>\n"), "{new}");
}

/// Read bare, none of these lines blows up on its own the way the rule
/// does (CRS 934200): the branch `\{\{[^}]*?(?:\*)[^}]*?\}\}` is cubic. The
/// loops are on the first and last segments' lines, which report it.
#[test]
fn a_blow_up_from_other_lines_of_a_block_is_reported_on_those_lines() {
    let text = "##!> assemble\n  \\{\\{[^}]*?\n  ##!=>\n  \\*\n  __\n  \\(\n  ##!=>\n  [^}]*?\\}\\}\n##!<\n";
    let file = SourceFile::new("regex-assembly/999007.ra", text);
    let result = lint::lint_source(&file, &redos_only());
    let got: Vec<(usize, Option<u32>)> =
        result.findings.iter().map(|f| (f.line, f.evidence.as_ref().and_then(|e| e.degree))).collect();
    assert_eq!(got, [(2, Some(3)), (8, Some(3))], "{:#?}", result.findings);
}

/// The blow-up of a regex-assembly rule is often in its `##!^` prefix,
/// which starts every branch `PREFIX(?:line)`: no edit of a line can fix
/// it. The fix rewrites the prefix line, proven to keep every is-match
/// answer of the assembled rule whatever its lines are, and is offered on
/// the prefix's finding and on every branch it makes linear: one edit.
#[test]
fn a_blow_up_in_a_regex_assembly_prefix_is_fixed_in_the_prefix() {
    for (name, text, want) in [
        // CRS 942131: a lazy scan that every search position retries.
        (
            "regex-assembly/999003.ra",
            "##!^ [\\s'\"`()]*?\\b(\\w+)\\b[\\s'\"`()]*?\n##!+ i\n\\!=\n<>\nis\\s+not\n",
            "##!^ \\b(\\w+)\\b[\\s'\"`()]*?\n",
        ),
        // CRS 932300: stop at the first CRLF (crs-toolchain has no atomic
        // groups, so the regular form).
        (
            "regex-assembly/999004.ra",
            "##!^ \\r\\n.*?\\b\nEHLO\\s[a-z.-]{1,255}\nSTARTTLS\\b\n",
            "##!^ \\A[^\\r]*(?:\\r(?:[^\\n\\r][^\\r]*)?)*\\r\\n.*?\\b\n",
        ),
    ] {
        let file = SourceFile::new(name, text);
        let result = lint::lint_source(&file, &redos_only());
        let redos: Vec<_> = result.findings.iter().filter(|f| f.code == "CL002" || f.code == "CL001").collect();
        assert!(redos.len() >= 3, "{name}: {redos:#?}");
        for f in &redos {
            let fix = f.fix.as_ref().unwrap_or_else(|| panic!("{name}: no fix for {:?}: {:?}", f.key, f.no_fix));
            // One edit, on the prefix line, for every finding.
            assert_eq!(
                &text[fix.span.start..fix.span.end],
                redos[0].fix.as_ref().map_or("", |x| &text[x.span.start..x.span.end])
            );
            assert!(text[..fix.span.start].ends_with("##!^ "), "{name}: {fix:?}");
            assert_eq!(fix.edits.is_some(), f.key.as_deref() != Some("prefix[0]"), "{name}: {fix:?}");
        }
        let (new, _) = fixed(name, text);
        assert!(new.starts_with(want), "{name}: {new}");
        // `cfglint fix` makes the one edit and counts what it fixes.
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("regex-assembly")).expect("mkdir");
        std::fs::write(dir.path().join(name), text).expect("write");
        let out = bin().current_dir(dir.path()).args(["fix", "--no-config", "--dry-run", name]).output().expect("runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let summary = format!("would fix 1 pattern(s) in 1 file(s), for {} CL001/CL002 finding(s)", redos.len());
        assert!(stdout.contains(&summary), "{stdout}");
    }
}

/// A regex-assembly line has no quoting: a fix may use characters the line
/// only had inside a `{{NAME}}` definition, written out (CRS 942180).
#[test]
fn regex_assembly_fixes_write_out_the_definitions_they_replace() {
    let text =
        "##!+ i\n##!> define open-comment (?:/\\*)\n##!> define quotes [\\\"'`]\n\n{{open-comment}}+{{quotes}}+\\s?\n";
    let (new, fixes) = fixed("regex-assembly/999005.ra", text);
    assert_eq!(fixes[0].pattern, "(?:/\\*)[\\\"'`]+", "{fixes:?}");
    assert!(new.ends_with("\n(?:/\\*)[\\\"'`]+\n"), "{new}");
}

/// SARIF carries each proven fix as a `fixes` object (SARIF 2.1.0 §3.55):
/// applying its one replacement to the file gives the fixed file.
#[test]
fn sarif_results_carry_the_fix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = "# é\nrules:\n  - id: a\n    pattern: \"x\\\\s*\\\\s*y\" # note\n";
    std::fs::write(dir.path().join("waf.yaml"), text).expect("write");
    let out = bin()
        .current_dir(dir.path())
        .args(["check", "--suggest-fixes", "--no-config", "--format", "sarif", "waf.yaml"])
        .output()
        .expect("runs");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("sarif");
    let result = &doc["runs"][0]["results"][0];
    let fixes = result["fixes"].as_array().unwrap_or_else(|| panic!("no fixes in {result:#}"));
    assert_eq!(fixes.len(), 1);
    assert!(fixes[0]["description"]["text"].as_str().is_some_and(|t| t.contains("x\\s*y")), "{fixes:?}");
    let changes = fixes[0]["artifactChanges"].as_array().expect("artifactChanges");
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["artifactLocation"]["uri"], "waf.yaml");
    let replacements = changes[0]["replacements"].as_array().expect("replacements");
    assert_eq!(replacements.len(), 1);
    let region = &replacements[0]["deletedRegion"];
    let start = usize::try_from(region["byteOffset"].as_u64().expect("byteOffset")).expect("usize");
    let len = usize::try_from(region["byteLength"].as_u64().expect("byteLength")).expect("usize");
    let inserted = replacements[0]["insertedContent"]["text"].as_str().expect("insertedContent");
    let applied = format!("{}{inserted}{}", &text[..start], &text[start + len..]);
    assert_eq!(applied, "# é\nrules:\n  - id: a\n    pattern: \"x\\\\s*y\" # note\n");
    // Lines and columns (code points, end exclusive) name the same bytes.
    assert_eq!((region["startLine"].as_u64(), region["startColumn"].as_u64()), (Some(4), Some(15)), "{region}");
    assert_eq!((region["endLine"].as_u64(), region["endColumn"].as_u64()), (Some(4), Some(25)), "{region}");
}

fn corpus() -> Option<PathBuf> {
    common::shared_corpus().filter(|p| p.join("configs").is_dir())
}

/// Inputs for the differential check: CRS payload values and User-Agent
/// strings from the shared corpus (a sample, to keep the test quick).
fn corpus_inputs(root: &Path) -> Vec<String> {
    let mut inputs = Vec::new();
    if let Ok(tsv) = std::fs::read_to_string(root.join("inputs/crs-payloads.tsv")) {
        inputs.extend(tsv.lines().skip(1).filter_map(|l| l.splitn(4, '\t').nth(3)).step_by(7).map(str::to_owned));
    }
    if let Ok(dir) = std::fs::read_dir(root.join("inputs/user-agents")) {
        for e in dir.flatten() {
            if let Ok(t) = std::fs::read_to_string(e.path()) {
                inputs.extend(t.lines().step_by(53).map(str::to_owned));
            }
        }
    }
    inputs.truncate(600);
    inputs
}

/// Random and mutated strings: pieces of the two patterns' own text (so
/// their literals occur), the finding's attack, and a few separators.
fn generated_inputs(a: &str, b: &str, attack: Option<&str>, seed: u64) -> Vec<String> {
    let mut state = seed | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut alphabet: Vec<char> = a.chars().chain(b.chars()).collect();
    alphabet.extend(['\n', ' ', '=', 'a', '0', '"', '\'', ';', '-', '\t', 'é']);
    let mut out = Vec::new();
    for _ in 0..300 {
        let len = (next() % 24) as usize;
        out.push((0..len).map(|_| alphabet[(next() % alphabet.len() as u64) as usize]).collect());
    }
    if let Some(attack) = attack {
        let chars: Vec<char> = attack.chars().collect();
        for _ in 0..100 {
            let mut m = chars.clone();
            for _ in 0..=(next() % 3) {
                if m.is_empty() {
                    break;
                }
                let at = (next() % m.len() as u64) as usize;
                match next() % 3 {
                    0 => {
                        m.remove(at);
                    }
                    1 => m.insert(at, alphabet[(next() % alphabet.len() as u64) as usize]),
                    _ => m[at] = alphabet[(next() % alphabet.len() as u64) as usize],
                }
            }
            out.push(m.into_iter().collect());
        }
        out.push(attack.to_owned());
    }
    out
}

/// Is-match answers of Python `re` for every (pattern, flags, input), in one
/// subprocess. `None` where Python rejects the pattern.
fn python_answers(cases: &[(String, String, Vec<String>)]) -> Option<Vec<Option<Vec<bool>>>> {
    let script = r"
import json, re, sys
out = []
for pattern, flags, inputs in json.load(sys.stdin):
    f = 0
    for c in flags:
        f |= {'i': re.I, 'm': re.M, 's': re.S, 'x': re.X, 'a': re.A}.get(c, 0)
    try:
        r = re.compile(pattern, f)
    except Exception:
        out.append(None)
        continue
    out.append([r.search(s) is not None for s in inputs])
json.dump(out, sys.stdout)
";
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    let payload = serde_json::to_vec(cases).expect("json");
    {
        use std::io::Write;
        child.stdin.take().expect("stdin").write_all(&payload).expect("write to python");
    }
    let out = child.wait_with_output().ok()?;
    serde_json::from_slice(&out.stdout).ok()
}

/// A PCRE pattern in Python's dialect for its end anchors: PCRE's `\z`
/// (the very end) is Python's `\Z`, and PCRE's `\Z` (the end or before a
/// final newline) is `(?=\n?\Z)`.
fn python_dialect(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('z') => out.push_str("\\Z"),
            Some('Z') => out.push_str("(?=\\n?\\Z)"),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn letters(flags: cfglint::source::Flags) -> String {
    let mut s = String::new();
    for (on, c) in [(flags.case_insensitive, 'i'), (flags.multi_line, 'm'), (flags.dot_all, 's'), (flags.extended, 'x')]
    {
        if on {
            s.push(c);
        }
    }
    s
}

/// The second witness: every fix produced on the shared corpus gives the
/// same is-match answer as the original on corpus inputs and on random and
/// mutated strings, on PCRE2 and on Python `re`. Prints the fix rate.
#[test]
fn corpus_fixes_keep_every_is_match_answer() {
    let Some(root) = corpus() else { return };
    let opts = redos_only();
    let (files, _) = lint::walk(&[root.join("configs")], &opts);
    let inputs = corpus_inputs(&root);
    let (mut findings, mut fixed) = (0usize, 0usize);
    let mut cases: Vec<(String, String, Vec<String>)> = Vec::new();
    let mut compared = 0usize;
    for path in &files {
        let Ok(file) = cfglint::source::load(path, opts.max_file_size) else { continue };
        let result = lint::lint_source(&file, &opts);
        for f in &result.findings {
            findings += 1;
            let Some(fx) = &f.fix else { continue };
            fixed += 1;
            let p = result
                .extraction
                .patterns
                .iter()
                .find(|p| fix::decoded_raw_span(p) == fx.span)
                .expect("the fix replaces an extracted pattern");
            // An exact-language proof (fragments) is checked whole-input.
            let wrap =
                |s: &str| if fx.proof.semantics == "full-match" { format!("\\A(?:{s})\\z") } else { s.to_owned() };
            let (old, new, seeds) = if fx.edits.is_some() || p.kind == cfglint::source::Kind::CrsRegexAssembly {
                // A regex-assembly line (or a fix in the file's prefix):
                // compare the finding's pattern (its branch of the rule)
                // as the edited file reads it.
                let text = fix::apply(&file, &[fx], &opts.extract).expect("applies").expect("changes the file");
                let again = cfglint::source::extract(&SourceFile::new(path.clone(), text.as_str()), &opts.extract);
                let branch = |ps: &[cfglint::source::ExtractedPattern]| {
                    ps.iter().find(|q| Some(&q.key) == f.key.as_ref()).map(|q| q.pattern.clone()).expect("the branch")
                };
                let (old, new) = (branch(&result.extraction.patterns), branch(&again.patterns));
                (wrap(&old), wrap(&new), (old, new))
            } else {
                (wrap(&p.pattern), wrap(&fx.pattern), (p.pattern.clone(), fx.pattern.clone()))
            };
            let attack = f.evidence.as_ref().and_then(|e| e.attack.as_ref()).map(|a| a.build(8));
            let mut subjects = inputs.clone();
            subjects.extend(generated_inputs(&seeds.0, &seeds.1, attack.as_deref(), fixed as u64 * 7919));
            #[cfg(feature = "pcre2")]
            for s in &subjects {
                let limits = cfglint::engine::pcre::Limits::default();
                let a = cfglint::engine::pcre::find_utf(&old, p.flags, s, limits);
                let b = cfglint::engine::pcre::find_utf(&new, p.flags, s, limits);
                if let (Ok(a), Ok(b)) = (&a, &b) {
                    assert_eq!(a.is_some(), b.is_some(), "PCRE2 disagrees on {s:?}: `{old}` vs `{new}`");
                    compared += 1;
                } else {
                    assert!(a.is_err(), "PCRE2 accepts `{old}` but not the fix `{new}`: {b:?}");
                }
            }
            let py = |s: &str| if p.flavor == Flavor::Python { s.to_owned() } else { python_dialect(s) };
            // Python reads `\w`, `\d`, `\s`, `\b` and case as Unicode; PCRE,
            // Java and Onigmo read them as ASCII, and so does `re.ASCII`.
            let mut flags = letters(p.flags);
            if matches!(p.flavor, Flavor::Pcre | Flavor::Java | Flavor::Onigmo) {
                flags.push('a');
            }
            cases.push((py(&old), flags.clone(), subjects.clone()));
            cases.push((py(&new), flags, subjects));
        }
    }
    if let Some(answers) = python_answers(&cases) {
        for (pair, ans) in cases.chunks(2).zip(answers.chunks(2)) {
            match (&ans[0], &ans[1]) {
                (Some(a), Some(b)) => {
                    for ((s, x), y) in pair[0].2.iter().zip(a).zip(b) {
                        assert_eq!(x, y, "Python re disagrees on {s:?}: `{}` vs `{}`", pair[0].0, pair[1].0);
                        compared += 1;
                    }
                }
                (Some(_), None) => panic!("Python accepts `{}` but not the fix `{}`", pair[0].0, pair[1].0),
                _ => {}
            }
        }
    } else {
        println!("python3 not available: Python `re` half skipped");
    }
    println!(
        "corpus: {fixed} of {findings} CL001/CL002 findings have a proven fix ({:.0}%); {compared} is-match answers compared, 0 differ",
        100.0 * fixed as f64 / findings.max(1) as f64
    );
}

/// The fix rate on the shared configs, and why each unfixed finding has no
/// fix, grouped (run with `--ignored --nocapture` when working on the
/// rewrites). One line per finding (kind, code, reason, pattern), then the
/// groups: kinds whose consumer reads capture groups, CRS regex-assembly
/// fragments (exact-language proofs) and the rest.
#[test]
#[ignore = "diagnostic listing, not a check"]
fn corpus_unfixed_reasons() {
    let Some(root) = corpus() else {
        println!("skipped: ../shared/corpus absent");
        return;
    };
    let opts = redos_only();
    let (files, _) = lint::walk(&[root.join("configs")], &opts);
    let mut groups: std::collections::BTreeMap<(String, String), usize> = std::collections::BTreeMap::new();
    let (mut findings, mut fixed) = (0usize, 0usize);
    for path in &files {
        let Ok(file) = cfglint::source::load(path, opts.max_file_size) else { continue };
        let result = lint::lint_source(&file, &opts);
        for f in &result.findings {
            findings += 1;
            let Some(p) = result.extraction.patterns.iter().find(|p| Some(&p.pattern) == f.pattern.as_ref()) else {
                continue;
            };
            let class = if fix::uses_captures(&p.kind) {
                "captures"
            } else if p.kind.is_fragment() {
                "fragment"
            } else {
                "other"
            };
            let why = if let Some(fx) = &f.fix {
                fixed += 1;
                format!("FIXED ({})", fx.proof.equivalent)
            } else {
                f.no_fix.clone().unwrap_or_default()
            };
            let short: String = p.pattern.chars().take(90).collect();
            println!("{}\t{}\t{why}\t{short}", p.kind.as_str(), f.code);
            // The group: the reason without its numbers, quoted text and details.
            let mut group: String = why.split(['(', ';']).next().unwrap_or_default().trim().to_owned();
            if class == "captures" && f.fix.is_none() {
                group = "captures: the kind reads capture groups".into();
            }
            let group: String = group.chars().map(|c| if c.is_ascii_digit() { 'N' } else { c }).collect();
            *groups.entry((class.to_owned(), group)).or_default() += 1;
        }
    }
    println!("\n{fixed} of {findings} CL001/CL002 findings have a proven fix");
    for ((class, group), n) in &groups {
        println!("{n:5}  {class:9} {group}");
    }
}

/// The first-occurrence rewrite (`\A(?>[\s\S]*?X)[\s\S]*?Y`) keeps every
/// is-match answer of the search-mode patterns it fixes, on PCRE2 and on
/// Python `re` (3.11+ reads atomic groups), on random and mutated strings
/// built from both patterns and the attack.
#[test]
fn first_occurrence_fixes_keep_every_is_match_answer() {
    use cfglint::source::{Flags, Flavor, Semantics};
    let settings = cfglint::verify::verdict::RedosSettings::default();
    let flags = Flags::from_letters("s");
    let mut cases: Vec<(String, String, Vec<String>)> = Vec::new();
    let mut compared = 0usize;
    for (k, p) in [
        "\\r\\n.*?\\b(?:EHLO\\s[a-z.-]{1,255})",
        "java\\b.+(?:runtime|processbuilder)",
        "(?i)ab.*c\\d",
        "\\r\\n.*?\\b(?:RSET\\b)",
        "xy[\\s\\S]*z",
    ]
    .into_iter()
    .enumerate()
    {
        let got = fix::prove(p, Flavor::Pcre, flags, Semantics::Search, None, &settings)
            .unwrap_or_else(|e| panic!("{p}: {e}"));
        assert_eq!(got.equivalent, "dfa+first-occurrence", "{p}");
        let mut subjects = generated_inputs(p, &got.pattern, None, 104_729 * (k as u64 + 1));
        // Occurrences of X with and without Y after them, across newlines.
        subjects.extend(
            ["\r\n\r\nEHLO a", "ab\nab\nc1", "java\nruntime", "java runtime", "xyz", "yxz\nxy", "ab c"]
                .map(str::to_owned),
        );
        #[cfg(feature = "pcre2")]
        for s in &subjects {
            let limits = cfglint::engine::pcre::Limits::default();
            let a = cfglint::engine::pcre::find_utf(p, flags, s, limits).expect("original compiles");
            let b = cfglint::engine::pcre::find_utf(&got.pattern, flags, s, limits).expect("fix compiles");
            assert_eq!(a.is_some(), b.is_some(), "PCRE2 disagrees on {s:?}: `{p}` vs `{}`", got.pattern);
            compared += 1;
        }
        cases.push((p.to_owned(), "s".into(), subjects.clone()));
        cases.push((got.pattern, "s".into(), subjects));
    }
    if let Some(answers) = python_answers(&cases) {
        for (pair, ans) in cases.chunks(2).zip(answers.chunks(2)) {
            let (Some(a), Some(b)) = (&ans[0], &ans[1]) else {
                println!("Python `re` rejects `{}` or `{}` (atomic groups need 3.11): skipped", pair[0].0, pair[1].0);
                continue;
            };
            for ((s, x), y) in pair[0].2.iter().zip(a).zip(b) {
                assert_eq!(x, y, "Python re disagrees on {s:?}: `{}` vs `{}`", pair[0].0, pair[1].0);
                compared += 1;
            }
        }
    }
    println!("first occurrence: {compared} is-match answers compared, 0 differ");
    assert!(compared > 0);
}
