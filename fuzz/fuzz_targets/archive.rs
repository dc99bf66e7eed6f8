//! Fuzz target `archive`: see `xferlens_replay::fuzzing::archive`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| xferlens_replay::fuzzing::archive(data));
