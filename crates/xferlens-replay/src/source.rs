//! The input layer: finding sessions behind the paths a user gives, and
//! reading each one, whatever its form. Directories, single files (plain,
//! gzip, saved WHM API responses), tar archives (plain or gzip, read as a
//! stream and never extracted) and stdin.
//!
//! A file or stream is opened once and its form sniffed in its first
//! buffer, so a FIFO or `<(...)` loses nothing. Devices are refused.
//! Input that holds no transfer-log line at all is an error, never an
//! empty session. Every reader of sessions (the session model, and the
//! event stream that builds none) goes through here, so that they find the
//! same sessions and give them the same ids (docs/FORMAT.md, "Inputs").

use std::fs::{self, File};
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use rayon::prelude::*;
use xferlens_parse::{sniff, Diagnostic, DiagnosticKind, Sniffed};

use crate::archive::{is_tar_header, read_tar_each, walk_tar, ArchiveError};
use crate::builder::SessionBuilder;
use crate::dir::{is_session_dir, read_session_dir, ReadOptions, ReplayError};
use crate::files::{classify, FileRole};
use crate::model::Session;
use crate::open::{open_in_session, open_input};

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

/// The directory read when no path is given.
pub const DEFAULT_ROOT: &str = "/var/cpanel/transfer_sessions";

/// How many leading bytes are read to tell a tar archive from a log.
const HEAD: u64 = 64 << 10;

/// Why an input could not be used, or only in part.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// A path the user gave cannot be read.
    #[error("{}: cannot read", path.display())]
    Unreadable {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// A directory below a path the user gave cannot be listed.
    #[error("{}: cannot list", path.display())]
    Unlistable {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// A directory holds no session directory and no archive.
    #[error("{}: no transfer sessions found (no master.log, item-* files or tar archives)", path.display())]
    NoSessions {
        /// The directory.
        path: PathBuf,
    },
    /// A file cannot be opened (or is a device, or a symlink inside a
    /// session directory).
    #[error("{}: cannot open", path.display())]
    CannotOpen {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// A stream failed while it was read.
    #[error("{display}: cannot read")]
    Stream {
        /// The stream as shown to the user.
        display: String,
        /// The I/O error.
        source: io::Error,
    },
    /// The input holds no transfer-log line at all.
    #[error("{display}: not a transfer session log: {reason}")]
    NotALog {
        /// The input as shown to the user.
        display: String,
        /// Why, in one line (see [`no_log_reason`]).
        reason: String,
    },
    /// A directory could not be read as a session.
    #[error(transparent)]
    Dir(#[from] ReplayError),
    /// An archive could not be read to its end.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
}

fn is_tar_name(p: &Path) -> bool {
    let n = p
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    n.ends_with(".tar") || n.ends_with(".tar.gz") || n.ends_with(".tgz")
}

/// Turns user paths into sources (`-` is stdin). Paths that cannot be
/// used are returned as errors beside the sources that can.
pub fn discover(paths: &[PathBuf]) -> (Vec<Source>, Vec<InputError>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            out.push(Source::Stdin);
            continue;
        }
        match fs::metadata(p) {
            Err(source) => errors.push(InputError::Unreadable {
                path: p.clone(),
                source,
            }),
            Ok(m) if m.is_dir() => {
                let before = out.len();
                walk(p, 0, &mut out, &mut errors);
                if out.len() == before {
                    errors.push(InputError::NoSessions { path: p.clone() });
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
fn walk(dir: &Path, depth: usize, out: &mut Vec<Source>, errors: &mut Vec<InputError>) {
    if is_session_dir(dir) {
        out.push(Source::Dir(dir.to_owned()));
        return;
    }
    if depth > 4 {
        return;
    }
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(source) => {
            errors.push(InputError::Unlistable {
                path: dir.to_owned(),
                source,
            });
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
    let found: Vec<(Vec<Source>, Vec<InputError>)> = entries
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

/// Reads every session of one source, handing each to `emit` as soon as
/// it is read (a tar archive yields one session after another, so memory
/// holds one at a time). An archive can yield sessions and then an error.
/// `session_id` overrides the id of a single file or stream.
pub fn load_each(
    src: &Source,
    session_id: Option<&str>,
    opts: &ReadOptions,
    emit: &mut dyn FnMut(Result<Session, InputError>),
) {
    match src {
        Source::Dir(d) => {
            let r = read_session_dir(d, None, opts)
                .map_err(InputError::from)
                .and_then(|s| holds_log_lines(s, &d.display().to_string()));
            emit(r)
        }
        Source::File(p) => match open_input(p) {
            Ok((f, _)) => {
                let display = p.display().to_string();
                let id = id_for_file(p, session_id);
                load_stream(&display, &id, file_role_name(p), f, opts, emit);
            }
            Err(source) => emit(Err(InputError::CannotOpen {
                path: p.clone(),
                source,
            })),
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

/// Reads every session of one source (see [`load_each`]).
pub fn load(
    src: &Source,
    session_id: Option<&str>,
    opts: &ReadOptions,
) -> Vec<Result<Session, InputError>> {
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
        FileRole::ItemLog { .. } | FileRole::ErrorLog { .. } => name,
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

/// The session id of a session directory: its name.
pub fn id_for_dir(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

/// True when the input's own name says it is a master log.
fn named_as_master(display: &str) -> bool {
    let name = Path::new(display)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    matches!(classify(&name), FileRole::Master { .. })
}

/// Lines of an unnamed log's head looked at for an item log's `start`.
const HEAD_LINES: usize = 8;

/// True when an unnamed log's head is an item log's: among its first
/// [`HEAD_LINES`] lines, after any `control` `percentage` lines (a worker
/// sets the percentage to 0 before it writes `start`: Processor.pm
/// `_process_dequeued_item`), the first line is a `start` line whose text
/// names the queue, label and item ("Starting “QUEUE” for “Label”
/// “item”.", Item.pm `start`). The head may be the log itself or a saved
/// API response holding it in `data.log` (read from the JSON string).
fn is_item_log_head(head: &[u8]) -> bool {
    let text = std::str::from_utf8(head)
        .or_else(|e| std::str::from_utf8(&head[..e.valid_up_to()]))
        .unwrap_or_default();
    let text = if sniff(head) == Sniffed::ApiResponse {
        match api_log_head(text) {
            Some(t) => t,
            None => return false,
        }
    } else {
        text.to_owned()
    };
    for line in text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(HEAD_LINES)
    {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            return false;
        };
        let kind = v.get("type").and_then(|t| t.as_str());
        let action = v.pointer("/contents/action").and_then(|a| a.as_str());
        match (kind, action) {
            (Some("control"), Some("percentage")) => continue,
            (Some("start"), _) => {
                let msg = v.pointer("/contents/msg/0").and_then(|m| m.as_str());
                return msg.and_then(crate::itemlog::start_words).is_some();
            }
            _ => return false,
        }
    }
    false
}

/// The whole lines at the start of a saved API response's `data.log`
/// string, decoded: the escaped text up to its closing quote, or up to
/// its last `\n` within the head.
fn api_log_head(text: &str) -> Option<String> {
    let at = text.find("\"log\"")?;
    let rest = text[at + 5..].trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    let b = rest.as_bytes();
    let (mut i, mut last_nl, mut end) = (0, 0, None);
    while i < b.len() {
        match b[i] {
            b'\\' if b.get(i + 1) == Some(&b'n') => {
                i += 2;
                last_nl = i;
            }
            b'\\' => i += 2,
            b'"' => {
                end = Some(i);
                break;
            }
            _ => i += 1,
        }
    }
    let cut = end.unwrap_or(last_nl).min(b.len());
    // The cut falls after a quote or an escape: a char boundary.
    serde_json::from_str(&format!("\"{}\"", rest.get(..cut)?)).ok()
}

/// True when the first bytes of a stream are a tar archive, plain or
/// inside gzip (the gzip head is decompressed from the buffer, so the
/// stream itself is read once).
fn is_tar(head: &[u8]) -> bool {
    if is_tar_header(head) {
        return true;
    }
    if sniff(head) != Sniffed::Gzip {
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
    emit: &mut dyn FnMut(Result<Session, InputError>),
) {
    let (tar, whole) = match sniff_stream(r) {
        Ok(x) => x,
        Err(source) => {
            return emit(Err(InputError::Stream {
                display: display.to_owned(),
                source,
            }))
        }
    };
    if tar {
        read_tar_each(display, whole, opts, |r| {
            emit(
                r.map_err(InputError::from)
                    .and_then(|s| holds_log_lines(s, display)),
            )
        });
        return;
    }
    // A file of no known name (a saved API response, a log saved under
    // another name, stdin) is a master log unless its head is an item
    // log's; then it is read as an item log under its own name.
    let lone_item_log = matches!(classify(&as_name), FileRole::Master { .. })
        && !named_as_master(display)
        && is_item_log_head(whole.get_ref().0.get_ref());
    let mut b = SessionBuilder::new(id);
    let read = if lone_item_log {
        let name = Path::new(display)
            .file_name()
            .map_or_else(|| display.to_owned(), |n| n.to_string_lossy().into_owned());
        b.read_item_log_as(&name, display, whole, &opts.parse)
    } else {
        b.read_file(&as_name, display, whole, &opts.parse)
    };
    let r = read
        .map_err(|source| InputError::Stream {
            display: display.to_owned(),
            source,
        })
        .and_then(|()| holds_log_lines(b.finish(), display));
    emit(r)
}

/// Refuses a session whose files hold no transfer-log line at all (a text
/// file, a binary, empty input, a WHM API error response), with the
/// reason in one line.
fn holds_log_lines(s: Session, display: &str) -> Result<Session, InputError> {
    if s.volume.events > 0 {
        return Ok(s);
    }
    Err(InputError::NotALog {
        display: display.to_owned(),
        reason: no_log_reason(&s.diagnostics, s.volume.lines),
    })
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
pub type SniffedStream<R> = io::Chain<io::Cursor<Vec<u8>>, R>;

/// A stream read once: whether it is a tar archive (sniffed in its first
/// 64 KiB), and the whole stream again.
pub fn sniff_stream<R: Read>(mut r: R) -> io::Result<(bool, SniffedStream<R>)> {
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

/// The master log of a session directory (completed name first), opened
/// without following a symlink: its display path and file.
fn master_in(dir: &Path) -> Result<(String, File), String> {
    for n in ["master.log", ".master.log", "master.log.gz"] {
        let p = dir.join(n);
        match open_in_session(&p) {
            Ok(f) => return Ok((p.display().to_string(), f)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(format!("{}: {e}", p.display())),
        }
    }
    Err(format!("{}: no master log", dir.display()))
}

/// One master log handed to [`each_master_log`]'s visitor.
pub struct MasterLog<'r> {
    /// The session id, by the same rule [`load_each`] uses.
    pub id: String,
    /// The log as shown to the user (`archive.tar:dir/master.log` inside
    /// an archive).
    pub display: String,
    /// The log's bytes (gzip and API responses not yet unwrapped: parse's
    /// `parse_input` does that).
    pub reader: &'r mut dyn Read,
}

/// Streams the master log of every session of `src` to `visit`, in order,
/// without building a session: a directory's master log, a file or stdin
/// as one log, or every master log inside a tar archive. What could not be
/// read is returned as error lines, after the logs that could. An error
/// from `visit` stops the walk and is returned as is.
pub fn each_master_log<E>(
    src: &Source,
    session_id: Option<&str>,
    mut visit: impl FnMut(MasterLog<'_>) -> Result<(), E>,
) -> Result<Vec<String>, E> {
    let mut errors = Vec::new();
    match src {
        Source::Dir(d) => match master_in(d) {
            Ok((display, f)) => visit(MasterLog {
                id: id_for_dir(d),
                display,
                reader: &mut BufReader::new(f),
            })?,
            Err(e) => errors.push(e),
        },
        Source::File(p) => match open_input(p) {
            Ok((f, _)) => {
                let id = id_for_file(p, session_id);
                let display = p.display().to_string();
                stream_masters(&display, id, BufReader::new(f), &mut visit, &mut errors)?;
            }
            Err(e) => errors.push(format!("{}: cannot open: {e}", p.display())),
        },
        Source::Stdin => {
            let id = session_id.unwrap_or("stdin").to_owned();
            stream_masters("<stdin>", id, io::stdin().lock(), &mut visit, &mut errors)?;
        }
    }
    Ok(errors)
}

/// A file or stream: one log, or a tar archive whose master logs are read
/// in archive order. Read once (sniffed in its first buffer).
fn stream_masters<E>(
    display: &str,
    id: String,
    r: impl Read,
    visit: &mut impl FnMut(MasterLog<'_>) -> Result<(), E>,
    errors: &mut Vec<String>,
) -> Result<(), E> {
    let (tar, mut whole) = match sniff_stream(r) {
        Ok(x) => x,
        Err(e) => {
            errors.push(format!("{display}: cannot read: {e}"));
            return Ok(());
        }
    };
    if !tar {
        return visit(MasterLog {
            id,
            display: display.to_owned(),
            reader: &mut whole,
        });
    }
    let mut masters = 0usize;
    let mut stopped = None;
    let walked = walk_tar(whole, |m| {
        let path = Path::new(&m.path);
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if !m.regular
            || !matches!(
                classify(name.as_deref().unwrap_or("")),
                FileRole::Master { .. }
            )
        {
            return Ok(());
        }
        masters += 1;
        let log = MasterLog {
            id: path.parent().map(id_for_dir).unwrap_or_else(|| id.clone()),
            display: format!("{display}:{}", m.path),
            reader: m.reader,
        };
        if let Err(e) = visit(log) {
            stopped = Some(e);
            return Err(io::Error::other("stopped"));
        }
        Ok(())
    });
    if let Some(e) = stopped {
        return Err(e);
    }
    match walked {
        Err(e) => errors.push(format!("{display}: archive is damaged: {e}")),
        Ok(()) if masters == 0 => errors.push(format!("{display}: archive holds no master log")),
        Ok(()) => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/sessions")
    }

    #[test]
    fn one_session_id_rule_for_every_file_form() {
        let dir = fixtures().join("sourcecleancopy20251128");
        for name in [
            "master.log",
            "master.log.gz",
            ".master.log",
            "item-TRANSFER_X_y",
        ] {
            assert_eq!(
                id_for_file(&dir.join(name), None),
                "sourcecleancopy20251128"
            );
        }
        assert_eq!(id_for_file(Path::new("/tmp/saved.json"), None), "saved");
        assert_eq!(id_for_file(Path::new("/tmp/x.log.gz"), None), "x");
        assert_eq!(id_for_file(&dir.join("master.log"), Some("mine")), "mine");
        assert_eq!(id_for_dir(&dir), "sourcecleancopy20251128");
    }

    #[test]
    fn master_logs_stream_with_the_ids_sessions_get() {
        let (sources, errors) = discover(&[fixtures()]);
        assert!(errors.is_empty(), "{errors:?}");
        assert!(sources.len() >= 10, "{sources:?}");
        let opts = ReadOptions::default();
        for src in &sources {
            let mut seen = Vec::new();
            let errs = each_master_log(src, None, |m| {
                let mut bytes = Vec::new();
                m.reader.read_to_end(&mut bytes)?;
                seen.push((m.id, bytes.len()));
                Ok::<(), io::Error>(())
            })
            .expect("read");
            assert!(errs.is_empty(), "{errs:?}");
            let sessions = load(src, None, &opts);
            let ids: Vec<_> = sessions.iter().flatten().map(|s| s.id.clone()).collect();
            assert_eq!(ids.len(), 1);
            assert_eq!(seen.len(), 1);
            assert_eq!(seen[0].0, ids[0], "events and sessions agree on the id");
            assert!(seen[0].1 > 0);
        }
    }

    #[test]
    fn a_path_that_holds_no_session_is_an_error_naming_it() {
        let (sources, errors) = discover(&[fixtures().join("../logs/garbage.log/none")]);
        assert!(sources.is_empty());
        assert!(matches!(errors[..], [InputError::Unreadable { .. }]));
        let empty = std::env::temp_dir().join(format!("xferlens-empty-{}", std::process::id()));
        fs::create_dir_all(&empty).unwrap();
        let (sources, errors) = discover(std::slice::from_ref(&empty));
        fs::remove_dir_all(&empty).unwrap();
        assert!(sources.is_empty());
        let msg = errors[0].to_string();
        assert!(msg.contains("no transfer sessions found"), "{msg}");
        assert!(msg.contains("xferlens-empty-"), "{msg}");
    }
}
