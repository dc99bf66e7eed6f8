//! One test per writer behaviour the replay must get exactly right.

mod common;
use common::*;
use xferlens_parse::ParseOptions;
use xferlens_replay::*;

fn session(name: &str) -> Session {
    let dir = fixtures().join("sessions").join(name);
    let s = read(&dir);
    check_against_truth(&s, &expected(&dir));
    s
}

#[test]
fn clean_complete_session() {
    let s = session("sourcecleancopy20251128");
    assert_eq!(s.state, SessionState::Completed);
    assert_eq!(s.initiator.as_deref(), Some("copyacct"));
    assert!(s.duration_s().unwrap() > 0);
    assert!(s.items.iter().all(|i| i.status == ItemStatus::Success));
    assert!(s
        .items
        .iter()
        .all(|i| i.log.as_ref().is_some_and(|l| l.complete)));
    for q in &s.queues {
        assert_eq!(q.percent, 100.0);
        assert_eq!(q.bytes_done, q.bytes_total as f64);
        assert!(q.throughput_bps.unwrap() > 0.0);
        assert_eq!(q.state, QueueState::Completed);
    }
    assert_eq!(whm_state(&s), "COMPLETED");
    assert!(s.diagnostics.is_empty(), "{:?}", s.diagnostics);
}

#[test]
fn warning_items_keep_counts_and_details() {
    let s = session("sourcewarningscopy20251128");
    let warned: Vec<&Item> = s
        .items
        .iter()
        .filter(|i| i.status == ItemStatus::Warning)
        .collect();
    assert!(!warned.is_empty());
    for it in warned {
        assert!(it.counts.any(), "{}", it.key());
        if it.queue == "RESTORE" {
            assert!(!it.details.dangerous_items.is_empty());
            assert!(it.details.altered_items[0].text.contains('“'));
            let log = it.log.as_ref().unwrap();
            assert_eq!(log.warning_count, 2);
            assert!(log.summary.is_some());
        }
    }
}

#[test]
fn failed_transfer_cascades_to_restore() {
    let s = session("sourcefailurescopy20251128");
    let failed_t: Vec<&Item> = s
        .items
        .iter()
        .filter(|i| i.queue == "TRANSFER" && i.status == ItemStatus::Failed)
        .collect();
    assert!(!failed_t.is_empty());
    for t in failed_t {
        assert!(t.failure.as_deref().unwrap().contains("Connection reset"));
        let r = s
            .items
            .iter()
            .find(|i| i.queue == "RESTORE" && i.item == t.item)
            .unwrap();
        assert_eq!(r.status, ItemStatus::Failed);
        assert!(r.cascaded, "{} not marked as cascade", r.key());
        let log = r.log.as_ref().expect("cascade log");
        assert_eq!(
            log.volume.lines, 2,
            "a cascaded RESTORE log holds a start and a failed line"
        );
        assert!(!log.result.as_ref().unwrap().success);
    }
    // A RESTORE failure of its own is not a cascade.
    assert!(s
        .items
        .iter()
        .any(|i| i.queue == "RESTORE" && i.status == ItemStatus::Failed && !i.cascaded));
    let accounts = s.accounts();
    assert!(accounts.iter().any(|a| a.overall == ItemStatus::Failed));
}

#[test]
fn worker_crash_and_respawn() {
    let s = session("sourceworkercrashcopy20251128");
    assert_eq!(s.child_failures.len(), 1);
    let cf = &s.child_failures[0];
    assert_eq!(cf.retry.as_deref(), Some("1/3"));
    let it = &s.items[cf.item.expect("crash names its item")];
    assert!(it.worker_crashed);
    assert_eq!(it.status, ItemStatus::Failed);
    // The master wrote the failure with its own pid: the item keeps the worker's.
    let w = s
        .workers
        .iter()
        .find(|w| w.queue == it.queue && w.child == it.child.unwrap())
        .unwrap();
    assert_eq!(w.crashes, 1);
    assert_eq!(
        w.pids.len(),
        2,
        "respawned worker: same child number, new pid"
    );
    assert_eq!(it.pid, Some(w.pids[0]));
    let log = it.log.as_ref().unwrap();
    assert_eq!(log.last_percentage, Some(100.0));
    assert!(!log.result.as_ref().unwrap().success);
    let r = s
        .items
        .iter()
        .find(|i| i.queue == "RESTORE" && i.item == it.item)
        .unwrap();
    assert!(r.cascaded);
}

#[test]
fn pause_then_resume_by_a_new_master() {
    let s = session("sourcepauseresumecopy20251128");
    let marks: Vec<&str> = s.timeline.iter().map(|m| m.action.as_str()).collect();
    assert_eq!(marks, ["start", "pausing", "pause", "resume", "complete"]);
    let pause = &s.timeline[2];
    let resume = &s.timeline[3];
    assert_ne!(pause.pid, resume.pid, "resume comes from a new master pid");
    // Totals written before the pause still hold.
    let t = s.queue("TRANSFER").unwrap();
    assert_eq!(t.items_total, 5);
    assert!(t.bytes_total > 0 && t.percent == 100.0);
    // Items started after the resume exist, and their workers have new pids.
    let after: Vec<&Item> = s
        .items
        .iter()
        .filter(|i| i.started_at > resume.time)
        .collect();
    assert!(!after.is_empty());
    assert!(s.workers.iter().any(|w| w.pids.len() == 2));
}

#[test]
fn abort_leaves_pending_items() {
    let s = session("sourceabortcopy20251128");
    assert_eq!(s.state, SessionState::Aborted);
    assert!(s.queues.iter().all(|q| q.pending > 0));
    assert!(s
        .items
        .iter()
        .any(|i| i.failure.as_deref() == Some("Aborted.")));
    assert!(s.queues.iter().all(|q| q.state == QueueState::Failed));
    assert!(s.queues.iter().all(|q| q.percent < 100.0));
    assert_eq!(whm_state(&s), "ABORTED");
}

#[test]
fn running_session_cut_mid_line() {
    let s = session("sourcerunningcopy20251128");
    assert_eq!(s.state, SessionState::Running);
    assert!(s.master.as_ref().unwrap().active);
    assert!(s.finished_at.is_none());
    let running: Vec<&Item> = s
        .items
        .iter()
        .filter(|i| i.status == ItemStatus::Running)
        .collect();
    assert!(!running.is_empty());
    for it in &running {
        let log = it.log.as_ref().expect("running item has its active log");
        assert!(log.active && !log.complete);
        let p = it.percent().unwrap();
        assert!((0.0..100.0).contains(&p));
    }
    let partial = s
        .diagnostics
        .iter()
        .filter(|d| d.kind.code() == "partial-line")
        .count();
    // Every cut line is the last line of a live (dot) file: the writer's
    // next line, not damage (docs/FORMAT.md, "A leading dot").
    assert_eq!(partial, 0);
    let q = s.queue("TRANSFER").unwrap();
    assert!(q.percent > 0.0 && q.percent < 100.0);
    assert!(q.eta_s.is_some());
    assert!(whm_state(&s).ends_with("_INPROGRESS"));
}

#[test]
fn renamed_accounts_keep_local_item() {
    let s = session("sourcerenamedcopy20251128");
    let renamed: Vec<&Item> = s
        .items
        .iter()
        .filter(|i| i.local_item.as_deref().is_some_and(|l| l != i.item))
        .collect();
    assert!(!renamed.is_empty());
    let acc = s.accounts();
    assert!(acc
        .iter()
        .any(|a| a.local_item.as_deref().is_some_and(|l| l != a.item)));
}

#[test]
fn old_format_seed_with_string_pids_and_no_times() {
    let dir = fixtures().join("seed/vm5docscpanelcopya20140224163412sylG");
    let s = read(&dir);
    assert_eq!(s.id, "vm5docscpanelcopya20140224163412sylG");
    assert_eq!(s.state, SessionState::Completed);
    assert_eq!(s.version.as_deref(), Some("1.6"));
    assert_eq!(s.remote_host.as_deref(), Some("vm5.docs.cpanel.net"));
    assert_eq!(s.started_at, None);
    assert_eq!(s.duration_s(), None);
    assert!(s.diagnostics.is_empty(), "{:?}", s.diagnostics);
    let t = s.queue("TRANSFER").unwrap();
    assert_eq!(
        (t.items_total, t.success, t.warning, t.failed),
        (3, 3, 0, 0)
    );
    let r = s.queue("RESTORE").unwrap();
    assert_eq!((r.items_total, r.success, r.warning), (3, 0, 3));
    assert_eq!(t.percent, 100.0, "no sizes: progress counted in items");
    assert_eq!(t.bytes_total, 0);
    let colin = s
        .items
        .iter()
        .find(|i| i.queue == "RESTORE" && i.item == "colin")
        .unwrap();
    assert_eq!(colin.pid, Some(14365));
    assert_eq!(colin.counts.dangerous_items, 1);
    assert_eq!(colin.details.altered_items.len(), 2);
    assert_eq!(
        colin.details.altered_items[0].text,
        "mySQL database “colin_testdatabase” restored as “testdatabase”"
    );
    assert_eq!(
        colin.details.dangerous_items[0].module.as_deref(),
        Some("Mysql")
    );
    assert_eq!(s.workers.len(), 5);
    assert!(s.workers.iter().all(|w| w.completed));
}

#[test]
fn interleaved_workers_are_attributed_correctly() {
    let s = session("sourcemixedcopy20251128");
    // The master log interleaves workers of both queues.
    let text =
        std::fs::read_to_string(fixtures().join("sessions/sourcemixedcopy20251128/master.log"))
            .unwrap();
    let pids: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split("\"pid\":").nth(1))
        .map(|p| &p[..5])
        .collect();
    let switches = pids.windows(2).filter(|w| w[0] != w[1]).count();
    assert!(switches > 10);
    for w in &s.workers {
        for &i in &w.items {
            let it = &s.items[i];
            assert_eq!(it.queue, w.queue);
            assert_eq!(it.child, Some(w.child));
            assert!(w.pids.contains(&it.pid.unwrap()));
        }
    }
}

#[test]
fn item_log_without_master_mention_is_reported() {
    let s = session("sourcegarbagecopy20251128");
    assert_eq!(
        s.unmentioned_logs,
        ["item-TRANSFER_AccountRemoteRoot_ghost"]
    );
    // As on WHM's page: not an item, and outside the queue totals.
    assert!(s.items.iter().all(|i| i.item != "ghost"));
    let transfer = s.queue("TRANSFER").unwrap();
    assert_eq!(
        (transfer.items_total, transfer.success),
        (5, 5),
        "queue_count says 5"
    );
    assert!(s
        .diagnostics
        .iter()
        .any(|d| d.kind.code() == "unmentioned-item-log"));
    assert_eq!(s.error_log_lines, 2);
    assert!(s
        .diagnostics
        .iter()
        .any(|d| d.kind.code() == "invalid-utf8"));
}

#[test]
fn master_log_alone_from_an_api_response() {
    let f = std::fs::File::open(fixtures().join("logs/seed-api-response.json")).unwrap();
    let (s, v) = replay_master("seed-api-response.json", f, &ParseOptions::default()).unwrap();
    assert_eq!(v.lines, 30);
    assert_eq!(s.items.len(), 6);
    assert!(s.items.iter().all(|i| i.log.is_none()));
    let mut b = SessionBuilder::new("seed");
    b.add_master(
        s,
        LogFile {
            name: "master.log".into(),
            active: false,
            modified: None,
        },
        v,
    );
    let s = b.finish();
    assert_eq!(s.queue("RESTORE").unwrap().warning, 3);
}

#[test]
fn unsafe_logfile_names_are_never_opened() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(
        &secret,
        "{\"type\":\"failed\",\"contents\":{\"msg\":[\"SECRET\"]}}\n",
    )
    .unwrap();
    let sess = dir.path().join("sess1");
    std::fs::create_dir(&sess).unwrap();
    let mut log = String::new();
    for (n, name) in [
        "../secret",
        "/etc/shadow",
        "item-x/../../y",
        "item-TRANSFER_AccountRemoteRoot_link",
    ]
    .iter()
    .enumerate()
    {
        log.push_str(&format!(
            "{{\"pid\":{},\"type\":\"control\",\"contents\":{{\"action\":\"start\",\"child_number\":1,\"queue\":\"TRANSFER\",\"item\":\"u{n}\",\"item_type\":\"AccountRemoteRoot\",\"logfile\":{}}}}}\n",
            100 + n,
            serde_json::to_string(name).unwrap()
        ));
    }
    std::fs::write(sess.join("master.log"), log).unwrap();
    std::os::unix::fs::symlink(&secret, sess.join("item-TRANSFER_AccountRemoteRoot_link")).unwrap();
    let s = read(&sess);
    assert_eq!(
        s.diagnostics
            .iter()
            .filter(|d| d.kind.code() == "unsafe-logfile")
            .count(),
        3
    );
    assert!(s
        .diagnostics
        .iter()
        .any(|d| d.kind.code() == "symlink-not-followed"));
    assert!(
        s.items.iter().all(|i| i.log.is_none()),
        "nothing outside the session dir was read"
    );
    assert!(!format!("{s:?}").contains("SECRET"));
}

#[test]
fn lines_without_a_queue_pick_the_same_worker_every_time() {
    // Child 1 works in both queues; `child-failed` and `complete` name no
    // queue. The first worker of that number (in order of appearance) is
    // the one meant, on every replay: no hash order may leak in.
    let log = [
        r#"{"pid":10,"type":"control","contents":{"action":"start","child_number":0,"time":100}}"#,
        r#"{"pid":11,"type":"control","contents":{"action":"start","child_number":1,"queue":"TRANSFER","item":"a","item_type":"AccountRemoteRoot","time":101}}"#,
        r#"{"pid":12,"type":"control","contents":{"action":"start","child_number":1,"queue":"RESTORE","item":"b","item_type":"AccountRemoteRoot","time":102}}"#,
        r#"{"pid":10,"type":"control","contents":{"action":"child-failed","child_number":1,"msg":"1/3","time":103}}"#,
        r#"{"pid":11,"type":"control","contents":{"action":"complete","child_number":1,"time":104}}"#,
    ]
    .join("\n");
    let replay = || {
        let (s, _) = replay_master("m", log.as_bytes(), &ParseOptions::default()).unwrap();
        format!("{:?} {:?} {:?}", s.workers, s.child_failures, s.items)
    };
    let first = replay();
    assert!(first.contains("crashes: 1"), "{first}");
    for _ in 0..32 {
        assert_eq!(replay(), first);
    }
}
