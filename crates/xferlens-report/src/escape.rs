//! Neutralising untrusted text (log content comes from remote servers)
//! for each place it is written to.

/// `s` as printable ASCII, every other character visible as an escape
/// (`\\`, `\n`, `\r`, `\t`, `\0`, `\x1b`, `\u202e`, `\U0001f600`), cut
/// after `max` characters of output with the input's length in bytes.
/// For text written where nothing may act on it: a shell script's
/// comments (`retry --format whmapi1`), which an admin also reads with
/// `cat`.
pub fn visible_ascii(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max) + 2);
    for c in s.chars() {
        if out.len() >= max {
            out.push_str(&format!("...({} bytes)", s.len()));
            break;
        }
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            ' '..='~' => out.push(c),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) <= 0xffff => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out
}

/// Makes text safe for a terminal: removes ANSI/VT escape sequences (CSI,
/// OSC, DCS and the like) and every other control character, turns
/// newlines, tabs and carriage returns into spaces, replaces Unicode
/// bidirectional overrides (which can reorder what a reader sees), and
/// shows invisible characters (zero-width spaces and joiners, the byte
/// order mark, tag characters, line and paragraph separators) as `<U+200B>`,
/// so `b<U+200B>ob` never looks like `bob`.
pub fn terminal(s: &str) -> String {
    if s.chars()
        .all(|c| !c.is_control() && !is_bidi(c) && !is_invisible(c))
    {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\u{1b}' => skip_escape(&mut it),
            '\u{9b}' => skip_csi(&mut it),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut it),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c if is_bidi(c) => out.push('\u{fffd}'),
            c if is_invisible(c) => out.push_str(&format!("<U+{:04X}>", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Characters that print as nothing (or as a line break a terminal does
/// not show as one), which can make two names look the same.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200d}' | '\u{2060}'..='\u{2064}' | '\u{feff}' | '\u{2028}' | '\u{2029}' | '\u{180e}' | '\u{e0000}'..='\u{e007f}')
}

fn is_bidi(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

fn skip_escape(it: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match it.next() {
        Some('[') => skip_csi(it),
        Some(']') | Some('P') | Some('X') | Some('^') | Some('_') => skip_string(it),
        Some(c) if ('\u{20}'..='\u{2f}').contains(&c) => {
            // nF sequence: intermediates then one final byte.
            while let Some(&n) = it.peek() {
                it.next();
                if !('\u{20}'..='\u{2f}').contains(&n) {
                    break;
                }
            }
        }
        _ => {}
    }
}

fn skip_csi(it: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in it.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            break;
        }
    }
}

/// Skips an OSC/DCS-style string up to BEL or ST (`ESC \`).
fn skip_string(it: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = it.next() {
        if c == '\u{7}' || c == '\u{9c}' {
            break;
        }
        if c == '\u{1b}' && it.peek() == Some(&'\\') {
            it.next();
            break;
        }
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for a Markdown table cell or inline position: characters
/// with inline Markdown meaning are backslash-escaped, HTML is
/// entity-encoded, line breaks become spaces, control characters and
/// escape sequences are dropped. (Block markers such as `#` or `-` only act
/// at the start of a line, where renderers never put log text.)
pub fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in terminal(s).chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Untrusted text as a Markdown code span (for ids and names): terminal
/// controls and line breaks removed, backticks turned into `'` so the span
/// cannot close early, and `|` escaped so it cannot end a table cell
/// (GitHub reads `\|` inside a code span in a table as `|`). Inside a
/// code span, HTML and link syntax are shown as text.
pub fn markdown_code(s: &str) -> String {
    let clean = terminal(s).replace('`', "'").replace('|', "\\|");
    format!("`{clean}`")
}

/// Guards a CSV cell against spreadsheet formula injection: a cell that
/// starts with `=`, `+`, `-`, `@`, tab or carriage return gets a leading
/// `'`. (Numbers the renderer writes itself are not passed through this.)
pub fn csv_cell(s: &str) -> std::borrow::Cow<'_, str> {
    if is_plain_number(s) {
        return s.into(); // `-5` or `-0.0` is a number to a spreadsheet, not a formula
    }
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{s}").into(),
        _ => s.into(),
    }
}

/// True for `-?digits(.digits)?`: a cell every spreadsheet reads as a
/// number.
fn is_plain_number(s: &str) -> bool {
    let body = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = body.split_once('.').unwrap_or((body, "0"));
    !int.is_empty()
        && !frac.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_characters_are_shown_on_a_terminal() {
        assert_eq!(terminal("b\u{200b}ob"), "b<U+200B>ob");
        assert_eq!(
            terminal("\u{feff}x\u{2028}y\u{e0041}"),
            "<U+FEFF>x<U+2028>y<U+E0041>"
        );
        assert_eq!(terminal("plain “text” é"), "plain “text” é");
    }

    #[test]
    fn visible_ascii_leaves_nothing_raw() {
        assert_eq!(visible_ascii("bob", 10), "bob");
        assert_eq!(
            visible_ascii(
                "a\nb\r\t\0\u{1b}[31m\u{7}\u{85}\u{202e}\u{200b}\\\u{1f600}é",
                200
            ),
            r"a\nb\r\t\0\x1b[31m\x07\u0085\u202e\u200b\\\U0001f600\u00e9"
        );
        assert_eq!(visible_ascii(&"x".repeat(600), 8), "xxxxxxxx...(600 bytes)");
        let all: String = (0..0x11_0000u32).filter_map(char::from_u32).collect();
        assert!(visible_ascii(&all, usize::MAX)
            .bytes()
            .all(|b| (0x20..0x7f).contains(&b)));
    }

    #[test]
    fn terminal_strips_escapes_and_controls() {
        assert_eq!(terminal("a\u{1b}[31mred\u{1b}[0m b"), "ared b");
        assert_eq!(terminal("x\u{1b}]0;pwned title\u{7}y"), "xy");
        assert_eq!(
            terminal("x\u{1b}]8;;http://e.vil\u{1b}\\link\u{1b}]8;;\u{1b}\\y"),
            "xlinky"
        );
        assert_eq!(terminal("over\rwrite\nnext\ttab"), "over write next tab");
        assert_eq!(terminal("bell\u{7}\u{0}nul\u{7f}"), "bellnul");
        assert_eq!(terminal("csi\u{9b}2Jclear"), "csiclear");
        assert_eq!(terminal("bidi\u{202e}txt"), "bidi\u{fffd}txt");
        assert_eq!(terminal("plain “quotes”"), "plain “quotes”");
    }

    #[test]
    fn html_escapes_markup() {
        assert_eq!(
            html("<script>alert('x')</script>"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
        );
        assert_eq!(
            html("\"><img onerror=x>"),
            "&quot;&gt;&lt;img onerror=x&gt;"
        );
    }

    #[test]
    fn markdown_cannot_break_tables() {
        let m = markdown("a|b\nc`d` <b>*x*</b> [l](http://x)");
        assert!(!m.contains('\n'));
        assert!(!m.contains("<b>"));
        assert_eq!(m.matches('|').count(), m.matches("\\|").count());
        assert!(m.contains("\\`d\\`"));
    }

    #[test]
    fn markdown_code_span_is_closed_and_one_line() {
        let c = markdown_code("a`b|c\n<img src=x onerror=alert(1)>");
        assert_eq!(c, "`a'b\\|c <img src=x onerror=alert(1)>`");
        assert_eq!(c.matches('`').count(), 2);
    }

    #[test]
    fn csv_formula_guard() {
        for bad in [
            "=HYPERLINK(\"http://x\")",
            "+cmd",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            assert!(csv_cell(bad).starts_with('\''), "{bad}");
        }
        assert_eq!(csv_cell("bob"), "bob");
        for number in ["-0", "-5", "-0.0", "12.5"] {
            assert_eq!(csv_cell(number), number);
        }
        for bad in ["-", "-.5", "-1e3", "-1+2", "-1.", "--1"] {
            assert!(csv_cell(bad).starts_with('\''), "{bad}");
        }
    }
}
