//! Line-oriented formats: nginx, Fluent Bit, Logstash grok pattern files and
//! OWASP CRS regex-assembly (`.ra`) sources.

use std::path::Path;

use super::{Extraction, SourceFile};

/// True when a file with no telling extension looks like a grok pattern
/// file (`NAME regex` lines, in a `patterns` folder).
pub fn looks_like_grok(path: &Path, text: &str) -> bool {
    let _ = (path, text);
    false
}

/// Extract the patterns of a line-oriented file.
pub fn extract(file: &SourceFile) -> Extraction {
    let _ = file;
    Extraction::default()
}
