//! The select stage: what this workflow already reported (read back from the day's issue,
//! yesterday's and the local cache), and which jobs of the window's runs are new failures.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};

use super::context::TickContext;
use super::publish;
use super::select::{self, Skip};
use crate::config::MonitorOutput;
use crate::domain::{Conclusion, JobId, RunId, RunStatus};
use crate::github::models::{Job, WorkflowRun};
use crate::github::RunFilter;
use crate::report::cross::WindowRun;
use crate::report::located::Located;
use crate::report::JobAnalysis;

/// Runs listed per workflow before selection (GitHub's page size).
const RUNS_LISTED: usize = 100;

/// What the workflow already has on GitHub and in the local cache.
pub(super) struct Known {
    /// Our parts on today's issue.
    pub(super) located: Located,
    /// Analyses the local cache holds for today (a write that failed last tick).
    pub(super) cached: Vec<JobAnalysis>,
    /// Every job id reported today or yesterday: never analysed again.
    pub(super) processed: BTreeSet<JobId>,
}

impl Known {
    /// Whether the cache holds analyses the issue does not show yet.
    pub(super) fn unpublished(&self) -> bool {
        self.cached
            .iter()
            .any(|a| !self.located.processed.contains(&a.job_id))
    }
}

/// Reads back what is already reported. Refuses when today's issue could not be read in
/// daily-issue mode: new jobs could not be told from reported ones.
pub(super) fn known(tick: &TickContext<'_>, workflow: &str) -> Result<Known> {
    if !tick.today.readable && tick.config.monitor.output == MonitorOutput::DailyIssue {
        anyhow::bail!("the daily issue could not be read, so new jobs cannot be told from reported ones; nothing was analysed");
    }
    let located = match &tick.login {
        Some(login) => publish::locate(&tick.today.comments, login, workflow),
        None => Located::default(),
    };
    let cached: Vec<JobAnalysis> = tick.with_state(|state| {
        state
            .daily_comments
            .get(&tick.date)
            .and_then(|d| d.workflows.get(workflow))
            .map(|w| w.job_analyses.clone())
            .unwrap_or_default()
    });
    let mut processed = located.processed.clone();
    processed.extend(cached.iter().map(|a| a.job_id));
    if let (Some(yesterday), Some(login)) = (&tick.yesterday, &tick.login) {
        processed.extend(publish::locate(&yesterday.comments, login, workflow).processed);
    }
    Ok(Known {
        located,
        cached,
        processed,
    })
}

/// The runs of the window and the new failed jobs among them.
#[derive(Default)]
pub(super) struct Listing {
    /// Every run listed in the window, for the cross-run view.
    pub(super) window: Vec<WindowRun>,
    /// Runs kept after selection.
    pub(super) runs: usize,
    /// New failed jobs to analyse, with their run.
    pub(super) queue: Vec<(WorkflowRun, Job)>,
    /// Jobs still running, per run.
    pub(super) pending: Vec<(RunId, usize)>,
    /// Jobs left out, by reason.
    pub(super) skipped: BTreeMap<&'static str, usize>,
    /// Every job of each selected run, as listed (the history walk reads them from here).
    pub(super) jobs: HashMap<RunId, Vec<Job>>,
}

/// Lists the workflow's scheduled runs in the window and the jobs of those selected.
pub(super) async fn list(
    tick: &TickContext<'_>,
    workflow: &str,
    processed: &BTreeSet<JobId>,
) -> Result<Listing> {
    let config = tick.config;
    let upstream = &config.github.target_repo;
    let runs = tick
        .client
        .workflow_runs(upstream, workflow, &run_filter(tick))
        .await
        .with_context(|| format!("cannot list the runs of {workflow}"))?;
    let runs: Vec<WorkflowRun> = runs
        .into_iter()
        .filter(|r| r.created_at >= tick.since)
        .collect();
    let mut listing = Listing {
        window: runs.iter().map(window_run).collect(),
        ..Listing::default()
    };
    let runs = select::select_runs(runs, config.monitor.max_runs);
    listing.runs = runs.len();
    // The runs' job listings are independent reads: all at once.
    let jobs = futures_util::future::join_all(runs.iter().map(|run| async move {
        tick.client
            .run_jobs(upstream, run.id)
            .await
            .with_context(|| format!("cannot list the jobs of run {}", run.id))
    }))
    .await;
    let mut seen = processed.clone();
    for (run, jobs) in runs.iter().zip(jobs) {
        let jobs = jobs?;
        let selection = select::select_jobs(&jobs, &seen, config.monitor.job_name.as_deref());
        listing.jobs.insert(run.id, jobs);
        for (job, why) in &selection.skipped {
            tracing::debug!("{workflow}: skip {} ({})", job.name, skip_name(*why));
            *listing.skipped.entry(skip_name(*why)).or_default() += 1;
        }
        if selection.pending > 0 {
            listing.pending.push((run.id, selection.pending));
        }
        for job in selection.analyse {
            if seen.insert(job.id) {
                listing.queue.push((run.clone(), job));
            }
        }
    }
    Ok(listing)
}

fn run_filter(tick: &TickContext<'_>) -> RunFilter {
    RunFilter {
        branch: Some(tick.config.monitor.branch.clone()),
        event: Some("schedule".into()),
        // On the hour, so the URL (and its ETag) stays the same from tick to tick and an
        // unchanged listing comes back 304; the exact bound is applied by the caller.
        created_since: Some(floor_to_hour(tick.since)),
        limit: Some(RUNS_LISTED),
        ..RunFilter::default()
    }
}

fn skip_name(skip: Skip) -> &'static str {
    match skip {
        Skip::Processed => "already reported",
        Skip::NameFilter => "name filter",
        Skip::Gate => "gate job",
        Skip::Cancelled => "cancelled",
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
        completed: run
            .status
            .as_ref()
            .is_none_or(|s| *s == RunStatus::Completed),
        green: run.conclusion == Some(Conclusion::Success),
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
