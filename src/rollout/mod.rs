//! Staged rollouts: config rolled out like code.
//!
//! Pipeline position: on top of [`crate::diff`]. [`plan`] reads the change
//! between two commits, lints it (through `diff`, so only what the change
//! introduced counts), hashes both versions of every changed file, orders
//! dependent changes in waves ([`waves`]), rates each change's risk from
//! findings and bench figures ([`risk`]), picks stages from the policy in
//! cfglint.toml ([`policy`]) and writes the [`Manifest`]. [`gate`] decides
//! one stage from observed metrics ([`metrics`]); [`Manifest::invert`] is
//! the rollback.
//!
//! - [`manifest`]: the schema `cfglint/rollout/v1`, TOML in and out,
//!   hashes, verification against a work tree, atomic writes.
//! - [`links`]: what a file defines and refers to (rule ids, markers,
//!   includes, paths).
//! - [`argo`]: the stages as Argo Rollouts canary steps.
//!
//! Guarantees: the same commits, configuration and inputs give a
//! byte-identical manifest (sorted changes, stable key order, no
//! timestamps; who and why only when given). Lint is never skipped, not
//! even with `--emergency`: a change with an error finding is `blocked`
//! unless an override names it with a reason, which the manifest records.
//! Bad input (an unknown stage, malformed metrics, a manifest that does
//! not match the work tree, an unknown schema) is an [`Error`], never a
//! silent promote.

pub mod argo;
pub mod bench;
pub mod command;
pub mod gate;
pub mod links;
pub mod manifest;
pub mod metrics;
pub mod policy;
pub mod prometheus;
pub mod risk;
pub mod run;
pub mod state;
pub mod tree;
pub mod waves;
pub mod xref;

use std::collections::{BTreeMap, BTreeSet};

use crate::diff;
use crate::finding::Finding;
use crate::git::{self, Head, ObjectId, Repository, Status};
use crate::lint::LintOptions;
use crate::lint::cache::ResultCache;
use crate::report::Sources;
use crate::source;

pub use bench::BenchReport;
pub use gate::{Decision, Verdict, decide};
pub use manifest::{Attribution, Change, ChangeStatus, Manifest, Mismatch, Risk, SCHEMA, Side, Stage};
pub use metrics::Observed;
pub use policy::Policy;

/// Why a rollout, gate or rollback could not be computed. Each is exit
/// code 2.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[non_exhaustive]
pub enum Error {
    /// Reading the change from git failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Diff(#[from] diff::Error),
    /// Reading the repository failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Git(#[from] git::Error),
    /// cfglint.toml's `[rollout]` or `[[order]]` is invalid.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Config(#[from] crate::config::Error),
    /// The changes depend on each other in a circle.
    #[error("dependency cycle between changed files: {cycle}")]
    #[diagnostic(
        code(cfglint::rollout::cycle),
        help("{edges}\nbreak the cycle: split the change, or fix the [[order]] constraints in cfglint.toml")
    )]
    Cycle {
        /// The paths in order, `a → b → a`.
        cycle: String,
        /// Why each step exists, one per line.
        edges: String,
    },
    /// The head is not a commit or tree.
    #[error("the head `{rev}` does not name a commit")]
    #[diagnostic(code(cfglint::rollout::head))]
    HeadNotCommit {
        /// The revision as given.
        rev: String,
    },
    /// `--override` names a file the change does not touch.
    #[error("--override {path}: not a file this change touches")]
    #[diagnostic(code(cfglint::rollout::override_unknown), help("changed files: {changed}"))]
    OverrideUnknownPath {
        /// The path given.
        path: String,
        /// The changed paths.
        changed: String,
    },
    /// `--override` names a change that is not blocked.
    #[error("--override {path}: the change is not blocked (risk {risk}), so there is nothing to override")]
    #[diagnostic(code(cfglint::rollout::override_not_blocked))]
    OverrideNotBlocked {
        /// The path given.
        path: String,
        /// Its risk.
        risk: Risk,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    #[diagnostic(code(cfglint::rollout::io))]
    Io {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A changed file is too large to hash.
    #[error("{path}: {size} bytes at {side}, over the {limit}-byte cap for hashing")]
    #[diagnostic(code(cfglint::rollout::too_large))]
    TooLarge {
        /// The file.
        path: String,
        /// `base` or `head`.
        side: &'static str,
        /// Its size.
        size: u64,
        /// The cap.
        limit: u64,
    },
    /// A manifest that does not parse or holds invalid values.
    #[error("invalid manifest: {message}")]
    #[diagnostic(code(cfglint::rollout::manifest))]
    Manifest {
        /// What is wrong.
        message: String,
        /// The manifest text.
        #[source_code]
        src: miette::NamedSource<String>,
        /// Where.
        #[label("here")]
        span: Option<miette::SourceSpan>,
    },
    /// A manifest of another schema.
    #[error("unknown manifest schema `{found}`: this cfglint reads `cfglint/rollout/v1`")]
    #[diagnostic(
        code(cfglint::rollout::schema),
        help("use the cfglint version that wrote the manifest, or write it again with `cfglint rollout`")
    )]
    UnknownSchema {
        /// The schema found.
        found: String,
        /// The manifest text.
        #[source_code]
        src: miette::NamedSource<String>,
        /// Where.
        #[label("this schema")]
        span: Option<miette::SourceSpan>,
    },
    /// The work tree does not hold what the manifest says.
    #[error("the work tree at {root} does not match the manifest's {side} side:\n{list}")]
    #[diagnostic(code(cfglint::rollout::hash_mismatch), help("{hint}"))]
    HashMismatch {
        /// What to do about it (depends on the command).
        hint: &'static str,
        /// The work tree.
        root: String,
        /// `head` or `base`.
        side: &'static str,
        /// One mismatch per line.
        list: String,
        /// The mismatches.
        mismatches: Vec<Mismatch>,
    },
    /// A metrics file that cannot be read as metrics.
    #[error("{path}: malformed metrics: {message}")]
    #[diagnostic(
        code(cfglint::rollout::metrics),
        help(
            "expected {{\"elapsed_seconds\": N, \"samples\": N, \"metrics\": {{\"name\": number}}, \"baseline\": {{\"name\": number}}}} (baseline optional) or a Prometheus instant-query result"
        )
    )]
    Metrics {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// Metrics without the bake time or sample count.
    #[error("partial metrics: {missing} missing")]
    #[diagnostic(
        code(cfglint::rollout::partial_metrics),
        help(
            "give them in the metrics JSON, as Prometheus series of those names, or with --elapsed-seconds / --samples"
        )
    )]
    PartialMetrics {
        /// What is missing.
        missing: String,
    },
    /// A stage the manifest does not have.
    #[error("unknown stage `{stage}`")]
    #[diagnostic(code(cfglint::rollout::unknown_stage), help("the manifest's stages: {known}"))]
    UnknownStage {
        /// The stage asked for.
        stage: String,
        /// The stages there are.
        known: String,
    },
    /// A blocked manifest has no stage to gate.
    #[error("the manifest is blocked and has no stages (blocked: {paths})")]
    #[diagnostic(
        code(cfglint::rollout::blocked),
        help("fix what the blocked changes' reasons name, or regenerate with --override PATH --reason \"…\"")
    )]
    Blocked {
        /// The blocked changes.
        paths: String,
    },
    /// A value no metric of that kind can take (negative, not finite, a
    /// share above 1).
    #[error("bad data: {message}")]
    #[diagnostic(
        code(cfglint::rollout::bad_data),
        help("fix the query or the exporter; a value like this never promotes a stage")
    )]
    BadData {
        /// Every bad value, `; `-separated.
        message: String,
    },
    /// `cfglint rollout run` cannot go on (a pinned manifest that changed,
    /// an unreachable rollback revision, a bad state file, …).
    #[error("rollout run: {message}")]
    #[diagnostic(code(cfglint::rollout::run))]
    Run {
        /// What is wrong.
        message: String,
    },
    /// A revision the command needs is not in the clone.
    #[error("the {role} {rev} is not in this clone{shallow}: {message}")]
    #[diagnostic(
        code(cfglint::rollout::unreachable),
        help(
            "fetch it first (`git fetch --unshallow`, or `git fetch origin {rev}`); a rollback that cannot read its revision cannot run"
        )
    )]
    Unreachable {
        /// The revision.
        rev: String,
        /// What it is for: `rollback revision`, `head`, `base`.
        role: &'static str,
        /// ` (this is a shallow clone)` or nothing.
        shallow: &'static str,
        /// git's reason.
        message: String,
    },
    /// Uncommitted work in the change's scope: the manifest would not
    /// describe the tree being deployed.
    #[error("uncommitted work in the change's scope; the manifest would describe {head}, not this work tree:\n{list}")]
    #[diagnostic(
        code(cfglint::rollout::dirty),
        help(
            "commit or stash it (or add it to .gitignore), or pass --allow-dirty to plan the committed change anyway"
        )
    )]
    Dirty {
        /// The head revision.
        head: String,
        /// One `path: what` per line.
        list: String,
    },
    /// Base and head hold the same files.
    #[error("nothing to roll out: {base} and {head} hold the same files, so there is no plan")]
    #[diagnostic(
        code(cfglint::rollout::empty),
        help(
            "check --base and --head (by default: the merge base with the default branch, or HEAD's parent, and HEAD)"
        )
    )]
    Empty {
        /// The base revision.
        base: String,
        /// The head revision.
        head: String,
    },
    /// A bench JSON file that cannot be read.
    #[error("{path}: bench results: {message}")]
    #[diagnostic(code(cfglint::rollout::bench))]
    Bench {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// What to plan.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The base revision (`None`: as `cfglint diff` picks it).
    pub base: Option<String>,
    /// The head revision (`None`: `HEAD`).
    pub head: Option<String>,
    /// Bench figures to fold into risk.
    pub bench: Option<BenchReport>,
    /// An emergency rollout: who and why.
    pub emergency: Option<Attribution>,
    /// Blocked changes accepted anyway, by path: who and why.
    pub overrides: BTreeMap<String, Attribution>,
    /// Plan even when the head is checked out with uncommitted work in
    /// the change's scope (see [`tree::dirty_in_scope`]).
    pub allow_dirty: bool,
}

/// A planned rollout.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The manifest.
    pub manifest: Manifest,
    /// Changes still blocked (no override).
    pub blocked: Vec<String>,
    /// The findings the change introduced, sorted.
    pub findings: Vec<Finding>,
    /// Texts of linted files, for rendering findings.
    pub sources: Sources,
    /// What the plan wants the reader to know (a missing setting, a
    /// default gate that could not be added), one sentence each.
    pub notes: Vec<String>,
}

/// Largest blob hashed.
pub const MAX_BLOB_BYTES: u64 = manifest::MAX_HASHED_BYTES;

/// Read a blob for hashing.
fn read_blob(repo: &Repository, id: ObjectId, path: &str, side: &'static str) -> Result<Vec<u8>, Error> {
    match git::read_blob(repo, id, MAX_BLOB_BYTES)? {
        git::Blob::Bytes(b) => Ok(b),
        git::Blob::TooLarge(size) => Err(Error::TooLarge { path: path.to_owned(), side, size, limit: MAX_BLOB_BYTES }),
    }
}

/// One side of a changed file.
struct Version {
    hash: String,
    links: links::Links,
}

fn version(bytes: &[u8], path: &str, mode: u32, opts: &LintOptions) -> Version {
    // A symbolic link's blob is its target, not config text.
    let links = if mode != 0o120_000 && bytes.len() as u64 <= opts.max_file_size {
        links::of(path, bytes, &opts.extract)
    } else {
        links::Links::default()
    };
    Version { hash: manifest::sha256(bytes), links }
}

/// A change before risk and waves.
struct Draft {
    node: waves::Node,
    before: Option<String>,
    after: Option<String>,
    renamed_from: Option<String>,
    renamed_to: Option<String>,
    note: Option<String>,
    before_mode: Option<String>,
    after_mode: Option<String>,
}

/// Is `head_id` the commit checked out in a work tree?
fn checked_out(repo: &Repository, head_id: &str) -> bool {
    repo.workdir().is_some() && git::head_commit(repo).is_some_and(|c| c.to_string() == head_id)
}

/// What the files the change does not touch still use of what it removes
/// (see [`xref`]), per node. Reads the head tree only when the change
/// removes something, and parses only the files that mention it.
fn unchanged_problems(
    repo: &Repository,
    head_tree: Option<git::ObjectId>,
    nodes: &[waves::Node],
    opts: &LintOptions,
) -> Result<Vec<Vec<(Risk, String)>>, Error> {
    let removed = xref::Removed::of(nodes);
    let Some(tree) = head_tree.filter(|_| !removed.is_empty()) else { return Ok(vec![Vec::new(); nodes.len()]) };
    let changed: BTreeSet<&str> = nodes.iter().map(|n| n.path.as_str()).collect();
    let needles = removed.needles();
    let files = git::tree_files(repo, tree)?;
    let mut unchanged = Vec::new();
    for f in &files {
        if changed.contains(f.path.as_str()) {
            continue;
        }
        // Files over the lint size cap are not config cfglint reads.
        if let git::Blob::Bytes(bytes) = git::read_blob(repo, f.blob, opts.max_file_size)?
            && needles.found_in(&bytes)
        {
            unchanged.push(xref::Unchanged { path: f.path.clone(), bytes });
        }
    }
    let head_paths: Vec<String> = files.into_iter().map(|f| f.path).collect();
    Ok(xref::problems(nodes, &removed, &unchanged, &head_paths, &opts.extract))
}

/// Plan the rollout of the change between two commits.
pub fn plan(
    repo: &Repository,
    req: &Request,
    policy: &Policy,
    opts: &LintOptions,
    cache: Option<&ResultCache>,
) -> Result<Plan, Error> {
    let dreq = diff::Request { base: req.base.clone(), head: req.head.clone(), staged: false };
    let (base, head) = diff::resolve(repo, &dreq)?;
    let head_label = req.head.clone().unwrap_or_else(|| "HEAD".to_owned());
    let head_id = match &head {
        Head::Tree(r) => r.commit.or(r.tree).map(|id| id.to_string()),
        Head::Index => None,
    }
    .ok_or(Error::HeadNotCommit { rev: head_label })?;
    let base_id = base.commit.or(base.tree).map_or_else(|| manifest::EMPTY_TREE.to_owned(), |id| id.to_string());

    let changed = git::changed_entries(repo, &base, &head)?;
    if changed.is_empty() {
        return Err(Error::Empty {
            base: manifest::short(&base_id).to_owned(),
            head: manifest::short(&head_id).to_owned(),
        });
    }
    if !req.allow_dirty && checked_out(repo, &head_id) {
        let paths: BTreeSet<String> = changed
            .iter()
            .flat_map(|c| [c.old_path.as_deref(), c.new_path.as_deref()])
            .flatten()
            .map(source::display_path)
            .collect();
        let dirty = tree::dirty_in_scope(repo, &paths)?;
        if !dirty.is_empty() {
            return Err(Error::Dirty {
                head: manifest::short(&head_id).to_owned(),
                list: dirty.iter().map(|d| format!("  {d}")).collect::<Vec<_>>().join("\n"),
            });
        }
    }
    let report = diff::run(repo, &dreq, opts, cache)?;
    let excludes = diff::excludes(opts)?;

    let mut drafts = Vec::new();
    for c in &changed {
        let old_path = c.old_path.as_deref().map(source::display_path);
        let new_path = c.new_path.as_deref().map(source::display_path);
        let old = match (&old_path, c.old_blob) {
            (Some(p), Some(b)) => Some(version(&read_blob(repo, b, p, "base")?, p, c.old_mode, opts)),
            _ => None,
        };
        let new = match (&new_path, c.new_blob) {
            (Some(p), Some(b)) => Some(version(&read_blob(repo, b, p, "head")?, p, c.new_mode, opts)),
            _ => None,
        };
        let node =
            |path: &str, status, base: Option<&Version>, head: Option<&Version>, prior: Option<&Version>| waves::Node {
                path: path.to_owned(),
                status,
                head: head.map(|v| v.links.clone()),
                base: base.map(|v| v.links.clone()),
                prior: prior.map(|v| v.links.clone()),
            };
        let (old_mode, new_mode) = (c.old_mode, c.new_mode);
        let draft = |node, before: Option<&Version>, after: Option<&Version>| Draft {
            node,
            before: before.map(|v| v.hash.clone()),
            after: after.map(|v| v.hash.clone()),
            before_mode: before.and_then(|_| manifest::mode_key(old_mode)),
            after_mode: after.and_then(|_| manifest::mode_key(new_mode)),
            renamed_from: None,
            renamed_to: None,
            note: None,
        };
        match (c.status, &old_path, &new_path, &old, &new) {
            (Status::Added, _, Some(np), _, Some(n)) => {
                drafts.push(draft(node(np, ChangeStatus::Added, None, Some(n), None), None, Some(n)));
            }
            (Status::Copied, Some(op), Some(np), o, Some(n)) => {
                let mut d = draft(node(np, ChangeStatus::Added, None, Some(n), o.as_ref()), None, Some(n));
                d.note = Some(format!("copied from {op}"));
                drafts.push(d);
            }
            (Status::Modified, _, Some(np), Some(o), Some(n)) => {
                drafts.push(draft(node(np, ChangeStatus::Modified, Some(o), Some(n), None), Some(o), Some(n)));
            }
            (Status::Deleted, Some(op), _, Some(o), _) => {
                drafts.push(draft(node(op, ChangeStatus::Deleted, Some(o), None, None), Some(o), None));
            }
            (Status::Renamed, Some(op), Some(np), Some(o), Some(n)) => {
                // Expand, then contract: the new path first, the old one
                // removed last.
                let mut added = draft(node(np, ChangeStatus::Added, None, Some(n), Some(o)), None, Some(n));
                added.renamed_from = Some(op.clone());
                let mut deleted = draft(node(op, ChangeStatus::Deleted, Some(o), None, None), Some(o), None);
                deleted.renamed_to = Some(np.clone());
                drafts.push(added);
                drafts.push(deleted);
            }
            // `changed_files` only reports regular files on the sides that
            // exist; anything else has nothing to hash.
            _ => {}
        }
    }
    drafts.sort_by(|a, b| (&a.node.path, a.node.status).cmp(&(&b.node.path, b.node.status)));

    let nodes: Vec<waves::Node> = drafts.iter().map(|d| d.node.clone()).collect();
    let ordering = waves::order(&nodes, &policy.order)
        .map_err(|c| Error::Cycle { cycle: c.paths.join(" → "), edges: c.edges.join("\n") })?;
    let head_tree = match &head {
        Head::Tree(r) => r.tree,
        Head::Index => None,
    };
    let mut problems = ordering.problems.clone();
    for (mine, theirs) in problems.iter_mut().zip(unchanged_problems(repo, head_tree, &nodes, opts)?) {
        mine.extend(theirs);
    }

    let mut by_file: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        by_file.entry(f.file.as_str()).or_default().push(f);
    }
    let linted: BTreeMap<&str, &diff::FileChange> = report.files.iter().map(|f| (f.path.as_str(), f)).collect();

    // Rules defined by some changed file at head: a rule that leaves one
    // file for another is moved, not removed.
    let at_head: BTreeSet<&links::Symbol> =
        drafts.iter().filter_map(|d| d.node.head.as_ref()).flat_map(|l| l.defines.iter()).collect();
    let mut changes = Vec::new();
    for (i, d) in drafts.iter().enumerate() {
        let removed_rules: Vec<(String, Option<String>)> = d
            .node
            .base
            .as_ref()
            .map(|base| {
                base.defines
                    .iter()
                    .filter(|s| !at_head.contains(s))
                    .filter_map(|s| match s {
                        links::Symbol::Rule(id) => Some((id.clone(), base.actions.get(id).cloned())),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let has_head = d.node.status != ChangeStatus::Deleted;
        let path = d.node.path.as_str();
        let facts = risk::Facts {
            node: &d.node,
            findings: if has_head { by_file.get(path).cloned().unwrap_or_default() } else { Vec::new() },
            linted: if has_head { linted.get(path).copied() } else { None },
            excluded: has_head && !linted.contains_key(path) && excludes.excludes(std::path::Path::new(path)),
            bench: match (&req.bench, has_head) {
                (Some(b), true) => b.rules_for(path).collect(),
                _ => Vec::new(),
            },
            problems: &problems[i],
            removed_rules,
        };
        let (risk, mut reasons) = risk::assess(&facts);
        if let Some(from) = &d.renamed_from {
            reasons.push(format!("renamed from {from} (the old path is removed in a later wave)"));
        }
        if let Some(to) = &d.renamed_to {
            reasons.push(format!("renamed to {to} (removed after the new path is in place)"));
        }
        if let Some(note) = &d.note {
            reasons.push(note.clone());
        }
        if d.before_mode != d.after_mode && d.before.is_some() && d.after.is_some() {
            let word = |m: &Option<String>| match m.as_deref() {
                Some(manifest::MODE_SYMLINK) => "a symbolic link",
                Some(manifest::MODE_EXECUTABLE) => "executable",
                _ => "an ordinary file",
            };
            reasons.push(format!("mode changes: {} → {}", word(&d.before_mode), word(&d.after_mode)));
        } else if d.after_mode.as_deref() == Some(manifest::MODE_SYMLINK) && d.before.is_some() {
            reasons.push("symbolic link changes target".to_owned());
        }
        changes.push(Change {
            path: d.node.path.clone(),
            status: d.node.status,
            renamed_from: d.renamed_from.clone(),
            renamed_to: d.renamed_to.clone(),
            before: d.before.clone(),
            after: d.after.clone(),
            before_mode: d.before_mode.clone(),
            after_mode: d.after_mode.clone(),
            risk,
            reasons,
            wave: ordering.waves[i],
            depends_on: ordering.depends_on[i].clone(),
            override_: None,
        });
    }

    for (path, who) in &req.overrides {
        let path = path.strip_prefix("./").unwrap_or(path);
        let targets: Vec<&mut Change> = changes.iter_mut().filter(|c| c.path == path).collect();
        if targets.is_empty() {
            let known: BTreeSet<&str> = drafts.iter().map(|d| d.node.path.as_str()).collect();
            return Err(Error::OverrideUnknownPath {
                path: path.to_owned(),
                changed: known.into_iter().collect::<Vec<_>>().join(", "),
            });
        }
        let mut applied = false;
        let mut risk = Risk::Low;
        for c in targets {
            risk = risk.max(c.risk);
            if c.risk == Risk::Blocked {
                c.risk = Risk::High;
                c.reasons.push(format!("override: {} (by {})", who.reason, who.by));
                c.override_ = Some(who.clone());
                applied = true;
            }
        }
        if !applied {
            return Err(Error::OverrideNotBlocked { path: path.to_owned(), risk });
        }
    }

    changes.sort_by(|a, b| (a.wave, &a.path, a.status).cmp(&(b.wave, &b.path, b.status)));
    let risk = changes.iter().map(|c| c.risk).max().unwrap_or(Risk::Low);
    let blocked: Vec<String> = changes.iter().filter(|c| c.risk == Risk::Blocked).map(|c| c.path.clone()).collect();
    let emergency = req.emergency.is_some();
    // An emergency skips the rehearsal: rolling back would bring back the
    // problem the emergency change fixes.
    let touches_regexes = report.files.iter().any(|f| f.added + f.modified > 0);
    let (stages, notes) = policy.plan_stages(risk, emergency, !emergency, touches_regexes);
    // (path, exists at base, exists at head); a path can be both the
    // deleted half of one rename and the added half of another.
    let mut sides: BTreeMap<&str, (bool, bool)> = BTreeMap::new();
    for c in &changes {
        let e = sides.entry(c.path.as_str()).or_default();
        e.0 |= c.before.is_some();
        e.1 |= c.after.is_some();
    }
    let paths: Vec<(String, bool, bool)> = sides.into_iter().map(|(p, (b, h))| (p.to_owned(), b, h)).collect();
    let (command, forward_command) = policy.commands(&base_id, &head_id, &paths);
    let rollback = manifest::Rollback {
        revision: base_id.clone(),
        command,
        forward_revision: head_id.clone(),
        forward_command,
        rehearse_in_stage: stages.iter().find(|s| s.rehearse_rollback).map(|s| s.name.clone()),
    };
    let manifest = Manifest {
        schema: SCHEMA.to_owned(),
        base: base_id,
        head: head_id,
        risk,
        waves: changes.iter().map(|c| c.wave).max().unwrap_or(0),
        emergency: req.emergency.clone(),
        inverts: None,
        changes,
        stages,
        rollback,
        prometheus: policy.prometheus.clone(),
        run: policy.run.clone(),
    };
    Ok(Plan { manifest, blocked, findings: report.findings, sources: report.sources, notes })
}
