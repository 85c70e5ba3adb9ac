//! `sglang-bot analyze-url --url URL`: the failed jobs of one run (or one job) analysed on
//! request, through the monitor's backends, reported in a new issue of the bot repository
//! (or printed without one, or under `--dry-run`).

use anyhow::{Context, Result};
use futures_util::StreamExt;

use super::{github_client, require_token, UsageError, EXIT_FAILURE, EXIT_OK};
use crate::analysis::{AnalysisError, Backend, CrossJobRequest, JobReport, JobRequest};
use crate::cli::{AnalyzeUrlArgs, Format};
use crate::config::Config;
use crate::domain::{parse_actions_url, web_hosts, ActionsTarget, IssueNumber, RepoName};
use crate::github::models::{Job, WorkflowRun};
use crate::github::{Client, NewIssue};
use crate::monitor::analyse::{job_record, with_report};
use crate::monitor::select::is_gate_job;
use crate::report::extract::drop_headings;
use crate::report::on_demand::{self, RunFacts, ANALYZE_LABEL};
use crate::report::JobAnalysis;

/// Jobs analysed at once (the original's two: an on-demand request shares the runner).
const PARALLEL_JOBS: usize = 2;

/// What the command did, for `--format json`.
#[derive(Debug, serde::Serialize)]
struct Outcome {
    title: String,
    issue: Option<IssueNumber>,
    jobs: Vec<JobOutcome>,
    body: String,
}

#[derive(Debug, serde::Serialize)]
struct JobOutcome {
    job_id: crate::domain::JobId,
    job_name: String,
    /// `None` when analysed; the reason otherwise.
    error: Option<String>,
}

/// Runs the command; exit 1 when some job could not be analysed (its note is in the report).
pub(crate) async fn run(args: &AnalyzeUrlArgs, config: &Config, format: Format) -> Result<i32> {
    // The URL first: a wrong one is refused before anything starts (backends, requests).
    let target = parse_actions_url(
        &args.url,
        &web_hosts(&config.github.api_url),
        &config.github.target_repo,
    )
    .map_err(UsageError)?;
    require_token(config)?;
    let analyst = super::backends::analyst_for(config).await?;
    let analyst = analyst.as_ref();
    let client = github_client(config)?;
    let (run, jobs) = jobs_to_analyse(&client, &target).await?;
    let workflow = workflow_of(&run);
    let facts = RunFacts {
        workflow: &workflow,
        // GitHub always numbers runs; an id stands in if one ever comes without.
        run_number: if run.run_number > 0 {
            run.run_number
        } else {
            run.id.get()
        },
        run_url: &run.html_url,
        head_sha: run.head_sha.as_ref(),
        event: &run.event,
        upstream: &config.github.target_repo.to_string(),
    };
    let title = match (&target.job, jobs.first()) {
        (Some(id), Some(job)) => on_demand::job_title(&job.name, *id),
        _ => on_demand::run_title(&facts),
    };
    let bot_repo = config.github.bot_repo.as_ref();
    let outcome = if jobs.is_empty() {
        report_no_failures(&client, bot_repo, &facts, &title).await?
    } else {
        let ctx = Publish {
            client: &client,
            bot_repo,
            facts: &facts,
            title: &title,
            now: &crate::domain::minute_text(&config.now().to_rfc3339(), ' ')
                .map(|t| format!("{t} UTC"))
                .unwrap_or_default(),
        };
        report_analyses(&ctx, analyst, &config.github.target_repo, &run, jobs).await?
    };
    let redactor = crate::redact::Redactor::new(config.secrets.values());
    show(
        &outcome,
        format,
        bot_repo.is_some() && !config.dry_run,
        &redactor,
    )?;
    Ok(if outcome.jobs.iter().any(|j| j.error.is_some()) {
        EXIT_FAILURE
    } else {
        EXIT_OK
    })
}

/// The run and the jobs to analyse: the one job of a job URL whatever its conclusion, or the
/// failed jobs of the run's latest attempt (finished, neither success nor skipped, not gates).
async fn jobs_to_analyse(
    client: &Client,
    target: &ActionsTarget,
) -> Result<(WorkflowRun, Vec<Job>)> {
    let repo = &target.repo;
    // The job first: one of another run is refused before its run is looked for.
    let jobs = match target.job {
        Some(id) => vec![job_of_run(client, target, id).await?],
        None => Vec::new(),
    };
    let run = client
        .workflow_run(repo, target.run)
        .await
        .with_context(|| format!("cannot read run {} of {repo}", target.run))?;
    if target.job.is_some() {
        return Ok((run, jobs));
    }
    // The attempt the URL names, else the latest (GitHub's `filter=latest`).
    let listed = match target.attempt {
        Some(attempt) => client.run_attempt_jobs(repo, target.run, attempt).await,
        None => client.run_jobs(repo, target.run).await,
    };
    let jobs = listed
        .with_context(|| format!("cannot list the jobs of run {}", target.run))?
        .into_iter()
        .filter(failed_and_finished)
        .filter(|job| {
            let gate = is_gate_job(job);
            if gate {
                tracing::info!(
                    "{}: a gate job (it only reports the others), skipped",
                    job.name
                );
            }
            !gate
        })
        .collect();
    Ok((run, jobs))
}

/// The job a job URL names, refused when it belongs to another run than the URL says (it
/// would be reported under that run's title and links).
async fn job_of_run(
    client: &Client,
    target: &ActionsTarget,
    id: crate::domain::JobId,
) -> Result<Job> {
    let job = client
        .job(&target.repo, id)
        .await
        .with_context(|| format!("cannot read job {id} of {}", target.repo))?;
    if job.run_id != target.run {
        return Err(UsageError(format!(
            "job {id} belongs to run {}, not to run {} as the URL says",
            job.run_id, target.run
        ))
        .into());
    }
    Ok(job)
}

/// Finished and not green: a failure, a cancellation (a timeout cancels), a neutral end.
fn failed_and_finished(job: &Job) -> bool {
    use crate::domain::{Conclusion, RunStatus};
    job.status == Some(RunStatus::Completed)
        && !matches!(
            job.conclusion,
            Some(Conclusion::Success | Conclusion::Skipped) | None
        )
}

/// The workflow file of a run (`.github/workflows/pr-test-amd.yml` → `pr-test-amd.yml`).
fn workflow_of(run: &WorkflowRun) -> String {
    run.path
        .as_deref()
        .and_then(|p| p.rsplit('/').next())
        .filter(|f| !f.is_empty())
        .map(str::to_string)
        .or_else(|| run.name.clone())
        .unwrap_or_else(|| "workflow".into())
}

/// Where and how the report goes.
struct Publish<'a> {
    client: &'a Client,
    bot_repo: Option<&'a RepoName>,
    facts: &'a RunFacts<'a>,
    title: &'a str,
    now: &'a str,
}

async fn report_no_failures(
    client: &Client,
    bot_repo: Option<&RepoName>,
    facts: &RunFacts<'_>,
    title: &str,
) -> Result<Outcome> {
    let title = on_demand::no_failures_title(title);
    let body = on_demand::no_failures_body(facts);
    let issue = match bot_repo {
        Some(repo) => open_issue(client, repo, &title, &body).await?,
        None => None,
    };
    Ok(Outcome {
        title,
        issue,
        jobs: Vec::new(),
        body,
    })
}

/// Opens the report issue (labelled `analyze`); `None` under `--dry-run`.
async fn open_issue(
    client: &Client,
    repo: &RepoName,
    title: &str,
    body: &str,
) -> Result<Option<IssueNumber>> {
    let created = client
        .create_issue(
            repo,
            &NewIssue {
                title: title.to_string(),
                body: body.to_string(),
                labels: vec![ANALYZE_LABEL.into()],
            },
        )
        .await
        .with_context(|| format!("cannot open the report issue in {repo}"))?;
    Ok(created.map(|i| i.number))
}

/// Opens the issue, analyses the jobs (posting each as it is done), adds the cross-job
/// summary and writes the final report.
async fn report_analyses(
    ctx: &Publish<'_>,
    analyst: &dyn Backend,
    upstream: &RepoName,
    run: &WorkflowRun,
    jobs: Vec<Job>,
) -> Result<Outcome> {
    let names: Vec<String> = jobs.iter().map(|j| j.name.clone()).collect();
    let issue = match ctx.bot_repo {
        Some(repo) => {
            open_issue(
                ctx.client,
                repo,
                ctx.title,
                &on_demand::in_progress_body(ctx.facts, &names),
            )
            .await?
        }
        None => None,
    };
    let done = analyse_all(ctx, issue, analyst, upstream, run, jobs).await;
    let analyses: Vec<JobAnalysis> = done.iter().map(|(a, _)| a.clone()).collect();
    let producer = done
        .iter()
        .find_map(|(_, p)| p.clone())
        .unwrap_or_else(|| analyst.producer().to_string());
    let summary = cross_job_summary(analyst, ctx.facts.workflow, &done).await;
    let body =
        on_demand::final_report(ctx.facts, &analyses, summary.as_deref(), &producer, ctx.now);
    if let (Some(repo), Some(n)) = (ctx.bot_repo, issue) {
        ctx.client
            .update_issue(
                repo,
                n,
                &crate::github::IssuePatch {
                    body: Some(body.clone()),
                    ..crate::github::IssuePatch::default()
                },
            )
            .await
            .with_context(|| format!("cannot write the report into {repo}#{n}"))?;
    }
    Ok(Outcome {
        title: ctx.title.to_string(),
        issue,
        jobs: done
            .iter()
            .map(|(a, p)| JobOutcome {
                job_id: a.job_id,
                job_name: a.job_name.clone(),
                error: p.is_none().then(|| a.analysis.clone()),
            })
            .collect(),
        body,
    })
}

/// Each job through the backends, two at a time, each posted as a comment when done (a failed
/// post is logged: the analysis is still in the final report). A job whose analysis failed
/// gets a note saying why, and no producer.
async fn analyse_all(
    ctx: &Publish<'_>,
    issue: Option<IssueNumber>,
    analyst: &dyn Backend,
    upstream: &RepoName,
    run: &WorkflowRun,
    jobs: Vec<Job>,
) -> Vec<(JobAnalysis, Option<String>)> {
    let workflow = ctx.facts.workflow;
    let mut done = Vec::with_capacity(jobs.len());
    let mut stream = futures_util::stream::iter(jobs.iter())
        .map(|job| async move {
            tracing::info!("{workflow}: analysing {} ({})", job.name, job.id);
            let result = analyst
                .analyze_job(JobRequest {
                    client: ctx.client,
                    repo: upstream,
                    workflow_file: workflow,
                    run,
                    job,
                })
                .await;
            to_analysis(run, job, result)
        })
        .buffer_unordered(PARALLEL_JOBS);
    while let Some((analysis, producer)) = stream.next().await {
        if let (Some(repo), Some(n)) = (ctx.bot_repo, issue) {
            let comment = on_demand::job_comment(&analysis);
            if let Err(e) = ctx.client.create_comment(repo, n, &comment).await {
                tracing::warn!("cannot post the analysis of {}: {e}", analysis.job_name);
            }
        }
        done.push((analysis, producer));
    }
    done
}

/// The record a report keeps of one job, and who wrote it (`None`: the analysis failed).
fn to_analysis(
    run: &WorkflowRun,
    job: &Job,
    result: Result<JobReport, AnalysisError>,
) -> (JobAnalysis, Option<String>) {
    let base = job_record(run, job);
    match result {
        Ok(report) => {
            let producer = report.producer.clone();
            (with_report(base, report), Some(producer))
        }
        Err(e) => {
            tracing::error!("analysing {} failed: {e:#}", job.name);
            let analysis = JobAnalysis {
                analysis: format!("Analysis failed: {e:#}"),
                ..base
            };
            (analysis, None)
        }
    }
}

/// The cross-job summary, when two or more jobs were analysed; none if no backend gives one.
async fn cross_job_summary(
    analyst: &dyn Backend,
    workflow: &str,
    done: &[(JobAnalysis, Option<String>)],
) -> Option<String> {
    let analysed: Vec<JobAnalysis> = done
        .iter()
        .filter(|(_, p)| p.is_some())
        .map(|(a, _)| a.clone())
        .collect();
    if analysed.len() < 2 {
        return None;
    }
    match analyst
        .cross_job(CrossJobRequest {
            workflow,
            analyses: &analysed,
        })
        .await
    {
        Ok(summary) => Some(drop_headings(&summary.value, "Summary|Overview")),
        Err(e) => {
            tracing::warn!("no cross-job summary: {e}");
            None
        }
    }
}

/// Prints the report (no issue written), or the line naming the issue; JSON with `--format
/// json`. Secrets are redacted as in what is posted: the text comes from logs.
fn show(
    outcome: &Outcome,
    format: Format,
    posted: bool,
    redactor: &crate::redact::Redactor,
) -> Result<()> {
    let text = match format {
        Format::Json => format!("{}\n", serde_json::to_string_pretty(outcome)?),
        Format::Text if posted => match outcome.issue {
            Some(n) => format!("Reported in issue #{n}: {}\n", outcome.title),
            None => format!("Reported: {}\n", outcome.title),
        },
        Format::Text => format!(
            "{}\n{}\n\n{}\n",
            "=".repeat(60),
            outcome.title,
            outcome.body
        ),
    };
    crate::output::print(&redactor.redact(&text))?;
    Ok(())
}
