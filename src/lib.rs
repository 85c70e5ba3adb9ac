//! sglang-bot: the CI-watch and PR assistant bot for sglang's AMD CI.
pub use sglang_logs as logs;

pub mod github;
pub mod redact;

/// Entry point of the binary; returns the process exit code.
pub fn run() -> i32 {
    0
}
