//! The failure tracker's hidden state blob, `<!-- ci-failure-tracker-state:\n{JSON}\n-->`,
//! read leniently and written back without losing anything.
//!
//! Tracker issues are long-lived ledgers written by the original bot, by its single-workflow
//! prototype (the legacy `pr-test-amd-tracker-state:` prefix) and by us. Whatever they hold
//! must survive a rewrite: keys we do not know are kept, `job_id` keeps the spelling it was
//! stored with (`123`, `"123"`, `""` or `null`), and dates that do not parse are kept as
//! text. Types apply after reading ([`TrackerEntry::job_id`], [`TrackerEntry::first_seen`]).
//!
//! We add what the original does not know as extra keys it keeps untouched: per entry the
//! days it failed and a count, and one reserved pseudo-entry ([`SCANS_KEY`]) holding the days
//! a scan saw the workflow complete a run. Every `<` and `>` in the JSON is written as a
//! `\u003c`/`\u003e` escape, so no text a failure can contain ends the HTML comment.

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::domain::lenient::Kept;
use crate::domain::{Day, JobId};

/// Reserved key of the scan log. Row keys always contain `::`, so it never collides with one;
/// an original reader shows it as one quiet row labelled [`SCANS_LABEL`] and keeps it.
pub const SCANS_KEY: &str = "@sglang-bot-scan-days";
/// What an original reader shows as the scan log's test file.
pub const SCANS_LABEL: &str = "(sglang-bot: days the workflow completed a run)";
/// How many days of failures and scans are kept.
pub const HISTORY_DAYS: i64 = 30;

/// Prefix of the blob we write.
pub const STATE_PREFIX: &str = "<!-- ci-failure-tracker-state:";
/// Prefix of the prototype's blob, read when the current one is absent.
pub const LEGACY_STATE_PREFIX: &str = "<!-- pr-test-amd-tracker-state:";
/// End of either blob.
const STATE_END: &str = "-->";

/// One tracked test, keyed by `test_file::test_function` in [`TrackerState`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrackerEntry {
    /// File of the test, as the report named it.
    #[serde(default, deserialize_with = "text")]
    pub test_file: String,
    /// Function (or `Class::method`) of the test.
    #[serde(default, deserialize_with = "text")]
    pub test_function: String,
    /// Failure cluster of the latest sighting.
    #[serde(default, deserialize_with = "text")]
    pub cluster: String,
    /// One-line error of the latest sighting.
    #[serde(default, deserialize_with = "text")]
    pub error: String,
    /// Regression status line of the latest sighting.
    #[serde(default, deserialize_with = "text")]
    pub status: String,
    /// The upstream job page of the latest sighting.
    #[serde(default, deserialize_with = "text")]
    pub job_url: String,
    /// The job id as stored (number, string or null).
    #[serde(default)]
    pub job_id: Kept<JobId>,
    /// Deep link into the day's report, or "".
    #[serde(default, deserialize_with = "text")]
    pub detail_url: String,
    /// When the job started, verbatim.
    #[serde(default, deserialize_with = "text")]
    pub run_started_at: String,
    /// Last day the test failed.
    #[serde(default)]
    pub last_seen: Kept<Day>,
    /// First day the test failed (never re-dated).
    #[serde(default)]
    pub first_seen: Kept<Day>,
    /// The days (within the last [`HISTORY_DAYS`]) the test failed, oldest first.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "days"
    )]
    pub fail_days: Vec<Day>,
    /// How many distinct days it was seen failing since the bot started counting.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "count"
    )]
    pub count: Option<u64>,
    /// Keys this version does not know, kept for whoever wrote them.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl TrackerEntry {
    /// The job id, when the stored value is one.
    pub fn job_id(&self) -> Option<JobId> {
        self.job_id.get().copied()
    }

    /// The first day the test failed, when stored as a date.
    pub fn first_seen(&self) -> Option<Day> {
        self.first_seen.get().copied()
    }

    /// The last day the test failed, when stored as a date.
    pub fn last_seen(&self) -> Option<Day> {
        self.last_seen.get().copied()
    }
}

/// An entry as stored: one we can read, or anything else, kept as it was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum StoredEntry {
    /// An object: the tracker's schema, read leniently.
    Entry(Box<TrackerEntry>),
    /// Not an object (someone edited the blob by hand): left untouched.
    Raw(Value),
}

/// The whole blob: entries in first-seen order, as the original kept them, and the scan log.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrackerState {
    /// `test_file::test_function` → entry.
    pub entries: IndexMap<String, StoredEntry>,
    /// Days a scan saw the workflow complete a run (stored under [`SCANS_KEY`]).
    pub scans: ScanLog,
}

/// The days a scan saw the workflow complete a run: what makes a day a pass for an entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScanLog {
    /// Oldest first, each once.
    pub days: Vec<Day>,
    /// Keys of the pseudo-entry this version does not know, kept.
    pub other: Map<String, Value>,
}

impl ScanLog {
    fn to_value(&self) -> Value {
        let mut map = Map::new();
        map.insert("test_file".into(), SCANS_LABEL.into());
        map.insert("test_function".into(), "".into());
        map.insert("last_seen".into(), "".into());
        map.insert("first_seen".into(), "".into());
        let days: Vec<Value> = self.days.iter().map(|d| d.to_string().into()).collect();
        map.insert("scan_days".into(), Value::Array(days));
        for (k, v) in &self.other {
            map.insert(k.clone(), v.clone());
        }
        Value::Object(map)
    }

    fn from_value(value: Value) -> ScanLog {
        let Value::Object(mut map) = value else {
            return ScanLog::default();
        };
        for label in ["test_file", "test_function", "last_seen", "first_seen"] {
            map.remove(label);
        }
        let mut days: Vec<Day> = match map.remove("scan_days") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|d| d.as_str()?.parse().ok())
                .collect(),
            _ => Vec::new(),
        };
        days.sort();
        days.dedup();
        ScanLog { days, other: map }
    }

    /// Whether nothing is recorded (the pseudo-entry is then not written).
    pub fn is_empty(&self) -> bool {
        self.days.is_empty() && self.other.is_empty()
    }
}

impl Serialize for TrackerState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        for (k, v) in &self.entries {
            map.serialize_entry(k, v)?;
        }
        if !self.scans.is_empty() {
            map.serialize_entry(SCANS_KEY, &self.scans.to_value())?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for TrackerState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut raw = IndexMap::<String, Value>::deserialize(d)?;
        let scans = raw
            .shift_remove(SCANS_KEY)
            .map(ScanLog::from_value)
            .unwrap_or_default();
        let entries = raw
            .into_iter()
            .map(|(k, v)| {
                let entry = serde_json::from_value(v).map_err(serde::de::Error::custom)?;
                Ok((k, entry))
            })
            .collect::<Result<_, D::Error>>()?;
        Ok(TrackerState { entries, scans })
    }
}

/// Why a blob was not used (the caller logs it; a strict reader refuses to write over it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// The blob's JSON does not parse.
    #[error("tracker state after {prefix:?} is corrupt: {message}")]
    Corrupt {
        /// Which prefix held it.
        prefix: &'static str,
        /// The JSON error.
        message: String,
    },
    /// The blob has no end (`-->`).
    #[error("tracker state after {prefix:?} has no end")]
    Unterminated {
        /// Which prefix held it.
        prefix: &'static str,
    },
}

impl TrackerState {
    /// Reads the state strictly: the first blob under the current prefix, else under the
    /// legacy one. `Ok(None)` when neither is present (or holds a non-object, which the
    /// original skipped too); an error when a blob is present but cannot be read, because
    /// writing over it would erase its history. The original wrote `-->` inside JSON strings
    /// unescaped, so a blob ends at the first `-->` after which its JSON parses.
    pub fn read(body: &str) -> Result<Option<TrackerState>, StateError> {
        for prefix in [STATE_PREFIX, LEGACY_STATE_PREFIX] {
            let Some(start) = body.find(prefix) else {
                continue;
            };
            let rest = &body[start + prefix.len()..];
            let corrupt = |e: serde_json::Error| StateError::Corrupt {
                prefix,
                message: e.to_string(),
            };
            match blob_json(rest).ok_or(StateError::Unterminated { prefix })? {
                Ok(Value::Object(map)) => {
                    return serde_json::from_value(Value::Object(map))
                        .map(Some)
                        .map_err(corrupt)
                }
                Ok(_) => continue,
                Err(e) => return Err(corrupt(e)),
            }
        }
        Ok(None)
    }

    /// The blob as written into the issue body: one key per line, no indentation, non-ASCII
    /// as is, every `<` and `>` escaped so no value (test names and errors come from logs) can
    /// end or open an HTML comment.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"");
        let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
        self.serialize(&mut ser)
            .expect("a JSON value always serialises");
        let json = String::from_utf8(out).expect("serde_json writes UTF-8");
        format!(
            "{STATE_PREFIX}\n{}\n{STATE_END}",
            json.replace('<', "\\u003c").replace('>', "\\u003e")
        )
    }
}

/// The JSON of a blob whose text starts `rest`: up to the first `-->` after which it parses,
/// else the error at the first `-->`; `None` without any `-->`.
fn blob_json(rest: &str) -> Option<Result<Value, serde_json::Error>> {
    let mut first_error = None;
    for (end, _) in rest.match_indices(STATE_END) {
        match serde_json::from_str::<Value>(rest[..end].trim()) {
            Ok(value) => return Some(Ok(value)),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    first_error.map(Err)
}

/// Stored days, oldest first; what does not read as a day is dropped.
fn days<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Day>, D::Error> {
    let mut days: Vec<Day> = match Value::deserialize(d)? {
        Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str()?.parse().ok())
            .collect(),
        _ => Vec::new(),
    };
    days.sort();
    days.dedup();
    Ok(days)
}

/// A stored count: a number, or a number written as text (`"7"`); anything else reads as
/// unknown, so one odd value never makes its whole entry unreadable.
fn count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => s.trim().parse().ok(),
        other => other.as_u64(),
    })
}

/// A text field as stored: a string, or `null`/a number/a boolean read as its text.
fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A blob as the original bot wrote it, with each spelling of `job_id` it produced and a
    /// key this version does not know.
    const ORIGINAL: &str = r#"# tracker
<!-- ci-failure-tracker-state:
{
"test/srt/test_a.py::test_x": {
"test_file": "test/srt/test_a.py",
"test_function": "test_x",
"cluster": "HIP OOM",
"error": "RuntimeError: HIP out of memory",
"status": "New",
"job_url": "https://github.com/sgl-project/sglang/actions/runs/1/job/123",
"job_id": "123",
"detail_url": "",
"run_started_at": "2026-11-20T06:41:00Z",
"last_seen": "2026-11-20",
"first_seen": "2026-11-18",
"triaged_by": "HaiShaw"
},
"test/srt/test_b.py::test_y": {
"test_file": "test/srt/test_b.py",
"test_function": "test_y",
"job_id": "",
"last_seen": "2026-11-19",
"first_seen": "sometime"
},
"test/srt/test_c.py::test_z": {
"test_file": "test/srt/test_c.py",
"test_function": "test_z",
"job_id": null,
"last_seen": "2026-11-19",
"first_seen": "2026-11-19"
},
"test/srt/test_d.py::test_w": {
"test_file": "test/srt/test_d.py",
"job_id": 456,
"first_seen": "2026-11-17"
}
}
-->
"#;

    fn entry<'a>(state: &'a TrackerState, key: &str) -> &'a TrackerEntry {
        match &state.entries[key] {
            StoredEntry::Entry(e) => e,
            StoredEntry::Raw(v) => panic!("{key} was not read: {v}"),
        }
    }

    #[test]
    fn an_original_state_reads_with_every_job_id_spelling_and_writes_back_unchanged() {
        let state = TrackerState::read(ORIGINAL).unwrap().unwrap();
        assert_eq!(state.entries.len(), 4);
        let a = entry(&state, "test/srt/test_a.py::test_x");
        assert_eq!(a.job_id(), Some(JobId::new(123)));
        assert_eq!(
            a.first_seen().map(|d| d.to_string()).as_deref(),
            Some("2026-11-18")
        );
        assert_eq!(a.other["triaged_by"], "HaiShaw", "an unknown key is kept");
        assert_eq!(entry(&state, "test/srt/test_b.py::test_y").job_id(), None);
        assert_eq!(
            entry(&state, "test/srt/test_b.py::test_y").first_seen(),
            None
        );
        assert_eq!(entry(&state, "test/srt/test_c.py::test_z").job_id(), None);
        assert_eq!(
            entry(&state, "test/srt/test_d.py::test_w").job_id(),
            Some(JobId::new(456))
        );

        let written = state.render();
        let again = TrackerState::read(&written).unwrap().unwrap();
        assert_eq!(again, state, "a rewrite loses nothing");
        for kept in [
            r#""job_id": "123""#,
            r#""job_id": """#,
            r#""job_id": null"#,
            r#""job_id": 456"#,
            r#""triaged_by": "HaiShaw""#,
            r#""first_seen": "sometime""#,
        ] {
            assert!(
                written.contains(kept),
                "{kept} not written back:\n{written}"
            );
        }
        let order: Vec<&String> = again.entries.keys().collect();
        assert_eq!(
            order[0], "test/srt/test_a.py::test_x",
            "first-seen order is kept"
        );
        assert_eq!(order[3], "test/srt/test_d.py::test_w");
    }

    #[test]
    fn the_legacy_prefix_is_read_when_the_current_one_is_absent_and_never_written() {
        let legacy = ORIGINAL.replace(STATE_PREFIX, LEGACY_STATE_PREFIX);
        let state = TrackerState::read(&legacy).unwrap().unwrap();
        assert_eq!(state.entries.len(), 4);
        assert!(state.render().starts_with(STATE_PREFIX));
    }

    #[test]
    fn a_corrupt_current_blob_is_an_error_even_with_a_legacy_one_and_no_blob_is_none() {
        let body = format!(
            "{STATE_PREFIX}\n{{not json\n-->\n{LEGACY_STATE_PREFIX}\n{{\"k\": {{\"test_file\": \"f\"}}}}\n-->"
        );
        assert!(matches!(
            TrackerState::read(&body),
            Err(StateError::Corrupt { .. })
        ));
        assert_eq!(TrackerState::read("no blob here"), Ok(None));
    }

    #[test]
    fn an_original_blob_with_the_comment_end_inside_a_string_is_read_whole() {
        let body = ORIGINAL.replace(
            "RuntimeError: HIP out of memory",
            "assert x --> y failed, then --> again",
        );
        let state = TrackerState::read(&body).unwrap().unwrap();
        assert_eq!(state.entries.len(), 4);
        assert_eq!(
            entry(&state, "test/srt/test_a.py::test_x").error,
            "assert x --> y failed, then --> again"
        );
        let written = state.render();
        assert_eq!(TrackerState::read(&written).unwrap().unwrap(), state);
        let broken = format!("{STATE_PREFIX}\n{{\"a\": \"x --> y\"\n-->\ntext -->");
        assert!(matches!(
            TrackerState::read(&broken),
            Err(StateError::Corrupt { .. })
        ));
    }

    #[test]
    fn a_value_holding_the_comment_end_cannot_close_the_blob() {
        let mut state = TrackerState::default();
        state.entries.insert(
            "t.py::x".into(),
            StoredEntry::Entry(Box::new(TrackerEntry {
                error: "assert a --> b".into(),
                ..TrackerEntry::default()
            })),
        );
        let written = state.render();
        assert_eq!(written.matches("-->").count(), 1, "{written}");
        assert_eq!(TrackerState::read(&written).unwrap().unwrap(), state);
    }

    #[test]
    fn a_count_stored_as_text_or_garbage_does_not_make_its_entry_unreadable() {
        for (stored, want) in [
            ("\"7\"", Some(7)),
            ("7", Some(7)),
            ("\"many\"", None),
            ("-1", None),
        ] {
            let body = format!(
                "{STATE_PREFIX}\n{{\"a.py::t\": {{\"first_seen\": \"2026-11-01\", \"count\": {stored}}}}}\n-->"
            );
            let state = TrackerState::read(&body).unwrap().unwrap();
            let e = entry(&state, "a.py::t");
            assert_eq!(e.count, want, "{stored}");
            assert_eq!(
                e.first_seen().map(|d| d.to_string()).as_deref(),
                Some("2026-11-01")
            );
        }
    }

    #[test]
    fn an_entry_that_is_not_an_object_is_kept_raw() {
        let body = format!("{STATE_PREFIX}\n{{\"k\": [1, 2]}}\n-->");
        let state = TrackerState::read(&body).unwrap().unwrap();
        assert_eq!(
            state.entries["k"],
            StoredEntry::Raw(serde_json::json!([1, 2]))
        );
        assert!(state.render().contains("[\n1,\n2\n]"));
    }
}
