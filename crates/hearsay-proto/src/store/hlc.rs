//! Hybrid logical clock: stamps that follow wall-clock time yet never go backwards and always
//! exceed every stamp this node has seen, so last-writer-wins orders causally related writes
//! correctly even between nodes whose clocks disagree a little.
//!
//! A stamp is a `u64`: milliseconds since the Unix epoch in the high 48 bits and a counter in
//! the low 16. The engine reads no clock: the driver tells it the wall-clock time once
//! ([`crate::Engine::set_wall_clock`]) and the engine advances it with its monotonic `now`.
//! A stamp from a peer further ahead of this node's wall clock than `max_clock_skew` is refused
//! (a broken clock or a hostile peer would otherwise drag every later write into the future).

use std::time::{Duration, Instant};

/// Bits of the logical counter.
const COUNTER_BITS: u32 = 16;

/// The milliseconds part of a stamp.
pub fn stamp_millis(stamp: u64) -> u64 {
    stamp >> COUNTER_BITS
}

/// A node's hybrid logical clock.
#[derive(Debug, Clone)]
pub struct Hlc {
    last: u64,
    /// The driver's wall-clock reading, in ms since the Unix epoch, at an engine instant.
    origin: (Instant, u64),
}

impl Hlc {
    /// A clock whose wall-clock time at `now` is `unix_ms`.
    pub fn new(now: Instant, unix_ms: u64) -> Hlc {
        Hlc {
            last: 0,
            origin: (now, unix_ms),
        }
    }

    /// Re-anchors the wall clock (stamps still never go backwards).
    pub fn set_wall_clock(&mut self, now: Instant, unix_ms: u64) {
        self.origin = (now, unix_ms);
    }

    /// The wall-clock time at `now`, in ms since the Unix epoch.
    pub fn wall_millis(&self, now: Instant) -> u64 {
        let elapsed = now.saturating_duration_since(self.origin.0).as_millis() as u64;
        self.origin.1.saturating_add(elapsed)
    }

    /// A new stamp for a local write: later than every stamp issued or seen.
    pub fn tick(&mut self, now: Instant) -> u64 {
        let physical = self.wall_millis(now) << COUNTER_BITS;
        self.last = physical.max(self.last + 1);
        self.last
    }

    /// Takes note of a peer's stamp. Returns false, changing nothing, when it is further ahead
    /// of this node's wall clock than `max_skew`.
    pub fn observe(&mut self, now: Instant, stamp: u64, max_skew: Duration) -> bool {
        let skew = u64::try_from(max_skew.as_millis()).unwrap_or(u64::MAX);
        let limit = self.wall_millis(now).saturating_add(skew);
        if stamp_millis(stamp) > limit {
            return false;
        }
        self.last = self.last.max(stamp);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_grow_even_when_the_clock_stands_still() {
        let t = crate::test_epoch();
        let mut c = Hlc::new(t, 1_000);
        let a = c.tick(t);
        let b = c.tick(t);
        assert!(b > a);
        assert_eq!(stamp_millis(a), 1_000);
        let later = c.tick(t + Duration::from_millis(5));
        assert_eq!(stamp_millis(later), 1_005);
    }

    #[test]
    fn a_seen_stamp_pushes_the_clock_forward_unless_too_far_ahead() {
        let t = crate::test_epoch();
        let mut c = Hlc::new(t, 10_000);
        let skew = Duration::from_secs(1);
        assert!(c.observe(t, 10_500 << COUNTER_BITS, skew));
        assert!(c.tick(t) > 10_500 << COUNTER_BITS);
        assert!(!c.observe(t, 20_000 << COUNTER_BITS, skew));
        assert_eq!(stamp_millis(c.tick(t)), 10_500);
    }
}
