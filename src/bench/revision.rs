//! `--baseline REV`: the same rule files at another git revision, measured
//! on the same corpus, and every figure compared before → after.
//!
//! Where it sits: after the current rules are measured; it reads blobs
//! through [`crate::git`] (read-only: no checkout, no index, no working-tree change), loads
//! their rules with the same reader, measures them, pairs rules by file and
//! id, and records regressions.
//!
//! What counts as a regression (threshold `t`, default 20 %): worse
//! worst-case complexity; steps at 4 KB up by more than `t`; p99 steps per
//! byte up by more than `t`; more limit hits; benign match rate up by more
//! than `t` (and 0.1 point); attack match rate down by more than `t`; more
//! failing tests. Throughput down by more than `t` is flagged too but marked
//! `timing`: wall-clock figures are noisy on shared machines, so they are
//! reported and do not fail the run, and they are compared only for rules
//! whose pattern changed.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::RuleReport;
use crate::git;

/// A git problem reading the baseline.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum Error {
    /// The repository, revision or blob could not be read.
    #[error("--baseline {rev}: {message}")]
    #[diagnostic(code(cfglint::bench::revision))]
    Git {
        /// The revision asked for.
        rev: String,
        /// What went wrong.
        message: String,
    },
}

/// One figure that got worse.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Regression {
    /// The figure, as a JSON path (`backtracking.steps_per_byte.p99`).
    pub figure: &'static str,
    /// Its value at the baseline.
    pub before: f64,
    /// Its value now.
    pub after: f64,
    /// A wall-clock figure (reported, does not fail the run).
    pub timing: bool,
}

/// Read `path` (a file in a git work tree) as it was at `rev`. `Ok(None)`
/// when the file did not exist at that revision.
pub fn read_at(rev: &str, path: &Path) -> Result<Option<(PathBuf, String)>, Error> {
    let err = |message: String| Error::Git { rev: rev.to_owned(), message };
    let abs = std::fs::canonicalize(path).map_err(|e| err(format!("{}: {e}", path.display())))?;
    let start = abs.parent().unwrap_or(&abs);
    let repo = git::open(start).map_err(|e| match e {
        git::Error::NotARepository { .. } => err(format!("{} is not in a git repository", path.display())),
        e => err(format!("{} is not in a git repository: {}", path.display(), e.reason())),
    })?;
    let workdir = repo.workdir().ok_or_else(|| err("the repository has no work tree".to_owned()))?;
    let workdir = std::fs::canonicalize(workdir).map_err(|e| err(e.to_string()))?;
    let rel = abs
        .strip_prefix(&workdir)
        .map_err(|_| err(format!("{} is outside the repository at {}", path.display(), workdir.display())))?;
    let tree = git::resolve(&repo, rev)
        .map_err(|e| err(format!("unknown revision: {}", e.reason())))?
        .tree
        .expect("a resolved revision has a tree");
    let Some(blob) = git::blob_at(&repo, tree, rel).map_err(|e| err(format!("{}: {}", rel.display(), e.reason())))?
    else {
        return Ok(None);
    };
    let bytes =
        match git::read_blob(&repo, blob, u64::MAX).map_err(|e| err(format!("{}: {}", rel.display(), e.reason())))? {
            git::Blob::Bytes(b) => b,
            git::Blob::TooLarge(n) => return Err(err(format!("{}: {n} bytes, too large to read", rel.display()))),
        };
    let text =
        String::from_utf8(bytes).map_err(|_| err(format!("{} is not valid UTF-8 at this revision", rel.display())))?;
    Ok(Some((path.to_path_buf(), text)))
}

/// Attach each baseline rule to the current rule with the same file and id
/// (in order, for duplicate ids), record what changed and what regressed.
/// Returns the baseline rules with no current counterpart (removed).
pub fn compare(current: &mut [RuleReport], base: Vec<RuleReport>, threshold: f64) -> Vec<RuleReport> {
    let mut base: Vec<Option<RuleReport>> = base.into_iter().map(Some).collect();
    for cur in current.iter_mut() {
        let found = base.iter().position(|b| b.as_ref().is_some_and(|b| b.file == cur.file && b.id == cur.id));
        match found.and_then(|i| base[i].take()) {
            Some(before) => {
                let same =
                    before.pattern == cur.pattern && before.targets == cur.targets && before.action == cur.action;
                cur.change = Some(if same { "unchanged" } else { "modified" });
                cur.regressions = regressions(&before, cur, threshold, !same);
                cur.baseline = Some(Box::new(before));
            }
            None => cur.change = Some("added"),
        }
    }
    base.into_iter().flatten().collect()
}

/// The figures of `after` that are worse than `before`.
pub fn regressions(before: &RuleReport, after: &RuleReport, t: f64, with_timing: bool) -> Vec<Regression> {
    let mut out = Vec::new();
    let mut push = |figure, before: f64, after: f64, timing| out.push(Regression { figure, before, after, timing });
    let grew = |b: f64, a: f64| a > b * (1.0 + t) && a - b > 1e-9;
    let (bw, aw) = (before.worst_case.as_ref(), after.worst_case.as_ref());
    if let (Some(b), Some(a)) = (bw, aw) {
        let (rb, ra) = (b.complexity.rank(b.degree), a.complexity.rank(a.degree));
        if ra > rb {
            push("worst_case.complexity", f64::from(rb), f64::from(ra), false);
        }
        if a.steps_at_4kb_log10 > b.steps_at_4kb_log10 + (1.0 + t).log10() {
            push("worst_case.steps_at_4kb", b.steps_at_4kb, a.steps_at_4kb, false);
        }
    } else if let (None, Some(a)) = (bw, aw)
        && a.complexity.rank(a.degree) > 1
    {
        push("worst_case.complexity", 1.0, f64::from(a.complexity.rank(a.degree)), false);
    }
    if let (Some(b), Some(a)) = (&before.backtracking, &after.backtracking) {
        if grew(b.steps_per_byte.p99, a.steps_per_byte.p99) && a.steps_per_byte.p99 - b.steps_per_byte.p99 > 0.5 {
            push("backtracking.steps_per_byte.p99", b.steps_per_byte.p99, a.steps_per_byte.p99, false);
        }
        if a.limit_hits > b.limit_hits {
            push("backtracking.limit_hits", b.limit_hits as f64, a.limit_hits as f64, false);
        }
    }
    if let (Some(b), Some(a)) = (before.match_rate.benign, after.match_rate.benign)
        && grew(b, a)
        && a - b > 0.001
    {
        push("match_rate.benign", b, a, false);
    }
    if let (Some(b), Some(a)) = (before.match_rate.attack, after.match_rate.attack)
        && a < b * (1.0 - t)
    {
        push("match_rate.attack", b, a, false);
    }
    if after.tests.failed > before.tests.failed {
        push("tests.failed", before.tests.failed as f64, after.tests.failed as f64, false);
    }
    if with_timing
        && let (Some(b), Some(a)) = (&before.linear, &after.linear)
        && a.mb_per_s * (1.0 + t) < b.mb_per_s
    {
        push("linear.mb_per_s", b.mb_per_s, a.mb_per_s, true);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::{Corpus, Settings, measure};

    #[test]
    fn pairs_rules_and_flags_regressions() {
        let mut inputs = Vec::new();
        for (t, e) in [("a=1", super::super::Expect::Benign), ("b=2", super::super::Expect::Benign)] {
            inputs.push(super::super::corpus::Input {
                origin: String::new(),
                expect: e,
                expect_ids: Vec::new(),
                no_expect_ids: Vec::new(),
                payload: super::super::corpus::Payload::Raw(t.as_bytes().to_vec()),
            });
        }
        let corpus = Corpus::from_inputs(inputs);
        let s = Settings::default();
        let old_a = measure(&crate::bench::tests::rule("a", "a=1"), &corpus, &s);
        let old_gone = measure(&crate::bench::tests::rule("gone", "zzz"), &corpus, &s);
        let new_a = measure(&crate::bench::tests::rule("a", "="), &corpus, &s);
        let new_b = measure(&crate::bench::tests::rule("b", "b"), &corpus, &s);
        let mut current = vec![new_a, new_b];
        let removed = compare(&mut current, vec![old_a, old_gone], 0.2);
        assert_eq!(removed.len(), 1);
        assert_eq!(removed[0].id, "gone");
        assert_eq!(current[0].change, Some("modified"));
        assert_eq!(current[1].change, Some("added"));
        let figures: Vec<_> = current[0].regressions.iter().filter(|r| !r.timing).map(|r| r.figure).collect();
        assert_eq!(figures, ["match_rate.benign"]);
        assert!(current[0].is_failure());
    }
}
