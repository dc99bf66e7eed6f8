//! The command line, as clap reads it. `main` turns it into a
//! [`crate::Ctx`] (global options, colours, read settings) and a command.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::filters::Filters;

pub const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  `check` found diagnostics, `--fail-on` matched an item, or
     `log --grep` matched no line
  2  usage error; an input that is unreadable, damaged, not a transfer log
     or a device; an output path that is an input; or diagnostics under
     `--strict` (other inputs are still processed; their errors come last)";

const EXAMPLES: &str = "\
Examples:
  xferlens /var/cpanel/transfer_sessions/exampleservercopya20140206192428NtyW
  xferlens progress --watch=5 /var/cpanel/transfer_sessions/<id>
  xferlens items --format csv sessions.tar.gz > items.csv
  xferlens report --format html -o report.html /backups/transfer_sessions
  xferlens batch /backups/transfer_sessions -o out/
  whmapi1 --output=json fetch_transfer_session_log transfer_session_id=<id> logfile=master.log | xferlens -";

/// Turns cPanel & WHM transfer-session logs into answers: what moved, what
/// failed and why, how far a session got, how long each account took.
///
/// PATH may be a session directory, a directory of session directories
/// (a copy of /var/cpanel/transfer_sessions), a master or item log, a .gz
/// file, a .tar/.tar.gz/.tgz archive of session directories (read as a
/// stream, never extracted), a saved WHM API fetch_transfer_session_log
/// response, or - for standard input. With no PATH, what is piped or
/// redirected in is read, else /var/cpanel/transfer_sessions when it
/// exists.
#[derive(Parser, Debug)]
#[command(name = "xferlens", version, after_help = format!("{EXAMPLES}\n\n{EXIT_CODES}"))]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub global: Global,

    /// Inputs for the default command (summary).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

/// Options every command takes.
#[derive(Args, Debug, Clone)]
pub struct Global {
    /// When to use colour: auto (a terminal, and NO_COLOR unset), always, never.
    #[arg(long, value_enum, default_value = "auto", global = true)]
    pub color: ColorChoice,
    /// Treat any diagnostic (unusable log line) as an error: exit 2.
    #[arg(long, global = true)]
    pub strict: bool,
    /// Exit 1 when an analysed item failed (`failed`) or failed or had
    /// warnings (`warning`). For scripts.
    #[arg(long, value_enum, global = true)]
    pub fail_on: Option<FailOn>,
    /// Session id to use for inputs that carry none (a single file, stdin).
    #[arg(long, global = true)]
    pub session_id: Option<String>,
    /// Read master logs only (no item logs): faster, but no percentages of
    /// running items and no item-log error lines.
    #[arg(long, global = true)]
    pub master_only: bool,
    /// Do not print diagnostics to stderr (they are still counted).
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Call a running session stale when its newest log line is older
    /// than this (e.g. 90s, 30m, 1h, 2d): it gets a warning and no ETA,
    /// and the re-run list counts it (or a paused one) as ended.
    #[arg(long, value_name = "AGE", default_value = "1h", value_parser = parse_age, global = true)]
    pub stale_after: i64,
    /// Print every diagnostic to stderr (by default one line counts them
    /// per kind; `xferlens check` and batch's diagnostics.csv list them).
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Any failed item.
    Failed,
    /// Any failed item or item with warnings.
    Warning,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Per session: state, host, times, per-queue outcome counts, failed
    /// and warned items with reasons and log lines (the default command).
    #[command(after_help = "Example:\n  xferlens summary /var/cpanel/transfer_sessions/<id>")]
    Summary {
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Every failed and warned item on its own line (by default, past
        /// 10 they are grouped by cause, with counts).
        #[arg(long)]
        full: bool,
    },
    /// Per session and queue: items and bytes done, percent (WHM
    /// byte-weighted algorithm), state, throughput and ETA.
    #[command(
        after_help = "Examples:\n  xferlens progress <dir>\n  xferlens progress --watch=5 <dir>\n  xferlens progress --format ndjson <dir> | jq .percent"
    )]
    Progress {
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Output format: text, json (an array of one object per
        /// session) or ndjson (one object per line; with --watch, a line
        /// per change).
        #[arg(long, value_enum, default_value = "text")]
        format: ProgressFormat,
        /// Re-read live session directories every 2 seconds (`--watch=SECS`
        /// for another interval) until every session has ended or paused;
        /// then print one line per session (state, failures, duration).
        /// The interval takes `=`, so `--watch DIR` watches DIR.
        #[arg(
            long,
            value_name = "SECS",
            num_args = 0..=1,
            require_equals = true,
            default_missing_value = "2",
            value_parser = parse_interval
        )]
        watch: Option<f64>,
        /// With --watch: keep watching a paused session until it ends
        /// (by default a pause ends the watch).
        #[arg(long, requires = "watch")]
        follow_paused: bool,
    },
    /// One row per item per queue (or per account with --accounts).
    #[command(
        after_help = "Examples:\n  xferlens items --format csv <dir> > items.csv\n  xferlens items --accounts <dir>\n  xferlens items --status failed --queue RESTORE --sort size <root>\n  xferlens items --host 'src1.*' --account 'shop*' --since 2026-11-01 --until 2026-11-08 <root>\n  xferlens items --format ndjson <dir> | jq 'select(.status==\"failed\")'"
    )]
    Items {
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        filters: Filters,
        #[arg(long, value_enum, default_value = "table")]
        format: ItemsFormat,
        /// One row per account: TRANSFER and RESTORE status side by side.
        #[arg(long)]
        accounts: bool,
        /// Write CSV cells as they are (no guard against spreadsheet formulas).
        #[arg(long)]
        raw_csv: bool,
        /// Write to FILE instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Restore module timelines: one row per module of every item, in log
    /// order, with start, end, duration, status and message (which step
    /// failed, where the time went).
    #[command(
        after_help = "Examples:\n  xferlens modules <dir>\n  xferlens modules --format csv <dir> > modules.csv\n  xferlens modules --format ndjson <dir> | jq 'select(.status==\"failed\")'"
    )]
    Modules {
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "table")]
        format: ModulesFormat,
        /// Write CSV cells as they are (no guard against spreadsheet formulas).
        #[arg(long)]
        raw_csv: bool,
        /// Write to FILE instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// The re-queue list: accounts whose latest attempt, over all the
    /// sessions given, failed or was never restored. Attempts are joined
    /// by source host, item type and name, in order of session start;
    /// accounts still in progress in a running session are left off (and
    /// counted). Packages and feature lists are listed apart.
    #[command(
        after_help = "Examples:\n  xferlens retry /backups/transfer_sessions\n  xferlens retry --host 'src1.*' --status failed --since 2026-11-01 --sort size /backups/transfer_sessions\n  xferlens retry --format csv /backups/transfer_sessions > retry.csv\n  xferlens retry --format whmapi1 /backups/transfer_sessions > requeue.sh"
    )]
    Retry {
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        filters: Filters,
        /// text: a readable list with reasons; csv; whmapi1: a POSIX shell
        /// script, one self-contained `whmapi1` line per account, a block
        /// per source host and session kind, each session through its own
        /// guarded variable; names no cPanel account can have are only
        /// listed, escaped, in comments.
        #[arg(long, value_enum, default_value = "text")]
        format: RetryFormat,
        /// Write CSV cells as they are (no guard against spreadsheet formulas).
        #[arg(long)]
        raw_csv: bool,
        /// Write to FILE instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// The flattened master-log timeline, one row per event.
    #[command(
        after_help = "Examples:\n  xferlens events --format csv <dir> > events.csv\n  xferlens events --queue RESTORE --account bob --since 2026-11-28T14:00:00Z <dir>\n\nFilters on events apply line by line: --queue, --account, --since and --until (--host, --status and --sort do not apply)."
    )]
    Events {
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        filters: Filters,
        #[arg(long, value_enum, default_value = "csv")]
        format: EventsFormat,
        /// Write CSV cells as they are (no guard against spreadsheet formulas).
        #[arg(long)]
        raw_csv: bool,
        /// Write to FILE instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// The full report: Markdown for tickets, self-contained HTML, or JSON
    /// (the whole session model, schema in docs/SCHEMA.md).
    #[command(
        after_help = "Examples:\n  xferlens report --format md <dir> | pbcopy\n  xferlens report --format html -o report.html <dir>\n  xferlens report --format html --logs -o report.html <dir>"
    )]
    Report {
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        filters: Filters,
        #[arg(long, value_enum, default_value = "md")]
        format: ReportFormat,
        /// Markdown: every row of every list. By default report.md stays
        /// under 65,536 characters (GitHub's limit for an issue or comment),
        /// its long lists cut to the top rows with "and N more".
        #[arg(long)]
        full: bool,
        /// HTML: also embed each failed or warned item's whole log (the
        /// first 10 of each, 2,000 lines each), module by module, folded. By
        /// default the page carries each item's few lines around its
        /// failure only.
        #[arg(long)]
        logs: bool,
        /// Write to FILE instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Reads an account's logs as cPanel's Transfer Session page and
    /// `view_transfer` show them: each item log (TRANSFER, then RESTORE)
    /// line by line, indented, styled by type, with its time and module;
    /// or the master log with --master. Searchable like grep.
    #[command(
        after_help = "Examples:\n  xferlens log --account bob /var/cpanel/transfer_sessions/<id>\n  xferlens log --account 'shop*' --queue RESTORE --module Mysql <dir>\n  xferlens log --level error --relative -n <dir>\n  xferlens log --grep 'quota|disk' -C 2 /backups/transfer_sessions\n  xferlens log --follow --account bob /var/cpanel/transfer_sessions/<id>\n  xferlens log --master <dir>\n  xferlens log --format csv <dir> > lines.csv\n\nWith --grep, exit status 1 means no line matched."
    )]
    Log(LogArgs),
    /// Validates logs: lists every diagnostic as `file:line: kind: message:
    /// excerpt`; exits 1 if there is any.
    #[command(
        after_help = "Examples:\n  xferlens check /var/cpanel/transfer_sessions\n  xferlens check --format csv /backups/transfer_sessions > diagnostics.csv"
    )]
    Check {
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// text (`file:line: kind: message: excerpt`), csv or ndjson (the
        /// columns of batch's diagnostics.csv).
        #[arg(long, value_enum, default_value = "text")]
        format: CheckFormat,
        /// Write CSV cells as they are (no guard against spreadsheet formulas).
        #[arg(long)]
        raw_csv: bool,
    },
    /// Processes many sessions in parallel and writes sessions.csv,
    /// items.csv, accounts.csv (every account across sessions: attempts,
    /// last status and reason, whether to re-run), causes.csv (failure
    /// messages normalised into causes, per queue and module), hosts.csv
    /// (per source host), diagnostics.csv, modules.csv (per restore module: runs, failures, median
    /// and p90 time, slowest accounts), report.md and report.html (worst
    /// sessions first) to OUTDIR.
    #[command(
        after_help = "Examples:\n  xferlens batch /backups/transfer_sessions archive-2026.tar.gz -o out/\n  xferlens batch --host 'src2.*' --since 2026-11-01 /backups/transfer_sessions -o out-src2/\n  xferlens batch --format csv,parquet --partition host /var/cpanel/transfer_sessions -o /srv/xferlens/"
    )]
    Batch {
        #[arg(value_name = "ROOT", required = true)]
        roots: Vec<PathBuf>,
        #[command(flatten)]
        filters: Filters,
        /// Output directory (created if needed).
        #[arg(short, long, value_name = "OUTDIR")]
        output: PathBuf,
        /// Write CSV cells as they are (no guard against spreadsheet formulas).
        #[arg(long)]
        raw_csv: bool,
        /// No progress bar.
        #[arg(long)]
        no_progress: bool,
        /// Table formats: csv, parquet, or both (`csv,parquet`). Parquet is
        /// typed (UTC timestamps, integers) and carries a `host` column;
        /// see docs/SCALE.md for querying many servers' files together.
        #[arg(long, value_enum, value_delimiter = ',', default_value = "csv")]
        format: Vec<TableFormat>,
        /// The `host` value of the Parquet rows (default: this machine's
        /// host name), so files from many servers can be unioned.
        #[arg(long, value_name = "LABEL")]
        host_label: Option<String>,
        /// Parquet files in a hive-style layout: OUTDIR/host=LABEL/TABLE.parquet.
        #[arg(long, value_enum)]
        partition: Option<Partition>,
        /// Also write the events table (every master-log event, as `xferlens
        /// events` writes them).
        #[arg(long)]
        events: bool,
        /// Markdown: every row of every list. By default report.md stays
        /// under 65,536 characters (GitHub's limit for an issue or comment),
        /// its long lists cut to the top rows with "and N more".
        #[arg(long)]
        full: bool,
    },
    /// Prints a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Prints the man page (roff), or with --dir writes one page per
    /// command: xferlens.1, xferlens-summary.1, xferlens-items.1, ...
    #[command(
        after_help = "Examples:\n  xferlens man | man -l -\n  sudo xferlens man --dir /usr/local/share/man/man1"
    )]
    Man {
        /// Write xferlens.1 and a page per command into DIR (created if
        /// needed) instead of printing the main page.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

/// The flags of `xferlens log`.
#[derive(Args, Debug, Clone)]
pub struct LogArgs {
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Only accounts whose source or local name matches this glob
    /// (`*` and `?`).
    #[arg(long, value_name = "GLOB")]
    pub account: Option<String>,
    /// Only this queue's logs (TRANSFER, RESTORE); repeat or separate
    /// with commas.
    #[arg(long, value_name = "QUEUE", value_delimiter = ',')]
    pub queue: Vec<String>,
    /// Only lines inside a restore module matching this glob (e.g. Mysql).
    #[arg(long, value_name = "GLOB")]
    pub module: Option<String>,
    /// Only warnings and errors (warn), or errors only (error).
    #[arg(long, value_enum)]
    pub level: Option<LogLevel>,
    /// Only lines from this date or time on, UTC (a line without a time
    /// takes the last time before it).
    #[arg(long, value_name = "DATE", value_parser = crate::filters::parse_date)]
    pub since: Option<i64>,
    /// Only lines before this date or time, UTC.
    #[arg(long, value_name = "DATE", value_parser = crate::filters::parse_date)]
    pub until: Option<i64>,
    /// Keep reading a live session: follow its active (dot) files as they
    /// grow and when they are renamed, and item logs as they appear;
    /// stop when they are complete and the session has ended.
    #[arg(short, long)]
    pub follow: bool,
    /// With --follow: seconds between polls.
    #[arg(long, value_name = "SECS", default_value = "1", value_parser = parse_interval)]
    pub interval: f64,
    /// Show the master log instead of the item logs.
    #[arg(long)]
    pub master: bool,
    /// Times relative to each log's first time (`+1:05`).
    #[arg(long)]
    pub relative: bool,
    /// No time column.
    #[arg(long)]
    pub no_time: bool,
    /// Prefix each line with its file and line number.
    #[arg(short = 'n', long)]
    pub line_number: bool,
    /// Only lines whose message text matches this regular expression
    /// (Rust regex syntax; the marks xferlens adds, such as `stderr:` or
    /// a module's `ok`/`FAILED`, are not part of the message).
    #[arg(short = 'e', long, value_name = "PATTERN")]
    pub grep: Option<String>,
    /// With --grep: match case-insensitively.
    #[arg(short = 'i', long)]
    pub ignore_case: bool,
    /// With --grep: show N shown lines before and after each match.
    #[arg(short = 'C', long, value_name = "N")]
    pub context: Option<usize>,
    /// With --grep: N lines before each match.
    #[arg(short = 'B', long, value_name = "N")]
    pub before: Option<usize>,
    /// With --grep: N lines after each match.
    #[arg(short = 'A', long, value_name = "N")]
    pub after: Option<usize>,
    /// Text: also the lines cPanel does not draw (percentages, action
    /// ends, the master's bookkeeping actions). CSV and NDJSON always
    /// have every line.
    #[arg(long)]
    pub all: bool,
    /// text (readable), csv or ndjson: one row per log line.
    #[arg(long, value_enum, default_value = "text")]
    pub format: LogFormat,
    /// Write CSV cells as they are (no guard against spreadsheet formulas).
    #[arg(long)]
    pub raw_csv: bool,
    /// Write to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// The output of `xferlens check`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// One readable line per diagnostic.
    Text,
    /// One row per diagnostic.
    Csv,
    /// One JSON object per diagnostic, per line.
    Ndjson,
}

/// The output of `xferlens log`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Readable lines.
    Text,
    /// One row per log line.
    Csv,
    /// One JSON object per log line.
    Ndjson,
}

/// `xferlens log --level`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogLevel {
    /// Warnings and errors.
    Warn,
    /// Errors only.
    Error,
}

/// An age such as `90`, `90s`, `30m`, `1h` or `2d`, in seconds.
pub fn parse_age(s: &str) -> Result<i64, String> {
    let t = s.trim();
    let (num, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => t.split_at(i),
        None => (t, "s"),
    };
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("`{s}`: give a number with s, m, h or d (e.g. 1h)")),
    };
    num.parse::<i64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("`{s}` is not an age (e.g. 90s, 30m, 1h, 2d)"))
}

/// A `--watch` interval: finite seconds, from 0.1 to one day.
fn parse_interval(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if v.is_finite() && (0.1..=86_400.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!(
            "`{s}` is out of range: give seconds from 0.1 to 86400"
        ))
    }
}

/// A table format of `batch`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum TableFormat {
    /// `<table>.csv`.
    Csv,
    /// `<table>.parquet` (needs the `parquet` cargo feature, on by default).
    Parquet,
}

/// How `batch` lays out its Parquet files.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Partition {
    /// `OUTDIR/host=<label>/<table>.parquet`.
    Host,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum ProgressFormat {
    Text,
    /// One JSON array of the sessions' progress objects.
    Json,
    /// One progress object per line (the form --watch streams).
    Ndjson,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum ItemsFormat {
    Table,
    Csv,
    Json,
    Ndjson,
    Md,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum RetryFormat {
    Text,
    Csv,
    /// One JSON array of the CSV's rows.
    Json,
    /// One JSON object per row, per line.
    Ndjson,
    Whmapi1,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum ModulesFormat {
    Table,
    Csv,
    Json,
    Ndjson,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum EventsFormat {
    Csv,
    Ndjson,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Md,
    Html,
    Json,
}
