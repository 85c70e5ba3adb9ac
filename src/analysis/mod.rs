//! The analysis backends behind one interface. `claude_code` runs the Claude Code CLI, `api`
//! calls the Messages API through the LLM gateway, and `templates` reads the API-mode prompts
//! from `agent/CLAUDE.md`.

pub mod agent;
pub mod api;
pub mod api_job;
pub mod builtin;
pub mod chain;
pub mod claude_code;
pub mod templates;

use futures_util::future::BoxFuture;

use crate::github::models::{Job, WorkflowRun};
use crate::github::Client;

/// Everything needed to analyse one failed job.
#[derive(Debug, Clone, Copy)]
pub struct JobRequest<'a> {
    pub client: &'a Client,
    /// `owner/name` of the repository whose CI failed.
    pub repo: &'a str,
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
    /// The normalised failure signature, when the log engine found one.
    pub signature: Option<String>,
}

/// Why a job could not be analysed at all.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// GitHub no longer has the job's log; retrying will not help.
    #[error("the job's log is no longer available: {0}")]
    LogUnavailable(String),
    /// Anything else; the job is tried again next tick.
    #[error("{0:#}")]
    Failed(anyhow::Error),
}

/// A backend that analyses failed jobs.
pub trait Analyst: Send + Sync {
    /// Analyses one job.
    fn analyze_job<'a>(
        &'a self,
        request: JobRequest<'a>,
    ) -> BoxFuture<'a, Result<JobReport, AnalysisError>>;

    /// How reports name this backend in their footers.
    fn producer(&self) -> &str;
}
