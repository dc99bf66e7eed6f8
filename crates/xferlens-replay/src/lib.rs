/*!
Replays cPanel & WHM transfer-session log events into the state a
migration team asks about: sessions, queues, items, workers and timelines.

# Brief overview

- [`read_session_dir`]: a session directory on disk (master log, item
  logs, `master.error_log`; active dot-files included).
- [`SessionBuilder`]: the same from parts in any order (tar members,
  single files, stdin); [`replay_master`] for a master log alone.
- [`MasterReplay`] and [`ItemLogReplay`] are the [`xferlens_parse::EventSink`]s
  behind them.
- [`Session`] is the model; [`compute_queues`] applies the WHM progress
  algorithm.

# Example

```
use xferlens_replay::{replay_master, SessionState};
use xferlens_parse::ParseOptions;

let log = br#"{"pid":1,"type":"control","contents":{"action":"start","child_number":0,"time":100}}
{"pid":1,"type":"control","contents":{"action":"complete","child_number":0,"time":160}}
"#;
let (session, _volume) = replay_master("master.log", &log[..], &ParseOptions::default())?;
assert_eq!(session.state, SessionState::Completed);
assert_eq!(session.duration_s(), Some(60));
# Ok::<(), std::io::Error>(())
```
*/
#![deny(missing_docs)]

mod archive;
mod builder;
mod dir;
mod excerpt;
mod files;
#[doc(hidden)]
pub mod fuzzing;
pub mod hash;
mod itemlog;
pub mod limits;
mod logview;
mod master;
mod model;
mod open;
mod progress;
mod source;
mod state;

pub use crate::archive::{
    is_tar_header, read_tar, read_tar_each, walk_tar, ArchiveError, Member, EXTENSION_MAX,
};
pub use crate::builder::{read_error_log, replay_item_log, replay_master, SessionBuilder};
pub use crate::dir::{is_session_dir, read_session_dir, ReadOptions, ReplayError};
pub use crate::excerpt::{
    fill_excerpts, fill_whole_logs, EXCERPT_BEFORE, EXCERPT_GROUPS, EXCERPT_LINES, EXCERPT_TEXT,
};
pub use crate::files::{classify, default_log_name, item_log_parts, safe_file_name, FileRole};
pub use crate::itemlog::{start_words, ItemLogReplay, ITEM_LOG_SKIP, PERCENT_KEEP};
pub use crate::logview::{
    is_stderr_text, structural_lines, unescape_lines, EntryKind, Level, LogEntry, LogView,
};
pub use crate::master::MasterReplay;
pub use crate::model::{
    detail_kinds, is_account_type, Account, ChildFailure, Counts, Excerpt, ExcerptLine, Item,
    ItemLog, ItemStatus, LogFile, LogLine, LogResult, LogSection, Mark, Module, ModuleAction,
    ModuleState, Queue, Session, StartLine, Volume, WholeLog, Worker, ERROR_LOG_KEEP,
    LOG_LINES_KEEP, RESTORE, TRANSFER,
};
pub use crate::open::{open_in_session, open_input, InputKind};
pub use crate::progress::{compute_queues, whm_state};
pub use crate::source::{
    damage, damage_in, discover, each_master_log, id_for_dir, id_for_file, load, load_each,
    no_log_reason, sniff_stream, InputError, MasterLog, SniffedStream, Source, DEFAULT_ROOT,
};
pub use crate::state::{QueueState, SessionState};
/// A session's diagnostics are the parser's: re-exported so renderers need
/// not depend on the parser.
pub use xferlens_parse::{Detail, DetailLists, Diagnostic, DiagnosticKind};
