//! `sglang-bot review-pr PR [--focus T] [--context T] [--no-post]`: one review comment on a
//! pull request (issue #14). The backend chain writes it: the Claude Code agent in a worktree
//! of the PR's head, the Messages API with the diff within a size budget, or the builtin
//! checks (coverage gaps, AMD registrations, binary files). A re-run rewrites the same
//! comment and folds the previous review below the new one.

use anyhow::{Context, Result};

use super::{backends, github_client, require_token, EXIT_OK};
use crate::analysis::{agent, api_job, Backend, PrReviewRequest, PullRequestFacts};
use crate::cli::{Format, ReviewPrArgs};
use crate::config::Config;
use crate::domain::{CommitSha, IssueNumber, RepoName};
use crate::github::models::{PullFile, PullRequest};
use crate::github::Client;
use crate::report::review::{self, Review, Style};
use crate::report::review_diff::{self, BudgetedDiff, ChangedFile, LeftOut};
use crate::report::review_findings::{registration_mistakes, Findings};

/// Characters of diff sent to the model (the original's cut, now a budget: PR-G52).
const DIFF_BUDGET: usize = 120_000;
/// Changed files listed in the prompt.
const FILES_LISTED: usize = 300;
/// Files the review's "Not reviewed" section names.
const LEFT_OUT_LISTED: usize = 50;

/// What the command did, for `--format json`.
#[derive(Debug, serde::Serialize)]
struct Outcome {
    pr: u64,
    head_sha: String,
    /// The backend that wrote the review.
    producer: String,
    /// Why a preferred backend did not.
    note: Option<String>,
    /// Files whose diff the model did not see.
    left_out: Vec<String>,
    /// The comment written (`None` when printed only).
    comment_url: Option<String>,
    /// An earlier review comment was rewritten rather than a new one posted.
    updated: bool,
    body: String,
}

/// Runs the command: exit 0 once the review is posted or printed.
pub(crate) async fn run(args: &ReviewPrArgs, config: &Config, format: Format) -> Result<i32> {
    let number = super::pull::number(args.pr_number)?;
    require_token(config)?;
    let analyst = backends::analyst_for(config).await?;
    let client = github_client(config)?;
    let repo = &config.github.target_repo;
    let (pr, sha) = super::pull::read(&client, repo, number).await?;
    let files = client
        .pull_request_files(repo, number)
        .await
        .with_context(|| format!("cannot list the files of PR #{number}"))?;
    let changed: Vec<ChangedFile> = files.iter().map(changed_file).collect();
    let diff = read_diff(&client, repo, number, &changed).await;
    let findings = findings(&client, repo, &files, &sha, &diff).await;
    let produced = ask(
        analyst.as_ref(),
        args,
        repo,
        &pr,
        &sha,
        &changed,
        &diff,
        &findings,
    )
    .await
    .with_context(|| format!("no backend could review PR #{number}"))?;
    let appendix = if produced.producer == api_job::PRODUCER {
        review_diff::review_note(&diff.left_out, LEFT_OUT_LISTED)
    } else {
        String::new()
    };
    let reviewed_at = config.now().format("%Y-%m-%d %H:%M UTC").to_string();
    let requester = config.requester.clone();
    let review = Review {
        pr: args.pr_number,
        title: &pr.title,
        head_sha: sha.as_str(),
        reviewed_at: &reviewed_at,
        requester: requester.as_deref(),
        style: if produced.producer == agent::PRODUCER {
            Style::Agent
        } else {
            Style::Other
        },
        producer: &produced.producer,
        note: produced.note.as_deref(),
        text: &produced.value,
        appendix: &appendix,
    };
    let post = !args.no_post && !config.dry_run;
    let (body, comment_url, updated) = if post {
        let (body, url, updated) = publish(&client, repo, number, &review).await?;
        (body, Some(url), updated)
    } else {
        (review::render(&review, None), None, false)
    };
    let outcome = Outcome {
        pr: args.pr_number,
        head_sha: sha.to_string(),
        producer: produced.producer.clone(),
        note: produced.note.clone(),
        left_out: diff.left_out.iter().map(|(p, _)| p.clone()).collect(),
        comment_url,
        updated,
        body,
    };
    show(&outcome, format, config)?;
    Ok(EXIT_OK)
}

/// One changed file as the diff budget reads it.
fn changed_file(f: &PullFile) -> ChangedFile {
    ChangedFile {
        path: f.filename.clone(),
        status: f.status.clone(),
        additions: f.additions,
        deletions: f.deletions,
        patch: f.patch.clone(),
    }
}

/// The PR's diff within the budget; when GitHub will not give the whole diff (it refuses very
/// large ones), one made from the files' patches.
async fn read_diff(
    client: &Client,
    repo: &RepoName,
    number: IssueNumber,
    files: &[ChangedFile],
) -> BudgetedDiff {
    match client.pull_request_diff(repo, number).await {
        Ok(Some(diff)) => review_diff::budget(&diff, DIFF_BUDGET),
        Ok(None) => review_diff::from_files(files, DIFF_BUDGET),
        Err(e) => {
            tracing::warn!(
                "cannot read the diff of PR #{number} ({e:#}); using the files' patches"
            );
            review_diff::from_files(files, DIFF_BUDGET)
        }
    }
}

/// The deterministic checks; a read that fails leaves them incomplete and says so.
async fn findings(
    client: &Client,
    repo: &RepoName,
    files: &[PullFile],
    sha: &CommitSha,
    diff: &BudgetedDiff,
) -> Findings {
    let removed = |path: &str| {
        files
            .iter()
            .any(|f| f.filename == path && f.status == "removed")
    };
    let mut f = Findings {
        files_changed: files.len(),
        binaries: diff
            .left_out
            .iter()
            .filter(|(p, why)| *why == LeftOut::Binary && !removed(p))
            .map(|(p, _)| p.clone())
            .collect(),
        ..Findings::default()
    };
    let texts = match super::pr_coverage::test_sources(client, repo, files, sha).await {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!("cannot read the PR's test files: {e:#}");
            f.incomplete = Some("the test files could not be read at the head commit".into());
            return f;
        }
    };
    for (file, text) in files.iter().zip(&texts) {
        if let Some(text) = text {
            f.test_files_read += 1;
            f.mistakes
                .extend(registration_mistakes(&file.filename, text));
        }
    }
    let gaps = match client.runs_for_sha(repo, sha).await {
        Ok(runs) => super::pr_coverage::gaps(client, repo, files, &texts, &runs).await,
        Err(e) => Err(e.into()),
    };
    match gaps {
        Ok(g) => f.gaps = g,
        Err(e) => {
            tracing::warn!("no coverage check: {e:#}");
            f.incomplete = Some("the AMD runs of the head commit could not be read".into());
        }
    }
    f
}

/// Asks the backend chain for the review.
#[allow(clippy::too_many_arguments)]
async fn ask(
    analyst: &dyn Backend,
    args: &ReviewPrArgs,
    repo: &RepoName,
    pr: &PullRequest,
    sha: &CommitSha,
    changed: &[ChangedFile],
    diff: &BudgetedDiff,
    findings: &Findings,
) -> Result<crate::analysis::Produced<String>> {
    let files_summary = review_diff::files_summary(changed, FILES_LISTED);
    let diff_text = format!("{}{}", diff.text, review_diff::prompt_note(&diff.left_out));
    let author = pr.user.as_ref().map_or("unknown", |u| u.login.as_str());
    let repo_name = repo.to_string();
    let request = PrReviewRequest {
        pr: PullRequestFacts {
            number: args.pr_number,
            title: &pr.title,
            author,
            head_ref: &pr.head.branch,
            head_sha: sha.as_str(),
            base_ref: &pr.base.branch,
            body: &pr.body,
            files_summary: &files_summary,
            diff: &diff_text,
        },
        repo: &repo_name,
        focus: args.focus.as_deref(),
        context: args.context.as_deref(),
        findings,
    };
    Ok(analyst.pr_review(request).await?)
}

/// Posts the review, or rewrites the bot's earlier review comment with the previous review
/// folded in; the body written, the comment's URL and whether it was an update.
async fn publish(
    client: &Client,
    repo: &RepoName,
    number: IssueNumber,
    review: &Review<'_>,
) -> Result<(String, String, bool)> {
    let (login, comments) = super::pr_comment::login_and_comments(client, repo, number).await?;
    let own = super::pr_comment::own_comment(&comments, &login, review::is_review);
    let Some(own) = own else {
        let body = review::render(review, None);
        let created = client
            .create_comment(repo, number, &body)
            .await
            .with_context(|| format!("cannot comment on PR #{number}"))?;
        return Ok((body, created.map(|c| c.html_url).unwrap_or_default(), false));
    };
    let previous = review::previous_of(&own.body);
    let body = review::render(review, previous.as_ref());
    client
        .update_comment(repo, own.id, &body)
        .await
        .with_context(|| format!("cannot update the review comment of PR #{number}"))?;
    Ok((body, own.html_url.clone(), true))
}

/// Prints the review (when not posted) or where it went; JSON with `--format json`. Redacted
/// like what is posted: the review quotes the PR and the model.
fn show(outcome: &Outcome, format: Format, config: &Config) -> Result<()> {
    let text = match (format, &outcome.comment_url) {
        (Format::Json, _) => format!("{}\n", serde_json::to_string_pretty(outcome)?),
        (Format::Text, Some(url)) => format!(
            "Review of PR #{} {}: {url}\n",
            outcome.pr,
            if outcome.updated { "updated" } else { "posted" }
        ),
        (Format::Text, None) => format!("{}\n", outcome.body),
    };
    let redactor = crate::redact::Redactor::new(config.secrets.values());
    crate::output::print(&redactor.redact(&text))?;
    Ok(())
}
