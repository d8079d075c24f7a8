//! Scenario steps: starting, killing, restarting, pausing and partitioning nodes, updating
//! metadata, changing loss, healing. Random choices use the run's one RNG, in agenda order,
//! so they are the same on every run of a seed.

use rand::Rng;
use rand::seq::index::sample;

use crate::addr::{MAX_EPOCH, addr_of};
use crate::node::{NO_TIMER, Status};
use crate::observer::Observer;
use crate::protocol::Protocol;
use crate::queue::{Action, Nanos, Pending};
use crate::scenario::{PAUSE_GAP, partition_size};
use crate::simulation::{Simulation, TICK, nanos_of};

impl<P: Protocol> Simulation<P> {
    /// Carries out one scenario step.
    pub(crate) fn act<O: Observer<P>>(&mut self, action: Action, observer: &mut O) {
        self.metrics.steps += 1;
        match action {
            Action::Start { node } => self.start(node, observer),
            Action::Kill { spec } => {
                let count = self.scenario.kills[spec as usize].count;
                let candidates = self.pick_from(|i, n| i != 0 && n.is_up(), count);
                for i in candidates {
                    self.kill(i);
                }
            }
            Action::Restart { spec } => {
                let count = self.scenario.restarts[spec as usize].count;
                for _ in 0..count {
                    if self.down.is_empty() {
                        break;
                    }
                    let k = self.rng.random_range(0..self.down.len());
                    let i = self.down.swap_remove(k);
                    self.restart(i, observer);
                }
            }
            Action::PauseGroup { spec } => {
                let p = self.scenario.pauses[spec as usize];
                let length = nanos_of(p.length);
                let chosen = self.pick_from(|i, n| i != 0 && n.status == Status::Running, p.count);
                for i in chosen {
                    self.pause(i, length);
                }
            }
            Action::RandomPause { node } => self.random_pause(node),
            Action::Wake { node } => {
                if let Status::Paused { until } = self.nodes[node as usize].status
                    && until == self.now
                {
                    self.wake(node, observer);
                }
            }
            Action::PartitionStart { id } => {
                let p = self.scenario.partitions[id as usize];
                let size = partition_size(p.fraction, self.scenario.nodes);
                let members: Vec<u32> = sample(&mut self.rng, self.nodes.len(), size as usize)
                    .into_iter()
                    .map(|i| i as u32)
                    .collect();
                self.net.start_partition(id, &members, self.now);
                self.agenda.push(
                    self.now + nanos_of(p.length),
                    Pending::Act(Action::PartitionEnd { id }),
                );
            }
            Action::PartitionEnd { id } => {
                if self.net.end_partition(id, self.now) {
                    self.faults.last_end = Some(self.now);
                }
            }
            Action::Update => self.update(observer),
            Action::SetLoss { change } => {
                let loss = self.scenario.loss_changes[change as usize].loss;
                self.set_loss(loss);
            }
            Action::Heal => self.heal(observer),
            Action::Tick => {
                if !self.scenario.preconverged
                    && self.unstarted == 0
                    && self.metrics.join_converged.is_none()
                    && self.views_converged()
                {
                    self.metrics.join_converged = Some(self.now);
                }
                if self.unstarted == 0 {
                    self.metrics.agreement_checks += 1;
                    if self.live_views_agree() {
                        self.metrics.agreement_hits += 1;
                    }
                }
                self.events_on_tick(observer);
                observer.on_tick(self);
                let next = self.now + nanos_of(TICK);
                if next <= self.end {
                    self.agenda.push(next, Pending::Act(Action::Tick));
                }
            }
            Action::KvStart => self.start_kv_writes(observer),
            Action::KvWrite { seq } => self.kv_write(seq, observer),
            Action::StateSet => self.set_state_everywhere(observer),
            Action::StoreCheck => self.store_check(observer),
            Action::EventStart => self.start_events(observer),
            Action::EventSend { seq } => self.send_event(seq, observer),
            Action::QuerySend { seq } => self.send_query(seq, observer),
        }
    }

    /// A node of a cold join starts; all but node 0 join through node 0.
    fn start<O: Observer<P>>(&mut self, i: u32, observer: &mut O) {
        self.unstarted -= 1;
        self.nodes[i as usize].generation = 1;
        self.boot(i);
        if i != 0 {
            let seed = addr_of(0, self.nodes[0].epoch);
            let now = self.instant(self.now);
            if let Some(engine) = self.nodes[i as usize].engine.as_mut() {
                engine.join(now, &[seed]);
            }
        }
        self.after_call(i, observer, false);
    }

    /// Kills node `i`: its engine is dropped (its counters kept), its input discarded.
    fn kill(&mut self, i: u32) {
        let now = self.now;
        let node = &mut self.nodes[i as usize];
        if let Some(engine) = node.engine.take() {
            engine.add_counters(&mut self.totals);
        }
        if node.is_paused() {
            self.faults.paused -= 1;
            self.faults.last_end = Some(now);
        }
        node.status = Status::Dead;
        node.inbox = Vec::new();
        node.timer_at = NO_TIMER;
        let generation = node.generation;
        self.metrics
            .follow_kill(self.nodes.len(), i, generation, now);
        self.down.push(i);
    }

    /// Brings killed node `i` back: same name, next generation, new address; it joins
    /// through node 0 if that runs, else through a random running member.
    fn restart<O: Observer<P>>(&mut self, i: u32, observer: &mut O) {
        let node = &mut self.nodes[i as usize];
        if node.epoch >= MAX_EPOCH {
            return; // out of ports for this node; it stays down
        }
        node.epoch += 1;
        node.generation += 1;
        self.boot(i);
        let seed = if self.nodes[0].is_up() {
            Some(0)
        } else {
            self.pick_from(|j, n| j != i && n.is_up(), 1)
                .first()
                .copied()
        };
        let seeds: Vec<_> = seed
            .map(|s| addr_of(s, self.nodes[s as usize].epoch))
            .into_iter()
            .collect();
        let now = self.instant(self.now);
        if let Some(engine) = self.nodes[i as usize].engine.as_mut() {
            engine.join(now, &seeds);
        }
        self.after_call(i, observer, false);
    }

    /// Freezes running node `i` for `length`.
    fn pause(&mut self, i: u32, length: Nanos) {
        let until = self.now + length.max(1);
        self.nodes[i as usize].status = Status::Paused { until };
        self.faults.paused += 1;
        self.agenda
            .push(until, Pending::Act(Action::Wake { node: i }));
    }

    /// The next pause of a `--pauses` member, and the one after it.
    fn random_pause(&mut self, i: u32) {
        if self.faults.healed {
            return;
        }
        let Some(spec) = self.scenario.random_pauses else {
            return;
        };
        let mut next = self.now;
        if self.nodes[i as usize].status == Status::Running {
            let length = self
                .rng
                .random_range(nanos_of(spec.min)..=nanos_of(spec.max));
            self.pause(i, length);
            next += length;
        }
        next += self.pause_gap();
        self.agenda
            .push(next, Pending::Act(Action::RandomPause { node: i }));
    }

    /// A gap between two random pauses of one member, uniform in [`PAUSE_GAP`].
    pub(crate) fn pause_gap(&mut self) -> Nanos {
        self.rng
            .random_range(nanos_of(PAUSE_GAP.0)..=nanos_of(PAUSE_GAP.1))
    }

    /// `--update-at`: a random running (not paused) member other than node 0 publishes new
    /// metadata; its new incarnation is what the spread metric waits for.
    fn update<O: Observer<P>>(&mut self, observer: &mut O) {
        let Some(&i) = self
            .pick_from(|i, n| i != 0 && n.status == Status::Running, 1)
            .first()
        else {
            return;
        };
        let now = self.now;
        let instant = self.instant(now);
        let label = format!("updated at {now} ns");
        let generation = self.nodes[i as usize].generation;
        let Some(engine) = self.nodes[i as usize].engine.as_mut() else {
            return;
        };
        if let Some(incarnation) = engine.publish_update(instant, &label) {
            self.metrics
                .follow_update(self.nodes.len(), i, generation, incarnation, now);
        }
        self.after_call(i, observer, false);
    }

    fn set_loss(&mut self, loss: f64) {
        if self.net.loss > 0.0 && loss == 0.0 {
            self.faults.last_end = Some(self.now);
        }
        self.net.loss = loss;
    }

    /// Every fault ends now: no loss, partitions over, paused members wake, no new pauses.
    fn heal<O: Observer<P>>(&mut self, observer: &mut O) {
        self.set_loss(0.0);
        let active: Vec<u32> = self.net.active_ids().collect();
        for id in active {
            self.net.end_partition(id, self.now);
        }
        for i in 0..self.nodes.len() as u32 {
            if self.nodes[i as usize].is_paused() {
                self.wake(i, observer);
            }
        }
        self.faults.healed = true;
        self.faults.last_end = Some(self.now);
    }

    /// Up to `count` distinct random nodes satisfying `eligible`, in random order.
    pub(crate) fn pick_from(
        &mut self,
        eligible: impl Fn(u32, &crate::node::Node<P>) -> bool,
        count: u32,
    ) -> Vec<u32> {
        let candidates: Vec<u32> = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(i, n)| eligible(*i as u32, n))
            .map(|(i, _)| i as u32)
            .collect();
        let amount = (count as usize).min(candidates.len());
        sample(&mut self.rng, candidates.len(), amount)
            .into_iter()
            .map(|k| candidates[k])
            .collect()
    }
}
