//! The fake's state: what the scenario seeded plus everything written since.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::objects;
use crate::scenario::{Fault, Log, Repo, Run, Scenario};

/// One request as the fake saw it (for `/_fake/requests` and test assertions).
#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
pub struct RequestRecord {
    pub method: String,
    /// Path with query.
    pub path: String,
    pub status: u16,
    pub authorization: bool,
    pub body_bytes: usize,
}

impl RequestRecord {
    /// Whether it asked GitHub to change something: the requests a test must declare. The
    /// gateway's `/v1/messages` POST is a question, not a change.
    pub fn is_write(&self) -> bool {
        matches!(self.method.as_str(), "POST" | "PATCH" | "PUT" | "DELETE")
            && self.path != "/v1/messages"
    }
}

impl std::fmt::Display for RequestRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} -> {}", self.method, self.path, self.status)
    }
}

/// A reaction on a comment.
#[derive(Debug, Clone)]
pub struct ReactionState {
    pub id: u64,
    pub user: String,
    pub content: String,
    pub created_at: String,
}

/// A comment on an issue.
#[derive(Debug, Clone)]
pub struct CommentState {
    pub id: u64,
    pub user: String,
    pub body: String,
    pub created_at: String,
    pub updated_at: String,
    pub reactions: Vec<ReactionState>,
}

/// An issue.
#[derive(Debug, Clone)]
pub struct IssueState {
    pub number: u64,
    pub id: u64,
    pub title: String,
    pub body: String,
    pub state: String,
    pub labels: Vec<String>,
    pub user: String,
    pub created_at: String,
    pub updated_at: String,
    /// Search sees this issue (as it is now) only from this moment on.
    pub searchable_from: Instant,
    pub comments: Vec<CommentState>,
    /// Who closed it (`null` while open, or when the scenario does not say).
    pub closed_by: Option<String>,
    /// A pull request's conversation.
    pub pull_request: bool,
}

/// A repository's live state.
#[derive(Debug, Clone, Default)]
pub struct RepoState {
    /// (workflow file, run), in scenario order.
    pub runs: Vec<(String, Run)>,
    pub issues: Vec<IssueState>,
    pub seed: Repo,
    /// `repository_dispatch` events received (`{event_type, client_payload}`), in order.
    pub dispatches: Vec<Value>,
}

/// Everything the fake knows.
#[derive(Debug)]
pub struct World {
    pub default_login: String,
    pub tokens: BTreeMap<String, String>,
    pub search_lag: Duration,
    /// Added to every API answer (admin requests excluded): GitHub answers in ~100 ms, and a
    /// benchmark against an instant fake would hide what overlapping requests buys.
    pub latency: Duration,
    pub repos: BTreeMap<String, RepoState>,
    pub faults: Vec<(Fault, u32)>,
    pub messages_reply: String,
    pub messages_replies: Vec<crate::scenario::ReplyRule>,
    pub messages: Vec<Value>,
    /// Every request since the last reset (admin requests excluded).
    pub requests: Vec<RequestRecord>,
    /// Every write since start, never reset: what the declared writes are checked against.
    pub write_log: Vec<RequestRecord>,
    /// The writes the test declared (see [`crate::ExpectedWrite`]).
    pub expected_writes: Vec<crate::ExpectedWrite>,
    pub next_id: u64,
    pub rate_remaining: u64,
    pub base_dir: Option<PathBuf>,
    /// When the fake started: the creation time of seeded objects that carry none.
    pub started: String,
    /// The secondary rate limit, and when the writes it counts were accepted.
    pub secondary_limit: Option<crate::scenario::SecondaryLimit>,
    pub secondary_window: std::collections::VecDeque<std::time::Instant>,
    pub barriers: Vec<crate::scenario::Barrier>,
    /// Per barrier and path: the requests waiting, or `None` once released.
    pub barrier_waits: BTreeMap<(usize, String), Option<Vec<tokio::sync::oneshot::Sender<()>>>>,
}

/// GitHub's timestamp format.
pub fn now_iso() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl World {
    /// Whether a content-creating request is refused by the secondary limit now; an accepted
    /// one is counted in the window.
    pub fn secondary_limit_refuses(&mut self, method: &str, path: &str) -> Option<u64> {
        let limit = self.secondary_limit.clone()?;
        let writes = ["POST", "PATCH", "PUT", "DELETE"].contains(&method);
        if !writes || !path.starts_with("/repos/") {
            return None;
        }
        let now = std::time::Instant::now();
        let window = Duration::from_millis(limit.window_ms);
        while self
            .secondary_window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            self.secondary_window.pop_front();
        }
        if self.secondary_window.len() >= limit.writes {
            return Some(limit.retry_after_secs.unwrap_or(0));
        }
        self.secondary_window.push_back(now);
        None
    }

    /// The state a scenario describes.
    pub fn new(scenario: Scenario) -> World {
        let mut world = World {
            default_login: scenario
                .bot_login
                .clone()
                .unwrap_or_else(|| "amd-bot".into()),
            tokens: BTreeMap::new(),
            search_lag: Duration::ZERO,
            latency: Duration::ZERO,
            repos: BTreeMap::new(),
            faults: Vec::new(),
            messages_reply: String::new(),
            messages_replies: Vec::new(),
            messages: Vec::new(),
            requests: Vec::new(),
            write_log: Vec::new(),
            expected_writes: Vec::new(),
            next_id: 1_000_000,
            rate_remaining: 5000,
            base_dir: None,
            started: now_iso(),
            secondary_limit: None,
            secondary_window: std::collections::VecDeque::new(),
            barriers: Vec::new(),
            barrier_waits: BTreeMap::new(),
        };
        world.merge(scenario);
        world
    }

    /// Adds a scenario's content (runs, issues, faults …) to the running state.
    pub fn merge(&mut self, scenario: Scenario) {
        if let Some(login) = scenario.bot_login {
            self.default_login = login;
        }
        self.tokens.extend(scenario.tokens);
        if scenario.secondary_limit.is_some() {
            self.secondary_limit = scenario.secondary_limit;
        }
        if scenario.search_lag_ms > 0 {
            self.search_lag = Duration::from_millis(scenario.search_lag_ms);
        }
        if let Some(reply) = scenario.messages_reply {
            self.messages_reply = reply;
        }
        self.messages_replies.extend(scenario.messages_replies);
        self.barriers.extend(scenario.barriers);
        if scenario.base_dir.is_some() {
            self.base_dir = scenario.base_dir;
        }
        self.faults.extend(scenario.faults.into_iter().map(|f| {
            let times = f.times;
            (f, times)
        }));
        for (name, repo) in scenario.repos {
            let now = now_iso();
            let mut issues = Vec::new();
            for issue in &repo.issues {
                let comments = issue
                    .comments
                    .iter()
                    .map(|c| {
                        let created_at = c.created_at.clone().unwrap_or_else(|| now.clone());
                        CommentState {
                            id: c.id.unwrap_or_else(|| self.fresh_id()),
                            user: c.user.clone(),
                            body: c.body.clone(),
                            updated_at: c.updated_at.clone().unwrap_or_else(|| created_at.clone()),
                            created_at,
                            reactions: c
                                .reactions
                                .iter()
                                .map(|r| ReactionState {
                                    id: self.fresh_id(),
                                    user: r.user.clone(),
                                    content: r.content.clone(),
                                    created_at: r.created_at.clone().unwrap_or_else(|| now.clone()),
                                })
                                .collect(),
                        }
                    })
                    .collect();
                issues.push(IssueState {
                    number: issue.number,
                    id: self.fresh_id(),
                    title: issue.title.clone(),
                    body: issue.body.clone(),
                    state: issue.state.clone(),
                    labels: issue.labels.clone(),
                    user: issue
                        .user
                        .clone()
                        .unwrap_or_else(|| self.default_login.clone()),
                    created_at: now.clone(),
                    updated_at: now.clone(),
                    searchable_from: Instant::now(),
                    comments,
                    closed_by: issue.closed_by.clone(),
                    pull_request: issue.pull_request,
                });
            }
            let state = self.repos.entry(name).or_default();
            for (wf, runs) in &repo.workflows {
                for run in runs {
                    state.runs.retain(|(_, r)| r.id != run.id);
                    state.runs.push((wf.clone(), run.clone()));
                }
            }
            state.issues.extend(issues);
            // A pull request given again replaces the one of its number (a push moved its head).
            let number =
                |p: &serde_json::Value| p.get("number").and_then(serde_json::Value::as_u64);
            state
                .seed
                .pulls
                .retain(|old| !repo.pulls.iter().any(|new| number(new) == number(old)));
            state.seed.pulls.extend(repo.pulls);
            state.seed.pull_files.extend(repo.pull_files);
            state.seed.check_runs.extend(repo.check_runs);
            state.seed.statuses.extend(repo.statuses);
            state.seed.contents.extend(repo.contents);
            state.seed.pull_diffs.extend(repo.pull_diffs);
            state.seed.commits.extend(repo.commits);
            state.seed.branches.extend(repo.branches);
        }
    }

    /// Keeps a request in the log (and a write in the write log too).
    pub fn record(&mut self, record: RequestRecord) {
        if record.is_write() {
            self.write_log.push(record.clone());
        }
        self.requests.push(record);
    }

    /// The writes no declaration covers, in order.
    pub fn unexpected_writes(&self) -> Vec<RequestRecord> {
        self.write_log
            .iter()
            .filter(|r| !self.expected_writes.iter().any(|e| e.matches(r)))
            .cloned()
            .collect()
    }

    /// A new id for a comment, issue or reaction.
    pub fn fresh_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// The login a token belongs to.
    pub fn login_of(&self, token: Option<&str>) -> String {
        token
            .and_then(|t| self.tokens.get(t).cloned())
            .unwrap_or_else(|| self.default_login.clone())
    }

    /// Where a request stands at the barriers: `None` to go on now, or a receiver that fires
    /// when enough requests like it arrived (a sender dropped at release fires it too).
    pub fn barrier(
        &mut self,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Option<(tokio::sync::oneshot::Receiver<()>, Duration)> {
        let body = String::from_utf8_lossy(body);
        let (index, barrier) = self.barriers.iter().enumerate().find(|(_, b)| {
            (b.method == "*" || b.method.eq_ignore_ascii_case(method))
                && regex::Regex::new(&b.path).is_ok_and(|re| re.is_match(path))
                && b.body_contains
                    .as_ref()
                    .is_none_or(|t| body.contains(t.as_str()))
        })?;
        let parties = barrier.parties;
        let timeout = Duration::from_millis(barrier.timeout_ms);
        let waits = self
            .barrier_waits
            .entry((index, path.to_string()))
            .or_insert_with(|| Some(Vec::new()));
        let waiting = waits.as_mut()?;
        if waiting.len() + 1 >= parties {
            // The last party releases the others (dropping their senders wakes them).
            *waits = None;
            return None;
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        waiting.push(tx);
        Some((rx, timeout))
    }

    /// A job by id, with its run and workflow file.
    pub fn job(&self, repo: &str, job_id: u64) -> Option<(&str, &Run, &crate::scenario::Job)> {
        self.repos.get(repo)?.runs.iter().find_map(|(wf, run)| {
            run.jobs
                .iter()
                .find(|j| j.id == job_id)
                .map(|j| (wf.as_str(), run, j))
        })
    }

    /// The whole state as JSON, for `/_fake/state`.
    pub fn snapshot(&self, base: &str) -> Value {
        let repos: serde_json::Map<String, Value> = self
            .repos
            .iter()
            .map(|(name, repo)| {
                let issues: Vec<Value> = repo
                    .issues
                    .iter()
                    .map(|i| {
                        let mut v = objects::issue(base, name, i);
                        v["comments_list"] = Value::Array(
                            i.comments
                                .iter()
                                .map(|c| objects::comment(base, name, i.number, c))
                                .collect(),
                        );
                        v
                    })
                    .collect();
                (
                    name.clone(),
                    json!({ "issues": issues, "runs": repo.runs.len() }),
                )
            })
            .collect();
        json!({ "repos": repos, "messages": self.messages, "requests": self.requests.len() })
    }
}

/// Whether a job's log has expired.
pub fn log_expired(log: Option<&Log>) -> bool {
    matches!(log, Some(Log::Expired))
}
