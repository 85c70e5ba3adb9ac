//! The fake's state: what the scenario seeded plus everything written since.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

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

/// A comment on an issue.
#[derive(Debug, Clone)]
pub struct CommentState {
    pub id: u64,
    pub user: String,
    pub body: String,
    pub created_at: String,
    pub updated_at: String,
    pub reactions: Vec<(u64, String, String)>,
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
}

/// A repository's live state.
#[derive(Debug, Clone, Default)]
pub struct RepoState {
    /// (workflow file, run), in scenario order.
    pub runs: Vec<(String, Run)>,
    pub issues: Vec<IssueState>,
    pub seed: Repo,
}

/// Everything the fake knows.
#[derive(Debug)]
pub struct World {
    pub default_login: String,
    pub tokens: BTreeMap<String, String>,
    pub search_lag: Duration,
    pub repos: BTreeMap<String, RepoState>,
    pub faults: Vec<(Fault, u32)>,
    pub messages_reply: String,
    pub messages_replies: Vec<crate::scenario::ReplyRule>,
    pub messages: Vec<Value>,
    pub requests: Vec<RequestRecord>,
    pub next_id: u64,
    pub rate_remaining: u64,
    pub base_dir: Option<PathBuf>,
}

/// GitHub's timestamp format.
pub fn now_iso() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl World {
    /// The state a scenario describes.
    pub fn new(scenario: Scenario) -> World {
        let mut world = World {
            default_login: scenario
                .bot_login
                .clone()
                .unwrap_or_else(|| "amd-bot".into()),
            tokens: BTreeMap::new(),
            search_lag: Duration::ZERO,
            repos: BTreeMap::new(),
            faults: Vec::new(),
            messages_reply: String::new(),
            messages_replies: Vec::new(),
            messages: Vec::new(),
            requests: Vec::new(),
            next_id: 1_000_000,
            rate_remaining: 5000,
            base_dir: None,
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
        if scenario.search_lag_ms > 0 {
            self.search_lag = Duration::from_millis(scenario.search_lag_ms);
        }
        if let Some(reply) = scenario.messages_reply {
            self.messages_reply = reply;
        }
        self.messages_replies.extend(scenario.messages_replies);
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
                    .map(|c| CommentState {
                        id: c.id.unwrap_or_else(|| self.fresh_id()),
                        user: c.user.clone(),
                        body: c.body.clone(),
                        created_at: now.clone(),
                        updated_at: now.clone(),
                        reactions: Vec::new(),
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
            state.seed.pulls.extend(repo.pulls);
            state.seed.pull_files.extend(repo.pull_files);
            state.seed.check_runs.extend(repo.check_runs);
            state.seed.statuses.extend(repo.statuses);
        }
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
                        let mut v = issue_json(base, name, i);
                        v["comments_list"] = Value::Array(
                            i.comments
                                .iter()
                                .map(|c| comment_json(base, name, i.number, c))
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

/// An issue as GitHub renders it.
pub fn issue_json(base: &str, repo: &str, i: &IssueState) -> Value {
    json!({
        "id": i.id,
        "number": i.number,
        "title": i.title,
        "body": i.body,
        "state": i.state,
        "labels": i.labels.iter().map(|l| json!({"name": l})).collect::<Vec<_>>(),
        "user": {"login": i.user, "id": 1, "type": "User"},
        "comments": i.comments.len(),
        "created_at": i.created_at,
        "updated_at": i.updated_at,
        "html_url": format!("https://github.com/{repo}/issues/{}", i.number),
        "url": format!("{base}/repos/{repo}/issues/{}", i.number),
    })
}

/// A comment as GitHub renders it.
pub fn comment_json(base: &str, repo: &str, number: u64, c: &CommentState) -> Value {
    json!({
        "id": c.id,
        "body": c.body,
        "user": {"login": c.user, "id": 1, "type": "User"},
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "author_association": "MEMBER",
        "html_url": format!("https://github.com/{repo}/issues/{number}#issuecomment-{}", c.id),
        "url": format!("{base}/repos/{repo}/issues/comments/{}", c.id),
    })
}

/// A run as GitHub renders it.
pub fn run_json(repo: &str, wf: &str, r: &Run) -> Value {
    json!({
        "id": r.id,
        "name": wf,
        "path": format!(".github/workflows/{wf}"),
        "event": r.event,
        "status": r.status,
        "conclusion": r.conclusion,
        "head_branch": r.head_branch,
        "head_sha": r.head_sha,
        "created_at": r.created_at,
        "updated_at": r.created_at,
        "run_started_at": r.created_at,
        "run_attempt": r.run_attempt.unwrap_or(1),
        "run_number": r.id % 10_000,
        "html_url": format!("https://github.com/{repo}/actions/runs/{}", r.id),
    })
}

/// A job as GitHub renders it.
pub fn job_json(repo: &str, run: &Run, j: &crate::scenario::Job) -> Value {
    json!({
        "id": j.id,
        "run_id": run.id,
        "name": j.name,
        "status": j.status,
        "conclusion": j.conclusion,
        "started_at": j.started_at,
        "completed_at": j.completed_at,
        "head_sha": run.head_sha,
        "html_url": format!("https://github.com/{repo}/actions/runs/{}/job/{}", run.id, j.id),
        "labels": ["linux-mi325-gpu-1"],
        "runner_name": "fake-runner",
        "steps": j.steps.iter().enumerate().map(|(n, s)| json!({
            "name": s.name, "status": "completed", "conclusion": s.conclusion, "number": n + 1,
        })).collect::<Vec<_>>(),
    })
}

/// Whether a job's log has expired.
pub fn log_expired(log: Option<&Log>) -> bool {
    matches!(log, Some(Log::Expired))
}
