//! Errors of the GitHub layer: typed where callers branch on them.

use std::time::Duration;

/// What can go wrong talking to GitHub. Callers branch on `NotFound`, `LogsExpired` and
/// `BodyTooLarge`; the rest is reported with its context.
#[derive(Debug, thiserror::Error)]
pub enum GithubError {
    /// 404 on an endpoint where absence is a normal answer to check for.
    #[error("not found: {method} {path}")]
    NotFound { method: String, path: String },
    /// The job's log is gone (GitHub keeps logs for a limited time): 404/410 on the logs endpoint.
    #[error("the log of job {job_id} has expired or been deleted (HTTP {status})")]
    LogsExpired {
        job_id: crate::domain::JobId,
        status: u16,
    },
    /// GitHub rejects issue and comment bodies over 65,536 characters; we refuse before sending.
    #[error("body of {chars} characters exceeds GitHub's limit of {limit}")]
    BodyTooLarge { chars: usize, limit: usize },
    /// A rate limit whose reset lies further away than we are willing to wait.
    #[error(
        "rate limited on {method} {path}; reset in {wait:?}, longer than the {max_wait:?} we wait"
    )]
    RateLimited {
        method: String,
        path: String,
        wait: Duration,
        max_wait: Duration,
    },
    /// Any other non-success answer, with what GitHub said.
    #[error("GitHub answered {status} to {method} {path}: {message}{}", request_id.as_deref().map(|id| format!(" (request id {id})")).unwrap_or_default())]
    Http {
        method: String,
        path: String,
        status: u16,
        message: String,
        request_id: Option<String>,
    },
    /// The request never got an HTTP answer (connection refused, reset, timeout, TLS).
    #[error("{method} {path} failed: {message}")]
    Transport {
        method: String,
        path: String,
        message: String,
    },
    /// The answer was not the JSON we expected.
    #[error("could not decode the answer to {method} {path}: {message}")]
    Decode {
        method: String,
        path: String,
        message: String,
    },
    /// A configuration problem found when building the client (bad base URL, bad token).
    #[error("GitHub client configuration: {0}")]
    Config(String),
}

impl GithubError {
    /// The HTTP status GitHub answered, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            GithubError::NotFound { .. } => Some(404),
            GithubError::LogsExpired { status, .. } => Some(*status),
            GithubError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Shorthand used across the GitHub layer.
pub type Result<T, E = GithubError> = std::result::Result<T, E>;
