//! Replay of `master.log`: the session's control stream.
//!
//! [`MasterReplay`] is an [`EventSink`]; feed it the master log's events in
//! order, then [`MasterReplay::finish`] gives the session skeleton (items
//! without their item-log details), which [`crate::SessionBuilder`] joins
//! with the item logs.
//!
//! Writer behaviour handled here (see docs/FORMAT.md):
//! - workers of both queues interleave; a worker is a (queue, child number)
//!   slot whose pid changes when the master respawns it after a crash;
//! - `child-failed` marks the item the dead worker held; the master then
//!   writes `failed-item` for it with its own pid and no `local_item`, so
//!   master-written lines never overwrite the item's worker pid or names;
//! - a failed TRANSFER makes the same worker write `start-item` and
//!   `failed-item` in RESTORE without a `start`: that RESTORE item is marked
//!   `cascaded`;
//! - `resume` comes from a new master pid and repeats no totals.

use crate::hash::{Map, Set};
use std::ops::ControlFlow;

use xferlens_parse::{
    Action, Diagnostic, DiagnosticKind, Event, EventSink, Msg, MsgType, Position,
};

use std::borrow::Cow;
use std::sync::Arc;

use crate::files::safe_file_name;
use crate::limits::{self, DiagnosticBudget, Keep};
use crate::model::{
    ChildFailure, Counts, Item, ItemStatus, Mark, Queue, Session, Worker, RESTORE, TRANSFER,
};
use crate::state::SessionState;

/// Replays master-log events into a session skeleton.
#[derive(Debug, Default)]
pub struct MasterReplay {
    source: String,
    session: Session,
    /// Items by `queue \0 item_type \0 item`, looked up through `key_buf`
    /// so that a lookup allocates nothing.
    index: Map<String, usize>,
    key_buf: String,
    /// Queues by name (position in `session.queues`).
    queue_index: Map<String, usize>,
    /// Workers by child number, in order of appearance (one per queue at
    /// most, so at most [`limits::QUEUES_MAX`] each): no key string is
    /// built per lookup.
    by_child: Map<u64, Vec<usize>>,
    /// The item each worker last started (by worker index), and the
    /// workers in the order they first held one.
    held_item: Vec<Option<usize>>,
    held_order: Vec<usize>,
    had_start: Set<usize>,
    started: bool,
    keep: Keep,
    /// Pids of the lines read so far (at most [`PIDS_MAX`]): the
    /// session's own processes.
    pids: Set<u64>,
    /// Lines not kept because a budget was spent, by what was cut.
    over_budget: [u64; 4],
    /// The log is still being written (see [`MasterReplay::live`]).
    live: bool,
}

/// Most pids remembered; past it, no `fail` or `abort` is taken for an
/// offline one.
const PIDS_MAX: usize = 4096;

/// What `over_budget` counts.
const OVER_ITEMS: usize = 0;
const OVER_QUEUES: usize = 1;
const OVER_WORKERS: usize = 2;
const OVER_MARKS: usize = 3;

fn owned(s: &Option<std::borrow::Cow<'_, str>>) -> Option<String> {
    s.as_deref().map(limits::name)
}

fn owned_text(s: &Option<String>) -> Option<String> {
    s.as_deref().map(limits::text)
}

impl MasterReplay {
    /// A replay whose diagnostics name `source`.
    pub fn new(source: &str) -> MasterReplay {
        MasterReplay {
            source: source.to_owned(),
            ..MasterReplay::default()
        }
    }

    /// A replay whose diagnostics also count against a session's shared
    /// budget.
    pub(crate) fn with_budget(source: &str, budget: Arc<DiagnosticBudget>) -> MasterReplay {
        MasterReplay {
            keep: Keep::new(Some(budget)),
            ..MasterReplay::new(source)
        }
    }

    fn anomaly(&mut self, pos: Position, code: &'static str, message: String) {
        if !self.keep.admit(self.session.diagnostics.len()) {
            return;
        }
        let kind = DiagnosticKind::Anomaly { code, message };
        let d = Diagnostic::new(&self.source, pos, kind, b"");
        self.session.diagnostics.push(d);
    }

    /// Marks the log as live (a dot-named `.master.log`, still being
    /// written): its unterminated last line is not reported.
    pub fn live(mut self, live: bool) -> MasterReplay {
        self.live = live;
        self
    }

    /// Records a diagnostic from the parser.
    pub fn push_diagnostic(&mut self, d: Diagnostic) {
        // See `ItemLogReplay`'s sink: a live file's cut last line is the
        // writer's next line, not damage.
        if self.live && d.kind == DiagnosticKind::PartialLine {
            return;
        }
        if d.kind.line_skipped() {
            self.session.skipped_lines += 1;
        }
        if self.keep.admit(self.session.diagnostics.len()) {
            self.session.diagnostics.push(d);
        }
    }

    /// The queue of this name, created on first mention while the queue
    /// budget lasts.
    fn queue_mut(&mut self, name: &str) -> Option<&mut Queue> {
        let i = match self.queue_index.get(name) {
            Some(&i) => i,
            None if self.session.queues.len() >= limits::QUEUES_MAX => {
                self.over_budget[OVER_QUEUES] += 1;
                return None;
            }
            None => {
                let q = limits::name(name);
                self.session.queues.push(Queue {
                    name: q.clone(),
                    ..Queue::default()
                });
                let i = self.session.queues.len() - 1;
                self.queue_index.insert(q, i);
                // A clipped name is found again by its full form too.
                self.queue_index.insert(name.to_owned(), i);
                i
            }
        };
        Some(&mut self.session.queues[i])
    }

    fn item_index(&mut self, ev: &Event<'_>, pos: Position) -> Option<usize> {
        let c = &ev.contents;
        let (Some(queue), Some(item)) = (c.queue.as_deref(), c.item.as_deref()) else {
            let action = ev
                .action()
                .map(|a| a.as_str().to_owned())
                .unwrap_or_default();
            self.anomaly(
                pos,
                "item-fields-missing",
                format!("`{action}` without queue or item"),
            );
            return None;
        };
        let item_type = c.item_type.as_deref().unwrap_or("");
        let (queue, item_type, item) = (clip_ref(queue), clip_ref(item_type), clip_ref(item));
        self.key_buf.clear();
        for (n, part) in [&*queue, &*item_type, &*item].iter().enumerate() {
            if n > 0 {
                self.key_buf.push('\0');
            }
            self.key_buf.push_str(part);
        }
        if let Some(&i) = self.index.get(self.key_buf.as_str()) {
            return Some(i);
        }
        if self.session.items.len() >= limits::ITEMS_MAX {
            self.over_budget[OVER_ITEMS] += 1;
            return None;
        }
        self.queue_mut(&queue)?;
        let idx = self.session.items.len();
        self.session.items.push(Item {
            queue: queue.into_owned(),
            item_type: item_type.into_owned(),
            item: item.into_owned(),
            in_master: true,
            master_line: Some(pos.line),
            ..Item::default()
        });
        self.index.insert(self.key_buf.clone(), idx);
        Some(idx)
    }

    fn set_logfile(&mut self, idx: usize, name: Option<&str>, pos: Position) {
        let Some(name) = name else { return };
        if safe_file_name(name) {
            self.session.items[idx].logfile = Some(name.to_owned());
        } else {
            self.anomaly(
                pos,
                "unsafe-logfile",
                format!(
                    "log file name {:?} is not a plain file name in the session directory; not read",
                    limits::name(name)
                ),
            );
        }
    }

    /// The first worker (in order of appearance) with this child number,
    /// in `queue` if given.
    fn find_worker(&self, queue: Option<&str>, child: u64) -> Option<usize> {
        let ws = self.by_child.get(&child)?;
        ws.iter()
            .copied()
            .find(|&w| queue.is_none_or(|q| self.session.workers[w].queue == q))
    }

    /// The worker (queue, child), created on first mention while the
    /// worker budget lasts.
    fn worker(&mut self, queue: &str, child: u64) -> Option<usize> {
        if let Some(i) = self.find_worker(Some(queue), child) {
            return Some(i);
        }
        if self.session.workers.len() >= limits::WORKERS_MAX {
            self.over_budget[OVER_WORKERS] += 1;
            return None;
        }
        let i = self.session.workers.len();
        self.session.workers.push(Worker {
            queue: queue.to_owned(),
            child,
            ..Worker::default()
        });
        self.by_child.entry(child).or_default().push(i);
        self.held_item.push(None);
        Some(i)
    }

    fn mark(&mut self, action: &str, ev: &Event<'_>, pos: Position) {
        if self.session.timeline.len() >= limits::MARKS_MAX {
            self.over_budget[OVER_MARKS] += 1;
            return;
        }
        self.session.timeline.push(Mark {
            action: action.to_owned(),
            time: ev.contents.time,
            pid: ev.pid,
            line: pos.line,
        });
    }

    fn on_event(&mut self, pos: Position, ev: &Event<'_>) {
        let c = &ev.contents;
        let offline = self.is_offline_end(ev);
        if let Some(p) = ev.pid {
            if self.pids.len() < PIDS_MAX {
                self.pids.insert(p);
            }
        }
        if let Some(t) = c.time.filter(|_| !offline) {
            let last = &mut self.session.last_event_at;
            *last = Some(last.map_or(t, |l| l.max(t)));
        }
        let ends = matches!(
            ev.action(),
            Some(Action::Fail | Action::Abort | Action::Complete)
        ) && c.child_number.unwrap_or(0) == 0;
        if ends {
            self.session.ended_offline = offline;
            self.session.offline_end_at = c.time.filter(|_| offline);
        }
        let Some(action) = ev.action() else {
            if ev.kind != MsgType::Control {
                return; // non-control lines in the master log carry nothing we model
            }
            self.anomaly(
                pos,
                "control-without-action",
                "control line without action".into(),
            );
            return;
        };
        let text = |max| c.msg.as_ref().and_then(|m| m.joined_clipped(" ", max));
        match action {
            Action::Start if c.item.is_none() => self.on_session_start(pos, ev),
            Action::Initiator => self.session.initiator = text(limits::NAME_MAX),
            Action::Version => self.session.version = text(limits::NAME_MAX),
            Action::RemoteHost => {
                self.session.remote_host = text(limits::NAME_MAX).map(|h| host_name(&h))
            }
            Action::QueueCount | Action::QueueSize => self.on_queue_total(pos, ev, action),
            Action::Start | Action::ProcessItem => self.on_item_picked(pos, ev, action),
            Action::StartItem => self.on_start_item(pos, ev),
            Action::SuccessItem | Action::WarningItem | Action::FailedItem => {
                self.on_item_finished(pos, ev, action)
            }
            Action::ChildFailed => self.on_child_failed(pos, ev),
            Action::Complete if c.child_number.unwrap_or(0) > 0 => self.on_worker_complete(ev),
            Action::Complete
            | Action::Pausing
            | Action::Pause
            | Action::Resume
            | Action::Aborting
            | Action::Abort
            | Action::Fail => self.on_session_action(pos, ev, action),
            Action::Other(_) => {}
            _ => {} // item-log actions (percentage, modules) carry nothing in a master log
        }
    }

    /// True for a `fail` or `abort` written by a process none of whose
    /// lines came before: not the session's master but the API process
    /// that ended a session whose master had died, maybe days later
    /// (Session.pm `mark_session_failed`, `mark_session_aborted`:
    /// `_offline_master_message` when the session is not running). A
    /// line without pid is never taken for one.
    fn is_offline_end(&self, ev: &Event<'_>) -> bool {
        let Some(pid) = ev.pid else { return false };
        matches!(ev.action(), Some(Action::Fail | Action::Abort))
            && ev.contents.child_number.unwrap_or(0) == 0
            && self.pids.len() < PIDS_MAX
            && !self.pids.contains(&pid)
    }

    /// `start` of child 0: the session starts (a resumed session starts
    /// again; its first start is kept).
    fn on_session_start(&mut self, pos: Position, ev: &Event<'_>) {
        let c = &ev.contents;
        if !self.started {
            self.started = true;
            self.session.started_at = c.time;
            self.session.state = SessionState::Running;
        }
        self.mark("start", ev, pos);
    }

    /// `queue_count` / `queue_size`: a queue's item count or bytes.
    fn on_queue_total(&mut self, pos: Position, ev: &Event<'_>, action: &Action<'_>) {
        let c = &ev.contents;
        let Some(queue) = c.queue.as_deref() else {
            self.anomaly(
                pos,
                "queue-missing",
                format!("`{}` without queue", action.as_str()),
            );
            return;
        };
        let n = c.msg.as_ref().and_then(Msg::as_u64);
        let is_count = *action == Action::QueueCount;
        let Some(q) = self.queue_mut(queue) else {
            return;
        };
        match (n, is_count) {
            (Some(n), true) => q.items_total = n,
            (Some(n), false) => q.bytes_total = n,
            (None, _) => {
                let a = action.as_str().to_owned();
                self.anomaly(pos, "bad-number", format!("`{a}` msg is not a number"));
            }
        }
    }

    /// `start` with an item (a worker picks it up) or `process-item` (its
    /// log file): the item is running, and the worker holds it.
    fn on_item_picked(&mut self, pos: Position, ev: &Event<'_>, action: &Action<'_>) {
        let c = &ev.contents;
        let child = c.child_number;
        let Some(idx) = self.item_index(ev, pos) else {
            return;
        };
        let queue = self.session.items[idx].queue.clone();
        {
            let it = &mut self.session.items[idx];
            if it.item_name.is_none() {
                it.item_name = owned(&c.item_name);
            }
            if c.local_item.is_some() {
                it.local_item = owned(&c.local_item);
            }
            if it.status == ItemStatus::Pending {
                it.status = ItemStatus::Running;
            }
            if it.started_at.is_none() {
                it.started_at = c.time;
            }
            if let Some(ch) = child.filter(|c| *c > 0) {
                it.child = Some(ch);
                it.pid = ev.pid.or(it.pid);
            }
        }
        let log = c.logfile.as_deref().or(match (&c.msg, action) {
            (Some(Msg::Text(t)), Action::ProcessItem) => Some(&**t),
            _ => None,
        });
        self.set_logfile(idx, log, pos);
        if *action == Action::Start {
            self.had_start.insert(idx);
            if let Some(ch) = child.filter(|c| *c > 0) {
                let Some(w) = self.worker(&queue, ch) else {
                    return;
                };
                let wk = &mut self.session.workers[w];
                if let Some(p) = ev.pid {
                    if wk.pids.last() != Some(&p) && wk.pids.len() < limits::MARKS_MAX {
                        wk.pids.push(p);
                    }
                }
                if wk.items.last() != Some(&idx) && wk.items.len() < limits::ITEMS_MAX {
                    wk.items.push(idx);
                }
                if self.held_item[w].replace(idx).is_none() {
                    self.held_order.push(w);
                }
            }
        }
    }

    /// `start-item`: processing begins, with the item's size.
    fn on_start_item(&mut self, pos: Position, ev: &Event<'_>) {
        let c = &ev.contents;
        let Some(idx) = self.item_index(ev, pos) else {
            return;
        };
        let it = &mut self.session.items[idx];
        if let Some(size) = c.msg.as_ref().and_then(Msg::as_u64) {
            it.size = Some(size);
        }
        if it.started_at.is_none() {
            it.started_at = c.time;
        }
        if it.status == ItemStatus::Pending {
            it.status = ItemStatus::Running;
        }
        if c.local_item.is_some() {
            it.local_item = owned(&c.local_item);
        }
        if it.item_name.is_none() {
            it.item_name = owned(&c.item_name);
        }
        self.take_worker_fields(idx, pos, ev);
    }

    /// A worker's line about an item (child number above 0) gives the item
    /// its worker and log file when no `start` did: the RESTORE cascade of
    /// a failed TRANSFER has only `start-item` and `failed-item`, written
    /// by the TRANSFER's worker with the RESTORE log's name
    /// (Processor.pm `_mark_item_failed_in_subsequent_queues`,
    /// `_master_message`). The master's own lines (child 0) give nothing.
    fn take_worker_fields(&mut self, idx: usize, pos: Position, ev: &Event<'_>) {
        let c = &ev.contents;
        let Some(ch) = c.child_number.filter(|c| *c > 0) else {
            return;
        };
        let it = &mut self.session.items[idx];
        if it.child.is_none() {
            it.child = Some(ch);
            it.pid = ev.pid.or(it.pid);
        }
        if it.logfile.is_none() {
            self.set_logfile(idx, c.logfile.as_deref(), pos);
        }
    }

    /// `success-item` / `warning-item` / `failed-item`: the item's result,
    /// counts and details.
    fn on_item_finished(&mut self, pos: Position, ev: &Event<'_>, action: &Action<'_>) {
        let c = &ev.contents;
        let text = |max| c.msg.as_ref().and_then(|m| m.joined_clipped(" ", max));
        let Some(idx) = self.item_index(ev, pos) else {
            return;
        };
        if self.session.items[idx].status.is_finished() {
            let key = self.session.items[idx].key();
            self.anomaly(
                pos,
                "finished-twice",
                format!("{key} finished again; the later result is kept"),
            );
        }
        let mut cut = 0;
        let it = &mut self.session.items[idx];
        it.finished_at = c.time.or(it.finished_at);
        if it.item_name.is_none() {
            it.item_name = owned(&c.item_name);
        }
        if let Some(Msg::Finished(f)) = &c.msg {
            it.counts = Counts {
                warnings: f.warnings,
                skipped_items: f.skipped_items,
                dangerous_items: f.dangerous_items,
                altered_items: f.altered_items,
            };
            if f.size.is_some() {
                it.size = it.size.or(f.size);
            }
            it.message = owned_text(&f.message);
            it.failure = owned_text(&f.failure);
            let mut details = f.details.clone();
            cut = limits::clip_details(&mut details);
            it.details = std::sync::Arc::new(details);
        } else if let Some(t) = text(limits::TEXT_MAX) {
            if *action == Action::FailedItem {
                it.failure = Some(t);
            } else {
                it.message = Some(t);
            }
        }
        it.status = match action {
            Action::FailedItem => ItemStatus::Failed,
            Action::WarningItem => ItemStatus::Warning,
            _ if it.counts.any() => ItemStatus::Warning,
            _ => ItemStatus::Success,
        };
        if *action == Action::FailedItem && it.failure.is_none() {
            it.failure = it.message.take();
        }
        self.take_worker_fields(idx, pos, ev);
        let it = &mut self.session.items[idx];
        if cut > 0 {
            let key = it.key();
            self.anomaly(
                pos,
                "details-truncated",
                format!(
                    "{key}: {cut} detail records not kept (at most {} per list)",
                    limits::DETAILS_MAX
                ),
            );
        }
    }

    /// `child-failed`: a worker died; the item it held is marked.
    fn on_child_failed(&mut self, pos: Position, ev: &Event<'_>) {
        let c = &ev.contents;
        let child = c.child_number;
        let text = |max| c.msg.as_ref().and_then(|m| m.joined_clipped(" ", max));
        let queue = owned(&c.queue);
        if self.session.child_failures.len() >= limits::MARKS_MAX {
            self.over_budget[OVER_MARKS] += 1;
            return;
        }
        // The first worker (in order of first holding) of this
        // child number, in this queue if named, whose item is
        // unfinished.
        let workers = &self.session.workers;
        let held = self
            .held_order
            .iter()
            .filter(|&&w| {
                let wk = &workers[w];
                Some(wk.child) == child && queue.as_ref().is_none_or(|q| *q == wk.queue)
            })
            .filter_map(|&w| Some((w, self.held_item[w]?)))
            .find(|(_, i)| !self.session.items[*i].status.is_finished());
        let item = held.map(|(_, i)| i);
        if let Some((w, i)) = held {
            self.session.items[i].worker_crashed = true;
            self.session.workers[w].crashes += 1;
        }
        self.session.child_failures.push(ChildFailure {
            queue,
            child,
            retry: text(limits::TEXT_MAX),
            time: c.time,
            line: pos.line,
            item,
        });
    }

    /// `complete` of a worker (child > 0).
    fn on_worker_complete(&mut self, ev: &Event<'_>) {
        let c = &ev.contents;
        let child = c.child_number;
        let ch = child.unwrap_or(0);
        match self.find_worker(c.queue.as_deref(), ch) {
            Some(w) => self.session.workers[w].completed = true,
            None => {
                let q = limits::name(c.queue.as_deref().unwrap_or("?"));
                if let Some(w) = self.worker(&q, ch) {
                    self.session.workers[w].completed = true;
                }
            }
        }
    }

    /// `complete` (child 0), `pausing`, `pause`, `resume`, `aborting`,
    /// `abort`, `fail`: the session's state changes.
    fn on_session_action(&mut self, pos: Position, ev: &Event<'_>, action: &Action<'_>) {
        let c = &ev.contents;
        let name = action.as_str();
        if let Some(next) = self.session.state.after(action) {
            self.session.state = next;
            if next.is_terminal() && self.session.ended_offline {
                // Ended by another process: the work ended at the last
                // line of the session's own processes.
                self.session.finished_at = self.session.last_event_at;
            } else if next.is_terminal() {
                self.session.finished_at = c.time;
            } else {
                self.session.finished_at = None;
            }
        } else {
            let st = self.session.state.as_str();
            self.anomaly(
                pos,
                "unexpected-action",
                format!("`{name}` in state {st}; ignored"),
            );
        }
        self.mark(name, ev, pos);
    }

    /// Ends the replay: derives cascades, closes items a terminal session
    /// left unfinished, and returns the skeleton session.
    pub fn finish(mut self) -> Session {
        let what = ["items", "queues", "workers", "timeline marks"];
        let budgets = [
            limits::ITEMS_MAX,
            limits::QUEUES_MAX,
            limits::WORKERS_MAX,
            limits::MARKS_MAX,
        ];
        for k in 0..4 {
            if self.over_budget[k] > 0 {
                let d = limits::over_budget(&self.source, what[k], budgets[k], self.over_budget[k]);
                self.session.diagnostics.push(d);
            }
        }
        if let Some(d) = self.keep.notice(&self.source) {
            self.session.diagnostics.push(d);
        }
        let s = &mut self.session;
        let failed_transfers: Set<(String, String)> = s
            .items
            .iter()
            .filter(|i| i.queue == TRANSFER && i.status == ItemStatus::Failed)
            .map(|i| (i.item_type.clone(), i.item.clone()))
            .collect();
        for (idx, it) in s.items.iter_mut().enumerate() {
            if it.queue == RESTORE
                && it.status == ItemStatus::Failed
                && !self.had_start.contains(&idx)
                && failed_transfers.contains(&(it.item_type.clone(), it.item.clone()))
            {
                it.cascaded = true;
            }
        }
        self.session
    }
}

/// A name cut to [`limits::NAME_MAX`], borrowed when it is short enough.
fn clip_ref(s: &str) -> Cow<'_, str> {
    if s.len() <= limits::NAME_MAX {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(limits::name(s))
    }
}

impl EventSink for MasterReplay {
    fn event(&mut self, pos: Position, ev: &mut Event<'_>) -> ControlFlow<()> {
        self.on_event(pos, ev);
        ControlFlow::Continue(())
    }

    fn diagnostic(&mut self, d: Diagnostic) -> ControlFlow<()> {
        self.push_diagnostic(d);
        ControlFlow::Continue(())
    }
}
/// A host name as DNS compares it: without surrounding spaces or a
/// trailing dot, in lower case (`SRC1.Example.NET.` is
/// `src1.example.net`), so one server's sessions join whatever case its
/// log used (docs/FORMAT.md, `remotehost`). Anything that is not a DNS
/// name (an IP address, text) keeps its characters, lowered only in ASCII.
pub(crate) fn host_name(h: &str) -> String {
    let t = h.trim();
    let t = t.strip_suffix('.').filter(|r| !r.is_empty()).unwrap_or(t);
    t.to_ascii_lowercase()
}
