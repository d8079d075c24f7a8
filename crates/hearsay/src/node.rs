//! [`Node`]: the async handle to a running gossip node.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use hearsay_proto::{Engine, Event, LocalNode, MemberView, Meta, Stats};
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use crate::clock;
use crate::config::NodeConfig;
use crate::counters::{Counters, TransportStats};
use crate::driver::{Command, Driver};
use crate::error::{NodeError, StartError};
use crate::faults::FaultInjector;
use crate::socket::{advertise_for, bind_pair};
use crate::stream::StreamLimits;

/// Events kept for a subscriber that falls behind before the oldest are skipped.
const EVENT_BUFFER: usize = 1024;
/// Store changes kept for a watcher that falls behind (a catch-up brings thousands at once).
const STORE_EVENT_BUFFER: usize = 16 * 1024;
/// Commands queued to the node's task before callers wait.
const COMMAND_QUEUE: usize = 256;

/// A handle to a running node. Cheap to clone; every clone talks to the same node. The node
/// stops when [`Node::shutdown`] is called or when the last handle is dropped.
#[derive(Clone)]
pub struct Node {
    inner: Arc<Inner>,
}

struct Inner {
    commands: mpsc::Sender<Command>,
    events: broadcast::Sender<Event>,
    store_events: broadcast::Sender<hearsay_proto::StoreEvent>,
    /// Closed when the node's task ends, so that event streams end too.
    running: watch::Receiver<()>,
    local_addr: SocketAddr,
    advertise: SocketAddr,
    name: hearsay_proto::Name,
    generation: u64,
    /// The same moment on both clocks, to turn event instants into wall-clock times.
    epoch: (Instant, SystemTime),
}

/// One member with the last change this node recorded about it.
#[derive(Debug, Clone)]
pub struct MemberInfo {
    /// The member as this node sees it.
    pub member: MemberView,
    /// Its most recent state change still in the node's bounded history, with the cause.
    pub last_change: Option<Event>,
}

/// One member with its recent history.
#[derive(Debug, Clone)]
pub struct MemberDetail {
    /// The member as this node sees it.
    pub member: MemberView,
    /// Its recent state changes, oldest first, each with its cause (who accused it, how many
    /// confirmed, how the news arrived).
    pub history: Vec<Event>,
}

/// Members by state, as this node sees them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StateCounts {
    /// Alive members, this node included.
    pub alive: usize,
    /// Suspected members.
    pub suspect: usize,
    /// Members declared dead and not yet forgotten.
    pub dead: usize,
    /// Members that left and are not yet forgotten.
    pub left: usize,
}

/// A snapshot of the node's own state and counters.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct NodeInfo {
    /// This node's record (name, advertised address, generation, incarnation, metadata).
    pub local: MemberView,
    /// The address the sockets are bound to.
    pub bound: SocketAddr,
    /// Members by state.
    pub states: StateCounts,
    /// Lifeguard local health score (0 = healthy; higher means this node doubts its own
    /// timeliness and probes more patiently).
    pub health_score: u32,
    /// Whether a join has succeeded (or another member reached this node).
    pub joined: bool,
    /// News waiting to be piggybacked.
    pub gossip_backlog: usize,
    /// The engine's counters.
    pub stats: Stats,
    /// The runtime's counters.
    pub transport: TransportStats,
    /// Time since the node started.
    pub uptime: Duration,
    /// The cluster-wide map here: live keys, bytes of keys and values, and the root of its
    /// range tree (equal on replicas holding the same entries).
    pub kv: KvInfo,
    /// The durable store's totals (commits are fsyncs), with a data directory.
    pub durable: Option<crate::durable::CommitStats>,
}

/// The cluster-wide map as one node holds it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KvInfo {
    /// Live keys.
    pub keys: usize,
    /// Bytes of keys and values held (tombstones' keys included).
    pub bytes: usize,
    /// Root of the map's range tree.
    pub root: u64,
}

impl Node {
    /// Binds the sockets and starts the node's task on the current tokio runtime. The node is
    /// alone until [`Node::join`] is called (or another node joins through it).
    pub async fn start(config: NodeConfig) -> Result<Node, StartError> {
        let protocol = config.protocol.clone().validate()?;
        let (udp, listener) = bind_pair(config.bind).await?;
        let bound = udp.local_addr().map_err(|e| StartError::Bind {
            addr: config.bind,
            proto: "UDP",
            source: e,
        })?;
        let advertise = match config.advertise {
            Some(a) if a.port() == 0 => SocketAddr::new(a.ip(), bound.port()),
            Some(a) => a,
            None => advertise_for(bound),
        };
        let generation = config.generation.unwrap_or_else(clock::unix_millis);
        let started = clock::now();
        let local = LocalNode {
            name: config.name.clone(),
            addr: advertise,
            generation,
            meta: config.meta.clone(),
        };
        let limits = StreamLimits {
            max_bytes: protocol.max_stream_bytes,
            timeout: protocol.stream_timeout,
            connect_timeout: config.connect_timeout,
        };
        let mut engine = Engine::new(protocol, local, started)?;
        engine.set_wall_clock(started, clock::unix_millis());
        let durable = match &config.data_dir {
            Some(dir) => Some(crate::store::open_durable(&mut engine, dir, started).await?),
            None => None,
        };
        let (commands, commands_rx) = mpsc::channel(COMMAND_QUEUE);
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        let (store_events, _) = broadcast::channel(STORE_EVENT_BUFFER);
        let (alive, running) = watch::channel(());
        let driver = Driver {
            engine,
            udp: Arc::new(udp),
            listener,
            commands: commands_rx,
            events: events.clone(),
            counters: Arc::new(Counters::default()),
            limits,
            max_inbound_streams: config.max_inbound_streams.max(1),
            max_outbound_streams: config.max_outbound_streams.max(1),
            leave_timeout: config.leave_timeout,
            faults: FaultInjector::new(config.faults.clone()),
            bound,
            advertise,
            started,
            alive,
            store_events: store_events.clone(),
            durable: durable.as_ref().map(|s| s.writer()),
            durable_store: durable,
            copy_waiters: std::collections::HashMap::new(),
        };
        tokio::spawn(driver.run());
        tracing::info!(name = %config.name.as_str(), %bound, %advertise, generation, "node started");
        Ok(Node {
            inner: Arc::new(Inner {
                commands,
                events,
                store_events,
                running,
                local_addr: bound,
                advertise,
                name: config.name,
                generation,
                epoch: (started, clock::wall_now()),
            }),
        })
    }

    /// Whether the node's task is still running (false after [`Node::shutdown`]).
    pub fn is_running(&self) -> bool {
        !self.inner.commands.is_closed()
    }

    /// The node's name.
    pub fn name(&self) -> &str {
        self.inner.name.as_str()
    }

    /// The address the UDP socket and TCP listener are bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.inner.local_addr
    }

    /// The address other members reach this node at.
    pub fn advertise_addr(&self) -> SocketAddr {
        self.inner.advertise
    }

    /// This start's generation.
    pub fn generation(&self) -> u64 {
        self.inner.generation
    }

    /// Starts joining the cluster through `seeds` (addresses of any members) and returns at
    /// once; the node retries with backoff until a seed answers. Await [`Node::joined`] to
    /// know when it has.
    pub async fn join(&self, seeds: &[SocketAddr]) -> Result<(), NodeError> {
        self.send(Command::Join(seeds.to_vec())).await
    }

    /// Resolves once the node has joined a cluster (a seed answered, or another member
    /// reached it). Wrap it in `tokio::time::timeout` to bound the wait.
    pub async fn joined(&self) -> Result<(), NodeError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::WaitJoined(tx)).await?;
        rx.await.map_err(|_| NodeError::Closed)
    }

    /// Every member this node knows (itself included), sorted by name.
    pub async fn members(&self) -> Result<Vec<MemberInfo>, NodeError> {
        self.ask(Command::Members).await
    }

    /// One member and its recent history, if known.
    pub async fn member(&self, name: &str) -> Result<Option<MemberDetail>, NodeError> {
        let name = name.to_owned();
        self.ask(|tx| Command::Member(name, tx)).await
    }

    /// The node's own state and counters.
    pub async fn info(&self) -> Result<NodeInfo, NodeError> {
        self.ask(Command::Info).await
    }

    /// Publishes new metadata; it spreads with the next gossip.
    pub async fn set_meta(&self, meta: Meta) -> Result<(), NodeError> {
        self.ask(|tx| Command::SetMeta(meta, tx))
            .await?
            .map_err(NodeError::from)
    }

    /// Leaves gracefully: announces the departure and waits until the news has gone out, or
    /// for `NodeConfig::leave_timeout` at most. The node keeps answering until shut down, so
    /// call [`Node::shutdown`] next.
    pub async fn leave(&self) -> Result<(), NodeError> {
        self.ask(Command::Leave).await
    }

    /// Stops the node and releases its sockets. Without a [`Node::leave`] first, the others
    /// will see it fail rather than leave.
    pub async fn shutdown(&self) {
        let (tx, rx) = oneshot::channel();
        if self
            .inner
            .commands
            .send(Command::Shutdown(tx))
            .await
            .is_ok()
        {
            let _ = rx.await;
        }
    }

    /// A live stream of membership events from now on.
    pub fn events(&self) -> Events {
        Subscription::new(self.inner.events.subscribe(), self.inner.running.clone())
    }

    /// The wall-clock time of an instant reported by this node (an event's `at`, a member's
    /// `since`).
    pub fn wall_time(&self, at: Instant) -> SystemTime {
        let (mono, wall) = self.inner.epoch;
        match at.checked_duration_since(mono) {
            Some(d) => wall + d,
            None => wall - mono.duration_since(at),
        }
    }

    async fn send(&self, cmd: Command) -> Result<(), NodeError> {
        self.inner
            .commands
            .send(cmd)
            .await
            .map_err(|_| NodeError::Closed)
    }

    pub(crate) fn store_sender(&self) -> &broadcast::Sender<hearsay_proto::StoreEvent> {
        &self.inner.store_events
    }

    pub(crate) fn running(&self) -> watch::Receiver<()> {
        self.inner.running.clone()
    }

    pub(crate) async fn ask<T>(
        &self,
        cmd: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, NodeError> {
        let (tx, rx) = oneshot::channel();
        self.send(cmd(tx)).await?;
        rx.await.map_err(|_| NodeError::Closed)
    }
}

/// A subscription to one of a node's broadcasts (membership events, store changes). Items that
/// arrive while the subscriber is more than the broadcast's buffer behind are skipped and
/// counted in [`Subscription::missed`].
pub struct Subscription<T> {
    rx: broadcast::Receiver<T>,
    running: watch::Receiver<()>,
    missed: u64,
}

/// Membership events from [`Node::events`] (a buffer of 1024).
pub type Events = Subscription<Event>;

impl<T: Clone> Subscription<T> {
    pub(crate) fn new(rx: broadcast::Receiver<T>, running: watch::Receiver<()>) -> Self {
        Subscription {
            rx,
            running,
            missed: 0,
        }
    }

    /// The next item; `None` once the node has shut down.
    pub async fn next(&mut self) -> Option<T> {
        loop {
            tokio::select! {
                r = self.rx.recv() => match r {
                    Ok(e) => return Some(e),
                    Err(broadcast::error::RecvError::Lagged(n)) => self.missed += n,
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                // Only ever an error: the node's task dropped its end.
                _ = self.running.changed() => return None,
            }
        }
    }

    /// Items skipped because this subscriber fell behind.
    pub fn missed(&self) -> u64 {
        self.missed
    }
}
