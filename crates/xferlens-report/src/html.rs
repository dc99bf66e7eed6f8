//! Self-contained HTML reports: inline CSS, inline SVG, no external
//! assets, and one small inline script (allowed by its hash in the page's
//! Content-Security-Policy) that only sorts tables when a heading is
//! clicked: without it the page reads the same, worst first. Filters are
//! CSS (radio buttons), long lists fold into `<details>`. Every string
//! from a log is escaped with [`crate::escape::html`].

use std::io::{self, Write};

use xferlens_replay::{
    detail_kinds, whm_state, Excerpt, Item, ItemStatus, Level, Session, WholeLog,
};

use crate::escape::html as h;
use crate::escape::terminal;
use crate::logtext::{plain_lines, PlainLine};
use crate::modules::{ModuleLine, ModuleStats};
use crate::rows::QueueProgress;
use crate::rows::{
    AccountSpan, ItemLine, QueueLine, SessionLine, ACCOUNT_SPANS_SHOWN, QUEUES_SHOWN,
    SESSIONS_SHOWN,
};
use crate::shown::{How, RowClass, Shown};
use crate::time::{bytes, duration, rfc3339, rfc3339_opt};
use crate::Options;

const CSS: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:1.5rem 2rem;color:#1d2127;max-width:1400px}\
@media (max-width:700px){body{margin:.5rem}}\
h1{font-size:1.5rem}h2{font-size:1.25rem;margin-top:2.5rem;border-bottom:1px solid #ddd}h3{font-size:1.05rem}\
.wide{overflow-x:auto;max-width:100%}\
table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #d0d4da;padding:.25rem .4rem;text-align:left;vertical-align:top}\
th{background:#f3f5f7}.num{text-align:right;white-space:nowrap}.st{font-weight:600}.nw{white-space:nowrap}\
table.sortable th{cursor:pointer}table.sortable th:hover{background:#e6eaef}\
.COMPLETED,.success{color:#1a7f37}.FAILED,.ABORTED,.failed{color:#cf222e}.warning,.RUNNING,.PAUSED,.PAUSING,.ABORTING,.running{color:#9a6700}.pending{color:#656d76}\
.bar{background:#eaeef2;border-radius:3px;width:240px;height:12px;display:inline-block;vertical-align:middle}\
.bar.s{width:70px}.bar>span{display:block;height:12px;border-radius:3px;background:#2da44e}\
.muted{color:#656d76}ul.d{margin:.25rem 0 .75rem}code{background:#f3f5f7;padding:0 .2rem}\
details{margin:.4rem 0}summary{cursor:pointer}details.cause>summary{font-weight:600}details.cause{border-left:3px solid #cf222e;padding-left:.6rem}\
.tl{position:relative;min-width:18rem;height:14px}.tl>span{position:absolute;top:2px;height:10px;border-radius:2px}\
.tl .T{background:#54aeff}.tl .R{background:#2da44e}.tl .R.failed,.tl .T.failed{background:#cf222e}.tl .R.warning{background:#d4a72c}.tl .R.running,.tl .T.running{background:#8c959f}\
.filters label{margin-right:1rem}\
.f-failed:checked~.wide tr.r:not(.k-failed),.f-warning:checked~.wide tr.r:not(.k-warning),.f-pending:checked~.wide tr.r:not(.k-pending):not(.k-running){display:none}\
svg text{font-family:system-ui,sans-serif}\
details.log{margin:.3rem 0}details.log>summary{color:#656d76;font-size:.9em}\
pre.log{background:#f6f8fa;border:1px solid #d0d4da;border-radius:3px;padding:.4rem .6rem;margin:.25rem 0;font-size:12px;line-height:1.4;white-space:pre-wrap;overflow-wrap:anywhere;max-width:110ch}\
pre.log .e{color:#cf222e}pre.log .w{color:#9a6700}pre.log .m{color:#0550ae;font-weight:600}\
details.mod{margin:.15rem 0 .15rem 1rem}details.mod>summary{font-family:ui-monospace,monospace;font-size:.9em}details.mod.bad>summary{color:#cf222e}";

/// Sorts a `table.sortable` by the clicked column (numbers by their
/// `data-v` or their text, text otherwise); click again to reverse. The page's CSP
/// allows exactly this script, by its hash ([`SCRIPT_HASH`]).
const SCRIPT: &str = "document.querySelectorAll('table.sortable').forEach(function(t){t.querySelectorAll('thead th').forEach(function(th,i){th.title='Sort by this column';th.addEventListener('click',function(){var b=t.tBodies[0],r=Array.prototype.slice.call(b.rows),d=th.dataset.d==='1'?-1:1;th.dataset.d=d===1?'1':'0';r.sort(function(x,y){var p=x.cells[i],q=y.cells[i],m=parseFloat(p.dataset.v||p.textContent),n=parseFloat(q.dataset.v||q.textContent);return d*(isNaN(m)||isNaN(n)?p.textContent.localeCompare(q.textContent):m-n);});r.forEach(function(e){b.appendChild(e);});});});});";

/// `sha256-` and the base64 SHA-256 of [`SCRIPT`], for the CSP (checked
/// by a test).
const SCRIPT_HASH: &str = "sha256-QQM4+5eKMJFyBxcf0WqSoTlhcXxZ43ZgpzgvvUBsAzI=";

/// Writes a complete HTML document for `sessions`.
pub fn report<W: Write>(sessions: &[Session], o: &Options, out: &mut W) -> io::Result<()> {
    let title = match sessions {
        [one] => format!("Transfer session {}", one.id),
        _ => format!("{} transfer sessions", sessions.len()),
    };
    head(out, &title)?;
    let worst = crate::worst_first(sessions);
    if sessions.len() > 1 {
        let (modules, fleet, histories, unnamed) = crate::fleet::gather(sessions, o);
        totals(sessions, &fleet, out)?;
        answers(
            &crate::fleet::Answers {
                modules: &modules,
                fleet: &fleet,
                histories: &histories,
                unnamed: &unnamed,
            },
            out,
        )?;
        writeln!(out, "<h2 id=\"sessions\">Sessions</h2>")?;
        overview(&worst, |_| true, out)?;
    }
    for (n, s) in worst.iter().enumerate() {
        session(s, n, o, out)?;
    }
    foot(out)
}

/// Writes the fleet page of `batch`: the answers, the session table
/// (worst first, sortable), then a section for each session with failed
/// items, warnings or diagnostics. Every link in the table leads to one.
pub fn fleet<W: Write>(
    sessions: &[Session],
    a: &crate::fleet::Answers<'_>,
    out: &mut W,
) -> io::Result<()> {
    head(out, &format!("{} transfer sessions", sessions.len()))?;
    totals(sessions, a.fleet, out)?;
    answers(a, out)?;
    writeln!(out, "<h2 id=\"sessions\">Sessions</h2>")?;
    let worst = crate::worst_first(sessions);
    overview(&worst, has_problems, out)?;
    for (n, s) in worst.iter().enumerate().filter(|(_, s)| has_problems(s)) {
        problems_section(s, n, out)?;
    }
    foot(out)
}

/// The first line of a page over many sessions: how many, in which
/// states, over which days, and the bytes moved.
fn totals<W: Write>(
    sessions: &[Session],
    fleet: &crate::fleet::FleetStats,
    out: &mut W,
) -> io::Result<()> {
    // The fleet's one total of bytes moved, the sum of the hosts' bytes
    // (hosts.csv): `batch` keeps only slim sessions, so a sum over their
    // items would miss every account that succeeded cleanly.
    let moved = fleet.bytes_moved();
    let first = sessions.iter().filter_map(|s| s.started_at).min();
    let last = sessions
        .iter()
        .filter_map(|s| s.finished_at.or(s.last_event_at))
        .max();
    let when = match (first, last) {
        (Some(a), Some(b)) => format!(" from {} to {}", &rfc3339(a)[..10], &rfc3339(b)[..10]),
        _ => String::new(),
    };
    let t = crate::FleetTotals::of(sessions);
    writeln!(
        out,
        "<p><strong>{} sessions</strong> ({} completed, {} failed or aborted, {} not finished){when}; {} restored.</p>",
        t.sessions,
        t.completed,
        t.failed,
        t.unfinished,
        bytes(moved as f64)
    )
}

/// A session with something to show in the batch page: failed items,
/// warnings or diagnostics.
fn has_problems(s: &Session) -> bool {
    !s.diagnostics.is_empty()
        || s.items
            .iter()
            .any(|i| matches!(i.status, ItemStatus::Failed | ItemStatus::Warning))
}

/// The anchor of the `n`th session (worst first): position-based, so any
/// session id, whatever characters it holds, gets a link that resolves.
fn anchor(n: usize) -> String {
    format!("s{n}")
}

/// A batch page's section of one session: its failures by cause, its
/// warned items and its diagnostics, each list cut to [`ITEM_ROWS`].
fn problems_section<W: Write>(s: &Session, n: usize, out: &mut W) -> io::Result<()> {
    writeln!(
        out,
        "<h2 id=\"{}\">Session <code>{}</code> <span class=\"st {st}\">{st}</span></h2><p class=\"muted\">{}</p>",
        anchor(n),
        h(&s.id),
        h(&facts_line(s)),
        st = s.state.as_str()
    )?;
    // Excerpts for the worst sessions only: the page stays light.
    failures(s, false, n < EXCERPT_SESSIONS, out)?;
    let warned: Vec<&Item> = s.items_with(ItemStatus::Warning).collect();
    if !warned.is_empty() {
        // One line: the full rows are in items.csv.
        let names: Vec<String> = warned.iter().take(20).map(|it| h(&label(it))).collect();
        writeln!(
            out,
            "<p><span class=\"warning\">{} item(s) with warnings</span>: {}{}.</p>",
            warned.len(),
            names.join(", "),
            if warned.len() > 20 {
                format!(" and {} more (items.csv)", warned.len() - 20)
            } else {
                String::new()
            }
        )?;
    }
    if !s.diagnostics.is_empty() {
        let kinds = crate::DiagnosticCounts::of(s).by_kind();
        writeln!(
            out,
            "<p>{} diagnostic(s): {}; see diagnostics.csv.</p>",
            s.diagnostics.len(),
            h(&kinds)
        )?;
    }
    Ok(())
}

/// "source host · started · duration" of a session, plain text.
fn facts_line(s: &Session) -> String {
    let mut f = Vec::new();
    if let Some(hst) = &s.remote_host {
        f.push(format!("source {hst}"));
    }
    if let Some(t) = s.started_at {
        f.push(format!("started {}", rfc3339(t)));
    }
    if let Some(d) = crate::session_duration(s) {
        f.push(format!("duration {d}"));
    }
    f.join(" · ")
}

fn head<W: Write>(out: &mut W, title: &str) -> io::Result<()> {
    writeln!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src '{SCRIPT_HASH}'\">\
<title>{}</title><style>{CSS}</style></head><body><h1>{}</h1>",
        h(title),
        h(title)
    )
}

/// The sorting script and the end of the document.
fn foot<W: Write>(out: &mut W) -> io::Result<()> {
    writeln!(out, "<script>{SCRIPT}</script></body></html>")
}

/// The session table, worst first, sortable; a session's id links to its
/// section when `linked` says it has one.
fn overview<W: Write>(
    worst: &[&Session],
    linked: impl Fn(&Session) -> bool,
    out: &mut W,
) -> io::Result<()> {
    writeln!(
        out,
        "<p>{}</p>",
        crate::FleetTotals::of(worst.iter().copied()).sentence()
    )?;
    sortable_head(out, &SESSIONS_SHOWN, |c| c.heading.to_owned())?;
    let rows = worst
        .iter()
        .enumerate()
        .map(|(n, s)| SessionLine::new(s, n, linked(s).then(|| anchor(n))));
    crate::shown::html_rows(out, rows, &SESSIONS_SHOWN)?;
    writeln!(out, "</tbody></table></div>")
}

/// Opens a sortable table (see [`SCRIPT`]): its heading row, each
/// heading given by `heading`, in `<thead>`; then `<tbody>`.
fn sortable_head<W: Write>(
    out: &mut W,
    cols: &[Shown],
    heading: impl Fn(&Shown) -> String,
) -> io::Result<()> {
    write!(out, "<div class=\"wide\"><table class=\"sortable\"><thead>")?;
    crate::shown::html_head_with(out, cols, heading)?;
    writeln!(out, "</thead><tbody>")
}

/// Writes one session's section: facts, queues, the timeline by worker,
/// where restore time went, failures by cause, warnings, every account on
/// a time axis (with filters), diagnostics and the error log.
fn session<W: Write>(s: &Session, n: usize, o: &Options, out: &mut W) -> io::Result<()> {
    writeln!(
        out,
        "<h2 id=\"{}\">Session <code>{}</code> <span class=\"st {st}\">{st}</span></h2>",
        anchor(n),
        h(&s.id),
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
    facts.push(("Duration", crate::session_duration(s).unwrap_or_default()));
    facts.push(("Skipped lines", s.skipped_lines.to_string()));
    if !s.unmentioned_logs.is_empty() {
        let names: Vec<String> = s.unmentioned_logs.iter().take(10).map(|n| h(n)).collect();
        facts.push((
            "Unlisted item logs (in no total)",
            format!("{}: {}", s.unmentioned_logs.len(), names.join(", ")),
        ));
    }
    if let Some(age) = crate::stale_for(s, o) {
        facts.push(("Stale", crate::stale_fact(s, age)));
    }
    for (k, v) in facts.into_iter().filter(|(_, v)| !v.is_empty()) {
        writeln!(out, "<tr><th>{k}</th><td>{v}</td></tr>")?;
    }
    writeln!(out, "</table>")?;
    write!(out, "<h3>Queues</h3><div class=\"wide\"><table>")?;
    let queues = s.queues.iter().map(|q| QueueLine(QueueProgress(q)));
    crate::shown::html(out, queues, &QUEUES_SHOWN)?;
    writeln!(out, "</table></div>")?;
    gantt(s, out)?;
    module_breakdown(s, out)?;
    failures(s, true, true, out)?;
    warnings(s, true, out)?;
    whole_logs(s, out)?;
    account_timeline(s, n, out)?;
    if !s.diagnostics.is_empty() {
        write!(
            out,
            "<h3>Diagnostics ({})</h3><div class=\"wide\"><table>",
            s.diagnostics.len()
        )?;
        let rows = crate::fleet::diagnostic_rows(s).take(o.max_diagnostics);
        crate::shown::html(out, rows, &crate::fleet::DIAGNOSTICS_SHOWN)?;
        writeln!(out, "</table></div>")?;
        more(
            out,
            s.diagnostics.len(),
            o.max_diagnostics,
            "`xferlens check`",
        )?;
    }
    if !s.error_log.is_empty() {
        writeln!(
            out,
            "<details><summary>master.error_log ({} lines)</summary><pre>",
            s.error_log_lines
        )?;
        for l in &s.error_log {
            writeln!(out, "{}", h(l))?;
        }
        writeln!(out, "</pre></details>")?;
    }
    Ok(())
}

/// Sessions of a batch page (worst first) whose failed items show their
/// log excerpts.
pub const EXCERPT_SESSIONS: usize = 20;

/// Items listed per cause or list before "and N more".
const ITEM_ROWS: usize = 100;

/// The failed items grouped by cause, most items first: one `<details>`
/// per cause (open for the first few), its items in a table, and the
/// RESTORE items that failed in cascade listed under it. `details` adds
/// each item's log lines and detail records; `excerpts`, its log excerpt
/// (folded), where it has one.
fn failures<W: Write>(s: &Session, details: bool, excerpts: bool, out: &mut W) -> io::Result<()> {
    let groups = crate::fleet::failures_by_cause(s);
    if groups.is_empty() {
        return Ok(());
    }
    let failed = s.items_with(ItemStatus::Failed).count();
    writeln!(
        out,
        "<h3>Failed items ({failed}) by cause ({})</h3>",
        groups.len()
    )?;
    for (i, g) in groups.iter().enumerate() {
        let module = g
            .module
            .as_deref()
            .map(|m| format!(" in {}", h(m)))
            .unwrap_or_default();
        let cascade = if g.cascades.is_empty() {
            String::new()
        } else {
            format!(
                ", and {} RESTORE item(s) failed in cascade",
                g.cascades.len()
            )
        };
        writeln!(
            out,
            "<details class=\"cause\"{}><summary>{} failed{module}: {} <span class=\"muted\">({} item(s){cascade})</span></summary>",
            if i < 3 { " open" } else { "" },
            h(&g.queue),
            h(&g.cause),
            g.items.len()
        )?;
        // Log lines per item only where they can differ enough to help:
        // in a cause shared by many items they repeat the cause.
        let notes = Notes {
            details: details && g.items.len() <= 10,
            excerpts,
        };
        item_table(out, s, &g.items, notes)?;
        if !g.cascades.is_empty() {
            let names: Vec<String> = g
                .cascades
                .iter()
                .take(ITEM_ROWS)
                .map(|it| h(&label(it)))
                .collect();
            writeln!(
                out,
                "<p class=\"muted\">Cascade (nothing to restore): {}{}</p>",
                names.join(", "),
                if g.cascades.len() > ITEM_ROWS {
                    format!(" and {} more", g.cascades.len() - ITEM_ROWS)
                } else {
                    String::new()
                }
            )?;
        }
        writeln!(out, "</details>")?;
    }
    Ok(())
}

/// The items with warnings, folded when there are many.
fn warnings<W: Write>(s: &Session, details: bool, out: &mut W) -> io::Result<()> {
    let list: Vec<&Item> = s.items_with(ItemStatus::Warning).collect();
    if list.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "<details{}><summary><strong>Items with warnings ({})</strong></summary>",
        if list.len() <= 20 { " open" } else { "" },
        list.len()
    )?;
    let notes = Notes {
        details,
        excerpts: true,
    };
    item_table(out, s, &list, notes)?;
    writeln!(out, "</details>")
}

/// "RESTORE Account bob": the item's queue, label and name.
fn label(it: &Item) -> String {
    format!("{} {}", it.queue, it.label())
}

/// Every account on one time axis, sorted by start: its TRANSFER and
/// RESTORE as bars, its status, and filters (CSS radio buttons, no
/// script) for failed, warned and pending ones. Folded for large sessions.
fn account_timeline<W: Write>(s: &Session, n: usize, out: &mut W) -> io::Result<()> {
    let accounts = s.accounts();
    if accounts.is_empty() {
        return Ok(());
    }
    let mut rows: Vec<AccountSpan> = accounts.iter().map(|a| AccountSpan::new(s, a)).collect();
    rows.sort_by_key(|r| r.start.unwrap_or(i64::MAX));
    let t0 = rows.iter().filter_map(|r| r.start).min();
    let t1 = rows.iter().filter_map(|r| r.end).max();
    let count = |st: &str| {
        rows.iter()
            .filter(|r| {
                let o = r.a.overall.as_str();
                o == st || (st == "pending" && o == "running")
            })
            .count()
    };
    writeln!(
        out,
        "<details{}><summary><strong>Accounts by start time ({})</strong></summary><div class=\"filters\">",
        if rows.len() <= 60 { " open" } else { "" },
        rows.len()
    )?;
    let name = format!("f{n}");
    for (class, text, num) in [
        ("f-all", "All", rows.len()),
        ("f-failed", "Failed", count("failed")),
        ("f-warning", "Warnings", count("warning")),
        ("f-pending", "Pending or running", count("pending")),
    ] {
        let id = format!("{name}-{class}");
        writeln!(
            out,
            "<input type=\"radio\" name=\"{name}\" id=\"{id}\" class=\"{class}\"{}><label for=\"{id}\">{text} ({num})</label>",
            if class == "f-all" { " checked" } else { "" }
        )?;
    }
    let axis = match (t0, t1) {
        (Some(a), Some(b)) => format!(
            "bars on one axis from {} to {} (blue: TRANSFER, green/red: RESTORE)",
            rfc3339(a),
            rfc3339(b)
        ),
        _ => "no times in this log".into(),
    };
    sortable_head(out, &ACCOUNT_SPANS_SHOWN, |c| {
        if c.how == How::Blank {
            h(&axis)
        } else {
            c.heading.to_owned()
        }
    })?;
    let width = t1.zip(t0).map(|(b, a)| (b - a).max(1) as f64);
    // Each account's TRANSFER and RESTORE as bars on the axis.
    let bars = |r: &AccountSpan, c: &Shown| {
        let mut tl = String::new();
        let (Some(t0), Some(w), How::Blank) = (t0, width, c.how) else {
            return tl;
        };
        for (cls, it) in ["T", "R"].into_iter().zip(r.items) {
            let Some(it) = it else { continue };
            let Some(x) = it.started_at else { continue };
            let y = it.finished_at.or(s.last_event_at).unwrap_or(x).max(x);
            tl.push_str(&format!(
                "<span class=\"{cls} {}\" style=\"left:{:.1}%;width:{:.1}%\"></span>",
                it.status.as_str(),
                (x - t0) as f64 / w * 100.0,
                ((y - x) as f64 / w * 100.0).max(0.3),
            ));
        }
        tl
    };
    let by_outcome = RowClass {
        fixed: "r",
        prefix: "k-",
        column: "overall",
    };
    crate::shown::html_rows_with(out, rows, &ACCOUNT_SPANS_SHOWN, Some(by_outcome), bars)?;
    writeln!(out, "</tbody></table></div></div></details>")
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
    let list = a.retry_list();
    let accounts = a.histories.iter().filter(|h| h.key.is_account()).count();
    writeln!(
        out,
        "<p><strong>{accounts} accounts; {} to re-run; {} failed items in {} failed accounts.</strong></p>",
        list.accounts.len(),
        a.fleet.failed_items,
        a.fleet.failed_accounts
    )?;
    // Links to the sections this page has (each is written below only
    // when it has rows).
    let mut toc = vec![("rerun", "accounts to re-run")];
    if !a.fleet.independent_causes().is_empty() {
        toc.push(("causes", "failure causes"));
    }
    if !a.fleet.hosts().is_empty() {
        toc.push(("hosts", "source hosts"));
    }
    if !a.modules.is_empty() {
        toc.push(("modules", "restore modules"));
    }
    if a.fleet.days.keys().any(|d| d != "unknown") {
        toc.push(("days", "per day"));
    }
    toc.push(("sessions", "sessions"));
    let links: Vec<String> = toc
        .iter()
        .map(|(id, text)| format!("<a href=\"#{id}\">{text}</a>"))
        .collect();
    writeln!(
        out,
        "<p class=\"muted\">On this page: {}</p>",
        links.join(" · ")
    )?;
    rerun_section(&list, out)?;
    let causes = a.fleet.independent_causes();
    if !causes.is_empty() {
        write!(
            out,
            "<h2 id=\"causes\">Top failure causes</h2><div class=\"wide\"><table>"
        )?;
        let rows = causes.iter().take(ANSWER_ROWS);
        crate::shown::html(out, rows, &crate::fleet::CAUSES_HTML)?;
        writeln!(out, "</table></div>")?;
        more(out, causes.len(), ANSWER_ROWS, "causes.csv")?;
    }
    host_tables(a, out)?;
    per_day(a.fleet, out)?;
    for (title, runs) in a.fleet.account_lists() {
        if runs.is_empty() {
            continue;
        }
        write!(out, "<h2>{title}</h2><div class=\"wide\"><table>")?;
        crate::shown::html(out, runs.iter().take(10), &crate::fleet::ACCOUNT_RUNS_SHOWN)?;
        writeln!(out, "</table></div>")?;
    }
    module_table(a.modules, "Restore modules over all sessions", true, out)
}

/// The accounts to re-run: what the list leaves off (in progress, never
/// named), then the list, sortable.
fn rerun_section<W: Write>(list: &crate::accounts::RetryList<'_>, out: &mut W) -> io::Result<()> {
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
    if list.unnamed.len() <= crate::accounts::UNNAMED_SENTENCES {
        for u in &list.unnamed {
            writeln!(out, "<p class=\"muted\">{}</p>", h(&u.sentence()))?;
        }
    } else {
        // Many sessions: one sentence, the list folded.
        writeln!(
            out,
            "<details><summary class=\"muted\">{}</summary><table><thead><tr><th>Session</th><th>Source host</th><th>Items never started</th></tr></thead><tbody>",
            h(&crate::accounts::unnamed_total(&list.unnamed))
        )?;
        for u in &list.unnamed {
            writeln!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td class=\"num\">{}</td></tr>",
                h(&u.session_id),
                h(&u.remote_host),
                u.items
            )?;
        }
        writeln!(out, "</tbody></table></details>")?;
    }
    if !list.accounts.is_empty() {
        sortable_head(out, &crate::accounts::RETRY_SHOWN, |c| c.heading.to_owned())?;
        let rows = list
            .accounts
            .iter()
            .take(ANSWER_ROWS)
            .map(|h| crate::accounts::RetryRow(h));
        crate::shown::html_rows(out, rows, &crate::accounts::RETRY_SHOWN)?;
        writeln!(out, "</tbody></table></div>")?;
        more(
            out,
            list.accounts.len(),
            ANSWER_ROWS,
            "accounts.csv or `xferlens retry`",
        )?;
    }
    Ok(())
}

/// The source hosts, in two tables that each answer one question: the
/// hosts with failures, most failed items first, and the hosts by
/// account throughput, slowest first.
fn host_tables<W: Write>(a: &crate::fleet::Answers<'_>, out: &mut W) -> io::Result<()> {
    let hosts = crate::fleet::host_rows(a.fleet, a.histories);
    if hosts.is_empty() {
        return Ok(());
    }
    writeln!(out, "<h2 id=\"hosts\">Source hosts</h2>")?;
    let tables = [
        (
            "Most failures",
            crate::fleet::hosts_by_failures(&hosts),
            &crate::fleet::HOSTS_FAILED_SHOWN[..],
        ),
        (
            "Slowest (per-account throughput)",
            crate::fleet::hosts_by_throughput(&hosts),
            &crate::fleet::HOSTS_SHOWN[..],
        ),
    ];
    for (title, rows, shown) in tables {
        if rows.is_empty() {
            continue;
        }
        write!(out, "<h3>{title}</h3><div class=\"wide\"><table>")?;
        crate::shown::html(out, rows.iter().take(ANSWER_ROWS), shown)?;
        writeln!(out, "</table></div>")?;
        more(out, rows.len(), ANSWER_ROWS, "hosts.csv")?;
    }
    Ok(())
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
    let id = if with_session { " id=\"modules\"" } else { "" };
    write!(out, "<h3{id}>{}</h3><div class=\"wide\"><table>", h(title))?;
    let shown = if with_session {
        &crate::modules::MODULES_FLEET_HTML
    } else {
        &crate::modules::MODULES_SESSION_HTML
    };
    crate::shown::html(out, ModuleLine::of(stats), shown)?;
    writeln!(out, "</table></div>")
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
    writeln!(out, "</p><div class=\"wide\"><table><tr><th>Item</th><th>Duration</th><th>Modules (bar length: share of the slowest item's time)</th></tr>")?;
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
            "<tr><td>{}</td><td class=\"num\">{}</td><td style=\"min-width:24rem\"><div style=\"white-space:nowrap\">{bar}</div><span class=\"muted\">{}</span></td></tr>",
            h(&label(it)),
            duration(d),
            h(&crate::modules::breakdown(it, 3))
        )?;
    }
    writeln!(out, "</table></div>")
}

/// What an item table adds to each item's reason cell.
#[derive(Clone, Copy)]
struct Notes {
    /// Its detail records and log lines.
    details: bool,
    /// Its log excerpt, folded.
    excerpts: bool,
}

/// A table of items: queue, item, local name, reason (with its markers
/// and, as `notes` say, its log lines, detail records and excerpt) and
/// the count columns that are not all zeros. At most [`ITEM_ROWS`] rows.
fn item_table<W: Write>(out: &mut W, s: &Session, list: &[&Item], notes: Notes) -> io::Result<()> {
    let shown: Vec<ItemLine> = list[..list.len().min(ITEM_ROWS)]
        .iter()
        .map(|it| ItemLine::new(s, it))
        .collect();
    let cols = crate::rows::items_shown(&shown);
    let count = shown.len();
    write!(out, "<div class=\"wide\"><table>")?;
    crate::shown::html_head(out, &cols)?;
    writeln!(out)?;
    crate::shown::html_rows_with(out, shown, &cols, None, |line, col| {
        if col.column != "reason" {
            return String::new();
        }
        let excerpt = excerpt_of(line.it).filter(|_| notes.excerpts);
        let mut cell = if notes.details {
            details_list(line.it, excerpt.is_none())
        } else {
            String::new()
        };
        if let Some((file, e)) = excerpt {
            cell.push_str(&excerpt_html(file, e));
        }
        cell
    })?;
    writeln!(out, "</table></div>")?;
    more(out, list.len(), count, "items.csv or `xferlens items`")
}

/// An item's log file name and excerpt, when it has one.
fn excerpt_of(it: &Item) -> Option<(&str, &Excerpt)> {
    let log = it.log.as_deref()?;
    Some((log.file.as_str(), log.excerpt.as_ref()?))
}

/// An excerpt, folded: `log lines` opens the lines, styled as the log
/// styles them (errors red, warnings amber).
fn excerpt_html(file: &str, e: &Excerpt) -> String {
    let from = if e.from_file {
        ""
    } else {
        " (kept error lines; the log is in an archive)"
    };
    format!(
        "<details class=\"log\"><summary>log lines <span class=\"muted\">{}{from}</span></summary>{}</details>",
        h(file),
        log_pre(&plain_lines(&e.lines, true))
    )
}

/// Lines as a `<pre class="log">`, each escaped and classed by level.
fn log_pre(lines: &[PlainLine]) -> String {
    let mut pre = String::from("<pre class=\"log\">");
    for l in lines {
        let class = match l.level {
            Level::Error => Some("e"),
            Level::Warning => Some("w"),
            Level::Info if l.module_start => Some("m"),
            Level::Info => None,
        };
        match class {
            Some(c) => pre.push_str(&format!("<span class=\"{c}\">{}</span>\n", h(&l.text))),
            None => {
                pre.push_str(&h(&l.text));
                pre.push('\n');
            }
        }
    }
    pre.push_str("</pre>");
    pre
}

/// The whole logs a report embeds (`report --logs`): one folded section
/// per item, inside it one folded section per module.
fn whole_logs<W: Write>(s: &Session, out: &mut W) -> io::Result<()> {
    let items: Vec<(&Item, &WholeLog)> = s
        .items
        .iter()
        .filter_map(|it| Some((it, it.log.as_deref()?.whole.as_ref()?)))
        .collect();
    if items.is_empty() {
        return Ok(());
    }
    writeln!(out, "<h3>Item logs ({})</h3>", items.len())?;
    for (it, w) in items {
        let shown: usize = w.sections.iter().map(|sec| sec.lines.len()).sum();
        writeln!(
            out,
            "<details class=\"log\"><summary><span class=\"{}\">{}</span> <span class=\"muted\">{shown} lines, {} module(s)</span></summary>",
            it.status.as_str(),
            h(&label(it)),
            w.sections.iter().filter(|sec| sec.module.is_some()).count()
        )?;
        for sec in &w.sections {
            let failed = sec.lines.iter().any(|l| l.kind.level() == Level::Error);
            writeln!(
                out,
                "<details class=\"mod{}\"><summary>{} <span class=\"muted\">({} lines)</span></summary>{}</details>",
                if failed { " bad" } else { "" },
                h(&terminal(sec.module.as_deref().unwrap_or("(outside any module)"))),
                sec.lines.len(),
                log_pre(&plain_lines(&sec.lines, false))
            )?;
        }
        if w.more_lines > 0 {
            writeln!(
                out,
                "<p class=\"muted\">{} more lines: <code>xferlens log --account {} --queue {} &lt;session dir&gt;</code></p>",
                w.more_lines,
                h(&terminal(&it.item)),
                h(&terminal(&it.queue))
            )?;
        }
        writeln!(out, "</details>")?;
    }
    Ok(())
}

/// An item's detail records and (`log_lines`) the log lines that say
/// more than its reason, as a list nested in its reason's cell (empty
/// when none).
fn details_list(it: &Item, log_lines: bool) -> String {
    let mut extra = String::new();
    for (kind, recs) in detail_kinds(&it.details) {
        for d in recs {
            let origin = crate::detail_origin(d);
            extra.push_str(&format!(
                "<li>{kind}: <span class=\"muted\">{}</span> {}</li>",
                h(&origin),
                h(&d.text)
            ));
        }
    }
    if let Some(log) = it.log.as_ref().filter(|_| log_lines) {
        // Log lines that only repeat the reason are left out.
        let said = crate::modules::reason(it).unwrap_or_default();
        for l in log
            .errors
            .iter()
            .filter(|l| !said.contains(l.text.trim()))
            .take(5)
        {
            extra.push_str(&format!(
                "<li><code>{}:{}</code> {}</li>",
                h(&log.file),
                l.line,
                h(&l.text)
            ));
        }
    }
    if extra.is_empty() {
        extra
    } else {
        format!("<ul class=\"d\">{extra}</ul>")
    }
}

/// A tick step for a time axis of `span` seconds: the first of the usual
/// steps that gives at most 10 ticks.
fn tick_step(span: i64) -> i64 {
    const STEPS: [i64; 17] = [
        1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200,
    ];
    STEPS
        .iter()
        .copied()
        .find(|st| span / st <= 10)
        .unwrap_or_else(|| (span / 10 / 86_400 + 1) * 86_400)
}

/// The label of a tick: `HH:MM` (or `HH:MM:SS` for steps under a minute),
/// with the date when it changes or at the first tick.
fn tick_label(t: i64, step: i64, first: bool) -> String {
    let full = rfc3339(t); // 2026-11-28T14:05:00Z
    let (date, time) = (&full[..10], &full[11..19]);
    let time = if step < 60 { time } else { &time[..5] };
    if first || t.rem_euclid(86_400) == 0 {
        format!("{date} {time}")
    } else {
        time.to_owned()
    }
}

/// A Gantt chart: one lane per worker, one bar per item (inset so that
/// consecutive items show a gap), labelled where the bar is wide enough,
/// on a labelled time axis (UTC) with round ticks.
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
    let span = (t1 - t0).max(1);
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
    let (label_w, width, row_h, axis_h) = (110.0, 1000.0, 24.0, 34.0);
    let height = rows.len() as f64 * row_h + axis_h;
    let x_of = |t: i64| label_w + (t - t0) as f64 / span as f64 * width;
    writeln!(out, "<h3>Timeline by worker</h3><p class=\"muted\">One lane per worker; each bar is an item (green: success, yellow: warnings, red: failed, grey: unfinished); hover for details. Times in UTC.</p>")?;
    writeln!(out, "<div class=\"wide\"><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" role=\"img\" aria-label=\"items per worker over time\" font-size=\"11\">", label_w + width + 20.0)?;
    // Axis: grid lines and labels at round times.
    let step = tick_step(span);
    let first_tick = (t0 + step - 1).div_euclid(step) * step;
    let axis_y = rows.len() as f64 * row_h + 6.0;
    let mut t = first_tick;
    let mut first = true;
    while t <= t1 {
        let x = x_of(t);
        writeln!(
            out,
            "<line x1=\"{x:.1}\" y1=\"0\" x2=\"{x:.1}\" y2=\"{axis_y}\" stroke=\"#eaeef2\"/><text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#656d76\">{}</text>",
            axis_y + 14.0,
            tick_label(t, step, first)
        )?;
        first = false;
        t += step;
    }
    for (r, (lane, items)) in rows.iter().enumerate() {
        let y = r as f64 * row_h + 3.0;
        writeln!(
            out,
            "<text x=\"0\" y=\"{:.1}\">{}</text>",
            y + 13.0,
            h(lane)
        )?;
        for it in items {
            let Some(a) = it.started_at else { continue };
            let b = it.finished_at.or(s.last_event_at).unwrap_or(a).max(a);
            let (x, w) = (x_of(a), x_of(b) - x_of(a));
            // A 1-pixel gap on each side, so back-to-back items stay apart.
            let (x, w) = if w > 4.0 {
                (x + 1.0, w - 2.0)
            } else {
                (x, w.max(1.5))
            };
            let color = match it.status {
                ItemStatus::Success => "#2da44e",
                ItemStatus::Warning => "#d4a72c",
                ItemStatus::Failed => "#cf222e",
                _ => "#8c959f",
            };
            write!(
                out,
                "<g><rect x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"{}\" rx=\"2\" fill=\"{color}\"/><title>{} ({}, {})</title>",
                row_h - 6.0,
                h(&label(it)),
                it.status.as_str(),
                it.duration_s().map(duration).unwrap_or_default()
            )?;
            // A label inside the bar when about 6.5 px per character fit.
            if w >= it.item.chars().count() as f64 * 6.5 + 6.0 {
                write!(
                    out,
                    "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#fff\">{}</text>",
                    x + 3.0,
                    y + 13.0,
                    h(&it.item)
                )?;
            }
            writeln!(out, "</g>")?;
        }
    }
    writeln!(out, "</svg></div>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use xferlens_replay::RESTORE;

    fn base64(bytes: &[u8]) -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    /// A failed item whose excerpt and whole log hold hostile text.
    fn hostile_session() -> Session {
        use xferlens_replay::{EntryKind, ExcerptLine, ItemLog, LogSection};
        let line = |n: u64, kind, module: Option<&str>, text: &str| ExcerptLine {
            line: n,
            kind,
            module: module.map(str::to_owned),
            indent: 1,
            text: text.to_owned(),
            gap_before: n > 1,
        };
        let lines = vec![
            line(3, EntryKind::ModuleStart, Some("Mysql"), "Mysql"),
            line(
                4,
                EntryKind::Out,
                Some("Mysql"),
                "</pre><script>alert(1)</script>",
            ),
            line(
                5,
                EntryKind::Warn,
                Some("Mysql"),
                "\u{1b}[31mred\u{1b}]0;t\u{7} ```` x",
            ),
            line(
                9,
                EntryKind::Error,
                Some("My</summary>"),
                "disk </details> full",
            ),
        ];
        let whole = WholeLog {
            sections: vec![
                LogSection {
                    module: None,
                    lines: vec![line(1, EntryKind::Start, None, "Starting")],
                },
                LogSection {
                    module: Some("Mysql".into()),
                    lines: lines.clone(),
                },
            ],
            more_lines: 7,
        };
        let it = Item {
            queue: RESTORE.into(),
            item_type: "AccountRemoteRoot".into(),
            item: "bob".into(),
            status: ItemStatus::Failed,
            failure: Some("disk full".into()),
            log: Some(Box::new(ItemLog {
                file: "item-RESTORE_AccountRemoteRoot_bob".into(),
                excerpt: Some(Excerpt {
                    lines,
                    from_file: true,
                }),
                whole: Some(whole),
                ..ItemLog::default()
            })),
            ..Item::default()
        };
        Session {
            id: "s".into(),
            items: vec![it],
            ..Session::default()
        }
    }

    #[test]
    fn excerpts_fold_escaped_and_whole_logs_nest_modules() {
        let s = hostile_session();
        let mut out = Vec::new();
        report(std::slice::from_ref(&s), &Options::default(), &mut out).unwrap();
        let page = String::from_utf8(out).unwrap();
        assert!(!page.contains("<script>alert"), "log text is escaped");
        assert!(page.contains("&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!page.contains("</details> full") && !page.contains("My</summary>"));
        assert!(!page.contains('\u{1b}') && !page.contains('\u{7}') && !page.contains('\u{fffd}'));
        assert!(page.contains("<span class=\"e\">"), "errors styled red");
        assert!(page.contains("<span class=\"w\">"), "warnings amber");
        assert!(page.contains("<details class=\"log\"><summary>log lines"));
        // The whole log: one folded section per item, one per module in it.
        let at = page.find("<h3>Item logs (1)</h3>").expect("whole logs");
        let rest = &page[at..];
        let item = rest.find("<details class=\"log\">").unwrap();
        let module = rest
            .find("<details class=\"mod bad\"><summary>Mysql")
            .unwrap();
        let outside = rest.find("<summary>(outside any module)").unwrap();
        let note = rest
            .find("7 more lines: <code>xferlens log --account bob --queue RESTORE")
            .unwrap();
        assert!(item < outside && outside < module && module < note);
        assert!(
            !rest.contains("<details class=\"mod\" open"),
            "closed by default"
        );
        assert_eq!(
            page.matches("<details").count(),
            page.matches("</details>").count()
        );
    }

    #[test]
    fn the_csp_allows_exactly_the_inline_script() {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(SCRIPT.as_bytes());
        assert_eq!(SCRIPT_HASH, format!("sha256-{}", base64(&digest)));
        assert_eq!(base64(b"ab"), "YWI=");
    }

    #[test]
    fn time_axis_ticks_are_round_and_few() {
        assert_eq!(tick_step(48), 5);
        assert_eq!(tick_step(4093), 600);
        assert_eq!(tick_step(86_400), 10_800);
        assert_eq!(tick_step(30 * 86_400), 4 * 86_400);
        for span in [1, 59, 3600, 100_000, 10_000_000] {
            assert!(span / tick_step(span) <= 10, "{span}");
        }
        assert_eq!(tick_label(1_795_881_600, 600, true), "2026-11-28 16:00");
        assert_eq!(tick_label(1_795_881_600, 600, false), "16:00");
        assert_eq!(tick_label(1_795_881_605, 5, false), "16:00:05");
    }
}
