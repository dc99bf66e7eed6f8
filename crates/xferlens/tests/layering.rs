//! The crates layer one way (parse <- replay <- report <- CLI), and no
//! files of a crate import each other, through a loop of any length:
//! docs/ARCHITECTURE.md. Read from the sources, so a change that points an
//! import back up fails here.

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
/// inside `use crate::{..}`, groups nested or not).
fn named(text: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // The group up to its closing brace; its paths are split at
            // the commas outside inner groups.
            let mut depth = 0;
            let mut start = 0;
            for (k, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        found.insert(first_segment(&group[start..k]));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.insert(first_segment(&group[start..k]));
                        start = k + 1;
                    }
                    _ => {}
                }
            }
        } else {
            found.insert(first_segment(rest));
        }
    }
    found.retain(|m| modules.contains(m));
    found
}

/// The first path segment of `path` (`b` of ` b::X`).
fn first_segment(path: &str) -> String {
    path.trim()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// Each crate's file import graph: module -> the modules it names.
type Graph = BTreeMap<String, BTreeSet<String>>;

/// The import graph of the files `src` (module name -> text).
fn graph(src: &BTreeMap<String, String>) -> Graph {
    let modules: BTreeSet<String> = src.keys().cloned().collect();
    src.iter()
        .map(|(m, text)| {
            let mut n = named(text, &modules);
            n.remove(m);
            (m.clone(), n)
        })
        .collect()
}

/// The strongly connected components of `g` with more than one module
/// (Tarjan's algorithm): each is a set of files that import each other
/// through a loop of some length.
fn loops(g: &Graph) -> Vec<Vec<String>> {
    struct Tarjan<'g> {
        g: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        out: Vec<Vec<String>>,
    }
    impl<'g> Tarjan<'g> {
        fn visit(&mut self, v: &'g str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.g.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.on_stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut scc = Vec::new();
                loop {
                    let w = self.stack.pop().unwrap();
                    self.on_stack.remove(w);
                    scc.push(w.to_owned());
                    if w == v {
                        break;
                    }
                }
                if scc.len() > 1 {
                    scc.sort();
                    self.out.push(scc);
                }
            }
        }
    }
    let mut t = Tarjan {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in g.keys() {
        if !t.index.contains_key(v.as_str()) {
            t.visit(v);
        }
    }
    t.out.sort();
    t.out
}

/// A shortest loop through the first module of `scc`, back to it
/// (breadth first, inside the component): `a.rs -> b.rs -> a.rs`.
fn a_loop(g: &Graph, scc: &[String]) -> String {
    let start = &scc[0];
    let inside: BTreeSet<&String> = scc.iter().collect();
    let mut came_from: BTreeMap<&String, &String> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    let mut last = None;
    while let Some(v) = queue.pop_front() {
        for w in g[v].iter().filter(|w| inside.contains(w)) {
            if w == start {
                last = Some(v);
                break;
            }
            if !came_from.contains_key(w) {
                came_from.insert(w, v);
                queue.push_back(w);
            }
        }
        if last.is_some() {
            break;
        }
    }
    let mut path = vec![start.as_str()];
    let mut v = last.expect("a component has a loop through each member");
    while v != start {
        path.push(v);
        v = came_from[v];
    }
    path.push(start);
    path.reverse();
    path.iter()
        .map(|m| format!("{m}.rs"))
        .collect::<Vec<_>>()
        .join(" -> ")
}

/// Every import loop of the crates' files, one line per strongly
/// connected component: its files and one loop through them.
fn import_loops(crates: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for krate in crates {
        let g = graph(&sources(krate));
        for scc in loops(&g) {
            let files: Vec<String> = scc.iter().map(|m| format!("{m}.rs")).collect();
            found.push(format!(
                "{krate}: {} import each other ({})",
                files.join(", "),
                a_loop(&g, &scc)
            ));
        }
    }
    found
}

#[test]
fn no_files_of_a_crate_import_each_other_through_a_loop() {
    let crates: Vec<&str> = LAYERS
        .iter()
        .map(|(k, _)| *k)
        .chain(["xferlens-gen"])
        .collect();
    let found = import_loops(&crates);
    assert!(found.is_empty(), "import loops:\n{}", found.join("\n"));
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
    let modules: BTreeSet<String> = ["a", "b", "c"].map(String::from).into();
    assert_eq!(
        named("use crate::{a::{X, Y}, b, c::Z as W};", &modules),
        modules
    );
    assert_eq!(
        without_tests("x\n#[cfg(test)]\nmod tests { fn t() { crate::b::y() } }\ny"),
        "x\n\ny"
    );
}

/// Loops of two, three and four files are found, each once, with a loop
/// through its files; a file that only leads into a loop, or a chain
/// without one, is in none.
#[test]
fn the_loop_finder_finds_loops_of_any_length() {
    let src = |files: &[(&str, &str)]| -> BTreeMap<String, String> {
        files
            .iter()
            .map(|(m, t)| (m.to_string(), t.to_string()))
            .collect()
    };
    let g = graph(&src(&[
        ("a", "use crate::b::X;"),
        ("b", "use crate::c::Y;"),
        ("c", "fn f() { crate::a::z() }"),
        ("d", "use crate::{a::X, e};"),
        ("e", "use crate::d::Y;"),
        ("f", "use crate::g::X;"),
        ("g", "use crate::h::X;"),
        ("h", "use crate::i::X;"),
        ("i", "use crate::f::X;"),
        ("j", "use crate::{a::X, k::Y};"),
        ("k", "use crate::l::X;"),
        ("l", "use crate::b::X;"),
    ]));
    let found = loops(&g);
    assert_eq!(
        found,
        [
            vec!["a", "b", "c"],
            vec!["d", "e"],
            vec!["f", "g", "h", "i"],
        ]
    );
    assert_eq!(a_loop(&g, &found[0]), "a.rs -> b.rs -> c.rs -> a.rs");
    assert_eq!(a_loop(&g, &found[1]), "d.rs -> e.rs -> d.rs");
    assert_eq!(
        a_loop(&g, &found[2]),
        "f.rs -> g.rs -> h.rs -> i.rs -> f.rs"
    );
    let chain = graph(&src(&[
        ("a", "use crate::b::X;"),
        ("b", "use crate::c::X;"),
        ("c", ""),
    ]));
    assert!(loops(&chain).is_empty());
}
