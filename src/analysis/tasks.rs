//! One request type per analysis task of `agent/CLAUDE.md`, and the typed results. Requests
//! carry facts the caller already has (analyses, PR data); backends fetch nothing else except
//! the job log of a job analysis.

use serde::{Deserialize, Serialize};

use crate::report::cross::WindowRun;
use crate::report::JobAnalysis;

/// The tasks, as the agent's dispatch table names them (the prompt's `Task:` line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    JobFailure,
    CrossJob,
    CrossRun,
    DailySummary,
    TrackerRows,
    PrCiStatus,
    PrReview,
    PrCorrelation,
}

impl Task {
    /// The `Task:` line value and the section heading of `agent/CLAUDE.md`.
    pub fn title(self) -> &'static str {
        match self {
            Task::JobFailure => "Job Failure Analysis",
            Task::CrossJob => "Cross-Job Summary",
            Task::CrossRun => "Cross-Run Pattern Analysis",
            Task::DailySummary => "Daily Cross-Workflow Summary",
            Task::TrackerRows => "Failure Tracker Data",
            Task::PrCiStatus => "PR CI Status Check",
            Task::PrReview => "PR Code Review",
            Task::PrCorrelation => "PR Correlation",
        }
    }
}

/// Cross-job summary of one workflow's analyses of the day (asked for when there are two or
/// more).
#[derive(Debug, Clone, Copy)]
pub struct CrossJobRequest<'a> {
    pub workflow: &'a str,
    pub analyses: &'a [JobAnalysis],
}

/// An assessment of the failure pattern across the runs of one workflow in the lookback
/// window (asked for when the analyses span two or more runs).
#[derive(Debug, Clone, Copy)]
pub struct CrossRunRequest<'a> {
    pub workflow: &'a str,
    pub analyses: &'a [JobAnalysis],
    /// Every run GitHub listed in the window, green and unfinished ones included.
    pub window: &'a [WindowRun],
}

/// The day's cross-workflow summary for the daily issue's body.
#[derive(Debug, Clone, Copy)]
pub struct DailySummaryRequest<'a> {
    /// `YYYY-MM-DD`.
    pub date: &'a str,
    /// `YYYY-MM-DD HH:MM UTC`.
    pub snapshot: &'a str,
    pub issue: u64,
    /// Every monitored workflow with the day's analyses (empty when it had no failures).
    pub workflows: &'a [(String, Vec<JobAnalysis>)],
    /// Yesterday's summary block, for new-versus-carried-over clusters.
    pub yesterday: Option<&'a str>,
    /// Everything else the summary is built from (run counts, the 7-day trend, yesterday's
    /// clusters and which of their jobs passed since).
    pub facts: &'a crate::report::summary_facts::SummaryFacts,
    /// The task's budgets (`[summary]`).
    pub limits: SummaryLimits,
}

/// Budgets of the daily summary task (`[summary]`: the original's own, not the per-job ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SummaryLimits {
    /// Agent turns.
    pub max_turns: u32,
    /// Agent wall-clock limit.
    pub timeout: std::time::Duration,
    /// `max_tokens` of the API call.
    pub max_tokens: u32,
}

/// Rows of the failure tracker from the analyses of the tracked workflows.
#[derive(Debug, Clone, Copy)]
pub struct TrackerRequest<'a> {
    /// (workflow file, its analyses).
    pub workflows: &'a [(String, Vec<JobAnalysis>)],
    /// The task's budgets (`[tracker]`: a small task, its own small budget).
    pub limits: TrackerLimits,
}

/// Budgets of the tracker-rows task (`tracker.max_turns`, `tracker.timeout_secs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackerLimits {
    /// Agent turns.
    pub max_turns: u32,
    /// Agent wall-clock limit.
    pub timeout: std::time::Duration,
}

impl Default for TrackerLimits {
    /// The original's: 80 turns, 900 s.
    fn default() -> Self {
        TrackerLimits {
            max_turns: 80,
            timeout: std::time::Duration::from_secs(900),
        }
    }
}

/// One failing test as the failure tracker records it (defined with its reader in `report`).
pub use crate::report::tracker::TrackerRow;

/// Facts about a pull request shared by the PR tasks.
#[derive(Debug, Clone, Copy)]
pub struct PullRequestFacts<'a> {
    pub number: u64,
    pub title: &'a str,
    pub author: &'a str,
    pub head_ref: &'a str,
    pub head_sha: &'a str,
    pub base_ref: &'a str,
    /// The PR description (untrusted).
    pub body: &'a str,
    /// `- \`file\` (status, +a/-d)` lines.
    pub files_summary: &'a str,
    /// The diff, already truncated by the caller (untrusted).
    pub diff: &'a str,
}

/// Is the PR's red CI its own fault, and did CI exercise its changes?
#[derive(Debug, Clone, Copy)]
pub struct PrCiStatusRequest<'a> {
    pub pr: PullRequestFacts<'a>,
}

/// A code review of the PR.
#[derive(Debug, Clone, Copy)]
pub struct PrReviewRequest<'a> {
    pub pr: PullRequestFacts<'a>,
    /// `owner/name` of the repository the PR is in (the agent's `Repo:` line).
    pub repo: &'a str,
    pub focus: Option<&'a str>,
    pub context: Option<&'a str>,
    /// What the deterministic checks found: the builtin backend's review, so a PR gets
    /// checks rather than nothing when no model is available.
    pub findings: &'a crate::report::review_findings::Findings,
}

/// Which failing jobs of a PR are related to its change.
#[derive(Debug, Clone, Copy)]
pub struct PrCorrelationRequest<'a> {
    pub pr: PullRequestFacts<'a>,
    /// Exact job names.
    pub jobs: &'a [String],
    /// Per job: `#### Job: \`name\``, failed steps and error previews.
    pub errors: &'a str,
}

/// How likely a failure is caused by the PR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Likely,
    Possibly,
    Unlikely,
}

/// One entry of a PR correlation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correlation {
    pub job: String,
    pub test_file: String,
    pub test_function: String,
    pub verdict: Verdict,
    pub explanation: String,
}

/// A task's result and who produced it.
#[derive(Debug, Clone, PartialEq)]
pub struct Produced<T> {
    pub value: T,
    /// The backend that answered, for footers ("Claude Code CLI", "Claude API", …).
    pub producer: String,
    /// Set when a preferred backend failed and this one answered instead.
    pub note: Option<String>,
}

impl<T> Produced<T> {
    /// A result with no fallback note.
    pub fn by(producer: &str, value: T) -> Self {
        Produced {
            value,
            producer: producer.to_string(),
            note: None,
        }
    }
}
