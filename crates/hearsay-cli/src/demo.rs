//! `hearsay demo`: a cluster on loopback, shown at work.

use std::process::ExitCode;

use clap::Args;

/// Start N nodes on loopback sockets and show join, failure detection, rejoin and leave.
#[derive(Debug, Args)]
pub struct DemoArgs {}

/// Runs the demo.
pub fn run(args: DemoArgs) -> ExitCode {
    let _ = args;
    eprintln!("error: not implemented yet");
    ExitCode::from(1)
}
