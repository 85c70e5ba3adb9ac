//! A tracker's state read without writing anything: for readers such as the dashboard.

use anyhow::{Context, Result};

use super::{issue, write};
use crate::config::TrackedWorkflow;
use crate::domain::RepoName;
use crate::github::models::Issue;
use crate::github::Client;
use crate::report::tracker_parts;
use crate::report::tracker_state::TrackerState;

/// The workflow's tracker issue and its state (body and the bot's overflow comments), or
/// `None` when it has no tracker yet. An unreadable state is an error naming the issue.
pub async fn state(
    client: &Client,
    repo: &RepoName,
    label: &str,
    login: &str,
    tracked: &TrackedWorkflow,
) -> Result<Option<(Issue, TrackerState)>> {
    let Some(found) = issue::find(client, repo, label, login, tracked).await? else {
        return Ok(None);
    };
    let parts = write::read_parts(client, repo, found.number, login).await?;
    let texts: Vec<&str> = parts.iter().map(|c| c.body.as_str()).collect();
    let state = tracker_parts::read(&found.body, &texts)
        .with_context(|| format!("tracker #{}: its state cannot be read", found.number))?;
    Ok(Some((found, state)))
}
