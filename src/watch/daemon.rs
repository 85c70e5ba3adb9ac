//! The loop around passes: one-shot or daemon, the poll log line, the backoff after errors,
//! the interruptible sleep and the graceful stop on SIGTERM/SIGINT (PR-G3, PR-G17).

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use super::pass::{PassError, PassReport, Watcher};
use super::state::WatchState;
use crate::github::RequestStats;

/// The longest pause after errors.
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// How long to wait after the `errors`-th failed pass in a row: `poll·2^errors` for an HTTP
/// or transport error, `60 s·errors` for any other, both at most [`MAX_BACKOFF`].
pub fn backoff(errors: u32, poll: Duration, http: bool) -> Duration {
    let wait = if http {
        poll.saturating_mul(2u32.saturating_pow(errors.min(20)))
    } else {
        Duration::from_secs(60).saturating_mul(errors)
    };
    wait.min(MAX_BACKOFF)
}

/// `interval` moved by up to ±10 % (`unit` in [0, 1)), so watchers started together drift
/// apart instead of polling in step.
pub fn with_jitter(interval: Duration, unit: f64) -> Duration {
    interval.mul_f64(0.9 + 0.2 * unit.clamp(0.0, 1.0))
}

/// The failed passes in a row, which set the wait before the next pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pace {
    /// Failed passes since the last good one.
    pub errors: u32,
}

impl Pace {
    /// The wait after a pass: `failure` is `None` for a good pass (the count resets and the
    /// poll interval, jittered by `unit`, follows), else whether it was an HTTP failure.
    pub fn after(&mut self, failure: Option<bool>, poll: Duration, unit: f64) -> Duration {
        match failure {
            None => {
                self.errors = 0;
                with_jitter(poll, unit)
            }
            Some(http) => {
                self.errors = self.errors.saturating_add(1);
                backoff(self.errors, poll, http)
            }
        }
    }
}

/// Sleeps `wait` or until a stop is asked, whichever comes first; `true` when stopped. A
/// zero or already elapsed wait returns at once: nothing ever sleeps a negative time.
pub async fn sleep_or_stop(wait: Duration, stop: &mut watch::Receiver<bool>) -> bool {
    if *stop.borrow() {
        return true;
    }
    let deadline = tokio::time::Instant::now() + wait;
    tokio::select! {
        _ = tokio::time::sleep_until(deadline) => *stop.borrow(),
        changed = stop.changed() => changed.is_ok() && *stop.borrow(),
    }
}

/// A receiver that turns `true` on SIGTERM or SIGINT.
pub fn stop_on_signals() -> std::io::Result<watch::Receiver<bool>> {
    use tokio::signal::unix::{signal, SignalKind};
    let (tx, rx) = watch::channel(false);
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        tracing::info!("stop requested: finishing the command in hand");
        let _ = tx.send(true);
    });
    Ok(rx)
}

/// The clock passes read: the command's start (which `SGLANG_BOT_NOW` may set) plus the
/// time since.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// The command's start time (`SGLANG_BOT_NOW` in tests and replays).
    pub start: DateTime<Utc>,
    /// The monotonic instant of that start, to add the time since.
    pub started: std::time::Instant,
}

impl Clock {
    /// Now, by this clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.start + chrono::Duration::from_std(self.started.elapsed()).unwrap_or_default()
    }
}

/// Where the watcher keeps its files.
#[derive(Debug, Clone)]
pub struct Files {
    /// `.state/last_check.json`.
    pub state: PathBuf,
    /// The ETags that make repeated reads conditional across processes.
    pub http_cache: PathBuf,
    /// Dry runs write nothing locally either.
    pub save: bool,
}

/// How the loop runs.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// The first window without a cursor.
    pub since: chrono::Duration,
    /// `None`: one pass.
    pub poll: Option<Duration>,
}

/// Runs one pass, or passes until stopped; returns the last pass's error in one-shot mode.
pub async fn run(
    watcher: &Watcher<'_>,
    files: &Files,
    schedule: Schedule,
    clock: Clock,
    mut stop: watch::Receiver<bool>,
) -> Result<(), PassError> {
    let mut pace = Pace::default();
    let (mut state, problem) = WatchState::load(&files.state);
    if let Some(problem) = problem {
        tracing::warn!("{problem}");
    }
    loop {
        let result = one_pass(watcher, &mut state, files, schedule, clock, &stop).await;
        let Some(poll) = schedule.poll else {
            return result.map(drop);
        };
        let failure = result
            .as_ref()
            .err()
            .map(|e| matches!(e, PassError::Http(_)));
        let wait = pace.after(failure, poll, fastrand::f64());
        if let Err(e) = &result {
            tracing::warn!("pass failed ({e}); next in {:.1} s", wait.as_secs_f64());
        }
        if *stop.borrow() || sleep_or_stop(wait, &mut stop).await {
            tracing::info!("Daemon stopped.");
            return Ok(());
        }
    }
}

/// A pass with its state saved and its cost logged.
async fn one_pass(
    watcher: &Watcher<'_>,
    state: &mut WatchState,
    files: &Files,
    schedule: Schedule,
    clock: Clock,
    stop: &watch::Receiver<bool>,
) -> Result<PassReport, PassError> {
    let before = watcher.client.stats();
    let now = clock.now();
    let stopping = || *stop.borrow();
    let result = watcher
        .pass(state, now, now - schedule.since, &stopping)
        .await;
    if files.save {
        if let Err(e) = state.save(&files.state, clock.now()) {
            tracing::warn!("cannot save {}: {e}", files.state.display());
        }
        if let Err(e) = watcher.client.save_http_cache(&files.http_cache) {
            tracing::warn!("cannot save {}: {e}", files.http_cache.display());
        }
    }
    let cost = cost(before, watcher.client.stats());
    match &result {
        Ok(report) => tracing::info!("{}", poll_line(report, &cost)),
        Err(_) => tracing::info!("Poll failed: {}", cost_text(&cost)),
    }
    result
}

/// The traffic of one pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cost {
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// Of those, answered 304 from the ETag cache.
    pub not_modified: u64,
    /// Requests that count against the rate limit (a 304 does not).
    pub points: u64,
}

fn cost(before: RequestStats, after: RequestStats) -> Cost {
    let requests = after.requests - before.requests;
    let not_modified = after.not_modified - before.not_modified;
    Cost {
        requests,
        not_modified,
        points: requests.saturating_sub(not_modified),
    }
}

fn cost_text(cost: &Cost) -> String {
    format!(
        "{} requests, {} answered 304, {} rate-limit points",
        cost.requests, cost.not_modified, cost.points
    )
}

/// The line every pass ends with.
pub fn poll_line(report: &PassReport, cost: &Cost) -> String {
    format!(
        "Poll: {} comments, {} new commands: {} dispatched, {} replied, {} waiting, {} given up{}; {}",
        report.listed,
        report.commands,
        report.dispatched,
        report.replied,
        report.waiting,
        report.given_up,
        if report.stopped_early { " (listing cut, continued next pass)" } else { "" },
        cost_text(cost),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_for_http_errors_and_grows_by_a_minute_otherwise_capped_at_300_s() {
        let poll = Duration::from_secs(15);
        let http: Vec<u64> = (1..=6).map(|n| backoff(n, poll, true).as_secs()).collect();
        assert_eq!(http, [30, 60, 120, 240, 300, 300]);
        let other: Vec<u64> = (1..=6).map(|n| backoff(n, poll, false).as_secs()).collect();
        assert_eq!(other, [60, 120, 180, 240, 300, 300]);
        assert_eq!(backoff(u32::MAX, poll, true), MAX_BACKOFF);
        assert_eq!(backoff(u32::MAX, poll, false), MAX_BACKOFF);
    }

    #[test]
    fn the_error_count_resets_after_a_good_pass() {
        let poll = Duration::from_secs(15);
        let mut pace = Pace::default();
        assert_eq!(pace.after(Some(true), poll, 0.5).as_secs(), 30);
        assert_eq!(pace.after(Some(true), poll, 0.5).as_secs(), 60);
        assert_eq!(
            pace.after(Some(false), poll, 0.5).as_secs(),
            180,
            "third error in a row"
        );
        assert_eq!(pace.after(None, poll, 0.5), poll);
        assert_eq!(pace, Pace::default());
        assert_eq!(
            pace.after(Some(true), poll, 0.5).as_secs(),
            30,
            "counted afresh"
        );
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        let base = Duration::from_secs(30);
        assert_eq!(with_jitter(base, 0.0), Duration::from_secs(27));
        assert_eq!(with_jitter(base, 1.0), Duration::from_secs(33));
        assert_eq!(with_jitter(base, 0.5), base);
        assert_eq!(with_jitter(base, -3.0), Duration::from_secs(27));
    }

    #[tokio::test(start_paused = true)]
    async fn the_sleep_never_goes_negative_and_a_stop_ends_it_at_once() {
        let (tx, mut rx) = watch::channel(false);
        let t0 = tokio::time::Instant::now();
        assert!(!sleep_or_stop(Duration::ZERO, &mut rx).await);
        assert_eq!(t0.elapsed(), Duration::ZERO);
        assert!(!sleep_or_stop(Duration::from_secs(30), &mut rx).await);
        assert_eq!(t0.elapsed(), Duration::from_secs(30));
        let sleeper = tokio::spawn(async move {
            let stopped = sleep_or_stop(Duration::from_secs(300), &mut rx).await;
            (stopped, rx)
        });
        tokio::time::sleep(Duration::from_secs(2)).await;
        tx.send(true).unwrap();
        let (stopped, mut rx) = sleeper.await.unwrap();
        assert!(stopped);
        assert!(t0.elapsed() < Duration::from_secs(33), "{:?}", t0.elapsed());
        assert!(
            sleep_or_stop(Duration::from_secs(300), &mut rx).await,
            "already stopped"
        );
    }

    #[test]
    fn the_poll_line_counts_rate_limit_points_apart_from_304s() {
        let line = poll_line(
            &PassReport {
                listed: 3,
                ..PassReport::default()
            },
            &cost(
                RequestStats::default(),
                RequestStats {
                    requests: 4,
                    not_modified: 3,
                    ..RequestStats::default()
                },
            ),
        );
        assert!(
            line.starts_with("Poll: 3 comments, 0 new commands")
                && line.ends_with("; 4 requests, 3 answered 304, 1 rate-limit points"),
            "{line}"
        );
    }
}
