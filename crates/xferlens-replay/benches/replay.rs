//! Replay throughput: a generated session of 1,000 accounts with a large
//! volume of item-log lines, read from disk (page cache) and replayed.
//! Criterion reports bytes/s; the events/s figure is printed once.

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use xferlens_gen::{generate_session, GenOptions, Scenario};
use xferlens_replay::{read_session_dir, ReadOptions};

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = GenOptions {
        seed: 42,
        accounts: 1000,
        lines_per_item: 250,
        workers: 4,
        scenario: Scenario::Mixed,
        write_expected: false,
        ..GenOptions::default()
    };
    let ex = generate_session(dir.path(), &o).expect("generate");
    let path = dir.path().join(&ex.id);
    let probe = read_session_dir(&path, None, &ReadOptions::default()).expect("read");
    let (bytes, events) = (probe.volume.bytes, probe.volume.events);
    let t = Instant::now();
    let n = 5;
    for _ in 0..n {
        black_box(read_session_dir(&path, None, &ReadOptions::default()).expect("read"));
    }
    let secs = t.elapsed().as_secs_f64() / n as f64;
    eprintln!(
        "replay: {} items, {:.1} MB, {} events in {:.3}s: {:.1} M events/s, {:.0} MB/s (parallel item logs)",
        probe.items.len(),
        bytes as f64 / 1e6,
        events,
        secs,
        events as f64 / secs / 1e6,
        bytes as f64 / secs / 1e6
    );
    let mut g = c.benchmark_group("replay");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("session_1000_accounts_parallel", |b| {
        b.iter(|| black_box(read_session_dir(&path, None, &ReadOptions::default()).expect("read")))
    });
    let seq = ReadOptions {
        sequential: true,
        ..ReadOptions::default()
    };
    g.bench_function("session_1000_accounts_one_core", |b| {
        b.iter(|| black_box(read_session_dir(&path, None, &seq).expect("read")))
    });
    g.throughput(Throughput::Elements(events));
    g.bench_function("session_1000_accounts_events", |b| {
        b.iter(|| black_box(read_session_dir(&path, None, &ReadOptions::default()).expect("read")))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
