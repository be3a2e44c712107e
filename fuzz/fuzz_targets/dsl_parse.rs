#![no_main]
//! Fuzz target `dsl_parse`: the body is `wfc::fuzz_targets::dsl_parse`, shared with `tests/fuzz_smoke.rs`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| wfc::fuzz_targets::dsl_parse(data));
