//! The bot's vocabulary as types: ids, names, commit hashes, states and instants.
//!
//! Text exists only at the edges (JSON from GitHub, markers in comments, flags); once read, a
//! job id is a [`JobId`] and cannot be passed where a run id is expected, a repository is a
//! parsed [`RepoName`], and a status GitHub invents tomorrow is an `Unknown` variant rather
//! than a failed tick. This is the lowest layer next to `logs`: it imports nothing of ours.

mod actions_url;
mod ids;
mod issue_ref;
pub mod lenient;
mod repo;
mod sha;
mod signature;
mod status;
mod time;

pub use actions_url::{parse_actions_url, web_hosts, ActionsTarget};
pub use ids::{CommentId, IssueNumber, JobId, ReactionId, RunId};
pub use issue_ref::IssueRef;
pub use repo::{RepoName, RepoNameError};
pub use sha::{CommitSha, CommitShaError};
pub use signature::{SignatureKey, SignatureKeyError};
pub use status::{Conclusion, IssueState, ReactionContent, RunStatus};
pub use time::{minute_text, Day};
