//! ModSecurity / OWASP CRS SecLang: `SecRule VARIABLES "OPERATOR" "ACTIONS"`.

use super::{Extraction, SourceFile};

/// True when the text has a `SecRule` or `SecAction` directive.
pub fn looks_like_seclang(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim_start();
        l.starts_with("SecRule") || l.starts_with("SecAction")
    })
}

/// Extract the `@rx` patterns of every `SecRule`.
pub fn extract(file: &SourceFile) -> Extraction {
    let _ = file;
    Extraction::default()
}
