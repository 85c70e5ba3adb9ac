//! The diff `review-pr` sends to the model, within a size budget. A diff cut at a fixed
//! length (as the original did) loses the files after the cut without saying which, and
//! spends the budget on lock files and generated code. Here the diff is split per file:
//! binary and generated files are left out, and when the rest is still too large the largest
//! files are left out one by one (biggest first) until it fits. Every file left out is named
//! with the reason, for the prompt and for the review's readers. Pure.

/// A changed file as GitHub lists it (`/pulls/{n}/files`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedFile {
    pub path: String,
    pub status: String,
    pub additions: u64,
    pub deletions: u64,
    /// The file's part of the diff; GitHub gives none for binary files and very large ones.
    pub patch: Option<String>,
}

/// Why a file's diff was not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeftOut {
    /// A binary file (no text to review).
    Binary,
    /// Written by a tool (a lock file, generated code).
    Generated,
    /// Too large for what was left of the budget (its size in characters).
    TooLarge(usize),
    /// GitHub gave no text for it.
    NoPatch,
}

/// The diff as sent, and what it lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetedDiff {
    pub text: String,
    /// Files left out, in diff order.
    pub left_out: Vec<(String, LeftOut)>,
}

/// One file's section of a unified diff.
#[derive(Debug, Clone)]
struct Section {
    path: String,
    text: String,
}

/// Splits a unified diff at its `diff --git` lines; text before the first one is dropped.
fn sections(diff: &str) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    for line in diff.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("diff --git ") {
            out.push(Section {
                path: path_of(rest.trim_end()),
                text: String::new(),
            });
        }
        if let Some(current) = out.last_mut() {
            current.text.push_str(line);
        }
    }
    out
}

/// The new path of a `diff --git a/X b/Y` header (`Y`), or the whole text when it is not
/// in that form.
fn path_of(header: &str) -> String {
    match header.rfind(" b/") {
        Some(at) => header[at + 3..].to_string(),
        None => header.to_string(),
    }
}

fn is_binary(section: &Section) -> bool {
    section.text.lines().any(|l| {
        (l.starts_with("Binary files ") && l.ends_with(" differ")) || l == "GIT binary patch"
    })
}

/// Files written by tools rather than people: lock files, protobuf and minified output,
/// notebooks' outputs, vendored snapshots.
pub fn is_generated(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    const NAMES: &[&str] = &[
        "package-lock.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "Cargo.lock",
        "poetry.lock",
        "uv.lock",
        "Pipfile.lock",
        "go.sum",
    ];
    const SUFFIXES: &[&str] = &[
        "_pb2.py",
        "_pb2_grpc.py",
        "_pb2.pyi",
        ".pb.go",
        ".pb.h",
        ".pb.cc",
        ".min.js",
        ".min.css",
        ".ipynb",
        ".snap",
    ];
    NAMES.contains(&name)
        || SUFFIXES.iter().any(|s| name.ends_with(s))
        || path.split('/').any(|dir| dir == "__generated__")
}

/// The diff within `budget` characters (see the module comment).
pub fn budget(diff: &str, budget: usize) -> BudgetedDiff {
    let mut kept: Vec<Section> = Vec::new();
    let mut left_out: Vec<(String, LeftOut)> = Vec::new();
    for s in sections(diff) {
        if is_binary(&s) {
            left_out.push((s.path, LeftOut::Binary));
        } else if is_generated(&s.path) {
            left_out.push((s.path, LeftOut::Generated));
        } else {
            kept.push(s);
        }
    }
    let size = |s: &Section| s.text.chars().count();
    let mut total: usize = kept.iter().map(size).sum();
    while total > budget {
        let Some(largest) = (0..kept.len()).max_by_key(|&i| (size(&kept[i]), usize::MAX - i))
        else {
            break;
        };
        let s = kept.remove(largest);
        total -= size(&s);
        left_out.push((s.path.clone(), LeftOut::TooLarge(size(&s))));
    }
    let order: Vec<String> = sections(diff).into_iter().map(|s| s.path).collect();
    left_out.sort_by_key(|(p, _)| order.iter().position(|o| o == p));
    BudgetedDiff {
        text: kept.into_iter().map(|s| s.text).collect(),
        left_out,
    }
}

/// A unified diff made from the files' patches, for when GitHub will not give the whole
/// diff (it refuses very large ones); files without a patch are left out as such.
pub fn from_files(files: &[ChangedFile], budget_chars: usize) -> BudgetedDiff {
    let mut diff = String::new();
    let mut missing = Vec::new();
    for f in files {
        match &f.patch {
            Some(patch) => {
                diff.push_str(&format!(
                    "diff --git a/{p} b/{p}\n--- a/{p}\n+++ b/{p}\n{patch}\n",
                    p = f.path
                ));
            }
            None if f.additions + f.deletions == 0 && f.status != "renamed" => {
                missing.push((f.path.clone(), LeftOut::Binary))
            }
            None => missing.push((f.path.clone(), LeftOut::NoPatch)),
        }
    }
    let mut out = budget(&diff, budget_chars);
    out.left_out.extend(missing);
    out
}

/// The `- \`file\` (+a/-d, status)` lines of the prompt, at most `max` of them.
pub fn files_summary(files: &[ChangedFile], max: usize) -> String {
    let mut lines: Vec<String> = files
        .iter()
        .take(max)
        .map(|f| {
            format!(
                "- `{}` (+{}/-{}, {})",
                f.path.replace('`', "'"),
                f.additions,
                f.deletions,
                f.status
            )
        })
        .collect();
    if files.len() > max {
        lines.push(format!("- ... and {} more files", files.len() - max));
    }
    lines.join("\n")
}

/// Why, in words.
fn reason(why: &LeftOut) -> String {
    match why {
        LeftOut::Binary => "binary".into(),
        LeftOut::Generated => "generated".into(),
        LeftOut::TooLarge(n) => format!("{n} characters of diff, over the size budget"),
        LeftOut::NoPatch => "GitHub gave no diff for it".into(),
    }
}

/// The note the model reads after the diff, naming what it does not see.
pub fn prompt_note(left_out: &[(String, LeftOut)]) -> String {
    if left_out.is_empty() {
        return String::new();
    }
    let mut out = String::from("\n[Left out of this diff; do not guess their content:]\n");
    for (path, why) in left_out {
        out.push_str(&format!("[- {path}: {}]\n", reason(why)));
    }
    out
}

/// The section the review ends with, telling its readers which files the model never saw;
/// empty when it saw the whole diff.
pub fn review_note(left_out: &[(String, LeftOut)], max: usize) -> String {
    if left_out.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "### Not reviewed\n\nThe model saw the diff without these {} file(s); review them yourself:\n\n",
        left_out.len()
    );
    for (path, why) in left_out.iter().take(max) {
        out.push_str(&format!(
            "- `{}`: {}\n",
            path.replace(['`', '\n', '\r'], "'"),
            reason(why)
        ));
    }
    if left_out.len() > max {
        out.push_str(&format!("- … and {} more\n", left_out.len() - max));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_diff(path: &str, body_lines: usize) -> String {
        let mut d = format!(
            "diff --git a/{path} b/{path}\nindex 1..2 100644\n--- a/{path}\n+++ b/{path}\n@@ -0,0 +1,{body_lines} @@\n"
        );
        for i in 0..body_lines {
            d.push_str(&format!("+line {i} of {path}\n"));
        }
        d
    }

    #[test]
    fn binary_and_generated_files_are_left_out_and_named() {
        let diff = format!(
            "{}diff --git a/assets/w.bin b/assets/w.bin\nnew file mode 100644\nBinary files /dev/null and b/assets/w.bin differ\n{}{}",
            file_diff("python/a.py", 3),
            file_diff("uv.lock", 50),
            file_diff("proto/x_pb2.py", 5),
        );
        let b = budget(&diff, 1_000_000);
        assert!(b.text.contains("+line 0 of python/a.py"));
        assert!(
            !b.text.contains("w.bin") && !b.text.contains("uv.lock") && !b.text.contains("x_pb2")
        );
        assert_eq!(
            b.left_out,
            [
                ("assets/w.bin".to_string(), LeftOut::Binary),
                ("uv.lock".to_string(), LeftOut::Generated),
                ("proto/x_pb2.py".to_string(), LeftOut::Generated),
            ]
        );
    }

    #[test]
    fn over_the_budget_the_largest_files_go_first_until_the_rest_fits() {
        let small = file_diff("a.py", 10);
        let big = file_diff("big.py", 5000);
        let medium = file_diff("m.py", 400);
        let diff = format!("{small}{big}{medium}");
        let limit = small.chars().count() + medium.chars().count() + 10;
        let b = budget(&diff, limit);
        assert_eq!(b.text, format!("{small}{medium}"));
        assert_eq!(b.left_out.len(), 1);
        assert_eq!(b.left_out[0].0, "big.py");
        assert!(matches!(b.left_out[0].1, LeftOut::TooLarge(n) if n == big.chars().count()));
        assert!(b.text.chars().count() <= limit);
        // A tighter budget drops the medium one too, never the small one first.
        let b = budget(&diff, small.chars().count());
        assert_eq!(b.text, small);
        let names: Vec<&str> = b.left_out.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(names, ["big.py", "m.py"], "in diff order");
    }

    #[test]
    fn a_diff_within_the_budget_is_sent_whole() {
        let diff = format!("{}{}", file_diff("a.py", 3), file_diff("b.py", 3));
        let b = budget(&diff, 120_000);
        assert_eq!(b.text, diff);
        assert!(b.left_out.is_empty());
        assert_eq!(review_note(&b.left_out, 50), "");
        assert_eq!(prompt_note(&b.left_out), "");
    }

    #[test]
    fn without_the_whole_diff_the_files_patches_make_one_and_patchless_files_are_named() {
        let files = [
            ChangedFile {
                path: "a.py".into(),
                status: "modified".into(),
                additions: 1,
                deletions: 0,
                patch: Some("@@ -1 +1,2 @@\n x\n+y".into()),
            },
            ChangedFile {
                path: "img.png".into(),
                status: "added".into(),
                additions: 0,
                deletions: 0,
                patch: None,
            },
            ChangedFile {
                path: "huge.py".into(),
                status: "added".into(),
                additions: 90_000,
                deletions: 0,
                patch: None,
            },
        ];
        let b = from_files(&files, 120_000);
        assert!(
            b.text.starts_with("diff --git a/a.py b/a.py\n"),
            "{}",
            b.text
        );
        assert!(b.text.contains("+y\n"));
        assert_eq!(
            b.left_out,
            [
                ("img.png".to_string(), LeftOut::Binary),
                ("huge.py".to_string(), LeftOut::NoPatch)
            ]
        );
        assert_eq!(
            files_summary(&files, 2),
            "- `a.py` (+1/-0, modified)\n- `img.png` (+0/-0, added)\n- ... and 1 more files"
        );
    }

    #[test]
    fn the_review_note_names_each_file_left_out_and_why() {
        let left = vec![
            ("w.bin".to_string(), LeftOut::Binary),
            ("big.py".to_string(), LeftOut::TooLarge(130_000)),
        ];
        let note = review_note(&left, 50);
        assert!(note.starts_with("### Not reviewed\n"), "{note}");
        assert!(note.contains("- `w.bin`: binary\n"), "{note}");
        assert!(
            note.contains("- `big.py`: 130000 characters of diff, over the size budget\n"),
            "{note}"
        );
        assert!(review_note(&left, 1).contains("- … and 1 more\n"));
        assert!(prompt_note(&left).contains("[- big.py: 130000 characters"));
    }
}
