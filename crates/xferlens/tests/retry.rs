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
    // s3-running's lines are from 1970: with a --stale-after that keeps
    // it live, its account is in progress (the stale case is below).
    let fresh = "100000d";
    let (code, csv, err) = run(&[
        "retry",
        "--format",
        "csv",
        "--quiet",
        "--stale-after",
        fresh,
        root,
    ]);
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
    let (_, text, _) = run(&["retry", "--quiet", "--stale-after", fresh, root]);
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
    // By default (an hour) s3-running is long dead: its account is to
    // re-run, and nothing is in progress.
    let (_, text, _) = run(&["retry", "--quiet", root]);
    assert!(
        text.starts_with("3 account(s) to re-run: 1 failed, 2 never restored\n"),
        "{text}"
    );
    assert!(
        text.contains("dave  1 attempt(s), last running in s3-running: never finished (session RUNNING, no new line for "),
        "{text}"
    );
    assert!(!text.contains("still in progress"), "{text}");

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

/// `s` as the inside of a JSON string (for names with quotes, control
/// characters and NUL).
fn json_str(s: &str) -> String {
    let q = serde_json::to_string(s).unwrap();
    q[1..q.len() - 1].to_owned()
}

/// A directory with a stand-in `whmapi1` on its `bin/` that appends its
/// arguments, one call per line, to `calls.log`.
struct FakeWhmapi1 {
    dir: std::path::PathBuf,
}

impl FakeWhmapi1 {
    fn new(dir: &Path) -> Self {
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let fake = bin.join("whmapi1");
        std::fs::write(
            &fake,
            format!(
                "#!/bin/sh\nfor a in \"$@\"; do printf '[%s]' \"$a\"; done >> '{}'; echo >> '{}'\n",
                dir.join("calls.log").display(),
                dir.join("calls.log").display()
            ),
        )
        .unwrap();
        let mut perm = std::fs::metadata(&fake).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
        std::fs::set_permissions(&fake, perm).unwrap();
        FakeWhmapi1 {
            dir: dir.to_owned(),
        }
    }

    /// Runs `sh` with `script` on its standard input (as `... | sh` does)
    /// and `vars` set; returns its success and the calls it made.
    fn sh(&self, script: &str, vars: &[(&str, &str)]) -> (bool, Vec<String>) {
        use std::io::Write;
        let _ = std::fs::remove_file(self.dir.join("calls.log"));
        let mut c = std::process::Command::new("sh");
        c.current_dir(&self.dir)
            .env_clear()
            .env(
                "PATH",
                format!("{}:/usr/bin:/bin", self.dir.join("bin").display()),
            )
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        for (k, v) in vars {
            c.env(k, v);
        }
        let mut child = c.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(script.as_bytes())
            .unwrap();
        let ok = child.wait().unwrap().success();
        let calls = std::fs::read_to_string(self.dir.join("calls.log")).unwrap_or_default();
        (ok, calls.lines().map(str::to_owned).collect())
    }
}

/// Every line of a re-queue script is empty, a comment, or one complete
/// `whmapi1` command whose every value is a plain word, a number, or a
/// guarded variable; the file is printable ASCII.
fn assert_script_lines_stand_alone(script: &str) {
    assert!(
        script
            .bytes()
            .all(|b| b == b'\n' || (0x20..0x7f).contains(&b)),
        "only printable ASCII: {script:?}"
    );
    let command = regex::Regex::new(
        r#"^whmapi1 (enqueue_transfer_item|start_transfer_session|start_local_cpmove_restore)( [a-z_]+=('[-._a-zA-Z0-9]+'|[0-9]+|"\$\{[A-Za-z0-9_]+:\?[a-z ,]+\}"))+$"#,
    )
    .unwrap();
    for line in script.lines() {
        assert!(
            line.is_empty() || line.starts_with('#') || command.is_match(line),
            "not a comment nor a complete command: {line:?}"
        );
    }
}

fn grep(script: &str, pat: &str) -> String {
    script
        .lines()
        .filter(|l| l.contains(pat))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn requeue_lines_stand_alone_and_cannot_be_forged() {
    let tmp = tempfile::tempdir().unwrap();
    let fake = FakeWhmapi1::new(tmp.path());
    let pwned = tmp.path().join("pwned");
    let forged = format!(
        "bob\nwhmapi1 enqueue_transfer_item user='alice' ;touch {};#",
        pwned.display()
    );
    let a = "AccountRemoteRoot";
    let fleet = tmp.path().join("fleet");
    session(
        &fleet,
        "s1",
        "src1.example.net",
        100,
        &(item("TRANSFER", a, "alice", Some("disk full"), 101)
            + &item("TRANSFER", a, &json_str(&forged), Some("failed"), 102)),
        Some("complete"),
    );
    session(
        &fleet,
        "s2",
        "src2.example.net",
        200,
        &item("TRANSFER", a, "alice", Some("timeout"), 201),
        Some("complete"),
    );
    let (code, script, err) = run(&[
        "retry",
        "--format",
        "whmapi1",
        "-q",
        fleet.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_script_lines_stand_alone(&script);
    // The forged name is one comment, escaped, with the reason.
    let shown: Vec<&str> = script.lines().filter(|l| l.contains("touch")).collect();
    assert_eq!(shown.len(), 1, "{script}");
    assert!(
        shown[0].starts_with(
            "# AccountRemoteRoot bob\\nwhmapi1 enqueue_transfer_item user='alice' ;touch "
        ) && shown[0].contains(
            "refused: the account name contains the control or invisible character U+000A"
        ),
        "{}",
        shown[0]
    );
    let vars = [
        ("SESSION_src1_example_net", "new1"),
        ("SESSION_src2_example_net", "new2"),
    ];
    // Any prefix of the script, and any line alone, is safe to run.
    let lines: Vec<&str> = script.lines().collect();
    for n in 1..=lines.len() {
        let head: String = lines[..n].iter().map(|l| format!("{l}\n")).collect();
        fake.sh(&head, &vars);
        fake.sh(&format!("{}\n", lines[n - 1]), &vars);
        assert!(!pwned.exists(), "line {n} ran log content");
    }
    // grep alice | sh: each host's alice goes into that host's session.
    let (ok, calls) = fake.sh(&grep(&script, "alice"), &vars);
    assert!(ok);
    assert_eq!(
        calls,
        [
            "[enqueue_transfer_item][transfer_session_id=new1][module=AccountRemoteRoot][user=alice][localuser=alice][size=1000]",
            "[enqueue_transfer_item][transfer_session_id=new2][module=AccountRemoteRoot][user=alice][localuser=alice][size=1000]",
        ]
    );
    assert!(!pwned.exists(), "grep alice | sh never runs touch");
    // Without the sessions set up, nothing runs.
    let (ok, calls) = fake.sh(&grep(&script, "alice"), &[]);
    assert!(!ok && calls.is_empty(), "{calls:?}");
    // With one host's session only, that host's block runs, then the
    // script stops at the other host's first line.
    let (ok, calls) = fake.sh(&script, &vars[..1]);
    assert!(!ok);
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(calls
        .iter()
        .all(|c| c.contains("[transfer_session_id=new1]")));
    assert_eq!(
        calls[1],
        "[start_transfer_session][transfer_session_id=new1]"
    );
    // The whole script with both: two sessions, each started once.
    let (ok, calls) = fake.sh(&script, &vars);
    assert!(ok);
    assert_eq!(
        calls
            .iter()
            .filter(|c| c.starts_with("[start_transfer_session]"))
            .count(),
        2,
        "{calls:?}"
    );
    assert!(!pwned.exists());
}

#[test]
fn names_and_types_no_cpanel_server_can_have_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let fake = FakeWhmapi1::new(tmp.path());
    let a = "AccountRemoteRoot";
    let long = "a".repeat(600);
    let hostile = [
        ("nul\0b", "nul\\0b", "U+0000"),
        (&long, "aaaa", "over cPanel's limit of 16"),
        (
            "esc\u{1b}]52;c;aGk=\u{7}",
            "esc\\x1b]52;c;aGk=\\x07",
            "U+001B",
        ),
        ("cr\rx", "cr\\rx", "U+000D"),
        ("bel\u{7}", "bel\\x07", "U+0007"),
        ("cone\u{85}", "cone\\u0085", "U+0085"),
        ("bidi\u{202e}cba", "bidi\\u202ecba", "U+202E"),
        ("b\u{200b}ob", "b\\u200bob", "U+200B"),
        ("Bob", "Bob", "outside cPanel's user name characters"),
        (
            "x';id;#",
            "x';id;#",
            "contains ' (U+0027), outside cPanel's user name characters",
        ),
        (
            "x'; touch PWNED #$(id)",
            "x'; touch PWNED #$(id)",
            "is 22 bytes long",
        ),
    ];
    let mut body = item("TRANSFER", a, "carol", Some("disk full"), 101);
    for (i, (name, _, _)) in hostile.iter().enumerate() {
        body += &item(
            "TRANSFER",
            a,
            &json_str(name),
            Some("failed"),
            102 + i as i64,
        );
    }
    // An item type cPanel does not have, and a hostile destination name.
    body += &item("TRANSFER", "AccountEvil", "erin", Some("failed"), 150);
    body += &ctl(
        r#""action":"start","queue":"TRANSFER","item":"dave","item_type":"AccountRemoteRoot","local_item":"dave\n;id","child_number":1,"time":160"#,
    );
    body += &ctl(
        r#""action":"failed-item","queue":"TRANSFER","item":"dave","item_type":"AccountRemoteRoot","child_number":1,"msg":{"failure":"x"},"time":161"#,
    );
    session(
        tmp.path(),
        "s1",
        "src1.example.net",
        100,
        &body,
        Some("complete"),
    );
    let root = tmp.path().join("s1");
    let (code, script, err) = run(&["retry", "--format", "whmapi1", "-q", root.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_script_lines_stand_alone(&script);
    let commands: Vec<&str> = script
        .lines()
        .filter(|l| l.starts_with("whmapi1 "))
        .collect();
    assert_eq!(commands.len(), 2, "carol and the session's start: {script}");
    assert!(commands[0].contains(" user='carol' "), "{}", commands[0]);
    assert!(
        !script.contains("nulb"),
        "a NUL is never dropped into a name"
    );
    for (_, shown, why) in hostile {
        let line = script
            .lines()
            .find(|l| l.starts_with(&format!("# AccountRemoteRoot {shown}")))
            .unwrap_or_else(|| panic!("{shown} not listed: {script}"));
        assert!(line.contains("refused: ") && line.contains(why), "{line}");
    }
    assert!(script.contains("# AccountEvil erin from src1.example.net (last failed in session s1): refused: not one of cPanel's item types"), "{script}");
    assert!(
        script.contains(
            "refused: the destination name contains the control or invisible character U+000A"
        ),
        "{script}"
    );
    // Run whole, it enqueues carol only.
    let (ok, calls) = fake.sh(&script, &[("SESSION_src1_example_net", "n")]);
    assert!(ok);
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(!tmp.path().join("PWNED").exists());
    // The text list says which names the script leaves out, and why.
    let (_, text, _) = run(&["retry", "-q", root.to_str().unwrap()]);
    assert_eq!(
        text.matches("[not re-queued by --format whmapi1: ").count(),
        hostile.len() + 2,
        "{text}"
    );
}

#[test]
fn each_session_kind_gets_a_block_that_runs_as_written() {
    let tmp = tempfile::tempdir().unwrap();
    let fake = FakeWhmapi1::new(tmp.path());
    let fleet = tmp.path().join("fleet");
    session(
        &fleet,
        "s1",
        "src1.example.net",
        100,
        &(item(
            "TRANSFER",
            "AccountRemoteRoot",
            "rooty",
            Some("disk full"),
            101,
        ) + &item(
            "TRANSFER",
            "AccountRemoteUser",
            "usery",
            Some("timeout"),
            102,
        )),
        Some("complete"),
    );
    session(
        &fleet,
        "s2",
        "localhost",
        200,
        &(item("RESTORE", "AccountLocal", "loco", Some("Mysql failed"), 201)
            + &item("RESTORE", "AccountUpload", "uppy", Some("tar failed"), 202)),
        Some("complete"),
    );
    let (code, script, err) = run(&[
        "retry",
        "--format",
        "whmapi1",
        "-q",
        fleet.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_script_lines_stand_alone(&script);
    // A root session for the root copy, a user session for the user copy.
    assert!(script.contains("#      whmapi1 create_remote_root_transfer_session remote_server_type=cpanel host='src1.example.net' user=root password=..."), "{script}");
    assert!(
        script.contains(
            "#   whmapi1 create_remote_user_transfer_session host='src1.example.net' password=..."
        ),
        "{script}"
    );
    let user = grep(&script, "module='AccountRemoteUser'");
    assert!(
        user.contains("transfer_session_id=\"${USER_SESSION_src1_example_net_usery:?"),
        "{user}"
    );
    assert!(!grep(&script, "SESSION_src1_example_net:").contains("usery"));
    // A local restore with a guarded placeholder for its archive; the
    // upload only in comments.
    assert!(script.contains("\"Restore File:\""), "{script}");
    assert!(
        grep(&script, "uppy").lines().all(|l| l.starts_with('#')),
        "{script}"
    );
    assert!(script.contains("so it is gone"), "{script}");
    let vars = [
        ("SESSION_src1_example_net", "r1"),
        ("USER_SESSION_src1_example_net_usery", "u1"),
    ];
    // Unfilled, the local restore refuses; the blocks before it ran.
    let (ok, calls) = fake.sh(&script, &vars);
    assert!(!ok);
    assert_eq!(
        calls,
        [
            "[enqueue_transfer_item][transfer_session_id=r1][module=AccountRemoteRoot][user=rooty][localuser=rooty][size=1000]",
            "[start_transfer_session][transfer_session_id=r1]",
            "[enqueue_transfer_item][transfer_session_id=u1][module=AccountRemoteUser][user=usery][localuser=usery][size=1000]",
            "[start_transfer_session][transfer_session_id=u1]",
        ]
    );
    let mut all = vars.to_vec();
    all.push(("CPMOVE_loco", "/home/cpmove-loco.tar.gz"));
    let (ok, calls) = fake.sh(&script, &all);
    assert!(ok);
    assert_eq!(
        calls.last().unwrap(),
        "[start_local_cpmove_restore][cpmovepath=/home/cpmove-loco.tar.gz][username=loco]"
    );
    assert_eq!(calls.len(), 5, "{calls:?}");
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
    // s3-running's lines are from 1970: stale, so dave is to re-run.
    assert!(stdout.contains("5 accounts, 3 to re-run"), "{stdout}");
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
    assert!(dave.ends_with(",yes"), "in a stale session: {dave}");
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
    // The garbage session's two broken master lines, its invalid UTF-8
    // and its unmentioned log. Cut last lines of dot files (the running
    // and offline-abort fixtures) are no diagnostic; the garbage
    // session's item-log Perl warning is stderr text, not damage.
    assert_eq!(diagnostics.lines().count() - 1, 4, "{diagnostics}");
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
        // The rule: failed, pending or running in a session that ended
        // or went quiet; every RUNNING session of the campaign is a year
        // older than the pinned "now", so stale (ended).
        let expect_rerun = matches!(*attempts.last().unwrap(), "failed" | "pending" | "running");
        assert_eq!(rerun == "yes", expect_rerun, "{k:?} to_rerun");
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

#[test]
fn host_names_join_as_dns_compares_them() {
    // One server written two ways (case, a trailing dot): one host, and
    // an account's two attempts are joined.
    let d = tempfile::tempdir().unwrap();
    let src = fixture("sessions/sourcefailurescopy20251128");
    for (name, host) in [
        ("s1", "source9.example.net"),
        ("s2", "SOURCE9.Example.NET."),
    ] {
        let to = d.path().join(name);
        std::fs::create_dir(&to).unwrap();
        for e in std::fs::read_dir(&src).unwrap().flatten() {
            let mut text = std::fs::read_to_string(e.path()).unwrap();
            if e.file_name() == "master.log" {
                text = text.replace("\"source9.example.net\"", &format!("\"{host}\""));
            }
            std::fs::write(to.join(e.file_name()), text).unwrap();
        }
    }
    let (code, out, _) = run(&["retry", "--format", "csv", d.path().to_str().unwrap()]);
    assert_eq!(code, 0);
    let alpha: Vec<&str> = out.lines().filter(|l| l.contains(",alpha000,")).collect();
    assert_eq!(alpha.len(), 1, "{out}");
    assert!(alpha[0].starts_with("source9.example.net,"), "{out}");
    assert!(alpha[0].contains(",2,"), "two attempts: {out}");
}

#[test]
fn a_session_given_twice_counts_once() {
    let s = fixture("sessions/sourcefailurescopy20251128");
    let d = tempfile::tempdir().unwrap();
    let tar = d.path().join("s.tar");
    let ok = std::process::Command::new("tar")
        .arg("cf")
        .arg(&tar)
        .arg("-C")
        .arg(s.parent().unwrap())
        .arg("sourcefailurescopy20251128")
        .status()
        .unwrap();
    assert!(ok.success());
    let once = run(&["retry", "--format", "csv", s.to_str().unwrap()]).1;
    let dotted = "./fixtures/sessions/sourcefailurescopy20251128/".to_owned();
    for twice in [
        vec![s.to_str().unwrap(), s.to_str().unwrap()],
        vec![s.to_str().unwrap(), dotted.as_str()],
        vec![s.to_str().unwrap(), tar.to_str().unwrap()],
    ] {
        let mut a = vec!["retry", "--format", "csv"];
        a.extend(&twice);
        let out = xferlens().args(&a).output().unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), once, "{twice:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("is given twice"),
            "{twice:?}"
        );
    }
    // batch likewise: one session's rows.
    let o = d.path().join("out");
    let out = xferlens()
        .args(["batch", "--no-progress", "-o"])
        .arg(&o)
        .arg(&s)
        .arg(&tar)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let sessions = std::fs::read_to_string(o.join("sessions.csv")).unwrap();
    assert_eq!(sessions.lines().count(), 2, "{sessions}");
}
