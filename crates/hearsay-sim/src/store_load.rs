//! Workloads for the replicated stores: what a KV scenario writes (`--kv-*`) and what a
//! per-node state scenario sets (`--state-*`), and their limits (checked with the rest of
//! the scenario in [`Scenario::validate`](crate::Scenario::validate)). Both are off unless
//! asked for.

use std::time::Duration;

/// Default bytes of a map value (`--kv-value-bytes`).
pub const DEFAULT_KV_VALUE_BYTES: u32 = 100;
/// Default length of the write window (`--kv-write-for`).
pub const DEFAULT_KV_WRITE_FOR: Duration = Duration::from_secs(10);
/// Default bytes of a per-node state value (`--state-value-bytes`).
pub const DEFAULT_STATE_VALUE_BYTES: u32 = 16;

/// Largest value either workload writes: the engine's default `max_value_bytes`.
pub(crate) const MAX_VALUE_BYTES: u32 = 1 << 20;
/// Most preloaded map keys (each member holds them all; shared values keep this cheap, but
/// the trees and indexes are per member).
pub(crate) const MAX_KV_KEYS: u32 = 10_000_000;
/// Most keys per member for per-node state.
pub(crate) const MAX_STATE_KEYS: u32 = 100_000;
/// Most map writes per second across the cluster.
pub(crate) const MAX_WRITES_PER_S: f64 = 1_000_000.0;

/// The cluster-wide map's workload (`--kv-keys`, `--kv-writes` and their companions).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct KvLoad {
    /// Keys `key-0` ... loaded into every member before it starts (`--kv-keys`), the same
    /// entries everywhere (as restored from disk, without gossip), so replicas start
    /// identical. Defaults to 0.
    pub keys: u32,
    /// Bytes of every value, preloaded or written (`--kv-value-bytes`). Defaults to 100.
    pub value_bytes: u32,
    /// Writes per second across the cluster, each by a random running member to a random
    /// preloaded key, or to a new key when `keys` is 0 (`--kv-writes`). Writes are evenly
    /// spaced. Defaults to 0: no writes.
    pub writes_per_s: f64,
    /// When the first write is made (`--kv-write-at`). `None` (the default): at the first
    /// check (every 10 ms) once every node has started and, on a cold join, views have
    /// converged; at 0 when preconverged.
    pub write_at: Option<Duration>,
    /// How long writes go on (`--kv-write-for`). Defaults to 10 s.
    pub write_for: Duration,
}

impl KvLoad {
    /// `keys` preloaded keys and no writes, with default value size and window.
    pub fn new(keys: u32) -> KvLoad {
        KvLoad {
            keys,
            value_bytes: DEFAULT_KV_VALUE_BYTES,
            writes_per_s: 0.0,
            write_at: None,
            write_for: DEFAULT_KV_WRITE_FOR,
        }
    }

    /// Whether any write is planned.
    pub fn writes(&self) -> bool {
        self.writes_per_s > 0.0
    }
}

/// Per-node state's workload (`--state-keys` and companions): every running member sets its
/// own keys `key-0` ... at one moment.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct StateLoad {
    /// Keys each member sets (`--state-keys`), at least 1.
    pub keys_per_node: u32,
    /// Bytes of each value (`--state-value-bytes`). Defaults to 16.
    pub value_bytes: u32,
    /// When the members set them (`--state-at`). `None` (the default): as for the map's
    /// first write, once the cluster has converged.
    pub at: Option<Duration>,
}

impl StateLoad {
    /// `keys_per_node` keys of default size, set once the cluster has converged.
    pub fn new(keys_per_node: u32) -> StateLoad {
        StateLoad {
            keys_per_node,
            value_bytes: DEFAULT_STATE_VALUE_BYTES,
            at: None,
        }
    }
}
