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
    let mut outcome = Outcome {
        input_errors: errs.len(),
        ..Outcome::default()
    };
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
    let mut sessions_csv = CsvOut::new(create(outdir, "sessions.csv")?, raw_csv);
    sessions_csv.header(&SESSION_COLUMNS)?;
    let mut items_csv = CsvOut::new(create(outdir, "items.csv")?, raw_csv);
    items_csv.header(&ITEM_COLUMNS)?;
    let mut kept: Vec<Session> = Vec::new();
    for chunk in sources.chunks(CHUNK) {
        let loaded: Vec<Vec<Result<Session>>> = chunk
            .par_iter()
            .map(|src| {
                let r = load(src, None, &ctx.read);
                bar.inc(1);
                r
            })
            .collect();
        for r in loaded.into_iter().flatten() {
            match r {
                Ok(s) => {
                    sessions_csv.row(&session_cells(&s))?;
                    for it in s.items_by_queue() {
                        ItemRow::new(&s, it).write_csv(&mut items_csv)?;
                    }
                    outcome.diagnostics += s.diagnostics.len();
                    outcome.failed_items += s.items_with(ItemStatus::Failed).count();
                    outcome.warning_items += s.items_with(ItemStatus::Warning).count();
                    if !ctx.global.quiet {
                        bar.suspend(|| print_diagnostics(std::slice::from_ref(&s), ctx.color_err));
                    }
                    kept.push(slim(s));
                }
                Err(e) => {
                    bar.suspend(|| report_error(ctx, &e));
                    outcome.input_errors += 1;
                }
            }
        }
    }
    bar.finish_and_clear();
    sessions_csv.finish()?;
    items_csv.finish()?;
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
