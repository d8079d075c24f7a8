//! The thin CLI: commands that talk to a running agent over its HTTP API.

use std::process::ExitCode;

use clap::Subcommand;

/// Commands that talk to a running agent.
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Show the agent's view of the cluster.
    Members,
}

/// Runs one client command.
pub fn run(command: ClientCommand) -> ExitCode {
    let _ = command;
    eprintln!("error: not implemented yet");
    ExitCode::from(1)
}
