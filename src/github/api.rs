//! One method per GitHub call the bot makes. Commands use these and never build URLs.

use chrono::{DateTime, Utc};
use http::Method;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::json;

use super::client::Client;
use super::error::Result;
use super::models::*;
use super::retry::Idempotency;
use crate::domain::{CommentId, CommitSha, IssueNumber, JobId, ReactionContent, ReactionId, RunId};

/// GitHub's page size maximum; every listing asks for it.
const PER_PAGE: usize = 100;

/// Which runs of a workflow to list.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    pub branch: Option<String>,
    /// e.g. `schedule`.
    pub event: Option<String>,
    /// e.g. `completed`, `failure`.
    pub status: Option<String>,
    /// Only runs created at or after this time (`created=>=…`).
    pub created_since: Option<DateTime<Utc>>,
    /// Stop after this many runs (newest first, as GitHub orders them).
    pub limit: Option<usize>,
}

/// Which issues to list.
#[derive(Debug, Clone, Default)]
pub struct IssueFilter {
    /// `open`, `closed` or `all`; GitHub's default is `open`.
    pub state: Option<String>,
    pub labels: Vec<String>,
    pub creator: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub limit: Option<usize>,
}

/// The fields of a new issue.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct NewIssue {
    pub title: String,
    pub body: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
}

/// The fields of an issue to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct IssuePatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_reason: Option<String>,
}

fn query(pairs: &[(&str, Option<String>)]) -> String {
    let mut out = String::new();
    for (key, value) in pairs {
        if let Some(value) = value {
            out.push(if out.is_empty() { '?' } else { '&' });
            out.push_str(key);
            out.push('=');
            out.push_str(&encode(value));
        }
    }
    out
}

/// Everything but RFC 3986's unreserved characters (`A-Z a-z 0-9 - . _ ~`) is escaped, so a
/// value is safe both as a query value and as one path segment (`/` included).
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes a query value or a path segment.
fn encode(value: &str) -> String {
    utf8_percent_encode(value, NOT_UNRESERVED).to_string()
}

fn field(name: &'static str) -> impl Fn(serde_json::Value) -> Option<serde_json::Value> {
    move |mut page| page.get_mut(name).map(serde_json::Value::take)
}

fn whole(page: serde_json::Value) -> Option<serde_json::Value> {
    Some(page)
}

impl Client {
    /// The account the token belongs to: only its comments are read back as bot state.
    pub async fn authenticated_user(&self) -> Result<User> {
        self.get_json("/user").await
    }

    /// Runs of one workflow (addressed by file name), newest first.
    pub async fn workflow_runs(
        &self,
        repo: &str,
        workflow_file: &str,
        filter: &RunFilter,
    ) -> Result<Vec<WorkflowRun>> {
        let per_page = filter.limit.map_or(PER_PAGE, |l| l.clamp(1, PER_PAGE));
        let path = format!(
            "/repos/{repo}/actions/workflows/{}/runs{}",
            encode(workflow_file),
            query(&[
                ("branch", filter.branch.clone()),
                ("event", filter.event.clone()),
                ("status", filter.status.clone()),
                (
                    "created",
                    filter
                        .created_since
                        .map(|t| format!(">={}", t.format("%Y-%m-%dT%H:%M:%SZ"))),
                ),
                ("per_page", Some(per_page.to_string())),
            ])
        );
        self.get_all(&path, filter.limit, field("workflow_runs"))
            .await
    }

    /// All runs for one commit (every workflow), for PR status checks.
    pub async fn runs_for_sha(&self, repo: &str, sha: &CommitSha) -> Result<Vec<WorkflowRun>> {
        let path = format!(
            "/repos/{repo}/actions/runs?head_sha={}&per_page={PER_PAGE}",
            encode(sha.as_str())
        );
        self.get_all(&path, None, field("workflow_runs")).await
    }

    /// One run.
    pub async fn workflow_run(&self, repo: &str, run_id: RunId) -> Result<WorkflowRun> {
        self.get_json(&format!("/repos/{repo}/actions/runs/{run_id}"))
            .await
    }

    /// Every job of a run's latest attempt (all pages: runs with over 100 jobs lose nothing).
    pub async fn run_jobs(&self, repo: &str, run_id: RunId) -> Result<Vec<Job>> {
        let path =
            format!("/repos/{repo}/actions/runs/{run_id}/jobs?filter=latest&per_page={PER_PAGE}");
        self.get_all(&path, None, field("jobs")).await
    }

    /// One job, with its steps.
    pub async fn job(&self, repo: &str, job_id: JobId) -> Result<Job> {
        self.get_json(&format!("/repos/{repo}/actions/jobs/{job_id}"))
            .await
    }

    /// Re-runs the failed jobs of a run.
    pub async fn rerun_failed_jobs(&self, repo: &str, run_id: RunId) -> Result<()> {
        let path = format!("/repos/{repo}/actions/runs/{run_id}/rerun-failed-jobs");
        self.write::<serde_json::Value>(Method::POST, &path, None, Idempotency::Safe)
            .await
            .map(drop)
    }

    /// Starts a workflow by `workflow_dispatch`.
    pub async fn dispatch_workflow(
        &self,
        repo: &str,
        workflow_file: &str,
        git_ref: &str,
        inputs: serde_json::Value,
    ) -> Result<()> {
        let path = format!(
            "/repos/{repo}/actions/workflows/{}/dispatches",
            encode(workflow_file)
        );
        self.write::<serde_json::Value>(
            Method::POST,
            &path,
            Some(json!({"ref": git_ref, "inputs": inputs})),
            Idempotency::CreatesResource,
        )
        .await
        .map(drop)
    }

    /// Issues of a repository (pull requests filtered out).
    pub async fn issues(&self, repo: &str, filter: &IssueFilter) -> Result<Vec<Issue>> {
        let path = format!(
            "/repos/{repo}/issues{}",
            query(&[
                ("state", filter.state.clone()),
                (
                    "labels",
                    (!filter.labels.is_empty()).then(|| filter.labels.join(",")),
                ),
                ("creator", filter.creator.clone()),
                (
                    "since",
                    filter
                        .since
                        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
                ),
                ("per_page", Some(PER_PAGE.to_string())),
            ])
        );
        let mut issues: Vec<Issue> = self.get_all(&path, filter.limit, whole).await?;
        issues.retain(|i| i.pull_request.is_none());
        Ok(issues)
    }

    /// One issue.
    pub async fn issue(&self, repo: &str, number: IssueNumber) -> Result<Issue> {
        self.get_json(&format!("/repos/{repo}/issues/{number}"))
            .await
    }

    /// Issue search. Eventually consistent on GitHub: never the only way to find what we wrote.
    pub async fn search_issues(&self, q: &str, limit: Option<usize>) -> Result<Vec<Issue>> {
        let path = format!("/search/issues?q={}&per_page={PER_PAGE}", encode(q));
        self.get_all(&path, limit, field("items")).await
    }

    /// Opens an issue. Dry run: `None`, since nothing was created (the issue is only planned).
    pub async fn create_issue(&self, repo: &str, issue: &NewIssue) -> Result<Option<Issue>> {
        let payload = serde_json::to_value(issue).expect("issue serialises");
        let created = self
            .write(
                Method::POST,
                &format!("/repos/{repo}/issues"),
                Some(payload),
                Idempotency::CreatesResource,
            )
            .await?;
        Ok(created)
    }

    /// Changes an issue's title, body or state.
    pub async fn update_issue(
        &self,
        repo: &str,
        number: IssueNumber,
        patch: &IssuePatch,
    ) -> Result<()> {
        let payload = serde_json::to_value(patch).expect("patch serialises");
        self.write::<serde_json::Value>(
            Method::PATCH,
            &format!("/repos/{repo}/issues/{number}"),
            Some(payload),
            Idempotency::Safe,
        )
        .await
        .map(drop)
    }

    /// Every comment of an issue or PR, oldest first.
    pub async fn comments(&self, repo: &str, number: IssueNumber) -> Result<Vec<Comment>> {
        let path = format!("/repos/{repo}/issues/{number}/comments?per_page={PER_PAGE}");
        self.get_all(&path, None, whole).await
    }

    /// One comment by id; `None` when it was deleted.
    pub async fn comment(&self, repo: &str, comment_id: CommentId) -> Result<Option<Comment>> {
        self.get_optional(&format!("/repos/{repo}/issues/comments/{comment_id}"))
            .await
    }

    /// Posts a comment. Dry run: `None`, since nothing was posted.
    pub async fn create_comment(
        &self,
        repo: &str,
        number: IssueNumber,
        body: &str,
    ) -> Result<Option<Comment>> {
        let created = self
            .write(
                Method::POST,
                &format!("/repos/{repo}/issues/{number}/comments"),
                Some(json!({ "body": body })),
                Idempotency::CreatesResource,
            )
            .await?;
        Ok(created)
    }

    /// Replaces a comment's body.
    pub async fn update_comment(
        &self,
        repo: &str,
        comment_id: CommentId,
        body: &str,
    ) -> Result<()> {
        self.write::<serde_json::Value>(
            Method::PATCH,
            &format!("/repos/{repo}/issues/comments/{comment_id}"),
            Some(json!({ "body": body })),
            Idempotency::Safe,
        )
        .await
        .map(drop)
    }

    /// Deletes a comment; one that is already gone counts as deleted.
    pub async fn delete_comment(&self, repo: &str, comment_id: CommentId) -> Result<()> {
        match self
            .write::<serde_json::Value>(
                Method::DELETE,
                &format!("/repos/{repo}/issues/comments/{comment_id}"),
                None,
                Idempotency::Safe,
            )
            .await
        {
            Ok(_) | Err(super::GithubError::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Reactions on a comment.
    pub async fn comment_reactions(
        &self,
        repo: &str,
        comment_id: CommentId,
    ) -> Result<Vec<Reaction>> {
        let path =
            format!("/repos/{repo}/issues/comments/{comment_id}/reactions?per_page={PER_PAGE}");
        self.get_all(&path, None, whole).await
    }

    /// Adds a reaction to a comment (GitHub answers 200 if it already exists).
    pub async fn react_to_comment(
        &self,
        repo: &str,
        comment_id: CommentId,
        content: &ReactionContent,
    ) -> Result<()> {
        self.write::<serde_json::Value>(
            Method::POST,
            &format!("/repos/{repo}/issues/comments/{comment_id}/reactions"),
            Some(json!({ "content": content.as_str() })),
            Idempotency::Safe,
        )
        .await
        .map(drop)
    }

    /// Removes one reaction from a comment.
    pub async fn delete_comment_reaction(
        &self,
        repo: &str,
        comment_id: CommentId,
        reaction_id: ReactionId,
    ) -> Result<()> {
        self.write::<serde_json::Value>(
            Method::DELETE,
            &format!("/repos/{repo}/issues/comments/{comment_id}/reactions/{reaction_id}"),
            None,
            Idempotency::Safe,
        )
        .await
        .map(drop)
    }

    /// Reactions on an issue or PR itself.
    pub async fn issue_reactions(&self, repo: &str, number: IssueNumber) -> Result<Vec<Reaction>> {
        let path = format!("/repos/{repo}/issues/{number}/reactions?per_page={PER_PAGE}");
        self.get_all(&path, None, whole).await
    }

    /// Adds a reaction to an issue or PR.
    pub async fn react_to_issue(
        &self,
        repo: &str,
        number: IssueNumber,
        content: &ReactionContent,
    ) -> Result<()> {
        self.write::<serde_json::Value>(
            Method::POST,
            &format!("/repos/{repo}/issues/{number}/reactions"),
            Some(json!({ "content": content.as_str() })),
            Idempotency::Safe,
        )
        .await
        .map(drop)
    }

    /// One pull request.
    pub async fn pull_request(&self, repo: &str, number: IssueNumber) -> Result<PullRequest> {
        self.get_json(&format!("/repos/{repo}/pulls/{number}"))
            .await
    }

    /// Open pull requests, newest first.
    pub async fn pull_requests(
        &self,
        repo: &str,
        state: &str,
        limit: Option<usize>,
    ) -> Result<Vec<PullRequest>> {
        let path = format!(
            "/repos/{repo}/pulls?state={}&per_page={PER_PAGE}",
            encode(state)
        );
        self.get_all(&path, limit, whole).await
    }

    /// Every changed file of a pull request.
    pub async fn pull_request_files(
        &self,
        repo: &str,
        number: IssueNumber,
    ) -> Result<Vec<PullFile>> {
        let path = format!("/repos/{repo}/pulls/{number}/files?per_page={PER_PAGE}");
        self.get_all(&path, None, whole).await
    }

    /// The unified diff of a pull request; `None` when GitHub has none to give.
    pub async fn pull_request_diff(
        &self,
        repo: &str,
        number: IssueNumber,
    ) -> Result<Option<String>> {
        self.get_text(
            &format!("/repos/{repo}/pulls/{number}"),
            "application/vnd.github.diff",
        )
        .await
    }

    /// A file's content at a ref; `None` when the file does not exist there.
    pub async fn file_at_ref(
        &self,
        repo: &str,
        path: &str,
        git_ref: &str,
    ) -> Result<Option<String>> {
        let segments: Vec<String> = path.split('/').map(encode).collect();
        self.get_text(
            &format!(
                "/repos/{repo}/contents/{}?ref={}",
                segments.join("/"),
                encode(git_ref)
            ),
            "application/vnd.github.raw",
        )
        .await
    }

    /// Check runs of a commit.
    pub async fn check_runs(&self, repo: &str, git_ref: &str) -> Result<Vec<CheckRun>> {
        let path = format!(
            "/repos/{repo}/commits/{}/check-runs?per_page={PER_PAGE}",
            encode(git_ref)
        );
        self.get_all(&path, None, field("check_runs")).await
    }

    /// Commit statuses of a ref (newest first, every context).
    pub async fn commit_statuses(&self, repo: &str, git_ref: &str) -> Result<Vec<CommitStatus>> {
        let path = format!(
            "/repos/{repo}/commits/{}/statuses?per_page={PER_PAGE}",
            encode(git_ref)
        );
        self.get_all(&path, None, whole).await
    }

    /// The combined status of a ref.
    pub async fn combined_status(&self, repo: &str, git_ref: &str) -> Result<CombinedStatus> {
        self.get_json(&format!("/repos/{repo}/commits/{}/status", encode(git_ref)))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            query(&[
                ("q", Some("repo:a/b is:issue \"x y\"".into())),
                ("skip", None)
            ]),
            "?q=repo%3Aa%2Fb%20is%3Aissue%20%22x%20y%22"
        );
        assert_eq!(
            query(&[("created", Some(">=2026-01-01".into()))]),
            "?created=%3E%3D2026-01-01"
        );
    }
}
