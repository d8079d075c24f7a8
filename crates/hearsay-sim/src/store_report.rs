//! The figures of a store workload, as they appear in a [`crate::Report`] (only when the
//! scenario had one, so other reports keep their exact bytes).

use std::fmt::Write as _;

use serde::Serialize;

use crate::counters::Counters;
use crate::metrics::STREAM_OVERHEAD_BYTES;
use crate::queue::Nanos;
use crate::scenario::Scenario;
use crate::store_progress::{Snapshot, StoreRun};

/// Figures of the replicated stores. Field names are the JSON keys.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct StoreFigures {
    /// The cluster-wide map's figures, with a KV workload.
    #[serde(flatten)]
    pub kv: Option<KvFigures>,
    /// Per-node state's figures, with a state workload.
    #[serde(flatten)]
    pub state: Option<StateFigures>,
    /// Store repairs started, both stores, over all engines (from their stats): syncs whose
    /// digest showed a store root different from the receiver's.
    pub store_repairs: u64,
    /// Store entries sent in repairs, both stores, over all engines.
    pub store_entries_sent: u64,
}

/// Figures of a KV workload (`--kv-*`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct KvFigures {
    /// Keys preloaded on every member.
    pub kv_keys: u32,
    /// Bytes of each value.
    pub kv_value_bytes: u32,
    /// Writes made (accepted by the member written to).
    pub kv_writes: u64,
    /// When the first write was made (`None`: writing never started, or no writes asked).
    pub kv_write_start_s: Option<f64>,
    /// From the last write until every live replica's `kv_root()` was equal, checked every
    /// 10 ms (`None`: not within the run, or no writes).
    pub kv_converged_s: Option<f64>,
    /// Wire bytes of store traffic per member per second, from the first write until the
    /// replicas converged (or the run ended). Counted from every transmit at send time:
    /// stream frames of store messages (updates pushed over streams, repair hashes and
    /// entries), each with 40 bytes of TCP/IP headers, plus store updates piggybacked on
    /// datagrams (their framed bytes only: they share the datagram and its headers with
    /// membership traffic). Per-node state updates count too; with only a KV workload
    /// there are none. Not from the engines' stats, which do not tell store bytes apart.
    pub kv_sync_bytes_per_member_s: Option<f64>,
    /// The part of `kv_sync_bytes_per_member_s` that went over streams.
    pub kv_sync_stream_bytes_per_member_s: Option<f64>,
    /// Stream wire bytes (headers included, every kind: membership and stores) per
    /// anti-entropy exchange while replicas were identical: over the tail of the run that
    /// starts 1 s after the replicas became identical (after the last write, or at once
    /// without writes) and the membership converged, stream bytes sent divided by exchanges
    /// started. An exchange of identical replicas is a digest carrying both store roots and
    /// an empty answer, whatever the store size. `None` if no exchange started in the tail.
    pub kv_idle_exchange_bytes: Option<f64>,
    /// Exchanges started in that tail (the sample behind `kv_idle_exchange_bytes`).
    pub kv_idle_exchanges: u64,
}

/// Figures of a per-node state workload (`--state-keys`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct StateFigures {
    /// Keys each member set.
    pub state_keys_per_node: u32,
    /// Bytes of each value.
    pub state_value_bytes: u32,
    /// When the members set their keys (`None`: never, e.g. views never converged).
    pub state_set_at_s: Option<f64>,
    /// From then until every live member held every key of every member that set keys and
    /// is still up in the same start, checked every 10 ms (`None`: not within the run).
    pub state_replicated_s: Option<f64>,
}

impl StoreFigures {
    /// The figures of `run`, whose counters read `end` at the end of the run.
    pub(crate) fn of(run: &StoreRun, s: &Scenario, end: Snapshot, totals: &Counters) -> Self {
        let n = f64::from(s.nodes);
        let kv = s.kv.as_ref().zip(run.kv.as_ref()).map(|(load, p)| {
            let window = p.window.map(|w| (w, p.converged.unwrap_or(end)));
            let rate = |bytes: fn(&Snapshot) -> u64| {
                let (from, to) = window?;
                let secs = seconds(to.at.saturating_sub(from.at));
                (secs > 0.0).then(|| (bytes(&to) - bytes(&from)) as f64 / n / secs)
            };
            let tail = p.tail.map(|t| (t, end));
            let exchanges = tail.map_or(0, |(t, e)| e.store.syncs - t.store.syncs);
            KvFigures {
                kv_keys: load.keys,
                kv_value_bytes: load.value_bytes,
                kv_writes: p.writes,
                kv_write_start_s: p.window.map(|w| seconds(w.at)),
                kv_converged_s: p
                    .converged
                    .zip(p.last_write)
                    .map(|(c, last)| seconds(c.at - last)),
                kv_sync_bytes_per_member_s: rate(store_wire_bytes),
                kv_sync_stream_bytes_per_member_s: rate(store_stream_wire_bytes),
                kv_idle_exchange_bytes: tail.filter(|_| exchanges > 0).map(|(t, e)| {
                    (e.stream_wire_bytes - t.stream_wire_bytes) as f64 / exchanges as f64
                }),
                kv_idle_exchanges: exchanges,
            }
        });
        let state = s
            .state
            .as_ref()
            .zip(run.state.as_ref())
            .map(|(load, p)| StateFigures {
                state_keys_per_node: load.keys_per_node,
                state_value_bytes: load.value_bytes,
                state_set_at_s: p.set_at.map(seconds),
                state_replicated_s: p
                    .replicated_at
                    .zip(p.set_at)
                    .map(|(r, set)| seconds(r - set)),
            });
        StoreFigures {
            kv,
            state,
            store_repairs: totals.store_repairs,
            store_entries_sent: totals.store_entries_sent,
        }
    }

    /// Rows for the report's table.
    pub(crate) fn rows(&self) -> Vec<(&'static str, String)> {
        let mut rows = Vec::new();
        if let Some(kv) = &self.kv {
            let writes = kv.kv_write_start_s.is_some();
            rows.extend([
                (
                    "kv keys",
                    format!("{} of {} B", kv.kv_keys, kv.kv_value_bytes),
                ),
                ("kv writes", kv.kv_writes.to_string()),
                (
                    "kv writes from",
                    kv.kv_write_start_s
                        .map_or_else(|| "n/a (no writes)".into(), |s| format!("{s:.3} s")),
                ),
                (
                    "kv converged",
                    if writes {
                        secs_or(kv.kv_converged_s, "never")
                    } else {
                        "n/a (no writes)".into()
                    },
                ),
                (
                    "kv sync bytes / member-s",
                    kv.kv_sync_bytes_per_member_s
                        .map_or_else(|| "n/a (no writes)".into(), |b| format!("{b:.1} B")),
                ),
                (
                    "  of which streams",
                    kv.kv_sync_stream_bytes_per_member_s
                        .map_or_else(|| "n/a".into(), |b| format!("{b:.1} B")),
                ),
                ("kv idle exchange", {
                    let mut v = kv
                        .kv_idle_exchange_bytes
                        .map_or_else(|| "n/a".into(), |b| format!("{b:.1} B"));
                    let _ = write!(v, " ({} exchanges)", kv.kv_idle_exchanges);
                    v
                }),
            ]);
        }
        if let Some(st) = &self.state {
            rows.extend([
                (
                    "state keys",
                    format!(
                        "{} per node of {} B",
                        st.state_keys_per_node, st.state_value_bytes
                    ),
                ),
                ("state set at", secs_or(st.state_set_at_s, "never")),
                ("state replicated", secs_or(st.state_replicated_s, "never")),
            ]);
        }
        rows.extend([
            ("store repairs", self.store_repairs.to_string()),
            ("store entries sent", self.store_entries_sent.to_string()),
        ]);
        rows
    }
}

fn store_wire_bytes(s: &Snapshot) -> u64 {
    store_stream_wire_bytes(s) + s.store.piggybacked_bytes
}

fn store_stream_wire_bytes(s: &Snapshot) -> u64 {
    s.store.store_stream_bytes + s.store.store_streams * STREAM_OVERHEAD_BYTES
}

fn secs_or(v: Option<f64>, none: &str) -> String {
    v.map_or_else(|| none.into(), |s| format!("{s:.3} s"))
}

fn seconds(t: Nanos) -> f64 {
    std::time::Duration::from_nanos(t).as_secs_f64()
}
