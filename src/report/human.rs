//! Human output: one diagnostic per finding.

use std::fmt::Write as _;

use super::{Finding, Sources, Summary};

/// Render findings for people.
pub fn render(findings: &[Finding], summary: &Summary, sources: &Sources, color: bool) -> String {
    let _ = (sources, color);
    let mut s = String::new();
    for f in findings {
        let _ = writeln!(s, "{}:{}:{}: {}[{}]: {}", f.file, f.line, f.column, f.severity, f.code, f.message);
    }
    let _ = writeln!(s, "{} files, {} regexes, {} findings", summary.files, summary.regexes, summary.findings);
    s
}
