//! Issue 27, "wrong answers": each answer checked on generated sessions
//! against the generator's truth (`expected.json`).

mod common;
use common::*;

use std::path::{Path, PathBuf};

use xferlens_gen::{generate_session, Expected, GenOptions, Scenario};

/// Generates one session of `scenario` under `root`; returns its path and
/// its truth.
fn generated(root: &Path, scenario: Scenario, seed: u64, accounts: usize) -> (PathBuf, Expected) {
    let o = GenOptions {
        seed,
        accounts,
        lines_per_item: 6,
        scenario,
        ..GenOptions::default()
    };
    let ex = generate_session(root, &o).unwrap();
    (root.join(&ex.id), ex)
}

#[test]
fn check_passes_on_a_healthy_live_session() {
    let dir = tempfile::tempdir().unwrap();
    let (sess, ex) = generated(dir.path(), Scenario::Running, 7, 6);
    assert_eq!(ex.state, "RUNNING");
    assert_eq!(ex.skipped_lines, 0, "a live file's cut line is not skipped");
    let cut = std::fs::read_dir(&sess)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .filter(|e| !std::fs::read(e.path()).unwrap().ends_with(b"\n"))
        .count();
    assert!(cut >= 2, "the master and a running item log end mid-line");
    let (code, out, err) = run(&["check", sess.to_str().unwrap()]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    let (code, _, _) = run(&["--strict", "check", sess.to_str().unwrap()]);
    assert_eq!(code, 0);
    // A completed file that ends mid-line was cut: still a diagnostic.
    let done = sess.join("master.log");
    std::fs::rename(sess.join(".master.log"), &done).unwrap();
    let (code, out, _) = run(&["check", sess.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        out.contains("master.log:") && out.contains("partial-line"),
        "{out}"
    );
}
