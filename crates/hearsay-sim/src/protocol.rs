//! What the simulator needs from a member implementation, so that one network model, one
//! scenario runner and one set of metrics can drive different protocol engines.
//!
//! hearsay's own [`Engine`] is the default implementation (below). The benchmark crate
//! implements the trait for an adapter around foca, so both systems meet exactly the same
//! latency and loss draws, faults and measurements. The trait is shaped like the engine's
//! sans-IO API: hand it input with the current time, then drain what it wants to send,
//! what it wants to report, and when it wants to be woken.

use std::net::SocketAddr;
use std::time::Instant;

use hearsay_proto::wire::{MemberState, State};
use hearsay_proto::{
    Config, Engine, Event, EventKind, LocalNode, MemoryUse, Meta, Name, Sharing, Transmit,
};

use crate::addr::index_of_name;
use crate::counters::Counters;
use crate::error::SimError;
use crate::messages::Messages;
use crate::scenario::Scenario;
use crate::stores::Stores;

/// State-change history each engine keeps; small, to save memory at 10,000 nodes.
pub const HISTORY_LEN: usize = 16;

/// Who a member is when it starts.
#[derive(Debug, Clone)]
pub struct Boot<'a> {
    /// The node's index in the simulation.
    pub index: u32,
    /// Its name (`node-INDEX`).
    pub name: &'a Name,
    /// Its address for this start (the port changes on every restart).
    pub addr: SocketAddr,
    /// Its generation for this start (1 on the first start, one more on each restart).
    pub generation: u64,
    /// The seed of its random choices, derived from the run's seed, index and generation.
    pub seed: u64,
}

/// One running member as the whole cluster should see it, for preconverged starts.
#[derive(Debug, Clone)]
pub struct Peer<'a> {
    /// Index in the simulation.
    pub index: u32,
    /// Name.
    pub name: &'a Name,
    /// Current address.
    pub addr: SocketAddr,
    /// Current generation.
    pub generation: u64,
    /// The member's current version of itself (hearsay: its incarnation).
    pub version: u32,
}

/// What an event says about one member, reduced to what the metrics need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    /// What was learned.
    pub kind: Seen,
    /// Which member (its simulation index).
    pub member: u32,
    /// Which generation of it.
    pub generation: u64,
    /// The version seen: hearsay's incarnation, or the version of a published update.
    pub version: u32,
    /// For a death verdict, the member that reached it, if known.
    pub accuser: Option<u32>,
}

/// Kinds of [`Observation`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// The member is alive at `version` (joined, updated, or recovered).
    Alive,
    /// The member was declared dead.
    Dead,
    /// The member left gracefully.
    Left,
}

/// A member implementation the simulator can drive.
///
/// Every method gets the virtual time as an `Instant`; an implementation must not read a
/// clock or any randomness other than its [`Boot::seed`], so that runs stay reproducible.
pub trait Protocol: Sized + Send {
    /// Settings shared by every member of a run, derived once from the scenario.
    type Config: Send + Sync;
    /// What the member reports (membership changes and the like).
    type Event;
    /// The full membership in the form the implementation takes it, built once for a
    /// preconverged start and shared by every member.
    type Roster: Sync;

    /// Short name for reports.
    const NAME: &'static str;

    /// Whether members have replicated stores, which KV and per-node state scenarios need.
    /// Defaults to false; an implementation that sets it returns `Some` from
    /// [`Protocol::stores`] and [`Protocol::stores_mut`].
    const STORES: bool = false;

    /// Whether members send application messages (user events, queries), which `--events`
    /// and `--queries` scenarios need. Defaults to false; an implementation that sets it
    /// returns `Some` from [`Protocol::messages`] and [`Protocol::messages_mut`].
    const MESSAGES: bool = false;

    /// Whether its application messages include queries with answers (`--queries`).
    /// Defaults to false.
    const QUERIES: bool = false;

    /// The shared settings for `scenario` (LAN timing for its cluster size).
    fn configure(scenario: &Scenario) -> Result<Self::Config, SimError>;

    /// A member starting at `now`, knowing nobody.
    fn boot(config: &Self::Config, boot: Boot<'_>, now: Instant) -> Self;

    /// Starts joining the cluster through `seeds`.
    fn join(&mut self, now: Instant, seeds: &[SocketAddr]);

    /// Builds the shared membership list of a preconverged start.
    fn roster(peers: &[Peer<'_>]) -> Self::Roster;

    /// Learns the whole membership at once, quietly (its output is discarded).
    fn preconverge(&mut self, now: Instant, roster: &Self::Roster);

    /// A datagram arrived from `from`.
    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]);

    /// A whole stream message arrived from `from`.
    fn handle_stream(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]);

    /// The deadline from [`Protocol::poll_timeout`] has come.
    fn handle_timeout(&mut self, now: Instant);

    /// The next message to send, if any.
    fn poll_transmit(&mut self) -> Option<Transmit>;

    /// The next event, if any.
    fn poll_event(&mut self) -> Option<Self::Event>;

    /// When the member wants [`Protocol::handle_timeout`] called next.
    fn poll_timeout(&self) -> Option<Instant>;

    /// What `event` says about a member, if the metrics care.
    fn observe(event: &Self::Event) -> Option<Observation>;

    /// Publishes an update about this member for the whole cluster to learn (hearsay: new
    /// metadata `label`); returns the version observers will report for it.
    fn publish_update(&mut self, now: Instant, label: &str) -> Option<u32>;

    /// This member's own current version (the one [`Protocol::view_root`] covers).
    fn version(&self) -> u32;

    /// Members seen alive, itself included.
    fn alive_count(&self) -> usize;

    /// Members seen alive or suspected, itself included.
    fn live_count(&self) -> usize;

    /// XOR of [`entry_hash`] over the members seen alive, itself included.
    fn view_root(&self) -> u64;

    /// Adds this member's counters to `totals`.
    fn add_counters(&self, totals: &mut Counters);

    /// This member's replicated stores, if it has any. Defaults to none.
    fn stores(&self) -> Option<&dyn Stores> {
        None
    }

    /// The same, to write to. Defaults to none.
    fn stores_mut(&mut self) -> Option<&mut dyn Stores> {
        None
    }

    /// This member's application messages, if it has any. Defaults to none.
    fn messages(&self) -> Option<&dyn Messages> {
        None
    }

    /// The same, to send with and drain. Defaults to none.
    fn messages_mut(&mut self) -> Option<&mut dyn Messages> {
        None
    }
}

/// A member's contribution to [`Protocol::view_root`].
pub fn entry_hash(name: &Name, generation: u64, version: u32) -> u64 {
    hearsay_proto::digest::entry_hash(name.as_str(), generation, version)
}

/// What every engine of one simulation starts from: the configuration, and one record table
/// shared by all of them, saving memory hard ([`MemoryUse::Compact`]).
pub struct EngineSetup {
    config: Config,
    sharing: Sharing,
}

impl std::ops::Deref for EngineSetup {
    type Target = Config;
    fn deref(&self) -> &Config {
        &self.config
    }
}

/// hearsay's engine, as the simulator drives it.
impl Protocol for Engine {
    type Config = EngineSetup;
    type Event = Event;
    type Roster = Vec<MemberState>;

    const NAME: &'static str = "hearsay";
    const STORES: bool = true;
    const MESSAGES: bool = true;
    const QUERIES: bool = true;

    fn configure(scenario: &Scenario) -> Result<EngineSetup, SimError> {
        let mut config = Config::lan(scenario.nodes);
        config.history_len = HISTORY_LEN;
        config.lifeguard = scenario.lifeguard;
        if let Some(events) = &scenario.events {
            config.event_mode = events.mode;
        }
        Ok(EngineSetup {
            config: config.validate()?,
            sharing: Sharing::new(MemoryUse::Compact),
        })
    }

    fn boot(setup: &EngineSetup, boot: Boot<'_>, now: Instant) -> Engine {
        let mut config = setup.config.clone();
        config.rng_seed = boot.seed;
        let local = LocalNode {
            name: boot.name.clone(),
            addr: boot.addr,
            generation: boot.generation,
            meta: Meta::from(&[][..]),
        };
        Engine::with_sharing(config, local, now, setup.sharing.clone())
            .expect("configuration validated in Simulation::new")
    }

    fn join(&mut self, now: Instant, seeds: &[SocketAddr]) {
        Engine::join(self, now, seeds);
    }

    fn roster(peers: &[Peer<'_>]) -> Vec<MemberState> {
        peers
            .iter()
            .map(|p| MemberState {
                name: p.name.clone(),
                addr: p.addr,
                generation: p.generation,
                incarnation: p.version,
                state: State::Alive,
                meta: Meta::from(&[][..]),
            })
            .collect()
    }

    fn preconverge(&mut self, now: Instant, roster: &Vec<MemberState>) {
        self.restore(now, roster);
    }

    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) {
        Engine::handle_datagram(self, now, from, bytes);
    }

    fn handle_stream(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) {
        Engine::handle_stream(self, now, from, bytes);
    }

    fn handle_timeout(&mut self, now: Instant) {
        Engine::handle_timeout(self, now);
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        Engine::poll_transmit(self)
    }

    fn poll_event(&mut self) -> Option<Event> {
        Engine::poll_event(self)
    }

    fn poll_timeout(&self) -> Option<Instant> {
        Engine::poll_timeout(self)
    }

    fn observe(event: &Event) -> Option<Observation> {
        let kind = match event.kind {
            EventKind::Up | EventKind::Updated | EventKind::Recovered => Seen::Alive,
            EventKind::Down => Seen::Dead,
            EventKind::Left => Seen::Left,
            _ => return None,
        };
        Some(Observation {
            kind,
            member: index_of_name(event.member.name.as_str())?,
            generation: event.member.generation,
            version: event.member.incarnation,
            // Verdicts learned by anti-entropy carry no accuser (member records on the
            // wire do not say who declared a death).
            accuser: event
                .cause
                .accuser
                .as_ref()
                .and_then(|a| index_of_name(a.as_str())),
        })
    }

    fn publish_update(&mut self, now: Instant, label: &str) -> Option<u32> {
        let meta: Meta = label.as_bytes().to_vec().into();
        self.set_meta(now, meta).ok()?;
        Some(self.local().incarnation)
    }

    fn version(&self) -> u32 {
        self.incarnation()
    }

    fn alive_count(&self) -> usize {
        Engine::alive_count(self)
    }

    fn live_count(&self) -> usize {
        Engine::live_count(self)
    }

    fn view_root(&self) -> u64 {
        self.digest_root()
    }

    fn add_counters(&self, totals: &mut Counters) {
        let s = self.stats();
        totals.suspicions += s.suspicions;
        totals.refutations += s.refutations;
        totals.deaths_declared += s.deaths_declared;
        totals.events_dropped += s.events_dropped;
        totals.store_repairs += s.store_repairs;
        totals.store_entries_sent += s.store_entries_sent;
        for (reason, n) in s.dropped_by_reason().filter(|(_, n)| *n > 0) {
            *totals.dropped.entry(reason.as_str()).or_default() += n;
        }
        for c in s.counters() {
            *totals.all.entry(c.name).or_default() += c.value;
        }
    }

    fn stores(&self) -> Option<&dyn Stores> {
        Some(self)
    }

    fn stores_mut(&mut self) -> Option<&mut dyn Stores> {
        Some(self)
    }

    fn messages(&self) -> Option<&dyn Messages> {
        Some(self)
    }

    fn messages_mut(&mut self) -> Option<&mut dyn Messages> {
        Some(self)
    }
}
