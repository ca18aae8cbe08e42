//! The system's PCRE2 with its JIT, loaded at run time: the engine that
//! ModSecurity for Apache 2.9 runs in production.
//!
//! Where it sits: beside [`super::pcre`], for one figure only, the
//! smallest attack at which a match reaches ModSecurity's PCRE limits
//! (`cfglint bench`'s `fail_open_jit`). The vendored PCRE2 in
//! [`super::pcre`] has no JIT, and PCRE2's JIT counts its match limit its
//! own way: on CRS, the same attack reaches `SecPcreMatchLimit 1000` at
//! 157 bytes on the interpreter and 508 bytes on the JIT (942270), or
//! earlier on the JIT (942370: 50 against 38 bytes). A real ModSecurity
//! 2.9.7 (Debian 12) gives the JIT's sizes, so both are reported.
//!
//! How: `libpcre2-8` is opened with `dlopen` (`RTLD_LOCAL` through
//! `libloading`), so its symbols never meet the vendored copy's. Only
//! the 8-bit API is used, whose ABI is stable across 10.x. A library
//! without JIT support, or whose JIT cannot run here (no executable
//! memory), is reported as unavailable with the reason, never used as an
//! interpreter in disguise.
//!
//! Patterns are compiled with the same options as [`super::pcre::Pcre`]
//! (byte mode, the rule's flags), JIT-compiled with
//! `PCRE2_JIT_COMPLETE`, and matched with a match context holding the
//! match limit and depth limit (the JIT ignores the latter) and PCRE2's
//! default 32 KiB JIT stack. A match that runs out of JIT stack is run
//! again on the same library's interpreter (`PCRE2_NO_JIT`) with the same
//! limits, which is what mod_security2 does: a real one answers
//! "PCRE limits exceeded (-47)" where the JIT alone stops with
//! `PCRE2_ERROR_JIT_STACKLIMIT` (a capture in a loop over 850 bytes of
//! `a`, `^(?:(a)|b)*c`).
#![allow(unsafe_code)]

use std::ffi::{c_int, c_void};
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use super::JitChoice as Choice;
use super::pcre::{LimitKind, Outcome};
use crate::source::Flags;

const PCRE2_CONFIG_JIT: u32 = 1;
const PCRE2_CONFIG_VERSION: u32 = 11;
const PCRE2_JIT_COMPLETE: u32 = 1;
const PCRE2_ERROR_NOMATCH: c_int = -1;
/// The JIT ran out of its stack (`PCRE2_ERROR_JIT_STACKLIMIT`).
const PCRE2_ERROR_JIT_STACKLIMIT: c_int = -46;
/// `pcre2_match` option: run the interpreter even on JIT-compiled code.
const PCRE2_NO_JIT: u32 = 0x0000_2000;
const PCRE2_ERROR_MATCHLIMIT: c_int = -47;
const PCRE2_ERROR_DEPTHLIMIT: c_int = -53;

/// The names tried when no path is given, in order.
const NAMES: &[&str] = &["libpcre2-8.so.0", "libpcre2-8.so", "libpcre2-8.0.dylib", "libpcre2-8.dylib"];

type CompileFn = unsafe extern "C" fn(*const u8, usize, u32, *mut c_int, *mut usize, *mut c_void) -> *mut c_void;
type FreeFn = unsafe extern "C" fn(*mut c_void);
type JitCompileFn = unsafe extern "C" fn(*mut c_void, u32) -> c_int;
type DataCreateFn = unsafe extern "C" fn(*const c_void, *mut c_void) -> *mut c_void;
type ContextCreateFn = unsafe extern "C" fn(*mut c_void) -> *mut c_void;
type SetLimitFn = unsafe extern "C" fn(*mut c_void, u32) -> c_int;
type MatchFn = unsafe extern "C" fn(*const c_void, *const u8, usize, usize, u32, *mut c_void, *mut c_void) -> c_int;
type ConfigFn = unsafe extern "C" fn(u32, *mut c_void) -> c_int;

/// The functions cfglint calls, copied out of the library (which this
/// value keeps loaded).
#[derive(Clone, Copy)]
struct Api {
    compile: CompileFn,
    code_free: FreeFn,
    jit_compile: JitCompileFn,
    data_create: DataCreateFn,
    data_free: FreeFn,
    context_create: ContextCreateFn,
    context_free: FreeFn,
    set_match_limit: SetLimitFn,
    set_depth_limit: SetLimitFn,
    match_: MatchFn,
}

/// A loaded system PCRE2 whose JIT works.
pub struct SystemPcre2 {
    api: Api,
    /// What was opened (a path, or the name the loader resolved).
    pub library: String,
    /// `PCRE2_CONFIG_VERSION`, e.g. `10.42 2022-12-11`.
    pub version: String,
    _lib: libloading::Library,
}

/// A loader error with its cause (libloading puts dlerror's text in the
/// source: "dlopen failed" alone says nothing).
fn describe(e: &libloading::Error) -> String {
    match std::error::Error::source(e) {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

impl std::fmt::Debug for SystemPcre2 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SystemPcre2")
            .field("library", &self.library)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl SystemPcre2 {
    /// How reports name this engine: `pcre2 10.42 2022-12-11 JIT (libpcre2-8.so.0)`.
    pub fn label(&self) -> String {
        format!("pcre2 {} JIT ({})", self.version, self.library)
    }

    /// Open `path`, or the first of the usual names the dynamic loader
    /// finds, and check that its JIT compiles and runs a pattern.
    pub fn open(path: Option<&Path>) -> Result<SystemPcre2, String> {
        let candidates: Vec<String> = match path {
            Some(p) => vec![p.display().to_string()],
            None => NAMES.iter().map(|s| (*s).to_owned()).collect(),
        };
        let mut errors = Vec::new();
        for name in &candidates {
            // SAFETY: loading runs the library's initialisers; libpcre2-8
            // has none beyond the C runtime's. RTLD_LOCAL (libloading's
            // default on unix) keeps its symbols out of the global scope.
            match unsafe { libloading::Library::new(name) } {
                Ok(lib) => return Self::from_library(lib, name.clone()),
                Err(e) => errors.push(describe(&e)),
            }
        }
        Err(match path {
            Some(_) => errors.join("; "),
            None => format!("no libpcre2-8 found ({})", NAMES.join(", ")),
        })
    }

    fn from_library(lib: libloading::Library, library: String) -> Result<SystemPcre2, String> {
        /// Look up one symbol as a plain function pointer.
        fn sym<T: Copy>(lib: &libloading::Library, name: &str) -> Result<T, String> {
            // SAFETY: every type `T` used below is the C signature of the
            // PCRE2 8-bit function of that name (pcre2.h, stable since 10.0).
            unsafe { lib.get::<T>(name.as_bytes()).map(|s| *s).map_err(|e| format!("{name}: {}", describe(&e))) }
        }
        let api = Api {
            compile: sym(&lib, "pcre2_compile_8")?,
            code_free: sym(&lib, "pcre2_code_free_8")?,
            jit_compile: sym(&lib, "pcre2_jit_compile_8")?,
            data_create: sym(&lib, "pcre2_match_data_create_from_pattern_8")?,
            data_free: sym(&lib, "pcre2_match_data_free_8")?,
            context_create: sym(&lib, "pcre2_match_context_create_8")?,
            context_free: sym(&lib, "pcre2_match_context_free_8")?,
            set_match_limit: sym(&lib, "pcre2_set_match_limit_8")?,
            set_depth_limit: sym(&lib, "pcre2_set_depth_limit_8")?,
            match_: sym(&lib, "pcre2_match_8")?,
        };
        let config: ConfigFn = sym(&lib, "pcre2_config_8")?;
        let mut jit: u32 = 0;
        // SAFETY: PCRE2_CONFIG_JIT writes one uint32_t.
        unsafe { config(PCRE2_CONFIG_JIT, (&raw mut jit).cast()) };
        let mut buf = [0u8; 64];
        // SAFETY: PCRE2_CONFIG_VERSION writes a NUL-terminated string of at
        // most 24 code units.
        let n = unsafe { config(PCRE2_CONFIG_VERSION, buf.as_mut_ptr().cast()) };
        let version = if n > 0 {
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            String::from_utf8_lossy(&buf[..end]).into_owned()
        } else {
            "unknown".to_owned()
        };
        let this = SystemPcre2 { api, library, version, _lib: lib };
        if jit != 1 {
            return Err(format!("{} (PCRE2 {}) was built without JIT support", this.library, this.version));
        }
        // The JIT can be compiled in and still fail here (no executable
        // memory): try it once.
        let mut probe =
            this.compile("a+b", Flags::default(), 1000, 1000).map_err(|e| format!("{}: {e}", this.library))?;
        if probe.run(b"aab") != Outcome::Match {
            return Err(format!("{}: the JIT did not run a test pattern", this.library));
        }
        drop(probe);
        Ok(this)
    }

    /// Compile and JIT-compile `pattern` with ModSecurity's match limit
    /// and depth limit (`SecPcreMatchLimit`, `SecPcreMatchLimitRecursion`;
    /// the JIT ignores the depth limit, the interpreter fallback does not).
    pub fn compile(
        &self,
        pattern: &str,
        flags: Flags,
        match_limit: u32,
        depth_limit: u32,
    ) -> Result<JitRegex<'_>, String> {
        // The same options as cfglint's own PCRE2 (the 8-bit API's bits
        // are the same in every 10.x).
        let options = super::pcre::options(flags);
        let (mut err, mut offset): (c_int, usize) = (0, 0);
        // SAFETY: pattern pointer and length are valid for the call; a null
        // compile context means defaults.
        let code = unsafe {
            (self.api.compile)(
                pattern.as_ptr(),
                pattern.len(),
                options,
                &raw mut err,
                &raw mut offset,
                std::ptr::null_mut(),
            )
        };
        if code.is_null() {
            return Err(format!("PCRE2 error {err} at pattern offset {offset}"));
        }
        // From here `JitRegex`'s Drop frees whatever was created.
        let mut re = JitRegex { lib: self, code, data: std::ptr::null_mut(), context: std::ptr::null_mut() };
        // SAFETY: `code` is valid compiled code.
        let rc = unsafe { (self.api.jit_compile)(code, PCRE2_JIT_COMPLETE) };
        if rc != 0 {
            return Err(format!("pcre2_jit_compile failed (error {rc})"));
        }
        // SAFETY: valid code; a null general context means malloc/free.
        re.data = unsafe { (self.api.data_create)(code, std::ptr::null_mut()) };
        // SAFETY: a null general context means malloc/free.
        re.context = unsafe { (self.api.context_create)(std::ptr::null_mut()) };
        if re.data.is_null() || re.context.is_null() {
            return Err("PCRE2 could not allocate match data (out of memory)".to_owned());
        }
        // SAFETY: a valid match context.
        unsafe {
            (self.api.set_match_limit)(re.context, match_limit);
            (self.api.set_depth_limit)(re.context, depth_limit);
        }
        Ok(re)
    }
}

/// One JIT-compiled pattern with its match data and context. Not
/// shareable between threads (the match data is scratch space).
pub struct JitRegex<'a> {
    lib: &'a SystemPcre2,
    code: *mut c_void,
    data: *mut c_void,
    context: *mut c_void,
}

impl JitRegex<'_> {
    /// Search `subject` once as mod_security2 does: on the JIT, and again
    /// on the interpreter when the JIT runs out of stack. Matched, no
    /// match, or stopped by a limit (`LimitKind::Match`, `LimitKind::Depth`).
    pub fn run(&mut self, subject: &[u8]) -> Outcome {
        let run = |options: u32| {
            // SAFETY: code, data and context are valid and owned by self
            // (see `compile`); the subject slice is valid for the call.
            // pcre2_match uses the JIT code unless PCRE2_NO_JIT is given.
            unsafe {
                (self.lib.api.match_)(self.code, subject.as_ptr(), subject.len(), 0, options, self.data, self.context)
            }
        };
        let mut rc = run(0);
        if rc == PCRE2_ERROR_JIT_STACKLIMIT {
            rc = run(PCRE2_NO_JIT);
        }
        match rc {
            rc if rc >= 0 => Outcome::Match,
            PCRE2_ERROR_NOMATCH => Outcome::NoMatch,
            PCRE2_ERROR_MATCHLIMIT => Outcome::Limit(LimitKind::Match),
            PCRE2_ERROR_DEPTHLIMIT => Outcome::Limit(LimitKind::Depth),
            other => Outcome::Limit(LimitKind::Other(other)),
        }
    }
}

impl Drop for JitRegex<'_> {
    fn drop(&mut self) {
        // SAFETY: each pointer was created by the library and is freed once;
        // PCRE2's free functions accept NULL.
        unsafe {
            (self.lib.api.context_free)(self.context);
            (self.lib.api.data_free)(self.data);
            (self.lib.api.code_free)(self.code);
        }
    }
}

/// The library for `choice`, loaded once per process and kept loaded:
/// `Ok(None)` for `off`, `Err(why)` when it is not usable (for `auto`,
/// callers report the reason and carry on without JIT figures).
pub fn load(choice: &Choice) -> Result<Option<&'static SystemPcre2>, String> {
    type Loaded = Result<&'static SystemPcre2, String>;
    static CACHE: OnceLock<Mutex<Vec<(Choice, Loaded)>>> = OnceLock::new();
    let path = match choice {
        Choice::Off => return Ok(None),
        Choice::Auto => None,
        Choice::Path(p) => Some(p.as_path()),
    };
    let cache = CACHE.get_or_init(|| Mutex::new(Vec::new()));
    let mut cache = cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, loaded)) = cache.iter().find(|(c, _)| c == choice) {
        return loaded.clone().map(Some);
    }
    // Leaked on purpose: a loaded library stays loaded for the process
    // (one per distinct choice, at most a handful).
    let loaded: Loaded = SystemPcre2::open(path).map(|lib| &*Box::leak(Box::new(lib)));
    cache.push((choice.clone(), loaded.clone()));
    loaded.map(Some)
}

// SAFETY: the API is a table of C function pointers into a library that
// stays loaded; PCRE2's functions are thread-safe on distinct objects.
unsafe impl Send for SystemPcre2 {}
// SAFETY: as above; `SystemPcre2` itself holds no mutable state.
unsafe impl Sync for SystemPcre2 {}

#[cfg(test)]
mod tests {
    use super::*;

    /// The system library, or `None` (with a note) where there is none.
    #[allow(clippy::print_stderr)] // a skipped test says why
    fn system() -> Option<&'static SystemPcre2> {
        match load(&Choice::Auto) {
            Ok(lib) => lib,
            Err(why) => {
                eprintln!("skipped: no system PCRE2 with JIT ({why})");
                None
            }
        }
    }

    #[test]
    fn the_jit_matches_and_stops_at_the_match_limit() {
        let Some(lib) = system() else { return };
        assert!(lib.label().contains("JIT"), "{}", lib.label());
        let mut re = lib.compile("^(a+)+$", Flags::default(), 1000, 1000).unwrap();
        assert_eq!(re.run(b"aaaa"), Outcome::Match);
        assert_eq!(re.run(b"aaa!"), Outcome::NoMatch);
        let attack = format!("{}!", "a".repeat(30));
        assert_eq!(re.run(attack.as_bytes()), Outcome::Limit(LimitKind::Match));
        // Flags reach the compiler.
        let mut ci = lib.compile("select", Flags { case_insensitive: true, ..Flags::default() }, 1000, 1000).unwrap();
        assert_eq!(ci.run(b"SELECT"), Outcome::Match);
        assert!(lib.compile("(", Flags::default(), 1000, 1000).is_err());
        // Out of JIT stack: the interpreter answers, with the same limits
        // (a generous match limit lets it find the match).
        let mut deep = lib.compile("^(?:(a)|b)*c", Flags::default(), 10_000_000, 10_000_000).unwrap();
        let long = format!("{}c", "a".repeat(4000));
        assert_eq!(deep.run(long.as_bytes()), Outcome::Match);
    }

    #[test]
    fn a_missing_library_is_a_clear_error_and_off_loads_nothing() {
        let err = load(&Choice::Path("/nonexistent/libpcre2-8.so.0".into())).unwrap_err();
        assert!(err.contains("/nonexistent/libpcre2-8.so.0"), "{err}");
        assert!(matches!(load(&Choice::Off), Ok(None)));
        assert_eq!(Choice::parse("auto"), Choice::Auto);
        assert_eq!(Choice::parse("off"), Choice::Off);
        assert_eq!(Choice::parse("/x/lib.so"), Choice::Path("/x/lib.so".into()));
    }
}
