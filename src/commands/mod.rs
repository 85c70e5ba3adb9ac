//! One module per subcommand: thin orchestration of the library modules.

use crate::cli::{Cli, Command};
use crate::config::Resolved;

mod config_cmd;

/// Exit code: success, or every item handled (failures found are reported, not errors).
pub const EXIT_OK: i32 = 0;
/// Exit code: some items could not be handled, or the command failed.
pub const EXIT_FAILURE: i32 = 1;
/// Exit code: bad usage, bad configuration or input, or a command not implemented yet.
pub const EXIT_USAGE: i32 = 2;

/// An error caused by what the user asked for (flags, config, input): exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Runs the parsed command; the returned number is the process exit code.
pub async fn execute(cli: &Cli, resolved: &Resolved) -> anyhow::Result<i32> {
    match &cli.command {
        Command::Config => config_cmd::run(resolved),
        Command::Completions(args) => {
            use clap::CommandFactory;
            let mut cmd = Cli::command();
            clap_complete::generate(args.shell, &mut cmd, "sglang-bot", &mut std::io::stdout());
            Ok(EXIT_OK)
        }
        other => Err(UsageError(format!("{} is not implemented yet", other.name())).into()),
    }
}
