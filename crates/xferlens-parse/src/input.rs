//! Input forms, detected by content rather than by name: plain logs, gzip
//! (by its magic bytes, possibly wrapping any other form) and saved WHM API
//! 1 `fetch_transfer_session_log` responses (`{"data":{"log":"..."}}`),
//! whose embedded log is parsed with positions relative to that text.

use std::io::{self, Read};

use flate2::read::MultiGzDecoder;
use serde::Deserialize;

use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::lines::{self, read_lines_sniffed};
use crate::parser::{parse_reader, parse_slice, LineCtx, ParseOptions, ParseSummary};
use crate::sink::EventSink;

/// How many leading bytes are inspected to detect the input form.
const SNIFF: usize = 4096;

/// What the leading bytes of an input say it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sniffed {
    /// Gzip magic bytes.
    Gzip,
    /// A JSON object whose first key is `data` or `metadata`.
    ApiResponse,
    /// Anything else: a line-delimited log (or garbage, for the parser).
    Log,
}

/// Classifies an input by its first bytes.
pub fn sniff(head: &[u8]) -> Sniffed {
    if head.starts_with(&[0x1f, 0x8b]) {
        return Sniffed::Gzip;
    }
    let mut s = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let skip_ws = |s: &mut &[u8]| {
        while let Some((c, rest)) = s.split_first() {
            if !c.is_ascii_whitespace() {
                break;
            }
            *s = rest;
        }
    };
    skip_ws(&mut s);
    let Some(rest) = s.strip_prefix(b"{") else {
        return Sniffed::Log;
    };
    s = rest;
    skip_ws(&mut s);
    if s.starts_with(b"\"data\"") || s.starts_with(b"\"metadata\"") {
        Sniffed::ApiResponse
    } else {
        Sniffed::Log
    }
}

#[derive(Deserialize)]
struct Envelope {
    data: Option<EnvelopeData>,
    metadata: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct EnvelopeData {
    log: Option<String>,
}

/// Reads up to `n` bytes (fewer only at end of input).
fn read_head<R: Read>(r: &mut R, n: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(n);
    r.by_ref().take(n as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Parses any supported input form from a stream: gzip is unwrapped
/// (once; a gzip inside it is not), API responses are unwrapped, plain logs
/// are streamed. Only a failure to read the first bytes is an `Err`; later
/// read errors become [`DiagnosticKind::ReadError`] diagnostics.
pub fn parse_input<R: Read, S: EventSink>(
    source: &str,
    mut reader: R,
    mut sink: S,
    opts: &ParseOptions,
) -> io::Result<ParseSummary> {
    let head = if opts.chunk >= SNIFF && opts.max_line_len >= SNIFF {
        // The usual case: sniff inside the line buffer, so a plain log
        // (nearly every input) costs no extra buffer, copy or read.
        let mut ctx = LineCtx::new(source, &mut sink, opts);
        let plain = |head: &[u8]| sniff(head) == Sniffed::Log;
        match read_lines_sniffed(
            &mut reader,
            opts.chunk,
            opts.max_line_len,
            SNIFF,
            plain,
            |p| ctx.piece(p),
        )? {
            lines::Sniffed::Split => return Ok(ctx.finish()),
            lines::Sniffed::Declined(head) => head,
        }
    } else {
        read_head(&mut reader, SNIFF)?
    };
    let gzip = sniff(&head) == Sniffed::Gzip;
    let whole = io::Cursor::new(head).chain(reader);
    if !gzip {
        return Ok(parse_unwrapped(source, whole, sink, opts));
    }
    let mut dec = MultiGzDecoder::new(io::BufReader::new(whole));
    let mut s = match read_head(&mut dec, SNIFF) {
        Ok(head) => parse_unwrapped(source, io::Cursor::new(head).chain(dec), &mut sink, opts),
        Err(e) => {
            // Not even the first bytes decompress: say so; nothing to parse.
            let kind = DiagnosticKind::ReadError {
                message: format!("gzip: {e}"),
            };
            let _ = sink.diagnostic(Diagnostic::about_file(source, kind));
            ParseSummary {
                diagnostics: 1,
                ..ParseSummary::default()
            }
        }
    };
    s.gzip = true;
    Ok(s)
}

/// Parses a stream that is not gzip: an API response or a log.
fn parse_unwrapped<R: Read, S: EventSink>(
    source: &str,
    reader: io::Chain<io::Cursor<Vec<u8>>, R>,
    sink: S,
    opts: &ParseOptions,
) -> ParseSummary {
    match sniff(reader.get_ref().0.get_ref()) {
        Sniffed::ApiResponse => parse_api(source, reader, sink, opts),
        _ => parse_reader(source, reader, sink, opts),
    }
}

/// Reads a saved API response whole (up to `opts.max_api_response` bytes)
/// and parses its embedded log.
fn parse_api<R: Read, S: EventSink>(
    source: &str,
    reader: R,
    mut sink: S,
    opts: &ParseOptions,
) -> ParseSummary {
    let mut body = Vec::new();
    let limit = opts.max_api_response as u64;
    let read = reader.take(limit + 1).read_to_end(&mut body);
    let fail = |sink: &mut S, message: String| {
        let kind = DiagnosticKind::ApiResponse { message };
        let _ = sink.diagnostic(Diagnostic::about_file(source, kind));
        ParseSummary {
            api_response: true,
            diagnostics: 1,
            ..ParseSummary::default()
        }
    };
    if let Err(e) = read {
        return fail(&mut sink, format!("read failed: {e}"));
    }
    if body.len() as u64 > limit {
        return fail(&mut sink, format!("larger than {limit} bytes; not read"));
    }
    let env: Envelope = match serde_json::from_slice(&body) {
        Ok(env) => env,
        Err(e) => return fail(&mut sink, format!("not a valid response: {e}")),
    };
    match env.data.and_then(|d| d.log) {
        Some(log) => {
            let name = format!("{source}#data.log");
            let mut s = parse_slice(&name, log.as_bytes(), sink, opts);
            s.api_response = true;
            s
        }
        None => {
            let reason = env
                .metadata
                .as_ref()
                .and_then(|m| m.get("reason"))
                .map(|r| r.to_string())
                .unwrap_or_else(|| "none".into());
            fail(
                &mut sink,
                format!("no data.log in response (metadata.reason: {reason})"),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing() {
        assert_eq!(sniff(&[0x1f, 0x8b, 8]), Sniffed::Gzip);
        assert_eq!(sniff(b"{\"data\":{}}"), Sniffed::ApiResponse);
        assert_eq!(
            sniff(b"\xEF\xBB\xBF  {\n  \"metadata\": 1}"),
            Sniffed::ApiResponse
        );
        assert_eq!(sniff(b"{\"pid\":1}"), Sniffed::Log);
        assert_eq!(sniff(b""), Sniffed::Log);
        assert_eq!(sniff(b"garbage"), Sniffed::Log);
    }
}
