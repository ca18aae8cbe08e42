//! What a rule sees: the file, the extracted pattern, the settings, and the
//! analyses computed once per pattern and shared by every rule.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::analysis::ir::Ir;
use crate::analysis::parse::{self, ParseConfig, ParseError};
use crate::report::{Finding, Severity};
use crate::source::{ExtractedPattern, PatternSpan, SourceFile, Span};

use super::RuleMeta;

/// Rule configuration: which rules run and at what severity.
#[derive(Debug, Clone, Default)]
pub struct RuleSettings {
    /// Per-rule severity overrides by code; `None` disables the rule.
    pub overrides: BTreeMap<String, Option<Severity>>,
    /// Only run these rule codes (empty: all).
    pub select: Vec<String>,
}

impl RuleSettings {
    /// True when the rule with this code runs.
    pub fn is_enabled(&self, code: &str) -> bool {
        if !self.select.is_empty() && !self.select.iter().any(|c| c.eq_ignore_ascii_case(code)) {
            return false;
        }
        !matches!(self.overrides.get(code), Some(None))
    }

    /// The severity of a rule after overrides.
    pub fn severity(&self, meta: &RuleMeta) -> Severity {
        match self.overrides.get(&meta.code) {
            Some(Some(s)) => *s,
            _ => meta.default_severity,
        }
    }
}

/// One pattern, in its file, with lazily computed analyses.
pub struct PatternContext<'a> {
    /// The file the pattern came from.
    pub file: &'a SourceFile,
    /// The pattern.
    pub pattern: &'a ExtractedPattern,
    /// Rule settings.
    pub settings: &'a RuleSettings,
    ir: OnceLock<Result<Ir, ParseError>>,
}

impl<'a> PatternContext<'a> {
    /// A context for `pattern` in `file`.
    pub fn new(file: &'a SourceFile, pattern: &'a ExtractedPattern, settings: &'a RuleSettings) -> Self {
        PatternContext { file, pattern, settings, ir: OnceLock::new() }
    }

    /// The pattern parsed for its flavor (computed once).
    pub fn ir(&self) -> &Result<Ir, ParseError> {
        self.ir.get_or_init(|| {
            parse::parse(&self.pattern.pattern, &ParseConfig::new(self.pattern.flavor).flags(self.pattern.flags))
        })
    }

    /// The file span of a span inside the decoded pattern.
    pub fn file_span(&self, span: PatternSpan) -> Span {
        self.pattern.offsets.to_file_span(span)
    }

    /// A finding for `meta` on this pattern, at `span` inside the pattern
    /// (or the whole pattern), with key, kind, pattern, flavor and
    /// severity filled in.
    pub fn finding(&self, meta: &RuleMeta, span: Option<PatternSpan>, message: impl Into<String>) -> Finding {
        let file_span = span.map_or(self.pattern.span, |s| self.file_span(s));
        let mut f = Finding::new(
            &meta.code,
            &meta.id,
            self.settings.severity(meta),
            &self.file.display_path(),
            &self.file.text,
            Some(file_span),
            message,
        );
        f.key = Some(self.pattern.key.clone());
        f.kind = Some(self.pattern.kind.as_str().to_owned());
        f.pattern = Some(self.pattern.pattern.clone());
        f.flavor = Some(self.pattern.flavor);
        f.rule_id.clone_from(&self.pattern.rule_id);
        f.refresh_fingerprint();
        f
    }
}
