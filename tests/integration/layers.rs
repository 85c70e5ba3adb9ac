//! The crate's layering holds: each top-level module imports only from modules in lower
//! layers (never from its own layer, never from above). The table is the one the README's
//! Architecture section draws; a new `crate::x` reference that breaks it fails here.

use std::collections::BTreeMap;
use std::path::Path;

/// Lowest first. A module may use `crate::m` only when `m` sits in a lower layer.
const LAYERS: &[&[&str]] = &[
    // Vocabulary and pure utilities: import nothing of ours.
    &["logs", "domain", "error", "limits"],
    // Utilities that build on the vocabulary.
    &["redact", "fsutil", "progress", "http", "output"],
    // Pure rendering and reading of everything posted.
    &["report"],
    // The only GitHub HTTP code.
    &["github"],
    // Settings, local state, the sglang checkout, log output.
    &["config", "state", "workspace", "logging"],
    // Finding the day's issue; the analysis backends.
    &["daily_issue", "analysis"],
    // The monitor tick; the daily summary; the failure trackers.
    &["monitor", "summary", "tracker", "watch"],
    // The command line.
    &["cli"],
    // One file per subcommand.
    &["commands"],
    // Parse, configure, run, exit code.
    &["run"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// The top-level module a source file belongs to (`src/github/api.rs` → `github`).
fn module_of(path: &Path, src: &Path) -> Option<String> {
    let rel = path.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    Some(first.trim_end_matches(".rs").to_string())
}

/// Every `crate::name` a file refers to, outside line comments, with its line number;
/// a `use crate::{a, b::{c, d}}` group (rustfmt spreads it over lines) names `a` and `b`.
fn crate_references(text: &str) -> Vec<(usize, String)> {
    let code: String = text
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let line_at = |pos: usize| code[..pos].matches('\n').count() + 1;
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(found) = code[from..].find("crate::") {
        let at = from + found + "crate::".len();
        let after = &code[at..];
        if let Some(group) = after.strip_prefix('{') {
            // Top-level items of the brace group only.
            let mut depth = 0usize;
            let mut item_start = 0usize;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        push_item(&mut out, &group[item_start..i], line_at(at), &ident);
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        push_item(&mut out, &group[item_start..i], line_at(at), &ident);
                        item_start = i + 1;
                    }
                    _ => {}
                }
            }
        } else {
            let name = ident(after);
            if !name.is_empty() {
                out.push((line_at(at), name));
            }
        }
        from = at;
    }
    out
}

fn push_item(
    out: &mut Vec<(usize, String)>,
    item: &str,
    line: usize,
    ident: &dyn Fn(&str) -> String,
) {
    let name = ident(item.trim());
    if !name.is_empty() {
        out.push((line, name));
    }
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_module_imports_only_from_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut violations = Vec::new();
    let mut checked = BTreeMap::<String, usize>::new();
    for path in &files {
        let Some(module) = module_of(path, &src) else {
            continue;
        };
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(own) = layer_of(&module) else {
            violations.push(format!(
                "{}: module `{module}` has no layer",
                path.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(path).expect("read source");
        for (line, used) in crate_references(&text) {
            if used == module {
                continue;
            }
            *checked.entry(module.clone()).or_default() += 1;
            match layer_of(&used) {
                Some(l) if l < own => {}
                Some(_) => violations.push(format!(
                    "{}:{line}: `{module}` (layer {own}) uses `crate::{used}`, which is not below it",
                    path.display()
                )),
                None => violations.push(format!(
                    "{}:{line}: `crate::{used}` is not a module of the layer table",
                    path.display()
                )),
            }
        }
    }
    assert!(
        violations.is_empty(),
        "layering broken:\n{}",
        violations.join("\n")
    );
    assert!(
        checked.len() >= 10 && checked.values().sum::<usize>() > 50,
        "the scan found too few references to mean anything: {checked:?}"
    );
}

#[test]
fn the_crate_root_is_only_the_module_tree() {
    let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs"))
        .expect("read lib.rs");
    for line in lib.lines().map(str::trim) {
        let allowed = line.is_empty()
            || line.starts_with("//")
            || line.starts_with("#![")
            || line.starts_with("pub mod ")
            || line.starts_with("mod ")
            || line.starts_with("pub use ");
        assert!(allowed, "lib.rs holds more than the module tree: {line:?}");
    }
}

#[test]
fn the_scanner_sees_grouped_and_inline_references_but_not_comments() {
    let refs = crate_references(
        "use crate::{\n    github::{Client, RunFilter},\n    report,\n};\nlet x = crate::config::load(); // crate::monitor\n",
    );
    let names: Vec<(usize, &str)> = refs.iter().map(|(l, n)| (*l, n.as_str())).collect();
    assert_eq!(names, [(1, "github"), (1, "report"), (5, "config")]);
}
