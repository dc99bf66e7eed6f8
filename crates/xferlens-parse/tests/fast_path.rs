//! The fast path reads what a full decode reads: every progress line the
//! scanner reads agrees with the decoder's event on each field
//! [`Progress`] carries and on its time, and every other line comes as the
//! decoder's own event. Checked over the item logs of generated sessions
//! of both line mixes (many key orders, escapes, Perl warnings) and over
//! every fixture log.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use xferlens_parse::*;

/// The item-log types replay skips (`xferlens_replay::ITEM_LOG_SKIP`).
const ITEM_LOG_SKIP: &[&str] = &["out", "debug", "header"];

/// Every delivered event and diagnostic, rendered. Events of progress
/// lines are rendered as [`Progress`] and time, whether decoded or read by
/// the scanner; the count of scanned ones is kept.
#[derive(Default, Debug, PartialEq)]
struct Rec(Vec<String>, bool, usize);

/// What a decoded event says as a progress line, if it is one.
fn as_progress<'a>(ev: &'a Event<'_>) -> Option<Progress<'a>> {
    let c = &ev.contents;
    let name = || match &c.msg {
        Some(Msg::Text(t)) => Some(&**t),
        Some(Msg::Lines(l)) => l.raw().strip_prefix("[\"")?.strip_suffix("\"]"),
        _ => None,
    };
    Some(match (&ev.kind, &c.action) {
        (MsgType::Control, Some(Action::Percentage)) => Progress::Percentage(c.percentage?),
        (MsgType::Control, Some(Action::StartModule)) => Progress::StartModule(name()?),
        (MsgType::Control, Some(Action::EndModule)) => Progress::EndModule,
        (MsgType::Control, Some(Action::StartAction)) => Progress::StartAction(name()?),
        (MsgType::Control, Some(Action::EndAction)) => Progress::EndAction,
        (MsgType::ModuleStatus, _) => Progress::ModuleStatus {
            module: c.module.as_deref()?,
            status: c.status?,
            statusmsg: c.statusmsg.as_deref(),
        },
        _ => return None,
    })
}

impl EventSink for Rec {
    fn event(&mut self, pos: Position, ev: &mut Event<'_>) -> ControlFlow<()> {
        let line = match as_progress(ev) {
            Some(p) => format!("E{}:{:?}:{:?}", pos.line, p, ev.contents.time),
            None => format!("E{}:{:?}", pos.line, ev),
        };
        self.0.push(line);
        ControlFlow::Continue(())
    }
    fn takes_progress(&self) -> bool {
        self.1
    }
    fn progress(&mut self, pos: Position, p: &ProgressLine<'_>) -> ControlFlow<()> {
        self.2 += 1;
        self.0
            .push(format!("E{}:{:?}:{:?}", pos.line, p.progress, p.time()));
        ControlFlow::Continue(())
    }
    fn diagnostic(&mut self, d: Diagnostic) -> ControlFlow<()> {
        self.0.push(format!("D{d}"));
        ControlFlow::Continue(())
    }
}

/// Passes on everything but events of the skipped types.
struct Filter<'r>(&'r mut Rec);

impl EventSink for Filter<'_> {
    fn event(&mut self, pos: Position, ev: &mut Event<'_>) -> ControlFlow<()> {
        if matches!(ev.kind, MsgType::Out | MsgType::Debug | MsgType::Header) {
            return ControlFlow::Continue(());
        }
        self.0.event(pos, ev)
    }
    fn diagnostic(&mut self, d: Diagnostic) -> ControlFlow<()> {
        self.0.diagnostic(d)
    }
    fn takes_progress(&self) -> bool {
        self.0.takes_progress()
    }
    fn progress(&mut self, pos: Position, p: &ProgressLine<'_>) -> ControlFlow<()> {
        self.0.progress(pos, p)
    }
}

/// Parses `data` on the fast path and fully, and compares all but the
/// events of skipped types (the fast path delivers those only when it
/// cannot scan the line, e.g. one of invalid UTF-8; other tests cover
/// skipping). Returns how many progress lines the scanner read.
fn compare(name: &str, data: &[u8]) -> usize {
    let fast = ParseOptions {
        skip_types: ITEM_LOG_SKIP,
        ..ParseOptions::default()
    };
    let full = ParseOptions {
        validate_all: true,
        ..fast.clone()
    };
    let (mut a, mut b) = (Rec(Vec::new(), true, 0), Rec::default());
    parse_slice(name, data, Filter(&mut a), &fast);
    parse_slice(name, data, Filter(&mut b), &full);
    for (x, y) in a.0.iter().zip(&b.0) {
        assert_eq!(x, y, "{name}: fast path and decoder differ");
    }
    assert_eq!(a.0.len(), b.0.len(), "{name}: event counts differ");
    a.2
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn generated_item_logs_of_both_mixes_read_alike() {
    for profile in [
        xferlens_gen::Profile::Generator,
        xferlens_gen::Profile::Realistic,
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let o = xferlens_gen::GenOptions {
            seed: 7,
            accounts: 40,
            lines_per_item: 30,
            scenario: xferlens_gen::Scenario::Mixed,
            write_expected: false,
            profile,
            ..xferlens_gen::GenOptions::default()
        };
        let ex = xferlens_gen::generate_session(dir.path(), &o).expect("generate");
        let mut files = Vec::new();
        files_under(&dir.path().join(&ex.id), &mut files);
        let mut events = 0;
        for f in files
            .iter()
            .filter(|p| p.to_string_lossy().contains("item-"))
        {
            let data = std::fs::read(f).expect("read");
            events += compare(&f.display().to_string(), &data);
        }
        // Not a vacuous comparison: progress lines were delivered.
        assert!(events > 500, "{profile:?}: only {events} events compared");
    }
}

#[test]
fn fixture_logs_read_alike() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let mut files = Vec::new();
    files_under(&root, &mut files);
    let mut compared = 0;
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".gz")
            || name.ends_with(".json")
            || name.ends_with(".md")
            || name.ends_with(".tar")
        {
            continue;
        }
        let data = std::fs::read(&f).expect("read");
        compare(&f.display().to_string(), &data);
        compared += 1;
    }
    assert!(compared > 20, "only {compared} fixture files");
}
