//! One pass of the watcher: list, filter, claim, act, acknowledge.

use chrono::{DateTime, Duration, DurationRound, Utc};

use super::state::{Cursor, WatchState};
use crate::config::WatchConfig;
use crate::domain::{CommentId, IssueNumber, ReactionContent, ReactionId, RepoName};
use crate::github::models::{Comment, Reaction};
use crate::github::{Client, GithubError};
use crate::report::markers::watch_failed_marker;
use crate::report::watch::{
    action_for, claim_state, failure_reply, parse, Action, ClaimState, CommandKind, Parsed,
    Request, SeenReaction,
};

/// Most comments one pass reads; a busier window is continued by the next pass from where
/// this one stopped (and the pass says so).
pub const MAX_COMMENTS_PER_PASS: usize = 1000;

/// Commands older than this are not acted on (a cursor restored from an old cache must not
/// start yesterday's reviews), unless `--since-hours` asks for a longer window; the listing
/// never reaches further back either.
pub fn max_command_age(now: DateTime<Utc>, window_start: DateTime<Utc>) -> Duration {
    Duration::hours(24).max(now - window_start)
}

/// What a pass did, for its log line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Comments the listing returned.
    pub listed: usize,
    /// Commands from authorised users seen for the first time this pass.
    pub commands: usize,
    /// Commands sent to the bot repository's workflows.
    pub dispatched: usize,
    /// Commands answered with a comment (help, unknown, refused, cooldown).
    pub replied: usize,
    /// Commands left for a later pass (claimed by another watcher, or failed this time).
    pub waiting: usize,
    /// Commands whose last attempt failed this pass (replied to once, 😕).
    pub given_up: usize,
    /// The listing stopped at [`MAX_COMMENTS_PER_PASS`].
    pub stopped_early: bool,
    /// The pass ended early on a shutdown request.
    pub interrupted: bool,
}

/// Why a pass failed as a whole; the daemon backs off differently for each kind.
#[derive(Debug)]
pub enum PassError {
    /// GitHub could not be reached or answered with an HTTP error (rate limits included).
    Http(GithubError),
    /// Anything else (an answer that does not decode, a bad setting).
    Other(GithubError),
}

impl From<GithubError> for PassError {
    fn from(e: GithubError) -> Self {
        match e {
            GithubError::Transport { .. }
            | GithubError::Http { .. }
            | GithubError::NotFound { .. }
            | GithubError::RateLimited { .. } => PassError::Http(e),
            _ => PassError::Other(e),
        }
    }
}

impl std::fmt::Display for PassError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PassError::Http(e) | PassError::Other(e) => write!(f, "{e}"),
        }
    }
}

/// Whether a comment needs anything more from this watcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handled {
    /// Done with it (answered, not a command, not for us …): the cursor may pass it.
    Done,
    /// Look again next pass: the cursor stays before it.
    Later,
}

/// The outcome of claiming a command.
#[derive(Debug)]
enum Claim {
    /// This watcher owns it; its 🚀 (none in a dry run), to release if the action fails.
    Owned(Option<ReactionId>),
    /// Not ours to answer now.
    Not(Handled),
}

/// Everything a pass needs; one per process.
#[derive(Debug)]
pub struct Watcher<'a> {
    /// The only way to GitHub.
    pub client: &'a Client,
    /// Who may command, the claim timeout, attempts and cooldown.
    pub config: &'a WatchConfig,
    /// Where the commands are written (sgl-project/sglang).
    pub upstream: &'a RepoName,
    /// Where dispatches go.
    pub bot_repo: &'a RepoName,
    /// The bot's login as GitHub spells it (`GET /user`).
    pub login: String,
}

impl Watcher<'_> {
    /// One pass over the comments updated since the cursor (or since `window_start` without
    /// one). `stop` is asked between comments: a shutdown finishes the comment in hand.
    pub async fn pass(
        &self,
        state: &mut WatchState,
        now: DateTime<Utc>,
        window_start: DateTime<Utc>,
        stop: &dyn Fn() -> bool,
    ) -> Result<PassReport, PassError> {
        let max_age = max_command_age(now, window_start);
        let since = listing_start(state.cursor, window_start, now - max_age);
        let comments = self
            .client
            .repo_comments_since(self.upstream, since, MAX_COMMENTS_PER_PASS)
            .await
            .map_err(PassError::from)?;
        let mut report = PassReport {
            listed: comments.len(),
            stopped_early: comments.len() >= MAX_COMMENTS_PER_PASS,
            ..PassReport::default()
        };
        let mut cursor = state.cursor.or(Some(Cursor {
            updated_at: since,
            id: 0,
        }));
        let mut blocked = false;
        for comment in &comments {
            if stop() {
                report.interrupted = true;
                break;
            }
            let Some(at) = position(comment) else {
                continue;
            };
            if state.cursor.is_some_and(|c| at <= c) {
                continue;
            }
            match self.handle(comment, state, now, max_age, &mut report).await {
                Handled::Done if !blocked => cursor = Some(at),
                Handled::Done => {}
                Handled::Later => {
                    report.waiting += 1;
                    blocked = true;
                }
            }
        }
        if report.stopped_early {
            tracing::warn!(
                "the listing stopped after {MAX_COMMENTS_PER_PASS} comments; the next pass continues from the last one handled"
            );
        }
        state.cursor = cursor;
        Ok(report)
    }

    /// The filter pipeline, then the claim protocol, for one comment.
    async fn handle(
        &self,
        comment: &Comment,
        state: &mut WatchState,
        now: DateTime<Utc>,
        max_age: Duration,
        report: &mut PassReport,
    ) -> Handled {
        if state.is_processed(comment.id) {
            return Handled::Done;
        }
        let Some(parsed) = self.command_of(comment) else {
            return Handled::Done;
        };
        let created = comment.created_at.or(comment.updated_at);
        if created.is_none_or(|t| now - t > max_age) {
            tracing::info!(
                "comment {} holds a command older than {} hours: not acted on",
                comment.id,
                max_age.num_hours()
            );
            return Handled::Done;
        }
        let Some(pr) = pr_number(&comment.issue_url) else {
            return Handled::Done;
        };
        report.commands += 1;
        match self.client.issue(self.upstream, pr).await {
            Ok(issue) if issue.pull_request.is_some() => {}
            Ok(_) => return Handled::Done,
            Err(GithubError::NotFound { .. }) => return Handled::Done,
            Err(e) => {
                tracing::warn!("comment {}: cannot read #{pr} ({e}); next pass", comment.id);
                return Handled::Later;
            }
        }
        let handled = self
            .claim_and_act(comment, &parsed, pr, state, now, report)
            .await;
        if handled == Handled::Done {
            state.mark_processed(comment.id);
        }
        handled
    }

    /// The command a comment holds, when its author may command the bot: never the bot
    /// itself, never a Bot account, only an authorised login.
    fn command_of(&self, comment: &Comment) -> Option<Parsed> {
        let user = comment.user.as_ref()?;
        let is_bot = user.login.eq_ignore_ascii_case(&self.login)
            || user
                .kind
                .as_deref()
                .is_some_and(|k| k.eq_ignore_ascii_case("Bot"));
        if is_bot || !self.config.is_authorized(&user.login) {
            return None;
        }
        parse(&comment.body, &self.login)
    }

    /// Claims the command, then acts on it if this watcher owns it.
    async fn claim_and_act(
        &self,
        comment: &Comment,
        parsed: &Parsed,
        pr: IssueNumber,
        state: &mut WatchState,
        now: DateTime<Utc>,
        report: &mut PassReport,
    ) -> Handled {
        let id = comment.id;
        let rocket = match self.claim(id, now).await {
            Claim::Owned(rocket) => rocket,
            Claim::Not(handled) => return handled,
        };
        let cooldown = Duration::minutes(self.config.review_cooldown_mins as i64);
        let last_review = match is_review(parsed) {
            true => {
                let here = state.reviews.get(&pr.to_string()).copied();
                let anywhere = self.review_answered_on_github(pr, id, now, cooldown).await;
                here.max(anywhere)
            }
            false => None,
        };
        let request = Request {
            parsed,
            pr: pr.get(),
            comment_id: id,
            author: comment.author(),
            login: &self.login,
            last_review,
            now,
            review_cooldown: cooldown,
        };
        let action = action_for(&request);
        match self.act(&action, pr).await {
            Ok(()) => {
                self.answered(id, pr, &action, state, now, report).await;
                Handled::Done
            }
            Err(e) => {
                self.failed(comment, parsed, pr, rocket, &e, state, report)
                    .await
            }
        }
    }

    /// When another review command on the PR was answered (the bot's 👀) within the cooldown,
    /// by any watcher: the daemon and the cron fallback keep separate local state, so the
    /// cooldown is read from GitHub, where both leave their answers. Errors count as none.
    async fn review_answered_on_github(
        &self,
        pr: IssueNumber,
        current: CommentId,
        now: DateTime<Utc>,
        cooldown: Duration,
    ) -> Option<DateTime<Utc>> {
        let comments = match self.client.comments(self.upstream, pr).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!("PR #{pr}: cannot read its comments for the review cooldown ({e})");
                return None;
            }
        };
        let mut recent: Vec<&Comment> = comments
            .iter()
            .filter(|c| c.id != current)
            .filter(|c| c.created_at.is_some_and(|t| t + cooldown > now && t <= now))
            .filter(|c| self.command_of(c).as_ref().is_some_and(is_review))
            .collect();
        recent.sort_by_key(|c| std::cmp::Reverse(c.created_at));
        let timeout = Duration::seconds(self.config.claim_timeout_secs as i64);
        for c in recent {
            let Ok(reactions) = self.client.comment_reactions(self.upstream, c.id).await else {
                continue;
            };
            if claim_state(&seen(&reactions), &self.login, now, timeout) == ClaimState::Answered {
                return c.created_at;
            }
        }
        None
    }

    /// The claim protocol: read the bot's reactions, take over an abandoned claim, post 🚀;
    /// only a 201 makes this watcher the owner.
    async fn claim(&self, id: CommentId, now: DateTime<Utc>) -> Claim {
        let reactions = match self.client.comment_reactions(self.upstream, id).await {
            Ok(r) => r,
            Err(e) => {
                // The claim POST below decides ownership anyway.
                tracing::warn!(
                    "comment {id}: cannot read its reactions ({e}); treated as unclaimed"
                );
                Vec::new()
            }
        };
        let timeout = Duration::seconds(self.config.claim_timeout_secs as i64);
        match claim_state(&seen(&reactions), &self.login, now, timeout) {
            ClaimState::Answered | ClaimState::GivenUp => return Claim::Not(Handled::Done),
            ClaimState::InFlight => {
                tracing::info!("comment {id}: claimed by another watcher, not answered yet");
                return Claim::Not(Handled::Later);
            }
            ClaimState::Abandoned(rocket) => {
                tracing::info!(
                    "comment {id}: taking over a claim older than {} s",
                    timeout.num_seconds()
                );
                if let Err(e) = self
                    .client
                    .delete_comment_reaction(self.upstream, id, rocket)
                    .await
                {
                    if !matches!(e, GithubError::NotFound { .. }) {
                        tracing::warn!("comment {id}: cannot remove the abandoned claim ({e})");
                        return Claim::Not(Handled::Later);
                    }
                }
            }
            ClaimState::Unclaimed => {}
        }
        match self
            .client
            .react_to_comment(self.upstream, id, &ReactionContent::Rocket)
            .await
        {
            Ok(Some(posted)) if posted.created => Claim::Owned(Some(posted.reaction.id)),
            Ok(Some(_)) => {
                tracing::info!("comment {id}: another watcher claimed it first");
                Claim::Not(Handled::Later)
            }
            // A dry run claims nothing and goes on as if it owned the command.
            Ok(None) => Claim::Owned(None),
            Err(e) => {
                tracing::warn!("comment {id}: cannot claim it ({e}); next pass");
                Claim::Not(Handled::Later)
            }
        }
    }

    /// Sends the dispatch or posts the reply.
    async fn act(&self, action: &Action, pr: IssueNumber) -> Result<(), GithubError> {
        match action {
            Action::Dispatch(d) => {
                let payload = serde_json::to_value(&d.client_payload).expect("payload serialises");
                self.client
                    .dispatch(self.bot_repo, d.event_type, &payload)
                    .await
            }
            Action::Reply(body) => self
                .client
                .create_comment(self.upstream, pr, body)
                .await
                .map(drop),
        }
    }

    /// After the action succeeded: 👀, the review's time, the counters.
    async fn answered(
        &self,
        id: CommentId,
        pr: IssueNumber,
        action: &Action,
        state: &mut WatchState,
        now: DateTime<Utc>,
        report: &mut PassReport,
    ) {
        match action {
            Action::Dispatch(d) => {
                tracing::info!("comment {id} on #{pr}: dispatched {}", d.event_type);
                if d.is_review() {
                    state.reviews.insert(pr.to_string(), now);
                }
                report.dispatched += 1;
            }
            Action::Reply(_) => {
                tracing::info!("comment {id} on #{pr}: replied");
                report.replied += 1;
            }
        }
        self.react(id, ReactionContent::Eyes).await;
    }

    /// After the action failed: the claim is released so a later pass (of any watcher)
    /// retries; after the last attempt, one reply on the PR and 😕.
    #[allow(clippy::too_many_arguments)]
    async fn failed(
        &self,
        comment: &Comment,
        parsed: &Parsed,
        pr: IssueNumber,
        rocket: Option<ReactionId>,
        error: &GithubError,
        state: &mut WatchState,
        report: &mut PassReport,
    ) -> Handled {
        let id = comment.id;
        if let Some(rocket) = rocket {
            if let Err(e) = self
                .client
                .delete_comment_reaction(self.upstream, id, rocket)
                .await
            {
                tracing::warn!("comment {id}: cannot release the claim ({e})");
            }
        }
        let attempts = state.failed_attempt(id);
        tracing::warn!(
            "comment {id} on #{pr}: attempt {attempts} of {} failed: {error}",
            self.config.max_attempts
        );
        if attempts < self.config.max_attempts {
            return Handled::Later;
        }
        self.give_up(id, parsed, pr, attempts, error).await;
        report.given_up += 1;
        Handled::Done
    }

    /// Says once on the PR that the command failed and why, and marks it given up (😕).
    async fn give_up(
        &self,
        id: CommentId,
        parsed: &Parsed,
        pr: IssueNumber,
        attempts: u32,
        error: &GithubError,
    ) {
        let marker = watch_failed_marker(id);
        let already = match self.client.comments(self.upstream, pr).await {
            Ok(comments) => comments.iter().any(|c| {
                c.author().eq_ignore_ascii_case(&self.login) && c.body.starts_with(&marker)
            }),
            Err(e) => {
                tracing::warn!("cannot read #{pr}'s comments ({e}); the failure reply may repeat");
                false
            }
        };
        if !already {
            let body = failure_reply(&self.login, id, parsed, attempts, &error.to_string());
            if let Err(e) = self.client.create_comment(self.upstream, pr, &body).await {
                tracing::warn!("comment {id}: cannot post the failure reply ({e})");
            }
        }
        self.react(id, ReactionContent::Confused).await;
    }

    /// Adds one of the bot's reactions; a failure only warns (the command stands).
    async fn react(&self, id: CommentId, content: ReactionContent) {
        if let Err(e) = self
            .client
            .react_to_comment(self.upstream, id, &content)
            .await
        {
            tracing::warn!("comment {id}: cannot add {} ({e})", content.as_str());
        }
    }
}

/// Where a pass's listing starts: at the cursor (else the window's start), but never before
/// `oldest`, rounded down to the hour so the request stays the same, and conditional, within
/// the hour.
fn listing_start(
    cursor: Option<Cursor>,
    window_start: DateTime<Utc>,
    oldest: DateTime<Utc>,
) -> DateTime<Utc> {
    let oldest = oldest.duration_trunc(Duration::hours(1)).unwrap_or(oldest);
    match cursor {
        Some(c) => c.updated_at.max(oldest),
        None => window_start.max(oldest),
    }
}

/// A comment's place in the listing's order.
fn position(comment: &Comment) -> Option<Cursor> {
    Some(Cursor {
        updated_at: comment.updated_at.or(comment.created_at)?,
        id: comment.id.get(),
    })
}

/// The issue or PR number at the end of a comment's `issue_url` (`…/issues/123`).
fn pr_number(issue_url: &str) -> Option<IssueNumber> {
    let (_, digits) = issue_url.rsplit_once("/issues/")?;
    let ok = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| digits.parse().ok().map(IssueNumber::new))
        .flatten()
}

/// Whether a parsed command starts a review (the cooldown counts these).
fn is_review(parsed: &Parsed) -> bool {
    matches!(
        parsed,
        Parsed::Command {
            kind: CommandKind::Review | CommandKind::ReviewFocus,
            ..
        }
    )
}

fn seen(reactions: &[Reaction]) -> Vec<SeenReaction> {
    reactions
        .iter()
        .map(|r| SeenReaction {
            id: r.id,
            content: r.content.clone(),
            login: r.user.as_ref().map(|u| u.login.clone()).unwrap_or_default(),
            created_at: r.created_at,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_and_transport_failures_are_told_from_the_others_for_the_backoff() {
        let transport = GithubError::Transport {
            method: "GET".into(),
            path: "/x".into(),
            message: "connection refused".into(),
        };
        assert!(matches!(PassError::from(transport), PassError::Http(_)));
        let decode = GithubError::Decode {
            method: "GET".into(),
            path: "/x".into(),
            message: "expected an array".into(),
        };
        assert!(matches!(PassError::from(decode), PassError::Other(_)));
    }

    #[test]
    fn the_pr_number_is_the_issue_urls_last_segment_of_digits() {
        let n = |u: &str| pr_number(u).map(IssueNumber::get);
        assert_eq!(n("https://api.github.com/repos/o/r/issues/123"), Some(123));
        assert_eq!(n("https://api.github.com/repos/o/r/issues/123/"), None);
        assert_eq!(n("https://api.github.com/repos/o/r/issues/12a"), None);
        assert_eq!(n("https://api.github.com/repos/o/r/pulls/123"), None);
        assert_eq!(n(""), None);
    }

    #[test]
    fn the_listing_starts_at_the_cursor_but_at_most_a_day_or_the_window_back_on_the_hour() {
        let now: DateTime<Utc> = "2026-11-24T06:17:30Z".parse().unwrap();
        let window = now - Duration::hours(1);
        let oldest = now - max_command_age(now, window);
        assert_eq!(listing_start(None, window, oldest), window);
        let recent = Cursor {
            updated_at: now - Duration::minutes(3),
            id: 9,
        };
        assert_eq!(
            listing_start(Some(recent), window, oldest),
            recent.updated_at
        );
        let ancient = Cursor {
            updated_at: now - Duration::days(30),
            id: 9,
        };
        assert_eq!(
            listing_start(Some(ancient), window, oldest),
            "2026-11-23T06:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        // `--since-hours 48` reaches further back than a day.
        let long = now - Duration::hours(48);
        assert_eq!(max_command_age(now, long), Duration::hours(48));
        let oldest = now - max_command_age(now, long);
        assert_eq!(
            listing_start(Some(ancient), long, oldest),
            oldest.duration_trunc(Duration::hours(1)).unwrap()
        );
    }
}
