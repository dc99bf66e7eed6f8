//! `--target-bytes` sizes what the generator writes to within a few
//! percent, for one session and for a fleet.

use xferlens_gen::{
    generate_fleet, generate_session, lines_for_target, FleetOptions, GenOptions, Scenario,
};

fn within(actual: u64, target: u64, percent: f64) -> bool {
    (actual as f64 - target as f64).abs() <= target as f64 * percent / 100.0
}

#[test]
fn a_session_lands_near_its_target() {
    for (accounts, scenario, target) in [
        (40, Scenario::Mixed, 6_000_000u64),
        (3, Scenario::Clean, 2_000_000),
        (25, Scenario::OldFormat, 4_000_000),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut o = GenOptions {
            seed: 5,
            accounts,
            scenario,
            ..GenOptions::default()
        };
        o.lines_per_item = lines_for_target(&o, target).unwrap();
        let e = generate_session(dir.path(), &o).unwrap();
        assert!(
            within(e.bytes, target, 5.0),
            "{scenario:?}: {} bytes for a target of {target}",
            e.bytes
        );
    }
}

#[test]
fn a_fleet_lands_near_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let f = FleetOptions {
        sessions: 40,
        seed: 9,
        target_bytes: 8_000_000,
        accounts: 6,
        retries: 0.25,
        profile: xferlens_gen::Profile::Generator,
    };
    let total: u64 = generate_fleet(dir.path(), &f)
        .unwrap()
        .iter()
        .map(|e| e.bytes)
        .sum();
    assert!(within(total, f.target_bytes, 3.0), "{total} bytes");
}
