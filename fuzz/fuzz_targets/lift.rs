#![no_main]
//! Fuzz target `lift`: the body is `wfc::fuzz_targets::lift`, shared with `tests/fuzz_smoke.rs`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wfc::fuzz_targets::lift(data));
