//! `failure-tracker`: one long-lived issue per tracked workflow upstream, holding every test
//! failure the bot has seen with its first day, updated from the day's report issue.
//!
//! Each workflow is updated in isolation: a failure (an unreadable state, a 403 upstream) is
//! that workflow's result and the others still run. The state is owned by code
//! (`report::tracker_merge`), laid out by `report::tracker_parts`; the rows come from the
//! backend chain, whose builtin reader is deterministic.

pub mod issue;
pub mod read;
pub mod write;

use anyhow::{Context, Result};
use chrono::{Days, NaiveTime};
use serde::Serialize;

use crate::analysis::{Backend, TrackerLimits, TrackerRequest, TrackerRow};
use crate::config::{Config, TrackedWorkflow};
use crate::daily_issue::{self, reports};
use crate::domain::{Day, IssueNumber, RepoName};
use crate::github::{Client, RunFilter};
use crate::report::tracker_merge::{merge, route, Scan, Tracked};
use crate::report::tracker_parts::{self, shown_day, TrackerPages};
use crate::report::tracker_render::{is_failing, TrackerView};
use crate::report::tracker_state::{StoredEntry, TrackerState};

/// What one run of the tracker is about.
pub struct Job<'a> {
    /// Tracked workflows, label, upstream repository.
    pub config: &'a Config,
    /// The GitHub client (dry run included).
    pub client: &'a Client,
    /// The backend chain asked for the rows.
    pub analyst: &'a dyn Backend,
    /// Where the day's report issue is.
    pub bot_repo: &'a RepoName,
    /// The day whose report is read and merged (`--date`, default today).
    pub day: Day,
    /// Whether `day` is today (then only an open daily issue counts, as the monitor's).
    pub is_today: bool,
    /// `YYYY-MM-DD HH:MM UTC` of the run.
    pub updated: String,
}

/// What happened to one workflow's tracker.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Outcome {
    /// Workflow file.
    pub workflow: String,
    /// The tracker issue (none when only planned in a dry run, or not found before a failure).
    pub issue: Option<IssueNumber>,
    /// The body as rendered.
    pub body: Option<String>,
    /// The overflow comments as rendered, in part order.
    pub comments: Vec<String>,
    /// Entries failing on the shown day.
    pub failing: usize,
    /// Entries in the state.
    pub tracked: usize,
    /// Whether writes were sent (or would be, in a dry run): the content as GitHub stores it
    /// changed, or the tracker is to be created.
    pub changed: bool,
    /// Writes sent.
    pub writes: usize,
    /// Why this workflow's tracker was not updated.
    pub error: Option<String>,
}

/// The whole run: the day's issue and each tracked workflow's outcome.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// The day's report issue read (none: nothing was tracked).
    pub daily_issue: Option<IssueNumber>,
    /// One outcome per tracked workflow, in configuration order.
    pub workflows: Vec<Outcome>,
}

/// Runs the tracker for every tracked workflow. An error here (the day's issue cannot be
/// listed or read) is fatal; a workflow's failure is in its [`Outcome`].
pub async fn run(job: &Job<'_>) -> Result<Report> {
    let tracked = &job.config.tracker.workflows;
    let login = job
        .client
        .authenticated_user()
        .await
        .context("cannot tell which account the token belongs to")?
        .login;
    let label = &job.config.monitor.daily_label;
    let date = job.day.to_string();
    let daily = if job.is_today {
        daily_issue::find(job.client, job.bot_repo, label, &date).await?
    } else {
        daily_issue::find_past(job.client, job.bot_repo, label, &date).await?
    };
    let Some(daily) = daily else {
        tracing::info!("no daily issue for {date}: nothing to track");
        return Ok(Report::default());
    };
    let number = daily.number;
    let files: Vec<String> = tracked.iter().map(|t| t.file.clone()).collect();
    let day_reports = reports::read(job.client, job.bot_repo, daily, &login, &files).await?;
    tracing::info!(
        "{} job analyses in daily issue #{number} for the tracked workflows",
        day_reports.total()
    );
    let limits = TrackerLimits {
        max_turns: job.config.tracker.max_turns,
        timeout: std::time::Duration::from_secs(job.config.tracker.timeout_secs),
    };
    let rows = rows(
        job.analyst,
        &day_reports.workflows,
        day_reports.total(),
        limits,
    )
    .await;
    let targets: Vec<Tracked<'_>> = tracked
        .iter()
        .map(|t| Tracked {
            file: &t.file,
            display: &t.display,
        })
        .collect();
    let (routed, dropped) = route(rows, &targets);
    if dropped > 0 {
        tracing::warn!("{dropped} row(s) named no tracked workflow and were dropped");
    }
    let daily_url = format!("https://github.com/{}/issues/{number}", job.bot_repo);
    let mut workflows = Vec::new();
    for (wf, rows) in tracked.iter().zip(&routed) {
        let mut outcome = Outcome {
            workflow: wf.file.clone(),
            ..Outcome::default()
        };
        if let Err(e) = update(job, wf, rows, &daily_url, &login, &mut outcome).await {
            tracing::warn!("{}: tracker not updated: {e:#}", wf.file);
            outcome.error = Some(format!("{e:#}"));
        }
        workflows.push(outcome);
    }
    Ok(Report {
        daily_issue: Some(number),
        workflows,
    })
}

/// The day's rows: the backend chain's answer, or the deterministic reader when every
/// backend failed; none without analyses (the trackers are still re-rendered).
async fn rows(
    analyst: &dyn Backend,
    workflows: &[(String, Vec<crate::report::JobAnalysis>)],
    total: usize,
    limits: TrackerLimits,
) -> Vec<TrackerRow> {
    if total == 0 {
        return Vec::new();
    }
    match analyst
        .tracker_rows(TrackerRequest { workflows, limits })
        .await
    {
        Ok(produced) => {
            tracing::info!(
                "{} tracker row(s) from {}",
                produced.value.len(),
                produced.producer
            );
            produced.value
        }
        Err(e) => {
            tracing::warn!("no backend gave tracker rows ({e}); falling back to the report tables");
            crate::report::tracker::rows(workflows)
        }
    }
}

/// Whether the workflow completed a run upstream on `day` that the monitor would have looked
/// at (scheduled, on the monitored branch): a day without failures then counts as a pass. A
/// listing error counts as "not known", never as a pass.
async fn completed_run(job: &Job<'_>, workflow: &str) -> bool {
    let start = job.day.date().and_time(NaiveTime::MIN).and_utc();
    let end = start + Days::new(1);
    let filter = RunFilter {
        branch: Some(job.config.monitor.branch.clone()),
        event: Some("schedule".into()),
        status: Some("completed".into()),
        created_since: Some(start),
        created_until: Some(end - chrono::Duration::seconds(1)),
        limit: Some(100),
    };
    match job
        .client
        .workflow_runs(&job.config.github.target_repo, workflow, &filter)
        .await
    {
        Ok(runs) => runs
            .iter()
            .any(|r| r.created_at >= start && r.created_at < end),
        Err(e) => {
            tracing::warn!(
                "{workflow}: cannot list the day's runs ({e:#}); the day counts only if it failed"
            );
            false
        }
    }
}

/// One workflow: find its tracker, read its state (refusing to write over an unreadable
/// one), merge, render and write what changed.
async fn update(
    job: &Job<'_>,
    wf: &TrackedWorkflow,
    rows: &[TrackerRow],
    daily_url: &str,
    login: &str,
    out: &mut Outcome,
) -> Result<()> {
    let repo = &job.config.github.target_repo;
    let found =
        issue::find_or_create(job.client, repo, &job.config.tracker.label, login, wf).await?;
    let (issue, parts) = match found {
        issue::Found::Existing(issue) => {
            out.issue = Some(issue.number);
            let parts = write::read_parts(job.client, repo, issue.number, login).await?;
            (Some(issue), parts)
        }
        issue::Found::Planned => (None, Vec::new()),
    };
    let texts: Vec<&str> = parts.iter().map(|c| c.body.as_str()).collect();
    let mut state = match &issue {
        Some(i) => tracker_parts::read(&i.body, &texts).with_context(|| {
            format!(
                "tracker #{}: its state cannot be read, so it is left as it is",
                i.number
            )
        })?,
        None => TrackerState::default(),
    };
    let completed = completed_run(job, &wf.file).await;
    merge(
        &mut state,
        &Scan {
            day: job.day,
            rows,
            daily_issue_url: Some(daily_url),
            completed_run: completed,
        },
    );
    let today = shown_day(&state, job.day);
    let view = TrackerView {
        workflow: &wf.file,
        display: &wf.display,
        today,
        updated: &job.updated,
        daily_url,
    };
    let pages = tracker_parts::render(&view, &state);
    fill(out, &state, today, &pages);
    let Some(issue) = issue else {
        out.changed = true;
        tracing::info!(
            "{}: dry run: the tracker would be created and written",
            wf.file
        );
        return Ok(());
    };
    issue::reopen_if_ours(job.client, repo, &issue, login, !rows.is_empty()).await?;
    out.writes = write::write_pages(job.client, repo, &issue, &parts, &pages).await?;
    out.changed = out.writes > 0;
    if !out.changed {
        tracing::info!("{}: tracker #{} unchanged", wf.file, issue.number);
        return Ok(());
    }
    tracing::info!(
        "{} → issue #{} ({} write(s))",
        wf.file,
        issue.number,
        out.writes
    );
    Ok(())
}

/// Records what was rendered in the outcome.
fn fill(out: &mut Outcome, state: &TrackerState, today: Day, pages: &TrackerPages) {
    out.body = Some(pages.body.clone());
    out.comments = pages.comments.clone();
    out.tracked = state.entries.len();
    out.failing = state
        .entries
        .values()
        .filter(|s| matches!(s, StoredEntry::Entry(e) if is_failing(e, today)))
        .count();
}
