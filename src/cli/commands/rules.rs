//! `cfglint rules`: list the rules.

use std::fmt::Write as _;
use std::io::Write;

use miette::Result;

use crate::cli::args::DataFormat;
use crate::cli::args::RulesArgs;
use crate::cli::{ExitStatus, write_out};
use crate::rules;

/// Run `rules`.
pub fn run(args: &RulesArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let mut s = String::new();
    if args.format.format == DataFormat::Json {
        let list: Vec<serde_json::Value> = rules::registry()
            .iter()
            .map(|m| {
                serde_json::json!({"code": m.code, "name": m.id, "category": m.category,
                    "default_severity": m.default_severity, "summary": m.summary})
            })
            .collect();
        let _ = writeln!(s, "{}", serde_json::to_string_pretty(&list).expect("JSON values serialize"));
    } else {
        let _ = writeln!(s, "{:<6} {:<26} {:<9} {:<12} summary", "code", "name", "severity", "category");
        for m in rules::registry() {
            let _ = writeln!(
                s,
                "{:<6} {:<26} {:<9} {:<12} {}",
                m.code,
                m.id,
                m.default_severity.as_str(),
                m.category,
                m.summary
            );
        }
    }
    write_out(out, &s)?;
    Ok(ExitStatus::Success)
}
