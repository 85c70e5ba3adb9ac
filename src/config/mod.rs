//! The effective configuration: built-in defaults ◄ `sglang-bot.toml` ◄ environment ◄ flags.
//!
//! The only reader of environment variables. One job per file: `schema` (the sections, their
//! defaults and [`Key`], the typed name of every leaf a variable or flag sets), `layers`
//! (the merge with per-key provenance, [`resolve`]), `env` (which variable sets which key and
//! how its text is parsed), `secrets` (tokens in each command's order, the agent's
//! allow-listed environment) and `render` (`sglang-bot config`'s annotated TOML). Everything
//! is re-exported here, so callers only ever name `crate::config::X`.

mod env;
mod layers;
mod render;
pub use render::defaults_sample;
mod schema;
mod secrets;

pub use env::{Environment, ProcessEnv};
pub use layers::{
    resolve, ConfigError, FlagInputs, FlagValue, Resolved, Source, DEFAULT_CONFIG_FILE,
};
pub use schema::{
    secs, BackendConfig, BackendKind, CiStatusConfig, Config, Destination, GithubConfig, Key, Kind,
    MonitorConfig, MonitorOutput, SummaryConfig, TrackedWorkflow, TrackerConfig, WatchConfig,
    Workflow, MIN_COMMENT_CHARS,
};
pub use secrets::{Secret, Secrets, TOKEN_VARS_BOT, TOKEN_VARS_DAILY_ISSUE, TOKEN_VARS_PR};

/// A fake environment for the configuration's tests.
#[cfg(test)]
fn test_env(pairs: &[(&str, &str)]) -> std::collections::HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
