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

use std::net::SocketAddr;
use std::time::Instant;

use crate::event::{Event, MemberView};
use crate::wire::Meta;
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
    _private: (),
}

impl Engine {
    /// Creates an engine for `local`, validating `config`. The node starts alone; call
    /// [`Engine::join`] to reach a cluster.
    pub fn new(_config: Config, _local: LocalNode, _now: Instant) -> Result<Engine, ConfigError> {
        todo!()
    }

    /// Starts joining through `seeds` (addresses of any members). Retries with backoff until a
    /// seed answers; calling it again adds seeds and retries at once.
    pub fn join(&mut self, _now: Instant, _seeds: &[SocketAddr]) {
        todo!()
    }

    /// Announces a graceful departure. The engine keeps answering probes and gossiping the
    /// news until the driver drops it; wait about `gossip_interval * 5` before doing so.
    pub fn leave(&mut self, _now: Instant) {
        todo!()
    }

    /// Publishes new metadata for this node (raises its incarnation).
    pub fn set_meta(&mut self, _now: Instant, _meta: Meta) -> Result<(), CommandError> {
        todo!()
    }

    /// Handles one datagram received from `from`.
    pub fn handle_datagram(&mut self, _now: Instant, _from: SocketAddr, _bytes: &[u8]) {
        todo!()
    }

    /// Handles one whole stream message received from `from`.
    pub fn handle_stream(&mut self, _now: Instant, _from: SocketAddr, _bytes: &[u8]) {
        todo!()
    }

    /// Runs the timers that are due at `now`.
    pub fn handle_timeout(&mut self, _now: Instant) {
        todo!()
    }

    /// The next thing to send, if any.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        todo!()
    }

    /// When [`Engine::handle_timeout`] should be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        todo!()
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        todo!()
    }

    /// This node's own record.
    pub fn local(&self) -> MemberView {
        todo!()
    }

    /// Every member this node knows, itself and tombstones included, in table order.
    pub fn members(&self) -> impl Iterator<Item = MemberView> + '_ {
        std::iter::empty()
    }

    /// One member by name.
    pub fn member(&self, _name: &str) -> Option<MemberView> {
        todo!()
    }

    /// Members alive (not suspect) in this node's view, itself included.
    pub fn alive_count(&self) -> usize {
        todo!()
    }

    /// Root of the live-set digest (see [`crate::digest`]): equal on two nodes whose alive and
    /// suspect members agree on generation and incarnation.
    pub fn digest_root(&self) -> u64 {
        todo!()
    }

    /// Lifeguard's local health score (0 = healthy).
    pub fn health_score(&self) -> u32 {
        todo!()
    }

    /// Whether a seed has answered (or another member reached us).
    pub fn is_joined(&self) -> bool {
        todo!()
    }

    /// Counters.
    pub fn stats(&self) -> &Stats {
        todo!()
    }

    /// Recent state changes of `name`, oldest first.
    pub fn history<'a>(&'a self, _name: &'a str) -> impl Iterator<Item = &'a Event> + 'a {
        std::iter::empty()
    }
}
