//! `batch`: many sessions in parallel into a folder of outputs. Sessions
//! are loaded in parallel in ordered chunks and their rows written as each
//! chunk completes, so output order is stable and only a slim copy of each
//! session (its problem items) is kept for the fleet reports.

use std::fs::{self, File};
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use xferlens_replay::{ItemStatus, Session};
use xferlens_report::csv::CsvOut;
use xferlens_report::rows::{session_cells, ItemRow, ITEM_COLUMNS, SESSION_COLUMNS};
use xferlens_report::{html, markdown};

use crate::commands::{print_diagnostics, report_error};
use crate::input::{discover, load};
use crate::{Ctx, Outcome};

/// Sessions loaded at once; bounds memory and keeps output order stable.
const CHUNK: usize = 64;

/// Keeps what the fleet reports need: the session's facts and counts, and
/// its failed items without their logs. (Warnings are counted from the
/// queues.) Capacity is released, since thousands of these are kept.
fn slim(mut s: Session) -> Session {
    s.items.retain(|i| i.status == ItemStatus::Failed);
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

fn create(dir: &Path, name: &str) -> Result<BufWriter<File>> {
    let p = dir.join(name);
    Ok(BufWriter::new(File::create(&p).with_context(|| {
        format!("{}: cannot create", p.display())
    })?))
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
}

fn render(s: Session, raw: bool) -> std::io::Result<Rendered> {
    let session_row = csv_bytes(raw, |c| c.row(&session_cells(&s)))?;
    let item_rows = csv_bytes(raw, |c| {
        s.items_by_queue()
            .try_for_each(|it| ItemRow::new(&s, it).write_csv(c))
    })?;
    Ok(Rendered {
        failed: s.items_with(ItemStatus::Failed).count(),
        warnings: s.items_with(ItemStatus::Warning).count(),
        session_row,
        item_rows,
        session: slim(s),
    })
}

/// The open outputs and what is kept across chunks.
struct Sink {
    sessions_csv: BufWriter<File>,
    items_csv: BufWriter<File>,
    kept: Vec<Session>,
    outcome: Outcome,
}

impl Sink {
    /// Writes one chunk's results, in input order, on the calling thread.
    fn emit(
        &mut self,
        ctx: &Ctx,
        bar: &ProgressBar,
        chunk: Vec<Vec<Result<Rendered>>>,
    ) -> Result<()> {
        for r in chunk.into_iter().flatten() {
            match r {
                Ok(r) => {
                    self.sessions_csv.write_all(&r.session_row)?;
                    self.items_csv.write_all(&r.item_rows)?;
                    self.outcome.diagnostics += r.session.diagnostics.len();
                    self.outcome.failed_items += r.failed;
                    self.outcome.warning_items += r.warnings;
                    if !ctx.global.quiet {
                        bar.suspend(|| {
                            print_diagnostics(std::slice::from_ref(&r.session), ctx.color_err)
                        });
                    }
                    self.kept.push(r.session);
                }
                Err(e) => {
                    bar.suspend(|| report_error(ctx, &e));
                    self.outcome.input_errors += 1;
                }
            }
        }
        Ok(())
    }
}

pub fn run(
    ctx: &Ctx,
    roots: &[PathBuf],
    outdir: &Path,
    raw_csv: bool,
    no_progress: bool,
) -> Result<Outcome> {
    fs::create_dir_all(outdir).with_context(|| format!("{}: cannot create", outdir.display()))?;
    let (sources, errs) = discover(roots);
    for e in &errs {
        report_error(ctx, e);
    }
    let bar = ProgressBar::new(sources.len() as u64);
    if no_progress || !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {bar:40} {pos}/{len} sessions {elapsed_precise} ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut out = Sink {
        sessions_csv: create(outdir, "sessions.csv")?,
        items_csv: create(outdir, "items.csv")?,
        kept: Vec::new(),
        outcome: Outcome {
            input_errors: errs.len(),
            ..Outcome::default()
        },
    };
    out.sessions_csv
        .write_all(&csv_bytes(raw_csv, |c| c.header(&SESSION_COLUMNS))?)?;
    out.items_csv
        .write_all(&csv_bytes(raw_csv, |c| c.header(&ITEM_COLUMNS))?)?;
    // Chunk k is written on this thread while chunk k + 1 loads and
    // renders on the others, so no core waits for the writer.
    let load_chunk = |chunk: &[crate::input::Source]| -> Vec<Vec<Result<Rendered>>> {
        chunk
            .par_iter()
            .map(|src| {
                let r = load(src, None, &ctx.read)
                    .into_iter()
                    .map(|s| Ok(render(s?, raw_csv)?))
                    .collect();
                bar.inc(1);
                r
            })
            .collect()
    };
    let mut pending = Vec::new();
    for chunk in sources.chunks(CHUNK) {
        let (written, loaded) = rayon::join(
            || out.emit(ctx, &bar, std::mem::take(&mut pending)),
            || load_chunk(chunk),
        );
        written?;
        pending = loaded;
    }
    out.emit(ctx, &bar, pending)?;
    out.sessions_csv.flush()?;
    out.items_csv.flush()?;
    let Sink { kept, outcome, .. } = out;
    bar.finish_and_clear();
    let mut md = create(outdir, "report.md")?;
    markdown::fleet(&kept, &mut md)?;
    md.flush()?;
    let mut page = create(outdir, "report.html")?;
    html::fleet(&kept, &mut page)?;
    page.flush()?;
    let f = xferlens_report::FleetTotals::of(&kept);
    println!(
        "{} sessions ({} completed, {} failed or aborted, {} not finished; {} failed items) -> {}: sessions.csv items.csv report.md report.html{}",
        f.sessions,
        f.completed,
        f.failed,
        f.unfinished,
        f.items_failed,
        outdir.display(),
        if outcome.input_errors > 0 { format!("; {} input(s) could not be read", outcome.input_errors) } else { String::new() }
    );
    Ok(outcome)
}
