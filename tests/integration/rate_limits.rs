//! Writes at GitHub's pace: a secondary rate limit in the fake (its window short, so the
//! tests run in seconds) slows a tick down, or defers its last writes to the next tick, and
//! nothing is lost or doubled.

use fake_github::FakeGithub;
use serde_json::json;

use crate::monitor::{
    issue_number, nightly_with_jobs, scenario, tick, workflow_comments, EDIT_COMMENT, NIGHTLY,
    OPEN_ISSUE, POST_COMMENT, TODAY_TITLE,
};

/// Jobs of the fixture run, and the size of the parts: enough for three or more parts.
const JOBS: u64 = 15;
const PART_CHARS: &str = "[monitor]\ncomment_max_chars = 30000\n";

fn limited(writes: usize, window_ms: u64) -> FakeGithub {
    let fake = nightly_with_jobs(JOBS);
    fake.add(scenario(json!({
        "secondary_limit": {"writes": writes, "window_ms": window_ms}
    })));
    fake.expect_writes([OPEN_ISSUE, POST_COMMENT, EDIT_COMMENT]);
    fake
}

/// Each job of the run appears exactly once across the workflow's comments.
fn assert_each_job_once(fake: &FakeGithub) {
    let parts = workflow_comments(fake, issue_number(fake, TODAY_TITLE), NIGHTLY);
    let all: String = parts.iter().map(|p| p.body.as_str()).collect();
    for id in 56000000000u64..56000000000 + JOBS {
        assert_eq!(
            all.matches(&format!("data-job-id=\"{id}\"")).count(),
            1,
            "job {id} in {} part(s)",
            parts.len()
        );
    }
}

#[test]
fn a_tick_under_a_secondary_limit_pauses_and_posts_every_part_within_its_budget() {
    let fake = limited(2, 1500);
    let out = tick(&fake)
        .file(
            "sglang-bot.toml",
            &format!("{PART_CHARS}[github]\nsecondary_wait_secs = 1\nretry_base_delay_ms = 10\nmax_attempts = 8\n"),
        )
        .stderr_contains("Done. 1 with new failures, 0 could not be handled, 0 writes deferred;")
        .success();
    let refused = fake.requests().iter().filter(|r| r.status == 403).count();
    assert!(refused > 0, "the limit was hit: {out}");
    assert!(
        workflow_comments(&fake, issue_number(&fake, TODAY_TITLE), NIGHTLY).len() >= 3,
        "{out}"
    );
    assert_each_job_once(&fake);
}

#[test]
fn writes_a_limit_would_hold_past_the_budget_are_deferred_and_the_next_tick_completes() {
    // Two writes a minute, a minute's pause asked for, five seconds of budget: the issue and
    // part 1 are written, the rest is deferred.
    let fake = limited(2, 60_000);
    let config = "[github]\nsecondary_wait_secs = 60\nretry_base_delay_ms = 10\n\n\
                  [monitor]\ncomment_max_chars = 30000\ntick_budget_secs = 5\n";
    let first = tick(&fake)
        .file("sglang-bot.toml", config)
        .stderr_contains("Done. 1 with new failures, 0 could not be handled, ")
        .stderr_contains("deferred to the next tick")
        .success();
    let deferred: usize = first
        .stderr
        .lines()
        .filter_map(|l| l.split(" could not be handled, ").nth(1))
        .filter_map(|rest| rest.split(' ').next()?.parse().ok())
        .next_back()
        .expect("the last line counts deferred writes");
    assert!(deferred >= 1, "{first}");
    let posted = workflow_comments(&fake, issue_number(&fake, TODAY_TITLE), NIGHTLY).len();
    assert_eq!(posted, 1, "part 1 only: {first}");

    // The limit lifts; the next tick (a fresh runner: no local cache) analyses the jobs only
    // the missing parts showed again, and completes the series.
    fake.add(scenario(json!({
        "secondary_limit": {"writes": 1000, "window_ms": 1}
    })));
    let second = tick(&fake)
        .file("sglang-bot.toml", config)
        .stderr_contains("0 could not be handled, 0 writes deferred;")
        .success();
    assert!(
        workflow_comments(&fake, issue_number(&fake, TODAY_TITLE), NIGHTLY).len() > 1,
        "{second}"
    );
    assert_each_job_once(&fake);
}
