//! Helpers for the end-to-end tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// A path below `fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    root().join("fixtures").join(rel)
}

/// "Now" for every test run: 2026-11-28T15:53:58Z, so that staleness
/// (and anything else judged against the clock) is reproducible.
pub const NOW: &str = "1795881238";

/// The xferlens binary, run from the repository root with a clean
/// environment for colour and a fixed "now".
pub fn xferlens() -> Command {
    let mut c = Command::cargo_bin("xferlens").unwrap();
    c.current_dir(root())
        .env_remove("NO_COLOR")
        .env("TERM", "xterm")
        .env("XFERLENS_NOW", NOW);
    c
}

/// Runs xferlens with `args`; returns (exit code, stdout, stderr).
pub fn run(args: &[&str]) -> (i32, String, String) {
    let out = xferlens().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// True when `program --version` runs: for tests that need a tool the
/// machine may lack (they say SKIPPED when it is missing).
pub fn has_program(program: &str) -> bool {
    std::process::Command::new(program)
        .arg("--version")
        .output()
        .is_ok()
}
