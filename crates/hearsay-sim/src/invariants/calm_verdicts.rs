//! Invariant: no running member is declared dead while the network is calm.
//!
//! "Calm" means no datagram loss, no partition and no paused member for at least
//! [`CALM_AFTER`]. In such a stretch every probe of a running member is answered in
//! milliseconds, so a `Down` verdict about one (its current generation) is a protocol bug,
//! not bad luck. Verdicts about killed members and old generations are legitimate.

use std::time::Duration;

use hearsay_proto::{Event, EventKind};

use crate::Simulation;
use crate::addr::index_of_name;

/// How long after the last fault the network counts as calm.
pub const CALM_AFTER: Duration = Duration::from_secs(30);

/// Checks death verdicts against the calm of the network.
#[derive(Debug, Default)]
pub struct NoDeathWhenCalm;

impl NoDeathWhenCalm {
    /// Checks one event emitted by `observer`.
    pub fn check(
        &self,
        sim: &Simulation,
        observer: u32,
        event: &Event,
    ) -> Result<(), (&'static str, String)> {
        if event.kind != EventKind::Down {
            return Ok(());
        }
        let Some(calm) = sim.calm_for() else {
            return Ok(());
        };
        if calm < CALM_AFTER {
            return Ok(());
        }
        let Some(member) = index_of_name(event.member.name.as_str()) else {
            return Ok(());
        };
        if sim.running_generation(member) != Some(event.member.generation) {
            return Ok(());
        }
        let accuser = event
            .cause
            .accuser
            .as_ref()
            .map_or_else(|| "nobody".to_string(), |a| a.to_string());
        Err((
            "no-death-when-calm",
            format!(
                "node-{observer} declared running {} (generation {}, incarnation {}) dead, \
                 accused by {accuser}, via {:?}, after {:.1}s without faults",
                event.member.name,
                event.member.generation,
                event.member.incarnation,
                event.cause.via,
                calm.as_secs_f64()
            ),
        ))
    }
}
