//! `sglang-bot ensure-daily-issue`: make sure today's report issue exists.

use anyhow::Result;

use super::{github_client, require_bot_repo, require_token, today, EXIT_OK};
use crate::config::Config;
use crate::daily_issue::{self, Resolution};
use crate::domain::IssueRef;

/// Prints `Created daily issue #N for DATE` or `Found daily issue #N for DATE`.
pub(crate) async fn run(config: &Config) -> Result<i32> {
    require_token(config)?;
    let bot_repo = require_bot_repo(config)?;
    let client = github_client(config)?;
    let date = today(config);
    let workflows: Vec<String> = config
        .monitor
        .workflows
        .iter()
        .map(|w| w.file.clone())
        .collect();
    let (issue, how) = daily_issue::find_or_create(
        &client,
        bot_repo,
        &config.monitor.daily_label,
        &date,
        &config.github.target_repo,
        &workflows,
    )
    .await?;
    let said = match (how, issue) {
        (_, IssueRef::Planned) => format!("Would create the daily issue for {date} (dry run)"),
        (Resolution::Found, IssueRef::Existing(n)) => format!("Found daily issue #{n} for {date}"),
        (Resolution::Created, IssueRef::Existing(n)) => {
            format!("Created daily issue #{n} for {date}")
        }
        (Resolution::LostRace { closed }, IssueRef::Existing(n)) => {
            format!("Found daily issue #{n} for {date} (closed our duplicate #{closed})")
        }
    };
    crate::output::println(&said)?;
    Ok(EXIT_OK)
}
