//! `ci-status` against the fake GitHub: a PR whose head has every kind of red and of pending
//! is classified from evidence. The base branch's history is made the real way: scheduled
//! runs on `main` over four days, each day's analyses written by `monitor` into that day's
//! daily issue; the commit graph answers the compare API.

use fake_github::FakeGithub;
use serde_json::{json, Value};

use crate::harness::Output;
use crate::monitor::{bot, pytest_log, scenario, BOT_REPO, PR_TEST, UPSTREAM};

const PR: u64 = 500;
const HEAD: &str = "feed000000000000000000000000000000000500";
const C0: &str = "c000000000000000000000000000000000000000";
const C1: &str = "c100000000000000000000000000000000000000";
/// The PR's merge base.
const C2: &str = "c200000000000000000000000000000000000000";
const C3: &str = "c300000000000000000000000000000000000000";
const ROCM: &str = "pr-test-amd-rocm720.yml";
const PR_COMMENT: &str = "POST /repos/sgl-project/sglang/issues/500/comments";
const PR_EDIT: &str = "PATCH /repos/sgl-project/sglang/issues/comments/{id}";

const CHANGED: &str = "stage-a-test-1-gpu-amd (linux-mi325-gpu-1, 0)";
const UNRELATED: &str = "stage-a-test-1-gpu-amd (linux-mi325-gpu-1, 1)";
const TRUNK: &str = "stage-b-test-1-gpu-amd (linux-mi325-gpu-1, 0)";
const WOBBLY: &str = "stage-b-test-1-gpu-amd (linux-mi325-gpu-1, 1)";
const RUNNER: &str = "stage-c-test-large-8-gpu-amd (linux-mi325-gpu-8)";

fn failing(id: u64, name: &str, test: &str, day: u32) -> Value {
    json!({
        "id": id, "name": name, "conclusion": "failure", "started_at": format!("2026-11-{day}T01:05:00Z"),
        "steps": [{"name": "Run test", "conclusion": "failure"}],
        "log": {"text": pytest_log(test, "AssertionError: expected 3 got 2")}
    })
}

fn passing(id: u64, name: &str, day: u32) -> Value {
    json!({"id": id, "name": name, "conclusion": "success", "started_at": format!("2026-11-{day}T01:05:00Z"),
           "steps": [{"name": "Run test", "conclusion": "success"}]})
}

/// A scheduled run of the PR workflow on `main` at `sha`: `trunk` and `wobbly` fail or pass.
fn main_run(run: u64, day: u32, sha: &str, trunk_fails: bool, wobbly_fails: bool) -> Value {
    let job = |n: u64, name: &str, fails: bool, test: &str| {
        if fails {
            failing(run * 10 + n, name, test, day)
        } else {
            passing(run * 10 + n, name, day)
        }
    };
    json!({
        "id": run, "event": "schedule", "conclusion": if trunk_fails || wobbly_fails { "failure" } else { "success" },
        "head_sha": sha, "created_at": format!("2026-11-{day}T01:00:00Z"),
        "jobs": [
            job(1, TRUNK, trunk_fails, "test/registered/test_trunk.py::TestTrunk::test_base"),
            job(2, WOBBLY, wobbly_fails, "test/registered/test_wobbly.py::TestWobbly::test_once"),
        ]
    })
}

fn lost_runner(id: u64) -> Value {
    json!({
        "id": id, "name": RUNNER, "conclusion": "failure", "started_at": "2026-11-24T01:05:00Z",
        "steps": [{"name": "Run test", "conclusion": "failure"}],
        "log": {"text": include_str!("../fixtures/ci-status/lost-runner.log")}
    })
}

/// The PR's own runs: every kind of red in the AMD workflow, the ROCm 7.2 one still running,
/// the generic one waiting for a maintainer's approval (a fork PR).
fn pr_runs() -> Value {
    json!({
        PR_TEST: [{
            "id": 900, "event": "pull_request", "head_branch": "feature", "conclusion": "failure",
            "head_sha": HEAD, "created_at": "2026-11-24T02:00:00Z",
            "jobs": [
                failing(9001, CHANGED, "test/registered/test_changed.py::TestChanged::test_it", 24),
                failing(9002, UNRELATED, "test/registered/test_elsewhere.py::TestElsewhere::test_it", 24),
                failing(9003, TRUNK, "test/registered/test_trunk.py::TestTrunk::test_base", 24),
                failing(9004, WOBBLY, "test/registered/test_wobbly.py::TestWobbly::test_once", 24),
                lost_runner(9005),
                {"id": 9006, "name": "pr-test-amd-finish", "conclusion": "failure",
                 "steps": [{"name": "Check all dependent job statuses", "conclusion": "failure"}]}
            ]
        }],
        ROCM: [{"id": 901, "event": "pull_request", "head_branch": "feature", "status": "in_progress",
                "head_sha": HEAD, "created_at": "2026-11-24T02:00:00Z"}],
        "pr-test.yml": [{"id": 902, "event": "pull_request", "head_branch": "feature",
                         "status": "completed", "conclusion": "action_required",
                         "head_sha": HEAD, "created_at": "2026-11-24T02:00:00Z"}]
    })
}

/// The upstream repository: main's history (C0 ← C1 ← C2 ← C3, the PR branching at C2), the
/// PR with its files and runs.
fn upstream(pr_comments: Value) -> Value {
    let workflows = pr_runs();
    let registered = |suite: &str| {
        format!("from sglang.test.ci.ci_register import register_amd_ci\n\nregister_amd_ci(est_time=60, suite=\"{suite}\")\n")
    };
    json!({
        "workflows": workflows,
        "commits": [
            {"sha": C0}, {"sha": C1, "parents": [C0]}, {"sha": C2, "parents": [C1]},
            {"sha": C3, "parents": [C2]}, {"sha": HEAD, "parents": [C2]}
        ],
        "branches": {"main": C3},
        "pulls": [{"number": PR, "title": "Faster radix cache", "head": {"sha": HEAD, "ref": "feature"},
                   "base": {"ref": "main"}}],
        "pull_files": {PR.to_string(): [
            {"filename": "test/registered/test_changed.py", "status": "modified", "additions": 3, "deletions": 1},
            {"filename": "test/registered/test_new.py", "status": "added", "additions": 40, "deletions": 0},
            {"filename": "python/sglang/srt/mem_cache/radix_cache.py", "status": "modified", "additions": 9, "deletions": 2}
        ]},
        "pull_diffs": {PR.to_string(): "diff --git a/test/registered/test_changed.py b/test/registered/test_changed.py\n-    assert x == 3\n+    assert x == 2\n"},
        "contents": {HEAD: {
            "test/registered/test_changed.py": registered("stage-a-test-1-gpu-amd"),
            "test/registered/test_new.py": registered("stage-c-test-2-gpu-amd")
        }},
        "check_runs": {HEAD: [
            {"name": CHANGED, "conclusion": "failure"},
            {"name": "pre-commit", "conclusion": "failure", "app": {"slug": "pre-commit-ci"},
             "html_url": "https://results.pre-commit.ci/run/1"},
            {"name": "docs-preview", "status": "queued", "app": {"slug": "readthedocs"}}
        ]},
        "statuses": {HEAD: [{"context": "ci/jenkins", "state": "error", "target_url": "https://jenkins.example/job/7"}]},
        "issues": [{"number": PR, "title": "Faster radix cache", "user": "contributor", "comments": pr_comments}]
    })
}

fn fake(pr_comments: Value) -> FakeGithub {
    let fake = FakeGithub::start(scenario(json!({
        "bot_login": "amd-bot",
        "repos": {UPSTREAM: upstream(pr_comments), BOT_REPO: {}}
    })));
    fake.expect_writes([
        "POST /repos/amd-ci/sglang-ci-bot/issues",
        "POST /repos/amd-ci/sglang-ci-bot/issues/{number}/comments",
        "PATCH /repos/amd-ci/sglang-ci-bot/issues/{number}",
        "PATCH /repos/amd-ci/sglang-ci-bot/issues/comments/{id}",
        PR_COMMENT,
        PR_EDIT,
    ]);
    // Day by day on main: the wobbly test fails, passes, fails (all before the merge base);
    // the trunk test breaks at C3, after it. Each day's run appears that day, and the day's
    // ticks write its analyses into the day's issue, as deployed.
    for (day, run) in [
        (20, main_run(101, 20, C0, false, true)),
        (21, main_run(102, 21, C1, false, false)),
        (22, main_run(103, 22, C1, false, true)),
        (23, main_run(104, 23, C3, true, false)),
    ] {
        fake.add(scenario(
            json!({"repos": {UPSTREAM: {"workflows": {PR_TEST: [run]}}}}),
        ));
        let now = format!("2026-11-{day}T06:00:00Z");
        bot(&fake)
            .env("SGLANG_BOT_NOW", &now)
            .args(["ensure-daily-issue"])
            .success();
        bot(&fake)
            .env("SGLANG_BOT_NOW", &now)
            .args(["--backend", "builtin", "monitor", "--output", "daily-issue"])
            .args(["--workflows", PR_TEST])
            .success();
    }
    fake
}

fn ci_status(fake: &FakeGithub, extra: &[&str]) -> Output {
    bot(fake)
        .env("SGLANG_BOT_NOW", "2026-11-24T06:00:00Z")
        .env("COMMENT_AUTHOR", "alice")
        .file(
            "sglang-bot.toml",
            "[ci_status]\nexpected_workflows = [\"pr-test-amd.yml\", \"pr-test-amd-rocm720.yml\", \"amd-scout.yml\"]\n",
        )
        .args(["--backend", "builtin", "ci-status", &PR.to_string()])
        .args(extra.iter().copied())
        .success()
}

fn status_comments(fake: &FakeGithub) -> Vec<String> {
    fake.comments(UPSTREAM, PR)
        .into_iter()
        .filter(|c| c.author == "amd-bot" && c.body.starts_with("<!-- sglang-bot-ci-status -->"))
        .map(|c| c.body)
        .collect()
}

/// The table row of `job` in `body`, under the heading of its class.
fn row_under<'a>(body: &'a str, heading: &str, job: &str) -> &'a str {
    let start = body
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading}:\n{body}"));
    let section = &body[start..];
    let end = section[3..].find("\n### ").map_or(section.len(), |e| e + 3);
    section[..end]
        .lines()
        .find(|l| l.contains(job))
        .unwrap_or_else(|| panic!("{job} not under {heading}:\n{body}"))
}

fn daily_issue_url(fake: &FakeGithub, day: u32) -> String {
    let title = format!("[CI Monitor] Daily Report - 2026-11-{day}");
    let n = crate::monitor::issue_number(fake, &title);
    format!("https://github.com/{BOT_REPO}/issues/{n}")
}

#[test]
fn every_kind_of_red_and_of_pending_is_classified_from_evidence_with_links() {
    let fake = fake(json!([]));
    ci_status(&fake, &[]);
    let bodies = status_comments(&fake);
    assert_eq!(bodies.len(), 1, "one status comment: {bodies:?}");
    let body = &bodies[0];

    let new = "### New failures (2)";
    row_under(body, new, CHANGED);
    assert!(row_under(body, new, UNRELATED).contains("not seen on `main`"));
    let trunk = row_under(body, "### Broken trunk (1)", TRUNK);
    let day23 = daily_issue_url(&fake, 23);
    assert!(trunk.contains(&format!("({day23}#job-1041)")), "{trunk}");
    assert!(trunk.contains("`c300000`"), "{trunk}");
    let flaky = row_under(body, "### Flaky (1)", WOBBLY);
    let day22 = daily_issue_url(&fake, 22);
    assert!(flaky.contains(&format!("({day22}#job-1032)")), "{flaky}");
    assert!(
        flaky.contains("/actions/runs/104/job/1042)"),
        "the pass after it: {flaky}"
    );
    assert!(row_under(body, "### Infrastructure (1)", RUNNER).contains("/actions/runs/900)"));
    assert!(!body.contains("pr-test-amd-finish"), "gate jobs never show");

    assert!(
        body.contains("As of commit `feed000` (merge base `c200000`)"),
        "{body}"
    );
    assert!(body.contains("**2 new** · **1 broken trunk** · **1 flaky** · **1 infra**"));
    assert!(
        body.contains("**Running** (1): `pr-test-amd-rocm720.yml`"),
        "{body}"
    );
    assert!(
        body.contains("**Awaiting approval** (1): `pr-test.yml`"),
        "{body}"
    );
    assert!(
        body.contains("**Missing (expected, no run)** (1): `amd-scout.yml`"),
        "{body}"
    );
    assert!(body.contains("**:x: 2 failed jobs look caused by this PR.**"));
    // Other CI systems are named, not analysed; Actions' own check runs are the jobs above.
    assert!(
        body.contains("): [pre-commit](https://results.pre-commit.ci/run/1), [ci/jenkins](https://jenkins.example/job/7)\n"),
        "{body}"
    );
    assert!(body.contains("**Other checks pending** (1): `docs-preview`"));
    assert!(body.contains("2 checks of another CI system failed"));
    assert_eq!(body.matches(CHANGED).count(), 1, "{body}");
    // The coverage-gap banner: the new test's suite never ran; the changed one's did.
    assert!(body.contains("> [!WARNING]"), "{body}");
    assert!(body.contains("`test/registered/test_new.py` → `stage-c-test-2-gpu-amd`"));
    assert!(!body.contains("`test/registered/test_changed.py` →"));
}

#[test]
fn a_second_run_updates_the_same_comment_and_replies_only_when_it_is_no_longer_last() {
    let fake = fake(json!([]));
    ci_status(&fake, &[]);
    fake.reset_requests();
    ci_status(&fake, &[]);
    assert_eq!(status_comments(&fake).len(), 1);
    assert_eq!(
        fake.comments(UPSTREAM, PR).len(),
        1,
        "no reply while it is last"
    );
    assert!(
        fake.writes().is_empty(),
        "nothing changed: {:?}",
        fake.writes()
    );

    // Someone comments (here: seeded), so the status comment is no longer the last one.
    let fake = fake_with_old_status();
    let out = ci_status(&fake, &[]);
    let comments = fake.comments(UPSTREAM, PR);
    assert_eq!(status_comments(&fake).len(), 1, "{comments:?}");
    let own = comments
        .iter()
        .find(|c| c.author == "amd-bot" && c.body.starts_with("<!-- sglang-bot-ci-status -->"))
        .expect("the bot's comment");
    assert!(own.body.contains("### Broken trunk"), "updated in place");
    let reply = comments.last().expect("a reply");
    assert_eq!(reply.author, "amd-bot");
    assert!(
        reply.body.starts_with("@alice CI status updated: "),
        "{}",
        reply.body
    );
    assert!(reply.body.contains(&format!("#issuecomment-{}", own.id)));
    let quoted = comments.iter().find(|c| c.author == "mallory").unwrap();
    assert!(
        quoted.body.ends_with("forged"),
        "a human's marker is never taken"
    );
    assert!(out.stdout.contains("posted"), "{out}");
}

/// The PR with the bot's old status comment, then a human's comment quoting the marker.
fn fake_with_old_status() -> FakeGithub {
    fake(json!([
        {"user": "amd-bot", "body": "<!-- sglang-bot-ci-status -->\n## CI Status for PR #500\n\nold"},
        {"user": "mallory", "body": "<!-- sglang-bot-ci-status -->\nforged"},
        {"user": "alice", "body": "@amd-bot ci-status"}
    ]))
}

#[test]
fn no_post_prints_the_report_and_writes_nothing_upstream() {
    let fake = fake(json!([]));
    fake.reset_requests();
    let out = ci_status(&fake, &["--no-post"]);
    assert!(out.stdout.contains("## CI Status for PR #500"), "{out}");
    assert!(fake.writes().is_empty(), "{:?}", fake.writes());
    let out = bot(&fake)
        .env("SGLANG_BOT_NOW", "2026-11-24T06:00:00Z")
        .args([
            "--format",
            "json",
            "--backend",
            "builtin",
            "ci-status",
            "500",
            "--no-post",
        ])
        .success();
    let v: Value = serde_json::from_str(&out.stdout).expect("json");
    let classes: Vec<&str> = v["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["class"].as_str().unwrap())
        .collect();
    assert_eq!(
        classes.iter().filter(|c| **c == "new").count(),
        2,
        "{classes:?}"
    );
    assert!(classes.contains(&"broken_trunk") && classes.contains(&"infra"));
}

#[test]
fn a_pr_number_that_is_not_a_number_or_zero_is_a_usage_error_before_any_request() {
    let fake = fake(json!([]));
    fake.reset_requests();
    for bad in ["0", "abc", "-3"] {
        bot(&fake).args(["ci-status", bad]).status(2);
    }
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
}

#[test]
fn a_job_whose_log_cannot_be_read_stays_listed_and_a_failed_coverage_check_drops_only_the_banner() {
    let fake = fake(json!([]));
    fake.add(scenario(json!({"faults": [
        {"method": "GET", "path": "/actions/jobs/9002/logs", "status": 404, "times": 5},
        {"method": "GET", "path": "/pulls/500/files", "status": 422, "times": 5}
    ]})));
    ci_status(&fake, &[]);
    let body = &status_comments(&fake)[0];
    let row = row_under(body, "### New failures (2)", UNRELATED);
    assert!(row.contains("log not read"), "{row}");
    assert!(row.contains("nothing in the log to compare"), "{row}");
    assert!(
        !body.contains("[!WARNING]") && !body.contains("[!CAUTION]"),
        "{body}"
    );
    row_under(body, "### Broken trunk (1)", TRUNK);
}

#[test]
fn dry_run_prints_and_writes_nothing() {
    let fake = fake(json!([]));
    fake.reset_requests();
    let out = bot(&fake)
        .env("SGLANG_BOT_NOW", "2026-11-24T06:00:00Z")
        .args(["--dry-run", "--backend", "builtin", "ci-status", "500"])
        .success();
    assert!(
        out.stdout.starts_with("<!-- sglang-bot-ci-status -->"),
        "{out}"
    );
    assert!(fake.writes().is_empty(), "{:?}", fake.writes());
}

/// The banner a registration case of `registration-cases.json` should give, from its expected
/// parse: no live AMD call → not registered; nightly or disabled → said so; a suite that ran
/// → no line; any other suite → not reached.
fn expected_banner_note(case: &Value, ran: &str) -> Option<String> {
    let expect = case["expect"].as_array().expect("expect list");
    let Some(first) = expect.first() else {
        return Some("not registered for AMD CI".into());
    };
    let suite = first["suite"]
        .as_str()
        .or(first["effective_suite"].as_str())
        .expect("a suite");
    if let Some(reason) = first["disabled"].as_str() {
        return Some(format!("registered but disabled ({reason})"));
    }
    if first["nightly"].as_bool() == Some(true) {
        return Some("registered for the nightly AMD runs only".into());
    }
    (suite != ran).then(|| "did not run (not reached)".to_string())
}

#[test]
fn the_coverage_banner_reads_every_registration_form_in_every_backend() {
    let cases: Value =
        serde_json::from_str(include_str!("../fixtures/sglang/registration-cases.json"))
            .expect("cases");
    let cases = cases["cases"].as_array().expect("cases");
    let ran = "stage-b-test-small-1-gpu-amd";
    let path = |i: usize| format!("test/registered/forms/test_form_{i}.py");
    let files: Vec<Value> = (0..cases.len())
        .map(|i| json!({"filename": path(i), "status": "added", "additions": 5, "deletions": 0}))
        .collect();
    let contents: serde_json::Map<String, Value> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let text = format!(
                "from sglang.test.ci.ci_register import register_amd_ci, register_cuda_ci\n\n{}\n",
                c["snippet"].as_str().expect("snippet")
            );
            (path(i), Value::String(text))
        })
        .collect();
    let fake = FakeGithub::start(scenario(json!({
        "bot_login": "amd-bot",
        "repos": {UPSTREAM: {
            "workflows": {PR_TEST: [{
                "id": 950, "event": "pull_request", "head_branch": "forms", "conclusion": "success",
                "head_sha": HEAD, "created_at": "2026-11-24T02:00:00Z",
                "jobs": [passing(9501, &format!("{ran} (linux-mi325-gpu-1, 0)"), 24)]
            }]},
            "pulls": [{"number": 600, "head": {"sha": HEAD, "ref": "forms"}, "base": {"ref": "main"}}],
            "pull_files": {"600": files},
            "contents": {HEAD: contents}
        }, BOT_REPO: {}}
    })));
    for backend in ["builtin", "claude-code", "api"] {
        let out = bot(&fake)
            .env("CLAUDE_BIN", "/nonexistent/claude")
            .args(["--backend", backend, "ci-status", "600", "--no-post"])
            .success();
        let banner: Vec<&str> = out
            .stdout
            .lines()
            .filter(|l| l.starts_with("> - `test/registered/forms/"))
            .collect();
        for (i, case) in cases.iter().enumerate() {
            let line = banner
                .iter()
                .find(|l| l.contains(&format!("`{}`", path(i))));
            match (expected_banner_note(case, ran), line) {
                (None, None) => {}
                (Some(note), Some(line)) => {
                    assert!(line.contains(&note), "{backend}, {}: {line}", case["form"])
                }
                (want, got) => panic!("{backend}, {}: want {want:?}, got {got:?}", case["form"]),
            }
        }
        assert!(out.stdout.contains("> [!WARNING]"), "{backend}: {out}");
    }
    assert!(fake.writes().is_empty());
}

#[test]
fn a_model_adds_a_why_to_new_failures_only_and_never_changes_a_label() {
    let fake = fake(json!([]));
    let reply = format!(
        "```json\n[{{\"job\": \"{CHANGED}\", \"test_file\": \"t.py\", \"test_function\": \"T.t\", \"verdict\": \"likely\", \"explanation\": \"the diff changes the asserted value\"}},\n {{\"job\": \"{TRUNK}\", \"verdict\": \"likely\", \"explanation\": \"blame the PR\"}}]\n```"
    );
    fake.add(scenario(json!({"messages_reply": reply})));
    let out = bot(&fake)
        .env("SGLANG_BOT_NOW", "2026-11-24T06:00:00Z")
        .env("LLM_GATEWAY_URL", &fake.url())
        .env("LLM_GATEWAY_KEY", "gateway-key-123456")
        .args(["--backend", "api", "ci-status", "500", "--no-post"])
        .success();
    let body = &out.stdout;
    let changed = row_under(body, "### New failures (2)", CHANGED);
    assert!(
        changed.contains("<br>model: likely related — the diff changes the asserted value"),
        "{changed}"
    );
    assert!(!row_under(body, "### New failures (2)", UNRELATED).contains("model:"));
    let trunk = row_under(body, "### Broken trunk (1)", TRUNK);
    assert!(!trunk.contains("blame the PR"), "evidence wins: {trunk}");
    let asked = fake.messages();
    assert_eq!(asked.len(), 1, "one question for the whole report");
    let prompt = asked[0].to_string();
    assert!(prompt.contains("assert x == 2"), "the diff is sent");
    assert!(
        prompt.contains("test_elsewhere") && !prompt.contains("test_trunk"),
        "only NEW jobs are asked about"
    );
}
