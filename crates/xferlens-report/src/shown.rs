//! Report tables drawn from view rows: each column of a Markdown or HTML
//! report table is one line naming its heading, the view column it shows
//! (see [`crate::view`]) and how. The cell's value comes from the row's
//! own column, so a report and the CSV/JSON of the same rows cannot
//! disagree; escaping is done here, per medium.

use std::io::{self, Write};

use crate::escape::{html as h, markdown as m, markdown_code};
use crate::modules::dur;
use crate::time::bytes;
use crate::view::{position, Cell, Row};

/// How a column's cell is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum How {
    /// Text from the logs: escaped for the medium.
    Text,
    /// A number: right-aligned in HTML.
    Number,
    /// A log excerpt: a code span.
    Code,
    /// A byte count, in units for people (`1.5 GB`).
    Bytes,
    /// Seconds, as a duration for people (`3m 09s`; `-` when unknown).
    Duration,
    /// Bytes per second, in units for people (`49.7 MB/s`).
    Rate,
    /// An id (a session's): a code span in Markdown, text in HTML.
    Id,
    /// An item status (`failed`): styled by its value in HTML.
    Status,
}

impl How {
    /// The cell as shown (before escaping): numbers in units for people
    /// where the column asks for them.
    fn show(self, cell: &Cell<'_>) -> String {
        match self {
            How::Text | How::Number | How::Code | How::Id | How::Status => {
                cell.to_text().into_owned()
            }
            How::Bytes => cell.number().map(bytes).unwrap_or_default(),
            How::Duration => dur(cell.number().map(|s| s as i64)),
            How::Rate => cell
                .number()
                .map(|r| format!("{}/s", bytes(r)))
                .unwrap_or_default(),
        }
    }

    /// Right-aligned in HTML.
    fn numeric(self) -> bool {
        matches!(self, How::Number | How::Bytes | How::Duration | How::Rate)
    }
}

/// One column of a report table.
#[derive(Clone, Copy, Debug)]
pub struct Shown {
    /// The heading people read.
    pub heading: &'static str,
    /// The view column it shows.
    pub column: &'static str,
    /// How.
    pub how: How,
}

/// A column of a report table: `heading` shows view column `column`, `how`.
pub const fn shown(heading: &'static str, column: &'static str, how: How) -> Shown {
    Shown {
        heading,
        column,
        how,
    }
}

/// For each row, the text of each shown column, in order (picked by
/// name once, before the rows).
fn texts<R: Row>(rows: impl IntoIterator<Item = R>, cols: &[Shown]) -> Vec<Vec<String>> {
    let at: Vec<usize> = cols.iter().map(|c| position::<R>(c.column)).collect();
    rows.into_iter()
        .map(|r| {
            let cells = r.cells();
            cols.iter()
                .zip(&at)
                .map(|(c, &i)| c.how.show(&cells.as_ref()[i]))
                .collect()
        })
        .collect()
}

/// Writes an HTML table's heading row and one row per item of `rows`
/// (the caller writes the `<table>` around them).
pub fn html<W: Write, R: Row>(
    out: &mut W,
    rows: impl IntoIterator<Item = R>,
    cols: &[Shown],
) -> io::Result<()> {
    html_head(out, cols)?;
    writeln!(out)?;
    html_rows(out, rows, cols)
}

/// Writes an HTML table's heading row, without a line break (a sortable
/// table puts it in `<thead>`).
pub fn html_head<W: Write>(out: &mut W, cols: &[Shown]) -> io::Result<()> {
    write!(out, "<tr>")?;
    for c in cols {
        write!(out, "<th>{}</th>", c.heading)?;
    }
    write!(out, "</tr>")
}

/// Writes one HTML row, on its own line, per item of `rows`.
pub fn html_rows<W: Write, R: Row>(
    out: &mut W,
    rows: impl IntoIterator<Item = R>,
    cols: &[Shown],
) -> io::Result<()> {
    for row in texts(rows, cols) {
        write!(out, "<tr>")?;
        for (c, text) in cols.iter().zip(&row) {
            match c.how {
                How::Code => write!(out, "<td><code>{}</code></td>", h(text))?,
                How::Status => write!(
                    out,
                    "<td class=\"st {}\">{}</td>",
                    h(&text.to_uppercase()),
                    h(text)
                )?,
                how if how.numeric() => write!(out, "<td class=\"num\">{}</td>", h(text))?,
                _ => write!(out, "<td>{}</td>", h(text))?,
            }
        }
        writeln!(out, "</tr>")?;
    }
    Ok(())
}

/// Writes a Markdown table: heading row, rule, and one row per item of
/// `rows`.
pub fn markdown<W: Write, R: Row>(
    out: &mut W,
    rows: impl IntoIterator<Item = R>,
    cols: &[Shown],
) -> io::Result<()> {
    let headings: Vec<&str> = cols.iter().map(|c| c.heading).collect();
    writeln!(out, "| {} |", headings.join(" | "))?;
    writeln!(out, "|{}|", vec!["---"; cols.len()].join("|"))?;
    for row in texts(rows, cols) {
        let shown: Vec<String> = cols
            .iter()
            .zip(&row)
            .map(|(c, text)| {
                let shown = match c.how {
                    How::Text | How::Status => m(text),
                    How::Code | How::Id => markdown_code(text),
                    _ => text.clone(),
                };
                // An empty cell still needs its space.
                if shown.is_empty() {
                    " ".to_owned()
                } else {
                    shown
                }
            })
            .collect();
        writeln!(out, "| {} |", shown.join(" | "))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Demo(&'static str, u64);

    crate::columns! { Demo as r => DEMO_COLUMNS {
        "name" => Cell::text(r.0),
        "n" => Cell::count(r.1),
    } }

    const SHOWN: [Shown; 3] = [
        shown("Count", "n", How::Number),
        shown("Name", "name", How::Text),
        shown("As code", "name", How::Code),
    ];

    #[test]
    fn columns_are_picked_by_name_and_escaped_per_medium() {
        let rows = [Demo("<b>|x`", 7), Demo("", 0)];
        let mut out = Vec::new();
        html(&mut out, rows.iter().map(|d| Demo(d.0, d.1)), &SHOWN).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<tr><th>Count</th><th>Name</th><th>As code</th></tr>\n\
             <tr><td class=\"num\">7</td><td>&lt;b&gt;|x`</td><td><code>&lt;b&gt;|x`</code></td></tr>\n\
             <tr><td class=\"num\">0</td><td></td><td><code></code></td></tr>\n"
        );
        let mut out = Vec::new();
        markdown(&mut out, rows, &SHOWN[..2]).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "| Count | Name |\n|---|---|\n| 7 | &lt;b&gt;\\|x\\` |\n| 0 |   |\n"
        );
    }
}
