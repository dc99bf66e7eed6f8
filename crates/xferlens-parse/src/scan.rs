//! The fast path's scanner: finds a line's `type` without decoding it, and
//! checks that the line is plausibly one whole JSON object.
//!
//! It is used only for lines whose type the consumer ignores (see
//! [`crate::ParseOptions::skip_types`]); everything else is decoded by
//! serde_json. The checks are weaker than a full decode (they do not check
//! commas, colons or number syntax), which is why `xferlens check` turns
//! the fast path off.

use std::sync::LazyLock;

use memchr::memmem;

/// What the scan found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Scan<'a> {
    /// A balanced object whose top-level `type` is this escape-free string.
    Type(&'a [u8]),
    /// Not decidable here (no top-level `type`, an escaped or non-string
    /// `type`, or bad structure): decode fully.
    Decode,
}

/// Scans `line` (without its terminator).
///
/// The checks:
/// - the first and last non-blank bytes are `{` and `}`;
/// - `{`/`}` and `[`/`]` counts balance (a cut line fails this);
/// - the token `"type":"` occurs exactly once outside strings (inside a
///   JSON string every quote is escaped, so an occurrence whose quote is
///   not escaped is structural), and its value holds no escape.
///
/// The caller checks UTF-8 (in bulk, where it can).
///
/// A line whose only `type` key sits inside `contents` (old logs) gives the
/// same type as the decoder's fallback. Anything else is left to the
/// decoder.
pub(crate) fn top_level_type(line: &[u8]) -> Scan<'_> {
    static KEY: LazyLock<memmem::Finder<'static>> =
        LazyLock::new(|| memmem::Finder::new(b"\"type\":\""));
    let t = line.trim_ascii();
    if t.first() != Some(&b'{') || t.last() != Some(&b'}') || !balanced(t) {
        return Scan::Decode;
    }
    let key_len = KEY.needle().len();
    let mut found: Option<&[u8]> = None;
    for at in KEY.find_iter(t) {
        if escaped(t, at) {
            continue;
        }
        if found.is_some() {
            return Scan::Decode;
        }
        let vs = at + key_len;
        match memchr::memchr2(b'"', b'\\', &t[vs..]) {
            Some(len) if t[vs + len] == b'"' => found = Some(&t[vs..vs + len]),
            _ => return Scan::Decode,
        }
    }
    match found {
        Some(v) => Scan::Type(v),
        None => Scan::Decode,
    }
}

/// True when `{`/`}` and `[`/`]` occur equally often. Counted in blocks
/// of 64 bytes with byte-wide accumulators, which the compiler vectorises.
fn balanced(t: &[u8]) -> bool {
    let (mut braces, mut brackets) = (0i64, 0i64);
    for chunk in t.chunks(64) {
        let (mut a, mut b) = (0i8, 0i8);
        for &x in chunk {
            a = a
                .wrapping_add((x == b'{') as i8)
                .wrapping_sub((x == b'}') as i8);
            b = b
                .wrapping_add((x == b'[') as i8)
                .wrapping_sub((x == b']') as i8);
        }
        braces += a as i64;
        brackets += b as i64;
    }
    braces == 0 && brackets == 0
}

/// True when the byte at `at` is preceded by an odd number of backslashes.
fn escaped(line: &[u8], at: usize) -> bool {
    line[..at].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1
}

/// The value of a `percentage` control line, read without decoding it:
/// the tokens `"action":"percentage"` and `"percentage":` must each occur
/// exactly once outside strings, and the value must be a JSON number or a
/// numeric string. Anything else returns `None` (decode the line fully).
/// Call only on a line that [`top_level_type`] accepted.
pub(crate) fn percentage(t: &[u8]) -> Option<f64> {
    static ACTION: LazyLock<memmem::Finder<'static>> =
        LazyLock::new(|| memmem::Finder::new(b"\"action\":\"percentage\""));
    static KEY: LazyLock<memmem::Finder<'static>> =
        LazyLock::new(|| memmem::Finder::new(b"\"percentage\":"));
    let once = |f: &memmem::Finder<'_>| {
        let mut it = f.find_iter(t).filter(|&at| !escaped(t, at));
        match (it.next(), it.next()) {
            (Some(at), None) => Some(at),
            _ => None,
        }
    };
    once(&ACTION)?;
    let mut v = &t[once(&KEY)? + KEY.needle().len()..];
    v = v.trim_ascii_start();
    let quoted = v.first() == Some(&b'"');
    if quoted {
        v = &v[1..];
    }
    let len = v
        .iter()
        .take_while(|b| matches!(b, b'0'..=b'9' | b'.' | b'-' | b'+' | b'e' | b'E'))
        .count();
    let (num, rest) = v.split_at(len);
    let rest = if quoted {
        rest.strip_prefix(b"\"")?
    } else {
        rest
    };
    if !matches!(rest.trim_ascii_start().first(), Some(b',' | b'}')) {
        return None;
    }
    std::str::from_utf8(num)
        .ok()?
        .parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_top_level_type_in_any_position() {
        assert_eq!(
            top_level_type(br#"{"pid":1,"type":"out","contents":{"msg":["a"]}}"#),
            Scan::Type(b"out")
        );
        // A quoted key inside a string is escaped, so it does not count.
        assert_eq!(
            top_level_type(br#"{"contents":{"msg":["x\"type\":\"warn"]},"type":"out"}"#),
            Scan::Type(b"out")
        );
        // Old logs: the only `type` is inside `contents`, as the decoder reads it.
        assert_eq!(
            top_level_type(br#"{"pid":1,"contents":{"type":"out"}}"#),
            Scan::Type(b"out")
        );
        assert_eq!(
            top_level_type(br#" {"type":"debug"} "#),
            Scan::Type(b"debug")
        );
        // An escaped backslash before a closing quote: the key is structural.
        assert_eq!(
            top_level_type(br#"{"a":"x\\","type":"out"}"#),
            Scan::Type(b"out")
        );
    }

    #[test]
    fn percentage_values() {
        let p = |l: &[u8]| percentage(l);
        assert_eq!(p(br#"{"pid":1,"type":"control","contents":{"action":"percentage","percentage":42},"indent":0}"#), Some(42.0));
        assert_eq!(
            p(br#"{"contents":{"percentage":"7.5","action":"percentage"},"type":"control"}"#),
            Some(7.5)
        );
        assert_eq!(
            p(br#"{"type":"control","contents":{"action":"percentage","percentage": 3 }}"#),
            Some(3.0)
        );
        // Not decidable here: decoded in full.
        assert_eq!(
            p(br#"{"type":"control","contents":{"action":"percentage","percentage":null}}"#),
            None
        );
        assert_eq!(
            p(br#"{"type":"control","contents":{"action":"percentage","msg":"5"}}"#),
            None
        );
        assert_eq!(
            p(br#"{"type":"control","contents":{"action":"start","percentage":5}}"#),
            None
        );
        assert_eq!(p(br#"{"type":"control","contents":{"action":"percentage","percentage":5,"percentage":6}}"#), None);
        assert_eq!(
            p(br#"{"type":"control","contents":{"action":"percentage","percentage":"5x"}}"#),
            None
        );
        assert_eq!(
            p(br#"{"type":"control","contents":{"action":"percentage","percentage":1e999}}"#),
            None
        );
    }

    #[test]
    fn undecidable_lines_go_to_the_decoder() {
        for l in [
            &br#"{"contents":{"type":"no"},"type":"out"}"#[..],
            br#"{"type":"out","contents":{"msg":["unterminated]}"#,
            br#"{"type":"out","contents":{"msg":["a"]}"#,
            br#"{"type":"out"} trailing"#,
            br#"{"type":"o\u0075t"}"#,
            br#"{"type":"out","type":"warn"}"#,
            br#"{"type":1}"#,
            b"[1,2]",
            b"",
            b"not json",
        ] {
            assert_eq!(
                top_level_type(l),
                Scan::Decode,
                "{}",
                String::from_utf8_lossy(l)
            );
        }
    }
}
