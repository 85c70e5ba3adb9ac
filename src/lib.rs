//! sglang-bot: the CI-watch and PR assistant bot for sglang's AMD CI.
//!
//! Library first: `main.rs` only calls [`run`]. The modules form layers, each importing only
//! from lower ones (the README draws the table; `tests/integration/layers.rs` holds it):
//! `logs` (re-exported from the `sglang-logs` crate), `domain` and `report` are pure; `http`
//! owns retries; `github` is the only code that talks to GitHub; `commands` orchestrates.

pub use sglang_logs as logs;

pub mod analysis;
pub mod cli;
pub mod commands;
pub mod config;
pub mod daily_issue;
pub mod domain;
pub mod error;
pub mod fsutil;
pub mod github;
pub mod http;
pub mod limits;
pub mod logging;
pub mod monitor;
pub mod output;
pub mod progress;
pub mod redact;
pub mod report;
mod run;
pub mod state;
pub mod summary;
pub mod tracker;
pub mod watch;
pub mod workspace;

pub use run::run;
