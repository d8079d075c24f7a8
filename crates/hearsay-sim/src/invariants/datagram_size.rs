//! Invariant: every datagram an engine sends fits `max_datagram_bytes`.
//!
//! A larger one would be fragmented or dropped by a real network; the engine promises to
//! pack piggybacked updates within the limit, whatever is queued.

use hearsay_proto::{Transmit, TransmitKind};

use crate::Simulation;

/// Checks datagram sizes against the configured limit.
#[derive(Debug, Default)]
pub struct DatagramsFitLimit;

impl DatagramsFitLimit {
    /// Checks one transmit of `node`.
    pub fn check(
        &self,
        sim: &Simulation,
        node: u32,
        transmit: &Transmit,
    ) -> Result<(), (&'static str, String)> {
        let limit = sim.config().max_datagram_bytes;
        if transmit.kind == TransmitKind::Datagram && transmit.bytes.len() > limit {
            return Err((
                "datagrams-fit-limit",
                format!(
                    "node-{node} sent a {}-byte datagram to {}; the limit is {limit}",
                    transmit.bytes.len(),
                    transmit.to
                ),
            ));
        }
        Ok(())
    }
}
