//! The monitor's local cache, `.state/ci_monitor.json`, in the original's format so a
//! restored cache from the old bot is read as is. GitHub (the issue's markers) stays the
//! source of truth: a missing or corrupt cache only costs a re-read, never a crash. Read
//! leniently and written back without loss: ids keep the spelling they were stored with
//! (`12` or `"12"`), and keys this version does not know are kept.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use serde_json::{Map, Value};

use crate::domain::lenient::Kept;
use crate::domain::{CommentId, IssueNumber};
use crate::report::JobAnalysis;

/// Days kept in the file.
const DAYS_KEPT: usize = 3;

/// The whole cache.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MonitorState {
    #[serde(default)]
    pub daily_comments: BTreeMap<String, DailyState>,
    /// Keys this version does not know, kept for whoever wrote them.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// One day.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DailyState {
    #[serde(default)]
    pub issue_number: Kept<IssueNumber>,
    #[serde(default)]
    pub workflows: BTreeMap<String, WorkflowState>,
    /// Keys this version does not know.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// One workflow on one day.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkflowState {
    #[serde(default)]
    pub comment_id: Kept<CommentId>,
    #[serde(default)]
    pub overflow_ids: Vec<Kept<CommentId>>,
    #[serde(default)]
    pub cross_run_comment_id: Kept<CommentId>,
    #[serde(default)]
    pub owned: bool,
    #[serde(default)]
    pub job_analyses: Vec<JobAnalysis>,
    #[serde(default)]
    pub last_pending_count: u64,
    /// Keys this version does not know.
    #[serde(flatten)]
    pub other: Map<String, Value>,
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
        assert_eq!(wf.comment_id.get(), Some(&CommentId::new(99)));
        assert_eq!(wf.job_analyses[0].job_id, 5);
        assert_eq!(wf.job_analyses[0].head_sha, None);
    }

    #[test]
    fn ids_keep_their_spelling_and_unknown_keys_survive_a_save() {
        let stored = r#"{"daily_comments": {"2026-06-01": {"issue_number": "12", "opened_by": "cron",
            "workflows": {"pr-test-amd.yml": {"comment_id": "99", "overflow_ids": ["100", 101, ""],
            "cross_run_comment_id": "", "owned": true, "job_analyses": [], "last_pending_count": 0,
            "note": {"why": "hand edit"}}}}}, "version": 2}"#;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ci_monitor.json");
        std::fs::write(&path, stored).unwrap();
        let (mut state, warning) = MonitorState::load(&path);
        assert!(warning.is_none(), "{warning:?}");
        let day = &state.daily_comments["2026-06-01"];
        assert_eq!(day.issue_number.get(), Some(&IssueNumber::new(12)));
        let wf = &day.workflows["pr-test-amd.yml"];
        assert_eq!(wf.comment_id.get(), Some(&CommentId::new(99)));
        assert_eq!(wf.cross_run_comment_id.get(), None);
        state.save(&path).unwrap();
        let written: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let expected: serde_json::Value = serde_json::from_str(stored).unwrap();
        assert_eq!(written, expected, "a save changes nothing it read");
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
            state.day(day).issue_number = Kept::new(IssueNumber::new(1));
        }
        state.save(&path).unwrap();
        let (read, _) = MonitorState::load(&path);
        assert_eq!(
            read.daily_comments.keys().collect::<Vec<_>>(),
            ["2026-11-22", "2026-11-23", "2026-11-24"]
        );
    }
}
