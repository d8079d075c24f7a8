//! The engines' counters as the simulator adds them up for its report.
//!
//! Defined below both [`crate::protocol`] (each member adds its own counters) and the
//! simulation and reports (which read the totals), so that neither imports the other for it.

use std::collections::BTreeMap;

/// Engine counters summed over every engine that ever ran.
#[derive(Debug, Clone, Default)]
pub struct Counters {
    /// Suspicions started.
    pub suspicions: u64,
    /// Suspicions of themselves that members refuted.
    pub refutations: u64,
    /// Death verdicts reached by suspicion timeout.
    pub deaths_declared: u64,
    /// Events the engines dropped because the driver fell behind.
    pub events_dropped: u64,
    /// Store repairs started (a peer's sync showed a different store root).
    pub store_repairs: u64,
    /// Store entries sent in repairs.
    pub store_entries_sent: u64,
    /// Input refused, by reason.
    pub dropped: BTreeMap<&'static str, u64>,
    /// Every counter the protocol keeps, by name, summed (for hearsay, every counter of
    /// `hearsay_proto::Stats::counters`, the list `/metrics` and `/v1/info` show).
    pub all: BTreeMap<&'static str, u64>,
}
