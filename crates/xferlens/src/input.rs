//! Inputs: finding sessions behind the paths the user gave, and loading
//! each into a replayed [`Session`]. Directories, single files (plain,
//! gzip, saved API responses), tar archives (plain or gzip, read as a
//! stream and never extracted) and stdin.

use std::fs::{self, File};
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use flate2::read::MultiGzDecoder;
use xferlens_replay::{
    classify, is_session_dir, is_tar_header, read_session_dir, read_tar, FileRole, ReadOptions,
    Session, SessionBuilder,
};

/// Where sessions come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A session directory.
    Dir(PathBuf),
    /// One log file (master or item log, gzip, API response).
    File(PathBuf),
    /// A tar archive of session directories.
    Tar(PathBuf),
    /// Standard input.
    Stdin,
}

/// The directory read when no PATH is given.
pub const DEFAULT_ROOT: &str = "/var/cpanel/transfer_sessions";

fn is_tar_name(p: &Path) -> bool {
    let n = p
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    n.ends_with(".tar") || n.ends_with(".tar.gz") || n.ends_with(".tgz")
}

/// Sniffs a tar header (`ustar` at offset 257), looking inside gzip.
fn looks_like_tar(path: &Path) -> bool {
    let Ok(mut f) = File::open(path) else {
        return false;
    };
    let mut head = [0u8; 2];
    if f.read_exact(&mut head).is_err() {
        return false;
    }
    let Ok(f) = File::open(path) else {
        return false;
    };
    let mut r: Box<dyn Read> = if head == [0x1f, 0x8b] {
        Box::new(MultiGzDecoder::new(f))
    } else {
        Box::new(f)
    };
    let mut block = vec![0u8; 512];
    r.read_exact(&mut block).is_ok() && is_tar_header(&block)
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
                    errors.push(anyhow::anyhow!(
                        "{}: no transfer sessions found (no master.log, item-* files or tar archives)",
                        p.display()
                    ));
                }
            }
            Ok(_) if is_tar_name(p) || looks_like_tar(p) => out.push(Source::Tar(p.clone())),
            Ok(_) => out.push(Source::File(p.clone())),
        }
    }
    (out, errors)
}

/// Collects session directories and archives below `dir` (symlinks are not
/// followed; a session directory is not searched further).
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
    let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        let Ok(m) = fs::symlink_metadata(&p) else {
            continue;
        };
        if m.is_dir() {
            walk(&p, depth + 1, out, errors);
        } else if m.is_file() && is_tar_name(&p) {
            out.push(Source::Tar(p));
        }
    }
}

/// Loads every session of one source. A source yields one or more
/// sessions, or an error (a tar archive can yield sessions and then fail).
pub fn load(src: &Source, session_id: Option<&str>, opts: &ReadOptions) -> Vec<Result<Session>> {
    match src {
        Source::Dir(d) => vec![read_session_dir(d, None, opts).map_err(anyhow::Error::from)],
        Source::File(p) => vec![load_file(p, session_id, opts)],
        Source::Tar(p) => match File::open(p) {
            Ok(f) => load_tar(&p.display().to_string(), f, opts),
            Err(e) => vec![Err(
                anyhow::Error::new(e).context(format!("{}: cannot open", p.display()))
            )],
        },
        Source::Stdin => vec![load_stdin(session_id, opts)],
    }
}

/// The session id of a single file: the caller's, else its directory's
/// name when that directory looks like a session, else the file name.
fn id_for_file(p: &Path, session_id: Option<&str>) -> String {
    if let Some(id) = session_id {
        return id.to_owned();
    }
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !matches!(classify(&name), FileRole::Other) {
        if let Some(parent) = p.parent().and_then(|d| d.file_name()) {
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

fn load_file(p: &Path, session_id: Option<&str>, opts: &ReadOptions) -> Result<Session> {
    let f = File::open(p).with_context(|| format!("{}: cannot open", p.display()))?;
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let id = id_for_file(p, session_id);
    let mut b = SessionBuilder::new(&id);
    let display = p.display().to_string();
    // Anything not named like an item log or error log is read as a master log.
    let as_name = match classify(&name) {
        FileRole::ItemLog { .. } | FileRole::ErrorLog => name.clone(),
        FileRole::Master { active } => if active { ".master.log" } else { "master.log" }.to_owned(),
        FileRole::Other => "master.log".to_owned(),
    };
    b.read_file(
        &as_name,
        &display,
        BufReader::with_capacity(0, f),
        &opts.parse,
    )
    .with_context(|| format!("{display}: cannot read"))?;
    Ok(b.finish())
}

fn load_stdin(session_id: Option<&str>, opts: &ReadOptions) -> Result<Session> {
    let mut stdin = io::stdin().lock();
    let mut head = Vec::with_capacity(1024);
    (&mut stdin)
        .take(1024)
        .read_to_end(&mut head)
        .context("<stdin>: cannot read")?;
    let whole = io::Cursor::new(head.clone()).chain(stdin);
    // A tar archive on stdin (plain; gzip'd tar is sniffed after gunzip).
    let tar_at = is_tar_header;
    if tar_at(&head) {
        return first_session(load_tar("<stdin>", whole, opts));
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        let mut dec = MultiGzDecoder::new(whole);
        let mut inner = Vec::with_capacity(1024);
        (&mut dec)
            .take(1024)
            .read_to_end(&mut inner)
            .context("<stdin>: gzip")?;
        let rest = io::Cursor::new(inner.clone()).chain(dec);
        if tar_at(&inner) {
            return first_session(load_tar("<stdin>", rest, opts));
        }
        return replay_stream(rest, session_id, opts);
    }
    replay_stream(whole, session_id, opts)
}

fn first_session(v: Vec<Result<Session>>) -> Result<Session> {
    let mut it = v.into_iter();
    let first = it
        .next()
        .unwrap_or_else(|| bail!("<stdin>: archive holds no session"));
    if it.next().is_some() {
        bail!("<stdin>: an archive on standard input must hold one session; pass the file as PATH instead");
    }
    first
}

fn replay_stream<R: Read>(r: R, session_id: Option<&str>, opts: &ReadOptions) -> Result<Session> {
    let mut b = SessionBuilder::new(session_id.unwrap_or("stdin"));
    b.read_file("master.log", "<stdin>", r, &opts.parse)
        .context("<stdin>: cannot read")?;
    Ok(b.finish())
}

/// Streams a tar archive into sessions (see [`xferlens_replay::read_tar`]).
pub fn load_tar<R: Read>(display: &str, r: R, opts: &ReadOptions) -> Vec<Result<Session>> {
    read_tar(display, r, opts)
        .into_iter()
        .map(|r| r.map_err(anyhow::Error::from))
        .collect()
}
