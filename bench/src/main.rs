//! `hearsay-bench`: hearsay beside foca on the simulator's network.
//!
//! `compare` runs the whole comparison, prints one table, and writes the results and
//! charts; `run` runs one cell and prints its figures as JSON (`compare` runs every cell
//! in a child process of its own, so that peak memory belongs to one run).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use hearsay_bench::cell::Cell;
use hearsay_bench::compare::{self, Options};
use hearsay_bench::plan::Plan;
use hearsay_bench::plots::write_plots;
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
    /// Run one cell and print its figures as one line of JSON.
    Run {
        /// The cell, as JSON (what `compare` passes its children), for example
        /// '{"system":"foca","kind":"join","limit_s":300,"nodes":100,"seed":1}'.
        cell: String,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Run { cell } => run_one(&cell),
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
