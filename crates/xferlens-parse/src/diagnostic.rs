//! Diagnostics: what the parser (and its consumers) say about lines they
//! could not use, with the exact position of each.
//!
//! Positions have documented bases: `line` counts from 1, `byte_offset`
//! counts from 0 and points at the first byte of the line in the input
//! (for an embedded API-response log, in the embedded text).

use std::fmt;

/// Where a line starts in its input: 1-based line number, 0-based byte offset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// Line number, counting from 1.
    pub line: u64,
    /// Byte offset of the first byte of the line, counting from 0.
    pub byte: u64,
}

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The data was used, but something about it was off (lossy UTF-8, a
    /// cut final line of a log that is still being written).
    Warning,
    /// The line (or input) could not be used at all.
    Error,
}

/// What was wrong with a line or an input.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DiagnosticKind {
    /// The line is not valid JSON.
    #[error("invalid JSON: {message}")]
    InvalidJson {
        /// The JSON decoder's message.
        message: String,
    },
    /// The line is JSON, but not an object.
    #[error("JSON value is not an object")]
    NotAnObject,
    /// The line held invalid UTF-8; it was decoded lossily (U+FFFD) and used.
    #[error("invalid UTF-8 (decoded lossily)")]
    InvalidUtf8,
    /// The input ended in the middle of a line (an active log being written,
    /// or a file cut by a crash). The partial line was not used.
    #[error("partial final line (input ends without newline)")]
    PartialLine,
    /// A line longer than the configured cap; skipped without buffering it.
    #[error("line too long ({len} bytes, cap {cap} bytes); skipped")]
    LineTooLong {
        /// Length of the line in bytes (as far as it was read).
        len: u64,
        /// The cap in force.
        cap: u64,
    },
    /// Reading the input failed part-way (for example a cut gzip stream);
    /// everything before this point was used.
    #[error("input ended early: {message}")]
    ReadError {
        /// The underlying I/O error.
        message: String,
    },
    /// A saved WHM API response that could not be used.
    #[error("WHM API response: {message}")]
    ApiResponse {
        /// What was wrong with it.
        message: String,
    },
    /// A finding of a layer above the parser about a well-formed line or
    /// a file: its code and message are the caller's (the parser raises
    /// none), so that one list holds every diagnostic of an input.
    #[error("{message}")]
    Anomaly {
        /// Short machine-readable code, e.g. `unsafe-logfile`.
        code: &'static str,
        /// Human-readable explanation.
        message: String,
    },
}

impl DiagnosticKind {
    /// Short stable name of the kind, for `file:line: kind: excerpt` output
    /// and machine-readable formats.
    pub fn code(&self) -> &'static str {
        match self {
            DiagnosticKind::InvalidJson { .. } => "invalid-json",
            DiagnosticKind::NotAnObject => "not-an-object",
            DiagnosticKind::InvalidUtf8 => "invalid-utf8",
            DiagnosticKind::PartialLine => "partial-line",
            DiagnosticKind::LineTooLong { .. } => "line-too-long",
            DiagnosticKind::ReadError { .. } => "read-error",
            DiagnosticKind::ApiResponse { .. } => "api-response",
            DiagnosticKind::Anomaly { code, .. } => code,
        }
    }

    /// How serious this kind is.
    pub fn severity(&self) -> Severity {
        match self {
            DiagnosticKind::InvalidUtf8 | DiagnosticKind::PartialLine => Severity::Warning,
            DiagnosticKind::Anomaly { .. } => Severity::Warning,
            _ => Severity::Error,
        }
    }

    /// True when the line this diagnostic names was not turned into an event.
    pub fn line_skipped(&self) -> bool {
        !matches!(
            self,
            DiagnosticKind::InvalidUtf8 | DiagnosticKind::Anomaly { .. }
        )
    }
}

/// One problem found in one line (or input), with its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Name of the input (file name, `file.tar.gz:member`, `<stdin>`).
    pub source: String,
    /// Line number, from 1 (0 when the problem is not tied to a line).
    pub line: u64,
    /// Byte offset of the start of the line, from 0.
    pub byte_offset: u64,
    /// What was wrong.
    pub kind: DiagnosticKind,
    /// The start of the offending line, lossily decoded (at most
    /// [`EXCERPT_MAX`] bytes). Untrusted: renderers must escape it.
    pub excerpt: String,
}

/// Longest excerpt kept in a [`Diagnostic`], in bytes.
pub const EXCERPT_MAX: usize = 120;

impl Diagnostic {
    /// Builds a diagnostic, cutting `line` down to an excerpt.
    pub fn new(source: &str, pos: Position, kind: DiagnosticKind, line: &[u8]) -> Diagnostic {
        Diagnostic {
            source: source.to_string(),
            line: pos.line,
            byte_offset: pos.byte,
            kind,
            excerpt: excerpt(line),
        }
    }

    /// A diagnostic about a whole input (line 0, no excerpt): a file that
    /// cannot be read, is missing, or went over a budget.
    pub fn about_file(source: &str, kind: DiagnosticKind) -> Diagnostic {
        Diagnostic::new(source, Position::default(), kind, b"")
    }

    /// The position this diagnostic names.
    pub fn position(&self) -> Position {
        Position {
            line: self.line,
            byte: self.byte_offset,
        }
    }

    /// Severity of the diagnostic (from its kind).
    pub fn severity(&self) -> Severity {
        self.kind.severity()
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.source,
            self.line,
            self.kind.code(),
            self.kind
        )?;
        if !self.excerpt.is_empty() {
            write!(f, ": {}", self.excerpt)?;
        }
        Ok(())
    }
}

/// Cuts a line to at most [`EXCERPT_MAX`] bytes (on a char boundary),
/// decoding lossily.
pub fn excerpt(line: &[u8]) -> String {
    let cut = &line[..line.len().min(EXCERPT_MAX + 4)];
    let mut s = String::from_utf8_lossy(cut).into_owned();
    if s.len() > EXCERPT_MAX {
        let mut end = EXCERPT_MAX;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    } else if line.len() > cut.len() {
        s.push('…');
    }
    s
}

impl serde::Serialize for Diagnostic {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Diagnostic", 7)?;
        st.serialize_field("source", &self.source)?;
        st.serialize_field("line", &self.line)?;
        st.serialize_field("byte_offset", &self.byte_offset)?;
        st.serialize_field("kind", self.kind.code())?;
        st.serialize_field("severity", self.severity().as_str())?;
        st.serialize_field("message", &self.kind.to_string())?;
        st.serialize_field("excerpt", &self.excerpt)?;
        st.end()
    }
}

impl Severity {
    /// `warning` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_cuts_on_char_boundary() {
        let line = "é".repeat(100);
        let e = excerpt(line.as_bytes());
        assert!(e.ends_with('…'));
        assert!(e.len() <= EXCERPT_MAX + '…'.len_utf8());
    }

    #[test]
    fn display_names_file_line_and_kind() {
        let d = Diagnostic::new(
            "master.log",
            Position {
                line: 17,
                byte: 2048,
            },
            DiagnosticKind::NotAnObject,
            b"[1,2]",
        );
        assert_eq!(
            d.to_string(),
            "master.log:17: not-an-object: JSON value is not an object: [1,2]"
        );
    }
}
