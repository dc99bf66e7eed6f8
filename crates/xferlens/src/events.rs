//! `events`: the flattened master-log timeline, streamed row by row while
//! the log is parsed (no session model is built).

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;
use xferlens_parse::{parse_input, Diagnostic, Event, EventSink, Msg, ParseOptions, Position};
use xferlens_replay::{classify, FileRole};
use xferlens_report::csv::CsvOut;
use xferlens_report::time::rfc3339_opt;

use crate::cli::EventsFormat;
use crate::commands::{open_output, paths_or_default, print_diagnostics, report_error};
use crate::input::{discover, Source};
use crate::{Ctx, Outcome};

/// Column names of `events` output.
pub const EVENT_COLUMNS: [&str; 13] = [
    "session_id",
    "seq",
    "file",
    "line",
    "time",
    "pid",
    "child",
    "queue",
    "action",
    "item",
    "local_item",
    "item_type",
    "msg",
];

#[derive(Serialize)]
struct Row<'a> {
    session_id: &'a str,
    seq: u64,
    file: &'a str,
    line: u64,
    time: String,
    pid: Option<u64>,
    child: Option<u64>,
    queue: Option<&'a str>,
    action: &'a str,
    item: Option<&'a str>,
    local_item: Option<&'a str>,
    item_type: Option<&'a str>,
    msg: Option<String>,
}

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
    session_id: String,
    file: String,
    seq: u64,
    error: Option<io::Error>,
    diagnostics: Vec<Diagnostic>,
}

impl EventSink for Rows<'_, '_> {
    fn event(&mut self, pos: Position, ev: &Event<'_>) -> ControlFlow<()> {
        self.seq += 1;
        let c = &ev.contents;
        let row = Row {
            session_id: &self.session_id,
            seq: self.seq,
            file: &self.file,
            line: pos.line,
            time: rfc3339_opt(c.time),
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
            Out::Csv(w) => {
                let n = |v: Option<u64>| v.map(|x| x.to_string()).unwrap_or_default();
                let o = |v: Option<&str>| v.unwrap_or("").to_owned();
                w.row(&[
                    row.session_id.to_owned(),
                    row.seq.to_string(),
                    row.file.to_owned(),
                    row.line.to_string(),
                    row.time.clone(),
                    n(row.pid),
                    n(row.child),
                    o(row.queue),
                    row.action.to_owned(),
                    o(row.item),
                    o(row.local_item),
                    o(row.item_type),
                    row.msg.clone().unwrap_or_default(),
                ])
            }
            Out::Ndjson(w) => serde_json::to_writer(&mut **w, &row)
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

/// The master log of a session directory (completed name first).
fn master_in(dir: &Path) -> Option<PathBuf> {
    ["master.log", ".master.log", "master.log.gz"]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
}

fn dir_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

pub fn run(
    ctx: &Ctx,
    paths: &[PathBuf],
    format: EventsFormat,
    raw_csv: bool,
    output: Option<&Path>,
) -> Result<Outcome> {
    let paths = paths_or_default(paths)?;
    let (sources, errs) = discover(&paths);
    for e in &errs {
        report_error(ctx, e);
    }
    let mut outcome = Outcome {
        input_errors: errs.len(),
        ..Outcome::default()
    };
    let mut sink_out = open_output(output)?;
    let mut out = match format {
        EventsFormat::Csv => {
            let mut c = CsvOut::new(&mut *sink_out as &mut dyn Write, raw_csv);
            c.header(&EVENT_COLUMNS)?;
            Out::Csv(Box::new(c))
        }
        EventsFormat::Ndjson => Out::Ndjson(&mut *sink_out),
    };
    let opts = ParseOptions::default();
    let mut all_diags: Vec<xferlens_replay::Session> = Vec::new();
    for src in &sources {
        let mut streams: Vec<(String, String, Box<dyn Read>)> = Vec::new();
        match src {
            Source::Dir(d) => match master_in(d) {
                Some(p) => {
                    let f =
                        File::open(&p).with_context(|| format!("{}: cannot open", p.display()))?;
                    streams.push((
                        dir_name(d),
                        p.display().to_string(),
                        Box::new(BufReader::new(f)),
                    ));
                }
                None => {
                    report_error(ctx, &anyhow::anyhow!("{}: no master log", d.display()));
                    outcome.input_errors += 1;
                }
            },
            Source::File(p) => {
                let f = File::open(p).with_context(|| format!("{}: cannot open", p.display()))?;
                let id = ctx.global.session_id.clone().unwrap_or_else(|| {
                    p.parent()
                        .filter(|_| classify(&dir_name(p)) != FileRole::Other)
                        .map(dir_name)
                        .unwrap_or_else(|| dir_name(p))
                });
                streams.push((id, p.display().to_string(), Box::new(BufReader::new(f))));
            }
            Source::Stdin => {
                let id = ctx
                    .global
                    .session_id
                    .clone()
                    .unwrap_or_else(|| "stdin".into());
                streams.push((id, "<stdin>".into(), Box::new(io::stdin().lock())));
            }
            Source::Tar(p) => {
                // Members are read in archive order; only master logs are used.
                let f = File::open(p).with_context(|| format!("{}: cannot open", p.display()))?;
                let n = tar_events(p, f, &mut out, &opts)?;
                all_diags.extend(n);
                continue;
            }
        }
        for (id, file, r) in streams {
            let mut rows = Rows {
                out: &mut out,
                session_id: id.clone(),
                file: file.clone(),
                seq: 0,
                error: None,
                diagnostics: Vec::new(),
            };
            parse_input(&file, r, &mut rows, &opts)
                .with_context(|| format!("{file}: cannot read"))?;
            if let Some(e) = rows.error.take() {
                return Err(e.into());
            }
            all_diags.push(xferlens_replay::Session {
                id,
                diagnostics: rows.diagnostics,
                ..Default::default()
            });
        }
    }
    match out {
        Out::Csv(c) => c.finish()?,
        Out::Ndjson(w) => w.flush()?,
    }
    if !ctx.global.quiet {
        print_diagnostics(&all_diags, ctx.color_err);
    }
    outcome.diagnostics = all_diags.iter().map(|s| s.diagnostics.len()).sum();
    Ok(outcome)
}

fn tar_events(
    p: &Path,
    f: File,
    out: &mut Out<'_>,
    opts: &ParseOptions,
) -> Result<Vec<xferlens_replay::Session>> {
    let mut r = BufReader::new(f);
    let gz = io::BufRead::fill_buf(&mut r)?.starts_with(&[0x1f, 0x8b]);
    let inner: Box<dyn Read> = if gz {
        Box::new(flate2::read::MultiGzDecoder::new(r))
    } else {
        Box::new(r)
    };
    let mut archive = tar::Archive::new(inner);
    let mut sessions = Vec::new();
    for entry in archive
        .entries()
        .with_context(|| format!("{}: not a tar archive", p.display()))?
    {
        let entry = entry.with_context(|| format!("{}: archive is damaged", p.display()))?;
        let path = entry.path()?.into_owned();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !matches!(classify(&name), FileRole::Master { .. })
            || !entry.header().entry_type().is_file()
        {
            continue;
        }
        let id = path.parent().map(dir_name).unwrap_or_else(|| dir_name(p));
        let file = format!("{}:{}", p.display(), path.display());
        let mut rows = Rows {
            out,
            session_id: id.clone(),
            file: file.clone(),
            seq: 0,
            error: None,
            diagnostics: Vec::new(),
        };
        parse_input(&file, entry, &mut rows, opts)?;
        if let Some(e) = rows.error.take() {
            return Err(e.into());
        }
        sessions.push(xferlens_replay::Session {
            id,
            diagnostics: rows.diagnostics,
            ..Default::default()
        });
    }
    Ok(sessions)
}
