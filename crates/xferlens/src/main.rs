//! `xferlens`: the command-line tool. It only wires inputs to replay to
//! renderers; see the library crates for the work.

mod batch;
mod cli;
mod commands;
mod events;
mod filters;
mod input;
mod log;
mod output;
mod tables;
mod watch;

use std::io::{self, IsTerminal};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::cli::{Cli, ColorChoice, Command, FailOn, Global};

/// Exit status: success.
pub const EXIT_OK: u8 = 0;
/// Exit status: `check` found diagnostics, or `--fail-on` matched.
pub const EXIT_FOUND: u8 = 1;
/// Exit status: usage or input error, or diagnostics under `--strict`.
pub const EXIT_ERROR: u8 = 2;

/// Settings resolved from the command line, shared by every command.
pub struct Ctx {
    /// The global flags.
    pub global: Global,
    /// Colour on stdout.
    pub color: bool,
    /// Colour on stderr (progress bars, messages).
    pub color_err: bool,
    /// How sessions are read.
    pub read: xferlens_replay::ReadOptions,
}

impl Ctx {
    fn new(global: Global) -> Ctx {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
        let auto = |tty: bool| tty && !no_color && !dumb;
        let (color, color_err) = match global.color {
            ColorChoice::Always => (true, true),
            ColorChoice::Never => (false, false),
            ColorChoice::Auto => (
                auto(io::stdout().is_terminal()),
                auto(io::stderr().is_terminal()),
            ),
        };
        let read = xferlens_replay::ReadOptions {
            master_only: global.master_only,
            ..Default::default()
        };
        Ctx {
            global,
            color,
            color_err,
            read,
        }
    }

    /// Renderer options for stdout.
    pub fn render(&self) -> xferlens_report::Options {
        xferlens_report::Options {
            color: self.color,
            width: terminal_width(),
            ..self.document()
        }
    }

    /// Renderer options for a document (a report, to a file or a pipe):
    /// no colour and no width, but the same clock and `--stale-after` as
    /// stdout's, so a report calls a session stale when `summary` does.
    pub fn document(&self) -> xferlens_report::Options {
        xferlens_report::Options {
            now: now(),
            stale_after_s: self.global.stale_after,
            ..Default::default()
        }
    }
}

/// Writes the main man page and one per command into `dir` (each through
/// a temporary file, so a planted symlink is replaced, never followed),
/// and lists them on stdout.
fn man_pages(dir: &std::path::Path) -> anyhow::Result<()> {
    use anyhow::Context;
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = vec![cmd.clone()];
    pages.extend(cmd.get_subcommands().filter(|c| !c.is_hide_set()).cloned());
    for page in pages {
        let man = clap_mangen::Man::new(page);
        let path = dir.join(man.get_filename());
        let mut out = output::Output::open(Some(&path), false)?;
        man.render(&mut out)?;
        out.finish()?;
        println!("{}", path.display());
    }
    Ok(())
}

/// Writes `bytes` to standard output, where a reader that went away
/// (`xferlens man | head`) is not an error.
fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = output::Output::stdout(false);
    out.write_all(bytes)?;
    out.finish()
}

/// The current time in Unix seconds, or `XFERLENS_NOW` when set (pins
/// "now" for tests and reproducible output; see the README).
pub fn now() -> Option<i64> {
    if let Some(v) = std::env::var_os("XFERLENS_NOW") {
        return v.to_str()?.trim().parse().ok();
    }
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok())
}

/// The width of the terminal on standard output, or `None` when standard
/// output is not a terminal (then nothing is cut to fit).
pub fn terminal_width() -> Option<usize> {
    if !io::stdout().is_terminal() {
        return None;
    }
    // SAFETY: TIOCGWINSZ fills a winsize struct for a terminal descriptor;
    // the struct is zeroed first and only read on success.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) } == 0;
    let cols = if ok && ws.ws_col > 0 {
        usize::from(ws.ws_col)
    } else {
        std::env::var("COLUMNS").ok()?.parse().ok()?
    };
    Some(cols.max(40))
}

/// What a command found, for the exit status.
#[derive(Default)]
pub struct Outcome {
    /// Inputs that could not be read, or only in part.
    pub input_errors: usize,
    /// Their messages, printed after the output.
    pub errors: Vec<String>,
    /// Diagnostics in the analysed sessions.
    pub diagnostics: usize,
    /// Items that failed.
    pub failed_items: usize,
    /// Items with warnings.
    pub warning_items: usize,
    /// The command's own "found something" signal (`check`).
    pub found: bool,
}

impl Outcome {
    fn exit_code(&self, g: &Global) -> u8 {
        if self.input_errors > 0 || (g.strict && self.diagnostics > 0) {
            return EXIT_ERROR;
        }
        let fail = match g.fail_on {
            Some(FailOn::Failed) => self.failed_items > 0,
            Some(FailOn::Warning) => self.failed_items + self.warning_items > 0,
            None => false,
        };
        if fail || self.found {
            EXIT_FOUND
        } else {
            EXIT_OK
        }
    }
}

/// With `XFERLENS_REPORT_PEAK_RSS` set, prints the process's peak
/// resident set (`VmHWM` from /proc/self/status) to stderr at exit: the
/// memory tests read it, since a child's `ru_maxrss` also counts the
/// parent it was forked from.
fn report_peak_rss() {
    if std::env::var_os("XFERLENS_REPORT_PEAK_RSS").is_none() {
        return;
    }
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:")) {
            eprintln!("xferlens-peak-rss {line}");
        }
    }
}

/// mimalloc, when built with it (the default `mimalloc` feature): see
/// [`tune_allocator`].
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc 3's `mi_option_e` (the sys crate
/// is pinned to the version this was read from; a test checks its
/// default).
#[cfg(feature = "mimalloc")]
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Has mimalloc give freed memory back at once rather than 1 s later:
/// with threads that allocate and free in bursts, the delay holds more
/// pages at the peak (batch with Parquet: 62 MB against 54 MB; glibc's
/// malloc: 55 MB). It costs no measurable time (docs/PERFORMANCE.md).
fn tune_allocator() {
    #[cfg(feature = "mimalloc")]
    // SAFETY: sets a global option; mimalloc reads it at each purge.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0)
    };
}

fn main() -> ExitCode {
    output::clean_up_on_signals();
    tune_allocator();
    let code = real_main();
    report_peak_rss();
    code
}

fn real_main() -> ExitCode {
    let cli = Cli::parse();
    let ctx = Ctx::new(cli.global.clone());
    let result = run(cli, &ctx);
    match result {
        Ok(outcome) => {
            // Inputs that failed are reported after the output, so they
            // are the last thing a reader sees.
            for e in &outcome.errors {
                commands::report_line(&ctx, e);
            }
            ExitCode::from(outcome.exit_code(&ctx.global))
        }
        Err(err) => {
            commands::report_error(&ctx, &err);
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn run(cli: Cli, ctx: &Ctx) -> anyhow::Result<Outcome> {
    let command = cli.command.unwrap_or(Command::Summary {
        paths: cli.paths,
        full: false,
    });
    match command {
        Command::Summary { paths, full } => commands::summary(ctx, &paths, full),
        Command::Progress {
            paths,
            format,
            watch: Some(secs),
            follow_paused,
        } => watch::run(ctx, &paths, format, secs, follow_paused),
        Command::Progress {
            paths,
            format,
            watch: None,
            ..
        } => commands::progress(ctx, &paths, format),
        Command::Items {
            paths,
            filters,
            format,
            accounts,
            raw_csv,
            output,
        } => commands::items(
            ctx,
            &paths,
            &filters,
            format,
            accounts,
            raw_csv,
            output.as_deref(),
        ),
        Command::Retry {
            paths,
            filters,
            format,
            raw_csv,
            output,
        } => commands::retry(ctx, &paths, &filters, format, raw_csv, output.as_deref()),
        Command::Modules {
            paths,
            format,
            raw_csv,
            output,
        } => commands::modules(ctx, &paths, format, raw_csv, output.as_deref()),
        Command::Events {
            paths,
            filters,
            format,
            raw_csv,
            output,
        } => events::run(ctx, &paths, &filters, format, raw_csv, output.as_deref()),
        Command::Report {
            paths,
            filters,
            format,
            output,
            full,
            logs,
        } => {
            let r = commands::ReportArgs { format, full, logs };
            commands::report(ctx, &paths, &filters, r, output.as_deref())
        }
        Command::Check {
            paths,
            format,
            raw_csv,
        } => commands::check(ctx, &paths, format, raw_csv),
        Command::Log(args) => log::run(ctx, &args),
        Command::Batch {
            roots,
            filters,
            output,
            raw_csv,
            no_progress,
            full,
            format,
            host_label,
            partition,
            events,
        } => {
            let parquet = format.contains(&cli::TableFormat::Parquet);
            if parquet && !cfg!(feature = "parquet") {
                anyhow::bail!(
                    "--format parquet: this xferlens was built without the `parquet` feature"
                );
            }
            let layout = tables::Layout {
                csv: format.contains(&cli::TableFormat::Csv),
                parquet,
                host: tables::path_safe(&host_label.unwrap_or_else(tables::hostname)),
                partition: partition.is_some(),
                raw_csv,
            };
            let o = batch::BatchOptions {
                outdir: output,
                layout,
                no_progress,
                full,
                events,
            };
            batch::run(ctx, &roots, &filters, &o)
        }
        Command::Completions { shell } => {
            // Rendered first, then written where a closed pipe is no error.
            let mut text = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "xferlens", &mut text);
            write_stdout(&text)?;
            Ok(Outcome::default())
        }
        Command::Man { dir: None } => {
            // The same page as --dir writes (no `help` page to cite).
            let cmd = Cli::command().disable_help_subcommand(true);
            let mut page = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut page)?;
            write_stdout(&page)?;
            Ok(Outcome::default())
        }
        Command::Man { dir: Some(dir) } => {
            man_pages(&dir)?;
            Ok(Outcome::default())
        }
    }
}

#[cfg(all(test, feature = "mimalloc"))]
mod tests {
    #[test]
    fn the_purge_delay_option_is_the_one_mimalloc_documents() {
        // Its default (1,000 ms, in mimalloc's options.c) where nothing
        // set it: the options near that index default to 0 or 1.
        // SAFETY: reads a global option.
        assert_eq!(
            unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) },
            1000
        );
    }
}
