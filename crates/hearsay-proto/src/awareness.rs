//! Lifeguard's local health awareness.
//!
//! A node that misses acks, gets no nacks from its helpers, or has to refute accusations about
//! itself is probably the slow one (CPU starved, paused, dropping packets). Instead of
//! accusing others at full speed, it raises its health score and stretches its probe interval
//! and timeouts by `score + 1`, which gives its own late messages time to arrive. Successful
//! probes lower the score again.

use std::time::Duration;

/// The local health score, `0 ..= max - 1`; 0 is healthy.
#[derive(Debug, Clone)]
pub(crate) struct Awareness {
    score: u32,
    max: u32,
    enabled: bool,
}

impl Awareness {
    /// `max` is `awareness_max_multiplier`; when not `enabled` (Lifeguard off) the score stays 0.
    pub fn new(max: u32, enabled: bool) -> Awareness {
        Awareness {
            score: 0,
            max: max.max(1),
            enabled,
        }
    }

    /// Moves the score by `delta`, clamped to its range.
    pub fn apply(&mut self, delta: i32) {
        if !self.enabled {
            return;
        }
        let next = i64::from(self.score) + i64::from(delta);
        self.score = next.clamp(0, i64::from(self.max - 1)) as u32;
    }

    pub fn score(&self) -> u32 {
        self.score
    }

    /// `base` stretched by the current health: `base * (score + 1)`.
    pub fn scale(&self, base: Duration) -> Duration {
        base * (self.score + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_is_clamped_and_scales_timeouts() {
        let mut a = Awareness::new(8, true);
        a.apply(-1);
        assert_eq!(a.score(), 0);
        a.apply(3);
        assert_eq!(a.scale(Duration::from_millis(500)), Duration::from_secs(2));
        a.apply(100);
        assert_eq!(a.score(), 7);
    }

    #[test]
    fn disabled_awareness_never_moves() {
        let mut a = Awareness::new(8, false);
        a.apply(5);
        assert_eq!(a.score(), 0);
    }
}
