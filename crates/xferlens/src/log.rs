//! `xferlens log`: an account's item logs (or a master log) as readable
//! text, or as one row per log line in CSV or NDJSON, with grep-like
//! search and `tail -F`-like following of a live session.
//!
//! The files of a session directory are chosen from its master log (in
//! the master's order, each account's TRANSFER before its RESTORE), then
//! any item log the master does not name. Names taken from the log are
//! only opened inside the session directory (docs/FORMAT.md).

use std::cell::RefCell;
use std::fs;
use std::io::{self, Read, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

use anyhow::{Context, Result};
use regex::Regex;
use xferlens_parse::ParseOptions;
use xferlens_replay::{
    classify, default_log_name, item_log_parts, open_in_session, read_session_dir, safe_file_name,
    walk_tar, FileRole, Level, LogEntry, LogView, ReadOptions, RESTORE, TRANSFER,
};
use xferlens_report::csv::CsvOut;
use xferlens_report::logtext::{heading, text_line, LogRow, LogSource, TextLayout};
use xferlens_report::view::Json;

use crate::cli::{LogArgs, LogFormat, LogLevel};
use crate::commands::paths_or_default;
use crate::filters::glob;
use crate::input::{discover, Source};
use crate::output::{check_not_input, stdout_closed, Output};
use crate::{Ctx, Outcome};

/// Bytes read from a live log file at a time.
const SLICE: usize = 1 << 20;

/// One log file to show.
#[derive(Clone, Debug)]
struct Target {
    session_id: String,
    queue: String,
    item_type: String,
    item: String,
    /// The completed name (`item-…`, `master.log`).
    name: String,
    dir: PathBuf,
}

impl Target {
    fn source(&self) -> LogSource<'_> {
        LogSource {
            session_id: &self.session_id,
            queue: &self.queue,
            item_type: &self.item_type,
            item: &self.item,
            file: &self.name,
        }
    }
}

/// What the filters, search and layout ask, shared by every file.
struct Printer {
    out: Dest,
    format: LogFormat,
    layout: TextLayout,
    relative: bool,
    module: Option<String>,
    /// `--account`, for the master log's item lines.
    account: Option<String>,
    level: Level,
    since: Option<i64>,
    until: Option<i64>,
    grep: Option<Regex>,
    /// The same pattern over bytes, for the search in bulk.
    bulk: Option<regex::bytes::Regex>,
    before: usize,
    after: usize,
    all: bool,
    raw_csv: bool,
    matched: u64,
    printed: u64,
    buf: String,
}

/// Where the printer writes: straight out, or through the CSV writer.
enum Dest {
    Plain(Output),
    /// CSV rows, written through a buffer the output drains.
    Csv(Box<CsvOut<Shared>>, Shared, Output),
    /// Into memory: one file's lines, searched beside others.
    Mem(Vec<u8>),
    /// Rows into memory, likewise.
    MemCsv(Box<CsvOut<Vec<u8>>>),
}

impl Dest {
    fn finish(self) -> Result<()> {
        match self {
            Dest::Plain(o) => o.finish(),
            Dest::Csv(c, shared, mut out) => {
                c.finish()?;
                out.write_all(&shared.take())?;
                out.finish()
            }
            Dest::Mem(_) | Dest::MemCsv(_) => Ok(()),
        }
    }

    /// What a memory destination holds.
    fn into_bytes(self) -> io::Result<Vec<u8>> {
        match self {
            Dest::Mem(v) => Ok(v),
            Dest::MemCsv(c) => c.into_inner(),
            Dest::Plain(_) | Dest::Csv(..) => Ok(Vec::new()),
        }
    }

    /// Writes bytes rendered elsewhere (rows already in this format).
    fn write_rendered(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Dest::Plain(o) => o.write_all(bytes),
            Dest::Csv(c, shared, out) => {
                c.flush()?;
                out.write_all(&shared.take())?;
                out.write_all(bytes)
            }
            Dest::Mem(v) => {
                v.extend_from_slice(bytes);
                Ok(())
            }
            Dest::MemCsv(_) => Err(io::Error::other("rows are not joined into memory")),
        }
    }
}

impl Write for Dest {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Dest::Plain(o) => o.write(buf),
            Dest::Mem(v) => v.write(buf),
            Dest::Csv(..) | Dest::MemCsv(_) => {
                Err(io::Error::other("CSV output takes rows, not text"))
            }
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Dest::Plain(o) => o.flush(),
            Dest::Csv(c, shared, out) => {
                c.flush()?;
                out.write_all(&shared.take())?;
                out.flush()
            }
            Dest::Mem(_) => Ok(()),
            Dest::MemCsv(c) => c.flush(),
        }
    }
}

/// A byte buffer two writers share: the CSV writer fills it, the
/// output drains it.
#[derive(Clone, Default)]
struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Shared {
    fn buf(&self) -> std::sync::MutexGuard<'_, Vec<u8>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.buf())
    }
    fn len(&self) -> usize {
        self.buf().len()
    }
}

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.buf().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The per-file state of the printer: its heading, context and times.
#[derive(Default)]
struct FileState {
    headed: bool,
    /// Shown lines kept for a before-context: (place, rendered text).
    ring: std::collections::VecDeque<(u64, String)>,
    /// Lines that passed the filters so far (a line's place among them
    /// decides where a context group ends).
    seq: u64,
    /// Lines still to print after a match.
    after_left: usize,
    last_printed: Option<u64>,
    first_time: Option<i64>,
    last_time: Option<i64>,
}

impl Printer {
    /// A printer with the same settings that writes into memory.
    fn fork(&self) -> Printer {
        Printer {
            out: match self.out {
                Dest::Csv(..) | Dest::MemCsv(_) => {
                    Dest::MemCsv(Box::new(CsvOut::new(Vec::new(), self.raw_csv)))
                }
                _ => Dest::Mem(Vec::new()),
            },
            format: self.format,
            layout: self.layout.clone(),
            relative: self.relative,
            module: self.module.clone(),
            account: self.account.clone(),
            level: self.level,
            since: self.since,
            until: self.until,
            grep: self.grep.clone(),
            bulk: self.bulk.clone(),
            before: self.before,
            after: self.after,
            all: self.all,
            raw_csv: self.raw_csv,
            matched: 0,
            printed: 0,
            buf: String::new(),
        }
    }

    /// Takes in what a forked printer wrote, in order.
    fn join(&mut self, other: Printer) -> io::Result<()> {
        let (printed, matched) = (other.printed, other.matched);
        let bytes = other.out.into_bytes()?;
        if !bytes.is_empty() {
            if self.printed > 0 && self.format == LogFormat::Text {
                self.out.write_all(b"\n")?;
            }
            self.out.write_rendered(&bytes)?;
        }
        self.printed += printed;
        self.matched += matched;
        Ok(())
    }

    /// Whether a line passes every filter but the search.
    fn passes(&self, e: &LogEntry<'_>, time: Option<i64>) -> bool {
        // A master-log line about an item is shown for a chosen account
        // only (lines about the session itself always are).
        if let (Some(g), Some(item)) = (&self.account, e.item) {
            if !glob(g, item) && !e.local_item.is_some_and(|l| glob(g, l)) {
                return false;
            }
        }
        if !self.all && self.format == LogFormat::Text && !e.shown() {
            return false;
        }
        if e.kind.level() < self.level {
            return false;
        }
        if let Some(m) = &self.module {
            if !e.module.is_some_and(|name| glob(m, name)) {
                return false;
            }
        }
        match time {
            Some(t) => self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t < u),
            None => self.since.is_none() && self.until.is_none(),
        }
    }

    fn entry(&mut self, st: &mut FileState, target: &Target, e: &LogEntry<'_>) -> io::Result<()> {
        if let Some(t) = e.time {
            st.first_time.get_or_insert(t);
            st.last_time = Some(t);
        }
        if !self.passes(e, e.time.or(st.last_time)) {
            return Ok(());
        }
        st.seq += 1;
        let place = st.seq;
        let hit = self.grep.as_ref().is_none_or(|re| re.is_match(e.text));
        if hit {
            self.matched += 1;
        }
        let src = target.source();
        if self.format != LogFormat::Text {
            return if hit { self.row(&src, e) } else { Ok(()) };
        }
        let mut layout = self.layout.clone();
        if self.relative {
            layout.relative_to = st.first_time;
        }
        if e.time.is_none() {
            layout.inherited_time = st.last_time;
        }
        self.buf.clear();
        text_line(e, &src, &layout, &mut self.buf);
        if !hit {
            if st.after_left > 0 {
                st.after_left -= 1;
                let text = std::mem::take(&mut self.buf);
                return self.print(st, target, place, &text);
            }
            if self.before > 0 {
                if st.ring.len() == self.before {
                    st.ring.pop_front();
                }
                st.ring.push_back((place, self.buf.clone()));
            }
            return Ok(());
        }
        for (line, text) in std::mem::take(&mut st.ring) {
            self.print(st, target, line, &text)?;
        }
        st.after_left = self.after;
        let text = std::mem::take(&mut self.buf);
        self.print(st, target, place, &text)
    }

    fn print(
        &mut self,
        st: &mut FileState,
        target: &Target,
        place: u64,
        text: &str,
    ) -> io::Result<()> {
        if !st.headed {
            if self.printed > 0 {
                self.out.write_all(b"\n")?;
            }
            let h = heading(&target.source(), self.layout.width, self.layout.color);
            writeln!(self.out, "{h}")?;
            st.headed = true;
        } else if self.grep.is_some()
            && (self.before > 0 || self.after > 0)
            && st.last_printed.is_some_and(|l| place > l + 1)
        {
            self.out.write_all(b"--\n")?;
        }
        st.last_printed = Some(place);
        self.printed += 1;
        self.out.write_all(text.as_bytes())
    }

    fn row(&mut self, src: &LogSource<'_>, e: &LogEntry<'_>) -> io::Result<()> {
        let row = LogRow { src, e };
        self.printed += 1;
        match &mut self.out {
            Dest::Csv(c, shared, out) => {
                c.record(&row)?;
                if shared.len() >= SLICE {
                    c.flush()?;
                    out.write_all(&shared.take())?;
                }
                Ok(())
            }
            Dest::MemCsv(c) => c.record(&row),
            out => {
                serde_json::to_writer(&mut *out, &Json(&row))?;
                out.write_all(b"\n")
            }
        }
    }
}

/// Where a view's entries go.
type EntryFn = Box<dyn FnMut(&LogEntry<'_>) -> ControlFlow<()>>;
/// A search's cheap first test of a raw line (by its number).
type Prefilter = Box<dyn FnMut(u64, &str) -> bool>;

/// A file being read, kept between polls when following.
struct Open {
    target: Target,
    /// The name it was last read under (with the dot while active).
    file_name: String,
    offset: u64,
    carry: Vec<u8>,
    view: LogView<EntryFn, Prefilter>,
    done: bool,
    /// The search over unescaped text, when the pattern allows it.
    bulk: Option<regex::bytes::Regex>,
    /// Raw lines read around each candidate (before, after): enough for
    /// the shown lines of a context.
    context: (usize, usize),
    /// Rows are written (their percent column needs progress lines).
    rows: bool,
    /// A plain-text pattern's characters, and whether case is ignored.
    literal: Option<(Vec<u8>, bool)>,
    /// The number of the next line to read.
    next_line: u64,
    /// The last slice ended inside a line over the cap: what follows up
    /// to its end is dropped.
    skip_rest_of_line: bool,
}

/// Whether a pattern can be searched for in a log's text with its JSON
/// escapes decoded ([`xferlens_replay::unescape_lines`]) rather than
/// message by message: not when it can see what differs between the two
/// (anchors and word boundaries at a message's ends, newlines between
/// message lines, flags).
fn searchable_in_bulk(pattern: &str) -> bool {
    // What could see a message's ends or the newlines between its
    // strings: anchors, flags, negated and POSIX classes.
    const UNSAFE: [&str; 5] = ["^", "$", "[^", "(?", "[[:"];
    if UNSAFE.iter().any(|u| pattern.contains(u)) {
        return false;
    }
    // Escapes: only escaped punctuation, digits and word characters
    // (none of which is a newline).
    let b = pattern.as_bytes();
    (0..b.len()).all(|i| {
        b[i] != b'\\'
            || b[..i].iter().rev().take_while(|&&c| c == b'\\').count() % 2 == 1
            || b.get(i + 1)
                .is_some_and(|&c| c.is_ascii_punctuation() || c == b'd' || c == b'w')
    })
}

/// The lines of `chunk` (starting at line `first`) whose decoded text
/// `re` may match: every message is a run of the unescaped text.
fn candidates(
    chunk: &[u8],
    first: u64,
    re: &regex::bytes::Regex,
    buf: &mut (Vec<u8>, Vec<usize>),
) -> Vec<u64> {
    let (text, starts) = buf;
    xferlens_replay::unescape_lines(chunk, text, starts);
    lines_matching(text, starts, first, re)
}

/// The lines of `text` (lines starting at `starts`, the first numbered
/// `first`) where `re` finds a match; the search goes on at the next line.
fn lines_matching(text: &[u8], starts: &[usize], first: u64, re: &regex::bytes::Regex) -> Vec<u64> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(m) = re.find_at(text, at) {
        let i = starts.partition_point(|&s| s <= m.start()) - 1;
        out.push(first + i as u64);
        at = match starts.get(i + 1) {
            Some(&next) if next > m.start() => next,
            _ => break,
        };
        if at >= text.len() {
            break;
        }
    }
    out
}

/// The characters of a pattern that is plain text (no regex syntax, no
/// control characters, ASCII only), lowercased when the search ignores
/// case: such a pattern can be searched in the raw text of a slice whose
/// escapes decode to none of them ([`escapes_matter`]).
fn plain_literal(pattern: &str, ignore_case: bool) -> Option<Vec<u8>> {
    // Case folding reaches beyond ASCII (K matches the Kelvin sign).
    let plain = !ignore_case
        && !pattern.is_empty()
        && pattern
            .bytes()
            .all(|b| b.is_ascii() && !b.is_ascii_control() && !br".^$*+?()[]{}|\".contains(&b));
    plain.then(|| {
        let mut v: Vec<u8> = pattern
            .bytes()
            .map(|b| {
                if ignore_case {
                    b.to_ascii_lowercase()
                } else {
                    b
                }
            })
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    })
}

/// Whether a JSON escape in `chunk` decodes to one of `chars` (then the
/// raw text may hide a match the decoded text has): `\uXXXX` of an ASCII
/// character, `\"` and `\/`. Other escapes decode to characters a plain
/// ASCII pattern does not have.
fn escapes_matter(chunk: &[u8], chars: &[u8], ignore_case: bool) -> bool {
    let has = |c: u8| {
        chars
            .binary_search(&if ignore_case {
                c.to_ascii_lowercase()
            } else {
                c
            })
            .is_ok()
    };
    if (has(b'"') && memchr::memmem::find(chunk, b"\\\"").is_some())
        || (has(b'/') && memchr::memmem::find(chunk, b"\\/").is_some())
    {
        return true;
    }
    let nibble = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    memchr::memmem::find_iter(chunk, b"\\u00").any(|i| {
        // Only \u0000 to \u007f decode to ASCII.
        match (
            chunk.get(i + 4).copied().and_then(nibble),
            chunk.get(i + 5).copied().and_then(nibble),
        ) {
            (Some(hi), Some(lo)) if hi < 8 => has(hi << 4 | lo),
            _ => false,
        }
    })
}

/// Runs `xferlens log`.
pub fn run(ctx: &Ctx, a: &LogArgs) -> Result<Outcome> {
    QUIET.store(ctx.global.quiet, std::sync::atomic::Ordering::Relaxed);
    let paths = paths_or_default(&a.paths)?;
    let (sources, errs) = discover(&paths);
    let mut outcome = Outcome {
        input_errors: errs.len(),
        errors: errs.iter().map(|e| format!("{e:#}")).collect(),
        ..Outcome::default()
    };
    if let Some(o) = &a.output {
        check_not_input(&[o.as_path()], &sources)?;
    }
    let grep = a
        .grep
        .as_deref()
        .map(|p| {
            regex::RegexBuilder::new(p)
                .case_insensitive(a.ignore_case)
                .size_limit(1 << 24)
                .build()
                .map_err(|e| {
                    // The parser's last line says what is wrong.
                    let why = e.to_string();
                    let why = why
                        .lines()
                        .rev()
                        .find(|l| !l.trim().is_empty())
                        .unwrap_or("")
                        .trim()
                        .to_owned();
                    anyhow::anyhow!(
                        "--grep {p}: not a valid pattern ({})",
                        why.trim_start_matches("error: ")
                    )
                })
        })
        .transpose()?;
    let text = a.format == LogFormat::Text;
    let out = Output::open(a.output.as_deref(), !text)?;
    let out = if a.format == LogFormat::Csv {
        let shared = Shared::default();
        let mut c = CsvOut::new(shared.clone(), a.raw_csv);
        c.header_of::<LogRow>()?;
        Dest::Csv(Box::new(c), shared, out)
    } else {
        Dest::Plain(out)
    };
    let context = a.context.unwrap_or(0);
    let printer = Rc::new(RefCell::new(Printer {
        out,
        format: a.format,
        layout: TextLayout {
            color: ctx.color && a.output.is_none(),
            times: !a.no_time,
            relative_to: None,
            modules: !a.master,
            line_numbers: a.line_number,
            inherited_time: None,
            width: if a.output.is_none() {
                crate::terminal_width()
            } else {
                None
            },
        },
        relative: a.relative,
        module: a.module.clone(),
        account: a.account.clone(),
        level: match a.level {
            None => Level::Info,
            Some(LogLevel::Warn) => Level::Warning,
            Some(LogLevel::Error) => Level::Error,
        },
        since: a.since,
        until: a.until,
        bulk: match &a.grep {
            Some(p) => Some(
                regex::bytes::RegexBuilder::new(p)
                    .case_insensitive(a.ignore_case)
                    .size_limit(1 << 24)
                    .build()?,
            ),
            None => None,
        },
        grep,
        before: a.before.unwrap_or(context),
        after: a.after.unwrap_or(context),
        all: a.all,
        raw_csv: a.raw_csv,
        matched: 0,
        printed: 0,
        buf: String::new(),
    }));
    let opts = ctx.read.parse.clone();
    let mut open: Vec<Open> = Vec::new();
    let mut dirs: Vec<PathBuf> = Vec::new();
    for src in &sources {
        if stdout_closed() {
            break;
        }
        let r = match src {
            Source::Dir(d) if a.account.is_some() && !a.master && targets(ctx, d, a).is_empty() => {
                note(&format!(
                    "{}: --account {} matched no account",
                    d.display(),
                    a.account.as_deref().unwrap_or("")
                ));
                Ok(())
            }
            Source::Dir(d) if a.grep.is_some() && !a.follow => {
                search_dir(ctx, d, a, &printer, &opts).map_err(anyhow::Error::from)
            }
            Source::Dir(d) => {
                dirs.push(d.clone());
                for t in targets(ctx, d, a) {
                    let mut o = start(t, &printer, a);
                    read_more(&mut o, &opts, a.follow);
                    if a.follow {
                        open.push(o);
                    }
                }
                Ok(())
            }
            Source::File(p) => show_file(ctx, p, a, &printer, &opts),
            Source::Stdin => {
                let t = lone_target(Path::new("stdin"), ctx, "stdin");
                show_stream(t, io::stdin().lock(), a, &printer, &opts)
            }
        };
        if let Err(e) = r {
            outcome.input_errors += 1;
            outcome.errors.push(format!("{e:#}"));
        }
        if !a.follow {
            open.clear();
        }
    }
    if a.follow {
        follow(ctx, a, &dirs, &mut open, &printer, &opts)?;
    }
    for o in &mut open {
        o.view.finish();
    }
    drop(open);
    let p = Rc::try_unwrap(printer)
        .map_err(|_| anyhow::anyhow!("log printer still shared"))?
        .into_inner();
    if a.grep.is_some() && p.matched == 0 {
        outcome.found = true;
    }
    p.out.finish()?;
    Ok(outcome)
}

/// Set by `--quiet`: no notes on standard error.
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// A note on standard error about a file not shown or shown in part.
fn note(msg: &str) {
    static SAID: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    if QUIET.load(std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    // Once each (a followed session is listed again at every poll).
    let mut said = SAID.lock().unwrap_or_else(|e| e.into_inner());
    if said.len() < 1000 && !said.iter().any(|m| m == msg) {
        said.push(msg.to_owned());
        eprintln!("xferlens: {}", xferlens_report::escape::terminal(msg));
    }
}

/// Files at most this large are searched beside others, their lines
/// kept in memory until their turn; a larger one is streamed alone.
const SEARCH_IN_MEMORY_MAX: u64 = 64 << 20;

/// What one file's search gave: lines printed, lines matched, its bytes.
type Searched = (u64, u64, io::Result<Vec<u8>>);

/// Searches the logs of a session directory on every core, a window of
/// files at a time, writing each file's lines in order (as ripgrep does).
fn search_dir(
    ctx: &Ctx,
    dir: &Path,
    a: &LogArgs,
    printer: &Rc<RefCell<Printer>>,
    opts: &ParseOptions,
) -> io::Result<()> {
    use rayon::prelude::*;
    let all = targets(ctx, dir, a);
    let size = |t: &Target| {
        locate(t)
            .and_then(|n| fs::symlink_metadata(t.dir.join(n)).ok())
            .map_or(0, |m| m.len())
    };
    let sizes: Vec<u64> = all.iter().map(size).collect();
    let big = |i: usize| sizes[i] > SEARCH_IN_MEMORY_MAX;
    // Windows of files of at most SEARCH_IN_MEMORY_MAX bytes in all (and
    // 256 files): few waits for the slowest file, bounded memory.
    let mut windows: Vec<std::ops::Range<usize>> = Vec::new();
    let (mut from, mut bytes) = (0, 0);
    for (i, &n) in sizes.iter().enumerate() {
        if i > from && (bytes + n > SEARCH_IN_MEMORY_MAX || i - from >= 256) {
            windows.push(from..i);
            (from, bytes) = (i, 0);
        }
        bytes += n;
    }
    windows.push(from..all.len());
    for w in windows {
        if stdout_closed() {
            break;
        }
        let first = w.start;
        let group = &all[w];
        let forks: Vec<Printer> = group.iter().map(|_| printer.borrow().fork()).collect();
        let done: Vec<Option<Searched>> = group
            .par_iter()
            .zip(forks)
            .enumerate()
            .map(|(i, (t, fork))| {
                if big(first + i) {
                    return None;
                }
                let p = Rc::new(RefCell::new(fork));
                let mut o = start(t.clone(), &p, a);
                read_more(&mut o, opts, false);
                drop(o);
                let p = Rc::try_unwrap(p).ok()?.into_inner();
                Some((p.printed, p.matched, p.out.into_bytes()))
            })
            .collect();
        for (t, r) in group.iter().zip(done) {
            match r {
                Some((printed, matched, bytes)) => {
                    let mut pr = printer.borrow_mut();
                    let mut part = pr.fork();
                    part.printed = printed;
                    part.matched = matched;
                    part.out = Dest::Mem(bytes?);
                    pr.join(part)?;
                }
                None => {
                    let mut o = start(t.clone(), printer, a);
                    read_more(&mut o, opts, false);
                }
            }
        }
    }
    Ok(())
}

/// The log files of a session directory, in the order they are shown.
fn targets(ctx: &Ctx, dir: &Path, a: &LogArgs) -> Vec<Target> {
    let mut session_id = xferlens_replay::id_for_dir(dir);
    if matches!(session_id.as_str(), "." | ".." | "") {
        // `xferlens log .` from inside the session: its own name.
        if let Some(n) = dir.canonicalize().ok().as_deref().and_then(Path::file_name) {
            session_id = n.to_string_lossy().into_owned();
        }
    }
    let listing = listing(dir);
    let mk = |queue: &str, item_type: &str, item: &str, name: String| Target {
        session_id: session_id.clone(),
        queue: queue.to_owned(),
        item_type: item_type.to_owned(),
        item: item.to_owned(),
        name,
        dir: dir.to_owned(),
    };
    if a.master {
        return vec![mk("", "", "", "master.log".to_owned())];
    }
    let mut out: Vec<Target> = Vec::new();
    let read = ReadOptions {
        master_only: true,
        ..ctx.read.clone()
    };
    if let Ok(s) = read_session_dir(dir, ctx.global.session_id.as_deref(), &read) {
        // Each account once, in the master's order, TRANSFER then RESTORE.
        let mut seen: Vec<(&str, &str)> = Vec::new();
        for it in &s.items {
            if !seen.contains(&(&it.item_type, &it.item)) {
                seen.push((&it.item_type, &it.item));
            }
        }
        for (ty, name) in seen {
            for q in [TRANSFER, RESTORE] {
                let Some(it) = s
                    .items
                    .iter()
                    .find(|i| i.queue == q && i.item_type == ty && i.item == name)
                else {
                    continue;
                };
                let names = [it.item.as_str(), it.local_item.as_deref().unwrap_or("")];
                if !chosen(a, q, &names) {
                    continue;
                }
                let plain = default_log_name(q, ty, name);
                let file = match &it.logfile {
                    Some(f) if safe_file_name(f) => f.clone(),
                    Some(f) => {
                        note(&format!(
                            "{}: the master names `{f}` as the log of {q} {name}: not a file name inside the session; reading {plain}",
                            dir.display()
                        ));
                        plain
                    }
                    None => plain,
                };
                out.push(mk(q, ty, name, file));
            }
        }
    }
    // Item logs the master does not name (or no master at all).
    let mut rest: Vec<&String> = listing
        .iter()
        .filter(|n| !out.iter().any(|t| &t.name == *n))
        .collect();
    rest.sort_by_key(|n| (item_log_parts(n).map(|p| p.0 != TRANSFER), n.to_string()));
    for n in rest {
        if let Some((q, ty, item)) = item_log_parts(n) {
            if chosen(a, q, &[item]) {
                out.push(mk(q, ty, item, n.clone()));
            }
        }
    }
    out
}

/// Whether an item of queue `q` named `names` is asked for.
fn chosen(a: &LogArgs, q: &str, names: &[&str]) -> bool {
    let queue_ok = a.queue.is_empty() || a.queue.iter().any(|x| x.eq_ignore_ascii_case(q));
    let name_ok = a
        .account
        .as_deref()
        .is_none_or(|g| names.iter().any(|n| !n.is_empty() && glob(g, n)));
    queue_ok && name_ok
}

/// The completed names of the item logs in a directory.
fn listing(dir: &Path) -> Vec<String> {
    let Ok(rd) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = rd
        .flatten()
        .filter_map(|e| {
            let raw = e.file_name().to_string_lossy().into_owned();
            match classify(&raw) {
                FileRole::ItemLog { name, .. } => Some(name),
                _ => {
                    if raw.trim_start_matches('.').starts_with("item-") {
                        note(&format!(
                            "{}: an item log name with control characters; not read",
                            dir.join(&raw).display()
                        ));
                    }
                    None
                }
            }
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Why a target's file is there but not read (a symlink, a FIFO, a
/// directory: nothing but a regular file is opened in a session).
fn irregular(t: &Target) -> Option<String> {
    [
        t.name.clone(),
        format!(".{}", t.name),
        format!("{}.gz", t.name),
    ]
    .into_iter()
    .find_map(|n| {
        let m = fs::symlink_metadata(t.dir.join(&n)).ok()?;
        let what = if m.file_type().is_symlink() {
            "a symbolic link"
        } else if m.is_dir() {
            "a directory"
        } else if m.is_file() {
            return None;
        } else {
            "not a regular file (a FIFO, socket or device)"
        };
        Some(format!("{}: {what}; not read", t.dir.join(n).display()))
    })
}

/// The file a target is under now: its completed name, its active dot
/// name, or an archived `.gz` copy.
fn locate(t: &Target) -> Option<String> {
    [
        t.name.clone(),
        format!(".{}", t.name),
        format!("{}.gz", t.name),
    ]
    .into_iter()
    .find(|n| fs::symlink_metadata(t.dir.join(n)).is_ok_and(|m| m.is_file()))
}

/// A view of one target whose entries go to the printer.
fn start(target: Target, printer: &Rc<RefCell<Printer>>, a: &LogArgs) -> Open {
    let p = Rc::clone(printer);
    let t = target.clone();
    let mut st = FileState::default();
    let f: EntryFn = Box::new(move |e| {
        let mut pr = p.borrow_mut();
        if pr.entry(&mut st, &t, e).is_err() || stdout_closed() {
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    let master = target.queue.is_empty();
    let view = LogView::new(master, f);
    let pr = printer.borrow();
    // A master log is small and worded by xferlens; a context counts
    // shown lines, which only a full reading knows: both are read line
    // by line.
    let bulk = match (&pr.grep, a.grep.as_deref()) {
        (Some(_), Some(pattern))
            if searchable_in_bulk(pattern) && !master && pr.before == 0 && pr.after == 0 =>
        {
            pr.bulk.clone()
        }
        _ => None,
    };
    let widen = |n: usize| if n > 0 { n * 4 + 8 } else { 0 };
    let context = (widen(pr.before), widen(pr.after));
    let rows = pr.format != LogFormat::Text;
    drop(pr);
    let literal = a
        .grep
        .as_deref()
        .and_then(|p| plain_literal(p, a.ignore_case))
        .map(|c| (c, a.ignore_case));
    Open {
        bulk,
        context,
        rows,
        literal,
        next_line: 1,
        skip_rest_of_line: false,
        target,
        file_name: String::new(),
        offset: 0,
        carry: Vec::new(),
        view,
        done: false,
    }
}

thread_local! {
    /// The read buffer, kept between files.
    static CHUNK: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// The unescaped text of a slice and its line starts, kept between slices.
    static SCRATCH: RefCell<(Vec<u8>, Vec<usize>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

impl Open {
    /// Reads one slice of whole lines. With a search in bulk, only the
    /// lines it may match are decoded, with the lines around them that a
    /// context or the view's state (modules, continued messages, the
    /// first time) needs.
    fn slice(&mut self, bytes: &[u8], opts: &ParseOptions) {
        let first = self.next_line;
        let Some(re) = &self.bulk else {
            self.next_line += lines_in(bytes);
            return self.view.read_slice(&self.target.name, bytes, opts);
        };
        let raw: Vec<usize> = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1))
            .collect();
        let count = raw.len() as u64 - u64::from(raw.last() == Some(&bytes.len()));
        let mut want = match &self.literal {
            Some((chars, ci)) if !escapes_matter(bytes, chars, *ci) => {
                lines_matching(bytes, &raw, first, re)
            }
            _ => SCRATCH.with_borrow_mut(|s| candidates(bytes, first, re, s)),
        };
        if self.view.pending() {
            // A message continued from the last slice ends in this one.
            want.push(first);
        }
        let (before, after) = self.context;
        let mut around: Vec<u64> = Vec::new();
        let line_at = |n: u64| {
            let i = (n - first) as usize;
            &bytes[raw[i]..raw.get(i + 1).copied().unwrap_or(bytes.len())]
        };
        for &l in &want {
            around.extend(l.saturating_sub(before as u64).max(first)..l);
            around.extend(l + 1..=l + after as u64);
        }
        want.extend(around);
        want.extend(xferlens_replay::structural_lines(
            bytes, &raw, first, self.rows,
        ));
        // The time a line without one takes is the last one before it:
        // the nearest earlier line that may carry a time is read too.
        let timed: Vec<u64> = want
            .iter()
            .filter(|&&l| l >= first && l < first + count && !contains(line_at(l), b"\"time\""))
            .filter_map(|&l| {
                (first.max(l.saturating_sub(1000))..l)
                    .rev()
                    .find(|&n| contains(line_at(n), b"\"time\""))
            })
            .collect();
        want.extend(timed);
        want.sort_unstable();
        want.dedup();
        // A line with its line end: one without is a cut last line.
        let line_of = line_at;
        let mut next = first;
        // Until a line has given the log's first time, every line is read.
        while next < first + count && self.view.first_time().is_none() {
            self.view
                .read_line_at(&self.target.name, line_of(next), next, opts);
            next += 1;
        }
        for n in want.into_iter().filter(|&n| n >= next && n < first + count) {
            self.view
                .read_line_at(&self.target.name, line_of(n), n, opts);
        }
        self.next_line = first + count;
    }
}

/// Whether `needle` occurs in `hay`.
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

/// Line count of a slice (a last line without its end counts).
fn lines_in(bytes: &[u8]) -> u64 {
    let n = memchr::memchr_iter(b'\n', bytes).count() as u64;
    n + u64::from(!bytes.is_empty() && !bytes.ends_with(b"\n"))
}

/// Reads what is new in a target's file. A completed file is read to
/// its end once; an active one up to its last line end (the rest waits
/// for the next poll when following).
fn read_more(o: &mut Open, opts: &ParseOptions, follow: bool) {
    if o.done {
        return;
    }
    let Some(name) = locate(&o.target) else {
        // No log (yet): a live session may still write it; an ended one
        // never will (a worker that died, an item never started).
        if !follow || session_ended(&o.target.dir) {
            o.view.finish();
            o.done = true;
            if o.file_name.is_empty() {
                match irregular(&o.target) {
                    Some(why) => note(&why),
                    None => note(&format!(
                        "{}: no log file",
                        o.target.dir.join(&o.target.name).display()
                    )),
                }
            }
        }
        return;
    };
    let active = name.starts_with('.');
    let path = o.target.dir.join(&name);
    if name.ends_with(".gz") {
        if let Ok(f) = open_in_session(&path) {
            let _ = o.view.read(&o.target.name, f, opts);
        }
        o.done = true;
        return;
    }
    o.file_name = name;
    let Ok(mut f) = open_in_session(&path) else {
        return;
    };
    use std::io::Seek;
    if f.metadata().is_ok_and(|m| m.len() < o.offset) {
        // Truncated and written anew (as `tail -F` sees it): from the top.
        note(&format!(
            "{}: truncated; reading it from its start",
            path.display()
        ));
        o.offset = 0;
        o.carry.clear();
        o.next_line = 1;
        o.skip_rest_of_line = false;
        o.view.restart();
    }
    if f.seek(io::SeekFrom::Start(o.offset)).is_err() {
        return;
    }
    // The tail of the last read (the start of a line) goes first in the
    // buffer, new bytes after it: whole lines are read where they lie.
    let closed = CHUNK.with_borrow_mut(|buf| loop {
        let tail = o.carry.len();
        if buf.len() < tail + SLICE {
            buf.resize(tail + SLICE, 0);
        }
        buf[..tail].copy_from_slice(&o.carry);
        o.carry.clear();
        let n = f.read(&mut buf[tail..]).unwrap_or(0);
        if n == 0 {
            o.carry.extend_from_slice(&buf[..tail]);
            return false;
        }
        o.offset += n as u64;
        let mut data = &buf[..tail + n];
        if o.skip_rest_of_line {
            // The rest of a line over the cap: dropped up to its end.
            match memchr::memchr(b'\n', data) {
                None => continue,
                Some(i) => {
                    data = &data[i + 1..];
                    o.skip_rest_of_line = false;
                }
            }
        }
        match memchr::memrchr(b'\n', data) {
            Some(end) => {
                o.slice(&data[..=end], opts);
                o.carry.extend_from_slice(&data[end + 1..]);
            }
            // A line over the cap: shown as cut (one line), never held
            // whole.
            None if data.len() > opts.max_line_len => {
                o.slice(data, opts);
                o.skip_rest_of_line = true;
            }
            None => o.carry.extend_from_slice(data),
        }
        if stdout_closed() {
            return true;
        }
    });
    if closed {
        o.done = true;
        return;
    }
    if !active || !follow {
        if !o.carry.is_empty() {
            let rest = std::mem::take(&mut o.carry);
            o.slice(&rest, opts);
        }
        o.view.finish();
        o.done = !active || !follow;
    }
}

/// Follows live session directories: new lines of active files, files
/// renamed when they complete, item logs that appear, until every file
/// shown is complete and its session has ended (or, with `--account`,
/// every chosen account's RESTORE log is complete).
fn follow(
    ctx: &Ctx,
    a: &LogArgs,
    dirs: &[PathBuf],
    open: &mut Vec<Open>,
    printer: &Rc<RefCell<Printer>>,
    opts: &ParseOptions,
) -> Result<()> {
    let interval = Duration::from_secs_f64(a.interval);
    loop {
        printer.borrow_mut().out.flush()?;
        let all_done = open.iter().all(|o| o.done);
        let ended = dirs.iter().all(|d| session_ended(d));
        let accounts_done = a.account.is_some()
            && !open.is_empty()
            && open.iter().filter(|o| o.target.queue == RESTORE).count() > 0
            && open.iter().all(|o| o.done);
        if stdout_closed() || (all_done && (ended || accounts_done)) {
            return Ok(());
        }
        std::thread::sleep(interval);
        for d in dirs {
            for t in targets(ctx, d, a) {
                if !open
                    .iter()
                    .any(|o| o.target.name == t.name && o.target.dir == t.dir)
                {
                    open.push(start(t, printer, a));
                }
            }
        }
        for o in open.iter_mut() {
            read_more(o, opts, true);
        }
    }
}

/// A session has ended when its master log is no longer the active dot
/// file (the writer renames it when the session is done).
fn session_ended(dir: &Path) -> bool {
    !dir.join(".master.log").exists()
}

/// The target of a file given on its own: an item log by its name, or a
/// master log (any other name; a master-log reading shows item-log
/// lines as they are).
fn lone_target(p: &Path, ctx: &Ctx, display: &str) -> Target {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| display.to_owned());
    let id = xferlens_replay::id_for_file(p, ctx.global.session_id.as_deref());
    match classify(&name) {
        FileRole::ItemLog { name, .. } => {
            let (q, ty, item) = item_log_parts(&name).unwrap_or(("", "", ""));
            Target {
                session_id: id,
                queue: q.to_owned(),
                item_type: ty.to_owned(),
                item: item.to_owned(),
                name: name.clone(),
                dir: PathBuf::new(),
            }
        }
        _ => Target {
            session_id: id,
            queue: String::new(),
            item_type: String::new(),
            item: String::new(),
            name,
            dir: PathBuf::new(),
        },
    }
}

/// Shows one stream (plain, gzip or a saved API response).
fn show_stream<R: Read>(
    t: Target,
    r: R,
    a: &LogArgs,
    printer: &Rc<RefCell<Printer>>,
    opts: &ParseOptions,
) -> Result<()> {
    let display = t.name.clone();
    let mut o = start(t, printer, a);
    o.view
        .read(&display, r, opts)
        .with_context(|| format!("{display}: cannot read"))?;
    if o.view.lines == 0 {
        anyhow::bail!("{display}: not a transfer session log: no line in it");
    }
    Ok(())
}

/// Shows a file given on its own: a log, or each chosen log of a tar
/// archive in archive order.
fn show_file(
    ctx: &Ctx,
    p: &Path,
    a: &LogArgs,
    printer: &Rc<RefCell<Printer>>,
    opts: &ParseOptions,
) -> Result<()> {
    let (f, _) =
        xferlens_replay::open_input(p).with_context(|| format!("{}: cannot open", p.display()))?;
    let (tar, stream) = xferlens_replay::sniff_stream(f)
        .with_context(|| format!("{}: cannot read", p.display()))?;
    if !tar {
        let t = lone_target(p, ctx, &p.display().to_string());
        if a.master && !t.queue.is_empty() {
            return Ok(());
        }
        if !t.queue.is_empty() && !chosen(a, &t.queue, &[&t.item]) {
            return Ok(());
        }
        return show_stream(t, stream, a, printer, opts);
    }
    walk_tar(stream, |m| {
        if !m.regular || stdout_closed() {
            return Ok(());
        }
        let member = Path::new(&m.path);
        let Some(file) = member.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            return Ok(());
        };
        let session_id = member
            .parent()
            .and_then(|d| d.file_name())
            .map(|d| d.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (queue, item_type, item, name) = match classify(&file) {
            FileRole::Master { .. } if a.master => {
                (String::new(), String::new(), String::new(), file)
            }
            FileRole::ItemLog { name, .. } if !a.master => match item_log_parts(&name) {
                Some((q, ty, it)) if chosen(a, q, &[it]) => {
                    (q.to_owned(), ty.to_owned(), it.to_owned(), name.clone())
                }
                _ => return Ok(()),
            },
            _ => return Ok(()),
        };
        let t = Target {
            session_id,
            queue,
            item_type,
            item,
            name,
            dir: PathBuf::new(),
        };
        let display = format!("{}:{}", p.display(), m.path);
        let mut o = start(t, printer, a);
        o.view.read(&display, m.reader, opts)
    })
    .with_context(|| format!("{}: cannot read the archive", p.display()))
}
