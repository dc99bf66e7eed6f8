//! Where output goes, written so that it never destroys an input and is
//! either complete or absent.
//!
//! - A file is written to a temporary file in the same directory (created
//!   with `O_EXCL | O_NOFOLLOW`, so a planted symlink is never followed)
//!   and renamed over the target when complete. A run that is killed
//!   leaves the previous file untouched.
//! - An output path that is one of the inputs, or lies inside an input
//!   session directory, is refused before anything is opened.
//! - Every write error names the file.
//! - On standard output a closed pipe (`| head`) is not an error: output
//!   stops, the command finishes, and its exit status is the one it would
//!   have had.
//! - Machine formats (CSV, JSON, Markdown) written to a terminal have
//!   control characters replaced, so log content cannot drive the terminal.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, IsTerminal, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use anyhow::{bail, Context, Result};

use crate::input::Source;

/// Set once standard output was found closed (EPIPE).
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// True once standard output's reader has gone away.
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
}

/// Standard output that swallows a closed pipe, optionally with control
/// characters replaced.
struct Stdout {
    guard: Option<TermGuard>,
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if stdout_closed() {
            return Ok(buf.len());
        }
        let mut out = io::stdout().lock();
        let r = match &mut self.guard {
            Some(g) => {
                let clean = g.clean(buf);
                out.write_all(&clean)
            }
            None => out.write_all(buf),
        };
        match r {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                STDOUT_CLOSED.store(true, Ordering::Relaxed);
                Ok(buf.len())
            }
            Err(e) => Err(e),
            Ok(()) => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if stdout_closed() {
            return Ok(());
        }
        match io::stdout().lock().flush() {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                STDOUT_CLOSED.store(true, Ordering::Relaxed);
                Ok(())
            }
            r => r,
        }
    }
}

/// Replaces terminal control bytes in a byte stream: C0 controls other
/// than newline and tab, DEL, and the UTF-8 forms of C1 controls (such as
/// U+009B, a one-character CSI) become `?`. Keeps state across writes, so
/// a character split between two writes is still seen.
#[derive(Default)]
pub struct TermGuard {
    /// The last write ended with 0xC2, the lead byte of a C1 control.
    pending_c2: bool,
}

impl TermGuard {
    /// The cleaned copy of `buf`.
    pub fn clean(&mut self, buf: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(buf.len() + 1);
        for &b in buf {
            if self.pending_c2 {
                self.pending_c2 = false;
                if (0x80..=0x9f).contains(&b) {
                    out.push(b'?');
                    continue;
                }
                out.push(0xc2);
            }
            match b {
                0xc2 => self.pending_c2 = true,
                b'\n' | b'\t' => out.push(b),
                0x00..=0x1f | 0x7f => out.push(b'?'),
                _ => out.push(b),
            }
        }
        out
    }
}

enum Dest {
    Stdout(Stdout),
    File(File),
}

impl Write for Dest {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Dest::Stdout(s) => s.write(buf),
            Dest::File(f) => f.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Dest::Stdout(s) => s.flush(),
            Dest::File(f) => f.flush(),
        }
    }
}

/// A temporary file to be renamed over `target` when complete.
struct Pending {
    tmp: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.tmp);
        }
        unregister(&self.tmp);
    }
}

/// Temporary files not yet renamed into place: what a signal removes.
static TEMPORARIES: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

fn temporaries() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    TEMPORARIES.lock().unwrap_or_else(|e| e.into_inner())
}

fn unregister(tmp: &Path) {
    let mut t = temporaries();
    if let Some(i) = t.iter().position(|p| p == tmp) {
        t.swap_remove(i);
    }
}

/// The signals after which xferlens removes its temporary files, then
/// dies of the signal as it would have (docs/RELIABILITY.md).
const CLEANUP_SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// Makes SIGINT, SIGTERM and SIGHUP remove the temporary files of
/// unfinished outputs before the process ends (older outputs stay as
/// they were: a file is only ever renamed into place when complete).
/// Called first in `main`, before any thread starts: the signals are
/// blocked in every thread, and one thread waits for them.
pub fn clean_up_on_signals() {
    // SAFETY: sigset_t is plain data, initialised by sigemptyset before
    // use; pthread_sigmask only changes this thread's mask (inherited by
    // the threads started later).
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for s in CLEANUP_SIGNALS {
            libc::sigaddset(&mut set, s);
        }
        if libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) != 0 {
            return;
        }
        let started = std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                let mut sig: libc::c_int = 0;
                // SAFETY: waits on the set built above.
                if libc::sigwait(&set, &mut sig) != 0 {
                    return;
                }
                for tmp in temporaries().drain(..) {
                    let _ = fs::remove_file(tmp);
                }
                // Die of the signal, as without this thread.
                libc::signal(sig, libc::SIG_DFL);
                libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
                libc::raise(sig);
            });
        if started.is_err() {
            libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        }
    }
}

/// One output: standard output or a file written atomically. Write to it,
/// then call [`Output::finish`]; an output dropped unfinished leaves no
/// file behind.
pub struct Output {
    w: BufWriter<Dest>,
    name: String,
    pending: Option<Pending>,
}

impl Output {
    /// Standard output. `machine` formats (CSV, JSON, Markdown) get their
    /// control characters replaced when stdout is a terminal.
    pub fn stdout(machine: bool) -> Output {
        let guard = (machine && io::stdout().is_terminal()).then(TermGuard::default);
        Output {
            w: BufWriter::new(Dest::Stdout(Stdout { guard })),
            name: "<stdout>".into(),
            pending: None,
        }
    }

    /// A new file at `path`, written to a temporary file beside it first.
    pub fn file(path: &Path) -> Result<Output> {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
            _ => PathBuf::from("."),
        };
        let Some(name) = path.file_name() else {
            bail!("{}: not a file name", path.display());
        };
        let tmp = dir.join(format!(
            ".{}.xferlens-{}-{}.tmp",
            name.to_string_lossy(),
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .mode(0o644)
            .open(&tmp)
            .with_context(|| format!("{}: cannot create", path.display()))?;
        temporaries().push(tmp.clone());
        Ok(Output {
            w: BufWriter::with_capacity(256 << 10, Dest::File(f)),
            name: path.display().to_string(),
            pending: Some(Pending {
                tmp,
                target: path.to_owned(),
                committed: false,
            }),
        })
    }

    /// Standard output for `None` or `-`, else the file the user named.
    /// A path that exists as something other than a regular file (a
    /// symlink the user chose such as `/dev/stdout`, a device such as
    /// `/dev/null`, a FIFO) is written in place: renaming over it would
    /// replace the link or the device node itself.
    pub fn open(path: Option<&Path>, machine: bool) -> Result<Output> {
        let p = match path {
            Some(p) if p.as_os_str() != "-" => p,
            _ => return Ok(Output::stdout(machine)),
        };
        match fs::symlink_metadata(p) {
            Ok(m) if !m.file_type().is_file() && !m.is_dir() => {
                let f = OpenOptions::new()
                    .write(true)
                    .truncate(true)
                    .open(p)
                    .with_context(|| format!("{}: cannot open", p.display()))?;
                Ok(Output {
                    w: BufWriter::new(Dest::File(f)),
                    name: p.display().to_string(),
                    pending: None,
                })
            }
            _ => Output::file(p),
        }
    }

    /// The name it is written under (a path, or `<stdout>`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Flushes, and for a file renames it into place.
    pub fn finish(mut self) -> Result<()> {
        let name = self.name.clone();
        self.w
            .flush()
            .with_context(|| format!("{name}: cannot write"))?;
        if let Some(p) = &mut self.pending {
            fs::rename(&p.tmp, &p.target).with_context(|| format!("{name}: cannot write"))?;
            p.committed = true;
        }
        Ok(())
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.w.write(buf).map_err(|e| named(&self.name, e))
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.w.write_all(buf).map_err(|e| named(&self.name, e))
    }
    fn flush(&mut self) -> io::Result<()> {
        self.w.flush().map_err(|e| named(&self.name, e))
    }
}

/// The error with the file's name in front (its kind kept).
fn named(name: &str, e: io::Error) -> io::Error {
    if e.to_string().starts_with(name) {
        return e;
    }
    io::Error::new(e.kind(), format!("{name}: cannot write: {e}"))
}

/// `p` made absolute with its directory's links resolved (the file itself
/// need not exist).
fn absolute(p: &Path) -> Option<PathBuf> {
    if let Ok(c) = p.canonicalize() {
        return Some(c);
    }
    let parent = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    Some(absolute(parent)?.join(p.file_name()?))
}

/// Refuses an output that is the file standard input reads (`events -o
/// m.log - < m.log` would empty it before reading it): same device and
/// inode.
fn stdin_is_not(outs: &[(&Path, PathBuf)]) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: fstat fills a plain struct for descriptor 0; it is read only
    // on success.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(libc::STDIN_FILENO, &mut st) } != 0
        || (st.st_mode & libc::S_IFMT) != libc::S_IFREG
    {
        return Ok(());
    }
    for (out, abs) in outs {
        if let Ok(m) = fs::metadata(abs) {
            if m.dev() == st.st_dev as u64 && m.ino() == st.st_ino as u64 {
                bail!(
                    "{}: refusing to write output over an input (standard input reads it); choose another path",
                    out.display()
                );
            }
        }
    }
    Ok(())
}

/// Refuses an output path that is an input or lies inside an input
/// session directory (`report -o DIR/master.log DIR` would empty the log
/// it is about to read). Each input is resolved once, however many outputs
/// are checked (batch checks ten against thousands of sessions).
pub fn check_not_input(outs: &[&Path], sources: &[Source]) -> Result<()> {
    let outs: Vec<(&Path, PathBuf)> = outs
        .iter()
        .filter(|o| o.as_os_str() != "-")
        .filter_map(|o| Some((*o, absolute(o)?)))
        .collect();
    if outs.is_empty() {
        return Ok(());
    }
    // Sessions found by walking a directory share parents: resolve each
    // parent once, and only the last component per input (one lstat).
    let mut parents: std::collections::HashMap<&Path, Option<PathBuf>> = Default::default();
    for s in sources {
        let (p, is_dir) = match s {
            Source::Dir(d) => (d, true),
            Source::File(f) => (f, false),
            Source::Stdin => {
                stdin_is_not(&outs)?;
                continue;
            }
        };
        let plain_name = p
            .file_name()
            .filter(|_| fs::symlink_metadata(p).is_ok_and(|m| !m.file_type().is_symlink()));
        let in_abs = match (plain_name, p.parent()) {
            (Some(name), Some(parent)) if !parent.as_os_str().is_empty() => parents
                .entry(parent)
                .or_insert_with(|| absolute(parent))
                .as_ref()
                .map(|d| d.join(name)),
            _ => absolute(p),
        };
        let Some(in_abs) = in_abs else { continue };
        for (out, out_abs) in &outs {
            if *out_abs == in_abs || (is_dir && out_abs.starts_with(&in_abs)) {
                bail!(
                    "{}: refusing to write output {} an input ({}); choose another path",
                    out.display(),
                    if *out_abs == in_abs { "over" } else { "inside" },
                    p.display()
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_replaces_controls_across_writes() {
        let mut g = TermGuard::default();
        let mut out = g.clean(b"a\x1b]52;c;x\x07b\r\n\xc2");
        out.extend(g.clean(b"\x9b2Jc \xc2\xa9\t"));
        assert_eq!(out, b"a?]52;c;x?b?\n?2Jc \xc2\xa9\t");
    }
}
