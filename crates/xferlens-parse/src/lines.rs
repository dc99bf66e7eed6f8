//! Line splitting: memchr over a slice, or over a reusable buffer filled
//! from a reader in chunks with the partial tail carried over.
//!
//! Invariants of [`read_lines`]: the live data is `buf[start..end]`; it never
//! holds a complete line once a chunk has been scanned; the buffer grows by
//! doubling up to `max_line_len + 1` bytes and never beyond, so a
//! pathological line costs at most that much memory: past it, the line is
//! skipped up to its newline and reported by its length.

use std::io::{self, Read};
use std::ops::ControlFlow;

/// Bytes of an over-long line kept for its diagnostic.
const HEAD: usize = 256;

/// What the splitter hands to its consumer.
pub(crate) enum Piece<'b> {
    /// A line without its LF; `terminated` is false for a final line
    /// that the input ends in without a newline; `utf8` is true when the
    /// line is already known to be valid UTF-8 (validated in bulk).
    Line {
        bytes: &'b [u8],
        terminated: bool,
        utf8: bool,
    },
    /// A line longer than the cap: its first bytes and its full length.
    TooLong { head: &'b [u8], len: u64 },
    /// A read failed after some data was delivered.
    ReadError(io::Error),
}

/// Splits an in-memory slice. UTF-8 is validated in windows of about
/// 64 KiB cut at line ends, so each window is still in cache when its
/// lines are scanned.
pub(crate) fn slice_lines(
    data: &[u8],
    max_line_len: usize,
    mut f: impl FnMut(Piece<'_>) -> ControlFlow<()>,
) {
    const WINDOW: usize = 64 << 10;
    let mut start = 0;
    while start < data.len() {
        let lim = (start + WINDOW).min(data.len());
        let end = match memchr::memrchr(b'\n', &data[start..lim]) {
            Some(i) => start + i + 1,
            None => memchr::memchr(b'\n', &data[lim..]).map_or(data.len(), |i| lim + i + 1),
        };
        let window = &data[start..end];
        let utf8 = simdutf8::basic::from_utf8(window).is_ok();
        let mut from = 0;
        for nl in memchr::memchr_iter(b'\n', window) {
            if emit(&window[from..nl], true, utf8, max_line_len, &mut f).is_break() {
                return;
            }
            from = nl + 1;
        }
        if from < window.len() {
            let _ = emit(&window[from..], false, utf8, max_line_len, &mut f);
        }
        start = end;
    }
}

fn emit(
    line: &[u8],
    terminated: bool,
    utf8: bool,
    max_line_len: usize,
    f: &mut impl FnMut(Piece<'_>) -> ControlFlow<()>,
) -> ControlFlow<()> {
    if line.len() > max_line_len {
        // The head is what the streaming path holds when it gives up.
        let head = line.len().min(HEAD).min(max_line_len.saturating_add(1));
        f(Piece::TooLong {
            head: &line[..head],
            len: line.len() as u64,
        })
    } else {
        f(Piece::Line {
            bytes: line,
            terminated,
            utf8,
        })
    }
}

thread_local! {
    /// One read buffer per thread, reused across inputs: thousands of
    /// small item logs then cost no allocation or zeroing each.
    static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Largest buffer kept for reuse; a bigger one (grown for a long line) is
/// freed.
const KEEP: usize = 1 << 20;

/// Takes the thread's read buffer, sized for `chunk` and the line cap.
fn take_buffer(chunk: usize, cap: usize) -> Vec<u8> {
    let mut buf = BUFFER.with(|b| std::mem::take(&mut *b.borrow_mut()));
    buf.truncate(cap);
    if buf.len() < chunk.min(cap) {
        buf.resize(chunk.min(cap), 0);
    }
    buf
}

/// Gives the read buffer back for reuse, unless a long line grew it.
fn return_buffer(buf: Vec<u8>) {
    if buf.capacity() <= KEEP {
        BUFFER.with(|b| *b.borrow_mut() = buf);
    }
}

/// Splits a reader in chunks of `chunk` bytes.
pub(crate) fn read_lines<R: Read>(
    mut reader: R,
    chunk: usize,
    max_line_len: usize,
    mut f: impl FnMut(Piece<'_>) -> ControlFlow<()>,
) {
    let chunk = chunk.max(1);
    let cap = max_line_len.saturating_add(1);
    let mut buf = take_buffer(chunk, cap);
    read_into(&mut reader, &mut buf, chunk, cap, (0, false), &mut f);
    return_buffer(buf);
}

/// What [`read_lines_sniffed`] did.
pub(crate) enum Sniffed {
    /// The input was a plain log, and its lines went to the consumer.
    Split,
    /// `plain` said no: here are the bytes read so far, none consumed.
    Declined(Vec<u8>),
}

/// [`read_lines`] for an input whose form is decided by its first bytes.
/// Reads at least `head` bytes (fewer only at the end of input) straight
/// into the line buffer and asks `plain` about the first `head` of them.
/// For a plain log the lines are then split as [`read_lines`] does, with
/// no separate head buffer, copy or read call: a small file costs one
/// read, plus the one that sees its end. Otherwise the bytes read are
/// handed back. Needs `chunk >= head` and `max_line_len >= head`.
///
/// Only a read error before `plain` has decided is an `Err`.
pub(crate) fn read_lines_sniffed<R: Read>(
    reader: &mut R,
    chunk: usize,
    max_line_len: usize,
    head: usize,
    plain: impl FnOnce(&[u8]) -> bool,
    mut f: impl FnMut(Piece<'_>) -> ControlFlow<()>,
) -> io::Result<Sniffed> {
    debug_assert!(chunk >= head && max_line_len >= head);
    let cap = max_line_len.saturating_add(1);
    let mut buf = take_buffer(chunk, cap);
    let (mut end, mut eof) = (0usize, false);
    while end < head {
        let want = (buf.len() - end).min(chunk);
        match reader.read(&mut buf[end..end + want]) {
            Ok(0) => {
                eof = true;
                break;
            }
            Ok(n) => end += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                return_buffer(buf);
                return Err(e);
            }
        }
    }
    if !plain(&buf[..end.min(head)]) {
        let bytes = buf[..end].to_vec();
        return_buffer(buf);
        return Ok(Sniffed::Declined(bytes));
    }
    read_into(reader, &mut buf, chunk, cap, (end, eof), &mut f);
    return_buffer(buf);
    Ok(Sniffed::Split)
}

/// The splitting loop. `filled`: bytes already in `buf[..n]`, and whether
/// the reader has already reported its end.
fn read_into<R: Read>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    chunk: usize,
    cap: usize,
    filled: (usize, bool),
    f: &mut impl FnMut(Piece<'_>) -> ControlFlow<()>,
) {
    let max_line_len = cap - 1;
    let (mut pending, eof) = filled;
    let (mut start, mut end) = (0usize, 0usize);
    // While skipping an over-long line: its head and length so far.
    let mut skipping: Option<(Vec<u8>, u64)> = None;
    loop {
        if end == buf.len() {
            if start > 0 {
                buf.copy_within(start..end, 0);
                end -= start;
                start = 0;
            } else if buf.len() < cap {
                let n = buf.len().saturating_mul(2).min(cap);
                buf.resize(n, 0);
            } else {
                let head = buf[..buf.len().min(HEAD)].to_vec();
                skipping = Some((head, end as u64));
                start = 0;
                end = 0;
            }
        }
        let n = if pending > 0 {
            std::mem::take(&mut pending)
        } else if eof {
            break;
        } else {
            let want = (buf.len() - end).min(chunk);
            match reader.read(&mut buf[end..end + want]) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    finish(&buf[start..end], &mut skipping, f);
                    let _ = f(Piece::ReadError(e));
                    return;
                }
            }
        };
        let scan_from = end;
        end += n;
        // Validate the complete lines of this fill as UTF-8 in one go.
        let utf8 = match memchr::memrchr(b'\n', &buf[scan_from..end]) {
            Some(last) if skipping.is_none() => {
                simdutf8::basic::from_utf8(&buf[start..scan_from + last]).is_ok()
            }
            _ => false,
        };
        for nl in memchr::memchr_iter(b'\n', &buf[scan_from..end]) {
            let nl = scan_from + nl;
            let flow = match skipping.take() {
                Some((head, len)) => f(Piece::TooLong {
                    head: &head,
                    len: len + (nl - start) as u64,
                }),
                None => emit(&buf[start..nl], true, utf8, max_line_len, f),
            };
            start = nl + 1;
            if flow.is_break() {
                return;
            }
        }
        if let Some((_, len)) = skipping.as_mut() {
            *len += (end - start) as u64;
            start = 0;
            end = 0;
        } else if start == end {
            start = 0;
            end = 0;
        }
    }
    finish(&buf[start..end], &mut skipping, f);
}

fn finish(
    rest: &[u8],
    skipping: &mut Option<(Vec<u8>, u64)>,
    f: &mut impl FnMut(Piece<'_>) -> ControlFlow<()>,
) {
    if let Some((head, len)) = skipping.take() {
        let _ = f(Piece::TooLong {
            head: &head,
            len: len + rest.len() as u64,
        });
    } else if !rest.is_empty() {
        let _ = f(Piece::Line {
            bytes: rest,
            terminated: false,
            utf8: false,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that returns at most `n` bytes per read.
    struct Trickle<'a>(&'a [u8], usize);
    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(self.1).min(out.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn collect_reader(data: &[u8], read: usize, chunk: usize, max: usize) -> Vec<String> {
        let mut out = Vec::new();
        read_lines(Trickle(data, read), chunk, max, |p| {
            out.push(show(p));
            ControlFlow::Continue(())
        });
        out
    }

    fn collect_slice(data: &[u8], max: usize) -> Vec<String> {
        let mut out = Vec::new();
        slice_lines(data, max, |p| {
            out.push(show(p));
            ControlFlow::Continue(())
        });
        out
    }

    fn show(p: Piece<'_>) -> String {
        match p {
            Piece::Line {
                bytes, terminated, ..
            } => {
                format!(
                    "{}{}",
                    String::from_utf8_lossy(bytes),
                    if terminated { "" } else { "<eof>" }
                )
            }
            Piece::TooLong { len, .. } => format!("<long {len}>"),
            Piece::ReadError(e) => format!("<err {e}>"),
        }
    }

    #[test]
    fn reader_and_slice_agree_at_every_chunking() {
        let data = b"a\nbb\n\nccc\nxxxxxxxxxxxxxxxxxxxx\ndd\nlast";
        let want = collect_slice(data, 10);
        assert_eq!(want, ["a", "bb", "", "ccc", "<long 20>", "dd", "last<eof>"]);
        for read in 1..12 {
            for chunk in 1..12 {
                assert_eq!(
                    collect_reader(data, read, chunk, 10),
                    want,
                    "read {read} chunk {chunk}"
                );
            }
        }
    }

    #[test]
    fn long_final_line_without_newline() {
        let data = b"ok\nyyyyyyyyyyyyyyyyyyyyyyyyy";
        assert_eq!(collect_slice(data, 10), ["ok", "<long 25>"]);
        assert_eq!(collect_reader(data, 3, 4, 10), ["ok", "<long 25>"]);
    }

    #[test]
    fn line_exactly_at_cap() {
        let data = b"0123456789\n01234567890\n";
        assert_eq!(collect_slice(data, 10), ["0123456789", "<long 11>"]);
        assert_eq!(collect_reader(data, 5, 2, 10), ["0123456789", "<long 11>"]);
    }
}
