//! Durable write throughput with concurrent writers: how many acknowledged (fsynced) writes per
//! second the group committer sustains, and what each writer waits.
//!
//! ```text
//! cargo run --release -p hearsay --example durable_writes [SECONDS] [WRITERS] [LINGER_US]
//! ```
//!
//! Defaults: 5 seconds, 16 writers, the store's default `commit_linger`. Each writer is a task on a tokio multi-thread runtime that
//! writes one entry (a distinct key, a 100-byte value) and awaits its acknowledgement before
//! writing the next, as a client request would. The store lives in a temporary directory
//! (`TMPDIR` to choose the disk). At the end the store is closed and reopened, which times the
//! integrity check and load at start-up for the entries just written.
//!
//! A writer that awaits each write cannot go faster than one write per commit, and a commit
//! ends with an `fsync`, so the run starts by timing bare `fdatasync`s of one fresh 4 KiB page
//! in the same directory: on a shared virtual disk that latency swings by ten times or more
//! from one minute to the next, and the throughput with it. (A commit of 16 small entries
//! writes some 30 pages before its `fsync`: B-tree leaves, branches and redb's page lists.)
#![allow(clippy::disallowed_methods)] // a benchmark owns its clock

use std::time::{Duration, Instant};

use std::fs::File;
use std::os::unix::fs::FileExt;

use hearsay::durable::{DurableStore, StoreConfig, StoredEntry};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let seconds: f64 = args.next().map_or(Ok(5.0), |s| s.parse())?;
    let writers: usize = args.next().map_or(Ok(16), |s| s.parse())?;
    let mut config = StoreConfig::default();
    if let Some(linger) = args.next() {
        config.commit_linger = Duration::from_micros(linger.parse()?);
    }
    let run_for = Duration::from_secs_f64(seconds);

    let dir = tempfile::tempdir()?;
    let fsync = fsync_p50(dir.path())?;
    let (store, _) = DurableStore::open_with(dir.path(), &config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;

    let started = Instant::now();
    let mut latencies: Vec<Duration> = runtime.block_on(async {
        let tasks: Vec<_> = (0..writers)
            .map(|w| {
                let writer = store.writer();
                tokio::spawn(async move {
                    let mut latencies = Vec::new();
                    let name = format!("bench-{w}");
                    let mut i = 0u64;
                    while started.elapsed() < run_for {
                        let key = format!("w{w:02}-{i:010}");
                        let entry = StoredEntry::new(key, i << 16, name.clone(), [b'x'; 100]);
                        let sent = Instant::now();
                        writer.write(vec![entry]).await.expect("durable write");
                        latencies.push(sent.elapsed());
                        i += 1;
                    }
                    latencies
                })
            })
            .collect();
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.expect("writer task"));
        }
        all
    });
    let elapsed = started.elapsed();
    let stats = store.stats();

    let closing = Instant::now();
    store.close()?;
    let closed_in = closing.elapsed();
    let file_bytes = std::fs::metadata(dir.path().join(hearsay::durable::STORE_FILE))?.len();
    let opening = Instant::now();
    let (store, loaded) = DurableStore::open(dir.path())?;
    let opened_in = opening.elapsed();
    store.close()?;

    latencies.sort_unstable();
    let acked = latencies.len();
    let pct = |p: f64| latencies[((acked as f64 * p) as usize).min(acked - 1)];
    println!(
        "durable_writes: {writers} writers, 100-byte values, {:.1} s, commit_linger {} µs",
        elapsed.as_secs_f64(),
        config.commit_linger.as_micros()
    );
    println!(
        "  disk              bare fdatasync of one 4 KiB page: p50 {:.2} ms",
        ms(fsync)
    );
    println!(
        "  acked writes      {acked} ({:.0} writes/s)",
        acked as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  commits (fsyncs)  {} ({:.0}/s), mean batch {:.1} entries, largest {}",
        stats.commits,
        stats.commits as f64 / elapsed.as_secs_f64(),
        stats.mean_batch(),
        stats.largest_batch
    );
    println!(
        "  ack latency       p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(pct(0.50)),
        ms(pct(0.99)),
        ms(latencies[acked - 1])
    );
    println!("  commit errors     {}", stats.commit_errors);
    println!(
        "  close {:.1} ms; reopen (integrity check + load) of {} entries, {:.1} MiB file: {:.1} ms",
        ms(closed_in),
        loaded.len(),
        file_bytes as f64 / (1024.0 * 1024.0),
        ms(opened_in)
    );
    assert_eq!(
        loaded.len(),
        acked,
        "every acknowledged write is in the reopened store"
    );
    Ok(())
}

/// The median time of `fdatasync` after rewriting one 4 KiB page with fresh bytes (the disk
/// may skip writes of unchanged bytes, which would flatter it).
fn fsync_p50(dir: &std::path::Path) -> std::io::Result<Duration> {
    let file = File::create(dir.join("fsync-probe"))?;
    file.set_len(1 << 20)?;
    file.sync_all()?;
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut times = Vec::new();
    for i in 0..100u64 {
        let page: Vec<u8> = (0..4096)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        file.write_all_at(&page, (i % 256) * 4096)?;
        let started = Instant::now();
        file.sync_data()?;
        times.push(started.elapsed());
    }
    std::fs::remove_file(dir.join("fsync-probe"))?;
    times.sort_unstable();
    Ok(times[times.len() / 2])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
