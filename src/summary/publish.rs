//! Writing the summary into the daily issue's body and removing the legacy summary comments.
//!
//! Concurrent runs (a monitor hook and a finalize job, or several of either) each GET the body,
//! replace its first block and PATCH the whole body. A PATCH replaces the whole body, and a
//! replacement never adds a block (a body with k ≥ 1 blocks keeps k; a body with none gets
//! exactly one, the old text kept once below the separator), so whatever PATCH lands last, the
//! body holds one block when it held at most one before. [`converge`] re-reads after writing
//! and removes blocks beyond the ones written, should any other writer have added some. Every
//! run computes the same content from the same inputs, so the last writer's block is as good
//! as any.

use anyhow::{Context, Result};

use crate::domain::{CommentId, IssueNumber, RepoName};
use crate::github::{Client, IssuePatch, MAX_BODY_CHARS};
use crate::report::markers::LEGACY_BOARD;
use crate::report::summary_block::{count, keep_first_block, replace};
use crate::report::summary_output::wrap;

/// Rounds of re-reading the body after writing it.
const CONVERGE_ROUNDS: usize = 3;

/// The block's content before wrapping.
#[derive(Debug, Clone)]
pub struct Content {
    pub summary: String,
    pub producer: String,
    pub note: Option<String>,
    pub digest: String,
    pub clusters_json: String,
    pub snapshot: String,
}

impl Content {
    /// The wrapped text, the summary cut at a line end to `max` characters when given.
    fn render(&self, max: Option<usize>) -> String {
        let summary = match max {
            Some(max) if self.summary.chars().count() > max => {
                let cut: String = self.summary.chars().take(max).collect();
                let at = cut.rfind('\n').unwrap_or(cut.len());
                format!(
                    "{}\n\n_(The summary was cut here to fit GitHub's {MAX_BODY_CHARS}-character limit.)_",
                    &cut[..at]
                )
            }
            _ => self.summary.clone(),
        };
        wrap(
            &summary,
            &self.producer,
            &self.snapshot,
            self.note.as_deref(),
            &self.digest,
            &self.clusters_json,
        )
    }
}

/// `current` with the content in its block, cut to fit the body limit when it would not: the
/// summary first, then the hidden cluster list (tomorrow's comparison then sees every
/// cluster as new, which is better than no summary). An error when the rest of the body alone
/// leaves no room, rather than a write GitHub refuses on every run.
pub fn new_body(current: &str, content: &Content, seeded: &str) -> Result<String> {
    let fits = |body: &String| body.chars().count() <= MAX_BODY_CHARS;
    let body = replace(current, &content.render(None), seeded);
    if fits(&body) {
        return Ok(body);
    }
    let cut = |content: &Content, body: &String| {
        let over = body.chars().count().saturating_sub(MAX_BODY_CHARS);
        let max = content.summary.chars().count().saturating_sub(over + 300);
        replace(current, &content.render(Some(max)), seeded)
    };
    let body = cut(content, &body);
    if fits(&body) {
        return Ok(body);
    }
    let without_list = Content {
        clusters_json: String::new(),
        ..content.clone()
    };
    let body = cut(
        &without_list,
        &replace(current, &without_list.render(None), seeded),
    );
    if fits(&body) {
        return Ok(body);
    }
    anyhow::bail!(
        "the issue body outside the summary block leaves no room for a summary within GitHub's {MAX_BODY_CHARS}-character limit"
    )
}

/// What publishing did.
#[derive(Debug, Clone, Default)]
pub struct Published {
    /// The body as we wrote it (or found it, when unchanged).
    pub body: String,
    /// A PATCH with our block was sent.
    pub patched: bool,
    /// A later read found extra blocks and they were removed.
    pub repaired: bool,
}

/// GETs the issue, replaces the block, PATCHes only when the body changed, then converges.
pub async fn publish(
    client: &Client,
    repo: &RepoName,
    issue: IssueNumber,
    content: &Content,
    seeded: &str,
) -> Result<Published> {
    let current = client
        .issue(repo, issue)
        .await
        .with_context(|| format!("cannot read {repo}#{issue} to publish the summary"))?
        .body;
    // As GitHub will store it (secrets redacted), so an unchanged body is seen as unchanged.
    let body = client
        .as_posted(&new_body(&current, content, seeded)?)
        .into_owned();
    let patched = body != current;
    if patched {
        write_body(client, repo, issue, &body).await?;
    } else {
        tracing::info!("the summary in {repo}#{issue} is unchanged; not written");
    }
    let repaired = if client.is_dry_run() {
        false
    } else {
        converge(client, repo, issue, count(&body).max(1)).await?
    };
    Ok(Published {
        body,
        patched,
        repaired,
    })
}

async fn write_body(
    client: &Client,
    repo: &RepoName,
    issue: IssueNumber,
    body: &str,
) -> Result<()> {
    client
        .update_issue(
            repo,
            issue,
            &IssuePatch {
                body: Some(body.to_string()),
                ..IssuePatch::default()
            },
        )
        .await
        .with_context(|| format!("cannot write the summary into {repo}#{issue}"))
}

/// Re-reads the body after writing it: when it holds more blocks than the `written` body did
/// (never the result of a replacement, so only of some other writer), every block after the
/// first is removed, until the body is stable. Blocks that were there before us, and everything
/// outside them, are never touched (ST-G19).
pub async fn converge(
    client: &Client,
    repo: &RepoName,
    issue: IssueNumber,
    written: usize,
) -> Result<bool> {
    let mut repaired = false;
    for _ in 0..CONVERGE_ROUNDS {
        let body = client
            .issue(repo, issue)
            .await
            .with_context(|| format!("cannot re-read {repo}#{issue}"))?
            .body;
        if count(&body) <= written {
            return Ok(repaired);
        }
        tracing::warn!("{repo}#{issue} holds more summary blocks than written; keeping the first");
        write_body(client, repo, issue, &keep_first_block(&body)).await?;
        repaired = true;
    }
    Ok(repaired)
}

/// What the legacy cleanup did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Cleanup {
    pub deleted: Vec<CommentId>,
    /// Comments by others that quote the marker: never ours to delete.
    pub kept_foreign: Vec<CommentId>,
    pub errors: Vec<String>,
}

/// Deletes the bot's own legacy summary comments (those holding [`LEGACY_BOARD`]); a person's
/// comment quoting the marker stays. 404 is fine; other errors are logged and the rest go on;
/// a listing that fails skips the cleanup.
pub async fn cleanup(client: &Client, repo: &RepoName, issue: IssueNumber, login: &str) -> Cleanup {
    let mut out = Cleanup::default();
    let comments = match client.comments(repo, issue).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(
                "cannot list the comments of {repo}#{issue}: {e}; legacy cleanup skipped"
            );
            out.errors.push(format!("listing: {e}"));
            return out;
        }
    };
    for c in comments.iter().filter(|c| c.body.contains(LEGACY_BOARD)) {
        if !c.author().eq_ignore_ascii_case(login) {
            tracing::info!(
                "comment {} by {} quotes the legacy summary marker; kept (not the bot's)",
                c.id,
                c.author()
            );
            out.kept_foreign.push(c.id);
            continue;
        }
        match client.delete_comment(repo, c.id).await {
            Ok(()) => out.deleted.push(c.id),
            Err(e) => {
                tracing::warn!("cannot delete legacy summary comment {}: {e}", c.id);
                out.errors.push(format!("comment {}: {e}", c.id));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::summary_block::count;

    fn content(summary: String) -> Content {
        Content {
            summary,
            producer: "sglang-bot builtin analyser".into(),
            note: None,
            digest: "d".into(),
            clusters_json: "[]".into(),
            snapshot: "2026-11-24 06:00 UTC".into(),
        }
    }

    #[test]
    fn a_summary_too_long_for_the_body_is_cut_at_a_line_to_fit() {
        let long = format!(
            "# Daily Cross-Workflow Summary — x\n{}",
            "a line of text\n".repeat(6000)
        );
        let current = format!("before\n<!-- daily-cross-workflow-summary:start -->\nold\n<!-- daily-cross-workflow-summary:end -->\n{}", "z".repeat(2000));
        let body = new_body(&current, &content(long.clone()), "").unwrap();
        assert!(body.chars().count() <= MAX_BODY_CHARS, "{}", body.len());
        assert!(body.contains("cut here to fit"));
        assert!(body.ends_with(&"z".repeat(2000)));
        assert_eq!(count(&body), 1);
        let short = new_body(
            &current,
            &content("# Daily Cross-Workflow Summary — x".into()),
            "",
        )
        .unwrap();
        assert!(!short.contains("cut here"));
        // The rest of the body alone over the limit: an error, not a write GitHub refuses.
        let crowded = current.replace(&"z".repeat(2000), &"z".repeat(MAX_BODY_CHARS));
        let err = new_body(&crowded, &content(long), "").unwrap_err();
        assert!(err.to_string().contains("leaves no room"), "{err}");
    }
}
