//! The facts a daily summary is built from, gathered by the caller (the day's analyses, the
//! workflows' runs, yesterday's summary, which of yesterday's failing jobs passed since), and
//! the digest of them that tells whether anything changed. Pure: times come in as days.

use std::collections::BTreeSet;

use serde::Serialize;

use super::summary_clusters::ClusterRef;
use super::summary_output::digest;
use super::JobAnalysis;
use crate::domain::{Conclusion, Day, RunId};

/// Days in the trend, the summary's date included.
pub const TREND_DAYS: i64 = 7;

/// One run of a workflow, as the summary counts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunFact {
    pub id: RunId,
    /// The UTC day the run was created.
    pub day: Day,
    pub completed: bool,
    pub conclusion: Option<Conclusion>,
}

/// Completed runs of one day: passed, failed, and other conclusions (cancelled, skipped …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DayTally {
    pub day: Day,
    pub passed: usize,
    pub failed: usize,
    pub other: usize,
}

impl DayTally {
    /// Completed runs that day.
    pub fn completed(&self) -> usize {
        self.passed + self.failed + self.other
    }
}

/// One workflow's runs over the trend window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkflowRuns {
    pub workflow: String,
    /// [`TREND_DAYS`] tallies, oldest first; the last is the summary's date.
    pub days: Vec<DayTally>,
    /// Runs created on the date that have not completed (left out of every count). Shown as
    /// of the summary's last rebuild, and not part of the digest: a run starting or finishing
    /// alone would otherwise ask a model for a new summary every tick (a finished run changes
    /// the day's counts, which are).
    #[serde(skip)]
    pub in_flight: usize,
}

impl WorkflowRuns {
    /// The summary date's tally.
    pub fn today(&self) -> Option<&DayTally> {
        self.days.last()
    }

    /// The day before's tally.
    pub fn yesterday(&self) -> Option<&DayTally> {
        self.days
            .len()
            .checked_sub(2)
            .and_then(|i| self.days.get(i))
    }
}

/// Counts `runs` of `workflow` per day over the [`TREND_DAYS`] days ending on `date`.
pub fn tally(workflow: &str, runs: &[RunFact], date: Day) -> WorkflowRuns {
    let days: Vec<DayTally> = (0..TREND_DAYS)
        .rev()
        .filter_map(|back| date.date().checked_sub_signed(chrono::Duration::days(back)))
        .map(|d| {
            let day = Day::from(d);
            let done = runs.iter().filter(|r| r.day == day && r.completed);
            let mut t = DayTally {
                day,
                passed: 0,
                failed: 0,
                other: 0,
            };
            for r in done {
                match r.conclusion {
                    Some(Conclusion::Success) => t.passed += 1,
                    Some(Conclusion::Failure) => t.failed += 1,
                    _ => t.other += 1,
                }
            }
            t
        })
        .collect();
    WorkflowRuns {
        workflow: workflow.to_string(),
        days,
        in_flight: runs
            .iter()
            .filter(|r| r.day == date && !r.completed)
            .count(),
    }
}

/// Everything a summary of one day is built from.
#[derive(Debug, Clone, Serialize)]
pub struct SummaryFacts {
    pub date: Day,
    /// `YYYY-MM-DD HH:MM UTC`: shown, never part of the digest.
    #[serde(skip)]
    pub snapshot: String,
    /// `owner/name` whose CI this is (job links point there).
    pub upstream: String,
    pub issue: u64,
    /// Each monitored workflow, in order, with the day's analyses.
    pub workflows: Vec<(String, Vec<JobAnalysis>)>,
    /// Each monitored workflow's runs, in the same order.
    pub runs: Vec<WorkflowRuns>,
    /// Yesterday's summary text (its block), when there was a real one.
    pub yesterday_text: Option<String>,
    /// Yesterday's clusters, when yesterday's block carried our hidden list.
    pub yesterday_clusters: Option<Vec<ClusterRef>>,
    /// (workflow, job name) of yesterday's failing jobs that a later completed run passed.
    pub passed_later: BTreeSet<(String, String)>,
}

impl SummaryFacts {
    /// How many analyses the day holds.
    pub fn total(&self) -> usize {
        self.workflows.iter().map(|(_, a)| a.len()).sum()
    }

    /// The digest of every input but the snapshot time: equal digests mean an equal summary
    /// (from the builtin backend) or one not worth asking a model for again.
    pub fn digest(&self) -> String {
        let json = serde_json::to_vec(self).expect("facts serialise");
        digest(&json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Day {
        s.parse().unwrap()
    }

    fn run(id: u64, d: &str, done: bool, c: Option<Conclusion>) -> RunFact {
        RunFact {
            id: RunId::new(id),
            day: day(d),
            completed: done,
            conclusion: c,
        }
    }

    #[test]
    fn runs_are_counted_per_day_over_seven_days_completed_only() {
        let runs = [
            run(1, "2026-11-17", true, Some(Conclusion::Failure)), // before the window
            run(2, "2026-11-18", true, Some(Conclusion::Success)),
            run(3, "2026-11-23", true, Some(Conclusion::Failure)),
            run(4, "2026-11-24", true, Some(Conclusion::Success)),
            run(5, "2026-11-24", true, Some(Conclusion::Cancelled)),
            run(6, "2026-11-24", false, None),
        ];
        let t = tally("a.yml", &runs, day("2026-11-24"));
        assert_eq!(t.days.len(), 7);
        assert_eq!(t.days[0].day, day("2026-11-18"));
        assert_eq!(t.days[0].passed, 1);
        let today = t.today().unwrap();
        assert_eq!((today.passed, today.failed, today.other), (1, 0, 1));
        assert_eq!(t.yesterday().unwrap().failed, 1);
        assert_eq!(t.in_flight, 1);
    }

    #[test]
    fn runs_in_flight_alone_do_not_change_the_digest_but_a_finished_run_does() {
        let runs = [run(4, "2026-11-24", true, Some(Conclusion::Failure))];
        let facts = SummaryFacts {
            date: day("2026-11-24"),
            snapshot: "2026-11-24 06:00 UTC".into(),
            upstream: "sgl-project/sglang".into(),
            issue: 1,
            workflows: vec![("a.yml".into(), vec![JobAnalysis::default()])],
            runs: vec![tally("a.yml", &runs, day("2026-11-24"))],
            yesterday_text: None,
            yesterday_clusters: None,
            passed_later: BTreeSet::new(),
        };
        let mut started = facts.clone();
        started.runs[0] = tally(
            "a.yml",
            &[runs[0].clone(), run(5, "2026-11-24", false, None)],
            day("2026-11-24"),
        );
        assert_eq!(started.runs[0].in_flight, 1);
        assert_eq!(facts.digest(), started.digest());
        let mut finished = facts.clone();
        finished.runs[0] = tally(
            "a.yml",
            &[
                runs[0].clone(),
                run(5, "2026-11-24", true, Some(Conclusion::Success)),
            ],
            day("2026-11-24"),
        );
        assert_ne!(facts.digest(), finished.digest());
    }

    #[test]
    fn the_digest_ignores_the_snapshot_time_only() {
        let facts = SummaryFacts {
            date: day("2026-11-24"),
            snapshot: "2026-11-24 06:00 UTC".into(),
            upstream: "sgl-project/sglang".into(),
            issue: 1,
            workflows: vec![("a.yml".into(), vec![JobAnalysis::default()])],
            runs: Vec::new(),
            yesterday_text: None,
            yesterday_clusters: None,
            passed_later: BTreeSet::new(),
        };
        let later = SummaryFacts {
            snapshot: "2026-11-24 06:30 UTC".into(),
            ..facts.clone()
        };
        assert_eq!(facts.digest(), later.digest());
        let mut other = facts.clone();
        other.workflows[0].1[0].analysis = "changed".into();
        assert_ne!(facts.digest(), other.digest());
        let mut yesterday = facts.clone();
        yesterday.yesterday_text = Some("x".into());
        assert_ne!(facts.digest(), yesterday.digest());
    }
}
