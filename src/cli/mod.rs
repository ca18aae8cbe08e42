//! The command-line interface: parse arguments, build settings, run one
//! command, map the outcome to an exit code. Commands write to the writer
//! they are given; only `main.rs` touches the process.

pub mod args;
pub mod commands;
pub mod exit;
pub mod settings;

use std::io::Write;

use clap::Parser;

pub use exit::ExitStatus;

use args::{Cli, Command};

/// Parse `std::env::args` and run. Errors are returned for `main` to print.
pub fn run(out: &mut dyn Write) -> miette::Result<ExitStatus> {
    let cli = Cli::parse();
    dispatch(cli.command, out)
}

/// Run one parsed command.
pub fn dispatch(command: Command, out: &mut dyn Write) -> miette::Result<ExitStatus> {
    match command {
        Command::Check(a) => commands::check::run(&a, out),
        Command::Patterns(a) => commands::patterns::run(&a, out),
        Command::Explain(a) => commands::explain::run(&a, out),
        Command::Rules(a) => commands::rules::run(&a, out),
        Command::Regex(a) => commands::regex::run(&a, out),
        Command::Debug(a) => commands::debug::run(&a, out),
        Command::Diff(a) => commands::diff::run(&a, out),
        Command::Bench(a) => commands::bench::run(&a, out),
        Command::Rollout(a) => match &a.action {
            Some(action) => commands::rollout_run::run(action, out),
            None => commands::rollout::run(&a, out),
        },
        Command::Gate(a) => commands::gate::run(&a, out),
        Command::Rollback(a) => commands::rollback::run(&a, out),
        Command::Fix(a) => commands::fix::run(&a, out),
    }
}

/// Write to the output, treating a closed pipe as a clean stop.
pub fn write_out(out: &mut dyn Write, text: &str) -> miette::Result<()> {
    match out.write_all(text.as_bytes()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(miette::miette!("cannot write output: {e}")),
    }
}

/// Print errors about files and paths to stderr, one `error: …` line each,
/// with control characters from file names and contents escaped. The one
/// printer of `check`, `patterns` and `fix`.
pub fn print_errors<S: AsRef<str>>(errors: impl IntoIterator<Item = S>) {
    let mut err = std::io::stderr().lock();
    for e in errors {
        let _ = writeln!(err, "error: {}", crate::report::human::escape_controls(e.as_ref()));
    }
}
