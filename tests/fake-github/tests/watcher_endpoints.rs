//! What the comment watcher (issue #15) needs from the fake: the repository-wide comment
//! listing with `since` and `sort`, reactions with their `created_at`, 201 for a new one and
//! 200 for a repeat, their deletion, `repository_dispatch` events kept, Bot accounts, PR
//! conversations, and a barrier that makes two requests overlap for certain.

mod common;

use std::time::{Duration, Instant};

use fake_github::{FakeGithub, Scenario};
use serde_json::{json, Value};

const UPSTREAM: &str = "sgl-project/sglang";
const BOT_REPO: &str = "amd-ci/sglang-ci-bot";

fn fake(extra: Value) -> FakeGithub {
    let mut s = json!({
        "repos": {
            UPSTREAM: {"issues": [
                {"number": 5, "title": "a PR", "pull_request": true, "comments": [
                    {"id": 11, "user": "alice", "body": "old", "created_at": "2026-11-24T01:00:00Z"},
                    {"id": 12, "user": "github-actions[bot]", "body": "new", "created_at": "2026-11-24T03:00:00Z",
                     "reactions": [{"user": "amd-bot", "content": "rocket", "created_at": "2026-11-24T03:01:00Z"}]}
                ]},
                {"number": 6, "title": "an issue", "comments": [
                    {"id": 13, "user": "bob", "body": "edited", "created_at": "2026-11-24T00:30:00Z",
                     "updated_at": "2026-11-24T04:00:00Z"}
                ]}
            ]},
            BOT_REPO: {}
        }
    });
    if let (Some(base), Some(more)) = (s.as_object_mut(), extra.as_object()) {
        base.extend(more.clone());
    }
    let scenario: Scenario = serde_json::from_value(s).expect("scenario");
    FakeGithub::start(scenario)
}

fn send(fake: &FakeGithub, method: &str, path: &str, body: &str) -> (u16, Value) {
    let addr = fake.url().trim_start_matches("http://").to_string();
    let answer = common::send(&addr, method, path, body);
    (
        answer.status,
        serde_json::from_str(&answer.body).unwrap_or(Value::Null),
    )
}

fn ids(listing: &Value) -> Vec<u64> {
    listing
        .as_array()
        .expect("an array")
        .iter()
        .map(|c| c["id"].as_u64().unwrap())
        .collect()
}

#[test]
fn the_repository_comment_listing_filters_by_since_and_sorts_by_update() {
    let fake = fake(json!({}));
    let path = "/repos/sgl-project/sglang/issues/comments";
    let (status, all) = send(&fake, "GET", path, "");
    assert_eq!(status, 200);
    assert_eq!(ids(&all), [13, 11, 12], "by creation, oldest first");
    let (_, updated) = send(
        &fake,
        "GET",
        &format!("{path}?sort=updated&direction=asc"),
        "",
    );
    assert_eq!(ids(&updated), [11, 12, 13]);
    let (_, since) = send(
        &fake,
        "GET",
        &format!("{path}?sort=updated&since=2026-11-24T03:00:00Z"),
        "",
    );
    assert_eq!(ids(&since), [12, 13], "updated at or after");
    assert_eq!(
        since[0]["issue_url"],
        format!("{}/repos/{UPSTREAM}/issues/5", fake.url())
    );
    assert_eq!(since[0]["user"]["type"], "Bot");
    assert_eq!(since[1]["user"]["type"], "User");
    let (_, pr) = send(&fake, "GET", "/repos/sgl-project/sglang/issues/5", "");
    assert!(pr["pull_request"]["url"].is_string(), "{pr}");
    let (_, issue) = send(&fake, "GET", "/repos/sgl-project/sglang/issues/6", "");
    assert!(issue.get("pull_request").is_none(), "{issue}");
}

#[test]
fn reactions_carry_their_time_answer_201_then_200_and_can_be_deleted() {
    let fake = fake(json!({}));
    fake.expect_writes([
        "POST /repos/sgl-project/sglang/issues/comments/{id}/reactions",
        "DELETE /repos/sgl-project/sglang/issues/comments/{id}/reactions/{rid}",
    ]);
    let path = "/repos/sgl-project/sglang/issues/comments/12/reactions";
    let (_, seeded) = send(&fake, "GET", path, "");
    assert_eq!(seeded[0]["created_at"], "2026-11-24T03:01:00Z");
    let (status, same) = send(&fake, "POST", path, r#"{"content": "rocket"}"#);
    assert_eq!(
        (status, &same["id"]),
        (200, &seeded[0]["id"]),
        "the account's reaction exists"
    );
    let (status, eyes) = send(&fake, "POST", path, r#"{"content": "eyes"}"#);
    assert_eq!(status, 201);
    assert!(eyes["created_at"].is_string());
    let rocket = seeded[0]["id"].as_u64().unwrap();
    let (status, _) = send(&fake, "DELETE", &format!("{path}/{rocket}"), "");
    assert_eq!(status, 204);
    let (status, _) = send(&fake, "DELETE", &format!("{path}/{rocket}"), "");
    assert_eq!(status, 404, "already gone");
    assert_eq!(
        fake.reactions(UPSTREAM, 12),
        [("amd-bot".into(), "eyes".into())]
    );
}

#[test]
fn dispatches_are_kept_as_sent_and_refused_without_an_event_type() {
    let fake = fake(json!({}));
    fake.expect_writes(["POST /repos/amd-ci/sglang-ci-bot/dispatches"]);
    let path = "/repos/amd-ci/sglang-ci-bot/dispatches";
    let event = json!({"event_type": "ci-status", "client_payload": {"pr_number": "5"}});
    let (status, _) = send(&fake, "POST", path, &event.to_string());
    assert_eq!(status, 204);
    let (status, _) = send(&fake, "POST", path, r#"{"client_payload": {}}"#);
    assert_eq!(status, 422);
    assert_eq!(fake.dispatches(BOT_REPO), [event]);
}

#[test]
fn a_barrier_holds_the_first_request_until_a_second_like_it_arrives() {
    let fake = fake(json!({"barriers": [
        {"method": "POST", "path": "/reactions$", "body_contains": "rocket", "timeout_ms": 5000}
    ]}));
    fake.expect_writes(["POST /repos/sgl-project/sglang/issues/comments/{id}/reactions"]);
    let path = "/repos/sgl-project/sglang/issues/comments/11/reactions";
    let url = fake.url();
    let started = Instant::now();
    let first = std::thread::spawn(move || {
        let addr = url.trim_start_matches("http://").to_string();
        let answer = common::send(&addr, "POST", path, r#"{"content": "rocket"}"#);
        (answer.status, Instant::now())
    });
    std::thread::sleep(Duration::from_millis(300));
    // Another content is not held.
    let (status, _) = send(&fake, "POST", path, r#"{"content": "eyes"}"#);
    assert_eq!(status, 201);
    assert!(!first.is_finished(), "the first rocket waits for a second");
    let (second, _) = send(&fake, "POST", path, r#"{"content": "rocket"}"#);
    let (first, _) = first.join().unwrap();
    let mut statuses = [first, second];
    statuses.sort();
    assert_eq!(statuses, [200, 201], "one created it, the other found it");
    assert!(started.elapsed() < Duration::from_secs(4));
}
