//! GitHub Actions workflow commands: one annotation per finding.
//!
//! `::error file=PATH,line=L,col=C,endLine=EL,endColumn=EC,title=CODE rule::message`
//! (`::warning` for warnings, `::notice` for notes). Escaping follows the
//! Actions toolkit (`@actions/core` `command.ts`): in the message `%`,
//! `\r`, `\n` become `%25`, `%0D`, `%0A`; in property values also `:` and
//! `,` become `%3A` and `%2C`. GitHub honors `col`/`endColumn` only when the
//! annotation is on one line, and reads `endColumn` as inclusive (it
//! defaults to `col`), so columns are given only for one-line spans and the
//! end is the last character. The message carries the help and the
//! evidence on further lines. A last `::notice` line gives the summary.

use std::fmt::Write as _;

use super::{Finding, Severity, Summary};

/// Escape a message (`%`, CR, LF).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escape a property value (also `:` and `,`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Render findings as workflow commands.
pub fn render(findings: &[Finding], summary: &Summary) -> String {
    let mut out = String::new();
    for f in findings {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let mut props = vec![format!("file={}", escape_property(&f.file))];
        if f.span.is_some() {
            props.push(format!("line={}", f.line));
            if f.end_line == f.line {
                let end = f.end_column.saturating_sub(1).max(f.column);
                props.push(format!("col={}", f.column));
                props.push(format!("endColumn={end}"));
            } else {
                props.push(format!("endLine={}", f.end_line));
            }
        }
        props.push(format!("title={}", escape_property(&format!("{} {}", f.code, f.rule))));
        let mut message = f.message.clone();
        if let Some(h) = &f.help {
            let _ = write!(message, "\n{h}");
        }
        if let Some(e) = &f.evidence {
            for line in super::human::evidence_lines(e) {
                let _ = write!(message, "\n{line}");
            }
        }
        if let Some(c) = &f.change {
            let _ = write!(message, "\n{}", super::human::change_line(c.change, c.before.as_ref()));
        }
        for n in &f.notes {
            let _ = write!(message, "\nnote: {n}");
        }
        let _ = writeln!(out, "::{command} {}::{}", props.join(","), escape_data(&message));
    }
    let line = super::human::summary_line(findings, summary, false);
    let _ = writeln!(out, "::notice title=cfglint::{}", escape_data(&line));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_the_toolkit() {
        assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }
}
