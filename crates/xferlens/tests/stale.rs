//! A running session whose newest line is older than `--stale-after` is
//! stale, and every view of it says so in the same words (issue 23, bug
//! 2): `summary`, `report --format md` and `report --format html`.
//! "Now" is pinned with `XFERLENS_NOW`.

mod common;
use common::*;

/// The running fixture: its newest line is 2025-11-28T14:00:51Z.
const RUNNING: &str = "fixtures/sessions/sourcerunningcopy20251128";
const NEWEST: i64 = 1_764_338_451;

/// What summary, the Markdown report and the HTML report print for the
/// running fixture when "now" is `now`, with `args` added.
fn views(now: i64, args: &[&str]) -> [(&'static str, String); 3] {
    let run_at = |cmd: &[&str]| {
        let out = xferlens()
            .env("XFERLENS_NOW", now.to_string())
            .args(cmd)
            .args(args)
            .args(["--quiet", RUNNING])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{cmd:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    [
        ("summary", run_at(&["summary"])),
        ("md", run_at(&["report", "--format", "md"])),
        ("html", run_at(&["report", "--format", "html"])),
    ]
}

#[test]
fn summary_and_both_reports_say_a_session_is_stale() {
    let fact = "no new lines for 2d 03h (newest 2025-11-28T14:00:51Z); no ETA";
    let [summary, md, html] = views(NEWEST + 2 * 86_400 + 3 * 3600, &[]);
    // The same words, labelled as each medium labels a fact.
    for ((view, text), label) in [
        (summary, "  stale: "),
        (md, "- **Stale:** "),
        (html, "<tr><th>Stale</th><td>"),
    ] {
        let line = format!("{label}{fact}");
        assert!(text.contains(&line), "{view} says `{line}`:\n{text}");
    }
}

#[test]
fn no_view_calls_a_session_stale_that_is_not() {
    // A minute after its newest line; and two days after, with a
    // --stale-after longer than that.
    for (now, args) in [
        (NEWEST + 60, &[][..]),
        (NEWEST + 2 * 86_400, &["--stale-after", "3d"][..]),
    ] {
        for (view, text) in views(now, args) {
            assert!(
                !text.to_lowercase().contains("stale"),
                "{view} at {now} {args:?}:\n{text}"
            );
        }
    }
}
