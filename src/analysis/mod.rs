//! The analysis backends behind one interface, [`Backend`]: `agent` (the Claude Code CLI, run
//! by `claude_code`), `api_job` (the Messages API through the LLM gateway, `api`) and
//! `builtin` (the log engine alone); `chain` asks them in order. `templates` reads the API-mode
//! prompts from `agent/CLAUDE.md`.

pub mod agent;
pub mod api;
pub mod api_job;
pub mod builtin;
pub mod chain;
pub mod claude_code;
pub mod correlation_prompt;
pub mod prompts;
pub mod summary_prompt;
pub mod tasks;
pub mod templates;
pub mod tracker_prompt;

use futures_util::future::BoxFuture;

pub use tasks::{
    Correlation, CrossJobRequest, CrossRunRequest, DailySummaryRequest, PrCiStatusRequest,
    PrCorrelationRequest, PrReviewRequest, Produced, PullRequestFacts, SummaryLimits, Task,
    TrackerLimits, TrackerRequest, TrackerRow, Verdict,
};

use crate::domain::{RepoName, SignatureKey};
use crate::github::models::{Job, WorkflowRun};
use crate::github::Client;

/// Everything needed to analyse one failed job.
#[derive(Debug, Clone, Copy)]
pub struct JobRequest<'a> {
    pub client: &'a Client,
    /// `owner/name` of the repository whose CI failed.
    pub repo: &'a RepoName,
    pub workflow_file: &'a str,
    pub run: &'a WorkflowRun,
    pub job: &'a Job,
}

/// A finished analysis of one job.
#[derive(Debug, Clone, PartialEq)]
pub struct JobReport {
    /// The report (Markdown) that goes into the job's block.
    pub markdown: String,
    /// Which backend wrote it ("builtin analyser", "Claude API", "Claude Code CLI").
    pub producer: String,
    /// Set when the chosen backend failed and another one answered, or the log was missing.
    pub note: Option<String>,
    /// The keys of the failures' signatures, when the log engine read the log (saved in the
    /// job's marker, so later commands match failures without reading logs again).
    pub signatures: Vec<SignatureKey>,
}

/// Why a task could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// GitHub no longer has the job's log; retrying will not help.
    #[error("the job's log is no longer available: {0}")]
    LogUnavailable(String),
    /// This backend does not do this task; the next one in the chain is asked.
    #[error("{backend} does not do the {task} task")]
    Unsupported { backend: String, task: &'static str },
    /// Anything else; the job is tried again next tick.
    #[error("{0:#}")]
    Failed(anyhow::Error),
}

/// Streams the job's log once through `feed`, chunk by chunk (never whole). A log GitHub no
/// longer has is [`AnalysisError::LogUnavailable`], so no backend retries it.
pub async fn stream_job_log(
    request: &JobRequest<'_>,
    mut feed: impl FnMut(&[u8]),
) -> Result<(), AnalysisError> {
    let job = request.job.id;
    let mut log = match request.client.job_log(request.repo, job).await {
        Ok(log) => log,
        Err(crate::github::GithubError::LogsExpired { status, .. }) => {
            return Err(AnalysisError::LogUnavailable(format!(
                "GitHub answered {status} for the log of job {job}"
            )))
        }
        Err(e) => return Err(AnalysisError::Failed(e.into())),
    };
    while let Some(chunk) = log.next_chunk().await {
        let chunk = chunk.map_err(|e| {
            AnalysisError::Failed(anyhow::anyhow!("reading the log of job {job}: {e}"))
        })?;
        feed(&chunk);
    }
    Ok(())
}

/// The job's API steps as the log engine matches them with the log's sections (deep links
/// into GitHub's log viewer, `#step:N:L`).
pub fn api_steps(job: &Job) -> Vec<crate::logs::ApiStep> {
    let secs = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.timestamp() as f64);
    job.steps
        .iter()
        .map(|s| crate::logs::ApiStep {
            number: s.number,
            name: s.name.clone(),
            started_secs: secs(s.started_at),
            completed_secs: secs(s.completed_at),
            ran: s.conclusion != Some(crate::domain::Conclusion::Skipped),
            failed: s.conclusion == Some(crate::domain::Conclusion::Failure),
        })
        .collect()
}

/// The keys of the log engine's signatures, in order, each once.
pub fn signature_keys(signatures: &[String]) -> Vec<SignatureKey> {
    let mut keys: Vec<SignatureKey> = Vec::new();
    for key in signatures.iter().filter_map(|s| SignatureKey::of(s)) {
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys
}

/// A future answering one task.
pub type Answer<'a, T> = BoxFuture<'a, Result<T, AnalysisError>>;

/// The answer of a backend that does not do `task`.
pub fn unsupported<'a, T: Send + 'a>(backend: &str, task: Task) -> Answer<'a, T> {
    let err = AnalysisError::Unsupported {
        backend: backend.to_string(),
        task: task.title(),
    };
    Box::pin(async move { Err(err) })
}

/// An analysis backend: one method per task of `agent/CLAUDE.md`. A backend answers the tasks
/// it can and leaves the others to the next backend of the chain (the default methods say
/// "unsupported"), so callers ask one interface and never pick a backend themselves.
pub trait Backend: Send + Sync {
    /// How reports name this backend in their footers.
    fn producer(&self) -> &str;

    /// How many jobs this backend analyses well at once, when it knows better than the
    /// agent budget (`AGENT_PARALLEL`, sized for Claude Code processes and gateway quotas).
    /// `None` takes that budget.
    fn parallelism(&self) -> Option<usize> {
        None
    }

    /// Analyses one failed job.
    fn analyze_job<'a>(&'a self, request: JobRequest<'a>) -> Answer<'a, JobReport>;

    /// The cross-job summary (Markdown starting at its `**Counts**:` line).
    fn cross_job<'a>(&'a self, _request: CrossJobRequest<'a>) -> Answer<'a, Produced<String>> {
        unsupported(self.producer(), Task::CrossJob)
    }

    /// An assessment of the cross-run pattern, shown above the computed run tables.
    fn cross_run<'a>(&'a self, _request: CrossRunRequest<'a>) -> Answer<'a, Produced<String>> {
        unsupported(self.producer(), Task::CrossRun)
    }

    /// The daily cross-workflow summary (Markdown).
    fn daily_summary<'a>(
        &'a self,
        _request: DailySummaryRequest<'a>,
    ) -> Answer<'a, Produced<String>> {
        unsupported(self.producer(), Task::DailySummary)
    }

    /// The failure tracker's rows.
    fn tracker_rows<'a>(
        &'a self,
        _request: TrackerRequest<'a>,
    ) -> Answer<'a, Produced<Vec<TrackerRow>>> {
        unsupported(self.producer(), Task::TrackerRows)
    }

    /// The PR CI status report (Markdown starting at `## CI Status for PR`).
    fn pr_ci_status<'a>(&'a self, _request: PrCiStatusRequest<'a>) -> Answer<'a, Produced<String>> {
        unsupported(self.producer(), Task::PrCiStatus)
    }

    /// A code review of a PR (Markdown).
    fn pr_review<'a>(&'a self, _request: PrReviewRequest<'a>) -> Answer<'a, Produced<String>> {
        unsupported(self.producer(), Task::PrReview)
    }

    /// Which failing jobs of a PR its change likely caused.
    fn pr_correlation<'a>(
        &'a self,
        _request: PrCorrelationRequest<'a>,
    ) -> Answer<'a, Produced<Vec<Correlation>>> {
        unsupported(self.producer(), Task::PrCorrelation)
    }
}
