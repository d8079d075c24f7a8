//! `hearsay sim`, `hearsay sim sweep` and `hearsay sim state`: flags in, report out.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use hearsay_sim::flags::{ScenarioFlags, parse_count, parse_time};
use hearsay_sim::state_bench::StateBench;
use hearsay_sim::sweep::{SweepOptions, sweep};
use hearsay_sim::{ScenarioError, SimError, Simulation};

/// Exit code for flags that make no sense (as clap uses for its own usage errors).
const USAGE: u8 = 2;

/// Run one simulated scenario and print its figures.
///
/// Durations are written like 300s, 1.5s, 5ms or 2m. Nodes join cold (one by one within
/// the first 5 s, through node 0) unless --preconverged is given.
#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = "Durations are written like 300s, 1.5s, 5ms or 2m. Nodes join cold (each at a \
random time in the first 5 s, through node 0) unless --preconverged is given.\n\n\
Examples:\n  \
hearsay sim --nodes 1000 --duration 60s --seed 1\n  \
hearsay sim --nodes 1000 --duration 60s --seed 1 --preconverged --kill 1@10s --json\n  \
hearsay sim --nodes 20 --duration 60s --seed 1 --preconverged --kv-keys 100000 --kv-writes 50\n  \
hearsay sim --nodes 1000 --duration 70s --seed 1 --preconverged --events 10 --event-senders 1 --event-for 60s\n  \
hearsay sim sweep --seeds 20\n  \
hearsay sim state --nodes 100 --keys 10 --idle 30s"
)]
pub struct SimCommand {
    #[command(subcommand)]
    sub: Option<SimSub>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Subcommand)]
enum SimSub {
    /// Run many small random clusters with faults, checking invariants after every step.
    Sweep(SweepArgs),
    /// Per-node state on a LAN cluster: once views converge, every node sets its keys at
    /// once; prints the time to full replication and the bytes sent while idle afterwards.
    State(StateArgs),
}

#[derive(Debug, Args)]
struct RunArgs {
    /// Cluster size.
    #[arg(long, value_name = "N", required = true)]
    nodes: Option<String>,
    /// Virtual time to simulate, e.g. 300s.
    #[arg(long, value_name = "D", required = true)]
    duration: Option<String>,
    /// Seed of the whole run; the same seed prints the same report.
    #[arg(long, value_name = "S", required = true)]
    seed: Option<String>,
    /// One-way latency range, uniform [default: 1ms..5ms].
    #[arg(long, value_name = "MIN..MAX")]
    latency: Option<String>,
    /// Probability that a datagram is lost, 0 to 1 [default: 0].
    #[arg(long, value_name = "P")]
    loss: Option<String>,
    /// Start all nodes at 0 with full, converged views.
    #[arg(long)]
    preconverged: bool,
    /// At T, a random member publishes new metadata (measures dissemination).
    #[arg(long, value_name = "T")]
    update_at: Option<String>,
    /// Kill COUNT random members at T (repeatable).
    #[arg(long, value_name = "COUNT@T")]
    kill: Vec<String>,
    /// Restart COUNT killed members at T, with a new address and generation (repeatable).
    #[arg(long, value_name = "COUNT@T")]
    restart: Vec<String>,
    /// Pause COUNT random members at T for DUR (repeatable).
    #[arg(long, value_name = "COUNT@T:DUR")]
    pause: Vec<String>,
    /// COUNT members pause for MIN..MAX again and again, 10-60 s apart.
    #[arg(long, value_name = "COUNT:MIN..MAX")]
    pauses: Option<String>,
    /// Cut FRACTION of the nodes off from the rest at T for DUR (repeatable).
    #[arg(long, value_name = "FRACTION@T:DUR")]
    partition: Vec<String>,
    /// Plain SWIM: no local health, no dynamic suspicion.
    #[arg(long)]
    no_lifeguard: bool,
    /// Preload K keys (key-0 ...) into every node's cluster-wide map before it starts.
    #[arg(long, value_name = "K", help_heading = "Cluster-wide map")]
    kv_keys: Option<String>,
    /// Bytes of every map value, preloaded or written [default: 100].
    #[arg(long, value_name = "B", help_heading = "Cluster-wide map")]
    kv_value_bytes: Option<String>,
    /// Map writes per second across the cluster, by random members to random keys (new
    /// keys when --kv-keys is 0).
    #[arg(long, value_name = "RATE", help_heading = "Cluster-wide map")]
    kv_writes: Option<String>,
    /// When writing starts [default: once views have converged; 0 when preconverged].
    #[arg(long, value_name = "T", help_heading = "Cluster-wide map")]
    kv_write_at: Option<String>,
    /// How long writing goes on [default: 10s].
    #[arg(long, value_name = "D", help_heading = "Cluster-wide map")]
    kv_write_for: Option<String>,
    /// Every running node sets K keys of its own per-node state (key-0 ...) at once.
    #[arg(long, value_name = "K", help_heading = "Per-node state")]
    state_keys: Option<String>,
    /// Bytes of each per-node state value [default: 16].
    #[arg(long, value_name = "B", help_heading = "Per-node state")]
    state_value_bytes: Option<String>,
    /// When the nodes set their keys [default: once views have converged].
    #[arg(long, value_name = "T", help_heading = "Per-node state")]
    state_at: Option<String>,
    /// User events per second across the cluster, evenly spaced; reports delivery,
    /// redundancy (RMR), hops (LDH), latency and bytes.
    #[arg(long, value_name = "RATE", help_heading = "User events and queries")]
    events: Option<String>,
    /// Bytes of each event's payload, 8 or more [default: 1024].
    #[arg(long, value_name = "B", help_heading = "User events and queries")]
    event_bytes: Option<String>,
    /// How many members send, taking turns (the first K running; one that dies is
    /// replaced), or `all`: each message from a random running member [default: all].
    #[arg(long, value_name = "K", help_heading = "User events and queries")]
    event_senders: Option<String>,
    /// When sending starts [default: once views have converged; 0 when preconverged].
    #[arg(long, value_name = "T", help_heading = "User events and queries")]
    event_at: Option<String>,
    /// How long sending goes on [default: 10s].
    #[arg(long, value_name = "D", help_heading = "User events and queries")]
    event_for: Option<String>,
    /// How events and queries spread: `tree` (eager push along a broadcast tree, lazy
    /// announcements elsewhere) or `flood` (piggybacked on gossip) [default: tree].
    #[arg(
        long,
        value_name = "tree|flood",
        help_heading = "User events and queries"
    )]
    event_mode: Option<String>,
    /// Queries per second across the cluster, from the same senders; every member answers
    /// at once with a small response.
    #[arg(long, value_name = "RATE", help_heading = "User events and queries")]
    queries: Option<String>,
    /// How long a query's origin waits for answers [default: 5s].
    #[arg(long, value_name = "D", help_heading = "User events and queries")]
    query_timeout: Option<String>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// Also print `trace_hash`, a hash of every message delivered in the run: two runs
    /// with equal hashes behaved identically (used to prove a refactor changed nothing).
    #[arg(long)]
    trace: bool,
}

#[derive(Debug, Args)]
struct SweepArgs {
    /// How many seeds to run.
    #[arg(long, value_name = "K")]
    seeds: String,
    /// Cluster size for every seed [default: drawn per seed, 8 to 40].
    #[arg(long, value_name = "N")]
    nodes: Option<String>,
    /// First seed; the others follow it.
    #[arg(long, value_name = "S", default_value = "1")]
    first_seed: String,
    /// Seeds run in parallel.
    #[arg(long, value_name = "T", default_value = "2")]
    threads: String,
    /// Show each seed's trace hash (every message delivered): equal hashes, identical runs.
    #[arg(long)]
    trace: bool,
}

/// Runs the command and returns the process's exit code.
pub fn run(command: SimCommand) -> ExitCode {
    let result = match command.sub {
        Some(SimSub::Sweep(args)) => run_sweep(&args),
        Some(SimSub::State(args)) => run_state(&args),
        None => run_one(command.run),
    };
    result.unwrap_or_else(|e| {
        eprintln!("error: {e}");
        ExitCode::from(USAGE)
    })
}

fn run_one(args: RunArgs) -> Result<ExitCode, ScenarioError> {
    let flags = ScenarioFlags {
        nodes: args.nodes.unwrap_or_default(),
        duration: args.duration.unwrap_or_default(),
        seed: args.seed.unwrap_or_default(),
        latency: args.latency,
        loss: args.loss,
        preconverged: args.preconverged,
        update_at: args.update_at,
        kill: args.kill,
        restart: args.restart,
        pause: args.pause,
        pauses: args.pauses,
        partition: args.partition,
        no_lifeguard: args.no_lifeguard,
        kv_keys: args.kv_keys,
        kv_value_bytes: args.kv_value_bytes,
        kv_writes: args.kv_writes,
        kv_write_at: args.kv_write_at,
        kv_write_for: args.kv_write_for,
        state_keys: args.state_keys,
        state_value_bytes: args.state_value_bytes,
        state_at: args.state_at,
        events: args.events,
        event_bytes: args.event_bytes,
        event_senders: args.event_senders,
        event_at: args.event_at,
        event_for: args.event_for,
        event_mode: args.event_mode,
        queries: args.queries,
        query_timeout: args.query_timeout,
    };
    let scenario = flags.parse()?;
    let simulation = match Simulation::new(scenario) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(USAGE));
        }
    };
    let mut simulation = simulation;
    if args.trace {
        simulation.record_trace();
    }
    let outcome = simulation.run(&mut ());
    let report = outcome.report;
    let trace = outcome.trace_hash.map(|h| format!("{h:016x}"));
    if args.json {
        let json = match trace {
            None => report.to_json(),
            Some(trace) => {
                let mut value = serde_json::to_value(&report).expect("a report serializes");
                value["trace_hash"] = trace.into();
                value.to_string()
            }
        };
        emit(&format!("{json}\n"));
    } else {
        emit(&report.to_table());
        if let Some(trace) = trace {
            emit(&format!("trace hash: {trace}\n"));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn run_sweep(args: &SweepArgs) -> Result<ExitCode, ScenarioError> {
    let seeds = parse_count("--seeds", &args.seeds)?;
    if seeds == 0 {
        return Err(out_of_range("--seeds", &args.seeds, "1 or more seeds"));
    }
    let nodes = match &args.nodes {
        Some(text) => {
            let n = parse_count("--nodes", text)?;
            if !(2..=10_000).contains(&n) {
                return Err(out_of_range("--nodes", text, "2 to 10000 nodes"));
            }
            Some(n)
        }
        None => None,
    };
    let first_seed =
        args.first_seed
            .trim()
            .parse::<u64>()
            .map_err(|_| ScenarioError::Malformed {
                flag: "--first-seed",
                value: args.first_seed.clone(),
                hint: "is not a seed; use a whole number from 0 to 18446744073709551615".into(),
            })?;
    let threads = parse_count("--threads", &args.threads)?;
    if !(1..=64).contains(&threads) {
        return Err(out_of_range("--threads", &args.threads, "1 to 64 threads"));
    }
    let options = SweepOptions {
        seeds: u64::from(seeds),
        first_seed,
        nodes,
        threads: threads as usize,
        show_trace: args.trace,
    };
    let mut failed = Vec::new();
    let results = sweep(options, |r| {
        emit(&format!("{r}\n"));
        if !r.passed() {
            failed.push(r.seed);
        }
    });
    match results {
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(USAGE))
        }
        Ok(results) => {
            let passed = results.iter().filter(|r| r.passed()).count();
            emit(&format!(
                "{passed} passed, {} failed\n",
                results.len() - passed
            ));
            if failed.is_empty() {
                Ok(ExitCode::SUCCESS)
            } else {
                Ok(ExitCode::FAILURE)
            }
        }
    }
}

#[derive(Debug, Args)]
struct StateArgs {
    /// Cluster size.
    #[arg(long, value_name = "N")]
    nodes: String,
    /// Keys each node sets.
    #[arg(long, value_name = "K", default_value = "10")]
    keys: String,
    /// Bytes of each value.
    #[arg(long, value_name = "B", default_value = "16")]
    value_bytes: String,
    /// Length of the idle window that follows full replication.
    #[arg(long, value_name = "D", default_value = "30s")]
    idle: String,
    /// Wait this long after full replication before the idle window.
    #[arg(long, value_name = "D", default_value = "0s")]
    settle: String,
    /// Start every node at 0 with a converged view instead of a cold join.
    #[arg(long)]
    preconverged: bool,
    /// Seed of the run.
    #[arg(long, value_name = "S", default_value = "1")]
    seed: String,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

fn run_state(args: &StateArgs) -> Result<ExitCode, ScenarioError> {
    let nodes = parse_count("--nodes", &args.nodes)?;
    if !(1..=10_000).contains(&nodes) {
        return Err(out_of_range("--nodes", &args.nodes, "1 to 10000 nodes"));
    }
    let keys = parse_count("--keys", &args.keys)?;
    let value_bytes = parse_count("--value-bytes", &args.value_bytes)?;
    let idle = parse_time("--idle", &args.idle)?;
    if idle.is_zero() {
        return Err(out_of_range(
            "--idle",
            &args.idle,
            "a positive duration such as 30s",
        ));
    }
    let seed = args
        .seed
        .trim()
        .parse::<u64>()
        .map_err(|_| ScenarioError::Malformed {
            flag: "--seed",
            value: args.seed.clone(),
            hint: "is not a seed; use a whole number from 0 to 18446744073709551615".into(),
        })?;
    let mut bench = StateBench::new(nodes, keys, value_bytes, idle, seed);
    bench.settle = parse_time("--settle", &args.settle)?;
    bench.preconverged = args.preconverged;
    let run = match bench.run() {
        Ok(run) => run,
        Err(SimError::Scenario(e)) => return Err(e),
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(USAGE));
        }
    };
    if args.json {
        emit(&format!(
            "{}\n",
            serde_json::to_string(&run).expect("figures serialize")
        ));
    } else {
        emit(&run.to_table());
    }
    Ok(ExitCode::SUCCESS)
}

fn out_of_range(flag: &'static str, value: &str, range: &str) -> ScenarioError {
    ScenarioError::OutOfRange {
        flag,
        value: value.to_string(),
        range: range.to_string(),
    }
}

/// Writes to stdout; if the reader has gone away (`hearsay sim sweep ... | head`), stops
/// quietly instead of panicking.
fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    if out
        .write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .is_err()
    {
        std::process::exit(0);
    }
}
