//! What the monitor reported on a day's issue, read back for the commands that build on it
//! (`daily-summary`, `failure-tracker`). Only the bot's own comments are read, through the
//! same strict reader the monitor continues its series with, so a person quoting a report (or
//! a table inside an analysis) never becomes a job record.

use anyhow::{Context, Result};
use chrono::NaiveDate;

use crate::domain::RepoName;
use crate::github::models::{Comment, Issue};
use crate::github::Client;
use crate::report::located::{self, PostedComment};
use crate::report::{parse_blocks, JobAnalysis};

/// The day's issue and each workflow's analyses on it.
#[derive(Debug, Clone)]
pub struct DayReports {
    /// The day's issue as read (its body holds the summary block).
    pub issue: Issue,
    /// Every comment of the issue, oldest first (cleanups check authorship per comment).
    pub comments: Vec<Comment>,
    /// Each asked workflow, in the order asked, with its analyses (empty without a report).
    pub workflows: Vec<(String, Vec<JobAnalysis>)>,
}

impl DayReports {
    /// How many job analyses the day holds across the asked workflows.
    pub fn total(&self) -> usize {
        self.workflows.iter().map(|(_, a)| a.len()).sum()
    }

    /// The page of `workflow`'s report (part 1 of the series `login` continues), found the
    /// way the monitor finds it; `None` without one.
    pub fn report_url(&self, workflow: &str, login: &str) -> Option<String> {
        let main = located::locate(&own_comments(&self.comments, login), workflow).main?;
        self.comments
            .iter()
            .find(|c| c.id == main.id)
            .map(|c| c.html_url.clone())
    }
}

/// Every day from `first` to `last` (oldest first) with its reports, or `None` for a day
/// without an issue: for the readers of a window of days (`ci-status`'s base-branch evidence,
/// the dashboard).
pub async fn read_window(
    client: &Client,
    bot_repo: &RepoName,
    label: &str,
    login: &str,
    workflows: &[String],
    (first, last): (NaiveDate, NaiveDate),
) -> Result<Vec<(NaiveDate, Option<DayReports>)>> {
    let mut out = Vec::new();
    for day in first.iter_days().take_while(|d| *d <= last) {
        let date = day.format("%Y-%m-%d").to_string();
        let found = super::find_past(client, bot_repo, label, &date)
            .await
            .with_context(|| format!("cannot find the daily issue of {date}"))?;
        let reports = match found {
            Some(issue) => Some(read(client, bot_repo, issue, login, workflows).await?),
            None => None,
        };
        out.push((day, reports));
    }
    Ok(out)
}

/// The comments `login` wrote, as the pure readers take them.
pub fn own_comments(comments: &[Comment], login: &str) -> Vec<PostedComment> {
    comments
        .iter()
        .filter(|c| c.author().eq_ignore_ascii_case(login))
        .map(|c| PostedComment {
            id: c.id,
            body: c.body.clone(),
        })
        .collect()
}

/// Every analysis `workflow` reported among `own` comments: the series the monitor continues
/// first, then any series it left frozen (their reports still count for the day); each job
/// once, the first reading winning.
pub fn workflow_analyses(own: &[PostedComment], workflow: &str) -> Vec<JobAnalysis> {
    let found = located::locate(own, workflow);
    let mut analyses = found.recovered;
    let frozen: Vec<&PostedComment> = own
        .iter()
        .filter(|c| found.frozen.contains(&c.id))
        .collect();
    let frozen_text = frozen
        .iter()
        .map(|c| c.body.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    for block in parse_blocks(&frozen_text) {
        if !analyses.iter().any(|a| a.job_id == block.job_id) {
            analyses.push(block);
        }
    }
    analyses
}

/// Reads `issue`'s comments and each of `workflows`' analyses written by `login`.
pub async fn read(
    client: &Client,
    bot_repo: &RepoName,
    issue: Issue,
    login: &str,
    workflows: &[String],
) -> Result<DayReports> {
    let comments = client
        .comments(bot_repo, issue.number)
        .await
        .with_context(|| format!("cannot list the comments of {bot_repo}#{}", issue.number))?;
    let own = own_comments(&comments, login);
    let workflows = workflows
        .iter()
        .map(|wf| (wf.clone(), workflow_analyses(&own, wf)))
        .collect();
    Ok(DayReports {
        issue,
        comments,
        workflows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CommentId, JobId};
    use crate::report::{render_block, WorkflowReport};

    fn analysis(id: u64) -> JobAnalysis {
        JobAnalysis {
            job_id: JobId::new(id),
            job_name: format!("stage-a-test-{id}"),
            run_url: "https://github.com/sgl-project/sglang/actions/runs/9".into(),
            analysis: format!(
                "### Failed Tests\n| `t{id}.py` | `test_x` | boom | |\n{}",
                "x".repeat(300)
            ),
            ..JobAnalysis::default()
        }
    }

    #[test]
    fn a_quoted_block_in_a_human_comment_and_a_frozen_series_are_told_apart() {
        let wf = "pr-test-amd.yml";
        let analyses = [analysis(1), analysis(2)];
        let good = WorkflowReport {
            workflow: wf,
            analyses: &analyses,
            summary: None,
            pending: &[],
            unanalysed: &[],
            producer: "sglang-bot builtin analyser",
            now: "2026-11-30 06:00 UTC",
            upstream: "sgl-project/sglang",
        };
        let mut own: Vec<PostedComment> = good
            .render_parts()
            .into_iter()
            .enumerate()
            .map(|(i, body)| PostedComment {
                id: CommentId::new(10 + i as u64),
                body,
            })
            .collect();
        // A series whose marker lists a job it does not show: frozen by the monitor, but its
        // readable block still counts for the day.
        own.push(PostedComment {
            id: CommentId::new(5),
            body: format!(
                "<!-- processed_job_ids: 3,4 -->\n<!-- ci-monitor-part: 1/1 -->\n## `{wf}` — 2 failure(s)\n{}",
                render_block(&analysis(3))
            ),
        });
        let ids: Vec<u64> = workflow_analyses(&own, wf)
            .iter()
            .map(|a| a.job_id.get())
            .collect();
        assert_eq!(ids, [1, 2, 3]);
        assert!(workflow_analyses(&own, "nightly-test-amd.yml").is_empty());
    }
}
