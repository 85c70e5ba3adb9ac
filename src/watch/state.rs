//! The watcher's local state, `.state/last_check.json`: the original's keys
//! (`processed_comment_ids`, `last_check`) plus the cursor, the attempts per command and the
//! last review per PR. It is an optimisation and a memory of attempts; correctness between
//! watchers comes from the claims on GitHub. Keys it does not know are kept on save.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::CommentId;

/// How many processed comment ids are kept (the newest; the original kept an arbitrary 500).
pub const MAX_PROCESSED: usize = 500;

/// Where the listing resumes: everything up to this comment (by `updated_at`, then id) was
/// seen and needs nothing more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Cursor {
    /// The comment's last update (the listing's order).
    pub updated_at: DateTime<Utc>,
    /// Its id, for comments updated in the same second.
    pub id: u64,
}

/// The file's content.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WatchState {
    /// Comments needing nothing more, oldest first.
    #[serde(default)]
    pub processed_comment_ids: Vec<CommentId>,
    /// When the last pass ended (written for people; never read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_check: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// Where the next listing resumes.
    pub cursor: Option<Cursor>,
    /// Failed attempts per command comment id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attempts: BTreeMap<String, u32>,
    /// When this watcher last dispatched a review, per PR number.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub reviews: BTreeMap<String, DateTime<Utc>>,
    /// Keys of other versions, written back as they were.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

impl WatchState {
    /// The state at `path`; a missing file is a fresh start, an unreadable one too (with the
    /// reason, to log): the claims on GitHub keep a fresh start from answering twice.
    pub fn load(path: &Path) -> (WatchState, Option<String>) {
        match std::fs::read_to_string(path) {
            Ok(text) => match serde_json::from_str(&text) {
                Ok(state) => (state, None),
                Err(e) => (
                    WatchState::default(),
                    Some(format!(
                        "{} is not valid state ({e}); starting afresh",
                        path.display()
                    )),
                ),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (WatchState::default(), None),
            Err(e) => (
                WatchState::default(),
                Some(format!(
                    "cannot read {}: {e}; starting afresh",
                    path.display()
                )),
            ),
        }
    }

    /// Writes the state atomically, the processed ids cut to the newest [`MAX_PROCESSED`].
    pub fn save(&mut self, path: &Path, now: DateTime<Utc>) -> std::io::Result<()> {
        let extra = self
            .processed_comment_ids
            .len()
            .saturating_sub(MAX_PROCESSED);
        self.processed_comment_ids.drain(..extra);
        self.last_check = Some(now.to_rfc3339());
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let text = serde_json::to_string_pretty(self).expect("state serialises");
        crate::fsutil::write_atomically(path, text.as_bytes())
    }

    /// Whether a comment needs nothing more.
    pub fn is_processed(&self, id: CommentId) -> bool {
        self.processed_comment_ids.contains(&id)
    }

    /// Records that a comment needs nothing more (and forgets its attempts).
    pub fn mark_processed(&mut self, id: CommentId) {
        self.attempts.remove(&id.to_string());
        if !self.is_processed(id) {
            self.processed_comment_ids.push(id);
        }
    }

    /// Counts a failed attempt at a command; returns the attempts so far.
    pub fn failed_attempt(&mut self, id: CommentId) -> u32 {
        let n = self.attempts.entry(id.to_string()).or_default();
        *n += 1;
        *n
    }

    /// Forgets reviews older than `since` (they no longer hold a PR back).
    pub fn forget_reviews_before(&mut self, since: DateTime<Utc>) {
        self.reviews.retain(|_, at| *at >= since);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_processed_set_keeps_the_newest_500_and_unknown_keys_survive() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".state/last_check.json");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            &path,
            r#"{"processed_comment_ids": [1, "2"], "last_check": "x", "future_key": {"a": 1}}"#,
        )
        .unwrap();
        let (mut state, problem) = WatchState::load(&path);
        assert_eq!(problem, None);
        assert!(state.is_processed(CommentId::new(2)));
        for id in 3..=600 {
            state.mark_processed(CommentId::new(id));
        }
        state.save(&path, Utc::now()).unwrap();
        let (again, _) = WatchState::load(&path);
        assert_eq!(again.processed_comment_ids.len(), MAX_PROCESSED);
        assert_eq!(
            again.processed_comment_ids.first(),
            Some(&CommentId::new(101))
        );
        assert_eq!(
            again.processed_comment_ids.last(),
            Some(&CommentId::new(600))
        );
        assert_eq!(again.other["future_key"], serde_json::json!({"a": 1}));
    }

    #[test]
    fn a_corrupt_or_missing_file_is_a_fresh_start_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("last_check.json");
        assert_eq!(WatchState::load(&path), (WatchState::default(), None));
        std::fs::write(&path, "{not json").unwrap();
        let (state, problem) = WatchState::load(&path);
        assert_eq!(state, WatchState::default());
        assert!(problem.unwrap().contains("starting afresh"));
    }

    #[test]
    fn attempts_count_up_and_end_when_processed() {
        let mut state = WatchState::default();
        let id = CommentId::new(7);
        assert_eq!(state.failed_attempt(id), 1);
        assert_eq!(state.failed_attempt(id), 2);
        state.mark_processed(id);
        assert!(state.attempts.is_empty());
        assert_eq!(state.failed_attempt(id), 1);
    }
}
