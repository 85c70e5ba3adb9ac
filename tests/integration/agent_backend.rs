//! The Claude Code backend end to end: `monitor` with the stub `claude`, an sglang clone made
//! from a local upstream repository, and the fake GitHub. Every task the monitor asks for (per
//! job, cross-job, cross-run) goes to the agent in its own worktree.

use std::path::Path;

use fake_github::FakeGithub;
use serde_json::json;

use crate::harness::{agent_config, Test};
use crate::monitor::{
    cross_run_comments, done, failed_run, issue_number, pytest_log, scenario, workflow_comments,
    BOT_REPO, NIGHTLY, OPEN_ISSUE, POST_COMMENT, TODAY_TITLE, UPSTREAM,
};
use crate::upstream::Upstream;

/// One answer for every task: each task's cleaning keeps its own part.
const ANSWER: &str = "Investigated.\n**Cross-run pattern**: failed jobs per run 2 → 1; `test_a` failed in both runs.\n\n**Counts**: 3 failures · 1 clusters\n\n### Commit Info\n\n- sglang at the run's commit\n\n### Root Cause\n\nThe radix cache evicts a locked node, so `test_a` sees two entries instead of three. This text comes from the stub agent and is long enough to count as an analysis.";

fn job(id: u64, test: &str) -> serde_json::Value {
    json!({
        "id": id, "name": format!("nightly-test-{id}-amd"), "conclusion": "failure",
        "started_at": "2026-11-24T04:01:00Z",
        "steps": [{"name": "Run test", "conclusion": "failure"}],
        "log": {"text": pytest_log(test, "AssertionError: expected 3 got 2")}
    })
}

#[test]
fn every_monitor_task_runs_the_agent_in_its_own_worktree_and_its_answers_are_published() {
    let upstream = Upstream::new();
    let sha = upstream.commit("main", &[("python/sglang/version.py", "v = 1\n")]);
    let run = |id: u64, created: &str, jobs: serde_json::Value| {
        let mut r = failed_run(id, created, jobs);
        r["head_sha"] = json!(sha);
        r
    };
    let fake = FakeGithub::start(scenario(json!({
        "bot_login": "amd-bot",
        "repos": {
            UPSTREAM: {"workflows": {NIGHTLY: [
                run(301, "2026-11-24T01:00:00Z", json!([job(3011, "test/a.py::test_a"), job(3012, "test/b.py::test_b")])),
                run(302, "2026-11-24T04:00:00Z", json!([job(3021, "test/a.py::test_a")])),
            ]}},
            BOT_REPO: {}
        }
    })));
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT]);
    let tools = tempfile::tempdir().unwrap();
    let claude = tools.path().join("claude");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stub-claude"),
        &claude,
    )
    .unwrap();
    std::fs::write(tools.path().join("claude.mode"), "ok").unwrap();
    std::fs::write(tools.path().join("claude.answer"), ANSWER).unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let config = agent_config(workspace.path(), &upstream.url());
    let out = Test::new()
        .env("GITHUB_API_URL", &fake.url())
        .env("BOT_PAT", "ghp_botwritetoken0123456789abcdef0123")
        .env("BOT_REPO", BOT_REPO)
        .env("SGLANG_BOT_NOW", "2026-11-24T06:00:00Z")
        .env("CLAUDE_BIN", &claude.display().to_string())
        .env("ANTHROPIC_API_KEY", "sk-ant-stub-key-0123456789")
        .env("AGENT_PARALLEL", "1")
        .file("sglang-bot.toml", &config)
        .args(["monitor", "--output", "daily-issue", "--workflows", NIGHTLY])
        .stderr_contains(&done(1))
        .success();

    let prompts = std::fs::read_to_string(tools.path().join("claude.prompts")).unwrap();
    let tasks: Vec<&str> = prompts
        .lines()
        .filter_map(|l| l.strip_prefix("Task: "))
        .collect();
    assert_eq!(
        tasks,
        [
            "Job Failure Analysis",
            "Job Failure Analysis",
            "Job Failure Analysis",
            "Cross-Job Summary",
            "Cross-Run Pattern Analysis"
        ],
        "{out}"
    );
    assert!(prompts.contains(&format!("Commit SHA: {sha}")));
    assert!(prompts.contains("Runs in window: 2\n"), "{prompts}");
    assert!(
        prompts.contains("Persistent (every completed run in window):\n  - nightly-test-3011-amd")
            || prompts.contains("Regression candidates"),
        "{prompts}"
    );

    let issue = issue_number(&fake, TODAY_TITLE);
    let body = &workflow_comments(&fake, issue, NIGHTLY)[0].body;
    assert!(
        body.contains("### Summary\n\n**Counts**: 3 failures · 1 clusters"),
        "{body}"
    );
    assert!(
        body.contains("The radix cache evicts a locked node"),
        "{body}"
    );
    assert!(body.contains("using Claude Code CLI"), "{body}");
    let cross = cross_run_comments(&fake, issue, NIGHTLY);
    assert_eq!(cross.len(), 1);
    assert!(
        cross[0]
            .body
            .contains("### Agent assessment\n\n**Cross-run pattern**: failed jobs per run 2 → 1;"),
        "{}",
        cross[0].body
    );
    // The bot's write token never reached the agent, and no worktree is left behind.
    let record = std::fs::read_to_string(tools.path().join("claude.record")).unwrap();
    assert!(!record.contains("ghp_botwritetoken"), "{record}");
    let left: Vec<String> = std::fs::read_dir(workspace.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("sglang-wt-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
