//! `cfglint rollback --manifest FILE [-o FILE]`: print or write the
//! inverse manifest (base and head swapped, additions and removals
//! swapped, waves reversed, compressed emergency stages, who and why
//! recorded). `--verify` instead checks that the work tree is back at the
//! manifest's base after the rollback command ran (exit 0, or 2 naming
//! every file that differs).

use std::fmt::Write as _;
use std::io::Write;

use miette::Result;

use crate::cli::args::RollbackArgs;
use crate::cli::commands::gate::{load_manifest, open_repo, verify};
use crate::cli::commands::rollout::actor;
use crate::cli::settings;
use crate::cli::{ExitStatus, write_out};
use crate::report::Format;
use crate::rollout::manifest::{self, Side, short};
use crate::rollout::{self, Attribution, Policy};

/// Run `rollback`.
pub fn run(args: &RollbackArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let settings = settings::resolve(&args.common())?;
    if !matches!(settings.format, Format::Human | Format::Json) {
        return Err(miette::miette!("--format: rollback writes human (TOML) or json"));
    }
    let (m, bytes) = load_manifest(&args.manifest)?;
    if args.verify {
        let repo = open_repo(args.repo.as_deref(), &settings.cwd, "")?;
        let mut skip = vec![args.manifest.clone()];
        skip.extend(settings.config.path.clone());
        let n = verify(
            &m,
            &repo,
            Side::Base,
            &skip,
            "run the manifest's rollback command (again), then verify again; commit, remove or .gitignore files that are not part of the base",
        )?;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "cfglint rollback: the work tree matches the base {} (all {n} changed files, and every other file)",
            short(&m.base)
        );
        write_out(out, &s)?;
        return Ok(ExitStatus::Success);
    }
    let policy = Policy::from_config(&settings.config).map_err(rollout::Error::from)?;
    let repo = crate::git::open(args.repo.as_deref().unwrap_or(&settings.cwd)).ok();
    if let Some(r) = &repo {
        // The inverse restores the base: it must be readable here.
        rollout::tree::require_rollback(r, &m)?;
    }
    let who = Attribution {
        reason: args
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map_or_else(|| format!("rollback of {}", short(&m.head)), str::to_owned),
        by: actor(args.actor.as_deref(), repo.as_ref()),
    };
    let inverse = m.invert(&bytes, policy.rollback_stages(), who);
    let text = match settings.format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&inverse).expect("a manifest serializes: plain data");
            s.push('\n');
            s
        }
        _ => inverse.to_toml(),
    };
    match &args.output {
        Some(path) => {
            manifest::write_atomic(path, text.as_bytes())?;
            let mut s = String::new();
            let _ = writeln!(s, "cfglint rollback: {} -> {}", short(&inverse.base), short(&inverse.head));
            let _ = writeln!(s, "restore now: {}", inverse.rollback.forward_command);
            let _ = writeln!(s, "wrote {}", path.display());
            write_out(out, &s)?;
        }
        None => write_out(out, &text)?,
    }
    Ok(ExitStatus::Success)
}
