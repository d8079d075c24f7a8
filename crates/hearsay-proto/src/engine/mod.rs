//! The engine: one node's protocol state machine, driven by its caller. This file is its
//! front: the inputs, the dispatch of every datagram and stream message, the timer table, the
//! two ways of sending, and the outputs. The work itself is done by the parts the engine owns
//! (each in a file of its own, keeping its state behind its methods) and by the handlers in
//! this folder, which wire the parts together.
//!
//! # Contract
//! - `now` never goes backwards between calls.
//! - After any `handle_*` call or command, the driver drains [`Engine::poll_transmit`],
//!   [`Engine::poll_event`], [`Engine::poll_store_event`] and [`Engine::poll_user`], then sleeps until [`Engine::poll_timeout`] (or until input arrives)
//!   and calls [`Engine::handle_timeout`]. Spurious or late timeouts are harmless.
//! - A [`Transmit`] of kind [`TransmitKind::Stream`] is one reliable message: the driver delivers
//!   it whole (for example as a length-prefixed frame over TCP) and hands it to the receiver's
//!   [`Engine::handle_stream`] with `from` set to an address where replies reach the sender.
//!
//! # Where each message and timer is handled
//!
//! | message (kind) | carried by | handled in | state it touches |
//! |---|---|---|---|
//! | `Ping` (1), `IndirectPing` (2), `Ack` (3), `Nack` (4) | datagram | `engine/probing.rs` | `probe.rs` (`Prober`) |
//! | `Alive` (5), `Suspect` (6), `Dead` (7) | datagram | `engine/claims.rs` | `member.rs`, `suspicion.rs`, `update.rs` |
//! | `PushPull` (8) | stream | `engine/syncing.rs` (`on_push_pull`) | `sync.rs` (`Joining`) |
//! | `SyncDigest` (9), `SyncBuckets` (10), `SyncEntries` (11) | stream | `engine/syncing.rs` | `sync.rs` (`SyncState`), `digest.rs` |
//! | `StateUpdate` (12), `KvUpdate` (13) | datagram or stream | `engine/store_spread.rs` | `store/node_state.rs`, `store/kv.rs` |
//! | `StoreHashes` (14), `KvEntries` (15), `StateEntries` (16) | stream | `engine/store_repair.rs` | `store/tree.rs` |
//! | `KvCopy` (17), `KvHeld` (18) | stream | `engine/store_copies.rs` | `store/schedule.rs` (`Copies`) |
//! | `UserMsg` (19) | datagram or stream | `engine/broadcasting.rs` (queries: `engine/querying.rs`) | `user/dedupe.rs`, `user/retention.rs`, `user/tree.rs`, `user/flood.rs` |
//! | `IHave` (20), `Graft` (21), `Prune` (22) | datagram | `engine/broadcasting.rs` | `user/tree.rs` |
//! | `QueryAnswer` (23), `QueryNudge` (25) | datagram or stream | `engine/querying.rs` | `user/queries.rs` |
//! | `EventSummary` (24) | stream | `engine/event_repair.rs` | `user/dedupe.rs`, `user/retention.rs` |
//!
//! | timer ([`crate::timer::Timer`]) | runs in | state it reads |
//! |---|---|---|
//! | `Relay`, `ProbePhase`, `Probe` | `engine/probing.rs` | `probe.rs` (`Prober`) |
//! | `Suspicion` | `engine/claims.rs` | `suspicion.rs` |
//! | `Gossip` | `engine/gossiping.rs` | `gossip.rs`, this file (`next_gossip`) |
//! | `Join` | `engine/syncing.rs` | `sync.rs` (`Joining`) |
//! | `Sync` | `engine/syncing.rs` | `sync.rs` (`SyncState`) |
//! | `Reconnect` | `engine/syncing.rs`, `engine/reconnecting.rs` | `sync.rs` (`SyncState`), `reconnect.rs` (`Lost`) |
//! | `Tombstone` | `engine/claims.rs` | `update.rs` (`Tombstones`) |
//! | `StorePush` | `engine/store_repair.rs` | `store/schedule.rs` (`PushSchedule`) |
//! | `CopyWait` | `engine/store_copies.rs` | `store/schedule.rs` (`Copies`) |
//! | `StateTtl`, `StateTombstone`, `KvGc` | `engine/store_commands.rs` | `store/schedule.rs` |
//! | `TreeFlush`, `TreeGraft`, `TreeLinks` | `engine/broadcasting.rs` | `user/tree.rs` |
//! | `EventRepair` | `engine/event_repair.rs` | `user/retention.rs`, `user/dedupe.rs` |
//! | `QueryDeadline` | `engine/querying.rs` | `user/queries.rs` |
//!
//! Commands: membership ones (`join`, `leave`, `set_meta`, `restore`) are here; the stores'
//! (`state_*`, `kv_*`) are in `engine/store_commands.rs` and `engine/store_copies.rs`; user
//! events (`broadcast`, `poll_user`) in `engine/broadcasting.rs`, queries (`query`,
//! `respond`) in `engine/querying.rs`.

mod broadcasting;
mod claims;
mod event_repair;
mod gossiping;
mod probing;
mod querying;
mod reconnecting;
mod store_commands;
mod store_copies;
mod store_repair;
mod store_spread;
mod syncing;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use xxhash_rust::xxh3::xxh3_64;

use crate::awareness::Awareness;
use crate::config::{Config, ConfigError};
use crate::error::CommandError;
use crate::event::{Cause, Event, EventKind, MemberView, Outbox, Via};
use crate::gossip::GossipQueue;
use crate::intern::{MemoryUse, Record, Sharing};
use crate::member::{Draft, Members, Slot, share_if_empty};
use crate::name::Name;
use crate::probe::Prober;
use crate::reconnect::Lost;
use crate::seen::SeenFilter;
use crate::stats::DropReason;
use crate::stats::Stats;
use crate::store::Stores;
use crate::suspicion::Suspicions;
use crate::sync::{Joining, SyncState};
use crate::timer::Timer;
use crate::transmit::{Transmit, TransmitKind};
use crate::update::{Tombstones, Update};
use crate::user::{Arrival, UserLayer};
use crate::wire::{self, MemberState, Message, Meta, State};

/// Who this node is: fixed for the lifetime of an engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalNode {
    /// Unique in the cluster, stable across restarts.
    pub name: Name,
    /// The address other members reach this node at (the advertise address).
    pub addr: SocketAddr,
    /// Distinguishes this start of the node from earlier ones; must grow from one start to
    /// the next (for example milliseconds since the Unix epoch at start).
    pub generation: u64,
    /// Initial application metadata.
    pub meta: Meta,
}

/// One node's SWIM + Lifeguard protocol engine. See the module docs for the driving contract.
pub struct Engine {
    config: Config,
    rng: ChaCha8Rng,
    /// The membership table (this node is slot 0).
    members: Members,
    probe: Prober,
    suspicions: Suspicions,
    awareness: Awareness,
    /// Membership news waiting to be piggybacked.
    gossip: GossipQueue,
    next_gossip: Instant,
    joining: Joining,
    sync: SyncState,
    /// Dead and left members waiting to be forgotten.
    tombstones: Tombstones,
    /// Addresses of forgotten dead members, to reconnect to after a partition heals.
    lost: Lost,
    /// Replicated state: per-node key/value and the cluster-wide map.
    store: Stores,
    /// The application's messages: user events and queries.
    user: UserLayer,
    stats: Stats,
    left: bool,
    transmits: Outbox<Transmit>,
    events: Outbox<Event>,
    /// The last `history_len` events, for `history`.
    history: VecDeque<Event>,
    /// Reused decode buffer.
    scratch: Vec<Message>,
    /// News recently received, so that duplicates (each item arrives about
    /// `retransmit_limit` times) are dropped before they are decoded.
    seen: SeenFilter,
    /// Hashes of the news in the datagram being decoded, recorded once it proves valid.
    unseen: Vec<u64>,
    memory: MemoryUse,
}

impl Engine {
    /// Creates an engine for `local`, validating `config`. The node starts alone; call
    /// [`Engine::join`] to reach a cluster. Its member records are its own; engines of one
    /// process can share them with [`Engine::with_sharing`].
    pub fn new(config: Config, local: LocalNode, now: Instant) -> Result<Engine, ConfigError> {
        Engine::with_sharing(config, local, now, Sharing::per_engine())
    }

    /// As [`Engine::new`], interning member records in `sharing` (clone one [`Sharing`] for
    /// every engine of a process that hosts many) under its memory policy.
    pub fn with_sharing(
        config: Config,
        local: LocalNode,
        now: Instant,
        sharing: Sharing,
    ) -> Result<Engine, ConfigError> {
        let config = config.validate()?;
        let memory = sharing.memory();
        let mut rng = ChaCha8Rng::seed_from_u64(config.rng_seed);
        let me = Draft {
            name: local.name,
            addr: local.addr,
            meta: share_if_empty(local.meta),
            generation: local.generation,
            incarnation: 0,
            state: State::Alive,
            since: now,
        };
        let capacity = config.expected_members.get() as usize;
        let members = Members::new(me, rng.next_u64(), capacity, sharing);
        let suspicions = Suspicions::new(rng.next_u64());
        let gossip = GossipQueue::new(rng.next_u64(), config.max_gossip_backlog);
        // Random phases, so that nodes started together do not probe and gossip in lockstep.
        let first_probe = now + jitter(&mut rng, config.probe_interval);
        let first_sync =
            now + config.sync_interval_busy + jitter(&mut rng, config.sync_interval_busy);
        let next_gossip = now + jitter(&mut rng, config.gossip_interval);
        // Seeded from the configuration rather than drawn from `rng`: the stores' randomness
        // stays apart from membership's, so store traffic never shifts membership decisions.
        let store = Stores::new(
            now,
            config.rng_seed ^ 0x5707_e5ee_d000,
            config.max_store_backlog,
            memory,
        );
        let user = UserLayer::new(&config, now, memory);
        Ok(Engine {
            store,
            user,
            lost: Lost::default(),
            awareness: Awareness::new(config.awareness_max_multiplier.get(), config.lifeguard),
            probe: Prober::new(first_probe),
            joining: Joining::new(config.join_retry_initial),
            sync: SyncState::new(first_sync),
            history: VecDeque::with_capacity(config.history_len.min(64)),
            config,
            rng,
            members,
            suspicions,
            gossip,
            stats: Stats::default(),
            transmits: Outbox::new(memory),
            left: false,
            next_gossip,
            events: Outbox::new(memory),
            tombstones: Tombstones::default(),
            scratch: Vec::new(),
            seen: SeenFilter::new(),
            unseen: Vec::new(),
            memory,
        })
    }

    /// Starts joining through `seeds` (addresses of any members). Retries with backoff until a
    /// seed answers; calling it again adds seeds and retries at once.
    pub fn join(&mut self, now: Instant, seeds: &[SocketAddr]) {
        self.start_join(now, seeds);
    }

    /// Loads members this node knew before (a snapshot kept by the driver across a restart, or
    /// a simulation that starts from converged views) without events or gossip. Live entries
    /// become alive members this node probes and syncs with; entries about this node, tombstones
    /// and members already known are skipped. Call it before [`Engine::join`].
    pub fn restore(&mut self, now: Instant, members: &[MemberState]) {
        let unknown = members.iter().filter(|m| {
            m.state.is_live()
                && m.name != self.members.local().name
                && self.members.slot(m.name.as_str()).is_none()
        });
        let records = self.members.intern_all(unknown.map(|m| Record {
            name: m.name.clone(),
            addr: m.addr,
            meta: share_if_empty(m.meta.clone()),
            generation: m.generation,
            incarnation: m.incarnation,
        }));
        for record in records {
            // A list naming a member twice: keep the first.
            if self.members.slot(record.name.as_str()).is_some() {
                continue;
            }
            let slot = self.members.insert_shared(record, State::Alive, now);
            self.probe.add(slot, &mut self.rng);
        }
        if self.memory == MemoryUse::Compact {
            self.probe.shrink();
        }
    }

    /// Announces a graceful departure. The engine keeps answering probes and gossiping the
    /// news until the driver drops it; wait about `gossip_interval * 5` before doing so.
    pub fn leave(&mut self, now: Instant) {
        if self.left {
            return;
        }
        self.left = true;
        self.members.update(0, |m| {
            m.state = State::Left;
            m.since = now;
        });
        let me = self.members.local().name.clone();
        let cause = self.cause(Via::Local, Some(me.clone()), 0);
        self.emit(now, EventKind::Left, 0, cause);
        self.queue_news(&me, Some(me.clone()));
        self.gossip_round(now);
    }

    /// Publishes new metadata for this node (raises its incarnation).
    pub fn set_meta(&mut self, now: Instant, meta: Meta) -> Result<(), CommandError> {
        if self.left {
            return Err(CommandError::Left);
        }
        if meta.len() > self.config.max_meta_bytes {
            return Err(CommandError::MetaTooLarge {
                len: meta.len(),
                max: self.config.max_meta_bytes,
            });
        }
        self.members.update(0, |m| {
            m.meta = meta;
            m.incarnation += 1;
        });
        let me = self.members.local().name.clone();
        let cause = self.cause(Via::Local, None, 0);
        self.emit(now, EventKind::Updated, 0, cause);
        self.queue_news(&me, None);
        Ok(())
    }

    /// Handles one datagram received from `from`.
    pub fn handle_datagram(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) {
        self.stats.datagrams_in += 1;
        self.stats.datagram_bytes_in += bytes.len() as u64;
        let mut msgs = std::mem::take(&mut self.scratch);
        let mut unseen = std::mem::take(&mut self.unseen);
        let seen = &self.seen;
        let decoded = wire::decode_datagram_with(bytes, &mut msgs, |frame| {
            let h = xxh3_64(frame);
            if seen.contains(h) {
                return false;
            }
            unseen.push(h);
            true
        });
        match decoded {
            Err(e) => self.stats.refuse(e.reason()),
            Ok(unknown) => {
                for h in unseen.drain(..) {
                    self.seen.insert(h);
                }
                for _ in 0..unknown {
                    self.stats.refuse(DropReason::UnknownKind);
                }
                // News first, so that a refutation triggered by a piggybacked suspicion rides
                // on the ack we are about to send.
                for msg in &msgs {
                    match msg {
                        Message::Alive(a) => {
                            self.apply(now, Update::alive(a.clone()), Via::Gossip(from))
                        }
                        Message::Suspect(s) => {
                            let u = Update::suspect(
                                s.name.clone(),
                                s.generation,
                                s.incarnation,
                                s.from.clone(),
                            );
                            self.apply(now, u, Via::Gossip(from));
                        }
                        Message::Dead(d) => {
                            self.apply(now, Update::dead(d.clone()), Via::Gossip(from))
                        }
                        Message::StateUpdate(_) | Message::KvUpdate(_) => {
                            self.on_store_update(now, from, msg.clone())
                        }
                        _ => {}
                    }
                }
                for msg in msgs.drain(..) {
                    match msg {
                        Message::Ping(p) => self.on_ping(from, &p),
                        Message::IndirectPing(r) => self.on_indirect_ping(now, from, &r),
                        Message::Ack(a) => self.on_ack(now, a),
                        Message::Nack(n) => self.on_nack(n),
                        Message::UserMsg(m) => self.on_user_msg(now, from, m, Arrival::Pushed),
                        Message::IHave(i) => self.on_ihave(now, from, i),
                        Message::Graft(g) => self.on_graft(now, from, g),
                        Message::Prune(p) => self.on_prune(now, from, p),
                        Message::QueryAnswer(a) => self.on_query_answer(now, from, a),
                        Message::QueryNudge(n) => self.on_query_nudge(now, n),
                        _ => {}
                    }
                }
            }
        }
        msgs.clear();
        unseen.clear();
        self.scratch = msgs;
        self.unseen = unseen;
    }

    /// Handles one whole stream message received from `from`.
    pub fn handle_stream(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) {
        self.stats.streams_in += 1;
        self.stats.stream_bytes_in += bytes.len() as u64;
        if bytes.len() > self.config.max_stream_bytes {
            self.stats.refuse(DropReason::Oversized);
            return;
        }
        let msg = match wire::decode_stream(bytes) {
            Ok(msg) => msg,
            Err(e) => return self.stats.refuse(e.reason()),
        };
        match msg {
            Message::PushPull(pp) => self.on_push_pull(now, from, pp),
            Message::SyncDigest(d) => self.on_sync_digest(now, from, d),
            Message::SyncBuckets(b) => self.on_sync_buckets(now, from, b),
            Message::SyncEntries(e) => self.on_sync_entries(now, from, e),
            Message::StateUpdate(_) | Message::KvUpdate(_) => self.on_store_update(now, from, msg),
            Message::StoreHashes(h) => self.on_store_hashes(now, from, h),
            Message::KvEntries(e) => self.on_kv_entries(now, from, e),
            Message::StateEntries(e) => self.on_state_entries(now, from, e),
            Message::KvCopy(c) => self.on_kv_copy(now, from, c),
            Message::KvHeld(h) => self.on_kv_held(from, h),
            Message::UserMsg(m) => self.on_user_msg(now, from, m, Arrival::Pulled),
            Message::QueryAnswer(a) => self.on_query_answer(now, from, a),
            Message::EventSummary(s) => self.on_event_summary(now, from, s),
            _ => self.stats.refuse(DropReason::DatagramOnlyOnStream),
        }
    }

    /// Runs the timers that are due at `now`, in the order of the timer table (`Timer::ALL`).
    pub fn handle_timeout(&mut self, now: Instant) {
        for &timer in Timer::ALL {
            self.fire(timer, now);
        }
    }

    /// The next thing to send, if any.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop()
    }

    /// When [`Engine::handle_timeout`] should be called next: the earliest deadline of any
    /// timer of the timer table (`Timer::ALL`).
    pub fn poll_timeout(&self) -> Option<Instant> {
        Timer::ALL.iter().filter_map(|&t| self.deadline(t)).min()
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop()
    }

    /// This node's own record.
    pub fn local(&self) -> MemberView {
        self.members.view(self.members.local())
    }

    /// Every member this node knows, itself and tombstones included, in table order.
    pub fn members(&self) -> impl Iterator<Item = MemberView> + '_ {
        self.members.iter().map(|m| self.members.view(m))
    }

    /// One member by name.
    pub fn member(&self, name: &str) -> Option<MemberView> {
        self.members.by_name(name).map(|m| self.members.view(m))
    }

    /// This node's incarnation (cheaper than [`Engine::local`]).
    pub fn incarnation(&self) -> u32 {
        self.members.local().incarnation
    }

    /// Members known, tombstones included.
    pub fn member_count(&self) -> usize {
        self.members.len()
    }

    /// Members alive or suspect in this node's view, itself included.
    pub fn live_count(&self) -> usize {
        self.members.live()
    }

    /// Members alive (not suspect) in this node's view, itself included.
    pub fn alive_count(&self) -> usize {
        self.members.alive()
    }

    /// Root of the live-set digest (see [`crate::digest`]): equal on two nodes whose alive and
    /// suspect members agree on generation and incarnation.
    pub fn digest_root(&self) -> u64 {
        self.members.digest().root()
    }

    /// Lifeguard's local health score (0 = healthy).
    pub fn health_score(&self) -> u32 {
        self.awareness.score()
    }

    /// Whether a seed has answered (or another member reached us).
    pub fn is_joined(&self) -> bool {
        self.joining.joined() || self.members.len() > 1
    }

    /// Counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// News waiting to be gossiped.
    pub fn gossip_backlog(&self) -> usize {
        self.gossip.len()
    }

    /// Recent state changes of `name`, oldest first (from a bounded log of `history_len`
    /// changes of all members).
    pub fn history<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Event> + 'a {
        self.history
            .iter()
            .filter(move |e| e.member.name.as_str() == name)
    }

    /// The bounded log of recent state changes of all members, oldest first.
    pub fn recent_events(&self) -> impl Iterator<Item = &Event> + '_ {
        self.history.iter()
    }

    /// The timer table's deadlines: when `timer` wants to run next, if at all.
    fn deadline(&self, timer: Timer) -> Option<Instant> {
        let probing = self.probing();
        match timer {
            Timer::Relay => self.probe.relay_deadline(),
            Timer::ProbePhase => self.probe.phase_deadline(),
            Timer::Probe => self.probe.next_probe_deadline(probing),
            Timer::Suspicion => self.suspicions.next_deadline(),
            Timer::Gossip => self.news_waiting().then_some(self.next_gossip),
            Timer::Join => self.joining.deadline(),
            Timer::Sync => self.syncing().then(|| self.sync.deadline()),
            Timer::Reconnect => self.syncing().then(|| self.sync.reconnect_deadline()),
            Timer::Tombstone => self.tombstones.deadline(),
            Timer::StorePush => self.store.push.deadline(),
            Timer::CopyWait => self.store.copies.deadline(),
            Timer::StateTtl => self.store.ttls.deadline(),
            Timer::StateTombstone => self
                .store
                .own_tombstones
                .deadline(self.config.tombstone_grace),
            Timer::KvGc => self.store.kv_gc.deadline(self.kv_has_tombstones()),
            Timer::TreeFlush => self.user.tree.flush_deadline(),
            Timer::TreeGraft => self.user.tree.graft_deadline(),
            Timer::TreeLinks => self.user.next_links,
            Timer::EventRepair => (self.user.is_active() && !self.user.retention.is_empty())
                .then_some(self.user.next_repair),
            Timer::QueryDeadline => self.user.queries.deadline(),
        }
    }

    /// The timer table's actions: runs `timer` if it is due at `now` (each checks itself).
    fn fire(&mut self, timer: Timer, now: Instant) {
        match timer {
            Timer::Relay => self.relay_timer(now),
            Timer::ProbePhase => self.probe_phase_timer(now),
            Timer::Probe => self.probe_timer(now),
            Timer::Suspicion => self.suspicion_timer(now),
            Timer::Gossip => self.gossip_timer(now),
            Timer::Join => self.join_timer(now),
            Timer::Sync => self.sync_timer(now),
            Timer::Reconnect => self.reconnect_timer(now),
            Timer::Tombstone => self.tombstone_timer(now),
            Timer::StorePush => self.store_push_timer(now),
            Timer::CopyWait => self.copy_wait_timer(now),
            Timer::StateTtl => self.state_ttl_timer(now),
            Timer::StateTombstone => self.state_tombstone_timer(now),
            Timer::KvGc => self.kv_gc_timer(now),
            Timer::TreeFlush => self.tree_flush_timer(now),
            Timer::TreeGraft => self.tree_graft_timer(now),
            Timer::TreeLinks => self.tree_links_timer(now),
            Timer::EventRepair => self.event_repair_timer(now),
            Timer::QueryDeadline => self.query_deadline_timer(now),
        }
    }

    /// Timer [`Timer::Gossip`]: a gossip round every `gossip_interval`.
    fn gossip_timer(&mut self, now: Instant) {
        if now < self.next_gossip {
            return;
        }
        self.gossip_round(now);
        self.flood_round();
        self.next_gossip = (self.next_gossip + self.config.gossip_interval).max(now);
        if self.next_gossip == now {
            self.next_gossip = now + self.config.gossip_interval;
        }
    }

    /// Whether membership or store news waits to be piggybacked.
    fn news_waiting(&self) -> bool {
        !self.gossip.is_empty() || !self.store.gossip.is_empty() || self.user_news_waiting()
    }

    /// Sends one datagram to `to`: `first` messages, then as much queued news as fits.
    fn send_datagram(&mut self, to: SocketAddr, first: &[Message]) {
        let max = self.config.max_datagram_bytes;
        let news = self.news_waiting();
        let mut buf = Vec::with_capacity(if news { max } else { 64 });
        wire::start_datagram(&mut buf);
        for m in first {
            wire::encode_message(m, &mut buf);
        }
        debug_assert!(buf.len() <= max);
        self.piggyback_ihaves(to, &mut buf, max);
        if news {
            let limit = self.config.retransmit_limit(self.members.live());
            // Membership news first: failure detection must not wait behind data.
            self.gossip.pack(limit, &mut buf, max);
            // Store news is also pushed-and-pulled while it is fresh (see
            // `Engine::store_push_timer`), so piggybacking needs fewer repeats than membership
            // news, whose only other way is the much slower anti-entropy.
            self.store
                .gossip
                .pack(limit.div_ceil(3).max(2), &mut buf, max);
        }
        self.push_datagram(to, buf);
    }

    /// Queues one finished datagram.
    fn push_datagram(&mut self, to: SocketAddr, bytes: Vec<u8>) {
        self.stats.datagrams_out += 1;
        self.stats.datagram_bytes_out += bytes.len() as u64;
        self.transmits.push(Transmit {
            to,
            kind: TransmitKind::Datagram,
            bytes,
        });
    }

    /// Queues one stream message to `to`, if it respects `max_stream_bytes`.
    fn send_stream(&mut self, to: SocketAddr, msg: &Message) {
        let mut bytes = Vec::new();
        wire::encode_stream(msg, &mut bytes);
        if bytes.len() > self.config.max_stream_bytes {
            self.stats.streams_too_large += 1;
            return;
        }
        self.stats.streams_out += 1;
        self.stats.stream_bytes_out += bytes.len() as u64;
        self.transmits.push(Transmit {
            to,
            kind: TransmitKind::Stream,
            bytes,
        });
    }

    fn cause(&self, via: Via, accuser: Option<Name>, confirmations: u32) -> Cause {
        Cause {
            via,
            accuser,
            confirmations,
            local_health: self.awareness.score(),
        }
    }

    /// Records an event about the member in `slot` (as it is now).
    fn emit(&mut self, now: Instant, kind: EventKind, slot: Slot, cause: Cause) {
        let event = Event {
            at: now,
            kind,
            member: self.members.view(self.members.get(slot)),
            cause,
        };
        self.user_member_gone(now, &event.member.name, kind);
        if self.history.len() >= self.config.history_len {
            self.history.pop_front();
        }
        self.history.push_back(event.clone());
        if self
            .events
            .push_bounded(event, self.config.max_pending_events)
        {
            self.stats.events_dropped += 1;
        }
    }
}

/// A uniformly random duration in `[0, max)`.
fn jitter(rng: &mut ChaCha8Rng, max: Duration) -> Duration {
    let nanos = max.as_nanos().min(u128::from(u64::MAX)) as u64;
    Duration::from_nanos(rng.random_range(0..nanos.max(1)))
}
