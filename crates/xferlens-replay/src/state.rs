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

    /// The state after a master control action, or `None` if the action
    /// does not change the session state.
    pub fn after(self, action: &str, child_zero: bool) -> Option<SessionState> {
        use SessionState::*;
        let next = match action {
            "complete" if child_zero => Completed,
            "fail" => Failed,
            "abort" => Aborted,
            "aborting" if !self.is_terminal() => Aborting,
            "pausing" if !self.is_terminal() => Pausing,
            "pause" if !self.is_terminal() => Paused,
            "resume" if self != Completed => Running,
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

    #[test]
    fn transitions() {
        assert_eq!(Running.after("pausing", true), Some(Pausing));
        assert_eq!(Pausing.after("pause", true), Some(Paused));
        assert_eq!(Paused.after("resume", true), Some(Running));
        assert_eq!(Running.after("complete", false), None);
        assert_eq!(Running.after("complete", true), Some(Completed));
        assert_eq!(Aborting.after("complete", true), Some(Completed));
        assert_eq!(Completed.after("pause", true), None);
        assert!(Aborted.is_terminal() && !Paused.is_terminal());
    }
}
