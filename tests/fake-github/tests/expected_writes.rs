//! Declared writes: a write no test declared fails the test when the fake is dropped, however
//! the request log was reset in between; a test already failing keeps its own failure.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};

use fake_github::{FakeGithub, Scenario};
use serde_json::json;

fn fake() -> FakeGithub {
    let scenario: Scenario = serde_json::from_value(json!({"repos": {"o/r": {"issues": [
        {"number": 1, "title": "t", "comments": [{"id": 7, "user": "amd-bot", "body": "b"}]}
    ]}}}))
    .expect("scenario");
    FakeGithub::start(scenario)
}

fn send(fake: &FakeGithub, method: &str, path: &str, body: &str) -> u16 {
    common::send(fake.url().trim_start_matches("http://"), method, path, body).status
}

/// The message of a panic caught by `catch_unwind`.
fn message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn an_undeclared_write_fails_the_test_when_the_fake_is_dropped() {
    let fake = fake();
    fake.expect_writes(["POST /repos/o/r/issues/{n}/comments"]);
    assert_eq!(
        send(
            &fake,
            "POST",
            "/repos/o/r/issues/1/comments",
            r#"{"body":"x"}"#
        ),
        201
    );
    assert_eq!(
        send(&fake, "DELETE", "/repos/o/r/issues/comments/7", ""),
        204
    );
    let failure = catch_unwind(AssertUnwindSafe(|| drop(fake))).expect_err("the drop fails");
    let text = message(failure);
    assert!(
        text.contains("DELETE /repos/o/r/issues/comments/7 -> 204"),
        "{text}"
    );
    assert!(
        !text.contains("POST /repos/o/r/issues/1/comments"),
        "a declared write is not reported: {text}"
    );
    assert!(
        text.contains("declared:\n  POST /repos/o/r/issues/{n}/comments"),
        "{text}"
    );
}

#[test]
fn a_reset_request_log_does_not_hide_an_undeclared_write_and_declaring_it_later_covers_it() {
    let fake = fake();
    send(
        &fake,
        "PATCH",
        "/repos/o/r/issues/comments/7",
        r#"{"body":"y"}"#,
    );
    fake.reset_requests();
    assert!(fake.writes().is_empty());
    let unexpected: Vec<String> = fake
        .unexpected_writes()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(unexpected, ["PATCH /repos/o/r/issues/comments/7 -> 200"]);
    let failure = catch_unwind(AssertUnwindSafe(|| fake.assert_no_unexpected_writes()));
    assert!(failure.is_err());

    fake.expect_writes(["PATCH /repos/o/r/issues/comments/{id}"]);
    assert!(fake.unexpected_writes().is_empty());
    fake.assert_no_unexpected_writes();
}

#[test]
fn a_question_to_the_gateway_is_not_a_write() {
    let fake = fake();
    assert_eq!(send(&fake, "POST", "/v1/messages", r#"{"model":"m"}"#), 200);
    assert!(fake.unexpected_writes().is_empty());
    assert_eq!(fake.messages().len(), 1);
}

#[test]
fn a_test_that_is_already_failing_keeps_its_own_failure() {
    let failure = catch_unwind(|| {
        let fake = fake();
        send(&fake, "DELETE", "/repos/o/r/issues/comments/7", "");
        panic!("the test's own assertion");
    })
    .expect_err("the test fails");
    assert_eq!(message(failure), "the test's own assertion");
}
