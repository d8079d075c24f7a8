//! Durable acknowledged writes through the library API: `Node::kv_put` on a node with a data
//! directory, from concurrent writers, each awaiting its acknowledgement (the write is then
//! fsynced) before the next, as a client request would.
//!
//! ```text
//! cargo run --release -p hearsay --example kv_writes [SECONDS] [WRITERS]
//! ```
//!
//! Defaults: 5 seconds, 16 writers, 100-byte values under distinct keys. Prints acknowledged
//! writes per second, the number of fsyncs (commits of the group committer) and the median and
//! 99th-percentile wait. Compare with `--example durable_writes`, which drives the store
//! without the node in between.
#![allow(clippy::disallowed_methods)] // a benchmark owns its clock

use std::time::{Duration, Instant};

use hearsay::{Config, Name, Node, NodeConfig, Value};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let seconds: f64 = args.next().map_or(Ok(5.0), |s| s.parse())?;
    let writers: usize = args.next().map_or(Ok(16), |s| s.parse())?;
    let run_for = Duration::from_secs_f64(seconds);
    let dir = tempfile::tempdir()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut config = NodeConfig::new(Name::new("writer")?);
        config.bind = "127.0.0.1:0".parse()?;
        config.protocol = Config::local();
        config.data_dir = Some(dir.path().to_owned());
        let node = Node::start(config).await?;
        let started = Instant::now();
        let tasks: Vec<_> = (0..writers)
            .map(|w| {
                let node = node.clone();
                tokio::spawn(async move {
                    let mut waits = Vec::new();
                    let value = Value::from(vec![b'v'; 100]);
                    let mut i = 0u64;
                    while started.elapsed() < run_for {
                        let t = Instant::now();
                        node.kv_put(&format!("w{w:02}/k{i:09}"), value.clone())
                            .await
                            .expect("write failed");
                        waits.push(t.elapsed());
                        i += 1;
                    }
                    waits
                })
            })
            .collect();
        let mut waits = Vec::new();
        for t in tasks {
            waits.extend(t.await?);
        }
        let elapsed = started.elapsed().as_secs_f64();
        waits.sort();
        let info = node.info().await?;
        let durable = info.durable.expect("a data directory was given");
        let writes = waits.len();
        println!("writers:            {writers}");
        println!("acknowledged:       {writes} in {elapsed:.2} s");
        println!("writes/s:           {:.0}", writes as f64 / elapsed);
        println!(
            "fsyncs (commits):   {} ({:.1} writes per fsync)",
            durable.commits,
            durable.entries_written as f64 / durable.commits.max(1) as f64
        );
        println!(
            "wait p50 / p99:     {:.2} / {:.2} ms",
            ms(waits[writes / 2]),
            ms(waits[writes * 99 / 100])
        );
        println!("keys held:          {}", info.kv.keys);
        node.shutdown().await;
        Ok::<_, Box<dyn std::error::Error>>(())
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
