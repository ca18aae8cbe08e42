//! `cfglint rollout [--base REV] [--head REV] [--bench FILE.json] [-o FILE]`:
//! write the staged-rollout manifest. Exit 0 when every change may roll
//! out, 1 when a change is blocked (an error finding, or a reference the
//! change breaks; the manifest is still written, with
//! no stages, so reviewers see why), 2 on errors.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use miette::Result;

use crate::cli::args::RolloutArgs;
use crate::cli::commands::diff::cache_for;
use crate::cli::settings;
use crate::cli::{ExitStatus, write_out};
use crate::git;
use crate::lint::cache::ResultCache;
use crate::report::Format;
use crate::rollout::manifest::{self, short};
use crate::rollout::{self, Attribution, BenchReport, Manifest, Plan, Policy, Request};

/// Who is acting: `--actor`, else `$GITHUB_ACTOR`, `$USER`, `$USERNAME`,
/// else git's `user.name`, else `unknown`.
pub fn actor(given: Option<&str>, repo: Option<&git::Repository>) -> String {
    if let Some(a) = given.map(str::trim).filter(|a| !a.is_empty()) {
        return a.to_owned();
    }
    for var in ["GITHUB_ACTOR", "USER", "USERNAME"] {
        if let Ok(v) = std::env::var(var)
            && !v.trim().is_empty()
        {
            return v.trim().to_owned();
        }
    }
    repo.and_then(git::user_name).filter(|n| !n.trim().is_empty()).unwrap_or_else(|| "unknown".to_owned())
}

/// A `--reason` that says something.
pub fn reason(given: Option<&str>, flag: &str) -> Result<String> {
    match given.map(str::trim) {
        Some(r) if !r.is_empty() => Ok(r.to_owned()),
        _ => Err(miette::miette!("{flag} needs a non-empty --reason \"…\" (it is recorded in the manifest)")),
    }
}

/// Run `rollout`.
pub fn run(args: &RolloutArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let settings = settings::resolve(&args.common())?;
    if !matches!(settings.format, Format::Human | Format::Json) {
        return Err(miette::miette!("--format: rollout writes human (TOML) or json"));
    }
    let policy = Policy::from_config(&settings.config).map_err(rollout::Error::from)?;
    let start = args.repo.clone().unwrap_or_else(|| settings.cwd.clone());
    let repo = git::open(&start)?;
    let _watchdog = super::diff::watch_git_reads();
    let who = actor(args.actor.as_deref(), Some(&repo));
    let emergency = if args.emergency {
        Some(Attribution { reason: reason(args.reason.as_deref(), "--emergency")?, by: who.clone() })
    } else {
        None
    };
    let mut overrides = BTreeMap::new();
    if !args.override_paths.is_empty() {
        let why = reason(args.reason.as_deref(), "--override")?;
        for p in &args.override_paths {
            overrides.insert(p.clone(), Attribution { reason: why.clone(), by: who.clone() });
        }
    }
    let bench = match &args.bench {
        None => None,
        Some(path) => {
            let text = crate::fsutil::read_regular_text(path, crate::fsutil::INPUT_CAP)
                .map_err(|e| rollout::Error::Io { path: path.display().to_string(), source: e.into_io() })?;
            Some(
                BenchReport::from_json(&text)
                    .map_err(|message| rollout::Error::Bench { path: path.display().to_string(), message })?,
            )
        }
    };
    let cache =
        if args.no_cache { None } else { cache_for(&settings, Some(ResultCache::dir_for_git_dir(repo.path()))) };
    let request = Request {
        base: args.base.clone(),
        head: args.head.clone(),
        bench,
        emergency,
        overrides,
        allow_dirty: args.allow_dirty,
    };
    let plan = rollout::plan(&repo, &request, &policy, &settings.lint, cache.as_ref())?;
    if let Some(c) = &cache {
        c.prune_if_due();
    }

    let manifest_text = match settings.format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&plan.manifest).expect("a manifest serializes: plain data");
            s.push('\n');
            s
        }
        _ => plan.manifest.to_toml(),
    };
    if let Some(path) = &args.argo {
        manifest::write_atomic(path, rollout::argo::steps_yaml(&plan.manifest).as_bytes())?;
    }
    let summary = summary(&plan, args.output.as_deref(), args.argo.as_deref());
    if let Some(path) = &args.output {
        manifest::write_atomic(path, manifest_text.as_bytes())?;
        write_out(out, &summary)?;
    } else {
        write_out(out, &manifest_text)?;
        // Keep stdout a clean manifest; the summary goes to stderr.
        let _ = std::io::stderr().write_all(summary.as_bytes());
    }
    Ok(if plan.blocked.is_empty() { ExitStatus::Success } else { ExitStatus::Failure })
}

fn duration(seconds: u64) -> String {
    match seconds {
        0 => "no bake".to_owned(),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// The human summary of a plan.
fn summary(plan: &Plan, output: Option<&Path>, argo: Option<&Path>) -> String {
    let m: &Manifest = &plan.manifest;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "cfglint rollout: {} -> {}: {} change{} in {} wave{}; risk {}",
        short(&m.base),
        short(&m.head),
        m.changes.len(),
        if m.changes.len() == 1 { "" } else { "s" },
        m.waves,
        if m.waves == 1 { "" } else { "s" },
        m.risk
    );
    if let Some(e) = &m.emergency {
        let _ = writeln!(s, "EMERGENCY by {}: {} (stages compressed; lint still enforced)", e.by, e.reason);
    }
    for c in &m.changes {
        let _ = writeln!(s, "  wave {:<3} {:<9} {:<8} {}", c.wave, c.status.as_str(), c.risk.as_str(), c.path);
        for r in &c.reasons {
            let _ = writeln!(s, "             {r}");
        }
    }
    if m.stages.is_empty() {
        let _ = writeln!(s, "stages: none (blocked)");
    } else {
        let stages: Vec<String> = m
            .stages
            .iter()
            .map(|st| {
                let rehearse = if st.rehearse_rollback { ", rehearse rollback" } else { "" };
                format!("{} {} ({}{rehearse})", st.name, st.traffic_percent, duration(st.min_bake_seconds))
            })
            .collect();
        let _ = writeln!(s, "stages: {}", stages.join(" → "));
    }
    let _ = writeln!(s, "rollback: {}", m.rollback.command);
    for n in &plan.notes {
        let _ = writeln!(s, "note: {n}");
    }
    if !plan.blocked.is_empty() {
        let _ = writeln!(
            s,
            "blocked: {}: fix what the reasons above name, or accept it with --override PATH --reason \"…\"",
            plan.blocked.join(", ")
        );
    }
    if let Some(p) = output {
        let _ = writeln!(s, "wrote {}", p.display());
    }
    if let Some(p) = argo {
        let _ = writeln!(s, "wrote Argo Rollouts steps to {}", p.display());
    }
    s
}
