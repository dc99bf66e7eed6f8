//! An account's log read as text (`xferlens log`), and its rows for CSV
//! and NDJSON: each line styled by its type as cPanel's Transfer Session
//! page and `view_transfer` style it (docs/FORMAT.md, "Reading a log").
//!
//! Log text is untrusted: every piece is neutralised for the terminal
//! ([`crate::escape::terminal`]) before it is styled.

use std::borrow::Cow;

use xferlens_replay::{EntryKind, ExcerptLine, Level, LogEntry};

use crate::escape::terminal as t;
use crate::style::Style;
use crate::time::rfc3339;
use crate::view::Cell;

/// Which log an entry comes from, for its rows and headings.
#[derive(Clone, Debug, Default)]
pub struct LogSource<'a> {
    /// The session id.
    pub session_id: &'a str,
    /// The queue (`TRANSFER`, `RESTORE`), empty for a master log.
    pub queue: &'a str,
    /// The item type (`AccountRemoteRoot`).
    pub item_type: &'a str,
    /// The item (account) name on the source server.
    pub item: &'a str,
    /// The file name the lines come from.
    pub file: &'a str,
}

/// One log line as a row of the `log` table.
pub struct LogRow<'a> {
    /// Where it comes from.
    pub src: &'a LogSource<'a>,
    /// The line.
    pub e: &'a LogEntry<'a>,
}

crate::columns! { LogRow<'a> as r => LOG_COLUMNS {
    "session_id" => Cell::text(r.src.session_id),
    "queue" => Cell::text(r.src.queue),
    "item_type" => Cell::text(r.src.item_type),
    "account" => Cell::text(r.src.item),
    "file" => Cell::text(r.src.file),
    "line" => Cell::count(r.e.line),
    "time" => Cell::Text(r.e.time.map(|t| Cow::Owned(rfc3339(t)))),
    "type" => Cell::text(kind_name(r.e)),
    "action" => Cell::opt(r.e.action),
    "level" => Cell::text(r.e.kind.level().as_str()),
    "module" => Cell::opt(r.e.module),
    "worker" => Cell::opt(r.e.worker),
    "indent" => Cell::count(u64::from(r.e.indent)),
    "percent" => Cell::Fixed(r.e.percent, 1),
    "remote" => Cell::count(u64::from(r.e.remote)),
    "message" => Cell::text(r.e.text),
} }

/// The `type` column: the line's own, or what a line that is not JSON is.
fn kind_name<'a>(e: &LogEntry<'a>) -> &'a str {
    match e.kind {
        EntryKind::Stderr => "stderr",
        EntryKind::Broken => "broken",
        _ => e.type_name,
    }
}

/// How lines are laid out as text.
#[derive(Clone, Debug, Default)]
pub struct TextLayout {
    /// Colour on.
    pub color: bool,
    /// Show each line's time.
    pub times: bool,
    /// Times relative to this instant (the item's start), not absolute.
    pub relative_to: Option<i64>,
    /// Show the module column.
    pub modules: bool,
    /// Prefix `file:line:` (grep's `-n`).
    pub line_numbers: bool,
    /// Wrap text at this width, continuation lines under the text.
    pub width: Option<usize>,
    /// The time of the last line before, shown (dimmed) for a line that
    /// has none of its own.
    pub inherited_time: Option<i64>,
}

/// The style cPanel gives a line of this kind (Cpanel::Output::Restore
/// and TransferLogRender.js): errors red, warnings yellow, success green,
/// headers bold, module starts bold blue.
pub fn style_of(kind: EntryKind) -> Option<Style> {
    Some(match kind {
        EntryKind::Error
        | EntryKind::Failed
        | EntryKind::Stderr
        | EntryKind::Broken
        | EntryKind::ModuleStatus { ok: false }
        | EntryKind::Summary { dangerous: true } => Style::Red,
        EntryKind::Warn | EntryKind::Summary { dangerous: false } => Style::Yellow,
        EntryKind::Success | EntryKind::ModuleStatus { ok: true } => Style::Green,
        EntryKind::Header | EntryKind::Start | EntryKind::ActionStart => Style::Bold,
        EntryKind::ModuleStart => Style::Blue,
        EntryKind::ModuleEnd | EntryKind::Debug => Style::Dim,
        _ => return None,
    })
}

/// Width of the module column.
const MODULE_WIDTH: usize = 10;

/// `+1:05` style offset from the item's start.
fn relative(secs: i64) -> String {
    let (sign, s) = if secs < 0 { ("-", -secs) } else { ("+", secs) };
    if s >= 3600 {
        format!("{sign}{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{sign}{}:{:02}", s / 60, s % 60)
    }
}

/// The text of a line as shown: what a few kinds add to the message.
fn shown_text<'e>(e: &'e LogEntry<'_>) -> Cow<'e, str> {
    match (e.kind, e.action) {
        // A line that cannot be read: its diagnostic, then the line.
        (EntryKind::Broken, Some(code)) => Cow::Owned(format!("({code}) {}", e.text)),
        _ => decorated(e.kind, e.module, e.text),
    }
}

/// A line's text with what its kind adds (module marks, `stderr:`, a
/// module status's verdict).
fn decorated<'t>(kind: EntryKind, module: Option<&str>, text: &'t str) -> Cow<'t, str> {
    match kind {
        EntryKind::ModuleStart => Cow::Owned(format!("▶ {text}")),
        EntryKind::ModuleEnd => Cow::Owned(format!("◀ {text}")),
        EntryKind::ActionStart => Cow::Owned(format!("· {text}")),
        EntryKind::Stderr => Cow::Owned(format!("stderr: {text}")),
        EntryKind::ModuleStatus { ok } => {
            let word = if ok { "ok" } else { "FAILED" };
            let m = module.unwrap_or("");
            Cow::Owned(format!("{m} {word}: {text}"))
        }
        _ => Cow::Borrowed(text),
    }
}

/// One line of an excerpt (or a whole log) laid out as plain text: its
/// level, and the text `  123  Mysql      text`, clean of control
/// characters and escape sequences (still to be escaped for its medium).
pub struct PlainLine {
    /// How serious the line is (its colour).
    pub level: Level,
    /// The line is a module start (shown bold).
    pub module_start: bool,
    /// The text, or `…` for shown lines left out.
    pub text: String,
}

/// Lays out excerpt lines as text, one [`PlainLine`] per text line: line
/// number, module, the text indented; a message of several lines goes on
/// under its text; `…` where shown lines were left out. `modules`: show
/// the module column.
pub fn plain_lines(lines: &[ExcerptLine], modules: bool) -> Vec<PlainLine> {
    let width = lines
        .iter()
        .map(|l| l.line.to_string().len())
        .max()
        .unwrap_or(1)
        .max(4);
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if l.gap_before && i > 0 {
            out.push(PlainLine {
                level: Level::Info,
                module_start: false,
                text: format!("{:>width$}", "…"),
            });
        }
        let module = if modules {
            let m: String = t(l.module.as_deref().unwrap_or(""))
                .chars()
                .take(MODULE_WIDTH)
                .collect();
            format!("{m:<MODULE_WIDTH$} ")
        } else {
            String::new()
        };
        let gutter = format!("{:>width$}  {module}", l.line);
        let indent = "  ".repeat(l.indent.min(8) as usize);
        let text = decorated(l.kind, l.module.as_deref(), &l.text);
        for (j, piece) in text.split('\n').enumerate() {
            let lead = if j == 0 {
                gutter.clone()
            } else {
                " ".repeat(gutter.chars().count())
            };
            out.push(PlainLine {
                level: l.kind.level(),
                module_start: l.kind == EntryKind::ModuleStart,
                text: format!("{lead}{indent}{}", t(piece).trim_end()),
            });
        }
    }
    out
}

/// Writes one entry as text lines (a message of several lines, or one
/// wrapped at the width, continues under its text column).
pub fn text_line(e: &LogEntry<'_>, src: &LogSource<'_>, l: &TextLayout, out: &mut String) {
    let mut gutter = String::new();
    if l.line_numbers {
        gutter.push_str(&t(src.file));
        gutter.push(':');
        gutter.push_str(&e.line.to_string());
        gutter.push_str(": ");
    }
    if l.times {
        let time = match (e.time.or(l.inherited_time), l.relative_to) {
            (Some(tm), Some(base)) => relative(tm - base),
            (Some(tm), None) => rfc3339(tm).get(11..19).unwrap_or("").to_owned(),
            (None, _) => String::new(),
        };
        gutter.push_str(&format!("{time:>8} "));
    }
    if l.modules {
        let m: String = e
            .module
            .map(t)
            .unwrap_or_default()
            .chars()
            .take(MODULE_WIDTH)
            .collect();
        gutter.push_str(&format!("{m:<MODULE_WIDTH$} "));
    }
    if let Some(w) = e.worker {
        gutter.push_str(&format!("[{:<10}] ", t(w)));
    }
    let indent = "  ".repeat(e.indent as usize);
    let lead = gutter.chars().count() + indent.chars().count();
    let style = style_of(e.kind);
    let text = shown_text(e);
    let pieces: Vec<&str> = if text.is_empty() {
        vec![""]
    } else {
        text.lines().collect()
    };
    for (i, piece) in pieces.iter().enumerate() {
        let clean = t(piece);
        let room = l.width.map(|w| w.saturating_sub(lead).max(20));
        for (j, chunk) in wrap(&clean, room).into_iter().enumerate() {
            if i == 0 && j == 0 {
                out.push_str(&Style::Dim.paint(l.color, &gutter));
            } else {
                out.push_str(&" ".repeat(gutter.chars().count()));
            }
            out.push_str(&indent);
            match style {
                Some(s) => out.push_str(&s.paint(l.color, chunk)),
                None => out.push_str(chunk),
            }
            out.push('\n');
        }
    }
}

/// Cuts `s` into lines of at most `room` characters, at spaces where it
/// can (a word longer than the room is cut inside).
fn wrap(s: &str, room: Option<usize>) -> Vec<&str> {
    let Some(room) = room else { return vec![s] };
    let mut out = Vec::new();
    let mut rest = s;
    while rest.chars().count() > room {
        let cut = rest.char_indices().nth(room).map_or(rest.len(), |(i, _)| i);
        let at = if rest[cut..].starts_with(' ') {
            cut
        } else {
            rest[..cut].rfind(' ').filter(|&i| i > 0).unwrap_or(cut)
        };
        out.push(rest[..at].trim_end());
        rest = rest[at..].trim_start();
    }
    out.push(rest);
    out
}

/// The heading line above an item's log: queue, type, name, then the
/// session and file while they fit `width`.
pub fn heading(src: &LogSource<'_>, width: Option<usize>, color: bool) -> String {
    let mut parts: Vec<String> = Vec::new();
    if !src.queue.is_empty() {
        parts.push(format!(
            "{} {} {}",
            t(src.queue),
            t(src.item_type),
            t(src.item)
        ));
    }
    parts.push(t(src.session_id));
    if src.file != src.session_id {
        parts.push(t(src.file));
    }
    let mut line = format!("── {} ──", parts[0]);
    for n in 2..=parts.len() {
        let longer = format!("── {} ──", parts[..n].join(" · "));
        if width.is_some_and(|w| longer.chars().count() > w) {
            break;
        }
        line = longer;
    }
    Style::Bold.paint(color, &line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: EntryKind, text: &str) -> LogEntry<'_> {
        LogEntry {
            line: 7,
            kind,
            type_name: "out",
            action: None,
            indent: 1,
            time: Some(1_764_338_412),
            module: Some("Mysql"),
            worker: None,
            text,
            remote: false,
            percent: None,
            item: None,
            local_item: None,
        }
    }

    #[test]
    fn lines_carry_time_module_indent_and_neutralised_text() {
        let src = LogSource {
            file: "item-RESTORE_AccountRemoteRoot_bob",
            ..LogSource::default()
        };
        let l = TextLayout {
            times: true,
            modules: true,
            line_numbers: true,
            ..TextLayout::default()
        };
        let mut out = String::new();
        text_line(
            &entry(EntryKind::Out, "two\nlines \u{1b}[31mred"),
            &src,
            &l,
            &mut out,
        );
        let head = "item-RESTORE_AccountRemoteRoot_bob:7: 14:00:12 Mysql      ";
        let want = format!("{head}  two\n{}  lines red\n", " ".repeat(head.len()));
        assert_eq!(out, want);
        let mut out = String::new();
        let rel = TextLayout {
            times: true,
            relative_to: Some(1_764_338_412 - 65),
            color: true,
            ..TextLayout::default()
        };
        text_line(&entry(EntryKind::Failed, "Failed: x"), &src, &rel, &mut out);
        assert!(out.contains("+1:05"), "{out}");
        assert!(out.contains("\u{1b}[31mFailed: x\u{1b}[0m"), "{out:?}");
    }

    #[test]
    fn long_text_wraps_under_its_column() {
        assert_eq!(wrap("aaa bbb ccc", Some(7)), ["aaa bbb", "ccc"]);
        assert_eq!(wrap("abcdefghij", Some(4)), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("short", None), ["short"]);
    }
}
