//! The `cfglint` command: parse arguments, run, pick the exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match cfglint::cli::run(&mut out) {
        Ok(status) => status.into(),
        Err(report) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("{report:?}");
            }
            cfglint::cli::ExitStatus::Error.into()
        }
    }
}
