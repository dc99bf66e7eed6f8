//! Accounts across sessions: every attempt at moving the same account
//! (same source host, item type and source name) joined in order of
//! session start, and the re-queue list of those whose latest attempt
//! failed or never got restored (`xferlens retry`, `batch`'s accounts.csv;
//! the `whmapi1` script is written by `whmapi1.rs`).

use std::io::{self, Write};
use xferlens_replay::hash::Map as HashMap;

use xferlens_replay::{ItemStatus, Session};

use crate::columns;
use crate::csv::CsvOut;
use crate::shown::{shown, How, Shown};
use crate::view::Cell;
use crate::Options;

/// The host key of a session without `remotehost`.
pub const UNKNOWN_HOST: &str = "unknown";

/// One attempt at an account: what one session did with it.
#[derive(Clone, Debug)]
pub struct Attempt {
    /// The session (shared by the session's attempts).
    pub session_id: std::sync::Arc<str>,
    /// When the session started (None in logs without times).
    pub started_at: Option<i64>,
    /// The account's overall status in that session (TRANSFER and
    /// RESTORE combined; `pending` for one never restored in a session
    /// that is not running).
    pub status: ItemStatus,
    /// Why it failed or is pending (the failing step when the log names
    /// it).
    pub reason: Option<String>,
    /// Size in bytes, when known.
    pub size: Option<u64>,
    /// Name on the destination server.
    pub local_item: Option<String>,
    /// The session may still move it: it has not ended and has written a
    /// line within `--stale-after` (see [`session_live`]). A pending or
    /// running account there is in progress, not to re-run.
    pub session_live: bool,
}

/// True while a session may still move its accounts: it has not ended
/// (running, pausing, aborting or paused) and it wrote a line within
/// `o.stale_after_s` of `o.now`. A session quiet for longer has ended for
/// the re-run list: its writer died, or the logs are an old copy
/// (docs/FORMAT.md, "Re-running").
pub fn session_live(s: &Session, o: &Options) -> bool {
    !s.state.is_terminal() && crate::quiet_for(s, o).is_none()
}

/// The identity of an account across sessions.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountKey {
    /// The source server (`remotehost`), or [`UNKNOWN_HOST`]; shared.
    pub remote_host: std::sync::Arc<str>,
    /// `item_type`, e.g. `AccountRemoteRoot`.
    pub item_type: String,
    /// Source-side name.
    pub item: String,
}

impl AccountKey {
    /// True for accounts (not packages or feature lists).
    pub fn is_account(&self) -> bool {
        xferlens_replay::is_account_type(&self.item_type)
    }
}

/// One account's attempts, oldest first.
#[derive(Clone, Debug)]
pub struct History {
    /// Who it is.
    pub key: AccountKey,
    /// Its attempts, in order of session start (then session id).
    pub attempts: Vec<Attempt>,
}

impl History {
    /// The latest attempt.
    pub fn last(&self) -> &Attempt {
        self.attempts.last().expect("a history has an attempt")
    }

    /// True when its latest attempt failed or left it unrestored, in a
    /// session that ended (or went quiet: an account still running in a
    /// stale session was never restored). An earlier attempt in a session
    /// still running is superseded by the latest.
    pub fn to_rerun(&self) -> bool {
        let l = self.last();
        !l.session_live
            && matches!(
                l.status,
                ItemStatus::Failed | ItemStatus::Pending | ItemStatus::Running
            )
    }

    /// True while its latest attempt is in progress in a running session.
    pub fn in_progress(&self) -> bool {
        let l = self.last();
        l.session_live && matches!(l.status, ItemStatus::Running | ItemStatus::Pending)
    }

    /// The largest size any attempt reported.
    pub fn size(&self) -> Option<u64> {
        self.attempts.iter().filter_map(|a| a.size).max()
    }

    /// The latest destination name any attempt reported.
    pub fn local_item(&self) -> Option<&str> {
        self.attempts
            .iter()
            .rev()
            .find_map(|a| a.local_item.as_deref())
    }
}

/// The attempts of one session, one per account it names; `o` gives the
/// clock and `--stale-after` that tell a live session from a dead one.
pub fn attempts_of(s: &Session, o: &Options) -> Vec<(AccountKey, Attempt)> {
    attempts_in(s, &s.accounts(), o)
}

/// [`attempts_of`] with the session's accounts already joined.
pub fn attempts_in(
    s: &Session,
    accounts: &[xferlens_replay::Account],
    o: &Options,
) -> Vec<(AccountKey, Attempt)> {
    let host: std::sync::Arc<str> = s.remote_host.as_deref().unwrap_or(UNKNOWN_HOST).into();
    let id: std::sync::Arc<str> = s.id.as_str().into();
    let live = session_live(s, o);
    // How a session that has not ended but went quiet is named in reasons.
    let state = match crate::quiet_for(s, o) {
        Some(age) => format!(
            "{}, no new line for {}",
            s.state.as_str(),
            crate::time::duration(age)
        ),
        None => s.state.as_str().to_owned(),
    };
    accounts
        .iter()
        .map(|a| {
            let t = a.transfer.map(|i| &s.items[i]);
            let r = a.restore.map(|i| &s.items[i]);
            let reason = match a.overall {
                ItemStatus::Failed => {
                    // The TRANSFER failure is the cause; a cascaded RESTORE
                    // only follows from it.
                    let failed = [t, r]
                        .into_iter()
                        .flatten()
                        .find(|i| i.status == ItemStatus::Failed);
                    failed.and_then(crate::modules::reason)
                }
                ItemStatus::Pending if t.is_some_and(|i| i.status.is_finished()) => {
                    Some(format!("transferred, never restored (session {state})"))
                }
                ItemStatus::Pending => Some(format!("never started (session {state})")),
                ItemStatus::Running if !live => Some(format!("never finished (session {state})")),
                _ => None,
            };
            let size = [t, r].into_iter().flatten().find_map(|i| i.size);
            (
                AccountKey {
                    remote_host: std::sync::Arc::clone(&host),
                    item_type: a.item_type.clone(),
                    item: a.item.clone(),
                },
                Attempt {
                    session_id: std::sync::Arc::clone(&id),
                    started_at: s.started_at,
                    status: a.overall,
                    reason,
                    size,
                    local_item: a.local_item.clone(),
                    session_live: live,
                },
            )
        })
        .collect()
}

/// Attempts gathered session by session, joined by account.
#[derive(Clone, Debug, Default)]
pub struct Histories {
    index: HashMap<AccountKey, usize>,
    list: Vec<History>,
}

impl Histories {
    /// Adds one session's attempts (see [`attempts_of`]).
    pub fn add(&mut self, attempts: Vec<(AccountKey, Attempt)>) {
        for (key, a) in attempts {
            match self.index.get(&key) {
                Some(&i) => self.list[i].attempts.push(a),
                None => {
                    self.index.insert(key.clone(), self.list.len());
                    self.list.push(History {
                        key,
                        attempts: vec![a],
                    });
                }
            }
        }
    }

    /// The histories sorted by host, type and name, each one's attempts
    /// in order of session start.
    pub fn finish(self) -> Vec<History> {
        let mut v = self.list;
        for h in &mut v {
            h.attempts
                .sort_by(|a, b| (a.started_at, &a.session_id).cmp(&(b.started_at, &b.session_id)));
        }
        v.sort_by(|a, b| a.key.cmp(&b.key));
        v
    }
}

/// The histories of `sessions` (see [`attempts_of`] for `o`).
pub fn histories(sessions: &[Session], o: &Options) -> Vec<History> {
    let mut h = Histories::default();
    for s in sessions {
        h.add(attempts_of(s, o));
    }
    h.finish()
}

/// The accounts an ended session queued and never started: its log
/// counts them (`queue_count`) but never names them, so the re-run list
/// can only say how many there are, and where.
#[derive(Clone, Debug)]
pub struct Unnamed {
    /// The session.
    pub session_id: std::sync::Arc<str>,
    /// Its source host, or [`UNKNOWN_HOST`].
    pub remote_host: std::sync::Arc<str>,
    /// How many items it queued and never named.
    pub items: u64,
}

impl Unnamed {
    /// The never-named items of `s` when it has ended (or went quiet)
    /// with some; `None` otherwise.
    pub fn of(s: &Session, o: &Options) -> Option<Unnamed> {
        let items = crate::never_named(s);
        (items > 0 && !session_live(s, o)).then(|| Unnamed {
            session_id: s.id.as_str().into(),
            remote_host: s.remote_host.as_deref().unwrap_or(UNKNOWN_HOST).into(),
            items,
        })
    }

    /// Those of many sessions.
    pub fn all(sessions: &[Session], o: &Options) -> Vec<Unnamed> {
        sessions.iter().filter_map(|s| Unnamed::of(s, o)).collect()
    }

    /// The sentence every re-run list says of them: "3 queued item(s) of
    /// session S (source H) never started: the log counts them but never
    /// names them, so no row can; re-queue them from the source server's
    /// account list."
    pub fn sentence(&self) -> String {
        format!(
            "{} queued item(s) of session {} (source {}) never started: the log counts them but never names them, so no row can list them; re-queue them from the source server's account list.",
            self.items, self.session_id, self.remote_host
        )
    }
}

/// Sessions whose never-started items a report names one sentence each;
/// past this many it gives one sentence for all and a list.
pub const UNNAMED_SENTENCES: usize = 3;

/// The one sentence for the never-started items of many sessions: "42
/// queued item(s) in 7 session(s) never started: ...".
pub fn unnamed_total(unnamed: &[Unnamed]) -> String {
    let items: u64 = unnamed.iter().map(|u| u.items).sum();
    format!(
        "{items} queued item(s) in {} session(s) never started: the log counts them but never names them, so no row can list them; re-queue them from the source servers' account lists. By session:",
        unnamed.len()
    )
}

/// What the re-queue list holds, and what it leaves off.
pub struct RetryList<'h> {
    /// Accounts to re-run.
    pub accounts: Vec<&'h History>,
    /// Packages and feature lists whose latest attempt failed.
    pub others: Vec<&'h History>,
    /// Accounts left off because they are in progress in a running
    /// session.
    pub in_progress: usize,
    /// Queued items that ended sessions never started nor named, per
    /// session (set by the caller: see [`Unnamed`]).
    pub unnamed: Vec<Unnamed>,
}

/// The re-queue list of `histories`.
pub fn retry_list(histories: &[History]) -> RetryList<'_> {
    let (accounts, others): (Vec<&History>, Vec<&History>) = histories
        .iter()
        .filter(|h| h.to_rerun())
        .partition(|h| h.key.is_account());
    RetryList {
        accounts,
        others,
        in_progress: histories
            .iter()
            .filter(|h| h.key.is_account() && h.in_progress())
            .count(),
        unnamed: Vec::new(),
    }
}

/// One account to re-run (`retry --format csv`).
pub struct RetryRow<'a>(pub &'a History);

columns! { RetryRow<'a> as r => RETRY_COLUMNS {
    "remote_host" => Cell::text(&r.0.key.remote_host),
    "item_type" => Cell::text(&r.0.key.item_type),
    "item" => Cell::text(&r.0.key.item),
    "local_item" => Cell::opt(r.0.local_item()),
    "size_bytes" => Cell::UInt(r.0.size()),
    "attempts" => Cell::count(r.0.attempts.len() as u64),
    "first_session_id" => Cell::text(&r.0.attempts[0].session_id),
    "last_session_id" => Cell::text(&r.0.last().session_id),
    "last_status" => Cell::text(r.0.last().status.as_str()),
    "reason" => Cell::opt(r.0.last().reason.as_deref()),
} }

/// The re-queue table of the fleet reports, from the same columns.
pub const RETRY_SHOWN: [Shown; 6] = [
    shown("Source host", "remote_host", How::Text),
    shown("Account", "item", How::Text),
    shown("Attempts", "attempts", How::Number),
    shown("Last", "last_status", How::Status),
    shown("Session", "last_session_id", How::Id),
    shown("Reason", "reason", How::Text),
];

/// One account's history across sessions (`batch`'s accounts.csv: every
/// account, not only those to re-run).
pub struct HistoryRow<'a>(pub &'a History);

columns! { HistoryRow<'a> as r => ACCOUNT_HISTORY_COLUMNS {
    "remote_host" => Cell::text(&r.0.key.remote_host),
    "item_type" => Cell::text(&r.0.key.item_type),
    "item" => Cell::text(&r.0.key.item),
    "local_item" => Cell::opt(r.0.local_item()),
    "attempts" => Cell::count(r.0.attempts.len() as u64),
    "first_session_id" => Cell::text(&r.0.attempts[0].session_id),
    "last_session_id" => Cell::text(&r.0.last().session_id),
    "last_status" => Cell::text(r.0.last().status.as_str()),
    "last_reason" => Cell::opt(r.0.last().reason.as_deref()),
    "size_bytes" => Cell::UInt(r.0.size()),
    "to_rerun" => Cell::text(if r.0.to_rerun() { "yes" } else { "no" }),
} }

/// Writes the re-queue list as CSV: accounts, then failed packages and
/// feature lists.
pub fn retry_csv<W: Write>(list: &RetryList<'_>, raw: bool, out: W) -> io::Result<()> {
    let mut c = CsvOut::new(out, raw);
    c.header_of::<RetryRow>()?;
    for h in list.accounts.iter().chain(&list.others) {
        c.record(&RetryRow(h))?;
    }
    c.finish()
}

/// Writes the re-queue list as JSON: one array (`lines == false`) or one
/// object per line, the columns of its CSV.
pub fn retry_json<W: Write>(list: &RetryList<'_>, lines: bool, mut out: W) -> io::Result<()> {
    let rows: Vec<RetryRow<'_>> = list
        .accounts
        .iter()
        .chain(&list.others)
        .map(|h| RetryRow(h))
        .collect();
    if lines {
        for r in &rows {
            serde_json::to_writer(&mut out, &crate::view::Json(r))?;
            out.write_all(b"\n")?;
        }
        return Ok(());
    }
    let all: Vec<crate::view::Json<'_, RetryRow<'_>>> =
        rows.iter().map(crate::view::Json).collect();
    serde_json::to_writer(&mut out, &all)?;
    out.write_all(b"\n")
}

/// Writes every account's history as CSV (`accounts.csv`).
pub fn histories_csv<W: Write>(histories: &[History], raw: bool, out: W) -> io::Result<()> {
    let mut c = CsvOut::new(out, raw);
    c.header_of::<HistoryRow>()?;
    for h in histories {
        c.record(&HistoryRow(h))?;
    }
    c.finish()
}

/// Writes the re-queue list for a terminal or a ticket.
pub fn retry_text<W: Write>(list: &RetryList<'_>, out: &mut W) -> io::Result<()> {
    use crate::escape::terminal as t;
    let failed = list
        .accounts
        .iter()
        .filter(|h| h.last().status == ItemStatus::Failed)
        .count();
    writeln!(
        out,
        "{} account(s) to re-run: {} failed, {} never restored",
        list.accounts.len(),
        failed,
        list.accounts.len() - failed
    )?;
    for h in &list.accounts {
        let l = h.last();
        let local = match h.local_item() {
            Some(x) if x != h.key.item => format!(" -> {}", t(x)),
            _ => String::new(),
        };
        let refused = crate::cpanel::refusal(&h.key.item_type, &h.key.item, h.local_item())
            .map(|why| format!(" [not re-queued by --format whmapi1: {why}]"))
            .unwrap_or_default();
        writeln!(
            out,
            "  {}  {} {}{local}  {} attempt(s), last {} in {}: {}{refused}",
            t(&h.key.remote_host),
            t(&h.key.item_type),
            t(&h.key.item),
            h.attempts.len(),
            l.status.as_str(),
            t(&l.session_id),
            t(l.reason.as_deref().unwrap_or(""))
        )?;
    }
    if list.in_progress > 0 {
        writeln!(
            out,
            "{} account(s) still in progress in a running session are not listed.",
            list.in_progress
        )?;
    }
    for u in &list.unnamed {
        writeln!(out, "{}", t(&u.sentence()))?;
    }
    if !list.others.is_empty() {
        writeln!(
            out,
            "{} package(s) or feature list(s) failed (not accounts):",
            list.others.len()
        )?;
        for h in &list.others {
            writeln!(
                out,
                "  {}  {} {}  last {} in {}: {}",
                t(&h.key.remote_host),
                t(&h.key.item_type),
                t(&h.key.item),
                h.last().status.as_str(),
                t(&h.last().session_id),
                t(h.last().reason.as_deref().unwrap_or(""))
            )?;
        }
    }
    Ok(())
}
