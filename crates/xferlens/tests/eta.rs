//! Issue 27, point 4: the live ETA, replayed in time. One generated
//! timeline is cut at several points; at each cut, with "now" pinned to
//! the cut, the predicted end of every queue (cut + ETA) must land near
//! the queue's true end (its last item's finish in the uncut logs). The
//! old rule (finished bytes over the span to the last finish) was 10x off
//! on the first cut of seed 42.

mod common;
use common::*;

use std::path::{Path, PathBuf};

use xferlens_gen::{generate_session, GenOptions, Scenario};
use xferlens_replay::{read_session_dir, ReadOptions};

/// The session of `seed` cut at `cut` (a fraction of its span), under
/// `root`.
fn cut_session(root: &Path, seed: u64, cut: f64) -> PathBuf {
    let o = GenOptions {
        seed,
        accounts: 8,
        // Enough lines for a percentage line every tenth of an item.
        lines_per_item: 40,
        workers: 2,
        scenario: Scenario::Running,
        cut: Some(cut),
        ..GenOptions::default()
    };
    let ex = generate_session(root, &o).unwrap();
    root.join(&ex.id)
}

/// The session's start, its last line, and each queue's true end (the
/// last finish of its items), from the logs of the whole timeline.
fn truth(root: &Path, seed: u64) -> (i64, i64, Vec<(String, i64)>) {
    let s = read_session_dir(&cut_session(root, seed, 1.0), None, &ReadOptions::default()).unwrap();
    let ends = s
        .queues
        .iter()
        .map(|q| {
            let end = s.items.iter().filter(|it| it.queue == q.name);
            (
                q.name.clone(),
                end.filter_map(|it| it.finished_at).max().unwrap(),
            )
        })
        .collect();
    (s.started_at.unwrap(), s.newest_time().unwrap(), ends)
}

/// `progress --format ndjson` of `dir` with "now" at `now`.
fn progress(dir: &Path, now: i64) -> serde_json::Value {
    let out = xferlens()
        .env("XFERLENS_NOW", now.to_string())
        .args(["progress", "--format", "ndjson", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_live_eta_lands_near_the_true_end() {
    let mut checked = 0;
    for seed in [3, 11, 42, 77, 1234] {
        let full = tempfile::tempdir().unwrap();
        let (t0, last, ends) = truth(full.path(), seed);
        for cut in [0.2, 0.35, 0.5, 0.65, 0.8] {
            let root = tempfile::tempdir().unwrap();
            let dir = cut_session(root.path(), seed, cut);
            // The generator's cut: the start, a second, then `cut` of the span.
            let now = t0 + 1 + ((last - t0) as f64 * cut) as i64;
            let v = progress(&dir, now);
            assert_eq!(v["state"], "RUNNING");
            for q in v["queues"].as_array().unwrap() {
                let name = q["queue"].as_str().unwrap();
                let end = ends.iter().find(|(n, _)| n == name).unwrap().1;
                let (pct, eta) = (q["percent"].as_f64().unwrap(), q["eta_s"].as_f64());
                let left = (end - now) as f64;
                let at =
                    format!("seed {seed}, cut {cut}, {name} at {pct:.1}%: {eta:?} s for {left} s");
                if left <= 0.0 {
                    assert_eq!(eta, None, "a finished queue has no ETA ({at})");
                    continue;
                }
                if pct < 20.0 {
                    continue;
                }
                let eta = eta.unwrap_or_else(|| panic!("an ETA ({at})"));
                // Within 2x of the time left (3x for RESTORE, which waits for
                // its TRANSFERs and works with workers idle meanwhile); in
                // the last seconds, within 20 s (a running item logs its
                // percentage by tenths).
                let factor = if name == "RESTORE" { 3.0 } else { 2.0 };
                let near = if left >= 10.0 {
                    (left / factor..=left * factor).contains(&eta)
                } else {
                    eta <= 20.0
                };
                assert!(near, "{at}");
                checked += 1;
            }
        }
    }
    assert!(checked >= 10, "only {checked} cuts had an ETA to check");
}

#[test]
fn no_eta_once_the_session_goes_quiet() {
    let root = tempfile::tempdir().unwrap();
    let dir = cut_session(root.path(), 3, 0.5);
    let newest = read_session_dir(&dir, None, &ReadOptions::default())
        .unwrap()
        .newest_time()
        .unwrap();
    let text = |now: i64| {
        let out = xferlens()
            .env("XFERLENS_NOW", now.to_string())
            .args(["progress", dir.to_str().unwrap()])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(text(newest).contains("ETA "), "{}", text(newest));
    // A day without a new line: stale, no ETA.
    assert!(!text(newest + 86_400).contains("ETA "));
}
