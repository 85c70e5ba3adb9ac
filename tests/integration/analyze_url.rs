//! `analyze-url` against the fake GitHub: a URL is checked whole before any request, and a
//! run's failed jobs end up in one report issue with a comment each.

use fake_github::FakeGithub;
use serde_json::json;

use crate::harness::Test;
use crate::monitor::{bot, failed_run, pytest_log, scenario, BOT_REPO, NIGHTLY, UPSTREAM};

const RUN: u64 = 19300000001;
const OPEN_ISSUE: &str = "POST /repos/amd-ci/sglang-ci-bot/issues";
const POST_COMMENT: &str = "POST /repos/amd-ci/sglang-ci-bot/issues/{number}/comments";
const EDIT_ISSUE: &str = "PATCH /repos/amd-ci/sglang-ci-bot/issues/{number}";

fn job(id: u64, name: &str, conclusion: &str, test: &str) -> serde_json::Value {
    json!({
        "id": id, "name": name, "conclusion": conclusion, "started_at": "2026-11-24T01:05:00Z",
        "steps": [{"name": "Run test", "conclusion": conclusion}],
        "log": {"text": pytest_log(test, &format!("AssertionError: {test} drifted"))}
    })
}

/// A run with three failed jobs, a gate job, a green one and one still running.
fn fake() -> FakeGithub {
    let jobs = json!([
        job(1, "stage-a-test-1-gpu-amd (linux-mi325-gpu-1)", "failure", "test/srt/test_alpha.py::TestAlpha::test_one"),
        job(2, "stage-b-test-1-gpu-amd (linux-mi325-gpu-1, 0)", "failure", "test/srt/test_beta.py::TestBeta::test_two"),
        job(3, "stage-b-test-1-gpu-amd (linux-mi325-gpu-1, 1)", "cancelled", "test/srt/test_gamma.py::TestGamma::test_three"),
        job(4, "pr-test-amd-finish", "failure", "test/srt/x.py::T::t"),
        job(5, "stage-a-test-2-gpu-amd", "success", "test/srt/y.py::T::t"),
        {"id": 6, "name": "stage-c-test", "status": "in_progress"}
    ]);
    FakeGithub::start(scenario(json!({
        "bot_login": "amd-bot",
        "repos": {
            UPSTREAM: {"workflows": {NIGHTLY: [failed_run(RUN, "2026-11-24T01:00:00Z", jobs)]}},
            BOT_REPO: {}
        }
    })))
}

fn url(tail: &str) -> String {
    format!("https://github.com/{UPSTREAM}/actions/runs/{RUN}{tail}")
}

#[test]
fn urls_that_are_no_run_or_job_of_the_target_are_refused_before_any_request() {
    let fake = fake();
    for bad in [
        "https://github.com/sgl-project/sglang/pull/24512",
        "https://github.com/someone-else/sglang/actions/runs/19300000001",
        "https://gitlab.com/sgl-project/sglang/actions/runs/19300000001",
        "https://notgithub.com/sgl-project/sglang/actions/runs/19300000001",
        "javascript:alert(1)",
        "",
    ] {
        let out = bot(&fake).args(["analyze-url", "--url", bad]).status(2);
        assert!(
            out.stderr.contains("actions/runs/RUN_ID") || out.stderr.contains("not of"),
            "{bad}: {out}"
        );
        assert!(
            !out.stderr.contains("analysis backends"),
            "refused before the backends: {out}"
        );
    }
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
}

#[test]
fn a_run_with_three_failed_jobs_gets_one_issue_with_each_jobs_tests_and_deep_links() {
    let fake = fake();
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT, EDIT_ISSUE]);
    let out = bot(&fake)
        .args([
            "--backend",
            "builtin",
            "analyze-url",
            "--url",
            &url("?pr=1#summary"),
        ])
        .success();
    let issues = fake.issues(BOT_REPO);
    assert_eq!(issues.len(), 1, "{out}");
    let issue = &issues[0];
    let title = format!("[Analyze] {NIGHTLY} run #{} (1111111)", RUN % 10_000);
    assert_eq!(issue.title, title);
    assert_eq!(issue.labels, ["analyze"]);
    assert_eq!(
        out.stdout.trim(),
        format!("Reported in issue #{}: {title}", issue.number)
    );
    for (id, test) in [
        (1, "test_alpha.py"),
        (2, "test_beta.py"),
        (3, "test_gamma.py"),
    ] {
        let deep = format!("https://github.com/{UPSTREAM}/actions/runs/{RUN}/job/{id}");
        assert!(issue.body.contains(&deep), "job {id} link:\n{}", issue.body);
        assert!(issue.body.contains(test), "job {id} test:\n{}", issue.body);
        assert!(issue.body.contains(&format!("<a id=\"job-{id}\"></a>")));
    }
    for skipped in [
        "pr-test-amd-finish",
        "stage-a-test-2-gpu-amd",
        "stage-c-test",
    ] {
        assert!(!issue.body.contains(skipped), "{skipped} is not analysed");
    }
    assert!(issue
        .body
        .starts_with("## Analysis: `nightly-test-amd.yml` — 3 failure(s)"));
    assert!(
        !issue.body.contains("in progress"),
        "the final report replaced it"
    );
    let comments = fake.comments(BOT_REPO, issue.number);
    assert_eq!(comments.len(), 3, "one comment per job");
    assert!(comments.iter().all(|c| c.body.starts_with("### `stage-")));
}

#[test]
fn a_job_url_analyses_that_job_and_without_a_bot_repo_the_report_is_printed() {
    let fake = fake();
    let out = Test::new()
        .env("GITHUB_API_URL", &fake.url())
        .env("GH_PAT", "test-token-1234567890")
        .args([
            "--backend",
            "builtin",
            "analyze-url",
            "--url",
            &url("/job/2"),
        ])
        .success();
    assert!(
        out.stdout
            .contains("[Analyze] stage-b-test-1-gpu-amd (linux-mi325-gpu-1, 0) (job 2)"),
        "{out}"
    );
    assert!(out.stdout.contains("test_beta.py"), "{out}");
    assert!(!out.stdout.contains("test_alpha.py"), "{out}");
    assert!(fake.writes().is_empty());
    assert!(fake.issues(BOT_REPO).is_empty());

    let json = bot(&fake)
        .args([
            "--dry-run",
            "--format",
            "json",
            "--backend",
            "builtin",
            "analyze-url",
            "--url",
            &url("/attempts/1"),
        ])
        .success();
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["jobs"].as_array().map(Vec::len), Some(3), "{value}");
    assert!(fake.writes().is_empty(), "a dry run writes nothing");

    // A job URL whose job belongs to another run is refused, not reported under this run.
    let other = format!(
        "https://github.com/{UPSTREAM}/actions/runs/{}/job/2",
        RUN + 1
    );
    let out = bot(&fake)
        .args(["--backend", "builtin", "analyze-url", "--url", &other])
        .status(2);
    assert!(out.stderr.contains("job 2 belongs to run"), "{out}");
}

#[test]
fn a_run_without_failed_jobs_says_so_in_its_issue() {
    let fake = FakeGithub::start(scenario(json!({
        "bot_login": "amd-bot",
        "repos": {
            UPSTREAM: {"workflows": {NIGHTLY: [{
                "id": RUN, "conclusion": "success", "created_at": "2026-11-24T01:00:00Z",
                "head_sha": "fe887e6935cb300e03bbe1897f9df01164b7d0aa",
                "jobs": [job(5, "stage-a-test-2-gpu-amd", "success", "t.py::T::t")]
            }]}},
            BOT_REPO: {}
        }
    })));
    fake.expect_writes([OPEN_ISSUE]);
    bot(&fake)
        .args(["--backend", "builtin", "analyze-url", "--url", &url("")])
        .success();
    let issues = fake.issues(BOT_REPO);
    assert_eq!(issues.len(), 1);
    assert!(
        issues[0].title.ends_with(" -- no failures found"),
        "{}",
        issues[0].title
    );
    assert!(issues[0]
        .body
        .contains("All jobs passed or are still running."));
}

#[test]
fn a_job_whose_log_is_gone_is_reported_as_such_the_others_are_analysed_and_the_exit_is_1() {
    let fake = FakeGithub::start(scenario(json!({
        "bot_login": "amd-bot",
        "repos": {
            UPSTREAM: {"workflows": {NIGHTLY: [failed_run(RUN, "2026-11-24T01:00:00Z", json!([
                job(1, "stage-a-test-1-gpu-amd", "failure", "test/srt/test_alpha.py::TestAlpha::test_one"),
                {"id": 2, "name": "stage-b-test-1-gpu-amd", "conclusion": "failure",
                 "started_at": "2026-11-24T01:05:00Z",
                 "steps": [{"name": "Run test", "conclusion": "failure"}], "log": "expired"}
            ]))]}},
            BOT_REPO: {}
        }
    })));
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT, EDIT_ISSUE]);
    let out = bot(&fake)
        .args(["--backend", "builtin", "analyze-url", "--url", &url("")])
        .status(1);
    let issue = &fake.issues(BOT_REPO)[0];
    assert!(issue.body.contains("test_alpha.py"), "{out}");
    let gone = issue
        .body
        .split("data-job-id=\"2\"")
        .nth(1)
        .expect("job 2 is in the report");
    assert!(gone.contains("analysis failed"), "{gone}");
    assert!(
        !issue.body.contains("### Summary"),
        "one analysis: no cross-job summary"
    );
    assert_eq!(fake.comments(BOT_REPO, issue.number).len(), 2);
}

#[test]
fn a_printed_report_carries_no_secret_from_the_log() {
    let fake = FakeGithub::start(scenario(json!({
        "bot_login": "amd-bot",
        "repos": {
            UPSTREAM: {"workflows": {NIGHTLY: [failed_run(RUN, "2026-11-24T01:00:00Z", json!([
                job(1, "stage-a-test-1-gpu-amd", "failure",
                    "test/srt/test_auth.py::TestAuth::test_login_with_test-token-1234567890")
            ]))]}},
            BOT_REPO: {}
        }
    })));
    for format in ["text", "json"] {
        let out = Test::new()
            .env("GITHUB_API_URL", &fake.url())
            .env("GH_PAT", "test-token-1234567890")
            .args([
                "--format",
                format,
                "--backend",
                "builtin",
                "analyze-url",
                "--url",
                &url(""),
            ])
            .success();
        assert!(out.stdout.contains("test_auth.py"), "{out}");
        assert!(
            !out.stdout.contains("test-token-1234567890"),
            "{format}: {out}"
        );
    }
}

#[test]
fn an_attempt_url_analyses_that_attempts_jobs_and_a_run_url_the_latest_attempts() {
    let mut first = job(
        11,
        "stage-a-test-1-gpu-amd",
        "failure",
        "test/srt/test_alpha.py::TestAlpha::test_one",
    );
    first["run_attempt"] = json!(1);
    let mut rerun = job(
        12,
        "stage-a-test-1-gpu-amd",
        "success",
        "test/srt/test_alpha.py::TestAlpha::test_one",
    );
    rerun["run_attempt"] = json!(2);
    let mut run = failed_run(RUN, "2026-11-24T01:00:00Z", json!([first, rerun]));
    run["run_attempt"] = json!(2);
    run["conclusion"] = json!("success");
    let fake = FakeGithub::start(scenario(json!({
        "bot_login": "amd-bot",
        "repos": {UPSTREAM: {"workflows": {NIGHTLY: [run]}}, BOT_REPO: {}}
    })));
    let json_of = |tail: &str| -> serde_json::Value {
        let out = bot(&fake)
            .args([
                "--dry-run",
                "--format",
                "json",
                "--backend",
                "builtin",
                "analyze-url",
                "--url",
                &url(tail),
            ])
            .success();
        serde_json::from_str(&out.stdout).unwrap()
    };
    let attempt = json_of("/attempts/1");
    assert_eq!(attempt["jobs"][0]["job_id"], 11, "{attempt}");
    assert!(attempt["body"].as_str().unwrap().contains("test_alpha.py"));
    let latest = json_of("");
    assert!(
        latest["title"]
            .as_str()
            .unwrap()
            .ends_with(" -- no failures found"),
        "{latest}"
    );
}
