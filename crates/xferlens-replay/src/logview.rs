//! Reading a log to show it to a person: every line of an item log (or of
//! the master log) as a [`LogEntry`], in order, with the module it belongs
//! to, its time, indent and text, the way cPanel's Transfer Session page
//! and `view_transfer` show it (docs/FORMAT.md, "Reading a log").
//!
//! Unlike item-log replay, which skips `out` lines unread, this decodes
//! every line it is asked for; a caller that searches can pass a
//! prefilter that rejects lines from their raw text before they are
//! decoded. Memory is bounded by one line (the parser's line cap) plus the
//! open module names and, with a before-context, that many raw lines.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::ops::ControlFlow;

use xferlens_parse::{
    Action, Detail, DetailLists, Diagnostic, DiagnosticKind, Event, EventSink, Msg, MsgType,
    ParseOptions, Position,
};

use crate::limits;

/// What a shown line is, after cPanel's renderers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// The item's `start` line ("Starting “RESTORE” for ...").
    Start,
    /// Ordinary output (`out`).
    Out,
    /// Debugging output (`debug`).
    Debug,
    /// A section header (`header`).
    Header,
    /// A warning (`warn`).
    Warn,
    /// An error line (`error`).
    Error,
    /// The item failed (`failed`).
    Failed,
    /// The item succeeded (`success`).
    Success,
    /// A restore module begins (`start_module`).
    ModuleStart,
    /// A restore module ends (`end_module`).
    ModuleEnd,
    /// A step inside a module begins (`start_action`).
    ActionStart,
    /// A step inside a module ends (`end_action`).
    ActionEnd,
    /// A module's status line (`modulestatus`); `ok` is its status.
    ModuleStatus {
        /// The status was 1.
        ok: bool,
    },
    /// The item's progress (`percentage`).
    Percentage,
    /// One record of the restore `summary` (warning, skipped, altered or
    /// dangerous item).
    Summary {
        /// The record is a dangerous item (shown as an error).
        dangerous: bool,
    },
    /// A master-log control line, or another control action.
    Control,
    /// A line that is not JSON at all: stderr of a program or a Perl
    /// `warn` that the writer sent into the log (cPanel shows it as an
    /// error line).
    Stderr,
    /// A line that looks like JSON but cannot be read (cut or damaged).
    Broken,
    /// A line of a `type` nothing knows, shown as written.
    Other,
}

/// How serious a line is, for `--level`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Everything else.
    Info,
    /// Warnings, skipped and altered items.
    Warning,
    /// Errors, failures, stderr text, failed modules, dangerous items,
    /// damaged lines.
    Error,
}

impl Level {
    /// The level's name in rows (`info`, `warning`, `error`).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

impl EntryKind {
    /// The line's level.
    pub fn level(self) -> Level {
        match self {
            EntryKind::Warn | EntryKind::Summary { dangerous: false } => Level::Warning,
            EntryKind::Error
            | EntryKind::Failed
            | EntryKind::Stderr
            | EntryKind::Broken
            | EntryKind::ModuleStatus { ok: false }
            | EntryKind::Summary { dangerous: true } => Level::Error,
            _ => Level::Info,
        }
    }

    /// Whether cPanel's Transfer Session page draws a line of this kind
    /// as text (TransferLogRender.js): a progress line moves a bar, an
    /// `end_module` or `end_action` closes its section, and control
    /// actions it does not know are not drawn.
    pub fn shown(self) -> bool {
        !matches!(
            self,
            EntryKind::Percentage
                | EntryKind::ActionEnd
                | EntryKind::ModuleEnd
                | EntryKind::Control
        )
    }

    /// A kind whose line is its message (the page draws nothing for such a
    /// line without one).
    fn is_message(self) -> bool {
        matches!(
            self,
            EntryKind::Start
                | EntryKind::Out
                | EntryKind::Debug
                | EntryKind::Header
                | EntryKind::Warn
                | EntryKind::Error
                | EntryKind::Failed
                | EntryKind::Success
                | EntryKind::Other
        )
    }
}

impl LogEntry<'_> {
    /// Whether cPanel's page draws this line ([`EntryKind::shown`], and a
    /// message line only when it has text).
    pub fn shown(&self) -> bool {
        self.kind.shown() && !(self.kind.is_message() && self.text.is_empty())
    }
}

/// One line of a log, as shown.
#[derive(Clone, Debug, PartialEq)]
pub struct LogEntry<'a> {
    /// The line number in its file (a message continued over `partial`
    /// lines: its first line).
    pub line: u64,
    /// What the line is.
    pub kind: EntryKind,
    /// The `type` as written (`""` for a line that is not JSON).
    pub type_name: &'a str,
    /// The control `action`, if any.
    pub action: Option<&'a str>,
    /// The display indentation (`indent`, at most 16).
    pub indent: u32,
    /// `contents.time`, epoch seconds.
    pub time: Option<i64>,
    /// The restore module the line is in.
    pub module: Option<&'a str>,
    /// The master-log worker slot (`TRANSFER:1`, or `MASTER`) of a
    /// master-log line that names its child number.
    pub worker: Option<&'a str>,
    /// The text: message lines joined by newlines. Untrusted.
    pub text: &'a str,
    /// The text came from the remote server (`source`).
    pub remote: bool,
    /// The item's progress at this line (the last `percentage` so far).
    pub percent: Option<f64>,
    /// The item a master-log line is about (`item`, else `local_item`).
    pub item: Option<&'a str>,
    /// The local name of that item, when it was renamed.
    pub local_item: Option<&'a str>,
}

/// Most modules kept open at once (a hostile log cannot grow the stack).
const OPEN_MODULES_MAX: usize = 64;

/// Deepest indent shown.
const INDENT_MAX: i64 = 16;

/// A log read as [`LogEntry`] values, handed to a closure in order.
pub struct LogView<F, P> {
    f: F,
    prefilter: Option<P>,
    master: bool,
    modules: Vec<String>,
    percent: Option<f64>,
    /// A `partial` message waiting for its end: (first line, kind, text).
    pending: Option<(u64, EntryKind, String, Event<'static>)>,
    /// Raw lines the prefilter rejected since the last decoded one, kept
    /// for a before-context (most recent last).
    ring: VecDeque<(u64, String)>,
    ring_cap: usize,
    replaying: bool,
    first_time: Option<i64>,
    worker: String,
    /// Added to the parser's line numbers (a log read in slices).
    line_base: u64,
    /// Lines read, decoded or not.
    pub lines: u64,
    /// Lines of text that are not JSON (stderr in the log).
    pub stderr_lines: u64,
    /// Lines that look like JSON and cannot be read.
    pub broken_lines: u64,
    stopped: bool,
}

/// The entry closure's answer: go on or stop reading.
pub type Flow = ControlFlow<()>;

impl<F, P> LogView<F, P>
where
    F: FnMut(&LogEntry<'_>) -> Flow,
    P: FnMut(u64, &str) -> bool,
{
    /// A view that hands each entry to `f`. `master`: the log is a
    /// master log (control lines get cPanel's texts and a worker).
    pub fn new(master: bool, f: F) -> LogView<F, P> {
        LogView {
            f,
            prefilter: None,
            master,
            modules: Vec::new(),
            percent: None,
            pending: None,
            ring: VecDeque::new(),
            ring_cap: 0,
            replaying: false,
            first_time: None,
            worker: String::new(),
            line_base: 0,
            lines: 0,
            stderr_lines: 0,
            broken_lines: 0,
            stopped: false,
        }
    }

    /// Only lines whose raw text passes `p` (given the line's number and
    /// text) are decoded (a search's cheap first test: it must never
    /// reject a line the search would keep, nor a line that opens or
    /// closes a module or continues a message: [`structural_lines`] finds
    /// those in bulk). The lines before the first time are always
    /// decoded, so times stay right. The last `keep` rejected lines are
    /// kept and decoded before the next decoded line, for a
    /// before-context.
    pub fn with_prefilter(mut self, p: P, keep: usize) -> LogView<F, P> {
        self.prefilter = Some(p);
        self.ring_cap = keep;
        self
    }

    /// The earliest time a decoded line carried (the item's start, for
    /// times relative to it).
    pub fn first_time(&self) -> Option<i64> {
        self.first_time
    }

    /// Reads `input` (plain, gzip or a saved API response) named `name`.
    pub fn read<R: std::io::Read>(
        &mut self,
        name: &str,
        input: R,
        opts: &ParseOptions,
    ) -> std::io::Result<()> {
        xferlens_parse::parse_input(name, input, &mut *self, opts)?;
        self.finish();
        Ok(())
    }

    /// Reads the next slice of a log that is read in parts (a file that
    /// grows): `bytes` must end at a line end; line numbers go on from
    /// the last slice.
    pub fn read_slice(&mut self, name: &str, bytes: &[u8], opts: &ParseOptions) {
        let summary = xferlens_parse::parse_slice(name, bytes, &mut *self, opts);
        self.line_base += summary.lines;
    }

    /// Reads one line (with its line end, if it has one: a line without
    /// is a cut last line) as line `number` of its log: a search that has
    /// found the lines it wants reads only those.
    pub fn read_line_at(&mut self, name: &str, line: &[u8], number: u64, opts: &ParseOptions) {
        self.line_base = number.saturating_sub(1);
        xferlens_parse::parse_slice(name, line, &mut *self, opts);
        self.line_base = number;
    }

    /// True while a `partial` message waits for the line that ends it.
    pub fn pending(&self) -> bool {
        self.pending.is_some()
    }

    /// Starts the log over from its first line (the file was truncated
    /// and is being written anew): line numbers, modules and progress
    /// begin again.
    pub fn restart(&mut self) {
        self.finish();
        self.line_base = 0;
        self.modules.clear();
        self.percent = None;
        self.first_time = None;
    }

    /// Hands on a `partial` message still waiting at the end of the log.
    pub fn finish(&mut self) {
        if let Some((line, kind, text, ev)) = self.pending.take() {
            self.emit(line, kind, &ev, &text);
        }
    }

    fn emit(&mut self, line: u64, kind: EntryKind, ev: &Event<'_>, text: &str) {
        if self.stopped {
            return;
        }
        let time = ev.contents.time;
        if let Some(t) = time {
            self.first_time = Some(self.first_time.map_or(t, |f| f.min(t)));
        }
        // Master-log lines name their worker slot; item-log lines read in
        // a master-log reading (an unnamed file) carry no child number.
        let worker = (self.master && ev.contents.child_number.is_some()).then(|| {
            self.worker.clear();
            match (&ev.contents.queue, ev.contents.child_number) {
                (Some(q), Some(c)) if c > 0 => {
                    use std::fmt::Write as _;
                    let _ = write!(self.worker, "{q}:{c}");
                }
                _ => self.worker.push_str("MASTER"),
            }
            self.worker.as_str()
        });
        let e = LogEntry {
            line,
            kind,
            type_name: ev.kind.as_str(),
            action: ev.action().map(|a| a.as_str()),
            indent: ev.indent.unwrap_or(0).clamp(0, INDENT_MAX) as u32,
            time,
            module: self.modules.last().map(String::as_str),
            worker,
            text,
            remote: ev.source.is_some(),
            percent: self.percent,
            item: ev.contents.item.as_deref(),
            local_item: ev.contents.local_item.as_deref(),
        };
        if (self.f)(&e).is_break() {
            self.stopped = true;
        }
    }

    fn emit_plain(&mut self, line: u64, kind: EntryKind, text: &str) {
        self.emit(line, kind, &Event::default(), text);
    }

    /// The summary records of a restore, one entry each, worded as
    /// `view_transfer` words them.
    fn emit_summary(&mut self, line: u64, ev: &Event<'_>, lists: &DetailLists) {
        let groups: [(&[Detail], &str, bool); 4] = [
            (&lists.warnings, "Warning", false),
            (&lists.skipped_items, "Skipped item", false),
            (&lists.altered_items, "Altered item", false),
            (&lists.dangerous_items, "Dangerous item", true),
        ];
        if groups.iter().all(|g| g.0.is_empty()) {
            // Still a row: one per line of the log.
            return self.emit(
                line,
                EntryKind::Control,
                ev,
                "Summary: no warnings or skipped, altered or dangerous items",
            );
        }
        for (records, word, dangerous) in groups {
            for d in records {
                let place = match (&d.module, &d.function) {
                    (Some(m), Some(f)) => format!("{m}::{f}"),
                    (Some(m), None) => m.clone(),
                    _ => String::new(),
                };
                let text = match (place.is_empty(), d.line) {
                    (true, _) => format!("{word}: {}", d.text),
                    (false, Some(l)) => format!("{word} (“{place}”, line {l}): {}", d.text),
                    (false, None) => format!("{word} (“{place}”): {}", d.text),
                };
                self.emit(line, EntryKind::Summary { dangerous }, ev, &text);
            }
        }
    }

    fn control(&mut self, line: u64, ev: &Event<'_>) {
        let Some(action) = ev.action() else {
            return self.emit(line, EntryKind::Control, ev, "");
        };
        let msg = message(ev);
        let kind = match action {
            Action::StartModule => {
                if self.modules.len() < OPEN_MODULES_MAX {
                    let name = limits::clip(&msg, limits::NAME_MAX);
                    self.modules.push(name);
                }
                EntryKind::ModuleStart
            }
            Action::EndModule => {
                self.emit(line, EntryKind::ModuleEnd, ev, &msg);
                self.modules.pop();
                return;
            }
            Action::StartAction => EntryKind::ActionStart,
            Action::EndAction => EntryKind::ActionEnd,
            Action::Percentage => {
                self.percent = ev.contents.percentage.or(self.percent);
                let text = match self.percent {
                    Some(p) => format!("Progress: {}%", trim_number(p)),
                    None => "Progress".to_owned(),
                };
                return self.emit(line, EntryKind::Percentage, ev, &text);
            }
            Action::Summary => {
                if let Some(lists) = &ev.contents.summary {
                    return self.emit_summary(line, ev, lists);
                }
                EntryKind::Control
            }
            _ if self.master => return self.master_control(line, ev, action, &msg),
            _ => EntryKind::Control,
        };
        self.emit(line, kind, ev, &msg);
    }

    /// A master-log control line, in the words of cPanel's terminal
    /// renderer (Master.pm); bookkeeping lines keep their action name.
    fn master_control(&mut self, line: u64, ev: &Event<'_>, action: &Action<'_>, msg: &str) {
        let c = &ev.contents;
        let label = c
            .item_name
            .as_deref()
            .or(c.item_type.as_deref())
            .unwrap_or("Item");
        let item = c.item.as_deref().unwrap_or("");
        let named = match c.local_item.as_deref() {
            Some(l) if l != item => format!("{label} “{item}” → “{l}”"),
            _ => format!("{label} “{item}”"),
        };
        let (kind, text) = match action {
            Action::Start if c.item.is_some() => (EntryKind::Start, format!("Starting {named}")),
            Action::Start => (EntryKind::Header, "Start Session".to_owned()),
            Action::Version => (EntryKind::Out, format!("Version: {msg}")),
            Action::Initiator => (EntryKind::Out, format!("Initiator: {msg}")),
            Action::RemoteHost => (EntryKind::Header, format!("Remote Host: {msg}")),
            Action::QueueCount => {
                let q = c.queue.as_deref().unwrap_or("");
                (EntryKind::Out, format!("Queue “{q}” items: {msg}"))
            }
            Action::Pausing => (EntryKind::Header, "Pausing".to_owned()),
            Action::Pause => (EntryKind::Header, "Paused".to_owned()),
            Action::Resume => (EntryKind::Header, "Resumed".to_owned()),
            Action::Aborting => (EntryKind::Header, "Aborting …".to_owned()),
            Action::Abort => (EntryKind::Failed, "Session Aborted".to_owned()),
            Action::Fail => (EntryKind::Failed, "Session Failed".to_owned()),
            Action::Complete if c.child_number.unwrap_or(0) > 0 => {
                (EntryKind::Out, "Child Complete".to_owned())
            }
            Action::Complete => (EntryKind::Success, "Session Complete".to_owned()),
            Action::ChildFailed => (
                EntryKind::Error,
                format!(
                    "Child process “{}” died (retry {msg}).",
                    ev.pid.map(|p| p.to_string()).unwrap_or_default()
                ),
            ),
            Action::SuccessItem | Action::WarningItem | Action::FailedItem => {
                let (kind, word) = match action {
                    Action::SuccessItem => (EntryKind::Success, "Success"),
                    Action::WarningItem => (EntryKind::Warn, "Warning"),
                    _ => (EntryKind::Failed, "Failed"),
                };
                let why = match &c.msg {
                    Some(Msg::Finished(f)) => f.failure.clone().or_else(|| f.message.clone()),
                    _ => None,
                };
                let why = why.filter(|w| !w.is_empty());
                (kind, format!("{named}: {}", why.as_deref().unwrap_or(word)))
            }
            other => (
                EntryKind::Control,
                format!("{} {msg}", other.as_str()).trim_end().to_owned(),
            ),
        };
        self.emit(line, kind, ev, &text);
    }

    fn accept(&mut self, pos: Position, ev: &mut Event<'_>) {
        let line = pos.line;
        let kind = match &ev.kind {
            MsgType::Control => return self.control(line, ev),
            MsgType::ModuleStatus => {
                let ok = ev.contents.status.unwrap_or(0) == 1;
                let text = ev
                    .contents
                    .statusmsg
                    .as_deref()
                    .map(str::to_owned)
                    .unwrap_or_else(|| message(ev).into_owned());
                return self.emit(line, EntryKind::ModuleStatus { ok }, ev, &text);
            }
            MsgType::Out => EntryKind::Out,
            MsgType::Debug => EntryKind::Debug,
            MsgType::Header => EntryKind::Header,
            MsgType::Warn => EntryKind::Warn,
            MsgType::Error => EntryKind::Error,
            MsgType::Failed => EntryKind::Failed,
            MsgType::Success => EntryKind::Success,
            MsgType::Start => EntryKind::Start,
            MsgType::Missing | MsgType::Unknown(_) => EntryKind::Other,
        };
        let text = message(ev);
        if ev.partial || self.pending.is_some() {
            return self.continue_partial(line, kind, ev, &text);
        }
        self.emit(line, kind, ev, &text);
    }

    /// A message continued over `partial` lines is one entry, with the
    /// first line's number, kind and fields.
    fn continue_partial(&mut self, line: u64, kind: EntryKind, ev: &Event<'_>, text: &str) {
        match &mut self.pending {
            Some((_, _, t, _)) => {
                if t.len() < limits::TEXT_MAX {
                    t.push_str(text);
                    limits::clip_owned(t, limits::TEXT_MAX);
                }
            }
            None => {
                let head = owned_head(ev);
                self.pending = Some((line, kind, text.to_owned(), head));
            }
        }
        if !ev.partial {
            self.finish();
        }
    }

    fn replay_ring(&mut self) {
        if self.ring.is_empty() {
            return;
        }
        self.replaying = true;
        let ring = std::mem::take(&mut self.ring);
        let opts = ParseOptions::default();
        for (line, text) in &ring {
            let mut one = OneLine {
                view: self,
                line: *line,
            };
            xferlens_parse::parse_slice("", text.as_bytes(), &mut one, &opts);
        }
        self.ring = ring;
        self.ring.clear();
        self.replaying = false;
    }
}

/// Decodes one kept raw line at its own line number.
struct OneLine<'v, F, P> {
    view: &'v mut LogView<F, P>,
    line: u64,
}

impl<F, P> EventSink for OneLine<'_, F, P>
where
    F: FnMut(&LogEntry<'_>) -> Flow,
    P: FnMut(u64, &str) -> bool,
{
    fn event(&mut self, _pos: Position, event: &mut Event<'_>) -> ControlFlow<()> {
        let pos = Position {
            line: self.line,
            byte: 0,
        };
        self.view.accept(pos, event);
        ControlFlow::Continue(())
    }
    fn takes_lines(&self) -> bool {
        true
    }
    fn line(&mut self, _pos: Position, text: &str) -> bool {
        let line = self.line;
        !self.view.plain_text(line, text)
    }
}

impl<F, P> LogView<F, P>
where
    F: FnMut(&LogEntry<'_>) -> Flow,
    P: FnMut(u64, &str) -> bool,
{
    /// A line that cannot be JSON (it does not open with `{`) is shown
    /// as the stderr text it is; true when it was.
    fn plain_text(&mut self, line: u64, text: &str) -> bool {
        if !is_stderr_text(text) {
            return false;
        }
        self.finish();
        self.stderr_lines += 1;
        let t = limits::clip(text.trim_end(), limits::TEXT_MAX);
        self.emit_plain(line, EntryKind::Stderr, &t);
        true
    }
}

impl<F, P> EventSink for LogView<F, P>
where
    F: FnMut(&LogEntry<'_>) -> Flow,
    P: FnMut(u64, &str) -> bool,
{
    fn event(&mut self, pos: Position, event: &mut Event<'_>) -> ControlFlow<()> {
        let pos = Position {
            line: pos.line + self.line_base,
            byte: pos.byte,
        };
        self.accept(pos, event);
        if self.stopped {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }

    fn diagnostic(&mut self, d: Diagnostic) -> ControlFlow<()> {
        // A line decoded all the same (invalid UTF-8, read lossily) comes
        // as its event: one entry per line.
        if d.line == 0 || !d.kind.line_skipped() {
            return ControlFlow::Continue(());
        }
        self.finish();
        self.broken_lines += 1;
        let line = d.line + self.line_base;
        let code = match &d.kind {
            DiagnosticKind::PartialLine => "partial-line",
            k => k.code(),
        };
        // The text is the line as written (what a search looks for); the
        // diagnostic's code goes where a control line's action goes.
        let e = Event {
            contents: xferlens_parse::Contents {
                action: Some(Action::Other(Cow::Borrowed(code))),
                ..Default::default()
            },
            ..Event::default()
        };
        self.emit(line, EntryKind::Broken, &e, &d.excerpt);
        if self.stopped {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }

    fn takes_lines(&self) -> bool {
        true
    }

    fn line(&mut self, pos: Position, text: &str) -> bool {
        self.lines += 1;
        let pos = Position {
            line: pos.line + self.line_base,
            byte: pos.byte,
        };
        if self.plain_text(pos.line, text) {
            return false;
        }
        let Some(p) = self.prefilter.as_mut() else {
            return true;
        };
        let keep = self.first_time.is_none() || self.pending.is_some() || p(pos.line, text);
        if keep {
            self.replay_ring();
        } else if self.ring_cap > 0 {
            if self.ring.len() == self.ring_cap {
                if let Some((_, mut old)) = self.ring.pop_front() {
                    old.clear();
                    old.push_str(text);
                    self.ring.push_back((pos.line, old));
                }
            } else {
                self.ring.push_back((pos.line, text.to_owned()));
            }
        }
        keep
    }
}

/// The text of `chunk` (whole log lines) with JSON string escapes
/// decoded, into `out`, and where each line starts in it, into `starts`
/// (one entry per line, then the end). A search run over this text finds
/// every line whose decoded message could match: a message is a run of
/// this text. `\n` escapes become newlines, so a pattern that cannot
/// match a newline matches within one message line, as on the decoded
/// message. Escapes that do not decode are kept as written.
pub fn unescape_lines(chunk: &[u8], out: &mut Vec<u8>, starts: &mut Vec<usize>) {
    out.clear();
    starts.clear();
    out.reserve(chunk.len());
    starts.push(0);
    // One pass for both line ends and escapes. A line that is not JSON
    // (stderr text) is copied as it is: it has no escapes.
    let json_at = |from: usize| {
        chunk[from..]
            .iter()
            .find(|b| !matches!(b, b' ' | b'\t'))
            .is_none_or(|&b| b == b'{')
    };
    let mut json = json_at(0);
    let mut i = 0;
    for at in memchr::memchr2_iter(b'\n', b'\\', chunk) {
        if at < i || (!json && chunk[at] == b'\\') {
            continue; // inside a decoded escape, or a line of plain text
        }
        out.extend_from_slice(&chunk[i..at]);
        if chunk[at] == b'\n' {
            out.push(b'\n');
            starts.push(out.len());
            i = at + 1;
            json = json_at(i);
        } else {
            i = unescape_one(chunk, at, out);
        }
    }
    out.extend_from_slice(&chunk[i..]);
    if *starts.last().unwrap_or(&0) != out.len() {
        starts.push(out.len());
    }
}

/// Decodes the escape at `chunk[at]` (a backslash) into `out`; returns
/// where the text goes on.
fn unescape_one(chunk: &[u8], at: usize, out: &mut Vec<u8>) -> usize {
    let Some(&c) = chunk.get(at + 1) else {
        out.push(b'\\');
        return at + 1;
    };
    match c {
        b'n' => out.push(b'\n'),
        b't' => out.push(b'\t'),
        b'r' => out.push(b'\r'),
        b'b' => out.push(8),
        b'f' => out.push(12),
        b'u' => {
            let Some(hi) = hex4(&chunk[at + 2..]) else {
                out.extend_from_slice(b"\\u");
                return at + 2;
            };
            let mut next = at + 6;
            let mut cp = u32::from(hi);
            if (0xd800..0xdc00).contains(&cp) && chunk.get(next..next + 2) == Some(b"\\u") {
                if let Some(lo) = hex4(&chunk[next + 2..]).filter(|l| (0xdc00..0xe000).contains(l))
                {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (u32::from(lo) - 0xdc00);
                    next += 6;
                }
            }
            let ch = char::from_u32(cp).unwrap_or('\u{fffd}');
            let mut b = [0u8; 4];
            out.extend_from_slice(ch.encode_utf8(&mut b).as_bytes());
            return next;
        }
        b'\n' => {
            // A backslash at a line's end: the line end stays one.
            out.push(b'\\');
            return at + 1;
        }
        other => out.push(other),
    }
    at + 2
}

/// Four hex digits at the start of `b`.
fn hex4(b: &[u8]) -> Option<u16> {
    let mut v: u16 = 0;
    for &c in b.get(..4)? {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => return None,
        };
        v = v << 4 | u16::from(d);
    }
    Some(v)
}

/// The lines of `chunk` (whole lines, the first numbered `first`) that a
/// prefilter must keep whatever it searches for: those that may open or
/// close a module (`module`, which an escaped `\u005f` does not hide),
/// hold a restore summary (whose records xferlens words), or continue a
/// message (`"partial"` not 0, with the line after it), and with
/// `progress` those that may set the
/// item's percentage. Searched over the whole chunk, not line by line;
/// `starts` are the byte offsets where its lines start (ascending, the
/// first 0).
pub fn structural_lines(chunk: &[u8], starts: &[usize], first: u64, progress: bool) -> Vec<u64> {
    use std::sync::LazyLock;
    static MODULE: LazyLock<memchr::memmem::Finder<'static>> =
        LazyLock::new(|| memchr::memmem::Finder::new(b"module"));
    // Summary records are worded by xferlens, not written in the line.
    static SUMMARY: LazyLock<memchr::memmem::Finder<'static>> =
        LazyLock::new(|| memchr::memmem::Finder::new(b"summary"));
    static PARTIAL: LazyLock<memchr::memmem::Finder<'static>> =
        LazyLock::new(|| memchr::memmem::Finder::new(b"\"partial\""));
    static PERCENT: LazyLock<memchr::memmem::Finder<'static>> =
        LazyLock::new(|| memchr::memmem::Finder::new(b"percentage"));
    // (byte offset, and whether the next line is wanted too)
    let mut hits: Vec<(usize, bool)> = MODULE.find_iter(chunk).map(|i| (i, false)).collect();
    hits.extend(SUMMARY.find_iter(chunk).map(|i| (i, false)));
    hits.extend(
        PARTIAL
            .find_iter(chunk)
            .filter(|&i| partial_set(&chunk[i + 9..]))
            .map(|i| (i, true)),
    );
    if progress {
        hits.extend(PERCENT.find_iter(chunk).map(|i| (i, false)));
    }
    hits.sort_unstable();
    let mut out: Vec<u64> = Vec::new();
    for (h, next) in hits {
        let line = first + (starts.partition_point(|&s| s <= h).max(1) - 1) as u64;
        if out.last() != Some(&line) {
            out.push(line);
        }
        if next {
            out.push(line + 1);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// True when an item-log line is plain stderr text: it does not open
/// (after whitespace) with `{`, so it is neither JSON nor broken JSON, and
/// it holds no NUL byte (binary damage, e.g. a file zero-filled by a
/// crash, is no program's output). The one rule of replay and `xferlens
/// log` (docs/FORMAT.md, "Stderr text in item logs").
pub fn is_stderr_text(text: &str) -> bool {
    !text.trim_start().starts_with('{') && !text.contains('\0')
}

/// Whether the bytes after a `"partial"` key may give it a value other
/// than 0 (what follows up to the value: spaces, the colon, a quote).
fn partial_set(after: &[u8]) -> bool {
    after
        .iter()
        .find(|c| !matches!(c, b' ' | b':' | b'"' | b'\t'))
        .is_some_and(|&c| c != b'0' && c != b'\n')
}

/// The text of a line: `msg` lines joined by newlines (as cPanel's
/// terminal renderer prints them), a plain-string `contents`, or the
/// message of a finished item.
fn message<'e>(ev: &'e Event<'_>) -> Cow<'e, str> {
    match &ev.contents.msg {
        Some(Msg::Lines(l)) => match l.single() {
            Some(one) => one,
            None => Cow::Owned(l.joined("\n")),
        },
        Some(Msg::Text(t)) => Cow::Borrowed(t),
        Some(Msg::Raw(r)) => Cow::Borrowed(r),
        Some(m) => Cow::Owned(m.joined("\n").unwrap_or_default()),
        None => Cow::Borrowed(ev.contents.text.as_deref().unwrap_or("")),
    }
}

/// The fields of an event a continued message keeps (owned).
fn owned_head(ev: &Event<'_>) -> Event<'static> {
    let mut e = Event {
        pid: ev.pid,
        kind: match &ev.kind {
            MsgType::Unknown(s) => MsgType::Unknown(Cow::Owned(s.to_string())),
            k => MsgType::from_str_cow(Cow::Owned(k.as_str().to_owned())),
        },
        indent: ev.indent,
        partial: false,
        source: ev.source.as_ref().map(|s| Cow::Owned(s.to_string())),
        ..Event::default()
    };
    e.contents.time = ev.contents.time;
    e
}

/// `42` for 42.0, `42.5` otherwise.
fn trim_number(p: f64) -> String {
    if p.fract() == 0.0 && p.abs() < 1e15 {
        format!("{}", p as i64)
    } else {
        format!("{p:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(log: &str, master: bool) -> Vec<(u64, EntryKind, String, Option<String>)> {
        let mut out = Vec::new();
        let mut v: LogView<_, fn(u64, &str) -> bool> = LogView::new(master, |e: &LogEntry<'_>| {
            out.push((
                e.line,
                e.kind,
                e.text.to_owned(),
                e.module.map(str::to_owned),
            ));
            ControlFlow::Continue(())
        });
        v.read("t", log.as_bytes(), &ParseOptions::default())
            .unwrap();
        drop(v);
        out
    }

    #[test]
    fn every_line_type_reads_as_cpanel_shows_it() {
        let log = concat!(
            r#"{"type":"control","contents":{"action":"percentage","percentage":0,"time":10}}"#,
            "\n",
            r#"{"type":"start","contents":{"msg":["Starting “RESTORE” for “Account” “bob”."],"time":10}}"#,
            "\n",
            r#"{"type":"control","contents":{"action":"start_module","msg":["Mysql"]}}"#,
            "\n",
            r#"{"type":"out","contents":{"msg":["a","b"]},"indent":1}"#,
            "\n",
            r#"{"type":"out","contents":"plain \u201cq\u201d","partial":1}"#,
            "\n",
            r#"{"type":"out","contents":{"msg":[" tail"]}}"#,
            "\n",
            "DBD::mysql::st execute failed: Table 'x' doesn't exist at Foo.pm line 3.\n",
            r#"{"type":"warn","contents":{"msg":["careful"]}}"#,
            "\n",
            r#"{"type":"modulestatus","contents":{"module":"Mysql","status":0,"statusmsg":"Mysql failed"}}"#,
            "\n",
            r#"{"type":"control","contents":{"action":"end_module","msg":["Mysql"]}}"#,
            "\n",
            r#"{"type":"failed","contents":{"msg":["Failed: x"]}}"#,
            "\n",
            r#"{"type":"control","contents":{"action":"summary","dangerous_items":[[["Mysql","restore",7],"bad"]],"warnings":[[["Homedir","f",2],"w"]]}}"#,
            "\n",
            r#"{"type":"out","contents":{"#,
            "\n",
        );
        let got = view(log, false);
        let kinds: Vec<EntryKind> = got.iter().map(|g| g.1).collect();
        assert_eq!(
            kinds,
            [
                EntryKind::Percentage,
                EntryKind::Start,
                EntryKind::ModuleStart,
                EntryKind::Out,
                EntryKind::Out,
                EntryKind::Stderr,
                EntryKind::Warn,
                EntryKind::ModuleStatus { ok: false },
                EntryKind::ModuleEnd,
                EntryKind::Failed,
                EntryKind::Summary { dangerous: false },
                EntryKind::Summary { dangerous: true },
                EntryKind::Broken,
            ]
        );
        assert_eq!(got[3].2, "a\nb");
        assert_eq!(got[3].3.as_deref(), Some("Mysql"));
        assert_eq!((got[4].0, got[4].2.as_str()), (5, "plain “q” tail"));
        assert!(got[5].2.starts_with("DBD::mysql"));
        assert_eq!(
            got[8].3.as_deref(),
            Some("Mysql"),
            "end_module is in its module"
        );
        assert_eq!(got[9].3, None);
        assert_eq!(got[10].2, "Warning (“Homedir::f”, line 2): w");
        assert_eq!(got[11].2, "Dangerous item (“Mysql::restore”, line 7): bad");
        assert_eq!(EntryKind::Stderr.level(), Level::Error);
        assert!(!EntryKind::Percentage.shown());
    }

    #[test]
    fn unescaped_text_holds_every_decoded_message() {
        let chunk = concat!(
            r#"{"contents":{"msg":["a \u201cq\u201d \"x\" \\ \ud83d\ude00 \/"]}}"#,
            "\n",
            r#"{"contents":{"msg":["two\nlines"]}}"#,
            "\n"
        );
        let (mut out, mut starts) = (Vec::new(), Vec::new());
        unescape_lines(chunk.as_bytes(), &mut out, &mut starts);
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains(r#"a “q” "x" \ 😀 /"#), "{text}");
        assert!(text.contains("two\nlines"));
        assert_eq!(starts.len(), 3);
        assert!(text[starts[1]..].starts_with(r#"{"contents""#));
    }

    #[test]
    fn structural_lines_are_found_in_bulk() {
        let chunk = concat!(
            r#"{"contents":{"action":"start_module","msg":["A"]}}"#,
            "\n",
            r#"{"contents":{"msg":["x"]},"partial":0}"#,
            "\n",
            r#"{"contents":{"msg":["y"]},"partial": 1}"#,
            "\n",
            r#"{"contents":{"action":"end_module","msg":["A"]},"partial":"0"}"#,
            "\n",
        );
        let starts: Vec<usize> = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', chunk.as_bytes()).map(|i| i + 1))
            .collect();
        assert_eq!(
            structural_lines(chunk.as_bytes(), &starts, 10, false),
            [10, 12, 13]
        );
    }

    #[test]
    fn master_lines_read_in_cpanels_words() {
        let log = concat!(
            r#"{"pid":1,"type":"control","contents":{"action":"start","child_number":0,"time":5}}"#,
            "\n",
            r#"{"pid":2,"type":"control","contents":{"action":"start","child_number":1,"queue":"TRANSFER","item":"bob","local_item":"bob2","item_name":"Account"}}"#,
            "\n",
            r#"{"pid":2,"type":"control","contents":{"action":"failed-item","child_number":1,"queue":"TRANSFER","item":"bob","item_name":"Account","msg":{"failure":"no space","size":3}}}"#,
            "\n",
            r#"{"pid":1,"type":"control","contents":{"action":"complete","child_number":0}}"#,
            "\n",
        );
        let got = view(log, true);
        let texts: Vec<&str> = got.iter().map(|g| g.2.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Start Session",
                "Starting Account “bob” → “bob2”",
                "Account “bob”: no space",
                "Session Complete"
            ]
        );
    }

    #[test]
    fn a_prefilter_skips_lines_but_keeps_modules_times_and_context() {
        let log = concat!(
            r#"{"type":"control","contents":{"action":"percentage","percentage":0,"time":10}}"#,
            "\n",
            r#"{"type":"control","contents":{"action":"start_module","msg":["Mail"]}}"#,
            "\n",
            r#"{"type":"out","contents":{"msg":["one"]}}"#,
            "\n",
            r#"{"type":"out","contents":{"msg":["two"]}}"#,
            "\n",
            r#"{"type":"error","contents":{"msg":["needle"]}}"#,
            "\n",
            r#"{"type":"out","contents":{"msg":["three"]}}"#,
            "\n",
        );
        let mut out = Vec::new();
        let mut v = LogView::new(false, |e: &LogEntry<'_>| {
            out.push((e.line, e.text.to_owned(), e.module.map(str::to_owned)));
            ControlFlow::Continue(())
        })
        .with_prefilter(
            |_, t: &str| t.contains("needle") || t.contains("_module"),
            1,
        );
        v.read("t", log.as_bytes(), &ParseOptions::default())
            .unwrap();
        assert_eq!(v.lines, 6);
        drop(v);
        let lines: Vec<u64> = out.iter().map(|o| o.0).collect();
        assert_eq!(
            lines,
            [1, 2, 4, 5],
            "line 3 dropped, line 4 kept as context"
        );
        assert_eq!(out[3].2.as_deref(), Some("Mail"));
    }
}
