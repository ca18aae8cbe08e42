//! `cfglint bench`: what every WAF rule costs on a real corpus, before and
//! after a change.
//!
//! Where it sits: on top of `source` (rules are read with the shared
//! parsers) and `analysis` (attack strings); the CLI's `bench` command calls
//! [`run`] and a renderer. The library never prints; progress is reported
//! through a callback.
//!
//! For every rule, in parallel (rayon), with output in a fixed order:
//! 1. [`linear`]: regex-automata's meta regex over the corpus: matches,
//!    time per input; its throughput is timed once every rule is measured,
//!    on one thread, round-robin over the rules ([`linear::Timer`]).
//! 2. [`backtrack`]: real PCRE2 (interpreter, step-counted, see [`pcre`]):
//!    steps per input byte and inputs that hit the step limit.
//! 3. [`worst`]: the attack string at growing length, with the fitted growth
//!    and the cost at a 4 KB request.
//! 4. Match rate by expectation (attack vs benign inputs) and the rule's
//!    own `tests`.
//!
//! `log` rules are measured and budgeted exactly like `block` rules: a regex
//! that runs costs the same whatever the WAF does with its verdict.
//! [`budget`] turns figures into findings, [`baseline`] compares with the
//! same rules at another git revision, [`render`] writes the table, JSON
//! and SVG.
//!
//! Guarantees: every backtracking match runs under a step limit and every
//! rule under a step budget, so a run never hangs; one bad rule or corpus
//! item is a problem in the report and the others are still measured.

pub mod backtrack;
pub mod budget;
pub mod corpus;
pub mod linear;
pub mod render;
pub mod revision;
pub mod rules;
pub mod stats;
pub mod worst;

use rayon::prelude::*;
use serde::Serialize;

pub use budget::{Budgets, Settings};
pub use corpus::{Corpus, Expect};
pub use rules::{Action, Rule};

use crate::analysis::Attack;
use crate::finding::Complexity;
use linear::Values;

/// `cfglint check`'s verdict on a rule's pattern, beside bench's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckVerdict {
    /// The class the step-counting simulator confirmed on a plain
    /// backtracker (`linear` when nothing was confirmed).
    pub complexity: Complexity,
    /// Its polynomial degree.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub degree: Option<u32>,
    /// The engine the class is for (`simulator`: a plain backtracker, as
    /// JavaScript, Python and Java are).
    pub engine: &'static str,
    /// Whether the replay on real PCRE2 blew up too (`null`: not replayed,
    /// e.g. nothing to replay).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pcre2_reproduced: Option<bool>,
}

/// The rule's own tests.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TestResults {
    /// Examples that behaved as declared.
    pub passed: usize,
    /// Examples that did not.
    pub failed: usize,
    /// The failing examples: (`match` or `no_match`, the input).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<(String, String)>,
}

/// How often the rule fires, by what the input is expected to be.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MatchRate {
    /// Share of benign inputs the rule fires on (`null` with none).
    pub benign: Option<f64>,
    /// Share of attack inputs the rule fires on (`null` with none).
    pub attack: Option<f64>,
    /// Benign inputs fired on / seen.
    pub benign_counts: (usize, usize),
    /// Attack inputs fired on / seen.
    pub attack_counts: (usize, usize),
    /// Unlabelled inputs fired on / seen.
    pub unknown_counts: (usize, usize),
    /// Inputs whose `expect_ids` name this rule (CRS regression tests):
    /// fired on / seen.
    #[serde(skip_serializing_if = "is_zero_pair")]
    pub expected_counts: (usize, usize),
    /// Inputs whose `no_expect_ids` name this rule: fired on / seen.
    #[serde(skip_serializing_if = "is_zero_pair")]
    pub unexpected_counts: (usize, usize),
}

fn is_zero_pair(p: &(usize, usize)) -> bool {
    p.1 == 0
}

/// Every figure for one rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleReport {
    /// Rule id.
    pub id: String,
    /// File.
    pub file: String,
    /// 1-based line of the pattern.
    pub line: usize,
    /// Key path.
    pub key: String,
    /// The pattern.
    pub pattern: String,
    /// `block`, `log` or `allow`.
    pub action: Action,
    /// True for SecLang `!@rx`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub negated: bool,
    /// Targets as written.
    pub targets: Vec<String>,
    /// Why the rule could not be measured (it does not compile).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Linear-engine figures (`null` when it cannot run the pattern).
    pub linear: Option<linear::Figures>,
    /// Backtracking-engine figures.
    pub backtracking: Option<backtrack::Figures>,
    /// Worst case over the attack string (`null` without one).
    pub worst_case: Option<worst::WorstCase>,
    /// What `cfglint check` says about the same pattern (`null` when the
    /// pattern does not parse): the simulator's class on a plain
    /// backtracker, and whether the replay on PCRE2 reproduced it.
    /// `worst_case` is PCRE2's own figure, probed on the attack this
    /// verdict proved (and its PCRE2 variant).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<CheckVerdict>,
    /// The smallest attack that reaches ModSecurity's PCRE limits
    /// (`SecPcreMatchLimit`, `SecPcreMatchLimitRecursion`): the rule then
    /// does not fire. `null` when no attack up to the probe's longest does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fail_open: Option<worst::FailOpen>,
    /// The same on PCRE2's JIT (the system library named in
    /// [`Summary::jit_engine`]), which ModSecurity for Apache runs and which
    /// counts its match limit differently. `null` when no attack up to the
    /// probe's longest reaches a limit there, or the JIT is not loaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fail_open_jit: Option<worst::FailOpen>,
    /// Why there is no `fail_open_jit` although the JIT is loaded: it
    /// could not compile this pattern (PCRE2's message).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fail_open_jit_error: Option<String>,
    /// Match rate by expectation.
    pub match_rate: MatchRate,
    /// The rule's own tests.
    pub tests: TestResults,
    /// Budgets the figures exceed.
    pub budget_exceeded: Vec<&'static str>,
    /// Approximations and caveats for this rule.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The same figures at `--baseline REV`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Box<RuleReport>>,
    /// `added`, `modified`, `unchanged` (with `--baseline`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<&'static str>,
    /// Figures that got worse than the baseline.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub regressions: Vec<revision::Regression>,
}

impl RuleReport {
    /// True when this rule fails the run: it does not compile, a test
    /// fails, a budget is exceeded, or a deterministic figure regressed.
    pub fn is_failure(&self) -> bool {
        self.error.is_some()
            || self.tests.failed > 0
            || !self.budget_exceeded.is_empty()
            || self.regressions.iter().any(|r| !r.timing)
    }

    /// A key for "costliest first": worst case at 4 KB, then p99, max and
    /// median steps per byte. Only step counts (deterministic), never
    /// timings, so the order is the same on every run.
    pub fn cost_key(&self) -> [f64; 4] {
        let bt = self.backtracking.as_ref().map(|b| b.steps_per_byte);
        [
            self.worst_case.as_ref().map_or(f64::NEG_INFINITY, |w| w.steps_at_4kb_log10),
            bt.map_or(f64::NEG_INFINITY, |d| d.p99),
            bt.map_or(f64::NEG_INFINITY, |d| d.max),
            bt.map_or(f64::NEG_INFINITY, |d| d.median),
        ]
    }
}

/// Measure every rule on the corpus, in parallel; reports come back in
/// rule order. `progress` is called once per rule finished.
pub fn run(rules: &[Rule], corpus: &Corpus, settings: &Settings, progress: &(dyn Fn() + Sync)) -> Vec<RuleReport> {
    run_cached(rules, corpus, settings, &PatternCache::default(), progress)
}

/// [`run`], with the corpus-independent figures of patterns already met
/// in `cache` (which must always be used with the same `settings`) taken
/// from it: a pattern in several rules, or in the rules and their
/// `--baseline`, is checked and probed once.
pub fn run_cached(
    rules: &[Rule],
    corpus: &Corpus,
    settings: &Settings,
    cache: &PatternCache,
    progress: &(dyn Fn() + Sync),
) -> Vec<RuleReport> {
    let (mut reports, regexes): (Vec<RuleReport>, Vec<Option<linear::Regex>>) = rules
        .par_iter()
        .map(|r| {
            let measured = measure_cached(r, corpus, settings, cache);
            progress();
            measured
        })
        .unzip();
    time_throughput(rules, &mut reports, &regexes, corpus, settings);
    for report in &mut reports {
        if report.error.is_none() {
            report.budget_exceeded = budget::exceeded(report, &settings.budgets);
        }
    }
    reports
}

/// Measure one rule.
pub fn measure(rule: &Rule, corpus: &Corpus, settings: &Settings) -> RuleReport {
    run(std::slice::from_ref(rule), corpus, settings, &|| ()).pop().expect("one report per rule")
}

/// Measure one rule but its throughput: the corpus figures and the
/// pattern's own figures ([`PatternFigures`], from `cache` when the pattern
/// was met before) in parallel, so the two cores share a costly rule too.
/// Returns the linear engine's regex when the rule has linear figures.
fn measure_cached(
    rule: &Rule,
    corpus: &Corpus,
    settings: &Settings,
    cache: &PatternCache,
) -> (RuleReport, Option<linear::Regex>) {
    let ((mut report, re), pattern) =
        rayon::join(|| measure_corpus(rule, corpus, settings), || cache.figures(rule, settings));
    // A rule that does not compile, or whose corpus cannot be read back,
    // reports only that.
    if report.error.is_none() {
        report.check.clone_from(&pattern.check);
        report.worst_case.clone_from(&pattern.worst_case);
        report.fail_open.clone_from(&pattern.fail_open);
        report.fail_open_jit.clone_from(&pattern.fail_open_jit);
        report.fail_open_jit_error.clone_from(&pattern.fail_open_jit_error);
    }
    (report, re)
}

/// The linear engine's throughput of every rule with linear figures,
/// timed on this thread once everything else is measured, round-robin
/// over the rules (see [`linear::Timer`]): with nothing else running, and
/// each rule's samples spread over the phase, identical runs agree.
fn time_throughput(
    rules: &[Rule],
    reports: &mut [RuleReport],
    regexes: &[Option<linear::Regex>],
    corpus: &Corpus,
    settings: &Settings,
) {
    let mut timer = linear::Timer::new(settings.min_time, settings.max_samples);
    let mut timed = Vec::new();
    for (i, re) in regexes.iter().enumerate() {
        if let Some(re) = re
            && reports[i].linear.is_some()
        {
            timer.add(re);
            timed.push(i);
        }
    }
    if timed.is_empty() {
        return;
    }
    let read = corpus.for_each_chunk(|chunk| {
        // Rules that read the same targets (their selectors are made from
        // them) share one gathering.
        let mut gathered: Vec<(&[String], Values)> = Vec::new();
        let mut which = Vec::with_capacity(timed.len());
        for &i in &timed {
            let targets = rules[i].targets.as_slice();
            let k = gathered.iter().position(|(t, _)| *t == targets).unwrap_or_else(|| {
                gathered.push((targets, Values::gather(chunk, &rules[i].selectors)));
                gathered.len() - 1
            });
            which.push(k);
        }
        let values: Vec<&Values> = which.iter().map(|&k| &gathered[k].1).collect();
        timer.feed(&values, chunk.len() as f64 / corpus.len().max(1) as f64);
    });
    if let Err(e) = read {
        for &i in &timed {
            reports[i]
                .notes
                .push(format!("throughput not timed: cannot read the corpus back from its temporary file: {e}"));
        }
        return;
    }
    for (i, t) in timed.into_iter().zip(timer.finish()) {
        if let Some(figures) = reports[i].linear.as_mut() {
            figures.set_throughput(t);
        }
    }
}

/// What a pattern costs whatever the corpus and the rule around it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PatternFigures {
    /// `cfglint check`'s verdict (see [`RuleReport::check`]).
    pub check: Option<CheckVerdict>,
    /// The worst case over every attack string (see [`RuleReport::worst_case`]).
    pub worst_case: Option<worst::WorstCase>,
    /// The smallest attack that fails open (see [`RuleReport::fail_open`]).
    pub fail_open: Option<worst::FailOpen>,
    /// The same on PCRE2's JIT (see [`RuleReport::fail_open_jit`]).
    pub fail_open_jit: Option<worst::FailOpen>,
    /// Why `fail_open_jit` is missing (see [`RuleReport::fail_open_jit_error`]).
    pub fail_open_jit_error: Option<String>,
}

/// What identifies a pattern's figures: the pattern, its flags and
/// flavor, and the attacks its rule declares.
type PatternKey = (String, crate::source::Flags, crate::source::Flavor, Vec<Attack>);

/// [`PatternFigures`] already measured in a run, by pattern. CRS repeats
/// patterns across rules and chains, and `--baseline` measures the same
/// unchanged rules a second time; each is checked and probed once.
#[derive(Debug, Default)]
pub struct PatternCache {
    slots: std::sync::Mutex<std::collections::HashMap<PatternKey, std::sync::Arc<std::sync::OnceLock<PatternFigures>>>>,
}

impl PatternCache {
    /// The figures of `rule`'s pattern, measured now unless met before
    /// (a second rule asking while the first measures waits for it).
    pub fn figures(&self, rule: &Rule, settings: &Settings) -> PatternFigures {
        let key = (rule.pattern.clone(), rule.flags, rule.flavor, rule.attacks.clone());
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            slots.entry(key).or_default().clone()
        };
        slot.get_or_init(|| pattern_figures(rule, settings)).clone()
    }
}

/// A pattern's own figures: `check`'s verdict, the worst case over the
/// rule's attacks and those `check` proved, and the smallest of them that
/// makes production PCRE2 give up.
fn pattern_figures(rule: &Rule, settings: &Settings) -> PatternFigures {
    let (check, proved) = check_verdict(rule);
    let mut figures = PatternFigures { check, ..PatternFigures::default() };
    let Ok(mut counter) = backtrack::counter(&rule.pattern, rule.flags, settings.step_limit) else {
        return figures;
    };
    // The worst case over every attack string: the rule's own, the one
    // `cfglint check` confirmed, and the variant its PCRE2 replay proved
    // (PCRE2 rejects some attacks at once for lacking a character every
    // match needs); the costliest at 4 KB.
    let mut attacks = rule.attacks.clone();
    for found in proved {
        if !attacks.contains(&found) {
            attacks.push(found);
        }
    }
    for attack in &attacks {
        let w = worst::probe(counter.as_mut(), attack, &settings.worst);
        if figures.worst_case.as_ref().is_none_or(|best| w.steps_at_4kb_log10 > best.steps_at_4kb_log10) {
            figures.worst_case = Some(w);
        }
    }
    // ModSecurity's own limits: the smallest attack (over every attack
    // probed) at which production PCRE2 gives up on the match, on the
    // interpreter and on the system's JIT.
    #[cfg(feature = "pcre2")]
    {
        let smaller = |slot: &mut Option<worst::FailOpen>, found: Option<worst::FailOpen>| {
            if let Some(f) = found
                && slot.as_ref().is_none_or(|best| f.bytes < best.bytes)
            {
                *slot = Some(f);
            }
        };
        let (limits, max) = (settings.production, settings.worst.max_bytes);
        let mut jit = crate::engine::jit::load(&settings.pcre2_jit).ok().flatten();
        for attack in &attacks {
            smaller(&mut figures.fail_open, worst::fail_open(&rule.pattern, rule.flags, attack, limits, max));
            if let Some(lib) = jit {
                match worst::fail_open_jit(lib, &rule.pattern, rule.flags, attack, limits, max) {
                    Ok(found) => smaller(&mut figures.fail_open_jit, found),
                    Err(why) => {
                        figures.fail_open_jit_error = Some(why);
                        jit = None;
                    }
                }
            }
        }
    }
    figures
}

/// The corpus figures of one rule (with its tests): everything but
/// [`PatternFigures`] and the budgets.
fn measure_corpus(rule: &Rule, corpus: &Corpus, settings: &Settings) -> (RuleReport, Option<linear::Regex>) {
    let mut report = RuleReport {
        id: rule.id.clone(),
        file: rule.file.clone(),
        line: rule.line,
        key: rule.key.clone(),
        pattern: rule.pattern.clone(),
        action: rule.action,
        negated: rule.negated,
        targets: rule.targets.clone(),
        error: None,
        linear: None,
        backtracking: None,
        worst_case: None,
        check: None,
        fail_open: None,
        fail_open_jit: None,
        fail_open_jit_error: None,
        match_rate: MatchRate::default(),
        tests: TestResults::default(),
        budget_exceeded: Vec::new(),
        notes: Vec::new(),
        baseline: None,
        change: None,
        regressions: Vec::new(),
    };
    if !rule.unsupported_targets.is_empty() {
        report.notes.push(format!(
            "targets with no counterpart in a request corpus (not measured): {}",
            rule.unsupported_targets.join(", ")
        ));
    }
    let mut counter = match backtrack::counter(&rule.pattern, rule.flags, settings.step_limit) {
        Ok(c) => Some(c),
        Err(backtrack::Unavailable::Invalid(message)) => {
            report.error = Some(format!("the pattern does not compile: {message}"));
            return (report, None);
        }
        Err(e) => {
            report.notes.push(e.to_string());
            None
        }
    };
    let linear_re = match linear::compile(&rule.pattern, rule.flags) {
        Ok(re) => Some(re),
        Err(e) => {
            if counter.is_none() {
                report.error = Some(format!("the pattern does not compile: {e}"));
                return (report, None);
            }
            report.notes.push(format!("the linear engine cannot run this pattern ({e}); no linear figures"));
            None
        }
    };

    // One pass over the corpus, a chunk at a time (memory stays flat in
    // the corpus size): each chunk's values are matched on the linear
    // engine, counted on the backtracking engine, and tallied by
    // expectation before the next chunk is read. Throughput is timed
    // later, apart (`time_throughput`).
    let mut lin = linear_re.as_ref().map(linear::Meter::new);
    let mut bt = counter.is_some().then(|| backtrack::Meter::new(settings.step_limit, settings.rule_step_budget));
    let mut rate = MatchRate::default();
    let mut differ = 0;
    let mut with_values = 0;
    let read = corpus.for_each_chunk(|chunk| {
        let values = Values::gather(chunk, &rule.selectors);
        if values.is_empty() {
            return;
        }
        with_values += values.len();
        let l = lin.as_mut().map(|m| m.feed(&values));
        let b = match (bt.as_mut(), counter.as_mut()) {
            (Some(m), Some(c)) => Some(m.feed(c.as_mut(), &values, &|i| chunk[i].origin.clone())),
            _ => None,
        };
        if let (Some(l), Some(b)) = (&l, &b) {
            differ += l.iter().zip(b).filter(|(l, b)| b.is_some_and(|b| b != **l)).count();
        }
        tally(&mut rate, &rule.id, chunk, &values, l.as_deref(), b.as_deref(), rule.negated);
    });
    if let Err(e) = read {
        report.error = Some(format!("cannot read the corpus back from its temporary file: {e}"));
        return (report, None);
    }
    if let Some(m) = lin.filter(|m| m.inputs() > 0) {
        report.linear = Some(m.finish());
    }
    if let (Some(m), Some(c)) = (bt.filter(|m| m.inputs() > 0 || m.exhausted_after().is_some()), counter.as_deref()) {
        if let Some(after) = m.exhausted_after() {
            report.notes.push(format!(
                "the rule spent its step budget ({}) after {after} of {with_values} inputs; backtracking figures cover those",
                settings.rule_step_budget,
            ));
        }
        report.backtracking = Some(m.finish(c));
    }
    if with_values == 0 && !corpus.is_empty() {
        report.notes.push("no corpus input has a value for this rule's targets".to_owned());
    }
    if differ > 0 {
        report.notes.push(format!(
            "PCRE2 and the linear engine disagree on {differ} inputs (PCRE-only semantics such as `$` before a final newline)"
        ));
    }
    let share = |(hit, n): (usize, usize)| (n > 0).then(|| hit as f64 / n as f64);
    rate.benign = share(rate.benign_counts);
    rate.attack = share(rate.attack_counts);
    report.match_rate = rate;
    report.tests = run_tests(rule, counter.as_deref_mut(), linear_re.as_ref(), settings.step_limit);
    (report, linear_re)
}

/// `cfglint check`'s verdict on the rule's pattern (search semantics, as
/// a WAF runs its rules), with the PCRE2 replay, and the attacks it proved:
/// the confirmed one and PCRE2's variant. One source of truth: the same
/// entry point as `check` ([`crate::verify::verdict::check_with_engine`]).
pub fn check_verdict(rule: &rules::Rule) -> (Option<CheckVerdict>, Vec<Attack>) {
    use crate::analysis::parse::{ParseConfig, parse};
    use crate::verify::verdict::{RedosSettings, check_with_engine};
    let flavor = if rule.flavor.is_backtracking() { rule.flavor } else { crate::source::Flavor::Pcre };
    let Ok(ir) = parse(&rule.pattern, &ParseConfig::new(flavor).flags(rule.flags)) else {
        return (None, Vec::new());
    };
    let verdict = check_with_engine(
        &rule.pattern,
        &ir,
        flavor,
        rule.flags,
        crate::source::Semantics::Search,
        // Bench shows its own cost figures, never CL010's.
        &RedosSettings::default().without_bounded_cost(),
    );
    let mut attacks = Vec::new();
    if verdict.is_vulnerable() {
        if let Some(c) = &verdict.candidate {
            attacks.push(c.attack.clone());
        }
        if let Some(a) = verdict.engine.as_ref().and_then(|e| e.attack.clone()) {
            attacks.push(a);
        }
    }
    let vulnerable = verdict.is_vulnerable();
    let summary = CheckVerdict {
        complexity: match verdict.complexity {
            Complexity::Unknown => Complexity::Unknown,
            c if vulnerable => c,
            _ => Complexity::Linear,
        },
        degree: if vulnerable { verdict.degree } else { None },
        engine: "simulator",
        pcre2_reproduced: verdict.engine.as_ref().map(|e| e.reproduced),
    };
    (Some(summary), attacks)
}

/// Add one chunk's fired-on counts by expectation to `rate` (the shares
/// are computed once every chunk is in). The backtracking engine's
/// verdict is used where it decided (it is the production engine); the
/// linear engine's elsewhere.
fn tally(
    rate: &mut MatchRate,
    id: &str,
    chunk: &[corpus::Input],
    values: &Values<'_>,
    linear: Option<&[bool]>,
    backtracking: Option<&[Option<bool>]>,
    negated: bool,
) {
    // A chained rule's tests name the chain's id.
    let base = id.split_once("-chain").map_or(id, |(b, _)| b);
    for (i, &input) in values.inputs.iter().enumerate() {
        let decided = backtracking.and_then(|b| b[i]).or_else(|| linear.map(|l| l[i]));
        let Some(matched) = decided else { continue };
        let fired = matched != negated;
        let input = &chunk[input];
        let slot = match input.expect {
            Expect::Attack => &mut rate.attack_counts,
            Expect::Benign => &mut rate.benign_counts,
            Expect::Unknown => &mut rate.unknown_counts,
        };
        slot.1 += 1;
        if fired {
            slot.0 += 1;
        }
        let named = |ids: &[String]| ids.iter().any(|x| x == base);
        for (ids, slot) in
            [(&input.expect_ids, &mut rate.expected_counts), (&input.no_expect_ids, &mut rate.unexpected_counts)]
        {
            if named(ids) {
                slot.1 += 1;
                if fired {
                    slot.0 += 1;
                }
            }
        }
    }
}

/// Run `tests.match` / `tests.no_match` on the production engine (the
/// linear engine when there is none).
fn run_tests(
    rule: &Rule,
    mut counter: Option<&mut (dyn backtrack::StepCounter + '_)>,
    linear: Option<&regex_automata::meta::Regex>,
    step_limit: u64,
) -> TestResults {
    let mut results = TestResults::default();
    let cases =
        rule.tests.should_match.iter().map(|t| (true, t)).chain(rule.tests.should_not_match.iter().map(|t| (false, t)));
    for (expect, text) in cases {
        let got = match counter.as_deref_mut() {
            Some(c) => match c.count(text.as_bytes(), step_limit).verdict {
                backtrack::Verdict::Match => Some(true),
                backtrack::Verdict::NoMatch => Some(false),
                backtrack::Verdict::Limit(_) => None,
            },
            None => linear.map(|re| re.is_match(text.as_bytes())),
        };
        if got == Some(expect) {
            results.passed += 1;
        } else {
            results.failed += 1;
            results.failures.push((if expect { "match" } else { "no_match" }.to_owned(), text.clone()));
        }
    }
    results
}

/// Everything one `cfglint bench` run found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Per rule, in rule order.
    pub rules: Vec<RuleReport>,
    /// Rules present at the baseline revision and gone now.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<RuleReport>,
    /// Corpora read.
    pub corpora: Vec<corpus::Loaded>,
    /// Problems with rules, files or corpus items.
    pub problems: Vec<rules::Problem>,
    /// Run totals.
    pub summary: Summary,
}

/// Run totals.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Rules measured.
    pub rules: usize,
    /// Corpus inputs.
    pub inputs: usize,
    /// Attack, benign and unlabelled inputs.
    pub attack_inputs: usize,
    /// Benign inputs.
    pub benign_inputs: usize,
    /// The backtracking engine (`pcre2 10.46 …` or `simulator`).
    pub engine: String,
    /// The system PCRE2 whose JIT gave the `fail_open_jit` figures
    /// (`pcre2 10.42 2022-12-11 JIT (libpcre2-8.so.0)`), or `null`.
    pub jit_engine: Option<String>,
    /// Why there are no JIT figures, when there are none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jit_note: Option<String>,
    /// Rules failing the run (compile error, failed test, budget,
    /// regression).
    pub failing: usize,
    /// Rule files and corpora that could not be read at all.
    pub unreadable: usize,
    /// Wall-clock milliseconds.
    pub elapsed_ms: u64,
}

/// What to bench: rule files, corpora, an optional baseline revision.
#[derive(Debug, Clone, Default)]
pub struct Job {
    /// WAF rule YAML or SecLang files.
    pub rules: Vec<std::path::PathBuf>,
    /// Corpora (`attack:`/`benign:` prefixes allowed).
    pub corpus: Vec<std::path::PathBuf>,
    /// Compare with the rule files at this git revision.
    pub baseline: Option<String>,
}

/// Read the rules and corpora, measure every rule (and the baseline's),
/// and assemble the report. Problems with single files or items are in
/// the report; only a git error reading the baseline fails the whole run.
pub fn bench_files(
    request: &Job,
    settings: &Settings,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Report, revision::Error> {
    let start = std::time::Instant::now();
    let loaded = rules::load_files(&request.rules);
    let mut settings = settings.clone();
    settings.production.apply(loaded.pcre_limits);
    let settings = &settings;
    let corpus = Corpus::load_with(&request.corpus, &settings.corpus_limits);
    let mut base_loaded = None;
    if let Some(rev) = &request.baseline {
        let mut old = rules::Loaded::default();
        for path in &request.rules {
            if !path.is_file() {
                continue;
            }
            if let Some((p, text)) = revision::read_at(rev, path)? {
                rules::from_text(&p, text, &mut old);
            }
        }
        base_loaded = Some(old);
    }
    let total = loaded.rules.len() + base_loaded.as_ref().map_or(0, |b| b.rules.len());
    progress(total);
    let cache = PatternCache::default();
    let mut reports = run_cached(&loaded.rules, &corpus, settings, &cache, &|| progress(0));
    let mut removed = Vec::new();
    if let Some(old) = base_loaded {
        let before = run_cached(&old.rules, &corpus, settings, &cache, &|| progress(0));
        removed = revision::compare(&mut reports, before, settings.regression_threshold);
    }
    let mut problems = loaded.problems;
    problems.extend(corpus.problems.iter().cloned());
    let (attack_inputs, benign_inputs, _) = corpus.counts();
    let (jit_engine, jit_note) = jit_engine(&settings.pcre2_jit);
    let summary = Summary {
        rules: reports.len(),
        inputs: corpus.len(),
        attack_inputs,
        benign_inputs,
        engine: engine_name(),
        jit_engine,
        jit_note,
        failing: reports.iter().filter(|r| r.is_failure()).count(),
        unreadable: loaded.unreadable + corpus.unreadable,
        elapsed_ms: u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
    };
    Ok(Report { rules: reports, removed, corpora: corpus.loaded, problems, summary })
}

/// The JIT engine the fail-open figures used, or why there is none.
pub fn jit_engine(choice: &crate::engine::JitChoice) -> (Option<String>, Option<String>) {
    #[cfg(feature = "pcre2")]
    match crate::engine::jit::load(choice) {
        Ok(Some(lib)) => (Some(lib.label()), None),
        Ok(None) => (None, Some("fail-open on PCRE2's JIT not measured: pcre2-jit is off".to_owned())),
        Err(why) => (None, Some(format!("fail-open on PCRE2's JIT not measured: {why}"))),
    }
    #[cfg(not(feature = "pcre2"))]
    {
        let _ = choice;
        (None, Some("fail-open on PCRE2's JIT not measured: built without PCRE2".to_owned()))
    }
}

/// The backtracking engine in this build, for the summary.
pub fn engine_name() -> String {
    #[cfg(feature = "pcre2")]
    {
        format!("pcre2 {}", crate::engine::pcre::version())
    }
    #[cfg(not(feature = "pcre2"))]
    {
        "simulator (cfglint's step-counting backtracker; built without PCRE2)".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::corpus::{Input, Part, Payload, Selector};
    use super::*;
    use crate::analysis::Attack;
    use crate::finding::Complexity;
    use crate::source::{Flags, Flavor, Span};

    pub(crate) fn rule(id: &str, pattern: &str) -> Rule {
        Rule {
            id: id.to_owned(),
            file: "rules.yaml".to_owned(),
            line: 1,
            span: Span::new(0, pattern.len()),
            key: "rules[0].pattern".to_owned(),
            pattern: pattern.to_owned(),
            flags: Flags::default(),
            flavor: Flavor::Pcre,
            negated: false,
            action: Action::Log,
            targets: vec!["args".to_owned()],
            selectors: vec![Selector::all(Part::Args)],
            unsupported_targets: Vec::new(),
            tests: rules::Tests::default(),
            attacks: Vec::new(),
        }
    }

    fn raw(text: &str, expect: Expect) -> Input {
        Input {
            origin: String::new(),
            expect,
            expect_ids: Vec::new(),
            no_expect_ids: Vec::new(),
            payload: Payload::Raw(text.as_bytes().to_vec()),
        }
    }

    fn corpus() -> Corpus {
        Corpus::from_inputs(vec![
            raw("id=1 or 1=1", Expect::Attack),
            raw("q=orange", Expect::Benign),
            raw("name=bob", Expect::Benign),
            raw("x", Expect::Unknown),
        ])
    }

    #[test]
    fn measures_a_rule_end_to_end() {
        let mut r = rule("100001", r"(?i)\bor\b\s+\d+\s*=\s*\d+");
        r.tests.should_match = vec!["id=1 or 1=1".into()];
        r.tests.should_not_match = vec!["orange=1".into(), "1 or 2=2".into()];
        let rep = measure(&r, &corpus(), &Settings::default());
        assert_eq!(rep.error, None);
        let lin = rep.linear.as_ref().unwrap();
        assert_eq!((lin.matches, lin.inputs), (1, 4));
        assert_eq!(rep.match_rate.attack, Some(1.0));
        assert_eq!(rep.match_rate.benign, Some(0.0));
        assert_eq!((rep.tests.passed, rep.tests.failed), (2, 1));
        assert_eq!(rep.tests.failures, [("no_match".to_owned(), "1 or 2=2".to_owned())]);
        assert!(rep.is_failure());
        #[cfg(feature = "pcre2")]
        {
            let bt = rep.backtracking.as_ref().unwrap();
            assert_eq!((bt.matches, bt.limit_hits), (1, 0));
            // PCRE2 rejects most inputs without a step (no `o`/`O` to start
            // at), so only the worst inputs cost anything.
            assert!(bt.steps_per_byte.max > 0.0);
        }
    }

    #[test]
    fn a_rule_that_does_not_compile_is_reported_alone() {
        let rules = [rule("1", "a(b"), rule("2", "ok")];
        let reps = run(&rules, &corpus(), &Settings::default(), &|| {});
        assert!(reps[0].error.as_deref().unwrap().contains("does not compile"), "{:?}", reps[0].error);
        assert!(reps[0].is_failure());
        assert!(reps[1].error.is_none());
        assert!(reps[1].linear.is_some());
    }

    #[test]
    fn benign_match_rate_budget() {
        let mut s = Settings::default();
        s.budgets.max_benign_match_rate = Some(0.4);
        let rep = measure(&rule("1", "="), &corpus(), &s);
        assert_eq!(rep.match_rate.benign, Some(1.0));
        assert_eq!(rep.budget_exceeded, ["max_benign_match_rate"]);
        let rep = measure(&rule("1", "or 1"), &corpus(), &s);
        assert!(rep.budget_exceeded.is_empty());
    }

    #[test]
    fn a_polynomial_rule_grows_super_linearly_and_exceeds_its_budget() {
        // A `log` rule: measured and budgeted exactly like `block`.
        // Trailing whitespace under search semantics: every start position
        // scans to the end and backtracks, O(n²) on a run of spaces.
        let mut r = rule("100002", r"\s+$");
        r.attacks = vec![
            Attack { prefix: String::new(), pump: "a".into(), suffix: String::new() },
            Attack { prefix: String::new(), pump: " ".into(), suffix: "x".into() },
        ];
        let mut s = Settings::default();
        s.worst.step_budget = 2_000_000;
        s.worst.max_bytes = 2048;
        s.budgets.max_steps_at_4kb = Some(1e6);
        let rep = measure(&r, &corpus(), &s);
        let w = rep.worst_case.as_ref().unwrap();
        assert!(matches!(w.complexity, Complexity::Polynomial | Complexity::Exponential), "{w:?}");
        assert!(w.fit.unwrap().exponent > 1.5, "{w:?}");
        assert_eq!(w.attack.pump, " ", "the costlier attack wins");
        assert!(rep.budget_exceeded.contains(&"max_steps_at_4kb"), "{:?}", rep.budget_exceeded);
        assert!(rep.is_failure());
        assert_eq!(rep.action, Action::Log);
    }

    #[test]
    #[cfg(feature = "pcre2")]
    fn a_pattern_in_several_rules_is_probed_once() {
        // The same pattern in two rules (CRS repeats some across rules and
        // chains): the second takes the first's worst case, timing and
        // all, instead of probing again; another pattern is probed anew.
        let mut s = Settings::default();
        s.worst.max_bytes = 1024;
        let attack = Attack { prefix: String::new(), pump: " ".into(), suffix: "x".into() };
        let rules: Vec<Rule> = [("1", r"\s+$"), ("2", r"\s+$"), ("3", r"\s+\s+$")]
            .iter()
            .map(|&(id, p)| {
                let mut r = rule(id, p);
                r.attacks = vec![attack.clone()];
                r
            })
            .collect();
        let reps = run(&rules, &corpus(), &s, &|| {});
        let w: Vec<&worst::WorstCase> = reps.iter().map(|r| r.worst_case.as_ref().unwrap()).collect();
        assert!(w[0].ns_per_step.is_some(), "{:?}", w[0]);
        assert_eq!(w[0], w[1], "one probe for one pattern");
        assert_ne!(w[0].ns_per_step, w[2].ns_per_step, "a timing measured twice differs");
        assert_eq!((&reps[0].check, &reps[0].fail_open), (&reps[1].check, &reps[1].fail_open));
    }

    #[test]
    fn negated_rules_fire_when_the_regex_does_not_match() {
        let mut r = rule("3", "^id=");
        r.negated = true;
        let rep = measure(&r, &corpus(), &Settings::default());
        assert_eq!(rep.match_rate.attack, Some(0.0));
        assert_eq!(rep.match_rate.benign, Some(1.0));
    }

    /// Deterministic figures only: timings differ from run to run.
    fn without_timings(v: &mut serde_json::Value) {
        const TIMINGS: [&str; 8] = [
            "mb_per_s",
            "mb_per_s_spread",
            "passes",
            "samples",
            "us_per_kb",
            "time_per_input_us",
            "seconds_at_4kb",
            "ns_per_step",
        ];
        match v {
            serde_json::Value::Object(map) => {
                map.retain(|k, _| !TIMINGS.contains(&k.as_str()));
                map.values_mut().for_each(without_timings);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(without_timings),
            _ => {}
        }
    }

    #[test]
    fn a_corpus_read_in_chunks_gives_the_figures_of_one_chunk() {
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/bench");
        let loaded = rules::load_files(&[root.join("rules.yaml"), root.join("crs-sample.conf")]);
        assert!(loaded.rules.len() > 3, "{:?}", loaded.problems);
        let specs: Vec<std::path::PathBuf> =
            ["corpus/requests.jsonl", "benign:corpus/benign.txt", "corpus/ftw", "attack:corpus/attacks-not-utf8.txt"]
                .iter()
                .map(|c| match c.split_once(':') {
                    Some((label, path)) => format!("{label}:{}", root.join(path).display()).into(),
                    None => root.join(c),
                })
                .collect();
        let mut settings = Settings { min_time: std::time::Duration::ZERO, ..Settings::default() };
        settings.worst.max_bytes = 256;
        let figures = |chunk_bytes: usize| {
            let limits = corpus::Limits { chunk_bytes, memory_bytes: chunk_bytes, ..corpus::Limits::default() };
            let c = Corpus::load_with(&specs, &limits);
            assert!(c.problems.is_empty(), "{:?}", c.problems);
            let mut chunks = 0;
            c.for_each_chunk(|_| chunks += 1).unwrap();
            let mut v = serde_json::to_value(run(&loaded.rules, &c, &settings, &|| {})).unwrap();
            without_timings(&mut v);
            (v, chunks)
        };
        let (whole, one) = figures(corpus::MEMORY_BYTES);
        assert_eq!(one, 1);
        for chunk_bytes in [1, 700] {
            let (chunked, n) = figures(chunk_bytes);
            assert!(n > 1, "chunk size {chunk_bytes}: {n} chunks");
            assert_eq!(chunked, whole, "chunk size {chunk_bytes}");
        }
    }

    #[test]
    fn empty_corpus_still_runs_tests_and_worst_case() {
        let mut r = rule("4", "abc");
        r.tests.should_match = vec!["xabc".into()];
        let rep = measure(&r, &Corpus::default(), &Settings::default());
        assert!(rep.linear.is_none() && rep.backtracking.is_none());
        assert_eq!(rep.tests.passed, 1);
        assert!(!rep.is_failure());
    }
}
