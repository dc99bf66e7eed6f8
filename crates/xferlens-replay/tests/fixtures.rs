//! Replay of every generated fixture session checked against its truth.

mod common;
use common::*;

#[test]
fn every_fixture_session_matches_its_truth() {
    let dir = fixtures().join("sessions");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let s = read(&path);
        check_against_truth(&s, &expected(&path));
        n += 1;
    }
    assert_eq!(n, 13);
}
