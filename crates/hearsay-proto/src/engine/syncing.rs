//! Joining and anti-entropy as the engine runs them: join retries, the sync timer and the
//! membership state-transfer messages. The protocol is described in [`crate::sync`], whose
//! [`crate::sync::SyncState`] and [`crate::sync::Joining`] keep the schedule.

use std::net::SocketAddr;
use std::time::Instant;

use rand::Rng;
use rand::seq::IndexedRandom;

use super::Engine;
use crate::digest::{self, BUCKETS};
use crate::event::Via;
use crate::member::Member;
use crate::stats::DropReason;
use crate::sync::Waiting;
use crate::update::{Spread, Update};
use crate::wire::{MemberState, Message, PushPull, State, SyncBuckets, SyncDigest, SyncEntries};

/// A state transfer bringing at most this many unknown members gossips them on.
const FEW_NEW_MEMBERS: usize = 16;

/// Whether members a state transfer brings are news to gossip (see [`Engine::merge`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transfer {
    /// A joiner's own record: its arrival is news for everyone.
    Joiner,
    /// A table from a sync or a join answer: anti-entropy spreads it, except for a few.
    Table,
}

impl Engine {
    /// Adds seeds and sends a join request to each at once.
    pub(super) fn start_join(&mut self, now: Instant, seeds: &[SocketAddr]) {
        let own = self.members.local().addr;
        self.joining
            .add_seeds(own, seeds, self.config.join_retry_initial);
        self.send_join(now);
    }

    fn send_join(&mut self, now: Instant) {
        if self.joining.seeds().is_empty() || self.left {
            self.joining.stop_retrying();
            return;
        }
        let msg = Message::PushPull(PushPull {
            join: true,
            complete: true,
            reply: true,
            members: vec![self.members.local().to_wire()],
        });
        for seed in self.joining.seeds().to_vec() {
            self.stats.join_attempts += 1;
            self.send_stream(seed, &msg);
        }
        self.joining.sent(now, self.config.join_retry_max);
    }

    /// Timer [`crate::timer::Timer::Join`]: retry joining while no seed has answered.
    pub(super) fn join_timer(&mut self, now: Instant) {
        if !self.joining.retry_due(now) {
            return;
        }
        if self.joining.joined() {
            self.joining.stop_retrying();
        } else {
            self.send_join(now);
        }
    }

    /// Whether anti-entropy runs: once joined (or reached by others), until leaving.
    pub(super) fn syncing(&self) -> bool {
        !self.left && self.members.len() > 1
    }

    /// Timer [`crate::timer::Timer::Sync`]: the sync under way timed out, or the next sync is
    /// due.
    pub(super) fn sync_timer(&mut self, now: Instant) {
        if !self.syncing() {
            return;
        }
        match self.sync.waiting(now, now + self.config.sync_interval_busy) {
            Waiting::Idle => {}
            Waiting::Answer => return,
            Waiting::TimedOut => {
                // No answer (a dead or cut-off peer): try again soon, with a member believed
                // alive, so that repair does not wait a whole sync interval.
                self.stats.sync_timeouts += 1;
                return;
            }
        }
        if !self.sync.sync_due(now) {
            return;
        }
        // Now and then, try a member believed dead: after a partition heals, both sides think
        // the other dead and nothing else would ever make them talk again. A truly dead peer
        // just times out.
        let mut peer = Vec::new();
        let avoid_dead = self.sync.take_avoid_dead();
        if !avoid_dead && self.members.len() > self.members.live() && self.rng.random_ratio(1, 4) {
            peer = self
                .members
                .random(&mut self.rng, 1, |m| m.state == State::Dead);
        }
        if peer.is_empty() {
            peer = self
                .members
                .random(&mut self.rng, 1, |m| m.state == State::Alive);
        }
        let Some(&slot) = peer.first() else {
            self.sync.schedule(now + self.config.sync_interval);
            return;
        };
        let peer = self.members.get(slot).addr;
        self.start_sync(now, peer);
    }

    /// Timer [`crate::timer::Timer::Reconnect`]: the reconnection attempt under way timed
    /// out, or the next one is due (see [`crate::reconnect`]). Attempts have a slot of their
    /// own: many dead addresses must not crowd out syncs between live members.
    pub(super) fn reconnect_timer(&mut self, now: Instant) {
        if !self.syncing() {
            return;
        }
        match self.sync.reconnect_waiting(now) {
            Waiting::Idle => {}
            Waiting::Answer => return,
            Waiting::TimedOut => self.stats.reconnect_timeouts += 1,
        }
        let next_reconnect = now + self.reconnect_period();
        if self.sync.reconnect_due(now, next_reconnect)
            && let Some(peer) = self.reconnect_target(now)
        {
            self.sync
                .start_reconnect(peer, now + self.config.stream_timeout);
            self.send_digest(peer);
        }
    }

    /// Sends a sync digest to `peer` and waits for its answer.
    fn start_sync(&mut self, now: Instant, peer: SocketAddr) {
        self.sync.start(peer, now + self.config.stream_timeout);
        self.send_digest(peer);
    }

    /// Our digest and store roots, which start a sync.
    fn send_digest(&mut self, peer: SocketAddr) {
        self.stats.syncs += 1;
        let d = self.members.digest();
        let msg = Message::SyncDigest(SyncDigest {
            root: d.root(),
            live: d.live(),
            state_root: self.state_root(),
            kv_root: self.kv_root(),
        });
        self.send_stream(peer, &msg);
    }

    /// A peer's digest: answer with our bucket hashes when the views differ (none when they
    /// agree), then compare the stores' roots.
    pub(super) fn on_sync_digest(&mut self, now: Instant, from: SocketAddr, d: SyncDigest) {
        let own = self.members.digest();
        let hashes = if d.root == own.root() && d.live == own.live() {
            Vec::new()
        } else {
            own.buckets().to_vec()
        };
        self.send_stream(from, &Message::SyncBuckets(SyncBuckets { hashes }));
        self.on_store_roots(now, from, d.state_root, d.kv_root);
    }

    /// The members of the buckets that differ: merge them; answer with ours if asked.
    pub(super) fn on_sync_entries(&mut self, now: Instant, from: SocketAddr, e: SyncEntries) {
        let buckets = e.buckets.clone();
        self.merge(now, from, e.members, Transfer::Table);
        if e.reply {
            let members = self.members_in_buckets(&buckets);
            let msg = Message::SyncEntries(SyncEntries {
                buckets,
                reply: false,
                members,
            });
            self.send_stream(from, &msg);
        } else if self.sync.finish(from) {
            self.sync.schedule(now + self.config.sync_interval_busy);
        }
    }

    /// A join request (from a joiner), a seed's answer, or a whole table pulled or pushed.
    pub(super) fn on_push_pull(&mut self, now: Instant, from: SocketAddr, pp: PushPull) {
        if pp.join {
            self.merge(now, from, pp.members, Transfer::Joiner);
            let complete = self.members.len() <= self.config.join_sample as usize;
            let members = if complete {
                self.members.iter().map(Member::to_wire).collect()
            } else {
                self.sample_for_join()
            };
            let reply = Message::PushPull(PushPull {
                join: false,
                complete,
                reply: false,
                members,
            });
            self.send_stream(from, &reply);
            return;
        }
        let sample: Vec<SocketAddr> = if pp.complete {
            Vec::new()
        } else {
            pp.members
                .iter()
                .filter(|m| m.state == State::Alive && m.addr != from)
                .map(|m| m.addr)
                .collect()
        };
        self.merge(now, from, pp.members, Transfer::Table);
        if pp.reply {
            let reply = Message::PushPull(PushPull {
                join: false,
                complete: true,
                reply: false,
                members: self.members.iter().map(Member::to_wire).collect(),
            });
            self.send_stream(from, &reply);
            return;
        }
        if !self.left && self.joining.mark_joined() {
            // Announce ourselves; the seed does too, but two sources spread faster.
            let own = self.members.local().name.clone();
            self.queue_news(&own, None);
        }
        if let Some(&peer) = sample.choose(&mut self.rng) {
            // The seed sent a sample: pull the whole table from one of those members.
            let msg = Message::PushPull(PushPull {
                join: false,
                complete: true,
                reply: true,
                members: self.members.iter().map(Member::to_wire).collect(),
            });
            self.send_stream(peer, &msg);
        }
    }

    /// The peer's bucket hashes, answering our digest: send the members of the buckets that
    /// differ, or finish when none do.
    pub(super) fn on_sync_buckets(&mut self, now: Instant, from: SocketAddr, b: SyncBuckets) {
        if !self.sync.awaits(from) {
            self.stats.refuse(DropReason::UnsolicitedSync);
            return;
        }
        if b.hashes.is_empty() {
            self.sync.finish(from);
            // Members agree; a store may still be repairing, and then the next sync comes as
            // soon as after a membership repair.
            let repairing = self
                .sync
                .store_repairing(now, 2 * self.config.sync_interval_busy);
            self.sync.schedule(
                now + if repairing {
                    self.config.sync_interval_busy
                } else {
                    self.config.sync_interval
                },
            );
            self.stats.syncs_in_agreement += 1;
            return;
        }
        if b.hashes.len() != BUCKETS {
            self.sync.finish(from);
            self.stats.refuse(DropReason::Malformed);
            return;
        }
        let own = self.members.digest().buckets();
        let buckets: Vec<u16> = (0..BUCKETS)
            .filter(|&i| own[i] != b.hashes[i])
            .map(|i| i as u16)
            .collect();
        let members = self.members_in_buckets(&buckets);
        let msg = Message::SyncEntries(SyncEntries {
            buckets,
            reply: true,
            members,
        });
        self.send_stream(from, &msg);
    }

    /// Every member (tombstones included) whose name falls in one of `buckets`.
    fn members_in_buckets(&self, buckets: &[u16]) -> Vec<MemberState> {
        let mut wanted = [false; BUCKETS];
        for &b in buckets {
            if let Some(w) = wanted.get_mut(b as usize) {
                *w = true;
            }
        }
        self.members
            .iter()
            .filter(|m| wanted[digest::bucket_of(m.name.as_str())])
            .map(Member::to_wire)
            .collect()
    }

    /// `join_sample` random alive members plus this node, for a seed's answer to a joiner.
    fn sample_for_join(&mut self) -> Vec<MemberState> {
        let n = self.config.join_sample as usize;
        let slots = self
            .members
            .random(&mut self.rng, n, |m| m.state == State::Alive);
        let mut out: Vec<MemberState> = slots
            .into_iter()
            .map(|s| self.members.get(s).to_wire())
            .collect();
        out.push(self.members.local().to_wire());
        out
    }

    /// Applies a received table. Suspicion is not taken from state transfers (it carries no
    /// accuser and spreads by gossip); a suspect entry counts as alive at its incarnation.
    fn merge(&mut self, now: Instant, from: SocketAddr, members: Vec<MemberState>, kind: Transfer) {
        // A transfer that brings a few members this node did not know is repair (a member
        // forgotten too early, a healed partition): gossip them. One that brings many is a
        // join wave, which anti-entropy spreads by itself.
        let unknown = members
            .iter()
            .filter(|m| m.state.is_live() && self.members.slot(m.name.as_str()).is_none())
            .take(FEW_NEW_MEMBERS + 1)
            .count();
        let spread = if kind == Transfer::Joiner || unknown <= FEW_NEW_MEMBERS {
            Spread::Everything
        } else {
            Spread::ChangesOnly
        };
        for m in members {
            let mut u = Update::from_state(m);
            // A death learned by state transfer is only a suspicion here. The transfer may
            // carry a verdict reached across a partition that has since healed, about a member
            // this node has been reaching all along: as a suspicion, it spreads to the member,
            // which refutes it, instead of flipping every view it touches to dead. A member
            // that really died is declared dead here when the suspicion times out (the
            // shortest timeout: the verdict was reached elsewhere).
            if u.state == State::Dead
                && u.name != self.members.local().name
                && self
                    .members
                    .by_name(u.name.as_str())
                    .is_some_and(|old| old.state.is_live())
            {
                u.state = State::Suspect;
                u.decided_elsewhere = true;
            }
            self.apply_with(now, u, Via::Sync(from), spread);
        }
    }
}
