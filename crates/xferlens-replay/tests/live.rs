//! Reading a session directory while a writer appends to its active logs
//! and renames `.item-*` to `item-*` (and `.master.log` to `master.log`)
//! gives consistent snapshots: no error, no item counted twice, and the
//! final read matches the truth.

mod common;
use common::*;

use std::collections::HashSet;
use std::fs::OpenOptions;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use xferlens_gen::{generate_session, GenOptions, Scenario};
use xferlens_replay::{read_session_dir, ReadOptions};

#[test]
fn snapshots_of_a_session_being_written_are_consistent() {
    let src_root = tempfile::tempdir().unwrap();
    let o = GenOptions {
        seed: 5,
        accounts: 8,
        lines_per_item: 60,
        workers: 3,
        scenario: Scenario::Failures,
        ..GenOptions::default()
    };
    let ex = generate_session(src_root.path(), &o).unwrap();
    let src = src_root.path().join(&ex.id);
    let dst_root = tempfile::tempdir().unwrap();
    let dst = dst_root.path().join(&ex.id);
    std::fs::create_dir_all(&dst).unwrap();

    let done = Arc::new(AtomicBool::new(false));
    let writer = {
        let (src, dst, done) = (src.clone(), dst.clone(), done.clone());
        std::thread::spawn(move || {
            let master = std::fs::read_to_string(src.join("master.log")).unwrap();
            let mut items: Vec<String> = std::fs::read_dir(&src)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("item-"))
                .collect();
            items.sort();
            let append = |path: &std::path::Path, text: &str| {
                let mut f = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .unwrap();
                // Write in two halves so readers can see a cut line.
                // (Bytes, not chars: a reader may even see half a character.)
                let (a, b) = text.as_bytes().split_at(text.len() / 2);
                f.write_all(a).unwrap();
                f.flush().unwrap();
                f.write_all(b).unwrap();
            };
            let mut lines = master.lines();
            for name in &items {
                for l in lines.by_ref().take(3) {
                    append(&dst.join(".master.log"), &format!("{l}\n"));
                }
                let active = dst.join(format!(".{name}"));
                for l in std::fs::read_to_string(src.join(name)).unwrap().lines() {
                    append(&active, &format!("{l}\n"));
                }
                std::fs::rename(&active, dst.join(name)).unwrap();
            }
            for l in lines {
                append(&dst.join(".master.log"), &format!("{l}\n"));
            }
            std::fs::rename(dst.join(".master.log"), dst.join("master.log")).unwrap();
            done.store(true, Ordering::SeqCst);
        })
    };

    let mut snapshots = 0;
    loop {
        // Stop when the writer is done (or died: its panic surfaces at join).
        let finished = done.load(Ordering::SeqCst) || writer.is_finished();
        let had_master = dst.join(".master.log").exists() || dst.join("master.log").exists();
        match read_session_dir(&dst, None, &ReadOptions::default()) {
            Ok(s) => {
                snapshots += 1;
                let keys: Vec<String> = s.items.iter().map(|i| i.key()).collect();
                let unique: HashSet<&String> = keys.iter().collect();
                assert_eq!(unique.len(), keys.len(), "an item counted twice: {keys:?}");
                for q in &s.queues {
                    assert!(
                        q.finished() + q.running + q.pending == q.items_total,
                        "{q:?}"
                    );
                }
            }
            Err(e) => {
                // Only before the first file exists.
                assert!(!had_master, "{e}");
            }
        }
        if finished {
            break;
        }
    }
    writer.join().unwrap();
    assert!(snapshots > 1);
    let s = read(&dst);
    let mut ex = ex;
    ex.id = s.id.clone();
    check_against_truth(&s, &ex);
}
