//! hearsay on real sockets: a tokio runtime that drives the [`hearsay_proto`] engine over one
//! UDP socket and one TCP listener (same port), and an async [`Node`] handle.
//!
//! ```text
//!   Node handle ──commands──▶ ┌──────────── node task ─────────────┐
//!   (members, join, leave,    │  Engine (hearsay-proto, pure)      │
//!    set_meta, events)  ◀──── │   handle_datagram / handle_stream  │
//!                    events   │   handle_timeout    poll_*         │
//!                             └──┬──────────────┬───────────────┬──┘
//!                       UDP socket   TCP listener + dial tasks   timers
//!                   (fault injection) (framing, limits, timeouts)
//! ```
//!
//! Everything the protocol decides happens in the engine on the node's own task; this crate
//! only moves bytes and time. Streams carry one framed request and at most one framed answer
//! per connection (see `stream.rs`); datagrams can be dropped or delayed on purpose with
//! [`Faults`] to test real sockets under loss.
//!
//! # Example
//!
//! Two nodes on loopback; the second joins through the first.
//!
//! ```
//! use hearsay::{Node, NodeConfig, Name};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = |name: &str| {
//!     let mut c = NodeConfig::new(Name::new(name).unwrap());
//!     c.bind = "127.0.0.1:0".parse().unwrap(); // any free port
//!     c.protocol = hearsay::Config::local();
//!     c
//! };
//! let a = Node::start(config("a")).await?;
//! let b = Node::start(config("b")).await?;
//! let mut events = a.events();
//!
//! b.join(&[a.advertise_addr()]).await?;
//! b.joined().await?;
//! let up = events.next().await.unwrap();
//! assert_eq!(up.member.name.as_str(), "b");
//! assert_eq!(b.members().await?.len(), 2);
//!
//! b.leave().await?; // announce, wait for the news to go out
//! b.shutdown().await;
//! a.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod clock;
mod config;
mod counters;
mod driver;
pub mod durable;
mod error;
mod faults;
pub mod meta;
mod node;
mod socket;
mod store;
mod stream;

pub use clock::unix_millis;
pub use config::{DEFAULT_PORT, NodeConfig};
pub use counters::TransportStats;
pub use error::{NodeError, StartError};
pub use faults::Faults;
pub use node::{
    Events, KvInfo, MemberDetail, MemberInfo, Node, NodeInfo, StateCounts, Subscription,
};
pub use store::{OwnerKeys, StoreEvents};

pub use hearsay_proto::{
    Cause, CommandError, Config, ConfigError, Event, EventKind, Key, KvEntry, MemberView, Meta,
    Name, NameError, State, Stats, StoreEvent, Value, Via,
    store::stamp_millis,
    wire::{MAX_KEY_BYTES, MemberState},
};
