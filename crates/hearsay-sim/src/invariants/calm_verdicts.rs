//! Invariant: no running member is declared dead while the network is calm.
//!
//! "Calm" means no datagram loss, no partition and no paused member for at least
//! [`calm_window`]: [`CALM_AFTER`], or longer when the configuration allows suspicions to
//! last longer. In such a stretch every probe of a running member is answered in
//! milliseconds, so a `Down` verdict about one (its current generation) is a protocol bug,
//! not bad luck. Verdicts about killed members and old generations are legitimate.
//!
//! Why the window grows with the suspicion timeout: a suspicion raised during a fault (say,
//! across a partition) whose news never reached the suspect is not refuted, and ends in a
//! verdict when it times out, up to the longest suspicion timeout after the fault ended
//! (about 37 s at 34 nodes with Lifeguard). That verdict is the fault's doing, not the calm
//! network's. The sweep found exactly this with a flat 30 s window (seeds 13 and 32).

use std::time::Duration;

use hearsay_proto::{Config, Event, EventKind};

use crate::Simulation;
use crate::addr::index_of_name;

/// How long after the last fault the network counts as calm.
pub const CALM_AFTER: Duration = Duration::from_secs(30);

/// How long after the last fault the network counts as calm for `config` and `nodes`:
/// [`CALM_AFTER`], or the longest suspicion timeout plus one fully stretched probe period
/// if that is longer.
pub fn calm_window(config: &Config, nodes: u32) -> Duration {
    let scale = f64::from(nodes.max(1)).log10().max(1.0);
    let longest_suspicion = config
        .probe_interval
        .mul_f64(f64::from(config.suspicion_mult.get()) * scale)
        * if config.lifeguard {
            config.suspicion_max_timeout_mult.get()
        } else {
            1
        };
    let stretched_probe = config.probe_interval * config.awareness_max_multiplier.get();
    CALM_AFTER.max(longest_suspicion + stretched_probe)
}

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
        if calm < calm_window(sim.config(), sim.scenario().nodes) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_calm_window_covers_the_longest_suspicion() {
        let config = Config::lan(34);
        // 4 x log10(34) x 1 s x 6 = 36.7 s, plus an 8 s stretched probe.
        let w = calm_window(&config, 34);
        assert!(
            w > Duration::from_secs(44) && w < Duration::from_secs(45),
            "{w:?}"
        );
        let swim = Config {
            lifeguard: false,
            ..Config::lan(10)
        };
        assert_eq!(calm_window(&swim, 10), CALM_AFTER);
    }
}
