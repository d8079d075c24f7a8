//! Properties the seed sweep checks after every step of every run, one per file.
//!
//! Each checker sees every engine event and transmit as it is produced (through
//! [`Observer`]) and every [`crate::TICK`]; the first violation ends the run.

mod calm_verdicts;
mod converges;
mod datagram_size;
mod incarnation;

use std::fmt;
use std::time::Duration;

use hearsay_proto::{Event, Transmit};

pub use calm_verdicts::{CALM_AFTER, NoDeathWhenCalm, calm_window};
pub use converges::ConvergesAfterHeal;
pub use datagram_size::DatagramsFitLimit;
pub use incarnation::IncarnationNeverDecreases;

use crate::Simulation;
use crate::observer::Observer;

/// One broken invariant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Short name of the invariant (the file that checks it).
    pub invariant: &'static str,
    /// Virtual time of the step that broke it.
    pub at: Duration,
    /// What happened, with names and numbers.
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} broken at {:.3}s: {}",
            self.invariant,
            self.at.as_secs_f64(),
            self.detail
        )
    }
}

/// All four invariants together, as one observer.
#[derive(Debug)]
pub struct Invariants {
    incarnation: IncarnationNeverDecreases,
    verdicts: NoDeathWhenCalm,
    datagrams: DatagramsFitLimit,
    convergence: ConvergesAfterHeal,
    violation: Option<Violation>,
}

impl Invariants {
    /// Checkers for a run that heals at `heal_at` and must converge within `bound` after.
    pub fn new(heal_at: Duration, bound: Duration) -> Invariants {
        Invariants {
            incarnation: IncarnationNeverDecreases::default(),
            verdicts: NoDeathWhenCalm,
            datagrams: DatagramsFitLimit,
            convergence: ConvergesAfterHeal::new(heal_at, bound),
            violation: None,
        }
    }

    /// The first violation, if any.
    pub fn violation(&self) -> Option<&Violation> {
        self.violation.as_ref()
    }

    /// When views converged after the heal, if they did.
    pub fn converged_at(&self) -> Option<Duration> {
        self.convergence.converged_at()
    }

    fn record(&mut self, sim: &Simulation, result: Result<(), (&'static str, String)>) {
        if let (Err((invariant, detail)), None) = (result, &self.violation) {
            self.violation = Some(Violation {
                invariant,
                at: sim.now(),
                detail,
            });
        }
    }
}

impl Observer for Invariants {
    fn on_transmit(&mut self, sim: &Simulation, node: u32, transmit: &Transmit) {
        let result = self.datagrams.check(sim, node, transmit);
        self.record(sim, result);
    }

    fn on_event(&mut self, sim: &Simulation, node: u32, event: &Event) {
        let result = self.incarnation.check(sim, node, event);
        self.record(sim, result);
        let result = self.verdicts.check(sim, node, event);
        self.record(sim, result);
    }

    fn on_tick(&mut self, sim: &Simulation) {
        let result = self.convergence.check(sim);
        self.record(sim, result);
    }

    fn should_stop(&self) -> bool {
        self.violation.is_some()
    }
}
