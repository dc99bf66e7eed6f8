//! Fuzz target `tar_headers`: see `xferlens_replay::fuzzing::tar_headers`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| xferlens_replay::fuzzing::tar_headers(data));
