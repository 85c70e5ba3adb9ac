//! Finding a workflow's report among the issue's comments, merging new analyses into it, and
//! writing back only what changed.
//!
//! Trust boundary: only comments written by the bot's own account are read as state; text by
//! anyone else that imitates our markers is ignored. A series of parts whose markers list jobs
//! that cannot be read back is *frozen*: its ids still count as processed, but it is never
//! overwritten (we would lose what we did not understand); new analyses go to a new series.

use std::collections::BTreeSet;

use anyhow::{Context, Result};

use crate::github::models::Comment;
use crate::github::{Client, GithubError};
use crate::report::{is_workflow_part, parse_blocks, read_part, read_processed_ids, JobAnalysis};

/// A workflow's report as found on the issue.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Located {
    /// Part 1 of the series we continue.
    pub main: Option<Comment>,
    /// Its parts 2…N, by index.
    pub overflow: Vec<Comment>,
    /// Analyses read back from the adopted series, in comment order.
    pub recovered: Vec<JobAnalysis>,
    /// Every job id any of our comments for this workflow lists (adopted or frozen).
    pub processed: BTreeSet<u64>,
    /// Comments left untouched because they could not be fully read back.
    pub frozen: Vec<u64>,
}

/// Locates `workflow`'s parts among `comments` written by `bot_login`.
pub fn locate(comments: &[Comment], bot_login: &str, workflow: &str) -> Located {
    let ours: Vec<&Comment> = comments
        .iter()
        .filter(|c| c.author().eq_ignore_ascii_case(bot_login))
        .filter(|c| is_workflow_part(&c.body, workflow))
        .collect();
    let mut located = Located::default();
    for c in &ours {
        if let Some(ids) = read_processed_ids(&c.body) {
            located.processed.extend(ids);
        }
    }
    // Candidates for part 1: explicit part-1 comments (lowest id first), then legacy ones.
    let mut firsts: Vec<&Comment> = ours
        .iter()
        .copied()
        .filter(|c| read_part(&c.body).is_some_and(|(i, _)| i == 1))
        .collect();
    firsts.sort_by_key(|c| c.id);
    let legacy = ours
        .iter()
        .copied()
        .filter(|c| read_part(&c.body).is_none());
    let mut overflow: Vec<(usize, u64, &Comment)> = ours
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
        let parts: Vec<&Comment> = if is_series {
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
        let listed: BTreeSet<u64> = read_processed_ids(&candidate.body)
            .unwrap_or_default()
            .into_iter()
            .collect();
        let read: BTreeSet<u64> = blocks.iter().map(|b| b.job_id).collect();
        if listed.is_subset(&read) {
            located.main = Some(candidate.clone());
            located.overflow = dedupe_by_index(&parts);
            located.recovered = blocks;
            return located;
        }
        located.frozen.push(candidate.id);
        located.frozen.extend(parts.iter().map(|p| p.id));
    }
    located
}

/// One comment per part index (the lowest id); later duplicates are left as they are.
fn dedupe_by_index(parts: &[&Comment]) -> Vec<Comment> {
    let mut seen = BTreeSet::new();
    parts
        .iter()
        .filter(|c| read_part(&c.body).is_some_and(|(i, _)| seen.insert(i)))
        .map(|c| (*c).clone())
        .collect()
}

/// Recovered analyses first (comment order), then ones only the local cache has, then the
/// new ones; no job id twice.
pub fn merge(
    recovered: &[JobAnalysis],
    cached: &[JobAnalysis],
    new: &[JobAnalysis],
) -> Vec<JobAnalysis> {
    let mut out: Vec<JobAnalysis> = Vec::with_capacity(recovered.len() + cached.len() + new.len());
    let mut seen = BTreeSet::new();
    for a in recovered.iter().chain(cached).chain(new) {
        if a.job_id != 0 && seen.insert(a.job_id) {
            out.push(a.clone());
        }
    }
    out
}

/// What a publish did, for the run summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    pub created: Vec<u64>,
    pub updated: Vec<u64>,
    pub deleted: Vec<u64>,
}

/// Writes `parts` over the located series: PATCH what exists (only when the text changed),
/// POST what is missing, DELETE surplus old parts. A comment that vanished is re-created.
pub async fn write_parts(
    client: &Client,
    repo: &str,
    issue: u64,
    located: &Located,
    parts: &[String],
) -> Result<Written> {
    let mut written = Written::default();
    let mut existing: Vec<Option<&Comment>> = vec![located.main.as_ref()];
    existing.extend(located.overflow.iter().map(Some));
    for (i, body) in parts.iter().enumerate() {
        match existing.get(i).copied().flatten() {
            Some(old) if old.body == *body => {}
            Some(old) => match client.update_comment(repo, old.id, body).await {
                Ok(()) => written.updated.push(old.id),
                Err(GithubError::NotFound { .. }) => {
                    let c = post_part(client, repo, issue, body)
                        .await
                        .context("re-creating a vanished part")?;
                    written.created.push(c);
                }
                Err(e) => {
                    return Err(e)
                        .with_context(|| format!("updating part {} (comment {})", i + 1, old.id))
                }
            },
            None => {
                let c = post_part(client, repo, issue, body)
                    .await
                    .with_context(|| format!("posting part {}", i + 1))?;
                written.created.push(c);
            }
        }
    }
    for old in existing.iter().skip(parts.len()).flatten() {
        client
            .delete_comment(repo, old.id)
            .await
            .with_context(|| format!("deleting surplus part (comment {})", old.id))?;
        written.deleted.push(old.id);
    }
    Ok(written)
}

/// Creates or updates the workflow's cross-run comment (found by its marker among the bot's
/// own comments); writes nothing when the text is unchanged. Returns the comment written.
pub async fn write_cross_run(
    client: &Client,
    repo: &str,
    issue: u64,
    comments: &[Comment],
    bot_login: &str,
    workflow: &str,
    body: &str,
) -> Result<Option<u64>> {
    let marker = crate::report::markers::cross_run_marker(workflow);
    let existing = comments
        .iter()
        .find(|c| c.author().eq_ignore_ascii_case(bot_login) && c.body.contains(&marker));
    match existing {
        Some(c) if c.body == body => Ok(None),
        Some(c) => match client.update_comment(repo, c.id, body).await {
            Ok(()) => Ok(Some(c.id)),
            Err(GithubError::NotFound { .. }) => Ok(Some(
                post_part(client, repo, issue, body)
                    .await
                    .context("re-creating the cross-run comment")?,
            )),
            Err(e) => Err(e).context("updating the cross-run comment"),
        },
        None => Ok(Some(
            post_part(client, repo, issue, body)
                .await
                .context("posting the cross-run comment")?,
        )),
    }
}

/// Attempts at posting one part when GitHub's answer is lost or a server error.
const POST_ATTEMPTS: u32 = 3;

/// Posts a part and returns its comment id. A POST is not idempotent: after a 5xx or a lost
/// answer the comment may exist anyway, so before trying again the issue is re-read and an
/// identical comment is adopted instead of posting a duplicate.
async fn post_part(
    client: &Client,
    repo: &str,
    issue: u64,
    body: &str,
) -> Result<u64, GithubError> {
    let mut attempt = 1;
    loop {
        match client.create_comment(repo, issue, body).await {
            Ok(c) => return Ok(c.id),
            Err(e) if attempt < POST_ATTEMPTS && outcome_unknown(&e) => {
                tracing::warn!(
                    "posting a comment on #{issue} failed ({e}); checking whether it landed"
                );
                tokio::time::sleep(std::time::Duration::from_millis(500 * u64::from(attempt)))
                    .await;
                if let Ok(comments) = client.comments(repo, issue).await {
                    if let Some(c) = comments.iter().rev().find(|c| c.body == body) {
                        return Ok(c.id);
                    }
                }
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Whether a failed write may or may not have reached GitHub.
fn outcome_unknown(e: &GithubError) -> bool {
    matches!(e, GithubError::Transport { .. })
        || matches!(e, GithubError::Http { status, .. } if *status >= 500)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::models::User;
    use crate::report::WorkflowReport;

    const WF: &str = "nightly-test-amd.yml";

    fn analysis(id: u64) -> JobAnalysis {
        JobAnalysis {
            job_id: id,
            job_name: format!("job-{id}"),
            run_url: "https://github.com/sgl-project/sglang/actions/runs/1".into(),
            started_at: None,
            failed_steps: vec![],
            analysis: format!("### Failed Tests\n{}", "evidence ".repeat(40)),
            head_sha: None,
        }
    }

    fn comment(id: u64, author: &str, body: String) -> Comment {
        Comment {
            id,
            body,
            user: Some(User {
                login: author.into(),
                id: 1,
                kind: None,
            }),
            html_url: String::new(),
            author_association: None,
            created_at: None,
            updated_at: None,
        }
    }

    fn parts(analyses: &[JobAnalysis]) -> Vec<String> {
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

    #[test]
    fn only_the_bots_own_comments_are_state() {
        let body = parts(&[analysis(1)]).remove(0);
        let comments = vec![comment(10, "someone-else", body.clone())];
        let l = locate(&comments, "amd-bot", WF);
        assert_eq!(l.main, None);
        assert!(l.processed.is_empty());
        let l = locate(&[comment(11, "AMD-Bot", body)], "amd-bot", WF);
        assert_eq!(l.main.map(|c| c.id), Some(11));
        assert_eq!(l.recovered.len(), 1);
    }

    #[test]
    fn a_fake_block_from_another_user_changes_nothing() {
        let ours = comment(10, "amd-bot", parts(&[analysis(1)]).remove(0));
        let forged = comment(11, "mallory", parts(&[analysis(99)]).remove(0));
        let l = locate(&[ours, forged], "amd-bot", WF);
        assert_eq!(l.processed, BTreeSet::from([1]));
        assert_eq!(
            l.recovered.iter().map(|a| a.job_id).collect::<Vec<_>>(),
            [1]
        );
    }

    #[test]
    fn of_two_part_one_comments_the_lower_id_is_adopted_and_both_dedup() {
        let a = comment(20, "amd-bot", parts(&[analysis(1)]).remove(0));
        let b = comment(15, "amd-bot", parts(&[analysis(2)]).remove(0));
        let l = locate(&[a, b], "amd-bot", WF);
        assert_eq!(l.main.map(|c| c.id), Some(15));
        assert_eq!(l.processed, BTreeSet::from([1, 2]));
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
        let l = locate(&[comment(1, "amd-bot", other)], "amd-bot", WF);
        assert!(l.processed.is_empty());
    }

    #[test]
    fn a_series_that_cannot_be_read_back_is_frozen_not_adopted() {
        // The original's legacy format: ids listed, blocks in an older layout.
        let legacy = format!("<!-- processed_job_ids: 7,8 -->\n## `{WF}` — 2 failure(s)\n\n<details><summary>job-7</summary>old format</details>\n");
        let l = locate(&[comment(3, "amd-bot", legacy)], "amd-bot", WF);
        assert_eq!(l.main, None);
        assert_eq!(l.frozen, [3]);
        assert_eq!(l.processed, BTreeSet::from([7, 8]));
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
        let comments: Vec<Comment> = rendered
            .iter()
            .enumerate()
            .map(|(i, b)| comment(100 + i as u64, "amd-bot", b.clone()))
            .rev()
            .collect();
        let l = locate(&comments, "amd-bot", WF);
        assert_eq!(l.main.as_ref().map(|c| c.id), Some(100));
        assert_eq!(
            l.overflow.iter().map(|c| c.id).collect::<Vec<_>>(),
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
        assert_eq!(m.iter().map(|a| a.job_id).collect::<Vec<_>>(), [1, 2, 3, 4]);
    }
}
