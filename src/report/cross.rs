//! The views across jobs and runs of one workflow, computed from the per-job reports alone, so
//! they exist with every backend (and without any LLM): the cross-job summary that heads part 1
//! (clusters by the reports' `Failure Cluster` line) and the cross-run comment (which jobs fail
//! in every run, only in the latest, or now and then).

use std::collections::{BTreeMap, BTreeSet};

use super::block::ts16_space;
use super::markers::{cross_run_marker, DASH};
use super::sections::{failed_tests, first_line};
use super::JobAnalysis;
use crate::domain::{CommitSha, JobId, RunId};

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

/// One failure as the cross-job summary shows it: a test (or the job, when no test is
/// named) with its own cluster, and every job it failed in.
struct FailureRow {
    cluster: String,
    file: String,
    function: String,
    hypothesis: String,
    /// (job name, job page), in the order the jobs come.
    jobs: Vec<(String, String)>,
}

/// The failures of one report, each with its own cluster: the table's `Cluster` column when
/// it has one; else the report's `Failure Cluster` line when every row shares one error (or
/// there is one row); else each row's error, normalised, since the report's single line
/// names only one of its clusters.
fn failures_of(a: &JobAnalysis) -> Vec<(String, String, String)> {
    let job_cluster = first_line(&a.analysis, "Failure Cluster")
        .unwrap_or_else(|| "(no cluster named)".to_string());
    let tests = failed_tests(&a.analysis);
    if tests.is_empty() {
        return vec![(job_cluster, "N/A".into(), "N/A".into())];
    }
    let one_error = tests.iter().all(|t| t.error == tests[0].error);
    tests
        .into_iter()
        .map(|t| {
            let cluster = match t.cluster {
                Some(c) => c,
                None if one_error => job_cluster.clone(),
                None => crate::logs::normalize(&t.error).chars().take(120).collect(),
            };
            (cluster, t.file, t.function)
        })
        .collect()
}

/// The cross-job summary text (placed under `### Summary`), or `None` for fewer than two
/// analyses. Each failure is a row with its own cluster; the same failure in several jobs is
/// one row naming them all; clusters in more jobs come first.
pub fn cross_job_summary(analyses: &[JobAnalysis]) -> Option<String> {
    if analyses.len() < 2 {
        return None;
    }
    let mut rows: Vec<FailureRow> = Vec::new();
    let mut jobs_in: BTreeMap<String, BTreeSet<JobId>> = BTreeMap::new();
    let mut failures = 0;
    for a in analyses {
        let hypothesis = first_line(&a.analysis, "Hypothesised Causes")
            .unwrap_or_else(|| NO_HYPOTHESIS.to_string());
        for (cluster, file, function) in failures_of(a) {
            failures += 1;
            jobs_in.entry(cluster.clone()).or_default().insert(a.job_id);
            let job = (a.job_name.clone(), a.job_url());
            match rows
                .iter_mut()
                .find(|r| r.cluster == cluster && r.file == file && r.function == function)
            {
                Some(row) if !row.jobs.contains(&job) => row.jobs.push(job),
                Some(_) => {}
                None => rows.push(FailureRow {
                    cluster,
                    file,
                    function,
                    hypothesis: hypothesis.clone(),
                    jobs: vec![job],
                }),
            }
        }
    }
    let size = |c: &str| jobs_in.get(c).map_or(0, BTreeSet::len);
    rows.sort_by(|a, b| {
        size(&b.cluster)
            .cmp(&size(&a.cluster))
            .then_with(|| a.cluster.cmp(&b.cluster))
            .then_with(|| b.jobs.len().cmp(&a.jobs.len()))
            .then_with(|| a.jobs[0].0.cmp(&b.jobs[0].0))
    });
    let mut out = format!(
        "**Counts**: {failures} failures · {} clusters\n\n| # | Cluster | Job | Test File | Test Function | Status | Hypothesis (confidence) |\n|---|---|---|---|---|---|---|\n",
        jobs_in.len()
    );
    for (i, r) in rows.iter().take(MAX_ROWS).enumerate() {
        out.push_str(&failure_line(i + 1, r, size(&r.cluster)));
    }
    if rows.len() > MAX_ROWS {
        out.push_str(&format!(
            "\n_… and {} more rows in the per-job analyses below._\n",
            rows.len() - MAX_ROWS
        ));
    }
    Some(out.trim_end().to_string())
}

/// One table line: the failure, the jobs it failed in (linked), and how widespread its
/// cluster is.
fn failure_line(n: usize, r: &FailureRow, cluster_jobs: usize) -> String {
    let jobs: Vec<String> = r
        .jobs
        .iter()
        .map(|(name, url)| format!("[{}]({url})", cell(name)))
        .collect();
    let status = match (r.jobs.len(), cluster_jobs) {
        (1, 1) => "only this job".to_string(),
        (1, k) => format!("same cluster in {k} jobs"),
        (j, _) => format!("in {j} jobs"),
    };
    format!(
        "| {n} | `{}` | {} | `{}` | `{}` | {status} | {} |\n",
        cell(&r.cluster).replace('`', "'"),
        jobs.join(", "),
        cell(&r.file).replace('`', "'"),
        cell(&r.function).replace('`', "'"),
        cell(&r.hypothesis)
    )
}

/// A run of the lookback window as GitHub lists it, green ones included: without them
/// "failed in every run" would hide the passes in between (M-W25 in tests/GUARDS.md).
#[derive(Debug, Clone, PartialEq)]
pub struct WindowRun {
    pub id: RunId,
    pub url: String,
    /// When it started (RFC 3339).
    pub started_at: String,
    /// Finished (a run still going is shown but not counted).
    pub completed: bool,
    /// Finished with success: a run in which no job failed.
    pub green: bool,
    pub head_sha: Option<CommitSha>,
}

/// One run of the day, as the cross-run view sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunView {
    /// The run id (last segment of its URL).
    pub id: String,
    pub url: String,
    /// When it started, or its earliest analysed job's start (empty when unknown).
    pub started_at: String,
    /// The commit it ran on, when known.
    pub head_sha: Option<CommitSha>,
    /// Names of its failed (analysed) jobs.
    pub jobs: BTreeSet<String>,
    /// Finished; only finished runs count in the buckets.
    pub completed: bool,
}

impl RunView {
    /// Oldest first: by start time, then by numeric id (never timestamps against ids).
    fn order_key(&self) -> (String, u64) {
        (self.started_at.clone(), self.id.parse().unwrap_or(0))
    }
}

/// A job name and the completed runs it failed in (oldest first).
#[derive(Debug, Clone, PartialEq)]
pub struct JobRuns {
    pub job: String,
    pub runs: Vec<RunView>,
    /// It did not fail in the latest completed run (fixed, or flaky).
    pub passed_latest: bool,
}

/// Which jobs fail in every completed run, only in the latest, or now and then.
#[derive(Debug, Clone, PartialEq)]
pub struct RunPattern {
    /// Every run, oldest first (unfinished ones included, marked).
    pub runs: Vec<RunView>,
    /// How many of them are completed (the `n` of "in k/n runs").
    pub completed: usize,
    pub persistent: Vec<JobRuns>,
    pub regression: Vec<JobRuns>,
    pub flaky: Vec<JobRuns>,
}

/// The run pattern of the day: the runs listed in the window plus any run the analyses name;
/// `None` when the analyses span fewer than two runs.
pub fn run_pattern(analyses: &[JobAnalysis], window: &[WindowRun]) -> Option<RunPattern> {
    let mut runs: BTreeMap<String, RunView> = BTreeMap::new();
    let analysed: BTreeSet<&str> = analyses
        .iter()
        .map(|a| a.run_url.trim_end_matches('/'))
        .collect();
    // A finished run that failed but has no analysis (cut by the run cap, or only cancelled
    // jobs) is unknown, not green: counting it would invent passes.
    let known =
        |w: &&WindowRun| w.green || !w.completed || analysed.contains(w.url.trim_end_matches('/'));
    for w in window.iter().filter(known) {
        let url = w.url.trim_end_matches('/').to_string();
        runs.insert(
            url.clone(),
            RunView {
                id: w.id.to_string(),
                url,
                started_at: w.started_at.clone(),
                head_sha: w.head_sha.clone(),
                jobs: BTreeSet::new(),
                completed: w.completed,
            },
        );
    }
    for a in analyses.iter().filter(|a| !a.run_url.is_empty()) {
        let url = a.run_url.trim_end_matches('/').to_string();
        let run = runs.entry(url.clone()).or_insert_with(|| RunView {
            id: url.rsplit('/').next().unwrap_or("").to_string(),
            url: url.clone(),
            started_at: String::new(),
            head_sha: None,
            jobs: BTreeSet::new(),
            // Not in today's listing: an earlier run, long finished.
            completed: true,
        });
        if let Some(t) = a.started_at.as_deref().filter(|t| !t.is_empty()) {
            if run.started_at.is_empty() || t < run.started_at.as_str() {
                run.started_at = t.to_string();
            }
        }
        if run.head_sha.is_none() {
            run.head_sha = a.head_sha.clone();
        }
        run.jobs.insert(a.job_name.clone());
    }
    if runs.values().filter(|r| !r.jobs.is_empty()).count() < 2 {
        return None;
    }
    let mut runs: Vec<RunView> = runs.into_values().collect();
    runs.sort_by_key(RunView::order_key);
    let done: Vec<&RunView> = runs.iter().filter(|r| r.completed).collect();
    let n = done.len();
    let latest = done.last().map(|r| r.url.clone()).unwrap_or_default();
    let mut by_job: BTreeMap<String, Vec<RunView>> = BTreeMap::new();
    for r in &done {
        for j in &r.jobs {
            by_job.entry(j.clone()).or_default().push((*r).clone());
        }
    }
    let mut pattern = RunPattern {
        completed: n,
        runs: runs.clone(),
        persistent: Vec::new(),
        regression: Vec::new(),
        flaky: Vec::new(),
    };
    for (job, in_runs) in by_job {
        let passed_latest = !in_runs.iter().any(|r| r.url == latest);
        let entry = JobRuns {
            job,
            runs: in_runs,
            passed_latest,
        };
        if n > 1 && entry.runs.len() == n {
            pattern.persistent.push(entry);
        } else if entry.runs.len() == 1 && !passed_latest {
            pattern.regression.push(entry);
        } else {
            pattern.flaky.push(entry);
        }
    }
    Some(pattern)
}

/// The cross-run comment of a workflow, or `None` with fewer than two runs among the day's
/// analyses. `window` is the runs GitHub listed; `assessment` is an agent's text, placed
/// under `### Agent assessment`.
pub fn cross_run_comment(
    workflow: &str,
    analyses: &[JobAnalysis],
    window: &[WindowRun],
    now: &str,
    producer: &str,
    assessment: Option<&str>,
) -> Option<String> {
    let pattern = run_pattern(analyses, window)?;
    let n = pattern.completed;
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
                let since = if j.passed_latest && j.runs.len() > 1 {
                    "; passed in the latest run"
                } else if j.passed_latest {
                    "; passed in later runs"
                } else {
                    ""
                };
                format!(
                    "- `{}`{DASH}in {}/{n} runs ({}){since}",
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
    for r in &pattern.runs {
        let started = (!r.started_at.is_empty()).then_some(r.started_at.as_str());
        let state = if r.completed {
            ""
        } else {
            " (in progress, not counted)"
        };
        out.push_str(&format!(
            "| [`{}`]({}) | {} | {}{state} |\n",
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
            job_id: crate::domain::JobId::new(id),
            job_name: name.into(),
            run_url: format!("https://github.com/sgl-project/sglang/actions/runs/{run}"),
            started_at: Some(started.into()),
            failed_steps: vec!["Run test".into()],
            analysis: format!(
                "### Failed Tests\n\n| Test File | Test Function | Error |\n|---|---|---|\n| `test/a.py` | `{test}` | `E` |\n\n### Failure Cluster\n\n- `{cluster}`\n"
            ),
            head_sha: None,
            signatures: Vec::new(),
            since: None,
        }
    }

    #[test]
    fn g57_no_cross_job_summary_for_a_single_analysis() {
        assert_eq!(cross_job_summary(&[job(1, "a", 1, "t", "c", "x")]), None);
    }

    /// The numbered rows of a summary's table.
    fn table_rows(text: &str) -> Vec<&str> {
        text.lines()
            .filter(|l| l.starts_with("| ") && l[2..].starts_with(|c: char| c.is_ascii_digit()))
            .collect()
    }

    #[test]
    fn the_same_failure_in_two_jobs_is_one_row_naming_both_and_bigger_clusters_come_first() {
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
        let rows = table_rows(&text);
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert!(
            rows[0].contains("`v1:test:a`")
                && rows[0]
                    .contains("[one](https://github.com/sgl-project/sglang/actions/runs/10/job/2)")
                && rows[0]
                    .contains("[two](https://github.com/sgl-project/sglang/actions/runs/10/job/3)")
                && rows[0].contains("in 2 jobs"),
            "{rows:?}"
        );
        assert!(rows[1].contains("`v1:test:b`") && rows[1].contains("only this job"));
        // Our own heading words never appear as headings (the placement would drop them).
        assert!(!text.lines().any(|l| l.starts_with('#')));
    }

    #[test]
    fn a_job_with_two_different_failures_gives_two_clusters_each_with_its_test() {
        let two = JobAnalysis {
            analysis: "### Failed Tests\n\n| Test File | Test Function | Error |\n|---|---|---|\n| `test/a.py` | `test_oom` | `torch.OutOfMemoryError: HIP out of memory. Tried to allocate 2.00 GiB` |\n| `test/b.py` | `test_acc` | `AssertionError: 0.61 not greater than 0.7` |\n\n### Failure Cluster\n\n- `hip-oom`\n".into(),
            ..job(1, "mixed", 10, "2026-11-24T01:00:00Z", "x", "x")
        };
        let other = job(
            2,
            "other",
            10,
            "2026-11-24T01:00:00Z",
            "v1:test:z",
            "test_z",
        );
        let text = cross_job_summary(&[two, other]).unwrap();
        assert!(
            text.starts_with("**Counts**: 3 failures · 3 clusters\n"),
            "{text}"
        );
        let rows = table_rows(&text);
        let oom = rows.iter().find(|r| r.contains("`test_oom`")).unwrap();
        let acc = rows.iter().find(|r| r.contains("`test_acc`")).unwrap();
        assert!(oom.contains("OutOfMemoryError"), "{oom}");
        assert!(!oom.contains("AssertionError"), "{oom}");
        assert!(acc.contains("AssertionError"), "{acc}");
        assert!(
            !acc.contains("hip-oom") && !acc.contains("OutOfMemoryError"),
            "{acc}"
        );
    }

    #[test]
    fn a_comment_of_the_original_bot_reads_with_canonical_test_ids() {
        // Two jobs as the original bot posted them: ids on line 1, the block layout it wrote,
        // the test spelt from the repository root and as a unittest header.
        let block = |job: u64, spelling: (&str, &str)| {
            format!(
                "\n<a id=\"job-{job}\"></a>\n<details data-job-id=\"{job}\" data-run-url=\"https://github.com/sgl-project/sglang/actions/runs/9\" data-started-at=\"2026-06-01T01:02:03Z\">\n<summary><b>job-{job}</b> — failed step(s): Run test</summary>\n\n### Failed Tests\n\n| Test File | Test Function | Error |\n|---|---|---|\n| `{}` | `{}` | `AssertionError: 1 != 2` |\n\n### Failure Cluster\n\n- accuracy drop\n\n</details>\n",
                spelling.0, spelling.1
            )
        };
        let comment = format!(
            "<!-- processed_job_ids: 1,2 -->\n## `nightly-test-amd.yml` — 2 failure(s)\n{}{}",
            block(
                1,
                ("test/registered/amd/test_x.py", "test_m (__main__.TestX)")
            ),
            block(2, ("registered/amd/test_x.py", "TestX::test_m")),
        );
        let analyses = crate::report::parse_blocks(&comment);
        assert_eq!(analyses.len(), 2);
        let text = cross_job_summary(&analyses).unwrap();
        let rows = table_rows(&text);
        assert_eq!(
            rows.len(),
            1,
            "one test, spelt two ways, is one row:\n{text}"
        );
        assert!(
            rows[0].contains("`registered/amd/test_x.py`")
                && rows[0].contains("`TestX::test_m`")
                && rows[0].contains("in 2 jobs"),
            "{rows:?}"
        );
    }

    #[test]
    fn a_cluster_column_wins_over_the_reports_single_cluster_line() {
        let a = JobAnalysis {
            analysis: "### Failed Tests\n\n| Test File | Test Function | Error | Cluster |\n|---|---|---|---|\n| `a.py` | `t1` | `E1` | `c-one` |\n| `b.py` | `t2` | `E2` | `c-two` |\n\n### Failure Cluster\n\n- `c-one`\n".into(),
            ..job(1, "a", 10, "2026-11-24T01:00:00Z", "x", "x")
        };
        let b = JobAnalysis {
            job_id: crate::domain::JobId::new(2),
            job_name: "b".into(),
            ..a.clone()
        };
        let text = cross_job_summary(&[a, b]).unwrap();
        let rows = table_rows(&text);
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert!(rows
            .iter()
            .any(|r| r.contains("`c-one`") && r.contains("`t1`")));
        assert!(rows
            .iter()
            .any(|r| r.contains("`c-two`") && r.contains("`t2`")));
        assert!(rows.iter().all(|r| r.contains("in 2 jobs")), "{rows:?}");
        assert!(
            text.starts_with("**Counts**: 4 failures · 2 clusters"),
            "{text}"
        );
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
            &[],
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

    fn listed(id: u64, started: &str, completed: bool) -> WindowRun {
        let id = RunId::new(id);
        WindowRun {
            id,
            url: format!("https://github.com/sgl-project/sglang/actions/runs/{id}"),
            started_at: started.into(),
            completed,
            green: completed,
            head_sha: None,
        }
    }

    #[test]
    fn w25_green_runs_count_unfinished_runs_do_not_and_a_fix_is_visible() {
        let analyses = [
            job(1, "always", 100, "2026-11-24T01:00:00Z", "c", "t"),
            job(2, "fixed", 100, "2026-11-24T01:00:00Z", "c", "t"),
            job(3, "always", 200, "2026-11-24T02:00:00Z", "c", "t"),
            job(4, "fixed", 200, "2026-11-24T02:00:00Z", "c", "t"),
            job(5, "always", 400, "2026-11-24T04:00:00Z", "c", "t"),
            job(6, "early", 500, "2026-11-24T05:00:00Z", "c", "t"),
        ];
        let window = [
            listed(100, "2026-11-24T01:00:00Z", true),
            listed(200, "2026-11-24T02:00:00Z", true),
            // Green: no analysed job, yet it is a run in which `always` did not fail.
            listed(300, "2026-11-24T03:00:00Z", true),
            listed(400, "2026-11-24T04:00:00Z", true),
            // Still running: shown, not counted, and not "the latest".
            listed(500, "2026-11-24T05:00:00Z", false),
            // Failed but never analysed: unknown, so neither shown nor counted.
            WindowRun {
                green: false,
                ..listed(250, "2026-11-24T02:30:00Z", true)
            },
        ];
        let body = cross_run_comment("x.yml", &analyses, &window, "now", "p", None).unwrap();
        assert!(
            body.contains("Cross-Run Pattern Summary (4 runs in lookback window)"),
            "{body}"
        );
        let section = |name: &str| {
            let start = body.find(name).unwrap();
            body[start..].split("\n### ").next().unwrap().to_string()
        };
        assert!(section("### Persistent").contains("_(none)_"), "{body}");
        assert!(
            section("### Flaky").contains("- `always` — in 3/4 runs"),
            "{body}"
        );
        assert!(
            section("### Flaky").contains("- `fixed` — in 2/4 runs ([`100`](https://github.com/sgl-project/sglang/actions/runs/100), [`200`](https://github.com/sgl-project/sglang/actions/runs/200)); passed in the latest run"),
            "{body}"
        );
        assert!(section("### Latest-only").contains("_(none)_"), "{body}");
        assert!(
            !body.contains("`early`"),
            "an unfinished run's jobs are not bucketed\n{body}"
        );
        assert!(body.contains("| [`300`](https://github.com/sgl-project/sglang/actions/runs/300) | 2026-11-24 03:00 | 0 |"));
        assert!(body.contains("| 1 (in progress, not counted) |"), "{body}");
        assert!(!body.contains("runs/250"), "{body}");
    }

    #[test]
    fn runs_are_ordered_by_time_then_numeric_id_never_as_strings() {
        let analyses = [
            job(1, "a", 99, "", "c", "t"),
            job(2, "a", 100, "", "c", "t"),
        ];
        let pattern = run_pattern(&analyses, &[]).unwrap();
        let ids: Vec<&str> = pattern.runs.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["99", "100"]);
        assert_eq!(pattern.persistent[0].job, "a");
    }

    #[test]
    fn g58_one_run_makes_no_cross_run_comment_and_empty_buckets_say_none() {
        let one = [
            job(1, "a", 100, "t1", "c", "t"),
            job(2, "b", 100, "t1", "c", "t"),
        ];
        assert_eq!(
            cross_run_comment("x.yml", &one, &[], "now", "p", None),
            None
        );
        let two = [
            job(1, "a", 100, "2026-11-24T01:00:00Z", "c", "t"),
            job(2, "a", 200, "2026-11-24T02:00:00Z", "c", "t"),
        ];
        let body = cross_run_comment("x.yml", &two, &[], "now", "p", Some("An agent wrote this."))
            .unwrap();
        assert!(body.contains("### Latest-only failures (potential regressions)\n\n_(none)_"));
        assert!(body.contains("### Agent assessment\n\nAn agent wrote this.\n"));
    }
}
