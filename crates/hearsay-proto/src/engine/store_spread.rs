//! Spreading store updates, and judging the ones that arrive.
//!
//! A change this node makes or learns first-hand goes out the way its size allows: small
//! updates join the store's gossip queue and ride on every datagram with room left after
//! membership news (each is sent `retransmit_limit` times, like membership news); updates too
//! large for that are pushed over streams to `gossip_fanout` random members, and every member
//! that learns one this way pushes it on once. Anything lost is repaired by anti-entropy.

use super::Engine;
use crate::stats::DropReason;
use crate::store::{KvEntry, StoreEvent};
use crate::wire::{self, KvUpdate, Message, State, StateUpdate, Value};
use std::net::SocketAddr;
use std::time::Instant;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Seeds that keep the two stores' gossip keys apart.
const STATE_SEED: u64 = 0x57a7e;
const KV_SEED: u64 = 0x6b76;

impl Engine {
    /// Judges a state update (from a peer when `from` is set, else this node's own write) and,
    /// when it is news, records it and spreads it. Returns whether it was news.
    pub(super) fn apply_state_update(&mut self, u: StateUpdate, from: Option<SocketAddr>) -> bool {
        if from.is_some() && !self.accept_state_from_peer(&u.owner, u.generation) {
            return false;
        }
        if self.refuse_oversized(u.value.as_ref()) {
            return false;
        }
        let mut changes = Vec::new();
        if !self.store.states.apply(&u, &mut changes) {
            return false;
        }
        for (key, value) in changes {
            self.emit_store(StoreEvent::State {
                owner: u.owner.clone(),
                key,
                value,
            });
        }
        let mut gossip_key = Vec::with_capacity(u.owner.as_str().len() + u.key.len() + 1);
        gossip_key.extend_from_slice(u.owner.as_str().as_bytes());
        gossip_key.push(0);
        gossip_key.extend_from_slice(u.key.as_bytes());
        let id = xxh3_64_with_seed(&gossip_key, STATE_SEED);
        self.spread(id, Message::StateUpdate(u), from);
        true
    }

    /// Whether a peer's news about `owner`'s state may be taken: only about a member this node
    /// believes live in that same start (state of dead, left or unknown members would linger,
    /// and this node is the only authority on its own state).
    pub(super) fn accept_state_from_peer(&mut self, owner: &crate::Name, generation: u64) -> bool {
        if *owner == self.members.local().name {
            return false;
        }
        match self.members.by_name(owner.as_str()) {
            Some(m) if m.state.is_live() && m.generation == generation => true,
            _ => {
                self.stats.refuse(DropReason::StateOfUnknownMember);
                false
            }
        }
    }

    /// Judges an entry of the cluster-wide map and, when it wins, records it and spreads it.
    pub(super) fn apply_kv_update(
        &mut self,
        now: Instant,
        u: KvUpdate,
        from: Option<SocketAddr>,
    ) -> bool {
        if !self.record_kv(now, &u, from) {
            return false;
        }
        let id = xxh3_64_with_seed(u.key.as_bytes(), KV_SEED);
        self.spread(id, Message::KvUpdate(u), from);
        true
    }

    /// Judges an entry of the cluster-wide map (a peer's when `from` is set) and keeps it if it
    /// wins, reporting the change; returns whether it did. Spreading is the caller's choice.
    pub(super) fn record_kv(
        &mut self,
        now: Instant,
        u: &KvUpdate,
        from: Option<SocketAddr>,
    ) -> bool {
        if !self.accept_kv_from_peer(now, u, from) {
            return false;
        }
        let entry = KvEntry {
            stamp: u.stamp,
            writer: u.writer.clone(),
            value: u.value.clone(),
        };
        if !self.store.kv.merge(&u.key, entry.clone()) {
            return false;
        }
        self.emit_store(StoreEvent::Kv {
            key: u.key.clone(),
            entry,
            local: from.is_none(),
        });
        true
    }

    /// Checks a peer's map entry: value size and clock skew (a local write passes).
    pub(super) fn accept_kv_from_peer(
        &mut self,
        now: Instant,
        u: &KvUpdate,
        from: Option<SocketAddr>,
    ) -> bool {
        if from.is_none() {
            return true;
        }
        if self.refuse_oversized(u.value.as_ref()) {
            return false;
        }
        if !self
            .store
            .hlc
            .observe(now, u.stamp, self.config.max_clock_skew)
        {
            self.stats.refuse(DropReason::ClockSkew);
            return false;
        }
        true
    }

    /// Sends news on: piggybacked when small, pushed over streams when not.
    fn spread(&mut self, id: u64, msg: Message, from: Option<SocketAddr>) {
        let len = wire::encoded_len(&msg);
        if len + wire::DATAGRAM_HEADER_BYTES <= self.config.max_datagram_bytes / 2 {
            let mut bytes = Vec::with_capacity(len);
            wire::encode_message(&msg, &mut bytes);
            if self.store.gossip.push(id, bytes.into_boxed_slice()) {
                self.stats.store_queue_full += 1;
            }
            return;
        }
        let fanout = self.config.gossip_fanout as usize;
        let targets = self
            .members
            .random(&mut self.rng, fanout + 1, |m| m.state == State::Alive);
        let mut sent = 0;
        for slot in targets {
            let addr = self.members.get(slot).addr;
            if Some(addr) == from || sent == fanout {
                continue;
            }
            self.send_stream(addr, &msg);
            sent += 1;
        }
    }

    /// Handles a store update that arrived on a datagram or a stream.
    pub(super) fn on_store_update(&mut self, now: Instant, from: SocketAddr, msg: Message) {
        match msg {
            Message::StateUpdate(u) => {
                self.apply_state_update(u, Some(from));
            }
            Message::KvUpdate(u) => {
                self.apply_kv_update(now, u, Some(from));
            }
            _ => {}
        }
    }

    /// Whether a value from a peer is over `max_value_bytes` (then counted as refused).
    pub(super) fn refuse_oversized(&mut self, value: Option<&Value>) -> bool {
        let over = value.is_some_and(|v| v.len() > self.config.max_value_bytes);
        if over {
            self.stats.refuse(DropReason::ValueTooLarge);
        }
        over
    }
}
