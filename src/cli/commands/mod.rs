//! One module per subcommand, each a `run(args, out) -> Result<ExitStatus>`.

pub mod bench;
pub mod check;
pub mod debug;
pub mod diff;
pub mod explain;
pub mod fix;
pub mod gate;
pub mod patterns;
pub mod regex;
pub mod rollback;
pub mod rollout;
pub mod rollout_run;
pub mod rules;
