//! The endpoints, one file per resource; this file finds the one a request is for.

mod actions;
mod gateway;
mod issues;
mod pulls;
mod reactions;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use hyper::{Method, StatusCode};
use serde_json::{json, Value};

use crate::model::World;
use crate::objects;
use crate::server::Body;

/// GitHub's limit on issue and comment bodies, in characters.
pub const MAX_BODY_CHARS: usize = 65_536;

/// What an endpoint answers, before the behaviours every answer shares are applied.
pub(crate) enum Answer {
    /// One object (or an error message) with this status.
    Json(StatusCode, Value),
    /// A listing to paginate: a bare array, or an object holding it under the key.
    Page(Vec<Value>, Option<&'static str>),
    /// A 302 to this location.
    Redirect(String),
    /// A log body, streamed.
    Stream(Body),
    /// An error status with GitHub's `{"message": …}`.
    Status(StatusCode, &'static str),
    /// A status without a body (204).
    Empty(StatusCode),
}

/// One request, as the endpoints need it.
pub(crate) struct Call<'a> {
    pub method: &'a Method,
    /// The path without its query.
    pub path: &'a str,
    /// Decoded query parameters.
    pub query: &'a BTreeMap<String, String>,
    /// The JSON body (`Null` when there is none or it is not JSON).
    pub body: Value,
    /// The last word of the `Authorization` header.
    pub token: Option<&'a str>,
    /// The `Accept` header (media types such as `application/vnd.github.diff`).
    pub accept: Option<&'a str>,
    pub world: &'a Arc<Mutex<World>>,
    /// `http://127.0.0.1:PORT`, for the URLs inside objects.
    pub base: &'a str,
}

impl Call<'_> {
    /// A string field of the JSON body.
    pub(crate) fn body_str(&self, key: &str) -> Option<&str> {
        self.body.get(key).and_then(Value::as_str)
    }
}

/// GitHub's 404.
pub(crate) fn not_found() -> Answer {
    Answer::Json(
        StatusCode::NOT_FOUND,
        json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}),
    )
}

/// GitHub's 422 for a body over [`MAX_BODY_CHARS`], if this one is.
pub(crate) fn too_long(body: &Value) -> Option<Answer> {
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

/// `/repos/{owner}/{name}/rest…` → (`owner/name`, the segments of `rest`).
fn repo_route(path: &str) -> Option<(String, Vec<&str>)> {
    let rest = path.strip_prefix("/repos/")?;
    let mut parts = rest.splitn(3, '/');
    let owner = parts.next()?;
    let name = parts.next()?;
    let segments = parts.next().unwrap_or("").trim_matches('/').split('/');
    Some((format!("{owner}/{name}"), segments.collect()))
}

/// `POST /repos/{repo}/dispatches`: a `repository_dispatch` event, kept for the test (204).
/// GitHub refuses one without an `event_type`, or a `client_payload` that is not an object.
fn dispatch(call: &Call<'_>, repo: &str) -> Answer {
    let event_type = call.body_str("event_type").filter(|t| !t.is_empty());
    let payload = call
        .body
        .get("client_payload")
        .cloned()
        .unwrap_or(json!({}));
    if event_type.is_none() || !payload.is_object() {
        return Answer::Status(StatusCode::UNPROCESSABLE_ENTITY, "Validation Failed");
    }
    let mut w = call.world.lock().expect("world lock");
    let Some(state) = w.repos.get_mut(repo) else {
        return not_found();
    };
    state
        .dispatches
        .push(json!({"event_type": event_type, "client_payload": payload}));
    Answer::Empty(StatusCode::NO_CONTENT)
}

/// Answers one request.
pub(crate) async fn route(call: &Call<'_>) -> Answer {
    match call.path {
        "/user" => {
            let w = call.world.lock().expect("world lock");
            return Answer::Json(
                StatusCode::OK,
                objects::user(call.base, &w.login_of(call.token)),
            );
        }
        "/v1/messages" if *call.method == Method::POST => return gateway::messages(call),
        "/search/issues" => return issues::search(call),
        _ => {}
    }
    if let Some(rest) = call.path.strip_prefix("/_blobs/logs/") {
        return actions::blob(call, rest).await;
    }
    let Some((repo, seg)) = repo_route(call.path) else {
        return not_found();
    };
    if !call
        .world
        .lock()
        .expect("world lock")
        .repos
        .contains_key(&repo)
    {
        return not_found();
    }
    match seg.first().copied() {
        Some("actions") => actions::route(call, &repo, &seg),
        Some("issues") if seg.get(3) == Some(&"reactions") => reactions::route(call, &repo, &seg),
        Some("dispatches") if *call.method == Method::POST => dispatch(call, &repo),
        Some("issues") => issues::route(call, &repo, &seg),
        Some("pulls" | "commits") => pulls::route(call, &repo, &seg),
        Some("contents") => pulls::contents(call, &repo, &seg[1..]),
        Some("compare") => pulls::compare(call, &repo, &seg[1..]),
        _ => not_found(),
    }
}
