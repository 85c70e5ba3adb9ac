//! The daily cross-workflow summary: gathers the day's analyses (the bot's own comments), the
//! workflows' runs and yesterday's summary, asks the backend chain only when those inputs
//! changed (their digest is kept in the block), and publishes the result into the daily
//! issue's body, then removes the bot's legacy summary comments.

pub mod gather;
pub mod publish;
pub mod yesterday;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::analysis::{Backend, DailySummaryRequest, SummaryLimits};
use crate::daily_issue::{self, reports};
use crate::domain::{Day, IssueNumber, RepoName};
use crate::github::Client;
use crate::report::daily::seeded_body;
use crate::report::summary_block;
use crate::report::summary_builtin::previous_day;
use crate::report::summary_clusters::{clusters, compare, refs, ClusterRef};
use crate::report::summary_facts::SummaryFacts;
use publish::{Cleanup, Content};

/// Hidden list entries kept per cluster (the list must leave room for the summary).
const MEMBERS_KEPT: usize = 8;
/// Characters the hidden cluster list may take in the body (a third of GitHub's limit).
const LIST_CHARS: usize = 20_000;

/// What one summary run is about.
#[derive(Debug, Clone)]
pub struct Options {
    pub bot_repo: RepoName,
    pub upstream: RepoName,
    /// The monitored workflows, in report order.
    pub workflows: Vec<String>,
    pub label: String,
    pub branch: String,
    pub date: Day,
    /// Whether `date` is today (today's issue must be open; a past one may be closed).
    pub is_today: bool,
    /// `YYYY-MM-DD HH:MM UTC`.
    pub snapshot: String,
    pub limits: SummaryLimits,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// No daily issue for the date: nothing written.
    NoIssue,
    /// The issue holds no analysis: nothing written, nothing cleaned up.
    NoAnalyses,
    /// The inputs digest equals the block's: no backend asked, nothing written.
    Unchanged,
    /// The block was written (or, in a dry run, would have been).
    Published,
}

/// What a run did, for logs and `--format json`.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub date: String,
    pub issue: Option<IssueNumber>,
    pub outcome: Outcome,
    pub analyses: usize,
    pub digest: Option<String>,
    pub producer: Option<String>,
    pub note: Option<String>,
    /// The body written (or that would be written).
    pub body: Option<String>,
    pub patched: bool,
    pub repaired: bool,
    pub cleanup: Option<Cleanup>,
}

impl Report {
    fn new(options: &Options, issue: Option<IssueNumber>, outcome: Outcome) -> Self {
        Report {
            date: options.date.to_string(),
            issue,
            outcome,
            analyses: 0,
            digest: None,
            producer: None,
            note: None,
            body: None,
            patched: false,
            repaired: false,
            cleanup: None,
        }
    }
}

/// A summary whose inputs changed: what [`finish`] needs to ask a backend and publish.
#[derive(Debug)]
pub struct Pending {
    report: Report,
    facts: Box<SummaryFacts>,
    login: String,
    issue: IssueNumber,
}

/// Where [`prepare`] left off.
#[derive(Debug)]
pub enum Prepared {
    /// Nothing to ask a backend for (no issue, no analyses, unchanged inputs): done.
    Done(Report),
    /// The inputs changed: a backend is needed.
    Needed(Pending),
}

/// Builds and publishes the summary of `options.date` with `analyst`.
pub async fn run(client: &Client, analyst: &dyn Backend, options: &Options) -> Result<Report> {
    match prepare(client, options).await? {
        Prepared::Done(report) => Ok(report),
        Prepared::Needed(pending) => finish(client, analyst, options, pending).await,
    }
}

/// Reads the day's issue and gathers the facts; finishes at once (the cleanup included) when
/// there is nothing to summarise or the inputs digest equals the block's, so the caller builds
/// no backend (no agent probe, no checkout fetch) for a run that needs none.
pub async fn prepare(client: &Client, options: &Options) -> Result<Prepared> {
    let date = options.date.to_string();
    let found = if options.is_today {
        daily_issue::find(client, &options.bot_repo, &options.label, &date).await?
    } else {
        daily_issue::find_past(client, &options.bot_repo, &options.label, &date).await?
    };
    let Some(issue) = found else {
        tracing::info!(
            "no daily issue for {date} in {}; nothing to summarise",
            options.bot_repo
        );
        return Ok(Prepared::Done(Report::new(options, None, Outcome::NoIssue)));
    };
    let number = issue.number;
    let login = client
        .authenticated_user()
        .await
        .context("cannot tell which account the token belongs to")?
        .login;
    let day = reports::read(client, &options.bot_repo, issue, &login, &options.workflows).await?;
    let mut report = Report::new(options, Some(number), Outcome::NoAnalyses);
    report.analyses = day.total();
    if day.total() == 0 {
        tracing::info!(
            "{}#{number} holds no analysis yet; nothing to summarise",
            options.bot_repo
        );
        return Ok(Prepared::Done(report));
    }
    let facts = gather_facts(client, options, &login, number, day.workflows)
        .await
        .context("the summary's facts could not all be read, so it is not rebuilt this time")?;
    let digest = facts.digest();
    report.digest = Some(digest.clone());
    let existing = summary_block::inner(&day.issue.body).and_then(summary_block::digest);
    if existing == Some(digest.as_str()) {
        tracing::info!("the summary's inputs are unchanged (digest {digest}); no backend asked, nothing written");
        report.outcome = Outcome::Unchanged;
        report.cleanup = Some(publish::cleanup(client, &options.bot_repo, number, &login).await);
        return Ok(Prepared::Done(report));
    }
    Ok(Prepared::Needed(Pending {
        report,
        facts: Box::new(facts),
        login,
        issue: number,
    }))
}

/// Asks `analyst` for the summary of `pending`, publishes it and cleans up.
pub async fn finish(
    client: &Client,
    analyst: &dyn Backend,
    options: &Options,
    pending: Pending,
) -> Result<Report> {
    let Pending {
        mut report,
        facts,
        login,
        issue,
    } = pending;
    let digest = report.digest.clone().unwrap_or_default();
    let content = summarise(analyst, options, &facts, digest).await?;
    report.producer = Some(content.producer.clone());
    report.note = content.note.clone();
    let seeded = seeded_body(
        &options.date.to_string(),
        &options.upstream.to_string(),
        &options.workflows,
    );
    let published = publish::publish(client, &options.bot_repo, issue, &content, &seeded).await?;
    report.outcome = Outcome::Published;
    report.patched = published.patched;
    report.repaired = published.repaired;
    report.body = Some(published.body);
    report.cleanup = Some(publish::cleanup(client, &options.bot_repo, issue, &login).await);
    Ok(report)
}

/// Yesterday, the runs and the "passed later" facts around the day's analyses.
async fn gather_facts(
    client: &Client,
    options: &Options,
    login: &str,
    issue: IssueNumber,
    workflows: Vec<(String, Vec<crate::report::JobAnalysis>)>,
) -> anyhow::Result<SummaryFacts> {
    let before = previous_day(options.date);
    let y = yesterday::lookup(client, &options.bot_repo, &options.label, before, login)
        .await
        .with_context(|| format!("cannot read yesterday's summary ({before})"))?;
    let runs = gather::runs(
        client,
        &options.upstream,
        &options.workflows,
        &options.branch,
        options.date,
    )
    .await?;
    let today = clusters(&workflows);
    let gone: Vec<ClusterRef> = y
        .clusters
        .as_deref()
        .map(|list| compare(&today, list, &Default::default()).not_seen)
        .unwrap_or_default();
    let passed_later = gather::passed_later(client, &options.upstream, &gone, &runs).await?;
    Ok(SummaryFacts {
        date: options.date,
        snapshot: options.snapshot.clone(),
        upstream: options.upstream.to_string(),
        issue: issue.get(),
        runs: gather::tallies(&options.workflows, &runs, options.date),
        workflows,
        yesterday_text: y.text,
        yesterday_clusters: y.clusters,
        passed_later,
    })
}

/// Asks the chain for the summary text and prepares the block's content.
async fn summarise(
    analyst: &dyn Backend,
    options: &Options,
    facts: &SummaryFacts,
    digest: String,
) -> Result<Content> {
    let date = options.date.to_string();
    let request = DailySummaryRequest {
        date: &date,
        snapshot: &options.snapshot,
        issue: facts.issue,
        workflows: &facts.workflows,
        yesterday: facts.yesterday_text.as_deref(),
        facts,
        limits: options.limits,
    };
    let produced = analyst
        .daily_summary(request)
        .await
        .context("no backend produced the daily summary")?;
    let json = hidden_list(&clusters(&facts.workflows));
    Ok(Content {
        summary: produced.value,
        producer: produced.producer,
        note: produced.note,
        digest,
        clusters_json: json,
        snapshot: options.snapshot.clone(),
    })
}

/// The hidden cluster list's JSON: each cluster's first jobs, and clusters (fewest jobs last)
/// dropped until it fits in [`LIST_CHARS`]; a dropped cluster reads as new tomorrow.
fn hidden_list(today: &[crate::report::summary_clusters::Cluster]) -> String {
    let mut list = refs(today);
    for c in &mut list {
        c.members.truncate(MEMBERS_KEPT);
    }
    loop {
        let json = serde_json::to_string(&list).expect("cluster list serialises");
        if json.chars().count() <= LIST_CHARS || list.is_empty() {
            return json;
        }
        let keep = list.len() * LIST_CHARS / json.chars().count();
        list.truncate(keep.min(list.len() - 1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{JobId, SignatureKey};
    use crate::report::summary_facts::{tally, SummaryFacts};
    use crate::report::JobAnalysis;
    use crate::report::{summary_block, summary_builtin};

    #[test]
    fn three_hundred_failing_tests_fit_in_one_body_with_their_list() {
        let analyses: Vec<JobAnalysis> = (0..300u64)
            .map(|i| {
                let sig = format!(
                    "v2:failed:registered/t_{i}.py::TestLong::test_{i}:AssertionError:{}",
                    "x".repeat(60)
                );
                JobAnalysis {
                    job_id: JobId::new(1000 + i),
                    job_name: format!("stage-{i}-test-amd (linux-mi325-gpu-{i}, {i})"),
                    run_url: "https://github.com/sgl-project/sglang/actions/runs/9".into(),
                    analysis: format!(
                        "### Failure Cluster

- `{sig}`
"
                    ),
                    signatures: vec![SignatureKey::of(&sig).unwrap()],
                    ..JobAnalysis::default()
                }
            })
            .collect();
        let date = "2026-11-24".parse().unwrap();
        let facts = SummaryFacts {
            date,
            snapshot: "2026-11-24 06:00 UTC".into(),
            upstream: "sgl-project/sglang".into(),
            issue: 1,
            runs: vec![tally("pr.yml", &[], date)],
            workflows: vec![("pr.yml".into(), analyses)],
            yesterday_text: None,
            yesterday_clusters: None,
            passed_later: Default::default(),
        };
        let today = clusters(&facts.workflows);
        let json = hidden_list(&today);
        assert!(json.chars().count() <= LIST_CHARS);
        assert!(crate::report::summary_clusters::read_refs(&json).is_some_and(|l| l.len() > 50));
        let content = Content {
            summary: summary_builtin::render(&facts),
            producer: "builtin".into(),
            note: None,
            digest: facts.digest(),
            clusters_json: json,
            snapshot: facts.snapshot.clone(),
        };
        let body = publish::new_body(
            "",
            &content,
            &seeded_body("2026-11-24", "sgl-project/sglang", &[]),
        )
        .unwrap();
        assert!(
            body.chars().count() <= crate::github::MAX_BODY_CHARS,
            "{}",
            body.chars().count()
        );
        assert_eq!(summary_block::count(&body), 1);
        assert!(summary_block::digest(summary_block::inner(&body).unwrap()).is_some());
    }
}
