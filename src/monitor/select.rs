//! Which runs and jobs a tick looks at: pure decisions over what the jobs API returned.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use regex::Regex;

use crate::domain::{Conclusion, JobId, RunStatus};
use crate::github::models::{Job, Step, WorkflowRun};

/// Why a failed job is not analysed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Already in the day's report (or yesterday's, within the lookback).
    Processed,
    /// Its name does not contain `--job-name`.
    NameFilter,
    /// A coordinator that only reports that other jobs failed.
    Gate,
    /// Cancelled: superseded by a newer run or stopped by hand, nothing of its own to analyse.
    Cancelled,
}

/// The outcome of selecting jobs in one run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    pub analyse: Vec<Job>,
    pub skipped: Vec<(Job, Skip)>,
    /// Jobs of this run not finished yet.
    pub pending: usize,
}

/// Runs worth looking at, completed ones first, at most `max`: successful runs are dropped,
/// failed, cancelled, timed-out and unfinished ones kept (failures surface before a run ends).
pub fn select_runs(mut runs: Vec<WorkflowRun>, max: usize) -> Vec<WorkflowRun> {
    let mut seen = BTreeSet::new();
    runs.retain(|r| seen.insert(r.id));
    runs.retain(|r| {
        !(r.status == Some(RunStatus::Completed) && r.conclusion == Some(Conclusion::Success))
    });
    // Stable: within each group GitHub's order (newest first) is kept.
    runs.sort_by_key(|r| r.status != Some(RunStatus::Completed));
    runs.truncate(max);
    runs
}

fn gate_name() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"(?i)finish|wait-for-|check-all").expect("gate name regex"))
}

fn gate_step() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)Check all dependent job statuses|Wait for .* jobs to complete")
            .expect("gate step regex")
    })
}

/// A gate job only reports that the jobs it waits for failed: by its name, or because every
/// failed step is a "check dependent jobs" step.
pub fn is_gate_job(job: &Job) -> bool {
    if gate_name().is_match(&job.name) {
        return true;
    }
    let failed: Vec<&str> = job
        .steps
        .iter()
        .filter(|s| s.conclusion == Some(Conclusion::Failure))
        .map(|s| s.name.as_str())
        .collect();
    !failed.is_empty() && failed.iter().all(|name| gate_step().is_match(name))
}

/// Steps that did not succeed, each once, in the order they ran (the order the report shows).
pub fn failed_steps(job: &Job) -> Vec<String> {
    let mut steps: Vec<&Step> = job
        .steps
        .iter()
        .filter(|s| {
            matches!(&s.conclusion, Some(c) if *c != Conclusion::Success && *c != Conclusion::Skipped)
        })
        .collect();
    // In the order they ran (M-W28: the original sorted by name, which hides the first failure).
    steps.sort_by_key(|s| s.number);
    let mut names: Vec<String> = Vec::with_capacity(steps.len());
    for s in steps {
        if !names.contains(&s.name) {
            names.push(s.name.clone());
        }
    }
    names
}

/// Sorts one run's jobs into those to analyse and those skipped, and counts unfinished ones.
pub fn select_jobs(
    jobs: &[Job],
    processed: &BTreeSet<JobId>,
    name_filter: Option<&str>,
) -> Selection {
    let mut out = Selection::default();
    for job in jobs {
        if job.status != Some(RunStatus::Completed) {
            out.pending += 1;
            continue;
        }
        let conclusion = job.conclusion.as_ref();
        if matches!(conclusion, Some(Conclusion::Success | Conclusion::Skipped)) {
            continue;
        }
        let skip = if name_filter.is_some_and(|f| !job.name.contains(f)) {
            Some(Skip::NameFilter)
        } else if processed.contains(&job.id) {
            Some(Skip::Processed)
        } else if conclusion == Some(&Conclusion::Cancelled) {
            Some(Skip::Cancelled)
        } else if is_gate_job(job) {
            Some(Skip::Gate)
        } else {
            None
        };
        match skip {
            Some(reason) => out.skipped.push((job.clone(), reason)),
            None => out.analyse.push(job.clone()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::models::Step;

    fn run(id: u64, status: &str, conclusion: Option<&str>) -> WorkflowRun {
        serde_json::from_value(serde_json::json!({
            "id": id, "status": status, "conclusion": conclusion,
            "created_at": "2026-11-24T00:00:00Z", "event": "schedule", "head_sha": "abc",
        }))
        .unwrap()
    }

    fn job(id: u64, name: &str, conclusion: Option<&str>, steps: &[(&str, &str)]) -> Job {
        Job {
            id: JobId::new(id),
            run_id: crate::domain::RunId::new(1),
            name: name.into(),
            status: Some(if conclusion.is_some() {
                RunStatus::Completed
            } else {
                RunStatus::InProgress
            }),
            conclusion: conclusion.map(Conclusion::parse),
            html_url: None,
            head_sha: None,
            started_at: None,
            completed_at: None,
            steps: steps
                .iter()
                .enumerate()
                .map(|(i, (n, c))| Step {
                    name: (*n).into(),
                    status: Some(RunStatus::Completed),
                    conclusion: Some(Conclusion::parse(c)),
                    number: i as u32 + 1,
                    started_at: None,
                    completed_at: None,
                })
                .collect(),
            labels: vec![],
            runner_name: None,
            workflow_name: None,
            run_attempt: None,
        }
    }

    #[test]
    fn failed_cancelled_timed_out_and_unfinished_runs_are_kept_successes_dropped() {
        let runs = vec![
            run(1, "in_progress", None),
            run(2, "completed", Some("success")),
            run(3, "completed", Some("failure")),
            run(4, "completed", Some("cancelled")),
            run(5, "completed", Some("timed_out")),
            run(6, "queued", None),
            run(3, "completed", Some("failure")),
        ];
        let ids: Vec<u64> = select_runs(runs, 5).iter().map(|r| r.id.get()).collect();
        assert_eq!(ids, [3, 4, 5, 1, 6]);
    }

    #[test]
    fn at_most_five_runs_completed_first() {
        let runs: Vec<WorkflowRun> = (1..=4)
            .map(|i| run(i, "in_progress", None))
            .chain((10..=14).map(|i| run(i, "completed", Some("failure"))))
            .collect();
        let ids: Vec<u64> = select_runs(runs, 5).iter().map(|r| r.id.get()).collect();
        assert_eq!(ids, [10, 11, 12, 13, 14]);
    }

    #[test]
    fn g11_a_run_listed_twice_is_considered_once() {
        let runs = vec![
            run(7, "completed", Some("failure")),
            run(8, "in_progress", None),
            run(7, "completed", Some("failure")),
        ];
        let ids: Vec<u64> = select_runs(runs, 5).iter().map(|r| r.id.get()).collect();
        assert_eq!(ids, [7, 8]);
    }

    #[test]
    fn gate_jobs_are_recognised_by_name_in_any_case() {
        for name in ["pr-test-amd-finish", "wait-for-stage-b", "Check-All-Jobs"] {
            assert!(is_gate_job(&job(1, name, Some("failure"), &[])), "{name}");
        }
        assert!(!is_gate_job(&job(
            1,
            "stage-b-test-1-gpu-amd",
            Some("failure"),
            &[]
        )));
    }

    #[test]
    fn gate_jobs_are_recognised_by_their_only_failed_steps() {
        let gate = job(
            1,
            "pr-test-amd-summary",
            Some("failure"),
            &[
                ("Set up job", "success"),
                ("Check all dependent job statuses", "failure"),
            ],
        );
        assert!(is_gate_job(&gate));
        let wait = job(
            1,
            "x",
            Some("failure"),
            &[("Wait for stage-b jobs to complete", "failure")],
        );
        assert!(is_gate_job(&wait));
        let real = job(
            1,
            "x",
            Some("failure"),
            &[
                ("Check all dependent job statuses", "failure"),
                ("Run test", "failure"),
            ],
        );
        assert!(!is_gate_job(&real));
        let no_failed_steps = job(1, "x", Some("failure"), &[("Run test", "cancelled")]);
        assert!(!is_gate_job(&no_failed_steps));
    }

    #[test]
    fn only_completed_unsuccessful_jobs_are_analysed_and_running_ones_are_pending() {
        let jobs = vec![
            job(1, "a", Some("failure"), &[("Run test", "failure")]),
            job(2, "b", Some("success"), &[]),
            job(3, "c", Some("skipped"), &[]),
            job(4, "d", None, &[]),
            job(5, "e", Some("timed_out"), &[]),
            job(6, "f", Some("cancelled"), &[]),
            job(7, "pr-test-amd-finish", Some("failure"), &[]),
        ];
        let s = select_jobs(&jobs, &BTreeSet::new(), None);
        assert_eq!(s.analyse.iter().map(|j| j.id).collect::<Vec<_>>(), [1, 5]);
        assert_eq!(s.pending, 1);
        let skipped: Vec<(u64, Skip)> = s.skipped.iter().map(|(j, r)| (j.id.get(), *r)).collect();
        assert_eq!(skipped, [(6, Skip::Cancelled), (7, Skip::Gate)]);
    }

    #[test]
    fn job_name_filter_is_case_sensitive_and_processed_jobs_are_skipped() {
        let jobs = vec![
            job(1, "unit-foo-1", Some("failure"), &[]),
            job(2, "unit-Foo-1", Some("failure"), &[]),
            job(3, "unit-foo-2", Some("failure"), &[]),
        ];
        let processed = BTreeSet::from([JobId::new(3)]);
        let s = select_jobs(&jobs, &processed, Some("foo"));
        assert_eq!(s.analyse.iter().map(|j| j.id).collect::<Vec<_>>(), [1]);
        assert!(s.skipped.contains(&(jobs[1].clone(), Skip::NameFilter)));
        assert!(s.skipped.contains(&(jobs[2].clone(), Skip::Processed)));
    }

    #[test]
    fn failed_steps_are_the_unsuccessful_ones_in_the_order_they_ran() {
        let mut j = job(
            1,
            "x",
            Some("failure"),
            &[
                ("Zeta", "failure"),
                ("Ok", "success"),
                ("Alpha", "cancelled"),
                ("Skip", "skipped"),
                ("Zeta", "failure"),
            ],
        );
        assert_eq!(failed_steps(&j), ["Zeta", "Alpha"]);
        // Listed out of order by the API: the step number decides.
        j.steps.swap(0, 2);
        assert_eq!(failed_steps(&j), ["Zeta", "Alpha"]);
    }
}
