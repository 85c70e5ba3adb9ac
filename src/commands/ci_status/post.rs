//! Where `ci-status` writes: one comment per PR, found by its hidden marker among the bot's
//! OWN comments (never by text), edited in place; GitHub notifies nobody of an edit, so when
//! the comment is no longer the PR's last one a one-line reply points to it.

use anyhow::{Context, Result};

use crate::domain::{IssueNumber, RepoName};
use crate::github::models::Comment;
use crate::github::Client;
use crate::report::pr_status::STATUS_MARKER;

/// Writes `body` as the PR's status comment; the comment's URL.
pub(super) async fn publish(
    client: &Client,
    repo: &RepoName,
    number: IssueNumber,
    body: &str,
    requester: Option<&str>,
) -> Result<String> {
    let (login, comments) =
        super::super::pr_comment::login_and_comments(client, repo, number).await?;
    let Some(own) = status_comment(&comments, &login) else {
        let created = client
            .create_comment(repo, number, body)
            .await
            .with_context(|| format!("cannot comment on PR #{number}"))?;
        return Ok(created.map(|c| c.html_url).unwrap_or_default());
    };
    if own.body != client.as_posted(body) {
        client
            .update_comment(repo, own.id, body)
            .await
            .with_context(|| format!("cannot update the status comment of PR #{number}"))?;
    }
    if comments.last().map(|c| c.id) != Some(own.id) {
        client
            .create_comment(repo, number, &reply(&own.html_url, requester))
            .await
            .with_context(|| format!("cannot reply on PR #{number}"))?;
    }
    Ok(own.html_url.clone())
}

/// The bot's own status comment: written by `login` and starting with the marker.
fn status_comment<'c>(comments: &'c [Comment], login: &str) -> Option<&'c Comment> {
    super::super::pr_comment::own_comment(comments, login, |body| body.starts_with(STATUS_MARKER))
}

/// The one-line pointer to the updated comment, mentioning the requester when the login is
/// a plausible GitHub login (the env var is not trusted to hold Markdown).
fn reply(url: &str, requester: Option<&str>) -> String {
    let mention = requester
        .filter(|r| {
            !r.is_empty()
                && r.len() <= 39
                && r.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        .map(|r| format!("@{r} "))
        .unwrap_or_default();
    format!("{mention}CI status updated: {url}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reply_mentions_only_a_plausible_login() {
        assert_eq!(reply("u", Some("alice-b")), "@alice-b CI status updated: u");
        assert_eq!(reply("u", Some("x <b>")), "CI status updated: u");
        assert_eq!(reply("u", None), "CI status updated: u");
    }
}
