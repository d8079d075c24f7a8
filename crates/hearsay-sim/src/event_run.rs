//! Running an application-message workload: choosing senders, sending events and queries at
//! their rates, and draining what the members report.
//!
//! ```text
//!   EventStart (--event-at; 0 when preconverged; else the first tick after convergence)
//!     ──> senders chosen, EventSend 0 and QuerySend 0 now
//!   EventSend n ──> broadcast by the sender of n, EventSend n+1 one interval later
//!   QuerySend n ──> query by the sender of n,     QuerySend n+1 one interval later
//!   after every call into a member: its outputs drained (queries answered at once),
//!     its payload counter read (event_metrics.rs)
//! ```
//!
//! None of this runs, and no random number is drawn for it, unless the scenario has the
//! workload, so runs without `--events` or `--queries` are exactly as they were.

use hearsay_proto::user::Payload;

use crate::error::SimError;
use crate::event_metrics::EventMetrics;
use crate::node::Status;
use crate::observer::Observer;
use crate::protocol::Protocol;
use crate::queue::{Action, Nanos, Pending};
use crate::scenario::Scenario;
use crate::simulation::{Simulation, nanos_of};

/// A workload in progress.
pub(crate) struct EventRun {
    /// When sending started.
    pub started: Option<Nanos>,
    /// With `--event-senders K`: the K senders (node indices), taking turns.
    senders: Vec<u32>,
    pub metrics: EventMetrics,
}

impl EventRun {
    /// The workload of `scenario`, if it has one; refused if `P` lacks what it sends.
    pub fn for_scenario<P: Protocol>(scenario: &Scenario) -> Result<Option<EventRun>, SimError> {
        let Some(load) = &scenario.events else {
            return Ok(None);
        };
        for (asked, has, what, flag) in [
            (load.events(), P::MESSAGES, "user events", "events"),
            (load.queries(), P::QUERIES, "queries", "queries"),
        ] {
            if asked && !has {
                return Err(SimError::NoMessages {
                    protocol: P::NAME,
                    what,
                    flag,
                });
            }
        }
        Ok(Some(EventRun {
            started: None,
            senders: Vec::new(),
            metrics: EventMetrics::new(scenario.nodes as usize),
        }))
    }
}

impl<P: Protocol> Simulation<P> {
    /// At a tick: starts sending if the workload waits for convergence and it has come.
    pub(crate) fn events_on_tick<O: Observer<P>>(&mut self, observer: &mut O) {
        let waiting = self
            .events
            .as_ref()
            .is_some_and(|run| run.started.is_none());
        let by_default = self
            .scenario
            .events
            .as_ref()
            .is_some_and(|e| e.at.is_none());
        if waiting && by_default && self.unstarted == 0 && self.metrics.join_converged.is_some() {
            self.start_events(observer);
        }
    }

    /// The sending window opens now: senders are chosen, the first event and query go out.
    pub(crate) fn start_events<O: Observer<P>>(&mut self, observer: &mut O) {
        let Some(load) = self.scenario.events.clone() else {
            return;
        };
        let now = self.now;
        let senders: Vec<u32> = match load.senders {
            Some(k) => self
                .nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| n.status == Status::Running)
                .map(|(i, _)| i as u32)
                .take(k as usize)
                .collect(),
            None => Vec::new(),
        };
        match self.events.as_mut() {
            Some(run) if run.started.is_none() => {
                run.started = Some(now);
                run.senders = senders;
            }
            _ => return,
        }
        if load.events() {
            self.send_event(0, observer);
        }
        if load.queries() {
            self.send_query(0, observer);
        }
    }

    /// Event number `seq` of the window; schedules the next.
    pub(crate) fn send_event<O: Observer<P>>(&mut self, seq: u32, observer: &mut O) {
        let Some(load) = self.scenario.events.clone() else {
            return;
        };
        let instant = self.instant(self.now);
        if let Some(i) = self.sender(seq)
            && let Some(run) = self.events.as_mut()
        {
            let (_, payload) = run.metrics.next_event(load.event_bytes);
            let sent = self.nodes[i as usize]
                .engine
                .as_mut()
                .and_then(|e| e.messages_mut())
                .is_some_and(|m| m.broadcast(instant, payload));
            if sent {
                run.metrics.sent(i, self.now);
            }
            self.after_call(i, observer, false);
        }
        if let Some(next) = self.next_send(seq, load.events_per_s) {
            self.agenda
                .push(next, Pending::Act(Action::EventSend { seq: seq + 1 }));
        }
    }

    /// Query number `seq` of the window; schedules the next.
    pub(crate) fn send_query<O: Observer<P>>(&mut self, seq: u32, observer: &mut O) {
        let Some(load) = self.scenario.events.clone() else {
            return;
        };
        let instant = self.instant(self.now);
        if let Some(i) = self.sender(seq)
            && let Some(run) = self.events.as_mut()
        {
            let (_, payload) = run.metrics.next_query();
            let number = self.nodes[i as usize]
                .engine
                .as_mut()
                .and_then(|e| e.messages_mut())
                .and_then(|m| m.query(instant, payload, load.query_timeout));
            if let Some(number) = number {
                run.metrics.asked(i, number, self.now);
            }
            self.after_call(i, observer, false);
        }
        if let Some(next) = self.next_send(seq, load.queries_per_s) {
            self.agenda
                .push(next, Pending::Act(Action::QuerySend { seq: seq + 1 }));
        }
    }

    /// When message `seq + 1` of a stream at `rate` per second is due, if inside the window.
    fn next_send(&self, seq: u32, rate: f64) -> Option<Nanos> {
        let load = self.scenario.events.as_ref()?;
        let start = self.events.as_ref()?.started?;
        let interval = (1e9 / rate).round().max(1.0) as Nanos;
        let next = u64::from(seq) + 1;
        let at = next.saturating_mul(interval);
        (at < nanos_of(load.send_for) && next <= u64::from(u32::MAX)).then_some(start + at)
    }

    /// Who sends message `seq`: a random running member, or the fixed senders in turn, one
    /// that no longer runs replaced by the lowest-numbered running member that is not a
    /// sender yet. `None` if nobody runs.
    fn sender(&mut self, seq: u32) -> Option<u32> {
        let run = self.events.as_ref()?;
        if run.senders.is_empty() {
            return self
                .pick_from(|_, n| n.status == Status::Running, 1)
                .first()
                .copied();
        }
        let slot = seq as usize % run.senders.len();
        let current = run.senders[slot];
        if self.nodes[current as usize].status == Status::Running {
            return Some(current);
        }
        let replacement = (0..self.nodes.len() as u32).find(|&j| {
            self.nodes[j as usize].status == Status::Running && !run.senders.contains(&j)
        })?;
        if let Some(run) = self.events.as_mut() {
            run.senders[slot] = replacement;
        }
        Some(replacement)
    }

    /// Drains node `i`'s application-message outputs at `now` (answering queries at once)
    /// and reads its payload counter. Nothing happens without a workload.
    pub(crate) fn drain_messages(&mut self, i: u32) {
        let Some(run) = self.events.as_mut() else {
            return;
        };
        let now = self.now;
        let instant = self.base + std::time::Duration::from_nanos(now);
        let Some(m) = self.nodes[i as usize]
            .engine
            .as_mut()
            .and_then(|e| e.messages_mut())
        else {
            return;
        };
        while let Some(output) = m.poll_message() {
            if let Some(id) = run.metrics.on_output(i, output, now) {
                m.respond(instant, &id, Payload::from(crate::event_metrics::RESPONSE));
            }
        }
        run.metrics.count_payloads(i, m.payloads_in());
    }
}
