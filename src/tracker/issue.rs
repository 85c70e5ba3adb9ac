//! Finding a workflow's tracker issue upstream, or creating it, never a second one.
//!
//! Trackers are found by listing the label's issues the bot created, open and closed: a
//! listing sees an issue the moment it exists (search lags behind creation and would make a
//! duplicate), and a closed tracker keeps its history instead of being replaced. Search is
//! only the fallback for what the listing cannot see: a tracker another account created or
//! whose label was removed, and the legacy titles.

use anyhow::{Context, Result};

use crate::config::TrackedWorkflow;
use crate::domain::{IssueNumber, IssueState, RepoName};
use crate::github::models::Issue;
use crate::github::{Client, IssueFilter, IssuePatch, NewIssue};
use crate::report::markers::tracker_placeholder;

/// The tracker issue as found (or planned, in a dry run).
#[derive(Debug, Clone)]
pub enum Found {
    /// An existing issue, read in full (body and `closed_by`).
    Existing(Box<Issue>),
    /// Created in a dry run: nothing exists yet.
    Planned,
}

/// The bot's trackers with exactly `title`, lowest number first.
async fn listed(
    client: &Client,
    repo: &RepoName,
    label: &str,
    login: &str,
    title: &str,
) -> Result<Option<Issue>> {
    let issues = client
        .issues(
            repo,
            &IssueFilter {
                state: Some("all".into()),
                labels: vec![label.into()],
                creator: Some(login.into()),
                ..IssueFilter::default()
            },
        )
        .await
        .with_context(|| format!("cannot list the {label} issues of {repo}"))?;
    Ok(issues
        .into_iter()
        .filter(|i| i.title == title)
        .min_by_key(|i| i.number))
}

/// An issue with exactly `title` among the search hits (open or closed).
async fn searched(client: &Client, repo: &RepoName, title: &str) -> Result<Option<Issue>> {
    let query = format!(
        "repo:{repo} is:issue in:title \"{}\"",
        title.replace('"', "")
    );
    let hits = client
        .search_issues(&query, Some(20))
        .await
        .with_context(|| format!("cannot search {repo} for the tracker {title:?}"))?;
    Ok(hits
        .into_iter()
        .filter(|i| i.title == title)
        .min_by_key(|i| i.number))
}

/// Finds the workflow's tracker (current title, then a legacy one, renamed), or creates it
/// with the placeholder body and the label. The issue is read again by number, so its body
/// and `closed_by` are current.
pub async fn find_or_create(
    client: &Client,
    repo: &RepoName,
    label: &str,
    login: &str,
    tracked: &TrackedWorkflow,
) -> Result<Found> {
    let found = match lookup(client, repo, label, login, tracked).await? {
        Some((issue, true)) => {
            rename(client, repo, &issue, &tracked.title).await;
            Some(issue)
        }
        Some((issue, false)) => Some(issue),
        None => None,
    };
    let number = match found {
        Some(issue) => issue.number,
        None => {
            let created = client
                .create_issue(
                    repo,
                    &NewIssue {
                        title: tracked.title.clone(),
                        body: tracker_placeholder(&tracked.display),
                        labels: vec![label.into()],
                    },
                )
                .await
                .with_context(|| format!("cannot create the tracker issue in {repo}"))?;
            let Some(created) = created else {
                return Ok(Found::Planned);
            };
            tracing::info!("{}: created tracker #{}", tracked.file, created.number);
            converge(client, repo, label, login, &tracked.title, created.number).await?
        }
    };
    let issue = client
        .issue(repo, number)
        .await
        .with_context(|| format!("cannot read tracker {repo}#{number}"))?;
    Ok(Found::Existing(Box::new(issue)))
}

/// The workflow's tracker without writing anything (the dashboard reads it): by its title,
/// then a legacy title; `None` when there is none yet. Read again by number, so the body is
/// current.
pub async fn find(
    client: &Client,
    repo: &RepoName,
    label: &str,
    login: &str,
    tracked: &TrackedWorkflow,
) -> Result<Option<Issue>> {
    let Some((issue, _)) = lookup(client, repo, label, login, tracked).await? else {
        return Ok(None);
    };
    let number = issue.number;
    let issue = client
        .issue(repo, number)
        .await
        .with_context(|| format!("cannot read tracker {repo}#{number}"))?;
    Ok(Some(issue))
}

/// The tracker by its title (listed, else searched), else by a legacy title (`true`: the
/// caller may rename it).
async fn lookup(
    client: &Client,
    repo: &RepoName,
    label: &str,
    login: &str,
    tracked: &TrackedWorkflow,
) -> Result<Option<(Issue, bool)>> {
    if let Some(issue) = listed(client, repo, label, login, &tracked.title).await? {
        return Ok(Some((issue, false)));
    }
    // A tracker the listing cannot see (another creator account, a removed label) is still
    // continued, never duplicated; search lag only matters for our own creations, which the
    // listing sees.
    if let Some(issue) = searched(client, repo, &tracked.title).await? {
        return Ok(Some((issue, false)));
    }
    for old in &tracked.legacy_titles {
        if let Some(issue) = searched(client, repo, old).await? {
            return Ok(Some((issue, true)));
        }
    }
    Ok(None)
}

/// After creating a tracker, the lowest-numbered one with the title wins (a concurrent run
/// may have created one too); ours is closed with a link when it lost, so every run agrees.
async fn converge(
    client: &Client,
    repo: &RepoName,
    label: &str,
    login: &str,
    title: &str,
    ours: IssueNumber,
) -> Result<IssueNumber> {
    let winner = listed(client, repo, label, login, title)
        .await?
        .map_or(ours, |w| w.number.min(ours));
    if winner != ours {
        let note =
            format!("Duplicate of #{winner} (another run created the tracker first); closing.");
        client.create_comment(repo, ours, &note).await.ok();
        let close = IssuePatch {
            state: Some("closed".into()),
            state_reason: Some("not_planned".into()),
            ..IssuePatch::default()
        };
        client
            .update_issue(repo, ours, &close)
            .await
            .with_context(|| format!("cannot close duplicate tracker #{ours}"))?;
    }
    Ok(winner)
}

/// Renames a legacy tracker; a failure is logged and the issue used as it is.
async fn rename(client: &Client, repo: &RepoName, issue: &Issue, title: &str) {
    let patch = IssuePatch {
        title: Some(title.into()),
        ..IssuePatch::default()
    };
    match client.update_issue(repo, issue.number, &patch).await {
        Ok(()) => tracing::info!("renamed legacy tracker #{} to {title:?}", issue.number),
        Err(e) => tracing::warn!("cannot rename legacy tracker #{}: {e:#}", issue.number),
    }
}

/// What to do about a closed tracker when `failing` rows arrive: the bot's own closing is
/// undone (a failure is back), a person's closing is respected and the tracker continued as
/// it is.
pub async fn reopen_if_ours(
    client: &Client,
    repo: &RepoName,
    issue: &Issue,
    login: &str,
    failing: bool,
) -> Result<()> {
    if issue.state != IssueState::Closed {
        return Ok(());
    }
    let closer = issue.closed_by.as_ref().map(|u| u.login.as_str());
    match closer {
        Some(who) if who.eq_ignore_ascii_case(login) && failing => {
            let patch = IssuePatch {
                state: Some("open".into()),
                ..IssuePatch::default()
            };
            client
                .update_issue(repo, issue.number, &patch)
                .await
                .with_context(|| format!("cannot reopen tracker #{}", issue.number))?;
            tracing::info!(
                "tracker #{} was closed by the bot; reopened: failures are back",
                issue.number
            );
        }
        Some(who) if who.eq_ignore_ascii_case(login) => {}
        other => tracing::info!(
            "tracker #{} was closed by {}; continued as it is (not reopened)",
            issue.number,
            other.unwrap_or("someone")
        ),
    }
    Ok(())
}
