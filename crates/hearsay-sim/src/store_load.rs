//! Workloads for the replicated stores: what a KV scenario writes (`--kv-*`) and what a
//! per-node state scenario sets (`--state-*`), and the checks that they make sense.
//!
//! Both are off unless asked for, so runs without them are exactly the runs of before.

use std::time::Duration;

use crate::duration::format_duration;
use crate::scenario::{Scenario, ScenarioError, out_of_range};

/// Default bytes of a map value (`--kv-value-bytes`).
pub const DEFAULT_KV_VALUE_BYTES: u32 = 100;
/// Default length of the write window (`--kv-write-for`).
pub const DEFAULT_KV_WRITE_FOR: Duration = Duration::from_secs(10);
/// Default bytes of a per-node state value (`--state-value-bytes`).
pub const DEFAULT_STATE_VALUE_BYTES: u32 = 16;

/// Largest value either workload writes: the engine's default `max_value_bytes`.
const MAX_VALUE_BYTES: u32 = 1 << 20;
/// Most preloaded map keys (each member holds them all; shared values keep this cheap, but
/// the trees and indexes are per member).
const MAX_KV_KEYS: u32 = 10_000_000;
/// Most keys per member for per-node state.
const MAX_STATE_KEYS: u32 = 100_000;
/// Most map writes per second across the cluster.
const MAX_WRITES_PER_S: f64 = 1_000_000.0;

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

/// Checks the store workloads of `s`.
pub(crate) fn check_store_loads(s: &Scenario) -> Result<(), ScenarioError> {
    let after_end = |flag: &'static str, at: Duration| ScenarioError::AfterEnd {
        flag,
        value: format_duration(at),
        duration: format_duration(s.duration),
    };
    if let Some(kv) = &s.kv {
        if kv.keys > MAX_KV_KEYS {
            return Err(out_of_range(
                "--kv-keys",
                kv.keys,
                format!("0 to {MAX_KV_KEYS}"),
            ));
        }
        check_value_bytes("--kv-value-bytes", kv.value_bytes)?;
        if !(kv.writes_per_s.is_finite() && (0.0..=MAX_WRITES_PER_S).contains(&kv.writes_per_s)) {
            return Err(out_of_range(
                "--kv-writes",
                kv.writes_per_s,
                format!("a rate from 0 to {MAX_WRITES_PER_S} writes per second"),
            ));
        }
        if kv.write_for.is_zero() {
            return Err(out_of_range(
                "--kv-write-for",
                format_duration(kv.write_for),
                "a positive duration such as 10s",
            ));
        }
        if let Some(at) = kv.write_at
            && at >= s.duration
        {
            return Err(after_end("--kv-write-at", at));
        }
    }
    if let Some(state) = &s.state {
        if !(1..=MAX_STATE_KEYS).contains(&state.keys_per_node) {
            return Err(out_of_range(
                "--state-keys",
                state.keys_per_node,
                format!("1 to {MAX_STATE_KEYS} keys per node"),
            ));
        }
        check_value_bytes("--state-value-bytes", state.value_bytes)?;
        if let Some(at) = state.at
            && at >= s.duration
        {
            return Err(after_end("--state-at", at));
        }
    }
    Ok(())
}

fn check_value_bytes(flag: &'static str, bytes: u32) -> Result<(), ScenarioError> {
    if bytes > MAX_VALUE_BYTES {
        return Err(out_of_range(
            flag,
            bytes,
            format!("0 to {MAX_VALUE_BYTES} bytes (the engine's default max_value_bytes)"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Scenario {
        Scenario::new(10, Duration::from_secs(60), 1)
    }

    #[test]
    fn a_write_window_starting_after_the_end_is_refused() {
        let mut s = base();
        let mut kv = KvLoad::new(10);
        kv.writes_per_s = 5.0;
        kv.write_at = Some(Duration::from_secs(60));
        s.kv = Some(kv);
        let e = s.validate().unwrap_err().to_string();
        assert!(
            e.starts_with("--kv-write-at 1m happens after the run ends"),
            "{e}"
        );
    }

    #[test]
    fn negative_or_endless_write_rates_are_refused() {
        for rate in [-1.0, f64::INFINITY, f64::NAN] {
            let mut s = base();
            let mut kv = KvLoad::new(0);
            kv.writes_per_s = rate;
            s.kv = Some(kv);
            let e = s.validate().unwrap_err().to_string();
            assert!(e.starts_with("--kv-writes"), "{e}");
        }
    }

    #[test]
    fn state_needs_a_key_and_values_the_engine_accepts() {
        let mut s = base();
        s.state = Some(StateLoad::new(0));
        assert!(s.clone().validate().is_err());
        let mut load = StateLoad::new(10);
        load.value_bytes = MAX_VALUE_BYTES + 1;
        s.state = Some(load);
        let e = s.clone().validate().unwrap_err().to_string();
        assert!(e.starts_with("--state-value-bytes"), "{e}");
        s.state = Some(StateLoad::new(10));
        s.validate().unwrap();
    }
}
