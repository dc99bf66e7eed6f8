//! The consumer side of the parser: a push interface, in the style of
//! ripgrep's `Sink`. The parser calls [`EventSink::event`] once per usable
//! line and [`EventSink::diagnostic`] once per problem; the borrowed
//! [`Event`] lives only for that call, so a consumer copies what it keeps
//! or takes the parts the decoder owns (`Option::take`: the parser does
//! not read the event again).

use std::ops::ControlFlow;

use crate::diagnostic::{Diagnostic, Position};
use crate::event::Event;

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
}

impl<S: EventSink + ?Sized> EventSink for &mut S {
    fn event(&mut self, pos: Position, event: &mut Event<'_>) -> ControlFlow<()> {
        (**self).event(pos, event)
    }
    fn diagnostic(&mut self, diagnostic: Diagnostic) -> ControlFlow<()> {
        (**self).diagnostic(diagnostic)
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
    }

    impl EventSink for Count {
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
