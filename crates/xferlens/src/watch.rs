//! `progress --watch`: re-reads live sessions until each reaches a
//! terminal state. On a terminal: one progress bar per queue (indicatif);
//! otherwise one line per change, for logs and pipes.

use std::collections::HashMap;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use xferlens_report::escape::terminal as t;
use xferlens_report::json::progress_of;
use xferlens_report::time::{bytes, duration};

use crate::cli::ProgressFormat;
use crate::commands::{load_all, outcome};
use crate::output::{stdout_closed, Output};
use crate::{Ctx, Outcome};

pub fn run(ctx: &Ctx, paths: &[PathBuf], format: ProgressFormat, secs: f64) -> Result<Outcome> {
    // The flag's parser only lets finite seconds from 0.1 to a day through.
    let interval = Duration::from_secs_f64(secs.clamp(0.1, 86_400.0));
    let bars_on = format == ProgressFormat::Text && io::stderr().is_terminal();
    let multi = MultiProgress::new();
    let mut bars: HashMap<(String, String), ProgressBar> = HashMap::new();
    let mut last: HashMap<String, String> = HashMap::new();
    let style = ProgressStyle::with_template("{prefix:<40} {bar:30} {percent:>3}% {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    let mut quiet = ctx.clone_shallow();
    let mut first = true;
    let mut out = Output::stdout(format == ProgressFormat::Json);
    loop {
        let l = load_all(&quiet, paths)?;
        if first {
            quiet.global.quiet = true; // diagnostics once, not every round
            first = false;
        }
        for s in &l.sessions {
            if bars_on {
                for q in &s.queues {
                    let key = (s.id.clone(), q.name.clone());
                    let bar = bars.entry(key).or_insert_with(|| {
                        let b = multi.add(ProgressBar::new(1000));
                        b.set_style(style.clone());
                        b.set_prefix(format!("{} {}", t(&s.id), t(&q.name)));
                        b
                    });
                    bar.set_position((q.percent * 10.0).round() as u64);
                    let mut msg = format!("{}/{} items", q.finished(), q.items_total);
                    if q.bytes_total > 0 {
                        msg.push_str(&format!(
                            " · {} / {}",
                            bytes(q.bytes_done),
                            bytes(q.bytes_total as f64)
                        ));
                    }
                    if let Some(eta) = q.eta_s {
                        msg.push_str(&format!(" · ETA {}", duration(eta as i64)));
                    }
                    msg.push_str(&format!(" · {}", s.state.as_str()));
                    bar.set_message(msg);
                }
            } else {
                let line = match format {
                    ProgressFormat::Json => serde_json::to_string(&progress_of(s))?,
                    ProgressFormat::Text => {
                        let qs: Vec<String> = s
                            .queues
                            .iter()
                            .map(|q| {
                                format!(
                                    "{} {:.1}% {}/{}",
                                    t(&q.name),
                                    q.percent,
                                    q.finished(),
                                    q.items_total
                                )
                            })
                            .collect();
                        format!(
                            "{} {} {:.1}% {}",
                            t(&s.id),
                            s.state.as_str(),
                            s.percent(),
                            qs.join(" ")
                        )
                    }
                };
                if last.get(&s.id) != Some(&line) {
                    writeln!(out, "{line}")?;
                    out.flush()?;
                    last.insert(s.id.clone(), line);
                }
            }
        }
        let done = l.sessions.iter().all(|s| s.state.is_terminal());
        if done || l.sessions.is_empty() || stdout_closed() {
            for b in bars.values() {
                b.abandon(); // keep the last position (finish() would show 100%)
            }
            out.finish()?;
            return Ok(outcome(&l));
        }
        std::thread::sleep(interval);
    }
}
