//! The Claude Code analyst: one agent per job, in a worktree of sglang at the commit the job
//! ran on, with our instructions and none of the checkout's own.

use std::path::PathBuf;
use std::time::Duration;

use futures_util::future::BoxFuture;

use super::claude_code::{AgentRun, ClaudeCli};
use super::{AnalysisError, Analyst, JobReport, JobRequest};
use crate::workspace::Workspace;

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
}

/// The per-job prompt: the task line and the facts the agent needs, one per line. The token
/// appears only as the variable name `$GH_PAT`, never as a value.
pub fn job_prompt(request: &JobRequest<'_>, api_url: &str) -> String {
    let job = request.job;
    format!(
        "Task: Job Failure Analysis\nJob: {}\nRun: {}\nJob ID: {}\nCommit SHA: {}\nWorkflow file: {}\nEvent filter: schedule\nLog URL: {}/repos/{}/actions/jobs/{}/logs\nSource: current directory\nGitHub API token: $GH_PAT\n",
        job.name,
        request.run.html_url,
        job.id,
        request.run.head_sha,
        request.workflow_file,
        api_url.trim_end_matches('/'),
        request.repo,
        job.id
    )
}

impl Analyst for AgentAnalyst {
    fn analyze_job<'a>(
        &'a self,
        request: JobRequest<'a>,
    ) -> BoxFuture<'a, Result<JobReport, AnalysisError>> {
        Box::pin(async move {
            let fail = |e: anyhow::Error| AnalysisError::Failed(e);
            let worktree = self
                .workspace
                .worktree(&request.job.id.to_string(), &request.run.head_sha)
                .await
                .map_err(fail)?;
            worktree
                .prepare_for_agent(&self.instructions)
                .map_err(fail)?;
            let prompt = job_prompt(&request, &self.api_url);
            let work_dir: PathBuf = worktree.path().to_path_buf();
            let answer = self
                .cli
                .run(&AgentRun {
                    prompt: &prompt,
                    work_dir: &work_dir,
                    context_files: &[],
                    max_turns: self.max_turns,
                    timeout: self.timeout,
                    must_contain: None,
                })
                .await
                .map_err(|e| fail(e.into()))?;
            Ok(JobReport {
                markdown: answer.text,
                producer: self.producer().to_string(),
                note: None,
                signature: None,
            })
        })
    }

    fn producer(&self) -> &str {
        "Claude Code CLI"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::models::{Job, WorkflowRun};
    use crate::github::{Client, ClientOptions};

    #[tokio::test]
    async fn per_job_prompt_has_exactly_the_documented_lines_and_no_token_value() {
        let client = Client::new(ClientOptions {
            token: Some("ghp_secretsecretsecretsecretsecret1234".into()),
            ..ClientOptions::default()
        })
        .unwrap();
        let run: WorkflowRun = serde_json::from_value(serde_json::json!({
            "id": 9, "html_url": "https://github.com/sgl-project/sglang/actions/runs/9",
            "head_sha": "abc123", "created_at": "2026-11-24T00:00:00Z", "event": "schedule"
        }))
        .unwrap();
        let job: Job =
            serde_json::from_value(serde_json::json!({"id": 77, "name": "unit-test-amd"})).unwrap();
        let request = JobRequest {
            client: &client,
            repo: "sgl-project/sglang",
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
                "Event filter: schedule",
                "Log URL: https://api.github.com/repos/sgl-project/sglang/actions/jobs/77/logs",
                "Source: current directory",
                "GitHub API token: $GH_PAT",
            ]
        );
        assert!(!prompt.contains("ghp_"));
    }
}
