//! `sglang-bot config`: what the bot would run with, and why.

use crate::config::Resolved;

/// Prints the effective configuration; secrets appear only as `[REDACTED]` with their source.
pub(crate) fn run(resolved: &Resolved) -> anyhow::Result<i32> {
    crate::output::print(&resolved.to_annotated_toml())?;
    Ok(super::EXIT_OK)
}
