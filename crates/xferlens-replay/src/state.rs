//! Session and queue states.
//!
//! Session transitions, driven by master-log control actions:
//!
//! ```text
//! (none) ──start──► RUNNING ──pausing──► PAUSING ──pause──► PAUSED ──resume──► RUNNING
//!                      │  └──aborting──► ABORTING ──abort──► ABORTED
//!                      │                     └──complete──► COMPLETED (nothing was left)
//!                      ├──complete (child 0)──► COMPLETED
//!                      └──fail──► FAILED
//! ```
//!
//! A log that ends without a terminal action leaves the session in the
//! state it reached (RUNNING, PAUSING, PAUSED or ABORTING): the session is
//! still running, or its process died. Terminal states are sticky except
//! that a later `resume` (a new master) reopens PAUSED.

use serde::Serialize;
use xferlens_parse::Action;

/// Lifecycle state of a session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SessionState {
    /// Ended with `complete` from the master.
    Completed,
    /// Ended with `fail`.
    Failed,
    /// Ended with `abort`.
    Aborted,
    /// `pause` written, not resumed.
    Paused,
    /// `pausing` written, not yet paused.
    Pausing,
    /// `aborting` written, not yet aborted.
    Aborting,
    /// Started and no terminal action (running, or died).
    #[default]
    Running,
}

impl SessionState {
    /// Upper-case name as the WHM interface prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionState::Completed => "COMPLETED",
            SessionState::Failed => "FAILED",
            SessionState::Aborted => "ABORTED",
            SessionState::Paused => "PAUSED",
            SessionState::Pausing => "PAUSING",
            SessionState::Aborting => "ABORTING",
            SessionState::Running => "RUNNING",
        }
    }

    /// True for COMPLETED, FAILED and ABORTED.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            SessionState::Completed | SessionState::Failed | SessionState::Aborted
        )
    }

    /// True for a session that stopped for now but can resume.
    pub fn is_paused(self) -> bool {
        matches!(self, SessionState::Paused | SessionState::Pausing)
    }

    /// The state after a session action of the master (child 0's
    /// `complete`, `pausing`, `pause`, `resume`, `aborting`, `abort`,
    /// `fail`), or `None` if the action does not change the state from
    /// this one (a pause after the end, any other action).
    pub fn after(self, action: &Action<'_>) -> Option<SessionState> {
        use SessionState::*;
        let next = match action {
            Action::Complete => Completed,
            Action::Fail => Failed,
            Action::Abort => Aborted,
            Action::Aborting if !self.is_terminal() => Aborting,
            Action::Pausing if !self.is_terminal() => Pausing,
            Action::Pause if !self.is_terminal() => Paused,
            Action::Resume if self != Completed => Running,
            _ => return None,
        };
        Some(next)
    }
}

/// The WHM view of one queue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum QueueState {
    /// No item started yet.
    #[default]
    Pending,
    /// Some items started, not all finished.
    InProgress,
    /// Every item finished (some may have failed).
    Completed,
    /// The session ended (failed or aborted) before the queue was done.
    Failed,
}

impl QueueState {
    /// WHM-style name for a queue: `TRANSFER_PENDING`, `RESTORE_INPROGRESS`,
    /// `COMPLETED`, `FAILED`.
    pub fn whm_name(self, queue: &str) -> String {
        match self {
            QueueState::Pending => format!("{queue}_PENDING"),
            QueueState::InProgress => format!("{queue}_INPROGRESS"),
            QueueState::Completed => "COMPLETED".into(),
            QueueState::Failed => "FAILED".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SessionState::*;
    use xferlens_parse::Action;

    #[test]
    fn transitions() {
        assert_eq!(Running.after(&Action::Pausing), Some(Pausing));
        assert_eq!(Pausing.after(&Action::Pause), Some(Paused));
        assert_eq!(Paused.after(&Action::Resume), Some(Running));
        assert_eq!(Running.after(&Action::Complete), Some(Completed));
        assert_eq!(Aborting.after(&Action::Complete), Some(Completed));
        assert_eq!(Completed.after(&Action::Pause), None);
        assert_eq!(Completed.after(&Action::Resume), None);
        assert_eq!(Failed.after(&Action::Aborting), None);
        assert_eq!(Running.after(&Action::StartItem), None);
        assert!(Aborted.is_terminal() && !Paused.is_terminal());
    }
}
