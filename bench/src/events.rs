//! User events, hearsay (broadcast-tree mode) beside iroh-gossip 0.101 (HyParView +
//! Plumtree), on the simulator's network: `hearsay-bench events`.
//!
//! Every cell is a cold start of N members (hearsay: every node joins through node 0;
//! iroh-gossip: through node 0 and two more peers, see `iroh_member.rs`), then from
//! [`EVENT_AT`] 1 KiB events at 10 per second for 60 s, from one stable sender or from a
//! random member each time, with no fault, with 5% datagram loss from [`EVENT_AT`] on, or with
//! half the members killed at once 20 s into the sending. The run goes on [`TAIL`] after the
//! last event. Both systems go through exactly this code and the simulator's measurements
//! (`event_*` figures of its report): delivery to the members up throughout, relative
//! message redundancy, last delivery hop, latency percentiles, message bytes.
//!
//! Cells run in threads of this process (each simulation is single-threaded and
//! deterministic); the results keep every seed's figures and, for seed 1, the per-event
//! delivery and per-node copies that the charts draw.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use hearsay_proto::Engine;
use hearsay_sim::event_load::EventLoad;
use hearsay_sim::scenario::{CountAt, LossChange};
use hearsay_sim::{Protocol, Scenario, SimError, Simulation};
use serde::{Deserialize, Serialize};

use crate::iroh_member::IrohMember;
use crate::plots::median_of;

/// When sending starts: after the cold join (hearsay's views converge well before).
pub const EVENT_AT: Duration = Duration::from_secs(30);
/// How long sending goes on.
pub const SEND_FOR: Duration = Duration::from_secs(60);
/// Run time after the last event.
pub const TAIL: Duration = Duration::from_secs(10);
/// Events per second across the cluster.
pub const RATE: f64 = 10.0;
/// Bytes of each event.
pub const EVENT_BYTES: u32 = 1024;
/// Datagram loss of the loss cells.
pub const LOSS: f64 = 0.05;
/// When the kill cells kill half the members, from the start of sending.
pub const KILL_AFTER: Duration = Duration::from_secs(20);

/// The systems compared here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventSystem {
    /// hearsay's engine, broadcast-tree mode.
    Hearsay,
    /// iroh-gossip 0.101's protocol state, driven by `iroh_member.rs`.
    Iroh,
}

impl EventSystem {
    /// Both, hearsay first.
    pub const ALL: [EventSystem; 2] = [EventSystem::Hearsay, EventSystem::Iroh];

    /// Name in tables and legends.
    pub fn name(self) -> &'static str {
        match self {
            EventSystem::Hearsay => "hearsay (tree)",
            EventSystem::Iroh => "iroh-gossip",
        }
    }
}

/// Who sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Senders {
    /// One stable sender (replaced if it dies).
    One,
    /// A random running member for each event.
    Random,
}

/// What goes wrong during the sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// Nothing.
    None,
    /// [`LOSS`] of datagrams from the start of sending.
    Loss,
    /// Half the members killed at once, [`KILL_AFTER`] into the sending.
    KillHalf,
}

/// One run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EventCell {
    /// Which system.
    pub system: EventSystem,
    /// Cluster size.
    pub nodes: u32,
    /// Who sends.
    pub senders: Senders,
    /// What goes wrong.
    pub fault: Fault,
    /// The run's seed.
    pub seed: u64,
}

/// The figures of one run (see the simulator's `event_*` report fields).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventRunFigures {
    /// Events sent.
    pub events_sent: u64,
    /// Percent delivered to the members up throughout.
    pub delivered_pct: Option<f64>,
    /// Relative message redundancy.
    pub rmr: Option<f64>,
    /// Last delivery hop.
    pub ldh: Option<u32>,
    /// Latency percentiles and maximum, seconds.
    pub latency_p50_s: Option<f64>,
    /// 99th percentile.
    pub latency_p99_s: Option<f64>,
    /// The longest.
    pub latency_max_s: Option<f64>,
    /// Message wire bytes per member per second.
    pub bytes_per_member_s: Option<f64>,
    /// Per event: seconds since sending started, percent delivered (seed 1 only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delivery: Vec<(f64, f64)>,
    /// Per node up at the end: payload copies per event delivered, sorted (seed 1 only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub copies: Vec<f64>,
    /// Wall-clock seconds of the run.
    pub wall_s: f64,
}

/// Everything a comparison produced.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventResults {
    /// Seeds every setting ran with.
    pub seeds: Vec<u64>,
    /// Wall-clock seconds of the whole comparison.
    pub wall_s: f64,
    /// Every run.
    pub runs: Vec<(EventCell, EventRunFigures)>,
}

impl EventCell {
    /// The simulator scenario of this cell.
    pub fn scenario(&self) -> Scenario {
        let mut s = Scenario::new(self.nodes, EVENT_AT + SEND_FOR + TAIL, self.seed);
        let mut load = EventLoad::new(RATE);
        load.event_bytes = EVENT_BYTES;
        load.at = Some(EVENT_AT);
        load.send_for = SEND_FOR;
        load.senders = match self.senders {
            Senders::One => Some(1),
            Senders::Random => None,
        };
        s.events = Some(load);
        match self.fault {
            Fault::None => {}
            Fault::Loss => s.loss_changes.push(LossChange {
                at: EVENT_AT,
                loss: LOSS,
            }),
            Fault::KillHalf => s.kills.push(CountAt {
                count: self.nodes / 2,
                at: EVENT_AT + KILL_AFTER,
            }),
        }
        s
    }

    /// Runs the cell.
    pub fn run(&self) -> Result<EventRunFigures, SimError> {
        match self.system {
            EventSystem::Hearsay => self.run_with::<Engine>(),
            EventSystem::Iroh => self.run_with::<IrohMember>(),
        }
    }

    fn run_with<P: Protocol>(&self) -> Result<EventRunFigures, SimError> {
        let outcome = Simulation::<P>::for_protocol(self.scenario())?.run(&mut ());
        let r = &outcome.report;
        let m =
            r.messages
                .clone()
                .ok_or(SimError::Scenario(hearsay_sim::ScenarioError::Needs {
                    flag: "--events",
                    needs: "a message workload",
                }))?;
        let mut f = EventRunFigures {
            events_sent: m.events_sent.unwrap_or(0),
            delivered_pct: m.event_delivered_pct,
            rmr: m.event_rmr,
            ldh: m.event_ldh,
            latency_p50_s: m.event_latency_p50_s,
            latency_p99_s: m.event_latency_p99_s,
            latency_max_s: m.event_latency_max_s,
            bytes_per_member_s: m.event_bytes_per_member_s,
            wall_s: r.wall_s,
            ..EventRunFigures::default()
        };
        if self.seed == 1
            && let Some(series) = outcome.events
        {
            let start = EVENT_AT.as_secs_f64();
            f.delivery = series
                .delivery
                .iter()
                .map(|(at, pct)| (at.as_secs_f64() - start, *pct))
                .collect();
            f.copies = series.copies_per_delivery;
            f.copies.sort_by(f64::total_cmp);
        }
        Ok(f)
    }
}

/// Every cell for `sizes` and `seeds`, hearsay and iroh-gossip side by side.
pub fn cells(sizes: &[u32], seeds: &[u64]) -> Vec<EventCell> {
    let mut cells = Vec::new();
    for &nodes in sizes {
        for fault in [Fault::None, Fault::Loss, Fault::KillHalf] {
            for senders in [Senders::One, Senders::Random] {
                for &seed in seeds {
                    for system in EventSystem::ALL {
                        cells.push(EventCell {
                            system,
                            nodes,
                            senders,
                            fault,
                            seed,
                        });
                    }
                }
            }
        }
    }
    // Largest first, so that the long runs do not end up alone at the end.
    cells.sort_by_key(|c| std::cmp::Reverse(c.nodes));
    cells
}

/// Runs `cells` on `jobs` threads, printing one line per finished run to stderr.
pub fn run(
    cells: Vec<EventCell>,
    jobs: usize,
) -> Result<Vec<(EventCell, EventRunFigures)>, String> {
    let total = cells.len();
    let queue = Mutex::new(cells.into_iter().collect::<VecDeque<_>>());
    let done: Mutex<Vec<(EventCell, EventRunFigures)>> = Mutex::new(Vec::new());
    let failed: Mutex<Option<String>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| {
                loop {
                    let Some(cell) = queue.lock().expect("never poisoned").pop_front() else {
                        return;
                    };
                    match cell.run() {
                        Ok(f) => {
                            let mut d = done.lock().expect("never poisoned");
                            eprintln!(
                                "[{:>3}/{total}] {} N={} {:?} {:?} seed {}: {:.1} s",
                                d.len() + 1,
                                cell.system.name(),
                                cell.nodes,
                                cell.senders,
                                cell.fault,
                                cell.seed,
                                f.wall_s
                            );
                            d.push((cell, f));
                        }
                        Err(e) => {
                            *failed.lock().expect("never poisoned") =
                                Some(format!("{cell:?}: {e}"));
                            return;
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = failed.into_inner().expect("never poisoned") {
        return Err(e);
    }
    let mut runs = done.into_inner().expect("never poisoned");
    runs.sort_by_key(|(c, _)| *c);
    Ok(runs)
}

/// Writes `results` as pretty JSON to `path`.
pub fn save(results: &EventResults, path: &Path) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(results).expect("results serialize");
    std::fs::write(path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))
}

/// Reads results written by [`save`].
pub fn load(path: &Path) -> Result<EventResults, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// One setting's medians over its seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct Medians {
    /// Delivered, percent.
    pub delivered_pct: Option<f64>,
    /// Relative message redundancy.
    pub rmr: Option<f64>,
    /// Last delivery hop.
    pub ldh: Option<f64>,
    /// Latency p50, seconds.
    pub p50_s: Option<f64>,
    /// Latency p99, seconds.
    pub p99_s: Option<f64>,
    /// Message bytes per member per second.
    pub bytes_per_member_s: Option<f64>,
}

/// Medians per (nodes, fault, senders, system), in that order.
pub fn medians(results: &EventResults) -> BTreeMap<(u32, Fault, Senders, EventSystem), Medians> {
    let mut groups: BTreeMap<_, Vec<&EventRunFigures>> = BTreeMap::new();
    for (c, f) in &results.runs {
        groups
            .entry((c.nodes, c.fault, c.senders, c.system))
            .or_default()
            .push(f);
    }
    groups
        .into_iter()
        .map(|(k, runs)| {
            let med = |get: fn(&EventRunFigures) -> Option<f64>| {
                median_of(&runs.iter().map(|f| get(f)).collect::<Vec<_>>())
            };
            let m = Medians {
                delivered_pct: med(|f| f.delivered_pct),
                rmr: med(|f| f.rmr),
                ldh: med(|f| f.ldh.map(f64::from)),
                p50_s: med(|f| f.latency_p50_s),
                p99_s: med(|f| f.latency_p99_s),
                bytes_per_member_s: med(|f| f.bytes_per_member_s),
            };
            (k, m)
        })
        .collect()
}

/// The comparison as a Markdown table: one row per setting and system, medians over the
/// seeds.
pub fn render(results: &EventResults) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| N | fault | senders | system | delivered | RMR | LDH | p50 | p99 | msg bytes/member-s |"
    );
    let _ = writeln!(out, "|---:|---|---|---|---:|---:|---:|---:|---:|---:|");
    let f = |v: Option<f64>, digits: usize, unit: &str| {
        v.map_or_else(|| "-".into(), |v| format!("{v:.digits$}{unit}"))
    };
    for ((nodes, fault, senders, system), m) in medians(results) {
        let fault = match fault {
            Fault::None => "none",
            Fault::Loss => "5% loss",
            Fault::KillHalf => "kill 50%",
        };
        let senders = match senders {
            Senders::One => "one",
            Senders::Random => "random",
        };
        let _ = writeln!(
            out,
            "| {nodes} | {fault} | {senders} | {} | {} | {} | {} | {} | {} | {} |",
            system.name(),
            f(m.delivered_pct, 2, " %"),
            f(m.rmr, 2, ""),
            f(m.ldh, 0, ""),
            f(m.p50_s.map(|s| s * 1e3), 1, " ms"),
            f(m.p99_s.map(|s| s * 1e3), 1, " ms"),
            f(m.bytes_per_member_s, 0, ""),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cell's scenario, cut short: 20 nodes, 1 s of sending.
    fn short(system: EventSystem) -> Scenario {
        let cell = EventCell {
            system,
            nodes: 20,
            senders: Senders::One,
            fault: Fault::None,
            seed: 2,
        };
        let mut s = cell.scenario();
        s.duration = EVENT_AT + Duration::from_secs(3);
        s.events.as_mut().unwrap().send_for = Duration::from_secs(1);
        s
    }

    #[test]
    fn a_short_cell_of_each_system_delivers_everything() {
        let hearsay = Simulation::<Engine>::for_protocol(short(EventSystem::Hearsay))
            .unwrap()
            .run(&mut ())
            .report;
        let iroh = Simulation::<IrohMember>::for_protocol(short(EventSystem::Iroh))
            .unwrap()
            .run(&mut ())
            .report;
        for report in [hearsay, iroh] {
            let m = report.messages.unwrap();
            assert_eq!(m.events_sent, Some(10));
            assert_eq!(m.event_delivered_pct, Some(100.0));
        }
    }

    #[test]
    fn the_table_has_a_row_per_setting_and_system() {
        let cell = EventCell {
            system: EventSystem::Iroh,
            nodes: 100,
            senders: Senders::Random,
            fault: Fault::KillHalf,
            seed: 1,
        };
        let figures = EventRunFigures {
            delivered_pct: Some(99.5),
            rmr: Some(0.25),
            ldh: Some(7),
            latency_p50_s: Some(0.012),
            latency_p99_s: Some(0.05),
            ..EventRunFigures::default()
        };
        let results = EventResults {
            seeds: vec![1],
            wall_s: 1.0,
            runs: vec![(cell, figures)],
        };
        let table = render(&results);
        assert!(
            table.contains(
                "| 100 | kill 50% | random | iroh-gossip | 99.50 % | 0.25 | 7 | 12.0 ms | 50.0 ms | - |"
            ),
            "{table}"
        );
        assert_eq!(cells(&[100, 1000], &[1, 2, 3]).len(), 72);
    }
}
