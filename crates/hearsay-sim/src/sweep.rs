//! Seed sweeps: many small random clusters with random faults, checked step by step.
//!
//! Each seed fixes a whole run. The cluster (8 to 40 nodes unless `--nodes` is given) joins
//! cold; a fault phase starts at [`FAULTS_FROM`] and lasts 30 to 90 s, with datagram loss of
//! 0 to 20 %, one partition, one or two waves of kills (most followed by restarts) and a few
//! pauses; then everything heals at once and views must converge within [`HEAL_BOUND`]. The
//! run goes on [`RUN_AFTER_HEAL`] past the heal so that calm-network verdicts are checked
//! too. The invariants ([`crate::invariants`]) are checked after every engine call.
//!
//! The cluster size is always drawn from the seed first and only then replaced by
//! `--nodes`, so `--nodes` set to the drawn size reproduces the seed's run exactly.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::SimError;
use crate::invariants::{Invariants, Violation};
use crate::scenario::{CountAt, LossChange, PartitionSpec, PauseSpec, Scenario};
use crate::simulation::Simulation;

/// When the fault phase begins (the cold join has settled by then).
pub const FAULTS_FROM: Duration = Duration::from_secs(10);

/// How long after the heal views must have converged.
pub const HEAL_BOUND: Duration = Duration::from_secs(60);

/// How long each run goes on after the heal.
pub const RUN_AFTER_HEAL: Duration = Duration::from_secs(90);

/// Which seeds to run, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepOptions {
    /// How many seeds.
    pub seeds: u64,
    /// The first seed; the others follow it.
    pub first_seed: u64,
    /// Cluster size for every seed instead of the drawn one.
    pub nodes: Option<u32>,
    /// Worker threads (results are reported in seed order regardless).
    pub threads: usize,
    /// Show each seed's trace hash (see [`SeedResult::trace_hash`]) in its line.
    pub show_trace: bool,
}

/// The result of one seed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SeedResult {
    /// The seed.
    pub seed: u64,
    /// Cluster size used.
    pub nodes: u32,
    /// When the faults healed.
    pub heal_at: Duration,
    /// When views converged after the heal, if they did.
    pub converged_at: Option<Duration>,
    /// The first broken invariant, if any.
    pub violation: Option<Violation>,
    /// Wall-clock seconds the run took.
    pub wall_s: f64,
    /// Hash of every message delivered in the run: equal hashes mean identical runs.
    pub trace_hash: u64,
    /// Whether `Display` shows `trace_hash`.
    pub show_trace: bool,
}

impl SeedResult {
    /// Whether every invariant held.
    pub fn passed(&self) -> bool {
        self.violation.is_none()
    }

    /// The command that runs exactly this seed again.
    pub fn reproduce(&self) -> String {
        format!(
            "hearsay sim sweep --seeds 1 --first-seed {} --nodes {}",
            self.seed, self.nodes
        )
    }
}

impl fmt::Display for SeedResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "seed {}: {} nodes, healed at {:.1}s, ",
            self.seed,
            self.nodes,
            self.heal_at.as_secs_f64()
        )?;
        match self.converged_at {
            Some(c) => write!(
                f,
                "converged {:.1}s later",
                (c - self.heal_at).as_secs_f64()
            )?,
            None => write!(f, "not converged")?,
        }
        if self.show_trace {
            write!(f, ", trace {:016x}", self.trace_hash)?;
        }
        match &self.violation {
            None => write!(f, ": ok"),
            Some(v) => write!(f, ": FAILED {v}\n  reproduce: {}", self.reproduce()),
        }
    }
}

/// The scenario of `seed`; `nodes` replaces the drawn cluster size.
pub fn sweep_scenario(seed: u64, nodes: Option<u32>) -> Scenario {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5357_4545_5021);
    let drawn = rng.random_range(8..=40u32);
    let n = nodes.unwrap_or(drawn).max(2);
    let secs = |rng: &mut ChaCha8Rng, lo: f64, hi: f64| {
        Duration::from_millis((rng.random_range(lo..hi) * 1000.0) as u64)
    };
    let fault_len = secs(&mut rng, 30.0, 90.0);
    let heal_at = FAULTS_FROM + fault_len;
    let in_faults =
        |rng: &mut ChaCha8Rng| FAULTS_FROM + secs(rng, 0.0, fault_len.as_secs_f64() - 5.0);

    let mut s = Scenario::new(n, heal_at + RUN_AFTER_HEAL, seed);
    s.loss_changes.push(LossChange {
        at: FAULTS_FROM,
        loss: rng.random_range(0.0..0.2),
    });
    if n >= 3 {
        let at = in_faults(&mut rng);
        let room = (heal_at - at).as_secs_f64();
        s.partitions.push(PartitionSpec {
            fraction: rng.random_range(0.1..0.5f64).max(1.0 / f64::from(n)),
            at,
            length: secs(&mut rng, 1.0, room.clamp(1.5, 30.0)),
        });
    }
    let mut killable = n - 1;
    for _ in 0..rng.random_range(1..=2) {
        let count = rng
            .random_range(1..=(n / 8).max(1))
            .min(killable.saturating_sub(1));
        if count == 0 {
            break;
        }
        killable -= count;
        let at = in_faults(&mut rng);
        s.kills.push(CountAt { count, at });
        if rng.random_bool(0.7) {
            let later = (heal_at - at).as_secs_f64();
            s.restarts.push(CountAt {
                count: rng.random_range(1..=count),
                at: at + secs(&mut rng, 0.5, later.max(0.6)),
            });
        }
    }
    for _ in 0..rng.random_range(1..=3) {
        s.pauses.push(PauseSpec {
            count: rng.random_range(1..=2).min(n - 1),
            at: in_faults(&mut rng),
            length: secs(&mut rng, 1.0, 8.0),
        });
    }
    s.heal_at = Some(heal_at);
    s
}

/// Runs one seed with every invariant checked.
pub fn run_seed(seed: u64, nodes: Option<u32>) -> Result<SeedResult, SimError> {
    let scenario = sweep_scenario(seed, nodes);
    let heal_at = scenario.heal_at.unwrap_or_default();
    let n = scenario.nodes;
    let mut invariants = Invariants::new(heal_at, HEAL_BOUND);
    let mut simulation = Simulation::new(scenario)?;
    simulation.record_trace();
    let outcome = simulation.run(&mut invariants);
    Ok(SeedResult {
        seed,
        nodes: n,
        heal_at,
        converged_at: invariants.converged_at(),
        violation: invariants.violation().cloned(),
        wall_s: outcome.report.wall_s,
        trace_hash: outcome.trace_hash.unwrap_or_default(),
        show_trace: false,
    })
}

/// Runs the seeds of `options` on `options.threads` threads; `report` sees each result in
/// seed order as soon as it and all before it are done. Returns all results.
pub fn sweep(
    options: SweepOptions,
    mut report: impl FnMut(&SeedResult),
) -> Result<Vec<SeedResult>, SimError> {
    let next = AtomicU64::new(0);
    let threads = options.threads.clamp(1, 64);
    let (tx, rx) = mpsc::channel::<(u64, Result<SeedResult, SimError>)>();
    let mut results = Vec::with_capacity(options.seeds.min(1 << 20) as usize);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let tx = tx.clone();
            let next = &next;
            scope.spawn(move || {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= options.seeds {
                        break;
                    }
                    let seed = options.first_seed.wrapping_add(k);
                    let result = run_seed(seed, options.nodes).map(|r| SeedResult {
                        show_trace: options.show_trace,
                        ..r
                    });
                    if tx.send((k, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut waiting = BTreeMap::new();
        let mut expected = 0u64;
        for (k, result) in rx {
            waiting.insert(k, result);
            while let Some(result) = waiting.remove(&expected) {
                expected += 1;
                match result {
                    Ok(r) => {
                        report(&r);
                        results.push(Ok(r));
                    }
                    Err(e) => results.push(Err(e)),
                }
            }
        }
    });
    results.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweep_scenarios_are_valid_for_many_seeds_and_sizes() {
        for seed in 0..300 {
            for nodes in [None, Some(2), Some(3), Some(8)] {
                let s = sweep_scenario(seed, nodes);
                s.clone()
                    .validate()
                    .unwrap_or_else(|e| panic!("seed {seed} nodes {nodes:?}: {e}\n{s:?}"));
            }
        }
    }

    #[test]
    fn the_drawn_size_given_as_nodes_reproduces_the_scenario() {
        let s = sweep_scenario(42, None);
        assert_eq!(sweep_scenario(42, Some(s.nodes)), s);
    }
}
