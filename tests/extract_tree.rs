//! Integration tests of the tree-format extractors (YAML, JSON, TOML):
//!
//! - snapshots of what is extracted from `fixtures/sources/{yaml,json,toml}`
//!   (key, kind, flavor, semantics, flags, rule id, span, raw text, pattern);
//! - over every YAML/JSON/TOML file of the shared corpus (skipped when the
//!   corpus is absent): no panic, spans inside the file, verbatim maps equal
//!   the raw text, every offset-map piece re-decodes to the pattern, and the
//!   counts per kind match `corpus/MANIFEST.md`;
//! - bad input (syntax errors, alias bombs, deep nesting) gives problems
//!   with spans.

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use cfglint::source::{
    self, CustomSource, ExtractOptions, ExtractedPattern, Extraction, Flavor, Kind, PatternSpan, Semantics, SourceFile,
};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn corpus() -> Option<PathBuf> {
    common::shared_corpus()
}

fn is_tree_file(p: &Path) -> bool {
    let name = p.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    matches!(ext, "yaml" | "yml" | "json" | "json5" | "jsonc" | "toml") || name == ".renovaterc"
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for entry in rd.flatten() {
        let p = entry.path();
        if p.is_dir() {
            files_under(&p, out);
        } else if is_tree_file(&p) {
            out.push(p);
        }
    }
}

fn extract_path(path: &Path, shown: &str) -> (SourceFile, Extraction) {
    let mut file = source::load(path, source::DEFAULT_MAX_FILE_SIZE).expect("fixture loads");
    file.path = PathBuf::from(shown);
    let ex = source::extract(&file, &ExtractOptions::default());
    (file, ex)
}

/// Undo one level of any escape syntax the extractors decode (YAML, JSON,
/// JSON5, TOML, Go/PromQL), for checking offset-map pieces.
fn unescape_once(raw: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = raw.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\'' && raw[i + 1..].starts_with('\'') {
            chars.next();
            out.push('\'');
            continue;
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let (_, e) = chars.next()?;
        let hex = |n: usize| -> Option<u32> {
            let digits = raw.get(i + 2..i + 2 + n)?;
            u32::from_str_radix(digits, 16).ok()
        };
        let simple = match e {
            'n' => Some('\n'),
            't' | '\t' => Some('\t'),
            'r' => Some('\r'),
            'b' => Some('\x08'),
            'f' => Some('\x0c'),
            'v' => Some('\x0b'),
            'a' => Some('\x07'),
            'e' => Some('\x1b'),
            'N' => Some('\u{85}'),
            '_' => Some('\u{a0}'),
            'L' => Some('\u{2028}'),
            'P' => Some('\u{2029}'),
            '0' if !raw[i + 2..].starts_with(|c: char| c.is_ascii_digit()) => Some('\0'),
            'x' | 'u' | 'U' | '0'..='7' => None,
            other => Some(other),
        };
        if let Some(ch) = simple {
            out.push(ch);
            continue;
        }
        let (value, len) = match e {
            'x' => (hex(2)?, 2),
            'U' => (hex(8)?, 8),
            'u' => {
                let hi = hex(4)?;
                if (0xD800..0xDC00).contains(&hi) {
                    let lo = u32::from_str_radix(raw.get(i + 8..i + 12)?, 16).ok()?;
                    (0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00), 10)
                } else {
                    (hi, 4)
                }
            }
            _ => (u32::from_str_radix(raw.get(i + 1..i + 4)?, 8).ok()?, 2),
        };
        out.push(char::from_u32(value)?);
        for _ in 0..len {
            chars.next();
        }
    }
    Some(out)
}

/// Does raw file text `raw` plausibly decode to `decoded`: through up to
/// three levels of escaping (YAML inside YAML inside a matcher string), or
/// as a folded line break?
fn piece_decodes(raw: &str, decoded: &str) -> bool {
    if raw.chars().all(|c| matches!(c, ' ' | '\t' | '\r' | '\n')) {
        let breaks = raw.matches('\n').count() + raw.matches('\r').count();
        return decoded == " " || (decoded.chars().all(|c| c == '\n') && decoded.len() <= breaks.max(1));
    }
    let mut level = raw.to_owned();
    for _ in 0..3 {
        match unescape_once(&level) {
            Some(next) if next == decoded => return true,
            Some(next) if next != level => level = next,
            _ => return false,
        }
    }
    false
}

/// Check the invariants every extracted pattern must hold; returns a
/// description of the first violation.
fn check_pattern(text: &str, p: &ExtractedPattern) -> Result<(), String> {
    let span = p.span;
    if span.end > text.len() || !text.is_char_boundary(span.start) || !text.is_char_boundary(span.end) {
        return Err(format!("span {span:?} outside the file or not on char boundaries"));
    }
    if p.offsets.raw_span() != span {
        return Err(format!("offset map covers {:?}, span is {span:?}", p.offsets.raw_span()));
    }
    if p.offsets.decoded_len() != p.pattern.len() {
        return Err(format!("map decodes {} bytes, pattern has {}", p.offsets.decoded_len(), p.pattern.len()));
    }
    if p.offsets.is_verbatim() && text[span.range()] != p.pattern {
        return Err(format!("verbatim map but raw {:?} != pattern {:?}", &text[span.range()], p.pattern));
    }
    // Every single character maps inside the span.
    for (i, c) in p.pattern.char_indices() {
        let s = p.offsets.to_file_span(PatternSpan::new(i, i + c.len_utf8()));
        if s.start < span.start || s.end > span.end {
            return Err(format!("char {i} maps to {s:?}, outside {span:?}"));
        }
    }
    // Re-decode: group each escape piece with the empty pieces that follow
    // it (composition splits a multi-byte decoded char), and check the raw
    // bytes decode to the pattern bytes.
    let pieces = p.offsets.pieces();
    let mut k = 0;
    let mut covered = 0;
    while k < pieces.len() {
        let first = pieces[k];
        let mut decoded_end = first.decoded_start + first.decoded_len;
        let mut j = k + 1;
        while j < pieces.len() && pieces[j].raw_len == 0 && first.raw_len != first.decoded_len {
            decoded_end = pieces[j].decoded_start + pieces[j].decoded_len;
            j += 1;
        }
        let raw = text.get(first.raw_start..first.raw_start + first.raw_len).ok_or("piece outside the file")?;
        let decoded = p.pattern.get(first.decoded_start..decoded_end).ok_or("piece not on a char boundary")?;
        if first.decoded_start != covered {
            return Err(format!("pieces leave a gap at decoded {covered}"));
        }
        let ok = if first.raw_len == first.decoded_len {
            raw == decoded || piece_decodes(raw, decoded)
        } else {
            piece_decodes(raw, decoded)
        };
        if !ok {
            return Err(format!("raw {raw:?} does not decode to {decoded:?}"));
        }
        covered = decoded_end;
        k = j;
    }
    if covered != p.pattern.len() {
        return Err(format!("pieces cover {covered} of {} decoded bytes", p.pattern.len()));
    }
    Ok(())
}

fn render(file: &SourceFile, ex: &Extraction) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "kind: {}", ex.kind.as_ref().map_or("none", Kind::as_str));
    for pr in &ex.problems {
        let _ = writeln!(out, "problem {}..{}: {}", pr.span.start, pr.span.end, pr.message);
    }
    for p in &ex.patterns {
        let semantics = match p.semantics {
            Semantics::Search => "search",
            Semantics::AnchoredStart => "anchored-start",
            Semantics::FullMatch => "full-match",
        };
        let _ = writeln!(out, "- key: {}", p.key);
        let _ = writeln!(
            out,
            "  kind: {} | flavor: {} | {semantics} | flags: {:?} | rule: {}",
            p.kind,
            p.flavor,
            p.flags.to_letters(),
            p.rule_id.as_deref().unwrap_or("-"),
        );
        let _ = writeln!(out, "  span: {}..{} raw: {:?}", p.span.start, p.span.end, &file.text[p.span.range()]);
        let _ = writeln!(out, "  pattern: {:?}", p.pattern);
    }
    out
}

#[test]
fn fixture_snapshots() {
    let dir = manifest_dir().join("fixtures/sources");
    let mut files = Vec::new();
    files_under(&dir, &mut files);
    files.sort();
    assert!(files.len() >= 20, "fixtures found: {}", files.len());
    for path in files {
        let rel = path.strip_prefix(&dir).expect("under fixtures").to_string_lossy().replace('\\', "/");
        let (file, ex) = extract_path(&path, &rel);
        assert!(ex.problems.is_empty(), "{rel}: {:?}", ex.problems);
        assert!(!ex.patterns.is_empty(), "{rel}: no patterns");
        for p in &ex.patterns {
            if let Err(e) = check_pattern(&file.text, p) {
                panic!("{rel} {}: {e}", p.key);
            }
        }
        let name = rel.replace(['/', '.'], "_");
        insta::assert_snapshot!(name, render(&file, &ex));
    }
}

/// Precise spans through nested quoting: a one-character pattern span maps
/// to the exact raw bytes of its escape.
#[test]
fn nested_spans_land_on_raw_escapes() {
    let dir = manifest_dir().join("fixtures/sources");
    let (file, ex) = extract_path(&dir.join("yaml/alertmanager-secret.yaml"), "yaml/alertmanager-secret.yaml");
    let p = &ex.patterns[0];
    assert_eq!(p.pattern, "a\\.b|c");
    let backslash = p.offsets.to_file_span(PatternSpan::new(1, 2));
    // literal block -> inner YAML "…" (\\\\ -> \\) -> matcher "…" (\\ -> \)
    assert_eq!(&file.text[backslash.range()], "\\\\\\\\");
    let dot = p.offsets.to_file_span(PatternSpan::new(2, 3));
    assert_eq!(&file.text[dot.range()], ".");

    let (file, ex) = extract_path(&dir.join("yaml/monitoring-stream.yaml"), "yaml/monitoring-stream.yaml");
    let p = ex.patterns.iter().find(|p| p.key.ends_with("expr{mountpoint=~}")).expect("matcher");
    assert_eq!(p.pattern, "/var/lib/\\w+");
    let w = p.offsets.to_file_span(PatternSpan::new(9, 10));
    assert_eq!(&file.text[w.range()], "\\\\\\\\");

    let (file, ex) = extract_path(&dir.join("json/renovate.json"), "json/renovate.json");
    let p = ex.patterns.iter().find(|p| p.key.ends_with("matchPackageNames[0]")).expect("slash regex");
    assert_eq!(p.pattern, "^@angular\\/");
    assert_eq!(&file.text[p.span.range()], "^@angular\\\\/");
}

#[test]
fn corpus_invariants_and_counts() {
    let Some(corpus) = corpus() else { return };
    let mut files = Vec::new();
    files_under(&corpus.join("configs"), &mut files);
    files_under(&corpus.join("inputs"), &mut files);
    files.sort();
    assert!(files.len() > 100, "corpus tree files: {}", files.len());
    let mut per_kind: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for path in &files {
        let rel = path.strip_prefix(&corpus).expect("under corpus").to_string_lossy().replace('\\', "/");
        let (file, ex) = extract_path(path, &rel);
        for p in &ex.patterns {
            if rel.starts_with("configs/") {
                *per_kind.entry(p.kind.to_string()).or_default() += 1;
            } else if !p.key.ends_with("match_regex") {
                // go-ftw test files hold regexes only in `(no_)match_regex`.
                failures.push(format!("{rel} {}: unexpected pattern in an input file", p.key));
            }
            if let Err(e) = check_pattern(&file.text, p) {
                failures.push(format!("{rel} {}: {e}", p.key));
            }
        }
        for pr in &ex.problems {
            if pr.span.end > file.text.len() {
                failures.push(format!("{rel}: problem span {:?} outside the file", pr.span));
            }
        }
        if rel.starts_with("configs/") && !ex.problems.is_empty() {
            failures.push(format!("{rel}: unexpected problems {:?}", ex.problems));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    let count = |k: &str| per_kind.get(k).copied().unwrap_or(0);
    // corpus/MANIFEST.md, "Notable findings": Prometheus / Operator /
    // Alertmanager incl. =~ matchers (57, with the CRD's 7 schema patterns).
    let family = count("prometheus") + count("prometheus-rules") + count("alertmanager") + count("json-schema");
    assert_eq!(family, 57, "{per_kind:?}");
    assert!(count("prometheus") >= 35 && count("prometheus-rules") >= 12 && count("alertmanager") >= 3);
    assert_eq!(count("gitleaks"), 309, "{per_kind:?}");
    assert_eq!(count("semgrep"), 35, "{per_kind:?}");
    assert_eq!(count("uap-core"), 1270, "{per_kind:?}");
    assert_eq!(count("crawler-user-agents"), 1498, "{per_kind:?}");
    assert!(count("renovate") >= 10, "{per_kind:?}");
    assert!(count("traefik") >= 8, "{per_kind:?}");
    assert_eq!(count("fluent-bit"), 3, "the YAML processor file: {per_kind:?}");
    assert_eq!(count("crs-regex-assembly"), 6, "toolchain.yaml fragments: {per_kind:?}");
    // Falco rules use no regex fields; nothing else is left to generic.
    assert_eq!(count("generic"), 0, "{per_kind:?}");
}

#[test]
fn corpus_spot_checks() {
    let Some(corpus) = corpus() else { return };
    let prom = corpus.join("configs/prometheus");
    let (_, ex) = extract_path(&prom.join("prometheus__testdata_regex.bad.yml"), "regex.bad.yml");
    assert_eq!(ex.patterns.len(), 1);
    assert_eq!(ex.patterns[0].pattern, "abc(def");
    assert_eq!(ex.patterns[0].semantics, Semantics::FullMatch);

    let (file, ex) = extract_path(&prom.join("kube-prometheus__alertmanager-secret.yaml"), "secret.yaml");
    assert_eq!(ex.kind, Some(Kind::Alertmanager));
    let p = &ex.patterns[0];
    assert_eq!(&file.text[p.span.range()], "warning|info");
    assert_eq!(p.key, "stringData[\"alertmanager.yaml\"].inhibit_rules[0].target_matchers[0]{severity=~}");

    let (_, ex) = extract_path(&corpus.join("configs/other/uap-core/uap-core__regexes.yaml"), "regexes.yaml");
    assert!(ex.patterns.iter().any(|p| p.flags.case_insensitive), "regex_flag: 'i' is read");

    let gl = corpus.join("configs/other/gitleaks/gitleaks__config_gitleaks.toml");
    let (file, ex) = extract_path(&gl, "gitleaks.toml");
    assert!(ex.patterns.iter().all(|p| p.flavor == Flavor::Re2));
    let aws = ex.patterns.iter().find(|p| p.rule_id.as_deref() == Some("aws-access-token")).expect("aws rule");
    assert!(aws.key.starts_with("rules["));
    assert!(file.text[..aws.span.start].ends_with("'''"), "inside the literal string's delimiters");
}

#[test]
fn bad_input_gives_problems_with_spans() {
    let opts = ExtractOptions::default();
    let cases: Vec<(&str, String)> = vec![
        ("bad.yaml", "rules:\n  - id: 1\n    pattern: [unclosed\n".to_owned()),
        ("bad.json", "{\"regex\": \"a\", }".to_owned()),
        ("bad.toml", "regex = 'a'\nregex = 'b'\n".to_owned()),
        ("deep.yaml", format!("{}{}", "[".repeat(10_000), "]".repeat(10_000))),
        ("deep2.yaml", format!("{}1{}", "a: {".repeat(10_000), "}".repeat(10_000))),
        ("deep.json", format!("{}{}", "[".repeat(10_000), "]".repeat(10_000))),
        ("deep.toml", format!("a = {}{}", "[".repeat(10_000), "]".repeat(10_000))),
        ("bomb.yaml", {
            let mut t = String::from("a: &a [\"x\", \"x\", \"x\", \"x\", \"x\", \"x\", \"x\", \"x\", \"x\"]\n");
            for (name, prev) in [("b", "a"), ("c", "b"), ("d", "c"), ("e", "d"), ("f", "e"), ("g", "f"), ("h", "g")] {
                let _ = writeln!(t, "{name}: &{name} [{}]", vec![format!("*{prev}"); 9].join(","));
            }
            t.push_str("regex: *h\n");
            t
        }),
    ];
    for (name, text) in cases {
        let file = SourceFile::new(name, text.clone());
        let ex = source::extract(&file, &opts);
        assert!(!ex.problems.is_empty(), "{name}: expected a problem");
        for pr in &ex.problems {
            assert!(pr.span.end <= text.len() && pr.span.start <= pr.span.end, "{name}: {pr:?}");
        }
    }
    // Patterns before a YAML error are kept.
    let file = SourceFile::new("p.yml", "scrape_configs:\n  - relabel_configs:\n      - regex: a+\n  - x: [\n");
    let ex = source::extract(&file, &opts);
    assert_eq!(ex.patterns.len(), 1);
    assert_eq!(ex.problems.len(), 1);
}

#[test]
fn custom_sources() {
    let text = "checks:\n  - name: a\n    match: 'x\\d+'\n  - name: b\n    match: [\"y\", \"z\"]\nregex: generic\n";
    let opts = ExtractOptions {
        custom: vec![CustomSource {
            glob: "conf/**/*.yaml".to_owned(),
            keys: vec!["checks[].match".to_owned()],
            kind: Some("my-tool".to_owned()),
            flavor: Some(Flavor::Js),
            semantics: Some(Semantics::FullMatch),
        }],
        ..ExtractOptions::default()
    };
    let file = SourceFile::new("conf/a/checks.yaml", text);
    let ex = source::extract(&file, &opts);
    let got: Vec<(&str, &str, String)> =
        ex.patterns.iter().map(|p| (p.key.as_str(), p.pattern.as_str(), p.kind.to_string())).collect();
    assert_eq!(
        got,
        [
            ("checks[0].match", "x\\d+", "my-tool".to_owned()),
            ("checks[1].match[0]", "y", "my-tool".to_owned()),
            ("checks[1].match[1]", "z", "my-tool".to_owned()),
            ("regex", "generic", "generic".to_owned()),
        ]
    );
    assert!(ex.patterns[..3].iter().all(|p| p.flavor == Flavor::Js && p.semantics == Semantics::FullMatch));
    // The glob does not match elsewhere.
    let other = SourceFile::new("other/checks.yaml", text);
    assert_eq!(source::extract(&other, &opts).patterns.len(), 1);
    // A file of unknown extension read only for the custom source.
    let opts2 = ExtractOptions {
        custom: vec![CustomSource {
            glob: "*.rules".to_owned(),
            keys: vec!["*.re".to_owned()],
            kind: None,
            flavor: None,
            semantics: None,
        }],
        ..ExtractOptions::default()
    };
    let file = SourceFile::new("x/app.rules", "a:\n  re: ^a$\nb:\n  re: ^b$\n");
    let ex = source::extract(&file, &opts2);
    assert_eq!(ex.patterns.iter().map(|p| p.key.as_str()).collect::<Vec<_>>(), ["a.re", "b.re"]);
}
