//! `daily-summary` end to end: the real binary against the fake GitHub. The monitor (builtin
//! analyser) writes the day's reports, then the summary is built into the issue body. Guard
//! codes (`ST-G…`) point at tests/GUARDS.md.

use fake_github::FakeGithub;
use serde_json::json;

use crate::harness::{agent_guide, Test};
use crate::monitor::{
    bot, failed_run, issue_number, pytest_log, scenario, BOT_REPO, DELETE_COMMENT, EDIT_COMMENT,
    EDIT_ISSUE, OPEN_ISSUE, POST_COMMENT, PR_TEST, TODAY_TITLE, UPSTREAM,
};

const START: &str = "<!-- daily-cross-workflow-summary:start -->";
const END: &str = "<!-- daily-cross-workflow-summary:end -->";
const LEGACY_BOARD: &str = "<!-- ci-monitor-daily-status-board -->";
const KEPT: &str = "<!-- legacy issue body preserved below -->";
const YESTERDAY_TITLE: &str = "[CI Monitor] Daily Report - 2026-11-23";
const GATEWAY_KEY: &str = "gw-secret-key-5f3a9c1e7b";
/// A valid summary as the gateway answers it.
const API_SUMMARY: &str = "Sure, here it is.\n# Daily Cross-Workflow Summary — 2026-11-24\n**Snapshot**: x\n\n## TL;DR\n🟡 YELLOW · from the model";

fn job(id: u64, name: &str, test: &str) -> serde_json::Value {
    json!({
        "id": id, "name": name, "conclusion": "failure", "started_at": "2026-11-24T01:02:00Z",
        "steps": [{"name": "Run test", "conclusion": "failure"}],
        "log": {"text": pytest_log(test, "AssertionError: expected 3 got 2")}
    })
}

/// Today's PR-test run failing two jobs, and whatever else `issues` and `extra` hold.
fn fake_with(issues: serde_json::Value, extra: serde_json::Value) -> FakeGithub {
    let mut s = json!({
        "bot_login": "amd-bot",
        "repos": {
            UPSTREAM: {"workflows": {PR_TEST: [failed_run(701, "2026-11-24T01:00:00Z", json!([
                job(7011, "stage-a-test-1-amd (linux-mi325-gpu-1, 0)", "test/srt/test_radix_cache.py::TestRadix::test_evict"),
                job(7012, "stage-b-test-2-amd (linux-mi325-gpu-2, 1)", "test/srt/test_radix_cache.py::TestRadix::test_evict"),
            ]))]}},
            BOT_REPO: {"issues": issues}
        }
    });
    if let Some(obj) = extra.as_object() {
        for (k, v) in obj {
            s[k] = v.clone();
        }
    }
    FakeGithub::start(scenario(s))
}

fn today_issue(body: &str, comments: serde_json::Value) -> serde_json::Value {
    json!([{"number": 1, "title": TODAY_TITLE, "labels": ["ci-monitor"], "body": body, "comments": comments}])
}

/// A monitor tick that writes the reports only (the summary hook off).
fn reports_only(fake: &FakeGithub) {
    bot(fake)
        .env("BUILD_DAILY_SUMMARY", "false")
        .args(["--backend", "builtin", "monitor", "--output", "daily-issue"])
        .success();
}

fn summary(fake: &FakeGithub) -> Test {
    bot(fake).args(["--backend", "builtin", "daily-summary"])
}

/// `daily-summary` with the API backend, the fake playing the gateway.
fn api_summary(fake: &FakeGithub) -> Test {
    bot(fake)
        .env("LLM_GATEWAY_URL", &fake.url())
        .env("LLM_GATEWAY_KEY", GATEWAY_KEY)
        .file(
            "sglang-bot.toml",
            &format!("[backend]\ninstructions = {:?}\n", agent_guide()),
        )
        .args(["--backend", "api", "daily-summary"])
}

fn body(fake: &FakeGithub, number: u64) -> String {
    fake.issues(BOT_REPO)
        .into_iter()
        .find(|i| i.number == number)
        .expect("issue")
        .body
}

/// The body's parts before the first start marker and after the first end marker.
fn outside(body: &str) -> (String, String) {
    let s = body.find(START).expect("a start marker");
    let e = body.find(END).expect("an end marker") + END.len();
    (body[..s].to_string(), body[e..].to_string())
}

fn writes(fake: &FakeGithub) -> Vec<String> {
    fake.writes()
        .into_iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

#[test]
fn after_a_monitor_tick_the_body_holds_the_summary_and_the_rest_is_byte_identical() {
    // ST-G19, ST-G26 (the builtin backend answers without any gateway key).
    let before = format!("Intro ✓ \r\n\t`$1` \\1 {START}\n_The cross-workflow summary appears here after the first scan (about 30 minutes)._\n{END}  tail $0 \\g<0>\n\n{START}\nsecond block stays\n{END}\nend");
    let fake = fake_with(today_issue(&before, json!([])), json!({}));
    fake.expect_writes([POST_COMMENT, EDIT_ISSUE]);
    bot(&fake)
        .env("BUILD_DAILY_SUMMARY", "true")
        .args(["--backend", "builtin", "monitor", "--output", "daily-issue"])
        .stderr_contains("daily summary 2026-11-24 #1: written by sglang-bot builtin analyser")
        .success();
    let after = body(&fake, 1);
    assert_eq!(outside(&after), outside(&before), "{after}");
    let inner = &after[after.find(START).unwrap()..after.find(END).unwrap()];
    assert!(
        inner.contains("<!-- daily-cross-workflow-summary -->\n<!-- daily-summary-inputs: "),
        "{inner}"
    );
    assert!(
        inner.contains("# Daily Cross-Workflow Summary — 2026-11-24"),
        "{inner}"
    );
    assert!(
        inner.contains("| `pr-test-amd.yml` | 1 | 0 | 1 |"),
        "{inner}"
    );
    assert!(
        inner.contains("https://github.com/sgl-project/sglang/actions/runs/701/job/7011"),
        "{inner}"
    );
    assert!(!inner.contains("#job-"), "{inner}");
    assert!(inner.contains("*Generated by amd-bot using sglang-bot builtin analyser (last updated: 2026-11-24 06:00 UTC)*"), "{inner}");
    assert!(after.contains("second block stays"));
}

#[test]
fn a_second_run_with_the_same_inputs_asks_no_backend_and_writes_nothing() {
    let fake = fake_with(
        today_issue("", json!([])),
        json!({"messages_reply": API_SUMMARY}),
    );
    fake.expect_writes([POST_COMMENT, EDIT_ISSUE]);
    reports_only(&fake);
    api_summary(&fake)
        .stderr_contains("analysis backends, in order")
        .stderr_contains("written by Claude API")
        .success();
    assert_eq!(fake.messages().len(), 1);
    let first = body(&fake, 1);
    assert!(first.contains("🟡 YELLOW · from the model"), "{first}");
    assert!(
        !first.contains("Sure, here it is."),
        "the preamble is dropped"
    );
    assert!(first.contains("using Claude API"));
    fake.reset_requests();
    // Later, same inputs: a new snapshot time alone is no change.
    api_summary(&fake)
        .env("SGLANG_BOT_NOW", "2026-11-24T06:30:00Z")
        .stderr_contains("unchanged")
        // Not even built: no agent probe, no checkout fetch for a run that writes nothing.
        .stderr_lacks("analysis backends, in order")
        .success();
    assert_eq!(fake.messages().len(), 1, "no second model call");
    assert!(writes(&fake).is_empty(), "{:?}", writes(&fake));
    assert_eq!(body(&fake, 1), first);
}

#[test]
fn five_concurrent_runs_leave_one_block_and_no_legacy_comments_with_or_without_markers() {
    // ST-G21, ST-G24 and ST-W14: the body starts without markers, or with them.
    for initial in ["A body written by hand, no markers.", ""] {
        let seeded = format!("{START}\n_placeholder_\n{END}\n\nheader");
        let start_body = if initial.is_empty() {
            seeded.clone()
        } else {
            initial.to_string()
        };
        let comments = json!([
            {"user": "amd-bot", "body": format!("{LEGACY_BOARD}\n# old board")},
            {"user": "a-human", "body": format!("Quoting the bot: `{LEGACY_BOARD}`")},
            {"user": "amd-bot", "body": format!("{LEGACY_BOARD}\n# another old board")},
        ]);
        let fake = fake_with(today_issue(&start_body, comments), json!({}));
        fake.expect_writes([POST_COMMENT, EDIT_ISSUE, DELETE_COMMENT]);
        reports_only(&fake);
        let runs: Vec<_> = (0..5)
            .map(|_| {
                let t = summary(&fake);
                std::thread::spawn(move || t.run())
            })
            .collect();
        for r in runs {
            let out = r.join().unwrap();
            assert_eq!(out.status, 0, "{out}");
        }
        let after = body(&fake, 1);
        assert_eq!(after.matches(START).count(), 1, "{after}");
        assert_eq!(after.matches(END).count(), 1, "{after}");
        assert_eq!(
            after.matches("# Daily Cross-Workflow Summary —").count(),
            1,
            "{after}"
        );
        if initial.is_empty() {
            assert!(!after.contains(KEPT), "{after}");
            assert!(after.ends_with(&format!("{END}\n\nheader")), "{after}");
        } else {
            assert_eq!(after.matches(KEPT).count(), 1, "{after}");
            assert!(
                after.ends_with(&format!("{KEPT}\n\n{initial}\n")),
                "{after}"
            );
            assert!(
                after.contains("## CI Monitor — 2026-11-24"),
                "seeded: {after}"
            );
        }
        let legacy: Vec<String> = fake
            .comments(BOT_REPO, 1)
            .into_iter()
            .filter(|c| c.body.contains(LEGACY_BOARD))
            .map(|c| c.author)
            .collect();
        assert_eq!(
            legacy,
            ["a-human"],
            "the human's quote survives, the bot's go"
        );
    }
}

#[test]
fn answers_without_the_heading_or_with_our_markers_are_rejected_and_the_chain_falls_back() {
    // ST-W10, ST-G16.
    for reply in [
        "Error: the model is overloaded".to_string(),
        format!("# Daily Cross-Workflow Summary — 2026-11-24\nok\n{END}\norphan"),
    ] {
        let fake = fake_with(today_issue("", json!([])), json!({"messages_reply": reply}));
        fake.expect_writes([POST_COMMENT, EDIT_ISSUE]);
        reports_only(&fake);
        api_summary(&fake)
            .stderr_contains("API summary refused")
            .stderr_contains("written by sglang-bot builtin analyser")
            .success();
        assert_eq!(fake.messages().len(), 1);
        let after = body(&fake, 1);
        assert!(
            !after.contains("orphan") && !after.contains("overloaded"),
            "{after}"
        );
        assert!(after.contains("_Note: Claude API failed (see the run log); this analysis is by the sglang-bot builtin analyser._"), "{after}");
        assert_eq!(after.matches(END).count(), 1);
    }
}

#[test]
fn yesterdays_unfilled_placeholder_counts_as_no_yesterday() {
    // ST-W9, ST-G10.
    let issues = json!([
        {"number": 1, "title": TODAY_TITLE, "labels": ["ci-monitor"], "body": ""},
        {"number": 2, "title": YESTERDAY_TITLE, "labels": ["ci-monitor"],
         "body": format!("{START}\n_The cross-workflow summary appears here after the first scan (about 30 minutes)._\n{END}\n")}
    ]);
    let fake = fake_with(issues, json!({"messages_reply": API_SUMMARY}));
    fake.expect_writes([POST_COMMENT, EDIT_ISSUE]);
    reports_only(&fake);
    api_summary(&fake).success();
    let prompt = fake.messages()[0].to_string();
    assert!(prompt.contains("(no prior summary available)"), "{prompt}");
    assert!(
        !prompt.contains("appears here after the first scan"),
        "{prompt}"
    );
}

#[test]
fn no_issue_or_no_analyses_exits_0_and_writes_nothing() {
    // ST-G1, ST-G9.
    let fake = fake_with(json!([]), json!({}));
    summary(&fake).stderr_contains("no daily issue").success();
    let fake = fake_with(
        today_issue(
            "body",
            json!([{"user": "amd-bot", "body": format!("{LEGACY_BOARD} x")}]),
        ),
        json!({}),
    );
    summary(&fake)
        .stderr_contains("no analyses, nothing written")
        .success();
    assert!(writes(&fake).is_empty(), "no body write and no cleanup");
}

#[test]
fn without_a_token_it_stops_before_any_request() {
    // ST-G26 (exit 2, as every command without a token).
    let fake = fake_with(json!([]), json!({}));
    Test::new()
        .env("GITHUB_API_URL", &fake.url())
        .env("BOT_REPO", BOT_REPO)
        .args(["daily-summary"])
        .stderr_contains("no GitHub token")
        .status(2);
    assert!(fake.requests().is_empty());
}

#[test]
fn a_dry_run_shows_the_body_and_json_says_what_would_be_written() {
    let fake = fake_with(today_issue("", json!([])), json!({}));
    fake.expect_writes([POST_COMMENT]);
    reports_only(&fake);
    fake.reset_requests();
    bot(&fake)
        .args(["--backend", "builtin", "--dry-run", "daily-summary"])
        .stdout_contains("Would write this body into amd-ci/sglang-ci-bot#1:")
        .stdout_contains("# Daily Cross-Workflow Summary — 2026-11-24")
        .success();
    let out = bot(&fake)
        .args([
            "--backend",
            "builtin",
            "--dry-run",
            "--format",
            "json",
            "daily-summary",
        ])
        .success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["report"]["outcome"], "published");
    assert_eq!(v["planned_writes"][0]["method"], "PATCH");
    assert!(v["planned_writes"][0]["body"]["body"]
        .as_str()
        .unwrap()
        .contains(START));
    assert!(writes(&fake).is_empty(), "{:?}", writes(&fake));
}

#[test]
fn a_failed_publish_exits_1_saying_why() {
    let fake = fake_with(
        today_issue("", json!([])),
        json!({"faults": [{"method": "PATCH", "path": "/issues/1$", "status": 422, "times": 10}]}),
    );
    fake.expect_writes([POST_COMMENT, EDIT_ISSUE]);
    reports_only(&fake);
    summary(&fake)
        .stderr_contains("cannot write the summary into amd-ci/sglang-ci-bot#1")
        .status(1);
}

#[test]
fn facts_that_cannot_be_read_stop_the_rebuild_instead_of_changing_the_summary() {
    // A passing outage of the runs listing must not publish a summary without counts (and ask
    // a model again twice, once failing and once recovering): exit 1, nothing written.
    let fake = fake_with(today_issue("", json!([])), json!({}));
    fake.expect_writes([POST_COMMENT, EDIT_ISSUE]);
    reports_only(&fake);
    fake.reset_requests();
    fake.add(
        serde_json::from_value::<fake_github::Scenario>(json!({"faults": [
            {"method": "GET", "path": "/actions/workflows/.*/runs", "status": 502, "times": 100}
        ]}))
        .unwrap(),
    );
    summary(&fake)
        .file("sglang-bot.toml", "[github]\nmax_attempts = 1\n")
        .stderr_contains("could not all be read, so it is not rebuilt this time")
        .status(1);
    assert!(fake.writes().is_empty(), "{:?}", fake.writes());
    assert_eq!(body(&fake, 1), "");
}

#[test]
fn the_monitor_hook_runs_only_when_one_process_watched_every_workflow() {
    // ST-G27: a matrix job (`--workflows`) and BUILD_DAILY_SUMMARY=false leave the body alone.
    let fake = fake_with(today_issue("", json!([])), json!({}));
    fake.expect_writes([POST_COMMENT]);
    bot(&fake)
        .env("BUILD_DAILY_SUMMARY", "true")
        .args([
            "--backend",
            "builtin",
            "monitor",
            "--output",
            "daily-issue",
            "--workflows",
            PR_TEST,
        ])
        .stderr_contains("daily summary not rebuilt here")
        .success();
    assert_eq!(body(&fake, 1), "");
    // Every workflow in one process, new analyses, but the hook turned off.
    let fake = fake_with(today_issue("", json!([])), json!({}));
    fake.expect_writes([POST_COMMENT]);
    reports_only(&fake);
    assert_eq!(body(&fake, 1), "");
    // The hook's failure (the body cannot be written) is logged; the monitor still succeeds.
    let fake = fake_with(
        today_issue("", json!([])),
        json!({"faults": [{"method": "PATCH", "path": "/issues/1$", "status": 422, "times": 10}]}),
    );
    fake.expect_writes([POST_COMMENT, EDIT_ISSUE]);
    bot(&fake)
        .env("BUILD_DAILY_SUMMARY", "true")
        .args(["--backend", "builtin", "monitor", "--output", "daily-issue"])
        .stderr_contains("the daily summary failed")
        .stderr_contains("the monitor's result is unaffected")
        .success();
}

/// Day 1: jobs a (test A), b (B) and d (D) fail. Day 2: a fails again, c (C) is new, b passed
/// in a later run, d was not run again.
#[test]
fn new_still_failing_fixed_and_not_seen_today_across_two_days() {
    let day1 = failed_run(
        501,
        "2026-11-23T01:00:00Z",
        json!([
            job(5011, "job-a", "test/srt/test_a.py::TestA::test_a"),
            job(5012, "job-b", "test/srt/test_b.py::TestB::test_b"),
            job(5013, "job-d", "test/srt/test_d.py::TestD::test_d"),
        ]),
    );
    let mut passed_b = job(5022, "job-b", "test/srt/test_b.py::TestB::test_b");
    passed_b["conclusion"] = json!("success");
    let day2 = failed_run(
        502,
        "2026-11-24T01:00:00Z",
        json!([
            job(5021, "job-a", "test/srt/test_a.py::TestA::test_a"),
            passed_b,
            job(5023, "job-c", "test/srt/test_c.py::TestC::test_c"),
        ]),
    );
    let fake = FakeGithub::start(scenario(json!({
        "bot_login": "amd-bot",
        "repos": {UPSTREAM: {"workflows": {PR_TEST: [day1]}}, BOT_REPO: {}}
    })));
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT, EDIT_ISSUE, EDIT_COMMENT]);
    let tick = |now: &str| {
        bot(&fake)
            .env("SGLANG_BOT_NOW", now)
            .env("BUILD_DAILY_SUMMARY", "true")
            .args(["--backend", "builtin", "monitor", "--output", "daily-issue"])
            .success()
    };
    tick("2026-11-23T06:00:00Z");
    let first = body(&fake, issue_number(&fake, YESTERDAY_TITLE));
    assert!(first.contains("no summary for yesterday"), "{first}");
    fake.add(scenario(
        json!({"repos": {UPSTREAM: {"workflows": {PR_TEST: [day2]}}}}),
    ));
    tick("2026-11-24T06:00:00Z");
    let second = body(&fake, issue_number(&fake, TODAY_TITLE));
    assert!(
        second.contains("1 new · 1 still failing · 1 fixed · 1 not seen today"),
        "{second}"
    );
    let fixed = second
        .split("**✅ Fixed**")
        .nth(1)
        .unwrap()
        .split("**⚪")
        .next()
        .unwrap();
    assert!(
        fixed.contains("test_b") && fixed.contains("job-b"),
        "{fixed}"
    );
    let unseen = second
        .split("**⚪ Not seen today**")
        .nth(1)
        .unwrap()
        .split("##")
        .next()
        .unwrap();
    assert!(
        unseen.contains("test_d") && unseen.contains("job-d"),
        "{unseen}"
    );
    assert!(
        second.contains("🔴 RED · 2 unique clusters · 1 NEW today · 1 carrying over"),
        "{second}"
    );
    let new = second
        .split("· 🆕 · ")
        .nth(1)
        .unwrap()
        .lines()
        .next()
        .unwrap();
    assert!(new.contains("test_c"), "{new}");
}

#[test]
fn yesterdays_body_comes_first_then_the_bots_newest_legacy_comment() {
    // ST-G11: yesterday's body has no block, so the newest legacy comment by the bot is used
    // (a person's later quote of the marker is not).
    let issues = json!([
        {"number": 1, "title": TODAY_TITLE, "labels": ["ci-monitor"], "body": ""},
        {"number": 2, "title": YESTERDAY_TITLE, "labels": ["ci-monitor"], "body": "no markers here",
         "comments": [
            {"user": "amd-bot", "body": format!("{LEGACY_BOARD}\nOLDER BOARD")},
            {"user": "amd-bot", "body": format!("{LEGACY_BOARD}\nNEWER BOARD")},
            {"user": "a-human", "body": format!("{LEGACY_BOARD} HUMAN QUOTE")},
         ]}
    ]);
    let fake = fake_with(issues, json!({"messages_reply": API_SUMMARY}));
    fake.expect_writes([POST_COMMENT, EDIT_ISSUE]);
    reports_only(&fake);
    api_summary(&fake).success();
    let prompt = fake.messages()[0].to_string();
    assert!(prompt.contains("NEWER BOARD"), "{prompt}");
    assert!(
        !prompt.contains("OLDER BOARD") && !prompt.contains("HUMAN QUOTE"),
        "{prompt}"
    );
    assert_eq!(
        fake.comments(BOT_REPO, 2).len(),
        3,
        "yesterday's comments are left alone"
    );
}

/// A `daily-summary` with the stub agent answering `answer` in `mode`, over reports of runs at
/// a commit of a local upstream; returns the fake and the stub's directory.
fn agent_summary(
    mode: &str,
    answer: &str,
) -> (FakeGithub, tempfile::TempDir, crate::harness::Output) {
    use std::path::Path;
    let upstream = crate::upstream::Upstream::new();
    let sha = upstream.commit("main", &[("python/sglang/version.py", "v = 1\n")]);
    let mut run = failed_run(
        701,
        "2026-11-24T01:00:00Z",
        json!([job(
            7011,
            "stage-a-test-1-amd",
            "test/srt/test_radix_cache.py::TestRadix::test_evict"
        )]),
    );
    run["head_sha"] = json!(sha);
    let fake = FakeGithub::start(scenario(json!({
        "bot_login": "amd-bot",
        "repos": {UPSTREAM: {"workflows": {PR_TEST: [run]}}, BOT_REPO: {"issues": today_issue("", json!([]))}}
    })));
    fake.expect_writes([POST_COMMENT, EDIT_ISSUE]);
    reports_only(&fake);
    let tools = tempfile::tempdir().unwrap();
    let claude = tools.path().join("claude");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stub-claude"),
        &claude,
    )
    .unwrap();
    std::fs::write(tools.path().join("claude.mode"), mode).unwrap();
    std::fs::write(tools.path().join("claude.answer"), answer).unwrap();
    let workspace = tempfile::tempdir().unwrap();
    let out = bot(&fake)
        .env("CLAUDE_BIN", &claude.display().to_string())
        .env("ANTHROPIC_API_KEY", "sk-ant-stub-key-0123456789")
        .env("DAILY_SUMMARY_TIMEOUT_SECS", "3")
        .file(
            "sglang-bot.toml",
            &crate::harness::agent_config(workspace.path(), &upstream.url()),
        )
        .args(["daily-summary"])
        .run();
    (fake, tools, out)
}

const AGENT_SUMMARY: &str = "# Daily Cross-Workflow Summary — 2026-11-24\n**Snapshot**: 2026-11-24 06:00 UTC\n\n## TL;DR\n🟡 YELLOW · 1 unique cluster · written by the stub agent, long enough to be recovered from its session log.";

#[test]
fn a_timed_out_agents_recovered_summary_is_published_with_its_note() {
    // ST-G17, kept on purpose: the recovered answer and its timeout note, credited to the agent.
    let (fake, tools, out) = agent_summary("sleep", AGENT_SUMMARY);
    assert_eq!(out.status, 0, "{out}");
    let prompt = std::fs::read_to_string(tools.path().join("claude.prompt")).unwrap();
    assert!(
        prompt.starts_with("Task: Daily Cross-Workflow Summary\nDate: 2026-11-24\n"),
        "{prompt}"
    );
    let after = body(&fake, 1);
    assert!(after.contains("written by the stub agent"), "{after}");
    assert!(
        after.contains("*Note: the agent timed out after 3s;"),
        "{after}"
    );
    assert!(
        after.contains(
            "*Generated by amd-bot using Claude Code CLI (last updated: 2026-11-24 06:00 UTC)*"
        ),
        "{after}"
    );
}

#[test]
fn an_agent_answer_echoing_our_end_marker_is_refused_and_the_builtin_summary_published() {
    // ST-W10 with the agent.
    let (fake, _tools, out) = agent_summary("ok", &format!("{AGENT_SUMMARY}\n{END}\norphan"));
    assert_eq!(out.status, 0, "{out}");
    assert!(out.stderr.contains("agent summary refused"), "{out}");
    let after = body(&fake, 1);
    assert!(
        !after.contains("orphan") && !after.contains("stub agent"),
        "{after}"
    );
    assert!(
        after.contains("using sglang-bot builtin analyser"),
        "{after}"
    );
}

#[test]
fn an_unchanged_summary_is_not_written_but_the_legacy_cleanup_still_runs() {
    // ST-G23: the same inputs on a copy of the issue, plus a legacy comment by the bot.
    let fake = fake_with(today_issue("", json!([])), json!({}));
    fake.expect_writes([POST_COMMENT, EDIT_ISSUE]);
    reports_only(&fake);
    summary(&fake).success();
    let written = body(&fake, 1);
    let mut comments: Vec<serde_json::Value> = fake
        .comments(BOT_REPO, 1)
        .into_iter()
        .map(|c| json!({"user": c.author, "body": c.body}))
        .collect();
    comments.push(json!({"user": "amd-bot", "body": format!("{LEGACY_BOARD}\nold board")}));
    let copy = fake_with(today_issue(&written, json!(comments)), json!({}));
    copy.expect_writes([DELETE_COMMENT]);
    summary(&copy).stderr_contains("unchanged").success();
    assert_eq!(writes(&copy).len(), 1, "{:?}", writes(&copy));
    assert!(writes(&copy)[0].starts_with("DELETE "));
    assert_eq!(body(&copy, 1), written);
}

#[test]
fn a_legacy_comment_that_cannot_be_deleted_is_logged_and_the_others_still_go() {
    // ST-G24: another error than 404 on one DELETE; the rest continue and the run succeeds.
    let comments = json!([
        {"id": 9001, "user": "amd-bot", "body": format!("{LEGACY_BOARD}\nfirst")},
        {"id": 9002, "user": "amd-bot", "body": format!("{LEGACY_BOARD}\nsecond")},
        {"id": 9003, "user": "amd-bot", "body": "<!-- ci-monitor-daily-status-board:start -->\nnot the content marker"},
    ]);
    let fake = fake_with(
        today_issue("", comments),
        json!({"faults": [{"method": "DELETE", "path": "/issues/comments/9001$", "status": 403, "times": 10}]}),
    );
    fake.expect_writes([POST_COMMENT, EDIT_ISSUE, DELETE_COMMENT]);
    reports_only(&fake);
    summary(&fake)
        .stderr_contains("cannot delete legacy summary comment 9001")
        .success();
    let left: Vec<u64> = fake
        .comments(BOT_REPO, 1)
        .into_iter()
        .filter(|c| c.body.contains("ci-monitor-daily-status-board"))
        .map(|c| c.id)
        .collect();
    assert_eq!(
        left,
        [9001, 9003],
        "9002 deleted; the :start form is not the marker"
    );
}

#[test]
fn a_parts_total_is_ignored_when_the_reports_are_read() {
    // ST-G6: the same reports with a wrong total in their part marker read the same.
    let fake = fake_with(today_issue("", json!([])), json!({}));
    fake.expect_writes([POST_COMMENT]);
    reports_only(&fake);
    let comments: Vec<serde_json::Value> = fake
        .comments(BOT_REPO, 1)
        .into_iter()
        .map(|c| {
            let body = c.body.replace(
                "<!-- ci-monitor-part: 1/1 -->",
                "<!-- ci-monitor-part: 1/99 -->",
            );
            json!({"user": c.author, "body": body})
        })
        .collect();
    assert!(comments
        .iter()
        .any(|c| c["body"].as_str().unwrap().contains("1/99")));
    let copy = fake_with(today_issue("", json!(comments)), json!({}));
    copy.expect_writes([EDIT_ISSUE]);
    summary(&copy).stderr_contains("written by").success();
    let after = body(&copy, 1);
    assert!(
        after.contains("runs/701/job/7011") && after.contains("runs/701/job/7012"),
        "{after}"
    );
}
