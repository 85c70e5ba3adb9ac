//! The monitor's local cache, `.state/ci_monitor.json`, in the original's format so a
//! restored cache from the old bot is read as is. GitHub (the issue's markers) stays the
//! source of truth: a missing or corrupt cache only costs a re-read, never a crash.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::domain::lenient::opt_or_none;
use crate::domain::{CommentId, IssueNumber};
use crate::report::JobAnalysis;

/// Days kept in the file.
const DAYS_KEPT: usize = 3;

/// The whole cache.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MonitorState {
    #[serde(default)]
    pub daily_comments: BTreeMap<String, DailyState>,
}

/// One day.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DailyState {
    #[serde(default, deserialize_with = "opt_or_none")]
    pub issue_number: Option<IssueNumber>,
    #[serde(default)]
    pub workflows: BTreeMap<String, WorkflowState>,
}

/// One workflow on one day.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkflowState {
    #[serde(default, deserialize_with = "opt_or_none")]
    pub comment_id: Option<CommentId>,
    #[serde(default, deserialize_with = "ids_that_fit")]
    pub overflow_ids: Vec<CommentId>,
    #[serde(default, deserialize_with = "opt_or_none")]
    pub cross_run_comment_id: Option<CommentId>,
    #[serde(default)]
    pub owned: bool,
    #[serde(default)]
    pub job_analyses: Vec<JobAnalysis>,
    #[serde(default)]
    pub last_pending_count: u64,
}

/// A list of ids as stored: entries that are not ids (`""`, `null`) are dropped, not fatal.
fn ids_that_fit<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<CommentId>, D::Error> {
    let raw = Vec::<serde_json::Value>::deserialize(d)?;
    Ok(raw
        .iter()
        .filter_map(|v| CommentId::deserialize(v).ok())
        .collect())
}

impl MonitorState {
    /// Reads the cache. A missing file is an empty cache; an unreadable or corrupt one is an
    /// empty cache plus a warning for the caller to log.
    pub fn load(path: &Path) -> (MonitorState, Option<String>) {
        match std::fs::read(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (MonitorState::default(), None),
            Err(e) => (
                MonitorState::default(),
                Some(format!(
                    "cannot read {}: {e}; starting from GitHub alone",
                    path.display()
                )),
            ),
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(state) => (state, None),
                Err(e) => (
                    MonitorState::default(),
                    Some(format!(
                        "{} is not valid state ({e}); ignoring it",
                        path.display()
                    )),
                ),
            },
        }
    }

    /// Writes the cache atomically (a temporary file renamed over the old one), keeping only
    /// the newest days.
    pub fn save(&mut self, path: &Path) -> std::io::Result<()> {
        while self.daily_comments.len() > DAYS_KEPT {
            let oldest = self
                .daily_comments
                .keys()
                .next()
                .cloned()
                .expect("non-empty");
            self.daily_comments.remove(&oldest);
        }
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        crate::fsutil::write_atomically(path, &json)
    }

    /// The day's entry, created when missing.
    pub fn day(&mut self, date: &str) -> &mut DailyState {
        self.daily_comments.entry(date.to_string()).or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_original_bots_state_file_is_read() {
        let original = r#"{"daily_comments": {"2026-06-01": {"issue_number": 12, "workflows": {"pr-test-amd.yml": {
            "comment_id": 99, "overflow_ids": [100], "cross_run_comment_id": null, "owned": true,
            "job_analyses": [{"run_url": "https://github.com/sgl-project/sglang/actions/runs/1", "job_name": "unit",
              "job_id": 5, "started_at": null, "failed_steps": ["Run test"], "analysis": "text"}],
            "last_pending_count": 0 }}}}}"#;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ci_monitor.json");
        std::fs::write(&path, original).unwrap();
        let (state, warning) = MonitorState::load(&path);
        assert!(warning.is_none());
        let wf = &state.daily_comments["2026-06-01"].workflows["pr-test-amd.yml"];
        assert_eq!(wf.comment_id, Some(CommentId::new(99)));
        assert_eq!(wf.job_analyses[0].job_id, 5);
        assert_eq!(wf.job_analyses[0].head_sha, None);
    }

    #[test]
    fn a_corrupt_file_is_a_warning_not_a_crash() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ci_monitor.json");
        std::fs::write(&path, "{ not json").unwrap();
        let (state, warning) = MonitorState::load(&path);
        assert_eq!(state, MonitorState::default());
        assert!(warning.unwrap().contains("not valid state"));
    }

    #[test]
    fn saving_keeps_the_three_newest_days() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".state/ci_monitor.json");
        let mut state = MonitorState::default();
        for day in [
            "2026-11-20",
            "2026-11-21",
            "2026-11-22",
            "2026-11-23",
            "2026-11-24",
        ] {
            state.day(day).issue_number = Some(IssueNumber::new(1));
        }
        state.save(&path).unwrap();
        let (read, _) = MonitorState::load(&path);
        assert_eq!(
            read.daily_comments.keys().collect::<Vec<_>>(),
            ["2026-11-22", "2026-11-23", "2026-11-24"]
        );
    }
}
