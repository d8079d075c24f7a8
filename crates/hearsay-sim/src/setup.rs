//! The start of a run: putting the scenario on the agenda, and (with `--preconverged`)
//! giving every engine the full membership at once.
//!
//! A converged start would otherwise take a join wave of its own. Instead every engine is
//! handed the full membership through `Engine::restore` (the call a restarted agent uses for
//! its saved member list): no events, no gossip, just a table that already knows everyone.
//! The list is built once and shared by every engine.

use rand::Rng;

use crate::addr::addr_of;
use crate::parallel::worker_threads;
use crate::protocol::{Peer, Protocol};
use crate::queue::{Action, Pending};
use crate::scenario::JOIN_WINDOW;
use crate::simulation::{Simulation, nanos_of};

impl<P: Protocol> Simulation<P> {
    /// Puts every scenario step on the agenda. At equal times, steps run in this order:
    /// starts, kills, restarts, pauses, partitions, the update, loss changes, heal, ticks,
    /// then the store workload's steps (writes, state, checks), then the message workload's
    /// start.
    pub(crate) fn schedule(&mut self) {
        let s = self.scenario.clone();
        if s.preconverged {
            self.start_converged();
        } else {
            self.agenda.push(0, Pending::Act(Action::Start { node: 0 }));
            let window = nanos_of(JOIN_WINDOW);
            for node in 1..s.nodes {
                let at = self.rng.random_range(0..window);
                self.agenda.push(at, Pending::Act(Action::Start { node }));
            }
        }
        for (spec, k) in s.kills.iter().enumerate() {
            self.act_at(nanos_of(k.at), Action::Kill { spec: spec as u32 });
        }
        for (spec, r) in s.restarts.iter().enumerate() {
            self.act_at(nanos_of(r.at), Action::Restart { spec: spec as u32 });
        }
        for (spec, p) in s.pauses.iter().enumerate() {
            self.act_at(nanos_of(p.at), Action::PauseGroup { spec: spec as u32 });
        }
        if let Some(p) = s.random_pauses {
            for node in self.pick_from(|i, _| i != 0, p.count) {
                let at = self.pause_gap();
                self.act_at(at, Action::RandomPause { node });
            }
        }
        for (id, p) in s.partitions.iter().enumerate() {
            self.act_at(nanos_of(p.at), Action::PartitionStart { id: id as u32 });
        }
        if let Some(at) = s.update_at {
            self.act_at(nanos_of(at), Action::Update);
        }
        for (change, c) in s.loss_changes.iter().enumerate() {
            self.act_at(
                nanos_of(c.at),
                Action::SetLoss {
                    change: change as u32,
                },
            );
        }
        if let Some(at) = s.heal_at {
            self.act_at(nanos_of(at), Action::Heal);
        }
        self.act_at(0, Action::Tick);
        if self.stores.is_some() {
            if let Some(at) =
                s.kv.as_ref()
                    .and_then(|kv| kv.write_at.filter(|_| kv.writes()))
            {
                self.act_at(nanos_of(at), Action::KvStart);
            }
            if let Some(at) = s.state.as_ref().and_then(|st| st.at) {
                self.act_at(nanos_of(at), Action::StateSet);
            }
            self.act_at(0, Action::StoreCheck);
        }
        if let Some(events) = &s.events {
            match events.at {
                Some(at) => self.act_at(nanos_of(at), Action::EventStart),
                None if s.preconverged => self.act_at(0, Action::EventStart),
                None => {} // the first tick after convergence starts it
            }
        }
    }

    fn act_at(&mut self, at: u64, action: Action) {
        self.agenda.push(at, Pending::Act(action));
    }

    /// Starts every node at 0 with a full, converged view; the setup's own events and
    /// transmits are discarded.
    fn start_converged(&mut self) {
        let n = self.nodes.len() as u32;
        self.unstarted = 0;
        for i in 0..n {
            self.nodes[i as usize].generation = 1;
            self.boot(i);
        }
        if n < 2 {
            self.discard_output(0);
            return;
        }
        let all = P::roster(&self.membership());
        let instant = self.instant(0);
        // Engines are independent here and their output is discarded, so they can be fed
        // on several threads without touching determinism; timers are scheduled afterwards,
        // in node order, on this thread.
        let per_thread = self.nodes.len().div_ceil(worker_threads()).max(1);
        std::thread::scope(|scope| {
            for chunk in self.nodes.chunks_mut(per_thread) {
                let all = &all;
                scope.spawn(move || {
                    for node in chunk.iter_mut() {
                        if let Some(engine) = node.engine.as_mut() {
                            engine.preconverge(instant, all);
                        }
                    }
                });
            }
        });
        for i in 0..n {
            self.discard_output(i);
        }
    }

    /// Every member, alive.
    fn membership(&self) -> Vec<Peer<'_>> {
        self.nodes
            .iter()
            .enumerate()
            .filter_map(|(i, node)| {
                Some(Peer {
                    index: i as u32,
                    name: &self.names[i],
                    addr: addr_of(i as u32, node.epoch),
                    generation: node.generation,
                    version: node.engine.as_ref()?.version(),
                })
            })
            .collect()
    }

    /// Drops whatever node `i`'s engine produced and schedules its timer.
    fn discard_output(&mut self, i: u32) {
        let Some(engine) = self.nodes[i as usize].engine.as_mut() else {
            return;
        };
        while engine.poll_transmit().is_some() {}
        while engine.poll_event().is_some() {}
        let deadline = engine.poll_timeout().map(|d| self.nanos(d));
        self.reschedule(i, deadline, false);
    }
}
