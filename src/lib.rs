//! sglang-bot: the CI-watch and PR assistant bot for sglang's AMD CI.
//!
//! Library first: `main.rs` only calls [`run`]. `logs` (re-exported from the `sglang-logs`
//! crate) and `report` are pure; `github` is the only HTTP code; `commands` orchestrates.

pub use sglang_logs as logs;

pub mod analysis;
pub mod cli;
pub mod commands;
pub mod config;
pub mod daily_issue;
pub mod github;
pub mod logging;
pub mod monitor;
pub mod progress;
pub mod redact;
pub mod report;
pub mod state;
pub mod workspace;

use clap::Parser;

/// Entry point of the binary: parses arguments, resolves configuration, runs one command and
/// returns the process exit code (0 ok, 1 failure, 2 usage or configuration error).
pub fn run() -> i32 {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                commands::EXIT_USAGE
            } else {
                commands::EXIT_OK
            };
        }
    };
    let resolved = match config::resolve(&cli.flag_inputs(), &config::ProcessEnv) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return commands::EXIT_USAGE;
        }
    };
    let redactor = redact::Redactor::new(resolved.config.secrets.values());
    logging::init(
        cli.global.verbose,
        cli.global.quiet,
        cli.global.log_format,
        redactor.clone(),
    );
    progress::init(cli.global.quiet == 0 && cli.global.log_format == cli::LogFormat::Text);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return commands::EXIT_FAILURE;
        }
    };
    match runtime.block_on(commands::execute(&cli, &resolved)) {
        Ok(code) => code,
        Err(e) => {
            let message = format!("{e:#}");
            eprintln!("error: {}", redactor.redact(&message));
            if e.downcast_ref::<commands::UsageError>().is_some() {
                commands::EXIT_USAGE
            } else {
                commands::EXIT_FAILURE
            }
        }
    }
}
