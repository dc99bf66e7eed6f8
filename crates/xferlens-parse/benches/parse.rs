//! Parser throughput on a synthetic item log (≥100 MB, built here) and on
//! master-log lines. Reports MB/s (criterion "thrpt").

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use xferlens_parse::{parse_reader, parse_slice, sinks, ParseOptions};

/// About `target` bytes of item-log lines in the writer's shapes.
/// The item-log types replay skips (`xferlens_replay::ITEM_LOG_SKIP`).
const ITEM_LOG_SKIP: &[&str] = &["out", "debug", "header"];

fn item_log(target: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(target + 1024);
    let mut i = 0u64;
    while out.len() < target {
        let line = match i % 50 {
            0 => format!("{{\"pid\":4242,\"type\":\"control\",\"contents\":{{\"action\":\"percentage\",\"percentage\":{}}},\"indent\":0,\"partial\":0}}\n", i % 100),
            7 => format!("{{\"pid\":4242,\"type\":\"warn\",\"contents\":{{\"msg\":[\"Skipped \\u201c.cpanel/caches/{i}\\u201d: not needed.\"]}},\"indent\":1,\"partial\":0}}\n"),
            13 => format!("{{\"pid\":4242,\"type\":\"modulestatus\",\"contents\":{{\"module\":\"Mysql\",\"status\":1,\"statusmsg\":\"ok {i}\"}},\"indent\":1,\"partial\":0}}\n"),
            k if k % 2 == 0 => format!("{{\"contents\":{{\"msg\":[\"Copying \\u201cpublic_html/wp-content/uploads/2023/{i}.jpg\\u201d \\u2026 done\"]}},\"indent\":1,\"partial\":0,\"pid\":4242,\"type\":\"out\"}}\n"),
            _ => format!("{{\"pid\":4242,\"type\":\"out\",\"indent\":1,\"contents\":{{\"msg\":[\"Restoring mail for mailbox info@example{i}.com ... done\"]}},\"partial\":0}}\n"),
        };
        out.extend_from_slice(line.as_bytes());
        i += 1;
    }
    out
}

fn master_log(target: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(target + 1024);
    let mut i = 0u64;
    while out.len() < target {
        let line = match i % 4 {
            0 => format!("{{\"pid\":{},\"type\":\"control\",\"contents\":{{\"action\":\"start\",\"child_number\":{},\"queue\":\"TRANSFER\",\"item\":\"user{i}\",\"item_type\":\"AccountRemoteRoot\",\"item_name\":\"Account\",\"logfile\":\"item-TRANSFER_AccountRemoteRoot_user{i}\",\"time\":{}}},\"indent\":0,\"partial\":0}}\n", 1000 + i % 7, i % 3 + 1, 1_700_000_000 + i),
            1 => format!("{{\"contents\":{{\"msg\":{{\"size\":{}}},\"action\":\"start-item\",\"child_number\":2,\"queue\":\"RESTORE\",\"item\":\"user{i}\",\"local_item\":\"user{i}\",\"item_type\":\"AccountRemoteRoot\",\"time\":{}}},\"type\":\"control\",\"pid\":\"{}\"}}\n", i * 1000, 1_700_000_000 + i, 2000 + i % 5),
            2 => format!("{{\"pid\":1001,\"type\":\"control\",\"contents\":{{\"action\":\"success-item\",\"child_number\":1,\"queue\":\"TRANSFER\",\"item\":\"user{i}\",\"item_type\":\"AccountRemoteRoot\",\"time\":{},\"msg\":{{\"size\":12345,\"warnings\":0,\"skipped_items\":0,\"dangerous_items\":0,\"altered_items\":0,\"contents\":{{\"warnings\":[],\"skipped_items\":null,\"dangerous_items\":null,\"altered_items\":null}},\"message\":null}}}}}}\n", 1_700_000_000 + i),
            _ => format!("{{\"pid\":1001,\"type\":\"control\",\"contents\":{{\"action\":\"process-item\",\"child_number\":1,\"queue\":\"TRANSFER\",\"item\":\"user{i}\",\"msg\":\"item-TRANSFER_AccountRemoteRoot_user{i}\",\"time\":{}}}}}\n", 1_700_000_000 + i),
        };
        out.extend_from_slice(line.as_bytes());
        i += 1;
    }
    out
}

fn bench(c: &mut Criterion) {
    let opts = ParseOptions::default();
    let item = item_log(128 << 20);
    let mut g = c.benchmark_group("parse");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(item.len() as u64));
    g.bench_function("item_log_slice_128MB", |b| {
        b.iter(|| {
            let mut n = sinks::Count::default();
            parse_slice("bench", black_box(&item), &mut n, &opts);
            black_box(n)
        })
    });
    g.bench_function("item_log_reader_128MB", |b| {
        b.iter(|| {
            let mut n = sinks::Count::default();
            parse_reader("bench", black_box(&item[..]), &mut n, &opts);
            black_box(n)
        })
    });
    let fast = ParseOptions {
        skip_types: ITEM_LOG_SKIP,
        ..ParseOptions::default()
    };
    g.bench_function("item_log_slice_skip_out_128MB", |b| {
        b.iter(|| {
            let mut n = sinks::Count::default();
            parse_slice("bench", black_box(&item), &mut n, &fast);
            black_box(n)
        })
    });
    // What item-log replay uses: skipped types checked, not decoded, and
    // progress lines read by the scanner (the sink takes them).
    let replay = ParseOptions {
        skip_types: ITEM_LOG_SKIP,
        ..ParseOptions::default()
    };
    g.bench_function("item_log_slice_replay_path_128MB", |b| {
        b.iter(|| {
            let mut n = sinks::Count::taking_progress();
            parse_slice("bench", black_box(&item), &mut n, &replay);
            black_box(n)
        })
    });
    g.bench_function("memchr_line_count_128MB", |b| {
        b.iter(|| memchr::memchr_iter(b'\n', black_box(&item)).count())
    });
    let master = master_log(32 << 20);
    g.throughput(Throughput::Bytes(master.len() as u64));
    g.bench_function("master_log_slice_32MB", |b| {
        b.iter(|| {
            let mut n = sinks::Count::default();
            parse_slice("bench", black_box(&master), &mut n, &opts);
            black_box(n)
        })
    });
    g.finish();
    by_profile(c);
}

/// The item logs of a generated 300-account session of `profile`,
/// concatenated (about 25 MB).
fn generated_item_logs(profile: xferlens_gen::Profile) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = xferlens_gen::GenOptions {
        seed: 42,
        accounts: 300,
        lines_per_item: 250,
        workers: 4,
        scenario: xferlens_gen::Scenario::Mixed,
        write_expected: false,
        profile,
        ..xferlens_gen::GenOptions::default()
    };
    let ex = xferlens_gen::generate_session(dir.path(), &o).expect("generate");
    let mut out = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(dir.path().join(&ex.id))
        .expect("read dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().contains("item-"))
        })
        .collect();
    names.sort();
    for p in names {
        out.extend(std::fs::read(p).expect("read"));
    }
    out
}

/// The replay path of the parser on both line mixes of the generator:
/// CPU per byte should not depend on the mix.
fn by_profile(c: &mut Criterion) {
    let replay = ParseOptions {
        skip_types: ITEM_LOG_SKIP,
        ..ParseOptions::default()
    };
    let mut g = c.benchmark_group("parse_item_logs");
    g.sample_size(10);
    for (name, profile) in [
        ("generator", xferlens_gen::Profile::Generator),
        ("realistic", xferlens_gen::Profile::Realistic),
    ] {
        let data = generated_item_logs(profile);
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_function(format!("replay_path_{name}_mix"), |b| {
            b.iter(|| {
                let mut n = sinks::Count::taking_progress();
                parse_slice("bench", black_box(&data), &mut n, &replay);
                black_box(n)
            })
        });
        g.bench_function(format!("replay_path_reader_{name}_mix"), |b| {
            b.iter(|| {
                let mut n = sinks::Count::taking_progress();
                parse_reader("bench", black_box(&data[..]), &mut n, &replay);
                black_box(n)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
