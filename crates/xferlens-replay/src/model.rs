//! The reconstructed session model: what replay produces and renderers
//! read. Plain owned data (no lifetimes), serialisable; field names are the
//! stable JSON schema documented in `docs/SCHEMA.md`.
//!
//! Times are epoch seconds (`i64`), `None` where the log has no `time`
//! fields (old 1.6-era logs).

use std::sync::Arc;

use serde::Serialize;
use xferlens_parse::{Detail, DetailLists, Diagnostic};

use crate::logview::EntryKind;
use crate::state::{QueueState, SessionState};

/// The queue that copies accounts from the source server.
pub const TRANSFER: &str = "TRANSFER";
/// The queue that restores them on this server.
pub const RESTORE: &str = "RESTORE";

/// One transfer session, as far as its logs tell.
#[derive(Clone, Debug, Default)]
pub struct Session {
    /// Session id (directory name, caller's choice, or input name).
    pub id: String,
    /// Lifecycle state at the end of the log.
    pub state: SessionState,
    /// Source server (`remotehost`).
    pub remote_host: Option<String>,
    /// What started it (`initiator`, e.g. `copyacct`).
    pub initiator: Option<String>,
    /// Log format version (`version`).
    pub version: Option<String>,
    /// Time of the session's `start`.
    pub started_at: Option<i64>,
    /// Time of the terminal action (complete, abort, fail).
    pub finished_at: Option<i64>,
    /// Latest `time` seen anywhere in the master log (an offline end's
    /// line not counted).
    pub last_event_at: Option<i64>,
    /// Time of a `fail` or `abort` written by another process than the
    /// session's own (an admin ending a session whose master died): the
    /// session's state, not its end time (docs/FORMAT.md, "Session
    /// state"); `None` when there is none, or it has no time.
    pub offline_end_at: Option<i64>,
    /// The session was ended by such an offline `fail` or `abort`.
    pub ended_offline: bool,
    /// The master log file: name and whether it was still active.
    pub master: Option<LogFile>,
    /// Queues in first-seen order (normally TRANSFER, RESTORE).
    pub queues: Vec<Queue>,
    /// Every item of every queue, in order of first mention.
    pub items: Vec<Item>,
    /// Workers per (queue, child number), with every pid they had.
    pub workers: Vec<Worker>,
    /// Session-level marks: start, pause, resume, abort, fail, complete.
    pub timeline: Vec<Mark>,
    /// The spans the session was paused: from each `pause` mark to the
    /// next `resume` (`None`: not resumed). Kept by [`Session::slim`].
    pub paused: Vec<(i64, Option<i64>)>,
    /// Worker deaths (`child-failed`).
    pub child_failures: Vec<ChildFailure>,
    /// Non-empty lines of `master.error_log` (at most [`ERROR_LOG_KEEP`]).
    pub error_log: Vec<String>,
    /// Number of non-empty `master.error_log` lines, kept or not.
    pub error_log_lines: u64,
    /// Item logs found in the directory that the master never mentioned.
    pub unmentioned_logs: Vec<String>,
    /// Everything the parser and replay could not use or found odd.
    pub diagnostics: Vec<Diagnostic>,
    /// Input lines that could not be used (all files).
    pub skipped_lines: u64,
    /// Volume read: bytes, lines and events over all files.
    pub volume: Volume,
}

/// Most `master.error_log` lines kept in the model.
pub const ERROR_LOG_KEEP: usize = 200;

/// How much was read to build a session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Volume {
    /// Files read.
    pub files: u64,
    /// Bytes of log text.
    pub bytes: u64,
    /// Lines.
    pub lines: u64,
    /// Events decoded.
    pub events: u64,
}

impl std::ops::AddAssign for Volume {
    fn add_assign(&mut self, o: Volume) {
        // Saturating: counts from hostile input must not wrap.
        self.files = self.files.saturating_add(o.files);
        self.bytes = self.bytes.saturating_add(o.bytes);
        self.lines = self.lines.saturating_add(o.lines);
        self.events = self.events.saturating_add(o.events);
    }
}

impl Session {
    /// Wall time from start to end (or to the last event while running).
    pub fn wall_s(&self) -> Option<i64> {
        let end = self.finished_at.or(self.last_event_at)?;
        end.checked_sub(self.started_at?).filter(|d| *d >= 0)
    }

    /// The time it worked: [`Session::wall_s`] less the time it was paused.
    pub fn duration_s(&self) -> Option<i64> {
        let wall = self.wall_s()?;
        let end = self.finished_at.or(self.last_event_at)?;
        Some(
            wall.saturating_sub(self.paused_within(self.started_at?, end))
                .max(0),
        )
    }

    /// Seconds of the span `from..to` during which the session was paused
    /// (0 for a session never paused).
    pub fn paused_within(&self, from: i64, to: i64) -> i64 {
        paused_within(&self.paused, from, to)
    }

    /// Reads the paused spans from the timeline (`pause` to the next
    /// `resume`) and gives every item and restore module the seconds of
    /// its span that fall in them, so that durations and rates count the
    /// time worked, not the time paused (docs/FORMAT.md, "Pauses").
    pub fn note_pauses(&mut self) {
        let mut spans = Vec::new();
        let mut open: Option<i64> = None;
        for m in &self.timeline {
            match (m.action.as_str(), m.time) {
                ("pause", Some(t)) if open.is_none() => open = Some(t),
                ("resume", Some(t)) => {
                    if let Some(p) = open.take() {
                        spans.push((p, Some(t.max(p))));
                    }
                }
                _ => {}
            }
        }
        spans.extend(open.map(|p| (p, None)));
        self.paused = spans;
        if self.paused.is_empty() {
            return;
        }
        let within = |a: Option<i64>, b: Option<i64>, s: &Session| match (a, b) {
            (Some(a), Some(b)) => s.paused_within(a, b),
            _ => 0,
        };
        let mut items = std::mem::take(&mut self.items);
        for it in &mut items {
            it.paused_s = within(it.started_at, it.finished_at, self);
            for m in it.log.iter_mut().flat_map(|l| l.modules.iter_mut()) {
                m.paused_s = within(m.started_at, m.finished_at, self);
            }
        }
        self.items = items;
    }

    /// The newest time any log line of the session carries: the master's
    /// last event, or an item's start, end or module time, whichever is
    /// later; for logs without times, a live master log's modification
    /// time. How fresh a running session is (see `stale_for` in the report).
    pub fn newest_time(&self) -> Option<i64> {
        let items = self.items.iter().flat_map(|it| {
            let modules = it
                .log
                .iter()
                .flat_map(|l| l.modules.iter())
                .flat_map(|m| [m.started_at, m.finished_at]);
            [it.started_at, it.finished_at].into_iter().chain(modules)
        });
        let logged = std::iter::once(self.last_event_at)
            .chain(items)
            .flatten()
            .max();
        // Logs without times (1.6 format): a live master log's mtime says
        // when the writer last wrote (docs/FORMAT.md, "Staleness").
        logged.or_else(|| {
            self.master
                .as_ref()
                .filter(|m| m.active)
                .and_then(|m| m.modified)
        })
    }

    /// The queue with this name.
    pub fn queue(&self, name: &str) -> Option<&Queue> {
        self.queues.iter().find(|q| q.name == name)
    }

    /// Items with one status, in order of first mention.
    pub fn items_with(&self, status: ItemStatus) -> impl Iterator<Item = &Item> {
        self.items.iter().filter(move |i| i.status == status)
    }

    /// Items grouped by queue (in queue order), each queue's items in
    /// order of first mention: the order tables and CSV use.
    pub fn items_by_queue(&self) -> impl Iterator<Item = &Item> {
        self.queues
            .iter()
            .flat_map(move |q| self.items.iter().filter(move |i| i.queue == q.name))
    }

    /// The session reduced to what fleet answers need: its facts and
    /// counts, and its failed and warned items without their logs (but
    /// their excerpts, in an otherwise empty log) or detail lists. Capacity is released, since a fleet keeps thousands.
    pub fn slim(mut self) -> Session {
        self.items
            .retain(|i| matches!(i.status, ItemStatus::Failed | ItemStatus::Warning));
        for it in &mut self.items {
            // Only an excerpt outlives the log, in an otherwise empty one.
            it.log = it.log.take().and_then(|l| {
                let l = *l;
                l.excerpt.is_some().then(|| {
                    Box::new(ItemLog {
                        file: l.file,
                        excerpt: l.excerpt,
                        ..ItemLog::default()
                    })
                })
            });
            it.details = Default::default();
        }
        self.items.shrink_to_fit();
        self.workers = Vec::new();
        self.timeline = Vec::new();
        self.paused.shrink_to_fit();
        self.child_failures = Vec::new();
        self.unmentioned_logs = Vec::new();
        self.error_log = Vec::new();
        self.diagnostics.shrink_to_fit();
        self.queues.shrink_to_fit();
        self
    }

    /// Overall percent: byte-weighted over all queues where sizes are
    /// known, else item-weighted.
    pub fn percent(&self) -> f64 {
        let total = self
            .queues
            .iter()
            .fold(0u64, |a, q| a.saturating_add(q.bytes_total));
        if total > 0 {
            let done: f64 = self.queues.iter().map(|q| q.bytes_done).sum();
            return (done / total as f64 * 100.0).clamp(0.0, 100.0);
        }
        let items = self
            .queues
            .iter()
            .fold(0u64, |a, q| a.saturating_add(q.items_total));
        if items == 0 {
            // Nothing to do: all of it done only if the session completed;
            // a session failed or aborted before it started did nothing
            // (docs/FORMAT.md, "Progress").
            return if self.state == SessionState::Completed {
                100.0
            } else {
                0.0
            };
        }
        let done = self
            .queues
            .iter()
            .fold(0u64, |a, q| a.saturating_add(q.finished()));
        (done as f64 / items as f64 * 100.0).clamp(0.0, 100.0)
    }

    /// Keeps only the items at `order` (old indices), in that order, and
    /// renumbers every reference to an item (workers, worker deaths), so
    /// a filtered or sorted session stays consistent. Queue totals are
    /// left as the logs say.
    pub fn reorder_items(&mut self, order: &[usize]) {
        let mut new_of = vec![None; self.items.len()];
        for (new, &old) in order.iter().enumerate() {
            if old < new_of.len() {
                new_of[old] = Some(new);
            }
        }
        let mut old_items: Vec<Option<Item>> = std::mem::take(&mut self.items)
            .into_iter()
            .map(Some)
            .collect();
        self.items = order
            .iter()
            .filter_map(|&i| old_items.get_mut(i).and_then(Option::take))
            .collect();
        for w in &mut self.workers {
            w.items = w.items.iter().filter_map(|&i| new_of[i]).collect();
        }
        for c in &mut self.child_failures {
            c.item = c.item.and_then(|i| new_of[i]);
        }
    }

    /// The account-level view: TRANSFER and RESTORE of each account joined.
    pub fn accounts(&self) -> Vec<Account> {
        let mut out: Vec<Account> = Vec::new();
        let mut index = crate::hash::Map::default();
        for (i, item) in self.items.iter().enumerate() {
            let key = (item.item_type.as_str(), item.item.as_str());
            let at = *index.entry(key).or_insert_with(|| {
                out.push(Account {
                    item_type: item.item_type.clone(),
                    item: item.item.clone(),
                    local_item: None,
                    item_name: item.item_name.clone(),
                    transfer: None,
                    restore: None,
                    overall: ItemStatus::Pending,
                });
                out.len() - 1
            });
            let acc = &mut out[at];
            if item.local_item.is_some() {
                acc.local_item = item.local_item.clone();
            }
            match item.queue.as_str() {
                TRANSFER => acc.transfer = Some(i),
                RESTORE => acc.restore = Some(i),
                _ => {}
            }
        }
        // Only a session whose processes still run has running accounts:
        // in a completed, failed, aborted or paused one, an account that
        // is not finished is pending (never restored), never running.
        let live = matches!(
            self.state,
            SessionState::Running | SessionState::Pausing | SessionState::Aborting
        );
        for acc in &mut out {
            let t = acc.transfer.map(|i| self.items[i].status);
            let r = acc.restore.map(|i| self.items[i].status);
            acc.overall = match ItemStatus::combine(t, r) {
                ItemStatus::Running if !live => ItemStatus::Pending,
                st => st,
            };
        }
        out
    }
}

/// Seconds of `from..to` inside the paused `spans` (see
/// [`Session::paused`]; an open span lasts to `to`).
pub fn paused_within(spans: &[(i64, Option<i64>)], from: i64, to: i64) -> i64 {
    spans
        .iter()
        .map(|&(p, r)| {
            let end = r.unwrap_or(i64::MAX).min(to);
            end.saturating_sub(p.max(from)).max(0)
        })
        .fold(0, i64::saturating_add)
}

/// A log file the model was read from.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct LogFile {
    /// File name (as found: with the dot while active).
    pub name: String,
    /// Still being written (dot name) when read.
    pub active: bool,
    /// Its modification time (epoch seconds) when read from a directory
    /// (internal: how fresh a live session without times is).
    pub modified: Option<i64>,
}

/// Leaves `modified` out: two copies of the same logs (which tests compare
/// by their `Debug` text) read the same but carry different mtimes.
impl std::fmt::Debug for LogFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogFile")
            .field("name", &self.name)
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

/// One queue (TRANSFER or RESTORE) and its progress.
#[derive(Clone, Debug, Default)]
pub struct Queue {
    /// `TRANSFER`, `RESTORE`, or another name the log uses.
    pub name: String,
    /// WHM view of the queue.
    pub state: QueueState,
    /// Items in the queue (`queue_count`, or items seen if larger/absent).
    pub items_total: u64,
    /// Items that succeeded cleanly.
    pub success: u64,
    /// Items that finished with warnings.
    pub warning: u64,
    /// Items that failed.
    pub failed: u64,
    /// Items started and not finished.
    pub running: u64,
    /// Items not started yet (total minus seen).
    pub pending: u64,
    /// Total bytes (`queue_size`, or the sum of item sizes).
    pub bytes_total: u64,
    /// Bytes done by the WHM algorithm.
    pub bytes_done: f64,
    /// Percent done: by bytes where sizes are known, else by items.
    pub percent: f64,
    /// Bytes per second of finished items (where times exist).
    pub throughput_bps: Option<f64>,
    /// Estimated seconds left at that throughput.
    pub eta_s: Option<f64>,
    /// First item start in this queue.
    pub started_at: Option<i64>,
    /// Last item finish in this queue.
    pub finished_at: Option<i64>,
}

impl Queue {
    /// Items finished in any way (success + warning + failed).
    pub fn finished(&self) -> u64 {
        self.success
            .saturating_add(self.warning)
            .saturating_add(self.failed)
    }

    /// "Completed" as the WHM interface counts it: success + warning.
    pub fn completed(&self) -> u64 {
        self.success + self.warning
    }
}

/// Outcome of one item in one queue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemStatus {
    /// Finished cleanly (`success-item`).
    Success,
    /// Finished with warnings (`warning-item`, or counts > 0).
    Warning,
    /// Failed (`failed-item`, cascaded, crashed, or cut off by the
    /// session's end).
    Failed,
    /// Started and not finished.
    Running,
    /// Not started.
    #[default]
    Pending,
}

impl ItemStatus {
    /// Lowercase name as used in CSV and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Success => "success",
            ItemStatus::Warning => "warning",
            ItemStatus::Failed => "failed",
            ItemStatus::Running => "running",
            ItemStatus::Pending => "pending",
        }
    }

    /// True for success, warning and failed.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            ItemStatus::Success | ItemStatus::Warning | ItemStatus::Failed
        )
    }

    /// Overall status of an account from its transfer and restore.
    pub fn combine(t: Option<ItemStatus>, r: Option<ItemStatus>) -> ItemStatus {
        use ItemStatus::*;
        let all = [t, r];
        if all.contains(&Some(Failed)) {
            Failed
        } else if all.contains(&Some(Running)) {
            Running
        } else if r.is_none() || r == Some(Pending) {
            if t.is_some_and(|s| s != Pending) {
                Running
            } else {
                Pending
            }
        } else if all.contains(&Some(Warning)) {
            Warning
        } else {
            Success
        }
    }
}

/// The four counts of a finished item.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// `warnings`.
    pub warnings: u64,
    /// `skipped_items`.
    pub skipped_items: u64,
    /// `dangerous_items`.
    pub dangerous_items: u64,
    /// `altered_items`.
    pub altered_items: u64,
}

impl Counts {
    /// True when any count is above zero.
    pub fn any(&self) -> bool {
        self.warnings + self.skipped_items + self.dangerous_items + self.altered_items > 0
    }
}

/// One item (account, package, feature list ...) in one queue.
#[derive(Clone, Debug, Default)]
pub struct Item {
    /// `TRANSFER` or `RESTORE`.
    pub queue: String,
    /// `item_type`, e.g. `AccountRemoteRoot`.
    pub item_type: String,
    /// Human label, e.g. `Account`.
    pub item_name: Option<String>,
    /// Source-side name.
    pub item: String,
    /// Name on this server (differs when renamed).
    pub local_item: Option<String>,
    /// Worker child number that held it last.
    pub child: Option<u64>,
    /// Worker pid that held it last.
    pub pid: Option<u64>,
    /// Item log file name (checked safe), if known.
    pub logfile: Option<String>,
    /// Size in bytes (`start-item` or finished msg).
    pub size: Option<u64>,
    /// Outcome.
    pub status: ItemStatus,
    /// Start time (`start`/`start-item`).
    pub started_at: Option<i64>,
    /// Finish time.
    pub finished_at: Option<i64>,
    /// Seconds between its start and finish that the session was paused
    /// (see [`Session::note_pauses`]).
    pub paused_s: i64,
    /// `message` of a finished item.
    pub message: Option<String>,
    /// Why it failed.
    pub failure: Option<String>,
    /// The four counts.
    pub counts: Counts,
    /// Detail records of the finished msg (or the item log's summary).
    pub details: Arc<DetailLists>,
    /// Failed because the RESTORE cascade of a failed TRANSFER.
    pub cascaded: bool,
    /// Its worker died while holding it (`child-failed`).
    pub worker_crashed: bool,
    /// Mentioned in master.log (false: only its item log was found).
    pub in_master: bool,
    /// Master log line where it first appeared.
    pub master_line: Option<u64>,
    /// What its item log says, when it was read.
    pub log: Option<Box<ItemLog>>,
}

impl Item {
    /// Seconds from start to finish where both times exist (the wall
    /// span, paused time included).
    pub fn wall_s(&self) -> Option<i64> {
        self.finished_at?
            .checked_sub(self.started_at?)
            .filter(|d| *d >= 0)
    }

    /// The time it took: [`Item::wall_s`] less the time the session was
    /// paused.
    pub fn duration_s(&self) -> Option<i64> {
        Some(self.wall_s()?.saturating_sub(self.paused_s).max(0))
    }

    /// Last percentage from the item log (100 when finished).
    pub fn percent(&self) -> Option<f64> {
        if self.status.is_finished() {
            return Some(100.0);
        }
        self.log.as_ref().and_then(|l| l.last_percentage)
    }

    /// The reason or message to show for this item.
    pub fn reason(&self) -> Option<&str> {
        self.failure
            .as_deref()
            .or(self.message.as_deref())
            .or_else(|| {
                self.log
                    .as_ref()
                    .and_then(|l| l.result.as_ref())
                    .map(|r| r.text.as_str())
            })
    }

    /// The module that failed (`modulestatus` 0), else the one left
    /// unfinished, for a failed item: the step to name in its reason.
    pub fn failed_module(&self) -> Option<&Module> {
        let mods = &self.log.as_ref()?.modules;
        mods.iter()
            .find(|m| m.state == ModuleState::Failed)
            .or_else(|| {
                (self.status == ItemStatus::Failed)
                    .then(|| mods.iter().rfind(|m| m.state == ModuleState::Unfinished))
                    .flatten()
            })
    }

    /// Its `n` longest modules, longest first (modules without a duration
    /// are left out).
    pub fn top_modules(&self, n: usize) -> Vec<&Module> {
        let mut v: Vec<&Module> = self
            .log
            .as_ref()
            .map(|l| {
                l.modules
                    .iter()
                    .filter(|m| m.duration_s().is_some())
                    .collect()
            })
            .unwrap_or_default();
        v.sort_by_key(|m| std::cmp::Reverse(m.duration_s()));
        v.truncate(n);
        v
    }

    /// Identity string `QUEUE/type/item`.
    pub fn key(&self) -> String {
        format!("{}/{}/{}", self.queue, self.item_type, self.item)
    }

    /// What the outputs call it: "Account bob" (its label, else its type).
    pub fn label(&self) -> String {
        label(self.item_name.as_deref(), &self.item_type, &self.item)
    }
}

/// "Account bob": a label (else the item type) and a name.
fn label(item_name: Option<&str>, item_type: &str, item: &str) -> String {
    format!("{} {item}", item_name.unwrap_or(item_type))
}

/// What an item log says about its item.
#[derive(Clone, Debug, Default)]
pub struct ItemLog {
    /// The earliest `time` of its decoded lines (internal: gives an item
    /// its times when there is no master log).
    pub first_time: Option<i64>,
    /// The latest `time` of its decoded lines (internal, as above).
    pub last_time: Option<i64>,
    /// File name as found (with the dot while active).
    pub file: String,
    /// Where it was read from (path, or `archive:member`), for messages.
    pub path: String,
    /// Still being written (dot name).
    pub active: bool,
    /// Holds its result line (`success` or `failed`).
    pub complete: bool,
    /// The `start` line's text.
    pub title: Option<String>,
    /// What the `start` line names: queue, label, item and local name.
    pub start: Option<StartLine>,
    /// Percentage timeline: (line, percentage), one entry per change.
    pub percentages: Vec<(u64, f64)>,
    /// Last percentage seen.
    pub last_percentage: Option<f64>,
    /// Restore modules with their status.
    pub modules: Vec<Module>,
    /// Error lines (first [`LOG_LINES_KEEP`]).
    pub errors: Vec<LogLine>,
    /// Warning lines (first [`LOG_LINES_KEEP`]).
    pub warnings: Vec<LogLine>,
    /// All error lines, kept or not (stderr lines included).
    pub error_count: u64,
    /// Of the error lines, those that are plain stderr text, not JSON
    /// (docs/FORMAT.md, "Item logs").
    pub stderr_lines: u64,
    /// All warning lines, kept or not.
    pub warning_count: u64,
    /// The result line.
    pub result: Option<LogResult>,
    /// The restore `summary` lists.
    pub summary: Option<Arc<DetailLists>>,
    /// Lines the parser could not use.
    pub skipped_lines: u64,
    /// Volume of the file.
    pub volume: Volume,
    /// The few lines around its failure (or its warnings), for reports:
    /// filled on request after loading (see [`crate::fill_excerpts`]),
    /// never while replaying.
    pub excerpt: Option<Excerpt>,
    /// Every shown line, module by module, when a report embeds whole
    /// logs (see [`crate::fill_whole_logs`]).
    pub whole: Option<WholeLog>,
}

/// An item log's shown lines grouped by module, cut to a number of lines.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WholeLog {
    /// Runs of lines in one module (or outside any), in log order.
    pub sections: Vec<LogSection>,
    /// Shown lines past the cut, counted, not kept.
    pub more_lines: u64,
}

/// A run of lines of a [`WholeLog`] in one module.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogSection {
    /// The module (None: lines outside any module).
    pub module: Option<String>,
    /// Its lines.
    pub lines: Vec<ExcerptLine>,
}

/// A few lines of an item log around its failure (its error lines, or a
/// warned item's warning lines, each with the shown lines before it),
/// owned and small: at most [`crate::EXCERPT_LINES`] lines.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Excerpt {
    /// The lines, in log order.
    pub lines: Vec<ExcerptLine>,
    /// The lines come from re-reading the file (with the lines before
    /// each error); false: from the error lines replay kept (a member of
    /// an archive), without them.
    pub from_file: bool,
}

/// One line of an [`Excerpt`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExcerptLine {
    /// Its line number in the item log.
    pub line: u64,
    /// What the line is (its level and style follow from it).
    pub kind: EntryKind,
    /// The restore module it is in.
    pub module: Option<String>,
    /// Its display indentation.
    pub indent: u32,
    /// Its text (message lines joined by newlines), cut to
    /// [`crate::EXCERPT_TEXT`] characters. Untrusted.
    pub text: String,
    /// Shown lines of the log were left out right before this one.
    pub gap_before: bool,
}

/// The words of an item log's `start` line, "Starting “QUEUE” for
/// “Label” “item”." or, for a renamed item, "… “item” → “local”."
/// (Whostmgr/Transfers/Session/Item.pm `start`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StartLine {
    /// The queue (`TRANSFER`, `RESTORE`).
    pub queue: String,
    /// The item's label (`item_name`, e.g. `Account`): not its type.
    pub label: String,
    /// The item's name on the source server.
    pub item: String,
    /// Its name on this server, when renamed.
    pub local_item: Option<String>,
}

/// Most error (and warning) lines kept per item log.
pub const LOG_LINES_KEEP: usize = 50;

/// One error or warning line of an item log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogLine {
    /// Line number in the item log.
    pub line: u64,
    /// The text (msg lines joined).
    pub text: String,
}

/// The result line of an item log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogResult {
    /// `success` or `failed`.
    pub success: bool,
    /// Its text, e.g. `Failed: <reason>`.
    pub text: String,
    /// Line number.
    pub line: u64,
}

/// A restore module seen in an item log: one step of a restore (Homedir,
/// Mysql, Mail...), with its times and outcome.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Module {
    /// Module name.
    pub name: String,
    /// `modulestatus` status: 1 ok, 0 failed.
    pub status: Option<i64>,
    /// `modulestatus` message.
    pub statusmsg: Option<String>,
    /// Line of `start_module`.
    pub start_line: Option<u64>,
    /// Line of `end_module`.
    pub end_line: Option<u64>,
    /// Time of `start_module` (None in logs without times).
    pub started_at: Option<i64>,
    /// Time of `end_module`.
    pub finished_at: Option<i64>,
    /// Seconds between its start and end that the session was paused.
    pub paused_s: i64,
    /// What the module's lines say: see [`ModuleState`].
    pub state: ModuleState,
    /// `start_action` / `end_action` sections inside it, in log order (at
    /// most [`crate::limits::ACTIONS_MAX`]).
    pub actions: Vec<ModuleAction>,
}

impl Module {
    /// Seconds from start to end less the time the session was paused,
    /// when both times exist and do not go backwards (never negative,
    /// never invented).
    pub fn duration_s(&self) -> Option<i64> {
        let wall = self
            .finished_at?
            .checked_sub(self.started_at?)
            .filter(|d| *d >= 0)?;
        Some(wall.saturating_sub(self.paused_s).max(0))
    }
}

/// The outcome of a restore module.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ModuleState {
    /// `modulestatus` 1 (or any value but 0).
    Success,
    /// `modulestatus` 0.
    Failed,
    /// Ended (`end_module`) without a `modulestatus` line.
    #[default]
    Ended,
    /// Started, not ended, and its item is still running.
    Running,
    /// Started and never ended, and its item is no longer running (the
    /// worker died, or the session ended).
    Unfinished,
}

impl ModuleState {
    /// Lower-case name, as in CSV and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ModuleState::Success => "success",
            ModuleState::Failed => "failed",
            ModuleState::Ended => "ended",
            ModuleState::Running => "running",
            ModuleState::Unfinished => "unfinished",
        }
    }
}

/// A `start_action` / `end_action` section inside a module.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModuleAction {
    /// Action name (`msg`).
    pub name: String,
    /// Line of `start_action`.
    pub start_line: u64,
    /// Line of `end_action` (None: never ended).
    pub end_line: Option<u64>,
    /// Time of `start_action`.
    pub started_at: Option<i64>,
    /// Time of `end_action`.
    pub finished_at: Option<i64>,
}

impl ModuleAction {
    /// Seconds from start to end (see [`Module::duration_s`]).
    pub fn duration_s(&self) -> Option<i64> {
        self.finished_at?
            .checked_sub(self.started_at?)
            .filter(|d| *d >= 0)
    }
}

/// A worker slot: one child number of one queue, with every pid it had.
#[derive(Clone, Debug, Default)]
pub struct Worker {
    /// Queue it served.
    pub queue: String,
    /// Child number.
    pub child: u64,
    /// Pids in order (a respawn after a crash adds one).
    pub pids: Vec<u64>,
    /// Indexes into `Session::items` of the items it held, in order.
    pub items: Vec<usize>,
    /// It wrote `complete`.
    pub completed: bool,
    /// Times it died (`child-failed`).
    pub crashes: u64,
}

/// A session-level event on the timeline.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mark {
    /// `start`, `pausing`, `pause`, `resume`, `aborting`, `abort`, `fail`, `complete`.
    pub action: String,
    /// Its time, where known.
    pub time: Option<i64>,
    /// The master pid that wrote it.
    pub pid: Option<u64>,
    /// Line in master.log.
    pub line: u64,
}

/// A worker death.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChildFailure {
    /// Queue of the worker, where the line names it.
    pub queue: Option<String>,
    /// Child number of the dead worker.
    pub child: Option<u64>,
    /// `n/m`: retry n of m.
    pub retry: Option<String>,
    /// Time, where known.
    pub time: Option<i64>,
    /// Line in master.log.
    pub line: u64,
    /// The item it held (index into `Session::items`).
    pub item: Option<usize>,
}

/// Account-level view: one account's TRANSFER and RESTORE joined.
#[derive(Clone, Debug)]
pub struct Account {
    /// `item_type`.
    pub item_type: String,
    /// Source-side name.
    pub item: String,
    /// Name on this server.
    pub local_item: Option<String>,
    /// Human label.
    pub item_name: Option<String>,
    /// Index of the TRANSFER item.
    pub transfer: Option<usize>,
    /// Index of the RESTORE item.
    pub restore: Option<usize>,
    /// Combined outcome.
    pub overall: ItemStatus,
}

impl Account {
    /// What the outputs call it: "Account bob" (its label, else its type).
    pub fn label(&self) -> String {
        label(self.item_name.as_deref(), &self.item_type, &self.item)
    }

    /// True for a cPanel account, not a package or a feature list (see
    /// [`is_account_type`]).
    pub fn is_account(&self) -> bool {
        is_account_type(&self.item_type)
    }
}

/// The one rule that tells accounts (`AccountRemoteRoot`,
/// `AccountRemoteUser`, `AccountLocal`, ...) from the other items of a
/// session (packages, feature lists): the item type's prefix.
pub fn is_account_type(item_type: &str) -> bool {
    item_type.starts_with("Account")
}

/// Detail records of one kind, with their kind name, for renderers.
pub fn detail_kinds(d: &DetailLists) -> [(&'static str, &[Detail]); 4] {
    [
        ("warnings", &d.warnings),
        ("skipped_items", &d.skipped_items),
        ("dangerous_items", &d.dangerous_items),
        ("altered_items", &d.altered_items),
    ]
}

#[cfg(test)]
mod tests {
    use super::ItemStatus::{self, *};
    use super::{Item, Session, Worker};

    #[test]
    fn a_slim_session_keeps_failed_and_warned_items_without_their_logs() {
        let item = |status| Item {
            status,
            log: Some(Box::default()),
            ..Item::default()
        };
        let s = Session {
            items: vec![item(Success), item(Failed), item(Warning), item(Running)],
            workers: vec![Worker::default()],
            ..Session::default()
        }
        .slim();
        let kept: Vec<ItemStatus> = s.items.iter().map(|i| i.status).collect();
        assert_eq!(kept, [Failed, Warning]);
        assert!(s.items.iter().all(|i| i.log.is_none()));
        // An excerpt is kept, in a log that holds nothing else.
        let with_excerpt = Item {
            status: Failed,
            log: Some(Box::new(super::ItemLog {
                file: "f".into(),
                error_count: 3,
                excerpt: Some(super::Excerpt::default()),
                ..Default::default()
            })),
            ..Item::default()
        };
        let s = Session {
            items: vec![with_excerpt],
            ..Session::default()
        }
        .slim();
        let log = s.items[0].log.as_deref().unwrap();
        assert_eq!((log.file.as_str(), log.error_count), ("f", 0));
        assert!(log.excerpt.is_some());
        assert!(s.workers.is_empty());
    }

    #[test]
    fn an_accounts_status_combines_its_transfer_and_restore() {
        let c = ItemStatus::combine;
        // A failure anywhere fails the account.
        assert_eq!(c(Some(Failed), None), Failed);
        assert_eq!(c(Some(Success), Some(Failed)), Failed);
        assert_eq!(c(Some(Running), Some(Failed)), Failed);
        // Anything running keeps it running.
        assert_eq!(c(Some(Running), None), Running);
        assert_eq!(c(Some(Success), Some(Running)), Running);
        // Transferred but not restored yet: still on its way.
        assert_eq!(c(Some(Success), None), Running);
        assert_eq!(c(Some(Warning), Some(Pending)), Running);
        // Nothing started.
        assert_eq!(c(Some(Pending), None), Pending);
        assert_eq!(c(None, None), Pending);
        assert_eq!(c(Some(Pending), Some(Pending)), Pending);
        // Both done: a warning on either side shows.
        assert_eq!(c(Some(Warning), Some(Success)), Warning);
        assert_eq!(c(Some(Success), Some(Warning)), Warning);
        assert_eq!(c(Some(Success), Some(Success)), Success);
        // A restore without its transfer in this session (re-queued alone).
        assert_eq!(c(None, Some(Success)), Success);
    }
}
