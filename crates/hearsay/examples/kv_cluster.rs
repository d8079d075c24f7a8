//! The cluster-wide map on many nodes in one process, on real loopback sockets: how long after
//! the last write every replica holds the same map, and how long a node that joins afterwards
//! takes to receive all of it.
//!
//! ```text
//! cargo run --release -p hearsay --example kv_cluster -- [NODES] [KEYS] [VALUE_BYTES]
//! ```
//!
//! Defaults: 50 nodes (LAN preset), 100,000 keys of 100 bytes (10 MB). Once membership has
//! converged, the keys are written through the nodes in turn (key `i` through node
//! `i % NODES`, 64 writes in flight), memory only (no data directory: this measures
//! replication, not the disk). Then every node's map root and key count are polled every
//! 50 ms until all agree; then one more node joins and is polled until it holds the whole
//! map. Nothing is asserted: this is a report to read.
#![allow(clippy::disallowed_methods)] // a benchmark owns its clock

use std::time::{Duration, Instant};

use hearsay::{Config, Name, Node, NodeConfig, Value};

const POLL: Duration = Duration::from_millis(50);
const IN_FLIGHT: usize = 64;

async fn start(i: usize, n: usize) -> Result<Node, Box<dyn std::error::Error>> {
    let mut config = NodeConfig::new(Name::new(&format!("node-{i}"))?);
    config.bind = "127.0.0.1:0".parse()?;
    config.protocol = Config {
        rng_seed: i as u64 + 1,
        ..Config::lan(n as u32)
    };
    Ok(Node::start(config).await?)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(Ok(50), |s| s.parse())?;
    let keys: usize = args.next().map_or(Ok(100_000), |s| s.parse())?;
    let value_bytes: usize = args.next().map_or(Ok(100), |s| s.parse())?;
    println!("kv_cluster: {n} nodes, {keys} keys of {value_bytes} bytes");

    let mut nodes = Vec::new();
    for i in 0..n {
        nodes.push(start(i, n + 1).await?);
    }
    let seed = nodes[0].advertise_addr();
    for node in &nodes[1..] {
        node.join(&[seed]).await?;
    }
    let t = Instant::now();
    loop {
        let mut all = true;
        for node in &nodes {
            all &= node.info().await?.states.alive == n;
        }
        if all {
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    println!("membership converged in {:.1} s", t.elapsed().as_secs_f64());

    let value = Value::from(vec![b'x'; value_bytes]);
    let t = Instant::now();
    let mut pending = tokio::task::JoinSet::new();
    for k in 0..keys {
        if pending.len() >= IN_FLIGHT {
            pending.join_next().await.expect("a write task")??;
        }
        let node = nodes[k % n].clone();
        let value = value.clone();
        pending.spawn(async move { node.kv_put(&format!("key-{k:07}"), value).await });
    }
    while let Some(r) = pending.join_next().await {
        r??;
    }
    let last_write = Instant::now();
    println!(
        "wrote {keys} keys in {:.1} s ({:.0} writes/s)",
        t.elapsed().as_secs_f64(),
        keys as f64 / t.elapsed().as_secs_f64()
    );

    let converged = loop {
        let mut roots = Vec::new();
        let mut complete = true;
        for node in &nodes {
            let kv = node.info().await?.kv;
            complete &= kv.keys == keys;
            roots.push(kv.root);
        }
        if complete && roots.windows(2).all(|w| w[0] == w[1]) {
            break last_write.elapsed();
        }
        if last_write.elapsed() > Duration::from_secs(300) {
            println!("not converged after 300 s");
            return Ok(());
        }
        tokio::time::sleep(POLL).await;
    };
    println!(
        "every replica identical {:.2} s after the last write",
        converged.as_secs_f64()
    );
    let mut repair_entries = 0;
    for node in &nodes {
        repair_entries += node.info().await?.stats.store_entries_received;
    }
    println!(
        "entries received in repairs: {repair_entries} ({:.1} per key per node)",
        repair_entries as f64 / keys as f64 / n as f64
    );

    let newcomer = start(n, n + 1).await?;
    let t = Instant::now();
    newcomer.join(&[seed]).await?;
    let root = nodes[0].info().await?.kv.root;
    loop {
        let kv = newcomer.info().await?.kv;
        if kv.keys == keys && kv.root == root {
            break;
        }
        if t.elapsed() > Duration::from_secs(120) {
            println!("the new node holds {} keys after 120 s", kv.keys);
            return Ok(());
        }
        tokio::time::sleep(POLL).await;
    }
    println!(
        "a new node held the whole map {:.2} s after joining",
        t.elapsed().as_secs_f64()
    );
    for node in nodes.iter().chain([&newcomer]) {
        node.shutdown().await;
    }
    Ok(())
}
