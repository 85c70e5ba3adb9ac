//! What `analyze-url` posts: the report issue of one run (or one job) analysed on request,
//! its "in progress" body, the per-job comments, and the final body within GitHub's limit.

use super::block::{render_block, ts16_space, JobAnalysis};
use super::markers::footer;
use crate::domain::CommitSha;
use crate::limits::MAX_BODY_CHARS;

/// The label of the issues `analyze-url` opens (the original's).
pub const ANALYZE_LABEL: &str = "analyze";

/// Characters kept free below GitHub's limit for the footer and the "did not fit" note.
const SLACK: usize = 1_000;

/// The run a report is about, as its heading shows it.
#[derive(Debug, Clone, Copy)]
pub struct RunFacts<'a> {
    /// Workflow file (`pr-test-amd.yml`), or the run's name when GitHub gives no path.
    pub workflow: &'a str,
    pub run_number: u64,
    pub run_url: &'a str,
    pub head_sha: Option<&'a CommitSha>,
    pub event: &'a str,
    /// `owner/name` of the repository whose CI this is.
    pub upstream: &'a str,
}

impl RunFacts<'_> {
    fn sha7(&self) -> &str {
        self.head_sha.map_or("?", CommitSha::short)
    }

    fn commit_link(&self) -> String {
        match self.head_sha {
            Some(sha) => format!(
                "[`{}`](https://github.com/{}/commit/{sha})",
                sha.short(),
                self.upstream
            ),
            None => "unknown".into(),
        }
    }

    fn event(&self) -> &str {
        if self.event.trim().is_empty() {
            "unknown"
        } else {
            self.event
        }
    }
}

/// The issue title for a whole run.
pub fn run_title(run: &RunFacts<'_>) -> String {
    format!(
        "[Analyze] {} run #{} ({})",
        run.workflow,
        run.run_number,
        run.sha7()
    )
}

/// The issue title for one job.
pub fn job_title(job_name: &str, job_id: crate::domain::JobId) -> String {
    format!("[Analyze] {job_name} (job {job_id})")
}

/// The title of a run with nothing to analyse.
pub fn no_failures_title(title: &str) -> String {
    format!("{title} -- no failures found")
}

/// The body of a run with nothing to analyse.
pub fn no_failures_body(run: &RunFacts<'_>) -> String {
    format!(
        "No failed jobs found in [{} run #{}]({}) (commit `{}`).\n\nAll jobs passed or are still running.",
        run.workflow,
        run.run_number,
        run.run_url,
        run.sha7()
    )
}

/// The body the issue has while the jobs are analysed.
pub fn in_progress_body(run: &RunFacts<'_>, job_names: &[String]) -> String {
    let mut out = format!(
        "**Run**: [{} #{}]({})\n**Commit**: {}\n**Event**: `{}`\n\n**Jobs to analyze** ({}):\n",
        run.workflow,
        run.run_number,
        run.run_url,
        run.commit_link(),
        run.event(),
        job_names.len()
    );
    for name in job_names {
        out.push_str(&format!("- `{}`\n", name.replace('`', "'")));
    }
    out.push_str("\n_Analysis in progress..._\n");
    out
}

/// The comment posted for each job as soon as its analysis is done, cut to fit with a link
/// to the job when the analysis is longer than a comment may be.
pub fn job_comment(analysis: &JobAnalysis) -> String {
    let head = format!("### `{}`\n\n", analysis.job_name.replace('`', "'"));
    let body = analysis.analysis.trim();
    let room = MAX_BODY_CHARS - SLACK - head.chars().count();
    if body.chars().count() <= room {
        return format!("{head}{body}");
    }
    let cut: String = body.chars().take(room).collect();
    format!(
        "{head}{cut}\n\n_… cut at GitHub's comment limit; the job: {}_",
        analysis.job_url()
    )
}

/// The final body: the run, the job table, the cross-job summary when there is one, every
/// job's block, the footer. Blocks that do not fit GitHub's limit are left out with a note
/// (each job's analysis is also a comment on the issue).
pub fn final_report(
    run: &RunFacts<'_>,
    analyses: &[JobAnalysis],
    summary: Option<&str>,
    producer: &str,
    now: &str,
) -> String {
    let mut out = format!(
        "## Analysis: `{}` — {} failure(s)\n\n**Run**: [{url}]({url})\n**Commit**: {} {}\n**Event**: `{}`\n**Analyzed**: {now}\n\n",
        run.workflow,
        analyses.len(),
        run.upstream,
        run.commit_link(),
        run.event(),
        url = run.run_url,
    );
    if let Some(summary) = summary.map(str::trim).filter(|s| !s.is_empty()) {
        out.push_str(&format!("### Summary\n\n{summary}\n\n---\n\n"));
    }
    out.push_str("| Job | Failed Steps | Started |\n|-----|-------------|---------|\n");
    for a in analyses {
        out.push_str(&format!(
            "| [`{}`]({}) | {} | {} |\n",
            a.job_name.replace('`', "'").replace('|', "\\|"),
            a.job_url(),
            if a.failed_steps.is_empty() {
                "N/A".to_string()
            } else {
                a.failed_steps.join(", ").replace('|', "\\|")
            },
            ts16_space(a.started_at.as_deref()),
        ));
    }
    out.push_str("\n### Per-Job Analysis\n");
    let closing = format!("\n---\n{}\n", footer(producer, now));
    let mut left_out = 0;
    for a in analyses {
        let block = render_block(a);
        let fits = out.chars().count() + block.chars().count() + closing.chars().count()
            <= MAX_BODY_CHARS - SLACK;
        if fits && left_out == 0 {
            out.push_str(&block);
        } else {
            left_out += 1;
        }
    }
    if left_out > 0 {
        out.push_str(&format!(
            "\n_The analyses of {left_out} more job(s) do not fit in this issue's body: each job's analysis is also a comment below._\n"
        ));
    }
    out.push_str(&closing);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::JobId;

    fn facts(sha: &CommitSha) -> RunFacts<'_> {
        RunFacts {
            workflow: "pr-test-amd.yml",
            run_number: 812,
            run_url: "https://github.com/sgl-project/sglang/actions/runs/9",
            head_sha: Some(sha),
            event: "push",
            upstream: "sgl-project/sglang",
        }
    }

    fn analysis(id: u64, chars: usize) -> JobAnalysis {
        JobAnalysis {
            job_id: JobId::new(id),
            job_name: format!("stage-b-test-{id}"),
            run_url: "https://github.com/sgl-project/sglang/actions/runs/9".into(),
            started_at: Some("2026-11-24T01:02:11Z".into()),
            failed_steps: vec!["Run test".into()],
            analysis: format!("### Failed Tests\n{}", "e".repeat(chars)),
            ..JobAnalysis::default()
        }
    }

    #[test]
    fn titles_and_bodies_name_the_run_its_commit_and_jobs() {
        let sha: CommitSha = "fe887e6935cb300e03bbe1897f9df01164b7d0aa".parse().unwrap();
        let run = facts(&sha);
        assert_eq!(
            run_title(&run),
            "[Analyze] pr-test-amd.yml run #812 (fe887e6)"
        );
        assert_eq!(
            no_failures_title(&job_title("a", JobId::new(5))),
            "[Analyze] a (job 5) -- no failures found"
        );
        let body = in_progress_body(&run, &["stage-b-test-1".into()]);
        assert!(body.contains("**Commit**: [`fe887e6`](https://github.com/sgl-project/sglang/commit/fe887e6935cb300e03bbe1897f9df01164b7d0aa)"));
        assert!(body.contains("**Jobs to analyze** (1):\n- `stage-b-test-1`\n"));
        let report = final_report(
            &run,
            &[analysis(1, 300)],
            None,
            "builtin analyser",
            "2026-11-24 06:00 UTC",
        );
        assert!(report.starts_with("## Analysis: `pr-test-amd.yml` — 1 failure(s)\n"));
        assert!(report.contains("| [`stage-b-test-1`](https://github.com/sgl-project/sglang/actions/runs/9/job/1) | Run test | 2026-11-24 01:02 |"));
        assert!(
            report.contains("<a id=\"job-1\"></a>"),
            "deep-linkable blocks"
        );
        assert!(!report.contains("### Summary"));
        assert!(report.ends_with(
            "*Generated by amd-bot using builtin analyser (last updated: 2026-11-24 06:00 UTC)*\n"
        ));
    }

    #[test]
    fn a_report_larger_than_an_issue_body_leaves_blocks_out_with_a_note_and_comments_are_cut() {
        let sha: CommitSha = "fe887e6935cb300e03bbe1897f9df01164b7d0aa".parse().unwrap();
        let analyses: Vec<JobAnalysis> = (1..=8).map(|i| analysis(i, 20_000)).collect();
        let report = final_report(&facts(&sha), &analyses, Some("two clusters"), "p", "now");
        assert!(
            report.chars().count() <= MAX_BODY_CHARS,
            "{}",
            report.chars().count()
        );
        assert!(report.contains("do not fit in this issue's body"));
        assert!(report.contains("### Summary\n\ntwo clusters\n"));
        for i in 1..=8 {
            assert!(
                report.contains(&format!("/job/{i})")),
                "every job is in the table"
            );
        }
        let huge = analysis(3, 100_000);
        let comment = job_comment(&huge);
        assert!(comment.chars().count() <= MAX_BODY_CHARS);
        assert!(comment
            .ends_with("the job: https://github.com/sgl-project/sglang/actions/runs/9/job/3_"));
    }
}
