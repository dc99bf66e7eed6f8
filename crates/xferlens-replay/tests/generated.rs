//! Property: on any generated session (any seed, scenario, size), replay
//! reconstructs exactly what the generator wrote, and does so the same way
//! every time.
//!
//! CI runs 96 random sessions; set `XFERLENS_CASES` to run more, e.g.
//! `XFERLENS_CASES=5000 cargo test --release -p xferlens-replay --test generated`.

mod common;
use common::*;
use proptest::prelude::*;
use xferlens_gen::{generate_session, GenOptions, Scenario};

/// Random sessions per run: 96, or `XFERLENS_CASES`.
fn cases() -> u32 {
    std::env::var("XFERLENS_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(96)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

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
        full.parse.validate_all = true;
        let slow = xferlens_replay::read_session_dir(&path, None, &full).unwrap();
        prop_assert_eq!(format!("{:?}", s), format!("{:?}", slow));
    }
}

/// The realistic line mix (random key orders, escapes, Perl warnings,
/// action-heavy restores) reads to the same truth, on the fast path and
/// in full.
#[test]
fn realistic_profile_matches_generator_truth() {
    for (n, sc) in Scenario::ALL.into_iter().enumerate() {
        // Short item logs too: restore modules with fewer lines than
        // actions (the generator once lost count of their actions).
        for (seed, lines) in [(1u64, 400), (2, 400)]
            .into_iter()
            .chain((3..5).flat_map(|s| (2..14).map(move |l| (s, l))))
        {
            let dir = tempfile::tempdir().unwrap();
            let o = GenOptions {
                seed: seed * 100 + n as u64,
                accounts: 6,
                workers: 2,
                lines_per_item: lines,
                scenario: sc,
                profile: xferlens_gen::Profile::Realistic,
                ..GenOptions::default()
            };
            let ex = generate_session(dir.path(), &o).unwrap();
            let path = dir.path().join(&ex.id);
            let s = read(&path);
            check_against_truth(&s, &ex);
            let mut full = xferlens_replay::ReadOptions::default();
            full.parse.validate_all = true;
            let slow = xferlens_replay::read_session_dir(&path, None, &full).unwrap();
            assert_eq!(format!("{s:?}"), format!("{slow:?}"), "{sc:?} {seed}");
        }
    }
}
