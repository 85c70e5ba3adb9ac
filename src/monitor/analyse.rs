//! The analyse stage: every new failed job through the backend chain, as many at once as the
//! tick's slots allow (shared by all workflows), each result turned into the record the
//! report keeps.

use futures_util::StreamExt;

use super::context::TickContext;
use super::select;
use crate::analysis::{AnalysisError, JobReport, JobRequest};
use crate::domain::JobId;
use crate::github::models::{Job, WorkflowRun};
use crate::report::JobAnalysis;

/// What the analyses of one workflow produced.
#[derive(Default)]
pub(super) struct Analysed {
    /// Reports to publish (including jobs whose log is gone for good, said so).
    pub(super) analyses: Vec<JobAnalysis>,
    /// Jobs whose analysis failed this tick, (id, name, why); tried again next tick.
    pub(super) failed: Vec<(JobId, String, String)>,
}

/// Analyses `queue`, in its order, at most the tick's slot count at a time across workflows.
pub(super) async fn analyse(
    tick: &TickContext<'_>,
    workflow: &str,
    queue: Vec<(WorkflowRun, Job)>,
) -> Analysed {
    let bar = crate::progress::bar(queue.len() as u64, workflow);
    let bar = &bar;
    let results: Vec<(WorkflowRun, Job, Result<JobReport, AnalysisError>)> =
        futures_util::stream::iter(queue)
            .map(|(run, job)| async move {
                let result = analyse_one(tick, workflow, &run, &job).await;
                bar.inc(1);
                (run, job, result)
            })
            .buffered(tick.parallel)
            .collect()
            .await;
    bar.finish_and_clear();
    let mut out = Analysed::default();
    for (run, job, result) in results {
        record(&mut out, workflow, &run, &job, result);
    }
    out
}

async fn analyse_one(
    tick: &TickContext<'_>,
    workflow: &str,
    run: &WorkflowRun,
    job: &Job,
) -> Result<JobReport, AnalysisError> {
    let _slot = tick.slots.acquire().await.ok();
    tracing::info!("{workflow}: analysing {} ({})", job.name, job.id);
    tick.analyst
        .analyze_job(JobRequest {
            client: tick.client,
            repo: &tick.config.github.target_repo,
            workflow_file: workflow,
            run,
            job,
        })
        .await
}

/// The record of `job` before its analysis: what the run and the job say about it.
pub fn job_record(run: &WorkflowRun, job: &Job) -> JobAnalysis {
    JobAnalysis {
        job_id: job.id,
        job_name: job.name.clone(),
        run_url: run.html_url.clone(),
        started_at: job
            .started_at
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
        failed_steps: select::failed_steps(job),
        analysis: String::new(),
        head_sha: run.head_sha.clone(),
        signatures: Vec::new(),
        since: None,
    }
}

/// `base` with a finished analysis: its report (and the note of a backend that stood in) and
/// its saved signatures.
pub fn with_report(base: JobAnalysis, report: JobReport) -> JobAnalysis {
    let mut text = report.markdown;
    if let Some(note) = report.note {
        text.push_str(&format!("\n\n_{note}_"));
    }
    JobAnalysis {
        analysis: text,
        signatures: report.signatures,
        ..base
    }
}

fn record(
    out: &mut Analysed,
    workflow: &str,
    run: &WorkflowRun,
    job: &Job,
    result: Result<JobReport, AnalysisError>,
) {
    let base = job_record(run, job);
    match result {
        Ok(report) => out.analyses.push(with_report(base, report)),
        // The log is gone for good: record the job so it is not retried every tick.
        Err(AnalysisError::LogUnavailable(why)) => {
            tracing::warn!("{workflow}: {} has no log: {why}", job.name);
            out.analyses.push(JobAnalysis {
                analysis: format!("Analysis failed: {why}"),
                ..base
            });
        }
        Err(e) => {
            tracing::error!("{workflow}: analysing {} failed: {e:#}", job.name);
            out.failed
                .push((job.id, job.name.clone(), format!("{e:#}")));
        }
    }
}
