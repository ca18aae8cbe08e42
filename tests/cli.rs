//! End-to-end tests of the `cfglint` binary, one case per file in
//! `fixtures/cli/*.toml` (typos' `tests/cmd` habit):
//!
//! ```toml
//! # what the case checks
//! args = ["regex", "a(b", "--flavor", "pcre"]
//! status = 1                      # the exit code
//! stdout = ["CL004 invalid-regex"] # substrings stdout must hold
//! stdout-not = ["CL006"]          # substrings it must not hold
//! stderr = []                     # substrings stderr must hold
//! stdout-json = true              # stdout must parse as JSON
//! snapshot = true                 # snapshot stdout as cli__<case>
//! cwd = "fixtures/cli/bad-config" # working directory (default: crate root)
//! needs-patterns = "fixtures/cli/project" # skip while nothing is extracted there
//! env = { CFGLINT_DEBUG_PANIC = "pattern:x" } # extra environment variables
//! debug-only = true               # skip in release builds (debug-only hooks)
//! needs-pcre2 = true              # skip without the `pcre2` feature (PCRE2 replay behaviour)
//! ```
//!
//! The binary runs with `NO_COLOR=1`; elapsed times, the version and the
//! PCRE2 version are masked in snapshots. A build without the `pcre2`
//! feature snapshots output that says so ("built without PCRE2") as
//! `cli__<case>@no-pcre2`; output it shares with the default build is
//! compared with the same snapshot.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct Case {
    args: Vec<String>,
    status: i32,
    #[serde(default)]
    stdout: Vec<String>,
    #[serde(default)]
    stdout_not: Vec<String>,
    #[serde(default)]
    stderr: Vec<String>,
    #[serde(default)]
    stdout_json: bool,
    #[serde(default)]
    snapshot: bool,
    cwd: Option<String>,
    needs_patterns: Option<String>,
    #[serde(default)]
    env: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    debug_only: bool,
    #[serde(default)]
    needs_pcre2: bool,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// True when the extractors find at least one pattern under `path`.
fn has_patterns(path: &str) -> bool {
    let report = cfglint::lint::lint_paths_extract_only(&[root().join(path)], &cfglint::lint::LintOptions::default());
    report.files.iter().any(|f| !f.extraction.patterns.is_empty())
}

/// Mask what changes from run to run or release to release.
fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for line in s.lines() {
        if let Some(i) = line.find("\"elapsed_ms\": ") {
            out.push_str(&line[..i]);
            out.push_str("\"elapsed_ms\": \"[ms]\"");
            if line.trim_end().ends_with(',') {
                out.push(',');
            }
        } else {
            let line = line.replace(env!("CARGO_PKG_VERSION"), "[version]");
            match cfglint::engine::pcre2_version() {
                Some(v) => out.push_str(&line.replace(&v, "[pcre2-version]")),
                None => out.push_str(&line),
            }
        }
        out.push('\n');
    }
    out
}

/// The snapshot suffix for `text`: `no-pcre2` when a build without PCRE2
/// says so in it.
fn suffix(text: &str) -> Option<&'static str> {
    (!cfg!(feature = "pcre2") && text.contains("built without PCRE2")).then_some("no-pcre2")
}

#[test]
fn cli_cases() {
    let dir = root().join("fixtures/cli");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures/cli exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 10, "the CLI cases are there");
    let mut failures = Vec::new();
    let mut skipped = Vec::new();
    for path in &paths {
        let name = path.file_stem().expect("a file").to_string_lossy().into_owned();
        let text = std::fs::read_to_string(path).expect("readable case");
        let case: Case = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if (case.debug_only && !cfg!(debug_assertions))
            || (case.needs_pcre2 && !cfg!(feature = "pcre2"))
            || case.needs_patterns.as_ref().is_some_and(|p| !has_patterns(p))
        {
            skipped.push(name);
            continue;
        }
        let cwd = case.cwd.as_deref().map_or_else(root, |c| root().join(c));
        let output = Command::cargo_bin("cfglint")
            .expect("the binary is built")
            .args(&case.args)
            .current_dir(&cwd)
            .env("NO_COLOR", "1")
            .envs(&case.env)
            .output()
            .expect("cfglint runs");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let mut problems = Vec::new();
        if output.status.code() != Some(case.status) {
            problems.push(format!("exit code {:?}, expected {}", output.status.code(), case.status));
        }
        for s in &case.stdout {
            if !stdout.contains(s.as_str()) {
                problems.push(format!("stdout lacks {s:?}"));
            }
        }
        for s in &case.stdout_not {
            if stdout.contains(s.as_str()) {
                problems.push(format!("stdout holds {s:?}"));
            }
        }
        for s in &case.stderr {
            if !stderr.contains(s.as_str()) {
                problems.push(format!("stderr lacks {s:?}"));
            }
        }
        if case.stdout_json
            && let Err(e) = serde_json::from_str::<serde_json::Value>(&stdout)
        {
            problems.push(format!("stdout is not JSON: {e}"));
        }
        if !problems.is_empty() {
            failures.push(format!(
                "fixtures/cli/{name}.toml: {}\n--- stdout\n{stdout}--- stderr\n{stderr}",
                problems.join("; ")
            ));
            continue;
        }
        if case.snapshot {
            let stdout = normalize(&stdout);
            insta::with_settings!({
                snapshot_suffix => suffix(&stdout).unwrap_or_default(),
                snapshot_path => Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/cli"),
                prepend_module_to_snapshot => false,
                omit_expression => true,
                description => case.args.join(" "),
            }, {
                insta::assert_snapshot!(format!("cli__{name}"), stdout);
            });
        }
    }
    if !skipped.is_empty() {
        // These need extractors that are not built yet, PCRE2 (a build
        // without the `pcre2` feature) or a debug build.
        #[allow(clippy::print_stderr)] // shown with --nocapture: what waits for an extractor
        {
            eprintln!("skipped (no patterns extracted, no PCRE2, or a release build): {}", skipped.join(", "));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn normalize_masks_times() {
    assert_eq!(normalize("  \"elapsed_ms\": 17\n"), "  \"elapsed_ms\": \"[ms]\"\n");
    assert_eq!(normalize("  \"elapsed_ms\": 17,\n"), "  \"elapsed_ms\": \"[ms]\",\n");
    if let Some(v) = cfglint::engine::pcre2_version() {
        assert_eq!(normalize(&format!("replayed on PCRE2 {v}: x")), "replayed on PCRE2 [pcre2-version]: x\n");
    }
}
