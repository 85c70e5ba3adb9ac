//! Yesterday's summary: the block of yesterday's issue body (open or closed), else the newest
//! legacy status-board comment the bot wrote. Never fails the build: any problem is "none".

use crate::daily_issue;
use crate::domain::{Day, RepoName};
use crate::github::Client;
use crate::report::markers::LEGACY_BOARD;
use crate::report::summary_block;
use crate::report::summary_clusters::{read_refs, ClusterRef};
use crate::report::summary_output::clusters_json;

/// What yesterday left: its summary text and, when ours, its cluster list.
#[derive(Debug, Clone, Default)]
pub struct Yesterday {
    pub text: Option<String>,
    pub clusters: Option<Vec<ClusterRef>>,
}

/// Looks yesterday's summary up: none when there is no issue or no summary in it. A read that
/// fails is an error, not "none": treated as none, a passing network problem would change the
/// summary's inputs (and ask a model again) twice, once failing and once recovering.
pub async fn lookup(
    client: &Client,
    bot_repo: &RepoName,
    label: &str,
    day: Day,
    login: &str,
) -> anyhow::Result<Yesterday> {
    let Some(issue) = daily_issue::find_past(client, bot_repo, label, &day.to_string()).await?
    else {
        return Ok(Yesterday::default());
    };
    if let Some(text) = summary_block::summary_text(&issue.body) {
        let clusters = clusters_json(&text).and_then(read_refs);
        return Ok(Yesterday {
            text: Some(text),
            clusters,
        });
    }
    let comments = client.comments(bot_repo, issue.number).await?;
    let legacy = comments
        .iter()
        .rev()
        .find(|c| c.author().eq_ignore_ascii_case(login) && c.body.contains(LEGACY_BOARD));
    Ok(Yesterday {
        text: legacy.map(|c| c.body.trim().to_string()),
        clusters: None,
    })
}
