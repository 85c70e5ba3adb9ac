//! `tests/GUARDS.md` stays true: every Guard of every spec file has one row stating the
//! behaviour it pins, with the tests that hold it or its status; every test it names exists in
//! the file it names; and every Guard or Weakness code cited in the repository points at it.
//!
//! The spec files are not in this repository, so their Guard and Weakness counts are written
//! down here, each next to the file it was counted in.

use std::path::{Path, PathBuf};

/// Guards of spec/monitor.md, cited with the prefix `M-G`.
const MONITOR_GUARDS: u32 = 64;
/// Guards of spec/utilities.md, cited with the prefix `U`.
const UTILITIES_GUARDS: u32 = 44;
/// Guards of spec/summary-and-tracker.md, cited with the prefix `ST-G`.
const SUMMARY_TRACKER_GUARDS: u32 = 59;
/// Guards of spec/pr-and-commands.md, cited with the prefix `PR-G`.
const PR_COMMANDS_GUARDS: u32 = 66;
/// Weaknesses of spec/monitor.md, cited with the prefix `M-W`.
const MONITOR_WEAKNESSES: u32 = 29;
/// Weaknesses of spec/utilities.md, cited with the prefix `UW`.
const UTILITIES_WEAKNESSES: u32 = 22;
/// Weaknesses of spec/summary-and-tracker.md, cited with the prefix `ST-W`.
const SUMMARY_TRACKER_WEAKNESSES: u32 = 18;
/// Weaknesses of spec/pr-and-commands.md, cited with the prefix `PR-W`.
const PR_COMMANDS_WEAKNESSES: u32 = 23;

/// Guard prefixes and how many Guards each spec file has.
const GUARDS: [(&str, u32); 4] = [
    ("M-G", MONITOR_GUARDS),
    ("U", UTILITIES_GUARDS),
    ("ST-G", SUMMARY_TRACKER_GUARDS),
    ("PR-G", PR_COMMANDS_GUARDS),
];

/// Weakness prefixes and how many Weaknesses each spec file has.
const WEAKNESSES: [(&str, u32); 4] = [
    ("M-W", MONITOR_WEAKNESSES),
    ("UW", UTILITIES_WEAKNESSES),
    ("ST-W", SUMMARY_TRACKER_WEAKNESSES),
    ("PR-W", PR_COMMANDS_WEAKNESSES),
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn guards_doc() -> String {
    std::fs::read_to_string(root().join("tests/GUARDS.md")).unwrap()
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

/// A code of `tests/GUARDS.md` (`M-G13`, `U7`, `UW3`): its prefix and number. `UW` is tried
/// before `U`, so a Weakness is never read as a Guard.
fn parse_code(token: &str) -> Option<(&'static str, u32)> {
    const PREFIXES: [&str; 8] = ["M-G", "M-W", "ST-G", "ST-W", "PR-G", "PR-W", "UW", "U"];
    PREFIXES.iter().find_map(|prefix| {
        let digits = token.strip_prefix(prefix)?;
        let valid = !digits.is_empty()
            && !digits.starts_with('0')
            && digits.bytes().all(|b| b.is_ascii_digit());
        if !valid {
            return None;
        }
        digits.parse().ok().map(|n| (*prefix, n))
    })
}

/// Words of a text as codes are written: letters, digits and `-`, so `M-G13/M-G14` is two
/// tokens and `ST-G45–ST-G48` (an en dash) too.
fn tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|t| !t.is_empty())
}

/// The cells of a Markdown table row, split at unescaped `|`.
fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|');
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut out = vec![String::new()];
    let mut escaped = false;
    for c in inner.chars() {
        if c == '|' && !escaped {
            out.push(String::new());
        } else {
            out.last_mut().expect("one cell").push(c);
        }
        escaped = c == '\\';
    }
    out.iter().map(|c| c.trim().to_string()).collect()
}

/// Every table row of the document whose first cell is a code: (line number, code, cells).
fn coded_rows(doc: &str) -> Vec<(usize, String, Vec<String>)> {
    doc.lines()
        .enumerate()
        .filter(|(_, line)| line.trim_start().starts_with('|'))
        .filter_map(|(i, line)| {
            let cells = cells(line);
            parse_code(&cells[0]).map(|_| (i + 1, cells[0].clone(), cells))
        })
        .collect()
}

/// The `.rs` files under `dir`, build output and hidden directories left out.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

/// The texts whose codes must point at `tests/GUARDS.md`: the Rust sources of the whole
/// workspace, the README, the agent's guide and the document itself.
/// The texts that may cite a code: Markdown whole, Rust sources by their comments only (an
/// identifier such as a `Kind` variant named like a code is not a citation).
fn citing_texts() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    for dir in ["src", "crates", "tests"] {
        rust_files(&root().join(dir), &mut files);
    }
    for file in ["README.md", "agent/CLAUDE.md", "tests/GUARDS.md"] {
        files.push(root().join(file));
    }
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            if path.extension().is_some_and(|e| e == "rs") {
                let comments: Vec<&str> = text
                    .lines()
                    .map(|line| line.find("//").map_or("", |at| &line[at..]))
                    .collect();
                return (path, comments.join("\n"));
            }
            (path, text)
        })
        .collect()
}

#[test]
fn every_monitor_guard_is_mapped_to_tests_that_exist() {
    let doc = guards_doc();
    for n in 1..=MONITOR_GUARDS {
        assert!(
            doc.contains(&format!("| M-G{n} |")),
            "M-G{n} has no row in tests/GUARDS.md"
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
    assert!(checked > 200, "only {checked} test references found");
}

#[test]
fn every_guard_of_every_spec_file_has_one_row_with_its_behaviour_and_its_tests_or_status() {
    let doc = guards_doc();
    let rows = coded_rows(&doc);
    for (prefix, count) in GUARDS {
        for n in 1..=count {
            let code = format!("{prefix}{n}");
            let found: Vec<_> = rows.iter().filter(|(_, c, _)| *c == code).collect();
            assert_eq!(
                found.len(),
                1,
                "{code}: {} rows in tests/GUARDS.md",
                found.len()
            );
            let (line, _, cells) = found[0];
            assert_eq!(
                cells.len(),
                4,
                "line {line}: {code} needs | Guard | Behaviour | Tests | Notes |"
            );
            assert!(
                cells[1].split_whitespace().count() >= 3,
                "line {line}: {code} states no behaviour: {:?}",
                cells[1]
            );
            assert!(
                !cells[2].is_empty() || !cells[3].is_empty(),
                "line {line}: {code} names neither tests nor its status"
            );
        }
    }
    for (line, code, cells) in &rows {
        let (prefix, n) = parse_code(code).expect("coded row");
        if let Some((_, count)) = GUARDS.iter().find(|(p, _)| *p == prefix) {
            assert!(
                n <= *count,
                "line {line}: {code} is not a Guard of its spec file"
            );
        } else {
            assert_eq!(cells.len(), 4, "line {line}: {code} needs four cells");
            assert!(
                cells[1].split_whitespace().count() >= 3 && !cells[2].is_empty(),
                "line {line}: {code} must state the defect and what we do"
            );
        }
    }
}

#[test]
fn every_guard_or_weakness_code_cited_in_the_repository_has_a_row() {
    let rows = coded_rows(&guards_doc());
    let mut cited = 0;
    for (path, text) in citing_texts() {
        for (i, line) in text.lines().enumerate() {
            for token in tokens(line) {
                let Some((prefix, n)) = parse_code(token) else {
                    continue;
                };
                let where_ = format!("{}:{}", path.display(), i + 1);
                let count = GUARDS
                    .iter()
                    .chain(WEAKNESSES.iter())
                    .find(|(p, _)| *p == prefix)
                    .map(|(_, count)| *count)
                    .expect("every prefix has a count");
                assert!(
                    (1..=count).contains(&n),
                    "{where_}: {token} does not exist (its spec file has {count})"
                );
                assert!(
                    rows.iter().any(|(_, code, _)| code == token),
                    "{where_}: {token} has no row in tests/GUARDS.md"
                );
                cited += 1;
            }
        }
    }
    assert!(cited > 300, "only {cited} codes cited");
}

#[test]
fn code_and_readme_cite_prefixed_codes_not_bare_spec_numbers() {
    for (path, text) in citing_texts() {
        let rust = path.extension().is_some_and(|e| e == "rs");
        for (i, line) in text.lines().enumerate() {
            let where_ = format!("{}:{}", path.display(), i + 1);
            // A spec section sign means nothing without the spec.
            assert!(
                !(rust && line.contains('\u{a7}')),
                "{where_}: cites a spec section: {line}"
            );
            for token in tokens(line) {
                let bare = token
                    .strip_prefix(['G', 'W'])
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
                assert!(
                    !bare,
                    "{where_}: {token} does not say which spec file it is from; write it with its \
                     prefix (M-G, M-W, ST-G, PR-G, …) and say what it means: {line}"
                );
            }
        }
    }
}
