//! A scan's rows merged into a tracker's state: the history is owned here, never by a model.
//!
//! Entries are keyed by the canonical test id, and stored keys are read through the same
//! function, so a test whose spelling changed (`test/srt/x.py::TestX.test_y` written by the
//! original, `srt/x.py::TestX::test_y` now) continues one entry with its first day. The day of
//! the merge is passed in (`--date`); a backfill fills in history but never moves `last_seen`
//! backwards or overwrites newer fields.

use crate::domain::lenient::Kept;
use crate::domain::{Day, JobId};
use crate::logs::{canonical_file, canonical_test_id};
use crate::report::tracker::TrackerRow;
use crate::report::tracker_state::{StoredEntry, TrackerEntry, TrackerState, HISTORY_DAYS};

/// Longest stored text of a free-form field (a model may send anything).
const FIELD_LIMIT: usize = 500;
/// Longest stored one-line error (the original's limit).
pub const ERROR_LIMIT: usize = 110;

/// The original's one-line form: whitespace runs collapsed, `|` escaped, cut to `limit`
/// characters with `…`, and `—` for nothing.
pub fn one_line(text: &str, limit: usize) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let escaped = collapsed.replace('|', "\\|");
    let out = if escaped.chars().count() > limit {
        let mut head: String = escaped.chars().take(limit.saturating_sub(1)).collect();
        // Never leave half of a `\|` before the ellipsis.
        if head.ends_with('\\') && escaped.chars().nth(limit - 1) == Some('|') {
            head.pop();
        }
        format!("{}…", head.trim_end())
    } else {
        escaped
    };
    if out.is_empty() {
        "—".to_string()
    } else {
        out
    }
}

/// At most [`FIELD_LIMIT`] characters of a trimmed field.
fn bounded(text: &str) -> String {
    text.trim().chars().take(FIELD_LIMIT).collect()
}

/// `TestX.test_y[a.b]` → `TestX::test_y[a.b]`: dots outside a parameter list separate names.
fn function_path(function: &str) -> String {
    let (names, params) = function.split_at(function.find('[').unwrap_or(function.len()));
    format!("{}{params}", names.replace('.', "::"))
}

/// The entry key of a test: `file::function` with a `.py` file's spelling made canonical
/// (path relative to `test/`, `Class::method`), any other descriptor as written. `None` for a
/// row naming nothing (the original's `::` key, ST-G35).
pub fn row_key(test_file: &str, test_function: &str) -> Option<String> {
    let (file, function) = (test_file.trim(), test_function.trim());
    if file.is_empty() && function.is_empty() {
        return None;
    }
    if !file.ends_with(".py") {
        return Some(format!("{file}::{function}"));
    }
    let file = canonical_file(file);
    if function.is_empty() || function.eq_ignore_ascii_case("n/a") {
        return Some(format!("{file}::{function}"));
    }
    Some(canonical_test_id(
        &format!("{file}::{}", function_path(function)),
        None,
    ))
}

/// The key a stored entry belongs under: from its fields, else from the key it had.
fn stored_key(key: &str, entry: &TrackerEntry) -> String {
    row_key(&entry.test_file, &entry.test_function)
        .or_else(|| {
            let (file, function) = key.split_once("::").unwrap_or((key, ""));
            row_key(file, function)
        })
        .unwrap_or_else(|| key.to_string())
}

/// The state with every entry under its canonical key; entries that turn out to be one test
/// are combined (earliest first day, latest fields, every failing day).
pub fn canonicalize(state: TrackerState) -> TrackerState {
    let mut out = TrackerState {
        scans: state.scans,
        ..TrackerState::default()
    };
    for (key, stored) in state.entries {
        match stored {
            StoredEntry::Entry(entry) => {
                let key = stored_key(&key, &entry);
                insert(&mut out, key, *entry);
            }
            raw @ StoredEntry::Raw(_) => {
                out.entries.entry(key).or_insert(raw);
            }
        }
    }
    out
}

/// Adds `entry` under `key`, combining with what is there.
fn insert(state: &mut TrackerState, key: String, entry: TrackerEntry) {
    match state.entries.get_mut(&key) {
        Some(StoredEntry::Entry(have)) => combine(have, entry),
        Some(slot) => *slot = StoredEntry::Entry(Box::new(entry)),
        None => {
            state
                .entries
                .insert(key, StoredEntry::Entry(Box::new(entry)));
        }
    }
}

/// The union of the states read from a tracker's parts (the body and its overflow comments).
pub fn union(parts: Vec<TrackerState>) -> TrackerState {
    let mut out = TrackerState::default();
    for part in parts {
        for (key, stored) in part.entries {
            match stored {
                StoredEntry::Entry(e) => insert(&mut out, key, *e),
                raw => {
                    out.entries.entry(key).or_insert(raw);
                }
            }
        }
        out.scans.days.extend(part.scans.days);
        for (k, v) in part.scans.other {
            out.scans.other.entry(k).or_insert(v);
        }
    }
    out.scans.days.sort();
    out.scans.days.dedup();
    out
}

/// Two readings of one test made one: the newer one's fields, the earlier first day.
fn combine(have: &mut TrackerEntry, other: TrackerEntry) {
    let first = earliest(&have.first_seen, &other.first_seen);
    let mut days = have.fail_days.clone();
    days.extend(other.fail_days.iter().copied());
    days.sort();
    days.dedup();
    let count = [have.count, other.count, Some(days.len() as u64)]
        .into_iter()
        .flatten()
        .max()
        .filter(|c| *c > 0);
    if other.last_seen() > have.last_seen() {
        let mut extra = std::mem::take(&mut have.other);
        *have = other;
        for (k, v) in extra.iter_mut() {
            have.other.entry(k.clone()).or_insert(v.take());
        }
    } else {
        for (k, v) in other.other {
            have.other.entry(k).or_insert(v);
        }
    }
    have.first_seen = first;
    have.fail_days = days;
    have.count = count;
}

/// The earlier of two stored first days (one that is a day wins over one that is not).
fn earliest(a: &Kept<Day>, b: &Kept<Day>) -> Kept<Day> {
    match (a.get(), b.get()) {
        (Some(x), Some(y)) if y < x => b.clone(),
        (None, Some(_)) => b.clone(),
        _ => a.clone(),
    }
}

/// One scan of one workflow.
#[derive(Debug, Clone, Copy)]
pub struct Scan<'a> {
    /// The day merged into (`--date`, default today).
    pub day: Day,
    /// The rows routed to this workflow.
    pub rows: &'a [TrackerRow],
    /// `https://github.com/{bot_repo}/issues/{n}` of the day's issue, for deep links.
    pub daily_issue_url: Option<&'a str>,
    /// Whether the workflow completed a run that day (a day without failures then counts as
    /// a pass for every entry).
    pub completed_run: bool,
}

/// The record a row sets on its entry (everything but the days).
fn latest(row: &TrackerRow, daily_issue_url: Option<&str>) -> TrackerEntry {
    let job = row.job_id.get();
    TrackerEntry {
        test_file: bounded(&row.test_file),
        test_function: bounded(&row.test_function),
        cluster: bounded(&row.cluster),
        error: one_line(&row.error, ERROR_LIMIT),
        status: bounded(&row.status),
        job_url: bounded(&row.job_url),
        job_id: if job == 0 {
            Kept::null()
        } else {
            Kept::new(JobId::new(job))
        },
        detail_url: match daily_issue_url {
            Some(url) if job != 0 => format!("{url}#job-{job}"),
            _ => String::new(),
        },
        run_started_at: bounded(&row.run_started_at),
        ..TrackerEntry::default()
    }
}

/// Merges one scan: each row continues its entry (or starts one), the day joins the entry's
/// failing days and, with a completed run, the scan log; history past [`HISTORY_DAYS`] is
/// dropped. Entries absent from the scan are untouched; nothing is deleted.
pub fn merge(state: &mut TrackerState, scan: &Scan<'_>) {
    let day = scan.day;
    let row_keys: Vec<String> = scan
        .rows
        .iter()
        .filter_map(|r| row_key(&r.test_file, &r.test_function))
        .collect();
    for row in scan.rows {
        let Some(key) = row_key(&row.test_file, &row.test_function) else {
            continue;
        };
        continue_bare_entry(state, &key, &row_keys, row);
        let fresh = latest(row, scan.daily_issue_url);
        let slot = state
            .entries
            .entry(key)
            .or_insert_with(|| StoredEntry::Entry(Box::default()));
        if let StoredEntry::Raw(raw) = slot {
            *slot = StoredEntry::Entry(Box::new(salvage(raw)));
        }
        let StoredEntry::Entry(entry) = slot else {
            unreachable!("replaced above");
        };
        apply(entry, fresh, day);
    }
    if scan.completed_run || !scan.rows.is_empty() {
        state.scans.days.push(day);
        state.scans.days.sort();
        state.scans.days.dedup();
    }
    prune(state);
}

/// Fields of an entry this version reads; any other key of a stored object is someone else's.
const KNOWN_FIELDS: [&str; 13] = [
    "test_file",
    "test_function",
    "cluster",
    "error",
    "status",
    "job_url",
    "job_id",
    "detail_url",
    "run_started_at",
    "last_seen",
    "first_seen",
    "fail_days",
    "count",
];

/// What a stored value that could not be read as an entry still gives a row continuing it:
/// an object's first day and the keys this version does not know (the row sets the rest).
fn salvage(raw: &serde_json::Value) -> TrackerEntry {
    let serde_json::Value::Object(map) = raw else {
        return TrackerEntry::default();
    };
    TrackerEntry {
        first_seen: map
            .get("first_seen")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default(),
        other: map
            .iter()
            .filter(|(k, _)| !KNOWN_FIELDS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        ..TrackerEntry::default()
    }
}

/// `(file, method)` of a `.py` key naming a class's method (`f.py::C::t[p]` → `f.py`,
/// `t[p]`), the key an entry would have had when the function was named bare.
fn class_method(key: &str) -> Option<(&str, String)> {
    let (file, function) = key.split_once("::")?;
    if !file.ends_with(".py") {
        return None;
    }
    let (names, params) = function.split_at(function.find('[').unwrap_or(function.len()));
    let (_, method) = names.rsplit_once("::")?;
    Some((file, format!("{method}{params}")))
}

/// A row named `file::Class::t` continues the entry stored as `file::t` (reports named the
/// function bare before they named its class) when the new key has no entry yet and no other
/// class's `t` in that file (nor the bare name itself) is stored or in the scan, so the entry
/// keeps its first day.
fn continue_bare_entry(state: &mut TrackerState, key: &str, row_keys: &[String], row: &TrackerRow) {
    if state.entries.contains_key(key) {
        return;
    }
    let Some(method) = class_method(key) else {
        return;
    };
    let bare = format!("{}::{}", method.0, method.1);
    if !matches!(state.entries.get(&bare), Some(StoredEntry::Entry(_))) {
        return;
    }
    let ambiguous = state
        .entries
        .keys()
        .chain(row_keys)
        .any(|k| k != key && class_method(k).as_ref() == Some(&method))
        || row_keys.contains(&bare);
    if ambiguous {
        return;
    }
    let Some((at, _, StoredEntry::Entry(mut entry))) = state.entries.shift_remove_full(&bare)
    else {
        unreachable!("checked above");
    };
    entry.test_file = bounded(&row.test_file);
    entry.test_function = bounded(&row.test_function);
    state
        .entries
        .shift_insert(at, key.to_string(), StoredEntry::Entry(entry));
}

/// One row applied to its entry on `day`.
fn apply(entry: &mut TrackerEntry, fresh: TrackerEntry, day: Day) {
    let newest = entry.last_seen().is_none_or(|last| day >= last);
    if newest {
        let keep = std::mem::take(entry);
        *entry = TrackerEntry {
            first_seen: keep.first_seen,
            fail_days: keep.fail_days,
            count: keep.count,
            other: keep.other,
            last_seen: Kept::new(day),
            ..fresh
        };
    }
    match entry.first_seen.get() {
        Some(first) if *first <= day => {}
        Some(_) => entry.first_seen = Kept::new(day),
        None if entry.first_seen.raw().is_null() => entry.first_seen = Kept::new(day),
        None => {}
    }
    if !entry.fail_days.contains(&day) {
        entry.fail_days.push(day);
        entry.fail_days.sort();
        entry.count = Some(entry.count.unwrap_or(0).saturating_add(1));
    }
}

/// Drops failing and scan days older than [`HISTORY_DAYS`] before the latest day known.
fn prune(state: &mut TrackerState) {
    let latest = state.scans.days.last().copied();
    let Some(latest) = latest else { return };
    let keep = |d: &Day| (latest.date() - d.date()).num_days() < HISTORY_DAYS;
    state.scans.days.retain(keep);
    for stored in state.entries.values_mut() {
        if let StoredEntry::Entry(e) = stored {
            e.fail_days.retain(keep);
        }
    }
}

/// A tracked workflow as routing sees it.
#[derive(Debug, Clone, Copy)]
pub struct Tracked<'a> {
    /// Workflow file.
    pub file: &'a str,
    /// Display name (an agent may tag rows with it).
    pub display: &'a str,
}

/// Rows per tracked workflow (in `tracked` order) and how many were dropped. A row goes to the
/// workflow it names. With one tracked workflow, a row naming no workflow (or its display
/// name) goes to it too; a row naming any other workflow is dropped rather than misattributed
/// (the original attributed it, ST-G34). With several, untagged rows are dropped.
pub fn route(rows: Vec<TrackerRow>, tracked: &[Tracked<'_>]) -> (Vec<Vec<TrackerRow>>, usize) {
    let mut out = vec![Vec::new(); tracked.len()];
    let mut dropped = 0;
    for row in rows {
        let tag = row.workflow.trim();
        let to = tracked.iter().position(|t| t.file == tag).or_else(|| {
            (tracked.len() == 1 && (tag.is_empty() || tag == tracked[0].display)).then_some(0)
        });
        match to {
            Some(i) => out[i].push(row),
            None => dropped += 1,
        }
    }
    (out, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Day {
        s.parse().unwrap()
    }

    fn row(file: &str, function: &str, error: &str, job: u64) -> TrackerRow {
        TrackerRow {
            workflow: "pr-test-amd.yml".into(),
            test_file: file.into(),
            test_function: function.into(),
            cluster: "hip-oom".into(),
            error: error.into(),
            status: "new today".into(),
            job_url: "https://github.com/sgl-project/sglang/actions/runs/9/job/7".into(),
            job_id: JobId::new(job),
            run_started_at: "2026-11-24T06:41:00Z".into(),
        }
    }

    fn scan<'a>(d: &str, rows: &'a [TrackerRow]) -> Scan<'a> {
        Scan {
            day: day(d),
            rows,
            daily_issue_url: Some("https://github.com/amd-ci/bot/issues/5"),
            completed_run: true,
        }
    }

    fn entry<'a>(state: &'a TrackerState, key: &str) -> &'a TrackerEntry {
        match &state.entries[key] {
            StoredEntry::Entry(e) => e,
            StoredEntry::Raw(v) => panic!("{v}"),
        }
    }

    #[test]
    fn keys_are_canonical_test_ids_and_descriptors_stay_as_written() {
        assert_eq!(
            row_key("test/srt/test_a.py", "TestA.test_x").as_deref(),
            Some("srt/test_a.py::TestA::test_x")
        );
        assert_eq!(
            row_key(" srt/test_a.py ", "TestA::test_x").as_deref(),
            Some("srt/test_a.py::TestA::test_x")
        );
        assert_eq!(
            row_key("test/a.py", "test_p[x.y]").as_deref(),
            Some("a.py::test_p[x.y]")
        );
        assert_eq!(
            row_key("Setup: pip install", "N/A").as_deref(),
            Some("Setup: pip install::N/A")
        );
        assert_eq!(row_key("f.py", "").as_deref(), Some("f.py::"));
        assert_eq!(row_key(" ", " "), None);
    }

    #[test]
    fn g35_a_row_naming_nothing_is_ignored_and_one_with_a_single_name_is_kept() {
        let mut state = TrackerState::default();
        let rows = [
            row("", "  ", "e", 1),
            row("", "test_x", "e", 1),
            row("f.py", "", "e", 1),
        ];
        merge(&mut state, &scan("2026-11-24", &rows));
        let keys: Vec<&String> = state.entries.keys().collect();
        assert_eq!(keys, ["::test_x", "f.py::"]);
    }

    #[test]
    fn g36_g37_first_seen_is_kept_last_seen_and_count_advance_and_fields_are_overwritten() {
        let mut state = TrackerState::default();
        merge(
            &mut state,
            &scan("2026-11-20", &[row("a.py", "t", "old", 1)]),
        );
        let e = entry(&state, "a.py::t");
        assert_eq!(
            (e.first_seen(), e.last_seen()),
            (Some(day("2026-11-20")), Some(day("2026-11-20")))
        );
        if let StoredEntry::Entry(e) = state.entries.get_mut("a.py::t").unwrap() {
            e.other.insert("triaged_by".into(), "HaiShaw".into());
        }
        let mut newer = row("a.py", "t", "", 2);
        newer.cluster = String::new();
        merge(&mut state, &scan("2026-11-22", &[newer.clone()]));
        merge(&mut state, &scan("2026-11-22", &[newer]));
        let e = entry(&state, "a.py::t");
        assert_eq!(e.first_seen(), Some(day("2026-11-20")));
        assert_eq!(e.last_seen(), Some(day("2026-11-22")));
        assert_eq!((e.cluster.as_str(), e.error.as_str()), ("", "—"));
        assert_eq!(e.count, Some(2), "one count per day, not per run");
        assert_eq!(e.other["triaged_by"], "HaiShaw");
        assert_eq!(e.fail_days, [day("2026-11-20"), day("2026-11-22")]);
    }

    #[test]
    fn g38_g39_absent_keys_are_untouched_and_the_last_row_of_a_key_wins() {
        let mut state = TrackerState::default();
        merge(
            &mut state,
            &scan(
                "2026-11-20",
                &[row("a.py", "t", "e", 1), row("b.py", "t", "e", 1)],
            ),
        );
        let before = entry(&state, "b.py::t").clone();
        let twice = [row("a.py", "t", "first", 1), row("a.py", "t", "second", 2)];
        merge(&mut state, &scan("2026-11-21", &twice));
        assert_eq!(entry(&state, "b.py::t"), &before);
        assert_eq!(state.entries.len(), 2);
        assert_eq!(entry(&state, "a.py::t").error, "second");
        assert_eq!(entry(&state, "a.py::t").job_id(), Some(JobId::new(2)));
    }

    #[test]
    fn g40_errors_are_one_line_pipe_escaped_and_cut_at_110() {
        assert_eq!(one_line("a\n\tb | c", 110), "a b \\| c");
        let long = "x".repeat(200);
        let cut = one_line(&long, 110);
        assert_eq!(cut.chars().count(), 110);
        assert!(cut.ends_with('…'));
        assert_eq!(one_line("  ", 110), "—");
        let pipe_at_cut = format!("{}|tail", "y".repeat(108));
        assert!(!one_line(&pipe_at_cut, 110).contains("\\…"));
    }

    #[test]
    fn g41_detail_url_needs_the_daily_issue_and_a_job_id() {
        let mut state = TrackerState::default();
        merge(
            &mut state,
            &scan(
                "2026-11-20",
                &[row("a.py", "t", "e", 77), row("b.py", "t", "e", 0)],
            ),
        );
        assert_eq!(
            entry(&state, "a.py::t").detail_url,
            "https://github.com/amd-ci/bot/issues/5#job-77"
        );
        assert_eq!(entry(&state, "b.py::t").detail_url, "");
        let mut no_issue = scan("2026-11-20", &[]);
        let rows = [row("c.py", "t", "e", 9)];
        no_issue.rows = &rows;
        no_issue.daily_issue_url = None;
        merge(&mut state, &no_issue);
        assert_eq!(entry(&state, "c.py::t").detail_url, "");
    }

    #[test]
    fn st_g58_a_backfill_never_moves_last_seen_back_but_can_move_first_seen_earlier() {
        let mut state = TrackerState::default();
        merge(
            &mut state,
            &scan("2026-11-24", &[row("a.py", "t", "new", 1)]),
        );
        merge(
            &mut state,
            &scan("2026-11-20", &[row("a.py", "t", "old", 1)]),
        );
        let e = entry(&state, "a.py::t");
        assert_eq!(e.last_seen(), Some(day("2026-11-24")));
        assert_eq!(e.first_seen(), Some(day("2026-11-20")));
        assert_eq!(e.error, "new", "older fields do not overwrite newer ones");
        assert_eq!(e.count, Some(2));
        assert_eq!(state.scans.days, [day("2026-11-20"), day("2026-11-24")]);
    }

    #[test]
    fn a_spelling_change_continues_the_entry_with_its_first_day() {
        let body = r#"<!-- ci-failure-tracker-state:
{"test/srt/test_a.py::TestA.test_x": {"test_file": "test/srt/test_a.py", "test_function": "TestA.test_x", "first_seen": "2026-11-01", "last_seen": "2026-11-10"},
 "srt/test_a.py::TestA::test_x": {"test_file": "srt/test_a.py", "test_function": "TestA::test_x", "first_seen": "2026-11-05", "last_seen": "2026-11-12", "error": "newer"}}
-->"#;
        let state = TrackerState::read(body).unwrap().unwrap();
        let mut state = canonicalize(state);
        assert_eq!(state.entries.len(), 1);
        let key = "srt/test_a.py::TestA::test_x";
        assert_eq!(entry(&state, key).first_seen(), Some(day("2026-11-01")));
        assert_eq!(entry(&state, key).error, "newer");
        merge(
            &mut state,
            &scan(
                "2026-11-24",
                &[row("test/srt/test_a.py", "TestA.test_x", "e", 1)],
            ),
        );
        assert_eq!(state.entries.len(), 1);
        assert_eq!(entry(&state, key).first_seen(), Some(day("2026-11-01")));
        assert_eq!(entry(&state, key).last_seen(), Some(day("2026-11-24")));
    }

    #[test]
    fn an_unreadable_stored_object_meeting_a_row_keeps_its_first_day_and_unknown_keys() {
        let mut state = TrackerState::default();
        state.entries.insert(
            "a.py::t".into(),
            StoredEntry::Raw(serde_json::json!({
                "first_seen": "2026-11-01", "count": {"odd": true}, "triaged_by": "HaiShaw"
            })),
        );
        merge(&mut state, &scan("2026-11-24", &[row("a.py", "t", "e", 1)]));
        let e = entry(&state, "a.py::t");
        assert_eq!(e.first_seen(), Some(day("2026-11-01")));
        assert_eq!(e.last_seen(), Some(day("2026-11-24")));
        assert_eq!(e.other["triaged_by"], "HaiShaw");
        assert!(
            !e.other.contains_key("count"),
            "a known field is not kept twice"
        );
        assert_eq!(e.count, Some(1));
    }

    #[test]
    fn a_count_at_its_limit_does_not_overflow() {
        let mut state = TrackerState::default();
        merge(&mut state, &scan("2026-11-20", &[row("a.py", "t", "e", 1)]));
        if let StoredEntry::Entry(e) = state.entries.get_mut("a.py::t").unwrap() {
            e.count = Some(u64::MAX);
        }
        merge(&mut state, &scan("2026-11-21", &[row("a.py", "t", "e", 1)]));
        assert_eq!(entry(&state, "a.py::t").count, Some(u64::MAX));
    }

    /// A state holding `file::function` entries first seen on 2026-11-01.
    fn stored(keys: &[(&str, &str)]) -> TrackerState {
        let rows: Vec<TrackerRow> = keys.iter().map(|(f, t)| row(f, t, "e", 1)).collect();
        let mut state = TrackerState::default();
        merge(&mut state, &scan("2026-11-01", &rows));
        assert_eq!(state.entries.len(), keys.len());
        state
    }

    #[test]
    fn a_class_qualified_name_continues_the_one_bare_entry_of_its_file() {
        let mut state = stored(&[("srt/x.py", "test_y"), ("srt/z.py", "test_y")]);
        merge(
            &mut state,
            &scan(
                "2026-11-24",
                &[row("test/srt/x.py", "TestX.test_y", "e", 1)],
            ),
        );
        assert!(!state.entries.contains_key("srt/x.py::test_y"));
        let e = entry(&state, "srt/x.py::TestX::test_y");
        assert_eq!(e.first_seen(), Some(day("2026-11-01")));
        assert_eq!(e.last_seen(), Some(day("2026-11-24")));
        assert_eq!(e.count, Some(2));
        assert_eq!(
            entry(&state, "srt/z.py::test_y").first_seen(),
            Some(day("2026-11-01"))
        );
        let again = canonicalize(TrackerState::read(&state.render()).unwrap().unwrap());
        assert_eq!(
            again, state,
            "the entry stays under its new key when read back"
        );
    }

    #[test]
    fn a_bare_entry_is_not_continued_when_another_class_could_own_it() {
        let mut other_stored = stored(&[("x.py", "test_y"), ("x.py", "TestB.test_y")]);
        merge(
            &mut other_stored,
            &scan("2026-11-24", &[row("x.py", "TestA.test_y", "e", 1)]),
        );
        assert_eq!(
            entry(&other_stored, "x.py::TestA::test_y").first_seen(),
            Some(day("2026-11-24"))
        );
        assert!(other_stored.entries.contains_key("x.py::test_y"));
        for second in ["TestB.test_y", "test_y"] {
            let mut both = stored(&[("x.py", "test_y")]);
            let rows = [
                row("x.py", "TestA.test_y", "e", 1),
                row("x.py", second, "e", 1),
            ];
            merge(&mut both, &scan("2026-11-24", &rows));
            assert_eq!(
                entry(&both, "x.py::TestA::test_y").first_seen(),
                Some(day("2026-11-24")),
                "{second}"
            );
            assert_eq!(
                entry(&both, "x.py::test_y").first_seen(),
                Some(day("2026-11-01"))
            );
        }
    }

    #[test]
    fn history_keeps_thirty_days_and_a_day_without_rows_is_a_scan_day_only_with_a_run() {
        let mut state = TrackerState::default();
        merge(&mut state, &scan("2026-10-01", &[row("a.py", "t", "e", 1)]));
        let mut quiet = scan("2026-10-02", &[]);
        quiet.completed_run = false;
        merge(&mut state, &quiet);
        assert_eq!(state.scans.days, [day("2026-10-01")]);
        merge(&mut state, &scan("2026-11-24", &[row("b.py", "t", "e", 1)]));
        assert_eq!(state.scans.days, [day("2026-11-24")]);
        assert!(entry(&state, "a.py::t").fail_days.is_empty());
        assert_eq!(entry(&state, "a.py::t").count, Some(1), "the count is kept");
    }

    #[test]
    fn st_g34_routing_attributes_only_untagged_rows_to_a_single_workflow() {
        let one = [Tracked {
            file: "pr-test-amd.yml",
            display: "PR Test (AMD)",
        }];
        let tagged = |wf: &str| {
            let mut r = row("a.py", "t", "e", 1);
            r.workflow = wf.into();
            r
        };
        let rows = vec![
            tagged("pr-test-amd.yml"),
            tagged(""),
            tagged(" "),
            tagged("PR Test (AMD)"),
            tagged("nightly-test-amd.yml"),
        ];
        let (routed, dropped) = route(rows.clone(), &one);
        assert_eq!((routed[0].len(), dropped), (4, 1));
        let two = [
            one[0],
            Tracked {
                file: "nightly-test-amd.yml",
                display: "Nightly",
            },
        ];
        let (routed, dropped) = route(rows, &two);
        assert_eq!((routed[0].len(), routed[1].len(), dropped), (1, 1, 3));
    }
}
