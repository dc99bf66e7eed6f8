//! Parquet output, proven with a real engine. `batch` runs on a generated
//! fleet split over two servers (as two runs with their own
//! `--host-label`), in both formats. The Parquet tables must equal the
//! CSV tables row for row, and every query of docs/SCALE.md, run by
//! DuckDB (tests/duckdb_queries.py) over the union of both servers' files,
//! must give the numbers the CSV files and report.md give.
//!
//! Needs Python 3 with the `duckdb` package (`.ci/run` installs it). The
//! test is skipped, saying so, only where there is no Python at all.

mod common;
use common::*;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use parquet::file::reader::SerializedFileReader;
use parquet::record::Field;

const TABLES: [&str; 7] = [
    "sessions",
    "items",
    "accounts",
    "causes",
    "hosts",
    "modules",
    "diagnostics",
];

/// A CSV file as a header and rows of cells.
fn read_csv(p: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(p).unwrap();
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// A Parquet cell as the CSV writes it (timestamps as RFC 3339, booleans
/// as yes/no, NULL as an empty cell).
fn as_csv(f: &Field) -> String {
    match f {
        Field::Null => String::new(),
        Field::Str(s) => s.clone(),
        Field::Long(n) => n.to_string(),
        Field::Double(d) => format!("{d:.1}"),
        Field::Bool(b) => if *b { "yes" } else { "no" }.into(),
        Field::TimestampMicros(us) => xferlens_report::time::rfc3339(us.div_euclid(1_000_000)),
        other => panic!("unexpected Parquet field {other:?}"),
    }
}

/// A Parquet file as a header and rows of cells (CSV text).
fn read_parquet(p: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let reader = SerializedFileReader::try_from(p).unwrap();
    let mut header = Vec::new();
    let mut rows = Vec::new();
    for row in reader {
        let row = row.unwrap();
        if header.is_empty() {
            header = row.get_column_iter().map(|(n, _)| n.clone()).collect();
        }
        rows.push(row.get_column_iter().map(|(_, f)| as_csv(f)).collect());
    }
    (header, rows)
}

/// The two servers' outputs: (label, CSV dir, Parquet dir).
struct Fleet {
    _tmp: tempfile::TempDir,
    servers: Vec<(String, PathBuf)>,
    union: PathBuf,
}

fn two_servers() -> Fleet {
    let tmp = tempfile::tempdir().unwrap();
    let all = tmp.path().join("all");
    let f = xferlens_gen::FleetOptions {
        sessions: 48,
        seed: 11,
        target_bytes: 4 << 20,
        accounts: 6,
        retries: 1.0,
        profile: xferlens_gen::Profile::Generator,
    };
    xferlens_gen::generate_fleet(&all, &f).unwrap();
    // Alternate sessions between the servers: retry campaigns of the same
    // source accounts land on both.
    let mut names: Vec<_> = std::fs::read_dir(&all)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    let union = tmp.path().join("union");
    let mut servers = Vec::new();
    for (n, label) in ["srv1", "srv2"].iter().enumerate() {
        let logs = tmp.path().join(format!("logs-{label}"));
        std::fs::create_dir(&logs).unwrap();
        for name in names.iter().skip(n).step_by(2) {
            std::fs::rename(all.join(name), logs.join(name)).unwrap();
        }
        let out = tmp.path().join(format!("out-{label}"));
        let (code, _, err) = run(&[
            "batch",
            "-q",
            "--raw-csv",
            "--format",
            "csv,parquet",
            "--partition",
            "host",
            "--host-label",
            label,
            logs.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
        std::fs::create_dir_all(&union).unwrap();
        let part = format!("host={label}");
        std::fs::rename(out.join(&part), union.join(&part)).unwrap();
        servers.push((label.to_string(), out));
    }
    Fleet {
        _tmp: tmp,
        servers,
        union,
    }
}

#[test]
fn parquet_equals_csv_and_the_scale_queries_agree_in_duckdb() {
    let fleet = two_servers();
    // 1. Row for row, table by table, server by server.
    for (label, out) in &fleet.servers {
        for t in TABLES {
            let (ch, crows) = read_csv(&out.join(format!("{t}.csv")));
            let pq = fleet.union.join(format!("host={label}/{t}.parquet"));
            let (ph, prows) = read_parquet(&pq);
            assert_eq!(ph[0], "host", "{t}");
            assert_eq!(ph[1..], ch[..], "{t}: same columns");
            assert_eq!(prows.len(), crows.len(), "{label} {t}: same rows");
            for (i, (p, c)) in prows.iter().zip(&crows).enumerate() {
                assert_eq!(p[0], *label);
                for (k, (pv, cv)) in p[1..].iter().zip(c).enumerate() {
                    let same = pv == cv
                        || (!cv.is_empty()
                            && pv.parse::<f64>().ok() == cv.parse::<f64>().ok()
                            && pv.parse::<f64>().is_ok());
                    assert!(same, "{label} {t} row {i} {}: {pv:?} vs {cv:?}", ch[k]);
                }
            }
        }
    }

    // 2. The SCALE.md queries in DuckDB.
    if !has_program("python3") {
        eprintln!("SKIPPED: the DuckDB half of this test: python3 is not installed");
        return;
    }
    // On a fresh machine without Python's duckdb the README's test command
    // still passes (and says what it skipped); CI installs duckdb
    // (.ci/run), so there the queries always run.
    let has_duckdb = std::process::Command::new("python3")
        .args(["-c", "import duckdb"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_duckdb && std::env::var_os("CI").is_none() {
        eprintln!("SKIPPED: the DuckDB half of this test: python3 has no duckdb module (`pip install duckdb`; .ci/run installs it)");
        return;
    }
    let out = std::process::Command::new("python3")
        .arg(root().join("tests/duckdb_queries.py"))
        .arg(&fleet.union)
        .arg(root().join("docs/SCALE.md"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "duckdb_queries.py failed (is the duckdb package installed? `pip install duckdb`): {err}"
    );
    let mut answers: BTreeMap<String, Vec<Vec<serde_json::Value>>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let rows = v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_array().unwrap().clone())
            .collect();
        answers.insert(v["query"].as_str().unwrap().to_owned(), rows);
    }
    let names: Vec<&str> = answers.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "causes",
            "days",
            "diagnostics",
            "modules",
            "multi_host",
            "outcomes",
            "requeue",
            "source_hosts"
        ],
        "every query of SCALE.md ran"
    );
    let csv = |label: &str, t: &str| -> (Vec<String>, Vec<Vec<String>>) {
        let out = &fleet.servers.iter().find(|s| s.0 == label).unwrap().1;
        read_csv(&out.join(format!("{t}.csv")))
    };
    let col = |h: &[String], name: &str| h.iter().position(|c| c == name).unwrap();
    let labels = ["srv1", "srv2"];
    // Two integer columns of `table`, summed per value of `key`, over
    // every label's CSV.
    let sum_two = |table: &str, key: &str, a: &str, b: &str| {
        let mut sums: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for l in labels {
            let (h, rows) = csv(l, table);
            for r in rows {
                let e = sums.entry(r[col(&h, key)].clone()).or_default();
                e.0 += r[col(&h, a)].parse::<i64>().unwrap();
                e.1 += r[col(&h, b)].parse::<i64>().unwrap();
            }
        }
        sums
    };
    let int = |v: &serde_json::Value| v.as_i64().unwrap();

    // requeue: the accounts.csv rows to re-run, and report.md's count.
    let mut want = 0;
    for l in labels {
        let (h, rows) = csv(l, "accounts");
        let n = rows
            .iter()
            .filter(|r| r[col(&h, "to_rerun")] == "yes")
            .count();
        let out = &fleet.servers.iter().find(|s| s.0 == l).unwrap().1;
        let md = std::fs::read_to_string(out.join("report.md")).unwrap();
        assert!(
            md.contains(&format!("; {n} to re-run;")),
            "{l}: report.md says {n}"
        );
        want += n;
    }
    assert!(want > 0, "the fleet has accounts to re-run");
    assert_eq!(answers["requeue"].len(), want);

    // causes: failed items per cause, summed over the servers.
    let mut sums: BTreeMap<(String, String, String), i64> = BTreeMap::new();
    let mut failed_items = 0;
    for l in labels {
        let (h, rows) = csv(l, "causes");
        for r in rows {
            let key = (
                r[col(&h, "queue")].clone(),
                r[col(&h, "module")].clone(),
                r[col(&h, "cause")].clone(),
            );
            *sums.entry(key).or_default() += r[col(&h, "items")].parse::<i64>().unwrap();
        }
        let (ih, irows) = csv(l, "items");
        failed_items += irows
            .iter()
            .filter(|r| r[col(&ih, "status")] == "failed")
            .count() as i64;
    }
    assert_eq!(sums.values().sum::<i64>(), failed_items, "causes add up");
    let mut top: Vec<_> = sums.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0 .2.cmp(&b.0 .2)).then(a.0.cmp(&b.0)));
    let got: Vec<(String, String, String, i64)> = answers["causes"]
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap().into(),
                r[1].as_str().unwrap().into(),
                r[2].as_str().unwrap().into(),
                int(&r[3]),
            )
        })
        .collect();
    let want: Vec<(String, String, String, i64)> = top
        .iter()
        .take(20)
        .map(|((q, m, c), n)| (q.clone(), m.clone(), c.clone(), *n))
        .collect();
    assert_eq!(got, want);

    // modules: runs and total seconds per module.
    let m = sum_two("modules", "module", "runs", "total_s");
    assert!(!m.is_empty());
    let got: BTreeMap<String, (i64, i64)> = answers["modules"]
        .iter()
        .map(|r| (r[0].as_str().unwrap().to_owned(), (int(&r[1]), int(&r[3]))))
        .collect();
    assert_eq!(got, m);

    // days: sessions and bytes per start day.
    let mut d: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for l in labels {
        let (h, rows) = csv(l, "sessions");
        for r in rows {
            let start = &r[col(&h, "started_at")];
            if start.is_empty() {
                continue;
            }
            let e = d.entry(start[..10].to_owned()).or_default();
            e.0 += 1;
            e.1 += r[col(&h, "bytes_done")].parse::<i64>().unwrap_or(0);
        }
    }
    let got: BTreeMap<String, (i64, i64)> = answers["days"]
        .iter()
        .map(|r| (r[0].as_str().unwrap().to_owned(), (int(&r[1]), int(&r[2]))))
        .collect();
    assert_eq!(got, d);

    // multi_host: source accounts with failed items on both servers.
    let mut failed_on: BTreeMap<(String, String, String), BTreeSet<&str>> = BTreeMap::new();
    for l in labels {
        let (sh, srows) = csv(l, "sessions");
        let host_of: BTreeMap<String, String> = srows
            .iter()
            .map(|r| {
                (
                    r[col(&sh, "session_id")].clone(),
                    r[col(&sh, "remote_host")].clone(),
                )
            })
            .collect();
        let (h, rows) = csv(l, "items");
        for r in rows.iter().filter(|r| r[col(&h, "status")] == "failed") {
            let key = (
                host_of[&r[col(&h, "session_id")]].clone(),
                r[col(&h, "item_type")].clone(),
                r[col(&h, "item")].clone(),
            );
            failed_on.entry(key).or_default().insert(l);
        }
    }
    let want: BTreeSet<(String, String, String)> = failed_on
        .into_iter()
        .filter(|(_, s)| s.len() > 1)
        .map(|(k, _)| k)
        .collect();
    assert!(!want.is_empty(), "some account failed on both servers");
    let got: BTreeSet<(String, String, String)> = answers["multi_host"]
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap().into(),
                r[1].as_str().unwrap().into(),
                r[2].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(got, want);

    // source_hosts: sessions and bytes per source host.
    let sh = sum_two("hosts", "remote_host", "sessions", "bytes");
    let got: BTreeMap<String, (i64, i64)> = answers["source_hosts"]
        .iter()
        .map(|r| (r[0].as_str().unwrap().to_owned(), (int(&r[1]), int(&r[2]))))
        .collect();
    assert_eq!(got, sh);

    // outcomes: items per server, queue and status.
    let mut oc: BTreeMap<(String, String, String), i64> = BTreeMap::new();
    for l in labels {
        let (h, rows) = csv(l, "items");
        for r in rows {
            *oc.entry((
                l.to_owned(),
                r[col(&h, "queue")].clone(),
                r[col(&h, "status")].clone(),
            ))
            .or_default() += 1;
        }
    }
    let got: BTreeMap<(String, String, String), i64> = answers["outcomes"]
        .iter()
        .map(|r| {
            (
                (
                    r[0].as_str().unwrap().into(),
                    r[1].as_str().unwrap().into(),
                    r[2].as_str().unwrap().into(),
                ),
                int(&r[3]),
            )
        })
        .collect();
    assert_eq!(got, oc);

    // diagnostics: lines per kind.
    let mut dk: BTreeMap<String, i64> = BTreeMap::new();
    for l in labels {
        let (h, rows) = csv(l, "diagnostics");
        for r in rows {
            *dk.entry(r[col(&h, "kind")].clone()).or_default() += 1;
        }
    }
    let got: BTreeMap<String, i64> = answers["diagnostics"]
        .iter()
        .map(|r| (r[0].as_str().unwrap().to_owned(), int(&r[1])))
        .collect();
    assert_eq!(got, dk);
}

#[test]
fn events_table_in_both_formats() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let (code, stdout, err) = run(&[
        "batch",
        "-q",
        "--raw-csv",
        "--events",
        "--format",
        "csv,parquet",
        "--host-label",
        "a b/c",
        "fixtures/sessions",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("events.csv events.parquet"), "{stdout}");
    let (ch, crows) = read_csv(&out.join("events.csv"));
    let (ph, prows) = read_parquet(&out.join("events.parquet"));
    assert_eq!(ph[1..], ch[..]);
    assert_eq!(prows.len(), crows.len());
    assert!(crows.len() > 400, "every master-log event: {}", crows.len());
    for (p, c) in prows.iter().zip(&crows) {
        assert_eq!(p[0], "a_b_c", "the label, made path-safe");
        assert_eq!(p[1..], c[..]);
    }
    // No scratch file is left behind.
    let left: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
