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
            // Log excerpts are code blocks, where markup is shown as text.
            let prose = outside_code_blocks(&out);
            assert!(
                !prose.contains("<script") && !prose.contains("<img") && !prose.contains("<i>"),
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

/// The lines of a Markdown text outside its fenced code blocks (a
/// block ends at a line of at least its opening fence's backticks).
fn outside_code_blocks(md: &str) -> String {
    let mut out = String::new();
    let mut fence: Option<usize> = None;
    for l in md.lines() {
        let ticks = l.len() - l.trim_start_matches('`').len();
        match fence {
            None if ticks >= 3 => fence = Some(ticks),
            None => {
                out.push_str(l);
                out.push('\n');
            }
            Some(f) if ticks >= f && l.trim_start_matches('`').trim().is_empty() => fence = None,
            Some(_) => {}
        }
    }
    assert!(fence.is_none(), "a code block left open");
    out
}

#[test]
fn hostile_log_lines_stay_inside_their_excerpt() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("hostileexcerpt");
    std::fs::create_dir_all(&dir).unwrap();
    let mut master = line(
        1,
        serde_json::json!({"action":"start","child_number":0,"time":1000}),
    );
    master += &line(
        2,
        serde_json::json!({"action":"start","child_number":1,"queue":"RESTORE","item":"bob","item_type":"AccountRemoteRoot","item_name":"Account","time":1001}),
    );
    master += &line(
        2,
        serde_json::json!({"action":"failed-item","child_number":1,"queue":"RESTORE","item":"bob","item_type":"AccountRemoteRoot","time":1002,"msg":{"failure":"boom"}}),
    );
    std::fs::write(dir.join("master.log"), master).unwrap();
    let hostile = [
        "````\n```\n# heading",
        "</pre></details><script>alert(2)</script>",
        "\u{1b}[2J\u{1b}]0;owned\u{7}cleared",
    ];
    let mut log = String::new();
    for t in hostile {
        log += &(serde_json::json!({"type":"out","contents":{"msg":[t]}}).to_string() + "\n");
    }
    log += &(serde_json::json!({"type":"error","contents":{"msg":["``` boom </pre>"]}})
        .to_string()
        + "\n");
    std::fs::write(dir.join("item-RESTORE_AccountRemoteRoot_bob"), log).unwrap();
    let d = dir.to_str().unwrap();
    let (code, md, err) = run(&["report", "--format", "md", d]);
    assert_eq!(code, 0, "{err}");
    let prose = outside_code_blocks(&md);
    assert!(
        !prose.contains("# heading") && !prose.contains("<script"),
        "{md}"
    );
    assert!(
        md.contains("`````text\n"),
        "a fence longer than the text's: {md}"
    );
    assert!(md.contains("cleared") && !md.contains('\u{1b}') && !md.contains('\u{7}'));
    for args in [
        &["--format", "html"][..],
        &["--format", "html", "--logs"][..],
    ] {
        let mut a = vec!["report"];
        a.extend_from_slice(args);
        a.push(d);
        let (code, html, err) = run(&a);
        assert_eq!(code, 0, "{err}");
        assert_eq!(html.matches("<script").count(), 1, "only the page's own");
        assert!(html.contains("&lt;/pre&gt;&lt;/details&gt;&lt;script&gt;alert(2)"));
        assert!(html.contains("cleared") && !html.contains('\u{1b}') && !html.contains('\u{7}'));
        assert_eq!(html.matches("<pre").count(), html.matches("</pre>").count());
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
