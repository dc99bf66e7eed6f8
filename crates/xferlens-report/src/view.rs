//! The view layer: every table's columns, defined once, as typed cells.
//!
//! A row type (an item, an account, a session) lists its columns with
//! [`columns!`](crate::columns!): one line per column, its name and how to read its cell.
//! CSV, JSON lines, Markdown and the terminal tables all render those
//! cells, so adding a column is one line and every format shows it. Each
//! format decides how a cell looks: an unknown value is empty in CSV and
//! tables and `null` in JSON; text from logs is guarded, escaped or
//! neutralised by the renderer (see [`crate::escape`]); numbers never are.

use std::borrow::Cow;

use serde::ser::{Serialize, SerializeMap, Serializer};

/// One cell of a row, typed so that each format renders it its own way.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell<'a> {
    /// Text; `None` when unknown (empty in CSV, `null` in JSON).
    Text(Option<Cow<'a, str>>),
    /// A whole number; `None` when unknown.
    UInt(Option<u64>),
    /// A signed whole number (durations); `None` when unknown.
    Int(Option<i64>),
    /// A number shown with this many decimals (JSON gets the rounded
    /// value); `None` when unknown.
    Fixed(Option<f64>, usize),
}

impl<'a> Cell<'a> {
    /// A text cell from a borrowed string.
    pub fn text(s: &'a str) -> Cell<'a> {
        Cell::Text(Some(Cow::Borrowed(s)))
    }

    /// A text cell that may be unknown.
    pub fn opt(s: Option<&'a str>) -> Cell<'a> {
        Cell::Text(s.map(Cow::Borrowed))
    }

    /// A count that is always known.
    pub fn count(n: u64) -> Cell<'a> {
        Cell::UInt(Some(n))
    }

    /// Whether the cell holds text (guarded or escaped by renderers), not
    /// a number.
    pub fn is_text(&self) -> bool {
        matches!(self, Cell::Text(_))
    }

    /// The cell's value as a number, if it holds one (a fixed-point
    /// cell gives its exact value, not the rounded one it shows).
    pub fn number(&self) -> Option<f64> {
        match self {
            Cell::Text(t) => t.as_deref()?.parse().ok(),
            Cell::UInt(n) => n.map(|n| n as f64),
            Cell::Int(n) => n.map(|n| n as f64),
            Cell::Fixed(x, _) => *x,
        }
    }

    /// The cell as plain text: what CSV and tables show (empty when
    /// unknown), before any escaping.
    pub fn to_text(&self) -> Cow<'a, str> {
        match self {
            Cell::Text(t) => t.clone().unwrap_or_default(),
            Cell::UInt(n) => n.map(|n| n.to_string()).unwrap_or_default().into(),
            Cell::Int(n) => n.map(|n| n.to_string()).unwrap_or_default().into(),
            // `+ 0.0` turns a negative zero into zero.
            Cell::Fixed(x, d) => x
                .map(|x| format!("{:.*}", *d, x + 0.0))
                .unwrap_or_default()
                .into(),
        }
    }
}

impl Serialize for Cell<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Cell::Text(t) => t.serialize(s),
            Cell::UInt(n) => n.serialize(s),
            Cell::Int(n) => n.serialize(s),
            Cell::Fixed(x, d) => {
                let p = 10f64.powi(*d as i32);
                x.map(|x| (x * p).round() / p + 0.0).serialize(s)
            }
        }
    }
}

/// A row type with named, typed columns (see [`columns!`](crate::columns!)).
pub trait Row {
    /// Column names, in order.
    const COLUMNS: &'static [&'static str];
    /// The cells of one row: an array, so rendering a row allocates nothing.
    type Cells<'r>: AsRef<[Cell<'r>]>
    where
        Self: 'r;
    /// The row's cells, in [`Row::COLUMNS`] order.
    fn cells(&self) -> Self::Cells<'_>;
}

/// A borrowed row is a row: tables can be drawn from a slice.
impl<T: Row> Row for &T {
    const COLUMNS: &'static [&'static str] = T::COLUMNS;
    type Cells<'r>
        = T::Cells<'r>
    where
        Self: 'r;
    fn cells(&self) -> Self::Cells<'_> {
        (**self).cells()
    }
}

/// Where column `name` sits among `R`'s columns. Panics on a name the row
/// does not have: a programming error, caught by the tests of every table.
pub fn position<R: Row>(name: &str) -> usize {
    R::COLUMNS
        .iter()
        .position(|c| *c == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

/// A row as a JSON object: its column names and cells, in order.
pub struct Json<'r, R>(pub &'r R);

impl<R: Row> Serialize for Json<'_, R> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let cells = self.0.cells();
        let cells = cells.as_ref();
        let mut m = s.serialize_map(Some(cells.len()))?;
        for (name, cell) in R::COLUMNS.iter().zip(cells) {
            m.serialize_entry(name, cell)?;
        }
        m.end()
    }
}

/// `a` then `b`, as one array of `N` names: the columns of a row that
/// extends another (see [`columns!`](crate::columns!)).
pub const fn joined<const N: usize>(a: &[&'static str], b: &[&'static str]) -> [&'static str; N] {
    assert!(a.len() + b.len() == N, "N is the sum of both lengths");
    let mut out = [""; N];
    let mut i = 0;
    while i < a.len() {
        out[i] = a[i];
        i += 1;
    }
    let mut j = 0;
    while j < b.len() {
        out[i + j] = b[j];
        j += 1;
    }
    out
}

/// Declares a row type's columns, one line each:
///
/// ```ignore
/// columns! { ItemRow<'a> as r => ITEM_COLUMNS {
///     "session_id" => Cell::text(r.session_id),
///     "size_bytes" => Cell::UInt(r.size_bytes),
/// } }
/// ```
///
/// This implements [`Row`] for the type and defines the public constant
/// of its column names.
///
/// A row that shows another row with more columns (a report's line, with
/// what only that report needs) names the other row's type and the field
/// that holds it; its columns come first, unchanged:
///
/// ```ignore
/// columns! { CauseLine<'a> as r => CAUSE_LINE_COLUMNS: CauseStat = r.c; {
///     "cascade_items" => Cell::UInt(r.cascade.map(|c| c.items)),
/// } }
/// ```
#[macro_export]
macro_rules! columns {
    ($ty:ident $(<$lt:lifetime>)? as $r:ident => $names:ident : $base:ty = $field:expr; { $($name:literal => $cell:expr),+ $(,)? }) => {
        /// Column names of this table, in order: the columns of the row it
        /// extends, then its own.
        pub const $names: &[&str] = &$crate::view::joined::<
            { <$base as $crate::view::Row>::COLUMNS.len() + [$($name),+].len() },
        >(<$base as $crate::view::Row>::COLUMNS, &[$($name),+]);

        impl$(<$lt>)? $crate::view::Row for $ty$(<$lt>)? {
            const COLUMNS: &'static [&'static str] = $names;
            type Cells<'r> = [$crate::view::Cell<'r>; $names.len()] where Self: 'r;
            fn cells(&self) -> Self::Cells<'_> {
                let $r = self;
                let base = $crate::view::Row::cells(&$field);
                let mut all = base.as_ref().iter().cloned().chain([$($cell),+]);
                ::std::array::from_fn(|_| all.next().expect("one cell per column"))
            }
        }
    };
    ($ty:ident $(<$lt:lifetime>)? as $r:ident => $names:ident { $($name:literal => $cell:expr),+ $(,)? }) => {
        /// Column names of this table, in order.
        pub const $names: &[&str] = &[$($name),+];

        impl$(<$lt>)? $crate::view::Row for $ty$(<$lt>)? {
            const COLUMNS: &'static [&'static str] = $names;
            type Cells<'r> = [$crate::view::Cell<'r>; $names.len()] where Self: 'r;
            fn cells(&self) -> Self::Cells<'_> {
                let $r = self;
                [$($cell),+]
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Demo {
        name: String,
        size: Option<u64>,
        pct: f64,
    }

    columns! { Demo as r => DEMO_COLUMNS {
        "name" => Cell::text(&r.name),
        "size" => Cell::UInt(r.size),
        "pct" => Cell::Fixed(Some(r.pct), 1),
    } }

    #[test]
    fn one_line_per_column_gives_every_format_the_same_fields() {
        let d = Demo {
            name: "=cmd".into(),
            size: None,
            pct: 12.345,
        };
        assert_eq!(DEMO_COLUMNS, ["name", "size", "pct"]);
        assert_eq!(position::<Demo>("pct"), 2);
        let texts: Vec<String> = d.cells().iter().map(|c| c.to_text().into_owned()).collect();
        // Every format reads the same cells.
        assert_eq!(texts, ["=cmd", "", "12.3"]);
        assert_eq!(
            serde_json::to_string(&Json(&d)).unwrap(),
            r#"{"name":"=cmd","size":null,"pct":12.3}"#
        );
        assert!(d.cells()[0].is_text() && !d.cells()[1].is_text());
        assert_eq!(Cell::Fixed(Some(-0.0), 1).to_text(), "0.0");
        assert_eq!(Cell::Fixed(None, 1).to_text(), "");
        assert_eq!(
            serde_json::to_string(&Cell::Fixed(None, 1)).unwrap(),
            "null"
        );
    }

    struct Wider<'a> {
        d: &'a Demo,
        extra: u64,
    }

    columns! { Wider<'a> as r => WIDER_COLUMNS: Demo = r.d; {
        "extra" => Cell::count(r.extra),
    } }

    #[test]
    fn a_row_that_extends_another_keeps_its_columns_first() {
        let d = Demo {
            name: "x".into(),
            size: Some(3),
            pct: 1.0,
        };
        let w = Wider { d: &d, extra: 9 };
        assert_eq!(WIDER_COLUMNS, ["name", "size", "pct", "extra"]);
        let texts: Vec<String> = w.cells().iter().map(|c| c.to_text().into_owned()).collect();
        assert_eq!(texts, ["x", "3", "1.0", "9"]);
    }

    #[test]
    #[should_panic(expected = "no column nope")]
    fn an_unknown_column_name_is_a_bug() {
        position::<Demo>("nope");
    }
}
