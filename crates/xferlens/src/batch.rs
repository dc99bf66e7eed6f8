//! `batch`: many sessions in parallel into a folder of outputs. Sessions
//! are loaded in parallel in ordered chunks and their rows written as each
//! chunk completes, so output order is stable and only a slim copy of each
//! session (its problem items) is kept for the fleet reports.

use std::fs;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use xferlens_replay::{fill_excerpts, ItemStatus, Session};
use xferlens_report::csv::CsvOut;
use xferlens_report::rows::{ItemRow, SessionRow, ITEM_COLUMNS, SESSION_COLUMNS};
use xferlens_report::{html, markdown};

use xferlens_report::accounts::ACCOUNT_HISTORY_COLUMNS;
use xferlens_report::accounts::{
    attempts_in, histories_csv, AccountKey, Attempt, Histories, Unnamed,
};
use xferlens_report::escape::terminal as t;
use xferlens_report::fleet::{
    causes_csv, diagnostics_rows, hosts_csv, Answers, FleetStats, CAUSE_COLUMNS,
    DIAGNOSTIC_COLUMNS, HOST_COLUMNS,
};
use xferlens_report::modules::{ModuleStats, STAT_COLUMNS};
use xferlens_report::time::bytes;

use crate::commands::{diagnostics_line, print_diagnostics, report_line};
use crate::filters::Filters;
use crate::input::{damage, discover, load, load_each, Source};
use crate::output::{check_not_input, Output};
use crate::tables::{Layout, TableOut};
use crate::{Ctx, Outcome};
use xferlens_report::DiagnosticCounts;

/// Failed items per session whose log excerpt batch keeps for its
/// reports (report.md shows the first few, report.html those of the
/// worst sessions).
const EXCERPT_ITEMS: usize = 3;

/// Sessions loaded at once; bounds memory and keeps output order stable.
const CHUNK: usize = 64;

/// CSV text rendered into memory by `f`.
fn csv_bytes(
    raw: bool,
    f: impl FnOnce(&mut CsvOut<Vec<u8>>) -> std::io::Result<()>,
) -> std::io::Result<Vec<u8>> {
    let mut c = CsvOut::new(Vec::new(), raw);
    f(&mut c)?;
    c.into_inner()
}

/// One session's share of the outputs, rendered on a worker thread: its
/// CSV rows, its counts, and the slim copy kept for the fleet reports.
struct Rendered {
    /// Which input (the index of its source) it came from.
    source: usize,
    session: Session,
    session_row: Vec<u8>,
    item_rows: Vec<u8>,
    failed: usize,
    warnings: usize,
    damage: Option<String>,
    modules: ModuleStats,
    attempts: Vec<(AccountKey, Attempt)>,
    /// Its queued items never started nor named, once it has ended.
    unnamed: Option<Unnamed>,
    fleet: FleetStats,
    diagnostic_rows: Vec<u8>,
    /// The session, item and diagnostic rows typed for Parquet, when it is
    /// written: made from the same view rows as the CSV, never from its
    /// text.
    typed: Option<Typed>,
}

/// The session, item and diagnostic rows of one session for Parquet
/// (with no `parquet` feature, a type with no value).
type Typed = [crate::tables::Typed; 3];

/// The Parquet rows of `s` (see [`Rendered::typed`]). A cell Parquet
/// cannot hold is a null there, noted in the rows; it costs no row.
#[cfg(feature = "parquet")]
fn typed_rows(s: &Session) -> Typed {
    use xferlens_report::parquet::TypedRows;
    let mut t = [
        TypedRows::new("sessions", SESSION_COLUMNS),
        TypedRows::new("items", ITEM_COLUMNS),
        TypedRows::new("diagnostics", DIAGNOSTIC_COLUMNS),
    ];
    t[0].push(&SessionRow::new(s));
    for it in s.items_by_queue() {
        t[1].push(&ItemRow::new(s, it));
    }
    for d in xferlens_report::fleet::diagnostic_rows(s) {
        t[2].push(&d);
    }
    t
}

fn render(s: Session, layout: &Layout, o: &xferlens_report::Options) -> Result<Rendered> {
    let raw = layout.raw_csv;
    // Only the formats asked for are rendered.
    let csv = |f: &dyn Fn(&mut CsvOut<Vec<u8>>) -> std::io::Result<()>| {
        if layout.csv {
            csv_bytes(raw, f)
        } else {
            Ok(Vec::new())
        }
    };
    let session_row = csv(&|c| c.record(&SessionRow::new(&s)))?;
    let item_rows = csv(&|c| {
        s.items_by_queue()
            .try_for_each(|it| c.record(&ItemRow::new(&s, it)))
    })?;
    let diagnostic_rows = csv(&|c| diagnostics_rows(&s, c))?;
    #[cfg(feature = "parquet")]
    let typed = layout.parquet.then(|| typed_rows(&s));
    #[cfg(not(feature = "parquet"))]
    let typed = None;
    let mut modules = ModuleStats::default();
    modules.add(&s);
    let accounts = s.accounts();
    let mut fleet = FleetStats::default();
    fleet.add_with(&s, &accounts);
    Ok(Rendered {
        source: 0,
        typed,
        fleet,
        diagnostic_rows,
        attempts: attempts_in(&s, &accounts, o),
        unnamed: Unnamed::of(&s, o),
        modules,
        damage: damage(&s),
        failed: s.items_with(ItemStatus::Failed).count(),
        warnings: s.items_with(ItemStatus::Warning).count(),
        session_row,
        item_rows,
        session: s.slim(),
    })
}

/// The open outputs and what is kept across chunks.
struct Sink {
    sessions: TableOut,
    items: TableOut,
    kept: Vec<Session>,
    outcome: Outcome,
    modules: ModuleStats,
    accounts: Histories,
    unnamed: Vec<Unnamed>,
    fleet: FleetStats,
    diagnostics: TableOut,
    /// Diagnostics per kind, for the one-line summary.
    kinds: DiagnosticCounts,
    /// Bytes of logs read so far (for the progress bar).
    bytes: u64,
    /// Session ids written so far, with the input each came from: a
    /// session given twice is written once (the parts of a session split
    /// in one archive are not a second copy).
    seen: xferlens_replay::hash::Map<String, usize>,
}

impl Sink {
    /// Writes one session's results, in input order, on the calling thread.
    fn emit(&mut self, ctx: &Ctx, bar: &ProgressBar, r: Result<Rendered>) -> Result<()> {
        match r {
            Ok(r) if *self.seen.entry(r.session.id.clone()).or_insert(r.source) != r.source => {
                // The same session given twice (`DIR DIR`, a directory and
                // its tarball): its first copy, in input order, is kept.
                if !ctx.global.quiet {
                    crate::commands::report_line(
                        ctx,
                        &format!("session {} is given twice: read once", r.session.id),
                    );
                }
            }
            Ok(r) => {
                let [typed_sessions, typed_items, typed_diagnostics] = match r.typed {
                    Some([a, b, c]) => [Some(a), Some(b), Some(c)],
                    None => [None, None, None],
                };
                self.sessions.rows(&r.session_row, typed_sessions)?;
                self.items.rows(&r.item_rows, typed_items)?;
                self.outcome.diagnostics += r.session.diagnostics.len();
                self.outcome.failed_items += r.failed;
                self.outcome.warning_items += r.warnings;
                self.modules.merge(r.modules);
                self.accounts.add(r.attempts);
                self.unnamed.extend(r.unnamed);
                self.fleet.merge(r.fleet);
                self.diagnostics
                    .rows(&r.diagnostic_rows, typed_diagnostics)?;
                self.kinds.add(&r.session);
                self.bytes = self.bytes.saturating_add(r.session.volume.bytes);
                let secs = bar.elapsed().as_secs_f64().max(0.001);
                bar.set_message(format!(
                    "{} read, {}/s",
                    bytes(self.bytes as f64),
                    bytes(self.bytes as f64 / secs)
                ));
                if let Some(d) = r.damage {
                    self.outcome.input_errors += 1;
                    self.outcome.errors.push(d);
                }
                if ctx.global.verbose {
                    bar.suspend(|| print_diagnostics(std::slice::from_ref(&r.session), ctx));
                }
                self.kept.push(r.session);
            }
            Err(e) => {
                self.outcome.input_errors += 1;
                self.outcome.errors.push(format!("{e:#}"));
            }
        }
        Ok(())
    }
}

/// Loads and renders every source in input order into `out`. Runs of
/// session directories load in parallel chunks: chunk k is written while
/// chunk k + 1 loads and renders on the pool, so no core waits for the
/// writer and memory holds about two chunks. An archive or file streams
/// its sessions one at a time straight into the outputs, so memory stays
/// that of one session whatever it holds.
fn produce(
    sources: &[Source],
    ctx: &Ctx,
    filters: &Filters,
    layout: &Layout,
    bar: &ProgressBar,
    out: &mut Sink,
) -> Result<()> {
    // Sessions the filters leave out are skipped; items they leave out
    // are dropped before anything is counted.
    // The excerpts of report.md and report.html are read here, on the
    // workers, before the session is slimmed (a few failed items each).
    let o = ctx.document();
    let rendered =
        |r: Result<Session>, dir: Option<&Path>, source: usize| -> Option<Result<Rendered>> {
            let mut s = match r {
                Ok(s) => s,
                Err(e) => return Some(Err(e)),
            };
            if !filters.session_ok(&s) {
                return None;
            }
            xferlens_report::add_pending_restores(&mut s);
            filters.apply_items(&mut s);
            fill_excerpts(
                &mut s,
                dir,
                &[ItemStatus::Failed],
                EXCERPT_ITEMS,
                &ctx.read.parse,
            );
            Some(render(s, layout, &o).map(|mut r| {
                r.source = source;
                r
            }))
        };
    let load_chunk = |first: usize, chunk: &[Source]| -> Vec<Result<Rendered>> {
        let v: Vec<Vec<Result<Rendered>>> = chunk
            .par_iter()
            .enumerate()
            .map(|(k, src)| {
                let dir = match src {
                    Source::Dir(d) => Some(d.as_path()),
                    _ => None,
                };
                let r = load(src, None, &ctx.read)
                    .into_iter()
                    .filter_map(|r| rendered(r, dir, first + k))
                    .collect();
                bar.inc(1);
                r
            })
            .collect();
        v.into_iter().flatten().collect()
    };
    let emit_all = |out: &mut Sink, v: Vec<Result<Rendered>>| -> Result<()> {
        v.into_iter().try_for_each(|r| out.emit(ctx, bar, r))
    };
    let mut pending = Vec::new();
    let mut i = 0;
    while i < sources.len() {
        if !matches!(sources[i], Source::Dir(_)) {
            emit_all(out, std::mem::take(&mut pending))?;
            let mut failed = None;
            load_each(&sources[i], None, &ctx.read, &mut |r| {
                if failed.is_none() {
                    if let Some(r) = rendered(r, None, i) {
                        failed = out.emit(ctx, bar, r).err();
                    }
                }
            });
            bar.inc(1);
            if let Some(e) = failed {
                return Err(e);
            }
            i += 1;
            continue;
        }
        let end = (i..sources.len().min(i + CHUNK))
            .take_while(|&k| matches!(sources[k], Source::Dir(_)))
            .last()
            .map_or(i + 1, |k| k + 1);
        let (written, loaded) = rayon::join(
            || emit_all(out, std::mem::take(&mut pending)),
            || load_chunk(i, &sources[i..end]),
        );
        written?;
        pending = loaded;
        i = end;
    }
    emit_all(out, pending)
}

/// What `batch` writes, besides the sessions it reads.
#[derive(Clone, Debug)]
pub struct BatchOptions {
    /// The output directory.
    pub outdir: PathBuf,
    /// Formats and layout of the tables.
    pub layout: Layout,
    /// No progress bar.
    pub no_progress: bool,
    /// report.md without its size cap.
    pub full: bool,
    /// Also write the events table (the master-log timelines).
    pub events: bool,
}

/// The tables batch writes, by name: the CSV and Parquet files are
/// `<name>.csv` and `<name>.parquet`.
const TABLES: [&str; 7] = [
    "sessions",
    "items",
    "modules",
    "accounts",
    "causes",
    "hosts",
    "diagnostics",
];

/// The reports batch writes.
const REPORTS: [&str; 2] = ["report.md", "report.html"];

pub fn run(ctx: &Ctx, roots: &[PathBuf], filters: &Filters, o: &BatchOptions) -> Result<Outcome> {
    filters.validate()?;
    let outdir = o.outdir.as_path();
    let layout = &o.layout;
    let (sources, errs) = discover(roots);
    let mut tables: Vec<&str> = TABLES.to_vec();
    if o.events {
        tables.push("events");
    }
    let mut named: Vec<PathBuf> = REPORTS.iter().map(|n| outdir.join(n)).collect();
    for t in &tables {
        named.extend(layout.csv_path(outdir, t));
        named.extend(layout.parquet_path(outdir, t));
    }
    let mut outs: Vec<&Path> = named.iter().map(PathBuf::as_path).collect();
    outs.push(outdir);
    check_not_input(&outs, &sources)?;
    fs::create_dir_all(outdir).with_context(|| format!("{}: cannot create", outdir.display()))?;
    let bar = ProgressBar::new(sources.len() as u64);
    if o.no_progress || !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {bar:30} {pos}/{len} sessions · {msg} · {elapsed_precise} ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut out = Sink {
        sessions: TableOut::open(outdir, "sessions", SESSION_COLUMNS, layout)?,
        items: TableOut::open(outdir, "items", ITEM_COLUMNS, layout)?,
        kept: Vec::new(),
        modules: ModuleStats::default(),
        accounts: Histories::default(),
        unnamed: Vec::new(),
        fleet: FleetStats::default(),
        diagnostics: TableOut::open(outdir, "diagnostics", DIAGNOSTIC_COLUMNS, layout)?,
        kinds: Default::default(),
        bytes: 0,
        seen: Default::default(),
        outcome: Outcome {
            input_errors: errs.len(),
            errors: errs.iter().map(|e| format!("{e:#}")).collect(),
            ..Outcome::default()
        },
    };
    produce(&sources, ctx, filters, layout, &bar, &mut out)?;
    let Sink {
        sessions,
        items,
        kept,
        outcome,
        modules,
        accounts,
        unnamed,
        fleet,
        diagnostics,
        kinds,
        ..
    } = out;
    bar.finish_and_clear();
    let histories = accounts.finish();
    let answers = Answers {
        modules: &modules,
        fleet: &fleet,
        histories: &histories,
        unnamed: &unnamed,
    };
    let mut done: Vec<Output> = Vec::new();
    // Cells that Parquet cannot hold, written there as NULL: one line each.
    let mut nulled = Vec::new();
    for t in [sessions, items, diagnostics] {
        done.extend(t.finish(&mut nulled)?);
    }
    // The fleet tables and the two reports are independent: written side by side.
    let whole = |name: &str,
                 header: &[&str],
                 render: &dyn Fn(bool, &mut Vec<u8>) -> std::io::Result<()>,
                 nulled: &mut Vec<String>|
     -> Result<Vec<Output>> {
        let mut t = TableOut::open(outdir, name, header, layout)?;
        t.whole(layout, render)?;
        t.finish(nulled)
    };
    let tables = || -> Result<(Vec<Output>, Vec<String>)> {
        let mut nulled = Vec::new();
        let n = &mut nulled;
        let mut done = whole(
            "modules",
            STAT_COLUMNS,
            &|raw, b| xferlens_report::modules::stats_csv(&modules, raw, b),
            n,
        )?;
        done.extend(whole(
            "accounts",
            ACCOUNT_HISTORY_COLUMNS,
            &|raw, b| histories_csv(&histories, raw, b),
            n,
        )?);
        done.extend(whole(
            "causes",
            CAUSE_COLUMNS,
            &|raw, b| causes_csv(&fleet, raw, b),
            n,
        )?);
        done.extend(whole(
            "hosts",
            HOST_COLUMNS,
            &|raw, b| hosts_csv(&fleet, &histories, raw, b),
            n,
        )?);
        if o.events {
            done.extend(crate::events::batch_table(
                ctx, filters, &sources, outdir, layout, n,
            )?);
        }
        Ok((done, nulled))
    };
    let md = || -> Result<Output> {
        let mut md = Output::file(&outdir.join(REPORTS[0]))?;
        let md_options = xferlens_report::Options {
            full: o.full,
            ..Default::default()
        };
        markdown::fleet(&kept, &answers, &md_options, &mut md)?;
        Ok(md)
    };
    let page = || -> Result<Output> {
        let mut page = Output::file(&outdir.join(REPORTS[1]))?;
        html::fleet(&kept, &answers, &mut page)?;
        Ok(page)
    };
    let (tables, (md, page)) = rayon::join(tables, || rayon::join(md, page));
    let (tables, more_nulled) = tables?;
    done.extend(tables);
    nulled.extend(more_nulled);
    done.push(md?);
    done.push(page?);
    // Everything is written; put the files in place together.
    let written: Vec<String> = done.iter().map(|o| o.name().to_owned()).collect();
    for o in done {
        o.finish()?;
    }
    let f = xferlens_report::FleetTotals::of(&kept);
    let list = answers.retry_list();
    let mut out = Output::stdout(false);
    writeln!(
        out,
        "{} sessions: {} completed, {} failed or aborted, {} not finished",
        f.sessions, f.completed, f.failed, f.unfinished
    )?;
    writeln!(
        out,
        "{} accounts, {} to re-run ({} in progress left off); {} failed items in {} failed accounts",
        histories.iter().filter(|h| h.key.is_account()).count(),
        list.accounts.len(),
        list.in_progress,
        fleet.failed_items,
        fleet.failed_accounts
    )?;
    for line in fleet.independent_causes().into_iter().take(3) {
        let c = line.c;
        writeln!(
            out,
            "  {:>5}x {} {}{}",
            c.items,
            t(&c.queue),
            c.module
                .as_deref()
                .map(|m| format!("{}: ", t(m)))
                .unwrap_or_default(),
            t(&c.cause)
        )?;
    }
    let prefix = format!("{}/", outdir.display());
    let names: Vec<&str> = written
        .iter()
        .map(|w| w.strip_prefix(&prefix).unwrap_or(w))
        .collect();
    writeln!(
        out,
        "-> {}: {}",
        t(&outdir.display().to_string()),
        t(&names.join(" "))
    )?;
    out.finish()?;
    let listed = match layout.csv_path(outdir, "diagnostics") {
        Some(p) => format!(
            "listed in {}, and by `xferlens check`",
            t(&p.display().to_string())
        ),
        None => "`xferlens check` lists them".to_owned(),
    };
    if let Some(line) =
        diagnostics_line(&kinds, &listed).filter(|_| !ctx.global.quiet && !ctx.global.verbose)
    {
        eprintln!("{line}");
    }
    // The output is whole (every row and session written), so these are
    // no error: one line per cell, after the diagnostics line.
    if !ctx.global.quiet {
        let kept = if layout.csv { ", kept in the CSV" } else { "" };
        for line in &nulled {
            report_line(ctx, &format!("{line}{kept}"));
        }
    }
    // The process ends after this: freeing thousands of kept sessions and
    // account histories piece by piece would only delay the exit.
    std::mem::forget((kept, histories, fleet, modules));
    Ok(outcome)
}
