//! Fault injection on the datagram path: drop a fraction of outgoing datagrams and delay the
//! rest, so tests and demos can run real sockets under loss (the kernel's netem is not
//! available everywhere). Streams are TCP and stay reliable, as on a real lossy network.

use std::ops::Range;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Which faults to inject into outgoing datagrams. Defaults to none ([`Faults::none`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Faults {
    /// Fraction of outgoing datagrams dropped, in `0.0..1.0`.
    pub loss: f64,
    /// Extra one-way delay of each datagram that is kept, drawn uniformly from this range.
    /// An empty range (the default) sends at once.
    pub delay: Range<Duration>,
    /// Seed of the draws, so a test's losses can be replayed.
    pub seed: u64,
}

impl Faults {
    /// No faults: every datagram is sent at once.
    pub fn none() -> Faults {
        Faults {
            loss: 0.0,
            delay: Duration::ZERO..Duration::ZERO,
            seed: 0,
        }
    }

    /// Drops `loss` of the datagrams (0.0 to 1.0).
    pub fn loss(loss: f64, seed: u64) -> Faults {
        Faults {
            loss,
            seed,
            ..Faults::none()
        }
    }

    /// Whether any fault is configured.
    pub fn is_active(&self) -> bool {
        self.loss > 0.0 || !self.delay.is_empty()
    }
}

/// What to do with one outgoing datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    /// Send now.
    Send,
    /// Send after this long.
    Delay(Duration),
    /// Drop it.
    Drop,
}

/// Draws the fate of each datagram from [`Faults`].
pub(crate) struct FaultInjector {
    faults: Faults,
    rng: ChaCha8Rng,
}

impl FaultInjector {
    pub(crate) fn new(faults: Faults) -> FaultInjector {
        let rng = ChaCha8Rng::seed_from_u64(faults.seed);
        FaultInjector { faults, rng }
    }

    pub(crate) fn fate(&mut self) -> Fate {
        if self.faults.loss > 0.0 && self.rng.random_bool(self.faults.loss.min(1.0)) {
            return Fate::Drop;
        }
        if self.faults.delay.is_empty() {
            return Fate::Send;
        }
        let range = self.faults.delay.clone();
        Fate::Delay(self.rng.random_range(range))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_drops_about_the_configured_fraction() {
        let mut f = FaultInjector::new(Faults::loss(0.2, 7));
        let dropped = (0..10_000).filter(|_| f.fate() == Fate::Drop).count();
        assert!(
            (1_800..2_200).contains(&dropped),
            "dropped {dropped} of 10000"
        );
    }

    #[test]
    fn no_faults_sends_everything_at_once() {
        let mut f = FaultInjector::new(Faults::none());
        assert!((0..1000).all(|_| f.fate() == Fate::Send));
    }

    #[test]
    fn delays_fall_in_the_range() {
        let faults = Faults {
            delay: Duration::from_millis(5)..Duration::from_millis(10),
            ..Faults::none()
        };
        let mut f = FaultInjector::new(faults);
        for _ in 0..1000 {
            let Fate::Delay(d) = f.fate() else {
                panic!("expected a delay")
            };
            assert!(d >= Duration::from_millis(5) && d < Duration::from_millis(10));
        }
    }
}
