//! Replays every saved fuzzer input (`fuzz/regressions/<target>/*`, the
//! inputs that once found a bug plus seeds) through the same entry points
//! the cargo-fuzz targets call. CI runs this instead of the fuzzers.

use std::path::Path;

use xferlens_replay::fuzzing;

/// A fuzz target's entry point.
type Target = fn(&[u8]);

#[test]
fn saved_fuzz_inputs_still_pass() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions");
    let targets: [(&str, Target); 5] = [
        ("lines", fuzzing::lines),
        ("input", fuzzing::input),
        ("archive", fuzzing::archive),
        ("replay", fuzzing::replay),
        ("tar_headers", fuzzing::tar_headers),
    ];
    let mut n = 0;
    for (name, f) in targets {
        let dir = root.join(name);
        for e in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let p = e.unwrap().path();
            let data = std::fs::read(&p).unwrap();
            f(&data);
            n += 1;
        }
    }
    assert!(n >= 4, "each target keeps at least its seed inputs");
}
