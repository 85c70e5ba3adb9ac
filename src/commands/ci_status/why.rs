//! A model's "why" for the failures the evidence calls NEW: the PR's diff and files against
//! each failing job's tests and first error, one sentence per job. Only asked when a model
//! backend is configured and a NEW failure exists; whatever goes wrong (no gateway, no diff,
//! an unreadable answer) leaves the report as the evidence made it, with the reason logged.

use crate::analysis::{PrCorrelationRequest, PullRequestFacts, Verdict};
use crate::config::{BackendKind, Config};
use crate::github::models::PullRequest;
use crate::github::Client;
use crate::report::pr_status::{Class, Classified};
use crate::report::review_diff::{files_summary, ChangedFile};

/// Files listed to the model.
const FILES_LISTED: usize = 50;

/// Adds the model's reading to each NEW job it answered for.
pub(super) async fn add(
    client: &Client,
    config: &Config,
    pr: &PullRequest,
    jobs: &mut [Classified],
) {
    if config.backend.kind == BackendKind::Builtin || !jobs.iter().any(|j| j.class == Class::New) {
        return;
    }
    match ask(client, config, pr, jobs).await {
        Ok(whys) => {
            for j in jobs.iter_mut().filter(|j| j.class == Class::New) {
                j.why = whys
                    .iter()
                    .find(|(name, _)| *name == j.job.job_name)
                    .map(|(_, w)| w.clone());
            }
        }
        Err(e) => tracing::warn!("no model reading of the new failures: {e:#}"),
    }
}

/// (job name, `verdict: explanation`) from the backend chain.
async fn ask(
    client: &Client,
    config: &Config,
    pr: &PullRequest,
    jobs: &[Classified],
) -> anyhow::Result<Vec<(String, String)>> {
    let analyst = super::super::backends::analyst_for(config).await?;
    let repo = &config.github.target_repo;
    let number = pr.number;
    let diff = client
        .pull_request_diff(repo, number)
        .await?
        .filter(|d| !d.trim().is_empty())
        .ok_or_else(|| anyhow::anyhow!("GitHub gave no diff for PR #{number}"))?;
    let files: Vec<ChangedFile> = client
        .pull_request_files(repo, number)
        .await?
        .into_iter()
        .map(|f| ChangedFile {
            path: f.filename,
            status: f.status,
            additions: f.additions,
            deletions: f.deletions,
            patch: None,
        })
        .collect();
    let summary = files_summary(&files, FILES_LISTED);
    let new: Vec<&Classified> = jobs.iter().filter(|j| j.class == Class::New).collect();
    let names: Vec<String> = new.iter().map(|j| j.job.job_name.clone()).collect();
    let errors = errors_text(&new);
    let author = pr.user.as_ref().map_or("", |u| u.login.as_str());
    let request = PrCorrelationRequest {
        pr: PullRequestFacts {
            number: pr.number.get(),
            title: &pr.title,
            author,
            head_ref: &pr.head.branch,
            head_sha: &pr.head.sha,
            base_ref: &pr.base.branch,
            body: &pr.body,
            files_summary: &summary,
            diff: &diff,
        },
        jobs: &names,
        errors: &errors,
    };
    let produced = analyst.pr_correlation(request).await?;
    Ok(produced
        .value
        .into_iter()
        .map(|c| {
            let verdict = match c.verdict {
                Verdict::Likely => "likely",
                Verdict::Possibly => "possibly",
                Verdict::Unlikely => "unlikely",
            };
            (c.job, format!("{verdict} related — {}", c.explanation))
        })
        .collect())
}

/// Per job: its name, failed tests and first error, as the template expects.
fn errors_text(jobs: &[&Classified]) -> String {
    jobs.iter()
        .map(|j| {
            let tests = if j.job.failed_tests.is_empty() {
                "(none named)".to_string()
            } else {
                j.job.failed_tests.join(", ")
            };
            format!(
                "\n#### Job: `{}`\nFailed tests: {tests}\n - `{}`\n",
                j.job.job_name,
                j.job
                    .first_error
                    .as_deref()
                    .unwrap_or("(no error extracted)")
            )
        })
        .collect()
}
