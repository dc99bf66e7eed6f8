//! Per-queue counts and progress, the way the WHM interface computes them:
//! a finished item (success, warning or failed) counts its whole size, a
//! running item `size * last percentage / 100`; a queue's percent is
//! done bytes over `queue_size`. Logs without sizes (old 1.6 format) fall
//! back to counting items.

use crate::model::{paused_within, Item, ItemStatus, Session, RESTORE, TRANSFER};
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
    let index: crate::hash::Map<&str, usize> = s
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
    let spans = &s.paused;
    let paused = |f: i64, l: i64| paused_within(spans, f, l);
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
        } else if s.state == SessionState::Completed {
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
        // Over the time worked: a pause between the first start and the
        // last finish moves nothing.
        let worked = |f: i64, l: i64| l.saturating_sub(f).saturating_sub(paused(f, l));
        q.throughput_bps = match (first, last) {
            (Some(f), Some(l)) if worked(f, l) > 0 && fin_bytes > 0 => {
                Some(fin_bytes as f64 / worked(f, l) as f64)
            }
            _ => None,
        };
        // A queue with every item finished has nothing left to wait for:
        // no ETA (not "0s"), even while the session runs on.
        let queue_done = q.items_total > 0 && finished >= q.items_total;
        q.eta_s = match q.throughput_bps {
            Some(t) if moving && !queue_done && t > 0.0 => {
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
    match (st(TRANSFER), st(RESTORE)) {
        (_, Some(QueueState::InProgress)) => "RESTORE_INPROGRESS".into(),
        (Some(QueueState::InProgress), _) => "TRANSFER_INPROGRESS".into(),
        (Some(QueueState::Completed), Some(QueueState::Pending)) => "RESTORE_PENDING".into(),
        (Some(QueueState::Completed), Some(QueueState::Completed)) => "COMPLETED".into(),
        (None, None) => "PENDING".into(),
        _ => "TRANSFER_PENDING".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ItemLog, Queue};

    fn item(queue: &str, size: Option<u64>, status: ItemStatus) -> Item {
        Item {
            queue: queue.into(),
            item: format!("a{size:?}{status:?}"),
            size,
            status,
            ..Item::default()
        }
    }

    fn running(queue: &str, size: u64, pct: f64) -> Item {
        Item {
            log: Some(Box::new(ItemLog {
                last_percentage: Some(pct),
                ..ItemLog::default()
            })),
            ..item(queue, Some(size), ItemStatus::Running)
        }
    }

    fn session(state: SessionState, queues: &[(&str, u64, u64)], items: Vec<Item>) -> Session {
        let mut s = Session {
            state,
            queues: queues
                .iter()
                .map(|&(name, count, size)| Queue {
                    name: name.into(),
                    items_total: count,
                    bytes_total: size,
                    ..Queue::default()
                })
                .collect(),
            items,
            ..Session::default()
        };
        compute_queues(&mut s);
        s
    }

    #[test]
    fn bytes_done_follow_whm_finished_whole_running_by_percentage() {
        let mut done = item("TRANSFER", Some(100), ItemStatus::Success);
        done.started_at = Some(1000);
        done.finished_at = Some(1010);
        let s = session(
            SessionState::Running,
            // queue_count 4 and queue_size 1000 from the master; one item
            // never seen.
            &[("TRANSFER", 4, 1000)],
            vec![
                done,
                running("TRANSFER", 300, 50.0),
                item("TRANSFER", Some(200), ItemStatus::Pending),
            ],
        );
        let q = &s.queues[0];
        assert_eq!(
            (q.success, q.running, q.pending, q.items_total),
            (1, 1, 2, 4)
        );
        assert_eq!(q.bytes_done, 250.0);
        assert_eq!(q.percent, 25.0);
        assert_eq!(q.state, QueueState::InProgress);
        // 100 finished bytes in 10 s; 750 left.
        assert_eq!(q.throughput_bps, Some(10.0));
        assert_eq!(q.eta_s, Some(75.0));
        assert_eq!(q.finished_at, None, "not every item finished");
        assert_eq!(whm_state(&s), "TRANSFER_INPROGRESS");
    }

    #[test]
    fn odd_percentages_are_clamped_and_bytes_never_pass_the_total() {
        for (pct, want) in [(f64::NAN, 0.0), (250.0, 100.0), (-5.0, 0.0)] {
            let s = session(
                SessionState::Running,
                &[("TRANSFER", 1, 0)],
                vec![running("TRANSFER", 400, pct)],
            );
            assert_eq!(s.queues[0].bytes_done, want * 4.0, "{pct}");
        }
        // A master whose queue_size is smaller than the items' sizes.
        let s = session(
            SessionState::Completed,
            &[("TRANSFER", 1, 10)],
            vec![item("TRANSFER", Some(400), ItemStatus::Success)],
        );
        assert_eq!((s.queues[0].bytes_done, s.queues[0].percent), (10.0, 100.0));
    }

    #[test]
    fn logs_without_sizes_count_items() {
        // Old 1.6 logs carry no sizes: progress is finished items over all.
        let s = session(
            SessionState::Running,
            &[("TRANSFER", 4, 0)],
            vec![
                item("TRANSFER", None, ItemStatus::Success),
                item("TRANSFER", None, ItemStatus::Failed),
                item("TRANSFER", None, ItemStatus::Running),
            ],
        );
        assert_eq!(s.queues[0].percent, 50.0);
        assert_eq!(s.queues[0].bytes_total, 0);
    }

    #[test]
    fn no_eta_unless_moving_and_queue_states_follow_the_session() {
        let timed = || {
            let mut a = item("RESTORE", Some(100), ItemStatus::Success);
            a.started_at = Some(0);
            a.finished_at = Some(10);
            vec![a, running("RESTORE", 100, 10.0)]
        };
        for state in [SessionState::Paused, SessionState::Failed] {
            let s = session(state, &[("RESTORE", 2, 200)], timed());
            assert_eq!(s.queues[0].eta_s, None, "{state:?}");
        }
        let s = session(SessionState::Failed, &[("RESTORE", 2, 200)], timed());
        assert_eq!(s.queues[0].state, QueueState::Failed);
        assert_eq!(whm_state(&s), "FAILED");
        // An empty queue of an ended session is done.
        let s = session(SessionState::Completed, &[("RESTORE", 0, 0)], vec![]);
        assert_eq!(
            (s.queues[0].percent, s.queues[0].state),
            (100.0, QueueState::Completed)
        );
        // Items of a queue the master never declared are not counted.
        let s = session(
            SessionState::Running,
            &[],
            vec![item("TRANSFER", Some(1), ItemStatus::Success)],
        );
        assert!(s.queues.is_empty());
        assert_eq!(whm_state(&s), "PENDING");
    }

    #[test]
    fn whm_state_names_the_busy_queue() {
        let q = |t: ItemStatus, r: ItemStatus| {
            whm_state(&session(
                SessionState::Running,
                &[("TRANSFER", 1, 10), ("RESTORE", 1, 10)],
                vec![item("TRANSFER", Some(10), t), item("RESTORE", Some(10), r)],
            ))
        };
        assert_eq!(
            q(ItemStatus::Pending, ItemStatus::Pending),
            "TRANSFER_PENDING"
        );
        assert_eq!(
            q(ItemStatus::Running, ItemStatus::Pending),
            "TRANSFER_INPROGRESS"
        );
        assert_eq!(
            q(ItemStatus::Success, ItemStatus::Pending),
            "RESTORE_PENDING"
        );
        assert_eq!(
            q(ItemStatus::Success, ItemStatus::Running),
            "RESTORE_INPROGRESS"
        );
        assert_eq!(q(ItemStatus::Warning, ItemStatus::Success), "COMPLETED");
    }
}
