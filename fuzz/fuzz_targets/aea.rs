#![no_main]
//! Fuzz target `aea`: the body is `wfc::fuzz_targets::aea`, shared with `tests/fuzz_smoke.rs`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wfc::fuzz_targets::aea(data));
