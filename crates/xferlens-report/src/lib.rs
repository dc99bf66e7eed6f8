/*!
Renderers for replayed transfer sessions: terminal summaries and
progress, CSV, JSON, Markdown and HTML. Each is a pure function of the
session model and [`Options`]; none re-reads logs.

All text taken from logs is untrusted (it comes from remote servers) and is
neutralised for its destination by [`escape`]: escape sequences stripped
for terminals, formula prefixes guarded in CSV, markup escaped in HTML and
Markdown.
*/
#![deny(missing_docs)]

pub mod accounts;
pub mod cpanel;
pub mod csv;
pub mod escape;
pub mod fleet;
pub mod html;
pub mod json;
pub mod logtext;
pub mod markdown;
pub mod modules;
#[cfg(feature = "parquet")]
pub mod parquet;
pub mod rows;
pub mod schema;
pub mod shown;
pub mod stats;
pub mod style;
pub mod terminal;
pub mod time;
pub mod view;
pub mod whmapi1;
pub mod width;

use xferlens_replay::{Detail, Item, ItemStatus, Session, SessionState, RESTORE, TRANSFER};

/// The TRANSFER items of a session whose RESTORE the log never names.
fn never_restored(s: &Session) -> impl Iterator<Item = &Item> {
    let restored: xferlens_replay::hash::Set<(&str, &str)> = s
        .items
        .iter()
        .filter(|i| i.queue == RESTORE)
        .map(|i| (i.item_type.as_str(), i.item.as_str()))
        .collect();
    s.items.iter().filter(move |t| {
        t.queue == TRANSFER && !restored.contains(&(t.item_type.as_str(), t.item.as_str()))
    })
}

/// Adds to the session a `pending` RESTORE item for each account the
/// master named in TRANSFER whose RESTORE the log never names (queued,
/// never started), so item output lists it by name and filters and
/// sorting treat it like the others. Queue counts are not changed.
pub fn add_pending_restores(s: &mut Session) {
    let extra: Vec<Item> = never_restored(s)
        .map(|t| Item {
            queue: RESTORE.into(),
            item_type: t.item_type.clone(),
            item_name: t.item_name.clone(),
            item: t.item.clone(),
            local_item: t.local_item.clone(),
            size: t.size,
            status: ItemStatus::Pending,
            ..Item::default()
        })
        .collect();
    s.items.extend(extra);
}

/// Diagnostics counted per kind, and the lines they skipped.
#[derive(Debug, Default)]
pub struct DiagnosticCounts {
    /// Count per kind code, in name order.
    pub kinds: std::collections::BTreeMap<&'static str, u64>,
    /// Lines that were not turned into events.
    pub skipped: u64,
}

impl DiagnosticCounts {
    /// The counts of one session's diagnostics.
    pub fn of(s: &Session) -> DiagnosticCounts {
        let mut c = DiagnosticCounts::default();
        c.add(s);
        c
    }

    /// Counts a session's diagnostics.
    pub fn add(&mut self, s: &Session) {
        for d in &s.diagnostics {
            *self.kinds.entry(d.kind.code()).or_default() += 1;
            if d.kind.line_skipped() && d.line > 0 {
                self.skipped += 1;
            }
        }
    }

    /// "invalid-json 3, partial-line 1".
    pub fn by_kind(&self) -> String {
        let list: Vec<String> = self.kinds.iter().map(|(k, v)| format!("{k} {v}")).collect();
        list.join(", ")
    }
}

/// How long (seconds) a running session has gone without a new log line,
/// when that is longer than `o.stale_after_s`: the writer probably died
/// (or the logs are an old copy), so its ETA means nothing. Paused and
/// ended sessions are never stale.
pub fn stale_for(s: &Session, o: &Options) -> Option<i64> {
    if s.state.is_paused() {
        return None;
    }
    quiet_for(s, o)
}

/// How long a session that has not ended (running, pausing, aborting or
/// paused) has written no line, when that is longer than
/// `o.stale_after_s`: for the re-run list such a session has ended
/// (docs/FORMAT.md, "Staleness"). Ended sessions are never quiet.
pub fn quiet_for(s: &Session, o: &Options) -> Option<i64> {
    if s.state.is_terminal() {
        return None;
    }
    let age = o.now?.checked_sub(s.newest_time()?)?;
    (age > o.stale_after_s).then_some(age)
}

/// What every view says of a session stale for `age` seconds (see
/// [`stale_for`]): "no new lines for 2d 03h (newest
/// 2025-11-28T14:00:51Z); no ETA". The terminal prints it after
/// "stale: ", the reports as their "Stale" fact.
pub fn stale_fact(s: &Session, age: i64) -> String {
    let newest = s.newest_time().map(time::rfc3339).unwrap_or_default();
    format!(
        "no new lines for {} (newest {newest}); no ETA",
        time::duration(age)
    )
}

/// Items the log counts (`queue_count`) but never names: they were
/// queued and never started, so no row can say which they are.
pub fn unnamed_items(s: &Session) -> u64 {
    unnamed_per_queue(s).fold(0, u64::saturating_add)
}

/// The queued items of `s` that never started and that its log never
/// names, counted once however many queues list them (the largest count
/// of any queue: an account queued in TRANSFER and RESTORE is one).
pub fn never_named(s: &Session) -> u64 {
    unnamed_per_queue(s).max().unwrap_or(0)
}

/// Per queue, the items counted (`queue_count`) but never named.
fn unnamed_per_queue(s: &Session) -> impl Iterator<Item = u64> + '_ {
    s.queues.iter().map(|q| {
        let named = s.items.iter().filter(|i| i.queue == q.name).count() as u64;
        // Accounts named in TRANSFER are listed in RESTORE as pending
        // (add_pending_restores), whether added yet or not.
        let listed = if q.name == RESTORE {
            never_restored(s).count() as u64
        } else {
            0
        };
        q.items_total.saturating_sub(named + listed)
    })
}

/// A session's duration as the outputs say it: the time it worked, and
/// when it was paused, for how long ("1m 2s (paused 11m 51s)"); `None`
/// without times.
pub fn session_duration(s: &Session) -> Option<String> {
    let d = time::duration(s.duration_s()?);
    let paused = s.wall_s()?.saturating_sub(s.duration_s()?);
    Some(if paused > 0 {
        format!("{d} (paused {})", time::duration(paused))
    } else {
        d
    })
}

/// Rendering settings.
#[derive(Clone, Debug)]
pub struct Options {
    /// Use ANSI colours (terminal only).
    pub color: bool,
    /// Write CSV cells as they are (no formula guard).
    pub raw_csv: bool,
    /// Item-log error lines shown per item.
    pub max_log_lines: usize,
    /// Diagnostics listed per session in reports.
    pub max_diagnostics: usize,
    /// The current time (Unix seconds), to judge whether a running session
    /// is stale; `None` never calls one stale.
    pub now: Option<i64>,
    /// A running session with no new line for longer than this (seconds)
    /// is stale: no ETA, and a warning.
    pub stale_after_s: i64,
    /// The terminal's width: tables and progress lines fit it. `None`
    /// (not a terminal) never cuts text.
    pub width: Option<usize>,
    /// Markdown: every row of every list, with no size cap (by default a
    /// report stays under [`markdown::LIMIT`] characters).
    pub full: bool,
    /// Markdown: rows shown per list when not `full` (the report lowers it
    /// until the whole fits [`markdown::LIMIT`]).
    pub md_rows: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            color: false,
            raw_csv: false,
            max_log_lines: 3,
            max_diagnostics: 50,
            now: None,
            stale_after_s: 3600,
            width: None,
            full: false,
            md_rows: 25,
        }
    }
}

/// Sessions ordered worst first: failed items, then unfinished or failed
/// state, then warnings and diagnostics; ties by id.
pub fn worst_first(sessions: &[Session]) -> Vec<&Session> {
    let mut v: Vec<&Session> = sessions.iter().collect();
    let key = |s: &Session| {
        let failed = s.items_with(ItemStatus::Failed).count();
        let warn: u64 = s
            .queues
            .iter()
            .map(|q| q.warning)
            .fold(0, u64::saturating_add);
        let bad_state = match s.state {
            SessionState::Failed | SessionState::Aborted => 2,
            SessionState::Completed => 0,
            _ => 1,
        };
        (
            std::cmp::Reverse(failed),
            std::cmp::Reverse(bad_state),
            std::cmp::Reverse(warn),
            std::cmp::Reverse(s.diagnostics.len()),
        )
    };
    v.sort_by(|a, b| key(a).cmp(&key(b)).then_with(|| a.id.cmp(&b.id)));
    v
}

/// The sessions that have failed items, worst first, each with those
/// items: the body of both fleet reports.
pub fn failures_worst_first(sessions: &[Session]) -> Vec<(&Session, Vec<&Item>)> {
    worst_first(sessions)
        .into_iter()
        .map(|s| (s, s.items_with(ItemStatus::Failed).collect::<Vec<_>>()))
        .filter(|(_, failed)| !failed.is_empty())
        .collect()
}

/// Totals over many sessions, for fleet overviews.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FleetTotals {
    /// Sessions.
    pub sessions: u64,
    /// Sessions COMPLETED.
    pub completed: u64,
    /// Sessions FAILED or ABORTED.
    pub failed: u64,
    /// Sessions not in a terminal state.
    pub unfinished: u64,
    /// Items completed (success + warning).
    pub items_completed: u64,
    /// Items with warnings.
    pub items_warning: u64,
    /// Items failed.
    pub items_failed: u64,
    /// Items running.
    pub items_running: u64,
    /// Items pending.
    pub items_pending: u64,
}

impl std::ops::AddAssign for FleetTotals {
    fn add_assign(&mut self, o: FleetTotals) {
        self.sessions += o.sessions;
        self.completed += o.completed;
        self.failed += o.failed;
        self.unfinished += o.unfinished;
        self.items_completed += o.items_completed;
        self.items_warning += o.items_warning;
        self.items_failed += o.items_failed;
        self.items_running += o.items_running;
        self.items_pending += o.items_pending;
    }
}

impl FleetTotals {
    /// Totals of one session.
    pub fn of_one(s: &Session) -> FleetTotals {
        let mut f = FleetTotals {
            sessions: 1,
            ..FleetTotals::default()
        };
        match s.state {
            SessionState::Completed => f.completed = 1,
            SessionState::Failed | SessionState::Aborted => f.failed = 1,
            _ => f.unfinished = 1,
        }
        for q in &s.queues {
            f.items_completed += q.completed();
            f.items_warning += q.warning;
            f.items_failed += q.failed;
            f.items_running += q.running;
            f.items_pending += q.pending;
        }
        f
    }

    /// The totals as one sentence, for report headers.
    pub fn sentence(&self) -> String {
        format!(
            "{} sessions: {} completed, {} failed or aborted, {} not finished. Items: {} completed, {} had warnings, {} failed, {} running, {} pending.",
            self.sessions,
            self.completed,
            self.failed,
            self.unfinished,
            self.items_completed,
            self.items_warning,
            self.items_failed,
            self.items_running,
            self.items_pending
        )
    }

    /// Totals of many sessions.
    pub fn of<'a>(sessions: impl IntoIterator<Item = &'a Session>) -> FleetTotals {
        let mut f = FleetTotals::default();
        for s in sessions {
            f += FleetTotals::of_one(s);
        }
        f
    }
}
/// Where a detail record came from, as the reports show it:
/// `module::function`, either part alone, or empty.
pub fn detail_origin(d: &Detail) -> String {
    match (d.module.as_deref(), d.function.as_deref()) {
        (Some(m), Some(f)) => format!("{m}::{f}"),
        (Some(x), None) | (None, Some(x)) => x.to_owned(),
        (None, None) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_origin_joins_what_is_there() {
        let d = |m: Option<&str>, f: Option<&str>| Detail {
            module: m.map(str::to_owned),
            function: f.map(str::to_owned),
            ..Detail::default()
        };
        assert_eq!(
            detail_origin(&d(Some("Mysql"), Some("restore"))),
            "Mysql::restore"
        );
        assert_eq!(detail_origin(&d(Some("Mysql"), None)), "Mysql");
        assert_eq!(detail_origin(&d(None, Some("restore"))), "restore");
        assert_eq!(detail_origin(&d(None, None)), "");
    }
}
