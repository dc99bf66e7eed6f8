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

const FORMATS: [(&str, &[&str]); 7] = [
    ("summary.txt", &["summary"]),
    ("progress.txt", &["progress"]),
    ("progress.json", &["progress", "--format", "json"]),
    ("items.csv", &["items", "--format", "csv"]),
    ("report.md", &["report", "--format", "md"]),
    ("report.html", &["report", "--format", "html"]),
    ("report.json", &["report", "--format", "json"]),
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
