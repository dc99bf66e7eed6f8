//! The parser's item-log replay path (skipped types checked, progress lines
//! scanned) over the files given, best of 15 runs each: CPU per byte on
//! one core, through a reader (as replay reads) and over a slice. For
//! splitting a line mix by kind when one costs more than another, e.g.
//! `cargo run --release -p xferlens-parse --example probe -- a.log b.log`.

use std::time::Instant;
use xferlens_parse::{parse_reader, parse_slice, sinks, ParseOptions};
fn main() {
    let replay = ParseOptions {
        skip_types: &["out", "debug", "header"],
        ..ParseOptions::default()
    };
    for f in std::env::args().skip(1) {
        let data = std::fs::read(&f).unwrap();
        let mut best = f64::MAX;
        let mut bests = f64::MAX;
        for _ in 0..15 {
            let t = Instant::now();
            let mut n = sinks::Count::taking_progress();
            parse_reader("b", &data[..], &mut n, &replay);
            std::hint::black_box(n);
            best = best.min(t.elapsed().as_secs_f64());
            let t = Instant::now();
            let mut n = sinks::Count::taking_progress();
            parse_slice("b", &data[..], &mut n, &replay);
            std::hint::black_box(n);
            bests = bests.min(t.elapsed().as_secs_f64());
        }
        println!(
            "{f}: {} bytes reader {:.3} ns/B slice {:.3} ns/B",
            data.len(),
            best * 1e9 / data.len() as f64,
            bests * 1e9 / data.len() as f64
        );
    }
}
