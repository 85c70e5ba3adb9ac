//! What the base branch shows in the lookback window, for `ci-status`'s labels: the failures
//! the bot analysed in its daily issues (saved signatures, or the Failed Tests rows of older
//! entries), the passes of the same jobs from the Actions API, and for each failure whether
//! its commit is the PR's merge base or descends from it (compare API). Only what a PR
//! failure could match is fetched, so a green PR costs no base-branch request at all.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;
use chrono::{DateTime, Duration, Utc};

use crate::config::Config;
use crate::domain::{Conclusion, RepoName};
use crate::github::{Client, RunFilter};
use crate::report::pr_status::{BaseOutcome, BaseVerdict, FailedJob, MatchKey};
use crate::report::sections::failed_tests;
use crate::report::JobAnalysis;

/// The base branch's outcomes and what was checked to find them.
pub(super) struct BaseEvidence {
    pub outcomes: Vec<BaseOutcome>,
    /// The PR's merge base, when the compare API answered.
    pub merge_base: Option<String>,
    /// One sentence saying what was checked, or why nothing could be.
    pub note: String,
}

/// The PR the evidence is for.
pub(super) struct PrRefs<'a> {
    pub base_branch: &'a str,
    pub head_sha: &'a str,
}

/// Gathers the evidence for `failed`; never fails: what cannot be read is said in the note,
/// and the labels then rest on less (a failure is never called broken trunk without proof).
pub(super) async fn gather(
    client: &Client,
    config: &Config,
    pr: &PrRefs<'_>,
    failed: &[FailedJob],
) -> BaseEvidence {
    let repo = &config.github.target_repo;
    let merge_base = match client.compare(repo, pr.base_branch, pr.head_sha).await {
        Ok(c) => Some(c.merge_base_commit.sha),
        Err(e) => {
            tracing::warn!("cannot find the merge base: {e:#}");
            None
        }
    };
    if failed.is_empty() {
        return BaseEvidence {
            outcomes: Vec::new(),
            merge_base,
            note: "No failed job: the base branch was not consulted.".into(),
        };
    }
    let since = config.now() - Duration::days(i64::from(config.ci_status.lookback_days));
    let mut outcomes = match daily_failures(client, config, pr.base_branch, since).await {
        Ok(Ok(f)) => f,
        Ok(Err(why)) => return empty(merge_base, why),
        Err(e) => {
            tracing::warn!("cannot read the daily issues: {e:#}");
            return empty(
                merge_base,
                "The bot's daily issues could not be read: no base-branch evidence, so no failure is called broken trunk or flaky from it.".into(),
            );
        }
    };
    let analysed = outcomes.len();
    outcomes.retain(|o| failed.iter().any(|j| o.same_failure_as(j)));
    let mut runs_checked = 0;
    match passes(client, repo, pr.base_branch, since, &outcomes).await {
        Ok((passed, runs)) => {
            runs_checked = runs;
            outcomes.extend(passed);
        }
        Err(e) => tracing::warn!("cannot list the base branch's runs: {e:#}"),
    }
    let compared = match &merge_base {
        Some(mb) => mark_descendants(client, repo, mb, &mut outcomes).await,
        None => 0,
    };
    let note = format!(
        "Base branch `{}` since {}: {analysed} analysed failure(s) in the daily issues and {runs_checked} run(s) checked; {} matched a failure here{}.",
        pr.base_branch,
        since.format("%Y-%m-%d"),
        outcomes.iter().filter(|o| o.verdict != BaseVerdict::Passed).count(),
        if merge_base.is_some() {
            format!(", {compared} commit(s) compared with the merge base")
        } else {
            " (the merge base is unknown, so none is called broken trunk)".into()
        }
    );
    BaseEvidence {
        outcomes,
        merge_base,
        note,
    }
}

fn empty(merge_base: Option<String>, note: String) -> BaseEvidence {
    BaseEvidence {
        outcomes: Vec::new(),
        merge_base,
        note,
    }
}

/// Every failure the bot analysed on the base branch in the window, from the daily issues;
/// `Ok(Err(why))` when there is nothing to read (no bot repository, another base branch).
async fn daily_failures(
    client: &Client,
    config: &Config,
    base_branch: &str,
    since: DateTime<Utc>,
) -> Result<std::result::Result<Vec<BaseOutcome>, String>> {
    let Some(bot_repo) = config.github.bot_repo.as_ref() else {
        return Ok(Err("No bot repository configured (`--bot-repo`): no base-branch evidence, so no failure is called broken trunk or flaky from it.".into()));
    };
    if base_branch != config.monitor.branch {
        return Ok(Err(format!(
            "The PR targets `{base_branch}`, which the monitor does not watch (`{}`): no base-branch evidence.",
            config.monitor.branch
        )));
    }
    let login = client.authenticated_user().await?.login;
    let workflows: Vec<String> = config
        .monitor
        .workflows
        .iter()
        .map(|w| w.file.clone())
        .collect();
    let window = (since.date_naive(), config.now().date_naive());
    let days = crate::daily_issue::reports::read_window(
        client,
        bot_repo,
        &config.monitor.daily_label,
        &login,
        &workflows,
        window,
    )
    .await?;
    let mut out = Vec::new();
    for (day, read) in days {
        let Some(read) = read else { continue };
        for (workflow, analyses) in &read.workflows {
            out.extend(
                analyses
                    .iter()
                    .map(|a| failure(workflow, a, &read.issue.html_url, day)),
            );
        }
    }
    Ok(Ok(out))
}

/// One analysed base-branch failure; its keys are its saved signatures, else its Failed
/// Tests rows' canonical ids.
fn failure(
    workflow: &str,
    a: &JobAnalysis,
    issue_url: &str,
    day: chrono::NaiveDate,
) -> BaseOutcome {
    let keys: Vec<MatchKey> = if a.signatures.is_empty() {
        failed_tests(&a.analysis)
            .into_iter()
            .map(|r| MatchKey::Test(format!("{}::{}", r.file, r.function)))
            .collect()
    } else {
        a.signatures
            .iter()
            .cloned()
            .map(MatchKey::Signature)
            .collect()
    };
    let at = a
        .started_at
        .as_deref()
        .and_then(|t| t.parse::<DateTime<Utc>>().ok())
        .unwrap_or_else(|| day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    BaseOutcome {
        workflow: workflow.to_string(),
        job_name: a.job_name.clone(),
        at,
        sha: a
            .head_sha
            .as_ref()
            .map(|s| s.to_string())
            .unwrap_or_default(),
        after_merge_base: false,
        verdict: BaseVerdict::Failed(keys),
        link: format!("{issue_url}#job-{}", a.job_id),
    }
}

/// The passes, in the window, of the jobs whose failures matched; and how many runs were read.
async fn passes(
    client: &Client,
    repo: &RepoName,
    base_branch: &str,
    since: DateTime<Utc>,
    failures: &[BaseOutcome],
) -> Result<(Vec<BaseOutcome>, usize)> {
    let mut jobs_of: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for f in failures {
        jobs_of
            .entry(f.workflow.as_str())
            .or_default()
            .insert(f.job_name.as_str());
    }
    let mut out = Vec::new();
    let mut runs_read = 0;
    for (workflow, names) in jobs_of {
        let filter = RunFilter {
            branch: Some(base_branch.to_string()),
            status: Some("completed".into()),
            created_since: Some(since),
            ..RunFilter::default()
        };
        for run in client.workflow_runs(repo, workflow, &filter).await? {
            runs_read += 1;
            let at = run.run_started_at.unwrap_or(run.created_at);
            let sha = run
                .head_sha
                .as_ref()
                .map(|s| s.to_string())
                .unwrap_or_default();
            for job in client.run_jobs(repo, run.id).await? {
                if job.conclusion == Some(Conclusion::Success) && names.contains(job.name.as_str())
                {
                    out.push(BaseOutcome {
                        workflow: workflow.to_string(),
                        job_name: job.name.clone(),
                        at,
                        sha: sha.clone(),
                        after_merge_base: false,
                        verdict: BaseVerdict::Passed,
                        link: job.html_url.clone().unwrap_or_else(|| run.html_url.clone()),
                    });
                }
            }
        }
    }
    Ok((out, runs_read))
}

/// Marks the failures whose commit is the merge base or descends from it; how many distinct
/// commits were compared. A compare that fails leaves the failure unmarked (not broken trunk).
async fn mark_descendants(
    client: &Client,
    repo: &RepoName,
    merge_base: &str,
    outcomes: &mut [BaseOutcome],
) -> usize {
    let mut known: BTreeMap<String, bool> = BTreeMap::new();
    for o in outcomes.iter_mut() {
        if o.verdict == BaseVerdict::Passed || o.sha.is_empty() {
            continue;
        }
        if !known.contains_key(&o.sha) {
            let descends = match client.compare(repo, merge_base, &o.sha).await {
                Ok(c) => c.head_contains_base(),
                Err(e) => {
                    tracing::warn!("cannot compare {} with the merge base: {e:#}", o.sha);
                    false
                }
            };
            known.insert(o.sha.clone(), descends);
        }
        o.after_merge_base = known[&o.sha];
    }
    known.len()
}
