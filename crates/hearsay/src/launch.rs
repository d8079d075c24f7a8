//! Starting a node: bind the sockets, build the engine (loading the durable map, with a data
//! directory), open the channels, and spawn the task that owns the engine. What comes back is
//! what the [`crate::Node`] handle keeps; the task keeps the rest.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use hearsay_proto::{Engine, Event, LocalNode, Name, StoreEvent, UserEvent};
use tokio::sync::{broadcast, mpsc, watch};

use crate::clock;
use crate::command::Command;
use crate::config::NodeConfig;
use crate::counters::Counters;
use crate::driver::Driver;
use crate::durable_bridge::open_durable;
use crate::error::StartError;
use crate::faults::FaultInjector;
use crate::socket::{advertise_for, bind_pair};
use crate::stream::StreamLimits;
use crate::user::Asked;

/// Events kept for a subscriber that falls behind before the oldest are skipped.
const EVENT_BUFFER: usize = 1024;
/// Store changes kept for a watcher that falls behind (a catch-up brings thousands at once).
const STORE_EVENT_BUFFER: usize = 16 * 1024;
/// User events kept for a subscriber that falls behind. Payloads are shared, and each is
/// freed once every subscriber has read it, so a slow subscriber holds at most this many.
const USER_EVENT_BUFFER: usize = 1024;
/// Queries asked of this node kept for a subscriber that falls behind.
const QUERY_BUFFER: usize = 256;
/// Commands queued to the node's task before callers wait.
const COMMAND_QUEUE: usize = 256;

/// The handle's end of a running node: where to send commands, what to subscribe to, and the
/// facts about this start that never change.
pub(crate) struct Launched {
    pub commands: mpsc::Sender<Command>,
    pub events: broadcast::Sender<Event>,
    pub store_events: broadcast::Sender<StoreEvent>,
    pub user_events: broadcast::Sender<UserEvent>,
    pub queries: broadcast::Sender<Arc<Asked>>,
    /// Closed when the node's task ends, so that event streams end too.
    pub running: watch::Receiver<()>,
    pub local_addr: SocketAddr,
    pub advertise: SocketAddr,
    pub name: Name,
    pub generation: u64,
    /// The same moment on both clocks, to turn event instants into wall-clock times.
    pub epoch: (Instant, SystemTime),
}

/// Binds the sockets and spawns the node's task on the current tokio runtime.
pub(crate) async fn launch(config: NodeConfig) -> Result<Launched, StartError> {
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
        Some(dir) => Some(open_durable(&mut engine, dir, started).await?),
        None => None,
    };
    let (commands, commands_rx) = mpsc::channel(COMMAND_QUEUE);
    let (events, _) = broadcast::channel(EVENT_BUFFER);
    let (store_events, _) = broadcast::channel(STORE_EVENT_BUFFER);
    let (user_events, _) = broadcast::channel(USER_EVENT_BUFFER);
    let (queries, _) = broadcast::channel(QUERY_BUFFER);
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
        copy_waiters: HashMap::new(),
        user_events: user_events.clone(),
        queries: queries.clone(),
        askers: HashMap::new(),
        commands_weak: commands.downgrade(),
    };
    tokio::spawn(driver.run());
    tracing::info!(name = %config.name.as_str(), %bound, %advertise, generation, "node started");
    Ok(Launched {
        commands,
        events,
        store_events,
        user_events,
        queries,
        running,
        local_addr: bound,
        advertise,
        name: config.name,
        generation,
        epoch: (started, clock::wall_now()),
    })
}
