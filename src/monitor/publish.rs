//! Writing a workflow's report back to the day's issue, changing only what changed.
//!
//! Trust boundary: only comments written by the bot's own account are read as state
//! ([`own_comments`]); text by anyone else that imitates our markers is ignored. Reading the
//! parts back is pure and lives in `report::located`.

use std::time::Duration;

use anyhow::{Context, Result};

use super::context::TickContext;
use super::listing::Known;
use super::render::{render, RenderInput};
use crate::config::Destination;
use crate::domain::lenient::Kept;
use crate::domain::{CommentId, IssueNumber, IssueRef, RepoName};
use crate::github::models::Comment;
use crate::github::{Client, GithubError};
use crate::http::{Failed, Idempotency, Outcome, RetryPolicy, Retrying};
use crate::report::located::{self, Located, PostedComment};
use crate::report::JobAnalysis;

pub use crate::daily_issue::reports::own_comments;

/// Locates `workflow`'s parts among the comments `bot_login` wrote.
pub fn locate(comments: &[Comment], bot_login: &str, workflow: &str) -> Located {
    located::locate(&own_comments(comments, bot_login), workflow)
}

/// What a publish did, for the run summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    pub created: Vec<CommentId>,
    pub updated: Vec<CommentId>,
    pub deleted: Vec<CommentId>,
}

/// Writes left for the next tick because a rate limit would have outlasted the tick's budget.
/// The analyses stay in the local cache, and a series written only in part (a part missing,
/// or a later part still listing the jobs of before) is continued by the next tick, with the
/// jobs it does not show written again (from the cache, or analysed again): nothing is lost,
/// nothing is doubled.
#[derive(Debug, thiserror::Error)]
#[error("{writes} write(s) deferred to the next tick: {cause}")]
pub struct Deferred {
    /// Writes not made (parts to post or update, surplus parts to delete).
    pub writes: usize,
    /// The rate limit that stopped them.
    pub cause: String,
}

/// Whether an error is GitHub's rate limit outlasting what we wait.
fn is_rate_limited(e: &GithubError) -> bool {
    matches!(e, GithubError::RateLimited { .. })
}

/// What publishing a workflow's report on the day's issue did.
pub(super) struct Published {
    /// The issue written to; `None` when it was only planned (dry run).
    pub(super) issue: Option<IssueNumber>,
    /// The parts as rendered (what was, or would have been, posted).
    pub(super) parts: Vec<String>,
    /// The cross-run comment's text.
    pub(super) cross_run: Option<String>,
    /// The writes made.
    pub(super) written: Written,
}

/// The publish stage in daily-issue mode: find (or create, once per tick) the day's issue,
/// merge what it already shows with the new analyses, cache the result locally first (a
/// failed write is then published next tick without analysing again), render once, and
/// write only what changed.
pub(super) async fn publish_to_issue(
    tick: &TickContext<'_>,
    input: &RenderInput<'_>,
    known: Known,
    new: &[JobAnalysis],
) -> Result<Published> {
    let Destination::DailyIssue(bot_repo) = &tick.destination else {
        anyhow::bail!("publishing to the daily issue of a tick that prints its report");
    };
    let login = tick.login.as_deref().unwrap_or_default();
    let issue = tick.daily_issue(bot_repo).await?;
    // An issue found or created after start has none of our comments yet, unless a
    // concurrent process wrote some: read them so nothing is duplicated. A planned issue
    // (dry run) has none at all.
    let fresh;
    let (located, comments) = match issue {
        IssueRef::Existing(n) if tick.today.number != Some(n) => {
            fresh = tick.client.comments(bot_repo, n).await.with_context(|| {
                format!("cannot read the comments of #{n}, so nothing is written")
            })?;
            (locate(&fresh, login, input.workflow), &fresh)
        }
        _ => (known.located, &tick.today.comments),
    };
    let all = located::merge(&located.recovered, &known.cached, new);
    if let (IssueRef::Existing(n), false) = (issue, tick.config.dry_run) {
        cache(tick, input.workflow, n, &all, input.pending);
    }
    let rendered = render(tick, input, &all).await;
    let IssueRef::Existing(number) = issue else {
        tracing::info!(
            "{}: dry run: {} part(s) would be posted on the new daily issue",
            input.workflow,
            rendered.parts.len()
        );
        return Ok(Published {
            issue: None,
            parts: rendered.parts,
            cross_run: rendered.cross_run,
            written: Written::default(),
        });
    };
    let mut written = write_parts(tick.client, bot_repo, number, &located, &rendered.parts).await?;
    if let Some(body) = &rendered.cross_run {
        // The per-workflow parts are safe by now; a failure here is reported, not fatal.
        match write_cross_run(
            tick.client,
            bot_repo,
            number,
            comments,
            login,
            input.workflow,
            body,
        )
        .await
        {
            Ok(id) => written.updated.extend(id),
            Err(e) => tracing::warn!("{}: cross-run comment: {e:#}", input.workflow),
        }
    }
    Ok(Published {
        issue: Some(number),
        parts: rendered.parts,
        cross_run: rendered.cross_run,
        written,
    })
}

/// Records the workflow's merged analyses in the local cache, before any write.
fn cache(
    tick: &TickContext<'_>,
    workflow: &str,
    issue: IssueNumber,
    all: &[JobAnalysis],
    pending: &[(crate::domain::RunId, usize)],
) {
    tick.with_state(|state| {
        let day = state.day(&tick.date);
        day.issue_number = Kept::new(issue);
        let wf = day.workflows.entry(workflow.to_string()).or_default();
        wf.job_analyses = all.to_vec();
        wf.last_pending_count = pending.iter().map(|(_, n)| *n as u64).sum();
    });
}

/// Writes `parts` over the located series: PATCH what exists (only when the text changed),
/// POST what is missing, DELETE surplus old parts. A comment that vanished is re-created.
pub async fn write_parts(
    client: &Client,
    repo: &RepoName,
    issue: IssueNumber,
    located: &Located,
    parts: &[String],
) -> Result<Written> {
    let mut existing: Vec<Option<&PostedComment>> = vec![located.main.as_ref()];
    existing.extend(located.overflow.iter().map(Some));
    // Compared as GitHub stores them (a secret in a report is redacted on the way out).
    let parts: Vec<String> = parts
        .iter()
        .map(|p| client.as_posted(p).into_owned())
        .collect();
    let changes = parts
        .iter()
        .enumerate()
        .filter(|(i, body)| existing.get(*i).copied().flatten().map(|c| &c.body) != Some(*body))
        .count()
        + existing.iter().skip(parts.len()).flatten().count();
    let mut written = Written::default();
    let made = |w: &Written| w.created.len() + w.updated.len() + w.deleted.len();
    let deferred = |w: &Written, e: &GithubError| Deferred {
        writes: changes.saturating_sub(made(w)),
        cause: e.to_string(),
    };
    for (i, body) in parts.iter().enumerate() {
        match existing.get(i).copied().flatten() {
            Some(old) if old.body == *body => {}
            Some(old) => match client.update_comment(repo, old.id, body).await {
                Ok(()) => written.updated.push(old.id),
                Err(GithubError::NotFound { .. }) => {
                    let c = post_part(client, repo, issue, body)
                        .await
                        .context("re-creating a vanished part")?;
                    written.created.extend(c);
                }
                Err(e) if is_rate_limited(&e) => return Err(deferred(&written, &e).into()),
                Err(e) => {
                    return Err(e)
                        .with_context(|| format!("updating part {} (comment {})", i + 1, old.id))
                }
            },
            None => match post_part(client, repo, issue, body).await {
                Ok(c) => written.created.extend(c),
                Err(e) if is_rate_limited(&e) => return Err(deferred(&written, &e).into()),
                Err(e) => return Err(e).with_context(|| format!("posting part {}", i + 1)),
            },
        }
    }
    for old in existing.iter().skip(parts.len()).flatten() {
        match client.delete_comment(repo, old.id).await {
            Ok(()) => written.deleted.push(old.id),
            Err(e) if is_rate_limited(&e) => return Err(deferred(&written, &e).into()),
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("deleting surplus part (comment {})", old.id))
            }
        }
    }
    Ok(written)
}

/// Creates or updates the workflow's cross-run comment (found by its marker among the bot's
/// own comments); writes nothing when the text is unchanged. Returns the comment written
/// (`None` when nothing was written, or only planned under `--dry-run`).
pub async fn write_cross_run(
    client: &Client,
    repo: &RepoName,
    issue: IssueNumber,
    comments: &[Comment],
    bot_login: &str,
    workflow: &str,
    body: &str,
) -> Result<Option<CommentId>> {
    let marker = crate::report::markers::cross_run_marker(workflow);
    let existing = comments
        .iter()
        .find(|c| c.author().eq_ignore_ascii_case(bot_login) && c.body.contains(&marker));
    let body = &*client.as_posted(body);
    match existing {
        Some(c) if c.body == body => Ok(None),
        Some(c) => match client.update_comment(repo, c.id, body).await {
            Ok(()) => Ok(Some(c.id)),
            Err(GithubError::NotFound { .. }) => post_part(client, repo, issue, body)
                .await
                .context("re-creating the cross-run comment"),
            Err(e) => Err(e).context("updating the cross-run comment"),
        },
        None => post_part(client, repo, issue, body)
            .await
            .context("posting the cross-run comment"),
    }
}

/// Attempts at posting one part when GitHub's answer is lost or a server error, and the waits
/// before re-reading the issue (a comment that landed needs a moment to be listed). Only lost
/// answers are retried here: the client has already waited out rate limits.
const LOST_ANSWER_RETRY: RetryPolicy = RetryPolicy {
    max_attempts: 3,
    base_delay: Duration::from_secs(1),
    max_delay: Duration::from_secs(2),
    max_rate_limit_wait: Duration::ZERO,
    secondary_wait: Duration::ZERO,
};

/// Posts a part and returns its comment id (`None` under `--dry-run`: only planned). A POST is
/// not idempotent: after a 5xx or a lost answer the comment may exist anyway, so before trying
/// again the issue is re-read and an identical comment is adopted instead of posting a
/// duplicate. That check is what makes the retry safe, hence `Idempotency::Safe`.
async fn post_part(
    client: &Client,
    repo: &RepoName,
    issue: IssueNumber,
    body: &str,
) -> Result<Option<CommentId>, GithubError> {
    Retrying::new(
        &LOST_ANSWER_RETRY,
        Idempotency::Safe,
        format!("posting a comment on #{issue}"),
    )
    .run_checking(
        || async move {
            Ok(client
                .create_comment(repo, issue, body)
                .await?
                .map(|c| c.id))
        },
        |result| match result {
            // Whatever GitHub answered, the answer is lost: to the policy it is no answer.
            Err(e) if outcome_unknown(e) => Some(Failed::new(
                Outcome::Transport,
                format!("{e}; checking whether it landed"),
            )),
            _ => None,
        },
        || async move {
            let comments = client.comments(repo, issue).await.ok()?;
            let posted = client.as_posted(body);
            let landed = comments.iter().rev().find(|c| c.body == posted)?;
            Some(Some(landed.id))
        },
    )
    .await
}

/// Whether a failed write may or may not have reached GitHub.
fn outcome_unknown(e: &GithubError) -> bool {
    matches!(e, GithubError::Transport { .. })
        || matches!(e, GithubError::Http { status, .. } if *status >= 500)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::domain::JobId;
    use crate::github::models::User;
    use crate::report::located::fixtures::{analysis, parts, WF};

    fn comment(id: u64, author: &str, body: String) -> Comment {
        Comment {
            id: CommentId::new(id),
            body,
            user: Some(User {
                login: author.into(),
                id: 1,
                kind: None,
            }),
            html_url: String::new(),
            issue_url: String::new(),
            author_association: None,
            created_at: None,
            updated_at: None,
        }
    }

    #[test]
    fn only_the_bots_own_comments_are_state() {
        let body = parts(&[analysis(1)]).remove(0);
        let comments = vec![comment(10, "someone-else", body.clone())];
        let l = locate(&comments, "amd-bot", WF);
        assert_eq!(l.main, None);
        assert!(l.processed.is_empty());
        let l = locate(&[comment(11, "AMD-Bot", body)], "amd-bot", WF);
        assert_eq!(l.main.map(|c| c.id), Some(CommentId::new(11)));
        assert_eq!(l.recovered.len(), 1);
    }

    #[test]
    fn a_fake_block_from_another_user_changes_nothing() {
        let ours = comment(10, "amd-bot", parts(&[analysis(1)]).remove(0));
        let forged = comment(11, "mallory", parts(&[analysis(99)]).remove(0));
        let l = locate(&[ours, forged], "amd-bot", WF);
        assert_eq!(l.processed, BTreeSet::from([JobId::new(1)]));
        assert_eq!(
            l.recovered
                .iter()
                .map(|a| a.job_id.get())
                .collect::<Vec<_>>(),
            [1]
        );
    }

    #[tokio::test]
    async fn a_part_holding_a_secret_is_compared_as_posted_and_not_rewritten() {
        let fake = fake_github::FakeGithub::start(fake_github::Scenario::default());
        let secret = "test-token-1234567890";
        let client = Client::new(crate::github::ClientOptions {
            api_url: fake.url(),
            token: Some(secret.into()),
            redactor: crate::redact::Redactor::new([secret]),
            ..crate::github::ClientOptions::default()
        })
        .unwrap();
        let report = format!("### Failed Tests\nAssertionError: token {secret} rejected");
        let on_github = client.as_posted(&report).into_owned();
        assert!(!on_github.contains(secret), "{on_github}");
        let located = Located {
            main: Some(PostedComment {
                id: CommentId::new(7),
                body: on_github,
            }),
            ..Located::default()
        };
        let repo: RepoName = "o/r".parse().unwrap();
        let written = write_parts(&client, &repo, IssueNumber::new(1), &located, &[report])
            .await
            .unwrap();
        assert_eq!(written, Written::default());
        assert!(fake.writes().is_empty(), "{:?}", fake.writes());
    }
}
