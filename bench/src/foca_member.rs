//! foca 2.x as a simulator member: the adapter that lets `hearsay-sim` drive foca exactly
//! as it drives hearsay's engine.
//!
//! foca is sans-IO like our engine but reports through callbacks (its `Runtime`): messages to
//! send, notifications, and timers to fire after a delay. The adapter collects them into
//! queues and a timer heap, and presents them through the [`Protocol`] trait's
//! poll-style methods. foca runs with its own LAN preset (`Config::new_lan`), which has the
//! timing the comparison asks for: probe every 1 s, probe timeout 500 ms, 3 indirect
//! probes, gossip every 200 ms to 3 members, retransmissions `4 * log10(N + 1)`, 1,400-byte
//! datagrams, and a periodic announce (foca's form of state exchange) every 30 s.
//!
//! Identities are foca's idiom: an address plus a bump counter that foca renews when it
//! finds itself declared down. The simulator gives every start of a node a new port, so
//! the generation of an identity is its address's epoch plus one. Updates (the spread
//! metric) travel as foca custom broadcasts, which foca piggybacks exactly like its own
//! membership updates.

use std::collections::{BinaryHeap, VecDeque};
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use foca::{
    BroadcastHandler, Foca, Identity, Invalidates, Member, Notification, OwnedNotification,
    PostcardCodec, Runtime, State, Timer,
};
use hearsay_proto::{Name, Transmit, TransmitKind};
use hearsay_sim::protocol::entry_hash;
use hearsay_sim::{Boot, Counters, Observation, Peer, Protocol, Scenario, Seen, SimError};
use hearsay_sim::{name_of, node_of};
use rand_foca::SeedableRng;
use rand_foca::rngs::SmallRng;
use serde::{Deserialize, Serialize};

/// Versions of published updates start here, far above any bump counter, so that an
/// observation of an update is never confused with a member coming up under a new bump.
const UPDATE_VERSION_BASE: u32 = 1 << 31;

/// A foca identity: the member's address and its bump counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FocaId {
    addr: SocketAddr,
    bump: u16,
}

impl FocaId {
    /// The simulation index and generation this identity belongs to.
    fn node(&self) -> Option<(u32, u64)> {
        node_of(self.addr).map(|(index, epoch)| (index, u64::from(epoch) + 1))
    }
}

impl Identity for FocaId {
    type Addr = SocketAddr;

    fn renew(&self) -> Option<FocaId> {
        Some(FocaId {
            addr: self.addr,
            bump: self.bump.wrapping_add(1),
        })
    }

    fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn win_addr_conflict(&self, adversary: &FocaId) -> bool {
        self.bump > adversary.bump
    }
}

/// Settings shared by every foca member of a run.
pub struct FocaConfig {
    foca: foca::Config,
    names: Arc<[Name]>,
}

/// What a foca member reports.
#[derive(Debug, Clone)]
pub enum FocaEvent {
    /// One of foca's notifications.
    Notification(OwnedNotification<FocaId>),
    /// An update broadcast reached this member for the first time.
    Update {
        /// Simulation index of the member that published it.
        member: u32,
        /// Its generation.
        generation: u64,
        /// The update's version.
        version: u32,
    },
}

/// Updates received by a member's broadcast handler, waiting to become events. foca owns
/// the handler, so it reports through this shared slot; the flag makes the common case
/// (nothing new) a single atomic load.
#[derive(Default)]
struct Received {
    any: AtomicBool,
    items: Mutex<Vec<FocaEvent>>,
}

/// The broadcast handler: decodes update broadcasts and relays each one only the first
/// time it arrives.
struct Updates {
    received: Arc<Received>,
    /// Highest version seen per publishing member: in these runs one member publishes, so
    /// a short list beats a map.
    seen: Vec<(u32, u32)>,
}

/// Identifies an update broadcast: a newer version from the same member replaces it.
#[derive(Debug, Clone, Copy)]
struct UpdateKey {
    member: u32,
    version: u32,
}

impl Invalidates for UpdateKey {
    fn invalidates(&self, other: &UpdateKey) -> bool {
        self.member == other.member && self.version >= other.version
    }
}

/// A malformed update broadcast.
#[derive(Debug, thiserror::Error)]
#[error("malformed update broadcast")]
pub struct BadUpdate;

impl BroadcastHandler<FocaId> for Updates {
    type Key = UpdateKey;
    type Error = BadUpdate;

    fn receive_item(
        &mut self,
        data: &[u8],
        _sender: Option<&FocaId>,
    ) -> Result<Option<UpdateKey>, BadUpdate> {
        let (member, generation, version) = decode_update(data).ok_or(BadUpdate)?;
        match self.seen.iter_mut().find(|(m, _)| *m == member) {
            Some((_, v)) if *v >= version => return Ok(None),
            Some((_, v)) => *v = version,
            None => self.seen.push((member, version)),
        }
        let mut items = self.received.items.lock().expect("never poisoned");
        items.push(FocaEvent::Update {
            member,
            generation,
            version,
        });
        self.received.any.store(true, AtomicOrdering::Release);
        Ok(Some(UpdateKey { member, version }))
    }
}

/// An update on the wire: member index, generation, version (16 bytes).
fn encode_update(member: u32, generation: u64, version: u32) -> [u8; 16] {
    let mut out = [0; 16];
    out[..4].copy_from_slice(&member.to_le_bytes());
    out[4..12].copy_from_slice(&generation.to_le_bytes());
    out[12..].copy_from_slice(&version.to_le_bytes());
    out
}

fn decode_update(data: &[u8]) -> Option<(u32, u64, u32)> {
    let data: &[u8; 16] = data.try_into().ok()?;
    let member = u32::from_le_bytes(data[..4].try_into().ok()?);
    let generation = u64::from_le_bytes(data[4..12].try_into().ok()?);
    let version = u32::from_le_bytes(data[12..].try_into().ok()?);
    Some((member, generation, version))
}

/// A timer foca asked for, ordered by due time, then by request order.
struct Pending {
    at: Instant,
    seq: u64,
    timer: Timer<FocaId>,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Pending) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl Eq for Pending {}

impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Pending) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Pending {
    /// Reversed: the max-heap yields the earliest timer first.
    fn cmp(&self, other: &Pending) -> std::cmp::Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// What foca handed to its runtime during one call.
#[derive(Default)]
struct Outbox {
    transmits: VecDeque<Transmit>,
    events: VecDeque<FocaEvent>,
    timers: Vec<(Duration, Timer<FocaId>)>,
}

impl Runtime<FocaId> for Outbox {
    fn notify(&mut self, notification: Notification<'_, FocaId>) {
        self.events
            .push_back(FocaEvent::Notification(notification.to_owned()));
    }

    fn send_to(&mut self, to: FocaId, data: &[u8]) {
        self.transmits.push_back(Transmit {
            to: to.addr,
            bytes: data.to_vec(),
            kind: TransmitKind::Datagram,
        });
    }

    fn submit_after(&mut self, event: Timer<FocaId>, after: Duration) {
        self.timers.push((after, event));
    }
}

type FocaInstance = Foca<FocaId, PostcardCodec, SmallRng, Updates>;

/// One foca member in the simulator.
pub struct FocaMember {
    foca: FocaInstance,
    outbox: Outbox,
    timers: BinaryHeap<Pending>,
    next_seq: u64,
    received: Arc<Received>,
    names: Arc<[Name]>,
    index: u32,
    generation: u64,
    updates_published: u32,
    /// Errors foca returned (malformed input and the like), counted like hearsay's
    /// dropped input.
    errors: u64,
}

impl FocaMember {
    /// Files the timers foca asked for during the last call, relative to `now`.
    fn file_timers(&mut self, now: Instant) {
        for (after, timer) in self.outbox.timers.drain(..) {
            self.timers.push(Pending {
                at: now + after,
                seq: self.next_seq,
                timer,
            });
            self.next_seq += 1;
        }
    }

    /// After every call: timers filed, received updates moved to the event queue.
    fn settle(&mut self, now: Instant, result: Result<(), foca::Error>) {
        if result.is_err() {
            self.errors += 1;
        }
        self.file_timers(now);
        if self.received.any.swap(false, AtomicOrdering::Acquire) {
            let mut items = self.received.items.lock().expect("never poisoned");
            self.outbox.events.extend(items.drain(..));
        }
    }

    fn hash_of(&self, id: &FocaId) -> Option<u64> {
        let (index, generation) = id.node()?;
        let name = self.names.get(index as usize)?;
        Some(entry_hash(name, generation, u32::from(id.bump)))
    }
}

impl Protocol for FocaMember {
    type Config = FocaConfig;
    type Event = FocaEvent;
    type Roster = Vec<FocaId>;

    const NAME: &'static str = "foca";

    fn configure(scenario: &Scenario) -> Result<FocaConfig, SimError> {
        let size = NonZeroU32::new(scenario.nodes.max(1)).expect("at least one");
        let names = (0..scenario.nodes)
            .map(|i| Name::new(&name_of(i)).expect("node names are short"))
            .collect();
        Ok(FocaConfig {
            foca: foca::Config::new_lan(size),
            names,
        })
    }

    fn boot(config: &FocaConfig, boot: Boot<'_>, _now: Instant) -> FocaMember {
        let received = Arc::new(Received::default());
        let handler = Updates {
            received: Arc::clone(&received),
            seen: Vec::new(),
        };
        let id = FocaId {
            addr: boot.addr,
            bump: 0,
        };
        let foca = Foca::with_custom_broadcast(
            id,
            config.foca.clone(),
            SmallRng::seed_from_u64(boot.seed),
            PostcardCodec,
            handler,
        );
        FocaMember {
            foca,
            outbox: Outbox::default(),
            timers: BinaryHeap::new(),
            next_seq: 0,
            received,
            names: Arc::clone(&config.names),
            index: boot.index,
            generation: boot.generation,
            updates_published: 0,
            errors: 0,
        }
    }

    fn join(&mut self, now: Instant, seeds: &[SocketAddr]) {
        for &addr in seeds {
            // foca accepts an announce addressed to any identity at its address.
            let result = self
                .foca
                .announce(FocaId { addr, bump: 0 }, &mut self.outbox);
            self.settle(now, result);
        }
    }

    fn roster(peers: &[Peer<'_>]) -> Vec<FocaId> {
        peers
            .iter()
            .map(|p| FocaId {
                addr: p.addr,
                bump: 0,
            })
            .collect()
    }

    fn preconverge(&mut self, now: Instant, roster: &Vec<FocaId>) {
        let own = *self.foca.identity();
        let others = roster
            .iter()
            .filter(|id| **id != own)
            .map(|id| Member::new(*id, 0, State::Alive));
        let result = self.foca.apply_many(others, false, &mut self.outbox);
        self.settle(now, result);
    }

    fn handle_datagram(&mut self, now: Instant, _from: SocketAddr, bytes: &[u8]) {
        let result = self.foca.handle_data(bytes, &mut self.outbox);
        self.settle(now, result);
    }

    fn handle_stream(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) {
        // foca uses datagrams only; nothing sends it a stream.
        self.handle_datagram(now, from, bytes);
    }

    fn handle_timeout(&mut self, now: Instant) {
        while self.timers.peek().is_some_and(|t| t.at <= now) {
            let Some(due) = self.timers.pop() else { break };
            let result = self.foca.handle_timer(due.timer, &mut self.outbox);
            self.settle(now, result);
        }
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        self.outbox.transmits.pop_front()
    }

    fn poll_event(&mut self) -> Option<FocaEvent> {
        self.outbox.events.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.timers.peek().map(|t| t.at)
    }

    fn observe(event: &FocaEvent) -> Option<Observation> {
        let (kind, id) = match event {
            FocaEvent::Update {
                member,
                generation,
                version,
            } => {
                return Some(Observation {
                    kind: Seen::Alive,
                    member: *member,
                    generation: *generation,
                    version: *version,
                    accuser: None,
                });
            }
            FocaEvent::Notification(OwnedNotification::MemberUp(id)) => (Seen::Alive, id),
            FocaEvent::Notification(OwnedNotification::Rename(_, id)) => (Seen::Alive, id),
            FocaEvent::Notification(OwnedNotification::MemberDown(id)) => (Seen::Dead, id),
            FocaEvent::Notification(_) => return None,
        };
        let (member, generation) = id.node()?;
        Some(Observation {
            kind,
            member,
            generation,
            version: u32::from(id.bump),
            // foca's notifications do not say who declared a member down.
            accuser: None,
        })
    }

    fn publish_update(&mut self, now: Instant, _label: &str) -> Option<u32> {
        self.updates_published += 1;
        let version = UPDATE_VERSION_BASE + self.updates_published;
        let data = encode_update(self.index, self.generation, version);
        let result = self.foca.add_broadcast(&data).map(|_| ());
        let ok = result.is_ok();
        self.settle(now, result);
        ok.then_some(version)
    }

    fn version(&self) -> u32 {
        u32::from(self.foca.identity().bump)
    }

    fn alive_count(&self) -> usize {
        1 + self
            .foca
            .iter_members()
            .filter(|m| m.state() == State::Alive)
            .count()
    }

    fn live_count(&self) -> usize {
        1 + self.foca.num_members()
    }

    fn view_root(&self) -> u64 {
        let own = self.hash_of(self.foca.identity()).unwrap_or(0);
        self.foca
            .iter_members()
            .filter(|m| m.state() == State::Alive)
            .filter_map(|m| self.hash_of(m.id()))
            .fold(own, |root, h| root ^ h)
    }

    fn add_counters(&self, totals: &mut Counters) {
        if self.errors > 0 {
            *totals.dropped.entry("foca_error").or_default() += self.errors;
        }
    }
}
