//! Content-creating requests at GitHub's pace. GitHub's secondary limits ask for writes one at
//! a time, no more than about 80 a minute and 500 an hour; a tick that posts many parts (or a
//! watcher answering a burst of commands) slows down on its own instead of being refused.
//!
//! Hand-rolled rather than a rate-limiting crate: two sliding windows and a lock are a few
//! lines, and the deadline (a wait that would outlast the tick's budget is refused, so the
//! caller defers the write) is ours.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::sync::{Mutex, MutexGuard};
use tokio::time::Instant;

/// GitHub's documented ceilings for content-creating requests.
pub(crate) const WRITES_PER_MINUTE: usize = 80;
/// See [`WRITES_PER_MINUTE`].
pub(crate) const WRITES_PER_HOUR: usize = 500;

/// The one-at-a-time lock and the times of recent writes.
#[derive(Debug)]
pub(crate) struct WritePacer {
    per_minute: usize,
    per_hour: usize,
    recent: Mutex<VecDeque<Instant>>,
}

/// Held while one write is in flight; the next one waits for it.
pub(crate) struct WriteSlot<'a> {
    _held: MutexGuard<'a, VecDeque<Instant>>,
}

impl Default for WritePacer {
    fn default() -> Self {
        WritePacer::new(WRITES_PER_MINUTE, WRITES_PER_HOUR)
    }
}

impl WritePacer {
    /// A pacer allowing `per_minute` and `per_hour` writes in any sliding minute and hour.
    pub(crate) fn new(per_minute: usize, per_hour: usize) -> Self {
        WritePacer {
            per_minute: per_minute.max(1),
            per_hour: per_hour.max(1),
            recent: Mutex::new(VecDeque::new()),
        }
    }

    /// Waits until a write may start and returns its slot. `Err(wait)` without waiting when
    /// the slot would open after `deadline`.
    pub(crate) async fn acquire(
        &self,
        deadline: Option<Instant>,
    ) -> Result<WriteSlot<'_>, Duration> {
        let mut recent = self.recent.lock().await;
        let now = Instant::now();
        while recent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(3600))
        {
            recent.pop_front();
        }
        let opens = [
            (self.per_minute, Duration::from_secs(60)),
            (self.per_hour, Duration::from_secs(3600)),
        ]
        .into_iter()
        .filter_map(|(limit, window)| {
            let in_window = recent
                .iter()
                .filter(|t| now.duration_since(**t) < window)
                .count();
            // The write that must leave the window before another may start.
            (in_window >= limit).then(|| recent[recent.len() - limit] + window)
        })
        .max();
        if let Some(opens) = opens {
            if deadline.is_some_and(|d| opens > d) {
                return Err(opens - now);
            }
            tokio::time::sleep_until(opens).await;
        }
        recent.push_back(Instant::now());
        Ok(WriteSlot { _held: recent })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn writes_beyond_the_minute_ceiling_wait_for_the_window_to_move() {
        let pacer = WritePacer::new(3, 100);
        let start = Instant::now();
        for _ in 0..3 {
            drop(pacer.acquire(None).await.unwrap());
        }
        assert_eq!(
            start.elapsed(),
            Duration::ZERO,
            "a burst within the ceiling is free"
        );
        drop(pacer.acquire(None).await.unwrap());
        assert_eq!(start.elapsed(), Duration::from_secs(60));
    }

    #[tokio::test(start_paused = true)]
    async fn the_hour_ceiling_holds_across_minutes() {
        let pacer = WritePacer::new(100, 4);
        let start = Instant::now();
        for _ in 0..4 {
            drop(pacer.acquire(None).await.unwrap());
            tokio::time::sleep(Duration::from_secs(120)).await;
        }
        drop(pacer.acquire(None).await.unwrap());
        assert_eq!(start.elapsed(), Duration::from_secs(3600));
    }

    #[tokio::test(start_paused = true)]
    async fn a_slot_opening_after_the_deadline_is_refused_at_once() {
        let pacer = WritePacer::new(1, 100);
        drop(pacer.acquire(None).await.unwrap());
        let deadline = Instant::now() + Duration::from_secs(10);
        let start = Instant::now();
        let refused = pacer.acquire(Some(deadline)).await.err();
        assert_eq!(refused, Some(Duration::from_secs(60)));
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn writes_go_one_at_a_time() {
        let pacer = std::sync::Arc::new(WritePacer::default());
        let first = pacer.acquire(None).await.unwrap();
        let second = {
            let pacer = pacer.clone();
            tokio::spawn(async move {
                let _slot = pacer.acquire(None).await.unwrap();
                Instant::now()
            })
        };
        tokio::time::sleep(Duration::from_secs(5)).await;
        let released = Instant::now();
        drop(first);
        assert!(
            second.await.unwrap() >= released,
            "the second write waited for the first"
        );
    }
}
