//! The hearsay protocol engine: SWIM with Lifeguard, piggybacked dissemination and
//! anti-entropy, as a pure, deterministic state machine.
//!
//! It never touches a socket, a clock, a thread or the OS random source. Drivers (the tokio
//! runtime, the simulator, tests, fuzzers) feed it bytes and time and carry out what it asks.
//!
//! ```text
//!  commands: join(seeds) leave() set_meta() state_set() kv_put() kv_copy()
//!            broadcast(name, payload) query(params) respond(query, payload) ...
//!                  |
//!  datagram in --> Engine::handle_datagram(now, from, bytes)
//!  stream in   --> Engine::handle_stream(now, from, bytes)
//!  deadline    --> Engine::handle_timeout(now)
//!                  |
//!       members -- probe (SWIM + Lifeguard) -- suspicion -- awareness
//!       gossip queue (piggyback, transmit limits) -- sync (digest anti-entropy)
//!       store: per-node state, cluster-wide map (spread, range-tree repair, copies)
//!       user messages: broadcast tree (or flood), dedupe window, retention + repair, queries
//!                  |
//!  poll_transmit() -> Transmit { to, Datagram | Stream, bytes }
//!  poll_timeout()  -> Option<Instant>
//!  poll_event()    -> Event { Up | Suspect | Down | Left | ..., cause }
//!  poll_store_event() -> StoreEvent { State | Kv | KvCollected | KvCopies | KvTransfer }
//!  poll_user()        -> UserOutput { Event | Query | Reply | Done | Missed }
//! ```
//!
//! # Driving it
//!
//! A driver owns the clock and the sockets. This one runs two engines over an in-memory
//! "network" with a virtual clock that jumps to the next deadline:
//!
//! ```
//! use std::time::{Duration, Instant};
//! use hearsay_proto::{Config, Engine, EventKind, LocalNode, Meta, Name, TransmitKind};
//!
//! let start = Instant::now(); // the driver's clock, not the engine's
//! let node = |i: u8| LocalNode {
//!     name: Name::new(&format!("node-{i}")).unwrap(),
//!     addr: ([127, 0, 0, 1], 7946 + u16::from(i)).into(),
//!     generation: 1,
//!     meta: Meta::from(&b"role=web"[..]),
//! };
//! let config = |seed| Config { rng_seed: seed, ..Config::lan(2) };
//! let mut engines = [
//!     Engine::new(config(1), node(0), start).unwrap(),
//!     Engine::new(config(2), node(1), start).unwrap(),
//! ];
//! let seed = engines[0].local().addr;
//! engines[1].join(start, &[seed]);
//!
//! let mut now = start;
//! let mut ups = 0;
//! while now < start + Duration::from_secs(5) {
//!     // Deliver everything each engine wants sent (instantly, for the example).
//!     for from in 0..2 {
//!         while let Some(t) = engines[from].poll_transmit() {
//!             let sender = engines[from].local().addr;
//!             let to = if t.to == engines[0].local().addr { 0 } else { 1 };
//!             match t.kind {
//!                 TransmitKind::Datagram => engines[to].handle_datagram(now, sender, &t.bytes),
//!                 TransmitKind::Stream => engines[to].handle_stream(now, sender, &t.bytes),
//!             }
//!         }
//!         while let Some(event) = engines[from].poll_event() {
//!             if event.kind == EventKind::Up {
//!                 ups += 1;
//!             }
//!         }
//!     }
//!     // Sleep until the earliest deadline, then run the timers.
//!     now = engines.iter().filter_map(|e| e.poll_timeout()).min().unwrap().max(now);
//!     for e in &mut engines {
//!         e.handle_timeout(now);
//!     }
//! }
//! assert_eq!(ups, 2, "each node saw the other come up");
//! assert_eq!(engines[0].alive_count(), 2);
//! ```

mod awareness;
mod config;
pub mod digest;
mod engine;
mod error;
mod event;
mod gossip;
mod intern;
mod member;
mod name;
mod probe;
mod reconnect;
mod seen;
mod stats;
pub mod store;
mod suspicion;
mod sync;
mod timer;
mod transmit;
mod update;
pub mod user;
pub mod wire;

pub use config::{Config, ConfigError};
pub use engine::{Engine, LocalNode};
pub use error::CommandError;
pub use event::{Cause, Event, EventKind, MemberView, Via};
pub use intern::{MemoryUse, Sharing};
pub use name::{MAX_NAME_BYTES, Name, NameError};
pub use stats::{Counter, CounterKind, DropReason, Metric, Stats};
pub use store::{KvEntry, StoreEvent};
pub use transmit::{Transmit, TransmitKind};
pub use user::{
    Answer, EventMode, IncomingQuery, MsgId, Payload, QueryFilter, QueryParams, QueryReply,
    QuerySummary, UserEvent, UserOutput,
};
pub use wire::{Key, Meta, State, Value};

/// The starting instant of unit tests. Any instant will do: the engine reads no clock and
/// only compares the instants it is given.
#[cfg(test)]
#[allow(clippy::disallowed_methods)]
pub(crate) fn test_epoch() -> std::time::Instant {
    std::time::Instant::now()
}

#[cfg(test)]
mod tests;
