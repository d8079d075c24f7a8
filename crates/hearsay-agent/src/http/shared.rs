//! What every handler can reach: the node, the agent's [`Control`], and a [`Stopping`] signal
//! for open event streams.
//!
//! Defined here, below the handlers, so that the handlers import it and nothing imports back
//! up: `mod.rs` builds a [`Shared`] and mounts the handlers' routes on it.

use std::sync::Arc;
use std::time::Duration;

use hearsay::Node;
use tokio::sync::{Notify, watch};

use crate::handler::HandlerStats;

/// How long a query waits for answers when it does not say (`POST /v1/query?timeout=`).
pub const DEFAULT_QUERY_TIMEOUT: Duration = Duration::from_secs(5);

/// What every handler can reach.
#[derive(Clone)]
pub(crate) struct Shared {
    pub(crate) node: Node,
    pub(crate) control: Control,
    pub(crate) stopping: Stopping,
}

/// What the API needs from whoever runs the node: the node's value and event size limits, the
/// default query timeout, the event handlers' counters (for `/metrics`), and a way to say that `POST /v1/leave` has completed,
/// so the agent can exit.
#[derive(Debug, Clone)]
pub struct Control {
    left: Arc<Notify>,
    max_value_bytes: usize,
    max_event_bytes: usize,
    default_query_timeout: Duration,
    handlers: Arc<HandlerStats>,
}

impl Default for Control {
    fn default() -> Control {
        Control {
            left: Arc::default(),
            max_value_bytes: hearsay::Config::lan(1).max_value_bytes,
            max_event_bytes: hearsay::Config::lan(1).max_event_bytes,
            default_query_timeout: DEFAULT_QUERY_TIMEOUT,
            handlers: Arc::default(),
        }
    }
}

impl Control {
    /// A new control with nothing signalled, for a node with the protocol's default value
    /// size limit (1 MiB).
    pub fn new() -> Control {
        Control::default()
    }

    /// The same, for a node whose `max_value_bytes` is `limit`: larger request bodies of the
    /// store endpoints are refused (413) before they are read whole.
    pub fn with_max_value_bytes(self, limit: usize) -> Control {
        Control {
            max_value_bytes: limit,
            ..self
        }
    }

    /// The same, for a node whose `max_event_bytes` is `limit`: larger event and query
    /// payloads are refused (413) before they are read whole.
    pub fn with_max_event_bytes(self, limit: usize) -> Control {
        Control {
            max_event_bytes: limit,
            ..self
        }
    }

    /// The same, with queries that give no `timeout` waiting `timeout`.
    pub fn with_default_query_timeout(self, timeout: Duration) -> Control {
        Control {
            default_query_timeout: timeout,
            ..self
        }
    }

    /// The largest event or query payload the API accepts.
    pub fn max_event_bytes(&self) -> usize {
        self.max_event_bytes
    }

    /// How long a query that gives no `timeout` waits for answers.
    pub fn default_query_timeout(&self) -> Duration {
        self.default_query_timeout
    }

    /// The same, showing `stats` as the event handlers' counters in `/metrics` (all zero
    /// without).
    pub fn with_handler_stats(self, stats: Arc<HandlerStats>) -> Control {
        Control {
            handlers: stats,
            ..self
        }
    }

    /// The event handlers' counters.
    pub fn handler_stats(&self) -> &HandlerStats {
        &self.handlers
    }

    /// The largest value the API accepts.
    pub fn max_value_bytes(&self) -> usize {
        self.max_value_bytes
    }

    /// Resolves once a leave requested through the API has completed.
    pub async fn left(&self) {
        self.left.notified().await;
    }

    /// Signals that a leave requested through the API has completed.
    pub fn notify_left(&self) {
        self.left.notify_one();
    }
}

/// Resolves when the server is shutting down, so that open streams end and the graceful
/// shutdown does not wait on them forever.
#[derive(Debug, Clone)]
pub(crate) struct Stopping(Option<watch::Receiver<bool>>);

impl Stopping {
    /// Never resolves (a router served by someone else's loop).
    pub(crate) fn never() -> Stopping {
        Stopping(None)
    }

    /// Resolves once `stopping` turns true or its sender is gone.
    pub(crate) fn on(stopping: watch::Receiver<bool>) -> Stopping {
        Stopping(Some(stopping))
    }

    /// Waits until the server is shutting down.
    pub(crate) async fn wait(&mut self) {
        match &mut self.0 {
            None => std::future::pending().await,
            Some(rx) => {
                let _ = rx.wait_for(|stop| *stop).await;
            }
        }
    }
}
