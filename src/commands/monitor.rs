//! `sglang-bot monitor`: one tick of the CI monitor.

use std::io::Write;

use anyhow::{Context, Result};

use super::{github_client, require_token, EXIT_FAILURE, EXIT_OK};
use crate::analysis::Backend;
use crate::cli::Format;
use crate::config::{Config, MonitorOutput};
use crate::monitor::tick::{run_tick, TickReport};
use crate::redact::Redactor;

/// Next to the state cache: ETags and bodies of the last tick's reads.
pub const HTTP_CACHE_FILE: &str = "http_cache.json";

/// What this process's tick covers.
#[derive(Debug, Clone, Copy)]
pub struct Scope {
    /// This process watched every monitored workflow (no `--workflows` subset), so the daily
    /// summary may be rebuilt in-process after the tick.
    pub handles_all: bool,
    /// `--date`: the day whose issue gets the reports (default today).
    pub day: Option<chrono::NaiveDate>,
}

/// Runs one tick with `analyst` and reports it: the parts on stdout in stdout mode, a JSON
/// summary with `--format json`, and the workflow outputs when running in GitHub Actions.
pub async fn run(
    config: &Config,
    format: Format,
    analyst: &dyn Backend,
    scope: Scope,
) -> Result<i32> {
    let handles_all = scope.handles_all;
    if let Some(day) = scope.day {
        let today = config.now().date_naive();
        if day != today && Some(day) != today.pred_opt() {
            return Err(super::UsageError(format!(
                "--date {day}: a tick writes to today's ({today}) or yesterday's issue"
            ))
            .into());
        }
    }
    require_token(config)?;
    let client = github_client(config)?;
    // The previous tick's ETags: unchanged reads come back 304, free of rate limit.
    let http_cache = config.monitor.state_file.with_file_name(HTTP_CACHE_FILE);
    let loaded = client.load_http_cache(&http_cache);
    tracing::debug!(
        "{loaded} cached answers loaded from {}",
        http_cache.display()
    );
    let report = run_tick(config, &client, analyst, scope.day).await?;
    if config.monitor.output == MonitorOutput::DailyIssue {
        if let Err(e) = client.save_http_cache(&http_cache) {
            tracing::warn!("cannot save {}: {e}", http_cache.display());
        }
    }
    let redactor = Redactor::new(config.secrets.values());
    match format {
        Format::Json => crate::output::println(
            &redactor.redact(&serde_json::to_string_pretty(&json_summary(&report))?),
        )?,
        Format::Text => {
            // A dry run shows what it would have posted.
            if config.monitor.output == MonitorOutput::Stdout || config.dry_run {
                for wf in report.workflows.iter().filter(|w| !w.parts.is_empty()) {
                    let mut text = format!(
                        "\n{}\n{}\n",
                        "=".repeat(60),
                        redactor.redact(&wf.parts.join("\n\n"))
                    );
                    if let Some(cross_run) = &wf.cross_run {
                        text.push_str(&format!("\n{}\n", redactor.redact(cross_run)));
                    }
                    crate::output::print(&text)?;
                }
            }
        }
    }
    for w in &report.warnings {
        tracing::warn!("{w}");
    }
    tracing::info!("{}", last_line(&report));
    if crate::monitor::summary_due(config, &report) {
        summary_hook(config, &client, analyst, &report, handles_all).await;
    }
    if let Some(path) = &config.github_output {
        append(path, &github_outputs(&report)).context("cannot write $GITHUB_OUTPUT")?;
    }
    if let Some(path) = &config.step_summary {
        append(path, &step_summary(&report)).context("cannot write $GITHUB_STEP_SUMMARY")?;
    }
    Ok(if report.incomplete() {
        EXIT_FAILURE
    } else {
        EXIT_OK
    })
}

/// The tick's last log line, one format whatever happened (`scripts/bench-tick` reads it).
pub fn last_line(report: &TickReport) -> String {
    let stats = &report.requests;
    format!(
        "Done. {} with new failures, {} could not be handled, {} writes deferred; {} API requests ({} answered from cache), {} writes, {} log bytes.",
        report.failure_count(),
        report.unhandled_count(),
        report.deferred_writes(),
        stats.requests,
        stats.not_modified,
        stats.writes,
        stats.log_bytes
    )
}

/// Rebuilds the daily summary after a tick that published new analyses, only when this
/// process watched every monitored workflow: a matrix job (`--workflows` subset) leaves it to
/// the finalize job's `daily-summary --date`. Its failures are logged, never the monitor's.
async fn summary_hook(
    config: &Config,
    client: &crate::github::Client,
    analyst: &dyn Backend,
    report: &TickReport,
    handles_all: bool,
) {
    if !handles_all {
        tracing::info!(
            "daily summary not rebuilt here: this process watched only some workflows (the finalize job runs `daily-summary --date`)"
        );
        return;
    }
    let Ok(date) = chrono::NaiveDate::parse_from_str(&report.date, "%Y-%m-%d") else {
        tracing::warn!(
            "daily summary skipped: the tick's date {:?} is not a date",
            report.date
        );
        return;
    };
    if let Err(e) = super::daily_summary::in_process(config, client, analyst, date).await {
        tracing::warn!("the daily summary failed: {e:#}; the monitor's result is unaffected");
    }
}

fn append(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?
        .write_all(text.as_bytes())
}

/// `has_failures` and `failure_count` lines for `$GITHUB_OUTPUT`.
pub fn github_outputs(report: &TickReport) -> String {
    let n = report.failure_count();
    if n == 0 {
        "has_failures=false\n".into()
    } else {
        format!("has_failures=true\nfailure_count={n}\n")
    }
}

/// A Markdown table of what the tick did, for the workflow run's summary page.
pub fn step_summary(report: &TickReport) -> String {
    let mut out = format!("### CI monitor tick — {}\n\n", report.date);
    if let Some(n) = report.issue {
        out.push_str(&format!("Daily issue: #{n}\n\n"));
    }
    out.push_str("| Workflow | Runs | New analyses | Failed analyses | Skipped | Running | Status |\n|---|---|---|---|---|---|---|\n");
    for w in &report.workflows {
        let skipped: Vec<String> = w.skipped.iter().map(|(k, v)| format!("{v} {k}")).collect();
        let status = match &w.error {
            Some(e) => format!("❌ {}", e.replace('|', "\\|").replace('\n', " ")),
            None if w.deferred_writes > 0 => {
                format!(
                    "⏸ {} write(s) deferred to the next tick (rate limit)",
                    w.deferred_writes
                )
            }
            None if !w.frozen.is_empty() => {
                format!("⚠️ left {} unreadable comment(s) untouched", w.frozen.len())
            }
            None => "✅".into(),
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} | {} |\n",
            w.workflow,
            w.runs,
            w.analysed.len(),
            w.failed.len(),
            if skipped.is_empty() {
                "–".into()
            } else {
                skipped.join(", ")
            },
            w.pending,
            status
        ));
    }
    let s = &report.requests;
    out.push_str(&format!(
        "\n{} API requests ({} answered 304 from cache, {} retries), {} writes, {} bytes of logs streamed.\n",
        s.requests, s.not_modified, s.retries, s.writes, s.log_bytes
    ));
    out
}

fn json_summary(report: &TickReport) -> serde_json::Value {
    serde_json::json!({
        "date": report.date,
        "issue": report.issue,
        "requests": report.requests,
        "warnings": report.warnings,
        "workflows": report.workflows.iter().map(|w| serde_json::json!({
            "workflow": w.workflow,
            "runs": w.runs,
            "analysed": w.analysed,
            "failed": w.failed.iter().map(|(id, name, why)| serde_json::json!({"job_id": id, "job_name": name, "error": why})).collect::<Vec<_>>(),
            "skipped": w.skipped,
            "pending": w.pending,
            "created": w.written.created,
            "updated": w.written.updated,
            "deleted": w.written.deleted,
            "frozen": w.frozen,
            "deferred_writes": w.deferred_writes,
            "error": w.error,
        })).collect::<Vec<_>>(),
    })
}
