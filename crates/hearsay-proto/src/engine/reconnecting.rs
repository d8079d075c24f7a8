//! Reconnecting across a healed partition (see [`crate::reconnect`]): whom to try next.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::Engine;
use crate::reconnect::ATTEMPTS_PER_INTERVAL;
use crate::wire::State;

impl Engine {
    /// Time between two reconnection attempts of this node.
    pub(super) fn reconnect_period(&self) -> Duration {
        let live = self.members.live().max(1);
        let stretch = live.div_ceil(ATTEMPTS_PER_INTERVAL).max(1) as u32;
        self.config.reconnect_interval * stretch
    }

    /// A member believed dead, or a forgotten one's address, to try; `None` when there is none
    /// (or its address now belongs to a live member).
    pub(super) fn reconnect_target(&mut self, now: Instant) -> Option<SocketAddr> {
        self.lost.expire(now);
        let dead = self
            .members
            .random(&mut self.rng, 1, |m| m.state == State::Dead);
        let addr = match self.lost.pick(&mut self.rng, dead.is_empty()) {
            Some(addr) => addr,
            None => self.members.get(*dead.first()?).addr,
        };
        let taken = self
            .members
            .iter()
            .any(|m| m.addr == addr && m.state.is_live());
        (!taken).then_some(addr)
    }
}
