//! Properties of line splitting: any chunking gives the same events and
//! diagnostics; a log cut at any byte gives the events of the complete
//! lines before the cut plus at most one partial-line diagnostic.

use std::io::{self, Read};
use std::ops::ControlFlow;

use proptest::prelude::*;
use xferlens_parse::*;

/// The item-log types replay skips (`xferlens_replay::ITEM_LOG_SKIP`).
const ITEM_LOG_SKIP: &[&str] = &["out", "debug", "header"];

/// Records everything; takes progress lines (with their times) when
/// `progress` is set.
#[derive(Default, Debug, PartialEq, Clone)]
struct Rec(Vec<String>, bool);

impl EventSink for Rec {
    fn event(&mut self, pos: Position, ev: &mut Event<'_>) -> ControlFlow<()> {
        self.0.push(format!("E{}:{}:{:?}", pos.line, pos.byte, ev));
        ControlFlow::Continue(())
    }
    fn takes_progress(&self) -> bool {
        self.1
    }
    fn progress(&mut self, pos: Position, p: &ProgressLine<'_>) -> ControlFlow<()> {
        self.0.push(format!(
            "P{}:{}:{:?}:{:?}",
            pos.line,
            pos.byte,
            p.progress,
            p.time()
        ));
        ControlFlow::Continue(())
    }
    fn diagnostic(&mut self, d: Diagnostic) -> ControlFlow<()> {
        self.0.push(format!("D{}", d));
        ControlFlow::Continue(())
    }
}

/// A reader that returns the sizes given, cycling.
struct Chunked<'a> {
    data: &'a [u8],
    sizes: Vec<usize>,
    k: usize,
}
impl Read for Chunked<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let want = self.sizes[self.k % self.sizes.len()].max(1);
        self.k += 1;
        let n = want.min(out.len()).min(self.data.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

const LOG: &str = include_str!("../../../fixtures/logs/master-current.log");

fn line_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"{\"pid\":1,\"type\":\"out\",\"contents\":{\"msg\":[\"a\"]}}".to_vec()),
        Just(
            b"{\"type\":\"control\",\"contents\":{\"action\":\"percentage\",\"percentage\":\"5\"}}"
                .to_vec()
        ),
        Just(b"garbage line".to_vec()),
        Just(b"".to_vec()),
        Just(b"{\"x\":\"\xff\"}".to_vec()),
        Just(b"{\"type\":\"warn\"}\r".to_vec()),
        prop::collection::vec(any::<u8>(), 0..40),
    ]
}

proptest! {
    #[test]
    fn chunking_never_changes_the_result(
        lines in prop::collection::vec(line_strategy(), 0..30),
        sizes in prop::collection::vec(1usize..50, 1..8),
        chunk in 1usize..64,
        max_line_len in 8usize..200,
        skip in any::<bool>(),
    ) {
        let mut data = Vec::new();
        for l in &lines {
            data.extend_from_slice(l);
            data.push(b'\n');
        }
        let skip_types: &'static [&'static str] = if skip { ITEM_LOG_SKIP } else { &[] };
        let opts = ParseOptions { chunk, max_line_len, skip_types, ..ParseOptions::default() };
        let mut whole = Rec(Vec::new(), skip);
        let s1 = parse_slice("p", &data, &mut whole, &opts);
        let mut streamed = Rec(Vec::new(), skip);
        let s2 = parse_reader("p", Chunked { data: &data, sizes, k: 0 }, &mut streamed, &opts);
        prop_assert_eq!(&whole, &streamed);
        prop_assert_eq!(s1, s2);
    }

    /// `parse_input` sniffs the form inside the line buffer: however the
    /// reads are cut, plain and gzip input give what `parse_slice` gives.
    #[test]
    fn parse_input_matches_slice_for_any_reads(
        lines in prop::collection::vec(line_strategy(), 0..30),
        repeat in 1usize..200,
        sizes in prop::collection::vec(1usize..5000, 1..8),
        skip in any::<bool>(),
        gzip in any::<bool>(),
    ) {
        let mut data = Vec::new();
        for _ in 0..repeat {
            for l in &lines {
                data.extend_from_slice(l);
                data.push(b'\n');
            }
        }
        // Random bytes that happen to look like gzip or an API response
        // are another test's business.
        prop_assume!(sniff(&data[..data.len().min(4096)]) == Sniffed::Log);
        let skip_types: &'static [&'static str] = if skip { ITEM_LOG_SKIP } else { &[] };
        let opts = ParseOptions { skip_types, ..ParseOptions::default() };
        let mut whole = Rec(Vec::new(), skip);
        let mut s1 = parse_slice("p", &data, &mut whole, &opts);
        let input = if gzip {
            use std::io::Write;
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(&data).unwrap();
            e.finish().unwrap()
        } else {
            data.clone()
        };
        let mut streamed = Rec(Vec::new(), skip);
        let s2 = parse_input("p", Chunked { data: &input, sizes, k: 0 }, &mut streamed, &opts).unwrap();
        s1.gzip = gzip;
        prop_assert_eq!(&whole, &streamed);
        prop_assert_eq!(s1, s2);
    }

    #[test]
    fn a_cut_log_keeps_every_complete_line(cut in 0usize..LOG.len()) {
        let data = &LOG.as_bytes()[..cut];
        let mut full = Rec::default();
        parse_slice("m", LOG.as_bytes(), &mut full, &ParseOptions::default());
        let mut part = Rec::default();
        let s = parse_slice("m", data, &mut part, &ParseOptions::default());
        let complete = data.iter().filter(|b| **b == b'\n').count();
        let diags = part.0.iter().filter(|e| e.starts_with('D')).count();
        prop_assert!(diags <= 1);
        if diags == 1 {
            prop_assert!(part.0.last().unwrap().contains("partial-line"));
        }
        // Events of every complete line, identical to the uncut parse.
        prop_assert_eq!(&part.0[..complete], &full.0[..complete]);
        prop_assert!(s.events as usize >= complete);
    }
}
