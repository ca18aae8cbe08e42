//! `cfglint gate --manifest FILE --stage NAME --metrics FILE`: promote
//! (exit 0), hold (1) or roll back (3). Malformed or partial metrics, an
//! unknown stage or schema, or a work tree that does not match the
//! manifest's hashes: exit 2, never a promote.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use miette::Result;

use crate::cli::args::GateArgs;
use crate::cli::settings;
use crate::cli::{ExitStatus, write_out};
use crate::git::Repository;
use crate::report::Format;
use crate::rollout::manifest::Side;
use crate::rollout::{self, Decision, Manifest, Observed, metrics};

/// Read and parse a manifest file.
pub fn load_manifest(path: &Path) -> Result<(Manifest, Vec<u8>)> {
    let bytes = crate::fsutil::read_regular(path, crate::fsutil::INPUT_CAP)
        .map_err(|e| rollout::Error::Io { path: path.display().to_string(), source: e.into_io() })?;
    let text = String::from_utf8(bytes.clone()).map_err(|_| rollout::Error::Manifest {
        message: "the manifest is not UTF-8 text".to_owned(),
        src: miette::NamedSource::new(path.display().to_string(), String::new()),
        span: None,
    })?;
    Ok((Manifest::from_toml(&path.display().to_string(), &text)?, bytes))
}

/// The repository to verify against: `--repo`, else the repository
/// around `cwd`. `skip_hint` says how to do without it.
pub fn open_repo(repo: Option<&Path>, cwd: &Path, skip_hint: &str) -> Result<Repository> {
    let start = repo.unwrap_or(cwd);
    let r = crate::git::open(start).map_err(|e| {
        miette::miette!(
            help = format!("pass --repo PATH (a checkout of the manifest's revision){skip_hint}"),
            "cannot verify the work tree against the manifest: {e}"
        )
    })?;
    if r.workdir().is_none() {
        return Err(miette::miette!("the repository at {} has no work tree", start.display()));
    }
    Ok(r)
}

/// Fail with every mismatch when the work tree does not match `side` of
/// the manifest: the changed files' hashes and modes, then the whole tree
/// (tracked and untracked files that are not ignored) against that side's
/// revision. `skip`: cfglint's own input files, not part of the tree.
/// Returns the number of changed files checked.
pub fn verify(
    manifest: &Manifest,
    repo: &Repository,
    side: Side,
    skip: &[PathBuf],
    hint: &'static str,
) -> Result<usize> {
    let root = repo.workdir().expect("open_repo checks for a work tree");
    let (rev, role) = match side {
        Side::Base => (manifest.base.as_str(), "manifest's base"),
        Side::Head => (manifest.head.as_str(), "manifest's head"),
    };
    let mut mismatches = manifest.verify(root, side)?;
    let changed: BTreeSet<String> = mismatches.iter().map(|m| m.path.clone()).collect();
    mismatches.extend(rollout::tree::verify(repo, rev, role, skip)?.into_iter().filter(|m| !changed.contains(&m.path)));
    if mismatches.is_empty() {
        return Ok(manifest.changes.len());
    }
    mismatches.sort_by(|a, b| a.path.cmp(&b.path));
    let list = mismatches.iter().map(|m| format!("  {m}")).collect::<Vec<_>>().join("\n");
    Err(rollout::Error::HashMismatch {
        hint,
        root: root.display().to_string(),
        side: match side {
            Side::Base => "base",
            Side::Head => "head",
        },
        list,
        mismatches,
    }
    .into())
}

/// `NAME=FILE` or `FILE`.
fn split_named(arg: &str) -> (Option<&str>, &str) {
    if Path::new(arg).exists() {
        return (None, arg);
    }
    match arg.split_once('=') {
        Some((name, file))
            if !name.is_empty()
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
                && !name.as_bytes()[0].is_ascii_digit() =>
        {
            (Some(name), file)
        }
        _ => (None, arg),
    }
}

/// Read and merge the metrics sources, then apply the flags.
fn observed(args: &GateArgs) -> Result<Observed> {
    let mut all = Observed::default();
    for arg in &args.metrics {
        let (name, file) = split_named(arg);
        let text = crate::fsutil::read_regular_text(Path::new(file), crate::fsutil::INPUT_CAP)
            .map_err(|e| rollout::Error::Io { path: file.to_owned(), source: e.into_io() })?;
        let one = metrics::parse(&text, name)
            .map_err(|message| rollout::Error::Metrics { path: file.to_owned(), message })?;
        all.merge(one).map_err(|message| rollout::Error::Metrics { path: file.to_owned(), message })?;
    }
    for (flag, value, slot) in [
        ("--elapsed-seconds", args.elapsed_seconds, &mut all.elapsed_seconds),
        ("--samples", args.samples, &mut all.samples),
    ] {
        if let Some(v) = value {
            if !(v.is_finite() && v >= 0.0) {
                return Err(miette::miette!("{flag} must be a finite number ≥ 0"));
            }
            *slot = Some(v);
        }
    }
    Ok(all)
}

/// Run `gate`.
pub fn run(args: &GateArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let settings = settings::resolve(&args.common())?;
    if !matches!(settings.format, Format::Human | Format::Json) {
        return Err(miette::miette!("--format: gate writes human or json"));
    }
    let (manifest, bytes) = load_manifest(&args.manifest)?;
    if !args.no_verify {
        let repo = open_repo(args.repo.as_deref(), &settings.cwd, ", or --no-verify to skip the check")?;
        // No promote without a rollback that can run here.
        rollout::tree::require_rollback(&repo, &manifest)?;
        let mut skip = vec![args.manifest.clone()];
        skip.extend(args.metrics.iter().map(|a| PathBuf::from(split_named(a).1)));
        skip.extend(settings.config.path.clone());
        verify(
            &manifest,
            &repo,
            Side::Head,
            &skip,
            "check out the manifest's head (or apply it), commit, remove or .gitignore the other files, regenerate the manifest, or pass --no-verify",
        )?;
    }
    let mut seen = observed(args)?;
    if let Some(path) = &args.state {
        // The controller's clock, not the caller's: the bake time runs
        // from the stage's start recorded in the state file.
        let st =
            rollout::state::State::load(path)?.ok_or_else(|| miette::miette!("no state file at {}", path.display()))?;
        st.check_pin(&rollout::manifest::sha256(&bytes))?;
        if st.stage_name != args.stage {
            return Err(miette::miette!(
                "the state file {} is at stage `{}`, not `{}`",
                path.display(),
                st.stage_name,
                args.stage
            ));
        }
        seen.elapsed_seconds = Some(st.stage_started_at.map_or(0.0, |t| (rollout::state::now() - t).max(0.0)));
    }
    let verdict = rollout::decide(&manifest, &args.stage, &seen)?;
    let text = match settings.format {
        Format::Json => verdict.to_json(),
        _ => verdict.to_human(),
    };
    write_out(out, &text)?;
    Ok(match verdict.decision {
        Decision::Promote => ExitStatus::Success,
        Decision::Hold => ExitStatus::Failure,
        Decision::Rollback => ExitStatus::Rollback,
    })
}
