//! Typed GitHub REST payloads, holding only the fields the bot reads.
//!
//! Every field GitHub may omit (older recordings lack many) is optional or defaulted, so a
//! response from GitHub Enterprise or an older API version still decodes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::lenient::opt_or_none;
use crate::domain::{
    CommentId, CommitSha, Conclusion, IssueNumber, IssueState, JobId, ReactionContent, ReactionId,
    RunId, RunStatus,
};

/// A GitHub account, as it appears on issues, comments and reactions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct User {
    pub login: String,
    #[serde(default)]
    pub id: u64,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

/// One workflow run; the monitor lists them per workflow file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowRun {
    pub id: RunId,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub run_number: u64,
    #[serde(default)]
    pub run_attempt: Option<u32>,
    #[serde(default)]
    pub event: String,
    #[serde(default)]
    pub status: Option<RunStatus>,
    #[serde(default)]
    pub conclusion: Option<Conclusion>,
    #[serde(default)]
    pub head_branch: Option<String>,
    /// `None` only if GitHub sent something that is not a hash.
    #[serde(default, deserialize_with = "opt_or_none")]
    pub head_sha: Option<CommitSha>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub html_url: String,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub run_started_at: Option<DateTime<Utc>>,
}

/// One step of a job, as the jobs API reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub status: Option<RunStatus>,
    #[serde(default)]
    pub conclusion: Option<Conclusion>,
    #[serde(default)]
    pub number: u32,
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub completed_at: Option<DateTime<Utc>>,
}

/// One job of a run: the unit the monitor analyses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: JobId,
    #[serde(default = "unknown_run")]
    pub run_id: RunId,
    /// GitHub sends `null` for some names; treated like an empty name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    #[serde(default)]
    pub status: Option<RunStatus>,
    #[serde(default)]
    pub conclusion: Option<Conclusion>,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default, deserialize_with = "opt_or_none")]
    pub head_sha: Option<CommitSha>,
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub completed_at: Option<DateTime<Utc>>,
    /// `null` steps are treated like no steps.
    #[serde(default, deserialize_with = "null_as_default")]
    pub steps: Vec<Step>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub labels: Vec<String>,
    #[serde(default)]
    pub runner_name: Option<String>,
    #[serde(default)]
    pub workflow_name: Option<String>,
    #[serde(default)]
    pub run_attempt: Option<u32>,
}

/// A label on an issue; GitHub sends objects, the bot only needs the name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    pub name: String,
}

/// An issue (or a PR seen through the issues API).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Issue {
    pub number: IssueNumber,
    #[serde(default)]
    pub id: u64,
    #[serde(default)]
    pub title: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub body: String,
    #[serde(default = "open")]
    pub state: IssueState,
    #[serde(default)]
    pub html_url: String,
    #[serde(default)]
    pub user: Option<User>,
    #[serde(default)]
    pub labels: Vec<Label>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    /// Present when the "issue" is really a pull request.
    #[serde(default)]
    pub pull_request: Option<serde_json::Value>,
}

/// A comment on an issue or PR: the bot's durable state lives in these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comment {
    pub id: CommentId,
    #[serde(default, deserialize_with = "null_as_default")]
    pub body: String,
    #[serde(default)]
    pub user: Option<User>,
    #[serde(default)]
    pub html_url: String,
    #[serde(default)]
    pub author_association: Option<String>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
}

impl Comment {
    /// The author's login, or "" for a deleted (ghost) account.
    pub fn author(&self) -> &str {
        self.user.as_ref().map_or("", |u| u.login.as_str())
    }
}

/// A reaction; the bot uses them as acknowledgements and as processed-flags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    pub id: ReactionId,
    pub content: ReactionContent,
    #[serde(default)]
    pub user: Option<User>,
}

/// A git ref on a pull request (head or base).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitRef {
    #[serde(rename = "ref", default)]
    pub branch: String,
    #[serde(default)]
    pub sha: String,
    #[serde(default)]
    pub label: Option<String>,
}

/// A pull request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullRequest {
    pub number: u64,
    #[serde(default)]
    pub title: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub body: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub html_url: String,
    #[serde(default)]
    pub user: Option<User>,
    pub head: GitRef,
    pub base: GitRef,
    #[serde(default)]
    pub draft: Option<bool>,
    #[serde(default)]
    pub merged: Option<bool>,
    #[serde(default)]
    pub additions: Option<u64>,
    #[serde(default)]
    pub deletions: Option<u64>,
    #[serde(default)]
    pub changed_files: Option<u64>,
}

/// One changed file of a pull request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullFile {
    pub filename: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub additions: u64,
    #[serde(default)]
    pub deletions: u64,
    #[serde(default)]
    pub patch: Option<String>,
    #[serde(default)]
    pub previous_filename: Option<String>,
}

/// A check run on a commit (GitHub Actions jobs appear as check runs too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRun {
    pub id: u64,
    pub name: String,
    #[serde(default)]
    pub status: Option<RunStatus>,
    #[serde(default)]
    pub conclusion: Option<Conclusion>,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub details_url: Option<String>,
}

/// One commit status (the older statuses API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitStatus {
    #[serde(default)]
    pub context: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub target_url: Option<String>,
}

/// The combined status of a ref.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CombinedStatus {
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub sha: String,
    #[serde(default)]
    pub statuses: Vec<CommitStatus>,
}

/// Run id 0 for a job listed without one (older recordings); never matches a real run.
fn unknown_run() -> RunId {
    RunId::new(0)
}

/// GitHub omits `state` only on objects it just created, which are open.
fn open() -> IssueState {
    IssueState::Open
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/github");

    fn fixture(name: &str) -> Option<String> {
        Some(std::fs::read_to_string(format!("{FIXTURES}/{name}")).expect("recorded fixture"))
    }

    fn field<T: serde::de::DeserializeOwned>(name: &str, key: &str) -> T {
        let mut v: serde_json::Value = serde_json::from_str(&fixture(name).unwrap()).unwrap();
        serde_json::from_value(v[key].take()).unwrap()
    }

    #[test]
    fn null_job_name_and_steps_decode_as_empty() {
        let job: Job =
            serde_json::from_str(r#"{"id":1,"name":null,"steps":null,"labels":null}"#).unwrap();
        assert_eq!(job.name, "");
        assert!(job.steps.is_empty());
    }

    #[test]
    fn recorded_github_payloads_decode() {
        let job: Job = serde_json::from_str(&fixture("job.json").unwrap()).unwrap();
        assert_eq!(job.steps[0].name, "Set up job");
        let run: WorkflowRun =
            serde_json::from_str(&fixture("workflow-run.json").unwrap()).unwrap();
        assert!(run.id.get() > 0);
        let issue: Issue = serde_json::from_str(&fixture("issue.json").unwrap()).unwrap();
        assert!(issue.number.get() > 0);
        let comments: Vec<Comment> =
            serde_json::from_str(&fixture("issue-comments-list.json").unwrap()).unwrap();
        assert!(!comments.is_empty());
        let pr: PullRequest = serde_json::from_str(&fixture("pull-request.json").unwrap()).unwrap();
        assert!(!pr.head.sha.is_empty());
        let files: Vec<PullFile> =
            serde_json::from_str(&fixture("pull-request-files.json").unwrap()).unwrap();
        assert!(!files.is_empty());
        let checks: Vec<CheckRun> = field("check-runs-for-ref.json", "check_runs");
        assert!(!checks.is_empty());
        let status: CombinedStatus =
            serde_json::from_str(&fixture("combined-status.json").unwrap()).unwrap();
        assert!(!status.state.is_empty());
        let reactions: Vec<Reaction> =
            serde_json::from_str(&fixture("reactions-list.json").unwrap()).unwrap();
        assert!(!reactions.is_empty());
        let jobs: Vec<Job> = field("jobs-list-pytorch.json", "jobs");
        assert!(jobs
            .iter()
            .any(|j| j.conclusion == Some(Conclusion::Skipped)));
        let runs: Vec<WorkflowRun> = field("workflow-runs-list-for-workflow.json", "workflow_runs");
        assert!(!runs.is_empty());
        let found: Vec<Issue> = field("search-issues.json", "items");
        assert!(!found.is_empty());
    }
}
