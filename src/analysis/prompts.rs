//! Prompts and context files of the cross-job and cross-run tasks, and the cleaning of their
//! answers. Pure text: the agent and API backends share it, and the shapes are what
//! `agent/CLAUDE.md` tells the model to expect.

use std::sync::OnceLock;

use regex::Regex;

use crate::domain::CommitSha;
use crate::report::cross::{JobRuns, RunPattern};
use crate::report::extract::{drop_headings, extract_report};
use crate::report::markers::COUNTS_ANCHOR;
use crate::report::JobAnalysis;

/// The context file both cross tasks read, inside the agent's work dir.
pub const PER_JOB_ANALYSES: &str = "per-job-analyses.md";
/// The first line the cross-run answer starts with (our CLAUDE.md asks for it).
pub const CROSS_RUN_ANCHOR: &str = r"(?m)^\*\*Cross-run pattern\*\*:";

/// The analyses as the cross-job task reads them: per job its name, id and run, then the
/// report; blocks separated by `---` lines.
pub fn cross_job_jobs_text(analyses: &[JobAnalysis]) -> String {
    analyses
        .iter()
        .map(|a| {
            format!(
                "### Job: {}\n**Job ID:** `{}`\n**Run:** {}\n\n{}",
                a.job_name,
                a.job_id,
                a.run_url.trim_end_matches('/'),
                a.analysis.trim()
            )
        })
        .collect::<Vec<_>>()
        .join("\n\n---\n\n")
}

/// The agent's cross-job prompt.
pub fn cross_job_prompt(workflow: &str, jobs: usize) -> String {
    format!(
        "Task: Cross-Job Summary\nWorkflow: {workflow}\nNumber of failed jobs: {jobs}\nPer-job analyses: .ci-context/{PER_JOB_ANALYSES}\nSource: current directory\nGitHub API token: $GH_PAT\n"
    )
}

/// The analyses as the cross-run task reads them.
pub fn cross_run_context(analyses: &[JobAnalysis]) -> String {
    analyses
        .iter()
        .map(|a| {
            let steps = if a.failed_steps.is_empty() {
                "N/A".to_string()
            } else {
                a.failed_steps.join(", ")
            };
            format!(
                "### Run {}\n**Job**: {} (id {})\n**Failed steps**: {steps}\n**Analysis**:\n{}",
                a.run_url.trim_end_matches('/'),
                a.job_name,
                a.job_id,
                a.analysis.trim()
            )
        })
        .collect::<Vec<_>>()
        .join("\n---\n")
}

/// The agent's cross-run prompt: the runs and the computed buckets.
pub fn cross_run_prompt(workflow: &str, pattern: &RunPattern) -> String {
    let mut p = format!(
        "Task: Cross-Run Pattern Analysis\nWorkflow: {workflow}\nRuns in window: {}\n\nPer-run summary:\n",
        pattern.runs.len()
    );
    for r in &pattern.runs {
        let started: String = r.started_at.chars().take(16).collect();
        let sha = r.head_sha.as_ref().map_or("", CommitSha::short);
        p.push_str(&format!(
            "- run {} ({}): {} failed jobs, sha {}{}\n",
            r.id,
            if started.is_empty() { "N/A" } else { &started },
            r.jobs.len(),
            if sha.is_empty() { "unknown" } else { &sha },
            if r.completed {
                ""
            } else {
                " [IN-FLIGHT, partial data]"
            }
        ));
    }
    p.push_str("\nFailure buckets (computed):\n");
    let bucket = |p: &mut String, name: &str, jobs: &[JobRuns]| {
        if jobs.is_empty() {
            p.push_str(&format!("{name}: (none)\n"));
            return;
        }
        p.push_str(&format!("{name}:\n"));
        for j in jobs {
            let ids: Vec<&str> = j.runs.iter().map(|r| r.id.as_str()).collect();
            p.push_str(&format!("  - {} (runs: {})\n", j.job, ids.join(", ")));
        }
    };
    bucket(
        &mut p,
        "Persistent (every completed run in window)",
        &pattern.persistent,
    );
    bucket(
        &mut p,
        "Regression candidates (latest completed run only)",
        &pattern.regression,
    );
    bucket(&mut p, "Flaky / intermittent", &pattern.flaky);
    p.push_str(&format!(
        "\nPer-job analyses are available in .ci-context/{PER_JOB_ANALYSES}.\n\nSource: current directory\nGitHub API token: $GH_PAT\n"
    ));
    p
}

fn counts_anchor() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(COUNTS_ANCHOR).expect("counts anchor"))
}

fn cross_run_anchor() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(CROSS_RUN_ANCHOR).expect("cross-run anchor"))
}

/// A model's cross-job answer as it goes under `### Summary`: from its last `**Counts**:`
/// line, without headings that would clash with ours.
pub fn clean_cross_job(answer: &str) -> String {
    drop_headings(extract_report(answer, counts_anchor()), "Summary|Overview")
}

/// A model's cross-run answer as it goes under `### Agent assessment`: from its last
/// `**Cross-run pattern**:` line when it has one, else the whole text (its headline is plain
/// prose, so stripping "prose before the first heading" would lose it), without headings that
/// would clash with ours.
pub fn clean_cross_run(answer: &str) -> String {
    let text = match cross_run_anchor().find_iter(answer).last() {
        Some(m) => &answer[m.start()..],
        None => answer.trim(),
    };
    drop_headings(text, "Summary|Overview|Cross-Run")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::cross::run_pattern;

    fn analysis(id: u64, run: u64, name: &str) -> JobAnalysis {
        JobAnalysis {
            job_id: crate::domain::JobId::new(id),
            job_name: name.into(),
            run_url: format!("https://github.com/sgl-project/sglang/actions/runs/{run}/"),
            started_at: Some(format!("2026-11-24T0{}:00:00Z", run % 10)),
            failed_steps: vec!["Run test".into()],
            analysis: format!("### Failure Cluster\nboom in {name}\n"),
            head_sha: format!("{run:0>40}").parse().ok(),
            signatures: Vec::new(),
            since: None,
        }
    }

    #[test]
    fn cross_job_context_names_each_job_its_id_and_run() {
        let text = cross_job_jobs_text(&[analysis(11, 1, "a"), analysis(12, 2, "b")]);
        assert_eq!(
            text,
            "### Job: a\n**Job ID:** `11`\n**Run:** https://github.com/sgl-project/sglang/actions/runs/1\n\n### Failure Cluster\nboom in a\n\n---\n\n### Job: b\n**Job ID:** `12`\n**Run:** https://github.com/sgl-project/sglang/actions/runs/2\n\n### Failure Cluster\nboom in b"
        );
        assert_eq!(
            cross_job_prompt("nightly-test-amd.yml", 2)
                .lines()
                .collect::<Vec<_>>(),
            [
                "Task: Cross-Job Summary",
                "Workflow: nightly-test-amd.yml",
                "Number of failed jobs: 2",
                "Per-job analyses: .ci-context/per-job-analyses.md",
                "Source: current directory",
                "GitHub API token: $GH_PAT",
            ]
        );
    }

    #[test]
    fn cross_run_prompt_lists_runs_and_buckets_and_empty_ones_say_none() {
        let analyses = [
            analysis(11, 1, "always"),
            analysis(21, 2, "always"),
            analysis(22, 2, "sometimes"),
            analysis(31, 3, "always"),
        ];
        let pattern = run_pattern(&analyses, &[]).unwrap();
        let prompt = cross_run_prompt("nightly-test-amd.yml", &pattern);
        assert_eq!(
            prompt,
            "Task: Cross-Run Pattern Analysis\nWorkflow: nightly-test-amd.yml\nRuns in window: 3\n\n\
             Per-run summary:\n\
             - run 1 (2026-11-24T01:00): 1 failed jobs, sha 0000000\n\
             - run 2 (2026-11-24T02:00): 2 failed jobs, sha 0000000\n\
             - run 3 (2026-11-24T03:00): 1 failed jobs, sha 0000000\n\n\
             Failure buckets (computed):\n\
             Persistent (every completed run in window):\n  - always (runs: 1, 2, 3)\n\
             Regression candidates (latest completed run only): (none)\n\
             Flaky / intermittent:\n  - sometimes (runs: 2)\n\n\
             Per-job analyses are available in .ci-context/per-job-analyses.md.\n\n\
             Source: current directory\nGitHub API token: $GH_PAT\n"
        );
        let context = cross_run_context(&analyses[..2]);
        assert!(context.starts_with("### Run https://github.com/sgl-project/sglang/actions/runs/1\n**Job**: always (id 11)\n**Failed steps**: Run test\n**Analysis**:\n### Failure Cluster"), "{context}");
        assert!(context
            .contains("\n---\n### Run https://github.com/sgl-project/sglang/actions/runs/2\n"));
    }

    #[test]
    fn answers_are_cut_to_their_anchor_and_lose_clashing_headings() {
        let job = "Here you go.\n## Cross-Job Summary\n**Counts**: 1\nold\n**Counts**: 3 failures · 2 clusters\n### Cluster: hip\n## Overview of fixes\nx";
        assert_eq!(
            clean_cross_job(job),
            "**Counts**: 3 failures · 2 clusters\n### Cluster: hip\nx"
        );
        // The cross-run headline is prose: kept even without a heading before it.
        let run = "Three runs failed: 2 → 3 → 1.\n## Cross-Run view\n### Persistent\n- a";
        assert_eq!(
            clean_cross_run(run),
            "Three runs failed: 2 → 3 → 1.\n### Persistent\n- a"
        );
        let anchored = "thinking aloud\n**Cross-run pattern**: 2 → 3.\n### Next actions\n1. rerun";
        assert_eq!(
            clean_cross_run(anchored),
            "**Cross-run pattern**: 2 → 3.\n### Next actions\n1. rerun"
        );
    }
}
