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
//! # Layout
//!
//! ```text
//!   replicated.rs ──▶ node.rs ──▶ launch.rs ──▶ driver/
//!   the handle's      the handle  binds, builds  the task that
//!   state and map     (Node,      the engine,    owns the engine
//!   methods           membership) spawns the task
//!         │              │            │             │
//!         ▼              ▼            ▼             ▼
//!   command.rs (requests) · info.rs (answers) · subscription.rs (event streams)
//! ```
//!
//! The handle and the task share only the requests and answers below them; neither imports
//! the other. `user.rs` is the handle's side of user events and queries ([`Node::broadcast`],
//! [`Node::subscribe`], [`Node::query`], [`Node::queries`]); `driver/user.rs` routes the
//! engine's user outputs to their streams. `durable/` is the map's on-disk store, independent of the engine;
//! `durable_bridge.rs` converts entries between the two and loads the map at start.
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
mod command;
mod config;
mod counters;
mod driver;
pub mod durable;
mod durable_bridge;
mod error;
mod faults;
mod info;
mod launch;
pub mod meta;
mod node;
mod replicated;
mod socket;
mod stream;
mod subscription;
mod user;

pub use clock::unix_millis;
pub use config::{DEFAULT_PORT, NodeConfig};
pub use counters::TransportStats;
pub use error::{NodeError, StartError};
pub use faults::Faults;
pub use info::{KvInfo, MemberDetail, MemberInfo, NodeInfo, OwnerKeys, StateCounts};
pub use node::{Events, Node};
pub use replicated::StoreEvents;
pub use subscription::Subscription;
pub use user::{Lagged, Queries, Query, QueryItem, QueryStream, UserEvents};

pub use hearsay_proto::{
    Answer, Cause, CommandError, Config, ConfigError, Counter, CounterKind, DropReason, Event,
    EventKind, EventMode, IncomingQuery, Key, KvEntry, MemberView, Meta, Metric, MsgId, Name,
    NameError, Payload, QueryFilter, QueryParams, QueryReply, QuerySummary, State, Stats,
    StoreEvent, UserEvent, Value, Via,
    store::stamp_millis,
    user::FilterError,
    wire::{MAX_KEY_BYTES, MemberState},
};
