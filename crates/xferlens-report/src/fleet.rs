//! Answers over many sessions: failure causes (messages normalised so the
//! same failure on 40 accounts is one cause), source hosts, the slowest
//! and largest accounts, and activity per day. Gathered session by session
//! ([`FleetStats::add`] on a worker, [`FleetStats::merge`] on the writer),
//! so `batch` can drop each session's items once counted.

use std::io::{self, Write};
use xferlens_replay::hash::{Map as HashMap, Set as HashSet};

use xferlens_replay::{Diagnostic, Item, ItemStatus, Session, RESTORE, TRANSFER};

use crate::accounts::{History, Unnamed, UNKNOWN_HOST};
use crate::columns;
use crate::csv::CsvOut;
use crate::shown::{shown, table, How, Join, Shown};
use crate::stats::quantile;
use crate::view::Cell;

/// Longest cause kept, in characters.
const CAUSE_MAX: usize = 200;

/// How many accounts each top list keeps.
pub const TOP_N: usize = 20;

/// Most distinct causes tracked; the rest are counted under `(other)`.
pub const CAUSES_MAX: usize = 2000;

fn is_quote_open(c: char) -> Option<char> {
    match c {
        '“' => Some('”'),
        '"' => Some('"'),
        '‘' => Some('’'),
        '`' => Some('`'),
        _ => None,
    }
}

/// One word of a message as a placeholder, or as itself.
fn word_class(w: &str, names: &[&str]) -> String {
    let core = w.trim_matches(|c: char| ",.;:()[]{}!?“”‘’\"`".contains(c));
    if core.is_empty() {
        return w.to_owned();
    }
    let (pre, post) = {
        let start = w.find(core).unwrap_or(0);
        (&w[..start], &w[start + core.len()..])
    };
    let class = if names.iter().any(|n| !n.is_empty() && core == *n) {
        "<account>"
    } else if core.starts_with('/') || core.starts_with("~/") {
        "<path>"
    } else if core.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && core.bytes().any(|b| b.is_ascii_digit())
    {
        // Numbers and IPv4 addresses.
        if core.matches('.').count() == 3 {
            "<ip>"
        } else {
            "<n>"
        }
    } else if core.contains('.')
        && !core.ends_with('.')
        && core
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
        && core.bytes().any(|b| b.is_ascii_alphabetic())
        && core.split('.').all(|p| !p.is_empty())
    {
        "<host>"
    } else if core.bytes().any(|b| b.is_ascii_digit())
        && core.bytes().any(|b| b.is_ascii_alphabetic())
    {
        // Sizes (12MB), signal numbers, ids mixed with digits.
        let digits_first = core.bytes().next().is_some_and(|b| b.is_ascii_digit());
        if digits_first {
            "<n>"
        } else if names.iter().any(|n| !n.is_empty() && core.contains(n)) {
            "<account>"
        } else {
            return w.to_owned();
        }
    } else if names.iter().any(|n| n.len() >= 3 && core.contains(n)) {
        // A database or file named after the account (bob_wp).
        "<account>"
    } else {
        return w.to_owned();
    };
    format!("{pre}{class}{post}")
}

/// The quoted spans of `msg` (char indices of each opening quote and its
/// closing one), nested quotes paired inside their outer ones. A lone
/// quote (an apostrophe written as `’`, a quote never closed) pairs with
/// nothing. One pass with a stack: linear on hostile input too.
fn quote_pairs(chars: &[char]) -> Vec<(usize, usize)> {
    const CLOSES: [char; 4] = ['”', '"', '’', '`'];
    let slot = |c: char| CLOSES.iter().position(|&x| x == c);
    // Quotes open, innermost last, and how many wait for each closing
    // quote: a closing quote nothing waits for costs no scan.
    let mut open: Vec<(usize, char)> = Vec::new();
    let mut waiting = [0usize; 4];
    let mut pairs = Vec::new();
    for (i, &c) in chars.iter().enumerate() {
        // A closing quote (or a second straight one) closes the innermost
        // quote it matches; quotes opened inside it and never closed
        // were not quotes.
        if slot(c).is_some_and(|k| waiting[k] > 0) {
            let k = open.iter().rposition(|&(_, close)| close == c).unwrap_or(0);
            pairs.push((open[k].0, i));
            for (_, close) in open.drain(k..) {
                waiting[slot(close).unwrap_or(0)] -= 1;
            }
        } else if let Some(close) = is_quote_open(c) {
            open.push((i, close));
            waiting[slot(close).unwrap_or(0)] += 1;
        }
    }
    pairs
}

/// Quoted text that names something (a user, domain, database or file):
/// `chars[from..to]` is one token with no white space, or one of the
/// item's own names. A quoted sentence (a cPanel error quoted in another)
/// says what went wrong, and is kept. `spaces[i]` counts the white space
/// in `chars[..i]`, so that nested quotes cost no rescan.
fn is_quoted_name(
    chars: &[char],
    (from, to): (usize, usize),
    spaces: &[usize],
    names: &[&str],
) -> bool {
    if from >= to {
        return false;
    }
    if spaces[to] == spaces[from] {
        return true;
    }
    let longest = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    if to - from > longest.saturating_add(2) {
        return false;
    }
    let text: String = chars[from..to].iter().collect();
    names.iter().any(|n| !n.is_empty() && text.trim() == *n)
}

/// `msg` with each quoted name (see [`is_quoted_name`]) as `“*”`; quoted
/// sentences stay, with the names quoted inside them masked.
fn mask_quoted_names(msg: &str, names: &[&str]) -> String {
    let chars: Vec<char> = msg.chars().collect();
    let mut spaces = Vec::with_capacity(chars.len() + 1);
    spaces.push(0usize);
    for c in &chars {
        spaces.push(spaces[spaces.len() - 1] + usize::from(c.is_whitespace()));
    }
    let mut masked_to: Vec<Option<usize>> = vec![None; chars.len()];
    for (a, b) in quote_pairs(&chars) {
        if is_quoted_name(&chars, (a + 1, b), &spaces, names) {
            masked_to[a] = Some(b);
        }
    }
    let mut s = String::with_capacity(msg.len());
    let mut i = 0;
    while i < chars.len() {
        match masked_to[i] {
            Some(end) => {
                s.push_str("“*”");
                i = end + 1;
            }
            None => {
                s.push(chars[i]);
                i += 1;
            }
        }
    }
    s
}

/// A failure message as a cause: what varies per account replaced by
/// placeholders (quoted names as `“*”`, the account's names, paths,
/// hosts, IP addresses and numbers), the words that say what went wrong
/// kept, white space folded, and cut to 200 characters. "Unable to
/// download “/home/cpmove-bob.tar.gz”" for 40 accounts is one cause.
pub fn normalise(msg: &str, names: &[&str]) -> String {
    let s = mask_quoted_names(msg, names);
    let words: Vec<String> = s.split_whitespace().map(|w| word_class(w, names)).collect();
    let mut out = words.join(" ");
    if out.chars().count() > CAUSE_MAX {
        out = out.chars().take(CAUSE_MAX).collect::<String>() + "…";
    }
    if out.is_empty() {
        "(no message)".into()
    } else {
        out
    }
}

/// An item's names (on the source, and here when renamed): what a cause
/// masks as varying per account.
pub fn item_names(it: &Item) -> Vec<&str> {
    [Some(it.item.as_str()), it.local_item.as_deref()]
        .into_iter()
        .flatten()
        .collect()
}

/// The cause of a failed item: the module that failed (when the log
/// names one) and the normalised message. A cascaded RESTORE failure is
/// `cascade: <the cause of its TRANSFER>`; `transfer` is that TRANSFER
/// item, when the session has it.
pub fn cause_of(it: &Item, transfer: Option<&Item>) -> (Option<String>, String) {
    let names = item_names(it);
    if it.cascaded {
        let inner = transfer
            .map(|t| cause_of(t, None).1)
            .unwrap_or_else(|| normalise(it.reason().unwrap_or(""), &names));
        return (None, format!("cascade: {inner}"));
    }
    match it.failed_module() {
        Some(m) => {
            let msg = m.statusmsg.as_deref().or(it.reason()).unwrap_or("");
            (Some(m.name.clone()), normalise(msg, &names))
        }
        None => (None, normalise(it.reason().unwrap_or(""), &names)),
    }
}

/// Adds `module` to a sorted, comma-separated list of modules (`None`
/// while empty): one cause failing in several modules is one cause, that
/// names them all, in the same order whatever order workers merge in.
fn add_module(list: &mut Option<String>, module: Option<&str>) {
    let Some(m) = module else { return };
    let mut all: Vec<&str> = list
        .as_deref()
        .map_or(Vec::new(), |l| l.split(", ").collect());
    if let Err(at) = all.binary_search(&m) {
        all.insert(at, m);
        *list = Some(all.join(", "));
    }
}

/// The failed items of one session that share a cause, with the RESTORE
/// items that failed in cascade of them.
#[derive(Debug)]
pub struct CauseGroup<'a> {
    /// `TRANSFER` or `RESTORE`.
    pub queue: String,
    /// The modules that failed with it, when the log names them (comma
    /// separated, sorted).
    pub module: Option<String>,
    /// The normalised message.
    pub cause: String,
    /// The failed items with this cause, in log order.
    pub items: Vec<&'a Item>,
    /// RESTORE items that failed because these TRANSFER items did.
    pub cascades: Vec<&'a Item>,
}

/// A session's TRANSFER items by (item type, item): the TRANSFER of a
/// cascaded RESTORE failure in one lookup, whatever the number of items.
fn transfers_by_account(s: &Session) -> HashMap<(&str, &str), &Item> {
    s.items
        .iter()
        .filter(|t| t.queue == TRANSFER)
        .map(|t| ((t.item_type.as_str(), t.item.as_str()), t))
        .collect()
}

/// The failures of one session grouped by cause, most items first; a
/// cascaded RESTORE failure is listed under its TRANSFER cause, never as a
/// cause of its own (unless its TRANSFER is missing from the log).
pub fn failures_by_cause(s: &Session) -> Vec<CauseGroup<'_>> {
    let transfers = transfers_by_account(s);
    let mut groups: Vec<CauseGroup<'_>> = Vec::new();
    let mut index: HashMap<(String, String), usize> = HashMap::default();
    let mut cascades: Vec<(&Item, Option<&Item>)> = Vec::new();
    for it in s.items_with(ItemStatus::Failed) {
        let transfer = transfers
            .get(&(it.item_type.as_str(), it.item.as_str()))
            .copied();
        if it.cascaded && transfer.is_some_and(|t| t.status == ItemStatus::Failed) {
            cascades.push((it, transfer));
            continue;
        }
        let (module, cause) = cause_of(it, transfer);
        let key = (it.queue.clone(), cause.clone());
        let at = *index.entry(key).or_insert_with(|| {
            groups.push(CauseGroup {
                queue: it.queue.clone(),
                module: None,
                cause,
                items: Vec::new(),
                cascades: Vec::new(),
            });
            groups.len() - 1
        });
        add_module(&mut groups[at].module, module.as_deref());
        groups[at].items.push(it);
    }
    for (it, transfer) in cascades {
        let Some(t) = transfer else { continue };
        let key = (TRANSFER.to_owned(), cause_of(t, None).1);
        if let Some(&at) = index.get(&key) {
            groups[at].cascades.push(it);
        }
    }
    groups.sort_by_key(|g| std::cmp::Reverse(g.items.len() + g.cascades.len()));
    groups
}

/// One cause over many sessions.
#[derive(Clone, Debug, Default)]
pub struct CauseStat {
    /// `TRANSFER` or `RESTORE`.
    pub queue: String,
    /// The modules that failed with it, when the log names them (comma
    /// separated, sorted).
    pub module: Option<String>,
    /// The normalised message.
    pub cause: String,
    /// Failed items with this cause.
    pub items: u64,
    /// Distinct accounts (host, type, name).
    accounts: HashSet<(String, String, String)>,
    /// Sessions it occurred in.
    pub sessions: u64,
    /// An example: session id, item, the message as written.
    pub example: (String, String, String),
}

impl CauseStat {
    /// Distinct accounts that failed with this cause.
    pub fn accounts(&self) -> usize {
        self.accounts.len()
    }

    /// True for a RESTORE failure that follows from its TRANSFER failure.
    pub fn is_cascade(&self) -> bool {
        self.cause.starts_with("cascade: ")
    }
}

/// One source host over many sessions.
#[derive(Clone, Debug, Default)]
pub struct HostStat {
    /// The host (`remotehost`, or `unknown`).
    pub host: String,
    /// Sessions from it.
    pub sessions: u64,
    /// Failed items.
    pub failed_items: u64,
    /// Bytes of the accounts moved (finished in both queues).
    pub bytes: u64,
    /// Session durations (paused time left out), seconds.
    durations: Vec<i64>,
    /// Per-account throughput, bytes per second (accounts only, not
    /// packages or feature lists).
    throughputs: Vec<f64>,
}

impl HostStat {
    /// Total session time, seconds.
    pub fn total_s(&self) -> i64 {
        self.durations.iter().sum()
    }
    /// Median session duration.
    pub fn median_s(&self) -> Option<i64> {
        quantile(&self.durations, 0.5)
    }
    /// Median per-account throughput, bytes/s.
    pub fn throughput_p50(&self) -> Option<f64> {
        quantile(&self.throughputs, 0.5)
    }
    /// 90th percentile of per-account throughput, bytes/s.
    pub fn throughput_p90(&self) -> Option<f64> {
        quantile(&self.throughputs, 0.9)
    }
}

/// One account's move, for the top lists.
#[derive(Clone, Debug)]
pub struct AccountRun {
    /// Session id (shared by the session's runs).
    pub session_id: std::sync::Arc<str>,
    /// Source host (shared likewise).
    pub host: std::sync::Arc<str>,
    /// Item type and name.
    pub item: String,
    /// Bytes.
    pub size: u64,
    /// Seconds from TRANSFER start to RESTORE end, less the time the
    /// session was paused: the time it took.
    pub duration_s: i64,
}

impl AccountRun {
    /// Bytes per second.
    pub fn throughput(&self) -> f64 {
        self.size as f64 / self.duration_s.max(1) as f64
    }
}

columns! { AccountRun as r => ACCOUNT_RUN_COLUMNS {
    "item" => Cell::text(&r.item),
    "remote_host" => Cell::text(&r.host),
    "session_id" => Cell::text(&r.session_id),
    "size_bytes" => Cell::count(r.size),
    "duration_s" => Cell::Int(Some(r.duration_s)),
    "throughput_bps" => Cell::Fixed(Some(r.throughput()), 0),
} }

/// The account lists of the fleet reports (slowest, lowest throughput).
pub const ACCOUNT_RUNS_SHOWN: [Shown; 6] = [
    shown("Account", "item", How::Text),
    shown("Host", "remote_host", How::Text),
    shown("Session", "session_id", How::Id),
    shown("Size", "size_bytes", How::Bytes),
    shown("Duration", "duration_s", How::Duration),
    shown("Throughput", "throughput_bps", How::Rate),
];

/// One day (UTC, by session start).
#[derive(Clone, Debug, Default)]
pub struct DayStat {
    /// Sessions started that day.
    pub sessions: u64,
    /// Accounts moved (success or warning).
    pub moved: u64,
    /// Accounts failed.
    pub failed: u64,
}

/// One day's counts as the reports show them.
pub struct DayLine<'a> {
    /// `YYYY-MM-DD` (UTC), or `unknown`.
    pub day: &'a str,
    /// Its counts.
    pub st: &'a DayStat,
}

columns! { DayLine<'a> as r => DAY_COLUMNS {
    "day" => Cell::text(r.day),
    "sessions" => Cell::count(r.st.sessions),
    "moved" => Cell::count(r.st.moved),
    "failed" => Cell::count(r.st.failed),
} }

/// The per-day table of the Markdown fleet report.
pub const DAYS_SHOWN: [Shown; 4] = [
    shown("Day (UTC)", "day", How::Text),
    shown("Sessions", "sessions", How::Number),
    shown("Accounts moved", "moved", How::Number),
    shown("Accounts failed", "failed", How::Number),
];

/// Answers over many sessions.
#[derive(Clone, Debug, Default)]
pub struct FleetStats {
    /// Causes by (queue, normalised message), whatever module failed.
    causes: HashMap<(String, String), CauseStat>,
    hosts: HashMap<String, HostStat>,
    /// Days, `YYYY-MM-DD` → counts (`unknown` for logs without times).
    pub days: std::collections::BTreeMap<String, DayStat>,
    /// The slowest accounts by duration (longest first).
    pub slowest: Vec<AccountRun>,
    /// The slowest accounts by throughput (lowest first, at least 1 MB).
    pub slowest_throughput: Vec<AccountRun>,
    /// The largest accounts.
    pub largest: Vec<AccountRun>,
    /// Failed items.
    pub failed_items: u64,
    /// Failed accounts (one per session and account).
    pub failed_accounts: u64,
}

/// The seconds an account took, from its first item's start to its last
/// item's end, less the time the session was paused in between (a pause
/// between its TRANSFER and its RESTORE is no work); `None` without both
/// times or when they go backwards.
fn work_s(s: &Session, first: Option<&Item>, last: Option<&Item>) -> Option<i64> {
    let start = first?.started_at?;
    let wall = last?.finished_at?.checked_sub(start)?;
    (wall >= 0).then(|| wall - s.paused_within(start, start + wall).min(wall))
}

/// The three account lists of [`FleetStats`], borrowed together.
struct TopLists<'a> {
    slowest: &'a mut Vec<AccountRun>,
    largest: &'a mut Vec<AccountRun>,
    slowest_throughput: &'a mut Vec<AccountRun>,
}

impl TopLists<'_> {
    /// Offers one account's move to each list; the run (three strings)
    /// is built only when it enters one.
    fn offer(self, size: u64, dur: i64, run: impl FnOnce() -> AccountRun) {
        let tp = size as f64 / dur.max(1) as f64;
        let full = |v: &Vec<AccountRun>| v.len() >= TOP_N;
        let slow = !full(self.slowest) || self.slowest.last().is_some_and(|l| dur > l.duration_s);
        let large = !full(self.largest) || self.largest.last().is_some_and(|l| size > l.size);
        let low = size >= 1_000_000
            && (!full(self.slowest_throughput)
                || self
                    .slowest_throughput
                    .last()
                    .is_some_and(|l| tp < l.throughput()));
        if !(slow || large || low) {
            return;
        }
        let run = run();
        if slow {
            keep_top(self.slowest, run.clone(), |r| r.duration_s as f64);
        }
        if large {
            keep_top(self.largest, run.clone(), |r| r.size as f64);
        }
        if low {
            keep_top(self.slowest_throughput, run, |r| -r.throughput());
        }
    }
}

fn keep_top(v: &mut Vec<AccountRun>, r: AccountRun, key: impl Fn(&AccountRun) -> f64) {
    v.push(r);
    v.sort_by(|a, b| {
        key(b)
            .partial_cmp(&key(a))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    v.truncate(TOP_N);
}

impl FleetStats {
    /// The account lists the reports show, with their titles: slowest,
    /// lowest throughput, largest.
    pub fn account_lists(&self) -> [(&'static str, &[AccountRun]); 3] {
        [
            ("Slowest accounts", &self.slowest),
            (
                "Lowest throughput (accounts of 1 MB or more)",
                &self.slowest_throughput,
            ),
            ("Largest accounts", &self.largest),
        ]
    }

    /// Bytes of the accounts moved (TRANSFER and RESTORE finished), over
    /// every host: the one total the reports show as "restored", equal to
    /// the sum of hosts.csv's `bytes`.
    pub fn bytes_moved(&self) -> u64 {
        self.hosts
            .values()
            .fold(0, |a, h| a.saturating_add(h.bytes))
    }

    /// Counts one session.
    pub fn add(&mut self, s: &Session) {
        self.add_with(s, &s.accounts());
    }

    /// Counts the failed items of one session from `host` by cause (one
    /// row per queue and message, whatever module failed).
    fn add_causes(&mut self, s: &Session, host: &str) {
        let mut seen_causes: HashSet<(String, String)> = HashSet::default();
        // TRANSFER items by account, for the causes of cascades.
        let transfers = transfers_by_account(s);
        for it in s.items_with(ItemStatus::Failed) {
            self.failed_items += 1;
            let transfer = transfers.get(&(it.item_type.as_str(), it.item.as_str()));
            let (module, cause) = cause_of(it, transfer.copied());
            let mut key = (it.queue.clone(), cause);
            let other = !self.causes.contains_key(&key) && self.causes.len() >= CAUSES_MAX;
            if other {
                key = (it.queue.clone(), "(other)".into());
            }
            let st = self.causes.entry(key.clone()).or_insert_with(|| CauseStat {
                queue: key.0.clone(),
                cause: key.1.clone(),
                example: (
                    s.id.clone(),
                    it.item.clone(),
                    crate::modules::reason(it).unwrap_or_default(),
                ),
                ..CauseStat::default()
            });
            if !other {
                add_module(&mut st.module, module.as_deref());
            }
            st.items += 1;
            st.accounts
                .insert((host.to_owned(), it.item_type.clone(), it.item.clone()));
            if seen_causes.insert(key) {
                st.sessions += 1;
            }
        }
    }

    /// [`FleetStats::add`] with the session's accounts already joined.
    pub fn add_with(&mut self, s: &Session, accounts: &[xferlens_replay::Account]) {
        let host = s.remote_host.as_deref().unwrap_or(UNKNOWN_HOST).to_owned();
        let (shared_id, shared_host): (std::sync::Arc<str>, std::sync::Arc<str>) =
            (s.id.as_str().into(), host.as_str().into());
        self.add_causes(s, &host);
        let hs = self.hosts.entry(host.clone()).or_insert_with(|| HostStat {
            host: host.clone(),
            ..HostStat::default()
        });
        hs.sessions += 1;
        hs.durations.extend(s.duration_s());
        let day = s
            .started_at
            .map(|t| crate::time::rfc3339(t)[..10].to_owned())
            .unwrap_or_else(|| "unknown".into());
        let d = self.days.entry(day).or_default();
        d.sessions += 1;
        for a in accounts {
            let t = a.transfer.map(|i| &s.items[i]);
            let r = a.restore.map(|i| &s.items[i]);
            match a.overall {
                ItemStatus::Failed => {
                    d.failed += 1;
                    self.failed_accounts += 1;
                }
                ItemStatus::Success | ItemStatus::Warning => d.moved += 1,
                _ => {}
            }
            for i in [t, r].into_iter().flatten() {
                if i.status == ItemStatus::Failed {
                    hs.failed_items += 1;
                }
            }
            if !matches!(a.overall, ItemStatus::Success | ItemStatus::Warning) {
                continue;
            }
            let size = [t, r]
                .into_iter()
                .flatten()
                .find_map(|i| i.size)
                .unwrap_or(0);
            hs.bytes = hs.bytes.saturating_add(size);
            // Throughput and the account lists are over accounts only: a
            // 2 kB package says nothing about a host's speed.
            if !a.is_account() {
                continue;
            }
            let Some(dur) = work_s(s, t.or(r), r.or(t)) else {
                continue;
            };
            if size > 0 {
                hs.throughputs.push(size as f64 / dur.max(1) as f64);
            }
            let lists = TopLists {
                slowest: &mut self.slowest,
                largest: &mut self.largest,
                slowest_throughput: &mut self.slowest_throughput,
            };
            lists.offer(size, dur, || AccountRun {
                session_id: std::sync::Arc::clone(&shared_id),
                host: std::sync::Arc::clone(&shared_host),
                item: a.label(),
                size,
                duration_s: dur,
            });
        }
    }

    /// Adds another session's (or worker's) statistics to these.
    pub fn merge(&mut self, o: FleetStats) {
        for (k, c) in o.causes {
            if !self.causes.contains_key(&k) && self.causes.len() >= CAUSES_MAX {
                let other = (k.0.clone(), "(other)".to_owned());
                let e = self
                    .causes
                    .entry(other.clone())
                    .or_insert_with(|| CauseStat {
                        queue: other.0.clone(),
                        cause: other.1.clone(),
                        example: c.example.clone(),
                        ..CauseStat::default()
                    });
                e.items += c.items;
                e.sessions += c.sessions;
                e.accounts.extend(c.accounts);
                continue;
            }
            match self.causes.get_mut(&k) {
                Some(e) => {
                    for m in c.module.iter().flat_map(|l| l.split(", ")) {
                        add_module(&mut e.module, Some(m));
                    }
                    e.items += c.items;
                    e.sessions += c.sessions;
                    e.accounts.extend(c.accounts);
                }
                None => {
                    self.causes.insert(k, c);
                }
            }
        }
        for (k, h) in o.hosts {
            let e = self.hosts.entry(k).or_insert_with(|| HostStat {
                host: h.host.clone(),
                ..HostStat::default()
            });
            e.sessions += h.sessions;
            e.failed_items += h.failed_items;
            e.bytes = e.bytes.saturating_add(h.bytes);
            e.durations.extend(h.durations);
            e.throughputs.extend(h.throughputs);
        }
        for (k, d) in o.days {
            let e = self.days.entry(k).or_default();
            e.sessions += d.sessions;
            e.moved += d.moved;
            e.failed += d.failed;
        }
        for r in o.slowest {
            keep_top(&mut self.slowest, r, |r| r.duration_s as f64);
        }
        for r in o.largest {
            keep_top(&mut self.largest, r, |r| r.size as f64);
        }
        for r in o.slowest_throughput {
            keep_top(&mut self.slowest_throughput, r, |r| -r.throughput());
        }
        self.failed_items += o.failed_items;
        self.failed_accounts += o.failed_accounts;
    }

    /// Causes, most failed items first; a queue's rows add up to its
    /// failed items.
    pub fn causes(&self) -> Vec<&CauseStat> {
        let mut v: Vec<&CauseStat> = self.causes.values().collect();
        v.sort_by(|a, b| {
            (b.items, &a.queue, &a.module, &a.cause).cmp(&(a.items, &b.queue, &b.module, &b.cause))
        });
        v
    }

    /// The causes that do not follow from another, most failed items
    /// first, each with the RESTORE cascade its TRANSFER failures caused
    /// (the reports show a cascade under its cause, never as a cause).
    pub fn independent_causes(&self) -> Vec<CauseLine<'_>> {
        self.causes()
            .into_iter()
            .filter(|c| !c.is_cascade())
            .map(|c| {
                let cascade = (c.queue == TRANSFER)
                    .then(|| {
                        let key = (RESTORE.to_owned(), format!("cascade: {}", c.cause));
                        self.causes.get(&key)
                    })
                    .flatten();
                CauseLine { c, cascade }
            })
            .collect()
    }

    /// Hosts, most sessions first.
    pub fn hosts(&self) -> Vec<&HostStat> {
        let mut v: Vec<&HostStat> = self.hosts.values().collect();
        v.sort_by(|a, b| (b.sessions, &a.host).cmp(&(a.sessions, &b.host)));
        v
    }
}

columns! { CauseStat as r => CAUSE_COLUMNS {
    "queue" => Cell::text(&r.queue),
    "module" => Cell::opt(r.module.as_deref()),
    "cause" => Cell::text(&r.cause),
    "items" => Cell::count(r.items),
    "accounts" => Cell::count(r.accounts() as u64),
    "sessions" => Cell::count(r.sessions),
    "example_session_id" => Cell::text(&r.example.0),
    "example_item" => Cell::text(&r.example.1),
    "example_message" => Cell::text(&r.example.2),
} }

/// A cause as the reports show it: with the RESTORE items that failed in
/// cascade of it (a cascade follows from its TRANSFER cause, so it is
/// shown with it, never as a cause of its own).
pub struct CauseLine<'a> {
    /// The cause.
    pub c: &'a CauseStat,
    /// The RESTORE failures that followed from it, if any.
    pub cascade: Option<&'a CauseStat>,
}

columns! { CauseLine<'a> as r => CAUSE_LINE_COLUMNS: CauseStat = r.c; {
    "cascade_items" => Cell::UInt(r.cascade.map(|x| x.items)),
} }

/// A cause with its cascade note (the same in both reports).
const CAUSE: Shown = shown("Cause", "cause", How::Text).then(
    Join::BelowAside,
    "cascade_items",
    How::Note("and {} RESTORE item(s) failed in cascade"),
);

/// The first columns of the fleet reports' cause tables.
const CAUSE_FIRST: [Shown; 6] = [
    shown("Queue", "queue", How::Text),
    shown("Module", "module", How::Text),
    CAUSE,
    shown("Items", "items", How::Number),
    shown("Accounts", "accounts", How::Number),
    shown("Sessions", "sessions", How::Number),
];

/// The fleet causes table of the HTML report.
pub const CAUSES_HTML: [Shown; 7] = table(&[
    &CAUSE_FIRST,
    &[shown("Example", "example_item", How::Text)
        .then(Join::Muted, "example_session_id", How::Text)
        .then(Join::Below, "example_message", How::Text)],
]);

/// The fleet causes table of the Markdown report.
pub const CAUSES_MARKDOWN: [Shown; 7] =
    table(&[
        &CAUSE_FIRST,
        &[shown("Example", "example_session_id", How::Id).then(
            Join::Space,
            "example_item",
            How::Text,
        )],
    ]);

/// The causes table of one session's Markdown report.
pub const SESSION_CAUSES_MARKDOWN: [Shown; 5] = table(&[
    &[
        CAUSE_FIRST[0],
        CAUSE_FIRST[1],
        CAUSE_FIRST[2],
        CAUSE_FIRST[3],
    ],
    &[shown("Example", "example_item", How::Text)],
]);

/// Writes causes.csv, most failed items first.
pub fn causes_csv<W: Write>(f: &FleetStats, raw: bool, out: W) -> io::Result<()> {
    let mut c = CsvOut::new(out, raw);
    c.header_of::<CauseStat>()?;
    for st in f.causes() {
        c.record(st)?;
    }
    c.finish()
}

/// One source host with its account counts from the joined histories
/// (hosts.csv).
pub struct HostRow<'a> {
    /// The host's statistics.
    pub h: &'a HostStat,
    /// Accounts seen from it.
    pub accounts: u64,
    /// Of those, accounts to re-run.
    pub rerun: u64,
    /// Of those, accounts whose last attempt failed.
    pub failed: u64,
}

columns! { HostRow<'a> as r => HOST_COLUMNS {
    "remote_host" => Cell::text(&r.h.host),
    "sessions" => Cell::count(r.h.sessions),
    "accounts" => Cell::count(r.accounts),
    "accounts_to_rerun" => Cell::count(r.rerun),
    "failed_items" => Cell::count(r.h.failed_items),
    "bytes" => Cell::count(r.h.bytes),
    "total_s" => Cell::Int(Some(r.h.total_s())),
    "median_session_s" => Cell::Int(r.h.median_s()),
    "throughput_p50_bps" => Cell::UInt(r.h.throughput_p50().map(|t| t.round() as u64)),
    "throughput_p90_bps" => Cell::UInt(r.h.throughput_p90().map(|t| t.round() as u64)),
    "accounts_failed_last" => Cell::count(r.failed),
} }

/// The fleet reports' table of source hosts by failures, from the same
/// columns.
pub const HOSTS_FAILED_SHOWN: [Shown; 5] = [
    shown("Host", "remote_host", How::Text),
    shown("Sessions", "sessions", How::Number),
    shown("Failed items", "failed_items", How::Number),
    shown("Accounts failed", "accounts_failed_last", How::Number),
    shown("To re-run", "accounts_to_rerun", How::Number),
];

/// The fleet reports' table of source hosts by account throughput, from
/// the same columns.
pub const HOSTS_SHOWN: [Shown; 6] = [
    shown("Host", "remote_host", How::Text),
    shown("Sessions", "sessions", How::Number),
    shown("Moved", "bytes", How::Bytes),
    shown("Median session", "median_session_s", How::Duration),
    shown("Throughput p50", "throughput_p50_bps", How::Rate),
    shown("p90", "throughput_p90_bps", How::Rate),
];

/// One row per source host, most failed items first (then most
/// accounts failed, then by name): hosts.csv's order and the failures
/// table's. Account counts come from the joined histories.
pub fn host_rows<'a>(f: &'a FleetStats, histories: &[History]) -> Vec<HostRow<'a>> {
    let mut per: HashMap<&str, (u64, u64, u64)> = HashMap::default();
    for h in histories.iter().filter(|h| h.key.is_account()) {
        let e = per.entry(&*h.key.remote_host).or_default();
        e.0 += 1;
        e.1 += u64::from(h.to_rerun());
        e.2 += u64::from(h.last().status == ItemStatus::Failed);
    }
    let mut rows: Vec<HostRow<'a>> = f
        .hosts
        .values()
        .map(|h| {
            let (accounts, rerun, failed) = per.get(h.host.as_str()).copied().unwrap_or_default();
            HostRow {
                h,
                accounts,
                rerun,
                failed,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        (b.h.failed_items, b.failed, &a.h.host).cmp(&(a.h.failed_items, a.failed, &b.h.host))
    });
    rows
}

/// The hosts with failed items, most first (see [`host_rows`]).
pub fn hosts_by_failures<'r, 'a>(rows: &'r [HostRow<'a>]) -> Vec<&'r HostRow<'a>> {
    rows.iter()
        .filter(|r| r.h.failed_items > 0 || r.failed > 0)
        .collect()
}

/// The hosts with a per-account throughput, slowest (lowest p50) first,
/// then by name.
pub fn hosts_by_throughput<'r, 'a>(rows: &'r [HostRow<'a>]) -> Vec<&'r HostRow<'a>> {
    let mut v: Vec<&HostRow<'a>> = rows
        .iter()
        .filter(|r| r.h.throughput_p50().is_some())
        .collect();
    v.sort_by(|a, b| {
        let (x, y) = (a.h.throughput_p50(), b.h.throughput_p50());
        x.partial_cmp(&y)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.h.host.cmp(&b.h.host))
    });
    v
}

/// Writes hosts.csv: per source host, with account counts from the
/// joined histories.
pub fn hosts_csv<W: Write>(
    f: &FleetStats,
    histories: &[History],
    raw: bool,
    out: W,
) -> io::Result<()> {
    let mut c = CsvOut::new(out, raw);
    c.header_of::<HostRow>()?;
    for r in host_rows(f, histories) {
        c.record(&r)?;
    }
    c.finish()
}

/// One diagnostic of one session (diagnostics.csv).
pub struct DiagnosticRow<'a> {
    /// Session id.
    pub session_id: &'a str,
    /// The diagnostic.
    pub d: &'a Diagnostic,
}

columns! { DiagnosticRow<'a> as r => DIAGNOSTIC_COLUMNS {
    "session_id" => Cell::text(r.session_id),
    "file" => Cell::text(&r.d.source),
    "line" => Cell::count(r.d.line),
    "kind" => Cell::text(r.d.kind.code()),
    "message" => Cell::Text(Some(r.d.kind.to_string().into())),
    "excerpt" => Cell::text(&r.d.excerpt),
} }

/// The diagnostics table of a session report, from the same columns (the
/// Markdown report leaves out the excerpt).
pub const DIAGNOSTICS_SHOWN: [Shown; 5] = [
    shown("File", "file", How::Text),
    shown("Line", "line", How::Number),
    shown("Kind", "kind", How::Text),
    shown("Message", "message", How::Text),
    shown("Excerpt", "excerpt", How::Code),
];

/// The diagnostic rows of `s`, in order.
pub fn diagnostic_rows(s: &Session) -> impl Iterator<Item = DiagnosticRow<'_>> {
    s.diagnostics.iter().map(|d| DiagnosticRow {
        session_id: &s.id,
        d,
    })
}

/// Writes one session's diagnostics as CSV rows (no header).
pub fn diagnostics_rows<W: Write>(s: &Session, c: &mut CsvOut<W>) -> io::Result<()> {
    diagnostic_rows(s).try_for_each(|r| c.record(&r))
}

/// Everything the fleet reports answer, gathered over many sessions.
pub struct Answers<'a> {
    /// Per-module statistics.
    pub modules: &'a crate::modules::ModuleStats,
    /// Causes, hosts, top accounts, days.
    pub fleet: &'a FleetStats,
    /// Every account's attempts.
    pub histories: &'a [History],
    /// The queued items ended sessions never started nor named.
    pub unnamed: &'a [Unnamed],
}

impl<'a> Answers<'a> {
    /// The re-queue list, with the never-named items it must mention.
    pub fn retry_list(&self) -> crate::accounts::RetryList<'a> {
        let mut list = crate::accounts::retry_list(self.histories);
        list.unnamed = self.unnamed.to_vec();
        list
    }
}

/// The answers' parts, gathered from full sessions.
pub type Gathered = (
    crate::modules::ModuleStats,
    FleetStats,
    Vec<History>,
    Vec<Unnamed>,
);

/// Computes the answers' parts from full sessions (the `report` command;
/// `batch` gathers them session by session instead); `o` gives the clock
/// and `--stale-after` for the re-run list.
pub fn gather(sessions: &[Session], o: &crate::Options) -> Gathered {
    let mut m = crate::modules::ModuleStats::default();
    let mut f = FleetStats::default();
    for s in sessions {
        m.add(s);
        f.add(s);
    }
    let h = crate::accounts::histories(sessions, o);
    (m, f, h, Unnamed::all(sessions, o))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_failure_on_many_accounts_is_one_cause() {
        let a = normalise(
            "Unable to download “/home/cpmove-bob.tar.gz” from 10.0.0.5",
            &["bob"],
        );
        let b = normalise(
            "Unable to download “/home/cpmove-carol.tar.gz” from 10.0.0.7",
            &["carol"],
        );
        assert_eq!(a, b);
        assert_eq!(a, "Unable to download “*” from <ip>");
        assert_eq!(
            normalise(
                "pkgacct for bob failed on host1.example.com after 3600 seconds: /backup/bob full",
                &["bob"]
            ),
            "pkgacct for <account> failed on <host> after <n> seconds: <path> full"
        );
        assert_eq!(
            normalise("The transfer process exited unexpectedly (signal 9).", &[]),
            "The transfer process exited unexpectedly (signal <n>)."
        );
        assert_eq!(
            normalise("Database bob_wp: 12MB too large", &["bob"]),
            "Database <account>: <n> too large"
        );
        assert_eq!(normalise("", &[]), "(no message)");
    }

    /// Issue 27, point 7: the restore errors cPanel quotes inside its own
    /// message, as they came out of the fleet.
    const NESTED: &str = "Account Restore Failed: “wwwacct failed: The system could not \
        create the user “NAME” because it conflicts with an unmanaged MySQL database user \
        “NAME_wp” on this server (10 databases).”.";

    #[test]
    fn quoted_sentences_keep_what_went_wrong_and_lose_the_names() {
        let nested = |n: &str| normalise(&NESTED.replace("NAME", n), &[n]);
        let cause = "Account Restore Failed: “wwwacct failed: The system could not create \
            the user “*” because it conflicts with an unmanaged MySQL database user “*” on \
            this server (<n> databases).”.";
        assert_eq!(
            nested("bob"),
            cause.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        assert_eq!(nested("bob"), nested("carol2"));
        assert_eq!(
            normalise(
                "Account Restore Failed: “Could not extract the archive: tar: Unexpected EOF in archive”",
                &["bob"]
            ),
            "Account Restore Failed: “Could not extract the archive: tar: Unexpected EOF in archive”"
        );
        // A quoted name with spaces is still a name when it is the item's.
        assert_eq!(
            normalise("The package “Gold Plan” does not exist.", &["Gold Plan"]),
            "The package “*” does not exist."
        );
        // Names inside a quoted sentence: the account's, hosts, paths.
        assert_eq!(
            normalise(
                "Failed: “rsync of bob from host1.example.com to /home/bob failed”",
                &["bob"]
            ),
            "Failed: “rsync of <account> from <host> to <path> failed”"
        );
        // Lone and mismatched quotes are text; deep nesting is linear.
        assert_eq!(normalise("can’t restore “bob", &[]), "can’t restore “bob");
        let deep = "“".repeat(50_000) + &"’".repeat(50_000);
        assert!(normalise(&deep, &[]).chars().count() <= CAUSE_MAX + 1);
        let deep = "“".repeat(50_000) + "a b" + &"”".repeat(50_000);
        assert!(normalise(&deep, &["bob"]).starts_with("““““"));
    }

    /// A failed RESTORE item of `name` whose module `module` failed with
    /// `msg`.
    fn failed_in(name: &str, module: &str, msg: &str) -> Item {
        use xferlens_replay::{ItemLog, Module, ModuleState};
        Item {
            queue: RESTORE.into(),
            item_type: "AccountRemoteRoot".into(),
            item: name.into(),
            status: ItemStatus::Failed,
            failure: Some(format!("{module} failed: {msg}")),
            log: Some(Box::new(ItemLog {
                modules: vec![Module {
                    name: module.into(),
                    status: Some(0),
                    statusmsg: Some(msg.into()),
                    state: ModuleState::Failed,
                    ..Module::default()
                }],
                ..ItemLog::default()
            })),
            ..Item::default()
        }
    }

    #[test]
    fn one_cause_across_modules_with_its_counts() {
        let exists = |n: &str| format!("Account restore failed: the user “{n}” already exists.");
        let items = vec![
            failed_in("bob", "Cron", &exists("bob")),
            failed_in("carol", "Homedir", &exists("carol")),
            failed_in("dave", "Cron", &exists("dave")),
            failed_in("erin", "Mysql", &NESTED.replace("NAME", "erin")),
            failed_in("frank", "Mysql", &NESTED.replace("NAME", "frank")),
            failed_in(
                "gina",
                "Homedir",
                "Could not extract the archive: tar: Unexpected EOF in archive",
            ),
        ];
        let s = Session {
            id: "s1".into(),
            items,
            ..Session::default()
        };
        let groups = failures_by_cause(&s);
        let got: Vec<(usize, Option<&str>, &str)> = groups
            .iter()
            .map(|g| (g.items.len(), g.module.as_deref(), g.cause.as_str()))
            .collect();
        assert_eq!(got.len(), 3, "{got:#?}");
        assert_eq!(
            got[0],
            (
                3,
                Some("Cron, Homedir"),
                "Account restore failed: the user “*” already exists."
            )
        );
        assert_eq!((got[1].0, got[1].1), (2, Some("Mysql")));
        assert!(got[1]
            .2
            .contains("could not create the user “*” because it conflicts"));
        assert_eq!(
            got[2].2,
            "Could not extract the archive: tar: Unexpected EOF in archive"
        );
        // The fleet counts the same, and merging two workers' counts keeps
        // one row per cause.
        let mut f = FleetStats::default();
        f.add(&s);
        let mut g = FleetStats::default();
        g.add(&Session {
            id: "s2".into(),
            ..s.clone()
        });
        f.merge(g);
        let rows: Vec<(u64, u64, Option<&str>)> = f
            .causes()
            .iter()
            .map(|c| (c.items, c.sessions, c.module.as_deref()))
            .collect();
        assert_eq!(
            rows,
            [
                (6, 2, Some("Cron, Homedir")),
                (4, 2, Some("Mysql")),
                (2, 2, Some("Homedir"))
            ]
        );
    }
}
