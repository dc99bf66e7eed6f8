//! Restore module timelines as answers: one row per module (the `modules`
//! command), the failing step of a failed restore, the slowest restores
//! with their longest steps, and per-module statistics over many sessions
//! (`batch`'s modules.csv and the fleet reports).

use std::io::{self, Write};
use xferlens_replay::hash::Map as HashMap;

use serde::Serialize;
use xferlens_replay::{Item, ModuleState, Session};

use crate::columns;
use crate::csv::CsvOut;
use crate::shown::{shown, table, How, Join, Shown};
use crate::time::duration;
use crate::view::{Cell, Row};

/// One action of a module row (JSON only).
#[derive(Clone, Debug, Serialize)]
pub struct ActionRow<'a> {
    /// Action name.
    pub name: &'a str,
    /// RFC 3339 start, or null.
    pub started_at: Option<String>,
    /// RFC 3339 end, or null.
    pub finished_at: Option<String>,
    /// Seconds, or null.
    pub duration_s: Option<i64>,
}

/// One restore module of one item, flattened.
#[derive(Clone, Debug)]
pub struct ModuleRow<'a> {
    /// Session id.
    pub session_id: &'a str,
    /// Queue (RESTORE).
    pub queue: &'a str,
    /// Item type.
    pub item_type: &'a str,
    /// Source-side name.
    pub item: &'a str,
    /// Name on this server.
    pub local_item: Option<&'a str>,
    /// Module name.
    pub module: &'a str,
    /// RFC 3339 start, or null.
    pub started_at: Option<String>,
    /// RFC 3339 end, or null.
    pub finished_at: Option<String>,
    /// Seconds, or null (no times, never ended, or times going backwards).
    pub duration_s: Option<i64>,
    /// success, failed, ended, running, unfinished.
    pub status: &'static str,
    /// `modulestatus` message.
    pub message: Option<&'a str>,
    /// Line of `start_module`.
    pub start_line: Option<u64>,
    /// Line of `end_module`.
    pub end_line: Option<u64>,
    /// Its actions, in log order.
    pub actions: Vec<ActionRow<'a>>,
}

columns! { ModuleRow<'a> as r => MODULE_COLUMNS {
    "session_id" => Cell::text(r.session_id),
    "queue" => Cell::text(r.queue),
    "item_type" => Cell::text(r.item_type),
    "item" => Cell::text(r.item),
    "local_item" => Cell::opt(r.local_item),
    "module" => Cell::text(r.module),
    "started_at" => Cell::opt(r.started_at.as_deref()),
    "finished_at" => Cell::opt(r.finished_at.as_deref()),
    "duration_s" => Cell::Int(r.duration_s),
    "status" => Cell::text(r.status),
    "message" => Cell::opt(r.message),
    "start_line" => Cell::UInt(r.start_line),
    "end_line" => Cell::UInt(r.end_line),
    // CSV counts the actions; JSON lists them (see the Serialize below).
    "actions" => Cell::count(r.actions.len() as u64),
} }

/// A module row as JSON: its columns, with the actions in full.
impl Serialize for ModuleRow<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let cells = self.cells();
        let mut m = s.serialize_map(Some(MODULE_COLUMNS.len()))?;
        for (name, cell) in MODULE_COLUMNS.iter().zip(&cells) {
            if *name == "actions" {
                m.serialize_entry(name, &self.actions)?;
            } else {
                m.serialize_entry(name, cell)?;
            }
        }
        m.end()
    }
}

/// The module rows of every session, in session, item and log order.
pub fn rows(sessions: &[Session]) -> impl Iterator<Item = ModuleRow<'_>> {
    sessions.iter().flat_map(|s| {
        s.items_by_queue().flat_map(move |it| {
            let mods = it.log.as_ref().map(|l| &l.modules[..]).unwrap_or(&[]);
            mods.iter().map(move |m| ModuleRow {
                session_id: &s.id,
                queue: &it.queue,
                item_type: &it.item_type,
                item: &it.item,
                local_item: it.local_item.as_deref(),
                module: &m.name,
                started_at: m.started_at.map(crate::time::rfc3339),
                finished_at: m.finished_at.map(crate::time::rfc3339),
                duration_s: m.duration_s(),
                status: m.state.as_str(),
                message: m.statusmsg.as_deref(),
                start_line: m.start_line,
                end_line: m.end_line,
                actions: m
                    .actions
                    .iter()
                    .map(|a| ActionRow {
                        name: &a.name,
                        started_at: a.started_at.map(crate::time::rfc3339),
                        finished_at: a.finished_at.map(crate::time::rfc3339),
                        duration_s: a.duration_s(),
                    })
                    .collect(),
            })
        })
    })
}

/// Writes the module rows as CSV (header included). `actions` is the
/// number of actions; JSON carries them in full.
pub fn csv<W: Write>(sessions: &[Session], raw: bool, out: W) -> io::Result<()> {
    let mut c = CsvOut::new(out, raw);
    c.header_of::<ModuleRow>()?;
    for r in rows(sessions) {
        c.record(&r)?;
    }
    c.finish()
}

/// Writes the module rows as one JSON array, or one object per line.
pub fn json<W: Write>(sessions: &[Session], lines: bool, mut out: W) -> io::Result<()> {
    if lines {
        for r in rows(sessions) {
            serde_json::to_writer(&mut out, &r)?;
            out.write_all(b"\n")?;
        }
    } else {
        let all: Vec<ModuleRow<'_>> = rows(sessions).collect();
        serde_json::to_writer_pretty(&mut out, &all)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// "Mysql failed: reason" for a failed restore whose log names the step
/// (the module with `modulestatus` 0, else the one left unfinished); the
/// plain reason otherwise.
pub fn reason(it: &Item) -> Option<String> {
    let plain = it.reason();
    match it.failed_module() {
        Some(m) => {
            let why = m.statusmsg.as_deref().or(plain).unwrap_or("");
            Some(if why.is_empty() {
                format!("{} {}", m.name, m.state.as_str())
            } else {
                format!("{} {}: {}", m.name, m.state.as_str(), why)
            })
        }
        None => plain.map(str::to_owned),
    }
}

/// "Homedir 1m 20s, Mysql 30s, Mail 10s": an item's `n` longest modules.
pub fn breakdown(it: &Item, n: usize) -> String {
    it.top_modules(n)
        .iter()
        .filter_map(|m| Some(format!("{} {}", m.name, duration(m.duration_s()?))))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `n` slowest items of a session that have module times, slowest
/// first.
pub fn slowest(s: &Session, n: usize) -> Vec<&Item> {
    let mut v: Vec<&Item> = s
        .items
        .iter()
        .filter(|it| it.duration_s().is_some() && !it.top_modules(1).is_empty())
        .collect();
    v.sort_by_key(|it| std::cmp::Reverse(it.duration_s()));
    v.truncate(n);
    v
}

/// Most distinct module names tracked by [`ModuleStats`]; the rest are
/// counted under `(other)`.
pub const MODULE_NAMES_MAX: usize = 200;

/// How many slowest runs [`ModuleStat`] keeps per module.
const SLOWEST_KEPT: usize = 3;

/// One module over many sessions.
#[derive(Clone, Debug, Default)]
pub struct ModuleStat {
    /// Module name.
    pub name: String,
    /// Times it ran (module sections seen).
    pub runs: u64,
    /// Times it failed (`modulestatus` 0).
    pub failed: u64,
    /// Times it never ended.
    pub unfinished: u64,
    /// Durations in seconds (runs with both times).
    durations: Vec<u32>,
    /// The slowest runs: (seconds, session id, item).
    pub slowest: Vec<(i64, String, String)>,
}

impl ModuleStat {
    /// The `q` quantile (0..=1) of the durations, nearest rank.
    pub fn quantile(&self, q: f64) -> Option<i64> {
        crate::stats::quantile(&self.durations, q).map(i64::from)
    }

    /// Total seconds over the runs with a duration.
    pub fn total_s(&self) -> i64 {
        self.durations.iter().map(|&d| i64::from(d)).sum()
    }
}

/// Per-module statistics over many sessions, gathered session by session
/// (so `batch` can drop each session's item logs once counted).
#[derive(Clone, Debug, Default)]
pub struct ModuleStats {
    by_name: HashMap<String, usize>,
    /// The modules, in order of first appearance.
    pub modules: Vec<ModuleStat>,
}

impl ModuleStats {
    /// Counts every module of every item of `s`.
    pub fn add(&mut self, s: &Session) {
        for it in &s.items {
            let Some(log) = &it.log else { continue };
            for m in &log.modules {
                let name = if self.by_name.contains_key(&m.name)
                    || self.by_name.len() < MODULE_NAMES_MAX
                {
                    m.name.as_str()
                } else {
                    "(other)"
                };
                let i = match self.by_name.get(name) {
                    Some(&i) => i,
                    None => {
                        self.modules.push(ModuleStat {
                            name: name.to_owned(),
                            ..ModuleStat::default()
                        });
                        self.by_name.insert(name.to_owned(), self.modules.len() - 1);
                        self.modules.len() - 1
                    }
                };
                let st = &mut self.modules[i];
                st.runs += 1;
                st.failed += u64::from(m.state == ModuleState::Failed);
                st.unfinished += u64::from(m.state == ModuleState::Unfinished);
                if let Some(d) = m.duration_s() {
                    st.durations.push(u32::try_from(d).unwrap_or(u32::MAX));
                    let slow = &mut st.slowest;
                    if slow.len() < SLOWEST_KEPT || slow.last().is_some_and(|l| l.0 < d) {
                        slow.push((d, s.id.clone(), it.item.clone()));
                        slow.sort_by_key(|x| std::cmp::Reverse(x.0));
                        slow.truncate(SLOWEST_KEPT);
                    }
                }
            }
        }
    }

    /// Adds another set of statistics (one session's, gathered on a
    /// worker thread) to these.
    pub fn merge(&mut self, other: ModuleStats) {
        for o in other.modules {
            let name =
                if self.by_name.contains_key(&o.name) || self.by_name.len() < MODULE_NAMES_MAX {
                    o.name.clone()
                } else {
                    "(other)".to_owned()
                };
            let i = match self.by_name.get(&name) {
                Some(&i) => i,
                None => {
                    self.modules.push(ModuleStat {
                        name: name.clone(),
                        ..ModuleStat::default()
                    });
                    self.by_name.insert(name, self.modules.len() - 1);
                    self.modules.len() - 1
                }
            };
            let st = &mut self.modules[i];
            st.runs += o.runs;
            st.failed += o.failed;
            st.unfinished += o.unfinished;
            st.durations.extend(o.durations);
            st.slowest.extend(o.slowest);
            st.slowest.sort_by_key(|x| std::cmp::Reverse(x.0));
            st.slowest.truncate(SLOWEST_KEPT);
        }
    }

    /// The modules, most total time first.
    pub fn by_total_time(&self) -> Vec<&ModuleStat> {
        let mut v: Vec<&ModuleStat> = self.modules.iter().collect();
        v.sort_by_key(|m| (std::cmp::Reverse(m.total_s()), m.name.clone()));
        v
    }

    /// True when no module was seen.
    pub fn is_empty(&self) -> bool {
        self.modules.is_empty()
    }
}

columns! { ModuleStat as r => STAT_COLUMNS {
    "module" => Cell::text(&r.name),
    "runs" => Cell::count(r.runs),
    "failed" => Cell::count(r.failed),
    "unfinished" => Cell::count(r.unfinished),
    "median_s" => Cell::Int(r.quantile(0.5)),
    "p90_s" => Cell::Int(r.quantile(0.9)),
    "total_s" => Cell::Int(Some(r.total_s())),
    // The slowest runs, as `session/item`, and their seconds.
    "slowest" => Cell::Text(Some(
        r.slowest.iter().map(|(_, s, i)| format!("{s}/{i}")).collect::<Vec<_>>().join(" ").into()
    )),
    "slowest_s" => Cell::Text(Some(
        r.slowest.iter().map(|(d, _, _)| d.to_string()).collect::<Vec<_>>().join(" ").into()
    )),
} }

/// One module as the reports' module tables show it: its statistics, its
/// share of all module time, and its slowest runs one column each.
pub struct ModuleLine<'a> {
    /// The module's statistics.
    pub st: &'a ModuleStat,
    /// Its share of the time of every module, in percent.
    pub share: f64,
}

impl<'a> ModuleLine<'a> {
    /// The lines of `stats`, most total time first.
    pub fn of(stats: &'a ModuleStats) -> impl Iterator<Item = ModuleLine<'a>> {
        let all = stats
            .modules
            .iter()
            .map(|m| m.total_s())
            .sum::<i64>()
            .max(1);
        stats.by_total_time().into_iter().map(move |st| ModuleLine {
            st,
            share: st.total_s() as f64 / all as f64 * 100.0,
        })
    }

    /// Slowest run `k` (from 0): seconds, session id, item.
    fn run(&self, k: usize) -> Option<&'a (i64, String, String)> {
        self.st.slowest.get(k)
    }
}

columns! { ModuleLine<'a> as r => MODULE_LINE_COLUMNS: ModuleStat = r.st; {
    "share" => Cell::Fixed(Some(r.share), 1),
    "run1_s" => Cell::Int(r.run(0).map(|x| x.0)),
    "run1_session" => Cell::opt(r.run(0).map(|x| x.1.as_str())),
    "run1_item" => Cell::opt(r.run(0).map(|x| x.2.as_str())),
    "run2_s" => Cell::Int(r.run(1).map(|x| x.0)),
    "run2_session" => Cell::opt(r.run(1).map(|x| x.1.as_str())),
    "run2_item" => Cell::opt(r.run(1).map(|x| x.2.as_str())),
    "run3_s" => Cell::Int(r.run(2).map(|x| x.0)),
    "run3_session" => Cell::opt(r.run(2).map(|x| x.1.as_str())),
    "run3_item" => Cell::opt(r.run(2).map(|x| x.2.as_str())),
} }

/// The first columns of every module table.
const MODULE_FIRST: [Shown; 5] = [
    shown("Module", "module", How::Text),
    shown("Runs", "runs", How::Number),
    shown("Failed", "failed", How::Number),
    shown("Median", "median_s", How::Duration),
    shown("p90", "p90_s", How::Duration),
];

/// The total time of a module, with its share as a bar (HTML).
const MODULE_TOTAL: Shown = shown("Total time", "share", How::Share("module time")).then(
    Join::Space,
    "total_s",
    How::Elapsed,
);

/// The columns of each kept run: item, session, seconds.
const RUNS: [[&str; 3]; SLOWEST_KEPT] = [
    ["run1_item", "run1_session", "run1_s"],
    ["run2_item", "run2_session", "run2_s"],
    ["run3_item", "run3_session", "run3_s"],
];

/// The slowest runs in one HTML cell, one per line: item, (muted) session
/// when `with_session`, and time.
const fn runs_html(with_session: bool) -> Shown {
    let mut s = shown("Longest runs", RUNS[0][0], How::Text);
    let mut k = 0;
    while k < RUNS.len() {
        if k > 0 {
            s = s.then(Join::Next, RUNS[k][0], How::Text);
        }
        if with_session {
            s = s.then(Join::Muted, RUNS[k][1], How::Text);
        }
        s = s.then(Join::Space, RUNS[k][2], How::Elapsed);
        k += 1;
    }
    s
}

/// The slowest runs in one Markdown cell, after commas: `session` item
/// (time).
const fn runs_markdown() -> Shown {
    let mut s = shown("Slowest", RUNS[0][1], How::Id);
    let mut k = 0;
    while k < RUNS.len() {
        if k > 0 {
            s = s.then(Join::Next, RUNS[k][1], How::Id);
        }
        s = s.then(Join::Space, RUNS[k][0], How::Text);
        s = s.then(Join::Paren, RUNS[k][2], How::Elapsed);
        k += 1;
    }
    s
}

/// The module table of a fleet's HTML report: where each module took
/// longest, with the session.
pub const MODULES_FLEET_HTML: [Shown; 7] =
    table(&[&MODULE_FIRST, &[MODULE_TOTAL, runs_html(true)]]);

/// The module table of one session's HTML report (its runs are all of
/// this session).
pub const MODULES_SESSION_HTML: [Shown; 7] =
    table(&[&MODULE_FIRST, &[MODULE_TOTAL, runs_html(false)]]);

/// The module table of the Markdown reports.
pub const MODULES_MARKDOWN: [Shown; 7] = table(&[
    &MODULE_FIRST,
    &[shown("Total", "total_s", How::Elapsed), runs_markdown()],
]);

/// Writes the per-module statistics as CSV (`modules.csv` in `batch`
/// output), most total time first.
pub fn stats_csv<W: Write>(stats: &ModuleStats, raw: bool, out: W) -> io::Result<()> {
    let mut c = CsvOut::new(out, raw);
    c.header_of::<ModuleStat>()?;
    for m in stats.by_total_time() {
        c.record(m)?;
    }
    c.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use xferlens_replay::{ItemLog, ItemStatus, Module};

    fn module(name: &str, a: Option<i64>, b: Option<i64>, state: ModuleState) -> Module {
        Module {
            name: name.into(),
            started_at: a,
            finished_at: b,
            state,
            statusmsg: (state == ModuleState::Failed).then(|| "no space".to_owned()),
            ..Module::default()
        }
    }

    fn item(mods: Vec<Module>, status: ItemStatus) -> Item {
        Item {
            queue: "RESTORE".into(),
            item: "bob".into(),
            status,
            started_at: Some(0),
            finished_at: Some(100),
            failure: Some("Failed: restore".into()),
            log: Some(Box::new(ItemLog {
                modules: mods,
                ..ItemLog::default()
            })),
            ..Item::default()
        }
    }

    #[test]
    fn reason_names_the_failed_module() {
        let it = item(
            vec![
                module("Homedir", Some(0), Some(60), ModuleState::Success),
                module("Mysql", Some(60), Some(90), ModuleState::Failed),
            ],
            ItemStatus::Failed,
        );
        assert_eq!(reason(&it).unwrap(), "Mysql failed: no space");
        assert_eq!(breakdown(&it, 3), "Homedir 1m 00s, Mysql 30s");
        let crashed = item(
            vec![module("Mail", Some(0), None, ModuleState::Unfinished)],
            ItemStatus::Failed,
        );
        assert_eq!(
            reason(&crashed).unwrap(),
            "Mail unfinished: Failed: restore"
        );
    }

    #[test]
    fn stats_take_quantiles_and_keep_the_slowest() {
        let mut s = Session::default();
        for (i, d) in [10, 20, 30, 40, 50, 60, 70, 80, 90, 100].iter().enumerate() {
            let mut it = item(
                vec![module("Homedir", Some(0), Some(*d), ModuleState::Success)],
                ItemStatus::Success,
            );
            it.item = format!("u{i}");
            s.items.push(it);
        }
        s.items.push(item(
            vec![module("Homedir", Some(50), Some(10), ModuleState::Failed)],
            ItemStatus::Failed,
        ));
        let mut st = ModuleStats::default();
        st.add(&s);
        let h = &st.modules[0];
        assert_eq!((h.runs, h.failed), (11, 1));
        assert_eq!(h.quantile(0.5), Some(50));
        assert_eq!(h.quantile(0.9), Some(90));
        assert_eq!(h.total_s(), 550, "a backwards time has no duration");
        let names: Vec<&str> = h.slowest.iter().map(|x| x.2.as_str()).collect();
        assert_eq!(names, ["u9", "u8", "u7"]);
        let mut twice = ModuleStats::default();
        twice.merge(st.clone());
        twice.merge(st);
        assert_eq!(twice.modules[0].runs, 22);
        assert_eq!(twice.modules[0].quantile(0.5), Some(50));
    }
}
