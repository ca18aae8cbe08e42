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

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use flavor::{Flags, Flavor, Semantics};
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

/// What a file is: which tool reads it, and so where its regexes are.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// The WAF rule YAML format (`rules[].pattern`).
    WafYaml,
    /// ModSecurity / OWASP CRS rules.
    Seclang,
    /// OWASP CRS regex-assembly sources (`.ra`).
    CrsRegexAssembly,
    /// Prometheus server config, and Prometheus Operator monitors.
    Prometheus,
    /// Prometheus rule files / `PrometheusRule` (PromQL `=~` matchers).
    PrometheusRules,
    /// Alertmanager config.
    Alertmanager,
    /// gitleaks TOML.
    Gitleaks,
    /// Semgrep rules.
    Semgrep,
    /// Traefik dynamic config.
    Traefik,
    /// Renovate config.
    Renovate,
    /// uap-core `regexes.yaml`.
    UapCore,
    /// crawler-user-agents JSON.
    CrawlerUserAgents,
    /// nginx config.
    Nginx,
    /// Fluent Bit parsers / config.
    FluentBit,
    /// Logstash grok pattern files.
    Grok,
    /// Kubernetes CRD / JSON-Schema `pattern:` keys.
    JsonSchema,
    /// Any YAML/TOML/JSON: keys named `regex`, `regexp`, `pattern`,
    /// `patterns[]`.
    Generic,
    /// A kind declared in cfglint.toml.
    Custom(String),
}

impl Kind {
    /// The kebab-case name used in output and in cfglint.toml.
    pub fn as_str(&self) -> &str {
        match self {
            Kind::WafYaml => "waf-yaml",
            Kind::Seclang => "seclang",
            Kind::CrsRegexAssembly => "crs-regex-assembly",
            Kind::Prometheus => "prometheus",
            Kind::PrometheusRules => "prometheus-rules",
            Kind::Alertmanager => "alertmanager",
            Kind::Gitleaks => "gitleaks",
            Kind::Semgrep => "semgrep",
            Kind::Traefik => "traefik",
            Kind::Renovate => "renovate",
            Kind::UapCore => "uap-core",
            Kind::CrawlerUserAgents => "crawler-user-agents",
            Kind::Nginx => "nginx",
            Kind::FluentBit => "fluent-bit",
            Kind::Grok => "grok",
            Kind::JsonSchema => "json-schema",
            Kind::Generic => "generic",
            Kind::Custom(name) => name,
        }
    }

    /// Every built-in kind.
    pub const BUILTIN: [Kind; 17] = [
        Kind::WafYaml,
        Kind::Seclang,
        Kind::CrsRegexAssembly,
        Kind::Prometheus,
        Kind::PrometheusRules,
        Kind::Alertmanager,
        Kind::Gitleaks,
        Kind::Semgrep,
        Kind::Traefik,
        Kind::Renovate,
        Kind::UapCore,
        Kind::CrawlerUserAgents,
        Kind::Nginx,
        Kind::FluentBit,
        Kind::Grok,
        Kind::JsonSchema,
        Kind::Generic,
    ];

    /// Parse a kind name; unknown names are custom kinds.
    pub fn from_name(name: &str) -> Kind {
        Kind::BUILTIN.iter().find(|k| k.as_str() == name).cloned().unwrap_or_else(|| Kind::Custom(name.to_owned()))
    }

    /// True when the kind's patterns are fragments of a larger regex (CRS
    /// regex-assembly lines and toolchain fragments are assembled into one
    /// alternation; grok definitions such as `DATA .*?` are building blocks
    /// referenced by `%{DATA}`), so whole-pattern checks such as "matches
    /// everything" or "leading `.*`" do not apply to them on their own.
    pub fn is_fragment(&self) -> bool {
        matches!(self, Kind::CrsRegexAssembly | Kind::Grok)
    }

    /// How the engine applies a kind's patterns unless the extractor knows
    /// better: search for every built-in kind. A CRS regex-assembly
    /// fragment is one branch of the assembled alternation that
    /// ModSecurity *searches*, so the retry at every start position applies
    /// to each branch (an anchoring prefix such as `##!^ ^` is part of the
    /// pattern the extractor reports, see `lines/regex_assembly.rs`).
    pub fn default_semantics(&self) -> Semantics {
        Semantics::Search
    }

    /// The flavor a kind's patterns default to.
    pub fn default_flavor(&self) -> Flavor {
        match self {
            Kind::Prometheus | Kind::PrometheusRules | Kind::Alertmanager | Kind::Gitleaks | Kind::Traefik => {
                Flavor::Re2
            }
            Kind::Semgrep => Flavor::Python,
            Kind::Renovate | Kind::JsonSchema | Kind::CrawlerUserAgents => Flavor::Js,
            // CRS regex-assembly sources become rules that ModSecurity's
            // backtracking PCRE runs (see `lines/regex_assembly.rs`).
            Kind::WafYaml
            | Kind::Seclang
            | Kind::CrsRegexAssembly
            | Kind::UapCore
            | Kind::Nginx
            | Kind::Generic
            | Kind::Custom(_) => Flavor::Pcre,
            // Fluent Bit runs Onigmo; Logstash grok runs Joni, a port of
            // Oniguruma: `^`/`$` are line anchors in both.
            Kind::FluentBit | Kind::Grok => Flavor::Onigmo,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(Kind::from_name(&s))
    }
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

/// Decide the format and, where the name alone tells, the kind of a file.
/// Returns `None` for files cfglint does not read (by extension).
pub fn detect_format(path: &Path, text: &str) -> Option<Format> {
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    match ext {
        "yaml" | "yml" => Some(Format::Yaml),
        "json" | "json5" | "jsonc" => Some(Format::Json),
        "toml" => Some(Format::Toml),
        "ra" => Some(Format::Lines),
        "conf" | "config" => {
            if lines::seclang::looks_like_seclang(text) {
                Some(Format::Seclang)
            } else {
                Some(Format::Lines)
            }
        }
        _ if name == "renovate.json5" || name == ".renovaterc" => Some(Format::Json),
        _ if name == "nginx.conf" => Some(Format::Lines),
        _ if lines::looks_like_grok(path, text) || lines::looks_like_nginx_site(path, text) => Some(Format::Lines),
        _ => None,
    }
}

/// Extract every regex from a file.
pub fn extract(file: &SourceFile, opts: &ExtractOptions) -> Extraction {
    let Some(format) = detect_format(&file.path, &file.text) else {
        return extract_custom_only(file, opts);
    };
    let mut out = match format {
        Format::Yaml => kinds::extract_tree(file, yaml::parse(&file.text, opts), opts),
        Format::Json => kinds::extract_tree(file, json::parse(&file.path, &file.text, opts), opts),
        Format::Toml => kinds::extract_tree(file, toml::parse(&file.text, opts), opts),
        Format::Seclang => lines::seclang::extract(file),
        Format::Lines => lines::extract(file),
    };
    if let Some(flavor) = opts.flavor {
        for p in &mut out.patterns {
            p.flavor = flavor;
        }
    }
    for p in &mut out.patterns {
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
    let mut out = kinds::extract_custom(file, parsed, &customs);
    if let Some(flavor) = opts.flavor {
        for p in &mut out.patterns {
            p.flavor = flavor;
        }
    }
    for p in &mut out.patterns {
        p.flags = p.flavor.engine_flags(p.flags);
    }
    out
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
