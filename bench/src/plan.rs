//! Which cells a comparison runs, and how their figures become table rows.
//!
//! The full plan is the list: cold join at 100 and 1,000 members; a calm cluster at
//! 100, 1,000 and 10,000 (spread, idle traffic, CPU and memory); a kill at 1,000; and loss
//! of 10, 20 and 30% at 100 and 1,000, with and without pausing members. The quick plan
//! has the same shape at small sizes and short durations, to check the pipeline in seconds.

use crate::cell::{Cell, Figures, Kind};
use crate::results::{Metric, Row, System};

/// Sizes and durations of one comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Cold joins: (members, longest run in virtual seconds).
    pub joins: Vec<(u32, u64)>,
    /// Calm clusters: (members, run, seconds left after the update).
    pub calm: Vec<(u32, u64, u64)>,
    /// Kills: (members, run).
    pub kills: Vec<(u32, u64)>,
    /// Loss runs: (members, run).
    pub loss_sizes: Vec<(u32, u64)>,
    /// Loss probabilities.
    pub losses: Vec<f64>,
    /// Clusters larger than this run the first seed only: foca's membership list is a
    /// vector searched linearly, so giving 10,000 foca members a full view costs 10^12
    /// comparisons (about ten minutes here) per run.
    pub one_seed_above: u32,
}

impl Plan {
    /// The comparison the issue asks for.
    ///
    /// Loss runs at 1,000 members last 60 s (16.7 member-hours per run): under 30% loss
    /// foca spends about 3 s of CPU per simulated second at that size, and three seeds of
    /// twelve settings must fit in a two-core machine's hour.
    pub fn full() -> Plan {
        Plan {
            joins: vec![(100, 300), (1_000, 900)],
            calm: vec![(100, 120, 15), (1_000, 120, 15), (10_000, 75, 15)],
            kills: vec![(1_000, 70)],
            loss_sizes: vec![(100, 600), (1_000, 60)],
            losses: vec![0.1, 0.2, 0.3],
            one_seed_above: 1_000,
        }
    }

    /// The same shape, small and short: seconds, not minutes.
    pub fn quick() -> Plan {
        Plan {
            joins: vec![(20, 120)],
            calm: vec![(20, 40, 10), (50, 40, 10)],
            kills: vec![(20, 40)],
            loss_sizes: vec![(20, 60)],
            losses: vec![0.2, 0.3],
            one_seed_above: 20,
        }
    }

    /// Every cell, both systems, every seed; the costliest first, so that parallel
    /// workers finish together.
    pub fn cells(&self, seeds: &[u64]) -> Vec<Cell> {
        let mut kinds: Vec<(Kind, u32)> = Vec::new();
        for &(nodes, limit_s) in &self.joins {
            kinds.push((Kind::Join { limit_s }, nodes));
        }
        for &(nodes, duration_s, tail_s) in &self.calm {
            kinds.push((Kind::Calm { duration_s, tail_s }, nodes));
        }
        for &(nodes, duration_s) in &self.kills {
            kinds.push((Kind::Kill { duration_s }, nodes));
        }
        for &(nodes, duration_s) in &self.loss_sizes {
            for &loss in &self.losses {
                for pauses in [false, true] {
                    let kind = Kind::Loss {
                        loss,
                        pauses,
                        duration_s,
                    };
                    kinds.push((kind, nodes));
                }
            }
        }
        let mut cells = Vec::new();
        for &(kind, nodes) in &kinds {
            let seeds = if nodes > self.one_seed_above {
                &seeds[..seeds.len().min(1)]
            } else {
                seeds
            };
            for &seed in seeds {
                for system in System::ALL {
                    cells.push(Cell {
                        system,
                        kind,
                        nodes,
                        seed,
                    });
                }
            }
        }
        cells.sort_by(|a, b| cost(b).total_cmp(&cost(a)));
        cells
    }
}

/// A rough relative cost of a cell, for ordering only.
pub fn cost(cell: &Cell) -> f64 {
    let n = f64::from(cell.nodes);
    let (secs, weight) = match cell.kind {
        Kind::Join { limit_s } => (limit_s as f64, 1.0),
        Kind::Calm { duration_s, .. } => (duration_s as f64, 1.0),
        Kind::Kill { duration_s } => (duration_s as f64, 1.0),
        Kind::Loss {
            loss, duration_s, ..
        } => (duration_s as f64, 1.0 + 30.0 * loss),
    };
    n * secs * weight
}

/// The setting of a row: what, at which size, under which loss and pauses.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Setting {
    metric: Metric,
    nodes: u32,
    loss: f64,
    pauses: bool,
    limit: Option<f64>,
}

/// The figures of one cell, as (setting, value) pairs.
fn values(cell: &Cell, f: &Figures) -> Vec<(Setting, Option<f64>)> {
    let at = |metric, value| {
        (
            Setting {
                metric,
                nodes: cell.nodes,
                loss: 0.0,
                pauses: false,
                limit: None,
            },
            value,
        )
    };
    match cell.kind {
        Kind::Join { limit_s } => {
            let (mut setting, value) = at(Metric::ColdJoinS, f.join_s);
            setting.limit = Some(limit_s as f64);
            vec![(setting, value)]
        }
        Kind::Calm { .. } => {
            let spread = |i: usize| f.spread_s.map(|s| s[i]);
            vec![
                at(Metric::SpreadP50S, spread(0)),
                at(Metric::SpreadP99S, spread(1)),
                at(Metric::SpreadMaxS, spread(2)),
                at(Metric::IdleBytesPerMemberS, f.idle_bytes_per_member_s),
                at(
                    Metric::IdleDatagramsPerMemberS,
                    f.idle_datagrams_per_member_s,
                ),
                at(Metric::CpuUsPerDatagram, f.cpu_us_per_datagram),
                at(Metric::PeakMemoryMb, f.peak_memory_mb),
            ]
        }
        Kind::Kill { .. } => vec![
            at(Metric::DetectFirstS, f.detect_first_s),
            at(Metric::DetectLastS, f.detect_last_s),
        ],
        Kind::Loss { loss, pauses, .. } => [
            (Metric::FalseDeadPerMemberHour, f.false_dead_per_member_hour),
            (Metric::ConvergedPct, f.converged_pct),
        ]
        .into_iter()
        .map(|(metric, value)| {
            (
                Setting {
                    metric,
                    nodes: cell.nodes,
                    loss,
                    pauses,
                    limit: None,
                },
                value,
            )
        })
        .collect(),
    }
}

/// Builds the table's rows from finished cells; each row holds one value per seed run
/// for that setting, in seed order (settings above [`Plan::one_seed_above`] ran only the
/// first seed).
pub fn rows(finished: &[(Cell, Figures)]) -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    let mut by_seed: Vec<&(Cell, Figures)> = finished.iter().collect();
    by_seed.sort_by_key(|(cell, _)| cell.seed);
    for (cell, figures) in by_seed {
        for (setting, value) in values(cell, figures) {
            let index = match rows.iter().position(|r| {
                r.metric == setting.metric
                    && r.nodes == setting.nodes
                    && r.loss == setting.loss
                    && r.pauses == setting.pauses
            }) {
                Some(i) => i,
                None => {
                    rows.push(Row {
                        metric: setting.metric,
                        nodes: setting.nodes,
                        loss: setting.loss,
                        pauses: setting.pauses,
                        limit: setting.limit,
                        hearsay: Vec::new(),
                        foca: Vec::new(),
                    });
                    rows.len() - 1
                }
            };
            let row = &mut rows[index];
            match cell.system {
                System::Hearsay => row.hearsay.push(value),
                System::Foca => row.foca.push(value),
            }
        }
    }
    rows.sort_by(|a, b| {
        (order(a.metric), a.nodes, a.pauses)
            .cmp(&(order(b.metric), b.nodes, b.pauses))
            .then(a.loss.total_cmp(&b.loss))
    });
    rows
}

/// Position of a metric in the table: the order.
fn order(metric: Metric) -> u8 {
    match metric {
        Metric::ColdJoinS => 0,
        Metric::SpreadP50S => 1,
        Metric::SpreadP99S => 2,
        Metric::SpreadMaxS => 3,
        Metric::DetectFirstS => 4,
        Metric::DetectLastS => 5,
        Metric::FalseDeadPerMemberHour => 6,
        Metric::ConvergedPct => 7,
        Metric::IdleBytesPerMemberS => 8,
        Metric::IdleDatagramsPerMemberS => 9,
        Metric::CpuUsPerDatagram => 10,
        Metric::PeakMemoryMb => 11,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_full_plan_covers_both_systems_and_every_seed() {
        let cells = Plan::full().cells(&[1, 2, 3]);
        // 2 joins + 2 calm + 1 kill + 2 sizes x 3 losses x 2 = 17 kinds with three seeds,
        // and the 10,000-member calm run with one.
        assert_eq!(cells.len(), (17 * 3 + 1) * 2);
        let foca = cells.iter().filter(|c| c.system == System::Foca).count();
        assert_eq!(foca * 2, cells.len());
        assert!(cells.windows(2).all(|w| cost(&w[0]) >= cost(&w[1])));
    }

    #[test]
    fn rows_gather_seeds_and_systems() {
        let seeds = [7, 8];
        let kind = Kind::Kill { duration_s: 40 };
        let mut finished = Vec::new();
        for (i, &seed) in seeds.iter().enumerate() {
            for system in System::ALL {
                let cell = Cell {
                    system,
                    kind,
                    nodes: 20,
                    seed,
                };
                let figures = Figures {
                    detect_first_s: Some(i as f64),
                    detect_last_s: (system == System::Hearsay).then_some(10.0),
                    ..Figures::default()
                };
                finished.push((cell, figures));
            }
        }
        let rows = rows(&finished);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].metric, Metric::DetectFirstS);
        assert_eq!(rows[0].hearsay, vec![Some(0.0), Some(1.0)]);
        assert_eq!(rows[1].foca, vec![None, None]);
        assert_eq!(rows[1].hearsay, vec![Some(10.0), Some(10.0)]);
    }
}
