//! Tar archives of session directories (plain or gzip, found by magic
//! bytes), read as a stream: nothing is extracted or written to disk, and
//! member paths are only used as names. Members are grouped into sessions
//! by their directory.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use xferlens_parse::{Diagnostic, DiagnosticKind};

use crate::builder::SessionBuilder;
use crate::dir::ReadOptions;
use crate::files::{classify, FileRole};
use crate::model::Session;

/// Why (part of) an archive could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// Not a tar archive, or damaged from some point on.
    #[error("{archive}: {what}: {source}")]
    Damaged {
        /// The archive's name.
        archive: String,
        /// What was being read.
        what: String,
        /// The I/O error.
        source: io::Error,
    },
    /// The archive holds no file that belongs to a transfer session.
    #[error("{0}: archive holds no transfer session logs")]
    Empty(String),
}

/// True when `block` (the first 512 bytes of a stream) is a tar header.
pub fn is_tar_header(block: &[u8]) -> bool {
    block.len() >= 262 && &block[257..262] == b"ustar"
}

/// Reads every session in a tar stream. Sessions read before a damaged
/// member are returned, followed by the error.
pub fn read_tar<R: Read>(
    display: &str,
    r: R,
    opts: &ReadOptions,
) -> Vec<Result<Session, ArchiveError>> {
    let damaged = |what: &str, source: io::Error| ArchiveError::Damaged {
        archive: display.to_owned(),
        what: what.to_owned(),
        source,
    };
    let mut r = BufReader::new(r);
    let gz = match r.fill_buf() {
        Ok(h) => h.starts_with(&[0x1f, 0x8b]),
        Err(e) => return vec![Err(damaged("cannot read", e))],
    };
    let inner: Box<dyn Read> = if gz {
        Box::new(MultiGzDecoder::new(r))
    } else {
        Box::new(r)
    };
    let mut archive = tar::Archive::new(inner);
    let mut sessions: BTreeMap<String, SessionBuilder> = BTreeMap::new();
    let mut fatal = None;
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
    match archive.entries() {
        Err(e) => fatal = Some(damaged("not a tar archive", e)),
        Ok(entries) => {
            for entry in entries {
                let entry = match entry {
                    Ok(e) => e,
                    Err(e) => {
                        fatal = Some(damaged("archive is damaged", e));
                        break;
                    }
                };
                let Ok(path) = entry.path().map(|p| p.into_owned()) else {
                    continue;
                };
                let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
                    continue;
                };
                let role = classify(&name);
                if role == FileRole::Other
                    || (opts.master_only && matches!(role, FileRole::ItemLog { .. }))
                {
                    continue;
                }
                let parent = path
                    .parent()
                    .map(|p| p.to_string_lossy().trim_end_matches('/').to_owned())
                    .unwrap_or_default();
                let id = Path::new(&parent)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| stem.clone());
                let member = format!("{display}:{}", path.display());
                let b = sessions
                    .entry(parent)
                    .or_insert_with(|| SessionBuilder::new(&id));
                if !entry.header().entry_type().is_file() {
                    b.push_diagnostic(Diagnostic {
                        source: member,
                        line: 0,
                        byte_offset: 0,
                        kind: DiagnosticKind::Anomaly {
                            code: "not-a-file",
                            message: "archive member is a link or special file; not read".into(),
                        },
                        excerpt: String::new(),
                    });
                    continue;
                }
                if let Err(e) = b.read_file(&name, &member, entry, &opts.parse) {
                    fatal = Some(damaged(&format!("{}: cannot read", path.display()), e));
                    break;
                }
            }
        }
    }
    let mut out: Vec<Result<Session, ArchiveError>> =
        sessions.into_values().map(|b| Ok(b.finish())).collect();
    if let Some(e) = fatal {
        out.push(Err(e));
    }
    if out.is_empty() {
        out.push(Err(ArchiveError::Empty(display.to_owned())));
    }
    out
}
