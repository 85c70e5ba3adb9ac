//! The one retry loop: every HTTP caller hands it an attempt and a reading of its result, and
//! it asks the policy, waits, logs and tries again, so no caller keeps a loop of its own.
//!
//! Hand-written, not a retry crate: the verdict must come from our pure policy (rate-limit
//! resets, idempotency), and a lost POST needs a check between attempts.

use std::future::Future;
use std::time::Duration;

use super::retry::{Decision, Idempotency, Outcome, RetryPolicy};

/// A failed attempt as the policy sees it, with a reason for the log line: the caller knows
/// what its results mean (a 302 is success to GitHub's API, a 404 final for a log blob).
#[derive(Debug, Clone, PartialEq)]
pub struct Failed {
    /// What the policy decides on.
    pub outcome: Outcome,
    /// Why the attempt failed, in words (a status line, a transport error).
    pub reason: String,
}

impl Failed {
    /// Pairs the policy input with the words the retry line shows.
    pub fn new(outcome: Outcome, reason: impl Into<String>) -> Self {
        Failed {
            outcome,
            reason: reason.into(),
        }
    }
}

/// Turns a rate-limit wait the policy refuses into the caller's error.
type TooLong<'a, E> = Box<dyn Fn(Duration) -> E + Send + Sync + 'a>;

/// Drives attempts of one request under a [`RetryPolicy`]: asks the policy after each failed
/// attempt, sleeps the wait it gives (jitter drawn here), logs one line per retry and gives up
/// with the last result, so that every caller retries the same way.
pub struct Retrying<'a, E> {
    policy: &'a RetryPolicy,
    idempotency: Idempotency,
    /// What is retried, for the log line ("GET /repos/…", "log blob of job 7").
    what: String,
    too_long: Option<TooLong<'a, E>>,
    jitter: fn() -> f64,
}

impl<E> std::fmt::Debug for Retrying<'_, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Retrying")
            .field("policy", self.policy)
            .field("idempotency", &self.idempotency)
            .field("what", &self.what)
            .finish_non_exhaustive()
    }
}

impl<'a, E> Retrying<'a, E> {
    /// A driver for one request; `what` names it in the log line of each retry (it passes
    /// through the log redactor like every other line).
    pub fn new(policy: &'a RetryPolicy, idempotency: Idempotency, what: impl Into<String>) -> Self {
        Retrying {
            policy,
            idempotency,
            what: what.into(),
            too_long: None,
            jitter: fastrand::f64,
        }
    }

    /// The error to end with when a rate limit resets later than the policy waits, for callers
    /// whose users must learn that (GitHub); without it the last result is returned as is.
    pub fn on_rate_limit_too_long(
        mut self,
        error: impl Fn(Duration) -> E + Send + Sync + 'a,
    ) -> Self {
        self.too_long = Some(Box::new(error));
        self
    }

    /// Fixes the jitter so tests can compare the waits with the policy's.
    #[cfg(test)]
    fn with_jitter(mut self, jitter: fn() -> f64) -> Self {
        self.jitter = jitter;
        self
    }

    /// Runs `attempt` until `classify` finds nothing to retry (`None`), the policy gives up, or
    /// the attempts run out; returns the last result.
    pub async fn run<T, F, Fut>(
        &self,
        attempt: F,
        classify: impl Fn(&Result<T, E>) -> Option<Failed>,
    ) -> Result<T, E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.run_checking(attempt, classify, || std::future::ready(None))
            .await
    }

    /// Like [`Retrying::run`], with `before_retry` run after each wait and before the next
    /// attempt: a value from it ends the loop as the result. A POST whose answer was lost
    /// uses it to adopt the comment that landed after all instead of posting it twice.
    pub async fn run_checking<T, F, Fut, H, HFut>(
        &self,
        mut attempt: F,
        classify: impl Fn(&Result<T, E>) -> Option<Failed>,
        mut before_retry: H,
    ) -> Result<T, E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        H: FnMut() -> HFut,
        HFut: Future<Output = Option<T>>,
    {
        let mut number = 1u32;
        loop {
            let result = attempt().await;
            let Some(failed) = classify(&result) else {
                return result;
            };
            let jitter = (self.jitter)();
            match self
                .policy
                .decide(number, &failed.outcome, self.idempotency, jitter)
            {
                Decision::RetryAfter(wait) => {
                    // An unread answer would hold its connection through the wait.
                    drop(result);
                    tracing::warn!(
                        "{} → {}; retry {number} in {wait:?}",
                        self.what,
                        failed.reason
                    );
                    tokio::time::sleep(wait).await;
                    if let Some(value) = before_retry().await {
                        return Ok(value);
                    }
                    number += 1;
                }
                Decision::RateLimitTooLong(wait) => {
                    return match &self.too_long {
                        Some(error) => Err(error(wait)),
                        None => result,
                    }
                }
                Decision::GiveUp => return result,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::time::Instant;

    use super::*;

    const JITTER: f64 = 0.5;

    fn policy(max_attempts: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(10),
            max_rate_limit_wait: Duration::from_secs(60),
            secondary_wait: Duration::from_secs(60),
        }
    }

    /// Results are the outcomes themselves: `Err(outcome)` is a failed attempt.
    fn classify(result: &Result<&'static str, Outcome>) -> Option<Failed> {
        result
            .as_ref()
            .err()
            .map(|o| Failed::new(o.clone(), format!("{o:?}")))
    }

    fn rate_limited(after: Duration) -> Outcome {
        Outcome::answer(429, Some(after))
    }

    /// A scripted attempt that notes the (paused) time of each call.
    fn scripted<'a>(
        script: Vec<Result<&'static str, Outcome>>,
        calls: &'a mut Vec<Instant>,
    ) -> impl FnMut() -> std::future::Ready<Result<&'static str, Outcome>> + 'a {
        let mut script = script.into_iter();
        move || {
            calls.push(Instant::now());
            std::future::ready(script.next().expect("an attempt beyond the script"))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_after_max_attempts_with_the_last_failure() {
        let policy = policy(3);
        let mut calls = Vec::new();
        let script = vec![
            Err(Outcome::answer(500, None)),
            Err(Outcome::answer(502, None)),
            Err(Outcome::answer(503, None)),
            Ok("never reached"),
        ];
        let result = Retrying::new(&policy, Idempotency::Safe, "GET /thing")
            .run(scripted(script, &mut calls), classify)
            .await;
        assert_eq!(result, Err(Outcome::answer(503, None)));
        assert_eq!(calls.len(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_the_policy_does_not_retry_returns_at_once() {
        let policy = policy(5);
        let mut calls = Vec::new();
        let start = Instant::now();
        let result = Retrying::new(&policy, Idempotency::Safe, "GET /missing")
            .run(
                scripted(vec![Err(Outcome::answer(404, None))], &mut calls),
                classify,
            )
            .await;
        assert_eq!(result, Err(Outcome::answer(404, None)));
        assert_eq!(calls, [start]);
        assert_eq!(Instant::now(), start);
    }

    #[tokio::test(start_paused = true)]
    async fn a_result_the_caller_calls_final_is_never_retried() {
        let policy = policy(5);
        let mut calls = Vec::new();
        let result = Retrying::new(&policy, Idempotency::Safe, "GET /logs")
            .run(
                scripted(vec![Err(Outcome::answer(502, None))], &mut calls),
                |_| None,
            )
            .await;
        assert_eq!(result, Err(Outcome::answer(502, None)));
        assert_eq!(calls.len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_post_is_not_repeated_after_a_server_error() {
        let policy = policy(5);
        let mut calls = Vec::new();
        let result = Retrying::new(&policy, Idempotency::CreatesResource, "POST /comments")
            .run(
                scripted(vec![Err(Outcome::answer(502, None))], &mut calls),
                classify,
            )
            .await;
        assert_eq!(result, Err(Outcome::answer(502, None)));
        assert_eq!(calls.len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn the_check_before_a_retry_can_end_the_loop_with_a_value() {
        let policy = policy(5);
        let mut calls = Vec::new();
        let mut checks = Vec::new();
        let start = Instant::now();
        let failure = Outcome::answer(502, None);
        let result = Retrying::new(&policy, Idempotency::Safe, "POST /comments")
            .with_jitter(|| JITTER)
            .run_checking(
                scripted(vec![Err(failure.clone())], &mut calls),
                classify,
                || {
                    checks.push(Instant::now());
                    std::future::ready(Some("landed after all"))
                },
            )
            .await;
        assert_eq!(result, Ok("landed after all"));
        assert_eq!(calls.len(), 1, "no second attempt");
        let Decision::RetryAfter(wait) = policy.decide(1, &failure, Idempotency::Safe, JITTER)
        else {
            panic!("the policy retries a 502")
        };
        assert_eq!(checks, [start + wait], "the check runs after the wait");
    }

    #[tokio::test(start_paused = true)]
    async fn a_check_that_finds_nothing_lets_the_next_attempt_run() {
        let policy = policy(5);
        let mut calls = Vec::new();
        let mut checks = 0;
        let result = Retrying::new(&policy, Idempotency::Safe, "POST /comments")
            .run_checking(
                scripted(vec![Err(Outcome::Transport), Ok("posted")], &mut calls),
                classify,
                || {
                    checks += 1;
                    std::future::ready(None)
                },
            )
            .await;
        assert_eq!(result, Ok("posted"));
        assert_eq!((calls.len(), checks), (2, 1));
    }

    #[tokio::test(start_paused = true)]
    async fn waits_follow_the_policy() {
        let policy = policy(5);
        let failures = [
            Outcome::answer(502, None),
            Outcome::Transport,
            rate_limited(Duration::from_secs(7)),
            Outcome::answer(503, None),
        ];
        let mut script: Vec<_> = failures.iter().cloned().map(Err).collect();
        script.push(Ok("done"));
        let mut calls = Vec::new();
        let result = Retrying::new(&policy, Idempotency::Safe, "GET /flaky")
            .with_jitter(|| JITTER)
            .run(scripted(script, &mut calls), classify)
            .await;
        assert_eq!(result, Ok("done"));
        let waited: Vec<Duration> = calls.windows(2).map(|w| w[1] - w[0]).collect();
        let decided: Vec<Duration> = failures
            .iter()
            .zip(1..)
            .map(|(outcome, number)| {
                match policy.decide(number, outcome, Idempotency::Safe, JITTER) {
                    Decision::RetryAfter(wait) => wait,
                    other => panic!("attempt {number}: {other:?}"),
                }
            })
            .collect();
        assert_eq!(waited, decided);
        assert!(
            waited[2] >= Duration::from_secs(7),
            "the rate limit's Retry-After is honoured: {waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_rate_limit_that_resets_too_late_ends_with_the_callers_error_at_once() {
        let policy = policy(5);
        let too_late = rate_limited(Duration::from_secs(600));
        let start = Instant::now();
        let mut calls = Vec::new();
        let result = Retrying::new(&policy, Idempotency::Safe, "GET /limited")
            .on_rate_limit_too_long(|wait| Outcome::answer(999, Some(wait)))
            .run(scripted(vec![Err(too_late.clone())], &mut calls), classify)
            .await;
        assert_eq!(
            result,
            Err(Outcome::answer(999, Some(Duration::from_secs(600))))
        );
        assert_eq!(Instant::now(), start, "no wait");

        let mut calls = Vec::new();
        let result = Retrying::new(&policy, Idempotency::Safe, "GET /limited")
            .run(scripted(vec![Err(too_late.clone())], &mut calls), classify)
            .await;
        assert_eq!(result, Err(too_late), "without the hook: the last result");
    }
}
