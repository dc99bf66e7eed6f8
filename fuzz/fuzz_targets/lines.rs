//! Fuzz target `lines`: see `xferlens_replay::fuzzing::lines`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| xferlens_replay::fuzzing::lines(data));
