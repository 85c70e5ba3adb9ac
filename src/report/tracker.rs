//! The failure tracker's rows read from per-job reports without any model: the deterministic
//! reader the tracker falls back on (and the builtin backend's answer to the tracker task).
//! Its rules are the original's, kept exactly so a tracker issue does not change when the
//! bot is replaced: only the first `### Failed Tests` section of a report is read, only its
//! well-formed table rows count, cluster and status are the first lines of their sections,
//! and a job link has one `/job/` segment (ST-G45–ST-G48 in tests/GUARDS.md).

use serde::{Deserialize, Serialize};

use crate::domain::JobId;
use crate::report::JobAnalysis;

/// One failing test as the failure tracker records it (the agent's JSON row schema).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackerRow {
    pub workflow: String,
    pub test_file: String,
    pub test_function: String,
    pub cluster: String,
    /// One line.
    pub error: String,
    pub status: String,
    pub job_url: String,
    pub job_id: JobId,
    /// ISO-8601, e.g. `2026-06-11T06:41:00Z`.
    pub run_started_at: String,
}

/// The body of the first section headed exactly `### <name>` (trailing spaces allowed), up to
/// the next line starting with `###` (which includes `####`).
fn strict_section<'a>(report: &'a str, name: &str) -> Option<&'a str> {
    let mut start = None;
    let mut offset = 0;
    for line in report.split_inclusive('\n') {
        let text = line.trim_end_matches(['\n', '\r']);
        match start {
            Some(begin) if text.starts_with("###") => return Some(&report[begin..offset]),
            Some(_) => {}
            None => {
                let heading = text
                    .strip_prefix("###")
                    .filter(|rest| rest.starts_with(char::is_whitespace))
                    .map(|rest| rest.trim());
                if heading == Some(name) {
                    start = Some(offset + line.len());
                }
            }
        }
        offset += line.len();
    }
    start.map(|begin| &report[begin..])
}

/// The first non-blank line of a section, trimmed, or "" without the section.
fn first_value(report: &str, name: &str) -> String {
    strict_section(report, name)
        .and_then(|s| s.lines().map(str::trim).find(|l| !l.is_empty()))
        .unwrap_or_default()
        .to_string()
}

/// One surrounding pair of backticks removed.
fn unquote(cell: &str) -> &str {
    let cell = cell.trim();
    cell.strip_prefix('`')
        .and_then(|c| c.strip_suffix('`'))
        .unwrap_or(cell)
}

/// The upstream job page: the run URL (no trailing `/`) + `/job/<id>`, or the run URL alone
/// when either part is missing.
pub fn job_url(run_url: &str, job_id: JobId) -> String {
    let run = run_url.trim_end_matches('/');
    if run.is_empty() || job_id.get() == 0 {
        run.to_string()
    } else {
        format!("{run}/job/{job_id}")
    }
}

/// The tracker rows of one job's report: one per row of its first `### Failed Tests` table.
pub fn job_rows(workflow: &str, analysis: &JobAnalysis) -> Vec<TrackerRow> {
    let report = &analysis.analysis;
    let Some(table) = strict_section(report, "Failed Tests") else {
        return Vec::new();
    };
    let cluster = first_value(report, "Failure Cluster");
    let status = first_value(report, "Regression Status");
    table
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with('|') && !l.contains("---"))
        .filter_map(|line| {
            let cells: Vec<&str> = line.splitn(5, '|').collect();
            if cells.len() < 5 {
                return None;
            }
            let test_file = unquote(cells[1]);
            if test_file.is_empty()
                || test_file.eq_ignore_ascii_case("test file")
                || test_file.eq_ignore_ascii_case("test_file")
            {
                return None;
            }
            Some(TrackerRow {
                workflow: workflow.to_string(),
                test_file: test_file.to_string(),
                test_function: unquote(cells[2]).to_string(),
                cluster: cluster.clone(),
                error: cells[3].trim().to_string(),
                status: status.clone(),
                job_url: job_url(&analysis.run_url, analysis.job_id),
                job_id: analysis.job_id,
                run_started_at: analysis.started_at.clone().unwrap_or_default(),
            })
        })
        .collect()
}

/// The rows of every job of every workflow, in order.
pub fn rows(workflows: &[(String, Vec<JobAnalysis>)]) -> Vec<TrackerRow> {
    workflows
        .iter()
        .flat_map(|(wf, analyses)| analyses.iter().flat_map(move |a| job_rows(wf, a)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(report: &str) -> JobAnalysis {
        JobAnalysis {
            job_id: JobId::new(77),
            job_name: "stage-a-test-1-amd".into(),
            run_url: "https://github.com/sgl-project/sglang/actions/runs/9/".into(),
            started_at: Some("2026-11-24T06:41:00Z".into()),
            analysis: report.into(),
            ..JobAnalysis::default()
        }
    }

    const REPORT: &str = "### Failed Tests\n\n| Test File | Test Function | Error | Log |\n|---|---|---|---|\n| `test/a.py` | `TestA.test_x` | `ValueError: bad` | [log](x) |\n| `f.py` | | boom | |\n\n#### Notes\n| `late.py` | `t` | e | |\n### Failure Cluster\n\nhip-oom\n### Regression Status\n  new today  \n### Failed Tests\n| `second.py` | `t` | e | |\n";

    #[test]
    fn g45_only_the_first_failed_tests_section_is_read_and_it_ends_at_any_triple_hash() {
        let rows = job_rows("pr-test-amd.yml", &job(REPORT));
        let files: Vec<&str> = rows.iter().map(|r| r.test_file.as_str()).collect();
        assert_eq!(files, ["test/a.py", "f.py"]);
        assert!(job_rows("wf", &job("### Failed Tests (3)\n| `a.py` | `t` | e | |\n")).is_empty());
        assert!(job_rows("wf", &job("### Root Cause\nnone")).is_empty());
    }

    #[test]
    fn g46_separator_header_short_and_empty_rows_are_skipped_and_error_keeps_its_ticks() {
        let report = "### Failed Tests\n| test_file | fn | err | |\n|:---|---|---|---|\n| a.py | t | only three pipes\n|  | t | e | |\nnot a row\n| `x.py` | `t` | `E: y` | |\n| `f.py` | | boom | |\n";
        let rows = job_rows("wf", &job(report));
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0].test_file, "x.py");
        assert_eq!(rows[0].test_function, "t");
        assert_eq!(rows[0].error, "`E: y`");
        assert_eq!(rows[1].test_function, "");
        assert_eq!(rows[1].error, "boom");
    }

    #[test]
    fn g47_cluster_and_status_are_the_first_lines_of_their_sections_or_empty() {
        let rows = job_rows("wf", &job(REPORT));
        assert_eq!(rows[0].cluster, "hip-oom");
        assert_eq!(rows[0].status, "new today");
        let bare = job_rows("wf", &job("### Failed Tests\n| a.py | t | e | |\n"));
        assert_eq!(
            (bare[0].cluster.as_str(), bare[0].status.as_str()),
            ("", "")
        );
    }

    #[test]
    fn g48_job_urls_have_one_job_segment_and_degrade_to_the_run_url() {
        assert_eq!(
            job_url("https://github.com/o/r/actions/runs/9/", JobId::new(77)),
            "https://github.com/o/r/actions/runs/9/job/77"
        );
        assert_eq!(job_url("", JobId::new(77)), "");
        assert_eq!(
            job_url("https://github.com/o/r/actions/runs/9", JobId::new(0)),
            "https://github.com/o/r/actions/runs/9"
        );
        let row = &job_rows("pr-test-amd.yml", &job(REPORT))[0];
        assert_eq!(
            (
                row.workflow.as_str(),
                row.job_id,
                row.run_started_at.as_str()
            ),
            ("pr-test-amd.yml", JobId::new(77), "2026-11-24T06:41:00Z")
        );
    }
}
