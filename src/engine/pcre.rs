//! Real PCRE2 (the C library through a small FFI, interpreter only) with
//! exact backtracking step counts and hard limits on every match.
//!
//! Where it sits: the backtracking engine of `cfglint bench`
//! (`bench::backtrack` picks it when the `pcre2` feature is built). This
//! is the crate's only `unsafe` code; everything outside this file uses the
//! safe [`Pcre`] wrapper.
//!
//! How steps are counted: the pattern is compiled with
//! `PCRE2_AUTO_CALLOUT`, which makes PCRE2 call us before every pattern
//! item it tries, on every start position, including the items it retries
//! after backtracking. The count of those calls is the step count. We chose
//! this over bisecting `pcre2_set_match_limit` because it costs one match per
//! input instead of ~30, it counts the whole search (PCRE2 resets its own
//! match-limit counter at every start position, so a limit bounds only one
//! start), and the callout can abort the match the moment the budget is
//! spent. Auto-possessification and start-of-match optimizations still run
//! with auto-callout (PCRE2 skips callout opcodes when optimizing), so the
//! counted engine backtracks exactly as the production one does. For
//! `^(a+)+$` on `a…a!` this gives 3·2ⁿ steps (3,072 / 49,152 / 786,432 at
//! n = 10 / 14 / 18; see the tests).
//!
//! Patterns are compiled in byte mode (no `PCRE2_UTF`), as ModSecurity
//! compiles them by default, so any bytes (not only UTF-8) can be matched.
//! JIT is never used: JIT code does not honour callouts and its cost is not
//! comparable across patterns.
//!
//! Guarantees: every match runs under a step budget (the callout aborts it),
//! PCRE2's own match limit (per start position, a backstop), a depth limit
//! and a heap limit; a catastrophic pattern costs at most its budget.
#![allow(unsafe_code)]

use std::ffi::{c_int, c_void};
use std::ptr::NonNull;
use std::time::{Duration, Instant};

use crate::source::Flags;

/// The PCRE2 8-bit API, declared here rather than through `pcre2-sys`.
///
/// Why not `pcre2-sys`: the vendored libgit2 (git2's `vendored-libgit2`)
/// statically links its own PCRE2 under the same symbol names. With both
/// archives in one binary, which copy a call resolves to depends on link
/// order, and some orders fail with duplicate symbols (or mix the two
/// versions). Declaring the functions without pulling `pcre2-sys` into the
/// library leaves exactly one PCRE2 in the `cfglint` binary: libgit2's
/// complete, unmodified copy (PCRE2 10.4x, Unicode support, no JIT). The
/// PCRE2 8-bit ABI is stable, so these declarations hold for any 10.x.
mod sys {
    use std::ffi::{c_int, c_void};

    /// Opaque compiled pattern.
    #[repr(C)]
    pub struct Code {
        _private: [u8; 0],
    }
    /// Opaque match data.
    #[repr(C)]
    pub struct MatchData {
        _private: [u8; 0],
    }
    /// Opaque match context.
    #[repr(C)]
    pub struct MatchContext {
        _private: [u8; 0],
    }

    pub const PCRE2_AUTO_CALLOUT: u32 = 0x0000_0004;
    pub const PCRE2_CASELESS: u32 = 0x0000_0008;
    pub const PCRE2_DOTALL: u32 = 0x0000_0020;
    pub const PCRE2_EXTENDED: u32 = 0x0000_0080;
    pub const PCRE2_MULTILINE: u32 = 0x0000_0400;
    pub const PCRE2_UTF: u32 = 0x0008_0000;
    pub const PCRE2_CONFIG_VERSION: u32 = 11;
    pub const PCRE2_INFO_LASTCODEUNIT: u32 = 11;
    pub const PCRE2_INFO_LASTCODETYPE: u32 = 12;
    pub const PCRE2_ERROR_NOMATCH: c_int = -1;
    pub const PCRE2_ERROR_CALLOUT: c_int = -37;
    pub const PCRE2_ERROR_MATCHLIMIT: c_int = -47;
    pub const PCRE2_ERROR_DEPTHLIMIT: c_int = -53;
    pub const PCRE2_ERROR_HEAPLIMIT: c_int = -63;

    /// The leading fields of `pcre2_callout_block` (stable since version
    /// 0 of the block; PCRE2 only appends fields).
    #[repr(C)]
    pub struct CalloutBlock {
        pub version: u32,
        pub callout_number: u32,
        pub capture_top: u32,
        pub capture_last: u32,
        pub offset_vector: *mut usize,
        pub mark: *const u8,
        pub subject: *const u8,
        pub subject_length: usize,
        pub start_match: usize,
        pub current_position: usize,
    }

    /// `int (*)(pcre2_callout_block *, void *)`.
    pub type Callout = unsafe extern "C" fn(*mut c_void, *mut c_void) -> c_int;

    unsafe extern "C" {
        pub fn pcre2_compile_8(
            pattern: *const u8,
            length: usize,
            options: u32,
            errorcode: *mut c_int,
            erroroffset: *mut usize,
            ccontext: *mut c_void,
        ) -> *mut Code;
        pub fn pcre2_code_free_8(code: *mut Code);
        pub fn pcre2_match_data_create_from_pattern_8(code: *const Code, gcontext: *mut c_void) -> *mut MatchData;
        pub fn pcre2_match_data_free_8(data: *mut MatchData);
        pub fn pcre2_match_context_create_8(gcontext: *mut c_void) -> *mut MatchContext;
        pub fn pcre2_match_context_free_8(mcontext: *mut MatchContext);
        pub fn pcre2_set_match_limit_8(mcontext: *mut MatchContext, value: u32) -> c_int;
        pub fn pcre2_set_depth_limit_8(mcontext: *mut MatchContext, value: u32) -> c_int;
        pub fn pcre2_set_heap_limit_8(mcontext: *mut MatchContext, value: u32) -> c_int;
        pub fn pcre2_set_callout_8(mcontext: *mut MatchContext, callout: Option<Callout>, data: *mut c_void) -> c_int;
        pub fn pcre2_match_8(
            code: *const Code,
            subject: *const u8,
            length: usize,
            startoffset: usize,
            options: u32,
            data: *mut MatchData,
            mcontext: *mut MatchContext,
        ) -> c_int;
        pub fn pcre2_get_ovector_pointer_8(data: *mut MatchData) -> *mut usize;
        pub fn pcre2_get_error_message_8(errorcode: c_int, buffer: *mut u8, bufflen: usize) -> c_int;
        pub fn pcre2_config_8(what: u32, where_: *mut c_void) -> c_int;
        pub fn pcre2_pattern_info_8(code: *const Code, what: u32, where_: *mut c_void) -> c_int;
    }
}

/// Limits applied to every match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most steps (callouts) one match may take, over all start positions.
    pub steps: u64,
    /// PCRE2 match limit (per start position; a backstop for the step
    /// budget, and the only limit on timed, uncounted matches).
    pub match_limit: u32,
    /// PCRE2 depth limit (nested backtracking frames).
    pub depth_limit: u32,
    /// PCRE2 heap limit in KiB.
    pub heap_limit_kib: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { steps: 10_000_000, match_limit: 10_000_000, depth_limit: 1_000_000, heap_limit_kib: 64 * 1024 }
    }
}

/// A pattern PCRE2 rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    /// PCRE2's message.
    pub message: String,
    /// Byte offset in the pattern where PCRE2 stopped.
    pub offset: usize,
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (pattern offset {})", self.message, self.offset)
    }
}

/// How one counted match ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The pattern matched.
    Match,
    /// The pattern did not match.
    NoMatch,
    /// A limit stopped the match before it decided.
    Limit(LimitKind),
}

/// Which limit stopped a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    /// Our step budget (the callout aborted).
    Steps,
    /// PCRE2's match limit.
    Match,
    /// PCRE2's depth limit.
    Depth,
    /// PCRE2's heap limit.
    Heap,
    /// Any other PCRE2 error (message kept).
    Other(i32),
}

/// The result of a counted match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    /// How it ended.
    pub outcome: Outcome,
    /// Steps taken (at most the budget, plus one).
    pub steps: u64,
    /// Subject bytes travelled between consecutive steps (the sum of
    /// `|position - previous position|`). A single-character repeat such
    /// as `\s+` consumes its whole run within one step, so steps alone
    /// miss the cost of scanning: `a+$` searched over `a…a!` takes O(n)
    /// steps but O(n²) byte reads. `steps + scanned` is the engine's work.
    pub scanned: u64,
}

/// State the callout reads and updates (boxed so its address is stable).
#[derive(Debug)]
struct Counter {
    steps: u64,
    limit: u64,
    scanned: u64,
    position: usize,
}

/// The callout: count one step and the distance moved since the last one;
/// abort once the budget is spent.
unsafe extern "C" fn count_step(block: *mut c_void, data: *mut c_void) -> c_int {
    // SAFETY: `data` is the `Counter` registered by `Pcre::count`, which
    // outlives the match and is not otherwise accessed during it.
    let counter = unsafe { &mut *data.cast::<Counter>() };
    // SAFETY: PCRE2 passes a valid callout block for the duration of the
    // call; `CalloutBlock` declares its leading, never-reordered fields.
    let position = unsafe { (*block.cast::<sys::CalloutBlock>()).current_position };
    counter.scanned += position.abs_diff(counter.position) as u64;
    counter.position = position;
    counter.steps += 1;
    if counter.steps > counter.limit { sys::PCRE2_ERROR_CALLOUT } else { 0 }
}

/// Owned PCRE2 code.
#[derive(Debug)]
struct Code(NonNull<sys::Code>);

impl Drop for Code {
    fn drop(&mut self) {
        // SAFETY: the pointer came from pcre2_compile_8 and is freed once.
        unsafe { sys::pcre2_code_free_8(self.0.as_ptr()) }
    }
}

/// Owned match data.
#[derive(Debug)]
struct MatchData(NonNull<sys::MatchData>);

impl Drop for MatchData {
    fn drop(&mut self) {
        // SAFETY: created by pcre2_match_data_create_from_pattern_8, freed once.
        unsafe { sys::pcre2_match_data_free_8(self.0.as_ptr()) }
    }
}

/// Owned match context.
#[derive(Debug)]
struct Context(NonNull<sys::MatchContext>);

impl Drop for Context {
    fn drop(&mut self) {
        // SAFETY: created by pcre2_match_context_create_8, freed once.
        unsafe { sys::pcre2_match_context_free_8(self.0.as_ptr()) }
    }
}

/// One pattern compiled twice (counted and plain) with its own match data
/// and contexts. Not shareable between threads (the match data is scratch
/// space); create one per worker.
#[derive(Debug)]
pub struct Pcre {
    counted: Code,
    plain: Code,
    data: MatchData,
    counted_ctx: Context,
    plain_ctx: Context,
    counter: Box<Counter>,
    limits: Limits,
}

// SAFETY: every pointer is owned by this value and used only through
// `&mut self`; PCRE2 objects hold no thread-local state.
unsafe impl Send for Pcre {}

/// The PCRE2 version linked in, e.g. `10.46 2025-08-27`.
pub fn version() -> String {
    let mut buf = [0u8; 64];
    // SAFETY: PCRE2_CONFIG_VERSION writes a NUL-terminated string of at
    // most 24 code units into the buffer.
    let n = unsafe { sys::pcre2_config_8(sys::PCRE2_CONFIG_VERSION, buf.as_mut_ptr().cast()) };
    if n <= 0 {
        return "unknown".to_owned();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

fn error_message(code: c_int) -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer and its length are valid; PCRE2 NUL-terminates.
    let n = unsafe { sys::pcre2_get_error_message_8(code, buf.as_mut_ptr(), buf.len()) };
    if n < 0 {
        return format!("PCRE2 error {code}");
    }
    String::from_utf8_lossy(&buf[..n as usize]).into_owned()
}

/// PCRE2 compile options for flags given outside the pattern.
pub(super) fn options(flags: Flags) -> u32 {
    let mut options = 0;
    if flags.case_insensitive {
        options |= sys::PCRE2_CASELESS;
    }
    if flags.multi_line {
        options |= sys::PCRE2_MULTILINE;
    }
    if flags.dot_all {
        options |= sys::PCRE2_DOTALL;
    }
    if flags.extended {
        options |= sys::PCRE2_EXTENDED;
    }
    options
}

fn compile(pattern: &str, options: u32) -> Result<Code, CompileError> {
    let mut err: c_int = 0;
    let mut offset: usize = 0;
    // SAFETY: pattern pointer and length are valid for the call; a null
    // compile context means defaults.
    let raw = unsafe {
        sys::pcre2_compile_8(
            pattern.as_ptr(),
            pattern.len(),
            options,
            &raw mut err,
            &raw mut offset,
            std::ptr::null_mut(),
        )
    };
    NonNull::new(raw).map(Code).ok_or_else(|| CompileError { message: error_message(err), offset })
}

fn context(limits: Limits) -> Context {
    // SAFETY: a null general context means malloc/free.
    let raw = unsafe { sys::pcre2_match_context_create_8(std::ptr::null_mut()) };
    let ctx = Context(NonNull::new(raw).expect("PCRE2 could not allocate a match context (out of memory)"));
    // SAFETY: ctx is a valid match context.
    unsafe {
        sys::pcre2_set_match_limit_8(ctx.0.as_ptr(), limits.match_limit);
        sys::pcre2_set_depth_limit_8(ctx.0.as_ptr(), limits.depth_limit);
        sys::pcre2_set_heap_limit_8(ctx.0.as_ptr(), limits.heap_limit_kib);
    }
    ctx
}

impl Pcre {
    /// Compile `pattern` with flags given outside it.
    pub fn new(pattern: &str, flags: Flags, limits: Limits) -> Result<Pcre, CompileError> {
        let options = options(flags);
        let plain = compile(pattern, options)?;
        let counted = compile(pattern, options | sys::PCRE2_AUTO_CALLOUT)?;
        // SAFETY: `counted` is valid code; a null general context means
        // malloc/free.
        let raw = unsafe { sys::pcre2_match_data_create_from_pattern_8(counted.0.as_ptr(), std::ptr::null_mut()) };
        let data = MatchData(NonNull::new(raw).expect("PCRE2 could not allocate match data (out of memory)"));
        let counted_ctx = context(limits);
        let plain_ctx = context(limits);
        let mut counter = Box::new(Counter { steps: 0, limit: limits.steps, scanned: 0, position: 0 });
        // SAFETY: the counter is boxed (stable address) and owned by the
        // returned value, which also owns the context; the callout only runs
        // inside `count`, during which nothing else touches the counter.
        unsafe {
            sys::pcre2_set_callout_8(counted_ctx.0.as_ptr(), Some(count_step), (&raw mut *counter).cast::<c_void>());
        }
        Ok(Pcre { counted, plain, data, counted_ctx, plain_ctx, counter, limits })
    }

    /// The last literal code unit (byte) every match must contain, as
    /// PCRE2 computed it: a subject without it fails before any
    /// backtracking. `None` when the pattern has none.
    pub fn required_last_code_unit(&self) -> Option<u8> {
        let (mut kind, mut unit) = (0u32, 0u32);
        // SAFETY: the code is valid; both queries write one uint32_t.
        let ok = unsafe {
            sys::pcre2_pattern_info_8(self.plain.0.as_ptr(), sys::PCRE2_INFO_LASTCODETYPE, (&raw mut kind).cast()) == 0
                && sys::pcre2_pattern_info_8(
                    self.plain.0.as_ptr(),
                    sys::PCRE2_INFO_LASTCODEUNIT,
                    (&raw mut unit).cast(),
                ) == 0
        };
        if ok && kind == 1 { u8::try_from(unit).ok() } else { None }
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Search `subject` with the counting build: did it match, and in how
    /// many steps. Stops after `limits.steps` steps.
    pub fn count(&mut self, subject: &[u8]) -> Counted {
        self.count_with_budget(subject, self.limits.steps)
    }

    /// [`Pcre::count`] with a budget other than the configured one (the
    /// worst-case probe uses a larger budget than corpus matches).
    pub fn count_with_budget(&mut self, subject: &[u8], budget: u64) -> Counted {
        self.counter.steps = 0;
        self.counter.limit = budget;
        self.counter.scanned = 0;
        self.counter.position = 0;
        // SAFETY: code, match data and context are valid and owned by self;
        // the subject slice is valid for the call; the callout data points
        // at self.counter (see `new`).
        let rc = unsafe {
            sys::pcre2_match_8(
                self.counted.0.as_ptr(),
                subject.as_ptr(),
                subject.len(),
                0,
                0,
                self.data.0.as_ptr(),
                self.counted_ctx.0.as_ptr(),
            )
        };
        Counted { outcome: outcome(rc), steps: self.counter.steps, scanned: self.counter.scanned }
    }

    /// Search `subject` with the plain (uncounted, un-instrumented) build
    /// and time it. Only PCRE2's own limits apply here, so call it on
    /// inputs whose counted run stayed within budget.
    pub fn time(&mut self, subject: &[u8]) -> (Outcome, Duration) {
        let start = Instant::now();
        // SAFETY: as in `count_with_budget`, with the plain code and context
        // (no callout registered).
        let rc = unsafe {
            sys::pcre2_match_8(
                self.plain.0.as_ptr(),
                subject.as_ptr(),
                subject.len(),
                0,
                0,
                self.data.0.as_ptr(),
                self.plain_ctx.0.as_ptr(),
            )
        };
        (outcome(rc), start.elapsed())
    }
}

/// Find the leftmost match of `pattern` in `subject` as PCRE2 reads it in
/// UTF mode: `Ok(Some((start, end)))` in bytes, `Ok(None)` for no match, or
/// `Err` with why the pattern was rejected or the match stopped. For tests
/// and cross-checks that compare the simulator with the real engine.
pub fn find_utf(pattern: &str, flags: Flags, subject: &str, limits: Limits) -> Result<Option<(usize, usize)>, String> {
    let options = sys::PCRE2_UTF | options(flags);
    let code = compile(pattern, options).map_err(|e| e.to_string())?;
    // SAFETY: `code` is valid; a null general context means malloc/free.
    let raw = unsafe { sys::pcre2_match_data_create_from_pattern_8(code.0.as_ptr(), std::ptr::null_mut()) };
    let data = MatchData(NonNull::new(raw).expect("PCRE2 could not allocate match data (out of memory)"));
    let ctx = context(limits);
    // SAFETY: code, data and context are valid for the call; the subject is
    // a valid UTF-8 slice (required by PCRE2_UTF).
    let rc = unsafe {
        sys::pcre2_match_8(code.0.as_ptr(), subject.as_ptr(), subject.len(), 0, 0, data.0.as_ptr(), ctx.0.as_ptr())
    };
    match outcome(rc) {
        Outcome::Match => {
            // SAFETY: after a successful match the ovector holds at least one
            // pair (the whole match).
            let (start, end) = unsafe {
                let ov = sys::pcre2_get_ovector_pointer_8(data.0.as_ptr());
                (*ov, *ov.add(1))
            };
            Ok(Some((start, end)))
        }
        Outcome::NoMatch => Ok(None),
        Outcome::Limit(kind) => Err(format!("stopped by a limit: {kind:?}")),
    }
}

fn outcome(rc: c_int) -> Outcome {
    match rc {
        rc if rc >= 0 => Outcome::Match,
        sys::PCRE2_ERROR_NOMATCH => Outcome::NoMatch,
        sys::PCRE2_ERROR_CALLOUT => Outcome::Limit(LimitKind::Steps),
        sys::PCRE2_ERROR_MATCHLIMIT => Outcome::Limit(LimitKind::Match),
        sys::PCRE2_ERROR_DEPTHLIMIT => Outcome::Limit(LimitKind::Depth),
        sys::PCRE2_ERROR_HEAPLIMIT => Outcome::Limit(LimitKind::Heap),
        other => Outcome::Limit(LimitKind::Other(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pcre(p: &str) -> Pcre {
        Pcre::new(p, Flags::default(), Limits::default()).expect("test pattern compiles")
    }

    #[test]
    fn exponential_steps_match_design_numbers() {
        let mut re = pcre("^(a+)+$");
        let mut got = Vec::new();
        for n in [10, 14, 18] {
            let subject = format!("{}!", "a".repeat(n));
            let c = re.count(subject.as_bytes());
            assert_eq!(c.outcome, Outcome::NoMatch);
            got.push(c.steps);
        }
        assert_eq!(got, [3_072, 49_152, 786_432]);
    }

    #[test]
    fn matches_and_counts_linear_patterns() {
        let mut re = pcre("ab+c");
        let c = re.count(b"xxabbbc");
        assert_eq!(c.outcome, Outcome::Match);
        assert!(c.steps > 0 && c.steps < 100, "{c:?}");
        assert_eq!(re.count(b"xyz").outcome, Outcome::NoMatch);
        assert_eq!(re.time(b"xxabbbc").0, Outcome::Match);
    }

    #[test]
    fn step_budget_stops_catastrophic_matches() {
        let limits = Limits { steps: 10_000, ..Limits::default() };
        let mut re = Pcre::new("^(a+)+$", Flags::default(), limits).unwrap();
        let subject = format!("{}!", "a".repeat(40));
        let c = re.count(subject.as_bytes());
        assert_eq!(c.outcome, Outcome::Limit(LimitKind::Steps));
        assert_eq!(c.steps, 10_001);
    }

    #[test]
    fn bytes_that_are_not_utf8_are_fine() {
        let mut re = pcre(r"\xff+x");
        assert_eq!(re.count(b"\xfe\xff\xffx").outcome, Outcome::Match);
    }

    #[test]
    fn compile_errors_carry_offset() {
        let e = Pcre::new("ab(c", Flags::default(), Limits::default()).unwrap_err();
        assert_eq!(e.offset, 4);
        assert!(e.message.contains("parenthesis"), "{}", e.message);
    }

    #[test]
    fn flags_apply() {
        let flags = Flags { case_insensitive: true, ..Flags::default() };
        let mut re = Pcre::new("abc", flags, Limits::default()).unwrap();
        assert_eq!(re.count(b"xABC").outcome, Outcome::Match);
    }
}
