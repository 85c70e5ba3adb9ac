//! `ensure-daily-issue` against the fake GitHub, run as the workflows run it.

use fake_github::{FakeGithub, Scenario};
use serde_json::json;

use crate::harness::Test;
use crate::monitor::{EDIT_ISSUE, OPEN_ISSUE, POST_COMMENT};

const BOT_REPO: &str = "amd-ci/sglang-ci-bot";

fn empty_bot_repo() -> FakeGithub {
    FakeGithub::start(
        serde_json::from_value::<Scenario>(
            json!({"bot_login": "amd-bot", "repos": {BOT_REPO: {}}}),
        )
        .unwrap(),
    )
}

fn bot(fake: &FakeGithub) -> Test {
    Test::new()
        .env("GITHUB_API_URL", &fake.url())
        .env("GH_PAT", "test-token-1234567890")
        .env("BOT_REPO", BOT_REPO)
        .env("SGLANG_BOT_NOW", "2026-11-24T06:00:00Z")
}

#[test]
fn creates_todays_issue_with_the_seeded_body_then_finds_it() {
    let fake = empty_bot_repo();
    fake.expect_writes([OPEN_ISSUE]);
    let out = bot(&fake).args(["ensure-daily-issue"]).success();
    assert_eq!(out.stdout.trim(), "Created daily issue #1 for 2026-11-24");
    let issues = fake.issues(BOT_REPO);
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].title, "[CI Monitor] Daily Report - 2026-11-24");
    assert_eq!(issues[0].labels, ["ci-monitor"]);
    let state = fake.state();
    let body = state["repos"][BOT_REPO]["issues"][0]["body"]
        .as_str()
        .unwrap();
    assert!(body.starts_with("<!-- daily-cross-workflow-summary:start -->"));
    assert!(body.contains("## CI Monitor — 2026-11-24"));
    assert!(body.contains("- `nightly-test-amd.yml`"));

    let again = bot(&fake).args(["ensure-daily-issue"]).success();
    assert_eq!(again.stdout.trim(), "Found daily issue #1 for 2026-11-24");
    assert_eq!(fake.issues(BOT_REPO).len(), 1);
}

#[test]
fn dry_run_makes_no_write() {
    let fake = empty_bot_repo();
    let out = bot(&fake)
        .args(["--dry-run", "ensure-daily-issue"])
        .success();
    assert!(
        out.stderr
            .contains("would POST /repos/amd-ci/sglang-ci-bot/issues"),
        "{out}"
    );
    assert!(fake.writes().is_empty(), "{:?}", fake.writes());
    assert!(!fake.requests().is_empty(), "reads still happen");
    // Nothing was created, so no number is shown (the original printed a placeholder #0).
    assert_eq!(
        out.stdout.trim(),
        "Would create the daily issue for 2026-11-24 (dry run)"
    );
}

#[test]
fn a_closed_issue_or_a_near_title_is_not_todays_issue() {
    let fake = FakeGithub::start(
        serde_json::from_value::<Scenario>(json!({"repos": {BOT_REPO: {"issues": [
            {"number": 1, "title": "[CI Monitor] Daily Report - 2026-11-24", "state": "closed", "labels": ["ci-monitor"]},
            {"number": 2, "title": "[CI Monitor] Daily Report - 2026-11-24 ", "labels": ["ci-monitor"]}
        ]}}}))
        .unwrap(),
    );
    fake.expect_writes([OPEN_ISSUE]);
    let out = bot(&fake).args(["ensure-daily-issue"]).success();
    assert_eq!(out.stdout.trim(), "Created daily issue #3 for 2026-11-24");
}

#[test]
fn without_a_token_it_fails_before_any_request() {
    let fake = empty_bot_repo();
    let out = Test::new()
        .env("GITHUB_API_URL", &fake.url())
        .env("BOT_REPO", BOT_REPO)
        .args(["ensure-daily-issue"])
        .status(2);
    assert!(out.stderr.contains("no GitHub token"), "{out}");
    assert!(fake.requests().is_empty());
}

#[test]
fn seven_concurrent_processes_leave_exactly_one_open_issue() {
    let fake = FakeGithub::start(
        serde_json::from_value::<Scenario>(json!({"search_lag_ms": 2000, "repos": {BOT_REPO: {}}}))
            .unwrap(),
    );
    fake.expect_writes([OPEN_ISSUE, EDIT_ISSUE, POST_COMMENT]);
    let url = fake.url();
    let handles: Vec<_> = (0..7)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                Test::new()
                    .env("GITHUB_API_URL", &url)
                    .env("GH_PAT", "test-token-1234567890")
                    .env("BOT_REPO", BOT_REPO)
                    .env("SGLANG_BOT_NOW", "2026-11-24T06:00:00Z")
                    .args(["ensure-daily-issue"])
                    .success()
                    .stdout
                    .clone()
            })
        })
        .collect();
    let outputs: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let open: Vec<_> = fake
        .issues(BOT_REPO)
        .into_iter()
        .filter(|i| i.state == "open")
        .collect();
    assert_eq!(open.len(), 1, "{:?}", fake.issues(BOT_REPO));
    let winner = format!("#{} for", open[0].number);
    for out in &outputs {
        assert!(
            out.contains(&winner),
            "a process resolved another issue: {out}"
        );
    }
}
