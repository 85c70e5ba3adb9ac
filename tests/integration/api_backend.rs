//! The API backend end to end: `monitor --backend api` against the fake GitHub, whose
//! `/v1/messages` plays the LLM gateway.

use std::path::Path;

use fake_github::{FakeGithub, Scenario};
use serde_json::json;

use crate::harness::{agent_guide, Test};
use crate::monitor::{done, OPEN_ISSUE, POST_COMMENT};

const BOT_REPO: &str = "amd-ci/sglang-ci-bot";
const GATEWAY_KEY: &str = "gw-secret-key-5f3a9c1e7b";
/// The gateway's answer to the cross-job call: chatter, a heading the bot drops, the report.
const CROSS_JOB_REPLY: &str = "Here is the grouping.\n## Overview\n**Counts**: 2 failures · 2 clusters\n\n| # | Cluster | Job | Test File | Test Function | Status | Hypothesis (confidence) |\n|---|---|---|---|---|---|---|\n| 1 | missing rdd.main | job | `tests/python/test_rdd_main.py` | `test_version_command` | failing | rdd packaging [MEDIUM] |";
/// Marks the cross-job prompt (its template delimits the analyses with this tag).
const CROSS_JOB_TAG: &str = "untrusted-analyses";

const REPLY: &str = "### Failed Tests\n| Test File | Test Function | Error |\n|---|---|---|\n| `tests/python/test_rdd_main.py` | `test_version_command` | `AttributeError` |\n\n### Failure Summary\nThe rdd package lost its main module; ten CLI tests fail on the missing attribute.\n\n### Failure Cluster\nmissing rdd.main";

fn fake(faults: serde_json::Value) -> FakeGithub {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scenarios/sample.json");
    let mut s = Scenario::from_file(&path).expect("sample scenario");
    s.messages_reply = Some(REPLY.into());
    let extra: Scenario = serde_json::from_value(json!({
        "faults": faults,
        "messages_replies": [{"contains": CROSS_JOB_TAG, "reply": CROSS_JOB_REPLY}]
    }))
    .unwrap();
    s.faults = extra.faults;
    s.messages_replies = extra.messages_replies;
    FakeGithub::start(s)
}

/// The per-job calls (the cross-job call set aside).
fn job_calls(messages: &[serde_json::Value]) -> Vec<serde_json::Value> {
    messages
        .iter()
        .filter(|m| !m.to_string().contains(CROSS_JOB_TAG))
        .cloned()
        .collect()
}

/// A daily-issue tick of the nightly workflow with the API backend, no configuration file.
fn api_monitor(fake: &FakeGithub) -> Test {
    Test::new()
        .env("GITHUB_API_URL", &fake.url())
        .env("GH_PAT", "test-token-1234567890")
        .env("BOT_REPO", BOT_REPO)
        .env("SGLANG_BOT_NOW", "2026-11-24T06:00:00Z")
        .env("LLM_GATEWAY_URL", &fake.url())
        .env("LLM_GATEWAY_KEY", GATEWAY_KEY)
        .args([
            "--backend",
            "api",
            "monitor",
            "--output",
            "daily-issue",
            "--workflows",
            "nightly-test-amd.yml",
        ])
}

/// The same, verbose, with the repository's agent guide named by the configuration.
fn api_tick(fake: &FakeGithub) -> Test {
    api_monitor(fake).args(["-v"]).file(
        "sglang-bot.toml",
        &format!("[backend]\ninstructions = {:?}\n", agent_guide()),
    )
}

#[test]
fn from_an_empty_directory_the_api_backend_uses_the_guide_built_into_the_binary() {
    let fake = fake(json!([]));
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT]);
    // No configuration file and no agent/ directory where the binary runs.
    let out = api_monitor(&fake)
        .stderr_lacks("cannot read the agent guide")
        .success();
    let calls = job_calls(&fake.messages());
    assert_eq!(calls.len(), 2, "{out}");
    // The built-in guide's per-job template filled the prompt: its opening words are the
    // guide's (the repository's copy, which the binary embedded when it was built).
    let guide = std::fs::read_to_string(agent_guide()).unwrap();
    let prompt = calls[0]["messages"][0]["content"].as_str().unwrap();
    let opening = prompt.lines().next().unwrap();
    assert!(
        opening.starts_with("You are analysing one failed CI job"),
        "{prompt}"
    );
    assert!(guide.contains(opening), "{opening}");
}

#[test]
fn each_failed_job_is_one_messages_call_with_the_filled_template_and_the_answer_is_posted() {
    let fake = fake(json!([]));
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT]);
    let out = api_tick(&fake).success();
    let all = fake.messages();
    assert_eq!(
        all.len(),
        3,
        "one call per analysed job, one cross-job call\n{out}"
    );
    let messages = job_calls(&all);
    assert_eq!(messages.len(), 2, "one call per analysed job\n{out}");
    for m in &messages {
        assert_eq!(m["model"], "claude-opus-4-8");
        assert_eq!(m["max_tokens"], 16000);
        assert_eq!(m["thinking"]["type"], "adaptive");
        let turns = m["messages"].as_array().unwrap();
        assert_eq!(turns.len(), 1);
        assert_eq!(turns[0]["role"], "user");
    }
    let prompts: Vec<String> = messages
        .iter()
        .map(|m| {
            m["messages"][0]["content"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    let rdd = prompts
        .iter()
        .find(|p| p.contains("Job: nightly-test-1-gpu-amd (linux-mi325-gpu-1)"))
        .expect("the rdd job's prompt");
    assert!(rdd.contains("Run: https://github.com/sgl-project/sglang/actions/runs/19000001001"));
    assert!(rdd.contains("- **[exception]** "), "{rdd}");
    assert!(rdd.contains("<untrusted-log>\n"));
    assert!(rdd.contains("FAILED tests/python/test_rdd_main.py::TestCLIHelp::test_version_command"));

    let state = fake.state();
    let comments = state["repos"][BOT_REPO]["issues"][0]["comments_list"]
        .as_array()
        .unwrap();
    let body = comments[0]["body"].as_str().unwrap();
    assert!(body.contains("missing rdd.main"), "{body}");
    assert!(body.contains("### Commit Info"), "{body}");
    assert!(body.contains("using Claude API"), "{body}");
    assert!(!out.stderr.contains(GATEWAY_KEY), "{out}");

    // Two analyses: one plain cross-job call over both, its answer under `### Summary`.
    let cross: Vec<_> = all
        .iter()
        .filter(|m| m.to_string().contains(CROSS_JOB_TAG))
        .collect();
    assert_eq!(cross.len(), 1);
    assert_eq!(cross[0]["max_tokens"], 2048);
    assert!(cross[0].get("thinking").is_none());
    let prompt = cross[0]["messages"][0]["content"].as_str().unwrap();
    assert!(prompt.contains("### Job: nightly-test-1-gpu-amd (linux-mi325-gpu-1)\n**Job ID:** `54000001001`\n**Run:** https://github.com/sgl-project/sglang/actions/runs/19000001001\n"), "{prompt}");
    assert!(
        body.contains("### Summary\n\n**Counts**: 2 failures · 2 clusters\n\n| # | Cluster |"),
        "{body}"
    );
    assert!(!body.contains("## Overview"), "{body}");
    assert!(!body.contains("Here is the grouping"), "{body}");
}

#[test]
fn an_overloaded_gateway_is_retried() {
    let fake = fake(json!([
        {"method": "POST", "path": "^/v1/messages$", "status": 529, "times": 1,
         "body": "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}"}
    ]));
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT]);
    let out = api_tick(&fake).stderr_contains(&done(1)).success();
    let messages = job_calls(&fake.messages());
    assert_eq!(messages.len(), 2, "{out}");
    // The same rich request was sent again, not the plain fallback call.
    assert!(
        messages.iter().all(|m| m["thinking"]["type"] == "adaptive"),
        "{messages:?}"
    );
    assert!(fake.requests().iter().any(|r| r.status == 529));
    let posted = fake.writes().iter().filter(|w| w.method == "POST").count();
    assert!(posted >= 2, "issue and comment posted\n{out}");
}

#[test]
fn the_api_backend_without_a_gateway_is_a_configuration_error() {
    let fake = fake(json!([]));
    let out = api_tick(&fake).env("LLM_GATEWAY_URL", "").status(2);
    assert!(out.stderr.contains("LLM_GATEWAY_URL"), "{out}");
    assert!(fake.writes().is_empty());
}

#[test]
fn a_gateway_failure_falls_back_to_the_builtin_analyser_and_says_so() {
    let fake = fake(json!([
        {"method": "POST", "path": "^/v1/messages$", "status": 400, "times": 10,
         "body": "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"bad\"}}"}
    ]));
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT]);
    let out = api_tick(&fake).stderr_contains(&done(1)).success();
    let state = fake.state();
    let body = state["repos"][BOT_REPO]["issues"][0]["comments_list"][0]["body"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(body.contains("test_version_command"), "{body}\n{out}");
    assert!(body.to_lowercase().contains("builtin"), "{body}");
}

#[test]
fn g29_a_failed_first_call_is_retried_once_without_thinking_and_with_4096_tokens() {
    let fake = fake(json!([
        {"method": "POST", "path": "^/v1/messages$", "status": 400, "times": 1,
         "body": "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"thinking not supported\"}}"}
    ]));
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT]);
    let out = api_tick(&fake).stderr_contains(&done(1)).success();
    let messages = job_calls(&fake.messages());
    // Two jobs: one answered by the first call, one by the plain retry.
    assert_eq!(messages.len(), 2, "{out}");
    let plain: Vec<_> = messages
        .iter()
        .filter(|m| m.get("thinking").is_none())
        .collect();
    assert_eq!(plain.len(), 1, "{messages:?}");
    assert_eq!(plain[0]["max_tokens"], 4096);
    let body = fake.state()["repos"][BOT_REPO]["issues"][0]["comments_list"][0]["body"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(body.matches("using Claude API").count(), 1, "{body}");
    assert!(
        !body.contains("builtin"),
        "no fallback to the builtin analyser\n{body}"
    );
}

#[test]
fn g2_api_mode_without_a_gateway_key_or_url_stops_before_any_request() {
    let fake = fake(json!([]));
    let out = api_tick(&fake)
        .env("LLM_GATEWAY_KEY", "")
        .args(["--no-use-agent"])
        .status(2);
    assert!(out.stderr.contains("LLM_GATEWAY_KEY"), "{out}");
    let out = api_tick(&fake)
        .env("USE_AGENT", "no")
        .env("LLM_GATEWAY_URL", "")
        .status(2);
    assert!(out.stderr.contains("LLM_GATEWAY_URL"), "{out}");
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
}
