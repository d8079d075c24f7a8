//! What to simulate: cluster size, network, and the faults to inject and when.
//!
//! A [`Scenario`] is plain data; [`Scenario::validate`] checks that it makes sense as a whole
//! and names the command-line flag at fault, because most scenarios come from flags
//! (see [`crate::flags`]). The seed sweep builds scenarios directly.

use std::fmt;
use std::time::Duration;

use crate::duration::format_duration;
use crate::event_load::EventLoad;
use crate::store_load::{KvLoad, StateLoad};

mod error;
mod validate;

pub use error::ScenarioError;

/// Nodes of a cold join start at a uniform time in `[0, JOIN_WINDOW)`.
pub const JOIN_WINDOW: Duration = Duration::from_secs(5);

/// Gap before each pause of a randomly pausing member: uniform in this range. A member
/// therefore spends roughly a tenth of its time paused with `--pauses N:2s..5s`, which is a
/// lot for a real machine but shows how the protocol copes with sluggish members.
pub const PAUSE_GAP: (Duration, Duration) = (Duration::from_secs(10), Duration::from_secs(60));

/// Most `--partition` flags (partitions are tracked as bits of a 64-bit mask).
pub const MAX_PARTITIONS: usize = 64;

/// A whole simulation run. Build one with [`Scenario::new`] and set the fields you need.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Scenario {
    /// Cluster size (`--nodes`).
    pub nodes: u32,
    /// Virtual time simulated (`--duration`).
    pub duration: Duration,
    /// Seed of the network, the scenario and (derived) every engine (`--seed`).
    pub seed: u64,
    /// One-way datagram and stream latency, uniform in this range (`--latency`).
    /// Defaults to 1 ms..5 ms.
    pub latency: Latency,
    /// Probability that a datagram is lost, from the start (`--loss`). Defaults to 0.
    pub loss: f64,
    /// Later changes of the loss probability (the sweep's fault phase); no flag.
    pub loss_changes: Vec<LossChange>,
    /// Start every node at 0 with a full, converged view instead of a cold join
    /// (`--preconverged`).
    pub preconverged: bool,
    /// A random running member other than node 0 publishes new metadata (`--update-at`).
    pub update_at: Option<Duration>,
    /// Random running members other than node 0 are killed (`--kill`).
    pub kills: Vec<CountAt>,
    /// Killed members come back under a new generation and address (`--restart`).
    pub restarts: Vec<CountAt>,
    /// Random running members stop processing for a while (`--pause`).
    pub pauses: Vec<PauseSpec>,
    /// Members that pause again and again over the whole run (`--pauses`).
    pub random_pauses: Option<RandomPauses>,
    /// A fraction of the nodes is cut off from the rest for a while (`--partition`).
    pub partitions: Vec<PartitionSpec>,
    /// Everything ends here: loss drops to 0, partitions and pauses end, no new random
    /// pauses start. The sweep's heal phase; no flag.
    pub heal_at: Option<Duration>,
    /// Lifeguard on (default) or off (`--no-lifeguard`).
    pub lifeguard: bool,
    /// The cluster-wide map's workload (`--kv-keys`, `--kv-writes` ...). Defaults to none:
    /// the map stays empty and unmeasured.
    pub kv: Option<KvLoad>,
    /// Per-node state's workload (`--state-keys` ...). Defaults to none.
    pub state: Option<StateLoad>,
    /// User events and queries (`--events`, `--queries` ...). Defaults to none: no
    /// application messages are sent and none are measured.
    pub events: Option<EventLoad>,
}

/// A latency range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latency {
    /// Shortest one-way delay.
    pub min: Duration,
    /// Longest one-way delay (inclusive).
    pub max: Duration,
}

/// `COUNT@T`: how many members, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountAt {
    /// How many members.
    pub count: u32,
    /// When, from the start of the run.
    pub at: Duration,
}

/// `COUNT@T:DUR`: pause `count` members at `at` for `length`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PauseSpec {
    /// How many members.
    pub count: u32,
    /// When the pause starts.
    pub at: Duration,
    /// How long it lasts.
    pub length: Duration,
}

/// `COUNT:MIN..MAX`: `count` members each pause for a uniform `min..=max`, repeatedly, with
/// gaps drawn from [`PAUSE_GAP`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RandomPauses {
    /// How many members pause (picked once, at the start).
    pub count: u32,
    /// Shortest pause.
    pub min: Duration,
    /// Longest pause.
    pub max: Duration,
}

/// `FRACTION@T:DUR`: cut `fraction` of the nodes off from the rest at `at` for `length`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PartitionSpec {
    /// Share of all nodes on the small side, strictly between 0 and 1.
    pub fraction: f64,
    /// When the partition starts.
    pub at: Duration,
    /// How long it lasts.
    pub length: Duration,
}

/// From `at` on, datagrams are lost with probability `loss`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LossChange {
    /// When the change happens.
    pub at: Duration,
    /// The new loss probability.
    pub loss: f64,
}

impl Scenario {
    /// A fault-free cold join of `nodes` nodes for `duration`, with default network settings.
    pub fn new(nodes: u32, duration: Duration, seed: u64) -> Scenario {
        Scenario {
            nodes,
            duration,
            seed,
            latency: Latency {
                min: Duration::from_millis(1),
                max: Duration::from_millis(5),
            },
            loss: 0.0,
            loss_changes: Vec::new(),
            preconverged: false,
            update_at: None,
            kills: Vec::new(),
            restarts: Vec::new(),
            pauses: Vec::new(),
            random_pauses: None,
            partitions: Vec::new(),
            heal_at: None,
            lifeguard: true,
            kv: None,
            state: None,
            events: None,
        }
    }

    /// The loss probability in force at `at`.
    pub fn loss_at(&self, at: Duration) -> f64 {
        let mut loss = self.loss;
        for change in &self.loss_changes {
            if change.at <= at {
                loss = change.loss;
            }
        }
        if self.heal_at.is_some_and(|h| h <= at) {
            loss = 0.0;
        }
        loss
    }
}

/// How many nodes a partition of `fraction` cuts off (rounded to the nearest node).
pub fn partition_size(fraction: f64, nodes: u32) -> u32 {
    (fraction * f64::from(nodes))
        .round()
        .clamp(0.0, f64::from(nodes)) as u32
}

impl fmt::Display for Latency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}..{}",
            format_duration(self.min),
            format_duration(self.max)
        )
    }
}

impl fmt::Display for CountAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.count, format_duration(self.at))
    }
}

impl fmt::Display for PauseSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}@{}:{}",
            self.count,
            format_duration(self.at),
            format_duration(self.length)
        )
    }
}

impl fmt::Display for RandomPauses {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}..{}",
            self.count,
            format_duration(self.min),
            format_duration(self.max)
        )
    }
}

impl fmt::Display for PartitionSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}@{}:{}",
            self.fraction,
            format_duration(self.at),
            format_duration(self.length)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heal_ends_the_loss() {
        let mut s = Scenario::new(10, Duration::from_secs(60), 1);
        s.loss_changes.push(LossChange {
            at: Duration::from_secs(5),
            loss: 0.2,
        });
        s.heal_at = Some(Duration::from_secs(30));
        assert_eq!(s.loss_at(Duration::from_secs(1)), 0.0);
        assert_eq!(s.loss_at(Duration::from_secs(5)), 0.2);
        assert_eq!(s.loss_at(Duration::from_secs(30)), 0.0);
    }
}
