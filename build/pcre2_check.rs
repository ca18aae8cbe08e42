// The check behind the `pcre2` feature, shared by build.rs (which runs it)
// and tests/build_check.rs (which tests it on fake archives). Included with
// `include!`, so it names nothing from the crate.

/// Every symbol `src/engine/pcre.rs` declares.
pub const PCRE2_SYMBOLS: &[&str] = &[
    "pcre2_compile_8",
    "pcre2_code_free_8",
    "pcre2_match_data_create_from_pattern_8",
    "pcre2_match_data_free_8",
    "pcre2_match_context_create_8",
    "pcre2_match_context_free_8",
    "pcre2_set_match_limit_8",
    "pcre2_set_depth_limit_8",
    "pcre2_set_heap_limit_8",
    "pcre2_set_callout_8",
    "pcre2_match_8",
    "pcre2_get_ovector_pointer_8",
    "pcre2_get_error_message_8",
    "pcre2_config_8",
    "pcre2_pattern_info_8",
];

/// What to do when the check fails.
pub const PCRE2_HOW: &str = "build with `--no-default-features` (no PCRE2: attacks are confirmed by the simulator \
                             only, and `cfglint bench` counts the simulator's steps), or unset LIBGIT2_NO_VENDOR \
                             (or set it to 0) so that libgit2-sys builds its vendored libgit2";

/// The whole message for a failed check.
pub fn pcre2_failure(why: &str) -> String {
    format!(
        "cfglint's `pcre2` feature needs the vendored libgit2 (git2's `vendored-libgit2`), whose PCRE2 it links: \
         {why}.\nFix: {PCRE2_HOW}."
    )
}

/// Check that the libgit2 that libgit2-sys built carries PCRE2: given
/// `LIBGIT2_NO_VENDOR` and `DEP_GIT2_ROOT` (where libgit2-sys built,
/// `<root>/build/libgit2.a` in vendored builds), the archive that holds
/// every PCRE2 symbol, or why not.
pub fn pcre2_check(
    no_vendor: Option<&std::ffi::OsStr>,
    dep_root: Option<&std::path::Path>,
) -> Result<std::path::PathBuf, String> {
    if let Some(v) = no_vendor
        && v != "0"
    {
        return Err(format!(
            "LIBGIT2_NO_VENDOR={} makes libgit2-sys link the system libgit2, which does not export PCRE2",
            v.to_string_lossy()
        ));
    }
    let root = dep_root.ok_or("libgit2-sys did not say where it built libgit2 (no DEP_GIT2_ROOT)")?;
    let dir = root.join("build");
    let archive = ["libgit2.a", "git2.lib"].iter().map(|n| dir.join(n)).find(|p| p.is_file()).ok_or_else(|| {
        format!("libgit2-sys built no vendored libgit2 archive under {} (a system libgit2?)", root.display())
    })?;
    let bytes = std::fs::read(&archive).map_err(|e| format!("cannot read {}: {e}", archive.display()))?;
    let missing: Vec<&str> = PCRE2_SYMBOLS.iter().copied().filter(|s| !contains(&bytes, s.as_bytes())).collect();
    if !missing.is_empty() {
        return Err(format!(
            "the vendored libgit2 ({}) does not carry PCRE2's {} (a libgit2-sys update that dropped or renamed its \
             bundled PCRE2?); src/engine/pcre.rs must then link PCRE2 another way",
            archive.display(),
            missing.join(", ")
        ));
    }
    Ok(archive)
}

/// True when `needle` occurs in `haystack` as a whole symbol name (not
/// followed by another identifier character, so `pcre2_match_8` is not
/// found inside `pcre2_match_8x`).
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    let Some((&first, _)) = needle.split_first() else { return true };
    let mut at = 0;
    while let Some(i) = haystack[at..].iter().position(|&b| b == first) {
        let start = at + i;
        let end = start + needle.len();
        if haystack.get(start..end) == Some(needle)
            && !haystack.get(end).is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return true;
        }
        at = start + 1;
    }
    false
}
