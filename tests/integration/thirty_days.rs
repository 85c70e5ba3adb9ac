//! Thirty days of the whole daily pipeline, as the deployment runs it, on generated days:
//! `ensure-daily-issue`, `monitor` (one job per failing test, each with its own log), then
//! `daily-summary --date` and `failure-tracker --date` (on even days as a finalize job after
//! midnight UTC). Every date, count, streak, flakiness figure, the tracker's chart and each
//! day's new / still failing / fixed counts are compared with a truth computed separately from
//! the generator's plain list of failing tests per day.

use fake_github::{FakeGithub, Scenario};
use serde_json::json;

use crate::failure_tracker::{day, entry, sim_date, sim_fails, sim_ran, state_of, SIM_TESTS};
use crate::harness::Test;
use crate::monitor::{pytest_log, BOT_REPO, PR_TEST, UPSTREAM};

fn file(t: u32) -> String {
    format!("test/registered/amd/test_sim_{t}.py")
}

/// The canonical id the tracker keys the test by.
fn key(t: u32) -> String {
    format!("registered/amd/test_sim_{t}.py::TestSim::test_{t}")
}

/// The failing tests of day `d`.
fn failing(d: u32) -> Vec<u32> {
    (0..SIM_TESTS).filter(|t| sim_fails(*t, d)).collect()
}

/// Day `d`'s run of the PR workflow: one job per test, failing its test when it fails.
fn run(d: u32) -> serde_json::Value {
    let jobs: Vec<serde_json::Value> = (0..SIM_TESTS)
        .map(|t| {
            let fails = sim_fails(t, d);
            let id = format!("{}::TestSim::test_{t}", file(t));
            json!({
                "id": 56_100_000 + d * 100 + t, "name": format!("stage-sim-{t}-amd"),
                "conclusion": if fails { "failure" } else { "success" },
                "started_at": format!("{}T05:01:00Z", sim_date(d)),
                "steps": [{"name": "Run test", "conclusion": if fails { "failure" } else { "success" }}],
                "log": {"text": pytest_log(&id, &format!("AssertionError: sim {t} drifted"))}
            })
        })
        .collect();
    json!({
        "id": 19_100_000 + d,
        "conclusion": if failing(d).is_empty() { "success" } else { "failure" },
        "head_sha": "2222222222222222222222222222222222222222",
        "created_at": format!("{}T05:00:00Z", sim_date(d)),
        "jobs": jobs,
    })
}

fn bot(fake: &FakeGithub, now: &str) -> Test {
    Test::new()
        .env("GITHUB_API_URL", &fake.url())
        .env("GH_PAT", "test-token-1234567890")
        .env("BOT_REPO", BOT_REPO)
        .env("SGLANG_BOT_NOW", now)
        .args(["--backend", "builtin"])
}

/// The body of day `d`'s report issue.
fn daily_body(fake: &FakeGithub, d: u32) -> String {
    let title = format!("[CI Monitor] Daily Report - {}", sim_date(d));
    fake.issues(BOT_REPO)
        .into_iter()
        .find(|i| i.title == title)
        .unwrap_or_else(|| panic!("no issue for day {d}"))
        .body
}

/// Runs the pipeline over the thirty days.
fn run_thirty_days() -> FakeGithub {
    let fake = FakeGithub::start(
        serde_json::from_value::<Scenario>(json!({
            "bot_login": "amd-bot",
            "repos": {BOT_REPO: {}, UPSTREAM: {}}
        }))
        .unwrap(),
    );
    fake.expect_writes([
        "POST /repos/amd-ci/sglang-ci-bot/issues",
        "PATCH /repos/amd-ci/sglang-ci-bot/issues/{number}",
        "POST /repos/amd-ci/sglang-ci-bot/issues/{number}/comments",
        "PATCH /repos/amd-ci/sglang-ci-bot/issues/comments/{id}",
        "POST /repos/sgl-project/sglang/issues",
        "PATCH /repos/sgl-project/sglang/issues/{number}",
        "POST /repos/sgl-project/sglang/issues/{number}/comments",
        "PATCH /repos/sgl-project/sglang/issues/comments/{id}",
        "DELETE /repos/sgl-project/sglang/issues/comments/{id}",
    ]);
    for d in 1..=30u32 {
        // The day's run exists from that day on (a listing has no upper bound on creation).
        if sim_ran(d) {
            fake.add(
                serde_json::from_value::<Scenario>(
                    json!({"repos": {UPSTREAM: {"workflows": {PR_TEST: [run(d)]}}}}),
                )
                .unwrap(),
            );
        }
        let morning = format!("{}T06:00:00Z", sim_date(d));
        bot(&fake, &morning).args(["ensure-daily-issue"]).success();
        bot(&fake, &morning)
            .args(["monitor", "--output", "daily-issue", "--workflows", PR_TEST])
            .success();
        // Even days finalize after midnight, with the day the tick started on.
        let finalize = if d.is_multiple_of(2) && d < 30 {
            format!("{}T00:20:00Z", sim_date(d + 1))
        } else {
            format!("{}T06:30:00Z", sim_date(d))
        };
        for command in ["daily-summary", "failure-tracker"] {
            bot(&fake, &finalize)
                .args([command, "--date", &sim_date(d)])
                .success();
        }
    }
    fake
}

#[test]
fn thirty_days_of_the_whole_pipeline_match_a_truth_computed_from_the_generator() {
    let fake = run_thirty_days();

    // The tracker.
    assert_eq!(fake.issues(UPSTREAM).len(), 1, "one tracker");
    let number = fake.issues(UPSTREAM)[0].number;
    let state = state_of(&fake, number);
    let body = fake.issues(UPSTREAM)[0].body.clone();
    let scans: Vec<u32> = (1..=30).filter(|d| sim_ran(*d)).collect();
    for t in 0..SIM_TESTS {
        let fails: Vec<u32> = (1..=30).filter(|d| sim_fails(t, *d)).collect();
        if fails.is_empty() {
            assert!(!state.entries.contains_key(&key(t)), "{}", key(t));
            continue;
        }
        let e = entry(&state, &key(t));
        assert_eq!(e.first_seen(), day(&sim_date(fails[0])), "{}", key(t));
        assert_eq!(
            e.last_seen(),
            day(&sim_date(*fails.last().unwrap())),
            "{}",
            key(t)
        );
        assert_eq!(e.count, Some(fails.len() as u64), "{}", key(t));
        if *fails.last().unwrap() == 30 {
            let streak = scans.iter().rev().take_while(|d| fails.contains(d)).count();
            let flaky = flips(&scans, &fails);
            let row = body
                .lines()
                .find(|l| {
                    l.contains(&format!("`{}`", &file(t)["test/".len()..]))
                        && l.contains("🔴 failing")
                })
                .unwrap_or_else(|| panic!("{} has no failing row:\n{body}", key(t)));
            let cells: Vec<&str> = row.split(" | ").collect();
            assert_eq!(
                (cells[4], cells[5]),
                (streak.to_string().as_str(), flaky.to_string().as_str()),
                "{}: {row}",
                key(t)
            );
        }
    }
    let bar = body
        .lines()
        .find(|l| l.trim_start().starts_with("bar ["))
        .expect("the chart");
    let series: Vec<usize> = bar
        .trim()
        .trim_start_matches("bar [")
        .trim_end_matches(']')
        .split(", ")
        .map(|v| v.parse().unwrap())
        .collect();
    let truth: Vec<usize> = (1..=30).map(|d| failing(d).len()).collect();
    assert_eq!(series, truth);

    // Each day's summary, against the day before.
    let mut compared = 0;
    for d in 1..=30u32 {
        let today = failing(d);
        let issue_body = daily_body(&fake, d);
        if today.is_empty() {
            assert!(
                !issue_body.contains("# Daily Cross-Workflow Summary"),
                "day {d}: nothing failed, nothing summarised"
            );
            continue;
        }
        for t in &today {
            assert!(
                issue_body.contains(&format!("test_sim_{t}.py")),
                "day {d}: test {t}"
            );
        }
        let yesterday = if d > 1 { failing(d - 1) } else { Vec::new() };
        if yesterday.is_empty() {
            assert!(issue_body.contains("_No comparison: "), "day {d}");
            continue;
        }
        let new = today.iter().filter(|t| !yesterday.contains(t)).count();
        let still = today.len() - new;
        // A test gone today passed in today's run (each test has its own job): fixed.
        let fixed = yesterday.iter().filter(|t| !today.contains(t)).count();
        let line = format!("{new} new · {still} still failing · {fixed} fixed · 0 not seen today");
        assert!(
            issue_body.contains(&line),
            "day {d}: expected {line:?}:\n{issue_body}"
        );
        compared += 1;
    }
    assert!(compared >= 10, "the days compare often enough: {compared}");
}

/// Failed again after passing, over the scan days.
fn flips(scans: &[u32], fails: &[u32]) -> usize {
    let (mut failed, mut passed, mut flips) = (false, false, 0);
    for d in scans {
        if fails.contains(d) {
            flips += usize::from(failed && passed);
            failed = true;
            passed = false;
        } else if failed {
            passed = true;
        }
    }
    flips
}
