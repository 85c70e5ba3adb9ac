//! One module per subcommand: thin orchestration of the library modules.

use std::time::Duration;

use crate::cli::{Cli, Command};
use crate::config::{Config, Resolved};
use crate::domain::RepoName;
use crate::github::{Client, ClientOptions, RetryPolicy};
use crate::redact::Redactor;

mod analyze_log;
mod analyze_url;
mod backends;
mod ci_status;
mod config_cmd;
mod daily_summary;
mod dashboard;
mod ensure_daily_issue;
mod failure_tracker;
mod log_input;
pub mod monitor;
mod pr_comment;
mod pr_coverage;
mod pull;
mod review_pr;
mod watch;

pub use crate::error::{UsageError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE};

/// Runs the parsed command; the returned number is the process exit code.
pub async fn execute(cli: &Cli, resolved: &Resolved) -> anyhow::Result<i32> {
    match &cli.command {
        Command::Config(args) => config_cmd::run(resolved, args.defaults, cli.global.format),
        Command::EnsureDailyIssue(_) => ensure_daily_issue::run(&resolved.config).await,
        Command::AnalyzeLog(args) => analyze_log::run(
            args,
            cli.global.format,
            &Redactor::new(resolved.config.secrets.values()),
        ),
        Command::AnalyzeUrl(args) => {
            analyze_url::run(args, &resolved.config, cli.global.format).await
        }
        Command::Monitor(args) => {
            let analyst = backends::analyst_for(&resolved.config).await?;
            // A `--workflows` list makes this process one of several (a matrix job).
            let handles_all = args.workflows.is_none();
            monitor::run(
                &resolved.config,
                cli.global.format,
                analyst.as_ref(),
                monitor::Scope {
                    handles_all,
                    day: args.date,
                },
            )
            .await
        }
        Command::DailySummary(args) => {
            daily_summary::run(&resolved.config, args.date, cli.global.format).await
        }
        Command::FailureTracker(args) => {
            let analyst = backends::analyst_for(&resolved.config).await?;
            failure_tracker::run(&resolved.config, args, cli.global.format, analyst.as_ref()).await
        }
        Command::CiStatus(args) => ci_status::run(args, &resolved.config, cli.global.format).await,
        Command::ReviewPr(args) => review_pr::run(args, &resolved.config, cli.global.format).await,
        Command::Watch(args) => watch::run(args, &resolved.config).await,
        Command::Dashboard(args) => dashboard::run(args, &resolved.config).await,
        Command::Completions(args) => {
            use clap::CommandFactory;
            let mut cmd = Cli::command();
            let mut script = Vec::new();
            clap_complete::generate(args.shell, &mut cmd, "sglang-bot", &mut script);
            crate::output::print(&String::from_utf8_lossy(&script))?;
            Ok(EXIT_OK)
        }
    }
}

/// The GitHub client every command uses, built from the configuration.
pub fn github_client(config: &Config) -> anyhow::Result<Client> {
    let retry = RetryPolicy {
        max_attempts: config.github.max_attempts.max(1),
        base_delay: Duration::from_millis(config.github.retry_base_delay_ms),
        max_delay: Duration::from_secs(30)
            .max(Duration::from_millis(config.github.retry_base_delay_ms)),
        max_rate_limit_wait: Duration::from_secs(config.github.max_rate_limit_wait_secs),
        secondary_wait: Duration::from_secs(config.github.secondary_wait_secs),
    };
    Ok(Client::new(ClientOptions {
        api_url: config.github.api_url.clone(),
        token: config
            .secrets
            .github_token
            .as_ref()
            .map(|s| s.expose().to_string()),
        user_agent: config.github.user_agent.clone(),
        request_timeout: Duration::from_secs(config.github.request_timeout_secs),
        connect_timeout: Duration::from_secs(config.github.connect_timeout_secs),
        retry,
        dry_run: config.dry_run,
        redactor: Redactor::new(config.secrets.values()),
    })?)
}

/// A command that writes to GitHub needs a token: fail before any request without one.
pub fn require_token(config: &Config) -> anyhow::Result<()> {
    if config.secrets.github_token.is_none() {
        return Err(UsageError(
            "no GitHub token: set BOT_PAT, GH_PAT or GITHUB_TOKEN, or pass --github-token".into(),
        )
        .into());
    }
    Ok(())
}

/// The bot repository, required by commands that write the daily issue.
pub fn require_bot_repo(config: &Config) -> anyhow::Result<&RepoName> {
    config.github.bot_repo.as_ref().ok_or_else(|| {
        UsageError("no bot repository: set BOT_REPO or pass --bot-repo".into()).into()
    })
}

/// Today's date (UTC), fixed once per command run.
pub fn today(config: &Config) -> String {
    config.now().format("%Y-%m-%d").to_string()
}
