//! JSON output: the full report (view structs of `schema.rs`, described in
//! `docs/SCHEMA.md`), progress objects, and item rows.

use std::io::{self, Write};

use serde::Serialize;
use xferlens_replay::{whm_state, Session};

use crate::rows::{AccountRow, ItemRow};
use crate::schema::ReportJson;
use crate::view::Json;

pub use crate::schema::REPORT_SCHEMA;

/// Writes the full report of `sessions` as pretty JSON (its shape:
/// [`crate::schema`]).
pub fn report<W: Write>(sessions: &[Session], mut out: W) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut out, &ReportJson::new(sessions))?;
    out.write_all(b"\n")
}

pub use crate::rows::QueueProgress;

/// Progress of one session, as `progress --format json` writes it.
#[derive(Serialize)]
pub struct SessionProgress<'a> {
    /// Session id.
    pub session_id: &'a str,
    /// Session state.
    pub state: &'static str,
    /// WHM `get_transfer_session_state`-style state.
    pub whm_state: String,
    /// Overall percent.
    pub percent: f64,
    /// Queues.
    pub queues: Vec<QueueProgress<'a>>,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The progress view of a session.
pub fn progress_of(s: &Session) -> SessionProgress<'_> {
    SessionProgress {
        session_id: &s.id,
        state: s.state.as_str(),
        whm_state: whm_state(s),
        percent: round1(s.percent()),
        queues: s.queues.iter().map(QueueProgress).collect(),
    }
}

/// Writes one progress object per session, one per line.
pub fn progress<W: Write>(sessions: &[Session], mut out: W) -> io::Result<()> {
    for s in sessions {
        serde_json::to_writer(&mut out, &progress_of(s))?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// Writes the progress objects of the sessions as one JSON array.
pub fn progress_array<W: Write>(sessions: &[Session], mut out: W) -> io::Result<()> {
    let all: Vec<SessionProgress<'_>> = sessions.iter().map(progress_of).collect();
    serde_json::to_writer(&mut out, &all)?;
    out.write_all(b"\n")
}

/// Writes item rows as one JSON array (`lines == false`) or one object per
/// line.
pub fn items<W: Write>(
    sessions: &[Session],
    accounts: bool,
    lines: bool,
    mut out: W,
) -> io::Result<()> {
    let mut first = true;
    if !lines {
        out.write_all(b"[")?;
    }
    let mut put = |out: &mut W, v: &dyn erased::Ser| -> io::Result<()> {
        if lines {
            v.write(out)?;
            out.write_all(b"\n")
        } else {
            if !first {
                out.write_all(b",")?;
            }
            first = false;
            out.write_all(b"\n  ")?;
            v.write(out)
        }
    };
    for s in sessions {
        if accounts {
            for a in s.accounts() {
                put(&mut out, &Json(&AccountRow::new(s, &a)))?;
            }
        } else {
            for it in s.items_by_queue() {
                put(&mut out, &Json(&ItemRow::new(s, it)))?;
            }
        }
    }
    if !lines {
        out.write_all(b"\n]\n")?;
    }
    Ok(())
}

mod erased {
    use std::io::{self, Write};

    /// Object-safe "serialise yourself to this writer".
    pub trait Ser {
        fn write(&self, out: &mut dyn Write) -> io::Result<()>;
    }

    impl<T: serde::Serialize> Ser for T {
        fn write(&self, out: &mut dyn Write) -> io::Result<()> {
            serde_json::to_writer(out, self).map_err(io::Error::from)
        }
    }
}
