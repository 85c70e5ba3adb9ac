//! Reading a workflow's report back from the bot's own comments on the day's issue: which
//! series of parts to continue, which job ids are already reported, and what cannot be read
//! back safely. Pure: the caller decides which comments are the bot's own (the trust
//! boundary lives with the GitHub reader) and hands them over as [`PostedComment`]s.
//!
//! A series of parts whose markers list jobs that cannot be read back is *frozen*: its ids
//! still count as processed, but it is never overwritten (we would lose what we did not
//! understand); new analyses go to a new series. A series that lacks some of its parts (a
//! write deferred by a rate limit, a part someone deleted) is *incomplete*, not damaged: it is
//! continued, and the jobs only its missing parts showed are not processed, so they are
//! written again (from the local cache, or analysed again).

use std::collections::BTreeSet;

use super::{is_workflow_part, parse_blocks, read_part, read_processed_ids, JobAnalysis};
use crate::domain::{CommentId, JobId};

/// One comment the bot wrote, as the readers need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostedComment {
    /// Where it is, to update or delete it.
    pub id: CommentId,
    /// Its text, to read back and to skip writes that change nothing.
    pub body: String,
}

/// A workflow's report as found on the issue.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Located {
    /// Part 1 of the series we continue.
    pub main: Option<PostedComment>,
    /// Its parts 2…N, by index.
    pub overflow: Vec<PostedComment>,
    /// Analyses read back from the adopted series, in comment order.
    pub recovered: Vec<JobAnalysis>,
    /// Every job id any of our comments for this workflow lists (adopted or frozen).
    pub processed: BTreeSet<JobId>,
    /// Comments left untouched because they could not be fully read back.
    pub frozen: Vec<CommentId>,
}

/// Locates `workflow`'s parts among the bot's own comments.
pub fn locate(own: &[PostedComment], workflow: &str) -> Located {
    let ours: Vec<&PostedComment> = own
        .iter()
        .filter(|c| is_workflow_part(&c.body, workflow))
        .collect();
    let mut located = Located::default();
    // Candidates for part 1: explicit part-1 comments (lowest id first), then legacy ones.
    let mut firsts: Vec<&PostedComment> = ours
        .iter()
        .copied()
        .filter(|c| read_part(&c.body).is_some_and(|(i, _)| i == 1))
        .collect();
    firsts.sort_by_key(|c| c.id);
    let legacy = ours
        .iter()
        .copied()
        .filter(|c| read_part(&c.body).is_none());
    let mut overflow: Vec<(usize, CommentId, &PostedComment)> = ours
        .iter()
        .filter_map(|c| {
            read_part(&c.body)
                .filter(|(i, _)| *i >= 2)
                .map(|(i, _)| (i, c.id, *c))
        })
        .collect();
    overflow.sort_by_key(|(i, id, _)| (*i, *id));

    for candidate in firsts.into_iter().chain(legacy) {
        let is_series = read_part(&candidate.body).is_some();
        let parts: Vec<&PostedComment> = if is_series {
            overflow
                .iter()
                .map(|(_, _, c)| *c)
                .filter(|c| c.id > candidate.id)
                .collect()
        } else {
            Vec::new()
        };
        let mut text = candidate.body.clone();
        for p in &parts {
            text.push('\n');
            text.push_str(&p.body);
        }
        let blocks = parse_blocks(&text);
        let listed: BTreeSet<JobId> = read_processed_ids(&candidate.body)
            .unwrap_or_default()
            .into_iter()
            .collect();
        let read: BTreeSet<JobId> = blocks.iter().map(|b| b.job_id).collect();
        if listed.is_subset(&read) || is_incomplete(candidate, &parts) {
            located.main = Some(candidate.clone());
            located.overflow = dedupe_by_index(&parts);
            located.recovered = blocks;
            // The adopted series counts what it lists and shows (a job it lists in a part
            // that is missing is written again); every other comment what it lists.
            let adopted: BTreeSet<CommentId> = std::iter::once(candidate.id)
                .chain(parts.iter().map(|p| p.id))
                .collect();
            located.processed = listed_ids(ours.iter().filter(|c| !adopted.contains(&c.id)));
            located.processed.extend(listed.intersection(&read));
            return located;
        }
        located.frozen.push(candidate.id);
        located.frozen.extend(parts.iter().map(|p| p.id));
    }
    located.processed = listed_ids(ours.iter());
    located
}

/// Every job id the markers of `comments` list.
fn listed_ids<'a>(comments: impl Iterator<Item = &'a &'a PostedComment>) -> BTreeSet<JobId> {
    comments
        .filter_map(|c| read_processed_ids(&c.body))
        .flatten()
        .collect()
}

/// Whether a series was written only in part: it misses one of the parts its first part
/// announces (`i/N`), or one of its parts lists other jobs than the first (a later part whose
/// rewrite a rate limit deferred still shows the jobs of before).
fn is_incomplete(first: &PostedComment, parts: &[&PostedComment]) -> bool {
    let Some((_, total)) = read_part(&first.body) else {
        return false;
    };
    let present: BTreeSet<usize> = std::iter::once(first)
        .chain(parts.iter().copied())
        .filter_map(|c| read_part(&c.body).map(|(i, _)| i))
        .collect();
    let listed = read_processed_ids(&first.body);
    (1..=total).any(|i| !present.contains(&i))
        || parts.iter().any(|p| read_processed_ids(&p.body) != listed)
}

/// One comment per part index (the lowest id); later duplicates are left as they are.
fn dedupe_by_index(parts: &[&PostedComment]) -> Vec<PostedComment> {
    let mut seen = BTreeSet::new();
    parts
        .iter()
        .filter(|c| read_part(&c.body).is_some_and(|(i, _)| seen.insert(i)))
        .map(|c| (*c).clone())
        .collect()
}

/// Recovered analyses first (comment order), then ones only the local cache has, then the
/// new ones; no job id twice. A readable analysis already shown is kept (no churn), but a
/// failure note ("analysis failed", a stub) gives way, in place, to a real analysis of the
/// same job made since.
pub fn merge(
    recovered: &[JobAnalysis],
    cached: &[JobAnalysis],
    new: &[JobAnalysis],
) -> Vec<JobAnalysis> {
    let mut out: Vec<JobAnalysis> = Vec::with_capacity(recovered.len() + cached.len() + new.len());
    for a in recovered.iter().chain(cached).chain(new) {
        if a.job_id.get() == 0 {
            continue;
        }
        match out.iter_mut().find(|o| o.job_id == a.job_id) {
            None => out.push(a.clone()),
            Some(earlier) if is_failure_note(earlier) && !is_failure_note(a) => {
                *earlier = a.clone()
            }
            Some(_) => {}
        }
    }
    out
}

/// An analysis that is only a note that the analysis failed.
fn is_failure_note(a: &JobAnalysis) -> bool {
    let text = a.analysis.trim_start();
    text.starts_with(super::markers::STUB_BODY_START) || super::block::is_stub(text)
}

/// Fixtures shared by the tests of the readers and of the monitor's writers.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::JobAnalysis;
    use crate::domain::JobId;
    use crate::report::WorkflowReport;

    /// The workflow the fixtures report on.
    pub(crate) const WF: &str = "nightly-test-amd.yml";

    /// A job analysis long enough to be a real report.
    pub(crate) fn analysis(id: u64) -> JobAnalysis {
        JobAnalysis {
            job_id: JobId::new(id),
            job_name: format!("job-{id}"),
            run_url: "https://github.com/sgl-project/sglang/actions/runs/1".into(),
            started_at: None,
            failed_steps: vec![],
            analysis: format!("### Failed Tests\n{}", "evidence ".repeat(40)),
            head_sha: None,
            signatures: Vec::new(),
            since: None,
        }
    }

    /// The parts the bot would post for `analyses` of [`WF`].
    pub(crate) fn parts(analyses: &[JobAnalysis]) -> Vec<String> {
        WorkflowReport {
            workflow: WF,
            analyses,
            summary: None,
            pending: &[],
            unanalysed: &[],
            producer: "builtin analyser",
            now: "2026-11-24 01:00 UTC",
            upstream: "sgl-project/sglang",
        }
        .render_parts()
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{analysis, parts, WF};
    use super::*;
    use crate::report::WorkflowReport;

    fn comment(id: u64, body: String) -> PostedComment {
        PostedComment {
            id: CommentId::new(id),
            body,
        }
    }

    fn ids(ids: &[u64]) -> BTreeSet<JobId> {
        ids.iter().copied().map(JobId::new).collect()
    }

    #[test]
    fn of_two_part_one_comments_the_lower_id_is_adopted_and_both_dedup() {
        let a = comment(20, parts(&[analysis(1)]).remove(0));
        let b = comment(15, parts(&[analysis(2)]).remove(0));
        let l = locate(&[a, b], WF);
        assert_eq!(l.main.map(|c| c.id), Some(CommentId::new(15)));
        assert_eq!(l.processed, ids(&[1, 2]));
    }

    #[test]
    fn another_workflows_ids_do_not_count() {
        let other = WorkflowReport {
            workflow: "pr-test-amd.yml",
            analyses: &[analysis(5)],
            summary: None,
            pending: &[],
            unanalysed: &[],
            producer: "x",
            now: "n",
            upstream: "sgl-project/sglang",
        }
        .render_parts()
        .remove(0);
        let l = locate(&[comment(1, other)], WF);
        assert!(l.processed.is_empty());
    }

    #[test]
    fn a_series_that_cannot_be_read_back_is_frozen_not_adopted() {
        // The original's legacy format: ids listed, blocks in an older layout.
        let legacy = format!("<!-- processed_job_ids: 7,8 -->\n## `{WF}` — 2 failure(s)\n\n<details><summary>job-7</summary>old format</details>\n");
        let l = locate(&[comment(3, legacy)], WF);
        assert_eq!(l.main, None);
        assert_eq!(l.frozen, [CommentId::new(3)]);
        assert_eq!(l.processed, ids(&[7, 8]));
    }

    #[test]
    fn a_series_missing_its_last_parts_is_continued_and_only_what_it_shows_is_processed() {
        let analyses: Vec<JobAnalysis> = (1..=6)
            .map(|i| JobAnalysis {
                analysis: format!("### T\n{}", "y".repeat(15_000)),
                ..analysis(i)
            })
            .collect();
        let rendered = parts(&analyses);
        assert!(rendered.len() >= 2, "{}", rendered.len());
        // Only part 1 was written before a rate limit deferred the rest.
        let first = comment(100, rendered[0].clone());
        let shown: Vec<JobId> = parse_blocks(&rendered[0])
            .iter()
            .map(|b| b.job_id)
            .collect();
        assert!(shown.len() < 6);
        let l = locate(std::slice::from_ref(&first), WF);
        assert_eq!(
            l.main.as_ref().map(|c| c.id),
            Some(first.id),
            "continued, not frozen"
        );
        assert!(l.frozen.is_empty());
        assert_eq!(l.processed, shown.iter().copied().collect::<BTreeSet<_>>());
        // All parts present but a block unreadable: that is damage, and stays frozen.
        let mut damaged: Vec<PostedComment> = rendered
            .iter()
            .enumerate()
            .map(|(i, b)| comment(100 + i as u64, b.clone()))
            .collect();
        damaged[0].body = damaged[0]
            .body
            .replacen("data-job-id=\"1\"", "data-job-id=\"x\"", 1);
        let l = locate(&damaged, WF);
        assert_eq!(l.main, None);
        assert_eq!(l.processed, ids(&[1, 2, 3, 4, 5, 6]));
    }

    #[test]
    fn a_later_part_left_from_before_makes_the_series_incomplete_not_frozen() {
        let big = |i: u64| JobAnalysis {
            analysis: format!("### T\n{}", "y".repeat(15_000)),
            ..analysis(i)
        };
        let before: Vec<JobAnalysis> = (1..=5).map(big).collect();
        let after: Vec<JobAnalysis> = (1..=6).map(big).collect();
        let old = parts(&before);
        let new = parts(&after);
        assert_eq!(old.len(), new.len(), "job 6 fits the last part");
        // Part 1 rewritten with job 6 in its marker; the last part's rewrite was deferred.
        let mut comments = vec![comment(100, new[0].clone())];
        comments.extend(
            old.iter()
                .enumerate()
                .skip(1)
                .map(|(i, b)| comment(100 + i as u64, b.clone())),
        );
        let l = locate(&comments, WF);
        assert_eq!(
            l.main.as_ref().map(|c| c.id),
            Some(CommentId::new(100)),
            "continued"
        );
        assert!(l.frozen.is_empty());
        assert!(
            !l.processed.contains(&JobId::new(6)),
            "job 6 is written again"
        );
        assert_eq!(l.processed, ids(&[1, 2, 3, 4, 5]));
    }

    #[test]
    fn overflow_parts_are_found_by_index() {
        let analyses: Vec<JobAnalysis> = (1..=6)
            .map(|i| JobAnalysis {
                analysis: format!("### T\n{}", "y".repeat(15_000)),
                ..analysis(i)
            })
            .collect();
        let rendered = parts(&analyses);
        assert!(rendered.len() >= 2);
        let comments: Vec<PostedComment> = rendered
            .iter()
            .enumerate()
            .map(|(i, b)| comment(100 + i as u64, b.clone()))
            .rev()
            .collect();
        let l = locate(&comments, WF);
        assert_eq!(l.main.as_ref().map(|c| c.id.get()), Some(100));
        assert_eq!(
            l.overflow.iter().map(|c| c.id.get()).collect::<Vec<_>>(),
            (101..100 + rendered.len() as u64).collect::<Vec<_>>()
        );
        assert_eq!(l.recovered.len(), 6);
    }

    #[test]
    fn merge_keeps_recovered_then_cached_then_new_without_repeats() {
        let m = merge(
            &[analysis(1), analysis(2)],
            &[analysis(2), analysis(3)],
            &[analysis(4), analysis(1)],
        );
        assert_eq!(
            m.iter().map(|a| a.job_id.get()).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
    }

    #[test]
    fn a_failure_note_gives_way_to_a_fresh_analysis_and_a_real_one_is_kept() {
        let note = JobAnalysis {
            analysis: "Analysis failed: GET /logs: HTTP 500".into(),
            ..analysis(1)
        };
        let fresh = JobAnalysis {
            analysis: format!("### Failed Tests\nfresh {}", "evidence ".repeat(40)),
            ..analysis(1)
        };
        let m = merge(
            &[note.clone(), analysis(2)],
            &[],
            std::slice::from_ref(&fresh),
        );
        assert_eq!(m.iter().map(|a| a.job_id.get()).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(m[0], fresh, "the note is replaced in place");
        // A readable analysis already shown is not churned by a newer one.
        let m = merge(std::slice::from_ref(&fresh), &[], &[analysis(1)]);
        assert_eq!(m[0], fresh);
        // Nor is a note replaced by another note.
        let m = merge(
            std::slice::from_ref(&note),
            &[],
            std::slice::from_ref(&note),
        );
        assert_eq!(m, [note]);
    }
}
