//! Entry points shared by the cargo-fuzz targets (`fuzz/`) and the
//! regression test that replays their saved inputs in CI. Each must return
//! normally on any input: a panic is a bug.

use std::ops::ControlFlow;

use xferlens_parse::{parse_input, parse_slice, sinks, Event, EventSink, ParseOptions, Position};

use crate::builder::SessionBuilder;
use crate::itemlog::ItemLogReplay;
use crate::master::MasterReplay;
use crate::model::{LogFile, Volume};
use crate::{compute_queues, read_tar, ReadOptions};

/// Touches every field of every event, so lazy parts are decoded too.
struct Touch;

impl EventSink for Touch {
    fn event(&mut self, _: Position, ev: &mut Event<'_>) -> ControlFlow<()> {
        if let Some(xferlens_parse::Msg::Lines(l)) = &ev.contents.msg {
            let _ = l.joined("\n");
        }
        let _ = ev.contents.msg.as_ref().and_then(|m| m.joined(" "));
        ControlFlow::Continue(())
    }
}

/// The line parser: whole, streamed in odd chunks, and with the fast path;
/// the three must agree on the counts.
pub fn lines(data: &[u8]) {
    let small = ParseOptions {
        max_line_len: 4096,
        chunk: 7,
        ..ParseOptions::default()
    };
    let a = parse_slice("fuzz", data, Touch, &small);
    let b = xferlens_parse::parse_reader("fuzz", data, &mut sinks::Count::default(), &small);
    assert_eq!(
        (a.lines, a.events, a.diagnostics),
        (b.lines, b.events, b.diagnostics)
    );
    let fast = ParseOptions {
        skip_types: crate::ITEM_LOG_SKIP,
        ..small
    };
    let c = parse_slice("fuzz", data, sinks::Count::taking_progress(), &fast);
    assert_eq!(c.lines, a.lines);
}

/// Input detection: gzip, saved API responses, plain logs.
pub fn input(data: &[u8]) {
    let opts = ParseOptions {
        max_api_response: 1 << 20,
        ..ParseOptions::default()
    };
    let _ = parse_input("fuzz", data, Touch, &opts);
}

/// Tar (and gzip-wrapped tar) archives of sessions.
pub fn archive(data: &[u8]) {
    for s in read_tar("fuzz.tar", data, &ReadOptions::default())
        .into_iter()
        .flatten()
    {
        let _ = s.percent();
        let _ = s.accounts();
    }
}

/// Tar streams built from the input as a list of members with valid
/// header checksums, so the fuzzer reaches the extension-header code
/// (GNU long names and links, PAX records, claimed sizes larger than the
/// data) instead of stopping at the checksum. Each member takes: a type
/// selector byte, a name length byte, the name, a claimed-size byte
/// (0: the real size; else a multiplier, up to far past the budget), a
/// data length byte, the data.
pub fn tar_headers(data: &[u8]) {
    let types = [b'0', b'L', b'K', b'x', b'g', b'5', b'2', b'S', 0];
    let mut tar = Vec::new();
    let mut rest = data;
    let take = |n: usize, rest: &mut &[u8]| -> Vec<u8> {
        let n = n.min(rest.len());
        let (a, b) = rest.split_at(n);
        *rest = b;
        a.to_vec()
    };
    while rest.len() >= 4 {
        let ty = types[usize::from(rest[0]) % types.len()];
        let name_len = usize::from(rest[1]) % 100;
        rest = &rest[2..];
        let name = take(name_len, &mut rest);
        let claim = take(1, &mut rest).first().copied().unwrap_or(0);
        let len = usize::from(take(1, &mut rest).first().copied().unwrap_or(0)) * 4;
        let body = take(len, &mut rest);
        let size = match claim {
            0 => body.len() as u64,
            c => body.len() as u64 * u64::from(c) + (u64::from(c) << 20),
        };
        let mut h = [0u8; 512];
        h[..name.len()].copy_from_slice(&name);
        h[100..108].copy_from_slice(b"0000644\0");
        let oct = format!("{size:011o}");
        let oct = &oct.as_bytes()[oct.len().saturating_sub(11)..];
        h[124..124 + oct.len()].copy_from_slice(oct);
        h[156] = ty;
        h[257..265].copy_from_slice(b"ustar  \0");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        let ck = format!("{sum:06o}\0 ");
        h[148..156].copy_from_slice(&ck.as_bytes()[..8]);
        tar.extend_from_slice(&h);
        tar.extend_from_slice(&body);
        tar.resize(tar.len().div_ceil(512) * 512, 0);
    }
    tar.extend_from_slice(&[0u8; 1024]);
    archive(&tar);
}

/// Replay of arbitrary event sequences: the same bytes as a master log and
/// as an item log, joined into a session.
pub fn replay(data: &[u8]) {
    let opts = ParseOptions::default();
    let mut m = MasterReplay::new("master.log");
    parse_slice("master.log", data, &mut m, &opts);
    let mut s = m.finish();
    compute_queues(&mut s);
    let _ = s.percent();
    let mut il = ItemLogReplay::new("item-TRANSFER_A_b", "item-TRANSFER_A_b", false);
    parse_slice("item", data, &mut il, &opts);
    let (log, diags) = il.finish(Volume::default());
    let mut b = SessionBuilder::new("fuzz");
    b.add_master(
        s,
        LogFile {
            name: "master.log".into(),
            active: false,
            modified: None,
        },
        Volume::default(),
    );
    b.add_item_log("item-TRANSFER_A_b", log, diags);
    let s = b.finish();
    let _ = s.accounts();
    let _ = crate::whm_state(&s);
}
