//! The dashboard computed from what the bot already keeps: the daily issues (red: a report
//! of failed jobs), the scheduled runs (green, or no run at all) and the trackers (open
//! failures, streaks, flakiness, new and fixed). Pure: the command reads, this decides.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::data::{
    Cell, CellState, Cluster, Dashboard, OpenFailure, SinceWhen, WorkflowRow, SCHEMA_VERSION,
};
use crate::domain::Day;
use crate::report::tracker_history::{flakiness, scan_days, streak};
use crate::report::tracker_state::{StoredEntry, TrackerEntry, TrackerState};

/// A workflow's report on one day's issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayReport {
    pub day: NaiveDate,
    pub workflow: String,
    /// The report comment (its first part).
    pub comment_url: String,
    pub failing_jobs: usize,
    pub failing_tests: usize,
}

/// A completed scheduled run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSeen {
    pub workflow: String,
    pub day: NaiveDate,
    pub passed: bool,
    pub url: String,
}

/// A workflow's tracker and its state.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackerSeen {
    pub workflow: String,
    pub issue_url: String,
    pub state: TrackerState,
}

/// What the dashboard is made from.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub generated_at: &'a str,
    pub target_repo: &'a str,
    pub today: NaiveDate,
    /// Days in the grid, today included.
    pub days: u32,
    /// Monitored workflows: (file, name), in the configuration's order.
    pub workflows: &'a [(String, String)],
    pub reports: &'a [DayReport],
    pub runs: &'a [RunSeen],
    pub trackers: &'a [TrackerSeen],
    /// The ranges the monitor saved, by job id: an open failure whose tracker names that job
    /// shows where it started.
    pub since: &'a BTreeMap<u64, SinceWhen>,
}

/// The dashboard of `inputs`.
pub fn build(inputs: &Inputs<'_>) -> Dashboard {
    let days = grid_days(inputs.today, inputs.days);
    let workflows = inputs
        .workflows
        .iter()
        .map(|(file, name)| WorkflowRow {
            file: file.clone(),
            name: name.clone(),
            cells: days.iter().map(|d| cell(inputs, file, *d)).collect(),
        })
        .collect();
    let today = Day::from(inputs.today);
    Dashboard {
        schema_version: SCHEMA_VERSION,
        generated_at: inputs.generated_at.to_string(),
        target_repo: inputs.target_repo.to_string(),
        days,
        workflows,
        clusters: clusters(inputs.trackers, today, inputs.since),
        new_today: changed_today(inputs.trackers, today, Change::New),
        fixed_today: changed_today(inputs.trackers, today, Change::Fixed),
    }
}

/// The dashboard's view of a range the monitor saved with a job.
pub fn since_of(range: &crate::report::since::SinceRange, target_repo: &str) -> SinceWhen {
    let red = range.first_red.sha.to_string();
    let green = range.last_green.as_ref().map(|g| g.sha.to_string());
    SinceWhen {
        compare_url: green
            .as_ref()
            .map(|g| format!("https://github.com/{target_repo}/compare/{g}...{red}")),
        first_red_sha: red,
        last_green_sha: green,
        commits: range.commits,
        failing_runs: range.failing_runs,
        since: range.since.clone(),
    }
}

/// The `n` days up to `today`, oldest first.
fn grid_days(today: NaiveDate, n: u32) -> Vec<NaiveDate> {
    (0..n.max(1))
        .rev()
        .filter_map(|back| today.checked_sub_days(chrono::Days::new(u64::from(back))))
        .collect()
}

/// Red from the day's report; else green from a passing run, red from a failed run nobody
/// reported, grey without a run.
fn cell(inputs: &Inputs<'_>, workflow: &str, day: NaiveDate) -> Cell {
    let report = inputs
        .reports
        .iter()
        .find(|r| r.day == day && r.workflow == workflow && r.failing_jobs > 0);
    if let Some(r) = report {
        return Cell {
            day,
            state: CellState::Failed,
            failing_jobs: r.failing_jobs,
            failing_tests: r.failing_tests,
            link: Some(r.comment_url.clone()),
        };
    }
    let runs: Vec<&RunSeen> = inputs
        .runs
        .iter()
        .filter(|r| r.day == day && r.workflow == workflow)
        .collect();
    let (state, link) = match (runs.iter().find(|r| r.passed), runs.first()) {
        (Some(pass), _) => (CellState::Passed, Some(pass.url.clone())),
        (None, Some(fail)) => (CellState::Failed, Some(fail.url.clone())),
        (None, None) => (CellState::NoRun, None),
    };
    Cell {
        day,
        state,
        failing_jobs: 0,
        failing_tests: 0,
        link,
    }
}

fn entries(state: &TrackerState) -> impl Iterator<Item = &TrackerEntry> {
    state.entries.values().filter_map(|s| match s {
        StoredEntry::Entry(e) => Some(e.as_ref()),
        StoredEntry::Raw(_) => None,
    })
}

fn test_id(e: &TrackerEntry) -> String {
    format!("{}::{}", e.test_file, e.test_function)
}

/// Entries failing on their tracker's latest scan day, grouped by cluster name across
/// workflows; the largest clusters first.
fn clusters(
    trackers: &[TrackerSeen],
    today: Day,
    since: &BTreeMap<u64, SinceWhen>,
) -> Vec<Cluster> {
    let mut by_name: BTreeMap<String, Vec<OpenFailure>> = BTreeMap::new();
    for t in trackers {
        let scans = scan_days(&t.state, today);
        // A state the original bot wrote keeps no scan log and no fail days: its latest day
        // is the latest day an entry was seen failing.
        let latest = scans
            .last()
            .copied()
            .or_else(|| entries(&t.state).filter_map(TrackerEntry::last_seen).max());
        let Some(latest) = latest else {
            continue;
        };
        let open = |e: &&TrackerEntry| {
            e.fail_days.contains(&latest)
                || (e.fail_days.is_empty() && e.last_seen() == Some(latest))
        };
        for e in entries(&t.state).filter(open) {
            let name = cluster_name(e);
            by_name.entry(name).or_default().push(OpenFailure {
                workflow: t.workflow.clone(),
                test: test_id(e),
                error: e.error.trim().trim_matches('`').to_string(),
                first_seen: e.first_seen().map(Day::date),
                last_seen: e.last_seen().map(Day::date),
                // Without fail days only the last failure is known.
                streak: if e.fail_days.is_empty() {
                    1
                } else {
                    streak(e, &scans)
                },
                flakiness: flakiness(e, &scans),
                tracker_url: t.issue_url.clone(),
                log_url: Some(e.job_url.clone()).filter(|u| !u.is_empty()),
                since: e.job_id().and_then(|id| since.get(&id.get()).cloned()),
            });
        }
    }
    let mut out: Vec<Cluster> = by_name
        .into_iter()
        .map(|(name, mut failures)| {
            failures.sort_by(|a, b| b.streak.cmp(&a.streak).then(a.test.cmp(&b.test)));
            Cluster { name, failures }
        })
        .collect();
    out.sort_by(|a, b| {
        b.failures
            .len()
            .cmp(&a.failures.len())
            .then(a.name.cmp(&b.name))
    });
    out
}

/// The entry's cluster, else the start of its error, else a name that says there is none.
fn cluster_name(e: &TrackerEntry) -> String {
    let pick = if !e.cluster.trim().is_empty() {
        e.cluster.trim()
    } else {
        e.error.trim()
    };
    if pick.is_empty() {
        return "(no cluster)".into();
    }
    pick.chars().take(120).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    New,
    Fixed,
}

/// `workflow: test` of the entries first seen today, or failing on the scan day before today
/// and not today (only when today is a scan day: a day without a run fixes nothing).
fn changed_today(trackers: &[TrackerSeen], today: Day, change: Change) -> Vec<String> {
    let mut out = BTreeSet::new();
    for t in trackers {
        let scans = scan_days(&t.state, today);
        let previous = scans.range(..today).next_back().copied();
        for e in entries(&t.state) {
            let hit = match change {
                Change::New => e.first_seen() == Some(today),
                Change::Fixed => {
                    scans.contains(&today)
                        && previous.is_some_and(|p| e.fail_days.contains(&p))
                        && !e.fail_days.contains(&today)
                }
            };
            if hit {
                out.insert(format!("{}: {}", t.workflow, test_id(e)));
            }
        }
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tracker_state::{SCANS_KEY, STATE_PREFIX};

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
    }

    /// A tracker state as the original bot writes it: the schema's fields and fail days.
    fn state(entries: &[(&str, &str, &[u32])], scans: &[u32]) -> TrackerState {
        let list: Vec<String> = entries
            .iter()
            .map(|(test, cluster, days)| {
                let days: Vec<String> = days.iter().map(|x| format!("\"{}\"", d(*x))).collect();
                let (file, function) = test.split_once("::").unwrap();
                format!(
                    "\"{test}\": {{\"test_file\": \"{file}\", \"test_function\": \"{function}\", \"cluster\": \"{cluster}\", \"error\": \"AssertionError\", \"status\": \"failing\", \"job_url\": \"https://github.com/o/r/actions/runs/1/job/2\", \"job_id\": \"2\", \"run_started_at\": \"\", \"first_seen\": {}, \"last_seen\": {}, \"fail_days\": [{}]}}",
                    days.first().unwrap(),
                    days.last().unwrap(),
                    days.join(", ")
                )
            })
            .collect();
        let scan_days: Vec<String> = scans.iter().map(|x| format!("\"{}\"", d(*x))).collect();
        let body = format!(
            "{STATE_PREFIX}\n{{{}, \"{SCANS_KEY}\": {{\"scan_days\": [{}]}}}}\n-->",
            list.join(", "),
            scan_days.join(", ")
        );
        TrackerState::read(&body)
            .expect("readable")
            .expect("a state")
    }

    fn inputs<'a>(
        workflows: &'a [(String, String)],
        reports: &'a [DayReport],
        runs: &'a [RunSeen],
        trackers: &'a [TrackerSeen],
    ) -> Inputs<'a> {
        Inputs {
            generated_at: "2026-11-24T06:00:00Z",
            target_repo: "sgl-project/sglang",
            today: d(24),
            days: 5,
            workflows,
            reports,
            runs,
            trackers,
            since: &NO_RANGES,
        }
    }

    static NO_RANGES: BTreeMap<u64, SinceWhen> = BTreeMap::new();

    #[test]
    fn cells_are_red_from_reports_green_from_passing_runs_and_grey_without_a_run() {
        let wfs = [("a.yml".to_string(), "A".to_string())];
        let reports = [DayReport {
            day: d(22),
            workflow: "a.yml".into(),
            comment_url: "https://x/issues/3#issuecomment-9".into(),
            failing_jobs: 2,
            failing_tests: 5,
        }];
        let runs = [
            RunSeen {
                workflow: "a.yml".into(),
                day: d(22),
                passed: false,
                url: "r22".into(),
            },
            RunSeen {
                workflow: "a.yml".into(),
                day: d(23),
                passed: true,
                url: "r23".into(),
            },
            RunSeen {
                workflow: "a.yml".into(),
                day: d(24),
                passed: false,
                url: "r24".into(),
            },
        ];
        let dash = build(&inputs(&wfs, &reports, &runs, &[]));
        assert_eq!(dash.days, [d(20), d(21), d(22), d(23), d(24)]);
        let states: Vec<CellState> = dash.workflows[0].cells.iter().map(|c| c.state).collect();
        use CellState::*;
        assert_eq!(states, [NoRun, NoRun, Failed, Passed, Failed]);
        let red = &dash.workflows[0].cells[2];
        assert_eq!((red.failing_jobs, red.failing_tests), (2, 5));
        assert_eq!(
            red.link.as_deref(),
            Some("https://x/issues/3#issuecomment-9")
        );
        assert_eq!(
            dash.workflows[0].cells[4].link.as_deref(),
            Some("r24"),
            "a failed run nobody reported"
        );
    }

    #[test]
    fn open_failures_carry_streaks_and_flakiness_grouped_by_cluster_across_workflows() {
        let wfs = [("a.yml".to_string(), "A".to_string())];
        let a = TrackerSeen {
            workflow: "a.yml".into(),
            issue_url: "https://t/1".into(),
            state: state(
                &[
                    ("t.py::T::steady", "oom", &[22, 23, 24]),
                    ("t.py::T::wobbly", "oom", &[20, 22, 24]),
                    ("t.py::T::gone", "accuracy", &[20, 21]),
                ],
                &[20, 21, 22, 23, 24],
            ),
        };
        let b = TrackerSeen {
            workflow: "b.yml".into(),
            issue_url: "https://t/2".into(),
            state: state(&[("u.py::U::x", "oom", &[24])], &[23, 24]),
        };
        let dash = build(&inputs(&wfs, &[], &[], &[a, b]));
        assert_eq!(dash.clusters.len(), 1, "{:?}", dash.clusters);
        let oom = &dash.clusters[0];
        assert_eq!(oom.name, "oom");
        let by_test: BTreeMap<&str, &OpenFailure> =
            oom.failures.iter().map(|f| (f.test.as_str(), f)).collect();
        assert_eq!(by_test["t.py::T::steady"].streak, 3);
        assert_eq!(by_test["t.py::T::wobbly"].streak, 1);
        assert_eq!(by_test["t.py::T::wobbly"].flakiness, 2);
        assert_eq!(by_test["u.py::U::x"].workflow, "b.yml");
        assert_eq!(by_test["t.py::T::steady"].first_seen, Some(d(22)));
        assert!(!by_test.contains_key("t.py::T::gone"), "fixed is not open");
        assert_eq!(dash.new_today, ["b.yml: u.py::U::x"]);
        assert!(dash.fixed_today.is_empty());
    }

    #[test]
    fn a_state_the_original_bot_wrote_shows_its_latest_failures_as_open() {
        let body = format!(
            "{STATE_PREFIX}\n{{\"t.py::T::old\": {{\"test_file\": \"t.py\", \"test_function\": \"T::old\", \"cluster\": \"\", \"error\": \"KeyError: x\", \"first_seen\": \"2026-11-10\", \"last_seen\": \"2026-11-23\"}}, \"t.py::T::older\": {{\"test_file\": \"t.py\", \"test_function\": \"T::older\", \"first_seen\": \"2026-11-01\", \"last_seen\": \"2026-11-05\"}}}}\n-->"
        );
        let original = TrackerSeen {
            workflow: "a.yml".into(),
            issue_url: "https://t/1".into(),
            state: TrackerState::read(&body).unwrap().unwrap(),
        };
        let wfs = [("a.yml".to_string(), "A".to_string())];
        let dash = build(&inputs(&wfs, &[], &[], &[original]));
        let open: Vec<&str> = dash
            .clusters
            .iter()
            .flat_map(|c| c.failures.iter().map(|f| f.test.as_str()))
            .collect();
        assert_eq!(open, ["t.py::T::old"]);
        assert_eq!(
            dash.clusters[0].name, "KeyError: x",
            "the error names an unclustered failure"
        );
        assert_eq!(dash.clusters[0].failures[0].streak, 1);
    }

    #[test]
    fn fixed_today_needs_a_scan_today_and_a_failure_on_the_scan_day_before() {
        let seen = |scans: &[u32]| TrackerSeen {
            workflow: "a.yml".into(),
            issue_url: "https://t/1".into(),
            state: state(&[("t.py::T::x", "c", &[21, 22])], scans),
        };
        let wfs = [("a.yml".to_string(), "A".to_string())];
        let ran_today = build(&inputs(&wfs, &[], &[], &[seen(&[21, 22, 24])]));
        assert_eq!(ran_today.fixed_today, ["a.yml: t.py::T::x"]);
        let no_run_today = build(&inputs(&wfs, &[], &[], &[seen(&[21, 22])]));
        assert!(no_run_today.fixed_today.is_empty());
    }
}
