//! Counters the engine keeps about its own work, for metrics and reports.

use std::collections::BTreeMap;

/// Running totals since the engine started. Cheap to read; the driver exports them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Datagrams handed to the engine.
    pub datagrams_in: u64,
    /// Datagram payload bytes handed to the engine.
    pub datagram_bytes_in: u64,
    /// Datagrams the engine asked to send.
    pub datagrams_out: u64,
    /// Datagram payload bytes the engine asked to send.
    pub datagram_bytes_out: u64,
    /// Stream frames handed to the engine.
    pub streams_in: u64,
    /// Stream frame bytes handed to the engine.
    pub stream_bytes_in: u64,
    /// Stream frames the engine asked to send.
    pub streams_out: u64,
    /// Stream frame bytes the engine asked to send.
    pub stream_bytes_out: u64,
    /// Probes started (direct pings).
    pub probes: u64,
    /// Indirect pings sent on behalf of our probes.
    pub indirect_probes: u64,
    /// Acks received for our probes (direct or relayed).
    pub acks: u64,
    /// Nacks received from indirect helpers.
    pub nacks: u64,
    /// Probes that ended without any ack.
    pub probe_failures: u64,
    /// Members this node started suspecting.
    pub suspicions: u64,
    /// Suspicions whose timer ran out here, turning into a death verdict. Every node that
    /// suspects a failed member runs its own timer, so one death is usually declared by many
    /// nodes (whichever expire before the news of another's verdict arrives).
    pub deaths_declared: u64,
    /// Times this node refuted a suspicion or death about itself.
    pub refutations: u64,
    /// Anti-entropy syncs started.
    pub syncs: u64,
    /// Anti-entropy syncs that found the views equal after the first exchange.
    pub syncs_in_agreement: u64,
    /// Join attempts sent to seeds.
    pub join_attempts: u64,
    /// Events dropped because the driver did not drain them.
    pub events_dropped: u64,
    /// Store repairs started: a peer's sync digest showed a store root different from ours.
    pub store_repairs: u64,
    /// Store entries (map entries, member-state keys) sent in repairs.
    pub store_entries_sent: u64,
    /// Store entries received in repairs.
    pub store_entries_received: u64,
    /// Input the engine could not use, by reason (`truncated`, `bad_version`, `misdirected` ...).
    pub dropped: BTreeMap<&'static str, u64>,
}

impl Stats {
    /// Counts one dropped input under `reason`.
    pub(crate) fn drop_input(&mut self, reason: &'static str) {
        *self.dropped.entry(reason).or_default() += 1;
    }

    /// Total dropped input, all reasons together.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.values().sum()
    }
}
