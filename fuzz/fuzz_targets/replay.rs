//! Fuzz target `replay`: see `xferlens_replay::fuzzing::replay`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| xferlens_replay::fuzzing::replay(data));
