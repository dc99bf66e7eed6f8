//! End-to-end: every command and format on the fixtures, inputs of every
//! form, exit codes.

mod common;
use common::*;

use std::io::Write;

const FAILURES: &str = "fixtures/sessions/sourcefailurescopy20251128";
const RUNNING: &str = "fixtures/sessions/sourcerunningcopy20251128";
const SEED: &str = "fixtures/seed/vm5docscpanelcopya20140224163412sylG";

#[test]
fn summary_is_the_default_command() {
    let (code, out, _) = run(&[FAILURES]);
    assert_eq!(code, 0);
    assert!(out.contains("Session sourcefailurescopy20251128  COMPLETED"));
    assert!(out.contains("TRANSFER  4 completed, 0 had warnings, 1 failed"));
    assert!(out.contains("Failed (4)"));
    assert!(out.contains("(cascade of the failed TRANSFER)"));
    assert!(
        out.contains("item-TRANSFER_AccountRemoteRoot_alpha000:26:"),
        "first error lines of item logs"
    );
    let (_, explicit, _) = run(&["summary", FAILURES]);
    assert_eq!(out, explicit);
}

#[test]
fn summary_counts_skipped_lines() {
    let (code, out, err) = run(&["fixtures/sessions/sourcegarbagecopy20251128"]);
    assert_eq!(code, 0);
    // The Perl warning in an item log is its stderr, not a skipped line
    // (Session.pm `exec_with_output_directed_to_fh`; docs/FORMAT.md).
    assert!(out.contains("2 skipped line(s)"), "{out}");
    assert_eq!(
        err.lines().collect::<Vec<_>>(),
        ["4 diagnostics, 2 lines skipped (invalid-json 2, invalid-utf8 1, unmentioned-item-log 1): `xferlens check` lists them; -v prints them here"],
        "by default one line counts the diagnostics"
    );
    let (_, _, verbose) = run(&["-v", "fixtures/sessions/sourcegarbagecopy20251128"]);
    assert!(
        verbose.contains("master.log:4: invalid-json"),
        "-v lists them with file and line: {verbose}"
    );
    assert_eq!(verbose.lines().count(), 4, "{verbose}");
    let (_, _, quiet) = run(&["-q", "fixtures/sessions/sourcegarbagecopy20251128"]);
    assert!(quiet.is_empty());
}

#[test]
fn progress_text_and_json() {
    // Its newest line is a year old today: stale, and no ETA.
    let (code, out, _) = run(&["progress", RUNNING]);
    assert_eq!(code, 0);
    assert!(out.contains("TRANSFER_INPROGRESS"));
    assert!(
        out.contains("  stale: no new lines for ")
            && out.contains("(newest 2025-11-28T14:00:51Z); no ETA"),
        "{out}"
    );
    assert!(!out.contains(" · ETA "), "{out}");
    let (_, fresh, _) = run(&["progress", "--stale-after", "36500d", RUNNING]);
    assert!(!fresh.contains("stale"), "{fresh}");
    assert!(fresh.contains(" · ETA "), "{fresh}");
    for l in out.lines().chain(fresh.lines()) {
        assert!(l.chars().count() <= 80, "fits 80 columns: {l}");
    }
    let (_, failures, _) = run(&["progress", FAILURES]);
    assert!(
        failures.contains("  RESTORE  100.0%  COMPLETED · 5/5 items · 3 failed · "),
        "failed counts per queue: {failures}"
    );
    let (code, _, err) = run(&["progress", "--stale-after", "soon", RUNNING]);
    assert_eq!(code, 2);
    assert!(err.contains("`soon`"), "{err}");
    let (_, json, _) = run(&["progress", "--format", "ndjson", RUNNING]);
    let v: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(v["session_id"], "sourcerunningcopy20251128");
    assert_eq!(v["state"], "RUNNING");
    let q = &v["queues"][0];
    for k in [
        "queue",
        "items_total",
        "success",
        "warning",
        "failed",
        "running",
        "pending",
        "bytes_total",
        "bytes_done",
        "percent",
    ] {
        assert!(!q[k].is_null(), "{k}");
    }
    assert_eq!(q["running"], 2);
}

#[test]
fn progress_watch_stops_at_a_terminal_state() {
    let (code, out, _) = run(&["progress", "--watch=0.1", FAILURES]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "one line per change, then the end: {out}");
    assert!(lines[0].contains("RESTORE 100.0% 5/5 3 failed"), "{out}");
    assert_eq!(
        lines[1],
        "sourcefailurescopy20251128: ended COMPLETED after 48s · 4 failed, 0 with warnings, of 10 queue items"
    );
}

/// A copy of the pause/resume fixture cut just after its pause line.
fn paused_session() -> tempfile::TempDir {
    let src = fixture("sessions/sourcepauseresumecopy20251128");
    let dir = tempfile::tempdir().unwrap();
    let sess = dir.path().join("pausedcopy");
    std::fs::create_dir(&sess).unwrap();
    let master = std::fs::read_to_string(src.join("master.log")).unwrap();
    let at = master
        .lines()
        .position(|l| l.contains("\"action\":\"pause\""))
        .expect("the fixture pauses");
    let upto: Vec<&str> = master.lines().take(at + 1).collect();
    std::fs::write(sess.join("master.log"), upto.join("\n") + "\n").unwrap();
    dir
}

#[test]
fn progress_watch_ends_on_a_pause_unless_asked_to_follow() {
    let dir = paused_session();
    let sess = dir.path().join("pausedcopy");
    let sess = sess.to_str().unwrap();
    let (code, out, _) = run(&["progress", "--watch=0.1", sess]);
    assert_eq!(code, 0);
    let last = out.lines().last().unwrap();
    assert!(
        last.starts_with("pausedcopy: paused PAUSED") && last.contains("--follow-paused"),
        "{out}"
    );
    let (_, now, _) = run(&["progress", sess]);
    assert!(!now.contains("ETA"), "no ETA while paused: {now}");
    // With --follow-paused it keeps watching: still running after 1.5 s.
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("xferlens"))
        .args(["progress", "--watch=0.1", "--follow-paused", sess])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let still = child.try_wait().unwrap().is_none();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(still, "--follow-paused keeps watching a paused session");
}

#[test]
fn json_writes_null_for_a_missing_time() {
    let old = "fixtures/sessions/sourceoldformatcopy20251128";
    let (_, items, _) = run(&["items", "--format", "ndjson", old]);
    let (_, events, _) = run(&["events", "-q", "--format", "ndjson", old]);
    for (l, key) in items
        .lines()
        .map(|l| (l, "started_at"))
        .chain(events.lines().map(|l| (l, "time")))
    {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert!(v[key].is_null(), "{key} is null, not \"\": {l}");
    }
    let (_, csv, _) = run(&["items", "--format", "csv", old]);
    assert!(
        csv.lines().nth(1).unwrap().contains(",,,"),
        "CSV keeps empty cells: {csv}"
    );
}

#[test]
fn tables_never_cut_text_outside_a_terminal() {
    let (_, out, _) = run(&["items", FAILURES]);
    assert!(
        out.contains("Failed to fetch the account archive for “alpha000” from the remote server: Connection reset by peer."),
        "{out}"
    );
    assert!(!out.contains('…'), "{out}");
}

#[test]
fn items_csv_header_and_rows() {
    let (code, out, _) = run(&["items", "--format", "csv", FAILURES]);
    assert_eq!(code, 0);
    let mut lines = out.lines();
    assert_eq!(
        lines.next().unwrap(),
        "session_id,queue,item_type,item_name,item,local_item,child,status,size_bytes,started_at,finished_at,duration_s,wall_s,warnings,skipped_items,dangerous_items,altered_items,message,logfile"
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 10);
    assert!(rows[0].contains(",TRANSFER,"), "TRANSFER rows first");
    assert!(rows
        .iter()
        .any(|r| r.contains(",failed,") && r.contains("2025-11-28T14:00:")));
}

#[test]
fn items_every_format() {
    for f in ["table", "csv", "json", "ndjson", "md"] {
        let (code, out, _) = run(&["items", "--format", f, FAILURES]);
        assert_eq!(code, 0, "{f}");
        assert!(out.contains("alpha000"), "{f}");
    }
    let (_, json, _) = run(&["items", "--format", "json", FAILURES]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 10);
    let (_, nd, _) = run(&["items", "--format", "ndjson", FAILURES]);
    assert_eq!(nd.lines().count(), 10);
    for l in nd.lines() {
        let row: serde_json::Value = serde_json::from_str(l).unwrap();
        assert!(["success", "warning", "failed", "running", "pending"]
            .contains(&row["status"].as_str().unwrap()));
    }
}

#[test]
fn items_by_account() {
    let (code, out, _) = run(&["items", "--accounts", "--format", "csv", FAILURES]);
    assert_eq!(code, 0);
    assert!(out.starts_with(
        "session_id,item_type,item,local_item,transfer_status,restore_status,overall"
    ));
    assert!(out.contains("alpha000,alpha000,failed,failed,failed"));
}

#[test]
fn events_csv_and_ndjson() {
    let (code, out, _) = run(&[
        "events",
        "--format",
        "csv",
        "fixtures/sessions/sourceworkercrashcopy20251128",
    ]);
    assert_eq!(code, 0);
    assert!(out.starts_with(
        "session_id,seq,file,line,time,pid,child,queue,action,item,local_item,item_type,msg\n"
    ));
    assert!(out.contains(",child-failed,"));
    let master =
        std::fs::read_to_string(fixture("sessions/sourceworkercrashcopy20251128/master.log"))
            .unwrap();
    assert_eq!(out.lines().count(), master.lines().count() + 1);
    let (_, nd, _) = run(&["events", "--format", "ndjson", SEED]);
    assert_eq!(nd.lines().count(), 30);
    let first: serde_json::Value = serde_json::from_str(nd.lines().next().unwrap()).unwrap();
    assert_eq!(first["action"], "start");
    assert_eq!(first["pid"], 14358);
    assert!(first["time"].is_null(), "no time: null");
}

#[test]
fn report_every_format_and_output_file() {
    let dir = tempfile::tempdir().unwrap();
    for (f, marker) in [
        ("md", "### Failed items (4)"),
        ("html", "<svg"),
        ("json", "\"schema\": \"xferlens.report/1\""),
    ] {
        let out = dir.path().join(format!("r.{f}"));
        let (code, stdout, _) = run(&[
            "report",
            "--format",
            f,
            "-o",
            out.to_str().unwrap(),
            FAILURES,
        ]);
        assert_eq!(code, 0);
        assert!(stdout.is_empty());
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.contains(marker), "{f}");
    }
    let html = std::fs::read_to_string(dir.path().join("r.html")).unwrap();
    assert!(
        html.matches("<script").count() == 1 && !html.contains("src="),
        "self-contained: no external asset, one inline script"
    );
    assert!(
        html.contains("script-src 'sha256-"),
        "the CSP allows that script by its hash, nothing else"
    );
}

#[test]
fn check_lists_diagnostics_and_exits_1() {
    let (code, out, _) = run(&["check", "fixtures/logs/garbage.log"]);
    assert_eq!(code, 1);
    assert_eq!(out.lines().count(), 5);
    assert!(out
        .lines()
        .next()
        .unwrap()
        .starts_with("fixtures/logs/garbage.log:4: invalid-json: "));
    let (code, out, _) = run(&["check", SEED]);
    assert_eq!(code, 0);
    assert!(out.is_empty());
}

#[test]
fn stderr_text_in_item_logs_is_not_damage() {
    // Issue 28, point 3: cPanel points an item's STDOUT and STDERR at its
    // log (Session.pm `exec_with_output_directed_to_fh`), so the "tar: …"
    // lines of the generated restores are the item's error lines, not
    // diagnostics: `check` is clean and `--strict` passes.
    let clean = "fixtures/sessions/sourcecleancopy20251128";
    assert!(std::fs::read_to_string(fixture(
        "sessions/sourcecleancopy20251128/item-RESTORE_AccountRemoteRoot_cedar000"
    ))
    .unwrap()
    .contains("\ntar: Removing leading"));
    let (code, out, _) = run(&["check", clean]);
    assert_eq!((code, out.as_str()), (0, ""));
    assert_eq!(run(&["--strict", "summary", clean]).0, 0);
    // Shown among a failed item's error lines, with the count.
    let (_, out, _) = run(&["summary", FAILURES]);
    assert!(
        out.contains("item-RESTORE_AccountRemoteRoot_fjord003:7: tar: Removing leading"),
        "{out}"
    );
    assert!(
        out.contains("2 error line(s), 1 of them stderr text"),
        "{out}"
    );
}

#[test]
fn strict_and_fail_on_exit_codes() {
    assert_eq!(run(&["--strict", "fixtures/logs/garbage.log"]).0, 2);
    assert_eq!(run(&["fixtures/logs/garbage.log"]).0, 0);
    assert_eq!(run(&["--fail-on", "failed", FAILURES]).0, 1);
    assert_eq!(run(&["--fail-on", "failed", SEED]).0, 0);
    assert_eq!(run(&["--fail-on", "warning", SEED]).0, 1);
}

#[test]
fn input_errors_exit_2_but_other_inputs_are_processed() {
    let (code, out, err) = run(&["does/not/exist", SEED]);
    assert_eq!(code, 2);
    assert!(err.contains("does/not/exist"));
    assert!(out.contains("vm5docscpanelcopya20140224163412sylG"));
    assert_eq!(
        run(&["--color", "sometimes", SEED]).0,
        2,
        "usage errors exit 2"
    );
}

#[test]
fn every_input_form() {
    // A directory of session directories.
    let (_, out, _) = run(&["progress", "--format", "ndjson", "fixtures/sessions"]);
    assert_eq!(out.lines().count(), 13);
    // json: the same objects, as one array.
    let (_, arr, _) = run(&["progress", "--format", "json", "fixtures/sessions"]);
    let arr: Vec<serde_json::Value> = serde_json::from_str(&arr).unwrap();
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(arr, lines);
    // A single master log, its gzip copy, a saved API response.
    for f in [
        "fixtures/logs/master-current.log",
        "fixtures/logs/master-current.log.gz",
    ] {
        let (code, out, _) = run(&["progress", "--format", "ndjson", f]);
        assert_eq!(code, 0, "{f}");
        assert!(out.contains("\"state\":\"COMPLETED\""), "{f}");
    }
    let (_, out, _) = run(&[
        "items",
        "--format",
        "csv",
        "fixtures/logs/seed-api-response.json",
    ]);
    assert_eq!(out.lines().count(), 7);
    // An item log alone.
    let (code, out, _) = run(&[
        "items",
        "--format",
        "csv",
        "fixtures/logs/item-restore-failed.log",
    ]);
    assert_eq!(code, 0);
    assert_eq!(
        out.lines().count(),
        2,
        "an item log alone gives its one item"
    );
    assert!(out.contains(",failed,") && out.contains("already exists"));
    // stdin, plain and gzip, with a session id.
    let log = std::fs::read(fixture("logs/master-current.log")).unwrap();
    let out = xferlens()
        .args([
            "progress",
            "--format",
            "ndjson",
            "--session-id",
            "given",
            "-",
        ])
        .write_stdin(log)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"session_id\":\"given\""));
    let gz = std::fs::read(fixture("logs/master-current.log.gz")).unwrap();
    let out = xferlens()
        .args(["progress", "--format", "ndjson", "-"])
        .write_stdin(gz)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"session_id\":\"stdin\""));
}

fn tarball(gz: bool) -> tempfile::NamedTempFile {
    let f = tempfile::Builder::new()
        .suffix(if gz { ".tar.gz" } else { ".tar" })
        .tempfile()
        .unwrap();
    let w: Box<dyn Write> = if gz {
        Box::new(flate2::write::GzEncoder::new(
            f.reopen().unwrap(),
            flate2::Compression::fast(),
        ))
    } else {
        Box::new(f.reopen().unwrap())
    };
    let mut b = tar::Builder::new(w);
    b.append_dir_all("transfer_sessions", fixture("sessions"))
        .unwrap();
    b.into_inner().unwrap().flush().unwrap();
    f
}

#[test]
fn tarballs_are_streamed() {
    let (_, dir_out, _) = run(&["items", "--format", "csv", "fixtures/sessions"]);
    for gz in [false, true] {
        let t = tarball(gz);
        let (code, out, _) = run(&["items", "--format", "csv", t.path().to_str().unwrap()]);
        assert_eq!(code, 0);
        let mut a: Vec<&str> = out.lines().collect();
        let mut b: Vec<&str> = dir_out.lines().collect();
        a.sort();
        b.sort();
        assert_eq!(
            a, b,
            "a tarball gives the same items as the directory (gz: {gz})"
        );
    }
}

#[test]
fn batch_writes_all_outputs() {
    let out = tempfile::tempdir().unwrap();
    let t = tarball(true);
    let (code, stdout, stderr) = run(&[
        "batch",
        "fixtures/sessions",
        SEED,
        "does/not/exist",
        t.path().to_str().unwrap(),
        "-o",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "one input could not be read");
    // The tarball holds the same sessions as the directory: each once.
    assert!(stdout.contains("14 sessions"), "{stdout}");
    assert!(stderr.contains("is given twice: read once"), "{stderr}");
    let sessions = std::fs::read_to_string(out.path().join("sessions.csv")).unwrap();
    assert_eq!(sessions.lines().count(), 15);
    assert!(sessions.starts_with("session_id,state,whm_state,remote_host,"));
    let items = std::fs::read_to_string(out.path().join("items.csv")).unwrap();
    assert!(items.lines().count() > 100);
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    let html = std::fs::read_to_string(out.path().join("report.html")).unwrap();
    // Worst first: the first session in the overview has failed items.
    let first_row = md.lines().find(|l| l.starts_with("| `")).unwrap();
    let failed_col = first_row.split('|').nth(6).unwrap().trim();
    assert_ne!(failed_col, "0", "{first_row}");
    assert!(html.contains("<table>"));
}

#[test]
fn completions_and_man_page() {
    let (code, out, _) = run(&["completions", "bash"]);
    assert_eq!(code, 0);
    assert!(out.contains("xferlens"));
    let (code, out, _) = run(&["man"]);
    assert_eq!(code, 0);
    assert!(out.contains(".TH xferlens"));
    // Every page the main page refers to is written by --dir, and each
    // documents its command's options.
    let dir = tempfile::tempdir().unwrap();
    let (code, listed, err) = run(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let cited: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("xferlens\\-")?.strip_suffix("(1)"))
        .collect();
    assert_eq!(cited.len(), 12, "{out}");
    for name in cited {
        let page = dir.path().join(format!("xferlens-{name}.1"));
        assert!(
            page.is_file(),
            "{} is cited but not written",
            page.display()
        );
    }
    assert_eq!(listed.lines().count(), 13, "{listed}");
    let items = std::fs::read_to_string(dir.path().join("xferlens-items.1")).unwrap();
    assert!(
        items.contains("raw\\-csv") && items.contains("status"),
        "{items}"
    );
    let (_, help, _) = run(&["--help"]);
    assert!(help.contains("Exit codes:"));
    for cmd in [
        "summary", "progress", "items", "events", "report", "check", "batch",
    ] {
        let (_, h, _) = run(&[cmd, "--help"]);
        assert!(h.contains("Example"), "{cmd} --help has examples");
    }
}

#[test]
fn color_only_when_asked_or_on_a_terminal() {
    let (_, plain, _) = run(&[FAILURES]);
    assert!(!plain.contains('\u{1b}'), "not a terminal: no colour");
    let (_, colored, _) = run(&["--color", "always", FAILURES]);
    assert!(colored.contains("\u{1b}[31m"));
    let out = xferlens()
        .args(["--color", "auto", FAILURES])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains('\u{1b}'));
}

#[test]
fn no_path_without_default_root_is_a_usage_error() {
    if std::path::Path::new("/var/cpanel/transfer_sessions").exists() {
        return;
    }
    // Nothing piped in either (a pipe, even empty, is read as input).
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("xferlens"))
        .arg("summary")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no PATH given"));
}

#[test]
fn a_closed_pipe_ends_quietly_with_exit_0() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let o = xferlens_gen::GenOptions {
        accounts: 300,
        lines_per_item: 2,
        ..Default::default()
    };
    let ex = xferlens_gen::generate_session(dir.path(), &o).unwrap();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("xferlens"))
        .args(["events", "--format", "csv"])
        .arg(dir.path().join(&ex.id))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // The reader is dropped here: the rest of the output (far more than a
    // pipe buffer) hits a closed pipe.
    assert!(first.starts_with("session_id,seq,"));
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// RFC 3339 of epoch seconds, by the same civil-date arithmetic as the
/// renderers (checked against a known date below).
fn rfc3339(t: i64) -> String {
    xferlens_report::time::rfc3339(t)
}

#[test]
fn modules_output_equals_the_generators_truth_on_every_fixture() {
    assert_eq!(rfc3339(1_764_338_400), "2025-11-28T14:00:00Z");
    let mut checked = 0;
    for e in std::fs::read_dir(fixture("sessions")).unwrap() {
        let dir = e.unwrap().path();
        let Ok(text) = std::fs::read_to_string(dir.join("expected.json")) else {
            continue;
        };
        let truth: serde_json::Value = serde_json::from_str(&text).unwrap();
        let (code, out, err) = run(&["modules", "--format", "ndjson", dir.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
        // Group the rows by item, in log order, and compare with the truth.
        let mut got: std::collections::BTreeMap<String, Vec<serde_json::Value>> =
            Default::default();
        for line in out.lines() {
            let r: serde_json::Value = serde_json::from_str(line).unwrap();
            let key = format!(
                "{}/{}/{}",
                r["queue"].as_str().unwrap(),
                r["item_type"].as_str().unwrap(),
                r["item"].as_str().unwrap()
            );
            got.entry(key).or_default().push(r);
        }
        let want = truth["modules"].as_object().unwrap();
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            want.keys().collect::<Vec<_>>(),
            "{}",
            dir.display()
        );
        for (key, rows) in &got {
            let w = want[key].as_array().unwrap();
            assert_eq!(rows.len(), w.len(), "{key}");
            for (r, m) in rows.iter().zip(w) {
                assert_eq!(r["module"], m["name"], "{key}");
                assert_eq!(r["status"], m["state"], "{key}");
                let t = |v: &serde_json::Value| v.as_i64().map(rfc3339);
                assert_eq!(
                    r["started_at"].as_str().map(str::to_owned),
                    t(&m["started_at"]),
                    "{key}"
                );
                assert_eq!(
                    r["finished_at"].as_str().map(str::to_owned),
                    t(&m["finished_at"]),
                    "{key}"
                );
                assert_eq!(
                    r["actions"].as_array().unwrap().len(),
                    m["actions"].as_array().unwrap().len()
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "{checked} modules checked");
    // The CSV has the documented header and one row per module.
    let d = "fixtures/sessions/sourcefailurescopy20251128";
    let (_, csv, _) = run(&["modules", "--format", "csv", d]);
    assert!(csv.starts_with("session_id,queue,item_type,item,local_item,module,started_at,finished_at,duration_s,status,message,"));
    assert!(csv.contains(",Homedir,") && csv.contains(",failed,"));
    let (_, summary, _) = run(&[d]);
    assert!(
        summary.contains("Account fjord003: Homedir failed: "),
        "{summary}"
    );
}

/// Characters, as GitHub counts a comment body.
fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Every Markdown table's header row names each column.
fn assert_no_empty_headers(md: &str) {
    let lines: Vec<&str> = md.lines().collect();
    for w in lines.windows(2) {
        if w[1].starts_with("|---") {
            let cells: Vec<&str> = w[0].trim_matches('|').split('|').collect();
            assert!(
                cells.iter().all(|c| !c.trim().is_empty()),
                "empty header cell: {}",
                w[0]
            );
        }
    }
}

/// Every `href="#x"` of an HTML page names an `id="x"` of the page, and
/// no id is used twice.
fn assert_links_resolve(html: &str) {
    let attr = |name: &str| -> Vec<String> {
        html.split(&format!("{name}=\""))
            .skip(1)
            .map(|r| r.split('"').next().unwrap().to_owned())
            .collect()
    };
    let ids = attr("id");
    let unique: std::collections::HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "duplicate ids");
    let mut links = 0;
    for href in attr("href") {
        let target = href.strip_prefix('#').expect("only internal links");
        assert!(
            unique.contains(&target.to_owned()),
            "#{target} has no target"
        );
        links += 1;
    }
    assert!(links > 0 || !html.contains("<a "), "links were checked");
}

#[test]
fn markdown_fits_a_github_comment_unless_full() {
    let dir = tempfile::tempdir().unwrap();
    let o = xferlens_gen::GenOptions {
        accounts: 1000,
        lines_per_item: 2,
        scenario: xferlens_gen::Scenario::Failures,
        ..Default::default()
    };
    let ex = xferlens_gen::generate_session(dir.path(), &o).unwrap();
    let sess = dir.path().join(&ex.id);
    let sess = sess.to_str().unwrap();
    let failed: Vec<&String> = ex
        .items
        .iter()
        .filter(|(_, st)| *st == "failed")
        .map(|(k, _)| k)
        .collect();
    assert!(
        failed.len() > 100,
        "a big failing session: {}",
        failed.len()
    );
    let (code, md, _) = run(&["report", "-q", "--format", "md", sess]);
    assert_eq!(code, 0);
    assert!(chars(&md) <= 65_536, "{} characters", chars(&md));
    // Excerpts for the first few failed and warned items only.
    let blocks = md.matches("```text\n").count();
    assert!((2..=10).contains(&blocks), "{blocks} excerpts");
    assert!(md.contains("### Failure causes"), "grouped by cause");
    assert!(md.contains("… and "), "cut lists say so");
    assert!(
        md.contains("(cascade)"),
        "same markers as the other outputs"
    );
    assert!(
        md.contains("| TRANSFER | Account "),
        "same names as the others"
    );
    assert_no_empty_headers(&md);
    let (_, full, _) = run(&["report", "-q", "--full", "--format", "md", sess]);
    assert!(chars(&full) > 65_536, "--full lifts the cap");
    assert!(
        full.matches("```text\n").count() > blocks,
        "--full shows every excerpt read"
    );
    for key in failed {
        let item = key.rsplit('/').next().unwrap();
        assert!(
            full.contains(&format!("Account {item} ")),
            "{key} in --full"
        );
    }
    assert_no_empty_headers(&full);
    // The HTML of the same session: failures by cause, every account with
    // filters, links that resolve.
    let (_, html, _) = run(&["report", "-q", "--format", "html", sess]);
    assert!(html.contains("by cause"), "grouped by cause");
    assert!(html.contains("<details class=\"cause\" open><summary>"));
    assert!(html.contains("Accounts by start time (1001)"));
    assert!(html.contains("class=\"f-failed\""), "filters");
    assert_links_resolve(&html);
    assert!(html.len() < 1_500_000, "{} bytes", html.len());
    assert!(html.contains("<details class=\"log\"><summary>log lines"));
    assert!(
        !html.contains("<h3>Item logs"),
        "whole logs only with --logs"
    );
    let (_, logs, _) = run(&["report", "-q", "--format", "html", "--logs", sess]);
    assert!(
        logs.contains("<h3>Item logs (20)</h3>"),
        "10 failed, 10 warned"
    );
    assert!(logs.len() < html.len() + 2_000_000, "{} bytes", logs.len());

    // A fleet's batch report.md fits too, and says where the rest is.
    let fleet = dir.path().join("fleet");
    let f = xferlens_gen::FleetOptions {
        sessions: 300,
        seed: 9,
        target_bytes: 6 << 20,
        accounts: 8,
        retries: 0.5,
        profile: xferlens_gen::Profile::Generator,
    };
    xferlens_gen::generate_fleet(&fleet, &f).unwrap();
    let out = dir.path().join("out");
    let (code, _, err) = run(&[
        "batch",
        "-q",
        fleet.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(chars(&md) <= 65_536, "{} characters", chars(&md));
    assert!(md.contains("more: see sessions.csv"), "{md}");
    assert!(!md.contains("AccountRemoteRoot "), "labels, not types");
    assert_no_empty_headers(&md);
    // Its HTML: every session in the sortable table, and every link there
    // (sessions with failures, warnings or diagnostics) resolves.
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_eq!(
        html.matches("<tr><td data-v=").count(),
        300,
        "all sessions listed"
    );
    assert!(html.contains("<table class=\"sortable\">"));
    assert!(
        html.matches("href=\"#s").count() > 100,
        "sessions with problems are linked"
    );
    assert_links_resolve(&html);
}

#[test]
fn tables_fit_the_terminal_width() {
    // `script` (util-linux) gives the command a terminal 60 columns wide.
    if !has_program("script") {
        eprintln!("SKIPPED: `script` (util-linux) is not installed; no terminal to test with");
        return;
    }
    let bin = assert_cmd::cargo::cargo_bin("xferlens");
    let cmd = format!("stty cols 60; {} items {FAILURES}", bin.display());
    let out = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(root())
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = shown.lines().filter(|l| l.contains("TRANSFER")).collect();
    assert_eq!(rows.len(), 5, "{shown}");
    for l in shown.lines() {
        assert!(l.trim_end().chars().count() <= 60, "wider than 60: {l:?}");
    }
    assert!(shown.contains('…'), "long cells are cut to fit: {shown}");
}

#[test]
fn one_session_id_rule_for_every_command() {
    let tmp = tempfile::tempdir().unwrap();
    let master = std::fs::read(fixture("sessions/sourcefailurescopy20251128/master.log")).unwrap();
    let gz = |bytes: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    };
    std::fs::write(tmp.path().join("master-current.log.gz"), gz(&master)).unwrap();
    let sess = tmp.path().join("sess1");
    std::fs::create_dir(&sess).unwrap();
    std::fs::write(sess.join("master.log.gz"), gz(&master)).unwrap();
    for (rel, want) in [
        ("master-current.log.gz", "master-current"),
        ("sess1/master.log.gz", "sess1"),
        ("master.log.gz", "sess1"), // a bare name, from inside the session
    ] {
        let dir = if rel == "master.log.gz" {
            sess.clone()
        } else {
            tmp.path().to_owned()
        };
        let id = |args: &[&str]| -> String {
            let out = xferlens()
                .current_dir(&dir)
                .args(args)
                .arg(rel)
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            text.lines()
                .nth(1)
                .unwrap_or("")
                .split(',')
                .next()
                .unwrap()
                .to_owned()
        };
        assert_eq!(id(&["-q", "items", "--format", "csv"]), want, "items {rel}");
        assert_eq!(
            id(&["-q", "events", "--format", "csv"]),
            want,
            "events {rel}"
        );
    }
}

#[test]
fn a_lone_item_log_has_the_times_of_its_lines() {
    let (code, out, _) = run(&[
        "-q",
        "fixtures/sessions/sourcefailurescopy20251128/item-RESTORE_AccountRemoteRoot_fjord003",
    ]);
    assert_eq!(code, 0);
    assert!(!out.contains("no times"), "{out}");
    assert!(
        out.contains("started 2025-11-28T14:00:23Z · last event 2025-11-28T14:00:32Z"),
        "{out}"
    );
}

#[test]
fn a_live_session_without_times_is_judged_by_its_master_logs_mtime() {
    // The seed (1.6 format: no times) cut before the end, as a live
    // `.master.log`.
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("oldlive");
    std::fs::create_dir(&d).unwrap();
    let master = std::fs::read_to_string(root().join(SEED).join("master.log")).unwrap();
    let cut: Vec<&str> = master.lines().take(25).collect();
    let log = d.join(".master.log");
    std::fs::write(&log, cut.join("\n") + "\n").unwrap();
    let now: i64 = NOW.parse().unwrap();
    let set_mtime = |age: u64| {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(now as u64 - age);
        std::fs::File::options()
            .write(true)
            .open(&log)
            .unwrap()
            .set_modified(t)
            .unwrap();
    };
    set_mtime(3 * 86_400);
    let (_, out, _) = run(&["-q", "progress", d.to_str().unwrap()]);
    assert!(out.contains("oldlive  RUNNING"), "{out}");
    assert!(out.contains("stale: no new lines for 3d 00h"), "{out}");
    set_mtime(60);
    let (_, out, _) = run(&["-q", "progress", d.to_str().unwrap()]);
    assert!(!out.contains("stale"), "written a minute ago: {out}");
}

#[test]
fn an_item_log_without_its_name_or_its_master_is_read_as_an_item_log() {
    let path =
        "fixtures/sessions/sourcefailurescopy20251128/item-TRANSFER_AccountRemoteRoot_alpha000";
    let log = std::fs::read_to_string(fixture(path.trim_start_matches("fixtures/"))).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    // A saved `fetch_transfer_session_log` response, and the log saved
    // under another name: neither name says "item log".
    let api = tmp.path().join("response.json");
    let body = serde_json::json!({
        "data": { "log": log },
        "metadata": { "result": 1, "reason": "OK", "command": "fetch_transfer_session_log" }
    });
    std::fs::write(&api, body.to_string()).unwrap();
    let saved = tmp.path().join("saved.log");
    std::fs::write(&saved, &log).unwrap();
    let piped = xferlens()
        .args(["items", "--format", "csv", "-"])
        .write_stdin(log.clone())
        .output()
        .unwrap();
    let piped = String::from_utf8_lossy(&piped.stdout).into_owned();
    for (what, out) in [
        (
            "api",
            run(&["items", "--format", "csv", api.to_str().unwrap()]).1,
        ),
        (
            "saved",
            run(&["items", "--format", "csv", saved.to_str().unwrap()]).1,
        ),
        ("stdin", piped),
    ] {
        assert_eq!(out.lines().count(), 2, "{what}: {out}");
        let row = out.lines().nth(1).unwrap();
        // No item type (the start line names none), the label "Account"
        // (Item.pm `start`), and the file it was read from.
        assert!(
            row.contains(",TRANSFER,,Account,alpha000,"),
            "{what}: {row}"
        );
        assert!(row.contains(",alpha000,"), "{what}: {row}");
        assert!(row.contains(",failed,"), "{what}: {row}");
        // Its own line times, without a master.
        assert!(row.contains("2025-11-28T14:00:01Z"), "{what}: {row}");
    }
    // Under its own name, alone: its times, and no "unlisted" line (there
    // is no master to leave it unlisted).
    let (code, out, _) = run(&["summary", path]);
    assert_eq!(code, 0);
    assert!(out.contains("started 2025-11-28T14:00:01Z"), "{out}");
    assert!(!out.contains("no times"), "{out}");
    assert!(!out.contains("unlisted"), "{out}");
}

#[test]
fn reports_carry_the_log_lines_around_each_failure() {
    let f = fixture("sessions/sourcefailurescopy20251128");
    let f = f.to_str().unwrap();
    let (code, md, err) = run(&["report", "--format", "md", f]);
    assert_eq!(code, 0, "{err}");
    // fjord003's restore failed in Homedir: its error lines, their module
    // and the shown lines before them.
    let at = md
        .find("Log lines of `item-RESTORE_AccountRemoteRoot_fjord003`")
        .unwrap();
    let block = &md[at..];
    let block = &block[..block.find("\n```\n").unwrap()];
    assert!(block.contains("```text\n"), "{block}");
    assert!(
        block.contains("  35  Homedir      Homedir FAILED: Account restore failed"),
        "{block}"
    );
    assert!(
        block.contains("  33  Homedir      Extracting"),
        "a line before: {block}"
    );
    assert!(
        block.contains("  39             Failed: Account restore failed"),
        "{block}"
    );
    let (_, html, _) = run(&["report", "--format", "html", f]);
    assert_eq!(
        html.matches("<details class=\"log\"><summary>log lines")
            .count(),
        3
    );
    assert!(html.contains("<span class=\"e\">  35  Homedir      Homedir FAILED"));
    // --logs: each failed item's whole log, one folded section per module.
    let (code, logs, err) = run(&["report", "--format", "html", "--logs", f]);
    assert_eq!(code, 0, "{err}");
    let at = logs.find("<h3>Item logs (3)</h3>").expect("the whole logs");
    let rest = &logs[at..];
    let item = rest.find("RESTORE Account fjord003</span>").unwrap();
    let rest = &rest[item..];
    let end = rest.find("</pre></details>\n</details>").unwrap();
    let one = &rest[..end];
    for m in ["Account", "Homedir"] {
        assert!(one.contains(&format!("<summary>{m} <span")), "{m}: {one}");
    }
    assert!(one.contains("<details class=\"mod bad\"><summary>Homedir"));
    assert!(!one.contains(" open"), "folded");
    // Markdown and JSON take no --logs.
    let (code, _, err) = run(&["report", "--format", "md", "--logs", f]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--format html"), "{err}");
}

#[test]
fn a_closed_pipe_never_changes_the_exit_code() {
    let session = fixture("sessions/sourcefailurescopy20251128");
    let session = session.to_str().unwrap();
    for args in [
        &["man"][..],
        &["completions", "zsh"][..],
        &["summary", session][..],
        &["items", "--format", "csv", session][..],
        &["log", session][..],
        &["report", "--format", "html", session][..],
    ] {
        for _ in 0..3 {
            // The reader is gone before the first write.
            let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("xferlens"))
                .args(args)
                .env("XFERLENS_NOW", NOW)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            drop(child.stdout.take());
            let out = child.wait_with_output().unwrap();
            assert_eq!(
                out.status.code(),
                Some(0),
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[test]
fn piped_standard_input_is_read_without_a_dash() {
    let log = std::fs::read(fixture("sessions/sourcecleancopy20251128/master.log")).unwrap();
    let out = xferlens()
        .arg("summary")
        .write_stdin(log.clone())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Session stdin  COMPLETED"));
    // A file redirected in too; /dev/null is not input.
    let f = std::fs::File::open(fixture("sessions/sourcecleancopy20251128/master.log")).unwrap();
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("xferlens"))
        .args(["items", "--format", "csv"])
        .stdin(f)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).lines().count() > 2);
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("xferlens"))
        .arg("summary")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no PATH given"));
}

#[test]
fn formats_agree_with_their_names() {
    let all = "fixtures/sessions";
    // retry: json is an array of the CSV's rows, ndjson the same rows a line each.
    let (c, csv, _) = run(&["retry", "--format", "csv", all]);
    assert_eq!(c, 0);
    let (_, arr, _) = run(&["retry", "--format", "json", all]);
    let arr: Vec<serde_json::Value> = serde_json::from_str(&arr).unwrap();
    let (_, nd, _) = run(&["retry", "--format", "ndjson", all]);
    let nd: Vec<serde_json::Value> = nd
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(arr, nd);
    assert_eq!(arr.len(), csv.lines().count() - 1);
    assert!(arr
        .iter()
        .all(|r| r["item"].is_string() && r["size_bytes"].is_u64() || r["size_bytes"].is_null()));
    // check: csv and ndjson rows, one per diagnostic, and the same exit status.
    let (c1, text, _) = run(&["check", "fixtures/logs/garbage.log"]);
    let (c2, csv, _) = run(&["check", "--format", "csv", "fixtures/logs/garbage.log"]);
    let (c3, nd, _) = run(&["check", "--format", "ndjson", "fixtures/logs/garbage.log"]);
    assert_eq!((c1, c2, c3), (1, 1, 1));
    assert_eq!(text.lines().count(), csv.lines().count() - 1);
    assert_eq!(text.lines().count(), nd.lines().count());
    assert!(csv.starts_with("session_id,file,line,kind,message,excerpt"));
    let first: serde_json::Value = serde_json::from_str(nd.lines().next().unwrap()).unwrap();
    assert_eq!(first["kind"], "invalid-json");
    // progress --watch streams: json (one array) is refused there.
    let (c, _, err) = run(&["progress", "--watch=1", "--format", "json", RUNNING]);
    assert_eq!(c, 2);
    assert!(err.contains("--format ndjson"), "{err}");
}

#[test]
fn watch_takes_a_path_after_it() {
    // `--watch DIR`: DIR is what is watched, not the interval.
    let (code, out, err) = run(&["progress", "--watch", FAILURES]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ended COMPLETED"), "{out}");
    let (code, _, err) = run(&["progress", "--watch=abc", FAILURES]);
    assert_eq!(code, 2);
    assert!(err.contains("not a number of seconds"), "{err}");
}

#[test]
fn a_filter_that_matches_nothing_says_so() {
    let (code, _, err) = run(&["items", "--host", "nosuchhost", "fixtures/sessions"]);
    assert_eq!(code, 0);
    assert!(err.contains("--host nosuchhost matched none of"), "{err}");
    let (_, _, err) = run(&["retry", "--account", "zz*", "fixtures/sessions"]);
    assert!(
        err.contains("--account zz* matched no account in 13 session(s)"),
        "{err}"
    );
    let (_, _, err) = run(&["report", "--since", "2030-01-01", "fixtures/sessions"]);
    assert!(
        err.contains("--since/--until matched none of 13 session(s)"),
        "{err}"
    );
    // A filter that matches says nothing.
    let (_, _, err) = run(&["items", "--host", "source9.*", "fixtures/sessions"]);
    assert!(!err.contains("matched"), "{err}");
}

#[test]
fn summary_groups_many_failures_by_cause() {
    let dir = tempfile::tempdir().unwrap();
    let o = xferlens_gen::GenOptions {
        accounts: 300,
        lines_per_item: 2,
        scenario: xferlens_gen::Scenario::Failures,
        ..Default::default()
    };
    let ex = xferlens_gen::generate_session(dir.path(), &o).unwrap();
    let failed = ex.items.values().filter(|st| *st == "failed").count();
    let sess = dir.path().join(&ex.id);
    let (code, out, _) = run(&["summary", sess.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(
        out.contains(&format!("Failed ({failed}), by cause")),
        "{out}"
    );
    // The counts of the causes add up to the failed items.
    let grouped: usize = out
        .lines()
        .skip_while(|l| !l.contains("Failed ("))
        .skip(1)
        .take_while(|l| {
            l.trim_start()
                .split('x')
                .next()
                .is_some_and(|n| n.parse::<usize>().is_ok())
        })
        .map(|l| {
            l.trim_start()
                .split('x')
                .next()
                .unwrap()
                .parse::<usize>()
                .unwrap()
        })
        .sum();
    assert_eq!(grouped, failed, "{out}");
    assert!(out.lines().count() < 40, "{out}");
    let (_, full, _) = run(&["summary", "--full", sess.to_str().unwrap()]);
    assert!(full.lines().count() > failed, "--full lists every item");
}
