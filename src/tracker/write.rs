//! Reading a tracker's parts (its body and the bot's overflow comments) and writing new ones,
//! sending only what changed and never leaving the state short of an entry.

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

/// Writes `pages` over what the tracker shows without ever leaving it short of an entry.
///
/// Entries move between parts as they grow, so no part is edited in place: old comments are
/// kept while they hold, in order, exactly the new pages' text; from the first that does not,
/// every new page is POSTed as a new comment; then the body is PATCHed if it changed; then
/// the old comments not kept are deleted. Until the body is written every old part is still
/// there, and from then on every new part is, so whatever fails, the parts GitHub holds hold
/// the old state and the new one (reading them unites duplicates: newest fields, earliest
/// first day) and the next run finishes the job. Texts are compared as GitHub stores them
/// (secrets redacted, run time masked), so a run that changes nothing sends nothing.
/// Returns how many writes were sent (or, in a dry run, would be).
pub async fn write_pages(
    client: &Client,
    repo: &RepoName,
    issue: &Issue,
    old_parts: &[Comment],
    pages: &TrackerPages,
) -> Result<usize> {
    let same = |stored: &str, text: &str| comparable(stored) == comparable(&client.as_posted(text));
    let kept = old_parts
        .iter()
        .zip(&pages.comments)
        .take_while(|(old, text)| same(&old.body, text))
        .count();
    let mut writes = 0;
    for (i, text) in pages.comments.iter().enumerate().skip(kept) {
        client
            .create_comment(repo, issue.number, text)
            .await
            .with_context(|| format!("cannot post tracker part {}", i + 2))?;
        writes += 1;
    }
    if !same(&issue.body, &pages.body) {
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
    for replaced in &old_parts[kept..] {
        client
            .delete_comment(repo, replaced.id)
            .await
            .with_context(|| format!("cannot delete old tracker part {}", replaced.id))?;
        writes += 1;
    }
    Ok(writes)
}
