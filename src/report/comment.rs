//! The per-workflow comment on the daily issue: its parts, their size, and the markers read
//! back from them.

use super::block::{render_block, ts16_space, JobAnalysis};
use super::markers::{self, PACKING_SLACK, PART_TARGET_CHARS};
use crate::domain::{CommitSha, JobId, RunId};
use crate::limits::MAX_BODY_CHARS;

/// The cross-job summary is capped so the header of part 1 always leaves room for blocks.
const MAX_SUMMARY_CHARS: usize = 20_000;
/// At most this many rows in the job table; the rest are counted.
const MAX_TABLE_ROWS: usize = 150;

/// Everything one workflow's comment shows.
#[derive(Debug, Clone)]
pub struct WorkflowReport<'a> {
    /// The workflow file name, e.g. `nightly-test-amd.yml`.
    pub workflow: &'a str,
    /// Every analysis of the day, in display order.
    pub analyses: &'a [JobAnalysis],
    /// Cleaned cross-job summary text, if one was made.
    pub summary: Option<&'a str>,
    /// Runs with jobs still running: (run id, number of running jobs).
    pub pending: &'a [(RunId, usize)],
    /// Jobs whose analysis failed this tick, (name, reason): listed in the last part so
    /// readers know about them, but not in the markers, so the next tick tries them again.
    pub unanalysed: &'a [(String, String)],
    /// What produced the analyses, for the footer ("Claude Code CLI", "Claude API", …).
    pub producer: &'a str,
    /// `YYYY-MM-DD HH:MM UTC`, fixed by the caller.
    pub now: &'a str,
    /// `owner/name` of the repository whose CI this is.
    pub upstream: &'a str,
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Jobs listed by name in the "could not be analysed" note, at most.
const MAX_UNANALYSED_LINES: usize = 20;

/// One line of untrusted text for a code span: no backticks, no line breaks, at most `max`
/// chars (inside a code span nothing else is markup).
fn plain(text: &str, max: usize) -> String {
    let line: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .map(|c| match c {
            '`' => '\'',
            c => c,
        })
        .collect();
    if line.chars().count() > max {
        let cut: String = line.chars().take(max).collect();
        format!("{cut}…")
    } else {
        line
    }
}

impl WorkflowReport<'_> {
    fn ids(&self) -> Vec<JobId> {
        self.analyses.iter().map(|a| a.job_id).collect()
    }

    fn prefix(&self, index: usize, total: usize) -> String {
        format!(
            "{}\n{}\n",
            markers::processed_ids_marker(&self.ids()),
            markers::part_marker(index, total)
        )
    }

    fn header_one(&self) -> String {
        let mut h = format!(
            "{}\n\n",
            markers::part_one_heading(self.workflow, self.analyses.len())
        );
        let earliest = self
            .analyses
            .iter()
            .filter_map(|a| a.started_at.as_deref())
            .min();
        match earliest {
            Some(t) => h.push_str(&format!(
                "**Run started (UTC)**: {} UTC\n",
                ts16_space(Some(t))
            )),
            None => h.push_str("**Run started (UTC)**: N/A\n"),
        }
        h.push_str(&format!("**Last scanned (UTC)**: {}\n", self.now));
        let mut shas: Vec<&CommitSha> = Vec::new();
        for sha in self.analyses.iter().filter_map(|a| a.head_sha.as_ref()) {
            if !shas.contains(&sha) {
                shas.push(sha);
            }
        }
        if !shas.is_empty() {
            let links: Vec<String> = shas
                .iter()
                .map(|sha| {
                    format!(
                        "[`{}`](https://github.com/{}/commit/{sha})",
                        sha.short(),
                        self.upstream
                    )
                })
                .collect();
            h.push_str(&format!("**Commits**: sglang {}\n\n", links.join(", ")));
        }
        if let Some(summary) = self.summary.filter(|s| !s.trim().is_empty()) {
            h.push_str(&format!(
                "### Summary\n\n{}\n\n---\n\n",
                truncate(summary.trim(), MAX_SUMMARY_CHARS)
            ));
        }
        h.push_str("| Job | Failed Steps | Started |\n|-----|-------------|---------|\n");
        for a in self.analyses.iter().take(MAX_TABLE_ROWS) {
            let steps = if a.failed_steps.is_empty() {
                "N/A".to_string()
            } else {
                a.failed_steps.join(", ")
            };
            let started = a
                .started_at
                .as_deref()
                .and_then(|t| crate::domain::minute_text(t, 'T'))
                .unwrap_or_else(|| "N/A".to_string());
            h.push_str(&format!(
                "| [`{}`]({}) | {steps} | {started} |\n",
                a.job_name,
                a.job_url()
            ));
        }
        if self.analyses.len() > MAX_TABLE_ROWS {
            h.push_str(&format!(
                "| … and {} more jobs, below | | |\n",
                self.analyses.len() - MAX_TABLE_ROWS
            ));
        }
        h.push_str("\n### Per-Job Analysis\n");
        if self.analyses.is_empty() {
            h.push_str("\n_(no per-job analyses yet)_\n");
        }
        h
    }

    fn header_continued(&self, index: usize, total: usize) -> String {
        format!(
            "{}\n\n",
            markers::continued_heading(self.workflow, index, total)
        )
    }

    fn tail(&self, last: bool) -> String {
        let mut t = String::new();
        let running: Vec<&(RunId, usize)> = self.pending.iter().filter(|(_, n)| *n > 0).collect();
        if last && !running.is_empty() {
            let count: usize = running.iter().map(|(_, n)| n).sum();
            let links: Vec<String> = running
                .iter()
                .map(|(id, _)| {
                    format!(
                        "[run](https://github.com/{}/actions/runs/{id})",
                        self.upstream
                    )
                })
                .collect();
            t.push_str(&format!(
                "\n---\n⏳ **{count} job(s) still running** ({}) — will update when complete\n",
                links.join(", ")
            ));
        }
        if last && !self.unanalysed.is_empty() {
            t.push_str(&format!(
                "\n---\n⚠️ **{} job(s) could not be analysed this time** — retried on the next scan:\n",
                self.unanalysed.len()
            ));
            for (name, why) in self.unanalysed.iter().take(MAX_UNANALYSED_LINES) {
                t.push_str(&format!(
                    "- `{}`: `{}`\n",
                    plain(name, 120),
                    plain(why, 200)
                ));
            }
        }
        t.push_str(&format!(
            "\n---\n{}",
            markers::footer(self.producer, self.now)
        ));
        t
    }

    /// The comment bodies at the default part size, [`PART_TARGET_CHARS`].
    pub fn render_parts(&self) -> Vec<String> {
        self.render_parts_within(PART_TARGET_CHARS)
    }

    /// The comment bodies, part 1 first, packed into as few parts of at most `part_chars`
    /// characters as hold them (the monitor's `comment_max_chars`). An oversized analysis is
    /// truncated with a note; a part exceeds `part_chars` only when its fixed text alone does
    /// (part 1's header, or a size too small for any analysis).
    pub fn render_parts_within(&self, part_chars: usize) -> Vec<String> {
        let header_one = self.header_one();
        // Worst-case fixed text of a continued part, to size the largest block allowed.
        let widest_prefix = chars(&self.prefix(self.analyses.len() + 1, self.analyses.len() + 1));
        let continued_room = part_chars
            .saturating_sub(widest_prefix)
            .saturating_sub(chars(&self.header_continued(999, 999)))
            .saturating_sub(chars(&self.tail(true)))
            .saturating_sub(PACKING_SLACK);
        let blocks: Vec<String> = self
            .analyses
            .iter()
            .map(|a| fit_block(a, continued_room))
            .collect();
        for total in 1..=blocks.len() + 1 {
            if let Some(parts) = self.pack(&header_one, &blocks, total, part_chars) {
                return parts;
            }
        }
        // Part 1's header leaves no room for any block: the header alone, then one block each.
        let total = blocks.len() + 1;
        let mut parts = vec![format!(
            "{}{header_one}{}",
            self.prefix(1, total),
            self.tail(total == 1)
        )];
        for (i, block) in blocks.iter().enumerate() {
            let index = i + 2;
            parts.push(format!(
                "{}{}{block}{}",
                self.prefix(index, total),
                self.header_continued(index, total),
                self.tail(index == total)
            ));
        }
        parts
    }

    fn pack(
        &self,
        header_one: &str,
        blocks: &[String],
        total: usize,
        part_chars: usize,
    ) -> Option<Vec<String>> {
        let mut parts = Vec::with_capacity(total);
        let mut next = 0;
        for index in 1..=total {
            let last = index == total;
            let prefix = self.prefix(index, total);
            let header = if index == 1 {
                header_one.to_string()
            } else {
                self.header_continued(index, total)
            };
            let tail = self.tail(last);
            let fixed = chars(&prefix) + chars(&header) + chars(&tail) + PACKING_SLACK;
            let budget = part_chars.checked_sub(fixed).filter(|b| *b > 0)?;
            let mut body = String::new();
            let mut used = 0;
            while next < blocks.len() {
                let size = chars(&blocks[next]);
                if used + size > budget {
                    break;
                }
                body.push_str(&blocks[next]);
                used += size;
                next += 1;
            }
            if body.is_empty() && !last && next < blocks.len() {
                return None;
            }
            parts.push(format!("{prefix}{header}{body}{tail}"));
        }
        (next == blocks.len()).then_some(parts)
    }
}

/// A block no larger than `room` characters: an analysis that would not fit is cut, with a
/// note pointing at the job log.
fn fit_block(analysis: &JobAnalysis, room: usize) -> String {
    let block = render_block(analysis);
    let size = chars(&block);
    if size <= room {
        return block;
    }
    let overhead = size - chars(&analysis.analysis);
    let note = format!(
        "\n\n_(analysis truncated to fit GitHub's comment limit; see the [job log]({}))_",
        analysis.job_url()
    );
    let keep = room.saturating_sub(overhead + chars(&note) + 16);
    let cut = JobAnalysis {
        analysis: format!("{}{note}", truncate(&analysis.analysis, keep)),
        ..analysis.clone()
    };
    render_block(&cut)
}

fn truncate(text: &str, max_chars: usize) -> String {
    if chars(text) <= max_chars {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The job ids of a comment's processed-ids marker, read strictly: only from the marker on
/// the comment's first line (where the bot writes it), never from quoted text further down.
pub fn read_processed_ids(body: &str) -> Option<Vec<JobId>> {
    let first = body.trim_start().lines().next()?.trim_end();
    let list = first
        .strip_prefix(markers::PROCESSED_IDS_PREFIX)?
        .strip_suffix(markers::COMMENT_END)?;
    if !list.chars().all(|c| c.is_ascii_digit() || c == ',') {
        return None;
    }
    Some(
        list.split(',')
            .filter_map(|s| s.parse::<JobId>().ok())
            .filter(|id| id.get() > 0)
            .collect(),
    )
}

/// The `(index, total)` of a comment's part marker, read strictly from its second line.
pub fn read_part(body: &str) -> Option<(usize, usize)> {
    let second = body.trim_start().lines().nth(1)?.trim_end();
    let pair = second
        .strip_prefix(markers::PART_PREFIX)?
        .strip_suffix(markers::COMMENT_END)?;
    let (i, n) = pair.split_once('/')?;
    let (i, n): (usize, usize) = (i.parse().ok()?, n.parse().ok()?);
    (i >= 1 && n >= 1).then_some((i, n))
}

/// Whether a comment is a part (or the legacy single comment) of `workflow`'s report: the
/// workflow heading stands at the start of a line, right after the markers. The cross-run
/// comment, which also names the workflow, is never a part.
pub fn is_workflow_part(body: &str, workflow: &str) -> bool {
    let heading = markers::workflow_ownership(workflow);
    if body.contains(&markers::cross_run_marker(workflow)) {
        return false;
    }
    body.lines()
        .take(3)
        .any(|l| l.starts_with(&format!("{heading} — ")))
}

/// The byte limit check callers rely on: true when every part fits GitHub.
pub fn parts_fit(parts: &[String]) -> bool {
    parts.iter().all(|p| chars(p) <= MAX_BODY_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::parse_blocks;

    fn analysis(id: u64, size: usize) -> JobAnalysis {
        JobAnalysis {
            job_id: crate::domain::JobId::new(id),
            job_name: format!("job-{id}"),
            run_url: "https://github.com/sgl-project/sglang/actions/runs/77/".into(),
            started_at: Some(format!("2026-11-24T0{}:00:00Z", id % 10)),
            failed_steps: vec!["Run test".into()],
            analysis: format!("### Failed Tests\n{}", "x".repeat(size)),
            head_sha: format!("{:0>40}", id).parse().ok(),
            signatures: Vec::new(),
            since: None,
        }
    }

    fn report<'a>(
        analyses: &'a [JobAnalysis],
        pending: &'a [(RunId, usize)],
    ) -> WorkflowReport<'a> {
        WorkflowReport {
            workflow: "nightly-test-amd.yml",
            analyses,
            summary: Some("**Counts**: 2 failed jobs"),
            pending,
            unanalysed: &[],
            producer: "builtin analyser",
            now: "2026-11-24 06:30 UTC",
            upstream: "sgl-project/sglang",
        }
    }

    #[test]
    fn jobs_that_could_not_be_analysed_are_listed_in_the_last_part_only_and_not_marked() {
        let a: Vec<JobAnalysis> = (1..=3).map(|id| analysis(id, 30_000)).collect();
        let failed = vec![(
            "nightly-test-8-gpu-amd".to_string(),
            "GET /logs: HTTP 500\n`<b>boom</b>`".to_string(),
        )];
        let parts = WorkflowReport {
            unanalysed: &failed,
            ..report(&a, &[])
        }
        .render_parts();
        assert!(parts.len() > 1);
        let last = parts.last().unwrap();
        assert!(last.contains("\n---\n⚠️ **1 job(s) could not be analysed this time** — retried on the next scan:\n- `nightly-test-8-gpu-amd`: `GET /logs: HTTP 500 '<b>boom</b>'`\n"), "{last}");
        for p in &parts[..parts.len() - 1] {
            assert!(!p.contains("could not be analysed"));
        }
        assert!(parts[0].starts_with("<!-- processed_job_ids: 1,2,3 -->"));
    }

    #[test]
    fn part_one_has_the_original_layout() {
        let a = [analysis(1, 300), analysis(2, 300)];
        let parts = report(&a, &[]).render_parts();
        assert_eq!(parts.len(), 1);
        let p = &parts[0];
        assert!(p.starts_with("<!-- processed_job_ids: 1,2 -->\n<!-- ci-monitor-part: 1/1 -->\n## `nightly-test-amd.yml` — 2 failure(s)\n\n**Run started (UTC)**: 2026-11-24 01:00 UTC\n**Last scanned (UTC)**: 2026-11-24 06:30 UTC\n**Commits**: sglang [`0000000`](https://github.com/sgl-project/sglang/commit/0000000000000000000000000000000000000001), [`0000000`]"), "{p}");
        assert!(p.contains("### Summary\n\n**Counts**: 2 failed jobs\n\n---\n\n| Job | Failed Steps | Started |\n|-----|-------------|---------|\n| [`job-1`](https://github.com/sgl-project/sglang/actions/runs/77/job/1) | Run test | 2026-11-24T01:00 |\n"));
        assert!(p.contains("\n### Per-Job Analysis\n\n<!-- ci-monitor-job: 1 sha="));
        assert!(p.ends_with("</details>\n\n---\n*Generated by amd-bot using builtin analyser (last updated: 2026-11-24 06:30 UTC)*"));
        assert_eq!(parse_blocks(p).len(), 2);
    }

    #[test]
    fn pending_line_is_only_in_the_last_part_and_only_for_running_jobs() {
        let a: Vec<JobAnalysis> = (1..=6).map(|i| analysis(i, 15_000)).collect();
        let parts = report(&a, &[(RunId::new(900), 2), (RunId::new(901), 0)]).render_parts();
        assert!(parts.len() > 1);
        for p in &parts[..parts.len() - 1] {
            assert!(!p.contains("still running"));
        }
        let last = parts.last().unwrap();
        assert!(last.contains("⏳ **2 job(s) still running** ([run](https://github.com/sgl-project/sglang/actions/runs/900)) — will update when complete\n"));
        assert!(!last.contains("runs/901"));
        let none = report(&a[..1], &[(RunId::new(901), 0)]).render_parts();
        assert!(!none[0].contains("still running"));
    }

    #[test]
    fn parts_fit_carry_every_id_and_a_correct_index_and_n_is_minimal() {
        let a: Vec<JobAnalysis> = (1..=14).map(|i| analysis(i, 14_000)).collect();
        let parts = report(&a, &[]).render_parts();
        let n = parts.len();
        let total_blocks: usize = a.iter().map(|x| render_block(x).chars().count()).sum();
        assert!(n > total_blocks / PART_TARGET_CHARS);
        for (i, p) in parts.iter().enumerate() {
            assert!(
                p.chars().count() <= PART_TARGET_CHARS,
                "part {} is {}",
                i + 1,
                p.chars().count()
            );
            assert_eq!(read_part(p), Some((i + 1, n)));
            assert_eq!(
                read_processed_ids(p).unwrap(),
                (1..=14).collect::<Vec<u64>>()
            );
            assert!(is_workflow_part(p, "nightly-test-amd.yml"));
        }
        let joined = parts.join("\n");
        assert_eq!(parse_blocks(&joined).len(), 14);
        // One part fewer cannot hold them.
        assert!(report(&a, &[])
            .pack(
                &report(&a, &[]).header_one(),
                &a.iter().map(render_block).collect::<Vec<_>>(),
                n - 1,
                PART_TARGET_CHARS
            )
            .is_none());
    }

    #[test]
    fn a_smaller_part_size_gives_more_parts_none_larger_than_it() {
        let a: Vec<JobAnalysis> = (1..=6).map(|i| analysis(i, 4_000)).collect();
        let default = report(&a, &[]).render_parts();
        assert_eq!(default.len(), 1);
        let small = report(&a, &[]).render_parts_within(10_000);
        assert!(small.len() >= 3, "{} parts", small.len());
        for (i, p) in small.iter().enumerate() {
            assert!(
                p.chars().count() <= 10_000,
                "part {} is {}",
                i + 1,
                p.chars().count()
            );
            assert_eq!(read_part(p), Some((i + 1, small.len())));
        }
        assert_eq!(parse_blocks(&small.join("\n")).len(), 6);
    }

    #[test]
    fn a_part_size_smaller_than_the_fixed_text_still_renders_every_job() {
        let a: Vec<JobAnalysis> = (1..=3).map(|i| analysis(i, 2_000)).collect();
        let parts = report(&a, &[]).render_parts_within(100);
        assert!(parts_fit(&parts));
        let ids: Vec<u64> = parse_blocks(&parts.join("\n"))
            .iter()
            .map(|b| b.job_id.get())
            .collect();
        assert_eq!(ids, [1, 2, 3]);
    }

    #[test]
    fn a_200kb_analysis_is_truncated_so_no_part_exceeds_github_limit() {
        let a = [analysis(1, 500), analysis(2, 200_000), analysis(3, 500)];
        let parts = report(&a, &[]).render_parts();
        assert!(
            parts_fit(&parts),
            "{:?}",
            parts.iter().map(|p| p.chars().count()).collect::<Vec<_>>()
        );
        let blocks = parse_blocks(&parts.join("\n"));
        assert_eq!(
            blocks.iter().map(|b| b.job_id).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        assert!(blocks[1].analysis.contains("analysis truncated"));
    }

    #[test]
    fn strict_readers_ignore_markers_quoted_further_down() {
        let body = "Someone wrote:\n<!-- processed_job_ids: 1,2,3 -->\n<!-- ci-monitor-part: 1/1 -->\n## `nightly-test-amd.yml` — 1 failure(s)";
        assert_eq!(read_processed_ids(body), None);
        assert_eq!(read_part(body), None);
        assert!(!is_workflow_part(body, "nightly-test-amd.yml"));
        let ours = "<!-- processed_job_ids: 5,6 -->\n<!-- ci-monitor-part: 2/3 -->\n## `x.yml` — Per-Job Analysis (continued 2/3)";
        assert_eq!(
            read_processed_ids(ours),
            Some(vec![JobId::new(5), JobId::new(6)])
        );
        assert_eq!(read_part(ours), Some((2, 3)));
        assert!(is_workflow_part(ours, "x.yml"));
        assert!(!is_workflow_part(ours, "y.yml"));
    }

    #[test]
    fn the_cross_run_comment_is_never_a_part() {
        let body = "<!-- ci-monitor-cross-run-summary: x.yml -->\n## `x.yml` — Cross-Run Pattern Summary (2 runs in lookback window)";
        assert!(!is_workflow_part(body, "x.yml"));
    }

    #[test]
    fn no_started_at_anywhere_shows_na() {
        let mut a = analysis(1, 300);
        a.started_at = None;
        a.head_sha = None;
        let p = &report(std::slice::from_ref(&a), &[]).render_parts()[0];
        assert!(p.contains("**Run started (UTC)**: N/A\n**Last scanned (UTC)**: 2026-11-24 06:30 UTC\n### Summary"), "{p}");
    }
}
