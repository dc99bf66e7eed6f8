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
use xferlens_replay::{ItemStatus, Session};
use xferlens_report::csv::CsvOut;
use xferlens_report::rows::{session_cells, ItemRow, ITEM_COLUMNS, SESSION_COLUMNS};
use xferlens_report::{html, markdown};

use xferlens_report::accounts::{
    attempts_in, histories_csv, retry_list, AccountKey, Attempt, Histories,
};
use xferlens_report::escape::terminal as t;
use xferlens_report::fleet::{
    causes_csv, diagnostics_rows, hosts_csv, Answers, FleetStats, DIAGNOSTIC_COLUMNS,
};
use xferlens_report::modules::ModuleStats;
use xferlens_report::time::bytes;

use crate::commands::{diagnostics_line, print_diagnostics, DiagnosticCounts};
use crate::filters::Filters;
use crate::input::{damage, discover, load, load_each, Source};
use crate::output::{check_not_input, Output};
use crate::{Ctx, Outcome};

/// Sessions loaded at once; bounds memory and keeps output order stable.
const CHUNK: usize = 64;

/// Keeps what the fleet reports need: the session's facts and counts, and
/// its failed and warned items without their logs. Capacity is released,
/// since thousands of these are kept.
fn slim(mut s: Session) -> Session {
    s.items
        .retain(|i| matches!(i.status, ItemStatus::Failed | ItemStatus::Warning));
    for it in &mut s.items {
        it.log = None;
        it.details = Default::default();
    }
    s.items.shrink_to_fit();
    s.workers = Vec::new();
    s.timeline = Vec::new();
    s.child_failures = Vec::new();
    s.unmentioned_logs = Vec::new();
    s.error_log = Vec::new();
    s.diagnostics.shrink_to_fit();
    s.queues.shrink_to_fit();
    s
}

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
    session: Session,
    session_row: Vec<u8>,
    item_rows: Vec<u8>,
    failed: usize,
    warnings: usize,
    damage: Option<String>,
    modules: ModuleStats,
    attempts: Vec<(AccountKey, Attempt)>,
    fleet: FleetStats,
    diagnostic_rows: Vec<u8>,
}

fn render(s: Session, raw: bool) -> std::io::Result<Rendered> {
    let session_row = csv_bytes(raw, |c| c.row(&session_cells(&s)))?;
    let item_rows = csv_bytes(raw, |c| {
        s.items_by_queue()
            .try_for_each(|it| ItemRow::new(&s, it).write_csv(c))
    })?;
    let mut modules = ModuleStats::default();
    modules.add(&s);
    let accounts = s.accounts();
    let mut fleet = FleetStats::default();
    fleet.add_with(&s, &accounts);
    let diagnostic_rows = csv_bytes(raw, |c| diagnostics_rows(&s, c))?;
    Ok(Rendered {
        fleet,
        diagnostic_rows,
        attempts: attempts_in(&s, &accounts),
        modules,
        damage: damage(&s),
        failed: s.items_with(ItemStatus::Failed).count(),
        warnings: s.items_with(ItemStatus::Warning).count(),
        session_row,
        item_rows,
        session: slim(s),
    })
}

/// The open outputs and what is kept across chunks.
struct Sink {
    sessions_csv: Output,
    items_csv: Output,
    kept: Vec<Session>,
    outcome: Outcome,
    modules: ModuleStats,
    accounts: Histories,
    fleet: FleetStats,
    diagnostics_csv: Output,
    /// Diagnostics per kind, for the one-line summary.
    kinds: DiagnosticCounts,
    /// Bytes of logs read so far (for the progress bar).
    bytes: u64,
}

impl Sink {
    /// Writes one session's results, in input order, on the calling thread.
    fn emit(&mut self, ctx: &Ctx, bar: &ProgressBar, r: Result<Rendered>) -> Result<()> {
        match r {
            Ok(r) => {
                self.sessions_csv.write_all(&r.session_row)?;
                self.items_csv.write_all(&r.item_rows)?;
                self.outcome.diagnostics += r.session.diagnostics.len();
                self.outcome.failed_items += r.failed;
                self.outcome.warning_items += r.warnings;
                self.modules.merge(r.modules);
                self.accounts.add(r.attempts);
                self.fleet.merge(r.fleet);
                self.diagnostics_csv.write_all(&r.diagnostic_rows)?;
                self.kinds.add(&r.session.diagnostics);
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
    raw_csv: bool,
    bar: &ProgressBar,
    out: &mut Sink,
) -> Result<()> {
    // Sessions the filters leave out are skipped; items they leave out
    // are dropped before anything is counted.
    let rendered = |r: Result<Session>| -> Option<Result<Rendered>> {
        let mut s = match r {
            Ok(s) => s,
            Err(e) => return Some(Err(e)),
        };
        if !filters.session_ok(&s) {
            return None;
        }
        xferlens_report::add_pending_restores(&mut s);
        filters.apply_items(&mut s);
        Some(render(s, raw_csv).map_err(anyhow::Error::from))
    };
    let load_chunk = |chunk: &[Source]| -> Vec<Result<Rendered>> {
        let v: Vec<Vec<Result<Rendered>>> = chunk
            .par_iter()
            .map(|src| {
                let r = load(src, None, &ctx.read)
                    .into_iter()
                    .filter_map(rendered)
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
                    if let Some(r) = rendered(r) {
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
            || load_chunk(&sources[i..end]),
        );
        written?;
        pending = loaded;
        i = end;
    }
    emit_all(out, pending)
}

/// The files batch writes, in the order they are put in place.
const OUTPUTS: [&str; 9] = [
    "sessions.csv",
    "items.csv",
    "modules.csv",
    "report.md",
    "report.html",
    "accounts.csv",
    "causes.csv",
    "hosts.csv",
    "diagnostics.csv",
];

pub fn run(
    ctx: &Ctx,
    roots: &[PathBuf],
    filters: &Filters,
    outdir: &Path,
    raw_csv: bool,
    no_progress: bool,
    full: bool,
) -> Result<Outcome> {
    filters.validate()?;
    let (sources, errs) = discover(roots);
    let named: Vec<PathBuf> = OUTPUTS.iter().map(|n| outdir.join(n)).collect();
    let mut outs: Vec<&Path> = named.iter().map(PathBuf::as_path).collect();
    outs.push(outdir);
    check_not_input(&outs, &sources)?;
    fs::create_dir_all(outdir).with_context(|| format!("{}: cannot create", outdir.display()))?;
    let bar = ProgressBar::new(sources.len() as u64);
    if no_progress || !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {bar:30} {pos}/{len} sessions · {msg} · {elapsed_precise} ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut out = Sink {
        sessions_csv: Output::file(&outdir.join(OUTPUTS[0]))?,
        items_csv: Output::file(&outdir.join(OUTPUTS[1]))?,
        kept: Vec::new(),
        modules: ModuleStats::default(),
        accounts: Histories::default(),
        fleet: FleetStats::default(),
        diagnostics_csv: Output::file(&outdir.join(OUTPUTS[8]))?,
        kinds: Default::default(),
        bytes: 0,
        outcome: Outcome {
            input_errors: errs.len(),
            errors: errs.iter().map(|e| format!("{e:#}")).collect(),
            ..Outcome::default()
        },
    };
    out.sessions_csv
        .write_all(&csv_bytes(raw_csv, |c| c.header(&SESSION_COLUMNS))?)?;
    out.items_csv
        .write_all(&csv_bytes(raw_csv, |c| c.header(&ITEM_COLUMNS))?)?;
    out.diagnostics_csv
        .write_all(&csv_bytes(raw_csv, |c| c.header(&DIAGNOSTIC_COLUMNS))?)?;
    produce(&sources, ctx, filters, raw_csv, &bar, &mut out)?;
    let Sink {
        sessions_csv,
        items_csv,
        kept,
        outcome,
        modules,
        accounts,
        fleet,
        diagnostics_csv,
        kinds,
        ..
    } = out;
    bar.finish_and_clear();
    let histories = accounts.finish();
    let answers = Answers {
        modules: &modules,
        fleet: &fleet,
        histories: &histories,
    };
    let mut modules_csv = Output::file(&outdir.join(OUTPUTS[2]))?;
    xferlens_report::modules::stats_csv(&modules, raw_csv, &mut modules_csv)?;
    let mut md = Output::file(&outdir.join(OUTPUTS[3]))?;
    let md_options = xferlens_report::Options {
        full,
        ..Default::default()
    };
    markdown::fleet(&kept, &answers, &md_options, &mut md)?;
    let mut page = Output::file(&outdir.join(OUTPUTS[4]))?;
    html::fleet(&kept, &answers, &mut page)?;
    let mut accounts_csv = Output::file(&outdir.join(OUTPUTS[5]))?;
    histories_csv(&histories, raw_csv, &mut accounts_csv)?;
    let mut causes = Output::file(&outdir.join(OUTPUTS[6]))?;
    causes_csv(&fleet, raw_csv, &mut causes)?;
    let mut hosts = Output::file(&outdir.join(OUTPUTS[7]))?;
    hosts_csv(&fleet, &histories, raw_csv, &mut hosts)?;
    // Everything is written; put the files in place together.
    for o in [
        sessions_csv,
        items_csv,
        modules_csv,
        md,
        page,
        accounts_csv,
        causes,
        hosts,
        diagnostics_csv,
    ] {
        o.finish()?;
    }
    let f = xferlens_report::FleetTotals::of(&kept);
    let list = retry_list(&histories);
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
    for (c, _) in fleet.independent_causes().into_iter().take(3) {
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
    writeln!(
        out,
        "-> {}: {}",
        t(&outdir.display().to_string()),
        OUTPUTS.join(" ")
    )?;
    out.finish()?;
    let listed = format!(
        "listed in {}, and by `xferlens check`",
        t(&outdir.join(OUTPUTS[8]).display().to_string())
    );
    if let Some(line) =
        diagnostics_line(&kinds, &listed).filter(|_| !ctx.global.quiet && !ctx.global.verbose)
    {
        eprintln!("{line}");
    }
    Ok(outcome)
}
