//! `monitor` end to end: the real binary against the fake GitHub, with the builtin analyser so
//! every report is deterministic. Guard codes (`M-G…`) point at tests/GUARDS.md, which says
//! what each one pins.

use std::path::Path;

use fake_github::{FakeComment, FakeGithub, FakeIssue, Scenario};
use serde_json::json;

use crate::harness::Test;

pub(crate) const BOT_REPO: &str = "amd-ci/sglang-ci-bot";
pub(crate) const UPSTREAM: &str = "sgl-project/sglang";
pub(crate) const NIGHTLY: &str = "nightly-test-amd.yml";
pub(crate) const PR_TEST: &str = "pr-test-amd.yml";
pub(crate) const TODAY_TITLE: &str = "[CI Monitor] Daily Report - 2026-11-24";
pub(crate) const CROSS_RUN: &str = "<!-- ci-monitor-cross-run-summary: ";

// The writes a test may declare (`fake.expect_writes`), named after what they do to the bot
// repository; any write a test does not declare fails it.
/// Opening the day's issue.
pub(crate) const OPEN_ISSUE: &str = "POST /repos/amd-ci/sglang-ci-bot/issues";
/// Editing an issue (closing a duplicate day's issue).
pub(crate) const EDIT_ISSUE: &str = "PATCH /repos/amd-ci/sglang-ci-bot/issues/{number}";
/// Posting a comment: a report part, a cross-run comment, a link to the surviving issue.
pub(crate) const POST_COMMENT: &str = "POST /repos/amd-ci/sglang-ci-bot/issues/{number}/comments";
/// Editing a report part or a cross-run comment in place.
pub(crate) const EDIT_COMMENT: &str = "PATCH /repos/amd-ci/sglang-ci-bot/issues/comments/{id}";
/// Deleting a surplus report part.
pub(crate) const DELETE_COMMENT: &str = "DELETE /repos/amd-ci/sglang-ci-bot/issues/comments/{id}";

pub(crate) fn scenario(value: serde_json::Value) -> Scenario {
    serde_json::from_value(value).expect("scenario json")
}

/// The sample scenario (real logs) plus an empty bot repository.
pub(crate) fn sample() -> FakeGithub {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scenarios/sample.json");
    let mut s = Scenario::from_file(&path).expect("sample scenario");
    s.repos.entry(BOT_REPO.into()).or_default();
    FakeGithub::start(s)
}

pub(crate) fn bot(fake: &FakeGithub) -> Test {
    Test::new()
        .env("GITHUB_API_URL", &fake.url())
        .env("GH_PAT", "test-token-1234567890")
        .env("BOT_REPO", BOT_REPO)
        .env("SGLANG_BOT_NOW", "2026-11-24T06:00:00Z")
        // The monitor's own tests leave the issue body alone: the summary hook has its own
        // tests (tests/integration/daily_summary.rs), which turn it back on.
        .env("BUILD_DAILY_SUMMARY", "false")
}

/// The line a tick ends with, telling how many workflows had new failures.
pub(crate) fn done(workflows: usize) -> String {
    format!("Done. {workflows} with new failures, ")
}

pub(crate) fn tick(fake: &FakeGithub) -> Test {
    bot(fake).args(["--backend", "builtin", "monitor", "--output", "daily-issue"])
}

/// The open issues of the bot repo.
pub(crate) fn open_issues(fake: &FakeGithub) -> Vec<FakeIssue> {
    fake.issues(BOT_REPO)
        .into_iter()
        .filter(|i| i.state == "open")
        .collect()
}

pub(crate) fn issue_number(fake: &FakeGithub, title: &str) -> u64 {
    fake.issues(BOT_REPO)
        .into_iter()
        .find(|i| i.title == title)
        .unwrap_or_else(|| panic!("no issue titled {title}: {:?}", fake.issues(BOT_REPO)))
        .number
}

/// The report parts of workflow `wf` on `issue`.
pub(crate) fn workflow_comments(fake: &FakeGithub, issue: u64, wf: &str) -> Vec<FakeComment> {
    let heading = format!("## `{wf}`");
    fake.comments(BOT_REPO, issue)
        .into_iter()
        .filter(|c| c.body.contains(&heading) && !c.body.starts_with(CROSS_RUN))
        .collect()
}

/// The cross-run comments of workflow `wf` on `issue`.
pub(crate) fn cross_run_comments(fake: &FakeGithub, issue: u64, wf: &str) -> Vec<FakeComment> {
    let marker = format!("{CROSS_RUN}{wf} -->");
    fake.comments(BOT_REPO, issue)
        .into_iter()
        .filter(|c| c.body.starts_with(&marker))
        .collect()
}

/// The per-job block of `job` in `body`, from its anchor to its closing tag.
pub(crate) fn job_block(body: &str, job: u64) -> Option<String> {
    let start = body.find(&format!("<a id=\"job-{job}\"></a>"))?;
    let end = start + body[start..].find("</details>")? + "</details>".len();
    Some(body[start..end].to_string())
}

pub(crate) fn writes(fake: &FakeGithub) -> Vec<String> {
    fake.writes()
        .into_iter()
        .map(|r| format!("{} {} -> {}", r.method, r.path, r.status))
        .collect()
}

pub(crate) fn failed_run(run: u64, created: &str, jobs: serde_json::Value) -> serde_json::Value {
    json!({
        "id": run,
        "conclusion": "failure",
        "head_sha": "1111111111111111111111111111111111111111",
        "created_at": created,
        "jobs": jobs,
    })
}

/// A failed scheduled run of the PR workflow whose one job fails `test_evict`, started a
/// minute after `created`.
pub(crate) fn pr_run(run: u64, job: u64, created: &str, started: &str) -> serde_json::Value {
    failed_run(
        run,
        created,
        json!([{
            "id": job,
            "name": "stage-a-test-1-amd (linux-mi325-gpu-1, 0)",
            "conclusion": "failure",
            "started_at": started,
            "steps": [{"name": "Run test", "conclusion": "failure"}],
            "log": {"text": pytest_log("test/srt/test_radix_cache.py::TestRadix::test_evict", "AssertionError: expected 3 got 2")}
        }]),
    )
}

pub(crate) fn pytest_log(test: &str, message: &str) -> String {
    format!(
        "2026-11-24T05:00:00.0000000Z ##[group]Run docker exec ci_sglang pytest -q test/srt\n\
         2026-11-24T05:00:00.1000000Z ##[endgroup]\n\
         2026-11-24T05:00:10.0000000Z FAILED {test} - {message}\n\
         2026-11-24T05:00:10.1000000Z ========== 1 failed, 3 passed in 9.80s ==========\n\
         2026-11-24T05:00:10.2000000Z ##[error]Process completed with exit code 1.\n"
    )
}

/// One failed run of the nightly workflow with `jobs` jobs, each failing ten real tests.
pub(crate) fn nightly_with_jobs(jobs: u64) -> FakeGithub {
    let log = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/scenarios/logs/rdd-pytest-linux-10-failed.full.log"),
    )
    .unwrap();
    let jobs: Vec<_> = (0..jobs)
        .map(|i| {
            json!({
                "id": 56000000000u64 + i,
                "name": format!("nightly-test-{i}-gpu-amd (linux-mi325-gpu-{i})"),
                "conclusion": "failure", "started_at": "2026-11-24T01:05:00Z",
                "steps": [{"name": "Run test", "conclusion": "failure"}],
                "log": {"text": log}
            })
        })
        .collect();
    FakeGithub::start(scenario(json!({
        "bot_login": "amd-bot",
        "repos": {
            UPSTREAM: {"workflows": {NIGHTLY: [failed_run(19200000001, "2026-11-24T01:00:00Z", json!(jobs))]}},
            BOT_REPO: {}
        }
    })))
}

#[test]
fn the_cross_job_summary_gives_each_failure_its_cluster_and_one_row_per_failure_across_jobs() {
    // Two jobs of one run, each failing the same ten tests of the rdd log: nine with an
    // AttributeError, one with an OSError.
    let fake = nightly_with_jobs(2);
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT]);
    tick(&fake).stderr_contains(&done(1)).success();
    let body = &workflow_comments(&fake, issue_number(&fake, TODAY_TITLE), NIGHTLY)[0].body;
    let summary = body
        .split("### Summary\n\n")
        .nth(1)
        .and_then(|s| s.split("\n---\n").next())
        .expect("a cross-job summary");
    assert!(
        summary.starts_with("**Counts**: 20 failures · 2 clusters"),
        "{summary}"
    );
    let rows: Vec<&str> = summary
        .lines()
        .filter(|l| {
            l.starts_with("| 1")
                || l.starts_with("| ") && l[2..].starts_with(|c: char| c.is_ascii_digit())
        })
        .collect();
    assert_eq!(
        rows.len(),
        10,
        "one row per failing test, not per job:\n{summary}"
    );
    let version = rows
        .iter()
        .find(|r| r.contains("`TestCLIHelp::test_version_command`"))
        .unwrap();
    assert!(
        version.contains("AttributeError") && version.contains("in 2 jobs"),
        "{version}"
    );
    assert!(version.contains("/job/56000000000)") && version.contains("/job/56000000001)"));
    let curses = rows
        .iter()
        .find(|r| r.contains("`TestMenuInteraction::test_curses_menu_selection`"))
        .unwrap();
    assert!(
        curses.contains("OSError") && !curses.contains("AttributeError"),
        "{curses}"
    );
}

#[test]
fn each_job_saves_its_failure_signatures_and_they_read_back() {
    let fake = sample();
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT]);
    tick(&fake).stderr_contains(&done(2)).success();
    let issue = issue_number(&fake, TODAY_TITLE);
    let nightly = workflow_comments(&fake, issue, NIGHTLY);
    let text = &nightly[0].body;
    let blocks = sglang_bot::report::parse_blocks(text);
    // The rdd job failed ten tests: each failure has its key, saved in the job's marker.
    let rdd = blocks
        .iter()
        .find(|b| b.job_id == 54000001001)
        .expect("the rdd job's block");
    assert!(rdd.signatures.len() >= 2, "{:?}", rdd.signatures);
    assert!(rdd.signatures.iter().all(|k| k.version() == "v2"));
    for key in &rdd.signatures {
        assert!(text.contains(key.as_str()), "{key} not in the marker");
    }
    // The next tick reads the comment back and keeps the keys as they were.
    fake.reset_requests();
    tick(&fake).stderr_contains(&done(0)).success();
    let again = workflow_comments(&fake, issue, NIGHTLY);
    assert_eq!(again[0].body, *text);
}

#[test]
fn a_dry_run_on_a_fresh_day_plans_the_issue_and_writes_nothing() {
    let fake = sample();
    let out = tick(&fake)
        .args(["--dry-run"])
        .stderr_contains("would POST /repos/amd-ci/sglang-ci-bot/issues")
        .stderr_contains("would be posted on the new daily issue")
        .success();
    assert!(fake.writes().is_empty(), "{:?}", fake.writes());
    // No request ever names a placeholder issue #0.
    let requests = fake.requests();
    assert!(
        !requests.iter().any(|r| r.path.contains("/issues/0")),
        "{requests:?}"
    );
    assert!(!out.stderr.contains("/issues/0/"), "{out}");
    // What it would post is shown: each workflow's comment, with the real analyses.
    assert!(
        out.stdout
            .contains("## `nightly-test-amd.yml` — 2 failure(s)"),
        "{out}"
    );
    assert!(
        out.stdout.contains("## `pr-test-amd.yml` — 1 failure(s)"),
        "{out}"
    );
    assert!(out.stdout.contains("test_version_command"), "{out}");
}

#[test]
fn first_tick_creates_the_daily_issue_and_one_comment_per_failed_workflow_naming_the_real_tests() {
    let fake = sample();
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT]);
    tick(&fake)
        .stderr_contains(&done(2))
        .stdout_is("")
        .success();

    let issues = open_issues(&fake);
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(issues[0].title, TODAY_TITLE);
    let state = fake.state();
    let body = state["repos"][BOT_REPO]["issues"][0]["body"]
        .as_str()
        .unwrap();
    assert!(body.starts_with("<!-- daily-cross-workflow-summary:start -->"));

    let issue = issues[0].number;
    let nightly = workflow_comments(&fake, issue, NIGHTLY);
    assert_eq!(nightly.len(), 1, "{nightly:?}");
    let text = &nightly[0].body;
    assert!(text.starts_with("<!-- processed_job_ids: 54000001001,54000001002 -->\n<!-- ci-monitor-part: 1/1 -->\n## `nightly-test-amd.yml` — 2 failure(s)"), "{text}");
    // The real failed tests of the rdd log and the real import error of the ROCm log.
    for test in [
        "test_version_command",
        "test_curses_menu_selection",
        "test_invalid_action_error",
    ] {
        assert!(text.contains(test), "{test} missing:\n{text}");
    }
    assert!(text.contains("librocm_smi64.so.1"), "{text}");
    // M-G13/M-G14 (tests/GUARDS.md): the cancelled job and the gate job are not analysed.
    assert!(
        !text.contains("54000001003"),
        "cancelled job analysed:\n{text}"
    );
    assert!(!text.contains("54000001005"), "gate job analysed:\n{text}");

    let pr = workflow_comments(&fake, issue, PR_TEST);
    assert_eq!(pr.len(), 1);
    assert!(pr[0].body.contains("data-job-id=\"54000002001\""));
    assert!(
        !pr[0].body.contains("54000002002"),
        "gate job pr-test-amd-finish analysed"
    );
    // The green workflow gets no comment.
    assert_eq!(fake.comments(BOT_REPO, issue).len(), 2);
}

#[test]
fn g59_second_tick_with_nothing_new_makes_no_write() {
    let fake = sample();
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT]);
    tick(&fake).stderr_contains(&done(2)).success();
    fake.reset_requests();
    let out = tick(&fake).env("GITHUB_OUTPUT", "gh-output.txt").success();
    assert!(writes(&fake).is_empty(), "{:?}\n{out}", writes(&fake));
    assert!(out.stderr.contains("0 writes"), "{out}");
    // M-G62: nothing new, so no failures to report.
    let outputs = std::fs::read_to_string(out.dir.join("gh-output.txt")).unwrap();
    assert_eq!(outputs, "has_failures=false\n");
}

#[test]
fn a_tick_after_a_tick_reads_unchanged_runs_and_jobs_with_free_304s() {
    let fake = sample();
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT]);
    let cache = tempfile::tempdir().unwrap();
    let config = format!(
        "[monitor]\nstate_file = {:?}\n",
        cache.path().join("ci_monitor.json").display().to_string()
    );
    tick(&fake)
        .file("sglang-bot.toml", &config)
        .stderr_contains(&done(2))
        .success();
    assert!(cache.path().join("http_cache.json").exists());
    fake.reset_requests();
    // Half an hour later, as the next scheduled tick: the run query is the same URL.
    let out = tick(&fake)
        .env("SGLANG_BOT_NOW", "2026-11-24T06:30:00Z")
        .file("sglang-bot.toml", &config)
        .success();
    assert!(writes(&fake).is_empty(), "{:?}", writes(&fake));
    let gets: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET")
        .collect();
    let unchanged: Vec<_> = gets
        .iter()
        .filter(|r| r.path.contains("/actions/") || r.path == "/user")
        .collect();
    assert!(unchanged.len() >= 8, "{gets:?}");
    for r in &unchanged {
        assert_eq!(r.status, 304, "{} {}\n{out}", r.method, r.path);
    }
    assert!(
        out.stderr.contains(&format!(
            "({} answered from cache)",
            gets.iter().filter(|r| r.status == 304).count()
        )),
        "{out}"
    );
}

#[test]
fn g51_g56_a_new_failed_run_changes_only_its_workflow_and_keeps_earlier_blocks_byte_for_byte() {
    let fake = sample();
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT, EDIT_COMMENT]);
    tick(&fake).stderr_contains(&done(2)).success();
    let issue = issue_number(&fake, TODAY_TITLE);
    let nightly_before = workflow_comments(&fake, issue, NIGHTLY);
    let pr_before = workflow_comments(&fake, issue, PR_TEST);
    let old_block = job_block(&pr_before[0].body, 54000002001).expect("old block");

    fake.add(scenario(
        json!({"repos": {UPSTREAM: {"workflows": {PR_TEST: [
            pr_run(19000002002, 54000002101, "2026-11-24T04:30:00Z", "2026-11-24T04:31:00Z")
        ]}}}}),
    ));
    fake.reset_requests();
    tick(&fake).stderr_contains(&done(1)).success();

    assert_eq!(workflow_comments(&fake, issue, NIGHTLY), nightly_before);
    let pr_after = workflow_comments(&fake, issue, PR_TEST);
    assert_eq!(pr_after.len(), 1, "a second comment was posted");
    assert_eq!(pr_after[0].id, pr_before[0].id, "part 1 is edited in place");
    let body = &pr_after[0].body;
    assert_eq!(job_block(body, 54000002001).as_deref(), Some(&*old_block));
    assert!(
        body.starts_with("<!-- processed_job_ids: 54000002001,54000002101 -->"),
        "{body}"
    );
    assert!(body.contains("test_evict"), "{body}");
    // M-G57: two analyses today, so part 1 now opens with the cross-job summary.
    assert!(
        body.contains("### Summary\n\n**Counts**: 2 failures · 2 clusters"),
        "{body}"
    );
    // M-G58: a second run, so a cross-run comment appears, naming both runs.
    let cross = cross_run_comments(&fake, issue, PR_TEST);
    assert_eq!(cross.len(), 1);
    assert!(cross[0]
        .body
        .contains("Cross-Run Pattern Summary (2 runs in lookback window)"));
    assert!(cross[0]
        .body
        .contains("- `stage-a-test-1-amd (linux-mi325-gpu-1, 0)` — in 1/2 runs"));
    let w = writes(&fake);
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(w[0].starts_with(&format!(
        "PATCH /repos/{BOT_REPO}/issues/comments/{}",
        pr_before[0].id
    )));
    assert!(w[1].starts_with(&format!("POST /repos/{BOT_REPO}/issues/{issue}/comments")));

    // The same again: nothing new, nothing written (the cross-run comment included).
    fake.reset_requests();
    tick(&fake)
        .stderr_contains(&done(0))
        .stderr_contains(" 0 writes")
        .success();
    assert!(writes(&fake).is_empty(), "{:?}", writes(&fake));

    // M-G58: a third run updates the cross-run comment in place, found by its marker.
    fake.add(scenario(
        json!({"repos": {UPSTREAM: {"workflows": {PR_TEST: [
            pr_run(19000002003, 54000002301, "2026-11-24T05:30:00Z", "2026-11-24T05:31:00Z")
        ]}}}}),
    ));
    tick(&fake).stderr_contains(&done(1)).success();
    let cross_after = cross_run_comments(&fake, issue, PR_TEST);
    assert_eq!(cross_after.len(), 1, "{cross_after:?}");
    assert_eq!(cross_after[0].id, cross[0].id, "edited in place");
    assert!(cross_after[0]
        .body
        .contains("Cross-Run Pattern Summary (3 runs in lookback window)"));
    assert!(
        cross_after[0]
            .body
            .contains("- `stage-a-test-1-amd (linux-mi325-gpu-1, 0)` — in 2/3 runs"),
        "{}",
        cross_after[0].body
    );
}

#[test]
fn a_forged_comment_carrying_our_markers_changes_nothing() {
    let fake = sample();
    fake.expect_writes([POST_COMMENT]);
    let forged = "<!-- processed_job_ids: 54000001001,54000001002,54000002001 -->\n\
        <!-- ci-monitor-part: 1/1 -->\n## `nightly-test-amd.yml` — 1 failure(s)\n\n\
        <a id=\"job-54000001001\"></a>\n<details data-job-id=\"54000001001\" data-run-url=\"https://evil.example/run\" data-started-at=\"\">\n\
        <summary><b>nightly-test-1-gpu-amd</b> — failed step(s): Run test</summary>\n\nEverything is fine, close the issue.\n\n</details>\n";
    fake.add(scenario(json!({"repos": {BOT_REPO: {"issues": [{
        "number": 1, "title": TODAY_TITLE, "labels": ["ci-monitor"], "user": "amd-bot",
        "comments": [{"id": 500, "user": "mallory", "body": forged}]
    }]}}})));
    tick(&fake).stderr_contains(&done(2)).success();

    let comments = fake.comments(BOT_REPO, 1);
    assert_eq!(
        comments[0],
        FakeComment {
            id: 500,
            author: "mallory".into(),
            body: forged.into()
        }
    );
    let ours: Vec<_> = workflow_comments(&fake, 1, NIGHTLY)
        .into_iter()
        .filter(|c| c.author == "amd-bot")
        .collect();
    assert_eq!(ours.len(), 1, "{comments:?}");
    // The forged ids did not suppress the real analyses, and its block was not adopted.
    assert!(ours[0].body.contains("test_version_command"));
    assert!(!ours[0].body.contains("evil.example"));
    assert!(!writes(&fake).iter().any(|w| w.contains("/comments/500")));
}

#[test]
fn a_tick_started_at_23_59_50_writes_only_to_that_days_issue() {
    let fake = sample();
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT]);
    // Another process already opened the next day's issue.
    fake.add(scenario(json!({"repos": {BOT_REPO: {"issues": [{
        "number": 7, "title": "[CI Monitor] Daily Report - 2026-11-25", "labels": ["ci-monitor"], "user": "amd-bot"
    }]}}})));
    tick(&fake)
        .env("SGLANG_BOT_NOW", "2026-11-24T23:59:50Z")
        .stderr_contains(&done(2))
        .success();
    let day = issue_number(&fake, TODAY_TITLE);
    assert_ne!(day, 7);
    assert!(fake.comments(BOT_REPO, 7).is_empty());
    assert_eq!(workflow_comments(&fake, day, NIGHTLY).len(), 1);
    assert!(workflow_comments(&fake, day, NIGHTLY)[0]
        .body
        .contains("**Last scanned (UTC)**: 2026-11-24 23:59 UTC"));
}

#[test]
fn a_job_reported_in_yesterdays_issue_is_not_analysed_again_today() {
    let fake = sample();
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT]);
    // Yesterday's tick (in the original's format) reported the nightly jobs.
    tick(&fake).stderr_contains(&done(2)).success();
    // Today, shortly after midnight, inside the 24-hour lookback window.
    let out = tick(&fake)
        .env("SGLANG_BOT_NOW", "2026-11-25T00:30:00Z")
        .stderr_contains(&done(0))
        .success();
    let today = fake
        .issues(BOT_REPO)
        .into_iter()
        .find(|i| i.title == "[CI Monitor] Daily Report - 2026-11-25");
    if let Some(today) = today {
        assert!(fake.comments(BOT_REPO, today.number).is_empty(), "{out}");
    }
    assert!(!out.stderr.contains("analysing"), "{out}");
}

#[test]
fn g19_empty_local_state_still_dedups_from_the_issue_markers() {
    let fake = sample();
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT]);
    let first = tick(&fake).stderr_contains(&done(2)).success();
    // A fresh working directory has no .state/: only the issue tells what was reported.
    let state = first.dir.join(".state/ci_monitor.json");
    assert!(
        state.exists(),
        "the tick keeps its cache at .state/ci_monitor.json"
    );
    fake.reset_requests();
    // Each run of the harness gets a new working directory, so this tick starts cacheless.
    let out = tick(&fake).success();
    assert_ne!(out.dir, first.dir);
    assert!(writes(&fake).is_empty(), "{:?}\n{out}", writes(&fake));
    assert!(!out.stderr.contains("analysing"), "{out}");
}

#[test]
fn a_failure_note_under_an_unreadable_marker_is_replaced_by_a_fresh_analysis() {
    let fake = sample();
    fake.expect_writes([POST_COMMENT, EDIT_COMMENT]);
    // Our part 1 for the nightly workflow, whose ids marker was damaged (a stray `-->`), and
    // whose one block is a note that the analysis failed.
    let note =
        "Analysis failed: GET /repos/sgl-project/sglang/actions/jobs/54000001001/logs: HTTP 500";
    let damaged = format!(
        "<!-- processed_job_ids: 54000001001 --> -->\n<!-- ci-monitor-part: 1/1 -->\n## `nightly-test-amd.yml` — 1 failure(s)\n\n\
         ### Per-Job Analysis\n\n<a id=\"job-54000001001\"></a>\n\
         <details data-job-id=\"54000001001\" data-run-url=\"https://github.com/sgl-project/sglang/actions/runs/19000001001\" data-started-at=\"2026-11-24T01:02:11Z\">\n\
         <summary><b>nightly-test-1-gpu-amd (linux-mi325-gpu-1)</b> — failed step(s): Run test — ⚠️ analysis failed</summary>\n\n{note}\n\n</details>\n"
    );
    fake.add(scenario(json!({"repos": {BOT_REPO: {"issues": [{
        "number": 3, "title": TODAY_TITLE, "labels": ["ci-monitor"], "user": "amd-bot",
        "comments": [{"id": 900, "user": "amd-bot", "body": damaged}]
    }]}}})));
    tick(&fake).stderr_contains(&done(2)).success();

    let nightly = workflow_comments(&fake, 3, NIGHTLY);
    assert_eq!(nightly.len(), 1, "{nightly:?}");
    let body = &nightly[0].body;
    assert!(
        body.starts_with("<!-- processed_job_ids: 54000001001,54000001002 -->\n"),
        "the marker is valid again:\n{body}"
    );
    let block = job_block(body, 54000001001).expect("the job's block");
    assert!(
        block.contains("test_version_command"),
        "fresh analysis:\n{block}"
    );
    assert!(!block.contains("analysis failed"), "{block}");
    assert!(!block.contains(note), "{block}");
}

#[test]
fn takes_over_an_issue_written_by_the_original_bot_without_a_duplicate_comment() {
    let fake = sample();
    fake.expect_writes([POST_COMMENT, EDIT_COMMENT]);
    // The original bot's part 1 for the nightly workflow, with one job already analysed.
    let analysis = "### Commit Info\n\n- **Commit**: fe887e6\n\n### Root Cause\n\nThe `rdd` package lost its `main` module, so ten CLI tests fail with AttributeError. This text was written by the original bot and must survive the takeover unchanged.";
    let original = format!(
        "<!-- processed_job_ids: 54000001001 -->\n<!-- ci-monitor-part: 1/1 -->\n## `nightly-test-amd.yml` — 1 failure(s)\n\n\
         **Run started (UTC)**: 2026-11-24 01:02 UTC\n**Last scanned (UTC)**: 2026-11-24 03:00 UTC\n\n\
         | Job | Failed Steps | Started |\n|-----|-------------|---------|\n\
         | [`nightly-test-1-gpu-amd (linux-mi325-gpu-1)`](https://github.com/sgl-project/sglang/actions/runs/19000001001/job/54000001001) | Run test | 2026-11-24T01:02 |\n\n\
         ### Per-Job Analysis\n\n<a id=\"job-54000001001\"></a>\n\
         <details data-job-id=\"54000001001\" data-run-url=\"https://github.com/sgl-project/sglang/actions/runs/19000001001\" data-started-at=\"2026-11-24T01:02:11Z\">\n\
         <summary><b>nightly-test-1-gpu-amd (linux-mi325-gpu-1)</b> — failed step(s): Run test</summary>\n\n{analysis}\n\n</details>\n\n\
         ---\n*Generated by amd-bot using Claude Code CLI (last updated: 2026-11-24 03:00 UTC)*"
    );
    fake.add(scenario(json!({"repos": {BOT_REPO: {"issues": [{
        "number": 3, "title": TODAY_TITLE, "labels": ["ci-monitor"], "user": "amd-bot",
        "comments": [{"id": 900, "user": "amd-bot", "body": original}]
    }]}}})));
    let out = tick(&fake).stderr_contains(&done(2)).success();

    let nightly = workflow_comments(&fake, 3, NIGHTLY);
    assert_eq!(nightly.len(), 1, "{nightly:?}");
    assert_eq!(
        nightly[0].id, 900,
        "the original comment is continued in place"
    );
    let body = &nightly[0].body;
    assert!(body.contains(analysis), "original analysis lost:\n{body}");
    assert!(
        body.starts_with("<!-- processed_job_ids: 54000001001,54000001002 -->"),
        "{body}"
    );
    assert!(body.contains("librocm_smi64.so.1"));
    // Only the new job was analysed.
    assert!(!out.stderr.contains("(54000001001)"), "{out}");
}

#[test]
fn github_outputs_and_the_step_summary_describe_the_tick() {
    let fake = sample();
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT]);
    let out = tick(&fake)
        .env("GITHUB_OUTPUT", "gh-output.txt")
        .env("GITHUB_STEP_SUMMARY", "summary.md")
        .stderr_contains(&done(2))
        .success();
    let outputs = std::fs::read_to_string(out.dir.join("gh-output.txt")).unwrap();
    assert_eq!(outputs, "has_failures=true\nfailure_count=2\n");
    let summary = std::fs::read_to_string(out.dir.join("summary.md")).unwrap();
    assert!(summary.contains("Daily issue: #1"), "{summary}");
    assert!(
        summary
            .contains("| `nightly-test-amd.yml` | 1 | 2 | 0 | 1 cancelled, 1 gate job | 0 | ✅ |"),
        "{summary}"
    );
}

#[test]
fn stdout_output_prints_the_parts_and_writes_nothing() {
    let fake = sample();
    let out = bot(&fake)
        .args(["--backend", "builtin", "monitor"])
        .success();
    assert!(out
        .stdout
        .contains("<!-- processed_job_ids: 54000001001,54000001002 -->"));
    assert!(out.stdout.contains("test_version_command"));
    // M-G64: each workflow's parts follow a rule of 60 `=`.
    assert!(
        out.stdout
            .contains(&format!("{}\n<!-- processed_job_ids:", "=".repeat(60))),
        "{out}"
    );
    assert!(writes(&fake).is_empty(), "{:?}", writes(&fake));
    assert!(fake.issues(BOT_REPO).is_empty());
}

#[test]
fn faults_502s_a_secondary_rate_limit_and_an_expired_log_still_complete_the_tick() {
    let fake = sample();
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT]);
    fake.add(scenario(json!({
        "repos": {UPSTREAM: {"workflows": {PR_TEST: [
            failed_run(19000002003, "2026-11-24T05:00:00Z", json!([{
                "id": 54000002201u64, "name": "stage-b-test-small-1-gpu-amd (linux-mi325-gpu-1, 3)",
                "conclusion": "failure", "started_at": "2026-11-24T05:01:00Z",
                "steps": [{"name": "Run test", "conclusion": "failure"}],
                "log": "expired"
            }]))
        ]}}},
        "faults": [
            {"method": "GET", "path": "/actions/workflows/nightly-test-amd.yml/runs", "status": 502, "times": 2},
            {"method": "GET", "path": "/actions/runs/19000002001/jobs", "status": 403, "times": 1,
             "headers": {"retry-after": "1"},
             "body": "{\"message\": \"You have exceeded a secondary rate limit.\"}"},
            {"method": "POST", "path": "/issues/\\d+/comments", "status": 502, "times": 1}
        ]
    })));
    let out = tick(&fake)
        .stderr_contains(&done(2))
        .stderr_contains(
            "pr-test-amd.yml: stage-b-test-small-1-gpu-amd (linux-mi325-gpu-1, 3) has no log",
        )
        .success();
    let issue = issue_number(&fake, TODAY_TITLE);
    let nightly = workflow_comments(&fake, issue, NIGHTLY);
    assert_eq!(nightly.len(), 1, "{out}");
    assert!(nightly[0].body.contains("test_version_command"));
    let pr = workflow_comments(&fake, issue, PR_TEST);
    assert_eq!(pr.len(), 1, "{out}");
    let body = &pr[0].body;
    assert!(body.contains("data-job-id=\"54000002001\""), "{body}");
    let expired = job_block(body, 54000002201).expect("the expired job is reported");
    assert!(expired.contains("analysis failed"), "{expired}");
    assert!(
        expired.contains("410") || expired.to_lowercase().contains("expired"),
        "{expired}"
    );
}

#[test]
fn a_workflow_whose_runs_cannot_be_listed_is_reported_and_the_others_continue() {
    let fake = sample();
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT]);
    fake.add(scenario(json!({"faults": [
        {"method": "GET", "path": "/actions/workflows/nightly-test-amd.yml/runs", "status": 500, "times": 50}
    ]})));
    let out = tick(&fake)
        .env("GITHUB_STEP_SUMMARY", "summary.md")
        .stderr_contains(&done(1))
        .stderr_contains("cannot list the runs of nightly-test-amd.yml")
        .status(1);
    let issue = issue_number(&fake, TODAY_TITLE);
    assert!(workflow_comments(&fake, issue, NIGHTLY).is_empty());
    assert_eq!(workflow_comments(&fake, issue, PR_TEST).len(), 1, "{out}");
    let summary = std::fs::read_to_string(out.dir.join("summary.md")).unwrap();
    assert!(
        summary.contains("❌ cannot list the runs of nightly-test-amd.yml"),
        "{summary}"
    );
}

#[test]
fn g5_daily_issue_output_without_a_bot_repo_is_a_usage_error_before_any_request() {
    let fake = sample();
    let out = Test::new()
        .env("GITHUB_API_URL", &fake.url())
        .env("GH_PAT", "test-token-1234567890")
        .args(["--backend", "builtin", "monitor", "--output", "daily-issue"])
        .status(2);
    assert!(out.stderr.contains("--bot-repo"), "{out}");
    assert!(fake.requests().is_empty());
}

#[test]
fn a_comment_over_the_size_limit_is_split_into_parts_and_reassembled_next_tick() {
    // 40 failed jobs with ten failed tests each: about 200 KB of analyses in one workflow.
    let log = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/scenarios/logs/rdd-pytest-linux-10-failed.full.log"),
    )
    .unwrap();
    let jobs: Vec<_> = (0..40)
        .map(|i| {
            json!({
                "id": 55000000000u64 + i,
                "name": format!("nightly-test-{i}-gpu-amd (linux-mi325-gpu-{i}) with a long matrix name to grow the tables"),
                "conclusion": "failure", "started_at": "2026-11-24T01:05:00Z",
                "steps": [{"name": "Run test", "conclusion": "failure"}],
                "log": {"text": log}
            })
        })
        .collect();
    let fake = FakeGithub::start(scenario(json!({
        "bot_login": "amd-bot",
        "repos": {
            UPSTREAM: {"workflows": {NIGHTLY: [failed_run(19100000001, "2026-11-24T01:00:00Z", json!(jobs))]}},
            BOT_REPO: {}
        }
    })));
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT, EDIT_COMMENT]);
    tick(&fake).stderr_contains(&done(1)).success();
    let issue = issue_number(&fake, TODAY_TITLE);
    let parts = workflow_comments(&fake, issue, NIGHTLY);
    let total: usize = parts.iter().map(|p| p.body.chars().count()).sum();
    assert!(total > 150_000, "only {total} chars");
    assert!(parts.len() >= 3, "{} parts", parts.len());
    for (i, part) in parts.iter().enumerate() {
        assert!(part.body.chars().count() <= 65_536);
        let marker = format!("<!-- ci-monitor-part: {}/{} -->", i + 1, parts.len());
        assert_eq!(part.body.lines().nth(1), Some(marker.as_str()));
    }
    let first_ids: Vec<u64> = (0..40).map(|i| 55000000000 + i).collect();
    let all: String = parts.iter().map(|p| p.body.as_str()).collect();
    for id in &first_ids {
        assert_eq!(
            all.matches(&format!("data-job-id=\"{id}\"")).count(),
            1,
            "job {id}"
        );
    }

    // A new run: the parts are reassembled, the old blocks kept, nothing duplicated.
    fake.add(scenario(
        json!({"repos": {UPSTREAM: {"workflows": {NIGHTLY: [
            failed_run(19100000002, "2026-11-24T04:00:00Z", json!([{
                "id": 55000000100u64, "name": "nightly-test-extra-amd", "conclusion": "failure",
                "started_at": "2026-11-24T04:01:00Z",
                "steps": [{"name": "Run test", "conclusion": "failure"}],
                "log": {"text": pytest_log("test/srt/test_extra.py::test_one", "ValueError: boom")}
            }]))
        ]}}}}),
    ));
    fake.reset_requests();
    tick(&fake).stderr_contains(&done(1)).success();
    let after = workflow_comments(&fake, issue, NIGHTLY);
    assert!(after.len() >= parts.len() && after.len() <= parts.len() + 1);
    let all_after: String = after.iter().map(|p| p.body.as_str()).collect();
    for id in first_ids.iter().chain([&55000000100]) {
        assert_eq!(
            all_after.matches(&format!("data-job-id=\"{id}\"")).count(),
            1,
            "job {id}"
        );
    }
    for id in &first_ids {
        assert_eq!(
            job_block(&all, *id),
            job_block(&all_after, *id),
            "job {id} changed"
        );
    }
    assert!(
        !writes(&fake).iter().any(|w| w.starts_with("DELETE")),
        "{:?}",
        writes(&fake)
    );
}

#[test]
fn seven_concurrent_matrix_jobs_on_an_empty_bot_repo_leave_one_issue_and_one_comment_per_workflow()
{
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scenarios/sample.json");
    let mut s = Scenario::from_file(&path).expect("sample scenario");
    s.repos.entry(BOT_REPO.into()).or_default();
    s.search_lag_ms = 1500;
    let fake = FakeGithub::start(s);
    fake.expect_writes([OPEN_ISSUE, EDIT_ISSUE, POST_COMMENT]);
    let workflows = [
        NIGHTLY,
        "nightly-test-amd-rocm720.yml",
        "release-docker-amd-nightly.yml",
        "release-docker-amd-rocm720-nightly.yml",
        "amd-aiter-scout.yml",
        PR_TEST,
        "pr-test-amd-rocm720.yml",
    ];
    let handles: Vec<_> = workflows
        .iter()
        .map(|wf| {
            let ensure = bot(&fake).args(["ensure-daily-issue"]);
            let monitor = tick(&fake).args(["--workflows", wf]);
            std::thread::spawn(move || {
                let a = ensure.run();
                let b = monitor.run();
                (a.status, b.status, format!("{a}\n{b}"))
            })
        })
        .collect();
    for h in handles {
        let (a, b, text) = h.join().unwrap();
        assert_eq!((a, b), (0, 0), "{text}");
    }
    let open = open_issues(&fake);
    assert_eq!(open.len(), 1, "{:?}", fake.issues(BOT_REPO));
    let issue = open[0].number;
    assert_eq!(workflow_comments(&fake, issue, NIGHTLY).len(), 1);
    assert_eq!(workflow_comments(&fake, issue, PR_TEST).len(), 1);
    for closed in fake.issues(BOT_REPO).iter().filter(|i| i.state != "open") {
        assert!(
            fake.comments(BOT_REPO, closed.number)
                .iter()
                .all(|c| !c.body.contains("## `")),
            "a workflow comment landed on the closed duplicate #{}",
            closed.number
        );
    }
}

#[test]
fn a_comment_post_whose_answer_is_lost_is_adopted_not_posted_twice() {
    let fake = sample();
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT]);
    fake.add(scenario(json!({"faults": [
        {"method": "POST", "path": "/issues/\\d+/comments$", "status": 502, "after_handling": true}
    ]})));
    let out = tick(&fake).stderr_contains(&done(2)).success();
    let issue = issue_number(&fake, TODAY_TITLE);
    let nightly = workflow_comments(&fake, issue, NIGHTLY);
    assert_eq!(nightly.len(), 1, "{out}");
    assert_eq!(workflow_comments(&fake, issue, PR_TEST).len(), 1, "{out}");
    assert!(out.stderr.contains("checking whether it landed"), "{out}");
}

#[test]
fn a_matrix_job_starting_after_midnight_writes_to_its_ticks_day_given_by_date() {
    let fake = nightly_with_jobs(1);
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT, EDIT_ISSUE, EDIT_COMMENT]);
    tick(&fake)
        .env("SGLANG_BOT_NOW", "2026-11-25T00:05:00Z")
        .args(["--workflows", NIGHTLY, "--date", "2026-11-24"])
        .success();
    let titles: Vec<String> = fake.issues(BOT_REPO).into_iter().map(|i| i.title).collect();
    assert_eq!(titles, [TODAY_TITLE], "the tick's day, not the job's");
    let issue = issue_number(&fake, TODAY_TITLE);
    assert_eq!(workflow_comments(&fake, issue, NIGHTLY).len(), 1);
}

#[test]
fn a_date_other_than_today_or_yesterday_is_a_usage_error_before_any_request() {
    let fake = nightly_with_jobs(1);
    for day in ["2026-11-20", "2026-11-26", "2026-13-01"] {
        tick(&fake)
            .env("SGLANG_BOT_NOW", "2026-11-25T00:05:00Z")
            .args(["--date", day])
            .status(2);
    }
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
}
