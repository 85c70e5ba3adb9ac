//! `tests/GUARDS.md` stays true: every Guard of spec/monitor.md §9 is listed, and every test
//! it names exists in the file it names.

use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `it::monitor::name` → (tests/integration/monitor.rs, name); `src/x.rs::name` → (src/x.rs,
/// name); `…::name` → the previous file.
fn resolve(reference: &str, previous: &Option<PathBuf>) -> Option<(PathBuf, String)> {
    let (file, name) = reference.rsplit_once("::")?;
    let path = if let Some(module) = file.strip_prefix("it::") {
        root().join(format!("tests/integration/{module}.rs"))
    } else if file == "…" {
        previous.clone()?
    } else {
        root().join(file)
    };
    Some((path, name.to_string()))
}

#[test]
fn every_monitor_guard_is_mapped_to_tests_that_exist() {
    let doc = std::fs::read_to_string(root().join("tests/GUARDS.md")).unwrap();
    for n in 1..=64 {
        assert!(
            doc.contains(&format!("| G{n} ")),
            "G{n} has no row in tests/GUARDS.md"
        );
    }
    let mut previous: Option<PathBuf> = None;
    let mut checked = 0;
    for span in doc.split('`').skip(1).step_by(2) {
        if !span.contains("::") || span.contains(' ') || span.ends_with("::") {
            continue;
        }
        let (path, name) = resolve(span, &previous).unwrap_or_else(|| panic!("cannot read {span}"));
        let source = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{span}: {}: {e}", path.display()));
        let found = match name.strip_suffix('*') {
            Some(prefix) => source.contains(&format!("fn {prefix}")),
            None => source.contains(&format!("fn {name}(")),
        };
        assert!(found, "{span}: no test `{name}` in {}", path.display());
        previous = Some(path);
        checked += 1;
    }
    assert!(checked > 80, "only {checked} test references found");
}
