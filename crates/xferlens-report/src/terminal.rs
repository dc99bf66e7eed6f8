//! Human-readable terminal output: session summaries, progress lines and
//! item tables. Every string from a log goes through
//! [`crate::escape::terminal`] first; colour is added only when asked.

use std::io::{self, Write};

use xferlens_replay::{whm_state, Item, ItemStatus, Queue, Session, SessionState};

use crate::escape::terminal as t;
use crate::rows::{AccountRow, ItemRow, ACCOUNT_COLUMNS};
use crate::style::Style;
use crate::time::{bytes, duration, rfc3339};
use crate::view::{position, Cell, Row};
use crate::width;
use crate::Options;

fn state_style(s: SessionState) -> Style {
    match s {
        SessionState::Completed => Style::Green,
        SessionState::Failed | SessionState::Aborted => Style::Red,
        _ => Style::Yellow,
    }
}

/// The "N completed, M had warnings, K failed" phrase of a queue.
pub fn queue_phrase(q: &Queue) -> String {
    format!(
        "{} completed, {} had warnings, {} failed",
        q.completed(),
        q.warning,
        q.failed
    )
}

fn queue_line(q: &Queue, stale: bool, o: &Options) -> String {
    let mut parts = vec![queue_phrase(q)];
    if q.running > 0 {
        parts.push(format!("{} running", q.running));
    }
    if q.pending > 0 {
        parts.push(format!("{} pending", q.pending));
    }
    let pct = format!("{:.1}%", q.percent);
    parts.push(if q.percent >= 100.0 {
        Style::Green.paint(o.color, &pct)
    } else {
        pct
    });
    if q.bytes_total > 0 {
        parts.push(format!(
            "{} of {}",
            bytes(q.bytes_done),
            bytes(q.bytes_total as f64)
        ));
    }
    if let Some(tp) = q.throughput_bps {
        parts.push(format!("{}/s", bytes(tp)));
    }
    if let Some(eta) = q.eta_s.filter(|_| !stale) {
        parts.push(format!("ETA {}", duration(eta as i64)));
    }
    parts.join(" · ")
}

fn item_label(it: &Item) -> String {
    let mut s = it.label();
    if let Some(l) = it.local_item.as_deref().filter(|l| *l != it.item) {
        s.push_str(&format!(" → {l}"));
    }
    t(&s)
}

/// Writes the summary of one session: its heading, facts and times, then
/// its queues, then the items that need a look, then what else the logs
/// hold.
pub fn summary<W: Write>(s: &Session, o: &Options, out: &mut W) -> io::Result<()> {
    heading(s, o, out)?;
    let stale = crate::stale_for(s, o);
    if let Some(age) = stale {
        let line = stale_line(s, age);
        writeln!(out, "  {}", Style::Yellow.paint(o.color, &line))?;
    }
    for q in &s.queues {
        writeln!(
            out,
            "  {:<9} {}",
            t(&q.name),
            queue_line(q, stale.is_some(), o)
        )?;
    }
    if !s.child_failures.is_empty() {
        writeln!(
            out,
            "  {} worker crash(es)",
            Style::Red.paint(o.color, &s.child_failures.len().to_string())
        )?;
    }
    items_to_look_at(s, o, out)?;
    other_findings(s, o, out)
}

/// The session's name and state, its facts (source, initiator, format,
/// WHM state), its times and its timeline marks.
fn heading<W: Write>(s: &Session, o: &Options, out: &mut W) -> io::Result<()> {
    let state = Style::Bold.paint(
        o.color,
        &state_style(s.state).paint(o.color, s.state.as_str()),
    );
    writeln!(
        out,
        "{} {}  {}",
        Style::Bold.paint(o.color, "Session"),
        t(&s.id),
        state
    )?;
    let mut facts = Vec::new();
    if let Some(h) = &s.remote_host {
        facts.push(format!("source {}", t(h)));
    }
    if let Some(i) = &s.initiator {
        facts.push(format!("initiator {}", t(i)));
    }
    if let Some(v) = &s.version {
        facts.push(format!("log format {}", t(v)));
    }
    facts.push(format!("WHM state {}", whm_state(s)));
    writeln!(out, "  {}", facts.join(" · "))?;
    let mut times = Vec::new();
    if let Some(a) = s.started_at {
        times.push(format!("started {}", rfc3339(a)));
    }
    if let Some(b) = s.finished_at {
        times.push(format!("finished {}", rfc3339(b)));
    } else if let Some(b) = s.last_event_at.filter(|_| !s.state.is_terminal()) {
        times.push(format!("last event {}", rfc3339(b)));
    }
    if let Some(d) = crate::session_duration(s) {
        times.push(format!("duration {d}"));
    }
    if times.is_empty() {
        times.push("no times in this log (old format)".into());
    }
    writeln!(out, "  {}", times.join(" · "))?;
    let marks: Vec<String> = s
        .timeline
        .iter()
        .filter(|m| m.action != "start" && m.action != "complete")
        .map(|m| match m.time {
            Some(tm) => format!("{} {}", m.action, rfc3339(tm)),
            None => format!("{} (line {})", m.action, m.line),
        })
        .collect();
    if !marks.is_empty() {
        writeln!(out, "  timeline: {}", marks.join(", "))?;
    }
    Ok(())
}

/// Failed, warned and running items, and the slowest restores with their
/// longest steps.
fn items_to_look_at<W: Write>(s: &Session, o: &Options, out: &mut W) -> io::Result<()> {
    for (status, style, title) in [
        (ItemStatus::Failed, Style::Red, "Failed"),
        (ItemStatus::Warning, Style::Yellow, "Warnings"),
    ] {
        let list: Vec<&Item> = s.items_with(status).collect();
        if list.is_empty() {
            continue;
        }
        if list.len() > GROUP_FROM && !o.full {
            writeln!(
                out,
                "  {}",
                style.paint(
                    o.color,
                    &format!("{title} ({}), by cause (--full: one by one)", list.len())
                )
            )?;
            by_cause(s, &list, out)?;
            continue;
        }
        writeln!(
            out,
            "  {}",
            style.paint(o.color, &format!("{title} ({})", list.len()))
        )?;
        for it in list {
            problem(it, o, out)?;
        }
    }
    let running: Vec<&Item> = s.items_with(ItemStatus::Running).collect();
    if !running.is_empty() {
        writeln!(out, "  Running ({})", running.len())?;
        for it in running {
            let pct = it
                .percent()
                .map(|p| crate::time::percent(p, 0))
                .unwrap_or_else(|| "?".into());
            writeln!(out, "    {:<8} {}  {}", t(&it.queue), item_label(it), pct)?;
        }
    }
    let slow = crate::modules::slowest(s, 3);
    if !slow.is_empty() {
        writeln!(out, "  Slowest restores (longest steps)")?;
        for it in slow {
            writeln!(
                out,
                "    {:<8} {}  {}: {}",
                t(&it.queue),
                item_label(it),
                it.duration_s().map(duration).unwrap_or_default(),
                t(&crate::modules::breakdown(it, 3))
            )?;
        }
    }
    Ok(())
}

/// Past this many failed (or warned) items, a summary groups them by
/// cause, with counts and a few names, instead of a line each.
pub const GROUP_FROM: usize = 10;

/// The item table's columns shown as the row's text, before size,
/// duration and message.
const ITEM_TEXT_COLUMNS: [&str; 6] = [
    "session_id",
    "queue",
    "item_type",
    "item",
    "local_item",
    "status",
];

/// A cause as a summary groups items: queue, module, normalised message.
type CauseKey = (String, Option<String>, String);

/// Items grouped by their cause (the fleet reports' normalisation: what
/// varies per account masked), most items first, each with its queue,
/// module and the first names.
fn by_cause<W: Write>(s: &Session, list: &[&Item], out: &mut W) -> io::Result<()> {
    let mut groups: Vec<(CauseKey, Vec<&Item>)> = Vec::new();
    for it in list {
        let transfer = it
            .cascaded
            .then(|| {
                s.items.iter().find(|t| {
                    t.queue == xferlens_replay::TRANSFER
                        && t.item_type == it.item_type
                        && t.item == it.item
                })
            })
            .flatten();
        let (module, cause) = if it.status == ItemStatus::Warning {
            (None, warning_cause(it))
        } else {
            crate::fleet::cause_of(it, transfer)
        };
        let key = (it.queue.clone(), module, cause);
        match groups.iter_mut().find(|g| g.0 == key) {
            Some(g) => g.1.push(it),
            None => groups.push((key, vec![it])),
        }
    }
    groups.sort_by_key(|g| std::cmp::Reverse(g.1.len()));
    for ((queue, module, cause), items) in &groups {
        let names: Vec<String> = items.iter().take(3).map(|it| t(&it.item)).collect();
        let more = if items.len() > 3 {
            format!(", +{} more", items.len() - 3)
        } else {
            String::new()
        };
        let module = module
            .as_deref()
            .map(|m| format!(" {}:", t(m)))
            .unwrap_or_default();
        writeln!(
            out,
            "    {:>5}x {:<8}{module} {}  ({}{more})",
            items.len(),
            t(queue),
            t(cause),
            names.join(", ")
        )?;
    }
    Ok(())
}

/// What a warned item warns of: its first detail record (warning,
/// skipped, dangerous or altered item), else its first warning line,
/// normalised as failure causes are.
fn warning_cause(it: &Item) -> String {
    let d = &it.details;
    let first = [
        &d.warnings,
        &d.skipped_items,
        &d.dangerous_items,
        &d.altered_items,
    ]
    .into_iter()
    .find_map(|l| l.first().map(|r| r.text.as_str()))
    .or_else(|| it.log.as_ref()?.warnings.first().map(|l| l.text.as_str()));
    let names = crate::fleet::item_names(it);
    match first {
        Some(text) => crate::fleet::normalise(text, &names),
        None => "warnings the log does not list".to_owned(),
    }
}

/// Item logs the master never names, `master.error_log`, and the count of
/// skipped lines and diagnostics.
fn other_findings<W: Write>(s: &Session, o: &Options, out: &mut W) -> io::Result<()> {
    if !s.unmentioned_logs.is_empty() {
        let names: Vec<String> = s.unmentioned_logs.iter().take(10).map(|n| t(n)).collect();
        writeln!(
            out,
            "  unlisted item logs ({}; the master never names them, so they are in no total, as on WHM's page): {}",
            s.unmentioned_logs.len(),
            names.join(", ")
        )?;
    }
    if s.error_log_lines > 0 {
        writeln!(
            out,
            "  master.error_log: {} line(s); first: {}",
            s.error_log_lines,
            t(s.error_log.first().map_or("", |x| x))
        )?;
    }
    let diag = format!(
        "{} skipped line(s), {} diagnostic(s)",
        s.skipped_lines,
        s.diagnostics.len()
    );
    let diag = if s.diagnostics.is_empty() {
        Style::Dim.paint(o.color, &diag)
    } else {
        Style::Yellow.paint(o.color, &diag)
    };
    writeln!(out, "  {diag}")
}

fn problem<W: Write>(it: &Item, o: &Options, out: &mut W) -> io::Result<()> {
    let mut line = format!("    {:<8} {}", t(&it.queue), item_label(it));
    // A failed restore names the step that failed ("Mysql failed: ...").
    let reason = match it.failed_module() {
        Some(_) => crate::modules::reason(it),
        None => it.failure.clone().or_else(|| it.message.clone()),
    };
    if let Some(r) = reason {
        line.push_str(&format!(": {}", t(&r)));
    }
    let c = &it.counts;
    if c.any() {
        line.push_str(&format!(
            " [warnings {}, skipped {}, dangerous {}, altered {}]",
            c.warnings, c.skipped_items, c.dangerous_items, c.altered_items
        ));
    }
    if it.cascaded {
        line.push_str(" (cascade of the failed TRANSFER)");
    }
    if it.worker_crashed {
        line.push_str(" (worker crashed)");
    }
    writeln!(out, "{line}")?;
    if let Some(log) = &it.log {
        let file = t(&log.file);
        // Error lines, then (for items with warnings) warning lines.
        let warns = if it.status == ItemStatus::Warning {
            &log.warnings[..]
        } else {
            &[]
        };
        let errors = log.errors.iter().take(o.max_log_lines);
        for l in errors.chain(warns.iter().take(o.max_log_lines)) {
            writeln!(
                out,
                "      {}:{}: {}",
                Style::Dim.paint(o.color, &file),
                l.line,
                t(&l.text)
            )?;
        }
        if let Some(line) = error_count_line(log, o.max_log_lines) {
            writeln!(out, "      {}", Style::Dim.paint(o.color, &line))?;
        }
    }
    Ok(())
}

/// "N error line(s), M of them stderr text": said when the log holds
/// stderr text (docs/FORMAT.md, "Item logs") or more error lines than
/// are shown.
fn error_count_line(log: &xferlens_replay::ItemLog, shown: usize) -> Option<String> {
    let shown = log.errors.len().min(shown) as u64;
    if log.stderr_lines == 0 && log.error_count <= shown {
        return None;
    }
    let mut line = format!("{} error line(s)", log.error_count);
    if log.stderr_lines > 0 {
        line.push_str(&format!(", {} of them stderr text", log.stderr_lines));
    }
    Some(line)
}

/// Writes one progress block per session: the session id once as a
/// heading, a stale warning when it applies, then a line per queue that
/// fits `o.width` (80 columns when not a terminal).
pub fn progress<W: Write>(s: &Session, o: &Options, out: &mut W) -> io::Result<()> {
    let state = state_style(s.state).paint(o.color, s.state.as_str());
    writeln!(out, "{}  {}  {:.1}%", t(&s.id), state, s.percent())?;
    let stale = crate::stale_for(s, o);
    if let Some(age) = stale {
        let line = stale_line(s, age);
        writeln!(out, "  {}", Style::Yellow.paint(o.color, &line))?;
    }
    let width = o.width.unwrap_or(80);
    for q in &s.queues {
        let (head, parts) = queue_progress(q, stale.is_some());
        let line = fit(&head, &parts, width);
        writeln!(out, "{}", paint_counts(&line, o))?;
    }
    Ok(())
}

/// "stale: no new lines for 3d 4h (newest 2026-08-01T12:00:00Z)".
pub fn stale_line(s: &Session, age: i64) -> String {
    format!("stale: {}", crate::stale_fact(s, age))
}

/// The parts of one queue's progress line, most important first; the
/// last ones are dropped when the line is too wide (see [`fit`]).
/// `stale` drops the ETA.
pub fn queue_progress(q: &Queue, stale: bool) -> (String, Vec<String>) {
    let head = format!(
        "  {:<8} {:>5.1}%  {}",
        t(&q.name),
        q.percent,
        t(&q.state.whm_name(&q.name))
    );
    let mut parts = vec![format!("{}/{} items", q.finished(), q.items_total)];
    if q.failed > 0 {
        parts.push(format!("{} failed", q.failed));
    }
    if q.warning > 0 {
        parts.push(format!("{} {}", q.warning, plural(q.warning, "warning")));
    }
    if let Some(eta) = q.eta_s.filter(|_| !stale) {
        parts.push(format!("ETA {}", duration(eta as i64)));
    }
    if q.bytes_total > 0 {
        parts.push(format!(
            "{}/{}",
            bytes(q.bytes_done),
            bytes(q.bytes_total as f64)
        ));
    } else {
        parts.push("sizes unknown".into());
    }
    if let Some(tp) = q.throughput_bps {
        parts.push(format!("{}/s", bytes(tp)));
    }
    (head, parts)
}

/// Joins a head and its parts with " · ", dropping parts from the end
/// (never the first two) until the line fits `width` columns.
pub fn fit(head: &str, parts: &[String], width: usize) -> String {
    let room = width.saturating_sub(width::of(head) + 3);
    format!("{head} · {}", fit_parts(parts, room))
}

/// The parts joined with " · ", dropped from the end (never the first
/// two) until they fit `width` columns.
pub fn fit_parts(parts: &[String], width: usize) -> String {
    let mut n = parts.len();
    let len =
        |n: usize| parts[..n].iter().map(|p| width::of(p)).sum::<usize>() + 3 * n.saturating_sub(1);
    while n > 2 && len(n) > width {
        n -= 1;
    }
    parts[..n].join(" · ")
}

/// `word` or `words` for a count.
fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}

/// Colours the failed and warning counts of a progress line.
fn paint_counts(line: &str, o: &Options) -> String {
    if !o.color {
        return line.to_owned();
    }
    line.split(" · ")
        .map(|p| {
            if p.ends_with(" failed") {
                Style::Red.paint(true, p)
            } else if p.ends_with(" warnings") || p.ends_with(" warning") {
                Style::Yellow.paint(true, p)
            } else {
                p.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Writes an aligned table of items (or accounts).
pub fn items_table<W: Write>(
    sessions: &[Session],
    accounts: bool,
    width: Option<usize>,
    out: &mut W,
) -> io::Result<()> {
    let mut rows: Vec<Vec<String>> = Vec::new();
    // Accounts: where they were moved from, and why one failed; items:
    // what kind of item each is.
    let header: Vec<&str> = if accounts {
        let mut h = vec!["session_id", "host"];
        h.extend_from_slice(&ACCOUNT_COLUMNS[1..7]);
        h.push("reason");
        h
    } else {
        let mut h = ITEM_TEXT_COLUMNS.to_vec();
        h.extend(["size", "duration", "message"]);
        h
    };
    // Text columns come from the view, by name; size and duration are
    // shown for people here (`1.2 GB`, `3m 04s`).
    let text = |c: &[Cell<'_>], i: usize| t(&c[i].to_text());
    let account_cols: Vec<usize> = ACCOUNT_COLUMNS[1..7]
        .iter()
        .map(|n| position::<AccountRow>(n))
        .collect();
    let item_cols = ITEM_TEXT_COLUMNS.map(position::<ItemRow>);
    let reasons = ["restore_message", "transfer_message"].map(position::<AccountRow>);
    let message = position::<ItemRow>("message");
    for s in sessions {
        if accounts {
            let host = t(s
                .remote_host
                .as_deref()
                .unwrap_or(crate::accounts::UNKNOWN_HOST));
            for a in s.accounts() {
                let r = AccountRow::new(s, &a);
                let c = r.cells();
                let mut row = vec![t(&s.id), host.clone()];
                row.extend(account_cols.iter().map(|&i| text(&c, i)));
                // The reason of an account that did not succeed: the
                // failed TRANSFER's (its RESTORE only says it cascaded),
                // else the RESTORE's.
                let [restore, transfer] = reasons;
                let order = if r.transfer_status == "failed" {
                    [transfer, restore]
                } else {
                    [restore, transfer]
                };
                let why = if r.overall == "success" {
                    String::new()
                } else {
                    order
                        .iter()
                        .map(|&i| text(&c, i))
                        .find(|m| !m.is_empty())
                        .unwrap_or_default()
                };
                row.push(why);
                rows.push(row);
            }
        } else {
            for it in s.items_by_queue() {
                let r = ItemRow::new(s, it);
                let c = r.cells();
                let mut row: Vec<String> = item_cols.iter().map(|&i| text(&c, i)).collect();
                row.push(r.size_bytes.map(|b| bytes(b as f64)).unwrap_or_default());
                row.push(r.duration_s.map(duration).unwrap_or_default());
                row.push(text(&c, message));
                rows.push(row);
            }
        }
    }
    table(out, &header, rows, width)
}

/// One row per restore module (`xferlens modules`): item, module, times,
/// duration, status and message, aligned.
pub fn modules_table<W: Write>(
    sessions: &[Session],
    width: Option<usize>,
    out: &mut W,
) -> io::Result<()> {
    let header = [
        "session_id",
        "item",
        "module",
        "started_at",
        "duration",
        "status",
        "message",
    ];
    let rows = crate::modules::rows(sessions)
        .map(|r| {
            vec![
                t(r.session_id),
                t(&format!("{} {}", r.queue, r.item)),
                t(r.module),
                r.started_at.clone().unwrap_or_default(),
                crate::time::dur(r.duration_s),
                r.status.to_owned(),
                t(r.message.unwrap_or("")),
            ]
        })
        .collect();
    table(out, &header, rows, width)
}

/// Writes an aligned table (cells already escaped). With a `width` (a
/// terminal), the widest columns are narrowed, cells cut with `…`, until
/// a row fits; without one (a file or a pipe) no cell is ever cut.
fn table<W: Write>(
    out: &mut W,
    header: &[&str],
    rows: Vec<Vec<String>>,
    width: Option<usize>,
) -> io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| width::of(h)).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(width::of(c));
        }
    }
    if let Some(limit) = width {
        fit_columns(&mut widths, limit);
    }
    // Ids keep both ends when cut: those of one server share their start.
    let middle: Vec<bool> = header.iter().map(|h| h.ends_with("session_id")).collect();
    let fmt = |cells: Vec<String>| -> String {
        let n = cells.len();
        cells
            .into_iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, &w))| {
                let c = if middle.get(i) == Some(&true) {
                    width::cut_middle(&c, w)
                } else {
                    width::cut(&c, w)
                };
                if i + 1 == n {
                    c
                } else {
                    width::pad(&c, w)
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    // Narrower than every column at its minimum: the line itself is cut.
    let cut = |line: String| -> String {
        let line = line.trim_end();
        match width {
            Some(w) => width::cut(line, w),
            _ => line.to_owned(),
        }
    };
    writeln!(
        out,
        "{}",
        cut(fmt(header.iter().map(|h| h.to_string()).collect()))
    )?;
    for r in rows {
        writeln!(out, "{}", cut(fmt(r)))?;
    }
    Ok(())
}

/// Narrows columns until the row (two spaces between columns) fits
/// `limit`: first the widest of the others down to 12 characters (the
/// last column, the message, says most), then the last one, then all
/// down to 8.
pub fn fit_columns(widths: &mut [usize], limit: usize) {
    let total = |w: &[usize]| w.iter().sum::<usize>() + 2 * w.len().saturating_sub(1);
    let Some(last) = widths.len().checked_sub(1) else {
        return;
    };
    for (floor, only_others) in [(12, true), (8, false), (8, true)] {
        loop {
            let over = total(widths).saturating_sub(limit);
            if over == 0 {
                return;
            }
            let pick = if only_others {
                (0..last)
                    .filter(|&i| widths[i] > floor)
                    .max_by_key(|&i| widths[i])
            } else {
                Some(last).filter(|&i| widths[i] > floor)
            };
            let Some(i) = pick else { break };
            // One step at a time among the others, so they shrink evenly.
            let step = if only_others { 1 } else { over };
            widths[i] = widths[i].saturating_sub(step).max(floor);
        }
    }
}

/// One line per session and change, for `progress --watch` into logs
/// and pipes.
pub fn watch_line(s: &Session, stale: bool) -> String {
    let qs: Vec<String> = s
        .queues
        .iter()
        .map(|q| {
            let mut p = format!(
                "{} {:.1}% {}/{}",
                t(&q.name),
                q.percent,
                q.finished(),
                q.items_total
            );
            if q.failed > 0 {
                p.push_str(&format!(" {} failed", q.failed));
            }
            p
        })
        .collect();
    format!(
        "{} {}{} {:.1}% {}",
        t(&s.id),
        s.state.as_str(),
        if stale { " (stale)" } else { "" },
        s.percent(),
        qs.join(" · ")
    )
}

/// How a watched session ended: "id: COMPLETED after 1h 02m 03s · 10
/// failed, 2 with warnings of 15 items".
pub fn final_line(s: &Session) -> String {
    let total: u64 = s.queues.iter().map(|q| q.items_total).sum();
    let failed: u64 = s.queues.iter().map(|q| q.failed).sum();
    let warned: u64 = s.queues.iter().map(|q| q.warning).sum();
    let how = if s.state.is_terminal() {
        "ended"
    } else if s.state.is_paused() {
        "paused"
    } else {
        "stopped watching"
    };
    let mut line = format!("{}: {how} {}", t(&s.id), s.state.as_str());
    if let Some(d) = crate::session_duration(s) {
        line.push_str(&format!(" after {d}"));
    }
    line.push_str(&format!(
        " · {failed} failed, {warned} with warnings, of {total} queue items"
    ));
    if s.state.is_paused() {
        line.push_str(" (resume it in WHM, or watch on with --follow-paused)");
    }
    line
}

#[cfg(test)]
mod tests {

    #[test]
    fn wide_characters_keep_columns_aligned_and_within_the_width() {
        let rows = vec![
            vec![
                "日本語アカウント".to_owned(),
                "ok".to_owned(),
                "a message that is long enough to be cut".to_owned(),
            ],
            vec!["bob😀".to_owned(), "failed".to_owned(), "short".to_owned()],
            vec!["plain".to_owned(), "ok".to_owned(), "x".to_owned()],
        ];
        let mut out = Vec::new();
        table(&mut out, &["account", "status", "message"], rows, Some(40)).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for l in &lines {
            assert!(width::of(l) <= 40, "{l:?} is {} columns", width::of(l));
        }
        // The second column starts at the same column on every line.
        let col = |l: &str, word: &str| width::of(&l[..l.find(word).unwrap()]);
        assert_eq!(col(lines[1], "ok"), col(lines[2], "failed"));
        assert_eq!(col(lines[2], "failed"), col(lines[3], "ok"));
    }

    use super::*;

    fn total(w: &[usize]) -> usize {
        w.iter().sum::<usize>() + 2 * (w.len() - 1)
    }

    #[test]
    fn columns_fit_the_width_others_first_then_the_message() {
        // session id, queue, status, message
        let mut w = vec![37, 8, 7, 120];
        fit_columns(&mut w, 200);
        assert_eq!(w, [37, 8, 7, 120], "fits already: untouched");
        fit_columns(&mut w, 100);
        assert_eq!(total(&w), 100);
        assert_eq!(w[..3], [12, 8, 7], "the id gives way first, to 12");
        assert_eq!(w[3], 100 - 12 - 8 - 7 - 6);
        let mut narrow = vec![37, 8, 7, 120];
        fit_columns(&mut narrow, 30);
        assert_eq!(
            narrow,
            [8, 8, 7, 8],
            "nothing below 8, even if it overflows"
        );
    }

    #[test]
    fn progress_parts_drop_from_the_end_to_fit() {
        let head = "  RESTORE   62.0%  RESTORE_INPROGRESS".to_owned();
        let parts: Vec<String> = [
            "3/5 items",
            "1 failed",
            "ETA 4s",
            "1.2 GB/2.0 GB",
            "3.1 MB/s",
        ]
        .map(String::from)
        .to_vec();
        assert!(fit(&head, &parts, 200).ends_with(" · 3.1 MB/s"));
        let at80 = fit(&head, &parts, 80);
        assert!(at80.chars().count() <= 80, "{at80}");
        assert!(at80.ends_with("1 failed · ETA 4s"), "{at80}");
        assert!(
            fit(&head, &parts, 10).ends_with("3/5 items · 1 failed"),
            "the counts stay"
        );
    }
}
