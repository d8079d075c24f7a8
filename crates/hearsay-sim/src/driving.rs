//! Driving the engines: handing them input, draining their output, keeping their timers.
//!
//! Each node has at most one valid timer entry on the agenda. Its deadline is stored in the
//! node; when an entry pops whose time no longer matches (the engine moved its deadline), it
//! is skipped. That is cheaper than removing entries from a heap, and stale entries are few.

use hearsay_proto::{Transmit, TransmitKind};

use crate::addr::{addr_of, node_of};
use crate::metrics::{STREAM_OVERHEAD_BYTES, UDP_OVERHEAD_BYTES};
use crate::node::{INBOX_CAPACITY, NO_TIMER, Queued, Status};
use crate::observer::Observer;
use crate::protocol::{Boot, Protocol};
use crate::queue::{Delivery, Nanos, Pending};
use crate::simulation::Simulation;

/// After a timeout, a deadline that is not in the future is pushed this far ahead, so an
/// engine that keeps asking for "now" cannot stall virtual time.
const MIN_TIMER_STEP: Nanos = 1_000;

impl<P: Protocol> Simulation<P> {
    /// Creates the engine of node `i` for its current epoch and generation, at `now`.
    pub(crate) fn boot(&mut self, i: u32) {
        let now = self.now;
        let instant = self.instant(now);
        let seed = engine_seed(self.scenario.seed, i, self.nodes[i as usize].generation);
        let node = &mut self.nodes[i as usize];
        let boot = Boot {
            index: i,
            name: &self.names[i as usize],
            addr: addr_of(i, node.epoch),
            generation: node.generation,
            seed,
        };
        node.engine = Some(P::boot(&self.config, boot, instant));
        node.status = Status::Running;
        node.started_at = now;
        node.timer_at = NO_TIMER;
        self.boot_stores(i);
        if let Some(run) = self.events.as_mut() {
            run.metrics.booted(i);
        }
    }

    /// Drains node `i`'s engine after a call into it: routes its transmits, records its
    /// events, and reschedules its timer.
    pub(crate) fn after_call<O: Observer<P>>(
        &mut self,
        i: u32,
        observer: &mut O,
        after_timeout: bool,
    ) {
        self.after_timed_call(i, observer, after_timeout, None);
    }

    /// [`Simulation::after_call`] for a call whose stopwatch started at `started`: the
    /// drain counts as protocol time, the simulator's bookkeeping does not.
    pub(crate) fn after_timed_call<O: Observer<P>>(
        &mut self,
        i: u32,
        observer: &mut O,
        after_timeout: bool,
        started: Option<std::time::Instant>,
    ) {
        let now = self.now;
        self.drain_messages(i);
        let Some(engine) = self.nodes[i as usize].engine.as_mut() else {
            return;
        };
        let mut transmits = std::mem::take(&mut self.transmit_buf);
        let mut events = std::mem::take(&mut self.event_buf);
        let deadline = {
            while let Some(t) = engine.poll_transmit() {
                transmits.push(t);
            }
            while let Some(e) = engine.poll_event() {
                events.push(e);
            }
            if let Some(stores) = engine.stores_mut() {
                stores.drain_events();
            }
            engine.poll_timeout()
        };
        self.stop_stopwatch(started);
        self.reschedule(i, deadline.map(|d| self.nanos(d)), after_timeout);
        for event in events.drain(..) {
            if let Some(seen) = P::observe(&event) {
                self.metrics
                    .on_observation(i, &seen, now, &self.nodes, &self.net);
            }
            observer.on_event(self, i, &event);
        }
        for transmit in transmits.drain(..) {
            observer.on_transmit(self, i, &transmit);
            self.send(i, transmit);
        }
        self.transmit_buf = transmits;
        self.event_buf = events;
    }

    /// Keeps exactly one valid timer entry for node `i`.
    pub(crate) fn reschedule(&mut self, i: u32, deadline: Option<Nanos>, after_timeout: bool) {
        let floor = if after_timeout {
            self.now + MIN_TIMER_STEP
        } else {
            self.now
        };
        let node = &mut self.nodes[i as usize];
        match deadline {
            None => node.timer_at = NO_TIMER,
            Some(d) => {
                let at = d.max(floor);
                if at != node.timer_at {
                    node.timer_at = at;
                    self.agenda.push(at, Pending::Timer { node: i });
                }
            }
        }
    }

    /// Puts one transmit of node `from` on the modelled network.
    fn send(&mut self, from: u32, t: Transmit) {
        let stream = t.kind == TransmitKind::Stream;
        let len = t.bytes.len() as u64;
        if let Some(run) = self.stores.as_mut()
            && let Some(s) = self.nodes[from as usize]
                .engine
                .as_ref()
                .and_then(|e| e.stores())
        {
            run.count(s.carried(&t), stream);
        }
        if let Some(run) = self.events.as_mut()
            && let Some(m) = self.nodes[from as usize]
                .engine
                .as_ref()
                .and_then(|e| e.messages())
        {
            let bytes = m.message_bytes(&t);
            run.metrics.wire_bytes += if bytes == len {
                crate::event_report::wire_bytes(len, stream)
            } else {
                bytes
            };
        }
        let traffic = &mut self.metrics.traffic;
        if stream {
            traffic.streams_sent += 1;
            traffic.stream_payload_bytes += len;
        } else {
            traffic.datagrams_sent += 1;
            traffic.datagram_payload_bytes += len;
            traffic.max_datagram_bytes = traffic.max_datagram_bytes.max(len);
        }
        let wire = len
            + if stream {
                STREAM_OVERHEAD_BYTES
            } else {
                UDP_OVERHEAD_BYTES
            };
        if from == 0 {
            traffic.seed_out_wire_bytes += wire;
        }
        let Some((to, to_epoch)) =
            node_of(t.to).filter(|(to, _)| (*to as usize) < self.nodes.len())
        else {
            traffic.undeliverable += 1;
            return;
        };
        if to == 0 {
            self.metrics.traffic.seed_in_wire_bytes += wire;
        }
        if !stream && self.net.lose(&mut self.rng) {
            self.metrics.traffic.datagrams_lost += 1;
            return;
        }
        let at = self.now + self.net.latency(&mut self.rng);
        let delivery = Delivery {
            to,
            to_epoch,
            from,
            from_epoch: self.nodes[from as usize].epoch,
            stream,
            bytes: t.bytes,
        };
        self.agenda.push(at, Pending::Deliver(delivery));
    }

    /// A message arrives: dropped if nobody owns the address or a partition lies between
    /// the ends (or, for a stream, if the sender died meanwhile), queued if the receiver is
    /// paused, handed over otherwise.
    pub(crate) fn deliver<O: Observer<P>>(&mut self, d: Delivery, observer: &mut O) {
        let to = &self.nodes[d.to as usize];
        let from = &self.nodes[d.from as usize];
        let reachable = to.is_up()
            && to.epoch == d.to_epoch
            && !(d.stream && !(from.is_up() && from.epoch == d.from_epoch))
            && !self.net.cut(d.from, d.to);
        if !reachable {
            self.metrics.traffic.undeliverable += 1;
            return;
        }
        self.metrics.steps += 1;
        let to = &mut self.nodes[d.to as usize];
        if to.is_paused() {
            if to.inbox.len() >= INBOX_CAPACITY {
                self.metrics.traffic.inbox_dropped += 1;
            } else {
                to.inbox.push(Queued {
                    from: d.from,
                    from_epoch: d.from_epoch,
                    stream: d.stream,
                    bytes: d.bytes,
                });
            }
            return;
        }
        self.hand_over(d.to, d.from, d.from_epoch, d.stream, &d.bytes, observer);
    }

    /// Gives a message to node `to`'s engine, now.
    pub(crate) fn hand_over<O: Observer<P>>(
        &mut self,
        to: u32,
        from: u32,
        from_epoch: u16,
        stream: bool,
        bytes: &[u8],
        observer: &mut O,
    ) {
        let now = self.now;
        let instant = self.instant(now);
        let from_addr = addr_of(from, from_epoch);
        if let Some(trace) = &mut self.trace {
            trace.update(&now.to_le_bytes());
            trace.update(&from.to_le_bytes());
            trace.update(&from_epoch.to_le_bytes());
            trace.update(&to.to_le_bytes());
            trace.update(&[u8::from(stream)]);
            trace.update(&(bytes.len() as u64).to_le_bytes());
            trace.update(bytes);
        }
        let started = self.start_stopwatch();
        let Some(engine) = self.nodes[to as usize].engine.as_mut() else {
            return;
        };
        if stream {
            self.metrics.traffic.streams_delivered += 1;
            engine.handle_stream(instant, from_addr, bytes);
        } else {
            self.metrics.traffic.datagrams_delivered += 1;
            engine.handle_datagram(instant, from_addr, bytes);
        }
        self.after_timed_call(to, observer, false, started);
    }

    /// A timer entry pops: fire it if it is still node `i`'s deadline and `i` is running.
    pub(crate) fn fire_timer<O: Observer<P>>(&mut self, i: u32, observer: &mut O) {
        let now = self.now;
        let node = &mut self.nodes[i as usize];
        if node.timer_at != now || node.status != Status::Running {
            return; // stale, or paused (the wake-up fires it), or dead
        }
        self.metrics.steps += 1;
        node.timer_at = NO_TIMER;
        let instant = self.instant(now);
        let started = self.start_stopwatch();
        if let Some(engine) = self.nodes[i as usize].engine.as_mut() {
            engine.handle_timeout(instant);
            self.after_timed_call(i, observer, true, started);
        }
    }

    /// Ends node `i`'s pause: handles its queued input in arrival order, then its timer.
    pub(crate) fn wake<O: Observer<P>>(&mut self, i: u32, observer: &mut O) {
        let now = self.now;
        let node = &mut self.nodes[i as usize];
        if !node.is_paused() {
            return;
        }
        node.status = Status::Running;
        let inbox = std::mem::take(&mut node.inbox);
        self.faults.paused -= 1;
        self.faults.last_end = Some(now);
        for q in &inbox {
            self.hand_over(i, q.from, q.from_epoch, q.stream, &q.bytes, observer);
        }
        let node = &mut self.nodes[i as usize];
        if node.timer_at <= now {
            node.timer_at = NO_TIMER;
            let instant = self.instant(now);
            if let Some(engine) = self.nodes[i as usize].engine.as_mut() {
                engine.handle_timeout(instant);
                self.after_call(i, observer, true);
            }
        }
    }
}

/// Each engine's RNG seed, from the run's seed, the node and its generation (splitmix64
/// finalizers, so nearby inputs give unrelated seeds).
pub(crate) fn engine_seed(run_seed: u64, index: u32, generation: u64) -> u64 {
    mix(mix(run_seed ^ 0x6865_6172_7361_7921) ^ mix(u64::from(index) << 20 ^ generation))
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_seeds_differ_by_node_generation_and_run() {
        let a = engine_seed(1, 0, 1);
        assert_ne!(a, engine_seed(1, 1, 1));
        assert_ne!(a, engine_seed(1, 0, 2));
        assert_ne!(a, engine_seed(2, 0, 1));
        assert_eq!(a, engine_seed(1, 0, 1));
    }
}
