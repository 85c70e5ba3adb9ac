//! The scenario file: what the fake GitHub knows when it starts (and what tests add later).
//! Every struct denies unknown fields, so a typo in a scenario fails loudly.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// A whole scenario.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    /// The login every token maps to unless `tokens` says otherwise.
    pub bot_login: Option<String>,
    /// Token → login, for tests that act as several users.
    pub tokens: BTreeMap<String, String>,
    /// Milliseconds before a created or edited issue shows up in `/search/issues`.
    pub search_lag_ms: u64,
    /// Repositories by `owner/name`.
    pub repos: BTreeMap<String, Repo>,
    /// Injected failures, applied in order.
    pub faults: Vec<Fault>,
    /// The text `/v1/messages` answers with.
    pub messages_reply: Option<String>,
    /// Replies chosen by the request: the first whose `contains` is in the request body wins
    /// over `messages_reply`.
    #[serde(default)]
    pub messages_replies: Vec<ReplyRule>,
    /// GitHub's secondary rate limit on content-creating requests, when set.
    #[serde(default)]
    pub secondary_limit: Option<SecondaryLimit>,
    /// Requests held until another like them arrives.
    #[serde(default)]
    pub barriers: Vec<Barrier>,
    /// Where relative log file paths are resolved (set from the scenario file's folder).
    #[serde(skip)]
    pub base_dir: Option<PathBuf>,
}

/// A secondary rate limit: more than `writes` content-creating requests (POST, PATCH, PUT,
/// DELETE under `/repos/`) within any `window_ms` are refused with a 403 whose message names
/// the limit, as GitHub's are; a refused request does not count and is not handled.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecondaryLimit {
    pub writes: usize,
    pub window_ms: u64,
    /// `Retry-After` seconds on the refusal; unset, none (the client must pick its pause).
    #[serde(default)]
    pub retry_after_secs: Option<u64>,
}

/// One repository.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Repo {
    /// Workflow file name → its runs.
    pub workflows: BTreeMap<String, Vec<Run>>,
    pub issues: Vec<Issue>,
    pub pulls: Vec<serde_json::Value>,
    /// PR number → its changed files.
    pub pull_files: BTreeMap<String, Vec<serde_json::Value>>,
    /// Ref or sha → check runs.
    pub check_runs: BTreeMap<String, Vec<serde_json::Value>>,
    /// Ref or sha → commit statuses.
    pub statuses: BTreeMap<String, Vec<serde_json::Value>>,
    /// Ref or sha → path → the file's text at that ref (`/contents/{path}?ref=`, raw).
    pub contents: BTreeMap<String, BTreeMap<String, String>>,
    /// PR number → its diff (`/pulls/{n}` with the diff media type).
    pub pull_diffs: BTreeMap<String, String>,
    /// The commit graph `/compare/{base}...{head}` walks.
    pub commits: Vec<Commit>,
    /// Branch name → the sha it points at (a compare side may name a branch).
    pub branches: BTreeMap<String, String>,
}

/// One commit of the graph: its sha and its parents' shas.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Commit {
    pub sha: String,
    #[serde(default)]
    pub parents: Vec<String>,
}

/// A workflow run with its jobs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Run {
    pub id: u64,
    #[serde(default = "default_event")]
    pub event: String,
    #[serde(default = "default_status")]
    pub status: String,
    #[serde(default)]
    pub conclusion: Option<String>,
    #[serde(default = "default_branch")]
    pub head_branch: String,
    #[serde(default)]
    pub head_sha: String,
    pub created_at: String,
    #[serde(default)]
    pub run_attempt: Option<u32>,
    #[serde(default)]
    pub jobs: Vec<Job>,
}

/// A job with its steps and log.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Job {
    pub id: u64,
    pub name: String,
    #[serde(default = "default_status")]
    pub status: String,
    #[serde(default)]
    pub conclusion: Option<String>,
    #[serde(default)]
    pub started_at: Option<String>,
    #[serde(default)]
    pub completed_at: Option<String>,
    #[serde(default)]
    pub steps: Vec<Step>,
    #[serde(default)]
    pub log: Option<Log>,
    /// The attempt of the run it belongs to; unset, the run's latest.
    #[serde(default)]
    pub run_attempt: Option<u32>,
}

impl Job {
    /// The attempt this job ran in.
    pub fn attempt(&self, run: &Run) -> u32 {
        self.run_attempt.or(run.run_attempt).unwrap_or(1)
    }
}

/// A step of a job.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub name: String,
    #[serde(default)]
    pub conclusion: Option<String>,
    /// The API's step number; by default the step's place in the list, from 1.
    #[serde(default)]
    pub number: Option<u32>,
    #[serde(default)]
    pub started_at: Option<String>,
    #[serde(default)]
    pub completed_at: Option<String>,
}

/// Where a job's log comes from.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum Log {
    /// The log text itself.
    Text(String),
    /// A file, relative to the scenario file.
    File(PathBuf),
    /// A synthetic GitHub Actions log of this many bytes, produced while streaming.
    Generate { bytes: u64, seed: u64 },
    /// GitHub no longer has it (410).
    Expired,
}

/// An issue as seeded.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Issue {
    pub number: u64,
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default = "default_open")]
    pub state: String,
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default)]
    pub user: Option<String>,
    /// Who closed a closed issue (GitHub's `closed_by`); unset, `null`.
    #[serde(default)]
    pub closed_by: Option<String>,
    /// The issue is a pull request's conversation (GitHub's issue view then carries a
    /// `pull_request` object).
    #[serde(default)]
    pub pull_request: bool,
    #[serde(default)]
    pub comments: Vec<Comment>,
}

/// A comment as seeded.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Comment {
    #[serde(default)]
    pub id: Option<u64>,
    pub user: String,
    pub body: String,
    /// RFC 3339; unset, when the scenario is loaded.
    #[serde(default)]
    pub created_at: Option<String>,
    /// RFC 3339; unset, the creation time.
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(default)]
    pub reactions: Vec<Reaction>,
}

/// A reaction as seeded on a comment.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reaction {
    pub user: String,
    pub content: String,
    /// RFC 3339; unset, when the scenario is loaded.
    #[serde(default)]
    pub created_at: Option<String>,
}

/// Holds the first request that matches until `parties` matching requests for the same path
/// have arrived (or `timeout_ms` passed), then lets them all through at once: two clients'
/// requests overlap for certain (a claim race between two watchers). Once per path.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Barrier {
    #[serde(default = "any")]
    pub method: String,
    /// A regex searched in the path (without the query).
    pub path: String,
    /// Only requests whose body contains this text.
    #[serde(default)]
    pub body_contains: Option<String>,
    #[serde(default = "two")]
    pub parties: usize,
    #[serde(default = "five_seconds")]
    pub timeout_ms: u64,
}

/// A canned `/v1/messages` reply for requests whose body contains a string.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReplyRule {
    pub contains: String,
    pub reply: String,
}

/// An injected failure: the next `times` requests matching `method` and `path` get this.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// HTTP method, or `*`.
    #[serde(default = "any")]
    pub method: String,
    /// A regex matched against the path with its query.
    pub path: String,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default = "one")]
    pub times: u32,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub body: Option<String>,
    /// Wait this long before answering (or before passing the request on, without `status`).
    #[serde(default)]
    pub delay_ms: u64,
    /// Close the connection without answering.
    #[serde(default)]
    pub drop_connection: bool,
    /// Handle the request first (a write takes effect), then answer with the fault: the
    /// answer GitHub lost after doing the work.
    #[serde(default)]
    pub after_handling: bool,
    /// Only requests whose body contains this text (e.g. one reaction's content).
    #[serde(default)]
    pub body_contains: Option<String>,
}

fn default_event() -> String {
    "schedule".into()
}
fn default_status() -> String {
    "completed".into()
}
fn default_branch() -> String {
    "main".into()
}
fn default_open() -> String {
    "open".into()
}
fn any() -> String {
    "*".into()
}
fn one() -> u32 {
    1
}
fn two() -> usize {
    2
}
fn five_seconds() -> u64 {
    5000
}

impl Scenario {
    /// Reads a scenario file; relative log paths resolve against its folder.
    pub fn from_file(path: &Path) -> anyhow::Result<Scenario> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read scenario {}: {e}", path.display()))?;
        let mut scenario: Scenario = serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("scenario {}: {e}", path.display()))?;
        scenario.base_dir = path.parent().map(Path::to_path_buf);
        Ok(scenario)
    }
}
