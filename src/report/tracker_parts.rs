//! A tracker laid out over its issue body and bot-owned overflow comments, each within
//! GitHub's 65,536-character limit at any number of entries, and read back as one state.
//!
//! The body holds the first part of the state under the original prefix (an original reader
//! sees that part only, which is accepted), the chart and the first failing rows; each
//! overflow comment starts with its part marker and holds the next part of the state and the
//! next rows. The union of the parts is the state; no entry is dropped to make room.

use crate::domain::Day;
use crate::report::markers::{
    tracker_part_marker, TRACKER_END, TRACKER_PART_PREFIX, TRACKER_START,
};
use crate::report::tracker_merge::{canonicalize, union};
use crate::report::tracker_render::{foot, head, rows, TrackerView, FAILING_HEADER, QUIET_HEADER};
use crate::report::tracker_state::{StateError, TrackerState};

/// GitHub's limit on an issue body or comment, in characters.
pub const GITHUB_LIMIT: usize = 65_536;
/// State blob budget in the body (the fixed text and the chart take about 5,000).
const BODY_BLOB: usize = 18_000;
/// State blob budget in an overflow comment.
const COMMENT_BLOB: usize = 24_000;
/// Budget of the failing table on any page.
const FAILING_BUDGET: usize = 20_000;
/// Budget of the quiet table on any page.
const QUIET_BUDGET: usize = 10_000;

/// What is written: the issue body and the overflow comments, in part order (2, 3, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackerPages {
    /// The issue body (part 1).
    pub body: String,
    /// Overflow comments, parts 2, 3, ….
    pub comments: Vec<String>,
}

/// Groups `items` in order so each group's total size stays within its budget (the first
/// group's is `first`); an item larger than a budget goes alone.
fn chunk<T>(items: Vec<(T, usize)>, first: usize, rest: usize) -> Vec<Vec<T>> {
    let mut out: Vec<Vec<T>> = Vec::new();
    let mut current: Vec<T> = Vec::new();
    let mut size = 0;
    for (item, len) in items {
        let budget = if out.is_empty() { first } else { rest };
        if !current.is_empty() && size + len > budget {
            out.push(std::mem::take(&mut current));
            size = 0;
        }
        size += len;
        current.push(item);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The state split into parts; the scan log goes with the first.
fn state_parts(state: &TrackerState) -> Vec<TrackerState> {
    let sized: Vec<_> = state
        .entries
        .iter()
        .map(|(k, v)| {
            let mut one = TrackerState::default();
            one.entries.insert(k.clone(), v.clone());
            let len = one.render().chars().count();
            ((k.clone(), v.clone()), len)
        })
        .collect();
    let mut parts: Vec<TrackerState> = chunk(sized, BODY_BLOB, COMMENT_BLOB)
        .into_iter()
        .map(|group| TrackerState {
            entries: group.into_iter().collect(),
            ..TrackerState::default()
        })
        .collect();
    if parts.is_empty() {
        parts.push(TrackerState::default());
    }
    parts[0].scans = state.scans.clone();
    parts
}

/// Rows grouped by page.
fn row_parts(rows: Vec<String>, budget: usize) -> Vec<Vec<String>> {
    let sized = rows
        .into_iter()
        .map(|r| {
            let len = r.chars().count() + 1;
            (r, len)
        })
        .collect();
    chunk(sized, budget, budget)
}

/// A table, or nothing for no rows.
fn table(header: &str, rows: &[String]) -> String {
    format!("{header}\n{}", rows.join("\n"))
}

/// Renders the tracker as its body and overflow comments.
pub fn render(view: &TrackerView<'_>, state: &TrackerState) -> TrackerPages {
    let (failing, quiet) = rows(state, view.today);
    let failing_count = failing.len();
    let quiet_count = quiet.len();
    let blobs = state_parts(state);
    let failing = row_parts(failing, FAILING_BUDGET);
    let quiet = row_parts(quiet, QUIET_BUDGET);
    let pages = blobs.len().max(failing.len()).max(quiet.len()).max(1);
    let page = |i: usize| {
        (
            blobs.get(i).cloned().unwrap_or_default(),
            failing.get(i).cloned().unwrap_or_default(),
            quiet.get(i).cloned().unwrap_or_default(),
        )
    };
    let (blob, fail_rows, quiet_rows) = page(0);
    let mut body = vec![
        TRACKER_START.to_string(),
        blob.render(),
        head(view, state, failing_count),
        String::new(),
        "## 🔴 Currently failing (latest scan)".into(),
        String::new(),
    ];
    if fail_rows.is_empty() {
        body.push(format!(
            "_No `{}` failures observed in the latest scan._",
            view.workflow.replace('`', "'")
        ));
    } else {
        body.push(table(FAILING_HEADER, &fail_rows));
        if failing_count > fail_rows.len() {
            body.push(format!(
                "\n_{} more failing row(s) in the tracker's comments below._",
                failing_count - fail_rows.len()
            ));
        }
    }
    body.push(String::new());
    if quiet_count > 0 {
        body.push(format!("<details><summary><b>⚪ Quiet / no longer observed failing ({quiet_count})</b> · click to expand</summary>\n\n{}\n\n</details>\n", table(QUIET_HEADER, &quiet_rows)));
    }
    body.push(foot(view.updated));
    body.push(TRACKER_END.to_string());
    let comments = (1..pages)
        .map(|i| {
            let (blob, fail_rows, quiet_rows) = page(i);
            comment(view.workflow, i + 1, pages, &blob, &fail_rows, &quiet_rows)
        })
        .collect();
    TrackerPages {
        body: body.join("\n"),
        comments,
    }
}

/// Overflow comment `index` of `total`.
fn comment(
    workflow: &str,
    index: usize,
    total: usize,
    blob: &TrackerState,
    failing: &[String],
    quiet: &[String],
) -> String {
    let mut out = vec![
        tracker_part_marker(index, total),
        blob.render(),
        format!(
            "## `{}` failure tracker — continued ({index}/{total})",
            workflow.replace('`', "'")
        ),
    ];
    if !failing.is_empty() {
        out.push(format!(
            "\n### 🔴 Currently failing (continued)\n\n{}",
            table(FAILING_HEADER, failing)
        ));
    }
    if !quiet.is_empty() {
        out.push(format!(
            "\n<details><summary><b>⚪ Quiet (continued, {})</b></summary>\n\n{}\n\n</details>",
            quiet.len(),
            table(QUIET_HEADER, quiet)
        ));
    }
    out.join("\n")
}

/// The part number of an overflow comment (2, 3, …), from its first marker.
pub fn part_index(comment: &str) -> Option<usize> {
    let at = comment.find(TRACKER_PART_PREFIX)?;
    let rest = &comment[at + TRACKER_PART_PREFIX.len()..];
    rest.split('/').next()?.trim().parse().ok()
}

/// The state of a tracker from its body and its overflow comments (the bot's own, found by
/// the caller): every part read strictly and united, keys made canonical. Any unreadable part
/// is an error, so the caller leaves the tracker as it is.
pub fn read(body: &str, comments: &[&str]) -> Result<TrackerState, StateError> {
    let mut parts = vec![TrackerState::read(body)?.unwrap_or_default()];
    for text in comments {
        parts.push(TrackerState::read(text)?.unwrap_or_default());
    }
    Ok(canonicalize(union(parts)))
}

/// The day rows count as failing on: the merge day, or a later day already merged (a
/// backfill does not make today's failures look quiet).
pub fn shown_day(state: &TrackerState, merged: Day) -> Day {
    state
        .scans
        .days
        .last()
        .copied()
        .map_or(merged, |d| d.max(merged))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::lenient::Kept;
    use crate::domain::JobId;
    use crate::report::tracker::TrackerRow;
    use crate::report::tracker_merge::{merge, row_key, Scan};
    use crate::report::tracker_render::comparable;
    use crate::report::tracker_state::{StoredEntry, TrackerEntry};

    fn day(s: &str) -> Day {
        s.parse().unwrap()
    }

    fn view(today: &str) -> TrackerView<'static> {
        TrackerView {
            workflow: "pr-test-amd.yml",
            display: "PR Test (AMD)",
            today: day(today),
            updated: "2026-11-24 06:00 UTC",
            daily_url: "https://github.com/amd-ci/bot/issues/5",
        }
    }

    fn rows(n: usize, error: &str) -> Vec<TrackerRow> {
        (0..n)
            .map(|i| TrackerRow {
                workflow: "pr-test-amd.yml".into(),
                test_file: format!("test/registered/amd/test_model_{i:03}.py"),
                test_function: format!("TestModel{i}.test_accuracy_with_a_long_name"),
                cluster: "accuracy regression on MI325".into(),
                error: error.into(),
                status: "recurring".into(),
                job_url: format!("https://github.com/sgl-project/sglang/actions/runs/9/job/{i}"),
                job_id: JobId::new(1000 + i as u64),
                run_started_at: "2026-11-24T06:41:00Z".into(),
            })
            .collect()
    }

    fn merged(n: usize, day_text: &str) -> TrackerState {
        let mut state = TrackerState::default();
        let long = format!("AssertionError: {} --> <b>|`", "x".repeat(200));
        merge(
            &mut state,
            &Scan {
                day: day(day_text),
                rows: &rows(n, &long),
                daily_issue_url: Some("https://github.com/amd-ci/bot/issues/5"),
                completed_run: true,
            },
        );
        state
    }

    fn reread(pages: &TrackerPages) -> TrackerState {
        let comments: Vec<&str> = pages.comments.iter().map(String::as_str).collect();
        read(&pages.body, &comments).expect("our own pages read back")
    }

    #[test]
    fn three_hundred_failing_tests_fit_every_page_and_read_back_whole() {
        let state = merged(300, "2026-11-24");
        let pages = render(&view("2026-11-24"), &state);
        assert!(!pages.comments.is_empty(), "300 entries overflow the body");
        for page in std::iter::once(&pages.body).chain(&pages.comments) {
            assert!(
                page.chars().count() <= GITHUB_LIMIT,
                "{}",
                page.chars().count()
            );
        }
        assert_eq!(reread(&pages), state);
        let all = format!("{}\n{}", pages.body, pages.comments.join("\n"));
        for i in 0..300 {
            let row = all.lines().find(|l| {
                l.contains(&format!("test_model_{i:03}.py`")) && l.contains("🔴 failing")
            });
            assert!(row.is_some(), "test {i} has no failing row");
        }
        for (i, c) in pages.comments.iter().enumerate() {
            assert_eq!(part_index(c), Some(i + 2));
        }
    }

    #[test]
    fn a_new_run_time_alone_is_not_a_change() {
        let state = merged(3, "2026-11-24");
        let first = render(&view("2026-11-24"), &state);
        let mut later = view("2026-11-24");
        later.updated = "2026-11-24 23:30 UTC";
        let second = render(&later, &state);
        assert_ne!(first.body, second.body);
        assert_eq!(comparable(&second.body), comparable(&first.body));
        let next_day = render(&view("2026-11-25"), &state);
        assert_ne!(comparable(&next_day.body), comparable(&first.body));
    }

    #[test]
    fn g54_g55_g57_durations_states_and_empty_sections() {
        let mut state = merged(1, "2026-11-20");
        let pages = render(&view("2026-11-24"), &state);
        assert!(pages
            .body
            .contains("_No `pr-test-amd.yml` failures observed in the latest scan._"));
        assert!(
            pages
                .body
                .contains("| 2026-11-20 | ⚪ quiet 4d | 2026-11-20 | 1 |"),
            "{}",
            pages.body
        );
        merge(
            &mut state,
            &Scan {
                day: day("2026-11-24"),
                rows: &rows(1, "e"),
                daily_issue_url: None,
                completed_run: true,
            },
        );
        let pages = render(&view("2026-11-24"), &state);
        assert!(
            pages
                .body
                .contains("| 2026-11-20 | 2026-11-24 | 4d | 🔴 failing | 2 | 0 |"),
            "{}",
            pages.body
        );
        assert!(
            !pages.body.contains("<details>"),
            "no quiet entries, no details block"
        );
        let fresh = merged(1, "2026-11-24");
        assert!(render(&view("2026-11-24"), &fresh)
            .body
            .contains("| new | 🔴 failing |"));
    }

    #[test]
    fn the_chart_shows_thirty_days_of_failing_counts() {
        let pages = render(&view("2026-11-24"), &merged(4, "2026-11-24"));
        assert!(pages.body.contains("```mermaid\nxychart-beta\n"));
        let bar = pages
            .body
            .lines()
            .find(|l| l.trim_start().starts_with("bar ["))
            .unwrap();
        let values: Vec<&str> = bar
            .trim()
            .trim_start_matches("bar [")
            .trim_end_matches(']')
            .split(", ")
            .collect();
        assert_eq!(values.len(), 30);
        assert_eq!(values[29], "4");
        assert!(values[..29].iter().all(|v| *v == "0"));
    }

    #[test]
    fn an_unreadable_part_is_an_error_not_an_empty_state() {
        let broken = "<!-- ci-failure-tracker-state:\n{\"a.py::t\": {\"error\": \"x\"\n-->";
        assert!(read(broken, &[]).is_err());
        let good = render(&view("2026-11-24"), &merged(1, "2026-11-24"));
        assert!(read(&good.body, &[broken]).is_err());
        assert!(
            read("<!-- ci-failure-tracker-state:\n{}", &[]).is_err(),
            "no end"
        );
        assert_eq!(
            read("no blob at all", &[]).unwrap(),
            TrackerState::default()
        );
    }

    fn stored(file: &str, first: &str, last: &str) -> StoredEntry {
        let kept = |d: &str| match d.parse::<Day>() {
            Ok(d) => Kept::new(d),
            Err(_) => serde_json::from_value(serde_json::Value::String(d.into())).unwrap(),
        };
        StoredEntry::Entry(Box::new(TrackerEntry {
            test_file: file.into(),
            test_function: "t".into(),
            first_seen: kept(first),
            last_seen: kept(last),
            ..TrackerEntry::default()
        }))
    }

    #[test]
    fn g54_g56_reversed_or_unreadable_dates_show_0d_and_rows_sort_as_the_original() {
        let mut state = TrackerState::default();
        for (file, first, last) in [
            ("z.py", "2026-11-03", "2026-11-24"),
            ("b.py", "2026-11-01", "2026-11-24"),
            ("a.py", "2026-11-01", "2026-11-24"),
            ("q1.py", "2026-11-05", "2026-11-20"),
            ("q2.py", "2026-11-02", "2026-11-22"),
            ("q3.py", "2026-11-06", "2026-11-22"),
            ("rev.py", "2026-11-21", "2026-11-19"),
            ("odd.py", "sometime", "2026-11-18"),
        ] {
            state
                .entries
                .insert(format!("{file}::t"), stored(file, first, last));
        }
        let body = render(&view("2026-11-24"), &state).body;
        let order: Vec<&str> = body
            .lines()
            .filter_map(|l| {
                [
                    "z.py", "b.py", "a.py", "q1.py", "q2.py", "q3.py", "rev.py", "odd.py",
                ]
                .into_iter()
                .find(|f| l.contains(&format!("`{f}")))
            })
            .collect();
        assert_eq!(
            order,
            ["a.py", "b.py", "z.py", "q3.py", "q2.py", "q1.py", "rev.py", "odd.py"]
        );
        assert!(
            body.contains("| 2026-11-19 | ⚪ quiet 5d | 2026-11-21 |"),
            "{body}"
        );
        assert!(
            body.contains("| 2026-11-18 | ⚪ quiet 6d | sometime |"),
            "{body}"
        );
        let mut reversed = TrackerState::default();
        reversed
            .entries
            .insert("r.py::t".into(), stored("r.py", "2026-11-25", "2026-11-24"));
        assert!(render(&view("2026-11-24"), &reversed)
            .body
            .contains("| 2026-11-25 | 2026-11-24 | 0d | 🔴 failing |"));
    }

    #[test]
    fn st_g43_g44_a_corrupt_current_blob_is_an_error_even_with_a_legacy_one_and_a_non_object_is_ignored(
    ) {
        let both = "<!-- ci-failure-tracker-state:\n{oops\n-->\n<!-- pr-test-amd-tracker-state:\n{\"a.py::t\": {\"test_file\": \"a.py\"}}\n-->";
        assert!(read(both, &[]).is_err());
        let current_wins = "<!-- ci-failure-tracker-state:\n{\"b.py::t\": {\"test_file\": \"b.py\", \"test_function\": \"t\"}}\n-->\n<!-- pr-test-amd-tracker-state:\n{\"a.py::t\": {}}\n-->";
        let state = read(current_wins, &[]).unwrap();
        assert_eq!(state.entries.keys().collect::<Vec<_>>(), ["b.py::t"]);
        let not_object = "<!-- ci-failure-tracker-state:\n[1, 2]\n-->";
        assert_eq!(read(not_object, &[]).unwrap(), TrackerState::default());
    }

    /// Text with everything that has broken a blob or a table before.
    fn hostile() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just("-->".to_string()),
                Just("<!--".to_string()),
                Just("--!>".to_string()),
                Just("`".to_string()),
                Just("|".to_string()),
                Just("\n".to_string()),
                Just("\\".to_string()),
                Just("\"".to_string()),
                Just("日本🚀é".to_string()),
                Just("\u{2028}".to_string()),
                "[a-z_./]{1,12}",
                any::<char>().prop_map(String::from),
            ],
            0..30,
        )
        .prop_map(|parts| parts.concat())
    }

    fn entry_strategy() -> impl Strategy<Value = TrackerEntry> {
        (
            proptest::collection::vec(hostile(), 9),
            0u64..5000,
            proptest::collection::btree_set(0u64..30, 0..5),
        )
            .prop_map(|(t, job, days)| TrackerEntry {
                test_file: t[0].clone(),
                test_function: t[1].clone(),
                cluster: t[2].clone(),
                error: t[3].clone(),
                status: t[4].clone(),
                job_url: t[5].clone(),
                job_id: if job == 0 {
                    Kept::null()
                } else {
                    Kept::new(JobId::new(job))
                },
                detail_url: t[6].clone(),
                run_started_at: t[7].clone(),
                last_seen: Kept::new(day("2026-11-24")),
                first_seen: Kept::new(day("2026-11-01")),
                fail_days: days
                    .iter()
                    .map(|d| Day::from(day("2026-11-01").date() + chrono::Days::new(*d)))
                    .collect(),
                count: Some(days.len() as u64),
                other: [("note".to_string(), serde_json::Value::String(t[8].clone()))]
                    .into_iter()
                    .collect(),
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn any_text_renders_and_reads_back_identical_also_across_parts(
            entries in proptest::collection::vec(entry_strategy(), 0..80),
            scanned in proptest::collection::btree_set(0u64..30, 0..4),
        ) {
            let mut state = TrackerState::default();
            for e in entries {
                let Some(key) = row_key(&e.test_file, &e.test_function) else { continue };
                state.entries.entry(key).or_insert(StoredEntry::Entry(Box::new(e)));
            }
            state.scans.days = scanned
                .iter()
                .map(|d| Day::from(day("2026-11-01").date() + chrono::Days::new(*d)))
                .collect();
            let pages = render(&view("2026-11-24"), &state);
            for page in std::iter::once(&pages.body).chain(&pages.comments) {
                prop_assert!(page.chars().count() <= GITHUB_LIMIT);
                let prefix = crate::report::tracker_state::STATE_PREFIX;
                let blob_start = page.find(prefix).unwrap() + prefix.len();
                let blob = &page[blob_start..];
                let end = blob.find("-->").unwrap();
                prop_assert!(!blob[..end].contains('>'));
                prop_assert!(!blob[..end].contains("<!", ), "no comment opens inside the blob");
            }
            prop_assert_eq!(reread(&pages), state);
        }
    }
}
