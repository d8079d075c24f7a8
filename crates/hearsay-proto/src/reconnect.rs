//! Reconnecting across a healed partition.
//!
//! When a partition heals, each side believes the other dead, and nothing in SWIM makes two
//! nodes that believe each other dead talk again. So, every `reconnect_interval` (stretched
//! with the cluster's size, so the whole cluster makes about 16 attempts per interval
//! whatever N), a node starts an anti-entropy sync with a member it believes dead, or with the
//! address of one it already forgot (kept for `reconnect_timeout`). A truly dead peer costs
//! one refused or timed-out connection; a reachable one answers, the sync swaps the members
//! that differ, each side refutes the verdict about itself, and gossip carries the news.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

use rand::Rng;

/// Forgotten dead members' addresses kept for reconnection, at most.
const MAX_LOST: usize = 256;
/// Cluster-wide reconnection attempts per `reconnect_interval`, about.
pub(crate) const ATTEMPTS_PER_INTERVAL: usize = 16;

/// Addresses of dead members already forgotten, oldest first, with when to give up on them.
#[derive(Default)]
pub(crate) struct Lost {
    addrs: VecDeque<(SocketAddr, Instant)>,
}

impl Lost {
    pub fn remember(&mut self, addr: SocketAddr, until: Instant) {
        self.addrs.retain(|(a, _)| *a != addr);
        if self.addrs.len() >= MAX_LOST {
            self.addrs.pop_front();
        }
        self.addrs.push_back((addr, until));
    }

    /// Gives up on the addresses whose time ran out.
    pub fn expire(&mut self, now: Instant) {
        while self.addrs.front().is_some_and(|(_, until)| *until <= now) {
            self.addrs.pop_front();
        }
    }

    /// A random remembered address: always when `only_choice` (no member is believed dead),
    /// else half of the time; `None` when none is remembered.
    pub fn pick(&self, rng: &mut impl Rng, only_choice: bool) -> Option<SocketAddr> {
        let n = self.addrs.len();
        if n == 0 || !(only_choice || rng.random_ratio(1, 2)) {
            return None;
        }
        Some(self.addrs[rng.random_range(0..n)].0)
    }
}
