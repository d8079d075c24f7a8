//! One large user event through a cluster on real loopback sockets: how long until every
//! node has it, and how many copies of the payload each node received.
//!
//! ```text
//! cargo run --release -p hearsay --example big_event -- [NODES] [PAYLOAD_BYTES] [RUNS]
//! ```
//!
//! Defaults: 100 nodes (LAN preset), a 1 MiB payload, 3 runs. Once membership has converged
//! and the broadcast tree has formed (a small warm-up event), node 0 broadcasts the payload
//! and every node's subscription records when it arrived. A payload this large does not fit
//! a datagram: tree links announce it and each node fetches it once, over a stream, from the
//! first node that announced it. Copies are the engine's `user_payloads_in` counter, summed
//! over the receivers. Nothing is asserted: this is a report to read.
#![allow(clippy::disallowed_methods)] // a benchmark owns its clock

use std::time::{Duration, Instant};

use hearsay::{Config, Name, Node, NodeConfig};

const POLL: Duration = Duration::from_millis(50);

async fn start(i: usize, n: usize) -> Result<Node, Box<dyn std::error::Error>> {
    let mut config = NodeConfig::new(Name::new(&format!("node-{i}"))?);
    config.bind = "127.0.0.1:0".parse()?;
    config.protocol = Config {
        rng_seed: i as u64 + 1,
        ..Config::lan(n as u32)
    };
    Ok(Node::start(config).await?)
}

/// Broadcasts `payload` from node 0 and waits until every node delivered it; returns the
/// time from the call to the last delivery.
async fn spread(
    nodes: &[Node],
    name: &str,
    payload: Vec<u8>,
) -> Result<Duration, Box<dyn std::error::Error>> {
    let len = payload.len();
    let mut waiters = Vec::new();
    for node in nodes {
        let mut events = node.subscribe(name);
        waiters.push(tokio::spawn(async move {
            loop {
                match events.next().await {
                    Some(Ok(e)) if e.payload.len() == len => return Some(Instant::now()),
                    Some(_) => continue,
                    None => return None,
                }
            }
        }));
    }
    let t = Instant::now();
    nodes[0].broadcast(name, payload).await?;
    let mut last = t;
    for w in waiters {
        match tokio::time::timeout(Duration::from_secs(60), w).await {
            Ok(Ok(Some(at))) => last = last.max(at),
            _ => return Err("a node never delivered the event within 60 s".into()),
        }
    }
    Ok(last - t)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(Ok(100), |s| s.parse())?;
    let bytes: usize = args.next().map_or(Ok(1 << 20), |s| s.parse())?;
    let runs: usize = args.next().map_or(Ok(3), |s| s.parse())?;
    println!("big_event: {n} nodes, {bytes}-byte payload, {runs} runs");

    let mut nodes = Vec::new();
    for i in 0..n {
        nodes.push(start(i, n).await?);
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
    println!("membership converged in {:.2} s", t.elapsed().as_secs_f64());
    // Tree links open once a second; a small event settles the tree before the measurement.
    tokio::time::sleep(Duration::from_secs(2)).await;
    spread(&nodes, "warm-up", vec![1; 64]).await?;

    let mut times = Vec::new();
    for run in 0..runs {
        let before = copies(&nodes).await?;
        let took = spread(&nodes, &format!("big-{run}"), vec![run as u8; bytes]).await?;
        let got = copies(&nodes).await? - before;
        let per_node = got as f64 / (n - 1) as f64;
        println!(
            "run {run}: all {n} nodes delivered in {:.3} s; {got} payload copies received by {} nodes ({per_node:.2} per node)",
            took.as_secs_f64(),
            n - 1
        );
        times.push(took.as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    println!("median delivery time: {:.3} s", times[times.len() / 2]);
    for node in nodes {
        node.shutdown().await;
    }
    Ok(())
}

/// Payload-carrying user messages received, summed over the nodes.
async fn copies(nodes: &[Node]) -> Result<u64, Box<dyn std::error::Error>> {
    let mut total = 0;
    for node in nodes {
        total += node.info().await?.stats.user_payloads_in;
    }
    Ok(total)
}
