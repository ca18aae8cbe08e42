//! The crate's layering, as `src/lib.rs` documents it: every top-level
//! module uses only modules of a lower layer, so no module can reach
//! itself through another one (no import cycles). The table is read from
//! `src/lib.rs`'s docs, so the docs and this check cannot drift apart.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `module → layer` from the `| layer | modules |` table in src/lib.rs.
fn layers() -> BTreeMap<String, u32> {
    let lib = std::fs::read_to_string(root().join("src/lib.rs")).expect("src/lib.rs");
    let mut out = BTreeMap::new();
    for line in lib.lines() {
        let Some(row) = line.strip_prefix("//! | ") else { continue };
        let mut cells = row.split('|').map(str::trim);
        let (Some(layer), Some(modules)) = (cells.next(), cells.next()) else { continue };
        let Ok(layer) = layer.parse::<u32>() else { continue };
        for m in modules.split(',') {
            let name = m.trim().trim_start_matches("[`").trim_end_matches("`]");
            assert!(out.insert(name.to_owned(), layer).is_none(), "{name} is listed twice");
        }
    }
    out
}

/// Source files under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules a file's non-test code names as `crate::NAME`.
fn uses(text: &str) -> Vec<String> {
    // Test modules sit at the end of a file; what they import is not part
    // of the layering.
    let code = text.find("#[cfg(test)]").map_or(text, |i| &text[..i]);
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if rest.starts_with('{') {
            // `use crate::{a, b::c};`
            let end = rest.find('}').unwrap_or(rest.len());
            for part in rest[1..end].split(',') {
                let name: String = part.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !name.is_empty() {
                    out.push(name);
                }
            }
        } else {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            out.push(name);
        }
    }
    out
}

#[test]
fn every_module_uses_only_lower_layers() {
    let layers = layers();
    assert!(layers.len() >= 10, "the layer table in src/lib.rs was not found: {layers:?}");
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut problems = Vec::new();
    for file in files {
        let rel = file.strip_prefix(&src).expect("under src");
        let top = rel.components().next().expect("a component").as_os_str().to_string_lossy();
        let top = top.trim_end_matches(".rs").to_owned();
        if matches!(top.as_str(), "lib" | "main") || rel.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let Some(&own) = layers.get(&top) else {
            problems.push(format!("src/{top} has no layer in src/lib.rs's table"));
            continue;
        };
        let text = std::fs::read_to_string(&file).expect("read");
        for used in uses(&text) {
            if used == top {
                continue;
            }
            match layers.get(&used) {
                Some(&l) if l < own => {}
                Some(&l) => problems.push(format!(
                    "{}: {top} (layer {own}) uses {used} (layer {l}); a module may use only lower layers",
                    rel.display()
                )),
                None => problems.push(format!("{}: uses crate::{used}, which has no layer", rel.display())),
            }
        }
    }
    assert!(problems.is_empty(), "layering broken:\n{}", problems.join("\n"));
}

#[test]
fn the_check_sees_a_violation() {
    // The parser of `crate::` paths must see both forms, or the test above
    // could never fail.
    let text = "use crate::{rules::Rule, finding};\nfn f() { crate::report::human(); }\n#[cfg(test)]\nuse crate::cli;";
    assert_eq!(uses(text), ["rules", "finding", "report"]);
}

/// Where a file's non-test code names git2 directly, as `file:line`.
fn names_git2(rel: &str, text: &str) -> Vec<String> {
    let code = text.find("#[cfg(test)]").map_or(text, |i| &text[..i]);
    code.lines()
        .enumerate()
        .filter(|(_, line)| {
            // Comments may talk about git2 and libgit2; code may not use it.
            let code = line.split("//").next().unwrap_or("");
            let bytes = code.as_bytes();
            code.match_indices("git2").any(|(i, _)| {
                let before = i.checked_sub(1).map(|j| bytes[j]);
                let after = bytes.get(i + 4).copied();
                !before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
                    && !after.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
            })
        })
        .map(|(n, _)| format!("{rel}:{}", n + 1))
        .collect()
}

/// What `scan(rel, text)` finds in every source file outside `src/<skip>/`.
fn offences_outside(skip: &str, scan: fn(&str, &str) -> Vec<String>) -> Vec<String> {
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut problems = Vec::new();
    for file in files {
        let rel = file.strip_prefix(&src).expect("under src");
        if rel.starts_with(skip) {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read");
        problems.extend(scan(&rel.display().to_string(), &text));
    }
    problems
}

#[test]
fn only_the_git_module_uses_git2() {
    let problems = offences_outside("git", names_git2);
    assert!(
        problems.is_empty(),
        "git2 used outside src/git/ (go through crate::git, which returns plain data):\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_git2_check_sees_a_use() {
    let text = "use git2::Repository;\nfn f(id: git2::Oid) {}\n// git2 and libgit2 in a comment\nlet libgit2 = 1; // fine\n#[cfg(test)]\nuse git2::Signature;";
    assert_eq!(names_git2("x.rs", text), ["x.rs:1", "x.rs:2"]);
}

/// Lines of non-test code in `text` that build a finding from a rule's
/// metadata (`rules::meta("…")`).
fn builds_findings(rel: &str, text: &str) -> Vec<String> {
    let code = text.find("#[cfg(test)]").map_or(text, |i| &text[..i]);
    code.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with("//") && l.contains("rules::meta("))
        .map(|(n, _)| format!("{rel}:{}", n + 1))
        .collect()
}

/// Every rule's findings are built in `src/rules/` (its file, its TOML, one
/// registry line), file-level rules (CL009, CL100–CL102) included: the
/// rest of the crate calls their builders.
#[test]
fn findings_are_built_only_in_the_rules_module() {
    let problems = offences_outside("rules", builds_findings);
    assert!(problems.is_empty(), "rule findings built outside src/rules/:\n{}", problems.join("\n"));
    // The check sees a use.
    let text = "let m = rules::meta(\"config-parse-error\");\n// rules::meta(\"x\")\n#[cfg(test)]\nrules::meta(\"y\")";
    assert_eq!(builds_findings("x.rs", text), ["x.rs:1"]);
}
