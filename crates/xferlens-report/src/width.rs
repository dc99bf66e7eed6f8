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

/// `s` cut to at most `w` columns in its middle (`…` there), keeping
/// both ends: session ids of one server share their start and differ at
/// the end (`sourcecopy20251128…Xa`).
pub fn cut_middle(s: &str, w: usize) -> String {
    if of(s) <= w || w < 5 {
        return cut(s, w);
    }
    let room = w - 1;
    let (head_w, tail_w) = (room - room / 2, room / 2);
    let head = cut(s, head_w + 1);
    let head = head.trim_end_matches('…');
    let mut tail: Vec<char> = Vec::new();
    let mut used = 0;
    for c in s.chars().rev() {
        let cw = c.width().unwrap_or(0);
        if used + cw > tail_w {
            break;
        }
        used += cw;
        tail.push(c);
    }
    let tail: String = tail.into_iter().rev().collect();
    format!("{head}…{tail}")
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
        assert_eq!(
            cut_middle("sourcecopyfailures00000007Xa", 12),
            "source…007Xa"
        );
        assert_eq!(of(&cut_middle("sourcecopyfailures00000007Xa", 12)), 12);
        assert_eq!(cut_middle("short", 12), "short");
    }
}
