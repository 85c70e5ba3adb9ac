//! `failure-tracker` against the fake GitHub: trackers written by the original bot are
//! continued, an unreadable state is never overwritten, any number of failing tests fits, and
//! a tracker is never duplicated (issue #13 acceptance).

use fake_github::{FakeGithub, Scenario};
use serde_json::{json, Value};
use sglang_bot::domain::{Day, JobId};
use sglang_bot::report::tracker_parts;
use sglang_bot::report::tracker_state::{StoredEntry, TrackerEntry, TrackerState};
use sglang_bot::report::{JobAnalysis, WorkflowReport};

use crate::harness::Test;
use crate::monitor::{BOT_REPO, NIGHTLY, PR_TEST, UPSTREAM};

const TITLE: &str = "[Failure Tracker] PR Test (AMD)";
const NIGHTLY_TITLE: &str = "[Failure Tracker] Nightly Test (AMD)";
const LEGACY_TITLE: &str = "[CI Tracker] PR Test (AMD) — Persistent Failure Ledger";
const CREATE: &str = "POST /repos/sgl-project/sglang/issues";
const EDIT: &str = "PATCH /repos/sgl-project/sglang/issues/{number}";
const POST_PART: &str = "POST /repos/sgl-project/sglang/issues/{number}/comments";
const EDIT_PART: &str = "PATCH /repos/sgl-project/sglang/issues/comments/{id}";
const DELETE_PART: &str = "DELETE /repos/sgl-project/sglang/issues/comments/{id}";
const ALL_WRITES: [&str; 5] = [CREATE, EDIT, POST_PART, EDIT_PART, DELETE_PART];

/// Two tracked workflows (the config file the binary reads from its working directory).
const TWO_TRACKED: &str = r#"
[[tracker.workflows]]
file = "pr-test-amd.yml"
title = "[Failure Tracker] PR Test (AMD)"
display = "PR Test (AMD)"

[[tracker.workflows]]
file = "nightly-test-amd.yml"
title = "[Failure Tracker] Nightly Test (AMD)"
display = "Nightly Test (AMD)"
"#;

/// One job's analysis failing `tests` (file, function).
fn analysis(job: u64, tests: &[(String, String)]) -> JobAnalysis {
    let rows: String = tests
        .iter()
        .map(|(f, t)| format!("| `{f}` | `{t}` | AssertionError: boom --> x | [log](x) |\n"))
        .collect();
    JobAnalysis {
        job_id: JobId::new(job),
        job_name: format!("stage-a-test-{job}"),
        run_url: "https://github.com/sgl-project/sglang/actions/runs/9".into(),
        started_at: Some("2026-11-24T06:41:00Z".into()),
        analysis: format!("### Failed Tests\n| Test File | Test Function | Error | Log |\n|---|---|---|---|\n{rows}\n### Failure Cluster\naccuracy\n\n### Root Cause\n{}\n", "The model's accuracy dropped below the threshold. ".repeat(8)),
        ..JobAnalysis::default()
    }
}

/// The day's report issue with the bot's comments for each workflow's failing tests.
fn daily(number: u64, date: &str, failing: &[(&str, Vec<(String, String)>)]) -> Value {
    daily_at(number, date, failing, None)
}

/// The same, with the commit the jobs ran on.
fn daily_at(
    number: u64,
    date: &str,
    failing: &[(&str, Vec<(String, String)>)],
    sha: Option<&str>,
) -> Value {
    let mut comments = Vec::new();
    for (i, (wf, tests)) in failing.iter().enumerate() {
        let analyses: Vec<JobAnalysis> = tests
            .chunks(50)
            .enumerate()
            .map(|(j, chunk)| JobAnalysis {
                head_sha: sha.and_then(|s| s.parse().ok()),
                ..analysis(1000 * (i as u64 + 1) + j as u64, chunk)
            })
            .collect();
        let report = WorkflowReport {
            workflow: wf,
            analyses: &analyses,
            summary: None,
            pending: &[],
            unanalysed: &[],
            producer: "sglang-bot builtin analyser",
            now: "2026-11-24 06:00 UTC",
            upstream: UPSTREAM,
        };
        for body in report.render_parts() {
            comments.push(json!({"user": "amd-bot", "body": body}));
        }
    }
    json!({"number": number, "title": format!("[CI Monitor] Daily Report - {date}"),
           "labels": ["ci-monitor"], "user": "amd-bot", "comments": comments})
}

fn tests(names: &[(&str, &str)]) -> Vec<(String, String)> {
    names
        .iter()
        .map(|(f, t)| (f.to_string(), t.to_string()))
        .collect()
}

fn tracker(number: u64, title: &str, body: &str) -> Value {
    json!({"number": number, "title": title, "body": body, "labels": ["ci-failure-tracker"], "user": "amd-bot"})
}

fn fake(bot_issues: Vec<Value>, upstream_issues: Vec<Value>, extra: Value) -> FakeGithub {
    let mut scenario = json!({
        "bot_login": "amd-bot",
        "repos": {BOT_REPO: {"issues": bot_issues}, UPSTREAM: {"issues": upstream_issues}}
    });
    if let (Value::Object(s), Value::Object(e)) = (&mut scenario, extra) {
        s.extend(e);
    }
    FakeGithub::start(serde_json::from_value::<Scenario>(scenario).unwrap())
}

fn bot(fake: &FakeGithub, now: &str) -> Test {
    Test::new()
        .env("GITHUB_API_URL", &fake.url())
        .env("GH_PAT", "test-token-1234567890")
        .env("BOT_REPO", BOT_REPO)
        .env("SGLANG_BOT_NOW", now)
}

fn upstream(fake: &FakeGithub, number: u64) -> fake_github::FakeIssue {
    fake.issues(UPSTREAM)
        .into_iter()
        .find(|i| i.number == number)
        .unwrap()
}

/// The state a tracker holds across its body and the bot's part comments.
pub(crate) fn state_of(fake: &FakeGithub, number: u64) -> TrackerState {
    let body = upstream(fake, number).body;
    let comments: Vec<String> = fake
        .comments(UPSTREAM, number)
        .into_iter()
        .map(|c| c.body)
        .collect();
    let texts: Vec<&str> = comments.iter().map(String::as_str).collect();
    tracker_parts::read(&body, &texts).unwrap()
}

pub(crate) fn entry<'a>(state: &'a TrackerState, key: &str) -> &'a TrackerEntry {
    match state.entries.get(key) {
        Some(StoredEntry::Entry(e)) => e,
        other => panic!("{key}: {other:?}\n{:?}", state.entries.keys()),
    }
}

pub(crate) fn day(s: &str) -> Option<Day> {
    s.parse().ok()
}

/// A tracker body in the original's state format, with a key in the old spelling.
const ORIGINAL_BODY: &str = r#"<!-- ci-failure-tracker:start -->
<!-- ci-failure-tracker-state:
{
"test/srt/test_a.py::TestA.test_x": {
"test_file": "test/srt/test_a.py",
"test_function": "TestA.test_x",
"cluster": "HIP OOM",
"error": "RuntimeError: HIP out of memory",
"status": "recurring",
"job_url": "https://github.com/sgl-project/sglang/actions/runs/1/job/123",
"job_id": "123",
"detail_url": "",
"run_started_at": "2026-11-20T06:41:00Z",
"last_seen": "2026-11-20",
"first_seen": "2026-11-01",
"triaged_by": "HaiShaw"
},
"test/srt/test_b.py::test_y": {
"test_file": "test/srt/test_b.py",
"test_function": "test_y",
"job_id": 456,
"last_seen": "2026-11-19",
"first_seen": "2026-11-02"
}
}
-->
# PR Test (AMD) — Failure Tracker
<!-- ci-failure-tracker:end -->"#;

#[test]
fn an_original_format_tracker_is_continued_with_first_seen_kept_across_a_spelling_change() {
    let failing = tests(&[("test/srt/test_a.py", "TestA.test_x")]);
    let fake = fake(
        vec![daily(1, "2026-11-24", &[(PR_TEST, failing)])],
        vec![tracker(50, TITLE, ORIGINAL_BODY)],
        json!({}),
    );
    fake.expect_writes(ALL_WRITES);
    let out = bot(&fake, "2026-11-24T06:00:00Z")
        .args(["failure-tracker"])
        .success();
    assert!(
        out.stdout.contains("pr-test-amd.yml → issue #50: updated"),
        "{out}"
    );
    let state = state_of(&fake, 50);
    let a = entry(&state, "srt/test_a.py::TestA::test_x");
    assert_eq!(
        a.first_seen(),
        day("2026-11-01"),
        "first_seen survives the new spelling"
    );
    assert_eq!(a.last_seen(), day("2026-11-24"));
    assert_eq!(a.other["triaged_by"], "HaiShaw");
    let b = entry(&state, "srt/test_b.py::test_y");
    assert_eq!(
        (b.first_seen(), b.last_seen()),
        (day("2026-11-02"), day("2026-11-19"))
    );
    assert_eq!(state.entries.len(), 2, "{:?}", state.entries.keys());
    assert_eq!(fake.issues(UPSTREAM).len(), 1, "no new tracker");
}

#[test]
fn a_legacy_prefix_tracker_under_a_legacy_title_is_renamed_and_continued() {
    let body = ORIGINAL_BODY.replace(
        "<!-- ci-failure-tracker-state:",
        "<!-- pr-test-amd-tracker-state:",
    );
    let failing = tests(&[("test/srt/test_b.py", "test_y")]);
    let fake = fake(
        vec![daily(1, "2026-11-24", &[(PR_TEST, failing)])],
        vec![tracker(60, LEGACY_TITLE, &body)],
        json!({}),
    );
    fake.expect_writes(ALL_WRITES);
    bot(&fake, "2026-11-24T06:00:00Z")
        .args(["failure-tracker"])
        .success();
    let issue = upstream(&fake, 60);
    assert_eq!(issue.title, TITLE);
    assert!(issue.body.contains("<!-- ci-failure-tracker-state:"));
    assert!(!issue.body.contains("pr-test-amd-tracker-state"));
    let state = state_of(&fake, 60);
    let b = entry(&state, "srt/test_b.py::test_y");
    assert_eq!(
        (b.first_seen(), b.last_seen()),
        (day("2026-11-02"), day("2026-11-24"))
    );
    assert_eq!(
        entry(&state, "srt/test_a.py::TestA::test_x").first_seen(),
        day("2026-11-01")
    );
    assert_eq!(fake.issues(UPSTREAM).len(), 1);
}

#[test]
fn an_unreadable_state_is_left_alone_with_exit_1_and_the_other_workflow_is_updated() {
    let corrupt = "<!-- ci-failure-tracker:start -->\n<!-- ci-failure-tracker-state:\n{\"a.py::t\": {\"error\": \"x\"\n-->\n<!-- ci-failure-tracker:end -->";
    let fake = fake(
        vec![daily(
            1,
            "2026-11-24",
            &[
                (PR_TEST, tests(&[("a.py", "t")])),
                (NIGHTLY, tests(&[("n.py", "t")])),
            ],
        )],
        vec![
            tracker(70, TITLE, corrupt),
            tracker(
                71,
                NIGHTLY_TITLE,
                &sglang_bot::report::markers::tracker_placeholder("Nightly Test (AMD)"),
            ),
        ],
        json!({}),
    );
    fake.expect_writes(ALL_WRITES);
    let out = bot(&fake, "2026-11-24T06:00:00Z")
        .file("sglang-bot.toml", TWO_TRACKED)
        .args(["failure-tracker"])
        .status(1);
    assert!(
        out.stdout
            .contains("pr-test-amd.yml → issue #70: not updated"),
        "{out}"
    );
    assert!(out.stdout.contains("state cannot be read"), "{out}");
    let touched_70: Vec<_> = fake
        .writes()
        .into_iter()
        .filter(|w| w.path.contains("/issues/70"))
        .collect();
    assert!(touched_70.is_empty(), "{touched_70:?}");
    assert_eq!(upstream(&fake, 70).body, corrupt);
    let nightly = state_of(&fake, 71);
    assert_eq!(entry(&nightly, "n.py::t").last_seen(), day("2026-11-24"));
}

fn many(n: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|i| {
            (
                format!("test/registered/amd/test_model_{i:03}.py"),
                format!("TestModel{i}.test_accuracy_of_a_long_named_case"),
            )
        })
        .collect()
}

#[test]
fn three_hundred_failing_tests_fit_github_limits_and_keep_every_entry_the_next_day() {
    let fake = fake(
        vec![
            daily(1, "2026-11-24", &[(PR_TEST, many(300))]),
            daily(2, "2026-11-25", &[(PR_TEST, many(300)[..150].to_vec())]),
        ],
        vec![],
        json!({}),
    );
    fake.expect_writes(ALL_WRITES);
    bot(&fake, "2026-11-24T06:00:00Z")
        .args(["failure-tracker"])
        .success();
    let number = fake.issues(UPSTREAM)[0].number;
    assert_eq!(state_of(&fake, number).entries.len(), 300);
    bot(&fake, "2026-11-25T06:00:00Z")
        .args(["failure-tracker"])
        .success();
    let issue = upstream(&fake, number);
    let comments = fake.comments(UPSTREAM, number);
    assert!(!comments.is_empty(), "the state overflows into comments");
    for text in std::iter::once(&issue.body).chain(comments.iter().map(|c| &c.body)) {
        assert!(text.chars().count() <= 65_536, "{}", text.chars().count());
    }
    let state = state_of(&fake, number);
    assert_eq!(state.entries.len(), 300);
    for (i, (f, t)) in many(300).iter().enumerate() {
        let key = format!("{}::{}", &f["test/".len()..], t.replace('.', "::"));
        let e = entry(&state, &key);
        let last = if i < 150 { "2026-11-25" } else { "2026-11-24" };
        assert_eq!(
            (e.first_seen(), e.last_seen()),
            (day("2026-11-24"), day(last)),
            "{key}"
        );
    }
    let all = format!(
        "{}\n{}",
        issue.body,
        comments
            .iter()
            .map(|c| c.body.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    for (f, _) in &many(300)[..150] {
        assert!(
            all.lines()
                .any(|l| l.contains("🔴 failing") && l.contains(&format!("`{f}`"))),
            "{f} has no failing row"
        );
    }
    assert_eq!(fake.issues(UPSTREAM).len(), 1);
}

#[test]
fn a_tracker_the_bot_closed_is_reopened_when_a_failure_is_back() {
    let mut closed = tracker(80, TITLE, ORIGINAL_BODY);
    closed["state"] = "closed".into();
    closed["closed_by"] = "amd-bot".into();
    let fake = fake(
        vec![daily(
            1,
            "2026-11-24",
            &[(PR_TEST, tests(&[("a.py", "t")]))],
        )],
        vec![closed],
        json!({}),
    );
    fake.expect_writes(ALL_WRITES);
    bot(&fake, "2026-11-24T06:00:00Z")
        .args(["failure-tracker"])
        .success();
    assert_eq!(fake.issues(UPSTREAM).len(), 1, "never a second tracker");
    assert_eq!(upstream(&fake, 80).state, "open");
    assert_eq!(
        entry(&state_of(&fake, 80), "srt/test_a.py::TestA::test_x").first_seen(),
        day("2026-11-01")
    );
}

#[test]
fn a_tracker_a_person_closed_is_continued_as_it_is() {
    let mut closed = tracker(81, TITLE, ORIGINAL_BODY);
    closed["state"] = "closed".into();
    closed["closed_by"] = "HaiShaw".into();
    let fake = fake(
        vec![daily(
            1,
            "2026-11-24",
            &[(PR_TEST, tests(&[("a.py", "t")]))],
        )],
        vec![closed],
        json!({}),
    );
    fake.expect_writes(ALL_WRITES);
    let out = bot(&fake, "2026-11-24T06:00:00Z")
        .args(["failure-tracker"])
        .success();
    assert!(
        out.stderr.contains("closed by HaiShaw; continued as it is"),
        "{out}"
    );
    assert_eq!(fake.issues(UPSTREAM).len(), 1);
    assert_eq!(upstream(&fake, 81).state, "closed");
    assert_eq!(
        entry(&state_of(&fake, 81), "a.py::t").last_seen(),
        day("2026-11-24")
    );
}

#[test]
fn two_runs_right_after_a_creation_leave_one_tracker_and_the_second_writes_nothing() {
    let fake = fake(
        vec![daily(
            1,
            "2026-11-24",
            &[(PR_TEST, tests(&[("a.py", "t")]))],
        )],
        vec![],
        json!({"search_lag_ms": 60000}),
    );
    fake.expect_writes(ALL_WRITES);
    bot(&fake, "2026-11-24T06:00:00Z")
        .args(["failure-tracker"])
        .success();
    fake.reset_requests();
    // Later the same day: only the run time differs, which is not a change (ST-G53).
    let out = bot(&fake, "2026-11-24T18:30:00Z")
        .args(["failure-tracker"])
        .success();
    assert!(out.stdout.contains("unchanged"), "{out}");
    assert_eq!(fake.issues(UPSTREAM).len(), 1);
    assert!(fake.writes().is_empty(), "{:?}", fake.writes());
    let issue = &fake.issues(UPSTREAM)[0];
    assert_eq!(issue.labels, ["ci-failure-tracker"]);
    assert!(issue.body.contains("```mermaid\nxychart-beta"));
}

#[test]
fn a_403_on_upstream_writes_is_that_workflows_exit_1_with_the_reason() {
    let fake = fake(
        vec![daily(
            1,
            "2026-11-24",
            &[(PR_TEST, tests(&[("a.py", "t")]))],
        )],
        vec![],
        json!({"faults": [{"method": "POST", "path": "/repos/sgl-project/sglang/issues$", "status": 403, "times": 5}]}),
    );
    fake.expect_writes(ALL_WRITES);
    let out = bot(&fake, "2026-11-24T06:00:00Z")
        .args(["failure-tracker"])
        .status(1);
    assert!(out.stdout.contains("not updated"), "{out}");
    assert!(out.stdout.contains("403"), "{out}");
    assert!(fake.issues(UPSTREAM).is_empty());
}

#[test]
fn g1_without_the_days_issue_no_tracker_is_touched() {
    let fake = fake(vec![daily(1, "2026-11-23", &[])], vec![], json!({}));
    let out = bot(&fake, "2026-11-24T06:00:00Z")
        .args(["failure-tracker"])
        .success();
    assert!(out.stderr.contains("nothing to track"), "{out}");
    assert!(fake.requests().iter().all(|r| !r.path.contains(UPSTREAM)));
}

#[test]
fn st_g58_date_reads_a_past_issue_and_merges_into_that_day() {
    let fake = fake(
        vec![daily(
            1,
            "2026-11-23",
            &[(PR_TEST, tests(&[("a.py", "t")]))],
        )],
        vec![tracker(90, TITLE, ORIGINAL_BODY)],
        json!({}),
    );
    fake.expect_writes(ALL_WRITES);
    bot(&fake, "2026-11-24T00:20:00Z")
        .args(["failure-tracker", "--date", "2026-11-23"])
        .success();
    let state = state_of(&fake, 90);
    assert_eq!(entry(&state, "a.py::t").last_seen(), day("2026-11-23"));
    assert_eq!(entry(&state, "a.py::t").first_seen(), day("2026-11-23"));
}

#[test]
fn dry_run_and_json_show_the_tracker_writes_without_sending_them() {
    let fake = fake(
        vec![daily(
            1,
            "2026-11-24",
            &[(PR_TEST, tests(&[("a.py", "t")]))],
        )],
        vec![],
        json!({}),
    );
    let out = bot(&fake, "2026-11-24T06:00:00Z")
        .args(["--dry-run", "--format", "json", "failure-tracker"])
        .success();
    assert!(
        out.stderr
            .contains("would POST /repos/sgl-project/sglang/issues"),
        "{out}"
    );
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    let wf = &report["workflows"][0];
    assert_eq!(wf["workflow"], PR_TEST);
    assert_eq!(wf["failing"], 1);
    assert!(wf["body"].as_str().unwrap().contains("`a.py`"));
    assert!(fake.writes().is_empty());
}

#[test]
fn api_rows_are_checked_field_by_field_and_a_bad_row_is_dropped_not_fatal() {
    let reply = "<!-- ci-failure-tracker-data:start -->\n```json\n[{\"workflow\": \"pr-test-amd.yml\", \"test_file\": \"test/srt/test_m.py\", \"test_function\": \"TestM.test_k\", \"cluster\": \"oom\", \"error\": \"E --> F\", \"status\": \"new\", \"job_url\": \"https://github.com/sgl-project/sglang/actions/runs/9/job/1000\", \"job_id\": 1000, \"run_started_at\": \"2026-11-24T06:41:00Z\"}, {\"workflow\": 7, \"test_file\": \"bad.py\"}, {\"workflow\": \"nightly-test-amd.yml\", \"test_file\": \"other.py\"}]\n```\n<!-- ci-failure-tracker-data:end -->";
    let fake = fake(
        vec![daily(
            1,
            "2026-11-24",
            &[(PR_TEST, tests(&[("a.py", "t")]))],
        )],
        vec![],
        json!({"messages_reply": reply}),
    );
    fake.expect_writes(ALL_WRITES);
    let out = bot(&fake, "2026-11-24T06:00:00Z")
        .env("LLM_GATEWAY_URL", &fake.url())
        .env("LLM_GATEWAY_KEY", "sk-test-gateway-key-0123456789")
        .file(
            "sglang-bot.toml",
            &format!(
                "[backend]\ninstructions = {:?}\n",
                crate::harness::agent_guide()
            ),
        )
        .args(["--backend", "api", "failure-tracker"])
        .success();
    assert!(
        out.stderr
            .contains("tracker row 2 dropped: workflow is not a string"),
        "{out}"
    );
    assert!(
        out.stderr.contains("1 row(s) named no tracked workflow"),
        "{out}"
    );
    let number = fake.issues(UPSTREAM)[0].number;
    let state = state_of(&fake, number);
    assert_eq!(state.entries.len(), 1, "{:?}", state.entries.keys());
    let e = entry(&state, "srt/test_m.py::TestM::test_k");
    assert_eq!(e.error, "E --> F");
    assert_eq!(
        e.detail_url,
        format!("https://github.com/{BOT_REPO}/issues/1#job-1000")
    );
}

#[test]
fn g33_a_day_without_analyses_still_re_renders_the_tracker_with_its_entries_quiet() {
    let fake = fake(
        vec![daily(1, "2026-11-24", &[])],
        vec![tracker(95, TITLE, ORIGINAL_BODY)],
        json!({}),
    );
    fake.expect_writes(ALL_WRITES);
    let out = bot(&fake, "2026-11-24T06:00:00Z")
        .args(["failure-tracker"])
        .success();
    assert!(
        !out.stderr.contains("tracker row(s) from"),
        "no backend asked: {out}"
    );
    let body = upstream(&fake, 95).body;
    assert!(body.contains("_No `pr-test-amd.yml` failures observed in the latest scan._"));
    assert!(
        body.contains("| 2026-11-20 | ⚪ quiet 4d | 2026-11-01 |"),
        "{body}"
    );
    assert_eq!(state_of(&fake, 95).entries.len(), 2);
}

#[test]
fn g50_a_legacy_tracker_whose_rename_fails_is_still_used_and_not_duplicated() {
    let fake = fake(
        vec![daily(
            1,
            "2026-11-24",
            &[(PR_TEST, tests(&[("a.py", "t")]))],
        )],
        vec![tracker(96, LEGACY_TITLE, ORIGINAL_BODY)],
        json!({"faults": [{"method": "PATCH", "path": "/repos/sgl-project/sglang/issues/96$", "status": 403, "times": 1}]}),
    );
    fake.expect_writes(ALL_WRITES);
    let out = bot(&fake, "2026-11-24T06:00:00Z")
        .args(["failure-tracker"])
        .success();
    assert!(
        out.stderr.contains("cannot rename legacy tracker #96"),
        "{out}"
    );
    assert_eq!(fake.issues(UPSTREAM).len(), 1, "no second tracker");
    assert_eq!(upstream(&fake, 96).title, LEGACY_TITLE);
    assert_eq!(
        entry(&state_of(&fake, 96), "a.py::t").last_seen(),
        day("2026-11-24")
    );
}

#[test]
fn without_a_token_the_tracker_stops_before_any_request() {
    let fake = fake(vec![], vec![], json!({}));
    let out = Test::new()
        .env("GITHUB_API_URL", &fake.url())
        .env("BOT_REPO", BOT_REPO)
        .args(["failure-tracker"])
        .status(2);
    assert!(out.stderr.contains("no GitHub token"), "{out}");
    assert!(fake.requests().is_empty());
}

/// The generator of the 30-day simulation: whether the workflow completed a run on day `d`
/// (1-based) and whether test `t` failed in it. Deterministic, with persistent, flaky,
/// fixed and new tests.
pub(crate) fn sim_ran(d: u32) -> bool {
    !(d * 7 + 3).is_multiple_of(9)
}

pub(crate) fn sim_fails(t: u32, d: u32) -> bool {
    let h = t
        .wrapping_mul(2_654_435_761)
        .wrapping_add(d.wrapping_mul(40_503))
        .wrapping_mul(2_246_822_519)
        >> 24;
    sim_ran(d)
        && match t {
            0 => true,                         // broken every day
            1 => d >= 12,                      // broken since day 12
            2 => d <= 9,                       // fixed after day 9
            3 => d % 3 != 1,                   // flaky: fails two days of three
            4 => d.is_multiple_of(2) && d > 5, // flakier, from day 6
            5 => d == 17,                      // once
            _ => h.is_multiple_of(5),
        }
}

pub(crate) const SIM_TESTS: u32 = 8;

pub(crate) fn sim_date(d: u32) -> String {
    format!("2026-11-{d:02}")
}

#[test]
fn thirty_days_of_runs_give_the_dates_counts_streaks_flakiness_and_chart_of_a_plain_truth() {
    let names = |t: u32| {
        (
            format!("test/registered/amd/test_sim_{t}.py"),
            format!("TestSim.test_{t}"),
        )
    };
    let mut bot_issues = Vec::new();
    let mut runs = Vec::new();
    for d in 1..=30u32 {
        let failing: Vec<(String, String)> = (0..SIM_TESTS)
            .filter(|t| sim_fails(*t, d))
            .map(names)
            .collect();
        let comments = if failing.is_empty() {
            vec![]
        } else {
            vec![(PR_TEST, failing.clone())]
        };
        bot_issues.push(daily(u64::from(d), &sim_date(d), &comments));
        if sim_ran(d) {
            runs.push(json!({"id": 19_000_000 + d, "conclusion": if failing.is_empty() { "success" } else { "failure" },
                             "created_at": format!("{}T05:00:00Z", sim_date(d))}));
        }
    }
    let fake = FakeGithub::start(
        serde_json::from_value::<Scenario>(json!({
            "bot_login": "amd-bot",
            "repos": {BOT_REPO: {"issues": bot_issues}, UPSTREAM: {"workflows": {PR_TEST: runs}}}
        }))
        .unwrap(),
    );
    fake.expect_writes(ALL_WRITES);
    for d in 1..=30u32 {
        // Even days run as a finalize job after midnight, with the day the tick started on.
        let now = if d.is_multiple_of(2) && d < 30 {
            format!("{}T00:20:00Z", sim_date(d + 1))
        } else {
            format!("{}T23:00:00Z", sim_date(d))
        };
        bot(&fake, &now)
            .args(["failure-tracker", "--date", &sim_date(d)])
            .success();
    }
    // The truth, from the generator's plain lists.
    let scans: Vec<u32> = (1..=30).filter(|d| sim_ran(*d)).collect();
    let number = fake.issues(UPSTREAM)[0].number;
    assert_eq!(fake.issues(UPSTREAM).len(), 1);
    let state = state_of(&fake, number);
    let body = upstream(&fake, number).body;
    let mut checked = Vec::new();
    for t in 0..SIM_TESTS {
        let fails: Vec<u32> = (1..=30).filter(|d| sim_fails(t, *d)).collect();
        let (file, function) = names(t);
        let key = format!(
            "{}::{}",
            &file["test/".len()..],
            function.replace('.', "::")
        );
        if fails.is_empty() {
            assert!(!state.entries.contains_key(&key), "{key}");
            continue;
        }
        let e = entry(&state, &key);
        assert_eq!(e.first_seen(), day(&sim_date(fails[0])), "{key}");
        assert_eq!(
            e.last_seen(),
            day(&sim_date(*fails.last().unwrap())),
            "{key}"
        );
        assert_eq!(e.count, Some(fails.len() as u64), "{key}");
        let streak = scans.iter().rev().take_while(|d| fails.contains(d)).count();
        let mut flaky = 0;
        let (mut failed, mut passed) = (false, false);
        for d in &scans {
            if fails.contains(d) {
                flaky += usize::from(failed && passed);
                failed = true;
                passed = false;
            } else if failed {
                passed = true;
            }
        }
        if *fails.last().unwrap() == 30 {
            let row = body
                .lines()
                .find(|l| l.contains(&format!("`{file}`")) && l.contains("🔴 failing"))
                .unwrap_or_else(|| panic!("{key} has no failing row"));
            let cells: Vec<&str> = row.split(" | ").collect();
            assert_eq!(
                (cells[4], cells[5]),
                (streak.to_string().as_str(), flaky.to_string().as_str()),
                "{key}: {row}"
            );
            checked.push((streak, flaky));
        } else {
            assert_eq!(
                streak, 0,
                "{key}: a test not failing on the last scan day has no streak"
            );
        }
    }
    assert!(
        checked.iter().any(|(s, _)| *s >= 5),
        "the days hold a long streak: {checked:?}"
    );
    assert!(
        checked.iter().any(|(_, f)| *f >= 2),
        "the days hold a flaky test: {checked:?}"
    );
    assert!(
        state.entries.len() >= 6,
        "fixed and once-only tests stay tracked"
    );
    let bar = body
        .lines()
        .find(|l| l.trim_start().starts_with("bar ["))
        .unwrap();
    let series: Vec<usize> = bar
        .trim()
        .trim_start_matches("bar [")
        .trim_end_matches(']')
        .split(", ")
        .map(|v| v.parse().unwrap())
        .collect();
    let truth: Vec<usize> = (1..=30)
        .map(|d| (0..SIM_TESTS).filter(|t| sim_fails(*t, d)).count())
        .collect();
    assert_eq!(series, truth);
}

#[test]
fn a_tracker_created_by_another_account_without_the_label_is_found_by_search_and_continued() {
    let mut theirs = tracker(97, TITLE, ORIGINAL_BODY);
    theirs["user"] = "old-bot-account".into();
    theirs["labels"] = json!([]);
    let fake = fake(
        vec![daily(
            1,
            "2026-11-24",
            &[(PR_TEST, tests(&[("a.py", "t")]))],
        )],
        vec![theirs],
        json!({}),
    );
    fake.expect_writes(ALL_WRITES);
    bot(&fake, "2026-11-24T06:00:00Z")
        .args(["failure-tracker"])
        .success();
    assert_eq!(fake.issues(UPSTREAM).len(), 1, "no second tracker");
    let state = state_of(&fake, 97);
    assert_eq!(
        entry(&state, "srt/test_a.py::TestA::test_x").first_seen(),
        day("2026-11-01")
    );
    assert_eq!(entry(&state, "a.py::t").last_seen(), day("2026-11-24"));
}

#[test]
fn concurrent_runs_converge_on_one_open_tracker() {
    let fake = fake(
        vec![daily(
            1,
            "2026-11-24",
            &[(PR_TEST, tests(&[("a.py", "t")]))],
        )],
        vec![],
        json!({"search_lag_ms": 60000}),
    );
    fake.expect_writes(ALL_WRITES);
    let url = fake.url();
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                Test::new()
                    .env("GITHUB_API_URL", &url)
                    .env("GH_PAT", "test-token-1234567890")
                    .env("BOT_REPO", BOT_REPO)
                    .env("SGLANG_BOT_NOW", "2026-11-24T06:00:00Z")
                    .args(["failure-tracker"])
                    .success();
            })
        })
        .collect();
    for r in runs {
        r.join().unwrap();
    }
    let open: Vec<_> = fake
        .issues(UPSTREAM)
        .into_iter()
        .filter(|i| i.state == "open")
        .collect();
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(
        entry(&state_of(&fake, open[0].number), "a.py::t").last_seen(),
        day("2026-11-24")
    );
    // The next run finds the winner, not a closed duplicate.
    let out = bot(&fake, "2026-11-24T07:00:00Z")
        .args(["failure-tracker"])
        .success();
    assert!(
        out.stdout.contains(&format!("issue #{}", open[0].number)),
        "{out}"
    );
}

#[test]
fn the_agent_answers_the_tracker_rows_task_with_its_prompt_and_context_file() {
    let upstream = crate::upstream::Upstream::new();
    let sha = upstream.commit("main", &[("python/sglang/version.py", "v = 1\n")]);
    let fake = fake(
        vec![daily_at(
            1,
            "2026-11-24",
            &[(PR_TEST, tests(&[("a.py", "t")]))],
            Some(&sha),
        )],
        vec![],
        json!({}),
    );
    fake.expect_writes(ALL_WRITES);
    let tools = tempfile::tempdir().unwrap();
    let claude = tools.path().join("claude");
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stub-claude"),
        &claude,
    )
    .unwrap();
    std::fs::write(tools.path().join("claude.mode"), "ok").unwrap();
    let answer = "<!-- ci-failure-tracker-data:start -->\n```json\n[{\"workflow\": \"pr-test-amd.yml\", \"test_file\": \"test/srt/test_agent.py\", \"test_function\": \"TestAgent.test_rows\", \"cluster\": \"c\", \"error\": \"E\", \"status\": \"new today\", \"job_url\": \"\", \"job_id\": 1000, \"run_started_at\": \"\"}]\n```\n<!-- ci-failure-tracker-data:end -->";
    std::fs::write(tools.path().join("claude.answer"), answer).unwrap();
    let workspace = tempfile::tempdir().unwrap();
    bot(&fake, "2026-11-24T06:00:00Z")
        .env("CLAUDE_BIN", &claude.display().to_string())
        .env("ANTHROPIC_API_KEY", "sk-ant-stub-key-0123456789")
        .env("TRACKER_AGENT_MAX_TURNS", "33")
        .file(
            "sglang-bot.toml",
            &crate::harness::agent_config(workspace.path(), &upstream.url()),
        )
        .args(["failure-tracker"])
        .success();
    let record = std::fs::read_to_string(tools.path().join("claude.record")).unwrap();
    assert!(
        record.contains("arg=--max-turns\narg=33\n"),
        "the tracker's own budget reaches the agent:\n{record}"
    );
    let cwd = record.lines().find_map(|l| l.strip_prefix("cwd=")).unwrap();
    let tag = cwd.rsplit('/').next().unwrap();
    let pid = tag.rsplit_once("failure-tracker-").map(|(_, p)| p);
    assert!(
        pid.is_some_and(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit())),
        "two trackers on one runner never share a worktree: {cwd}"
    );
    let prompt = std::fs::read_to_string(tools.path().join("claude.prompt")).unwrap();
    assert!(prompt.starts_with("Task: Failure Tracker Data\nWorkflows: pr-test-amd.yml\nPer-workflow per-job analyses: .ci-context/failure-tracker-analyses.md\n"), "{prompt}");
    let number = fake.issues(UPSTREAM)[0].number;
    let state = state_of(&fake, number);
    assert_eq!(
        state.entries.keys().collect::<Vec<_>>(),
        ["srt/test_agent.py::TestAgent::test_rows"]
    );
}

#[test]
fn a_tracker_row_holding_a_secret_is_posted_redacted_and_not_rewritten_the_next_run() {
    // The bot's own token in a failure's error text (a log that printed it): GitHub stores the
    // body redacted, and the next run must see that as unchanged.
    let mut leaky = analysis(7, &tests(&[("a.py", "test_login")]));
    leaky.analysis = leaky.analysis.replace(
        "AssertionError: boom --> x",
        "AssertionError: token test-token-1234567890 rejected",
    );
    let report = WorkflowReport {
        workflow: PR_TEST,
        analyses: std::slice::from_ref(&leaky),
        summary: None,
        pending: &[],
        unanalysed: &[],
        producer: "sglang-bot builtin analyser",
        now: "2026-11-24 06:00 UTC",
        upstream: UPSTREAM,
    };
    let comments: Vec<Value> = report
        .render_parts()
        .into_iter()
        .map(|body| json!({"user": "amd-bot", "body": body}))
        .collect();
    let day = json!({"number": 1, "title": "[CI Monitor] Daily Report - 2026-11-24",
                     "labels": ["ci-monitor"], "user": "amd-bot", "comments": comments});
    let fake = fake(vec![day], vec![], json!({}));
    fake.expect_writes(ALL_WRITES);
    bot(&fake, "2026-11-24T06:00:00Z")
        .args(["failure-tracker"])
        .success();
    let body = fake.issues(UPSTREAM)[0].body.clone();
    assert!(!body.contains("test-token-1234567890"), "{body}");
    assert!(body.contains("[REDACTED]"), "{body}");
    fake.reset_requests();
    let out = bot(&fake, "2026-11-24T18:30:00Z")
        .args(["failure-tracker"])
        .success();
    assert!(fake.writes().is_empty(), "{:?}", fake.writes());
    assert!(
        out.stdout.contains("pr-test-amd.yml → issue #1: unchanged"),
        "no write sent is no update: {out}"
    );
}

#[test]
fn a_day_counts_as_scanned_only_for_a_completed_scheduled_run_of_that_day_found_by_a_dated_query() {
    let run = |id: u64, created: &str, event: &str| json!({"id": id, "event": event, "conclusion": "success", "created_at": created});
    // Day 10: one scheduled run, then 120 later runs; day 11: only a push.
    let mut runs = vec![run(1, "2026-11-10T05:00:00Z", "schedule")];
    runs.extend((0..120).map(|i| run(100 + i, "2026-11-20T05:00:00Z", "schedule")));
    runs.push(run(2, "2026-11-11T05:00:00Z", "push"));
    let fake = fake(
        vec![
            daily(1, "2026-11-10", &[(PR_TEST, tests(&[("a.py", "t")]))]),
            daily(2, "2026-11-11", &[]),
        ],
        vec![],
        json!({}),
    );
    fake.add(
        serde_json::from_value::<Scenario>(
            json!({"repos": {UPSTREAM: {"workflows": {PR_TEST: runs}}}}),
        )
        .unwrap(),
    );
    fake.expect_writes(ALL_WRITES);
    for date in ["2026-11-10", "2026-11-11"] {
        bot(&fake, "2026-11-24T06:00:00Z")
            .args(["failure-tracker", "--date", date])
            .success();
    }
    let number = fake.issues(UPSTREAM)[0].number;
    assert_eq!(
        state_of(&fake, number).scans.days,
        [day("2026-11-10").unwrap()]
    );
    let asked: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| r.path.clone())
        .filter(|p| p.contains("/actions/workflows/"))
        .collect();
    assert!(
        asked.iter().any(|p| p.contains("event=schedule")
            && p.contains("created=2026-11-10T00%3A00%3A00Z..2026-11-10T23%3A59%3A59Z")),
        "{asked:?}"
    );
}

/// The day's report issue with the bot's comments for `analyses` of one workflow.
fn daily_of(number: u64, date: &str, workflow: &str, analyses: &[JobAnalysis]) -> Value {
    let report = WorkflowReport {
        workflow,
        analyses,
        summary: None,
        pending: &[],
        unanalysed: &[],
        producer: "sglang-bot builtin analyser",
        now: "2026-11-24 06:00 UTC",
        upstream: UPSTREAM,
    };
    let comments: Vec<Value> = report
        .render_parts()
        .into_iter()
        .map(|body| json!({"user": "amd-bot", "body": body}))
        .collect();
    json!({"number": number, "title": format!("[CI Monitor] Daily Report - {date}"),
           "labels": ["ci-monitor"], "user": "amd-bot", "comments": comments})
}

/// Analyses failing `tests`, 40 to a job, each naming the failure cluster `cluster`.
fn clustered(tests: &[(String, String)], cluster: &str) -> Vec<JobAnalysis> {
    tests
        .chunks(40)
        .enumerate()
        .map(|(j, chunk)| {
            let mut a = analysis(2000 + j as u64, chunk);
            a.analysis = a.analysis.replace(
                "### Failure Cluster\naccuracy",
                &format!("### Failure Cluster\n{cluster}"),
            );
            a
        })
        .collect()
}

/// The part numbers of a tracker's overflow comments, in posting order.
fn part_numbers(fake: &FakeGithub, number: u64) -> Vec<usize> {
    fake.comments(UPSTREAM, number)
        .iter()
        .filter_map(|c| tracker_parts::part_index(&c.body))
        .collect()
}

#[test]
fn a_write_failing_part_way_while_entries_move_between_parts_loses_no_entry() {
    // Day 2's cluster text makes every entry larger, so entries move from the body and each
    // comment into later parts. The nth write then fails (a lost PATCH, POST or DELETE); what
    // GitHub holds must still have every entry with its first day, and a good run after it
    // must leave one copy of each part.
    let tests = many(120);
    let grown = format!(
        "accuracy regression {}",
        "on MI325 with a long story ".repeat(14)
    );
    let comment_writes = "/repos/sgl-project/sglang/issues/(\\d+/comments|comments/\\d+)$";
    let body_write = "/repos/sgl-project/sglang/issues/\\d+$";
    for (method, path, nth) in [
        ("*", comment_writes, 2),
        ("*", comment_writes, 3),
        ("PATCH", body_write, 1),
    ] {
        let fake = fake(
            vec![
                daily_of(1, "2026-11-24", PR_TEST, &clustered(&tests, "accuracy")),
                daily_of(2, "2026-11-25", PR_TEST, &clustered(&tests, &grown)),
            ],
            vec![],
            json!({}),
        );
        fake.expect_writes(ALL_WRITES);
        bot(&fake, "2026-11-24T06:00:00Z")
            .args(["failure-tracker"])
            .success();
        let number = fake.issues(UPSTREAM)[0].number;
        let before = part_numbers(&fake, number);
        assert!(before.len() >= 2, "{before:?}");
        let mut faults: Vec<Value> = (1..nth)
            .map(|_| json!({"method": method, "path": path}))
            .collect();
        faults.push(json!({"method": method, "path": path, "status": 403}));
        fake.add(serde_json::from_value::<Scenario>(json!({ "faults": faults })).unwrap());
        let out = bot(&fake, "2026-11-25T06:00:00Z")
            .args(["failure-tracker"])
            .status(1);
        assert!(out.stdout.contains("not updated"), "{out}");
        let check = |when: &str| {
            let state = state_of(&fake, number);
            for (f, t) in &tests {
                let key = format!("{}::{}", &f["test/".len()..], t.replace('.', "::"));
                let e = state.entries.get(&key);
                let first = match e {
                    Some(StoredEntry::Entry(e)) => e.first_seen(),
                    _ => None,
                };
                assert_eq!(
                    first,
                    day("2026-11-24"),
                    "{when} ({method} {path} #{nth}): {key} lost"
                );
            }
        };
        check("after the failed write");
        bot(&fake, "2026-11-25T07:00:00Z")
            .args(["failure-tracker"])
            .success();
        check("after the next good run");
        let state = state_of(&fake, number);
        assert_eq!(state.entries.len(), 120);
        let first_test = entry(
            &state,
            "registered/amd/test_model_000.py::TestModel0::test_accuracy_of_a_long_named_case",
        );
        assert_eq!(first_test.last_seen(), day("2026-11-25"));
        let after = part_numbers(&fake, number);
        assert!(
            after.len() > before.len(),
            "entries grew: {before:?} → {after:?}"
        );
        let want: Vec<usize> = (2..after.len() + 2).collect();
        assert_eq!(after, want, "one copy of each part, in order");
    }
}
