//! The `pcre2` feature's build-time check (`build/pcre2_check.rs`, run by
//! build.rs) on fake libgit2 archives: it passes only when every PCRE2
//! symbol `src/engine/pcre.rs` declares is there, and its failures say what
//! to do.

include!("../build/pcre2_check.rs");

use std::ffi::OsStr;
use std::path::Path;

fn archive(dir: &Path, symbols: &[&str]) {
    std::fs::create_dir_all(dir.join("build")).expect("mkdir");
    let mut bytes = b"!<arch>\n/               0           0     0     0       0         `\n".to_vec();
    for s in symbols {
        bytes.extend_from_slice(s.as_bytes());
        bytes.push(0);
    }
    std::fs::write(dir.join("build/libgit2.a"), bytes).expect("write");
}

#[test]
fn every_symbol_present_passes() {
    let dir = tempfile::tempdir().expect("temp dir");
    archive(dir.path(), PCRE2_SYMBOLS);
    assert_eq!(pcre2_check(None, Some(dir.path())), Ok(dir.path().join("build/libgit2.a")));
    assert!(pcre2_check(Some(OsStr::new("0")), Some(dir.path())).is_ok(), "LIBGIT2_NO_VENDOR=0 vendors");
}

#[test]
fn a_missing_or_renamed_symbol_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut renamed: Vec<String> = PCRE2_SYMBOLS.iter().map(|s| (*s).to_owned()).collect();
    renamed[10] = "pcre2_match_8_git2".to_owned(); // a prefixed or suffixed copy is not the symbol
    archive(dir.path(), &renamed.iter().map(String::as_str).collect::<Vec<_>>());
    let err = pcre2_check(None, Some(dir.path())).expect_err("pcre2_match_8 is missing");
    assert!(err.contains("does not carry PCRE2's pcre2_match_8 "), "{err}");
    assert!(pcre2_failure(&err).contains("--no-default-features"), "{}", pcre2_failure(&err));
}

#[test]
fn no_vendor_and_system_libgit2_are_refused_with_the_fix() {
    let dir = tempfile::tempdir().expect("temp dir");
    archive(dir.path(), PCRE2_SYMBOLS);
    let err = pcre2_check(Some(OsStr::new("1")), Some(dir.path())).expect_err("system libgit2");
    assert!(err.contains("LIBGIT2_NO_VENDOR=1"), "{err}");
    let msg = pcre2_failure(&err);
    assert!(msg.starts_with("cfglint's `pcre2` feature needs the vendored libgit2"), "{msg}");
    assert!(msg.contains("build with `--no-default-features`") && msg.contains("unset LIBGIT2_NO_VENDOR"), "{msg}");
    // A system libgit2: libgit2-sys's root is an include folder, no archive.
    let empty = tempfile::tempdir().expect("temp dir");
    let err = pcre2_check(None, Some(empty.path())).expect_err("no archive");
    assert!(err.contains("no vendored libgit2 archive"), "{err}");
    assert!(pcre2_check(None, None).is_err());
}

/// The real archive this build linked passes (with the feature).
#[cfg(feature = "pcre2")]
#[test]
fn the_pcre2_this_build_links_is_the_one_checked() {
    assert!(cfglint::engine::pcre2_version().is_some_and(|v| v.starts_with("10.")));
}
