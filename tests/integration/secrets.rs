//! Logs and PR text are untrusted: a secret printed in a job log never reaches a comment, the
//! terminal or the log lines of the bot.

use fake_github::FakeGithub;
use serde_json::json;

use crate::harness::Test;
use crate::monitor::{
    bot, failed_run, issue_number, scenario, tick, workflow_comments, BOT_REPO, NIGHTLY,
    OPEN_ISSUE, POST_COMMENT, TODAY_TITLE, UPSTREAM,
};

/// A token of each kind, and the bot's own token as the harness sets it.
const SECRETS: &[&str] = &[
    "ghp_0123456789abcdefghijklmnopqrstuvwxyz",
    "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP",
    "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789",
    "AKIAIOSFODNN7EXAMPLE",
    "test-token-1234567890",
];

fn leaky_log() -> String {
    format!(
        "2026-11-24T05:00:00.0000000Z ##[group]Run pytest -q test/srt\n\
         2026-11-24T05:00:01.0000000Z export GH_TOKEN={}\n\
         2026-11-24T05:00:02.0000000Z curl -H 'Authorization: Bearer {}' https://api.example\n\
         2026-11-24T05:00:03.0000000Z AWS_ACCESS_KEY_ID={} ANTHROPIC_API_KEY={}\n\
         2026-11-24T05:00:04.0000000Z ##[endgroup]\n\
         2026-11-24T05:00:10.0000000Z FAILED test/srt/test_auth.py::test_login - AssertionError: token {} rejected\n\
         2026-11-24T05:00:10.1000000Z ValueError: bad credentials for {}\n\
         2026-11-24T05:00:10.2000000Z ##[error]Process completed with exit code 1.\n",
        SECRETS[0], SECRETS[1], SECRETS[3], SECRETS[2], SECRETS[0], SECRETS[4]
    )
}

fn fake() -> FakeGithub {
    FakeGithub::start(scenario(json!({
        "bot_login": "amd-bot",
        "repos": {
            UPSTREAM: {"workflows": {NIGHTLY: [failed_run(1, "2026-11-24T05:00:00Z", json!([{
                "id": 11, "name": "nightly-test-leaky-amd", "conclusion": "failure",
                "started_at": "2026-11-24T05:00:00Z",
                "steps": [{"name": "Run test", "conclusion": "failure"}],
                "log": {"text": leaky_log()}
            }]))]}},
            BOT_REPO: {}
        }
    })))
}

fn assert_clean(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} carries {secret}:\n{text}");
    }
}

#[test]
fn secrets_in_a_job_log_reach_no_comment_no_report_and_no_log_line() {
    let fake = fake();
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT]);
    let out = tick(&fake).args(["-v"]).success();
    let issue = issue_number(&fake, TODAY_TITLE);
    let body = &workflow_comments(&fake, issue, NIGHTLY)[0].body;
    assert!(
        body.contains("test_login"),
        "the failure is still reported\n{body}"
    );
    assert!(body.contains("[REDACTED]"), "{body}");
    assert_clean("the comment", body);
    assert_clean("stderr", &out.stderr);

    // Stdout mode on a fresh fake (the job is already reported on the first one).
    let fresh = self::fake();
    let out = bot(&fresh)
        .args(["--backend", "builtin", "monitor", "--workflows", NIGHTLY])
        .success();
    assert!(out.stdout.contains("test_login"), "{out}");
    assert_clean("stdout mode", &out.stdout);

    let out = Test::new()
        .env("GH_PAT", SECRETS[4])
        .args(["analyze-log", "-"])
        .stdin(leaky_log())
        .success();
    assert!(out.stdout.contains("test_login"), "{out}");
    assert_clean("analyze-log", &out.stdout);
}
