//! Entry points: [`parse_slice`] for bytes in memory, [`parse_reader`] for
//! streams. Both feed one per-line routine, so a log gives the same events
//! and diagnostics however it is delivered or chunked.

use std::borrow::Cow;
use std::io::Read;
use std::ops::ControlFlow;

use crate::decode::decode_line;
use crate::diagnostic::{Diagnostic, DiagnosticKind, Position};
use crate::event::Event;
use crate::lines::{read_lines, slice_lines, Piece};
use crate::scan::{progress, top_level_type, Scan};
use crate::sink::EventSink;

/// Default cap on one line's length: 16 MiB. Longer lines are skipped and
/// reported, so memory per input stays bounded by this much plus a chunk.
pub const DEFAULT_MAX_LINE_LEN: usize = 16 << 20;

/// Default read size for streams: 64 KiB (also the initial buffer size, so
/// many small files stay cheap; the buffer grows only for long lines).
pub const DEFAULT_CHUNK: usize = 64 << 10;

/// Parser settings; `Default` is what the CLI uses.
#[derive(Clone, Debug)]
pub struct ParseOptions {
    /// Longest line accepted, in bytes without the LF.
    pub max_line_len: usize,
    /// Bytes requested per read from a stream.
    pub chunk: usize,
    /// Largest saved WHM API response read into memory.
    pub max_api_response: usize,
    /// Line types (`type` values) the consumer ignores. Such lines are not
    /// decoded: a structural scan checks that each is one balanced object
    /// with terminated strings and valid UTF-8, and it is counted as an
    /// event but not delivered to the sink. Anything the scan cannot
    /// decide is decoded in full. Empty (the default): decode every line.
    pub skip_types: &'static [&'static str],
    /// Decode and check every line in full, whatever `skip_types` and
    /// the sink's [`EventSink::takes_progress`] say: what `xferlens check` and the tests that
    /// compare both paths ask for.
    pub validate_all: bool,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            max_line_len: DEFAULT_MAX_LINE_LEN,
            chunk: DEFAULT_CHUNK,
            max_api_response: 1 << 30,
            skip_types: &[],
            validate_all: false,
        }
    }
}

/// Facts about one parsed input.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParseSummary {
    /// Bytes of log text read (after decompression / unwrapping).
    pub bytes: u64,
    /// Lines seen, blank ones included.
    pub lines: u64,
    /// Blank (whitespace-only) lines, ignored.
    pub blank_lines: u64,
    /// Usable lines: events delivered plus lines filtered by `skip_types`.
    pub events: u64,
    /// Lines of a skipped type (checked, counted, not decoded), and lines
    /// the sink declined in [`EventSink::line`] (not checked).
    pub filtered: u64,
    /// Diagnostics delivered.
    pub diagnostics: u64,
    /// Lines that could not be used (subset of `lines`).
    pub skipped_lines: u64,
    /// The input ended without a newline (an active or cut log).
    pub unterminated: bool,
    /// The input was gzip-compressed.
    pub gzip: bool,
    /// The input was a saved WHM API response; positions are relative to
    /// its embedded log.
    pub api_response: bool,
    /// The sink stopped parsing early.
    pub stopped: bool,
}

/// Per-line state shared by the slice and reader paths.
pub(crate) struct LineCtx<'s, S> {
    source: &'s str,
    sink: S,
    pos: Position,
    cap: u64,
    skip: &'static [&'static str],
    /// Progress lines go to [`EventSink::progress`] when the scanner can
    /// read them.
    progress: bool,
    /// The sink sees each line's text first ([`EventSink::line`]).
    lines: bool,
    pub(crate) summary: ParseSummary,
}

impl<'s, S: EventSink> LineCtx<'s, S> {
    pub(crate) fn new(source: &'s str, sink: S, opts: &ParseOptions) -> Self {
        let progress = sink.takes_progress() && !opts.validate_all;
        let lines = sink.takes_lines();
        LineCtx {
            lines,
            source,
            sink,
            cap: opts.max_line_len as u64,
            skip: if opts.validate_all {
                &[]
            } else {
                opts.skip_types
            },
            progress,
            pos: Position { line: 1, byte: 0 },
            summary: ParseSummary::default(),
        }
    }

    fn diag(&mut self, kind: DiagnosticKind, line: &[u8]) -> ControlFlow<()> {
        self.summary.diagnostics += 1;
        if kind.line_skipped() {
            self.summary.skipped_lines += 1;
        }
        let d = Diagnostic::new(self.source, self.pos, kind, line);
        self.sink.diagnostic(d)
    }

    pub(crate) fn piece(&mut self, piece: Piece<'_>) -> ControlFlow<()> {
        let (flow, len) = match piece {
            Piece::Line {
                bytes,
                terminated,
                utf8,
            } => (
                self.line(bytes, terminated, utf8),
                bytes.len() as u64 + terminated as u64,
            ),
            Piece::TooLong { head, len } => {
                self.summary.lines += 1;
                let kind = DiagnosticKind::LineTooLong { len, cap: self.cap };
                (self.diag(kind, head), len + 1)
            }
            Piece::ReadError(e) => {
                let kind = DiagnosticKind::ReadError {
                    message: e.to_string(),
                };
                let flow = self.diag(kind, b"");
                return flow;
            }
        };
        self.summary.bytes += len;
        self.pos.byte += len;
        self.pos.line += 1;
        if flow.is_break() {
            self.summary.stopped = true;
        }
        flow
    }

    fn line(&mut self, raw: &[u8], terminated: bool, utf8: bool) -> ControlFlow<()> {
        self.summary.lines += 1;
        if !terminated {
            self.summary.unterminated = true;
        }
        let mut l = raw;
        if self.pos.byte == 0 {
            l = l.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(l);
        }
        if let Some(t) = l.strip_suffix(b"\r") {
            l = t;
        }
        if l.iter().all(u8::is_ascii_whitespace) {
            self.summary.blank_lines += 1;
            return ControlFlow::Continue(());
        }
        if !self.skip.is_empty() || self.progress {
            if let Scan::Type(t, time_at) = top_level_type(l) {
                let text = || text_of(l, utf8);
                if self.skip.iter().any(|s| s.as_bytes() == t) && text().is_some() {
                    self.summary.events += 1;
                    self.summary.filtered += 1;
                    return ControlFlow::Continue(());
                }
                if self.progress && matches!(t, b"control" | b"modulestatus") {
                    if let Some(p) = text().and_then(|s| progress(t, s, time_at)) {
                        self.summary.events += 1;
                        return self.sink.progress(self.pos, &p);
                    }
                }
            }
        }
        let text: Cow<'_, str> = match text_of(l, utf8) {
            Some(s) => Cow::Borrowed(s),
            None => Cow::Owned(String::from_utf8_lossy(l).into_owned()),
        };
        if self.lines && !self.sink.line(self.pos, &text) {
            self.summary.filtered += 1;
            return ControlFlow::Continue(());
        }
        let mut ev = Event::default();
        match decode_line(&text, &mut ev) {
            Ok(()) => {
                if let Cow::Owned(_) = text {
                    self.diag(DiagnosticKind::InvalidUtf8, raw)?;
                }
                self.summary.events += 1;
                self.sink.event(self.pos, &mut ev)
            }
            Err(_) if !terminated => self.diag(DiagnosticKind::PartialLine, raw),
            Err(kind) => self.diag(kind, raw),
        }
    }

    pub(crate) fn finish(self) -> ParseSummary {
        self.summary
    }
}

/// `l` as text, if it is valid UTF-8. `checked`: the chunk `l` was cut
/// from was validated already (see [`Piece::Line`]), so it is not again.
fn text_of(l: &[u8], checked: bool) -> Option<&str> {
    if checked {
        debug_assert!(std::str::from_utf8(l).is_ok());
        // SAFETY: `l` is a line of a chunk that was validated as UTF-8,
        // cut only at ASCII bytes (LF, CR) or after a whole BOM, so it is
        // valid UTF-8 on its own.
        Some(unsafe { std::str::from_utf8_unchecked(l) })
    } else {
        simdutf8::basic::from_utf8(l).ok()
    }
}

/// Parses a log held in memory. `source` names it in diagnostics.
pub fn parse_slice<S: EventSink>(
    source: &str,
    data: &[u8],
    sink: S,
    opts: &ParseOptions,
) -> ParseSummary {
    let mut ctx = LineCtx::new(source, sink, opts);
    slice_lines(data, opts.max_line_len, |p| ctx.piece(p));
    ctx.finish()
}

/// Parses a log from a stream in chunks, holding at most one line (capped by
/// `opts.max_line_len`) plus one chunk in memory. The stream is taken as
/// plain text; see [`crate::parse_input`] for gzip and API detection.
pub fn parse_reader<R: Read, S: EventSink>(
    source: &str,
    reader: R,
    sink: S,
    opts: &ParseOptions,
) -> ParseSummary {
    let mut ctx = LineCtx::new(source, sink, opts);
    read_lines(reader, opts.chunk, opts.max_line_len, |p| ctx.piece(p));
    ctx.finish()
}
