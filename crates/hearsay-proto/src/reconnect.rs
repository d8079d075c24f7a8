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
use std::time::{Duration, Instant};

use rand::Rng;

use crate::engine::Engine;
use crate::wire::State;

/// Forgotten dead members' addresses kept for reconnection, at most.
const MAX_LOST: usize = 256;
/// Cluster-wide reconnection attempts per `reconnect_interval`, about.
const ATTEMPTS_PER_INTERVAL: usize = 16;

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

    fn expire(&mut self, now: Instant) {
        while self.addrs.front().is_some_and(|(_, until)| *until <= now) {
            self.addrs.pop_front();
        }
    }
}

impl Engine {
    /// Time between two reconnection attempts of this node.
    pub(crate) fn reconnect_period(&self) -> Duration {
        let live = self.members.live().max(1);
        let stretch = live.div_ceil(ATTEMPTS_PER_INTERVAL).max(1) as u32;
        self.config.reconnect_interval * stretch
    }

    /// A member believed dead, or a forgotten one's address, to try; `None` when there is none
    /// (or its address now belongs to a live member).
    pub(crate) fn reconnect_target(&mut self, now: Instant) -> Option<SocketAddr> {
        self.lost.expire(now);
        let dead = self.random_members(1, |m| m.state == State::Dead);
        let lost = self.lost.addrs.len();
        let pick_lost = lost > 0 && (dead.is_empty() || self.rng.random_ratio(1, 2));
        let addr = if pick_lost {
            let i = self.rng.random_range(0..lost);
            self.lost.addrs[i].0
        } else {
            self.members.get(*dead.first()?).addr
        };
        let taken = self
            .members
            .iter()
            .any(|m| m.addr == addr && m.state.is_live());
        (!taken).then_some(addr)
    }
}
