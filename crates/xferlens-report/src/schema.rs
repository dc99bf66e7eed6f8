//! The full JSON report's published shape (`xferlens.report/1`,
//! docs/SCHEMA.md and docs/report.schema.json): view structs that borrow
//! from the session model and name every field themselves. The model can
//! change its internals freely; a field of the report changes only here,
//! where a reviewer sees it, and the schema test checks every report
//! against docs/report.schema.json.

use std::sync::Arc;

use serde::Serialize;
use xferlens_replay::{
    whm_state, ChildFailure, Counts, Detail, DetailLists, Diagnostic, Item, ItemLog, ItemStatus,
    LogFile, LogLine, LogResult, Mark, Module, ModuleAction, ModuleState, Queue, QueueState,
    Session, SessionState, Volume, Worker,
};

/// Schema identifier written in every full report.
pub const REPORT_SCHEMA: &str = "xferlens.report/1";

/// The whole report: every session read.
#[derive(Serialize)]
pub struct ReportJson<'a> {
    /// Always [`REPORT_SCHEMA`].
    schema: &'static str,
    /// `xferlens <version>`.
    generator: String,
    /// One entry per session.
    sessions: Vec<SessionJson<'a>>,
}

impl<'a> ReportJson<'a> {
    /// The report of `sessions`.
    pub fn new(sessions: &'a [Session]) -> ReportJson<'a> {
        ReportJson {
            schema: REPORT_SCHEMA,
            generator: format!("xferlens {}", env!("CARGO_PKG_VERSION")),
            sessions: sessions.iter().map(SessionJson::new).collect(),
        }
    }
}

/// One session, with the fields renderers derive from it.
#[derive(Serialize)]
struct SessionJson<'a> {
    whm_state: String,
    percent: f64,
    duration_s: Option<i64>,
    wall_s: Option<i64>,
    id: &'a str,
    state: SessionState,
    remote_host: Option<&'a str>,
    initiator: Option<&'a str>,
    version: Option<&'a str>,
    started_at: Option<i64>,
    finished_at: Option<i64>,
    last_event_at: Option<i64>,
    master: Option<LogFileJson<'a>>,
    queues: Vec<QueueJson<'a>>,
    items: Vec<ItemJson<'a>>,
    workers: Vec<WorkerJson<'a>>,
    timeline: Vec<MarkJson<'a>>,
    child_failures: Vec<ChildFailureJson<'a>>,
    error_log: &'a [String],
    error_log_lines: u64,
    unmentioned_logs: &'a [String],
    diagnostics: &'a [Diagnostic],
    skipped_lines: u64,
    volume: VolumeJson,
}

impl<'a> SessionJson<'a> {
    fn new(s: &'a Session) -> SessionJson<'a> {
        SessionJson {
            whm_state: whm_state(s),
            percent: s.percent(),
            duration_s: s.duration_s(),
            wall_s: s.wall_s(),
            id: &s.id,
            state: s.state,
            remote_host: s.remote_host.as_deref(),
            initiator: s.initiator.as_deref(),
            version: s.version.as_deref(),
            started_at: s.started_at,
            finished_at: s.finished_at,
            last_event_at: s.last_event_at,
            master: s.master.as_ref().map(LogFileJson::new),
            queues: s.queues.iter().map(QueueJson::new).collect(),
            items: s.items.iter().map(ItemJson::new).collect(),
            workers: s.workers.iter().map(WorkerJson::new).collect(),
            timeline: s.timeline.iter().map(MarkJson::new).collect(),
            child_failures: s.child_failures.iter().map(ChildFailureJson::new).collect(),
            error_log: &s.error_log,
            error_log_lines: s.error_log_lines,
            unmentioned_logs: &s.unmentioned_logs,
            diagnostics: &s.diagnostics,
            skipped_lines: s.skipped_lines,
            volume: VolumeJson::new(&s.volume),
        }
    }
}

/// How much was read.
#[derive(Serialize)]
struct VolumeJson {
    files: u64,
    bytes: u64,
    lines: u64,
    events: u64,
}

impl VolumeJson {
    fn new(v: &Volume) -> VolumeJson {
        VolumeJson {
            files: v.files,
            bytes: v.bytes,
            lines: v.lines,
            events: v.events,
        }
    }
}

/// A log file: its name and whether it was still being written.
#[derive(Serialize)]
struct LogFileJson<'a> {
    name: &'a str,
    active: bool,
}

impl<'a> LogFileJson<'a> {
    fn new(f: &'a LogFile) -> LogFileJson<'a> {
        LogFileJson {
            name: &f.name,
            active: f.active,
        }
    }
}

/// One queue and its progress.
#[derive(Serialize)]
struct QueueJson<'a> {
    name: &'a str,
    state: QueueState,
    items_total: u64,
    success: u64,
    warning: u64,
    failed: u64,
    running: u64,
    pending: u64,
    bytes_total: u64,
    bytes_done: f64,
    percent: f64,
    throughput_bps: Option<f64>,
    eta_s: Option<f64>,
    started_at: Option<i64>,
    finished_at: Option<i64>,
}

impl<'a> QueueJson<'a> {
    fn new(q: &'a Queue) -> QueueJson<'a> {
        QueueJson {
            name: &q.name,
            state: q.state,
            items_total: q.items_total,
            success: q.success,
            warning: q.warning,
            failed: q.failed,
            running: q.running,
            pending: q.pending,
            bytes_total: q.bytes_total,
            bytes_done: q.bytes_done,
            percent: q.percent,
            throughput_bps: q.throughput_bps,
            eta_s: q.eta_s,
            started_at: q.started_at,
            finished_at: q.finished_at,
        }
    }
}

/// One item in one queue.
#[derive(Serialize)]
struct ItemJson<'a> {
    queue: &'a str,
    item_type: &'a str,
    item_name: Option<&'a str>,
    item: &'a str,
    local_item: Option<&'a str>,
    child: Option<u64>,
    pid: Option<u64>,
    logfile: Option<&'a str>,
    size: Option<u64>,
    status: ItemStatus,
    started_at: Option<i64>,
    finished_at: Option<i64>,
    message: Option<&'a str>,
    failure: Option<&'a str>,
    counts: CountsJson,
    details: DetailListsJson<'a>,
    cascaded: bool,
    worker_crashed: bool,
    in_master: bool,
    master_line: Option<u64>,
    log: Option<ItemLogJson<'a>>,
}

impl<'a> ItemJson<'a> {
    fn new(i: &'a Item) -> ItemJson<'a> {
        ItemJson {
            queue: &i.queue,
            item_type: &i.item_type,
            item_name: i.item_name.as_deref(),
            item: &i.item,
            local_item: i.local_item.as_deref(),
            child: i.child,
            pid: i.pid,
            logfile: i.logfile.as_deref(),
            size: i.size,
            status: i.status,
            started_at: i.started_at,
            finished_at: i.finished_at,
            message: i.message.as_deref(),
            failure: i.failure.as_deref(),
            counts: CountsJson::new(&i.counts),
            details: DetailListsJson::new(&i.details),
            cascaded: i.cascaded,
            worker_crashed: i.worker_crashed,
            in_master: i.in_master,
            master_line: i.master_line,
            log: i.log.as_deref().map(ItemLogJson::new),
        }
    }
}

/// The four counts of a finished item.
#[derive(Serialize)]
struct CountsJson {
    warnings: u64,
    skipped_items: u64,
    dangerous_items: u64,
    altered_items: u64,
}

impl CountsJson {
    fn new(c: &Counts) -> CountsJson {
        CountsJson {
            warnings: c.warnings,
            skipped_items: c.skipped_items,
            dangerous_items: c.dangerous_items,
            altered_items: c.altered_items,
        }
    }
}

/// The four detail lists.
#[derive(Serialize)]
struct DetailListsJson<'a> {
    warnings: Vec<DetailJson<'a>>,
    skipped_items: Vec<DetailJson<'a>>,
    dangerous_items: Vec<DetailJson<'a>>,
    altered_items: Vec<DetailJson<'a>>,
}

impl<'a> DetailListsJson<'a> {
    fn new(d: &'a Arc<DetailLists>) -> DetailListsJson<'a> {
        let v = |l: &'a [Detail]| l.iter().map(DetailJson::new).collect();
        DetailListsJson {
            warnings: v(&d.warnings),
            skipped_items: v(&d.skipped_items),
            dangerous_items: v(&d.dangerous_items),
            altered_items: v(&d.altered_items),
        }
    }
}

/// One detail record.
#[derive(Serialize)]
struct DetailJson<'a> {
    module: Option<&'a str>,
    function: Option<&'a str>,
    line: Option<u64>,
    text: &'a str,
    link: Option<&'a str>,
}

impl<'a> DetailJson<'a> {
    fn new(d: &'a Detail) -> DetailJson<'a> {
        DetailJson {
            module: d.module.as_deref(),
            function: d.function.as_deref(),
            line: d.line,
            text: &d.text,
            link: d.link.as_deref(),
        }
    }
}

/// What an item log says about its item.
#[derive(Serialize)]
struct ItemLogJson<'a> {
    file: &'a str,
    path: &'a str,
    active: bool,
    complete: bool,
    title: Option<&'a str>,
    percentages: &'a [(u64, f64)],
    last_percentage: Option<f64>,
    modules: Vec<ModuleJson<'a>>,
    errors: Vec<LogLineJson<'a>>,
    warnings: Vec<LogLineJson<'a>>,
    error_count: u64,
    stderr_lines: u64,
    warning_count: u64,
    result: Option<LogResultJson<'a>>,
    summary: Option<DetailListsJson<'a>>,
    skipped_lines: u64,
    volume: VolumeJson,
}

impl<'a> ItemLogJson<'a> {
    fn new(l: &'a ItemLog) -> ItemLogJson<'a> {
        ItemLogJson {
            file: &l.file,
            path: &l.path,
            active: l.active,
            complete: l.complete,
            title: l.title.as_deref(),
            percentages: &l.percentages,
            last_percentage: l.last_percentage,
            modules: l.modules.iter().map(ModuleJson::new).collect(),
            errors: l.errors.iter().map(LogLineJson::new).collect(),
            warnings: l.warnings.iter().map(LogLineJson::new).collect(),
            error_count: l.error_count,
            stderr_lines: l.stderr_lines,
            warning_count: l.warning_count,
            result: l.result.as_ref().map(LogResultJson::new),
            summary: l.summary.as_ref().map(DetailListsJson::new),
            skipped_lines: l.skipped_lines,
            volume: VolumeJson::new(&l.volume),
        }
    }
}

/// An error or warning line of an item log.
#[derive(Serialize)]
struct LogLineJson<'a> {
    line: u64,
    text: &'a str,
}

impl<'a> LogLineJson<'a> {
    fn new(l: &'a LogLine) -> LogLineJson<'a> {
        LogLineJson {
            line: l.line,
            text: &l.text,
        }
    }
}

/// An item log's result line.
#[derive(Serialize)]
struct LogResultJson<'a> {
    success: bool,
    text: &'a str,
    line: u64,
}

impl<'a> LogResultJson<'a> {
    fn new(r: &'a LogResult) -> LogResultJson<'a> {
        LogResultJson {
            success: r.success,
            text: &r.text,
            line: r.line,
        }
    }
}

/// One restore module and its actions.
#[derive(Serialize)]
struct ModuleJson<'a> {
    name: &'a str,
    status: Option<i64>,
    statusmsg: Option<&'a str>,
    start_line: Option<u64>,
    end_line: Option<u64>,
    started_at: Option<i64>,
    finished_at: Option<i64>,
    state: ModuleState,
    actions: Vec<ModuleActionJson<'a>>,
}

impl<'a> ModuleJson<'a> {
    fn new(m: &'a Module) -> ModuleJson<'a> {
        ModuleJson {
            name: &m.name,
            status: m.status,
            statusmsg: m.statusmsg.as_deref(),
            start_line: m.start_line,
            end_line: m.end_line,
            started_at: m.started_at,
            finished_at: m.finished_at,
            state: m.state,
            actions: m.actions.iter().map(ModuleActionJson::new).collect(),
        }
    }
}

/// One action inside a module.
#[derive(Serialize)]
struct ModuleActionJson<'a> {
    name: &'a str,
    start_line: u64,
    end_line: Option<u64>,
    started_at: Option<i64>,
    finished_at: Option<i64>,
}

impl<'a> ModuleActionJson<'a> {
    fn new(a: &'a ModuleAction) -> ModuleActionJson<'a> {
        ModuleActionJson {
            name: &a.name,
            start_line: a.start_line,
            end_line: a.end_line,
            started_at: a.started_at,
            finished_at: a.finished_at,
        }
    }
}

/// One worker (queue, child number).
#[derive(Serialize)]
struct WorkerJson<'a> {
    queue: &'a str,
    child: u64,
    pids: &'a [u64],
    items: &'a [usize],
    completed: bool,
    crashes: u64,
}

impl<'a> WorkerJson<'a> {
    fn new(w: &'a Worker) -> WorkerJson<'a> {
        WorkerJson {
            queue: &w.queue,
            child: w.child,
            pids: &w.pids,
            items: &w.items,
            completed: w.completed,
            crashes: w.crashes,
        }
    }
}

/// A session-level mark (start, pause, resume, abort, fail, complete).
#[derive(Serialize)]
struct MarkJson<'a> {
    action: &'a str,
    time: Option<i64>,
    pid: Option<u64>,
    line: u64,
}

impl<'a> MarkJson<'a> {
    fn new(m: &'a Mark) -> MarkJson<'a> {
        MarkJson {
            action: &m.action,
            time: m.time,
            pid: m.pid,
            line: m.line,
        }
    }
}

/// A worker death (`child-failed`).
#[derive(Serialize)]
struct ChildFailureJson<'a> {
    queue: Option<&'a str>,
    child: Option<u64>,
    retry: Option<&'a str>,
    time: Option<i64>,
    line: u64,
    item: Option<usize>,
}

impl<'a> ChildFailureJson<'a> {
    fn new(c: &'a ChildFailure) -> ChildFailureJson<'a> {
        ChildFailureJson {
            queue: c.queue.as_deref(),
            child: c.child,
            retry: c.retry.as_deref(),
            time: c.time,
            line: c.line,
            item: c.item,
        }
    }
}
