//! Issue 28: what cPanel's Perl writes, read as it means it. Each test is
//! built from a small hand-written input and names the Perl behaviour it
//! follows (see docs/FORMAT.md).

use std::fs;
use std::path::Path;

use xferlens_replay::*;

/// Writes `files` (name, text) into a fresh session directory `id`.
fn session_dir(root: &Path, id: &str, files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir = root.join(id);
    fs::create_dir_all(&dir).unwrap();
    for (name, text) in files {
        fs::write(dir.join(name), text).unwrap();
    }
    dir
}

fn read_dir(dir: &Path) -> Session {
    read_session_dir(dir, None, &ReadOptions::default()).unwrap()
}

fn read_file(path: &Path) -> Session {
    let mut all = load(
        &Source::File(path.to_owned()),
        None,
        &ReadOptions::default(),
    );
    assert_eq!(all.len(), 1);
    all.pop().unwrap().expect("a session")
}

/// An item log as a worker writes it: `percentage 0` before `start`,
/// both with `time` (Processor.pm `_process_dequeued_item`: `set_percentage(0)`
/// then `start($queue)`; Item.pm `message` adds `time`).
const WORKER_LOG: &str = concat!(
    r#"{"pid":501,"type":"control","contents":{"action":"percentage","percentage":0,"time":1764338401},"indent":0,"partial":0}"#,
    "\n",
    r#"{"pid":501,"type":"start","contents":{"msg":["Starting “TRANSFER” for “Account” “bob” → “bob2”."],"time":1764338401},"indent":0,"partial":0}"#,
    "\n",
    r#"{"pid":501,"type":"out","contents":{"msg":["Copying …"],"time":1764338402},"indent":0,"partial":0}"#,
    "\n",
    r#"{"pid":501,"type":"control","contents":{"action":"percentage","percentage":100,"time":1764338409},"indent":0,"partial":0}"#,
    "\n",
    r#"{"pid":501,"type":"failed","contents":{"msg":["Failed: the archive is cut."],"time":1764338409},"indent":0,"partial":0}"#,
    "\n",
);

#[test]
fn a_worker_item_log_read_alone_is_its_item_not_an_empty_session() {
    // Issue 28, point 1: detection looks past the leading percentage line,
    // and the start line's words are queue, label, item and local name
    // (Item.pm `start`), not queue, type, item.
    let tmp = tempfile::tempdir().unwrap();
    let saved = tmp.path().join("saved.log");
    fs::write(&saved, WORKER_LOG).unwrap();
    let api = tmp.path().join("response.json");
    let body = serde_json::json!({
        "data": { "log": WORKER_LOG },
        "metadata": { "result": 1, "command": "fetch_transfer_session_log" }
    });
    fs::write(&api, body.to_string()).unwrap();
    for (path, file) in [(&saved, "saved.log"), (&api, "response.json")] {
        let s = read_file(path);
        assert_eq!(s.items.len(), 1, "{}", path.display());
        let it = &s.items[0];
        assert_eq!(it.queue, "TRANSFER");
        assert_eq!(it.item, "bob");
        assert_eq!(it.item_name.as_deref(), Some("Account"), "the label");
        assert_eq!(it.item_type, "", "the start line names no type");
        assert_eq!(it.local_item.as_deref(), Some("bob2"));
        assert_eq!(it.logfile.as_deref(), Some(file));
        assert_eq!(it.status, ItemStatus::Failed);
        assert_eq!(it.started_at, Some(1764338401));
    }
    // Under its own name, the type comes from the name.
    let dir = session_dir(
        tmp.path(),
        "s1",
        &[("item-TRANSFER_AccountRemoteRoot_bob", WORKER_LOG)],
    );
    let s = read_file(&dir.join("item-TRANSFER_AccountRemoteRoot_bob"));
    let it = &s.items[0];
    assert_eq!(
        (it.item_type.as_str(), it.item_name.as_deref()),
        ("AccountRemoteRoot", Some("Account"))
    );
    assert_eq!(it.local_item.as_deref(), Some("bob2"));
}

#[test]
fn a_master_log_is_not_taken_for_an_item_log() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("saved.log");
    fs::write(
        &p,
        concat!(
            r#"{"pid":9,"type":"control","contents":{"action":"start","child_number":0,"time":1}}"#,
            "\n",
            r#"{"pid":9,"type":"control","contents":{"action":"complete","child_number":0,"time":2}}"#,
            "\n"
        ),
    )
    .unwrap();
    let s = read_file(&p);
    assert_eq!(s.state, SessionState::Completed);
    assert!(s.master.is_some());
}

#[test]
fn the_start_line_words_of_a_renamed_item() {
    let w = start_words("Starting “RESTORE” for “Account” “bob” → “bob2”.").unwrap();
    assert_eq!(
        (
            w.queue.as_str(),
            w.label.as_str(),
            w.item.as_str(),
            w.local_item.as_deref()
        ),
        ("RESTORE", "Account", "bob", Some("bob2"))
    );
    let w = start_words("Starting “TRANSFER” for “Package” “gold”.").unwrap();
    assert_eq!(w.local_item, None);
    assert_eq!(start_words("Starting something."), None);
}

const MASTER_RUNNING: &str = concat!(
    r#"{"pid":100,"type":"control","contents":{"action":"start","child_number":0,"time":1764338400}}"#,
    "\n",
    r#"{"pid":100,"type":"control","contents":{"action":"queue_count","queue":"TRANSFER","msg":1,"child_number":0,"time":1764338400}}"#,
    "\n",
    r#"{"pid":100,"type":"control","contents":{"action":"remotehost","msg":"src.example.net","child_number":0,"time":1764338400}}"#,
    "\n",
    r#"{"pid":501,"type":"control","contents":{"action":"start","child_number":1,"queue":"TRANSFER","item":"bob","item_type":"AccountRemoteRoot","item_name":"Account","logfile":"item-TRANSFER_AccountRemoteRoot_bob","time":1764338401}}"#,
    "\n",
    r#"{"pid":501,"type":"control","contents":{"action":"start-item","child_number":1,"queue":"TRANSFER","item":"bob","item_type":"AccountRemoteRoot","item_name":"Account","logfile":"item-TRANSFER_AccountRemoteRoot_bob","msg":{"size":1000},"time":1764338401}}"#,
    "\n",
);

#[test]
fn the_active_master_error_log_is_read_and_the_completed_one_wins() {
    // Issue 28, point 2: Session/Logs.pm opens `master.error_log` for
    // append under its active (dot) name, and `mark_session_completed`
    // renames it with the master log.
    let tmp = tempfile::tempdir().unwrap();
    let dir = session_dir(
        tmp.path(),
        "running",
        &[
            (".master.log", MASTER_RUNNING),
            (".master.error_log", "warn: one\nwarn: two\n"),
        ],
    );
    let s = read_dir(&dir);
    assert_eq!(s.error_log_lines, 2);
    assert_eq!(s.error_log[0], "warn: one");
    let dir = session_dir(
        tmp.path(),
        "renaming",
        &[
            (".master.log", MASTER_RUNNING),
            (".master.error_log", "old: a\nold: b\nold: c\n"),
            ("master.error_log", "done: a\n"),
        ],
    );
    let s = read_dir(&dir);
    assert_eq!(s.error_log, vec!["done: a".to_owned()]);
    assert_eq!(
        classify(".master.error_log"),
        FileRole::ErrorLog { active: true }
    );
}

#[test]
fn stderr_text_in_an_item_log_is_an_error_line_not_damage() {
    // Issue 28, point 3: Session.pm `exec_with_output_directed_to_fh`
    // points the item's STDOUT and STDERR at its log, so a child
    // program's stderr and Perl `warn` land there as plain text.
    let mut log = WORKER_LOG.to_owned();
    log.push_str("Use of uninitialized value $x in concatenation at Foo.pm line 3.\n");
    log.push_str("  tar: Removing leading `/' from member names\n");
    log.push_str("{\"pid\":501,\"type\":\"out\",\"contents\":{\"msg\":[\"cut\"\n");
    let tmp = tempfile::tempdir().unwrap();
    let dir = session_dir(
        tmp.path(),
        "s",
        &[("item-TRANSFER_AccountRemoteRoot_bob", log.as_str())],
    );
    let s = read_dir(&dir);
    let l = s.items[0].log.as_ref().unwrap();
    assert_eq!(l.stderr_lines, 2);
    assert_eq!(l.error_count, 2);
    assert_eq!(l.errors[0].line, 6);
    assert!(l.errors[0].text.starts_with("Use of uninitialized"));
    assert_eq!(
        l.errors[1].text,
        "tar: Removing leading `/' from member names"
    );
    // Only the broken JSON line is a diagnostic.
    let broken: Vec<_> = s
        .diagnostics
        .iter()
        .filter(|d| d.kind.line_skipped())
        .collect();
    assert_eq!(broken.len(), 1, "{:?}", s.diagnostics);
    assert_eq!(broken[0].line, 8);
    assert_eq!(s.skipped_lines, 1);
}

#[test]
fn stderr_text_in_a_master_log_stays_a_diagnostic() {
    let mut log = MASTER_RUNNING.to_owned();
    log.push_str("Use of uninitialized value at Processor.pm line 9.\n");
    let (s, _) = replay_master("master.log", log.as_bytes(), &Default::default()).unwrap();
    assert_eq!(s.skipped_lines, 1);
}

#[test]
fn a_null_or_empty_module_status_is_a_failure() {
    // Issue 28, point 4: AccountRestoration.pm `_run_restore_modules`
    // stops at a module whose status is false (`return ( $ok, $msg ) if
    // !$ok`); null and "" are false to Perl.
    let mut log = String::new();
    for (m, status) in [("Homedir", "null"), ("Mysql", "\"\""), ("Mail", "1")] {
        log.push_str(&format!(
            "{{\"type\":\"control\",\"contents\":{{\"action\":\"start_module\",\"msg\":[\"{m}\"]}}}}\n\
             {{\"type\":\"modulestatus\",\"contents\":{{\"module\":\"{m}\",\"status\":{status},\"statusmsg\":\"x\"}}}}\n\
             {{\"type\":\"control\",\"contents\":{{\"action\":\"end_module\"}}}}\n"
        ));
    }
    let (l, _) = replay_item_log(
        "item-RESTORE_AccountRemoteRoot_bob",
        "item-RESTORE_AccountRemoteRoot_bob",
        false,
        log.as_bytes(),
        &Default::default(),
    )
    .unwrap();
    let states: Vec<ModuleState> = l.modules.iter().map(|m| m.state).collect();
    assert_eq!(
        states,
        [
            ModuleState::Failed,
            ModuleState::Failed,
            ModuleState::Success
        ]
    );
}

#[test]
fn a_cascade_restore_keeps_its_worker_and_log_file() {
    // Issue 28, point 5: Processor.pm `_mark_item_failed_in_subsequent_queues`
    // writes `start-item` and `failed-item` for RESTORE through
    // `_master_message`, which names the worker's child number and the
    // RESTORE log file.
    let mut log = MASTER_RUNNING.to_owned();
    let f = r#""child_number":1,"queue":"QQ","item":"bob","item_type":"AccountRemoteRoot","item_name":"Account","logfile":"item-QQ_AccountRemoteRoot_bob""#;
    for (action, queue, msg) in [
        (
            "failed-item",
            "TRANSFER",
            r#"{"failure":"cut","size":1000}"#,
        ),
        ("start-item", "RESTORE", r#"{"size":1000}"#),
        ("failed-item", "RESTORE", r#"{"failure":"cut","size":1000}"#),
    ] {
        log.push_str(&format!(
            "{{\"pid\":501,\"type\":\"control\",\"contents\":{{\"action\":\"{action}\",{},\"msg\":{msg},\"time\":1764338409}}}}\n",
            f.replace("QQ", queue)
        ));
    }
    let (s, _) = replay_master("master.log", log.as_bytes(), &Default::default()).unwrap();
    let r = s.items.iter().find(|i| i.queue == "RESTORE").unwrap();
    assert!(r.cascaded);
    assert_eq!(r.child, Some(1));
    assert_eq!(r.pid, Some(501));
    assert_eq!(
        r.logfile.as_deref(),
        Some("item-RESTORE_AccountRemoteRoot_bob")
    );
}

#[test]
fn an_offline_abort_is_the_state_not_the_end_time() {
    // Issue 28, point 6: Session.pm `mark_session_aborted` writes the
    // `abort` itself (`_offline_master_message`, another process) when
    // the session's master is not running, possibly days later.
    let mut log = MASTER_RUNNING.to_owned();
    log.push_str(
        r#"{"pid":777,"type":"control","contents":{"action":"abort","child_number":0,"time":1764424800}}"#,
    );
    log.push('\n');
    let (s, _) = replay_master("master.log", log.as_bytes(), &Default::default()).unwrap();
    assert_eq!(s.state, SessionState::Aborted);
    assert!(s.ended_offline);
    assert_eq!(s.offline_end_at, Some(1764424800));
    assert_eq!(s.finished_at, Some(1764338401), "the last line of its own");
    assert_eq!(s.duration_s(), Some(1));
    // The master's own abort is its end.
    let mut log = MASTER_RUNNING.to_owned();
    log.push_str(
        r#"{"pid":100,"type":"control","contents":{"action":"abort","child_number":0,"time":1764338500}}"#,
    );
    log.push('\n');
    let (s, _) = replay_master("master.log", log.as_bytes(), &Default::default()).unwrap();
    assert!(!s.ended_offline);
    assert_eq!(s.finished_at, Some(1764338500));
}

#[test]
fn a_session_aborted_before_it_started_did_nothing() {
    let log = concat!(
        r#"{"pid":777,"type":"control","contents":{"action":"abort","child_number":0,"time":1764424800}}"#,
        "\n"
    );
    let tmp = tempfile::tempdir().unwrap();
    let dir = session_dir(tmp.path(), "never", &[("master.log", log)]);
    let s = read_dir(&dir);
    assert_eq!(s.state, SessionState::Aborted);
    assert_eq!(s.percent(), 0.0);
    assert_eq!(s.duration_s(), None);
}

#[test]
fn a_finished_queue_of_a_running_session_has_no_eta() {
    let mut log = MASTER_RUNNING.to_owned();
    log.push_str(r#"{"pid":100,"type":"control","contents":{"action":"queue_count","queue":"RESTORE","msg":1,"child_number":0,"time":1764338400}}"#);
    log.push('\n');
    log.push_str(r#"{"pid":501,"type":"control","contents":{"action":"success-item","child_number":1,"queue":"TRANSFER","item":"bob","item_type":"AccountRemoteRoot","msg":{"size":1000},"time":1764338409}}"#);
    log.push('\n');
    let tmp = tempfile::tempdir().unwrap();
    let dir = session_dir(tmp.path(), "r", &[(".master.log", log.as_str())]);
    let s = read_dir(&dir);
    assert_eq!(s.state, SessionState::Running);
    let t = s.queue("TRANSFER").unwrap();
    assert_eq!(t.percent, 100.0);
    assert!(t.throughput_bps.is_some());
    assert_eq!(t.eta_s, None);
}

fn fixture(name: &str) -> Session {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/sessions");
    read_dir(&dir.join(name))
}

#[test]
fn the_generated_offline_abort_ends_at_its_own_last_line() {
    // The generator's offline-abort session: a master that died mid-run,
    // and a day later the API process's `abort` (issue 28, points 6, 7).
    let s = fixture("sourceofflineabortcopy20251128");
    assert_eq!(s.state, SessionState::Aborted);
    assert!(s.ended_offline);
    let d = s.duration_s().unwrap();
    assert!(
        d < 3600,
        "duration {d}s: the abort a day later is not the end"
    );
    assert!(s.offline_end_at.unwrap() - s.finished_at.unwrap() >= 86_400);
    assert!(s.items.iter().any(|i| i
        .failure
        .as_deref()
        .is_some_and(|f| f.starts_with("unfinished when the session ended"))));
    assert_eq!(s.error_log_lines, 1, "master.error_log, renamed");
}

#[test]
fn the_generated_never_started_session_is_at_zero() {
    let s = fixture("sourceneverstartedcopy20251128");
    assert_eq!(s.state, SessionState::Aborted);
    assert!(s.items.is_empty());
    assert_eq!(s.percent(), 0.0);
    assert_eq!(s.started_at, None);
}

#[test]
fn the_generated_running_session_has_its_active_error_log_and_stderr() {
    let s = fixture("sourcerunningcopy20251128");
    assert_eq!(s.error_log_lines, 1, ".master.error_log");
    let s = fixture("sourcecleancopy20251128");
    let stderr: u64 = s
        .items
        .iter()
        .filter_map(|i| i.log.as_ref())
        .map(|l| l.stderr_lines)
        .sum();
    assert!(stderr > 0);
    assert!(s.diagnostics.is_empty(), "{:?}", s.diagnostics);
}

#[test]
fn a_line_of_nul_bytes_is_damage_not_stderr() {
    // A file zero-filled by a crash is no program's output.
    assert!(is_stderr_text("tar: Removing leading `/'"));
    assert!(!is_stderr_text("  {\"broken\""));
    assert!(!is_stderr_text("\0\0\0\0"));
    let (l, d) = replay_item_log(
        "item-TRANSFER_AccountRemoteRoot_bob",
        "item-TRANSFER_AccountRemoteRoot_bob",
        false,
        &b"\0\0\0\0\n"[..],
        &Default::default(),
    )
    .unwrap();
    assert_eq!(l.stderr_lines, 0);
    assert_eq!(d.len(), 1);
}
