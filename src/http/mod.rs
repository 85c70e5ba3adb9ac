//! The lowest HTTP layer, shared by every caller that talks to a server: GitHub's REST API, the
//! log blobs behind GitHub's 302, the LLM gateway and comment posting.
//!
//! It knows nothing of those callers (it imports only `error`, `limits`, `redact` and `domain`
//! from the crate): each one hands the driver an attempt and a way to read its result.

mod cause;
pub mod retry;
mod retrying;

pub use cause::describe;
pub use retry::{Decision, Idempotency, Outcome, RetryPolicy};
pub use retrying::{Failed, Retrying};
