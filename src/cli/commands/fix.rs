//! `cfglint fix [PATH]...`: apply every proven fix in place and print the
//! unified diff; `--dry-run` prints the diff only.
//!
//! A fix is applied only when the finding carries one (proven equivalent
//! and linear, see `crate::fix`) and the whole edited file re-extracts to
//! the same patterns with the fixed ones reading exactly as fixed. Files are
//! replaced atomically: the new text goes to a temporary file in the same
//! folder, with the original's permissions, which is then renamed over the
//! original (through a symlink, the file it points to); a file whose bytes
//! changed since it was read is left alone.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use miette::Result;

use crate::cli::args::FixArgs;
use crate::cli::settings;
use crate::cli::{ExitStatus, print_errors, write_out};
use crate::fix::{self, Fix};
use crate::lint;
use crate::source;

/// Run `fix`.
pub fn run(args: &FixArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let mut settings = settings::resolve(&args.common())?;
    settings.lint.rules.fixes = true;
    let opts = &settings.lint;
    let (files, mut errors) = lint::walk(&args.paths, opts);
    let mut diff = String::new();
    let (mut fixed_patterns, mut fixed_files, mut fixed_findings, mut unfixed) = (0usize, 0usize, 0usize, 0usize);
    for path in &files {
        let file = match source::load(path, opts.max_file_size) {
            Ok(f) => f,
            Err(e) => {
                errors.push(e.to_string());
                continue;
            }
        };
        let result = lint::lint_source(&file, opts);
        // A pattern cfglint failed on (CL009) was not checked: an error.
        for f in result.findings.iter().filter(|f| lint::guard::is_internal_error(f)) {
            errors.push(format!("{}:{}:{}: {}", result.path, f.line, f.column, f.message));
        }
        let redos: Vec<_> = result.findings.iter().filter(|f| f.code == "CL001" || f.code == "CL002").collect();
        let fixes: Vec<&Fix> = redos.iter().filter_map(|f| f.fix.as_ref()).collect();
        unfixed += redos.iter().filter(|f| f.fix.is_none()).count();
        let new_text = match fix::apply(&file, &fixes, &opts.extract) {
            Ok(Some(t)) => t,
            Ok(None) => continue,
            Err(e) => {
                errors.push(format!("{}: {e}", result.path));
                continue;
            }
        };
        let count = {
            let mut spans: Vec<_> = fixes.iter().map(|f| f.span).collect();
            spans.sort_by_key(|s| (s.start, s.end));
            spans.dedup();
            spans.len()
        };
        let shown = result.path.clone();
        let _ = write!(
            diff,
            "{}",
            similar::TextDiff::from_lines(file.text.as_str(), new_text.as_str())
                .unified_diff()
                .context_radius(2)
                .header(&format!("a/{shown}"), &format!("b/{shown}"))
        );
        if !args.dry_run
            && let Err(e) = replace_atomically(path, &file.text, &new_text)
        {
            errors.push(format!("{shown}: {e}"));
            continue;
        }
        fixed_patterns += count;
        fixed_files += 1;
        // One edit may fix several findings (a regex-assembly prefix).
        fixed_findings += fixes.len();
    }
    let verb = if args.dry_run { "would fix" } else { "fixed" };
    let _ = writeln!(
        diff,
        "{verb} {fixed_patterns} pattern(s) in {fixed_files} file(s), for {fixed_findings} CL001/CL002 finding(s); \
         {unfixed} CL001/CL002 finding(s) have no proven fix"
    );
    write_out(out, &diff)?;
    if errors.is_empty() {
        return Ok(ExitStatus::Success);
    }
    print_errors(&errors);
    Ok(ExitStatus::Error)
}

/// Replace `path` with `new_text` if it still holds `old_text`: write a
/// temporary file in the same folder, give it the original's permissions,
/// and rename it over the original.
fn replace_atomically(path: &Path, old_text: &str, new_text: &str) -> std::io::Result<()> {
    // A symlink stays a symlink: the file it points to is the one replaced.
    let target = std::fs::canonicalize(path)?;
    let path = target.as_path();
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let meta = std::fs::metadata(path)?;
    let mut tmp = tempfile::Builder::new().prefix(".cfglint-fix").tempfile_in(dir)?;
    tmp.write_all(new_text.as_bytes())?;
    tmp.as_file().sync_all()?;
    std::fs::set_permissions(tmp.path(), meta.permissions())?;
    if std::fs::read(path)? != old_text.as_bytes() {
        return Err(std::io::Error::other("the file changed while it was being fixed; left as it is"));
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
