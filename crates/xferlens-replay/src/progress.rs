//! Per-queue counts and progress, the way the WHM interface computes them:
//! a finished item (success, warning or failed) counts its whole size, a
//! running item `size * last percentage / 100`; a queue's percent is
//! done bytes over `queue_size`. Logs without sizes (old 1.6 format) fall
//! back to counting items.

use std::collections::HashMap;

use crate::model::{Item, ItemStatus, Session};
use crate::state::{QueueState, SessionState};

/// Recomputes every queue's counts, bytes, percent, throughput, ETA and
/// WHM state from the session's items.
pub fn compute_queues(s: &mut Session) {
    let terminal = s.state.is_terminal();
    // A paused session has no ETA: nothing moves until someone resumes it.
    let moving = !terminal && !s.state.is_paused();
    let session_failed = matches!(s.state, SessionState::Failed | SessionState::Aborted);
    // One pass over the items, tallied per queue (a lookup per item, so
    // the cost stays linear whatever the number of queues).
    let index: HashMap<&str, usize> = s
        .queues
        .iter()
        .enumerate()
        .map(|(i, q)| (q.name.as_str(), i))
        .collect();
    let mut tallies = vec![Tally::default(); s.queues.len()];
    for it in &s.items {
        if let Some(&qi) = index.get(it.queue.as_str()) {
            tallies[qi].add(it);
        }
    }
    drop(index);
    for (q, t) in s.queues.iter_mut().zip(tallies) {
        let Tally {
            success,
            warning,
            failed,
            running,
            seen,
            done,
            sizes,
            fin_bytes,
            first,
            last,
        } = t;
        let unseen_pending = q.items_total.saturating_sub(seen);
        let pending_seen = seen.saturating_sub(success + warning + failed + running);
        q.items_total = q.items_total.max(seen);
        q.success = success;
        q.warning = warning;
        q.failed = failed;
        q.running = running;
        q.pending = unseen_pending.saturating_add(pending_seen);
        if q.bytes_total == 0 {
            q.bytes_total = sizes;
        }
        q.bytes_done = done.min(q.bytes_total as f64);
        let finished = success + warning + failed;
        q.percent = if q.bytes_total > 0 {
            q.bytes_done / q.bytes_total as f64 * 100.0
        } else if q.items_total > 0 {
            finished as f64 / q.items_total as f64 * 100.0
        } else if terminal {
            100.0
        } else {
            0.0
        };
        q.percent = q.percent.clamp(0.0, 100.0);
        q.started_at = first;
        q.finished_at = if finished == q.items_total {
            last
        } else {
            None
        };
        q.throughput_bps = match (first, last) {
            (Some(f), Some(l)) if l > f && fin_bytes > 0 => {
                Some(fin_bytes as f64 / (l as f64 - f as f64))
            }
            _ => None,
        };
        q.eta_s = match q.throughput_bps {
            Some(t) if moving && t > 0.0 => {
                Some(((q.bytes_total as f64 - q.bytes_done).max(0.0)) / t)
            }
            _ => None,
        };
        q.state = if q.items_total > 0 && finished == q.items_total {
            QueueState::Completed
        } else if session_failed {
            QueueState::Failed
        } else if seen > pending_seen {
            QueueState::InProgress
        } else if terminal {
            QueueState::Completed
        } else {
            QueueState::Pending
        };
    }
}

/// One queue's counts, gathered in the single pass over the items.
#[derive(Clone, Default)]
struct Tally {
    success: u64,
    warning: u64,
    failed: u64,
    running: u64,
    seen: u64,
    done: f64,
    sizes: u64,
    fin_bytes: u64,
    first: Option<i64>,
    last: Option<i64>,
}

impl Tally {
    fn add(&mut self, it: &Item) {
        self.seen += 1;
        let size = it.size.unwrap_or(0);
        self.sizes = self.sizes.saturating_add(size);
        match it.status {
            ItemStatus::Success => self.success += 1,
            ItemStatus::Warning => self.warning += 1,
            ItemStatus::Failed => self.failed += 1,
            ItemStatus::Running => self.running += 1,
            ItemStatus::Pending => {}
        }
        if it.status.is_finished() {
            self.done += size as f64;
            self.fin_bytes = self.fin_bytes.saturating_add(size);
            if let Some(f) = it.finished_at {
                self.last = Some(self.last.map_or(f, |l| l.max(f)));
            }
        } else if it.status == ItemStatus::Running {
            let pct = it.percent().unwrap_or(0.0);
            let pct = if pct.is_finite() {
                pct.clamp(0.0, 100.0)
            } else {
                0.0
            };
            self.done += size as f64 * pct / 100.0;
        }
        if let Some(t) = it.started_at {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
        }
    }
}

/// The WHM `get_transfer_session_state`-style name of a session.
pub fn whm_state(s: &Session) -> String {
    match s.state {
        SessionState::Completed => return "COMPLETED".into(),
        SessionState::Failed => return "FAILED".into(),
        SessionState::Aborted => return "ABORTED".into(),
        SessionState::Paused => return "PAUSED".into(),
        _ => {}
    }
    let st = |n: &str| s.queue(n).map(|q| q.state);
    match (st("TRANSFER"), st("RESTORE")) {
        (_, Some(QueueState::InProgress)) => "RESTORE_INPROGRESS".into(),
        (Some(QueueState::InProgress), _) => "TRANSFER_INPROGRESS".into(),
        (Some(QueueState::Completed), Some(QueueState::Pending)) => "RESTORE_PENDING".into(),
        (Some(QueueState::Completed), Some(QueueState::Completed)) => "COMPLETED".into(),
        (None, None) => "PENDING".into(),
        _ => "TRANSFER_PENDING".into(),
    }
}
