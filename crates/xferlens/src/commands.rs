//! The commands that load sessions, then render them: summary, progress,
//! items, report, check.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::Result;
use rayon::prelude::*;
use xferlens_replay::{fill_excerpts, fill_whole_logs, ItemStatus, Session};
use xferlens_report::escape::terminal as t;
use xferlens_report::style::Style;
use xferlens_report::{accounts, html, json, markdown, modules, rows, terminal, DiagnosticCounts};

use crate::cli::{
    CheckFormat, ItemsFormat, ModulesFormat, ProgressFormat, ReportFormat, RetryFormat,
};
use crate::filters::Filters;
use crate::input::{damage, discover, load, Source, DEFAULT_ROOT};
use crate::output::{check_not_input, Output};
use crate::{Ctx, Outcome};

/// Sessions loaded from the user's paths, and how many inputs failed.
pub struct Loaded {
    /// The sessions, in input order.
    pub sessions: Vec<Session>,
    /// Inputs that could not be read, or only in part: one line each,
    /// printed after the output.
    pub errors: Vec<String>,
    /// The sources the sessions came from (to keep outputs off them).
    pub sources: Vec<Source>,
    /// For each session, the directory it was read from (`None`: a file,
    /// an archive or stdin), where its item logs can be read again.
    pub dirs: Vec<Option<PathBuf>>,
}

/// The paths to read: the given ones, else the default root when it
/// exists, else a usage error.
pub fn paths_or_default(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    if !paths.is_empty() {
        return Ok(paths.to_vec());
    }
    if stdin_is_piped() {
        // `cat master.log | xferlens summary`, as jq and rg read it.
        return Ok(vec![PathBuf::from("-")]);
    }
    let root = Path::new(DEFAULT_ROOT);
    if root.is_dir() {
        Ok(vec![root.to_owned()])
    } else {
        anyhow::bail!("no PATH given and {DEFAULT_ROOT} does not exist; try `xferlens --help`")
    }
}

/// Whether standard input is a file, a pipe or a socket (not a terminal,
/// and not a device such as /dev/null): what was piped or redirected in.
fn stdin_is_piped() -> bool {
    // SAFETY: fstat fills a plain struct for descriptor 0; it is read
    // only on success.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(libc::STDIN_FILENO, &mut st) } != 0 {
        return false;
    }
    matches!(
        st.st_mode & libc::S_IFMT,
        libc::S_IFREG | libc::S_IFIFO | libc::S_IFSOCK
    )
}

/// The session directory a source is, if it is one.
fn dir_of(src: &Source) -> Option<PathBuf> {
    match src {
        Source::Dir(d) => Some(d.clone()),
        _ => None,
    }
}

/// A source as named in messages.
fn source_name(src: &Source) -> String {
    match src {
        Source::Dir(d) | Source::File(d) => d.display().to_string(),
        Source::Stdin => "<stdin>".to_owned(),
    }
}

/// Notes on standard error the filters that match nothing (unless
/// `--quiet`): an empty table then says why.
fn say_what_matched_nothing(ctx: &Ctx, filters: &Filters, sessions: &[Session]) {
    if ctx.global.quiet {
        return;
    }
    for line in filters.matched_nothing(sessions) {
        report_line(ctx, &line);
    }
}

/// Prints an input error the way every command does.
pub fn report_error(ctx: &Ctx, e: &anyhow::Error) {
    report_line(ctx, &format!("{e:#}"));
}

/// Prints one error line to stderr, escaped for the terminal.
pub fn report_line(ctx: &Ctx, msg: &str) {
    eprintln!(
        "{}: {}",
        Style::Red.paint(ctx.color_err, "xferlens"),
        t(msg)
    );
}

/// Discovers and loads every session behind `paths` (sources in
/// parallel). Inputs that fail are collected in [`Loaded::errors`]; the
/// rest are loaded all the same.
pub fn load_all(ctx: &Ctx, paths: &[PathBuf]) -> Result<Loaded> {
    let paths = paths_or_default(paths)?;
    let (sources, errs) = discover(&paths);
    let loaded: Vec<Vec<Result<Session>>> = sources
        .par_iter()
        .map(|s| load(s, ctx.global.session_id.as_deref(), &ctx.read))
        .collect();
    let mut out = Loaded {
        sessions: Vec::new(),
        errors: errs.iter().map(|e| format!("{e:#}")).collect(),
        dirs: Vec::new(),
        sources: Vec::new(),
    };
    // The same session given twice (`DIR DIR`, `DIR/s ./DIR/s/`, a
    // directory and its tarball) is one session: read once, the larger
    // copy kept (a live session copied twice has grown in between).
    // (The parts of a session split in one archive are not copies.)
    let mut seen: std::collections::HashMap<String, (usize, String, usize)> = Default::default();
    for (n, (src, r)) in sources.iter().zip(loaded).enumerate() {
        for r in r {
            match r {
                Ok(s) => {
                    let here = source_name(src);
                    if let Some((i, there, _)) = seen.get(&s.id).filter(|e| e.2 != n).cloned() {
                        let keep_new = s.volume.bytes > out.sessions[i].volume.bytes;
                        if !ctx.global.quiet {
                            report_line(
                                ctx,
                                &format!(
                                    "session {} is given twice ({there} and {here}): read once",
                                    s.id
                                ),
                            );
                        }
                        if keep_new {
                            out.dirs[i] = dir_of(src);
                            out.sessions[i] = s;
                        }
                        continue;
                    }
                    seen.entry(s.id.clone())
                        .or_insert((out.sessions.len(), here, n));
                    out.errors.extend(damage(&s));
                    out.sessions.push(s);
                    out.dirs.push(dir_of(src));
                }
                Err(e) => out.errors.push(format!("{e:#}")),
            }
        }
    }
    out.sources = sources;
    print_diagnostics(&out.sessions, ctx);
    Ok(out)
}

/// Reports the diagnostics of these sessions on stderr: by default one
/// line that counts them per kind (see [`diagnostics_line`]); with `-v`
/// every one, as `file:line: kind: message: excerpt`.
pub fn print_diagnostics(sessions: &[Session], ctx: &Ctx) {
    if ctx.global.quiet {
        return;
    }
    let stderr = io::stderr();
    let mut e = stderr.lock();
    if ctx.global.verbose {
        for s in sessions {
            for d in &s.diagnostics {
                let _ = writeln!(e, "{}", t(&d.to_string()));
            }
        }
        return;
    }
    let mut kinds = DiagnosticCounts::default();
    for s in sessions {
        kinds.add(s);
    }
    if let Some(line) = diagnostics_line(&kinds, "`xferlens check` lists them") {
        let _ = writeln!(e, "{}", Style::Dim.paint(ctx.color_err, &line));
    }
}

/// "62 diagnostics, 40 lines skipped (invalid-json 40, ...): WHERE; -v
/// prints them here", or `None` when there are none.
pub fn diagnostics_line(c: &DiagnosticCounts, listed: &str) -> Option<String> {
    let n: u64 = c.kinds.values().sum();
    if n == 0 {
        return None;
    }
    Some(format!(
        "{n} diagnostic{}, {} line{} skipped ({}): {listed}; -v prints them here",
        if n == 1 { "" } else { "s" },
        c.skipped,
        if c.skipped == 1 { "" } else { "s" },
        c.by_kind(),
    ))
}

/// The outcome counts of loaded sessions.
pub fn outcome(l: &Loaded) -> Outcome {
    let count = |st: ItemStatus| {
        l.sessions
            .iter()
            .flat_map(|s| &s.items)
            .filter(|i| i.status == st)
            .count()
    };
    Outcome {
        input_errors: l.errors.len(),
        errors: l.errors.clone(),
        diagnostics: l.sessions.iter().map(|s| s.diagnostics.len()).sum(),
        failed_items: count(ItemStatus::Failed),
        warning_items: count(ItemStatus::Warning),
        found: false,
    }
}

/// The output of a command that writes FILE or stdout, refused when FILE
/// is one of the inputs.
pub fn open_output(path: Option<&Path>, l: &Loaded, machine: bool) -> Result<Output> {
    if let Some(p) = path {
        check_not_input(&[p], &l.sources)?;
    }
    Output::open(path, machine)
}

pub fn summary(ctx: &Ctx, paths: &[PathBuf], full: bool) -> Result<Outcome> {
    let l = load_all(ctx, paths)?;
    let mut out = Output::stdout(false);
    let o = xferlens_report::Options {
        full,
        ..ctx.render()
    };
    for (n, s) in l.sessions.iter().enumerate() {
        if n > 0 {
            writeln!(out)?;
        }
        terminal::summary(s, &o, &mut out)?;
    }
    if l.sessions.len() > 1 {
        let f = xferlens_report::FleetTotals::of(&l.sessions);
        writeln!(
            out,
            "\n{} sessions: {} completed, {} failed or aborted, {} not finished",
            f.sessions, f.completed, f.failed, f.unfinished
        )?;
    }
    out.finish()?;
    Ok(outcome(&l))
}

pub fn progress(ctx: &Ctx, paths: &[PathBuf], format: ProgressFormat) -> Result<Outcome> {
    let l = load_all(ctx, paths)?;
    let mut out = Output::stdout(format != ProgressFormat::Text);
    match format {
        ProgressFormat::Json => json::progress_array(&l.sessions, &mut out)?,
        ProgressFormat::Ndjson => json::progress(&l.sessions, &mut out)?,
        ProgressFormat::Text => {
            let o = ctx.render();
            for s in &l.sessions {
                terminal::progress(s, &o, &mut out)?;
            }
        }
    }
    out.finish()?;
    Ok(outcome(&l))
}

pub fn items(
    ctx: &Ctx,
    paths: &[PathBuf],
    filters: &Filters,
    format: ItemsFormat,
    accounts: bool,
    raw_csv: bool,
    output: Option<&Path>,
) -> Result<Outcome> {
    filters.validate()?;
    let mut l = load_all(ctx, paths)?;
    say_what_matched_nothing(ctx, filters, &l.sessions);
    let unnamed: u64 = l
        .sessions
        .iter()
        .map(xferlens_report::unnamed_items)
        .fold(0, u64::saturating_add);
    if accounts {
        // Account rows are built from all items, then filtered.
        filters.apply_accounts(&mut l.sessions);
    } else {
        // Pending RESTORE rows take part in filters and sorting.
        l.sessions
            .iter_mut()
            .for_each(xferlens_report::add_pending_restores);
        filters.apply(&mut l.sessions);
    }
    let mut out = open_output(output, &l, format != ItemsFormat::Table)?;
    match format {
        ItemsFormat::Table => {
            let width = output.map_or_else(crate::terminal_width, |_| None);
            terminal::items_table(&l.sessions, accounts, width, &mut out)?
        }
        ItemsFormat::Csv if accounts => rows::accounts_csv(&l.sessions, raw_csv, &mut out)?,
        ItemsFormat::Csv => rows::items_csv(&l.sessions, raw_csv, &mut out)?,
        ItemsFormat::Json => json::items(&l.sessions, accounts, false, &mut out)?,
        ItemsFormat::Ndjson => json::items(&l.sessions, accounts, true, &mut out)?,
        ItemsFormat::Md => markdown::items(&l.sessions, accounts, &mut out)?,
    }
    out.finish()?;
    if unnamed > 0 && !ctx.global.quiet {
        eprintln!(
            "{unnamed} more queued item(s) are only counted by the log (queue_count): they never started, so the log never names them and no row can show them (`xferlens retry` says in which session)"
        );
    }
    Ok(outcome(&l))
}

pub fn retry(
    ctx: &Ctx,
    paths: &[PathBuf],
    filters: &Filters,
    format: RetryFormat,
    raw_csv: bool,
    output: Option<&Path>,
) -> Result<Outcome> {
    filters.validate()?;
    let mut l = load_all(ctx, paths)?;
    say_what_matched_nothing(ctx, filters, &l.sessions);
    // Sessions by host and time; the list by status and account name.
    l.sessions.retain(|s| filters.session_ok(s));
    let o = ctx.document();
    let histories = accounts::histories(&l.sessions, &o);
    let mut list = accounts::retry_list(&histories);
    let status_ok = |st: &str| filters.status.is_empty() || filters.status.iter().any(|s| s == st);
    let keep = |h: &&accounts::History| {
        status_ok(h.last().status.as_str()) && filters.account_ok(&h.key.item, h.local_item())
    };
    list.accounts.retain(keep);
    list.others.retain(keep);
    // What the list leaves off honours the filters too: the accounts in
    // progress that pass them; the never-named items are never started
    // (pending) and have no name for --account to match.
    list.in_progress = histories
        .iter()
        .filter(|h| h.key.is_account() && h.in_progress() && keep(h))
        .count();
    if status_ok("pending") && filters.account.is_none() {
        list.unnamed = accounts::Unnamed::all(&l.sessions, &o);
    }
    sort_retry(&mut list, filters);
    let mut out = open_output(output, &l, format != RetryFormat::Text)?;
    match format {
        RetryFormat::Text => accounts::retry_text(&list, &mut out)?,
        RetryFormat::Csv => accounts::retry_csv(&list, raw_csv, &mut out)?,
        RetryFormat::Json => accounts::retry_json(&list, false, &mut out)?,
        RetryFormat::Ndjson => accounts::retry_json(&list, true, &mut out)?,
        RetryFormat::Whmapi1 => xferlens_report::whmapi1::retry_whmapi1(&list, &mut out)?,
    }
    out.finish()?;
    Ok(outcome(&l))
}

/// Orders the re-queue list by `--sort` (size, start or status).
fn sort_retry(list: &mut accounts::RetryList<'_>, filters: &Filters) {
    match filters.sort {
        Some(crate::filters::SortKey::Size) => {
            list.accounts.sort_by_key(|h| std::cmp::Reverse(h.size()))
        }
        Some(crate::filters::SortKey::Started) => {
            list.accounts.sort_by_key(|h| h.last().started_at)
        }
        Some(crate::filters::SortKey::Status) => list
            .accounts
            .sort_by_key(|h| crate::filters::status_rank(h.last().status)),
        _ => {}
    }
}

pub fn modules(
    ctx: &Ctx,
    paths: &[PathBuf],
    format: ModulesFormat,
    raw_csv: bool,
    output: Option<&Path>,
) -> Result<Outcome> {
    let l = load_all(ctx, paths)?;
    let mut out = open_output(output, &l, format != ModulesFormat::Table)?;
    match format {
        ModulesFormat::Table => {
            let width = output.map_or_else(crate::terminal_width, |_| None);
            terminal::modules_table(&l.sessions, width, &mut out)?
        }
        ModulesFormat::Csv => modules::csv(&l.sessions, raw_csv, &mut out)?,
        ModulesFormat::Json => modules::json(&l.sessions, false, &mut out)?,
        ModulesFormat::Ndjson => modules::json(&l.sessions, true, &mut out)?,
    }
    out.finish()?;
    Ok(outcome(&l))
}

/// What `report` is asked for, besides its inputs and filters.
pub struct ReportArgs {
    /// The format.
    pub format: ReportFormat,
    /// Every row of every list (Markdown).
    pub full: bool,
    /// Embed whole item logs (HTML).
    pub logs: bool,
}

/// Failed items, and warned items, per session whose log excerpt a
/// report gets (their item logs are re-read).
pub const EXCERPT_ITEMS: usize = 30;
/// Failed items, and warned items, per session whose whole log
/// `report --logs` embeds.
pub const LOGS_ITEMS: usize = 10;
/// Lines of each whole log `report --logs` embeds.
pub const LOGS_LINES: usize = 2000;

/// `xferlens report`: loads, filters, fills what the report shows of the
/// logs, and renders one Markdown, HTML or JSON report.
pub fn report(
    ctx: &Ctx,
    paths: &[PathBuf],
    filters: &Filters,
    r: ReportArgs,
    output: Option<&Path>,
) -> Result<Outcome> {
    filters.validate()?;
    if r.logs && r.format != ReportFormat::Html {
        anyhow::bail!("--logs embeds logs in the HTML report: use it with --format html");
    }
    let mut l = load_all(ctx, paths)?;
    say_what_matched_nothing(ctx, filters, &l.sessions);
    let mut pairs: Vec<(Session, Option<PathBuf>)> = std::mem::take(&mut l.sessions)
        .into_iter()
        .zip(std::mem::take(&mut l.dirs))
        .filter(|(s, _)| filters.session_ok(s))
        .collect();
    if r.format != ReportFormat::Json {
        // The renderers never read logs: what they show of them is read here.
        let opts = &ctx.read.parse;
        pairs.par_iter_mut().for_each(|(s, dir)| {
            filters.apply_items(s);
            let statuses = [ItemStatus::Failed, ItemStatus::Warning];
            fill_excerpts(s, dir.as_deref(), &statuses, EXCERPT_ITEMS, opts);
            if let (true, Some(d)) = (r.logs, dir.as_deref()) {
                fill_whole_logs(s, d, LOGS_ITEMS, LOGS_LINES, opts);
            }
        });
    } else {
        pairs.iter_mut().for_each(|(s, _)| filters.apply_items(s));
    }
    l.sessions = pairs.into_iter().map(|(s, _)| s).collect();
    let mut out = open_output(output, &l, true)?;
    let o = xferlens_report::Options {
        full: r.full,
        ..ctx.document()
    };
    match r.format {
        ReportFormat::Md => markdown::report(&l.sessions, &o, &mut out)?,
        ReportFormat::Html => html::report(&l.sessions, &o, &mut out)?,
        ReportFormat::Json => json::report(&l.sessions, &mut out)?,
    }
    out.finish()?;
    Ok(outcome(&l))
}

pub fn check(ctx: &Ctx, paths: &[PathBuf], format: CheckFormat, raw_csv: bool) -> Result<Outcome> {
    let mut quiet = Ctx {
        global: crate::cli::Global {
            quiet: true,
            ..ctx.global.clone()
        },
        ..ctx.clone_shallow()
    };
    // Every line decoded in full: the other commands only scan the shape
    // of item-log lines nothing reads (`out`, `debug`, `header`), which
    // does not see, say, a missing comma.
    quiet.read.parse.validate_all = true;
    let l = load_all(&quiet, paths)?;
    let mut out = Output::stdout(format != CheckFormat::Text);
    let n: usize = l.sessions.iter().map(|s| s.diagnostics.len()).sum();
    match format {
        CheckFormat::Text => {
            for d in l.sessions.iter().flat_map(|s| &s.diagnostics) {
                writeln!(out, "{}", t(&d.to_string()))?;
            }
        }
        CheckFormat::Csv => {
            let mut c = xferlens_report::csv::CsvOut::new(&mut out, raw_csv);
            c.header_of::<xferlens_report::fleet::DiagnosticRow>()?;
            for r in l
                .sessions
                .iter()
                .flat_map(xferlens_report::fleet::diagnostic_rows)
            {
                c.record(&r)?;
            }
            c.finish()?;
        }
        CheckFormat::Ndjson => {
            for r in l
                .sessions
                .iter()
                .flat_map(xferlens_report::fleet::diagnostic_rows)
            {
                serde_json::to_writer(&mut out, &xferlens_report::view::Json(&r))?;
                out.write_all(b"\n")?;
            }
        }
    }
    out.finish()?;
    let files: u64 = l
        .sessions
        .iter()
        .map(|s| s.volume.files)
        .fold(0, u64::saturating_add);
    let lines: u64 = l
        .sessions
        .iter()
        .map(|s| s.volume.lines)
        .fold(0, u64::saturating_add);
    eprintln!(
        "{n} diagnostic(s) in {} session(s), {files} file(s), {lines} line(s)",
        l.sessions.len()
    );
    let mut o = outcome(&l);
    o.found = n > 0;
    Ok(o)
}

impl Ctx {
    /// A copy of the settings (for commands that adjust one flag).
    pub fn clone_shallow(&self) -> Ctx {
        Ctx {
            global: self.global.clone(),
            color: self.color,
            color_err: self.color_err,
            read: self.read.clone(),
        }
    }
}
