//! `cfglint.toml`: the project's configuration, read with spans so an error
//! points at the offending key.
//!
//! Found upward from the working directory unless `--config` names one.
//! Every section is optional; unknown keys are errors (a typo in a budget
//! must not silently disable it). Sections owned by later stages (`bench`,
//! `rollout`, `order`) are kept as TOML values here and validated by those
//! stages.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::finding::Severity;
use crate::source::{CustomSource, Flavor, Kind, Semantics};

/// The file name looked for.
pub const FILE_NAME: &str = "cfglint.toml";

/// A configuration error, with the file and the span of the offending text.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    #[diagnostic(code(cfglint::config::io))]
    Io {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid, or holds an invalid value.
    #[error("{message}")]
    #[diagnostic(code(cfglint::config::invalid), help("see the cfglint.toml section of the README"))]
    Invalid {
        /// What is wrong.
        message: String,
        /// The file's text, for the snippet.
        #[source_code]
        src: miette::NamedSource<String>,
        /// Where.
        #[label("here")]
        span: Option<miette::SourceSpan>,
    },
}

/// A value with the byte range it came from.
pub type Spanned<T> = toml::Spanned<T>;

/// The file as written (before validation).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RawConfig {
    /// Default `--fail-on`.
    pub fail_on: Option<Spanned<String>>,
    /// Default `--flavor` for every pattern.
    pub flavor: Option<Spanned<String>>,
    /// Largest file read, in bytes.
    pub max_file_size: Option<u64>,
    /// Globs of files to skip.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Severity per rule code or name: `"error"`, `"warning"`, `"note"` or
    /// `"off"`.
    #[serde(default)]
    pub rules: BTreeMap<String, Spanned<String>>,
    /// Analysis budgets.
    #[serde(default)]
    pub analysis: AnalysisSection,
    /// Extra regex sources.
    #[serde(default)]
    pub source: Vec<SourceSection>,
    /// `cfglint bench` settings (validated by `bench`).
    pub bench: Option<toml::Value>,
    /// `cfglint rollout` policy (validated by `rollout`).
    pub rollout: Option<toml::Value>,
    /// Declared ordering constraints between files (validated by
    /// `rollout`).
    pub order: Option<toml::Value>,
}

/// `[analysis]`: budgets. Every analysis and every simulated match runs
/// under these; running out gives `complexity: unknown`, never a hang.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct AnalysisSection {
    /// Most NFA states built for one pattern.
    pub max_states: Option<usize>,
    /// Most product-automaton pairs explored for one pattern.
    pub max_pairs: Option<usize>,
    /// Most simulator steps spent confirming one pattern.
    pub max_steps: Option<u64>,
    /// Longest pattern analyzed, in bytes.
    pub max_pattern_len: Option<usize>,
    /// NFA size budget for CL007, in bytes of regex-automata's NFA heap.
    pub max_nfa_bytes: Option<usize>,
    /// Wall-clock budget of a whole run's backtracking analysis, in
    /// seconds (default 120).
    pub max_run_seconds: Option<u64>,
}

/// `[[source]]`: files matching `glob` hold regexes at `keys`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct SourceSection {
    /// Glob over paths relative to the config file's folder.
    pub glob: Spanned<String>,
    /// Key paths (`a.b[].c`; `[]` any index, `*` any key).
    #[serde(default)]
    pub keys: Vec<String>,
    /// Kind name to report (with `keys`), or a built-in kind to read the
    /// file as.
    pub kind: Option<Spanned<String>>,
    /// Flavor of the patterns.
    pub flavor: Option<Spanned<String>>,
    /// `search`, `anchored-start` or `full-match`.
    pub semantics: Option<Spanned<String>>,
}

/// A loaded configuration: the raw values plus where they came from.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file, if one was found.
    pub path: Option<PathBuf>,
    /// Its text (for later diagnostics on sections validated elsewhere).
    pub text: String,
    /// The parsed values.
    pub raw: RawConfig,
    /// Validated rule severities by code (`None` = off).
    pub rules: BTreeMap<String, Option<Severity>>,
    /// Validated custom sources.
    pub sources: Vec<CustomSource>,
    /// Validated default flavor.
    pub flavor: Option<Flavor>,
    /// Validated default fail-on.
    pub fail_on: Option<Severity>,
}

impl Config {
    /// Find `cfglint.toml` upward from `start`.
    pub fn discover(start: &Path) -> Option<PathBuf> {
        let mut dir = Some(start);
        while let Some(d) = dir {
            let candidate = d.join(FILE_NAME);
            if candidate.is_file() {
                return Some(candidate);
            }
            dir = d.parent();
        }
        None
    }

    /// Load and validate a config file.
    pub fn load(path: &Path) -> Result<Config, Error> {
        let text = crate::fsutil::read_regular_text(path, crate::fsutil::INPUT_CAP)
            .map_err(|e| Error::Io { path: path.display().to_string(), source: e.into_io() })?;
        Config::parse(path, text)
    }

    /// Parse and validate config text.
    pub fn parse(path: &Path, text: String) -> Result<Config, Error> {
        let name = path.display().to_string();
        let invalid = |message: String, span: Option<std::ops::Range<usize>>| Error::Invalid {
            message,
            src: miette::NamedSource::new(name.clone(), text.clone()),
            span: span.map(|r| (r.start, r.end - r.start).into()),
        };
        let raw: RawConfig = toml::from_str(&text).map_err(|e| invalid(e.message().to_owned(), e.span()))?;

        let mut rules = BTreeMap::new();
        for (key, value) in &raw.rules {
            let Some(meta) = crate::rules::lookup(key) else {
                return Err(invalid(format!("unknown rule `{key}` in [rules]"), Some(value.span())));
            };
            let sev = match value.get_ref().as_str() {
                "off" | "allow" => None,
                other => Some(other.parse::<Severity>().map_err(|e| invalid(e, Some(value.span())))?),
            };
            rules.insert(meta.code.clone(), sev);
        }
        let parse_flavor = |v: &Spanned<String>| v.get_ref().parse::<Flavor>().map_err(|e| invalid(e, Some(v.span())));
        let flavor = raw.flavor.as_ref().map(parse_flavor).transpose()?;
        let fail_on = raw
            .fail_on
            .as_ref()
            .map(|v| v.get_ref().parse::<Severity>().map_err(|e| invalid(e, Some(v.span()))))
            .transpose()?;
        let mut sources = Vec::new();
        for s in &raw.source {
            if let Err(e) = globset::GlobBuilder::new(s.glob.get_ref()).literal_separator(true).build() {
                let why = e.kind().to_string();
                return Err(invalid(
                    format!("invalid glob `{}` in [[source]]: {why}", s.glob.get_ref()),
                    Some(s.glob.span()),
                ));
            }
            if let Some(k) = &s.kind {
                let name = k.get_ref();
                let builtin = Kind::BUILTIN.iter().any(|b| b.as_str() == name);
                let custom_ok = !s.keys.is_empty()
                    && !name.is_empty()
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
                if !builtin && !custom_ok {
                    let names: Vec<&str> = Kind::BUILTIN.iter().map(Kind::as_str).collect();
                    return Err(invalid(
                        format!(
                            "unknown kind `{name}` in [[source]]: use a built-in kind ({}), or give `keys` to name a \
                             kind of your own (letters, digits, `-`, `_`, `.`)",
                            names.join(", ")
                        ),
                        Some(k.span()),
                    ));
                }
            }
            let semantics = match &s.semantics {
                None => None,
                Some(v) => Some(v.get_ref().parse::<Semantics>().map_err(|e| invalid(e, Some(v.span())))?),
            };
            sources.push(CustomSource {
                glob: s.glob.get_ref().clone(),
                keys: s.keys.clone(),
                kind: s.kind.as_ref().map(|k| k.get_ref().clone()),
                flavor: s.flavor.as_ref().map(parse_flavor).transpose()?,
                semantics,
            });
        }
        Ok(Config { path: Some(path.to_path_buf()), text, raw, rules, sources, flavor, fail_on })
    }

    /// The folder the config file is in (custom source globs are relative
    /// to it).
    pub fn root(&self) -> Option<&Path> {
        self.path.as_deref().and_then(Path::parent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_source_globs_and_kinds_point_at_the_value() {
        let bad = |text: &str| {
            let Err(Error::Invalid { message, span, .. }) = Config::parse(Path::new("cfglint.toml"), text.to_owned())
            else {
                panic!("accepted: {text}")
            };
            (message, span.map(|s| s.offset()))
        };
        let (message, at) = bad("[[source]]\nglob = \"[z-a\"\nkeys = [\"a\"]\n");
        assert!(message.contains("invalid glob `[z-a`"), "{message}");
        assert_eq!(at, Some(18));
        let (message, at) = bad("[[source]]\nglob = \"*.yaml\"\nkind = \"nonsense\"\n");
        assert!(message.contains("unknown kind `nonsense`"), "{message}");
        assert_eq!(at, Some(34));
        // A name of one's own, with keys, and a built-in kind are fine.
        let ok = "[[source]]\nglob = \"*.yaml\"\nkind = \"my-rules\"\nkeys = [\"a\"]\n\n[[source]]\nglob = \"x/**/*.yml\"\nkind = \"waf-yaml\"\n";
        Config::parse(Path::new("cfglint.toml"), ok.to_owned()).expect("valid");
    }

    #[test]
    fn parses_and_validates() {
        let text = r#"
fail-on = "warning"
[rules]
CL003 = "off"
polynomial-backtracking = "error"
[[source]]
glob = "waf/**/*.yaml"
keys = ["rules[].match"]
flavor = "pcre"
"#;
        let c = Config::parse(Path::new("cfglint.toml"), text.to_owned()).unwrap();
        assert_eq!(c.fail_on, Some(Severity::Warning));
        assert_eq!(c.rules.get("CL003"), Some(&None));
        assert_eq!(c.rules.get("CL002"), Some(&Some(Severity::Error)));
        assert_eq!(c.sources[0].flavor, Some(Flavor::Pcre));
    }

    #[test]
    fn errors_point_at_the_key() {
        let text = "[rules]\nCL999 = \"off\"\n";
        let Err(Error::Invalid { message, span, .. }) = Config::parse(Path::new("cfglint.toml"), text.to_owned())
        else {
            panic!("expected an error")
        };
        assert!(message.contains("CL999"));
        assert_eq!(span.map(|s| s.offset()), Some(16));
        let text = "flavour = \"pcre\"\n";
        let Err(Error::Invalid { span, .. }) = Config::parse(Path::new("cfglint.toml"), text.to_owned()) else {
            panic!("expected an error")
        };
        assert_eq!(span.map(|s| s.offset()), Some(0));
    }
}
