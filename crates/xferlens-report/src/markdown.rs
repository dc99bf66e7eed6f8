//! Markdown reports that paste cleanly into a ticket or a GitHub issue:
//! headings, tables, failed items first. All log text is escaped with
//! [`crate::escape::markdown`], so it can neither break a table nor inject
//! markup.

use std::io::{self, Write};

use xferlens_replay::{detail_kinds, whm_state, Item, ItemStatus, Session};

use crate::escape::markdown as m;
use crate::escape::markdown_code as code;
use crate::rows::{AccountRow, ItemRow, ACCOUNT_COLUMNS, ITEM_COLUMNS};
use crate::time::{bytes, duration, rfc3339_opt};
use crate::Options;

fn table_header<W: Write>(out: &mut W, cols: &[&str]) -> io::Result<()> {
    writeln!(out, "| {} |", cols.join(" | "))?;
    writeln!(out, "|{}|", vec!["---"; cols.len()].join("|"))
}

fn row<W: Write>(out: &mut W, cells: &[String]) -> io::Result<()> {
    writeln!(
        out,
        "| {} |",
        cells
            .iter()
            .map(|c| if c.is_empty() {
                " ".to_owned()
            } else {
                c.clone()
            })
            .collect::<Vec<_>>()
            .join(" | ")
    )
}

/// Writes the full Markdown report of one session.
pub fn session<W: Write>(s: &Session, o: &Options, out: &mut W) -> io::Result<()> {
    writeln!(
        out,
        "## Transfer session {}: {}\n",
        code(&s.id),
        s.state.as_str()
    )?;
    table_header(out, &["", ""])?;
    let mut facts: Vec<(&str, String)> = vec![
        ("WHM state", whm_state(s)),
        ("Progress", format!("{:.1}%", s.percent())),
    ];
    if let Some(h) = &s.remote_host {
        facts.push(("Source host", m(h)));
    }
    if let Some(i) = &s.initiator {
        facts.push(("Initiator", m(i)));
    }
    if let Some(v) = &s.version {
        facts.push(("Log format", m(v)));
    }
    facts.push(("Started", rfc3339_opt(s.started_at)));
    facts.push(("Finished", rfc3339_opt(s.finished_at)));
    facts.push(("Duration", s.duration_s().map(duration).unwrap_or_default()));
    facts.push(("Skipped lines", s.skipped_lines.to_string()));
    facts.push(("Diagnostics", s.diagnostics.len().to_string()));
    for (k, v) in facts {
        row(out, &[format!("**{k}**"), v])?;
    }
    writeln!(out)?;
    writeln!(out, "### Queues\n")?;
    table_header(
        out,
        &[
            "Queue",
            "State",
            "Items",
            "Completed",
            "Had warnings",
            "Failed",
            "Running",
            "Pending",
            "Bytes",
            "Percent",
        ],
    )?;
    for q in &s.queues {
        row(
            out,
            &[
                m(&q.name),
                q.state.whm_name(&m(&q.name)),
                q.items_total.to_string(),
                q.completed().to_string(),
                q.warning.to_string(),
                q.failed.to_string(),
                q.running.to_string(),
                q.pending.to_string(),
                if q.bytes_total > 0 {
                    format!("{} of {}", bytes(q.bytes_done), bytes(q.bytes_total as f64))
                } else {
                    String::new()
                },
                format!("{:.1}%", q.percent),
            ],
        )?;
    }
    writeln!(out)?;
    problems(out, s, ItemStatus::Failed, "Failed items", o)?;
    problems(out, s, ItemStatus::Warning, "Items with warnings", o)?;
    slowest(out, s)?;
    if !s.child_failures.is_empty() {
        writeln!(out, "### Worker crashes\n")?;
        table_header(out, &["Queue", "Child", "Retry", "Master line", "Item"])?;
        for c in &s.child_failures {
            row(
                out,
                &[
                    m(c.queue.as_deref().unwrap_or("")),
                    c.child.map(|x| x.to_string()).unwrap_or_default(),
                    m(c.retry.as_deref().unwrap_or("")),
                    c.line.to_string(),
                    c.item.map(|i| m(&s.items[i].key())).unwrap_or_default(),
                ],
            )?;
        }
        writeln!(out)?;
    }
    if !s.diagnostics.is_empty() {
        writeln!(out, "### Diagnostics\n")?;
        table_header(out, &["File", "Line", "Kind", "Message"])?;
        for d in s.diagnostics.iter().take(o.max_diagnostics) {
            row(
                out,
                &[
                    m(&d.source),
                    d.line.to_string(),
                    d.kind.code().to_owned(),
                    m(&d.kind.to_string()),
                ],
            )?;
        }
        if s.diagnostics.len() > o.max_diagnostics {
            writeln!(
                out,
                "\n… and {} more (run `xferlens check`).",
                s.diagnostics.len() - o.max_diagnostics
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// "Account bob": the item's label and name, escaped.
fn item_label(it: &Item) -> String {
    m(&format!(
        "{} {}",
        it.item_name.as_deref().unwrap_or(&it.item_type),
        it.item
    ))
}

fn problems<W: Write>(
    out: &mut W,
    s: &Session,
    status: ItemStatus,
    title: &str,
    o: &Options,
) -> io::Result<()> {
    let list: Vec<&Item> = s.items.iter().filter(|i| i.status == status).collect();
    if list.is_empty() {
        return Ok(());
    }
    writeln!(out, "### {title} ({})\n", list.len())?;
    table_header(
        out,
        &[
            "Queue",
            "Item",
            "Local name",
            "Reason",
            "Warnings",
            "Skipped",
            "Dangerous",
            "Altered",
        ],
    )?;
    for it in &list {
        let c = &it.counts;
        let mut reason = m(&crate::modules::reason(it).unwrap_or_default());
        if it.cascaded {
            reason.push_str(" (cascade)");
        }
        if it.worker_crashed {
            reason.push_str(" (worker crashed)");
        }
        row(
            out,
            &[
                m(&it.queue),
                item_label(it),
                m(it.local_item.as_deref().unwrap_or("")),
                reason,
                c.warnings.to_string(),
                c.skipped_items.to_string(),
                c.dangerous_items.to_string(),
                c.altered_items.to_string(),
            ],
        )?;
    }
    writeln!(out)?;
    for it in &list {
        let mut lines = Vec::new();
        for (kind, recs) in detail_kinds(&it.details) {
            for d in recs {
                let origin = d.origin();
                lines.push(format!(
                    "- {kind}: {}{}",
                    if origin.is_empty() {
                        String::new()
                    } else {
                        format!("{} ", m(&format!("[{origin}]")))
                    },
                    m(&d.text)
                ));
            }
        }
        if let Some(log) = &it.log {
            for l in log.errors.iter().take(o.max_log_lines) {
                lines.push(format!("- {}:{}: {}", m(&log.file), l.line, m(&l.text)));
            }
        }
        if !lines.is_empty() {
            writeln!(out, "**{}**\n", m(&it.key()))?;
            for l in lines {
                writeln!(out, "{l}")?;
            }
            writeln!(out)?;
        }
    }
    Ok(())
}

/// The slowest restores of a session with their three longest steps.
fn slowest<W: Write>(out: &mut W, s: &Session) -> io::Result<()> {
    let slow = crate::modules::slowest(s, 10);
    if slow.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "### Slowest items, by restore step
"
    )?;
    table_header(out, &["Queue", "Item", "Duration", "Longest steps"])?;
    for it in slow {
        row(
            out,
            &[
                m(&it.queue),
                item_label(it),
                it.duration_s().map(duration).unwrap_or_default(),
                m(&crate::modules::breakdown(it, 3)),
            ],
        )?;
    }
    writeln!(out)
}

/// The restore modules over many sessions: how often each ran and
/// failed, its median and p90 time, and where it took longest.
pub fn module_stats<W: Write>(stats: &crate::modules::ModuleStats, out: &mut W) -> io::Result<()> {
    if stats.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "## Restore modules
"
    )?;
    table_header(
        out,
        &[
            "Module", "Runs", "Failed", "Median", "p90", "Total", "Slowest",
        ],
    )?;
    for st in stats.by_total_time() {
        let slow: Vec<String> = st
            .slowest
            .iter()
            .map(|(d, sid, item)| format!("{} {} ({})", code(sid), m(item), duration(*d)))
            .collect();
        row(
            out,
            &[
                m(&st.name),
                st.runs.to_string(),
                st.failed.to_string(),
                crate::modules::dur(st.quantile(0.5)),
                crate::modules::dur(st.quantile(0.9)),
                duration(st.total_s()),
                slow.join(", "),
            ],
        )?;
    }
    writeln!(out)
}

/// Writes the report of several sessions: an overview table (worst first)
/// when there is more than one, then each session.
pub fn report<W: Write>(sessions: &[Session], o: &Options, out: &mut W) -> io::Result<()> {
    writeln!(out, "# xferlens report\n")?;
    if sessions.len() > 1 {
        let mut stats = crate::modules::ModuleStats::default();
        sessions.iter().for_each(|s| stats.add(s));
        module_stats(&stats, out)?;
        fleet_overview(sessions, out)?;
    }
    for s in crate::worst_first(sessions) {
        session(s, o, out)?;
    }
    Ok(())
}

/// The overview table of many sessions, worst first.
pub fn fleet_overview<W: Write>(sessions: &[Session], out: &mut W) -> io::Result<()> {
    writeln!(out, "{}\n", crate::FleetTotals::of(sessions).sentence())?;
    table_header(
        out,
        &[
            "Session",
            "State",
            "Source host",
            "Started",
            "Duration",
            "Failed",
            "Warnings",
            "Pending",
            "Percent",
            "Diagnostics",
            "Skipped lines",
        ],
    )?;
    for s in crate::worst_first(sessions) {
        let count = |st: ItemStatus| s.items_with(st).count();
        let pending: u64 = s
            .queues
            .iter()
            .map(|q| q.pending)
            .fold(0, u64::saturating_add);
        row(
            out,
            &[
                code(&s.id),
                s.state.as_str().to_owned(),
                m(s.remote_host.as_deref().unwrap_or("")),
                rfc3339_opt(s.started_at),
                s.duration_s().map(duration).unwrap_or_default(),
                count(ItemStatus::Failed).to_string(),
                s.queues
                    .iter()
                    .map(|q| q.warning)
                    .fold(0, u64::saturating_add)
                    .to_string(),
                pending.to_string(),
                format!("{:.1}%", s.percent()),
                s.diagnostics.len().to_string(),
                s.skipped_lines.to_string(),
            ],
        )?;
    }
    writeln!(out)
}

/// Writes item rows as a Markdown table.
pub fn items<W: Write>(sessions: &[Session], accounts: bool, out: &mut W) -> io::Result<()> {
    if accounts {
        table_header(out, &ACCOUNT_COLUMNS)?;
        for s in sessions {
            for a in s.accounts() {
                row(out, &AccountRow::new(s, &a).cells().map(|c| m(&c)))?;
            }
        }
    } else {
        table_header(out, &ITEM_COLUMNS)?;
        for s in sessions {
            for it in s.items_by_queue() {
                row(out, &ItemRow::new(s, it).cells().map(|c| m(&c)))?;
            }
        }
    }
    Ok(())
}

/// The fleet report of `batch`: overview (worst first) and the failed items
/// of each session that has any.
pub fn fleet<W: Write>(
    sessions: &[Session],
    stats: &crate::modules::ModuleStats,
    out: &mut W,
) -> io::Result<()> {
    writeln!(out, "# xferlens batch report\n")?;
    module_stats(stats, out)?;
    fleet_overview(sessions, out)?;
    for (s, failed) in crate::failures_worst_first(sessions) {
        writeln!(out, "## {}: {} failed item(s)\n", code(&s.id), failed.len())?;
        table_header(out, &["Queue", "Item", "Reason"])?;
        for it in failed {
            row(
                out,
                &[
                    m(&it.queue),
                    m(&format!("{} {}", it.item_type, it.item)),
                    m(&crate::modules::reason(it).unwrap_or_default()),
                ],
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
}
