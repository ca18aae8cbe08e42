//! Fuzz the pattern parser for every flavor: it must never panic, and it
//! must return within its limits.
#![no_main]

use cfglint::analysis::parse::{ParseConfig, parse};
use cfglint::source::Flavor;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(pattern) = std::str::from_utf8(data) else { return };
    for flavor in Flavor::ALL {
        let _ = parse(pattern, &ParseConfig::new(flavor));
    }
});
