//! Minimal ANSI styling, applied only when colour is on.

/// Text styles used by the terminal renderer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Success.
    Green,
    /// Failure.
    Red,
    /// Warning or in progress.
    Yellow,
    /// Headings.
    Bold,
    /// Secondary text.
    Dim,
    /// A restore module's heading in a log.
    Blue,
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Style::Green => "32",
            Style::Red => "31",
            Style::Yellow => "33",
            Style::Bold => "1",
            Style::Dim => "2",
            Style::Blue => "1;34",
        }
    }

    /// `text` wrapped in this style when `on`. `text` must already be safe.
    pub fn paint(self, on: bool, text: &str) -> String {
        if on {
            format!("\u{1b}[{}m{text}\u{1b}[0m", self.code())
        } else {
            text.to_owned()
        }
    }
}
