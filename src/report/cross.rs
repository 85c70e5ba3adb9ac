//! The views across jobs and runs of one workflow, computed from the per-job reports alone, so
//! they exist with every backend (and without any LLM): the cross-job summary that heads part 1
//! (clusters by the reports' `Failure Cluster` line) and the cross-run comment (which jobs fail
//! in every run, only in the latest, or now and then).

use std::collections::{BTreeMap, BTreeSet};

use super::block::ts16_space;
use super::markers::{cross_run_marker, DASH};
use super::sections::{failed_tests, first_line};
use super::JobAnalysis;

/// Hypothesis cell when no report names one.
const NO_HYPOTHESIS: &str = "[no candidate ≥ MEDIUM]";
/// Table rows kept in the cross-job summary.
const MAX_ROWS: usize = 60;

/// A table cell: one line, pipes escaped.
fn cell(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    let cut: String = line.chars().take(160).collect();
    cut.replace('|', "\\|")
}

/// The cross-job summary text (placed under `### Summary`), or `None` for fewer than two
/// analyses. Jobs are grouped by the first line of their `### Failure Cluster` section;
/// clusters with more jobs come first.
pub fn cross_job_summary(analyses: &[JobAnalysis]) -> Option<String> {
    if analyses.len() < 2 {
        return None;
    }
    struct Row {
        cluster: String,
        job: String,
        url: String,
        file: String,
        function: String,
        hypothesis: String,
    }
    let mut rows: Vec<Row> = Vec::new();
    let mut jobs_in: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
    for a in analyses {
        let cluster = first_line(&a.analysis, "Failure Cluster")
            .unwrap_or_else(|| "(no cluster named)".to_string());
        jobs_in.entry(cluster.clone()).or_default().insert(a.job_id);
        let hypothesis = first_line(&a.analysis, "Hypothesised Causes")
            .unwrap_or_else(|| NO_HYPOTHESIS.to_string());
        let tests = failed_tests(&a.analysis);
        let tests = if tests.is_empty() {
            vec![("N/A".to_string(), "N/A".to_string())]
        } else {
            tests.into_iter().map(|t| (t.file, t.function)).collect()
        };
        for (file, function) in tests {
            rows.push(Row {
                cluster: cluster.clone(),
                job: a.job_name.clone(),
                url: a.job_url(),
                file,
                function,
                hypothesis: hypothesis.clone(),
            });
        }
    }
    let size = |c: &str| jobs_in.get(c).map_or(0, BTreeSet::len);
    rows.sort_by(|a, b| {
        size(&b.cluster)
            .cmp(&size(&a.cluster))
            .then_with(|| a.cluster.cmp(&b.cluster))
            .then_with(|| a.job.cmp(&b.job))
    });
    let mut out = format!(
        "**Counts**: {} failures · {} clusters\n\n| # | Cluster | Job | Test File | Test Function | Status | Hypothesis (confidence) |\n|---|---|---|---|---|---|---|\n",
        rows.len(),
        jobs_in.len()
    );
    for (i, r) in rows.iter().take(MAX_ROWS).enumerate() {
        let k = size(&r.cluster);
        out.push_str(&format!(
            "| {} | `{}` | [{}]({}) | `{}` | `{}` | {} | {} |\n",
            i + 1,
            cell(&r.cluster).replace('`', "'"),
            cell(&r.job),
            r.url,
            cell(&r.file).replace('`', "'"),
            cell(&r.function).replace('`', "'"),
            if k > 1 {
                format!("same cluster in {k} jobs")
            } else {
                "only this job".to_string()
            },
            cell(&r.hypothesis)
        ));
    }
    if rows.len() > MAX_ROWS {
        out.push_str(&format!(
            "\n_… and {} more rows in the per-job analyses below._\n",
            rows.len() - MAX_ROWS
        ));
    }
    Some(out.trim_end().to_string())
}

/// One run of the day, as the cross-run view sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunView {
    /// The run id (last segment of its URL).
    pub id: String,
    pub url: String,
    /// Earliest start of its analysed jobs (empty when unknown).
    pub started_at: String,
    /// The commit it ran on, when known.
    pub head_sha: String,
    /// Names of its failed jobs.
    pub jobs: BTreeSet<String>,
}

/// A job name and the runs it failed in (oldest first by run id).
#[derive(Debug, Clone, PartialEq)]
pub struct JobRuns {
    pub job: String,
    pub runs: Vec<RunView>,
}

/// Which jobs fail in every run, only in the latest, or now and then.
#[derive(Debug, Clone, PartialEq)]
pub struct RunPattern {
    /// The runs, oldest first.
    pub runs: Vec<RunView>,
    pub persistent: Vec<JobRuns>,
    pub regression: Vec<JobRuns>,
    pub flaky: Vec<JobRuns>,
}

/// The run pattern of the day's analyses, or `None` when they span fewer than two runs.
pub fn run_pattern(analyses: &[JobAnalysis]) -> Option<RunPattern> {
    let mut runs: BTreeMap<String, RunView> = BTreeMap::new();
    for a in analyses.iter().filter(|a| !a.run_url.is_empty()) {
        let url = a.run_url.trim_end_matches('/').to_string();
        let run = runs.entry(url.clone()).or_insert_with(|| RunView {
            id: url.rsplit('/').next().unwrap_or("").to_string(),
            url: url.clone(),
            started_at: String::new(),
            head_sha: String::new(),
            jobs: BTreeSet::new(),
        });
        if let Some(t) = a.started_at.as_deref().filter(|t| !t.is_empty()) {
            if run.started_at.is_empty() || t < run.started_at.as_str() {
                run.started_at = t.to_string();
            }
        }
        if run.head_sha.is_empty() {
            run.head_sha = a.head_sha.clone().unwrap_or_default();
        }
        run.jobs.insert(a.job_name.clone());
    }
    if runs.len() < 2 {
        return None;
    }
    let mut runs: Vec<RunView> = runs.into_values().collect();
    runs.sort_by(|a, b| {
        let key = |r: &RunView| {
            if r.started_at.is_empty() {
                r.id.clone()
            } else {
                r.started_at.clone()
            }
        };
        key(a).cmp(&key(b))
    });
    let n = runs.len();
    let latest = runs[n - 1].url.clone();
    let mut by_job: BTreeMap<String, Vec<RunView>> = BTreeMap::new();
    for r in &runs {
        for j in &r.jobs {
            by_job.entry(j.clone()).or_default().push(r.clone());
        }
    }
    let mut pattern = RunPattern {
        runs,
        persistent: Vec::new(),
        regression: Vec::new(),
        flaky: Vec::new(),
    };
    for (job, mut in_runs) in by_job {
        in_runs.sort_by(|a, b| a.id.cmp(&b.id));
        let bucket = if in_runs.len() == n {
            &mut pattern.persistent
        } else if in_runs.len() == 1 && in_runs[0].url == latest {
            &mut pattern.regression
        } else {
            &mut pattern.flaky
        };
        bucket.push(JobRuns { job, runs: in_runs });
    }
    Some(pattern)
}

/// The cross-run comment of a workflow, or `None` with fewer than two runs among the day's
/// analyses. `assessment` is an agent's text, placed under `### Agent assessment`.
pub fn cross_run_comment(
    workflow: &str,
    analyses: &[JobAnalysis],
    now: &str,
    producer: &str,
    assessment: Option<&str>,
) -> Option<String> {
    let pattern = run_pattern(analyses)?;
    let n = pattern.runs.len();
    let lines = |jobs: &[JobRuns]| -> Vec<String> {
        jobs.iter()
            .map(|j| {
                let refs: Vec<String> = j
                    .runs
                    .iter()
                    .map(|r| {
                        let chars: Vec<char> = r.id.chars().collect();
                        let short: String = chars[chars.len().saturating_sub(7)..].iter().collect();
                        format!("[`{short}`]({})", r.url)
                    })
                    .collect();
                format!(
                    "- `{}`{DASH}in {}/{n} runs ({})",
                    j.job,
                    j.runs.len(),
                    refs.join(", ")
                )
            })
            .collect()
    };
    let persistent = lines(&pattern.persistent);
    let regression = lines(&pattern.regression);
    let flaky = lines(&pattern.flaky);
    let runs = &pattern.runs;
    let bucket = |lines: &[String]| {
        if lines.is_empty() {
            "_(none)_".to_string()
        } else {
            lines.join("\n")
        }
    };
    let mut out = format!(
        "{}\n## `{workflow}`{DASH}Cross-Run Pattern Summary ({n} runs in lookback window)\n\n**Last scanned (UTC)**: {now}\n\n",
        cross_run_marker(workflow)
    );
    if let Some(text) = assessment.map(str::trim).filter(|t| !t.is_empty()) {
        out.push_str(&format!("### Agent assessment\n\n{text}\n\n---\n\n"));
    }
    out.push_str("### Runs analysed\n\n| Run | Started (UTC) | Failed jobs |\n|-----|--------------|-------------|\n");
    for r in runs {
        let started = (!r.started_at.is_empty()).then_some(r.started_at.as_str());
        out.push_str(&format!(
            "| [`{}`]({}) | {} | {} |\n",
            r.id,
            r.url,
            ts16_space(started),
            r.jobs.len()
        ));
    }
    out.push_str(&format!(
        "\n### Persistent failures (in every run)\n\n{}\n\n### Latest-only failures (potential regressions)\n\n{}\n\n### Flaky / intermittent failures\n\n{}\n\n---\n*Generated by amd-bot using {producer} (last updated: {now})*",
        bucket(&persistent),
        bucket(&regression),
        bucket(&flaky)
    ));
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: u64, name: &str, run: u64, started: &str, cluster: &str, test: &str) -> JobAnalysis {
        JobAnalysis {
            job_id: id,
            job_name: name.into(),
            run_url: format!("https://github.com/sgl-project/sglang/actions/runs/{run}"),
            started_at: Some(started.into()),
            failed_steps: vec!["Run test".into()],
            analysis: format!(
                "### Failed Tests\n\n| Test File | Test Function | Error |\n|---|---|---|\n| `test/a.py` | `{test}` | `E` |\n\n### Failure Cluster\n\n- `{cluster}`\n"
            ),
            head_sha: None,
        }
    }

    #[test]
    fn g57_no_cross_job_summary_for_a_single_analysis() {
        assert_eq!(cross_job_summary(&[job(1, "a", 1, "t", "c", "x")]), None);
    }

    #[test]
    fn jobs_with_the_same_cluster_line_group_and_bigger_clusters_come_first() {
        let text = cross_job_summary(&[
            job(1, "solo", 10, "2026-11-24T01:00:00Z", "v1:test:b", "test_b"),
            job(2, "one", 10, "2026-11-24T01:00:00Z", "v1:test:a", "test_a"),
            job(3, "two", 10, "2026-11-24T01:00:00Z", "v1:test:a", "test_a"),
        ])
        .unwrap();
        assert!(
            text.starts_with("**Counts**: 3 failures · 2 clusters\n"),
            "{text}"
        );
        let rows: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("| 1") || l.starts_with("| 2") || l.starts_with("| 3"))
            .collect();
        assert!(
            rows[0].contains("`v1:test:a`") && rows[0].contains("[one]"),
            "{rows:?}"
        );
        assert!(rows[1].contains("[two]") && rows[1].contains("same cluster in 2 jobs"));
        assert!(rows[2].contains("`v1:test:b`") && rows[2].contains("only this job"));
        assert!(text.contains("(https://github.com/sgl-project/sglang/actions/runs/10/job/2)"));
        // Our own heading words never appear as headings (the placement would drop them).
        assert!(!text.lines().any(|l| l.starts_with('#')));
    }

    #[test]
    fn g58_cross_run_buckets_persistent_latest_only_and_flaky_jobs() {
        let analyses = [
            job(1, "always", 100, "2026-11-24T01:00:00Z", "c", "t"),
            job(2, "sometimes", 100, "2026-11-24T01:00:00Z", "c", "t"),
            job(3, "always", 200, "2026-11-24T03:00:00Z", "c", "t"),
            job(4, "always", 300, "2026-11-24T05:00:00Z", "c", "t"),
            job(5, "new", 300, "2026-11-24T05:00:00Z", "c", "t"),
        ];
        let body = cross_run_comment(
            "x.yml",
            &analyses,
            "2026-11-24 06:00 UTC",
            "sglang-bot builtin analyser",
            None,
        )
        .unwrap();
        assert!(body.starts_with("<!-- ci-monitor-cross-run-summary: x.yml -->\n## `x.yml` — Cross-Run Pattern Summary (3 runs in lookback window)\n"));
        let section = |name: &str| {
            let start = body.find(name).unwrap();
            body[start..].split("\n### ").next().unwrap().to_string()
        };
        assert!(section("### Persistent").contains("- `always` — in 3/3 runs ([`100`](https://github.com/sgl-project/sglang/actions/runs/100), [`200`]"));
        assert!(section("### Latest-only").contains("- `new` — in 1/3 runs"));
        assert!(section("### Flaky").contains("- `sometimes` — in 1/3 runs"));
        assert!(body.contains("| [`100`](https://github.com/sgl-project/sglang/actions/runs/100) | 2026-11-24 01:00 | 2 |"));
        assert!(!body.contains("### Agent assessment"));
    }

    #[test]
    fn g58_one_run_makes_no_cross_run_comment_and_empty_buckets_say_none() {
        let one = [
            job(1, "a", 100, "t1", "c", "t"),
            job(2, "b", 100, "t1", "c", "t"),
        ];
        assert_eq!(cross_run_comment("x.yml", &one, "now", "p", None), None);
        let two = [
            job(1, "a", 100, "2026-11-24T01:00:00Z", "c", "t"),
            job(2, "a", 200, "2026-11-24T02:00:00Z", "c", "t"),
        ];
        let body =
            cross_run_comment("x.yml", &two, "now", "p", Some("An agent wrote this.")).unwrap();
        assert!(body.contains("### Latest-only failures (potential regressions)\n\n_(none)_"));
        assert!(body.contains("### Agent assessment\n\nAn agent wrote this.\n"));
    }
}
