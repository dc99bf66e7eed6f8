/*!
Zero-copy parser for cPanel & WHM transfer-session logs.

Every line of a `master.log` or item log is one JSON object. This crate
splits input into lines with `memchr`, decodes each line into an
[`Event`] that borrows from the input buffer, and turns every line it
cannot use into a [`Diagnostic`] with its file, line and byte offset.
Parsing never fails on bad data: only the very first read of an input can
return an I/O error.

# Brief overview

- [`parse_slice`]: a log in memory. [`parse_reader`]: a plain stream,
  read in chunks. [`parse_input`]: any supported form, detected by content
  (plain, gzip, saved WHM API response).
- An [`EventSink`] receives events and diagnostics (push model).

# Example

```
use xferlens_parse::{parse_slice, sinks, ParseOptions};

let log = br#"{"pid":1,"type":"control","contents":{"action":"start","child_number":0}}
not json
"#;
let mut sink = sinks::Events::new(|pos, ev| {
    assert_eq!(pos.line, 1);
    assert_eq!(ev.action().map(|a| a.as_str()), Some("start"));
});
let summary = parse_slice("master.log", log, &mut sink, &ParseOptions::default());
assert_eq!(summary.events, 1);
assert_eq!(sink.diagnostics[0].line, 2);
```
*/
#![deny(missing_docs)]

mod decode;
mod diagnostic;
mod event;
mod input;
mod lines;
mod parser;
mod scan;
mod sink;

pub use crate::diagnostic::{excerpt, Diagnostic, DiagnosticKind, Position, Severity, EXCERPT_MAX};
pub use crate::event::{
    parse_u64_text, raw_to_text, Action, Contents, Detail, DetailLists, Event, Finished, Msg,
    MsgLines, MsgType, TextCap, DETAILS_KEPT,
};
pub use crate::input::{parse_input, sniff, Sniffed};
pub use crate::parser::{
    parse_reader, parse_slice, ParseOptions, ParseSummary, DEFAULT_CHUNK, DEFAULT_MAX_LINE_LEN,
};
pub use crate::scan::{Progress, ProgressLine};
pub use crate::sink::{sinks, EventSink};
