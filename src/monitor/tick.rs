//! One monitor tick: every watched workflow through the same four stages, all workflows at
//! once (their reads overlap; analyses share the tick's slots):
//!
//! select (runs → new failed jobs) → analyse → render → publish (stdout, or the daily issue).
//!
//! Workflows finish in no fixed order, so their comments are posted in no fixed order; the
//! report lists them in configuration order. One workflow's failure never stops another.

use std::collections::{BTreeMap, HashMap};

use anyhow::Result;

use super::analyse::{analyse, Analysed};
use super::context::TickContext;
use super::history;
use super::listing::{self, Listing};
use super::publish::{self, Written};
use super::render::{render, RenderInput};
use crate::analysis::Backend;
use crate::config::{Config, MonitorOutput};
use crate::domain::{CommentId, IssueNumber, JobId};
use crate::github::models::WorkflowRun;
use crate::github::{Client, RequestStats};
use crate::report::JobAnalysis;

/// What happened to one workflow.
#[derive(Debug, Clone, Default)]
pub struct WorkflowOutcome {
    pub workflow: String,
    pub runs: usize,
    pub analysed: Vec<JobAnalysis>,
    /// Jobs whose analysis failed this tick, (id, name, why); tried again next tick.
    pub failed: Vec<(JobId, String, String)>,
    pub skipped: BTreeMap<&'static str, usize>,
    pub pending: usize,
    pub written: Written,
    /// The markdown parts (what was posted, or what `--output stdout` prints).
    pub parts: Vec<String>,
    /// Set when the workflow could not be handled at all.
    pub error: Option<String>,
    /// Writes a rate limit left for the next tick (the tick's budget would not cover the wait).
    pub deferred_writes: usize,
    /// Problems that did not stop the workflow (a state cache that could not be saved).
    pub warnings: Vec<String>,
    /// Comments left untouched because they could not be read back.
    pub frozen: Vec<CommentId>,
    /// The daily issue written to (found or created during the tick).
    pub issue: Option<IssueNumber>,
    /// The cross-run comment's text, when the day has two or more runs with failures.
    pub cross_run: Option<String>,
}

/// What the tick did.
#[derive(Debug, Clone, Default)]
pub struct TickReport {
    pub date: String,
    pub issue: Option<IssueNumber>,
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

    /// Workflows that could not be handled.
    pub fn unhandled_count(&self) -> usize {
        self.workflows.iter().filter(|w| w.error.is_some()).count()
    }

    /// Writes left for the next tick.
    pub fn deferred_writes(&self) -> usize {
        self.workflows.iter().map(|w| w.deferred_writes).sum()
    }
}

/// Runs one tick over every configured workflow; reports go to the issue of `day` (default
/// today).
pub async fn run_tick(
    config: &Config,
    client: &Client,
    analyst: &dyn Backend,
    day: Option<chrono::NaiveDate>,
) -> Result<TickReport> {
    // Rate-limit waits end with the tick's budget: what is left then waits for the next tick.
    client.set_deadline(
        tokio::time::Instant::now()
            + std::time::Duration::from_secs(config.monitor.tick_budget_secs),
    );
    // A workflow listed twice is handled once: two concurrent passes would race on one comment.
    let mut files: Vec<&str> = Vec::new();
    for wf in &config.monitor.workflows {
        if !files.contains(&wf.file.as_str()) {
            files.push(&wf.file);
        }
    }
    let (tick, warning) = match TickContext::open(config, client, analyst, day).await {
        Ok(opened) => opened,
        // A usage error is the caller's to report (exit 2), not a failed tick.
        Err(e) if e.downcast_ref::<crate::error::UsageError>().is_some() => return Err(e),
        Err(e) => return Ok(unhandled_tick(config, client, &files, &e)),
    };
    let tick = &tick;
    let workflows =
        futures_util::future::join_all(files.iter().map(|file| process_workflow(tick, file))).await;
    let mut report = TickReport {
        date: tick.date.clone(),
        issue: tick.today.number,
        warnings: warning.into_iter().collect(),
        ..TickReport::default()
    };
    report.issue = report.issue.or(workflows.iter().find_map(|w| w.issue));
    report
        .warnings
        .extend(workflows.iter().flat_map(|w| w.warnings.iter().cloned()));
    report.workflows = workflows;
    report.requests = client.stats();
    Ok(report)
}

/// The report of a tick that could not start (GitHub unreachable, the token refused): every
/// workflow unhandled, with the reason, so the tick still ends with its counts.
fn unhandled_tick(
    config: &Config,
    client: &Client,
    files: &[&str],
    cause: &anyhow::Error,
) -> TickReport {
    tracing::error!("the tick could not start: {cause:#}");
    TickReport {
        date: config.now().format("%Y-%m-%d").to_string(),
        workflows: files
            .iter()
            .map(|file| WorkflowOutcome {
                workflow: file.to_string(),
                error: Some(format!("the tick could not start: {cause:#}")),
                ..WorkflowOutcome::default()
            })
            .collect(),
        requests: client.stats(),
        ..TickReport::default()
    }
}

/// One workflow through the stages; its error is recorded in the outcome, never raised.
async fn process_workflow(tick: &TickContext<'_>, workflow: &str) -> WorkflowOutcome {
    let mut outcome = WorkflowOutcome {
        workflow: workflow.to_string(),
        ..WorkflowOutcome::default()
    };
    if let Err(e) = stages(tick, workflow, &mut outcome).await {
        match e
            .chain()
            .find_map(|c| c.downcast_ref::<publish::Deferred>())
        {
            Some(deferred) => {
                tracing::warn!("{workflow}: {deferred}");
                outcome.deferred_writes = deferred.writes;
            }
            None => {
                tracing::error!("{workflow}: {e:#}");
                outcome.error = Some(format!("{e:#}"));
            }
        }
    }
    // A dry run leaves the local cache as it was: the real run must not take its analyses for
    // published ones.
    if tick.config.monitor.output == MonitorOutput::DailyIssue && !tick.config.dry_run {
        let saved = tick.with_state(|state| state.save(&tick.config.monitor.state_file));
        if let Err(e) = saved {
            let warning = format!(
                "{workflow}: cannot save the state cache {}: {e}",
                tick.config.monitor.state_file.display()
            );
            // Logged with the report's other warnings when the tick ends.
            outcome.warnings.push(warning);
        }
    }
    outcome
}

async fn stages(
    tick: &TickContext<'_>,
    workflow: &str,
    outcome: &mut WorkflowOutcome,
) -> Result<()> {
    // Select.
    let known = listing::known(tick, workflow)?;
    outcome.frozen = known.located.frozen.clone();
    let listed = listing::list(tick, workflow, &known.processed).await?;
    let Listing {
        window,
        runs,
        queue,
        pending,
        skipped,
        jobs,
    } = listed;
    (outcome.runs, outcome.skipped) = (runs, skipped);
    outcome.pending = pending.iter().map(|(_, n)| n).sum();
    // Analyse, then since when each new failure fails.
    let reported: HashMap<JobId, WorkflowRun> = queue
        .iter()
        .map(|(run, job)| (job.id, run.clone()))
        .collect();
    let Analysed { analyses, failed } = analyse(tick, workflow, queue).await;
    (outcome.analysed, outcome.failed) = (analyses, failed);
    history::attach(tick, workflow, &reported, jobs, &mut outcome.analysed).await;
    let unpublished =
        tick.config.monitor.output == MonitorOutput::DailyIssue && known.unpublished();
    if outcome.analysed.is_empty() && !unpublished {
        return Ok(());
    }
    let unanalysed: Vec<(String, String)> = outcome
        .failed
        .iter()
        .map(|(_, name, why)| (name.clone(), why.clone()))
        .collect();
    let input = RenderInput {
        workflow,
        window: &window,
        pending: &pending,
        unanalysed: &unanalysed,
    };
    // Render and publish.
    match tick.config.monitor.output {
        // As the original: stdout covers only this tick's new analyses.
        MonitorOutput::Stdout => {
            let rendered = render(tick, &input, &outcome.analysed).await;
            (outcome.parts, outcome.cross_run) = (rendered.parts, rendered.cross_run);
        }
        MonitorOutput::DailyIssue => {
            let published =
                publish::publish_to_issue(tick, &input, known, &outcome.analysed).await?;
            outcome.issue = published.issue;
            (outcome.parts, outcome.cross_run) = (published.parts, published.cross_run);
            outcome.written = published.written;
        }
    }
    Ok(())
}
