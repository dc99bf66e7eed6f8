//! CSV output. Every text cell taken from log content goes through
//! [`crate::escape::csv_cell`] unless raw output was asked for. The
//! writer knows rows only through [`crate::view`]; each table's writer
//! lives with its row type (`rows::items_csv`, `fleet::causes_csv`, ...).

use std::io::{self, Write};

use crate::escape::csv_cell;
use crate::view::{Cell, Row};

/// A CSV table writer that guards cells against formula injection.
pub struct CsvOut<W: Write> {
    w: csv::Writer<W>,
    raw: bool,
    scratch: String,
}

fn to_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

impl<W: Write> CsvOut<W> {
    /// A writer; `raw` turns the formula guard off.
    pub fn new(out: W, raw: bool) -> CsvOut<W> {
        CsvOut {
            w: csv::WriterBuilder::new().from_writer(out),
            raw,
            scratch: String::new(),
        }
    }

    /// Writes a header row (never guarded).
    pub fn header(&mut self, cols: &[&str]) -> io::Result<()> {
        self.w.write_record(cols).map_err(to_io)
    }

    /// Writes one row of cells.
    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) -> io::Result<()> {
        for c in cells {
            let c = c.as_ref();
            // Only a guarded cell allocates (for its leading `'`).
            let cell = if self.raw { c.into() } else { csv_cell(c) };
            self.w.write_field(cell.as_bytes()).map_err(to_io)?;
        }
        self.w.write_record(None::<&[u8]>).map_err(to_io)
    }

    /// Writes one text cell of the current row (guarded like [`Self::row`]).
    pub fn field(&mut self, c: &str) -> io::Result<()> {
        let cell = if self.raw { c.into() } else { csv_cell(c) };
        self.w.write_field(cell.as_bytes()).map_err(to_io)
    }

    /// Writes one number cell the renderer made itself (empty for `None`);
    /// numbers are never guarded.
    pub fn num<N: std::fmt::Display>(&mut self, n: Option<N>) -> io::Result<()> {
        self.scratch.clear();
        if let Some(n) = n {
            use std::fmt::Write as _;
            let _ = write!(self.scratch, "{n}");
        }
        self.w.write_field(self.scratch.as_bytes()).map_err(to_io)
    }

    /// Writes one row of a view (see [`crate::view`]): text cells guarded
    /// like [`Self::field`], numbers as they are.
    pub fn record<R: Row>(&mut self, r: &R) -> io::Result<()> {
        for c in r.cells().as_ref() {
            match c {
                Cell::Text(t) => self.field(t.as_deref().unwrap_or(""))?,
                Cell::UInt(n) => self.num(*n)?,
                Cell::Int(n) => self.num(*n)?,
                Cell::Fixed(..) => {
                    let text = c.to_text();
                    self.w.write_field(text.as_bytes()).map_err(to_io)?;
                }
            }
        }
        self.end_row()
    }

    /// Writes the header of a view's table.
    pub fn header_of<R: Row>(&mut self) -> io::Result<()> {
        self.header(R::COLUMNS)
    }

    /// Ends the current row.
    pub fn end_row(&mut self) -> io::Result<()> {
        self.w.write_record(None::<&[u8]>).map_err(to_io)
    }

    /// Flushes the CSV buffer and the inner writer (a stream that goes
    /// on, such as a followed log).
    pub fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }

    /// Flushes the CSV buffer and returns the inner writer (to collect
    /// rows rendered into memory).
    pub fn into_inner(self) -> io::Result<W> {
        self.w.into_inner().map_err(|e| e.into_error())
    }

    /// Flushes the CSV buffer and the inner writer.
    pub fn finish(self) -> io::Result<()> {
        // The I/O error itself (its kind intact: a closed pipe stays one).
        let mut inner = self.w.into_inner().map_err(|e| e.into_error())?;
        inner.flush()
    }
}
