//! Escape-free lines are decoded without allocating: a counting global
//! allocator measures the allocations made while parsing many such lines.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicUsize, Ordering};

use xferlens_parse::*;

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

/// Touches the borrowed fields so nothing is optimised away.
struct Touch(usize);
impl EventSink for Touch {
    fn event(&mut self, _: Position, ev: &Event<'_>) -> ControlFlow<()> {
        self.0 += ev.contents.item.as_deref().map_or(0, str::len);
        if let Some(Msg::Lines(l)) = &ev.contents.msg {
            self.0 += l.raw().len();
        }
        ControlFlow::Continue(())
    }
}

#[test]
fn escape_free_lines_do_not_allocate() {
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
