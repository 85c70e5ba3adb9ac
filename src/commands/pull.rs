//! The pull request a PR command is about (`ci-status`, `review-pr`): its number checked
//! before any request, then the PR read once with its head commit.

use anyhow::{Context, Result};

use super::UsageError;
use crate::domain::{CommitSha, IssueNumber, RepoName};
use crate::github::models::PullRequest;
use crate::github::Client;

/// The PR number as a type; 0 is a usage error (exit 2) before anything is asked of GitHub.
pub(super) fn number(pr: u64) -> Result<IssueNumber> {
    if pr == 0 {
        return Err(UsageError("the PR number must be a positive integer".into()).into());
    }
    Ok(IssueNumber::new(pr))
}

/// The PR and its head commit.
pub(super) async fn read(
    client: &Client,
    repo: &RepoName,
    number: IssueNumber,
) -> Result<(PullRequest, CommitSha)> {
    let pr = client
        .pull_request(repo, number)
        .await
        .with_context(|| format!("cannot read PR #{number} of {repo}"))?;
    let sha: CommitSha = pr
        .head
        .sha
        .parse()
        .map_err(|_| anyhow::anyhow!("PR #{number} has no head commit"))?;
    Ok((pr, sha))
}
