//! Generated documentation stays in sync with its sources.
//! Regenerate with `UPDATE_DOCS=1 cargo test --test docs`.

use std::path::Path;

#[test]
fn rules_reference_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md");
    let expected = cfglint::rules::docs_markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(actual == expected, "docs/rules.md is stale: run `UPDATE_DOCS=1 cargo test --test docs`");
}

/// The README's `cfglint.toml` example is a valid configuration, and its
/// rules table lists every rule with its registered default severity.
#[test]
fn readme_stays_true() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md exists");
    let section = readme.split("## Configuration").nth(1).expect("a Configuration section");
    let block = section.split("```toml\n").nth(1).and_then(|b| b.split("```").next()).expect("a toml block");
    if let Err(e) = cfglint::config::Config::parse(Path::new("cfglint.toml"), block.to_string()) {
        panic!("README's cfglint.toml example does not load: {e:?}");
    }
    for meta in cfglint::rules::registry() {
        let row = format!("| {} | {} | {}", meta.code, meta.id, meta.default_severity);
        assert!(readme.contains(&row), "README's rules table lacks `{row}`");
    }
}
