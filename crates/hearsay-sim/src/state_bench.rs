//! hearsay's side of the per-node state comparison with chitchat (the benchmark crate runs
//! chitchat's side with the same parameters).
//!
//! ```text
//!   cold join (nodes start within 5 s) ─ views converged = t0: every node sets key-0 ..
//!   ─ replicated? (every node holds every key of every node, 10 ms checks) = full_replication_s
//!   ─ settle (default 0) ─ idle window: every byte every node sent ─> per node-second
//! ```
//!
//! The engines are the real ones with [`hearsay_proto::Config::lan`], on the simulator's
//! network model with its default latency (1..5 ms one way) and no loss. Nodes join cold by
//! default, as real ones do, so their timers (anti-entropy above all) run in unrelated
//! phases; a preconverged start instead boots every engine at 0, which puts their
//! anti-entropy exchanges in lockstep (they all fall in the same second of every 30).
//!
//! Idle bytes are every byte every node sent in the window, datagrams and streams,
//! membership probing and anti-entropy included (chitchat's idle bytes include its
//! heartbeats), counted on the wire: payload plus 28 bytes of UDP/IP headers per datagram
//! and 40 of TCP/IP per stream message. The payload-only figure is given too. Traffic is
//! read at the simulator's 100 ms ticks: the window starts at the first tick after full
//! replication (plus the settle time).

use std::time::Duration;

use serde::Serialize;

use crate::error::SimError;
use crate::observer::Observer;
use crate::scenario::Scenario;
use crate::simulation::{Simulation, TrafficSoFar};
use crate::store_load::StateLoad;

/// Longest wait for the views to converge (t0) from the start.
pub const CONVERGENCE_TIMEOUT: Duration = Duration::from_secs(60);

/// Replication is waited for until `CONVERGENCE_TIMEOUT + REPLICATION_TIMEOUT` from the
/// start; the idle window starts then if it never came.
pub const REPLICATION_TIMEOUT: Duration = Duration::from_secs(120);

/// A per-node state comparison run.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct StateBench {
    /// Cluster size.
    pub nodes: u32,
    /// Keys each node sets (`key-0` ...).
    pub keys_per_node: u32,
    /// Bytes of each value.
    pub value_bytes: u32,
    /// Length of the idle window.
    pub idle: Duration,
    /// Time between full replication and the idle window, for the updates' piggybacked
    /// retransmissions to run out (the window then measures the steady state). Defaults to
    /// 0: the window starts at full replication, and so includes that tail.
    pub settle: Duration,
    /// Start every node at 0 with a converged view (t0 is then 0) instead of a cold join.
    /// Defaults to false.
    pub preconverged: bool,
    /// The run's seed.
    pub seed: u64,
}

/// hearsay's figures of a [`StateBench`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct StateRun {
    /// When the views converged and the nodes set their keys (t0), from the start; `None`
    /// if the views never converged within [`CONVERGENCE_TIMEOUT`].
    pub t0_s: Option<f64>,
    /// From t0 until every node held every key of every node (10 ms resolution); `None`
    /// if that did not happen within [`REPLICATION_TIMEOUT`].
    pub full_replication_s: Option<f64>,
    /// Wire bytes (headers included) every node sent in the idle window, per node-second.
    pub idle_bytes_per_node_s: f64,
    /// The same without headers: payload bytes of datagrams and stream messages.
    pub idle_payload_bytes_per_node_s: f64,
    /// Datagrams every node sent in the idle window, per node-second.
    pub idle_datagrams_per_node_s: f64,
    /// Wire bytes per node sent from t0 until full replication (or the timeout).
    pub replication_bytes_per_node: f64,
    /// When the idle window started, from t0 (from the start without a t0).
    pub idle_from_s: f64,
    /// Its length, in seconds.
    pub idle_s: f64,
}

impl StateBench {
    /// `keys_per_node` keys of `value_bytes` on each of `nodes` nodes, then `idle` of quiet.
    pub fn new(
        nodes: u32,
        keys_per_node: u32,
        value_bytes: u32,
        idle: Duration,
        seed: u64,
    ) -> StateBench {
        StateBench {
            nodes,
            keys_per_node,
            value_bytes,
            idle,
            settle: Duration::ZERO,
            preconverged: false,
            seed,
        }
    }

    /// Runs it.
    pub fn run(&self) -> Result<StateRun, SimError> {
        let fallback = CONVERGENCE_TIMEOUT + REPLICATION_TIMEOUT;
        // A second of margin so that a tick falls after the window's end.
        let duration = fallback + self.settle + self.idle + Duration::from_secs(1);
        let mut s = Scenario::new(self.nodes, duration, self.seed);
        s.preconverged = self.preconverged;
        let mut load = StateLoad::new(self.keys_per_node);
        load.value_bytes = self.value_bytes;
        s.state = Some(load);
        let mut watch = Watch {
            settle: self.settle,
            idle: self.idle,
            fallback,
            ..Watch::default()
        };
        Simulation::new(s)?.run(&mut watch);
        let n = f64::from(self.nodes);
        let (Some(start), Some(end)) = (watch.idle_start, watch.idle_end) else {
            unreachable!("the run lasts until the idle window has ended");
        };
        let secs = (end.at - start.at).as_secs_f64();
        let per_node_s = |x: u64, y: u64| (x - y) as f64 / n / secs;
        let t0 = watch.t0.map_or(Duration::ZERO, |(at, _)| at);
        let replication_bytes = match (watch.t0, watch.replicated) {
            (Some((_, from)), Some((_, to))) => to.wire_bytes - from.wire_bytes,
            (Some((_, from)), None) => start.wire_bytes - from.wire_bytes,
            (None, _) => 0,
        };
        Ok(StateRun {
            t0_s: watch.t0.map(|(at, _)| at.as_secs_f64()),
            full_replication_s: watch.replicated.map(|(at, _)| (at - t0).as_secs_f64()),
            idle_bytes_per_node_s: per_node_s(end.wire_bytes, start.wire_bytes),
            idle_payload_bytes_per_node_s: per_node_s(end.payload_bytes, start.payload_bytes),
            idle_datagrams_per_node_s: per_node_s(end.datagrams, start.datagrams),
            replication_bytes_per_node: replication_bytes as f64 / n,
            idle_from_s: (start.at - t0).as_secs_f64(),
            idle_s: secs,
        })
    }
}

impl StateRun {
    /// The figures as an aligned, human-readable table.
    pub fn to_table(&self) -> String {
        let rows = [
            (
                "keys set (t0)",
                self.t0_s.map_or_else(
                    || "never (views did not converge)".into(),
                    |s| format!("{s:.3} s"),
                ),
            ),
            (
                "full replication",
                self.full_replication_s
                    .map_or_else(|| "never".into(), |s| format!("{s:.3} s")),
            ),
            (
                "replication bytes / node",
                format!("{:.0} B", self.replication_bytes_per_node),
            ),
            (
                "idle window",
                format!("{:.1} s from t0 + {:.3} s", self.idle_s, self.idle_from_s),
            ),
            (
                "idle bytes / node-s",
                format!(
                    "{:.1} B ({:.1} B payload)",
                    self.idle_bytes_per_node_s, self.idle_payload_bytes_per_node_s
                ),
            ),
            (
                "idle datagrams / node-s",
                format!("{:.2}", self.idle_datagrams_per_node_s),
            ),
        ];
        let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        rows.iter()
            .map(|(k, v)| format!("{k:<width$}  {v}\n"))
            .collect()
    }
}

/// hearsay's figures for `nodes` nodes joining cold and, once their views have converged,
/// setting `keys_per_node` keys of `value_bytes` each, then `idle_secs` of quiet starting at
/// full replication; seeded by `seed`.
pub fn run_state_scenario(
    nodes: u32,
    keys_per_node: u32,
    value_bytes: u32,
    idle_secs: u64,
    seed: u64,
) -> Result<StateRun, SimError> {
    StateBench::new(
        nodes,
        keys_per_node,
        value_bytes,
        Duration::from_secs(idle_secs),
        seed,
    )
    .run()
}

/// Reads the traffic at t0, at replication, and at both ends of the idle window.
#[derive(Default)]
struct Watch {
    settle: Duration,
    idle: Duration,
    /// When the idle window starts at the latest.
    fallback: Duration,
    /// When the keys were set, and the traffic at the first tick after.
    t0: Option<(Duration, TrafficSoFar)>,
    /// When every key had reached every node, and the traffic at the first tick after.
    replicated: Option<(Duration, TrafficSoFar)>,
    idle_start: Option<TrafficSoFar>,
    idle_end: Option<TrafficSoFar>,
}

impl Observer for Watch {
    fn on_tick(&mut self, sim: &Simulation) {
        let now = sim.now();
        let traffic = sim.traffic_so_far();
        if self.t0.is_none()
            && let Some(at) = sim.state_set_at()
        {
            self.t0 = Some((at, traffic));
        }
        if self.replicated.is_none()
            && let Some(at) = sim.state_replicated_at()
        {
            self.replicated = Some((at, traffic));
        }
        let idle_from = self
            .replicated
            .map_or(self.fallback, |(at, _)| at.min(self.fallback))
            + self.settle;
        match self.idle_start {
            None if now >= idle_from => self.idle_start = Some(traffic),
            Some(start) if self.idle_end.is_none() && now >= start.at + self.idle => {
                self.idle_end = Some(traffic);
            }
            _ => {}
        }
    }

    fn should_stop(&self) -> bool {
        self.idle_end.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_run_replicates_and_measures_a_whole_window() {
        let run = run_state_scenario(4, 3, 16, 5, 1).unwrap();
        let t0 = run.t0_s.expect("views converged");
        assert!(t0 > 0.0, "a cold join takes time");
        let r = run.full_replication_s.expect("replicated");
        assert!(r > 0.0 && r < 10.0, "{r}");
        assert!((run.idle_s - 5.0).abs() < 1e-9, "{}", run.idle_s);
        assert!(run.idle_bytes_per_node_s > run.idle_payload_bytes_per_node_s);
        assert!(run.idle_datagrams_per_node_s > 0.0);
    }
}
