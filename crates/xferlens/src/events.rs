//! `events`: the flattened master-log timeline, streamed row by row while
//! the log is parsed (no session model is built).

use std::io::{self, Read, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use anyhow::Result;
use xferlens_parse::{parse_input, Diagnostic, Event, EventSink, Msg, ParseOptions, Position};
use xferlens_replay::{each_master_log, no_log_reason};
use xferlens_report::csv::CsvOut;
use xferlens_report::rows::{EventRow, EVENT_COLUMNS};
use xferlens_report::time::rfc3339;
use xferlens_report::view::Json;

use crate::cli::EventsFormat;
use crate::commands::{paths_or_default, print_diagnostics};
use crate::filters::Filters;
use crate::input::{damage_in, discover, Source};
use crate::output::{check_not_input, Output};
use crate::tables::Layout;
#[cfg(feature = "parquet")]
use crate::tables::TableOut;
use crate::{Ctx, Outcome};

/// The text of `msg` for a timeline row.
fn msg_text(m: &Msg<'_>) -> Option<String> {
    match m {
        Msg::Finished(f) => Some(match (&f.failure, &f.message) {
            (Some(x), _) | (None, Some(x)) => x.clone(),
            _ => format!(
                "warnings={} skipped_items={} dangerous_items={} altered_items={}",
                f.warnings, f.skipped_items, f.dangerous_items, f.altered_items
            ),
        }),
        Msg::Size(n) => Some(format!("size={n}")),
        Msg::Raw(r) => Some((*r).to_owned()),
        other => other.joined(" "),
    }
}

enum Out<'w> {
    Csv(Box<CsvOut<&'w mut dyn Write>>),
    Ndjson(&'w mut dyn Write),
}

struct Rows<'w, 's> {
    out: &'w mut Out<'s>,
    filters: &'w Filters,
    session_id: String,
    file: String,
    seq: u64,
    error: Option<io::Error>,
    diagnostics: Vec<Diagnostic>,
}

impl EventSink for Rows<'_, '_> {
    fn event(&mut self, pos: Position, ev: &mut Event<'_>) -> ControlFlow<()> {
        self.seq += 1;
        let c = &ev.contents;
        // Row filters: queue, account name, time (host and status are
        // not known line by line).
        let f = self.filters;
        let queue_ok = f.queue.is_empty()
            || c.queue
                .as_deref()
                .is_some_and(|q| f.queue.iter().any(|w| w.eq_ignore_ascii_case(q)));
        let account_ok = f.account.is_none()
            || c.item
                .as_deref()
                .is_some_and(|i| f.account_ok(i, c.local_item.as_deref()));
        if !(queue_ok && account_ok && f.time_ok(c.time)) {
            return ControlFlow::Continue(());
        }
        let row = EventRow {
            session_id: &self.session_id,
            seq: self.seq,
            file: &self.file,
            line: pos.line,
            time: c.time.map(rfc3339),
            pid: ev.pid,
            child: c.child_number,
            queue: c.queue.as_deref(),
            action: ev
                .action()
                .map(|a| a.as_str())
                .unwrap_or_else(|| ev.kind.as_str()),
            item: c.item.as_deref(),
            local_item: c.local_item.as_deref(),
            item_type: c.item_type.as_deref(),
            msg: c
                .msg
                .as_ref()
                .and_then(msg_text)
                .or_else(|| c.text.as_deref().map(str::to_owned)),
        };
        let r = match self.out {
            Out::Csv(w) => w.record(&row),
            Out::Ndjson(w) => serde_json::to_writer(&mut **w, &Json(&row))
                .map_err(io::Error::from)
                .and_then(|_| w.write_all(b"\n")),
        };
        match r {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                self.error = Some(e);
                ControlFlow::Break(())
            }
        }
    }

    fn diagnostic(&mut self, d: Diagnostic) -> ControlFlow<()> {
        self.diagnostics.push(d);
        ControlFlow::Continue(())
    }
}

/// Where rows go, and what the streams said.
struct Run<'o, 's> {
    out: &'o mut Out<'s>,
    filters: &'o Filters,
    opts: ParseOptions,
    /// Per stream: session id and diagnostics (printed at the end).
    diags: Vec<xferlens_replay::Session>,
    /// Inputs that could not be read, or only in part.
    errors: Vec<String>,
}

impl Run<'_, '_> {
    /// Streams one master log's events as rows. Write errors end the
    /// command; a log without events is an input error.
    fn log(&mut self, id: String, file: String, r: impl Read) -> Result<()> {
        let mut rows = Rows {
            out: self.out,
            filters: self.filters,
            session_id: id.clone(),
            file: file.clone(),
            seq: 0,
            error: None,
            diagnostics: Vec::new(),
        };
        let summary = parse_input(&file, r, &mut rows, &self.opts);
        if let Some(e) = rows.error.take() {
            return Err(e.into());
        }
        let diagnostics = rows.diagnostics;
        match summary {
            Err(e) => self.errors.push(format!("{file}: cannot read: {e}")),
            Ok(s) if s.events == 0 => {
                let why = no_log_reason(&diagnostics, s.lines);
                self.errors
                    .push(format!("{file}: not a transfer session log: {why}"));
            }
            Ok(_) => self.errors.extend(damage_in(&diagnostics)),
        }
        self.diags.push(xferlens_replay::Session {
            id,
            diagnostics,
            ..Default::default()
        });
        Ok(())
    }
}

pub fn run(
    ctx: &Ctx,
    paths: &[PathBuf],
    filters: &Filters,
    format: EventsFormat,
    raw_csv: bool,
    output: Option<&Path>,
) -> Result<Outcome> {
    filters.validate()?;
    let paths = paths_or_default(paths)?;
    let (sources, errs) = discover(&paths);
    if let Some(p) = output {
        check_not_input(&[p], &sources)?;
    }
    let mut sink_out = Output::open(output, true)?;
    let (diags, errors) = stream_all(ctx, filters, &sources, errs, format, raw_csv, &mut sink_out)?;
    sink_out.finish()?;
    print_diagnostics(&diags, ctx);
    Ok(Outcome {
        input_errors: errors.len(),
        errors,
        diagnostics: diags.iter().map(|s| s.diagnostics.len()).sum(),
        ..Outcome::default()
    })
}

/// Writes the rows of every source to `sink_out`: the diagnostics per
/// stream, and the inputs that failed.
fn stream_all(
    ctx: &Ctx,
    filters: &Filters,
    sources: &[Source],
    errs: Vec<anyhow::Error>,
    format: EventsFormat,
    raw_csv: bool,
    sink_out: &mut Output,
) -> Result<(Vec<xferlens_replay::Session>, Vec<String>)> {
    let mut out = match format {
        EventsFormat::Csv => {
            let mut c = CsvOut::new(sink_out as &mut dyn Write, raw_csv);
            c.header(EVENT_COLUMNS)?;
            Out::Csv(Box::new(c))
        }
        EventsFormat::Ndjson => Out::Ndjson(sink_out),
    };
    let mut run = Run {
        out: &mut out,
        filters,
        opts: ParseOptions::default(),
        diags: Vec::new(),
        errors: errs.iter().map(|e| format!("{e:#}")).collect(),
    };
    let session_id = ctx.global.session_id.as_deref();
    for src in sources {
        let errors = each_master_log(src, session_id, |m| run.log(m.id, m.display, m.reader))?;
        run.errors.extend(errors);
    }
    let Run { diags, errors, .. } = run;
    match out {
        Out::Csv(c) => c.finish()?,
        Out::Ndjson(w) => w.flush()?,
    }
    Ok((diags, errors))
}

/// `batch --events`: the events of every source as batch's `events`
/// table, in CSV and/or Parquet. Parquet is fed from an unguarded CSV
/// pass written to a scratch file in `outdir` (removed afterwards), so
/// memory stays bounded whatever the number of events. Cells Parquet
/// cannot hold are added to `nulled` (see [`TableOut::finish`]).
pub fn batch_table(
    ctx: &Ctx,
    filters: &Filters,
    sources: &[Source],
    outdir: &Path,
    layout: &Layout,
    nulled: &mut Vec<String>,
) -> Result<Vec<Output>> {
    let mut done = Vec::new();
    // Every source's events as CSV into `path`, guarded unless `raw`.
    let csv_to = |path: &Path, raw: bool| -> Result<Output> {
        let mut o = Output::file(path)?;
        stream_all(
            ctx,
            filters,
            sources,
            Vec::new(),
            EventsFormat::Csv,
            raw,
            &mut o,
        )?;
        Ok(o)
    };
    if let Some(p) = layout.csv_path(outdir, "events") {
        done.push(csv_to(&p, layout.raw_csv)?);
    }
    #[cfg(feature = "parquet")]
    if layout.parquet {
        let scratch = outdir.join(format!(".xferlens-events-{}.csv", std::process::id()));
        let o = csv_to(&scratch, true)?;
        o.finish()?;
        let only = Layout {
            csv: false,
            ..layout.clone()
        };
        let mut t = TableOut::open(outdir, "events", EVENT_COLUMNS, &only)?;
        let fed = std::fs::File::open(&scratch)
            .map_err(anyhow::Error::from)
            .and_then(|f| t.parquet_from(std::io::BufReader::new(f)));
        let _ = std::fs::remove_file(&scratch);
        fed?;
        done.extend(t.finish(nulled)?);
    }
    #[cfg(not(feature = "parquet"))]
    let _ = nulled;
    Ok(done)
}
