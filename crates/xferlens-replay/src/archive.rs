//! Tar archives of session directories (plain or gzip, found by magic
//! bytes), read as a stream: nothing is extracted or written to disk, and
//! member paths are only used as names. Members are grouped into sessions
//! by their directory, and each session is handed on as soon as the
//! archive moves past its directory, so memory stays that of one session
//! whatever the archive holds.
//!
//! Extension headers (GNU long names and links, PAX records) are read by
//! this module, not by the `tar` crate, which would read them whole: a
//! 1 KB gzip can announce a 1 GiB long name. Each is read up to
//! [`EXTENSION_MAX`] bytes; a larger one ends the archive with an error.

use crate::hash::Set;
use std::hash::{Hash, Hasher};
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::builder::SessionBuilder;
use crate::dir::ReadOptions;
use crate::files::{classify, FileRole};
use crate::limits::file_diagnostic;
use crate::model::Session;

/// Largest tar extension header (GNU long name or link, PAX record set)
/// read, in bytes.
pub const EXTENSION_MAX: u64 = 64 << 10;

/// Why (part of) an archive could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// Not a tar archive, or damaged from some point on.
    #[error("{archive}: {what}: {error}")]
    Damaged {
        /// The archive's name.
        archive: String,
        /// What was being read.
        what: String,
        /// The I/O error (in the message, so it is not a `source` that
        /// would be printed twice).
        error: io::Error,
    },
    /// The archive holds no file that belongs to a transfer session.
    #[error("{0}: archive holds no transfer session logs")]
    Empty(String),
}

/// True when `block` (the first 512 bytes of a stream) is a tar header.
pub fn is_tar_header(block: &[u8]) -> bool {
    block.len() >= 262 && &block[257..262] == b"ustar"
}

/// One member of a tar stream, as [`walk_tar`] hands it on.
pub struct Member<'r> {
    /// Its path inside the archive (lossy UTF-8, extension headers applied).
    pub path: String,
    /// A regular file (links, directories and devices are not).
    pub regular: bool,
    /// Its content.
    pub reader: &'r mut dyn Read,
}

fn other(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// Reads an extension header's data, refusing more than [`EXTENSION_MAX`].
fn read_extension<R: Read>(what: &str, size: u64, r: R) -> io::Result<Vec<u8>> {
    if size > EXTENSION_MAX {
        return Err(other(format!(
            "{what} of {size} bytes is over the {EXTENSION_MAX}-byte budget"
        )));
    }
    let mut v = Vec::with_capacity(size as usize);
    r.take(EXTENSION_MAX).read_to_end(&mut v)?;
    Ok(v)
}

/// The `path` and `size` records of a PAX extension header.
fn pax_records(data: &[u8]) -> (Option<Vec<u8>>, Option<u64>) {
    let (mut path, mut size) = (None, None);
    let mut rest = data;
    while !rest.is_empty() {
        // "LEN key=value\n", LEN counting the whole record.
        let Some(sp) = rest.iter().position(|&b| b == b' ') else {
            break;
        };
        let len: usize = match std::str::from_utf8(&rest[..sp])
            .ok()
            .and_then(|s| s.parse().ok())
        {
            Some(n) if n > sp && n <= rest.len() => n,
            _ => break,
        };
        let rec = &rest[sp + 1..len];
        let rec = rec.strip_suffix(b"\n").unwrap_or(rec);
        if let Some(eq) = rec.iter().position(|&b| b == b'=') {
            match &rec[..eq] {
                b"path" => path = Some(rec[eq + 1..].to_vec()),
                b"size" => {
                    size = std::str::from_utf8(&rec[eq + 1..])
                        .ok()
                        .and_then(|s| s.parse().ok())
                }
                _ => {}
            }
        }
        rest = &rest[len..];
    }
    (path, size)
}

fn trim_nul(mut v: Vec<u8>) -> Vec<u8> {
    while v.last() == Some(&0) {
        v.pop();
    }
    v
}

/// Calls `f` for every member of a tar stream (plain or gzip), in order,
/// with extension headers applied under their budget. Stops at the first
/// damaged header or when `f` fails, with that error.
pub fn walk_tar<R: Read>(r: R, mut f: impl FnMut(Member<'_>) -> io::Result<()>) -> io::Result<()> {
    let mut r = BufReader::new(r);
    let gz = xferlens_parse::sniff(r.fill_buf()?) == xferlens_parse::Sniffed::Gzip;
    let inner: Box<dyn Read> = if gz {
        Box::new(MultiGzDecoder::new(r))
    } else {
        Box::new(r)
    };
    let mut archive = tar::Archive::new(inner);
    let mut long_name: Option<Vec<u8>> = None;
    let mut pax: Option<(Option<Vec<u8>>, Option<u64>)> = None;
    for entry in archive.entries()?.raw(true) {
        let mut entry = entry?;
        let ty = entry.header().entry_type();
        let size = entry.header().entry_size()?;
        if ty.is_gnu_longname() {
            long_name = Some(trim_nul(read_extension("GNU long name", size, &mut entry)?));
            continue;
        }
        if ty.is_pax_local_extensions() {
            pax = Some(pax_records(&read_extension(
                "PAX header",
                size,
                &mut entry,
            )?));
            continue;
        }
        if ty.is_gnu_longlink() || ty.is_pax_global_extensions() {
            continue; // not used; its data is skipped as it streams past
        }
        let (pax_path, pax_size) = pax.take().unwrap_or_default();
        if let Some(s) = pax_size.filter(|s| *s != size) {
            return Err(other(format!(
                "PAX size {s} differs from the header's {size}; not supported"
            )));
        }
        let raw = match long_name.take().or(pax_path) {
            Some(p) => p,
            None => entry.path_bytes().into_owned(),
        };
        let path = String::from_utf8_lossy(&raw).into_owned();
        let regular = ty.is_file();
        f(Member {
            path,
            regular,
            reader: &mut entry,
        })?;
    }
    Ok(())
}

fn hash_of(s: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// Reads every session in a tar stream and hands each to `emit` as soon as
/// the archive moves past its directory. A damaged archive ends with an
/// `Err` after the sessions read before the damage.
pub fn read_tar_each<R: Read>(
    display: &str,
    r: R,
    opts: &ReadOptions,
    mut emit: impl FnMut(Result<Session, ArchiveError>),
) {
    let damaged = |what: &str, error: io::Error| ArchiveError::Damaged {
        archive: display.to_owned(),
        what: what.to_owned(),
        error,
    };
    let stem = Path::new(display)
        .file_name()
        .map(|n| {
            let n = n.to_string_lossy();
            n.trim_end_matches(".gz")
                .trim_end_matches(".tgz")
                .trim_end_matches(".tar")
                .to_owned()
        })
        .unwrap_or_else(|| "archive".into());
    let mut current: Option<(String, SessionBuilder)> = None;
    // Directories already handed on (hashes: bounded by 8 bytes each).
    let mut done: Set<u64> = Set::default();
    let mut emitted = 0usize;
    let mut last_member = String::new();
    let result = walk_tar(r, |m| {
        last_member.clone_from(&m.path);
        let path = Path::new(&m.path);
        let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            return Ok(());
        };
        let role = classify(&name);
        if role == FileRole::Other || (opts.master_only && matches!(role, FileRole::ItemLog { .. }))
        {
            return Ok(());
        }
        let parent = path
            .parent()
            .map(|p| p.to_string_lossy().trim_end_matches('/').to_owned())
            .unwrap_or_default();
        if current.as_ref().is_none_or(|(p, _)| *p != parent) {
            if let Some((p, b)) = current.take() {
                done.insert(hash_of(&p));
                emitted += 1;
                emit(Ok(b.finish()));
            }
            let id = Path::new(&parent)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| stem.clone());
            let mut b = SessionBuilder::new(&id);
            if done.contains(&hash_of(&parent)) {
                b.push_diagnostic(file_diagnostic(
                    &format!("{display}:{parent}"),
                    "archive-split",
                    "this session's files are not together in the archive; the parts are reported as separate sessions".into(),
                ));
            }
            current = Some((parent, b));
        }
        let (_, b) = current.as_mut().expect("set above");
        let member = format!("{display}:{}", m.path);
        if !m.regular {
            b.push_diagnostic(file_diagnostic(
                &member,
                "not-a-file",
                "archive member is a link or special file; not read".into(),
            ));
            return Ok(());
        }
        b.read_file(&name, &member, m.reader, &opts.parse)
    });
    if let Some((_, b)) = current.take() {
        emitted += 1;
        emit(Ok(b.finish()));
    }
    match result {
        Err(e) if last_member.is_empty() => emit(Err(damaged("not a tar archive", e))),
        Err(e) => emit(Err(damaged(&format!("after member {last_member}"), e))),
        Ok(()) if emitted == 0 => emit(Err(ArchiveError::Empty(display.to_owned()))),
        Ok(()) => {}
    }
}

/// Reads every session in a tar stream (see [`read_tar_each`]). Sessions
/// read before a damaged member are returned, followed by the error.
pub fn read_tar<R: Read>(
    display: &str,
    r: R,
    opts: &ReadOptions,
) -> Vec<Result<Session, ArchiveError>> {
    let mut out = Vec::new();
    read_tar_each(display, r, opts, |s| out.push(s));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pax_records_parse() {
        let data = b"30 mtime=1350244992.023960108\n23 path=a/b/master.log\n11 size=42\n";
        let (p, s) = pax_records(data);
        assert_eq!(p.as_deref(), Some(&b"a/b/master.log"[..]));
        assert_eq!(s, Some(42));
        assert_eq!(pax_records(b"garbage"), (None, None));
        assert_eq!(pax_records(b"999 path=x\n"), (None, None));
    }
}
