//! The consumer side of the parser: a push interface, in the style of
//! ripgrep's `Sink`. The parser calls [`EventSink::event`] once per usable
//! line and [`EventSink::diagnostic`] once per problem; the borrowed
//! [`Event`] lives only for that call, so a consumer copies what it keeps
//! or takes the parts the decoder owns (`Option::take`: the parser does
//! not read the event again).

use std::ops::ControlFlow;

use crate::diagnostic::{Diagnostic, Position};
use crate::event::Event;
use crate::scan::ProgressLine;

/// Receives events and diagnostics from the parser.
///
/// Returning `ControlFlow::Break(())` stops parsing early (the parser then
/// returns its summary as usual).
pub trait EventSink {
    /// Called for every decoded line.
    fn event(&mut self, pos: Position, event: &mut Event<'_>) -> ControlFlow<()>;

    /// Called for every line or input problem. The default ignores it.
    fn diagnostic(&mut self, diagnostic: Diagnostic) -> ControlFlow<()> {
        let _ = diagnostic;
        ControlFlow::Continue(())
    }

    /// True when this sink takes item-log progress lines in the scanner's
    /// form ([`EventSink::progress`]) instead of decoded: far cheaper, but
    /// only the fields of [`crate::Progress`] are read. Asked once per
    /// input. The default is false: every line is an [`Event`].
    fn takes_progress(&self) -> bool {
        false
    }

    /// Called, for a sink that [takes progress](EventSink::takes_progress),
    /// for each progress line the scanner could read, instead of
    /// [`EventSink::event`]; a line it cannot read is decoded and comes as
    /// an event. The default ignores it.
    fn progress(&mut self, pos: Position, line: &ProgressLine<'_>) -> ControlFlow<()> {
        let _ = (pos, line);
        ControlFlow::Continue(())
    }

    /// True when this sink wants to see each line's text before it is
    /// decoded ([`EventSink::line`]), to choose which lines to decode (a
    /// log viewer's search, say). Asked once per input; the default is
    /// false.
    fn takes_lines(&self) -> bool {
        false
    }

    /// Called, for a sink that [takes lines](EventSink::takes_lines), with
    /// the text of each non-blank line (decoded lossily if it is not
    /// UTF-8, without its line end) before it is decoded. Returning false
    /// leaves the line undecoded: it is counted in
    /// [`crate::ParseSummary::filtered`], and no event or diagnostic is
    /// delivered for it. The default decodes every line.
    fn line(&mut self, pos: Position, text: &str) -> bool {
        let _ = (pos, text);
        true
    }
}

impl<S: EventSink + ?Sized> EventSink for &mut S {
    fn event(&mut self, pos: Position, event: &mut Event<'_>) -> ControlFlow<()> {
        (**self).event(pos, event)
    }
    fn diagnostic(&mut self, diagnostic: Diagnostic) -> ControlFlow<()> {
        (**self).diagnostic(diagnostic)
    }
    fn takes_progress(&self) -> bool {
        (**self).takes_progress()
    }
    fn progress(&mut self, pos: Position, line: &ProgressLine<'_>) -> ControlFlow<()> {
        (**self).progress(pos, line)
    }
    fn takes_lines(&self) -> bool {
        (**self).takes_lines()
    }
    fn line(&mut self, pos: Position, text: &str) -> bool {
        (**self).line(pos, text)
    }
}

/// Adapters that turn closures into sinks.
pub mod sinks {
    use super::*;

    /// A sink from a closure over events; diagnostics are collected.
    pub struct Events<F> {
        /// The closure called per event.
        pub f: F,
        /// Diagnostics seen so far.
        pub diagnostics: Vec<Diagnostic>,
    }

    impl<F: FnMut(Position, &Event<'_>)> Events<F> {
        /// Wraps `f`.
        pub fn new(f: F) -> Events<F> {
            Events {
                f,
                diagnostics: Vec::new(),
            }
        }
    }

    impl<F: FnMut(Position, &Event<'_>)> EventSink for Events<F> {
        fn event(&mut self, pos: Position, event: &mut Event<'_>) -> ControlFlow<()> {
            (self.f)(pos, &*event);
            ControlFlow::Continue(())
        }
        fn diagnostic(&mut self, d: Diagnostic) -> ControlFlow<()> {
            self.diagnostics.push(d);
            ControlFlow::Continue(())
        }
    }

    /// A sink that only counts, for benchmarks and `check`.
    #[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
    pub struct Count {
        /// Events seen.
        pub events: u64,
        /// Diagnostics seen.
        pub diagnostics: u64,
        /// Take progress lines in the scanner's form (as item-log replay
        /// does), counted in `progress`.
        pub take_progress: bool,
        /// Progress lines seen.
        pub progress: u64,
    }

    impl Count {
        /// A counter that takes progress lines as item-log replay does.
        pub fn taking_progress() -> Count {
            Count {
                take_progress: true,
                ..Count::default()
            }
        }
    }

    impl EventSink for Count {
        fn takes_progress(&self) -> bool {
            self.take_progress
        }
        fn progress(&mut self, _: Position, _: &ProgressLine<'_>) -> ControlFlow<()> {
            self.progress += 1;
            ControlFlow::Continue(())
        }
        fn event(&mut self, _: Position, _: &mut Event<'_>) -> ControlFlow<()> {
            self.events += 1;
            ControlFlow::Continue(())
        }
        fn diagnostic(&mut self, _: Diagnostic) -> ControlFlow<()> {
            self.diagnostics += 1;
            ControlFlow::Continue(())
        }
    }
}
