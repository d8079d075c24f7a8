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
use crate::member::{Draft, Member, Members, Slot, Version, empty_meta, share_if_empty};
use crate::probe::Prober;
use crate::suspicion::{Bounds, Suspicions};
use crate::sync::SyncState;
use crate::wire::{self, Alive, Dead, MemberState, Message, Meta, State};
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
    tombstones: VecDeque<Tombstone>,
    /// Reused decode buffer.
    scratch: Vec<Message>,
    /// News recently received, so that duplicates (each item arrives about
    /// `retransmit_limit` times) are dropped before they are decoded.
    seen: SeenFilter,
    /// Hashes of the news in the datagram being decoded, recorded once it proves valid.
    fresh: Vec<u64>,
}

/// A direct-mapped set of 64-bit hashes of recently received news frames. Forgetting is
/// harmless (the news is decoded and applied again, which is idempotent); a false "seen"
/// would need a 64-bit hash collision.
struct SeenFilter {
    slots: Box<[u64]>,
}

impl SeenFilter {
    const SLOTS: usize = 1024;

    fn new() -> SeenFilter {
        SeenFilter {
            slots: vec![0; Self::SLOTS].into_boxed_slice(),
        }
    }

    fn contains(&self, h: u64) -> bool {
        h != 0 && self.slots[(h % Self::SLOTS as u64) as usize] == h
    }

    fn insert(&mut self, h: u64) {
        self.slots[(h % Self::SLOTS as u64) as usize] = h;
    }
}

/// A dead or left member waiting to be forgotten.
struct Tombstone {
    expires: Instant,
    name: Name,
    generation: u64,
    incarnation: u32,
}

/// A claim about a member, from any source, before it is checked against the table.
#[derive(Debug, Clone)]
pub(crate) struct Update {
    pub name: Name,
    pub generation: u64,
    pub incarnation: u32,
    pub state: State,
    pub addr: Option<SocketAddr>,
    pub meta: Option<Meta>,
    /// Who suspected or declared it dead.
    pub accuser: Option<Name>,
    /// Confirmations behind a death verdict reached here.
    pub confirmations: u32,
}

impl Update {
    pub fn alive(a: Alive) -> Update {
        Update {
            name: a.name,
            generation: a.generation,
            incarnation: a.incarnation,
            state: State::Alive,
            addr: Some(a.addr),
            meta: Some(a.meta),
            accuser: None,
            confirmations: 0,
        }
    }

    pub fn suspect(name: Name, generation: u64, incarnation: u32, from: Name) -> Update {
        Update {
            name,
            generation,
            incarnation,
            state: State::Suspect,
            addr: None,
            meta: None,
            accuser: Some(from),
            confirmations: 0,
        }
    }

    pub fn dead(d: Dead) -> Update {
        let state = if d.is_leave() {
            State::Left
        } else {
            State::Dead
        };
        Update {
            name: d.name,
            generation: d.generation,
            incarnation: d.incarnation,
            state,
            addr: None,
            meta: None,
            accuser: Some(d.from),
            confirmations: 0,
        }
    }

    /// From a state transfer; a suspect entry counts as alive (see `Engine::merge`).
    pub fn from_state(m: MemberState) -> Update {
        let state = if m.state == State::Suspect {
            State::Alive
        } else {
            m.state
        };
        let accuser = (m.state == State::Left).then(|| m.name.clone());
        Update {
            name: m.name,
            generation: m.generation,
            incarnation: m.incarnation,
            state,
            addr: Some(m.addr),
            meta: Some(m.meta),
            accuser,
            confirmations: 0,
        }
    }

    fn version(&self) -> Version {
        Version {
            generation: self.generation,
            incarnation: self.incarnation,
            state: self.state,
        }
    }
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
        Ok(Engine {
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
        let gossip = (!self.gossip.is_empty()).then_some(self.next_gossip);
        [
            self.probe.next_deadline(self.probing()),
            self.suspicions.next_deadline(),
            gossip,
            self.sync.next_deadline(self.syncing()),
            self.tombstones.front().map(|t| t.expires),
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

    /// Checks a claim about a member against the table and applies it if it wins, passing
    /// the news on by gossip.
    pub(crate) fn apply(&mut self, now: Instant, u: Update, via: Via) {
        self.apply_with(now, u, via, true);
    }

    /// As [`Engine::apply`]; `spread_new` says whether a member learned for the first time is
    /// gossiped. State transfers pass false: in a join wave they bring thousands of members that
    /// anti-entropy spreads by itself, and gossiping them all would swamp the queue. A change to
    /// a known member (a death, a refutation, an update) is always gossiped, whatever its
    /// source, so that its subject hears of it and can refute.
    pub(crate) fn apply_with(&mut self, now: Instant, u: Update, via: Via, spread_new: bool) {
        if u.name == self.members.local().name {
            self.about_self(now, u);
            return;
        }
        let Some(slot) = self.members.slot(u.name.as_str()) else {
            self.learn(now, u, via, spread_new);
            return;
        };
        let old = self.members.get(slot);
        let (old_state, old_generation) = (old.state, old.generation);
        if !u.version().supersedes(old.version()) {
            let same = u.generation == old.generation && u.incarnation == old.incarnation;
            if same && u.state == State::Suspect && old_state == State::Suspect {
                if let Some(accuser) = &u.accuser {
                    if self
                        .suspicions
                        .confirm(&u.name, u.generation, u.incarnation, accuser)
                    {
                        self.broadcast(&u.name, Some(accuser.clone()));
                    }
                }
            }
            return;
        }
        // Suspicion only applies to members believed live: a tombstone is not "suspected".
        if u.state == State::Suspect && !old_state.is_live() {
            return;
        }
        let kind = match (old_state, u.state) {
            (_, State::Alive) if u.generation != old_generation => EventKind::Up,
            (State::Dead | State::Left, State::Alive) => EventKind::Up,
            (State::Suspect, State::Alive) => EventKind::Recovered,
            (_, State::Alive) => EventKind::Updated,
            (_, State::Suspect) => EventKind::Suspect,
            (_, State::Dead) => EventKind::Down,
            (_, State::Left) => EventKind::Left,
        };
        let restarted = u.generation != old_generation;
        self.members.update(slot, |m| {
            if m.state != u.state || restarted {
                m.since = now;
            }
            m.generation = u.generation;
            m.incarnation = u.incarnation;
            m.state = u.state;
            if let Some(addr) = u.addr {
                m.addr = addr;
            }
            if let Some(meta) = &u.meta {
                m.meta = share_if_empty(meta.clone());
            }
        });
        let mut confirmations = u.confirmations;
        if u.state == State::Suspect {
            if via == Via::Local {
                self.stats.suspicions += 1;
            }
            let bounds = Bounds::for_cluster(
                self.members.live(),
                self.config.probe_interval,
                self.config.suspicion_mult.get(),
                self.config.suspicion_max_timeout_mult.get(),
                self.config.lifeguard,
            );
            let accuser = u
                .accuser
                .clone()
                .unwrap_or_else(|| self.members.local().name.clone());
            self.suspicions
                .start(&u.name, u.generation, u.incarnation, accuser, now, bounds);
        } else {
            confirmations = confirmations.max(self.suspicions.confirmations(u.name.as_str()));
            self.suspicions.remove(u.name.as_str());
        }
        if !u.state.is_live() {
            self.tombstones.push_back(Tombstone {
                expires: now + self.config.dead_retention,
                name: u.name.clone(),
                generation: u.generation,
                incarnation: u.incarnation,
            });
        }
        let cause = self.cause(via, u.accuser.clone(), confirmations);
        self.emit(now, kind, slot, cause);
        self.broadcast(&u.name, u.accuser);
    }

    /// A member not in the table: only an alive claim with an address can add it.
    fn learn(&mut self, now: Instant, u: Update, via: Via, spread: bool) {
        let (State::Alive, Some(addr)) = (u.state, u.addr) else {
            return;
        };
        let slot = self.members.insert(Draft {
            name: u.name.clone(),
            addr,
            meta: u.meta.map_or_else(empty_meta, share_if_empty),
            generation: u.generation,
            incarnation: u.incarnation,
            state: State::Alive,
            since: now,
        });
        self.probe.add(slot, &mut self.rng);
        let cause = self.cause(via, None, 0);
        self.emit(now, EventKind::Up, slot, cause);
        if spread {
            self.broadcast(&u.name, None);
        }
    }

    /// A claim about this node itself: refute suspicion and death of the current generation.
    fn about_self(&mut self, now: Instant, u: Update) {
        if self.left {
            return;
        }
        let me = self.members.local();
        if u.generation > me.generation {
            // Another process runs under our name and started later than us.
            self.stats.drop_input("name_conflict");
            return;
        }
        if u.generation < me.generation {
            // News about an earlier start of ours: make sure our current record spreads.
            if !u.state.is_live() || u.state == State::Suspect {
                let name = me.name.clone();
                self.broadcast(&name, None);
            }
            return;
        }
        let contested = match u.state {
            State::Alive => u.incarnation > me.incarnation,
            _ => u.incarnation >= me.incarnation,
        };
        if !contested {
            return;
        }
        let incarnation = u.incarnation.saturating_add(1);
        self.members.update(0, |m| m.incarnation = incarnation);
        self.awareness.apply(1);
        self.stats.refutations += 1;
        let name = self.members.local().name.clone();
        let cause = self.cause(Via::Local, u.accuser, 0);
        self.emit(now, EventKind::Refuted, 0, cause);
        self.broadcast(&name, None);
    }

    /// Forgets dead and left members whose retention ran out.
    fn collect_tombstones(&mut self, now: Instant) {
        while self.tombstones.front().is_some_and(|t| t.expires <= now) {
            let Some(t) = self.tombstones.pop_front() else {
                break;
            };
            let Some(slot) = self.members.slot(t.name.as_str()) else {
                continue;
            };
            let m = self.members.get(slot);
            if slot == 0
                || m.state.is_live()
                || m.generation != t.generation
                || m.incarnation != t.incarnation
            {
                continue;
            }
            let cause = self.cause(Via::Local, None, 0);
            self.emit(now, EventKind::Removed, slot, cause);
            let moved_from = self.members.remove(slot);
            self.probe.removed(slot, moved_from);
        }
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
