//! Per-queue counts and progress, the way the WHM interface computes them:
//! a finished item (success, warning or failed) counts its whole size, a
//! running item `size * last percentage / 100`; a queue's percent is
//! done bytes over `queue_size`. Logs without sizes (old 1.6 format) fall
//! back to counting items.

use crate::model::{paused_within, Item, ItemStatus, Queue, Session, RESTORE, TRANSFER};
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
    let as_of = as_of(s);
    let workers = |q: &str| s.workers.iter().filter(|w| w.queue == q).count() as u64;
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
            mut runs,
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
        q.eta_s = if moving && !queue_done {
            let (busy, work) = as_of.map_or((0, 0), |n| work_s(&mut runs, n, spans));
            eta(q, busy, work, workers(&q.name))
        } else {
            None
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
    // RESTORE restores what TRANSFER copies: it cannot end before it.
    let eta_of = |n: &str| s.queues.iter().find(|q| q.name == n).and_then(|q| q.eta_s);
    if let (Some(t), Some(r)) = (eta_of(TRANSFER), eta_of(RESTORE)) {
        if let Some(q) = s.queues.iter_mut().find(|q| q.name == RESTORE) {
            q.eta_s = Some(r.max(t));
        }
    }
}

/// Seconds left for a live queue: its bytes left at its pace, where
/// bytes done are as WHM counts them (running items at their last
/// percentage). Two paces are measured and the faster is taken, as each
/// understates the pace in its own way: the queue's, over `busy`, the
/// seconds some item of it ran (a RESTORE fed by its TRANSFERs works with
/// workers idle); and one worker's, over `work`, the seconds its items
/// ran added up, times its `workers` (no more than items are left; small
/// items each spend a few seconds outside their copy). Finished bytes
/// over the span to the last finish, the old rule, let a few tiny items
/// set the pace. `None` while nothing is measured.
fn eta(q: &Queue, busy: i64, work: i64, workers: u64) -> Option<f64> {
    if busy <= 0 || work <= 0 || q.bytes_done <= 0.0 {
        return None;
    }
    let lanes = workers
        .max(q.running)
        .min(q.running.saturating_add(q.pending))
        .max(1);
    let queue = q.bytes_done / busy as f64;
    let worker = q.bytes_done / work as f64;
    let pace = queue.max(worker * lanes as f64);
    Some((q.bytes_total as f64 - q.bytes_done).max(0.0) / pace)
}

/// How long the items of `runs` have run, each until its finish (a
/// running one until `as_of`), less the time `paused`: (the seconds at
/// least one ran, those seconds of all of them added up).
fn work_s(
    runs: &mut [(i64, Option<i64>)],
    as_of: i64,
    paused: &[(i64, Option<i64>)],
) -> (i64, i64) {
    let worked = |a: i64, b: i64| {
        b.saturating_sub(a)
            .saturating_sub(paused_within(paused, a, b))
            .max(0)
    };
    runs.sort_unstable_by_key(|r| r.0);
    let (mut busy, mut work) = (0i64, 0i64);
    let mut span: Option<(i64, i64)> = None;
    for &(a, b) in runs.iter() {
        let b = b.unwrap_or(as_of).max(a);
        work = work.saturating_add(worked(a, b));
        span = match span {
            Some((s, e)) if a <= e => Some((s, e.max(b))),
            Some((s, e)) => {
                busy = busy.saturating_add(worked(s, e));
                Some((a, b))
            }
            None => Some((a, b)),
        };
    }
    let busy = span.map_or(busy, |(s, e)| busy.saturating_add(worked(s, e)));
    (busy, work)
}

/// The newest time the session's logs carry, item logs' percentage lines
/// included: "now" as far as the logs tell, the end of the span a live
/// queue has worked.
fn as_of(s: &Session) -> Option<i64> {
    s.items
        .iter()
        .filter_map(|it| it.log.as_ref()?.last_time)
        .chain(s.newest_time())
        .max()
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
    /// (start, finish) of every item started (`None`: still running).
    runs: Vec<(i64, Option<i64>)>,
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
            if it.status.is_finished() || it.status == ItemStatus::Running {
                self.runs.push((t, it.finished_at));
            }
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
    use crate::model::ItemLog;

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
        // 100 finished bytes in 10 s; 250 done (the running item at
        // 50%) in the 10 s the queue has worked: 750 left at 25 B/s.
        assert_eq!(q.throughput_bps, Some(10.0));
        assert_eq!(q.eta_s, Some(30.0));
        assert_eq!(q.finished_at, None, "not every item finished");
        assert_eq!(whm_state(&s), "TRANSFER_INPROGRESS");
    }

    /// A running item of `size` bytes started at `start`, whose log's
    /// newest line (at `pct`%) is at `seen`.
    fn running_since(size: u64, pct: f64, start: i64, seen: i64) -> Item {
        let mut it = running("TRANSFER", size, pct);
        it.started_at = Some(start);
        if let Some(l) = it.log.as_mut() {
            l.last_time = Some(seen);
        }
        it
    }

    /// A finished package of 2 kB, from `start` to `end`.
    fn package(start: i64, end: i64) -> Item {
        let mut it = item("TRANSFER", Some(2048), ItemStatus::Success);
        it.item = format!("pkg{start}");
        (it.started_at, it.finished_at) = (Some(start), Some(end));
        it
    }

    #[test]
    fn eta_counts_running_bytes_so_tiny_finished_items_do_not_set_the_pace() {
        // Issue 27: four 2 kB packages done in the first 4 s, then an
        // account of 1 GB, half copied at t=26: half the queue in 26 s,
        // so about 26 s left (the old rule, 8 kB in 4 s, said 3 days).
        let gb = 1u64 << 30;
        let mut items: Vec<Item> = (0..4).map(|i| package(i, i + 1)).collect();
        items.push(running_since(gb, 50.0, 4, 26));
        let total = gb + 4 * 2048;
        let s = session(SessionState::Running, &[("TRANSFER", 5, total)], items);
        let eta = s.queues[0].eta_s.expect("an ETA");
        assert!((25.0..28.0).contains(&eta), "{eta}");
    }

    #[test]
    fn eta_leaves_out_the_time_paused() {
        // 40% of 1000 bytes by t=100, of which 60 s paused: 400 bytes in
        // 40 s worked, 600 left at 10 B/s.
        let mut s = Session {
            state: SessionState::Running,
            queues: vec![Queue {
                name: "TRANSFER".into(),
                items_total: 1,
                bytes_total: 1000,
                ..Queue::default()
            }],
            items: vec![running_since(1000, 40.0, 0, 100)],
            paused: vec![(20, Some(80))],
            ..Session::default()
        };
        compute_queues(&mut s);
        assert_eq!(s.queues[0].eta_s, Some(60.0));
        // Nothing measured yet (0%): no ETA rather than a guess.
        s.items = vec![running_since(1000, 0.0, 0, 100)];
        compute_queues(&mut s);
        assert_eq!(s.queues[0].eta_s, None);
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
