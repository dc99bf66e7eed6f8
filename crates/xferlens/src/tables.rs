//! `batch`'s tables in the formats asked for: CSV (`DIR/<table>.csv`)
//! and, with the `parquet` feature, Parquet (`DIR/<table>.parquet`, or
//! `DIR/host=<label>/<table>.parquet` with `--partition host`). The
//! Parquet rows are the CSV rows without the formula guard, typed from
//! the same view cells (see `xferlens_report::parquet`), so the two
//! formats agree row for row.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::output::Output;

/// The formats and layout of batch's tables.
#[derive(Clone, Debug)]
pub struct Layout {
    /// Write `<table>.csv`.
    pub csv: bool,
    /// Write `<table>.parquet`.
    pub parquet: bool,
    /// The `host` value of every Parquet row.
    pub host: String,
    /// Put the Parquet files under `host=<label>/`.
    pub partition: bool,
    /// CSV cells as they are (no formula guard).
    pub raw_csv: bool,
}

impl Layout {
    /// The CSV path of `table` under `dir`, if CSV is written.
    pub fn csv_path(&self, dir: &Path, table: &str) -> Option<PathBuf> {
        self.csv.then(|| dir.join(format!("{table}.csv")))
    }

    /// The Parquet path of `table` under `dir`, if Parquet is written.
    pub fn parquet_path(&self, dir: &Path, table: &str) -> Option<PathBuf> {
        if !self.parquet {
            return None;
        }
        let dir = if self.partition {
            dir.join(format!("host={}", path_safe(&self.host)))
        } else {
            dir.to_owned()
        };
        Some(dir.join(format!("{table}.parquet")))
    }
}

/// A host label as one path component: letters, digits, `.`, `-` and `_`
/// kept, anything else `_` (a label can come from the command line or the
/// machine's name; it never leaves the output directory).
pub fn path_safe(label: &str) -> String {
    let s: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    match s.as_str() {
        "" | "." | ".." => "_".into(),
        _ => s,
    }
}

/// This machine's host name, for `--host-label`'s default.
pub fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most buf.len() bytes into buf.
    let ok = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0;
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    match std::str::from_utf8(&buf[..end]) {
        Ok(h) if ok && !h.is_empty() => h.to_owned(),
        _ => "unknown".into(),
    }
}

/// Rows typed for Parquet (see `xferlens_report::parquet::TypedRows`).
#[cfg(feature = "parquet")]
pub type Typed = xferlens_report::parquet::TypedRows;
/// Without Parquet, nothing.
#[cfg(not(feature = "parquet"))]
pub type Typed = std::convert::Infallible;

/// One table being written in every format asked for.
pub struct TableOut {
    csv: Option<Output>,
    #[cfg(feature = "parquet")]
    parquet: Option<xferlens_report::parquet::ParquetTable<Output>>,
}

impl TableOut {
    /// Opens `table` (columns `header`) in `dir`; the CSV header is
    /// written at once.
    pub fn open(dir: &Path, table: &str, header: &[&str], layout: &Layout) -> Result<TableOut> {
        let csv = match layout.csv_path(dir, table) {
            Some(p) => {
                let mut o = Output::file(&p)?;
                let mut c = xferlens_report::csv::CsvOut::new(Vec::new(), layout.raw_csv);
                c.header(header)?;
                o.write_all(&c.into_inner()?)?;
                Some(o)
            }
            None => None,
        };
        #[cfg(feature = "parquet")]
        let parquet = match layout.parquet_path(dir, table) {
            Some(p) => {
                if let Some(parent) = p.parent() {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| anyhow::anyhow!("{}: cannot create: {e}", parent.display()))?;
                }
                let o = Output::file(&p)?;
                Some(xferlens_report::parquet::ParquetTable::new(
                    o,
                    table,
                    header,
                    &layout.host,
                )?)
            }
            None => None,
        };
        Ok(TableOut {
            csv,
            #[cfg(feature = "parquet")]
            parquet,
        })
    }

    /// Adds rows: `rows` as the CSV file wants them, `typed` the same rows
    /// typed for Parquet (`None` when no Parquet file is written).
    pub fn rows(&mut self, rows: &[u8], typed: Option<Typed>) -> Result<()> {
        if let Some(c) = &mut self.csv {
            c.write_all(rows)?;
        }
        #[cfg(feature = "parquet")]
        if let (Some(p), Some(t)) = (&mut self.parquet, typed) {
            p.append(t)?;
        }
        #[cfg(not(feature = "parquet"))]
        let _ = typed;
        Ok(())
    }

    /// Adds the rows of a whole CSV rendering with its header, made by
    /// `render(raw)`; it is called once per format that needs it.
    pub fn whole(
        &mut self,
        layout: &Layout,
        render: impl Fn(bool, &mut Vec<u8>) -> std::io::Result<()>,
    ) -> Result<()> {
        if let Some(c) = &mut self.csv {
            let mut b = Vec::new();
            render(layout.raw_csv, &mut b)?;
            // The header was written when the table was opened.
            let body = b
                .iter()
                .position(|&x| x == b'\n')
                .map_or(&b[..0], |i| &b[i + 1..]);
            c.write_all(body)?;
        }
        #[cfg(feature = "parquet")]
        if let Some(p) = &mut self.parquet {
            let mut b = Vec::new();
            render(true, &mut b)?;
            p.push_csv(&b[..], true)?;
        }
        Ok(())
    }

    /// Feeds a raw CSV file (with its header) to the Parquet table only.
    #[cfg(feature = "parquet")]
    pub fn parquet_from(&mut self, raw_csv_with_header: impl std::io::Read) -> Result<()> {
        if let Some(p) = &mut self.parquet {
            p.push_csv(raw_csv_with_header, true)?;
        }
        Ok(())
    }

    /// Finishes every format; files are put in place by [`Output::finish`]
    /// (all of them at the end of batch, together). The cells the Parquet
    /// file holds as NULL because its types cannot hold them (a time past
    /// year 9999, an integer of 2^63 or more) are added to `nulled`, one
    /// line each, for the caller to print.
    pub fn finish(self, nulled: &mut Vec<String>) -> Result<Vec<Output>> {
        let mut outs = Vec::new();
        if let Some(c) = self.csv {
            outs.push(c);
        }
        #[cfg(feature = "parquet")]
        if let Some(p) = self.parquet {
            nulled.extend(p.nulls().lines());
            outs.push(p.finish()?);
        }
        #[cfg(not(feature = "parquet"))]
        let _ = nulled;
        Ok(outs)
    }
}
