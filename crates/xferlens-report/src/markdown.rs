//! Markdown reports that paste cleanly into a ticket or a GitHub issue:
//! headings, tables, failed items first. All log text is escaped with
//! [`crate::escape::markdown`], so it can neither break a table nor inject
//! markup.

use std::io::{self, Write};

use xferlens_replay::{detail_kinds, whm_state, Excerpt, Item, ItemStatus, Session};

use crate::escape::markdown as m;
use crate::escape::markdown_code as code;
use crate::logtext::plain_lines;
use crate::rows::QueueProgress;
use crate::rows::{
    AccountRow, ItemLine, ItemRow, QueueLine, ACCOUNT_COLUMNS, ITEMS_SHOWN, ITEM_COLUMNS,
};
use crate::time::rfc3339_opt;
use crate::view::{Cell, Row};
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
    facts.push(("Duration", crate::session_duration(s).unwrap_or_default()));
    facts.push(("Skipped lines", s.skipped_lines.to_string()));
    facts.push(("Diagnostics", s.diagnostics.len().to_string()));
    if !s.unmentioned_logs.is_empty() {
        let names: Vec<String> = s
            .unmentioned_logs
            .iter()
            .take(10)
            .map(|n| code(n))
            .collect();
        facts.push((
            "Unlisted item logs (in no total)",
            format!("{}: {}", s.unmentioned_logs.len(), names.join(", ")),
        ));
    }
    if let Some(age) = crate::stale_for(s, o) {
        facts.push(("Stale", crate::stale_fact(s, age)));
    }
    for (k, v) in facts.into_iter().filter(|(_, v)| !v.is_empty()) {
        writeln!(out, "- **{k}:** {v}")?;
    }
    writeln!(out)?;
    writeln!(out, "### Queues\n")?;
    let queues = s.queues.iter().map(|q| QueueLine(QueueProgress(q)));
    crate::shown::markdown(out, queues, &crate::rows::QUEUES_MARKDOWN)?;
    writeln!(out)?;
    causes(out, s, o)?;
    problems(out, s, ItemStatus::Failed, "Failed items", o)?;
    problems(out, s, ItemStatus::Warning, "Items with warnings", o)?;
    slowest(out, s)?;
    if !s.child_failures.is_empty() {
        writeln!(out, "### Worker crashes\n")?;
        let rows = s
            .child_failures
            .iter()
            .map(|c| crate::rows::ChildFailureRow::new(s, c));
        crate::shown::markdown(out, rows, &crate::rows::CHILD_FAILURES_SHOWN)?;
        writeln!(out)?;
    }
    if !s.diagnostics.is_empty() {
        writeln!(out, "### Diagnostics\n")?;
        let shown = o.max_diagnostics.min(rows(o));
        let rows = crate::fleet::diagnostic_rows(s).take(shown);
        crate::shown::markdown(out, rows, &crate::fleet::DIAGNOSTICS_SHOWN[..4])?;
        more(out, s.diagnostics.len(), shown, "`xferlens check`")?;
    }
    Ok(())
}

/// Rows shown per list: all with `--full`, else `o.md_rows`.
fn rows(o: &Options) -> usize {
    if o.full {
        usize::MAX
    } else {
        o.md_rows.max(1)
    }
}

/// GitHub's limit on an issue or comment body, in characters: a report
/// stays under it unless `--full` is given, so "paste into a ticket"
/// works at any size.
pub const LIMIT: usize = 65_536;

/// Characters (not bytes) of UTF-8 text.
fn chars(b: &[u8]) -> usize {
    b.iter().filter(|&&c| c & 0xC0 != 0x80).count()
}

/// Renders with fewer and fewer rows per list until the text fits
/// [`LIMIT`]; as a last resort cuts it at a line, saying so. With
/// `o.full` it renders once, uncut.
fn fitted<W: Write>(
    o: &Options,
    out: &mut W,
    render: impl Fn(&Options, &mut Vec<u8>) -> io::Result<()>,
) -> io::Result<()> {
    let mut buf = Vec::new();
    if o.full {
        render(o, &mut buf)?;
        return out.write_all(&buf);
    }
    for n in [o.md_rows, 10, 5, 2, 1] {
        buf.clear();
        let fewer = Options {
            md_rows: n.min(o.md_rows),
            ..o.clone()
        };
        render(&fewer, &mut buf)?;
        if chars(&buf) <= LIMIT {
            return out.write_all(&buf);
        }
    }
    let note =
        "\n… cut here to stay under GitHub's 65,536 characters: run with --full for all of it.\n";
    let mut end = 0;
    let mut count = 0;
    let room = LIMIT - note.len();
    for (i, &c) in buf.iter().enumerate() {
        if c & 0xC0 != 0x80 {
            count += 1;
            if count > room {
                break;
            }
        }
        if c == b'\n' {
            end = i + 1;
        }
    }
    out.write_all(&buf[..end])?;
    out.write_all(note.as_bytes())
}

/// "Account bob": the item's label and name, escaped.
fn item_label(it: &Item) -> String {
    m(&it.label())
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
    let total = list.len();
    let list: Vec<&Item> = list.into_iter().take(rows(o)).collect();
    let lines: Vec<ItemLine> = list.iter().map(|it| ItemLine::new(s, it)).collect();
    let cols = crate::rows::items_shown(&lines);
    crate::shown::markdown(out, lines, &cols)?;
    more(
        out,
        total,
        list.len(),
        "`xferlens items --status failed,warning`",
    )?;
    for (n, it) in list.iter().enumerate() {
        item_notes(out, it, o, n < excerpt_items(o))?;
    }
    Ok(())
}

/// Items per list (and per fleet report) whose log excerpt is shown:
/// the first few, so a report with many failures keeps to [`LIMIT`]; all
/// of them with `--full`.
fn excerpt_items(o: &Options) -> usize {
    if o.full {
        usize::MAX
    } else {
        rows(o).min(EXCERPT_ITEMS)
    }
}

/// Items of a list that get their excerpt when not `full`.
pub const EXCERPT_ITEMS: usize = 5;

/// An item's detail records, then its log excerpt (`excerpt`: when it
/// has one) or, without one, its error lines that say more than its
/// reason, under a heading that names it.
fn item_notes<W: Write>(out: &mut W, it: &Item, o: &Options, excerpt: bool) -> io::Result<()> {
    let mut lines = Vec::new();
    for (kind, recs) in detail_kinds(&it.details) {
        for d in recs {
            let origin = crate::detail_origin(d);
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
    let shown = it
        .log
        .as_deref()
        .and_then(|l| l.excerpt.as_ref().map(|e| (l.file.as_str(), e)))
        .filter(|_| excerpt);
    if let (Some(log), None) = (&it.log, shown) {
        // Log lines that only repeat the reason are left out.
        let said = crate::modules::reason(it).unwrap_or_default();
        let new = log.errors.iter().filter(|l| !said.contains(l.text.trim()));
        for l in new.take(o.max_log_lines) {
            lines.push(format!("- {}:{}: {}", m(&log.file), l.line, m(&l.text)));
        }
    }
    if lines.is_empty() && shown.is_none() {
        return Ok(());
    }
    writeln!(out, "**{} {}**\n", m(&it.queue), item_label(it))?;
    for l in &lines {
        writeln!(out, "{l}")?;
    }
    if !lines.is_empty() {
        writeln!(out)?;
    }
    if let Some((file, e)) = shown {
        excerpt_block(out, file, e)?;
    }
    Ok(())
}

/// An excerpt as a fenced `text` block, after a line naming its file.
/// Log text cannot end the block: control characters and escape
/// sequences are gone, and the fence is longer than any run of
/// backticks inside it.
pub fn excerpt_block<W: Write>(out: &mut W, file: &str, e: &Excerpt) -> io::Result<()> {
    let lines = plain_lines(&e.lines, true);
    let run = lines
        .iter()
        .flat_map(|l| l.text.split(|c| c != '`'))
        .map(str::len)
        .max()
        .unwrap_or(0);
    let fence = "`".repeat(run.max(2) + 1);
    let from = if e.from_file {
        "Log lines of"
    } else {
        "Error lines kept from (in an archive, without the lines before them)"
    };
    writeln!(out, "{from} {}:\n", code(file))?;
    writeln!(out, "{fence}text")?;
    for l in &lines {
        writeln!(out, "{}", l.text)?;
    }
    writeln!(out, "{fence}\n")
}

/// The failures of one session grouped by cause (the fleet's normalised
/// causes), cascades counted under their TRANSFER cause; only when more
/// than one item failed.
fn causes<W: Write>(out: &mut W, s: &Session, o: &Options) -> io::Result<()> {
    if s.items_with(ItemStatus::Failed).nth(1).is_none() {
        return Ok(());
    }
    let mut f = crate::fleet::FleetStats::default();
    f.add(s);
    let causes = f.independent_causes();
    writeln!(out, "### Failure causes ({})\n", causes.len())?;
    let shown = causes.iter().take(rows(o));
    crate::shown::markdown(out, shown, &crate::fleet::SESSION_CAUSES_MARKDOWN)?;
    more(out, causes.len(), rows(o), "`xferlens report --full`")
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
    let lines = slow.into_iter().map(|it| ItemLine::new(s, it));
    crate::shown::markdown(out, lines, &crate::rows::SLOWEST_SHOWN)?;
    writeln!(out)
}

/// "… and N more: see FILE" under a cut list.
fn more<W: Write>(out: &mut W, total: usize, shown: usize, file: &str) -> io::Result<()> {
    if total > shown {
        writeln!(out, "\n… and {} more: see {file}.", total - shown)?;
    }
    writeln!(out)
}

/// The source hosts, in two tables that each answer one question: the
/// hosts with failures, most failed items first, and the hosts by
/// account throughput, slowest first; `n` rows each.
fn host_tables<W: Write>(a: &crate::fleet::Answers<'_>, n: usize, out: &mut W) -> io::Result<()> {
    let hosts = crate::fleet::host_rows(a.fleet, a.histories);
    let tables = [
        (
            "Source hosts with the most failures",
            crate::fleet::hosts_by_failures(&hosts),
            &crate::fleet::HOSTS_FAILED_SHOWN[..],
        ),
        (
            "Slowest source hosts (per-account throughput)",
            crate::fleet::hosts_by_throughput(&hosts),
            &crate::fleet::HOSTS_SHOWN[..],
        ),
    ];
    for (title, rows, shown) in tables {
        if rows.is_empty() {
            continue;
        }
        writeln!(out, "## {title}\n")?;
        crate::shown::markdown(out, rows.iter().take(n), shown)?;
        more(out, rows.len(), n, "hosts.csv")?;
    }
    Ok(())
}

/// The answers over many sessions, in the order people ask: what to
/// re-run, why things failed, which source hosts, which accounts were
/// slow or large, and when.
pub fn answers<W: Write>(
    a: &crate::fleet::Answers<'_>,
    o: &Options,
    out: &mut W,
) -> io::Result<()> {
    let n = rows(o);
    let list = a.retry_list();
    let accounts = a.histories.iter().filter(|h| h.key.is_account()).count();
    writeln!(
        out,
        "**{accounts} accounts; {} to re-run; {} failed items in {} failed accounts.**\n",
        list.accounts.len(),
        a.fleet.failed_items,
        a.fleet.failed_accounts
    )?;
    writeln!(out, "## Accounts to re-run ({})\n", list.accounts.len())?;
    if list.in_progress > 0 {
        writeln!(
            out,
            "{} account(s) still in progress in a running session are not listed.\n",
            list.in_progress
        )?;
    }
    if list.unnamed.len() <= crate::accounts::UNNAMED_SENTENCES {
        for u in &list.unnamed {
            writeln!(out, "{}\n", crate::escape::markdown(&u.sentence()))?;
        }
    } else {
        // Many sessions: one sentence, then a short table.
        writeln!(
            out,
            "{}\n",
            crate::escape::markdown(&crate::accounts::unnamed_total(&list.unnamed))
        )?;
        writeln!(
            out,
            "| Session | Source host | Items never started |\n|---|---|---:|"
        )?;
        for u in list.unnamed.iter().take(n) {
            writeln!(
                out,
                "| {} | {} | {} |",
                crate::escape::markdown_code(&u.session_id),
                crate::escape::markdown(&u.remote_host),
                u.items
            )?;
        }
        more(out, list.unnamed.len(), n, "`xferlens retry`")?;
    }
    if !list.accounts.is_empty() {
        let rows = list
            .accounts
            .iter()
            .take(n)
            .map(|h| crate::accounts::RetryRow(h));
        crate::shown::markdown(out, rows, &crate::accounts::RETRY_SHOWN)?;
        more(
            out,
            list.accounts.len(),
            n,
            "accounts.csv or `xferlens retry`",
        )?;
    }
    let causes = a.fleet.independent_causes();
    if !causes.is_empty() {
        writeln!(out, "## Top failure causes\n")?;
        // A cascade follows from its TRANSFER cause: shown with it.
        let rows = causes.iter().take(n);
        crate::shown::markdown(out, rows, &crate::fleet::CAUSES_MARKDOWN)?;
        more(out, causes.len(), n, "causes.csv")?;
    }
    host_tables(a, n, out)?;
    for (title, runs) in a.fleet.account_lists() {
        if runs.is_empty() {
            continue;
        }
        writeln!(out, "## {title}\n")?;
        let rows = runs.iter().take(n.min(10));
        crate::shown::markdown(out, rows, &crate::fleet::ACCOUNT_RUNS_SHOWN)?;
        writeln!(out)?;
    }
    module_stats(a.modules, out)?;
    if !a.fleet.days.is_empty() {
        writeln!(out, "## Per day\n")?;
        let days = &a.fleet.days;
        let lines = days
            .iter()
            .rev()
            .take(n)
            .map(|(day, st)| crate::fleet::DayLine { day, st });
        crate::shown::markdown(out, lines, &crate::fleet::DAYS_SHOWN)?;
        more(out, days.len(), n, "sessions.csv")?;
    }
    Ok(())
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
    let lines = crate::modules::ModuleLine::of(stats);
    crate::shown::markdown(out, lines, &crate::modules::MODULES_MARKDOWN)?;
    writeln!(out)
}

/// Writes the report of several sessions: the answers and an overview
/// table (worst first) when there is more than one, then each session
/// (the worst `md_rows` of them unless `full`). Stays under [`LIMIT`]
/// characters unless `o.full`.
pub fn report<W: Write>(sessions: &[Session], o: &Options, out: &mut W) -> io::Result<()> {
    let gathered = (sessions.len() > 1).then(|| crate::fleet::gather(sessions, o));
    fitted(o, out, |o, out| {
        writeln!(out, "# xferlens report\n")?;
        if let Some((modules, fleet, histories, unnamed)) = &gathered {
            let a = crate::fleet::Answers {
                modules,
                fleet,
                histories,
                unnamed,
            };
            answers(&a, o, out)?;
            writeln!(out, "## Sessions\n")?;
            fleet_overview(sessions, o, out)?;
        }
        let worst = crate::worst_first(sessions);
        for s in worst.iter().take(rows(o)) {
            session(s, o, out)?;
        }
        if worst.len() > rows(o) {
            writeln!(
                out,
                "… and {} more sessions: run with --full, or report them one by one.",
                worst.len() - rows(o)
            )?;
        }
        Ok(())
    })
}

/// The overview table of many sessions, worst first.
pub fn fleet_overview<W: Write>(sessions: &[Session], o: &Options, out: &mut W) -> io::Result<()> {
    writeln!(out, "{}\n", crate::FleetTotals::of(sessions).sentence())?;
    let worst = crate::worst_first(sessions);
    let lines = worst
        .iter()
        .take(rows(o))
        .enumerate()
        .map(|(n, s)| crate::rows::SessionLine::new(s, n, None));
    crate::shown::markdown(out, lines, &crate::rows::SESSIONS_MARKDOWN)?;
    more(out, worst.len(), rows(o), "sessions.csv (`xferlens batch`)")
}

/// A view cell as Markdown: text escaped, numbers as they are.
fn md_cell(c: &Cell<'_>) -> String {
    m(&c.to_text())
}

/// Writes item rows as a Markdown table.
pub fn items<W: Write>(sessions: &[Session], accounts: bool, out: &mut W) -> io::Result<()> {
    if accounts {
        table_header(out, ACCOUNT_COLUMNS)?;
        for s in sessions {
            for a in s.accounts() {
                row(out, &AccountRow::new(s, &a).cells().map(|c| md_cell(&c)))?;
            }
        }
    } else {
        table_header(out, ITEM_COLUMNS)?;
        for s in sessions {
            for it in s.items_by_queue() {
                row(out, &ItemRow::new(s, it).cells().map(|c| md_cell(&c)))?;
            }
        }
    }
    Ok(())
}

/// The fleet report of `batch`: the answers, the overview (worst first)
/// and the failed items of each session that has any. Stays under
/// [`LIMIT`] characters unless `o.full`.
pub fn fleet<W: Write>(
    sessions: &[Session],
    a: &crate::fleet::Answers<'_>,
    o: &Options,
    out: &mut W,
) -> io::Result<()> {
    let failing = crate::failures_worst_first(sessions);
    fitted(o, out, |o, out| {
        writeln!(out, "# xferlens batch report\n")?;
        answers(a, o, out)?;
        writeln!(out, "## Sessions\n")?;
        fleet_overview(sessions, o, out)?;
        // Excerpts for the first few failed items of the worst sessions.
        let mut excerpts = excerpt_items(o);
        for (s, failed) in failing.iter().take(rows(o)) {
            writeln!(out, "## {}: {} failed item(s)\n", code(&s.id), failed.len())?;
            let lines = failed.iter().take(rows(o)).map(|it| ItemLine::new(s, it));
            let cols = [ITEMS_SHOWN[0], ITEMS_SHOWN[1], ITEMS_SHOWN[3]];
            crate::shown::markdown(out, lines, &cols)?;
            more(out, failed.len(), rows(o), "items.csv")?;
            for it in failed.iter().take(rows(o)) {
                let Some((file, e)) = it
                    .log
                    .as_deref()
                    .and_then(|l| Some((&l.file, l.excerpt.as_ref()?)))
                else {
                    continue;
                };
                if excerpts == 0 {
                    break;
                }
                excerpts -= 1;
                writeln!(out, "**{} {}**\n", m(&it.queue), item_label(it))?;
                excerpt_block(out, file, e)?;
            }
        }
        if failing.len() > rows(o) {
            writeln!(
                out,
                "… and {} more sessions with failed items: see items.csv.",
                failing.len() - rows(o)
            )?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use xferlens_replay::{EntryKind, ExcerptLine};

    fn line(n: u64, kind: EntryKind, text: &str) -> ExcerptLine {
        ExcerptLine {
            line: n,
            kind,
            module: Some("Mysql".into()),
            indent: 1,
            text: text.to_owned(),
            gap_before: n == 9,
        }
    }

    #[test]
    fn an_excerpt_block_cannot_be_broken_by_its_text() {
        let e = Excerpt {
            lines: vec![
                line(4, EntryKind::Out, "```` close?\n```"),
                line(
                    5,
                    EntryKind::Warn,
                    "\u{1b}[31mred\u{1b}]0;title\u{7} </pre><script>x</script>",
                ),
                line(9, EntryKind::Error, "disk full"),
            ],
            from_file: true,
        };
        let mut out = Vec::new();
        excerpt_block(&mut out, "item-`x`", &e).unwrap();
        let md = String::from_utf8(out).unwrap();
        assert!(
            md.starts_with("Log lines of `item-'x'`:\n\n`````text\n"),
            "{md}"
        );
        let body: Vec<&str> = md.lines().skip(3).take_while(|l| *l != "`````").collect();
        assert_eq!(
            body,
            [
                "   4  Mysql        ```` close?",
                "                   ```",
                "   5  Mysql        red </pre><script>x</script>",
                "   …",
                "   9  Mysql        disk full",
            ]
        );
        assert!(md.ends_with("`````\n\n"));
        assert!(!md.contains('\u{1b}') && !md.contains('\u{7}'));
    }
}
