//! Reading a tracker's parts (its body and the bot's overflow comments) and writing new ones,
//! changing only what changed and never leaving the state short of an entry.

use anyhow::{Context, Result};

use crate::domain::{IssueNumber, RepoName};
use crate::github::models::{Comment, Issue};
use crate::github::Client;
use crate::report::tracker_parts::{part_index, TrackerPages};
use crate::report::tracker_render::comparable;

/// The bot's overflow comments on a tracker, in part order (duplicates of a part after it).
pub fn own_parts(comments: Vec<Comment>, login: &str) -> Vec<Comment> {
    let mut parts: Vec<(usize, Comment)> = comments
        .into_iter()
        .filter(|c| c.author().eq_ignore_ascii_case(login))
        .filter_map(|c| Some((part_index(&c.body)?, c)))
        .filter(|(i, _)| *i >= 2)
        .collect();
    parts.sort_by_key(|(i, c)| (*i, c.id));
    parts.into_iter().map(|(_, c)| c).collect()
}

/// The overflow comments of a tracker, read for the merge.
pub async fn read_parts(
    client: &Client,
    repo: &RepoName,
    number: IssueNumber,
    login: &str,
) -> Result<Vec<Comment>> {
    let comments = client
        .comments(repo, number)
        .await
        .with_context(|| format!("cannot read the comments of tracker #{number}"))?;
    Ok(own_parts(comments, login))
}

/// Writes `pages` over what the tracker shows: the overflow comments first (created or
/// updated when their text changed), then the body, then surplus old parts are deleted, so a
/// failure half-way still leaves every entry in some part. Texts are compared as GitHub will
/// store them (secrets redacted), so a row holding a secret is not rewritten on every run.
/// Returns how many writes were sent.
pub async fn write_pages(
    client: &Client,
    repo: &RepoName,
    issue: &Issue,
    old_parts: &[Comment],
    pages: &TrackerPages,
) -> Result<usize> {
    let mut writes = 0;
    for (i, text) in pages.comments.iter().enumerate() {
        match old_parts.get(i) {
            Some(old) if comparable(&old.body) == comparable(&client.as_posted(text)) => {}
            Some(old) => {
                client
                    .update_comment(repo, old.id, text)
                    .await
                    .with_context(|| format!("cannot update tracker part {}", i + 2))?;
                writes += 1;
            }
            None => {
                client
                    .create_comment(repo, issue.number, text)
                    .await
                    .with_context(|| format!("cannot post tracker part {}", i + 2))?;
                writes += 1;
            }
        }
    }
    if comparable(&issue.body) != comparable(&client.as_posted(&pages.body)) {
        let patch = crate::github::IssuePatch {
            body: Some(pages.body.clone()),
            ..Default::default()
        };
        client
            .update_issue(repo, issue.number, &patch)
            .await
            .with_context(|| format!("cannot update tracker #{}", issue.number))?;
        writes += 1;
    }
    for surplus in old_parts.iter().skip(pages.comments.len()) {
        client
            .delete_comment(repo, surplus.id)
            .await
            .with_context(|| format!("cannot delete surplus tracker part {}", surplus.id))?;
        writes += 1;
    }
    Ok(writes)
}
