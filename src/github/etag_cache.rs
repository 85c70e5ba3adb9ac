//! The ETag cache behind conditional GETs, and its file between processes. The monitor is a
//! new process every 30 minutes; carrying the ETags (and the bodies they stand for) from one
//! tick to the next lets GitHub answer an unchanged read with 304, which costs no rate limit.
//!
//! Only entries read or written by this process are saved, so the file holds what one tick
//! reads and never grows without bound; entries larger than [`MAX_SAVED_ENTRY`] are not saved.
//!
//! Hand-written, not an HTTP-cache crate: saved between processes in our format, keyed by our URLs.

use std::collections::HashMap;
use std::path::Path;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// Bodies larger than this are not written to the file (a huge listing is re-read instead).
pub(crate) const MAX_SAVED_ENTRY: usize = 4 * 1024 * 1024;
/// The file format; a different version is ignored.
const VERSION: u32 = 1;

/// One cached answer.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub etag: String,
    pub body: Bytes,
    /// Read or stored by this process (only these are saved).
    pub used: bool,
}

/// ETag → body, keyed by `accept path`.
#[derive(Debug, Default)]
pub(crate) struct EtagCache {
    entries: HashMap<String, Entry>,
}

#[derive(Serialize, Deserialize)]
struct File {
    version: u32,
    /// The API base the entries came from; a cache of another server is ignored.
    api_url: String,
    entries: Vec<FileEntry>,
}

#[derive(Serialize, Deserialize)]
struct FileEntry {
    key: String,
    etag: String,
    body: String,
}

impl EtagCache {
    /// The entry for `key`, marked as used.
    pub(crate) fn get(&mut self, key: &str) -> Option<(String, Bytes)> {
        let entry = self.entries.get_mut(key)?;
        entry.used = true;
        Some((entry.etag.clone(), entry.body.clone()))
    }

    /// Stores a fresh answer.
    pub(crate) fn insert(&mut self, key: String, etag: String, body: Bytes) {
        self.entries.insert(
            key,
            Entry {
                etag,
                body,
                used: true,
            },
        );
    }

    /// Adds the entries of a saved cache of `api_url`; returns how many. A missing, corrupt,
    /// foreign or older file adds nothing (it is only a cache).
    pub(crate) fn load(&mut self, path: &Path, api_url: &str) -> usize {
        let Ok(text) = std::fs::read(path) else {
            return 0;
        };
        let file: File = match serde_json::from_slice(&text) {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!("ignoring the HTTP cache {}: {e}", path.display());
                return 0;
            }
        };
        if file.version != VERSION || file.api_url != api_url {
            return 0;
        }
        let n = file.entries.len();
        for e in file.entries {
            self.entries.entry(e.key).or_insert(Entry {
                etag: e.etag,
                body: Bytes::from(e.body),
                used: false,
            });
        }
        n
    }

    /// Writes the entries this process used (atomically: a temporary file, then a rename).
    pub(crate) fn save(&self, path: &Path, api_url: &str) -> std::io::Result<()> {
        let mut entries: Vec<FileEntry> = self
            .entries
            .iter()
            .filter(|(_, e)| e.used && e.body.len() <= MAX_SAVED_ENTRY)
            .filter_map(|(key, e)| {
                Some(FileEntry {
                    key: key.clone(),
                    etag: e.etag.clone(),
                    body: String::from_utf8(e.body.to_vec()).ok()?,
                })
            })
            .collect();
        entries.sort_by(|a, b| a.key.cmp(&b.key));
        let file = File {
            version: VERSION,
            api_url: api_url.to_string(),
            entries,
        };
        crate::fsutil::write_atomically(path, &serde_json::to_vec(&file)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_used_entries_of_this_server_survive_a_save_and_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/http_cache.json");
        let mut first = EtagCache::default();
        first.insert(
            "json /user".into(),
            "\"a\"".into(),
            Bytes::from("{\"login\":\"bot\"}"),
        );
        first.insert(
            "json /huge".into(),
            "\"b\"".into(),
            Bytes::from(vec![b'x'; MAX_SAVED_ENTRY + 1]),
        );
        first.save(&path, "https://api.github.com").unwrap();

        let mut second = EtagCache::default();
        assert_eq!(second.load(&path, "https://ghe.example/api/v3"), 0);
        assert_eq!(second.load(&path, "https://api.github.com"), 1);
        // Loaded but not used: not carried into the next file.
        let path2 = dir.path().join("again.json");
        second.save(&path2, "https://api.github.com").unwrap();
        let mut third = EtagCache::default();
        assert_eq!(third.load(&path2, "https://api.github.com"), 0);
        // Used: carried on.
        assert_eq!(
            second.get("json /user"),
            Some(("\"a\"".to_string(), Bytes::from("{\"login\":\"bot\"}")))
        );
        second.save(&path2, "https://api.github.com").unwrap();
        assert_eq!(third.load(&path2, "https://api.github.com"), 1);
    }

    #[test]
    fn a_corrupt_file_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("http_cache.json");
        std::fs::write(&path, "{not json").unwrap();
        assert_eq!(EtagCache::default().load(&path, "x"), 0);
    }
}
