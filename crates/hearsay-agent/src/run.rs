//! The agent's life: start the node, serve the API, join, keep the data directory current,
//! log membership changes, and leave gracefully on SIGINT / SIGTERM or `POST /v1/leave`.
//!
//! The data directory holds two things with two owners: `state.json` (membership, written
//! here) and `kv.redb` (the cluster-wide map, written by the node itself, see
//! [`hearsay::NodeConfig::data_dir`]). The directory's lock is taken first, so a second agent
//! on the same directory fails on the lock before it can touch the map.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hearsay::{EventKind, Events, Node, NodeConfig};
use tokio::sync::oneshot;

use crate::handler::{HandlerOptions, HandlerStats, Runner, spawn_feed};
use crate::http::{self, Control};
use crate::options::AgentOptions;
use crate::persist::{DataDir, PersistError, Saved};

/// After a membership change, how long to gather further changes before writing the data
/// directory, so a burst of changes costs one write.
const SAVE_DEBOUNCE: Duration = Duration::from_secs(1);
/// Remembered members used as seeds on restart, at most.
const MAX_SAVED_SEEDS: usize = 8;

/// Why the agent stopped other than by a graceful leave. Each message says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
    /// The data directory cannot be used.
    #[error(transparent)]
    DataDir(#[from] PersistError),
    /// The node could not start (a port in use, a bad protocol setting, a damaged or locked
    /// `kv.redb` in the data directory).
    #[error(transparent)]
    Start(#[from] hearsay::StartError),
    /// Metadata is not valid key=value pairs.
    #[error("--meta: {0}")]
    Meta(#[from] hearsay::meta::MetaError),
    /// The HTTP API's address cannot be bound.
    #[error(
        "cannot bind the HTTP API on {addr}: {source} (is another agent running? pick another --http-addr)"
    )]
    HttpBind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A `--join` address does not resolve.
    #[error("--join: cannot resolve '{seed}': {source}")]
    Resolve {
        /// The address as given.
        seed: String,
        /// What the resolver said.
        source: std::io::Error,
    },
    /// A second signal arrived during the graceful leave.
    #[error("second signal: exited without finishing the leave")]
    Interrupted,
}

/// Runs the agent until it leaves: on the first SIGINT or SIGTERM (a second one exits at
/// once) or after `POST /v1/leave`.
pub async fn run(options: AgentOptions) -> Result<(), AgentError> {
    let data_dir = options
        .data_dir
        .as_deref()
        .map(DataDir::open)
        .transpose()?
        .map(Arc::new);
    let saved = match &data_dir {
        Some(d) => d.load(options.name.as_str())?,
        None => None,
    };
    let now_ms = hearsay::unix_millis();
    let generation = saved.as_ref().map_or(now_ms, |s| s.next_generation(now_ms));

    let mut config = NodeConfig::new(options.name.clone());
    config.bind = options.bind;
    config.advertise = options.advertise;
    config.protocol = hearsay::Config {
        rng_seed: config.protocol.rng_seed,
        ..options.preset.config(options.expected_members)
    };
    config.meta = hearsay::meta::encode(&options.meta)?;
    config.generation = Some(generation);
    config.leave_timeout = options.leave_timeout;
    // The map is kept beside state.json (as kv.redb): a put is acknowledged once durable.
    config.data_dir = options.data_dir.clone();
    config.protocol.event_mode = options.event_mode;
    if let Some(max) = options.max_event_bytes {
        config.protocol.max_event_bytes = max;
    }
    let max_value_bytes = config.protocol.max_value_bytes;
    let max_event_bytes = config.protocol.max_event_bytes;
    let handler_options = HandlerOptions {
        specs: options.handlers.clone(),
        timeout: options.handler_timeout,
        concurrency: options.handler_concurrency,
        // A query handler's output is its response, which the engine bounds like a payload.
        max_output_bytes: max_event_bytes,
    };
    let node = Node::start(config).await?;
    // The new generation is on disk before anyone hears of it.
    save(&node, data_dir.as_deref()).await;

    let http_listener = tokio::net::TcpListener::bind(options.http_addr)
        .await
        .map_err(|source| AgentError::HttpBind {
            addr: options.http_addr,
            source,
        })?;
    let http_addr = http_listener.local_addr().unwrap_or(options.http_addr);
    let handler_stats = Arc::new(HandlerStats::default());
    let control = Control::new()
        .with_max_value_bytes(max_value_bytes)
        .with_max_event_bytes(max_event_bytes)
        .with_handler_stats(handler_stats.clone());
    let (stop_http, http_stopped) = oneshot::channel::<()>();
    let api = tokio::spawn(http::serve(
        http_listener,
        node.clone(),
        control.clone(),
        async {
            let _ = http_stopped.await;
        },
    ));

    let mut seeds = Vec::new();
    for seed in &options.join {
        let found = tokio::net::lookup_host(seed.as_str())
            .await
            .map_err(|source| AgentError::Resolve {
                seed: seed.clone(),
                source,
            })?;
        seeds.extend(found);
    }
    if let Some(s) = &saved {
        let own = node.advertise_addr();
        seeds.extend(s.seeds(MAX_SAVED_SEEDS).into_iter().filter(|a| *a != own));
    }
    // Ready: one line on stdout, for people and for scripts that start agents on port 0.
    println!(
        "hearsay agent {} ready: gossip {} (advertised {}), http {}, generation {}",
        node.name(),
        node.local_addr(),
        node.advertise_addr(),
        http_addr,
        node.generation()
    );
    // Subscribed before joining, so that no change goes unlogged or unsaved.
    let logger = tokio::spawn(log_events(node.events()));
    if !handler_options.specs.is_empty() {
        let runner = Runner::start(&handler_options, node.name(), handler_stats);
        spawn_feed(&node, runner);
    }
    let saver = tokio::spawn(save_on_change(
        node.clone(),
        node.events(),
        data_dir.clone(),
    ));
    if !seeds.is_empty() {
        tracing::info!(?seeds, "joining");
        let _ = node.join(&seeds).await;
    }

    let mut signals = Signals::new();
    tokio::select! {
        name = signals.next() => {
            tracing::info!(signal = name, "leaving the cluster; a second signal exits at once");
            tokio::select! {
                _ = node.leave() => {}
                _ = signals.next() => return Err(AgentError::Interrupted),
            }
        }
        () = control.left() => tracing::info!("left the cluster through the API"),
    }
    saver.abort();
    save(&node, data_dir.as_deref()).await;
    let _ = stop_http.send(());
    let _ = api.await;
    logger.abort();
    node.shutdown().await;
    tracing::info!("stopped");
    Ok(())
}

/// Writes the node's current state, if there is a data directory; a failure is logged (the
/// previous file stays intact) and the agent carries on.
async fn save(node: &Node, dir: Option<&DataDir>) {
    if let Err(e) = try_save(node, dir).await {
        tracing::warn!(error = %e, "could not save state");
    }
}

async fn try_save(node: &Node, dir: Option<&DataDir>) -> Result<(), PersistError> {
    let Some(dir) = dir else { return Ok(()) };
    let (Ok(info), Ok(members)) = (node.info().await, node.members().await) else {
        return Ok(()); // the node has stopped; the last save stands
    };
    let saved = Saved::new(
        node.name(),
        node.generation(),
        info.local.incarnation,
        members.iter().map(|m| &m.member),
    );
    dir.store(&saved)
}

/// Rewrites the data directory shortly after each burst of membership changes.
async fn save_on_change(node: Node, mut events: Events, dir: Option<Arc<DataDir>>) {
    let Some(dir) = dir else { return };
    while events.next().await.is_some() {
        let gather = tokio::time::sleep(SAVE_DEBOUNCE);
        tokio::pin!(gather);
        loop {
            tokio::select! {
                () = &mut gather => break,
                e = events.next() => if e.is_none() { break },
            }
        }
        save(&node, Some(&dir)).await;
    }
}

/// Logs every membership change with its cause.
async fn log_events(mut events: Events) {
    while let Some(e) = events.next().await {
        let m = &e.member;
        let accuser = e.cause.accuser.as_ref().map(|a| a.as_str().to_owned());
        match e.kind {
            EventKind::Suspect | EventKind::Down => tracing::warn!(
                member = m.name.as_str(), addr = %m.addr, accuser, confirmations = e.cause.confirmations,
                local_health = e.cause.local_health, "member {}", e.kind.as_str()
            ),
            _ => tracing::info!(
                member = m.name.as_str(), addr = %m.addr, generation = m.generation,
                incarnation = m.incarnation, "member {}", e.kind.as_str()
            ),
        }
    }
}

/// SIGINT and SIGTERM as one stream.
struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Signals {
                term: signal(SignalKind::terminate()).expect("installing a SIGTERM handler"),
                int: signal(SignalKind::interrupt()).expect("installing a SIGINT handler"),
            }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    /// The next signal's name.
    async fn next(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.term.recv() => "SIGTERM",
                _ = self.int.recv() => "SIGINT",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}
