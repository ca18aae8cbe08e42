//! What a rule sees: the file, the extracted pattern, the settings, and the
//! analyses computed once per pattern and shared by every rule.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::analysis::ir::Ir;
use crate::analysis::parse::{self, ParseConfig, ParseError};
use crate::report::{Finding, Severity};
use crate::source::{ExtractedPattern, PatternSpan, SourceFile, Span};
use crate::verify::redos::{self, RedosSettings, Verdict};

use super::RuleMeta;
use super::unsupported_in_flavor::{self, Unsupported};
use crate::source::Flavor;

/// Rule configuration: which rules run and at what severity.
#[derive(Debug, Clone, Default)]
pub struct RuleSettings {
    /// Per-rule severity overrides by code; `None` disables the rule.
    pub overrides: BTreeMap<String, Option<Severity>>,
    /// Only run these rule codes (empty: all).
    pub select: Vec<String>,
    /// CL007's budget for a compiled NFA, in bytes (`[analysis]
    /// max-nfa-bytes`; `None`: [`DEFAULT_MAX_NFA_BYTES`]).
    pub max_nfa_bytes: Option<usize>,
    /// Budgets of the backtracking analysis and its confirmation
    /// (CL001/CL002/CL008).
    pub redos: RedosSettings,
    /// Longest pattern parsed for analysis, in bytes (`[analysis]
    /// max-pattern-len`; `None`: the parser's default of 1 MiB).
    pub max_pattern_len: Option<usize>,
}

/// CL007's default NFA budget: 2 MiB. The largest OWASP CRS pattern
/// compiles to about 0.6 MB with Unicode classes, a gitleaks
/// `generic-api-key`-style rule to about 1.2 MB, while one Unicode `\w`
/// repeated a thousand times takes 17 MB (the Rust `regex` crate refuses
/// anything over 10 MiB by default).
pub const DEFAULT_MAX_NFA_BYTES: usize = 2 << 20;

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

/// True when every node's children come before it in the arena, the
/// invariant the parser guarantees and the bottom-up passes of CL003 and
/// CL005 index by. Checked rather than trusted, so that a parser bug makes
/// those rules skip a pattern instead of panicking.
pub(crate) fn is_bottom_up(ir: &Ir) -> bool {
    use crate::analysis::ir::NodeKind;
    ir.root.index() < ir.nodes.len()
        && ir.nodes.iter().enumerate().all(|(i, n)| match &n.kind {
            NodeKind::Concat(items) | NodeKind::Alt(items) => items.iter().all(|c| c.index() < i),
            NodeKind::Repeat(r) => r.child.index() < i,
            NodeKind::Group { child, .. } | NodeKind::Atomic(child) | NodeKind::Look { child, .. } => child.index() < i,
            _ => true,
        })
}

/// The backtracking verdict of `pattern` (parsed as `ir`) for the engine
/// `flavor`: the analysis of the flavor it is modelled with
/// ([`Flavor::model`]) under the flags the engine applies, with the replay
/// on the real PCRE2 only when the engine is PCRE itself (Onigmo's own
/// optimizations are not PCRE2's).
pub fn verdict(
    pattern: &str,
    ir: &Ir,
    flavor: Flavor,
    flags: crate::source::Flags,
    semantics: crate::source::Semantics,
    settings: &redos::RedosSettings,
) -> Verdict {
    if flavor.model() == flavor {
        redos::check_with_engine(pattern, ir, flavor, flavor.engine_flags(flags), semantics, settings)
    } else {
        redos::check(pattern, ir, flavor.model(), semantics, settings)
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
    pcre_ir: OnceLock<Option<Ir>>,
    unsupported: OnceLock<Vec<Unsupported>>,
    verdict: OnceLock<Option<Verdict>>,
}

impl<'a> PatternContext<'a> {
    /// A context for `pattern` in `file`.
    pub fn new(file: &'a SourceFile, pattern: &'a ExtractedPattern, settings: &'a RuleSettings) -> Self {
        PatternContext {
            file,
            pattern,
            settings,
            ir: OnceLock::new(),
            pcre_ir: OnceLock::new(),
            unsupported: OnceLock::new(),
            verdict: OnceLock::new(),
        }
    }

    /// The backtracking verdict (static analysis confirmed by simulation),
    /// computed once and shared by CL001, CL002 and CL008. `None` when the
    /// pattern does not parse for its flavor.
    pub fn verdict(&self) -> Option<&Verdict> {
        self.verdict
            .get_or_init(|| {
                let ir = self.ir().as_ref().ok()?;
                let p = self.pattern;
                Some(verdict(&p.pattern, ir, p.flavor, p.flags, p.semantics, &self.settings.redos))
            })
            .as_ref()
    }

    /// The pattern parsed for its flavor (computed once).
    pub fn ir(&self) -> &Result<Ir, ParseError> {
        self.ir.get_or_init(|| {
            let flavor = self.pattern.flavor;
            let mut config = ParseConfig::new(flavor.model()).flags(flavor.engine_flags(self.pattern.flags));
            if let Some(max) = self.settings.max_pattern_len {
                config.max_len = max;
            }
            parse::parse(&self.pattern.pattern, &config)
        })
    }

    /// The pattern read as PCRE, the superset syntax: what the author most
    /// likely wrote when the target flavor reads it differently or rejects
    /// it (CL004/CL006 use it to name the construct). `None` when PCRE
    /// rejects it too. For `pcre` patterns this is [`PatternContext::ir`].
    pub fn pcre_ir(&self) -> Option<&Ir> {
        if self.pattern.flavor.model() == Flavor::Pcre {
            return self.ir().as_ref().ok();
        }
        self.pcre_ir
            .get_or_init(|| {
                parse::parse(&self.pattern.pattern, &ParseConfig::new(Flavor::Pcre).flags(self.pattern.flags)).ok()
            })
            .as_ref()
    }

    /// Constructs the pattern's flavor lacks or reads differently (shared by
    /// CL006, which reports them, and CL004, which stays quiet about a
    /// syntax error they explain). Computed once.
    pub fn unsupported(&self) -> &[Unsupported] {
        self.unsupported.get_or_init(|| unsupported_in_flavor::find(self))
    }

    /// The text of a span of the decoded pattern (empty when out of range).
    pub fn pattern_text(&self, span: PatternSpan) -> &str {
        self.pattern.pattern.get(span.range()).unwrap_or("")
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
        f.flags = Some(self.pattern.flags.to_letters());
        f.semantics = Some(self.pattern.semantics);
        f.rule_id.clone_from(&self.pattern.rule_id);
        f.refresh_fingerprint();
        f
    }
}
