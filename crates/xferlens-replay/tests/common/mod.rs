//! Shared helpers: compare a replayed session with the generator's truth.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use xferlens_gen::{Expected, ExpectedModule, ExpectedQueue};
use xferlens_replay::{read_session_dir, ReadOptions, Session};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

pub fn read(dir: &Path) -> Session {
    read_session_dir(dir, None, &ReadOptions::default()).expect("session reads")
}

pub fn expected(dir: &Path) -> Expected {
    let text = std::fs::read_to_string(dir.join("expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("expected parses")
}

/// Asserts that replay found exactly what the generator wrote.
pub fn check_against_truth(s: &Session, ex: &Expected) {
    assert_eq!(s.id, ex.id);
    assert_eq!(s.state.as_str(), ex.state, "{}: state", ex.id);
    // A session aborted before it started names no host.
    let host = Some(ex.remote_host.as_str()).filter(|h| !h.is_empty());
    assert_eq!(s.remote_host.as_deref(), host, "{}: host", ex.id);
    assert_eq!(
        s.error_log_lines, ex.error_log_lines,
        "{}: error log",
        ex.id
    );
    let stderr: u64 = s
        .items
        .iter()
        .filter_map(|i| i.log.as_ref())
        .map(|l| l.stderr_lines)
        .sum();
    assert_eq!(stderr, ex.stderr_lines, "{}: stderr lines", ex.id);
    let items: BTreeMap<String, String> = s
        .items
        .iter()
        .map(|i| (i.key(), i.status.as_str().to_owned()))
        .collect();
    let missing_pending: Vec<_> = ex
        .items
        .iter()
        .filter(|(k, v)| !items.contains_key(*k) && v.as_str() != "pending")
        .collect();
    assert!(
        missing_pending.is_empty(),
        "{}: items not replayed: {missing_pending:?}",
        ex.id
    );
    for (k, v) in &items {
        assert_eq!(Some(v), ex.items.get(k), "{}: item {k}", ex.id);
    }
    let queues: BTreeMap<String, ExpectedQueue> = s
        .queues
        .iter()
        .map(|q| {
            (
                q.name.clone(),
                ExpectedQueue {
                    items_total: q.items_total,
                    success: q.success,
                    warning: q.warning,
                    failed: q.failed,
                    running: q.running,
                    pending: q.pending,
                },
            )
        })
        .collect();
    assert_eq!(queues, ex.queues, "{}: queues", ex.id);
    assert_eq!(
        s.skipped_lines, ex.skipped_lines,
        "{}: skipped lines {:#?}",
        ex.id, s.diagnostics
    );
    assert_eq!(
        s.unmentioned_logs.len() as u64,
        ex.unmentioned_logs,
        "{}: unmentioned",
        ex.id
    );
    assert_eq!(
        s.child_failures.len() as u64,
        ex.child_failures,
        "{}: child failures",
        ex.id
    );
    assert_eq!(modules_of(s), ex.modules, "{}: module timelines", ex.id);
}

/// The replayed module timelines, in the generator's terms.
pub fn modules_of(s: &Session) -> BTreeMap<String, Vec<ExpectedModule>> {
    s.items
        .iter()
        .filter_map(|it| {
            let mods = &it.log.as_ref()?.modules;
            (!mods.is_empty()).then(|| {
                let v = mods
                    .iter()
                    .map(|m| ExpectedModule {
                        name: m.name.clone(),
                        started_at: m.started_at,
                        finished_at: m.finished_at,
                        state: m.state.as_str().to_owned(),
                        actions: m
                            .actions
                            .iter()
                            .map(|a| (a.name.clone(), a.started_at, a.finished_at))
                            .collect(),
                    })
                    .collect();
                (it.key(), v)
            })
        })
        .collect()
}
