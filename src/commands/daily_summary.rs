//! `sglang-bot daily-summary [--date D]`: the cross-workflow summary in the daily issue's body;
//! also run in-process by a monitor that handled every monitored workflow.

use std::time::Duration;

use anyhow::Result;
use chrono::NaiveDate;

use super::{github_client, require_bot_repo, require_token, EXIT_OK};
use crate::analysis::{Backend, SummaryLimits};
use crate::cli::Format;
use crate::config::Config;
use crate::domain::Day;
use crate::github::Client;
use crate::redact::Redactor;
use crate::summary::{self, Options, Outcome, Prepared, Report};

/// The summary's options from the configuration, for `date` (today when `None`).
pub(crate) fn options(config: &Config, date: Option<NaiveDate>) -> Result<Options> {
    let today = config.now().date_naive();
    let date = date.unwrap_or(today);
    Ok(Options {
        bot_repo: require_bot_repo(config)?.clone(),
        upstream: config.github.target_repo.clone(),
        workflows: config
            .monitor
            .workflows
            .iter()
            .map(|w| w.file.clone())
            .collect(),
        label: config.monitor.daily_label.clone(),
        branch: config.monitor.branch.clone(),
        date: Day::from(date),
        is_today: date == today,
        snapshot: config.now().format("%Y-%m-%d %H:%M UTC").to_string(),
        limits: SummaryLimits {
            max_turns: config.summary.max_turns,
            timeout: Duration::from_secs(config.summary.timeout_secs),
            max_tokens: config.summary.max_tokens,
        },
    })
}

/// Runs the command and prints what it did (the body it would write under `--dry-run`, the
/// whole report with `--format json`). A failed publish is an error: exit 1 with the reason.
/// The backend chain is built only when the inputs changed (no agent probe or checkout fetch
/// for a run that writes nothing).
pub(crate) async fn run(config: &Config, date: Option<NaiveDate>, format: Format) -> Result<i32> {
    require_token(config)?;
    let options = options(config, date)?;
    let client = github_client(config)?;
    let report = match summary::prepare(&client, &options).await? {
        Prepared::Done(report) => report,
        Prepared::Needed(pending) => {
            let analyst = super::backends::analyst_for(config).await?;
            summary::finish(&client, analyst.as_ref(), &options, pending).await?
        }
    };
    log(&report);
    let redactor = Redactor::new(config.secrets.values());
    match format {
        Format::Json => {
            let json = serde_json::json!({
                "report": report,
                "planned_writes": client.planned_writes(),
            });
            crate::output::println(&redactor.redact(&serde_json::to_string_pretty(&json)?))?;
        }
        Format::Text if config.dry_run => {
            if let (Some(body), true) = (&report.body, report.patched) {
                crate::output::print(&redactor.redact(&format!(
                    "Would write this body into {}#{}:\n{body}\n",
                    options.bot_repo,
                    report.issue.map_or(0, |n| n.get())
                )))?;
            }
        }
        Format::Text => {}
    }
    Ok(EXIT_OK)
}

/// The monitor's hook: the summary of `date` with the monitor's client and backends. Its
/// errors are the caller's to log; they never fail the monitor.
pub(crate) async fn in_process(
    config: &Config,
    client: &Client,
    analyst: &dyn Backend,
    date: NaiveDate,
) -> Result<Report> {
    let options = options(config, Some(date))?;
    let report = summary::run(client, analyst, &options).await?;
    log(&report);
    Ok(report)
}

fn log(report: &Report) {
    let issue = report.issue.map_or_else(String::new, |n| format!(" #{n}"));
    match report.outcome {
        Outcome::NoIssue => tracing::info!("daily summary {}: no daily issue", report.date),
        Outcome::NoAnalyses => {
            tracing::info!(
                "daily summary {}{issue}: no analyses, nothing written",
                report.date
            )
        }
        Outcome::Unchanged => {
            tracing::info!("daily summary {}{issue}: unchanged", report.date)
        }
        Outcome::Published => tracing::info!(
            "daily summary {}{issue}: {} by {}{}",
            report.date,
            if report.patched {
                "written"
            } else {
                "already up to date"
            },
            report.producer.as_deref().unwrap_or("?"),
            if report.repaired {
                " (extra blocks removed)"
            } else {
                ""
            }
        ),
    }
    if let Some(c) = &report.cleanup {
        if !c.deleted.is_empty() {
            tracing::info!("deleted {} legacy summary comment(s)", c.deleted.len());
        }
    }
}
