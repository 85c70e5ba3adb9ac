//! One method per GitHub call the bot makes. Commands use these and never build URLs.

use chrono::{DateTime, Utc};
use http::Method;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::json;

use super::client::Client;
use super::error::Result;
use super::models::*;
use crate::domain::{
    CommentId, CommitSha, IssueNumber, JobId, ReactionContent, ReactionId, RepoName, RunId,
};
use crate::http::Idempotency;
use octocrab::models as octo;

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
    /// With `created_since`, only runs created up to this time too (`created=A..B`, both
    /// ends included): a past day's runs are found however many came after.
    pub created_until: Option<DateTime<Utc>>,
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

/// The `created` qualifier: `>=A`, or `A..B` with an upper bound.
fn created_query(filter: &RunFilter) -> Option<String> {
    let at = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let since = filter.created_since.map(at)?;
    Some(match filter.created_until.map(at) {
        Some(until) => format!("{since}..{until}"),
        None => format!(">={since}"),
    })
}

/// A listed item that no model reads.
fn decode_error(path: &str, e: serde_json::Error) -> super::GithubError {
    super::GithubError::Decode {
        method: "GET".into(),
        path: path.to_string(),
        message: e.to_string(),
    }
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
        repo: &RepoName,
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
                ("created", created_query(filter)),
                ("per_page", Some(per_page.to_string())),
            ])
        );
        self.get_all(&path, filter.limit, field("workflow_runs"))
            .await
    }

    /// All runs for one commit (`ci-status` #14: the PR's CI at its head).
    pub async fn runs_for_sha(&self, repo: &RepoName, sha: &CommitSha) -> Result<Vec<WorkflowRun>> {
        let path = format!(
            "/repos/{repo}/actions/runs?head_sha={}&per_page={PER_PAGE}",
            encode(sha.as_str())
        );
        self.get_all(&path, None, field("workflow_runs")).await
    }

    /// One run (`analyze-url` #14 reads the run a URL names; the cross-run view).
    pub async fn workflow_run(&self, repo: &RepoName, run_id: RunId) -> Result<WorkflowRun> {
        self.get_json(&format!("/repos/{repo}/actions/runs/{run_id}"))
            .await
    }

    /// Every job of a run's latest attempt (all pages: runs with over 100 jobs lose nothing).
    pub async fn run_jobs(&self, repo: &RepoName, run_id: RunId) -> Result<Vec<Job>> {
        let path =
            format!("/repos/{repo}/actions/runs/{run_id}/jobs?filter=latest&per_page={PER_PAGE}");
        self.get_all(&path, None, field("jobs")).await
    }

    /// The jobs of one attempt of a run (`analyze-url` with an `/attempts/N` URL).
    pub async fn run_attempt_jobs(
        &self,
        repo: &RepoName,
        run_id: RunId,
        attempt: u32,
    ) -> Result<Vec<Job>> {
        let path = format!(
            "/repos/{repo}/actions/runs/{run_id}/attempts/{attempt}/jobs?per_page={PER_PAGE}"
        );
        self.get_all(&path, None, field("jobs")).await
    }

    /// One job, with its steps (`analyze-url` #14 for a job URL; `ci-status` #14).
    pub async fn job(&self, repo: &RepoName, job_id: JobId) -> Result<Job> {
        self.get_json(&format!("/repos/{repo}/actions/jobs/{job_id}"))
            .await
    }

    /// Issues of a repository (pull requests filtered out).
    pub async fn issues(&self, repo: &RepoName, filter: &IssueFilter) -> Result<Vec<Issue>> {
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
        let items: Vec<serde_json::Value> = self.get_all(&path, filter.limit, whole).await?;
        let issues = items
            .iter()
            .map(|item| super::wire::issue_from(item).map_err(|e| decode_error(&path, e)))
            .collect::<Result<Vec<Issue>>>()?;
        Ok(issues
            .into_iter()
            .filter(|i| i.pull_request.is_none())
            .collect())
    }

    /// One issue (tracker issues by number, `failure-tracker` #13; a PR's issue view,
    /// `ci-status` #14).
    pub async fn issue(&self, repo: &RepoName, number: IssueNumber) -> Result<Issue> {
        let issue: octo::issues::Issue = self
            .get_json(&format!("/repos/{repo}/issues/{number}"))
            .await?;
        Ok(issue.into())
    }

    /// Issue search (`watch` #15 finds PRs that mention the bot). Eventually consistent on
    /// GitHub: never the only way to find what we wrote.
    pub async fn search_issues(&self, q: &str, limit: Option<usize>) -> Result<Vec<Issue>> {
        let path = format!("/search/issues?q={}&per_page={PER_PAGE}", encode(q));
        let found: Vec<super::wire::SearchHit> = self.get_all(&path, limit, field("items")).await?;
        Ok(found.into_iter().map(Issue::from).collect())
    }

    /// Opens an issue. Dry run: `None`, since nothing was created (the issue is only planned).
    pub async fn create_issue(&self, repo: &RepoName, issue: &NewIssue) -> Result<Option<Issue>> {
        let payload = serde_json::to_value(issue).expect("issue serialises");
        let created = self
            .write(
                Method::POST,
                &format!("/repos/{repo}/issues"),
                Some(payload),
                Idempotency::CreatesResource,
            )
            .await?;
        Ok(created.map(|i: octo::issues::Issue| i.into()))
    }

    /// Changes an issue's title, body or state.
    pub async fn update_issue(
        &self,
        repo: &RepoName,
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
    pub async fn comments(&self, repo: &RepoName, number: IssueNumber) -> Result<Vec<Comment>> {
        let path = format!("/repos/{repo}/issues/{number}/comments?per_page={PER_PAGE}");
        let items: Vec<serde_json::Value> = self.get_all(&path, None, whole).await?;
        items
            .iter()
            .map(|item| super::wire::comment_from(item).map_err(|e| decode_error(&path, e)))
            .collect()
    }

    /// One comment by id, `None` when it was deleted (`watch` #15 re-reads a command before
    /// answering it).
    pub async fn comment(&self, repo: &RepoName, comment_id: CommentId) -> Result<Option<Comment>> {
        let comment: Option<octo::issues::Comment> = self
            .get_optional(&format!("/repos/{repo}/issues/comments/{comment_id}"))
            .await?;
        Ok(comment.map(Comment::from))
    }

    /// Posts a comment. Dry run: `None`, since nothing was posted.
    pub async fn create_comment(
        &self,
        repo: &RepoName,
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
        Ok(created.map(|c: octo::issues::Comment| c.into()))
    }

    /// Replaces a comment's body.
    pub async fn update_comment(
        &self,
        repo: &RepoName,
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
    pub async fn delete_comment(&self, repo: &RepoName, comment_id: CommentId) -> Result<()> {
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

    /// Reactions on a comment: the claim protocol of `watch` (#15).
    pub async fn comment_reactions(
        &self,
        repo: &RepoName,
        comment_id: CommentId,
    ) -> Result<Vec<Reaction>> {
        let path =
            format!("/repos/{repo}/issues/comments/{comment_id}/reactions?per_page={PER_PAGE}");
        self.get_all(&path, None, whole).await
    }

    /// Adds a reaction to a comment and says whether this call created it (201) or the same
    /// account's reaction was already there (200): `watch` (#15) claims a command with 🚀, and
    /// only the call that created it owns the command. Dry run: `None`.
    pub async fn react_to_comment(
        &self,
        repo: &RepoName,
        comment_id: CommentId,
        content: &ReactionContent,
    ) -> Result<Option<PostedReaction>> {
        let path = format!("/repos/{repo}/issues/comments/{comment_id}/reactions");
        let answer = self
            .write_answer::<Reaction>(
                Method::POST,
                &path,
                Some(json!({ "content": content.as_str() })),
                Idempotency::Safe,
            )
            .await?;
        let Some((status, reaction)) = answer else {
            return Ok(None);
        };
        let reaction = reaction.ok_or_else(|| super::GithubError::Decode {
            method: "POST".into(),
            path: path.clone(),
            message: "a reaction POST answered no reaction".into(),
        })?;
        Ok(Some(PostedReaction {
            created: status == http::StatusCode::CREATED,
            reaction,
        }))
    }

    /// Issue and PR comments of a whole repository updated at or after `since`, oldest update
    /// first, at most `limit` (`watch` #15 reads new commands from a cursor; a pass that hits
    /// the limit continues from its last comment next time).
    pub async fn repo_comments_since(
        &self,
        repo: &RepoName,
        since: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Comment>> {
        let path = format!(
            "/repos/{repo}/issues/comments{}",
            query(&[
                ("sort", Some("updated".into())),
                ("direction", Some("asc".into())),
                (
                    "since",
                    Some(since.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
                ),
                ("per_page", Some(PER_PAGE.to_string())),
            ])
        );
        let items: Vec<serde_json::Value> = self.get_all(&path, Some(limit), whole).await?;
        items
            .iter()
            .map(|item| super::wire::comment_from(item).map_err(|e| decode_error(&path, e)))
            .collect()
    }

    /// Sends a `repository_dispatch` event to `repo` (GitHub answers 204): `watch` (#15)
    /// starts the workflows that review a PR or report its CI status. Not repeated after a
    /// lost answer (it would start a second run); the receiving workflows' concurrency
    /// groups make a repeat harmless anyway.
    pub async fn dispatch(
        &self,
        repo: &RepoName,
        event_type: &str,
        client_payload: &serde_json::Value,
    ) -> Result<()> {
        self.write::<serde_json::Value>(
            Method::POST,
            &format!("/repos/{repo}/dispatches"),
            Some(json!({ "event_type": event_type, "client_payload": client_payload })),
            Idempotency::CreatesResource,
        )
        .await
        .map(drop)
    }

    /// Removes one reaction from a comment: `watch` (#15) releases a claim it could not honour.
    pub async fn delete_comment_reaction(
        &self,
        repo: &RepoName,
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

    /// One pull request (`ci-status`, `review-pr`, #14).
    pub async fn pull_request(&self, repo: &RepoName, number: IssueNumber) -> Result<PullRequest> {
        let pr: octo::pulls::PullRequest = self
            .get_json(&format!("/repos/{repo}/pulls/{number}"))
            .await?;
        Ok(pr.into())
    }

    /// Every changed file of a pull request (`ci-status`'s correlation, `review-pr`, #14).
    pub async fn pull_request_files(
        &self,
        repo: &RepoName,
        number: IssueNumber,
    ) -> Result<Vec<PullFile>> {
        let path = format!("/repos/{repo}/pulls/{number}/files?per_page={PER_PAGE}");
        self.get_all(&path, None, whole).await
    }

    /// The unified diff of a pull request (`review-pr` #14); `None` when GitHub has none.
    pub async fn pull_request_diff(
        &self,
        repo: &RepoName,
        number: IssueNumber,
    ) -> Result<Option<String>> {
        self.get_text(
            &format!("/repos/{repo}/pulls/{number}"),
            "application/vnd.github.diff",
        )
        .await
    }

    /// A file's content at a ref, `None` when it does not exist there (`ci-status` #14 reads
    /// sglang's CI registry at the PR's head for the coverage-gap banner).
    pub async fn file_at_ref(
        &self,
        repo: &RepoName,
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

    /// Where `head` stands relative to `base` and their merge base (`ci-status` #14: the PR's
    /// merge base, and whether a base-branch run's commit descends from it).
    pub async fn compare(&self, repo: &RepoName, base: &str, head: &str) -> Result<Comparison> {
        self.get_json(&format!(
            "/repos/{repo}/compare/{}...{}",
            encode(base),
            encode(head)
        ))
        .await
    }

    /// Check runs of a commit (`ci-status` #14: the PR's checks beyond the AMD workflows).
    pub async fn check_runs(&self, repo: &RepoName, git_ref: &str) -> Result<Vec<CheckRun>> {
        let path = format!(
            "/repos/{repo}/commits/{}/check-runs?per_page={PER_PAGE}",
            encode(git_ref)
        );
        self.get_all(&path, None, field("check_runs")).await
    }

    /// The combined status of a ref (`ci-status` #14: commit statuses of other CI systems).
    pub async fn combined_status(&self, repo: &RepoName, git_ref: &str) -> Result<CombinedStatus> {
        let status: super::wire::CombinedStatusWire = self
            .get_json(&format!("/repos/{repo}/commits/{}/status", encode(git_ref)))
            .await?;
        Ok(status.into())
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
