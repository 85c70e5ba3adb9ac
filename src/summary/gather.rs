//! The facts from GitHub Actions: each workflow's runs over the trend window, and whether a
//! later completed run of each of yesterday's failing jobs passed.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, TimeZone, Utc};

use crate::domain::{Conclusion, Day, RepoName, RunId, RunStatus};
use crate::github::models::{Job, WorkflowRun};
use crate::github::{Client, RunFilter};
use crate::report::summary_clusters::ClusterRef;
use crate::report::summary_facts::{tally, RunFact, WorkflowRuns, TREND_DAYS};

/// Runs listed per workflow for the trend window.
const RUNS_LISTED: usize = 300;
/// Later runs whose jobs are read per workflow to decide "fixed".
const LATER_RUNS_READ: usize = 20;

/// The day a run was created on (UTC).
fn day_of(run: &WorkflowRun) -> Day {
    run.created_at
        .format("%Y-%m-%d")
        .to_string()
        .parse()
        .expect("a date")
}

fn fact(run: &WorkflowRun) -> RunFact {
    RunFact {
        id: run.id,
        day: day_of(run),
        completed: run
            .status
            .as_ref()
            .is_none_or(|s| *s == RunStatus::Completed)
            && run.conclusion.is_some(),
        conclusion: run.conclusion.clone(),
    }
}

/// Each workflow's scheduled runs on `branch` created in the [`TREND_DAYS`] days up to `date`
/// (newest first). A listing that fails is an error: left out, the counts would change the
/// summary's inputs until the next good read.
pub async fn runs(
    client: &Client,
    upstream: &RepoName,
    workflows: &[String],
    branch: &str,
    date: Day,
) -> anyhow::Result<BTreeMap<String, Vec<WorkflowRun>>> {
    let first = date.date() - Duration::days(TREND_DAYS - 1);
    let since = Utc.from_utc_datetime(&first.and_hms_opt(0, 0, 0).expect("midnight"));
    let mut out = BTreeMap::new();
    for wf in workflows {
        let filter = RunFilter {
            branch: Some(branch.to_string()),
            event: Some("schedule".into()),
            created_since: Some(since),
            limit: Some(RUNS_LISTED),
            ..RunFilter::default()
        };
        let list = client
            .workflow_runs(upstream, wf, &filter)
            .await
            .map_err(|e| anyhow::anyhow!("cannot list the runs of {wf}: {e}"))?;
        let kept: Vec<WorkflowRun> = list.into_iter().filter(|r| day_of(r) <= date).collect();
        out.insert(wf.clone(), kept);
    }
    Ok(out)
}

/// The tallies, in `workflows` order (only those whose runs were read).
pub fn tallies(
    workflows: &[String],
    runs: &BTreeMap<String, Vec<WorkflowRun>>,
    date: Day,
) -> Vec<WorkflowRuns> {
    workflows
        .iter()
        .filter_map(|wf| {
            let facts: Vec<RunFact> = runs.get(wf)?.iter().map(fact).collect();
            Some(tally(wf, &facts, date))
        })
        .collect()
}

/// The (workflow, job name) pairs among yesterday's clusters `gone` from today whose job passed
/// in a later completed run (a run with the same or a larger id, so a re-run counts; a passing
/// job with the failing job's own id does not). Each run's jobs are read once.
pub async fn passed_later(
    client: &Client,
    upstream: &RepoName,
    gone: &[ClusterRef],
    runs: &BTreeMap<String, Vec<WorkflowRun>>,
) -> anyhow::Result<BTreeSet<(String, String)>> {
    let mut jobs_of: BTreeMap<RunId, Vec<Job>> = BTreeMap::new();
    let mut out = BTreeSet::new();
    for member in gone.iter().flat_map(|c| c.members.iter()) {
        let key = (member.workflow.clone(), member.job.clone());
        if out.contains(&key) || member.run == 0 {
            continue;
        }
        let Some(listed) = runs.get(&member.workflow) else {
            continue;
        };
        let later = listed
            .iter()
            .filter(|r| r.id.get() >= member.run && fact(r).completed)
            .take(LATER_RUNS_READ);
        for run in later {
            if let std::collections::btree_map::Entry::Vacant(slot) = jobs_of.entry(run.id) {
                let jobs = client
                    .run_jobs(upstream, run.id)
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot read the jobs of run {}: {e}", run.id))?;
                slot.insert(jobs);
            }
            let passed = jobs_of[&run.id].iter().any(|j| {
                j.name == member.job
                    && j.id.get() != member.job_id
                    && j.conclusion == Some(Conclusion::Success)
            });
            if passed {
                out.insert(key);
                break;
            }
        }
    }
    Ok(out)
}
