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
//!    language for fragments that are spliced into a larger regex), with the
//!    same number of capture groups;
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

pub mod encode;
pub mod equiv;
pub mod rewrite;

use serde::{Deserialize, Serialize};

use crate::analysis::Attack;
use crate::analysis::candidates::Complexity;
use crate::analysis::parse::{ParseConfig, parse};
use crate::source::{self, ExtractOptions, ExtractedPattern, Flags, Flavor, Kind, Semantics, SourceFile, Span};
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
    /// What was proven.
    pub proof: Proof,
    /// The rewrite steps, in order.
    pub steps: Vec<String>,
}

/// What a fix's proof established.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proof {
    /// How equivalence was decided: `dfa` (product of dense DFAs).
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
    if pattern.len() > MAX_PATTERN_LEN {
        return Err(NoFix(format!("patterns over {MAX_PATTERN_LEN} bytes are not searched for a fix")));
    }
    let config = ParseConfig::new(flavor).flags(flags);
    let original = parse(pattern, &config).map_err(|e| NoFix(format!("the pattern does not parse: {e}")))?;
    if let Some(why) = equiv::unsupported(&original) {
        return Err(NoFix(format!("no equivalence proof for a pattern with {why}")));
    }
    let target = equiv::Compiled::new(&original, flavor, semantics).map_err(NoFix)?;
    let mut checks = 0;
    let mut current = pattern.to_owned();
    let mut steps = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let ir = parse(&current, &config).map_err(|e| NoFix(format!("rewrite does not parse: {e}")))?;
        let mut taken = None;
        for cand in rewrite::candidates(&current, &ir, semantics).into_iter().take(MAX_CANDIDATES) {
            let Ok(cir) = parse(&cand.pattern, &config) else { continue };
            if cir.captures != original.captures || cir.names != original.names {
                continue;
            }
            checks += 1;
            if checks > MAX_CHECKS {
                return Err(NoFix(format!("no proven linear rewrite within {MAX_CHECKS} equivalence checks")));
            }
            let Ok(compiled) = equiv::Compiled::new(&cir, flavor, semantics) else { continue };
            if let Equivalence::Equal { .. } = target.equivalent(&compiled, equiv::DEFAULT_STATE_BUDGET) {
                taken = Some((cand, cir));
                break;
            }
        }
        let Some((cand, cir)) = taken else { break };
        current = cand.pattern;
        steps.push(cand.what);
        if is_linear(&current, &cir, flavor, flags, semantics, attack, settings) {
            let Equivalence::Equal { states } =
                equiv::equivalent(&original, &cir, flavor, semantics, equiv::DEFAULT_STATE_BUDGET)
            else {
                return Err(NoFix("the final equivalence proof failed".into()));
            };
            return Ok(Proven { pattern: current, states, semantics, steps });
        }
    }
    Err(NoFix(if steps.is_empty() {
        "no rewrite of this shape is proven equivalent".into()
    } else {
        format!("{} equivalent rewrite(s) found, but none makes the pattern linear", steps.len())
    }))
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
    if uses_captures(&pattern.kind) {
        return Err(NoFix(format!(
            "{} reads capture groups; language equivalence does not prove the groups unchanged",
            pattern.kind.as_str()
        )));
    }
    // A fragment is spliced into a larger regex: only the exact language
    // (full-match equivalence) is safe in every context.
    let semantics = if pattern.kind.is_fragment() { Semantics::FullMatch } else { pattern.semantics };
    let proven = prove(&pattern.pattern, pattern.flavor, pattern.flags, semantics, attack, settings)?;
    let replacement = encode::encode(&file.text, pattern, &proven.pattern)
        .ok_or_else(|| NoFix("the fixed pattern cannot be written in this file's quoting".into()))?;
    let span = decoded_raw_span(pattern);
    let edited = splice_file(&file.text, span, &replacement).ok_or_else(|| NoFix("bad span".into()))?;
    check_reextract(file, &edited, pattern, &proven.pattern, opts)?;
    Ok(Fix {
        pattern: proven.pattern,
        replacement,
        span,
        proof: Proof {
            equivalent: "dfa".into(),
            states: proven.states,
            semantics: proven.semantics.as_str().into(),
            linear: true,
        },
        steps: proven.steps,
    })
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

/// Re-extract `edited` and check that the pattern at the edited place
/// decodes to `fixed`, and that every other pattern is unchanged.
pub fn check_reextract(
    file: &SourceFile,
    edited: &str,
    pattern: &ExtractedPattern,
    fixed: &str,
    opts: &ExtractOptions,
) -> Result<(), NoFix> {
    let before = source::extract(file, opts);
    let after = source::extract(&SourceFile::new(file.path.clone(), edited), opts);
    if !after.problems.is_empty() || before.patterns.len() != after.patterns.len() {
        return Err(NoFix("the edited file does not extract the same patterns".into()));
    }
    for (b, a) in before.patterns.iter().zip(&after.patterns) {
        let want = if b.span == pattern.span && b.offsets == pattern.offsets { fixed } else { b.pattern.as_str() };
        if a.pattern != want {
            return Err(NoFix(format!("the edited file reads `{}` where `{want}` was written", a.pattern)));
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
    let before = source::extract(file, opts);
    let after = source::extract(&SourceFile::new(file.path.clone(), text.as_str()), opts);
    if !after.problems.is_empty() || before.patterns.len() != after.patterns.len() {
        return Err(NoFix("the edited file does not extract the same patterns; nothing written".into()));
    }
    for (b, a) in before.patterns.iter().zip(&after.patterns) {
        let want = fixes.iter().find(|f| f.span == decoded_raw_span(b)).map_or(b.pattern.as_str(), |f| &f.pattern);
        if a.pattern != want {
            return Err(NoFix(format!(
                "the edited file reads `{}` where `{want}` was meant; nothing written",
                a.pattern
            )));
        }
    }
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
        }
    }

    #[test]
    fn no_fix_without_a_proof() {
        assert!(fix("(a|b)\\1+c").is_err());
        assert!(fix("(?=a)(a+)+b").is_err());
    }
}
