//! Hooks for watching a run step by step (the seed sweep's invariants use them).
//!
//! The simulator calls these right after every engine call, with the whole simulation
//! readable, so a checker sees each event and transmit in the state it was produced in.

use hearsay_proto::{Engine, Transmit};

use crate::Simulation;
use crate::protocol::Protocol;

/// Watches a simulation of `P` members. Every method has a do-nothing default.
pub trait Observer<P: Protocol = Engine> {
    /// `node`'s engine asked to send `transmit` (before the network sees it).
    fn on_transmit(&mut self, sim: &Simulation<P>, node: u32, transmit: &Transmit) {
        let _ = (sim, node, transmit);
    }

    /// `node`'s engine reported `event`.
    fn on_event(&mut self, sim: &Simulation<P>, node: u32, event: &P::Event) {
        let _ = (sim, node, event);
    }

    /// Called every [`crate::TICK`] of virtual time.
    fn on_tick(&mut self, sim: &Simulation<P>) {
        let _ = sim;
    }

    /// Ends the run early when true (checked after every step).
    fn should_stop(&self) -> bool {
        false
    }
}

/// Watches nothing.
impl<P: Protocol> Observer<P> for () {}
