//! Report tables drawn from view rows: each column of a Markdown or HTML
//! report table is one line naming its heading, the view column it shows
//! (see [`crate::view`]) and how. The cell's value comes from the row's
//! own column, so a report and the CSV/JSON of the same rows cannot
//! disagree; escaping is done here, per medium.

use std::io::{self, Write};

use crate::escape::{html as h, markdown as m, markdown_code};
use crate::time::{bytes, dur, duration};
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
    /// Seconds, as a duration for people; empty when unknown.
    Elapsed,
    /// Bytes per second, in units for people (`49.7 MB/s`).
    Rate,
    /// An id (a session's): a code span in Markdown, text in HTML.
    Id,
    /// An item status or session state (`failed`): styled in HTML by
    /// its value in capitals (`st FAILED`).
    Status,
    /// An account's or item's outcome (`failed`): styled in HTML by its
    /// value as it is (`st failed`, the class the filters also read).
    Outcome,
    /// Nothing: a cell whose content the caller nests in it (a chart), or
    /// that only carries a sort key.
    Blank,
    /// A percentage: a bar and its figure in HTML, the figure in Markdown
    /// (`12.3%`).
    Bar,
    /// As [`How::Bar`], with a narrow bar (for a table of many columns).
    SmallBar,
    /// A share in percent: a bar alone in HTML, titled `12.3% of <what>`;
    /// the figure in Markdown.
    Share(&'static str),
    /// A WHM queue state (`TRANSFER_PENDING`): the queue's name from the
    /// logs, escaped, and the state word, ours, as it is.
    State,
    /// An RFC 3339 time as `2024-05-01 12:00:00`, on one line.
    Clock,
    /// A count as a sentence, `{}` standing for it: nothing when the count
    /// is zero or unknown.
    Note(&'static str),
    /// A fixed mark when the count is above zero, nothing otherwise.
    Flag(&'static str),
}

impl How {
    /// The cell as shown, before escaping: numbers in units for people
    /// where the column asks for them. `None` for a note or mark that is
    /// not shown.
    fn show(self, cell: &Cell<'_>) -> Option<String> {
        let above_zero = cell.number().is_some_and(|n| n > 0.0);
        Some(match self {
            How::Text
            | How::Number
            | How::Code
            | How::Id
            | How::Status
            | How::Outcome
            | How::State => cell.to_text().into_owned(),
            How::Blank => String::new(),
            How::Bytes => cell.number().map(bytes).unwrap_or_default(),
            How::Duration => dur(cell.number().map(|s| s as i64)),
            How::Elapsed => cell
                .number()
                .map(|s| duration(s as i64))
                .unwrap_or_default(),
            How::Rate => cell
                .number()
                .map(|r| format!("{}/s", bytes(r)))
                .unwrap_or_default(),
            How::Bar | How::SmallBar | How::Share(_) => cell
                .number()
                .map(|p| format!("{p:.1}%"))
                .unwrap_or_default(),
            How::Clock => cell.to_text().replace('T', " ").replace('Z', ""),
            How::Note(text) => {
                let n = cell.to_text();
                return above_zero.then(|| text.replace("{}", &n));
            }
            How::Flag(mark) => return above_zero.then(|| mark.to_owned()),
        })
    }

    /// The class of an HTML cell shown this way, if any.
    fn class(self) -> Option<&'static str> {
        match self {
            How::Number | How::Bytes | How::Duration | How::Elapsed | How::Rate => Some("num"),
            How::Bar | How::SmallBar | How::Clock => Some("nw"),
            _ => None,
        }
    }

    /// `text` (from [`How::show`]) as HTML.
    fn html(self, cell: &Cell<'_>, text: &str) -> String {
        let bar = |class: &str, title: String, width: f64, figure: &str| {
            format!("<span class=\"{class}\" title=\"{title}\"><span style=\"width:{width:.1}%\"></span></span>{figure}")
        };
        let pct = cell.number().unwrap_or(0.0);
        match self {
            How::Code => format!("<code>{}</code>", h(text)),
            How::Bar => bar(
                "bar",
                format!("{pct:.1}%"),
                pct.clamp(0.0, 100.0),
                &format!(" {pct:.1}%"),
            ),
            How::SmallBar => bar(
                "bar s",
                format!("{pct:.1}%"),
                pct.clamp(0.0, 100.0),
                &format!(" {pct:.1}%"),
            ),
            How::Share(of) => bar("bar", format!("{pct:.1}% of {of}"), pct, ""),
            _ => h(text),
        }
    }

    /// `text` (from [`How::show`]) as Markdown.
    fn markdown(self, text: &str) -> String {
        match self {
            How::Text | How::Status | How::Outcome | How::Note(_) | How::Flag(_) => m(text),
            How::State => {
                let word = ["_PENDING", "_INPROGRESS"]
                    .into_iter()
                    .find(|w| text.ends_with(w))
                    .unwrap_or("");
                format!("{}{word}", m(&text[..text.len() - word.len()]))
            }
            // An empty code span would show two backticks.
            How::Code | How::Id if text.is_empty() => String::new(),
            How::Code | How::Id => markdown_code(text),
            _ => text.to_owned(),
        }
    }
}

/// How a further part of a cell follows what comes before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Join {
    /// After a space.
    Space,
    /// After a space, de-emphasised: a muted span in HTML, plain in
    /// Markdown.
    Muted,
    /// After a space, as an aside: a muted span in HTML, in parentheses in
    /// Markdown.
    Aside,
    /// In parentheses, after a space.
    Paren,
    /// On a new line in HTML, after a space in Markdown.
    Below,
    /// As an aside on a new line: a muted span after a line break in HTML,
    /// in parentheses in Markdown.
    BelowAside,
    /// After a comma in Markdown, on a new line in HTML (one of a list).
    Next,
    /// After ` of ` (`3.1 GB of 4.0 GB`).
    Of,
}

impl Join {
    /// `part` (already escaped) after this join, as HTML.
    fn html(self, part: &str) -> String {
        match self {
            Join::Space => format!(" {part}"),
            Join::Muted | Join::Aside => format!(" <span class=\"muted\">{part}</span>"),
            Join::Paren => format!(" ({part})"),
            Join::Below | Join::Next => format!("<br>{part}"),
            Join::BelowAside => format!("<br><span class=\"muted\">{part}</span>"),
            Join::Of => format!(" of {part}"),
        }
    }

    /// `part` (already escaped) after this join, as Markdown.
    fn markdown(self, part: &str) -> String {
        match self {
            Join::Space | Join::Muted | Join::Below => format!(" {part}"),
            Join::Aside | Join::Paren | Join::BelowAside => format!(" ({part})"),
            Join::Next => format!(", {part}"),
            Join::Of => format!(" of {part}"),
        }
    }
}

/// A further part of a cell: another column of the same row, shown after
/// the column before it. A part whose cell is empty or unknown (or a note
/// or mark with nothing to say) is left out with its join.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Part {
    /// How it follows.
    pub join: Join,
    /// The view column it shows.
    pub column: &'static str,
    /// How.
    pub how: How,
}

/// Parts a cell can have after its column.
const PARTS: usize = 8;

/// One column of a report table.
#[derive(Clone, Copy, Debug)]
pub struct Shown {
    /// The heading people read.
    pub heading: &'static str,
    /// The view column it shows.
    pub column: &'static str,
    /// How.
    pub how: How,
    /// Further parts of the same cell, in order.
    pub parts: [Option<Part>; PARTS],
    /// HTML: the column whose value sorts this one in a sortable table
    /// (`data-v`), and the key of an unknown value.
    pub key: Option<(&'static str, &'static str)>,
    /// HTML: the column holding the anchor this cell links to (no link
    /// where it is empty).
    pub link: Option<&'static str>,
    /// HTML: the cell's class, in place of the one its `how` gives
    /// (`nw`: kept on one line and aligned as text, as a cell of two
    /// figures, `1.5 GB of 2.0 GB`).
    pub class: Option<&'static str>,
}

/// A column of a report table: `heading` shows view column `column`, `how`.
pub const fn shown(heading: &'static str, column: &'static str, how: How) -> Shown {
    Shown {
        heading,
        column,
        how,
        parts: [None; PARTS],
        key: None,
        link: None,
        class: None,
    }
}

/// The columns of `pieces`, in order, as one table of `N` columns (for
/// tables that share their first columns).
pub const fn table<const N: usize>(pieces: &[&[Shown]]) -> [Shown; N] {
    let mut out = [shown("", "", How::Text); N];
    let (mut n, mut p) = (0, 0);
    while p < pieces.len() {
        let mut i = 0;
        while i < pieces[p].len() {
            out[n] = pieces[p][i];
            n += 1;
            i += 1;
        }
        p += 1;
    }
    assert!(n == N, "N is the number of columns");
    out
}

impl Shown {
    /// The same, with column `column` shown `how` after it in the same
    /// cell, joined by `join`.
    pub const fn then(mut self, join: Join, column: &'static str, how: How) -> Shown {
        let mut i = 0;
        while self.parts[i].is_some() {
            i += 1;
        }
        self.parts[i] = Some(Part { join, column, how });
        self
    }

    /// The same, sorted by column `column` in a sortable HTML table
    /// (`unknown` where it has no value).
    pub const fn sorted_by(mut self, column: &'static str, unknown: &'static str) -> Shown {
        self.key = Some((column, unknown));
        self
    }

    /// The same, linked in HTML to the anchor in column `column`.
    pub const fn linked_by(mut self, column: &'static str) -> Shown {
        self.link = Some(column);
        self
    }

    /// The same, kept on one line in HTML.
    pub const fn nowrap(self) -> Shown {
        self.classed("nw")
    }

    /// The same, with class `class` in HTML.
    pub const fn classed(mut self, class: &'static str) -> Shown {
        self.class = Some(class);
        self
    }
}

/// Where the columns a [`Shown`] reads sit in row type `R`.
struct At {
    main: usize,
    parts: Vec<(Part, usize)>,
    key: Option<(usize, &'static str)>,
    link: Option<usize>,
}

impl At {
    /// The positions of `col`'s columns in `R` (panics on a name `R` does
    /// not have: a programming error, caught by every table's test).
    fn of<R: Row>(col: &Shown) -> At {
        At {
            main: position::<R>(col.column),
            parts: col
                .parts
                .iter()
                .flatten()
                .map(|p| (*p, position::<R>(p.column)))
                .collect(),
            key: col.key.map(|(c, unknown)| (position::<R>(c), unknown)),
            link: col.link.map(position::<R>),
        }
    }

    /// The parts shown, each with its text (before escaping).
    fn parts<'c>(
        &'c self,
        cells: &'c [Cell<'_>],
    ) -> impl Iterator<Item = (Part, &'c Cell<'c>, String)> + 'c {
        self.parts.iter().filter_map(move |&(p, i)| {
            let text = p.how.show(&cells[i])?;
            (!text.is_empty()).then(|| (p, &cells[i], text))
        })
    }
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
    html_head_with(out, cols, |c| c.heading.to_owned())
}

/// As [`html_head`], each heading given (as HTML) by `heading`: for a
/// heading that says something about the rows (the time axis of a chart
/// column).
pub fn html_head_with<W: Write>(
    out: &mut W,
    cols: &[Shown],
    heading: impl Fn(&Shown) -> String,
) -> io::Result<()> {
    write!(out, "<tr>")?;
    for c in cols {
        write!(out, "<th>{}</th>", heading(c))?;
    }
    write!(out, "</tr>")
}

/// The class of each row of an HTML table: fixed classes, and a prefix
/// before a column's value (`r k-failed`, for filters that hide rows).
#[derive(Clone, Copy, Debug)]
pub struct RowClass {
    /// Classes every row has.
    pub fixed: &'static str,
    /// Put before the column's value.
    pub prefix: &'static str,
    /// The view column.
    pub column: &'static str,
}

/// Writes one HTML row, on its own line, per item of `rows`.
pub fn html_rows<W: Write, R: Row>(
    out: &mut W,
    rows: impl IntoIterator<Item = R>,
    cols: &[Shown],
) -> io::Result<()> {
    html_rows_with(out, rows, cols, None, |_, _| String::new())
}

/// As [`html_rows`], each row classed by `row_class`, and with
/// `inside(row, column)` (HTML, already escaped) written at the end of
/// each cell: for content nested in a cell that is no column, such as an
/// item's detail records under its reason or a chart.
pub fn html_rows_with<W: Write, R: Row>(
    out: &mut W,
    rows: impl IntoIterator<Item = R>,
    cols: &[Shown],
    row_class: Option<RowClass>,
    inside: impl Fn(&R, &Shown) -> String,
) -> io::Result<()> {
    let at: Vec<At> = cols.iter().map(At::of::<R>).collect();
    let class_at = row_class.map(|rc| (rc, position::<R>(rc.column)));
    for row in rows {
        let cells = row.cells();
        let cells = cells.as_ref();
        match class_at {
            Some((rc, i)) => write!(
                out,
                "<tr class=\"{} {}{}\">",
                rc.fixed,
                rc.prefix,
                h(&cells[i].to_text())
            )?,
            None => write!(out, "<tr>")?,
        }
        for (c, at) in cols.iter().zip(&at) {
            let cell = &cells[at.main];
            let text = c.how.show(cell).unwrap_or_default();
            write!(out, "<td")?;
            let class = match (c.class, c.how) {
                (Some(class), _) => Some(class.to_owned()),
                (None, How::Status) => Some(format!("st {}", h(&text.to_uppercase()))),
                (None, How::Outcome) => Some(format!("st {}", h(&text))),
                (None, how) => how.class().map(str::to_owned),
            };
            if let Some(class) = class {
                write!(out, " class=\"{class}\"")?;
            }
            if let Some((i, unknown)) = at.key {
                let key = cells[i].to_text();
                let key = if key.is_empty() { unknown } else { &key };
                write!(out, " data-v=\"{}\"", h(key))?;
            }
            write!(out, ">")?;
            let shown = c.how.html(cell, &text);
            match at.link.map(|i| cells[i].to_text()) {
                Some(anchor) if !anchor.is_empty() => {
                    write!(out, "<a href=\"#{}\">{shown}</a>", h(&anchor))?
                }
                _ => write!(out, "{shown}")?,
            }
            for (p, cell, text) in at.parts(cells) {
                write!(out, "{}", p.join.html(&p.how.html(cell, &text)))?;
            }
            write!(out, "{}</td>", inside(&row, c))?;
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
    let at: Vec<At> = cols.iter().map(At::of::<R>).collect();
    for row in rows {
        let cells = row.cells();
        let cells = cells.as_ref();
        let shown: Vec<String> = cols
            .iter()
            .zip(&at)
            .map(|(c, at)| {
                let text = c.how.show(&cells[at.main]).unwrap_or_default();
                let mut shown = c.how.markdown(&text);
                for (p, _, text) in at.parts(cells) {
                    shown.push_str(&p.join.markdown(&p.how.markdown(&text)));
                }
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

    struct Rich {
        name: &'static str,
        of: Option<u64>,
        cascade: u64,
        anchor: Option<&'static str>,
        pct: f64,
        state: &'static str,
    }

    crate::columns! { Rich as r => RICH_COLUMNS {
        "name" => Cell::text(r.name),
        "of" => Cell::UInt(r.of),
        "cascade" => Cell::count(r.cascade),
        "anchor" => Cell::opt(r.anchor),
        "pct" => Cell::Fixed(Some(r.pct), 1),
        "state" => Cell::text(r.state),
    } }

    const RICH: [Shown; 3] = [
        shown("Name", "name", How::Text)
            .then(Join::Of, "of", How::Bytes)
            .then(Join::BelowAside, "cascade", How::Note("and {} more"))
            .then(Join::Muted, "cascade", How::Flag("(cascade)"))
            .sorted_by("of", "-1")
            .linked_by("anchor"),
        shown("Done", "pct", How::Bar),
        shown("State", "state", How::State),
    ];

    #[test]
    fn parts_notes_keys_and_links_are_shown_only_when_they_have_a_value() {
        let rows = [
            Rich {
                name: "a_b",
                of: Some(1500),
                cascade: 2,
                anchor: Some("s1"),
                pct: 150.0,
                state: "Q_x_PENDING",
            },
            Rich {
                name: "<c>",
                of: None,
                cascade: 0,
                anchor: None,
                pct: 0.0,
                state: "COMPLETED",
            },
        ];
        let mut out = Vec::new();
        html_rows(&mut out, &rows, &RICH).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<tr><td data-v=\"1500\"><a href=\"#s1\">a_b</a> of 1.5 kB<br><span class=\"muted\">and 2 more</span> <span class=\"muted\">(cascade)</span></td>\
             <td class=\"nw\"><span class=\"bar\" title=\"150.0%\"><span style=\"width:100.0%\"></span></span> 150.0%</td><td>Q_x_PENDING</td></tr>\n\
             <tr><td data-v=\"-1\">&lt;c&gt;</td>\
             <td class=\"nw\"><span class=\"bar\" title=\"0.0%\"><span style=\"width:0.0%\"></span></span> 0.0%</td><td>COMPLETED</td></tr>\n"
        );
        let mut out = Vec::new();
        markdown(&mut out, &rows, &RICH).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "| Name | Done | State |\n|---|---|---|\n\
             | a\\_b of 1.5 kB (and 2 more) (cascade) | 150.0% | Q\\_x_PENDING |\n\
             | &lt;c&gt; | 0.0% | COMPLETED |\n"
        );
    }

    #[test]
    fn every_report_table_names_columns_its_rows_have() {
        // A wrong name would only panic when that table is drawn; here
        // every list is checked against its row type.
        fn check<R: Row>(cols: &[Shown]) {
            for c in cols {
                At::of::<R>(c);
            }
        }
        use crate::{accounts, fleet, modules, rows};
        check::<fleet::AccountRun>(&fleet::ACCOUNT_RUNS_SHOWN);
        check::<fleet::DayLine>(&fleet::DAYS_SHOWN);
        check::<fleet::CauseLine>(&fleet::CAUSES_HTML);
        check::<fleet::CauseLine>(&fleet::CAUSES_MARKDOWN);
        check::<fleet::CauseLine>(&fleet::SESSION_CAUSES_MARKDOWN);
        check::<fleet::HostRow>(&fleet::HOSTS_SHOWN);
        check::<fleet::HostRow>(&fleet::HOSTS_FAILED_SHOWN);
        check::<fleet::DiagnosticRow>(&fleet::DIAGNOSTICS_SHOWN);
        check::<accounts::RetryRow>(&accounts::RETRY_SHOWN);
        check::<rows::QueueLine>(&rows::QUEUES_SHOWN);
        check::<rows::QueueLine>(&rows::QUEUES_MARKDOWN);
        check::<rows::SessionLine>(&rows::SESSIONS_SHOWN);
        check::<rows::SessionLine>(&rows::SESSIONS_MARKDOWN);
        check::<rows::ItemLine>(&rows::ITEMS_SHOWN);
        check::<rows::ItemLine>(&rows::COUNTS_SHOWN);
        check::<rows::ItemLine>(&rows::SLOWEST_SHOWN);
        check::<rows::ChildFailureRow>(&rows::CHILD_FAILURES_SHOWN);
        check::<rows::AccountSpan>(&rows::ACCOUNT_SPANS_SHOWN);
        check::<modules::ModuleLine>(&modules::MODULES_FLEET_HTML);
        check::<modules::ModuleLine>(&modules::MODULES_SESSION_HTML);
        check::<modules::ModuleLine>(&modules::MODULES_MARKDOWN);
    }
}
