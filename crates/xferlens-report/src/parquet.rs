//! Parquet tables for engines that read them natively (DuckDB, ClickHouse,
//! Spark, BigQuery): the same rows as the CSV tables, typed. The tables
//! batch writes per session are typed straight from the same view rows
//! the CSV writer renders ([`TypedRows`], on the worker threads); the
//! small whole tables written at the end are read back from their raw CSV
//! rendering ([`ParquetTable::push_csv`]). Both agree with the CSV row for
//! row (tested); [`kind_of`] gives each column its Parquet type: times
//! become UTC timestamps (microseconds), counts and sizes 64-bit
//! integers, `percent` a double, `to_rerun` a boolean, and the rest
//! (names, states, enums) strings, never formula-guarded. An empty or
//! unknown cell is a null. Every table starts with a `host` column: the server the
//! tables came from, so that the files of many servers can be unioned.
//!
//! Rows are buffered per column and written in row groups of
//! [`ROW_GROUP`] rows, so memory stays bounded whatever the table's size.

use std::io::Write;
use std::sync::Arc;

use parquet::basic::Compression;
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

use crate::view::{Cell, Row};

/// Rows per row group.
pub const ROW_GROUP: usize = 16 * 1024;

/// What a Parquet column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// UTF-8 text (`BYTE_ARRAY (STRING)`).
    Str,
    /// A 64-bit integer.
    Int,
    /// A double.
    Float,
    /// A UTC timestamp in microseconds, from RFC 3339 text.
    Time,
    /// A boolean, from `yes`/`no` or `true`/`false`.
    Bool,
}

/// The Parquet type of a column of the CSV tables, by name: the same name
/// means the same type in every table.
pub fn kind_of(column: &str) -> Kind {
    match column {
        "started_at" | "finished_at" | "time" => Kind::Time,
        "percent" => Kind::Float,
        "to_rerun" => Kind::Bool,
        "duration_s"
        | "child"
        | "size_bytes"
        | "warnings"
        | "skipped_items"
        | "dangerous_items"
        | "altered_items"
        | "line"
        | "seq"
        | "pid"
        | "attempts"
        | "items"
        | "accounts"
        | "sessions"
        | "accounts_to_rerun"
        | "failed_items"
        | "bytes"
        | "total_s"
        | "median_session_s"
        | "throughput_p50_bps"
        | "throughput_p90_bps"
        | "accounts_failed_last"
        | "runs"
        | "failed"
        | "unfinished"
        | "median_s"
        | "p90_s"
        | "bytes_total"
        | "bytes_done"
        | "diagnostics"
        | "skipped_lines" => Kind::Int,
        c if c.starts_with("transfer_") || c.starts_with("restore_") => Kind::Int,
        _ => Kind::Str,
    }
}

/// A failure to build or write a Parquet table.
#[derive(Debug, thiserror::Error)]
pub enum ParquetError {
    /// The Parquet writer failed (I/O included).
    #[error("{table}: {source}")]
    Write {
        /// The table being written.
        table: String,
        /// What the writer said.
        source: parquet::errors::ParquetError,
    },
    /// A CSV cell did not fit its column's type (a bug, since the rows
    /// come from xferlens's own CSV writers).
    #[error("{table}: row {row}, column {column}: `{cell}` is not {kind:?}")]
    Cell {
        /// The table.
        table: String,
        /// Row number among the table's rows, from 1.
        row: u64,
        /// Column name.
        column: String,
        /// The cell.
        cell: String,
        /// The type it should have had.
        kind: Kind,
    },
    /// The CSV rows could not be read back.
    #[error("{table}: {source}")]
    Csv {
        /// The table.
        table: String,
        /// What the CSV reader said.
        source: csv::Error,
    },
}

/// One column's buffered values and definition levels (1: a value, 0:
/// null).
enum Buf {
    Str(Vec<ByteArray>, Vec<i16>),
    Int(Vec<i64>, Vec<i16>),
    Float(Vec<f64>, Vec<i16>),
    Bool(Vec<bool>, Vec<i16>),
}

impl Buf {
    fn new(kind: Kind) -> Buf {
        match kind {
            Kind::Str => Buf::Str(Vec::new(), Vec::new()),
            Kind::Int | Kind::Time => Buf::Int(Vec::new(), Vec::new()),
            Kind::Float => Buf::Float(Vec::new(), Vec::new()),
            Kind::Bool => Buf::Bool(Vec::new(), Vec::new()),
        }
    }

    fn null(&mut self) {
        match self {
            Buf::Str(_, d) | Buf::Int(_, d) | Buf::Float(_, d) | Buf::Bool(_, d) => d.push(0),
        }
    }

    /// Adds `cell` (not empty) as `kind`; `Err(())` when it does not parse.
    fn push(&mut self, kind: Kind, cell: &str) -> Result<(), ()> {
        match (self, kind) {
            (Buf::Str(v, d), _) => {
                v.push(ByteArray::from(cell.as_bytes().to_vec()));
                d.push(1);
            }
            (Buf::Int(v, d), Kind::Time) => {
                v.push(parse_rfc3339(cell).ok_or(())?.saturating_mul(1_000_000));
                d.push(1);
            }
            (Buf::Int(v, d), _) => {
                v.push(cell.parse().map_err(|_| ())?);
                d.push(1);
            }
            (Buf::Float(v, d), _) => {
                v.push(cell.parse().map_err(|_| ())?);
                d.push(1);
            }
            (Buf::Bool(v, d), _) => {
                v.push(match cell {
                    "yes" | "true" => true,
                    "no" | "false" => false,
                    _ => return Err(()),
                });
                d.push(1);
            }
        }
        Ok(())
    }

    /// Moves `other`'s values (of the same kind) to the end of this one.
    fn append(&mut self, other: &mut Buf) {
        match (self, other) {
            (Buf::Str(v, d), Buf::Str(w, e)) => {
                v.append(w);
                d.append(e);
            }
            (Buf::Int(v, d), Buf::Int(w, e)) => {
                v.append(w);
                d.append(e);
            }
            (Buf::Float(v, d), Buf::Float(w, e)) => {
                v.append(w);
                d.append(e);
            }
            (Buf::Bool(v, d), Buf::Bool(w, e)) => {
                v.append(w);
                d.append(e);
            }
            _ => unreachable!("both buffers come from the same header"),
        }
    }

    /// Adds one cell of a view row: numbers as they are, the rest as the
    /// CSV text of the cell would be read (so both ways agree).
    fn push_cell(&mut self, kind: Kind, cell: &Cell<'_>) -> Result<(), ()> {
        match (&mut *self, kind, cell) {
            (
                _,
                _,
                Cell::Text(None) | Cell::UInt(None) | Cell::Int(None) | Cell::Fixed(None, _),
            ) => {
                self.null();
                Ok(())
            }
            (_, _, Cell::Text(Some(t))) if t.is_empty() => {
                self.null();
                Ok(())
            }
            (Buf::Str(v, d), _, Cell::Text(Some(t))) => {
                v.push(ByteArray::from(t.as_bytes().to_vec()));
                d.push(1);
                Ok(())
            }
            (Buf::Int(v, d), Kind::Int, Cell::UInt(Some(n))) => {
                v.push(i64::try_from(*n).map_err(|_| ())?);
                d.push(1);
                Ok(())
            }
            (Buf::Int(v, d), Kind::Int, Cell::Int(Some(n))) => {
                v.push(*n);
                d.push(1);
                Ok(())
            }
            (_, _, Cell::Text(Some(t))) => self.push(kind, t),
            _ => self.push(kind, &cell.to_text()),
        }
    }

    fn clear(&mut self) {
        match self {
            Buf::Str(v, d) => {
                v.clear();
                d.clear();
            }
            Buf::Int(v, d) => {
                v.clear();
                d.clear();
            }
            Buf::Float(v, d) => {
                v.clear();
                d.clear();
            }
            Buf::Bool(v, d) => {
                v.clear();
                d.clear();
            }
        }
    }
}

/// Epoch seconds of `YYYY-MM-DDTHH:MM:SSZ` (the form every xferlens
/// output writes).
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[19] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse().ok() };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    let days = crate::time::days_from_civil(y, m, d);
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// A Parquet table being written: a `host` column, then the CSV columns.
pub struct ParquetTable<W: Write + Send> {
    name: String,
    writer: SerializedFileWriter<W>,
    columns: Vec<String>,
    kinds: Vec<Kind>,
    bufs: Vec<Buf>,
    host: String,
    pending: usize,
    rows: u64,
}

impl<W: Write + Send> ParquetTable<W> {
    /// Starts table `name` with the CSV `header`, every row tagged with
    /// `host`, written (Snappy-compressed) to `out`.
    pub fn new(out: W, name: &str, header: &[&str], host: &str) -> Result<Self, ParquetError> {
        let mut columns = vec!["host".to_owned()];
        columns.extend(header.iter().map(|c| c.to_string()));
        let kinds: Vec<Kind> = std::iter::once(Kind::Str)
            .chain(header.iter().map(|c| kind_of(c)))
            .collect();
        let mut message = format!("message {} {{\n", sanitize(name));
        for (c, k) in columns.iter().zip(&kinds) {
            let t = match k {
                Kind::Str => "binary",
                Kind::Int => "int64",
                Kind::Float => "double",
                Kind::Time => "int64",
                Kind::Bool => "boolean",
            };
            let logical = match k {
                Kind::Str => " (STRING)",
                Kind::Time => " (TIMESTAMP(MICROS,true))",
                _ => "",
            };
            message.push_str(&format!("  optional {t} {}{logical};\n", sanitize(c)));
        }
        message.push('}');
        let werr = |source| ParquetError::Write {
            table: name.to_owned(),
            source,
        };
        let schema = Arc::new(parse_message_type(&message).map_err(werr)?);
        let props = Arc::new(
            WriterProperties::builder()
                .set_compression(Compression::SNAPPY)
                .set_created_by(format!("xferlens {}", env!("CARGO_PKG_VERSION")))
                .build(),
        );
        let writer = SerializedFileWriter::new(out, schema, props).map_err(werr)?;
        Ok(ParquetTable {
            name: name.to_owned(),
            writer,
            bufs: kinds.iter().map(|k| Buf::new(*k)).collect(),
            columns,
            kinds,
            host: host.to_owned(),
            pending: 0,
            rows: 0,
        })
    }

    /// Adds the rows of CSV text (cells as written, unguarded), after its
    /// header line when `header` is true.
    pub fn push_csv<R: std::io::Read>(
        &mut self,
        csv_rows: R,
        header: bool,
    ) -> Result<(), ParquetError> {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(header)
            .flexible(false)
            .from_reader(csv_rows);
        let mut rec = csv::StringRecord::new();
        loop {
            match r.read_record(&mut rec) {
                Ok(false) => break,
                Ok(true) => {}
                Err(source) => {
                    return Err(ParquetError::Csv {
                        table: self.name.clone(),
                        source,
                    })
                }
            }
            let host = self.host.clone();
            self.push_row(std::iter::once(host.as_str()).chain(rec.iter()))?;
        }
        Ok(())
    }

    /// Adds one row: the host, then one cell per CSV column.
    fn push_row<'c>(&mut self, cells: impl Iterator<Item = &'c str>) -> Result<(), ParquetError> {
        self.rows += 1;
        let mut n = 0;
        for ((cell, buf), kind) in cells.zip(&mut self.bufs).zip(&self.kinds) {
            n += 1;
            if cell.is_empty() {
                buf.null();
            } else if buf.push(*kind, cell).is_err() {
                return Err(ParquetError::Cell {
                    table: self.name.clone(),
                    row: self.rows,
                    column: self.columns[n - 1].clone(),
                    cell: cell.chars().take(80).collect(),
                    kind: *kind,
                });
            }
        }
        for buf in self.bufs.iter_mut().skip(n) {
            buf.null();
        }
        self.pending += 1;
        if self.pending >= ROW_GROUP {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the buffered rows as one row group.
    fn flush(&mut self) -> Result<(), ParquetError> {
        if self.pending == 0 {
            return Ok(());
        }
        let name = self.name.clone();
        let werr = |source| ParquetError::Write {
            table: name.clone(),
            source,
        };
        let mut rg = self.writer.next_row_group().map_err(werr)?;
        for buf in &mut self.bufs {
            let Some(mut col) = rg.next_column().map_err(werr)? else {
                break;
            };
            match buf {
                Buf::Str(v, d) => col
                    .typed::<ByteArrayType>()
                    .write_batch(v, Some(d), None)
                    .map_err(werr)?,
                Buf::Int(v, d) => col
                    .typed::<Int64Type>()
                    .write_batch(v, Some(d), None)
                    .map_err(werr)?,
                Buf::Float(v, d) => col
                    .typed::<DoubleType>()
                    .write_batch(v, Some(d), None)
                    .map_err(werr)?,
                Buf::Bool(v, d) => col
                    .typed::<BoolType>()
                    .write_batch(v, Some(d), None)
                    .map_err(werr)?,
            };
            col.close().map_err(werr)?;
            buf.clear();
        }
        rg.close().map_err(werr)?;
        self.pending = 0;
        Ok(())
    }

    /// Writes the last row group and the footer; returns the output.
    pub fn finish(mut self) -> Result<W, ParquetError> {
        self.flush()?;
        let name = self.name.clone();
        self.writer
            .into_inner()
            .map_err(|source| ParquetError::Write {
                table: name,
                source,
            })
    }
}

/// One table's rows typed for Parquet, column by column, built where the
/// rows are made (a worker thread, from the view rows themselves: no CSV
/// text is written or read back) and handed to [`ParquetTable::append`].
/// The `host` column is the table's, added there.
pub struct TypedRows {
    table: &'static str,
    columns: &'static [&'static str],
    kinds: Vec<Kind>,
    bufs: Vec<Buf>,
    rows: u64,
}

impl TypedRows {
    /// Empty rows of `table`, of these columns (without `host`).
    pub fn new(table: &'static str, columns: &'static [&'static str]) -> TypedRows {
        let kinds: Vec<Kind> = columns.iter().map(|c| kind_of(c)).collect();
        TypedRows {
            bufs: kinds.iter().map(|k| Buf::new(*k)).collect(),
            kinds,
            table,
            columns,
            rows: 0,
        }
    }

    /// Adds one row; `R`'s columns must be this table's. A cell that
    /// does not fit its column's type is an error naming it.
    pub fn push<R: Row>(&mut self, r: &R) -> Result<(), ParquetError> {
        debug_assert_eq!(R::COLUMNS, self.columns);
        self.rows += 1;
        let cells = r.cells();
        for (n, ((cell, buf), kind)) in cells
            .as_ref()
            .iter()
            .zip(&mut self.bufs)
            .zip(&self.kinds)
            .enumerate()
        {
            if buf.push_cell(*kind, cell).is_err() {
                return Err(ParquetError::Cell {
                    table: self.table.to_owned(),
                    row: self.rows,
                    column: self.columns[n].to_owned(),
                    cell: cell.to_text().chars().take(80).collect(),
                    kind: *kind,
                });
            }
        }
        Ok(())
    }

    /// Rows held.
    pub fn len(&self) -> u64 {
        self.rows
    }

    /// True when no row is held.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }
}

impl<W: Write + Send> ParquetTable<W> {
    /// Adds rows typed elsewhere (see [`TypedRows`]); their columns must
    /// be this table's, after `host`.
    pub fn append(&mut self, mut rows: TypedRows) -> Result<(), ParquetError> {
        if rows.rows == 0 {
            return Ok(());
        }
        let n = rows.rows as usize;
        match &mut self.bufs[0] {
            Buf::Str(v, d) => {
                v.extend(std::iter::repeat_n(
                    ByteArray::from(self.host.as_bytes().to_vec()),
                    n,
                ));
                d.extend(std::iter::repeat_n(1, n));
            }
            _ => unreachable!("host is a string column"),
        }
        for (mine, theirs) in self.bufs[1..].iter_mut().zip(&mut rows.bufs) {
            mine.append(theirs);
        }
        self.rows += rows.rows;
        self.pending += n;
        if self.pending >= ROW_GROUP {
            self.flush()?;
        }
        Ok(())
    }
}

/// A column or table name safe in a Parquet message type.
fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips() {
        for t in [0, 1_795_881_238, 951_782_400, -1, 253_402_300_799] {
            assert_eq!(parse_rfc3339(&crate::time::rfc3339(t)), Some(t), "{t}");
        }
        assert_eq!(parse_rfc3339("2026-11-28 15:53:58"), None);
        assert_eq!(parse_rfc3339("2026-13-28T15:53:58Z"), None);
    }

    struct Demo {
        id: &'static str,
        at: Option<&'static str>,
        size: Option<u64>,
        pct: Option<f64>,
        rerun: &'static str,
    }

    crate::columns! { Demo as r => DEMO_COLUMNS {
        "session_id" => Cell::text(r.id),
        "started_at" => Cell::opt(r.at),
        "size_bytes" => Cell::UInt(r.size),
        "percent" => Cell::Fixed(r.pct, 1),
        "to_rerun" => Cell::text(r.rerun),
    } }

    /// Rows typed straight from their cells make the same file as the
    /// same rows written as raw CSV and read back.
    #[test]
    fn typed_rows_match_the_csv_path() {
        let rows = [
            Demo {
                id: "=cmd",
                at: Some("2026-11-28T15:53:58Z"),
                size: Some(12),
                pct: Some(99.55),
                rerun: "yes",
            },
            Demo {
                id: "b",
                at: None,
                size: None,
                pct: None,
                rerun: "no",
            },
            Demo {
                id: "",
                at: Some("2026-11-28T15:53:59Z"),
                size: Some(u64::from(u32::MAX)),
                pct: Some(-0.0),
                rerun: "no",
            },
        ];
        let mut csv = crate::csv::CsvOut::new(Vec::new(), true);
        let mut typed = TypedRows::new("t", DEMO_COLUMNS);
        for r in &rows {
            csv.record(r).unwrap();
            typed.push(r).unwrap();
        }
        assert_eq!(typed.len(), 3);
        let mut a = ParquetTable::new(Vec::new(), "t", DEMO_COLUMNS, "h1").unwrap();
        a.push_csv(&csv.into_inner().unwrap()[..], false).unwrap();
        let mut b = ParquetTable::new(Vec::new(), "t", DEMO_COLUMNS, "h1").unwrap();
        b.append(typed).unwrap();
        assert_eq!(a.finish().unwrap(), b.finish().unwrap());
        // A cell that does not fit its column is an error naming both.
        let mut bad = TypedRows::new("t", DEMO_COLUMNS);
        let e = bad
            .push(&Demo {
                id: "a",
                at: Some("yesterday"),
                size: None,
                pct: None,
                rerun: "yes",
            })
            .unwrap_err();
        assert!(e.to_string().contains("t: row 1, column started_at"), "{e}");
    }

    #[test]
    fn a_table_writes_typed_rows_with_nulls() {
        let header = [
            "session_id",
            "started_at",
            "size_bytes",
            "percent",
            "to_rerun",
        ];
        let mut t = ParquetTable::new(Vec::new(), "t", &header, "h1").unwrap();
        t.push_csv(&b"a,2026-11-28T15:53:58Z,12,99.5,yes\nb,,,,no\n"[..], false)
            .unwrap();
        let bytes = t.finish().unwrap();
        assert_eq!(&bytes[..4], b"PAR1");
        let mut bad = ParquetTable::new(Vec::new(), "t", &header, "h1").unwrap();
        let e = bad
            .push_csv(&b"a,yesterday,1,1,yes\n"[..], false)
            .unwrap_err();
        assert!(e.to_string().contains("column started_at"), "{e}");
    }
}
