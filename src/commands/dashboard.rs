//! `sglang-bot dashboard --out DIR [--days 30]`: reads the daily issues of the window, each
//! monitored workflow's scheduled runs and the trackers, and writes `index.html` (everything
//! inlined, opens from disk) and `data.json` (the same data, for scripts). Reads only; the
//! client's conditional requests make a re-run nearly free.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use chrono::{Days, NaiveDate};

use super::{github_client, require_bot_repo, require_token, EXIT_OK};
use crate::cli::DashboardArgs;
use crate::config::Config;
use crate::domain::{Conclusion, RepoName};
use crate::github::{Client, RunFilter};
use crate::report::dashboard::build::{build, since_of, DayReport, Inputs, RunSeen, TrackerSeen};
use crate::report::dashboard::data::SinceWhen;
use crate::report::dashboard::html;
use crate::report::sections::failed_tests;

/// The dashboard's ETag cache, beside the monitor's state (never in the published directory).
const HTTP_CACHE_FILE: &str = "dashboard_http_cache.json";

/// Runs the command: exit 0 once both files are written.
pub(crate) async fn run(args: &DashboardArgs, config: &Config) -> Result<i32> {
    require_token(config)?;
    let bot_repo = require_bot_repo(config)?;
    let client = github_client(config)?;
    // The last build's ETags: what did not change since comes back 304, free of rate limit.
    let http_cache = config.monitor.state_file.with_file_name(HTTP_CACHE_FILE);
    client.load_http_cache(&http_cache);
    let login = client
        .authenticated_user()
        .await
        .context("cannot tell which account the bot is (GET /user)")?
        .login;
    let today = config.now().date_naive();
    let first = today
        .checked_sub_days(Days::new(u64::from(args.days - 1)))
        .context("--days reaches before the calendar")?;
    let workflows: Vec<(String, String)> = config
        .monitor
        .workflows
        .iter()
        .map(|w| (w.file.clone(), w.name.clone()))
        .collect();
    let (reports, since) = day_reports(&client, config, bot_repo, &login, first, today).await?;
    let runs = runs(&client, config, first).await?;
    let trackers = trackers(&client, config, &login).await;
    let generated_at = config.now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let target = config.github.target_repo.to_string();
    let dashboard = build(&Inputs {
        generated_at: &generated_at,
        target_repo: &target,
        today,
        days: args.days,
        workflows: &workflows,
        reports: &reports,
        runs: &runs,
        trackers: &trackers,
        since: &since,
    });
    if let Err(e) = client.save_http_cache(&http_cache) {
        tracing::warn!("cannot save {}: {e}", http_cache.display());
    }
    let page = html::render(&dashboard);
    write(&args.out, &page, &serde_json::to_string_pretty(&dashboard)?)?;
    eprintln!(
        "Wrote {} ({} KB) and data.json; {} GitHub requests ({} answered from cache).",
        args.out.join("index.html").display(),
        page.len().div_ceil(1024),
        client.stats().requests,
        client.stats().not_modified
    );
    Ok(EXIT_OK)
}

/// Each day's reports per workflow, from the bot's own comments on that day's issue.
async fn day_reports(
    client: &Client,
    config: &Config,
    bot_repo: &RepoName,
    login: &str,
    first: NaiveDate,
    today: NaiveDate,
) -> Result<(Vec<DayReport>, BTreeMap<u64, SinceWhen>)> {
    let files: Vec<String> = config
        .monitor
        .workflows
        .iter()
        .map(|w| w.file.clone())
        .collect();
    let days = crate::daily_issue::reports::read_window(
        client,
        bot_repo,
        &config.monitor.daily_label,
        login,
        &files,
        (first, today),
    )
    .await?;
    let target = config.github.target_repo.to_string();
    let mut out = Vec::new();
    let mut since = BTreeMap::new();
    for (day, read) in days {
        let Some(read) = read else {
            eprintln!("{day}: no daily issue");
            continue;
        };
        eprintln!(
            "{day}: daily issue #{}, {} analyses",
            read.issue.number,
            read.total()
        );
        for (workflow, analyses) in read.workflows.iter().filter(|(_, a)| !a.is_empty()) {
            for a in analyses {
                if let Some(range) = &a.since {
                    since.insert(a.job_id.get(), since_of(range, &target));
                }
            }
            let failing_tests = analyses
                .iter()
                .map(|a| {
                    failed_tests(&a.analysis)
                        .len()
                        .max(a.signatures.len())
                        .max(1)
                })
                .sum();
            out.push(DayReport {
                day,
                workflow: workflow.clone(),
                comment_url: read
                    .report_url(workflow, login)
                    .unwrap_or_else(|| read.issue.html_url.clone()),
                failing_jobs: analyses.len(),
                failing_tests,
            });
        }
    }
    Ok((out, since))
}

/// Each monitored workflow's completed scheduled runs on the monitored branch since `first`.
async fn runs(client: &Client, config: &Config, first: NaiveDate) -> Result<Vec<RunSeen>> {
    let repo = &config.github.target_repo;
    let filter = RunFilter {
        branch: Some(config.monitor.branch.clone()),
        event: Some("schedule".into()),
        status: Some("completed".into()),
        created_since: first.and_hms_opt(0, 0, 0).map(|t| t.and_utc()),
        ..RunFilter::default()
    };
    let mut out = Vec::new();
    for w in &config.monitor.workflows {
        let listed = client
            .workflow_runs(repo, &w.file, &filter)
            .await
            .with_context(|| format!("cannot list the runs of {}", w.file))?;
        eprintln!("{}: {} completed scheduled runs", w.file, listed.len());
        out.extend(listed.iter().map(|r| RunSeen {
            workflow: w.file.clone(),
            day: r.created_at.date_naive(),
            passed: r.conclusion == Some(Conclusion::Success),
            url: r.html_url.clone(),
        }));
    }
    Ok(out)
}

/// Each tracked workflow's tracker state; one that cannot be read is left out, logged.
async fn trackers(client: &Client, config: &Config, login: &str) -> Vec<TrackerSeen> {
    let repo = &config.github.target_repo;
    let mut out = Vec::new();
    for tracked in &config.tracker.workflows {
        match crate::tracker::read::state(client, repo, &config.tracker.label, login, tracked).await
        {
            Ok(Some((issue, state))) => {
                eprintln!(
                    "{}: tracker #{}, {} entries",
                    tracked.file,
                    issue.number,
                    state.entries.len()
                );
                out.push(TrackerSeen {
                    workflow: tracked.file.clone(),
                    issue_url: issue.html_url,
                    state,
                });
            }
            Ok(None) => eprintln!("{}: no tracker yet", tracked.file),
            Err(e) => tracing::warn!("{}: tracker left out: {e:#}", tracked.file),
        }
    }
    out
}

/// Writes both files, each atomically.
fn write(dir: &Path, page: &str, json: &str) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    crate::fsutil::write_atomically(&dir.join("index.html"), page.as_bytes())
        .with_context(|| format!("cannot write {}", dir.join("index.html").display()))?;
    crate::fsutil::write_atomically(&dir.join("data.json"), json.as_bytes())
        .with_context(|| format!("cannot write {}", dir.join("data.json").display()))?;
    Ok(())
}
