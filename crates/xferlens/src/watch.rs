//! `progress --watch`: re-reads live sessions until each has ended (or
//! paused, unless `--follow-paused`). On a terminal: a heading per session
//! and one progress bar per queue (indicatif); otherwise one line per
//! change, for logs and pipes. Either way a final line per session says
//! how it ended.

use std::collections::HashMap;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use xferlens_replay::Session;
use xferlens_report::escape::terminal as t;
use xferlens_report::json::progress_of;
use xferlens_report::stale_for;
use xferlens_report::terminal::{final_line, fit_parts, queue_progress, stale_line, watch_line};

use crate::cli::ProgressFormat;
use crate::commands::{load_all, outcome};
use crate::output::{stdout_closed, Output};
use crate::{Ctx, Outcome};

/// The bars of one session: a heading and one bar per queue.
struct Bars {
    heading: ProgressBar,
    queues: HashMap<String, ProgressBar>,
}

pub fn run(
    ctx: &Ctx,
    paths: &[PathBuf],
    format: ProgressFormat,
    secs: f64,
    follow_paused: bool,
) -> Result<Outcome> {
    // The flag's parser only lets finite seconds from 0.1 to a day through.
    let interval = Duration::from_secs_f64(secs.clamp(0.1, 86_400.0));
    let bars_on = format == ProgressFormat::Text && io::stderr().is_terminal();
    let multi = MultiProgress::new();
    let mut bars: HashMap<String, Bars> = HashMap::new();
    let mut last: HashMap<String, String> = HashMap::new();
    let bar_style = ProgressStyle::with_template("  {prefix:<9} {bar:20} {percent:>3}% {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    let heading_style =
        ProgressStyle::with_template("{msg}").unwrap_or_else(|_| ProgressStyle::default_bar());
    let mut quiet = ctx.clone_shallow();
    let mut first = true;
    if format == ProgressFormat::Json {
        anyhow::bail!("--watch streams one object per change: use --format ndjson (json is one array, written once)");
    }
    let mut out = Output::stdout(format == ProgressFormat::Ndjson);
    loop {
        let l = load_all(&quiet, paths)?;
        if first {
            quiet.global.quiet = true; // diagnostics once, not every round
            first = false;
        }
        let o = ctx.render();
        // The bar, percent and prefix take 37 columns of the line.
        let msg_width = o.width.unwrap_or(80).saturating_sub(37).max(20);
        for s in &l.sessions {
            let stale = stale_for(s, &o);
            if bars_on {
                let b = bars.entry(s.id.clone()).or_insert_with(|| {
                    let heading = multi.add(ProgressBar::new(1));
                    heading.set_style(heading_style.clone());
                    Bars {
                        heading,
                        queues: HashMap::new(),
                    }
                });
                let mut head = format!("{}  {}  {:.1}%", t(&s.id), s.state.as_str(), s.percent());
                if let Some(age) = stale {
                    head.push_str(&format!("\n  {}", stale_line(s, age)));
                }
                b.heading.set_message(head);
                for q in &s.queues {
                    let bar = b.queues.entry(q.name.clone()).or_insert_with(|| {
                        let bar = multi.add(ProgressBar::new(1000));
                        bar.set_style(bar_style.clone());
                        bar.set_prefix(t(&q.name));
                        bar
                    });
                    bar.set_position((q.percent * 10.0).round() as u64);
                    // The message: the parts after the head, fitted.
                    let (_, parts) = queue_progress(q, stale.is_some());
                    bar.set_message(fit_parts(&parts, msg_width.saturating_sub(3)));
                }
            } else {
                let line = match format {
                    ProgressFormat::Json | ProgressFormat::Ndjson => {
                        serde_json::to_string(&progress_of(s))?
                    }
                    ProgressFormat::Text => watch_line(s, stale.is_some()),
                };
                if last.get(&s.id) != Some(&line) {
                    writeln!(out, "{line}")?;
                    out.flush()?;
                    last.insert(s.id.clone(), line);
                }
            }
        }
        let settled =
            |s: &Session| s.state.is_terminal() || (!follow_paused && s.state.is_paused());
        let done = l.sessions.iter().all(settled);
        if done || l.sessions.is_empty() || stdout_closed() {
            for b in bars.values() {
                b.heading.abandon();
                for q in b.queues.values() {
                    q.abandon(); // keep the last position (finish() would show 100%)
                }
            }
            if bars_on {
                // The cursor is left at the end of the last bar: the final
                // lines start on a line of their own.
                eprintln!();
            }
            if format == ProgressFormat::Text {
                for s in &l.sessions {
                    writeln!(out, "{}", final_line(s))?;
                }
            }
            out.finish()?;
            return Ok(outcome(&l));
        }
        std::thread::sleep(interval);
    }
}
