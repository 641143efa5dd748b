//! The layering rule of docs/architecture.md, checked on the source: every top-level module
//! of `src/` belongs to one layer, and no file reaches (through a `crate::` path) into a
//! module of a higher layer; the modules' graph has no cycle either. A separate, small test
//! binary: it reads files and needs no database or server.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, bottom to top. A module may use its own layer and those below it.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "leaves",
        &[
            "util",
            "domain",
            "metrics",
            "media",
            "storage",
            "scratch",
            "transcribe",
        ],
    ),
    ("db", &["db"]),
    (
        "services",
        &[
            "accounts", "export", "imports", "ingest", "jobs", "journals", "reels", "search",
            "sweep", "semantic", "uploads",
        ],
    ),
    (
        "http",
        &[
            "api",
            "middleware",
            "routes",
            "web",
            "studio",
            "connections",
            "server",
        ],
    ),
    ("wiring", &["cli", "config", "lib", "main"]),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS
        .iter()
        .position(|(_, modules)| modules.contains(&module))
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The top-level module a file belongs to: `src/db/jobs.rs` → `db`, `src/server.rs` →
/// `server`, `src/lib.rs` → `lib`.
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).expect("a file under src");
    let first = relative
        .components()
        .next()
        .expect("a path")
        .as_os_str()
        .to_string_lossy()
        .into_owned();
    first.trim_end_matches(".rs").to_string()
}

/// The code of a file without its comments (line comments and doc comments), so that prose
/// naming a path does not count as a use of it.
fn code_of(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules a piece of code names through `crate::`: `crate::db::jobs` and
/// `use crate::{db::jobs, media}` alike.
fn referenced_modules(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let preceded_by_ident = rest[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        rest = &rest[at + "crate::".len()..];
        if preceded_by_ident {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0usize;
            let mut item = String::new();
            let mut items = Vec::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => items.push(std::mem::take(&mut item)),
                    _ if depth == 0 => item.push(c),
                    _ => {}
                }
            }
            items.push(item);
            for item in items {
                let name = leading_ident(item.trim());
                if !name.is_empty() && name != "self" {
                    found.insert(name);
                }
            }
        } else {
            let name = leading_ident(rest);
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found
}

fn leading_ident(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// A cycle among the modules' arrows, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, graph, &mut Vec::new(), &mut done) {
            return Some(cycle);
        }
    }
    None
}

/// Every arrow between top-level modules, with a file that draws it.
fn arrows(src: &Path) -> BTreeMap<(String, String), PathBuf> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut arrows = BTreeMap::new();
    for file in files {
        let from = module_of(src, &file);
        let text = std::fs::read_to_string(&file).expect("a source file");
        for to in referenced_modules(&code_of(&text)) {
            if to != from {
                arrows
                    .entry((from.clone(), to))
                    .or_insert_with(|| file.clone());
            }
        }
    }
    arrows
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn every_module_has_a_layer() {
    let mut files = Vec::new();
    rust_files(&src_dir(), &mut files);
    let unplaced: BTreeSet<String> = files
        .iter()
        .map(|file| module_of(&src_dir(), file))
        .filter(|module| layer_of(module).is_none())
        .collect();
    assert!(
        unplaced.is_empty(),
        "these modules belong to no layer: {unplaced:?}; add each to LAYERS in \
         tests/layers.rs and to the map in docs/architecture.md"
    );
}

#[test]
fn no_module_reaches_up_a_layer() {
    let src = src_dir();
    let mut upward = Vec::new();
    for ((from, to), file) in arrows(&src) {
        let (Some(low), Some(high)) = (layer_of(&from), layer_of(&to)) else {
            continue;
        };
        if high > low {
            upward.push(format!(
                "{} ({}) uses crate::{to} ({})",
                file.strip_prefix(&src).unwrap_or(&file).display(),
                LAYERS[low].0,
                LAYERS[high].0
            ));
        }
    }
    assert!(
        upward.is_empty(),
        "upward imports (docs/architecture.md says which layer may use which):\n{}",
        upward.join("\n")
    );
}

/// Arrows the layers allow but the HTTP layer's own order does not: `api` (the context,
/// errors, extractors, cookies) is below both the JSON API (`routes`) and the pages (`web`),
/// which are siblings that share services rather than each other, and `server` (the router
/// of everything) is above them all.
const FORBIDDEN_ARROWS: &[(&str, &str)] = &[
    ("api", "routes"),
    ("api", "web"),
    ("api", "server"),
    ("routes", "web"),
    ("web", "routes"),
    ("routes", "server"),
    ("web", "server"),
];

#[test]
fn the_http_layer_keeps_its_own_order() {
    let src = src_dir();
    let found: Vec<String> = arrows(&src)
        .into_iter()
        .filter(|((from, to), _)| FORBIDDEN_ARROWS.contains(&(from.as_str(), to.as_str())))
        .map(|((_, to), file)| {
            format!(
                "{} uses crate::{to}",
                file.strip_prefix(&src).unwrap_or(&file).display()
            )
        })
        .collect();
    assert!(
        found.is_empty(),
        "arrows against the HTTP layer's order (docs/architecture.md):\n{}",
        found.join("\n")
    );
}

/// The crates of the web: only the HTTP layer and the wiring above it speak them.
const HTTP_CRATES: &[&str] = &[
    "axum",
    "axum_extra",
    "hyper",
    "hyper_util",
    "tower",
    "tower_http",
    "maud",
];

#[test]
fn below_the_http_layer_no_file_speaks_http() {
    let src = src_dir();
    let http = LAYERS
        .iter()
        .position(|(name, _)| *name == "http")
        .expect("an http layer");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut speaking = Vec::new();
    for file in files {
        let module = module_of(&src, &file);
        if layer_of(&module).is_none_or(|layer| layer >= http) {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(&file).expect("a source file"));
        for name in HTTP_CRATES {
            if names_crate(&code, name) {
                speaking.push(format!(
                    "{} uses {name}",
                    file.strip_prefix(&src).unwrap_or(&file).display()
                ));
            }
        }
    }
    assert!(
        speaking.is_empty(),
        "HTTP below the HTTP layer (a service answers in its own types; the HTTP layer \
         maps them):\n{}",
        speaking.join("\n")
    );
}

/// Whether code names the crate `name` as a path's first segment (`axum::`, `use axum`).
fn names_crate(code: &str, name: &str) -> bool {
    code.match_indices(name).any(|(at, _)| {
        let before = code[..at].chars().next_back();
        let after = &code[at + name.len()..];
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
            && (after.starts_with("::") || after.starts_with(';') || after.starts_with(" as "))
    })
}

#[test]
fn the_modules_form_no_cycle() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, to) in arrows(&src_dir()).into_keys() {
        // The crate roots declare every module; only arrows between modules count.
        if from != "lib" && from != "main" {
            graph.entry(from).or_default().insert(to);
        }
    }
    assert_eq!(find_cycle(&graph), None, "a cycle among the modules");
}

#[test]
fn the_reader_sees_grouped_and_inline_paths() {
    let code = code_of(
        "use crate::{db::jobs, media::{probe, ToolError}, self};\n\
         let x = crate::metrics::registry(); // crate::web is prose\n\
         mycrate::other::thing();",
    );
    let found: Vec<String> = referenced_modules(&code).into_iter().collect();
    assert_eq!(found, ["db", "media", "metrics"]);
    assert!(names_crate("use axum::Router;", "axum"));
    assert!(names_crate("let b: axum::body::Bytes;", "axum"));
    assert!(!names_crate("use axum_extra::x;", "axum"));
    assert!(!names_crate(
        "let my_axum = 1; crate::axum_like::f();",
        "axum"
    ));
    let mut graph = BTreeMap::new();
    graph.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    graph.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
    assert_eq!(
        find_cycle(&graph),
        Some(vec!["a".to_string(), "b".to_string(), "a".to_string()])
    );
}
