//! Corpus loading: lines files, folders, JSONL request files and go-ftw
//! regression YAML, read under a size cap, with a [`Problem`] for every bad
//! line or file.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::http::{RawRequest, build_request, json_text};
use super::{Corpus, Expect, Input, Loaded, MAX_FILE_SIZE, MAX_INVALID_LINES_PERCENT, Payload, Problem, Shape};
use crate::source::{self, ExtractOptions, tree::Node};

impl Corpus {
    /// Load every `--corpus` argument; problems are collected, never fatal.
    pub fn load(specs: &[PathBuf]) -> Corpus {
        let mut corpus = Corpus::default();
        for spec in specs {
            let (label, path) = split_label(spec);
            let start = corpus.inputs.len();
            let shown = source::display_path(&path);
            let mut malformed = 0;
            let shape = load(&path, &mut corpus.inputs, &mut corpus.problems, &mut malformed);
            corpus.unreadable += malformed;
            if let Some(label) = label {
                for input in &mut corpus.inputs[start..] {
                    if input.expect == Expect::Unknown {
                        input.expect = label;
                    }
                }
            }
            let n = corpus.inputs.len() - start;
            if shape.is_none() {
                corpus.unreadable += 1;
            }
            if let Some(shape) = shape {
                if n == 0 {
                    corpus.problems.push(Problem {
                        rule: None,
                        place: shown.clone(),
                        message: "corpus has no inputs".to_owned(),
                    });
                }
                corpus.loaded.push(Loaded { path: shown, shape, inputs: n });
            }
        }
        corpus
    }

    /// Count inputs by expectation: (attack, benign, unknown).
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for i in &self.inputs {
            match i.expect {
                Expect::Attack => c.0 += 1,
                Expect::Benign => c.1 += 1,
                Expect::Unknown => c.2 += 1,
            }
        }
        c
    }
}

fn split_label(spec: &Path) -> (Option<Expect>, PathBuf) {
    let s = spec.to_string_lossy();
    for (prefix, label) in [("attack:", Expect::Attack), ("benign:", Expect::Benign)] {
        if let Some(rest) = s.strip_prefix(prefix) {
            return (Some(label), PathBuf::from(rest));
        }
    }
    (None, spec.to_path_buf())
}

/// Load one path into `out`. Returns how it was read, or `None` when it
/// could not be read at all (a problem says why). `malformed` counts the
/// files with too many invalid lines (a problem says how many).
pub fn load(path: &Path, out: &mut Vec<Input>, problems: &mut Vec<Problem>, malformed: &mut usize) -> Option<Shape> {
    let shown = source::display_path(path);
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            problems.push(Problem { rule: None, place: shown, message: format!("cannot read corpus: {e}") });
            return None;
        }
    };
    if meta.is_dir() {
        load_folder(path, out, problems, malformed);
        return Some(Shape::Folder);
    }
    let bytes = read_capped(path, problems)?;
    let shape = file_shape(path, &bytes);
    match shape {
        Shape::Jsonl => *malformed += usize::from(!load_jsonl(&shown, &bytes, out, problems)),
        Shape::FtwYaml => load_ftw(&shown, &bytes, out, problems),
        Shape::Lines | Shape::Folder => load_lines(&shown, &bytes, out),
    }
    Some(shape)
}

fn read_capped(path: &Path, problems: &mut Vec<Problem>) -> Option<Vec<u8>> {
    let shown = source::display_path(path);
    match std::fs::metadata(path) {
        Ok(m) if m.len() > MAX_FILE_SIZE => {
            problems.push(Problem {
                rule: None,
                place: shown,
                message: format!("corpus file is {} bytes, over the {MAX_FILE_SIZE}-byte limit; skipped", m.len()),
            });
            return None;
        }
        _ => {}
    }
    match std::fs::read(path) {
        Ok(b) => Some(b),
        Err(e) => {
            problems.push(Problem { rule: None, place: shown, message: format!("cannot read corpus: {e}") });
            None
        }
    }
}

fn extension(path: &Path) -> String {
    path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default()
}

/// Decide how to read a file from its name and first bytes.
fn file_shape(path: &Path, bytes: &[u8]) -> Shape {
    match extension(path).as_str() {
        "jsonl" | "ndjson" => Shape::Jsonl,
        "yaml" | "yml" if looks_like_ftw(bytes) => Shape::FtwYaml,
        "json" if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') => Shape::Jsonl,
        _ => Shape::Lines,
    }
}

/// go-ftw files have a top-level `tests:` key whose items have `stages`.
fn looks_like_ftw(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(64 * 1024)]);
    text.lines().any(|l| l.starts_with("tests:")) && text.contains("stages:")
}

fn load_lines(shown: &str, bytes: &[u8], out: &mut Vec<Input>) {
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        out.push(Input {
            origin: format!("{shown}:{}", i + 1),
            expect: Expect::Unknown,
            expect_ids: Vec::new(),
            no_expect_ids: Vec::new(),
            payload: Payload::Raw(line.to_vec()),
        });
    }
}

fn load_folder(root: &Path, out: &mut Vec<Input>, problems: &mut Vec<Problem>, malformed: &mut usize) {
    let mut files = Vec::new();
    for entry in ignore::WalkBuilder::new(root).hidden(true).require_git(false).sort_by_file_name(Ord::cmp).build() {
        match entry {
            Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => files.push(e.into_path()),
            Ok(_) => {}
            Err(e) => problems.push(Problem { rule: None, place: source::display_path(root), message: e.to_string() }),
        }
    }
    for file in files {
        let Some(bytes) = read_capped(&file, problems) else { continue };
        let shown = source::display_path(&file);
        match file_shape(&file, &bytes) {
            Shape::Jsonl => *malformed += usize::from(!load_jsonl(&shown, &bytes, out, problems)),
            Shape::FtwYaml => load_ftw(&shown, &bytes, out, problems),
            Shape::Lines | Shape::Folder => {
                if !bytes.is_empty() {
                    out.push(Input {
                        origin: shown,
                        expect: Expect::Unknown,
                        expect_ids: Vec::new(),
                        no_expect_ids: Vec::new(),
                        payload: Payload::Raw(bytes),
                    });
                }
            }
        }
    }
}

fn expect_from_word(word: &str) -> Expect {
    match word.to_ascii_lowercase().as_str() {
        "match" | "attack" | "malicious" | "block" | "true" | "positive" => Expect::Attack,
        "nomatch" | "no_match" | "no-match" | "benign" | "pass" | "false" | "negative" => Expect::Benign,
        _ => Expect::Unknown,
    }
}

fn expect_from_ids(expect_ids: &[String], no_expect_ids: &[String]) -> Expect {
    if !expect_ids.is_empty() {
        Expect::Attack
    } else if !no_expect_ids.is_empty() {
        Expect::Benign
    } else {
        Expect::Unknown
    }
}

/// Read JSONL requests; false when more than [`MAX_INVALID_LINES_PERCENT`]
/// of the lines are invalid (each is a problem, and one more says how many).
fn load_jsonl(shown: &str, bytes: &[u8], out: &mut Vec<Input>, problems: &mut Vec<Problem>) -> bool {
    let before = problems.len();
    let mut lines = 0usize;
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let place = format!("{shown}:{}", i + 1);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        lines += 1;
        let value: Value = match serde_json::from_slice(line) {
            Ok(v) => v,
            Err(e) => {
                problems.push(Problem { rule: None, place, message: format!("invalid JSON: {e}") });
                continue;
            }
        };
        let Some(obj) = value.as_object() else {
            problems.push(Problem { rule: None, place, message: "expected a JSON object per line".to_owned() });
            continue;
        };
        let ids = |key: &str| -> Vec<String> {
            obj.get(key).and_then(Value::as_array).map_or_else(Vec::new, |a| a.iter().map(json_text).collect())
        };
        let expect_ids = ids("expect_ids");
        let no_expect_ids = ids("no_expect_ids");
        let expect = match obj.get("expect") {
            Some(Value::String(s)) => expect_from_word(s),
            Some(Value::Bool(true)) => Expect::Attack,
            Some(Value::Bool(false)) => Expect::Benign,
            _ => expect_from_ids(&expect_ids, &no_expect_ids),
        };
        let text = |key: &str| obj.get(key).map(|v| json_text(v).into_bytes());
        let is_request = ["uri", "headers", "data", "encoded_request", "method"].iter().any(|k| obj.contains_key(*k));
        let payload = if is_request {
            let mut raw = RawRequest {
                method: text("method"),
                uri: text("uri"),
                protocol: text("version"),
                body: text("data"),
                encoded: obj.get("encoded_request").and_then(Value::as_str).map(str::to_owned),
                ..RawRequest::default()
            };
            match obj.get("headers") {
                Some(Value::Object(map)) => {
                    raw.headers =
                        map.iter().map(|(k, v)| (k.clone().into_bytes(), json_text(v).into_bytes())).collect();
                }
                Some(Value::Array(list)) => {
                    for pair in list {
                        if let Some([k, v]) = pair.as_array().map(Vec::as_slice) {
                            raw.headers.push((json_text(k).into_bytes(), json_text(v).into_bytes()));
                        }
                    }
                }
                _ => {}
            }
            match build_request(raw) {
                Ok(r) => Payload::Request(Box::new(r)),
                Err(message) => {
                    problems.push(Problem { rule: None, place, message });
                    continue;
                }
            }
        } else if let Some(v) = ["input", "payload", "value", "text"].iter().find_map(|k| obj.get(*k)) {
            Payload::Raw(json_text(v).into_bytes())
        } else {
            problems.push(Problem {
                rule: None,
                place,
                message: "no request fields (uri, headers, data, encoded_request) and no input/payload/value"
                    .to_owned(),
            });
            continue;
        };
        out.push(Input { origin: place, expect, expect_ids, no_expect_ids, payload });
    }
    let invalid = problems.len() - before;
    if invalid == 0 {
        return true;
    }
    let share = invalid as f64 * 100.0 / lines.max(1) as f64;
    let ok = share <= MAX_INVALID_LINES_PERCENT;
    problems.push(Problem {
        rule: None,
        place: shown.to_owned(),
        message: format!(
            "{invalid} of {lines} lines are invalid ({share:.0}%){}",
            if ok {
                "; they were skipped".to_owned()
            } else {
                format!(", over the {MAX_INVALID_LINES_PERCENT}% limit: fix or remove them")
            }
        ),
    });
    ok
}

fn load_ftw(shown: &str, bytes: &[u8], out: &mut Vec<Input>, problems: &mut Vec<Problem>) {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            problems.push(Problem {
                rule: None,
                place: shown.to_owned(),
                message: format!("go-ftw YAML is not valid UTF-8 (byte {})", e.valid_up_to()),
            });
            return;
        }
    };
    let parsed = source::yaml::parse(text, &ExtractOptions::default());
    for p in &parsed.problems {
        let line = source::LineIndex::new(text).line_col(text, p.span.start).0;
        problems.push(Problem { rule: None, place: format!("{shown}:{line}"), message: p.message.clone() });
    }
    for doc in &parsed.documents {
        for (t, test) in doc.root.get("tests").map(Node::items).unwrap_or_default().iter().enumerate() {
            let test_id =
                test.get("test_id").and_then(Node::scalar_text).map_or_else(|| (t + 1).to_string(), str::to_owned);
            for (s, stage) in test.get("stages").map(Node::items).unwrap_or_default().iter().enumerate() {
                // go-ftw v1 nests `stage:` inside each list item.
                let stage = stage.get("stage").unwrap_or(stage);
                let place = format!("{shown}#{test_id}/{s}");
                let Some(input) = stage.get("input") else {
                    problems.push(Problem { rule: None, place, message: "stage has no `input`".to_owned() });
                    continue;
                };
                let log = stage.get("output").and_then(|o| o.get("log").or(Some(o)));
                let ids = |key: &str| -> Vec<String> {
                    log.and_then(|l| l.get(key))
                        .map(|n| n.items().iter().filter_map(Node::scalar_text).map(str::to_owned).collect())
                        .unwrap_or_default()
                };
                let expect_ids = ids("expect_ids");
                let no_expect_ids = ids("no_expect_ids");
                let expect = expect_from_ids(&expect_ids, &no_expect_ids);
                let text_of = |key: &str| input.get(key).and_then(Node::scalar_text).map(|s| s.as_bytes().to_vec());
                let raw = RawRequest {
                    method: text_of("method"),
                    uri: text_of("uri"),
                    protocol: text_of("version"),
                    headers: input
                        .get("headers")
                        .map(|h| {
                            h.entries()
                                .iter()
                                .map(|e| {
                                    let v = e.value.scalar_text().unwrap_or_default();
                                    (e.key.as_bytes().to_vec(), v.as_bytes().to_vec())
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                    body: text_of("data"),
                    encoded: input.get("encoded_request").and_then(Node::scalar_text).map(str::to_owned),
                };
                match build_request(raw) {
                    Ok(r) => out.push(Input {
                        origin: place,
                        expect,
                        expect_ids,
                        no_expect_ids,
                        payload: Payload::Request(Box::new(r)),
                    }),
                    Err(message) => problems.push(Problem { rule: None, place, message }),
                }
            }
        }
    }
}
