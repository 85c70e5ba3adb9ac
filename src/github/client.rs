//! The one place that speaks HTTP to GitHub: retries, rate limits, conditional requests,
//! pagination, the dry-run write gate and the body-size guard.
//!
//! octocrab is the transport (base-URI joining, the hyper/rustls stack, raw responses); the
//! policy above it is ours so that it is explicit and tested: octocrab's retry and redirect
//! layers are not compiled in, and we set every header ourselves.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::header::{
    HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, ETAG, IF_NONE_MATCH, USER_AGENT,
};
use http::{Method, StatusCode};
use http_body_util::BodyExt;
use octocrab::service::middleware::base_uri::BaseUriLayer;
use octocrab::{AuthState, Octocrab, OctocrabBuilder};
use serde::de::DeserializeOwned;

use super::error::{GithubError, Result};
use super::etag_cache::EtagCache;
use super::link;
use super::pacer::WritePacer;
use crate::http::{Failed, Idempotency, Outcome, RetryPolicy, Retrying};
use crate::redact::Redactor;

/// An answer body as octocrab hands it over, not yet read.
pub(crate) type RawBody = http_body_util::combinators::BoxBody<Bytes, octocrab::Error>;

pub use crate::limits::MAX_BODY_CHARS;

/// The media type of GitHub's JSON API.
pub(crate) const JSON: &str = "application/vnd.github+json";
/// The REST API version the bot is written against.
const API_VERSION: &str = "2022-11-28";
/// Largest JSON answer we read into memory; logs are streamed and do not count.
const MAX_ANSWER_BYTES: usize = 32 * 1024 * 1024;

/// How to reach GitHub and how patient to be; built from `Config`.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// `https://api.github.com`, a GitHub Enterprise `https://host/api/v3`, or a fake.
    pub api_url: String,
    /// Sent as `Authorization: token …`; reads of public data work without.
    pub token: Option<String>,
    pub user_agent: String,
    /// Limit for one attempt of an API call (answer and body); logs use it per chunk instead.
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
    pub retry: RetryPolicy,
    /// Log every write as "would …" instead of sending it.
    pub dry_run: bool,
    /// Applied to every string we send.
    pub redactor: Redactor,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            api_url: "https://api.github.com".into(),
            token: None,
            user_agent: concat!("sglang-bot/", env!("CARGO_PKG_VERSION")).into(),
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            dry_run: false,
            redactor: Redactor::default(),
        }
    }
}

/// Counters of one process's traffic, so a tick can report what it cost.
#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    not_modified: AtomicU64,
    retries: AtomicU64,
    writes: AtomicU64,
    planned_writes: AtomicU64,
    log_bytes: AtomicU64,
    rate_limit_remaining: AtomicU64,
}

/// A snapshot of [`Client`] traffic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RequestStats {
    /// HTTP requests sent to the API (retries included, log blobs excluded).
    pub requests: u64,
    /// Answers served from the ETag cache after a 304.
    pub not_modified: u64,
    pub retries: u64,
    /// Writes actually sent.
    pub writes: u64,
    /// Writes suppressed by `--dry-run`.
    pub planned_writes: u64,
    /// Bytes of job logs streamed.
    pub log_bytes: u64,
    /// The last `x-ratelimit-remaining` seen (u64::MAX when none yet).
    pub rate_limit_remaining: u64,
}

/// A write that `--dry-run` kept from being sent.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PlannedWrite {
    pub method: String,
    pub path: String,
    pub body: serde_json::Value,
}

/// A GitHub answer with its body read.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// One request as the policy layer sees it.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub method: Method,
    /// Path and query below the API base, starting with `/`.
    pub path: String,
    pub body: Option<Bytes>,
    pub accept: &'static str,
    pub idempotency: Idempotency,
}

impl Call {
    /// A GET of a JSON resource.
    pub(crate) fn get(path: impl Into<String>) -> Self {
        Call {
            method: Method::GET,
            path: path.into(),
            body: None,
            accept: JSON,
            idempotency: Idempotency::Safe,
        }
    }
}

/// The GitHub client; cheap to clone, shared by all tasks of a command.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    octo: Octocrab,
    blob: reqwest::Client,
    /// `scheme://authority` of the API, to recognise our own absolute URLs (Link headers).
    origin: String,
    /// Path prefix of the API (`/api/v3` on GitHub Enterprise, else empty).
    prefix: String,
    auth: Option<HeaderValue>,
    user_agent: HeaderValue,
    options: ClientOptions,
    etags: Mutex<EtagCache>,
    counters: Counters,
    planned: Mutex<Vec<PlannedWrite>>,
    /// Content-creating requests one at a time, at GitHub's pace.
    pacer: WritePacer,
    /// Rate-limit waits that would end after this are not waited out (the tick's budget).
    deadline: Mutex<Option<tokio::time::Instant>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("api_url", &self.inner.options.api_url)
            .field("dry_run", &self.inner.options.dry_run)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Builds a client; fails on a malformed base URL or a token that is not a valid header.
    /// Call it inside a Tokio runtime (the connection pool is spawned on it).
    pub fn new(options: ClientOptions) -> Result<Self> {
        let api_url = options.api_url.trim_end_matches('/').to_string();
        let base: http::Uri = api_url
            .parse()
            .map_err(|e| GithubError::Config(format!("bad GitHub API URL {api_url:?}: {e}")))?;
        let (Some(scheme), Some(authority)) = (base.scheme_str(), base.authority()) else {
            return Err(GithubError::Config(format!(
                "GitHub API URL {api_url:?} needs a scheme and a host"
            )));
        };
        let origin = format!("{scheme}://{authority}");
        let prefix = base.path().trim_end_matches('/').to_string();

        let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(options.connect_timeout));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let hyper =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build(https);
        let octo = OctocrabBuilder::new_empty()
            .with_service(hyper)
            .with_layer(&BaseUriLayer::new(base))
            .with_auth(AuthState::None)
            .build()
            .map_err(|e| GithubError::Config(format!("octocrab: {e}")))?;

        let blob = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .read_timeout(options.request_timeout)
            .user_agent(options.user_agent.clone())
            .build()
            .map_err(|e| GithubError::Config(format!("HTTP client: {e}")))?;

        let auth = match options.token.as_deref().filter(|t| !t.is_empty()) {
            Some(token) => {
                let mut value = HeaderValue::from_str(&format!("token {token}")).map_err(|_| {
                    GithubError::Config("the token is not a valid header value".into())
                })?;
                value.set_sensitive(true);
                Some(value)
            }
            None => None,
        };
        let user_agent = HeaderValue::from_str(&options.user_agent).map_err(|_| {
            GithubError::Config("the user agent is not a valid header value".into())
        })?;
        let counters = Counters::default();
        counters
            .rate_limit_remaining
            .store(u64::MAX, Ordering::Relaxed);
        Ok(Client {
            inner: Arc::new(Inner {
                octo,
                blob,
                origin,
                prefix,
                auth,
                user_agent,
                options,
                etags: Mutex::new(EtagCache::default()),
                counters,
                planned: Mutex::new(Vec::new()),
                pacer: WritePacer::default(),
                deadline: Mutex::new(None),
            }),
        })
    }

    /// Whether writes are only logged.
    pub fn is_dry_run(&self) -> bool {
        self.inner.options.dry_run
    }

    /// What this client has cost so far.
    pub fn stats(&self) -> RequestStats {
        let c = &self.inner.counters;
        RequestStats {
            requests: c.requests.load(Ordering::Relaxed),
            not_modified: c.not_modified.load(Ordering::Relaxed),
            retries: c.retries.load(Ordering::Relaxed),
            writes: c.writes.load(Ordering::Relaxed),
            planned_writes: c.planned_writes.load(Ordering::Relaxed),
            log_bytes: c.log_bytes.load(Ordering::Relaxed),
            rate_limit_remaining: c.rate_limit_remaining.load(Ordering::Relaxed),
        }
    }

    /// Loads the conditional-request cache a previous process saved at `path` (nothing when
    /// it is missing, corrupt or from another server); returns the number of entries.
    pub fn load_http_cache(&self, path: &std::path::Path) -> usize {
        self.inner
            .etags
            .lock()
            .expect("etag cache lock")
            .load(path, &self.inner.options.api_url)
    }

    /// Saves the entries this process used, for the next process's conditional requests.
    pub fn save_http_cache(&self, path: &std::path::Path) -> std::io::Result<()> {
        self.inner
            .etags
            .lock()
            .expect("etag cache lock")
            .save(path, &self.inner.options.api_url)
    }

    /// The writes `--dry-run` suppressed, in order.
    pub fn planned_writes(&self) -> Vec<PlannedWrite> {
        self.inner
            .planned
            .lock()
            .expect("planned writes lock")
            .clone()
    }

    /// `text` as GitHub will store it once written (secrets redacted): what a writer compares
    /// with the text already on GitHub, so a body holding a secret is not rewritten forever.
    pub fn as_posted<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        self.redactor().redact(text)
    }

    pub(crate) fn redactor(&self) -> &Redactor {
        &self.inner.options.redactor
    }

    pub(crate) fn blob_client(&self) -> &reqwest::Client {
        &self.inner.blob
    }

    pub(crate) fn request_timeout(&self) -> Duration {
        self.inner.options.request_timeout
    }

    /// Ends every rate-limit wait at `deadline`: a request whose limit resets later fails
    /// with [`GithubError::RateLimited`] at once, so the caller can defer it (the monitor
    /// sets the tick's budget here).
    pub fn set_deadline(&self, deadline: tokio::time::Instant) {
        *self.inner.deadline.lock().expect("deadline lock") = Some(deadline);
    }

    fn deadline(&self) -> Option<tokio::time::Instant> {
        *self.inner.deadline.lock().expect("deadline lock")
    }

    /// The retry policy, its rate-limit patience cut to what is left before the deadline.
    pub(crate) fn retry_policy(&self) -> RetryPolicy {
        let mut policy = self.inner.options.retry.clone();
        if let Some(deadline) = self.deadline() {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            policy.max_rate_limit_wait = policy.max_rate_limit_wait.min(left);
        }
        policy
    }

    pub(crate) fn add_log_bytes(&self, n: u64) {
        self.inner
            .counters
            .log_bytes
            .fetch_add(n, Ordering::Relaxed);
    }

    /// GET a JSON resource and decode it; 304 answers come from the ETag cache.
    pub(crate) async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let answer = self.fetch(Call::get(path)).await?;
        let answer = check(&Method::GET, path, answer)?;
        decode(&Method::GET, path, &answer.body)
    }

    /// Like [`Client::get_json`], with 404 as `None`.
    pub(crate) async fn get_optional<T: DeserializeOwned>(&self, path: &str) -> Result<Option<T>> {
        match self.get_json(path).await {
            Ok(v) => Ok(Some(v)),
            Err(GithubError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// GET with a custom media type (diffs, raw files); 404 as `None`, the body as text.
    pub(crate) async fn get_text(
        &self,
        path: &str,
        accept: &'static str,
    ) -> Result<Option<String>> {
        let call = Call {
            accept,
            ..Call::get(path)
        };
        let answer = self.fetch(call).await?;
        match check(&Method::GET, path, answer) {
            Ok(a) => Ok(Some(String::from_utf8_lossy(&a.body).into_owned())),
            Err(GithubError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every item of a paginated listing, following `Link: rel="next"` until the end or
    /// until `limit` items. `items` picks the array out of one page's JSON.
    pub(crate) async fn get_all<T, F>(
        &self,
        first: &str,
        limit: Option<usize>,
        items: F,
    ) -> Result<Vec<T>>
    where
        T: DeserializeOwned,
        F: Fn(serde_json::Value) -> Option<serde_json::Value>,
    {
        let mut out = Vec::new();
        let mut next = Some(first.to_string());
        while let Some(path) = next.take() {
            let answer = self.fetch(Call::get(path.clone())).await?;
            let answer = check(&Method::GET, &path, answer)?;
            let page: serde_json::Value = decode(&Method::GET, &path, &answer.body)?;
            let array = items(page).unwrap_or(serde_json::Value::Array(Vec::new()));
            let page_items: Vec<T> =
                serde_json::from_value(array).map_err(|e| GithubError::Decode {
                    method: "GET".into(),
                    path: path.clone(),
                    message: e.to_string(),
                })?;
            out.extend(page_items);
            if limit.is_some_and(|l| out.len() >= l) {
                out.truncate(limit.unwrap_or(usize::MAX));
                break;
            }
            if let Some(link) = answer.headers.get("link").and_then(|v| v.to_str().ok()) {
                if let Some(url) = link::next_page(link) {
                    next = Some(self.relative(url)?);
                }
            }
        }
        Ok(out)
    }

    /// Turns an absolute URL GitHub handed us back into a path below our base, refusing any
    /// other host (the token must never follow a link elsewhere).
    fn relative(&self, url: &str) -> Result<String> {
        let own = format!("{}{}", self.inner.origin, self.inner.prefix);
        url.strip_prefix(&own)
            .filter(|rest| rest.starts_with('/'))
            .map(str::to_string)
            .ok_or_else(|| GithubError::Decode {
                method: "GET".into(),
                path: url.into(),
                message: format!("pagination link leaves the API at {own}"),
            })
    }

    /// Sends a write (POST/PATCH/PUT/DELETE) through the gate: secrets are redacted from every
    /// string, a `body` over [`MAX_BODY_CHARS`] is refused, and `--dry-run` only logs it.
    /// Returns the decoded answer, or `None` for an empty answer or a dry run.
    pub(crate) async fn write<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        payload: Option<serde_json::Value>,
        idempotency: Idempotency,
    ) -> Result<Option<T>> {
        self.write_answer(method, path, payload, idempotency)
            .await
            .map(|answer| answer.and_then(|(_, value)| value))
    }

    /// Like [`Client::write`], with the success status GitHub answered (201 and 200 mean
    /// different things for a reaction); `None` only for a dry run.
    pub(crate) async fn write_answer<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        payload: Option<serde_json::Value>,
        idempotency: Idempotency,
    ) -> Result<Option<(StatusCode, Option<T>)>> {
        let payload = payload.map(|mut p| {
            redact_strings(&mut p, self.redactor());
            p
        });
        if let Some(body) = payload
            .as_ref()
            .and_then(|p| p.get("body"))
            .and_then(|b| b.as_str())
        {
            let chars = body.chars().count();
            if chars > MAX_BODY_CHARS {
                return Err(GithubError::BodyTooLarge {
                    chars,
                    limit: MAX_BODY_CHARS,
                });
            }
        }
        if self.is_dry_run() {
            let shown = payload
                .as_ref()
                .map(|p| serde_json::to_string(p).unwrap_or_default())
                .unwrap_or_default();
            tracing::info!(target: "sglang_bot::dry_run", "would {method} {path} {shown}");
            self.inner
                .counters
                .planned_writes
                .fetch_add(1, Ordering::Relaxed);
            self.inner
                .planned
                .lock()
                .expect("planned writes lock")
                .push(PlannedWrite {
                    method: method.to_string(),
                    path: path.to_string(),
                    body: payload.unwrap_or(serde_json::Value::Null),
                });
            return Ok(None);
        }
        let body = payload
            .map(|p| serde_json::to_vec(&p).map(Bytes::from))
            .transpose()
            .map_err(|e| GithubError::Decode {
                method: method.to_string(),
                path: path.into(),
                message: e.to_string(),
            })?;
        let call = Call {
            method: method.clone(),
            path: path.to_string(),
            body,
            accept: JSON,
            idempotency,
        };
        let _slot = self
            .inner
            .pacer
            .acquire(self.deadline())
            .await
            .map_err(|wait| GithubError::RateLimited {
                method: method.to_string(),
                path: path.to_string(),
                wait,
                max_wait: self
                    .deadline()
                    .map(|d| d.saturating_duration_since(tokio::time::Instant::now()))
                    .unwrap_or_default(),
            })?;
        let answer = self.fetch(call).await?;
        self.inner.counters.writes.fetch_add(1, Ordering::Relaxed);
        let answer = check(&method, path, answer)?;
        if answer.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Some((answer.status, None)));
        }
        decode(&method, path, &answer.body).map(|value| Some((answer.status, Some(value))))
    }

    /// Sends a call with retries and reads the whole answer. GETs use the ETag cache.
    pub(crate) async fn fetch(&self, call: Call) -> Result<Answer> {
        let cache_key =
            (call.method == Method::GET).then(|| format!("{} {}", call.accept, call.path));
        let cached: Option<(HeaderValue, Bytes)> = cache_key.as_ref().and_then(|k| {
            let (etag, body) = self.inner.etags.lock().expect("etag cache lock").get(k)?;
            Some((HeaderValue::from_str(&etag).ok()?, body))
        });
        let timeout = self.inner.options.request_timeout;
        let response = self
            .send_with_retries(&call, cached.as_ref().map(|c| &c.0))
            .await?;
        let (parts, body) = response.into_parts();
        let collected = tokio::time::timeout(timeout, read_limited(body, MAX_ANSWER_BYTES))
            .await
            .map_err(|_| transport(&call, "timed out reading the answer"))?
            .map_err(|e| transport(&call, &e))?;
        if parts.status == StatusCode::NOT_MODIFIED {
            if let Some((_, body)) = cached {
                self.inner
                    .counters
                    .not_modified
                    .fetch_add(1, Ordering::Relaxed);
                return Ok(Answer {
                    status: StatusCode::OK,
                    headers: parts.headers,
                    body,
                });
            }
        }
        if let (Some(key), true) = (cache_key, parts.status == StatusCode::OK) {
            if let Some(etag) = parts.headers.get(ETAG).and_then(|e| e.to_str().ok()) {
                self.inner.etags.lock().expect("etag cache lock").insert(
                    key,
                    etag.to_string(),
                    collected.clone(),
                );
            }
        }
        Ok(Answer {
            status: parts.status,
            headers: parts.headers,
            body: collected,
        })
    }

    /// Sends `call` until it gets an answer the policy accepts; returns that answer unread.
    pub(crate) async fn send_with_retries(
        &self,
        call: &Call,
        etag: Option<&HeaderValue>,
    ) -> Result<http::Response<RawBody>> {
        let policy = self.retry_policy();
        let policy = &policy;
        let sent = Retrying::new(
            policy,
            call.idempotency,
            format!("{} {}", call.method, call.path),
        )
        .on_rate_limit_too_long(|wait| GithubError::RateLimited {
            method: call.method.to_string(),
            path: call.path.clone(),
            wait,
            max_wait: policy.max_rate_limit_wait,
        })
        .run_checking(
            move || async move {
                let timeout = self.inner.options.request_timeout;
                match tokio::time::timeout(timeout, self.send_once(call, etag)).await {
                    Ok(Ok(response)) => Ok(response),
                    Ok(Err(e)) => Err(transport(call, &e)),
                    Err(_) => Err(transport(
                        call,
                        &format!("timed out after {} s", timeout.as_secs()),
                    )),
                }
            },
            |result| match result {
                Ok(response) if response.status().is_success() => None,
                Ok(response) if response.status().is_redirection() => None,
                Ok(response) => Some(Failed::new(
                    outcome_of(response.headers(), response.status()),
                    response.status().to_string(),
                )),
                Err(GithubError::Transport { message, .. }) => {
                    Some(Failed::new(Outcome::Transport, message.clone()))
                }
                Err(_) => None,
            },
            || {
                self.inner.counters.retries.fetch_add(1, Ordering::Relaxed);
                std::future::ready(None)
            },
        )
        .await;
        sent
    }

    async fn send_once(
        &self,
        call: &Call,
        etag: Option<&HeaderValue>,
    ) -> std::result::Result<http::Response<RawBody>, String> {
        let path = format!("{}{}", self.inner.prefix, call.path);
        let mut builder = http::Request::builder()
            .method(call.method.clone())
            .uri(path)
            .header(ACCEPT, call.accept)
            .header("x-github-api-version", API_VERSION)
            .header(USER_AGENT, self.inner.user_agent.clone());
        if let Some(auth) = &self.inner.auth {
            builder = builder.header(AUTHORIZATION, auth.clone());
        }
        if let Some(etag) = etag {
            builder = builder.header(IF_NONE_MATCH, etag.clone());
        }
        let request = match &call.body {
            Some(body) => builder
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(body.clone()),
            None => builder
                .header(http::header::CONTENT_LENGTH, "0")
                .body(Bytes::new()),
        }
        .map_err(|e| e.to_string())?;
        self.inner.counters.requests.fetch_add(1, Ordering::Relaxed);
        let response = self
            .inner
            .octo
            .execute(request)
            .await
            .map_err(|e| format!("{} ({})", crate::http::describe(&e), self.inner.origin))?;
        if let Some(remaining) = header_u64(response.headers(), "x-ratelimit-remaining") {
            self.inner
                .counters
                .rate_limit_remaining
                .store(remaining, Ordering::Relaxed);
        }
        Ok(mark_secondary_limit(response).await)
    }
}

/// Our own header on an answer whose message says a secondary rate limit was hit: GitHub says
/// so only in the body of a 403/429, and the retry policy sees status and headers alone.
const SECONDARY_LIMIT_HEADER: &str = "x-sglang-bot-secondary-limit";

/// Whether an error message is GitHub's secondary rate limit, in today's wording or the one
/// it used before (an "abuse detection mechanism").
fn names_secondary_limit(message: &str) -> bool {
    let text = message.to_ascii_lowercase();
    text.contains("secondary rate limit") || text.contains("abuse detection")
}

/// Reads the (small) body of a 403/429 and marks the answer when it is a secondary rate limit;
/// the body is put back as it was for the caller's error message.
async fn mark_secondary_limit(response: http::Response<RawBody>) -> http::Response<RawBody> {
    if !matches!(
        response.status(),
        StatusCode::FORBIDDEN | StatusCode::TOO_MANY_REQUESTS
    ) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = read_limited(body, 64 * 1024).await.unwrap_or_default();
    if names_secondary_limit(&String::from_utf8_lossy(&bytes)) {
        parts
            .headers
            .insert(SECONDARY_LIMIT_HEADER, http::HeaderValue::from_static("1"));
    }
    let body = http_body_util::Full::new(bytes)
        .map_err(|never| match never {})
        .boxed();
    http::Response::from_parts(parts, body)
}

fn outcome_of(headers: &HeaderMap, status: StatusCode) -> Outcome {
    let retry_after = header_u64(headers, "retry-after").map(Duration::from_secs);
    let ratelimit_remaining = header_u64(headers, "x-ratelimit-remaining");
    let ratelimit_reset_in = header_u64(headers, "x-ratelimit-reset").map(|reset| {
        let now = chrono::Utc::now().timestamp().max(0) as u64;
        Duration::from_secs(reset.saturating_sub(now))
    });
    Outcome::Status {
        status: status.as_u16(),
        retry_after,
        ratelimit_remaining,
        ratelimit_reset_in,
        secondary_limit: headers.contains_key(SECONDARY_LIMIT_HEADER),
    }
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

fn transport(call: &Call, message: &(impl std::fmt::Display + ?Sized)) -> GithubError {
    GithubError::Transport {
        method: call.method.to_string(),
        path: call.path.clone(),
        message: message.to_string(),
    }
}

async fn read_limited(body: RawBody, limit: usize) -> std::result::Result<Bytes, String> {
    let mut body = body;
    let mut out = bytes::BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| e.to_string())?;
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > limit {
                return Err(format!("answer larger than {limit} bytes"));
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out.freeze())
}

/// Maps a non-success answer to its typed error; passes successes through.
pub(crate) fn check(method: &Method, path: &str, answer: Answer) -> Result<Answer> {
    if answer.status.is_success() || answer.status.is_redirection() {
        return Ok(answer);
    }
    if answer.status == StatusCode::NOT_FOUND {
        return Err(GithubError::NotFound {
            method: method.to_string(),
            path: path.to_string(),
        });
    }
    let message = serde_json::from_slice::<serde_json::Value>(&answer.body)
        .ok()
        .and_then(|v| {
            v.get("message")
                .and_then(|m| m.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| {
            String::from_utf8_lossy(&answer.body[..answer.body.len().min(500)]).into_owned()
        });
    Err(GithubError::Http {
        method: method.to_string(),
        path: path.to_string(),
        status: answer.status.as_u16(),
        message,
        request_id: answer
            .headers
            .get("x-github-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    })
}

fn decode<T: DeserializeOwned>(method: &Method, path: &str, body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| GithubError::Decode {
        method: method.to_string(),
        path: path.to_string(),
        message: e.to_string(),
    })
}

fn redact_strings(value: &mut serde_json::Value, redactor: &Redactor) {
    match value {
        serde_json::Value::String(s) => {
            if let std::borrow::Cow::Owned(clean) = redactor.redact(s) {
                *s = clean;
            }
        }
        serde_json::Value::Array(items) => {
            items.iter_mut().for_each(|v| redact_strings(v, redactor))
        }
        serde_json::Value::Object(map) => {
            map.values_mut().for_each(|v| redact_strings(v, redactor))
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secondary_limits_are_recognised_in_both_of_githubs_wordings() {
        let recorded = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/github/error-403-secondary-rate-limit.json"
        ))
        .unwrap();
        assert!(names_secondary_limit(&recorded));
        assert!(names_secondary_limit(
            r#"{"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}"#
        ));
        let primary = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/github/error-403-rate-limit.json"
        ))
        .unwrap();
        assert!(!names_secondary_limit(&primary), "{primary}");
        assert!(!names_secondary_limit(
            r#"{"message": "Resource not accessible by integration"}"#
        ));
    }
}
