//! GitHub Actions: workflow runs, their jobs, re-runs, and job logs (a 302 to blob storage,
//! which streams the log).

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use hyper::{Method, StatusCode};
use serde_json::{json, Value};

use super::{not_found, Answer, Call};
use crate::model::log_expired;
use crate::objects;
use crate::scenario::Log;
use crate::server::full;

/// `/repos/{repo}/actions/…`.
pub(crate) fn route(call: &Call<'_>, repo: &str, seg: &[&str]) -> Answer {
    let w = call.world.lock().expect("world lock");
    let Some(state) = w.repos.get(repo) else {
        return not_found();
    };
    let q = call.query;
    let base = call.base;
    let find_run = |id: &str| state.runs.iter().find(|(_, r)| r.id.to_string() == id);
    match (call.method.clone(), seg) {
        (Method::GET, ["actions", "workflows", wf, "runs"]) => {
            // `>=A` or `A..B` (both ends included), as GitHub's search qualifiers.
            let created = q.get("created").map(String::as_str).unwrap_or_default();
            let (created_min, created_max) = match created.split_once("..") {
                Some((a, b)) => (Some(a.to_string()), Some(b.to_string())),
                None => (created.strip_prefix(">=").map(str::to_string), None),
            };
            let runs: Vec<Value> = state
                .runs
                .iter()
                .rev()
                .filter(|(f, _)| f == wf)
                .map(|(_, r)| r)
                .filter(|r| q.get("branch").is_none_or(|b| &r.head_branch == b))
                .filter(|r| q.get("event").is_none_or(|e| &r.event == e))
                .filter(|r| {
                    q.get("status").is_none_or(|s| {
                        &r.status == s || r.conclusion.as_deref() == Some(s.as_str())
                    })
                })
                .filter(|r| {
                    created_min
                        .as_ref()
                        .is_none_or(|m| r.created_at.as_str() >= m.as_str())
                        && created_max
                            .as_ref()
                            .is_none_or(|m| r.created_at.as_str() <= m.as_str())
                })
                .map(|r| objects::run(base, repo, wf, r))
                .collect();
            Answer::Page(runs, Some("workflow_runs"))
        }
        (Method::GET, ["actions", "runs"]) => {
            let runs: Vec<Value> = state
                .runs
                .iter()
                .filter(|(_, r)| q.get("head_sha").is_none_or(|s| &r.head_sha == s))
                .map(|(wf, r)| objects::run(base, repo, wf, r))
                .collect();
            Answer::Page(runs, Some("workflow_runs"))
        }
        (Method::GET, ["actions", "runs", id]) => find_run(id).map_or_else(not_found, |(wf, r)| {
            Answer::Json(StatusCode::OK, objects::run(base, repo, wf, r))
        }),
        // The latest attempt's jobs (`filter=all` lists every attempt's), or one attempt's.
        (Method::GET, ["actions", "runs", id, "jobs"]) => {
            find_run(id).map_or_else(not_found, |(wf, r)| {
                let latest = r.run_attempt.unwrap_or(1);
                let all = q.get("filter").is_some_and(|f| f == "all");
                Answer::Page(
                    r.jobs
                        .iter()
                        .filter(|j| all || j.attempt(r) == latest)
                        .map(|j| objects::job(base, repo, wf, r, j))
                        .collect(),
                    Some("jobs"),
                )
            })
        }
        (Method::GET, ["actions", "runs", id, "attempts", n, "jobs"]) => {
            find_run(id).map_or_else(not_found, |(wf, r)| {
                Answer::Page(
                    r.jobs
                        .iter()
                        .filter(|j| j.attempt(r).to_string() == *n)
                        .map(|j| objects::job(base, repo, wf, r, j))
                        .collect(),
                    Some("jobs"),
                )
            })
        }
        (Method::POST, ["actions", "runs", id, "rerun-failed-jobs"]) => {
            find_run(id).map_or_else(not_found, |_| Answer::Json(StatusCode::CREATED, json!({})))
        }
        (Method::GET, ["actions", "jobs", id]) => {
            let id: u64 = id.parse().unwrap_or(0);
            w.job(repo, id).map_or_else(not_found, |(wf, r, j)| {
                Answer::Json(StatusCode::OK, objects::job(base, repo, wf, r, j))
            })
        }
        (Method::GET, ["actions", "jobs", id, "logs"]) => {
            let id: u64 = id.parse().unwrap_or(0);
            match w.job(repo, id) {
                None => not_found(),
                Some((_, _, j)) if log_expired(j.log.as_ref()) => {
                    Answer::Status(StatusCode::GONE, "Gone")
                }
                Some(_) => {
                    Answer::Redirect(format!("{base}/_blobs/logs/{repo}/{id}?sig=fake-signature"))
                }
            }
        }
        _ => not_found(),
    }
}

/// `/_blobs/logs/{repo}/{job}`: the log, as GitHub's storage serves it after the 302.
pub(crate) async fn blob(call: &Call<'_>, rest: &str) -> Answer {
    if call.token.is_some() {
        // Signed storage URLs must not be sent credentials; GitHub's storage rejects them.
        return Answer::Status(
            StatusCode::FORBIDDEN,
            "blob storage refuses requests with Authorization",
        );
    }
    let mut parts = rest.rsplitn(2, '/');
    let id: u64 = parts.next().and_then(|i| i.parse().ok()).unwrap_or(0);
    let repo = parts.next().unwrap_or("").to_string();
    let (log, base_dir) = {
        let w = call.world.lock().expect("world lock");
        (
            w.job(&repo, id).and_then(|(_, _, j)| j.log.clone()),
            w.base_dir.clone(),
        )
    };
    match log {
        None => Answer::Stream(full(Bytes::new())),
        Some(Log::Text(t)) => Answer::Stream(full(t)),
        Some(Log::File(p)) => {
            let path = base_dir.map_or(p.clone(), |d| d.join(&p));
            match tokio::fs::File::open(&path).await {
                Ok(file) => Answer::Stream(BodyExt::boxed(StreamBody::new(
                    file_chunks(file).map(|r| r.map(Frame::data)),
                ))),
                Err(_) => Answer::Status(StatusCode::NOT_FOUND, "log file missing"),
            }
        }
        Some(Log::Generate { bytes, seed }) => Answer::Stream(BodyExt::boxed(StreamBody::new(
            crate::logs::generated(bytes, seed).map(|r| r.map(Frame::data)),
        ))),
        Some(Log::Expired) => Answer::Status(StatusCode::GONE, "Gone"),
    }
}

/// Reads a file as a stream of chunks.
fn file_chunks(
    file: tokio::fs::File,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send {
    use tokio::io::AsyncReadExt;
    futures_util::stream::unfold(Some(file), |state| async move {
        let mut file = state?;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(Bytes::from(buf)), Some(file)))
            }
            Err(e) => Some((Err(e), None)),
        }
    })
}
