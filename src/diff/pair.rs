//! Pair the regexes of a file's old and new versions, and keep only the
//! findings a change introduced or made worse.
//!
//! Pipeline position: `diff` runs the lint pipeline on both versions of a
//! changed file, then these pure functions decide what to report. Nothing
//! here touches git or the disk, so every decision is unit-tested with
//! hand-built patterns and findings.
//!
//! Guarantees: pairing is deterministic (file order breaks ties) and runs in
//! time linear in the number of patterns (hash lookups, no all-pairs scan);
//! an unchanged regex is never reported, whatever its findings.

use std::collections::HashMap;
use std::hash::Hash;

use crate::finding;
use crate::finding::{Before, Change, ChangeKind, Complexity, Finding, Severity};
use crate::source::{ExtractedPattern, Flags, Flavor, Semantics};

/// What happened to one regex of the new version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternChange {
    /// The same regex exists in the old version (possibly under another key,
    /// after a reorder or a rename): nothing to report.
    Unchanged {
        /// Index of the old pattern.
        old: usize,
    },
    /// The regex existed (same rule id or same key) and its text, flavor,
    /// semantics or flags changed.
    Modified {
        /// Index of the old pattern.
        old: usize,
    },
    /// No old regex corresponds to this one.
    Added,
}

/// What makes two regexes behave the same: the text and how it is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Content<'a> {
    pattern: &'a str,
    flavor: Flavor,
    semantics: Semantics,
    flags: Flags,
}

fn content(p: &ExtractedPattern) -> Content<'_> {
    Content { pattern: &p.pattern, flavor: p.flavor, semantics: p.semantics, flags: p.flags }
}

/// Old indices by some identity, consumed in file order.
struct Pool<K> {
    map: HashMap<K, Vec<usize>>,
}

impl<K: Hash + Eq> Pool<K> {
    fn new<'p>(old: &'p [ExtractedPattern], key: impl Fn(&'p ExtractedPattern) -> Option<K>) -> Self {
        let mut map: HashMap<K, Vec<usize>> = HashMap::new();
        // Pushed in reverse so that `pop` yields file order.
        for (i, p) in old.iter().enumerate().rev() {
            if let Some(k) = key(p) {
                map.entry(k).or_default().push(i);
            }
        }
        Pool { map }
    }

    /// The first old index under `k` not taken yet and accepted by `ok`.
    fn take(&mut self, k: &K, taken: &mut [bool], ok: impl Fn(usize) -> bool) -> Option<usize> {
        let list = self.map.get_mut(k)?;
        // Drop indices already taken by an earlier tier.
        while list.last().is_some_and(|&i| taken[i]) {
            list.pop();
        }
        let pos = list.iter().rposition(|&i| !taken[i] && ok(i))?;
        let i = list.remove(pos);
        taken[i] = true;
        Some(i)
    }
}

/// Pair every new regex with the old regex it replaces, if any.
///
/// Identity, strongest first:
/// 1. same rule id and same content: unchanged (a rule moved in its list);
/// 2. same key and same content: unchanged;
/// 3. same content anywhere: unchanged (a list without ids was reordered, or
///    the file was renamed);
/// 4. same rule id, content changed: modified (the n-th regex of a rule
///    pairs with the n-th remaining regex of that rule);
/// 5. same key, content changed, unless both sides carry different rule ids
///    (then a different rule now sits at that key): modified.
///
/// Anything left is added. Returns one entry per new pattern.
pub fn pair(old: &[ExtractedPattern], new: &[ExtractedPattern]) -> Vec<PatternChange> {
    let mut taken = vec![false; old.len()];
    let mut out: Vec<Option<PatternChange>> = vec![None; new.len()];

    let mut by_rule_content = Pool::new(old, |p| p.rule_id.as_deref().map(|r| (r, content(p))));
    let mut by_key_content = Pool::new(old, |p| Some((p.key.as_str(), content(p))));
    let mut by_content = Pool::new(old, |p| Some(content(p)));
    let mut by_rule = Pool::new(old, |p| p.rule_id.as_deref());
    let mut by_key = Pool::new(old, |p| Some(p.key.as_str()));

    for (j, p) in new.iter().enumerate() {
        if let Some(r) = p.rule_id.as_deref()
            && let Some(i) = by_rule_content.take(&(r, content(p)), &mut taken, |_| true)
        {
            out[j] = Some(PatternChange::Unchanged { old: i });
        }
    }
    for (j, p) in new.iter().enumerate() {
        if out[j].is_none()
            && let Some(i) = by_key_content.take(&(p.key.as_str(), content(p)), &mut taken, |_| true)
        {
            out[j] = Some(PatternChange::Unchanged { old: i });
        }
    }
    for (j, p) in new.iter().enumerate() {
        if out[j].is_none()
            && let Some(i) = by_content.take(&content(p), &mut taken, |_| true)
        {
            out[j] = Some(PatternChange::Unchanged { old: i });
        }
    }
    for (j, p) in new.iter().enumerate() {
        if out[j].is_none()
            && let Some(r) = p.rule_id.as_deref()
            && let Some(i) = by_rule.take(&r, &mut taken, |_| true)
        {
            out[j] = Some(PatternChange::Modified { old: i });
        }
    }
    for (j, p) in new.iter().enumerate() {
        if out[j].is_none() {
            let compatible = |i: usize| match (&old[i].rule_id, &p.rule_id) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            };
            if let Some(i) = by_key.take(&p.key.as_str(), &mut taken, compatible) {
                out[j] = Some(PatternChange::Modified { old: i });
            }
        }
    }
    out.into_iter().map(|c| c.unwrap_or(PatternChange::Added)).collect()
}

/// One version of a file: its regexes and the findings on it.
#[derive(Debug, Clone, Copy)]
pub struct Version<'a> {
    /// The file as shown in findings (the old path for the old version of a
    /// renamed file).
    pub path: &'a str,
    /// The file's text (for line and column of notes).
    pub text: &'a str,
    /// Its regexes, in file order.
    pub patterns: &'a [ExtractedPattern],
    /// Every finding on the file.
    pub findings: &'a [Finding],
}

/// What a change did to one file's regexes.
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    /// Findings to report: new or worse on added/modified regexes, notes
    /// for improvements, and file-level findings (parse errors, invalid
    /// suppressions) that the old version did not have. Sorted.
    pub findings: Vec<Finding>,
    /// Regexes added.
    pub added: usize,
    /// Regexes modified.
    pub modified: usize,
    /// Regexes unchanged (possibly moved).
    pub unchanged: usize,
    /// Old regexes with no counterpart in the new version.
    pub removed: usize,
}

/// The findings on one pattern: same key and same pattern text.
fn findings_on<'f>(findings: &'f [Finding], p: &ExtractedPattern) -> Vec<&'f Finding> {
    findings
        .iter()
        .filter(|f| f.key.as_deref() == Some(p.key.as_str()) && f.pattern.as_deref() == Some(&p.pattern))
        .collect()
}

/// True for findings that belong to no regex of the file (parse errors,
/// suppression problems): those without a key, or whose key and pattern
/// match no extracted regex.
fn is_file_level(f: &Finding, patterns: &[ExtractedPattern]) -> bool {
    match &f.key {
        None => true,
        Some(k) => !patterns.iter().any(|p| &p.key == k && f.pattern.as_deref() == Some(&p.pattern)),
    }
}

/// The worst backtracking verdict among findings, as (rank, before).
fn worst(findings: &[&Finding]) -> Option<(u32, Before)> {
    findings
        .iter()
        .filter_map(|f| f.evidence.as_ref())
        .map(|e| (e.complexity.rank(e.degree), Before { complexity: e.complexity, degree: e.degree }))
        .max_by_key(|(r, _)| *r)
}

/// How a finding names the regex in "this change makes ... go from":
/// `rule 942100` when the format has rule ids, else the key.
pub fn regex_name(p: &ExtractedPattern) -> String {
    match &p.rule_id {
        Some(id) => format!("rule {id}"),
        None => format!("`{}`", p.key),
    }
}

/// Compare two versions of one file and keep what the change introduced.
///
/// For an added regex every finding is reported (`change: added`). For a
/// modified regex a finding is reported when it is new or worse: a
/// backtracking finding (one with evidence) whose complexity ranks above
/// the old regex's worst, or any other finding whose code the old regex did
/// not have (`change: modified` with `before`). A modified regex whose
/// worst complexity went down gets a note saying so. Unchanged regexes are
/// never reported.
pub fn compare(old: &Version<'_>, new: &Version<'_>) -> Comparison {
    let pairs = pair(old.patterns, new.patterns);
    let mut cmp = Comparison::default();
    let mut paired_old = vec![false; old.patterns.len()];
    for (j, change) in pairs.iter().enumerate() {
        let p = &new.patterns[j];
        let now = findings_on(new.findings, p);
        match *change {
            PatternChange::Unchanged { old: i } => {
                paired_old[i] = true;
                cmp.unchanged += 1;
            }
            PatternChange::Added => {
                cmp.added += 1;
                for f in now {
                    let mut f = f.clone();
                    f.change = Some(Change { change: ChangeKind::Added, before: None });
                    cmp.findings.push(f);
                }
            }
            PatternChange::Modified { old: i } => {
                paired_old[i] = true;
                cmp.modified += 1;
                let then = findings_on(old.findings, &old.patterns[i]);
                modified(p, &then, &now, new, &mut cmp.findings);
            }
        }
    }
    cmp.removed = paired_old.iter().filter(|t| !**t).count();

    // File-level findings: report those the old version did not have. The
    // old path is replaced in messages so a rename alone changes nothing.
    let old_file_level: Vec<(&str, String)> = old
        .findings
        .iter()
        .filter(|f| is_file_level(f, old.patterns))
        .map(|f| (f.code.as_str(), f.message.replace(old.path, new.path)))
        .collect();
    for f in new.findings.iter().filter(|f| is_file_level(f, new.patterns)) {
        if !old_file_level.iter().any(|(c, m)| *c == f.code && *m == f.message) {
            cmp.findings.push(f.clone());
        }
    }
    finding::sort(&mut cmp.findings);
    cmp
}

/// The findings of a modified regex that are new or worse, plus a note when
/// it got better.
fn modified(p: &ExtractedPattern, then: &[&Finding], now: &[&Finding], new: &Version<'_>, out: &mut Vec<Finding>) {
    let linear = Before { complexity: Complexity::Linear, degree: None };
    let (old_rank, before) = worst(then).unwrap_or((Complexity::Linear.rank(None), linear));
    let change = Change { change: ChangeKind::Modified, before: Some(before.clone()) };
    let mut new_rank = Complexity::Linear.rank(None);
    for f in now {
        let report = match &f.evidence {
            Some(e) => {
                let rank = e.complexity.rank(e.degree);
                new_rank = new_rank.max(rank);
                rank > old_rank
            }
            None => !then.iter().any(|t| t.code == f.code),
        };
        if !report {
            continue;
        }
        let mut f = (*f).clone();
        if let Some(e) = &f.evidence {
            f.message = format!(
                "this change makes {} go from {} to {}: {}",
                regex_name(p),
                before.complexity.big_o(before.degree),
                e.complexity.big_o(e.degree),
                f.message
            );
        }
        f.change = Some(change.clone());
        out.push(f);
    }
    // An improvement: the old regex had backtracking evidence and the new
    // one ranks lower.
    if let Some(worst_then) = then.iter().filter(|f| f.evidence.is_some()).max_by_key(|f| {
        let e = f.evidence.as_ref().expect("filtered on evidence");
        e.complexity.rank(e.degree)
    }) && new_rank < old_rank
    {
        let after = now
            .iter()
            .filter_map(|f| f.evidence.as_ref())
            .max_by_key(|e| e.complexity.rank(e.degree))
            .map_or_else(|| "linear".to_owned(), |e| e.complexity.big_o(e.degree));
        let mut note = Finding::new(
            &worst_then.code,
            &worst_then.rule,
            Severity::Note,
            new.path,
            new.text,
            Some(p.span),
            format!(
                "this change makes {} go from {} to {}",
                regex_name(p),
                before.complexity.big_o(before.degree),
                after
            ),
        );
        note.key = Some(p.key.clone());
        note.kind = Some(p.kind.as_str().to_owned());
        note.pattern = Some(p.pattern.clone());
        note.flavor = Some(p.flavor);
        note.flags = Some(p.flags.to_letters());
        note.semantics = Some(p.semantics);
        note.rule_id.clone_from(&p.rule_id);
        note.change = Some(Change { change: ChangeKind::Improved, ..change });
        note.refresh_fingerprint();
        out.push(note);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Evidence;
    use crate::source::{Kind, OffsetMap, Span};

    fn pat(key: &str, rule: Option<&str>, pattern: &str) -> ExtractedPattern {
        ExtractedPattern {
            pattern: pattern.to_owned(),
            span: Span::new(0, pattern.len()),
            offsets: OffsetMap::verbatim(0, pattern.len()),
            key: key.to_owned(),
            kind: Kind::WafYaml,
            flavor: Flavor::Pcre,
            semantics: Semantics::Search,
            flags: Flags::default(),
            rule_id: rule.map(str::to_owned),
        }
    }

    fn on(p: &ExtractedPattern, code: &str, verdict: Option<(Complexity, Option<u32>)>) -> Finding {
        let mut f = Finding::new(code, "rule-name", Severity::Error, "waf.yaml", "", Some(p.span), "msg");
        f.key = Some(p.key.clone());
        f.pattern = Some(p.pattern.clone());
        f.rule_id.clone_from(&p.rule_id);
        f.evidence = verdict.map(|(complexity, degree)| Evidence {
            complexity,
            degree,
            attack: None,
            confirmed: true,
            steps: Vec::new(),
            engine: None,
            bound: None,
        });
        f.refresh_fingerprint();
        f
    }

    fn version<'a>(patterns: &'a [ExtractedPattern], findings: &'a [Finding]) -> Version<'a> {
        Version { path: "waf.yaml", text: "", patterns, findings }
    }

    #[test]
    fn reordered_rules_pair_by_rule_id() {
        let old = [pat("rules[3].pattern", Some("942100"), "a+b"), pat("rules[4].pattern", Some("942200"), "c+")];
        let new = [
            pat("rules[3].pattern", Some("942050"), "x"),
            pat("rules[4].pattern", Some("942100"), "a+b"),
            pat("rules[5].pattern", Some("942200"), "c+d"),
        ];
        assert_eq!(
            pair(&old, &new),
            vec![PatternChange::Added, PatternChange::Unchanged { old: 0 }, PatternChange::Modified { old: 1 }]
        );
    }

    #[test]
    fn lists_without_ids_pair_by_content_then_key() {
        let old = [pat("a[0]", None, "A"), pat("a[1]", None, "B")];
        // Swapped: both unchanged, not two modifications.
        let new = [pat("a[0]", None, "B"), pat("a[1]", None, "A")];
        assert_eq!(pair(&old, &new), vec![PatternChange::Unchanged { old: 1 }, PatternChange::Unchanged { old: 0 }]);
        // Edited in place: modified by key.
        let new = [pat("a[0]", None, "A2"), pat("a[1]", None, "B")];
        assert_eq!(pair(&old, &new), vec![PatternChange::Modified { old: 0 }, PatternChange::Unchanged { old: 1 }]);
    }

    #[test]
    fn a_different_rule_at_the_same_key_is_added() {
        let old = [pat("rules[0].pattern", Some("1"), "A")];
        let new = [pat("rules[0].pattern", Some("2"), "B")];
        assert_eq!(pair(&old, &new), vec![PatternChange::Added]);
        // Without ids on one side the key decides.
        let new = [pat("rules[0].pattern", None, "B")];
        assert_eq!(pair(&old, &new), vec![PatternChange::Modified { old: 0 }]);
    }

    #[test]
    fn several_regexes_of_one_rule_pair_in_order() {
        let old = [pat("r.chain[0]", Some("7"), "A"), pat("r.chain[1]", Some("7"), "B")];
        let new = [pat("r.chain[0]", Some("7"), "A1"), pat("r.chain[1]", Some("7"), "B1")];
        assert_eq!(pair(&old, &new), vec![PatternChange::Modified { old: 0 }, PatternChange::Modified { old: 1 }]);
    }

    #[test]
    fn flavor_or_flags_change_is_a_modification() {
        let old = [pat("k", None, "A")];
        let mut p = pat("k", None, "A");
        p.flags.case_insensitive = true;
        assert_eq!(pair(&old, &[p]), vec![PatternChange::Modified { old: 0 }]);
        let mut p = pat("k", None, "A");
        p.flavor = Flavor::Re2;
        assert_eq!(pair(&old, &[p]), vec![PatternChange::Modified { old: 0 }]);
    }

    #[test]
    fn duplicate_patterns_each_pair_once() {
        let old = [pat("a[0]", None, "A")];
        let new = [pat("a[0]", None, "A"), pat("a[1]", None, "A")];
        assert_eq!(pair(&old, &new), vec![PatternChange::Unchanged { old: 0 }, PatternChange::Added]);
    }

    #[test]
    fn worse_complexity_is_reported_with_before() {
        let old_p = [pat("rules[0].pattern", Some("942100"), "a+b")];
        let new_p = [pat("rules[0].pattern", Some("942100"), ".*.*.*=")];
        let new_f = [on(&new_p[0], "CL002", Some((Complexity::Polynomial, Some(3))))];
        let cmp = compare(&version(&old_p, &[]), &version(&new_p, &new_f));
        assert_eq!((cmp.added, cmp.modified, cmp.unchanged), (0, 1, 0));
        assert_eq!(cmp.findings.len(), 1);
        let f = &cmp.findings[0];
        assert!(f.message.starts_with("this change makes rule 942100 go from linear to O(n³)"), "{}", f.message);
        let change = f.change.as_ref().expect("change set");
        assert_eq!(change.change, ChangeKind::Modified);
        assert_eq!(change.before, Some(Before { complexity: Complexity::Linear, degree: None }));
    }

    #[test]
    fn same_or_lower_complexity_is_not_reported() {
        let old_p = [pat("k", None, "(a+)+$")];
        let new_p = [pat("k", None, "(a+)+x$")];
        let old_f = [on(&old_p[0], "CL001", Some((Complexity::Exponential, None)))];
        let new_f = [on(&new_p[0], "CL001", Some((Complexity::Exponential, None)))];
        let cmp = compare(&version(&old_p, &old_f), &version(&new_p, &new_f));
        assert!(cmp.findings.is_empty(), "{:?}", cmp.findings);
        // Exponential to cubic: not worse, even though CL002 is a new code;
        // reported as an improvement note.
        let new_f = [on(&new_p[0], "CL002", Some((Complexity::Polynomial, Some(3))))];
        let cmp = compare(&version(&old_p, &old_f), &version(&new_p, &new_f));
        assert_eq!(cmp.findings.len(), 1);
        assert_eq!(cmp.findings[0].severity, Severity::Note);
        assert_eq!(cmp.findings[0].message, "this change makes `k` go from O(2ⁿ) to O(n³)");
    }

    #[test]
    fn fixing_a_regex_is_a_note() {
        let old_p = [pat("rules[0].pattern", Some("942100"), ".*.*=.*")];
        let new_p = [pat("rules[0].pattern", Some("942100"), "[^=]*=.*")];
        let old_f = [on(&old_p[0], "CL002", Some((Complexity::Polynomial, Some(3))))];
        let cmp = compare(&version(&old_p, &old_f), &version(&new_p, &[]));
        assert_eq!(cmp.findings.len(), 1);
        let note = &cmp.findings[0];
        assert_eq!((note.severity, note.code.as_str()), (Severity::Note, "CL002"));
        assert_eq!(note.message, "this change makes rule 942100 go from O(n³) to linear");
        assert!(note.is_improvement(), "an improvement never fails a run");
        assert_eq!(
            note.change.as_ref().and_then(|c| c.before.clone()),
            Some(Before { complexity: Complexity::Polynomial, degree: Some(3) })
        );
    }

    #[test]
    fn new_codes_on_modified_regexes_are_reported_old_ones_are_not() {
        let old_p = [pat("k", None, ".*a")];
        let new_p = [pat("k", None, ".*a(")];
        let old_f = [on(&old_p[0], "CL003", None)];
        let new_f = [on(&new_p[0], "CL003", None), on(&new_p[0], "CL004", None)];
        let cmp = compare(&version(&old_p, &old_f), &version(&new_p, &new_f));
        let codes: Vec<&str> = cmp.findings.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(codes, ["CL004"]);
    }

    #[test]
    fn unchanged_regexes_are_never_reported_added_ones_always() {
        let old_p = [pat("a[0]", None, "(a+)+$")];
        let new_p = [pat("a[0]", None, "(a+)+$"), pat("a[1]", None, "(b+)+$")];
        let old_f = [on(&old_p[0], "CL001", Some((Complexity::Exponential, None)))];
        let new_f = [
            on(&new_p[0], "CL001", Some((Complexity::Exponential, None))),
            on(&new_p[1], "CL001", Some((Complexity::Exponential, None))),
        ];
        let cmp = compare(&version(&old_p, &old_f), &version(&new_p, &new_f));
        assert_eq!(cmp.findings.len(), 1);
        assert_eq!(cmp.findings[0].key.as_deref(), Some("a[1]"));
        assert_eq!(cmp.findings[0].change, Some(Change { change: ChangeKind::Added, before: None }));
        assert_eq!((cmp.added, cmp.unchanged, cmp.removed), (1, 1, 0));
    }

    #[test]
    fn file_level_findings_are_reported_when_new() {
        let parse_error = |path: &str| {
            Finding::new("CL100", "config-parse-error", Severity::Error, path, "", None, format!("{path}: bad"))
        };
        let old = [parse_error("old.yaml")];
        let new = [parse_error("new.yaml")];
        let old_v = Version { path: "old.yaml", text: "", patterns: &[], findings: &old };
        let new_v = Version { path: "new.yaml", text: "", patterns: &[], findings: &new };
        assert!(compare(&old_v, &new_v).findings.is_empty(), "a rename alone reports nothing");
        let none = Version { path: "old.yaml", text: "", patterns: &[], findings: &[] };
        assert_eq!(compare(&none, &new_v).findings.len(), 1, "a file that becomes invalid is reported");
    }
}
