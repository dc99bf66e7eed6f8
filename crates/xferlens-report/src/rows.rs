//! Flat rows shared by the tabular formats (CSV, JSON lines, Markdown and
//! terminal tables), so every format shows the same fields.

use serde::Serialize;
use xferlens_replay::{whm_state, Account, Item, Session};

use crate::time::{rfc3339, rfc3339_opt};

/// Column names of `items` output, in order.
pub const ITEM_COLUMNS: [&str; 18] = [
    "session_id",
    "queue",
    "item_type",
    "item_name",
    "item",
    "local_item",
    "child",
    "status",
    "size_bytes",
    "started_at",
    "finished_at",
    "duration_s",
    "warnings",
    "skipped_items",
    "dangerous_items",
    "altered_items",
    "message",
    "logfile",
];

/// One item of one queue, flattened.
#[derive(Clone, Debug, Serialize)]
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
            warnings: it.counts.warnings,
            skipped_items: it.counts.skipped_items,
            dangerous_items: it.counts.dangerous_items,
            altered_items: it.counts.altered_items,
            message: it.reason(),
            logfile: it.logfile.as_deref(),
        }
    }

    /// Writes the row to a CSV table, cell by cell, without building
    /// strings for it.
    pub fn write_csv<W: std::io::Write>(
        &self,
        c: &mut crate::csv::CsvOut<W>,
    ) -> std::io::Result<()> {
        fn o(v: Option<&str>) -> &str {
            v.unwrap_or("")
        }
        c.field(self.session_id)?;
        c.field(self.queue)?;
        c.field(self.item_type)?;
        c.field(o(self.item_name))?;
        c.field(self.item)?;
        c.field(o(self.local_item))?;
        c.num(self.child)?;
        c.field(self.status)?;
        c.num(self.size_bytes)?;
        c.field(o(self.started_at.as_deref()))?;
        c.field(o(self.finished_at.as_deref()))?;
        c.num(self.duration_s)?;
        c.num(Some(self.warnings))?;
        c.num(Some(self.skipped_items))?;
        c.num(Some(self.dangerous_items))?;
        c.num(Some(self.altered_items))?;
        c.field(o(self.message))?;
        c.field(o(self.logfile))?;
        c.end_row()
    }

    /// The cells as text, in [`ITEM_COLUMNS`] order (numbers unquoted).
    pub fn cells(&self) -> [String; 18] {
        let o = |v: Option<&str>| v.unwrap_or("").to_owned();
        let n = |v: Option<u64>| v.map(|x| x.to_string()).unwrap_or_default();
        [
            self.session_id.to_owned(),
            self.queue.to_owned(),
            self.item_type.to_owned(),
            o(self.item_name),
            self.item.to_owned(),
            o(self.local_item),
            n(self.child),
            self.status.to_owned(),
            n(self.size_bytes),
            self.started_at.clone().unwrap_or_default(),
            self.finished_at.clone().unwrap_or_default(),
            self.duration_s.map(|d| d.to_string()).unwrap_or_default(),
            self.warnings.to_string(),
            self.skipped_items.to_string(),
            self.dangerous_items.to_string(),
            self.altered_items.to_string(),
            o(self.message),
            o(self.logfile),
        ]
    }
}

/// Column names of `items --accounts` output.
pub const ACCOUNT_COLUMNS: [&str; 9] = [
    "session_id",
    "item_type",
    "item",
    "local_item",
    "transfer_status",
    "restore_status",
    "overall",
    "transfer_message",
    "restore_message",
];

/// One account with its TRANSFER and RESTORE side by side.
#[derive(Clone, Debug, Serialize)]
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

    /// The cells as text.
    pub fn cells(&self) -> [String; 9] {
        let o = |v: Option<&str>| v.unwrap_or("").to_owned();
        [
            self.session_id.to_owned(),
            self.item_type.to_owned(),
            self.item.to_owned(),
            o(self.local_item),
            self.transfer_status.to_owned(),
            self.restore_status.to_owned(),
            self.overall.to_owned(),
            o(self.transfer_message),
            o(self.restore_message),
        ]
    }
}

/// Column names of `sessions.csv`.
pub const SESSION_COLUMNS: [&str; 24] = [
    "session_id",
    "state",
    "whm_state",
    "remote_host",
    "started_at",
    "finished_at",
    "duration_s",
    "transfer_total",
    "transfer_success",
    "transfer_warning",
    "transfer_failed",
    "transfer_running",
    "transfer_pending",
    "restore_total",
    "restore_success",
    "restore_warning",
    "restore_failed",
    "restore_running",
    "restore_pending",
    "bytes_total",
    "bytes_done",
    "percent",
    "diagnostics",
    "skipped_lines",
];

/// One session, flattened (per-queue counts for TRANSFER and RESTORE).
pub fn session_cells(s: &Session) -> Vec<String> {
    let mut v = vec![
        s.id.clone(),
        s.state.as_str().to_owned(),
        whm_state(s),
        s.remote_host.clone().unwrap_or_default(),
        rfc3339_opt(s.started_at),
        rfc3339_opt(s.finished_at),
        s.duration_s().map(|d| d.to_string()).unwrap_or_default(),
    ];
    for name in ["TRANSFER", "RESTORE"] {
        match s.queue(name) {
            Some(q) => v.extend(
                [
                    q.items_total,
                    q.success,
                    q.warning,
                    q.failed,
                    q.running,
                    q.pending,
                ]
                .map(|n| n.to_string()),
            ),
            None => v.extend(std::iter::repeat_n(String::from("0"), 6)),
        }
    }
    let total = s
        .queues
        .iter()
        .fold(0u64, |a, q| a.saturating_add(q.bytes_total));
    // `+ 0.0` turns a negative zero into zero.
    let done: f64 = s.queues.iter().map(|q| q.bytes_done).sum::<f64>() + 0.0;
    v.push(total.to_string());
    v.push(format!("{done:.0}"));
    v.push(format!("{:.1}", s.percent() + 0.0));
    v.push(s.diagnostics.len().to_string());
    v.push(s.skipped_lines.to_string());
    v
}
