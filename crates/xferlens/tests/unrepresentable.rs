//! No cell value may cost a session (issue 23, bug 1). A time past year
//! 9999 (`"time":999999999999` is 33658-09-27) or a size of 2^63 bytes or
//! more fits a CSV cell but not a Parquet timestamp or INT64 column.
//! `batch --format csv,parquet` must still write the session to every
//! table in both formats: the CSV keeps the value, Parquet has a NULL in
//! that one cell, stderr names the table, column and session, and the
//! exit status is 0.

mod common;
use common::*;

use std::path::Path;

use parquet::file::reader::SerializedFileReader;
use parquet::record::Field;

/// The clean fixture copied to `dir/<id>`, with line `n` (from 1) of its
/// master log passed through `edit`.
fn session(dir: &Path, id: &str, edit: &[(usize, &str, &str)]) {
    let from = fixture("sessions/sourcecleancopy20251128");
    let to = dir.join(id);
    std::fs::create_dir_all(&to).unwrap();
    for e in std::fs::read_dir(&from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
    let log = std::fs::read_to_string(to.join("master.log")).unwrap();
    let mut lines: Vec<String> = log.lines().map(String::from).collect();
    for (n, old, new) in edit {
        let line = &mut lines[n - 1];
        assert!(line.contains(old), "line {n} has {old}: {line}");
        *line = line.replacen(old, new, 1);
    }
    std::fs::write(to.join("master.log"), lines.join("\n") + "\n").unwrap();
}

/// A CSV file's rows as maps from column to cell.
fn csv_rows(p: &Path) -> Vec<Vec<(String, String)>> {
    let mut r = csv::Reader::from_path(p).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(String::from))
                .collect()
        })
        .collect()
}

/// A Parquet file's rows as (column, field) lists.
fn parquet_rows(p: &Path) -> Vec<Vec<(String, Field)>> {
    SerializedFileReader::try_from(p)
        .unwrap()
        .into_iter()
        .map(|row| {
            row.unwrap()
                .get_column_iter()
                .map(|(c, f)| (c.clone(), f.clone()))
                .collect()
        })
        .collect()
}

/// The cell of `column` in `row`.
fn get<'r, T>(row: &'r [(String, T)], column: &str) -> &'r T {
    &row.iter().find(|(c, _)| c == column).unwrap().1
}

#[test]
fn a_value_parquet_cannot_hold_is_null_there_and_costs_no_session() {
    let tmp = tempfile::tempdir().unwrap();
    let logs = tmp.path().join("logs");
    // s1: item `default` starts in year 33658 (line 9, its `start`), and
    // `bravo001` says it is 2^63 bytes (line 14, its `start-item`).
    session(
        &logs,
        "s1",
        &[
            (9, "\"time\":1764338401", "\"time\":999999999999"),
            (14, "\"size\":96611457", "\"size\":9223372036854775808"),
        ],
    );
    session(&logs, "s2", &[]);
    let out = tmp.path().join("out");
    let (code, stdout, stderr) = run(&[
        "batch",
        "--no-progress",
        "--events",
        "--format",
        "csv,parquet",
        logs.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "stdout: {stdout}\nstderr: {stderr}");
    assert!(stdout.contains("2 sessions: 2 completed"), "{stdout}");

    // Both sessions, every row, in both formats.
    for table in [
        "sessions", "items", "events", "accounts", "hosts", "modules",
    ] {
        let c = csv_rows(&out.join(format!("{table}.csv")));
        let p = parquet_rows(&out.join(format!("{table}.parquet")));
        assert_eq!(c.len(), p.len(), "{table}: as many Parquet rows as CSV");
        assert!(!c.is_empty(), "{table}");
    }
    let sessions = csv_rows(&out.join("sessions.csv"));
    let ids: Vec<&str> = sessions
        .iter()
        .map(|r| get(r, "session_id").as_str())
        .collect();
    assert_eq!(ids, ["s1", "s2"]);

    // The CSV keeps the values; Parquet has NULL in just those cells.
    let items = csv_rows(&out.join("items.csv"));
    let pitems = parquet_rows(&out.join("items.parquet"));
    let at = |item: &str| {
        let i = items
            .iter()
            .position(|r| get(r, "session_id") == "s1" && get(r, "item") == item)
            .unwrap();
        (&items[i], &pitems[i])
    };
    let (c, p) = at("default");
    assert_eq!(get(c, "started_at"), "33658-09-27T01:46:39Z");
    assert_eq!(get(p, "started_at"), &Field::Null);
    assert_eq!(get(p, "item"), &Field::Str("default".into()));
    assert!(matches!(get(p, "finished_at"), Field::TimestampMicros(_)));
    assert_eq!(get(p, "size_bytes"), &Field::Long(2048));
    let (c, p) = at("bravo001");
    assert_eq!(get(c, "size_bytes"), "9223372036854775808");
    assert_eq!(get(p, "size_bytes"), &Field::Null);
    assert!(matches!(get(p, "started_at"), Field::TimestampMicros(_)));
    // The s2 rows are whole.
    let s2 = items.iter().position(|r| get(r, "session_id") == "s2");
    let p = &pitems[s2.unwrap()];
    assert!(matches!(get(p, "started_at"), Field::TimestampMicros(_)));

    // The events table: the `start` line keeps its time in CSV only.
    let events = csv_rows(&out.join("events.csv"));
    let pevents = parquet_rows(&out.join("events.parquet"));
    let i = events
        .iter()
        .position(|r| get(r, "time") == "33658-09-27T01:46:39Z")
        .unwrap();
    assert_eq!(get(&pevents[i], "time"), &Field::Null);
    assert_eq!(get(&pevents[i], "session_id"), &Field::Str("s1".into()));

    // stderr names the table, the column and the session of each.
    for (table, column) in [
        ("items", "started_at"),
        ("items", "size_bytes"),
        ("events", "time"),
    ] {
        assert!(
            stderr
                .lines()
                .any(|l| l.contains(&format!("{table}.parquet"))
                    && l.contains(&format!("column {column}"))
                    && l.contains("session s1")
                    && l.ends_with("NULL in Parquet, kept in the CSV")),
            "{table} {column}: {stderr}"
        );
    }

    // With Parquet alone, the same lines, without the CSV's part.
    let parquet_only = tmp.path().join("parquet");
    let (code, _, stderr) = run(&[
        "batch",
        "--no-progress",
        "--format",
        "parquet",
        logs.to_str().unwrap(),
        "-o",
        parquet_only.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("items.parquet: session s1, row 1, column started_at: `33658")
            && stderr.contains("; NULL in Parquet\n")
            && !stderr.contains("kept in the CSV"),
        "{stderr}"
    );

    // With CSV alone, the same CSV files.
    let csv_only = tmp.path().join("csv");
    let (code, _, stderr) = run(&[
        "batch",
        "--no-progress",
        "--events",
        "--format",
        "csv",
        logs.to_str().unwrap(),
        "-o",
        csv_only.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    for table in ["sessions", "items", "events", "accounts", "hosts"] {
        let name = format!("{table}.csv");
        assert_eq!(
            std::fs::read(out.join(&name)).unwrap(),
            std::fs::read(csv_only.join(&name)).unwrap(),
            "{name}"
        );
    }
}
