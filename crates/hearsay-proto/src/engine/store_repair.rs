//! Anti-entropy of the stores: comparing range trees and swapping the differing leaves.
//!
//! Every membership sync carries both stores' roots ([`crate::wire::SyncDigest`]). The
//! receiver of a digest whose root differs from its own sends its group hashes
//! ([`StoreHashes`]); each side answers hashes with the hashes of the leaves under differing
//! groups, or, for differing leaves, with its entries of those leaves (asking for the peer's
//! in return). The answer leaves out what the peer just sent, so a new node's catch-up costs
//! one copy of the store, and identical replicas pay the 16 bytes of roots.

use super::Engine;
use crate::stats::DropReason;
use crate::store::{StoreEvent, TRANSFER_CHUNK_BYTES, tree};
use crate::wire::{
    self, KvEntries, KvUpdate, Message, State, StateEntries, StoreHashes, StoreKind,
};
use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Instant;

/// Whether entries sent in a repair ask the peer for its entries of the same leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reply {
    /// First half of the exchange: the peer answers with its entries.
    Wanted,
    /// The answer: the exchange ends here.
    Not,
}

impl Reply {
    fn wanted(self) -> bool {
        self == Reply::Wanted
    }
}

impl Engine {
    /// A peer's roots arrived with its sync digest: start repairing each store that differs.
    pub(super) fn on_store_roots(
        &mut self,
        now: Instant,
        from: SocketAddr,
        state_root: u64,
        kv_root: u64,
    ) {
        for (store, theirs) in [(StoreKind::State, state_root), (StoreKind::Kv, kv_root)] {
            let tree = self.store.tree(store);
            if tree.root() == theirs {
                continue;
            }
            let (ids, hashes) = tree.groups();
            self.stats.store_repairs += 1;
            self.store_differs(now);
            self.send_hashes(now, from, StoreHashes { store, ids, hashes });
        }
    }

    /// While this node's stores are changing, it compares one of them with a random member
    /// every `gossip_interval` (a root of 16 bytes; a repair follows only if they differ), for
    /// `2 * sync_interval_busy` after the last change. A burst of writes thus spreads by
    /// push-pull in rounds of `gossip_interval` instead of waiting for piggybacking, which
    /// carries only what fits in datagrams.
    pub(super) fn store_push_timer(&mut self, now: Instant) {
        let window = 2 * self.config.sync_interval_busy;
        let recent = self
            .store
            .push
            .due(now, window, self.config.gossip_interval, !self.left);
        if recent.is_empty() {
            return;
        }
        let Some(&slot) = self
            .members
            .random(&mut self.rng, 1, |m| m.state == State::Alive)
            .first()
        else {
            return;
        };
        let peer = self.members.get(slot).addr;
        for store in recent {
            let root = self.store.tree(store).root();
            let hashes = StoreHashes {
                store,
                ids: vec![tree::ROOT_ID],
                hashes: vec![root],
            };
            self.send_hashes(now, peer, hashes);
        }
    }

    /// Sends tree hashes to `peer`, opening (or renewing) a repair exchange with it: only
    /// then may it ask for this node's entries.
    fn send_hashes(&mut self, now: Instant, peer: SocketAddr, hashes: StoreHashes) {
        let until = now + 4 * self.config.stream_timeout;
        let leaves = self.store.leaves();
        self.store.exchanges.open(peer, until, leaves);
        self.send_stream(peer, &Message::StoreHashes(hashes));
    }

    /// A store differs from a peer's: sync again soon (like after a membership repair), so that
    /// a burst of writes or a healed partition spreads in rounds of `sync_interval_busy`.
    fn store_differs(&mut self, now: Instant) {
        self.sync.store_repaired(now);
        self.sync.sooner(now + self.config.sync_interval_busy);
    }

    /// A peer's hashes of some tree nodes: answer with ours one level down, or with entries.
    pub(super) fn on_store_hashes(&mut self, now: Instant, from: SocketAddr, h: StoreHashes) {
        if h.ids.len() != h.hashes.len() {
            self.stats.refuse(DropReason::Malformed);
            return;
        }
        let (ids, hashes, leaves) = tree::compare(self.store.tree(h.store), &h.ids, &h.hashes);
        if ids.is_empty() && leaves.is_empty() {
            return;
        }
        self.store_differs(now);
        if !ids.is_empty() {
            let hashes = StoreHashes {
                store: h.store,
                ids,
                hashes,
            };
            self.send_hashes(now, from, hashes);
        }
        if !leaves.is_empty() {
            match h.store {
                StoreKind::Kv => self.send_kv_leaves(from, &leaves, Reply::Wanted, &HashSet::new()),
                StoreKind::State => self.send_state_leaves(from, &leaves, Reply::Wanted),
            }
        }
    }

    /// Sends this node's map entries of `leaves`, in pieces of about
    /// [`TRANSFER_CHUNK_BYTES`], leaving out entries the peer is known to hold (`skip`:
    /// key and stamp).
    fn send_kv_leaves(
        &mut self,
        to: SocketAddr,
        leaves: &[u32],
        reply: Reply,
        skip: &HashSet<(wire::Key, u64)>,
    ) {
        let total = self.store.kv.len() as u64;
        let mut sorted = leaves.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let entries: Vec<(u32, KvUpdate)> = sorted
            .iter()
            .flat_map(|&l| self.store.kv.entries_in(l).map(move |e| (l, e)))
            .filter(|(_, e)| !skip.contains(&(e.key.clone(), e.stamp)))
            .collect();
        if entries.is_empty() && reply == Reply::Not {
            return;
        }
        // Leaves without entries still go out (in the first piece): the peer answers with its
        // entries of them.
        let mut chunk_leaves: Vec<u32> = {
            let with: HashSet<u32> = entries.iter().map(|(l, _)| *l).collect();
            leaves
                .iter()
                .copied()
                .filter(|l| !with.contains(l))
                .collect()
        };
        let mut chunk = Vec::new();
        let mut bytes = 0;
        let mut i = 0;
        while i < entries.len() {
            let leaf = entries[i].0;
            while i < entries.len() && entries[i].0 == leaf {
                let e = &entries[i].1;
                // About the encoded size; the piece limit is soft.
                bytes += e.key.len()
                    + e.writer.as_str().len()
                    + e.value.as_ref().map_or(0, |v| v.len())
                    + 16;
                chunk.push(entries[i].1.clone());
                i += 1;
            }
            chunk_leaves.push(leaf);
            if bytes >= TRANSFER_CHUNK_BYTES {
                self.send_kv_chunk(to, &mut chunk_leaves, reply, total, &mut chunk);
                bytes = 0;
            }
        }
        if !chunk.is_empty() || !chunk_leaves.is_empty() {
            self.send_kv_chunk(to, &mut chunk_leaves, reply, total, &mut chunk);
        }
    }

    fn send_kv_chunk(
        &mut self,
        to: SocketAddr,
        leaves: &mut Vec<u32>,
        reply: Reply,
        total: u64,
        entries: &mut Vec<KvUpdate>,
    ) {
        leaves.sort_unstable();
        self.stats.store_entries_sent += entries.len() as u64;
        let msg = Message::KvEntries(KvEntries {
            leaves: std::mem::take(leaves),
            reply: reply.wanted(),
            total,
            entries: std::mem::take(entries),
        });
        self.send_stream(to, &msg);
    }

    fn send_state_leaves(&mut self, to: SocketAddr, leaves: &[u32], reply: Reply) {
        let owners = self.store.states.owners_in(leaves);
        if owners.is_empty() && reply == Reply::Not {
            return;
        }
        self.stats.store_entries_sent += owners.iter().map(|o| o.entries.len() as u64).sum::<u64>();
        let msg = Message::StateEntries(StateEntries {
            leaves: leaves.to_vec(),
            reply: reply.wanted(),
            owners,
        });
        self.send_stream(to, &msg);
    }

    /// A peer's map entries of some leaves: merge them; answer with ours if asked.
    pub(super) fn on_kv_entries(&mut self, now: Instant, from: SocketAddr, e: KvEntries) {
        self.store_differs(now);
        let received = e.entries.len();
        let mut new = 0;
        let mut skip = HashSet::with_capacity(if e.reply { received } else { 0 });
        for u in e.entries {
            if e.reply {
                skip.insert((u.key.clone(), u.stamp));
            }
            // A repair brings bulk: recorded, not gossiped on.
            if self.record_kv(now, &u, Some(from)) {
                new += 1;
            }
        }
        self.stats.store_entries_received += received as u64;
        if received > 0 {
            self.emit_store(StoreEvent::KvTransfer {
                from,
                received,
                new,
                total: e.total,
            });
        }
        if e.reply && self.may_answer(now, from, StoreKind::Kv, e.leaves.len()) {
            self.send_kv_leaves(from, &e.leaves, Reply::Not, &skip);
        }
    }

    /// A peer's member states of some leaves: merge them; answer with ours if asked.
    pub(super) fn on_state_entries(&mut self, now: Instant, from: SocketAddr, e: StateEntries) {
        self.store_differs(now);
        for o in &e.owners {
            self.stats.store_entries_received += o.entries.len() as u64;
            if !self.accept_state_from_peer(&o.owner, o.generation) {
                continue;
            }
            if o.entries
                .iter()
                .any(|r| self.refuse_oversized(r.value.as_ref()))
            {
                continue;
            }
            let mut changes = Vec::new();
            self.store.states.merge(o, &mut changes);
            for (key, value) in changes {
                self.emit_store(StoreEvent::State {
                    owner: o.owner.clone(),
                    key,
                    value,
                });
            }
        }
        if e.reply && self.may_answer(now, from, StoreKind::State, e.leaves.len()) {
            self.send_state_leaves(from, &e.leaves, Reply::Not);
        }
    }

    /// Whether `from` may have this node's entries of `leaves` leaves of `store`: only inside
    /// a repair exchange this node opened, within its budget (see
    /// [`crate::store::RepairExchanges`]).
    fn may_answer(
        &mut self,
        now: Instant,
        from: SocketAddr,
        store: StoreKind,
        leaves: usize,
    ) -> bool {
        let ok = self.store.exchanges.answer(from, now, store, leaves);
        if !ok {
            self.stats.refuse(DropReason::UnsolicitedRepair);
        }
        ok
    }
}
