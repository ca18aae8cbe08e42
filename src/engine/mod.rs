//! Real regex engines that cfglint runs patterns on.
//!
//! Where it sits: below `verify` (which replays attacks on real PCRE2),
//! `rules` (CL004 asks PCRE2's compiler) and `bench` (which counts PCRE2's
//! steps on a corpus); it depends on nothing in the crate but
//! [`crate::source::Flags`].
//!
//! - [`pcre`]: PCRE2 through a small FFI, with exact step counts and hard
//!   limits. Built only with the `pcre2` feature (the default).
//! - [`jit`]: the system's PCRE2 with its JIT, loaded at run time, for
//!   the fail-open figures ModSecurity's production engine gives. Also
//!   only with the `pcre2` feature.

#[cfg(feature = "pcre2")]
pub mod jit;
#[cfg(feature = "pcre2")]
pub mod pcre;

/// The linked PCRE2's version (`10.46 2025-08-27`), or `None` in a build
/// without the `pcre2` feature.
pub fn pcre2_version() -> Option<String> {
    #[cfg(feature = "pcre2")]
    {
        Some(pcre::version())
    }
    #[cfg(not(feature = "pcre2"))]
    {
        None
    }
}

/// Which system PCRE2 `cfglint bench` loads for its fail-open figures on
/// PCRE2's JIT (`[bench] pcre2-jit`, `--pcre2-jit`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum JitChoice {
    /// The first `libpcre2-8` the dynamic loader finds, if any.
    #[default]
    Auto,
    /// None: no JIT figures.
    Off,
    /// This library file; failing to load it is an error.
    Path(std::path::PathBuf),
}

impl JitChoice {
    /// `auto`, `off`, or a path.
    pub fn parse(text: &str) -> JitChoice {
        match text {
            "auto" => JitChoice::Auto,
            "off" | "none" => JitChoice::Off,
            path => JitChoice::Path(std::path::PathBuf::from(path)),
        }
    }
}
