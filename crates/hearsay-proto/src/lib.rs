//! The hearsay protocol engine: SWIM with Lifeguard, piggybacked dissemination and
//! anti-entropy, as a pure, deterministic state machine.
//!
//! It never touches a socket, a clock, a thread or the OS random source. Drivers (the tokio
//! runtime, the simulator, tests, fuzzers) feed it bytes and time and carry out what it asks.
//!
//! ```text
//!  commands: join(seeds) leave() set_meta()
//!                  |
//!  datagram in --> Engine::handle_datagram(now, from, bytes)
//!  stream in   --> Engine::handle_stream(now, from, bytes)
//!  deadline    --> Engine::handle_timeout(now)
//!                  |
//!       members -- probe (SWIM + Lifeguard) -- suspicion -- awareness
//!       gossip queue (piggyback, transmit limits) -- sync (digest anti-entropy)
//!                  |
//!  poll_transmit() -> Transmit { to, Datagram | Stream, bytes }
//!  poll_timeout()  -> Option<Instant>
//!  poll_event()    -> Event { Up | Suspect | Down | Left | ..., cause }
//! ```

mod awareness;
mod config;
pub mod digest;
mod engine;
mod event;
mod gossip;
mod member;
mod name;
mod probe;
mod stats;
mod suspicion;
mod sync;
pub mod wire;

pub use config::{Config, ConfigError};
pub use engine::{CommandError, Engine, LocalNode, Transmit, TransmitKind};
pub use event::{Cause, Event, EventKind, MemberView, Via};
pub use name::{MAX_NAME_BYTES, Name, NameError};
pub use stats::Stats;
pub use wire::{Meta, State};

/// A fixed starting instant for unit tests (the engine itself never reads the clock).
#[cfg(test)]
#[allow(clippy::disallowed_methods)]
pub(crate) fn test_epoch() -> std::time::Instant {
    std::time::Instant::now()
}

#[cfg(test)]
mod tests;
