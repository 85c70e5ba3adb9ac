//! The daily summary's prompt and context for the agent and the API: the per-workflow analyses
//! file (the original's layout, plus each workflow's completed-run counts, which the guide
//! promises and the original never gave), yesterday's summary, and the routing prompt.

use std::fmt::Write as _;

use super::DailySummaryRequest;
use crate::report::block::ts16_space;
use crate::report::summary_facts::WorkflowRuns;

/// The analyses file, inside the agent's `.ci-context/`.
pub const ANALYSES_FILE: &str = "per-workflow-analyses.md";
/// Yesterday's summary, written only when there is one.
pub const YESTERDAY_FILE: &str = "yesterday-summary.md";
/// What the API prompt says when there is no summary for yesterday.
pub const NO_YESTERDAY: &str = "(no prior summary available)";
/// The API template's name in `agent/CLAUDE.md`.
pub const TEMPLATE: &str = "daily-cross-workflow-summary";

/// One line of completed-run counts, or nothing when the runs were not read.
fn runs_line(runs: Option<&WorkflowRuns>) -> String {
    let Some(r) = runs else {
        return String::new();
    };
    let today = r.today().copied();
    let trend: Vec<String> = r
        .days
        .iter()
        .map(|d| format!("{} ✅{} ❌{}", d.day, d.passed, d.failed))
        .collect();
    format!(
        "- completed runs today: {} (✅ {}, ❌ {}), {} still in flight; last 7 days: {}\n",
        today.map_or(0, |t| t.completed()),
        today.map_or(0, |t| t.passed),
        today.map_or(0, |t| t.failed),
        r.in_flight,
        trend.join(" · ")
    )
}

/// The per-workflow analyses text (the agent's context file, the API's `{workflows_block}`).
pub fn workflows_block(request: &DailySummaryRequest<'_>) -> String {
    let mut out = String::new();
    for (wf, analyses) in request.workflows {
        let runs = request.facts.runs.iter().find(|r| &r.workflow == wf);
        let _ = writeln!(out, "## Workflow: `{wf}`");
        out.push_str(&runs_line(runs));
        if analyses.is_empty() {
            out.push_str("- (no failures reported in today's lookback window)\n\n");
            continue;
        }
        let _ = writeln!(
            out,
            "- {} failed job(s) in today's daily issue",
            analyses.len()
        );
        for a in analyses {
            let _ = writeln!(
                out,
                "  - **{}** (job_id `{}`, started {})",
                a.job_name,
                a.job_id,
                ts16_space(a.started_at.as_deref())
            );
        }
        let _ = writeln!(out, "\n### Per-job analyses for `{wf}`");
        for a in analyses {
            let _ = writeln!(
                out,
                "#### Job: {}\n**Job ID:** `{}`\n**Run:** {}",
                a.job_name, a.job_id, a.run_url
            );
            if !a.failed_steps.is_empty() {
                let _ = writeln!(out, "**Failed steps:** {}", a.failed_steps.join(", "));
            }
            let text = a.analysis.trim();
            let text = if text.is_empty() {
                "_(no per-job analysis text recovered)_"
            } else {
                text
            };
            let _ = writeln!(out, "\n{text}\n");
        }
    }
    out.trim_end().to_string()
}

/// The agent's routing prompt (the method is in the guide).
pub fn agent_prompt(request: &DailySummaryRequest<'_>) -> String {
    let names: Vec<&str> = request.workflows.iter().map(|(w, _)| w.as_str()).collect();
    let yesterday = match request.yesterday {
        Some(_) => format!(
            "Yesterday's summary: .ci-context/{YESTERDAY_FILE} (for NEW vs carry-over detection)"
        ),
        None => {
            "Yesterday's summary: not available (treat all clusters as carry-over baseline)".into()
        }
    };
    format!(
        "Task: Daily Cross-Workflow Summary\nDate: {}\nSnapshot UTC: {}\nIssue: #{}\nMonitored workflows: {}\nPer-workflow analyses: .ci-context/{ANALYSES_FILE}\n{yesterday}\nSource: current directory\nGitHub API token: $GH_PAT\n",
        request.date,
        request.snapshot,
        request.issue,
        names.join(", ")
    )
}

/// The agent's context files: the analyses, and yesterday's summary when there is one.
pub fn agent_context(request: &DailySummaryRequest<'_>) -> Vec<(String, String)> {
    let mut files = vec![(ANALYSES_FILE.to_string(), workflows_block(request))];
    if let Some(y) = request.yesterday.filter(|y| !y.trim().is_empty()) {
        files.push((YESTERDAY_FILE.to_string(), y.to_string()));
    }
    files
}

/// The API template's values.
pub fn api_values(request: &DailySummaryRequest<'_>) -> Vec<(&'static str, String)> {
    vec![
        ("date_str", request.date.to_string()),
        ("snapshot_utc", request.snapshot.to_string()),
        ("issue_number", request.issue.to_string()),
        ("workflows_block", workflows_block(request)),
        (
            "yesterday_clusters_summary_or_none",
            request.yesterday.unwrap_or(NO_YESTERDAY).to_string(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::SummaryLimits;
    use crate::domain::JobId;
    use crate::report::summary_facts::{tally, SummaryFacts};
    use crate::report::JobAnalysis;
    use std::collections::BTreeSet;
    use std::time::Duration;

    fn facts(workflows: Vec<(String, Vec<JobAnalysis>)>) -> SummaryFacts {
        let date = "2026-11-24".parse().unwrap();
        SummaryFacts {
            date,
            snapshot: "2026-11-24 06:00 UTC".into(),
            upstream: "sgl-project/sglang".into(),
            issue: 7,
            runs: vec![tally("a.yml", &[], date)],
            workflows,
            yesterday_text: None,
            yesterday_clusters: None,
            passed_later: BTreeSet::new(),
        }
    }

    fn request<'a>(f: &'a SummaryFacts, yesterday: Option<&'a str>) -> DailySummaryRequest<'a> {
        DailySummaryRequest {
            date: "2026-11-24",
            snapshot: "2026-11-24 06:00 UTC",
            issue: 7,
            workflows: &f.workflows,
            yesterday,
            facts: f,
            limits: SummaryLimits {
                max_turns: 200,
                timeout: Duration::from_secs(1200),
                max_tokens: 8192,
            },
        }
    }

    #[test]
    fn g7_g10_the_context_and_prompt_have_the_originals_lines_and_no_yesterday_is_said() {
        let job = JobAnalysis {
            job_id: JobId::new(5),
            job_name: "j".into(),
            run_url: "https://x/runs/1".into(),
            analysis: "  ".into(),
            ..JobAnalysis::default()
        };
        let f = facts(vec![("a.yml".into(), vec![job]), ("b.yml".into(), vec![])]);
        let r = request(&f, None);
        let text = workflows_block(&r);
        assert!(text.starts_with("## Workflow: `a.yml`\n- completed runs today: 0 (✅ 0, ❌ 0), 0 still in flight; last 7 days: 2026-11-18 ✅0 ❌0"), "{text}");
        assert!(
            text.contains("  - **j** (job_id `5`, started N/A)\n"),
            "{text}"
        );
        assert!(text.contains("#### Job: j\n**Job ID:** `5`\n**Run:** https://x/runs/1\n\n_(no per-job analysis text recovered)_"), "{text}");
        assert!(
            text.ends_with(
                "## Workflow: `b.yml`\n- (no failures reported in today's lookback window)"
            ),
            "{text}"
        );
        let prompt = agent_prompt(&r);
        assert!(prompt.contains(
            "Yesterday's summary: not available (treat all clusters as carry-over baseline)\n"
        ));
        assert!(prompt.starts_with("Task: Daily Cross-Workflow Summary\nDate: 2026-11-24\nSnapshot UTC: 2026-11-24 06:00 UTC\nIssue: #7\nMonitored workflows: a.yml, b.yml\n"));
        assert_eq!(agent_context(&r).len(), 1, "no yesterday file");
        assert!(api_values(&r).contains(&(
            "yesterday_clusters_summary_or_none",
            NO_YESTERDAY.to_string()
        )));
        let with = request(&f, Some("yesterday text"));
        assert_eq!(
            agent_context(&with)[1],
            (YESTERDAY_FILE.to_string(), "yesterday text".to_string())
        );
        assert!(agent_prompt(&with)
            .contains(".ci-context/yesterday-summary.md (for NEW vs carry-over detection)"));
    }
}
