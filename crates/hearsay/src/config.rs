//! What a node needs to start: its identity, its sockets, the protocol settings and the
//! runtime's own limits.

use std::net::SocketAddr;
use std::time::Duration;

use hearsay_proto::{Config, Meta, Name};

use crate::faults::Faults;

/// Everything [`crate::Node::start`] needs. Build it with [`NodeConfig::new`] and adjust the
/// public fields; every field documents its default.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// The node's name: unique in the cluster, stable across restarts.
    pub name: Name,
    /// Where the UDP socket and the TCP listener bind (the same port for both). Port 0 picks a
    /// free port. Defaults to `0.0.0.0:7946`.
    pub bind: SocketAddr,
    /// The address other members use to reach this node, when it differs from `bind` (NAT,
    /// containers, or a wildcard bind). Defaults to `None`: the bound address, with a wildcard
    /// IP replaced by the address of the interface that routes outward (or loopback when the
    /// machine has no route).
    pub advertise: Option<SocketAddr>,
    /// Protocol settings (timers, limits, seed of the engine's RNG; for user events and
    /// queries `event_mode` and `max_event_bytes`, among others). Defaults to [`Config::lan`]
    /// for 32 members with a random RNG seed.
    pub protocol: Config,
    /// Initial metadata. Defaults to empty.
    pub meta: Meta,
    /// This start's generation. Defaults to `None`: milliseconds since the Unix epoch, which
    /// grows from one start to the next as long as the clock does; the agent persists the last
    /// one and passes a larger value when the clock went backwards.
    pub generation: Option<u64>,
    /// Most inbound TCP streams handled at once; connections beyond are closed at once and
    /// counted (`stream_limit`). Together with `protocol.max_stream_bytes` this bounds the
    /// memory a flood of streams can take. Defaults to 64.
    pub max_inbound_streams: usize,
    /// Most outbound TCP streams in flight at once; further stream messages are dropped and
    /// counted (`outbound_limit`), and the protocol retries later. Defaults to 64.
    pub max_outbound_streams: usize,
    /// Time allowed to connect to a peer's TCP listener. Defaults to 2 s.
    pub connect_timeout: Duration,
    /// Bound on [`crate::Node::leave`]: how long a graceful leave waits for the news to go
    /// out. Defaults to 3 s.
    pub leave_timeout: Duration,
    /// Datagram faults to inject (tests and demos). Defaults to none.
    pub faults: Faults,
    /// Where the cluster-wide map is persisted (`kv.redb` in this directory). Writes are then
    /// acknowledged only once durable, and the map survives restarts. Defaults to `None`:
    /// the map lives in memory only.
    pub data_dir: Option<std::path::PathBuf>,
}

impl NodeConfig {
    /// A configuration with the documented defaults for a node called `name`.
    pub fn new(name: Name) -> NodeConfig {
        NodeConfig {
            name,
            bind: SocketAddr::from(([0, 0, 0, 0], DEFAULT_PORT)),
            advertise: None,
            protocol: Config {
                rng_seed: crate::clock::entropy_seed(),
                ..Config::lan(32)
            },
            meta: Meta::from(&[][..]),
            generation: None,
            max_inbound_streams: 64,
            max_outbound_streams: 64,
            connect_timeout: Duration::from_secs(2),
            leave_timeout: Duration::from_secs(3),
            faults: Faults::none(),
            data_dir: None,
        }
    }
}

/// The port hearsay listens on unless told otherwise (UDP and TCP).
pub const DEFAULT_PORT: u16 = 7946;
