#![no_main]
//! Fuzz target `fast_plist`: the body is `wfc::fuzz_targets::fast_plist`, shared with `tests/fuzz_smoke.rs`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wfc::fuzz_targets::fast_plist(data));
