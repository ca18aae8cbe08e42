//! What a rule sees: the file, the extracted pattern, the settings, and the
//! analyses computed once per pattern and shared by every rule.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::analysis::ir::Ir;
use crate::analysis::parse::{self, ParseConfig, ParseError};
use crate::finding::{Finding, Severity};
use crate::source::{ExtractedPattern, PatternSpan, SourceFile, Span};
use crate::verify::verdict::{self, RedosSettings, Verdict};

use super::RuleMeta;
use super::unsupported_in_flavor::{self, Unsupported};
use crate::source::{Flags, Flavor, Semantics};

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
    /// Wall-clock budget of the whole run's backtracking analysis
    /// (`[analysis] max-run-seconds`; `None`: [`DEFAULT_RUN_BUDGET`]).
    /// Patterns reached after it ran out get a CL008 "not analysed"
    /// finding instead of a verdict.
    pub run_budget: Option<Duration>,
    /// Search a proven fix for every CL001/CL002 finding (`cfglint fix`,
    /// `check --suggest-fixes`). Off by default: the search and its proofs
    /// cost several times the analysis itself.
    pub fixes: bool,
    /// Verdicts shared by every pattern of the run, and the run's clock.
    /// Clones share it.
    pub run: RunState,
}

/// Default run-wide analysis budget: 120 seconds.
pub const DEFAULT_RUN_BUDGET: Duration = Duration::from_secs(120);

/// Verdict memo key: what decides a verdict besides the run's settings.
type VerdictKey = (String, Flavor, Flags, Semantics, String);

/// What one run shares across patterns and files: each distinct (pattern,
/// flavor, flags, semantics) is analyzed once, and the run's analysis
/// stops after [`RuleSettings::run_budget`].
#[derive(Clone, Default)]
pub struct RunState(Arc<RunInner>);

#[derive(Default)]
struct RunInner {
    memo: Mutex<HashMap<VerdictKey, Arc<OnceLock<Arc<Verdict>>>>>,
    started: OnceLock<Instant>,
    exhausted: AtomicBool,
    computed: AtomicUsize,
    reused: AtomicUsize,
    skipped: AtomicUsize,
}

impl std::fmt::Debug for RunState {
    // Constant: the options' `Debug` text salts the analysis cache.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RunState")
    }
}

impl RunState {
    /// Verdicts computed (distinct patterns analyzed).
    pub fn computed(&self) -> usize {
        self.0.computed.load(Ordering::Relaxed)
    }

    /// Verdicts reused for a copy of a pattern already analyzed.
    pub fn reused(&self) -> usize {
        self.0.reused.load(Ordering::Relaxed)
    }

    /// Patterns not analyzed because the run budget ran out.
    pub fn skipped(&self) -> usize {
        self.0.skipped.load(Ordering::Relaxed)
    }

    /// True once the run budget ran out.
    pub fn is_exhausted(&self) -> bool {
        self.0.exhausted.load(Ordering::Relaxed)
    }

    /// The verdict for `key`: the memoized one, else computed now, else
    /// `None` when the run budget is spent.
    fn verdict(&self, key: VerdictKey, budget: Duration, compute: impl FnOnce() -> Verdict) -> Option<Arc<Verdict>> {
        let cell = {
            let mut memo = self.0.memo.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(memo.entry(key).or_default())
        };
        if let Some(v) = cell.get() {
            self.0.reused.fetch_add(1, Ordering::Relaxed);
            return Some(Arc::clone(v));
        }
        let started = *self.0.started.get_or_init(Instant::now);
        if self.is_exhausted() || started.elapsed() > budget {
            self.0.exhausted.store(true, Ordering::Relaxed);
            self.0.skipped.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let mut fresh = false;
        let v = cell.get_or_init(|| {
            fresh = true;
            Arc::new(compute())
        });
        let counter = if fresh { &self.0.computed } else { &self.0.reused };
        counter.fetch_add(1, Ordering::Relaxed);
        Some(Arc::clone(v))
    }
}

/// A pattern's verdict slot.
enum VerdictSlot {
    /// The pattern does not parse for its flavor.
    NoParse,
    /// Not analyzed: the run budget ran out.
    OverBudget,
    /// The verdict.
    Done(Arc<Verdict>),
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
    settings: &verdict::RedosSettings,
) -> Verdict {
    if flavor.model() == flavor {
        verdict::check_with_engine(pattern, ir, flavor, flavor.engine_flags(flags), semantics, settings)
    } else {
        verdict::check(pattern, ir, flavor.model(), semantics, settings)
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
    verdict: OnceLock<VerdictSlot>,
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
    /// Copies of a pattern share one verdict per run (see [`RunState`]);
    /// also `None` when the run budget ran out before this pattern (see
    /// [`PatternContext::over_run_budget`]).
    pub fn verdict(&self) -> Option<&Verdict> {
        match self.verdict_slot() {
            VerdictSlot::Done(v) => Some(v),
            VerdictSlot::NoParse | VerdictSlot::OverBudget => None,
        }
    }

    /// True when the pattern parses but was not analyzed because the run's
    /// analysis budget ran out.
    pub fn over_run_budget(&self) -> bool {
        matches!(self.verdict_slot(), VerdictSlot::OverBudget)
    }

    fn verdict_slot(&self) -> &VerdictSlot {
        self.verdict.get_or_init(|| {
            let Ok(ir) = self.ir().as_ref() else { return VerdictSlot::NoParse };
            let p = self.pattern;
            let s = self.settings;
            let key = (p.pattern.clone(), p.flavor, p.flags, p.semantics, format!("{:?}", s.redos));
            let budget = s.run_budget.unwrap_or(DEFAULT_RUN_BUDGET);
            match s.run.verdict(key, budget, || verdict(&p.pattern, ir, p.flavor, p.flags, p.semantics, &s.redos)) {
                Some(v) => VerdictSlot::Done(v),
                None => VerdictSlot::OverBudget,
            }
        })
    }

    /// The pattern parsed for its flavor (computed once).
    pub fn ir(&self) -> &Result<Ir, ParseError> {
        self.ir.get_or_init(|| {
            let flavor = self.pattern.flavor;
            let mut config = ParseConfig::new(flavor).flags(flavor.engine_flags(self.pattern.flags));
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
