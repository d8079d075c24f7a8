//! State transfer over streams: joining through seeds, and anti-entropy.
//!
//! **Join.** A new node sends its own record to a seed in a [`PushPull`] and retries, with
//! doubling backoff, until a seed answers. The seed answers with its whole table; a seed of a
//! large cluster answers with a random sample instead, and the joiner pulls the whole table
//! from one member of that sample, so a join wave spreads its cost over the cluster.
//!
//! **Anti-entropy.** Every `sync_interval` this node compares digests with a random member
//! ([`crate::digest`]): a 20-byte exchange when views agree, whatever N. When they differ, the
//! peers compare per-bucket hashes and swap only the members of differing buckets; then the
//! next sync comes after `sync_interval_busy` instead, so a join wave or a healed partition
//! converges in a few rounds and quiet clusters pay almost nothing.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand::Rng;
use rand::seq::IndexedRandom;

use crate::digest::{self, BUCKETS};
use crate::engine::Engine;
use crate::event::Via;
use crate::member::Member;
use crate::update::Update;
use crate::wire::{
    self, MemberState, Message, PushPull, State, SyncBuckets, SyncDigest, SyncEntries,
};
use crate::{Transmit, TransmitKind};

/// A state transfer bringing at most this many unknown members gossips them on.
const FEW_NEW_MEMBERS: usize = 16;

/// Progress of joining and of anti-entropy.
pub(crate) struct SyncState {
    pub next_sync: Instant,
    pending: Option<Pending>,
    seeds: Vec<SocketAddr>,
    pub joined: bool,
    pub next_join: Option<Instant>,
    join_backoff: Duration,
    /// The last sync went unanswered: the next one goes to a member believed alive.
    avoid_dead: bool,
    /// Next attempt to reach a member believed dead (see [`crate::reconnect`]).
    pub next_reconnect: Instant,
    /// When a store repair last found differences: syncs stay frequent while stores differ.
    pub store_repaired_at: Option<Instant>,
}

/// The sync this node started and waits on.
struct Pending {
    peer: SocketAddr,
    deadline: Instant,
}

impl SyncState {
    pub fn new(first_sync: Instant, join_backoff: Duration) -> SyncState {
        SyncState {
            next_sync: first_sync,
            pending: None,
            seeds: Vec::new(),
            joined: false,
            next_join: None,
            join_backoff,
            avoid_dead: false,
            next_reconnect: first_sync,
            store_repaired_at: None,
        }
    }

    /// The earliest sync- or join-related deadline.
    pub fn next_deadline(&self, syncing: bool) -> Option<Instant> {
        let mut t = self.next_join;
        if syncing {
            let s = self
                .pending
                .as_ref()
                .map_or(self.next_sync.min(self.next_reconnect), |p| p.deadline);
            t = Some(t.map_or(s, |t| t.min(s)));
        }
        t
    }
}

impl Engine {
    /// Adds seeds and sends a join request to each at once.
    pub(crate) fn start_join(&mut self, now: Instant, seeds: &[SocketAddr]) {
        let own = self.members.local().addr;
        for s in seeds {
            if *s != own && !self.sync.seeds.contains(s) {
                self.sync.seeds.push(*s);
            }
        }
        self.sync.join_backoff = self.config.join_retry_initial;
        self.send_join(now);
    }

    fn send_join(&mut self, now: Instant) {
        if self.sync.seeds.is_empty() || self.left {
            self.sync.next_join = None;
            return;
        }
        let msg = Message::PushPull(PushPull {
            join: true,
            complete: true,
            reply: true,
            members: vec![self.members.local().to_wire()],
        });
        for seed in self.sync.seeds.clone() {
            self.stats.join_attempts += 1;
            self.send_stream(seed, &msg);
        }
        self.sync.next_join = Some(now + self.sync.join_backoff);
        self.sync.join_backoff = (self.sync.join_backoff * 2).min(self.config.join_retry_max);
    }

    /// Runs join retries and anti-entropy due at `now`.
    pub(crate) fn sync_timers(&mut self, now: Instant) {
        if self.sync.next_join.is_some_and(|t| now >= t) {
            if self.sync.joined {
                self.sync.next_join = None;
            } else {
                self.send_join(now);
            }
        }
        if !self.syncing() {
            return;
        }
        if let Some(p) = &self.sync.pending {
            if now >= p.deadline {
                // No answer (a dead or cut-off peer): try again soon, with a member believed
                // alive, so that repair does not wait a whole sync interval.
                self.sync.pending = None;
                self.sync.next_sync = now + self.config.sync_interval_busy;
                self.sync.avoid_dead = true;
                self.stats.drop_input("sync_timeout");
            }
            return;
        }
        if now >= self.sync.next_reconnect {
            self.sync.next_reconnect = now + self.reconnect_period();
            if let Some(peer) = self.reconnect_target(now) {
                self.start_sync(now, peer);
                return;
            }
        }
        if now < self.sync.next_sync {
            return;
        }
        // Now and then, try a member believed dead: after a partition heals, both sides think
        // the other dead and nothing else would ever make them talk again. A truly dead peer
        // just times out.
        let mut peer = Vec::new();
        let avoid_dead = std::mem::take(&mut self.sync.avoid_dead);
        if !avoid_dead && self.members.len() > self.members.live() && self.rng.random_ratio(1, 4) {
            peer = self.random_members(1, |m| m.state == State::Dead);
        }
        if peer.is_empty() {
            peer = self.random_members(1, |m| m.state == State::Alive);
        }
        let Some(&slot) = peer.first() else {
            self.sync.next_sync = now + self.config.sync_interval;
            return;
        };
        let peer = self.members.get(slot).addr;
        self.start_sync(now, peer);
    }

    /// Sends a sync digest to `peer` and waits for its answer.
    fn start_sync(&mut self, now: Instant, peer: SocketAddr) {
        self.sync.pending = Some(Pending {
            peer,
            deadline: now + self.config.stream_timeout,
        });
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

    /// Whether anti-entropy runs: once joined (or reached by others), until leaving.
    pub(crate) fn syncing(&self) -> bool {
        !self.left && self.members.len() > 1
    }

    /// Handles one decoded stream message.
    pub(crate) fn on_stream_message(&mut self, now: Instant, from: SocketAddr, msg: Message) {
        match msg {
            Message::PushPull(pp) => self.on_push_pull(now, from, pp),
            Message::SyncDigest(d) => {
                let own = self.members.digest();
                let hashes = if d.root == own.root() && d.live == own.live() {
                    Vec::new()
                } else {
                    own.buckets().to_vec()
                };
                self.send_stream(from, &Message::SyncBuckets(SyncBuckets { hashes }));
                self.on_store_roots(now, from, d.state_root, d.kv_root);
            }
            Message::StateUpdate(_) | Message::KvUpdate(_) => self.on_store_update(now, from, msg),
            Message::StoreHashes(h) => self.on_store_hashes(now, from, h),
            Message::KvEntries(e) => self.on_kv_entries(now, from, e),
            Message::StateEntries(e) => self.on_state_entries(now, from, e),
            Message::KvCopy(c) => self.on_kv_copy(now, from, c),
            Message::KvHeld(h) => self.on_kv_held(from, h),
            Message::SyncBuckets(b) => self.on_sync_buckets(now, from, b),
            Message::SyncEntries(e) => {
                let buckets = e.buckets.clone();
                self.merge(now, from, e.members, false);
                if e.reply {
                    let members = self.members_in_buckets(&buckets);
                    let msg = Message::SyncEntries(SyncEntries {
                        buckets,
                        reply: false,
                        members,
                    });
                    self.send_stream(from, &msg);
                } else if self.take_pending(from) {
                    self.sync.next_sync = now + self.config.sync_interval_busy;
                }
            }
            _ => self.stats.drop_input("datagram_only_on_stream"),
        }
    }

    fn on_push_pull(&mut self, now: Instant, from: SocketAddr, pp: PushPull) {
        if pp.join {
            // A joiner: its arrival is news for everyone, so it is gossiped too.
            self.merge(now, from, pp.members, true);
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
        self.merge(now, from, pp.members, false);
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
        if !self.sync.joined && !self.left {
            self.sync.joined = true;
            self.sync.next_join = None;
            // Announce ourselves; the seed does too, but two sources spread faster.
            let own = self.members.local().name.clone();
            self.broadcast(&own, None);
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

    fn on_sync_buckets(&mut self, now: Instant, from: SocketAddr, b: SyncBuckets) {
        if self.sync.pending.as_ref().is_none_or(|p| p.peer != from) {
            self.stats.drop_input("unsolicited_sync");
            return;
        }
        if b.hashes.is_empty() {
            self.sync.pending = None;
            // Members agree; a store may still be repairing, and then the next sync comes as
            // soon as after a membership repair.
            let repairing = self
                .sync
                .store_repaired_at
                .is_some_and(|t| now < t + 2 * self.config.sync_interval_busy);
            self.sync.next_sync = now
                + if repairing {
                    self.config.sync_interval_busy
                } else {
                    self.config.sync_interval
                };
            self.stats.syncs_in_agreement += 1;
            return;
        }
        if b.hashes.len() != BUCKETS {
            self.sync.pending = None;
            self.stats.drop_input("malformed");
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

    fn take_pending(&mut self, from: SocketAddr) -> bool {
        if self.sync.pending.as_ref().is_some_and(|p| p.peer == from) {
            self.sync.pending = None;
            true
        } else {
            false
        }
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
        let slots = self.random_members(n, |m| m.state == State::Alive);
        let mut out: Vec<MemberState> = slots
            .into_iter()
            .map(|s| self.members.get(s).to_wire())
            .collect();
        out.push(self.members.local().to_wire());
        out
    }

    /// Applies a received table. Suspicion is not taken from state transfers (it carries no
    /// accuser and spreads by gossip); a suspect entry counts as alive at its incarnation.
    fn merge(&mut self, now: Instant, from: SocketAddr, members: Vec<MemberState>, news: bool) {
        // A transfer that brings a few members this node did not know is repair (a member
        // forgotten too early, a healed partition): gossip them. One that brings many is a
        // join wave, which anti-entropy spreads by itself.
        let unknown = members
            .iter()
            .filter(|m| m.state.is_live() && self.members.slot(m.name.as_str()).is_none())
            .take(FEW_NEW_MEMBERS + 1)
            .count();
        let spread_new = news || unknown <= FEW_NEW_MEMBERS;
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
            self.apply_with(now, u, Via::Sync(from), spread_new);
        }
    }

    /// Queues one stream message to `to`, if it respects `max_stream_bytes`.
    pub(crate) fn send_stream(&mut self, to: SocketAddr, msg: &Message) {
        let mut bytes = Vec::new();
        wire::encode_stream(msg, &mut bytes);
        if bytes.len() > self.config.max_stream_bytes {
            self.stats.drop_input("stream_too_large_to_send");
            return;
        }
        self.stats.streams_out += 1;
        self.stats.stream_bytes_out += bytes.len() as u64;
        self.transmits.push_back(Transmit {
            to,
            kind: TransmitKind::Stream,
            bytes,
        });
    }
}
