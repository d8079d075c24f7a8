//! chitchat 0.13's per-node key/value replication, measured on its own in-memory transport.
//!
//! [chitchat](https://crates.io/crates/chitchat) is quickwit's gossip library: every node owns
//! a set of key/value pairs and replicates everyone else's by Scuttlebutt reconciliation
//! (a `Syn` carrying a digest of every node it knows, a `SynAck` with the responder's digest
//! and what the initiator lacks, an `Ack` with what the responder lacks), three random live
//! peers per gossip round. This module runs the scenario hearsay's per-node replicated state
//! will be measured on, with chitchat:
//!
//! ```text
//!   start N nodes ──> every node sees N live ──> t0: every node sets K keys
//!                                                  │
//!        full_replication_s <──────────────────────┘ every node holds every key of every
//!                                                    other node, with the right value
//!   settle (one gossip interval by default) ──> idle window: transport bytes and
//!                                               messages / N / seconds
//! ```
//!
//! **How it runs.** chitchat is async and reads the clock itself, so this is *not* the
//! hearsay simulator: the nodes run in real time on a multi-threaded tokio runtime (one
//! worker per core), inside this process, all connected through chitchat's
//! [`ChannelTransport`] (in-process channels; no socket is opened; the addresses
//! `127.0.0.1:10000 + i` are only names). Figures therefore carry some scheduling noise,
//! and chitchat picks its gossip peers with its own unseeded generator, so two runs with the
//! same seed differ slightly. The seed fixes the values written and the moments the nodes
//! start: node 0 first, the others spread over one gossip interval, so that their rounds
//! are out of phase as in a real cluster (started together, every node's round would tick
//! at the same instant, and news could cross only one hop per round).
//!
//! **How bytes are counted.** With chitchat's own counters: [`ChannelTransport`] serializes
//! every envelope it carries with chitchat's wire format (the one its UDP transport sends)
//! and adds the length to [`Statistics::num_bytes_total`] and one to
//! [`Statistics::num_messages_total`], once per message, at the sender. Those are UDP
//! payload bytes; the foca comparison in `BENCHMARKS.md` adds 28 bytes of IPv4 + UDP header
//! per datagram, and the notes give that figure too. A message counts even if the channel
//! then drops it (chitchat's channels hold 100 messages and drop past that).
//!
//! **Settings.** chitchat 0.13 has no public default configuration (its `Default` exists only
//! in its own tests), so every field of `ChitchatConfig` is set here, to the values of that
//! test `Default`, which are also quickwit's: gossip every 1 s, the default failure detector
//! (`FailureDetectorConfig::default()`), tombstones kept 15 min, protocol V0 (uncompressed
//! digests; chitchat's doc says it must stay V0 until every node can read V1). Every such
//! choice is repeated in [`StateFigures::notes`].

#![allow(clippy::disallowed_methods)] // owns the clock: chitchat runs in real time

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use chitchat::transport::{ChannelTransport, Statistics};
use chitchat::{
    ChitchatConfig, ChitchatHandle, ChitchatId, FailureDetectorConfig, ProtocolVersion,
    spawn_chitchat,
};
use serde::{Deserialize, Serialize};

/// One run: a cluster size and what every node writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateScenario {
    /// Cluster size. At least 2; at most 55,000 (one in-memory port per node).
    pub nodes: usize,
    /// Keys each node sets at t0 (`key-0`, `key-1`, ...). Defaults to 10.
    pub keys_per_node: usize,
    /// Bytes in every value (ASCII letters and digits). Defaults to 16.
    pub value_bytes: usize,
    /// Length of the idle window, seconds. Defaults to 10.
    pub idle_secs: f64,
    /// Fixes the values written (not chitchat's own peer choices). Defaults to 1.
    pub seed: u64,
    /// Longest wait for the membership to converge, and again for full replication, seconds.
    /// Defaults to 120.
    pub timeout_secs: f64,
    /// Wait between full replication and the idle window, seconds: one gossip interval by
    /// default, for the last messages that carried keys to be delivered and answered. 0
    /// starts the window at full replication, as `hearsay-bench state` does for both
    /// systems. At least 0.
    #[serde(default = "default_settle_secs")]
    pub settle_secs: f64,
}

/// [`StateScenario::settle_secs`]'s default: one gossip interval.
fn default_settle_secs() -> f64 {
    GOSSIP_INTERVAL.as_secs_f64()
}

impl StateScenario {
    /// The default scenario at `nodes` nodes: 10 keys of 16 bytes, 10 s idle after 1 s to
    /// settle, seed 1, 120 s timeout.
    pub fn new(nodes: usize) -> Self {
        StateScenario {
            nodes,
            keys_per_node: 10,
            value_bytes: 16,
            idle_secs: 10.0,
            seed: 1,
            timeout_secs: 120.0,
            settle_secs: default_settle_secs(),
        }
    }
}

/// What one run measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateFigures {
    /// Seconds from t0 (just before the first node sets its keys) until every node held
    /// every key of every other node with the right value; `None` if not reached within
    /// the timeout.
    pub full_replication_s: Option<f64>,
    /// Transport bytes (UDP payload, as chitchat counts them) during the idle window, per
    /// node per second.
    pub idle_bytes_per_node_s: f64,
    /// Transport messages during the idle window, per node per second.
    pub idle_msgs_per_node_s: f64,
    /// Peak resident set of this process (`VmHWM`), bytes; `None` where not on Linux. It
    /// covers everything the process did before, so run one scenario per process.
    pub peak_rss_bytes: Option<u64>,
    /// How the run was set up (every setting chosen here rather than by chitchat) and what
    /// else was seen: membership convergence time, message sizes, anything abnormal.
    pub notes: String,
}

/// A scenario with its figures, as written to JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateRun {
    /// What was run.
    pub scenario: StateScenario,
    /// What it measured.
    pub figures: StateFigures,
}

/// chitchat settings that a run may change from the ones described in the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChitchatOptions {
    /// Wire format of digests. Defaults to [`ProtocolVersion::V0`] (uncompressed), chitchat's
    /// own default; [`ProtocolVersion::V1`] compresses them with zstd.
    pub protocol_version: ProtocolVersion,
}

impl Default for ChitchatOptions {
    fn default() -> Self {
        ChitchatOptions {
            protocol_version: ProtocolVersion::V0,
        }
    }
}

/// Runs `s` with chitchat's defaults (see the module docs) and returns its figures.
///
/// Takes about `idle_secs` plus the membership and replication times (a few seconds each)
/// of real time. Builds its own tokio runtime.
///
/// # Panics
///
/// If `s.nodes` is below 2 or above 55,000, or if called from inside a tokio runtime.
pub fn run_chitchat_state(s: &StateScenario) -> StateFigures {
    run_chitchat_state_with(s, ChitchatOptions::default())
}

/// [`run_chitchat_state`] with some chitchat settings changed; the notes say which.
///
/// # Panics
///
/// As [`run_chitchat_state`].
pub fn run_chitchat_state_with(s: &StateScenario, options: ChitchatOptions) -> StateFigures {
    assert!(
        (2..=MAX_NODES).contains(&s.nodes),
        "a chitchat state scenario takes 2 to {MAX_NODES} nodes, not {}",
        s.nodes
    );
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("a tokio runtime can be built");
    let mut figures = runtime.block_on(run(s, options, workers));
    drop(runtime);
    figures.peak_rss_bytes =
        hearsay_sim::peak_rss_mb().map(|mib| (mib * 1024.0 * 1024.0).round() as u64);
    figures
}

/// chitchat's gossip interval: the value of its (test-only) `Default`, and quickwit's.
const GOSSIP_INTERVAL: Duration = Duration::from_secs(1);

/// How long tombstones are kept: chitchat's (test-only) `Default`. Nothing is deleted here.
const MARKED_FOR_DELETION_GRACE_PERIOD: Duration = Duration::from_secs(15 * 60);

/// Largest payload of chitchat's UDP transport (`MAX_UDP_DATAGRAM_PAYLOAD_SIZE`), enforced
/// by the in-memory transport as chitchat's own tests do.
const MTU_BYTES: usize = 65_507;

/// How often the harness looks at every node's state.
const POLL: Duration = Duration::from_millis(10);

/// First in-memory port; node `i` is `127.0.0.1:(FIRST_PORT + i)`.
const FIRST_PORT: u16 = 10_000;

/// Most nodes: ports above [`FIRST_PORT`] must fit in a `u16`.
const MAX_NODES: usize = 55_000;

/// IPv4 + UDP header bytes per datagram, as the foca comparison counts them.
const IP_UDP_HEADER_BYTES: f64 = 28.0;

async fn run(s: &StateScenario, options: ChitchatOptions, workers: usize) -> StateFigures {
    let mut notes = settings_notes(s, options, workers);
    let transport = ChannelTransport::with_mtu(MTU_BYTES);
    let timeout = Duration::from_secs_f64(s.timeout_secs);

    // Nodes start at seeded moments spread over one gossip interval, node 0 (the seed)
    // first, so that their gossip rounds do not all tick at the same instant.
    let first_start = tokio::time::Instant::now();
    let mut slots: Vec<Option<ChitchatHandle>> = (0..s.nodes).map(|_| None).collect();
    for (index, offset) in start_offsets(s.seed, s.nodes) {
        tokio::time::sleep_until(first_start + offset).await;
        let handle = spawn_chitchat(config(index, options), Vec::new(), &transport)
            .await
            .expect("an in-memory port below 65,536 is free");
        slots[index] = Some(handle);
    }
    let handles: Vec<ChitchatHandle> = slots.into_iter().flatten().collect();
    let started = Instant::now();
    match wait_until_all_live(&handles, timeout).await {
        Some(()) => notes.push(format!(
            "every node saw {} live nodes {:.2} s after the last start",
            s.nodes,
            started.elapsed().as_secs_f64()
        )),
        None => notes.push(format!(
            "MEMBERSHIP NOT CONVERGED: not every node saw {} live nodes within {} s; \
             keys were set anyway",
            s.nodes, s.timeout_secs
        )),
    }

    let ids: Vec<ChitchatId> = handles.iter().map(|h| h.chitchat_id().clone()).collect();
    let expected: Vec<Vec<(String, String)>> = (0..s.nodes)
        .map(|owner| {
            (0..s.keys_per_node)
                .map(|k| (key(k), value(s.seed, owner, k, s.value_bytes)))
                .collect()
        })
        .collect();

    let t0 = Instant::now();
    for (handle, kvs) in handles.iter().zip(&expected) {
        handle
            .with_chitchat(|chitchat| {
                let own = chitchat.self_node_state();
                for (k, v) in kvs {
                    own.set(k, v);
                }
            })
            .await;
    }
    let set_s = t0.elapsed().as_secs_f64();
    let full_replication_s = wait_until_replicated(&handles, &ids, &expected, t0, timeout).await;
    notes.push(format!(
        "setting the keys on all nodes one after the other took {:.1} ms after t0",
        set_s * 1e3
    ));
    if full_replication_s.is_none() {
        notes.push(format!(
            "REPLICATION NOT COMPLETE after {} s; the idle window below is not idle",
            s.timeout_secs
        ));
    }

    // Let the messages of the last round that carried keys be delivered and answered.
    tokio::time::sleep(Duration::from_secs_f64(s.settle_secs)).await;
    let before = transport.statistics();
    let idle_started = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(s.idle_secs)).await;
    let after = transport.statistics();
    let idle_s = idle_started.elapsed().as_secs_f64();
    let (bytes, msgs) = difference(before, after);
    let per_node_s = s.nodes as f64 * idle_s;
    let idle_bytes_per_node_s = bytes as f64 / per_node_s;
    let idle_msgs_per_node_s = msgs as f64 / per_node_s;
    notes.push(format!(
        "idle window {idle_s:.2} s (after {} s to settle): {msgs} messages, {:.0} B on \
         average; with 28 B of IPv4 + UDP header each, {:.0} B/node/s",
        s.settle_secs,
        if msgs == 0 {
            0.0
        } else {
            bytes as f64 / msgs as f64
        },
        idle_bytes_per_node_s + IP_UDP_HEADER_BYTES * idle_msgs_per_node_s,
    ));
    if !all_live(&handles).await {
        notes.push("SOME NODE LOST A LIVE PEER during the run".to_owned());
    }

    for handle in handles {
        // A node that already stopped has nothing left to measure.
        let _ = handle.shutdown().await;
    }
    StateFigures {
        full_replication_s,
        idle_bytes_per_node_s,
        idle_msgs_per_node_s,
        peak_rss_bytes: None,
        notes: notes.join("; "),
    }
}

/// The configuration of node `index`; [`settings_notes`] describes it.
fn config(index: usize, options: ChitchatOptions) -> ChitchatConfig {
    let addr = addr(index);
    ChitchatConfig {
        chitchat_id: ChitchatId::new(format!("node-{index}"), 0, addr),
        cluster_id: "hearsay-bench".to_owned(),
        gossip_interval: GOSSIP_INTERVAL,
        listen_addr: addr,
        seed_nodes: vec![self::addr(0).to_string()],
        failure_detector_config: FailureDetectorConfig::default(),
        marked_for_deletion_grace_period: MARKED_FOR_DELETION_GRACE_PERIOD,
        catchup_callback: None,
        extra_liveness_predicate: None,
        protocol_version: options.protocol_version,
    }
}

/// Every setting made here, for [`StateFigures::notes`].
fn settings_notes(s: &StateScenario, options: ChitchatOptions, workers: usize) -> Vec<String> {
    let protocol = match options.protocol_version {
        ProtocolVersion::V0 => "protocol V0 (uncompressed digests, chitchat's default)",
        ProtocolVersion::V1 => "protocol V1 (zstd-compressed digests; NOT chitchat's default V0)",
    };
    vec![
        format!(
            "chitchat 0.13 in real time on a {workers}-worker tokio runtime, in-memory \
             ChannelTransport (MTU {MTU_BYTES} B, chitchat's own byte counters)"
        ),
        format!(
            "ChitchatConfig has no public default, so every field was set to its test \
             Default's value: gossip_interval {} s, FailureDetectorConfig::default(), \
             marked_for_deletion_grace_period {} min, {protocol}, no catch-up callback, \
             no extra liveness predicate",
            GOSSIP_INTERVAL.as_secs_f64(),
            MARKED_FOR_DELETION_GRACE_PERIOD.as_secs() / 60
        ),
        format!(
            "node ids node-0..node-{}, generation 0, all seeded with node 0's address, \
             started at seeded moments within one gossip interval (node 0 first)",
            s.nodes - 1
        ),
        format!(
            "{} keys of {} B per node, polled every {} ms",
            s.keys_per_node,
            s.value_bytes,
            POLL.as_millis()
        ),
    ]
}

/// Waits until every node counts `handles.len()` live nodes (itself included); `None` at
/// the timeout.
async fn wait_until_all_live(handles: &[ChitchatHandle], timeout: Duration) -> Option<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if all_live(handles).await {
            return Some(());
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Whether every node counts every node live.
async fn all_live(handles: &[ChitchatHandle]) -> bool {
    for handle in handles {
        let live = handle
            .with_chitchat(|chitchat| chitchat.live_nodes().count())
            .await;
        if live < handles.len() {
            return false;
        }
    }
    true
}

/// Waits until every node holds `expected[owner]` for every other owner, and returns the
/// seconds since `t0`; `None` at the timeout.
///
/// A pair (observer, owner) once complete is not looked at again: chitchat never moves a
/// replica back to an older version, and nothing is deleted.
async fn wait_until_replicated(
    handles: &[ChitchatHandle],
    ids: &[ChitchatId],
    expected: &[Vec<(String, String)>],
    t0: Instant,
    timeout: Duration,
) -> Option<f64> {
    let deadline = t0 + timeout;
    // For each observer, the owners whose keys it does not hold yet.
    let mut missing: Vec<Vec<usize>> = (0..handles.len())
        .map(|observer| (0..handles.len()).filter(|&o| o != observer).collect())
        .collect();
    loop {
        for (handle, owners) in handles.iter().zip(&mut missing) {
            if owners.is_empty() {
                continue;
            }
            handle
                .with_chitchat(|chitchat| {
                    owners.retain(|&owner| {
                        let Some(state) = chitchat.node_state(&ids[owner]) else {
                            return true;
                        };
                        !expected[owner]
                            .iter()
                            .all(|(k, v)| state.get(k) == Some(v.as_str()))
                    });
                })
                .await;
        }
        let now = Instant::now();
        if missing.iter().all(Vec::is_empty) {
            return Some(now.duration_since(t0).as_secs_f64());
        }
        if now >= deadline {
            return None;
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Bytes and messages between two readings of the transport's counters.
fn difference(before: Statistics, after: Statistics) -> (u64, u64) {
    (
        after.num_bytes_total - before.num_bytes_total,
        after.num_messages_total - before.num_messages_total,
    )
}

/// When each node starts after the first, in order of start: node 0 at once, every other
/// node at a moment drawn from `seed` within one gossip interval.
fn start_offsets(seed: u64, nodes: usize) -> Vec<(usize, Duration)> {
    let mut state = seed;
    let interval_ns = GOSSIP_INTERVAL.as_nanos() as u64;
    let mut offsets: Vec<(usize, Duration)> = (0..nodes)
        .map(|index| {
            let draw = splitmix64(&mut state) % interval_ns;
            let ns = if index == 0 { 0 } else { draw };
            (index, Duration::from_nanos(ns))
        })
        .collect();
    offsets.sort_by_key(|&(index, offset)| (offset, index));
    offsets
}

/// The in-memory address of node `index`.
fn addr(index: usize) -> SocketAddr {
    let port = FIRST_PORT + u16::try_from(index).expect("index checked against MAX_NODES");
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// The name of a node's `k`-th key.
fn key(k: usize) -> String {
    format!("key-{k}")
}

/// The value node `owner` writes under its `k`-th key: `len` letters and digits drawn from
/// `seed`, `owner` and `k`.
fn value(seed: u64, owner: usize, k: usize, len: usize) -> String {
    const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut state = seed ^ (owner as u64).rotate_left(32) ^ (k as u64).wrapping_mul(0x9E37_79B9);
    (0..len)
        .map(|_| char::from(ALPHABET[(splitmix64(&mut state) % 62) as usize]))
        .collect()
}

/// One step of SplitMix64.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_have_the_asked_length_and_differ_by_owner_key_and_seed() {
        let v = value(1, 3, 4, 16);
        assert_eq!(v.len(), 16);
        assert!(v.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(v, value(1, 3, 4, 16));
        assert_ne!(v, value(1, 4, 4, 16));
        assert_ne!(v, value(1, 3, 5, 16));
        assert_ne!(v, value(2, 3, 4, 16));
        assert_eq!(value(1, 0, 0, 0), "");
    }

    #[test]
    fn node_zero_starts_first_and_every_node_within_one_gossip_interval() {
        let offsets = start_offsets(3, 50);
        assert_eq!(offsets[0], (0, Duration::ZERO));
        let mut seen: Vec<usize> = offsets.iter().map(|&(i, _)| i).collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..50).collect::<Vec<_>>());
        assert!(offsets.windows(2).all(|w| w[0].1 <= w[1].1));
        assert!(offsets.iter().all(|&(_, o)| o < GOSSIP_INTERVAL));
        assert_eq!(offsets, start_offsets(3, 50));
        assert_ne!(offsets, start_offsets(4, 50));
    }

    #[test]
    fn keys_and_addresses_follow_the_node_index() {
        assert_eq!(key(9), "key-9");
        assert_eq!(addr(0).to_string(), "127.0.0.1:10000");
        assert_eq!(addr(99).port(), 10_099);
    }

    #[test]
    fn counters_are_subtracted_per_field() {
        let before = Statistics {
            num_bytes_total: 100,
            num_messages_total: 2,
        };
        let after = Statistics {
            num_bytes_total: 350,
            num_messages_total: 7,
        };
        assert_eq!(difference(before, after), (250, 5));
    }
}
