//! The CLI's side of the input layer (`xferlens_replay::source`, which
//! finds and reads sessions): the library's typed input errors become the
//! CLI's error lines, with names from the input escaped for the terminal.

use anyhow::{anyhow, Result};
use xferlens_replay::{InputError, ReadOptions, Session};
use xferlens_report::escape::terminal as t;

pub use xferlens_replay::{damage, damage_in, Source, DEFAULT_ROOT};

/// An input error as every command reports it.
fn error(e: InputError) -> anyhow::Error {
    match e {
        // Escaped piece by piece: a name that ends in half an escape
        // sequence must not swallow the words after it.
        InputError::NotALog { display, reason } => anyhow!(
            "{}: not a transfer session log: {}",
            t(&display),
            t(&reason)
        ),
        e => anyhow::Error::new(e),
    }
}

/// Turns user paths into sources (see `xferlens_replay::discover`).
pub fn discover(paths: &[std::path::PathBuf]) -> (Vec<Source>, Vec<anyhow::Error>) {
    let (sources, errors) = xferlens_replay::discover(paths);
    (sources, errors.into_iter().map(error).collect())
}

/// Loads every session of one source, handing each to `emit` as soon as
/// it is read (see `xferlens_replay::load_each`).
pub fn load_each(
    src: &Source,
    session_id: Option<&str>,
    opts: &ReadOptions,
    emit: &mut dyn FnMut(Result<Session>),
) {
    xferlens_replay::load_each(src, session_id, opts, &mut |r| emit(r.map_err(error)));
}

/// Loads every session of one source (see [`load_each`]).
pub fn load(src: &Source, session_id: Option<&str>, opts: &ReadOptions) -> Vec<Result<Session>> {
    let mut out = Vec::new();
    load_each(src, session_id, opts, &mut |r| out.push(r));
    out
}
