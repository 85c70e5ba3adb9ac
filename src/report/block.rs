//! The per-job `<details>` block: rendering, and the strict parser that reads it back.
//!
//! The parser accepts exactly the block the bot renders (the original's format, attribute
//! order and spacing fixed) and nothing else: tables, quoted markers and look-alike blocks
//! inside an analysis never produce a job record, because scanning resumes after the end of
//! the enclosing block and nested `<details>` are matched by depth.

use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::extract::extract_report;
use super::markers::{self, DASH, STUB_BODY_START, STUB_SUFFIX};
use super::since::{self, SinceRange};
use crate::domain::lenient::opt_or_none;
use crate::domain::{CommitSha, JobId, SignatureKey};

/// Analyses shorter than this are not analyses (a crash message, "see above").
const MIN_ANALYSIS_CHARS: usize = 200;

/// One analysed job, as the daily issue records it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobAnalysis {
    pub job_id: JobId,
    pub job_name: String,
    /// The run's page; the job page is `{run_url}/job/{job_id}`.
    pub run_url: String,
    /// ISO timestamp, as GitHub gave it.
    pub started_at: Option<String>,
    pub failed_steps: Vec<String>,
    /// The report text (Markdown).
    pub analysis: String,
    /// The commit the job ran on; kept in a hidden comment, absent from the original's blocks.
    #[serde(default, deserialize_with = "opt_or_none")]
    pub head_sha: Option<CommitSha>,
    /// The failures' saved signatures (hidden comment, `sig=`); empty in older comments.
    #[serde(default, deserialize_with = "keys_that_fit")]
    pub signatures: Vec<SignatureKey>,
    /// Since when the job fails (hidden comment `ci-monitor-since`, and a line atop the
    /// block); absent from older comments and until the monitor read the history.
    #[serde(default)]
    pub since: Option<SinceRange>,
}

/// A stored list of signature keys: entries that are not keys are dropped, not fatal.
fn keys_that_fit<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<SignatureKey>, D::Error> {
    let raw: Vec<serde_json::Value> = Deserialize::deserialize(d)?;
    Ok(raw
        .into_iter()
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect())
}

impl JobAnalysis {
    /// The job's page on GitHub.
    pub fn job_url(&self) -> String {
        format!("{}/job/{}", self.run_url.trim_end_matches('/'), self.job_id)
    }

    fn steps_text(&self) -> String {
        if self.failed_steps.is_empty() {
            "N/A".into()
        } else {
            self.failed_steps.join(", ")
        }
    }
}

fn commit_info() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(markers::COMMIT_INFO_ANCHOR).expect("anchor regex"))
}

/// Whether an analysis text is no real analysis (empty, a few words, an error message).
pub fn is_stub(text: &str) -> bool {
    let lower = text.trim_start().to_lowercase();
    text.chars().count() < MIN_ANALYSIS_CHARS
        || lower.starts_with("stub")
        || lower.starts_with("analysis failed")
        || lower.starts_with("agent timed out")
}

/// `YYYY-MM-DD HH:MM` of an ISO timestamp, or `N/A`.
pub fn ts16_space(ts: Option<&str>) -> String {
    ts.and_then(|t| crate::domain::minute_text(t, ' '))
        .unwrap_or_else(|| "N/A".into())
}

/// Renders one block, starting with a newline as the original does.
pub fn render_block(job: &JobAnalysis) -> String {
    let report = extract_report(job.analysis.trim(), commit_info()).trim();
    let (suffix, body) = if report.starts_with(STUB_BODY_START) {
        // A stub read back from an earlier comment: keep it as it was.
        (STUB_SUFFIX, report.to_string())
    } else if is_stub(report) {
        (STUB_SUFFIX, stub_body(job, stub_reason(report)))
    } else {
        ("", balance_details(report))
    };
    let mut meta = if job.head_sha.is_some() || !job.signatures.is_empty() {
        format!(
            "\n{}",
            markers::job_meta(job.job_id, job.head_sha.as_ref(), &job.signatures)
        )
    } else {
        String::new()
    };
    let body = match &job.since {
        Some(range) => {
            meta.push_str(&format!("\n{}", since::marker(job.job_id, range)));
            format!("{}\n\n{body}", since::render_line(range, &job.run_url))
        }
        None => body,
    };
    format!(
        "{meta}\n{anchor}\n<details data-job-id=\"{id}\" data-run-url=\"{run}\" data-started-at=\"{started}\">\n<summary><b>{name}</b>{DASH}failed step(s): {steps}{suffix}</summary>\n\n{body}\n\n</details>\n",
        anchor = markers::job_anchor(job.job_id),
        id = job.job_id,
        run = html(&job.run_url),
        started = html(job.started_at.as_deref().unwrap_or("")),
        name = html(&job.job_name),
        steps = html(&job.steps_text()),
    )
}

/// Escapes `& < > "` so a value can sit in a double-quoted attribute or in the summary
/// without ending it (a job name with `"` or `</b>`); [`unhtml`] reads it back.
fn html(text: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_double_quoted_attribute(text)
}

/// Reverses [`html`]. The original bot wrote names unescaped; those read back unchanged unless
/// they happen to contain a complete character reference such as `&amp;`.
fn unhtml(text: &str) -> String {
    html_escape::decode_html_entities(text).into_owned()
}

/// The cause a failed analysis states about itself (`Analysis failed: <why>`), on one line.
fn stub_reason(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    let rest = if lower.starts_with("analysis failed:") {
        &text["analysis failed:".len()..]
    } else {
        return None;
    };
    let line = rest.lines().next().unwrap_or("").trim();
    let line: String = line
        .chars()
        .filter(|c| !matches!(c, '`' | '<' | '>'))
        .take(300)
        .collect();
    (!line.is_empty()).then_some(line)
}

fn stub_body(job: &JobAnalysis, reason: Option<String>) -> String {
    let log = if job.run_url.is_empty() || job.job_id.get() == 0 {
        String::new()
    } else {
        job.job_url()
    };
    let why = match reason {
        Some(r) => format!("The analysis could not run: `{r}`. This job needs manual triage."),
        None => "The analysis produced no usable output (a timeout, a log that could not be downloaded, or a crash); this job needs manual triage.".into(),
    };
    format!(
        "{STUB_BODY_START} {why}\n\n- **Run**: [{run}]({run})\n- **Job log**: [{log}]({log})\n- **Job ID**: `{id}`\n- **Failed step(s)**: {steps}\n- **Started (UTC)**: {started}",
        run = job.run_url,
        id = job.job_id,
        steps = job.steps_text(),
        started = ts16_space(job.started_at.as_deref()),
    )
}

/// An analysis whose `<details>` tags do not pair up would end its block early when read
/// back; such tags are escaped so the text round-trips.
fn balance_details(text: &str) -> String {
    let opens = text.matches("<details").count();
    let closes = text.matches("</details>").count();
    if opens == closes {
        text.to_string()
    } else {
        text.replace("</details>", "&lt;/details&gt;")
            .replace("<details", "&lt;details")
    }
}

fn block_start() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r#"<details\s+data-job-id="(\d+)"\s+data-run-url="([^"]*)"\s+data-started-at="([^"]*)">\s*<summary><b>([^\n]+?)</b> — failed step\(s\): ([^\n]+?)</summary>[ \t\r]*\n"#,
        )
        .expect("block regex")
    })
}

fn job_meta_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"<!-- ci-monitor-job: (\d+)(?: sha=([0-9a-fA-F]{4,64}))?(?: sig=([0-9A-Za-z,-]+))? -->",
        )
        .expect("meta regex")
    })
}

/// Reads every per-job block of a comment (or of several parts joined). Ids of 0 and
/// repeated ids are skipped; the first occurrence wins.
pub fn parse_blocks(text: &str) -> Vec<JobAnalysis> {
    let mut out: Vec<JobAnalysis> = Vec::new();
    let mut pos = 0;
    while let Some(caps) = block_start().captures_at(text, pos) {
        let whole = caps.get(0).expect("match");
        let body_start = whole.end();
        let Some((body_end, resume)) = block_end(text, body_start) else {
            break;
        };
        pos = resume;
        let Ok(job_id) = caps[1].parse::<JobId>() else {
            continue;
        };
        if job_id.get() == 0 || out.iter().any(|j| j.job_id == job_id) {
            continue;
        }
        let steps_raw = caps[5].trim();
        let steps_raw = steps_raw
            .strip_suffix(STUB_SUFFIX.trim_start())
            .map_or(steps_raw, |s| s.trim_end().trim_end_matches('—').trim_end());
        let failed_steps = if steps_raw.is_empty() || steps_raw == "N/A" {
            Vec::new()
        } else {
            steps_raw.split(',').map(|s| unhtml(s.trim())).collect()
        };
        let started = caps[3].trim();
        let meta = job_meta_re()
            .captures_iter(&text[..whole.start()])
            .filter(|m| m[1].parse::<JobId>().ok() == Some(job_id))
            .last();
        let head_sha = meta
            .as_ref()
            .and_then(|m| m.get(2))
            .and_then(|sha| sha.as_str().parse::<CommitSha>().ok());
        let signatures = meta
            .as_ref()
            .and_then(|m| m.get(3))
            .map(|list| {
                list.as_str()
                    .split(',')
                    .filter_map(|k| k.parse::<SignatureKey>().ok())
                    .collect()
            })
            .unwrap_or_default();
        out.push(JobAnalysis {
            job_id,
            job_name: unhtml(caps[4].trim()),
            run_url: unhtml(caps[2].trim()),
            started_at: (!started.is_empty()).then(|| unhtml(started)),
            failed_steps,
            // The since-line is rendered from the marker: it is not part of the analysis.
            analysis: since::strip_line(text[body_start..body_end].trim()).to_string(),
            head_sha,
            signatures,
            since: since::read_marker(&text[..whole.start()], job_id),
        });
    }
    out
}

/// Finds where the body starting at `from` ends: the `\n</details>` that closes the block,
/// counting nested `<details>` in the body. Falls back to the first `\n</details>` (the
/// original's rule) when nesting never balances. Returns (body end, scan resume position).
fn block_end(text: &str, from: usize) -> Option<(usize, usize)> {
    let rest = &text[from..];
    let mut depth = 0usize;
    let mut i = 0;
    while let Some((at, open)) = next_details_tag(rest, i) {
        if open {
            depth += 1;
            i = at + "<details".len();
        } else if depth > 0 {
            depth -= 1;
            i = at + "</details>".len();
        } else if at > 0 && rest.as_bytes()[at - 1] == b'\n' {
            return Some((from + at - 1, from + at + "</details>".len()));
        } else {
            i = at + "</details>".len();
        }
    }
    rest.find("\n</details>")
        .map(|at| (from + at, from + at + "\n</details>".len()))
}

/// The next `<details` (true) or `</details>` (false) at or after `from`.
fn next_details_tag(text: &str, from: usize) -> Option<(usize, bool)> {
    let open = text[from..].find("<details").map(|o| (from + o, true));
    let close = text[from..].find("</details>").map(|o| (from + o, false));
    match (open, close) {
        (Some(o), Some(c)) => Some(if o.0 < c.0 { o } else { c }),
        (o, c) => o.or(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn long(text: &str) -> String {
        format!(
            "### Commit Info\n{text}\n{}",
            "Evidence line with details. ".repeat(10)
        )
    }

    fn job(id: u64, analysis: &str) -> JobAnalysis {
        JobAnalysis {
            job_id: crate::domain::JobId::new(id),
            job_name: "stage-c-test-large-8-gpu-amd (linux-mi325-8gpu, 1)".into(),
            run_url: "https://github.com/sgl-project/sglang/actions/runs/123".into(),
            started_at: Some("2026-11-24T03:15:42Z".into()),
            failed_steps: vec!["Run test".into(), "Post test".into()],
            analysis: analysis.into(),
            head_sha: None,
            signatures: Vec::new(),
            since: None,
        }
    }

    #[test]
    fn render_then_parse_returns_the_same_record() {
        let analysis = long("| a | b | c | d |\n|---|---|---|---|\n| 1 | 2 | 3 | 4 |\n[link](https://x/y) 0.61 < 0.62");
        let j = job(42, &analysis);
        let parsed = parse_blocks(&render_block(&j));
        assert_eq!(
            parsed,
            vec![JobAnalysis {
                analysis: analysis.trim().to_string(),
                ..j
            }]
        );
    }

    #[test]
    fn empty_started_at_reads_back_as_none_and_steps_na_as_empty() {
        let mut j = job(7, &long("x"));
        j.started_at = None;
        j.failed_steps.clear();
        let parsed = parse_blocks(&render_block(&j));
        assert_eq!(parsed[0].started_at, None);
        assert!(parsed[0].failed_steps.is_empty());
    }

    #[test]
    fn the_original_bots_block_is_read() {
        let original = "\n<a id=\"job-555\"></a>\n<details data-job-id=\"555\" data-run-url=\"https://github.com/sgl-project/sglang/actions/runs/9\" data-started-at=\"2026-06-01T01:02:03Z\">\n<summary><b>unit-test-backend-1-gpu-amd</b> — failed step(s): Run test</summary>\n\n### Failed Tests\nbody\n\n</details>\n";
        let parsed = parse_blocks(original);
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].job_id, 555);
        assert_eq!(parsed[0].failed_steps, ["Run test"]);
        assert_eq!(parsed[0].analysis, "### Failed Tests\nbody");
        assert_eq!(parsed[0].job_name, "unit-test-backend-1-gpu-amd");
        assert_eq!(
            parsed[0].run_url,
            "https://github.com/sgl-project/sglang/actions/runs/9"
        );
        assert_eq!(
            parsed[0].started_at.as_deref(),
            Some("2026-06-01T01:02:03Z")
        );
    }

    #[test]
    fn markup_in_a_job_name_url_or_step_round_trips_escaped() {
        let mut j = job(77, &long("x"));
        j.job_name = r#"test "quoted" & <b>bold</b> > end (a<b)"#.into();
        j.run_url = r#"https://github.com/o/r/actions/runs/1?a="x"&b=<y>"#.into();
        j.started_at = Some(r#"2026-11-24T03:15:42Z" onmouseover="x"#.into());
        j.failed_steps = vec!["Run <test> & \"check\"".into(), "</summary>".into()];
        let rendered = render_block(&j);
        assert!(
            rendered.contains("<summary><b>test &quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt; &gt; end (a&lt;b)</b>"),
            "{rendered}"
        );
        assert!(
            rendered.contains(r#"data-run-url="https://github.com/o/r/actions/runs/1?a=&quot;x&quot;&amp;b=&lt;y&gt;""#),
            "{rendered}"
        );
        let parsed = parse_blocks(&rendered);
        assert_eq!(
            parsed,
            vec![JobAnalysis {
                analysis: j.analysis.trim().to_string(),
                ..j.clone()
            }]
        );
        assert_eq!(render_block(&parsed[0]), rendered);
    }

    #[test]
    fn a_name_that_looks_escaped_round_trips_as_written() {
        let mut j = job(78, &long("x"));
        j.job_name = "literal &amp; and &lt;b&gt; &#39;".into();
        let parsed = parse_blocks(&render_block(&j));
        assert_eq!(parsed[0].job_name, j.job_name);
    }

    #[test]
    fn an_original_block_with_an_unescaped_name_keeps_its_name() {
        let original = "\n<a id=\"job-556\"></a>\n<details data-job-id=\"556\" data-run-url=\"https://github.com/sgl-project/sglang/actions/runs/9?x=1&y=2\" data-started-at=\"\">\n<summary><b>test (a<b) & c > d</b> — failed step(s): Run <x> & y</summary>\n\nbody\n\n</details>\n";
        let parsed = parse_blocks(original);
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].job_name, "test (a<b) & c > d");
        assert_eq!(
            parsed[0].run_url,
            "https://github.com/sgl-project/sglang/actions/runs/9?x=1&y=2"
        );
        assert_eq!(parsed[0].failed_steps, ["Run <x> & y"]);
    }

    #[test]
    fn no_markdown_table_ever_produces_a_job_record() {
        let table = "| Job | Failed Steps | Started |\n|-----|---|---|\n| [`x`](https://github.com/o/r/actions/runs/1/job/2) | Run | 2026 |\n";
        assert!(parse_blocks(table).is_empty());
        let cluster = "| 123 | job-name | data-job-id=\"5\" |";
        assert!(parse_blocks(cluster).is_empty());
    }

    #[test]
    fn zero_ids_are_ignored_and_repeated_ids_keep_the_first() {
        let a = render_block(&job(0, &long("zero")));
        let b = render_block(&job(9, &long("first")));
        let c = render_block(&job(9, &long("second")));
        let parsed = parse_blocks(&format!("{a}{b}{c}"));
        assert_eq!(parsed.len(), 1);
        assert!(parsed[0].analysis.contains("first"));
    }

    #[test]
    fn a_lookalike_block_inside_an_analysis_is_not_a_job() {
        let inner = render_block(&job(666, &"fake analysis text ".repeat(20)));
        let analysis = long(&format!("An example:\n```html\n{inner}\n```\nend"));
        let outer = render_block(&job(1, &analysis));
        let parsed = parse_blocks(&outer);
        assert_eq!(parsed.len(), 1, "{parsed:?}");
        assert_eq!(parsed[0].job_id, 1);
        assert!(parsed[0].analysis.contains("data-job-id=\"666\""));
        assert_eq!(parsed[0].analysis, analysis.trim());
    }

    #[test]
    fn an_analysis_with_a_stray_closing_tag_survives_the_round_trip() {
        let analysis = long("before\n</details>\nafter");
        let once = parse_blocks(&render_block(&job(3, &analysis)));
        assert!(once[0].analysis.contains("after"), "{once:?}");
        let twice = parse_blocks(&render_block(&once[0]));
        assert_eq!(once, twice);
    }

    #[test]
    fn stubs_render_the_did_not_complete_body_and_round_trip_without_a_second_suffix() {
        for text in [
            "",
            "short",
            &format!("Stub: {}", "x".repeat(300)),
            &format!("agent timed out {}", "y".repeat(300)),
        ] {
            let rendered = render_block(&job(5, text));
            assert!(
                rendered.contains(" — ⚠️ analysis failed</summary>"),
                "{rendered}"
            );
            assert!(rendered.contains(STUB_BODY_START));
            let parsed = parse_blocks(&rendered);
            assert_eq!(parsed[0].failed_steps, ["Run test", "Post test"]);
            let again = render_block(&parsed[0]);
            assert_eq!(again, rendered);
            assert_eq!(again.matches("analysis failed").count(), 1);
        }
    }

    #[test]
    fn a_failed_analysis_states_its_cause_in_the_stub_without_markup() {
        let rendered = render_block(&job(
            6,
            "Analysis failed: GitHub answered 410 for the log of job 6 <details>`x`",
        ));
        assert!(
            rendered.contains(
                "The analysis could not run: `GitHub answered 410 for the log of job 6 detailsx`."
            ),
            "{rendered}"
        );
        assert_eq!(parse_blocks(&rendered)[0].job_id, 6);
    }

    #[test]
    fn head_sha_rides_in_a_hidden_comment_outside_the_details_tag() {
        let mut j = job(11, &long("x"));
        j.head_sha = "0123456789abcdef0123456789abcdef01234567".parse().ok();
        let rendered = render_block(&j);
        assert!(rendered.contains("data-started-at=\"2026-11-24T03:15:42Z\">\n<summary>"));
        assert_eq!(parse_blocks(&rendered)[0].head_sha, j.head_sha);
    }

    #[test]
    fn saved_signatures_read_back_and_older_markers_without_them_still_parse() {
        let keys: Vec<SignatureKey> = [
            "v1:test_failure:test/srt/test_a.py::C::m:AssertionError",
            "v1:timeout:test/srt/test_b.py",
        ]
        .iter()
        .filter_map(|s| SignatureKey::of(s))
        .collect();
        let mut j = job(12, &long("x"));
        j.head_sha = "0123456789abcdef0123456789abcdef01234567".parse().ok();
        j.signatures = keys.clone();
        let rendered = render_block(&j);
        assert!(rendered.starts_with(&format!(
            "\n<!-- ci-monitor-job: 12 sha=0123456789abcdef0123456789abcdef01234567 sig={},{} -->\n",
            keys[0], keys[1]
        )));
        let back = &parse_blocks(&rendered)[0];
        assert_eq!((&back.head_sha, &back.signatures), (&j.head_sha, &keys));

        // Signatures without a commit, and a commit without signatures (older comments).
        j.head_sha = None;
        assert_eq!(parse_blocks(&render_block(&j))[0].signatures, keys);
        let older = format!(
            "<!-- ci-monitor-job: 12 sha=0123456789abcdef0123456789abcdef01234567 -->{}",
            render_block(&job(12, &long("x")))
        );
        let back = &parse_blocks(&older)[0];
        assert!(back.head_sha.is_some() && back.signatures.is_empty());
    }

    #[test]
    fn a_since_range_rides_in_its_own_marker_and_the_block_round_trips_byte_for_byte() {
        let sha = |d: char| d.to_string().repeat(40).parse::<CommitSha>().expect("sha");
        let mut j = job(13, &long("x"));
        j.head_sha = Some(sha('4'));
        j.since = Some(SinceRange {
            first_red: since::RunPoint {
                run: crate::domain::RunId::new(3),
                sha: sha('3'),
            },
            last_green: Some(since::RunPoint {
                run: crate::domain::RunId::new(2),
                sha: sha('2'),
            }),
            commits: Some(2),
            failing_runs: 2,
            since: "2026-11-22".into(),
            cut: false,
            signatures: Vec::new(),
        });
        let rendered = render_block(&j);
        // The job's own marker is unchanged (older readers still match it); the range is
        // a marker of its own, and a line atop the block.
        assert!(rendered.starts_with(&format!(
            "\n<!-- ci-monitor-job: 13 sha={} -->\n<!-- ci-monitor-since: 13 red=3@{} failing=2 since=2026-11-22 green=2@{} commits=2 -->\n<a id=\"job-13\"></a>",
            sha('4'),
            sha('3'),
            sha('2')
        )), "{rendered}");
        assert!(rendered.contains("</summary>\n\n**Since when**: last green [run 2]"));
        let back = parse_blocks(&rendered);
        assert_eq!(back[0].since, j.since);
        assert_eq!(back[0].analysis, j.analysis.trim());
        assert_eq!(render_block(&back[0]), rendered);
        // A block without the marker (older comments, the original's) has no range.
        assert_eq!(
            parse_blocks(&render_block(&job(14, &long("y"))))[0].since,
            None
        );
    }

    #[test]
    fn block_layout_is_byte_for_byte_the_originals() {
        let j = job(42, &long("x"));
        let rendered = render_block(&j);
        assert!(rendered.starts_with("\n<a id=\"job-42\"></a>\n<details data-job-id=\"42\" data-run-url=\"https://github.com/sgl-project/sglang/actions/runs/123\" data-started-at=\"2026-11-24T03:15:42Z\">\n<summary><b>stage-c-test-large-8-gpu-amd (linux-mi325-8gpu, 1)</b> — failed step(s): Run test, Post test</summary>\n\n### Commit Info\n"));
        assert!(rendered.ends_with("\n\n</details>\n"));
    }
}
