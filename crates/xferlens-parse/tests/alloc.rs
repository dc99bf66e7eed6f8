//! Escape-free lines are decoded without allocating: a counting global
//! allocator measures the allocations made while parsing many such lines.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicUsize, Ordering};

use xferlens_parse::*;

/// The item-log types replay skips (`xferlens_replay::ITEM_LOG_SKIP`).
const ITEM_LOG_SKIP: &[&str] = &["out", "debug", "header"];

struct Counting;
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static A: Counting = Counting;

/// The counter is global: tests that read it run one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Touches the borrowed fields so nothing is optimised away.
struct Touch(usize);
impl EventSink for Touch {
    fn event(&mut self, _: Position, ev: &mut Event<'_>) -> ControlFlow<()> {
        self.0 += ev.contents.item.as_deref().map_or(0, str::len);
        if let Some(Msg::Lines(l)) = &ev.contents.msg {
            self.0 += l.raw().len();
        }
        ControlFlow::Continue(())
    }
}

/// Takes progress lines as item-log replay does, reading each one's time;
/// counts them.
struct TouchProgress(usize, u64);
impl EventSink for TouchProgress {
    fn event(&mut self, pos: Position, ev: &mut Event<'_>) -> ControlFlow<()> {
        Touch(self.0).event(pos, ev)
    }
    fn takes_progress(&self) -> bool {
        true
    }
    fn progress(&mut self, _: Position, line: &ProgressLine<'_>) -> ControlFlow<()> {
        self.0 += line.time().map_or(0, |t| t as usize & 1);
        self.1 += 1;
        ControlFlow::Continue(())
    }
}

#[test]
fn escape_free_lines_do_not_allocate() {
    let _one_at_a_time = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut log = String::new();
    for i in 0..10_000 {
        log.push_str(&format!(
            "{{\"pid\":{i},\"type\":\"out\",\"contents\":{{\"msg\":[\"Copying file {i} ... done\"]}},\"indent\":1,\"partial\":0}}\n"
        ));
        log.push_str(&format!(
            "{{\"pid\":\"{i}\",\"type\":\"control\",\"contents\":{{\"action\":\"start\",\"queue\":\"TRANSFER\",\"item\":\"user{i}\",\"item_type\":\"AccountRemoteRoot\",\"child_number\":1,\"time\":1700000000}}}}\n"
        ));
        log.push_str(
            "{\"type\":\"control\",\"contents\":{\"action\":\"percentage\",\"percentage\":42}}\n",
        );
    }
    let opts = ParseOptions::default();
    let mut sink = Touch(0);
    let before = ALLOCS.load(Ordering::Relaxed);
    let s = parse_slice("x", log.as_bytes(), &mut sink, &opts);
    let during = ALLOCS.load(Ordering::Relaxed) - before;
    assert_eq!(s.events, 30_000);
    assert!(sink.0 > 0);
    assert!(
        during < 10,
        "{during} allocations for 30,000 escape-free lines"
    );
}

#[test]
fn item_log_fast_path_lines_do_not_allocate() {
    let _one_at_a_time = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // The lines item-log replay reads through the scanner, in several key
    // orders, and skipped lines with escapes: none is decoded into owned
    // strings.
    let mut log = String::new();
    for i in 0..2_000 {
        let t = 1_764_338_400 + i;
        for line in [
            format!("{{\"pid\":7,\"type\":\"out\",\"contents\":{{\"msg\":[\"Copying \\u201cfile {i}\\u201d \\\"quoted\\\" \\/ done\"],\"time\":{t}}},\"indent\":1}}"),
            format!("{{\"contents\":{{\"time\":{t},\"msg\":[\"debug {i}\"]}},\"type\":\"debug\",\"pid\":7}}"),
            format!("{{\"pid\":7,\"type\":\"control\",\"contents\":{{\"action\":\"percentage\",\"percentage\":{},\"time\":{t}}}}}", i % 100),
            format!("{{\"type\":\"control\",\"contents\":{{\"msg\":[\"Mysql\"],\"time\":{t},\"action\":\"start_module\"}},\"indent\":0,\"pid\":7}}"),
            format!("{{\"contents\":{{\"action\":\"start_action\",\"msg\":[\"Restore grants\"],\"time\":{t}}},\"pid\":7,\"type\":\"control\"}}"),
            format!("{{\"pid\":7,\"contents\":{{\"time\":{t},\"action\":\"end_action\"}},\"type\":\"control\"}}"),
            format!("{{\"pid\":7,\"type\":\"modulestatus\",\"contents\":{{\"statusmsg\":\"Mysql restored.\",\"module\":\"Mysql\",\"status\":1,\"time\":{t}}}}}"),
            format!("{{\"type\":\"control\",\"pid\":7,\"contents\":{{\"action\":\"end_module\",\"time\":{t}}}}}"),
        ] {
            log.push_str(&line);
            log.push('\n');
        }
    }
    let opts = ParseOptions {
        skip_types: ITEM_LOG_SKIP,
        ..ParseOptions::default()
    };
    let mut sink = TouchProgress(0, 0);
    let before = ALLOCS.load(Ordering::Relaxed);
    let s = parse_slice("x", log.as_bytes(), &mut sink, &opts);
    let during = ALLOCS.load(Ordering::Relaxed) - before;
    assert_eq!((s.events, s.diagnostics), (16_000, 0));
    assert_eq!(
        sink.1, 12_000,
        "every progress line was read by the scanner"
    );
    assert_eq!(s.filtered, 4_000, "out and debug lines are only checked");
    assert!(
        during < 10,
        "{during} allocations for 16,000 item-log lines on the fast path"
    );
}
