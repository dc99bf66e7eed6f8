//! `xferlens log`: a golden per line type, cPanel's page rules for which
//! lines are drawn, search with context, filters, CSV/NDJSON rows (read
//! back by DuckDB when it is installed), and following a live session.

mod common;
use common::*;

use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

/// One item-log line of each type the writer uses (and the odd ones a
/// real log has: plain stderr text, a broken line, an unknown type).
const LINE_TYPES: [(&str, &str); 22] = [
    ("percentage", r#"{"pid":5,"type":"control","contents":{"action":"percentage","percentage":0,"time":1764338400},"indent":0,"partial":0}"#),
    ("start", r#"{"pid":5,"type":"start","contents":{"msg":["Starting “RESTORE” for “Account” “bob”."],"time":1764338400},"indent":0,"partial":0}"#),
    ("start_module", r#"{"pid":5,"type":"control","contents":{"action":"start_module","msg":["Mysql"],"time":1764338401},"indent":0,"partial":0}"#),
    ("start_action", r#"{"pid":5,"type":"control","contents":{"action":"start_action","msg":["Create databases"],"time":1764338401},"indent":0,"partial":0}"#),
    ("out", r#"{"pid":5,"type":"out","contents":{"msg":["Restoring database “bob_wp” … done"],"time":1764338402},"indent":1,"partial":0}"#),
    ("out_lines", r#"{"type":"out","pid":5,"contents":{"time":1764338402,"msg":["first line","second line"]},"indent":1}"#),
    ("out_string", r#"{"pid":"5","type":"out","contents":"contents as a plain \u201cstring\u201d","indent":"2"}"#),
    ("out_partial", r#"{"pid":5,"type":"out","contents":{"msg":["Copying … "],"time":1764338403},"indent":1,"partial":1}"#),
    ("out_partial_end", r#"{"pid":5,"type":"out","contents":{"msg":["done"],"time":1764338403},"indent":1,"partial":0}"#),
    ("remote", r#"{"pid":5,"type":"out","source":{"host":"src"},"contents":{"msg":["from the source server"],"time":1764338403},"indent":1}"#),
    ("header", r#"{"pid":5,"type":"header","contents":{"msg":["Databases"],"time":1764338403},"indent":0}"#),
    ("debug", r#"{"pid":5,"type":"debug","contents":{"msg":["debug detail"],"time":1764338403},"indent":1}"#),
    ("warn", r#"{"pid":5,"type":"warn","contents":{"msg":["The database “bob_old” was skipped."],"time":1764338404},"indent":1}"#),
    ("error", r#"{"pid":5,"type":"error","contents":{"msg":["ERROR 1045: Access denied \u001b[31mfor\u001b[0m user"],"time":1764338404},"indent":1}"#),
    ("stderr", "DBD::mysql::st execute failed: Table 'bob.wp_x' doesn't exist at /usr/local/cpanel/Cpanel/Mysql.pm line 12."),
    ("modulestatus_fail", r#"{"pid":5,"type":"modulestatus","contents":{"module":"Mysql","status":0,"statusmsg":"Mysql failed: access denied","time":1764338405},"indent":1}"#),
    ("end_action", r#"{"pid":5,"type":"control","contents":{"action":"end_action","msg":["Create databases"],"time":1764338405},"indent":0}"#),
    ("end_module", r#"{"pid":5,"type":"control","contents":{"action":"end_module","msg":["Mysql"],"time":1764338405},"indent":0}"#),
    ("failed", r#"{"pid":5,"type":"failed","contents":{"msg":["Failed: Mysql failed: access denied"],"time":1764338406},"indent":0}"#),
    ("summary", r#"{"pid":5,"type":"control","contents":{"action":"summary","time":1764338406,"warnings":[[["Mysql","restore_db",88],"a warning"]],"dangerous_items":[[["Homedir","check",9],"a setuid file"]]},"indent":0}"#),
    ("unknown", r#"{"pid":5,"type":"sparkle","contents":{"msg":["a newer writer's type"],"time":1764338407}}"#),
    ("broken", r#"{"pid":5,"type":"out","contents":{"msg":["cut"#),
];

/// A session directory holding one item log of `lines`.
fn session_with(lines: &[&str]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let s = d.path().join("typessession");
    std::fs::create_dir(&s).unwrap();
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(s.join("item-RESTORE_AccountRemoteRoot_bob"), text).unwrap();
    d
}

fn log(args: &[&str], dir: &Path) -> (i32, String, String) {
    let mut a = vec!["log", "--color", "never", "--quiet"];
    a.extend_from_slice(args);
    let p = dir.to_str().unwrap().to_owned();
    a.push(&p);
    run(&a)
}

#[test]
fn a_golden_per_line_type() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let gdir = root().join("tests/golden/log");
    std::fs::create_dir_all(&gdir).unwrap();
    let mut bad = Vec::new();
    for (i, (name, _)) in LINE_TYPES.iter().enumerate() {
        // Each type in its place: after the lines it needs (a module to be
        // in, a partial line to end), shown as the only line asked for.
        let lines: Vec<&str> = LINE_TYPES[..=i].iter().map(|l| l.1).collect();
        let d = session_with(&lines);
        let s = d.path().join("typessession");
        // A continued message is one entry, at its first line.
        let n = if *name == "out_partial_end" { i } else { i + 1 };
        let want_line = n.to_string();
        let (code, out, err) = log(&["--all", "-n", "--format", "text"], &s);
        assert_eq!(code, 0, "{name}: {err}");
        let prefix = format!("item-RESTORE_AccountRemoteRoot_bob:{n}:");
        let mut mine = String::new();
        let mut inside = false;
        for l in out.lines() {
            if l.starts_with("item-") {
                inside = l.starts_with(&prefix);
            } else if !l.starts_with(' ') {
                inside = false;
            }
            if inside {
                mine.push_str(l);
                mine.push('\n');
            }
        }
        let (code, rows, _) = log(&["--format", "ndjson"], &s);
        assert_eq!(code, 0);
        let row: String = rows
            .lines()
            .filter(|l| l.contains(&format!(",\"line\":{want_line},")))
            .map(|l| format!("{l}\n"))
            .collect();
        let got = format!("{mine}{row}");
        let golden = gdir.join(format!("{name}.txt"));
        if update {
            std::fs::write(&golden, &got).unwrap();
        } else if std::fs::read_to_string(&golden).unwrap_or_default() != got {
            bad.push(format!("{name}:\n{got}"));
        }
    }
    assert!(
        bad.is_empty(),
        "log goldens differ (UPDATE_GOLDEN=1 to rewrite):\n{}",
        bad.join("\n")
    );
}

/// Which lines cPanel's Transfer Session page draws as a line of text,
/// read from its renderer (base/sharedjs/transfers/TransferLogRender.js,
/// `renderMessage`, in the public cPanel source): a line whose `contents`
/// has `msg` is drawn unless it has an `action` (`start_*` draws its
/// `msg` as a section header, `end_*` closes the section and draws
/// nothing); a `modulestatus` line is drawn (module and `statusmsg`); a
/// `control` line without `msg` is drawn only as the progress bar
/// (`percentage`) or the summary area (`summary`, `start-item`), never as
/// a log line; anything else is logged to the console only. Text that is
/// not JSON reaches the page as an error line.
fn cpanel_page_draws(line: &str) -> bool {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
        return !line.trim_start().starts_with('{');
    };
    let c = &v["contents"];
    if c.is_null() || c.is_string() {
        // A plain-string `contents` has no `msg`: the page skips it, but
        // Cpanel::Output (view_transfer) prints it: xferlens shows it.
        return c.is_string();
    }
    if !c["msg"].is_null() {
        return match c["action"].as_str() {
            Some(a) => a.starts_with("start_"),
            None => true,
        };
    }
    v["type"] == "modulestatus" || c["action"] == "summary"
}

#[test]
fn the_lines_drawn_are_the_ones_cpanels_page_draws() {
    let mut lines: Vec<String> = LINE_TYPES
        .iter()
        .filter(|(n, _)| *n != "out_partial" && *n != "out_partial_end" && *n != "broken")
        .map(|(_, l)| l.to_string())
        .collect();
    for f in [
        "sessions/sourcefailurescopy20251128/item-RESTORE_AccountRemoteRoot_cedar002",
        "sessions/sourcewarningscopy20251128/item-RESTORE_AccountRemoteRoot_bravo001",
        "sessions/sourcegarbagecopy20251128/item-RESTORE_AccountRemoteRoot_alpha000",
        "logs/item-restore-failed.log",
    ] {
        if let Ok(t) = std::fs::read_to_string(fixture(f)) {
            lines.extend(
                t.lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(str::to_owned),
            );
        }
    }
    let mut mismatches = Vec::new();
    for l in &lines {
        let d = session_with(&[l]);
        let (_, out, _) = log(&["--no-time"], &d.path().join("typessession"));
        // Lines below the heading: what was drawn.
        let drawn = out.lines().count() > 1;
        // A summary line is drawn as its records (one each, or none).
        let records = serde_json::from_str::<serde_json::Value>(l)
            .ok()
            .is_some_and(|v| {
                [
                    "warnings",
                    "skipped_items",
                    "altered_items",
                    "dangerous_items",
                ]
                .iter()
                .any(|k| v["contents"][k].as_array().is_some_and(|a| !a.is_empty()))
            });
        let want = if l.contains("\"summary\"") {
            records
        } else {
            cpanel_page_draws(l)
        };
        if drawn != want {
            mismatches.push(format!("drawn={drawn} page={want}: {l}"));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn grep_with_context_level_and_module() {
    let s = fixture("sessions/sourcefailurescopy20251128");
    let (code, out, _) = log(&["--grep", "already exists", "-C", "1", "--no-time"], &s);
    assert_eq!(code, 0);
    assert!(
        out.contains("── RESTORE AccountRemoteRoot cedar002"),
        "{out}"
    );
    assert!(out.contains("Cron FAILED: Account restore failed: the user “cedar002” already exists"));
    let two = [
        "--grep",
        "cedar002_1.dat|cedar002_9.dat",
        "-C",
        "1",
        "--queue",
        "RESTORE",
    ];
    let (_, out, _) = log(&two, &s);
    assert_eq!(
        out.matches("\n--\n").count(),
        1,
        "context groups are separated: {out}"
    );
    assert_eq!(out.lines().count(), 1 + 3 + 1 + 3, "{out}");
    assert!(
        !out.contains("TRANSFER AccountRemoteRoot bravo001"),
        "no match, no heading"
    );
    let (code, _, _) = log(&["--grep", "no such words anywhere"], &s);
    assert_eq!(code, 1, "no match: exit 1, as grep");
    let (_, out, _) = log(&["--level", "error", "--no-time"], &s);
    assert!(
        out.lines()
            .filter(|l| !l.starts_with("──") && !l.is_empty())
            .all(|l| {
                l.contains("ailed")
                    || l.contains("FAILED")
                    || l.contains("error")
                    || l.contains("reset")
                    // A child program's stderr in the item log is an
                    // error line (Session.pm exec_with_output_directed_to_fh).
                    || l.contains("stderr: tar: ")
            }),
        "{out}"
    );
    let (_, out, _) = log(
        &["--module", "Mysql", "--account", "bravo001", "--no-time"],
        &s,
    );
    assert!(out.contains("Mysql ok: Mysql restored."), "{out}");
    assert!(!out.contains("Homedir"), "{out}");
    let (_, out, _) = log(&["--grep", "(?i)CONNECTION RESET"], &s);
    assert!(out.contains("Connection reset by peer"), "{out}");
    let (_, out, _) = log(
        &["-i", "--grep", "connection reset", "--queue", "RESTORE"],
        &s,
    );
    assert!(
        !out.contains("reset"),
        "--queue RESTORE leaves the TRANSFER log out"
    );
}

#[test]
fn escapes_in_the_raw_line_still_match_the_decoded_text() {
    let s = fixture("sessions/sourcefailurescopy20251128");
    // The raw line says `bravo001_0.dat\u201d`; the text says `bravo001_0.dat”`.
    let (code, out, _) = log(&["--grep", "bravo001_0.dat”", "--queue", "RESTORE"], &s);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("wp_posts chunk bravo001_0.dat” … done"));
}

#[test]
fn rows_carry_every_line_and_load_as_tables() {
    let s = fixture("sessions/sourcefailurescopy20251128");
    let (code, csv, _) = log(&["--format", "csv", "--account", "cedar002"], &s);
    assert_eq!(code, 0);
    let lines_in_files: usize = ["TRANSFER", "RESTORE"]
        .iter()
        .map(|q| {
            std::fs::read_to_string(s.join(format!("item-{q}_AccountRemoteRoot_cedar002")))
                .unwrap()
                .lines()
                .count()
        })
        .sum();
    // One row per log line (a summary line gives one per record).
    assert_eq!(csv.lines().count() - 1, lines_in_files, "{csv}");
    assert!(csv
        .starts_with("session_id,queue,item_type,account,file,line,time,type,action,level,module"));
    let (_, nd, _) = log(&["--format", "ndjson", "--account", "cedar002"], &s);
    for l in nd.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["account"], "cedar002");
    }
    if !has_program("python3") {
        eprintln!("SKIPPED: DuckDB check: python3 is not installed");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let (c, n) = (d.path().join("l.csv"), d.path().join("l.ndjson"));
    std::fs::write(&c, &csv).unwrap();
    std::fs::write(&n, &nd).unwrap();
    let script = format!(
        "import duckdb\n\
         a = duckdb.sql(\"select count(*), count(distinct module), min(time)::varchar from read_csv_auto('{}')\").fetchall()\n\
         b = duckdb.sql(\"select count(*), count(distinct module), min(time)::varchar from read_json_auto('{}')\").fetchall()\n\
         assert a == b, (a, b)\n\
         e = duckdb.sql(\"select count(*) from read_json_auto('{}') where level = 'error'\").fetchall()[0][0]\n\
         print(a[0][0], a[0][1], a[0][2], e)\n",
        c.display(),
        n.display(),
        n.display()
    );
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(&script)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("No module named") {
        eprintln!("SKIPPED: DuckDB check: the duckdb module is not installed");
        return;
    }
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let f: Vec<&str> = stdout.split_whitespace().collect();
    assert_eq!(f[0].parse::<usize>().unwrap(), csv.lines().count() - 1);
    assert!(f[1].parse::<usize>().unwrap() >= 3, "modules: {stdout}");
    assert!(
        f[2].starts_with("2025-11-28"),
        "times are timestamps: {stdout}"
    );
    assert!(f[4].parse::<usize>().unwrap() >= 2, "error lines: {stdout}");
}

#[test]
fn the_master_log_reads_in_cpanels_words() {
    let s = fixture("sessions/sourceworkercrashcopy20251128");
    let (code, out, _) = log(&["--master", "--no-time"], &s);
    assert_eq!(code, 0);
    for want in [
        "[MASTER    ] Start Session",
        "Remote Host: source10.example.net",
        "Child process “27520” died (retry 1/3).",
        "Account “delta001”: The transfer process exited unexpectedly (signal 9).",
        "Session Complete",
    ] {
        assert!(out.contains(want), "{want}: {out}");
    }
}

#[test]
fn a_tarball_and_a_lone_file_read_the_same_lines() {
    let s = fixture("sessions/sourcefailurescopy20251128");
    let d = tempfile::tempdir().unwrap();
    let tar = d.path().join("s.tar.gz");
    let ok = std::process::Command::new("tar")
        .arg("czf")
        .arg(&tar)
        .arg("-C")
        .arg(s.parent().unwrap())
        .arg("sourcefailurescopy20251128")
        .status()
        .unwrap();
    assert!(ok.success());
    let (_, from_dir, _) = log(&["--account", "fjord003", "--queue", "RESTORE"], &s);
    let (_, from_tar, _) = log(&["--account", "fjord003", "--queue", "RESTORE"], &tar);
    assert_eq!(from_dir, from_tar);
    let (_, from_file, _) = log(&[], &s.join("item-RESTORE_AccountRemoteRoot_fjord003"));
    assert_eq!(from_dir, from_file);
}

fn append(p: &Path, lines: &[String]) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(p)
        .unwrap();
    for l in lines {
        f.write_all(l.as_bytes()).unwrap();
    }
    f.flush().unwrap();
}

fn out_line(n: usize) -> String {
    format!("{{\"pid\":7,\"type\":\"out\",\"contents\":{{\"msg\":[\"line {n}\"],\"time\":{}}},\"indent\":1}}\n", 1764338400 + n)
}

#[test]
fn follow_reads_a_live_file_as_it_grows_and_when_it_is_renamed() {
    let d = tempfile::tempdir().unwrap();
    let s = d.path().join("livesession");
    std::fs::create_dir(&s).unwrap();
    let master = s.join(".master.log");
    append(&master, &[r#"{"pid":1,"type":"control","contents":{"action":"start","child_number":0,"time":1764338400}}"#.to_owned() + "\n"]);
    let dot = s.join(".item-RESTORE_AccountRemoteRoot_bob");
    append(&dot, &[out_line(1), out_line(2)]);
    // Half a line: not shown until it is whole.
    append(&dot, &["{\"pid\":7,\"type\":\"out\",\"con".to_owned()]);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("xferlens"))
        .args([
            "log",
            "--follow",
            "--interval",
            "0.1",
            "--color",
            "never",
            "--no-time",
        ])
        .arg(&s)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(600));
    append(
        &dot,
        &[
            "tents\":{\"msg\":[\"line 3\"]},\"indent\":1}\n".to_owned(),
            out_line(4),
        ],
    );
    std::thread::sleep(Duration::from_millis(400));
    // The writer renames the file when it is done with it...
    append(&dot, &[out_line(5)]);
    std::fs::rename(&dot, s.join("item-RESTORE_AccountRemoteRoot_bob")).unwrap();
    // ... and a new item log appears.
    append(
        &s.join(".item-RESTORE_AccountRemoteRoot_carol"),
        &[out_line(6)],
    );
    std::thread::sleep(Duration::from_millis(400));
    std::fs::rename(
        s.join(".item-RESTORE_AccountRemoteRoot_carol"),
        s.join("item-RESTORE_AccountRemoteRoot_carol"),
    )
    .unwrap();
    // The session ends.
    std::fs::rename(&master, s.join("master.log")).unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("log --follow did not stop when the session ended");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success());
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    let shown: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("line "))
        .map(str::trim)
        .collect();
    assert_eq!(
        shown,
        ["line 1", "line 2", "line 3", "line 4", "line 5", "line 6"],
        "{out}"
    );
    assert!(!out.contains("still being written"), "{out}");
}

#[test]
fn the_search_in_bulk_finds_what_a_search_message_by_message_finds() {
    // The realistic line mix: random key orders, `\u201c` escapes, Perl
    // warnings, partial lines.
    let dir = tempfile::tempdir().unwrap();
    let o = xferlens_gen::GenOptions {
        accounts: 40,
        lines_per_item: 30,
        scenario: xferlens_gen::Scenario::Mixed,
        profile: xferlens_gen::Profile::Realistic,
        ..Default::default()
    };
    let ex = xferlens_gen::generate_session(dir.path(), &o).unwrap();
    let s = dir.path().join(&ex.id);
    for (bulk, by_message) in [
        ("already exists", "(?:already exists)"),
        ("“public_html", "(?:“public_html)"),
        ("done", "(?:done)"),
        ("quota for [a-z]+0", "(?:quota for [a-z]+0)"),
    ] {
        for extra in [&[][..], &["-C", "2"][..], &["--format", "ndjson"][..]] {
            let mut a = vec!["-n", "--grep", bulk];
            a.extend_from_slice(extra);
            let (c1, one, _) = log(&a, &s);
            a[2] = by_message;
            let (c2, two, _) = log(&a, &s);
            assert_eq!((c1, &one), (c2, &two), "{bulk} {extra:?}");
            if extra.is_empty() && bulk == "done" {
                assert!(one.lines().count() > 100, "{one}");
            }
        }
        // Files searched beside each other print as one file after another.
        let (_, parallel, _) = log(&["--grep", bulk], &s);
        let (_, serial, _) = log(&["--grep", bulk, "--follow"], &s);
        assert_eq!(parallel, serial, "{bulk}");
    }
}

/// A session directory holding `files` (name, lines).
fn session_of(files: &[(&str, Vec<String>)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let s = d.path().join("reviewsession");
    std::fs::create_dir(&s).unwrap();
    for (name, lines) in files {
        let mut text = lines.join("\n");
        text.push('\n');
        std::fs::write(s.join(name), text).unwrap();
    }
    d
}

#[test]
fn lines_xferlens_words_or_decodes_are_found_by_every_search() {
    let item = vec![
        r#"{"type":"control","contents":{"action":"percentage","percentage":7,"time":1764338400}}"#.to_owned(),
        r#"{"type":"out","contents":{"msg":["first","second"],"time":1764338401}}"#.to_owned(),
        r#"{"type":"out","contents":{"msg":["KELVIN \u212a sign"],"time":1764338401}}"#.to_owned(),
        r"Can't locate Foo.pm in @INC (@INC contains: C:\Perl\lib) at x line 3.".to_owned(),
        r#"{"type":"control","contents":{"action":"summary","warnings":[[["Mysql","restore_db",88],"a warning"]],"skipped_items":[[["Homedir","f",2],"skipped one"]]}}"#.to_owned(),
        r#"{"type":"out","contents":{"msg":["cut"#.to_owned(),
    ];
    let master = vec![
        r#"{"pid":1,"type":"control","contents":{"action":"start","child_number":0,"time":1764338400}}"#.to_owned(),
        r#"{"pid":1,"type":"control","contents":{"action":"complete","child_number":0,"time":1764338409}}"#.to_owned(),
    ];
    let d = session_of(&[
        ("item-RESTORE_AccountRemoteRoot_bob", item),
        ("master.log", master),
    ]);
    let s = d.path().join("reviewsession");
    for (pattern, extra) in [
        ("Warning \\(", &[][..]),
        ("Skipped item", &[][..]),
        ("Perl.lib", &[][..]),
        ("\\\\", &[][..]),
        ("first[[:space:]]second", &[][..]),
        ("first\\x0asecond", &[][..]),
        ("k sign", &["-i"][..]),
        ("Progress: 7", &["--all"][..]),
        ("Session Complete", &["--master"][..]),
        ("msg", &["--format", "ndjson"][..]),
    ] {
        let mut a = vec!["-e", pattern];
        a.extend_from_slice(extra);
        let (c1, one, _) = log(&a, &s);
        let wrapped = format!("(?:{pattern})");
        a[1] = &wrapped;
        let (c2, two, _) = log(&a, &s);
        assert_eq!((c1, &one), (c2, &two), "{pattern} {extra:?}");
        assert_eq!(c1, 0, "{pattern} {extra:?} is found: {one}");
    }
}

#[test]
fn a_context_counts_shown_lines_however_many_hidden_lines_lie_between() {
    let mut lines =
        vec![r#"{"type":"start","contents":{"msg":["Starting"],"time":1764338400}}"#.to_owned()];
    let progress = |n: usize| {
        format!(
            r#"{{"type":"control","contents":{{"action":"percentage","percentage":{n},"time":1764338400}}}}"#
        )
    };
    lines.push(r#"{"type":"out","contents":{"msg":["ctx one"]}}"#.to_owned());
    lines.push(r#"{"type":"out","contents":{"msg":["ctx two"]}}"#.to_owned());
    lines.extend((0..30).map(progress));
    lines.push(r#"{"type":"error","contents":{"msg":["NEEDLE here"]}}"#.to_owned());
    lines.extend((30..60).map(progress));
    lines.push(r#"{"type":"out","contents":{"msg":["after one"]}}"#.to_owned());
    lines.push(r#"{"type":"out","contents":{"msg":["after two"]}}"#.to_owned());
    let d = session_of(&[("item-RESTORE_AccountRemoteRoot_ctx", lines)]);
    let (_, out, _) = log(
        &["--no-time", "-B2", "-A2", "-e", "NEEDLE"],
        &d.path().join("reviewsession"),
    );
    let shown: Vec<&str> = out.lines().skip(1).map(str::trim).collect();
    assert_eq!(
        shown,
        [
            "ctx one",
            "ctx two",
            "NEEDLE here",
            "after one",
            "after two"
        ],
        "{out}"
    );
}

#[test]
fn a_line_over_the_cap_is_one_cut_line_and_the_numbers_after_it_hold() {
    let huge = format!(
        r#"{{"type":"out","contents":{{"msg":["{}"]}}}}"#,
        "H".repeat(17 << 20)
    );
    let after = r#"{"type":"out","contents":{"msg":["after huge"]}}"#.to_owned();
    let d = session_of(&[("item-RESTORE_AccountRemoteRoot_hz", vec![huge, after])]);
    let (_, rows, _) = log(&["--format", "ndjson"], &d.path().join("reviewsession"));
    let rows: Vec<serde_json::Value> = rows
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(
        (rows[0]["line"].as_u64(), rows[0]["type"].as_str()),
        (Some(1), Some("broken"))
    );
    assert_eq!(rows[0]["action"], "line-too-long");
    assert_eq!(
        (rows[1]["line"].as_u64(), rows[1]["message"].as_str()),
        (Some(2), Some("after huge"))
    );
}

#[test]
fn files_not_read_are_named_and_an_ended_session_ends_a_follow() {
    let master = vec![
        r#"{"pid":1,"type":"control","contents":{"action":"start","child_number":0,"time":1764338400}}"#.to_owned(),
        r#"{"pid":2,"type":"control","contents":{"action":"start","child_number":1,"queue":"RESTORE","item":"gone","item_type":"AccountRemoteRoot","item_name":"Account","logfile":"item-RESTORE_AccountRemoteRoot_gone"}}"#.to_owned(),
        r#"{"pid":1,"type":"control","contents":{"action":"complete","child_number":0,"time":1764338409}}"#.to_owned(),
    ];
    let d = session_of(&[("master.log", master)]);
    let s = d.path().join("reviewsession");
    std::os::unix::fs::symlink("/etc/passwd", s.join("item-RESTORE_AccountRemoteRoot_sym"))
        .unwrap();
    std::fs::write(
        s.join("item-RESTORE_AccountRemoteRoot_evil\u{1b}[31m"),
        "x\n",
    )
    .unwrap();
    let out = xferlens()
        .args(["log", "--follow", "--interval", "0.1", "--color", "never"])
        .arg(&s)
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "the follow ends: the session has ended"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("item-RESTORE_AccountRemoteRoot_gone: no log file"),
        "{err}"
    );
    assert!(
        err.contains("item-RESTORE_AccountRemoteRoot_sym: a symbolic link; not read"),
        "{err}"
    );
    assert!(err.contains("control characters; not read"), "{err}");
    assert!(!err.contains('\u{1b}'), "{err:?}");
    let out = xferlens()
        .args(["log", "--account", "nobody"])
        .arg(&s)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--account nobody matched no account"), "{err}");
}
