//! Fuzz target `input`: see `xferlens_replay::fuzzing::input`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| xferlens_replay::fuzzing::input(data));
