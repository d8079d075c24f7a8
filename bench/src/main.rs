//! `hearsay-bench`: hearsay beside foca on the simulator's network.
//!
//! `compare` runs the whole comparison, prints one table, and writes the results and
//! charts; `run` runs one cell and prints its figures as JSON (`compare` runs every cell
//! in a child process of its own, so that peak memory belongs to one run).
//! `chitchat-state` measures chitchat 0.13's per-node key/value replication on its own
//! in-memory transport, in real time, one cluster size per child process. `state` puts
//! hearsay's per-node state (in the simulator) beside chitchat's, sizes by seeds. `events`
//! puts hearsay's user events (broadcast-tree mode) beside iroh-gossip 0.101's.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use hearsay_bench::cell::Cell;
use hearsay_bench::chitchat_state::{
    ChitchatOptions, StateRun, StateScenario, run_chitchat_state_with,
};
use hearsay_bench::compare::{self, Options};
use hearsay_bench::events::{self, EventResults};
use hearsay_bench::plan::Plan;
use hearsay_bench::plots::{write_event_plots, write_plots};
use hearsay_bench::state::{self, StateOptions, run_chitchat_child};
use hearsay_bench::table::render;

#[derive(Parser)]
#[command(
    name = "hearsay-bench",
    about = "hearsay beside foca, on one simulated network"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every scenario for both systems and print one table with both figures and
    /// their ratio; write results.json and the charts into --out.
    Compare {
        /// Small clusters and short runs: checks the whole pipeline in seconds.
        #[arg(long)]
        quick: bool,
        /// Seeds per cell (1, 2, ... N).
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=100))]
        seeds: u64,
        /// Runs at once (each is one child process); defaults to the number of cores.
        #[arg(long)]
        jobs: Option<usize>,
        /// Where results.json and the charts go.
        #[arg(long, default_value = "docs/bench")]
        out: PathBuf,
        /// Do not run anything: print the table and redraw the charts from this
        /// results.json.
        #[arg(long, value_name = "RESULTS_JSON")]
        from: Option<PathBuf>,
    },
    /// User events, hearsay (tree mode) beside iroh-gossip 0.101: one sender and random
    /// senders, no fault, 5% loss and half the members killed, 1 KiB events at 10/s for 60 s;
    /// prints a Markdown table of medians over the seeds and writes events_results.json
    /// and the charts events_delivery and events_copies into --out.
    Events {
        /// Cluster sizes, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "100,1000",
              value_parser = clap::value_parser!(u32).range(2..=10_000))]
        nodes: Vec<u32>,
        /// Seeds, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "1,2,3")]
        seeds: Vec<u64>,
        /// Runs at once (threads); defaults to the number of cores.
        #[arg(long)]
        jobs: Option<usize>,
        /// Where events_results.json and the charts go.
        #[arg(long, default_value = "docs/bench")]
        out: PathBuf,
        /// Do not run anything: print the table and redraw the charts from this
        /// events_results.json.
        #[arg(long, value_name = "EVENTS_RESULTS_JSON")]
        from: Option<PathBuf>,
    },
    /// Run one cell and print its figures as one line of JSON.
    Run {
        /// The cell, as JSON (what `compare` passes its children), for example
        /// '{"system":"foca","kind":"join","limit_s":300,"nodes":100,"seed":1}'.
        cell: String,
    },
    /// chitchat 0.13 alone: per-node key/value replication time and idle traffic, in real
    /// time on chitchat's in-memory transport; one line per cluster size.
    ChitchatState {
        /// Cluster sizes, comma-separated; each runs in a child process of its own.
        #[arg(long, value_delimiter = ',', default_value = "10,50,100",
              value_parser = clap::value_parser!(u64).range(2..=55_000))]
        nodes: Vec<u64>,
        /// Keys each node sets (key-0, key-1, ...).
        #[arg(long, default_value_t = 10)]
        keys: usize,
        /// Bytes in every value.
        #[arg(long, default_value_t = 16)]
        value_bytes: usize,
        /// Length of the idle window, seconds.
        #[arg(long, default_value_t = 10.0)]
        idle_secs: f64,
        /// Fixes the values written and the moments the nodes start (chitchat picks its
        /// peers with its own generator).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Longest wait for membership, and again for replication, seconds.
        #[arg(long, default_value_t = 120.0)]
        timeout_secs: f64,
        /// Wait between full replication and the idle window, seconds.
        #[arg(long, default_value_t = 1.0)]
        settle_secs: f64,
        /// Compress digests (chitchat's protocol V1) instead of its default V0.
        #[arg(long)]
        compressed_digest: bool,
        /// Also write every scenario and its figures here, as JSON.
        #[arg(long, value_name = "PATH")]
        json: Option<PathBuf>,
        /// Run the one size given in this process and print its figures as one line of JSON
        /// (what the parent asks of each child).
        #[arg(long, hide = true)]
        figures_only: bool,
    },
    /// Per-node state, hearsay (simulator, virtual time) beside chitchat 0.13 (real time,
    /// in-memory transport): every node sets its keys, time to full replication, then idle
    /// bytes from full replication on; medians over the seeds, ratios, targets. Writes
    /// state_results.json into --out.
    State {
        /// Cluster sizes, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "10,50,100",
              value_parser = clap::value_parser!(u32).range(2..=55_000))]
        nodes: Vec<u32>,
        /// Seeds, comma-separated; every size runs once per seed and system.
        #[arg(long, value_delimiter = ',', default_value = "1,2,3")]
        seeds: Vec<u64>,
        /// Keys each node sets (key-0, key-1, ...).
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
        keys: u32,
        /// Bytes in every value.
        #[arg(long, default_value_t = 16)]
        value_bytes: u32,
        /// Length of the idle window, seconds; it starts at full replication for both.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
        idle_secs: u64,
        /// Time from full replication to hearsay's steady idle window, seconds.
        #[arg(long, default_value_t = 30)]
        steady_settle_secs: u64,
        /// chitchat's longest wait for membership, and again for replication, seconds.
        #[arg(long, default_value_t = 120.0)]
        timeout_secs: f64,
        /// Where state_results.json goes.
        #[arg(long, default_value = "docs/bench")]
        out: PathBuf,
        /// Also write the results here, as JSON.
        #[arg(long, value_name = "PATH")]
        json: Option<PathBuf>,
        /// Do not run anything: print the table from this state_results.json.
        #[arg(long, value_name = "STATE_RESULTS_JSON")]
        from: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Run { cell } => run_one(&cell),
        Command::ChitchatState {
            nodes,
            keys,
            value_bytes,
            idle_secs,
            seed,
            timeout_secs,
            settle_secs,
            compressed_digest,
            json,
            figures_only,
        } => {
            if !(idle_secs > 0.0 && timeout_secs > 0.0 && settle_secs >= 0.0) {
                eprintln!(
                    "error: --idle-secs and --timeout-secs must be positive, --settle-secs \
                     at least 0"
                );
                return ExitCode::from(2);
            }
            let scenarios: Vec<StateScenario> = nodes
                .iter()
                .map(|&n| StateScenario {
                    nodes: n as usize,
                    keys_per_node: keys,
                    value_bytes,
                    idle_secs,
                    seed,
                    timeout_secs,
                    settle_secs,
                })
                .collect();
            let options = ChitchatOptions {
                protocol_version: if compressed_digest {
                    chitchat::ProtocolVersion::V1
                } else {
                    chitchat::ProtocolVersion::V0
                },
            };
            let result = if figures_only {
                chitchat_state_child(&scenarios, options)
            } else {
                chitchat_state(&scenarios, compressed_digest, json.as_deref())
            };
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::State {
            nodes,
            seeds,
            keys,
            value_bytes,
            idle_secs,
            steady_settle_secs,
            timeout_secs,
            out,
            json,
            from,
        } => {
            if timeout_secs.is_nan() || timeout_secs <= 0.0 || seeds.is_empty() {
                eprintln!("error: --timeout-secs must be positive and --seeds not empty");
                return ExitCode::from(2);
            }
            let options = StateOptions {
                nodes,
                seeds,
                keys_per_node: keys,
                value_bytes,
                idle_secs,
                steady_settle_secs,
                timeout_secs,
                exe: PathBuf::new(),
            };
            match run_state(options, &out, json.as_deref(), from.as_deref()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Events {
            nodes,
            seeds,
            jobs,
            out,
            from,
        } => {
            let jobs =
                jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
            match run_events(&nodes, &seeds, jobs, &out, from.as_deref()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Compare {
            quick,
            seeds,
            jobs,
            out,
            from,
        } => {
            let plan = if quick { Plan::quick() } else { Plan::full() };
            let jobs =
                jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
            match run_compare(plan, seeds, jobs, &out, from) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

fn run_compare(
    plan: Plan,
    seeds: u64,
    jobs: usize,
    out: &std::path::Path,
    from: Option<PathBuf>,
) -> Result<(), Box<dyn std::error::Error>> {
    let results = match from {
        Some(path) => compare::load(&path)?,
        None => {
            let exe = std::env::current_exe()
                .map_err(|e| format!("cannot find this executable to run cells: {e}"))?;
            let options = Options {
                plan,
                seeds: (1..=seeds).collect(),
                jobs,
                exe,
            };
            let results = compare::run(&options)?;
            compare::save(&results, &out.join("results.json"))?;
            results
        }
    };
    print!("{}", render(&results));
    let m = &results.machine;
    println!(
        "\n{} seeds; medians with (min-max); ratio = hearsay / foca of the medians. \
         Machine: {} cores, {:.0} GiB, {}.",
        results.seeds.len(),
        m.cores,
        m.memory_gib,
        m.cpu
    );
    let written = write_plots(&results, out)?;
    for path in written {
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// Runs (or, with `from`, reads) the user-event comparison, writes its JSON and charts,
/// prints its table.
#[allow(clippy::disallowed_methods)] // the comparison's own wall time
fn run_events(
    nodes: &[u32],
    seeds: &[u64],
    jobs: usize,
    out: &Path,
    from: Option<&Path>,
) -> Result<(), Box<dyn std::error::Error>> {
    let results = match from {
        Some(path) => events::load(path)?,
        None => {
            if seeds.is_empty() {
                return Err("--seeds must not be empty".into());
            }
            let started = std::time::Instant::now();
            let runs = events::run(events::cells(nodes, seeds), jobs)?;
            let results = EventResults {
                seeds: seeds.to_vec(),
                wall_s: started.elapsed().as_secs_f64(),
                runs,
            };
            let path = out.join("events_results.json");
            events::save(&results, &path)?;
            eprintln!("wrote {}", path.display());
            results
        }
    };
    print!("{}", events::render(&results));
    println!(
        "\n{} seeds; medians. Whole comparison: {:.0} s of wall time with {jobs} jobs.",
        results.seeds.len(),
        results.wall_s
    );
    for path in write_event_plots(&results, out)? {
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// Runs (or, with `from`, reads) a state comparison, writes its JSON and prints its table.
fn run_state(
    mut options: StateOptions,
    out: &Path,
    json: Option<&Path>,
    from: Option<&Path>,
) -> Result<(), Box<dyn std::error::Error>> {
    let results = match from {
        Some(path) => state::load(path)?,
        None => {
            options.exe = std::env::current_exe()
                .map_err(|e| format!("cannot find this executable to run chitchat: {e}"))?;
            let results = state::run(&options, |line| eprintln!("{line}"))?;
            let path = out.join("state_results.json");
            state::save(&results, &path)?;
            eprintln!("wrote {}", path.display());
            results
        }
    };
    if let Some(path) = json {
        state::save(&results, path)?;
        eprintln!("wrote {}", path.display());
    }
    print!("{}", state::render(&results));
    Ok(())
}

fn run_one(cell: &str) -> ExitCode {
    let cell: Cell = match serde_json::from_str(cell) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: bad cell {cell:?}: {e}; see `hearsay-bench run --help`");
            return ExitCode::from(2);
        }
    };
    match cell.run() {
        Ok(figures) => {
            println!(
                "{}",
                serde_json::to_string(&figures).expect("figures serialize")
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Runs each scenario in a child process (so that peak memory is that run's own), prints
/// one line per cluster size as it completes, the notes after them, and writes the JSON.
fn chitchat_state(
    scenarios: &[StateScenario],
    compressed_digest: bool,
    json: Option<&Path>,
) -> Result<(), Box<dyn std::error::Error>> {
    let exe = std::env::current_exe()
        .map_err(|e| format!("cannot find this executable to run each size: {e}"))?;
    if let Some(first) = scenarios.first() {
        println!(
            "chitchat 0.13, in-memory transport, real time: {} keys/node of {} B, {} s idle, \
             seed {}{}",
            first.keys_per_node,
            first.value_bytes,
            first.idle_secs,
            first.seed,
            if compressed_digest {
                ", compressed digests (V1)"
            } else {
                ""
            }
        );
    }
    println!(
        "{:>6}  {:>18}  {:>13}  {:>16}  {:>12}",
        "N", "full_replication_s", "idle B/node/s", "idle msgs/node/s", "peak RSS MiB"
    );
    let mut runs = Vec::with_capacity(scenarios.len());
    for s in scenarios {
        let figures = run_chitchat_child(&exe, s, compressed_digest).map_err(|why| {
            format!(
                "the run at N = {}: {why}; rerun it alone with \
                 `hearsay-bench chitchat-state --nodes {}` to see why",
                s.nodes, s.nodes
            )
        })?;
        println!(
            "{:>6}  {:>18}  {:>13.0}  {:>16.2}  {:>12}",
            s.nodes,
            figures
                .full_replication_s
                .map_or_else(|| format!(">{}", s.timeout_secs), |t| format!("{t:.3}")),
            figures.idle_bytes_per_node_s,
            figures.idle_msgs_per_node_s,
            figures.peak_rss_bytes.map_or_else(
                || "-".to_owned(),
                |b| format!("{:.1}", b as f64 / (1024.0 * 1024.0))
            ),
        );
        std::io::stdout().flush()?;
        runs.push(StateRun {
            scenario: s.clone(),
            figures,
        });
    }
    for run in &runs {
        println!("\nN = {}: {}", run.scenario.nodes, run.figures.notes);
    }
    if let Some(path) = json {
        let text = serde_json::to_string_pretty(&runs)?;
        std::fs::write(path, text + "\n")
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// The child's part: run the one scenario here and print its figures as one JSON line.
fn chitchat_state_child(
    scenarios: &[StateScenario],
    options: ChitchatOptions,
) -> Result<(), Box<dyn std::error::Error>> {
    let [s] = scenarios else {
        return Err("--figures-only runs exactly one size: give one --nodes".into());
    };
    let figures = run_chitchat_state_with(s, options);
    println!("{}", serde_json::to_string(&figures)?);
    Ok(())
}
