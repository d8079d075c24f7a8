//! The runtime's socket tests' nodes: named, seeded, with injected faults, on loopback with
//! fast timers. Waiting and events come from `hearsay-test-support`.

#![allow(dead_code)] // each test file uses a subset

use std::time::Duration;

use hearsay::{Faults, Node, NodeConfig};
use hearsay_test_support::nodes::{join_through_first, loopback_config};

/// A node called `name` on a free loopback port, with the `local` preset and `faults`.
pub async fn start(name: &str, seed: u64, faults: Faults) -> Node {
    Node::start(config(name, seed, faults)).await.unwrap()
}

/// The configuration [`start`] uses, to adjust before starting.
pub fn config(name: &str, seed: u64, faults: Faults) -> NodeConfig {
    let mut c = loopback_config(name);
    c.protocol.rng_seed = seed;
    c.faults = faults;
    c
}

/// Starts `n` nodes (`node-0`, `node-1`, ...) and joins them all through the first; returns
/// once every node sees all `n` alive (or panics after `within`).
pub async fn cluster(n: usize, faults: impl Fn(u64) -> Faults, within: Duration) -> Vec<Node> {
    let mut nodes = Vec::new();
    for i in 0..n {
        nodes.push(start(&format!("node-{i}"), i as u64 + 1, faults(i as u64)).await);
    }
    join_through_first(&nodes, within).await;
    nodes
}
