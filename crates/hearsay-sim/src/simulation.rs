//! The simulation: N engines, one virtual clock, one agenda, one seeded RNG.
//!
//! The loop pops the earliest agenda entry, sets the clock to its time and carries it out:
//! a message is handed to its receiver, a timer fires, or a scenario step runs. After every
//! engine call the driver drains the engine's transmits and events and re-reads its deadline
//! (see `driving.rs`). Virtual time is nanoseconds since one base `Instant`, taken once; the
//! engines see `base + t`, reports see `t`, so output does not depend on the machine.

#![allow(clippy::disallowed_methods)] // owns the clock: the base instant and wall time

use std::time::{Duration, Instant};

use hearsay_proto::{Engine, Name, Transmit};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use xxhash_rust::xxh3::Xxh3Default;

use crate::addr::name_of;
use crate::counters::Counters;
use crate::error::SimError;
use crate::event_report::EventFigures;
use crate::event_run::EventRun;
use crate::memory::peak_rss_mb;
use crate::metrics::Metrics;
use crate::network::Network;
use crate::node::Node;
use crate::observer::Observer;
use crate::parallel::drop_in_parallel;
use crate::protocol::Protocol;
use crate::queue::{Agenda, Nanos, Pending};
use crate::report::Report;
use crate::scenario::Scenario;
use crate::store_progress::StoreRun;
use crate::store_report::StoreFigures;

/// Period of the convergence check and of [`Observer::on_tick`].
pub const TICK: Duration = Duration::from_millis(100);

/// What a run produced.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Outcome {
    /// The figures.
    pub report: Report,
    /// Hash of every delivered message (time, sender, receiver, bytes), if requested with
    /// [`Simulation::record_trace`]: equal hashes mean identical runs.
    pub trace_hash: Option<u64>,
    /// How long the update took to reach each node up at the end (the updater excluded),
    /// sorted; empty without an update or if some node never learned it.
    pub spread_times: Vec<Duration>,
    /// Traffic sent before the update was made, if there was one: the cluster's idle
    /// cost when the update comes late in a run.
    pub before_update: Option<TrafficSoFar>,
    /// Per-event and per-node detail of a message workload, for charts; `None` without one.
    pub events: Option<EventSeries>,
}

/// Detail of a message workload behind its figures.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct EventSeries {
    /// Each event's send time and the percent of its expected receivers (see
    /// `event_delivered_pct`) that delivered it, in sending order.
    pub delivery: Vec<(Duration, f64)>,
    /// For each node up at the end that delivered an event: payload copies received per
    /// event delivered (1 means no duplicates), in node order.
    pub copies_per_delivery: Vec<f64>,
}

/// Traffic totals up to a moment of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TrafficSoFar {
    /// Virtual time of the moment.
    pub at: Duration,
    /// Bytes on the wire (headers included), datagrams and streams.
    pub wire_bytes: u64,
    /// The same without headers: payload bytes only.
    pub payload_bytes: u64,
    /// Datagrams sent.
    pub datagrams: u64,
}

/// Fault bookkeeping for "has the network been calm lately?".
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Faults {
    /// Nodes paused right now.
    pub paused: u32,
    /// When the last fault (loss, partition, pause) ended.
    pub last_end: Option<Nanos>,
    /// Heal has happened: no new pauses start.
    pub healed: bool,
}

/// A simulated cluster. Create with [`Simulation::new`], run with [`Simulation::run`].
///
/// Its members are hearsay engines unless `P` names another [`Protocol`] implementation.
pub struct Simulation<P: Protocol = Engine> {
    pub(crate) scenario: Scenario,
    /// Settings shared by every member; each gets its own seed on top.
    pub(crate) config: P::Config,
    pub(crate) base: Instant,
    pub(crate) now: Nanos,
    pub(crate) end: Nanos,
    pub(crate) rng: ChaCha8Rng,
    pub(crate) agenda: Agenda,
    pub(crate) nodes: Vec<Node<P>>,
    pub(crate) names: Vec<Name>,
    pub(crate) net: Network,
    pub(crate) metrics: Metrics,
    pub(crate) totals: Counters,
    pub(crate) faults: Faults,
    /// Nodes of a cold join that have not started yet.
    pub(crate) unstarted: u32,
    /// Killed members not restarted yet, in kill order.
    pub(crate) down: Vec<u32>,
    pub(crate) trace: Option<Box<Xxh3Default>>,
    /// Reused buffers for draining an engine.
    pub(crate) transmit_buf: Vec<Transmit>,
    pub(crate) event_buf: Vec<P::Event>,
    /// Time spent inside member calls (output drained), if measured.
    pub(crate) protocol_time: Option<Duration>,
    /// The store workload in progress, if the scenario has one.
    pub(crate) stores: Option<Box<StoreRun>>,
    /// The message workload in progress, if the scenario has one.
    pub(crate) events: Option<Box<EventRun>>,
}

impl Simulation<Engine> {
    /// Validates `scenario` and prepares a run of hearsay engines (none is created yet).
    pub fn new(scenario: Scenario) -> Result<Simulation<Engine>, SimError> {
        Simulation::for_protocol(scenario)
    }
}

impl<P: Protocol> Simulation<P> {
    /// Validates `scenario` and prepares a run of `P` members (none is created yet).
    pub fn for_protocol(scenario: Scenario) -> Result<Simulation<P>, SimError> {
        let scenario = scenario.validate()?;
        let n = scenario.nodes;
        let config = P::configure(&scenario)?;
        let stores = StoreRun::for_scenario::<P>(&scenario)?.map(Box::new);
        let events = EventRun::for_scenario::<P>(&scenario)?.map(Box::new);
        let names = (0..n)
            .map(|i| Name::new(&name_of(i)).expect("node names are short and non-empty"))
            .collect();
        let net = Network::new(
            n,
            nanos_of(scenario.latency.min),
            nanos_of(scenario.latency.max),
            scenario.loss,
            scenario.partitions.len(),
        );
        Ok(Simulation {
            config,
            base: Instant::now(),
            now: 0,
            end: nanos_of(scenario.duration),
            rng: ChaCha8Rng::seed_from_u64(scenario.seed),
            agenda: Agenda::default(),
            nodes: (0..n).map(|_| Node::waiting()).collect(),
            names,
            net,
            metrics: Metrics::default(),
            totals: Counters::default(),
            faults: Faults::default(),
            down: Vec::new(),
            unstarted: n,
            trace: None,
            transmit_buf: Vec::new(),
            event_buf: Vec::new(),
            protocol_time: None,
            stores,
            events,
            scenario,
        })
    }

    /// Also hash every delivered message, for comparing runs.
    pub fn record_trace(&mut self) {
        self.trace = Some(Box::new(Xxh3Default::new()));
    }

    /// Also time every call into a member (with its output drained) on the wall clock, for
    /// [`Report::protocol_s`]: the cost of the protocol without the simulator's own.
    pub fn measure_protocol_time(&mut self) {
        self.protocol_time = Some(Duration::ZERO);
    }

    /// Runs the scenario to its end (or until `observer` asks to stop).
    pub fn run<O: Observer<P>>(mut self, observer: &mut O) -> Outcome {
        let wall = Instant::now();
        self.schedule();
        while let Some(entry) = self.agenda.pop_until(self.end) {
            self.now = entry.at;
            match entry.what {
                Pending::Deliver(d) => self.deliver(d, observer),
                Pending::Timer { node } => self.fire_timer(node, observer),
                Pending::Act(action) => self.act(action, observer),
            }
            if observer.should_stop() {
                break;
            }
        }
        self.finish(wall.elapsed())
    }

    /// Virtual time since the start.
    pub fn now(&self) -> Duration {
        Duration::from_nanos(self.now)
    }

    /// The scenario being run.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The members' shared configuration (each has its own seed on top).
    pub fn config(&self) -> &P::Config {
        &self.config
    }

    /// The generation node `index` runs under, if it is running (paused counts).
    pub fn running_generation(&self, index: u32) -> Option<u64> {
        let node = self.nodes.get(index as usize)?;
        node.is_up().then_some(node.generation)
    }

    /// The engine of node `index`, if it is running or paused.
    pub fn engine(&self, index: u32) -> Option<&P> {
        self.nodes.get(index as usize)?.engine.as_ref()
    }

    /// When every node first saw every node alive after a cold join, if it has happened.
    pub fn join_converged_at(&self) -> Option<Duration> {
        self.metrics.join_converged.map(Duration::from_nanos)
    }

    /// Traffic sent so far: wire bytes (headers included, datagrams and streams) and
    /// datagrams, by every member.
    pub fn traffic_so_far(&self) -> TrafficSoFar {
        let t = &self.metrics.traffic;
        TrafficSoFar {
            at: self.now(),
            wire_bytes: t.wire_bytes(),
            payload_bytes: t.payload_bytes(),
            datagrams: t.datagrams_sent,
        }
    }

    /// With a per-node state workload: when the members set their keys, if they have.
    pub fn state_set_at(&self) -> Option<Duration> {
        let p = self.stores.as_ref()?.state.as_ref()?;
        p.set_at.map(Duration::from_nanos)
    }

    /// With a per-node state workload: when every live member first held every member's
    /// keys (checked every 10 ms), if it has happened.
    pub fn state_replicated_at(&self) -> Option<Duration> {
        let p = self.stores.as_ref()?.state.as_ref()?;
        p.replicated_at.map(Duration::from_nanos)
    }

    /// How long the network has been free of faults (no loss, no partition, no paused
    /// node); `None` while a fault is in force.
    pub fn calm_for(&self) -> Option<Duration> {
        if self.net.loss > 0.0 || self.net.partitioned() || self.faults.paused > 0 {
            return None;
        }
        let since = self.faults.last_end.unwrap_or(0);
        Some(Duration::from_nanos(self.now.saturating_sub(since)))
    }

    /// Whether a partition in force, or one that ended less than
    /// [`crate::PARTITION_GRACE`] ago, lies between nodes `a` and `b`.
    pub fn recently_cut(&self, a: u32, b: u32) -> bool {
        self.net.recently_cut(a, b, self.now)
    }

    /// The instant engines see for virtual time `t`.
    pub(crate) fn instant(&self, t: Nanos) -> Instant {
        self.base + Duration::from_nanos(t)
    }

    /// Virtual time of an engine's instant (never [`crate::node::NO_TIMER`]).
    pub(crate) fn nanos(&self, at: Instant) -> Nanos {
        let d = at.saturating_duration_since(self.base).as_nanos();
        d.min(u128::from(Nanos::MAX - 1)) as Nanos
    }

    /// Starts timing a member call, if protocol time is measured.
    pub(crate) fn start_stopwatch(&self) -> Option<Instant> {
        self.protocol_time.is_some().then(Instant::now)
    }

    /// Adds the time since `started` to the protocol time.
    pub(crate) fn stop_stopwatch(&mut self, started: Option<Instant>) {
        if let (Some(total), Some(started)) = (self.protocol_time.as_mut(), started) {
            *total += started.elapsed();
        }
    }

    /// Turns the counters into a report.
    fn finish(mut self, wall: Duration) -> Outcome {
        for node in &self.nodes {
            if let Some(engine) = &node.engine {
                engine.add_counters(&mut self.totals);
            }
        }
        let s = &self.scenario;
        let n = f64::from(s.nodes);
        let secs = s.duration.as_secs_f64();
        let per_member_s = |x: u64| x as f64 / n / secs;
        let t = &self.metrics.traffic;
        let spread = self.metrics.spreading(&self.nodes);
        let (detect_first, detect_all) = self.metrics.detection(&self.nodes);
        let false_dead = self.metrics.false_dead();
        let stores = self
            .stores
            .as_ref()
            .map(|run| StoreFigures::of(run, s, self.store_snapshot(), &self.totals));
        let mut event_series = None;
        let messages = match (s.events.as_ref(), self.events.as_mut()) {
            (Some(load), Some(run)) => {
                let figures =
                    EventFigures::of(load, &mut run.metrics, run.started, self.end, &self.nodes);
                event_series = Some(EventSeries {
                    delivery: run
                        .metrics
                        .delivery_by_event(&self.nodes)
                        .into_iter()
                        .map(|(at, pct)| (Duration::from_nanos(at), pct))
                        .collect(),
                    copies_per_delivery: run.metrics.copies_per_delivery(&self.nodes),
                });
                Some(figures)
            }
            _ => None,
        };
        let report = Report {
            nodes: s.nodes,
            duration_s: secs,
            seed: s.seed,
            preconverged: s.preconverged,
            lifeguard: s.lifeguard,
            update_at_s: self.metrics.update_at().map(seconds),
            killed: self.metrics.killed(),
            join_converged_s: self.metrics.join_converged.map(seconds),
            live_views_agree_pct: (self.metrics.agreement_checks > 0).then(|| {
                100.0 * self.metrics.agreement_hits as f64 / self.metrics.agreement_checks as f64
            }),
            spread_p50_s: spread.map(|x| seconds(x.p50)),
            spread_p99_s: spread.map(|x| seconds(x.p99)),
            spread_max_s: spread.map(|x| seconds(x.max)),
            detect_first_s: detect_first.map(seconds),
            detect_all_s: detect_all.map(seconds),
            false_dead,
            false_dead_per_member_hour: false_dead as f64 / n / (secs / 3600.0),
            bytes_per_member_s: per_member_s(t.wire_bytes()),
            datagrams_per_member_s: per_member_s(t.datagrams_sent),
            stream_bytes_per_member_s: per_member_s(t.stream_wire_bytes()),
            seed_bytes_out_per_s: t.seed_out_wire_bytes as f64 / secs,
            seed_bytes_in_per_s: t.seed_in_wire_bytes as f64 / secs,
            datagrams: t.datagrams_delivered,
            datagrams_sent: t.datagrams_sent,
            datagrams_lost: t.datagrams_lost,
            streams: t.streams_delivered,
            undeliverable: t.undeliverable,
            inbox_dropped: t.inbox_dropped,
            max_datagram_bytes_seen: t.max_datagram_bytes,
            events: self.metrics.steps,
            dropped_input: self.totals.dropped.values().sum(),
            dropped_input_by_reason: self
                .totals
                .dropped
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
            events_dropped: self.totals.events_dropped,
            suspicions: self.totals.suspicions,
            refutations: self.totals.refutations,
            deaths_declared: self.totals.deaths_declared,
            engine_counters: self
                .totals
                .all
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
            wall_s: wall.as_secs_f64(),
            protocol_s: self.protocol_time.map(|d| d.as_secs_f64()),
            peak_rss_mb: peak_rss_mb(),
            stores,
            messages,
        };
        let trace_hash = self.trace.as_ref().map(|h| h.digest());
        let spread_times = self
            .metrics
            .spread_times(&self.nodes)
            .unwrap_or_default()
            .into_iter()
            .map(Duration::from_nanos)
            .collect();
        let before_update = self
            .metrics
            .before_update
            .zip(self.metrics.update_at())
            .map(
                |((wire_bytes, payload_bytes, datagrams), at)| TrafficSoFar {
                    at: Duration::from_nanos(at),
                    wire_bytes,
                    payload_bytes,
                    datagrams,
                },
            );
        drop_in_parallel(std::mem::take(&mut self.nodes));
        Outcome {
            report,
            trace_hash,
            spread_times,
            before_update,
            events: event_series,
        }
    }
}

/// Runs `scenario` without observers and returns its report.
pub fn run(scenario: Scenario) -> Result<Report, SimError> {
    Ok(Simulation::new(scenario)?.run(&mut ()).report)
}

pub(crate) fn nanos_of(d: Duration) -> Nanos {
    d.as_nanos().min(u128::from(Nanos::MAX - 1)) as Nanos
}

fn seconds(t: Nanos) -> f64 {
    Duration::from_nanos(t).as_secs_f64()
}
