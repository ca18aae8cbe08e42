//! Real regex engines that cfglint runs patterns on.
//!
//! Where it sits: below `verify` (which replays attacks on real PCRE2),
//! `rules` (CL004 asks PCRE2's compiler) and `bench` (which counts PCRE2's
//! steps on a corpus); it depends on nothing in the crate but
//! [`crate::source::Flags`].
//!
//! - [`pcre`]: PCRE2 through a small FFI, with exact step counts and hard
//!   limits. Built only with the `pcre2` feature (the default).

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
