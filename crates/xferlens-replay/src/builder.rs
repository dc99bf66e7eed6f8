//! Assembling a [`Session`] from its parts, whatever order they arrive in
//! (a directory listing, or the members of a tar stream): the master log,
//! item logs, `master.error_log`.

use crate::hash::{Map, Set};
use std::io::{self, Read};
use std::sync::Arc;

use xferlens_parse::{parse_input, Diagnostic, ParseOptions, ParseSummary};

use crate::files::{classify, default_log_name, item_log_parts, FileRole};
use crate::itemlog::ItemLogReplay;
use crate::limits::{self, file_diagnostic, DiagnosticBudget};
use crate::master::MasterReplay;
use crate::model::{Item, ItemLog, ItemStatus, LogFile, Session, Volume, ERROR_LOG_KEEP};
use crate::progress::compute_queues;

/// Longest `master.error_log` line kept, in bytes.
const ERROR_LINE_KEEP: usize = 1000;

fn volume(s: &ParseSummary) -> Volume {
    Volume {
        files: 1,
        bytes: s.bytes,
        lines: s.lines,
        events: s.events,
    }
}

/// Replays a master log from any input form. `display` names it in
/// diagnostics.
pub fn replay_master<R: Read>(
    display: &str,
    reader: R,
    opts: &ParseOptions,
) -> io::Result<(Session, Volume)> {
    replay_master_in(display, reader, opts, None, false)
}

/// [`replay_master`] under a session's budget; `live`: the log is a dot
/// file still being written.
fn replay_master_in<R: Read>(
    display: &str,
    reader: R,
    opts: &ParseOptions,
    budget: Option<Arc<DiagnosticBudget>>,
    live: bool,
) -> io::Result<(Session, Volume)> {
    let mut m = match budget {
        Some(b) => MasterReplay::with_budget(display, b),
        None => MasterReplay::new(display),
    }
    .live(live);
    let summary = parse_input(display, reader, &mut m, opts)?;
    Ok((m.finish(), volume(&summary)))
}

/// Replays one item log from any input form.
pub fn replay_item_log<R: Read>(
    display: &str,
    file_name: &str,
    active: bool,
    reader: R,
    opts: &ParseOptions,
) -> io::Result<(ItemLog, Vec<Diagnostic>)> {
    replay_item_log_in(display, file_name, active, reader, opts, None, true)
}

/// [`replay_item_log`] under a session's diagnostic budget.
pub(crate) fn replay_item_log_in<R: Read>(
    display: &str,
    file_name: &str,
    active: bool,
    reader: R,
    opts: &ParseOptions,
    budget: Option<Arc<DiagnosticBudget>>,
    percentage_times: bool,
) -> io::Result<(ItemLog, Vec<Diagnostic>)> {
    let mut r = match budget {
        Some(b) => ItemLogReplay::with_budget(file_name, display, active, b),
        None => ItemLogReplay::new(file_name, display, active),
    };
    if !percentage_times {
        r = r.without_percentage_times();
    }
    // Item logs: lines of types nothing reads are only checked, not
    // decoded, and progress lines are scanned where they can be (the sink
    // takes them; unless the caller asked to validate every line).
    let opts = ParseOptions {
        skip_types: crate::itemlog::ITEM_LOG_SKIP,
        ..opts.clone()
    };
    let summary = parse_input(display, reader, &mut r, &opts)?;
    Ok(r.finish(volume(&summary)))
}

/// Reads `master.error_log` text: non-empty lines, the first
/// [`ERROR_LOG_KEEP`] kept (each cut to 1000 bytes), all counted. Memory is
/// bounded whatever the file holds.
pub fn read_error_log<R: Read>(mut reader: R) -> io::Result<(Vec<String>, u64)> {
    let mut kept = Vec::new();
    let mut count = 0u64;
    let mut cur: Vec<u8> = Vec::new();
    let mut cur_nonblank = false;
    let mut buf = vec![0u8; 64 << 10];
    let mut end_line = |cur: &mut Vec<u8>, nonblank: &mut bool, kept: &mut Vec<String>| {
        if *nonblank {
            count += 1;
            if kept.len() < ERROR_LOG_KEEP {
                let s = String::from_utf8_lossy(cur);
                kept.push(s.trim_end_matches('\r').to_owned());
            }
        }
        cur.clear();
        *nonblank = false;
    };
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let mut rest = &buf[..n];
        while !rest.is_empty() {
            let (part, nl) = match memchr_nl(rest) {
                Some(i) => (&rest[..i], true),
                None => (rest, false),
            };
            cur_nonblank |= part.iter().any(|b| !b.is_ascii_whitespace());
            let room = ERROR_LINE_KEEP.saturating_sub(cur.len());
            cur.extend_from_slice(&part[..part.len().min(room)]);
            rest = &rest[part.len() + nl as usize..];
            if nl {
                end_line(&mut cur, &mut cur_nonblank, &mut kept);
            }
        }
    }
    end_line(&mut cur, &mut cur_nonblank, &mut kept);
    Ok((kept, count))
}

fn memchr_nl(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'\n')
}

/// Collects the parts of one session and joins them into a [`Session`].
#[derive(Debug, Default)]
pub struct SessionBuilder {
    id: String,
    master: Option<(Session, LogFile, Volume)>,
    item_logs: Map<String, (ItemLog, Vec<Diagnostic>)>,
    /// Item logs not read past [`limits::ITEM_LOGS_MAX`].
    item_logs_dropped: u64,
    error_log: Vec<String>,
    error_log_lines: u64,
    /// An error log was read: whether it was the active (dot) one.
    error_log_read: Option<bool>,
    diagnostics: Vec<Diagnostic>,
    budget: Arc<DiagnosticBudget>,
}

impl SessionBuilder {
    /// A builder for the session `id`.
    pub fn new(id: &str) -> SessionBuilder {
        SessionBuilder {
            id: id.to_owned(),
            ..SessionBuilder::default()
        }
    }

    /// The session's diagnostic budget, shared with the replays of its
    /// files.
    pub(crate) fn budget(&self) -> Arc<DiagnosticBudget> {
        Arc::clone(&self.budget)
    }

    /// Reads one file of the session by its name (as in the directory),
    /// dispatching on [`classify`]. Other files are ignored. `display`
    /// names the file in diagnostics.
    pub fn read_file<R: Read>(
        &mut self,
        file_name: &str,
        display: &str,
        reader: R,
        opts: &ParseOptions,
    ) -> io::Result<()> {
        match classify(file_name) {
            FileRole::Master { active } => {
                let (s, v) = replay_master_in(display, reader, opts, Some(self.budget()), active)?;
                self.add_master(
                    s,
                    LogFile {
                        name: file_name.to_owned(),
                        active,
                        modified: None,
                    },
                    v,
                );
            }
            FileRole::ItemLog { name, active } => {
                if self.over_item_logs(&name) {
                    return Ok(());
                }
                let budget = Some(self.budget());
                let (log, diags) =
                    replay_item_log_in(display, file_name, active, reader, opts, budget, true)?;
                self.add_item_log(&name, log, diags);
            }
            FileRole::ErrorLog { active } => {
                // A completed `master.error_log` wins over its active dot
                // twin, as for the other files.
                if self
                    .error_log_read
                    .is_some_and(|was_active| !was_active || active)
                {
                    return Ok(());
                }
                let (lines, n) = read_error_log(reader)?;
                self.error_log = lines;
                self.error_log_lines = n;
                self.error_log_read = Some(active);
            }
            FileRole::Other => {}
        }
        Ok(())
    }

    /// Reads a stream whose name says nothing (stdin, a saved API
    /// response, a log saved under another name) as an item log named
    /// `file_name`: its item comes from its `start` line (docs/FORMAT.md,
    /// "Item logs").
    pub fn read_item_log_as<R: Read>(
        &mut self,
        file_name: &str,
        display: &str,
        reader: R,
        opts: &ParseOptions,
    ) -> io::Result<()> {
        if self.over_item_logs(file_name) {
            return Ok(());
        }
        let budget = Some(self.budget());
        let (log, diags) =
            replay_item_log_in(display, file_name, false, reader, opts, budget, true)?;
        self.add_item_log(file_name, log, diags);
        Ok(())
    }

    /// Adds a replayed master log. A completed `master.log` wins over an
    /// active `.master.log` (both exist for a moment at the rename).
    pub fn add_master(&mut self, session: Session, file: LogFile, volume: Volume) {
        let replace = match &self.master {
            None => true,
            Some((_, old, _)) => old.active && !file.active,
        };
        if replace {
            self.master = Some((session, file, volume));
        }
    }

    /// Adds a replayed item log under its completed name. A completed log
    /// wins over an active one of the same item, so an item is never
    /// counted twice.
    pub fn add_item_log(&mut self, name: &str, log: ItemLog, diags: Vec<Diagnostic>) {
        if self.over_item_logs(name) {
            return;
        }
        let replace = match self.item_logs.get(name) {
            None => true,
            Some((old, _)) => old.active && !log.active,
        };
        if replace {
            self.item_logs.insert(name.to_owned(), (log, diags));
        }
    }

    /// True (and counted) when the item log `name` is a new one past
    /// [`limits::ITEM_LOGS_MAX`]: it is then not read. The twin of a kept
    /// log (its active or completed name) is always taken.
    fn over_item_logs(&mut self, name: &str) -> bool {
        let over =
            self.item_logs.len() >= limits::ITEM_LOGS_MAX && !self.item_logs.contains_key(name);
        self.item_logs_dropped += u64::from(over);
        over
    }

    /// Records the modification time of the master log `file_name`, if it
    /// is the one kept.
    pub fn set_master_modified(&mut self, file_name: &str, t: i64) {
        if let Some((_, f, _)) = &mut self.master {
            if f.name == file_name {
                f.modified = Some(t);
            }
        }
    }

    /// Adds a diagnostic about the session's files (unreadable, symlink).
    pub fn push_diagnostic(&mut self, d: Diagnostic) {
        if self.budget.take() {
            self.diagnostics.push(d);
        }
    }

    /// Joins everything into the session model.
    pub fn finish(self) -> Session {
        let SessionBuilder {
            id,
            master,
            mut item_logs,
            item_logs_dropped,
            error_log,
            error_log_lines,
            error_log_read: _,
            diagnostics,
            budget,
        } = self;
        let mut s = match master {
            Some((mut s, file, v)) => {
                s.master = Some(file);
                s.volume += v;
                s
            }
            None => {
                let mut s = Session::default();
                if !item_logs.is_empty() || error_log_lines > 0 {
                    s.diagnostics.push(file_diagnostic(
                        &id,
                        "no-master-log",
                        "no master.log found; items come from item logs only".into(),
                    ));
                }
                s
            }
        };
        s.id = id;
        s.error_log = error_log;
        s.error_log_lines = error_log_lines;
        s.diagnostics.extend(diagnostics);
        if item_logs_dropped > 0 {
            // Always kept: it says what is missing.
            s.diagnostics.push(file_diagnostic(
                &s.id,
                "over-budget",
                format!(
                    "more than {} item logs: {item_logs_dropped} further item logs not read",
                    limits::ITEM_LOGS_MAX
                ),
            ));
        }
        attach_item_logs(&mut s, &mut item_logs);
        add_unmentioned_logs(&mut s, item_logs, &budget);
        if s.master.is_none() {
            times_from_items(&mut s);
        }
        settle_at_end(&mut s);
        s.note_pauses();
        if budget.dropped() > 0 {
            // Always kept: it says what is missing.
            s.diagnostics.push(file_diagnostic(
                &s.id,
                "diagnostics-truncated",
                format!(
                    "{} more diagnostics in this session not kept (at most {} per session, {} per file)",
                    budget.dropped(),
                    limits::SESSION_DIAGNOSTICS_MAX,
                    limits::FILE_DIAGNOSTICS_MAX
                ),
            ));
        }
        compute_queues(&mut s);
        s
    }
}

/// Item logs by file name, with their diagnostics.
type ItemLogs = Map<String, (ItemLog, Vec<Diagnostic>)>;

/// Counts an item log's volume, skipped lines and diagnostics into `s`.
fn count_log(s: &mut Session, log: &ItemLog, diags: Vec<Diagnostic>) {
    s.volume += log.volume;
    s.skipped_lines += log.skipped_lines;
    s.diagnostics.extend(diags);
}

/// Attaches to each item the master names its item log (taken out of
/// `logs`); a log's summary gives the item its details where the master
/// gave none.
fn attach_item_logs(s: &mut Session, logs: &mut ItemLogs) {
    for i in 0..s.items.len() {
        let it = &s.items[i];
        let found = match &it.logfile {
            Some(name) => logs.remove(name.as_str()),
            None => logs.remove(&default_log_name(&it.queue, &it.item_type, &it.item)),
        };
        if let Some((log, diags)) = found {
            count_log(s, &log, diags);
            let it = &mut s.items[i];
            if it.details.is_empty() {
                if let Some(sum) = &log.summary {
                    it.details = Arc::clone(sum);
                }
            }
            it.log = Some(Box::new(log));
        }
    }
}

/// Item logs the master never mentioned: beside a master, listed (and
/// reported) outside every total, as on WHM's page, which only follows the
/// logs the master names (docs/FORMAT.md); without a master, they are all
/// the session has, so each becomes an item.
fn add_unmentioned_logs(s: &mut Session, logs: ItemLogs, budget: &DiagnosticBudget) {
    let mut queues: Set<String> = s.queues.iter().map(|q| q.name.clone()).collect();
    let mut rest: Vec<_> = logs.into_iter().collect();
    rest.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, (log, diags)) in rest {
        count_log(s, &log, diags);
        if s.master.is_some() {
            if budget.take() {
                s.diagnostics.push(file_diagnostic(
                    &log.path,
                    "unmentioned-item-log",
                    format!("item log {name} is not mentioned in the master log"),
                ));
            }
            s.unmentioned_logs.push(log.file.clone());
            continue;
        }
        // The file name gives queue, type and item; a log of no item-log
        // name (read from stdin or an API response) gives its `start`
        // line's queue and item, and no type: that line names a label.
        let start = log.start.clone().unwrap_or_default();
        let (queue, item_type, item) = match item_log_parts(&name) {
            Some(parts) => parts,
            None if log.start.is_some() => (start.queue.as_str(), "", start.item.as_str()),
            None => ("?", "?", name.as_str()),
        };
        if !queues.contains(queue) {
            if queues.len() >= limits::QUEUES_MAX {
                continue; // counted with the other logs over budget
            }
            queues.insert(queue.to_owned());
            s.queues.push(crate::model::Queue {
                name: queue.to_owned(),
                ..Default::default()
            });
        }
        s.items
            .push(item_of_log(queue, item_type, item, &name, log));
    }
}

/// The item an item log alone describes (no master log).
fn item_of_log(queue: &str, item_type: &str, item: &str, name: &str, log: ItemLog) -> Item {
    let status = match &log.result {
        Some(r) if !r.success => ItemStatus::Failed,
        Some(_) if log.warning_count > 0 => ItemStatus::Warning,
        Some(_) => ItemStatus::Success,
        None if log.last_percentage.is_some() || log.volume.events > 0 => ItemStatus::Running,
        None => ItemStatus::Pending,
    };
    let start = log.start.as_ref();
    Item {
        queue: queue.to_owned(),
        item_type: item_type.to_owned(),
        item: item.to_owned(),
        // The `start` line's label and local name (Item.pm `start`).
        item_name: start.map(|s| s.label.clone()),
        local_item: start.and_then(|s| s.local_item.clone()),
        logfile: Some(name.to_owned()),
        // Without a master log, the item log's own line times.
        started_at: log.first_time,
        finished_at: log.last_time.filter(|_| log.result.is_some()),
        status,
        failure: log
            .result
            .as_ref()
            .filter(|r| !r.success)
            .map(|r| r.text.clone()),
        details: log.summary.clone().unwrap_or_default(),
        in_master: false,
        log: Some(Box::new(log)),
        ..Item::default()
    }
}

/// Without a master log, the session's times are its items'.
fn times_from_items(s: &mut Session) {
    let starts = s.items.iter().filter_map(|i| i.started_at);
    s.started_at = s.started_at.or(starts.min());
    let ends = s
        .items
        .iter()
        .filter_map(|i| i.log.as_ref().and_then(|l| l.last_time));
    s.last_event_at = s.last_event_at.or(ends.max());
}

/// What the end of the logs settles: a module that never ended is running
/// only while its item is, and a session that ended leaves nothing
/// running (such an item failed, with the reason said).
fn settle_at_end(s: &mut Session) {
    let terminal = s.state.is_terminal();
    let state = s.state.as_str();
    for it in &mut s.items {
        let running = it.status == ItemStatus::Running && !terminal;
        if let Some(log) = &mut it.log {
            for m in &mut log.modules {
                m.state = crate::itemlog::module_state(m, running);
            }
        }
        if terminal && it.status == ItemStatus::Running {
            it.status = ItemStatus::Failed;
            if it.failure.is_none() {
                it.failure = Some(format!("unfinished when the session ended ({state})"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_logs_past_the_budget_are_counted_not_read() {
        let mut b = SessionBuilder::new("s");
        let opts = ParseOptions::default();
        let n = limits::ITEM_LOGS_MAX + 5;
        for i in 0..n {
            let f = format!("item-RESTORE_AccountRemoteRoot_u{i}");
            b.read_file(&f, &f, &b""[..], &opts).unwrap();
        }
        // The twin of a kept log is still taken.
        let f = "item-RESTORE_AccountRemoteRoot_u0";
        b.read_file(&format!(".{f}"), f, &b""[..], &opts).unwrap();
        let s = b.finish();
        assert_eq!(s.items.len(), limits::ITEM_LOGS_MAX);
        let d: Vec<_> = s
            .diagnostics
            .iter()
            .filter(|d| d.to_string().contains("further item logs not read"))
            .collect();
        assert_eq!(d.len(), 1, "{:?}", s.diagnostics);
        assert!(d[0].to_string().contains(": 5 further"), "{}", d[0]);
    }

    #[test]
    fn error_log_is_bounded_and_skips_blank_lines() {
        let mut text = String::from("\n  \nfirst warning at x.pl line 3.\r\n");
        text.push_str(&"y".repeat(5000));
        text.push('\n');
        for i in 0..300 {
            text.push_str(&format!("line {i}\n"));
        }
        let (kept, n) = read_error_log(text.as_bytes()).unwrap();
        assert_eq!(n, 302);
        assert_eq!(kept.len(), ERROR_LOG_KEEP);
        assert_eq!(kept[0], "first warning at x.pl line 3.");
        assert_eq!(kept[1].len(), 1000);
    }
}
