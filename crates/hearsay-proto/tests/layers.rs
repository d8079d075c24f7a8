//! The engine's source keeps its layers: no file imports from a file that imports it back,
//! and nothing in the crate is process-wide mutable state (the engine is pure: what engines
//! share, the driver hands them).
//!
//! Both checks read the sources as text. Imports are the `use` items outside test modules,
//! resolved to the file that defines the module they name (`crate::a::b::Item` is the file of
//! `a::b`, or of `a` when `b` is an item).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

#[test]
fn no_file_imports_from_a_file_that_imports_it_back() {
    let sources = sources();
    let modules: BTreeMap<Vec<String>, String> = sources
        .keys()
        .map(|file| (module_of(file), file.clone()))
        .collect();
    let mut imports: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (file, text) in &sources {
        let me = module_of(file);
        for path in use_paths(text) {
            let Some(absolute) = absolute(&me, &path, &modules) else {
                continue;
            };
            if let Some(target) = defining_file(&absolute, &modules)
                && target != *file
            {
                imports.entry(file).or_default().insert(target);
            }
        }
    }
    let mut cycles = Vec::new();
    for (a, targets) in &imports {
        for b in targets {
            if imports
                .get(b.as_str())
                .is_some_and(|back| back.contains(*a))
                && *a < b.as_str()
            {
                cycles.push(format!("{a} <-> {b}"));
            }
        }
    }
    assert!(
        imports.len() > 20,
        "the scan found too few imports: {imports:?}"
    );
    assert!(cycles.is_empty(), "files importing each other: {cycles:#?}");
}

#[test]
fn the_crate_holds_no_process_wide_mutable_state() {
    let mut found = Vec::new();
    for (file, text) in sources() {
        for (n, line) in code_lines(&text).enumerate() {
            let l = line.trim_start();
            let mutable_static = l.starts_with("static mut ")
                || (l.contains("static ")
                    && ["Mutex", "RwLock", "RefCell", "Cell<", "Atomic"]
                        .iter()
                        .any(|m| l.contains(m)));
            if mutable_static {
                found.push(format!("{file}:{}: {l}", n + 1));
            }
        }
    }
    assert!(found.is_empty(), "process-wide mutable state: {found:#?}");
}

/// Every `.rs` file under `src/`, by path relative to it, test files left out.
fn sources() -> BTreeMap<String, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path: PathBuf = entry.unwrap().path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "tests") {
                    dirs.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, fs::read_to_string(&path).unwrap());
            }
        }
    }
    out
}

/// The lines of `text` before its test module, if any.
fn code_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().take_while(|l| !l.starts_with("#[cfg(test)]"))
}

/// The module path of a file: `engine/mod.rs` is `engine`, `wire/codec/body.rs` is
/// `wire::codec::body`, `lib.rs` is the crate root.
fn module_of(file: &str) -> Vec<String> {
    let mut parts: Vec<String> = file
        .trim_end_matches(".rs")
        .split('/')
        .map(String::from)
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// The paths a file's `use` items name, braces expanded: `use a::{b, c::d}` gives `a::b` and
/// `a::c::d`.
fn use_paths(text: &str) -> Vec<Vec<String>> {
    let code: String = code_lines(text).collect::<Vec<_>>().join("\n");
    let mut out = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("use ") {
        let line_start = rest[..at].rfind('\n').map_or(0, |i| i + 1);
        let before = rest[line_start..at].trim();
        let is_item = before.is_empty() || before.starts_with("pub");
        let Some(end) = rest[at..].find(';') else {
            break;
        };
        if is_item {
            expand(&rest[at + 4..at + end], &mut Vec::new(), &mut out);
        }
        rest = &rest[at + end..];
    }
    out
}

/// Expands one use tree under `prefix` into `out`.
fn expand(tree: &str, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let tree: String = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let name = tree.split(" as ").next().unwrap_or("").trim();
        let mut path = prefix.clone();
        path.extend(name.split("::").filter(|s| !s.is_empty()).map(String::from));
        if path.last().is_some_and(|l| l == "self") {
            path.pop();
        }
        out.push(path);
        return;
    };
    let head: Vec<String> = tree[..open]
        .split("::")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let before = prefix.len();
    prefix.extend(head);
    let mut depth = 0;
    let mut start = 0;
    for (i, ch) in inner.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                expand(&inner[start..i], prefix, out);
                start = i + 1;
            }
            _ => {}
        }
    }
    if !inner[start..].trim().is_empty() {
        expand(&inner[start..], prefix, out);
    }
    prefix.truncate(before);
}

/// `path` as seen from module `me`, from the crate root; `None` for other crates.
fn absolute(
    me: &[String],
    path: &[String],
    modules: &BTreeMap<Vec<String>, String>,
) -> Option<Vec<String>> {
    let first = path.first()?;
    let mut out: Vec<String> = match first.as_str() {
        "crate" => Vec::new(),
        "self" => me.to_vec(),
        "super" => me[..me.len().saturating_sub(1)].to_vec(),
        _ => {
            let mut child = me.to_vec();
            child.push(first.clone());
            if !modules.contains_key(&child) {
                return None; // another crate, or the standard library
            }
            me.to_vec()
        }
    };
    let mut segments = path.iter().peekable();
    if matches!(first.as_str(), "crate" | "self" | "super") {
        segments.next();
    }
    while segments.peek().is_some_and(|s| *s == "super") {
        segments.next();
        out.pop();
    }
    out.extend(segments.cloned());
    Some(out)
}

/// The file that defines the longest module prefix of `path`.
fn defining_file(path: &[String], modules: &BTreeMap<Vec<String>, String>) -> Option<String> {
    (0..=path.len())
        .rev()
        .find_map(|k| modules.get(&path[..k]).cloned())
}
