//! Every kind of object the fake serves decodes into its octocrab model, read the way octocrab
//! reads a response (listings as a whole, through `Page` and its `Link` header), and carries
//! the scenario's values. A client moving to octocrab's models can then trust the fake.

mod common;

use std::convert::Infallible;

use bytes::Bytes;
use fake_github::{FakeGithub, Scenario};
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use octocrab::models::{
    self, checks::ListCheckRuns, issues, pulls, reactions, repos::DiffEntry, workflows,
};
use octocrab::{FromResponse, Page};
use serde_json::json;

const UPSTREAM: &str = "sgl-project/sglang";
const BOT_REPO: &str = "amd-ci/sglang-ci-bot";
const SHA: &str = "fe887e6935cb300e03bbe1897f9df01164b7d0aa";

fn scenario() -> Scenario {
    serde_json::from_value(json!({
        "bot_login": "amd-bot",
        "repos": {
            UPSTREAM: {
                "workflows": {"nightly-test-amd.yml": [
                    {"id": 101, "conclusion": "failure", "head_sha": SHA,
                     "created_at": "2026-11-24T01:00:00Z", "run_attempt": 2,
                     "jobs": [
                        {"id": 1011, "name": "nightly-test-1-gpu-amd", "conclusion": "failure",
                         "started_at": "2026-11-24T01:02:00Z", "completed_at": "2026-11-24T01:30:00Z",
                         "steps": [{"name": "Run test", "conclusion": "failure"}]},
                        {"id": 1012, "name": "queued-job", "status": "queued"}
                     ]},
                    {"id": 102, "conclusion": "success", "head_sha": SHA,
                     "created_at": "2026-11-24T03:00:00Z"}
                ]},
                "pulls": [
                    {"number": 24512, "title": "Fix the radix cache", "user": {"login": "alice"},
                     "head": {"ref": "fix-radix", "sha": SHA}, "base": {"ref": "main", "sha": "0000000000000000000000000000000000000001"},
                     "labels": ["amd"], "additions": 10, "deletions": 2, "changed_files": 1}
                ],
                "pull_files": {"24512": [
                    {"filename": "python/sglang/srt/mem_cache/radix_cache.py", "status": "modified",
                     "additions": 10, "deletions": 2, "patch": "@@ -1 +1 @@\n-a\n+b"}
                ]},
                "check_runs": {SHA: [
                    {"name": "stage-a-test-1-amd", "status": "completed", "conclusion": "failure"}
                ]},
                "statuses": {SHA: [
                    {"context": "ci/lint", "state": "success"},
                    {"context": "ci/amd", "state": "failure", "target_url": "https://example.com/ci"}
                ]}
            },
            BOT_REPO: {
                "issues": [
                    {"number": 1, "title": "[CI Monitor] Daily Report - 2026-11-24",
                     "labels": ["ci-monitor", "needs triage"],
                     "comments": [{"id": 500, "user": "amd-bot", "body": "part 1"}]},
                    {"number": 2, "title": "old report", "state": "closed", "user": "someone"}
                ]
            }
        }
    }))
    .expect("scenario")
}

/// One exchange with the fake, as an `http::Response` octocrab reads.
fn call(
    fake: &FakeGithub,
    method: &str,
    path: &str,
    body: serde_json::Value,
) -> hyper::Response<BoxBody<Bytes, octocrab::Error>> {
    let addr = fake.url().trim_start_matches("http://").to_string();
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let answer = common::send(&addr, method, path, &body);
    assert!(
        (200..300).contains(&answer.status),
        "{method} {path} -> {}: {}",
        answer.status,
        answer.body
    );
    let mut response = hyper::Response::builder().status(answer.status);
    for (name, value) in &answer.headers {
        response = response.header(name, value);
    }
    let body = Full::new(Bytes::from(answer.body))
        .map_err(|never: Infallible| -> octocrab::Error { match never {} })
        .boxed();
    response.body(body).expect("response")
}

/// What octocrab makes of an answer; its error names the field that did not fit.
async fn decode<T: FromResponse>(
    fake: &FakeGithub,
    method: &str,
    path: &str,
    body: serde_json::Value,
) -> T {
    match T::from_response(call(fake, method, path, body)).await {
        Ok(value) => value,
        Err(e) => {
            let mut reason = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                reason = format!("{reason}: {s}");
                source = s.source();
            }
            panic!("{method} {path} does not decode: {reason}")
        }
    }
}

async fn get<T: FromResponse>(fake: &FakeGithub, path: &str) -> T {
    decode(fake, "GET", path, serde_json::Value::Null).await
}

#[tokio::test]
async fn the_user_runs_and_jobs_decode_into_octocrabs_models() {
    let fake = FakeGithub::start(scenario());
    let me: models::Author = get(&fake, "/user").await;
    assert_eq!(me.login, "amd-bot");
    assert_eq!(me.r#type, "User");

    let runs: Page<workflows::Run> = get(
        &fake,
        "/repos/sgl-project/sglang/actions/workflows/nightly-test-amd.yml/runs",
    )
    .await;
    assert_eq!(runs.total_count, Some(2));
    let ids: Vec<u64> = runs.items.iter().map(|r| r.id.into_inner()).collect();
    assert_eq!(ids, [102, 101], "newest first");
    let run = &runs.items[1];
    assert_eq!(run.name, "nightly-test-amd.yml");
    assert_eq!(run.head_sha, SHA);
    assert_eq!(run.head_branch, "main");
    assert_eq!(run.event, "schedule");
    assert_eq!(run.conclusion.as_deref(), Some("failure"));
    assert_eq!(run.repository.full_name.as_deref(), Some(UPSTREAM));
    assert_eq!(
        run.html_url.as_str(),
        "https://github.com/sgl-project/sglang/actions/runs/101"
    );

    let all: Page<workflows::Run> = get(&fake, "/repos/sgl-project/sglang/actions/runs").await;
    assert_eq!(all.items.len(), 2);
    let one: workflows::Run = get(&fake, "/repos/sgl-project/sglang/actions/runs/101").await;
    assert_eq!(one, *run);

    let jobs: Page<workflows::Job> =
        get(&fake, "/repos/sgl-project/sglang/actions/runs/101/jobs").await;
    assert_eq!(jobs.total_count, Some(2));
    let job = &jobs.items[0];
    assert_eq!(job.name, "nightly-test-1-gpu-amd");
    assert_eq!(job.run_id.into_inner(), 101);
    assert_eq!(job.run_attempt, 2);
    assert_eq!(job.conclusion, Some(workflows::Conclusion::Failure));
    assert_eq!(job.steps[0].name, "Run test");
    assert_eq!(
        job.steps[0].conclusion,
        Some(workflows::Conclusion::Failure)
    );
    assert_eq!(job.started_at.to_rfc3339(), "2026-11-24T01:02:00+00:00");

    // A job the scenario gives no start time shows its run's creation, as a queued one does.
    let queued: workflows::Job = get(&fake, "/repos/sgl-project/sglang/actions/jobs/1012").await;
    assert_eq!(queued.status, workflows::Status::Queued);
    assert_eq!(queued.started_at.to_rfc3339(), "2026-11-24T01:00:00+00:00");
    assert!(queued.conclusion.is_none());
}

#[tokio::test]
async fn a_listing_decodes_as_a_whole_page_with_its_links() {
    let fake = FakeGithub::start(scenario());
    let first: Page<workflows::Run> = get(
        &fake,
        "/repos/sgl-project/sglang/actions/workflows/nightly-test-amd.yml/runs?per_page=1&event=schedule",
    )
    .await;
    assert_eq!(first.items.len(), 1);
    assert_eq!(first.total_count, Some(2));
    assert_eq!(first.number_of_pages(), Some(2));
    let next = first.next.expect("a next page").to_string();
    assert!(next.contains("event=schedule"), "{next}");
    assert!(next.contains("page=2"), "{next}");
    let path = next.trim_start_matches(&fake.url()).to_string();
    let second: Page<workflows::Run> = get(&fake, &path).await;
    assert_eq!(second.items[0].id.into_inner(), 101);
    assert!(second.next.is_none());
    assert!(second.prev.is_some());
}

#[tokio::test]
async fn issues_comments_reactions_and_search_decode_into_octocrabs_models() {
    let fake = FakeGithub::start(scenario());
    fake.expect_writes([
        "POST /repos/amd-ci/sglang-ci-bot/issues",
        "PATCH /repos/amd-ci/sglang-ci-bot/issues/{n}",
        "POST /repos/amd-ci/sglang-ci-bot/issues/{n}/comments",
        "PATCH /repos/amd-ci/sglang-ci-bot/issues/comments/{id}",
        "POST /repos/amd-ci/sglang-ci-bot/issues/comments/{id}/reactions",
    ]);
    let listed: Page<issues::Issue> =
        get(&fake, "/repos/amd-ci/sglang-ci-bot/issues?state=all").await;
    assert_eq!(listed.items.len(), 2);
    let issue: issues::Issue = get(&fake, "/repos/amd-ci/sglang-ci-bot/issues/1").await;
    assert_eq!(issue.title, "[CI Monitor] Daily Report - 2026-11-24");
    assert_eq!(issue.state, models::IssueState::Open);
    assert_eq!(issue.user.login, "amd-bot");
    assert_eq!(issue.comments, 1);
    let labels: Vec<&str> = issue.labels.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(labels, ["ci-monitor", "needs triage"]);
    assert!(issue.pull_request.is_none());
    let closed = &listed.items[0];
    assert_eq!(closed.number, 2);
    assert_eq!(closed.state, models::IssueState::Closed);
    assert_eq!(closed.user.login, "someone");
    assert!(closed.closed_at.is_some());

    let created: issues::Issue = decode(
        &fake,
        "POST",
        "/repos/amd-ci/sglang-ci-bot/issues",
        json!({"title": "new", "body": "b", "labels": ["ci-monitor"]}),
    )
    .await;
    assert_eq!(created.number, 3);
    assert_eq!(created.body.as_deref(), Some("b"));
    let edited: issues::Issue = decode(
        &fake,
        "PATCH",
        "/repos/amd-ci/sglang-ci-bot/issues/3",
        json!({"state": "closed"}),
    )
    .await;
    assert_eq!(edited.state, models::IssueState::Closed);

    let comments: Page<issues::Comment> =
        get(&fake, "/repos/amd-ci/sglang-ci-bot/issues/1/comments").await;
    assert_eq!(comments.items[0].id.into_inner(), 500);
    assert_eq!(comments.items[0].body.as_deref(), Some("part 1"));
    assert_eq!(comments.items[0].user.login, "amd-bot");
    let posted: issues::Comment = decode(
        &fake,
        "POST",
        "/repos/amd-ci/sglang-ci-bot/issues/1/comments",
        json!({"body": "part 2"}),
    )
    .await;
    let path = format!(
        "/repos/amd-ci/sglang-ci-bot/issues/comments/{}",
        posted.id.into_inner()
    );
    let patched: issues::Comment = decode(&fake, "PATCH", &path, json!({"body": "part 2b"})).await;
    assert_eq!(patched.body.as_deref(), Some("part 2b"));
    let read: issues::Comment = get(&fake, &path).await;
    assert_eq!(read, patched);

    let reaction: reactions::Reaction = decode(
        &fake,
        "POST",
        "/repos/amd-ci/sglang-ci-bot/issues/comments/500/reactions",
        json!({"content": "eyes"}),
    )
    .await;
    assert_eq!(reaction.content, reactions::ReactionContent::Eyes);
    assert_eq!(reaction.user.login, "amd-bot");
    let all: Page<reactions::Reaction> = get(
        &fake,
        "/repos/amd-ci/sglang-ci-bot/issues/comments/500/reactions",
    )
    .await;
    assert_eq!(all.items, [reaction]);

    let found: Page<issues::Issue> = get(
        &fake,
        "/search/issues?q=repo%3Aamd-ci%2Fsglang-ci-bot+is%3Aopen+%22Daily+Report%22",
    )
    .await;
    assert_eq!(found.total_count, Some(1));
    assert_eq!(found.incomplete_results, Some(false));
    assert_eq!(found.items[0].number, 1);
}

#[tokio::test]
async fn pull_requests_files_checks_and_statuses_decode_into_octocrabs_models() {
    let fake = FakeGithub::start(scenario());
    let pulls: Page<pulls::PullRequest> = get(&fake, "/repos/sgl-project/sglang/pulls").await;
    assert_eq!(pulls.items.len(), 1);
    let pr: pulls::PullRequest = get(&fake, "/repos/sgl-project/sglang/pulls/24512").await;
    assert_eq!(pr, pulls.items[0]);
    assert_eq!(pr.title.as_deref(), Some("Fix the radix cache"));
    assert_eq!(pr.head.ref_field, "fix-radix");
    assert_eq!(pr.head.sha, SHA);
    assert_eq!(pr.base.ref_field, "main");
    assert_eq!(pr.user.as_ref().map(|u| u.login.as_str()), Some("alice"));
    assert_eq!(pr.state, Some(models::IssueState::Open));
    assert_eq!(pr.additions, Some(10));
    assert_eq!(pr.labels.as_ref().map(|l| l[0].name.as_str()), Some("amd"));

    let files: Page<DiffEntry> = get(&fake, "/repos/sgl-project/sglang/pulls/24512/files").await;
    assert_eq!(
        files.items[0].filename,
        "python/sglang/srt/mem_cache/radix_cache.py"
    );
    assert_eq!(files.items[0].changes, 12);
    assert_eq!(files.items[0].patch.as_deref(), Some("@@ -1 +1 @@\n-a\n+b"));

    let checks: ListCheckRuns = get(
        &fake,
        &format!("/repos/sgl-project/sglang/commits/{SHA}/check-runs"),
    )
    .await;
    assert_eq!(checks.total_count, 1);
    assert_eq!(checks.check_runs[0].name, "stage-a-test-1-amd");
    assert_eq!(checks.check_runs[0].conclusion.as_deref(), Some("failure"));
    assert_eq!(checks.check_runs[0].head_sha, SHA);

    let statuses: Page<models::Status> = get(
        &fake,
        &format!("/repos/sgl-project/sglang/commits/{SHA}/statuses"),
    )
    .await;
    let contexts: Vec<_> = statuses
        .items
        .iter()
        .map(|s| (s.context.clone().unwrap_or_default(), s.state))
        .collect();
    assert_eq!(
        contexts,
        [
            ("ci/lint".to_string(), models::StatusState::Success),
            ("ci/amd".to_string(), models::StatusState::Failure)
        ]
    );
    let combined: models::CombinedStatus = get(
        &fake,
        &format!("/repos/sgl-project/sglang/commits/{SHA}/status"),
    )
    .await;
    assert_eq!(combined.state, models::StatusState::Failure);
    assert_eq!(combined.total_count, 2);
    assert_eq!(combined.statuses, statuses.items);
}
