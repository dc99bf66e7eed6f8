//! Golden files for the renderers: each format of a few fixture sessions
//! must match `tests/golden/` byte for byte. After an intended change,
//! regenerate with `UPDATE_GOLDEN=1 cargo test --test golden` and review
//! the diff.

mod common;
use common::*;

const CASES: [(&str, &str); 3] = [
    ("seed", "fixtures/seed/vm5docscpanelcopya20140224163412sylG"),
    ("failures", "fixtures/sessions/sourcefailurescopy20251128"),
    ("running", "fixtures/sessions/sourcerunningcopy20251128"),
];

const FORMATS: [(&str, &[&str]); 20] = [
    ("summary.txt", &["summary"]),
    ("events.csv", &["events", "--format", "csv"]),
    ("accounts.csv", &["items", "--accounts", "--format", "csv"]),
    ("modules.csv", &["modules", "--format", "csv"]),
    ("retry.txt", &["retry"]),
    ("progress.txt", &["progress"]),
    ("progress.json", &["progress", "--format", "json"]),
    ("progress.ndjson", &["progress", "--format", "ndjson"]),
    ("items.csv", &["items", "--format", "csv"]),
    ("report.md", &["report", "--format", "md"]),
    ("report.html", &["report", "--format", "html"]),
    ("report.json", &["report", "--format", "json"]),
    ("items.json", &["items", "--format", "json"]),
    ("items.ndjson", &["items", "--format", "ndjson"]),
    ("items.md", &["items", "--format", "md"]),
    ("items.txt", &["items"]),
    (
        "accounts.ndjson",
        &["items", "--accounts", "--format", "ndjson"],
    ),
    ("accounts.md", &["items", "--accounts", "--format", "md"]),
    ("accounts.txt", &["items", "--accounts"]),
    ("events.ndjson", &["events", "--format", "ndjson"]),
];

#[test]
fn renderers_match_golden_files() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let dir = root().join("tests/golden");
    std::fs::create_dir_all(&dir).unwrap();
    let mut mismatches = Vec::new();
    for (case, path) in CASES {
        for (file, args) in FORMATS {
            let mut a: Vec<&str> = args.to_vec();
            a.push("--quiet");
            a.push(path);
            let (code, out, _) = run(&a);
            assert_eq!(code, 0, "{case} {file}");
            let golden = dir.join(format!("{case}.{file}"));
            if update {
                std::fs::write(&golden, &out).unwrap();
                continue;
            }
            let want = std::fs::read_to_string(&golden).unwrap_or_default();
            if want != out {
                mismatches.push(golden.display().to_string());
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "differ from golden (UPDATE_GOLDEN=1 to regenerate): {mismatches:#?}"
    );
}

/// batch's outputs over every fixture session, file by file (the clock is
/// pinned, so the reports are stable).
#[test]
fn batch_outputs_match_golden_files() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let dir = root().join("tests/golden/batch");
    std::fs::create_dir_all(&dir).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let (code, _, err) = run(&[
        "batch",
        "-q",
        "--events",
        "fixtures/sessions",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 10, "{names:?}");
    let mut mismatches = Vec::new();
    for n in names {
        // Paths in the outputs name the temporary directory: made relative.
        let text = std::fs::read_to_string(out.join(&n))
            .unwrap()
            .replace(&format!("{}/", root().display()), "");
        let golden = dir.join(&n);
        if update {
            std::fs::write(&golden, &text).unwrap();
            continue;
        }
        if std::fs::read_to_string(&golden).unwrap_or_default() != text {
            mismatches.push(golden.display().to_string());
        }
    }
    assert!(
        mismatches.is_empty(),
        "differ from golden (UPDATE_GOLDEN=1 to regenerate): {mismatches:#?}"
    );
}
