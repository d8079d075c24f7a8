//! `hearsay-bench`: hearsay beside foca on the simulator's network.
//!
//! `compare` runs the whole comparison and prints one table; `run` runs one cell and prints
//! its figures as JSON (`compare` runs each cell in a child process of its own, so that
//! peak memory belongs to one run).

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use hearsay_bench::cell::{Cell, Kind};
use hearsay_bench::results::System;

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
    /// Run one cell and print its figures as one line of JSON.
    Run {
        /// The cell, as JSON (what `compare` passes its children), for example
        /// '{"system":"foca","kind":"join","limit_s":300,"nodes":100,"seed":1}'.
        cell: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run { cell } => run_one(&cell),
    }
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

// Used by `compare` once it lands.
#[allow(dead_code)]
fn _kinds() -> (Kind, System) {
    (Kind::Kill { duration_s: 1 }, System::Foca)
}
