//! The HTTP side: routing, and the behaviours every GitHub answer shares (pagination with
//! `Link`, ETags and 304s, rate-limit headers, the body-size limit, injected faults).

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use regex::Regex;
use serde_json::{json, Value};

use crate::model::{
    self, comment_json, issue_json, job_json, run_json, CommentState, IssueState, RequestRecord,
    World,
};
use crate::scenario::{Log, Scenario};

/// GitHub's limit on issue and comment bodies, in characters.
pub const MAX_BODY_CHARS: usize = 65_536;

type Body = BoxBody<Bytes, std::io::Error>;

/// Why the fake closes a connection without answering (a fault).
#[derive(Debug)]
pub struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "connection dropped by fault injection")
    }
}

impl std::error::Error for Dropped {}

fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never: Infallible| match never {})
        .boxed()
}

/// What a route answers, before the shared behaviours are applied.
enum Answer {
    Json(StatusCode, Value),
    Page(Vec<Value>, Option<&'static str>),
    Redirect(String),
    Stream(Body),
    Status(StatusCode, &'static str),
    Empty(StatusCode),
}

fn not_found() -> Answer {
    Answer::Json(
        StatusCode::NOT_FOUND,
        json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}),
    )
}

/// Query parameters, percent-decoded.
fn query(q: &str) -> BTreeMap<String, String> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The handler shared by every connection.
pub async fn handle(
    req: Request<Incoming>,
    world: Arc<Mutex<World>>,
    base: Arc<String>,
) -> Result<Response<Body>, Dropped> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let path_and_query = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let q = query(req.uri().query().unwrap_or(""));
    let auth = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split_whitespace().last().unwrap_or("").to_string());
    let if_none_match = req
        .headers()
        .get(hyper::header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = req
        .into_body()
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();

    if path.starts_with("/_fake/") {
        return Ok(admin(&method, &path, &body, &world, &base));
    }

    let authorised = auth.is_some();
    let body_len = body.len();
    let rec = |status: u16| {
        record(
            &world,
            &method,
            &path_and_query,
            status,
            authorised,
            body_len,
        );
    };

    // Faults first: they stand for GitHub misbehaving before any logic runs.
    let fault = {
        let mut w = world.lock().expect("world lock");
        w.faults.iter_mut().find_map(|(f, left)| {
            let method_ok = f.method == "*" || f.method.eq_ignore_ascii_case(method.as_str());
            let path_ok = Regex::new(&f.path)
                .map(|re| re.is_match(&path_and_query))
                .unwrap_or(false);
            if *left > 0 && method_ok && path_ok {
                *left -= 1;
                Some(f.clone())
            } else {
                None
            }
        })
    };
    if let Some(f) = fault.as_ref().filter(|f| f.after_handling) {
        let _ = route(&method, &path, &q, &body, auth.as_deref(), &world, &base).await;
        let status = f.status.unwrap_or(502);
        rec(status);
        if f.drop_connection {
            return Err(Dropped);
        }
        return Ok(Response::builder()
            .status(status)
            .header("content-type", "application/json; charset=utf-8")
            .body(full(
                json!({"message": format!("injected fault {status} after handling")}).to_string(),
            ))
            .expect("fault response"));
    }
    if let Some(f) = fault {
        if f.delay_ms > 0 {
            tokio::time::sleep(Duration::from_millis(f.delay_ms)).await;
        }
        if f.drop_connection {
            rec(0);
            return Err(Dropped);
        }
        if let Some(status) = f.status {
            let mut builder = Response::builder().status(status);
            for (k, v) in &f.headers {
                builder = builder.header(k, v);
            }
            let text = f.body.clone().unwrap_or_else(|| {
                json!({"message": format!("injected fault {status}")}).to_string()
            });
            rec(status);
            return Ok(builder
                .header("content-type", "application/json; charset=utf-8")
                .body(full(text))
                .expect("fault response"));
        }
    }

    let answer = route(&method, &path, &q, &body, auth.as_deref(), &world, &base).await;
    let mut w = world.lock().expect("world lock");
    let (status, mut builder, payload) = match answer {
        Answer::Json(status, value) => {
            let text = value.to_string();
            (status, Response::builder(), Some(text))
        }
        Answer::Page(items, key) => {
            let (page, link) = paginate(items, &q, &base, &path);
            let value = match key {
                Some(k) => json!({ "total_count": page.1, k: page.0 }),
                None => Value::Array(page.0),
            };
            let mut b = Response::builder();
            if let Some(link) = link {
                b = b.header("link", link);
            }
            (StatusCode::OK, b, Some(value.to_string()))
        }
        Answer::Redirect(location) => {
            drop(w);
            rec(302);
            return Ok(Response::builder()
                .status(StatusCode::FOUND)
                .header("location", location)
                .body(full(Bytes::new()))
                .expect("redirect"));
        }
        Answer::Stream(stream) => {
            w.requests.push(RequestRecord {
                method: method.to_string(),
                path: path_and_query,
                status: 200,
                authorization: auth.is_some(),
                body_bytes: body.len(),
            });
            return Ok(Response::builder()
                .header("content-type", "text/plain; charset=utf-8")
                .body(stream)
                .expect("stream"));
        }
        Answer::Status(status, message) => (
            status,
            Response::builder(),
            Some(json!({"message": message}).to_string()),
        ),
        Answer::Empty(status) => (status, Response::builder(), None),
    };

    let is_api = !path.starts_with("/_blobs/") && path != "/v1/messages";
    let mut status = status;
    let mut payload = payload;
    if method == Method::GET && status == StatusCode::OK {
        if let Some(text) = &payload {
            let etag = etag_of(text);
            if if_none_match.as_deref() == Some(etag.as_str()) {
                status = StatusCode::NOT_MODIFIED;
                payload = None;
            }
            builder = builder.header("etag", etag);
        }
    }
    if is_api {
        if status != StatusCode::NOT_MODIFIED {
            w.rate_remaining = w.rate_remaining.saturating_sub(1);
        }
        let reset = chrono::Utc::now().timestamp() + 3600;
        builder = builder
            .header("x-ratelimit-limit", "5000")
            .header("x-ratelimit-remaining", w.rate_remaining.to_string())
            .header("x-ratelimit-used", (5000 - w.rate_remaining).to_string())
            .header("x-ratelimit-reset", reset.to_string())
            .header("x-ratelimit-resource", "core")
            .header("x-github-request-id", format!("FAKE:{}", w.requests.len()));
    }
    w.requests.push(RequestRecord {
        method: method.to_string(),
        path: path_and_query,
        status: status.as_u16(),
        authorization: auth.is_some(),
        body_bytes: body.len(),
    });
    let response_body = match payload {
        Some(text) => {
            builder = builder.header("content-type", "application/json; charset=utf-8");
            full(text)
        }
        None => full(Bytes::new()),
    };
    Ok(builder
        .status(status)
        .body(response_body)
        .expect("response"))
}

fn record(
    world: &Arc<Mutex<World>>,
    method: &Method,
    path: &str,
    status: u16,
    authorization: bool,
    body_bytes: usize,
) {
    world
        .lock()
        .expect("world lock")
        .requests
        .push(RequestRecord {
            method: method.to_string(),
            path: path.to_string(),
            status,
            authorization,
            body_bytes,
        });
}

fn etag_of(text: &str) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    format!("\"{:016x}{:08x}\"", h.finish(), text.len())
}

/// One page of `items` and the `Link` header pointing at the others.
fn paginate(
    items: Vec<Value>,
    q: &BTreeMap<String, String>,
    base: &str,
    path: &str,
) -> ((Vec<Value>, usize), Option<String>) {
    let per_page: usize = q
        .get("per_page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(30)
        .clamp(1, 100);
    let page: usize = q
        .get("page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    let total = items.len();
    let last = total.div_ceil(per_page).max(1);
    let chunk: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    let url = |p: usize| {
        let mut params: Vec<String> = q
            .iter()
            .filter(|(k, _)| k.as_str() != "page")
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        params.push(format!("page={p}"));
        format!("<{base}{path}?{}>", params.join("&"))
    };
    let mut rels = Vec::new();
    if page < last {
        rels.push(format!("{}; rel=\"next\"", url(page + 1)));
        rels.push(format!("{}; rel=\"last\"", url(last)));
    }
    if page > 1 {
        rels.push(format!("{}; rel=\"first\"", url(1)));
        rels.push(format!("{}; rel=\"prev\"", url(page - 1)));
    }
    ((chunk, total), (!rels.is_empty()).then(|| rels.join(", ")))
}

fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn repo_route(path: &str) -> Option<(String, String)> {
    let rest = path.strip_prefix("/repos/")?;
    let mut parts = rest.splitn(3, '/');
    let owner = parts.next()?;
    let name = parts.next()?;
    Some((
        format!("{owner}/{name}"),
        format!("/{}", parts.next().unwrap_or("")),
    ))
}

fn too_long(body: &Value) -> Option<Answer> {
    let chars = body
        .get("body")
        .and_then(Value::as_str)
        .map(|b| b.chars().count())
        .unwrap_or(0);
    (chars > MAX_BODY_CHARS).then(|| {
        Answer::Json(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"message": "Validation Failed", "errors": [{"resource": "IssueComment", "code": "custom", "field": "body", "message": "body is too long (maximum is 65536 characters)"}], "documentation_url": "https://docs.github.com/rest"}),
        )
    })
}

#[allow(clippy::too_many_arguments)]
async fn route(
    method: &Method,
    path: &str,
    q: &BTreeMap<String, String>,
    body: &Bytes,
    token: Option<&str>,
    world: &Arc<Mutex<World>>,
    base: &str,
) -> Answer {
    let json_body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    if path == "/user" {
        let w = world.lock().expect("world lock");
        return Answer::Json(
            StatusCode::OK,
            json!({"login": w.login_of(token), "id": 1, "type": "User"}),
        );
    }
    if path == "/v1/messages" && method == Method::POST {
        let mut w = world.lock().expect("world lock");
        let text = json_body.to_string();
        let chosen = w
            .messages_replies
            .iter()
            .find(|r| text.contains(&r.contains))
            .map(|r| r.reply.clone());
        w.messages.push(json_body);
        let reply = if let Some(reply) = chosen {
            reply
        } else if w.messages_reply.is_empty() {
            "canned analysis".to_string()
        } else {
            w.messages_reply.clone()
        };
        return Answer::Json(
            StatusCode::OK,
            json!({
                "id": "msg_fake", "type": "message", "role": "assistant", "model": "fake",
                "content": [{"type": "text", "text": reply}], "stop_reason": "end_turn",
                "usage": {"input_tokens": 10, "output_tokens": 20}
            }),
        );
    }
    if path == "/search/issues" {
        return search(q, world, base);
    }
    if let Some(rest) = path.strip_prefix("/_blobs/logs/") {
        return blob(rest, token, world).await;
    }
    let Some((repo, sub)) = repo_route(path) else {
        return not_found();
    };
    let seg: Vec<&str> = sub.trim_matches('/').split('/').collect();
    let mut w = world.lock().expect("world lock");
    let login = w.login_of(token);
    let now = model::now_iso();
    let search_lag = w.search_lag;
    let Some(repo_state) = w.repos.get(&repo) else {
        return not_found();
    };
    match (method.clone(), seg.as_slice()) {
        (Method::GET, ["actions", "workflows", wf, "runs"]) => {
            let created_min = q
                .get("created")
                .and_then(|c| c.strip_prefix(">="))
                .map(str::to_string);
            let runs: Vec<Value> = repo_state
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
                })
                .map(|r| run_json(&repo, wf, r))
                .collect();
            Answer::Page(runs, Some("workflow_runs"))
        }
        (Method::GET, ["actions", "runs"]) => {
            let runs: Vec<Value> = repo_state
                .runs
                .iter()
                .filter(|(_, r)| q.get("head_sha").is_none_or(|s| &r.head_sha == s))
                .map(|(wf, r)| run_json(&repo, wf, r))
                .collect();
            Answer::Page(runs, Some("workflow_runs"))
        }
        (Method::GET, ["actions", "runs", id]) => repo_state
            .runs
            .iter()
            .find(|(_, r)| r.id.to_string() == *id)
            .map_or_else(not_found, |(wf, r)| {
                Answer::Json(StatusCode::OK, run_json(&repo, wf, r))
            }),
        (Method::GET, ["actions", "runs", id, "jobs"]) => repo_state
            .runs
            .iter()
            .find(|(_, r)| r.id.to_string() == *id)
            .map_or_else(not_found, |(_, r)| {
                Answer::Page(
                    r.jobs.iter().map(|j| job_json(&repo, r, j)).collect(),
                    Some("jobs"),
                )
            }),
        (Method::POST, ["actions", "runs", id, "rerun-failed-jobs"]) => {
            if repo_state.runs.iter().any(|(_, r)| r.id.to_string() == *id) {
                Answer::Json(StatusCode::CREATED, json!({}))
            } else {
                not_found()
            }
        }
        (Method::GET, ["actions", "jobs", id]) => {
            let id: u64 = id.parse().unwrap_or(0);
            w.job(&repo, id).map_or_else(not_found, |(_, r, j)| {
                Answer::Json(StatusCode::OK, job_json(&repo, r, j))
            })
        }
        (Method::GET, ["actions", "jobs", id, "logs"]) => {
            let id: u64 = id.parse().unwrap_or(0);
            match w.job(&repo, id) {
                None => not_found(),
                Some((_, _, j)) if model::log_expired(j.log.as_ref()) => {
                    Answer::Status(StatusCode::GONE, "Gone")
                }
                Some(_) => {
                    Answer::Redirect(format!("{base}/_blobs/logs/{repo}/{id}?sig=fake-signature"))
                }
            }
        }
        (Method::GET, ["issues"]) => {
            let state = q.get("state").map_or("open", String::as_str);
            let labels: Vec<&str> = q
                .get("labels")
                .map(|l| l.split(',').collect())
                .unwrap_or_default();
            let mut issues: Vec<&IssueState> = repo_state
                .issues
                .iter()
                .filter(|i| state == "all" || i.state == state)
                .filter(|i| labels.iter().all(|l| i.labels.iter().any(|x| x == l)))
                .filter(|i| q.get("creator").is_none_or(|c| &i.user == c))
                .collect();
            issues.sort_by_key(|i| std::cmp::Reverse(i.number));
            Answer::Page(
                issues
                    .into_iter()
                    .map(|i| issue_json(base, &repo, i))
                    .collect(),
                None,
            )
        }
        (Method::POST, ["issues"]) => {
            if let Some(err) = too_long(&json_body) {
                return err;
            }
            let Some(title) = json_body.get("title").and_then(Value::as_str) else {
                return Answer::Status(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Validation Failed: title",
                );
            };
            let title = title.to_string();
            let id = w.fresh_id();
            let repo_state = w.repos.get_mut(&repo).expect("repo exists");
            let number = repo_state
                .issues
                .iter()
                .map(|i| i.number)
                .max()
                .unwrap_or(0)
                + 1;
            let issue = IssueState {
                number,
                id,
                title,
                body: json_body
                    .get("body")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                state: "open".into(),
                labels: json_body
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
            };
            let value = issue_json(base, &repo, &issue);
            repo_state.issues.push(issue);
            Answer::Json(StatusCode::CREATED, value)
        }
        (m, ["issues", n]) if m == Method::GET || m == Method::PATCH => {
            let repo_state = w.repos.get_mut(&repo).expect("repo exists");
            let Some(issue) = repo_state
                .issues
                .iter_mut()
                .find(|i| i.number.to_string() == *n)
            else {
                return not_found();
            };
            if m == Method::PATCH {
                if let Some(err) = too_long(&json_body) {
                    return err;
                }
                if let Some(t) = json_body.get("title").and_then(Value::as_str) {
                    issue.title = t.to_string();
                }
                if let Some(b) = json_body.get("body").and_then(Value::as_str) {
                    issue.body = b.to_string();
                }
                if let Some(s) = json_body.get("state").and_then(Value::as_str) {
                    issue.state = s.to_string();
                }
                issue.updated_at = now;
                issue.searchable_from = Instant::now() + search_lag;
            }
            Answer::Json(StatusCode::OK, issue_json(base, &repo, issue))
        }
        (Method::GET, ["issues", n, "comments"]) => {
            let Some(issue) = repo_state
                .issues
                .iter()
                .find(|i| i.number.to_string() == *n)
            else {
                return not_found();
            };
            let number = issue.number;
            Answer::Page(
                issue
                    .comments
                    .iter()
                    .map(|c| comment_json(base, &repo, number, c))
                    .collect(),
                None,
            )
        }
        (Method::POST, ["issues", n, "comments"]) => {
            if let Some(err) = too_long(&json_body) {
                return err;
            }
            let id = w.fresh_id();
            let repo_state = w.repos.get_mut(&repo).expect("repo exists");
            let Some(issue) = repo_state
                .issues
                .iter_mut()
                .find(|i| i.number.to_string() == *n)
            else {
                return not_found();
            };
            let comment = CommentState {
                id,
                user: login,
                body: json_body
                    .get("body")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                created_at: now.clone(),
                updated_at: now,
                reactions: Vec::new(),
            };
            let value = comment_json(base, &repo, issue.number, &comment);
            issue.comments.push(comment);
            Answer::Json(StatusCode::CREATED, value)
        }
        (m, ["issues", "comments", id]) => {
            let repo_state = w.repos.get_mut(&repo).expect("repo exists");
            let found = repo_state.issues.iter_mut().find_map(|i| {
                let number = i.number;
                i.comments
                    .iter()
                    .position(|c| c.id.to_string() == *id)
                    .map(|p| (i, number, p))
            });
            let Some((issue, number, pos)) = found else {
                return not_found();
            };
            match m {
                Method::GET => Answer::Json(
                    StatusCode::OK,
                    comment_json(base, &repo, number, &issue.comments[pos]),
                ),
                Method::PATCH => {
                    if let Some(err) = too_long(&json_body) {
                        return err;
                    }
                    let c = &mut issue.comments[pos];
                    c.body = json_body
                        .get("body")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string();
                    c.updated_at = now;
                    Answer::Json(StatusCode::OK, comment_json(base, &repo, number, c))
                }
                Method::DELETE => {
                    issue.comments.remove(pos);
                    Answer::Empty(StatusCode::NO_CONTENT)
                }
                _ => Answer::Status(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed"),
            }
        }
        (m, ["issues", "comments", id, "reactions"]) => {
            let reaction_id = w.fresh_id();
            let repo_state = w.repos.get_mut(&repo).expect("repo exists");
            let Some(c) = repo_state
                .issues
                .iter_mut()
                .flat_map(|i| i.comments.iter_mut())
                .find(|c| c.id.to_string() == *id)
            else {
                return not_found();
            };
            if m == Method::POST {
                let content = json_body
                    .get("content")
                    .and_then(Value::as_str)
                    .unwrap_or("+1")
                    .to_string();
                if let Some((rid, _, _)) = c
                    .reactions
                    .iter()
                    .find(|(_, u, k)| *u == login && *k == content)
                {
                    return Answer::Json(
                        StatusCode::OK,
                        json!({"id": rid, "content": content, "user": {"login": login}}),
                    );
                }
                c.reactions
                    .push((reaction_id, login.clone(), content.clone()));
                return Answer::Json(
                    StatusCode::CREATED,
                    json!({"id": reaction_id, "content": content, "user": {"login": login}}),
                );
            }
            Answer::Page(
                c.reactions
                    .iter()
                    .map(|(rid, u, k)| json!({"id": rid, "content": k, "user": {"login": u}}))
                    .collect(),
                None,
            )
        }
        (Method::GET, ["pulls"]) => Answer::Page(repo_state.seed.pulls.clone(), None),
        (Method::GET, ["pulls", n]) => repo_state
            .seed
            .pulls
            .iter()
            .find(|p| {
                p.get("number")
                    .and_then(Value::as_u64)
                    .map(|x| x.to_string())
                    == Some(n.to_string())
            })
            .map_or_else(not_found, |p| Answer::Json(StatusCode::OK, p.clone())),
        (Method::GET, ["pulls", n, "files"]) => Answer::Page(
            repo_state
                .seed
                .pull_files
                .get(*n)
                .cloned()
                .unwrap_or_default(),
            None,
        ),
        (Method::GET, ["commits", r, "check-runs"]) => Answer::Page(
            repo_state
                .seed
                .check_runs
                .get(*r)
                .cloned()
                .unwrap_or_default(),
            Some("check_runs"),
        ),
        (Method::GET, ["commits", r, "statuses"]) => Answer::Page(
            repo_state
                .seed
                .statuses
                .get(*r)
                .cloned()
                .unwrap_or_default(),
            None,
        ),
        (Method::GET, ["commits", r, "status"]) => {
            let statuses = repo_state
                .seed
                .statuses
                .get(*r)
                .cloned()
                .unwrap_or_default();
            let state = if statuses.iter().any(|s| s["state"] == "failure") {
                "failure"
            } else {
                "success"
            };
            Answer::Json(
                StatusCode::OK,
                json!({"state": state, "sha": r, "statuses": statuses}),
            )
        }
        _ => not_found(),
    }
}

fn search(q: &BTreeMap<String, String>, world: &Arc<Mutex<World>>, base: &str) -> Answer {
    let w = world.lock().expect("world lock");
    let query = q.get("q").cloned().unwrap_or_default();
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
                items.push(issue_json(base, name, i));
            }
        }
    }
    Answer::Page(items, Some("items"))
}

async fn blob(rest: &str, token: Option<&str>, world: &Arc<Mutex<World>>) -> Answer {
    if token.is_some() {
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
        let w = world.lock().expect("world lock");
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
                Ok(file) => {
                    let stream = file_chunks(file);
                    Answer::Stream(BodyExt::boxed(StreamBody::new(
                        stream.map(|r| r.map(Frame::data)),
                    )))
                }
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

fn admin(
    method: &Method,
    path: &str,
    body: &Bytes,
    world: &Arc<Mutex<World>>,
    base: &str,
) -> Response<Body> {
    let json_response = |status: StatusCode, v: Value| {
        Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(full(v.to_string()))
            .expect("admin response")
    };
    match (method.clone(), path) {
        (Method::GET, "/_fake/state") => json_response(
            StatusCode::OK,
            world.lock().expect("world lock").snapshot(base),
        ),
        (Method::GET, "/_fake/requests") => {
            let w = world.lock().expect("world lock");
            json_response(
                StatusCode::OK,
                serde_json::to_value(&w.requests).unwrap_or(Value::Null),
            )
        }
        (Method::POST, "/_fake/reset-requests") => {
            world.lock().expect("world lock").requests.clear();
            json_response(StatusCode::OK, json!({"ok": true}))
        }
        (Method::POST, "/_fake/scenario") => match serde_json::from_slice::<Scenario>(body) {
            Ok(s) => {
                world.lock().expect("world lock").merge(s);
                json_response(StatusCode::OK, json!({"ok": true}))
            }
            Err(e) => json_response(StatusCode::BAD_REQUEST, json!({"message": e.to_string()})),
        },
        _ => json_response(
            StatusCode::NOT_FOUND,
            json!({"message": "unknown admin endpoint"}),
        ),
    }
}
