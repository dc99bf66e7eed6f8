//! Flat rows shared by the tabular formats (CSV, JSON lines, Markdown and
//! terminal tables), so every format shows the same fields. Each row's
//! columns are declared once, with [`crate::columns!`] (see
//! [`crate::view`]).

use std::io::{self, Write};

use serde::Serialize;
use xferlens_replay::{whm_state, Account, Item, ItemStatus, Queue, Session, RESTORE, TRANSFER};

use crate::columns;
use crate::csv::CsvOut;
use crate::shown::{shown, How, Join, Shown};
use crate::time::rfc3339;
use crate::view::{Cell, Json, Row};

/// One item of one queue, flattened.
#[derive(Clone, Debug)]
pub struct ItemRow<'a> {
    /// Session id.
    pub session_id: &'a str,
    /// Queue.
    pub queue: &'a str,
    /// Item type.
    pub item_type: &'a str,
    /// Human label.
    pub item_name: Option<&'a str>,
    /// Source-side name.
    pub item: &'a str,
    /// Name on this server.
    pub local_item: Option<&'a str>,
    /// Worker child number.
    pub child: Option<u64>,
    /// success, warning, failed, running, pending.
    pub status: &'static str,
    /// Size in bytes.
    pub size_bytes: Option<u64>,
    /// RFC 3339 start (`null` in JSON, empty in CSV, when unknown).
    pub started_at: Option<String>,
    /// RFC 3339 finish.
    pub finished_at: Option<String>,
    /// Seconds.
    pub duration_s: Option<i64>,
    /// Seconds from start to finish, paused time included.
    pub wall_s: Option<i64>,
    /// Count.
    pub warnings: u64,
    /// Count.
    pub skipped_items: u64,
    /// Count.
    pub dangerous_items: u64,
    /// Count.
    pub altered_items: u64,
    /// Failure reason or message.
    pub message: Option<&'a str>,
    /// Item log file name.
    pub logfile: Option<&'a str>,
}

impl<'a> ItemRow<'a> {
    /// The row of `item` in `s`.
    pub fn new(s: &'a Session, it: &'a Item) -> ItemRow<'a> {
        ItemRow {
            session_id: &s.id,
            queue: &it.queue,
            item_type: &it.item_type,
            item_name: it.item_name.as_deref(),
            item: &it.item,
            local_item: it.local_item.as_deref(),
            child: it.child,
            status: it.status.as_str(),
            size_bytes: it.size,
            started_at: it.started_at.map(rfc3339),
            finished_at: it.finished_at.map(rfc3339),
            duration_s: it.duration_s(),
            wall_s: it.wall_s(),
            warnings: it.counts.warnings,
            skipped_items: it.counts.skipped_items,
            dangerous_items: it.counts.dangerous_items,
            altered_items: it.counts.altered_items,
            message: it.reason(),
            logfile: it.logfile.as_deref(),
        }
    }
}

columns! { ItemRow<'a> as r => ITEM_COLUMNS {
    "session_id" => Cell::text(r.session_id),
    "queue" => Cell::text(r.queue),
    "item_type" => Cell::text(r.item_type),
    "item_name" => Cell::opt(r.item_name),
    "item" => Cell::text(r.item),
    "local_item" => Cell::opt(r.local_item),
    "child" => Cell::UInt(r.child),
    "status" => Cell::text(r.status),
    "size_bytes" => Cell::UInt(r.size_bytes),
    "started_at" => Cell::opt(r.started_at.as_deref()),
    "finished_at" => Cell::opt(r.finished_at.as_deref()),
    "duration_s" => Cell::Int(r.duration_s),
    "wall_s" => Cell::Int(r.wall_s),
    "warnings" => Cell::count(r.warnings),
    "skipped_items" => Cell::count(r.skipped_items),
    "dangerous_items" => Cell::count(r.dangerous_items),
    "altered_items" => Cell::count(r.altered_items),
    "message" => Cell::opt(r.message),
    "logfile" => Cell::opt(r.logfile),
} }

/// One account with its TRANSFER and RESTORE side by side.
#[derive(Clone, Debug)]
pub struct AccountRow<'a> {
    /// Session id.
    pub session_id: &'a str,
    /// Item type.
    pub item_type: &'a str,
    /// Source-side name.
    pub item: &'a str,
    /// Name on this server.
    pub local_item: Option<&'a str>,
    /// Status in TRANSFER (`pending` when not seen).
    pub transfer_status: &'static str,
    /// Status in RESTORE.
    pub restore_status: &'static str,
    /// Combined.
    pub overall: &'static str,
    /// TRANSFER reason or message.
    pub transfer_message: Option<&'a str>,
    /// RESTORE reason or message.
    pub restore_message: Option<&'a str>,
}

impl<'a> AccountRow<'a> {
    /// The row of account `a` in `s`.
    pub fn new(s: &'a Session, a: &'a Account) -> AccountRow<'a> {
        let st = |i: Option<usize>| i.map_or("pending", |i| s.items[i].status.as_str());
        let msg = |i: Option<usize>| i.and_then(|i| s.items[i].reason());
        AccountRow {
            session_id: &s.id,
            item_type: &a.item_type,
            item: &a.item,
            local_item: a.local_item.as_deref(),
            transfer_status: st(a.transfer),
            restore_status: st(a.restore),
            overall: a.overall.as_str(),
            transfer_message: msg(a.transfer),
            restore_message: msg(a.restore),
        }
    }
}

columns! { AccountRow<'a> as r => ACCOUNT_COLUMNS {
    "session_id" => Cell::text(r.session_id),
    "item_type" => Cell::text(r.item_type),
    "item" => Cell::text(r.item),
    "local_item" => Cell::opt(r.local_item),
    "transfer_status" => Cell::text(r.transfer_status),
    "restore_status" => Cell::text(r.restore_status),
    "overall" => Cell::text(r.overall),
    "transfer_message" => Cell::opt(r.transfer_message),
    "restore_message" => Cell::opt(r.restore_message),
} }

/// One session, flattened: its facts, and the counts of TRANSFER and
/// RESTORE side by side (`sessions.csv`).
#[derive(Clone, Debug)]
pub struct SessionRow<'a> {
    /// The session.
    pub s: &'a Session,
    /// WHM-style state.
    pub whm_state: String,
    /// RFC 3339 start.
    pub started_at: Option<String>,
    /// RFC 3339 finish.
    pub finished_at: Option<String>,
    /// TRANSFER: total, success, warning, failed, running, pending.
    pub transfer: [u64; 6],
    /// RESTORE, as `transfer`.
    pub restore: [u64; 6],
    /// Bytes of all queues.
    pub bytes_total: u64,
    /// Bytes done (WHM algorithm).
    pub bytes_done: f64,
}

impl<'a> SessionRow<'a> {
    /// The row of `s`.
    pub fn new(s: &'a Session) -> SessionRow<'a> {
        let counts = |name: &str| {
            s.queue(name).map_or([0; 6], |q| {
                [
                    q.items_total,
                    q.success,
                    q.warning,
                    q.failed,
                    q.running,
                    q.pending,
                ]
            })
        };
        SessionRow {
            s,
            whm_state: whm_state(s),
            started_at: s.started_at.map(rfc3339),
            finished_at: s.finished_at.map(rfc3339),
            transfer: counts(TRANSFER),
            restore: counts(RESTORE),
            bytes_total: s
                .queues
                .iter()
                .fold(0u64, |a, q| a.saturating_add(q.bytes_total)),
            bytes_done: s.queues.iter().map(|q| q.bytes_done).sum(),
        }
    }
}

columns! { SessionRow<'a> as r => SESSION_COLUMNS {
    "session_id" => Cell::text(&r.s.id),
    "state" => Cell::text(r.s.state.as_str()),
    "whm_state" => Cell::text(&r.whm_state),
    "remote_host" => Cell::opt(r.s.remote_host.as_deref()),
    "started_at" => Cell::opt(r.started_at.as_deref()),
    "finished_at" => Cell::opt(r.finished_at.as_deref()),
    "duration_s" => Cell::Int(r.s.duration_s()),
    "wall_s" => Cell::Int(r.s.wall_s()),
    "transfer_total" => Cell::count(r.transfer[0]),
    "transfer_success" => Cell::count(r.transfer[1]),
    "transfer_warning" => Cell::count(r.transfer[2]),
    "transfer_failed" => Cell::count(r.transfer[3]),
    "transfer_running" => Cell::count(r.transfer[4]),
    "transfer_pending" => Cell::count(r.transfer[5]),
    "restore_total" => Cell::count(r.restore[0]),
    "restore_success" => Cell::count(r.restore[1]),
    "restore_warning" => Cell::count(r.restore[2]),
    "restore_failed" => Cell::count(r.restore[3]),
    "restore_running" => Cell::count(r.restore[4]),
    "restore_pending" => Cell::count(r.restore[5]),
    "bytes_total" => Cell::count(r.bytes_total),
    "bytes_done" => Cell::Fixed(Some(r.bytes_done), 0),
    "percent" => Cell::Fixed(Some(r.s.percent()), 1),
    "diagnostics" => Cell::count(r.s.diagnostics.len() as u64),
    "skipped_lines" => Cell::count(r.s.skipped_lines),
} }

/// One line of a log, as `xferlens events` lists it.
#[derive(Clone, Debug)]
pub struct EventRow<'a> {
    /// Session id.
    pub session_id: &'a str,
    /// Position among the session's listed lines (1-based).
    pub seq: u64,
    /// The log file.
    pub file: &'a str,
    /// Line number in the file.
    pub line: u64,
    /// RFC 3339 time of the line.
    pub time: Option<String>,
    /// Process id of the writer.
    pub pid: Option<u64>,
    /// Worker child number.
    pub child: Option<u64>,
    /// Queue.
    pub queue: Option<&'a str>,
    /// The control action, or the line type.
    pub action: &'a str,
    /// Source-side name.
    pub item: Option<&'a str>,
    /// Name on this server.
    pub local_item: Option<&'a str>,
    /// Item type.
    pub item_type: Option<&'a str>,
    /// The message, as text.
    pub msg: Option<String>,
}

columns! { EventRow<'a> as r => EVENT_COLUMNS {
    "session_id" => Cell::text(r.session_id),
    "seq" => Cell::count(r.seq),
    "file" => Cell::text(r.file),
    "line" => Cell::count(r.line),
    "time" => Cell::opt(r.time.as_deref()),
    "pid" => Cell::UInt(r.pid),
    "child" => Cell::UInt(r.child),
    "queue" => Cell::opt(r.queue),
    "action" => Cell::text(r.action),
    "item" => Cell::opt(r.item),
    "local_item" => Cell::opt(r.local_item),
    "item_type" => Cell::opt(r.item_type),
    "msg" => Cell::opt(r.msg.as_deref()),
} }

/// Writes the item rows of `sessions` as CSV (header included).
pub fn items_csv<W: Write>(sessions: &[Session], raw: bool, out: W) -> io::Result<()> {
    let mut c = CsvOut::new(out, raw);
    c.header_of::<ItemRow>()?;
    for s in sessions {
        for it in s.items_by_queue() {
            c.record(&ItemRow::new(s, it))?;
        }
    }
    c.finish()
}

/// Writes one CSV row per account (TRANSFER and RESTORE side by side).
pub fn accounts_csv<W: Write>(sessions: &[Session], raw: bool, out: W) -> io::Result<()> {
    let mut c = CsvOut::new(out, raw);
    c.header_of::<AccountRow>()?;
    for s in sessions {
        for a in s.accounts() {
            c.record(&AccountRow::new(s, &a))?;
        }
    }
    c.finish()
}

/// Writes one CSV row per session.
pub fn sessions_csv<W: Write>(sessions: &[Session], raw: bool, out: W) -> io::Result<()> {
    let mut c = CsvOut::new(out, raw);
    c.header_of::<SessionRow>()?;
    for s in sessions {
        c.record(&SessionRow::new(s))?;
    }
    c.finish()
}

/// Progress of one queue, as `progress --format json` writes it (one
/// JSON object per queue, from its columns).
pub struct QueueProgress<'a>(pub &'a Queue);

columns! { QueueProgress<'a> as r => QUEUE_PROGRESS_COLUMNS {
    "queue" => Cell::text(&r.0.name),
    "state" => Cell::Text(Some(r.0.state.whm_name(&r.0.name).into())),
    "items_total" => Cell::count(r.0.items_total),
    "success" => Cell::count(r.0.success),
    "warning" => Cell::count(r.0.warning),
    "failed" => Cell::count(r.0.failed),
    "running" => Cell::count(r.0.running),
    "pending" => Cell::count(r.0.pending),
    "bytes_total" => Cell::count(r.0.bytes_total),
    "bytes_done" => Cell::count(r.0.bytes_done.round() as u64),
    "percent" => Cell::Fixed(Some(r.0.percent), 1),
    "throughput_bps" => Cell::Fixed(r.0.throughput_bps, 1),
    "eta_s" => Cell::Fixed(r.0.eta_s, 0),
} }

impl Serialize for QueueProgress<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Json(self).serialize(s)
    }
}

/// One queue as the reports show it: its progress columns, and the counts
/// and byte totals people read.
pub struct QueueLine<'a>(pub QueueProgress<'a>);

columns! { QueueLine<'a> as r => QUEUE_LINE_COLUMNS: QueueProgress = r.0; {
    "completed" => Cell::count(r.0 .0.completed()),
    // Bytes moved and to move, unknown when the log gives no sizes.
    "sized_done" => Cell::Fixed((r.0 .0.bytes_total > 0).then_some(r.0 .0.bytes_done), 0),
    "sized_total" => Cell::UInt((r.0 .0.bytes_total > 0).then_some(r.0 .0.bytes_total)),
} }

/// The queue table of a session's HTML report.
pub const QUEUES_SHOWN: [Shown; 10] = [
    shown("Queue", "queue", How::Text),
    shown("State", "state", How::State),
    shown("Items", "items_total", How::Number),
    shown("Completed", "completed", How::Number),
    shown("Had warnings", "warning", How::Number),
    shown("Failed", "failed", How::Number),
    shown("Running", "running", How::Number),
    shown("Pending", "pending", How::Number),
    shown("Bytes", "sized_done", How::Bytes)
        .then(Join::Of, "sized_total", How::Bytes)
        .nowrap(),
    shown("Progress", "percent", How::Bar),
];

/// The queue table of a session's Markdown report: the same, its last
/// heading "Percent".
pub const QUEUES_MARKDOWN: [Shown; 10] = {
    let mut t = QUEUES_SHOWN;
    t[9].heading = "Percent";
    t
};

/// One session as the reports' session lists show it: its row, where it
/// stands in the list, and the link to its section.
pub struct SessionLine<'a> {
    /// The session's row.
    pub row: SessionRow<'a>,
    /// Its place in the list, from 0 (the list's own order).
    pub rank: usize,
    /// The anchor of its section on the page; `None` when it has none.
    pub anchor: Option<String>,
}

impl<'a> SessionLine<'a> {
    /// The line of `s`, at `rank`, linked to `anchor`.
    pub fn new(s: &'a Session, rank: usize, anchor: Option<String>) -> SessionLine<'a> {
        SessionLine {
            row: SessionRow::new(s),
            rank,
            anchor,
        }
    }
}

/// The sum of one count over a session's queues.
fn queue_sum(s: &Session, count: fn(&xferlens_replay::Queue) -> u64) -> u64 {
    s.queues.iter().map(count).fold(0, u64::saturating_add)
}

columns! { SessionLine<'a> as r => SESSION_LINE_COLUMNS: SessionRow = r.row; {
    "rank" => Cell::count(r.rank as u64),
    "anchor" => Cell::opt(r.anchor.as_deref()),
    "started_unix" => Cell::Int(r.row.s.started_at),
    "failed_items" => Cell::count(r.row.s.items_with(xferlens_replay::ItemStatus::Failed).count() as u64),
    "warned_items" => Cell::count(queue_sum(r.row.s, |q| q.warning)),
    "pending_items" => Cell::count(queue_sum(r.row.s, |q| q.pending)),
} }

/// The sortable session list of the HTML reports.
pub const SESSIONS_SHOWN: [Shown; 10] = [
    shown("Session", "session_id", How::Text)
        .sorted_by("rank", "")
        .linked_by("anchor"),
    shown("State", "state", How::Status),
    shown("Source host", "remote_host", How::Text),
    shown("Started (UTC)", "started_at", How::Clock).sorted_by("started_unix", "0"),
    shown("Duration", "duration_s", How::Elapsed).sorted_by("duration_s", "-1"),
    shown("Failed", "failed_items", How::Number),
    shown("Warnings", "warned_items", How::Number),
    shown("Pending", "pending_items", How::Number),
    shown("Progress", "percent", How::SmallBar).sorted_by("percent", ""),
    shown("Diagnostics", "diagnostics", How::Number),
];

/// The session list of the Markdown reports.
pub const SESSIONS_MARKDOWN: [Shown; 11] = [
    shown("Session", "session_id", How::Id),
    shown("State", "state", How::Status),
    shown("Source host", "remote_host", How::Text),
    shown("Started", "started_at", How::Text),
    shown("Duration", "duration_s", How::Elapsed),
    shown("Failed", "failed_items", How::Number),
    shown("Warnings", "warned_items", How::Number),
    shown("Pending", "pending_items", How::Number),
    shown("Percent", "percent", How::Bar),
    shown("Diagnostics", "diagnostics", How::Number),
    shown("Skipped lines", "skipped_lines", How::Number),
];

/// One item as the reports' item tables show it: its row, with its label,
/// the reason people read (the failing restore step where there is one),
/// its markers and its slowest restore steps.
pub struct ItemLine<'a> {
    /// The item's row.
    pub row: ItemRow<'a>,
    /// The item, for what a report nests under its reason.
    pub it: &'a Item,
}

impl<'a> ItemLine<'a> {
    /// The line of `it` in `s`.
    pub fn new(s: &'a Session, it: &'a Item) -> ItemLine<'a> {
        ItemLine {
            row: ItemRow::new(s, it),
            it,
        }
    }
}

columns! { ItemLine<'a> as r => ITEM_LINE_COLUMNS: ItemRow = r.row; {
    "label" => Cell::Text(Some(r.it.label().into())),
    "reason" => Cell::Text(crate::modules::reason(r.it).map(Into::into)),
    "cascaded" => Cell::count(u64::from(r.it.cascaded)),
    "worker_crashed" => Cell::count(u64::from(r.it.worker_crashed)),
    "steps" => Cell::Text(Some(crate::modules::breakdown(r.it, 3).into())),
} }

/// The first columns of the reports' item tables: queue, item, reason
/// with its markers.
pub const ITEMS_SHOWN: [Shown; 4] = [
    shown("Queue", "queue", How::Text),
    shown("Item", "label", How::Text),
    shown("Local name", "local_item", How::Text),
    shown("Reason", "reason", How::Text)
        .then(Join::Muted, "cascaded", How::Flag("(cascade)"))
        .then(Join::Muted, "worker_crashed", How::Flag("(worker crashed)")),
];

/// The count columns an item can carry; a table shows those that are not
/// all zeros (see [`items_shown`]).
pub const COUNTS_SHOWN: [Shown; 4] = [
    shown("Warnings", "warnings", How::Number),
    shown("Skipped", "skipped_items", How::Number),
    shown("Dangerous", "dangerous_items", How::Number),
    shown("Altered", "altered_items", How::Number),
];

/// The item table of a problem list: [`ITEMS_SHOWN`] and the count
/// columns that are not all zeros over `lines` (a column of zeros says
/// nothing and takes room).
pub fn items_shown(lines: &[ItemLine<'_>]) -> Vec<Shown> {
    let mut shown = ITEMS_SHOWN.to_vec();
    shown.extend(COUNTS_SHOWN.into_iter().filter(|c| {
        // The counts are the item row's own columns: read from it, not
        // from the line's (whose reason and steps cost more to make).
        let at = crate::view::position::<ItemRow<'_>>(c.column);
        lines
            .iter()
            .any(|l| l.row.cells()[at].number().is_some_and(|n| n > 0.0))
    }));
    shown
}

/// The slowest items of a session's Markdown report.
pub const SLOWEST_SHOWN: [Shown; 4] = [
    shown("Queue", "queue", How::Text),
    shown("Item", "label", How::Text),
    shown("Duration", "duration_s", How::Elapsed),
    shown("Longest steps", "steps", How::Text),
];

/// A worker death (`child-failed`) as a session report lists it.
pub struct ChildFailureRow<'a> {
    /// The death.
    pub c: &'a xferlens_replay::ChildFailure,
    /// The key of the item the worker held (`TRANSFER account bob`).
    pub item: Option<String>,
}

impl<'a> ChildFailureRow<'a> {
    /// The row of `c` in `s`.
    pub fn new(s: &Session, c: &'a xferlens_replay::ChildFailure) -> ChildFailureRow<'a> {
        ChildFailureRow {
            c,
            item: c.item.map(|i| s.items[i].key()),
        }
    }
}

columns! { ChildFailureRow<'a> as r => CHILD_FAILURE_COLUMNS {
    "queue" => Cell::opt(r.c.queue.as_deref()),
    "child" => Cell::UInt(r.c.child),
    "retry" => Cell::opt(r.c.retry.as_deref()),
    "line" => Cell::count(r.c.line),
    "item" => Cell::opt(r.item.as_deref()),
} }

/// The worker crashes of a session's Markdown report.
pub const CHILD_FAILURES_SHOWN: [Shown; 5] = [
    shown("Queue", "queue", How::Text),
    shown("Child", "child", How::Number),
    shown("Retry", "retry", How::Text),
    shown("Master line", "line", How::Number),
    shown("Item", "item", How::Text),
];

/// One account on a session's time axis: its row, its TRANSFER and
/// RESTORE items, and when it started and ended.
pub struct AccountSpan<'a> {
    /// The account's row.
    pub row: AccountRow<'a>,
    /// The account.
    pub a: &'a Account,
    /// Its TRANSFER and RESTORE items, where seen.
    pub items: [Option<&'a Item>; 2],
    /// Its first start (Unix seconds).
    pub start: Option<i64>,
    /// Its last end, or the session's last line for a running item.
    pub end: Option<i64>,
}

impl<'a> AccountSpan<'a> {
    /// The span of account `a` in `s`.
    pub fn new(s: &'a Session, a: &'a Account) -> AccountSpan<'a> {
        let item = |i: Option<usize>| i.map(|i| &s.items[i]);
        let items = [item(a.transfer), item(a.restore)];
        let start = items.iter().flatten().filter_map(|i| i.started_at).min();
        let end = items
            .iter()
            .flatten()
            .filter_map(|i| i.finished_at.or(i.started_at.and(s.last_event_at)))
            .max();
        AccountSpan {
            row: AccountRow::new(s, a),
            a,
            items,
            start,
            end,
        }
    }
}

columns! { AccountSpan<'a> as r => ACCOUNT_SPAN_COLUMNS: AccountRow = r.row; {
    "label" => Cell::Text(Some(r.a.label().into())),
    "size_bytes" => Cell::UInt(r.items.iter().flatten().filter_map(|i| i.size).max()),
    "span_s" => Cell::Int(r.start.zip(r.end).map(|(b, e)| (e - b).max(0))),
    "started_unix" => Cell::Int(r.start),
    "reason" => Cell::Text(
        r.items
            .iter()
            .flatten()
            .filter(|i| matches!(i.status, ItemStatus::Failed | ItemStatus::Warning))
            .find_map(|i| crate::modules::reason(i))
            .map(Into::into),
    ),
} }

/// The accounts of a session's HTML report on one time axis (the axis
/// column is drawn by the caller; its heading says the axis).
pub const ACCOUNT_SPANS_SHOWN: [Shown; 6] = [
    shown("Account", "label", How::Text).nowrap(),
    shown("Status", "overall", How::Outcome),
    shown("Size", "size_bytes", How::Bytes).sorted_by("size_bytes", "0"),
    shown("Duration", "span_s", How::Elapsed).sorted_by("span_s", "-1"),
    shown("Timeline", "started_unix", How::Blank)
        .sorted_by("started_unix", "0")
        .classed("tl"),
    shown("Reason", "reason", How::Text),
];
