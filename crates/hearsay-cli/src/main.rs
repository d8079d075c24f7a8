//! The `hearsay` command. Parsing and printing only; the work is in the library crates.

mod agent;
mod client;
mod demo;
mod sim;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// hearsay: cluster membership and failure detection by gossip (SWIM + Lifeguard).
///
/// `hearsay demo` runs a cluster on this machine's loopback and shows it at work.
/// `hearsay agent` runs a node; `members`, `member`, `join`, `leave`, `monitor`, `info`, `kv`,
/// `state`, `event` and `query` talk to a running agent over its HTTP API. `hearsay sim` runs many real protocol engines on a
/// simulated network, deterministically from a seed, and reports what happened.
#[derive(Debug, Parser)]
#[command(name = "hearsay", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process
enum Command {
    /// Start N nodes on loopback, kill, restart and remove some, and time what happens.
    Demo(demo::DemoArgs),
    /// Run a node: join a cluster, serve the HTTP API, persist state in a data directory.
    Agent(agent::AgentArgs),
    #[command(flatten)]
    Client(client::ClientCommand),
    /// Simulate a cluster on a modelled network (or sweep seeds with invariant checks).
    Sim(sim::SimCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Agent(args) => agent::run(args),
        Command::Client(command) => client::run(command),
        Command::Sim(command) => sim::run(command),
    }
}
