//! The symlink swap race: while another thread keeps swapping an item log
//! between a regular file and a symlink to a secret file, reading the
//! session must never show the secret's content. Files inside a session
//! directory are opened with O_NOFOLLOW and checked with fstat on the
//! open descriptor, so there is no window between a check and the open.
//! (Before, `check` printed /etc/passwd lines in 595 of 4,206 runs.)

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use xferlens_replay::{read_session_dir, ReadOptions};

fn ctl(contents: &str) -> String {
    format!("{{\"pid\":1,\"type\":\"control\",\"contents\":{{{contents}}}}}\n")
}

const ITEM: &str = "item-TRANSFER_AccountRemoteRoot_bob";

fn swap_forever(dir: &Path, secret: &Path, stop: &AtomicBool, swaps: &AtomicU64) {
    let real = ctl(r#""action":"percentage","msg":50"#)
        + "{\"pid\":1,\"type\":\"error\",\"contents\":{\"msg\":[\"an honest error\"]}}\n";
    let (tmp_file, tmp_link) = (dir.join(".swap-file"), dir.join(".swap-link"));
    while !stop.load(Ordering::Relaxed) {
        std::fs::write(&tmp_file, &real).unwrap();
        std::fs::rename(&tmp_file, dir.join(ITEM)).unwrap();
        let _ = std::fs::remove_file(&tmp_link);
        std::os::unix::fs::symlink(secret, &tmp_link).unwrap();
        std::fs::rename(&tmp_link, dir.join(ITEM)).unwrap();
        swaps.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn swapping_an_item_log_for_a_symlink_never_leaks() {
    let tmp = tempfile::tempdir().unwrap();
    let secret = tmp.path().join("secret");
    std::fs::write(
        &secret,
        "{\"pid\":1,\"type\":\"error\",\"contents\":{\"msg\":[\"SECRET-MARKER\"]}}\nSECRET-MARKER plain line\n",
    )
    .unwrap();
    let dir = tmp.path().join("sess");
    std::fs::create_dir(&dir).unwrap();
    let mut m = ctl(r#""action":"start","child_number":0,"time":100"#);
    m += &ctl(
        r#""action":"start","queue":"TRANSFER","item":"bob","item_type":"AccountRemoteRoot","child_number":1,"time":101"#,
    );
    std::fs::write(dir.join("master.log"), m).unwrap();
    std::fs::write(dir.join(ITEM), "").unwrap();

    let stop = AtomicBool::new(false);
    let swaps = AtomicU64::new(0);
    let (mut reads, mut refused, mut honest) = (0u64, 0u64, 0u64);
    std::thread::scope(|s| {
        s.spawn(|| swap_forever(&dir, &secret, &stop, &swaps));
        // Three seconds, and on a loaded machine (where few reads meet the
        // real file) on until both sides of the race were met, up to 60.
        let start = Instant::now();
        let done = |refused: u64, honest: u64| {
            let t = start.elapsed();
            t >= Duration::from_secs(60)
                || (t >= Duration::from_secs(3) && refused > 0 && honest > 0)
        };
        while !done(refused, honest) {
            let session = read_session_dir(&dir, None, &ReadOptions::default()).unwrap();
            let text = format!("{session:?}");
            let d: Vec<String> = session.diagnostics.iter().map(|d| d.to_string()).collect();
            if text.contains("SECRET") || d.iter().any(|l| l.contains("SECRET")) {
                stop.store(true, Ordering::Relaxed);
                panic!("the secret leaked on read {reads}: {d:?}");
            }
            reads += 1;
            refused += u64::from(d.iter().any(|l| l.contains("symbolic link")));
            honest += u64::from(text.contains("an honest error"));
        }
        stop.store(true, Ordering::Relaxed);
    });
    let swaps = swaps.load(Ordering::Relaxed);
    eprintln!("{reads} reads, {swaps} swaps: {refused} met the symlink, {honest} the real file");
    assert!(swaps > 10, "the swapper ran");
    assert!(
        refused > 0,
        "the race was exercised: some reads met the symlink"
    );
    assert!(honest > 0, "and some read the real file");
}
