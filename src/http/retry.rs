//! When to retry an HTTP request, and how long to wait first. Pure: the driver
//! ([`super::Retrying`]) sleeps.
//!
//! The one retry policy of the bot (octocrab's own layer is compiled out), used for GitHub, the
//! log blobs, the LLM gateway and comment posting, so that what is retryable is decided in one
//! place.
//!
//! Hand-written, not a retry crate: a pure function of the outcome, tested exhaustively.

use std::time::Duration;

/// Knobs of the retry policy; configurable so tests run with millisecond waits.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included.
    pub max_attempts: u32,
    /// Wait before the second attempt; doubled for each further one.
    pub base_delay: Duration,
    /// No single backoff wait is longer than this.
    pub max_delay: Duration,
    /// The longest we wait for a rate limit to reset before giving up with `RateLimited`.
    pub max_rate_limit_wait: Duration,
    /// The wait after a secondary rate limit that names no time (GitHub asks for at least a
    /// minute); `github.secondary_wait_secs`.
    pub secondary_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            max_rate_limit_wait: Duration::from_secs(300),
            secondary_wait: Duration::from_secs(60),
        }
    }
}

/// Whether a request may be sent twice without harm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// GET, PATCH, PUT, DELETE: repeating gives the same end state.
    Safe,
    /// POST that creates something: a 5xx or a lost connection may still have created it, so
    /// it is retried only when GitHub certainly did not act (a rate-limit answer).
    CreatesResource,
}

/// What an attempt produced, reduced to what the policy needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// An HTTP answer with its status and the rate-limit headers that matter.
    Status {
        status: u16,
        retry_after: Option<Duration>,
        ratelimit_remaining: Option<u64>,
        /// Seconds until `x-ratelimit-reset`, already computed against the clock by the caller.
        ratelimit_reset_in: Option<Duration>,
        /// The answer says a secondary rate limit was hit (GitHub says so only in the message
        /// of a 403/429; the caller reads it): GitHub did not act, and asks for a pause.
        secondary_limit: bool,
    },
    /// No answer: connection refused/reset, timeout.
    Transport,
}

/// The policy's verdict for one failed attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Wait this long, then try again.
    RetryAfter(Duration),
    /// A rate limit that resets later than `max_rate_limit_wait`.
    RateLimitTooLong(Duration),
    /// Do not retry: hand the answer to the caller.
    GiveUp,
}

impl RetryPolicy {
    /// Decides what to do after attempt number `attempt` (1-based) produced `outcome`.
    /// `jitter` in [0, 1) spreads concurrent clients apart; the caller draws it.
    pub fn decide(
        &self,
        attempt: u32,
        outcome: &Outcome,
        idempotency: Idempotency,
        jitter: f64,
    ) -> Decision {
        if attempt >= self.max_attempts {
            return Decision::GiveUp;
        }
        match outcome {
            Outcome::Transport => {
                if idempotency == Idempotency::Safe {
                    Decision::RetryAfter(self.backoff(attempt, jitter))
                } else {
                    Decision::GiveUp
                }
            }
            Outcome::Status {
                status,
                retry_after,
                ratelimit_remaining,
                ratelimit_reset_in,
                secondary_limit,
            } => {
                let rate_limited = matches!(status, 403 | 429)
                    && (retry_after.is_some()
                        || *ratelimit_remaining == Some(0)
                        || *secondary_limit);
                if rate_limited {
                    // GitHub did not act on a rate-limited request, so any method may be repeated.
                    let named = if *ratelimit_remaining == Some(0) {
                        retry_after.or(*ratelimit_reset_in)
                    } else {
                        *retry_after
                    };
                    let wait = named.unwrap_or_else(|| {
                        if *secondary_limit {
                            self.secondary_wait
                        } else {
                            self.backoff(attempt, jitter)
                        }
                    });
                    if wait > self.max_rate_limit_wait {
                        return Decision::RateLimitTooLong(wait);
                    }
                    return Decision::RetryAfter(wait + self.jitter_slice(jitter));
                }
                if *status == 429 {
                    return Decision::RetryAfter(self.backoff(attempt, jitter));
                }
                let transient = matches!(status, 500 | 502 | 503 | 504);
                if transient && idempotency == Idempotency::Safe {
                    return Decision::RetryAfter(self.backoff(attempt, jitter));
                }
                Decision::GiveUp
            }
        }
    }

    /// Exponential backoff with "equal jitter": half fixed, half random, capped.
    fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)));
        let capped = exp.min(self.max_delay);
        capped / 2 + capped.mul_f64(jitter.clamp(0.0, 1.0) / 2.0)
    }

    /// A little spread after a rate-limit reset, so parallel matrix jobs do not all hit at once.
    fn jitter_slice(&self, jitter: f64) -> Duration {
        self.base_delay.mul_f64(jitter.clamp(0.0, 1.0))
    }
}

impl Outcome {
    /// An answer from a service without GitHub's rate-limit headers (log blobs, the LLM
    /// gateway): a 429 with or without `Retry-After` is still a rate limit to the policy.
    pub fn answer(status: u16, retry_after: Option<Duration>) -> Self {
        Outcome::Status {
            status,
            retry_after,
            ratelimit_remaining: None,
            ratelimit_reset_in: None,
            secondary_limit: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16) -> Outcome {
        Outcome::answer(code, None)
    }

    #[test]
    fn bad_gateway_is_retried_with_growing_waits() {
        let p = RetryPolicy::default();
        let first = p.decide(1, &status(502), Idempotency::Safe, 0.0);
        let second = p.decide(2, &status(502), Idempotency::Safe, 0.0);
        match (first, second) {
            (Decision::RetryAfter(a), Decision::RetryAfter(b)) => assert!(b > a),
            other => panic!("expected two retries, got {other:?}"),
        }
    }

    #[test]
    fn client_errors_are_never_retried() {
        let p = RetryPolicy::default();
        for code in [400, 401, 403, 404, 409, 410, 422] {
            assert_eq!(
                p.decide(1, &status(code), Idempotency::Safe, 0.5),
                Decision::GiveUp,
                "{code}"
            );
        }
    }

    #[test]
    fn secondary_rate_limit_waits_for_retry_after_even_for_posts() {
        let p = RetryPolicy::default();
        let outcome = Outcome::Status {
            status: 403,
            retry_after: Some(Duration::from_secs(1)),
            ratelimit_remaining: None,
            ratelimit_reset_in: None,
            secondary_limit: true,
        };
        match p.decide(1, &outcome, Idempotency::CreatesResource, 0.0) {
            Decision::RetryAfter(d) => assert_eq!(d, Duration::from_secs(1)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_secondary_limit_naming_no_time_waits_the_configured_pause_even_for_posts() {
        let p = RetryPolicy {
            secondary_wait: Duration::from_secs(7),
            ..RetryPolicy::default()
        };
        let secondary = Outcome::Status {
            status: 403,
            retry_after: None,
            ratelimit_remaining: Some(4999),
            ratelimit_reset_in: Some(Duration::from_secs(1800)),
            secondary_limit: true,
        };
        assert_eq!(
            p.decide(1, &secondary, Idempotency::CreatesResource, 0.0),
            Decision::RetryAfter(Duration::from_secs(7)),
            "not the primary limit's reset, which is not what ran out"
        );
        let beyond = RetryPolicy {
            max_rate_limit_wait: Duration::from_secs(5),
            ..p
        };
        assert_eq!(
            beyond.decide(1, &secondary, Idempotency::CreatesResource, 0.0),
            Decision::RateLimitTooLong(Duration::from_secs(7))
        );
        // A 403 that is no limit at all (a token without access) is not waited for.
        let forbidden = Outcome::Status {
            status: 403,
            retry_after: None,
            ratelimit_remaining: Some(4999),
            ratelimit_reset_in: Some(Duration::from_secs(1800)),
            secondary_limit: false,
        };
        assert_eq!(
            p.decide(1, &forbidden, Idempotency::Safe, 0.0),
            Decision::GiveUp
        );
    }

    #[test]
    fn primary_rate_limit_waits_until_reset_but_not_forever() {
        let p = RetryPolicy::default();
        let soon = Outcome::Status {
            status: 403,
            retry_after: None,
            ratelimit_remaining: Some(0),
            ratelimit_reset_in: Some(Duration::from_secs(20)),
            secondary_limit: false,
        };
        assert!(matches!(
            p.decide(1, &soon, Idempotency::Safe, 0.0),
            Decision::RetryAfter(d) if d == Duration::from_secs(20)
        ));
        let late = Outcome::Status {
            status: 403,
            retry_after: None,
            ratelimit_remaining: Some(0),
            ratelimit_reset_in: Some(Duration::from_secs(3000)),
            secondary_limit: false,
        };
        assert!(matches!(
            p.decide(1, &late, Idempotency::Safe, 0.0),
            Decision::RateLimitTooLong(_)
        ));
    }

    #[test]
    fn a_plain_429_is_retried_with_backoff_even_for_posts() {
        let p = RetryPolicy::default();
        for idempotency in [Idempotency::Safe, Idempotency::CreatesResource] {
            assert!(
                matches!(
                    p.decide(1, &Outcome::answer(429, None), idempotency, 0.0),
                    Decision::RetryAfter(d) if d <= p.max_delay
                ),
                "{idempotency:?}"
            );
        }
    }

    #[test]
    fn creating_posts_are_not_repeated_after_a_server_error_or_lost_connection() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.decide(1, &status(502), Idempotency::CreatesResource, 0.0),
            Decision::GiveUp
        );
        assert_eq!(
            p.decide(1, &Outcome::Transport, Idempotency::CreatesResource, 0.0),
            Decision::GiveUp
        );
    }

    #[test]
    fn attempts_are_bounded() {
        let p = RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::default()
        };
        assert_eq!(
            p.decide(3, &status(503), Idempotency::Safe, 0.0),
            Decision::GiveUp
        );
    }

    #[test]
    fn backoff_never_exceeds_the_cap() {
        let p = RetryPolicy {
            max_attempts: 100,
            ..RetryPolicy::default()
        };
        for attempt in 1..60 {
            if let Decision::RetryAfter(d) =
                p.decide(attempt, &status(500), Idempotency::Safe, 0.99)
            {
                assert!(d <= p.max_delay, "attempt {attempt}: {d:?}");
            }
        }
    }
}
