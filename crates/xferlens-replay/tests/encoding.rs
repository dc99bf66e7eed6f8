//! Property: key order and number-vs-string encoding of numeric fields
//! never change the replayed model (the writer is Perl: hash order varies
//! line to line, and numbers arrive as strings).

mod common;
use common::*;

use std::path::Path;

use proptest::prelude::*;
use serde_json::Value;
use xferlens_gen::Rng;
use xferlens_replay::Session;

const NUMERIC: [&str; 9] = [
    "pid",
    "child_number",
    "time",
    "percentage",
    "size",
    "warnings",
    "skipped_items",
    "dangerous_items",
    "altered_items",
];

/// Writes `v` as JSON with object keys in a random order and numeric
/// fields randomly written as strings.
fn reencode(v: &Value, key: Option<&str>, count_msg: bool, rng: &mut Rng, out: &mut String) {
    match v {
        Value::Object(m) => {
            let count = m
                .get("action")
                .and_then(Value::as_str)
                .is_some_and(|a| a == "queue_count" || a == "queue_size");
            let mut keys: Vec<&String> = m.keys().collect();
            for i in (1..keys.len()).rev() {
                keys.swap(i, rng.below(i as u64 + 1) as usize);
            }
            out.push('{');
            for (n, k) in keys.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(k).unwrap());
                out.push(':');
                reencode(&m[*k], Some(k), count, rng, out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (n, x) in a.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                reencode(x, None, false, rng, out);
            }
            out.push(']');
        }
        Value::Number(n)
            if (key.is_some_and(|k| NUMERIC.contains(&k)) || (count_msg && key == Some("msg")))
                && rng.chance(0.5) =>
        {
            out.push_str(&format!("\"{n}\""));
        }
        other => out.push_str(&other.to_string()),
    }
}

fn rewrite_dir(src: &Path, dst: &Path, seed: u64) {
    let mut rng = Rng::new(seed);
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap();
        let bytes = std::fs::read(&p).unwrap();
        let mut out = String::new();
        for line in bytes.split_inclusive(|b| *b == b'\n') {
            let body = line.strip_suffix(b"\n").unwrap_or(line);
            match serde_json::from_slice::<Value>(body) {
                Ok(v) if v.is_object() && line.ends_with(b"\n") => {
                    reencode(&v, None, false, &mut rng, &mut out);
                    out.push('\n');
                }
                _ => out.push_str(&String::from_utf8_lossy(line)),
            }
        }
        std::fs::write(dst.join(name), out).unwrap();
    }
}

/// The model with what legitimately differs (byte offsets, excerpts and
/// paths of diagnostics) blanked.
fn normalised(mut s: Session) -> String {
    for d in &mut s.diagnostics {
        d.byte_offset = 0;
        d.excerpt.clear();
        d.source.clear();
    }
    s.volume.bytes = 0;
    for it in &mut s.items {
        if let Some(l) = &mut it.log {
            l.volume.bytes = 0;
            l.path.clear();
        }
    }
    format!("{s:?}")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn key_order_and_number_encoding_do_not_matter(seed in any::<u64>(), pick in 0usize..4) {
        let name = ["sourcefailurescopy20251128", "sourceworkercrashcopy20251128", "sourcepauseresumecopy20251128", "sourcewarningscopy20251128"][pick];
        let src = fixtures().join("sessions").join(name);
        let tmp = tempfile::tempdir().unwrap();
        let dst = tmp.path().join(name);
        rewrite_dir(&src, &dst, seed);
        prop_assert_eq!(normalised(read(&src)), normalised(read(&dst)));
    }
}
