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

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use hearsay_sim::state_bench::{StateBench, StateRun as HearsayRun};
use serde::{Deserialize, Serialize};

use crate::chitchat_state::{StateFigures, StateScenario};
use crate::compare::machine;
use crate::results::Machine;
use crate::table::{Summary, summarize};

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

/// The comparison as text: one block per size (hearsay, chitchat, ratio rows), the
/// targets, and a legend.
pub fn render(results: &StateResults) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Per-node state: {} keys/node of {} B; idle window {} s from full replication \
         (both systems); hearsay steady window {} s later; seeds {:?}.",
        results.keys_per_node,
        results.value_bytes,
        results.idle_secs,
        results.steady_settle_secs,
        results.seeds
    );
    let header = [
        "N",
        "system",
        "full replication (s)",
        "idle B/node-s, wire",
        "idle B/node-s, payload",
        "idle msgs/node-s",
        "steady idle B/node-s, wire (payload)",
    ];
    let mut rows: Vec<[String; 7]> = vec![header.map(str::to_owned)];
    for n in sizes(results) {
        let s = SizeSummary::of(results, n);
        rows.push([
            n.to_string(),
            "hearsay".into(),
            fmt_summary(s.hearsay_replication),
            fmt_summary(s.hearsay_wire),
            fmt_summary(s.hearsay_payload),
            fmt_summary(s.hearsay_msgs),
            format!(
                "{} ({})",
                fmt_summary(s.hearsay_steady_wire),
                fmt_median(s.hearsay_steady_payload)
            ),
        ]);
        rows.push([
            n.to_string(),
            "chitchat".into(),
            fmt_summary(s.chitchat_replication),
            fmt_summary(s.chitchat_wire),
            fmt_summary(s.chitchat_payload),
            fmt_summary(s.chitchat_msgs),
            "-".into(),
        ]);
        rows.push([
            n.to_string(),
            "ratio".into(),
            fmt_ratio(s.hearsay_replication, s.chitchat_replication),
            fmt_ratio(s.hearsay_wire, s.chitchat_wire),
            fmt_ratio(s.hearsay_payload, s.chitchat_payload),
            fmt_ratio(s.hearsay_msgs, s.chitchat_msgs),
            format!(
                "{} ({})",
                fmt_ratio(s.hearsay_steady_wire, s.chitchat_wire),
                fmt_ratio(s.hearsay_steady_payload, s.chitchat_payload)
            ),
        ]);
    }
    let widths: Vec<usize> = (0..7)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (cell, &w))| {
                if c < 2 {
                    format!("{cell:<w$}")
                } else {
                    format!("{cell:>w$}")
                }
            })
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
    let _ = writeln!(out, "\nTargets:");
    for t in targets(results) {
        let _ = writeln!(out, "  {}: {} ({})", t.name, t.verdict, t.detail);
    }
    let _ = writeln!(
        out,
        "\nMedians with (min-max) over the seeds; ratio = hearsay / chitchat of the medians.\n\
         hearsay: simulator, virtual time, default network (1-5 ms one way, no loss).\n\
         chitchat: real time, in-memory transport (no sockets), one child process per run.\n\
         Wire = payload + 28 B IPv4/UDP per datagram (+ 40 B IPv4/TCP per hearsay stream\n\
         message); chitchat counts payload only, its wire figure adds 28 B per message.\n\
         Machine: {} cores, {:.0} GiB, {}.",
        results.machine.cores, results.machine.memory_gib, results.machine.cpu
    );
    out
}

/// One of the targets, with its verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// What is required.
    pub name: String,
    /// "met", "not met", or "not measured".
    pub verdict: &'static str,
    /// The figures behind the verdict.
    pub detail: String,
}

/// The two targets: hearsay's idle bytes at N = 100 at most 1/20 of chitchat's (wire with
/// wire, and payload with payload: both must hold), and hearsay's full replication no
/// slower than chitchat's at every size (medians).
pub fn targets(results: &StateResults) -> Vec<Target> {
    let idle = match sizes(results).contains(&IDLE_TARGET_NODES) {
        false => Target {
            name: idle_target_name(),
            verdict: "not measured",
            detail: format!("N = {IDLE_TARGET_NODES} was not run"),
        },
        true => {
            let s = SizeSummary::of(results, IDLE_TARGET_NODES);
            let wire = ratio(s.hearsay_wire, s.chitchat_wire);
            let payload = ratio(s.hearsay_payload, s.chitchat_payload);
            let limit = 1.0 / IDLE_TARGET_FACTOR;
            let met = wire.is_some_and(|r| r <= limit) && payload.is_some_and(|r| r <= limit);
            Target {
                name: idle_target_name(),
                verdict: if met { "met" } else { "not met" },
                detail: format!(
                    "wire {}, payload {}; limit {limit}x",
                    fmt_ratio_value(wire),
                    fmt_ratio_value(payload)
                ),
            }
        }
    };
    let per_size: Vec<(u32, Option<f64>, bool)> = sizes(results)
        .into_iter()
        .map(|n| {
            let s = SizeSummary::of(results, n);
            let r = ratio(s.hearsay_replication, s.chitchat_replication);
            let ok = match (
                median(s.hearsay_replication),
                median(s.chitchat_replication),
            ) {
                (Some(h), Some(c)) => h <= c,
                // chitchat never got there: any figure of hearsay's is ahead.
                (Some(_), None) => true,
                (None, _) => false,
            };
            (n, r, ok)
        })
        .collect();
    let replication = Target {
        name: "hearsay full replication <= chitchat's at every N".into(),
        verdict: if per_size.is_empty() {
            "not measured"
        } else if per_size.iter().all(|&(_, _, ok)| ok) {
            "met"
        } else {
            "not met"
        },
        detail: per_size
            .iter()
            .map(|&(n, r, _)| format!("N={n}: {}", fmt_ratio_value(r)))
            .collect::<Vec<_>>()
            .join(", "),
    };
    vec![idle, replication]
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

/// The sizes run, in order of first appearance.
fn sizes(results: &StateResults) -> Vec<u32> {
    let mut sizes: Vec<u32> = Vec::new();
    for c in &results.cells {
        if !sizes.contains(&c.nodes) {
            sizes.push(c.nodes);
        }
    }
    sizes
}

/// Every figure of the table at one size, summarized over the seeds.
struct SizeSummary {
    hearsay_replication: Option<Summary>,
    hearsay_wire: Option<Summary>,
    hearsay_payload: Option<Summary>,
    hearsay_msgs: Option<Summary>,
    hearsay_steady_wire: Option<Summary>,
    hearsay_steady_payload: Option<Summary>,
    chitchat_replication: Option<Summary>,
    chitchat_wire: Option<Summary>,
    chitchat_payload: Option<Summary>,
    chitchat_msgs: Option<Summary>,
}

impl SizeSummary {
    fn of(results: &StateResults, nodes: u32) -> Self {
        let cells: Vec<&StateCell> = results.cells.iter().filter(|c| c.nodes == nodes).collect();
        let h = |f: fn(&HearsayFigures) -> Option<f64>| {
            let v: Vec<Option<f64>> = cells.iter().map(|c| f(&c.hearsay)).collect();
            summarize(&v, false)
        };
        let c = |f: fn(&StateFigures) -> Option<f64>| {
            let v: Vec<Option<f64>> = cells.iter().map(|c| f(&c.chitchat)).collect();
            summarize(&v, false)
        };
        SizeSummary {
            hearsay_replication: h(|f| f.full_replication_s),
            hearsay_wire: h(|f| Some(f.idle_wire_bytes_per_node_s)),
            hearsay_payload: h(|f| Some(f.idle_payload_bytes_per_node_s)),
            hearsay_msgs: h(|f| Some(f.idle_datagrams_per_node_s)),
            hearsay_steady_wire: h(|f| Some(f.steady_wire_bytes_per_node_s)),
            hearsay_steady_payload: h(|f| Some(f.steady_payload_bytes_per_node_s)),
            chitchat_replication: c(|f| f.full_replication_s),
            chitchat_wire: c(|f| Some(chitchat_wire_bytes_per_node_s(f))),
            chitchat_payload: c(|f| Some(f.idle_bytes_per_node_s)),
            chitchat_msgs: c(|f| Some(f.idle_msgs_per_node_s)),
        }
    }
}

fn idle_target_name() -> String {
    format!("hearsay idle bytes at N={IDLE_TARGET_NODES} <= 1/{IDLE_TARGET_FACTOR} of chitchat's")
}

fn median(s: Option<Summary>) -> Option<f64> {
    s.and_then(|s| s.median)
}

fn ratio(h: Option<Summary>, c: Option<Summary>) -> Option<f64> {
    match (median(h), median(c)) {
        (Some(h), Some(c)) if c > 0.0 => Some(h / c),
        _ => None,
    }
}

fn fmt_ratio(h: Option<Summary>, c: Option<Summary>) -> String {
    fmt_ratio_value(ratio(h, c))
}

fn fmt_ratio_value(r: Option<f64>) -> String {
    r.map_or_else(|| "-".into(), |r| format!("{}x", sig3(r)))
}

fn fmt_summary(s: Option<Summary>) -> String {
    let Some(s) = s else {
        return "-".into();
    };
    let one = |x: Option<f64>| x.map_or_else(|| "never".into(), sig3);
    let (median, min, max) = (one(s.median), one(s.min), one(s.max));
    if min == max {
        median
    } else {
        format!("{median} ({min}-{max})")
    }
}

fn fmt_median(s: Option<Summary>) -> String {
    median(s).map_or_else(|| "-".into(), sig3)
}

fn fmt_opt(x: Option<f64>) -> String {
    x.map_or_else(|| "never".into(), |x| format!("{x:.3}"))
}

/// Three significant figures (whole numbers from 100 up).
fn sig3(x: f64) -> String {
    let a = x.abs();
    if a == 0.0 {
        "0".into()
    } else if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else {
        let decimals = (2 - a.log10().floor() as i32).clamp(3, 6) as usize;
        format!("{x:.decimals$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(nodes: u32, seed: u64, h_rep: f64, h_idle: f64, c_rep: Option<f64>) -> StateCell {
        StateCell {
            nodes,
            seed,
            hearsay: HearsayFigures {
                t0_s: Some(5.0),
                full_replication_s: Some(h_rep),
                idle_wire_bytes_per_node_s: h_idle,
                idle_payload_bytes_per_node_s: h_idle / 2.0,
                idle_datagrams_per_node_s: 1.0,
                steady_wire_bytes_per_node_s: h_idle / 4.0,
                steady_payload_bytes_per_node_s: h_idle / 8.0,
                replication_bytes_per_node: 1000.0,
                idle_from_s: h_rep + 0.05,
            },
            chitchat: StateFigures {
                full_replication_s: c_rep,
                idle_bytes_per_node_s: 1000.0,
                idle_msgs_per_node_s: 10.0,
                peak_rss_bytes: None,
                notes: String::new(),
            },
        }
    }

    fn results(cells: Vec<StateCell>) -> StateResults {
        StateResults {
            machine: Machine {
                cores: 2,
                memory_gib: 1.0,
                cpu: "test".into(),
            },
            keys_per_node: 10,
            value_bytes: 16,
            idle_secs: 30,
            steady_settle_secs: 30,
            seeds: vec![1, 2, 3],
            cells,
        }
    }

    #[test]
    fn idle_target_compares_wire_with_wire_and_payload_with_payload() {
        // chitchat: 1000 B payload, 1000 + 28 * 10 = 1280 B wire.
        let met = results(vec![cell(100, 1, 1.0, 60.0, Some(2.0))]);
        let t = targets(&met);
        assert_eq!(t[0].verdict, "met", "{t:?}");
        assert_eq!(t[1].verdict, "met", "{t:?}");
        // 70 B wire is 0.055x of 1280: missed although the payload ratio (0.035x) holds.
        let missed = results(vec![cell(100, 1, 1.0, 70.0, Some(2.0))]);
        assert_eq!(targets(&missed)[0].verdict, "not met");
    }

    #[test]
    fn replication_target_needs_every_size_and_counts_a_chitchat_timeout_as_slower() {
        let one_slow = results(vec![
            cell(10, 1, 1.0, 10.0, Some(2.0)),
            cell(50, 1, 3.0, 10.0, Some(2.0)),
        ]);
        let t = targets(&one_slow);
        assert_eq!(t[0].verdict, "not measured");
        assert_eq!(t[1].verdict, "not met");
        let chitchat_never = results(vec![cell(10, 1, 9.0, 10.0, None)]);
        assert_eq!(targets(&chitchat_never)[1].verdict, "met");
    }

    #[test]
    fn the_table_has_a_row_per_system_and_the_median_with_its_range() {
        let r = results(vec![
            cell(10, 1, 1.0, 10.0, Some(2.0)),
            cell(10, 2, 2.0, 10.0, Some(2.0)),
            cell(10, 3, 3.0, 10.0, Some(2.0)),
        ]);
        let text = render(&r);
        let row = |name: &str| {
            text.lines()
                .find(|l| l.split_whitespace().nth(1) == Some(name))
                .unwrap_or_else(|| panic!("no {name} row in\n{text}"))
                .to_owned()
        };
        assert!(row("hearsay").contains("2.00 (1.00-3.00)"), "{text}");
        assert!(row("chitchat").contains("1280"), "{text}");
        assert!(row("ratio").contains("1.00x"), "{text}");
    }

    #[test]
    fn three_significant_figures() {
        assert_eq!(sig3(1234.4), "1234");
        assert_eq!(sig3(12.34), "12.3");
        assert_eq!(sig3(1.234), "1.23");
        assert_eq!(sig3(0.01234), "0.0123");
        assert_eq!(sig3(0.0), "0");
    }
}
