//! `cfglint patterns [PATH]...`: list every regex found.

use std::fmt::Write as _;
use std::io::Write;

use miette::Result;
use serde_json::json;

use crate::cli::args::PatternsArgs;
use crate::cli::settings;
use crate::cli::{ExitStatus, print_errors, write_out};
use crate::lint;
use crate::report::Format;
use crate::source::LineIndex;

/// Run `patterns`.
pub fn run(args: &PatternsArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let settings = settings::resolve(&args.common())?;
    let report = lint::lint_paths_extract_only(&args.paths, &settings.lint);
    let mut text = String::new();
    // Each file's own text: looking it up by path was a scan of every file
    // per file, quadratic in the number of files.
    for file in &report.files {
        let src: &str = &file.text;
        let index = LineIndex::new(src);
        for p in &file.extraction.patterns {
            let (line, column) = index.line_col(src, p.span.start);
            match settings.format {
                Format::Json => {
                    let obj = json!({
                        "file": file.path,
                        "line": line,
                        "column": column,
                        "span": {"start": p.span.start, "end": p.span.end},
                        "key": p.key,
                        "kind": p.kind.as_str(),
                        "flavor": p.flavor,
                        "flags": p.flags.to_letters(),
                        "semantics": p.semantics,
                        "pattern": p.pattern,
                    });
                    let _ = writeln!(text, "{obj}");
                }
                _ => {
                    let _ = writeln!(
                        text,
                        "{}:{line}:{column}\t{}\t{}\t{}\t{}",
                        file.path,
                        p.kind,
                        p.flavor,
                        p.key,
                        crate::report::human::regex_text(&p.pattern)
                    );
                }
            }
        }
    }
    write_out(out, &text)?;
    let mut status = ExitStatus::Success;
    // A file that did not parse (broken YAML/JSON, binary, not UTF-8) has
    // patterns nobody listed: an error, never a silent exit 0.
    let unreadable: Vec<_> = report.files.iter().flat_map(|f| &f.findings).filter(|f| f.code == "CL100").collect();
    if !report.errors.is_empty() || !unreadable.is_empty() {
        print_errors(&report.errors);
        print_errors(unreadable.iter().map(|f| format!("{}:{}:{}: {}", f.file, f.line, f.column, f.message)));
        status = ExitStatus::Error;
    }
    Ok(status)
}
