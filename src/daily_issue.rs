//! Finding or creating the day's report issue, race-free.
//!
//! Up to seven matrix jobs start at once and GitHub search lags behind writes, so the issue
//! is found by listing (not searching) open issues with the label, and after creating one we
//! list again and converge: the lowest-numbered open issue with today's exact title wins, and
//! a process whose own new issue lost closes it with a link to the winner. Every command
//! resolves the day's issue with the same rule, so all of them agree on the winner.

use anyhow::{Context, Result};

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
        closed: u64,
    },
}

/// The day's open report issues (those with `label` and the exact title), lowest number first.
pub async fn candidates(
    client: &Client,
    bot_repo: &str,
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
    issues.retain(|i| i.title == title && i.state == "open");
    issues.sort_by_key(|i| i.number);
    Ok(issues)
}

/// The day's issue if it exists (the lowest-numbered candidate).
pub async fn find(
    client: &Client,
    bot_repo: &str,
    label: &str,
    date: &str,
) -> Result<Option<Issue>> {
    Ok(candidates(client, bot_repo, label, date)
        .await?
        .into_iter()
        .next())
}

/// Finds the day's issue or creates it with `label`, converging with concurrent creators.
pub async fn find_or_create(
    client: &Client,
    bot_repo: &str,
    label: &str,
    date: &str,
    upstream: &str,
    workflows: &[String],
) -> Result<(Issue, Resolution)> {
    if let Some(issue) = find(client, bot_repo, label, date).await? {
        return Ok((issue, Resolution::Found));
    }
    let created = client
        .create_issue(
            bot_repo,
            &NewIssue {
                title: markers::daily_issue_title(date),
                body: daily::seeded_body(date, upstream, workflows),
                labels: vec![label.into()],
            },
        )
        .await
        .with_context(|| format!("cannot create the daily issue in {bot_repo}"))?;
    if client.is_dry_run() {
        return Ok((created, Resolution::Created));
    }
    let winner = find(client, bot_repo, label, date)
        .await?
        .filter(|w| w.number <= created.number)
        .unwrap_or_else(|| created.clone());
    if winner.number == created.number {
        return Ok((created, Resolution::Created));
    }
    client
        .create_comment(
            bot_repo,
            created.number,
            &format!(
                "Duplicate of #{} (another bot process created today's report first); closing.",
                winner.number
            ),
        )
        .await
        .ok();
    client
        .update_issue(
            bot_repo,
            created.number,
            &IssuePatch {
                state: Some("closed".into()),
                state_reason: Some("not_planned".into()),
                ..IssuePatch::default()
            },
        )
        .await
        .with_context(|| format!("cannot close duplicate daily issue #{}", created.number))?;
    Ok((
        winner,
        Resolution::LostRace {
            closed: created.number,
        },
    ))
}
