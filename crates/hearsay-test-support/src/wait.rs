//! Waiting for a condition with a deadline: check, pause briefly, check again, and fail the
//! test with what was awaited once the deadline has passed. Pauses start short (a condition
//! that holds soon is seen soon) and grow to a bound (a slow one is not polled in a spin).
//!
//! Never sleep for a fixed time and hope: a sleep is too short on a loaded machine and too
//! long everywhere else.

use std::future::Future;
use std::time::Duration;

use hearsay::Subscription;

/// The first pause between two checks.
const FIRST_PAUSE: Duration = Duration::from_millis(5);
/// The longest pause between two checks.
const LONGEST_PAUSE: Duration = Duration::from_millis(50);

/// Awaits `condition` until it holds, checking again after a short pause each time it does
/// not; returns how long that took. Panics with `what` (read as "timed out waiting until
/// WHAT") once `within` has passed, also when one check itself hangs past the deadline.
pub async fn wait_until<F, Fut>(what: &str, within: Duration, mut condition: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = tokio::time::Instant::now();
    let deadline = start + within;
    let mut pauses = Pauses::default();
    loop {
        match tokio::time::timeout_at(deadline, condition()).await {
            Ok(true) => return start.elapsed(),
            Ok(false) if tokio::time::Instant::now() < deadline => {}
            _ => panic!("timed out after {within:?} waiting until {what}"),
        }
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        tokio::time::sleep(pauses.next().min(left)).await;
    }
}

/// As [`wait_until`], for tests without a runtime (agents run as separate processes):
/// checks `condition` on this thread and pauses it in between.
#[allow(clippy::disallowed_methods)] // waiting on real processes takes the real clock
pub fn wait_until_blocking(
    what: &str,
    within: Duration,
    mut condition: impl FnMut() -> bool,
) -> Duration {
    let start = std::time::Instant::now();
    let mut pauses = Pauses::default();
    loop {
        if condition() {
            return start.elapsed();
        }
        let left = within.saturating_sub(start.elapsed());
        assert!(
            !left.is_zero(),
            "timed out after {within:?} waiting until {what}"
        );
        std::thread::sleep(pauses.next().min(left));
    }
}

/// Awaits the first item of `subscription` that `pick` turns into `Some`, skipping the others.
/// Panics with `what` (read as "waiting for WHAT") after `within`, or if the node stops first.
pub async fn next_matching<T: Clone, R>(
    subscription: &mut Subscription<T>,
    what: &str,
    within: Duration,
    mut pick: impl FnMut(&T) -> Option<R>,
) -> R {
    let found = async {
        while let Some(item) = subscription.next().await {
            if let Some(r) = pick(&item) {
                return r;
            }
        }
        panic!("the node stopped before {what}");
    };
    tokio::time::timeout(within, found)
        .await
        .unwrap_or_else(|_| panic!("timed out after {within:?} waiting for {what}"))
}

/// Pauses between checks: doubling from [`FIRST_PAUSE`] up to [`LONGEST_PAUSE`].
struct Pauses(Duration);

impl Default for Pauses {
    fn default() -> Self {
        Pauses(FIRST_PAUSE)
    }
}

impl Pauses {
    fn next(&mut self) -> Duration {
        let pause = self.0;
        self.0 = (pause * 2).min(LONGEST_PAUSE);
        pause
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_double_up_to_the_bound() {
        let mut p = Pauses::default();
        let seen: Vec<u128> = (0..6).map(|_| p.next().as_millis()).collect();
        assert_eq!(seen, [5, 10, 20, 40, 50, 50]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_condition_that_comes_true_ends_the_wait() {
        let mut checks = 0;
        wait_until("the third check", Duration::from_secs(1), || {
            checks += 1;
            let done = checks == 3;
            async move { done }
        })
        .await;
        assert_eq!(checks, 3);
    }

    #[tokio::test(start_paused = true)]
    #[should_panic(expected = "timed out after 1s waiting until never")]
    async fn a_condition_that_never_holds_fails_with_what_was_awaited() {
        wait_until("never", Duration::from_secs(1), || async { false }).await;
    }

    #[test]
    #[should_panic(expected = "waiting until never")]
    fn the_blocking_wait_fails_with_what_was_awaited() {
        wait_until_blocking("never", Duration::from_millis(30), || false);
    }
}
