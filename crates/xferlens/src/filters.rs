//! Filters and sorting shared by the per-item commands (`items`, `events`,
//! `retry`, `report`, `batch`). Filters compose (all must hold):
//! `--host` and `--since/--until` choose sessions (by source host and
//! start time); `--status`, `--queue` and `--account` choose items, or
//! with `items --accounts` account rows, built from all items first.

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use xferlens_replay::{Account, Item, Session};

/// The filter and sort flags.
#[derive(Args, Debug, Clone, Default)]
pub struct Filters {
    /// Only items with this status (success, warning, failed, running,
    /// pending); repeat or separate with commas. For retry: failed or
    /// pending.
    #[arg(long, value_name = "STATUS", value_delimiter = ',')]
    pub status: Vec<String>,
    /// Only items of this queue (TRANSFER, RESTORE); repeat or separate
    /// with commas.
    #[arg(long, value_name = "QUEUE", value_delimiter = ',')]
    pub queue: Vec<String>,
    /// Only sessions from this source host (a glob: `*` and `?`); repeat
    /// for several.
    #[arg(long, value_name = "GLOB")]
    pub host: Vec<String>,
    /// Only accounts whose source or local name matches this glob
    /// (`*` and `?`), e.g. `--account 'shop*'`.
    #[arg(long, value_name = "GLOB")]
    pub account: Option<String>,
    /// Only sessions (events: lines) from this date (midnight UTC) or
    /// RFC 3339 time on: `2026-11-01`, `2026-11-01T12:00:00Z`,
    /// `2026-11-01T14:00:00+02:00`.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub since: Option<i64>,
    /// Only sessions (events: lines) before this date or time, UTC.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub until: Option<i64>,
    /// Order of rows within each session and queue (default: log order).
    #[arg(long, value_enum)]
    pub sort: Option<SortKey>,
}

/// What `--sort` orders by.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum SortKey {
    /// Largest first.
    Size,
    /// Longest first.
    Duration,
    /// Earliest start first.
    Started,
    /// Failed, warning, running, pending, then success.
    Status,
    /// By name.
    Item,
}

/// A date (`2026-11-01`, midnight UTC) or an RFC 3339 time with its
/// offset (`2026-11-01T12:00:00Z`, `2026-11-01T14:00:00+02:00`, with a
/// fraction if need be, which is cut to the second) as epoch seconds.
/// Impossible dates (`2025-02-31`, `2025-02-29`) and times without an
/// offset are refused: the calendar is jiff's, not hand-made.
pub fn parse_date(s: &str) -> Result<i64, String> {
    let bad = |why: &str| {
        format!("`{s}` is not a date or time ({why}): use 2026-11-01 or 2026-11-01T12:00:00Z")
    };
    let t = s.trim();
    if !t.contains(['T', 't', ' ']) {
        // A calendar date: exactly YYYY-MM-DD.
        let shape = t.len() == 10 && t.as_bytes()[4] == b'-' && t.as_bytes()[7] == b'-';
        if !shape {
            return Err(bad("a date is YYYY-MM-DD"));
        }
        let d: jiff::civil::Date = t.parse().map_err(|e: jiff::Error| bad(&e.to_string()))?;
        let midnight = d
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map_err(|e| bad(&e.to_string()))?;
        return Ok(midnight.timestamp().as_second());
    }
    if t.contains('[') {
        return Err(bad("RFC 3339 has no time zone name"));
    }
    let b = t.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return Err(bad("a time is YYYY-MM-DDTHH:MM:SS with an offset"));
    }
    let ts: jiff::Timestamp = t.parse().map_err(|e: jiff::Error| bad(&e.to_string()))?;
    Ok(ts.as_second())
}

/// `*` matches any run of characters, `?` any one; everything else is
/// itself. Case-sensitive, like account names.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

impl Filters {
    /// Checks the values that clap cannot.
    pub fn validate(&self) -> Result<()> {
        for st in &self.status {
            if !["success", "warning", "failed", "running", "pending"].contains(&st.as_str()) {
                bail!("--status {st}: use success, warning, failed, running or pending");
            }
        }
        if let (Some(a), Some(b)) = (self.since, self.until) {
            if a >= b {
                bail!("--since must come before --until");
            }
        }
        Ok(())
    }

    /// True when the session passes the session filters.
    pub fn session_ok(&self, s: &Session) -> bool {
        let host = s
            .remote_host
            .as_deref()
            .unwrap_or(xferlens_report::accounts::UNKNOWN_HOST);
        (self.host.is_empty() || self.host.iter().any(|g| glob(g, host)))
            && self.time_ok(s.started_at)
    }

    /// The filters that match nothing at all in `sessions`, each as a
    /// line for standard error (`--host nosuch matched none of 3 hosts`):
    /// an empty answer should say whether the question was wrong.
    pub fn matched_nothing(&self, sessions: &[Session]) -> Vec<String> {
        let mut out = Vec::new();
        let host = |s: &Session| {
            s.remote_host
                .as_deref()
                .unwrap_or(xferlens_report::accounts::UNKNOWN_HOST)
                .to_owned()
        };
        if !self.host.is_empty() {
            let hosts: std::collections::BTreeSet<String> = sessions.iter().map(host).collect();
            for g in &self.host {
                if !hosts.iter().any(|h| glob(g, h)) {
                    out.push(format!(
                        "--host {g} matched none of {} host(s)",
                        hosts.len()
                    ));
                }
            }
        }
        if (self.since.is_some() || self.until.is_some())
            && !sessions.iter().any(|s| self.time_ok(s.started_at))
        {
            out.push(format!(
                "--since/--until matched none of {} session(s) by start time",
                sessions.len()
            ));
        }
        if let Some(g) = &self.account {
            let any = sessions
                .iter()
                .flat_map(|s| &s.items)
                .any(|it| self.account_ok(&it.item, it.local_item.as_deref()));
            if !any {
                out.push(format!(
                    "--account {g} matched no account in {} session(s)",
                    sessions.len()
                ));
            }
        }
        out
    }

    /// True when a time passes `--since`/`--until` (a missing time passes
    /// only when neither is given).
    pub fn time_ok(&self, t: Option<i64>) -> bool {
        if self.since.is_none() && self.until.is_none() {
            return true;
        }
        let Some(t) = t else { return false };
        self.since.is_none_or(|a| t >= a) && self.until.is_none_or(|b| t < b)
    }

    /// True when an account name passes `--account`.
    pub fn account_ok(&self, item: &str, local: Option<&str>) -> bool {
        self.account
            .as_deref()
            .is_none_or(|g| glob(g, item) || local.is_some_and(|l| glob(g, l)))
    }

    /// True when the item passes the item filters.
    pub fn item_ok(&self, it: &Item) -> bool {
        (self.status.is_empty() || self.status.iter().any(|s| s == it.status.as_str()))
            && (self.queue.is_empty()
                || self.queue.iter().any(|q| q.eq_ignore_ascii_case(&it.queue)))
            && self.account_ok(&it.item, it.local_item.as_deref())
    }

    /// True when any item filter or sort is given.
    fn touches_items(&self) -> bool {
        !self.status.is_empty()
            || !self.queue.is_empty()
            || self.account.is_some()
            || self.sort.is_some()
    }

    /// Drops the sessions and items that do not pass, and sorts each
    /// session's items when asked.
    pub fn apply(&self, sessions: &mut Vec<Session>) {
        sessions.retain(|s| self.session_ok(s));
        for s in sessions {
            self.apply_items(s);
        }
    }

    /// Drops the items of one session that do not pass, and sorts them
    /// when asked.
    pub fn apply_items(&self, s: &mut Session) {
        if !self.touches_items() {
            return;
        }
        let order: Vec<usize> = (0..s.items.len())
            .filter(|&i| self.item_ok(&s.items[i]))
            .collect();
        self.sort_and_keep(s, order);
    }

    /// True when an account row passes the item filters, judged on the
    /// row as built from all of its items: `--status` by its overall
    /// status, `--queue` by the queues it has an item in, `--account` by
    /// its names.
    pub fn account_row_ok(&self, s: &Session, a: &Account) -> bool {
        let in_queue = |q: &String| {
            [a.transfer, a.restore]
                .into_iter()
                .flatten()
                .any(|i| q.eq_ignore_ascii_case(&s.items[i].queue))
        };
        (self.status.is_empty() || self.status.iter().any(|st| st == a.overall.as_str()))
            && (self.queue.is_empty() || self.queue.iter().any(in_queue))
            && self.account_ok(&a.item, a.local_item.as_deref())
    }

    /// For `items --accounts`: drops the sessions that do not pass, then
    /// the accounts whose row does not pass ([`Filters::account_row_ok`]),
    /// keeping every item of the accounts that do, so a filter chooses
    /// rows and never changes a row's values (a failed transfer stays
    /// failed under `--queue RESTORE`).
    pub fn apply_accounts(&self, sessions: &mut Vec<Session>) {
        sessions.retain(|s| self.session_ok(s));
        for s in sessions {
            if !self.touches_items() {
                continue;
            }
            // Every item of a kept account, of whatever queue (accounts
            // are joined by item type and name).
            let kept: std::collections::HashSet<(String, String)> = s
                .accounts()
                .into_iter()
                .filter(|a| self.account_row_ok(s, a))
                .map(|a| (a.item_type, a.item))
                .collect();
            let order: Vec<usize> = (0..s.items.len())
                .filter(|&i| {
                    let it = &s.items[i];
                    kept.contains(&(it.item_type.clone(), it.item.clone()))
                })
                .collect();
            self.sort_and_keep(s, order);
        }
    }

    /// Sorts `order` (item indexes) by `--sort` when given, and keeps
    /// those items in that order.
    fn sort_and_keep(&self, s: &mut Session, mut order: Vec<usize>) {
        if let Some(k) = self.sort {
            let it = |i: usize| &s.items[i];
            match k {
                SortKey::Size => order.sort_by_key(|&i| std::cmp::Reverse(it(i).size)),
                SortKey::Duration => order.sort_by_key(|&i| std::cmp::Reverse(it(i).duration_s())),
                SortKey::Started => {
                    order.sort_by_key(|&i| (it(i).started_at.is_none(), it(i).started_at))
                }
                SortKey::Status => order.sort_by_key(|&i| status_rank(it(i).status)),
                SortKey::Item => order.sort_by(|&a, &b| {
                    (&it(a).item, &it(a).queue).cmp(&(&it(b).item, &it(b).queue))
                }),
            }
        }
        s.reorder_items(&order);
    }
}

/// The `--sort status` order: failed, warning, running, pending, success.
pub fn status_rank(status: xferlens_replay::ItemStatus) -> u8 {
    use xferlens_replay::ItemStatus::*;
    match status {
        Failed => 0,
        Warning => 1,
        Running => 2,
        Pending => 3,
        Success => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("shop*", "shop12"));
        assert!(glob("*", ""));
        assert!(glob("a?c", "abc"));
        assert!(!glob("a?c", "ac"));
        assert!(glob("*.example.net", "src1.example.net"));
        assert!(!glob("shop*", "myshop"));
        assert!(glob("*shop*", "myshop2"));
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-01"), Ok(0));
        assert_eq!(parse_date("2025-11-28T14:00:00Z"), Ok(1_764_338_400));
        assert_eq!(parse_date("2025-11-28"), Ok(1_764_288_000));
        assert!(parse_date("2025-13-01").is_err());
        assert!(parse_date("yesterday").is_err());
        // Impossible dates, and times that are not RFC 3339.
        for bad in [
            "2025-02-31",
            "2025-02-29",
            "2025-04-31",
            "2025-11-28T14:00:00ZZZ",
            "2025-11-28T14:00:00",
            "2025-11-28T25:00:00Z",
            "2025-11-28T14:00Z",
            "2025-1-5",
            "2025-11-28T14:00:00Z[Europe/Paris]",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_date("2024-02-29"), Ok(1_709_164_800));
        // Offsets and fractions.
        assert_eq!(parse_date("2025-11-28T16:00:00+02:00"), Ok(1_764_338_400));
        assert_eq!(parse_date("2025-11-28T14:00:00.75Z"), Ok(1_764_338_400));
        assert_eq!(parse_date("2025-11-28T09:00:00-05:00"), Ok(1_764_338_400));
    }
}
