//! `hearsay-bench state`: per-node replicated state, hearsay beside chitchat 0.13.
//!
//! ```text
//!   for each N, each seed:
//!     hearsay  (simulator, virtual time) ── run_state_scenario, settle 0  ─┐
//!              the same seed again, settle --steady-settle-secs ───────────┤─> StateCell
//!     chitchat (child process, real time) ── chitchat-state, settle 0 ─────┘
//!   cells ──> medians (min-max) per N ──> table + targets ──> state_results.json
//! ```
//!
//! Both systems run the same scenario: N nodes join, and once every node sees every other
//! one (t0) each node sets `keys` keys of `value_bytes` bytes; `full_replication_s` is the
//! time from t0 until every node holds every key of every node. The idle window then starts
//! at full replication, with no settle on either side, and lasts `idle_secs`. hearsay's
//! *steady* idle is measured once more in a window that starts `steady_settle_secs` later,
//! after the piggybacked retransmissions of the keys have run out.
//!
//! The sides do not count bytes the same way, so both counts are kept: chitchat counts UDP
//! payload (its own counters), hearsay's simulator counts payload and wire bytes (payload
//! plus 28 bytes per datagram and 40 per stream message). The table compares payload with
//! payload and, adding 28 bytes of IPv4 + UDP header to each chitchat message, wire with
//! wire.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use hearsay_sim::state_bench::{StateBench, StateRun as HearsayRun};
use serde::{Deserialize, Serialize};

mod table;

use table::fmt_opt;
pub use table::{Target, render, targets};

use crate::chitchat_state::{StateFigures, StateScenario};
use crate::compare::machine;
use crate::results::Machine;

/// IPv4 + UDP header bytes per datagram, added to chitchat's payload counts for the wire
/// figure (the simulator adds the same to hearsay's datagrams).
pub const IP_UDP_HEADER_BYTES: f64 = 28.0;

/// The cluster size at which the idle-bytes target applies.
pub const IDLE_TARGET_NODES: u32 = 100;

/// hearsay's idle bytes at [`IDLE_TARGET_NODES`] must be at most chitchat's divided by this.
pub const IDLE_TARGET_FACTOR: f64 = 20.0;

/// Why a state comparison could not finish.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// hearsay's simulation refused the scenario.
    #[error("hearsay at N = {nodes}, seed {seed}: {why}")]
    Hearsay {
        /// Cluster size.
        nodes: u32,
        /// Seed.
        seed: u64,
        /// What went wrong.
        why: String,
    },
    /// A chitchat child run failed.
    #[error(
        "chitchat at N = {nodes}, seed {seed}: {why}; rerun it alone with \
         `hearsay-bench chitchat-state --nodes {nodes} --seed {seed}` to see why"
    )]
    Chitchat {
        /// Cluster size.
        nodes: u32,
        /// Seed.
        seed: u64,
        /// What went wrong.
        why: String,
    },
    /// Writing or reading results failed.
    #[error("{path}: {why}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        why: String,
    },
}

/// How to run a state comparison.
#[derive(Debug, Clone)]
pub struct StateOptions {
    /// Cluster sizes. Each at least 2.
    pub nodes: Vec<u32>,
    /// Seeds; every size runs once per seed and system.
    pub seeds: Vec<u64>,
    /// Keys each node sets. Defaults to 10.
    pub keys_per_node: u32,
    /// Bytes of every value. Defaults to 16.
    pub value_bytes: u32,
    /// Length of the idle window, seconds. Defaults to 30.
    pub idle_secs: u64,
    /// Time from full replication to hearsay's steady idle window, seconds. Defaults to 30.
    pub steady_settle_secs: u64,
    /// chitchat's longest wait for membership, and again for replication, seconds.
    /// Defaults to 120.
    pub timeout_secs: f64,
    /// The `hearsay-bench` executable that runs chitchat's side in child processes.
    pub exe: PathBuf,
}

/// A whole state comparison, as written to `state_results.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateResults {
    /// Where it ran.
    pub machine: Machine,
    /// Keys each node set.
    pub keys_per_node: u32,
    /// Bytes of every value.
    pub value_bytes: u32,
    /// Length of every idle window, seconds.
    pub idle_secs: u64,
    /// Time from full replication to hearsay's steady idle window, seconds.
    pub steady_settle_secs: u64,
    /// The seeds run at every size.
    pub seeds: Vec<u64>,
    /// One per size and seed, sizes in the order given, then seeds.
    pub cells: Vec<StateCell>,
}

/// Both systems at one size and seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateCell {
    /// Cluster size.
    pub nodes: u32,
    /// Seed.
    pub seed: u64,
    /// hearsay's figures.
    pub hearsay: HearsayFigures,
    /// chitchat's figures, as its child process printed them (bytes are UDP payload).
    pub chitchat: StateFigures,
}

/// hearsay's figures at one size and seed: [`hearsay_sim::state_bench::StateRun`] twice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HearsayFigures {
    /// Seconds from the start until the views converged and the keys were set (t0).
    pub t0_s: Option<f64>,
    /// Seconds from t0 until every node held every key of every node (`None`: not within
    /// the simulator's limit).
    pub full_replication_s: Option<f64>,
    /// Wire bytes per node-second (payload + 28 per datagram + 40 per stream message),
    /// window starting at full replication.
    pub idle_wire_bytes_per_node_s: f64,
    /// Payload bytes per node-second, the same window.
    pub idle_payload_bytes_per_node_s: f64,
    /// Datagrams per node-second, the same window.
    pub idle_datagrams_per_node_s: f64,
    /// Wire bytes per node-second, window starting `steady_settle_secs` after full
    /// replication.
    pub steady_wire_bytes_per_node_s: f64,
    /// Payload bytes per node-second, the steady window.
    pub steady_payload_bytes_per_node_s: f64,
    /// Wire bytes per node from t0 until full replication.
    pub replication_bytes_per_node: f64,
    /// Where the first window started, seconds after t0 (the first 100 ms tick after full
    /// replication).
    pub idle_from_s: f64,
}

impl HearsayFigures {
    fn new(at_replication: &HearsayRun, steady: &HearsayRun) -> Self {
        HearsayFigures {
            t0_s: at_replication.t0_s,
            full_replication_s: at_replication.full_replication_s,
            idle_wire_bytes_per_node_s: at_replication.idle_bytes_per_node_s,
            idle_payload_bytes_per_node_s: at_replication.idle_payload_bytes_per_node_s,
            idle_datagrams_per_node_s: at_replication.idle_datagrams_per_node_s,
            steady_wire_bytes_per_node_s: steady.idle_bytes_per_node_s,
            steady_payload_bytes_per_node_s: steady.idle_payload_bytes_per_node_s,
            replication_bytes_per_node: at_replication.replication_bytes_per_node,
            idle_from_s: at_replication.idle_from_s,
        }
    }
}

/// chitchat's idle bytes with 28 bytes of IPv4 + UDP header added to every message.
pub fn chitchat_wire_bytes_per_node_s(f: &StateFigures) -> f64 {
    f.idle_bytes_per_node_s + IP_UDP_HEADER_BYTES * f.idle_msgs_per_node_s
}

/// Runs both systems at every size and seed, hearsay first; `progress` gets one line per
/// finished run. chitchat's runs go one at a time, each in a child process, so that they
/// have the machine's cores to themselves.
pub fn run(
    options: &StateOptions,
    mut progress: impl FnMut(&str),
) -> Result<StateResults, StateError> {
    let mut cells = Vec::with_capacity(options.nodes.len() * options.seeds.len());
    for &nodes in &options.nodes {
        for &seed in &options.seeds {
            let hearsay = run_hearsay(options, nodes, seed)?;
            progress(&format!(
                "hearsay  N={nodes:<4} seed {seed}: replicated in {} s, idle {:.0} B/node-s \
                 ({:.0} steady)",
                fmt_opt(hearsay.full_replication_s),
                hearsay.idle_wire_bytes_per_node_s,
                hearsay.steady_wire_bytes_per_node_s
            ));
            let scenario = StateScenario {
                nodes: nodes as usize,
                keys_per_node: options.keys_per_node as usize,
                value_bytes: options.value_bytes as usize,
                idle_secs: options.idle_secs as f64,
                seed,
                timeout_secs: options.timeout_secs,
                settle_secs: 0.0,
            };
            let chitchat = run_chitchat_child(&options.exe, &scenario, false)
                .map_err(|why| StateError::Chitchat { nodes, seed, why })?;
            progress(&format!(
                "chitchat N={nodes:<4} seed {seed}: replicated in {} s, idle {:.0} B/node-s \
                 (+ headers)",
                fmt_opt(chitchat.full_replication_s),
                chitchat_wire_bytes_per_node_s(&chitchat)
            ));
            cells.push(StateCell {
                nodes,
                seed,
                hearsay,
                chitchat,
            });
        }
    }
    Ok(StateResults {
        machine: machine(),
        keys_per_node: options.keys_per_node,
        value_bytes: options.value_bytes,
        idle_secs: options.idle_secs,
        steady_settle_secs: options.steady_settle_secs,
        seeds: options.seeds.clone(),
        cells,
    })
}

/// Runs chitchat's side of `scenario` in a child process of `exe` (`chitchat-state
/// --figures-only`) and reads its figures; the error says what went wrong.
pub fn run_chitchat_child(
    exe: &Path,
    s: &StateScenario,
    compressed_digest: bool,
) -> Result<StateFigures, String> {
    let mut child = Command::new(exe);
    child.args([
        "chitchat-state",
        "--figures-only",
        &format!("--nodes={}", s.nodes),
        &format!("--keys={}", s.keys_per_node),
        &format!("--value-bytes={}", s.value_bytes),
        &format!("--idle-secs={}", s.idle_secs),
        &format!("--seed={}", s.seed),
        &format!("--timeout-secs={}", s.timeout_secs),
        &format!("--settle-secs={}", s.settle_secs),
    ]);
    if compressed_digest {
        child.arg("--compressed-digest");
    }
    let output = child
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
    if !output.status.success() {
        return Err(format!("the child failed ({})", output.status));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| {
        format!(
            "the child printed no figures ({e}): {:?}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// Writes `results` as pretty JSON to `path`, creating its directory.
pub fn save(results: &StateResults, path: &Path) -> Result<(), StateError> {
    let fail = |why: String| StateError::File {
        path: path.to_path_buf(),
        why,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
    }
    let json = serde_json::to_string_pretty(results).expect("results serialize");
    std::fs::write(path, json + "\n").map_err(|e| fail(e.to_string()))
}

/// Reads results written by [`save`].
pub fn load(path: &Path) -> Result<StateResults, StateError> {
    let fail = |why: String| StateError::File {
        path: path.to_path_buf(),
        why,
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| fail(format!("not a state results file: {e}")))
}

/// hearsay at one size and seed: once with the window at full replication, once after the
/// steady settle.
fn run_hearsay(
    options: &StateOptions,
    nodes: u32,
    seed: u64,
) -> Result<HearsayFigures, StateError> {
    let fail = |e: hearsay_sim::SimError| StateError::Hearsay {
        nodes,
        seed,
        why: e.to_string(),
    };
    let bench = StateBench::new(
        nodes,
        options.keys_per_node,
        options.value_bytes,
        Duration::from_secs(options.idle_secs),
        seed,
    );
    let at_replication = bench.run().map_err(fail)?;
    let mut steady = bench;
    steady.settle = Duration::from_secs(options.steady_settle_secs);
    let steady = steady.run().map_err(fail)?;
    Ok(HearsayFigures::new(&at_replication, &steady))
}
