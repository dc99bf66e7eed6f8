//! Replay throughput: a generated session of 1,000 accounts with a large
//! volume of item-log lines, read from disk (page cache) and replayed, for
//! each line mix of the generator (`Profile`): its own, and the realistic
//! one (many key orders, escapes, Perl warnings, action-heavy modules).
//! Criterion reports bytes/s; the one-core figure is CPU per byte, and the
//! line printed once per mix compares the mixes (the fast path should cost
//! the same per byte on both).

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use xferlens_gen::{generate_session, GenOptions, Profile, Scenario};
use xferlens_replay::{read_session_dir, ReadOptions};

/// Seconds per replay on one core, best of `n`.
fn one_core_secs(path: &Path, n: usize) -> f64 {
    let seq = ReadOptions {
        sequential: true,
        ..ReadOptions::default()
    };
    (0..n)
        .map(|_| {
            let t = Instant::now();
            black_box(read_session_dir(path, None, &seq).expect("read"));
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn bench(c: &mut Criterion) {
    let mut cpu_per_mb = Vec::new();
    for (name, profile) in [
        ("generator", Profile::Generator),
        ("realistic", Profile::Realistic),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let o = GenOptions {
            seed: 42,
            accounts: 1000,
            lines_per_item: 250,
            workers: 4,
            scenario: Scenario::Mixed,
            write_expected: false,
            profile,
            ..GenOptions::default()
        };
        let ex = generate_session(dir.path(), &o).expect("generate");
        let path = dir.path().join(&ex.id);
        let probe = read_session_dir(&path, None, &ReadOptions::default()).expect("read");
        let (bytes, events) = (probe.volume.bytes, probe.volume.events);
        let secs = one_core_secs(&path, 5);
        let ns_per_byte = secs * 1e9 / bytes as f64;
        cpu_per_mb.push((name, ns_per_byte));
        eprintln!(
            "replay ({name} mix): {} items, {:.1} MB, {} events; one core {:.3}s: {:.0} MB/s, {:.2} ns CPU per byte",
            probe.items.len(),
            bytes as f64 / 1e6,
            events,
            secs,
            bytes as f64 / secs / 1e6,
            ns_per_byte,
        );
        let mut g = c.benchmark_group(format!("replay_{name}"));
        g.sample_size(10);
        g.throughput(Throughput::Bytes(bytes));
        g.bench_function("session_1000_accounts_parallel", |b| {
            b.iter(|| {
                black_box(read_session_dir(&path, None, &ReadOptions::default()).expect("read"))
            })
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
            b.iter(|| {
                black_box(read_session_dir(&path, None, &ReadOptions::default()).expect("read"))
            })
        });
        g.finish();
    }
    if let [(a, x), (b, y)] = cpu_per_mb[..] {
        eprintln!(
            "CPU per byte, one core: {a} {x:.2} ns, {b} {y:.2} ns ({:+.0}%)",
            (y / x - 1.0) * 100.0
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
