//! Property: on any generated session (any seed, scenario, size), replay
//! reconstructs exactly what the generator wrote, and does so the same way
//! every time.

mod common;
use common::*;
use proptest::prelude::*;
use xferlens_gen::{generate_session, GenOptions, Scenario};

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn replay_matches_generator_truth(
        seed in any::<u64>(),
        sc in 0usize..Scenario::ALL.len(),
        accounts in 1usize..12,
        workers in 1usize..5,
        lines in 1usize..40,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let o = GenOptions {
            seed,
            accounts,
            workers,
            lines_per_item: lines,
            scenario: Scenario::ALL[sc],
            ..GenOptions::default()
        };
        let ex = generate_session(dir.path(), &o).unwrap();
        let path = dir.path().join(&ex.id);
        let s = read(&path);
        check_against_truth(&s, &ex);
        // Deterministic: a second replay (sequential this time) is identical.
        let opts = xferlens_replay::ReadOptions { sequential: true, ..Default::default() };
        let again = xferlens_replay::read_session_dir(&path, None, &opts).unwrap();
        prop_assert_eq!(format!("{:?}", s), format!("{:?}", again));
        // The fast path (ignored item-log lines only scanned) changes nothing.
        let mut full = xferlens_replay::ReadOptions::default();
        full.parse.item_log_skip = &[];
        let slow = xferlens_replay::read_session_dir(&path, None, &full).unwrap();
        prop_assert_eq!(format!("{:?}", s), format!("{:?}", slow));
    }
}
