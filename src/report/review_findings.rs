//! The deterministic part of `review-pr`: what can be said about a pull request without a
//! model. Test files it adds or changes that AMD CI will not run (no registration, or the
//! coverage gaps of its head commit), mistakes in its `register_amd_ci(...)` calls, and
//! binary files it adds. The builtin backend publishes this as its review, so a PR reviewed
//! with no agent and no gateway still gets checks rather than nothing. Pure: the caller reads
//! the files at the PR's head and lists the AMD jobs.

use super::coverage::{self, Gap, Why};
use super::registration::{amd_registrations, misplaced_calls, AmdRegistration};

/// What the deterministic checks found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Findings {
    /// Files changed by the PR.
    pub files_changed: usize,
    /// Test files among them whose text could be read at the head.
    pub test_files_read: usize,
    /// Coverage gaps of the head commit (untested on AMD), unregistered files included.
    pub gaps: Vec<Gap>,
    /// Mistakes in the files' AMD registrations.
    pub mistakes: Vec<Mistake>,
    /// Binary files the PR adds or changes.
    pub binaries: Vec<String>,
    /// Why the checks could not all run (a read that failed), when one could not.
    pub incomplete: Option<String>,
}

/// One registration mistake of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mistake {
    pub file: String,
    /// What is wrong and what it does, in words.
    pub what: String,
}

impl Findings {
    /// Test files that register no live AMD suite at all.
    pub fn unregistered(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for g in self.gaps.iter().filter(|g| g.why == Why::NotRegistered) {
            if !out.contains(&g.file.as_str()) {
                out.push(&g.file);
            }
        }
        out
    }

    /// How many things a reviewer should look at.
    pub fn count(&self) -> usize {
        self.gaps.len() + self.mistakes.len() + self.binaries.len()
    }
}

/// Every mistake in the AMD registrations of `source` (the file `path` at the PR's head).
pub fn registration_mistakes(path: &str, source: &str) -> Vec<Mistake> {
    let mistake = |what: String| Mistake {
        file: path.to_string(),
        what,
    };
    let mut out = Vec::new();
    let misplaced = misplaced_calls(source);
    if misplaced > 0 {
        out.push(mistake(format!(
            "{misplaced} `register_amd_ci(...)` call(s) inside a block or an expression: the registry reads module-level calls only, so these register nothing"
        )));
    }
    let registrations = amd_registrations(source);
    let mut seen: Vec<String> = Vec::new();
    for r in &registrations {
        out.extend(one_registration(r).into_iter().map(&mistake));
        if let Some(suite) = r.effective_suite() {
            if seen.contains(&suite) {
                out.push(mistake(format!(
                    "registered twice for suite {}: the file would run twice",
                    code(&suite)
                )));
            } else {
                seen.push(suite);
            }
        }
    }
    out
}

/// The mistakes of one live registration.
fn one_registration(r: &AmdRegistration) -> Vec<String> {
    let mut out = Vec::new();
    match (&r.stage, &r.runner_config, r.effective_suite()) {
        (Some(_), None, None) => {
            out.push("`stage=` without `runner_config=`: no suite the AMD jobs are named after".into())
        }
        (None, Some(_), None) => {
            out.push("`runner_config=` without `stage=`: no suite the AMD jobs are named after".into())
        }
        (_, _, None) => out.push(
            "no `suite=` (nor `stage=` with `runner_config=`): the registration names no suite"
                .into(),
        ),
        (_, _, Some(suite)) if !suite.to_ascii_lowercase().contains("amd") => out.push(format!(
            "suite {} is not an AMD suite name (copied from a CUDA registration?): no AMD job runs it",
            code(&suite)
        )),
        _ => {}
    }
    match r.est_time {
        None => out.push(
            "no numeric `est_time`: the registry needs it to place the file in a shard".into(),
        ),
        Some(t) if t <= 0.0 => out.push(format!("`est_time={t}` is not a positive time")),
        Some(_) => {}
    }
    out
}

/// `text` as a code span that holds any text (the PR chose it).
fn code(text: &str) -> String {
    format!("`{}`", text.replace(['`', '\n', '\r'], "'"))
}

/// The builtin review: the coverage banner, then the findings under the review's headings.
pub fn render(f: &Findings) -> String {
    let mut out = String::from("## Summary\n\n");
    out.push_str(&format!(
        "Deterministic checks only (no model was available to read the code): {} changed file(s), {} test file(s) read at the head commit.\n\n",
        f.files_changed, f.test_files_read
    ));
    let banner_gaps: Vec<Gap> = f
        .gaps
        .iter()
        .filter(|g| g.why != Why::NotRegistered)
        .cloned()
        .collect();
    if let Some(why) = &f.incomplete {
        out.push_str(&format!(
            "> [!NOTE]\n> Some checks could not run ({}); what follows may be incomplete.\n\n",
            one_line(why)
        ));
    }
    out.push_str(&coverage::banner(&banner_gaps));
    out.push_str("## Testing\n\n");
    let unregistered = f.unregistered();
    if unregistered.is_empty() && f.mistakes.is_empty() {
        out.push_str(
            "Every changed test file read has a live AMD registration without mistakes.\n\n",
        );
    }
    if !unregistered.is_empty() {
        out.push_str("**Test files without an AMD registration** (AMD CI never runs them):\n\n");
        for file in unregistered {
            out.push_str(&format!(
                "- {}: no module-level `register_amd_ci(...)` call\n",
                code(file)
            ));
        }
        out.push('\n');
    }
    if !f.mistakes.is_empty() {
        out.push_str("**Registration mistakes**:\n\n");
        for m in &f.mistakes {
            out.push_str(&format!("- {}: {}\n", code(&m.file), one_line(&m.what)));
        }
        out.push('\n');
    }
    if !f.binaries.is_empty() {
        out.push_str("**Binary files added or changed** (git keeps every version forever; a large one belongs in a release asset or a download):\n\n");
        for b in &f.binaries {
            out.push_str(&format!("- {}\n", code(b)));
        }
        out.push('\n');
    }
    out.push_str("## Overall\n\n");
    out.push_str(&match f.count() {
        0 => "**Comment**: the deterministic checks found nothing; this is not a review of the code.".to_string(),
        n => format!("**Comment**: {n} finding(s) above to look at before merging; this is not a review of the code."),
    });
    out.push('\n');
    out
}

fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_registration_mistake_is_named() {
        let source = "\
register_amd_ci(est_time=10, suite=\"stage-b-test-1-gpu-small\")
register_amd_ci(suite=\"stage-b-test-1-gpu-small-amd\")
register_amd_ci(est_time=5, stage=\"stage-b\")
register_amd_ci(est_time=5, suite=\"stage-b-test-1-gpu-small-amd\")
if is_hip():
    register_amd_ci(est_time=5, suite=\"x-amd\")
";
        let found: Vec<String> = registration_mistakes("test/t/test_x.py", source)
            .into_iter()
            .map(|m| {
                assert_eq!(m.file, "test/t/test_x.py");
                m.what
            })
            .collect();
        let has = |text: &str| found.iter().any(|w| w.contains(text));
        assert!(has("inside a block"), "{found:?}");
        assert!(has("is not an AMD suite name"), "{found:?}");
        assert!(has("no numeric `est_time`"), "{found:?}");
        assert!(has("`stage=` without `runner_config=`"), "{found:?}");
        assert!(has("registered twice"), "{found:?}");
        assert_eq!(found.len(), 5, "{found:?}");
    }

    #[test]
    fn a_correct_registration_has_no_mistake() {
        for source in [
            "register_amd_ci(est_time=10, suite=\"stage-b-test-1-gpu-small-amd\")\n",
            "register_amd_ci(10, stage=\"jit-kernel-benchmark\", runner_config=\"amd\")\n",
            "register_amd_ci(45, \"stage-b-test-small-1-gpu-amd\", nightly=True)\n",
        ] {
            assert!(registration_mistakes("t.py", source).is_empty(), "{source}");
        }
    }

    #[test]
    fn the_builtin_review_names_unregistered_files_mistakes_binaries_and_gaps() {
        let f = Findings {
            files_changed: 4,
            test_files_read: 2,
            gaps: vec![
                Gap {
                    file: "test/x/test_new.py".into(),
                    suite: None,
                    why: Why::NotRegistered,
                },
                Gap {
                    file: "test/x/test_old.py".into(),
                    suite: Some("stage-b-test-1-gpu-small-amd".into()),
                    why: Why::NotRun("skipped"),
                },
            ],
            mistakes: vec![Mistake {
                file: "test/x/test_old.py".into(),
                what: "no numeric `est_time`".into(),
            }],
            binaries: vec!["assets/weights.bin".into()],
            incomplete: None,
        };
        let text = render(&f);
        assert!(text.starts_with("## Summary\n\n"), "{text}");
        assert!(text.contains("> [!WARNING]"), "{text}");
        assert!(
            text.contains("> - `test/x/test_old.py` → `stage-b-test-1-gpu-small-amd`, stage B: did not run (skipped)"),
            "{text}"
        );
        assert!(
            !text.contains("> - `test/x/test_new.py`"),
            "unregistered files have their own list: {text}"
        );
        assert!(
            text.contains("- `test/x/test_new.py`: no module-level `register_amd_ci(...)` call"),
            "{text}"
        );
        assert!(
            text.contains("- `test/x/test_old.py`: no numeric `est_time`"),
            "{text}"
        );
        assert!(text.contains("- `assets/weights.bin`\n"), "{text}");
        assert!(
            text.contains("## Overall\n\n**Comment**: 4 finding(s)"),
            "{text}"
        );
    }

    #[test]
    fn nothing_found_says_so_and_that_it_is_not_a_code_review() {
        let text = render(&Findings::default());
        assert!(
            !text.contains("[!WARNING]") && !text.contains("[!CAUTION]"),
            "{text}"
        );
        assert!(
            text.contains("found nothing; this is not a review of the code"),
            "{text}"
        );
        let partial = render(&Findings {
            incomplete: Some("GitHub answered 502".into()),
            ..Findings::default()
        });
        assert!(
            partial.contains("> [!NOTE]\n> Some checks could not run (GitHub answered 502)"),
            "{partial}"
        );
    }
}
