//! Excerpts: the few lines of an item log around its failure, for the
//! reports (which never read logs themselves). [`fill_excerpts`] re-reads
//! the item logs of a session's failed and warned items through
//! [`LogView`], streamed (memory: one line, plus the excerpt), and keeps
//! each item's error lines (a warned item's warning lines) with the
//! module they are in and the shown lines before each. An item log that
//! cannot be re-read (an archive member) gets its excerpt from the error
//! lines replay kept, without the lines before them.

use std::collections::VecDeque;
use std::ops::ControlFlow;
use std::path::Path;

use rayon::prelude::*;
use xferlens_parse::ParseOptions;

use crate::logview::{EntryKind, Level, LogEntry, LogView};
use crate::model::{
    Excerpt, ExcerptLine, Item, ItemLog, ItemStatus, LogLine, LogSection, Session, WholeLog,
};
use crate::open::open_in_session;

/// Most groups (error lines with the lines before them) per excerpt.
pub const EXCERPT_GROUPS: usize = 3;
/// Most lines per excerpt.
pub const EXCERPT_LINES: usize = 12;
/// Shown lines kept before each error line.
pub const EXCERPT_BEFORE: usize = 3;
/// Longest text of an excerpt line, in characters.
pub const EXCERPT_TEXT: usize = 300;

/// Fills [`ItemLog::excerpt`] for the first `max_items` items (in item
/// order) of each of `statuses` (failed or warned: the ones an excerpt is
/// about) that have a log and did not fail in cascade. With `dir`, the
/// session directory `s` was read from, each log is re-read from there
/// (in parallel); without it (or when a file is gone), the excerpt is
/// made from the lines replay kept.
pub fn fill_excerpts(
    s: &mut Session,
    dir: Option<&Path>,
    statuses: &[ItemStatus],
    max_items: usize,
    opts: &ParseOptions,
) {
    pick(s, statuses, max_items).into_par_iter().for_each(|it| {
        let failed = it.status == ItemStatus::Failed;
        let Some(log) = it.log.as_deref_mut() else {
            return;
        };
        let read = dir.and_then(|d| from_file(d, log, failed, opts));
        log.excerpt = read.or_else(|| from_kept(log, failed));
    });
}

/// The first `max` items of `s` with a log (cascades left out), of each
/// of `statuses`.
fn pick<'s>(s: &'s mut Session, statuses: &[ItemStatus], max: usize) -> Vec<&'s mut Item> {
    let mut taken = vec![0usize; statuses.len()];
    let mut out = Vec::new();
    // A cascade's log only says that its TRANSFER failed: nothing to add.
    for it in s
        .items
        .iter_mut()
        .filter(|i| i.log.is_some() && !i.cascaded)
    {
        if let Some(k) = statuses.iter().position(|&st| st == it.status) {
            if taken[k] < max {
                taken[k] += 1;
                out.push(it);
            }
        }
    }
    out
}

/// The excerpt of one item log re-read from `dir`.
fn from_file(dir: &Path, log: &ItemLog, failed: bool, opts: &ParseOptions) -> Option<Excerpt> {
    let f = open_log(dir, log)?;
    let mut c = Collector::new(failed);
    let mut view: LogView<_, fn(u64, &str) -> bool> =
        LogView::new(false, |e: &LogEntry<'_>| c.entry(e));
    view.read(&log.file, f, opts).ok()?;
    drop(view);
    c.finish()
}

/// Opens an item log in `dir` by its name as found, else by its
/// completed name (the writer may have renamed it since).
fn open_log(dir: &Path, log: &ItemLog) -> Option<std::fs::File> {
    let completed = log.file.strip_prefix('.').unwrap_or(&log.file);
    [log.file.as_str(), completed]
        .into_iter()
        .find_map(|n| open_in_session(&dir.join(n)).ok())
}

/// Gathers the groups of one log as its entries go by.
struct Collector {
    failed: bool,
    /// Shown lines since the last one kept: (place among shown lines, line).
    before: VecDeque<(u64, ExcerptLine)>,
    lines: Vec<ExcerptLine>,
    groups: usize,
    /// Place of the last line kept.
    last: Option<u64>,
    /// Shown lines so far.
    seq: u64,
}

impl Collector {
    fn new(failed: bool) -> Collector {
        Collector {
            failed,
            before: VecDeque::with_capacity(EXCERPT_BEFORE + 1),
            lines: Vec::new(),
            groups: 0,
            last: None,
            seq: 0,
        }
    }

    /// Whether the line is one the excerpt is about.
    fn wanted(&self, kind: EntryKind) -> bool {
        match self.failed {
            true => kind.level() == Level::Error,
            false => kind.level() >= Level::Warning,
        }
    }

    fn entry(&mut self, e: &LogEntry<'_>) -> ControlFlow<()> {
        if !e.shown() {
            return ControlFlow::Continue(());
        }
        self.seq += 1;
        let place = self.seq;
        if !self.wanted(e.kind) {
            if self.before.len() == EXCERPT_BEFORE {
                self.before.pop_front();
            }
            self.before.push_back((place, line_of(e)));
            return ControlFlow::Continue(());
        }
        let follows = self.last == Some(place - 1);
        if self.lines.len() >= EXCERPT_LINES || (!follows && self.groups >= EXCERPT_GROUPS) {
            return ControlFlow::Break(());
        }
        if !follows {
            self.groups += 1;
            // Room for the error line itself comes first.
            let room = EXCERPT_LINES - self.lines.len() - 1;
            let skip = self.before.len().saturating_sub(room);
            let before = std::mem::take(&mut self.before);
            for (p, l) in before.into_iter().skip(skip) {
                self.push(p, l);
            }
        }
        self.push(place, line_of(e));
        ControlFlow::Continue(())
    }

    fn push(&mut self, place: u64, mut l: ExcerptLine) {
        l.gap_before = place > 1 && self.last != Some(place - 1);
        self.last = Some(place);
        self.lines.push(l);
    }

    /// The excerpt; for a failed item whose log has no error line, its
    /// last shown lines (where it stopped).
    fn finish(mut self) -> Option<Excerpt> {
        if self.lines.is_empty() && self.failed {
            for (p, l) in std::mem::take(&mut self.before) {
                self.push(p, l);
            }
        }
        (!self.lines.is_empty()).then_some(Excerpt {
            lines: self.lines,
            from_file: true,
        })
    }
}

/// An entry as an excerpt line (its text cut).
fn line_of(e: &LogEntry<'_>) -> ExcerptLine {
    ExcerptLine {
        line: e.line,
        kind: e.kind,
        module: e.module.map(str::to_owned),
        indent: e.indent,
        text: cut(e.text),
        gap_before: false,
    }
}

/// `s` cut to [`EXCERPT_TEXT`] characters, an ellipsis where cut.
fn cut(s: &str) -> String {
    match s.char_indices().nth(EXCERPT_TEXT) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// The excerpt from what replay kept: the error lines (a warned item's
/// warning lines) and, for a failed item, its result line, each with the
/// module whose start and end lines enclose it.
fn from_kept(log: &ItemLog, failed: bool) -> Option<Excerpt> {
    let (list, kind) = if failed {
        (&log.errors, EntryKind::Error)
    } else {
        (&log.warnings, EntryKind::Warn)
    };
    let mut picked: Vec<(&LogLine, EntryKind)> = list.iter().map(|l| (l, kind)).collect();
    let result = log.result.as_ref().filter(|r| failed && !r.success);
    let result_line = result.map(|r| LogLine {
        line: r.line,
        text: r.text.clone(),
    });
    if let Some(r) = &result_line {
        picked.push((r, EntryKind::Failed));
    }
    picked.sort_by_key(|(l, _)| l.line);
    let mut out: Vec<ExcerptLine> = Vec::new();
    let mut groups = 0;
    for (l, kind) in picked {
        let follows = out.last().is_some_and(|p| p.line + 1 == l.line);
        if out.len() >= EXCERPT_LINES || (!follows && groups >= EXCERPT_GROUPS) {
            break;
        }
        groups += usize::from(!follows);
        out.push(ExcerptLine {
            line: l.line,
            kind,
            module: module_at(log, l.line).map(str::to_owned),
            indent: 0,
            text: cut(&l.text),
            gap_before: !follows,
        });
    }
    (!out.is_empty()).then_some(Excerpt {
        lines: out,
        from_file: false,
    })
}

/// The innermost module whose start and end lines enclose `line`.
fn module_at(log: &ItemLog, line: u64) -> Option<&str> {
    log.modules
        .iter()
        .filter(|m| m.start_line.is_some_and(|s| s <= line))
        .filter(|m| m.end_line.is_none_or(|e| e >= line))
        .max_by_key(|m| m.start_line)
        .map(|m| m.name.as_str())
}

/// Fills [`ItemLog::whole`] for the first `max_items` failed and the
/// first `max_items` warned items of `s` from their files in `dir`: every shown
/// line, grouped by module, at most `max_lines` lines (the rest counted).
pub fn fill_whole_logs(
    s: &mut Session,
    dir: &Path,
    max_items: usize,
    max_lines: usize,
    opts: &ParseOptions,
) {
    let statuses = [ItemStatus::Failed, ItemStatus::Warning];
    pick(s, &statuses, max_items)
        .into_par_iter()
        .for_each(|it| {
            if let Some(log) = it.log.as_deref_mut() {
                log.whole = whole_from_file(dir, log, max_lines, opts);
            }
        });
}

/// Every shown line of one log, grouped by module (see [`fill_whole_logs`]).
fn whole_from_file(
    dir: &Path,
    log: &ItemLog,
    max_lines: usize,
    opts: &ParseOptions,
) -> Option<WholeLog> {
    let f = open_log(dir, log)?;
    let mut w = WholeLog::default();
    let mut kept = 0usize;
    let mut view: LogView<_, fn(u64, &str) -> bool> = LogView::new(false, |e: &LogEntry<'_>| {
        if !e.shown() {
            return ControlFlow::Continue(());
        }
        if kept >= max_lines {
            w.more_lines += 1;
            return ControlFlow::Continue(());
        }
        kept += 1;
        let module = e.module.map(str::to_owned);
        match w.sections.last_mut() {
            Some(sec) if sec.module == module => sec.lines.push(line_of(e)),
            _ => w.sections.push(LogSection {
                module,
                lines: vec![line_of(e)],
            }),
        }
        ControlFlow::Continue(())
    });
    view.read(&log.file, f, opts).ok()?;
    drop(view);
    Some(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(log: &str, failed: bool) -> Excerpt {
        let mut c = Collector::new(failed);
        let mut v: LogView<_, fn(u64, &str) -> bool> =
            LogView::new(false, |e: &LogEntry<'_>| c.entry(e));
        v.read("t", log.as_bytes(), &ParseOptions::default())
            .unwrap();
        drop(v);
        c.finish().unwrap()
    }

    fn out(n: usize) -> String {
        format!("{{\"type\":\"out\",\"contents\":{{\"msg\":[\"line {n}\"]}}}}\n")
    }

    #[test]
    fn an_excerpt_keeps_error_groups_with_the_shown_lines_before_them() {
        let mut log = String::from(
            "{\"type\":\"control\",\"contents\":{\"action\":\"start_module\",\"msg\":[\"Mysql\"]}}\n",
        );
        for n in 0..6 {
            log.push_str(&out(n));
        }
        log.push_str(
            "{\"type\":\"control\",\"contents\":{\"action\":\"percentage\",\"percentage\":5}}\n",
        );
        log.push_str("{\"type\":\"error\",\"contents\":{\"msg\":[\"boom\"]}}\n");
        log.push_str("{\"type\":\"error\",\"contents\":{\"msg\":[\"again\"]}}\n");
        for n in 6..12 {
            log.push_str(&out(n));
        }
        log.push_str(&format!(
            "{{\"type\":\"failed\",\"contents\":{{\"msg\":[\"{}\"]}}}}\n",
            "x".repeat(400)
        ));
        let e = collect(&log, true);
        let texts: Vec<&str> = e
            .lines
            .iter()
            .map(|l| &l.text[..l.text.len().min(8)])
            .collect();
        assert_eq!(
            texts,
            [
                "line 3", "line 4", "line 5", "boom", "again", "line 9", "line 10", "line 11",
                "xxxxxxxx"
            ]
        );
        let gaps: Vec<bool> = e.lines.iter().map(|l| l.gap_before).collect();
        assert_eq!(
            gaps,
            [true, false, false, false, false, true, false, false, false]
        );
        assert_eq!(e.lines[3].module.as_deref(), Some("Mysql"));
        assert_eq!(
            e.lines[3].line, 9,
            "the percentage line is counted in line numbers"
        );
        assert_eq!(e.lines[8].text.chars().count(), EXCERPT_TEXT + 1);
        // A warned item's excerpt is about its warnings.
        let w =
            "{\"type\":\"out\",\"contents\":\"a\"}\n{\"type\":\"warn\",\"contents\":\"careful\"}\n";
        let e = collect(w, false);
        assert_eq!(e.lines.len(), 2);
        assert_eq!(e.lines[1].kind, EntryKind::Warn);
    }

    #[test]
    fn an_excerpt_has_at_most_three_groups_and_twelve_lines() {
        let mut log = String::new();
        for n in 0..40 {
            log.push_str(&out(n));
            log.push_str(&format!("{{\"type\":\"error\",\"contents\":\"e{n}\"}}\n"));
        }
        let e = collect(&log, true);
        assert!(e.lines.len() <= EXCERPT_LINES);
        assert_eq!(
            e.lines
                .iter()
                .filter(|l| l.kind == EntryKind::Error)
                .count(),
            3
        );
        let run: String = (0..20)
            .map(|n| format!("{{\"type\":\"error\",\"contents\":\"e{n}\"}}\n"))
            .collect();
        assert_eq!(collect(&run, true).lines.len(), EXCERPT_LINES);
    }

    #[test]
    fn kept_lines_make_an_excerpt_without_the_file() {
        let log = ItemLog {
            modules: vec![crate::model::Module {
                name: "Homedir".into(),
                start_line: Some(3),
                end_line: Some(9),
                ..Default::default()
            }],
            errors: vec![
                LogLine {
                    line: 5,
                    text: "disk".into(),
                },
                LogLine {
                    line: 6,
                    text: "full".into(),
                },
            ],
            result: Some(crate::model::LogResult {
                success: false,
                text: "Failed: disk".into(),
                line: 12,
            }),
            ..ItemLog::default()
        };
        let e = from_kept(&log, true).unwrap();
        assert!(!e.from_file);
        let got: Vec<(u64, Option<&str>, bool)> = e
            .lines
            .iter()
            .map(|l| (l.line, l.module.as_deref(), l.gap_before))
            .collect();
        assert_eq!(
            got,
            [
                (5, Some("Homedir"), true),
                (6, Some("Homedir"), false),
                (12, None, true)
            ]
        );
    }
}
