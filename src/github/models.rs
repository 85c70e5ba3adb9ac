//! The bot's models of GitHub's objects: only the fields it reads, typed with the domain's
//! ids and states.
//!
//! Issues, comments, reactions, pull requests, their files and commit statuses are decoded by
//! octocrab's models and converted (`wire.rs`). The others are decoded here, leniently, for
//! reasons given on each: octocrab's model refuses what GitHub really sends, or lacks a field.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::lenient::opt_or_none;
use crate::domain::{
    CommentId, CommitSha, Conclusion, IssueNumber, IssueState, JobId, ReactionContent, ReactionId,
    RunId, RunStatus,
};

/// A GitHub account. Decoded locally for `GET /user` (a profile has dozens of fields we never
/// read and that vary by token type); converted from octocrab's `Author` elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct User {
    pub login: String,
    #[serde(default)]
    pub id: u64,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

/// One workflow run; the monitor lists them per workflow file. Local model: octocrab's `Run`
/// requires `head_branch` and `head_commit`, which GitHub sends as `null` for some runs, and
/// types `status` as a plain string.
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

/// One job of a run: the unit the monitor analyses. Local model: octocrab's `Job` has closed
/// status and conclusion enums (a new value such as `startup_failure` would fail the whole
/// listing) and requires `name`, `steps` and `started_at`, which GitHub sends as `null` for
/// jobs that never started.
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

/// A label on an issue, by name (all the bot reads of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub name: String,
}

/// An issue (or a PR seen through the issues API), read through octocrab's model.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    pub number: IssueNumber,
    pub id: u64,
    pub title: String,
    /// `""` when GitHub sends no body.
    pub body: String,
    pub state: IssueState,
    pub html_url: String,
    pub user: Option<User>,
    pub labels: Vec<Label>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    /// Present when the "issue" is really a pull request.
    pub pull_request: Option<serde_json::Value>,
    /// Who closed it, when GitHub says (single-issue reads do; listings may not): the tracker
    /// reopens an issue the bot closed but leaves one a person closed as it is.
    pub closed_by: Option<User>,
}

/// A comment on an issue or PR: the bot's durable state lives in these.
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub id: CommentId,
    /// `""` when GitHub sends no body.
    pub body: String,
    pub user: Option<User>,
    pub html_url: String,
    /// The API URL of the issue or PR it is on (`…/issues/N`): the watcher's only way to know
    /// where a comment from the repository-wide listing belongs.
    pub issue_url: String,
    pub author_association: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl Comment {
    /// The author's login, or "" for a deleted (ghost) account.
    pub fn author(&self) -> &str {
        self.user.as_ref().map_or("", |u| u.login.as_str())
    }
}

/// A reaction; the bot uses them as acknowledgements and as processed-flags. Local model:
/// octocrab's requires `node_id` on the reaction and its user, which GitHub did not send
/// before 2018; `watch`'s claim protocol must read every reaction, old or new.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Reaction {
    pub id: ReactionId,
    pub content: ReactionContent,
    #[serde(default)]
    pub user: Option<User>,
    /// When it was added: a claim older than the timeout is taken over.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
}

/// A reaction POST's result: GitHub answers 201 when this call created the reaction and 200
/// when the same account's reaction was already there, which is what makes 🚀 a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostedReaction {
    /// This call created it (201).
    pub created: bool,
    pub reaction: Reaction,
}

/// A git ref on a pull request (head or base).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitRef {
    pub branch: String,
    pub sha: String,
    pub label: Option<String>,
}

/// A pull request.
#[derive(Debug, Clone, PartialEq)]
pub struct PullRequest {
    pub number: IssueNumber,
    pub title: String,
    pub body: String,
    pub state: String,
    pub html_url: String,
    pub user: Option<User>,
    pub head: GitRef,
    pub base: GitRef,
    pub draft: Option<bool>,
    pub merged: Option<bool>,
    pub additions: Option<u64>,
    pub deletions: Option<u64>,
    pub changed_files: Option<u64>,
}

/// One changed file of a pull request. Local model: octocrab's `DiffEntry` requires
/// `contents_url`, which GitHub long omitted and the bot never reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
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

/// A check run on a commit (GitHub Actions jobs appear as check runs too). Local model:
/// octocrab's `CheckRun` has no `status`, and `ci-status` must tell queued from finished.
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
    /// The app that made it: `github-actions` for Actions jobs, which `ci-status` reads as
    /// jobs; any other app is another CI system.
    #[serde(default)]
    pub app: Option<CheckApp>,
}

impl CheckRun {
    /// Whether GitHub Actions made it (then it duplicates a job of a workflow run).
    pub fn is_actions(&self) -> bool {
        self.app
            .as_ref()
            .is_some_and(|a| a.slug == "github-actions")
    }
}

/// The app behind a check run, by slug.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckApp {
    #[serde(default)]
    pub slug: String,
}

/// One commit status (the older statuses API), read through octocrab's model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitStatus {
    pub context: String,
    pub state: String,
    pub description: Option<String>,
    pub target_url: Option<String>,
}

/// The combined status of a ref, read through octocrab's model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CombinedStatus {
    pub state: String,
    pub sha: String,
    pub statuses: Vec<CommitStatus>,
}

/// Where one commit stands relative to another (`GET /compare/{base}...{head}`). Local model:
/// `ci-status` reads three fields, while octocrab's `CommitComparison` requires the whole
/// commit list and file list of the comparison, which can be large and are never read.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Comparison {
    /// `identical`, `ahead`, `behind` or `diverged` (head relative to base).
    pub status: String,
    #[serde(default)]
    pub ahead_by: u64,
    #[serde(default)]
    pub behind_by: u64,
    pub merge_base_commit: CommitRef,
}

impl Comparison {
    /// Whether the head is the base or one of its descendants (the base is in its history).
    pub fn head_contains_base(&self) -> bool {
        matches!(self.status.as_str(), "identical" | "ahead")
    }
}

/// A commit named by its sha (the fields of a commit object the bot reads).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CommitRef {
    pub sha: String,
}

/// Run id 0 for a job listed without one (older recordings); never matches a real run.
fn unknown_run() -> RunId {
    RunId::new(0)
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

    #[test]
    fn null_job_name_and_steps_decode_as_empty() {
        let job: Job =
            serde_json::from_str(r#"{"id":1,"name":null,"steps":null,"labels":null}"#).unwrap();
        assert_eq!(job.name, "");
        assert!(job.steps.is_empty());
    }
}
