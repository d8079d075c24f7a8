//! Invariant: once faults end, every running node's view converges within a bound.
//!
//! After the heal, anti-entropy and gossip must bring every running node to see exactly
//! the running nodes, alive, at their current incarnations (the digest check of
//! [`Simulation::views_converged`]), within the bound.

use std::time::Duration;

use crate::Simulation;

/// Waits for convergence after the heal.
#[derive(Debug)]
pub struct ConvergesAfterHeal {
    heal_at: Duration,
    bound: Duration,
    converged_at: Option<Duration>,
}

impl ConvergesAfterHeal {
    /// Views must agree within `bound` after `heal_at`.
    pub fn new(heal_at: Duration, bound: Duration) -> ConvergesAfterHeal {
        ConvergesAfterHeal {
            heal_at,
            bound,
            converged_at: None,
        }
    }

    /// When views first agreed after the heal.
    pub fn converged_at(&self) -> Option<Duration> {
        self.converged_at
    }

    /// Called every tick.
    pub fn check(&mut self, sim: &Simulation) -> Result<(), (&'static str, String)> {
        let now = sim.now();
        if now < self.heal_at || self.converged_at.is_some() {
            return Ok(());
        }
        if sim.views_converged() {
            self.converged_at = Some(now);
            return Ok(());
        }
        if now > self.heal_at + self.bound {
            let differ = sim.disagreements();
            let shown: Vec<String> = differ
                .iter()
                .take(5)
                .map(|d| {
                    format!(
                        "node-{} sees {} alive{}",
                        d.node,
                        d.alive,
                        if d.digest_matches {
                            ""
                        } else {
                            ", digest differs"
                        }
                    )
                })
                .collect();
            return Err((
                "converges-after-heal",
                format!(
                    "views still differ {:.1}s after the heal at {:.1}s; of {} running nodes, \
                     {} disagree: {}{}",
                    (now - self.heal_at).as_secs_f64(),
                    self.heal_at.as_secs_f64(),
                    sim.running_count(),
                    differ.len(),
                    shown.join("; "),
                    if differ.len() > shown.len() {
                        "; ..."
                    } else {
                        ""
                    }
                ),
            ));
        }
        Ok(())
    }
}
