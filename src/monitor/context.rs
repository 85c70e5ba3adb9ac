//! What one tick shares between the workflows it handles concurrently: the day, the bot's
//! account, the day's issue as read at start (and as found or created later, once), the
//! local cache and the slots that bound how many jobs are analysed at once.

use std::sync::Mutex;

use anyhow::{Context, Result};
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use tokio::sync::{OnceCell, Semaphore};

use crate::analysis::Backend;
use crate::config::{Config, Destination};
use crate::daily_issue;
use crate::domain::{IssueNumber, IssueRef, RepoName};
use crate::github::models::Comment;
use crate::github::Client;
use crate::state::MonitorState;

/// The day's issue and what the bot wrote on it, read once per tick.
pub(super) struct IssueView {
    pub(super) number: Option<IssueNumber>,
    pub(super) comments: Vec<Comment>,
    /// Whether the comments could be read (if not, nothing is written: dedup would be blind).
    pub(super) readable: bool,
}

impl IssueView {
    fn none() -> IssueView {
        IssueView {
            number: None,
            comments: Vec::new(),
            readable: true,
        }
    }
}

/// Everything the stages of every workflow read; built once at the start of a tick.
pub(super) struct TickContext<'a> {
    pub(super) config: &'a Config,
    pub(super) client: &'a Client,
    pub(super) analyst: &'a dyn Backend,
    /// Where the reports go.
    pub(super) destination: Destination,
    /// The bot's own login: only its comments are state. `None` in stdout mode without a repo.
    pub(super) login: Option<String>,
    pub(super) today: IssueView,
    /// Yesterday's report still covers jobs inside the lookback window.
    pub(super) yesterday: Option<IssueView>,
    /// `YYYY-MM-DD`, fixed at start: a tick crossing midnight stays on one day.
    pub(super) date: String,
    pub(super) now: DateTime<Utc>,
    /// Start of the lookback window.
    pub(super) since: DateTime<Utc>,
    /// Jobs analysed at once, across all workflows: the backend's own bound, else the agent
    /// budget (`AGENT_PARALLEL`).
    pub(super) parallel: usize,
    /// One permit per job analysed at once.
    pub(super) slots: Semaphore,
    /// The day's issue as found or created by the first workflow that needed it.
    issue: OnceCell<IssueRef>,
    /// The local cache; locked only between awaits.
    pub(super) state: Mutex<MonitorState>,
    /// Requests left for reading the history of runs (since when a job fails).
    pub(super) history: super::history::HistoryBudget,
}

impl<'a> TickContext<'a> {
    /// Reads what every workflow needs: the bot's login, today's (and maybe yesterday's)
    /// issue with its comments, the local cache. Returns the context and any cache warning.
    pub(super) async fn open(
        config: &'a Config,
        client: &'a Client,
        analyst: &'a dyn Backend,
        day: Option<chrono::NaiveDate>,
    ) -> Result<(TickContext<'a>, Option<String>)> {
        let destination = config.monitor_destination()?;
        // Stdout reports are deduplicated against the bot repository too, when one is set.
        let bot_repo = config.github.bot_repo.as_ref();
        let now = config.now();
        let day = day.unwrap_or_else(|| now.date_naive());
        let date = day.format("%Y-%m-%d").to_string();
        let since = now - ChronoDuration::hours(i64::from(config.monitor.hours_back));
        let (state, warning) = MonitorState::load(&config.monitor.state_file);
        let (login, today, yesterday) = match bot_repo {
            None => (None, IssueView::none(), None),
            Some(repo) => {
                let login = client
                    .authenticated_user()
                    .await
                    .context("cannot tell which account the bot is (GET /user)")?
                    .login;
                let label = &config.monitor.daily_label;
                let today = read_issue(client, repo, label, &date).await;
                let yesterday = if since.date_naive() < day {
                    let before = (day - ChronoDuration::days(1)).format("%Y-%m-%d");
                    Some(read_issue(client, repo, label, &before.to_string()).await)
                } else {
                    None
                };
                (Some(login), today, yesterday)
            }
        };
        let parallel = analyst
            .parallelism()
            .unwrap_or(config.monitor.parallel)
            .max(1);
        let tick = TickContext {
            config,
            client,
            analyst,
            destination,
            login,
            today,
            yesterday,
            date,
            now,
            since,
            parallel,
            slots: Semaphore::new(parallel),
            issue: OnceCell::new(),
            state: Mutex::new(state),
            history: super::history::HistoryBudget::new(config.monitor.history_requests),
        };
        Ok((tick, warning))
    }

    /// The day's issue: the one read at start, else found or created now — once per tick,
    /// however many workflows ask at the same moment.
    pub(super) async fn daily_issue(&self, bot_repo: &RepoName) -> Result<IssueRef> {
        if let Some(n) = self.today.number {
            return Ok(IssueRef::Existing(n));
        }
        let workflows: Vec<String> = self
            .config
            .monitor
            .workflows
            .iter()
            .map(|w| w.file.clone())
            .collect();
        self.issue
            .get_or_try_init(|| async {
                let (issue, _) = daily_issue::find_or_create(
                    self.client,
                    bot_repo,
                    &self.config.monitor.daily_label,
                    &self.date,
                    &self.config.github.target_repo,
                    &workflows,
                )
                .await?;
                Ok(issue)
            })
            .await
            .copied()
    }

    /// Runs `f` on the local cache.
    pub(super) fn with_state<R>(&self, f: impl FnOnce(&mut MonitorState) -> R) -> R {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut state)
    }
}

async fn read_issue(client: &Client, repo: &RepoName, label: &str, date: &str) -> IssueView {
    let issue = match daily_issue::find(client, repo, label, date).await {
        Ok(Some(i)) => i,
        Ok(None) => return IssueView::none(),
        Err(e) => {
            tracing::warn!("cannot look up the daily issue for {date}: {e:#}");
            return IssueView {
                readable: false,
                ..IssueView::none()
            };
        }
    };
    match client.comments(repo, issue.number).await {
        Ok(comments) => IssueView {
            number: Some(issue.number),
            comments,
            readable: true,
        },
        Err(e) => {
            tracing::warn!("cannot list the comments of #{}: {e}", issue.number);
            IssueView {
                number: Some(issue.number),
                comments: Vec::new(),
                readable: false,
            }
        }
    }
}
