//! `hearsay demo`: a cluster on loopback, shown at work.
//!
//! The first thing a newcomer runs, so it must work out of the box, finish in well under a
//! minute, and show the protocol's real timing rather than a sped-up version of it: N nodes
//! start in this process on real UDP and TCP sockets (127.0.0.1), with the LAN preset unless
//! told otherwise, and go through four phases, each timed and bounded by a deadline:
//!
//! 1. join: every node joins through node 0 until every view holds all N alive;
//! 2. failure: one node is shut down without a word; the others suspect it, then declare it dead;
//! 3. restart: it comes back under the same name on a new port (a new generation);
//! 4. leave: another node leaves gracefully.
//!
//! Times come from the nodes' own records of when each view changed (`MemberView::since` and
//! the member history), not from when the demo happened to look, so they do not depend on the
//! polling interval.
//!
//! The modules: `preset` (flags to node settings), `cluster` (the nodes), `watch` and `feed`
//! (polling every view, gathering events), `screen` (bars and lines), one file per phase
//! (`join`, `detect`, `rejoin`, `leave`), `repair` (telling gossip from anti-entropy),
//! `summary` (the closing tables), `keep` (`--keep-running`) and `clock`.

mod clock;
mod cluster;
mod detect;
mod error;
mod feed;
mod join;
mod keep;
mod leave;
mod preset;
mod rejoin;
mod repair;
mod screen;
mod summary;
mod watch;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;

use cluster::Cluster;
use error::DemoError;
use preset::{Preset, Settings};
use screen::Screen;
use summary::Summary;

/// Start N nodes on loopback sockets and show join, failure detection, rejoin and leave.
///
/// Every node runs in this process on its own port of 127.0.0.1. The defaults show the LAN
/// preset's real timing (probe every 1 s) and finish in about 15 s.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
hearsay demo\n  \
hearsay demo --nodes 64 --loss 0.1\n  \
hearsay demo --preset local --keep-running")]
pub struct DemoArgs {
    /// How many nodes to start (3 to 256).
    #[arg(long, value_name = "N", default_value_t = 32, value_parser = preset::parse_nodes)]
    nodes: usize,
    /// Protocol timing: `lan` (probe every 1 s, the realistic default) or `local` (faster
    /// timeouts for nodes on one host).
    #[arg(long, value_enum, default_value_t = Preset::Lan)]
    preset: Preset,
    /// Fraction of datagrams every node drops on purpose, from 0 up to (not including) 1.
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = preset::parse_loss)]
    loss: f64,
    /// Seed of the nodes' random choices and of the injected loss. Timing on real sockets
    /// still varies from run to run.
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    /// After the summary, keep the cluster running and serve node 0's HTTP API on
    /// --http-addr until Ctrl-C; then every node leaves gracefully.
    #[arg(long)]
    keep_running: bool,
    /// Where node 0's HTTP API listens with --keep-running.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:7947")]
    http_addr: SocketAddr,
    /// No progress bars or phase lines; only the summary (and errors).
    #[arg(long)]
    quiet: bool,
}

/// Runs the demo and returns the process's exit code: 0 when every phase finished within its
/// deadline, 1 otherwise (with the reason on stderr).
pub fn run(args: DemoArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(demo(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn demo(args: DemoArgs) -> Result<(), DemoError> {
    let settings = Settings {
        nodes: args.nodes,
        preset: args.preset,
        loss: args.loss,
        seed: args.seed,
    };
    // Bind the API first: a taken port should fail now, not after the whole demo.
    let http = if args.keep_running {
        Some(keep::bind(args.http_addr).await?)
    } else {
        None
    };
    let mut screen = Screen::new(args.quiet);
    screen.say(&settings.banner());
    let started = clock::now();

    let mut cluster = Cluster::start(&settings).await?;
    let result = phases(&mut cluster, &mut screen, started).await;
    let summary = match result {
        Ok(summary) => summary,
        Err(e) => {
            screen.clear();
            cluster.shutdown().await;
            return Err(e);
        }
    };
    screen.clear();
    summary.print(&settings);

    match http {
        Some(listener) => keep::serve_until_interrupted(cluster, listener).await,
        None => {
            cluster.shutdown().await;
            Ok(())
        }
    }
}

/// The four phases in order; the first that misses its deadline ends the demo.
async fn phases(
    cluster: &mut Cluster,
    screen: &mut Screen,
    started: Instant,
) -> Result<Summary, DemoError> {
    let (victim, leaver) = cluster.settings().pick_victim_and_leaver();
    let join = join::run(cluster, screen, started).await?;
    let detect = detect::run(cluster, screen, victim).await?;
    let rejoin = rejoin::run(cluster, screen, &detect.victim).await?;
    let leave = leave::run(cluster, screen, leaver).await?;
    let wall = started.elapsed();
    let traffic = cluster.traffic(wall).await?;
    Ok(Summary {
        join,
        detect,
        rejoin,
        leave,
        wall,
        traffic,
    })
}
