//! A cluster of many nodes in one process on real loopback sockets: how long it takes to
//! converge, whether it then stays quiet, and what a node costs in CPU, memory and traffic.
//!
//! ```text
//! cargo run --release -p hearsay --example loopback_cluster -- --nodes 200 --duration 60
//! ```
//!
//! Every node gets the LAN preset sized for the cluster and joins through node 0. Once every
//! view holds all N alive, the steady state runs for `--duration` seconds while every node's
//! events are counted (a suspicion or a death there is a false alarm: nothing failed), then
//! the report compares the process's CPU time, resident memory and the nodes' counters from
//! before and after. Linux only (it reads `/proc/self`).
//!
//! The figures are those of one process hosting all the nodes, so per-node CPU and memory
//! include a share of the runtime and of the measuring itself. Nothing is asserted: this is a
//! report to read, not a test.
#![allow(clippy::disallowed_methods)] // a benchmark owns its clock

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hearsay::{Config, EventKind, Name, Node, NodeConfig, Stats};

/// How often convergence is checked while joining.
const POLL: Duration = Duration::from_millis(50);
/// How long the join may take before the run is called a failure.
const JOIN_WITHIN: Duration = Duration::from_secs(120);
/// Linux reports `utime` and `stime` in `/proc/self/stat` in units of USER_HZ, which is 100
/// on every architecture Linux supports.
const USER_HZ: f64 = 100.0;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}\nusage: loopback_cluster [--nodes N] [--duration SECONDS]");
            return std::process::ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let n = args.nodes;
    let rss_before = Memory::read()?;
    println!(
        "loopback_cluster: {n} nodes on 127.0.0.1, LAN preset, steady state {} s",
        args.duration.as_secs()
    );

    // Start and join.
    let started = Instant::now();
    let mut nodes = Vec::with_capacity(n);
    for i in 0..n {
        let mut c = NodeConfig::new(Name::new(&format!("node-{i:03}")).expect("short name"));
        c.bind = ([127, 0, 0, 1], 0).into();
        c.protocol = Config {
            rng_seed: i as u64 + 1,
            ..Config::lan(n as u32)
        };
        let node = Node::start(c)
            .await
            .map_err(|e| format!("node-{i:03} could not start: {e}"))?;
        nodes.push(node);
    }
    let seed = nodes[0].advertise_addr();
    for node in &nodes[1..] {
        node.join(&[seed]).await.map_err(|e| e.to_string())?;
    }
    let converged = loop {
        let complete = count_complete(&nodes).await?;
        if complete == n {
            break started.elapsed();
        }
        if started.elapsed() > JOIN_WITHIN {
            return Err(format!(
                "only {complete} of {n} views were complete after {} s",
                JOIN_WITHIN.as_secs()
            ));
        }
        tokio::time::sleep(POLL).await;
    };
    println!(
        "converged     all {n} views hold {n} alive {:.2} s after the first start \
         (checked every {} ms)",
        converged.as_secs_f64(),
        POLL.as_millis()
    );

    // Steady state: count events, and nothing else runs but the nodes.
    let counts = Arc::new(EventCounts::default());
    for node in &nodes {
        let mut events = node.events();
        let counts = counts.clone();
        tokio::spawn(async move {
            while let Some(e) = events.next().await {
                counts.add(e.kind);
            }
        });
    }
    let stats_before = total_stats(&nodes).await?;
    let cpu_before = Cpu::read()?;
    let steady_start = Instant::now();
    tokio::time::sleep(args.duration).await;
    let steady = steady_start.elapsed();
    let cpu_after = Cpu::read()?;
    let stats_after = total_stats(&nodes).await?;
    let memory = Memory::read()?;
    let complete = count_complete(&nodes).await?;

    // Report.
    let secs = steady.as_secs_f64();
    let per_node_s = |x: u64| x as f64 / n as f64 / secs;
    println!(
        "steady state  {secs:.1} s: {} suspect and {} down events, {} other changes; \
         {complete} of {n} views complete at the end{}",
        counts.suspect.load(Ordering::Relaxed),
        counts.down.load(Ordering::Relaxed),
        counts.other.load(Ordering::Relaxed),
        if complete == n && counts.alarms() == 0 {
            " (stable)"
        } else {
            " (NOT stable)"
        }
    );
    let cpu = cpu_after.since(&cpu_before);
    println!(
        "cpu           {:.2} s user + {:.2} s system over {secs:.1} s = {:.1}% of one core; \
         {:.3} ms per node per second",
        cpu.user,
        cpu.system,
        100.0 * cpu.total() / secs,
        1000.0 * cpu.total() / n as f64 / secs
    );
    println!(
        "memory        RSS {:.1} MB (peak {:.1} MB), {:.1} MB before the nodes started: \
         {:.0} kB per node",
        memory.rss_kb as f64 / 1024.0,
        memory.peak_kb as f64 / 1024.0,
        rss_before.rss_kb as f64 / 1024.0,
        memory.rss_kb.saturating_sub(rss_before.rss_kb) as f64 / n as f64
    );
    let d = Delta::between(&stats_before, &stats_after);
    println!(
        "traffic       per node per second: {:.2} datagrams out ({:.0} B), {:.2} in ({:.0} B); \
         streams {:.3} out ({:.1} B)",
        per_node_s(d.datagrams_out),
        per_node_s(d.datagram_bytes_out),
        per_node_s(d.datagrams_in),
        per_node_s(d.datagram_bytes_in),
        per_node_s(d.streams_out),
        per_node_s(d.stream_bytes_out),
    );
    println!(
        "protocol      over the steady state: {} probes, {} probe failures, {} suspicions \
         started, {} death verdicts, {} syncs ({} already in agreement)",
        d.probes, d.probe_failures, d.suspicions, d.deaths, d.syncs, d.syncs_agreeing
    );

    for node in &nodes {
        node.shutdown().await;
    }
    Ok(())
}

/// The example's flags.
struct Args {
    nodes: usize,
    duration: Duration,
}

impl Args {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
        let mut parsed = Args {
            nodes: 200,
            duration: Duration::from_secs(60),
        };
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--nodes" => {
                    let v = value()?;
                    parsed.nodes = v
                        .parse()
                        .ok()
                        .filter(|n| (2..=2000).contains(n))
                        .ok_or_else(|| format!("--nodes {v}: use a count from 2 to 2000"))?;
                }
                "--duration" => {
                    let v = value()?;
                    let secs: u64 = v
                        .parse()
                        .map_err(|_| format!("--duration {v}: use whole seconds, like 60"))?;
                    parsed.duration = Duration::from_secs(secs);
                }
                other => return Err(format!("unknown flag {other}")),
            }
        }
        Ok(parsed)
    }
}

/// How many nodes see every node alive.
async fn count_complete(nodes: &[Node]) -> Result<usize, String> {
    let mut complete = 0;
    for node in nodes {
        let info = node.info().await.map_err(|e| e.to_string())?;
        complete += usize::from(info.states.alive == nodes.len());
    }
    Ok(complete)
}

/// Every node's engine counters, added up.
async fn total_stats(nodes: &[Node]) -> Result<Vec<Stats>, String> {
    let mut all = Vec::with_capacity(nodes.len());
    for node in nodes {
        all.push(node.info().await.map_err(|e| e.to_string())?.stats);
    }
    Ok(all)
}

/// Membership events seen during the steady state, by kind.
#[derive(Default)]
struct EventCounts {
    suspect: AtomicU64,
    down: AtomicU64,
    other: AtomicU64,
}

impl EventCounts {
    fn add(&self, kind: EventKind) {
        let counter = match kind {
            EventKind::Suspect => &self.suspect,
            EventKind::Down => &self.down,
            _ => &self.other,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Suspicions and deaths: false alarms, since nothing failed.
    fn alarms(&self) -> u64 {
        self.suspect.load(Ordering::Relaxed) + self.down.load(Ordering::Relaxed)
    }
}

/// The change of the summed counters between two snapshots.
struct Delta {
    datagrams_out: u64,
    datagram_bytes_out: u64,
    datagrams_in: u64,
    datagram_bytes_in: u64,
    streams_out: u64,
    stream_bytes_out: u64,
    probes: u64,
    probe_failures: u64,
    suspicions: u64,
    deaths: u64,
    syncs: u64,
    syncs_agreeing: u64,
}

impl Delta {
    fn between(before: &[Stats], after: &[Stats]) -> Delta {
        let sum = |f: fn(&Stats) -> u64| -> u64 {
            let a: u64 = after.iter().map(f).sum();
            let b: u64 = before.iter().map(f).sum();
            a.saturating_sub(b)
        };
        Delta {
            datagrams_out: sum(|s| s.datagrams_out),
            datagram_bytes_out: sum(|s| s.datagram_bytes_out),
            datagrams_in: sum(|s| s.datagrams_in),
            datagram_bytes_in: sum(|s| s.datagram_bytes_in),
            streams_out: sum(|s| s.streams_out),
            stream_bytes_out: sum(|s| s.stream_bytes_out),
            probes: sum(|s| s.probes),
            probe_failures: sum(|s| s.probe_failures),
            suspicions: sum(|s| s.suspicions),
            deaths: sum(|s| s.deaths_declared),
            syncs: sum(|s| s.syncs),
            syncs_agreeing: sum(|s| s.syncs_in_agreement),
        }
    }
}

/// The process's CPU time so far, in seconds.
struct Cpu {
    user: f64,
    system: f64,
}

impl Cpu {
    /// Reads `utime` and `stime` (fields 14 and 15) from `/proc/self/stat`.
    fn read() -> Result<Cpu, String> {
        let stat = std::fs::read_to_string("/proc/self/stat")
            .map_err(|e| format!("cannot read /proc/self/stat (Linux only): {e}"))?;
        // The command name (field 2) may hold spaces; the fields after its ')' do not.
        let rest = stat
            .rsplit_once(')')
            .map(|(_, r)| r)
            .ok_or("unexpected /proc/self/stat format")?;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // `rest` starts at field 3 (state), so utime (14) is at index 11.
        let tick = |i: usize| -> Result<f64, String> {
            let v: u64 = fields
                .get(i)
                .and_then(|f| f.parse().ok())
                .ok_or("unexpected /proc/self/stat format")?;
            Ok(v as f64 / USER_HZ)
        };
        Ok(Cpu {
            user: tick(11)?,
            system: tick(12)?,
        })
    }

    fn since(&self, before: &Cpu) -> Cpu {
        Cpu {
            user: self.user - before.user,
            system: self.system - before.system,
        }
    }

    fn total(&self) -> f64 {
        self.user + self.system
    }
}

/// The process's resident memory.
struct Memory {
    rss_kb: u64,
    peak_kb: u64,
}

impl Memory {
    /// Reads `VmRSS` and `VmHWM` from `/proc/self/status`.
    fn read() -> Result<Memory, String> {
        let status = std::fs::read_to_string("/proc/self/status")
            .map_err(|e| format!("cannot read /proc/self/status (Linux only): {e}"))?;
        let field = |name: &str| -> Result<u64, String> {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .ok_or_else(|| format!("no {name} in /proc/self/status"))
        };
        Ok(Memory {
            rss_kb: field("VmRSS:")?,
            peak_kb: field("VmHWM:")?,
        })
    }
}
