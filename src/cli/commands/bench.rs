//! `cfglint bench RULES [--corpus PATH]... [--baseline REV] [--plot FILE.svg]`:
//! what every WAF rule costs on a corpus, before and after a change.
//!
//! Thin: resolves settings (`[bench]` in cfglint.toml), draws a progress bar
//! on a terminal, calls [`crate::bench::bench_files`] and a renderer, and
//! picks the exit code: 1 when a rule fails (budget, test, compile error,
//! regression), 2 when a rule file or corpus could not be read.

use std::io::{IsTerminal, Write};

use miette::{IntoDiagnostic, Result, WrapErr};

use crate::bench::{self, render};
use crate::cli::args::BenchArgs;
use crate::cli::settings;
use crate::cli::{ExitStatus, write_out};
use crate::report::Format;

/// Run `bench`.
pub fn run(args: &BenchArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let settings = settings::resolve(&args.common())?;
    if !matches!(settings.format, Format::Human | Format::Json) {
        return Err(miette::miette!("`cfglint bench` writes --format human or json"));
    }
    let mut bench_settings = bench::Settings::from_config(&settings.config)?;
    if let Some(text) = &args.pcre2_jit {
        bench_settings.pcre2_jit = crate::engine::JitChoice::parse(text);
    }
    // A library the user named must load; `auto` finding none is only
    // noted in the report.
    #[cfg(feature = "pcre2")]
    if let crate::engine::JitChoice::Path(path) = &bench_settings.pcre2_jit
        && let Err(why) = crate::engine::jit::load(&bench_settings.pcre2_jit)
    {
        return Err(miette::miette!("cannot use {} for PCRE2's JIT (pcre2-jit): {why}", path.display()));
    }
    let corpus = if args.corpus.is_empty() { bench_settings.corpus.clone() } else { args.corpus.clone() };
    let request = bench::Job { rules: args.rules.clone(), corpus, baseline: args.baseline.clone() };

    // A progress bar only for a person watching a terminal.
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} measuring rules {bar:30} {pos}/{len} {elapsed}")
                .expect("the progress template is valid"),
        );
        bar
    });
    let progress = |total: usize| {
        if let Some(bar) = &bar {
            if total > 0 {
                bar.set_length(total as u64);
            } else {
                bar.inc(1);
            }
        }
    };
    let report = bench::bench_files(&request, &bench_settings, &progress)?;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }

    if let Some(path) = &args.plot {
        let svg = render::svg(&report, bench_settings.plot_rules)
            .map_err(|e| miette::miette!("cannot draw the plot: {e}"))?;
        crate::fsutil::write_output(path, svg.as_bytes())
            .into_diagnostic()
            .wrap_err_with(|| format!("cannot write {}", path.display()))?;
    }
    let text = match settings.format {
        Format::Json => render::json(&report),
        _ => render::human(&report, args.baseline.as_deref()),
    };
    write_out(out, &text)?;
    let mut status = if report.summary.failing > 0 { ExitStatus::Failure } else { ExitStatus::Success };
    if report.summary.unreadable > 0 {
        status = status.max(ExitStatus::Error);
    }
    Ok(status)
}
