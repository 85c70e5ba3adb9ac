//! Where each workflow of a PR's head commit stands, for `ci-status` (issue #14): the newest
//! run of each workflow classified, and the expected AMD workflows that have no run named as
//! missing, so the report names what is running, awaiting approval or missing instead of
//! counting it. Pure: the caller lists the runs for the head commit.

use crate::domain::{Conclusion, RunId, RunStatus};

/// A run of the PR's head commit, as the classification needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct HeadRun {
    pub id: RunId,
    /// The workflow's name (`PR Test (AMD)`).
    pub name: String,
    /// The workflow file (`pr-test-amd.yml`), when GitHub gives its path.
    pub file: Option<String>,
    pub status: Option<RunStatus>,
    pub conclusion: Option<Conclusion>,
    pub html_url: String,
}

/// Where a workflow stands on the commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    Passed,
    /// Queued, waiting or running.
    Running,
    /// A fork PR's run waiting for a maintainer to approve it.
    AwaitingApproval,
    /// Failed (or timed out, or could not start): its failed jobs are examined.
    Failed,
    /// Cancelled (usually superseded by a newer push).
    Cancelled,
    /// Skipped or neutral: it ran nothing that counts.
    Skipped,
    /// An expected workflow with no run on the commit.
    Missing,
}

/// One workflow and where it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowStanding {
    /// The workflow file when known, else its name.
    pub workflow: String,
    pub standing: Standing,
    /// The newest run (none for a missing workflow).
    pub run: Option<HeadRun>,
}

impl WorkflowStanding {
    /// Whether this is an AMD workflow (`amd` in its file or run name, any case).
    pub fn is_amd(&self) -> bool {
        let amd = |s: &str| s.to_ascii_lowercase().contains("amd");
        amd(&self.workflow) || self.run.as_ref().is_some_and(|r| amd(&r.name))
    }
}

/// The file name of a run's workflow (`.github/workflows/x.yml` → `x.yml`).
fn workflow_of(run: &HeadRun) -> String {
    run.file
        .as_deref()
        .and_then(|p| p.rsplit('/').next())
        .filter(|f| !f.is_empty())
        .map_or_else(|| run.name.clone(), str::to_string)
}

/// Where `run` stands.
fn standing(run: &HeadRun) -> Standing {
    match (&run.status, &run.conclusion) {
        (_, Some(Conclusion::Success)) => Standing::Passed,
        (_, Some(Conclusion::ActionRequired)) => Standing::AwaitingApproval,
        (_, Some(Conclusion::Failure | Conclusion::TimedOut | Conclusion::StartupFailure)) => {
            Standing::Failed
        }
        (_, Some(Conclusion::Cancelled)) => Standing::Cancelled,
        (Some(RunStatus::Completed), Some(Conclusion::Skipped | Conclusion::Neutral)) => {
            Standing::Skipped
        }
        // Not finished, or an end GitHub invents later: not a verdict yet.
        _ => Standing::Running,
    }
}

/// Every workflow of the commit by its newest run (sorted by workflow), then each of
/// `expected` (workflow files) without a run, as missing.
pub fn standings(runs: &[HeadRun], expected: &[String]) -> Vec<WorkflowStanding> {
    let mut newest: std::collections::BTreeMap<String, &HeadRun> = Default::default();
    for run in runs {
        let slot = newest.entry(workflow_of(run)).or_insert(run);
        if run.id > slot.id {
            *slot = run;
        }
    }
    let mut out: Vec<WorkflowStanding> = newest
        .into_iter()
        .map(|(workflow, run)| WorkflowStanding {
            workflow,
            standing: standing(run),
            run: Some(run.clone()),
        })
        .collect();
    for file in expected {
        if !out.iter().any(|w| &w.workflow == file) {
            out.push(WorkflowStanding {
                workflow: file.clone(),
                standing: Standing::Missing,
                run: None,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: u64, file: &str, status: &str, conclusion: Option<&str>) -> HeadRun {
        HeadRun {
            id: RunId::new(id),
            name: file.trim_end_matches(".yml").replace('-', " "),
            file: Some(format!(".github/workflows/{file}")),
            status: Some(RunStatus::parse(status)),
            conclusion: conclusion.map(|c| serde_json::from_value(serde_json::json!(c)).unwrap()),
            html_url: format!("https://github.com/sgl-project/sglang/actions/runs/{id}"),
        }
    }

    fn of<'a>(all: &'a [WorkflowStanding], wf: &str) -> &'a WorkflowStanding {
        all.iter()
            .find(|w| w.workflow == wf)
            .unwrap_or_else(|| panic!("{wf}: {all:?}"))
    }

    #[test]
    fn the_newest_run_of_each_workflow_decides_and_expected_ones_without_a_run_are_missing() {
        let runs = [
            run(1, "pr-test-amd.yml", "completed", Some("failure")),
            run(5, "pr-test-amd.yml", "completed", Some("success")),
            run(2, "pr-test-amd-rocm720.yml", "in_progress", None),
            run(3, "pr-test.yml", "completed", Some("action_required")),
            run(4, "lint.yml", "completed", Some("cancelled")),
            run(6, "docs.yml", "completed", Some("skipped")),
            run(7, "nightly.yml", "completed", Some("startup_failure")),
        ];
        let expected = [
            "pr-test-amd.yml".to_string(),
            "amd-aiter-scout.yml".to_string(),
        ];
        let all = standings(&runs, &expected);
        assert_eq!(
            of(&all, "pr-test-amd.yml").standing,
            Standing::Passed,
            "the re-run decides"
        );
        assert_eq!(
            of(&all, "pr-test-amd.yml").run.as_ref().unwrap().id,
            RunId::new(5)
        );
        assert_eq!(
            of(&all, "pr-test-amd-rocm720.yml").standing,
            Standing::Running
        );
        assert_eq!(of(&all, "pr-test.yml").standing, Standing::AwaitingApproval);
        assert_eq!(of(&all, "lint.yml").standing, Standing::Cancelled);
        assert_eq!(of(&all, "docs.yml").standing, Standing::Skipped);
        assert_eq!(of(&all, "nightly.yml").standing, Standing::Failed);
        let missing = of(&all, "amd-aiter-scout.yml");
        assert_eq!(
            (missing.standing.clone(), missing.run.is_none()),
            (Standing::Missing, true)
        );
        assert_eq!(all.len(), 7);
    }

    #[test]
    fn amd_workflows_are_told_by_file_or_name_and_a_pathless_run_goes_by_its_name() {
        let mut pathless = run(9, "x.yml", "queued", None);
        pathless.file = None;
        pathless.name = "PR Test (AMD)".into();
        let all = standings(
            &[pathless, run(3, "lint.yml", "completed", Some("success"))],
            &[],
        );
        assert!(of(&all, "PR Test (AMD)").is_amd());
        assert_eq!(of(&all, "PR Test (AMD)").standing, Standing::Running);
        assert!(!of(&all, "lint.yml").is_amd());
        assert!(standings(&[], &["pr-test-amd.yml".into()])[0].is_amd());
    }
}
