//! One monitor tick, end to end.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use futures_util::StreamExt;

use super::publish::{self, Located, Written};
use super::select::{self, Skip};
use crate::analysis::{AnalysisError, Backend, CrossJobRequest, CrossRunRequest, JobRequest};
use crate::config::{Config, MonitorOutput};
use crate::daily_issue;
use crate::github::models::{Comment, Job, WorkflowRun};
use crate::github::{Client, RequestStats, RunFilter};
use crate::report::cross::{cross_run_comment, run_pattern, WindowRun};
use crate::report::{JobAnalysis, WorkflowReport};
use crate::state::MonitorState;

/// Runs listed per workflow before selection (GitHub's page size).
const RUNS_LISTED: usize = 100;

/// What happened to one workflow.
#[derive(Debug, Clone, Default)]
pub struct WorkflowOutcome {
    pub workflow: String,
    pub runs: usize,
    pub analysed: Vec<JobAnalysis>,
    /// Jobs whose analysis failed this tick, (id, name, why); tried again next tick.
    pub failed: Vec<(u64, String, String)>,
    pub skipped: BTreeMap<&'static str, usize>,
    pub pending: usize,
    pub written: Written,
    /// The markdown parts (what was posted, or what `--output stdout` prints).
    pub parts: Vec<String>,
    /// Set when the workflow could not be handled at all.
    pub error: Option<String>,
    /// Comments left untouched because they could not be read back.
    pub frozen: Vec<u64>,
    /// The daily issue written to (found or created during the tick).
    pub issue: Option<u64>,
    /// The cross-run comment's text, when the day has two or more runs with failures.
    pub cross_run: Option<String>,
}

/// What the tick did.
#[derive(Debug, Clone, Default)]
pub struct TickReport {
    pub date: String,
    pub issue: Option<u64>,
    pub workflows: Vec<WorkflowOutcome>,
    pub requests: RequestStats,
    pub warnings: Vec<String>,
}

impl TickReport {
    /// Workflows with new analyses.
    pub fn failure_count(&self) -> usize {
        self.workflows
            .iter()
            .filter(|w| !w.analysed.is_empty())
            .count()
    }

    /// True when some workflow could not be handled.
    pub fn incomplete(&self) -> bool {
        self.workflows.iter().any(|w| w.error.is_some())
    }
}

/// The day's issue and what the bot wrote on it, read once per tick.
struct IssueView {
    number: Option<u64>,
    comments: Vec<Comment>,
    /// Whether the comments could be read (if not, nothing is written: dedup would be blind).
    readable: bool,
}

/// Runs one tick over every configured workflow; one workflow's failure never stops another.
pub async fn run_tick(
    config: &Config,
    client: &Client,
    analyst: &dyn Backend,
) -> Result<TickReport> {
    let now = config.now();
    let date = now.format("%Y-%m-%d").to_string();
    let mode = config.monitor.output;
    let bot_repo = config.github.bot_repo.as_deref();
    if mode == MonitorOutput::DailyIssue && bot_repo.is_none() {
        anyhow::bail!(crate::error::UsageError(
            "--output daily-issue needs --bot-repo (or BOT_REPO)".into()
        ));
    }
    let mut report = TickReport {
        date: date.clone(),
        ..TickReport::default()
    };
    let (mut state, warning) = MonitorState::load(&config.monitor.state_file);
    report.warnings.extend(warning);

    let login = match bot_repo {
        Some(_) => Some(
            client
                .authenticated_user()
                .await
                .context("cannot tell which account the bot is (GET /user)")?
                .login,
        ),
        None => None,
    };
    let today = match bot_repo {
        Some(repo) => read_issue(client, repo, &config.monitor.daily_label, &date).await,
        None => IssueView {
            number: None,
            comments: Vec::new(),
            readable: true,
        },
    };
    report.issue = today.number;
    // Yesterday's report still covers jobs inside the lookback window.
    let since = now - ChronoDuration::hours(i64::from(config.monitor.hours_back));
    let yesterday = match bot_repo {
        Some(repo) if since.date_naive() < now.date_naive() => {
            let day = (now - ChronoDuration::days(1))
                .format("%Y-%m-%d")
                .to_string();
            Some(read_issue(client, repo, &config.monitor.daily_label, &day).await)
        }
        _ => None,
    };

    for wf in &config.monitor.workflows {
        let mut outcome = WorkflowOutcome {
            workflow: wf.file.clone(),
            ..WorkflowOutcome::default()
        };
        let ctx = WorkflowContext {
            config,
            client,
            analyst,
            workflow: &wf.file,
            login: login.as_deref(),
            today: &today,
            yesterday: yesterday.as_ref(),
            date: &date,
            now,
            since,
        };
        if let Err(e) = process_workflow(&ctx, &mut state, &mut outcome).await {
            tracing::error!("{}: {e:#}", wf.file);
            outcome.error = Some(format!("{e:#}"));
        }
        report.issue = report.issue.or(outcome.issue);
        report.workflows.push(outcome);
        if mode == MonitorOutput::DailyIssue {
            if let Err(e) = state.save(&config.monitor.state_file) {
                report
                    .warnings
                    .push(format!("cannot save the state cache: {e}"));
            }
        }
    }
    report.requests = client.stats();
    Ok(report)
}

async fn read_issue(client: &Client, repo: &str, label: &str, date: &str) -> IssueView {
    let issue = match daily_issue::find(client, repo, label, date).await {
        Ok(i) => i,
        Err(e) => {
            tracing::warn!("cannot look up the daily issue for {date}: {e:#}");
            return IssueView {
                number: None,
                comments: Vec::new(),
                readable: false,
            };
        }
    };
    let Some(issue) = issue else {
        return IssueView {
            number: None,
            comments: Vec::new(),
            readable: true,
        };
    };
    match client.comments(repo, issue.number).await {
        Ok(comments) => IssueView {
            number: Some(issue.number),
            comments,
            readable: true,
        },
        Err(e) => {
            tracing::warn!("cannot list the comments of #{}: {e}", issue.number);
            IssueView {
                number: Some(issue.number),
                comments: Vec::new(),
                readable: false,
            }
        }
    }
}

struct WorkflowContext<'a> {
    config: &'a Config,
    client: &'a Client,
    analyst: &'a dyn Backend,
    workflow: &'a str,
    login: Option<&'a str>,
    today: &'a IssueView,
    yesterday: Option<&'a IssueView>,
    date: &'a str,
    now: DateTime<Utc>,
    since: DateTime<Utc>,
}

fn skip_name(skip: Skip) -> &'static str {
    match skip {
        Skip::Processed => "already reported",
        Skip::NameFilter => "name filter",
        Skip::Gate => "gate job",
        Skip::Cancelled => "cancelled",
    }
}

async fn process_workflow(
    ctx: &WorkflowContext<'_>,
    state: &mut MonitorState,
    outcome: &mut WorkflowOutcome,
) -> Result<()> {
    let config = ctx.config;
    let upstream = &config.github.target_repo;
    let mode = config.monitor.output;
    if !ctx.today.readable && mode == MonitorOutput::DailyIssue {
        anyhow::bail!("the daily issue could not be read, so new jobs cannot be told from reported ones; nothing was analysed");
    }
    let located = match ctx.login {
        Some(login) => publish::locate(&ctx.today.comments, login, ctx.workflow),
        None => Located::default(),
    };
    outcome.frozen = located.frozen.clone();
    let mut processed: BTreeSet<u64> = located.processed.clone();
    let cached: Vec<JobAnalysis> = state
        .daily_comments
        .get(ctx.date)
        .and_then(|d| d.workflows.get(ctx.workflow))
        .map(|w| w.job_analyses.clone())
        .unwrap_or_default();
    processed.extend(cached.iter().map(|a| a.job_id));
    if let (Some(yesterday), Some(login)) = (ctx.yesterday, ctx.login) {
        processed.extend(publish::locate(&yesterday.comments, login, ctx.workflow).processed);
    }

    let runs = ctx
        .client
        .workflow_runs(
            upstream,
            ctx.workflow,
            &RunFilter {
                branch: Some(config.monitor.branch.clone()),
                event: Some("schedule".into()),
                // On the hour, so the URL (and its ETag) stays the same from tick to tick and
                // an unchanged listing comes back 304; the exact bound is applied below.
                created_since: Some(floor_to_hour(ctx.since)),
                limit: Some(RUNS_LISTED),
                ..RunFilter::default()
            },
        )
        .await
        .with_context(|| format!("cannot list the runs of {}", ctx.workflow))?;
    let runs: Vec<WorkflowRun> = runs
        .into_iter()
        .filter(|r| r.created_at >= ctx.since)
        .collect();
    let window: Vec<WindowRun> = runs.iter().map(window_run).collect();
    let runs = select::select_runs(runs, config.monitor.max_runs);
    outcome.runs = runs.len();

    let mut queue: Vec<(WorkflowRun, Job)> = Vec::new();
    let mut pending: Vec<(u64, usize)> = Vec::new();
    for run in &runs {
        let jobs = ctx
            .client
            .run_jobs(upstream, run.id)
            .await
            .with_context(|| format!("cannot list the jobs of run {}", run.id))?;
        let selection = select::select_jobs(&jobs, &processed, config.monitor.job_name.as_deref());
        for (job, why) in &selection.skipped {
            tracing::debug!("{}: skip {} ({})", ctx.workflow, job.name, skip_name(*why));
            *outcome.skipped.entry(skip_name(*why)).or_default() += 1;
        }
        if selection.pending > 0 {
            pending.push((run.id, selection.pending));
            outcome.pending += selection.pending;
        }
        for job in selection.analyse {
            if processed.insert(job.id) {
                queue.push((run.clone(), job));
            }
        }
    }

    let parallel = config.monitor.parallel.max(1);
    let bar = crate::progress::bar(queue.len() as u64, ctx.workflow);
    let bar = &bar;
    let results: Vec<(
        WorkflowRun,
        Job,
        Result<crate::analysis::JobReport, AnalysisError>,
    )> = futures_util::stream::iter(queue)
        .map(|(run, job)| async move {
            tracing::info!("{}: analysing {} ({})", ctx.workflow, job.name, job.id);
            let result = ctx
                .analyst
                .analyze_job(JobRequest {
                    client: ctx.client,
                    repo: upstream,
                    workflow_file: ctx.workflow,
                    run: &run,
                    job: &job,
                })
                .await;
            bar.inc(1);
            (run, job, result)
        })
        .buffered(parallel)
        .collect()
        .await;

    bar.finish_and_clear();
    for (run, job, result) in results {
        let base = JobAnalysis {
            job_id: job.id,
            job_name: job.name.clone(),
            run_url: run.html_url.clone(),
            started_at: job
                .started_at
                .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
            failed_steps: select::failed_steps(&job),
            analysis: String::new(),
            head_sha: Some(run.head_sha.clone()).filter(|s| !s.is_empty()),
        };
        match result {
            Ok(report) => {
                let mut text = report.markdown;
                if let Some(note) = report.note {
                    text.push_str(&format!("\n\n_{note}_"));
                }
                outcome.analysed.push(JobAnalysis {
                    analysis: text,
                    ..base
                });
            }
            // The log is gone for good: record the job so it is not retried every tick.
            Err(AnalysisError::LogUnavailable(why)) => {
                tracing::warn!("{}: {} has no log: {why}", ctx.workflow, job.name);
                outcome.analysed.push(JobAnalysis {
                    analysis: format!("Analysis failed: {why}"),
                    ..base
                });
            }
            Err(e) => {
                tracing::error!("{}: analysing {} failed: {e:#}", ctx.workflow, job.name);
                outcome
                    .failed
                    .push((job.id, job.name.clone(), format!("{e:#}")));
            }
        }
    }
    // Analyses kept in the local cache by a tick whose write failed are published now.
    let unpublished = mode == MonitorOutput::DailyIssue
        && cached
            .iter()
            .any(|a| !located.processed.contains(&a.job_id));
    if outcome.analysed.is_empty() && !unpublished {
        return Ok(());
    }

    let now_text = ctx.now.format("%Y-%m-%d %H:%M UTC").to_string();
    let unanalysed: Vec<(String, String)> = outcome
        .failed
        .iter()
        .map(|(_, name, why)| (name.clone(), why.clone()))
        .collect();
    let producer = ctx.analyst.producer().to_string();
    if mode == MonitorOutput::Stdout {
        // As the original: stdout covers only this tick's new analyses.
        let summary = cross_job_text(ctx, &outcome.analysed).await;
        let assessment = cross_run_assessment(ctx, &outcome.analysed, &window).await;
        outcome.cross_run = cross_run_comment(
            ctx.workflow,
            &outcome.analysed,
            &window,
            &now_text,
            &producer,
            assessment.as_deref(),
        );
        outcome.parts = WorkflowReport {
            workflow: ctx.workflow,
            analyses: &outcome.analysed,
            summary: summary.as_deref(),
            pending: &pending,
            unanalysed: &unanalysed,
            producer: &producer,
            now: &now_text,
            upstream,
        }
        .render_parts_within(config.monitor.comment_max_chars);
        return Ok(());
    }

    let bot_repo = config.github.bot_repo.as_deref().expect("checked at start");
    let workflows: Vec<String> = config
        .monitor
        .workflows
        .iter()
        .map(|w| w.file.clone())
        .collect();
    let issue = match ctx.today.number {
        Some(n) => n,
        None => {
            let label = &config.monitor.daily_label;
            daily_issue::find_or_create(ctx.client, bot_repo, label, ctx.date, upstream, &workflows)
                .await?
                .0
                .number
        }
    };
    // An issue found or created after start has none of our comments yet, unless a
    // concurrent process wrote some: read them so nothing is duplicated.
    let fresh_comments;
    let (located, comments) = if ctx.today.number == Some(issue) {
        (located, &ctx.today.comments)
    } else {
        fresh_comments = ctx
            .client
            .comments(bot_repo, issue)
            .await
            .with_context(|| {
                format!("cannot read the comments of #{issue}, so nothing is written")
            })?;
        (
            publish::locate(&fresh_comments, ctx.login.unwrap_or_default(), ctx.workflow),
            &fresh_comments,
        )
    };
    let all = publish::merge(&located.recovered, &cached, &outcome.analysed);
    let summary = cross_job_text(ctx, &all).await;
    let parts = WorkflowReport {
        workflow: ctx.workflow,
        analyses: &all,
        summary: summary.as_deref(),
        pending: &pending,
        unanalysed: &unanalysed,
        producer: &producer,
        now: &now_text,
        upstream,
    }
    .render_parts_within(config.monitor.comment_max_chars);
    // Cache first: if the write fails, the next tick publishes these without analysing again.
    let day = state.day(ctx.date);
    day.issue_number = Some(issue);
    let wf_state = day.workflows.entry(ctx.workflow.to_string()).or_default();
    wf_state.job_analyses = all.clone();
    wf_state.last_pending_count = outcome.pending as u64;
    outcome.issue = Some(issue);
    outcome.written = publish::write_parts(ctx.client, bot_repo, issue, &located, &parts).await?;
    outcome.parts = parts;
    let assessment = cross_run_assessment(ctx, &all, &window).await;
    outcome.cross_run = cross_run_comment(
        ctx.workflow,
        &all,
        &window,
        &now_text,
        &producer,
        assessment.as_deref(),
    );
    if let Some(body) = &outcome.cross_run {
        // The per-workflow parts are safe by now; a failure here is reported, not fatal.
        match publish::write_cross_run(
            ctx.client,
            bot_repo,
            issue,
            comments,
            ctx.login.unwrap_or_default(),
            ctx.workflow,
            body,
        )
        .await
        {
            Ok(Some(id)) => outcome.written.updated.push(id),
            Ok(None) => {}
            Err(e) => tracing::warn!("{}: cross-run comment: {e:#}", ctx.workflow),
        }
    }
    Ok(())
}

/// The cross-job summary of the day's analyses (more than one), from the first backend that
/// writes one; without one, part 1 simply has no summary.
async fn cross_job_text(ctx: &WorkflowContext<'_>, analyses: &[JobAnalysis]) -> Option<String> {
    if analyses.len() < 2 {
        return None;
    }
    let request = CrossJobRequest {
        workflow: ctx.workflow,
        analyses,
    };
    match ctx.analyst.cross_job(request).await {
        Ok(p) => Some(match p.note {
            Some(note) => format!("{}\n\n_{note}_", p.value),
            None => p.value,
        }),
        Err(e) => {
            tracing::warn!("{}: no cross-job summary: {e:#}", ctx.workflow);
            None
        }
    }
}

/// A backend's assessment of the pattern across two or more runs, when one offers it (the
/// agent does); the computed run tables are published either way.
async fn cross_run_assessment(
    ctx: &WorkflowContext<'_>,
    analyses: &[JobAnalysis],
    window: &[WindowRun],
) -> Option<String> {
    run_pattern(analyses, window)?;
    let request = CrossRunRequest {
        workflow: ctx.workflow,
        analyses,
        window,
    };
    match ctx.analyst.cross_run(request).await {
        Ok(p) => Some(p.value),
        Err(AnalysisError::Unsupported { .. }) => None,
        Err(e) => {
            tracing::warn!("{}: no cross-run assessment: {e:#}", ctx.workflow);
            None
        }
    }
}

/// A listed run as the cross-run view counts it.
fn window_run(run: &WorkflowRun) -> WindowRun {
    WindowRun {
        id: run.id,
        url: run.html_url.clone(),
        started_at: run
            .run_started_at
            .unwrap_or(run.created_at)
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
        completed: run.status.as_deref().is_none_or(|s| s == "completed"),
        green: run.conclusion.as_deref() == Some("success"),
        head_sha: run.head_sha.clone(),
    }
}

/// The hour `t` falls in.
fn floor_to_hour(t: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::{DurationRound, TimeDelta};
    t.duration_trunc(TimeDelta::hours(1)).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_run_query_bound_is_stable_within_the_hour() {
        let a: DateTime<Utc> = "2026-11-23T06:00:00Z".parse().unwrap();
        let b: DateTime<Utc> = "2026-11-23T06:59:59Z".parse().unwrap();
        assert_eq!(floor_to_hour(a), a);
        assert_eq!(floor_to_hour(b), a);
    }
}
