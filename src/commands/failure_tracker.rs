//! `sglang-bot failure-tracker`: updates each tracked workflow's failure tracker upstream from
//! the day's report issue (`--date` picks the day, and the day merged into).

use anyhow::Result;

use super::{github_client, require_bot_repo, require_token, EXIT_FAILURE, EXIT_OK};
use crate::analysis::Backend;
use crate::cli::{FailureTrackerArgs, Format};
use crate::config::Config;
use crate::domain::Day;
use crate::redact::Redactor;
use crate::tracker::{run as run_tracker, Job, Report};

/// Runs the tracker; exit 1 when any workflow's tracker was not updated (after all of them).
pub(super) async fn run(
    config: &Config,
    args: &FailureTrackerArgs,
    format: Format,
    analyst: &dyn Backend,
) -> Result<i32> {
    require_token(config)?;
    let bot_repo = require_bot_repo(config)?;
    let client = github_client(config)?;
    let now = config.now();
    let today = now.date_naive();
    let date = args.date.unwrap_or(today);
    let job = Job {
        config,
        client: &client,
        analyst,
        bot_repo,
        day: Day::from(date),
        is_today: date == today,
        updated: now.format("%Y-%m-%d %H:%M UTC").to_string(),
    };
    let report = run_tracker(&job).await?;
    print(&report, format, config)?;
    let failed: Vec<&str> = report
        .workflows
        .iter()
        .filter(|w| w.error.is_some())
        .map(|w| w.workflow.as_str())
        .collect();
    if failed.is_empty() {
        Ok(EXIT_OK)
    } else {
        tracing::error!("tracker not updated for: {}", failed.join(", "));
        Ok(EXIT_FAILURE)
    }
}

/// Text: one line per workflow (and the pages in a dry run); JSON: everything rendered.
fn print(report: &Report, format: Format, config: &Config) -> Result<()> {
    let redactor = Redactor::new(config.secrets.values());
    if format == Format::Json {
        let json = serde_json::to_string_pretty(report)?;
        crate::output::println(&redactor.redact(&json))?;
        return Ok(());
    }
    for w in &report.workflows {
        let target = w
            .issue
            .map_or("(new tracker)".to_string(), |n| format!("issue #{n}"));
        let what = match (&w.error, w.changed, config.dry_run) {
            (Some(e), _, _) => format!("not updated: {e}"),
            (None, false, _) => "unchanged".to_string(),
            (None, true, true) => "would be updated (dry run)".to_string(),
            (None, true, false) => "updated".to_string(),
        };
        crate::output::println(&format!("{} → {target}: {what}", w.workflow))?;
        if config.dry_run && w.changed {
            for page in w.body.iter().chain(&w.comments) {
                crate::output::println(&redactor.redact(page))?;
            }
        }
    }
    Ok(())
}
