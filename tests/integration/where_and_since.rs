//! Issue #16 end to end: deep links to the failing log line, the last green and first red run
//! with the commits between them, and the why-line, through the real binary on the fake.

use fake_github::FakeGithub;
use serde_json::json;

use crate::monitor::{
    issue_number, job_block, scenario, tick, workflow_comments, BOT_REPO, NIGHTLY, OPEN_ISSUE,
    POST_COMMENT, TODAY_TITLE, UPSTREAM,
};

/// A job whose steps carry the API's numbers (step 3 is missing, as GitHub sometimes numbers
/// them) and whose log has one `##[group]Run …` section per step that prints.
fn stepped_job(id: u64) -> serde_json::Value {
    let log = "\
2026-11-24T01:02:00.1000000Z Current runner version: '2.329.0'
2026-11-24T01:02:01.1000000Z ##[group]Run actions/checkout@v4
2026-11-24T01:02:01.2000000Z ##[endgroup]
2026-11-24T01:02:02.1000000Z ##[group]Run docker exec ci_sglang pytest -q test/srt
2026-11-24T01:02:02.2000000Z ##[endgroup]
2026-11-24T01:02:03.0000000Z E   AssertionError: expected 3 got 2
2026-11-24T01:02:03.1000000Z FAILED test/srt/test_radix_cache.py::TestRadix::test_evict - AssertionError: expected 3 got 2
2026-11-24T01:02:03.2000000Z ========== 1 failed, 3 passed in 9.80s ==========
2026-11-24T01:02:03.3000000Z ##[error]Process completed with exit code 1.
2026-11-24T01:02:04.0000000Z Cleaning up orphan processes
";
    json!({
        "id": id,
        "name": "stage-a-test-1-amd (linux-mi325-gpu-1, 0)",
        "conclusion": "failure",
        "started_at": "2026-11-24T01:02:00Z",
        "steps": [
            {"name": "Set up job", "conclusion": "success", "number": 1},
            {"name": "Checkout code", "conclusion": "success", "number": 2},
            {"name": "Run test", "conclusion": "failure", "number": 4},
            {"name": "Complete job", "conclusion": "success", "number": 5}
        ],
        "log": {"text": log}
    })
}

fn one_failed_job() -> FakeGithub {
    FakeGithub::start(scenario(json!({
        "bot_login": "amd-bot",
        "repos": {
            UPSTREAM: {"workflows": {NIGHTLY: [{
                "id": 19300000001u64, "conclusion": "failure",
                "head_sha": "2222222222222222222222222222222222222222",
                "created_at": "2026-11-24T01:00:00Z",
                "jobs": [stepped_job(57000000001)]
            }]}},
            BOT_REPO: {}
        }
    })))
}

#[test]
fn failed_tests_and_evidence_link_to_their_line_in_githubs_log_viewer_and_the_failing_step_agrees_with_the_job_table(
) {
    let fake = one_failed_job();
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT]);
    tick(&fake).success();
    let issue = issue_number(&fake, TODAY_TITLE);
    let body = &workflow_comments(&fake, issue, NIGHTLY)[0].body;
    let block = job_block(body, 57000000001).expect("the job's block");
    let job_url = "https://github.com/sgl-project/sglang/actions/runs/19300000001/job/57000000001";
    // The job table (the block's summary) names the API's failed step; the analysis too.
    assert!(
        block.contains("— failed step(s): Run test</summary>"),
        "{block}"
    );
    assert!(
        block.contains(&format!(
            "- **Failing step**: `Run test` ([step 4]({job_url}#step:4), "
        )),
        "{block}"
    );
    // One file failed, for one reason: the why-line says so under the category.
    assert!(
        block.contains(
            "- **Category**: test failure\n- **In one line**: 1 file failed: 1 assertion\n"
        ),
        "{block}"
    );
    // Step 4 starts at L4 (`##[group]Run docker exec …`): the FAILED line L7 is its line 4,
    // the assertion L6 its line 3.
    assert!(
        block.contains(&format!("| [step 4, line 4]({job_url}#step:4:4) |")),
        "{block}"
    );
    assert!(
        block.contains(&format!(
            "- line 6 ([step 4, line 3]({job_url}#step:4:3)): `E   AssertionError: expected 3 got 2`"
        )),
        "{block}"
    );
}
