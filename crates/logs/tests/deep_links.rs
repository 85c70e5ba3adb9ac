//! Deep links into GitHub's log viewer (`#step:N:L`), issue #16: constructed logs with the
//! job's steps beside them in the jobs API's JSON, and every link's step and line counted by
//! hand in the comments (L<n> is the line's number in the downloaded log).

use sglang_logs::text::timestamp_secs;
use sglang_logs::{analyze_bytes, render_markdown, ApiStep, LogLink, ReportContext, StepMap};

const JOB_URL: &str = "https://github.com/sgl-project/sglang/actions/runs/9/job/77";

/// The job's `steps` as the jobs API sends them, read the way the bot reads them.
fn steps(json: &str) -> Vec<ApiStep> {
    let value: serde_json::Value = serde_json::from_str(json).expect("steps json");
    let secs = |v: &serde_json::Value| v.as_str().and_then(|t| timestamp_secs(t.as_bytes()));
    value["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| ApiStep {
            number: s["number"].as_u64().expect("number") as u32,
            name: s["name"].as_str().unwrap_or_default().to_string(),
            started_secs: secs(&s["started_at"]),
            completed_secs: secs(&s["completed_at"]),
            ran: s["conclusion"] != "skipped",
            failed: s["conclusion"] == "failure",
        })
        .collect()
}

/// The map of `log` against `jobs_json`, as the report builds it.
fn map(log: &str, jobs_json: &str) -> StepMap {
    let a = analyze_bytes(log.as_bytes());
    StepMap::new(
        &a.run_sections,
        &steps(jobs_json),
        a.failing_step().map(|s| s.first_line),
    )
}

fn line(step: u32, line: u64) -> LogLink {
    LogLink::Line { step, line }
}

const EQUAL_LOG: &str = "\
2026-11-24T01:00:00.1000000Z Current runner version: '2.329.0'
2026-11-24T01:00:00.2000000Z Runner name: 'linux-mi325-gpu-1-x7k2p'
2026-11-24T01:00:01.1000000Z ##[group]Run actions/checkout@v4
2026-11-24T01:00:01.2000000Z with:
2026-11-24T01:00:01.3000000Z ##[endgroup]
2026-11-24T01:00:01.4000000Z HEAD is now at fe887e6 [AMD] Tune fused MoE configs
2026-11-24T01:00:02.1000000Z ##[group]Run python3 run_suite.py --hw amd --suite stage-b
2026-11-24T01:00:02.2000000Z python3 run_suite.py --hw amd --suite stage-b
2026-11-24T01:00:02.3000000Z ##[endgroup]
2026-11-24T01:00:02.9000000Z AssertionError: 0.61 not greater than or equal to 0.65
2026-11-24T01:00:03.0000000Z FAILED test/registered/test_a.py::TestA::test_x - AssertionError: 0.61 not greater than or equal to 0.65
2026-11-24T01:00:03.1000000Z ##[error]Process completed with exit code 1.
2026-11-24T01:00:04.0000000Z Post job cleanup.
2026-11-24T01:00:04.1000000Z [command]/usr/bin/git version
2026-11-24T01:00:05.0000000Z Cleaning up orphan processes
";

const EQUAL_JOB: &str = r#"{"id": 77, "steps": [
  {"name": "Set up job", "conclusion": "success", "number": 1, "started_at": "2026-11-24T01:00:00Z", "completed_at": "2026-11-24T01:00:01Z"},
  {"name": "Run actions/checkout@v4", "conclusion": "success", "number": 2, "started_at": "2026-11-24T01:00:01Z", "completed_at": "2026-11-24T01:00:02Z"},
  {"name": "Run test", "conclusion": "failure", "number": 3, "started_at": "2026-11-24T01:00:02Z", "completed_at": "2026-11-24T01:00:03Z"},
  {"name": "Post Run actions/checkout@v4", "conclusion": "success", "number": 5, "started_at": "2026-11-24T01:00:04Z", "completed_at": "2026-11-24T01:00:04Z"},
  {"name": "Complete job", "conclusion": "success", "number": 6, "started_at": "2026-11-24T01:00:05Z", "completed_at": "2026-11-24T01:00:05Z"}
]}"#;

#[test]
fn equal_section_and_step_counts_link_each_line_to_its_step_counted_from_the_run_header() {
    let m = map(EQUAL_LOG, EQUAL_JOB);
    // L2 is the runner's own output: step 1 (Set up job), which starts at L1.
    assert_eq!(m.link(2), line(1, 2));
    // L3 `##[group]Run actions/checkout@v4` is line 1 of step 2; L6 is its line 4.
    assert_eq!(m.link(3), line(2, 1));
    assert_eq!(m.link(6), line(2, 4));
    // L7 `##[group]Run python3 run_suite.py` starts step 3; the assertion L10 is its line 4,
    // the FAILED line L11 its line 5, the `##[error]` L12 its line 6.
    assert_eq!(m.link(10), line(3, 4));
    assert_eq!(m.link(11), line(3, 5));
    assert_eq!(m.link(12), line(3, 6));
    // L13 on is the post step and Complete job: no Run header, no line to count from.
    assert_eq!(m.link(14), LogLink::Job);
}

#[test]
fn the_report_links_failed_tests_and_evidence_and_names_the_failing_step_as_the_api_does() {
    let a = analyze_bytes(EQUAL_LOG.as_bytes());
    let ctx = ReportContext {
        job_url: Some(JOB_URL.into()),
        steps: steps(EQUAL_JOB),
        ..ReportContext::default()
    };
    let md = render_markdown(&a, &ctx);
    // The job table shows the API's failed step, `Run test`; so does the analysis.
    assert!(
        md.contains(&format!(
            "- **Failing step**: `Run test` ([step 3]({JOB_URL}#step:3), log lines 10–16"
        )),
        "{md}"
    );
    assert!(
        md.contains(&format!(
            "| `registered/test_a.py` | `TestA::test_x` | `AssertionError: 0.61 not greater than or equal to 0.65` | [step 3, line 5]({JOB_URL}#step:3:5) |"
        )),
        "{md}"
    );
    assert!(
        md.contains("| Test File | Test Function | Error | Log |"),
        "{md}"
    );
    assert!(
        md.contains(&format!(
            "- line 10 ([step 3, line 4]({JOB_URL}#step:3:4)): `AssertionError: 0.61"
        )),
        "{md}"
    );
}

#[test]
fn without_the_jobs_steps_the_report_keeps_plain_log_lines() {
    let a = analyze_bytes(EQUAL_LOG.as_bytes());
    let md = render_markdown(&a, &ReportContext::default());
    assert!(!md.contains("#step:"), "{md}");
    assert!(
        md.contains("| Test File | Test Function | Error |\n"),
        "{md}"
    );
    assert!(md.contains("- line 10: `AssertionError"), "{md}");
}

/// A composite action: one API step, three `##[group]Run …` sections.
const COMPOSITE_LOG: &str = "\
2026-11-24T01:00:00.5000000Z Current runner version: '2.329.0'
2026-11-24T01:00:01.1000000Z ##[group]Run ./.github/actions/setup-amd
2026-11-24T01:00:01.2000000Z ##[endgroup]
2026-11-24T01:00:01.3000000Z ##[group]Run pip install -e python
2026-11-24T01:00:01.4000000Z pip install -e python
2026-11-24T01:00:01.5000000Z ##[endgroup]
2026-11-24T01:00:02.0000000Z Successfully installed sglang-0.5.5
2026-11-24T01:00:03.2000000Z ##[group]Run docker pull rocm/sgl-dev:latest
2026-11-24T01:00:03.3000000Z ##[endgroup]
2026-11-24T01:00:03.5000000Z latest: Pulling from rocm/sgl-dev
2026-11-24T01:00:04.1000000Z ##[group]Run python3 run_suite.py --hw amd
2026-11-24T01:00:04.2000000Z ##[endgroup]
2026-11-24T01:00:05.0000000Z FAILED test/registered/test_b.py::TestB::test_y - AssertionError: boom
2026-11-24T01:00:05.1000000Z ##[error]Process completed with exit code 1.
2026-11-24T01:00:06.5000000Z Cleaning up orphan processes
";

const COMPOSITE_JOB: &str = r#"{"id": 78, "steps": [
  {"name": "Set up job", "conclusion": "success", "number": 1, "started_at": "2026-11-24T01:00:00Z", "completed_at": "2026-11-24T01:00:01Z"},
  {"name": "Set up the AMD container", "conclusion": "success", "number": 2, "started_at": "2026-11-24T01:00:01Z", "completed_at": "2026-11-24T01:00:03Z"},
  {"name": "Run test", "conclusion": "failure", "number": 3, "started_at": "2026-11-24T01:00:04Z", "completed_at": "2026-11-24T01:00:06Z"},
  {"name": "Complete job", "conclusion": "success", "number": 4, "started_at": "2026-11-24T01:00:06Z", "completed_at": "2026-11-24T01:00:06Z"}
]}"#;

#[test]
fn more_sections_than_steps_are_matched_by_time_and_a_composite_step_counts_from_its_first_header()
{
    let m = map(COMPOSITE_LOG, COMPOSITE_JOB);
    // Sections at L2, L4 and L8 start at 01.1, 01.3 and 03.2 s: inside step 2 (01…03 s).
    // Step 2 starts at L2, so L7 is its line 6 and L10 its line 9.
    assert_eq!(m.link(2), line(2, 1));
    assert_eq!(m.link(7), line(2, 6));
    assert_eq!(m.link(10), line(2, 9));
    // L11 starts at 04.1 s: step 3 (04…06 s). The FAILED line L13 is its line 3.
    assert_eq!(m.link(13), line(3, 3));
}

/// A job cancelled while its tests ran: `Upload logs` has a conclusion and times but never
/// printed anything, so it has no `##[group]` in the log.
const SILENT_STEP_LOG: &str = "\
2026-11-24T01:00:00.1000000Z Current runner version: '2.329.0'
2026-11-24T01:00:01.2000000Z ##[group]Run actions/checkout@v4
2026-11-24T01:00:01.3000000Z ##[endgroup]
2026-11-24T01:00:01.4000000Z HEAD is now at fe887e6
2026-11-24T01:00:02.1000000Z ##[group]Run python3 run_suite.py --hw amd
2026-11-24T01:00:02.2000000Z ##[endgroup]
2026-11-24T01:00:02.3000000Z Begin (0/1): python3 /sglang-checkout/test/registered/test_c.py
2026-11-24T01:00:04.0000000Z FAILED test/registered/test_c.py::TestC::test_z - RuntimeError: HIP error: an illegal memory access was encountered
2026-11-24T01:00:04.5000000Z ##[error]Process completed with exit code 1.
2026-11-24T01:00:06.0000000Z Cleaning up orphan processes
";

const SILENT_STEP_JOB: &str = r#"{"id": 79, "steps": [
  {"name": "Set up job", "conclusion": "success", "number": 1, "started_at": "2026-11-24T01:00:00Z", "completed_at": "2026-11-24T01:00:01Z"},
  {"name": "Checkout", "conclusion": "success", "number": 2, "started_at": "2026-11-24T01:00:01Z", "completed_at": "2026-11-24T01:00:01Z"},
  {"name": "Run test", "conclusion": "failure", "number": 3, "started_at": "2026-11-24T01:00:02Z", "completed_at": "2026-11-24T01:00:04Z"},
  {"name": "Upload logs", "conclusion": "cancelled", "number": 4, "started_at": "2026-11-24T01:00:05Z", "completed_at": "2026-11-24T01:00:05Z"},
  {"name": "Skipped summary", "conclusion": "skipped", "number": 5, "started_at": "2026-11-24T01:00:05Z", "completed_at": "2026-11-24T01:00:05Z"},
  {"name": "Complete job", "conclusion": "success", "number": 6, "started_at": "2026-11-24T01:00:06Z", "completed_at": "2026-11-24T01:00:06Z"}
]}"#;

#[test]
fn a_step_with_no_group_in_the_log_is_passed_over_by_time() {
    let m = map(SILENT_STEP_LOG, SILENT_STEP_JOB);
    // Two sections, three steps that ran (2, 3, 4): matched by time. L2 (01.2 s) is step 2,
    // L5 (02.1 s) step 3; the FAILED line L8 is line 8-5+1 = 4 of step 3, L9 line 5.
    assert_eq!(m.link(4), line(2, 3));
    assert_eq!(m.link(8), line(3, 4));
    assert_eq!(m.link(9), line(3, 5));
    // Before the first section: Set up job, from line 1.
    assert_eq!(m.link(1), line(1, 1));
}

/// No timestamps, and one more step that ran than sections: nothing says which is which.
const AMBIGUOUS_LOG: &str = "\
Current runner version: '2.329.0'
##[group]Run actions/checkout@v4
##[endgroup]
HEAD is now at fe887e6
##[group]Run python3 run_suite.py --hw amd
##[endgroup]
FAILED test/registered/test_d.py::TestD::test_w - AssertionError: 1 != 2
##[error]Process completed with exit code 1.
";

const AMBIGUOUS_JOB: &str = r#"{"id": 80, "steps": [
  {"name": "Set up job", "conclusion": "success", "number": 1},
  {"name": "Checkout", "conclusion": "success", "number": 2},
  {"name": "Start container", "conclusion": "success", "number": 3},
  {"name": "Run test", "conclusion": "failure", "number": 4},
  {"name": "Complete job", "conclusion": "success", "number": 5}
]}"#;

#[test]
fn an_ambiguous_mapping_links_the_failing_step_without_a_line_and_other_lines_to_the_job() {
    let m = map(AMBIGUOUS_LOG, AMBIGUOUS_JOB);
    // The FAILED line L7 is in the failing section, and the API names one failed step (4):
    // the step is known, its line is not.
    assert_eq!(m.link(7), LogLink::Step { step: 4 });
    assert_eq!(m.link(7).fragment(), "#step:4");
    // L4 is in a section that could be step 2 or 3: the job page.
    assert_eq!(m.link(4), LogLink::Job);
    assert_eq!(m.link(4).fragment(), "");
    // The runner's lines before any section are still Set up job's, from line 1.
    assert_eq!(m.link(1), line(1, 1));

    let a = analyze_bytes(AMBIGUOUS_LOG.as_bytes());
    let ctx = ReportContext {
        job_url: Some(JOB_URL.into()),
        steps: steps(AMBIGUOUS_JOB),
        ..ReportContext::default()
    };
    let md = render_markdown(&a, &ctx);
    assert!(
        md.contains(&format!("| [step 4]({JOB_URL}#step:4) |")),
        "{md}"
    );
}

#[test]
fn two_steps_holding_a_sections_start_time_leave_it_ambiguous() {
    // Steps 2 and 3 both ran within second 01: a section starting at 01.5 s could be either,
    // so L2 and L3 (in that section, not the failing one) link to the job page; the section
    // at 04.1 s is step 4's alone: the FAILED line L5 is its line 2.
    let log = "\
2026-11-24T01:00:00.1000000Z Current runner version: '2.329.0'
2026-11-24T01:00:01.5000000Z ##[group]Run make setup
2026-11-24T01:00:01.6000000Z done
2026-11-24T01:00:04.1000000Z ##[group]Run python3 run_suite.py
2026-11-24T01:00:05.0000000Z FAILED test/registered/test_e.py::TestE::test_v - AssertionError: no
2026-11-24T01:00:05.1000000Z ##[error]Process completed with exit code 1.
";
    let job = r#"{"steps": [
      {"name": "Set up job", "conclusion": "success", "number": 1, "started_at": "2026-11-24T01:00:00Z", "completed_at": "2026-11-24T01:00:01Z"},
      {"name": "Setup", "conclusion": "success", "number": 2, "started_at": "2026-11-24T01:00:01Z", "completed_at": "2026-11-24T01:00:01Z"},
      {"name": "Warm up", "conclusion": "success", "number": 3, "started_at": "2026-11-24T01:00:01Z", "completed_at": "2026-11-24T01:00:02Z"},
      {"name": "Run test", "conclusion": "failure", "number": 4, "started_at": "2026-11-24T01:00:04Z", "completed_at": "2026-11-24T01:00:05Z"}
    ]}"#;
    let m = map(log, job);
    assert_eq!(m.link(2), LogLink::Job);
    assert_eq!(m.link(3), LogLink::Job);
    assert_eq!(m.link(5), line(4, 2));
}
