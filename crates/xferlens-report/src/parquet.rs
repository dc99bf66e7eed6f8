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
//! No cell value costs a row: a value its column's type cannot hold (a
//! time outside years 1 to 9999, the range engines' timestamps share, or
//! an integer of 2^63 or more) is a null in Parquet, and the table keeps
//! a note of it ([`Nulled`], see [`ParquetTable::nulls`]) for the caller
//! to report. The CSV table keeps the value.
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
    /// The CSV rows could not be read back.
    #[error("{table}: {source}")]
    Csv {
        /// The table.
        table: String,
        /// What the CSV reader said.
        source: csv::Error,
    },
}

/// The first and last instants a Parquet time column holds: years 1 to
/// 9999, what the engines that read these files agree on (Spark,
/// BigQuery, pandas' `datetime64[us]` and DuckDB's date functions).
pub const TIME_RANGE: std::ops::RangeInclusive<i64> = -62_135_596_800..=253_402_300_799;

/// Most [`Nulled`] notes a table keeps (the rest are counted).
pub const NULLED_KEPT: usize = 20;

/// A cell whose value its Parquet column cannot hold, written as a null
/// (the CSV table keeps the value).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nulled {
    /// The table.
    pub table: String,
    /// Row number among the table's rows, from 1.
    pub row: u64,
    /// Column name.
    pub column: String,
    /// The row's session (its `session_id` column, else the first column
    /// whose name ends in `session_id`), when it has one.
    pub session: Option<String>,
    /// The cell as CSV writes it (at most 80 characters).
    pub cell: String,
    /// The column's type.
    pub kind: Kind,
}

impl std::fmt::Display for Nulled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.kind {
            Kind::Time => "a time outside years 1 to 9999",
            Kind::Int => "not a 64-bit integer",
            Kind::Float => "not a number",
            Kind::Bool => "not yes or no",
            Kind::Str => "not text",
        };
        write!(f, "{}.parquet: ", self.table)?;
        if let Some(s) = &self.session {
            write!(f, "session {s}, ")?;
        }
        write!(
            f,
            "row {}, column {}: `{}` is {what}; NULL in Parquet",
            self.row, self.column, self.cell
        )
    }
}

/// The cells of a table written as nulls: the first [`NULLED_KEPT`], and
/// how many in all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Nulls {
    kept: Vec<Nulled>,
    count: u64,
}

impl Nulls {
    /// The notes kept, in row order.
    pub fn kept(&self) -> &[Nulled] {
        &self.kept
    }

    /// How many cells were written as nulls, kept or not.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// One line per note kept, and one that counts the rest, if any.
    pub fn lines(&self) -> Vec<String> {
        let mut out: Vec<String> = self.kept.iter().map(Nulled::to_string).collect();
        let rest = self.count - self.kept.len() as u64;
        if let (Some(n), true) = (self.kept.first(), rest > 0) {
            out.push(format!(
                "{}.parquet: {rest} more cells that Parquet cannot hold are NULL there",
                n.table
            ));
        }
        out
    }

    fn add(&mut self, n: Nulled) {
        self.count += 1;
        if self.kept.len() < NULLED_KEPT {
            self.kept.push(n);
        }
    }

    /// Takes `other`'s notes, whose rows come after `offset` rows of this
    /// table.
    fn merge(&mut self, other: Nulls, offset: u64) {
        let count = self.count + other.count;
        for mut n in other.kept {
            n.row += offset;
            self.add(n);
        }
        self.count = count;
    }
}

/// Where a row's session sits among `columns` (see [`Nulled::session`]).
fn session_column<S: AsRef<str>>(columns: &[S]) -> Option<usize> {
    let names = || columns.iter().map(AsRef::as_ref);
    names()
        .position(|c| c == "session_id")
        .or_else(|| names().position(|c| c.ends_with("session_id")))
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

    /// Adds `cell` (not empty) as `kind`; `Err(())`, with nothing added,
    /// when `kind` cannot hold it.
    fn push(&mut self, kind: Kind, cell: &str) -> Result<(), ()> {
        match (self, kind) {
            (Buf::Str(v, d), _) => {
                v.push(ByteArray::from(cell.as_bytes().to_vec()));
                d.push(1);
            }
            (Buf::Int(v, d), Kind::Time) => {
                let t = parse_rfc3339(cell).filter(|t| TIME_RANGE.contains(t));
                v.push(t.ok_or(())? * 1_000_000);
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
    /// CSV text of the cell would be read (so both ways agree);
    /// `Err(())`, with nothing added, when `kind` cannot hold it.
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

/// Epoch seconds of `YYYY-MM-DDTHH:MM:SSZ`, the form every xferlens
/// output writes ([`crate::time::rfc3339`]), whose year may have more
/// than four digits or a minus sign: every `i64` of seconds reads back
/// as itself. `None` for any other text, or a time past the `i64` range.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    // The year is everything before the fixed-width `-MM-DDTHH:MM:SSZ`.
    let split = s.len().checked_sub(16)?;
    let (year, rest) = (s.get(..split)?, &s.as_bytes()[split..]);
    if rest[0] != b'-' || rest[3] != b'-' || rest[6] != b'T' || rest[15] != b'Z' {
        return None;
    }
    let digits = year.strip_prefix('-').unwrap_or(year);
    // Twelve digits hold every year of an `i64` of seconds.
    if !(1..=12).contains(&digits.len()) || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(split + r.start..split + r.end)?;
        if !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    let (y, m, d): (i64, _, _) = (year.parse().ok()?, num(1..3)?, num(4..6)?);
    let (hh, mm, ss) = (num(7..9)?, num(10..12)?, num(13..15)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    let days = crate::time::days_from_civil(y, m, d);
    // In i128: the first day of `i64::MIN`'s year starts before it.
    let secs = i128::from(days) * 86_400 + i128::from(hh * 3600 + mm * 60 + ss);
    i64::try_from(secs).ok()
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
    /// The cells written as nulls because their type cannot hold them.
    nulls: Nulls,
    /// Where a row names its session, among `columns`.
    session: Option<usize>,
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
            session: session_column(&columns),
            columns,
            kinds,
            host: host.to_owned(),
            pending: 0,
            rows: 0,
            nulls: Nulls::default(),
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
            let session = self.session.and_then(|i| rec.get(i - 1)).map(String::from);
            self.push_row(std::iter::once(host.as_str()).chain(rec.iter()), session)?;
        }
        Ok(())
    }

    /// Adds one row of `session`: the host, then one cell per CSV column.
    /// A cell its column's type cannot hold is a null, and noted.
    fn push_row<'c>(
        &mut self,
        cells: impl Iterator<Item = &'c str>,
        session: Option<String>,
    ) -> Result<(), ParquetError> {
        self.rows += 1;
        let mut n = 0;
        for ((cell, buf), kind) in cells.zip(&mut self.bufs).zip(&self.kinds) {
            n += 1;
            if cell.is_empty() {
                buf.null();
            } else if buf.push(*kind, cell).is_err() {
                buf.null();
                self.nulls.add(Nulled {
                    table: self.name.clone(),
                    row: self.rows,
                    column: self.columns[n - 1].clone(),
                    session: session.clone(),
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

    /// The cells written as nulls so far, because their column's type
    /// cannot hold them.
    pub fn nulls(&self) -> &Nulls {
        &self.nulls
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
    nulls: Nulls,
    session: Option<usize>,
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
            nulls: Nulls::default(),
            session: session_column(columns),
        }
    }

    /// Adds one row; `R`'s columns must be this table's. A cell that
    /// its column's type cannot hold is a null, and noted (see
    /// [`TypedRows::nulls`]).
    pub fn push<R: Row>(&mut self, r: &R) {
        debug_assert_eq!(R::COLUMNS, self.columns);
        self.rows += 1;
        let cells = r.cells();
        let cells = cells.as_ref();
        for (n, ((cell, buf), kind)) in cells
            .iter()
            .zip(&mut self.bufs)
            .zip(&self.kinds)
            .enumerate()
        {
            if buf.push_cell(*kind, cell).is_err() {
                buf.null();
                self.nulls.add(Nulled {
                    table: self.table.to_owned(),
                    row: self.rows,
                    column: self.columns[n].to_owned(),
                    session: self.session.map(|i| cells[i].to_text().into_owned()),
                    cell: cell.to_text().chars().take(80).collect(),
                    kind: *kind,
                });
            }
        }
    }

    /// The cells written as nulls, because their column's type cannot
    /// hold them (row numbers count these rows from 1).
    pub fn nulls(&self) -> &Nulls {
        &self.nulls
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
        self.nulls.merge(std::mem::take(&mut rows.nulls), self.rows);
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
        for t in [
            0,
            1_795_881_238,
            951_782_400,
            -1,
            253_402_300_799,
            253_402_300_800,
            999_999_999_999,
            -62_135_596_800,
            -62_135_596_801,
            -62_167_219_201,
            i64::MAX,
            i64::MIN,
        ] {
            assert_eq!(parse_rfc3339(&crate::time::rfc3339(t)), Some(t), "{t}");
        }
        assert_eq!(
            parse_rfc3339("33658-09-27T01:46:39Z"),
            Some(999_999_999_999)
        );
        assert_eq!(parse_rfc3339("2026-11-28 15:53:58"), None);
        assert_eq!(parse_rfc3339("2026-13-28T15:53:58Z"), None);
        assert_eq!(parse_rfc3339("+2026-11-28T15:53:58Z"), None);
        assert_eq!(parse_rfc3339("2026-11-28T15:53:+8Z"), None);
        assert_eq!(parse_rfc3339("-11-28T15:53:58Z"), None);
        assert_eq!(parse_rfc3339("é11-28T15:53:58Z"), None);
        assert_eq!(parse_rfc3339("9999999999999-11-28T15:53:58Z"), None);
        assert_eq!(parse_rfc3339("292277026597-01-01T00:00:00Z"), None);
        assert_eq!(parse_rfc3339(""), None);
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
            typed.push(r);
        }
        assert_eq!(typed.len(), 3);
        let mut a = ParquetTable::new(Vec::new(), "t", DEMO_COLUMNS, "h1").unwrap();
        a.push_csv(&csv.into_inner().unwrap()[..], false).unwrap();
        let mut b = ParquetTable::new(Vec::new(), "t", DEMO_COLUMNS, "h1").unwrap();
        b.append(typed).unwrap();
        assert_eq!(a.finish().unwrap(), b.finish().unwrap());
    }

    /// A value its column's type cannot hold is a null, noted with its
    /// table, row, column and session, the same both ways; the other
    /// cells and rows are written.
    #[test]
    fn a_cell_parquet_cannot_hold_is_a_noted_null() {
        let rows = [
            Demo {
                id: "s0",
                at: Some("2026-11-28T15:53:58Z"),
                size: Some(1),
                pct: None,
                rerun: "no",
            },
            Demo {
                id: "s1",
                at: Some("33658-09-27T01:46:39Z"),
                size: Some(1 << 63),
                pct: Some(1.0),
                rerun: "yes",
            },
            Demo {
                id: "s2",
                at: Some("10000-01-01T00:00:00Z"),
                size: Some(i64::MAX as u64),
                pct: None,
                rerun: "maybe",
            },
        ];
        let mut csv = crate::csv::CsvOut::new(Vec::new(), true);
        let mut typed = TypedRows::new("t", DEMO_COLUMNS);
        for r in &rows {
            csv.record(r).unwrap();
            typed.push(r);
        }
        let noted: Vec<_> = typed
            .nulls()
            .kept()
            .iter()
            .map(|n| (n.row, n.column.as_str(), n.session.as_deref()))
            .collect();
        assert_eq!(
            noted,
            [
                (2, "started_at", Some("s1")),
                (2, "size_bytes", Some("s1")),
                (3, "started_at", Some("s2")),
                (3, "to_rerun", Some("s2")),
            ]
        );
        assert_eq!(
            typed.nulls().kept()[0].to_string(),
            "t.parquet: session s1, row 2, column started_at: `33658-09-27T01:46:39Z` \
             is a time outside years 1 to 9999; NULL in Parquet"
        );
        let mut a = ParquetTable::new(Vec::new(), "t", DEMO_COLUMNS, "h1").unwrap();
        a.push_csv(&csv.into_inner().unwrap()[..], false).unwrap();
        assert_eq!(a.nulls(), typed.nulls());
        // Appended after one row, the rows are renumbered.
        let mut b = ParquetTable::new(Vec::new(), "t", DEMO_COLUMNS, "h1").unwrap();
        let mut first = TypedRows::new("t", DEMO_COLUMNS);
        first.push(&rows[0]);
        b.append(first).unwrap();
        let mut rest = TypedRows::new("t", DEMO_COLUMNS);
        rest.push(&rows[1]);
        rest.push(&rows[2]);
        b.append(rest).unwrap();
        assert_eq!(a.nulls(), b.nulls());
        assert_eq!(a.finish().unwrap(), b.finish().unwrap());
    }

    #[test]
    fn the_notes_kept_are_bounded_and_the_rest_counted() {
        let mut typed = TypedRows::new("t", DEMO_COLUMNS);
        let bad = Demo {
            id: "s",
            at: Some("yesterday"),
            size: None,
            pct: None,
            rerun: "no",
        };
        for _ in 0..NULLED_KEPT + 5 {
            typed.push(&bad);
        }
        let mut t = ParquetTable::new(Vec::new(), "t", DEMO_COLUMNS, "h1").unwrap();
        t.append(typed).unwrap();
        t.push_csv(&b"s,yesterday,,,no\n"[..], false).unwrap();
        assert_eq!(t.nulls().kept().len(), NULLED_KEPT);
        assert_eq!(t.nulls().count(), NULLED_KEPT as u64 + 6);
        let lines = t.nulls().lines();
        assert_eq!(lines.len(), NULLED_KEPT + 1);
        assert_eq!(
            lines[NULLED_KEPT],
            "t.parquet: 6 more cells that Parquet cannot hold are NULL there"
        );
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
        assert!(t.nulls().kept().is_empty());
        let bytes = t.finish().unwrap();
        assert_eq!(&bytes[..4], b"PAR1");
    }
}
