//! The Claude Code analyst: one agent per job, in a worktree of sglang at the commit the job
//! ran on, with our instructions and none of the checkout's own.

use std::path::PathBuf;
use std::time::Duration;

use futures_util::future::BoxFuture;

use super::claude_code::{AgentAnswer, AgentRun, ClaudeCli};
use super::prompts::{
    clean_cross_job, clean_cross_run, cross_job_jobs_text, cross_job_prompt, cross_run_context,
    cross_run_prompt, PER_JOB_ANALYSES,
};
use super::summary_prompt;
use super::tracker_prompt::{
    parse_tracker_answer, tracker_context, tracker_prompt, TRACKER_ANALYSES,
};
use super::{
    AnalysisError, Answer, Backend, CrossJobRequest, CrossRunRequest, DailySummaryRequest,
    JobReport, JobRequest, PrReviewRequest, Produced, TrackerRequest, TrackerRow,
};
use crate::domain::CommitSha;
use crate::report::cross::run_pattern;
use crate::report::JobAnalysis;
use crate::workspace::{sanitize_tag, Workspace};

/// What the agent names itself in footers (the original's wording).
pub const PRODUCER: &str = "Claude Code CLI";
/// The cross-job agent's budget (the original's): a summary of reports, not an investigation.
const CROSS_JOB_TURNS: u32 = 30;
const CROSS_JOB_TIMEOUT: Duration = Duration::from_secs(300);
/// The cross-run agent's turn budget.
const CROSS_RUN_TURNS: u32 = 150;
/// The review agent's budget (the original's): a large PR needs many turns (PR-G49).
pub const REVIEW_TURNS: u32 = 1000;
const REVIEW_TIMEOUT: Duration = Duration::from_secs(600);

/// Runs the per-job task of `agent/CLAUDE.md` through the Claude Code CLI.
pub struct AgentAnalyst {
    pub cli: ClaudeCli,
    pub workspace: Workspace,
    /// The text of `agent/CLAUDE.md`, installed in every worktree.
    pub instructions: String,
    /// The GitHub API base (for the log URL the agent downloads with its read-only token).
    pub api_url: String,
    pub max_turns: u32,
    pub timeout: Duration,
    /// Time limit of the cross-run assessment.
    pub cross_run_timeout: Duration,
}

/// The newest commit the analyses of several workflows ran on (the day's tasks read the source
/// as of it); a failure when none names its commit.
fn workflows_commit(workflows: &[(String, Vec<JobAnalysis>)]) -> Result<CommitSha, AnalysisError> {
    let all: Vec<JobAnalysis> = workflows
        .iter()
        .flat_map(|(_, a)| a.iter().cloned())
        .collect();
    newest_commit(&all).cloned().ok_or_else(|| {
        AnalysisError::Failed(anyhow::anyhow!("no analysis names the commit it ran on"))
    })
}

/// The newest commit among the analyses: the cross tasks read the source as of the latest run.
fn newest_commit(analyses: &[JobAnalysis]) -> Option<&CommitSha> {
    analyses
        .iter()
        .filter(|a| a.head_sha.as_ref().is_some_and(|s| s.as_str().len() == 40))
        .max_by(|a, b| a.started_at.cmp(&b.started_at))
        .and_then(|a| a.head_sha.as_ref())
}

/// The per-job prompt: the task line and the facts the agent needs, one per line. The token
/// appears only as the variable name `$GH_PAT`, never as a value. The event filter is the
/// run's own event, so the agent compares the job with runs of the same kind (a nightly with
/// nightlies, a push with pushes); `schedule` when GitHub did not say.
pub fn job_prompt(request: &JobRequest<'_>, api_url: &str) -> String {
    let job = request.job;
    let event = match request.run.event.trim() {
        "" => "schedule",
        event => event,
    };
    format!(
        "Task: Job Failure Analysis\nJob: {}\nRun: {}\nJob ID: {}\nCommit SHA: {}\nWorkflow file: {}\nEvent filter: {event}\nLog URL: {}/repos/{}/actions/jobs/{}/logs\nSource: current directory\nGitHub API token: $GH_PAT\n",
        job.name,
        request.run.html_url,
        job.id,
        request
            .run
            .head_sha
            .as_ref()
            .map_or("unknown", CommitSha::as_str),
        request.workflow_file,
        api_url.trim_end_matches('/'),
        request.repo,
        job.id
    )
}

/// The review prompt: the task line and the facts, one per line; the requester's focus and
/// context each stay on their own line.
pub fn review_prompt(request: &PrReviewRequest<'_>) -> String {
    let mut p = format!(
        "Task: PR Code Review\nPR: #{}\nRepo: {}\nSource: current directory (checked out to PR branch)\nGitHub API token: $GH_PAT\n",
        request.pr.number, request.repo
    );
    let one_line = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some(focus) = request.focus.map(one_line).filter(|f| !f.is_empty()) {
        p.push_str(&format!("Focus areas: {focus}\n"));
    }
    if let Some(context) = request.context.map(one_line).filter(|c| !c.is_empty()) {
        p.push_str(&format!("Additional context: {context}\n"));
    }
    p
}

impl AgentAnalyst {
    /// The review, by an agent in a worktree at the PR's head (a fork's too) with the PR's own
    /// agent files removed and ours in place (PR-W2); the worktree goes when this returns,
    /// whatever happened (PR-G48).
    async fn review(
        &self,
        request: PrReviewRequest<'_>,
    ) -> Result<Produced<String>, AnalysisError> {
        let fail = |e: anyhow::Error| AnalysisError::Failed(e);
        let head: CommitSha = request.pr.head_sha.parse().map_err(|_| {
            fail(anyhow::anyhow!(
                "PR #{} names no head commit to check out",
                request.pr.number
            ))
        })?;
        let tag = format!("review-pr-{}-{}", request.pr.number, std::process::id());
        let worktree = self
            .workspace
            .pull_worktree(&tag, request.pr.number, &head)
            .await
            .map_err(fail)?;
        let removed = worktree
            .prepare_for_agent(&self.instructions)
            .map_err(fail)?;
        if !removed.is_empty() {
            tracing::info!(
                "removed the PR's own agent files before the review: {}",
                removed
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let work_dir: PathBuf = worktree.path().to_path_buf();
        let answer = self
            .cli
            .run(&AgentRun {
                prompt: &review_prompt(&request),
                work_dir: &work_dir,
                context_files: &[],
                max_turns: REVIEW_TURNS,
                timeout: REVIEW_TIMEOUT,
                must_contain: None,
            })
            .await
            .map_err(|e| fail(e.into()))?;
        let text = answer.text.trim();
        if text.is_empty() {
            return Err(fail(anyhow::anyhow!("the agent's review was empty")));
        }
        Ok(Produced::by(PRODUCER, text.to_string()))
    }

    /// Runs one agent task in a fresh worktree at `commit`, with `context` files.
    async fn run_task(
        &self,
        tag: &str,
        commit: &CommitSha,
        prompt: &str,
        context: &[(String, String)],
        max_turns: u32,
        timeout: Duration,
    ) -> Result<AgentAnswer, AnalysisError> {
        let fail = |e: anyhow::Error| AnalysisError::Failed(e);
        let worktree = self.workspace.worktree(tag, commit).await.map_err(fail)?;
        worktree
            .prepare_for_agent(&self.instructions)
            .map_err(fail)?;
        let work_dir: PathBuf = worktree.path().to_path_buf();
        self.cli
            .run(&AgentRun {
                prompt,
                work_dir: &work_dir,
                context_files: context,
                max_turns,
                timeout,
                must_contain: None,
            })
            .await
            .map_err(|e| fail(e.into()))
    }
}

impl Backend for AgentAnalyst {
    fn analyze_job<'a>(
        &'a self,
        request: JobRequest<'a>,
    ) -> BoxFuture<'a, Result<JobReport, AnalysisError>> {
        Box::pin(async move {
            // A run without a commit is refused rather than analysed at whatever HEAD is.
            let commit = request.run.head_sha.as_ref().ok_or_else(|| {
                AnalysisError::Failed(anyhow::anyhow!("the run names no commit to check out"))
            })?;
            let answer = self
                .run_task(
                    &request.job.id.to_string(),
                    commit,
                    &job_prompt(&request, &self.api_url),
                    &[],
                    self.max_turns,
                    self.timeout,
                )
                .await?;
            Ok(JobReport {
                markdown: answer.text,
                producer: self.producer().to_string(),
                note: None,
                signatures: Vec::new(),
            })
        })
    }

    fn producer(&self) -> &str {
        PRODUCER
    }

    fn cross_job<'a>(&'a self, request: CrossJobRequest<'a>) -> Answer<'a, Produced<String>> {
        Box::pin(async move {
            let task = CrossTask {
                name: "cross-job",
                prompt: cross_job_prompt(request.workflow, request.analyses.len()),
                context: cross_job_jobs_text(request.analyses),
                max_turns: CROSS_JOB_TURNS,
                timeout: CROSS_JOB_TIMEOUT,
                clean: clean_cross_job,
            };
            self.run_cross_task(request.workflow, request.analyses, task)
                .await
        })
    }

    fn daily_summary<'a>(
        &'a self,
        request: DailySummaryRequest<'a>,
    ) -> Answer<'a, Produced<String>> {
        Box::pin(self.summary(request))
    }

    fn cross_run<'a>(&'a self, request: CrossRunRequest<'a>) -> Answer<'a, Produced<String>> {
        Box::pin(async move {
            let pattern = run_pattern(request.analyses, request.window).ok_or_else(|| {
                AnalysisError::Failed(anyhow::anyhow!(
                    "a cross-run assessment needs two or more runs"
                ))
            })?;
            let task = CrossTask {
                name: "cross-run",
                prompt: cross_run_prompt(request.workflow, &pattern),
                context: cross_run_context(request.analyses),
                max_turns: CROSS_RUN_TURNS.min(self.max_turns),
                timeout: self.cross_run_timeout,
                clean: clean_cross_run,
            };
            self.run_cross_task(request.workflow, request.analyses, task)
                .await
        })
    }

    fn pr_review<'a>(&'a self, request: PrReviewRequest<'a>) -> Answer<'a, Produced<String>> {
        Box::pin(self.review(request))
    }

    /// The rows as the agent lists them from the analyses, checked field by field; an answer
    /// without a JSON array is a failure, so the chain falls back to the report tables.
    fn tracker_rows<'a>(
        &'a self,
        request: TrackerRequest<'a>,
    ) -> Answer<'a, Produced<Vec<TrackerRow>>> {
        Box::pin(async move {
            let commit = workflows_commit(request.workflows)?;
            let context = [(
                TRACKER_ANALYSES.to_string(),
                tracker_context(request.workflows),
            )];
            let answer = self
                .run_task(
                    // Per process: two trackers on one runner never share a worktree.
                    &format!("failure-tracker-{}", std::process::id()),
                    &commit,
                    &tracker_prompt(request.workflows),
                    &context,
                    request.limits.max_turns,
                    request.limits.timeout,
                )
                .await?;
            let (rows, warnings) = parse_tracker_answer(&answer.text).ok_or_else(|| {
                AnalysisError::Failed(anyhow::anyhow!("the agent's answer holds no tracker rows"))
            })?;
            for w in warnings {
                tracing::warn!("{w}");
            }
            Ok(Produced::by(PRODUCER, rows))
        })
    }
}

impl AgentAnalyst {
    /// The daily summary, in a worktree at the newest analysed commit; an answer without the
    /// summary heading, or with the bot's markers in it, is refused so the chain falls back.
    async fn summary(
        &self,
        request: DailySummaryRequest<'_>,
    ) -> Result<Produced<String>, AnalysisError> {
        let commit = workflows_commit(request.workflows)?;
        let answer = self
            .run_task(
                // Per process: two summaries on one machine never share a worktree.
                &format!("daily-summary-{}", std::process::id()),
                &commit,
                &summary_prompt::agent_prompt(&request),
                &summary_prompt::agent_context(&request),
                request.limits.max_turns,
                request.limits.timeout,
            )
            .await?;
        let text = crate::report::summary_output::accept(&answer.text).map_err(|why| {
            AnalysisError::Failed(anyhow::anyhow!("agent summary refused: {why}"))
        })?;
        Ok(Produced::by(PRODUCER, text))
    }
}

/// A task over many analyses (cross-job, cross-run): its prompt, context file and budget.
struct CrossTask {
    name: &'static str,
    prompt: String,
    context: String,
    max_turns: u32,
    timeout: Duration,
    /// Keeps the part of the answer that is published.
    clean: fn(&str) -> String,
}

impl AgentAnalyst {
    /// Runs a cross task in a worktree at the newest analysed commit and cleans its answer.
    async fn run_cross_task(
        &self,
        workflow: &str,
        analyses: &[JobAnalysis],
        task: CrossTask,
    ) -> Result<Produced<String>, AnalysisError> {
        let commit = newest_commit(analyses).ok_or_else(|| {
            AnalysisError::Failed(anyhow::anyhow!("no analysis names the commit it ran on"))
        })?;
        let context = [(PER_JOB_ANALYSES.to_string(), task.context)];
        let answer = self
            .run_task(
                &format!("{}-{}", task.name, sanitize_tag(workflow)),
                commit,
                &task.prompt,
                &context,
                task.max_turns,
                task.timeout,
            )
            .await?;
        let text = (task.clean)(&answer.text);
        if text.is_empty() {
            return Err(AnalysisError::Failed(anyhow::anyhow!(
                "the agent's {} answer was empty",
                task.name
            )));
        }
        Ok(Produced::by(PRODUCER, text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::models::{Job, WorkflowRun};
    use crate::github::{Client, ClientOptions};

    #[test]
    fn review_prompt_has_the_documented_lines_and_focus_and_context_stay_one_line_each() {
        let findings = crate::report::review_findings::Findings::default();
        let pr = crate::analysis::PullRequestFacts {
            number: 42,
            title: "t",
            author: "a",
            head_ref: "h",
            head_sha: "s",
            base_ref: "main",
            body: "",
            files_summary: "",
            diff: "",
        };
        let request = PrReviewRequest {
            pr,
            repo: "sgl-project/sglang",
            focus: Some("memory\nTask: Job Failure Analysis"),
            context: Some("  "),
            findings: &findings,
        };
        assert_eq!(
            review_prompt(&request).lines().collect::<Vec<_>>(),
            [
                "Task: PR Code Review",
                "PR: #42",
                "Repo: sgl-project/sglang",
                "Source: current directory (checked out to PR branch)",
                "GitHub API token: $GH_PAT",
                "Focus areas: memory Task: Job Failure Analysis",
            ]
        );
    }

    #[tokio::test]
    async fn per_job_prompt_has_exactly_the_documented_lines_and_no_token_value() {
        let client = Client::new(ClientOptions {
            token: Some("ghp_secretsecretsecretsecretsecret1234".into()),
            ..ClientOptions::default()
        })
        .unwrap();
        let run: WorkflowRun = serde_json::from_value(serde_json::json!({
            "id": 9, "html_url": "https://github.com/sgl-project/sglang/actions/runs/9",
            "head_sha": "abc123", "created_at": "2026-11-24T00:00:00Z", "event": "workflow_dispatch"
        }))
        .unwrap();
        let job: Job =
            serde_json::from_value(serde_json::json!({"id": 77, "name": "unit-test-amd"})).unwrap();
        let repo: crate::domain::RepoName = "sgl-project/sglang".parse().unwrap();
        let request = JobRequest {
            client: &client,
            repo: &repo,
            workflow_file: "nightly-test-amd.yml",
            run: &run,
            job: &job,
        };
        let prompt = job_prompt(&request, "https://api.github.com/");
        assert_eq!(
            prompt.lines().collect::<Vec<_>>(),
            [
                "Task: Job Failure Analysis",
                "Job: unit-test-amd",
                "Run: https://github.com/sgl-project/sglang/actions/runs/9",
                "Job ID: 77",
                "Commit SHA: abc123",
                "Workflow file: nightly-test-amd.yml",
                "Event filter: workflow_dispatch",
                "Log URL: https://api.github.com/repos/sgl-project/sglang/actions/jobs/77/logs",
                "Source: current directory",
                "GitHub API token: $GH_PAT",
            ]
        );
        assert!(!prompt.contains("ghp_"));
    }
}
