//! Corpora for `cfglint bench`: the inputs a rule is measured on.
//!
//! Where it sits: loaded once per run, before any rule is measured; each
//! rule then reads it chunk by chunk ([`Corpus::for_each_chunk`]) and picks
//! the parts of every input its targets name ([`Input::values`]).
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
//! Streaming: every `--corpus` path is read once, as a stream (a FIFO,
//! `/dev/stdin` or `<(…)` works like a file), and its inputs go to a store
//! that keeps a small corpus in memory ([`Limits::memory_bytes`]) and a
//! larger one in an anonymous temporary file, read back a chunk at a time
//! (`store`). Memory is flat in the corpus size: a chunk
//! ([`Limits::chunk_bytes`]) per reader and the largest single input. A FIFO or
//! `/dev/stdin` with no telling name (`.jsonl`, `.yaml`) goes by its
//! content: go-ftw YAML, JSONL when its first line is a JSON object, else
//! lines.
//!
//! Guarantees: every path is read under a size cap ([`Limits::max_bytes`];
//! an endless stream stops with a problem naming the limit), every single
//! input under [`MAX_INPUT_SIZE`] (`/dev/zero`, which has no line end, stops
//! there); a bad line or file is a [`Problem`] and loading goes on; nothing
//! recurses over input without a bound (serde_json's depth limit; the YAML
//! tree is depth-bounded by its parser).
//!
//! Layout: `loader` reads the files (lines, folders, JSONL, go-ftw YAML)
//! into [`Input`]s; `http` decodes the requests they carry (request line,
//! headers, URL and percent decoding, bodies); `store` keeps them.

mod http;
mod loader;
mod store;

pub use http::percent_decode;
use http::{path_of, query_of};

/// Most invalid lines a JSONL corpus file may have, in percent of its
/// non-blank lines. Each invalid line is a problem; above this share the
/// file is not the corpus it claims to be, and the run fails (exit 2)
/// rather than measure the rest as if nothing were wrong.
pub const MAX_INVALID_LINES_PERCENT: f64 = 1.0;

/// Largest corpus read from one `--corpus` path (a file, a stream, each
/// file of a folder), in bytes, unless `[bench] max-corpus-bytes` says
/// otherwise.
pub const MAX_FILE_SIZE: u64 = 512 * 1024 * 1024;

/// Largest single input, in bytes: a line of a lines or JSONL file, a file
/// of a folder read as one input, a go-ftw YAML file (parsed whole). Above
/// ModSecurity's default request body limit (`SecRequestBodyLimit`, 12.5
/// MiB) with room for base64 (`encoded_request`).
pub const MAX_INPUT_SIZE: u64 = 32 * 1024 * 1024;

/// Encoded bytes of inputs a corpus may take and still be kept in memory
/// (decoded once, never written to disk). The CRS regression requests
/// take about half of it.
pub const MEMORY_BYTES: usize = 4 * 1024 * 1024;

/// Encoded bytes of inputs per chunk of a larger corpus, read back one at
/// a time by each rule (see [`Corpus::for_each_chunk`]).
pub const CHUNK_BYTES: usize = 1024 * 1024;

/// How much of a corpus is read, and how much is held in memory at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest corpus read from one path, in bytes.
    pub max_bytes: u64,
    /// Encoded bytes of inputs kept in memory; a larger corpus is spilled.
    pub memory_bytes: usize,
    /// Encoded bytes of inputs per chunk of a spilled corpus.
    pub chunk_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_bytes: MAX_FILE_SIZE, memory_bytes: MEMORY_BYTES, chunk_bytes: CHUNK_BYTES }
    }
}

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
pub struct HttpRequest {
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
    Request(Box<HttpRequest>),
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

/// A problem with one corpus item (with no rule); loading goes on.
pub use super::rules::Problem;

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

/// Every input of every corpus, in argument order, read back a chunk at a
/// time ([`Corpus::for_each_chunk`]).
#[derive(Debug, Default)]
pub struct Corpus {
    /// Where the inputs are.
    store: store::Store,
    /// Number of inputs.
    len: usize,
    /// Attack, benign and unlabelled inputs.
    counts: (usize, usize, usize),
    /// What each argument gave.
    pub loaded: Vec<Loaded>,
    /// Problems met (bad lines, unreadable files, empty corpora).
    pub problems: Vec<Problem>,
    /// `--corpus` paths that could not be read at all (I/O errors), and
    /// files with more than [`MAX_INVALID_LINES_PERCENT`] invalid lines.
    pub unreadable: usize,
}

impl Corpus {
    /// A corpus of these inputs, held in memory (tests, benchmarks, callers
    /// that build inputs themselves).
    pub fn from_inputs(inputs: Vec<Input>) -> Corpus {
        let mut counts = (0, 0, 0);
        for i in &inputs {
            match i.expect {
                Expect::Attack => counts.0 += 1,
                Expect::Benign => counts.1 += 1,
                Expect::Unknown => counts.2 += 1,
            }
        }
        let len = inputs.len();
        let store = if inputs.is_empty() { store::Store::Empty } else { store::Store::Memory(inputs) };
        Corpus { store, len, counts, ..Corpus::default() }
    }

    /// Number of inputs.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True with no inputs.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Call `f` on every chunk of inputs, in order: the whole corpus at
    /// once when it fits in one chunk, else one chunk after another, read
    /// back from the temporary file. The error is an I/O error reading it.
    pub fn for_each_chunk(&self, mut f: impl FnMut(&[Input])) -> std::io::Result<()> {
        self.store.for_each_chunk(&mut f)
    }

    /// Every input, in memory (tests and small corpora).
    pub fn inputs(&self) -> std::io::Result<Vec<Input>> {
        let mut all = Vec::with_capacity(self.len);
        self.for_each_chunk(|c| all.extend_from_slice(c))?;
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::http::decode_request;
    use super::*;

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn request(input: &Input) -> &HttpRequest {
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
        let inputs = c.inputs().unwrap();
        assert_eq!(inputs.len(), 3);
        assert_eq!(inputs[1].payload, Payload::Raw(b"\xff\xfe two".to_vec()));
        assert!(inputs[1].origin.ends_with("in.txt:3"));
        assert_eq!(c.loaded[0].shape, Shape::Lines);
    }

    #[test]
    fn labels_missing_and_empty_corpora() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "a.txt", b"x\n");
        let e = write(dir.path(), "empty.txt", b"");
        let missing = dir.path().join("nope.txt");
        let c = Corpus::load(&[PathBuf::from(format!("attack:{}", p.display())), e, missing]);
        let inputs = c.inputs().unwrap();
        assert_eq!(inputs.len(), 1);
        assert_eq!(inputs[0].expect, Expect::Attack);
        assert_eq!(c.counts(), (1, 0, 0));
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
        let inputs = c.inputs().unwrap();
        assert_eq!(inputs.len(), 3);
        // The bad line, then the count: 1 of 4 lines is over the limit.
        assert_eq!(c.problems.len(), 2, "{:?}", c.problems);
        assert!(c.problems[0].place.ends_with("r.jsonl:2"));
        assert!(c.problems[1].message.starts_with("1 of 4 lines are invalid (25%), over the"), "{:?}", c.problems);
        assert_eq!(c.unreadable, 1);
        let r0 = request(&inputs[0]);
        assert_eq!(inputs[0].expect, Expect::Attack);
        assert_eq!(inputs[0].expect_ids, ["942100"]);
        assert_eq!(r0.args_get, vec![(b"q".to_vec(), b"a b".to_vec()), (b"x".to_vec(), Vec::new())]);
        assert_eq!(r0.args_post, vec![(b"var".to_vec(), b"1' OR 1=1".to_vec())]);
        assert_eq!(r0.cookies.len(), 2);
        let r1 = request(&inputs[1]);
        assert_eq!(inputs[1].expect, Expect::Benign);
        assert_eq!(
            r1.args_post,
            vec![(b"json.a.b.array_0".to_vec(), b"1".to_vec()), (b"json.a.b.array_1".to_vec(), b"x".to_vec())]
        );
        let r2 = request(&inputs[2]);
        assert_eq!(r2.method, b"GET");
        assert_eq!(r2.request_line, b"GET /a?b=c HTTP/1.1");
        assert_eq!(r0.request_line, b"POST /p?q=a%20b&x HTTP/1.1");
        assert_eq!(r2.uri, b"/a?b=c");
        assert_eq!(r2.headers, vec![(b"Host".to_vec(), b"x".to_vec())]);
        assert_eq!(r2.body, b"body");
    }

    #[test]
    fn selectors_pick_parts() {
        let mut req = HttpRequest {
            method: b"POST".to_vec(),
            uri: b"/dir/file.php?id=1".to_vec(),
            headers: vec![(b"User-Agent".to_vec(), b"curl".to_vec()), (b"Referer".to_vec(), b"r".to_vec())],
            body: b"a=x&b=y".to_vec(),
            ..HttpRequest::default()
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
        let mut req = HttpRequest {
            method: b"POST".to_vec(),
            headers: vec![(b"Content-Type".to_vec(), b"multipart/form-data; boundary=XyZ".to_vec())],
            body: b"--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nval\r\n--XyZ\r\nContent-Disposition: form-data; name=\"up\"; filename=\"a.php\"\r\nContent-Type: text/plain\r\n\r\n<?php\r\n--XyZ--\r\n".to_vec(),
            ..HttpRequest::default()
        };
        decode_request(&mut req);
        assert_eq!(req.args_post, vec![(b"f".to_vec(), b"val".to_vec())]);
        assert_eq!(req.file_names, vec![b"a.php".to_vec()]);
        assert_eq!(req.part_headers.len(), 3);
    }

    #[test]
    fn long_boundaries_and_near_misses_split_the_same() {
        // A preamble of near misses (each compares almost the whole
        // delimiter before failing) before the real boundary: the body still
        // splits at the first full match.
        let boundary = format!("{}B", "a".repeat(200));
        let mut body = Vec::new();
        for _ in 0..50 {
            body.extend_from_slice(format!("--{}\r\n", "a".repeat(200)).as_bytes());
        }
        body.extend_from_slice(format!("\r\n--{boundary}\r\n").as_bytes());
        body.extend_from_slice(b"Content-Disposition: form-data; name=\"q\"\r\n\r\nvalue\r\n");
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let mut req = HttpRequest {
            method: b"POST".to_vec(),
            headers: vec![(b"Content-Type".to_vec(), format!("multipart/form-data; boundary={boundary}").into_bytes())],
            body,
            ..HttpRequest::default()
        };
        decode_request(&mut req);
        assert_eq!(req.args_post, vec![(b"q".to_vec(), b"value".to_vec())]);
        // The head ends at the first blank line, `\r\n\r\n` before `\n\n`.
        let raw = b"GET /x?a=1 HTTP/1.1\r\nHost: h\r\n\r\nbody\n\nmore";
        let mut req = HttpRequest::default();
        http::parse_raw_http(raw, &mut req);
        assert_eq!(req.body, b"body\n\nmore");
        assert_eq!(req.headers, vec![(b"Host".to_vec(), b"h".to_vec())]);
        let mut req = HttpRequest::default();
        http::parse_raw_http(b"GET / HTTP/1.0\nA: b\n\nrest", &mut req);
        assert_eq!(req.body, b"rest");
    }

    #[test]
    fn percent_decoding_keeps_bad_escapes() {
        assert_eq!(percent_decode(b"%41%2"), b"A%2");
        assert_eq!(percent_decode(b"%zz+%"), b"%zz %");
    }
}
