//! Build-time guard of the `pcre2` feature.
//!
//! `src/engine/pcre.rs` declares the PCRE2 functions itself and resolves
//! them from the PCRE2 objects inside the vendored libgit2's archive (one
//! PCRE2 in the binary; see that file for why not `pcre2-sys`). That only
//! links when libgit2-sys built its vendored copy and the copy still
//! carries PCRE2 under its usual names. Check both here (the logic is in
//! `build/pcre2_check.rs`, tested by `tests/build_check.rs`), so that
//! `LIBGIT2_NO_VENDOR=1` against a system libgit2, or a libgit2-sys update,
//! fails with a message that says what to do, not with a wall of undefined
//! symbols at link time. Without the `pcre2` feature there is nothing to
//! check.
#![allow(clippy::print_stdout)] // `cargo:` directives are how a build script talks to Cargo

include!("build/pcre2_check.rs");

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build/pcre2_check.rs");
    println!("cargo:rerun-if-env-changed=LIBGIT2_NO_VENDOR");
    if std::env::var_os("CARGO_FEATURE_PCRE2").is_none() {
        return;
    }
    let no_vendor = std::env::var_os("LIBGIT2_NO_VENDOR");
    let root = std::env::var_os("DEP_GIT2_ROOT").map(std::path::PathBuf::from);
    match pcre2_check(no_vendor.as_deref(), root.as_deref()) {
        Ok(archive) => println!("cargo:rerun-if-changed={}", archive.display()),
        // A panic is how a build script fails with its message shown.
        Err(why) => panic!("\n\n{}\n\n", pcre2_failure(&why)),
    }
}
