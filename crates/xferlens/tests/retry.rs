//! Accounts across sessions and the re-queue list (`xferlens retry`,
//! batch's accounts.csv): attempts are joined by source host, item type
//! and name and ordered by session start, whatever order the inputs come
//! in; an account transferred but never restored in a session that ended
//! is pending, never running; accounts in progress in a running session
//! are left off and counted; packages are listed apart.

mod common;
use common::*;

use std::path::Path;

fn ctl(contents: &str) -> String {
    format!("{{\"pid\":1,\"type\":\"control\",\"contents\":{{{contents}}}}}\n")
}

/// Lines for one item: start, and a result when `outcome` is given.
fn item(queue: &str, ty: &str, name: &str, outcome: Option<&str>, t: i64) -> String {
    let mut m = ctl(&format!(
        r#""action":"start","queue":"{queue}","item":"{name}","item_type":"{ty}","local_item":"{name}","child_number":1,"time":{t}"#
    ));
    m += &ctl(&format!(
        r#""action":"start-item","queue":"{queue}","item":"{name}","item_type":"{ty}","child_number":1,"msg":{{"size":1000}},"time":{t}"#
    ));
    match outcome {
        Some("ok") => {
            m += &ctl(&format!(
                r#""action":"success-item","queue":"{queue}","item":"{name}","item_type":"{ty}","child_number":1,"msg":{{"message":"ok"}},"time":{}"#,
                t + 1
            ))
        }
        Some(why) => {
            m += &ctl(&format!(
                r#""action":"failed-item","queue":"{queue}","item":"{name}","item_type":"{ty}","child_number":1,"msg":{{"failure":"{why}"}},"time":{}"#,
                t + 1
            ))
        }
        None => {}
    }
    m
}

fn session(root: &Path, id: &str, host: &str, start: i64, body: &str, end: Option<&str>) {
    let d = root.join(id);
    std::fs::create_dir_all(&d).unwrap();
    let mut m = ctl(&format!(
        r#""action":"start","child_number":0,"time":{start}"#
    ));
    m += &ctl(&format!(
        r#""action":"remotehost","msg":"{host}","child_number":0"#
    ));
    m += body;
    if let Some(e) = end {
        m += &ctl(&format!(
            r#""action":"{e}","child_number":0,"time":{}"#,
            start + 50
        ));
    }
    std::fs::write(d.join("master.log"), m).unwrap();
}

fn fleet(root: &Path) {
    let a = "AccountRemoteRoot";
    // Listed in an order other than their start times.
    session(
        root,
        "s3-running",
        "src1.example.net",
        300,
        &item("TRANSFER", a, "dave", None, 301),
        None,
    );
    session(
        root,
        "s2-aborted",
        "src1.example.net",
        200,
        &(item("TRANSFER", a, "bob", Some("ok"), 201)
            + &item("TRANSFER", a, "carol", Some("ok"), 202)
            + &item("RESTORE", a, "carol", Some("ok"), 203)),
        Some("abort"),
    );
    session(
        root,
        "s1-done",
        "src1.example.net",
        100,
        &(item("TRANSFER", a, "bob", Some("pkgacct failed"), 101)
            + &item("TRANSFER", a, "carol", Some("ok"), 102)
            + &item("RESTORE", a, "carol", Some("Mysql restore failed"), 103)
            + &item(
                "TRANSFER",
                "PackageRemoteRoot",
                "default",
                Some("no such package"),
                104,
            )
            + &item("TRANSFER", a, "erin", Some("ok"), 105)
            + &item("RESTORE", a, "erin", Some("ok"), 106)),
        Some("complete"),
    );
    session(
        root,
        "s0-other-host",
        "src2.example.net",
        50,
        &item("TRANSFER", a, "bob", Some("disk full"), 51),
        Some("complete"),
    );
}

#[test]
fn retry_joins_attempts_across_sessions() {
    let tmp = tempfile::tempdir().unwrap();
    fleet(tmp.path());
    let root = tmp.path().to_str().unwrap();
    let (code, csv, err) = run(&["retry", "--format", "csv", "--quiet", root]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows,
        [
            "remote_host,item_type,item,local_item,size_bytes,attempts,first_session_id,last_session_id,last_status,reason",
            "src1.example.net,AccountRemoteRoot,bob,bob,1000,2,s1-done,s2-aborted,pending,\"transferred, never restored (session ABORTED)\"",
            "src2.example.net,AccountRemoteRoot,bob,bob,1000,1,s0-other-host,s0-other-host,failed,disk full",
            "src1.example.net,PackageRemoteRoot,default,default,1000,1,s1-done,s1-done,failed,no such package",
        ]
    );
    let (_, text, _) = run(&["retry", "--quiet", root]);
    assert!(
        text.starts_with("2 account(s) to re-run: 1 failed, 1 never restored\n"),
        "{text}"
    );
    assert!(
        text.contains("1 account(s) still in progress in a running session are not listed."),
        "{text}"
    );
    assert!(
        text.contains("1 package(s) or feature list(s) failed"),
        "{text}"
    );

    // The same account in an ended session is pending, not running.
    let (_, acc, _) = run(&[
        "items",
        "--accounts",
        "--format",
        "csv",
        "--quiet",
        &format!("{root}/s2-aborted"),
    ]);
    let bob = acc.lines().find(|l| l.contains(",bob,")).unwrap();
    assert!(
        bob.ends_with("success,pending,pending,,") || bob.contains(",pending,"),
        "{bob}"
    );
    assert!(!bob.contains("running"), "{bob}");
}

#[test]
fn whmapi1_lines_are_safe_for_a_shell() {
    let tmp = tempfile::tempdir().unwrap();
    let evil = r#"x'; touch PWNED #$(id)"#;
    let escaped = evil.replace('"', "\\\"");
    session(
        tmp.path(),
        "s1",
        "src1.example.net",
        100,
        &item(
            "TRANSFER",
            "AccountRemoteRoot",
            &escaped,
            Some("failed"),
            101,
        ),
        Some("complete"),
    );
    let root = tmp.path().to_str().unwrap();
    let (code, script, err) = run(&["retry", "--format", "whmapi1", "--quiet", root]);
    assert_eq!(code, 0, "{err}");
    assert!(script.contains("create_remote_root_transfer_session"));
    assert!(script.contains("start_transfer_session"));
    // Run it with a stand-in whmapi1 that prints its arguments.
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let fake = bin.join("whmapi1");
    std::fs::write(
        &fake,
        "#!/bin/sh\nfor a in \"$@\"; do printf '[%s]' \"$a\"; done; echo\n",
    )
    .unwrap();
    let mut perm = std::fs::metadata(&fake).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&fake, perm).unwrap();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(&script)
        .current_dir(tmp.path())
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("NEW_SESSION_ID", "new123")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        said.trim(),
        format!("[enqueue_transfer_item][transfer_session_id=new123][module=AccountRemoteRoot][user={evil}][localuser={evil}][size=1000]")
    );
    assert!(!tmp.path().join("PWNED").exists(), "nothing in a name ran");
}

#[test]
fn batch_writes_every_account_with_its_attempts() {
    let tmp = tempfile::tempdir().unwrap();
    fleet(&tmp.path().join("fleet"));
    let out = tmp.path().join("out");
    let (code, stdout, err) = run(&[
        "batch",
        "--quiet",
        tmp.path().join("fleet").to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(code <= 1, "{err}");
    assert!(stdout.contains("5 accounts, 2 to re-run"), "{stdout}");
    let csv = std::fs::read_to_string(out.join("accounts.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "remote_host,item_type,item,local_item,attempts,first_session_id,last_session_id,last_status,last_reason,size_bytes,to_rerun");
    assert_eq!(lines.len(), 1 + 6, "{csv}");
    let carol = lines.iter().find(|l| l.contains(",carol,")).unwrap();
    assert!(
        carol.contains(",2,s1-done,s2-aborted,success,,1000,no"),
        "{carol}"
    );
    let dave = lines.iter().find(|l| l.contains(",dave,")).unwrap();
    assert!(dave.ends_with(",no"), "in progress: {dave}");
}

/// Counts of failed items per queue from a CSV whose `queue` column is
/// `q` and whose row weight is `weight` (a column, or 1 per failed row).
fn per_queue(
    csv: &str,
    q: usize,
    pick: impl Fn(&[String]) -> u64,
) -> std::collections::BTreeMap<String, u64> {
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let mut m = std::collections::BTreeMap::new();
    for rec in r.records() {
        let rec: Vec<String> = rec.unwrap().iter().map(str::to_owned).collect();
        *m.entry(rec[q].clone()).or_default() += pick(&rec);
    }
    m
}

#[test]
fn causes_add_up_and_reports_answer_first() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let (code, stdout, stderr) = run(&["batch", "fixtures/sessions", "-o", out.to_str().unwrap()]);
    assert!(code <= 1, "{stderr}");
    let items = std::fs::read_to_string(out.join("items.csv")).unwrap();
    let causes = std::fs::read_to_string(out.join("causes.csv")).unwrap();
    let failed = per_queue(&items, 1, |r| u64::from(r[7] == "failed"));
    let by_cause = per_queue(&causes, 0, |r| r[3].parse().unwrap());
    assert_eq!(
        failed
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .collect::<Vec<_>>(),
        by_cause.into_iter().collect::<Vec<_>>(),
        "each queue's causes add up to its failed items"
    );
    assert!(
        causes.contains("RESTORE,,cascade: "),
        "cascades name their TRANSFER cause: {causes}"
    );
    // The same failure on different accounts is one cause.
    assert!(causes.contains("the user “*” already exists"), "{causes}");
    assert!(stdout.contains("failed items in"), "{stdout}");
    // One summary line for diagnostics, not every one of them.
    let diag_lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains(" diagnostics, "))
        .collect();
    assert_eq!(diag_lines.len(), 1, "{stderr}");
    assert!(!stderr.contains("invalid JSON: expected value"), "{stderr}");
    let (_, _, verbose) = run(&[
        "batch",
        "-v",
        "fixtures/sessions",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(verbose.contains("invalid-json: invalid JSON"), "{verbose}");
    let diagnostics = std::fs::read_to_string(out.join("diagnostics.csv")).unwrap();
    assert!(diagnostics.starts_with("session_id,file,line,kind,message,excerpt\n"));
    // The garbage session's item-log Perl warning is stderr text now, not
    // a diagnostic; the offline-abort session's three cut item logs are.
    assert_eq!(diagnostics.lines().count() - 1, 11, "{diagnostics}");
    // Answers come first, in order, then the sessions.
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let at = |h: &str| md.find(h).unwrap_or_else(|| panic!("{h} missing"));
    let order = [
        "## Accounts to re-run",
        "## Top failure causes",
        "## Source hosts",
        "## Slowest accounts",
        "## Restore modules",
        "## Per day",
        "## Sessions",
    ];
    for w in order.windows(2) {
        assert!(at(w[0]) < at(w[1]), "{} before {}", w[0], w[1]);
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.find("Accounts to re-run").unwrap() < html.find("id=\"sessions\"").unwrap());
    assert!(html.contains("aria-label=\"accounts per day\""));
}

#[test]
fn filters_compose_on_every_command() {
    let tmp = tempfile::tempdir().unwrap();
    fleet(tmp.path());
    let root = tmp.path().to_str().unwrap();
    let rows = |args: &[&str]| -> Vec<String> {
        let mut a = args.to_vec();
        a.push("--quiet");
        a.push(root);
        let (code, out, err) = run(&a);
        assert_eq!(code, 0, "{args:?}: {err}");
        out.lines().skip(1).map(str::to_owned).collect()
    };
    // Host + queue + status.
    let r = rows(&[
        "items", "--format", "csv", "--host", "src1.*", "--queue", "transfer", "--status", "failed",
    ]);
    assert_eq!(r.len(), 2, "{r:?}"); // bob in s1, the package in s1
    assert!(r.iter().all(|l| l.starts_with("s1-done,TRANSFER,")));
    // Account glob + time window (s2 started at 200, s1 at 100).
    let r = rows(&[
        "items",
        "--format",
        "csv",
        "--account",
        "c*",
        "--since",
        "1970-01-01T00:02:00Z",
        "--until",
        "1970-01-01T00:04:00Z",
    ]);
    assert_eq!(r.len(), 2, "{r:?}");
    assert!(r
        .iter()
        .all(|l| l.starts_with("s2-aborted,") && l.contains(",carol,")));
    // Sort by status: failed rows first within each session and queue.
    let r = rows(&[
        "items",
        "--format",
        "csv",
        "--host",
        "src1.*",
        "--since",
        "1970-01-01T00:01:00Z",
        "--until",
        "1970-01-01T00:02:00Z",
        "--sort",
        "status",
    ]);
    let statuses: Vec<&str> = r.iter().map(|l| l.split(',').nth(7).unwrap()).collect();
    assert_eq!(
        statuses,
        ["failed", "failed", "success", "success", "failed", "pending", "pending", "success"],
        "{r:?}"
    );
    // retry: host and status.
    let (_, out, _) = run(&[
        "retry", "--format", "csv", "--quiet", "--host", "src1.*", "--status", "failed", root,
    ]);
    assert_eq!(out.lines().count(), 2, "header + the package: {out}");
    // events: line filters.
    let (_, ev, _) = run(&[
        "events",
        "--quiet",
        "--account",
        "carol",
        "--queue",
        "RESTORE",
        root,
    ]);
    assert!(
        ev.lines()
            .skip(1)
            .all(|l| l.contains(",RESTORE,") && l.contains(",carol,")),
        "{ev}"
    );
    assert_eq!(ev.lines().count() - 1, 6, "{ev}");
    // batch: sessions of one host only.
    let out = tmp.path().join("o");
    let (_, _, _) = run(&[
        "batch",
        "--quiet",
        "--host",
        "src2.*",
        root,
        "-o",
        out.to_str().unwrap(),
    ]);
    let sessions = std::fs::read_to_string(out.join("sessions.csv")).unwrap();
    assert_eq!(sessions.lines().count(), 2, "{sessions}");
    // Bad values are usage errors.
    for bad in [
        &["items", "--status", "nope", root][..],
        &["items", "--since", "tomorrow", root],
    ] {
        let (code, _, _) = run(bad);
        assert_eq!(code, 2, "{bad:?}");
    }
}

/// The overall status of an account from the generator's item statuses,
/// written out here independently of the code under test.
fn truth_status(t: Option<&str>, r: Option<&str>, live: bool) -> &'static str {
    let any = |s: &str| t == Some(s) || r == Some(s);
    let st = if any("failed") {
        "failed"
    } else if any("running")
        || (matches!(r, None | Some("pending")) && !matches!(t, None | Some("pending")))
    {
        "running"
    } else if matches!(r, None | Some("pending")) {
        "pending"
    } else if any("warning") {
        "warning"
    } else {
        "success"
    };
    if st == "running" && !live {
        "pending"
    } else {
        st
    }
}

#[test]
fn generated_retry_campaigns_match_the_truth() {
    let tmp = tempfile::tempdir().unwrap();
    let fleet_dir = tmp.path().join("fleet");
    let f = xferlens_gen::FleetOptions {
        sessions: 40,
        seed: 5,
        target_bytes: 3 << 20,
        accounts: 6,
        retries: 1.0,
        profile: xferlens_gen::Profile::Generator,
    };
    let truth = xferlens_gen::generate_fleet(&fleet_dir, &f).unwrap();
    // Sessions start in the order generated: the truth's attempts, in order.
    let mut want: std::collections::BTreeMap<(String, String), Vec<&'static str>> =
        Default::default();
    let mut failed_items = 0;
    for e in &truth {
        let live = matches!(e.state.as_str(), "RUNNING" | "PAUSING" | "ABORTING");
        failed_items += e.items.values().filter(|s| *s == "failed").count();
        let mut names: Vec<&str> = e
            .items
            .keys()
            .filter_map(|k| k.split_once("/AccountRemoteRoot/").map(|x| x.1))
            .collect();
        names.sort();
        names.dedup();
        for n in names {
            let get = |q: &str| {
                e.items
                    .get(&format!("{q}/AccountRemoteRoot/{n}"))
                    .map(String::as_str)
            };
            if get("TRANSFER") == Some("pending") {
                continue; // never started: the log never names it (queue_count only)
            }
            want.entry((e.remote_host.clone(), n.to_owned()))
                .or_default()
                .push(truth_status(get("TRANSFER"), get("RESTORE"), live));
        }
    }
    assert!(
        want.values().any(|v| v.len() >= 3),
        "some account was retried twice: {want:?}"
    );
    let out = tmp.path().join("out");
    let (code, _, err) = run(&[
        "batch",
        "--quiet",
        fleet_dir.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(code <= 1, "{err}");
    let csv_text = std::fs::read_to_string(out.join("accounts.csv")).unwrap();
    let mut got: std::collections::BTreeMap<(String, String), (usize, String, String)> =
        Default::default();
    for rec in csv::Reader::from_reader(csv_text.as_bytes()).records() {
        let r = rec.unwrap();
        if &r[1] != "AccountRemoteRoot" {
            continue;
        }
        got.insert(
            (r[0].to_owned(), r[2].to_owned()),
            (r[4].parse().unwrap(), r[7].to_owned(), r[10].to_owned()),
        );
    }
    let missing: Vec<_> = want.keys().filter(|k| !got.contains_key(*k)).collect();
    let extra: Vec<_> = got.keys().filter(|k| !want.contains_key(*k)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
    for (k, attempts) in &want {
        let (n, last, rerun) = &got[k];
        assert_eq!(*n, attempts.len(), "{k:?} attempts");
        assert_eq!(last, attempts.last().unwrap(), "{k:?} last status");
        // Live sessions do not occur without a running scenario; the rule
        // is failed or pending, in an ended session.
        let expect_rerun = matches!(*attempts.last().unwrap(), "failed" | "pending");
        let live_last = truth
            .iter()
            .rev()
            .find(|e| {
                e.remote_host == k.0
                    && e.items
                        .keys()
                        .any(|i| i.ends_with(&format!("/AccountRemoteRoot/{}", k.1)))
            })
            .is_some_and(|e| e.state == "RUNNING");
        assert_eq!(rerun == "yes", expect_rerun && !live_last, "{k:?} to_rerun");
    }
    // Cause totals add up to the failed items.
    let causes = std::fs::read_to_string(out.join("causes.csv")).unwrap();
    let total: usize = csv::Reader::from_reader(causes.as_bytes())
        .records()
        .map(|r| r.unwrap()[3].parse::<usize>().unwrap())
        .sum();
    assert_eq!(total, failed_items);
    // The same fleet as a tarball gives the same account histories.
    let tgz = tmp.path().join("fleet.tar.gz");
    {
        let file = std::fs::File::create(&tgz).unwrap();
        let gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        let mut b = tar::Builder::new(gz);
        b.append_dir_all("fleet", &fleet_dir).unwrap();
        b.into_inner().unwrap().finish().unwrap();
    }
    let out2 = tmp.path().join("out2");
    let (code, _, err) = run(&[
        "batch",
        "--quiet",
        tgz.to_str().unwrap(),
        "-o",
        out2.to_str().unwrap(),
    ]);
    assert!(code <= 1, "{err}");
    assert_eq!(
        std::fs::read_to_string(out2.join("accounts.csv")).unwrap(),
        csv_text
    );
}

#[test]
fn items_name_pending_restores_and_count_what_the_log_never_names() {
    let tmp = tempfile::tempdir().unwrap();
    let body = ctl(r#""action":"queue_count","queue":"TRANSFER","msg":3,"child_number":0"#)
        + &ctl(r#""action":"queue_count","queue":"RESTORE","msg":3,"child_number":0"#)
        + &item("TRANSFER", "AccountRemoteRoot", "bob", Some("ok"), 101);
    session(
        tmp.path(),
        "s",
        "src1.example.net",
        100,
        &body,
        Some("abort"),
    );
    let d = tmp.path().join("s");
    let (code, csv, err) = run(&["items", "--format", "csv", d.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let restore: Vec<&str> = csv.lines().filter(|l| l.contains(",RESTORE,")).collect();
    assert_eq!(restore.len(), 1, "{csv}");
    assert!(restore[0].contains(",bob,bob,,pending,"), "{}", restore[0]);
    // 3 + 3 counted, 2 named (bob's TRANSFER and his pending RESTORE).
    assert!(
        err.contains("4 more queued item(s) are only counted by the log"),
        "{err}"
    );
}
