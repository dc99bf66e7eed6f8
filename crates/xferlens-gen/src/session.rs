//! Session simulation: a schedule of workers over the two queues, written
//! out as master.log, item logs and master.error_log, plus the truth
//! (`expected.json`).
//!
//! The simulation runs on a virtual clock in whole seconds. Master lines are
//! collected with their time and an emission sequence number and sorted by
//! (time, sequence): that interleaves the workers as the real writer does.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::rng::Rng;

/// The line mix of the generated logs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Profile {
    /// The generator's own mix: few key orders, few escapes, two actions
    /// per restore module at most. The fixtures use it.
    #[default]
    Generator,
    /// A mix closer to what other writers and real servers produce (and
    /// unlike the one the fast path was tuned on): item-log lines in
    /// random key orders (top level and `contents`), escapes in most `out`
    /// lines (`\"`, `\/`, `\u00e9`), Perl warnings in about 0.1% of
    /// the lines, and two to four actions in every restore module.
    Realistic,
}

impl Profile {
    /// The profile named `s` (`generator`, `realistic`).
    pub fn parse(s: &str) -> Option<Profile> {
        match s {
            "generator" => Some(Profile::Generator),
            "realistic" => Some(Profile::Realistic),
            _ => None,
        }
    }
}

/// What kind of session to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scenario {
    /// Everything succeeds.
    Clean,
    /// Some items finish with warnings (both queues).
    Warnings,
    /// Some TRANSFER items fail (with the RESTORE cascade), some RESTOREs fail.
    Failures,
    /// A TRANSFER worker dies mid-item and is respawned.
    WorkerCrash,
    /// The session is paused, then resumed by a new master.
    PauseResume,
    /// The session is aborted with items left pending.
    Abort,
    /// The session is still running: logs cut mid-line, dot names.
    Running,
    /// Some accounts are restored under another name (`local_item`).
    Renamed,
    /// The old 1.6 format: string pids, no times, no sizes.
    OldFormat,
    /// Garbage lines in the logs, a master.error_log, an item log the master
    /// never mentions.
    Garbage,
    /// A random mix of outcomes (warnings, failures, renamed accounts).
    Mixed,
    /// The master died mid-run; days later an admin aborted the session
    /// from another process (Session.pm `mark_session_aborted` writes the
    /// `abort` itself: `_offline_master_message`).
    OfflineAbort,
    /// Aborted before it started: its master.log is one offline `abort`.
    NeverStarted,
}

impl Scenario {
    /// Every scenario, in a stable order.
    pub const ALL: [Scenario; 13] = [
        Scenario::Clean,
        Scenario::Warnings,
        Scenario::Failures,
        Scenario::WorkerCrash,
        Scenario::PauseResume,
        Scenario::Abort,
        Scenario::Running,
        Scenario::Renamed,
        Scenario::OldFormat,
        Scenario::Garbage,
        Scenario::Mixed,
        Scenario::OfflineAbort,
        Scenario::NeverStarted,
    ];

    /// Kebab-case name, as used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Scenario::Clean => "clean",
            Scenario::Warnings => "warnings",
            Scenario::Failures => "failures",
            Scenario::WorkerCrash => "worker-crash",
            Scenario::PauseResume => "pause-resume",
            Scenario::Abort => "abort",
            Scenario::Running => "running",
            Scenario::Renamed => "renamed",
            Scenario::OldFormat => "old-format",
            Scenario::Garbage => "garbage",
            Scenario::Mixed => "mixed",
            Scenario::OfflineAbort => "offline-abort",
            Scenario::NeverStarted => "never-started",
        }
    }

    /// Parses a kebab-case name.
    pub fn parse(s: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Settings for one generated session.
#[derive(Clone, Debug)]
pub struct GenOptions {
    /// Random seed: same seed, same bytes.
    pub seed: u64,
    /// Number of accounts (a package item is added when there are 2 or more).
    pub accounts: usize,
    /// `out` lines per item log (the volume knob).
    pub lines_per_item: usize,
    /// Workers per queue.
    pub workers: usize,
    /// What happens in the session.
    pub scenario: Scenario,
    /// Session id (default: derived from the seed and scenario).
    pub id: Option<String>,
    /// Epoch seconds of the session start.
    pub start_time: i64,
    /// Write `expected.json` into the session directory.
    pub write_expected: bool,
    /// Source host (default: derived from the seed).
    pub host: Option<String>,
    /// The accounts to queue (default: random names). A retry campaign
    /// re-queues the accounts an earlier session did not move.
    pub names: Option<Vec<String>>,
    /// Put `logfile` on `start-item` lines, as cPanel's writer always does
    /// (WHM's page follows an item's progress by it). One fixture turns
    /// it off, as an edge case: earlier versions of this generator
    /// omitted it.
    pub start_item_logfile: bool,
    /// The line mix.
    pub profile: Profile,
    /// Where a running (or offline-aborted) session's logs are cut, as a
    /// fraction of its span (`None`: 2/5); 1.0 keeps every line, so the
    /// same seed cut at several fractions replays one timeline in time.
    pub cut: Option<f64>,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions {
            seed: 1,
            accounts: 5,
            lines_per_item: 20,
            workers: 3,
            scenario: Scenario::Clean,
            id: None,
            start_time: 1_764_338_400, // 2025-11-28T14:00:00Z
            write_expected: true,
            host: None,
            names: None,
            start_item_logfile: true,
            profile: Profile::Generator,
            cut: None,
        }
    }
}

/// What replay must reconstruct from a generated session.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expected {
    /// Session id (directory name).
    pub id: String,
    /// Scenario name.
    pub scenario: String,
    /// Final session state (`COMPLETED`, `ABORTED`, `RUNNING`, ...).
    pub state: String,
    /// Source host.
    pub remote_host: String,
    /// Per queue counts.
    pub queues: BTreeMap<String, ExpectedQueue>,
    /// `QUEUE/item_type/item` → status.
    pub items: BTreeMap<String, String>,
    /// Lines that cannot be used (garbage and cut lines), all files.
    pub skipped_lines: u64,
    /// Item logs the master does not mention.
    pub unmentioned_logs: u64,
    /// Worker crashes (`child-failed` lines).
    pub child_failures: u64,
    /// Bytes written over all log files.
    pub bytes: u64,
    /// Plain-text (stderr) lines written into item logs.
    #[serde(default)]
    pub stderr_lines: u64,
    /// Non-empty lines of the session's error log (`master.error_log` or
    /// its active dot name).
    #[serde(default)]
    pub error_log_lines: u64,
    /// `QUEUE/item_type/item` → its restore modules, in log order.
    #[serde(default)]
    pub modules: BTreeMap<String, Vec<ExpectedModule>>,
    /// Bytes of the items whose RESTORE finished (success or warning), as
    /// the logs give them (0 in old logs, which have no sizes): the
    /// reports' "restored" total.
    #[serde(default)]
    pub restored_bytes: u64,
    /// Seconds the session was paused: from its `pause` line to its
    /// `resume` line.
    #[serde(default)]
    pub paused_s: i64,
    /// `item_type/item` → the move of each account, package or feature
    /// list whose TRANSFER and RESTORE both finished (success or warning),
    /// in logs with times and sizes.
    #[serde(default)]
    pub moved: BTreeMap<String, ExpectedMove>,
}

/// What replay must find of one moved account (or package).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectedMove {
    /// Bytes (the `start-item` size).
    pub size: u64,
    /// Seconds from its TRANSFER start to its RESTORE end.
    pub wall_s: i64,
    /// Those seconds less the time the session was paused: the time it
    /// took.
    pub work_s: i64,
}

/// What replay must reconstruct of one restore module.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectedModule {
    /// Module name.
    pub name: String,
    /// Time of its `start_module` line (None in old logs).
    pub started_at: Option<i64>,
    /// Time of its `end_module` line (None: never ended).
    pub finished_at: Option<i64>,
    /// `success`, `failed`, `running` or `unfinished`.
    pub state: String,
    /// Its actions: (name, start time, end time).
    pub actions: Vec<(String, Option<i64>, Option<i64>)>,
}

/// Expected counts of one queue.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectedQueue {
    /// Items in the queue.
    pub items_total: u64,
    /// Succeeded cleanly.
    pub success: u64,
    /// Finished with warnings.
    pub warning: u64,
    /// Failed.
    pub failed: u64,
    /// Started, not finished.
    pub running: u64,
    /// Not started.
    pub pending: u64,
}

#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    Success,
    Warning,
    Failed(String),
}

#[derive(Clone, Debug)]
struct PItem {
    item_type: &'static str,
    item_name: &'static str,
    item: String,
    local_item: String,
    size: u64,
    outcome: [Outcome; 2],
}

const QUEUES: [&str; 2] = ["TRANSFER", "RESTORE"];
const MODULES: [&str; 6] = ["Account", "Homedir", "Mysql", "Mail", "Cron", "ZoneFile"];
/// Longest item duration in seconds (keeps the pause window simple).
const MAX_DUR: i64 = 120;

/// One item's run in one queue, as scheduled.
#[derive(Clone, Debug)]
struct Run {
    item: usize,
    queue: usize,
    pid: u64,
    start: i64,
    end: i64,
    outcome: Outcome,
    /// The master wrote the end (worker crash).
    crashed: bool,
    /// RESTORE failed by cascade: no run of its own.
    cascade: bool,
}

#[derive(Clone)]
struct Sim<'o> {
    o: &'o GenOptions,
    rng: Rng,
    old: bool,
    master_pid: u64,
    next_pid: u64,
    lines: Vec<(i64, u64, String)>,
    seq: u64,
    runs: Vec<Run>,
    pause: Option<(i64, i64)>,
    /// The times of the `pause` and `resume` lines, once written.
    paused: Option<(i64, i64)>,
    abort_at: Option<i64>,
}

fn js(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

impl Sim<'_> {
    fn pid_json(&self, pid: u64) -> String {
        if self.old {
            format!("\"{pid}\"")
        } else {
            pid.to_string()
        }
    }

    /// Emits one master control line; `fields` are (key, JSON value).
    fn emit(&mut self, t: i64, pid: u64, child: u64, action: &str, fields: &[(&str, String)]) {
        let mut parts: Vec<String> = Vec::with_capacity(fields.len() + 3);
        parts.push(format!("\"action\":{}", js(action)));
        parts.push(format!("\"child_number\":{child}"));
        if !self.old {
            parts.push(format!("\"time\":{t}"));
        }
        for (k, v) in fields {
            parts.push(format!("{}:{v}", js(k)));
        }
        let rot = self.rng.below(parts.len() as u64) as usize;
        parts.rotate_left(rot);
        let contents = format!("{{{}}}", parts.join(","));
        let pid = self.pid_json(pid);
        let line = if self.old {
            format!("{{\"pid\":{pid},\"contents\":{contents},\"type\":\"control\"}}")
        } else if self.rng.chance(0.5) {
            format!("{{\"pid\":{pid},\"type\":\"control\",\"contents\":{contents},\"indent\":0,\"partial\":0}}")
        } else {
            format!("{{\"contents\":{contents},\"partial\":0,\"indent\":0,\"type\":\"control\",\"pid\":{pid}}}")
        };
        // The realistic mix: any order of the members, at both levels.
        let line = if self.o.profile == Profile::Realistic {
            mix_line(&line, &mut self.rng)
        } else {
            line
        };
        self.seq += 1;
        self.lines.push((t, self.seq, line));
    }

    fn item_fields(
        &self,
        it: &PItem,
        queue: usize,
        with_local: bool,
    ) -> Vec<(&'static str, String)> {
        let mut f = vec![
            ("queue", js(QUEUES[queue])),
            ("item", js(&it.item)),
            ("item_type", js(it.item_type)),
            ("item_name", js(it.item_name)),
        ];
        if with_local && !self.old {
            f.push(("local_item", js(&it.local_item)));
        }
        f
    }

    fn logfile(it: &PItem, queue: usize) -> String {
        format!("item-{}_{}_{}", QUEUES[queue], it.item_type, it.item)
    }

    fn finished_msg(&self, it: &PItem, queue: usize, outcome: &Outcome) -> String {
        let (w, s, d, a) = match outcome {
            Outcome::Warning if queue == 1 => (2, 3, 1, 1),
            Outcome::Warning => (1, 0, 0, 0),
            _ => (0, 0, 0, 0),
        };
        let rec = |module: &str, func: &str, line: u32, text: &str| {
            format!("[[{},{},{line}],{},null]", js(module), js(func), js(text))
        };
        let contents = if queue == 0 {
            let warns = if w > 0 {
                format!(
                    "[{{\"msg\":[{}]}}]",
                    js("The remote server reported a non-fatal problem with the home directory.")
                )
            } else {
                "[]".into()
            };
            format!("{{\"warnings\":{warns},\"skipped_items\":null,\"dangerous_items\":null,\"altered_items\":null}}")
        } else if w > 0 {
            format!(
                "{{\"warnings\":[{},{}],\"skipped_items\":[{},{},{}],\"dangerous_items\":[{}],\"altered_items\":[{}]}}",
                rec("Mysql", "_restore_grants", 212, &format!("MySQL: grants for “{}_db” could not be restored.", it.item)),
                rec("Mail", "_restore_mail", 88, "Mail: quota exceeded for one mailbox."),
                rec("Homedir", "_restore_homedir", 51, "Skipped “.cpanel/caches”."),
                rec("Homedir", "_restore_homedir", 51, "Skipped “tmp/sessions”."),
                rec("Cron", "_restore_cron", 30, "Skipped a crontab entry with an invalid schedule."),
                rec("Homedir", "_check_perms", 140, "World-writable file “public_html/up.php”."),
                rec("Mysql", "_update_dbname", 437, &format!("MySQL database “{}_db” restored as “{}_db”.", it.item, it.local_item)),
            )
        } else {
            "{\"warnings\":[],\"skipped_items\":[],\"dangerous_items\":[],\"altered_items\":[]}"
                .into()
        };
        let tail = match outcome {
            Outcome::Failed(r) => format!("\"failure\":{}", js(r)),
            _ => "\"message\":null".into(),
        };
        if self.old {
            format!(
                "{{\"warnings\":{w},\"dangerous_items\":{d},\"contents\":{{\"dangerous_items\":null,\"altered_items\":null}},\"skipped_items\":{s},\"altered_items\":{a},{tail}}}"
            )
        } else {
            format!(
                "{{\"size\":{},\"warnings\":{w},\"skipped_items\":{s},\"dangerous_items\":{d},\"altered_items\":{a},\"contents\":{contents},{tail}}}",
                it.size
            )
        }
    }

    fn finish_action(&self, o: &Outcome) -> &'static str {
        match o {
            Outcome::Failed(_) => "failed-item",
            Outcome::Warning if !self.old => "warning-item",
            _ => "success-item",
        }
    }

    fn in_pause(&self, t: i64) -> Option<i64> {
        match self.pause {
            Some((p, r)) if t >= p && t < r => Some(r),
            _ => None,
        }
    }

    fn duration(&mut self, it: &PItem, queue: usize) -> i64 {
        let rate = if queue == 0 { 40 << 20 } else { 60 << 20 };
        ((it.size / rate) as i64 + 2 + self.rng.below(4) as i64).min(MAX_DUR)
    }
}

/// A worker slot during simulation.
#[derive(Default)]
struct Slot {
    child: u64,
    pid: u64,
    free: i64,
    resumed: bool,
}

/// Takes out the worker that is free first (ties: lowest child number);
/// returns its index, to put it back when its item is scheduled.
fn take_free(slots: &mut [Slot]) -> (usize, Slot) {
    let k = slots
        .iter()
        .enumerate()
        .min_by_key(|(_, s)| (s.free, s.child))
        .map(|(k, _)| k)
        .unwrap_or(0);
    (k, std::mem::take(&mut slots[k]))
}

fn plan_items(o: &GenOptions, rng: &mut Rng) -> Vec<PItem> {
    let mut items = Vec::new();
    let old = o.scenario == Scenario::OldFormat;
    if o.accounts >= 2 && !old {
        items.push(PItem {
            item_type: "PackageRemoteRoot",
            item_name: "Package",
            item: "default".into(),
            local_item: "default".into(),
            size: 2048,
            outcome: [Outcome::Success, Outcome::Success],
        });
    }
    let stems = [
        "alpha", "bravo", "cedar", "delta", "ember", "fjord", "gamma", "harbor", "indigo",
        "juniper",
    ];
    let mut names: Vec<String> = (0..o.accounts)
        .map(|i| {
            format!(
                "{}{:03}",
                stems[(i + rng.below(3) as usize) % stems.len()],
                i
            )
        })
        .collect();
    if let Some(given) = &o.names {
        names = given.clone();
    }
    names.sort();
    for name in names {
        let size = match rng.below(10) {
            0..=5 => rng.range(1 << 20, 200 << 20),
            6..=8 => rng.range(200 << 20, 1 << 30),
            _ => rng.range(1 << 30, 4 << 30),
        };
        let renamed = match o.scenario {
            Scenario::Renamed => rng.chance(0.5),
            Scenario::Mixed => rng.chance(0.1),
            _ => false,
        };
        let local_item = if renamed {
            format!("{name}x")
        } else {
            name.clone()
        };
        let (pw_t, pf_t, pw_r, pf_r) = match o.scenario {
            Scenario::Warnings | Scenario::OldFormat => (0.15, 0.0, 0.5, 0.0),
            Scenario::Failures => (0.1, 0.2, 0.3, 0.2),
            Scenario::Mixed | Scenario::Garbage => (0.05, 0.05, 0.2, 0.05),
            _ => (0.0, 0.0, 0.0, 0.0),
        };
        let mut pick = |pw: f64, pf: f64, q: usize| {
            let x = rng.below(1000) as f64 / 1000.0;
            if x < pf {
                Outcome::Failed(if q == 0 {
                    format!("Failed to fetch the account archive for “{name}” from the remote server: Connection reset by peer.")
                } else {
                    format!("Account restore failed: the user “{local_item}” already exists on this server.")
                })
            } else if x < pf + pw {
                Outcome::Warning
            } else {
                Outcome::Success
            }
        };
        let t = pick(pw_t, pf_t, 0);
        let r = if matches!(t, Outcome::Failed(_)) {
            Outcome::Failed(format!(
                "The transfer of “{name}” failed; nothing to restore."
            ))
        } else {
            pick(pw_r, pf_r, 1)
        };
        items.push(PItem {
            item_type: "AccountRemoteRoot",
            item_name: "Account",
            item: name,
            local_item,
            size,
            outcome: [t, r],
        });
    }
    items
}

/// Generates one session directory under `root`; returns what replay must
/// find in it.
pub fn generate_session(root: &Path, o: &GenOptions) -> io::Result<Expected> {
    let mut rng = Rng::new(o.seed.wrapping_mul(31).wrapping_add(o.scenario as u64));
    let items = plan_items(o, &mut rng);
    let id = o.id.clone().unwrap_or_else(|| {
        format!(
            "sourcecopy{}{:08}{}",
            o.scenario.as_str().replace('-', ""),
            o.seed % 100_000_000,
            "Xa"
        )
    });
    let dir = root.join(&id);
    fs::create_dir_all(&dir)?;
    let old = o.scenario == Scenario::OldFormat;
    let master_pid = 10_000 + rng.below(50_000);
    let mut sim = Sim {
        o,
        rng,
        old,
        master_pid,
        next_pid: master_pid + 1,
        lines: Vec::new(),
        seq: 0,
        runs: Vec::new(),
        pause: None,
        paused: None,
        abort_at: None,
    };
    let t0 = o.start_time;
    if o.scenario == Scenario::NeverStarted {
        return write_never_started(&dir, o, &id, sim.next_pid, t0);
    }
    let host = o
        .host
        .clone()
        .unwrap_or_else(|| format!("source{}.example.net", o.seed % 97));
    emit_header(&mut sim, &items, t0, &host);
    place_pause_or_abort(&mut sim, &items, t0);
    let crash_item = if o.scenario == Scenario::WorkerCrash && items.len() > 1 {
        Some(items.len() / 2)
    } else {
        None
    };
    schedule(&mut sim, &items, crash_item, t0 + 1);
    let (final_state, last) = emit_end(&mut sim, items.len(), t0);

    let mut lines = std::mem::take(&mut sim.lines);
    lines.sort_by_key(|(t, s, _)| (*t, *s));

    // Running, or dead before an offline abort: cut the session at a
    // time in the middle.
    let cut_at = if matches!(o.scenario, Scenario::Running | Scenario::OfflineAbort) {
        let span = last - t0;
        Some(match o.cut {
            Some(f) => t0 + 1 + (span as f64 * f.clamp(0.0, 1.0)) as i64,
            None => t0 + 1 + span * 2 / 5,
        })
    } else {
        None
    };

    let mut ex = Expected {
        id: id.clone(),
        scenario: o.scenario.as_str().into(),
        state: final_state.into(),
        remote_host: host,
        ..Expected::default()
    };
    write_master(&dir, o, &lines, cut_at, sim.next_pid, &mut ex)?;
    write_item_logs(&dir, &mut sim, &items, cut_at, &mut ex)?;
    if o.scenario == Scenario::Garbage {
        write_ghost_log(&dir, &mut sim, t0, &mut ex)?;
    }
    ex.child_failures = crash_item
        .filter(|_| cut_at.is_none())
        .map(|_| 1)
        .unwrap_or(0);
    write_expected(&dir, o, &ex)?;
    Ok(ex)
}

fn write_expected(dir: &Path, o: &GenOptions, ex: &Expected) -> io::Result<()> {
    if o.write_expected {
        let f = File::create(dir.join("expected.json"))?;
        serde_json::to_writer_pretty(f, ex).map_err(io::Error::other)?;
    }
    Ok(())
}

/// A session aborted before it started: an admin aborted it from the API
/// process (`pid`), which wrote the one `abort` line into a master log it
/// created, with an empty error log beside it, and renamed both
/// (Session.pm `mark_session_aborted`, `_offline_master_message`;
/// Session/Logs.pm `mark_session_completed`).
fn write_never_started(
    dir: &Path,
    o: &GenOptions,
    id: &str,
    pid: u64,
    t0: i64,
) -> io::Result<Expected> {
    let line = format!(
        "{{\"pid\":{pid},\"type\":\"control\",\"contents\":{{\"action\":\"abort\",\"child_number\":0,\"time\":{}}},\"indent\":0,\"partial\":0}}\n",
        t0 + 86_400
    );
    fs::write(dir.join("master.log"), &line)?;
    fs::write(dir.join("master.error_log"), "")?;
    let ex = Expected {
        id: id.to_owned(),
        scenario: o.scenario.as_str().into(),
        state: "ABORTED".into(),
        bytes: line.len() as u64,
        ..Expected::default()
    };
    write_expected(dir, o, &ex)?;
    Ok(ex)
}

/// The master log's opening lines: start, initiator, version, each
/// queue's count and size, the source host.
fn emit_header(sim: &mut Sim<'_>, items: &[PItem], t0: i64, host: &str) {
    let (old, master_pid) = (sim.old, sim.master_pid);
    sim.emit(t0, master_pid, 0, "start", &[]);
    sim.emit(t0, master_pid, 0, "initiator", &[("msg", js("copyacct"))]);
    sim.emit(
        t0,
        master_pid,
        0,
        "version",
        &[("msg", js(if old { "1.6" } else { "2.0" }))],
    );
    for q in QUEUES {
        let n = items.len();
        let v = if old || sim.rng.chance(0.3) {
            js(&n.to_string())
        } else {
            n.to_string()
        };
        sim.emit(
            t0,
            master_pid,
            0,
            "queue_count",
            &[("queue", js(q)), ("msg", v)],
        );
        if !old {
            let total: u64 = items.iter().map(|i| i.size).sum();
            sim.emit(
                t0,
                master_pid,
                0,
                "queue_size",
                &[("queue", js(q)), ("msg", total.to_string())],
            );
        }
    }
    sim.emit(t0, master_pid, 0, "remotehost", &[("msg", js(host))]);
}

/// Structural events: placed by a dry run of the schedule, at the start
/// of a TRANSFER item about halfway down the queue, so that items are in
/// progress when they happen and items are left after them.
fn place_pause_or_abort(sim: &mut Sim<'_>, items: &[PItem], t0: i64) {
    let o = sim.o;
    if matches!(o.scenario, Scenario::PauseResume | Scenario::Abort) && items.len() > 1 {
        let mut dry = sim.clone();
        schedule(&mut dry, items, None, t0 + 1);
        let k = (items.len() * 2 / 3).max(1);
        let at = dry
            .runs
            .iter()
            .find(|r| r.queue == 0 && r.item == k)
            .map(|r| r.start);
        if let Some(at) = at.map(|t| t + 1) {
            if o.scenario == Scenario::PauseResume {
                sim.pause = Some((at, at + MAX_DUR + 600));
            } else {
                sim.abort_at = Some(at);
            }
        }
    }
}

/// The session's end: the pause and resume, the abort, or completion.
/// Returns the final state and the time of the last item's end plus one.
fn emit_end(sim: &mut Sim<'_>, items: usize, t0: i64) -> (&'static str, i64) {
    let master_pid = sim.master_pid;
    let last = sim.runs.iter().map(|r| r.end).max().unwrap_or(t0) + 1;
    let started: Vec<(usize, usize)> = sim.runs.iter().map(|r| (r.item, r.queue)).collect();
    let all_started = started.len() == items * 2;
    if let Some((p, r)) = sim.pause {
        let in_flight_end = sim
            .runs
            .iter()
            .filter(|x| x.start < p && !x.cascade)
            .map(|x| x.end)
            .max()
            .unwrap_or(p);
        sim.emit(p, master_pid, 0, "pausing", &[]);
        sim.emit(in_flight_end.max(p) + 1, master_pid, 0, "pause", &[]);
        sim.paused = Some((in_flight_end.max(p) + 1, r));
        let new_master = sim.next_pid;
        sim.next_pid += 1;
        sim.emit(r, new_master, 0, "resume", &[]);
        sim.master_pid = new_master;
    }
    let final_state;
    if let Some(a) = sim.abort_at {
        sim.emit(a, sim.master_pid, 0, "aborting", &[]);
        if all_started {
            sim.emit(last, sim.master_pid, 0, "complete", &[]);
            final_state = "COMPLETED";
        } else {
            sim.emit(last.max(a + 2), sim.master_pid, 0, "abort", &[]);
            final_state = "ABORTED";
        }
    } else {
        sim.emit(last, sim.master_pid, 0, "complete", &[]);
        final_state = "COMPLETED";
    }

    (final_state, last)
}

/// Writes master.log (cut in the middle of a line for a running session,
/// with garbage and an error log for the garbage scenario).
fn write_master(
    dir: &Path,
    o: &GenOptions,
    lines: &[(i64, u64, String)],
    cut_at: Option<i64>,
    offline_pid: u64,
    ex: &mut Expected,
) -> io::Result<()> {
    let mut master = Vec::with_capacity(lines.len() * 200);
    let mut kept = 0usize;
    for (t, _, l) in lines {
        if cut_at.is_some_and(|c| *t > c) {
            break;
        }
        master.extend_from_slice(l.as_bytes());
        master.push(b'\n');
        kept += 1;
    }
    let offline = o.scenario == Scenario::OfflineAbort;
    if let Some(c) = cut_at.filter(|_| offline) {
        // The master died at the cut; a day later an admin aborted the
        // session from the API process, which writes the `abort` itself
        // and renames the logs (Session.pm `mark_session_aborted`).
        ex.state = "ABORTED".into();
        master.extend_from_slice(format!(
            "{{\"pid\":{offline_pid},\"type\":\"control\",\"contents\":{{\"action\":\"abort\",\"child_number\":0,\"time\":{}}},\"indent\":0,\"partial\":0}}\n",
            c + 86_400
        ).as_bytes());
    } else if cut_at.is_some() {
        ex.state = "RUNNING".into();
        if let Some((_, _, l)) = lines.get(kept) {
            // In the live `.master.log`: the writer's next line, not a
            // skipped one.
            master.extend_from_slice(&l.as_bytes()[..l.len() / 2]);
        }
    }
    // The session's stderr goes to its error log, under the active name
    // while the session runs (Session/Logs.pm `open_master_error_log_file`).
    let error_log = match (cut_at.is_some(), offline) {
        (true, false) => Some(".master.error_log"),
        (true, true) => Some("master.error_log"),
        _ => None,
    };
    if let Some(name) = error_log {
        fs::write(
            dir.join(name),
            "[2025-11-28 14:00:05 +0000] warn [transfer_session] The remote host is slow to answer.\n",
        )?;
        ex.error_log_lines += 1;
    }
    if o.scenario == Scenario::Garbage {
        master = inject_master_garbage(&master);
        ex.skipped_lines += 2;
        ex.error_log_lines += 2;
        fs::write(
            dir.join("master.error_log"),
            "Use of uninitialized value $size in addition (+) at /usr/local/cpanel/Whostmgr/Transfers/Session/Item.pm line 211.\n\n[2025-11-28 14:00:03 +0000] warn [transfer_session] Remote host is slow to answer.\n",
        )?;
    }
    let master_name = if cut_at.is_some() && !offline {
        ".master.log"
    } else {
        "master.log"
    };
    fs::write(dir.join(master_name), &master)?;
    ex.bytes += master.len() as u64;

    Ok(())
}

/// What replay must find per item and queue, and the item logs of every
/// item that started.
fn write_item_logs(
    dir: &Path,
    sim: &mut Sim<'_>,
    items: &[PItem],
    cut_at: Option<i64>,
    ex: &mut Expected,
) -> io::Result<()> {
    let o = sim.o;
    ex.paused_s = sim.paused.map_or(0, |(p, r)| r - p);
    // After an offline abort, what was running is failed ("unfinished when
    // the session ended") and its open modules unfinished.
    let ended = o.scenario == Scenario::OfflineAbort;
    for (i, it) in items.iter().enumerate() {
        let mut moved = [None, None];
        for (q, qname) in QUEUES.iter().enumerate() {
            let key = format!("{}/{}/{}", qname, it.item_type, it.item);
            let run = sim
                .runs
                .iter()
                .find(|r| r.item == i && r.queue == q)
                .cloned();
            let status = match &run {
                None => "pending",
                Some(r) if cut_at.is_some_and(|c| r.start > c) => "pending",
                Some(r) if cut_at.is_some_and(|c| r.end > c) => "running",
                Some(r) => match r.outcome {
                    Outcome::Success => "success",
                    Outcome::Warning => "warning",
                    Outcome::Failed(_) => "failed",
                },
            };
            if q == 1 && matches!(status, "success" | "warning") && !sim.old {
                ex.restored_bytes += it.size;
            }
            if matches!(status, "success" | "warning") {
                moved[q] = run.as_ref().map(|r| (r.start, r.end));
            }
            let shown = if ended && status == "running" {
                "failed"
            } else {
                status
            };
            ex.items.insert(key, shown.into());
            let eq = ex.queues.entry((*qname).into()).or_default();
            eq.items_total += 1;
            match shown {
                "success" => eq.success += 1,
                "warning" => eq.warning += 1,
                "failed" => eq.failed += 1,
                "running" => eq.running += 1,
                _ => eq.pending += 1,
            }
            let Some(r) = run else { continue };
            if status == "pending" {
                continue;
            }
            let cut = if status == "running" {
                let c = cut_at.unwrap_or(r.end);
                Some(((c - r.start) as f64 / (r.end - r.start).max(1) as f64).clamp(0.0, 0.95))
            } else {
                None
            };
            let name = Sim::logfile(it, q);
            let fname = if cut.is_some() {
                format!(".{name}")
            } else {
                name
            };
            let garbage = o.scenario == Scenario::Garbage && i == items.len() - 1 && q == 0;
            let (w, key, mut mods) = write_item_log(&dir.join(fname), sim, it, &r, cut, garbage)?;
            ex.bytes += w.bytes;
            ex.skipped_lines += w.skipped;
            ex.stderr_lines += w.stderr;
            if ended {
                for m in mods.iter_mut().filter(|m| m.state == "running") {
                    m.state = "unfinished".into();
                }
            }
            if !mods.is_empty() {
                ex.modules.insert(key, mods);
            }
        }
        if let ([Some((start, _)), Some((_, end))], false) = (moved, sim.old) {
            let paused = sim
                .paused
                .map_or(0, |(p, r)| (end.min(r) - start.max(p)).max(0));
            let m = ExpectedMove {
                size: it.size,
                wall_s: end - start,
                work_s: end - start - paused,
            };
            ex.moved.insert(format!("{}/{}", it.item_type, it.item), m);
        }
    }
    Ok(())
}

/// An item log the master never mentions (the garbage scenario).
fn write_ghost_log(dir: &Path, sim: &mut Sim<'_>, t0: i64, ex: &mut Expected) -> io::Result<()> {
    let ghost = PItem {
        item_type: "AccountRemoteRoot",
        item_name: "Account",
        item: "ghost".into(),
        local_item: "ghost".into(),
        size: 1 << 20,
        outcome: [Outcome::Success, Outcome::Success],
    };
    let r = Run {
        item: 0,
        queue: 0,
        pid: 1,
        start: t0,
        end: t0 + 3,
        outcome: Outcome::Success,
        crashed: false,
        cascade: false,
    };
    let (w, _, _) = write_item_log(
        &dir.join(Sim::logfile(&ghost, 0)),
        sim,
        &ghost,
        &r,
        None,
        false,
    )?;
    ex.bytes += w.bytes;
    // The ghost's stderr lines are in no item (it is not one), so not
    // counted.
    // Reported, but outside the items and the queue totals: WHM's page
    // only follows the logs the master names.
    ex.unmentioned_logs = 1;
    Ok(())
}

fn schedule(sim: &mut Sim<'_>, items: &[PItem], crash_item: Option<usize>, t_begin: i64) {
    let w = sim.o.workers.max(1) as u64;
    let mut slots: Vec<Vec<Slot>> = (0..2)
        .map(|_| {
            (1..=w)
                .map(|child| {
                    let pid = sim.next_pid;
                    sim.next_pid += 1;
                    Slot {
                        child,
                        pid,
                        free: t_begin,
                        resumed: false,
                    }
                })
                .collect()
        })
        .collect();
    // RESTORE availability: (time, item).
    let mut available: Vec<(i64, usize)> = Vec::new();

    let adjust = |sim: &mut Sim<'_>, slot: &mut Slot, mut t: i64| -> Option<i64> {
        if let Some(r) = sim.in_pause(t) {
            t = r;
        }
        if sim.abort_at.is_some_and(|a| t >= a) {
            return None;
        }
        if let Some((_, r)) = sim.pause {
            if t >= r && !slot.resumed {
                slot.resumed = true;
                slot.pid = sim.next_pid;
                sim.next_pid += 1;
            }
        }
        Some(t)
    };

    // TRANSFER queue.
    for i in 0..items.len() {
        let (s, mut slot) = take_free(&mut slots[0]);
        let free = slot.free;
        let Some(t) = adjust(sim, &mut slot, free) else {
            slots[0][s] = slot;
            break;
        };
        run_item(
            sim,
            items,
            i,
            0,
            &mut slot,
            t,
            crash_item == Some(i),
            &mut available,
        );
        slots[0][s] = slot;
    }
    // RESTORE queue, in order of availability.
    available.sort();
    for (avail, i) in available {
        let (s, mut slot) = take_free(&mut slots[1]);
        let start = slot.free.max(avail + 1);
        match adjust(sim, &mut slot, start) {
            Some(t) => run_item(sim, items, i, 1, &mut slot, t, false, &mut Vec::new()),
            None => {
                slots[1][s] = slot;
                continue;
            }
        }
        slots[1][s] = slot;
    }
    // Workers that drained their queue write `complete`.
    if sim.abort_at.is_none() {
        for (q, qs) in slots.iter_mut().enumerate() {
            for slot in qs.iter_mut() {
                let mut t = slot.free;
                if let Some((p, r)) = sim.pause {
                    if t >= p {
                        t = t.max(r);
                        if !slot.resumed {
                            slot.resumed = true;
                            slot.pid = sim.next_pid;
                            sim.next_pid += 1;
                        }
                    }
                }
                sim.emit(
                    t,
                    slot.pid,
                    slot.child,
                    "complete",
                    &[("queue", js(QUEUES[q]))],
                );
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn run_item(
    sim: &mut Sim<'_>,
    items: &[PItem],
    i: usize,
    q: usize,
    slot: &mut Slot,
    t: i64,
    crash: bool,
    available: &mut Vec<(i64, usize)>,
) {
    let it = &items[i];
    let old = sim.old;
    let dur = sim.duration(it, q);
    let logfile = Sim::logfile(it, q);
    let mut f = sim.item_fields(it, q, false);
    if !old {
        f.push(("logfile", js(&logfile)));
    }
    sim.emit(t, slot.pid, slot.child, "start", &f);
    let mut f = sim.item_fields(it, q, false);
    f.push(("msg", js(&logfile)));
    f.push(("logfile", js(&logfile)));
    sim.emit(t, slot.pid, slot.child, "process-item", &f);
    if !old {
        let mut f = sim.item_fields(it, q, true);
        if sim.o.start_item_logfile {
            f.push(("logfile", js(&logfile)));
        }
        f.push(("msg", format!("{{\"size\":{}}}", it.size)));
        sim.emit(t, slot.pid, slot.child, "start-item", &f);
    }
    let mut end = t + dur;
    let mut outcome = it.outcome[q].clone();
    let mut crashed = false;
    if crash {
        end = t + (dur / 2).max(1);
        crashed = true;
        outcome = Outcome::Failed("The transfer process exited unexpectedly (signal 9).".into());
        let mp = sim.master_pid;
        sim.emit(
            end,
            mp,
            slot.child,
            "child-failed",
            &[("queue", js(QUEUES[q])), ("msg", js("1/3"))],
        );
        // The master writes the item's end with its own pid, no local_item.
        let mut f = sim.item_fields(it, q, false);
        f.push(("msg", sim.finished_msg(it, q, &outcome)));
        f.push(("logfile", js(&logfile)));
        emit_child(sim, end, mp, slot.child, "failed-item", &f);
        cascade(sim, items, i, end, mp, slot.child);
        sim.runs.push(Run {
            item: i,
            queue: q,
            pid: slot.pid,
            start: t,
            end,
            outcome,
            crashed,
            cascade: false,
        });
        // Respawn: same child number, new pid.
        slot.pid = sim.next_pid;
        sim.next_pid += 1;
        slot.free = end + 1;
        return;
    }
    if q == 0 {
        if let Some(a) = sim.abort_at {
            if t < a && end > a {
                end = a + 1;
                outcome = Outcome::Failed("Aborted.".into());
            }
        }
    }
    let mut f = sim.item_fields(it, q, true);
    let action = sim.finish_action(&outcome);
    f.push(("msg", sim.finished_msg(it, q, &outcome)));
    if !old {
        f.push(("logfile", js(&logfile)));
    }
    sim.emit(end, slot.pid, slot.child, action, &f);
    let failed = matches!(outcome, Outcome::Failed(_));
    sim.runs.push(Run {
        item: i,
        queue: q,
        pid: slot.pid,
        start: t,
        end,
        outcome,
        crashed,
        cascade: false,
    });
    if q == 0 {
        if failed {
            cascade(sim, items, i, end, slot.pid, slot.child);
        } else {
            available.push((end, i));
        }
    }
    slot.free = end + 1;
}

/// `emit` for a line that the master writes about a worker's item.
fn emit_child(sim: &mut Sim<'_>, t: i64, pid: u64, child: u64, action: &str, f: &[(&str, String)]) {
    sim.emit(t, pid, child, action, f);
}

/// The RESTORE cascade of a failed TRANSFER: start-item and failed-item in
/// RESTORE by the same writer, with no `start`.
fn cascade(sim: &mut Sim<'_>, items: &[PItem], i: usize, t: i64, pid: u64, child: u64) {
    let it = &items[i];
    let reason = format!("The transfer of “{}” failed; nothing to restore.", it.item);
    let outcome = Outcome::Failed(reason);
    if !sim.old {
        let mut f = sim.item_fields(it, 1, false);
        if sim.o.start_item_logfile {
            f.push(("logfile", js(&Sim::logfile(it, 1))));
        }
        f.push(("msg", format!("{{\"size\":{}}}", it.size)));
        sim.emit(t, pid, child, "start-item", &f);
    }
    let mut f = sim.item_fields(it, 1, false);
    f.push(("msg", sim.finished_msg(it, 1, &outcome)));
    sim.emit(t, pid, child, "failed-item", &f);
    sim.runs.push(Run {
        item: i,
        queue: 1,
        pid,
        start: t,
        end: t,
        outcome,
        crashed: false,
        cascade: true,
    });
}

fn inject_master_garbage(master: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(master);
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = Vec::with_capacity(master.len() + 512);
    for (n, l) in lines.iter().enumerate() {
        if n == 3 {
            out.extend_from_slice(b"Use of uninitialized value in concatenation (.) or string at /usr/local/cpanel/Cpanel/Transfers.pm line 88.\n");
            out.extend_from_slice(b"\n   \n");
        }
        if n == lines.len() / 2 {
            out.extend_from_slice(b"{\"pid\":1,\"type\":\"control\",\"contents\":{\"action\":\n");
        }
        if n == 5 && l.ends_with('\n') {
            // One line with a CRLF ending, as an editor leaves it.
            out.extend_from_slice(&l.as_bytes()[..l.len() - 1]);
            out.extend_from_slice(b"\r\n");
            continue;
        }
        out.extend_from_slice(l.as_bytes());
    }
    out
}

const OUT_TEXTS: [&str; 6] = [
    "Copying “public_html/wp-content/uploads/",
    "Restoring mail for mailbox info@",
    "Transferring database table wp_posts chunk ",
    "Extracting homedir/public_html/images/",
    "Syncing file ",
    "Checking quota for ",
];

/// Writes one line of an item log (false: the log was cut before it).
type PutLine<'a> = dyn FnMut(&mut BufWriter<File>, &str, &mut usize) -> io::Result<bool> + 'a;

/// The members of a JSON object's text (`{...}`), split at its top-level
/// commas; `None` when it is not an object.
fn members(obj: &str) -> Option<Vec<&str>> {
    let inner = obj.strip_prefix('{')?.strip_suffix('}')?;
    let (mut out, mut depth, mut in_str, mut esc, mut start) = (Vec::new(), 0i32, false, false, 0);
    for (i, c) in inner.char_indices() {
        if in_str {
            match (esc, c) {
                (true, _) => esc = false,
                (false, '\\') => esc = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '{' | '[' => depth += 1,
            '}' | ']' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if !inner[start..].is_empty() {
        out.push(&inner[start..]);
    }
    Some(out)
}

/// A line in the realistic mix (item logs and master logs): its members
/// and those of its `contents` in a random order, and escapes in the text
/// of `out` lines.
/// The meaning of the line is unchanged.
fn mix_line(line: &str, rng: &mut Rng) -> String {
    let Some(mut top) = members(line) else {
        return line.to_owned();
    };
    let mut contents = None;
    for m in top.iter_mut() {
        if let Some(v) = m.strip_prefix("\"contents\":") {
            if let Some(mut inner) = members(v) {
                shuffle(&mut inner, rng);
                contents = Some(format!("\"contents\":{{{}}}", inner.join(",")));
            }
        }
    }
    shuffle(&mut top, rng);
    let mut out = String::with_capacity(line.len() + 32);
    out.push('{');
    for (i, m) in top.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match &contents {
            Some(c) if m.starts_with("\"contents\":") => out.push_str(c),
            _ => out.push_str(m),
        }
    }
    out.push('}');
    if out.contains("\"type\":\"out\"") && rng.chance(0.8) {
        // JSON escapes a writer may use: a quote, a slash, a code point.
        out = out.replacen(".dat", ".dat \\\"copy\\\" \\/ caf\\u00e9", 1);
    }
    out
}

fn shuffle<T>(v: &mut [T], rng: &mut Rng) {
    for i in (1..v.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        v.swap(i, j);
    }
}

/// Writes one item log; returns (bytes, skipped lines, the item's key,
/// its expected restore modules).
/// What writing one item log gave: bytes, lines that cannot be used, and
/// plain-text (stderr) lines.
#[derive(Clone, Copy, Debug, Default)]
struct Written {
    bytes: u64,
    skipped: u64,
    stderr: u64,
}

fn write_item_log(
    path: &Path,
    sim: &mut Sim<'_>,
    it: &PItem,
    r: &Run,
    cut: Option<f64>,
    garbage: bool,
) -> io::Result<(Written, String, Vec<ExpectedModule>)> {
    let mut out = BufWriter::with_capacity(256 << 10, File::create(path)?);
    let pid = if sim.old {
        format!("\"{}\"", r.pid)
    } else {
        r.pid.to_string()
    };
    let q = QUEUES[r.queue];
    let total = sim.o.lines_per_item.max(1);
    let keep_until = cut.map(|c| ((total as f64 + 4.0) * c) as usize);
    let mut n_written = 0usize;
    let mut extra_stderr = 0u64;
    let mut bytes = 0u64;
    let mut skipped = 0u64;
    let mut stderr = 0u64;
    let active = path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'));
    let realistic = sim.o.profile == Profile::Realistic;
    let mut mix_rng = Rng::new(r.pid.wrapping_mul(0x9e37_79b9) ^ r.start as u64);
    // Writes one line, honouring the cut: the line at the cut is halved.
    let mut put = |out: &mut BufWriter<File>, line: &str, n: &mut usize| -> io::Result<bool> {
        let mixed;
        // Plain text (stderr) is written as it is; a JSON line may be mixed.
        let plain = !line.starts_with('{');
        let line = if realistic && !plain {
            if keep_until.is_none() && mix_rng.chance(0.001) {
                // A Perl `warn`: the item's STDERR is its log (Session.pm
                // `exec_with_output_directed_to_fh`).
                let w = "Use of uninitialized value $name in concatenation (.) or string at /usr/local/cpanel/Cpanel/Transfers.pm line 88.\n";
                out.write_all(w.as_bytes())?;
                bytes += w.len() as u64;
                stderr += 1;
            }
            mixed = mix_line(line, &mut mix_rng);
            mixed.as_str()
        } else {
            line
        };
        if let Some(k) = keep_until {
            if *n >= k {
                if *n == k && plain {
                    // Cut before a stderr line: none of it was written.
                    *n += 1;
                } else if *n == k {
                    let half = &line.as_bytes()[..line.len() / 2];
                    // In a live dot file the half line is the writer's
                    // next line, not a skipped one; in a completed file
                    // (an item cut by an offline abort) it is damage.
                    out.write_all(half)?;
                    bytes += half.len() as u64;
                    skipped += u64::from(!active);
                    *n += 1;
                }
                return Ok(false);
            }
        }
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
        bytes += line.len() as u64 + 1;
        stderr += plain as u64;
        *n += 1;
        Ok(true)
    };
    if r.cascade {
        // A cascaded RESTORE log: a start and a failed line only.
        // `_mark_item_failed_in_subsequent_queues` writes `start` and
        // `failed` only (Processor.pm); Item.pm `message` adds `time`.
        let tm = if sim.old {
            String::new()
        } else {
            format!(",\"time\":{}", r.start)
        };
        let l = format!("{{\"contents\":{{\"msg\":[\"Starting “{q}” for “{}” “{}”.\"]{tm}}},\"type\":\"start\",\"pid\":{pid},\"indent\":0,\"partial\":0}}", it.item_name, it.item);
        put(&mut out, &l, &mut n_written)?;
        let reason = match &r.outcome {
            Outcome::Failed(x) => x.clone(),
            _ => String::new(),
        };
        let l = format!("{{\"pid\":{pid},\"type\":\"failed\",\"contents\":{{\"msg\":[{}]}},\"indent\":0,\"partial\":0}}", js(&format!("Failed: {reason}")));
        put(&mut out, &l, &mut n_written)?;
        out.flush()?;
        let w = Written {
            bytes,
            skipped,
            stderr,
        };
        return Ok((w, String::new(), Vec::new()));
    }
    let pct_time = |p: u32| {
        if sim.old {
            String::new()
        } else {
            format!(
                ",\"time\":{}",
                r.start + (r.end - r.start) * i64::from(p) / 100
            )
        }
    };
    let pct = |p: u32| {
        format!("{{\"pid\":{pid},\"type\":\"control\",\"contents\":{{\"action\":\"percentage\",\"percentage\":{p}{}}},\"indent\":0,\"partial\":0}}", pct_time(p))
    };
    // The worker sets the percentage to 0, then writes `start`, with its
    // time (Processor.pm `_process_dequeued_item`; Item.pm `start`,
    // `message`). A renamed item's start line names both names.
    put(&mut out, &pct(0), &mut n_written)?;
    let names = if it.local_item != it.item && !sim.old {
        format!("“{}” → “{}”", it.item, it.local_item)
    } else {
        format!("“{}”", it.item)
    };
    let l = format!("{{\"pid\":{pid},\"type\":\"start\",\"contents\":{{\"msg\":[\"Starting “{q}” for “{}” {names}.\"]{}}},\"indent\":0,\"partial\":0}}", it.item_name, pct_time(0));
    put(&mut out, &l, &mut n_written)?;
    // Restore modules: the steps of a RESTORE, each a section of the `out`
    // lines. Homedir and Mysql take longer the larger the account; a
    // failed restore stops in the module that failed.
    let failed = matches!(r.outcome, Outcome::Failed(_));
    let n_mods = if r.queue != 1 {
        0
    } else if failed && !r.crashed {
        1 + sim.rng.below(MODULES.len() as u64) as usize
    } else {
        MODULES.len()
    };
    let mods = &MODULES[..n_mods];
    let gb = (it.size >> 30) as usize;
    let weight = |m: &str| match m {
        "Homedir" => 3 + 2 * gb,
        "Mysql" => 2 + gb,
        "Mail" => 2,
        _ => 1,
    };
    let all: usize = mods.iter().map(|m| weight(m)).sum::<usize>().max(1);
    // The line index at which each module starts (the last ends at `total`).
    let mut starts = Vec::with_capacity(n_mods);
    let mut acc = 0;
    for m in mods {
        starts.push(acc * total / all);
        acc += weight(m);
    }
    let (t0, t1, old) = (r.start, r.end, sim.old);
    // A line's time: along the item's run, by its place among the lines.
    let time_at = |k: usize| -> String {
        if old {
            String::new()
        } else {
            let t = t0 + (t1 - t0) * k.min(total) as i64 / total.max(1) as i64;
            format!(",\"time\":{t}")
        }
    };
    let time_of =
        |k: usize| (!old).then(|| t0 + (t1 - t0) * k.min(total) as i64 / total.max(1) as i64);
    let ctl = |action: &str, name: &str, k: usize| {
        format!("{{\"pid\":{pid},\"type\":\"control\",\"contents\":{{\"action\":\"{action}\",\"msg\":[\"{name}\"]{}}},\"indent\":0,\"partial\":0}}", time_at(k))
    };
    let action_heavy = sim.o.profile == Profile::Realistic;
    let actions_of = |m: &str| -> &'static [&'static str] {
        match (m, action_heavy) {
            ("Homedir", false) => &["Extract files", "Set permissions"],
            ("Mysql", false) => &["Create databases", "Restore grants"],
            ("Mail", false) => &["Restore mailboxes"],
            (_, false) => &[],
            ("Account", true) => &["Create account", "Set quota"],
            ("Homedir", true) => &[
                "Extract files",
                "Set permissions",
                "Fix ownership",
                "Update symlinks",
            ],
            ("Mysql", true) => &["Create databases", "Restore data", "Restore grants"],
            ("Mail", true) => &["Restore mailboxes", "Restore filters"],
            ("Cron", true) => &["Restore crontab", "Check commands"],
            (_, true) => &["Restore zones", "Reload DNS"],
        }
    };
    let mut expected_mods: Vec<ExpectedModule> = Vec::new();
    // The open module: (index in `mods`, its first line, open action).
    let mut open: Option<(usize, usize, Option<usize>)> = None;
    let fail_at = if r.crashed { total / 2 } else { total };
    // Closes the open module at line k: status, end, expected entry.
    let close = |out: &mut BufWriter<File>,
                 n: &mut usize,
                 put: &mut PutLine<'_>,
                 open: &mut Option<(usize, usize, Option<usize>)>,
                 ex: &mut Vec<ExpectedModule>,
                 k: usize,
                 fail: Option<&str>|
     -> io::Result<bool> {
        let Some((mi, _, act)) = open.take() else {
            return Ok(true);
        };
        let m = mods[mi];
        let e = ex.last_mut().expect("opened");
        if let Some(ai) = act {
            if !put(out, &ctl("end_action", actions_of(m)[ai], k), n)? {
                return Ok(false);
            }
            // The open action is the last one recorded (an action whose
            // start fell on the same line as the next one's was skipped,
            // so `ai` can run ahead of the list).
            if let Some(a) = e.actions.last_mut() {
                a.2 = time_of(k);
            }
        }
        let (status, msg) = match fail {
            Some(x) => (0, x.to_owned()),
            None => (1, format!("{m} restored.")),
        };
        if !put(out, &format!("{{\"pid\":{pid},\"type\":\"modulestatus\",\"contents\":{{\"module\":\"{m}\",\"status\":{status},\"statusmsg\":{}{}}},\"indent\":1,\"partial\":0}}", js(&msg), time_at(k)), n)? {
            return Ok(false);
        }
        e.state = if status == 0 { "failed" } else { "success" }.into();
        if !put(out, &ctl("end_module", m, k), n)? {
            return Ok(false);
        }
        e.finished_at = time_of(k);
        Ok(true)
    };
    let mut cut_reached = false;
    for k in 0..fail_at {
        // Module boundaries and the actions inside a module.
        if let Some(mi) = (0..n_mods).find(|&i| starts[i] == k && open.is_none_or(|o| o.0 != i)) {
            if !close(
                &mut out,
                &mut n_written,
                &mut put,
                &mut open,
                &mut expected_mods,
                k,
                None,
            )? {
                cut_reached = true;
                break;
            }
            let m = mods[mi];
            if !put(&mut out, &ctl("start_module", m, k), &mut n_written)? {
                cut_reached = true;
                break;
            }
            expected_mods.push(ExpectedModule {
                name: m.into(),
                started_at: time_of(k),
                state: "unfinished".into(),
                ..ExpectedModule::default()
            });
            open = Some((mi, k, None));
        }
        if let Some((mi, first, act)) = open {
            let m = mods[mi];
            let acts = actions_of(m);
            let end = starts.get(mi + 1).copied().unwrap_or(total);
            let span = (end - first).max(1);
            // Action j starts at first + span * j / acts.len().
            if let Some(j) = (0..acts.len())
                .find(|&j| first + span * j / acts.len() == k && act.is_none_or(|a| a < j))
            {
                if let Some(a) = act {
                    if !put(&mut out, &ctl("end_action", acts[a], k), &mut n_written)? {
                        cut_reached = true;
                        break;
                    }
                    if let Some(x) = expected_mods.last_mut().expect("open").actions.last_mut() {
                        x.2 = time_of(k);
                    }
                }
                if !put(&mut out, &ctl("start_action", acts[j], k), &mut n_written)? {
                    cut_reached = true;
                    break;
                }
                expected_mods.last_mut().expect("open").actions.push((
                    acts[j].into(),
                    time_of(k),
                    None,
                ));
                open = Some((mi, first, Some(j)));
            }
        }
        if k > 0 && total >= 10 && k % (total / 10) == 0 {
            let p = (k * 100 / total) as u32;
            if !put(&mut out, &pct(p), &mut n_written)? {
                cut_reached = true;
                break;
            }
        }
        let text = OUT_TEXTS[(k + r.item) % OUT_TEXTS.len()];
        let tm = time_at(k);
        let line = if sim.rng.chance(0.5) {
            format!("{{\"contents\":{{\"msg\":[\"{text}{}_{k}.dat\\u201d … done\"]{tm}}},\"indent\":1,\"partial\":0,\"pid\":{pid},\"type\":\"out\"}}", it.item)
        } else {
            format!("{{\"pid\":{pid},\"type\":\"out\",\"indent\":1,\"contents\":{{{}\"msg\":[\"{text}{}_{k}.dat ... done\"]}},\"partial\":0}}", tm.trim_start_matches(',').to_owned() + if tm.is_empty() { "" } else { "," }, it.item)
        };
        if !put(&mut out, &line, &mut n_written)? {
            cut_reached = true;
            break;
        }
        if k == 1 && r.queue == 1 && r.item.is_multiple_of(2) {
            // A child program's stderr: the item's STDERR is its log
            // (Session.pm `exec_with_output_directed_to_fh`).
            if !put(
                &mut out,
                "tar: Removing leading `/' from member names",
                &mut n_written,
            )? {
                cut_reached = true;
                break;
            }
        }
        if garbage && k == 1 {
            // Invalid UTF-8 inside a string, a Perl warning, a CRLF line.
            out.write_all(
                b"{\"pid\":1,\"type\":\"out\",\"contents\":{\"msg\":[\"caf\xe9 latin-1 name\"]}}\n",
            )?;
            out.write_all(
                b"Wide character in print at /usr/local/cpanel/Cpanel/Logger.pm line 12.\n",
            )?;
            out.write_all(b"{\"pid\":1,\"type\":\"out\",\"contents\":{\"msg\":[\"crlf\"]}}\r\n")?;
            extra_stderr += 1;
        }
    }
    // A module left open by a cut log is running; by a crash, unfinished.
    let item_key = format!("{}/{}/{}", q, it.item_type, it.item);
    if cut_reached || keep_until.is_some_and(|k| n_written > k) {
        for e in &mut expected_mods {
            if e.finished_at.is_none() && e.state == "unfinished" {
                e.state = "running".into();
            }
        }
        out.flush()?;
        let w = Written {
            bytes,
            skipped,
            stderr: stderr + extra_stderr,
        };
        return Ok((w, item_key, expected_mods));
    }
    let fail_msg = match &r.outcome {
        Outcome::Failed(x) => Some(x.clone()),
        _ => None,
    };
    if r.queue == 1 && !r.crashed {
        close(
            &mut out,
            &mut n_written,
            &mut put,
            &mut open,
            &mut expected_mods,
            total,
            fail_msg.as_deref(),
        )?;
    }
    if matches!(r.outcome, Outcome::Warning) {
        for w in [
            "The remote server returned a partial mailbox list; retrying once.",
            "Skipped “.cpanel/caches”: not needed on this server.",
        ] {
            put(&mut out, &format!("{{\"pid\":{pid},\"type\":\"warn\",\"contents\":{{\"msg\":[{}]}},\"indent\":1,\"partial\":0}}", js(w)), &mut n_written)?;
        }
    }
    let reason = match &r.outcome {
        Outcome::Failed(x) => Some(x.clone()),
        _ => None,
    };
    if let Some(reason) = &reason {
        if !r.crashed {
            put(&mut out, &format!("{{\"pid\":{pid},\"type\":\"error\",\"contents\":{{\"msg\":[{}]}},\"indent\":1,\"partial\":0}}", js(reason)), &mut n_written)?;
        }
    }
    // Percentage 100 and the result; after a crash, the master writes them.
    let end_pid = if r.crashed {
        sim.pid_json(sim.master_pid)
    } else {
        pid.clone()
    };
    put(&mut out, &format!("{{\"pid\":{end_pid},\"type\":\"control\",\"contents\":{{\"action\":\"percentage\",\"percentage\":100{}}},\"indent\":0,\"partial\":0}}", pct_time(100)), &mut n_written)?;
    let result = match &reason {
        Some(x) => format!("{{\"pid\":{end_pid},\"type\":\"failed\",\"contents\":{{\"msg\":[{}]}},\"indent\":0,\"partial\":0}}", js(&format!("Failed: {x}"))),
        None => format!("{{\"pid\":{end_pid},\"type\":\"success\",\"contents\":{{\"msg\":[\"Success.\"]}},\"indent\":0,\"partial\":0}}"),
    };
    put(&mut out, &result, &mut n_written)?;
    let _ = &item_key;
    if r.queue == 1 && !r.crashed && !sim.old {
        // The realistic mix lists skipped files in the summary of one
        // restore in eight: long lines (10 to 59 records, a few KB) full
        // of escapes.
        let h = item_key
            .bytes()
            .fold(0usize, |a, b| a.wrapping_mul(31).wrapping_add(b.into()));
        let skipped = if sim.o.profile == Profile::Realistic && h % 8 == 0 {
            let n = 10 + (h / 8) % 50;
            (0..n)
                .map(|k| {
                    format!(
                        "[[\"Homedir\",\"_restore_homedir\",{}],{},null]",
                        400 + k,
                        js(&format!("Skipped “public_html/cache/{item_key}_{k}.tmp”: a temporary file \"not needed\" here."))
                    )
                })
                .collect::<Vec<_>>()
                .join(",")
        } else {
            String::new()
        };
        let lists = if matches!(r.outcome, Outcome::Warning) {
            format!("\"warnings\":[[[\"Mail\",\"_restore_mail\",88],{},null]],\"skipped_items\":[{skipped}],\"dangerous_items\":[],\"altered_items\":[]", js("Mail: quota exceeded for one mailbox."))
        } else {
            format!("\"warnings\":[],\"skipped_items\":[{skipped}],\"dangerous_items\":[],\"altered_items\":[]")
        };
        put(&mut out, &format!("{{\"pid\":{pid},\"type\":\"control\",\"contents\":{{\"action\":\"summary\",{lists}}},\"indent\":0,\"partial\":0}}"), &mut n_written)?;
    }
    out.flush()?;
    let w = Written {
        bytes,
        skipped,
        stderr: stderr + extra_stderr,
    };
    Ok((w, item_key, expected_mods))
}

/// Settings for a fleet of sessions (an archive of many session dirs).
#[derive(Clone, Debug)]
pub struct FleetOptions {
    /// Number of sessions.
    pub sessions: usize,
    /// Seed of the first session (the others follow).
    pub seed: u64,
    /// Approximate total bytes of all logs.
    pub target_bytes: u64,
    /// Accounts per session (varied ±50% around this).
    pub accounts: usize,
    /// Chance (0 to 1) that a session with accounts left to re-run is
    /// followed by a retry campaign: a session from the same source host,
    /// started later, that re-queues exactly those accounts.
    pub retries: f64,
    /// The line mix of every session.
    pub profile: Profile,
}

/// The accounts a generated session did not move (TRANSFER or RESTORE
/// failed, or never restored in a session that ended): what a retry
/// campaign re-queues.
pub fn accounts_to_rerun(e: &Expected) -> Vec<String> {
    let status = |q: &str, item: &str| {
        e.items
            .get(&format!("{q}/AccountRemoteRoot/{item}"))
            .map(String::as_str)
    };
    let ended = matches!(
        e.state.as_str(),
        "COMPLETED" | "FAILED" | "ABORTED" | "PAUSED"
    );
    let mut v: Vec<String> = e
        .items
        .keys()
        .filter_map(|k| k.strip_prefix("TRANSFER/AccountRemoteRoot/"))
        .filter(|item| {
            let (t, r) = (status("TRANSFER", item), status("RESTORE", item));
            t == Some("failed")
                || r == Some("failed")
                || (ended && matches!(r, None | Some("pending")))
        })
        .map(str::to_owned)
        .collect();
    v.sort();
    v
}

/// First guess at the bytes one item-log line takes.
const LINE_BYTES: u64 = 150;

/// First guess at the bytes of an item's fixed lines (start, modules,
/// percentages, result) and its master-log lines.
const ITEM_BYTES: u64 = 3_500;

/// `lines_per_item` that sizes a session of `o` to about `target` bytes of
/// logs. Two small probe sessions with the same options (20 and 60 `out`
/// lines per item: enough for every module and percentage line to
/// appear), written to a scratch directory that is removed, measure the
/// fixed bytes and the bytes per line. The estimate is within a few
/// percent (line numbers inside `out` lines grow by a digit now and then).
pub fn lines_for_target(o: &GenOptions, target: u64) -> io::Result<usize> {
    static PROBES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = PROBES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let scratch =
        std::env::temp_dir().join(format!("xferlens-gen-probe-{}-{n}", std::process::id()));
    let probe = |lines: usize| -> io::Result<u64> {
        let p = GenOptions {
            lines_per_item: lines,
            id: Some(format!("probe{lines}")),
            ..o.clone()
        };
        generate_session(&scratch, &p).map(|e| e.bytes)
    };
    let (lo, hi) = (20u64, 60u64);
    let measured = probe(lo as usize).and_then(|a| Ok((a, probe(hi as usize)?)));
    let _ = fs::remove_dir_all(&scratch);
    let (a, b) = measured?;
    let per_line = (b.saturating_sub(a) / (hi - lo)).max(1);
    let fixed = a.saturating_sub(per_line * lo);
    Ok((target.saturating_sub(fixed) / per_line).max(1) as usize)
}

/// Generates `sessions` session directories under `root` with a mix of
/// scenarios, sized to about `target_bytes` in all. Returns their truths.
///
/// Sizes are steered as the fleet is written: each session gets an even
/// share of the bytes still to write, converted to lines per item with a
/// linear estimate that is corrected by the ratio of bytes written to
/// bytes estimated so far. The total lands within a few percent of the
/// target.
pub fn generate_fleet(root: &Path, f: &FleetOptions) -> io::Result<Vec<Expected>> {
    let mut rng = Rng::new(f.seed);
    let mut out = Vec::with_capacity(f.sessions);
    let (mut written, mut estimated) = (0u64, 0u64);
    for n in 0..f.sessions {
        let accounts = (f.accounts / 2 + rng.below(f.accounts as u64 + 1) as usize).max(1);
        let items = (accounts + 1) as u64 * 2;
        let budget = f.target_bytes.saturating_sub(written) / (f.sessions - n) as u64;
        // Bytes written per byte estimated, so far (1 at the start).
        let k = if estimated == 0 {
            1.0
        } else {
            written as f64 / estimated as f64
        };
        let per_item = (budget as f64 / k / items as f64) as u64;
        let lines = (per_item.saturating_sub(ITEM_BYTES) / LINE_BYTES).max(1) as usize;
        let scenario = match rng.below(20) {
            0..=9 => Scenario::Mixed,
            k => Scenario::ALL[(k as usize - 10) % 10],
        };
        // Sessions start six hours apart; a retry campaign re-queues what
        // the previous session left, from the same host.
        let start_time = GenOptions::default().start_time + n as i64 * 6 * 3600;
        let rerun = out.last().map(accounts_to_rerun).unwrap_or_default();
        let retry = !rerun.is_empty() && rng.below(1000) < (f.retries * 1000.0) as u64;
        let (scenario, host, names, accounts) = if retry {
            let prev: &Expected = out.last().expect("checked");
            let n_acc = rerun.len();
            // Half of the campaigns meet the same trouble again.
            let sc = if rng.chance(0.5) {
                Scenario::Failures
            } else {
                Scenario::Mixed
            };
            (sc, Some(prev.remote_host.clone()), Some(rerun), n_acc)
        } else {
            (scenario, None, None, accounts)
        };
        let o = GenOptions {
            seed: f.seed.wrapping_add(n as u64),
            accounts,
            lines_per_item: lines,
            workers: 1 + rng.below(4) as usize,
            scenario,
            id: Some(format!(
                "fleetsource{:05}copy{}{}",
                n,
                scenario.as_str().replace('-', ""),
                if retry { "retry" } else { "" }
            )),
            start_time,
            host,
            names,
            profile: f.profile,
            ..GenOptions::default()
        };
        let e = generate_session(root, &o)?;
        written += e.bytes;
        estimated += items * (ITEM_BYTES + LINE_BYTES * lines as u64);
        out.push(e);
    }
    Ok(out)
}

/// Wraps a log as a saved WHM API 1 `fetch_transfer_session_log` response.
pub fn write_api_response(log: &[u8], out: &Path) -> io::Result<PathBuf> {
    let body = serde_json::json!({
        "data": { "log": String::from_utf8_lossy(log) },
        "metadata": { "version": 1, "reason": "OK", "result": "1", "command": "fetch_transfer_session_log" }
    });
    fs::write(
        out,
        serde_json::to_vec_pretty(&body).map_err(io::Error::other)?,
    )?;
    Ok(out.to_owned())
}
