//! The borrowed event model: one [`Event`] per usable log line.
//!
//! Strings borrow from the input buffer when they hold no JSON escapes
//! (`Cow::Borrowed`) and are unescaped into an owned string otherwise.
//! Message arrays (`contents.msg` of `out` lines) are kept as raw JSON and
//! decoded only when a consumer iterates them ([`MsgLines`]).

use std::borrow::Cow;

use serde_json::value::RawValue;

/// One decoded log line.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Event<'a> {
    /// Process that wrote the line (`pid`, integer or digit string).
    pub pid: Option<u64>,
    /// The line's `type` (top level, or inside `contents` in old logs).
    pub kind: MsgType<'a>,
    /// Display indentation (`indent`).
    pub indent: Option<i64>,
    /// `partial`: this message continues on the next line.
    pub partial: bool,
    /// `source`: set when the text came from the remote server.
    pub source: Option<Cow<'a, str>>,
    /// The payload (`contents`).
    pub contents: Contents<'a>,
}

impl Event<'_> {
    /// The control action of a `control` line, if any.
    pub fn action(&self) -> Option<&Action<'_>> {
        self.contents.action.as_ref()
    }
}

/// The value of a line's `type` key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum MsgType<'a> {
    /// `control`: a machine-readable action (see [`Action`]).
    Control,
    /// `out`: ordinary output.
    Out,
    /// `warn`: a warning line.
    Warn,
    /// `error`: an error line.
    Error,
    /// `success`: the item succeeded.
    Success,
    /// `failed` (or `failure`): the item failed.
    Failed,
    /// `start`: the item's first line.
    Start,
    /// `header`: a section header.
    Header,
    /// `debug`: debugging output.
    Debug,
    /// `modulestatus`: a restore module's status.
    ModuleStatus,
    /// No `type` key at all.
    #[default]
    Missing,
    /// Any other value, kept as data.
    Unknown(Cow<'a, str>),
}

impl<'a> MsgType<'a> {
    /// Maps a `type` string to its variant.
    pub fn from_str_cow(s: Cow<'a, str>) -> MsgType<'a> {
        match &*s {
            "control" => MsgType::Control,
            "out" => MsgType::Out,
            "warn" => MsgType::Warn,
            "error" => MsgType::Error,
            "success" => MsgType::Success,
            "failed" | "failure" => MsgType::Failed,
            "start" => MsgType::Start,
            "header" => MsgType::Header,
            "debug" => MsgType::Debug,
            "modulestatus" => MsgType::ModuleStatus,
            _ => MsgType::Unknown(s),
        }
    }

    /// The name as written in logs (`unknown` values keep theirs).
    pub fn as_str(&self) -> &str {
        match self {
            MsgType::Control => "control",
            MsgType::Out => "out",
            MsgType::Warn => "warn",
            MsgType::Error => "error",
            MsgType::Success => "success",
            MsgType::Failed => "failed",
            MsgType::Start => "start",
            MsgType::Header => "header",
            MsgType::Debug => "debug",
            MsgType::ModuleStatus => "modulestatus",
            MsgType::Missing => "",
            MsgType::Unknown(s) => s,
        }
    }
}

/// The `contents.action` of a control line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action<'a> {
    /// `start`: session start (child 0) or a worker picked up an item.
    Start,
    /// `initiator`: what started the session (`msg`).
    Initiator,
    /// `version`: the log format version (`msg`).
    Version,
    /// `queue_count`: number of items in `queue` (`msg`).
    QueueCount,
    /// `queue_size`: total bytes of `queue` (`msg`).
    QueueSize,
    /// `remotehost`: source server (`msg`).
    RemoteHost,
    /// `process-item`: the item's log file name (`msg`).
    ProcessItem,
    /// `start-item`: item processing begins (`msg` = `{"size":N}`).
    StartItem,
    /// `success-item`: item finished cleanly.
    SuccessItem,
    /// `warning-item`: item finished with warnings.
    WarningItem,
    /// `failed-item`: item failed.
    FailedItem,
    /// `child-failed`: a worker died (`msg` = `"n/m"`).
    ChildFailed,
    /// `complete`: a worker finished, or (child 0) the session completed.
    Complete,
    /// `pausing`: pause requested.
    Pausing,
    /// `pause`: session paused.
    Pause,
    /// `resume`: session resumed by a new master process.
    Resume,
    /// `aborting`: abort requested.
    Aborting,
    /// `abort`: session aborted.
    Abort,
    /// `fail`: session failed.
    Fail,
    /// `percentage`: item-log progress (`percentage`).
    Percentage,
    /// `summary`: restore summary lists (item logs).
    Summary,
    /// `start_module`: a restore module begins (`msg` = `[name]`).
    StartModule,
    /// `end_module`: a restore module ends.
    EndModule,
    /// `start_action`: a nested restore action begins.
    StartAction,
    /// `end_action`: a nested restore action ends.
    EndAction,
    /// Any other action, with its raw name.
    Other(Cow<'a, str>),
}

impl<'a> Action<'a> {
    /// Maps an action name to its variant.
    pub fn from_str_cow(s: Cow<'a, str>) -> Action<'a> {
        match &*s {
            "start" => Action::Start,
            "initiator" => Action::Initiator,
            "version" => Action::Version,
            "queue_count" => Action::QueueCount,
            "queue_size" => Action::QueueSize,
            "remotehost" => Action::RemoteHost,
            "process-item" => Action::ProcessItem,
            "start-item" => Action::StartItem,
            "success-item" => Action::SuccessItem,
            "warning-item" => Action::WarningItem,
            "failed-item" => Action::FailedItem,
            "child-failed" => Action::ChildFailed,
            "complete" => Action::Complete,
            "pausing" => Action::Pausing,
            "pause" => Action::Pause,
            "resume" => Action::Resume,
            "aborting" => Action::Aborting,
            "abort" => Action::Abort,
            "fail" => Action::Fail,
            "percentage" => Action::Percentage,
            "summary" => Action::Summary,
            "start_module" => Action::StartModule,
            "end_module" => Action::EndModule,
            "start_action" => Action::StartAction,
            "end_action" => Action::EndAction,
            _ => Action::Other(s),
        }
    }

    /// The action name as written in logs.
    pub fn as_str(&self) -> &str {
        match self {
            Action::Start => "start",
            Action::Initiator => "initiator",
            Action::Version => "version",
            Action::QueueCount => "queue_count",
            Action::QueueSize => "queue_size",
            Action::RemoteHost => "remotehost",
            Action::ProcessItem => "process-item",
            Action::StartItem => "start-item",
            Action::SuccessItem => "success-item",
            Action::WarningItem => "warning-item",
            Action::FailedItem => "failed-item",
            Action::ChildFailed => "child-failed",
            Action::Complete => "complete",
            Action::Pausing => "pausing",
            Action::Pause => "pause",
            Action::Resume => "resume",
            Action::Aborting => "aborting",
            Action::Abort => "abort",
            Action::Fail => "fail",
            Action::Percentage => "percentage",
            Action::Summary => "summary",
            Action::StartModule => "start_module",
            Action::EndModule => "end_module",
            Action::StartAction => "start_action",
            Action::EndAction => "end_action",
            Action::Other(s) => s,
        }
    }

    /// True for the three actions that finish an item.
    pub fn is_item_finish(&self) -> bool {
        matches!(
            self,
            Action::SuccessItem | Action::WarningItem | Action::FailedItem
        )
    }
}

/// The `contents` of a line. Every field is optional: which ones are set
/// depends on the action or message type.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Contents<'a> {
    /// `action` (control lines).
    pub action: Option<Action<'a>>,
    /// `child_number`: 0 = the session's master, 1..N = a worker.
    pub child_number: Option<u64>,
    /// `time`: epoch seconds (absent in old logs).
    pub time: Option<i64>,
    /// `queue`: `TRANSFER` or `RESTORE`.
    pub queue: Option<Cow<'a, str>>,
    /// `item`: source-side name.
    pub item: Option<Cow<'a, str>>,
    /// `local_item`: name on this server.
    pub local_item: Option<Cow<'a, str>>,
    /// `item_type`, e.g. `AccountRemoteRoot`.
    pub item_type: Option<Cow<'a, str>>,
    /// `item_name`: human label, e.g. `Account`.
    pub item_name: Option<Cow<'a, str>>,
    /// `logfile`: item log file name. Untrusted: check before opening.
    pub logfile: Option<Cow<'a, str>>,
    /// `msg`, decoded by shape (and by action for finished items).
    pub msg: Option<Msg<'a>>,
    /// `percentage` of a percentage control line.
    pub percentage: Option<f64>,
    /// `module` of a modulestatus line.
    pub module: Option<Cow<'a, str>>,
    /// `status` of a modulestatus line (0/1).
    pub status: Option<i64>,
    /// `statusmsg` of a modulestatus line.
    pub statusmsg: Option<Cow<'a, str>>,
    /// The four lists of a restore `summary` control line.
    pub summary: Option<Box<DetailLists>>,
    /// Set when `contents` was a plain string instead of an object.
    pub text: Option<Cow<'a, str>>,
}

/// The shapes `contents.msg` takes.
#[derive(Clone, Debug, PartialEq)]
pub enum Msg<'a> {
    /// A plain string (item log name, host, version, ...).
    Text(Cow<'a, str>),
    /// An array of strings (`out`, `warn`, `error` ... lines), decoded lazily.
    Lines(MsgLines<'a>),
    /// A number (e.g. `queue_count` written as a number).
    Number(f64),
    /// The `{"size":N}` of `start-item`.
    Size(u64),
    /// The stats object of `success-item`, `warning-item` or `failed-item`.
    Finished(Box<Finished>),
    /// Any other object or value, kept as raw JSON text.
    Raw(&'a str),
}

impl Msg<'_> {
    /// The message as one string: text as is, lines joined by `sep`,
    /// numbers formatted; `None` for objects.
    pub fn joined(&self, sep: &str) -> Option<String> {
        match self {
            Msg::Text(s) => Some(s.to_string()),
            Msg::Lines(l) => Some(l.joined(sep)),
            Msg::Number(n) => Some(format_number(*n)),
            Msg::Size(n) => Some(n.to_string()),
            Msg::Finished(_) | Msg::Raw(_) => None,
        }
    }

    /// [`Msg::joined`] cut to `max` bytes as [`TextCap`] cuts it, built
    /// without holding more than `max` bytes of a long `msg` array.
    pub fn joined_clipped(&self, sep: &str, max: usize) -> Option<String> {
        match self {
            Msg::Lines(l) => Some(l.joined_clipped(sep, max)),
            other => other.joined(sep).map(|t| TextCap::clip(&t, max)),
        }
    }

    /// The message read as a non-negative integer (numbers and numeric
    /// strings such as `queue_count`'s `"3"`).
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Msg::Number(n) if *n >= 0.0 && n.is_finite() => Some(*n as u64),
            Msg::Size(n) => Some(*n),
            Msg::Text(s) => parse_u64_text(s),
            _ => None,
        }
    }
}

/// Parses a decimal integer written as text (surrounding spaces allowed,
/// a fractional part truncated).
pub fn parse_u64_text(s: &str) -> Option<u64> {
    let t = s.trim();
    if let Ok(n) = t.parse::<u64>() {
        return Some(n);
    }
    t.parse::<f64>()
        .ok()
        .filter(|f| *f >= 0.0 && f.is_finite())
        .map(|f| f as u64)
}

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// A JSON array of message strings, kept raw until iterated.
#[derive(Clone, Copy, Debug)]
pub struct MsgLines<'a> {
    raw: &'a RawValue,
}

impl PartialEq for MsgLines<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.raw.get() == other.raw.get()
    }
}

impl<'a> MsgLines<'a> {
    /// Wraps a raw JSON array.
    pub fn new(raw: &'a RawValue) -> MsgLines<'a> {
        MsgLines { raw }
    }

    /// The raw JSON text of the array.
    pub fn raw(&self) -> &'a str {
        self.raw.get()
    }

    /// Calls `f` with each element's text in turn (see [`raw_to_text`]),
    /// never holding more than one element; a non-array calls it never.
    pub fn for_each(&self, mut f: impl FnMut(&str)) {
        struct V<'f>(&'f mut dyn FnMut(&str));
        impl<'de> serde::de::Visitor<'de> for V<'_> {
            type Value = ();
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<(), A::Error> {
                while let Some(e) = a.next_element::<&'de RawValue>()? {
                    (self.0)(&raw_to_text(e));
                }
                Ok(())
            }
        }
        let mut de = serde_json::Deserializer::from_str(self.raw.get());
        let _ = serde::Deserializer::deserialize_seq(&mut de, V(&mut f));
    }

    /// The strings of the array; non-string elements are rendered as JSON.
    /// This builds one value per element: prefer [`MsgLines::joined`] or
    /// [`MsgLines::joined_clipped`] for a long array.
    pub fn to_vec(&self) -> Vec<Cow<'a, str>> {
        let vals: Vec<&'a RawValue> = serde_json::from_str(self.raw.get()).unwrap_or_default();
        vals.into_iter().map(raw_to_text).collect()
    }

    /// The only string of a one-element array (`["text"]`, the common
    /// case), borrowed when it holds no escapes; `None` otherwise.
    pub fn single(&self) -> Option<Cow<'a, str>> {
        let inner = self.raw.get().strip_prefix('[')?.strip_suffix(']')?.trim();
        let body = inner.strip_prefix('"')?.strip_suffix('"')?;
        // One string: no unescaped quote inside.
        let b = body.as_bytes();
        let lone = (0..b.len()).all(|i| {
            b[i] != b'"' || b[..i].iter().rev().take_while(|&&c| c == b'\\').count() % 2 == 1
        });
        lone.then(|| unquote(inner))
    }

    /// The strings joined with `sep`, appended one by one (no list of
    /// elements is built).
    pub fn joined(&self, sep: &str) -> String {
        if let Some(one) = self.single() {
            return one.into_owned();
        }
        let mut out = String::new();
        let mut first = true;
        self.for_each(|t| {
            if !std::mem::take(&mut first) {
                out.push_str(sep);
            }
            out.push_str(t);
        });
        out
    }

    /// [`MsgLines::joined`] cut to `max` bytes as [`TextCap`] cuts it:
    /// the whole text is measured and hashed, only `max` bytes are kept.
    pub fn joined_clipped(&self, sep: &str, max: usize) -> String {
        if let Some(one) = self.single() {
            return TextCap::clip(&one, max);
        }
        let mut cap = TextCap::new(max);
        let mut first = true;
        self.for_each(|t| {
            if !std::mem::take(&mut first) {
                cap.push(sep);
            }
            cap.push(t);
        });
        cap.finish()
    }
}

/// Text taken piece by piece that keeps at most `max` bytes (cut on a
/// character boundary) but measures and hashes all of it. A cut text
/// ends with `…[N bytes #H]`: N is the full length and H a 64-bit FNV-1a
/// hash of the whole text (its low 32 bits), so two texts that differ
/// only past the cut stay apart.
#[derive(Clone, Debug)]
pub struct TextCap {
    kept: String,
    max: usize,
    len: usize,
    hash: u64,
    full: bool,
}

impl TextCap {
    /// An empty text that will keep at most `max` bytes.
    pub fn new(max: usize) -> TextCap {
        TextCap {
            kept: String::new(),
            max,
            len: 0,
            hash: 0xcbf2_9ce4_8422_2325,
            full: false,
        }
    }

    /// `s` cut to at most `max` bytes (see [`TextCap`]).
    pub fn clip(s: &str, max: usize) -> String {
        if s.len() <= max {
            return s.to_owned();
        }
        let mut c = TextCap::new(max);
        c.push(s);
        c.finish()
    }

    /// Appends `s`: measured and hashed whole, kept while it fits.
    pub fn push(&mut self, s: &str) {
        self.len += s.len();
        self.hash = s.bytes().fold(self.hash, |h, c| {
            (h ^ u64::from(c)).wrapping_mul(0x0100_0000_01b3)
        });
        if self.full {
            return;
        }
        let room = self.max - self.kept.len();
        if s.len() <= room {
            self.kept.push_str(s);
        } else {
            let mut end = room;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            self.kept.push_str(&s[..end]);
            self.full = true;
        }
    }

    /// The text: whole when it fits, else its kept part and the marker.
    pub fn finish(self) -> String {
        if self.len <= self.max {
            return self.kept;
        }
        format!(
            "{}…[{} bytes #{:08x}]",
            self.kept, self.len, self.hash as u32
        )
    }
}

/// Decodes a raw JSON value as text: strings unescaped (borrowed when
/// possible), anything else as its JSON text.
pub fn raw_to_text(raw: &RawValue) -> Cow<'_, str> {
    let s = raw.get();
    if s.starts_with('"') {
        unquote(s)
    } else {
        Cow::Borrowed(s)
    }
}

/// The stats of a finished item (`msg` of success/warning/failed-item).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Finished {
    /// `size` in bytes.
    pub size: Option<u64>,
    /// `warnings` count.
    pub warnings: u64,
    /// `skipped_items` count.
    pub skipped_items: u64,
    /// `dangerous_items` count.
    pub dangerous_items: u64,
    /// `altered_items` count.
    pub altered_items: u64,
    /// `message` (success items).
    pub message: Option<String>,
    /// `failure`: why the item failed.
    pub failure: Option<String>,
    /// The detail records of `contents`.
    pub details: DetailLists,
}

/// Most detail records one list keeps while it is decoded; the rest are
/// only counted (in [`DetailLists::dropped`]), so a list of millions of
/// records is never built.
pub const DETAILS_KEPT: usize = 200;

/// The four detail lists of a finished item or a restore summary.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct DetailLists {
    /// `warnings` records.
    pub warnings: Vec<Detail>,
    /// `skipped_items` records.
    pub skipped_items: Vec<Detail>,
    /// `dangerous_items` records.
    pub dangerous_items: Vec<Detail>,
    /// `altered_items` records.
    pub altered_items: Vec<Detail>,
    /// Records counted but not kept, past [`DETAILS_KEPT`] per list.
    #[serde(skip)]
    pub dropped: u64,
}

impl DetailLists {
    /// True when all four lists are empty.
    pub fn is_empty(&self) -> bool {
        self.warnings.is_empty()
            && self.skipped_items.is_empty()
            && self.dangerous_items.is_empty()
            && self.altered_items.is_empty()
    }
}

/// One detail record: `[[Module, function, line], "text", link?]`, or the
/// TRANSFER-queue form `{"msg":["text", ...]}`, or a bare string.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Detail {
    /// Module that reported it, e.g. `Mysql`.
    pub module: Option<String>,
    /// Function that reported it.
    pub function: Option<String>,
    /// Source line in the module.
    pub line: Option<u64>,
    /// The record's text.
    pub text: String,
    /// The optional link (third element), as raw JSON.
    pub link: Option<String>,
}

/// Decodes a JSON string literal (with its quotes): borrowed when it holds
/// no escapes.
pub(crate) fn unquote(s: &str) -> Cow<'_, str> {
    let inner = s.strip_prefix('"').and_then(|t| t.strip_suffix('"'));
    match inner {
        Some(inner) if !inner.as_bytes().contains(&b'\\') => Cow::Borrowed(inner),
        _ => match serde_json::from_str::<String>(s) {
            Ok(v) => Cow::Owned(v),
            Err(_) => Cow::Borrowed(s),
        },
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn joined_clipped_is_the_clip_of_the_join() {
        for (json, max) in [
            (r#"["a","b"]"#, 10),
            (r#"["abc","def"]"#, 4),
            (r#"["é","é","é"]"#, 4),
            (r#"["x\u201cy",1,null,{"k":2}]"#, 6),
            (r#"["one"]"#, 2),
            ("[]", 0),
        ] {
            let l = lines(json);
            for sep in ["", " ", "\n"] {
                assert_eq!(
                    l.joined_clipped(sep, max),
                    TextCap::clip(&l.joined(sep), max),
                    "{json} {sep:?}"
                );
            }
        }
        // A long array is measured whole and cut, without a list of parts.
        let n = 2_000_000;
        let json = format!("[{}]", vec!["7"; n].join(","));
        let t = lines(&json).joined_clipped(" ", 4096);
        assert!(
            t.contains(&format!("…[{} bytes #", 2 * n - 1)),
            "{}",
            &t[4000..]
        );
        assert!(t.len() < 4200);
    }

    fn lines(json: &str) -> MsgLines<'_> {
        MsgLines::new(serde_json::from_str(json).unwrap())
    }

    #[test]
    fn single_string_arrays_take_the_short_way() {
        assert!(matches!(
            lines(r#"["plain"]"#).single(),
            Some(Cow::Borrowed("plain"))
        ));
        assert_eq!(lines(r#"["q\"uote"]"#).single().as_deref(), Some("q\"uote"));
        assert_eq!(lines(r#"["a","b"]"#).single(), None);
        assert_eq!(lines(r#"["a\\","b"]"#).single(), None);
        assert_eq!(lines(r#"[1]"#).single(), None);
        for j in [
            r#"["plain"]"#,
            r#"["q\"uote"]"#,
            r#"["a","b"]"#,
            r#"["a\\","b"]"#,
            r#"[ "x" ]"#,
        ] {
            assert_eq!(lines(j).joined(""), lines(j).to_vec().join(""), "{j}");
        }
    }
}
