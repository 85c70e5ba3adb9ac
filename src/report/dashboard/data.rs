//! The dashboard's data: what `data.json` holds and what `index.html` inlines. One set of serde
//! types for both, so the page and anyone's scripts read the same schema (documented in the
//! README's dashboard section). Bump [`SCHEMA_VERSION`] on any change a reader would notice.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The schema's version, written in every `data.json`.
pub const SCHEMA_VERSION: u32 = 1;

/// Everything the page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub schema_version: u32,
    /// When it was made (RFC 3339, UTC).
    pub generated_at: String,
    /// The repository whose CI it shows.
    pub target_repo: String,
    /// The days of the grid, oldest first; the last is "today".
    pub days: Vec<NaiveDate>,
    /// One row per monitored workflow, in the configuration's order.
    pub workflows: Vec<WorkflowRow>,
    /// Failures still open (failing on the latest day their tracker scanned), grouped by cluster.
    pub clusters: Vec<Cluster>,
    /// Tracker entries first seen today.
    pub new_today: Vec<String>,
    /// Tracker entries that failed on the previous scan day and passed today.
    pub fixed_today: Vec<String>,
}

/// A workflow and its days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowRow {
    pub file: String,
    pub name: String,
    /// One cell per entry of [`Dashboard::days`], same order.
    pub cells: Vec<Cell>,
}

/// What a workflow's scheduled runs did on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CellState {
    /// The bot reported failed jobs (red).
    Failed,
    /// A run passed and nothing was reported (green).
    Passed,
    /// No completed run (grey).
    NoRun,
}

/// One day of one workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cell {
    pub day: NaiveDate,
    pub state: CellState,
    /// Failed jobs the bot reported that day.
    pub failing_jobs: usize,
    /// Failing tests the reports name (the trend chart's value).
    pub failing_tests: usize,
    /// The day's report comment for the workflow, or the run's page.
    pub link: Option<String>,
}

/// Open failures sharing a cluster name, across workflows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cluster {
    pub name: String,
    pub failures: Vec<OpenFailure>,
}

/// One failing test as its tracker keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenFailure {
    pub workflow: String,
    /// `file::Class::test`.
    pub test: String,
    pub error: String,
    pub first_seen: Option<NaiveDate>,
    pub last_seen: Option<NaiveDate>,
    /// Scan days failing in a row, up to the latest.
    pub streak: usize,
    /// Times it failed again after passing (fail → pass → fail).
    pub flakiness: usize,
    /// The tracker issue.
    pub tracker_url: String,
    /// The latest failing job's log.
    pub log_url: Option<String>,
    /// Where it started, when the monitor saved a range (issue #16).
    pub since: Option<SinceWhen>,
}

/// Where a failure started, from the range the monitor saved with its job (issue #16).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SinceWhen {
    /// The first run of the failing streak's commit.
    pub first_red_sha: String,
    /// The last run that passed before it; `None` when none was in the history read.
    pub last_green_sha: Option<String>,
    /// Commits between them.
    pub commits: Option<u64>,
    /// Runs failing in a row, since `since` (`YYYY-MM-DD`).
    pub failing_runs: u32,
    pub since: String,
    /// GitHub's compare page of the two commits, when both are known.
    pub compare_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_round_trips_and_states_are_snake_case() {
        let d = Dashboard {
            schema_version: SCHEMA_VERSION,
            generated_at: "2026-12-01T06:00:00Z".into(),
            target_repo: "sgl-project/sglang".into(),
            days: vec![NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()],
            workflows: vec![WorkflowRow {
                file: "pr-test-amd.yml".into(),
                name: "PR Test (AMD)".into(),
                cells: vec![Cell {
                    day: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
                    state: CellState::NoRun,
                    failing_jobs: 0,
                    failing_tests: 0,
                    link: None,
                }],
            }],
            clusters: vec![],
            new_today: vec!["t.py::T::a".into()],
            fixed_today: vec![],
        };
        let text = serde_json::to_string(&d).unwrap();
        assert!(text.contains("\"state\":\"no_run\""), "{text}");
        assert!(text.contains("\"days\":[\"2026-12-01\"]"), "{text}");
        assert_eq!(serde_json::from_str::<Dashboard>(&text).unwrap(), d);
    }
}
