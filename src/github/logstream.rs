//! Streaming job logs: GitHub answers the logs endpoint with a 302 to short-lived blob
//! storage; we follow it ourselves, without the Authorization header, and hand the body on as
//! a stream of chunks so no log is ever held whole.

use std::io;
use std::pin::Pin;

use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use http::{Method, StatusCode};
use http_body_util::BodyExt;

use super::client::{Call, Client};
use super::error::{GithubError, Result};
use crate::domain::{JobId, RepoName};
use crate::http::{Failed, Idempotency, Outcome, Retrying};

/// A job log being downloaded. Read it chunk by chunk ([`LogStream::next_chunk`]) or as an
/// `AsyncRead` ([`LogStream::into_async_read`]).
pub struct LogStream {
    chunks: Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>,
    client: Client,
    /// Stall guard: the longest wait for one chunk.
    idle_timeout: std::time::Duration,
}

impl std::fmt::Debug for LogStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogStream").finish_non_exhaustive()
    }
}

impl LogStream {
    /// The next chunk of the log; `None` at the end. A stalled transfer is an error, never a hang.
    pub async fn next_chunk(&mut self) -> Option<io::Result<Bytes>> {
        match tokio::time::timeout(self.idle_timeout, self.chunks.next()).await {
            Ok(Some(Ok(chunk))) => {
                self.client.add_log_bytes(chunk.len() as u64);
                Some(Ok(chunk))
            }
            Ok(other) => other,
            Err(_) => Some(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the log download stalled",
            ))),
        }
    }

    /// The log as an `AsyncRead`, for line-oriented consumers.
    pub fn into_async_read(self) -> impl tokio::io::AsyncRead + Send + Unpin {
        let client = self.client;
        let counted = self
            .chunks
            .inspect_ok(move |c| client.add_log_bytes(c.len() as u64));
        tokio_util::io::StreamReader::new(counted)
    }
}

impl Client {
    /// Opens the log of `job_id` in `repo` for streaming. 404/410 mean the log has expired or
    /// was deleted and come back as [`GithubError::LogsExpired`].
    pub async fn job_log(&self, repo: &RepoName, job_id: JobId) -> Result<LogStream> {
        let path = format!("/repos/{repo}/actions/jobs/{job_id}/logs");
        let call = Call::get(path.clone());
        let response = self.send_with_retries(&call, None).await?;
        let status = response.status();
        if status == StatusCode::NOT_FOUND || status == StatusCode::GONE {
            return Err(GithubError::LogsExpired {
                job_id,
                status: status.as_u16(),
            });
        }
        if status.is_redirection() {
            let location = response
                .headers()
                .get(http::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| GithubError::Decode {
                    method: "GET".into(),
                    path: path.clone(),
                    message: "redirect without a Location".into(),
                })?
                .to_string();
            return self.blob_stream(&location, job_id).await;
        }
        if status.is_success() {
            // Some GitHub Enterprise versions serve the log directly.
            let chunks = response
                .into_body()
                .into_data_stream()
                .map_err(|e| io::Error::other(e.to_string()));
            return Ok(self.wrap(chunks));
        }
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        Err(super::client::check(
            &Method::GET,
            &path,
            super::client::Answer {
                status: parts.status,
                headers: parts.headers,
                body,
            },
        )
        .err()
        .unwrap_or(GithubError::Http {
            method: "GET".into(),
            path,
            status: status.as_u16(),
            message: "unexpected answer".into(),
            request_id: None,
        }))
    }

    /// Downloads the signed blob URL. No Authorization header: the URL carries its own
    /// signature, and the token must not reach the storage host.
    async fn blob_stream(&self, url: &str, job_id: JobId) -> Result<LogStream> {
        let expired =
            |status: StatusCode| status == StatusCode::NOT_FOUND || status == StatusCode::GONE;
        let policy = self.retry_policy();
        let result = Retrying::new(
            &policy,
            Idempotency::Safe,
            format!("log blob of job {job_id}"),
        )
        .run(
            || self.blob_client().get(url).send(),
            |result| match result {
                Ok(r) if r.status().is_success() || expired(r.status()) => None,
                Ok(r) => Some(Failed::new(
                    Outcome::answer(r.status().as_u16(), None),
                    format!("blob storage answered {}", r.status()),
                )),
                Err(e) => Some(Failed::new(Outcome::Transport, without_url(e))),
            },
        )
        .await;
        let message = match result {
            Ok(r) if r.status().is_success() => {
                let chunks = r.bytes_stream().map_err(io::Error::other);
                return Ok(self.wrap(chunks));
            }
            Ok(r) if expired(r.status()) => {
                return Err(GithubError::LogsExpired {
                    job_id,
                    status: r.status().as_u16(),
                })
            }
            Ok(r) => format!("blob storage answered {}", r.status()),
            Err(e) => without_url(&e),
        };
        Err(GithubError::Transport {
            method: "GET".into(),
            path: format!("log blob of job {job_id}"),
            message,
        })
    }

    fn wrap(&self, chunks: impl Stream<Item = io::Result<Bytes>> + Send + 'static) -> LogStream {
        LogStream {
            chunks: Box::pin(chunks),
            client: self.clone(),
            idle_timeout: self.request_timeout(),
        }
    }
}

/// A transport error without the blob's URL: its query string is a signature that lets anyone
/// read the log, so it stays out of logs and reports.
fn without_url(e: &reqwest::Error) -> String {
    let text = e.to_string();
    match e.url() {
        Some(url) => text.replace(url.as_str(), "the log blob"),
        None => text,
    }
}
