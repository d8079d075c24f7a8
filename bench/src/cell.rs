//! One cell of the comparison: one kind of run, one size, one seed, for one system.
//!
//! A cell maps to a [`Scenario`] of the simulator, runs it with either hearsay's engine or
//! the foca adapter as the member implementation, and reduces the outcome to [`Figures`].
//! Both systems go through exactly this code, so they see the same network draws, the same
//! faults and the same measurements.

use std::time::Duration;

use hearsay_proto::Engine;
use hearsay_sim::scenario::RandomPauses;
use hearsay_sim::{Observer, Protocol, Scenario, SimError, Simulation};
use serde::{Deserialize, Serialize};

use crate::foca_member::FocaMember;
use crate::results::System;

/// What kind of run a cell is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Kind {
    /// Cold join: node 0 starts, the others start within 5 s and join through it; the run
    /// ends when every view is full, or at `limit_s`.
    Join {
        /// Longest run, virtual seconds.
        limit_s: u64,
    },
    /// A converged cluster left alone, then one member publishes an update `tail_s` before
    /// the end: idle traffic is counted before the update, spread after it.
    Calm {
        /// Whole run, virtual seconds.
        duration_s: u64,
        /// Time left after the update, virtual seconds.
        tail_s: u64,
    },
    /// A converged cluster in which one member is killed at 10 s.
    Kill {
        /// Whole run, virtual seconds.
        duration_s: u64,
    },
    /// A converged cluster under datagram loss for the whole run, optionally with 2% of
    /// the members pausing 2-5 s at random.
    Loss {
        /// Loss probability of every datagram.
        loss: f64,
        /// Whether members pause.
        pauses: bool,
        /// Whole run, virtual seconds.
        duration_s: u64,
    },
}

/// One run to make.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// Which system.
    pub system: System,
    /// What kind of run.
    #[serde(flatten)]
    pub kind: Kind,
    /// Cluster size.
    pub nodes: u32,
    /// The run's seed (network draws, scenario choices, and every member's own seed).
    pub seed: u64,
}

/// When the killed member dies, in a [`Kind::Kill`] run.
const KILL_AT: Duration = Duration::from_secs(10);

/// Share of the members that pause in a [`Kind::Loss`] run with pauses.
const PAUSING_SHARE: f64 = 0.02;

/// The figures one cell produced; each is `None` where the kind of run does not measure
/// it, or the run did not reach it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Cold join: seconds until every view is full.
    pub join_s: Option<f64>,
    /// Update spread: p50, p99 and max, seconds.
    pub spread_s: Option<[f64; 3]>,
    /// When each member learned the update, seconds after it, sorted.
    pub spread_times_s: Vec<f64>,
    /// Kill: seconds until the first member declared it dead.
    pub detect_first_s: Option<f64>,
    /// Kill: seconds until every member had.
    pub detect_last_s: Option<f64>,
    /// Live members declared dead, per member-hour.
    pub false_dead_per_member_hour: Option<f64>,
    /// Percent of 100 ms checks at which every live view held exactly the live members.
    pub converged_pct: Option<f64>,
    /// Idle wire bytes per member per second (before the update).
    pub idle_bytes_per_member_s: Option<f64>,
    /// Idle datagrams per member per second (before the update).
    pub idle_datagrams_per_member_s: Option<f64>,
    /// Microseconds inside the members per datagram delivered.
    pub cpu_us_per_datagram: Option<f64>,
    /// Peak resident memory of the process, MiB.
    pub peak_memory_mb: Option<f64>,
    /// Wire bytes per member per second over the whole run (not in the table; for
    /// looking at the cost of a fault).
    #[serde(default)]
    pub bytes_per_member_s: Option<f64>,
    /// Wall-clock seconds the run took.
    pub wall_s: f64,
}

impl Cell {
    /// The simulator scenario of this cell.
    pub fn scenario(&self) -> Scenario {
        let secs = Duration::from_secs;
        let duration = match self.kind {
            Kind::Join { limit_s } => limit_s,
            Kind::Calm { duration_s, .. }
            | Kind::Kill { duration_s }
            | Kind::Loss { duration_s, .. } => duration_s,
        };
        let mut s = Scenario::new(self.nodes, secs(duration), self.seed);
        match self.kind {
            Kind::Join { .. } => {}
            Kind::Calm { duration_s, tail_s } => {
                s.preconverged = true;
                s.update_at = Some(secs(duration_s.saturating_sub(tail_s)));
            }
            Kind::Kill { .. } => {
                s.preconverged = true;
                s.kills = vec![hearsay_sim::scenario::CountAt {
                    count: 1,
                    at: KILL_AT,
                }];
            }
            Kind::Loss { loss, pauses, .. } => {
                s.preconverged = true;
                s.loss = loss;
                if pauses {
                    let count = (f64::from(self.nodes) * PAUSING_SHARE).ceil() as u32;
                    s.random_pauses = Some(RandomPauses {
                        count,
                        min: secs(2),
                        max: secs(5),
                    });
                }
            }
        }
        s
    }

    /// Runs the cell and reduces its outcome to figures.
    pub fn run(&self) -> Result<Figures, SimError> {
        match self.system {
            System::Hearsay => self.run_with::<Engine>(),
            System::Foca => self.run_with::<FocaMember>(),
        }
    }

    fn run_with<P: Protocol>(&self) -> Result<Figures, SimError> {
        let mut sim = Simulation::<P>::for_protocol(self.scenario())?;
        sim.measure_protocol_time();
        let mut stop = StopWhenJoined {
            active: matches!(self.kind, Kind::Join { .. }),
            done: false,
        };
        let outcome = sim.run(&mut stop);
        let r = &outcome.report;
        let mut f = Figures {
            wall_s: r.wall_s,
            peak_memory_mb: r.peak_rss_mb,
            bytes_per_member_s: Some(r.bytes_per_member_s),
            cpu_us_per_datagram: r
                .protocol_s
                .filter(|_| r.datagrams > 0)
                .map(|s| s * 1e6 / r.datagrams as f64),
            ..Figures::default()
        };
        match self.kind {
            Kind::Join { .. } => f.join_s = r.join_converged_s,
            Kind::Calm { .. } => {
                f.spread_s = r
                    .spread_p50_s
                    .zip(r.spread_p99_s)
                    .zip(r.spread_max_s)
                    .map(|((p50, p99), max)| [p50, p99, max]);
                f.spread_times_s = outcome
                    .spread_times
                    .iter()
                    .map(Duration::as_secs_f64)
                    .collect();
                if let Some(before) = outcome.before_update {
                    let per_member_s =
                        f64::from(self.nodes) * before.at.as_secs_f64().max(f64::MIN_POSITIVE);
                    f.idle_bytes_per_member_s = Some(before.wire_bytes as f64 / per_member_s);
                    f.idle_datagrams_per_member_s = Some(before.datagrams as f64 / per_member_s);
                }
            }
            Kind::Kill { .. } => {
                f.detect_first_s = r.detect_first_s;
                f.detect_last_s = r.detect_all_s;
            }
            Kind::Loss { .. } => {
                f.false_dead_per_member_hour = Some(r.false_dead_per_member_hour);
                f.converged_pct = r.live_views_agree_pct;
            }
        }
        Ok(f)
    }
}

/// Ends a cold-join run as soon as every view is full.
struct StopWhenJoined {
    active: bool,
    done: bool,
}

impl<P: Protocol> Observer<P> for StopWhenJoined {
    fn on_tick(&mut self, sim: &Simulation<P>) {
        self.done = self.active && sim.join_converged_at().is_some();
    }

    fn should_stop(&self) -> bool {
        self.done
    }
}
