//! Proven fixes for CL001/CL002: a rewrite of a vulnerable pattern that
//! matches exactly the same inputs and that cfglint's own analysis finds
//! linear.
//!
//! The search ([`prove`]) is: take the candidate edits of `rewrite.rs` in
//! order, keep the first one whose result is proven equivalent to the
//! *original* pattern (`equiv.rs`, product of dense DFAs under a state
//! budget), and repeat from the rewritten text until the ReDoS verdict on it
//! is linear. A fix is claimed only when
//!
//! 1. the final pattern is proven equivalent to the original under the
//!    consumer's semantics (search, anchored-start or full match; exact
//!    language for fragments that are spliced into a larger regex, search
//!    for a `.ra` line the assembled rule searches on its own), with the
//!    same number of capture groups: by the DFA product, then for flavors
//!    that have them by the possessive lemma (`possessive.rs`) or the
//!    first-occurrence lemma (`first.rs`);
//! 2. the ReDoS check (`verify::verdict::check_with_engine`: static analysis,
//!    simulator, PCRE2 replay) finds it linear, and the original finding's
//!    attack replayed on it by the simulator stays linear;
//! 3. for a file, the replacement text re-extracted from the edited file
//!    decodes to exactly the fixed pattern ([`for_pattern`]).
//!
//! Kinds whose consumers read capture groups (grok, Fluent Bit, uap-core,
//! Renovate, nginx, Prometheus relabeling, gitleaks `secretGroup`, Traefik)
//! get no fix: equivalence of the matched language says nothing about what
//! the groups capture.
//!
//! The library never writes files; `cfglint fix` applies the edits.

pub mod automaton;
pub mod encode;
pub mod equiv;
pub mod first;
pub mod possessive;
pub mod rewrite;

use serde::{Deserialize, Serialize};

use crate::analysis::Attack;
use crate::analysis::candidates::Complexity;
use crate::analysis::parse::{ParseConfig, parse};
use crate::source::{self, ExtractOptions, ExtractedPattern, Flags, Flavor, Kind, Semantics, SourceFile, Span};
use crate::verify::growth::GrowthClass;
use crate::verify::simulator::{Program, SimOptions};
use crate::verify::verdict::{RedosSettings, check_with_engine};

use equiv::Equivalence;

/// Most accepted rewrite steps before giving up.
const MAX_ROUNDS: usize = 4;
/// Most candidates tried per step.
const MAX_CANDIDATES: usize = 32;
/// Most equivalence checks for one pattern.
const MAX_CHECKS: usize = 32;
/// Longest pattern a fix is searched for (bytes).
const MAX_PATTERN_LEN: usize = 1024;

/// A proven fix, as carried by a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    /// The fixed pattern (decoded, as the engine sees it).
    pub pattern: String,
    /// The raw text to put at [`Fix::span`], escaped for the file's format.
    pub replacement: String,
    /// The file bytes the replacement replaces (the whole pattern).
    pub span: Span,
    /// The pattern the fix edits (its key) when it is not the finding's
    /// own: the regex-assembly prefix line that starts every branch of the
    /// rule, where a branch's blow-up is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edits: Option<String>,
    /// What was proven.
    pub proof: Proof,
    /// The rewrite steps, in order.
    pub steps: Vec<String>,
}

/// What a fix's proof established.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proof {
    /// How equivalence was decided: `dfa` (product of dense DFAs),
    /// `possessive-disjoint` (loops made possessive under the first-set
    /// lemma of `possessive.rs`, which keeps every match and capture group),
    /// or `dfa+possessive-disjoint` (the DFA proof for the rewrite, then the
    /// lemma for the possessive step).
    pub equivalent: String,
    /// Product states explored by the equivalence check.
    pub states: usize,
    /// The semantics equivalence holds for (`search`, `anchored-start`,
    /// `full-match`).
    pub semantics: String,
    /// True: the ReDoS check finds the fixed pattern linear.
    pub linear: bool,
}

/// A proven rewrite of one pattern (no file involved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proven {
    /// The fixed pattern.
    pub pattern: String,
    /// Product states of the final equivalence proof.
    pub states: usize,
    /// The semantics the proof holds for.
    pub semantics: Semantics,
    /// The rewrite steps.
    pub steps: Vec<String>,
    /// How equivalence was proven (see [`Proof::equivalent`]).
    pub equivalent: &'static str,
}

/// Why no fix is offered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NoFix(pub String);

/// True when the kind's consumer reads capture groups (so language
/// equivalence is not enough).
pub fn uses_captures(kind: &Kind) -> bool {
    // Patterns given on the command line have no consumer.
    kind.reads_captures() && !matches!(kind, Kind::Custom(name) if name == "command-line")
}

/// Find and prove a linear rewrite of `pattern`. `semantics` is what the
/// proof must hold for; `attack` (the finding's) is replayed on the result.
pub fn prove(
    pattern: &str,
    flavor: Flavor,
    flags: Flags,
    semantics: Semantics,
    attack: Option<&Attack>,
    settings: &RedosSettings,
) -> Result<Proven, NoFix> {
    let target = Target {
        flavor,
        flags,
        semantics,
        linear: semantics,
        end: end_of(semantics),
        captures: false,
        extended: true,
        context: Context::Alone,
    };
    prove_for(pattern, &target, attack, settings)
}

/// What a proof must hold for.
#[derive(Debug, Clone)]
pub struct Target {
    /// The engine's flavor.
    pub flavor: Flavor,
    /// The pattern's flags.
    pub flags: Flags,
    /// The semantics language equivalence must hold for.
    pub semantics: Semantics,
    /// The semantics the rewrite must be linear for: the finding's own. A
    /// regex-assembly fragment is proven equivalent as an exact language
    /// but analyzed, and must be linear, the way it is matched.
    pub linear: Semantics,
    /// What may follow the pattern (for the possessive lemma).
    pub end: possessive::End,
    /// The consumer reads capture groups: only rewrites that keep every
    /// match and group (the possessive step) are allowed.
    pub captures: bool,
    /// The rewrite may use atomic groups and possessive quantifiers (when
    /// the flavor has them). False for CRS regex-assembly fragments:
    /// crs-toolchain parses every line with Go's `regexp/syntax`, which has
    /// neither.
    pub extended: bool,
    /// Where the pattern stands in the regex its consumer runs.
    pub context: Context,
}

/// Where a pattern stands in the regex its consumer runs.
#[derive(Debug, Clone, Default)]
pub enum Context {
    /// It is the whole regex (or a fragment held to its exact language).
    #[default]
    Alone,
    /// A top-level `##!^` prefix line of a regex-assembly file. The
    /// assembled regex is `{before}{line}{after}X`, searched, where `X` is
    /// the alternation of the file's lines and the suffix. A rewrite of the
    /// line keeps every is-match answer of that regex, whatever `X` is,
    /// when `{before}{line}{after}` followed by each thing its trailing
    /// assertions can see ([`FOLLOWERS`]) ends a match in the same inputs
    /// (search equivalence of `{before}{line}{after}(?:f)\z` for every
    /// follower `f`), the prefix has no top-level `|`, and the inline flags
    /// that reach past it are unchanged.
    Prefix {
        /// The expanded prefix lines before this one.
        before: String,
        /// The expanded prefix lines after this one.
        after: String,
        /// The text around the line in the regex whose linearity is the
        /// claim (a branch `PREFIX(?:alt)SUFFIX` of the rule), or `None`
        /// when it is the line itself.
        around: Option<(String, String)>,
    },
    /// A regex-assembly line that stands in a larger branch of the rule:
    /// `{before}(?:{line}){after}`, which ModSecurity searches (the other
    /// segments of its blocks, and the file's top-level prefix and
    /// suffix). The rule's is-match is the "or" of its branches, so a
    /// rewrite of the line that keeps the branch's search answers keeps
    /// the rule's; the branch is also what must be linear.
    Branch {
        /// The branch's text before `(?:line)`.
        before: String,
        /// The branch's text after it.
        after: String,
    },
}

/// What the assertions at the end of a prefix can see after it: the end of
/// the input, a word character, another character, a newline. `\b`, `\B`,
/// `\z` and multi-line `$` tell no more apart (and `$` as "end or before a
/// final newline" is refused by the DFA proof when something follows it).
pub const FOLLOWERS: [&str; 4] = ["", "a", "-", "\\n"];

impl Target {
    /// The text and IR whose linearity is the claim for `pattern`: the
    /// pattern itself, or the branch of the rule around it.
    fn with_subject<R>(
        &self,
        pattern: &str,
        ir: &crate::analysis::ir::Ir,
        f: impl FnOnce(&str, &crate::analysis::ir::Ir) -> R,
        refused: R,
    ) -> R {
        let text = match &self.context {
            Context::Prefix { around: Some((before, after)), .. } => format!("{before}{pattern}{after}"),
            Context::Branch { before, after } => format!("{before}(?:{pattern}){after}"),
            _ => return f(pattern, ir),
        };
        match parse(&text, &ParseConfig::new(self.flavor).flags(self.flags)) {
            Ok(ir) => f(&text, &ir),
            Err(_) => refused,
        }
    }

    /// [`is_linear`] for what the target claims linear.
    fn is_linear(
        &self,
        pattern: &str,
        ir: &crate::analysis::ir::Ir,
        attack: Option<&Attack>,
        settings: &RedosSettings,
    ) -> bool {
        self.with_subject(
            pattern,
            ir,
            |text, ir| is_linear(text, ir, self.flavor, self.flags, self.linear, attack, settings),
            false,
        )
    }

    /// The DFA of the branch `{before}(?:{text}){after}`, searched.
    fn compile_branch(&self, text: &str) -> Result<equiv::Compiled, String> {
        let Context::Branch { before, after } = &self.context else {
            return Err("not a branch".into());
        };
        let branch = format!("{before}(?:{text}){after}");
        let ir = parse(&branch, &ParseConfig::new(self.flavor).flags(self.flags)).map_err(|e| e.to_string())?;
        equiv::Compiled::new(&ir, self.flavor, Semantics::Search)
    }

    /// The DFA of `{before}{text}{after}(?:follower)\z`, searched.
    fn compile_in_rule(&self, text: &str, follower: &str) -> Result<equiv::Compiled, String> {
        let Context::Prefix { before, after, .. } = &self.context else {
            return Err("not a prefix".into());
        };
        let rule = format!("{before}{text}{after}(?:{follower})\\z");
        let ir = parse(&rule, &ParseConfig::new(self.flavor).flags(self.flags)).map_err(|e| e.to_string())?;
        if matches!(ir.node(ir.root).kind, crate::analysis::ir::NodeKind::Alt(_)) {
            return Err("the prefix has a top-level `|`, so it does not start every branch".into());
        }
        equiv::Compiled::new(&ir, self.flavor, Semantics::Search)
    }
}

/// Decides whether a rewrite matches the same inputs as the original, in
/// the target's context; the original is compiled once.
struct Oracle<'t> {
    target: &'t Target,
    sides: Vec<equiv::Compiled>,
    /// The original's inline flag groups at the top level (a prefix's reach
    /// the rest of the assembled regex).
    flags: Vec<String>,
}

impl<'t> Oracle<'t> {
    fn new(text: &str, ir: &crate::analysis::ir::Ir, target: &'t Target) -> Result<Oracle<'t>, String> {
        let sides = match &target.context {
            Context::Alone => vec![equiv::Compiled::new(ir, target.flavor, target.semantics)?],
            Context::Prefix { .. } => {
                FOLLOWERS.iter().map(|f| target.compile_in_rule(text, f)).collect::<Result<Vec<_>, _>>()?
            }
            Context::Branch { .. } => vec![target.compile_branch(text)?],
        };
        Ok(Oracle { target, sides, flags: top_level_flags(text) })
    }

    /// Equivalence of the rewrite `text` (parsed: `ir`) with the original.
    fn check(&self, text: &str, ir: &crate::analysis::ir::Ir) -> Equivalence {
        let t = self.target;
        match &t.context {
            Context::Alone => match equiv::Compiled::new(ir, t.flavor, t.semantics) {
                Ok(c) => self.sides[0].equivalent(&c, equiv::DEFAULT_STATE_BUDGET),
                Err(e) => Equivalence::Unknown(e),
            },
            Context::Branch { .. } => match t.compile_branch(text) {
                Ok(c) => self.sides[0].equivalent(&c, equiv::DEFAULT_STATE_BUDGET),
                Err(e) => Equivalence::Unknown(e),
            },
            Context::Prefix { .. } => {
                if top_level_flags(text) != self.flags {
                    return Equivalence::Unknown("the rewrite changes inline flags that reach past the prefix".into());
                }
                let mut states = 0;
                for (follower, side) in FOLLOWERS.iter().zip(&self.sides) {
                    let c = match t.compile_in_rule(text, follower) {
                        Ok(c) => c,
                        Err(e) => return Equivalence::Unknown(e),
                    };
                    match side.equivalent(&c, equiv::DEFAULT_STATE_BUDGET) {
                        Equivalence::Equal { states: s } => states += s,
                        other => return other,
                    }
                }
                Equivalence::Equal { states }
            }
        }
    }
}

/// The inline flag groups (`(?i)`, `(?s-i)`) of `pattern` outside every
/// group and class: they apply to whatever follows the pattern.
fn top_level_flags(pattern: &str) -> Vec<String> {
    let bytes = pattern.as_bytes();
    let (mut out, mut depth, mut i, mut in_class) = (Vec::new(), 0usize, 0, false);
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'[' if !in_class => in_class = true,
            b']' if in_class => in_class = false,
            b'(' if !in_class => {
                let rest = &pattern[i..];
                let flags = rest.strip_prefix("(?").and_then(|r| {
                    let end = r.find(|c: char| !(c.is_ascii_alphabetic() || c == '-'))?;
                    (r.as_bytes()[end] == b')').then(|| &rest[..end + 3])
                });
                match flags {
                    Some(f) if depth == 0 => {
                        out.push(f.to_owned());
                        i += f.len() - 1;
                    }
                    Some(f) => i += f.len() - 1,
                    None => depth += 1,
                }
            }
            b')' if !in_class => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    out
}

/// What may follow a pattern matched with `semantics`.
pub fn end_of(semantics: Semantics) -> possessive::End {
    if semantics == Semantics::FullMatch { possessive::End::Input } else { possessive::End::Free }
}

/// [`prove`] for a [`Target`]: the DFA-proven rewrites first (unless the
/// consumer reads capture groups), then, for flavors with possessive
/// quantifiers, the loops the first-set lemma allows made possessive, and
/// last the pattern spelled from its own minimal DFA.
pub fn prove_for(
    pattern: &str,
    target: &Target,
    attack: Option<&Attack>,
    settings: &RedosSettings,
) -> Result<Proven, NoFix> {
    if pattern.len() > MAX_PATTERN_LEN {
        return Err(NoFix(format!("patterns over {MAX_PATTERN_LEN} bytes are not searched for a fix")));
    }
    prove_edits(pattern, target, attack, settings).or_else(|why| {
        match prove_automaton(pattern, target, attack, settings) {
            Ok(proven) => Ok(proven),
            Err(Some(more)) => Err(NoFix(format!("{}; spelled from its DFA: {more}", why.0))),
            Err(None) => Err(why),
        }
    })
}

/// Longest pattern the automaton rewrite may produce, as a multiple of the
/// original's length (and at least [`MIN_AUTOMATON_LEN`] bytes): past it,
/// a proven rewrite is too hard to review to be offered.
const AUTOMATON_GROWTH: usize = 4;

/// See [`AUTOMATON_GROWTH`].
const MIN_AUTOMATON_LEN: usize = 256;

/// The automaton rewrite (`automaton.rs`): a searched (or anchored-start)
/// pattern without capture groups, spelled from its minimal DFA, proven
/// equivalent by the DFA product and checked linear like any rewrite.
/// `Err(None)` when it does not apply.
fn prove_automaton(
    pattern: &str,
    target: &Target,
    attack: Option<&Attack>,
    settings: &RedosSettings,
) -> Result<Proven, Option<String>> {
    if target.captures
        || !matches!(target.context, Context::Alone)
        || !matches!(target.semantics, Semantics::Search | Semantics::AnchoredStart)
    {
        return Err(None);
    }
    let config = ParseConfig::new(target.flavor).flags(target.flags);
    let original = parse(pattern, &config).map_err(|_| None)?;
    if original.captures > 0 || equiv::unsupported(&original).is_some() {
        return Err(None);
    }
    let oracle = Oracle::new(pattern, &original, target).map_err(|_| None)?;
    let limit = (pattern.len() * AUTOMATON_GROWTH).max(MIN_AUTOMATON_LEN);
    let text = automaton::rewrite(&original, &oracle.sides[0], target.flavor, target.flags, target.semantics, limit)
        .map_err(|why| {
            Some(if why.starts_with("the expression grows past") {
                format!("{why}, over what a reviewer can be asked to read")
            } else {
                why
            })
        })?;
    if text.len() > limit {
        return Err(Some(format!("{} bytes, over the {limit} a reviewer can be asked to read", text.len())));
    }
    let ir = parse(&text, &config).map_err(|e| Some(format!("the rewrite does not parse: {e}")))?;
    if !same_groups(&ir, &original) {
        return Err(Some("the rewrite moves capture groups".into()));
    }
    let states = match oracle.check(&text, &ir) {
        Equivalence::Equal { states } => states,
        Equivalence::Differ { .. } => return Err(Some("not equivalent (a bug in the construction)".into())),
        Equivalence::Unknown(why) => return Err(Some(format!("equivalence undecided ({why})"))),
    };
    if !target.is_linear(&text, &ir, attack, settings) {
        return Err(Some("still super-linear".into()));
    }
    Ok(Proven {
        pattern: text,
        states,
        semantics: target.semantics,
        steps: vec!["spelled from its minimal DFA, anchored at the start: each input is read once".into()],
        equivalent: "dfa",
    })
}

/// The rewrites that edit the pattern's text ([`prove_for`]).
fn prove_edits(
    pattern: &str,
    target: &Target,
    attack: Option<&Attack>,
    settings: &RedosSettings,
) -> Result<Proven, NoFix> {
    let config = ParseConfig::new(target.flavor).flags(target.flags);
    let original = parse(pattern, &config).map_err(|e| NoFix(format!("the pattern does not parse: {e}")))?;
    let refuse = |why: String| -> Result<Proven, Unfinished> { Err((pattern.to_owned(), 0, Vec::new(), NoFix(why))) };
    let dfa = if target.captures {
        refuse("captures: the consumer reads capture groups; language equivalence does not prove them unchanged".into())
    } else if let Some(why) = equiv::unsupported(&original) {
        refuse(format!("no equivalence proof for a pattern with {why}"))
    } else {
        match Oracle::new(pattern, &original, target) {
            Ok(oracle) => prove_dfa(pattern, &original, &oracle, attack, settings),
            Err(e) => refuse(e),
        }
    };
    let (current, states, steps, why) = match dfa {
        Ok(proven) => return Ok(proven),
        Err((current, states, steps, why)) => (current, states, steps, why),
    };
    // The first-occurrence steps start from the original (the smallest
    // edit), then from the DFA-proven rewrite when there is one.
    let mut starts = vec![(pattern, &[][..])];
    if current != pattern {
        starts.push((current.as_str(), &steps[..]));
    }
    // The first occurrence without atomic groups (every flavor). Where
    // atomic groups may be used, their shorter form is tried first.
    let regular = || {
        if target.captures || equiv::unsupported(&original).is_some() {
            return None;
        }
        let oracle = Oracle::new(pattern, &original, target).ok()?;
        starts
            .iter()
            .find_map(|&(from, before)| prove_first_regular(&original, &oracle, from, before, attack, settings))
    };
    // Each branch of a top-level alternation on its own (search).
    let branches = || prove_branches(pattern, &original, target, attack, settings);
    if !target.extended || !possessive::flavor_has_possessive(target.flavor) {
        return regular().or_else(branches).ok_or(why);
    }
    let mut first_why = None;
    let oracle = Oracle::new(pattern, &original, target).ok();
    for &(from, before) in &starts {
        let Some(oracle) = &oracle else { break };
        match prove_first(&original, oracle, from, before, attack, settings) {
            Ok(proven) => return Ok(proven),
            Err(None) => {}
            Err(Some(why)) => first_why = Some(why),
        }
    }
    if let Some(proven) = regular().or_else(branches) {
        return Ok(proven);
    }
    let why = match first_why {
        Some(first) => NoFix(format!("{}; {first}", why.0)),
        None => why,
    };
    // The possessive step, on the DFA-proven rewrite (or the original).
    let ir = parse(&current, &config).map_err(|e| NoFix(format!("rewrite does not parse: {e}")))?;
    let points = possessive::possessive_points(&current, &ir, target.flavor, target.end);
    let Some(fixed) = possessive::make_possessive(&current, &points).filter(|_| !points.is_empty()) else {
        return Err(why);
    };
    let Ok(fir) = parse(&fixed, &config) else { return Err(why) };
    if !same_groups(&fir, &original) {
        return Err(why);
    }
    if !target.is_linear(&fixed, &fir, attack, settings) {
        return Err(NoFix(format!("{}; possessive loops do not make it linear either", why.0)));
    }
    let mut steps = steps;
    steps.push(format!(
        "made {} loop(s) possessive: what follows each cannot start with a character it takes",
        points.len()
    ));
    let equivalent = if steps.len() > 1 { "dfa+possessive-disjoint" } else { "possessive-disjoint" };
    Ok(Proven { pattern: fixed, states, semantics: target.semantics, steps, equivalent })
}

/// Most branches of a top-level alternation fixed one by one.
const MAX_BRANCHES: usize = 32;

/// A searched pattern whose root is an alternation (`a|b`, `(?i)a|b`,
/// `(?:a|b)`): "some match exists" for it is the "or" of each branch
/// searched alone, so a search-equivalent rewrite of each branch is one of
/// the whole. Every branch the ReDoS check does not find linear is proven
/// on its own (as [`prove_for`] would), the rewrites are put in place, and
/// the whole is proven again: equivalent (the DFA) and linear. (Branch
/// rewrites are limited to what the DFA proves, so that the last proof
/// covers the splice.)
fn prove_branches(
    pattern: &str,
    original: &crate::analysis::ir::Ir,
    target: &Target,
    attack: Option<&Attack>,
    settings: &RedosSettings,
) -> Option<Proven> {
    use crate::analysis::ir::NodeKind;
    if target.semantics != Semantics::Search || target.captures || !matches!(target.context, Context::Alone) {
        return None;
    }
    // The alternation, through flag groups and one non-capturing group.
    let mut id = original.root;
    if let NodeKind::Concat(items) = &original.node(id).kind
        && let [flags @ .., last] = &items[..]
        && flags.iter().all(|&f| matches!(original.node(f).kind, NodeKind::Empty))
    {
        id = *last;
    }
    if let NodeKind::Group { child, capture: None } = &original.node(id).kind {
        id = *child;
    }
    let NodeKind::Alt(branches) = &original.node(id).kind else { return None };
    if branches.len() < 2 || branches.len() > MAX_BRANCHES {
        return None;
    }
    let alt = original.node(id).span;
    // What stands before the alternation must be inline flags, or flags
    // and the opening of the group; after it, nothing or the group's `)`.
    let (head, tail) = (pattern.get(..alt.start)?, pattern.get(alt.end..)?);
    let flags = top_level_flags(head).concat();
    let opener = head.strip_prefix(&flags).unwrap_or(head);
    if !(opener.is_empty() && tail.is_empty()
        || (opener == "(?:" || (opener.starts_with("(?") && opener.ends_with(':'))) && tail == ")")
    {
        return None;
    }
    // A branch alone: the flags that apply to it, then its text (a
    // `(?i:…)` group's flags become `(?i)`).
    let alone_head = match opener.strip_prefix("(?").and_then(|o| o.strip_suffix(':')) {
        Some(letters) if !letters.is_empty() => format!("{flags}(?{letters})"),
        _ => flags,
    };
    // Only rewrites the DFA proves, so the whole can be proven again.
    let regular = Target { extended: false, ..target.clone() };
    let config = ParseConfig::new(target.flavor).flags(target.flags);
    let mut fixed = pattern.to_owned();
    let mut steps = Vec::new();
    for (k, &branch) in branches.iter().enumerate().rev() {
        let span = original.node(branch).span;
        let text = pattern.get(span.start..span.end)?;
        let alone = format!("{alone_head}{text}");
        let ir = parse(&alone, &config).ok()?;
        if is_linear(&alone, &ir, target.flavor, target.flags, target.semantics, None, settings) {
            continue;
        }
        let proven = prove_for(&alone, &regular, None, settings).ok()?;
        let inner = proven.pattern.strip_prefix(alone_head.as_str())?;
        fixed.replace_range(span.start..span.end, inner);
        steps.extend(proven.steps.into_iter().rev().map(|s| format!("branch {}: {s}", k + 1)));
    }
    if steps.is_empty() {
        return None;
    }
    steps.reverse();
    let fir = parse(&fixed, &config).ok()?;
    if !same_groups(&fir, original) {
        return None;
    }
    let oracle = Oracle::new(pattern, original, target).ok()?;
    let Equivalence::Equal { states } = oracle.check(&fixed, &fir) else { return None };
    if !target.is_linear(&fixed, &fir, attack, settings) {
        return None;
    }
    Some(Proven { pattern: fixed, states, semantics: target.semantics, steps, equivalent: "dfa" })
}

/// True when `rewrite` has the same capture groups as `original`, by
/// number and by name: every rewrite must keep them.
fn same_groups(rewrite: &crate::analysis::ir::Ir, original: &crate::analysis::ir::Ir) -> bool {
    rewrite.captures == original.captures && rewrite.names == original.names
}

/// The first-occurrence step (`first.rs`) on `current` (the original, or a
/// DFA-proven rewrite of it reached by `steps`): the skeleton is proven
/// equivalent to the original by the DFA product, the atomic commitment by
/// the lemma, and the result must be linear. `Err(None)` when the shape is
/// not there; `Err(Some(why))` when it is but no fix follows.
fn prove_first(
    original: &crate::analysis::ir::Ir,
    oracle: &Oracle<'_>,
    current: &str,
    steps: &[String],
    attack: Option<&Attack>,
    settings: &RedosSettings,
) -> Result<Proven, Option<String>> {
    let target = oracle.target;
    if target.captures || target.semantics != Semantics::Search || !first::flavor_has_atomic(target.flavor) {
        return Err(None);
    }
    let config = ParseConfig::new(target.flavor).flags(target.flags);
    let ir = parse(current, &config).map_err(|_| None)?;
    let Some(rewrite) = first::first_occurrence(current, &ir) else { return Err(None) };
    let refuse = |why: &str| Some(format!("first occurrence: {why}"));
    let sir = parse(&rewrite.skeleton, &config).map_err(|_| refuse("the rewrite does not parse"))?;
    let air = parse(&rewrite.atomic, &config).map_err(|_| refuse("the rewrite does not parse"))?;
    if !same_groups(&air, original) {
        return Err(refuse("the rewrite moves capture groups"));
    }
    // The lemma's shape, read again on the atomic form as the engine will.
    if first::first_occurrence_shape(&air).is_none() {
        return Err(refuse("the rewrite lost the lemma's shape"));
    }
    let states = match oracle.check(&rewrite.skeleton, &sir) {
        Equivalence::Equal { states } => states,
        Equivalence::Differ { .. } => return Err(refuse("the skeleton is not equivalent (a bug in the splice)")),
        Equivalence::Unknown(why) => return Err(refuse(&format!("equivalence undecided ({why})"))),
    };
    let committed = |text: &str, ir: &crate::analysis::ir::Ir| is_linear_committed(text, ir, target, attack, settings);
    if !target.with_subject(&rewrite.atomic, &air, committed, false) {
        return Err(refuse("the committed form is still super-linear"));
    }
    let mut steps = steps.to_vec();
    steps.push(rewrite.what);
    Ok(Proven {
        pattern: rewrite.atomic,
        states,
        semantics: Semantics::Search,
        steps,
        equivalent: "dfa+first-occurrence",
    })
}

/// The first-occurrence step without atomic groups (`first.rs`,
/// [`first::first_occurrence_regular`]) on `current`: an ordinary regular
/// expression, proven equivalent to the original by the DFA product alone
/// and checked linear like any other rewrite.
fn prove_first_regular(
    original: &crate::analysis::ir::Ir,
    oracle: &Oracle<'_>,
    current: &str,
    steps: &[String],
    attack: Option<&Attack>,
    settings: &RedosSettings,
) -> Option<Proven> {
    let target = oracle.target;
    if target.semantics != Semantics::Search {
        return None;
    }
    let config = ParseConfig::new(target.flavor).flags(target.flags);
    let ir = parse(current, &config).ok()?;
    let rewrites = first::first_occurrence_regular(current, &ir, target.flavor, target.flags.multi_line)?;
    rewrites.into_iter().find_map(|rewrite| {
        let rir = parse(&rewrite.pattern, &config).ok()?;
        if !same_groups(&rir, original) {
            return None;
        }
        let Equivalence::Equal { states } = oracle.check(&rewrite.pattern, &rir) else {
            return None;
        };
        if !target.is_linear(&rewrite.pattern, &rir, attack, settings) {
            return None;
        }
        let mut steps = steps.to_vec();
        steps.push(rewrite.what);
        Some(Proven { pattern: rewrite.pattern, states, semantics: Semantics::Search, steps, equivalent: "dfa" })
    })
}

/// The linearity half for a first-occurrence rewrite. cfglint's static
/// analysis does not model the commitment of an atomic group over a lazy
/// scan: it proposes the old quadratic, which its simulator then refutes.
/// So the rewrite counts as linear when no CL001/CL002 is reported on it
/// (the verdict is linear, or unknown only because the simulator measured
/// linear growth on every attack the static analysis built), the PCRE2
/// replay does not reproduce a blow-up, and both the finding's attack and
/// the static analysis's own attack, replayed by the simulator, stay
/// linear.
fn is_linear_committed(
    pattern: &str,
    ir: &crate::analysis::ir::Ir,
    target: &Target,
    attack: Option<&Attack>,
    settings: &RedosSettings,
) -> bool {
    // As in `is_linear`: what bounds cost (CL010) is not part of the claim.
    let settings = &settings.clone().without_bounded_cost();
    let verdict = check_with_engine(pattern, ir, target.flavor, target.flags, target.linear, settings);
    if verdict.engine.as_ref().is_some_and(|e| e.reproduced) || verdict.confirmed {
        return false;
    }
    // Refuted: the static analysis proposed a polynomial, and the
    // simulator measured its attack growing linearly (not merely running
    // out of budget, which would leave it undecided).
    let refuted = verdict.complexity == Complexity::Unknown
        && verdict.claimed.0 == Complexity::Polynomial
        && verdict.candidate.is_some()
        && verdict.growth.as_ref().is_some_and(|g| g.class == GrowthClass::Linear);
    if verdict.complexity != Complexity::Linear && !refuted {
        return false;
    }
    let attacks = attack.into_iter().chain(verdict.candidate.as_ref().map(|c| &c.attack));
    attacks.into_iter().all(|a| replay_is_linear(ir, target.flavor, target.linear, a))
}

/// A rewrite that failed: the pattern reached (proven equivalent to the
/// original), the states of that proof, its steps, and why no fix.
type Unfinished = (String, usize, Vec<String>, NoFix);

/// The DFA-proven rewrites of [`prove_for`].
fn prove_dfa(
    pattern: &str,
    original: &crate::analysis::ir::Ir,
    oracle: &Oracle<'_>,
    attack: Option<&Attack>,
    settings: &RedosSettings,
) -> Result<Proven, Unfinished> {
    let target = oracle.target;
    let (flavor, semantics) = (target.flavor, target.semantics);
    let config = ParseConfig::new(flavor).flags(target.flags);
    let fail = |why: NoFix| (pattern.to_owned(), 0, Vec::new(), why);
    let mut checks = 0;
    let mut current = pattern.to_owned();
    let mut steps = Vec::new();
    // What the candidates of the last round came to, for the reason.
    let mut tally = Tally::default();
    let mut states = 0;
    for _ in 0..MAX_ROUNDS {
        let ir = parse(&current, &config).map_err(|e| fail(NoFix(format!("rewrite does not parse: {e}"))))?;
        let mut taken = None;
        tally = Tally::default();
        for cand in rewrite::candidates(&current, &ir, semantics).into_iter().take(MAX_CANDIDATES) {
            tally.proposed += 1;
            let Ok(cir) = parse(&cand.pattern, &config) else { continue };
            if !same_groups(&cir, original) {
                continue;
            }
            checks += 1;
            if checks > MAX_CHECKS {
                let why = NoFix(format!("budget: no proven linear rewrite within {MAX_CHECKS} equivalence checks"));
                return Err((current, states, steps, why));
            }
            match oracle.check(&cand.pattern, &cir) {
                Equivalence::Equal { states } => {
                    taken = Some((cand, cir, states));
                    break;
                }
                Equivalence::Differ { .. } => tally.differ += 1,
                Equivalence::Unknown(why) => {
                    tally.unknown += 1;
                    tally.why.get_or_insert(why);
                }
            }
        }
        // Each candidate is compared with the original, not with the
        // previous step: the proof covers the whole chain.
        let Some((cand, cir, proven)) = taken else { break };
        current = cand.pattern;
        states = proven;
        steps.push(cand.what);
        if target.is_linear(&current, &cir, attack, settings) {
            return Ok(Proven { pattern: current, states, semantics, steps, equivalent: "dfa" });
        }
    }
    let why = NoFix(if !steps.is_empty() {
        format!("still super-linear: {} equivalent rewrite(s) found, but none makes the pattern linear", steps.len())
    } else if tally.proposed == 0 {
        "no rewrite proposed for this shape".into()
    } else if tally.differ == 0 && tally.unknown > 0 {
        format!(
            "budget: {} rewrite(s) proposed, equivalence undecided ({})",
            tally.unknown,
            tally.why.unwrap_or_default()
        )
    } else {
        format!("not equivalent: {} rewrite(s) proposed, none matches the same inputs", tally.proposed)
    });
    Err((current, states, steps, why))
}

/// What the candidates of one round came to.
#[derive(Debug, Default)]
struct Tally {
    proposed: usize,
    differ: usize,
    unknown: usize,
    why: Option<String>,
}

/// The linearity half of the proof: the ReDoS check finds `pattern` linear
/// and the original attack, replayed by the simulator, grows linearly.
fn is_linear(
    pattern: &str,
    ir: &crate::analysis::ir::Ir,
    flavor: Flavor,
    flags: Flags,
    semantics: Semantics,
    attack: Option<&Attack>,
    settings: &RedosSettings,
) -> bool {
    // Linearity is the claim; what bounds cost (CL010) is not part of it.
    let settings = &settings.clone().without_bounded_cost();
    let verdict = check_with_engine(pattern, ir, flavor, flags, semantics, settings);
    if verdict.complexity != Complexity::Linear || verdict.engine.as_ref().is_some_and(|e| e.reproduced) {
        return false;
    }
    let Some(attack) = attack else { return true };
    replay_is_linear(ir, flavor, semantics, attack)
}

/// Run `attack` at growing sizes on the simulator: steps per input
/// character must not grow (within a factor for start-up costs).
fn replay_is_linear(ir: &crate::analysis::ir::Ir, flavor: Flavor, semantics: Semantics, attack: &Attack) -> bool {
    let Ok(program) = Program::compile(ir, &SimOptions::new(flavor, semantics)) else { return false };
    let budget = 50_000_000;
    let mut per_char = Vec::new();
    for n in [64usize, 256, 1024] {
        let input: Vec<char> = attack.build(n).chars().collect();
        let r = program.run(&input, budget);
        if r.steps > budget {
            return false;
        }
        per_char.push(r.steps as f64 / input.len().max(1) as f64);
    }
    // Linear: steps per character stay flat. A quadratic pattern would
    // multiply them by 16 between 64 and 1024 pumps.
    per_char.last().copied().unwrap_or(0.0) <= per_char.first().copied().unwrap_or(0.0) * 2.0 + 8.0
}

/// A proven fix for a pattern of a file: the rewrite, its raw replacement
/// for the file's format, checked by re-extracting the edited file.
pub fn for_pattern(
    file: &SourceFile,
    pattern: &ExtractedPattern,
    opts: &ExtractOptions,
    attack: Option<&Attack>,
    settings: &RedosSettings,
) -> Result<Fix, NoFix> {
    // A fragment is spliced into a larger regex: only the exact language
    // (full-match equivalence) is safe in every context, and anything may
    // follow it. A top-level line of a file that adds no prefix or suffix
    // is one alternative of the assembled rule, which ModSecurity searches:
    // is-match of the rule is the "or" of each alternative searched alone,
    // so search equivalence of that line is enough.
    let searched_alone = pattern.kind == Kind::CrsRegexAssembly
        && source::lines::regex_assembly::searched_alone(file).contains(&pattern.key);
    let (semantics, end) = if pattern.kind.is_fragment() && !searched_alone {
        (Semantics::FullMatch, possessive::End::Open)
    } else {
        (pattern.semantics, end_of(pattern.semantics))
    };
    let target = Target {
        flavor: pattern.flavor,
        flags: pattern.flags,
        semantics,
        linear: pattern.semantics,
        end,
        captures: uses_captures(&pattern.kind),
        extended: !pattern.kind.is_fragment(),
        context: Context::Alone,
    };
    // A top-level prefix line is rewritten only as every branch of the
    // rule sees it (below), so that all its findings share one edit.
    let top_prefix = pattern.kind == Kind::CrsRegexAssembly
        && source::lines::regex_assembly::top_level_prefixes(file).contains(&pattern.key);
    // A line that stands in a larger branch of the rule (a block's other
    // segments, the file's prefix and suffix) is proven in that branch.
    let branch = if pattern.kind == Kind::CrsRegexAssembly && !top_prefix {
        source::lines::regex_assembly::branches(file).remove(&pattern.key).and_then(|b| {
            let (before, after) = (b.before, b.after);
            let line = pattern.pattern.strip_prefix(&format!("{before}(?:"))?.strip_suffix(&format!("){after}"))?;
            Some((line.to_owned(), Context::Branch { before, after }))
        })
    } else {
        None
    };
    let own = if top_prefix {
        Err(NoFix("a prefix line is proven as the start of every branch of the rule".into()))
    } else if let Some((line, context)) = branch {
        let target = Target {
            semantics: Semantics::Search,
            linear: Semantics::Search,
            end: possessive::End::Open,
            captures: false,
            extended: false,
            context,
            ..target.clone()
        };
        prove_for(&line, &target, attack, settings)
            .map(|mut proven| {
                proven.steps.push(
                    "proven on the branch of the assembled rule this line stands for (the segments around it and \
                     the file's prefix and suffix), searched"
                        .into(),
                );
                proven
            })
            .map_err(|e| NoFix(format!("in its branch of the rule: {}", e.0)))
    } else {
        prove_for(&pattern.pattern, &target, attack, settings)
    };
    let own = own.map_err(|e| {
        if target.captures && e.0.starts_with("captures:") {
            NoFix(format!(
                "captures: {} reads capture groups; language equivalence does not prove the groups unchanged",
                pattern.kind.as_str()
            ))
        } else if semantics == Semantics::FullMatch && pattern.kind.is_fragment() && !e.0.starts_with("in its branch") {
            // Say why the proof had to keep the exact language: the usual
            // reason a fragment's search retry cannot be rewritten away.
            NoFix(format!(
                "exact language required: this {} fragment is spliced into a larger regex (a block, a prefix \
                 or suffix, or an include), so only a rewrite that matches exactly the same strings is safe; {}",
                pattern.kind.as_str(),
                e.0
            ))
        } else {
            e
        }
    });
    let why = match own.and_then(|proven| written(file, pattern, proven, None, opts)) {
        Ok(fix) => return Ok(fix),
        Err(why) => why,
    };
    if top_prefix {
        return prefix_fix(file, pattern, opts, attack, settings).unwrap_or(Err(why));
    }
    // A regex-assembly prefix starts every branch of the rule: the blow-up
    // of a branch may be in it, and so may the fix.
    match prefix_fix(file, pattern, opts, attack, settings) {
        Some(Ok(fix)) => Ok(fix),
        Some(Err(prefix)) => Err(NoFix(format!("{}; in the prefix: {}", why.0, prefix.0))),
        None => Err(why),
    }
}

/// `proven`, a rewrite of the pattern `edited` of `file`, spelled for the
/// file's format and checked by re-extracting the edited file. `edits`
/// names the pattern when it is not the finding's own.
fn written(
    file: &SourceFile,
    edited: &ExtractedPattern,
    proven: Proven,
    edits: Option<String>,
    opts: &ExtractOptions,
) -> Result<Fix, NoFix> {
    let span = decoded_raw_span(edited);
    let spellings = encode::spellings(&file.text, edited, &proven.pattern);
    let mut refused = NoFix("the fixed pattern cannot be written in this file's quoting".into());
    let mut replacement = None;
    for spelling in spellings {
        let text = splice_file(&file.text, span, &spelling).ok_or_else(|| NoFix("bad span".into()))?;
        match check_edited(file, &text, &[(span, proven.pattern.as_str())], opts) {
            Ok(()) => {
                replacement = Some(spelling);
                break;
            }
            Err(why) => refused = why,
        }
    }
    let replacement = replacement.ok_or(refused)?;
    Ok(Fix {
        pattern: proven.pattern,
        replacement,
        span,
        edits,
        proof: Proof {
            equivalent: proven.equivalent.into(),
            states: proven.states,
            semantics: proven.semantics.as_str().into(),
            linear: true,
        },
        steps: proven.steps,
    })
}

/// The top-level prefix lines of a regex-assembly file, in order, when
/// every one of them is a regex on its own.
fn prefix_lines<'e>(file: &SourceFile, extraction: &'e source::Extraction) -> Option<Vec<&'e ExtractedPattern>> {
    if extraction.kind != Some(Kind::CrsRegexAssembly) {
        return None;
    }
    let keys = source::lines::regex_assembly::top_level_prefixes(file);
    keys.iter().map(|k| extraction.patterns.iter().find(|p| &p.key == k)).collect::<Option<Vec<_>>>()
}

/// A fix in the top-level prefix of a regex-assembly file, for `pattern`
/// when it is one of the prefix lines or a branch `PREFIX(?:line)SUFFIX`
/// of the rule. `None` when the pattern is neither.
///
/// The rewrite of a prefix line is the same whichever finding asks (so
/// that `cfglint fix` applies one edit): the first one proven to keep
/// every is-match answer of the assembled rule ([`Context::Prefix`]) and
/// linear on its own. It is offered to a finding when it makes the
/// finding's own pattern linear, with the finding's attack replayed.
fn prefix_fix(
    file: &SourceFile,
    pattern: &ExtractedPattern,
    opts: &ExtractOptions,
    attack: Option<&Attack>,
    settings: &RedosSettings,
) -> Option<Result<Fix, NoFix>> {
    if pattern.kind != Kind::CrsRegexAssembly {
        return None;
    }
    let extraction = source::extract(file, opts);
    let lines = prefix_lines(file, &extraction).filter(|l| !l.is_empty())?;
    let full: String = lines.iter().map(|l| l.pattern.as_str()).collect();
    let own = lines.iter().position(|l| l.key == pattern.key);
    // A branch reads `PREFIX…(?:line)…SUFFIX`; what follows the prefix in it.
    let rest = match own {
        Some(_) => None,
        None => Some(pattern.pattern.strip_prefix(full.as_str()).filter(|r| !r.is_empty())?),
    };
    let mut why = NoFix("no rewrite of a prefix line is proven".into());
    for (i, line) in lines.iter().enumerate() {
        if own.is_some_and(|o| o != i) {
            continue;
        }
        let before: String = lines[..i].iter().map(|l| l.pattern.as_str()).collect();
        let after: String = lines[i + 1..].iter().map(|l| l.pattern.as_str()).collect();
        let around = rest.map(|r| (before.clone(), format!("{after}{r}")));
        let mut target = Target {
            flavor: line.flavor,
            flags: line.flags,
            semantics: Semantics::Search,
            linear: Semantics::Search,
            end: possessive::End::Open,
            captures: false,
            extended: false,
            context: Context::Prefix { before: before.clone(), after: after.clone(), around: None },
        };
        let mut proven = match prove_for(&line.pattern, &target, None, settings) {
            Ok(proven) => proven,
            Err(e) => {
                why = e;
                continue;
            }
        };
        // The finding's own pattern, with the rewrite in place.
        target.context = Context::Prefix { before, after, around };
        let config = ParseConfig::new(line.flavor).flags(line.flags);
        let linear =
            parse(&proven.pattern, &config).is_ok_and(|ir| target.is_linear(&proven.pattern, &ir, attack, settings));
        if !linear {
            why = NoFix(format!(
                "rewriting prefix line {} as `{}` keeps every answer of the rule but does not make this pattern linear",
                i + 1,
                proven.pattern
            ));
            continue;
        }
        let edits = own.is_none().then(|| line.key.clone());
        if edits.is_some() {
            proven.steps.push(format!(
                "the blow-up is in the rule's prefix: rewrote `##!^` prefix line {} (`{}`), which starts every \
                 branch of the rule",
                i + 1,
                line.pattern
            ));
        }
        return Some(written(file, line, proven, edits, opts));
    }
    Some(Err(why))
}

/// The file bytes the pattern's decoded text comes from: from the first
/// piece of its offset map that decodes to something to the end of the last
/// one. (An extractor's raw span
/// may run further, over a closing quote or a trailing comment.)
pub fn decoded_raw_span(pattern: &ExtractedPattern) -> Span {
    let mut decoding = pattern.offsets.pieces().iter().filter(|p| p.decoded_len > 0);
    match (decoding.clone().next(), decoding.next_back()) {
        (Some(first), Some(last)) => Span::new(first.raw_start, last.raw_start + last.raw_len),
        _ => pattern.offsets.raw_span(),
    }
}

/// `text` with `span` replaced.
pub fn splice_file(text: &str, span: Span, with: &str) -> Option<String> {
    let before = text.get(..span.start)?;
    let after = text.get(span.end..)?;
    Some(format!("{before}{with}{after}"))
}

/// What each pattern of `before` must read once `edits` (decoded span of a
/// pattern, its new text) are made: the new text at an edited span,
/// anything else unchanged; in a regex-assembly file, the file assembled
/// again with the new line texts in the same structure (a line is part of
/// other lines' branches, a prefix of all of them).
fn expected(file: &SourceFile, before: &source::Extraction, edits: &[(Span, &str)]) -> Vec<String> {
    let new_text = |p: &ExtractedPattern| edits.iter().find(|(span, _)| *span == decoded_raw_span(p)).map(|e| e.1);
    if before.kind == Some(Kind::CrsRegexAssembly) {
        // A line's text is part of other lines' branches (and a prefix of
        // every branch): assemble the file again with the new texts.
        let texts: std::collections::HashMap<String, String> =
            before.patterns.iter().filter_map(|p| Some((p.key.clone(), new_text(p)?.to_owned()))).collect();
        let again = source::lines::regex_assembly::extract_with(file, &texts);
        return before
            .patterns
            .iter()
            .map(|b| again.patterns.iter().find(|a| a.key == b.key).map_or_else(String::new, |a| a.pattern.clone()))
            .collect();
    }
    before.patterns.iter().map(|b| new_text(b).unwrap_or(&b.pattern).to_owned()).collect()
}

/// Re-extract `edited` (the text of `file` after `edits`) and check that
/// every pattern reads as [`expected`].
fn check_edited(file: &SourceFile, edited: &str, edits: &[(Span, &str)], opts: &ExtractOptions) -> Result<(), NoFix> {
    let before = source::extract(file, opts);
    let after = source::extract(&SourceFile::new(file.path.clone(), edited), opts);
    if !after.problems.is_empty() || before.patterns.len() != after.patterns.len() {
        return Err(NoFix("the edited file does not extract the same patterns".into()));
    }
    for (want, a) in expected(file, &before, edits).iter().zip(&after.patterns) {
        if &a.pattern != want {
            return Err(NoFix(format!("the edited file reads `{}` where `{want}` was meant", a.pattern)));
        }
    }
    Ok(())
}

/// The edited text of `file` with every fix in `fixes` applied, checked by
/// re-extracting it: every fixed pattern must read back exactly as fixed and
/// every other pattern unchanged. `Ok(None)` when there is nothing to fix.
/// Fixes for the same span are applied once; overlapping spans are refused.
pub fn apply(file: &SourceFile, fixes: &[&Fix], opts: &ExtractOptions) -> Result<Option<String>, NoFix> {
    let mut fixes: Vec<&Fix> = fixes.to_vec();
    fixes.sort_by_key(|f| (f.span.start, f.span.end));
    fixes.dedup_by(|a, b| a.span == b.span && a.replacement == b.replacement);
    if fixes.is_empty() {
        return Ok(None);
    }
    for pair in fixes.windows(2) {
        if pair[1].span.start < pair[0].span.end {
            return Err(NoFix(format!(
                "two fixes overlap at bytes {}..{} and {}..{}",
                pair[0].span.start, pair[0].span.end, pair[1].span.start, pair[1].span.end
            )));
        }
    }
    let mut text = file.text.clone();
    for fix in fixes.iter().rev() {
        text = splice_file(&text, fix.span, &fix.replacement)
            .ok_or_else(|| NoFix(format!("span {}..{} is not inside the file", fix.span.start, fix.span.end)))?;
    }
    let edits: Vec<(Span, &str)> = fixes.iter().map(|f| (f.span, f.pattern.as_str())).collect();
    check_edited(file, &text, &edits, opts).map_err(|why| NoFix(format!("{}; nothing written", why.0)))?;
    Ok(Some(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(p: &str) -> Result<Proven, NoFix> {
        prove(p, Flavor::Pcre, Flags::default(), Semantics::Search, None, &RedosSettings::default())
    }

    #[test]
    fn textbook_shapes_get_proven_fixes() {
        for (p, want) in [
            ("^(a+)+\\z", "^(a+)\\z"),
            ("^(?:a|a?)+\\z", "^[a]*\\z"),
            ("x\\s*\\s*y", "x\\s*y"),
            (".*(?:.*=.*)", "(?:=.*)"),
        ] {
            let got = fix(p).unwrap_or_else(|e| panic!("{p}: {e}"));
            assert_eq!(got.pattern, want, "{p}: {:?}", got.steps);
            assert!(got.states > 0);
            assert_eq!(got.equivalent, "dfa");
        }
    }

    #[test]
    fn capture_readers_get_only_the_possessive_step() {
        let target = |flavor| Target {
            flavor,
            flags: Flags::default(),
            semantics: Semantics::Search,
            linear: Semantics::Search,
            end: possessive::End::Free,
            captures: true,
            extended: true,
            context: Context::Alone,
        };
        let settings = RedosSettings::default();
        // `x\s*\s*(y)` has a DFA-proven fix, but it is not offered when the
        // groups are read: the possessive step alone does not make it linear.
        assert!(prove_for("x\\s*\\s*(y)", &target(Flavor::Pcre), None, &settings).is_err());
        // The possessive step keeps every group; its proof is the lemma.
        let got = prove_for("^(\\d+)x", &target(Flavor::Pcre), None, &settings).expect("proven");
        assert_eq!(got.pattern, "^(\\d++)x");
        assert_eq!(got.equivalent, "possessive-disjoint");
        assert_eq!(got.states, 0);
        // Not for flavors without possessive quantifiers.
        assert!(prove_for("^(\\d+)x", &target(Flavor::Js), None, &settings).is_err());
        assert!(prove_for("^(\\d+)x", &target(Flavor::Python), None, &settings).is_err());
    }

    #[test]
    fn search_quadratics_commit_to_the_first_occurrence() {
        let settings = RedosSettings::default();
        let dot_all = Flags::from_letters("s");
        for (p, want) in [
            ("\\r\\n.*?\\b(?:EHLO\\s[a-z.-]{1,255})", "\\A(?>[\\s\\S]*?\\r\\n)[\\s\\S]*?\\b(?:EHLO\\s[a-z.-]{1,255})"),
            (
                "java\\b.+(?:runtime|processbuilder)",
                "\\A(?>[\\s\\S]*?java\\b[\\s\\S])[\\s\\S]*?(?:runtime|processbuilder)",
            ),
        ] {
            let got = prove(p, Flavor::Pcre, dot_all, Semantics::Search, None, &settings)
                .unwrap_or_else(|e| panic!("{p}: {e}"));
            assert_eq!(got.pattern, want, "{p}: {:?}", got.steps);
            assert_eq!(got.equivalent, "dfa+first-occurrence");
            assert!(got.states > 0);
        }
        // Not without dot-all (`.` stops at a newline), not under full
        // match, and not for flavors without atomic groups.
        assert!(fix("java\\b.+(?:runtime|processbuilder)").is_err());
        let p = "java\\b.+(?:runtime|processbuilder)";
        assert!(prove(p, Flavor::Pcre, dot_all, Semantics::FullMatch, None, &settings).is_err());
        assert!(prove(p, Flavor::Js, dot_all, Semantics::Search, None, &settings).is_err());
    }

    #[test]
    fn fragments_get_no_syntax_go_cannot_read() {
        // crs-toolchain parses regex-assembly lines with Go's regexp/syntax:
        // no possessive quantifiers, no atomic groups.
        let target = |extended| Target {
            flavor: Flavor::Pcre,
            flags: Flags::from_letters("s"),
            semantics: Semantics::Search,
            linear: Semantics::Search,
            end: possessive::End::Free,
            captures: false,
            extended,
            context: Context::Alone,
        };
        let settings = RedosSettings::default();
        assert!(prove_for("java\\b.+(?:runtime|x)", &target(true), None, &settings).is_ok());
        assert!(prove_for("java\\b.+(?:runtime|x)", &target(false), None, &settings).is_err());
        let captures = Target { captures: true, ..target(true) };
        assert!(prove_for("^(\\d+)x", &captures, None, &settings).is_ok());
        assert!(prove_for("^(\\d+)x", &Target { extended: false, ..captures }, None, &settings).is_err());
    }

    #[test]
    fn narrowing_sees_through_zero_width_assertions() {
        // CRS 942480: `\b` between the loop and the word it runs into.
        for (p, want) in
            [(";\\W*?\\bshutdown\\b", ";[^0-9;A-Z_a-z]*?\\bshutdown\\b"), ("'\\W*\\bor\\b", "'[^'0-9A-Z_a-z]*\\bor\\b")]
        {
            let got = fix(p).unwrap_or_else(|e| panic!("{p}: {e}"));
            assert_eq!(got.pattern, want, "{p}: {:?}", got.steps);
            assert_eq!(got.equivalent, "dfa");
        }
    }

    #[test]
    fn search_quadratics_without_atomic_groups_stop_at_the_first_occurrence() {
        let settings = RedosSettings::default();
        let dot_all = Flags::from_letters("s");
        for (p, flavor, flags, want) in [
            // CRS 942270's shape; JavaScript has no `\A`.
            (
                "union.*?select",
                Flavor::Js,
                dot_all,
                "^[^u]*(?:u(?:[^nu][^u]*|n(?:[^iu][^u]*|i(?:[^ou][^u]*|o(?:[^nu][^u]*)?)?)?)?)*union.*?select",
            ),
            // Every scan but the last stops at the first occurrence of what
            // follows it (CRS 942270: `union.*?select.*?from`).
            ("ab.*?cd.*?e", Flavor::Pcre, dot_all, "\\A[^a]*(?:a(?:[^ab][^a]*)?)*ab[^c]*(?:c(?:[^cd][^c]*)?)*cd.*?e"),
            // Without dot-all the scan stops at a newline, and so does `A`.
            ("ab.*cd", Flavor::Pcre, Flags::default(), "(?:\\A|\\n)[^\\na]*(?:a(?:[^\\nab][^\\na]*)?)*ab.*cd"),
            // crawler-user-agents' shape, on any flavor.
            (
                "Spider[\\s\\S]*spider\\.com",
                Flavor::Python,
                Flags::default(),
                "\\A[^S]*(?:S(?:[^Sp][^S]*|p(?:[^Si][^S]*|i(?:[^Sd][^S]*|d(?:[^Se][^S]*|e(?:[^Sr][^S]*)?)?)?)?)?)*Spider[\\s\\S]*spider\\.com",
            ),
        ] {
            let got =
                prove(p, flavor, flags, Semantics::Search, None, &settings).unwrap_or_else(|e| panic!("{p}: {e}"));
            assert_eq!(got.pattern, want, "{p}: {:?}", got.steps);
            assert_eq!(got.equivalent, "dfa");
            assert!(got.states > 0);
        }
        // Not under full match.
        assert!(prove("ab[\\s\\S]*c", Flavor::Js, Flags::default(), Semantics::FullMatch, None, &settings).is_err());
    }

    #[test]
    fn overlapping_adjacent_loops_split_at_the_last_character_only_the_first_takes() {
        for (p, want) in [
            // CRS 942330: `'` × n + "0and'-" backtracks in both loops.
            ("^[\"'\\x5c]*?[\\d\"']+\\s*?\\band\\b", "^(?:[\"'0-9]+|[\"'\\x5c]*?[\\x5c][\"'0-9]+)\\s*?\\band\\b"),
            // With a `+` first loop, the branch without `A∖B` starts in `A∩B`.
            ("^[ab]+[bc]+x", "^(?:[b][bc]+|[ab]*[a][bc]+)x"),
        ] {
            let got = fix(p).unwrap_or_else(|e| panic!("{p}: {e}"));
            assert_eq!(got.pattern, want, "{p}: {:?}", got.steps);
            assert_eq!(got.equivalent, "dfa");
        }
    }

    /// Search is-match of `a|b` is the "or" of the branches searched
    /// alone: each vulnerable branch is fixed on its own (CRS 942 rules
    /// assembled from several scans), and the whole is proven again.
    #[test]
    fn top_level_alternations_are_fixed_branch_by_branch() {
        let settings = RedosSettings::default();
        let dot_all = Flags::from_letters("s");
        let p = "(?i)select.*?case|from.*?limit|order\\s+by";
        let got = prove(p, Flavor::Js, dot_all, Semantics::Search, None, &settings).unwrap_or_else(|e| panic!("{e}"));
        assert!(got.pattern.ends_with("from.*?limit|order\\s+by"), "{}", got.pattern);
        assert!(got.pattern.starts_with("(?i)^[^Ss]*"), "{}", got.pattern);
        assert!(got.pattern.contains("select.*?case|^[^f]*"), "{}", got.pattern);
        assert_eq!(got.steps.len(), 2, "{:?}", got.steps);
        assert!(got.steps.iter().all(|s| s.starts_with("branch ")), "{:?}", got.steps);
        assert_eq!(got.equivalent, "dfa");
        // A group around the alternation is kept.
        let got = prove("(?:ab.*?c|x)", Flavor::Pcre, dot_all, Semantics::Search, None, &settings).expect("proven");
        assert!(got.pattern.starts_with("(?:\\A") && got.pattern.ends_with("ab.*?c|x)"), "{}", got.pattern);
        // Not under full match: the branches do not decide alone.
        assert!(prove("ab.*?c|x", Flavor::Pcre, dot_all, Semantics::FullMatch, None, &settings).is_err());
    }

    /// A prefix rewrite must keep the answers of `PREFIX X` for every `X`,
    /// not only of the prefix searched alone.
    #[test]
    fn prefix_rewrites_are_proven_for_whatever_follows() {
        let target = Target {
            flavor: Flavor::Pcre,
            flags: Flags::from_letters("s"),
            semantics: Semantics::Search,
            linear: Semantics::Search,
            end: possessive::End::Open,
            captures: false,
            extended: false,
            context: Context::Prefix { before: String::new(), after: String::new(), around: None },
        };
        let config = ParseConfig::new(Flavor::Pcre).flags(target.flags);
        let check = |original: &str, rewrite: &str| {
            let oracle = Oracle::new(original, &parse(original, &config).expect("parses"), &target)?;
            Ok::<_, String>(oracle.check(rewrite, &parse(rewrite, &config).expect("parses")))
        };
        let equal = |e: &Result<Equivalence, String>| matches!(e, Ok(Equivalence::Equal { .. }));
        // A leading scan that may match nothing starts no fewer matches.
        assert!(equal(&check("[\\s(]*?\\b(\\w+)\\b", "\\b(\\w+)\\b")));
        // Search-equivalent alone, not as a prefix: `ab*c` is not `ac`.
        assert!(matches!(check("ab*", "a"), Ok(Equivalence::Differ { .. })));
        // A trailing `\b` looks at what follows the prefix.
        assert!(matches!(check("a\\b", "a"), Ok(Equivalence::Differ { .. })));
        // A prefix with a top-level `|` does not start every branch.
        assert!(check("a|b", "a|b").is_err());
        // Inline flags at its top level reach the rest of the rule.
        assert!(matches!(check("x(?i)", "x"), Ok(Equivalence::Unknown(_))));
        assert_eq!(top_level_flags("(?i)a(?:(?s)b)[(?x)]\\((?-i)"), ["(?i)", "(?-i)"]);
    }

    #[test]
    fn a_scan_no_edit_fixes_is_spelled_from_its_minimal_dfa() {
        let settings = RedosSettings::default();
        // CRS 932281: every `{` restarts a scan to the end of the input.
        let p = "\\{[^\\s\\x0b,:\\}]*,[^\\s\\x0b]*\\}";
        let got =
            prove(p, Flavor::Pcre, Flags::NONE, Semantics::Search, None, &settings).unwrap_or_else(|e| panic!("{e}"));
        assert!(got.pattern.starts_with("\\A(?:[^{]|"), "{}", got.pattern);
        assert_eq!(got.equivalent, "dfa");
        assert!(got.steps.iter().any(|s| s.contains("minimal DFA")), "{:?}", got.steps);
        // With a capture group the automaton would drop it: no fix.
        let grouped = "\\{([^\\s\\x0b,:\\}]*),[^\\s\\x0b]*\\}";
        assert!(prove(grouped, Flavor::Pcre, Flags::NONE, Semantics::Search, None, &settings).is_err());
        // A proven spelling too long to review is not offered, and says so.
        let words = "\\bjava[a-z\\.]+Exception\\b";
        let why = prove(words, Flavor::Pcre, Flags::from_letters("i"), Semantics::Search, None, &settings)
            .expect_err("too long");
        assert!(why.0.contains("spelled from its DFA") && why.0.contains("reviewer"), "{why}");
    }

    #[test]
    fn no_fix_without_a_proof() {
        assert!(fix("(a|b)\\1+c").is_err());
        assert!(fix("(?=a)(a+)+b").is_err());
    }
}
