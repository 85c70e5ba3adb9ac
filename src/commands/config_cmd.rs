//! `sglang-bot config`: what the bot would run with, and why.

use crate::config::Resolved;

/// Prints the effective configuration (secrets appear only as `[REDACTED]` with their
/// source), or with `defaults` the commented sample to start a file from.
pub(crate) fn run(resolved: &Resolved, defaults: bool) -> anyhow::Result<i32> {
    let text = if defaults {
        crate::config::defaults_sample()
    } else {
        resolved.to_annotated_toml()
    };
    crate::output::print(&text)?;
    Ok(super::EXIT_OK)
}
