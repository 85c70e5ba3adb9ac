//! The HTTP side: what every answer shares (request log, injected faults, pagination with
//! `Link`, ETags and 304s, rate-limit headers) and the admin endpoints. The endpoints
//! themselves are in [`crate::routes`], one file per resource.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use regex::Regex;
use serde_json::{json, Value};

use crate::model::{RequestRecord, World};
use crate::routes::{self, Answer, Call};
use crate::scenario::{Fault, Scenario};

/// A response body: small JSON in one piece, or a log streamed in chunks.
pub type Body = BoxBody<Bytes, std::io::Error>;

/// Why the fake closes a connection without answering (a fault).
#[derive(Debug)]
pub struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "connection dropped by fault injection")
    }
}

impl std::error::Error for Dropped {}

/// A body of known bytes.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never: Infallible| match never {})
        .boxed()
}

/// Query parameters, decoded as browsers and GitHub encode them (`+` is a space).
fn query(q: &str) -> BTreeMap<String, String> {
    form_urlencoded::parse(q.as_bytes()).into_owned().collect()
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
    let token = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split_whitespace().last().unwrap_or("").to_string());
    let accept = req
        .headers()
        .get(hyper::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
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
    let latency = world.lock().expect("world lock").latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }

    let record = |status: u16| RequestRecord {
        method: method.to_string(),
        path: path_and_query.clone(),
        status,
        authorization: token.is_some(),
        body_bytes: body.len(),
    };
    let call = Call {
        method: &method,
        path: &path,
        query: &q,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        token: token.as_deref(),
        accept: accept.as_deref(),
        world: &world,
        base: &base,
    };

    // A barrier holds a request until another like it arrives (a race made certain).
    let held = world
        .lock()
        .expect("world lock")
        .barrier(method.as_str(), &path, &body);
    if let Some((released, timeout)) = held {
        let _ = tokio::time::timeout(timeout, released).await;
    }

    // Faults first: they stand for GitHub misbehaving before any logic runs.
    if let Some(f) = take_fault(&world, &method, &path_and_query, &body) {
        if f.after_handling {
            let _ = routes::route(&call).await;
            let status = f.status.unwrap_or(502);
            world.lock().expect("world lock").record(record(status));
            if f.drop_connection {
                return Err(Dropped);
            }
            let message = json!({"message": format!("injected fault {status} after handling")});
            return Ok(json_response(
                status,
                Response::builder(),
                message.to_string(),
            ));
        }
        if f.delay_ms > 0 {
            tokio::time::sleep(Duration::from_millis(f.delay_ms)).await;
        }
        if f.drop_connection {
            world.lock().expect("world lock").record(record(0));
            return Err(Dropped);
        }
        if let Some(status) = f.status {
            let mut builder = Response::builder();
            for (k, v) in &f.headers {
                builder = builder.header(k, v);
            }
            let text = f.body.clone().unwrap_or_else(|| {
                json!({"message": format!("injected fault {status}")}).to_string()
            });
            world.lock().expect("world lock").record(record(status));
            return Ok(json_response(status, builder, text));
        }
    }

    let refused = world
        .lock()
        .expect("world lock")
        .secondary_limit_refuses(method.as_str(), &path);
    if let Some(retry_after) = refused {
        let mut builder = Response::builder();
        if retry_after > 0 {
            builder = builder.header("retry-after", retry_after.to_string());
        }
        let message = json!({
            "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            "documentation_url": "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits",
        });
        world.lock().expect("world lock").record(record(403));
        return Ok(json_response(403, builder, message.to_string()));
    }

    let answer = routes::route(&call).await;
    let mut w = world.lock().expect("world lock");
    let (mut status, mut builder, mut payload) = match answer {
        Answer::Json(status, value) => (status, Response::builder(), Some(value.to_string())),
        Answer::Page(items, key) => {
            let (page, total, link) = paginate(items, &q, &base, &path);
            let value = match key {
                // Only search says whether it gave up early.
                Some(k @ "items") => {
                    json!({ "total_count": total, "incomplete_results": false, k: page })
                }
                Some(k) => json!({ "total_count": total, k: page }),
                None => Value::Array(page),
            };
            let mut b = Response::builder();
            if let Some(link) = link {
                b = b.header("link", link);
            }
            (StatusCode::OK, b, Some(value.to_string()))
        }
        Answer::Redirect(location) => {
            w.record(record(302));
            return Ok(Response::builder()
                .status(StatusCode::FOUND)
                .header("location", location)
                .body(full(Bytes::new()))
                .expect("redirect"));
        }
        Answer::Stream(stream) => {
            w.record(record(200));
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
    let is_api = !path.starts_with("/_blobs/") && path != "/v1/messages";
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
    w.record(record(status.as_u16()));
    Ok(match payload {
        Some(text) => json_response(status.as_u16(), builder, text),
        None => builder
            .status(status)
            .body(full(Bytes::new()))
            .expect("response"),
    })
}

/// The first fault with requests left that matches, counted down by one.
fn take_fault(
    world: &Mutex<World>,
    method: &Method,
    path_and_query: &str,
    body: &[u8],
) -> Option<Fault> {
    let mut w = world.lock().expect("world lock");
    let body = String::from_utf8_lossy(body);
    w.faults.iter_mut().find_map(|(f, left)| {
        let method_ok = f.method == "*" || f.method.eq_ignore_ascii_case(method.as_str());
        let path_ok = Regex::new(&f.path)
            .map(|re| re.is_match(path_and_query))
            .unwrap_or(false);
        let body_ok = f
            .body_contains
            .as_ref()
            .is_none_or(|t| body.contains(t.as_str()));
        (*left > 0 && method_ok && path_ok && body_ok).then(|| {
            *left -= 1;
            f.clone()
        })
    })
}

fn json_response(
    status: u16,
    builder: hyper::http::response::Builder,
    text: String,
) -> Response<Body> {
    builder
        .status(status)
        .header("content-type", "application/json; charset=utf-8")
        .body(full(text))
        .expect("json response")
}

fn etag_of(text: &str) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    format!("\"{:016x}{:08x}\"", h.finish(), text.len())
}

/// One page of `items`, how many there are in all, and the `Link` header pointing at the
/// other pages.
fn paginate(
    items: Vec<Value>,
    q: &BTreeMap<String, String>,
    base: &str,
    path: &str,
) -> (Vec<Value>, usize, Option<String>) {
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
        let mut params = form_urlencoded::Serializer::new(String::new());
        for (k, v) in q.iter().filter(|(k, _)| k.as_str() != "page") {
            params.append_pair(k, v);
        }
        params.append_pair("page", &p.to_string());
        format!("<{base}{path}?{}>", params.finish())
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
    (chunk, total, (!rels.is_empty()).then(|| rels.join(", ")))
}

/// `/_fake/…`: look at and change the fake itself; never recorded, never faulted.
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
