//! Hostile log content through every output format: escape sequences,
//! spreadsheet formulas, HTML/JS, Markdown table breakers, path traversal
//! in `logfile`, and symlinked item logs.

mod common;
use common::*;

use std::path::Path;

const SECRET: &str = "TOP-SECRET-CONTENT";

fn line(pid: u64, contents: serde_json::Value) -> String {
    serde_json::json!({"pid": pid, "type": "control", "contents": contents}).to_string() + "\n"
}

/// Writes a session whose every string field is an attack.
fn hostile_session(root: &Path) -> std::path::PathBuf {
    let dir = root.join("hostilesession");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        root.join("secret"),
        format!("{{\"type\":\"failed\",\"contents\":{{\"msg\":[\"{SECRET}\"]}}}}\n"),
    )
    .unwrap();
    let names = [
        (
            "esc\u{1b}[31mred\u{1b}]0;title\u{7}\rname",
            "../../etc/passwd",
        ),
        ("=HYPERLINK(\"http://evil/\",\"click\")", "/etc/shadow"),
        ("<script>alert(1)</script>", "item-x/../../y"),
        (
            "\"><img src=x onerror=alert(1)>",
            "item-TRANSFER_AccountRemoteRoot_linked",
        ),
        (
            "pipe|break\nnew`tick`",
            "item-TRANSFER_AccountRemoteRoot_ok",
        ),
    ];
    let mut log = line(
        1,
        serde_json::json!({"action":"start","child_number":0,"time":1000}),
    );
    log += &line(
        1,
        serde_json::json!({"action":"remotehost","child_number":0,"msg":"host\u{1b}[2J<b>|=cmd"}),
    );
    log += &line(
        1,
        serde_json::json!({"action":"queue_count","queue":"TRANSFER","child_number":0,"msg":"5"}),
    );
    for (n, (name, logfile)) in names.iter().enumerate() {
        let c = n as u64 + 1;
        log += &line(
            10 + c,
            serde_json::json!({"action":"start","child_number":c,"queue":"TRANSFER","item":name,"item_type":"AccountRemoteRoot","item_name":"Account","logfile":logfile,"time":1001}),
        );
        log += &line(
            10 + c,
            serde_json::json!({"action":"failed-item","child_number":c,"queue":"TRANSFER","item":name,"item_type":"AccountRemoteRoot","time":1002,
            "msg":{"failure":format!("+cmd|' /C calc'!A0 @SUM(1) -1 {name}"),"warnings":1,"contents":{"warnings":[[["<M>","=f",1],"<script>x</script>|`\n=2+3",null]]}}}),
        );
    }
    std::fs::write(dir.join("master.log"), log).unwrap();
    std::os::unix::fs::symlink(
        root.join("secret"),
        dir.join("item-TRANSFER_AccountRemoteRoot_linked"),
    )
    .unwrap();
    std::fs::write(
        dir.join("item-TRANSFER_AccountRemoteRoot_ok"),
        "{\"type\":\"error\",\"contents\":{\"msg\":[\"\\u001b]8;;http://evil\\u0007link\\u001b]8;;\\u0007 =1+1 <i>x</i>\"]}}\n",
    )
    .unwrap();
    dir
}

fn all_outputs(dir: &str) -> Vec<(String, i32, String, String)> {
    let cmds: Vec<Vec<&str>> = vec![
        vec!["summary"],
        vec!["progress"],
        vec!["progress", "--format", "json"],
        vec!["items"],
        vec!["items", "--accounts"],
        vec!["items", "--format", "csv"],
        vec!["items", "--accounts", "--format", "csv"],
        vec!["items", "--format", "json"],
        vec!["items", "--format", "ndjson"],
        vec!["items", "--format", "md"],
        vec!["events", "--format", "csv"],
        vec!["events", "--format", "ndjson"],
        vec!["report", "--format", "md"],
        vec!["report", "--format", "html"],
        vec!["report", "--format", "json"],
        vec!["check"],
    ];
    cmds.into_iter()
        .map(|mut a| {
            let name = a.join(" ");
            a.push(dir);
            let (code, out, err) = run(&a);
            (name, code, out, err)
        })
        .collect()
}

#[test]
fn hostile_content_is_neutralised_in_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = hostile_session(tmp.path());
    let dir = dir.to_str().unwrap();
    for (name, code, out, err) in all_outputs(dir) {
        assert!(
            code == 0 || (name == "check" && code == 1),
            "{name}: exit {code}: {err}"
        );
        assert!(
            !out.contains(SECRET) && !err.contains(SECRET),
            "{name}: read a file outside the session"
        );
        // stderr is a terminal stream everywhere.
        assert!(
            !err.contains('\u{1b}') && !err.contains('\u{7}') && !err.contains('\r'),
            "{name}: stderr"
        );
        let terminal = !name.contains("json")
            && !name.contains("csv")
            && !name.contains("md")
            && !name.contains("html");
        if terminal {
            assert!(
                !out.contains('\u{1b}') && !out.contains('\u{7}') && !out.contains('\r'),
                "{name}: escape sequence on a terminal"
            );
        }
        if name.contains("csv") {
            let mut r = csv::ReaderBuilder::new().from_reader(out.as_bytes());
            for rec in r.records() {
                for cell in rec.unwrap().iter() {
                    let first = cell.as_bytes().first().copied();
                    assert!(
                        !matches!(first, Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')),
                        "{name}: formula cell {cell:?}"
                    );
                }
            }
            assert!(
                out.contains("'=HYPERLINK"),
                "{name}: neutralised, not dropped"
            );
        }
        if name.contains("html") {
            // The page's one script is its own sorting script.
            assert_eq!(out.matches("<script").count(), 1, "{name}");
            assert!(out.contains("<script>document.querySelectorAll('table.sortable')"));
            assert!(
                !out.contains("<script>alert")
                    && !out.contains("<img")
                    && !out.contains("<b>")
                    && !out.contains("<M>"),
                "{name}"
            );
            assert!(out.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
            assert!(!out.contains('\u{1b}'));
        }
        if name.contains("md") {
            assert!(
                !out.contains("<script") && !out.contains("<img") && !out.contains("<i>"),
                "{name}"
            );
            // Every table row has as many cells as its header.
            let mut want = None;
            for l in out.lines() {
                if !l.starts_with('|') {
                    want = None;
                    continue;
                }
                let n = l.replace("\\|", "").matches('|').count();
                match want {
                    None => want = Some(n),
                    Some(w) => assert_eq!(n, w, "{name}: a row breaks its table: {l}"),
                }
            }
            assert!(!out.contains('\u{1b}'));
        }
        if name.contains("json") {
            for doc in if name.contains("ndjson") || name.starts_with("progress") {
                out.lines().map(str::to_owned).collect()
            } else {
                vec![out.clone()]
            } {
                let v: serde_json::Value =
                    serde_json::from_str(&doc).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(!v.is_null());
            }
            assert!(
                out.contains("\\u001b") || !out.contains("esc"),
                "{name}: JSON escapes control characters"
            );
        }
    }
}

#[test]
fn unsafe_logfiles_and_symlinks_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = hostile_session(tmp.path());
    let (code, out, _) = run(&["check", dir.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(out.matches("unsafe-logfile").count(), 3, "{out}");
    assert_eq!(out.matches("symlink-not-followed").count(), 1, "{out}");
}

#[test]
fn raw_csv_keeps_cells_as_they_are() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = hostile_session(tmp.path());
    let (_, out, _) = run(&[
        "items",
        "--format",
        "csv",
        "--raw-csv",
        dir.to_str().unwrap(),
    ]);
    assert!(out.contains("\"=HYPERLINK") && !out.contains("'=HYPERLINK"));
}
