//! The failure tracker's model task: its prompt and context file, and the reading of the
//! answer. The answer is untrusted: the JSON block is found as the original found it
//! (ST-G28–ST-G32), then every row is checked field by field, and a row with a wrong type is
//! dropped with a warning instead of failing the run.

use serde_json::{Map, Value};

use super::tasks::TrackerRow;
use crate::domain::JobId;
use crate::report::markers::{TRACKER_DATA_END, TRACKER_DATA_START};
use crate::report::JobAnalysis;

/// The context file the prompt names (under `.ci-context/`).
pub const TRACKER_ANALYSES: &str = "failure-tracker-analyses.md";

/// The agent prompt: the task line, the tracked workflows and where the analyses are.
pub fn tracker_prompt(workflows: &[(String, Vec<JobAnalysis>)]) -> String {
    let names: Vec<&str> = workflows.iter().map(|(wf, _)| wf.as_str()).collect();
    format!(
        "Task: Failure Tracker Data\nWorkflows: {}\nPer-workflow per-job analyses: .ci-context/{TRACKER_ANALYSES}\nSource: current directory\nGitHub API token: $GH_PAT\n",
        names.join(", ")
    )
}

/// The context file: per workflow a heading, then each job's facts and analysis.
pub fn tracker_context(workflows: &[(String, Vec<JobAnalysis>)]) -> String {
    let mut blocks = Vec::new();
    for (wf, analyses) in workflows {
        blocks.push(format!("# Workflow: {wf}"));
        if analyses.is_empty() {
            blocks.push("_(no failures in today's daily issue)_\n".into());
        }
        for a in analyses {
            blocks.push(format!(
                "## Job: {}\nWorkflow: {wf}\nJob ID: {}\nRun URL: {}\nStarted: {}\n\n{}\n",
                a.job_name,
                a.job_id,
                a.run_url,
                a.started_at.as_deref().unwrap_or("N/A"),
                a.analysis.trim()
            ));
        }
    }
    blocks.join("\n\n---\n\n")
}

/// What the API model is asked (it has no files: the context goes inline).
pub fn tracker_api_prompt(workflows: &[(String, Vec<JobAnalysis>)]) -> String {
    format!(
        "Task: Failure Tracker Data\nFrom the per-job analyses below, list every failing (workflow, test_file, test_function) once. Output ONLY {TRACKER_DATA_START}, a ```json fenced array of objects with the string fields workflow, test_file, test_function (or N/A), cluster, error (one line), status, job_url, run_started_at and the number job_id, then {TRACKER_DATA_END}. Never emit first_seen or durations. [] means nothing failed.\n\n{}",
        tracker_context(workflows)
    )
}

/// Strips fence lines (an opener with an optional lower-case `json`, a closing fence).
fn without_fences(text: &str) -> String {
    text.lines()
        .filter(|l| {
            let t = l.trim_end();
            !(t == "```" || t == "```json")
        })
        .map(|l| l.strip_suffix("```").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

/// The JSON array of the answer, as the original read it: the first data block (or the
/// whole answer), fences removed; an empty block is `[]`; without markers the text from the
/// first `[` to the last `]`. `None` when there is no array (then the fallback runs).
pub fn extract_tracker_rows(output: &str) -> Option<Vec<Map<String, Value>>> {
    if output.trim().is_empty() {
        return None;
    }
    let block = output.find(TRACKER_DATA_START).and_then(|start| {
        let rest = &output[start + TRACKER_DATA_START.len()..];
        rest.find(TRACKER_DATA_END).map(|end| &rest[..end])
    });
    let text = without_fences(block.unwrap_or(output));
    if text.is_empty() {
        return block.map(|_| Vec::new());
    }
    let json = if block.is_some() {
        text.as_str()
    } else {
        let (first, last) = (text.find('[')?, text.rfind(']')?);
        if last < first {
            return None;
        }
        &text[first..=last]
    };
    match serde_json::from_str::<Value>(json).ok()? {
        Value::Array(items) => Some(
            items
                .into_iter()
                .filter_map(|v| match v {
                    Value::Object(m) => Some(m),
                    _ => None,
                })
                .collect(),
        ),
        _ => None,
    }
}

/// A string field: missing or null is "", anything but a string is an error.
fn text(row: &Map<String, Value>, key: &str) -> Result<String, String> {
    match row.get(key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(format!("{key} is not a string: {other}")),
    }
}

/// The job id: a number or a string of digits; missing, null or "" is none (0).
fn job_id(row: &Map<String, Value>) -> Result<JobId, String> {
    match row.get("job_id") {
        None | Some(Value::Null) => Ok(JobId::new(0)),
        Some(Value::Number(n)) => n.as_u64().map(JobId::new).ok_or(format!("job_id {n}")),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(JobId::new(0)),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(JobId::new)
            .map_err(|_| format!("job_id {s:?}")),
        Some(other) => Err(format!("job_id is not a number: {other}")),
    }
}

/// One object checked field by field.
fn row(object: &Map<String, Value>) -> Result<TrackerRow, String> {
    Ok(TrackerRow {
        workflow: text(object, "workflow")?,
        test_file: text(object, "test_file")?,
        test_function: text(object, "test_function")?,
        cluster: text(object, "cluster")?,
        error: text(object, "error")?,
        status: text(object, "status")?,
        job_url: text(object, "job_url")?,
        job_id: job_id(object)?,
        run_started_at: text(object, "run_started_at")?,
    })
}

/// The rows of an answer and a warning per dropped row; `None` when the answer holds no
/// array (the caller falls back).
pub fn parse_tracker_answer(output: &str) -> Option<(Vec<TrackerRow>, Vec<String>)> {
    let objects = extract_tracker_rows(output)?;
    let mut rows = Vec::new();
    let mut warnings = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        match row(object) {
            Ok(r) => rows.push(r),
            Err(why) => warnings.push(format!("tracker row {} dropped: {why}", i + 1)),
        }
    }
    Some((rows, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROW: &str = r#"{"workflow": "pr-test-amd.yml", "test_file": "test/a.py", "test_function": "TestA.test_x", "cluster": "oom", "error": "E", "status": "new today", "job_url": "https://x/job/7", "job_id": 7, "run_started_at": "2026-11-24T06:00:00Z"}"#;

    #[test]
    fn g28_markers_with_a_fenced_array_are_read_and_the_text_around_ignored() {
        let out = format!(
            "Here you go\n{TRACKER_DATA_START}\n```json\n[{ROW}]\n```\n{TRACKER_DATA_END}\nbye"
        );
        let (rows, warnings) = parse_tracker_answer(&out).unwrap();
        assert_eq!(rows.len(), 1);
        assert!(warnings.is_empty());
        assert_eq!(rows[0].job_id, JobId::new(7));
        assert_eq!(rows[0].test_function, "TestA.test_x");
    }

    #[test]
    fn g29_an_empty_block_is_no_failures_not_a_fallback() {
        assert_eq!(
            extract_tracker_rows(&format!("{TRACKER_DATA_START}\n{TRACKER_DATA_END}")),
            Some(vec![])
        );
        assert_eq!(
            extract_tracker_rows(&format!(
                "{TRACKER_DATA_START}\n```json\n```\n{TRACKER_DATA_END}"
            )),
            Some(vec![])
        );
    }

    #[test]
    fn g30_a_bare_array_in_prose_is_salvaged() {
        let rows = extract_tracker_rows(&format!("The rows: [{ROW}] as asked.")).unwrap();
        assert_eq!(rows.len(), 1);
    }

    #[test]
    fn g31_no_array_gives_none_so_the_fallback_runs() {
        for bad in [
            "".to_string(),
            "no brackets".into(),
            "[not json]".into(),
            format!("{TRACKER_DATA_START}\n{{\"a\": 1}}\n{TRACKER_DATA_END}"),
            format!("{TRACKER_DATA_START}\nprose [{ROW}]\n{TRACKER_DATA_END}"),
            format!("{TRACKER_DATA_START}\n```JSON\n[{ROW}]\n```\n{TRACKER_DATA_END}"),
            "] backwards [".into(),
        ] {
            assert_eq!(extract_tracker_rows(&bad), None, "{bad}");
        }
    }

    #[test]
    fn g32_and_weakness_7_non_objects_and_rows_with_wrong_types_are_dropped_alone() {
        let out = format!(
            "[1, \"x\", {ROW}, {{\"workflow\": 5, \"test_file\": \"b.py\"}}, {{\"test_file\": [\"c\"]}}, {{\"test_file\": \"d.py\", \"job_id\": \"12\"}}]"
        );
        let (rows, warnings) = parse_tracker_answer(&out).unwrap();
        let files: Vec<&str> = rows.iter().map(|r| r.test_file.as_str()).collect();
        assert_eq!(files, ["test/a.py", "d.py"]);
        assert_eq!(rows[1].job_id, JobId::new(12));
        assert_eq!(warnings.len(), 2, "{warnings:?}");
    }

    #[test]
    fn the_context_and_prompt_name_each_workflow_and_job() {
        let a = JobAnalysis {
            job_id: JobId::new(7),
            job_name: "stage-a".into(),
            run_url: "https://github.com/o/r/actions/runs/9".into(),
            analysis: "  ### Failed Tests\n".into(),
            ..JobAnalysis::default()
        };
        let wfs = vec![
            ("pr-test-amd.yml".to_string(), vec![a]),
            ("nightly-test-amd.yml".to_string(), vec![]),
        ];
        let ctx = tracker_context(&wfs);
        assert!(ctx.contains("## Job: stage-a\nWorkflow: pr-test-amd.yml\nJob ID: 7\nRun URL: https://github.com/o/r/actions/runs/9\nStarted: N/A\n\n### Failed Tests\n"));
        assert!(ctx.contains("\n\n---\n\n# Workflow: nightly-test-amd.yml\n\n---\n\n_(no failures in today's daily issue)_"));
        let prompt = tracker_prompt(&wfs);
        assert!(prompt.starts_with(
            "Task: Failure Tracker Data\nWorkflows: pr-test-amd.yml, nightly-test-amd.yml\n"
        ));
        assert!(prompt.contains("$GH_PAT"));
    }
}
