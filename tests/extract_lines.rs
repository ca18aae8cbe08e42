//! The line-format extractors (SecLang, nginx, Fluent Bit, grok, CRS `.ra`)
//! over the shared corpus: no panics, spans inside the file and true to the
//! decoded pattern, and at least the regex counts MANIFEST.md records.
//!
//! The corpus lives outside the crate; when it is absent these tests return
//! early.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cfglint::source::{self, ExtractOptions, ExtractedPattern, Extraction, Kind, SourceFile};

fn corpus() -> Option<PathBuf> {
    common::shared_corpus()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Spans inside the file; every verbatim piece of the offset map holds the
/// same bytes as the pattern; a fully verbatim map spans exactly the pattern.
fn check_pattern(file: &SourceFile, p: &ExtractedPattern) {
    let text = &file.text;
    let where_ = format!("{} {}", file.display_path(), p.key);
    assert!(p.span.start <= p.span.end && p.span.end <= text.len(), "{where_}: span {:?} outside the file", p.span);
    assert_eq!(p.offsets.raw_span(), p.span, "{where_}: span differs from the offset map's");
    assert_eq!(p.offsets.decoded_len(), p.pattern.len(), "{where_}: offset map length");
    let mut last = p.span.start;
    for d in 0..=p.pattern.len() {
        let f = p.offsets.to_file(d);
        assert!(f >= last && f <= p.span.end, "{where_}: offset {d} maps to {f}, not monotonic inside the span");
        last = f;
    }
    if p.offsets.is_verbatim() && p.span.len() == p.pattern.len() {
        assert_eq!(&text[p.span.range()], p.pattern, "{where_}: verbatim map but text differs");
    }
}

fn extract_all(dir: &Path) -> Vec<(SourceFile, Extraction)> {
    let opts = ExtractOptions::default();
    files_under(dir)
        .into_iter()
        .filter_map(|path| {
            let file = source::load(&path, source::DEFAULT_MAX_FILE_SIZE).ok()?;
            let ex = source::extract(&file, &opts);
            Some((file, ex))
        })
        .collect()
}

fn by_kind(results: &[(SourceFile, Extraction)]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for (file, ex) in results {
        for p in &ex.patterns {
            check_pattern(file, p);
            *counts.entry(p.kind.to_string()).or_insert(0) += 1;
        }
    }
    counts
}

#[test]
fn crs_rules() {
    let Some(corpus) = corpus() else { return };
    let results = extract_all(&corpus.join("configs/owasp-crs/rules"));
    by_kind(&results);
    let mut rx = Vec::new();
    let mut rule_files = 0;
    for (file, ex) in &results {
        assert!(ex.problems.is_empty(), "{}: {:?}", file.display_path(), ex.problems);
        let ops: Vec<_> = ex.patterns.iter().filter(|p| !p.key.contains(".target[")).collect();
        if !ops.is_empty() {
            rule_files += 1;
        }
        for p in &ex.patterns {
            assert_eq!(p.kind, Kind::Seclang);
            assert!(p.rule_id.is_some(), "{}: {} has no rule id", file.display_path(), p.key);
        }
        rx.extend(ops);
    }
    assert_eq!(rx.len(), 200, "MANIFEST: 200 @rx operators in the CRS rule files");
    assert_eq!(rule_files, 11);
    let longest = rx.iter().max_by_key(|p| p.pattern.len()).expect("patterns");
    assert_eq!(longest.rule_id.as_deref(), Some("932220"));
    assert_eq!(longest.pattern.chars().count(), 12182, "MANIFEST: longest is 12182 chars after un-escaping");
    for p in &rx {
        // CRS keeps its regexes RE2-compatible; every one must parse.
        regex_syntax::ParserBuilder::new()
            .build()
            .parse(&p.pattern)
            .unwrap_or_else(|e| panic!("{} does not parse: {e}", p.key));
    }
    let keys: std::collections::BTreeSet<_> = rx.iter().map(|p| p.key.as_str()).collect();
    assert!(keys.contains("SecRule[id=942140]"));
}

fn summary(results: &[(SourceFile, Extraction)]) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    for (file, ex) in results {
        let _ = writeln!(
            s,
            "{} kind={:?} patterns={} problems={:?}",
            file.display_path(),
            ex.kind.as_ref().map(Kind::as_str),
            ex.patterns.len(),
            ex.problems
        );
    }
    s
}

#[test]
fn nginx_fluent_bit_grok() {
    let Some(corpus) = corpus() else { return };
    for (dir, kind, min) in [
        ("configs/other/nginx", Kind::Nginx, 17),
        ("configs/other/fluent-bit", Kind::FluentBit, 24),
        ("configs/other/logstash-grok", Kind::Grok, 159),
    ] {
        let results = extract_all(&corpus.join(dir));
        let counts = by_kind(&results);
        let n = counts.get(kind.as_str()).copied().unwrap_or(0);
        assert!(n >= min, "{dir}: {n} {kind} patterns, MANIFEST has {min}\n{}", summary(&results));
        for (file, ex) in &results {
            assert!(ex.problems.is_empty(), "{}: {:?}", file.display_path(), ex.problems);
        }
    }
}

#[cfg(feature = "pcre2")]
#[test]
fn crs_regex_assembly() {
    let Some(corpus) = corpus() else { return };
    let results = extract_all(&corpus.join("configs/owasp-crs/regex-assembly"));
    let counts = by_kind(&results);
    let mut bad = Vec::new();
    for (file, ex) in &results {
        assert!(ex.problems.is_empty(), "{}: {:?}", file.display_path(), ex.problems);
        for p in &ex.patterns {
            // Reported as pcre: every line must compile there (Rust's
            // parser rejects RE2/PCRE literals such as `[[{]` and `\${`).
            if let Err(e) = cfglint::engine::pcre::find_utf(
                &p.pattern,
                cfglint::source::Flags::default(),
                "",
                cfglint::engine::pcre::Limits::default(),
            ) {
                bad.push(format!("{} {}: {:?}: {e}", file.display_path(), p.key, p.pattern));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    // Every non-comment line of the rule and include files, less the glue
    // segments of assemble blocks (exclusion lists yield nothing).
    let n = counts.get(Kind::CrsRegexAssembly.as_str()).copied().unwrap_or(0);
    assert!(n >= 3500, "{n} .ra patterns\n{}", summary(&results));
}

/// A readable listing of an extraction, for snapshots.
fn render(file: &SourceFile, ex: &Extraction) -> String {
    use std::fmt::Write as _;
    let index = source::LineIndex::new(&file.text);
    let at = |offset: usize| {
        let (l, c) = index.line_col(&file.text, offset);
        format!("{l}:{c}")
    };
    let mut s = String::new();
    let _ = writeln!(s, "kind: {}", ex.kind.as_ref().map_or("-", Kind::as_str));
    for p in &ex.patterns {
        check_pattern(file, p);
        let _ = writeln!(s, "- key: {}", p.key);
        let _ = writeln!(s, "  pattern: {:?}", p.pattern);
        let _ = writeln!(s, "  raw: {:?} at {}-{}", &file.text[p.span.range()], at(p.span.start), at(p.span.end));
        let _ = writeln!(
            s,
            "  flavor: {}, flags: {:?}, semantics: {:?}, rule_id: {}",
            p.flavor,
            p.flags.to_letters(),
            p.semantics,
            p.rule_id.as_deref().unwrap_or("-")
        );
    }
    for problem in &ex.problems {
        let _ = writeln!(
            s,
            "! {} at {}-{}: {:?}",
            problem.message,
            at(problem.span.start),
            at(problem.span.end),
            &file.text[problem.span.range()]
        );
    }
    s
}

#[test]
fn fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let opts = ExtractOptions::default();
    let mut seen = 0;
    for format in ["seclang", "nginx", "fluent-bit", "grok", "regex-assembly"] {
        for path in files_under(&root.join("fixtures/sources").join(format)) {
            let text = std::fs::read_to_string(&path).expect("fixture is UTF-8");
            let rel = path.strip_prefix(root).expect("under the crate").to_string_lossy().replace('\\', "/");
            let file = SourceFile::new(&path, text);
            let ex = source::extract(&file, &opts);
            let name = rel.trim_start_matches("fixtures/sources/").replace(['/', '.'], "_");
            insta::assert_snapshot!(name, render(&file, &ex), &rel);
            seen += 1;
        }
    }
    assert!(seen >= 11, "fixtures found: {seen}");
}

#[test]
fn bad_input_never_panics() {
    let opts = ExtractOptions::default();
    let huge = "a".repeat(1 << 20);
    let cases: Vec<(&str, String)> = vec![
        ("rules.conf", format!("SecRule ARGS \"@rx {huge}")),
        ("rules.conf", format!("SecRule ARGS \"@rx {huge}\" \"id:1\"")),
        ("rules.conf", "SecRule ARGS \"@rx a\" \\".to_owned()),
        ("rules.conf", "SecRule ARGS \"@rx a\\".to_owned()),
        ("site.conf", format!("location ~ x {{\n{}", "server {".repeat(10_000))),
        ("site.conf", format!("location ~ {huge} {{}}")),
        ("site.conf", "location ~ \"x".to_owned()),
        ("parsers.conf", format!("[PARSER]\n Format regex\n Regex {huge}\n")),
        ("parsers.conf", "[MULTILINE_PARSER]\n rule \"a\" \"/x\\\"".to_owned()),
        ("patterns/loop", "A %{B}\nB %{C}\nC %{A}\n".to_owned()),
        ("patterns/big", format!("P {huge}\n")),
        ("x/000001.ra", format!("##!> define a {{{{a}}}}\n{{{{a}}}}\n{huge}\n##!> assemble\n")),
        ("x/000001.ra", "##!<\n##!<\n".repeat(1000)),
    ];
    for (name, text) in cases {
        let file = SourceFile::new(name, text);
        let ex = source::extract(&file, &opts);
        for p in &ex.patterns {
            check_pattern(&file, p);
        }
        for problem in &ex.problems {
            assert!(problem.span.start <= problem.span.end && problem.span.end <= file.text.len());
        }
    }
}

#[test]
fn many_escapes_and_targets_stay_linear() {
    // 40k target selectors in one variable list, each with escaped quotes:
    // mapping them must not be quadratic.
    let targets = "TX:/a\\\"b/|".repeat(40_000);
    let text = format!("SecRule \"{targets}\" \"@rx \\\"x\\\"\" \"id:1\"\n");
    let file = SourceFile::new("rules.conf", text);
    let ex = source::extract(&file, &ExtractOptions::default());
    assert_eq!(ex.patterns.len(), 40_001);
    for p in ex.patterns.iter().step_by(997) {
        check_pattern(&file, p);
    }
    assert_eq!(ex.patterns[1].pattern, "a\"b");
}
