//! Every parser fixture: exact event and diagnostic counts and positions,
//! and the same result whether the input is parsed whole or read in
//! 1-byte, 7-byte or default-size chunks.

use std::fs;
use std::io::{self, Read};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use xferlens_parse::*;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(rel)
}

/// Writes everything it receives as `line:byte:what` text.
#[derive(Default, Debug, PartialEq)]
struct Recording {
    events: Vec<String>,
    diagnostics: Vec<String>,
}

impl EventSink for Recording {
    fn event(&mut self, pos: Position, ev: &mut Event<'_>) -> ControlFlow<()> {
        let what = ev
            .action()
            .map(|a| a.as_str().to_owned())
            .unwrap_or_else(|| ev.kind.as_str().to_owned());
        self.events
            .push(format!("{}:{}:{}", pos.line, pos.byte, what));
        ControlFlow::Continue(())
    }
    fn diagnostic(&mut self, d: Diagnostic) -> ControlFlow<()> {
        self.diagnostics
            .push(format!("{}:{}:{}", d.line, d.byte_offset, d.kind.code()));
        ControlFlow::Continue(())
    }
}

struct Trickle<R>(R, usize);
impl<R: Read> Read for Trickle<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = out.len().min(self.1);
        self.0.read(&mut out[..n])
    }
}

/// Parses a file through `parse_input` at several read sizes and checks that
/// all agree; returns the recording and summary.
fn parse_all_ways(path: &Path) -> (Recording, ParseSummary) {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let opts = ParseOptions::default();
    let mut whole = Recording::default();
    let summary = parse_input(&name, fs::File::open(path).unwrap(), &mut whole, &opts).unwrap();
    for read in [1usize, 7, 4096] {
        for chunk in [1usize, 7, DEFAULT_CHUNK] {
            let mut r = Recording::default();
            let o = ParseOptions {
                chunk,
                ..ParseOptions::default()
            };
            let s = parse_input(
                &name,
                Trickle(fs::File::open(path).unwrap(), read),
                &mut r,
                &o,
            )
            .unwrap();
            assert_eq!(r, whole, "{name}: read {read}, chunk {chunk}");
            assert_eq!(s, summary, "{name}: read {read}, chunk {chunk}");
        }
    }
    (whole, summary)
}

/// Byte offset of the start of each line (1-based index), computed from
/// the text independently of the parser.
fn line_starts(bytes: &[u8]) -> Vec<u64> {
    let mut v = vec![0, 0];
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'\n' {
            v.push(i as u64 + 1);
        }
    }
    v
}

#[test]
fn seed_master_log() {
    let p = fixture("seed/vm5docscpanelcopya20140224163412sylG/master.log");
    let (r, s) = parse_all_ways(&p);
    assert_eq!((s.lines, s.events, s.diagnostics), (30, 30, 0));
    assert_eq!(r.events[0], "1:0:start");
    assert_eq!(
        r.events[7],
        format!("8:{}:process-item", line_starts(&fs::read(&p).unwrap())[8])
    );
    assert_eq!(r.events[29].rsplit(':').next(), Some("complete"));
}

#[test]
fn seed_as_saved_api_response() {
    let p = fixture("logs/seed-api-response.json");
    let (r, s) = parse_all_ways(&p);
    assert!(s.api_response && !s.gzip);
    assert_eq!((s.lines, s.events, s.diagnostics), (30, 30, 0));
    // Positions are relative to the embedded log: identical to the plain file.
    let (plain, _) = parse_all_ways(&fixture(
        "seed/vm5docscpanelcopya20140224163412sylG/master.log",
    ));
    assert_eq!(r, plain);
}

#[test]
fn current_master_log_and_its_gzip_copy() {
    let (r, s) = parse_all_ways(&fixture("logs/master-current.log"));
    assert_eq!((s.lines, s.events, s.diagnostics), (51, 51, 0));
    let (gz, gs) = parse_all_ways(&fixture("logs/master-current.log.gz"));
    assert!(gs.gzip);
    assert_eq!(gz, r);
    assert_eq!(gs.bytes, s.bytes);
    assert!(
        r.events
            .iter()
            .filter(|e| e.ends_with(":queue_size"))
            .count()
            == 2
    );
}

#[test]
fn item_log_with_percentages_modules_summary_and_failure() {
    let p = fixture("logs/item-restore-failed.log");
    let (r, s) = parse_all_ways(&p);
    assert_eq!((s.lines, s.events, s.diagnostics), (54, 54, 0));
    let kinds = |k: &str| {
        r.events
            .iter()
            .filter(|e| e.ends_with(&format!(":{k}")))
            .count()
    };
    assert_eq!(kinds("percentage"), 13);
    assert_eq!(kinds("start_module"), 5);
    assert_eq!(kinds("modulestatus"), 5);
    assert_eq!(kinds("start_action"), 5);
    assert_eq!(kinds("end_action"), 5);
    assert_eq!(kinds("failed"), 1);
    assert_eq!(kinds("summary"), 1);
    assert!(r.events[53].starts_with("54:") && r.events[53].ends_with(":summary"));
}

#[test]
fn garbage_lines_become_diagnostics_and_the_rest_is_used() {
    let p = fixture("logs/garbage.log");
    let bytes = fs::read(&p).unwrap();
    let starts = line_starts(&bytes);
    let (r, s) = parse_all_ways(&p);
    assert_eq!(s.lines, 60);
    assert_eq!(s.blank_lines, 2);
    assert_eq!(s.skipped_lines, 4);
    assert_eq!(s.events, 54);
    assert!(s.unterminated);
    let want: Vec<String> = [
        (4, "invalid-json"),
        (30, "invalid-json"),
        (58, "not-an-object"),
        (59, "invalid-utf8"),
        (60, "partial-line"),
    ]
    .iter()
    .map(|(l, k)| format!("{l}:{}:{k}", starts[*l]))
    .collect();
    assert_eq!(r.diagnostics, want);
    // The BOM line and the CRLF line are events.
    assert!(r.events[0].starts_with("1:0:"));
    assert!(r.events.iter().any(|e| e.starts_with("9:")));
    // The invalid UTF-8 line is used (lossily decoded), after its diagnostic.
    assert!(r.events.iter().any(|e| e.starts_with("59:")));
}

#[test]
fn stdin_like_stream_of_garbage_never_fails() {
    let mut r = Recording::default();
    let data: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    let s = parse_input("<stdin>", &data[..], &mut r, &ParseOptions::default()).unwrap();
    assert_eq!(s.events, 0);
    assert_eq!(s.diagnostics, s.lines - s.blank_lines);
}

#[test]
fn file_of_nul_bytes_is_one_bad_line() {
    let mut r = Recording::default();
    let s = parse_input(
        "nul",
        &vec![0u8; 10_000][..],
        &mut r,
        &ParseOptions::default(),
    )
    .unwrap();
    assert_eq!(r.diagnostics, ["1:0:partial-line"]);
    assert_eq!(s.events, 0);
}

#[test]
fn over_long_line_is_skipped_within_the_cap() {
    let mut data = b"{\"type\":\"out\"}\n".to_vec();
    data.extend(std::iter::repeat_n(b'x', 5000));
    data.extend_from_slice(b"\n{\"type\":\"warn\"}\n");
    let opts = ParseOptions {
        max_line_len: 1024,
        chunk: 100,
        ..ParseOptions::default()
    };
    let mut r = Recording::default();
    let s = parse_reader("long", &data[..], &mut r, &opts);
    assert_eq!(r.events, ["1:0:out", "3:5016:warn"]);
    assert_eq!(r.diagnostics, ["2:15:line-too-long"]);
    assert_eq!(s.bytes, data.len() as u64);
}
