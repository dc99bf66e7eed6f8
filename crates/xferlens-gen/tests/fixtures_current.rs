//! The committed synthetic fixtures are exactly what the generator writes:
//! regenerate them into a temporary directory and compare byte for byte.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

fn files(root: &Path, sub: &str) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.join(sub)];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(root).unwrap().display().to_string();
                out.insert(rel, fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[test]
fn committed_fixtures_are_up_to_date() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let tmp = std::env::temp_dir().join(format!("xferlens-fixtures-{}", std::process::id()));
    let seed = fixtures.join("seed/vm5docscpanelcopya20140224163412sylG/master.log");
    xferlens_gen::write_fixtures(&tmp, &seed).unwrap();
    for sub in ["sessions", "logs"] {
        let want = files(&tmp, sub);
        let have = files(&fixtures, sub);
        assert_eq!(
            want.keys().collect::<Vec<_>>(),
            have.keys().collect::<Vec<_>>(),
            "run `cargo run -p xferlens-gen -- fixtures fixtures`"
        );
        for (k, v) in &want {
            assert!(
                have[k] == *v,
                "{k} differs: run `cargo run -p xferlens-gen -- fixtures fixtures`"
            );
        }
    }
    fs::remove_dir_all(&tmp).unwrap();
}
