//! Budgets for every size taken from untrusted input, and the helpers that
//! apply them. Logs come from remote servers: a hostile log can hold a
//! 15 MB account name, a million `start_module` lines or a million
//! distinct queues. Replay keeps memory for one session at O(items) with a
//! small constant by cutting what it keeps, never what it counts: a cut
//! value ends with a marker that carries the full length, and every cut
//! list is followed by a diagnostic that says how much was left out.
//! The budgets are listed in docs/RELIABILITY.md.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use xferlens_parse::{Detail, DetailLists, Diagnostic, DiagnosticKind};

/// Longest name kept (queue, item type, item, local item, item name,
/// module, host), in bytes. Real names are at most a few hundred bytes
/// (a domain name is at most 253).
pub const NAME_MAX: usize = 512;

/// Longest free text kept (failure, message, log line, status message),
/// in bytes.
pub const TEXT_MAX: usize = 4096;

/// Most distinct queues per session (cPanel writes two: TRANSFER and
/// RESTORE). Lines for further queues are counted, not kept.
pub const QUEUES_MAX: usize = 64;

/// Most workers (queue, child number) tracked per session.
pub const WORKERS_MAX: usize = 4096;

/// Most items kept per session. Lines about further items are counted,
/// not kept (a real session holds at most a few thousand accounts).
pub const ITEMS_MAX: usize = 100_000;

/// Most item logs read per session (two per account: TRANSFER and
/// RESTORE). Further item logs are counted, not read.
pub const ITEM_LOGS_MAX: usize = 20_000;

/// Most restore modules kept per item log.
pub const MODULES_MAX: usize = 1000;

/// Most `start_action` sections kept per module.
pub const ACTIONS_MAX: usize = 200;

/// Most detail records kept per list (warnings, skipped, dangerous,
/// altered) of one item; the decoder applies it while it reads a list.
pub const DETAILS_MAX: usize = xferlens_parse::DETAILS_KEPT;

/// Most timeline marks and worker deaths kept per session.
pub const MARKS_MAX: usize = 10_000;

/// Most diagnostics kept per session, over all its files; the rest are
/// counted in one notice.
pub const SESSION_DIAGNOSTICS_MAX: usize = 1000;

/// Most diagnostics kept per file.
pub const FILE_DIAGNOSTICS_MAX: usize = 1000;

/// `s` cut to at most `max` bytes on a character boundary. A cut value
/// ends with `…[N bytes #H]`: N is its full length and H a hash of the
/// whole value, so two long names that differ only past the cut stay two
/// names (items are keyed by name).
pub fn clip(s: &str, max: usize) -> String {
    xferlens_parse::TextCap::clip(s, max)
}

/// [`clip`] for a name.
pub fn name(s: &str) -> String {
    clip(s, NAME_MAX)
}

/// [`clip`] for free text.
pub fn text(s: &str) -> String {
    clip(s, TEXT_MAX)
}

/// Cuts an owned string in place (see [`clip`]).
pub fn clip_owned(s: &mut String, max: usize) {
    if s.len() > max {
        *s = clip(s, max);
    }
}

/// Applies the detail budgets to a finished item's or summary's lists:
/// at most [`DETAILS_MAX`] records per list, each text cut to
/// [`TEXT_MAX`]. Returns how many records were left out, counting those
/// the decoder already skipped (the count is taken from `d`).
pub fn clip_details(d: &mut DetailLists) -> u64 {
    let mut dropped = std::mem::take(&mut d.dropped);
    for list in [
        &mut d.warnings,
        &mut d.skipped_items,
        &mut d.dangerous_items,
        &mut d.altered_items,
    ] {
        if list.len() > DETAILS_MAX {
            dropped += (list.len() - DETAILS_MAX) as u64;
            list.truncate(DETAILS_MAX);
            list.shrink_to_fit();
        }
        for r in list.iter_mut() {
            clip_detail(r);
        }
    }
    dropped
}

fn clip_detail(r: &mut Detail) {
    clip_owned(&mut r.text, TEXT_MAX);
    for s in [&mut r.module, &mut r.function, &mut r.link]
        .into_iter()
        .flatten()
    {
        clip_owned(s, NAME_MAX);
    }
}

/// A session's diagnostic budget, shared by the replays of its files
/// (which may run on several threads).
#[derive(Debug)]
pub struct DiagnosticBudget {
    left: AtomicUsize,
    dropped: AtomicU64,
}

impl Default for DiagnosticBudget {
    fn default() -> DiagnosticBudget {
        DiagnosticBudget::new(SESSION_DIAGNOSTICS_MAX)
    }
}

impl DiagnosticBudget {
    /// A budget of `n` diagnostics.
    pub fn new(n: usize) -> DiagnosticBudget {
        DiagnosticBudget {
            left: AtomicUsize::new(n),
            dropped: AtomicU64::new(0),
        }
    }

    /// Takes one diagnostic from the budget: false (and counted as
    /// dropped) when none is left.
    pub fn take(&self) -> bool {
        let ok = self
            .left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok();
        if !ok {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        ok
    }

    /// Diagnostics refused so far.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// A diagnostic about a whole file (line 0).
pub(crate) fn file_diagnostic(source: &str, code: &'static str, message: String) -> Diagnostic {
    Diagnostic::about_file(source, DiagnosticKind::Anomaly { code, message })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_keeps_short_and_marks_long() {
        assert_eq!(clip("bob", 10), "bob");
        let long = "é".repeat(10); // 20 bytes
        let c = clip(&long, 5);
        assert!(c.starts_with("éé…[20 bytes #"), "{c}");
        // Values that differ only past the cut stay apart.
        let (a, b) = ("x".repeat(600) + "a", "x".repeat(600) + "b");
        assert_ne!(clip(&a, 512), clip(&b, 512));
    }

    #[test]
    fn budget_counts_what_it_refuses() {
        let b = DiagnosticBudget::new(2);
        assert!(b.take());
        assert!(b.take());
        assert!(!b.take());
        assert!(!b.take());
        assert_eq!(b.dropped(), 2);
    }

    #[test]
    fn details_are_capped() {
        let mut d = DetailLists {
            warnings: (0..DETAILS_MAX + 5)
                .map(|_| Detail {
                    text: "x".repeat(TEXT_MAX + 1),
                    ..Detail::default()
                })
                .collect(),
            ..DetailLists::default()
        };
        assert_eq!(clip_details(&mut d), 5);
        assert_eq!(d.warnings.len(), DETAILS_MAX);
        let t = &d.warnings[0].text;
        assert!(t.contains(&format!("…[{} bytes #", TEXT_MAX + 1)), "{t}");
    }
}

/// The notice that `dropped` lines were not kept past a budget of `max`
/// `what` (always kept: it says what is missing).
pub(crate) fn over_budget(
    source: &str,
    what: &str,
    max: usize,
    dropped: u64,
) -> xferlens_parse::Diagnostic {
    file_diagnostic(
        source,
        "over-budget",
        format!("more than {max} {what}: {dropped} lines about further ones not kept"),
    )
}

/// How one file's replay keeps diagnostics: at most
/// [`FILE_DIAGNOSTICS_MAX`] of its own, and only while the session's
/// shared budget (when there is one) lasts.
#[derive(Debug, Default)]
pub(crate) struct Keep {
    budget: Option<std::sync::Arc<DiagnosticBudget>>,
    dropped: u64,
}

impl Keep {
    /// Keeping under the session budget `budget` (or only the file cap).
    pub(crate) fn new(budget: Option<std::sync::Arc<DiagnosticBudget>>) -> Keep {
        Keep { budget, dropped: 0 }
    }

    /// True when one more diagnostic may be kept, given how many this
    /// file already keeps; a refusal is counted.
    pub(crate) fn admit(&mut self, kept_in_file: usize) -> bool {
        let ok = kept_in_file < FILE_DIAGNOSTICS_MAX;
        match &self.budget {
            Some(b) if ok => b.take(),
            Some(b) => {
                b.dropped.fetch_add(1, Ordering::Relaxed);
                false
            }
            None => {
                self.dropped += u64::from(!ok);
                ok
            }
        }
    }

    /// The notice for this file's refused diagnostics, when no session
    /// budget reports them for the whole session.
    pub(crate) fn notice(&self, source: &str) -> Option<xferlens_parse::Diagnostic> {
        (self.budget.is_none() && self.dropped > 0).then(|| {
            file_diagnostic(
                source,
                "diagnostics-truncated",
                format!(
                    "{} more diagnostics in this file not kept (at most {FILE_DIAGNOSTICS_MAX} per file)",
                    self.dropped
                ),
            )
        })
    }
}
