//! Sources: find the regexes inside config files, with exact spans.
//!
//! Pipeline position: first. A [`SourceFile`] (path + text) goes in; an
//! [`Extraction`] (every [`ExtractedPattern`] plus any parse problems) comes
//! out. Nothing here analyzes a regex.
//!
//! How a file is read:
//! 1. [`load`] reads bytes under a size cap and rejects binary / non-UTF-8
//!    files with a clear error.
//! 2. [`detect`] picks the file's [`Format`] (YAML, JSON, TOML or a line
//!    format such as SecLang) and, where it can tell, its [`Kind`].
//! 3. Tree formats are parsed into a spanned [`tree::Document`] (see
//!    `yaml.rs`, `json.rs`, `toml.rs`); kind selectors in [`kinds`] pick the
//!    regex-bearing strings. Line formats (`seclang.rs`, `nginx.rs`, ...)
//!    extract patterns directly.
//!
//! Guarantees: spans are recorded while parsing, never found by searching the
//! text afterwards; for every pattern, `offsets` maps each decoded byte back
//! into `span`; no input makes an extractor panic or hang (sizes, nesting
//! depth and YAML alias expansion are bounded).

pub(crate) mod decode;
pub mod flavor;
pub mod kinds;
pub mod offsets;
pub mod span;
pub mod tree;

pub mod json;
pub mod lines;
pub mod toml;
pub mod yaml;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use flavor::{Flags, Flavor, Semantics};
pub use kinds::Kind;
pub use offsets::{OffsetMap, OffsetMapBuilder};
pub use span::{LineIndex, PatternSpan, Span};

/// Default cap on the size of a file cfglint will read (bytes).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 8 * 1024 * 1024;

/// A file's contents, as read by [`load`].
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as the user should see it (relative to where they ran
    /// cfglint when possible; `/` separators).
    pub path: PathBuf,
    /// The text (always valid UTF-8).
    pub text: String,
}

impl SourceFile {
    /// A source file from a path and text already in memory (tests, git
    /// blobs).
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        SourceFile { path: path.into(), text: text.into() }
    }

    /// The path with `/` separators, for output.
    pub fn display_path(&self) -> String {
        display_path(&self.path)
    }
}

/// A path with `/` separators and no leading `./`, for output.
pub fn display_path(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_owned).unwrap_or(s)
}

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is larger than the configured cap.
    #[error("{path} is {size} bytes, over the {limit}-byte limit (raise `max-file-size` in cfglint.toml)")]
    TooLarge {
        /// The file.
        path: String,
        /// Its size.
        size: u64,
        /// The cap.
        limit: u64,
    },
    /// The file holds NUL bytes: binary, not config.
    #[error("{path} looks binary (NUL byte at line {line}, column {column}, offset {offset}); skipped")]
    Binary {
        /// The file.
        path: String,
        /// Offset of the first NUL byte.
        offset: usize,
        /// 1-based line of that byte.
        line: usize,
        /// 1-based column (characters) of that byte.
        column: usize,
    },
    /// The file is not valid UTF-8.
    #[error("{path} is not valid UTF-8 (invalid byte at line {line}, column {column}, offset {offset})")]
    NotUtf8 {
        /// The file.
        path: String,
        /// Offset of the first invalid byte.
        offset: usize,
        /// 1-based line of that byte.
        line: usize,
        /// 1-based column (characters) of that byte.
        column: usize,
    },
}

impl LoadError {
    /// Byte offset the error points at, when it has one.
    pub fn offset(&self) -> Option<usize> {
        match self {
            LoadError::Binary { offset, .. } | LoadError::NotUtf8 { offset, .. } => Some(*offset),
            _ => None,
        }
    }

    /// 1-based line and column the error points at, when it has them.
    pub fn line_col(&self) -> Option<(usize, usize)> {
        match self {
            LoadError::Binary { line, column, .. } | LoadError::NotUtf8 { line, column, .. } => Some((*line, *column)),
            _ => None,
        }
    }
}

/// Read a file under a size cap, rejecting binary and non-UTF-8 content.
pub fn load(path: &Path, max_size: u64) -> Result<SourceFile, LoadError> {
    let shown = display_path(path);
    let meta = std::fs::metadata(path).map_err(|source| LoadError::Io { path: shown.clone(), source })?;
    if meta.len() > max_size {
        return Err(LoadError::TooLarge { path: shown, size: meta.len(), limit: max_size });
    }
    // Bounded: a FIFO or `/dev/zero` named on the command line reports 0
    // bytes above and must not be read without end.
    let bytes = crate::fsutil::read_named(path, max_size).map_err(|e| match e {
        crate::fsutil::ReadError::TooLarge { .. } => {
            LoadError::TooLarge { path: shown.clone(), size: max_size.saturating_add(1), limit: max_size }
        }
        crate::fsutil::ReadError::Io(source) => LoadError::Io { path: shown.clone(), source },
        other @ crate::fsutil::ReadError::NotRegular(_) => {
            LoadError::Io { path: shown.clone(), source: std::io::Error::other(other.to_string()) }
        }
    })?;
    from_bytes(path, bytes, max_size)
}

/// Check bytes already in memory (for example a git blob) the way [`load`]
/// checks a file.
pub fn from_bytes(path: &Path, bytes: Vec<u8>, max_size: u64) -> Result<SourceFile, LoadError> {
    let shown = display_path(path);
    if bytes.len() as u64 > max_size {
        return Err(LoadError::TooLarge { path: shown, size: bytes.len() as u64, limit: max_size });
    }
    if let Some(offset) = bytes.iter().position(|&b| b == 0) {
        let (line, column) = line_col_of(&bytes, offset);
        return Err(LoadError::Binary { path: shown, offset, line, column });
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let (line, column) = line_col_of(e.as_bytes(), offset);
        LoadError::NotUtf8 { path: shown, offset, line, column }
    })?;
    // A UTF-8 byte order mark is not part of the config; keep offsets true to
    // the file by leaving it in place (parsers skip it).
    Ok(SourceFile { path: path.to_path_buf(), text })
}

/// 1-based line and column (characters, invalid bytes counted as one) of
/// byte `offset`.
fn line_col_of(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let line = before.split(|&b| b == b'\n').count();
    let column = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
    (line, column)
}

/// The syntax of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// YAML (one or more documents).
    Yaml,
    /// JSON (strict), or JSON5/JSONC for files named so.
    Json,
    /// TOML.
    Toml,
    /// ModSecurity / OWASP CRS SecLang `.conf`.
    Seclang,
    /// Other line-oriented formats (nginx, Fluent Bit, grok, CRS `.ra`).
    Lines,
}

/// One regex found in a file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExtractedPattern {
    /// The decoded regex, as the engine will see it (without delimiters
    /// such as `/…/` and without any implicit anchoring).
    pub pattern: String,
    /// Raw span of the pattern text in the file (inside any quotes).
    pub span: Span,
    /// Maps offsets in `pattern` to offsets in the file.
    #[serde(skip)]
    pub offsets: OffsetMap,
    /// Where it sits: `scrape_configs[2].relabel_configs[0].regex`, or for
    /// SecLang `SecRule[id=942100]` style paths.
    pub key: String,
    /// The file's kind.
    pub kind: Kind,
    /// The engine that runs it.
    pub flavor: Flavor,
    /// How the engine applies it.
    pub semantics: Semantics,
    /// Flags given outside the pattern (`~*` in nginx, `regex_flag: i`).
    pub flags: Flags,
    /// The identity of the rule that owns this regex, when the format has
    /// one (SecLang `id:`, WAF rule `id`, gitleaks rule `id`, semgrep `id`).
    /// Used to pair old and new versions in diffs.
    pub rule_id: Option<String>,
}

/// A problem found while parsing a file (becomes a CL100 finding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseProblem {
    /// What is wrong, in one sentence.
    pub message: String,
    /// Where, in bytes of the file (empty span for a position).
    pub span: Span,
}

/// Everything extracted from one file.
#[derive(Debug, Clone, Default)]
pub struct Extraction {
    /// The kind the file was read as (`None` when it was not recognized as
    /// config at all).
    pub kind: Option<Kind>,
    /// The regexes, in file order.
    pub patterns: Vec<ExtractedPattern>,
    /// Parse problems. A file with problems may still yield the patterns
    /// found before the problem.
    pub problems: Vec<ParseProblem>,
}

/// A source declared in cfglint.toml: files matching `glob` hold regexes
/// at `keys` (paths such as `a.b[].c`; `[]` matches any index, `*` any key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomSource {
    /// Glob over the path relative to the project root (`**` allowed).
    pub glob: String,
    /// Key paths of the regex-bearing values.
    pub keys: Vec<String>,
    /// Kind name to report (a built-in kind name uses that kind's
    /// extractor in addition to the keys).
    pub kind: Option<String>,
    /// Flavor of the patterns.
    pub flavor: Option<Flavor>,
    /// Semantics of the patterns.
    pub semantics: Option<Semantics>,
}

/// Options for extraction.
#[derive(Debug, Clone)]
pub struct ExtractOptions {
    /// Force this flavor for every pattern (`--flavor`).
    pub flavor: Option<Flavor>,
    /// Sources declared in cfglint.toml.
    pub custom: Vec<CustomSource>,
    /// Most nodes a YAML alias expansion may produce in one document.
    pub max_alias_expansion: usize,
    /// Deepest nesting of a document.
    pub max_depth: usize,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        ExtractOptions { flavor: None, custom: Vec::new(), max_alias_expansion: 10_000, max_depth: 256 }
    }
}

/// Decide the format of a file: YAML, JSON and TOML by extension, line
/// formats (and the few file names a kind claims) by the kinds' table.
/// Returns `None` for files cfglint does not read.
pub fn detect_format(path: &Path, text: &str) -> Option<Format> {
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    match kinds::extension(&name) {
        "yaml" | "yml" => Some(Format::Yaml),
        "json" | "json5" | "jsonc" => Some(Format::Json),
        "toml" => Some(Format::Toml),
        _ => kinds::sniff_format(path, text),
    }
}

/// Extract every regex from a file.
pub fn extract(file: &SourceFile, opts: &ExtractOptions) -> Extraction {
    let Some(format) = detect_format(&file.path, &file.text) else {
        return extract_custom_only(file, opts);
    };
    let out = match format {
        Format::Yaml => kinds::extract_tree(file, yaml::parse(&file.text, opts), opts),
        Format::Json => kinds::extract_tree(file, json::parse(&file.path, &file.text, opts), opts),
        Format::Toml => kinds::extract_tree(file, toml::parse(&file.text, opts), opts),
        Format::Seclang | Format::Lines => lines::extract(file),
    };
    with_engine_flags(out, opts)
}

/// Apply `--flavor` and each flavor's engine flags to extracted patterns.
fn with_engine_flags(mut out: Extraction, opts: &ExtractOptions) -> Extraction {
    for p in &mut out.patterns {
        if let Some(flavor) = opts.flavor {
            p.flavor = flavor;
        }
        p.flags = p.flavor.engine_flags(p.flags);
    }
    out
}

/// Files that match no built-in format may still be named by a custom source:
/// they are read as YAML (which also reads most JSON), else as TOML, and only
/// the custom sources' keys are picked.
fn extract_custom_only(file: &SourceFile, opts: &ExtractOptions) -> Extraction {
    let shown = file.display_path();
    let customs: Vec<&CustomSource> = opts.custom.iter().filter(|c| kinds::glob_matches(&c.glob, &shown)).collect();
    if customs.is_empty() {
        return Extraction::default();
    }
    let mut parsed = yaml::parse(&file.text, opts);
    if !parsed.problems.is_empty() {
        let as_toml = toml::parse(&file.text, opts);
        if as_toml.problems.is_empty() {
            parsed = as_toml;
        }
    }
    with_engine_flags(kinds::extract_custom(file, parsed, &customs), opts)
}

/// The result of parsing a tree format: the documents, or what went wrong
/// (with the documents parsed before the problem, if any).
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// Documents parsed.
    pub documents: Vec<tree::Document>,
    /// Problems (syntax errors, limits hit).
    pub problems: Vec<ParseProblem>,
}
