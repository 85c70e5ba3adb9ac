//! What AMD CI did with a PR's test files on its head commit, for `ci-status` (the banner
//! above its report) and `review-pr` (the builtin review): the changed test files read at
//! the head, and the coverage gaps from the AMD jobs that ran on it. Shared so both commands
//! read the same files the same way.

use anyhow::Result;

use crate::domain::{CommitSha, RepoName};
use crate::github::models::{PullFile, WorkflowRun};
use crate::github::Client;
use crate::report::coverage::{self, AmdJob, ChangedFile, Gap};
use crate::report::pr_workflows::{standings, HeadRun, WorkflowStanding};

/// A run as the workflow standings read it.
pub(super) fn head_run(run: &WorkflowRun) -> HeadRun {
    HeadRun {
        id: run.id,
        name: run.name.clone().unwrap_or_default(),
        file: run.path.clone(),
        status: run.status.clone(),
        conclusion: run.conclusion.clone(),
        html_url: run.html_url.clone(),
    }
}

/// Whether the file's text at the head is worth reading: a Python file under `test/` that
/// the PR does not remove.
fn wanted(f: &PullFile) -> bool {
    f.status != "removed" && f.filename.starts_with("test/") && f.filename.ends_with(".py")
}

/// Each changed file's text at `sha`, for the test files (`None` for the others and for a
/// file GitHub does not have there).
pub(super) async fn test_sources(
    client: &Client,
    repo: &RepoName,
    files: &[PullFile],
    sha: &CommitSha,
) -> Result<Vec<Option<String>>> {
    let mut texts = Vec::with_capacity(files.len());
    for f in files {
        texts.push(if wanted(f) {
            client.file_at_ref(repo, &f.filename, sha.as_str()).await?
        } else {
            None
        });
    }
    Ok(texts)
}

/// The coverage gaps of the files (`texts` from [`test_sources`]) given the runs of the head
/// commit: the jobs of its AMD workflows' latest runs decide which suites ran.
pub(super) async fn gaps(
    client: &Client,
    repo: &RepoName,
    files: &[PullFile],
    texts: &[Option<String>],
    runs: &[WorkflowRun],
) -> Result<Vec<Gap>> {
    let changed: Vec<ChangedFile<'_>> = files
        .iter()
        .zip(texts)
        .map(|(f, t)| ChangedFile {
            path: &f.filename,
            removed: f.status == "removed",
            source: t.as_deref(),
        })
        .collect();
    let heads: Vec<HeadRun> = runs.iter().map(head_run).collect();
    let amd: Vec<WorkflowStanding> = standings(&heads, &[])
        .into_iter()
        .filter(|w| w.is_amd())
        .collect();
    if amd.is_empty() {
        return Ok(coverage::gaps(&changed, None));
    }
    let mut jobs = Vec::new();
    for w in &amd {
        if let Some(run) = &w.run {
            for j in client.run_jobs(repo, run.id).await? {
                jobs.push(AmdJob {
                    name: j.name,
                    status: j.status,
                    conclusion: j.conclusion,
                });
            }
        }
    }
    Ok(coverage::gaps(&changed, Some(&jobs)))
}
