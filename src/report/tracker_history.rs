//! Trends from a tracker's kept days: streaks, flakiness and the daily failing counts.
//!
//! A scan day is a day the workflow completed a run (the scan log) or an entry failed (a
//! failure implies a completed run). On a scan day an entry either failed or passed; on other
//! days nothing is known, so they neither break a streak nor count as a pass.

use std::collections::BTreeSet;

use crate::domain::Day;
use crate::report::tracker_state::{StoredEntry, TrackerEntry, TrackerState, HISTORY_DAYS};

/// Every scan day the state knows, up to and including `today`.
pub fn scan_days(state: &TrackerState, today: Day) -> BTreeSet<Day> {
    let mut days: BTreeSet<Day> = state.scans.days.iter().copied().collect();
    for stored in state.entries.values() {
        if let StoredEntry::Entry(e) = stored {
            days.extend(e.fail_days.iter().copied());
        }
    }
    days.retain(|d| *d <= today);
    days
}

/// Consecutive scan days the entry failed, counted back from the latest scan day up to
/// `today` (0 when it passed on that day).
pub fn streak(entry: &TrackerEntry, scans: &BTreeSet<Day>) -> usize {
    scans
        .iter()
        .rev()
        .take_while(|d| entry.fail_days.contains(d))
        .count()
}

/// How often the entry failed again after passing on a scan day since an earlier failure
/// (fail → pass → fail changes over the kept scan days).
pub fn flakiness(entry: &TrackerEntry, scans: &BTreeSet<Day>) -> usize {
    let mut changes = 0;
    let mut failed_before = false;
    let mut passed_since = false;
    for day in scans {
        if entry.fail_days.contains(day) {
            if failed_before && passed_since {
                changes += 1;
            }
            failed_before = true;
            passed_since = false;
        } else if failed_before {
            passed_since = true;
        }
    }
    changes
}

/// The last [`HISTORY_DAYS`] days up to `today`, each with how many entries failed that day.
pub fn daily_counts(state: &TrackerState, today: Day) -> Vec<(Day, usize)> {
    (0..HISTORY_DAYS)
        .rev()
        .filter_map(|back| {
            today
                .date()
                .checked_sub_days(chrono::Days::new(back as u64))
        })
        .map(|date| {
            let day = Day::from(date);
            let failing = state
                .entries
                .values()
                .filter(|s| matches!(s, StoredEntry::Entry(e) if e.fail_days.contains(&day)))
                .count();
            (day, failing)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Day {
        s.parse().unwrap()
    }

    fn entry(days: &[&str]) -> TrackerEntry {
        TrackerEntry {
            fail_days: days.iter().map(|d| day(d)).collect(),
            ..TrackerEntry::default()
        }
    }

    fn scans(days: &[&str]) -> BTreeSet<Day> {
        days.iter().map(|d| day(d)).collect()
    }

    #[test]
    fn a_streak_counts_failing_scan_days_back_from_the_latest_and_skips_unscanned_days() {
        let s = scans(&["2026-11-01", "2026-11-02", "2026-11-04", "2026-11-05"]);
        assert_eq!(
            streak(&entry(&["2026-11-02", "2026-11-04", "2026-11-05"]), &s),
            3
        );
        assert_eq!(streak(&entry(&["2026-11-01", "2026-11-04"]), &s), 0);
        assert_eq!(streak(&entry(&[]), &s), 0);
    }

    #[test]
    fn flakiness_counts_failures_that_came_back_after_a_pass() {
        let s = scans(&[
            "2026-11-01",
            "2026-11-02",
            "2026-11-03",
            "2026-11-04",
            "2026-11-05",
            "2026-11-06",
        ]);
        // F P F F P F → two returns.
        let e = entry(&["2026-11-01", "2026-11-03", "2026-11-04", "2026-11-06"]);
        assert_eq!(flakiness(&e, &s), 2);
        // P F F → none: passing before the first failure is not a flake.
        assert_eq!(flakiness(&entry(&["2026-11-05", "2026-11-06"]), &s), 0);
    }

    #[test]
    fn daily_counts_cover_thirty_days_ending_today() {
        let mut state = TrackerState::default();
        state.entries.insert(
            "a.py::t".into(),
            StoredEntry::Entry(Box::new(entry(&["2026-11-30", "2026-11-01", "2026-10-31"]))),
        );
        let counts = daily_counts(&state, day("2026-11-30"));
        assert_eq!(counts.len(), 30);
        assert_eq!(counts[0], (day("2026-11-01"), 1));
        assert_eq!(counts[29], (day("2026-11-30"), 1));
        assert_eq!(counts.iter().map(|c| c.1).sum::<usize>(), 2);
    }
}
