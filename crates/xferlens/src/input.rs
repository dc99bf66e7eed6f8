//! Inputs: finding sessions behind the paths the user gave, and loading
//! each into a replayed [`Session`]. Directories, single files (plain,
//! gzip, saved API responses), tar archives (plain or gzip, read as a
//! stream and never extracted) and stdin.
//!
//! A file or stream is opened once and its form sniffed inside the first
//! buffer, so a FIFO or `<(...)` loses nothing. Devices are refused.
//! Input that holds no transfer-log line at all is an error, never an
//! empty session.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use flate2::read::MultiGzDecoder;
use rayon::prelude::*;
use xferlens_parse::{Diagnostic, DiagnosticKind};
use xferlens_replay::{
    classify, is_session_dir, is_tar_header, open_input, read_session_dir, read_tar_each, FileRole,
    ReadOptions, Session, SessionBuilder,
};
use xferlens_report::escape::terminal as t;

/// Where sessions come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A session directory.
    Dir(PathBuf),
    /// A file or stream: a log (plain, gzip, API response) or a tar
    /// archive of sessions, told apart by content when it is read.
    File(PathBuf),
    /// Standard input.
    Stdin,
}

/// The directory read when no PATH is given.
pub const DEFAULT_ROOT: &str = "/var/cpanel/transfer_sessions";

/// How many leading bytes are read to tell a tar archive from a log.
const HEAD: u64 = 64 << 10;

fn is_tar_name(p: &Path) -> bool {
    let n = p
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    n.ends_with(".tar") || n.ends_with(".tar.gz") || n.ends_with(".tgz")
}

/// Turns user paths into sources. Paths that cannot be used are returned
/// as errors beside the sources that can.
pub fn discover(paths: &[PathBuf]) -> (Vec<Source>, Vec<anyhow::Error>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            out.push(Source::Stdin);
            continue;
        }
        match fs::metadata(p) {
            Err(e) => {
                errors.push(anyhow::Error::new(e).context(format!("{}: cannot read", p.display())))
            }
            Ok(m) if m.is_dir() => {
                let before = out.len();
                walk(p, 0, &mut out, &mut errors);
                if out.len() == before {
                    errors.push(anyhow!(
                        "{}: no transfer sessions found (no master.log, item-* files or tar archives)",
                        p.display()
                    ));
                }
            }
            Ok(_) => out.push(Source::File(p.clone())),
        }
    }
    (out, errors)
}

/// Collects session directories and archives below `dir` (symlinks are not
/// followed; a session directory is not searched further). Subdirectories
/// are searched in parallel (a fleet directory holds thousands), and the
/// results come back in name order.
fn walk(dir: &Path, depth: usize, out: &mut Vec<Source>, errors: &mut Vec<anyhow::Error>) {
    if is_session_dir(dir) {
        out.push(Source::Dir(dir.to_owned()));
        return;
    }
    if depth > 4 {
        return;
    }
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            errors.push(anyhow::Error::new(e).context(format!("{}: cannot list", dir.display())));
            return;
        }
    };
    // The listing's file type: no extra system call where the file system
    // reports it (std falls back to lstat where it does not).
    let mut entries: Vec<(PathBuf, fs::FileType)> = rd
        .flatten()
        .filter_map(|e| Some((e.path(), e.file_type().ok()?)))
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let found: Vec<(Vec<Source>, Vec<anyhow::Error>)> = entries
        .into_par_iter()
        .map(|(p, t)| {
            let (mut out, mut errors) = (Vec::new(), Vec::new());
            if t.is_dir() {
                walk(&p, depth + 1, &mut out, &mut errors);
            } else if t.is_file() && is_tar_name(&p) {
                out.push(Source::File(p));
            }
            (out, errors)
        })
        .collect();
    for (o, e) in found {
        out.extend(o);
        errors.extend(e);
    }
}

/// Loads every session of one source, handing each to `emit` as soon as
/// it is read (a tar archive yields one session after another, so memory
/// holds one at a time). An archive can yield sessions and then an error.
pub fn load_each(
    src: &Source,
    session_id: Option<&str>,
    opts: &ReadOptions,
    emit: &mut dyn FnMut(Result<Session>),
) {
    match src {
        Source::Dir(d) => {
            let r = read_session_dir(d, None, opts)
                .map_err(anyhow::Error::from)
                .and_then(|s| holds_log_lines(s, &d.display().to_string()));
            emit(r)
        }
        Source::File(p) => match open_input(p) {
            Ok((f, _)) => {
                let display = p.display().to_string();
                let id = id_for_file(p, session_id);
                load_stream(&display, &id, file_role_name(p), f, opts, emit);
            }
            Err(e) => emit(Err(
                anyhow::Error::new(e).context(format!("{}: cannot open", p.display()))
            )),
        },
        Source::Stdin => load_stream(
            "<stdin>",
            session_id.unwrap_or("stdin"),
            "master.log".into(),
            io::stdin().lock(),
            opts,
            emit,
        ),
    }
}

/// Loads every session of one source (see [`load_each`]).
pub fn load(src: &Source, session_id: Option<&str>, opts: &ReadOptions) -> Vec<Result<Session>> {
    let mut out = Vec::new();
    load_each(src, session_id, opts, &mut |r| out.push(r));
    out
}

/// The name a single file is read as: item and error logs by their own
/// name, anything else as a master log.
fn file_role_name(p: &Path) -> String {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match classify(&name) {
        FileRole::ItemLog { .. } | FileRole::ErrorLog => name,
        FileRole::Master { active: true } => ".master.log".to_owned(),
        FileRole::Master { active: false } | FileRole::Other => "master.log".to_owned(),
    }
}

/// The session id of a single file, the one rule every command uses: the
/// caller's (`--session-id`), else, for a session log (`master.log`,
/// `master.log.gz`, an item log), the name of the directory it is in
/// (also when given as a bare name from inside it), else the file name
/// without `.gz`, `.json` and `.log`.
pub fn id_for_file(p: &Path, session_id: Option<&str>) -> String {
    if let Some(id) = session_id {
        return id.to_owned();
    }
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !matches!(classify(&name), FileRole::Other) {
        let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_owned());
        if let Some(parent) = abs.parent().and_then(|d| d.file_name()) {
            return parent.to_string_lossy().into_owned();
        }
    }
    let stem = name
        .trim_end_matches(".gz")
        .trim_end_matches(".json")
        .trim_end_matches(".log");
    if stem.is_empty() {
        name
    } else {
        stem.to_owned()
    }
}

/// True when the input's own name says it is a master log.
fn named_as_master(display: &str) -> bool {
    let name = Path::new(display)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    matches!(classify(&name), FileRole::Master { .. })
}

/// The item log name an unnamed log's first line implies: an item log
/// opens with `start`, "Starting “QUEUE” for “Type” “item”.", whose queue
/// and item name the log (the type is the label WHM shows, e.g. `Account`).
/// The head may be the log itself or a saved API response holding it in
/// `data.log` (its first line is read from the JSON string). `None`: not
/// an item log's head.
fn item_log_name(head: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(head)
        .or_else(|e| std::str::from_utf8(&head[..e.valid_up_to()]))
        .ok()?;
    let trimmed = text.trim_start();
    let line: String = if xferlens_parse::sniff(head) == xferlens_parse::Sniffed::ApiResponse {
        // `"log":"<escaped log>`: the first line ends at the first `\n`.
        let at = trimmed.find("\"log\"")?;
        let rest = trimmed[at + 5..]
            .trim_start()
            .strip_prefix(':')?
            .trim_start();
        let rest = rest.strip_prefix('"')?;
        let end = rest.find("\\n").unwrap_or(rest.len().min(4096));
        serde_json::from_str(&format!("\"{}\"", &rest[..end])).ok()?
    } else {
        trimmed.lines().next()?.to_owned()
    };
    let v: serde_json::Value = serde_json::from_str(&line).ok()?;
    if v.get("type")?.as_str()? != "start" {
        return None;
    }
    let msg = v.pointer("/contents/msg/0")?.as_str()?;
    let quoted: Vec<&str> = msg
        .split('“')
        .skip(1)
        .filter_map(|p| p.split('”').next())
        .collect();
    let [queue, kind, item] = quoted[..] else {
        return None;
    };
    let name = format!("item-{queue}_{kind}_{item}");
    matches!(classify(&name), FileRole::ItemLog { .. }).then_some(name)
}

/// True when the first bytes of a stream are a tar archive, plain or
/// inside gzip (the gzip head is decompressed from the buffer, so the
/// stream itself is read once).
fn is_tar(head: &[u8]) -> bool {
    if is_tar_header(head) {
        return true;
    }
    if xferlens_parse::sniff(head) != xferlens_parse::Sniffed::Gzip {
        return false;
    }
    let mut block = Vec::with_capacity(512);
    let _ = MultiGzDecoder::new(head).take(512).read_to_end(&mut block);
    is_tar_header(&block)
}

/// Reads one stream, whatever its form, once.
fn load_stream<R: Read>(
    display: &str,
    id: &str,
    as_name: String,
    r: R,
    opts: &ReadOptions,
    emit: &mut dyn FnMut(Result<Session>),
) {
    let (tar, whole) = match sniff_stream(r) {
        Ok(x) => x,
        Err(e) => {
            return emit(Err(
                anyhow::Error::new(e).context(format!("{display}: cannot read"))
            ))
        }
    };
    if tar {
        read_tar_each(display, whole, opts, |r| {
            let r = r
                .map_err(anyhow::Error::from)
                .and_then(|s| holds_log_lines(s, display));
            emit(r)
        });
        return;
    }
    // A file of no known name (a saved API response, a log saved under
    // another name) is a master log unless its first line is an item
    // log's `start` line.
    let as_name = match classify(&as_name) {
        FileRole::Master { .. } if !named_as_master(display) => {
            item_log_name(whole.get_ref().0.get_ref()).unwrap_or(as_name)
        }
        _ => as_name,
    };
    let mut b = SessionBuilder::new(id);
    let r = b
        .read_file(&as_name, display, whole, &opts.parse)
        .with_context(|| format!("{display}: cannot read"))
        .and_then(|()| holds_log_lines(b.finish(), display));
    emit(r)
}

/// Refuses a session whose files hold no transfer-log line at all (a text
/// file, a binary, empty input, a WHM API error response), with the
/// reason in one line.
fn holds_log_lines(s: Session, display: &str) -> Result<Session> {
    if s.volume.events > 0 {
        return Ok(s);
    }
    Err(anyhow!(
        "{}: not a transfer session log: {}",
        t(display),
        t(&no_log_reason(&s.diagnostics, s.volume.lines))
    ))
}

/// Why an input with no transfer-log line is not one, from its
/// diagnostics and line count: an API error, a read error, emptiness, or
/// the first unusable line.
pub fn no_log_reason(diagnostics: &[Diagnostic], lines: u64) -> String {
    let telling = diagnostics.iter().find(|d| {
        matches!(
            d.kind,
            DiagnosticKind::ApiResponse { .. } | DiagnosticKind::ReadError { .. }
        )
    });
    match telling {
        Some(d) => d.kind.to_string(),
        None if lines == 0 => "the input is empty".to_owned(),
        None => {
            let first = diagnostics
                .iter()
                .find(|d| d.kind.line_skipped())
                .map(|d| format!(" (line {}: {})", d.line, d.kind.code()))
                .unwrap_or_default();
            format!("{lines} line(s), none of them a transfer-log line{first}")
        }
    }
}

/// A stream whose first bytes were read to sniff it, those bytes first.
pub type Sniffed<R> = io::Chain<io::Cursor<Vec<u8>>, R>;

/// A stream read once: whether it is a tar archive (sniffed in its first
/// 64 KiB), and the whole stream again.
pub fn sniff_stream<R: Read>(mut r: R) -> io::Result<(bool, Sniffed<R>)> {
    let mut head = Vec::new();
    (&mut r).take(HEAD).read_to_end(&mut head)?;
    Ok((is_tar(&head), io::Cursor::new(head).chain(r)))
}

/// The damage reported in these diagnostics (a cut gzip stream, a read
/// error part-way), as an input error line.
pub fn damage_in(diagnostics: &[Diagnostic]) -> Option<String> {
    diagnostics
        .iter()
        .find(|d| matches!(d.kind, DiagnosticKind::ReadError { .. }))
        .map(|d| {
            format!(
                "{}: damaged input, read up to line {}: {}",
                d.source, d.line, d.kind
            )
        })
}

/// A session read only in part because its input is damaged (a cut gzip
/// stream, a read error): the reason, to report as an input error.
pub fn damage(s: &Session) -> Option<String> {
    damage_in(&s.diagnostics)
}
