//! GitHub's objects as its REST API renders them: every field octocrab's models require is
//! present (checked by `tests/octocrab_models.rs`), so a client reading them through those
//! models, or through the bot's own smaller structs, sees what GitHub would send.
//!
//! Ids of things the scenario does not number (users, repositories, workflows, labels, check
//! runs, statuses) are derived from their names, so they stay the same for the whole run.

use std::hash::{Hash, Hasher};

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use serde_json::{json, Value};

use crate::model::{CommentState, IssueState, ReactionState};
use crate::scenario::{Job, Run};

/// An id for something known only by name: the same name gives the same id in one process,
/// different names (almost surely) different ids, and it looks like a GitHub id.
pub fn stable_id(kind: &str, name: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (kind, name).hash(&mut h);
    (h.finish() >> 34) + 1
}

/// A GraphQL node id; opaque to every client, so any unique string will do.
fn node_id(prefix: &str, id: u64) -> String {
    format!("{prefix}_fake{id}")
}

/// What a path segment must escape (label names have spaces, and may have `/` or `#`).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// `text` as one path segment.
fn segment(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

/// An account (octocrab's `Author`, the bot's `User`) of the given `type`.
pub fn account(base: &str, login: &str, kind: &str) -> Value {
    let id = stable_id("user", login);
    let api = format!("{base}/users/{login}");
    json!({
        "login": login,
        "id": id,
        "node_id": node_id("U", id),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{id}?v=4"),
        "gravatar_id": "",
        "url": api,
        "html_url": format!("https://github.com/{login}"),
        "followers_url": format!("{api}/followers"),
        "following_url": format!("{api}/following{{/other_user}}"),
        "gists_url": format!("{api}/gists{{/gist_id}}"),
        "starred_url": format!("{api}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{api}/subscriptions"),
        "organizations_url": format!("{api}/orgs"),
        "repos_url": format!("{api}/repos"),
        "events_url": format!("{api}/events{{/privacy}}"),
        "received_events_url": format!("{api}/received_events"),
        "type": kind,
        "site_admin": false,
    })
}

/// A user, as `/user` and every `user` field show it.
pub fn user(base: &str, login: &str) -> Value {
    // GitHub Apps act as `name[bot]` accounts of type Bot.
    let kind = if login.ends_with("[bot]") {
        "Bot"
    } else {
        "User"
    };
    account(base, login, kind)
}

/// A repository as runs and pull requests embed it.
pub fn repository(base: &str, full_name: &str) -> Value {
    let (owner, name) = full_name.split_once('/').unwrap_or(("", full_name));
    let id = stable_id("repo", full_name);
    let api = format!("{base}/repos/{full_name}");
    json!({
        "id": id,
        "node_id": node_id("R", id),
        "name": name,
        "full_name": full_name,
        "owner": account(base, owner, "Organization"),
        "private": false,
        "html_url": format!("https://github.com/{full_name}"),
        "description": null,
        "fork": false,
        "url": api,
        "issues_url": format!("{api}/issues{{/number}}"),
        "pulls_url": format!("{api}/pulls{{/number}}"),
        "default_branch": "main",
    })
}

/// A label on an issue.
pub fn label(base: &str, repo: &str, name: &str) -> Value {
    let id = stable_id("label", &format!("{repo}:{name}"));
    json!({
        "id": id,
        "node_id": node_id("LA", id),
        "url": format!("{base}/repos/{repo}/labels/{}", segment(name)),
        "name": name,
        "description": null,
        "color": "ededed",
        "default": false,
    })
}

/// An issue as GitHub renders it.
pub fn issue(base: &str, repo: &str, i: &IssueState) -> Value {
    let api = format!("{base}/repos/{repo}/issues/{}", i.number);
    let closed = i.state == "closed";
    let mut value = json!({
        "id": i.id,
        "node_id": node_id("I", i.id),
        "url": api,
        "repository_url": format!("{base}/repos/{repo}"),
        "labels_url": format!("{api}/labels{{/name}}"),
        "comments_url": format!("{api}/comments"),
        "events_url": format!("{api}/events"),
        "html_url": format!("https://github.com/{repo}/issues/{}", i.number),
        "number": i.number,
        "state": i.state,
        "state_reason": if closed { json!("completed") } else { Value::Null },
        "title": i.title,
        "body": i.body,
        "user": user(base, &i.user),
        "labels": i.labels.iter().map(|l| label(base, repo, l)).collect::<Vec<_>>(),
        "assignee": null,
        "assignees": [],
        "milestone": null,
        "locked": false,
        "active_lock_reason": null,
        "comments": i.comments.len(),
        "author_association": "MEMBER",
        "closed_at": if closed { json!(i.updated_at) } else { Value::Null },
        "closed_by": match &i.closed_by {
            Some(login) if closed => user(base, login),
            _ => Value::Null,
        },
        "created_at": i.created_at,
        "updated_at": i.updated_at,
    });
    if i.pull_request {
        value["pull_request"] = json!({
            "url": format!("{base}/repos/{repo}/pulls/{}", i.number),
            "html_url": format!("https://github.com/{repo}/pull/{}", i.number),
            "diff_url": format!("https://github.com/{repo}/pull/{}.diff", i.number),
            "patch_url": format!("https://github.com/{repo}/pull/{}.patch", i.number),
        });
    }
    value
}

/// A comment as GitHub renders it.
pub fn comment(base: &str, repo: &str, number: u64, c: &CommentState) -> Value {
    json!({
        "id": c.id,
        "node_id": node_id("IC", c.id),
        "url": format!("{base}/repos/{repo}/issues/comments/{}", c.id),
        "html_url": format!("https://github.com/{repo}/issues/{number}#issuecomment-{}", c.id),
        "issue_url": format!("{base}/repos/{repo}/issues/{number}"),
        "body": c.body,
        "user": user(base, &c.user),
        "author_association": "MEMBER",
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    })
}

/// A reaction on a comment.
pub fn reaction(base: &str, r: &ReactionState) -> Value {
    json!({
        "id": r.id,
        "node_id": node_id("REA", r.id),
        "user": user(base, &r.user),
        "content": r.content,
        "created_at": r.created_at,
    })
}

/// A workflow run as GitHub renders it (`name` is the workflow file: scenarios name no
/// workflow otherwise).
pub fn run(base: &str, repo: &str, wf: &str, r: &Run) -> Value {
    let api = format!("{base}/repos/{repo}/actions/runs/{}", r.id);
    let workflow_id = stable_id("workflow", &format!("{repo}/{wf}"));
    json!({
        "id": r.id,
        "name": wf,
        "node_id": node_id("WFR", r.id),
        "workflow_id": workflow_id,
        "path": format!(".github/workflows/{wf}"),
        "display_title": wf,
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
        "url": api,
        "html_url": format!("https://github.com/{repo}/actions/runs/{}", r.id),
        "jobs_url": format!("{api}/jobs"),
        "logs_url": format!("{api}/logs"),
        "check_suite_url": format!("{base}/repos/{repo}/check-suites/{}", stable_id("check-suite", &r.id.to_string())),
        "artifacts_url": format!("{api}/artifacts"),
        "cancel_url": format!("{api}/cancel"),
        "rerun_url": format!("{api}/rerun"),
        "previous_attempt_url": null,
        "workflow_url": format!("{base}/repos/{repo}/actions/workflows/{workflow_id}"),
        "pull_requests": [],
        "head_commit": {
            "id": r.head_sha,
            "tree_id": r.head_sha,
            "message": "scenario commit",
            "timestamp": r.created_at,
            "author": {"name": "sglang developer", "email": "dev@example.com"},
            "committer": {"name": "GitHub", "email": "noreply@github.com"},
        },
        "repository": repository(base, repo),
        "head_repository": repository(base, repo),
    })
}

/// A job as GitHub renders it. A job the scenario gives no start time to shows its run's
/// creation time, as GitHub does for a job still queued.
pub fn job(base: &str, repo: &str, wf: &str, run: &Run, j: &Job) -> Value {
    let started_at = j
        .started_at
        .clone()
        .unwrap_or_else(|| run.created_at.clone());
    json!({
        "id": j.id,
        "run_id": run.id,
        "workflow_name": wf,
        "head_branch": run.head_branch,
        "run_url": format!("{base}/repos/{repo}/actions/runs/{}", run.id),
        "run_attempt": j.attempt(run),
        "node_id": node_id("CR", j.id),
        "head_sha": run.head_sha,
        "url": format!("{base}/repos/{repo}/actions/jobs/{}", j.id),
        "html_url": format!("https://github.com/{repo}/actions/runs/{}/job/{}", run.id, j.id),
        "status": j.status,
        "conclusion": j.conclusion,
        "created_at": run.created_at,
        "started_at": started_at,
        "completed_at": j.completed_at,
        "name": j.name,
        "steps": j.steps.iter().enumerate().map(|(n, s)| json!({
            "name": s.name, "status": "completed", "conclusion": s.conclusion,
            "number": s.number.unwrap_or(n as u32 + 1),
            "started_at": s.started_at, "completed_at": s.completed_at,
        })).collect::<Vec<_>>(),
        "check_run_url": format!("{base}/repos/{repo}/check-runs/{}", j.id),
        "labels": ["linux-mi325-gpu-1"],
        "runner_id": 1,
        "runner_name": "fake-runner",
        "runner_group_id": 1,
        "runner_group_name": "Default",
    })
}

/// `seed` laid over `defaults`: objects merge key by key, anything else replaces.
fn overlay(mut defaults: Value, seed: &Value) -> Value {
    match (&mut defaults, seed) {
        (Value::Object(d), Value::Object(s)) => {
            for (k, v) in s {
                let merged = overlay(d.remove(k).unwrap_or(Value::Null), v);
                d.insert(k.clone(), merged);
            }
            defaults
        }
        _ => seed.clone(),
    }
}

/// A pull request: what the scenario gives, completed with GitHub's other fields.
/// `created` stands for the times the scenario does not give.
pub fn pull(base: &str, repo: &str, created: &str, seed: &Value) -> Value {
    let number = seed["number"].as_u64().unwrap_or(0);
    let api = format!("{base}/repos/{repo}/pulls/{number}");
    let html = format!("https://github.com/{repo}/pull/{number}");
    let issue_api = format!("{base}/repos/{repo}/issues/{number}");
    let author = seed["user"]["login"].as_str().unwrap_or("contributor");
    let owner = repo.split_once('/').map_or(repo, |(o, _)| o);
    let side = |key: &str, default_ref: &str| {
        let branch = seed[key]["ref"].as_str().unwrap_or(default_ref);
        json!({
            "label": format!("{owner}:{branch}"),
            "ref": branch,
            "sha": "",
            "user": account(base, owner, "Organization"),
            "repo": repository(base, repo),
        })
    };
    let head_sha = seed["head"]["sha"].as_str().unwrap_or("");
    let id = stable_id("pull", &format!("{repo}#{number}"));
    let defaults = json!({
        "id": id,
        "node_id": node_id("PR", id),
        "number": number,
        "url": api,
        "html_url": html,
        "diff_url": format!("{html}.diff"),
        "patch_url": format!("{html}.patch"),
        "issue_url": issue_api,
        "commits_url": format!("{api}/commits"),
        "review_comments_url": format!("{api}/comments"),
        "review_comment_url": format!("{base}/repos/{repo}/pulls/comments{{/number}}"),
        "comments_url": format!("{issue_api}/comments"),
        "statuses_url": format!("{base}/repos/{repo}/statuses/{head_sha}"),
    });
    // Two literals: one would pass `json!`'s recursion limit.
    let fields = json!({
        "state": "open",
        "locked": false,
        "title": "",
        "user": user(base, author),
        "body": null,
        "labels": [],
        "milestone": null,
        "active_lock_reason": null,
        "created_at": created,
        "updated_at": created,
        "closed_at": null,
        "merged_at": null,
        "merge_commit_sha": null,
        "assignee": null,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "head": side("head", "feature"),
        "base": side("base", "main"),
        "author_association": "CONTRIBUTOR",
        "auto_merge": null,
        "draft": false,
        "merged": false,
        "mergeable": null,
        "rebaseable": null,
        "mergeable_state": "unknown",
        "merged_by": null,
        "comments": 0,
        "review_comments": 0,
        "maintainer_can_modify": false,
        "commits": 1,
        "additions": 0,
        "deletions": 0,
        "changed_files": 0,
    });
    let defaults = overlay(defaults, &fields);
    let mut seed = seed.clone();
    // A label given by name, as scenarios write them, becomes GitHub's label object.
    if let Some(labels) = seed.get_mut("labels").and_then(Value::as_array_mut) {
        for l in labels.iter_mut() {
            if let Some(name) = l.as_str() {
                *l = label(base, repo, name);
            }
        }
    }
    overlay(defaults, &seed)
}

/// A changed file of a pull request, completed like [`pull`].
pub fn pull_file(base: &str, repo: &str, seed: &Value) -> Value {
    let filename = seed["filename"].as_str().unwrap_or("");
    let sha = format!("{:040x}", stable_id("blob", &format!("{repo}/{filename}")));
    let additions = seed["additions"].as_u64().unwrap_or(0);
    let deletions = seed["deletions"].as_u64().unwrap_or(0);
    let defaults = json!({
        "sha": sha,
        "filename": filename,
        "status": "modified",
        "additions": additions,
        "deletions": deletions,
        "changes": additions + deletions,
        "blob_url": format!("https://github.com/{repo}/blob/{sha}/{filename}"),
        "raw_url": format!("https://github.com/{repo}/raw/{sha}/{filename}"),
        "contents_url": format!("{base}/repos/{repo}/contents/{filename}?ref={sha}"),
        "patch": null,
    });
    overlay(defaults, seed)
}

/// A check run on `sha`, completed like [`pull`].
pub fn check_run(base: &str, repo: &str, sha: &str, seed: &Value) -> Value {
    let name = seed["name"].as_str().unwrap_or("check");
    let id = seed["id"]
        .as_u64()
        .unwrap_or_else(|| stable_id("check-run", &format!("{repo}/{sha}/{name}")));
    let url = format!("{base}/repos/{repo}/check-runs/{id}");
    let html = format!("https://github.com/{repo}/runs/{id}");
    let defaults = json!({
        "id": id,
        "node_id": node_id("CR", id),
        "head_sha": sha,
        "external_id": "",
        "url": url,
        "html_url": html,
        "details_url": html,
        "status": "completed",
        "conclusion": null,
        "started_at": null,
        "completed_at": null,
        "output": {
            "title": null,
            "summary": null,
            "text": null,
            "annotations_count": 0,
            "annotations_url": format!("{url}/annotations"),
        },
        "name": name,
        "pull_requests": [],
        "app": {"id": 15368, "slug": "github-actions", "name": "GitHub Actions"},
    });
    overlay(defaults, seed)
}

/// A commit status on `sha` set by `creator`, completed like [`pull`].
pub fn status(
    base: &str,
    repo: &str,
    sha: &str,
    (creator, created): (&str, &str),
    seed: &Value,
) -> Value {
    let context = seed["context"].as_str().unwrap_or("default");
    let id = stable_id("status", &format!("{repo}/{sha}/{context}"));
    let defaults = json!({
        "url": format!("{base}/repos/{repo}/statuses/{sha}"),
        "avatar_url": null,
        "id": id,
        "node_id": node_id("SC", id),
        "state": "pending",
        "description": null,
        "target_url": null,
        "context": context,
        "created_at": created,
        "updated_at": created,
        "creator": user(base, creator),
    });
    overlay(defaults, seed)
}

/// The combined status of a ref: failure if any status failed or errored, pending if any is
/// pending or there are none, success otherwise (GitHub's rule).
pub fn combined_status(base: &str, repo: &str, sha: &str, statuses: Vec<Value>) -> Value {
    let states: Vec<&str> = statuses
        .iter()
        .map(|s| s["state"].as_str().unwrap_or("pending"))
        .collect();
    let state = if states.iter().any(|s| matches!(*s, "failure" | "error")) {
        "failure"
    } else if states.is_empty() || states.contains(&"pending") {
        "pending"
    } else {
        "success"
    };
    json!({
        "state": state,
        "sha": sha,
        "total_count": statuses.len(),
        "statuses": statuses,
        "repository": repository(base, repo),
        "commit_url": format!("{base}/repos/{repo}/commits/{sha}"),
        "url": format!("{base}/repos/{repo}/commits/{sha}/status"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_overrides_defaults_key_by_key_and_keeps_the_rest() {
        let merged = overlay(
            json!({"head": {"ref": "main", "sha": ""}, "title": "", "n": 1}),
            &json!({"head": {"sha": "abc"}, "title": "Fix"}),
        );
        assert_eq!(
            merged,
            json!({"head": {"ref": "main", "sha": "abc"}, "title": "Fix", "n": 1})
        );
    }

    #[test]
    fn a_label_url_escapes_what_a_path_segment_cannot_hold() {
        let l = label("http://h", "o/r", "needs triage/amd #1");
        assert_eq!(
            l["url"],
            "http://h/repos/o/r/labels/needs%20triage%2Famd%20%231"
        );
        assert_eq!(l["name"], "needs triage/amd #1");
    }

    #[test]
    fn names_give_stable_distinct_ids() {
        assert_eq!(stable_id("user", "amd-bot"), stable_id("user", "amd-bot"));
        assert_ne!(stable_id("user", "amd-bot"), stable_id("user", "mallory"));
        assert_ne!(stable_id("user", "x"), stable_id("label", "x"));
    }
}
