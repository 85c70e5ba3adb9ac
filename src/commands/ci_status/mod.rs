//! `sglang-bot ci-status PR [--no-post]`: one comment on a pull request saying, as of its head
//! commit, which failed jobs are new, broken trunk, flaky or infrastructure — each from
//! evidence (the log engine, the base branch's analyses in the bot's daily issues) — and
//! which workflows are still running, awaiting approval or missing (issue #14).

use anyhow::{Context, Result};
use futures_util::StreamExt;

mod base;
mod post;
mod why;

use super::{github_client, require_token, EXIT_OK};
use crate::analysis::{signature_keys, stream_job_log, JobRequest};
use crate::cli::{CiStatusArgs, Format};
use crate::config::Config;
use crate::domain::{CommitSha, Conclusion, IssueNumber, RepoName, RunStatus};
use crate::github::models::{Job, WorkflowRun};
use crate::github::Client;
use crate::monitor::select::is_gate_job;
use crate::report::coverage;
use crate::report::pr_status::{self, Classified, FailedJob, Pending, StatusFacts};
use crate::report::pr_workflows::{standings, Standing, WorkflowStanding};

use super::pr_coverage::head_run;

/// Logs streamed at once.
const PARALLEL_LOGS: usize = 4;

/// What the command did, for `--format json`.
#[derive(Debug, serde::Serialize)]
struct Outcome {
    pr: u64,
    head_sha: String,
    jobs: Vec<Classified>,
    pending: Pending,
    /// The comment written (`None` when printed only).
    comment_url: Option<String>,
    body: String,
}

/// Runs the command: exit 0 once the report is posted or printed, whatever the PR's CI says.
pub(crate) async fn run(args: &CiStatusArgs, config: &Config, format: Format) -> Result<i32> {
    let number = super::pull::number(args.pr_number)?;
    require_token(config)?;
    let client = github_client(config)?;
    let repo = &config.github.target_repo;
    let (pr, sha) = super::pull::read(&client, repo, number).await?;
    let runs = client
        .runs_for_sha(repo, &sha)
        .await
        .with_context(|| format!("cannot list the runs of {sha}"))?;
    let workflows = standings(
        &runs.iter().map(head_run).collect::<Vec<_>>(),
        &config.ci_status.expected_workflows,
    );
    let failed = failed_jobs(&client, repo, &runs, &workflows).await?;
    let examined = examine(&client, repo, failed).await;
    let refs = base::PrRefs {
        base_branch: &pr.base.branch,
        head_sha: sha.as_str(),
    };
    let evidence = base::gather(&client, config, &refs, &examined).await;
    let mut jobs: Vec<Classified> = examined
        .into_iter()
        .map(|j| pr_status::classify(j, &evidence.outcomes, &pr.base.branch))
        .collect();
    why::add(&client, config, &pr, &mut jobs).await;
    let banner = coverage_banner(&client, repo, number, &sha, &runs).await;
    let pending = with_other_checks(&client, repo, &sha, pending_of(&workflows)).await;
    let body = pr_status::render(
        &StatusFacts {
            pr: args.pr_number,
            pr_url: &pr.html_url,
            head_sha: sha.as_str(),
            merge_base: evidence.merge_base.as_deref(),
            passed: workflows
                .iter()
                .filter(|w| w.standing == Standing::Passed)
                .count(),
            pending: &pending,
            banner: &banner,
            base_note: &evidence.note,
        },
        &jobs,
    );
    let post = !args.no_post && !config.dry_run;
    let comment_url = if post {
        let requester = config.requester.clone();
        let url = post::publish(&client, repo, number, &body, requester.as_deref()).await?;
        Some(url)
    } else {
        None
    };
    let outcome = Outcome {
        pr: args.pr_number,
        head_sha: sha.to_string(),
        jobs,
        pending,
        comment_url,
        body,
    };
    show(&outcome, format, config)?;
    Ok(EXIT_OK)
}

/// The running, awaiting-approval and missing workflows, by name.
fn pending_of(workflows: &[WorkflowStanding]) -> Pending {
    let named = |s: Standing| -> Vec<String> {
        workflows
            .iter()
            .filter(|w| w.standing == s)
            .map(|w| w.workflow.clone())
            .collect()
    };
    Pending {
        running: named(Standing::Running),
        awaiting_approval: named(Standing::AwaitingApproval),
        missing: named(Standing::Missing),
        other_pending: Vec::new(),
        other_failed: Vec::new(),
    }
}

/// Adds the checks of other CI systems (check runs of apps other than Actions, commit
/// statuses) that are pending or failed. They are named, not analysed; when they cannot be
/// read the report goes out without them (logged).
async fn with_other_checks(
    client: &Client,
    repo: &RepoName,
    sha: &CommitSha,
    mut pending: Pending,
) -> Pending {
    match client.check_runs(repo, sha.as_str()).await {
        Ok(checks) => {
            for c in checks.iter().filter(|c| !c.is_actions()) {
                let url = c
                    .html_url
                    .clone()
                    .or(c.details_url.clone())
                    .unwrap_or_default();
                match (&c.status, &c.conclusion) {
                    (
                        Some(RunStatus::Completed),
                        Some(
                            Conclusion::Failure
                            | Conclusion::TimedOut
                            | Conclusion::ActionRequired
                            | Conclusion::StartupFailure,
                        ),
                    ) => pending.other_failed.push((c.name.clone(), url)),
                    (Some(RunStatus::Completed), _) => {}
                    _ => pending.other_pending.push(c.name.clone()),
                }
            }
        }
        Err(e) => tracing::warn!("cannot list the check runs of {sha}: {e:#}"),
    }
    match client.combined_status(repo, sha.as_str()).await {
        Ok(combined) => {
            for s in &combined.statuses {
                match s.state.as_str() {
                    "failure" | "error" => pending
                        .other_failed
                        .push((s.context.clone(), s.target_url.clone().unwrap_or_default())),
                    "pending" => pending.other_pending.push(s.context.clone()),
                    _ => {}
                }
            }
        }
        Err(e) => tracing::warn!("cannot read the commit statuses of {sha}: {e:#}"),
    }
    pending
}

/// The failed, non-gate jobs of each failed workflow, with their run.
async fn failed_jobs<'r>(
    client: &Client,
    repo: &RepoName,
    runs: &'r [WorkflowRun],
    workflows: &[WorkflowStanding],
) -> Result<Vec<(String, bool, &'r WorkflowRun, Job)>> {
    let mut out = Vec::new();
    for w in workflows.iter().filter(|w| w.standing == Standing::Failed) {
        let Some(id) = w.run.as_ref().map(|r| r.id) else {
            continue;
        };
        let Some(run) = runs.iter().find(|r| r.id == id) else {
            continue;
        };
        let jobs = client
            .run_jobs(repo, id)
            .await
            .with_context(|| format!("cannot list the jobs of run {id}"))?;
        for job in jobs.into_iter().filter(|j| {
            matches!(
                j.conclusion,
                Some(Conclusion::Failure | Conclusion::TimedOut)
            ) && !is_gate_job(j)
        }) {
            out.push((w.workflow.clone(), w.is_amd(), run, job));
        }
    }
    Ok(out)
}

/// Each job's log through the log engine (streamed, never held whole).
async fn examine(
    client: &Client,
    repo: &RepoName,
    jobs: Vec<(String, bool, &WorkflowRun, Job)>,
) -> Vec<FailedJob> {
    futures_util::stream::iter(jobs.iter())
        .map(|(workflow, amd, run, job)| async move {
            let mut analyzer = crate::logs::Analyzer::default();
            let request = JobRequest {
                client,
                repo,
                workflow_file: workflow,
                run,
                job,
            };
            let read = stream_job_log(&request, |chunk| analyzer.feed(chunk)).await;
            let base = FailedJob {
                workflow: workflow.clone(),
                amd: *amd,
                job_id: job.id,
                job_name: job.name.clone(),
                job_url: job.html_url.clone().unwrap_or_else(|| run.html_url.clone()),
                run_url: run.html_url.clone(),
                category: None,
                reason: String::new(),
                failed_tests: Vec::new(),
                flaky_tests: Vec::new(),
                first_error: None,
                signatures: Vec::new(),
            };
            match read {
                Ok(()) => with_log(base, analyzer.finish()),
                Err(e) => {
                    let why = format!("log not read: {e}");
                    FailedJob {
                        reason: why.clone(),
                        first_error: Some(why),
                        ..base
                    }
                }
            }
        })
        .buffered(PARALLEL_LOGS)
        .collect()
        .await
}

/// The job with what its log says.
fn with_log(base: FailedJob, a: crate::logs::LogAnalysis) -> FailedJob {
    let first_error = a
        .failed_tests
        .iter()
        .find_map(|t| t.message.clone())
        .or_else(|| a.evidence.first().map(|e| e.text.clone()));
    FailedJob {
        category: Some(a.category),
        reason: a.reason.clone(),
        failed_tests: a.failed_tests.iter().map(|t| t.id.clone()).collect(),
        flaky_tests: a.flaky.iter().map(|t| t.id.clone()).collect(),
        first_error,
        signatures: signature_keys(&a.signatures),
        ..base
    }
}

/// The coverage-gap banner; empty when detection fails (the report goes out without it).
async fn coverage_banner(
    client: &Client,
    repo: &RepoName,
    number: IssueNumber,
    sha: &CommitSha,
    runs: &[WorkflowRun],
) -> String {
    match gaps(client, repo, number, sha, runs).await {
        Ok(g) => coverage::banner(&g),
        Err(e) => {
            tracing::warn!("no coverage banner: {e:#}");
            String::new()
        }
    }
}

async fn gaps(
    client: &Client,
    repo: &RepoName,
    number: IssueNumber,
    sha: &CommitSha,
    runs: &[WorkflowRun],
) -> Result<Vec<coverage::Gap>> {
    let files = client.pull_request_files(repo, number).await?;
    let texts = super::pr_coverage::test_sources(client, repo, &files, sha).await?;
    super::pr_coverage::gaps(client, repo, &files, &texts, runs).await
}

/// Prints the report (when not posted) or where it went; JSON with `--format json`. Redacted
/// like what is posted: the text comes from logs.
fn show(outcome: &Outcome, format: Format, config: &Config) -> Result<()> {
    let text = match (format, &outcome.comment_url) {
        (Format::Json, _) => format!("{}\n", serde_json::to_string_pretty(outcome)?),
        (Format::Text, Some(url)) => format!("CI status of PR #{} posted: {url}\n", outcome.pr),
        (Format::Text, None) => format!("{}\n", outcome.body),
    };
    let redactor = crate::redact::Redactor::new(config.secrets.values());
    crate::output::print(&redactor.redact(&text))?;
    Ok(())
}
