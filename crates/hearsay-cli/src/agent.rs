//! `hearsay agent`: flags in, [`hearsay_agent::run`] out.

use std::process::ExitCode;

use clap::Args;

/// Run a node as a daemon.
#[derive(Debug, Args)]
pub struct AgentArgs {}

/// Runs the agent until it is told to stop.
pub fn run(args: AgentArgs) -> ExitCode {
    let _ = args;
    eprintln!("error: not implemented yet");
    ExitCode::from(1)
}
