//! Restore module timelines on every edge case a log can hold: a module
//! without `modulestatus`, repeated module names, an action that never
//! ends, times that go backwards, old logs without times, a module left
//! open by a running item or by a session that ended, and a hostile log
//! with more `start_module` lines than the budget. The generator's truth
//! covers the ordinary cases (tests/generated.rs compares every module).

use std::path::Path;

use xferlens_replay::{read_session_dir, ItemStatus, ModuleState, ReadOptions, Session};

fn ctl(contents: &str) -> String {
    format!("{{\"pid\":1,\"type\":\"control\",\"contents\":{{{contents}}}}}\n")
}

fn start_module(name: &str, time: Option<i64>) -> String {
    match time {
        Some(t) => ctl(&format!(
            r#""action":"start_module","msg":["{name}"],"time":{t}"#
        )),
        None => ctl(&format!(r#""action":"start_module","msg":["{name}"]"#)),
    }
}

fn end_module(name: &str, time: Option<i64>) -> String {
    match time {
        Some(t) => ctl(&format!(
            r#""action":"end_module","msg":["{name}"],"time":{t}"#
        )),
        None => ctl(&format!(r#""action":"end_module","msg":["{name}"]"#)),
    }
}

fn status(name: &str, st: i64, msg: &str) -> String {
    format!("{{\"pid\":1,\"type\":\"modulestatus\",\"contents\":{{\"module\":\"{name}\",\"status\":{st},\"statusmsg\":\"{msg}\"}}}}\n")
}

/// A session whose master log starts one RESTORE of `bob` (and ends the
/// session when `end` is given), with `item_log` as bob's item log.
fn session(dir: &Path, item_log: &str, end: Option<&str>) -> Session {
    let mut m = ctl(r#""action":"start","child_number":0,"time":100"#);
    m += &ctl(
        r#""action":"start","queue":"RESTORE","item":"bob","item_type":"AccountRemoteRoot","child_number":1,"time":100"#,
    );
    if let Some(action) = end {
        m += &ctl(&format!(
            r#""action":"{action}","child_number":0,"time":500"#
        ));
    }
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("master.log"), m).unwrap();
    std::fs::write(dir.join("item-RESTORE_AccountRemoteRoot_bob"), item_log).unwrap();
    read_session_dir(dir, None, &ReadOptions::default()).unwrap()
}

fn modules(s: &Session) -> &[xferlens_replay::Module] {
    &s.items[0].log.as_ref().unwrap().modules
}

#[test]
fn every_edge_case_reads_as_the_log_says() {
    let tmp = tempfile::tempdir().unwrap();
    let mut log = String::new();
    // Ended without modulestatus.
    log += &start_module("Account", Some(100));
    log += &end_module("Account", Some(102));
    // Repeated name: two separate runs, each with its own status.
    log += &start_module("Homedir", Some(102));
    log += &ctl(r#""action":"start_action","msg":["Extract files"],"time":103"#);
    log += &ctl(r#""action":"end_action","msg":["Extract files"],"time":150"#);
    log += &ctl(r#""action":"start_action","msg":["Set permissions"],"time":150"#);
    // ...that action never ends.
    log += &status("Homedir", 1, "Homedir restored.");
    log += &end_module("Homedir", Some(160));
    log += &start_module("Homedir", Some(160));
    log += &status("Homedir", 1, "again");
    log += &end_module("Homedir", Some(170));
    // Times that go backwards: no duration, never negative.
    log += &start_module("Mysql", Some(200));
    log += &status("Mysql", 0, "Disk quota exceeded");
    log += &end_module("Mysql", Some(190));
    // Left open: the item is still running.
    log += &start_module("Mail", Some(210));
    let s = session(&tmp.path().join("running"), &log, None);
    let m = modules(&s);
    let names: Vec<&str> = m.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["Account", "Homedir", "Homedir", "Mysql", "Mail"]);
    let states: Vec<ModuleState> = m.iter().map(|m| m.state).collect();
    assert_eq!(
        states,
        [
            ModuleState::Ended,
            ModuleState::Success,
            ModuleState::Success,
            ModuleState::Failed,
            ModuleState::Running
        ]
    );
    let durations: Vec<Option<i64>> = m.iter().map(|m| m.duration_s()).collect();
    assert_eq!(durations, [Some(2), Some(58), Some(10), None, None]);
    assert_eq!(m[2].statusmsg.as_deref(), Some("again"));
    let a = &m[1].actions;
    assert_eq!(a.len(), 2);
    assert_eq!((a[0].duration_s(), a[1].end_line), (Some(47), None));
    assert_eq!(s.items[0].status, ItemStatus::Running);
    assert_eq!(s.items[0].failed_module().unwrap().name, "Mysql");

    // The same log in a session that ended: the open module is unfinished.
    let s = session(&tmp.path().join("ended"), &log, Some("fail"));
    assert_eq!(modules(&s)[4].state, ModuleState::Unfinished);
}

#[test]
fn old_logs_without_times_have_no_durations() {
    let tmp = tempfile::tempdir().unwrap();
    let log =
        start_module("Homedir", None) + &status("Homedir", 1, "ok") + &end_module("Homedir", None);
    let s = session(&tmp.path().join("old"), &log, Some("complete"));
    let m = &modules(&s)[0];
    assert_eq!(
        (m.started_at, m.finished_at, m.duration_s()),
        (None, None, None)
    );
    assert_eq!(m.state, ModuleState::Success);
}

#[test]
fn a_flood_of_start_module_lines_is_capped_and_said() {
    let tmp = tempfile::tempdir().unwrap();
    let mut log = String::new();
    for i in 0..1500 {
        log += &start_module(&format!("M{i}"), Some(100 + i));
    }
    let s = session(&tmp.path().join("flood"), &log, None);
    assert_eq!(modules(&s).len(), xferlens_replay::limits::MODULES_MAX);
    assert!(
        s.diagnostics
            .iter()
            .any(|d| d.to_string().contains("more than 1000 modules: 500 lines")),
        "{:?}",
        s.diagnostics
    );
}
