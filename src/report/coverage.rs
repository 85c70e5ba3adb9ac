//! The AMD coverage-gap banner of `ci-status`: which test files a PR adds or changes were not
//! exercised by AMD CI on its head commit, so that a green (or "unrelated") status is never
//! read as verified. A file is a gap when it has no live AMD registration, is registered only
//! for the nightly runs or disabled, or when the jobs of its suite did not run, did not finish
//! or were skipped. Pure: the caller fetches the files at the PR's head and lists the AMD jobs.

use super::registration::{amd_registrations, AmdRegistration};
use crate::domain::{Conclusion, RunStatus};

/// A file the PR touches, with its text at the PR's head (`None` when it could not be read).
#[derive(Debug, Clone, Copy)]
pub struct ChangedFile<'a> {
    pub path: &'a str,
    /// The PR removes it.
    pub removed: bool,
    pub source: Option<&'a str>,
}

/// One job of an AMD workflow run on the PR's head commit.
#[derive(Debug, Clone, PartialEq)]
pub struct AmdJob {
    pub name: String,
    pub status: Option<RunStatus>,
    pub conclusion: Option<Conclusion>,
}

/// Why a file counts as untested on AMD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// No AMD workflow ran on the commit at all.
    NotTriggered,
    /// The file registers no live AMD suite.
    NotRegistered,
    /// Registered for the nightly AMD runs only.
    NightlyOnly,
    /// Registered but disabled, with the reason given.
    Disabled(String),
    /// The suite's jobs are still queued or running.
    Pending,
    /// The suite's jobs did not run: not reached, cancelled, skipped, blocked by an earlier
    /// stage's failure, or did not complete.
    NotRun(&'static str),
}

/// One untested file (and suite, when it has one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    pub file: String,
    pub suite: Option<String>,
    pub why: Why,
}

/// Whether `path` is a test file of sglang's suites (`test/…/test_*.py`).
fn is_test_file(path: &str) -> bool {
    path.starts_with("test/")
        && path.ends_with(".py")
        && path
            .rsplit('/')
            .next()
            .is_some_and(|name| name.starts_with("test_"))
}

/// Every gap among `files`, in the PR's file order. `jobs` is `None` when no AMD run exists
/// for the commit.
pub fn gaps(files: &[ChangedFile<'_>], jobs: Option<&[AmdJob]>) -> Vec<Gap> {
    let mut out = Vec::new();
    for file in files.iter().filter(|f| !f.removed && is_test_file(f.path)) {
        let Some(source) = file.source else { continue };
        let gap = |suite: Option<String>, why: Why| Gap {
            file: file.path.to_string(),
            suite,
            why,
        };
        let registrations = amd_registrations(source);
        if registrations.is_empty() {
            out.push(gap(None, Why::NotRegistered));
            continue;
        }
        for r in &registrations {
            let suite = r.effective_suite();
            match (suite.as_deref(), why_untested(r, jobs)) {
                (None, _) => out.push(gap(None, Why::NotRegistered)),
                (Some(_), None) => {}
                (Some(s), Some(why)) => out.push(gap(Some(s.to_string()), why)),
            }
        }
    }
    out
}

/// Why `r`'s suite did not test the file on this commit, or `None` when it did.
fn why_untested(r: &AmdRegistration, jobs: Option<&[AmdJob]>) -> Option<Why> {
    if let Some(reason) = &r.disabled {
        return Some(Why::Disabled(reason.clone()));
    }
    if r.nightly {
        return Some(Why::NightlyOnly);
    }
    let suite = r.effective_suite()?;
    let Some(jobs) = jobs else {
        return Some(Why::NotTriggered);
    };
    let ran: Vec<&AmdJob> = jobs
        .iter()
        .filter(|j| runs_suite(&j.name, &suite))
        .collect();
    let any_failure = jobs.iter().any(|j| {
        matches!(
            j.conclusion,
            Some(Conclusion::Failure | Conclusion::TimedOut)
        )
    });
    let has = |c: Conclusion| ran.iter().any(|j| j.conclusion.as_ref() == Some(&c));
    if ran.is_empty() {
        return Some(Why::NotRun("not reached"));
    }
    // A failing suite counts as tested: its failure is reported below the banner.
    if has(Conclusion::Success) || has(Conclusion::Failure) || has(Conclusion::TimedOut) {
        return None;
    }
    if ran
        .iter()
        .any(|j| j.conclusion.is_none() || j.status != Some(RunStatus::Completed))
    {
        return Some(Why::Pending);
    }
    Some(if has(Conclusion::Cancelled) {
        Why::NotRun("cancelled")
    } else if has(Conclusion::Skipped) && any_failure {
        Why::NotRun("blocked by an earlier stage")
    } else if has(Conclusion::Skipped) {
        Why::NotRun("skipped")
    } else {
        Why::NotRun("did not complete")
    })
}

/// Whether job `name` runs `suite`: the suite itself, or one of its shards (`S (3)`,
/// `S (linux-mi325-gpu-1, 0)`).
pub fn runs_suite(name: &str, suite: &str) -> bool {
    name == suite
        || name
            .strip_prefix(suite)
            .is_some_and(|rest| rest.starts_with(' '))
}

/// `stage X` for a suite named `stage-x-…`.
fn stage_of(suite: &str) -> Option<char> {
    let at = suite.find("stage-")?;
    suite[at + "stage-".len()..]
        .chars()
        .next()
        .filter(|c| matches!(c, 'a' | 'b' | 'c'))
        .map(|c| c.to_ascii_uppercase())
}

/// The banner (empty without gaps): a CAUTION when AMD CI did not run at all, else a WARNING,
/// then one line per gap. Paths and suites come from the PR: each is shown in a code span
/// without backticks.
pub fn banner(gaps: &[Gap]) -> String {
    if gaps.is_empty() {
        return String::new();
    }
    let not_triggered = gaps.iter().any(|g| g.why == Why::NotTriggered);
    let mut out = if not_triggered {
        "> [!CAUTION]\n> **AMD CI did not run for this PR — these changes are untested on AMD. Trigger / re-run AMD CI before merging.**\n".to_string()
    } else {
        "> [!WARNING]\n> **A code path changed by this PR was not tested on AMD — re-run AMD CI before merging.** A green / \"Unlikely related\" status below does **not** mean it's verified.\n".to_string()
    };
    let code = |t: &str| format!("`{}`", t.replace(['`', '\n', '\r'], "'"));
    for g in gaps {
        let target = match &g.suite {
            Some(s) => {
                let stage = stage_of(s)
                    .map(|x| format!(", stage {x}"))
                    .unwrap_or_default();
                format!(" → {}{stage}", code(s))
            }
            None => String::new(),
        };
        let note = match &g.why {
            Why::NotTriggered => "did not run".to_string(),
            Why::NotRegistered => {
                "not registered for AMD CI (no live `register_amd_ci`)".to_string()
            }
            Why::NightlyOnly => "registered for the nightly AMD runs only".to_string(),
            Why::Disabled(why) => format!(
                "registered but disabled ({})",
                why.replace(['\n', '\r'], " ")
            ),
            Why::Pending => "not finished yet".to_string(),
            Why::NotRun(reason) => format!("did not run ({reason})"),
        };
        out.push_str(&format!("> - {}{target}: {note}\n", code(&g.file)));
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(name: &str, conclusion: Option<Conclusion>) -> AmdJob {
        AmdJob {
            name: name.into(),
            status: Some(if conclusion.is_some() {
                RunStatus::Completed
            } else {
                RunStatus::InProgress
            }),
            conclusion,
        }
    }

    fn file<'a>(path: &'a str, source: &'a str) -> ChangedFile<'a> {
        ChangedFile {
            path,
            removed: false,
            source: Some(source),
        }
    }

    const SMALL: &str = "register_amd_ci(est_time=10, suite=\"stage-b-test-1-gpu-small-amd\")\n";

    #[test]
    fn g41_removed_non_test_and_unreadable_files_are_not_considered() {
        let files = [
            ChangedFile {
                path: "test/registered/test_a.py",
                removed: true,
                source: Some(SMALL),
            },
            file("python/sglang/srt/server.py", SMALL),
            file("test/registered/test_a.md", SMALL),
            ChangedFile {
                path: "test/registered/test_b.py",
                removed: false,
                source: None,
            },
        ];
        assert!(gaps(&files, None).is_empty());
    }

    #[test]
    fn g42_nightly_disabled_and_unregistered_files_are_gaps_said_as_such() {
        let nightly =
            "register_amd_ci(est_time=8, suite=\"nightly-amd-kernel-1-gpu\", nightly=True)\n";
        let disabled = "register_amd_ci(est_time=8, suite=\"stage-b-test-1-gpu-small-amd\", disabled=\"flaky\")\n";
        let cuda =
            "register_cuda_ci(est_time=75, stage=\"extra-a\", runner_config=\"2-gpu-large\")\n";
        let jobs = [job(
            "stage-b-test-1-gpu-small-amd",
            Some(Conclusion::Success),
        )];
        let found = gaps(
            &[
                file("test/x/test_n.py", nightly),
                file("test/x/test_d.py", disabled),
                file("test/x/test_c.py", cuda),
            ],
            Some(&jobs),
        );
        let whys: Vec<&Why> = found.iter().map(|g| &g.why).collect();
        assert_eq!(
            whys,
            [
                &Why::NightlyOnly,
                &Why::Disabled("flaky".into()),
                &Why::NotRegistered
            ]
        );
        let text = banner(&found);
        assert!(
            text.contains("> - `test/x/test_c.py`: not registered for AMD CI"),
            "{text}"
        );
        assert!(
            text.contains(
                "→ `stage-b-test-1-gpu-small-amd`, stage B: registered but disabled (flaky)"
            ),
            "{text}"
        );
    }

    #[test]
    fn g43_shards_match_their_suite_a_longer_name_does_not_and_any_executed_shard_is_coverage() {
        assert!(runs_suite(
            "stage-b-test-1-gpu-small-amd (3)",
            "stage-b-test-1-gpu-small-amd"
        ));
        assert!(!runs_suite(
            "stage-b-test-1-gpu-small-amd-extra",
            "stage-b-test-1-gpu-small-amd"
        ));
        let jobs = [
            job(
                "stage-b-test-1-gpu-small-amd (0)",
                Some(Conclusion::Skipped),
            ),
            job(
                "stage-b-test-1-gpu-small-amd (1)",
                Some(Conclusion::Failure),
            ),
        ];
        assert!(gaps(&[file("test/x/test_a.py", SMALL)], Some(&jobs)).is_empty());
    }

    #[test]
    fn g44_no_amd_run_at_all_is_a_caution_with_every_entry_not_run() {
        let found = gaps(&[file("test/x/test_a.py", SMALL)], None);
        assert_eq!(found[0].why, Why::NotTriggered);
        let text = banner(&found);
        assert!(text.starts_with("> [!CAUTION]\n"), "{text}");
        assert!(text.ends_with(": did not run\n\n"), "{text}");
    }

    #[test]
    fn g45_a_skipped_suite_is_blocked_when_another_amd_job_failed_and_skipped_otherwise() {
        let skipped = job("stage-b-test-1-gpu-small-amd", Some(Conclusion::Skipped));
        let failed = job("stage-a-test-1-amd", Some(Conclusion::Failure));
        let blocked = gaps(
            &[file("test/x/test_a.py", SMALL)],
            Some(&[skipped.clone(), failed]),
        );
        assert_eq!(blocked[0].why, Why::NotRun("blocked by an earlier stage"));
        let plain = gaps(&[file("test/x/test_a.py", SMALL)], Some(&[skipped]));
        assert_eq!(plain[0].why, Why::NotRun("skipped"));
        let pending = gaps(
            &[file("test/x/test_a.py", SMALL)],
            Some(&[job("stage-b-test-1-gpu-small-amd", None)]),
        );
        assert_eq!(pending[0].why, Why::Pending);
        let missing = gaps(&[file("test/x/test_a.py", SMALL)], Some(&[]));
        assert_eq!(missing[0].why, Why::NotRun("not reached"));
        assert!(banner(&missing).starts_with("> [!WARNING]\n"));
    }

    #[test]
    fn g46_the_stage_letter_comes_from_the_suite_name() {
        assert_eq!(stage_of("stage-c-test-large-8-gpu-amd"), Some('C'));
        assert_eq!(stage_of("nightly-amd-8-gpu"), None);
        assert_eq!(stage_of("jit-kernel-benchmark-test-amd"), None);
    }

    #[test]
    fn the_newer_stage_and_runner_config_form_maps_to_its_jobs_and_hostile_names_stay_in_code() {
        let source =
            "register_amd_ci(est_time=165, stage=\"stage-b\", runner_config=\"1-gpu-large-amd\")\n";
        let jobs = [job(
            "stage-b-test-1-gpu-large-amd (linux-mi325-gpu-1, 0)",
            Some(Conclusion::Success),
        )];
        assert!(gaps(&[file("test/x/test_e.py", source)], Some(&jobs)).is_empty());
        let hostile = gaps(&[file("test/x/test_`@x`.py", "")], Some(&jobs));
        let text = banner(&hostile);
        assert!(text.contains("`test/x/test_'@x'.py`"), "{text}");
    }
}
