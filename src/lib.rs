//! sglang-bot: the CI-watch and PR assistant bot for sglang's AMD CI.
pub use sglang_logs as logs;

/// Entry point of the binary; returns the process exit code.
pub fn run() -> i32 {
    0
}
