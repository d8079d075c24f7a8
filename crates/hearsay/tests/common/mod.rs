//! Helpers shared by the runtime's socket tests: nodes on loopback with fast timers.

#![allow(dead_code)] // each test file uses a subset

use std::time::Duration;

use hearsay::{Config, Event, EventKind, Faults, Name, Node, NodeConfig, State};

/// A node called `name` on a free loopback port, with the `local` preset and `faults`.
pub async fn start(name: &str, seed: u64, faults: Faults) -> Node {
    Node::start(config(name, seed, faults)).await.unwrap()
}

/// The configuration [`start`] uses, to adjust before starting.
pub fn config(name: &str, seed: u64, faults: Faults) -> NodeConfig {
    let mut c = NodeConfig::new(Name::new(name).unwrap());
    c.bind = "127.0.0.1:0".parse().unwrap();
    c.protocol = Config {
        rng_seed: seed,
        ..Config::local()
    };
    c.faults = faults;
    c
}

/// Starts `n` nodes and joins them all through the first; returns once every node sees all
/// `n` alive (or panics after `within`).
pub async fn cluster(n: usize, faults: impl Fn(u64) -> Faults, within: Duration) -> Vec<Node> {
    let mut nodes = Vec::new();
    for i in 0..n {
        nodes.push(start(&format!("node-{i}"), i as u64 + 1, faults(i as u64)).await);
    }
    let seed = nodes[0].advertise_addr();
    for node in &nodes[1..] {
        node.join(&[seed]).await.unwrap();
    }
    wait_until(within, || async {
        for node in &nodes {
            let alive = node
                .members()
                .await
                .unwrap()
                .iter()
                .filter(|m| m.member.state == State::Alive)
                .count();
            if alive != n {
                return false;
            }
        }
        true
    })
    .await
    .expect("the cluster did not converge");
    nodes
}

/// Polls `condition` every 20 ms until it holds; `Err` after `within`.
pub async fn wait_until<F, Fut>(within: Duration, mut condition: F) -> Result<(), ()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if condition().await {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits for the first event of `kind` about `name`.
pub async fn next_event(
    events: &mut hearsay::Events,
    kind: EventKind,
    name: &str,
    within: Duration,
) -> Option<Event> {
    tokio::time::timeout(within, async {
        loop {
            let e = events.next().await?;
            if e.kind == kind && e.member.name.as_str() == name {
                return Some(e);
            }
        }
    })
    .await
    .ok()
    .flatten()
}
