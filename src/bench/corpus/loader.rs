//! Corpus loading: lines files, folders, JSONL request files and go-ftw
//! regression YAML, read under a size cap, with a [`Problem`] for every bad
//! line or file.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::http::{RawRequest, build_request, json_text};
use super::store::Writer;
use super::{
    Corpus, Expect, Input, Limits, Loaded, MAX_INPUT_SIZE, MAX_INVALID_LINES_PERCENT, Payload, Problem, Shape,
};
use crate::source::{self, ExtractOptions, tree::Node};

impl Corpus {
    /// Load every `--corpus` argument with the default [`Limits`].
    pub fn load(specs: &[PathBuf]) -> Corpus {
        Corpus::load_with(specs, &Limits::default())
    }

    /// Load every `--corpus` argument, each read once as a stream;
    /// problems are collected, never fatal.
    pub fn load_with(specs: &[PathBuf], limits: &Limits) -> Corpus {
        let mut corpus = Corpus::default();
        let mut sink = Writer::new(limits.memory_bytes, limits.chunk_bytes);
        for spec in specs {
            let (label, path) = split_label(spec);
            let start = sink.len;
            let shown = source::display_path(&path);
            let mut failed = 0;
            let mut to = Sink { writer: &mut sink, label };
            let shape = load(&path, &mut to, &mut corpus.problems, &mut failed, limits);
            corpus.unreadable += failed;
            let n = sink.len - start;
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
        corpus.len = sink.len;
        corpus.counts = sink.counts;
        match sink.finish() {
            Ok(store) => corpus.store = store,
            Err(e) => {
                corpus.problems.push(Problem {
                    rule: None,
                    place: "--corpus".to_owned(),
                    message: format!("cannot keep the corpus in a temporary file: {e}"),
                });
                corpus.unreadable += 1;
                corpus.len = 0;
                corpus.counts = (0, 0, 0);
            }
        }
        corpus
    }

    /// Count inputs by expectation: (attack, benign, unknown).
    pub fn counts(&self) -> (usize, usize, usize) {
        self.counts
    }
}

/// Where loaders put inputs: the store's writer, with the label of the
/// `--corpus` argument they come from.
struct Sink<'a> {
    writer: &'a mut Writer,
    label: Option<Expect>,
}

impl Sink<'_> {
    fn push(&mut self, mut input: Input) {
        if input.expect == Expect::Unknown
            && let Some(label) = self.label
        {
            input.expect = label;
        }
        self.writer.push(&input);
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

/// Reading stopped: where and why. The inputs before it were taken.
#[derive(Debug)]
struct Stop {
    place: String,
    message: String,
}

impl Stop {
    fn io(place: &str, e: &io::Error) -> Stop {
        Stop { place: place.to_owned(), message: format!("cannot read corpus: {e}") }
    }
}

/// A reader that fails once more than `cap` bytes come through it, so an
/// endless stream stops with an error naming the limit.
struct Capped<R> {
    inner: R,
    left: u64,
    cap: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // One byte past the cap tells "exactly the cap" from "more".
        let room = usize::try_from(self.left.saturating_add(1)).unwrap_or(usize::MAX).min(buf.len());
        let n = self.inner.read(&mut buf[..room])?;
        if n as u64 > self.left {
            self.left = 0;
            return Err(io::Error::new(
                io::ErrorKind::FileTooLarge,
                format!(
                    "over the {}-byte limit for one corpus (`max-corpus-bytes` in cfglint.toml's [bench]); stopped reading",
                    self.cap
                ),
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// How much of a stream is read to tell its shape.
const HEAD_BYTES: u64 = 64 * 1024;

/// Load one path. Returns how it was read, or `None` when it could not be
/// read at all (a problem says why). `failed` counts the files that
/// stopped part-way (a size cap, an I/O error) or have too many invalid
/// lines (a problem says which).
fn load(
    path: &Path,
    out: &mut Sink<'_>,
    problems: &mut Vec<Problem>,
    failed: &mut usize,
    limits: &Limits,
) -> Option<Shape> {
    let shown = source::display_path(path);
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            problems.push(Problem { rule: None, place: shown, message: format!("cannot read corpus: {e}") });
            return None;
        }
    };
    if meta.is_dir() {
        load_folder(path, out, problems, failed, limits);
        return Some(Shape::Folder);
    }
    let mut reader = open_capped(path, &meta, limits.max_bytes, problems)?;
    let head = match read_head(&mut reader) {
        Ok(h) => h,
        Err(e) => {
            problems.push(Problem { rule: None, place: shown, message: format!("cannot read corpus: {e}") });
            return None;
        }
    };
    let shape = file_shape(path, &head, meta.is_file());
    let mut stream = io::Cursor::new(head).chain(reader);
    if let Err(stop) = load_stream(&shown, shape, &mut stream, out, problems) {
        problems.push(Problem { rule: None, place: stop.place, message: stop.message });
        *failed += 1;
    }
    Some(shape)
}

/// Open a corpus file for streaming, under `cap` bytes. A regular file
/// over the cap is skipped before it is read (a problem says so).
fn open_capped(
    path: &Path,
    meta: &std::fs::Metadata,
    cap: u64,
    problems: &mut Vec<Problem>,
) -> Option<BufReader<Capped<File>>> {
    let shown = source::display_path(path);
    if meta.is_file() && meta.len() > cap {
        problems.push(Problem {
            rule: None,
            place: shown,
            message: format!("corpus file is {} bytes, over the {cap}-byte limit; skipped", meta.len()),
        });
        return None;
    }
    match File::open(path) {
        Ok(f) => Some(BufReader::with_capacity(64 * 1024, Capped { inner: f, left: cap, cap })),
        Err(e) => {
            problems.push(Problem { rule: None, place: shown, message: format!("cannot read corpus: {e}") });
            None
        }
    }
}

/// The first [`HEAD_BYTES`] of a stream (fewer when it ends first).
fn read_head(reader: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut head = Vec::new();
    reader.take(HEAD_BYTES).read_to_end(&mut head)?;
    Ok(head)
}

/// Read one stream of the given shape.
fn load_stream(
    shown: &str,
    shape: Shape,
    stream: &mut impl BufRead,
    out: &mut Sink<'_>,
    problems: &mut Vec<Problem>,
) -> Result<(), Stop> {
    match shape {
        Shape::Jsonl => load_jsonl(shown, stream, out, problems),
        Shape::FtwYaml => {
            let bytes = read_input(shown, stream)?;
            load_ftw(shown, &bytes, out, problems);
            Ok(())
        }
        Shape::Lines | Shape::Folder => load_lines(shown, stream, out),
    }
}

/// Read a whole stream that is one input (a folder's file, a go-ftw YAML
/// file), at most [`MAX_INPUT_SIZE`] bytes.
fn read_input(shown: &str, stream: &mut impl Read) -> Result<Vec<u8>, Stop> {
    let mut bytes = Vec::new();
    stream.take(MAX_INPUT_SIZE + 1).read_to_end(&mut bytes).map_err(|e| Stop::io(shown, &e))?;
    if bytes.len() as u64 > MAX_INPUT_SIZE {
        return Err(Stop {
            place: shown.to_owned(),
            message: format!("over the {MAX_INPUT_SIZE}-byte limit for one input; skipped"),
        });
    }
    Ok(bytes)
}

/// Read the next line (without its `\n`) into `line`; false at the end.
/// A line over [`MAX_INPUT_SIZE`] is an error naming it.
fn next_line(stream: &mut impl BufRead, line: &mut Vec<u8>, place: &dyn Fn() -> String) -> Result<bool, Stop> {
    line.clear();
    let mut any = false;
    loop {
        let buf = match stream.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Stop::io(&place(), &e)),
        };
        if buf.is_empty() {
            return Ok(any);
        }
        any = true;
        let (take, done) = match memchr::memchr(b'\n', buf) {
            Some(i) => (i, true),
            None => (buf.len(), false),
        };
        if (line.len() + take) as u64 > MAX_INPUT_SIZE {
            return Err(Stop {
                place: place(),
                message: format!("line is over the {MAX_INPUT_SIZE}-byte limit for one input; stopped reading"),
            });
        }
        line.extend_from_slice(&buf[..take]);
        stream.consume(take + usize::from(done));
        if done {
            return Ok(true);
        }
    }
}

fn extension(path: &Path) -> String {
    path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default()
}

/// Decide how to read a file from its name and first bytes. A FIFO or
/// `/dev/stdin` (not `regular`) with no telling name goes by its content:
/// go-ftw YAML, JSONL when its first line is a JSON object, else lines.
fn file_shape(path: &Path, head: &[u8], regular: bool) -> Shape {
    match extension(path).as_str() {
        "jsonl" | "ndjson" => Shape::Jsonl,
        "yaml" | "yml" if looks_like_ftw(head) => Shape::FtwYaml,
        "json" if head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') => Shape::Jsonl,
        "txt" | "yaml" | "yml" | "json" | "log" | "tsv" | "csv" => Shape::Lines,
        _ if regular => Shape::Lines,
        _ if looks_like_ftw(head) => Shape::FtwYaml,
        _ if first_line_is_json_object(head) => Shape::Jsonl,
        _ => Shape::Lines,
    }
}

/// True when the first non-blank line is a JSON object (or, longer than
/// the head, starts like one).
fn first_line_is_json_object(head: &[u8]) -> bool {
    let Some(line) = head.split(|&b| b == b'\n').find(|l| !l.iter().all(u8::is_ascii_whitespace)) else {
        return false;
    };
    let complete = line.len() < head.len() || (head.len() as u64) < HEAD_BYTES;
    if complete {
        serde_json::from_slice::<Value>(line).is_ok_and(|v| v.is_object())
    } else {
        line.trim_ascii_start().starts_with(b"{")
    }
}

/// go-ftw files have a top-level `tests:` key whose items have `stages`.
fn looks_like_ftw(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(64 * 1024)]);
    text.lines().any(|l| l.starts_with("tests:")) && text.contains("stages:")
}

fn load_lines(shown: &str, stream: &mut impl BufRead, out: &mut Sink<'_>) -> Result<(), Stop> {
    let mut line = Vec::new();
    let mut number = 0usize;
    while next_line(stream, &mut line, &|| format!("{shown}:{}", number + 1))? {
        number += 1;
        let text = line.strip_suffix(b"\r").unwrap_or(&line);
        if text.is_empty() {
            continue;
        }
        out.push(Input {
            origin: format!("{shown}:{number}"),
            expect: Expect::Unknown,
            expect_ids: Vec::new(),
            no_expect_ids: Vec::new(),
            payload: Payload::Raw(text.to_vec()),
        });
    }
    Ok(())
}

fn load_folder(root: &Path, out: &mut Sink<'_>, problems: &mut Vec<Problem>, failed: &mut usize, limits: &Limits) {
    let mut files = Vec::new();
    for entry in ignore::WalkBuilder::new(root).hidden(true).require_git(false).sort_by_file_name(Ord::cmp).build() {
        match entry {
            Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => files.push(e.into_path()),
            Ok(_) => {}
            Err(e) => problems.push(Problem { rule: None, place: source::display_path(root), message: e.to_string() }),
        }
    }
    for file in files {
        let shown = source::display_path(&file);
        let meta = match std::fs::metadata(&file) {
            Ok(m) => m,
            Err(e) => {
                problems.push(Problem { rule: None, place: shown, message: format!("cannot read corpus: {e}") });
                continue;
            }
        };
        let Some(mut reader) = open_capped(&file, &meta, limits.max_bytes, problems) else { continue };
        let head = match read_head(&mut reader) {
            Ok(h) => h,
            Err(e) => {
                problems.push(Problem { rule: None, place: shown, message: format!("cannot read corpus: {e}") });
                continue;
            }
        };
        let shape = file_shape(&file, &head, true);
        let mut stream = io::Cursor::new(head).chain(reader);
        let read = match shape {
            Shape::Jsonl | Shape::FtwYaml => load_stream(&shown, shape, &mut stream, out, problems),
            Shape::Lines | Shape::Folder => read_input(&shown, &mut stream).map(|bytes| {
                if !bytes.is_empty() {
                    out.push(Input {
                        origin: shown.clone(),
                        expect: Expect::Unknown,
                        expect_ids: Vec::new(),
                        no_expect_ids: Vec::new(),
                        payload: Payload::Raw(bytes),
                    });
                }
            }),
        };
        if let Err(stop) = read {
            problems.push(Problem { rule: None, place: stop.place, message: stop.message });
            *failed += usize::from(shape == Shape::Jsonl);
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

/// Read JSONL requests. Each invalid line is a problem; when more than
/// [`MAX_INVALID_LINES_PERCENT`] of the lines are, reading ends with a
/// [`Stop`] that says how many (below it, one more problem says so).
fn load_jsonl(
    shown: &str,
    stream: &mut impl BufRead,
    out: &mut Sink<'_>,
    problems: &mut Vec<Problem>,
) -> Result<(), Stop> {
    let before = problems.len();
    let mut lines = 0usize;
    let mut line = Vec::new();
    let mut number = 0usize;
    while next_line(stream, &mut line, &|| format!("{shown}:{}", number + 1))? {
        number += 1;
        let place = format!("{shown}:{number}");
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        lines += 1;
        let value: Value = match serde_json::from_slice(&line) {
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
        return Ok(());
    }
    let share = invalid as f64 * 100.0 / lines.max(1) as f64;
    let head = format!("{invalid} of {lines} lines are invalid ({share:.0}%)");
    if share <= MAX_INVALID_LINES_PERCENT {
        problems.push(Problem { rule: None, place: shown.to_owned(), message: format!("{head}; they were skipped") });
        return Ok(());
    }
    Err(Stop {
        place: shown.to_owned(),
        message: format!("{head}, over the {MAX_INVALID_LINES_PERCENT}% limit: fix or remove them"),
    })
}

fn load_ftw(shown: &str, bytes: &[u8], out: &mut Sink<'_>, problems: &mut Vec<Problem>) {
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
