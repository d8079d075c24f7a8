//! What a comparison produced, as plain data: written to `docs/bench/results.json` by
//! `compare`, read back by the table printer and the plots.
//!
//! Every figure is kept per seed (in seed order), so that medians and ranges are computed
//! in one place and a reader of the JSON can check them.

use serde::{Deserialize, Serialize};

/// The systems compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum System {
    /// This project's engine.
    Hearsay,
    /// foca 2.x, driven through the adapter in `foca_member.rs`.
    Foca,
}

impl System {
    /// Both systems, hearsay first.
    pub const ALL: [System; 2] = [System::Hearsay, System::Foca];

    /// Lower-case name, as on the command line and in the JSON.
    pub fn name(self) -> &'static str {
        match self {
            System::Hearsay => "hearsay",
            System::Foca => "foca",
        }
    }
}

/// What a row measures. Every metric is "lower is better" except [`Metric::ConvergedPct`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Seconds from the first start until every node sees every node alive (cold join
    /// through one seed).
    ColdJoinS,
    /// Seconds until half of the other members have an update.
    SpreadP50S,
    /// Seconds until 99% of the other members have an update.
    SpreadP99S,
    /// Seconds until every other member has an update.
    SpreadMaxS,
    /// Seconds from a kill until the first member declares it dead.
    DetectFirstS,
    /// Seconds from a kill until every live member has declared it dead.
    DetectLastS,
    /// Live members wrongly declared dead, per member-hour.
    FalseDeadPerMemberHour,
    /// Share (percent) of 100 ms checks at which every live member counted exactly the
    /// live members (no live member missing or dead in any view).
    ConvergedPct,
    /// Bytes on the wire (IP and UDP/TCP headers included) per member per second, idle.
    IdleBytesPerMemberS,
    /// Datagrams per member per second, idle.
    IdleDatagramsPerMemberS,
    /// Microseconds of protocol work (every call into the engine, output drained) per
    /// datagram handled.
    CpuUsPerDatagram,
    /// Peak resident memory of the whole simulation process, in MiB.
    PeakMemoryMb,
}

impl Metric {
    /// Whether a larger figure is better.
    pub fn higher_is_better(self) -> bool {
        matches!(self, Metric::ConvergedPct)
    }
}

/// One line of the comparison table: one metric in one setting, both systems.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// What is measured.
    pub metric: Metric,
    /// Cluster size.
    pub nodes: u32,
    /// Datagram loss probability of the run (0 when there is none).
    pub loss: f64,
    /// Whether 2% of the members were pausing 2-5 s at random.
    pub pauses: bool,
    /// The run's limit, for figures a run may not reach (cold join): a `None` figure
    /// means "more than this".
    #[serde(default)]
    pub limit: Option<f64>,
    /// hearsay's figure per seed (`None`: the run did not reach it, for example a cold
    /// join that did not converge before the run's end).
    pub hearsay: Vec<Option<f64>>,
    /// foca's figure per seed.
    pub foca: Vec<Option<f64>>,
}

/// Fraction of the members that have an update, over time, for one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    /// Which system.
    pub system: System,
    /// Cluster size.
    pub nodes: u32,
    /// The run's seed.
    pub seed: u64,
    /// `(seconds since the update, fraction of the other members that have it)`, one
    /// point per member reached, in time order.
    pub points: Vec<(f64, f64)>,
}

/// The machine the figures were measured on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// Logical CPUs.
    pub cores: usize,
    /// Total memory, GiB.
    pub memory_gib: f64,
    /// CPU model name, from `/proc/cpuinfo`.
    pub cpu: String,
}

/// A whole comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// Where it ran.
    pub machine: Machine,
    /// The seeds, in the order of every per-seed vector.
    pub seeds: Vec<u64>,
    /// The table.
    pub rows: Vec<Row>,
    /// Dissemination curves, one per system, size and seed.
    pub curves: Vec<Curve>,
}
