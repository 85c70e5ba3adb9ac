//! The history stage (issue #16): since when each newly analysed job fails. The lookback
//! window lists only recent runs; this reads a longer history of the workflow's runs on the
//! branch (`monitor.history_runs`), walks it back from the reported run, job by job, to the
//! last run where the job passed, and compares that run's commit with the first red one.
//!
//! Every read goes through the client's ETag cache (old runs and their jobs do not change, so
//! a repeated read is a free 304), and a tick spends at most `monitor.history_requests` on
//! it across all workflows; a walk the budget stops says so instead of guessing. Jobs already
//! reported keep the range saved in their marker: no request is made for them again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::context::TickContext;
use crate::domain::{Conclusion, JobId, RepoName, RunId, RunStatus, SignatureKey};
use crate::github::models::{Comment, Job, WorkflowRun};
use crate::github::RunFilter;
use crate::report::since::{self, HistoryRun, JobOutcome, RunPoint, SinceRange};
use crate::report::JobAnalysis;

/// The tick's allowance of history requests, shared by its workflows.
#[derive(Debug)]
pub(super) struct HistoryBudget {
    left: AtomicUsize,
    used: AtomicUsize,
}

impl HistoryBudget {
    /// An allowance of `requests`.
    pub(super) fn new(requests: usize) -> HistoryBudget {
        HistoryBudget {
            left: AtomicUsize::new(requests),
            used: AtomicUsize::new(0),
        }
    }

    /// Takes one request from the allowance; false when none is left.
    fn take(&self) -> bool {
        let taken = self
            .left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |l| l.checked_sub(1))
            .is_ok();
        if taken {
            self.used.fetch_add(1, Ordering::SeqCst);
        }
        taken
    }

    /// Requests spent so far this tick.
    pub(super) fn used(&self) -> usize {
        self.used.load(Ordering::SeqCst)
    }
}

/// The signature keys each job's saved report holds, for one day's issue.
type DayReports = HashMap<JobId, Vec<SignatureKey>>;

/// What one workflow's walk reads, each run's jobs and each day's reports once.
struct Walk<'t, 'a> {
    tick: &'t TickContext<'a>,
    workflow: String,
    /// The history, newest first.
    runs: Vec<WorkflowRun>,
    jobs: HashMap<RunId, Vec<Job>>,
    /// The bot's reports by day (`None`: that day's issue could not be read).
    reports: HashMap<String, Option<DayReports>>,
    /// Requests this workflow spent.
    spent: usize,
}

/// Sets `since` on each of `analyses` whose run is in `reported` (job → its run). `listed`
/// holds the jobs the window's listing already read, so they are not read again.
pub(super) async fn attach(
    tick: &TickContext<'_>,
    workflow: &str,
    reported: &HashMap<JobId, WorkflowRun>,
    listed: HashMap<RunId, Vec<Job>>,
    analyses: &mut [JobAnalysis],
) {
    if analyses.is_empty() {
        return;
    }
    let Some(mut walk) = Walk::open(tick, workflow).await else {
        return;
    };
    walk.jobs.extend(listed);
    for analysis in analyses.iter_mut() {
        if let Some(run) = reported.get(&analysis.job_id) {
            analysis.since = walk
                .range(run, &analysis.job_name, &analysis.signatures)
                .await;
        }
    }
    tracing::info!(
        "{workflow}: since-when history: {} request(s) ({} of the tick's {} used)",
        walk.spent,
        tick.history.used(),
        tick.config.monitor.history_requests
    );
}

impl<'t, 'a> Walk<'t, 'a> {
    /// Lists the workflow's runs on the branch; `None` without budget or on an error.
    async fn open(tick: &'t TickContext<'a>, workflow: &str) -> Option<Walk<'t, 'a>> {
        if !tick.history.take() {
            tracing::info!("{workflow}: since-when history: no request left this tick");
            return None;
        }
        let filter = RunFilter {
            branch: Some(tick.config.monitor.branch.clone()),
            event: Some("schedule".into()),
            limit: Some(tick.config.monitor.history_runs),
            ..RunFilter::default()
        };
        let repo = &tick.config.github.target_repo;
        match tick.client.workflow_runs(repo, workflow, &filter).await {
            Ok(runs) => Some(Walk {
                tick,
                workflow: workflow.to_string(),
                runs,
                jobs: HashMap::new(),
                reports: HashMap::new(),
                spent: 1,
            }),
            Err(e) => {
                tracing::warn!("{workflow}: cannot read the history of runs: {e}");
                None
            }
        }
    }

    /// Since when `job_name` fails, walking back from `run`, and since when each of its
    /// failures (`keys`) is seen when that is later.
    async fn range(
        &mut self,
        run: &WorkflowRun,
        job_name: &str,
        keys: &[SignatureKey],
    ) -> Option<SinceRange> {
        let reported = RunPoint {
            run: run.id,
            sha: run.head_sha.clone()?,
        };
        let mut older: Vec<WorkflowRun> = self
            .runs
            .iter()
            .filter(|r| r.id != run.id && r.created_at < run.created_at)
            .cloned()
            .collect();
        // Newest first, whatever order the listing came in.
        older.sort_by_key(|r| std::cmp::Reverse(r.created_at));
        let mut seen: Vec<HistoryRun> = Vec::new();
        let mut job_ids: Vec<Option<JobId>> = Vec::new();
        let mut cut = false;
        for r in &older {
            let Some(sha) = r.head_sha.clone() else {
                continue;
            };
            let Some((outcome, job)) = self.outcome(r, job_name).await else {
                cut = true;
                break;
            };
            seen.push(HistoryRun {
                point: RunPoint { run: r.id, sha },
                day: day(r),
                outcome,
                signatures: None,
            });
            job_ids.push(job);
            if outcome == JobOutcome::Passed {
                break;
            }
        }
        let mut range = since::walk(reported.clone(), &day(run), &seen);
        range.cut = cut && range.last_green.is_none();
        if let Some(green) = range.last_green.clone() {
            range.commits = self.commits(&green, &range.first_red).await;
        }
        // The job's range first; its failures' own with what budget is left.
        self.read_signatures(&older, &mut seen, &job_ids, keys)
            .await;
        range.signatures = since::signature_ranges(keys, &range, &reported, &seen);
        Some(range)
    }

    /// How `job_name` ended in `run`, and the job's id there; `None` when its jobs cannot be
    /// read (no budget left, or an error).
    async fn outcome(
        &mut self,
        run: &WorkflowRun,
        job_name: &str,
    ) -> Option<(JobOutcome, Option<JobId>)> {
        if run
            .status
            .as_ref()
            .is_some_and(|s| *s != RunStatus::Completed)
        {
            return Some((JobOutcome::Silent, None));
        }
        if !self.jobs.contains_key(&run.id) {
            if !self.tick.history.take() {
                return None;
            }
            self.spent += 1;
            let repo = &self.tick.config.github.target_repo;
            match self.tick.client.run_jobs(repo, run.id).await {
                Ok(jobs) => {
                    self.jobs.insert(run.id, jobs);
                }
                Err(e) => {
                    tracing::warn!("cannot list the jobs of run {}: {e}", run.id);
                    return None;
                }
            }
        }
        let job = self.jobs.get(&run.id)?.iter().find(|j| j.name == job_name);
        let outcome = match job.and_then(|j| j.conclusion.as_ref()) {
            Some(Conclusion::Success) => JobOutcome::Passed,
            Some(Conclusion::Failure | Conclusion::TimedOut) => JobOutcome::Failed,
            _ => JobOutcome::Silent,
        };
        Some((outcome, job.map(|j| j.id)))
    }

    /// Fills in the saved signature keys of the streak's failed runs, newest first, for as
    /// long as some of `keys` was in every report so far (after that no run can tell more).
    async fn read_signatures(
        &mut self,
        older: &[WorkflowRun],
        seen: &mut [HistoryRun],
        job_ids: &[Option<JobId>],
        keys: &[SignatureKey],
    ) {
        let mut open: Vec<&SignatureKey> = keys.iter().collect();
        for (entry, job) in seen.iter_mut().zip(job_ids) {
            if open.is_empty() || entry.outcome == JobOutcome::Passed {
                break;
            }
            let (JobOutcome::Failed, Some(job)) = (entry.outcome, job) else {
                continue;
            };
            let Some(run) = older.iter().find(|r| r.id == entry.point.run) else {
                break;
            };
            entry.signatures = self.saved_signatures(run, *job).await;
            match &entry.signatures {
                Some(found) => open.retain(|k| found.contains(k)),
                None => break,
            }
        }
    }

    /// The signature keys the bot saved for `job` of `run`: from the day's issue of the run,
    /// else the next day's (a run finishing after midnight is reported then). `None` when
    /// neither report could be read or holds none.
    async fn saved_signatures(
        &mut self,
        run: &WorkflowRun,
        job: JobId,
    ) -> Option<Vec<SignatureKey>> {
        let first = run.created_at.date_naive();
        for date in [Some(first), first.succ_opt()].into_iter().flatten() {
            let day = date.format("%Y-%m-%d").to_string();
            let keys = self.day_reports(&day).await.and_then(|r| r.get(&job));
            if let Some(keys) = keys.filter(|k| !k.is_empty()) {
                return Some(keys.clone());
            }
        }
        None
    }

    /// The bot's reports of this workflow on `day`'s issue, read once per walk.
    async fn day_reports(&mut self, day: &str) -> Option<&DayReports> {
        if !self.reports.contains_key(day) {
            let loaded = self.load_reports(day).await;
            self.reports.insert(day.to_string(), loaded);
        }
        self.reports.get(day)?.as_ref()
    }

    /// Today's and yesterday's issues were read at the tick's start; an older day's costs a
    /// listing of the day's issues and one of its comments.
    async fn load_reports(&mut self, day: &str) -> Option<DayReports> {
        let tick = self.tick;
        let login = tick.login.as_deref()?;
        let repo = tick.config.github.bot_repo.as_ref()?;
        let yesterday = (tick.now - chrono::Duration::days(1))
            .format("%Y-%m-%d")
            .to_string();
        let read;
        let comments = if day == tick.date {
            &tick.today.comments
        } else if let (true, Some(view)) = (day == yesterday, &tick.yesterday) {
            &view.comments
        } else {
            read = self.read_day(repo, day).await?;
            &read
        };
        let located = super::publish::locate(comments, login, &self.workflow);
        Some(
            located
                .recovered
                .into_iter()
                .map(|a| (a.job_id, a.signatures))
                .collect(),
        )
    }

    /// The bot's comments on `day`'s issue (none when there is no such issue).
    async fn read_day(&mut self, repo: &RepoName, day: &str) -> Option<Vec<Comment>> {
        let client = self.tick.client;
        if !self.tick.history.take() {
            return None;
        }
        self.spent += 1;
        let label = &self.tick.config.monitor.daily_label;
        let issue = match crate::daily_issue::find_past(client, repo, label, day).await {
            Ok(Some(issue)) => issue,
            Ok(None) => return Some(Vec::new()),
            Err(e) => {
                tracing::warn!("cannot look up the daily issue of {day}: {e:#}");
                return None;
            }
        };
        if !self.tick.history.take() {
            return None;
        }
        self.spent += 1;
        match client.comments(repo, issue.number).await {
            Ok(comments) => Some(comments),
            Err(e) => {
                tracing::warn!("cannot read the comments of #{}: {e}", issue.number);
                None
            }
        }
    }

    /// Commits in `red` that `green` lacks; `None` without budget or on an error.
    async fn commits(&mut self, green: &RunPoint, red: &RunPoint) -> Option<u64> {
        if green.sha == red.sha {
            return Some(0);
        }
        if !self.tick.history.take() {
            return None;
        }
        self.spent += 1;
        let repo = &self.tick.config.github.target_repo;
        match self
            .tick
            .client
            .compare(repo, green.sha.as_str(), red.sha.as_str())
            .await
        {
            Ok(c) => Some(c.ahead_by),
            Err(e) => {
                tracing::warn!("cannot compare {} with {}: {e}", green.sha, red.sha);
                None
            }
        }
    }
}

/// `YYYY-MM-DD` of a run's creation.
fn day(run: &WorkflowRun) -> String {
    run.created_at.format("%Y-%m-%d").to_string()
}
