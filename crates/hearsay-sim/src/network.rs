//! The modelled network: latency, loss, and partitions.
//!
//! Every datagram gets an independent latency, uniform in the configured range, and is lost
//! with the configured probability. Streams get a latency too but are never lost (they are
//! TCP); the simulator drops them only when an end is dead or a partition lies between the
//! ends. A partition is a set of nodes cut off from everyone else in both directions; each
//! one is a bit, so "are these two nodes cut apart?" is one XOR and one AND.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::queue::Nanos;

/// Partitions that ended less than this long ago still excuse a death verdict across them
/// (the news of a partition's verdicts keeps spreading for a while after it heals).
pub const PARTITION_GRACE: Nanos = 30_000_000_000;

/// One partition's lifetime.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PartitionSpan {
    /// When it began (`None` until then).
    pub started: Option<Nanos>,
    /// When it ended (`None` while active or not started).
    pub ended: Option<Nanos>,
}

/// Latency, loss and partition state.
pub(crate) struct Network {
    latency_min: Nanos,
    latency_max: Nanos,
    /// Current datagram loss probability.
    pub loss: f64,
    /// Per node: the partitions it is on the small side of.
    sides: Vec<u64>,
    /// Partitions in force.
    active: u64,
    spans: Vec<PartitionSpan>,
}

impl Network {
    /// A network for `nodes` nodes without partitions.
    pub fn new(
        nodes: u32,
        latency_min: Nanos,
        latency_max: Nanos,
        loss: f64,
        partitions: usize,
    ) -> Network {
        Network {
            latency_min,
            latency_max,
            loss,
            sides: vec![0; nodes as usize],
            active: 0,
            spans: vec![
                PartitionSpan {
                    started: None,
                    ended: None,
                };
                partitions
            ],
        }
    }

    /// One-way delay of the next message.
    pub fn latency(&self, rng: &mut ChaCha8Rng) -> Nanos {
        if self.latency_min == self.latency_max {
            self.latency_min
        } else {
            rng.random_range(self.latency_min..=self.latency_max)
        }
    }

    /// Whether the next datagram is lost (draws from the RNG only when loss is possible,
    /// so that a loss-free run's randomness does not depend on how many datagrams it sends).
    pub fn lose(&self, rng: &mut ChaCha8Rng) -> bool {
        self.loss > 0.0 && rng.random::<f64>() < self.loss
    }

    /// Whether a partition in force separates `a` and `b`.
    pub fn cut(&self, a: u32, b: u32) -> bool {
        self.active != 0 && (self.sides[a as usize] ^ self.sides[b as usize]) & self.active != 0
    }

    /// Whether a partition in force, or one that ended less than [`PARTITION_GRACE`] ago,
    /// separates `a` and `b`.
    pub fn recently_cut(&self, a: u32, b: u32, now: Nanos) -> bool {
        if a as usize >= self.sides.len() || b as usize >= self.sides.len() {
            return false;
        }
        let apart = self.sides[a as usize] ^ self.sides[b as usize];
        if apart == 0 {
            return false;
        }
        self.spans.iter().enumerate().any(|(id, span)| {
            apart & (1 << id) != 0
                && span.started.is_some()
                && span.ended.is_none_or(|end| now < end + PARTITION_GRACE)
        })
    }

    /// Whether any partition is in force or ended less than [`PARTITION_GRACE`] ago.
    pub fn any_recent_partition(&self, now: Nanos) -> bool {
        self.spans.iter().any(|span| {
            span.started.is_some() && span.ended.is_none_or(|end| now < end + PARTITION_GRACE)
        })
    }

    /// Puts `members` on the small side of partition `id` and activates it.
    pub fn start_partition(&mut self, id: u32, members: &[u32], now: Nanos) {
        let bit = 1u64 << id;
        for &m in members {
            self.sides[m as usize] |= bit;
        }
        self.active |= bit;
        self.spans[id as usize].started = Some(now);
    }

    /// Ends partition `id`; returns whether it was active.
    pub fn end_partition(&mut self, id: u32, now: Nanos) -> bool {
        let bit = 1u64 << id;
        let was_active = self.active & bit != 0;
        if was_active {
            self.active &= !bit;
            self.spans[id as usize].ended = Some(now);
        }
        was_active
    }

    /// Ids of the partitions in force.
    pub fn active_ids(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.spans.len() as u32).filter(|id| self.active & (1 << id) != 0)
    }

    /// Whether any partition is in force.
    pub fn partitioned(&self) -> bool {
        self.active != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn a_partition_cuts_only_across_its_edge() {
        let mut net = Network::new(4, 1, 1, 0.0, 2);
        net.start_partition(0, &[1, 2], 0);
        assert!(net.cut(0, 1) && net.cut(2, 3));
        assert!(!net.cut(1, 2) && !net.cut(0, 3));
        assert!(net.end_partition(0, 10));
        assert!(!net.cut(0, 1));
        assert!(net.recently_cut(0, 1, 10 + PARTITION_GRACE - 1));
        assert!(!net.recently_cut(0, 1, 10 + PARTITION_GRACE));
    }

    #[test]
    fn latency_stays_in_range_and_loss_follows_probability() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut net = Network::new(2, 1_000, 5_000, 0.25, 0);
        let mut lost = 0;
        for _ in 0..10_000 {
            assert!((1_000..=5_000).contains(&net.latency(&mut rng)));
            lost += u32::from(net.lose(&mut rng));
        }
        assert!((2_000..3_000).contains(&lost), "{lost}");
        net.loss = 0.0;
        assert!(!net.lose(&mut rng));
    }
}
