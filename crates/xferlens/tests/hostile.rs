//! Pathological inputs through every output format: a 50 MB single line,
//! 10,000-deep nesting, a file of NUL bytes, invalid UTF-8 in every string
//! position, duplicate keys, absurd counts and negative sizes. Nothing may
//! crash or hang, good lines around bad ones are kept, and every bad line
//! is reported.

mod common;
use common::*;

use std::path::Path;

fn ctl(contents: &str) -> String {
    format!("{{\"pid\":1,\"type\":\"control\",\"contents\":{{{contents}}}}}\n")
}

fn write_session(root: &Path) -> std::path::PathBuf {
    let dir = root.join("pathological");
    std::fs::create_dir_all(&dir).unwrap();
    let mut m = Vec::new();
    m.extend(ctl(r#""action":"start","child_number":0,"time":100"#).bytes());
    m.extend(
        ctl(r#""action":"queue_count","queue":"TRANSFER","msg":1000000000000,"child_number":0"#)
            .bytes(),
    );
    m.extend(ctl(r#""action":"queue_size","queue":"TRANSFER","msg":-5,"child_number":0"#).bytes());
    // 50 MB on one line, then a good line.
    m.extend_from_slice(b"{\"pid\":1,\"type\":\"out\",\"contents\":{\"msg\":[\"");
    m.extend(std::iter::repeat_n(b'x', 50 << 20));
    m.extend_from_slice(b"\"]}}\n");
    // 10,000-deep nesting in a skipped key and in msg.
    m.extend(format!("{{\"x\":{}{},\"type\":\"control\",\"contents\":{{\"action\":\"version\",\"msg\":\"9\"}}}}\n", "[".repeat(10_000), "]".repeat(10_000)).bytes());
    m.extend(
        format!(
            "{{\"type\":\"control\",\"contents\":{{\"action\":\"remotehost\",\"msg\":{}}}}}\n",
            "[".repeat(10_000)
        )
        .bytes(),
    );
    // Invalid UTF-8 in every string position of one line.
    m.extend_from_slice(b"{\"pid\":\"1\xff\",\"type\xff\":\"control\",\"contents\":{\"action\":\"start\",\"child_number\":1,\"queue\":\"TRANSFER\",\"item\":\"b\xffob\",\"item_type\":\"Account\xfeRemoteRoot\",\"item_name\":\"A\xc3\",\"logfile\":\"item-\xff\",\"time\":101}}\n");
    // Duplicate keys: the last one wins.
    m.extend(ctl(r#""action":"start","action":"start","child_number":2,"queue":"TRANSFER","item":"dup","item":"dup2","item_type":"AccountRemoteRoot","time":102"#).bytes());
    m.extend(ctl(r#""action":"start-item","child_number":2,"queue":"TRANSFER","item":"dup2","item_type":"AccountRemoteRoot","msg":{"size":-7},"time":102"#).bytes());
    m.extend(ctl(r#""action":"failed-item","child_number":2,"queue":"TRANSFER","item":"dup2","item_type":"AccountRemoteRoot","msg":{"failure":"x","warnings":-3,"size":"huge"},"time":103"#).bytes());
    std::fs::write(dir.join("master.log"), &m).unwrap();
    std::fs::write(
        dir.join("item-TRANSFER_AccountRemoteRoot_nul"),
        vec![0u8; 1 << 20],
    )
    .unwrap();
    dir
}

#[test]
fn pathological_session_through_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = write_session(tmp.path());
    let d = dir.to_str().unwrap();
    let cmds: [&[&str]; 13] = [
        &["summary"],
        &["progress"],
        &["progress", "--format", "json"],
        &["items", "--format", "table"],
        &["items", "--format", "csv"],
        &["items", "--format", "json"],
        &["items", "--format", "md"],
        &["events", "--format", "csv"],
        &["events", "--format", "ndjson"],
        &["report", "--format", "md"],
        &["report", "--format", "html"],
        &["report", "--format", "json"],
        &["check"],
    ];
    for args in cmds {
        let mut a = args.to_vec();
        a.push(d);
        let (code, out, err) = run(&a);
        let want = if args[0] == "check" { 1 } else { 0 };
        assert_eq!(code, want, "{args:?}: {err}");
        assert!(
            out.len() < 10 << 20,
            "{args:?}: the 50 MB line must not be echoed"
        );
    }
    let (_, out, _) = run(&["check", d]);
    assert!(out.contains("master.log:4: line-too-long"), "{out}");
    assert!(
        out.contains("master.log:6: invalid-json"),
        "unclosed 10,000-deep msg: {out}"
    );
    assert!(out.contains("master.log:7: invalid-utf8"), "{out}");
    assert!(out.contains("bad-number"), "negative queue_size: {out}");
    assert!(
        out.contains("item-TRANSFER_AccountRemoteRoot_nul:1: partial-line"),
        "NUL file: {out}"
    );
    let (_, json, _) = run(&["report", "--format", "json", d]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let s = &v["sessions"][0];
    assert_eq!(s["version"], "9", "the line after the 50 MB line is used");
    assert_eq!(s["queues"][0]["items_total"], 1_000_000_000_000u64);
    let items = s["items"].as_array().unwrap();
    assert!(
        items.iter().any(|i| i["item"] == "b\u{fffd}ob"),
        "invalid UTF-8 decoded lossily, not dropped"
    );
    let dup = items
        .iter()
        .find(|i| i["item"] == "dup2")
        .expect("duplicate keys: last wins");
    assert_eq!(dup["status"], "failed");
    assert!(dup["size"].is_null(), "negative size ignored");
    assert_eq!(dup["counts"]["warnings"], 0);
}
