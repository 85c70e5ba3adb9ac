//! The `ci-status` comment of a pull request (issue #14): each failed job of the PR's head
//! commit classified from evidence — INFRA, BROKEN TRUNK, FLAKY or NEW, in that precedence —
//! and the comment that says so, as of which commit and merge base, with what is still
//! pending named. No LLM decides a label: every label carries the evidence it rests on. Pure:
//! the caller analyses the logs and reads the base branch's history.

mod classify;
mod render;

pub use classify::{classify, BaseOutcome, BaseVerdict, MatchKey};
pub use render::{render, Pending, StatusFacts, STATUS_MARKER};

use crate::domain::{JobId, SignatureKey};
use crate::logs::Category;

/// What a failed job's red most likely is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Caused by this PR, as far as the evidence goes.
    New,
    /// The same failure is on the base branch at or after the merge base.
    BrokenTrunk,
    /// It failed then passed (on retry, or alternately on the base branch).
    Flaky,
    /// The runner, the GPU host or the network failed, not the code.
    Infra,
}

/// One failed job of the head commit with what its log says.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FailedJob {
    /// The workflow file (or name).
    pub workflow: String,
    pub amd: bool,
    pub job_id: JobId,
    pub job_name: String,
    pub job_url: String,
    /// The run's page, whose "Re-run failed jobs" button re-runs it.
    pub run_url: String,
    /// The log engine's category (`None`: the log could not be read).
    pub category: Option<Category>,
    /// Why the log engine chose the category (or why there is no log).
    pub reason: String,
    /// Canonical ids of the tests named as failing.
    pub failed_tests: Vec<String>,
    /// Tests that failed and then passed on retry.
    pub flaky_tests: Vec<String>,
    pub first_error: Option<String>,
    pub signatures: Vec<SignatureKey>,
}

/// A job's class and the evidence for it (Markdown: links, or escaped text).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Classified {
    pub job: FailedJob,
    pub class: Class,
    pub evidence: String,
    /// A model's reading of a NEW failure against the diff (`likely: …`), shown beside the
    /// evidence; it never changes the class.
    pub why: Option<String>,
}

/// A failed job for the tests of this module's parts.
#[cfg(test)]
pub(crate) fn test_job(id: u64, category: Category) -> FailedJob {
    FailedJob {
        workflow: "pr-test-amd.yml".into(),
        amd: true,
        job_id: JobId::new(id),
        job_name: format!("stage-b-test-{id}"),
        job_url: format!("https://github.com/o/r/actions/runs/1/job/{id}"),
        run_url: "https://github.com/o/r/actions/runs/1".into(),
        category: Some(category),
        reason: "rule matched".into(),
        failed_tests: vec![format!("registered/t{id}.py::test_x")],
        flaky_tests: vec![],
        first_error: Some("AssertionError: 1 != 2".into()),
        signatures: vec![test_key(id)],
    }
}

/// The signature key of [`test_job`]`(id)`'s failure.
#[cfg(test)]
pub(crate) fn test_key(id: u64) -> SignatureKey {
    SignatureKey::of(&format!(
        "v2:failed:registered/t{id}.py::test_x:AssertionError"
    ))
    .unwrap()
}
