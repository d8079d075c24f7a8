//! [`Node`]: the async handle to a running gossip node.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use hearsay_proto::{Event, Meta, StoreEvent};
use tokio::sync::{broadcast, oneshot, watch};

use crate::command::Command;
use crate::config::NodeConfig;
use crate::error::{NodeError, StartError};
use crate::info::{MemberDetail, MemberInfo, NodeInfo};
use crate::launch::{Launched, launch};
use crate::subscription::Subscription;

/// A handle to a running node. Cheap to clone; every clone talks to the same node. The node
/// stops when [`Node::shutdown`] is called or when the last handle is dropped.
#[derive(Clone)]
pub struct Node {
    inner: Arc<Launched>,
}

/// Membership events from [`Node::events`] (a buffer of 1024).
pub type Events = Subscription<Event>;

impl Node {
    /// Binds the sockets and starts the node's task on the current tokio runtime. The node is
    /// alone until [`Node::join`] is called (or another node joins through it).
    pub async fn start(config: NodeConfig) -> Result<Node, StartError> {
        Ok(Node {
            inner: Arc::new(launch(config).await?),
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

    pub(crate) fn store_sender(&self) -> &broadcast::Sender<StoreEvent> {
        &self.inner.store_events
    }

    pub(crate) fn user_sender(&self) -> &broadcast::Sender<hearsay_proto::UserEvent> {
        &self.inner.user_events
    }

    pub(crate) fn query_sender(&self) -> &broadcast::Sender<Arc<crate::user::Asked>> {
        &self.inner.queries
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
