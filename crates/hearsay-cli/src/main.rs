//! The `hearsay` command. Parsing and printing only; the work is in the library crates.

mod sim;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// hearsay: cluster membership and failure detection by gossip (SWIM + Lifeguard).
///
/// `hearsay sim` runs many real protocol engines on a simulated network, deterministically
/// from a seed, and reports how fast views converge, how fast news and failures spread,
/// how often a live member is wrongly declared dead, and what it costs on the wire.
#[derive(Debug, Parser)]
#[command(name = "hearsay", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Simulate a cluster on a modelled network (or sweep seeds with invariant checks).
    Sim(sim::SimCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Sim(command) => sim::run(command),
    }
}
