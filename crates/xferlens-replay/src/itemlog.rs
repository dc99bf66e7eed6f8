//! Replay of one item log into an [`ItemLog`]: percentage timeline,
//! modules, error and warning lines, result and restore summary.
//!
//! Memory is bounded per log: the percentage timeline keeps one entry per
//! change (at most a few hundred in practice; capped), and only the first
//! [`LOG_LINES_KEEP`] error and warning lines are kept (all are counted).
//! `out` lines, the bulk of an item log, are not decoded beyond their type.

use std::borrow::Cow;
use std::ops::ControlFlow;

use xferlens_parse::{
    Action, DetailLists, Diagnostic, DiagnosticKind, Event, EventSink, Msg, MsgType, Position,
    Progress, ProgressLine,
};

use std::sync::Arc;

use crate::limits::{self, DiagnosticBudget, Keep};
use crate::model::{
    ItemLog, LogLine, LogResult, Module, ModuleAction, ModuleState, StartLine, Volume,
    LOG_LINES_KEEP,
};

/// Item-log line types that item-log replay does not read (the bulk of the
/// volume): checked as whole objects, not decoded.
pub const ITEM_LOG_SKIP: &[&str] = &["out", "debug", "header"];

/// Most percentage changes kept per item log.
pub const PERCENT_KEEP: usize = 1000;

/// Replays one item log.
#[derive(Debug, Default)]
pub struct ItemLogReplay {
    log: ItemLog,
    /// Diagnostics of this file (parser and replay).
    pub diagnostics: Vec<Diagnostic>,
    keep: Keep,
    partial: Option<(MsgType<'static>, LogLine)>,
    module_stack: Vec<usize>,
    /// Modules not kept past [`limits::MODULES_MAX`].
    modules_dropped: u64,
    /// Open actions: (module index, action index), innermost last.
    action_stack: Vec<(usize, usize)>,
    /// Actions not kept past [`limits::ACTIONS_MAX`].
    actions_dropped: u64,
    /// Percentage lines' times are not taken for the log's first and last
    /// time (nor read from progress lines): beside a master log, whose
    /// times are the session's, that saves a search per percentage line.
    skip_percentage_times: bool,
}

/// The text of a line, cut to `max` bytes.
fn msg_text(ev: &Event<'_>, max: usize) -> String {
    if let Some(m) = &ev.contents.msg {
        if let Some(t) = m.joined_clipped("", max) {
            return t;
        }
    }
    limits::clip(ev.contents.text.as_deref().unwrap_or_default(), max)
}

impl ItemLogReplay {
    /// Leaves percentage lines' times out of the log's first and last
    /// time (an item log read beside its master).
    pub fn without_percentage_times(mut self) -> ItemLogReplay {
        self.skip_percentage_times = true;
        self
    }

    /// A replay of the file named `file` (as found), `active` if dot-named,
    /// read from `path` (for messages).
    pub fn new(file: &str, path: &str, active: bool) -> ItemLogReplay {
        ItemLogReplay {
            log: ItemLog {
                file: file.to_owned(),
                path: path.to_owned(),
                active,
                ..ItemLog::default()
            },
            ..ItemLogReplay::default()
        }
    }

    /// A replay whose diagnostics also count against a session's shared
    /// budget.
    pub(crate) fn with_budget(
        file: &str,
        path: &str,
        active: bool,
        budget: Arc<DiagnosticBudget>,
    ) -> ItemLogReplay {
        ItemLogReplay {
            keep: Keep::new(Some(budget)),
            ..ItemLogReplay::new(file, path, active)
        }
    }

    fn push_line(&mut self, kind: MsgType<'static>, line: LogLine) {
        let (list, count) = match kind {
            MsgType::Error => (&mut self.log.errors, &mut self.log.error_count),
            _ => (&mut self.log.warnings, &mut self.log.warning_count),
        };
        *count += 1;
        if list.len() < LOG_LINES_KEEP {
            list.push(line);
        }
    }

    fn flush_partial(&mut self) {
        if let Some((kind, line)) = self.partial.take() {
            self.push_line(kind, line);
        }
    }

    /// Adds a module while the module budget lasts.
    fn push_module(&mut self, m: Module) -> Option<usize> {
        if self.log.modules.len() >= limits::MODULES_MAX {
            self.modules_dropped += 1;
            return None;
        }
        self.log.modules.push(m);
        Some(self.log.modules.len() - 1)
    }

    fn module_named(&mut self, name: &str) -> Option<usize> {
        match self.log.modules.iter().rposition(|m| m.name == name) {
            Some(i) => Some(i),
            None => self.push_module(Module {
                name: name.to_owned(),
                ..Module::default()
            }),
        }
    }

    /// Replays one line; `summary` is the line's summary lists, taken out
    /// of the event.
    fn on_event(&mut self, pos: Position, ev: &Event<'_>, summary: Option<Box<DetailLists>>) {
        let c = &ev.contents;
        // Times from the lines every reading path decodes the same way:
        // not the bulk lines the fast path only scans, nor percentages
        // when their times were not asked for.
        let bulk = matches!(ev.kind, MsgType::Out | MsgType::Debug | MsgType::Header)
            || (self.skip_percentage_times && matches!(c.action, Some(Action::Percentage)));
        if let Some(t) = c.time.filter(|_| !bulk) {
            self.log.first_time = Some(self.log.first_time.map_or(t, |f| f.min(t)));
            self.log.last_time = Some(self.log.last_time.map_or(t, |l| l.max(t)));
        }
        match &ev.kind {
            MsgType::Out | MsgType::Debug | MsgType::Header => {}
            MsgType::Warn | MsgType::Error => {
                let kind = if ev.kind == MsgType::Error {
                    MsgType::Error
                } else {
                    MsgType::Warn
                };
                let text = msg_text(ev, limits::TEXT_MAX);
                match &mut self.partial {
                    Some((k, line)) if *k == kind => {
                        // A message written in parts stays within the text budget.
                        if line.text.len() < limits::TEXT_MAX {
                            line.text.push_str(&text);
                            limits::clip_owned(&mut line.text, limits::TEXT_MAX);
                        }
                    }
                    _ => {
                        self.flush_partial();
                        self.partial = Some((
                            kind,
                            LogLine {
                                line: pos.line,
                                text,
                            },
                        ));
                    }
                }
                if !ev.partial {
                    self.flush_partial();
                }
            }
            MsgType::Start if self.log.title.is_none() => {
                let title = msg_text(ev, limits::TEXT_MAX);
                self.log.start = start_words(&title);
                self.log.title = Some(title);
            }
            MsgType::Success | MsgType::Failed => {
                self.log.complete = true;
                self.log.result = Some(LogResult {
                    success: ev.kind == MsgType::Success,
                    text: msg_text(ev, limits::TEXT_MAX),
                    line: pos.line,
                });
            }
            MsgType::ModuleStatus => {
                let name = limits::name(c.module.as_deref().unwrap_or("?"));
                if let Some(i) = self.module_named(&name) {
                    let m = &mut self.log.modules[i];
                    // A status that is null, empty or missing is false
                    // to Perl, and a false status is a failed module
                    // (AccountRestoration.pm `_run_restore_modules`:
                    // `return ( $ok, $msg ) if !$ok`).
                    m.status = Some(c.status.unwrap_or(0));
                    m.statusmsg = c.statusmsg.as_deref().map(limits::text);
                }
            }
            MsgType::Control => match ev.action() {
                Some(Action::Percentage) => {
                    if let Some(p) = c
                        .percentage
                        .or_else(|| c.msg.as_ref().and_then(Msg::as_u64).map(|n| n as f64))
                    {
                        if self.log.last_percentage != Some(p)
                            && self.log.percentages.len() < PERCENT_KEEP
                        {
                            self.log.percentages.push((pos.line, p));
                        }
                        self.log.last_percentage = Some(p);
                    }
                }
                Some(Action::StartModule) => {
                    let name = msg_text(ev, limits::NAME_MAX);
                    let m = Module {
                        name,
                        start_line: Some(pos.line),
                        started_at: c.time,
                        ..Module::default()
                    };
                    if let Some(i) = self.push_module(m) {
                        self.module_stack.push(i);
                    }
                }
                Some(Action::EndModule) => {
                    if let Some(i) = self.module_stack.pop() {
                        // Actions left open in it stay open (no end line).
                        self.action_stack.retain(|&(m, _)| m != i);
                        let m = &mut self.log.modules[i];
                        m.end_line = Some(pos.line);
                        m.finished_at = c.time;
                    }
                }
                Some(Action::StartAction) => {
                    let Some(&mi) = self.module_stack.last() else {
                        return; // an action outside any module: nothing to nest it in
                    };
                    let actions = &mut self.log.modules[mi].actions;
                    if actions.len() >= limits::ACTIONS_MAX {
                        self.actions_dropped += 1;
                        return;
                    }
                    actions.push(ModuleAction {
                        name: msg_text(ev, limits::NAME_MAX),
                        start_line: pos.line,
                        started_at: c.time,
                        ..ModuleAction::default()
                    });
                    self.action_stack.push((mi, actions.len() - 1));
                }
                Some(Action::EndAction) => {
                    if let Some((mi, ai)) = self.action_stack.pop() {
                        let a = &mut self.log.modules[mi].actions[ai];
                        a.end_line = Some(pos.line);
                        a.finished_at = c.time;
                    }
                }
                Some(Action::Summary) => {
                    let mut summary = summary.map(|s| *s);
                    let cut = summary.as_mut().map_or(0, limits::clip_details);
                    if cut > 0 && self.keep.admit(self.diagnostics.len()) {
                        self.diagnostics.push(crate::limits::file_diagnostic(
                            &self.log.path,
                            "details-truncated",
                            format!(
                                "line {}: {cut} summary records not kept (at most {} per list)",
                                pos.line,
                                limits::DETAILS_MAX
                            ),
                        ));
                    }
                    self.log.summary = summary.map(std::sync::Arc::new);
                }
                _ => {}
            },
            _ => {}
        }
    }

    /// Ends the replay, with the file's parse facts.
    pub fn finish(mut self, volume: Volume) -> (ItemLog, Vec<Diagnostic>) {
        self.flush_partial();
        self.log.volume = volume;
        for (what, max, dropped) in [
            ("modules", limits::MODULES_MAX, self.modules_dropped),
            (
                "actions in a module",
                limits::ACTIONS_MAX,
                self.actions_dropped,
            ),
        ] {
            if dropped > 0 {
                let d = limits::over_budget(&self.log.path, what, max, dropped);
                self.diagnostics.push(d);
            }
        }
        for m in &mut self.log.modules {
            m.state = module_state(m, false);
        }
        if let Some(d) = self.keep.notice(&self.log.path) {
            self.diagnostics.push(d);
        }
        (self.log, self.diagnostics)
    }
}

/// The quoted words of a `start` line's text: three ("Starting “QUEUE”
/// for “Label” “item”.") or four for a renamed item ("… “item” →
/// “local”."), as Whostmgr/Transfers/Session/Item.pm `start` writes them.
/// `None`: any other text.
pub fn start_words(text: &str) -> Option<StartLine> {
    let quoted: Vec<&str> = text
        .split('“')
        .skip(1)
        .filter_map(|p| p.split_once('”').map(|(w, _)| w))
        .collect();
    let (queue, label, item, local) = match quoted[..] {
        [q, l, i] => (q, l, i, None),
        [q, l, i, local] => (q, l, i, Some(local)),
        _ => return None,
    };
    if [queue, label, item].iter().any(|w| w.is_empty()) {
        return None;
    }
    Some(StartLine {
        queue: limits::name(queue),
        label: limits::name(label),
        item: limits::name(item),
        local_item: local
            .filter(|l| !l.is_empty() && *l != item)
            .map(limits::name),
    })
}

/// A module's state from its lines; `item_running` says whether a module
/// that never ended is still in progress.
pub(crate) fn module_state(m: &Module, item_running: bool) -> ModuleState {
    match (m.status, m.end_line) {
        (Some(0), _) => ModuleState::Failed,
        (Some(_), _) => ModuleState::Success,
        (None, Some(_)) => ModuleState::Ended,
        (None, None) if item_running => ModuleState::Running,
        (None, None) => ModuleState::Unfinished,
    }
}

/// A progress line as the event [`ItemLogReplay::on_event`] reads: only
/// the fields replay uses. Its time is read unless it is a percentage
/// line's and those are not wanted.
fn progress_event<'a>(p: &ProgressLine<'a>, percentage_times: bool) -> Event<'a> {
    let mut ev = Event {
        kind: MsgType::Control,
        ..Event::default()
    };
    let c = &mut ev.contents;
    let text = |name| Some(Msg::Text(Cow::Borrowed(name)));
    match p.progress {
        Progress::Percentage(v) => {
            c.action = Some(Action::Percentage);
            c.percentage = Some(v);
        }
        Progress::StartModule(name) => (c.action, c.msg) = (Some(Action::StartModule), text(name)),
        Progress::EndModule => c.action = Some(Action::EndModule),
        Progress::StartAction(name) => (c.action, c.msg) = (Some(Action::StartAction), text(name)),
        Progress::EndAction => c.action = Some(Action::EndAction),
        Progress::ModuleStatus {
            module,
            status,
            statusmsg,
        } => {
            ev.kind = MsgType::ModuleStatus;
            c.module = Some(Cow::Borrowed(module));
            c.status = Some(status);
            c.statusmsg = statusmsg.map(Cow::Borrowed);
        }
    }
    if percentage_times || !matches!(p.progress, Progress::Percentage(_)) {
        c.time = p.time();
    }
    ev
}

impl EventSink for ItemLogReplay {
    fn takes_progress(&self) -> bool {
        true
    }

    fn takes_lines(&self) -> bool {
        true
    }

    /// A line that does not open with `{` is the stderr of a program or a
    /// Perl `warn` that cPanel sent into the log (Session.pm
    /// `exec_with_output_directed_to_fh`): one of the item's error lines,
    /// never a diagnostic (docs/FORMAT.md, "Item logs").
    fn line(&mut self, pos: Position, text: &str) -> bool {
        if !crate::logview::is_stderr_text(text) {
            return true;
        }
        self.flush_partial();
        self.log.stderr_lines += 1;
        let text = limits::clip(text.trim(), limits::TEXT_MAX);
        self.push_line(
            MsgType::Error,
            LogLine {
                line: pos.line,
                text,
            },
        );
        false
    }

    fn progress(&mut self, pos: Position, line: &ProgressLine<'_>) -> ControlFlow<()> {
        let ev = progress_event(line, !self.skip_percentage_times);
        self.on_event(pos, &ev, None);
        ControlFlow::Continue(())
    }

    fn event(&mut self, pos: Position, ev: &mut Event<'_>) -> ControlFlow<()> {
        // The summary lists are the decoder's own: taken, not copied (they
        // are long: dozens of records on some restores).
        let summary = match ev.action() {
            Some(Action::Summary) => ev.contents.summary.take(),
            _ => None,
        };
        self.on_event(pos, ev, summary);
        ControlFlow::Continue(())
    }

    fn diagnostic(&mut self, d: Diagnostic) -> ControlFlow<()> {
        // A file still being written ends mid-line by nature: its
        // unterminated last line is the writer's next line, not damage
        // (docs/FORMAT.md, "A leading dot").
        if self.log.active && d.kind == DiagnosticKind::PartialLine {
            return ControlFlow::Continue(());
        }
        if d.kind.line_skipped() {
            self.log.skipped_lines += 1;
        }
        if self.keep.admit(self.diagnostics.len()) {
            self.diagnostics.push(d);
        }
        ControlFlow::Continue(())
    }
}
