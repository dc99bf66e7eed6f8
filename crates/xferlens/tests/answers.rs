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

/// The CSV rows of `xferlens ARGS`, as (header, records).
fn csv_rows(args: &[&str]) -> Vec<std::collections::HashMap<String, String>> {
    let (code, out, err) = run(args);
    assert_eq!(code, 0, "{err}");
    let mut r = csv::Reader::from_reader(out.as_bytes());
    let head: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            head.iter()
                .cloned()
                .zip(rec.iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

/// The truth of one account: (TRANSFER status, RESTORE status), from
/// `expected.json`.
fn truth(ex: &Expected, item_type: &str, item: &str) -> (String, String) {
    let of = |q: &str| ex.items[&format!("{q}/{item_type}/{item}")].clone();
    (of("TRANSFER"), of("RESTORE"))
}

#[test]
fn account_filters_choose_rows_and_never_change_them() {
    let dir = tempfile::tempdir().unwrap();
    // Seed 3: a failed TRANSFER (with its cascade) and a RESTORE that
    // failed after a TRANSFER that succeeded.
    let (sess, ex) = generated(dir.path(), Scenario::Failures, 3, 10);
    let sess = sess.to_str().unwrap();
    let all = csv_rows(&["items", "--accounts", "--format", "csv", sess]);
    let pairs: Vec<(String, String)> = all
        .iter()
        .map(|r| truth(&ex, &r["item_type"], &r["item"]))
        .collect();
    assert!(pairs.iter().any(|p| p.0 == "failed"), "{pairs:?}");
    assert!(
        pairs.iter().any(|p| p.0 == "success" && p.1 == "failed"),
        "{pairs:?}"
    );
    for (filter, want) in [
        (["--status", "failed"], "failed"),
        (["--queue", "RESTORE"], ""),
        (["--status", "success"], "success"),
    ] {
        let mut args = vec!["items", "--accounts", "--format", "csv"];
        args.extend(filter);
        args.push(sess);
        let rows = csv_rows(&args);
        assert!(!rows.is_empty(), "{filter:?}");
        for r in &rows {
            let (t, x) = truth(&ex, &r["item_type"], &r["item"]);
            assert_eq!(
                (&r["transfer_status"], &r["restore_status"]),
                (&t, &x),
                "{filter:?}"
            );
            let same = all.iter().find(|a| a["item"] == r["item"]).unwrap();
            assert_eq!(same, r, "{filter:?}: the row is the unfiltered row");
            if !want.is_empty() {
                assert_eq!(r["overall"], want, "{filter:?}");
            }
        }
        let expected_n = all
            .iter()
            .filter(|a| want.is_empty() || a["overall"] == want)
            .count();
        assert_eq!(rows.len(), expected_n, "{filter:?}");
    }
}

/// Sessions of several scenarios under one root; their truths.
fn small_fleet(root: &Path) -> Vec<Expected> {
    [
        (Scenario::Clean, 1),
        (Scenario::Failures, 3),
        (Scenario::Warnings, 5),
        (Scenario::PauseResume, 2),
        (Scenario::Abort, 4),
    ]
    .into_iter()
    .map(|(sc, seed)| generated(root, sc, seed, 8).1)
    .collect()
}

/// The "N restored" of a fleet page's first line.
fn restored(html: &str) -> String {
    let line = html.lines().find(|l| l.contains(" restored.</p>")).unwrap();
    let head = line.trim_end_matches(" restored.</p>");
    head[head.rfind("; ").unwrap() + 2..].to_owned()
}

#[test]
fn one_restored_total_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("sessions");
    let truth: u64 = small_fleet(&root).iter().map(|e| e.restored_bytes).sum();
    let want = xferlens_report::time::bytes(truth as f64);
    let out = dir.path().join("out");
    let (code, _, err) = run(&["batch", root.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_eq!(restored(&page), want, "batch's page");
    let (_, report, _) = run(&["report", "--format", "html", root.to_str().unwrap()]);
    assert_eq!(restored(&report), want, "report --format html");
    let sum =
        |file: &str, col: &str, keep: &dyn Fn(&csv::StringRecord, &csv::StringRecord) -> bool| {
            let mut r = csv::Reader::from_path(out.join(file)).unwrap();
            let head = r.headers().unwrap().clone();
            let at = head.iter().position(|h| h == col).unwrap();
            r.records()
                .map(Result::unwrap)
                .filter(|rec| keep(&head, rec))
                .map(|rec| rec[at].parse::<u64>().unwrap_or(0))
                .sum::<u64>()
        };
    assert_eq!(sum("hosts.csv", "bytes", &|_, _| true), truth, "hosts.csv");
    let restored_item = |h: &csv::StringRecord, r: &csv::StringRecord| {
        let col = |n: &str| &r[h.iter().position(|x| x == n).unwrap()];
        col("queue") == "RESTORE" && matches!(col("status"), "success" | "warning")
    };
    assert_eq!(
        sum("items.csv", "size_bytes", &restored_item),
        truth,
        "items.csv"
    );
}

/// The nearest-rank quantile, as the reports compute it.
fn quantile(mut v: Vec<f64>, q: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    Some(v[rank - 1])
}

/// Per host: the truth of its p50 per-account throughput (accounts only,
/// over the time each took), and its failed items.
fn host_truth(ex: &[Expected]) -> std::collections::BTreeMap<String, (Option<u64>, u64)> {
    let mut per: std::collections::BTreeMap<String, (Vec<f64>, u64)> = Default::default();
    for e in ex {
        let h = per.entry(e.remote_host.clone()).or_default();
        for (key, m) in &e.moved {
            if key.starts_with("Account") && m.size > 0 {
                h.0.push(m.size as f64 / m.work_s.max(1) as f64);
            }
        }
        h.1 += e.items.values().filter(|s| *s == "failed").count() as u64;
    }
    per.into_iter()
        .map(|(k, (v, f))| (k, (quantile(v, 0.5).map(|t| t.round() as u64), f)))
        .collect()
}

/// The rows of a Markdown table under `## title`: each row's first cell.
fn md_table_hosts(md: &str, title: &str) -> Vec<String> {
    md.split(&format!("## {title}\n"))
        .nth(1)
        .unwrap_or_else(|| panic!("no {title}: {md}"))
        .lines()
        .skip(3)
        .take_while(|l| l.starts_with('|'))
        .map(|l| l.split('|').nth(1).unwrap().trim().to_owned())
        .collect()
}

#[test]
fn host_throughput_is_over_accounts_and_tables_sort_by_their_question() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("sessions");
    let ex = small_fleet(&root);
    let truth = host_truth(&ex);
    let out = dir.path().join("out");
    let (code, _, err) = run(&["batch", root.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let mut r = csv::Reader::from_path(out.join("hosts.csv")).unwrap();
    let head = r.headers().unwrap().clone();
    let col = |rec: &csv::StringRecord, n: &str| {
        rec[head.iter().position(|h| h == n).unwrap()].to_owned()
    };
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), truth.len());
    for rec in &rows {
        let (p50, failed) = &truth[&col(rec, "remote_host")];
        let got = col(rec, "throughput_p50_bps").parse::<u64>().ok();
        assert_eq!(
            &got,
            p50,
            "{}: p50 over accounts only",
            col(rec, "remote_host")
        );
        assert_eq!(col(rec, "failed_items"), failed.to_string());
    }
    let failed: Vec<u64> = rows
        .iter()
        .map(|r| col(r, "failed_items").parse().unwrap())
        .collect();
    assert!(
        failed.windows(2).all(|w| w[0] >= w[1]),
        "hosts.csv: most failures first: {failed:?}"
    );
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let mut by_failures: Vec<(&String, u64)> = truth
        .iter()
        .filter(|(_, t)| t.1 > 0)
        .map(|(h, t)| (h, t.1))
        .collect();
    by_failures.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let want: Vec<String> = by_failures.iter().map(|(h, _)| h.to_string()).collect();
    assert_eq!(
        md_table_hosts(&md, "Source hosts with the most failures"),
        want
    );
    let mut by_speed: Vec<(&String, u64)> =
        truth.iter().filter_map(|(h, t)| Some((h, t.0?))).collect();
    by_speed.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(b.0)));
    let want: Vec<String> = by_speed.iter().map(|(h, _)| h.to_string()).collect();
    let got = md_table_hosts(&md, "Slowest source hosts (per-account throughput)");
    assert_eq!(got, want);
}

#[test]
fn paused_time_is_no_work() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("sessions");
    let (sess, ex) = generated(&root, Scenario::PauseResume, 2, 8);
    assert!(ex.paused_s > 600, "the generator pauses for minutes");
    let spanning: Vec<&String> = ex
        .moved
        .iter()
        .filter(|(_, m)| m.wall_s > m.work_s)
        .map(|(k, _)| k)
        .collect();
    assert!(!spanning.is_empty(), "some accounts span the pause");
    let sess = sess.to_str().unwrap();
    // Items: duration_s is the time worked, wall_s the span.
    let items = csv_rows(&["items", "--format", "csv", sess]);
    for r in items.iter().filter(|r| !r["wall_s"].is_empty()) {
        let (d, w): (i64, i64) = (
            r["duration_s"].parse().unwrap(),
            r["wall_s"].parse().unwrap(),
        );
        assert!(d <= w, "{r:?}");
    }
    // The session: its wall span less the pause.
    let json = run(&["report", "--format", "json", sess]).1;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let s = &v["sessions"][0];
    let (d, w) = (
        s["duration_s"].as_i64().unwrap(),
        s["wall_s"].as_i64().unwrap(),
    );
    assert_eq!(w - d, ex.paused_s, "{s}");
    // The fleet report's account lists: each account's time is its truth.
    let out = dir.path().join("out");
    let (code, _, err) = run(&["batch", root.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let slowest = md.split("## Slowest accounts\n").nth(1).unwrap();
    let mut rows = 0;
    for l in slowest.lines().skip(3).take_while(|l| l.starts_with('|')) {
        let cells: Vec<&str> = l.split('|').map(str::trim).collect();
        let name = cells[1].trim_start_matches("Account ");
        let m = &ex.moved[&format!("AccountRemoteRoot/{name}")];
        assert_eq!(cells[5], xferlens_report::time::duration(m.work_s), "{l}");
        rows += 1;
    }
    assert!(rows > 0, "{md}");
    // The summary's per-queue rate: bytes over the time worked, so the
    // paused session's RESTORE rate is that of its items, not minutes
    // slower.
    let (_, summary, _) = run(&["progress", "--format", "ndjson", sess]);
    let p: serde_json::Value = serde_json::from_str(summary.trim()).unwrap();
    for q in p["queues"].as_array().unwrap() {
        let bps = q["throughput_bps"].as_f64().unwrap();
        let total = q["bytes_total"].as_f64().unwrap();
        let wall = w as f64;
        assert!(bps > total / wall * 1.5, "{q}: rate over the time worked");
    }
}

/// The accounts of a session's truth that are named by its log (their
/// TRANSFER started) and not moved: what the re-run list must name once
/// the session has ended or gone quiet.
fn unfinished_named(ex: &Expected) -> Vec<String> {
    let mut v: Vec<String> = ex
        .items
        .iter()
        .filter_map(|(k, st)| {
            let rest = k.strip_prefix("TRANSFER/")?;
            let (ty, item) = rest.split_once('/')?;
            (ty.starts_with("Account") && st != "pending").then_some(item)
        })
        .filter(|item| !ex.moved.contains_key(&format!("AccountRemoteRoot/{item}")))
        .map(str::to_owned)
        .collect();
    v.sort();
    v
}

/// The accounts `retry` lists (their names), and its text.
fn retry(args: &[&str]) -> (Vec<String>, String) {
    let (code, out, err) = run(&[&["retry"], args].concat());
    assert_eq!(code, 0, "{err}");
    let mut names: Vec<String> = out
        .lines()
        .filter(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().nth(2).map(str::to_owned))
        .collect();
    names.sort();
    (names, out)
}

#[test]
fn the_rerun_list_counts_dead_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("sessions");
    // A year before the pinned "now": stale by default.
    let (running, ex) = generated(&root, Scenario::Running, 7, 8);
    let running = running.to_str().unwrap();
    let want = unfinished_named(&ex);
    assert!(!want.is_empty());
    let (names, out) = retry(&[running]);
    assert_eq!(names, want, "a stale session has ended: {out}");
    assert!(!out.contains("still in progress"), "{out}");
    // Fresh (a long --stale-after): in progress, and the count honours
    // the filters.
    let (names, out) = retry(&["--stale-after", "36500d", running]);
    assert!(names.is_empty(), "{out}");
    assert!(
        out.contains(&format!("{} account(s) still in progress", want.len())),
        "{out}"
    );
    let (_, out) = retry(&["--stale-after", "36500d", "--status", "failed", running]);
    assert!(!out.contains("still in progress"), "{out}");
    let one = format!("{}*", &want[0]);
    let (_, out) = retry(&["--stale-after", "36500d", "--account", &one, running]);
    assert!(out.contains("1 account(s) still in progress"), "{out}");
    // batch's accounts.csv says the same.
    let out_dir = dir.path().join("out");
    let (code, _, err) = run(&[
        "batch",
        root.to_str().unwrap(),
        "-o",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let mut r = csv::Reader::from_path(out_dir.join("accounts.csv")).unwrap();
    let head = r.headers().unwrap().clone();
    let at = |n: &str| head.iter().position(|h| h == n).unwrap();
    let mut rerun: Vec<String> = r
        .records()
        .map(Result::unwrap)
        .filter(|rec| &rec[at("to_rerun")] == "yes")
        .map(|rec| rec[at("item")].to_owned())
        .collect();
    rerun.sort();
    assert_eq!(rerun, want);
    // A later attempt that moved them supersedes the running session,
    // live or not.
    let later = GenOptions {
        seed: 8,
        accounts: 0,
        names: Some(want.clone()),
        host: Some(ex.remote_host.clone()),
        start_time: GenOptions::default().start_time + 86_400,
        lines_per_item: 4,
        scenario: Scenario::Clean,
        ..GenOptions::default()
    };
    generate_session(&root, &later).unwrap();
    let root_s = root.to_str().unwrap();
    for stale in ["1h", "36500d"] {
        let (names, out) = retry(&["--stale-after", stale, root_s]);
        assert!(names.is_empty(), "{stale}: {out}");
        assert!(!out.contains("still in progress"), "{stale}: {out}");
    }
}

#[test]
fn a_paused_session_is_in_progress_until_it_goes_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let (src, ex) = generated(dir.path(), Scenario::PauseResume, 2, 8);
    // The session as it stood when paused.
    let master = std::fs::read_to_string(src.join("master.log")).unwrap();
    let at = master
        .lines()
        .position(|l| l.contains("\"action\":\"pause\""))
        .unwrap();
    let paused = dir.path().join("pausedcopy");
    std::fs::create_dir(&paused).unwrap();
    let upto: Vec<&str> = master.lines().take(at + 1).collect();
    std::fs::write(paused.join("master.log"), upto.join("\n") + "\n").unwrap();
    let paused = paused.to_str().unwrap();
    let (_, summary, _) = run(&[paused]);
    assert!(summary.contains("PAUSED"), "{summary}");
    let (names, out) = retry(&["--stale-after", "36500d", paused]);
    assert!(names.is_empty(), "resumable: {out}");
    let (names, out) = retry(&[paused]);
    assert!(!names.is_empty() || out.contains("queued item(s)"), "{out}");
    assert!(!out.contains("still in progress"), "{out}");
    let _ = ex;
}

#[test]
fn the_rerun_list_says_how_many_were_never_named_and_where() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("sessions");
    let (sess, ex) = generated(&root, Scenario::Abort, 4, 8);
    assert_eq!(ex.state, "ABORTED");
    let never = ex
        .items
        .iter()
        .filter(|(k, st)| k.starts_with("TRANSFER/") && *st == "pending")
        .count();
    assert!(never > 0);
    let said = format!("{never} queued item(s) of session {}", ex.id);
    let (_, out) = retry(&[sess.to_str().unwrap()]);
    assert!(out.contains(&said), "{out}");
    // Never started: not failed, and nameless.
    let (_, out) = retry(&["--status", "failed", sess.to_str().unwrap()]);
    assert!(!out.contains(&said), "{out}");
    let out_dir = dir.path().join("out");
    let (code, _, err) = run(&[
        "batch",
        root.to_str().unwrap(),
        "-o",
        out_dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    for report in ["report.md", "report.html"] {
        let text = std::fs::read_to_string(out_dir.join(report)).unwrap();
        assert!(text.contains(&said), "{report}");
    }
    // items says it too, in a whole sentence.
    let (_, _, err) = run(&["items", sess.to_str().unwrap()]);
    assert!(
        err.contains("never names them and no row can show them"),
        "{err}"
    );
}
