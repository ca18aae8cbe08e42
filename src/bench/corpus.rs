//! Corpora for `cfglint bench`: the inputs a rule is measured on.
//!
//! Where it sits: loaded once per run, before any rule is measured; each
//! rule then picks the parts of every input its targets name
//! ([`Input::values`]).
//!
//! Four shapes are read (see [`load`]):
//! - a **lines file**: one input per line, as bytes (non-UTF-8 is fine;
//!   `\r\n` endings are trimmed, empty lines skipped);
//! - a **folder**: every file is one input, except `.jsonl` files (read as
//!   request files) and `.yaml`/`.yml` files with a top-level `tests` list
//!   (read as go-ftw regression tests);
//! - a **JSONL file of requests**, the shape of the CRS regression export:
//!   `method`, `uri`, `version`, `headers` (object or list of pairs),
//!   `data`, `encoded_request` (base64 raw HTTP), `expect`
//!   (`match`/`attack` vs `nomatch`/`benign`), `expect_ids`,
//!   `no_expect_ids`; a line with only `input`/`payload`/`value` is a raw
//!   input;
//! - **go-ftw regression test YAML** (CRS style): `tests[].stages[].input`
//!   `{method, uri, headers, data, encoded_request}` and
//!   `output.log.{expect_ids, no_expect_ids}`.
//!
//! A path may be prefixed with `attack:` or `benign:` to label inputs that
//! carry no expectation of their own.
//!
//! Requests are decoded once, the way ModSecurity presents them to rules:
//! query and form-urlencoded bodies become `ARGS` (percent-decoded once),
//! multipart bodies become `ARGS_POST` / `FILES_NAMES`, JSON bodies become
//! `ARGS` named by their path (`a.b.c`), cookies are split from the
//! `Cookie` header. Approximations: SecLang transformations (`t:…`) are not
//! applied; a POST body without `Content-Type` is read as form-urlencoded
//! (go-ftw sends CRS test bodies that way); XML bodies are seen as raw text.
//!
//! Guarantees: files are read under a size cap; a bad line or file is a
//! [`Problem`] and loading goes on; nothing recurses over input without a
//! bound (serde_json's depth limit; the YAML tree is depth-bounded by its
//! parser).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::source::{self, ExtractOptions, tree::Node};

/// Most invalid lines a JSONL corpus file may have, in percent of its
/// non-blank lines. Each invalid line is a problem; above this share the
/// file is not the corpus it claims to be, and the run fails (exit 2)
/// rather than measure the rest as if nothing were wrong.
pub const MAX_INVALID_LINES_PERCENT: f64 = 1.0;

/// Largest corpus file read, in bytes.
pub const MAX_FILE_SIZE: u64 = 512 * 1024 * 1024;

/// What an input is expected to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    /// An attack a WAF should block.
    Attack,
    /// Legitimate traffic a WAF must let through.
    Benign,
    /// Not labelled.
    Unknown,
}

/// A decoded HTTP request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// Method, e.g. `GET`.
    pub method: Vec<u8>,
    /// The request target as sent (path and query).
    pub uri: Vec<u8>,
    /// Protocol, e.g. `HTTP/1.1`.
    pub protocol: Vec<u8>,
    /// The request line as sent (`METHOD URI PROTOCOL`).
    pub request_line: Vec<u8>,
    /// Headers in order, names as sent.
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    /// The raw body.
    pub body: Vec<u8>,
    /// Query-string arguments (decoded).
    pub args_get: Vec<(Vec<u8>, Vec<u8>)>,
    /// Body arguments (form, multipart or JSON; decoded).
    pub args_post: Vec<(Vec<u8>, Vec<u8>)>,
    /// Cookies (name, value).
    pub cookies: Vec<(Vec<u8>, Vec<u8>)>,
    /// Uploaded file names (multipart).
    pub file_names: Vec<Vec<u8>>,
    /// Multipart part headers, as `Name: value` lines.
    pub part_headers: Vec<Vec<u8>>,
}

/// What an input holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// An unstructured input: every target sees these bytes.
    Raw(Vec<u8>),
    /// A request: targets pick its parts.
    Request(Box<Request>),
}

/// One input of a corpus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// Where it came from: `file:line` or `file#test/stage`.
    pub origin: String,
    /// Expected verdict.
    pub expect: Expect,
    /// Rule ids expected to fire (CRS tests).
    pub expect_ids: Vec<String>,
    /// Rule ids expected not to fire.
    pub no_expect_ids: Vec<String>,
    /// The content.
    pub payload: Payload,
}

/// Which part of a request a rule reads (WAF `targets`, SecLang variables).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    /// The request target (path and query), as sent.
    Uri,
    /// The path only (`REQUEST_FILENAME`).
    Path,
    /// The last path segment (`REQUEST_BASENAME`).
    Basename,
    /// The raw query string.
    Query,
    /// Argument values (query and body).
    Args,
    /// Query argument values.
    ArgsGet,
    /// Body argument values.
    ArgsPost,
    /// Argument names (query and body).
    ArgNames,
    /// Query argument names.
    ArgsGetNames,
    /// Body argument names.
    ArgsPostNames,
    /// Header values.
    Headers,
    /// Header names.
    HeaderNames,
    /// Cookie values.
    Cookies,
    /// Cookie names.
    CookieNames,
    /// The raw body.
    Body,
    /// The method.
    Method,
    /// The protocol.
    Protocol,
    /// `METHOD URI PROTOCOL`.
    RequestLine,
    /// Uploaded file names.
    FileNames,
    /// Multipart part headers.
    PartHeaders,
}

/// A part, optionally narrowed to some names (`ARGS:id`, `REQUEST_HEADERS:User-Agent`)
/// and with names excluded (`!REQUEST_COOKIES:/__utm/`).
#[derive(Debug, Clone)]
pub struct Selector {
    /// The part.
    pub part: Part,
    /// Only members with these names (empty: all).
    pub only: Vec<NameMatch>,
    /// Members with these names are skipped.
    pub except: Vec<NameMatch>,
}

/// A member name test: exact (case-insensitive) or a regex.
#[derive(Debug, Clone)]
pub enum NameMatch {
    /// Exact name, compared ASCII case-insensitively.
    Exact(Vec<u8>),
    /// A regex over the name (case-insensitive, as ModSecurity does).
    Regex(regex_automata::meta::Regex),
}

impl NameMatch {
    fn is_match(&self, name: &[u8]) -> bool {
        match self {
            NameMatch::Exact(n) => n.eq_ignore_ascii_case(name),
            NameMatch::Regex(re) => re.is_match(name),
        }
    }
}

impl Selector {
    /// The whole part.
    pub fn all(part: Part) -> Selector {
        Selector { part, only: Vec::new(), except: Vec::new() }
    }

    fn wants(&self, name: &[u8]) -> bool {
        (self.only.is_empty() || self.only.iter().any(|m| m.is_match(name)))
            && !self.except.iter().any(|m| m.is_match(name))
    }
}

impl Input {
    /// Append to `out` every value the selectors pick from this input, in
    /// a fixed order. A raw input yields its bytes once.
    pub fn values<'a>(&'a self, selectors: &[Selector], out: &mut Vec<&'a [u8]>) {
        let req = match &self.payload {
            Payload::Raw(bytes) => {
                if !selectors.is_empty() {
                    out.push(bytes);
                }
                return;
            }
            Payload::Request(req) => req,
        };
        for sel in selectors {
            let pairs = |list: &'a [(Vec<u8>, Vec<u8>)], names: bool, out: &mut Vec<&'a [u8]>| {
                for (k, v) in list {
                    if sel.wants(k) {
                        out.push(if names { k } else { v });
                    }
                }
            };
            match sel.part {
                Part::Uri => out.push(&req.uri),
                Part::Path => out.push(path_of(&req.uri)),
                Part::Basename => {
                    let p = path_of(&req.uri);
                    out.push(p.rsplit(|&b| b == b'/').next().unwrap_or(p));
                }
                Part::Query => {
                    if let Some(q) = query_of(&req.uri) {
                        out.push(q);
                    }
                }
                Part::Args => {
                    pairs(&req.args_get, false, out);
                    pairs(&req.args_post, false, out);
                }
                Part::ArgsGet => pairs(&req.args_get, false, out),
                Part::ArgsPost => pairs(&req.args_post, false, out),
                Part::ArgNames => {
                    pairs(&req.args_get, true, out);
                    pairs(&req.args_post, true, out);
                }
                Part::ArgsGetNames => pairs(&req.args_get, true, out),
                Part::ArgsPostNames => pairs(&req.args_post, true, out),
                Part::Headers => pairs(&req.headers, false, out),
                Part::HeaderNames => pairs(&req.headers, true, out),
                Part::Cookies => pairs(&req.cookies, false, out),
                Part::CookieNames => pairs(&req.cookies, true, out),
                Part::Body => {
                    if !req.body.is_empty() {
                        out.push(&req.body);
                    }
                }
                Part::Method => out.push(&req.method),
                Part::Protocol => out.push(&req.protocol),
                Part::RequestLine => out.push(&req.request_line),
                Part::FileNames => out.extend(req.file_names.iter().map(Vec::as_slice)),
                Part::PartHeaders => out.extend(req.part_headers.iter().map(Vec::as_slice)),
            }
        }
    }
}

fn path_of(uri: &[u8]) -> &[u8] {
    uri.iter().position(|&b| b == b'?').map_or(uri, |i| &uri[..i])
}

fn query_of(uri: &[u8]) -> Option<&[u8]> {
    uri.iter().position(|&b| b == b'?').map(|i| &uri[i + 1..])
}

/// A problem with one corpus item; loading goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `file` or `file:line`.
    pub place: String,
    /// What is wrong.
    pub message: String,
}

/// How a corpus path was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shape {
    /// One input per line.
    Lines,
    /// A folder.
    Folder,
    /// JSONL requests.
    Jsonl,
    /// go-ftw regression tests.
    FtwYaml,
}

/// One `--corpus` argument, after loading.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Loaded {
    /// The path as given (without any `attack:`/`benign:` prefix).
    pub path: String,
    /// How it was read.
    pub shape: Shape,
    /// Inputs read from it.
    pub inputs: usize,
}

/// Every input of every corpus, in argument order.
#[derive(Debug, Clone, Default)]
pub struct Corpus {
    /// The inputs.
    pub inputs: Vec<Input>,
    /// What each argument gave.
    pub loaded: Vec<Loaded>,
    /// Problems met (bad lines, unreadable files, empty corpora).
    pub problems: Vec<Problem>,
    /// `--corpus` paths that could not be read at all (I/O errors), and
    /// files with more than [`MAX_INVALID_LINES_PERCENT`] invalid lines.
    pub unreadable: usize,
}

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
                    corpus.problems.push(Problem { place: shown.clone(), message: "corpus has no inputs".to_owned() });
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
            problems.push(Problem { place: shown, message: format!("cannot read corpus: {e}") });
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
            problems.push(Problem { place: shown, message: format!("cannot read corpus: {e}") });
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
            Err(e) => problems.push(Problem { place: source::display_path(root), message: e.to_string() }),
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

/// The parts of a request before decoding, as the loaders find them.
#[derive(Debug, Default)]
struct RawRequest {
    method: Option<Vec<u8>>,
    uri: Option<Vec<u8>>,
    protocol: Option<Vec<u8>>,
    headers: Vec<(Vec<u8>, Vec<u8>)>,
    body: Option<Vec<u8>>,
    encoded: Option<String>,
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
                problems.push(Problem { place, message: format!("invalid JSON: {e}") });
                continue;
            }
        };
        let Some(obj) = value.as_object() else {
            problems.push(Problem { place, message: "expected a JSON object per line".to_owned() });
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
                    problems.push(Problem { place, message });
                    continue;
                }
            }
        } else if let Some(v) = ["input", "payload", "value", "text"].iter().find_map(|k| obj.get(*k)) {
            Payload::Raw(json_text(v).into_bytes())
        } else {
            problems.push(Problem {
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

/// A JSON value as text: strings unquoted, numbers as written.
fn json_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn load_ftw(shown: &str, bytes: &[u8], out: &mut Vec<Input>, problems: &mut Vec<Problem>) {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            problems.push(Problem {
                place: shown.to_owned(),
                message: format!("go-ftw YAML is not valid UTF-8 (byte {})", e.valid_up_to()),
            });
            return;
        }
    };
    let parsed = source::yaml::parse(text, &ExtractOptions::default());
    for p in &parsed.problems {
        let line = source::LineIndex::new(text).line_col(text, p.span.start).0;
        problems.push(Problem { place: format!("{shown}:{line}"), message: p.message.clone() });
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
                    problems.push(Problem { place, message: "stage has no `input`".to_owned() });
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
                    Err(message) => problems.push(Problem { place, message }),
                }
            }
        }
    }
}

/// Turn found parts (or a base64 raw request) into a decoded [`Request`].
fn build_request(raw: RawRequest) -> Result<Request, String> {
    let mut req = Request::default();
    if let Some(encoded) = raw.encoded {
        let bytes = base64_decode(&encoded).ok_or("encoded_request is not valid base64")?;
        parse_raw_http(&bytes, &mut req);
    } else {
        req.method = raw.method.unwrap_or_else(|| b"GET".to_vec());
        req.uri = raw.uri.unwrap_or_else(|| b"/".to_vec());
        req.protocol = raw.protocol.unwrap_or_else(|| b"HTTP/1.1".to_vec());
        req.headers = raw.headers;
        req.body = raw.body.unwrap_or_default();
        req.request_line = [req.method.as_slice(), &req.uri, &req.protocol].join(&b' ');
    }
    decode_request(&mut req);
    Ok(req)
}

/// Split a raw HTTP/1 request into line, headers and body.
fn parse_raw_http(bytes: &[u8], req: &mut Request) {
    let (head, body) = match find(bytes, b"\r\n\r\n") {
        Some(i) => (&bytes[..i], &bytes[i + 4..]),
        None => match find(bytes, b"\n\n") {
            Some(i) => (&bytes[..i], &bytes[i + 2..]),
            None => (bytes, &[][..]),
        },
    };
    let mut lines = head.split(|&b| b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    if let Some(line) = lines.next() {
        req.request_line = line.to_vec();
        let mut words = line.split(|&b| b == b' ').filter(|w| !w.is_empty());
        req.method = words.next().unwrap_or_default().to_vec();
        req.uri = words.next().unwrap_or_default().to_vec();
        req.protocol = words.next().unwrap_or_default().to_vec();
    }
    for line in lines {
        if let Some(i) = line.iter().position(|&b| b == b':') {
            req.headers.push((line[..i].trim_ascii().to_vec(), line[i + 1..].trim_ascii().to_vec()));
        }
    }
    req.body = body.to_vec();
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn header<'a>(req: &'a Request, name: &str) -> Option<&'a [u8]> {
    req.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name.as_bytes())).map(|(_, v)| v.as_slice())
}

/// Fill the decoded collections (ARGS, cookies, multipart) from the raw parts.
fn decode_request(req: &mut Request) {
    if let Some(q) = query_of(&req.uri) {
        req.args_get = parse_urlencoded(q);
    }
    if let Some(cookie) = header(req, "cookie") {
        req.cookies = cookie
            .split(|&b| b == b';')
            .map(<[u8]>::trim_ascii)
            .filter(|c| !c.is_empty())
            .map(|c| match c.iter().position(|&b| b == b'=') {
                Some(i) => (c[..i].to_vec(), c[i + 1..].to_vec()),
                None => (c.to_vec(), Vec::new()),
            })
            .collect();
    }
    if req.body.is_empty() {
        return;
    }
    let ctype = header(req, "content-type").map(|c| String::from_utf8_lossy(c).to_ascii_lowercase());
    match ctype.as_deref() {
        None => req.args_post = parse_urlencoded(&req.body),
        Some(c) if c.contains("x-www-form-urlencoded") => req.args_post = parse_urlencoded(&req.body),
        Some(c) if c.contains("multipart/form-data") => {
            if let Some(boundary) = c.split(';').find_map(|p| p.trim().strip_prefix("boundary=")) {
                // The boundary is case-sensitive: take it from the header as sent.
                let original = header(req, "content-type").map(|h| String::from_utf8_lossy(h).into_owned());
                let boundary = original
                    .as_deref()
                    .and_then(|h| h.split(';').find_map(|p| p.trim().strip_prefix("boundary=")))
                    .unwrap_or(boundary)
                    .trim_matches('"')
                    .to_owned();
                parse_multipart(req, boundary.as_bytes());
            }
        }
        Some(c) if c.contains("json") => {
            if let Ok(v) = serde_json::from_slice::<Value>(&req.body) {
                flatten_json("json", &v, &mut req.args_post);
            }
        }
        Some(_) => {}
    }
}

/// `a=1&b=2` into decoded pairs.
fn parse_urlencoded(s: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    s.split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.iter().position(|&b| b == b'=') {
            Some(i) => (percent_decode(&p[..i]), percent_decode(&p[i + 1..])),
            None => (percent_decode(p), Vec::new()),
        })
        .collect()
}

/// Percent-decode once, `+` as space; invalid escapes stay as they are.
pub fn percent_decode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < s.len() => match (hex(s[i + 1]), hex(s[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    out
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Split a multipart body into ARGS_POST, FILES_NAMES and part headers.
fn parse_multipart(req: &mut Request, boundary: &[u8]) {
    let mut delim = b"--".to_vec();
    delim.extend_from_slice(boundary);
    let body = req.body.clone();
    let mut rest = &body[..];
    let mut parts = Vec::new();
    while let Some(i) = find(rest, &delim) {
        rest = &rest[i + delim.len()..];
        if rest.starts_with(b"--") {
            break;
        }
        let end = find(rest, &delim).unwrap_or(rest.len());
        parts.push(&rest[..end]);
    }
    for part in parts {
        let part = part.strip_prefix(b"\r\n").or_else(|| part.strip_prefix(b"\n")).unwrap_or(part);
        let (head, content) = match find(part, b"\r\n\r\n") {
            Some(i) => (&part[..i], &part[i + 4..]),
            None => match find(part, b"\n\n") {
                Some(i) => (&part[..i], &part[i + 2..]),
                None => (part, &[][..]),
            },
        };
        let content = content.strip_suffix(b"\r\n").or_else(|| content.strip_suffix(b"\n")).unwrap_or(content);
        let mut name = Vec::new();
        let mut filename = None;
        for line in head.split(|&b| b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l)) {
            if line.is_empty() {
                continue;
            }
            req.part_headers.push(line.to_vec());
            if line.len() > 20 && line[..20].eq_ignore_ascii_case(b"content-disposition:") {
                for attr in line[20..].split(|&b| b == b';').map(<[u8]>::trim_ascii) {
                    if let Some(v) = attr.strip_prefix(b"name=") {
                        name = unquote(v).to_vec();
                    } else if let Some(v) = attr.strip_prefix(b"filename=") {
                        filename = Some(unquote(v).to_vec());
                    }
                }
            }
        }
        match filename {
            Some(f) => req.file_names.push(f),
            None => req.args_post.push((name, content.to_vec())),
        }
    }
}

fn unquote(v: &[u8]) -> &[u8] {
    v.strip_prefix(b"\"").and_then(|v| v.strip_suffix(b"\"")).unwrap_or(v)
}

/// JSON leaves as `(path, value)` pairs, the way ModSecurity's JSON body
/// processor names them (`json.a.b`). serde_json bounds nesting at 128.
fn flatten_json(prefix: &str, v: &Value, out: &mut Vec<(Vec<u8>, Vec<u8>)>) {
    let mut stack = vec![(prefix.to_owned(), v)];
    while let Some((name, v)) = stack.pop() {
        match v {
            Value::Object(map) => {
                for (k, child) in map.iter().rev() {
                    stack.push((format!("{name}.{k}"), child));
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate().rev() {
                    stack.push((format!("{name}.array_{i}"), child));
                }
            }
            leaf => out.push((name.into_bytes(), json_text(leaf).into_bytes())),
        }
    }
}

/// Standard base64 (line breaks and padding tolerated).
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' | b'\n' | b'\r' | b' ' | b'\t' => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn request(input: &Input) -> &Request {
        match &input.payload {
            Payload::Request(r) => r,
            Payload::Raw(_) => panic!("expected a request"),
        }
    }

    #[test]
    fn lines_are_bytes_and_skip_empty() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "in.txt", b"one\r\n\n\xff\xfe two\nthree");
        let c = Corpus::load(&[p]);
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        assert_eq!(c.inputs.len(), 3);
        assert_eq!(c.inputs[1].payload, Payload::Raw(b"\xff\xfe two".to_vec()));
        assert!(c.inputs[1].origin.ends_with("in.txt:3"));
        assert_eq!(c.loaded[0].shape, Shape::Lines);
    }

    #[test]
    fn labels_missing_and_empty_corpora() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "a.txt", b"x\n");
        let e = write(dir.path(), "empty.txt", b"");
        let missing = dir.path().join("nope.txt");
        let c = Corpus::load(&[PathBuf::from(format!("attack:{}", p.display())), e, missing]);
        assert_eq!(c.inputs.len(), 1);
        assert_eq!(c.inputs[0].expect, Expect::Attack);
        assert_eq!(c.problems.len(), 2, "{:?}", c.problems);
        assert!(c.problems[0].message.contains("no inputs"));
        assert!(c.problems[1].message.contains("cannot read corpus"));
    }

    #[test]
    fn jsonl_requests_are_decoded() {
        let dir = tempfile::tempdir().unwrap();
        let text = concat!(
            r#"{"expect":"match","expect_ids":[942100],"method":"POST","uri":"/p?q=a%20b&x","headers":{"Cookie":"s=1; t=2","User-Agent":"ua"},"data":"var=1%27+OR+1=1"}"#,
            "\n",
            "not json\n",
            r#"{"expect":"nomatch","no_expect_ids":[1],"method":"POST","headers":{"Content-Type":"application/json"},"data":"{\"a\":{\"b\":[1,\"x\"]}}"}"#,
            "\n",
            r#"{"encoded_request":"R0VUIC9hP2I9YyBIVFRQLzEuMQ0KSG9zdDogeA0KDQpib2R5"}"#,
            "\n",
        );
        let p = write(dir.path(), "r.jsonl", text.as_bytes());
        let c = Corpus::load(&[p]);
        assert_eq!(c.inputs.len(), 3);
        // The bad line, then the count: 1 of 4 lines is over the limit.
        assert_eq!(c.problems.len(), 2, "{:?}", c.problems);
        assert!(c.problems[0].place.ends_with("r.jsonl:2"));
        assert!(c.problems[1].message.starts_with("1 of 4 lines are invalid (25%), over the"), "{:?}", c.problems);
        assert_eq!(c.unreadable, 1);
        let r0 = request(&c.inputs[0]);
        assert_eq!(c.inputs[0].expect, Expect::Attack);
        assert_eq!(c.inputs[0].expect_ids, ["942100"]);
        assert_eq!(r0.args_get, vec![(b"q".to_vec(), b"a b".to_vec()), (b"x".to_vec(), Vec::new())]);
        assert_eq!(r0.args_post, vec![(b"var".to_vec(), b"1' OR 1=1".to_vec())]);
        assert_eq!(r0.cookies.len(), 2);
        let r1 = request(&c.inputs[1]);
        assert_eq!(c.inputs[1].expect, Expect::Benign);
        assert_eq!(
            r1.args_post,
            vec![(b"json.a.b.array_0".to_vec(), b"1".to_vec()), (b"json.a.b.array_1".to_vec(), b"x".to_vec())]
        );
        let r2 = request(&c.inputs[2]);
        assert_eq!(r2.method, b"GET");
        assert_eq!(r2.request_line, b"GET /a?b=c HTTP/1.1");
        assert_eq!(r0.request_line, b"POST /p?q=a%20b&x HTTP/1.1");
        assert_eq!(r2.uri, b"/a?b=c");
        assert_eq!(r2.headers, vec![(b"Host".to_vec(), b"x".to_vec())]);
        assert_eq!(r2.body, b"body");
    }

    #[test]
    fn selectors_pick_parts() {
        let mut req = Request {
            method: b"POST".to_vec(),
            uri: b"/dir/file.php?id=1".to_vec(),
            headers: vec![(b"User-Agent".to_vec(), b"curl".to_vec()), (b"Referer".to_vec(), b"r".to_vec())],
            body: b"a=x&b=y".to_vec(),
            ..Request::default()
        };
        decode_request(&mut req);
        let input = Input {
            origin: String::new(),
            expect: Expect::Unknown,
            expect_ids: Vec::new(),
            no_expect_ids: Vec::new(),
            payload: Payload::Request(Box::new(req)),
        };
        let mut out = Vec::new();
        let ua =
            Selector { part: Part::Headers, only: vec![NameMatch::Exact(b"user-agent".to_vec())], except: Vec::new() };
        let args = Selector { part: Part::Args, only: Vec::new(), except: vec![NameMatch::Exact(b"b".to_vec())] };
        input.values(&[ua, args, Selector::all(Part::Basename), Selector::all(Part::ArgNames)], &mut out);
        let got: Vec<&[u8]> = out;
        assert_eq!(got, [&b"curl"[..], b"1", b"x", b"file.php", b"id", b"a", b"b"]);
    }

    #[test]
    fn multipart_bodies_become_args_and_files() {
        let mut req = Request {
            method: b"POST".to_vec(),
            headers: vec![(b"Content-Type".to_vec(), b"multipart/form-data; boundary=XyZ".to_vec())],
            body: b"--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nval\r\n--XyZ\r\nContent-Disposition: form-data; name=\"up\"; filename=\"a.php\"\r\nContent-Type: text/plain\r\n\r\n<?php\r\n--XyZ--\r\n".to_vec(),
            ..Request::default()
        };
        decode_request(&mut req);
        assert_eq!(req.args_post, vec![(b"f".to_vec(), b"val".to_vec())]);
        assert_eq!(req.file_names, vec![b"a.php".to_vec()]);
        assert_eq!(req.part_headers.len(), 3);
    }

    #[test]
    fn percent_decoding_keeps_bad_escapes() {
        assert_eq!(percent_decode(b"%41%2"), b"A%2");
        assert_eq!(percent_decode(b"%zz+%"), b"%zz %");
    }
}
