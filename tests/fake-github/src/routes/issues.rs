//! Issues and their comments, and the issue search (eventually consistent, as GitHub's is).

use std::time::Instant;

use hyper::{Method, StatusCode};
use regex::Regex;
use serde_json::Value;

use super::{not_found, too_long, Answer, Call};
use crate::model::{now_iso, CommentState, IssueState};
use crate::objects;

/// `/repos/{repo}/issues…` (reactions aside).
pub(crate) fn route(call: &Call<'_>, repo: &str, seg: &[&str]) -> Answer {
    let method = call.method;
    match seg {
        ["issues"] if *method == Method::GET => list(call, repo),
        ["issues"] if *method == Method::POST => create(call, repo),
        ["issues", "comments"] if *method == Method::GET => list_repo_comments(call, repo),
        ["issues", n] if *method == Method::GET || *method == Method::PATCH => {
            get_or_edit(call, repo, n)
        }
        ["issues", n, "comments"] if *method == Method::GET => list_comments(call, repo, n),
        ["issues", n, "comments"] if *method == Method::POST => create_comment(call, repo, n),
        ["issues", "comments", id] => comment(call, repo, id),
        _ => not_found(),
    }
}

fn list(call: &Call<'_>, repo: &str) -> Answer {
    let w = call.world.lock().expect("world lock");
    let Some(state) = w.repos.get(repo) else {
        return not_found();
    };
    let q = call.query;
    let wanted = q.get("state").map_or("open", String::as_str);
    let labels: Vec<&str> = q
        .get("labels")
        .map(|l| l.split(',').collect())
        .unwrap_or_default();
    let mut issues: Vec<&IssueState> = state
        .issues
        .iter()
        .filter(|i| wanted == "all" || i.state == wanted)
        .filter(|i| labels.iter().all(|l| i.labels.iter().any(|x| x == l)))
        .filter(|i| q.get("creator").is_none_or(|c| &i.user == c))
        // Updated at or after `since` (both RFC 3339 in UTC, so text order is time order).
        .filter(|i| {
            q.get("since")
                .is_none_or(|t| i.updated_at.as_str() >= t.as_str())
        })
        .collect();
    issues.sort_by_key(|i| std::cmp::Reverse(i.number));
    Answer::Page(
        issues
            .into_iter()
            .map(|i| objects::issue(call.base, repo, i))
            .collect(),
        None,
    )
}

/// `GET /repos/{repo}/issues/comments`: every issue and PR comment of the repository,
/// `since` (updated at or after), sorted by `created` (default) or `updated`, `asc`
/// (default) or `desc`, ties by id.
fn list_repo_comments(call: &Call<'_>, repo: &str) -> Answer {
    let w = call.world.lock().expect("world lock");
    let Some(state) = w.repos.get(repo) else {
        return not_found();
    };
    let q = call.query;
    let by_updated = q.get("sort").is_some_and(|s| s == "updated");
    let mut comments: Vec<(String, u64, Value)> = state
        .issues
        .iter()
        .flat_map(|i| i.comments.iter().map(move |c| (i.number, c)))
        .filter(|(_, c)| {
            q.get("since")
                .is_none_or(|t| c.updated_at.as_str() >= t.as_str())
        })
        .map(|(number, c)| {
            let key = if by_updated {
                &c.updated_at
            } else {
                &c.created_at
            };
            (
                key.clone(),
                c.id,
                objects::comment(call.base, repo, number, c),
            )
        })
        .collect();
    comments.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    if q.get("direction").is_some_and(|d| d == "desc") {
        comments.reverse();
    }
    Answer::Page(comments.into_iter().map(|(_, _, v)| v).collect(), None)
}

fn create(call: &Call<'_>, repo: &str) -> Answer {
    if let Some(err) = too_long(&call.body) {
        return err;
    }
    let Some(title) = call.body_str("title") else {
        return Answer::Status(StatusCode::UNPROCESSABLE_ENTITY, "Validation Failed: title");
    };
    let mut w = call.world.lock().expect("world lock");
    let login = w.login_of(call.token);
    let search_lag = w.search_lag;
    let id = w.fresh_id();
    let Some(state) = w.repos.get_mut(repo) else {
        return not_found();
    };
    let number = state.issues.iter().map(|i| i.number).max().unwrap_or(0) + 1;
    let now = now_iso();
    let issue = IssueState {
        number,
        id,
        title: title.to_string(),
        body: call.body_str("body").unwrap_or("").to_string(),
        state: "open".into(),
        labels: call
            .body
            .get("labels")
            .and_then(Value::as_array)
            .map(|ls| {
                ls.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        user: login,
        created_at: now.clone(),
        updated_at: now,
        searchable_from: Instant::now() + search_lag,
        comments: Vec::new(),
        closed_by: None,
        pull_request: false,
    };
    let value = objects::issue(call.base, repo, &issue);
    state.issues.push(issue);
    Answer::Json(StatusCode::CREATED, value)
}

fn get_or_edit(call: &Call<'_>, repo: &str, n: &str) -> Answer {
    let mut w = call.world.lock().expect("world lock");
    let search_lag = w.search_lag;
    let login = w.login_of(call.token);
    let Some(issue) = w
        .repos
        .get_mut(repo)
        .and_then(|s| s.issues.iter_mut().find(|i| i.number.to_string() == n))
    else {
        return not_found();
    };
    if *call.method == Method::PATCH {
        if let Some(err) = too_long(&call.body) {
            return err;
        }
        if let Some(t) = call.body_str("title") {
            issue.title = t.to_string();
        }
        if let Some(b) = call.body_str("body") {
            issue.body = b.to_string();
        }
        if let Some(s) = call.body_str("state") {
            if s != issue.state {
                issue.closed_by = (s == "closed").then(|| login.clone());
            }
            issue.state = s.to_string();
        }
        issue.updated_at = now_iso();
        issue.searchable_from = Instant::now() + search_lag;
    }
    Answer::Json(StatusCode::OK, objects::issue(call.base, repo, issue))
}

fn list_comments(call: &Call<'_>, repo: &str, n: &str) -> Answer {
    let w = call.world.lock().expect("world lock");
    let Some(issue) = w
        .repos
        .get(repo)
        .and_then(|s| s.issues.iter().find(|i| i.number.to_string() == n))
    else {
        return not_found();
    };
    Answer::Page(
        issue
            .comments
            .iter()
            .map(|c| objects::comment(call.base, repo, issue.number, c))
            .collect(),
        None,
    )
}

fn create_comment(call: &Call<'_>, repo: &str, n: &str) -> Answer {
    if let Some(err) = too_long(&call.body) {
        return err;
    }
    let mut w = call.world.lock().expect("world lock");
    let login = w.login_of(call.token);
    let id = w.fresh_id();
    let Some(issue) = w
        .repos
        .get_mut(repo)
        .and_then(|s| s.issues.iter_mut().find(|i| i.number.to_string() == n))
    else {
        return not_found();
    };
    let now = now_iso();
    let comment = CommentState {
        id,
        user: login,
        body: call.body_str("body").unwrap_or("").to_string(),
        created_at: now.clone(),
        updated_at: now,
        reactions: Vec::new(),
    };
    let value = objects::comment(call.base, repo, issue.number, &comment);
    issue.comments.push(comment);
    Answer::Json(StatusCode::CREATED, value)
}

/// `/issues/comments/{id}`: read, edit or delete one comment.
fn comment(call: &Call<'_>, repo: &str, id: &str) -> Answer {
    let mut w = call.world.lock().expect("world lock");
    let found = w.repos.get_mut(repo).and_then(|s| {
        s.issues.iter_mut().find_map(|i| {
            i.comments
                .iter()
                .position(|c| c.id.to_string() == id)
                .map(|p| (i, p))
        })
    });
    let Some((issue, pos)) = found else {
        return not_found();
    };
    let number = issue.number;
    match call.method.clone() {
        Method::GET => Answer::Json(
            StatusCode::OK,
            objects::comment(call.base, repo, number, &issue.comments[pos]),
        ),
        Method::PATCH => {
            if let Some(err) = too_long(&call.body) {
                return err;
            }
            let c = &mut issue.comments[pos];
            c.body = call.body_str("body").unwrap_or("").to_string();
            c.updated_at = now_iso();
            Answer::Json(StatusCode::OK, objects::comment(call.base, repo, number, c))
        }
        Method::DELETE => {
            issue.comments.remove(pos);
            Answer::Empty(StatusCode::NO_CONTENT)
        }
        _ => Answer::Status(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed"),
    }
}

/// `/search/issues`: `repo:`, `is:`/`state:`, `label:`, `author:`, quoted phrases and words
/// (in title or body); an issue written less than `search_lag_ms` ago is not found yet.
pub(crate) fn search(call: &Call<'_>) -> Answer {
    let w = call.world.lock().expect("world lock");
    let query = call.query.get("q").cloned().unwrap_or_default();
    let phrase_re = Regex::new(r#""([^"]*)""#).expect("phrase regex");
    let phrases: Vec<String> = phrase_re
        .captures_iter(&query)
        .map(|c| c[1].to_lowercase())
        .collect();
    let rest = phrase_re.replace_all(&query, " ");
    let mut repo_filter = None;
    let mut state_filter = None;
    let mut labels = Vec::new();
    let mut author = None;
    let mut words = Vec::new();
    for token in rest.split_whitespace() {
        match token.split_once(':') {
            Some(("repo", r)) => repo_filter = Some(r.to_string()),
            Some(("is", "open")) | Some(("state", "open")) => state_filter = Some("open"),
            Some(("is", "closed")) | Some(("state", "closed")) => state_filter = Some("closed"),
            Some(("label", l)) => labels.push(l.to_string()),
            Some(("author", a)) => author = Some(a.to_string()),
            Some(("is", _)) | Some(("type", _)) | Some(("in", _)) | Some(("created", _))
            | Some(("updated", _)) => {}
            _ => words.push(token.to_lowercase()),
        }
    }
    let now = Instant::now();
    let mut items = Vec::new();
    for (name, repo) in &w.repos {
        if repo_filter.as_ref().is_some_and(|r| r != name) {
            continue;
        }
        for i in &repo.issues {
            let text = format!("{} {}", i.title, i.body).to_lowercase();
            let ok = i.searchable_from <= now
                && state_filter.is_none_or(|s| i.state == s)
                && labels.iter().all(|l| i.labels.contains(l))
                && author.as_ref().is_none_or(|a| &i.user == a)
                && phrases.iter().all(|p| text.contains(p))
                && words.iter().all(|wd| text.contains(wd));
            if ok {
                items.push(objects::issue(call.base, name, i));
            }
        }
    }
    Answer::Page(items, Some("items"))
}
