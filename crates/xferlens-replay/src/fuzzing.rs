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
    fn event(&mut self, _: Position, ev: &Event<'_>) -> ControlFlow<()> {
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
        skip_types: xferlens_parse::ITEM_LOG_SKIP,
        fast_item_events: true,
        ..small
    };
    let c = parse_slice("fuzz", data, sinks::Count::default(), &fast);
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
        },
        Volume::default(),
    );
    b.add_item_log("item-TRANSFER_A_b", log, diags);
    let s = b.finish();
    let _ = s.accounts();
    let _ = crate::whm_state(&s);
}
