//! Hardening II: one regression test per failure an adversarial review
//! found (hostile archives and logs, symlinks, outputs over inputs, closed
//! pipes, FIFOs and devices, nonsense taken for a session, number
//! overflow). Every input is built by the test; nothing large is committed.
//! docs/RELIABILITY.md maps each guarantee to its test here.

mod common;
use common::*;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

fn ctl(contents: &str) -> String {
    format!("{{\"pid\":1,\"type\":\"control\",\"contents\":{{{contents}}}}}\n")
}

/// A minimal valid master log: start, one item transferred, complete.
fn small_master() -> String {
    let mut m = ctl(r#""action":"start","child_number":0,"time":100"#);
    m += &ctl(r#""action":"queue_count","queue":"TRANSFER","msg":1,"child_number":0"#);
    m += &ctl(
        r#""action":"start","queue":"TRANSFER","item":"bob","item_type":"AccountRemoteRoot","child_number":1,"time":101"#,
    );
    m += &ctl(
        r#""action":"failed-item","queue":"TRANSFER","item":"bob","item_type":"AccountRemoteRoot","child_number":1,"msg":{"failure":"pkgacct failed"},"time":102"#,
    );
    m += &ctl(r#""action":"complete","child_number":0,"time":103"#);
    m
}

fn session_dir(root: &Path, name: &str, master: &str) -> PathBuf {
    let d = root.join(name);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("master.log"), master).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A raw tar header block (GNU magic), checksum filled in.
fn tar_header(name: &[u8], size: u64, typ: u8) -> [u8; 512] {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name);
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
    h[136..148].copy_from_slice(b"00000000000\0");
    h[156] = typ;
    h[257..265].copy_from_slice(b"ustar  \0");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h
}

/// One member of type `typ`: header and padded data.
fn tar_entry(name: &str, data: &[u8], typ: u8) -> Vec<u8> {
    let mut v = tar_header(name.as_bytes(), data.len() as u64, typ).to_vec();
    v.extend_from_slice(data);
    v.resize(v.len().div_ceil(512) * 512, 0);
    v
}

/// One regular-file member.
fn tar_member(name: &str, data: &[u8]) -> Vec<u8> {
    tar_entry(name, data, b'0')
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn tar_extension_headers_have_a_budget() {
    let tmp = tempfile::tempdir().unwrap();
    // A good session, then a GNU long name that claims 1 GiB.
    let mut t = tar_member("good/master.log", small_master().as_bytes());
    t.extend_from_slice(&tar_header(b"././@LongLink", 1 << 30, b'L'));
    t.extend(std::iter::repeat_n(0u8, 1 << 20));
    let bomb = tmp.path().join("bomb.tar.gz");
    std::fs::write(&bomb, gzip(&t)).unwrap();
    let (code, out, err) = run(&["summary", s(&bomb)]);
    assert_eq!(code, 2, "{err}");
    assert!(
        out.contains("Session good"),
        "sessions before the damage: {out}"
    );
    assert!(err.contains("over the 65536-byte budget"), "{err}");
    assert_eq!(err.lines().count(), 1, "one line, said once: {err}");

    // Long names under the budget still work: GNU long name and PAX path.
    let long = format!("{}/master.log", "d".repeat(300));
    let mut t = tar_header(b"././@LongLink", long.len() as u64 + 1, b'L').to_vec();
    let mut name = long.clone().into_bytes();
    name.push(0);
    name.resize(name.len().div_ceil(512) * 512, 0);
    t.extend(name);
    t.extend(tar_member("short-name-ignored", small_master().as_bytes()));
    let pax_path = format!("{}/master.log", "p".repeat(200));
    let body = format!(" path={pax_path}\n");
    let record = format!("{}{body}", body.len() + 3); // three length digits
    assert_eq!(record.len(), body.len() + 3);
    t.extend(tar_entry("pax-header", record.as_bytes(), b'x'));
    t.extend(tar_member("also-ignored", small_master().as_bytes()));
    t.extend([0u8; 1024]);
    let ok = tmp.path().join("long.tar");
    std::fs::write(&ok, &t).unwrap();
    let (code, out, err) = run(&["items", "--format", "csv", s(&ok)]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&"d".repeat(300)), "GNU long name used: {out}");
    assert!(out.contains(&"p".repeat(200)), "PAX path used: {out}");
}

#[test]
fn long_values_are_cut_with_their_length_and_stay_apart() {
    let tmp = tempfile::tempdir().unwrap();
    let v = "b".repeat(100_000);
    let mut m = ctl(r#""action":"start","child_number":0,"time":100"#);
    for i in 0..3 {
        m += &ctl(&format!(
            r#""action":"failed-item","queue":"TRANSFER","item":"{v}{i}","item_name":"{v}","local_item":"{v}","item_type":"AccountRemoteRoot","child_number":1,"logfile":"{v}","msg":{{"failure":"{v}"}},"time":101"#
        ));
    }
    let d = session_dir(tmp.path(), "long", &m);
    let (code, out, err) = run(&["report", "--format", "json", s(&d)]);
    assert_eq!(code, 0, "{err}");
    assert!(out.len() < 100_000, "values are cut: {} bytes", out.len());
    assert!(
        err.len() < 20_000,
        "diagnostics quote cut values: {}",
        err.len()
    );
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    let items = j["sessions"][0]["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "names differing past the cut stay apart");
    let item = items[0]["item"].as_str().unwrap();
    assert!(item.contains("…[100001 bytes #"), "{}", &item[500..]);
    let failure = items[0]["failure"].as_str().unwrap();
    assert!(failure.len() < 5000 && failure.contains("[100000 bytes"));
}

#[test]
fn many_queues_and_workers_are_budgeted_and_linear() {
    let tmp = tempfile::tempdir().unwrap();
    let mut m = ctl(r#""action":"start","child_number":0,"time":100"#);
    for i in 0..5000 {
        m += &ctl(&format!(
            r#""action":"queue_count","queue":"Q{i}","msg":1,"child_number":0"#
        ));
        m += &ctl(&format!(
            r#""action":"start","queue":"TRANSFER","item":"u{i}","item_type":"A","child_number":{},"time":101"#,
            i + 1
        ));
        m += &ctl(&format!(
            r#""action":"child-failed","child_number":{},"msg":"x","time":102"#,
            i + 1
        ));
    }
    let d = session_dir(tmp.path(), "queues", &m);
    let (code, out, err) = run(&["report", "--format", "json", s(&d)]);
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    let sess = &j["sessions"][0];
    assert_eq!(sess["queues"].as_array().unwrap().len(), 64);
    assert_eq!(sess["workers"].as_array().unwrap().len(), 4096);
    assert_eq!(sess["items"].as_array().unwrap().len(), 5000);
    let diags = sess["diagnostics"].as_array().unwrap();
    let over: Vec<&str> = diags
        .iter()
        .filter(|d| d["kind"] == "over-budget")
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert!(
        over.iter().any(|m| m.contains("more than 64 queues")),
        "{over:?}"
    );
    assert!(over.iter().any(|m| m.contains("more than 4096 workers")));
}

/// True when `b` holds a byte that drives a terminal (ESC, CSI, BEL...).
fn has_control(b: &str) -> bool {
    b.chars()
        .any(|c| (c.is_control() && c != '\n' && c != '\t') || ('\u{80}'..='\u{9f}').contains(&c))
}

#[test]
fn no_escape_sequence_reaches_the_terminal_or_markdown() {
    let tmp = tempfile::tempdir().unwrap();
    let evil_queue = r"EVIL\u001b]52;c;cHduZWQ=\u0007\u001b[2J\u009b2J";
    let mut m = ctl(r#""action":"start","child_number":0,"time":100"#);
    m += &ctl(&format!(
        r#""action":"queue_count","queue":"{evil_queue}","msg":2,"child_number":0"#
    ));
    m += &ctl(&format!(
        r#""action":"start","queue":"{evil_queue}","item":"x","item_type":"A","child_number":1,"time":101"#
    ));
    m += &ctl(r#""action":"abort","child_number":0,"time":102"#);
    let id = "s\n| evil | <img src=x onerror=alert(1)> [a](javascript:alert(1)) `x`";
    let d = session_dir(tmp.path(), id, &m);
    for args in [
        &["progress"][..],
        &["summary"],
        &["progress", "--watch=0.1"],
    ] {
        let mut a = args.to_vec();
        a.push(s(&d));
        let out = xferlens()
            .args(&a)
            .timeout(Duration::from_secs(30))
            .output()
            .unwrap();
        let (o, e) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert!(!has_control(&o), "{args:?} stdout: {o:?}");
        assert!(!has_control(&e), "{args:?} stderr: {e:?}");
    }
    let (_, md, _) = run(&["report", "--format", "md", s(&d)]);
    let heading = md.lines().find(|l| l.starts_with("## ")).unwrap();
    assert!(
        heading.starts_with("## Transfer session `s \\| evil \\| <img"),
        "{heading}"
    );
    assert_eq!(heading.matches('`').count(), 2, "one closed code span");
    assert!(!md.contains("\n| evil"), "no injected row");
    // An archive whose member path carries ESC: the error is escaped.
    let mut t = tar_member("sess\u{1b}[2J/master.log", small_master().as_bytes());
    t.extend_from_slice(&tar_header(b"././@LongLink", 1 << 30, b'L'));
    let tar = tmp.path().join("evil.tar");
    std::fs::write(&tar, &t).unwrap();
    let (_, _, err) = run(&["summary", s(&tar)]);
    assert!(err.contains("budget"), "{err}");
    assert!(!has_control(&err), "{err:?}");
}

#[test]
fn a_master_log_symlink_is_never_read() {
    let tmp = tempfile::tempdir().unwrap();
    let secret = tmp.path().join("secret");
    std::fs::write(&secret, "root:x:0:0:SECRET-MARKER\n").unwrap();
    let d = tmp.path().join("sess");
    std::fs::create_dir(&d).unwrap();
    std::os::unix::fs::symlink(&secret, d.join("master.log")).unwrap();
    std::fs::write(
        d.join("item-TRANSFER_AccountRemoteRoot_bob"),
        "{\"pid\":1,\"type\":\"out\",\"contents\":{\"msg\":[\"x\"]}}\n",
    )
    .unwrap();
    for cmd in ["events", "check", "summary", "items"] {
        let (_, out, err) = run(&[cmd, s(&d)]);
        assert!(!out.contains("SECRET"), "{cmd}: {out}");
        assert!(!err.contains("SECRET"), "{cmd}: {err}");
    }
    let (code, _, err) = run(&["events", s(&d)]);
    assert_eq!(code, 2);
    assert!(err.contains("symbolic link"), "{err}");
}

#[test]
fn outputs_never_overwrite_inputs_or_follow_links() {
    let tmp = tempfile::tempdir().unwrap();
    let d = session_dir(tmp.path(), "sess", &small_master());
    let master = std::fs::read(d.join("master.log")).unwrap();
    for args in [
        vec!["events", "-o"],
        vec!["report", "-o"],
        vec!["items", "--format", "csv", "-o"],
    ] {
        let mut a = args.clone();
        let target = d.join("master.log");
        a.push(s(&target));
        a.push(s(&d));
        let (code, _, err) = run(&a);
        assert_eq!(code, 2, "{args:?}");
        assert!(err.contains("refusing to write output"), "{err}");
        assert_eq!(std::fs::read(d.join("master.log")).unwrap(), master);
    }
    let (code, _, _) = run(&["batch", s(&d), "-o", s(&d.join("out"))]);
    assert_eq!(code, 2, "batch output inside the session directory");
    // A session found by walking its parent, and one named through a symlink.
    let (code, _, _) = run(&["batch", s(tmp.path()), "-o", s(&d.join("out"))]);
    assert_eq!(code, 2, "batch output inside a session found by walking");
    let links = tempfile::tempdir().unwrap();
    let link = links.path().join("sess-link");
    std::os::unix::fs::symlink(&d, &link).unwrap();
    let (code, _, _) = run(&["batch", s(&link), "-o", s(&d.join("out"))]);
    assert_eq!(
        code, 2,
        "batch output inside a session named through a symlink"
    );
    assert!(!d.join("out").exists());

    // A symlink planted in the batch output directory is replaced, not
    // followed.
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let victim = tmp.path().join("victim");
    std::fs::write(&victim, "KEEP").unwrap();
    std::os::unix::fs::symlink(&victim, out.join("sessions.csv")).unwrap();
    let (code, _, err) = run(&["batch", s(&d), "-o", s(&out)]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "KEEP");
    let meta = std::fs::symlink_metadata(out.join("sessions.csv")).unwrap();
    assert!(meta.file_type().is_file());
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary file left behind");

    // A device the user names is written in place, never renamed over,
    // and a full disk names the file.
    let (code, _, err) = run(&["report", "-o", "/dev/full", s(&d)]);
    assert_eq!(code, 2);
    assert!(err.contains("/dev/full"), "{err}");
    assert!(Path::new("/dev/full").exists());
    let (code, _, _) = run(&["report", "-o", "/dev/null", s(&d)]);
    assert_eq!(code, 0);
    let m = std::fs::metadata("/dev/null").unwrap();
    assert!(std::os::unix::fs::FileTypeExt::is_char_device(
        &m.file_type()
    ));
}

#[test]
fn a_killed_batch_leaves_old_or_complete_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let fleet = tmp.path().join("fleet");
    for i in 0..300 {
        session_dir(&fleet, &format!("s{i:03}"), &small_master());
    }
    let out = tmp.path().join("out");
    let (code, _, _) = run(&["batch", s(&fleet), "-o", s(&out)]);
    assert_eq!(code, 0);
    let names = ["sessions.csv", "items.csv", "report.md", "report.html"];
    let complete: Vec<Vec<u8>> = names
        .iter()
        .map(|n| std::fs::read(out.join(n)).unwrap())
        .collect();
    for delay_ms in [0u64, 3, 10, 20, 40, 80] {
        for n in names {
            std::fs::write(out.join(n), "previous run\n").unwrap();
        }
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("xferlens"))
            .args(["batch", s(&fleet), "-o", s(&out)])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        for (n, full) in names.iter().zip(&complete) {
            let now = std::fs::read(out.join(n)).unwrap();
            assert!(
                now == b"previous run\n" || now == *full,
                "{n} after a kill at {delay_ms} ms is neither old nor complete"
            );
        }
    }
}

/// Runs xferlens with stdout a pipe whose reader has gone; the exit code.
fn exit_with_closed_stdout(args: &[&str]) -> (i32, String) {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("xferlens"))
        .args(args)
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away before any write
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (child.wait().unwrap().code().unwrap_or(-1), err)
}

#[test]
fn a_closed_pipe_keeps_the_exit_code() {
    let garbage = fixture("logs/garbage.log");
    let (code, err) = exit_with_closed_stdout(&["check", s(&garbage)]);
    assert_eq!(code, 1, "check found diagnostics: {err}");
    let failures = fixture("sessions/sourcefailurescopy20251128");
    let (code, err) =
        exit_with_closed_stdout(&["items", "--format", "csv", "--quiet", s(&failures)]);
    assert_eq!(code, 0);
    assert!(!err.contains("Broken pipe"), "{err}");
    let (code, _) = exit_with_closed_stdout(&["--fail-on", "failed", "--quiet", s(&failures)]);
    assert_eq!(code, 1, "--fail-on still decides");
    let (code, _) = exit_with_closed_stdout(&["summary", "/nonexistent", s(&failures)]);
    assert_eq!(code, 2, "an unreadable input is still exit 2");
}

fn mkfifo(p: &Path) {
    let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

#[test]
fn fifos_are_read_once_and_devices_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let log = std::fs::read(fixture("sessions/sourcefailurescopy20251128/master.log")).unwrap();
    let lines = log.iter().filter(|&&b| b == b'\n').count();
    for gz in [false, true] {
        let fifo = tmp.path().join(format!("fifo{gz}"));
        mkfifo(&fifo);
        let data = if gz { gzip(&log) } else { log.clone() };
        let f2 = fifo.clone();
        let writer = std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new().write(true).open(f2).unwrap();
            // Small writes, so the reader sees the stream in pieces.
            for c in data.chunks(97) {
                let _ = f.write_all(c);
            }
        });
        let out = xferlens()
            .args(["check", s(&fifo)])
            .timeout(Duration::from_secs(120))
            .output()
            .unwrap();
        // Should xferlens have ended without opening the FIFO (killed at
        // the time-out on a loaded machine), the writer would wait in
        // open() for ever: a reader opened here lets it finish.
        if !writer.is_finished() {
            use std::os::unix::fs::OpenOptionsExt;
            let _unblock = std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&fifo);
            std::thread::sleep(Duration::from_millis(200));
        }
        writer.join().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("{lines} line(s)")),
            "every line of the FIFO (gzip {gz}): {err}"
        );
        let (_, summary, _) = run(&[
            "summary",
            s(&fixture("sessions/sourcefailurescopy20251128/master.log")),
        ]);
        assert!(summary.contains("started"));
    }
    // A FIFO nobody writes to, and devices, do not hang.
    let lonely = tmp.path().join("lonely");
    mkfifo(&lonely);
    for p in [s(&lonely), "/dev/zero", "/dev/urandom"] {
        let out = xferlens()
            .args(["summary", p])
            .timeout(Duration::from_secs(30))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{p}");
    }
    let (_, _, err) = run(&["summary", "/dev/zero"]);
    assert!(err.contains("character device"), "{err}");
}

#[test]
fn nonsense_is_not_a_session() {
    let tmp = tempfile::tempdir().unwrap();
    let text = tmp.path().join("notes.txt");
    std::fs::write(&text, "hello\nworld\n").unwrap();
    let api_error = tmp.path().join("api.json");
    std::fs::write(
        &api_error,
        r#"{"metadata":{"result":0,"reason":"Session not found"},"data":null}"#,
    )
    .unwrap();
    let gz =
        gzip(&std::fs::read(fixture("sessions/sourcefailurescopy20251128/master.log")).unwrap());
    let cut = tmp.path().join("cut.log.gz");
    std::fs::write(&cut, &gz[..gz.len() / 2]).unwrap();
    for (p, why) in [
        (s(&text), "none of them a transfer-log line"),
        ("/bin/ls", "none of them a transfer-log line"),
        (s(&api_error), "Session not found"),
        (s(&cut), "damaged input"),
    ] {
        let (code, _, err) = run(&["--fail-on", "failed", p]);
        assert_eq!(code, 2, "{p}: {err}");
        let line = err
            .lines()
            .find(|l| l.starts_with("xferlens:"))
            .unwrap_or_else(|| panic!("{p}: {err}"));
        assert!(line.contains(why), "{p}: {line}");
    }
    let out = xferlens().arg("-").write_stdin("").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty"));
    // The cut gzip is still shown as far as it goes.
    let (_, out, _) = run(&[s(&cut)]);
    assert!(out.contains("Session cut"), "{out}");
}

#[test]
fn events_keeps_going_after_a_damaged_archive() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.tar");
    let mut t = tar_member("a/master.log", small_master().as_bytes());
    t.extend_from_slice(&[0xAB; 512]); // a header with a bad checksum
    std::fs::write(&bad, &t).unwrap();
    let good = session_dir(tmp.path(), "good", &small_master());
    let (code, out, err) = run(&["events", s(&bad), s(&good)]);
    assert_eq!(code, 2, "{err}");
    assert!(out.contains("\na,"), "members before the damage: {out}");
    assert!(out.contains("\ngood,"), "the input after it: {out}");
    assert!(err.contains("bad.tar: archive is damaged"), "{err}");
}

#[test]
fn numbers_from_logs_saturate_and_display_clamped() {
    let tmp = tempfile::tempdir().unwrap();
    let near = 1u64 << 63;
    let mut m = ctl(r#""action":"start","child_number":0,"time":-9223372036854775000"#);
    m += &ctl(&format!(
        r#""action":"queue_size","queue":"TRANSFER","msg":{near},"child_number":0"#
    ));
    m += &ctl(&format!(
        r#""action":"queue_size","queue":"RESTORE","msg":{near},"child_number":0"#
    ));
    m += &ctl(
        r#""action":"start","queue":"TRANSFER","item":"bob","item_type":"A","child_number":1,"time":9223372036854775000"#,
    );
    m += &ctl(&format!(
        r#""action":"start-item","queue":"TRANSFER","item":"bob","item_type":"A","child_number":1,"msg":{{"size":{near}}},"time":9223372036854775000"#
    ));
    let d = session_dir(tmp.path(), "nums", &m);
    std::fs::write(
        d.join("item-TRANSFER_A_bob"),
        ctl(r#""action":"percentage","msg":1e308"#) + &ctl(r#""action":"percentage","msg":-5"#),
    )
    .unwrap();
    let (code, csv, err) = run(&["batch", s(&d), "-o", s(&tmp.path().join("o"))]);
    assert_eq!(code, 0, "{err}");
    let _ = csv;
    let sessions = std::fs::read_to_string(tmp.path().join("o/sessions.csv")).unwrap();
    let head: Vec<&str> = sessions.lines().next().unwrap().split(',').collect();
    let row: Vec<&str> = sessions.lines().nth(1).unwrap().split(',').collect();
    let at = head.iter().position(|h| *h == "bytes_total").unwrap();
    assert_eq!(
        row[at],
        u64::MAX.to_string(),
        "bytes_total saturates: {row:?}"
    );
    assert!(!sessions.contains("'-"), "numbers are never quote-guarded");
    for cmd in ["summary", "progress"] {
        let (code, out, err) = run(&[cmd, s(&d)]);
        assert_eq!(code, 0, "{cmd}: {err}");
        for w in out.split_whitespace().filter(|w| w.ends_with('%')) {
            let v: f64 = w.trim_end_matches('%').parse().unwrap();
            assert!((0.0..=100.0).contains(&v), "{cmd}: {w}");
        }
    }
    let (code, _, err) = run(&["items", "--format", "json", s(&d)]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn watch_takes_only_finite_positive_seconds() {
    let d = fixture("sessions/sourcecleancopy20251128");
    for bad in ["NaN", "inf", "-1", "0", "abc"] {
        let flag = format!("--watch={bad}");
        let (code, _, err) = run(&["progress", &flag, s(&d)]);
        assert_eq!(code, 2, "{bad}");
        assert!(err.contains("--watch"), "{bad}: {err}");
    }
}

#[test]
fn a_tarball_is_streamed_one_session_at_a_time() {
    // Sessions of one directory that are not together in the archive are
    // reported as parts, with a diagnostic, instead of being held back.
    let tmp = tempfile::tempdir().unwrap();
    let mut t = tar_member("a/master.log", small_master().as_bytes());
    t.extend(tar_member("b/master.log", small_master().as_bytes()));
    t.extend(tar_member(
        "a/item-TRANSFER_AccountRemoteRoot_bob",
        ctl(r#""action":"percentage","msg":50"#).as_bytes(),
    ));
    t.extend([0u8; 1024]);
    let tar = tmp.path().join("split.tar");
    std::fs::write(&tar, &t).unwrap();
    let (code, out, err) = run(&["check", s(&tar)]);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("archive-split"), "{out}");
}

#[test]
fn machine_formats_on_a_terminal_carry_no_control_characters() {
    // `script` (util-linux, essential in Debian) gives the command a
    // terminal for stdout; its transcript is what the terminal received.
    if !has_program("script") {
        eprintln!("SKIPPED: `script` (util-linux) is not installed; no terminal to test with");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let evil = r"bob\u001b]52;c;cHduZWQ=\u0007\u001b[2J\u009b2J";
    let mut m = ctl(r#""action":"start","child_number":0,"time":100"#);
    m += &ctl(&format!(
        r#""action":"start","queue":"TRANSFER","item":"{evil}","item_type":"A","child_number":1,"time":101"#
    ));
    let d = session_dir(tmp.path(), "tty", &m);
    let bin = assert_cmd::cargo::cargo_bin("xferlens");
    for fmt in [
        "items --format csv",
        "items --format ndjson",
        "items --format md",
        "events --format csv",
        "report --format md",
    ] {
        let cmd = format!("{} {fmt} {}", bin.display(), d.display());
        let out = std::process::Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let shown = String::from_utf8_lossy(&out.stdout);
        if !fmt.starts_with("report") {
            assert!(shown.contains("bob"), "{fmt}: {shown}");
        }
        assert!(
            !shown.contains('\u{1b}') && !shown.contains('\u{9b}') && !shown.contains('\u{7}'),
            "{fmt} sent control characters to the terminal: {shown:?}"
        );
    }
}

#[test]
fn check_decodes_every_line_of_item_logs() {
    // An `out` line with a missing comma: the other commands only scan the
    // shape of `out` lines (balanced, strings closed), which it passes.
    let tmp = tempfile::tempdir().unwrap();
    let d = session_dir(tmp.path(), "commas", &small_master());
    std::fs::write(
        d.join("item-TRANSFER_AccountRemoteRoot_bob"),
        "{\"pid\":1,\"type\":\"out\",\"contents\":{\"msg\":[\"ok\"]}}\n\
         {\"pid\":1,\"type\":\"out\" \"contents\":{\"msg\":[\"no comma\"]}}\n",
    )
    .unwrap();
    let (code, out, _) = run(&["check", s(&d)]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("item-TRANSFER_AccountRemoteRoot_bob:2: invalid-json"),
        "{out}"
    );
}

#[test]
fn start_item_size_is_read_whatever_other_keys_it_has() {
    let tmp = tempfile::tempdir().unwrap();
    let mut m = ctl(r#""action":"start","child_number":0,"time":100"#);
    m += &ctl(r#""action":"queue_count","queue":"TRANSFER","msg":1,"child_number":0"#);
    m += &ctl(
        r#""action":"start","queue":"TRANSFER","item":"bob","item_type":"AccountRemoteRoot","child_number":1,"time":101"#,
    );
    m += &ctl(
        r#""action":"start-item","queue":"TRANSFER","item":"bob","item_type":"AccountRemoteRoot","child_number":1,"msg":{"size":1024,"x":1},"time":101"#,
    );
    let d = session_dir(tmp.path(), "sizes", &m);
    let (_, csv, _) = run(&["items", "--format", "csv", s(&d)]);
    let row = csv.lines().nth(1).unwrap();
    assert!(row.contains(",running,1024,"), "{csv}");
}

#[test]
fn an_output_is_never_the_file_standard_input_reads() {
    let d = tempfile::tempdir().unwrap();
    let m = d.path().join("m.log");
    let log = std::fs::read(fixture("sessions/sourcecleancopy20251128/master.log")).unwrap();
    std::fs::write(&m, &log).unwrap();
    for args in [
        &["events", "-o"][..],
        &["report", "--format", "md", "-o"][..],
    ] {
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("xferlens"))
            .args(args)
            .arg(&m)
            .arg("-")
            .stdin(std::fs::File::open(&m).unwrap())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("standard input reads it"));
        assert_eq!(
            std::fs::read(&m).unwrap(),
            log,
            "{args:?}: the input is intact"
        );
    }
    // Another file is written as usual.
    let other = d.path().join("e.csv");
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("xferlens"))
        .args(["events", "-o"])
        .arg(&other)
        .arg("-")
        .stdin(std::fs::File::open(&m).unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(std::fs::read_to_string(&other).unwrap().lines().count() > 5);
}
