//! `cfglint rollout run|status|abort`: the canary controller's commands.
//! `run` exits 0 when every stage promoted, 3 when it rolled back (the
//! tree is at base), 2 on errors (never a promote). `status` prints the
//! state file; `abort` rolls back now and exits 3.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use miette::{IntoDiagnostic, Result, WrapErr};

use crate::cli::args::{DataFormat, RolloutAction};
use crate::cli::commands::gate::{load_manifest, open_repo};
use crate::cli::{ExitStatus, write_out};
use crate::rollout::run::{self, Options, Outcome};
use crate::rollout::state::{State, now};

/// The default state file: beside the manifest.
fn default_state(manifest: &Path) -> PathBuf {
    manifest.parent().unwrap_or_else(|| Path::new(".")).join(".cfglint-rollout.json")
}

/// Run one of the subcommands.
pub fn run(action: &RolloutAction, out: &mut dyn Write) -> Result<ExitStatus> {
    match action {
        RolloutAction::Run(a) => {
            let cwd = std::env::current_dir().into_diagnostic().wrap_err("cannot read the working directory")?;
            let (manifest, bytes) = load_manifest(&a.manifest)?;
            let root = open_repo(a.repo.as_deref(), &cwd, "")?
                .workdir()
                .map(Path::to_path_buf)
                .expect("open_repo checks for a work tree");
            let abs = |p: &Path| if p.is_absolute() { p.to_path_buf() } else { cwd.join(p) };
            let opts = Options {
                manifest_path: abs(&a.manifest),
                manifest_bytes: bytes,
                deploy: a.deploy.clone(),
                prometheus: a.prometheus.clone(),
                state: abs(&a.state.clone().unwrap_or_else(|| default_state(&a.manifest))),
                log: a.log.as_deref().map(abs),
                work_tree: root,
                notify: a.notify.clone(),
            };
            let outcome = run::run(&manifest, &opts)?;
            finish(&outcome, out)
        }
        RolloutAction::Status(a) => {
            let st = State::load(&a.state)?.ok_or_else(|| miette::miette!("no state file at {}", a.state.display()))?;
            let text = if a.format.format == DataFormat::Json {
                let mut s = serde_json::to_string_pretty(&st).expect("a state serializes: plain data");
                s.push('\n');
                s
            } else {
                let mut s = String::new();
                let _ = writeln!(s, "rollout of {} ({}): {}", st.manifest, st.work_tree, st.status.as_str());
                let _ = writeln!(s, "  stage: {} (#{}), deployed: {}", st.stage_name, st.stage + 1, st.deployed);
                if let Some(t) = st.stage_started_at {
                    let _ = writeln!(s, "  baking for {:.0}s", (now() - t).max(0.0));
                }
                if let Some(d) = &st.last_decision {
                    let _ = writeln!(s, "  last decision: {d}");
                }
                if let Some(r) = &st.reason {
                    let _ = writeln!(s, "  reason: {r}");
                }
                s
            };
            write_out(out, &text)?;
            Ok(ExitStatus::Success)
        }
        RolloutAction::Abort(a) => {
            let reason = crate::cli::commands::rollout::reason(Some(&a.reason), "abort")?;
            let st = State::load(&a.state)?.ok_or_else(|| miette::miette!("no state file at {}", a.state.display()))?;
            let (manifest, bytes) = load_manifest(Path::new(&st.manifest))?;
            let opts = Options {
                manifest_path: PathBuf::from(&st.manifest),
                manifest_bytes: bytes,
                deploy: st.deploy.clone(),
                prometheus: Some(st.prometheus.clone()),
                state: a.state.clone(),
                log: st.log.as_deref().map(PathBuf::from),
                work_tree: PathBuf::from(&st.work_tree),
                notify: None,
            };
            let outcome = run::abort(&manifest, &opts, &reason)?;
            finish(&outcome, out)
        }
    }
}

fn finish(outcome: &Outcome, out: &mut dyn Write) -> Result<ExitStatus> {
    match outcome {
        Outcome::Complete => {
            write_out(out, "cfglint rollout run: every stage promoted; the rollout is complete\n")?;
            Ok(ExitStatus::Success)
        }
        Outcome::RolledBack { reason } => {
            write_out(out, &format!("cfglint rollout run: ROLLED BACK to base: {reason}\n"))?;
            Ok(ExitStatus::Rollback)
        }
    }
}
