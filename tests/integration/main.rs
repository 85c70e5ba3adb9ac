//! Integration tests: the real `sglang-bot` binary, run as a user or a workflow would.
//! One test crate (faster to link than one per file); scenarios live in the submodules.

// A test binary has no public API: `pub` here only shares helpers between its modules.
#![allow(unreachable_pub)]

mod agent_backend;
mod analyze_log;
mod analyze_url;
mod api_backend;
mod ci_status;
mod claude_cli;
mod cli;
mod config;
mod daily_issue;
mod daily_summary;
mod dashboard;
mod deployment;
mod failure_tracker;
mod github_client;
mod guards_doc;
mod harness;
mod layers;
mod monitor;
mod monitor_guards;
mod rate_limits;
mod review_pr;
mod secrets;
mod thirty_days;
mod upstream;
mod watch;
mod where_and_since;
mod workspace;
