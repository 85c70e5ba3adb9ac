//! Issue #16 end to end: deep links to the failing log line, the last green and first red run
//! with the commits between them, and the why-line, through the real binary on the fake.

use fake_github::FakeGithub;
use serde_json::json;

use crate::monitor::{
    issue_number, job_block, scenario, tick, workflow_comments, BOT_REPO, EDIT_COMMENT, NIGHTLY,
    OPEN_ISSUE, POST_COMMENT, TODAY_TITLE, UPSTREAM,
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

const SHA1: &str = "a111111111111111111111111111111111111111";
const SHA2: &str = "a222222222222222222222222222222222222222";
const SHA2B: &str = "a2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2";
const SHA3: &str = "a333333333333333333333333333333333333333";
const SHA4: &str = "a444444444444444444444444444444444444444";
const JOB_NAME: &str = "nightly-test-1-gpu-amd (linux-mi325-gpu-1)";
const REPORTED_JOB: u64 = 58000000004;

/// A run of the nightly workflow on `sha` whose one job (always the same name) ended with
/// `conclusion`; a failed job has a log (only those in the window are analysed).
fn history_run(run: u64, sha: &str, created: &str, conclusion: &str) -> serde_json::Value {
    let mut job = json!({
        "id": 58000000000u64 + run % 10,
        "name": JOB_NAME,
        "conclusion": conclusion,
        "started_at": created,
        "steps": [{"name": "Run test", "conclusion": conclusion}],
    });
    if conclusion == "failure" {
        job["log"] = json!({"text": crate::monitor::pytest_log(
            "test/srt/test_radix_cache.py::TestRadix::test_evict",
            "AssertionError: expected 3 got 2",
        )});
    }
    json!({
        "id": run, "conclusion": conclusion, "head_sha": sha, "created_at": created,
        "jobs": [job]
    })
}

/// Four scheduled runs of the nightly workflow on four commits, with `conclusions` from the
/// oldest to the newest; only the newest is inside the monitor's 24-hour window. The commit
/// graph is a line: SHA1 ← SHA2 ← SHA2B ← SHA3 ← SHA4.
fn history(conclusions: [&str; 4]) -> FakeGithub {
    FakeGithub::start(scenario(json!({
        "bot_login": "amd-bot",
        "repos": {
            UPSTREAM: {
                "workflows": {NIGHTLY: [
                    history_run(19400000004, SHA4, "2026-11-24T01:00:00Z", conclusions[3]),
                    history_run(19400000003, SHA3, "2026-11-22T01:00:00Z", conclusions[2]),
                    history_run(19400000002, SHA2, "2026-11-21T01:00:00Z", conclusions[1]),
                    history_run(19400000001, SHA1, "2026-11-20T01:00:00Z", conclusions[0]),
                ]},
                "commits": [
                    {"sha": SHA1, "parents": []},
                    {"sha": SHA2, "parents": [SHA1]},
                    {"sha": SHA2B, "parents": [SHA2]},
                    {"sha": SHA3, "parents": [SHA2B]},
                    {"sha": SHA4, "parents": [SHA3]}
                ]
            },
            BOT_REPO: {}
        }
    })))
}

fn reported_block(fake: &FakeGithub) -> (String, String) {
    let issue = issue_number(fake, TODAY_TITLE);
    let body = workflow_comments(fake, issue, NIGHTLY)[0].body.clone();
    let block = job_block(&body, REPORTED_JOB).expect("the reported job's block");
    (body, block)
}

#[test]
fn green_green_red_red_names_the_last_green_and_first_red_run_and_the_commits_between() {
    let fake = history(["success", "success", "failure", "failure"]);
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT]);
    // The history: the listing of runs, the jobs of runs …03 and …02, the look-up of the
    // 22nd's daily issue for run …03's saved report (there is none; the 23rd's was read at
    // the tick's start), one compare.
    tick(&fake)
        .stderr_contains("since-when history: 5 request(s) (5 of the tick's 40 used)")
        .success();
    let (body, block) = reported_block(&fake);
    // Walking back from run …04: run …03 failed, run …02 passed. Between SHA2 and SHA3 lie
    // two commits (SHA2B and SHA3).
    assert!(
        block.contains(&format!(
            "**Since when**: last green [run 19400000002](https://github.com/sgl-project/sglang/actions/runs/19400000002) (`a222222`), first red [run 19400000003](https://github.com/sgl-project/sglang/actions/runs/19400000003) (`a333333`): [2 commits between them](https://github.com/sgl-project/sglang/compare/{SHA2}...{SHA3})"
        )),
        "{block}"
    );
    // The range rides in the job's hidden marker, where ci-status and the tracker read it.
    assert!(
        body.contains(&format!(
            "<!-- ci-monitor-since: {REPORTED_JOB} red=19400000003@{SHA3} failing=2 since=2026-11-22 green=19400000002@{SHA2} commits=2 -->"
        )),
        "{body}"
    );
    let parsed = sglang_bot::report::parse_blocks(&body);
    let since = parsed[0].since.as_ref().expect("the saved range");
    assert_eq!(since.commits, Some(2));
    assert!(
        !parsed[0].analysis.contains("Since when"),
        "{}",
        parsed[0].analysis
    );
    // Not the jobs of run …01: the walk stopped at the green run.
    let paths: Vec<String> = fake.requests().into_iter().map(|r| r.path).collect();
    assert!(paths
        .iter()
        .any(|p| p.contains("/actions/runs/19400000003/jobs")));
    assert!(paths
        .iter()
        .any(|p| p.contains("/actions/runs/19400000002/jobs")));
    assert!(!paths
        .iter()
        .any(|p| p.contains("/actions/runs/19400000001/jobs")));
    assert_eq!(
        paths.iter().filter(|p| p.contains("/compare/")).count(),
        1,
        "{paths:?}"
    );
}

#[test]
fn with_no_green_run_in_the_history_the_report_says_failing_in_all_n_runs_since_the_first() {
    let fake = history(["failure", "failure", "failure", "failure"]);
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT]);
    tick(&fake).success();
    let (_, block) = reported_block(&fake);
    assert!(
        block.contains("**Since when**: failing in all 4 runs since 2026-11-20, first red [run 19400000001](https://github.com/sgl-project/sglang/actions/runs/19400000001) (`a111111`)"),
        "{block}"
    );
    assert!(!block.contains("compare/"), "{block}");
    assert!(!fake.requests().iter().any(|r| r.path.contains("/compare/")));
}

#[test]
fn a_second_tick_reuses_the_saved_range_without_a_history_request() {
    let fake = history(["success", "success", "failure", "failure"]);
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT]);
    tick(&fake).success();
    let (first, _) = reported_block(&fake);
    fake.reset_requests();
    tick(&fake).success();
    let (second, _) = reported_block(&fake);
    assert_eq!(first, second, "the saved range is kept as it was");
    let history: Vec<String> = fake
        .requests()
        .into_iter()
        .map(|r| r.path)
        .filter(|p| {
            p.contains("/actions/runs/19400000003")
                || p.contains("/actions/runs/19400000002")
                || p.contains("/compare/")
                || (p.contains("/actions/workflows/") && !p.contains("created="))
        })
        .collect();
    assert!(history.is_empty(), "history requests: {history:?}");
}

#[test]
fn the_history_stops_at_the_request_budget_and_says_older_runs_were_not_read() {
    let fake = history(["success", "success", "failure", "failure"]);
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT]);
    // Two requests: the listing of runs and the jobs of run …03; run …02 is never read.
    tick(&fake)
        .file("sglang-bot.toml", "[monitor]\nhistory_requests = 2\n")
        .stderr_contains("since-when history: 2 request(s) (2 of the tick's 2 used)")
        .success();
    let (_, block) = reported_block(&fake);
    assert!(
        block.contains("**Since when**: failing in all 2 runs read since 2026-11-22, first red [run 19400000003](https://github.com/sgl-project/sglang/actions/runs/19400000003) (`a333333`); older runs were not read (history request budget)"),
        "{block}"
    );
    assert!(!fake
        .requests()
        .iter()
        .any(|r| r.path.contains("/actions/runs/19400000002/jobs")));
}

#[test]
fn a_new_failure_on_a_later_tick_reads_the_unchanged_history_as_free_304s() {
    let fake = history(["success", "success", "failure", "failure"]);
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT, EDIT_COMMENT]);
    // The ETag cache lives next to the state file, kept from one tick to the next.
    let cache = tempfile::tempdir().unwrap();
    let config = format!(
        "[monitor]\nstate_file = {:?}\n",
        cache.path().join("ci_monitor.json").display().to_string()
    );
    tick(&fake).file("sglang-bot.toml", &config).success();
    // A fifth run fails the same job; the next tick analyses it and walks the history again.
    fake.add(scenario(
        json!({"repos": {UPSTREAM: {"workflows": {NIGHTLY: [
            history_run(19400000005, SHA4, "2026-11-24T05:00:00Z", "failure")
        ]}}}}),
    ));
    fake.reset_requests();
    tick(&fake)
        .env("SGLANG_BOT_NOW", "2026-11-24T06:30:00Z")
        .file("sglang-bot.toml", &config)
        .success();
    let issue = issue_number(&fake, TODAY_TITLE);
    let body = &workflow_comments(&fake, issue, NIGHTLY)[0].body;
    let block = job_block(body, 58000000005).expect("the new job's block");
    // Runs …04 and …03 failed, …02 passed: the same range, one more failing run.
    assert!(
        body.contains(&format!(
            "<!-- ci-monitor-since: 58000000005 red=19400000003@{SHA3} failing=3 since=2026-11-22 green=19400000002@{SHA2} commits=2 -->"
        )),
        "{block}"
    );
    // The runs' jobs and the compare were read on the first tick: unchanged, so 304s.
    let history: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| {
            [
                "19400000002/jobs",
                "19400000003/jobs",
                "19400000004/jobs",
                "/compare/",
            ]
            .iter()
            .any(|p| r.path.contains(p))
        })
        .collect();
    assert_eq!(history.len(), 4, "{history:?}");
    for r in &history {
        assert_eq!(r.status, 304, "{} {}", r.method, r.path);
    }
}

/// A pytest log failing `tests`, each with an assertion.
fn failing_log(tests: &[&str]) -> String {
    let mut log = String::from(
        "2026-11-24T05:00:00.0000000Z ##[group]Run docker exec ci_sglang pytest -q test/srt\n\
         2026-11-24T05:00:00.1000000Z ##[endgroup]\n",
    );
    for t in tests {
        log.push_str(&format!(
            "2026-11-24T05:00:10.0000000Z FAILED {t} - AssertionError: expected 3 got 2\n"
        ));
    }
    log.push_str("2026-11-24T05:00:10.2000000Z ##[error]Process completed with exit code 1.\n");
    log
}

#[test]
fn a_failure_newer_than_the_job_is_named_with_the_run_it_first_appeared_in_from_the_earlier_report()
{
    const OLD: &str = "test/srt/test_radix_cache.py::TestRadix::test_evict";
    const NEW: &str = "test/srt/test_radix_cache.py::TestRadix::test_insert";
    let mut r3 = history_run(19400000003, SHA3, "2026-11-22T01:00:00Z", "failure");
    r3["jobs"][0]["log"] = json!({"text": failing_log(&[OLD])});
    let mut r4 = history_run(19400000004, SHA4, "2026-11-24T01:00:00Z", "failure");
    r4["jobs"][0]["log"] = json!({"text": failing_log(&[OLD, NEW])});
    let fake = FakeGithub::start(scenario(json!({
        "bot_login": "amd-bot",
        "repos": {
            UPSTREAM: {
                "workflows": {NIGHTLY: [
                    r3,
                    history_run(19400000002, SHA2, "2026-11-21T01:00:00Z", "success"),
                    history_run(19400000001, SHA1, "2026-11-20T01:00:00Z", "success"),
                ]},
                "commits": [
                    {"sha": SHA1, "parents": []},
                    {"sha": SHA2, "parents": [SHA1]},
                    {"sha": SHA2B, "parents": [SHA2]},
                    {"sha": SHA3, "parents": [SHA2B]},
                    {"sha": SHA4, "parents": [SHA3]}
                ]
            },
            BOT_REPO: {}
        }
    })));
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT]);
    // On the 22nd the bot reports run …03's job (one failure) on that day's issue.
    tick(&fake)
        .env("SGLANG_BOT_NOW", "2026-11-22T06:00:00Z")
        .success();
    // On the 24th run …04's job fails twice: the old failure and a new one.
    fake.add(scenario(
        json!({"repos": {UPSTREAM: {"workflows": {NIGHTLY: [r4]}}}}),
    ));
    tick(&fake)
        .stderr_contains("since-when history: 6 request(s)")
        .success();
    let (body, block) = reported_block(&fake);
    let key = |test: &str| {
        let a = sglang_bot::logs::analyze_bytes(failing_log(&[test]).as_bytes());
        sglang_bot::domain::SignatureKey::of(&a.signatures[0]).expect("key")
    };
    // The job's range: last green …02, first red …03. The 22nd's report of run …03 shows the
    // old failure only, so the new one started in run …04.
    assert!(
        body.contains(&format!(
            "<!-- ci-monitor-since: {REPORTED_JOB} red=19400000003@{SHA3} failing=2 since=2026-11-22 green=19400000002@{SHA2} commits=2 sigs={}/19400000004@{SHA4}/19400000003@{SHA3} -->",
            key(NEW)
        )),
        "{body}"
    );
    assert!(
        block.contains(&format!(
            "\n- failure `{}` is newer: first seen in [run 19400000004](https://github.com/sgl-project/sglang/actions/runs/19400000004) (`a444444`); [run 19400000003](https://github.com/sgl-project/sglang/actions/runs/19400000003) (`a333333`) failed without it: [the commits between them](https://github.com/sgl-project/sglang/compare/{SHA3}...{SHA4})",
            key(NEW)
        )),
        "{block}"
    );
    assert!(
        !block.contains(&format!("`{}` is newer", key(OLD))),
        "{block}"
    );
}
