//! The only code that speaks HTTP to GitHub. See `client.rs` for the policy (retries, rate
//! limits, ETags, pagination, the write gate) and `api.rs` for the calls the bot makes.

mod api;
mod client;
mod error;
mod etag_cache;
mod link;
mod logstream;
pub mod models;
mod pacer;
mod wire;

/// Part of [`ClientOptions`]; the policy itself lives in `crate::http`.
pub use crate::http::RetryPolicy;
pub use api::{IssueFilter, IssuePatch, NewIssue, RunFilter};
pub use client::{Client, ClientOptions, PlannedWrite, RequestStats, MAX_BODY_CHARS};
pub use error::{GithubError, Result};
pub use logstream::LogStream;
