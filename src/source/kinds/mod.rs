//! Kind selectors: given a parsed tree, decide what the file is and pick the
//! strings that hold regexes, with their key paths.

use super::{ExtractOptions, Extraction, Parsed, SourceFile};

/// Detect the kind of a parsed tree file and extract its patterns.
pub fn extract_tree(file: &SourceFile, parsed: Parsed, opts: &ExtractOptions) -> Extraction {
    let _ = (file, opts);
    Extraction { kind: None, patterns: Vec::new(), problems: parsed.problems }
}
