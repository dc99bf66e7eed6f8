//! How wide text is on a terminal: East Asian wide characters and most
//! emoji take two columns, combining marks none (the `unicode-width`
//! crate's tables), so columns line up whatever the account names are.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// The columns `s` takes on a terminal.
pub fn of(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// `s` cut to at most `w` columns, ending in `…` when cut.
pub fn cut(s: &str, w: usize) -> String {
    if of(s) <= w {
        return s.to_owned();
    }
    let room = w.saturating_sub(1);
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if used + cw > room {
            break;
        }
        used += cw;
        out.push(c);
    }
    if w > 0 {
        out.push('…');
    }
    out
}

/// `s` padded with spaces to `w` columns.
pub fn pad(s: &str, w: usize) -> String {
    let mut out = s.to_owned();
    out.extend(std::iter::repeat_n(' ', w.saturating_sub(of(s))));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_characters_take_two_columns() {
        assert_eq!(of("bob"), 3);
        assert_eq!(of("日本"), 4);
        assert_eq!(of("😀"), 2);
        assert_eq!(of("e\u{301}"), 1);
        assert_eq!(cut("日本語の名前", 7), "日本語…");
        assert_eq!(of(&cut("日本語の名前", 7)), 7);
        assert_eq!(cut("short", 10), "short");
        assert_eq!(pad("日本", 6), "日本  ");
    }
}
