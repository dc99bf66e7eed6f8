//! The crates layer one way (parse <- replay <- report <- CLI), and no two
//! files of a crate import each other: docs/ARCHITECTURE.md. Read from
//! the sources, so a change that points an import back up fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The workspace root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The library crates, lowest first, with the name their code uses.
const LAYERS: [(&str, &str); 4] = [
    ("xferlens-parse", "xferlens_parse"),
    ("xferlens-replay", "xferlens_replay"),
    ("xferlens-report", "xferlens_report"),
    ("xferlens", "xferlens"),
];

/// The source files of a crate's `src`, by module name (`a/b.rs` is
/// `a`), without their `#[cfg(test)] mod tests { .. }` blocks.
fn sources(krate: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![root().join("crates").join(krate).join("src")];
    while let Some(d) = dirs.pop() {
        for e in fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p
                    .strip_prefix(root().join("crates").join(krate).join("src"))
                    .unwrap();
                let module = rel
                    .components()
                    .next()
                    .unwrap()
                    .as_os_str()
                    .to_string_lossy()
                    .trim_end_matches(".rs")
                    .to_owned();
                let text = without_tests(&fs::read_to_string(&p).unwrap());
                out.entry(module)
                    .or_insert_with(String::new)
                    .push_str(&text);
            }
        }
    }
    out
}

/// `src` without its test modules.
fn without_tests(src: &str) -> String {
    let mut s = src.to_owned();
    while let Some(i) = s.find("#[cfg(test)]\nmod tests") {
        let open = i + s[i..].find('{').unwrap();
        let mut depth = 0;
        let mut end = open;
        for (k, c) in s[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + k;
                        break;
                    }
                }
                _ => {}
            }
        }
        s.replace_range(i..=end, "");
    }
    s
}

/// The modules of the same crate that `text` names (`crate::x`, or `x`
/// inside `use crate::{..}`).
fn named(text: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for part in group.split(',') {
                let name = part.trim().split("::").next().unwrap_or("");
                found.insert(name.to_owned());
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            found.insert(name);
        }
    }
    found.retain(|m| modules.contains(m));
    found
}

#[test]
fn no_two_files_of_a_crate_import_each_other() {
    let mut loops = Vec::new();
    for (krate, _) in LAYERS.iter().chain(&[("xferlens-gen", "xferlens_gen")]) {
        let src = sources(krate);
        let modules: BTreeSet<String> = src.keys().cloned().collect();
        let uses: BTreeMap<&String, BTreeSet<String>> = src
            .iter()
            .map(|(m, text)| {
                let mut n = named(text, &modules);
                n.remove(m);
                (m, n)
            })
            .collect();
        for (a, names) in &uses {
            for b in names {
                if a.as_str() < b.as_str() && uses[b].contains(a.as_str()) {
                    loops.push(format!("{krate}: {a}.rs <-> {b}.rs"));
                }
            }
        }
    }
    assert!(loops.is_empty(), "import loops: {loops:?}");
}

#[test]
fn no_crate_imports_a_crate_above_it() {
    let mut up = Vec::new();
    for (i, (krate, _)) in LAYERS.iter().enumerate() {
        let manifest =
            fs::read_to_string(root().join("crates").join(krate).join("Cargo.toml")).unwrap();
        let deps = manifest.split("[dev-dependencies]").next().unwrap();
        for (above, name) in &LAYERS[i + 1..] {
            if deps.contains(&format!("{above}.workspace")) || deps.contains(&format!("{above} ="))
            {
                up.push(format!("{krate} depends on {above}"));
            }
            for (m, text) in sources(krate) {
                if text.contains(&format!("{name}::")) {
                    up.push(format!("{krate}/{m}.rs names {name}"));
                }
            }
        }
    }
    assert!(up.is_empty(), "imports pointing up: {up:?}");
}

#[test]
fn the_loop_finder_finds_a_loop() {
    let modules: BTreeSet<String> = ["a", "b"].map(String::from).into();
    assert_eq!(
        named("use crate::{b::X, c};\nfn f() { crate::a::g() }", &modules),
        modules
    );
    assert_eq!(
        without_tests("x\n#[cfg(test)]\nmod tests { fn t() { crate::b::y() } }\ny"),
        "x\n\ny"
    );
}
