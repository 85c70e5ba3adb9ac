//! The one comment a command keeps per PR (`ci-status`, `review-pr`): found among the bot's
//! own comments by what its body starts with, never by text anyone could write.

use anyhow::{Context, Result};

use crate::domain::{IssueNumber, RepoName};
use crate::github::models::Comment;
use crate::github::Client;

/// The bot's login (`GET /user`) and the PR's comments, oldest first: what finding the one
/// comment needs.
pub(super) async fn login_and_comments(
    client: &Client,
    repo: &RepoName,
    number: IssueNumber,
) -> Result<(String, Vec<Comment>)> {
    let login = client
        .authenticated_user()
        .await
        .context("cannot tell which user the token is")?
        .login;
    let comments = client
        .comments(repo, number)
        .await
        .with_context(|| format!("cannot list the comments of PR #{number}"))?;
    Ok((login, comments))
}

/// The first comment written by `login` (the bot's own, never a look-alike by someone else)
/// whose body `is_ours` recognises; shared by the commands that keep one comment per PR.
pub(super) fn own_comment<'c>(
    comments: &'c [Comment],
    login: &str,
    is_ours: impl Fn(&str) -> bool,
) -> Option<&'c Comment> {
    comments
        .iter()
        .find(|c| c.author().eq_ignore_ascii_case(login) && is_ours(&c.body))
}
