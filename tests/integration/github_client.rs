//! The GitHub client against the fake GitHub.

use std::time::{Duration, Instant};

use fake_github::{FakeGithub, Scenario};
use serde_json::json;
use sglang_bot::domain::{IssueNumber, JobId, RepoName};
use sglang_bot::github::{Client, ClientOptions, GithubError, RetryPolicy};

const REPO: &str = "sgl-project/sglang";

fn scenario(value: serde_json::Value) -> Scenario {
    serde_json::from_value(value).expect("scenario")
}

/// The repository as the client takes it.
fn repo() -> RepoName {
    REPO.parse().expect("owner/name")
}

fn client(fake: &FakeGithub) -> Client {
    Client::new(ClientOptions {
        api_url: fake.url(),
        token: Some("test-token-1234567890".into()),
        retry: RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(200),
            max_rate_limit_wait: Duration::from_secs(5),
            secondary_wait: Duration::from_millis(300),
        },
        ..ClientOptions::default()
    })
    .expect("client")
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn one_issue(extra: serde_json::Value) -> serde_json::Value {
    let mut s = json!({"repos": {REPO: {"issues": [{"number": 1, "title": "t", "labels": ["ci-monitor"]}]}}});
    if let Some(map) = extra.as_object() {
        for (k, v) in map {
            s[k] = v.clone();
        }
    }
    s
}

#[test]
fn two_bad_gateways_then_success_is_retried_and_succeeds() {
    let fake = FakeGithub::start(scenario(one_issue(json!({
        "faults": [{"method": "GET", "path": "^/repos/sgl-project/sglang/issues/1$", "status": 502, "times": 2}]
    }))));
    let rt = rt();
    let issue = rt
        .block_on(async { client(&fake).issue(&repo(), IssueNumber::new(1)).await })
        .unwrap();
    assert_eq!(issue.number, IssueNumber::new(1));
    let statuses: Vec<u16> = fake.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [502, 502, 200]);
}

#[test]
fn secondary_rate_limit_waits_for_retry_after_and_succeeds() {
    let fake = FakeGithub::start(scenario(one_issue(json!({
        "faults": [{"method": "POST", "path": "/issues/1/comments$", "status": 403, "times": 1,
                    "headers": {"retry-after": "1"},
                    "body": "{\"message\":\"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.\"}"}]
    }))));
    fake.expect_writes(["POST /repos/sgl-project/sglang/issues/1/comments"]);
    let rt = rt();
    let started = Instant::now();
    let comment = rt
        .block_on(async {
            client(&fake)
                .create_comment(&repo(), IssueNumber::new(1), "hello")
                .await
        })
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "did not wait: {:?}",
        started.elapsed()
    );
    assert!(comment.expect("posted, not a dry run").id.get() > 0);
    assert_eq!(fake.comments(REPO, 1).len(), 1, "posted exactly once");
}

#[test]
fn not_found_is_not_retried() {
    let fake = FakeGithub::start(scenario(one_issue(json!({}))));
    let rt = rt();
    let err = rt
        .block_on(async { client(&fake).issue(&repo(), IssueNumber::new(404)).await })
        .unwrap_err();
    assert!(matches!(err, GithubError::NotFound { .. }), "{err}");
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn a_three_page_listing_returns_every_item() {
    let comments: Vec<serde_json::Value> = (1..=250)
        .map(|i| json!({"id": i, "user": "amd-bot", "body": format!("comment {i}")}))
        .collect();
    let fake = FakeGithub::start(scenario(json!({"repos": {REPO: {"issues": [
        {"number": 7, "title": "t", "comments": comments}
    ]}}})));
    let rt = rt();
    let listed = rt
        .block_on(async { client(&fake).comments(&repo(), IssueNumber::new(7)).await })
        .unwrap();
    assert_eq!(listed.len(), 250);
    assert_eq!(
        listed.iter().map(|c| c.id.get()).collect::<Vec<_>>(),
        (1..=250).collect::<Vec<u64>>()
    );
    let pages: Vec<String> = fake.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert!(pages[2].contains("page=3"));
}

#[test]
fn a_repeated_get_is_answered_304_and_served_from_the_cache() {
    let fake = FakeGithub::start(scenario(one_issue(json!({}))));
    let rt = rt();
    let (first, second, stats) = rt.block_on(async {
        let c = client(&fake);
        let a = c.issue(&repo(), IssueNumber::new(1)).await.unwrap();
        let b = c.issue(&repo(), IssueNumber::new(1)).await.unwrap();
        (a, b, c.stats())
    });
    assert_eq!(first, second);
    let statuses: Vec<u16> = fake.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 304]);
    assert_eq!(stats.not_modified, 1);
}

fn log_scenario(log: serde_json::Value) -> Scenario {
    scenario(
        json!({"repos": {REPO: {"workflows": {"nightly-test-amd.yml": [
            {"id": 1, "created_at": "2026-11-24T00:00:00Z", "conclusion": "failure",
             "jobs": [{"id": 42, "name": "job", "conclusion": "failure", "log": log}]}
        ]}}}}),
    )
}

#[test]
fn a_50mb_log_streams_in_chunks_without_authorization_on_the_blob() {
    let size: u64 = 50 * 1024 * 1024;
    let fake = FakeGithub::start(log_scenario(
        json!({"generate": {"bytes": size, "seed": 7}}),
    ));
    let rt = rt();
    let (total, chunks, largest, streamed) = rt.block_on(async {
        let c = client(&fake);
        let mut stream = c.job_log(&repo(), JobId::new(42)).await.unwrap();
        let (mut total, mut chunks, mut largest) = (0u64, 0usize, 0usize);
        while let Some(chunk) = stream.next_chunk().await {
            let chunk = chunk.unwrap();
            total += chunk.len() as u64;
            chunks += 1;
            largest = largest.max(chunk.len());
        }
        (total, chunks, largest, c.stats().log_bytes)
    });
    assert_eq!(total, size);
    // Delivered piecemeal: never more than a small buffer at a time.
    assert!(chunks > 100, "{chunks} chunks");
    assert!(largest <= 1024 * 1024, "a chunk of {largest} bytes");
    assert_eq!(streamed, size);
    let requests = fake.requests();
    let api = requests
        .iter()
        .find(|r| r.path.ends_with("/actions/jobs/42/logs"))
        .unwrap();
    assert!(api.authorization && api.status == 302);
    let blob = requests
        .iter()
        .find(|r| r.path.starts_with("/_blobs/"))
        .unwrap();
    assert!(!blob.authorization, "the token reached blob storage");
}

#[test]
fn an_expired_log_is_a_typed_logs_expired() {
    let fake = FakeGithub::start(log_scenario(json!("expired")));
    let rt = rt();
    let err = rt
        .block_on(async { client(&fake).job_log(&repo(), JobId::new(42)).await })
        .unwrap_err();
    assert!(
        matches!(
            err,
            GithubError::LogsExpired {
                job_id,
                status: 410
            } if job_id == JobId::new(42)
        ),
        "{err}"
    );
}

#[test]
fn a_body_over_65536_characters_is_refused_before_sending() {
    let fake = FakeGithub::start(scenario(one_issue(json!({}))));
    let rt = rt();
    let body = "é".repeat(65_537);
    let err = rt
        .block_on(async {
            client(&fake)
                .create_comment(&repo(), IssueNumber::new(1), &body)
                .await
        })
        .unwrap_err();
    assert!(
        matches!(err, GithubError::BodyTooLarge { chars: 65_537, .. }),
        "{err}"
    );
    assert!(fake.writes().is_empty());
}

#[test]
fn writes_are_redacted_before_they_leave() {
    let fake = FakeGithub::start(scenario(one_issue(json!({}))));
    fake.expect_writes(["POST /repos/sgl-project/sglang/issues/1/comments"]);
    let rt = rt();
    let token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
    rt.block_on(async {
        client(&fake)
            .create_comment(&repo(), IssueNumber::new(1), &format!("leaked {token}"))
            .await
    })
    .unwrap();
    let body = &fake.comments(REPO, 1)[0].body;
    assert!(!body.contains(token));
    assert!(body.contains("[REDACTED]"));
}

#[test]
fn a_diff_or_file_github_does_not_have_is_none_and_one_it_has_comes_back_raw() {
    let fake = FakeGithub::start(scenario(json!({"repos": {REPO: {
        "pulls": [{"number": 5, "head": {"sha": "abc"}}, {"number": 6, "head": {"sha": "def"}}],
        "pull_diffs": {"5": "diff --git a/x b/x\n+y\n"},
        "contents": {"abc": {"test/registered/test_x.py": "register_amd_ci(est_time=1, suite=\"s\")\n"}}
    }}})));
    let rt = rt();
    let _entered = rt.enter();
    let c = client(&fake);
    let diff = rt
        .block_on(c.pull_request_diff(&repo(), IssueNumber::new(5)))
        .expect("diff");
    assert_eq!(diff.as_deref(), Some("diff --git a/x b/x\n+y\n"));
    let none = rt
        .block_on(c.pull_request_diff(&repo(), IssueNumber::new(6)))
        .expect("no diff is not an error");
    assert_eq!(none, None);
    let file = rt
        .block_on(c.file_at_ref(&repo(), "test/registered/test_x.py", "abc"))
        .expect("file");
    assert!(file.unwrap().starts_with("register_amd_ci("));
    let missing = rt
        .block_on(c.file_at_ref(&repo(), "test/registered/test_x.py", "def"))
        .expect("a missing file is not an error");
    assert_eq!(missing, None);
    let accepts: Vec<String> = fake.requests().iter().map(|r| r.path.clone()).collect();
    assert!(
        accepts
            .iter()
            .any(|p| p.contains("/contents/test/registered/test_x.py?ref=abc")),
        "{accepts:?}"
    );
}
