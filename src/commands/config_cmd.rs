//! `sglang-bot config`: what the bot would run with, and why.

use crate::cli::Format;
use crate::config::Resolved;

/// Prints the effective configuration (secrets appear only as `[REDACTED]` with their
/// source), or with `defaults` the commented sample to start a file from. `--format json`
/// gives the values alone (no secrets at all), for scripts: the deployment's workflows read
/// the monitored workflows from it, so `sglang-bot.toml` is their one list.
pub(crate) fn run(resolved: &Resolved, defaults: bool, format: Format) -> anyhow::Result<i32> {
    let text = match (defaults, format) {
        (true, _) => crate::config::defaults_sample(),
        (false, Format::Json) => format!("{}\n", serde_json::to_string_pretty(&resolved.config)?),
        (false, Format::Text) => resolved.to_annotated_toml(),
    };
    crate::output::print(&text)?;
    Ok(super::EXIT_OK)
}
