//! Pacing and reporting of failed accepts. An accept that fails (typically: out of file
//! descriptors) fails again at once while the cause lasts, so the accept loop waits before the
//! next try: [`FIRST_RETRY`], doubling up to [`MAX_RETRY`], back to the start after a successful
//! accept. Failures come in bursts; each burst is logged twice: a warning when it starts and a
//! summary once [`BURST_QUIET`] has passed without a failure.

use std::time::Duration;

use tokio::time::Instant;

/// Wait after the first failure of a burst.
pub const FIRST_RETRY: Duration = Duration::from_millis(1);
/// Longest wait between two accepts while they keep failing.
pub const MAX_RETRY: Duration = Duration::from_secs(1);
/// A burst ends after this long without a failure. Longer than [`MAX_RETRY`], so failures at
/// the slowest pace still belong to one burst.
pub const BURST_QUIET: Duration = Duration::from_secs(2);

/// What to do after a failed accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retry {
    /// How long to wait before accepting again.
    pub after: Duration,
    /// Whether this failure starts a burst (log it).
    pub starts_burst: bool,
}

/// The backoff and burst state of one accept loop.
#[derive(Debug)]
pub struct AcceptBackoff {
    next: Duration,
    burst: Option<Burst>,
}

#[derive(Debug)]
struct Burst {
    failures: u64,
    last: Instant,
}

impl Default for AcceptBackoff {
    fn default() -> Self {
        AcceptBackoff::new()
    }
}

impl AcceptBackoff {
    pub fn new() -> AcceptBackoff {
        AcceptBackoff {
            next: FIRST_RETRY,
            burst: None,
        }
    }

    /// An accept failed at `now`.
    pub fn failed(&mut self, now: Instant) -> Retry {
        let after = self.next;
        self.next = (self.next * 2).min(MAX_RETRY);
        let starts_burst = match &mut self.burst {
            Some(b) => {
                b.failures += 1;
                b.last = now;
                false
            }
            None => {
                self.burst = Some(Burst {
                    failures: 1,
                    last: now,
                });
                true
            }
        };
        Retry {
            after,
            starts_burst,
        }
    }

    /// An accept succeeded: the next failure waits [`FIRST_RETRY`] again. (The burst goes on
    /// until it has been quiet for [`BURST_QUIET`].)
    pub fn succeeded(&mut self) {
        self.next = FIRST_RETRY;
    }

    /// When the current burst ends unless another failure comes; `None` outside a burst.
    pub fn burst_ends_at(&self) -> Option<Instant> {
        self.burst.as_ref().map(|b| b.last + BURST_QUIET)
    }

    /// End the current burst; returns how many failures it had (0 if there was none).
    pub fn end_burst(&mut self) -> u64 {
        self.next = FIRST_RETRY;
        self.burst.take().map_or(0, |b| b.failures)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn waits_double_up_to_a_second_and_reset_after_success() {
        let mut b = AcceptBackoff::new();
        let waits: Vec<u64> = (0..13)
            .map(|_| b.failed(Instant::now()).after.as_millis() as u64)
            .collect();
        assert_eq!(
            waits,
            [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000, 1000, 1000]
        );
        b.succeeded();
        assert_eq!(b.failed(Instant::now()).after, FIRST_RETRY);
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_is_reported_once_at_its_start_and_ends_when_quiet() {
        let mut b = AcceptBackoff::new();
        assert_eq!(b.burst_ends_at(), None);
        assert!(b.failed(Instant::now()).starts_burst);
        // Failures at the slowest pace, with successes in between, are one burst.
        for _ in 0..1000 {
            tokio::time::advance(MAX_RETRY).await;
            b.succeeded();
            assert!(!b.failed(Instant::now()).starts_burst);
        }
        assert_eq!(b.burst_ends_at(), Some(Instant::now() + BURST_QUIET));
        tokio::time::advance(BURST_QUIET).await;
        assert!(b.burst_ends_at().is_some_and(|t| t <= Instant::now()));
        assert_eq!(b.end_burst(), 1001);
        assert_eq!(b.burst_ends_at(), None);
        // The next failure starts a new burst, from the shortest wait.
        let r = b.failed(Instant::now());
        assert!(r.starts_burst);
        assert_eq!(r.after, FIRST_RETRY);
    }
}
