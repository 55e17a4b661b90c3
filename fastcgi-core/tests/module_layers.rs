//! The picture in ARCHITECTURE.md, kept true: every top-level module of
//! `fastcgi-core` imports only the modules below it in the layer order, no
//! two import each other (directly or around a loop), and no source file
//! grows past 500 lines without saying why at its top.
//!
//! An import is any `crate::module` path outside comments and outside the
//! `#[cfg(test)] mod tests` block that ends a file (tests may reach
//! anywhere). A long file states its reason in a line starting with
//! `//! Long file:` among its first 20 lines.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 500;

/// The top-level modules, lowest first, as ARCHITECTURE.md lists them: a
/// module may import only modules before it.
const LAYERS: &[&str] = &[
    "protocol",
    "output",
    "body_stream",
    "shutdown",
    "blocking",
    "io_error",
    "cgi",
    "error",
    "log",
    "access_log",
    "response",
    "request",
    "extract",
    "openapi",
    "handler",
    "path",
    "file",
    "tower",
    "routing",
    "client",
    "dev",
    "server",
    "status",
    "testing",
];

struct Source {
    /// Path relative to `src/`.
    rel: String,
    /// The top-level module it belongs to (`server` for `server/mod.rs`).
    top: String,
    /// Its code before the test module, comments blanked (line numbers kept).
    code: String,
    /// The first lines as written, for a stated reason.
    head: String,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("a readable directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn sources() -> Vec<Source> {
    let src = src_dir();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files
        .into_iter()
        .filter_map(|path| {
            let rel = path
                .strip_prefix(&src)
                .expect("under src")
                .to_string_lossy()
                .replace('\\', "/");
            let first = rel.split('/').next().expect("a first component");
            let top = first.strip_suffix(".rs").unwrap_or(first).to_owned();
            if top == "lib" || top == "main" {
                return None;
            }
            let text = fs::read_to_string(&path).expect("UTF-8 source");
            let head = text.lines().take(20).collect::<Vec<_>>().join("\n");
            let lines: Vec<&str> = text.lines().collect();
            let end = lines
                .windows(2)
                .position(|w| {
                    w[0].trim() == "#[cfg(test)]" && w[1].trim_start().starts_with("mod tests")
                })
                .unwrap_or(lines.len());
            let code = lines[..end]
                .iter()
                .map(|line| {
                    if line.trim_start().starts_with("//") {
                        ""
                    } else {
                        line.split(" // ").next().unwrap_or(line)
                    }
                })
                .collect::<Vec<_>>()
                .join("\n");
            Some(Source {
                rel,
                top,
                code,
                head,
            })
        })
        .collect()
}

/// `(from, to)` -> where the first such import is (`file:line`).
fn imports(sources: &[Source]) -> BTreeMap<(String, String), String> {
    let src = src_dir();
    let is_module =
        |name: &str| src.join(name).is_dir() || src.join(format!("{name}.rs")).is_file();
    let mut edges = BTreeMap::new();
    for source in sources {
        for (index, line) in source.code.lines().enumerate() {
            let mut rest = line;
            while let Some(at) = rest.find("crate::") {
                let before = rest[..at].chars().next_back();
                let after = &rest[at + "crate::".len()..];
                rest = after;
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue; // `fastcgi_core::`, `mycrate::`...
                }
                let name: String = after
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                if !name.is_empty() && name != source.top && is_module(&name) {
                    edges
                        .entry((source.top.clone(), name))
                        .or_insert_with(|| format!("{}:{}", source.rel, index + 1));
                }
            }
        }
    }
    edges
}

/// Whether `to` reaches `from` along `graph`, and the path if so.
fn path_back(graph: &BTreeMap<&str, BTreeSet<&str>>, from: &str, to: &str) -> Option<Vec<String>> {
    let mut stack = vec![vec![to.to_owned()]];
    let mut seen = BTreeSet::new();
    while let Some(path) = stack.pop() {
        let last = path.last().expect("a non-empty path").clone();
        if last == from {
            return Some(path);
        }
        if !seen.insert(last.clone()) {
            continue;
        }
        for next in graph.get(last.as_str()).into_iter().flatten() {
            let mut longer = path.clone();
            longer.push((*next).to_owned());
            stack.push(longer);
        }
    }
    None
}

#[test]
fn no_top_level_module_imports_one_that_imports_it_back() {
    let sources = sources();
    assert!(sources.len() > 20, "found too few sources under src/");
    let edges = imports(&sources);
    assert!(
        edges.contains_key(&("server".to_owned(), "protocol".to_owned())),
        "the import scan found no `server -> protocol` import: the scan is broken"
    );
    let mut graph: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (from, to) in edges.keys() {
        graph.entry(from).or_default().insert(to);
    }
    let mut cycles = Vec::new();
    for ((from, to), at) in &edges {
        if let Some(back) = path_back(&graph, from, to) {
            let evidence: Vec<String> = back
                .windows(2)
                .map(|w| {
                    let key = (w[0].clone(), w[1].clone());
                    format!("{} -> {} ({})", w[0], w[1], edges[&key])
                })
                .collect();
            cycles.push(format!(
                "{from} -> {to} ({at}), and back: {}",
                evidence.join(", ")
            ));
        }
    }
    assert!(
        cycles.is_empty(),
        "import cycles between top-level modules of fastcgi-core (a lower module must not \
         import a higher one; see ARCHITECTURE.md):\n{}",
        cycles.join("\n")
    );
}

#[test]
fn every_module_imports_only_lower_layers() {
    let sources = sources();
    let tops: BTreeSet<&str> = sources.iter().map(|s| s.top.as_str()).collect();
    let unlisted: Vec<&&str> = tops.iter().filter(|top| !LAYERS.contains(top)).collect();
    assert!(
        unlisted.is_empty(),
        "top-level modules missing from LAYERS here and from ARCHITECTURE.md: {unlisted:?}"
    );
    let layer = |name: &str| LAYERS.iter().position(|l| *l == name);
    let upward: Vec<String> = imports(&sources)
        .iter()
        .filter(|((from, to), _)| layer(to) >= layer(from))
        .map(|((from, to), at)| format!("{from} imports {to} ({at}), which is not below it"))
        .collect();
    assert!(
        upward.is_empty(),
        "imports against the layer order of ARCHITECTURE.md:\n{}",
        upward.join("\n")
    );
}

#[test]
fn no_long_file_without_a_reason_at_its_top() {
    let long: Vec<String> = sources()
        .iter()
        .filter(|s| s.code.lines().count() > MAX_LINES)
        .filter(|s| {
            !s.head
                .lines()
                .any(|l| l.trim_start().starts_with("//! Long file:"))
        })
        .map(|s| format!("{} ({} lines)", s.rel, s.code.lines().count()))
        .collect();
    assert!(
        long.is_empty(),
        "source files over {MAX_LINES} lines (tests excluded): split them along their sections, \
         or state why not in a `//! Long file:` line at the top:\n{}",
        long.join("\n")
    );
}
