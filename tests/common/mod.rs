//! Helpers shared by the integration tests (`mod common;` in each).

use std::path::PathBuf;

/// The shared corpus: `../shared/corpus` beside the repository (or one
/// folder further up, from a worktree nested deeper). When it is absent,
/// say so (the test then skips, visibly with `--nocapture`) and return
/// `None`.
#[allow(dead_code)] // not every test file uses every helper
pub fn shared_corpus() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let found = [root.join("../shared/corpus"), root.join("../../shared/corpus")].into_iter().find(|p| p.is_dir());
    if found.is_none() {
        let test = std::thread::current().name().unwrap_or("a test").to_owned();
        #[allow(clippy::print_stderr)] // the skip must be seen, not a silent pass
        {
            eprintln!("skipped {test}: ../shared/corpus not found");
        }
    }
    found
}
