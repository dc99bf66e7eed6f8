//! A signal (Ctrl-C, SIGTERM, SIGHUP) during a run leaves no temporary
//! output file behind, and an older output stays as it was.

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn temporaries(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect()
}

#[test]
fn a_signal_removes_the_temporary_files_of_unfinished_outputs() {
    for (sig, name) in [
        (libc::SIGTERM, "TERM"),
        (libc::SIGINT, "INT"),
        (libc::SIGHUP, "HUP"),
    ] {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("events.csv");
        std::fs::write(&out, "an older output\n").unwrap();
        // `events` opens its output, then streams standard input into it:
        // with stdin held open, the run is caught mid-way.
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("xferlens"))
            .args(["events", "--quiet", "-o"])
            .arg(&out)
            .arg("-")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(b"{\"pid\":1,\"type\":\"control\",\"contents\":{\"action\":\"start\",\"child_number\":0,\"time\":100}}\n")
            .unwrap();
        stdin.flush().unwrap();
        let start = Instant::now();
        while temporaries(d.path()).is_empty() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "{name}: no temporary file appeared"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // SAFETY: sends a signal to the child just started.
        unsafe { libc::kill(child.id() as libc::pid_t, sig) };
        let status = child.wait().unwrap();
        drop(stdin);
        assert_eq!(status.signal(), Some(sig), "{name}: dies of the signal");
        assert!(
            temporaries(d.path()).is_empty(),
            "{name}: {:?}",
            temporaries(d.path())
        );
        assert_eq!(
            std::fs::read_to_string(&out).unwrap(),
            "an older output\n",
            "{name}"
        );
    }
}
