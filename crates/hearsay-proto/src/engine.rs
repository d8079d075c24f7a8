//! The engine: one node's protocol state machine, driven by its caller.
//!
//! # Contract
//! - `now` never goes backwards between calls.
//! - After any `handle_*` call or command, the driver drains [`Engine::poll_transmit`] and
//!   [`Engine::poll_event`], then sleeps until [`Engine::poll_timeout`] (or until input arrives)
//!   and calls [`Engine::handle_timeout`]. Spurious or late timeouts are harmless.
//! - A [`Transmit`] of kind [`TransmitKind::Stream`] is one reliable message: the driver delivers
//!   it whole (for example as a length-prefixed frame over TCP) and hands it to the receiver's
//!   [`Engine::handle_stream`] with `from` set to an address where replies reach the sender.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand::seq::IndexedRandom;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use xxhash_rust::xxh3::xxh3_64;

use crate::awareness::Awareness;
use crate::event::{Cause, Event, EventKind, MemberView, Via};
use crate::gossip::GossipQueue;
use crate::intern::{Record, intern_all};
use crate::member::{Draft, Member, Members, Slot, share_if_empty};
use crate::probe::Prober;
use crate::seen::SeenFilter;
use crate::store::Stores;
use crate::suspicion::Suspicions;
use crate::sync::SyncState;
use crate::update::{Tombstone, Update};
use crate::wire::{self, Dead, MemberState, Message, Meta, State};
use crate::{Config, ConfigError, Name, Stats};

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

/// How a [`Transmit`] must be carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransmitKind {
    /// Best effort, one UDP datagram; never larger than `max_datagram_bytes`.
    Datagram,
    /// Reliable and whole (a TCP stream frame); may be large.
    Stream,
}

/// Bytes the engine wants sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Destination.
    pub to: SocketAddr,
    /// Datagram or stream.
    pub kind: TransmitKind,
    /// The encoded payload.
    pub bytes: Vec<u8>,
}

/// Errors of the engine's commands. Each variant says whether state changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// Metadata larger than `max_meta_bytes`; nothing changed.
    #[error("metadata is {len} bytes; the limit is {max} (max_meta_bytes)")]
    MetaTooLarge {
        /// Size given.
        len: usize,
        /// Configured limit.
        max: usize,
    },
    /// The node has left the cluster; nothing changed. Start a new engine to rejoin.
    #[error("this node has left the cluster; start a new node to rejoin")]
    Left,
    /// A store key that is empty or too long; nothing changed.
    #[error("key is {len} bytes; keys must be 1 to {max} bytes of UTF-8")]
    BadKey {
        /// Length given.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// `kv_copy` of a key this node holds no entry for; nothing was sent.
    #[error("this node holds no entry for the key; write it first")]
    NotHeld,
    /// `kv_copy` asked for more copies than there are live members; nothing was sent.
    #[error("{wanted} copies asked for but only {alive} members are alive; ask for fewer")]
    NotEnoughMembers {
        /// Copies asked for.
        wanted: u32,
        /// Members alive, this one included.
        alive: u32,
    },
    /// A store value over `max_value_bytes`; nothing changed.
    #[error("value is {len} bytes; the limit is {max} (max_value_bytes)")]
    ValueTooLarge {
        /// Size given.
        len: usize,
        /// Configured limit.
        max: usize,
    },
}

/// One node's SWIM + Lifeguard protocol engine. See the module docs for the driving contract.
pub struct Engine {
    pub(crate) config: Config,
    pub(crate) rng: ChaCha8Rng,
    pub(crate) members: Members,
    pub(crate) probe: Prober,
    pub(crate) suspicions: Suspicions,
    pub(crate) awareness: Awareness,
    pub(crate) gossip: GossipQueue,
    pub(crate) sync: SyncState,
    pub(crate) stats: Stats,
    pub(crate) transmits: VecDeque<Transmit>,
    pub(crate) left: bool,
    next_gossip: Instant,
    events: VecDeque<Event>,
    history: VecDeque<Event>,
    /// Dead and left members in order of collection time.
    pub(crate) tombstones: VecDeque<Tombstone>,
    /// Reused decode buffer.
    scratch: Vec<Message>,
    /// News recently received, so that duplicates (each item arrives about
    /// `retransmit_limit` times) are dropped before they are decoded.
    pub(crate) seen: SeenFilter,
    /// Hashes of the news in the datagram being decoded, recorded once it proves valid.
    fresh: Vec<u64>,
    /// Replicated state: per-node key/value and the cluster-wide map.
    pub(crate) store: Stores,
    /// Addresses of forgotten dead members, to reconnect to after a partition heals.
    pub(crate) lost: crate::reconnect::Lost,
}

impl Engine {
    /// Creates an engine for `local`, validating `config`. The node starts alone; call
    /// [`Engine::join`] to reach a cluster.
    pub fn new(config: Config, local: LocalNode, now: Instant) -> Result<Engine, ConfigError> {
        let config = config.validate()?;
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
        let members = Members::new(me, rng.next_u64(), capacity);
        let suspicions = Suspicions::new(rng.next_u64());
        let gossip = GossipQueue::new(rng.next_u64(), config.max_gossip_backlog);
        // Random phases, so that nodes started together do not probe and gossip in lockstep.
        let first_probe = now + jitter(&mut rng, config.probe_interval);
        let first_sync =
            now + config.sync_interval_busy + jitter(&mut rng, config.sync_interval_busy);
        let next_gossip = now + jitter(&mut rng, config.gossip_interval);
        // Seeded from the configuration rather than drawn from `rng`, so that adding the
        // stores left every membership decision of a seeded run as it was.
        let store = Stores::new(
            now,
            config.rng_seed ^ 0x5707_e5ee_d000,
            config.max_store_backlog,
        );
        Ok(Engine {
            store,
            lost: crate::reconnect::Lost::default(),
            awareness: Awareness::new(config.awareness_max_multiplier.get(), config.lifeguard),
            probe: Prober::new(first_probe),
            sync: SyncState::new(first_sync, config.join_retry_initial),
            history: VecDeque::with_capacity(config.history_len.min(64)),
            config,
            rng,
            members,
            suspicions,
            gossip,
            stats: Stats::default(),
            transmits: VecDeque::new(),
            left: false,
            next_gossip,
            events: VecDeque::new(),
            tombstones: VecDeque::new(),
            scratch: Vec::new(),
            seen: SeenFilter::new(),
            fresh: Vec::new(),
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
        let fresh = members.iter().filter(|m| {
            m.state.is_live()
                && m.name != self.members.local().name
                && self.members.slot(m.name.as_str()).is_none()
        });
        let records = intern_all(fresh.map(|m| Record {
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
        self.probe.shrink();
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
        self.broadcast(&me, Some(me.clone()));
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
        self.broadcast(&me, None);
        Ok(())
    }

    /// Handles one datagram received from `from`.
    pub fn handle_datagram(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) {
        self.stats.datagrams_in += 1;
        self.stats.datagram_bytes_in += bytes.len() as u64;
        let mut msgs = std::mem::take(&mut self.scratch);
        let mut fresh = std::mem::take(&mut self.fresh);
        let seen = &self.seen;
        let decoded = wire::decode_datagram_with(bytes, &mut msgs, |frame| {
            let h = xxh3_64(frame);
            if seen.contains(h) {
                return false;
            }
            fresh.push(h);
            true
        });
        match decoded {
            Err(e) => self.stats.drop_input(e.reason()),
            Ok(unknown) => {
                for h in fresh.drain(..) {
                    self.seen.insert(h);
                }
                for _ in 0..unknown {
                    self.stats.drop_input("unknown_kind");
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
                for msg in &msgs {
                    match msg {
                        Message::Ping(p) => self.on_ping(from, p),
                        Message::IndirectPing(r) => self.on_indirect_ping(now, from, r),
                        Message::Ack(a) => self.on_ack(now, *a),
                        Message::Nack(n) => self.on_nack(*n),
                        _ => {}
                    }
                }
            }
        }
        msgs.clear();
        fresh.clear();
        self.scratch = msgs;
        self.fresh = fresh;
    }

    /// Handles one whole stream message received from `from`.
    pub fn handle_stream(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) {
        self.stats.streams_in += 1;
        self.stats.stream_bytes_in += bytes.len() as u64;
        if bytes.len() > self.config.max_stream_bytes {
            self.stats.drop_input("oversized");
            return;
        }
        match wire::decode_stream(bytes) {
            Ok(msg) => self.on_stream_message(now, from, msg),
            Err(e) => self.stats.drop_input(e.reason()),
        }
    }

    /// Runs the timers that are due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.probe_timers(now);
        while let Some(e) = self.suspicions.pop_expired(now) {
            let Some(m) = self.members.by_name(e.name.as_str()) else {
                continue;
            };
            if m.state != State::Suspect
                || m.generation != e.generation
                || m.incarnation != e.incarnation
            {
                continue;
            }
            self.stats.deaths_declared += 1;
            let me = self.members.local().name.clone();
            let mut u = Update::dead(Dead {
                name: e.name,
                generation: e.generation,
                incarnation: e.incarnation,
                from: me,
            });
            u.confirmations = e.confirmations;
            self.apply(now, u, Via::Local);
        }
        if now >= self.next_gossip {
            self.gossip_round(now);
            self.next_gossip = (self.next_gossip + self.config.gossip_interval).max(now);
            if self.next_gossip == now {
                self.next_gossip = now + self.config.gossip_interval;
            }
        }
        self.sync_timers(now);
        self.collect_tombstones(now);
        self.store_timers(now);
    }

    /// The next thing to send, if any.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        let t = self.transmits.pop_front();
        if t.is_none() {
            release_burst(&mut self.transmits);
        }
        t
    }

    /// When [`Engine::handle_timeout`] should be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let news = !self.gossip.is_empty() || !self.store.gossip.is_empty();
        let gossip = news.then_some(self.next_gossip);
        [
            self.probe.next_deadline(self.probing()),
            self.suspicions.next_deadline(),
            gossip,
            self.sync.next_deadline(self.syncing()),
            self.tombstones.front().map(|t| t.expires),
            self.store_next_deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        let e = self.events.pop_front();
        if e.is_none() {
            release_burst(&mut self.events);
        }
        e
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
        self.sync.joined || self.members.len() > 1
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

    pub(crate) fn cause(&self, via: Via, accuser: Option<Name>, confirmations: u32) -> Cause {
        Cause {
            via,
            accuser,
            confirmations,
            local_health: self.awareness.score(),
        }
    }

    /// Records an event about the member in `slot` (as it is now).
    pub(crate) fn emit(&mut self, now: Instant, kind: EventKind, slot: Slot, cause: Cause) {
        let event = Event {
            at: now,
            kind,
            member: self.members.view(self.members.get(slot)),
            cause,
        };
        if self.history.len() >= self.config.history_len {
            self.history.pop_front();
        }
        self.history.push_back(event.clone());
        if self.events.len() >= self.config.max_pending_events {
            self.events.pop_front();
            self.stats.events_dropped += 1;
        }
        self.events.push_back(event);
    }

    /// Up to `k` distinct random members other than this node that satisfy `accept`.
    pub(crate) fn random_members(
        &mut self,
        k: usize,
        accept: impl Fn(&Member) -> bool,
    ) -> Vec<Slot> {
        let n = self.members.len();
        if n <= 1 || k == 0 {
            return Vec::new();
        }
        let mut out = Vec::with_capacity(k);
        if n > 4 * k + 16 {
            // Large table: sample, with a bounded number of tries.
            for _ in 0..(8 * k + 32) {
                let slot = self.rng.random_range(1..n) as Slot;
                if !out.contains(&slot) && accept(self.members.get(slot)) {
                    out.push(slot);
                    if out.len() == k {
                        return out;
                    }
                }
            }
        }
        let candidates: Vec<Slot> = (1..n as Slot)
            .filter(|s| !out.contains(s) && accept(self.members.get(*s)))
            .collect();
        let missing = k - out.len();
        out.extend(candidates.choose_multiple(&mut self.rng, missing).copied());
        out
    }
}

/// Gives back the memory of a drained queue that a burst grew (a state transfer of N members
/// queues N events at once); without this, every engine of a large simulation would keep
/// N events' worth of capacity for good.
fn release_burst<T>(queue: &mut VecDeque<T>) {
    const KEEP: usize = 64;
    if queue.is_empty() && queue.capacity() > 16 * KEEP {
        queue.shrink_to(KEEP);
    }
}

/// A uniformly random duration in `[0, max)`.
fn jitter(rng: &mut ChaCha8Rng, max: Duration) -> Duration {
    let nanos = max.as_nanos().min(u128::from(u64::MAX)) as u64;
    Duration::from_nanos(rng.random_range(0..nanos.max(1)))
}
