//! Finding or creating the day's report issue, race-free.
//!
//! Up to seven matrix jobs start at once and GitHub search lags behind writes, so the issue
//! is found by listing (not searching) open issues with the label, and after creating one we
//! list again and converge: the lowest-numbered open issue with today's exact title wins, and
//! a process whose own new issue lost closes it with a link to the winner. Every command
//! resolves the day's issue with the same rule, so all of them agree on the winner.

pub mod reports;

use anyhow::{Context, Result};

use crate::domain::{IssueNumber, IssueRef, IssueState, RepoName};
use crate::github::models::Issue;
use crate::github::{Client, IssueFilter, IssuePatch, NewIssue};
use crate::report::{daily, markers};

/// How the day's issue was obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    Found,
    Created,
    /// We created one, lost the race to an earlier one, and closed ours.
    LostRace {
        closed: IssueNumber,
    },
}

/// The day's open report issues (those with `label` and the exact title), lowest number first.
pub async fn candidates(
    client: &Client,
    bot_repo: &RepoName,
    label: &str,
    date: &str,
) -> Result<Vec<Issue>> {
    let title = markers::daily_issue_title(date);
    let mut issues = client
        .issues(
            bot_repo,
            &IssueFilter {
                state: Some("open".into()),
                labels: vec![label.into()],
                ..IssueFilter::default()
            },
        )
        .await
        .with_context(|| format!("cannot list the daily issues of {bot_repo}"))?;
    issues.retain(|i| i.title == title && i.state == IssueState::Open);
    issues.sort_by_key(|i| i.number);
    Ok(issues)
}

/// A past day's issue, open or closed (someone may have closed it since): the lowest-numbered
/// one with the exact title, which is the one every process converged on that day (a losing
/// duplicate always has a higher number). Only issues updated since that day are listed.
pub async fn find_past(
    client: &Client,
    bot_repo: &RepoName,
    label: &str,
    date: &str,
) -> Result<Option<Issue>> {
    let title = markers::daily_issue_title(date);
    // A day's issue is created that day, so it was last updated on it or later: the listing
    // stays short however many days the repository holds.
    let since = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc());
    let issues = client
        .issues(
            bot_repo,
            &IssueFilter {
                state: Some("all".into()),
                labels: vec![label.into()],
                since,
                ..IssueFilter::default()
            },
        )
        .await
        .with_context(|| format!("cannot list the daily issues of {bot_repo}"))?;
    Ok(issues
        .into_iter()
        .filter(|i| i.title == title)
        .min_by_key(|i| i.number))
}

/// The day's issue if it exists (the lowest-numbered candidate).
pub async fn find(
    client: &Client,
    bot_repo: &RepoName,
    label: &str,
    date: &str,
) -> Result<Option<Issue>> {
    Ok(candidates(client, bot_repo, label, date)
        .await?
        .into_iter()
        .next())
}

/// Finds the day's issue or creates it with `label`, converging with concurrent creators.
/// Under `--dry-run` a missing issue is only planned ([`IssueRef::Planned`]).
pub async fn find_or_create(
    client: &Client,
    bot_repo: &RepoName,
    label: &str,
    date: &str,
    upstream: &RepoName,
    workflows: &[String],
) -> Result<(IssueRef, Resolution)> {
    if let Some(issue) = find(client, bot_repo, label, date).await? {
        return Ok((IssueRef::Existing(issue.number), Resolution::Found));
    }
    let created = client
        .create_issue(
            bot_repo,
            &NewIssue {
                title: markers::daily_issue_title(date),
                body: daily::seeded_body(date, &upstream.to_string(), workflows),
                labels: vec![label.into()],
            },
        )
        .await
        .with_context(|| format!("cannot create the daily issue in {bot_repo}"))?;
    let Some(created) = created else {
        return Ok((IssueRef::Planned, Resolution::Created));
    };
    let winner = find(client, bot_repo, label, date)
        .await?
        .map(|w| w.number)
        .filter(|w| *w <= created.number)
        .unwrap_or(created.number);
    if winner == created.number {
        return Ok((IssueRef::Existing(created.number), Resolution::Created));
    }
    close_duplicate(client, bot_repo, created.number, winner).await?;
    Ok((
        IssueRef::Existing(winner),
        Resolution::LostRace {
            closed: created.number,
        },
    ))
}

/// Closes the issue we created after losing the race, pointing at the winner.
async fn close_duplicate(
    client: &Client,
    bot_repo: &RepoName,
    ours: IssueNumber,
    winner: IssueNumber,
) -> Result<()> {
    client
        .create_comment(
            bot_repo,
            ours,
            &format!(
                "Duplicate of #{winner} (another bot process created today's report first); closing."
            ),
        )
        .await
        .ok();
    client
        .update_issue(
            bot_repo,
            ours,
            &IssuePatch {
                state: Some("closed".into()),
                state_reason: Some("not_planned".into()),
                ..IssuePatch::default()
            },
        )
        .await
        .with_context(|| format!("cannot close duplicate daily issue #{ours}"))
}
