//! Self-contained HTML reports: inline CSS, inline SVG, no scripts and no
//! external assets. Every string from a log is escaped with
//! [`crate::escape::html`].

use std::io::{self, Write};

use xferlens_replay::{detail_kinds, whm_state, Item, ItemStatus, Session};

use crate::escape::html as h;
use crate::modules::ModuleStats;
use crate::time::{bytes, duration, rfc3339, rfc3339_opt};
use crate::Options;

const CSS: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:1.5rem 2rem;color:#1d2127}\
h1{font-size:1.5rem}h2{font-size:1.25rem;margin-top:2.5rem;border-bottom:1px solid #ddd}h3{font-size:1.05rem}\
table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #d0d4da;padding:.25rem .4rem;text-align:left;vertical-align:top}\
th{background:#f3f5f7}.num{text-align:right}.st{font-weight:600}\
.COMPLETED,.success{color:#1a7f37}.FAILED,.ABORTED,.failed{color:#cf222e}.warning,.RUNNING,.PAUSED,.PAUSING,.ABORTING,.running{color:#9a6700}\
.bar{background:#eaeef2;border-radius:3px;width:240px;height:12px;display:inline-block;vertical-align:middle}\
.bar.s{width:70px}.bar>span{display:block;height:12px;border-radius:3px;background:#2da44e}\
.muted{color:#656d76}ul.d{margin:.25rem 0 .75rem}code{background:#f3f5f7;padding:0 .2rem}";

/// Writes a complete HTML document for `sessions`.
pub fn report<W: Write>(sessions: &[Session], o: &Options, out: &mut W) -> io::Result<()> {
    let title = match sessions {
        [one] => format!("Transfer session {}", one.id),
        _ => format!("{} transfer sessions", sessions.len()),
    };
    head(out, &title)?;
    if sessions.len() > 1 {
        let (modules, fleet, histories) = crate::fleet::gather(sessions);
        answers(
            &crate::fleet::Answers {
                modules: &modules,
                fleet: &fleet,
                histories: &histories,
            },
            out,
        )?;
        writeln!(out, "<h2 id=\"sessions\">Sessions</h2>")?;
        overview(sessions, out)?;
    }
    for s in crate::worst_first(sessions) {
        session(s, o, out)?;
    }
    writeln!(out, "</body></html>")
}

/// Writes the fleet page of `batch`: overview (worst first) and the failed
/// items of each session with problems.
pub fn fleet<W: Write>(
    sessions: &[Session],
    a: &crate::fleet::Answers<'_>,
    out: &mut W,
) -> io::Result<()> {
    head(out, &format!("{} transfer sessions", sessions.len()))?;
    // Answers first, then the session table.
    answers(a, out)?;
    writeln!(out, "<h2 id=\"sessions\">Sessions</h2>")?;
    overview(sessions, out)?;
    for (s, failed) in crate::failures_worst_first(sessions) {
        writeln!(
            out,
            "<h2 id=\"s-{}\">{} <span class=\"st {}\">{}</span></h2>",
            h(&s.id),
            h(&s.id),
            s.state.as_str(),
            s.state.as_str()
        )?;
        item_table(out, &failed, false)?;
    }
    writeln!(out, "</body></html>")
}

fn head<W: Write>(out: &mut W, title: &str) -> io::Result<()> {
    writeln!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
<title>{}</title><style>{CSS}</style></head><body><h1>{}</h1>",
        h(title),
        h(title)
    )
}

fn overview<W: Write>(sessions: &[Session], out: &mut W) -> io::Result<()> {
    writeln!(
        out,
        "<p>{}</p>",
        crate::FleetTotals::of(sessions).sentence()
    )?;
    writeln!(out, "<table><tr><th>Session</th><th>State</th><th>Source host</th><th>Started</th><th>Duration</th><th>Failed</th><th>Warnings</th><th>Pending</th><th>Progress</th><th>Diagnostics</th><th>Skipped lines</th></tr>")?;
    for s in crate::worst_first(sessions) {
        let count = |st: ItemStatus| s.items_with(st).count();
        let pending: u64 = s
            .queues
            .iter()
            .map(|q| q.pending)
            .fold(0, u64::saturating_add);
        writeln!(
            out,
            "<tr><td><a href=\"#s-{id}\">{id}</a></td><td class=\"st {st}\">{st}</td><td>{host}</td><td>{start}</td><td>{dur}</td><td class=\"num\">{f}</td><td class=\"num\">{w}</td><td class=\"num\">{pending}</td><td>{bar}</td><td class=\"num\">{d}</td><td class=\"num\">{skipped}</td></tr>",
            id = h(&s.id),
            st = s.state.as_str(),
            host = h(s.remote_host.as_deref().unwrap_or("")),
            start = rfc3339_opt(s.started_at),
            dur = s.duration_s().map(duration).unwrap_or_default(),
            f = count(ItemStatus::Failed),
            w = s.queues.iter().map(|q| q.warning).fold(0, u64::saturating_add),
            bar = bar(s.percent()).replacen("class=\"bar\"", "class=\"bar s\"", 1),
            d = s.diagnostics.len(),
            skipped = s.skipped_lines,
        )?;
    }
    writeln!(out, "</table>")
}

fn bar(pct: f64) -> String {
    format!("<span class=\"bar\" title=\"{pct:.1}%\"><span style=\"width:{:.1}%\"></span></span> {pct:.1}%", pct.clamp(0.0, 100.0))
}

/// Writes one session's section.
fn session<W: Write>(s: &Session, o: &Options, out: &mut W) -> io::Result<()> {
    writeln!(
        out,
        "<h2 id=\"s-{id}\">Session <code>{id}</code> <span class=\"st {st}\">{st}</span></h2>",
        id = h(&s.id),
        st = s.state.as_str()
    )?;
    writeln!(out, "<table>")?;
    let mut facts: Vec<(&str, String)> = vec![("WHM state", whm_state(s))];
    for (k, v) in [
        ("Source host", &s.remote_host),
        ("Initiator", &s.initiator),
        ("Log format", &s.version),
    ] {
        if let Some(v) = v {
            facts.push((k, h(v)));
        }
    }
    facts.push(("Started", rfc3339_opt(s.started_at)));
    facts.push(("Finished", rfc3339_opt(s.finished_at)));
    facts.push(("Duration", s.duration_s().map(duration).unwrap_or_default()));
    facts.push(("Skipped lines", s.skipped_lines.to_string()));
    for (k, v) in facts {
        writeln!(out, "<tr><th>{k}</th><td>{v}</td></tr>")?;
    }
    writeln!(out, "</table>")?;
    writeln!(out, "<h3>Queues</h3><table><tr><th>Queue</th><th>State</th><th>Items</th><th>Completed</th><th>Had warnings</th><th>Failed</th><th>Running</th><th>Pending</th><th>Bytes</th><th>Progress</th></tr>")?;
    for q in &s.queues {
        writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
            h(&q.name),
            h(&q.state.whm_name(&q.name)),
            q.items_total,
            q.completed(),
            q.warning,
            q.failed,
            q.running,
            q.pending,
            if q.bytes_total > 0 { format!("{} of {}", bytes(q.bytes_done), bytes(q.bytes_total as f64)) } else { String::new() },
            bar(q.percent)
        )?;
    }
    writeln!(out, "</table>")?;
    gantt(s, out)?;
    module_breakdown(s, out)?;
    for (status, title) in [
        (ItemStatus::Failed, "Failed items"),
        (ItemStatus::Warning, "Items with warnings"),
    ] {
        let list: Vec<&Item> = s.items.iter().filter(|i| i.status == status).collect();
        if !list.is_empty() {
            writeln!(out, "<h3>{title} ({})</h3>", list.len())?;
            item_table(out, &list, true)?;
        }
    }
    if !s.diagnostics.is_empty() {
        writeln!(out, "<h3>Diagnostics ({})</h3><table><tr><th>File</th><th>Line</th><th>Kind</th><th>Message</th><th>Excerpt</th></tr>", s.diagnostics.len())?;
        for d in s.diagnostics.iter().take(o.max_diagnostics) {
            writeln!(
                out,
                "<tr><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                h(&d.source),
                d.line,
                d.kind.code(),
                h(&d.kind.to_string()),
                h(&d.excerpt)
            )?;
        }
        writeln!(out, "</table>")?;
    }
    if !s.error_log.is_empty() {
        writeln!(
            out,
            "<h3>master.error_log ({} lines)</h3><pre>",
            s.error_log_lines
        )?;
        for l in &s.error_log {
            writeln!(out, "{}", h(l))?;
        }
        writeln!(out, "</pre>")?;
    }
    Ok(())
}

/// Rows shown per answer table (the full lists are in the CSV files).
const ANSWER_ROWS: usize = 50;

/// A `<p>` saying how many more rows the CSV file holds.
fn more<W: Write>(out: &mut W, total: usize, shown: usize, file: &str) -> io::Result<()> {
    if total > shown {
        writeln!(
            out,
            "<p class=\"muted\">… and {} more: see {}.</p>",
            total - shown,
            h(file)
        )?;
    }
    Ok(())
}

/// The answers over many sessions, before the session table: what to
/// re-run, top causes, hosts, slow and large accounts, modules, and a
/// per-day chart.
fn answers<W: Write>(a: &crate::fleet::Answers<'_>, out: &mut W) -> io::Result<()> {
    let list = crate::accounts::retry_list(a.histories);
    let accounts = a.histories.iter().filter(|h| h.key.is_account()).count();
    writeln!(
        out,
        "<p><b>{accounts} accounts; {} to re-run; {} failed items in {} failed accounts.</b></p>",
        list.accounts.len(),
        a.fleet.failed_items,
        a.fleet.failed_accounts
    )?;
    writeln!(
        out,
        "<h2 id=\"rerun\">Accounts to re-run ({})</h2>",
        list.accounts.len()
    )?;
    if list.in_progress > 0 {
        writeln!(
            out,
            "<p class=\"muted\">{} account(s) still in progress in a running session are not listed.</p>",
            list.in_progress
        )?;
    }
    if !list.accounts.is_empty() {
        writeln!(out, "<table><tr><th>Source host</th><th>Account</th><th>Attempts</th><th>Last</th><th>Session</th><th>Reason</th></tr>")?;
        for hst in list.accounts.iter().take(ANSWER_ROWS) {
            let l = hst.last();
            writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"st {}\">{}</td><td>{}</td><td>{}</td></tr>",
                h(&hst.key.remote_host),
                h(&hst.key.item),
                hst.attempts.len(),
                l.status.as_str().to_uppercase(),
                l.status.as_str(),
                h(&l.session_id),
                h(l.reason.as_deref().unwrap_or(""))
            )?;
        }
        writeln!(out, "</table>")?;
        more(
            out,
            list.accounts.len(),
            ANSWER_ROWS,
            "accounts.csv or `xferlens retry`",
        )?;
    }
    let causes = a.fleet.independent_causes();
    if !causes.is_empty() {
        writeln!(out, "<h2 id=\"causes\">Top failure causes</h2><table><tr><th>Queue</th><th>Module</th><th>Cause</th><th>Items</th><th>Accounts</th><th>Sessions</th><th>Example</th></tr>")?;
        for (c, cascade) in causes.iter().take(ANSWER_ROWS) {
            let extra = cascade
                .map(|x| {
                    format!(
                        "<br><span class=\"muted\">and {} RESTORE item(s) failed in cascade</span>",
                        x.items
                    )
                })
                .unwrap_or_default();
            writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}{extra}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{} <span class=\"muted\">{}</span><br>{}</td></tr>",
                h(&c.queue),
                h(c.module.as_deref().unwrap_or("")),
                h(&c.cause),
                c.items,
                c.accounts(),
                c.sessions,
                h(&c.example.1),
                h(&c.example.0),
                h(&c.example.2)
            )?;
        }
        writeln!(out, "</table>")?;
        more(out, causes.len(), ANSWER_ROWS, "causes.csv")?;
    }
    let hosts = a.fleet.hosts();
    if !hosts.is_empty() {
        writeln!(out, "<h2 id=\"hosts\">Source hosts</h2><table><tr><th>Host</th><th>Sessions</th><th>Failed items</th><th>Moved</th><th>Median session</th><th>Throughput p50</th><th>p90</th></tr>")?;
        for hs in hosts.iter().take(ANSWER_ROWS) {
            writeln!(
                out,
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                h(&hs.host),
                hs.sessions,
                hs.failed_items,
                bytes(hs.bytes as f64),
                crate::modules::dur(hs.median_s()),
                hs.throughput_p50().map(|t| format!("{}/s", bytes(t))).unwrap_or_default(),
                hs.throughput_p90().map(|t| format!("{}/s", bytes(t))).unwrap_or_default()
            )?;
        }
        writeln!(out, "</table>")?;
        more(out, hosts.len(), ANSWER_ROWS, "hosts.csv")?;
    }
    for (title, runs) in [
        ("Slowest accounts", &a.fleet.slowest),
        (
            "Lowest throughput (accounts of 1 MB or more)",
            &a.fleet.slowest_throughput,
        ),
        ("Largest accounts", &a.fleet.largest),
    ] {
        if runs.is_empty() {
            continue;
        }
        writeln!(out, "<h2>{title}</h2><table><tr><th>Account</th><th>Host</th><th>Session</th><th>Size</th><th>Duration</th><th>Throughput</th></tr>")?;
        for r in runs.iter().take(10) {
            writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}/s</td></tr>",
                h(&r.item),
                h(&r.host),
                h(&r.session_id),
                bytes(r.size as f64),
                duration(r.duration_s),
                bytes(r.throughput())
            )?;
        }
        writeln!(out, "</table>")?;
    }
    module_table(a.modules, "Restore modules over all sessions", true, out)?;
    per_day(a.fleet, out)
}

/// A bar chart of accounts moved and failed per day (inline SVG, no
/// script), most recent 60 days.
fn per_day<W: Write>(f: &crate::fleet::FleetStats, out: &mut W) -> io::Result<()> {
    let days: Vec<_> = f.days.iter().filter(|(d, _)| *d != "unknown").collect();
    let days = &days[days.len().saturating_sub(60)..];
    if days.is_empty() {
        return Ok(());
    }
    let max = days
        .iter()
        .map(|(_, s)| s.moved + s.failed)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let (bw, gap, hgt, label_h) = (16.0, 6.0, 140.0, 70.0);
    let width = days.len() as f64 * (bw + gap) + 60.0;
    writeln!(out, "<h2 id=\"days\">Per day</h2><p class=\"muted\">Accounts moved (green) and failed (red) by the day their session started, UTC; the most recent {} days.</p>", days.len())?;
    writeln!(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{}\" role=\"img\" aria-label=\"accounts per day\" font-size=\"10\">", hgt + label_h)?;
    writeln!(out, "<text x=\"0\" y=\"10\">{}</text><line x1=\"40\" y1=\"{hgt}\" x2=\"{width}\" y2=\"{hgt}\" stroke=\"#d0d7de\"/>", max as u64)?;
    for (i, (d, st)) in days.iter().enumerate() {
        let x = 44.0 + i as f64 * (bw + gap);
        let hm = st.moved as f64 / max * (hgt - 14.0);
        let hf = st.failed as f64 / max * (hgt - 14.0);
        writeln!(
            out,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bw}\" height=\"{hm:.1}\" fill=\"#2da44e\"><title>{}: {} moved, {} failed, {} sessions</title></rect><rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bw}\" height=\"{hf:.1}\" fill=\"#cf222e\"/><text transform=\"translate({:.1},{:.1}) rotate(60)\">{}</text>",
            hgt - hm - hf,
            h(d),
            st.moved,
            st.failed,
            st.sessions,
            hgt - hf,
            x + 4.0,
            hgt + 6.0,
            h(d)
        )?;
    }
    writeln!(out, "</svg>")
}

/// Colours of module segments, picked by the module's first appearance.
const PALETTE: [&str; 8] = [
    "#0969da", "#8250df", "#bf3989", "#1a7f37", "#9a6700", "#cf222e", "#57606a", "#0a3069",
];

/// Per-module counts and times: runs, failures, median, p90, total (with
/// a bar of its share of the total), and where it took longest.
fn module_table<W: Write>(
    stats: &ModuleStats,
    title: &str,
    with_session: bool,
    out: &mut W,
) -> io::Result<()> {
    if stats.is_empty() {
        return Ok(());
    }
    let all: i64 = stats
        .modules
        .iter()
        .map(|m| m.total_s())
        .sum::<i64>()
        .max(1);
    writeln!(out, "<h3>{}</h3><table><tr><th>Module</th><th>Runs</th><th>Failed</th><th>Median</th><th>p90</th><th>Total time</th><th>Longest runs</th></tr>", h(title))?;
    for st in stats.by_total_time() {
        let share = st.total_s() as f64 / all as f64 * 100.0;
        let slow: Vec<String> = st
            .slowest
            .iter()
            .map(|(d, sid, item)| {
                let sid = if with_session {
                    format!(" <span class=\"muted\">{}</span>", h(sid))
                } else {
                    String::new()
                };
                format!("{}{sid} {}", h(item), duration(*d))
            })
            .collect();
        writeln!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{} {}</td><td>{}</td></tr>",
            h(&st.name),
            st.runs,
            st.failed,
            crate::modules::dur(st.quantile(0.5)),
            crate::modules::dur(st.quantile(0.9)),
            format_args!("<span class=\"bar\" title=\"{share:.1}% of module time\"><span style=\"width:{share:.1}%\"></span></span>"),
            duration(st.total_s()),
            slow.join("<br>")
        )?;
    }
    writeln!(out, "</table>")
}

/// Where a session's restore time went: module totals, then the slowest
/// items, each as a bar of its modules (at most 20 rows, so the page stays
/// readable and small for a 1,000-account session).
fn module_breakdown<W: Write>(s: &Session, out: &mut W) -> io::Result<()> {
    let mut stats = ModuleStats::default();
    stats.add(s);
    if stats.is_empty() {
        return Ok(());
    }
    module_table(&stats, "Where restore time went", false, out)?;
    let slow = crate::modules::slowest(s, 20);
    if slow.is_empty() {
        return Ok(());
    }
    let colour = |name: &str| {
        let i = stats
            .modules
            .iter()
            .position(|m| m.name == name)
            .unwrap_or(0);
        PALETTE[i % PALETTE.len()]
    };
    let longest = slow[0].duration_s().unwrap_or(1).max(1) as f64;
    writeln!(out, "<h3>Slowest items, by module</h3><p class=\"muted\">")?;
    for st in &stats.modules {
        write!(
            out,
            "<span style=\"display:inline-block;width:.8em;height:.8em;background:{}\"></span> {} &nbsp;",
            colour(&st.name),
            h(&st.name)
        )?;
    }
    writeln!(out, "</p><table><tr><th>Item</th><th>Duration</th><th>Modules (bar length: share of the slowest item's time)</th></tr>")?;
    for it in slow {
        let d = it.duration_s().unwrap_or(0);
        let mut bar = String::new();
        for m in it.log.iter().flat_map(|l| &l.modules) {
            let Some(md) = m.duration_s() else { continue };
            let w = md as f64 / longest * 100.0;
            bar.push_str(&format!(
                "<span title=\"{} {} ({})\" style=\"display:inline-block;height:.9em;width:{w:.2}%;background:{}\"></span>",
                h(&m.name),
                duration(md),
                m.state.as_str(),
                colour(&m.name)
            ));
        }
        writeln!(
            out,
            "<tr><td>{} {}</td><td class=\"num\">{}</td><td style=\"min-width:24rem\"><div style=\"white-space:nowrap\">{bar}</div><span class=\"muted\">{}</span></td></tr>",
            h(&it.queue),
            h(&it.item),
            duration(d),
            h(&crate::modules::breakdown(it, 3))
        )?;
    }
    writeln!(out, "</table>")
}

fn item_table<W: Write>(out: &mut W, list: &[&Item], details: bool) -> io::Result<()> {
    writeln!(out, "<table><tr><th>Queue</th><th>Item</th><th>Local name</th><th>Reason</th><th>Warnings</th><th>Skipped</th><th>Dangerous</th><th>Altered</th></tr>")?;
    for it in list {
        let c = &it.counts;
        let mut reason = h(&crate::modules::reason(it).unwrap_or_default());
        if it.cascaded {
            reason.push_str(" <span class=\"muted\">(cascade)</span>");
        }
        if it.worker_crashed {
            reason.push_str(" <span class=\"muted\">(worker crashed)</span>");
        }
        let mut extra = String::new();
        if details {
            for (kind, recs) in detail_kinds(&it.details) {
                for d in recs {
                    let origin = d.origin();
                    extra.push_str(&format!(
                        "<li>{kind}: <span class=\"muted\">{}</span> {}</li>",
                        h(&origin),
                        h(&d.text)
                    ));
                }
            }
            if let Some(log) = &it.log {
                for l in log.errors.iter().take(5) {
                    extra.push_str(&format!(
                        "<li><code>{}:{}</code> {}</li>",
                        h(&log.file),
                        l.line,
                        h(&l.text)
                    ));
                }
            }
        }
        if !extra.is_empty() {
            reason.push_str(&format!("<ul class=\"d\">{extra}</ul>"));
        }
        writeln!(
            out,
            "<tr><td>{}</td><td>{} {}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            h(&it.queue),
            h(it.item_name.as_deref().unwrap_or(&it.item_type)),
            h(&it.item),
            h(it.local_item.as_deref().unwrap_or("")),
            reason,
            c.warnings,
            c.skipped_items,
            c.dangerous_items,
            c.altered_items
        )?;
    }
    writeln!(out, "</table>")
}

/// A Gantt-style chart: one row per worker, one bar per item, where times
/// exist.
fn gantt<W: Write>(s: &Session, out: &mut W) -> io::Result<()> {
    let timed: Vec<&Item> = s.items.iter().filter(|i| i.started_at.is_some()).collect();
    let (Some(t0), Some(t1)) = (
        timed.iter().filter_map(|i| i.started_at).min(),
        timed
            .iter()
            .filter_map(|i| i.finished_at.or(s.last_event_at))
            .max(),
    ) else {
        return Ok(());
    };
    let span = (t1 as f64 - t0 as f64).max(1.0);
    let rows: Vec<(String, Vec<&Item>)> = s
        .workers
        .iter()
        .map(|w| {
            (
                format!("{} #{}", w.queue, w.child),
                w.items.iter().map(|&i| &s.items[i]).collect(),
            )
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    let (label_w, width, row_h) = (130.0, 900.0, 22.0);
    let height = rows.len() as f64 * row_h + 30.0;
    writeln!(out, "<h3>Timeline by worker</h3>")?;
    writeln!(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" role=\"img\" aria-label=\"items per worker over time\" font-size=\"11\">", label_w + width + 10.0)?;
    for (r, (label, items)) in rows.iter().enumerate() {
        let y = r as f64 * row_h + 4.0;
        writeln!(out, "<text x=\"0\" y=\"{}\">{}</text>", y + 13.0, h(label))?;
        for it in items {
            let Some(a) = it.started_at else { continue };
            let b = it.finished_at.or(s.last_event_at).unwrap_or(a).max(a);
            let x = label_w + (a as f64 - t0 as f64) / span * width;
            let w = ((b as f64 - a as f64) / span * width).max(2.0);
            let color = match it.status {
                ItemStatus::Success => "#2da44e",
                ItemStatus::Warning => "#d4a72c",
                ItemStatus::Failed => "#cf222e",
                _ => "#8c959f",
            };
            writeln!(
                out,
                "<rect x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"{}\" fill=\"{color}\"><title>{} ({}, {})</title></rect>",
                row_h - 6.0,
                h(&it.key()),
                it.status.as_str(),
                it.duration_s().map(duration).unwrap_or_default()
            )?;
        }
    }
    let y = rows.len() as f64 * row_h + 20.0;
    writeln!(
        out,
        "<text x=\"{label_w}\" y=\"{y}\" fill=\"#656d76\">{}</text>",
        rfc3339(t0)
    )?;
    writeln!(
        out,
        "<text x=\"{}\" y=\"{y}\" text-anchor=\"end\" fill=\"#656d76\">{}</text>",
        label_w + width,
        rfc3339(t1)
    )?;
    writeln!(out, "</svg>")?;
    Ok(())
}
