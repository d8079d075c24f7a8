//! What to simulate: cluster size, network, and the faults to inject and when.
//!
//! A [`Scenario`] is plain data; [`Scenario::validate`] checks that it makes sense as a whole
//! and names the command-line flag at fault, because most scenarios come from flags
//! (see [`crate::flags`]). The seed sweep builds scenarios directly.

use std::fmt;
use std::time::Duration;

use crate::addr::MAX_NODES;
use crate::duration::format_duration;
use crate::store_load::{KvLoad, StateLoad, check_store_loads};

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

/// What is wrong with a scenario or with the flags it came from. Every message names the
/// flag and says what would be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The text of a flag could not be read.
    #[error("{flag} {value} {hint}")]
    Malformed {
        /// The flag, with its dashes.
        flag: &'static str,
        /// What was given.
        value: String,
        /// What is wrong and how to write it.
        hint: String,
    },
    /// A number outside its range.
    #[error("{flag} {value} is out of range; use {range}")]
    OutOfRange {
        /// The flag, with its dashes.
        flag: &'static str,
        /// What was given.
        value: String,
        /// The accepted range, in words.
        range: String,
    },
    /// Something scheduled at or after the end of the run.
    #[error(
        "{flag} {value} happens after the run ends (--duration {duration}); move it earlier or run longer"
    )]
    AfterEnd {
        /// The flag, with its dashes.
        flag: &'static str,
        /// What was given.
        value: String,
        /// The run's duration.
        duration: String,
    },
    /// More kills than members that could be killed at that time.
    #[error(
        "--kill {value} needs {count} running members besides node 0, but only {available} are left then"
    )]
    TooManyKills {
        /// What was given.
        value: String,
        /// Members asked for.
        count: u32,
        /// Members available.
        available: u32,
    },
    /// More restarts than members killed (and not yet restarted) by then.
    #[error(
        "--restart {value} needs {count} killed members, but only {available} are down then; add --kill earlier"
    )]
    TooManyRestarts {
        /// What was given.
        value: String,
        /// Members asked for.
        count: u32,
        /// Members available.
        available: u32,
    },
    /// The flag picks members other than node 0, and there are none.
    #[error("{flag} needs at least 2 nodes (node 0, the join seed, is never picked)")]
    NeedsTwoNodes {
        /// The flag, with its dashes.
        flag: &'static str,
    },
    /// Too many partitions.
    #[error("--partition is given {0} times; at most {MAX_PARTITIONS} are supported")]
    TooManyPartitions(usize),
    /// A flag that only refines another one, given without it.
    #[error("{flag} only applies with {needs}; add that or drop {flag}")]
    Needs {
        /// The flag given, with its dashes.
        flag: &'static str,
        /// The flag it refines.
        needs: &'static str,
    },
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
        }
    }

    /// Checks the scenario as a whole; returns it unchanged when it can run.
    pub fn validate(self) -> Result<Scenario, ScenarioError> {
        let s = self;
        if s.nodes == 0 || s.nodes > MAX_NODES {
            return Err(out_of_range(
                "--nodes",
                s.nodes,
                format!("1 to {MAX_NODES}"),
            ));
        }
        if s.duration.is_zero() {
            return Err(out_of_range(
                "--duration",
                format_duration(s.duration),
                "a positive duration such as 60s",
            ));
        }
        if s.latency.min > s.latency.max {
            return Err(out_of_range(
                "--latency",
                s.latency,
                "MIN..MAX with MIN no larger than MAX",
            ));
        }
        if s.latency.max > Duration::from_secs(60) {
            return Err(out_of_range("--latency", s.latency, "at most 60s"));
        }
        check_probability("--loss", s.loss)?;
        for change in &s.loss_changes {
            check_probability("--loss", change.loss)?;
        }
        s.check_times()?;
        if s.nodes < 2 {
            for (flag, used) in [
                ("--update-at", s.update_at.is_some()),
                ("--kill", !s.kills.is_empty()),
                ("--pause", !s.pauses.is_empty()),
                ("--pauses", s.random_pauses.is_some()),
                ("--partition", !s.partitions.is_empty()),
            ] {
                if used {
                    return Err(ScenarioError::NeedsTwoNodes { flag });
                }
            }
        }
        s.check_kills_and_restarts()?;
        for pause in &s.pauses {
            if pause.count == 0 || pause.count > s.nodes - 1 {
                return Err(out_of_range("--pause", pause, count_range(s.nodes)));
            }
            if pause.length.is_zero() {
                return Err(out_of_range("--pause", pause, "a positive pause length"));
            }
        }
        if let Some(p) = &s.random_pauses {
            if p.count == 0 || p.count > s.nodes - 1 {
                return Err(out_of_range("--pauses", p, count_range(s.nodes)));
            }
            if p.min.is_zero() || p.min > p.max {
                return Err(out_of_range(
                    "--pauses",
                    p,
                    "COUNT:MIN..MAX with 0 < MIN <= MAX",
                ));
            }
        }
        if s.partitions.len() > MAX_PARTITIONS {
            return Err(ScenarioError::TooManyPartitions(s.partitions.len()));
        }
        check_store_loads(&s)?;
        for p in &s.partitions {
            let cut = partition_size(p.fraction, s.nodes);
            if !(p.fraction > 0.0 && p.fraction < 1.0) || cut == 0 || cut >= s.nodes {
                return Err(out_of_range(
                    "--partition",
                    p,
                    format!(
                        "a fraction that cuts off between 1 and {} of {} nodes",
                        s.nodes - 1,
                        s.nodes
                    ),
                ));
            }
            if p.length.is_zero() {
                return Err(out_of_range("--partition", p, "a positive length"));
            }
        }
        Ok(s)
    }

    /// Every scheduled time must fall inside the run.
    fn check_times(&self) -> Result<(), ScenarioError> {
        let end = self.duration;
        let after = |flag: &'static str, value: String| ScenarioError::AfterEnd {
            flag,
            value,
            duration: format_duration(end),
        };
        if let Some(t) = self.update_at
            && t >= end
        {
            return Err(after("--update-at", format_duration(t)));
        }
        for k in &self.kills {
            if k.at >= end {
                return Err(after("--kill", k.to_string()));
            }
        }
        for r in &self.restarts {
            if r.at >= end {
                return Err(after("--restart", r.to_string()));
            }
        }
        for p in &self.pauses {
            if p.at >= end {
                return Err(after("--pause", p.to_string()));
            }
        }
        for p in &self.partitions {
            if p.at >= end {
                return Err(after("--partition", p.to_string()));
            }
        }
        Ok(())
    }

    /// Replays kills and restarts in time order (kills first at equal times, as the
    /// simulator does) to check that each finds enough members.
    fn check_kills_and_restarts(&self) -> Result<(), ScenarioError> {
        let mut steps: Vec<(Duration, bool, CountAt)> = self
            .kills
            .iter()
            .map(|k| (k.at, false, *k))
            .chain(self.restarts.iter().map(|r| (r.at, true, *r)))
            .collect();
        steps.sort_by_key(|(at, is_restart, _)| (*at, *is_restart));
        let mut down = 0u32;
        for (_, is_restart, step) in steps {
            if is_restart {
                if step.count == 0 || step.count > down {
                    return Err(ScenarioError::TooManyRestarts {
                        value: step.to_string(),
                        count: step.count,
                        available: down,
                    });
                }
                down -= step.count;
            } else {
                let available = self.nodes.saturating_sub(1 + down);
                if step.count == 0 || step.count > available {
                    return Err(ScenarioError::TooManyKills {
                        value: step.to_string(),
                        count: step.count,
                        available,
                    });
                }
                down += step.count;
            }
        }
        Ok(())
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

fn check_probability(flag: &'static str, p: f64) -> Result<(), ScenarioError> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(out_of_range(flag, p, "a probability from 0 to 1"))
    }
}

fn count_range(nodes: u32) -> String {
    format!("a count from 1 to {} (node 0 is never picked)", nodes - 1)
}

pub(crate) fn out_of_range(
    flag: &'static str,
    value: impl fmt::Display,
    range: impl Into<String>,
) -> ScenarioError {
    ScenarioError::OutOfRange {
        flag,
        value: value.to_string(),
        range: range.into(),
    }
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

    fn base() -> Scenario {
        Scenario::new(10, Duration::from_secs(60), 1)
    }

    #[test]
    fn a_plain_scenario_is_valid() {
        base().validate().unwrap();
    }

    #[test]
    fn restarting_more_than_were_killed_is_refused() {
        let mut s = base();
        s.kills.push(CountAt {
            count: 2,
            at: Duration::from_secs(10),
        });
        s.restarts.push(CountAt {
            count: 3,
            at: Duration::from_secs(20),
        });
        let err = s.validate().unwrap_err();
        assert!(matches!(
            err,
            ScenarioError::TooManyRestarts { available: 2, .. }
        ));
        assert!(err.to_string().starts_with("--restart 3@20s"), "{err}");
    }

    #[test]
    fn killing_everyone_but_node_zero_is_the_limit() {
        let mut s = base();
        s.kills.push(CountAt {
            count: 9,
            at: Duration::from_secs(10),
        });
        s.clone().validate().unwrap();
        s.kills.push(CountAt {
            count: 1,
            at: Duration::from_secs(11),
        });
        assert!(matches!(
            s.validate(),
            Err(ScenarioError::TooManyKills { available: 0, .. })
        ));
    }

    #[test]
    fn faults_after_the_end_are_refused() {
        let mut s = base();
        s.update_at = Some(Duration::from_secs(60));
        let err = s.validate().unwrap_err();
        assert!(err.to_string().contains("--update-at 1m"), "{err}");
    }

    #[test]
    fn a_partition_must_cut_off_someone() {
        let mut s = base();
        s.partitions.push(PartitionSpec {
            fraction: 0.01,
            at: Duration::from_secs(1),
            length: Duration::from_secs(1),
        });
        let err = s.validate().unwrap_err();
        assert!(err.to_string().contains("between 1 and 9 of 10"), "{err}");
    }

    #[test]
    fn heal_ends_the_loss() {
        let mut s = base();
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
