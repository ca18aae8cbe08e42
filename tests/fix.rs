//! `cfglint fix` and the `fix` object of CL001/CL002 findings: proven
//! rewrites written back byte-exact in each file format, and a differential
//! check of every fix on the shared corpus against PCRE2 and Python `re`.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use cfglint::fix;
use cfglint::lint::{self, LintOptions};
use cfglint::source::SourceFile;

fn redos_only() -> LintOptions {
    let mut opts = LintOptions::default();
    opts.rules.select = vec!["CL001".into(), "CL002".into()];
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
        ("c.toml", "[[rules]]\nid = \"a\"\nregex = '''x\\s*\\s*y'''\n", "'''x\\s*y'''"),
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

#[test]
fn the_2019_shape_loses_its_redundant_wildcards() {
    let (new, fixes) = fixed("w.yaml", "rules:\n  - id: a\n    pattern: '.*(?:.*=.*)'\n");
    assert_eq!(fixes[0].pattern, "(?:=.*)");
    assert!(new.contains("pattern: '(?:=.*)'"), "{new}");
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
    assert!(stdout.contains("would fix 1 pattern(s) in 1 file(s)"), "{stdout}");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), text);
}

#[test]
fn cli_fix_rewrites_in_place_keeping_mode_and_symlinks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let real = dir.path().join("real.yaml");
    let text = "# keep me\nrules:\n  - id: a\n    pattern: \"x\\\\s*\\\\s*y\"  # and me\n";
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
    assert_eq!(new, "# keep me\nrules:\n  - id: a\n    pattern: \"x\\\\s*y\"  # and me\n");
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

fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if p.join("configs").is_dir() {
        Some(p)
    } else {
        println!("skipped: ../shared/corpus is absent");
        None
    }
}
