//! Reading a session directory from disk.
//!
//! Only regular files directly inside the directory are read; symlinks are
//! never followed (a symlinked item log is reported, not read). Item logs
//! are replayed in parallel (rayon), each streamed, so memory is O(items).
//! A file renamed between listing and opening (`.item-x` to `item-x`, as
//! the writer does when it finishes) is opened under its other name; the
//! builder keeps one log per item, so nothing is counted twice.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use xferlens_parse::ParseOptions;

use xferlens_parse::Diagnostic;

use std::sync::Arc;

use crate::builder::{replay_item_log_in, SessionBuilder};
use crate::files::{classify, FileRole};
use crate::limits::file_diagnostic;
use crate::limits::DiagnosticBudget;
use crate::model::{ItemLog, Session};
use crate::open::{open_dir, open_in_dir, open_in_session};

/// Why a session directory could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The directory could not be listed.
    #[error("{path}: cannot read directory: {source}")]
    ReadDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The directory holds no master log and no item log.
    #[error("{path}: not a transfer session directory (no master.log or item-* files)")]
    NotASession {
        /// The directory.
        path: PathBuf,
    },
}

/// Settings for reading sessions from disk.
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    /// Parser settings.
    pub parse: ParseOptions,
    /// Skip item logs (master only: faster, no percentages or log errors).
    pub master_only: bool,
    /// Replay item logs one at a time instead of in parallel.
    pub sequential: bool,
}

/// True when `dir` looks like a session directory (holds a master log or
/// an item log).
pub fn is_session_dir(dir: &Path) -> bool {
    let Ok(rd) = fs::read_dir(dir) else {
        return false;
    };
    rd.flatten().any(|e| {
        let n = e.file_name();
        let n = n.to_string_lossy();
        matches!(
            classify(&n),
            FileRole::Master { .. } | FileRole::ItemLog { .. }
        )
    })
}

/// Opens `name` in `dir`, or its other name (with or without the leading
/// dot) if it was renamed since the listing. Never through a symlink.
fn open_either(dir: &SessionDir<'_>, name: &str) -> io::Result<(File, String)> {
    match dir.open(name) {
        Ok(f) => Ok((f, name.to_owned())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let other = match name.strip_prefix('.') {
                Some(plain) => plain.to_owned(),
                None => format!(".{name}"),
            };
            let f = dir.open(&other)?;
            Ok((f, other))
        }
        Err(e) => Err(e),
    }
}

/// A session directory whose files are opened by name: relative to the
/// open directory where it could be opened, else by path.
struct SessionDir<'a> {
    path: &'a Path,
    handle: Option<File>,
}

impl SessionDir<'_> {
    fn open(&self, name: &str) -> io::Result<File> {
        match &self.handle {
            Some(d) => open_in_dir(d, name),
            None => open_in_session(&self.path.join(name)),
        }
    }
}

/// Reads and replays one session directory. `id` overrides the session id
/// (default: the directory name).
pub fn read_session_dir(
    dir: &Path,
    id: Option<&str>,
    opts: &ReadOptions,
) -> Result<Session, ReplayError> {
    let rd = fs::read_dir(dir).map_err(|source| ReplayError::ReadDir {
        path: dir.to_owned(),
        source,
    })?;
    let id = id.map(str::to_owned).unwrap_or_else(|| {
        // The last component names the session; only `.`, `..` or `/`
        // need the path resolved (one readlink per component).
        let named = match dir.components().next_back() {
            Some(std::path::Component::Normal(_)) => None,
            _ => dir.canonicalize().ok(),
        };
        named
            .as_deref()
            .unwrap_or(dir)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| dir.display().to_string())
    });
    let mut b = SessionBuilder::new(&id);
    let dir_display = dir.display().to_string();
    let mut files: Vec<(String, FileRole)> = Vec::new();
    for entry in rd.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let role = classify(&name);
        if role == FileRole::Other {
            continue;
        }
        // The listing's file type: no extra system call where the file
        // system reports it (std falls back to lstat where it does not).
        match entry.file_type() {
            Ok(t) if t.is_symlink() => {
                b.push_diagnostic(file_diagnostic(
                    &display_in(&dir_display, &name),
                    "symlink-not-followed",
                    "is a symbolic link; not read (logs must be regular files in the session directory)".into(),
                ));
            }
            Ok(t) if t.is_file() => files.push((name, role)),
            Ok(_) => b.push_diagnostic(file_diagnostic(
                &display_in(&dir_display, &name),
                "not-a-file",
                "not a regular file; not read".into(),
            )),
            Err(_) => {} // vanished since listing
        }
    }
    // A listing taken while the writer renames `.master.log` can miss it:
    // probe both names directly (the active name first: the rename goes
    // from it to the completed one, so one of the two probes sees it).
    if !files
        .iter()
        .any(|(_, r)| matches!(r, FileRole::Master { .. }))
    {
        for name in [".master.log", "master.log"] {
            if fs::symlink_metadata(dir.join(name)).is_ok_and(|m| m.is_file()) {
                files.push((name.to_owned(), classify(name)));
                break;
            }
        }
    }
    if !files
        .iter()
        .any(|(_, r)| matches!(r, FileRole::Master { .. } | FileRole::ItemLog { .. }))
    {
        return Err(ReplayError::NotASession {
            path: dir.to_owned(),
        });
    }
    // Completed names first, so a log renamed mid-read is kept once.
    files.sort_by(|(a, _), (b, _)| (a.starts_with('.'), a).cmp(&(b.starts_with('.'), b)));
    let (items, others): (Vec<_>, Vec<_>) = files
        .into_iter()
        .partition(|(_, r)| matches!(r, FileRole::ItemLog { .. }));

    let dir = &SessionDir {
        path: dir,
        handle: open_dir(dir).ok(),
    };
    let read_master = |b: &mut SessionBuilder| {
        for (name, _) in &others {
            read_one(b, dir, &dir_display, name, &opts.parse);
        }
    };
    let budget = b.budget();
    // Beside a master log, the session's times are the master's: the item
    // logs' percentage lines are read without theirs (one search less each).
    let percentage_times = !others
        .iter()
        .any(|(_, r)| matches!(r, FileRole::Master { .. }));
    let read = |(name, _): &(String, FileRole)| {
        read_item_log(
            dir,
            &dir_display,
            name,
            &opts.parse,
            &budget,
            percentage_times,
        )
    };
    let parts: Vec<ItemPart> = if opts.master_only {
        read_master(&mut b);
        Vec::new()
    } else if opts.sequential {
        read_master(&mut b);
        items.iter().map(read).collect()
    } else {
        // The master log replays on one thread while the item logs share the rest.
        rayon::join(
            || read_master(&mut b),
            || items.par_iter().map(read).collect(),
        )
        .1
    };
    for p in parts {
        match p {
            Ok((name, log, diags)) => b.add_item_log(&name, log, diags),
            Err(d) => b.push_diagnostic(d),
        }
    }
    Ok(b.finish())
}

/// `name` inside the directory shown as `dir_display`, as `Path::join`
/// would show it.
fn display_in(dir_display: &str, name: &str) -> String {
    if dir_display.is_empty() || dir_display.ends_with('/') {
        format!("{dir_display}{name}")
    } else {
        format!("{dir_display}/{name}")
    }
}

/// One item log read on a worker: its completed name, replay and
/// diagnostics, or why it could not be read.
type ItemPart = Result<(String, ItemLog, Vec<Diagnostic>), Diagnostic>;

fn unreadable(dir_display: &str, name: &str, e: &io::Error) -> Diagnostic {
    file_diagnostic(
        &display_in(dir_display, name),
        "unreadable",
        format!("cannot read: {e}"),
    )
}

fn read_item_log(
    dir: &SessionDir<'_>,
    dir_display: &str,
    name: &str,
    opts: &ParseOptions,
    budget: &Arc<DiagnosticBudget>,
    percentage_times: bool,
) -> ItemPart {
    let (f, actual) = open_either(dir, name).map_err(|e| unreadable(dir_display, name, &e))?;
    let FileRole::ItemLog { name: item, active } = classify(&actual) else {
        // Not reached: both names open_either tries classify alike.
        let e = io::Error::other("not an item log");
        return Err(unreadable(dir_display, &actual, &e));
    };
    let display = display_in(dir_display, &actual);
    replay_item_log_in(
        &display,
        &actual,
        active,
        io::BufReader::with_capacity(0, f),
        opts,
        Some(Arc::clone(budget)),
        percentage_times,
    )
    .map(|(log, diags)| (item, log, diags))
    .map_err(|e| unreadable(dir_display, name, &e))
}

fn read_one(
    b: &mut SessionBuilder,
    dir: &SessionDir<'_>,
    dir_display: &str,
    name: &str,
    opts: &ParseOptions,
) {
    let result = open_either(dir, name).and_then(|(f, actual)| {
        let display = display_in(dir_display, &actual);
        // One more fstat, for the master log only (item logs are many).
        let master = matches!(classify(&actual), FileRole::Master { .. });
        let modified = Some(&f)
            .filter(|_| master)
            .and_then(|f| f.metadata().ok())
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .and_then(|d| i64::try_from(d.as_secs()).ok());
        b.read_file(&actual, &display, io::BufReader::with_capacity(0, f), opts)?;
        if let Some(t) = modified {
            b.set_master_modified(&actual, t);
        }
        Ok(())
    });
    if let Err(e) = result {
        b.push_diagnostic(unreadable(dir_display, name, &e));
    }
}
